/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli check IMAGE: the integrity checker.
 * Exit status 0 when the heap is sound, 1 when problems were found (by the
 * reader in salvage mode or by the checker), 2 when the file cannot be read. */
#include "config.h"

#include "heap-check.h"
#include "thaw-cli.h"

int
cli_check (int argc, char **argv)
{
  gboolean json = FALSE;
  int max_findings = 0;
  gboolean no_bytecodes = FALSE;
  const GOptionEntry entries[] = {
    { "max-findings", 0, 0, G_OPTION_ARG_INT, &max_findings, "Keep at most N findings (all are counted; default 10000)", "N" },
    { "no-bytecodes", 0, 0, G_OPTION_ARG_NONE, &no_bytecodes, "Do not decode the methods' instructions (faster)", NULL },
    { NULL }
  };
  if (!cli_parse (&argc, &argv, entries, &json))
    return CLI_EXIT_ERROR;
  if (argc != 2)
    {
      cli_error ("expects one IMAGE (try --help)");
      return CLI_EXIT_ERROR;
    }
  /* Salvage mode: a damaged heap is loaded as far as it goes and checked. */
  StVM *vm = cli_load (argv[1], ST_READ_SALVAGE);
  if (vm == NULL)
    return CLI_EXIT_ERROR;

  StCheckOptions opts = { .max_findings = max_findings > 0 ? (guint) max_findings : 0,
                          .skip_bytecodes = no_bytecodes };
  StCheckReport *cr = st_heap_check (vm, &opts);

  Report *r = report_new (stdout, json);
  report_begin_object (r, NULL);
  report_str (r, "image", vm->image_path);
  report_bool (r, "clean", cr->n_findings_total == 0 && vm->defects->len == 0);
  report_uint (r, "findings", cr->n_findings_total);
  report_uint (r, "reader_defects", vm->defects->len);
  report_uint (r, "segments", cr->segments);
  report_uint (r, "heap_bytes", cr->heap_bytes);
  report_uint (r, "objects", cr->objects);
  report_uint (r, "free_chunks", cr->free_chunks);
  report_uint (r, "free_bytes", cr->free_bytes);
  report_uint (r, "pointer_slots", cr->pointer_slots);
  report_uint (r, "classes", cr->classes);
  report_uint (r, "class_table_aliases", cr->class_aliases);
  report_uint (r, "methods", cr->methods);
  report_uint (r, "contexts", cr->contexts);
  report_uint (r, "processes", cr->processes);
  report_uint (r, "bitmap_bytes", cr->bitmap_bytes);
  report_uint (r, "work_bytes", cr->work_bytes);
  report_double (r, "seconds", cr->seconds);
  report_double (r, "objects_per_second", cr->seconds > 0 ? cr->objects / cr->seconds : 0);

  report_begin_object (r, "by_kind");
  for (int k = 0; k < ST_FINDING_N_KINDS; k++)
    if (cr->per_kind[k] > 0)
      report_uint (r, st_finding_kind_name (k), cr->per_kind[k]);
  report_end_object (r);

  report_begin_list (r, "skipped");
  for (guint i = 0; i < cr->n_skipped; i++)
    report_str (r, NULL, cr->skipped[i]);
  report_end_list (r);

  report_begin_list (r, "reader_defect_list");
  for (guint i = 0; i < vm->defects->len; i++)
    {
      const StDefect *d = g_ptr_array_index (vm->defects, i);
      report_begin_object (r, NULL);
      report_hex (r, "address", d->address);
      if (d->file_offset != G_MAXUINT64)
        report_uint (r, "file_offset", d->file_offset);
      report_str (r, "message", d->message);
      report_end_object (r);
    }
  report_end_list (r);

  report_begin_list (r, "finding_list");
  for (guint i = 0; i < cr->n_findings; i++)
    {
      const StFinding *f = &cr->findings[i];
      report_begin_object (r, NULL);
      report_str (r, "kind", st_finding_kind_name (f->kind));
      report_hex (r, "address", f->address);
      report_str (r, "class", f->class_name);
      if (f->field != ST_FINDING_NO_FIELD)
        report_int (r, "field", f->field);
      else
        report_str (r, "field", NULL);
      report_str (r, "expected", f->expected);
      report_str (r, "found", f->found);
      report_str (r, "message", f->message);
      report_end_object (r);
    }
  report_end_list (r);
  if (cr->n_findings < cr->n_findings_total)
    report_uint (r, "findings_not_listed", cr->n_findings_total - cr->n_findings);
  report_end_object (r);
  report_free (r);

  int status = cr->n_findings_total == 0 && vm->defects->len == 0 ? CLI_EXIT_OK : CLI_EXIT_FINDINGS;
  st_check_report_free (cr);
  st_vm_free (vm);
  return status;
}
