/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli stack IMAGE: every process and its stack, like the VM's
 * printAllStacks.  Exit 1 when a stack is damaged. */
#include "config.h"

#include "thaw-cli.h"
#include "process.h"

int
cli_stack (int argc, char **argv)
{
  gboolean json = FALSE;
  int max_frames = 1000;
  const GOptionEntry entries[] = {
    { "max-frames", 'n', 0, G_OPTION_ARG_INT, &max_frames, "Print at most N frames per process (default 1000)", "N" },
    { NULL }
  };
  if (!cli_parse (&argc, &argv, entries, &json))
    return CLI_EXIT_ERROR;
  if (argc != 2)
    {
      cli_error ("expects one IMAGE (try --help)");
      return CLI_EXIT_ERROR;
    }
  StVM *vm = cli_load (argv[1], ST_READ_STRICT);
  if (vm == NULL)
    return CLI_EXIT_ERROR;
  g_autoptr (GError) error = NULL;
  GPtrArray *procs = st_process_list (vm, max_frames > 0 ? (guint) max_frames : 1, &error);
  if (procs == NULL)
    {
      cli_error ("%s", error->message);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }
  guint problems = 0;
  Report *r = report_new (stdout, json);
  report_begin_object (r, NULL);
  report_str (r, "image", vm->image_path);
  report_uint (r, "process_count", procs->len);
  report_begin_list (r, "processes");
  for (guint i = 0; i < procs->len; i++)
    {
      StProcessInfo *pi = procs->pdata[i];
      report_begin_object (r, NULL);
      report_hex (r, "address", pi->address);
      report_str (r, "print", pi->print);
      report_str (r, "state", pi->state);
      report_int (r, "priority", pi->priority);
      if (pi->name)
        report_str (r, "name", pi->name);
      report_str (r, "found_in", pi->found_in);
      report_uint (r, "frame_count", pi->frames->len);
      report_begin_list (r, "frames");
      for (guint j = 0; j < pi->frames->len; j++)
        {
          StFrame *f = pi->frames->pdata[j];
          if (report_is_json (r))
            {
              report_begin_object (r, NULL);
              report_hex (r, "address", f->address);
              report_str (r, "print", f->print);
              report_str (r, "receiver", f->receiver);
              report_bool (r, "block", f->block);
              report_end_object (r);
            }
          else
            report_strf (r, NULL, "0x%" G_GINT64_MODIFIER "x %s %s : %s", f->address, f->block ? "B" : "M", f->print,
                         f->receiver);
        }
      report_end_list (r);
      if (pi->truncated)
        report_bool (r, "truncated", TRUE);
      if (pi->problem)
        {
          report_str (r, "problem", pi->problem);
          problems++;
        }
      report_end_object (r);
    }
  report_end_list (r);
  report_uint (r, "damaged_stacks", problems);
  report_end_object (r);
  report_free (r);
  g_ptr_array_unref (procs);
  st_vm_free (vm);
  return problems ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
}
