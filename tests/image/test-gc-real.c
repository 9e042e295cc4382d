/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The collector on real images: collections keep the reachable graph
 * (digest), long runs with a heap check after every collection stay
 * clean, the full tinyBenchmarks finishes (it allocates gigabytes of
 * contexts), and the image's own snapshot primitive writes an image that
 * starts. */
#include "config.h"

#include <string.h>

#include "digest.h"
#include "gc.h"
#include "heap-check.h"
#include "image-read.h"
#include "interp.h"
#include "support.h"

static guint64
count_findings (StVM *vm)
{
  StCheckOptions opts = { .max_findings = 5 };
  StCheckReport *r = st_heap_check (vm, &opts);
  guint64 n = r->n_findings_total;
  for (guint i = 0; i < r->n_findings; i++)
    g_test_message ("finding: %s", r->findings[i].message);
  st_check_report_free (r);
  return n;
}

/* Load, start the interpreter, then a scavenge, a tenure-all and two full
 * collections: the digest of the reachable graph never changes, and the
 * checker finds no more than before. */
static void
test_collections_keep_digest (gconstpointer data)
{
  const ThawRealImage *img = data;
  g_autofree char *path = thaw_test_real_image (img->folder, img->file);
  if (path == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_true (st_interp_init (vm, &error));
  g_assert_no_error (error);
  guint64 before = count_findings (vm);
  guint8 d0[32], d1[32];
  g_assert_true (st_digest (vm, d0, &error));
  const StGcKind kinds[] = { ST_GC_SCAVENGE, ST_GC_TENURE_ALL, ST_GC_FULL, ST_GC_FULL };
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_assert_true (st_gc_collect (vm, kinds[i], &error));
      g_assert_no_error (error);
      g_assert_true (st_digest (vm, d1, &error));
      g_assert_cmpmem (d0, 32, d1, 32);
    }
  g_assert_cmpuint (count_findings (vm), <=, before);
  GArray *samples = g_array_new (FALSE, FALSE, sizeof (StGcSample));
  st_gc_samples (vm, 0, samples);
  g_assert_cmpuint (samples->len, ==, 4);
  const StGcSample *full = &g_array_index (samples, StGcSample, 2);
  g_test_message ("%s: full GC %" G_GINT64_FORMAT " us, %" G_GUINT64_FORMAT " objects, old space %" G_GUINT64_FORMAT
                  " -> %" G_GUINT64_FORMAT " bytes", img->folder, full->pause_usecs, full->objects_after,
                  full->bytes_before, full->bytes_after);
  g_assert_cmpuint (full->objects_after, >, 1000);
  g_array_unref (samples);
  st_vm_free (vm);
}

/* The whole of `0 tinyBenchmarks`: the sends half (benchFib) allocates
 * gigabytes of contexts (most taken back as they return, the rest
 * scavenged). */
static void
tiny_benchmarks (const char *folder, const char *file)
{
  g_autofree char *path = thaw_test_real_image (folder, file);
  if (path == NULL)
    return;
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "run", "--eval", "0 tinyBenchmarks", "--seconds", "120",
                                    path, NULL));
  g_test_message ("%s", out);
  g_assert_cmpint (status, ==, 0);
  GMatchInfo *m = NULL;
  g_assert_true (g_regex_match_simple ("eval_result: '[1-9][0-9,]* bytecodes/sec; [1-9][0-9,]* sends/sec'\n", out,
                                       0, 0));
  g_autoptr (GRegex) re = g_regex_new ("  scavenges: ([0-9]+)", 0, 0, NULL);
  g_assert_true (g_regex_match (re, out, 0, &m));
  g_autofree char *n = g_match_info_fetch (m, 1);
  g_match_info_free (m);
  g_assert_cmpuint (g_ascii_strtoull (n, NULL, 10), >, 0);
  g_autoptr (GRegex) re2 = g_regex_new ("\nbytes_allocated: ([0-9]+)", 0, 0, NULL);
  g_assert_true (g_regex_match (re2, out, 0, &m));
  g_autofree char *b = g_match_info_fetch (m, 1);
  g_match_info_free (m);
  g_assert_cmpuint (g_ascii_strtoull (b, NULL, 10), >, G_GUINT64_CONSTANT (1) << 30);
}

static void test_tiny_benchmarks_cuis (void) { tiny_benchmarks ("cuis4.1", "Cuis4.1-1544-reduced.image"); }
static void test_tiny_benchmarks_squeakjs (void) { tiny_benchmarks ("squeakjs-benchmark", "benchmark.image"); }

