/* SPDX-License-Identifier: GPL-3.0-or-later */
/* V3 images: a small synthetic V3 file, assembled word by word here, read
 * into the Spur heap and written back; damaged variants of it; and heaps
 * the builder makes with V3 personality written as V3. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include "builder.h"
#include "image-read.h"
#include "image-v3.h"
#include "image-write.h"
#include "method.h"
#include "support.h"

/* ---- a tiny V3 image assembler ---- */

enum {
  O_NIL, O_FALSE, O_TRUE, O_SOA, O_CCARR,
  O_META, O_UNDEF_CLS, O_FALSE_CLS, O_TRUE_CLS, O_ARRAY_CLS, O_SMALLINT_CLS, O_FLOAT_CLS,
  O_MCTX_CLS, O_METHOD_CLS, O_STRING_CLS, O_WORDS_CLS,
  O_FREE_SMALL,
  O_FLOAT, O_STRING, O_WORDS, O_METHOD, O_CONTEXT,
  O_FREE_LARGE,
  O_BIG, O_HUGE,
  N_OBJS
};

#define RAW (-1)

typedef struct {
  guint    type;       /* 0, 1, 2 (free), 3 */
  int      cls;        /* object id of the class (types 0 and 1) */
  guint    cc;         /* compact class index */
  guint    fmt;
  guint    hash;
  guint    n;          /* body words; free blocks: total words */
  guint    gc;         /* the top two bits of the base header */
  guint32 *body;
  int     *ref;        /* per body word: object id, or RAW */
} TObj;

typedef struct {
  TObj     o[N_OBJS];
  guint32  addr[N_OBJS];   /* V3 oop (base header address) */
  int      order[N_OBJS];  /* object ids in file order */
  guint32  base;
  gboolean be;
  guint32  format;
} TImage;

static void
tobj (TImage *t, int id, guint type, int cls, guint cc, guint fmt, guint hash, guint n)
{
  TObj *o = &t->o[id];
  o->type = type;
  o->cls = cls;
  o->cc = cc;
  o->fmt = fmt;
  o->hash = hash;
  o->n = n;
  o->body = g_new0 (guint32, n + 1);
  o->ref = g_new (int, n + 1);
  for (guint i = 0; i <= n; i++)
    o->ref[i] = O_NIL;            /* pointer slots default to nil */
}

static void
set_raw (TImage *t, int id, guint i, guint32 v)
{
  t->o[id].body[i] = v;
  t->o[id].ref[i] = RAW;
}

static void
set_ref (TImage *t, int id, guint i, int target)
{
  t->o[id].ref[i] = target;
}

static guint32
smallint (gint32 v)
{
  return ((guint32) v << 1) | 1;
}

/* A class: superclass, methodDict, format (SmallInteger). */
static void
tclass (TImage *t, int id, guint hash)
{
  tobj (t, id, 1, O_META, 0, 1, hash, 3);
  set_raw (t, id, 2, smallint (2));
}

static void
tbytes (TImage *t, int id, int cls, const void *data, guint n, guint hash)
{
  guint words = (n + 3) / 4;
  tobj (t, id, 1, cls, 0, 8 + (words * 4 - n), hash, words);
  for (guint i = 0; i < words; i++)
    set_raw (t, id, i, 0);
  memcpy (t->o[id].body, data, n);   /* bytes stay in memory order in both byte orders */
}

