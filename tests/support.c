/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <stdarg.h>
#include <sys/wait.h>

#include "support.h"

const ThawRealImage thaw_real_images[] = {
  { "pharo8-kernel64", "Pharo.image" },
  { "cpnode-tiny32", "client-environment.image" },
  { "squeakjs-headless32", "headless.image" },
  { "cuis4.1", "Cuis4.1-1544-reduced.image" },
  { "cuis3.1r3", "Cuis3.1r3.image" },
  { "squeak-mini", "mini.image" },
  { "squeakjs-benchmark", "benchmark.image" },
  { "rsqueak-bootstrapped", "bootstrapped.image" },
  { "scratch", "Scratch.image" },
};
const gsize thaw_n_real_images = G_N_ELEMENTS (thaw_real_images);

char *
thaw_test_real_image (const char *folder, const char *file)
{
  char *path;
  if (g_strcmp0 (folder, "scratch") == 0)
    path = g_strdup ("/usr/share/scratch/Scratch.image");
  else
    {
      const char *dir = g_getenv ("THAW_IMAGES_DIR");
      if (dir == NULL)
        dir = "../shared/images";
      path = g_build_filename (dir, folder, file, NULL);
    }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *msg = g_strdup_printf ("real image %s is missing (skipped)", path);
      g_test_skip (msg);
      g_free (path);
      return NULL;
    }
  return path;
}

char *
thaw_test_tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("thaw-test-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

void
thaw_test_rmdir (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    {
      g_remove (dir);
      return;
    }
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR) && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
        thaw_test_rmdir (p);
      else
        g_remove (p);
    }
  g_dir_close (d);
  g_rmdir (dir);
}

const char *
thaw_test_cli (void)
{
  const char *cli = g_getenv ("THAW_CLI");
  g_assert_nonnull (cli);
  return cli;
}

gboolean
thaw_test_run_cli (char **out, char **err, int *status, const char *first_arg, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) thaw_test_cli ());
  va_list ap;
  va_start (ap, first_arg);
  for (const char *a = first_arg; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_autoptr (GError) error = NULL;
  int wait_status = 0;
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     out, err, &wait_status, &error))
    return FALSE;
  *status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : 128 + WTERMSIG (wait_status);
  return TRUE;
}
