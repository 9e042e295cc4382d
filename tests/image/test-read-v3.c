/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every real V3 image loads into the Spur heap, and writes back to the
 * same bytes (also through a big-endian copy). */
#include "config.h"

#include <string.h>

#include "heap-check.h"
#include "image-read.h"
#include "image-v3.h"
#include "image-write.h"
#include "support.h"

typedef struct {
  const char *folder;
  const char *file;
  guint32     format;
  guint64     objects;       /* V3 objects in the file (counted by an independent scan) */
  const char *prefix;        /* class names start with it ("PC" in the bootstrapped image) */
  bool        float_pool;    /* Float's class pool holds Pi */
  bool        checks_clean;  /* the integrity checker finds nothing */
} V3Image;

static const V3Image v3_images[] = {
  { "cuis4.1", "Cuis4.1-1544-reduced.image", 6504, 71890, "", true, true },
  { "cuis3.1r3", "Cuis3.1r3.image", 6504, 50534, "", true, true },
  { "squeak-mini", "mini.image", 6502, 17692, "", true, true },
  { "squeakjs-benchmark", "benchmark.image", 6502, 17041, "", true, true },
  /* Its PCCompiledMethod class says byte instances (instSpec 8) while its
   * 830 methods have method formats: the checker rightly reports them. */
  { "rsqueak-bootstrapped", "bootstrapped.image", 6505, 2525, "PC", false, false },
  { "scratch", "Scratch.image", 6502, 83459, "", true, true },
};

/* A class's name (slot 6, a Symbol), or "". */
static char *
class_name (StVM *vm, StOop cls)
{
  if (cls == 0 || st_num_slots (vm, cls) < 7)
    return g_strdup ("");
  StOop name = st_fetch (vm, cls, 6);
  if (!st_is_pointer (name) || !st_addr_in_heap (vm, name) || !st_fmt_is_bytes (st_format (vm, name)))
    return g_strdup ("");
  return g_strndup ((const char *) st_bytes (vm, name), st_byte_length (vm, name));
}

static void
assert_class_named (StVM *vm, StOop cls, const char *prefix, const char *name)
{
  g_autofree char *want = g_strconcat (prefix, name, NULL);
  g_autofree char *got = class_name (vm, cls);
  g_assert_cmpstr (got, ==, want);
  /* Its class index hits it in the class table, and keeps the V3 hash. */
  g_assert_cmphex (st_class_at_index (vm, st_hash (vm, cls)), ==, cls);
  g_assert_cmpuint (st_hash (vm, cls), >=, ST_CLASS_INDEX_FIRST_REAL);
}

/* Float class pool: Pi -> 3.14159... */
static void
assert_float_pi (StVM *vm)
{
  StOop fc = st_special (vm, ST_SPLOB_CLASS_FLOAT);
  StOop pool = st_fetch (vm, fc, 7);
  StOop array = st_fetch (vm, pool, 1);
  gboolean found = FALSE;
  for (guint64 i = 0; i < st_num_slots (vm, array); i++)
    {
      StOop assoc = st_fetch (vm, array, i);
      if (assoc == vm->nil_obj)
        continue;
      StOop key = st_fetch (vm, assoc, 0);
      if (st_byte_length (vm, key) != 2 || memcmp (st_bytes (vm, key), "Pi", 2) != 0)
        continue;
      StOop value = st_fetch (vm, assoc, 1);
      g_assert_cmphex (st_class_of (vm, value), ==, fc);
      double d;
      memcpy (&d, st_ptr (vm, value) + 1, 8);
      g_assert_cmpfloat (d, ==, G_PI);
      found = TRUE;
    }
  g_assert_true (found);
}