static void
timage_init (TImage *t, guint32 format, gboolean be)
{
  memset (t, 0, sizeof *t);
  t->base = 0x1000000;
  t->be = be;
  t->format = format;
  for (int i = 0; i < N_OBJS; i++)
    t->order[i] = i;
  tobj (t, O_NIL, 1, O_UNDEF_CLS, 0, 0, 100, 0);
  tobj (t, O_FALSE, 1, O_FALSE_CLS, 0, 0, 101, 0);
  tobj (t, O_TRUE, 1, O_TRUE_CLS, 0, 0, 102, 0);
  tobj (t, O_SOA, 3, 0, 3, 2, 103, 40);
  set_ref (t, O_SOA, 1, O_FALSE);
  set_ref (t, O_SOA, 2, O_TRUE);
  set_ref (t, O_SOA, ST_SPLOB_CLASS_SMALLINTEGER, O_SMALLINT_CLS);
  set_ref (t, O_SOA, ST_SPLOB_CLASS_BYTESTRING, O_STRING_CLS);
  set_ref (t, O_SOA, ST_SPLOB_CLASS_ARRAY, O_ARRAY_CLS);
  set_ref (t, O_SOA, ST_SPLOB_CLASS_FLOAT, O_FLOAT_CLS);
  set_ref (t, O_SOA, ST_SPLOB_CLASS_METHOD_CONTEXT, O_MCTX_CLS);
  set_ref (t, O_SOA, ST_SPLOB_CLASS_COMPILED_METHOD, O_METHOD_CLS);
  set_ref (t, O_SOA, ST_SPLOB_COMPACT_CLASSES, O_CCARR);
  set_ref (t, O_SOA, 33, O_WORDS);   /* something to point at the words object */
  set_ref (t, O_SOA, 34, O_STRING);
  set_ref (t, O_SOA, 35, O_CONTEXT);
  set_ref (t, O_SOA, 37, O_BIG);
  set_ref (t, O_SOA, 38, O_HUGE);
  tobj (t, O_CCARR, 3, 0, 3, 2, 104, 31);
  set_ref (t, O_CCARR, 2, O_ARRAY_CLS);     /* Array is compact class 3 */
  /* Metaclass is its own class. */
  tobj (t, O_META, 1, O_META, 0, 1, 5, 3);
  set_raw (t, O_META, 2, smallint (2));
  tclass (t, O_UNDEF_CLS, 200);
  tclass (t, O_FALSE_CLS, 201);
  tclass (t, O_TRUE_CLS, 202);
  tclass (t, O_ARRAY_CLS, 5);        /* shares its hash with Metaclass: index 5 + 2 * 4096 */
  tclass (t, O_SMALLINT_CLS, 40);    /* hash >= 32: index 40 */
  tclass (t, O_FLOAT_CLS, 300);
  tclass (t, O_MCTX_CLS, 301);
  tclass (t, O_METHOD_CLS, 302);
  tclass (t, O_STRING_CLS, 303);
  tclass (t, O_WORDS_CLS, 304);
  /* A free block of 3 words. */
  tobj (t, O_FREE_SMALL, 2, 0, 0, 0, 0, 3);
  /* Float pi: V3 word order is high word first unless the format is 6505 (native). */
  tobj (t, O_FLOAT, 1, O_FLOAT_CLS, 0, 6, 400, 2);
  double pi = G_PI;
  uint64_t bits;
  memcpy (&bits, &pi, 8);
  gboolean low_first = (format & 1) && !be;
  set_raw (t, O_FLOAT, 0, low_first ? (guint32) bits : (guint32) (bits >> 32));
  set_raw (t, O_FLOAT, 1, low_first ? (guint32) (bits >> 32) : (guint32) bits);
  tbytes (t, O_STRING, O_STRING_CLS, "hello", 5, 401);
  tobj (t, O_WORDS, 1, O_WORDS_CLS, 0, 6, 402, 3);
  set_raw (t, O_WORDS, 0, 0xDEADBEEF);
  set_raw (t, O_WORDS, 1, 1);
  set_raw (t, O_WORDS, 2, 0x80000000);
  /* A method: header (2 literals, 1 arg), literals 7 and the Float, 5 bytecodes. */
  tobj (t, O_METHOD, 1, O_METHOD_CLS, 0, 12 + 3, 403, 3 + 2);
  set_raw (t, O_METHOD, 0, smallint ((1 << 24) | (2 << 9)));
  set_raw (t, O_METHOD, 1, smallint (7));
  set_ref (t, O_METHOD, 2, O_FLOAT);
  set_raw (t, O_METHOD, 3, 0);
  set_raw (t, O_METHOD, 4, 0);
  static const guint8 bc[5] = { 0x70, 0x10, 0x21, 0x7C, 0x00 };
  memcpy (&t->o[O_METHOD].body[3], bc, 5);
  /* A MethodContext: sender, pc, stackp, method, closureOrNil, receiver, 2 stack slots. */
  tobj (t, O_CONTEXT, 1, O_MCTX_CLS, 0, 3, 404, 8);
  set_raw (t, O_CONTEXT, 1, smallint (14));      /* the second bytecode (1-based) */
  set_raw (t, O_CONTEXT, 2, smallint (0));
  set_ref (t, O_CONTEXT, 3, O_METHOD);
  /* A free block of 150 words: the free-chunk tree. */
  tobj (t, O_FREE_LARGE, 2, 0, 0, 0, 0, 150);
  /* An Array too big for a 6-bit size: 3-word header. */
  tobj (t, O_BIG, 0, O_ARRAY_CLS, 3, 2, 405, 70);
  for (guint i = 0; i < 70; i++)
    set_raw (t, O_BIG, i, smallint ((gint32) i - 35));
  set_raw (t, O_BIG, 0, smallint (-(1 << 30)));
  set_raw (t, O_BIG, 1, smallint ((1 << 30) - 1));
  /* 300 slots: an overflow header in the Spur heap. */
  tobj (t, O_HUGE, 0, O_ARRAY_CLS, 3, 2, 406, 300);
  set_ref (t, O_HUGE, 299, O_STRING);
}

