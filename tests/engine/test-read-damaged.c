/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Damaged images: every kind of defect is an error naming its offset in
 * strict mode, and a recorded defect over a walkable heap in salvage mode.
 * Also: synthetic Spur 64 images built byte by byte here (one with a second
 * segment far away, which the reader must relocate), and their Spur 32
 * forms as the narrowing writer makes them. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "image-read.h"
#include "image-write.h"
#include "method.h"
#include "support.h"

#define BASE    G_GUINT64_CONSTANT (0x10000000)
#define FAR     (BASE + (G_GUINT64_CONSTANT (1) << 40))   /* far beyond any reservation */
#define CI_NIL  40
#define CI_FALSE 41
#define CI_TRUE 42
#define CI_METHOD 60

/* ---- a tiny Spur 64 image builder ---- */

typedef struct {
  GByteArray *b;
  StOop       start;
} Seg;

static void
put64 (GByteArray *b, uint64_t v)
{
  v = GUINT64_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &v, 8);
}

static StOop
obj (Seg *s, uint64_t n, guint fmt, guint32 ci)
{
  if (n >= ST_OVERFLOW_SLOTS)
    put64 (s->b, (G_GUINT64_CONSTANT (0xFF) << 56) | n);
  StOop oop = s->start + s->b->len;
  put64 (s->b, st_hdr_make (n >= ST_OVERFLOW_SLOTS ? ST_OVERFLOW_SLOTS : (guint) n, 0, fmt, ci));
  for (uint64_t i = 0; i < (n == 0 ? 1 : n); i++)
    put64 (s->b, 0);
  return oop;
}

static void
set (Seg *s, StOop o, uint64_t i, uint64_t v)
{
  v = GUINT64_TO_LE (v);
  memcpy (s->b->data + (o - s->start) + 8 + 8 * i, &v, 8);
}

static void
set_bytes (Seg *s, StOop o, const void *p, gsize n)
{
  memcpy (s->b->data + (o - s->start) + 8, p, n);
}

typedef struct {
  StOop nil, false_, true_, free_lists, hidden, page0, splobs, array, str, free_chunk, method, ctx, flt, far_obj;
  guint n_objects;     /* in segment 0 */
  gsize bridge0;       /* file offset of segment 0's bridge */
} Syn;

/* One segment at BASE, or two with the second at FAR holding the special
 * objects array and an Array pointing back. */
