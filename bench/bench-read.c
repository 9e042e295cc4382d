/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-read: how fast Spur 64 images load, write and digest, and how much
 * memory a load takes.  Built by meson, not run as a test:
 *
 *   _build/bench/bench-read [IMAGE] [--synthetic-mb N]
 *
 * IMAGE defaults to pharo8-kernel64/Pharo.image under $THAW_IMAGES_DIR
 * (default ../shared/images).  It also builds a synthetic Spur 64 image of
 * about N MB (default 100) with the test builder, writes it to $TMPDIR,
 * measures it the same way and removes it.  Loads are from the page cache
 * (the file is read once before timing); each figure is the best of
 * several runs.  Peak RSS is measured in a child process per load, as the
 * growth of VmHWM across one load. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "builder.h"
#include "digest.h"
#include "image-read.h"
#include "image-write.h"

static double
now (void)
{
  return (double) g_get_monotonic_time () / 1e6;
}

/* CPU time of this process: unlike wall time, it does not count other
 * programs' use of a busy machine. */
static double
cpu_now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static long
vm_hwm_kib (void)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    return -1;
  const char *p = strstr (text, "VmHWM:");
  return p ? strtol (p + 6, NULL, 10) : -1;
}

/* Peak RSS growth of one load, in a fresh child, in KiB. */
static long
load_peak_kib (const char *path)
{
  int fds[2];
  if (pipe (fds) != 0)
    return -1;
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (fds[0]);
      long before = vm_hwm_kib ();
      StVM *vm = st_image_read (path, ST_READ_STRICT, NULL);
      long after = vm_hwm_kib ();
      long d = vm != NULL ? after - before : -1;
      if (write (fds[1], &d, sizeof d) != sizeof d)
        _exit (1);
      _exit (0);
    }
  close (fds[1]);
  long d = -1;
  if (read (fds[0], &d, sizeof d) != sizeof d)
    d = -1;
  close (fds[0]);
  waitpid (pid, NULL, 0);
  return d;
}

static void
measure (const char *label, const char *path)
{
  struct stat st;
  if (stat (path, &st) != 0)
    {
      printf ("%s: %s is missing, skipped\n", label, path);
      return;
    }
  double mb = (double) st.st_size / 1e6;
  g_autoptr (GError) error = NULL;
  /* Warm the page cache. */
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  if (vm == NULL)
    {
      printf ("%s: cannot read: %s\n", label, error->message);
      return;
    }
  st_vm_free (vm);

  double best = 1e9, cbest = 1e9, start = now ();
  int runs = 0;
  while (runs < 3 || (now () - start < 1.0 && runs < 50))
    {
      double t0 = now (), c0 = cpu_now ();
      vm = st_image_read (path, ST_READ_STRICT, NULL);
      double t = now () - t0, c = cpu_now () - c0;
      st_vm_free (vm);
      best = MIN (best, t);
      cbest = MIN (cbest, c);
      runs++;
    }
  long peak = load_peak_kib (path);
  printf ("%s: %s, %.1f MB\n", label, path, mb);
  printf ("  load:    %8.3f s  %8.0f MB/s  (best of %d; CPU time %.3f s = %.0f MB/s)\n", best, mb / best, runs,
          cbest, mb / cbest);
  printf ("  peak RSS growth of one load: %.1f MB = %.2f x the file size\n", (double) peak / 1024.0,
          (double) peak * 1024.0 / (double) st.st_size);

  vm = st_image_read (path, ST_READ_STRICT, NULL);
  guint8 d[32];
  StDigestStats ds = { 0 };
  double dbest = 1e9, dcpu = 1e9;
  for (int i = 0; i < 3; i++)
    {
      double t0 = now (), c0 = cpu_now ();
      st_digest_full (vm, d, &ds, NULL);
      dbest = MIN (dbest, now () - t0);
      dcpu = MIN (dcpu, cpu_now () - c0);
    }
  g_autofree char *hex = st_digest_hex (d);
  printf ("  digest:  %8.3f s  %8.0f MB/s  %.2f M objects/s  (CPU time %.3f s = %.2f M objects/s; "
          "%" G_GUINT64_FORMAT " reachable objects, %s)\n", dbest, (double) ds.bytes / 1e6 / dbest,
          (double) ds.objects / 1e6 / dbest, dcpu, (double) ds.objects / 1e6 / dcpu, ds.objects, hex);

  g_autofree char *dir = g_dir_make_tmp ("thaw-bench-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "out.image", NULL);
  double wbest = 1e9;
  for (int i = 0; i < 3; i++)
    {
      double t0 = now ();
      if (!st_image_write (vm, out, ST_IMAGE_KIND_SPUR64, ST_WRITE_FORCE, &error))
        {
          printf ("  write failed: %s\n", error->message);
          break;
        }
      wbest = MIN (wbest, now () - t0);
    }
  printf ("  write:   %8.3f s  %8.0f MB/s  (with fsync)\n", wbest, mb / wbest);
  g_unlink (out);
  g_rmdir (dir);
  st_vm_free (vm);
}

int
main (int argc, char **argv)
{
  guint synthetic_mb = 100;
  const char *image = NULL;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--synthetic-mb") == 0 && i + 1 < argc)
        synthetic_mb = (guint) atoi (argv[++i]);
      else
        image = argv[i];
    }
  g_autofree char *dflt = NULL;
  if (image == NULL)
    {
      const char *dir = g_getenv ("THAW_IMAGES_DIR");
      dflt = g_build_filename (dir ? dir : "../shared/images", "pharo8-kernel64", "Pharo.image", NULL);
      image = dflt;
    }
  measure ("real image", image);
  if (synthetic_mb > 0)
    {
      double t0 = now ();
      g_autoptr (GError) error = NULL;
      g_autofree char *syn = thaw_builder_write_synthetic (synthetic_mb, FALSE, &error);
      if (syn == NULL)
        fprintf (stderr, "bench-read: cannot write the synthetic image: %s\n", error->message);
      else
        {
          printf ("(synthetic image built and written in %.2f s)\n", now () - t0);
          measure ("synthetic", syn);
          g_autofree char *dir = g_path_get_dirname (syn);
          g_unlink (syn);
          g_rmdir (dir);
        }
    }
  return 0;
}