static guint
hdr_words (guint type)
{
  return type == 0 ? 3 : type == 1 ? 2 : 1;
}

static void
put (GByteArray *a, guint32 v, gboolean be)
{
  v = be ? GUINT32_TO_BE (v) : GUINT32_TO_LE (v);
  g_byte_array_append (a, (guint8 *) &v, 4);
}

/* The image file bytes. */
static GBytes *
timage_bytes (TImage *t)
{
  guint32 off = 0;
  for (int k = 0; k < N_OBJS; k++)
    {
      int i = t->order[k];
      const TObj *o = &t->o[i];
      if (o->type == 2)
        {
          t->addr[i] = t->base + off;
          off += 4 * o->n;
          continue;
        }
      off += 4 * (hdr_words (o->type) - 1);
      t->addr[i] = t->base + off;
      off += 4 + 4 * o->n;
    }
  GByteArray *a = g_byte_array_new ();
  gboolean be = t->be;
  put (a, t->format, be);
  put (a, 64, be);
  put (a, off, be);
  put (a, t->base, be);
  put (a, t->addr[O_SOA], be);
  put (a, 999, be);                 /* last hash */
  put (a, (640 << 16) | 480, be);   /* window size */
  put (a, 0, be);                   /* flags */
  for (int i = 0; i < 8; i++)
    put (a, 0, be);
  for (int k = 0; k < N_OBJS; k++)
    {
      const TObj *o = &t->o[t->order[k]];
      if (o->type == 2)
        {
          put (a, (4 * o->n) | 2, be);
          for (guint j = 1; j < o->n; j++)
            put (a, 0, be);
          continue;
        }
      guint32 words_incl = o->n + 1;
      guint32 bh = (o->gc << 30) | (o->hash << 17) | (o->cc << 12) | (o->fmt << 8) | ((o->type == 0 ? 0 : words_incl) << 2) | o->type;
      if (o->type == 0)
        {
          put (a, words_incl * 4, be);
          put (a, t->addr[o->cls], be);
        }
      else if (o->type == 1)
        put (a, t->addr[o->cls] | 1, be);
      put (a, bh, be);
      if (o->fmt >= 8)
        {
          /* bytes (and a method's bytecodes) in memory order */
          guint first_raw_byte = o->fmt >= 12 ? (((o->body[0] >> 10) & 0xFF) + 1) : 0;
          for (guint j = 0; j < first_raw_byte; j++)
            put (a, o->ref[j] == RAW ? o->body[j] : t->addr[o->ref[j]], be);
          g_byte_array_append (a, (guint8 *) (o->body + first_raw_byte), 4 * (o->n - first_raw_byte));
          continue;
        }
      for (guint j = 0; j < o->n; j++)
        put (a, o->ref[j] == RAW ? o->body[j] : t->addr[o->ref[j]], be);
    }
  return g_byte_array_free_to_bytes (a);
}

static void
timage_clear (TImage *t)
{
  for (int i = 0; i < N_OBJS; i++)
    {
      g_free (t->o[i].body);
      g_free (t->o[i].ref);
    }
}

/* The heap oop of the object whose V3 oop is a: objects keep their order,
 * so walk both in step. */
static StOop
heap_oop_of (StVM *vm, TImage *t, int id)
{
  /* nil, false and true come first in the heap, then the hidden objects,
   * then the rest in file order. */
  if (id == O_NIL)
    return vm->nil_obj;
  if (id == O_FALSE)
    return vm->false_obj;
  if (id == O_TRUE)
    return vm->true_obj;
  const StV3Layout *l = st_v3_layout (vm);
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0 && o < l->first_object)
    ;
  for (int k = 0; k < N_OBJS && o != 0; k++)
    {
      int i = t->order[k];
      if (i == id)
        return o;
      if (i != O_NIL && i != O_FALSE && i != O_TRUE)
        o = st_heap_walk_next (&w);
    }
  return 0;
}

static char *
write_to_tmp (StVM *vm, const char *dir, const char *name, GError **error)
{
  char *path = g_build_filename (dir, name, NULL);
  if (!st_image_write (vm, path, ST_IMAGE_KIND_SAME, ST_WRITE_DEFAULT, error))
    g_clear_pointer (&path, g_free);
  return path;
}

