/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-trace: how fast the system tracer goes, in MB of live data per
 * second, on the synthetic image from thaw_builder_write_synthetic (about
 * 100 MB of reachable objects by default) and on any images given.
 *
 *   _build/bench/bench-trace [--synthetic-mb N] [IMAGE...]
 *
 * Each image is traced three times (wall time; the build of the new heap
 * included, the write not); the best run is reported, with the time the
 * traced heap then takes to write as Spur 64 to a temporary file. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "builder.h"
#include "image-read.h"
#include "image-write.h"
#include "trace.h"

static int
bench_one (const char *path)
{
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  if (vm == NULL)
    {
      fprintf (stderr, "bench-trace: %s: %s\n", path, error->message);
      return 1;
    }
  double best = 0;
  StTraceReport rep = { 0 };
  StVM *nv = NULL;
  for (int i = 0; i < 3; i++)
    {
      st_trace_report_clear (&rep);
      if (nv != NULL)
        st_vm_free (nv);
      gint64 t0 = g_get_monotonic_time ();
      nv = st_trace (vm, NULL, &rep, &error);
      double s = (g_get_monotonic_time () - t0) / 1e6;
      if (nv == NULL)
        {
          fprintf (stderr, "bench-trace: %s: %s\n", path, error->message);
          st_vm_free (vm);
          return 1;
        }
      if (best == 0 || s < best)
        best = s;
    }
  g_autofree char *dir = g_dir_make_tmp ("thaw-bench-trace-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "traced.image", NULL);
  gint64 w0 = g_get_monotonic_time ();
  gboolean ok = st_image_write (nv, out, ST_IMAGE_KIND_SPUR64, 0, &error);
  double ws = (g_get_monotonic_time () - w0) / 1e6;
  g_unlink (out);
  g_rmdir (dir);
  printf ("%s\n  live: %" G_GUINT64_FORMAT " objects, %.1f MB (of %.1f MB heap, %" G_GUINT64_FORMAT
          " objects garbage)\n  trace: %.3f s = %.0f MB/s of live data, %.2f M objects/s\n"
          "  write (spur64): %s %.3f s\n",
          path, rep.live_objects, rep.live_bytes / 1e6, rep.heap_bytes_before / 1e6, rep.garbage_objects,
          best, rep.live_bytes / 1e6 / best, rep.live_objects / 1e6 / best,
          ok ? "ok" : error->message, ws);
  st_trace_report_clear (&rep);
  st_vm_free (nv);
  st_vm_free (vm);
  return ok ? 0 : 1;
}

int
main (int argc, char **argv)
{
  guint mb = 100;
  int status = 0;
  gboolean any = FALSE;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--synthetic-mb") == 0 && i + 1 < argc)
        mb = (guint) atoi (argv[++i]);
      else
        {
          status |= bench_one (argv[i]);
          any = TRUE;
        }
    }
  if (any && mb == 100)
    return status;
  g_autoptr (GError) error = NULL;
  char *synthetic = thaw_builder_write_synthetic (mb, FALSE, &error);
  if (synthetic == NULL)
    {
      fprintf (stderr, "bench-trace: cannot make the synthetic image: %s\n", error->message);
      return 1;
    }
  status |= bench_one (synthetic);
  g_autofree char *dir = g_path_get_dirname (synthetic);
  g_unlink (synthetic);
  g_rmdir (dir);
  g_free (synthetic);
  return status;
}
