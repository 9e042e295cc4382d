/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The real Spur 32-bit images: widened into the 64-bit heap, checked object
 * by object, and written back byte for byte. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "digest.h"
#include "image-read.h"
#include "image-write.h"
#include "method.h"
#include "support.h"

typedef struct {
  const char *folder;
  const char *file;
  guint64     objects;      /* objects in the file, free chunks and forwarders included */
  guint       free_chunks;
  guint       forwarders;
} Spur32Image;

static const Spur32Image images[] = {
  { "squeakjs-headless32", "headless.image", 2493, 0, 44 },
  { "cpnode-tiny32", "client-environment.image", 4843, 48, 0 },
};

static StVM *
load (const Spur32Image *im, char **path_out)
{
  char *path = thaw_test_real_image (im->folder, im->file);
  if (path == NULL)
    return NULL;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vm);
  if (path_out != NULL)
    *path_out = path;
  else
    g_free (path);
  return vm;
}

static gboolean
is_string (StVM *vm, StOop o, const char *s)
{
  return st_is_pointer (o) && st_fmt_is_bytes (st_format (vm, o)) && st_byte_length (vm, o) == strlen (s)
         && memcmp (st_bytes (vm, o), s, strlen (s)) == 0;
}

/* Count the chunks reachable from the free-lists heads (lists and tree). */
static guint
count_listed (StVM *vm, StOop chunk, guint depth)
{
  guint n = 0;
  g_assert_cmpuint (depth, <, 64);
  for (StOop c = chunk; c != 0; c = st_fetch (vm, c, 0))
    {
      g_assert_true (st_addr_in_heap (vm, c));
      g_assert_cmpuint (st_class_index (vm, c), ==, ST_CLASS_INDEX_FREE);
      n++;
      g_assert_cmpuint (n, <, 1000000);
    }
  return n;
}

static guint
count_tree (StVM *vm, StOop node, guint depth)
{
  if (node == 0)
    return 0;
  g_assert_cmpuint (depth, <, 64);
  uint64_t units = (st_object_end (vm, node) - st_object_start (vm, node)) / 8;
  g_assert_cmpuint (units, >=, ST_NUM_FREE_LISTS);
  StOop smaller = st_fetch (vm, node, 3), larger = st_fetch (vm, node, 4);
  if (smaller)
    g_assert_cmphex (st_fetch (vm, smaller, 2), ==, node);
  if (larger)
    g_assert_cmphex (st_fetch (vm, larger, 2), ==, node);
  return count_listed (vm, node, depth) + count_tree (vm, smaller, depth + 1) + count_tree (vm, larger, depth + 1);
}

