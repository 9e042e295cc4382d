/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The system tracer on every real image: the traced image, written in the
 * image's own format and read back, holds the same reachable graph
 * (digest), has no more checker findings than the original, and is not
 * larger; Spur 32 images go to Spur 64 and back through the tracer with
 * the same digest; the CLI runs and reports. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include "builder.h"
#include "digest.h"
#include "heap-check.h"
#include "image-read.h"
#include "image-write.h"
#include "support.h"
#include "trace.h"

static char *
digest_hex (StVM *vm)
{
  guint8 d[32];
  g_autoptr (GError) error = NULL;
  g_assert_true (st_digest (vm, d, &error));
  g_assert_no_error (error);
  return st_digest_hex (d);
}

static uint64_t
findings (StVM *vm)
{
  StCheckReport *r = st_heap_check (vm, NULL);
  uint64_t n = r->n_findings_total;
  st_check_report_free (r);
  return n;
}

static uint64_t
file_bytes (const char *path)
{
  struct stat st;
  g_assert_cmpint (stat (path, &st), ==, 0);
  return (uint64_t) st.st_size;
}

static StVM *
trace (StVM *vm, StTraceReport *rep)
{
  g_autoptr (GError) error = NULL;
  StVM *nv = st_trace (vm, NULL, rep, &error);
  g_assert_no_error (error);
  g_assert_nonnull (nv);
  return nv;
}

static StVM *
write_and_read (StVM *vm, const char *path, StImageKind kind)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (st_image_write (vm, path, kind, ST_WRITE_FORCE, &error));
  g_assert_no_error (error);
  StVM *back = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  return back;
}

static void
test_real (gconstpointer data)
{
  const ThawRealImage *ri = data;
  g_autofree char *path = thaw_test_real_image (ri->folder, ri->file);
  if (path == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_autofree char *d0 = digest_hex (vm);
  uint64_t f0 = findings (vm);

  StTraceReport rep;
  StVM *nv = trace (vm, &rep);
  g_test_message ("%s: %" G_GUINT64_FORMAT " objects -> %" G_GUINT64_FORMAT ", garbage %" G_GUINT64_FORMAT
                  " objects / %" G_GUINT64_FORMAT " bytes, %.1f MB/s live", ri->folder, rep.objects_before,
                  rep.objects_after, rep.garbage_objects, rep.garbage_bytes,
                  rep.seconds > 0 ? rep.live_bytes / 1e6 / rep.seconds : 0.0);
  g_assert_cmpuint (rep.bad_refs, ==, 0);
  g_assert_cmpuint (rep.heap_bytes_after, <=, rep.heap_bytes_before);
  g_autofree char *d1 = digest_hex (nv);
  g_assert_cmpstr (d1, ==, d0);
  g_assert_cmpuint (findings (nv), <=, f0);

  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "traced.image", NULL);
  StVM *back = write_and_read (nv, out, ST_IMAGE_KIND_SAME);
  g_assert_cmpuint (file_bytes (out), <=, file_bytes (path));
  g_assert_cmpuint (back->header.image_format, ==, vm->header.image_format);
  g_autofree char *d2 = digest_hex (back);
  g_assert_cmpstr (d2, ==, d0);
  g_assert_cmpuint (findings (back), <=, f0);

  /* Tracing the traced image again drops nothing more. */
  StTraceReport rep2;
  StVM *again = trace (back, &rep2);
  g_assert_cmpuint (rep2.garbage_objects, ==, 0);
  g_assert_cmpuint (rep2.heap_bytes_after, ==, rep2.heap_bytes_before);
  st_trace_report_clear (&rep2);
  st_vm_free (again);

  st_vm_free (back);
  thaw_test_rmdir (dir);
  st_trace_report_clear (&rep);
  st_vm_free (nv);
  st_vm_free (vm);
}

/* Spur 32 -> trace -> Spur 64 -> trace -> Spur 32: the same graph. */
static void
test_spur32_through_64 (void)
{
  guint done = 0;
  for (gsize i = 0; i < thaw_n_real_images; i++)
    {
      const ThawRealImage *ri = &thaw_real_images[i];
      g_autofree char *path = g_strcmp0 (ri->folder, "scratch") == 0 ? NULL
                              : g_build_filename (g_getenv ("THAW_IMAGES_DIR") ? g_getenv ("THAW_IMAGES_DIR")
                                                  : "../shared/images", ri->folder, ri->file, NULL);
      if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      g_autoptr (GError) error = NULL;
      StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
      g_assert_no_error (error);
      if (vm->personality.family != ST_FAMILY_SPUR || vm->personality.word_bytes != 4)
        {
          st_vm_free (vm);
          continue;
        }
      g_autofree char *d0 = digest_hex (vm);
      g_autofree char *dir = thaw_test_tmpdir ();
      g_autofree char *p64 = g_build_filename (dir, "wide.image", NULL);
      g_autofree char *p32 = g_build_filename (dir, "narrow.image", NULL);
      StTraceReport r1, r2;
      StVM *t1 = trace (vm, &r1);
      StVM *wide = write_and_read (t1, p64, ST_IMAGE_KIND_SPUR64);
      g_assert_cmpuint (wide->personality.word_bytes, ==, 8);
      g_autofree char *d64 = digest_hex (wide);
      g_assert_cmpstr (d64, ==, d0);
      StVM *t2 = trace (wide, &r2);
      StVM *narrow = write_and_read (t2, p32, ST_IMAGE_KIND_SPUR32);
      g_assert_cmpuint (narrow->personality.word_bytes, ==, 4);
      g_autofree char *d32 = digest_hex (narrow);
      g_assert_cmpstr (d32, ==, d0);
      g_assert_cmpuint (file_bytes (p32), <=, file_bytes (path));
      g_test_message ("%s: 32 -> 64 (%" G_GUINT64_FORMAT " bytes) -> 32 (%" G_GUINT64_FORMAT " bytes), same digest",
                      ri->folder, file_bytes (p64), file_bytes (p32));
      done++;
      st_trace_report_clear (&r1);
      st_trace_report_clear (&r2);
      st_vm_free (narrow);
      st_vm_free (t2);
      st_vm_free (wide);
      st_vm_free (t1);
      st_vm_free (vm);
      thaw_test_rmdir (dir);
    }
  if (done == 0)
    g_test_skip ("no Spur 32-bit real image found");
}

