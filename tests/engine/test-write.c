/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writing images: the driver's safety rules, the Spur 64 and folder
 * writers on synthetic heaps, the graph digest, the STON reader. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "builder.h"
#include "digest.h"
#include "image-folder.h"
#include "image-read.h"
#include "image-write.h"
#include "support.h"

static void
digest_of (StVM *vm, guint8 out[32])
{
  g_autoptr (GError) error = NULL;
  g_assert_true (st_digest (vm, out, &error));
  g_assert_no_error (error);
}

static StVM *
standard_vm (void)
{
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  StVM *vm = thaw_builder_finish (b);
  thaw_builder_free (b);
  return vm;
}

static GBytes *
slurp (const char *path)
{
  char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  return g_bytes_new_take (data, len);
}

static int
cmp_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

/* Names in dir, sorted, one per line. */
static char *
listing (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *n;
  while ((n = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (n));
  g_dir_close (d);
  g_ptr_array_sort (names, cmp_names);
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (s, "%s\n", (char *) g_ptr_array_index (names, i));
  return g_string_free (s, FALSE);
}

static void
test_kind_strings (void)
{
  StImageKind k;
  g_assert_true (st_image_kind_from_string ("spur64", &k));
  g_assert_cmpint (k, ==, ST_IMAGE_KIND_SPUR64);
  g_assert_true (st_image_kind_from_string ("FOLDER", &k));
  g_assert_cmpint (k, ==, ST_IMAGE_KIND_FOLDER);
  g_assert_false (st_image_kind_from_string ("spur16", &k));
  g_assert_cmpstr (st_image_kind_to_string (ST_IMAGE_KIND_V3), ==, "v3");
  g_assert_cmpstr (st_image_kind_to_string (ST_IMAGE_KIND_SAME), ==, "same");
}

/* builder -> Spur 64 file -> read -> same digest; written again -> same bytes. */
static void
test_spur64_roundtrip (void)
{
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *a = g_build_filename (dir, "a.image", NULL);
  g_autofree char *b = g_build_filename (dir, "b.image", NULL);
  StVM *vm = standard_vm ();
  guint8 d0[32], d1[32];
  digest_of (vm, d0);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_image_write (vm, a, ST_IMAGE_KIND_SAME, 0, &error));
  g_assert_no_error (error);

  StVM *back = st_image_read (a, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->header.image_format, ==, 68021);
  g_assert_cmpuint (back->header.data_size, ==, vm->header.data_size);
  g_assert_cmphex (back->special_objects, ==, vm->special_objects);
  digest_of (back, d1);
  g_assert_cmpmem (d0, 32, d1, 32);
  g_assert_true (st_image_write (back, b, ST_IMAGE_KIND_SPUR64, 0, &error));
  g_assert_no_error (error);
  g_autoptr (GBytes) ba = slurp (a);
  g_autoptr (GBytes) bb = slurp (b);
  g_assert_true (g_bytes_equal (ba, bb));
  /* No temporaries left behind. */
  g_autofree char *names = listing (dir);
  g_assert_cmpstr (names, ==, "a.image\nb.image\n");
  st_vm_free (back);
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

/* Two segments with a gap: addresses survive, the bridge spans the gap. */
static void
test_two_segments (void)
{
  ThawBuilder *bl = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  const ThawBuilderObjects *k = thaw_builder_objects (bl);
  thaw_builder_new_segment (bl, 4 << 20);
  StOop far = thaw_builder_string (bl, "in the second segment");
  thaw_builder_global (bl, "Far", far);
  thaw_builder_garbage (bl, 3);
  StVM *vm = thaw_builder_finish (bl);
  g_assert_cmpuint (k->sample_array, !=, 0);
  guint8 d0[32], d1[32], d2[32];
  digest_of (vm, d0);

  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *a = g_build_filename (dir, "two.image", NULL);
  g_autofree char *f = g_build_filename (dir, "two-folder.image", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_image_write (vm, a, ST_IMAGE_KIND_SPUR64, 0, &error));
  g_assert_no_error (error);
  StVM *back = st_image_read (a, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->n_segments, ==, 2);
  g_assert_cmphex (back->segments[1].start, ==, vm->segments[1].start);
  digest_of (back, d1);
  g_assert_cmpmem (d0, 32, d1, 32);

  g_assert_true (st_image_write (vm, f, ST_IMAGE_KIND_FOLDER, 0, &error));
  g_assert_no_error (error);
  StVM *fb = st_image_read (f, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_true (fb->personality.folder);
  g_assert_cmpuint (fb->n_segments, ==, 2);
  digest_of (fb, d2);
  g_assert_cmpmem (d0, 32, d2, 32);
  st_vm_free (fb);
  st_vm_free (back);
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

/* A heap whose second segment was far away in its file (the reader moved
 * it): the writer puts it and every pointer into it back where it was, the
 * reader moves it again, and the second write is the same file. */
static void
test_far_segment (void)
{
  ThawBuilder *bl = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  thaw_builder_new_segment (bl, 4096);
  StOop far = thaw_builder_string (bl, "far away");
  thaw_builder_global (bl, "Far", far);
  StOop arr = thaw_builder_array (bl, 1, &far);
  thaw_builder_global (bl, "FarArray", arr);
  StVM *vm = thaw_builder_finish (bl);
  thaw_builder_free (bl);
  const uint64_t away = G_GUINT64_CONSTANT (64) << 30;     /* 64 GiB further */
  vm->segments[1].file_start = vm->segments[1].start + away;
  guint8 d0[32], d1[32];
  digest_of (vm, d0);

  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *a = g_build_filename (dir, "far.image", NULL);
  g_autofree char *b = g_build_filename (dir, "far2.image", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_image_write (vm, a, ST_IMAGE_KIND_SPUR64, 0, &error));
  g_assert_no_error (error);
  /* In the file, the first bridge spans the far gap. */
  g_autoptr (GBytes) fa = slurp (a);
  const guint8 *p = g_bytes_get_data (fa, NULL);
  uint64_t span;
  memcpy (&span, p + 128 + vm->segments[0].bytes - 16, 8);
  g_assert_cmphex (span, ==, (G_GUINT64_CONSTANT (0xFF) << 56) | ((away + 4096) / 8));

  StVM *back = st_image_read (a, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->n_segments, ==, 2);
  g_assert_cmphex (back->segments[1].file_start, ==, vm->segments[1].start + away);
  digest_of (back, d1);
  g_assert_cmpmem (d0, 32, d1, 32);
  g_assert_true (st_image_write (back, b, ST_IMAGE_KIND_SPUR64, 0, &error));
  g_assert_no_error (error);
  g_autoptr (GBytes) fb = slurp (b);
  g_assert_true (g_bytes_equal (fa, fb));
  /* The folder format keeps the far address too. */
  g_autofree char *f = g_build_filename (dir, "far-folder.image", NULL);
  g_assert_true (st_image_write (back, f, ST_IMAGE_KIND_FOLDER, 0, &error));
  g_assert_no_error (error);
  StVM *fvm = st_image_read (f, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmphex (fvm->segments[1].file_start, ==, vm->segments[1].start + away);
  digest_of (fvm, d1);
  g_assert_cmpmem (d0, 32, d1, 32);
  st_vm_free (fvm);
  st_vm_free (back);
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

/* builder -> folder -> read -> same digest -> Spur 64 == direct Spur 64. */
static void
test_folder_roundtrip (void)
{
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *direct = g_build_filename (dir, "direct.image", NULL);
  g_autofree char *folder = g_build_filename (dir, "folder.image", NULL);
  g_autofree char *again = g_build_filename (dir, "again.image", NULL);
  StVM *vm = standard_vm ();
  guint8 d0[32], d1[32];
  digest_of (vm, d0);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_image_write (vm, direct, ST_IMAGE_KIND_SPUR64, 0, &error));
  g_assert_true (st_image_write (vm, folder, ST_IMAGE_KIND_FOLDER, 0, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (folder, G_FILE_TEST_IS_DIR));
  g_autofree char *names = listing (folder);
  g_assert_cmpstr (names, ==, "header.ston\nseg0.data\nseg0.ston\n");

  StVM *fb = st_image_read (folder, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_true (fb->personality.folder);
  g_assert_cmphex (fb->header.old_base_addr, ==, vm->header.old_base_addr);
  g_assert_cmphex (fb->header.last_hash, ==, vm->header.last_hash);
  g_assert_cmphex (fb->header.header_flags, ==, vm->header.header_flags);
  digest_of (fb, d1);
  g_assert_cmpmem (d0, 32, d1, 32);
  /* SAME for a folder heap is the folder format. */
  g_assert_cmpint (st_image_kind_resolve (fb, ST_IMAGE_KIND_SAME), ==, ST_IMAGE_KIND_FOLDER);
  g_assert_true (st_image_write (fb, again, ST_IMAGE_KIND_SPUR64, 0, &error));
  g_assert_no_error (error);
  /* The folder format has no saved window size (header bytes 40..47): the
   * rest is byte for byte the same. */
  g_autoptr (GBytes) b1 = slurp (direct);
  g_autoptr (GBytes) b2 = slurp (again);
  gsize n1, n2;
  const guint8 *p1 = g_bytes_get_data (b1, &n1), *p2 = g_bytes_get_data (b2, &n2);
  g_assert_cmpuint (n1, ==, n2);
  g_assert_cmpmem (p1, 40, p2, 40);
  g_assert_cmpmem (p1 + 48, n1 - 48, p2 + 48, n2 - 48);
  st_vm_free (fb);
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

static void
test_refuse_existing (void)
{
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "x.image", NULL);
  g_autofree char *bak = g_build_filename (dir, "x.image.bak", NULL);
  g_assert_true (g_file_set_contents (path, "old contents", -1, NULL));
  StVM *vm = standard_vm ();
  g_autoptr (GError) error = NULL;
  g_assert_false (st_image_write (vm, path, ST_IMAGE_KIND_SPUR64, 0, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  g_autoptr (GBytes) kept = slurp (path);
  g_assert_cmpuint (g_bytes_get_size (kept), ==, strlen ("old contents"));

  /* Force with backup: the old file becomes x.image.bak. */
  g_assert_true (st_image_write (vm, path, ST_IMAGE_KIND_SPUR64, ST_WRITE_FORCE | ST_WRITE_BACKUP, &error));
  g_assert_no_error (error);
  g_autoptr (GBytes) old = slurp (bak);
  g_assert_cmpmem (g_bytes_get_data (old, NULL), g_bytes_get_size (old), "old contents", strlen ("old contents"));
  g_autoptr (GBytes) fresh = slurp (path);
  g_assert_cmpuint (g_bytes_get_size (fresh), ==, 128 + vm->header.data_size);

  /* A folder over an existing folder, forced; and a refusal without force. */
  g_autofree char *folder = g_build_filename (dir, "f.image", NULL);
  g_assert_true (st_image_write (vm, folder, ST_IMAGE_KIND_FOLDER, 0, &error));
  g_assert_false (st_image_write (vm, folder, ST_IMAGE_KIND_FOLDER, 0, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (st_image_write (vm, folder, ST_IMAGE_KIND_FOLDER, ST_WRITE_FORCE, &error));
  g_assert_no_error (error);
  g_autofree char *names = listing (dir);
  g_assert_cmpstr (names, ==, "f.image\nx.image\nx.image.bak\n");

  /* A single file over a folder image, and a folder over a single file
   * (kept as .bak): each replaces the other whole. */
  g_assert_true (st_image_write (vm, folder, ST_IMAGE_KIND_SPUR64, ST_WRITE_FORCE, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (folder, G_FILE_TEST_IS_REGULAR));
  g_assert_true (st_image_write (vm, path, ST_IMAGE_KIND_FOLDER, ST_WRITE_FORCE | ST_WRITE_BACKUP, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));
  g_autoptr (GBytes) kept_file = slurp (bak);
  g_assert_cmpuint (g_bytes_get_size (kept_file), ==, 128 + vm->header.data_size);
  g_autofree char *names2 = listing (dir);
  g_assert_cmpstr (names2, ==, "f.image\nx.image\nx.image.bak\n");
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

/* A heap read from a file is never written back onto that file without force. */
static void
test_refuse_own_image (void)
{
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "own.image", NULL);
  StVM *vm = standard_vm ();
  g_autoptr (GError) error = NULL;
  g_assert_true (st_image_write (vm, path, ST_IMAGE_KIND_SPUR64, 0, &error));
  StVM *back = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_false (st_image_write (back, path, ST_IMAGE_KIND_SAME, 0, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "read from"));
  g_clear_error (&error);
  g_assert_true (st_image_write (back, path, ST_IMAGE_KIND_SAME, ST_WRITE_FORCE, &error));
  g_assert_no_error (error);
  st_vm_free (back);
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

/* Failures leave nothing behind: a missing folder, an encoder error after
 * the temporary exists, and a write that runs out of file size. */
static void
test_no_temp_after_failure (void)
{
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *missing = g_build_filename (dir, "no-such-dir", "x.image", NULL);
  StVM *vm = standard_vm ();
  g_autoptr (GError) error = NULL;
  g_assert_false (st_image_write (vm, missing, ST_IMAGE_KIND_SPUR64, 0, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO);
  g_clear_error (&error);
  g_assert_false (st_image_write (vm, missing, ST_IMAGE_KIND_FOLDER, 0, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO);
  g_clear_error (&error);

  /* The encoder fails after the temporary was made. */
  g_autofree char *path = g_build_filename (dir, "bad.image", NULL);
  StOop saved = vm->special_objects;
  vm->special_objects = vm->segments[0].start + vm->segments[0].bytes + 4096;
  g_assert_false (st_image_write (vm, path, ST_IMAGE_KIND_SPUR64, 0, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (st_image_write (vm, path, ST_IMAGE_KIND_FOLDER, 0, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID);
  g_clear_error (&error);
  vm->special_objects = saved;
  g_autofree char *names = listing (dir);
  g_assert_cmpstr (names, ==, "");
  st_vm_free (vm);

  /* The file system refuses the bytes (file size limit) half way. */
  if (g_test_subprocess ())
    {
      ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
      thaw_builder_garbage (b, 100000);
      StVM *big = thaw_builder_finish (b);
      thaw_builder_free (b);
      signal (SIGXFSZ, SIG_IGN);
      struct rlimit rl = { 256 * 1024, 256 * 1024 };
      g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &rl), ==, 0);
      const char *sub = g_getenv ("THAW_TEST_SUBDIR");
      g_autofree char *p = g_build_filename (sub, "big.image", NULL);
      g_autoptr (GError) e = NULL;
      g_assert_false (st_image_write (big, p, ST_IMAGE_KIND_SPUR64, 0, &e));
      g_assert_error (e, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO);
      g_printerr ("%s\n", e->message);
      g_autofree char *left = listing (sub);
      g_assert_cmpstr (left, ==, "");
      st_vm_free (big);
      return;
    }
  g_setenv ("THAW_TEST_SUBDIR", dir, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*cannot write*");
  thaw_test_rmdir (dir);
}

/* The .changes file goes beside a new image under its new name. */
static void
test_copy_changes (void)
{
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *changes = g_build_filename (dir, "Old.changes", NULL);
  g_autofree char *image = g_build_filename (dir, "New.image", NULL);
  g_autofree char *folder = g_build_filename (dir, "Folder.image/", NULL);
  g_autofree char *want = g_build_filename (dir, "New.changes", NULL);
  g_autofree char *want_f = g_build_filename (dir, "Folder.changes", NULL);
  StVM *vm = standard_vm ();
  g_autoptr (GError) error = NULL;
  /* No .changes: nothing to do. */
  g_assert_true (st_image_copy_changes (vm, image, &error));
  g_assert_false (g_file_test (want, G_FILE_TEST_EXISTS));
  GString *text = g_string_new (NULL);
  for (int i = 0; i < 100000; i++)
    g_string_append_printf (text, "change %d!\n", i);
  g_assert_true (g_file_set_contents (changes, text->str, (gssize) text->len, NULL));
  vm->changes_path = g_strdup (changes);
  g_assert_true (st_image_copy_changes (vm, image, &error));
  g_assert_no_error (error);
  g_autoptr (GBytes) copy = slurp (want);
  g_assert_cmpmem (g_bytes_get_data (copy, NULL), g_bytes_get_size (copy), text->str, text->len);
  g_assert_true (st_image_copy_changes (vm, folder, &error));
  g_assert_true (g_file_test (want_f, G_FILE_TEST_IS_REGULAR));
  g_autofree char *names = listing (dir);
  g_assert_cmpstr (names, ==, "Folder.changes\nNew.changes\nOld.changes\n");
  /* Into a missing folder: an error naming it, nothing left. */
  g_autofree char *missing = g_build_filename (dir, "nope", "X.image", NULL);
  g_assert_false (st_image_copy_changes (vm, missing, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO);
  g_string_free (text, TRUE);
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

static void
test_v3_heap_refused (void)
{
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_V3, 4);
  StVM *vm = thaw_builder_finish (b);
  thaw_builder_free (b);
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "v3.image", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_false (st_image_write (vm, path, ST_IMAGE_KIND_SPUR64, 0, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "V3"));
  g_clear_error (&error);
  g_assert_false (st_image_write (vm, path, ST_IMAGE_KIND_FOLDER, 0, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_cmpint (st_image_kind_resolve (vm, ST_IMAGE_KIND_SAME), ==, ST_IMAGE_KIND_V3);
  g_autofree char *names = listing (dir);
  g_assert_cmpstr (names, ==, "");
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

/* A heap from a 32-bit image written as Spur 64 gets 68021 and its own addresses. */
static void
test_spur32_heap_as_spur64 (void)
{
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 4);
  StVM *vm = thaw_builder_finish (b);
  thaw_builder_free (b);
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "w.image", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_image_write (vm, path, ST_IMAGE_KIND_SPUR64, 0, &error));
  g_assert_no_error (error);
  StVM *back = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->header.image_format, ==, 68021);
  g_assert_cmpuint (back->header.header_size, ==, 128);
  guint8 d0[32], d1[32];
  digest_of (vm, d0);
  digest_of (back, d1);
  g_assert_cmpmem (d0, 32, d1, 32);
  st_vm_free (back);
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

/* The digest ignores addresses, garbage and free space, and sees every change. */
static void
test_digest (void)
{
  ThawBuilder *b1 = thaw_builder_new_at (ST_FAMILY_SPUR, 8, 0, 0x100000);
  ThawBuilder *b2 = thaw_builder_new_at (ST_FAMILY_SPUR, 8, 0, 0x4000000);
  thaw_builder_garbage (b2, 50);
  thaw_builder_free_chunk (b2, 4096);
  StOop s1 = thaw_builder_string (b1, "same");
  thaw_builder_garbage (b2, 7);
  StOop s2 = thaw_builder_string (b2, "same");
  thaw_builder_global (b1, "Same", s1);
  thaw_builder_global (b2, "Same", s2);
  StVM *v1 = thaw_builder_finish (b1);
  StVM *v2 = thaw_builder_finish (b2);
  const ThawBuilderObjects *k1 = thaw_builder_objects (b1);
  g_assert_cmphex (v1->nil_obj, !=, v2->nil_obj);
  guint8 d1[32], d2[32], d3[32];
  StDigestStats st1, st2;
  g_autoptr (GError) error = NULL;
  g_assert_true (st_digest_full (v1, d1, &st1, &error));
  g_assert_true (st_digest_full (v2, d2, &st2, &error));
  g_assert_cmpmem (d1, 32, d2, 32);
  g_assert_cmpuint (st1.objects, ==, st2.objects);
  g_assert_cmpuint (st1.bad_refs, ==, 0);
  g_assert_cmpuint (st1.objects, >, 300);
  g_autofree char *hex = st_digest_hex (d1);
  g_assert_cmpuint (strlen (hex), ==, 64);

  /* A byte of a reachable string. */
  st_bytes (v1, s1)[0] = 'S';
  digest_of (v1, d3);
  g_assert_cmpmem (d1, 32, d2, 32);
  g_assert_true (memcmp (d1, d3, 32) != 0);
  st_bytes (v1, s1)[0] = 's';
  digest_of (v1, d3);
  g_assert_cmpmem (d1, 32, d3, 32);
  /* A pointer slot, swapped for another object. */
  StOop assoc = k1->scheduler_association;
  StOop key = st_fetch (v1, assoc, 0);
  st_store (v1, assoc, 0, v1->true_obj);
  digest_of (v1, d3);
  g_assert_true (memcmp (d1, d3, 32) != 0);
  st_store (v1, assoc, 0, key);
  /* An identity hash. */
  uint64_t h = st_header (v1, s1);
  st_set_header (v1, s1, st_hdr_with_hash (h, st_hdr_hash (h) ^ 1));
  digest_of (v1, d3);
  g_assert_true (memcmp (d1, d3, 32) != 0);
  st_set_header (v1, s1, h);
  /* A pointer into the middle of an object is counted, not followed. */
  thaw_damage_pointer_into_middle (v1, k1->scheduler_association, 0, s1);
  g_assert_true (st_digest_full (v1, d3, &st1, &error));
  g_assert_cmpuint (st1.bad_refs, ==, 1);
  /* A heap the walk cannot finish still digests: what is unreachable by the
   * walk counts as bad references, nothing is read out of bounds. */
  ThawBuilder *b3 = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  StVM *v3 = thaw_builder_finish (b3);
  StDigestStats st3;
  g_assert_true (st_digest_full (v3, d3, &st3, &error));
  thaw_damage_overflow_header (v3, thaw_builder_objects (b3)->sample_overflow,
                               (G_GUINT64_CONSTANT (0xFF) << 56) | G_GUINT64_CONSTANT (0xFFFFFFFFFF));
  g_assert_true (st_digest_full (v3, d3, &st1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (st1.bad_refs, >, 1);
  g_assert_cmpuint (st1.objects, <, st3.objects);
  /* With the special objects array itself unreadable: an error, no digest. */
  thaw_damage_overflow_header (v3, v3->hidden_roots_obj,
                               (G_GUINT64_CONSTANT (0xFF) << 56) | G_GUINT64_CONSTANT (0xFFFFFFFFFF));
  g_assert_false (st_digest_full (v3, d3, &st1, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT);
  g_clear_error (&error);
  thaw_builder_free (b3);
  st_vm_free (v3);
  thaw_builder_free (b1);
  thaw_builder_free (b2);
  st_vm_free (v1);
  st_vm_free (v2);
}

/* Random damage to any word of the heap: the digest and the writers never
 * crash or read out of bounds (run under valgrind or ASan to see it), and
 * always either succeed or say why. */
static void
test_random_damage (void)
{
  GRand *r = g_rand_new_with_seed (7);
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "d.image", NULL);
  g_autofree char *folder = g_build_filename (dir, "d-folder.image", NULL);
  for (int round = 0; round < 40; round++)
    {
      ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
      if (round % 2)
        {
          thaw_builder_new_segment (b, 8192);
          thaw_builder_global (b, "Far", thaw_builder_string (b, "far"));
        }
      StVM *vm = thaw_builder_finish (b);
      thaw_builder_free (b);
      if (round % 4 == 3)
        vm->segments[vm->n_segments - 1].file_start += G_GUINT64_CONSTANT (1) << 36;   /* writer un-relocates */
      StOop lo = vm->segments[0].start;
      uint64_t words = (st_objmem_end (vm) - lo) / 8;
      for (int k = 0; k < 50; k++)
        {
          StOop a = lo + 8 * (uint64_t) g_rand_int_range (r, 0, (gint32) words);
          if (st_objmem_segment_of (vm, a) == NULL)
            continue;
          uint64_t v;
          switch (g_rand_int_range (r, 0, 4))
            {
            case 0: v = (uint64_t) g_rand_int (r) << 32 | g_rand_int (r); break;
            case 1: v = lo + 8 * (uint64_t) g_rand_int_range (r, 0, (gint32) words); break;   /* a pointer anywhere */
            case 2: v = st_word_at (vm, a) ^ (G_GUINT64_CONSTANT (1) << g_rand_int_range (r, 0, 64)); break;
            default: v = (G_GUINT64_CONSTANT (0xFF) << 56) | g_rand_int (r); break;
            }
          *st_ptr (vm, a) = v;
        }
      guint8 d[32];
      g_autoptr (GError) error = NULL;
      if (!st_digest (vm, d, &error))
        g_assert_nonnull (error);
      g_clear_error (&error);
      if (st_image_write (vm, path, ST_IMAGE_KIND_SPUR64, ST_WRITE_FORCE, &error))
        {
          StVM *back = st_image_read (path, ST_READ_SALVAGE, &error);
          st_vm_free (back);
        }
      g_clear_error (&error);
      if (!st_image_write (vm, folder, ST_IMAGE_KIND_FOLDER, ST_WRITE_FORCE, &error))
        g_assert_nonnull (error);
      g_clear_error (&error);
      st_vm_free (vm);
    }
  g_rand_free (r);
  thaw_test_rmdir (dir);
}

static void
expect_ston_error (const char *text, const char *want_line)
{
  g_autoptr (GError) error = NULL;
  StSton *s = st_ston_parse ("t.ston", text, strlen (text), &error);
  g_assert_null (s);
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER);
  g_assert_nonnull (strstr (error->message, "t.ston"));
  if (strstr (error->message, want_line) == NULL)
    g_error ("'%s': message '%s' does not name %s", text, error->message, want_line);
}

static void
test_ston (void)
{
  g_autoptr (GError) error = NULL;
  const char *good = "SpurImageHeaderStruct {\r\n\t#dataSize : 123,\n\t#oldBaseAddr : -5,\r\t#x_y : 0\n}";
  g_autoptr (StSton) s = st_ston_parse ("good.ston", good, strlen (good), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s->struct_name, ==, "SpurImageHeaderStruct");
  g_assert_cmpuint (s->n_fields, ==, 3);
  int64_t v = 0;
  g_assert_true (st_ston_get (s, &v, "missing", "oldBaseAddr", NULL));
  g_assert_cmpint (v, ==, -5);
  g_assert_false (st_ston_get (s, &v, "missing", NULL));
  g_assert_cmpuint (s->fields[2].line, ==, 4);

  expect_ston_error ("", "line 1");
  expect_ston_error ("Header {\n\t#a : 1,\n", "line 2");              /* no closing brace */
  expect_ston_error ("Header {\n\t#a : 12x\n}", "line 2");
  expect_ston_error ("Header {\n\t#a : 99999999999999999999\n}", "line 2");
  expect_ston_error ("Header {\n\t#a 1\n}", "line 2");
  expect_ston_error ("Header {\n\n\n\tgarbage\n}", "line 4");
  expect_ston_error ("Header\n\t#a : 1\n}", "line 1");
  expect_ston_error ("Header {\n}", "line 2");                      /* no fields */
  expect_ston_error ("\xff\xfe\x00\x01 {", "line 1");
  /* Random bytes never crash and never succeed by accident. */
  GRand *r = g_rand_new_with_seed (42);
  for (int i = 0; i < 2000; i++)
    {
      char buf[200];
      int n = g_rand_int_range (r, 0, sizeof buf);
      for (int j = 0; j < n; j++)
        buf[j] = (char) g_rand_int_range (r, 0, 256);
      g_autoptr (GError) e = NULL;
      StSton *t = st_ston_parse ("r.ston", buf, (gsize) n, &e);
      g_assert_true ((t == NULL) == (e != NULL));
      st_ston_free (t);
    }
  g_rand_free (r);
}

static void
test_bad_folders (void)
{
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *folder = g_build_filename (dir, "f.image", NULL);
  StVM *vm = standard_vm ();
  g_autoptr (GError) error = NULL;
  g_assert_true (st_image_write (vm, folder, ST_IMAGE_KIND_FOLDER, 0, &error));
  st_vm_free (vm);
  g_autofree char *seg = g_build_filename (folder, "seg0.data", NULL);
  g_autofree char *header = g_build_filename (folder, "header.ston", NULL);
  g_autofree char *perm = g_build_filename (folder, "permSpace.data", NULL);

  /* Permanent space is refused clearly. */
  guint8 zeros[64] = { 0 };
  g_assert_true (g_file_set_contents (perm, (const char *) zeros, sizeof zeros, NULL));
  g_assert_null (st_image_read (folder, ST_READ_STRICT, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "permanent space"));
  g_clear_error (&error);
  g_unlink (perm);

  /* A truncated segment. */
  g_autoptr (GBytes) data = slurp (seg);
  g_assert_true (g_file_set_contents (seg, g_bytes_get_data (data, NULL), (gssize) g_bytes_get_size (data) - 8, NULL));
  g_assert_null (st_image_read (folder, ST_READ_STRICT, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (error->message, "seg0.data"));
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (seg, g_bytes_get_data (data, NULL), (gssize) g_bytes_get_size (data), NULL));

  /* A segment that overlaps the one before, and a base address that is not seg0's. */
  g_autofree char *m1 = g_build_filename (folder, "seg1.ston", NULL);
  g_autofree char *d1 = g_build_filename (folder, "seg1.data", NULL);
  g_autofree char *m0 = g_build_filename (folder, "seg0.ston", NULL);
  g_autoptr (GBytes) s0 = slurp (m0);
  g_assert_true (g_file_set_contents (d1, (const char *) zeros, 16, NULL));
  g_assert_true (g_file_set_contents (m1, "ComposedMetadataStruct {\n\t#startAddress : 1048576,\n"
                                          "\t#dataSize : 16\n}\n", -1, NULL));
  g_assert_null (st_image_read (folder, ST_READ_STRICT, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_SEGMENT);
  g_assert_nonnull (strstr (error->message, "seg1.ston"));
  g_clear_error (&error);
  g_unlink (m1);
  g_unlink (d1);
  g_assert_true (g_file_set_contents (m0, "ComposedMetadataStruct {\n\t#startAddress : 4096,\n"
                                          "\t#dataSize : 16\n}\n", -1, NULL));
  g_assert_null (st_image_read (folder, ST_READ_STRICT, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "seg0"));
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (m0, g_bytes_get_data (s0, NULL), (gssize) g_bytes_get_size (s0), NULL));
  /* Sound again. */
  StVM *ok = st_image_read (folder, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  st_vm_free (ok);

  /* A garbage header. */
  g_assert_true (g_file_set_contents (header, "SpurImageHeaderStruct {\n\t#dataSize : lots\n}\n", -1, NULL));
  g_assert_null (st_image_read (folder, ST_READ_STRICT, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER);
  g_assert_nonnull (strstr (error->message, "header.ston, line 2"));
  g_clear_error (&error);

  /* No header at all. */
  g_unlink (header);
  g_assert_null (st_image_read (folder, ST_READ_STRICT, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "header.ston"));
  g_clear_error (&error);
  thaw_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/write/kind-strings", test_kind_strings);
  g_test_add_func ("/engine/write/spur64-roundtrip", test_spur64_roundtrip);
  g_test_add_func ("/engine/write/two-segments", test_two_segments);
  g_test_add_func ("/engine/write/far-segment", test_far_segment);
  g_test_add_func ("/engine/write/folder-roundtrip", test_folder_roundtrip);
  g_test_add_func ("/engine/write/refuse-existing", test_refuse_existing);
  g_test_add_func ("/engine/write/refuse-own-image", test_refuse_own_image);
  g_test_add_func ("/engine/write/no-temp-after-failure", test_no_temp_after_failure);
  g_test_add_func ("/engine/write/copy-changes", test_copy_changes);
  g_test_add_func ("/engine/write/v3-heap-refused", test_v3_heap_refused);
  g_test_add_func ("/engine/write/spur32-heap-as-spur64", test_spur32_heap_as_spur64);
  g_test_add_func ("/engine/digest/independent-and-sensitive", test_digest);
  g_test_add_func ("/engine/digest/random-damage", test_random_damage);
  g_test_add_func ("/engine/folder/ston", test_ston);
  g_test_add_func ("/engine/folder/bad-folders", test_bad_folders);
  return g_test_run ();
}