static void
check_synthetic (guint32 format, gboolean be)
{
  TImage t;
  timage_init (&t, format, be);
  g_autoptr (GBytes) bytes = timage_bytes (&t);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read_buffer (data, len, "synthetic", ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vm);
  g_assert_cmpuint (vm->personality.format, ==, format);
  g_assert_true (vm->personality.big_endian == be);
  const StV3Layout *l = st_v3_layout (vm);
  g_assert_nonnull (l);
  g_assert_cmpuint (l->n_objects, ==, N_OBJS);
  g_assert_cmpuint (l->n_free_blocks, ==, 2);

  /* Roots. */
  g_assert_cmphex (st_special (vm, ST_SPLOB_NIL_OBJECT), ==, vm->nil_obj);
  g_assert_cmphex (st_special (vm, ST_SPLOB_FALSE_OBJECT), ==, vm->false_obj);
  g_assert_cmphex (st_special (vm, ST_SPLOB_TRUE_OBJECT), ==, vm->true_obj);
  g_assert_cmphex (vm->nil_obj, <, vm->false_obj);
  StOop undef = heap_oop_of (vm, &t, O_UNDEF_CLS);
  g_assert_cmphex (st_class_of (vm, vm->nil_obj), ==, undef);

  /* Class indices: hash + 4096 * k, at least 32, unique; the class's hash is its index. */
  StOop meta = heap_oop_of (vm, &t, O_META);
  StOop array_cls = heap_oop_of (vm, &t, O_ARRAY_CLS);
  g_assert_cmphex (st_special (vm, ST_SPLOB_CLASS_ARRAY), ==, array_cls);
  g_assert_cmpuint (st_hash (vm, meta), ==, 5 + 4096);
  g_assert_cmpuint (st_hash (vm, array_cls), ==, 5 + 2 * 4096);
  g_assert_cmphex (st_class_at_index (vm, 5 + 2 * 4096), ==, array_cls);
  StOop si = heap_oop_of (vm, &t, O_SMALLINT_CLS);
  g_assert_cmpuint (st_hash (vm, si), ==, 40);
  g_assert_cmphex (st_class_at_index (vm, ST_CLASS_INDEX_SMALLINTEGER), ==, si);
  g_assert_cmpuint (st_hash (vm, heap_oop_of (vm, &t, O_FLOAT_CLS)), ==, 300);
  /* Other objects keep their 12-bit hash. */
  g_assert_cmpuint (st_hash (vm, vm->special_objects), ==, 103 | ST_V3_HASH_PRESENT);   /* 0 is a V3 hash too (spur.h) */
  g_assert_cmphex (st_class_of (vm, vm->special_objects), ==, array_cls);   /* from compact class 3 */

  /* Converted objects. */
  StOop flt = heap_oop_of (vm, &t, O_FLOAT);
  g_assert_cmpuint (st_num_slots (vm, flt), ==, 1);
  double d;
  memcpy (&d, st_ptr (vm, flt) + 1, 8);
  g_assert_cmpfloat (d, ==, G_PI);
  StOop str = heap_oop_of (vm, &t, O_STRING);
  g_assert_cmpuint (st_format (vm, str), ==, ST_FMT_BYTES + 3);
  g_assert_cmpuint (st_byte_length (vm, str), ==, 5);
  g_assert_cmpmem (st_bytes (vm, str), 5, "hello", 5);
  StOop words = heap_oop_of (vm, &t, O_WORDS);
  g_assert_cmpuint (st_format (vm, words), ==, ST_FMT_WORDS32 + 1);
  g_assert_cmpuint (st_indexable_count (vm, words), ==, 3);
  g_assert_cmphex (((guint32 *) st_bytes (vm, words))[0], ==, 0xDEADBEEF);
  g_assert_cmphex (((guint32 *) st_bytes (vm, words))[2], ==, 0x80000000);
  StOop m = heap_oop_of (vm, &t, O_METHOD);
  StMethodHeader mh;
  const char *why = NULL;
  g_assert_true (st_method_header (vm, m, &mh, &why));
  g_assert_cmpuint (mh.num_literals, ==, 2);
  g_assert_cmpuint (mh.num_args, ==, 1);
  g_assert_cmpuint (mh.initial_pc, ==, 24);
  g_assert_cmpuint (mh.end_pc, ==, 24 + 5);
  g_assert_cmpint (st_smallint_value (st_method_literal (vm, m, 0)), ==, 7);
  g_assert_cmphex (st_method_literal (vm, m, 1), ==, flt);
  g_assert_cmpmem (st_bytes (vm, m) + 24, 5, ((const guint8[]) { 0x70, 0x10, 0x21, 0x7C, 0x00 }), 5);
  StOop ctx = heap_oop_of (vm, &t, O_CONTEXT);
  g_assert_cmphex (st_fetch (vm, ctx, 3), ==, m);
  /* pc 14 (1-based, 32-bit layout: 12 bytes of header and literals) -> 26. */
  g_assert_cmpint (st_smallint_value (st_fetch (vm, ctx, 1)), ==, 26);
  g_assert_cmphex (st_fetch (vm, ctx, 0), ==, vm->nil_obj);
  StOop big = heap_oop_of (vm, &t, O_BIG);
  g_assert_cmpuint (st_num_slots (vm, big), ==, 70);
  g_assert_cmpint (st_smallint_value (st_fetch (vm, big, 0)), ==, -(1 << 30));
  g_assert_cmpint (st_smallint_value (st_fetch (vm, big, 1)), ==, (1 << 30) - 1);
  g_assert_cmpint (st_smallint_value (st_fetch (vm, big, 69)), ==, 34);
  StOop huge = heap_oop_of (vm, &t, O_HUGE);
  g_assert_cmpuint (st_hdr_num_slots (st_header (vm, huge)), ==, ST_OVERFLOW_SLOTS);
  g_assert_cmpuint (st_num_slots (vm, huge), ==, 300);
  g_assert_cmphex (st_fetch (vm, huge, 299), ==, str);

  /* Free blocks became free chunks on the free lists / in the tree. */
  StOop fs = heap_oop_of (vm, &t, O_FREE_SMALL);
  StOop fl = heap_oop_of (vm, &t, O_FREE_LARGE);
  g_assert_cmpuint (st_class_index (vm, fs), ==, ST_CLASS_INDEX_FREE);
  g_assert_cmpuint (st_class_index (vm, fl), ==, ST_CLASS_INDEX_FREE);
  uint64_t units = (st_object_end (vm, fs) - st_object_start (vm, fs)) / 8;
  g_assert_cmphex (st_fetch (vm, vm->free_lists_obj, units), ==, fs);
  g_assert_cmphex (st_fetch (vm, vm->free_lists_obj, 0), ==, fl);

  /* A full walk: every object, no damage. */
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  guint n = 0;
  while (st_heap_walk_next (&w))
    n++;
  g_assert_false (w.damaged);
  /* + the free lists, the hidden roots and class-table pages 0, 4 and 8 */
  g_assert_cmpuint (n, ==, N_OBJS + 5);

  /* Written back: the same bytes. */
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out = write_to_tmp (vm, dir, "out.image", &error);
  g_assert_no_error (error);
  g_autofree char *written = NULL;
  gsize written_len = 0;
  g_assert_true (g_file_get_contents (out, &written, &written_len, NULL));
  g_assert_cmpmem (written, written_len, data, len);
  thaw_test_rmdir (dir);
  st_vm_free (vm);
  timage_clear (&t);
}

