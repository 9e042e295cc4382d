/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-gc: the collector's and the interpreter's targets of issue 7.
 *
 *   THAW_IMAGES_DIR=../shared/images _build/bench/bench-gc [--eden-kb N]
 *
 * 1. Scavenge pauses with a 4 MB eden (by default) during `0 tinyBenchmarks`
 *    on cuis4.1: count, median, 95th percentile and largest pause, bytes
 *    copied, and the tinyBenchmarks figures themselves.
 * 2. Full collections of each real image just loaded: pause and live objects.
 * 3. Scratch.image from load to its idle process: wall time. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"
#include "image-read.h"
#include "interp.h"
#include "process.h"

static char *
image_path (const char *folder, const char *file)
{
  if (g_strcmp0 (folder, "scratch") == 0)
    return g_strdup ("/usr/share/scratch/Scratch.image");
  const char *dir = g_getenv ("THAW_IMAGES_DIR");
  return g_build_filename (dir ? dir : "../shared/images", folder, file, NULL);
}

static StVM *
load (const char *folder, const char *file)
{
  g_autofree char *path = image_path (folder, file);
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  if (vm == NULL)
    {
      printf ("%-22s skipped: %s\n", folder, error->message);
      return NULL;
    }
  if (!st_interp_init (vm, &error))
    {
      printf ("%-22s skipped: %s\n", folder, error->message);
      st_vm_free (vm);
      return NULL;
    }
  return vm;
}

static int
cmp_i64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static void
scavenges (void)
{
  StVM *vm = load ("cuis4.1", "Cuis4.1-1544-reduced.image");
  if (vm == NULL)
    return;
  g_autoptr (GError) error = NULL;
  if (!st_interp_eval (vm, "0 tinyBenchmarks", &error))
    {
      printf ("tinyBenchmarks: %s\n", error->message);
      st_vm_free (vm);
      return;
    }
  gint64 t0 = g_get_monotonic_time ();
  StRunStatus s = st_interp_run (vm, 0, 300, &error);
  double secs = (g_get_monotonic_time () - t0) / 1e6;
  const StGcStats *gs = st_gc_stats (vm);
  g_autoptr (GArray) samples = g_array_new (FALSE, FALSE, sizeof (StGcSample));
  st_gc_samples (vm, 0, samples);
  GArray *pauses = g_array_new (FALSE, FALSE, sizeof (gint64));
  uint64_t copied = 0;
  for (guint i = 0; i < samples->len; i++)
    {
      const StGcSample *x = &g_array_index (samples, StGcSample, i);
      if (x->kind != ST_GC_SCAVENGE)
        continue;
      g_array_append_val (pauses, x->pause_usecs);
      copied += x->survivor_bytes + x->tenured_bytes;
    }
  printf ("cuis4.1 0 tinyBenchmarks: %s (%s, %.1f s)\n", st_interp_eval_result (vm) ? st_interp_eval_result (vm) : "-",
          st_run_status_name (s), secs);
  printf ("  eden %" G_GUINT64_FORMAT " KB, %" G_GUINT64_FORMAT " scavenges (%" G_GUINT64_FORMAT
          " full), %.1f ms in all, allocated %.1f GB\n",
          gs->eden_bytes >> 10, gs->scavenges, gs->full_gcs, gs->scavenge_usecs / 1000.0,
          st_interp_stats (vm)->bytes_allocated / 1e9);
  if (pauses->len > 0)
    {
      g_array_sort (pauses, cmp_i64);
      gint64 *p = (gint64 *) (void *) pauses->data;
      printf ("  scavenge pause (last %u): median %" G_GINT64_FORMAT " us, p95 %" G_GINT64_FORMAT " us, max %"
              G_GINT64_FORMAT " us; %.1f KB copied on average\n", pauses->len, p[pauses->len / 2],
              p[pauses->len * 95 / 100], p[pauses->len - 1], copied / 1024.0 / pauses->len);
    }
  g_array_unref (pauses);
  st_vm_free (vm);
}

static void
full_gcs (void)
{
  static const char *const images[][2] = {
    { "pharo8-kernel64", "Pharo.image" }, { "cuis4.1", "Cuis4.1-1544-reduced.image" },
    { "squeak-mini", "mini.image" }, { "scratch", "Scratch.image" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (images); i++)
    {
      StVM *vm = load (images[i][0], images[i][1]);
      if (vm == NULL)
        continue;
      gint64 best = G_MAXINT64;
      StGcSample last = { 0 };
      for (int k = 0; k < 5; k++)
        {
          g_autoptr (GError) error = NULL;
          st_gc_collect (vm, ST_GC_FULL, &error);
          g_autoptr (GArray) a = g_array_new (FALSE, FALSE, sizeof (StGcSample));
          st_gc_samples (vm, 0, a);
          last = g_array_index (a, StGcSample, a->len - 1);
          best = MIN (best, last.pause_usecs);
        }
      printf ("%-22s full GC %6.2f ms (best of 5), %" G_GUINT64_FORMAT " live objects, %.1f MB old space\n",
              images[i][0], best / 1000.0, last.objects_after, last.old_bytes / 1e6);
      st_vm_free (vm);
    }
}

static void
scratch_to_idle (void)
{
  gint64 t0 = g_get_monotonic_time ();
  StVM *vm = load ("scratch", "Scratch.image");
  if (vm == NULL)
    return;
  gint64 t1 = g_get_monotonic_time ();
  double at = -1;
  for (int slice = 0; slice < 100000 && at < 0; slice++)
    {
      g_autoptr (GError) error = NULL;
      /* Short time slices: once the image waits (its idle process
       * sleeps in relinquishProcessor), a slice ends there. */
      StRunStatus s = st_interp_run (vm, 0, 0.002, &error);
      if (s != ST_RUN_BYTECODE_LIMIT && s != ST_RUN_TIME_LIMIT)
        break;
      StOop ctx = st_interp_active_context (vm);
      g_autofree char *name = NULL;
      bool truncated = false;
      g_autofree char *problem = NULL;
      GPtrArray *frames = st_process_stack (vm, ctx, 1, &truncated, &problem);
      if (frames != NULL && frames->len > 0)
        {
          StFrame *f = g_ptr_array_index (frames, 0);
          if (strstr (f->print, "idleProcess") != NULL)
            at = (g_get_monotonic_time () - t0) / 1e6;
        }
      if (frames != NULL)
        g_ptr_array_unref (frames);
    }
  printf ("scratch: load %.3f s; load to the idle process %.3f s; %" G_GUINT64_FORMAT " bytecodes\n",
          (t1 - t0) / 1e6, at, st_interp_stats (vm)->bytecodes);
  st_vm_free (vm);
}

int
main (int argc, char **argv)
{
  const char *eden = "4096";
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--eden-kb") == 0 && i + 1 < argc)
      eden = argv[++i];
  g_setenv ("THAW_EDEN_KB", eden, TRUE);
  scavenges ();
  full_gcs ();
  scratch_to_idle ();
  return 0;
}