static GBytes *
build_spur64 (gboolean two_segments, Syn *syn)
{
  Seg s0 = { g_byte_array_new (), BASE }, s1 = { g_byte_array_new (), FAR };
  Syn y = { 0 };
  y.nil = obj (&s0, 0, ST_FMT_ZERO, CI_NIL);
  y.false_ = obj (&s0, 0, ST_FMT_ZERO, CI_FALSE);
  y.true_ = obj (&s0, 0, ST_FMT_ZERO, CI_TRUE);
  y.free_lists = obj (&s0, ST_NUM_FREE_LISTS, ST_FMT_WORDS64, ST_CLASS_INDEX_LONGS64_PUN);
  y.hidden = obj (&s0, ST_CLASS_TABLE_ROOT_SLOTS + ST_HIDDEN_ROOT_SLOTS, ST_FMT_INDEXABLE, ST_CLASS_INDEX_ARRAY_PUN);
  y.page0 = obj (&s0, ST_CLASS_TABLE_PAGE_SIZE, ST_FMT_INDEXABLE, ST_CLASS_INDEX_ARRAY_PUN);
  y.array = obj (&s0, 4, ST_FMT_INDEXABLE, ST_CLASS_INDEX_ARRAY);
  y.str = obj (&s0, 1, ST_FMT_BYTES + 3, ST_CLASS_INDEX_BYTE_STRING);
  y.free_chunk = obj (&s0, 3, ST_FMT_ZERO, ST_CLASS_INDEX_FREE);
  y.method = obj (&s0, 3, ST_FMT_METHOD + 5, CI_METHOD);   /* header, 1 literal, 3 bytecodes */
  y.ctx = obj (&s0, 8, ST_FMT_FIXED_INDEXABLE, ST_CLASS_INDEX_CONTEXT);
  y.flt = obj (&s0, 1, ST_FMT_WORDS32, ST_CLASS_INDEX_FLOAT);
  y.n_objects = 12;
  if (two_segments)
    {
      y.splobs = obj (&s1, 60, ST_FMT_INDEXABLE, ST_CLASS_INDEX_ARRAY);
      y.far_obj = obj (&s1, 2, ST_FMT_INDEXABLE, ST_CLASS_INDEX_ARRAY);
    }
  else
    {
      y.splobs = obj (&s0, 60, ST_FMT_INDEXABLE, ST_CLASS_INDEX_ARRAY);
      y.n_objects++;
    }
  Seg *ss = two_segments ? &s1 : &s0;
  for (guint i = 0; i < ST_CLASS_TABLE_ROOT_SLOTS + ST_HIDDEN_ROOT_SLOTS; i++)
    set (&s0, y.hidden, i, y.nil);
  set (&s0, y.hidden, 0, y.page0);
  for (guint i = 0; i < ST_CLASS_TABLE_PAGE_SIZE; i++)
    set (&s0, y.page0, i, y.nil);
  for (guint i = 0; i < 60; i++)
    set (ss, y.splobs, i, y.nil);
  set (ss, y.splobs, 1, y.false_);
  set (ss, y.splobs, 2, y.true_);
  set (ss, y.splobs, 6, y.str);
  set (&s0, y.free_lists, 4, y.free_chunk);   /* 32 bytes: 4 allocation units */
  set (&s0, y.array, 0, st_smallint_oop (-42));
  set (&s0, y.array, 1, st_character_oop ('a'));
  set (&s0, y.array, 2, y.str);
  set (&s0, y.array, 3, two_segments ? y.far_obj : y.nil);
  set_bytes (&s0, y.str, "hello", 5);
  set_bytes (&s0, y.method, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x70\x7C\x00", 19);
  set (&s0, y.method, 0, st_smallint_oop (1));     /* one literal */
  set (&s0, y.method, 1, y.str);
  set (&s0, y.ctx, 0, y.nil);
  set (&s0, y.ctx, 1, st_smallint_oop (17));       /* the first bytecode, 1-based */
  set (&s0, y.ctx, 2, st_smallint_oop (0));
  set (&s0, y.ctx, 3, y.method);
  for (guint i = 4; i < 8; i++)
    set (&s0, y.ctx, i, y.nil);
  double d = 3.25;
  set_bytes (&s0, y.flt, &d, 8);
  if (two_segments)
    {
      set (&s1, y.far_obj, 0, y.nil);
      set (&s1, y.far_obj, 1, y.array);
    }

  /* bridges */
  uint64_t bytes0 = s0.b->len + ST_BRIDGE_BYTES;
  if (two_segments)
    {
      uint64_t span = FAR - (BASE + bytes0);
      put64 (s0.b, (G_GUINT64_CONSTANT (0xFF) << 56) | (span / 8));
      put64 (s0.b, s1.b->len + ST_BRIDGE_BYTES);
      put64 (s1.b, st_hdr_make (0, 0, ST_FMT_WORDS32, ST_CLASS_INDEX_BRIDGE) | ST_HDR_PINNED_BIT | ST_HDR_MARKED_BIT);
      put64 (s1.b, 0);
    }
  else
    {
      put64 (s0.b, st_hdr_make (0, 0, ST_FMT_WORDS32, ST_CLASS_INDEX_BRIDGE) | ST_HDR_PINNED_BIT | ST_HDR_MARKED_BIT);
      put64 (s0.b, 0);
    }
  GByteArray *f = g_byte_array_new ();
  uint64_t data = s0.b->len + s1.b->len;
  uint64_t hdr[16] = { 0 };
  hdr[0] = 68021 | ((uint64_t) 128 << 32);
  hdr[1] = data;
  hdr[2] = BASE;
  hdr[3] = y.splobs;
  hdr[9] = bytes0;       /* offset 72: first segment size */
  hdr[10] = 32;          /* offset 80: free old space */
  for (guint i = 0; i < 16; i++)
    put64 (f, hdr[i]);
  g_byte_array_append (f, s0.b->data, s0.b->len);
  g_byte_array_append (f, s1.b->data, s1.b->len);
  y.bridge0 = 128 + s0.b->len - ST_BRIDGE_BYTES;
  g_byte_array_unref (s0.b);
  g_byte_array_unref (s1.b);
  if (syn != NULL)
    *syn = y;
  return g_byte_array_free_to_bytes (f);
}

static StVM *
read_bytes (GBytes *b, StReadFlags flags, GError **error)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (b, &len);
  return st_image_read_buffer (d, len, "synthetic", flags, error);
}