static void
test_synthetic_le (void)
{
  check_synthetic (6504, FALSE);
}

static void
test_synthetic_be (void)
{
  check_synthetic (6502, TRUE);
}

static void
test_synthetic_native_floats (void)
{
  check_synthetic (6505, FALSE);
  check_synthetic (6505, TRUE);
}

/* A 512-byte prefix before the header (old Unix/Mac exec images) is read
 * past and written back. */
static void
test_synthetic_prefix (void)
{
  TImage t;
  timage_init (&t, 6502, TRUE);
  g_autoptr (GBytes) bytes = timage_bytes (&t);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autofree guint8 *d = g_malloc0 (len + 512);
  memcpy (d, "#!/usr/bin/squeakvm -vm-display-null\n", 37);
  memcpy (d + 512, data, len);
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read_buffer (d, len + 512, "prefixed", ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vm->personality.header_offset, ==, 512);
  g_assert_true (vm->personality.big_endian);
  StOop str = heap_oop_of (vm, &t, O_STRING);
  g_assert_cmpmem (st_bytes (vm, str), 5, "hello", 5);
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out = write_to_tmp (vm, dir, "prefixed.image", &error);
  g_assert_no_error (error);
  g_autofree char *written = NULL;
  gsize written_len = 0;
  g_assert_true (g_file_get_contents (out, &written, &written_len, NULL));
  g_assert_cmpmem (written, written_len, d, len + 512);
  thaw_test_rmdir (dir);
  st_vm_free (vm);
  timage_clear (&t);
}