static void
test_read_write (gconstpointer data)
{
  const V3Image *img = data;
  g_autofree char *path = thaw_test_real_image (img->folder, img->file);
  if (path == NULL)
    return;
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  gint64 t1 = g_get_monotonic_time ();
  g_assert_no_error (error);
  g_assert_nonnull (vm);
  g_test_message ("%s: %" G_GUINT64_FORMAT " bytes of objects read in %.1f ms (%.0f MB/s)", img->file,
                  vm->header.data_size, (t1 - t0) / 1000.0, vm->header.data_size / ((t1 - t0) / 1e6) / 1e6);
  g_assert_cmpuint (vm->personality.format, ==, img->format);
  g_assert_true (vm->personality.family == ST_FAMILY_V3);
  const StV3Layout *layout = st_v3_layout (vm);
  g_assert_nonnull (layout);
  g_assert_cmpuint (layout->n_objects, ==, img->objects);

  /* nil, false, true first, and the special objects array names them. */
  g_assert_cmphex (vm->nil_obj, ==, vm->segments[0].start);
  g_assert_cmphex (st_special (vm, ST_SPLOB_NIL_OBJECT), ==, vm->nil_obj);
  g_assert_cmphex (st_special (vm, ST_SPLOB_FALSE_OBJECT), ==, vm->false_obj);
  g_assert_cmphex (st_special (vm, ST_SPLOB_TRUE_OBJECT), ==, vm->true_obj);
  assert_class_named (vm, st_class_of (vm, vm->nil_obj), img->prefix, "UndefinedObject");
  assert_class_named (vm, st_class_of (vm, vm->true_obj), img->prefix, "True");
  assert_class_named (vm, st_special (vm, ST_SPLOB_CLASS_ARRAY), img->prefix, "Array");
  assert_class_named (vm, st_class_of (vm, vm->special_objects), img->prefix, "Array");
  assert_class_named (vm, st_special (vm, ST_SPLOB_CLASS_COMPILED_METHOD), img->prefix, "CompiledMethod");
  assert_class_named (vm, st_special (vm, ST_SPLOB_CLASS_FLOAT), img->prefix, "Float");
  g_autofree char *si = class_name (vm, st_class_at_index (vm, ST_CLASS_INDEX_SMALLINTEGER));
  g_autofree char *si_want = g_strconcat (img->prefix, "SmallInteger", NULL);
  g_assert_cmpstr (si, ==, si_want);
  if (img->float_pool)
    assert_float_pi (vm);

  /* Every object walks; the count is the file's plus the hidden objects. */
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  guint64 n = 0, hidden = 0;
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0)
    {
      n++;
      guint32 ci = st_class_index (vm, o);
      hidden += ci >= ST_CLASS_INDEX_ARRAY_PUN && ci < ST_CLASS_INDEX_FIRST_REAL;
      if (ci >= ST_CLASS_INDEX_FIRST_REAL)
        g_assert_cmphex (st_class_at_index (vm, ci), !=, 0);
    }
  g_assert_false (w.damaged);
  g_assert_cmpuint (n, ==, img->objects + hidden);
  g_assert_cmpuint (hidden, >=, 3);

  /* The integrity checker agrees: every pointer hits an object, every
   * class index a class. */
  StCheckReport *report = st_heap_check (vm, NULL);
  if (img->checks_clean)
    {
      if (report->n_findings_total != 0)
        g_test_message ("first finding: %s", report->findings[0].message);
      g_assert_cmpuint (report->n_findings_total, ==, 0);
    }
  else
    for (guint i = 0; i < report->n_findings; i++)
      g_assert_cmpstr (st_finding_kind_name (report->findings[i].kind), ==,
                       st_finding_kind_name (report->findings[0].kind));
  st_check_report_free (report);

  /* Written back: the same bytes. */
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "same.image", NULL);
  t0 = g_get_monotonic_time ();
  g_assert_true (st_image_write (vm, out, ST_IMAGE_KIND_SAME, ST_WRITE_DEFAULT, &error));
  t1 = g_get_monotonic_time ();
  g_assert_no_error (error);
  g_test_message ("%s: written in %.1f ms", img->file, (t1 - t0) / 1000.0);
  g_autofree char *orig = NULL, *copy = NULL;
  gsize orig_len, copy_len;
  g_assert_true (g_file_get_contents (path, &orig, &orig_len, NULL));
  g_assert_true (g_file_get_contents (out, &copy, &copy_len, NULL));
  g_assert_cmpuint (copy_len, ==, orig_len);
  g_assert_true (memcmp (orig, copy, orig_len) == 0);

  /* Big-endian: written swapped, read back, written little-endian again. */
  vm->personality.big_endian = TRUE;
  g_autofree char *be_path = g_build_filename (dir, "be.image", NULL);
  g_assert_true (st_image_write (vm, be_path, ST_IMAGE_KIND_SAME, ST_WRITE_DEFAULT, &error));
  g_assert_no_error (error);
  StVM *be = st_image_read (be_path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_nonnull (be);
  g_assert_true (be->personality.big_endian);
  g_assert_cmpuint (st_v3_layout (be)->n_objects, ==, img->objects);
  if (img->float_pool)
    assert_float_pi (be);
  be->personality.big_endian = FALSE;
  g_autofree char *le_path = g_build_filename (dir, "le.image", NULL);
  g_assert_true (st_image_write (be, le_path, ST_IMAGE_KIND_SAME, ST_WRITE_DEFAULT, &error));
  g_assert_no_error (error);
  g_autofree char *again = NULL;
  gsize again_len;
  g_assert_true (g_file_get_contents (le_path, &again, &again_len, NULL));
  g_assert_cmpuint (again_len, ==, orig_len);
  g_assert_true (memcmp (orig, again, orig_len) == 0);

  thaw_test_rmdir (dir);
  st_vm_free (be);
  st_vm_free (vm);
}

