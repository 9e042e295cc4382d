/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli convert IMAGE -o OUT [--to KIND] [--force]: write the image in
 * another (or its own) format, with its .changes file copied beside OUT. */
#include "config.h"

#include <sys/stat.h>

#include "thaw-cli.h"
#include "image-write.h"

/* Bytes of a file, or of the files directly inside a folder. */
static uint64_t
output_bytes (const char *path)
{
  struct stat st;
  if (stat (path, &st) != 0)
    return 0;
  if (!S_ISDIR (st.st_mode))
    return (uint64_t) st.st_size;
  uint64_t total = 0;
  GDir *d = g_dir_open (path, 0, NULL);
  if (d == NULL)
    return 0;
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (path, name, NULL);
      if (stat (p, &st) == 0 && S_ISREG (st.st_mode))
        total += (uint64_t) st.st_size;
    }
  g_dir_close (d);
  return total;
}

int
cli_convert (int argc, char **argv)
{
  gboolean json = FALSE, force = FALSE, backup = FALSE;
  char *out = NULL, *to = NULL;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Where to write the image (required)", "OUT" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, "Format: spur64, spur32, folder, v3 or same (default)", "KIND" },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force, "Replace OUT (and OUT's .changes) if they exist", NULL },
    { "backup", 0, 0, G_OPTION_ARG_NONE, &backup, "With --force: keep a replaced OUT as OUT.bak", NULL },
    { NULL }
  };
  if (!cli_parse (&argc, &argv, entries, &json))
    return CLI_EXIT_ERROR;
  g_autofree char *out_path = out;
  g_autofree char *to_name = to;
  g_autofree char *changes_dest = NULL;
  if (argc != 2 || out_path == NULL)
    {
      cli_error ("expects one IMAGE and -o OUT (try --help)");
      return CLI_EXIT_ERROR;
    }
  StImageKind kind = ST_IMAGE_KIND_SAME;
  if (to_name != NULL && !st_image_kind_from_string (to_name, &kind))
    {
      cli_error ("unknown format '%s': use spur64, spur32, folder, v3 or same", to_name);
      return CLI_EXIT_ERROR;
    }
  gint64 t0 = g_get_monotonic_time ();
  StVM *vm = cli_load (argv[1], ST_READ_STRICT);
  if (vm == NULL)
    return CLI_EXIT_ERROR;
  gint64 t1 = g_get_monotonic_time ();
  StImageKind resolved = st_image_kind_resolve (vm, kind);

  changes_dest = vm->changes_path ? st_image_changes_path_for (out_path) : NULL;
  if (changes_dest != NULL && !force && g_file_test (changes_dest, G_FILE_TEST_EXISTS))
    {
      cli_error ("%s exists; refusing to overwrite it without --force", changes_dest);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }
  g_autoptr (GError) error = NULL;
  StWriteFlags flags = (force ? ST_WRITE_FORCE : 0) | (backup ? ST_WRITE_BACKUP : 0);
  if (!st_image_write (vm, out_path, kind, flags, &error))
    {
      cli_error ("%s", error->message);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }
  gint64 t2 = g_get_monotonic_time ();
  gboolean copied = FALSE;
  if (changes_dest != NULL)
    {
      if (!st_image_copy_changes (vm, out_path, &error))
        {
          cli_error ("the image was written, but its .changes file was not copied: %s", error->message);
          st_vm_free (vm);
          return CLI_EXIT_ERROR;
        }
      copied = TRUE;
    }

  uint64_t bytes = output_bytes (out_path);
  Report *r = report_new (stdout, json);
  report_begin_object (r, NULL);
  report_str (r, "input", vm->image_path);
  report_uint (r, "input_format", vm->header.image_format);
  report_str (r, "input_format_meaning", st_image_format_describe (vm->header.image_format));
  report_str (r, "output", out_path);
  report_str (r, "output_kind", st_image_kind_to_string (resolved));
  report_uint (r, "output_bytes", bytes);
  report_str (r, "changes_copied_to", copied ? changes_dest : NULL);
  report_double (r, "read_seconds", (double) (t1 - t0) / 1e6);
  report_double (r, "write_seconds", (double) (t2 - t1) / 1e6);
  report_end_object (r);
  report_free (r);
  st_vm_free (vm);
  return CLI_EXIT_OK;
}