/* nil after other objects, false with a 3-word header it does not need,
 * nil and true with GC bits: all read, and written back to the same bytes. */
static void
test_synthetic_odd_layout (void)
{
  TImage t;
  timage_init (&t, 6504, FALSE);
  /* file order: false, true, SOA, ..., the string, nil, the words, ... */
  int k = 0;
  for (int i = 0; i < N_OBJS; i++)
    {
      if (i == O_NIL)
        continue;
      t.order[k++] = i;
      if (i == O_STRING)
        t.order[k++] = O_NIL;
    }
  t.o[O_FALSE].type = 0;
  t.o[O_TRUE].gc = 2;
  t.o[O_NIL].gc = 1;     /* noted late (file order), yet nil is first in the heap */
  g_autoptr (GBytes) bytes = timage_bytes (&t);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read_buffer (data, len, "odd", ST_READ_STRICT, &error);
  g_assert_no_error (error);
  const StV3Layout *l = st_v3_layout (vm);
  /* false's header type, nil's and true's GC bits, the two free blocks' sizes */
  g_assert_cmpuint (l->n_notes, ==, 5);
  for (gsize i = 1; i < l->n_notes; i++)
    g_assert_cmphex (l->notes[i - 1].oop, <=, l->notes[i].oop);
  g_assert_cmphex (vm->nil_obj, ==, vm->segments[0].start);
  g_assert_cmphex (st_special (vm, ST_SPLOB_NIL_OBJECT), ==, vm->nil_obj);
  g_assert_cmphex (st_class_of (vm, vm->nil_obj), ==, heap_oop_of (vm, &t, O_UNDEF_CLS));
  StOop str = heap_oop_of (vm, &t, O_STRING);
  g_assert_cmpmem (st_bytes (vm, str), 5, "hello", 5);
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out = write_to_tmp (vm, dir, "odd.image", &error);
  g_assert_no_error (error);
  g_autofree char *written = NULL;
  gsize written_len = 0;
  g_assert_true (g_file_get_contents (out, &written, &written_len, NULL));
  g_assert_cmpmem (written, written_len, data, len);
  thaw_test_rmdir (dir);
  st_vm_free (vm);
  timage_clear (&t);
}

/* ---- damage ---- */

static GBytes *
synthetic_bytes (TImage *t)
{
  timage_init (t, 6504, FALSE);
  return timage_bytes (t);
}

static guint32
data_off_of (TImage *t, int id)
{
  /* file offset of the object's first header word */
  return 64 + t->addr[id] - t->base - 4 * (hdr_words (t->o[id].type) - 1);
}

static void
poke (guint8 *d, guint32 off, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (d + off, &v, 4);
}

static void
expect_error (const guint8 *d, gsize len, int code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read_buffer (d, len, "damaged", ST_READ_STRICT, &error);
  g_assert_null (vm);
  g_assert_error (error, ST_IMAGE_ERROR, code);
  if (strstr (error->message, needle) == NULL)
    g_error ("expected \"%s\" in: %s", needle, error->message);
}

/* Salvage mode still gives a walkable heap, with at least one defect at `off`. */
static void
expect_salvage (const guint8 *d, gsize len, uint64_t off)
{
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read_buffer (d, len, "damaged", ST_READ_SALVAGE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vm);
  g_assert_cmpuint (vm->defects->len, >=, 1);
  gboolean found = FALSE;
  for (guint i = 0; i < vm->defects->len; i++)
    found |= ((StDefect *) g_ptr_array_index (vm->defects, i))->file_offset == off;
  g_assert_true (found);
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  while (st_heap_walk_next (&w))
    ;
  g_assert_false (w.damaged);
  g_assert_cmphex (st_special (vm, ST_SPLOB_NIL_OBJECT), ==, vm->nil_obj);
  st_vm_free (vm);
}

static void
test_damaged_truncated (void)
{
  TImage t;
  g_autoptr (GBytes) bytes = synthetic_bytes (&t);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  /* The file ends before the header's data size. */
  expect_error (data, len - 100, ST_IMAGE_ERROR_TRUNCATED, "offset 8");
  /* The data size cuts the last object in two. */
  g_autofree guint8 *d = g_memdup2 (data, len);
  guint32 cut = data_off_of (&t, O_HUGE) + 40 - 64;
  poke (d, 8, cut);
  g_autofree char *want = g_strdup_printf ("offset %u:", data_off_of (&t, O_HUGE));
  expect_error (d, len, ST_IMAGE_ERROR_BAD_OBJECT, want);
  expect_salvage (d, len, data_off_of (&t, O_HUGE));
  timage_clear (&t);
}

