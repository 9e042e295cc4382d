/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli edit IMAGE --set 'PATH=VALUE' ... -o OUT: change slots and
 * write the result to a new file.  Never in place; an existing OUT only
 * with --force.  Every edit is checked before anything is written, and the
 * integrity checker runs before and after: when the edits add a finding,
 * nothing is written. */
#include "config.h"

#include "thaw-cli.h"
#include "edit.h"
#include "heap-check.h"
#include "image-write.h"

int
cli_edit (int argc, char **argv)
{
  gboolean json = FALSE, force = FALSE;
  char **sets = NULL;
  char *out = NULL, *to_name = NULL;
  const GOptionEntry entries[] = {
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Set a slot: PATH=VALUE (repeatable)", "PATH=VALUE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Where to write the edited image (required)", "OUT" },
    { "to", 't', 0, G_OPTION_ARG_STRING, &to_name, "Output format: same (default), spur64, spur32, folder, v3", "KIND" },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force, "Replace OUT (and its .changes) if they exist", NULL },
    { NULL }
  };
  int status = CLI_EXIT_ERROR;
  StVM *vm = NULL;
  StEditLog *log = NULL;
  StPrinter *p = NULL;
  StCheckReport *before = NULL, *after = NULL;
  char *changes_dest = NULL;
  if (!cli_parse (&argc, &argv, entries, &json))
    goto done;
  if (argc != 2 || out == NULL || sets == NULL)
    {
      cli_error ("expects one IMAGE, at least one --set PATH=VALUE and -o OUT (try --help)");
      goto done;
    }
  StImageKind kind = ST_IMAGE_KIND_SAME;
  if (to_name != NULL && !st_image_kind_from_string (to_name, &kind))
    {
      cli_error ("unknown format '%s': use spur64, spur32, folder, v3 or same", to_name);
      goto done;
    }
  if (!force && g_file_test (out, G_FILE_TEST_EXISTS))
    {
      cli_error ("%s exists; refusing to overwrite it without --force", out);
      goto done;
    }
  vm = cli_load (argv[1], ST_READ_STRICT);
  if (vm == NULL)
    goto done;
  changes_dest = vm->changes_path ? st_image_changes_path_for (out) : NULL;
  if (changes_dest != NULL && !force && g_file_test (changes_dest, G_FILE_TEST_EXISTS))
    {
      cli_error ("%s exists; refusing to overwrite it without --force", changes_dest);
      goto done;
    }
  before = st_heap_check (vm, NULL);
  log = st_edit_log_new (vm);
  p = st_printer_new (vm);
  for (guint i = 0; sets[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;
      if (!st_edit_apply (vm, log, p, sets[i], &error))
        {
          cli_error ("edit %u ('%s'): %s; nothing was written", i + 1, sets[i], error->message);
          goto done;
        }
    }
  after = st_heap_check (vm, NULL);
  if (after->n_findings_total > before->n_findings_total)
    {
      cli_error ("the edits would add %" G_GUINT64_FORMAT " integrity findings (first: %s); nothing was written",
                 after->n_findings_total - before->n_findings_total,
                 after->n_findings > 0 ? after->findings[0].message : "?");
      goto done;
    }
  {
    g_autoptr (GError) error = NULL;
    if (!st_image_write (vm, out, kind, force ? ST_WRITE_FORCE : ST_WRITE_DEFAULT, &error))
      {
        cli_error ("%s", error->message);
        goto done;
      }
    if (changes_dest != NULL && !st_image_copy_changes (vm, out, &error))
      {
        cli_error ("the image was written, but its .changes file was not copied: %s", error->message);
        goto done;
      }
  }
  Report *r = report_new (stdout, json);
  report_begin_object (r, NULL);
  report_str (r, "input", vm->image_path);
  report_str (r, "output", out);
  report_begin_list (r, "edits");
  for (guint i = 0; i < st_edit_log_count (log); i++)
    {
      const StEdit *e = st_edit_log_get (log, i);
      report_begin_object (r, NULL);
      report_str (r, "set", sets[i]);
      report_hex (r, "object", e->object);
      report_uint (r, "slot", e->slot);
      report_str (r, "change", e->description);
      if (e->note)
        report_str (r, "note", e->note);
      report_end_object (r);
    }
  report_end_list (r);
  report_uint (r, "check_findings_before", before->n_findings_total);
  report_uint (r, "check_findings_after", after->n_findings_total);
  report_end_object (r);
  report_free (r);
  status = CLI_EXIT_OK;

done:
  if (before)
    st_check_report_free (before);
  if (after)
    st_check_report_free (after);
  st_printer_free (p);
  st_edit_log_free (log);
  st_vm_free (vm);
  g_strfreev (sets);
  g_free (out);
  g_free (to_name);
  g_free (changes_dest);
  return status;
}