static void
test_read (gconstpointer data)
{
  const Spur32Image *im = data;
  StVM *vm = load (im, NULL);
  if (vm == NULL)
    return;
  g_assert_cmpuint (vm->personality.word_bytes, ==, 4);
  g_assert_true (vm->personality.family == ST_FAMILY_SPUR);
  g_assert_cmpuint (vm->header.image_format, ==, 6521);
  g_assert_cmpuint (vm->n_segments, ==, 1);
  g_assert_cmpuint (vm->defects->len, ==, 0);

  /* nil, false, true come first and the special objects array names them */
  g_assert_cmphex (vm->nil_obj, ==, 0x3204000);
  g_assert_cmphex (st_special (vm, ST_SPLOB_NIL_OBJECT), ==, vm->nil_obj);
  g_assert_cmphex (st_special (vm, ST_SPLOB_FALSE_OBJECT), ==, vm->false_obj);
  g_assert_cmphex (st_special (vm, ST_SPLOB_TRUE_OBJECT), ==, vm->true_obj);
  g_assert_cmpuint (st_special_count (vm), >=, 52);

  /* the class table: fixed indices hold the classes the special objects name,
   * and each class's hash is its index */
  g_assert_cmphex (st_class_at_index (vm, ST_CLASS_INDEX_ARRAY), ==, st_special (vm, ST_SPLOB_CLASS_ARRAY));
  g_assert_cmphex (st_class_at_index (vm, ST_CLASS_INDEX_BYTE_STRING), ==, st_special (vm, ST_SPLOB_CLASS_BYTESTRING));
  g_assert_cmphex (st_class_at_index (vm, ST_CLASS_INDEX_FLOAT), ==, st_special (vm, ST_SPLOB_CLASS_FLOAT));
  g_assert_cmphex (st_class_at_index (vm, ST_CLASS_INDEX_CONTEXT), ==, st_special (vm, ST_SPLOB_CLASS_METHOD_CONTEXT));
  g_assert_cmpuint (st_hash (vm, st_special (vm, ST_SPLOB_CLASS_ARRAY)), ==, ST_CLASS_INDEX_ARRAY);
  g_assert_cmphex (st_class_of (vm, st_smallint_oop (3)), ==, st_special (vm, ST_SPLOB_CLASS_SMALLINTEGER));
  g_assert_cmphex (st_class_of (vm, st_special (vm, ST_SPLOB_SPECIAL_SELECTORS)), ==,
                   st_special (vm, ST_SPLOB_CLASS_ARRAY));

  /* symbols read as their bytes */
  g_assert_true (is_string (vm, st_special (vm, ST_SPLOB_SELECTOR_DOES_NOT_UNDERSTAND), "doesNotUnderstand:"));
  g_assert_true (is_string (vm, st_special (vm, ST_SPLOB_SELECTOR_MUST_BE_BOOLEAN), "mustBeBoolean"));
  StOop specials = st_special (vm, ST_SPLOB_SPECIAL_SELECTORS);
  g_assert_true (is_string (vm, st_fetch (vm, specials, 0), "+"));
  g_assert_cmpint (st_smallint_value (st_fetch (vm, specials, 1)), ==, 1);

  /* every object walks; the widened objects make sense one by one */
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  guint64 n = 0;
  guint free_chunks = 0, forwarders = 0, methods = 0, contexts = 0;
  gboolean pi = FALSE;
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0)
    {
      n++;
      guint32 ci = st_class_index (vm, o);
      guint fmt = st_format (vm, o);
      if (ci == ST_CLASS_INDEX_FREE)
        {
          free_chunks++;
          continue;
        }
      if (ci == ST_CLASS_INDEX_FORWARDER)
        {
          forwarders++;
          g_assert_true (st_addr_in_heap (vm, st_fetch (vm, o, 0)));
          continue;
        }
      if (ci >= ST_CLASS_INDEX_FIRST_REAL)
        g_assert_cmpuint (st_class_at_index (vm, ci), !=, 0);
      if (st_fmt_is_pointers (fmt))
        for (uint64_t k = 0; k < st_num_slots (vm, o); k++)
          {
            StOop v = st_fetch (vm, o, k);
            g_assert_false (st_is_smallfloat (v));
            if (st_is_pointer (v))
              g_assert_true (st_addr_in_heap (vm, v));
          }
      if (ci == ST_CLASS_INDEX_FLOAT)
        {
          g_assert_cmpuint (st_num_slots (vm, o), ==, 1);
          double d;
          memcpy (&d, st_bytes (vm, o), sizeof d);
          pi |= d == G_PI;
        }
      if (st_fmt_is_method (fmt))
        {
          StMethodHeader mh;
          const char *why = NULL;
          g_assert_true (st_method_header (vm, o, &mh, &why));
          methods++;
        }
      if (ci == ST_CLASS_INDEX_CONTEXT && st_is_smallint (st_fetch (vm, o, 1)))
        {
          /* pcs count bytes from the method's first slot, 64-bit layout */
          StMethodHeader mh;
          g_assert_true (st_method_header (vm, st_fetch (vm, o, 3), &mh, NULL));
          int64_t pc = st_smallint_value (st_fetch (vm, o, 1));
          g_assert_cmpint (pc, >=, (int64_t) mh.initial_pc);
          g_assert_cmpint (pc, <=, (int64_t) mh.end_pc);
          contexts++;
        }
    }
  g_assert_false (w.damaged);
  g_assert_cmpuint (n, ==, im->objects);
  g_assert_cmpuint (free_chunks, ==, im->free_chunks);
  g_assert_cmpuint (forwarders, ==, im->forwarders);
  g_assert_cmpuint (methods, >, 900);
  g_assert_cmpuint (contexts, >=, 1);
  g_assert_true (pi);   /* Float pi, with its words in the right order */

  /* the free-lists object grew to 64 heads of 64 bits and lists every chunk */
  g_assert_cmpuint (st_class_index (vm, vm->free_lists_obj), ==, ST_CLASS_INDEX_LONGS64_PUN);
  g_assert_cmpuint (st_num_slots (vm, vm->free_lists_obj), ==, ST_NUM_FREE_LISTS);
  guint listed = count_tree (vm, st_fetch (vm, vm->free_lists_obj, 0), 0);
  for (guint i = 1; i < ST_NUM_FREE_LISTS; i++)
    {
      StOop head = st_fetch (vm, vm->free_lists_obj, i);
      for (StOop c = head; c != 0; c = st_fetch (vm, c, 0))
        g_assert_cmpuint ((st_object_end (vm, c) - st_object_start (vm, c)) / 8, ==, i);
      listed += count_listed (vm, head, 0);
    }
  g_assert_cmpuint (listed, ==, im->free_chunks);
  st_vm_free (vm);
}