static void
test_damaged_header (void)
{
  TImage t;
  g_autoptr (GBytes) bytes = synthetic_bytes (&t);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autofree guint8 *d = g_memdup2 (data, len);
  /* The string's class word made a free block of 0 bytes. */
  guint32 off = data_off_of (&t, O_STRING);
  poke (d, off, 2);
  g_autofree char *want = g_strdup_printf ("offset %u: free block", off);
  expect_error (d, len, ST_IMAGE_ERROR_BAD_OBJECT, want);
  expect_salvage (d, len, off);
  /* A 2-word header whose base header says type 3. */
  memcpy (d, data, len);
  guint32 bh = (402 << 17) | (6 << 8) | (4 << 2) | 3;
  off = data_off_of (&t, O_WORDS);
  poke (d, off + 4, bh);
  g_free (want);
  want = g_strdup_printf ("offset %u: 2-word header", off);
  expect_error (d, len, ST_IMAGE_ERROR_BAD_OBJECT, want);
  /* A size that runs past the data. */
  memcpy (d, data, len);
  off = data_off_of (&t, O_BIG);
  poke (d, off, 0x7FFFFF00);
  g_free (want);
  want = g_strdup_printf ("offset %u: object header", off);
  expect_error (d, len, ST_IMAGE_ERROR_BAD_OBJECT, want);
  expect_salvage (d, len, off);
  timage_clear (&t);
}

static void
test_damaged_pointers (void)
{
  TImage t;
  g_autoptr (GBytes) bytes = synthetic_bytes (&t);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autofree guint8 *d = g_memdup2 (data, len);
  /* The string's class pointer into the middle of the big Array. */
  guint32 off = data_off_of (&t, O_STRING);
  poke (d, off, (t.addr[O_BIG] + 8) | 1);
  g_autofree char *want = g_strdup_printf ("offset %u: object at V3 address 0x%08x has class pointer",
                                           off, t.addr[O_STRING]);
  expect_error (d, len, ST_IMAGE_ERROR_BAD_OBJECT, want);
  expect_salvage (d, len, off);
  /* A slot pointing outside the heap: its own offset is reported. */
  memcpy (d, data, len);
  guint32 slot_off = 64 + t.addr[O_HUGE] - t.base + 4 + 4 * 5;
  poke (d, slot_off, 0x7FFFFFF0);
  g_free (want);
  want = g_strdup_printf ("offset %u: slot 5 of the object at V3 address 0x%08x holds 0x7ffffff0",
                          slot_off, t.addr[O_HUGE]);
  expect_error (d, len, ST_IMAGE_ERROR_BAD_OBJECT, want);
  expect_salvage (d, len, slot_off);
  /* A short header whose compact class index names nothing. */
  memcpy (d, data, len);
  off = data_off_of (&t, O_CCARR);
  poke (d, off, (104 << 17) | (9 << 12) | (2 << 8) | (32 << 2) | 3);
  expect_error (d, len, ST_IMAGE_ERROR_BAD_OBJECT, "compact class index 9");
  /* The special objects oop points nowhere: a header error. */
  memcpy (d, data, len);
  poke (d, 16, t.base + 2);
  expect_error (d, len, ST_IMAGE_ERROR_BAD_HEADER, "offset 16");
  timage_clear (&t);
}

/* Every prefix of the file: an error or a VM, never a crash. */
static void
test_damaged_every_length (void)
{
  TImage t;
  g_autoptr (GBytes) bytes = synthetic_bytes (&t);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autofree guint8 *d = g_memdup2 (data, len);
  for (gsize cut = 64; cut < len; cut += 4)
    {
      poke (d, 8, (guint32) (cut - 64));
      for (int mode = 0; mode < 2; mode++)
        {
          GError *error = NULL;
          StVM *vm = st_image_read_buffer (d, cut, "cut", mode ? ST_READ_SALVAGE : ST_READ_STRICT, &error);
          g_assert_true ((vm == NULL) != (error == NULL));
          g_clear_error (&error);
          st_vm_free (vm);
        }
    }
  /* Random words overwritten: same promise. */
  GRand *rand = g_rand_new_with_seed (1234);
  for (int round = 0; round < 300; round++)
    {
      memcpy (d, data, len);
      for (int k = 0; k < 4; k++)
        poke (d, 64 + 4 * g_rand_int_range (rand, 0, (gint32) ((len - 64) / 4)), g_rand_int (rand));
      for (int mode = 0; mode < 2; mode++)
        {
          GError *error = NULL;
          StVM *vm = st_image_read_buffer (d, len, "random", mode ? ST_READ_SALVAGE : ST_READ_STRICT, &error);
          g_assert_true ((vm == NULL) != (error == NULL));
          g_clear_error (&error);
          st_vm_free (vm);
        }
    }
  g_rand_free (rand);
  timage_clear (&t);
}