/* The CLI: a dry run writes nothing; a trace with a class clamp writes an
 * image with no instance of the class left. */
static void
test_cli (void)
{
  g_autofree char *path = thaw_test_real_image ("squeak-mini", "mini.image");
  if (path == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "clamped.image", NULL);
  g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&o1, &e1, &status, "trace", path, "--dry-run", "--json", NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (o1, "\"dry_run\": true"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  g_assert_true (thaw_test_run_cli (&o2, &e2, &status, "trace", path, "-o", out, "--clamp", "Point", NULL));
  g_test_message ("%s%s", o2, e2);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));
  g_assert_true (thaw_test_run_cli (&o3, &e3, &status, "census", out, "--json", "--top", "100000", NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_null (strstr (o3, "\"Point\""));
  thaw_test_rmdir (dir);
}

/* The CLI on a damaged image: the skipped reference is listed, exit 1,
 * and the written image is clean. */
static void
test_cli_damaged (void)
{
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  StOop str = thaw_builder_string (b, "target");
  StOop elems[2] = { str, str };
  StOop arr = thaw_builder_array (b, 2, elems);
  thaw_builder_global (b, "Damaged", arr);
  StVM *vm = thaw_builder_finish (b);
  thaw_builder_free (b);
  thaw_damage_pointer_into_middle (vm, arr, 1, str);
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *in = g_build_filename (dir, "damaged.image", NULL);
  g_autofree char *out = g_build_filename (dir, "traced.image", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_image_write (vm, in, ST_IMAGE_KIND_SPUR64, 0, &error));
  g_assert_no_error (error);
  st_vm_free (vm);
  g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&o1, &e1, &status, "trace", in, "-o", out, "--json", NULL));
  g_test_message ("%s%s", o1, e1);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (o1, "\"bad_references\": 1"));
  g_autofree char *field = g_strdup_printf ("\"from\": %" G_GUINT64_FORMAT, (guint64) arr);
  g_assert_nonnull (strstr (o1, field));
  g_assert_true (thaw_test_run_cli (&o2, &e2, &status, "check", out, NULL));
  g_assert_cmpint (status, ==, 0);
  thaw_test_rmdir (dir);
}

/* A traced image still runs: the image's own compiler answers 3 + 4 in it
 * just as in the original (the images here that have a compiler). */
static void
test_traced_runs (gconstpointer data)
{
  const ThawRealImage *ri = data;
  g_autofree char *path = thaw_test_real_image (ri->folder, ri->file);
  if (path == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "traced.image", NULL);
  g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&o1, &e1, &status, "trace", path, "-o", out, NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_true (thaw_test_run_cli (&o2, &e2, &status, "run", "--eval", "3 + 4", "--json", path, NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (o2, "\"eval_result\": \"7\""));
  g_assert_true (thaw_test_run_cli (&o3, &e3, &status, "run", "--eval", "3 + 4", "--json", out, NULL));
  if (status != 0 || strstr (o3, "\"eval_result\": \"7\"") == NULL)
    g_test_message ("traced image: %s%s", o3, e3);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (o3, "\"eval_result\": \"7\""));
  thaw_test_rmdir (dir);
}

static const ThawRealImage with_compiler[] = {
  { "cuis4.1", "Cuis4.1-1544-reduced.image" },
  { "squeak-mini", "mini.image" },
  { "scratch", "Scratch.image" },
};

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < thaw_n_real_images; i++)
    {
      g_autofree char *name = g_strdup_printf ("/image/trace/%s", thaw_real_images[i].folder);
      g_test_add_data_func (name, &thaw_real_images[i], test_real);
    }
  g_test_add_func ("/image/trace/spur32-through-64", test_spur32_through_64);
  g_test_add_func ("/image/trace/cli", test_cli);
  g_test_add_func ("/image/trace/cli-damaged", test_cli_damaged);
  for (gsize i = 0; i < G_N_ELEMENTS (with_compiler); i++)
    {
      g_autofree char *name = g_strdup_printf ("/image/trace/traced-runs/%s", with_compiler[i].folder);
      g_test_add_data_func (name, &with_compiler[i], test_traced_runs);
    }
  return g_test_run ();
}
