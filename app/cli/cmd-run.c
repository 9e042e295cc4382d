/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli run IMAGE: run an image headless, under limits, and report how
 * far it got: why it stopped, bytecodes and sends executed and their rate,
 * process switches, memory used, the primitives it asked for that Thaw
 * lacks, what it printed, and on an error the active stack. */
#include "config.h"

#include "thaw-cli.h"
#include "interp.h"
#include "process.h"
#include "heap-check.h"

static void
report_missing (const char *name, uint64_t count, gpointer data)
{
  Report *r = data;
  report_begin_object (r, NULL);
  report_str (r, "primitive", name);
  report_uint (r, "calls", count);
  report_end_object (r);
}

static void
report_file (const char *path, const guint8 *data, gsize len, gpointer user)
{
  Report *r = user;
  report_begin_object (r, NULL);
  report_str (r, "path", path);
  report_uint (r, "bytes", len);
  g_autofree char *text = g_strndup ((const char *) data, MIN (len, 4096));
  if (g_utf8_validate (text, -1, NULL))
    report_str (r, "text", text);
  report_end_object (r);
}

int
cli_run (int argc, char **argv)
{
  gboolean json = FALSE, until_quit = FALSE, gc_check = FALSE;
  double seconds = 10.0;
  gint64 bytecodes = 0, trace = 0;
  g_autofree char *eval = NULL;
  const GOptionEntry entries[] = {
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Stop after N seconds of wall-clock time (default 10)", "N" },
    { "bytecodes", 0, 0, G_OPTION_ARG_INT64, &bytecodes, "Stop after N bytecodes", "N" },
    { "until-quit", 0, 0, G_OPTION_ARG_NONE, &until_quit, "No time limit: run until the image quits or stops", NULL },
    { "eval", 0, 0, G_OPTION_ARG_STRING, &eval,
      "Evaluate EXPR with the image's own Compiler first, print its printString, and stop", "EXPR" },
    { "trace-sends", 0, 0, G_OPTION_ARG_INT64, &trace, "Print the first N sends to stderr", "N" },
    { "gc-check", 0, 0, G_OPTION_ARG_NONE, &gc_check,
      "Check the heap's integrity when the run stops (there is no garbage collector yet)", NULL },
    { NULL }
  };
  if (!cli_parse (&argc, &argv, entries, &json))
    return CLI_EXIT_ERROR;
  if (argc != 2)
    {
      cli_error ("expects one IMAGE (try --help)");
      return CLI_EXIT_ERROR;
    }
  if (bytecodes < 0 || seconds < 0)
    {
      cli_error ("--seconds and --bytecodes must not be negative");
      return CLI_EXIT_ERROR;
    }
  StVM *vm = cli_load (argv[1], ST_READ_STRICT);
  if (vm == NULL)
    return CLI_EXIT_ERROR;
  g_autoptr (GError) error = NULL;
  if (!st_interp_init (vm, &error))
    {
      cli_error ("%s: cannot start: %s", argv[1], error->message);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }

  if (trace > 0)
    st_interp_trace_sends (vm, (uint64_t) trace, stderr);
  if (eval != NULL && !st_interp_eval (vm, eval, &error))
    {
      cli_error ("%s: cannot evaluate: %s", argv[1], error->message);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }
  gint64 t0 = g_get_monotonic_time ();
  StRunStatus status = st_interp_run (vm, (uint64_t) bytecodes, until_quit ? 0 : seconds, &error);
  double elapsed = (g_get_monotonic_time () - t0) / 1e6;
  const StInterpStats *st = st_interp_stats (vm);

  Report *r = report_new (stdout, json);
  report_begin_object (r, NULL);
  report_str (r, "image", vm->image_path);
  report_str (r, "status", st_run_status_name (status));
  if (status == ST_RUN_QUIT)
    report_int (r, "quit_code", st_interp_quit_code (vm));
  if (eval != NULL)
    report_str (r, "eval_result", st_interp_eval_result (vm));
  if (error != NULL)
    report_str (r, "error", error->message);
  report_double (r, "seconds", elapsed);
  report_uint (r, "bytecodes", st->bytecodes);
  report_double (r, "bytecodes_per_second", elapsed > 0 ? st->bytecodes / elapsed : 0);
  report_uint (r, "sends", st->sends);
  report_uint (r, "method_cache_misses", st->cache_misses);
  report_uint (r, "primitive_calls", st->primitive_calls);
  report_uint (r, "primitive_failures", st->primitive_failures);
  report_uint (r, "does_not_understand", st->dnu_sends);
  report_uint (r, "process_switches", st->process_switches);
  report_uint (r, "contexts_allocated", st->contexts_allocated);
  report_uint (r, "bytes_allocated", st->bytes_allocated);
  report_begin_list (r, "missing_primitives");
  st_interp_foreach_missing (vm, report_missing, r);
  report_end_list (r);
  report_begin_list (r, "first_events");
  for (const char *const *e = st_interp_events (vm); *e != NULL; e++)
    report_str (r, NULL, *e);
  report_end_list (r);
  report_str (r, "output", st_interp_output (vm));
  report_begin_list (r, "files_written");
  st_interp_foreach_file (vm, report_file, r);
  report_end_list (r);

  StOop ctx = st_interp_active_context (vm);
  if (ctx != 0 && status != ST_RUN_QUIT && status != ST_RUN_EVALUATED)
    {
      bool truncated = false;
      g_autofree char *problem = NULL;
      GPtrArray *frames = st_process_stack (vm, ctx, 25, &truncated, &problem);
      report_begin_list (r, "active_stack");
      for (guint i = 0; frames != NULL && i < frames->len; i++)
        {
          StFrame *f = g_ptr_array_index (frames, i);
          report_strf (r, NULL, "0x%" G_GINT64_MODIFIER "x %s", (guint64) f->address, f->print);
        }
      report_end_list (r);
      report_bool (r, "active_stack_truncated", truncated);
      if (frames != NULL)
        g_ptr_array_unref (frames);
    }

  gboolean heap_ok = TRUE;
  if (gc_check)
    {
      StCheckOptions opts = { .max_findings = 20 };
      StCheckReport *cr = st_heap_check (vm, &opts);
      /* Eden's unused rest is one free chunk that no old-space free list
       * holds: expected while there is no collector, so not a finding. */
      StOop eden_start = 0, eden_next = 0, eden_end = 0;
      st_interp_eden (vm, &eden_start, &eden_next, &eden_end);
      uint64_t expected = 0;
      for (guint i = 0; i < cr->n_findings; i++)
        if (cr->findings[i].kind == ST_FINDING_FREE_LIST && cr->findings[i].address >= eden_next
            && cr->findings[i].address < eden_end)
          expected++;
      report_begin_object (r, "heap_check");
      report_uint (r, "objects", cr->objects);
      report_uint (r, "findings", cr->n_findings_total - expected);
      report_uint (r, "eden_rest_findings_ignored", expected);
      report_begin_list (r, "first_findings");
      for (guint i = 0; i < cr->n_findings; i++)
        if (!(cr->findings[i].kind == ST_FINDING_FREE_LIST && cr->findings[i].address >= eden_next
              && cr->findings[i].address < eden_end))
          report_str (r, NULL, cr->findings[i].message);
      report_end_list (r);
      report_end_object (r);
      heap_ok = cr->n_findings_total - expected == 0;
      st_check_report_free (cr);
    }
  report_end_object (r);
  report_free (r);
  st_vm_free (vm);

  bool ok = eval != NULL ? status == ST_RUN_EVALUATED
                         : (status == ST_RUN_QUIT || status == ST_RUN_TIME_LIMIT || status == ST_RUN_BYTECODE_LIMIT);
  return ok && heap_ok ? CLI_EXIT_OK : CLI_EXIT_FINDINGS;
}