/* ---- heaps without a recorded V3 layout ---- */

static void
test_builder_v3 (void)
{
  ThawBuilder *b = thaw_builder_new (ST_FAMILY_V3, 4);
  const ThawBuilderObjects *k = thaw_builder_objects (b);
  StOop s = thaw_builder_string (b, "a V3 string");
  thaw_builder_global (b, "Greeting", s);
  StOop f = thaw_builder_float (b, 2.5);
  thaw_builder_global (b, "AFloat", f);
  StVM *vm = thaw_builder_finish (b);
  g_assert_nonnull (vm);
  g_assert_null (st_v3_layout (vm));
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autoptr (GError) error = NULL;
  g_autofree char *out = write_to_tmp (vm, dir, "built.image", &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);

  StVM *back = st_image_read (out, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  g_assert_cmpuint (back->personality.family, ==, ST_FAMILY_V3);
  /* The same objects: count every real object of both heaps. */
  guint64 counts[2] = { 0, 0 };
  StVM *vms[2] = { vm, back };
  for (int i = 0; i < 2; i++)
    {
      StHeapWalk w;
      st_heap_walk_init (&w, vms[i]);
      StOop o;
      while ((o = st_heap_walk_next (&w)) != 0)
        counts[i] += st_class_index (vms[i], o) >= ST_CLASS_INDEX_FIRST_REAL;
    }
  g_assert_cmpuint (counts[0], ==, counts[1]);
  /* Class names survive; the string and the float too. */
  StOop arr = st_special (back, ST_SPLOB_CLASS_ARRAY);
  StOop name = st_fetch (back, arr, 6);
  g_assert_cmpmem (st_bytes (back, name), st_byte_length (back, name), "Array", 5);
  g_assert_cmpuint (st_hash (back, arr) & 0xFFF, ==, st_hash (vm, k->array_class) & 0xFFF);
  /* Writing the re-read heap gives the same file again. */
  g_autofree char *out2 = write_to_tmp (back, dir, "again.image", &error);
  g_assert_no_error (error);
  g_autofree char *a = NULL, *c = NULL;
  gsize alen, clen;
  g_assert_true (g_file_get_contents (out, &a, &alen, NULL));
  g_assert_true (g_file_get_contents (out2, &c, &clen, NULL));
  g_assert_cmpmem (a, alen, c, clen);
  thaw_test_rmdir (dir);
  st_vm_free (back);
  st_vm_free (vm);
  thaw_builder_free (b);
}

static void
test_refuse_spur (void)
{
  ThawBuilder *b = thaw_builder_new (ST_FAMILY_SPUR, 8);
  StVM *vm = thaw_builder_finish (b);
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "x.image", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_false (st_image_write (vm, path, ST_IMAGE_KIND_V3, ST_WRITE_DEFAULT, &error));
  g_assert_nonnull (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  thaw_test_rmdir (dir);
  st_vm_free (vm);
  thaw_builder_free (b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/v3/synthetic-le", test_synthetic_le);
  g_test_add_func ("/engine/v3/synthetic-be", test_synthetic_be);
  g_test_add_func ("/engine/v3/synthetic-native-floats", test_synthetic_native_floats);
  g_test_add_func ("/engine/v3/synthetic-prefix", test_synthetic_prefix);
  g_test_add_func ("/engine/v3/synthetic-odd-layout", test_synthetic_odd_layout);
  g_test_add_func ("/engine/v3/damaged-truncated", test_damaged_truncated);
  g_test_add_func ("/engine/v3/damaged-header", test_damaged_header);
  g_test_add_func ("/engine/v3/damaged-pointers", test_damaged_pointers);
  g_test_add_func ("/engine/v3/damaged-every-length", test_damaged_every_length);
  g_test_add_func ("/engine/v3/builder-v3-writes", test_builder_v3);
  g_test_add_func ("/engine/v3/refuse-spur-heap", test_refuse_spur);
  return g_test_run ();
}
