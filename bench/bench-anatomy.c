/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-anatomy: how fast the checker, the heap map and the census go, and
 * how much memory the checker needs.  Built by meson, not run as a test:
 *
 *   _build/bench/bench-anatomy [IMAGE...]
 *
 * Without arguments it measures every real image it finds in
 * $THAW_IMAGES_DIR (default ../shared/images) and Debian's Scratch image,
 * then a synthetic heap of two million small objects from the test
 * builder (bigger than any real image here, so caches do not flatter).
 * Each measurement repeats until at least 0.3 s of this thread's CPU time
 * have passed and reports the best objects per CPU second of the runs
 * (CPU time, not wall time, so that a busy machine does not skew it). */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "census.h"
#include "heap-check.h"
#include "heap-map.h"
#include "builder.h"
#include "image-read.h"
#include "support.h"

static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef enum { RUN_CHECK, RUN_CHECK_NO_BYTECODES, RUN_MAP, RUN_CENSUS } Run;

/* Best objects per second over repeated runs. */
static double
measure (StVM *vm, Run what, uint64_t *objects, guint *runs)
{
  double best = 0, total = 0;
  guint n = 0;
  while (total < 0.3 || n < 3)
    {
      double t0 = cpu_seconds ();
      uint64_t count = 0;
      switch (what)
        {
        case RUN_CHECK:
        case RUN_CHECK_NO_BYTECODES:
          {
            StCheckOptions opts = { .skip_bytecodes = what == RUN_CHECK_NO_BYTECODES };
            StCheckReport *r = st_heap_check (vm, &opts);
            count = r->objects;
            st_check_report_free (r);
            break;
          }
        case RUN_MAP:
          {
            StHeapMap *m = st_heap_map_build (vm);
            count = m->objects;
            st_heap_map_free (m);
            break;
          }
        case RUN_CENSUS:
          {
            StCensus *c = st_census_take (vm, ST_CENSUS_SORT_BYTES);
            count = c->total_objects;
            st_census_free (c);
            break;
          }
        }
      double s = cpu_seconds () - t0;
      total += s;
      n++;
      if (s > 0 && count / s > best)
        best = count / s;
      *objects = count;
    }
  *runs = n;
  return best;
}

static void
bench_vm (StVM *vm, const char *path)
{
  uint64_t objects = 0;
  guint runs = 0;
  double check = measure (vm, RUN_CHECK, &objects, &runs);
  guint check_runs = runs;
  double check_nb = measure (vm, RUN_CHECK_NO_BYTECODES, &objects, &runs);
  double map = measure (vm, RUN_MAP, &objects, &runs);
  double census = measure (vm, RUN_CENSUS, &objects, &runs);
  StCheckReport *r = st_heap_check (vm, NULL);
  uint64_t words = r->heap_bytes / 8;
  g_autofree char *base = g_path_get_basename (path);
  printf ("%-27s %8" G_GUINT64_FORMAT " objects %9" G_GUINT64_FORMAT " bytes | check %5.1f M/s (%u runs),"
          " without bytecodes %5.1f M/s | map %6.1f M/s | census %6.1f M/s | bitmap %7" G_GSIZE_FORMAT
          " B = %.3f bit/word, all work %7" G_GSIZE_FORMAT " B = %.3f bit/word | findings %" G_GUINT64_FORMAT "\n",
          base, objects, r->heap_bytes, check / 1e6, check_runs, check_nb / 1e6, map / 1e6, census / 1e6,
          r->bitmap_bytes, 8.0 * r->bitmap_bytes / words, r->work_bytes, 8.0 * r->work_bytes / words,
          r->n_findings_total);
  st_check_report_free (r);
}

static void
bench (const char *path)
{
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_SALVAGE, &error);
  if (vm == NULL)
    {
      printf ("%s: cannot read: %s\n", path, error->message);
      return;
    }
  bench_vm (vm, path);
  st_vm_free (vm);
}

static void
bench_synthetic (guint n)
{
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  thaw_builder_garbage (b, n);
  StVM *vm = thaw_builder_finish (b);
  g_autofree char *name = g_strdup_printf ("synthetic-%u", n);
  bench_vm (vm, name);
  st_vm_free (vm);
  thaw_builder_free (b);
}

int
main (int argc, char **argv)
{
  if (argc > 1)
    {
      for (int i = 1; i < argc; i++)
        bench (argv[i]);
      return 0;
    }
  const char *dir = g_getenv ("THAW_IMAGES_DIR");
  if (dir == NULL)
    dir = "../shared/images";
  /* The real images the tests know (support.c), Debian's Scratch among them. */
  for (gsize i = 0; i < thaw_n_real_images; i++)
    {
      const ThawRealImage *ri = &thaw_real_images[i];
      g_autofree char *path = g_strcmp0 (ri->folder, "scratch") == 0
        ? g_strdup ("/usr/share/scratch/Scratch.image")
        : g_build_filename (dir, ri->folder, ri->file, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        bench (path);
      else
        printf ("%s: missing, skipped\n", path);
    }
  bench_synthetic (2000000);
  return 0;
}