/* Runs with the checker after every collection: nothing new turns up. */
static void
long_run_checked (const char *folder, const char *file, const char *seconds, guint min_collections)
{
  g_autofree char *path = thaw_test_real_image (folder, file);
  if (path == NULL)
    return;
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "run", "--gc-check", "--seconds", seconds, path, NULL));
  g_test_message ("%s", out);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "\n  findings: 0\n"));
  GMatchInfo *m = NULL;
  g_autoptr (GRegex) re = g_regex_new ("collections_checked: ([0-9]+)", 0, 0, NULL);
  g_assert_true (g_regex_match (re, out, 0, &m));
  g_autofree char *n = g_match_info_fetch (m, 1);
  g_match_info_free (m);
  g_assert_cmpuint (g_ascii_strtoull (n, NULL, 10), >=, min_collections);
}

static void test_long_run_mini (void) { long_run_checked ("squeak-mini", "mini.image", "8", 50); }
static void test_long_run_scratch (void) { long_run_checked ("scratch", "Scratch.image", "5", 5); }

/* The image's own WeakArray, through a scavenge (garbageCollectMost) and a
 * full collection: an entry only it holds becomes nil, one held elsewhere
 * stays; as squeak-vm answers on these images.  The dead entry's object
 * was on the doIt's stack before it was popped (a context is traced only
 * up to its stack pointer). */
static void
weak_array (const char *folder, const char *file)
{
  g_autofree char *path = thaw_test_real_image (folder, file);
  if (path == NULL)
    return;
  static const char *const collect[] = { "garbageCollectMost", "garbageCollect" };
  for (guint i = 0; i < G_N_ELEMENTS (collect); i++)
    {
      g_autofree char *expr = g_strdup_printf (
          "| w keep | w := WeakArray new: 2. keep := Object new. w at: 1 put: Object new; at: 2 put: keep. "
          "Smalltalk %s. (w at: 1) printString, ' ', ((w at: 2) == keep) printString", collect[i]);
      g_autofree char *out = NULL, *err = NULL;
      int status = -1;
      g_assert_true (thaw_test_run_cli (&out, &err, &status, "run", "--eval", expr, "--seconds", "60", path, NULL));
      g_test_message ("%s", out);
      g_assert_cmpint (status, ==, 0);
      g_assert_nonnull (strstr (out, "eval_result: 'nil true'\n"));
    }
}

static void test_weak_array_scratch (void) { weak_array ("scratch", "Scratch.image"); }
static void test_weak_array_cuis (void) { weak_array ("cuis4.1", "Cuis4.1-1544-reduced.image"); }

/* Smalltalk snapshot: true andQuit: false, written where --snapshot-to
 * says; the written image reads back clean and evaluates. */
static void
test_snapshot_primitive (void)
{
  g_autofree char *path = thaw_test_real_image ("squeak-mini", "mini.image");
  if (path == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *snap = g_build_filename (dir, "snap.image", NULL);
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "run", "--snapshot-to", snap, "--eval",
                                    "(Smalltalk snapshot: true andQuit: false) printString", path, NULL));
  g_test_message ("%s", out);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "snapshot written to"));
  g_assert_true (g_file_test (snap, G_FILE_TEST_IS_REGULAR));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "check", snap, NULL));
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "run", "--eval", "3 + 4", snap, NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "eval_result: 7\n"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* Without --snapshot-to the primitive fails and says why. */
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "run", "--eval",
                                    "(Smalltalk snapshot: true andQuit: false) printString", path, NULL));
  g_assert_nonnull (strstr (out, "snapshot refused"));
  thaw_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < thaw_n_real_images; i++)
    {
      g_autofree char *name = g_strdup_printf ("/image/gc/collections-keep-digest/%s", thaw_real_images[i].folder);
      g_test_add_data_func (name, &thaw_real_images[i], test_collections_keep_digest);
    }
  g_test_add_func ("/image/gc/tiny-benchmarks/cuis4.1", test_tiny_benchmarks_cuis);
  g_test_add_func ("/image/gc/tiny-benchmarks/squeakjs-benchmark", test_tiny_benchmarks_squeakjs);
  g_test_add_func ("/image/gc/long-run-checked/squeak-mini", test_long_run_mini);
  g_test_add_func ("/image/gc/long-run-checked/scratch", test_long_run_scratch);
  g_test_add_func ("/image/gc/snapshot-primitive", test_snapshot_primitive);
  g_test_add_func ("/image/gc/weak-array/scratch", test_weak_array_scratch);
  g_test_add_func ("/image/gc/weak-array/cuis4.1", test_weak_array_cuis);
  return g_test_run ();
}