static guint64
count_objects (StVM *vm, gboolean *damaged)
{
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  guint64 n = 0;
  while (st_heap_walk_next (&w))
    n++;
  *damaged = w.damaged;
  return n;
}

/* The Spur 32 form of a heap, through the writer. */
static GBytes *
narrow (StVM *vm)
{
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "n.image", NULL);
  g_autoptr (GError) error = NULL;
  gboolean ok = st_image_write (vm, path, ST_IMAGE_KIND_SPUR32, ST_WRITE_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  char *d;
  gsize len;
  g_assert_true (g_file_get_contents (path, &d, &len, NULL));
  thaw_test_rmdir (dir);
  return g_bytes_new_take (d, len);
}

static void
check_synthetic_heap (StVM *vm, const Syn *y)
{
  g_assert_cmphex (vm->nil_obj, ==, BASE);
  g_assert_cmphex (st_special (vm, ST_SPLOB_FALSE_OBJECT), ==, vm->false_obj);
  g_assert_cmphex (st_special (vm, ST_SPLOB_TRUE_OBJECT), ==, vm->true_obj);
  StOop str = st_special (vm, ST_SPLOB_CLASS_BYTESTRING);
  g_assert_cmpuint (st_byte_length (vm, str), ==, 5);
  g_assert_cmpmem (st_bytes (vm, str), 5, "hello", 5);
  /* the Array: SmallInteger, Character, the string */
  StOop array = 0;
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  guint n_arrays = 0;
  while ((o = st_heap_walk_next (&w)) != 0)
    if (st_class_index (vm, o) == ST_CLASS_INDEX_ARRAY && st_num_slots (vm, o) == 4 && n_arrays++ == 0)
      array = o;
  g_assert_cmpuint (array, !=, 0);
  g_assert_cmpint (st_smallint_value (st_fetch (vm, array, 0)), ==, -42);
  g_assert_cmpuint (st_character_value (st_fetch (vm, array, 1)), ==, 'a');
  g_assert_cmphex (st_fetch (vm, array, 2), ==, str);
}

/* ---- synthetic images that are whole ---- */