static char *
write_temp (StVM *vm, const char *dir, const char *name)
{
  char *out = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_image_write (vm, out, ST_IMAGE_KIND_SPUR32, ST_WRITE_DEFAULT, &error));
  g_assert_no_error (error);
  return out;
}

static void
assert_same_file (const char *a, const char *b)
{
  g_autofree char *x = NULL, *y = NULL;
  gsize nx = 0, ny = 0;
  g_assert_true (g_file_get_contents (a, &x, &nx, NULL));
  g_assert_true (g_file_get_contents (b, &y, &ny, NULL));
  g_assert_cmpuint (nx, ==, ny);
  for (gsize i = 0; i < nx; i++)
    if (x[i] != y[i])
      g_error ("%s and %s differ first at offset %" G_GSIZE_FORMAT, a, b, i);
}

static void
test_round_trip (gconstpointer data)
{
  const Spur32Image *im = data;
  g_autofree char *path = NULL;
  StVM *vm = load (im, &path);
  if (vm == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out = write_temp (vm, dir, "same.image");
  assert_same_file (path, out);
  st_vm_free (vm);

  /* and the copy reads as the original did */
  g_autoptr (GError) error = NULL;
  vm = st_image_read (out, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_autofree char *again = write_temp (vm, dir, "again.image");
  assert_same_file (path, again);
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

/* Written big-endian, the image reads back to the same heap, and written
 * little-endian again it is the original file. */
static void
test_big_endian (gconstpointer data)
{
  const Spur32Image *im = data;
  g_autofree char *path = NULL;
  StVM *le = load (im, &path);
  if (le == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  le->personality.big_endian = TRUE;
  g_autofree char *be_path = write_temp (le, dir, "be.image");
  le->personality.big_endian = FALSE;

  g_autoptr (GError) error = NULL;
  StVM *be = st_image_read (be_path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_true (be->personality.big_endian);
  g_assert_cmpuint (be->n_segments, ==, le->n_segments);
  g_assert_cmpuint (be->segments[0].bytes, ==, le->segments[0].bytes);
  /* the heaps are the same word for word */
  const guint8 *a = (const guint8 *) st_ptr (le, le->segments[0].start);
  const guint8 *b = (const guint8 *) st_ptr (be, be->segments[0].start);
  g_assert_cmpmem (a, le->segments[0].bytes, b, be->segments[0].bytes);

  g_autofree char *be_again = write_temp (be, dir, "be-again.image");
  assert_same_file (be_path, be_again);
  be->personality.big_endian = FALSE;
  g_autofree char *le_again = write_temp (be, dir, "le-again.image");
  assert_same_file (path, le_again);
  st_vm_free (be);
  st_vm_free (le);
  thaw_test_rmdir (dir);
}

static StOop
find_instance (StVM *vm, guint32 class_index, uint64_t min_slots)
{
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0)
    if (st_class_index (vm, o) == class_index && st_num_slots (vm, o) >= min_slots)
      return o;
  return 0;
}

/* Values with no 32-bit form are refused, naming the object and slot. */
static void
test_narrow_refusals (void)
{
  StVM *vm = load (&images[1], NULL);
  if (vm == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "x.image", NULL);
  StOop array = find_instance (vm, ST_CLASS_INDEX_ARRAY, 3);
  g_assert_cmpuint (array, !=, 0);
  StOop saved = st_fetch (vm, array, 2);
  g_autofree char *where = g_strdup_printf ("slot 2 of the object at 0x%" G_GINT64_MODIFIER "x", array);

  struct { StOop value; const char *says; } cases[] = {
    { st_smallint_oop (G_GINT64_CONSTANT (1) << 30), "does not fit in 31 bits" },
    { st_smallint_oop (-(G_GINT64_CONSTANT (1) << 30) - 1), "does not fit in 31 bits" },
    { 0, "SmallFloat64" },
    { st_character_oop (1u << 30), "does not fit in 30 bits" },
    { 0x10, "not an object in the heap" },
  };
  g_assert_true (st_smallfloat_encode (1.5, &cases[2].value));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      st_store (vm, array, 2, cases[i].value);
      g_autoptr (GError) error = NULL;
      g_assert_false (st_image_write (vm, out, ST_IMAGE_KIND_SPUR32, ST_WRITE_FORCE, &error));
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, cases[i].says));
      g_assert_nonnull (strstr (error->message, where));
      g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
    }
  /* the edges that do fit */
  st_store (vm, array, 2, st_smallint_oop ((G_GINT64_CONSTANT (1) << 30) - 1));
  g_autoptr (GError) error = NULL;
  g_assert_true (st_image_write (vm, out, ST_IMAGE_KIND_SPUR32, ST_WRITE_FORCE, &error));
  g_assert_no_error (error);
  StVM *back = st_image_read (out, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpint (st_smallint_value (st_fetch (back, array, 2)), ==, (G_GINT64_CONSTANT (1) << 30) - 1);
  st_vm_free (back);
  st_store (vm, array, 2, saved);
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

/* Reading 32-bit words of a written file by address. */
typedef struct {
  const guint8 *d;
  gsize len;
  guint32 base;
} File32;

static guint32
at32 (const File32 *f, guint32 addr)
{
  gsize off = 64 + (gsize) (addr - f->base);
  g_assert_cmpuint (off + 4, <=, f->len);
  guint32 v;
  memcpy (&v, f->d + off, 4);
  return GUINT32_FROM_LE (v);
}

static guint
count_file_list (const File32 *f, guint32 c)
{
  guint n = 0;
  for (; c != 0; c = at32 (f, c + 8))
    {
      g_assert_cmpuint (at32 (f, c) & 0x3FFFFF, ==, 0);   /* a free chunk */
      n++;
      g_assert_cmpuint (n, <, 100000);
    }
  return n;
}

static guint
count_file_tree (const File32 *f, guint32 node, guint depth)
{
  if (node == 0)
    return 0;
  g_assert_cmpuint (depth, <, 64);
  return count_file_list (f, node) + count_file_tree (f, at32 (f, node + 8 + 12), depth + 1)
         + count_file_tree (f, at32 (f, node + 8 + 16), depth + 1);
}

/* When the free chunks change, the writer plans 32-bit free lists afresh:
 * every remaining chunk is listed once, in the list of its own size. */
static void
test_changed_free_chunks (void)
{
  StVM *vm = load (&images[1], NULL);
  if (vm == NULL)
    return;
  StOop chunk = find_instance (vm, ST_CLASS_INDEX_FREE, 2);
  g_assert_cmpuint (chunk, !=, 0);
  /* the chunk becomes an Array of nils */
  st_set_header (vm, chunk, st_hdr_with_format (st_hdr_with_class_index (st_header (vm, chunk), ST_CLASS_INDEX_ARRAY),
                                                ST_FMT_INDEXABLE));
  for (uint64_t k = 0; k < st_num_slots (vm, chunk); k++)
    st_store (vm, chunk, k, vm->nil_obj);
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out = write_temp (vm, dir, "changed.image");
  st_vm_free (vm);

  g_autofree char *d = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (out, &d, &len, NULL));
  File32 f = { (const guint8 *) d, len, 0x3204000 };
  guint32 free_lists = 0x3204000 + 48;    /* nil, false, true: 16 bytes each */
  g_assert_cmpuint (at32 (&f, free_lists) & 0x3FFFFF, ==, ST_CLASS_INDEX_LONGS32_PUN);
  guint listed = count_file_tree (&f, at32 (&f, free_lists + 8), 0);
  for (guint i = 1; i < 32; i++)
    {
      guint32 head = at32 (&f, free_lists + 8 + 4 * i);
      for (guint32 c = head; c != 0; c = at32 (&f, c + 8))
        {
          guint32 n32 = at32 (&f, c + 4) >> 24;
          g_assert_cmpuint (8 + (n32 < 2 ? 8 : ((n32 + 1) & ~1u) * 4), ==, i * 8);
        }
      listed += count_file_list (&f, head);
    }
  g_assert_cmpuint (listed, ==, images[1].free_chunks - 1);
  /* the header's free space counts the chunks left */
  guint32 free_old;
  memcpy (&free_old, d + 52, 4);
  g_assert_cmpuint (GUINT32_FROM_LE (free_old), <, 2112);

  g_autoptr (GError) error = NULL;
  StVM *back = st_image_read (out, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  st_vm_free (back);
  thaw_test_rmdir (dir);
}

/* A 64-bit image narrows when its values fit; Pharo's kernel holds a
 * SmallInteger beyond 31 bits, and the refusal says where. */
static void
test_narrow_pharo (void)
{
  g_autofree char *path = thaw_test_real_image ("pharo8-kernel64", "Pharo.image");
  if (path == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "p32.image", NULL);
  g_assert_false (st_image_write (vm, out, ST_IMAGE_KIND_SPUR32, ST_WRITE_DEFAULT, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "does not fit in 31 bits"));
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

/* With a 512-byte exec prefix before the header: read, and written back
 * with the prefix, byte for byte. */
static void
test_prefixed (void)
{
  g_autofree char *path = thaw_test_real_image ("squeakjs-headless32", "headless.image");
  if (path == NULL)
    return;
  char *d;
  gsize len;
  g_assert_true (g_file_get_contents (path, &d, &len, NULL));
  gsize plen = 512 + len;
  guint8 *p = g_malloc (plen);
  memset (p, '#', 512);
  memcpy (p, "#!/usr/bin/env squeak\n", 22);
  memcpy (p + 512, d, len);
  g_free (d);
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read_buffer (p, plen, "prefixed", ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vm->personality.header_offset, ==, 512);
  g_assert_true (is_string (vm, st_special (vm, ST_SPLOB_SELECTOR_DOES_NOT_UNDERSTAND), "doesNotUnderstand:"));
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out = write_temp (vm, dir, "prefixed.image");
  char *back;
  gsize blen;
  g_assert_true (g_file_get_contents (out, &back, &blen, NULL));
  g_assert_cmpmem (back, blen, p, plen);
  g_free (back);
  g_free (p);
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

/* Through a 64-bit file and back: the same object graph (digest) and the
 * same file size; only what a 64-bit file cannot carry (the stale words of
 * free chunks and forwarders, padding words) may differ. */
static void
test_via_spur64 (gconstpointer data)
{
  const Spur32Image *im = data;
  g_autofree char *path = NULL;
  StVM *vm = load (im, &path);
  if (vm == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *p64 = g_build_filename (dir, "wide.image", NULL);
  g_autoptr (GError) error = NULL;
  guint8 d0[32], d1[32];
  g_assert_true (st_digest (vm, d0, &error));
  g_assert_no_error (error);
  g_assert_true (st_image_write (vm, p64, ST_IMAGE_KIND_SPUR64, ST_WRITE_DEFAULT, &error));
  g_assert_no_error (error);
  st_vm_free (vm);
  vm = st_image_read (p64, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vm->personality.word_bytes, ==, 8);
  g_autofree char *p32 = write_temp (vm, dir, "narrow.image");
  st_vm_free (vm);
  vm = st_image_read (p32, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_true (st_digest (vm, d1, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (d0, 32, d1, 32);
  st_vm_free (vm);
  GStatBuf a, b;
  g_assert_cmpint (g_stat (path, &a), ==, 0);
  g_assert_cmpint (g_stat (p32, &b), ==, 0);
  g_assert_cmpint (a.st_size, ==, b.st_size);
  thaw_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (images); i++)
    {
      g_autofree char *a = g_strdup_printf ("/image/spur32/read/%s", images[i].folder);
      g_autofree char *b = g_strdup_printf ("/image/spur32/round-trip/%s", images[i].folder);
      g_autofree char *c = g_strdup_printf ("/image/spur32/big-endian/%s", images[i].folder);
      g_test_add_data_func (a, &images[i], test_read);
      g_test_add_data_func (b, &images[i], test_round_trip);
      g_test_add_data_func (c, &images[i], test_big_endian);
      g_autofree char *d = g_strdup_printf ("/image/spur32/via-spur64/%s", images[i].folder);
      g_test_add_data_func (d, &images[i], test_via_spur64);
    }
  g_test_add_func ("/image/spur32/narrow-refusals", test_narrow_refusals);
  g_test_add_func ("/image/spur32/changed-free-chunks", test_changed_free_chunks);
  g_test_add_func ("/image/spur32/narrow-pharo8", test_narrow_pharo);
  g_test_add_func ("/image/spur32/exec-prefix", test_prefixed);
  return g_test_run ();
}
