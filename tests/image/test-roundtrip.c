/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Real images written back: byte for byte where the format allows, and
 * always with the same graph digest. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include "digest.h"
#include "image-read.h"
#include "image-write.h"
#include "support.h"

static GBytes *
slurp (const char *path)
{
  char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  return g_bytes_new_take (data, len);
}

static void
digest_of (StVM *vm, guint8 out[32])
{
  g_autoptr (GError) error = NULL;
  StDigestStats st;
  g_assert_true (st_digest_full (vm, out, &st, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (st.bad_refs, ==, 0);
}

/* pharo8: read and written with no change is the same file, byte for byte;
 * the input is untouched. */
static void
test_pharo8_identical (void)
{
  g_autofree char *path = thaw_test_real_image ("pharo8-kernel64", "Pharo.image");
  if (path == NULL)
    return;
  struct stat before, after;
  g_assert_cmpint (stat (path, &before), ==, 0);
  g_autoptr (GBytes) in = slurp (path);
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "Pharo.image", NULL);
  g_assert_true (st_image_write (vm, out, ST_IMAGE_KIND_SAME, 0, &error));
  g_assert_no_error (error);
  g_autoptr (GBytes) written = slurp (out);
  g_assert_cmpuint (g_bytes_get_size (written), ==, g_bytes_get_size (in));
  g_assert_true (g_bytes_equal (in, written));
  /* Explicit Spur 64 is the same thing. */
  g_autofree char *out2 = g_build_filename (dir, "Pharo2.image", NULL);
  g_assert_true (st_image_write (vm, out2, ST_IMAGE_KIND_SPUR64, 0, &error));
  g_autoptr (GBytes) written2 = slurp (out2);
  g_assert_true (g_bytes_equal (in, written2));
  /* The input is never modified. */
  g_assert_cmpint (stat (path, &after), ==, 0);
  g_assert_cmpint (after.st_mtime, ==, before.st_mtime);
  g_autoptr (GBytes) in_again = slurp (path);
  g_assert_true (g_bytes_equal (in, in_again));
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

/* pharo8: single file -> folder -> single file; equal digests all along. */
static void
test_pharo8_folder (void)
{
  g_autofree char *path = thaw_test_real_image ("pharo8-kernel64", "Pharo.image");
  if (path == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  guint8 d0[32], d1[32], d2[32];
  digest_of (vm, d0);
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *folder = g_build_filename (dir, "Pharo.image", NULL);
  g_autofree char *back = g_build_filename (dir, "Back.image", NULL);
  g_assert_true (st_image_write (vm, folder, ST_IMAGE_KIND_FOLDER, 0, &error));
  g_assert_no_error (error);
  StVM *fvm = st_image_read (folder, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_true (fvm->personality.folder);
  digest_of (fvm, d1);
  g_assert_cmpmem (d0, 32, d1, 32);
  g_assert_true (st_image_write (fvm, back, ST_IMAGE_KIND_SPUR64, 0, &error));
  g_assert_no_error (error);
  StVM *bvm = st_image_read (back, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  digest_of (bvm, d2);
  g_assert_cmpmem (d0, 32, d2, 32);
  /* Only the saved window size (header bytes 40..47), which the folder
   * format does not carry, differs from the original file. */
  g_autoptr (GBytes) a = slurp (path);
  g_autoptr (GBytes) b = slurp (back);
  gsize na, nb;
  const guint8 *pa = g_bytes_get_data (a, &na), *pb = g_bytes_get_data (b, &nb);
  g_assert_cmpuint (na, ==, nb);
  g_assert_cmpmem (pa, 40, pb, 40);
  g_assert_cmpmem (pa + 48, na - 48, pb + 48, nb - 48);
  st_vm_free (bvm);
  st_vm_free (fvm);
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

/* thaw-cli convert and digest agree with the engine. */
static void
test_pharo8_cli (void)
{
  g_autofree char *path = thaw_test_real_image ("pharo8-kernel64", "Pharo.image");
  if (path == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *folder = g_build_filename (dir, "P.image", NULL);
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "convert", "--json", path, "-o", folder,
                                    "--to", "folder", NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "\"output_kind\": \"folder\""));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* Again without --force: refused, exit 2, the path named. */
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "convert", path, "-o", folder, "--to", "folder", NULL));
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, folder));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_autofree char *d_orig = NULL, *d_folder = NULL;
  g_assert_true (thaw_test_run_cli (&d_orig, &err, &status, "digest", "--json", path, NULL));
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&err, g_free);
  g_assert_true (thaw_test_run_cli (&d_folder, &err, &status, "digest", "--json", folder, NULL));
  g_assert_cmpint (status, ==, 0);
  const char *h1 = strstr (d_orig, "\"sha256\": \"");
  const char *h2 = strstr (d_folder, "\"sha256\": \"");
  g_assert_nonnull (h1);
  g_assert_nonnull (h2);
  g_assert_cmpint (strncmp (h1, h2, 11 + 64), ==, 0);
  g_assert_nonnull (strstr (d_orig, "\"reachable_objects\": "));

  /* And the engine's digest is the one printed. */
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  guint8 d[32];
  digest_of (vm, d);
  g_autofree char *hex = st_digest_hex (d);
  g_assert_cmpint (strncmp (h1 + 11, hex, 64), ==, 0);
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

/* convert copies the .changes file beside the new image, refuses to
 * replace one without --force, and keeps a replaced image with --backup. */
static void
test_cli_changes (void)
{
  g_autofree char *path = thaw_test_real_image ("cuis4.1", "Cuis4.1-1544-reduced.image");
  if (path == NULL)
    return;
  g_autofree char *changes = thaw_test_real_image ("cuis4.1", "Cuis4.1-1544-reduced.changes");
  if (changes == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out_image = g_build_filename (dir, "Copy.image", NULL);
  g_autofree char *out_changes = g_build_filename (dir, "Copy.changes", NULL);
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "convert", "--json", path, "-o", out_image, NULL));
  if (status != 0)
    g_error ("convert failed: %s", err);
  g_assert_nonnull (strstr (out, "Copy.changes"));
  g_autoptr (GBytes) c0 = slurp (changes);
  g_autoptr (GBytes) c1 = slurp (out_changes);
  g_assert_true (g_bytes_equal (c0, c1));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* The image is new but its .changes exists: refused before writing anything. */
  g_autofree char *other = g_build_filename (dir, "Copy2.image", NULL);
  g_autofree char *other_changes = g_build_filename (dir, "Copy2.changes", NULL);
  g_assert_true (g_file_set_contents (other_changes, "mine", -1, NULL));
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "convert", path, "-o", other, NULL));
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "Copy2.changes"));
  g_assert_false (g_file_test (other, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* --force --backup: Copy.image.bak keeps the old image. */
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "convert", path, "-o", out_image, "--force", "--backup",
                                    NULL));
  g_assert_cmpint (status, ==, 0);
  g_autofree char *bak = g_build_filename (dir, "Copy.image.bak", NULL);
  g_assert_true (g_file_test (bak, G_FILE_TEST_IS_REGULAR));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* A V3 image cannot become Spur: a clear refusal, nothing written. */
  g_autofree char *spur = g_build_filename (dir, "Spur.image", NULL);
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "convert", path, "-o", spur, "--to", "spur64", NULL));
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "V3"));
  g_assert_false (g_file_test (spur, G_FILE_TEST_EXISTS));
  thaw_test_rmdir (dir);
}