static void
test_synthetic_spur64 (void)
{
  Syn y;
  g_autoptr (GBytes) b = build_spur64 (FALSE, &y);
  g_autoptr (GError) error = NULL;
  StVM *vm = read_bytes (b, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  gboolean damaged;
  g_assert_cmpuint (count_objects (vm, &damaged), ==, y.n_objects);
  g_assert_false (damaged);
  check_synthetic_heap (vm, &y);
  g_assert_cmphex (vm->special_objects, ==, y.splobs);
  st_vm_free (vm);
}

static void
test_relocated_segment (void)
{
  Syn y;
  g_autoptr (GBytes) b = build_spur64 (TRUE, &y);
  g_autoptr (GError) error = NULL;
  StVM *vm = read_bytes (b, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vm->n_segments, ==, 2);
  const StSegment *s1 = &vm->segments[1];
  g_assert_cmphex (s1->file_start, ==, FAR);
  g_assert_cmphex (s1->start, ==, vm->segments[0].start + vm->segments[0].bytes);   /* moved next to segment 0 */
  g_assert_cmphex (vm->segments[0].file_start, ==, vm->segments[0].start);
  /* pointers into segment 1 moved with it, pointers into segment 0 did not */
  g_assert_cmphex (vm->special_objects, ==, s1->start);
  StOop far_obj = y.far_obj - FAR + s1->start;
  g_assert_cmphex (st_fetch (vm, y.array, 3), ==, far_obj);
  g_assert_cmphex (st_fetch (vm, far_obj, 1), ==, y.array);
  g_assert_cmphex (st_fetch (vm, far_obj, 0), ==, vm->nil_obj);
  g_assert_cmphex (st_special (vm, ST_SPLOB_TRUE_OBJECT), ==, vm->true_obj);
  gboolean damaged;
  g_assert_cmpuint (count_objects (vm, &damaged), ==, y.n_objects + 2);
  g_assert_false (damaged);
  check_synthetic_heap (vm, &y);
  st_vm_free (vm);
}

/* The synthetic heaps narrowed to Spur 32, read back widened: the same
 * values, a Context pc moved by 4 bytes per literal and header slot, and a
 * second write that reproduces the first byte for byte. */
static void
test_synthetic_spur32 (gconstpointer data)
{
  gboolean two = GPOINTER_TO_INT (data);
  Syn y;
  g_autoptr (GBytes) b64 = build_spur64 (two, &y);
  g_autoptr (GError) error = NULL;
  StVM *vm64 = read_bytes (b64, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) b32 = narrow (vm64);
  gsize len;
  const guint8 *d = g_bytes_get_data (b32, &len);
  guint32 format;
  memcpy (&format, d, 4);
  g_assert_cmpuint (GUINT32_FROM_LE (format), ==, 6521);

  StVM *vm = read_bytes (b32, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vm->personality.word_bytes, ==, 4);
  g_assert_cmpuint (vm->n_segments, ==, two ? 2 : 1);
  gboolean damaged;
  g_assert_cmpuint (count_objects (vm, &damaged), ==, y.n_objects + (two ? 2 : 0));
  g_assert_false (damaged);
  check_synthetic_heap (vm, &y);
  /* the 32-bit file holds the Context's pc as 17 - 8 = 9: the header and one
   * literal are 8 bytes narrower there; widened, it is 17 again */
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o, ctx = 0, flt = 0;
  while ((o = st_heap_walk_next (&w)) != 0)
    {
      if (st_class_index (vm, o) == ST_CLASS_INDEX_CONTEXT)
        ctx = o;
      if (st_class_index (vm, o) == ST_CLASS_INDEX_FLOAT)
        flt = o;
    }
  g_assert_cmpint (st_smallint_value (st_fetch (vm, ctx, 1)), ==, 17);
  StMethodHeader mh;
  g_assert_true (st_method_header (vm, st_fetch (vm, ctx, 3), &mh, NULL));
  g_assert_cmpuint (mh.num_literals, ==, 1);
  g_assert_cmpuint (mh.end_pc - mh.initial_pc, ==, 3);
  g_assert_cmpuint (st_bytes (vm, st_fetch (vm, ctx, 3))[mh.initial_pc + 1], ==, 0x7C);
  double v;
  memcpy (&v, st_bytes (vm, flt), 8);
  g_assert_cmpfloat (v, ==, 3.25);
  /* the free chunk is on the list of its size (3 slots: 4 units of 8 bytes) */
  g_assert_cmpuint (st_class_index (vm, st_fetch (vm, vm->free_lists_obj, 4)), ==, ST_CLASS_INDEX_FREE);

  g_autoptr (GBytes) again = narrow (vm);
  g_assert_true (g_bytes_equal (again, b32));
  st_vm_free (vm);
  st_vm_free (vm64);
}

/* ---- damage ---- */

typedef enum {
  DAMAGE_TRUNCATED,
  DAMAGE_BAD_HEADER,      /* an object header mid-segment */
  DAMAGE_BRIDGE,          /* a bridge gives the next segment more bytes than the file has */
  DAMAGE_SPECIAL_OBJECTS, /* the special objects oop points outside the heap */
} DamageKind;

/* File offset of the index-th object's first byte, by walking the file. */
static gsize
file_object_offset (const guint8 *d, gsize len, guint word_bytes, guint index)
{
  gsize pos = word_bytes == 8 ? 128 : 64;
  for (guint i = 0; i <= index; i++)
    {
      g_assert_cmpuint (pos + 16, <=, len);
      guint32 lo, hi;
      memcpy (&lo, d + pos, 4);
      memcpy (&hi, d + pos + 4, 4);
      gsize start = pos;
      uint64_t n = hi >> 24;
      if (n == 255)
        {
          n = word_bytes == 8 ? (((uint64_t) hi << 32 | lo) & G_GUINT64_CONSTANT (0x00FFFFFFFFFFFFFF)) : lo;
          pos += 8;
        }
      if (i == index)
        return start;
      if (word_bytes == 8)
        pos += 8 + 8 * (n == 0 ? 1 : n);
      else
        pos += 8 + (n < 2 ? 8 : ((n + 1) & ~G_GUINT64_CONSTANT (1)) * 4);
    }
  g_assert_not_reached ();
}

typedef struct {
  GBytes     *bytes;      /* the damaged file */
  int         code;       /* the error expected in strict mode */
  uint64_t    offset;     /* the file offset the error must name */
  const char *says;       /* and a phrase it must contain */
} Damage;

static Damage
damage (GBytes *good, guint word_bytes, DamageKind kind, guint object_index, gsize bridge_off)
{
  gsize len;
  const guint8 *src = g_bytes_get_data (good, &len);
  guint8 *d = g_memdup2 (src, len);
  Damage r = { 0 };
  switch (kind)
    {
    case DAMAGE_TRUNCATED:
      {
        gsize cut = object_index ? file_object_offset (d, len, word_bytes, object_index) + 12 : len * 3 / 4;
        r.code = ST_IMAGE_ERROR_TRUNCATED;
        r.offset = cut;
        r.says = "bytes long";
        len = cut;
        break;
      }
    case DAMAGE_BAD_HEADER:
      {
        gsize at = file_object_offset (d, len, word_bytes, object_index);
        gsize hdr = at;
        guint32 hi;
        memcpy (&hi, d + at + 4, 4);
        if ((hi >> 24) == 255)
          hdr += 8;
        d[hdr + 3] = (d[hdr + 3] & 0xE0) | 6;    /* format 6: unused */
        r.code = ST_IMAGE_ERROR_BAD_OBJECT;
        r.offset = at;
        r.says = "unused format";
        break;
      }
    case DAMAGE_BRIDGE:
      {
        uint64_t next = G_GUINT64_CONSTANT (1) << 20;
        next = GUINT64_TO_LE (next);
        memcpy (d + bridge_off + 8, &next, 8);
        r.code = ST_IMAGE_ERROR_TRUNCATED;
        r.offset = bridge_off;
        r.says = "bridge";
        break;
      }
    case DAMAGE_SPECIAL_OBJECTS:
      {
        gsize at = word_bytes == 8 ? 24 : 16;
        if (word_bytes == 8)
          {
            uint64_t v = GUINT64_TO_LE (G_GUINT64_CONSTANT (0x7FFFFFFF0000));
            memcpy (d + at, &v, 8);
          }
        else
          {
            guint32 v = GUINT32_TO_LE (0xFFFFFF00u);
            memcpy (d + at, &v, 4);
          }
        r.code = ST_IMAGE_ERROR_BAD_HEADER;
        r.offset = at;
        r.says = "special objects";
        break;
      }
    }
  r.bytes = g_bytes_new_take (d, len);
  return r;
}

static void
check_damage (Damage *dm)
{
  g_autofree char *off = g_strdup_printf ("%" G_GUINT64_FORMAT, dm->offset);
  /* strict: the first defect, with its offset */
  g_autoptr (GError) error = NULL;
  StVM *vm = read_bytes (dm->bytes, ST_READ_STRICT, &error);
  g_assert_null (vm);
  g_assert_error (error, ST_IMAGE_ERROR, dm->code);
  if (strstr (error->message, off) == NULL || strstr (error->message, dm->says) == NULL)
    g_error ("the error \"%s\" should name offset %s and say \"%s\"", error->message, off, dm->says);

  /* salvage: a walkable heap, and the defect on record */
  g_clear_error (&error);
  vm = read_bytes (dm->bytes, ST_READ_SALVAGE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vm);
  g_assert_cmpuint (vm->defects->len, >=, 1);
  gboolean found = FALSE;
  for (guint i = 0; i < vm->defects->len; i++)
    {
      StDefect *df = vm->defects->pdata[i];
      if (df->code == dm->code && df->file_offset == dm->offset)
        found = TRUE;
    }
  if (!found)
    {
      for (guint i = 0; i < vm->defects->len; i++)
        {
          StDefect *df = vm->defects->pdata[i];
          g_printerr ("defect %d at %" G_GUINT64_FORMAT ": %s\n", df->code, df->file_offset, df->message);
        }
      g_error ("no defect of code %d at offset %s", dm->code, off);
    }
  gboolean damaged;
  count_objects (vm, &damaged);
  g_assert_false (damaged);
  g_assert_cmphex (st_special (vm, ST_SPLOB_NIL_OBJECT), ==, vm->nil_obj);
  /* the salvaged heap narrows or refuses cleanly, never crashes */
  if (vm->special_objects != 0)
    g_assert_true (st_class_index (vm, vm->special_objects) != ST_CLASS_INDEX_FREE);
  st_vm_free (vm);
  g_bytes_unref (dm->bytes);
}

typedef struct {
  const char *name;
  guint word_bytes;
  DamageKind kind;
} DamageCase;

static GBytes *
synthetic_for (guint word_bytes, gboolean two, gsize *bridge_off)
{
  Syn y;
  GBytes *b64 = build_spur64 (two, &y);
  *bridge_off = y.bridge0;
  if (word_bytes == 8)
    return b64;
  g_autoptr (GError) error = NULL;
  StVM *vm = read_bytes (b64, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  GBytes *b32 = narrow (vm);
  st_vm_free (vm);
  g_bytes_unref (b64);
  /* segment 0's bridge in the 32-bit file: after its last object */
  gsize len;
  const guint8 *d = g_bytes_get_data (b32, &len);
  guint32 first_seg;
  memcpy (&first_seg, d + 48, 4);
  *bridge_off = 64 + GUINT32_FROM_LE (first_seg) - ST_BRIDGE_BYTES;
  return b32;
}

static void
test_damage_synthetic (gconstpointer data)
{
  const DamageCase *c = data;
  gsize bridge_off;
  g_autoptr (GBytes) good = synthetic_for (c->word_bytes, c->kind == DAMAGE_BRIDGE, &bridge_off);
  /* object 7 is the Array (after nil, false, true, free lists, hidden roots,
   * class page 0); truncation cuts inside object 10, the method */
  Damage dm = damage (good, c->word_bytes, c->kind, c->kind == DAMAGE_TRUNCATED ? 10 : 6, bridge_off);
  check_damage (&dm);
}

static void
test_damage_real (gconstpointer data)
{
  const DamageCase *c = data;
  g_autofree char *path = c->word_bytes == 8 ? thaw_test_real_image ("pharo8-kernel64", "Pharo.image")
                                             : thaw_test_real_image ("squeakjs-headless32", "headless.image");
  if (path == NULL)
    return;
  char *d;
  gsize len;
  g_assert_true (g_file_get_contents (path, &d, &len, NULL));
  g_autoptr (GBytes) good = g_bytes_new_take (d, len);
  /* a single segment: its bridge is the file's last 16 bytes */
  Damage dm = damage (good, c->word_bytes, c->kind, c->word_bytes == 8 ? 20000 : 1500, len - ST_BRIDGE_BYTES);
  check_damage (&dm);
}

static const DamageCase cases[] = {
  { "truncated", 8, DAMAGE_TRUNCATED },
  { "bad-object-header", 8, DAMAGE_BAD_HEADER },
  { "bridge-outside-file", 8, DAMAGE_BRIDGE },
  { "special-objects-outside", 8, DAMAGE_SPECIAL_OBJECTS },
  { "truncated", 4, DAMAGE_TRUNCATED },
  { "bad-object-header", 4, DAMAGE_BAD_HEADER },
  { "bridge-outside-file", 4, DAMAGE_BRIDGE },
  { "special-objects-outside", 4, DAMAGE_SPECIAL_OBJECTS },
};

/* Every prefix of a small image, read in both modes: never a crash, and
 * salvage mode either loads or says why. */
static void
test_every_truncation (gconstpointer data)
{
  gsize bridge_off;
  g_autoptr (GBytes) good = synthetic_for (GPOINTER_TO_UINT (data), TRUE, &bridge_off);
  gsize len;
  const guint8 *d = g_bytes_get_data (good, &len);
  for (gsize cut = 0; cut <= len; cut += (cut < 200 || len - cut < 200) ? 1 : 61)
    for (int mode = 0; mode < 2; mode++)
      {
        GError *error = NULL;
        StVM *vm = st_image_read_buffer (d, cut, "cut", mode ? ST_READ_SALVAGE : ST_READ_STRICT, &error);
        g_assert_true ((vm == NULL) != (error == NULL));
        if (vm != NULL)
          {
            gboolean damaged;
            count_objects (vm, &damaged);
            g_assert_false (damaged);
            if (mode == 0)
              g_assert_cmpuint (cut, ==, len);
          }
        st_vm_free (vm);
        g_clear_error (&error);
      }
}

/* Found by the fuzzer: a base address at the top of the 64-bit space. */
static void
test_base_out_of_range (void)
{
  g_autoptr (GBytes) good = build_spur64 (FALSE, NULL);
  gsize len;
  const guint8 *src = g_bytes_get_data (good, &len);
  g_autofree guint8 *d = g_memdup2 (src, len);
  uint64_t base = GUINT64_TO_LE (G_GUINT64_CONSTANT (0x8000000000804000));
  memcpy (d + 16, &base, 8);
  for (int mode = 0; mode < 2; mode++)
    {
      g_autoptr (GError) error = NULL;
      StVM *vm = st_image_read_buffer (d, len, "high", mode ? ST_READ_SALVAGE : ST_READ_STRICT, &error);
      g_assert_null (vm);
      g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER);
      g_assert_nonnull (strstr (error->message, "header offset 16"));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/read/synthetic-spur64", test_synthetic_spur64);
  g_test_add_func ("/engine/read/relocated-segment", test_relocated_segment);
  g_test_add_func ("/engine/read-damaged/base-out-of-range", test_base_out_of_range);
  g_test_add_data_func ("/engine/read/synthetic-spur32", GINT_TO_POINTER (FALSE), test_synthetic_spur32);
  g_test_add_data_func ("/engine/read/synthetic-spur32-two-segments", GINT_TO_POINTER (TRUE), test_synthetic_spur32);
  g_test_add_data_func ("/engine/read-damaged/every-truncation/spur64", GUINT_TO_POINTER (8), test_every_truncation);
  g_test_add_data_func ("/engine/read-damaged/every-truncation/spur32", GUINT_TO_POINTER (4), test_every_truncation);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *a = g_strdup_printf ("/engine/read-damaged/spur%u/synthetic/%s", cases[i].word_bytes * 8,
                                            cases[i].name);
      g_autofree char *b = g_strdup_printf ("/engine/read-damaged/spur%u/real/%s", cases[i].word_bytes * 8,
                                            cases[i].name);
      g_test_add_data_func (a, &cases[i], test_damage_synthetic);
      g_test_add_data_func (b, &cases[i], test_damage_real);
    }
  return g_test_run ();
}