static void
poke32 (guint8 *d, gsize off, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (d + off, &v, 4);
}

static guint32
peek32 (const guint8 *d, gsize off)
{
  guint32 v;
  memcpy (&v, d + off, 4);
  return GUINT32_FROM_LE (v);
}

static gboolean
has_defect_at (StVM *vm, uint64_t off)
{
  for (guint i = 0; i < vm->defects->len; i++)
    if (((StDefect *) g_ptr_array_index (vm->defects, i))->file_offset == off)
      return TRUE;
  return FALSE;
}

/* A real image damaged two ways: errors name the file offset in strict
 * mode; salvage mode gives a walkable heap with the defect recorded. */
static void
test_damaged_real (void)
{
  g_autofree char *path = thaw_test_real_image ("squeak-mini", "mini.image");
  if (path == NULL)
    return;
  g_autofree guint8 *orig = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, (char **) &orig, &len, NULL));
  g_autofree guint8 *d = g_memdup2 (orig, len);
  guint32 base = peek32 (orig, 12), splobs = peek32 (orig, 16);
  gsize soa_off = 64 + (splobs - base);

  /* Slot 8 (Smalltalk) of the special objects array: not an object. */
  gsize slot_off = soa_off + 4 + 4 * ST_SPLOB_SMALLTALK_DICTIONARY;
  poke32 (d, slot_off, base + 2);
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read_buffer (d, len, "mini", ST_READ_STRICT, &error);
  g_assert_null (vm);
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT);
  g_autofree char *want = g_strdup_printf ("offset %" G_GSIZE_FORMAT ": slot 8 ", slot_off);
  g_assert_nonnull (strstr (error->message, want));
  g_clear_error (&error);
  vm = st_image_read_buffer (d, len, "mini", ST_READ_SALVAGE, &error);
  g_assert_no_error (error);
  g_assert_true (has_defect_at (vm, slot_off));
  g_assert_cmphex (st_special (vm, ST_SPLOB_SMALLTALK_DICTIONARY), ==, vm->nil_obj);
  st_vm_free (vm);

  /* The object after the special objects array gets a header of size 0. */
  memcpy (d, orig, len);
  guint32 soa_hdr = peek32 (orig, soa_off);
  g_assert_cmpuint (soa_hdr & 3, ==, 3);   /* a 1-word header (Array is compact) */
  gsize next_off = soa_off + 4 * ((soa_hdr >> 2) & 63);
  poke32 (d, next_off, 0);
  vm = st_image_read_buffer (d, len, "mini", ST_READ_STRICT, &error);
  g_assert_null (vm);
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT);
  g_free (want);
  want = g_strdup_printf ("offset %" G_GSIZE_FORMAT ":", next_off);
  g_assert_nonnull (strstr (error->message, want));
  g_clear_error (&error);
  vm = st_image_read_buffer (d, len, "mini", ST_READ_SALVAGE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vm);
  g_assert_true (has_defect_at (vm, next_off));
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  guint64 n = 0;
  while (st_heap_walk_next (&w))
    n++;
  g_assert_false (w.damaged);
  g_assert_cmpuint (n, <, 17692);   /* the objects after the damage are dropped */
  g_assert_cmphex (st_special (vm, ST_SPLOB_TRUE_OBJECT), ==, vm->true_obj);
  st_vm_free (vm);
}