/* Every real image the engine can read: written in its own format, read
 * back, same digest; byte identity is reported (and asserted for Spur 64).
 * Spur 32 images also go to Spur 64, to a folder and from 64 back to 32,
 * all with the same digest. */
static void
test_every_real_image (void)
{
  guint tried = 0;
  g_autoptr (GString) missing = g_string_new (NULL);
  for (gsize i = 0; i < thaw_n_real_images; i++)
    {
      const ThawRealImage *ri = &thaw_real_images[i];
      g_autofree char *path = NULL;
      if (g_strcmp0 (ri->folder, "scratch") == 0)
        path = g_strdup ("/usr/share/scratch/Scratch.image");
      else
        {
          const char *dir = g_getenv ("THAW_IMAGES_DIR");
          path = g_build_filename (dir ? dir : "../shared/images", ri->folder, ri->file, NULL);
        }
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_string_append_printf (missing, " %s (missing)", ri->folder);
          continue;
        }
      g_autoptr (GError) error = NULL;
      StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
      if (vm == NULL)
        {
          g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED);
          g_string_append_printf (missing, " %s (not readable yet)", ri->folder);
          continue;
        }
      guint8 d0[32], d1[32];
      digest_of (vm, d0);
      g_autofree char *dir = thaw_test_tmpdir ();
      g_autofree char *out = g_build_filename (dir, ri->file, NULL);
      if (!st_image_write (vm, out, ST_IMAGE_KIND_SAME, 0, &error))
        {
          g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED);
          g_string_append_printf (missing, " %s (no writer yet)", ri->folder);
          st_vm_free (vm);
          thaw_test_rmdir (dir);
          continue;
        }
      StVM *back = st_image_read (out, ST_READ_STRICT, &error);
      g_assert_no_error (error);
      digest_of (back, d1);
      g_assert_cmpmem (d0, 32, d1, 32);
      g_autoptr (GBytes) a = slurp (path);
      g_autoptr (GBytes) b = slurp (out);
      gboolean same = g_bytes_equal (a, b);
      g_test_message ("%s: written as %s, %s; digest equal", ri->folder,
                      st_image_kind_to_string (st_image_kind_resolve (vm, ST_IMAGE_KIND_SAME)),
                      same ? "byte-identical" : "bytes differ");
      if (vm->personality.family == ST_FAMILY_SPUR && vm->personality.word_bytes == 8)
        g_assert_true (same);

      /* Spur 32 heaps: 32 -> 64 -> 32 keeps the graph. */
      if (vm->personality.family == ST_FAMILY_SPUR && vm->personality.word_bytes == 4)
        {
          g_autofree char *wide = g_build_filename (dir, "wide.image", NULL);
          g_autofree char *narrow = g_build_filename (dir, "narrow.image", NULL);
          g_assert_true (st_image_write (vm, wide, ST_IMAGE_KIND_SPUR64, 0, &error));
          g_assert_no_error (error);
          StVM *w = st_image_read (wide, ST_READ_STRICT, &error);
          g_assert_no_error (error);
          g_assert_cmpuint (w->header.image_format, ==, vm->personality.sista ? 68533 : 68021);
          digest_of (w, d1);
          g_assert_cmpmem (d0, 32, d1, 32);
          /* ... and as a folder. */
          g_autofree char *folder = g_build_filename (dir, "folder.image", NULL);
          g_assert_true (st_image_write (vm, folder, ST_IMAGE_KIND_FOLDER, 0, &error));
          g_assert_no_error (error);
          StVM *f = st_image_read (folder, ST_READ_STRICT, &error);
          g_assert_no_error (error);
          digest_of (f, d1);
          g_assert_cmpmem (d0, 32, d1, 32);
          st_vm_free (f);
          if (st_image_write (w, narrow, ST_IMAGE_KIND_SPUR32, 0, &error))
            {
              StVM *n = st_image_read (narrow, ST_READ_STRICT, &error);
              g_assert_no_error (error);
              digest_of (n, d1);
              g_assert_cmpmem (d0, 32, d1, 32);
              st_vm_free (n);
            }
          else
            {
              g_test_message ("%s: 64 -> 32 not written: %s", ri->folder, error->message);
              g_clear_error (&error);
            }
          st_vm_free (w);
        }
      tried++;
      st_vm_free (back);
      st_vm_free (vm);
      thaw_test_rmdir (dir);
    }
  if (missing->len > 0)
    g_test_message ("not round-tripped:%s", missing->str);
  if (tried == 0)
    g_test_skip ("no real image could be read and written");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/roundtrip/pharo8-identical", test_pharo8_identical);
  g_test_add_func ("/image/roundtrip/pharo8-folder", test_pharo8_folder);
  g_test_add_func ("/image/roundtrip/pharo8-cli", test_pharo8_cli);
  g_test_add_func ("/image/roundtrip/cli-changes", test_cli_changes);
  g_test_add_func ("/image/roundtrip/every-real-image", test_every_real_image);
  return g_test_run ();
}