/* An object made after loading is appended to the file; everything else
 * stays where it was. */
static void
test_new_object_appended (void)
{
  g_autofree char *path = thaw_test_real_image ("squeak-mini", "mini.image");
  if (path == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  StOop array_cls = st_special (vm, ST_SPLOB_CLASS_ARRAY);
  StOop fresh = st_objmem_alloc_old (vm, st_hash (vm, array_cls), ST_FMT_INDEXABLE, 3, &error);
  g_assert_no_error (error);
  st_set_header (vm, fresh, st_hdr_with_hash (st_header (vm, fresh), 0x123));
  st_store (vm, fresh, 0, st_smallint_oop (-7));
  st_store (vm, fresh, 1, vm->true_obj);
  st_store (vm, fresh, 2, array_cls);
  /* SOA slot 35 gets it (mini's special objects array has 41 slots). */
  g_assert_cmpuint (st_special_count (vm), >, 35);
  st_store (vm, vm->special_objects, 35, fresh);

  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "grown.image", NULL);
  g_assert_true (st_image_write (vm, out, ST_IMAGE_KIND_SAME, ST_WRITE_DEFAULT, &error));
  g_assert_no_error (error);
  g_autofree guint8 *orig = NULL, *grown = NULL;
  gsize orig_len, grown_len;
  g_assert_true (g_file_get_contents (path, (char **) &orig, &orig_len, NULL));
  g_assert_true (g_file_get_contents (out, (char **) &grown, &grown_len, NULL));
  /* Array is a compact class: a 1-word header and 3 slots. */
  g_assert_cmpuint (grown_len, ==, orig_len + 16);
  g_assert_cmpuint (peek32 (grown, 8), ==, peek32 (orig, 8) + 16);
  guint32 base = peek32 (orig, 12), splobs = peek32 (orig, 16);
  gsize slot_off = 64 + (splobs - base) + 4 + 4 * 35;
  guint32 fresh_v3 = base + (guint32) (orig_len - 64);
  g_assert_cmphex (peek32 (grown, slot_off), ==, fresh_v3);
  g_assert_true (memcmp (orig + 12, grown + 12, slot_off - 12) == 0);
  g_assert_true (memcmp (orig + slot_off + 4, grown + slot_off + 4, orig_len - slot_off - 4) == 0);
  guint32 hdr = peek32 (grown, orig_len);
  g_assert_cmpuint (hdr & 3, ==, 3);                 /* short header */
  g_assert_cmpuint ((hdr >> 2) & 63, ==, 4);         /* 3 slots + the header */
  g_assert_cmpuint ((hdr >> 8) & 15, ==, 2);         /* indexable pointers */
  g_assert_cmpuint ((hdr >> 17) & 0xFFF, ==, 0x123);
  g_assert_cmphex (peek32 (grown, orig_len + 4), ==, ((guint32) -7 << 1) | 1);

  /* And it reads back. */
  StVM *back = st_image_read (out, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  StOop f = st_special (back, 35);
  g_assert_cmpuint (st_num_slots (back, f), ==, 3);
  g_assert_cmpint (st_smallint_value (st_fetch (back, f, 0)), ==, -7);
  g_assert_cmphex (st_fetch (back, f, 1), ==, back->true_obj);
  g_assert_cmphex (st_fetch (back, f, 2), ==, st_special (back, ST_SPLOB_CLASS_ARRAY));
  g_assert_cmphex (st_class_of (back, f), ==, st_special (back, ST_SPLOB_CLASS_ARRAY));
  st_vm_free (back);
  thaw_test_rmdir (dir);
  st_vm_free (vm);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (v3_images); i++)
    {
      g_autofree char *name = g_strdup_printf ("/image/v3/read-write/%s", v3_images[i].folder);
      g_test_add_data_func (name, &v3_images[i], test_read_write);
    }
  g_test_add_func ("/image/v3/damaged-mini", test_damaged_real);
  g_test_add_func ("/image/v3/new-object-appended", test_new_object_appended);
  return g_test_run ();
}
