/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli run IMAGE: run an image headless, under limits, and report how
 * far it got: why it stopped, bytecodes and sends executed and their rate,
 * process switches, memory used, the primitives it asked for that Thaw
 * lacks, what it printed, and on an error the active stack. */
#include "config.h"

#include <stdio.h>

#include "thaw-cli.h"
#include "interp.h"
#include "process.h"
#include "heap-check.h"
#include "gc.h"
#include "display.h"
#include "input.h"

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

/* --gc-check: the integrity checker after every collection (each one
 * empties new space, so old space is the whole heap); the first problem
 * stops the run. */
typedef struct {
  GHashTable *baseline;      /* messages of findings before the run: not the collector's */
  uint64_t checked;
  uint64_t findings;
  uint64_t at_gc;            /* seq of the collection that found them */
  GPtrArray *messages;
} GcCheck;

static void
gc_check_hook (StVM *vm, gboolean after, const StGcSample *sample, gpointer data)
{
  GcCheck *gcc = data;
  if (!after || gcc->findings > 0)
    return;
  StCheckOptions opts = { .max_findings = 20 };
  StCheckReport *cr = st_heap_check (vm, &opts);
  gcc->checked++;
  for (guint i = 0; i < cr->n_findings; i++)
    if (!g_hash_table_contains (gcc->baseline, cr->findings[i].message))
      {
        gcc->findings++;
        g_ptr_array_add (gcc->messages, g_strdup (cr->findings[i].message));
      }
  if (gcc->findings > 0)
    {
      gcc->at_gc = sample->seq;
      st_interp_request_trap (vm);
    }
  st_check_report_free (cr);
}

int
cli_run (int argc, char **argv)
{
  gboolean json = FALSE, until_quit = FALSE, gc_check = FALSE, gc_stress = FALSE;
  double seconds = 10.0;
  gint64 bytecodes = 0, trace = 0;
  g_autofree char *eval = NULL, *snapshot_to = NULL, *screen = NULL;
  const GOptionEntry entries[] = {
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Stop after N seconds of wall-clock time (default 10)", "N" },
    { "bytecodes", 0, 0, G_OPTION_ARG_INT64, &bytecodes, "Stop after N bytecodes", "N" },
    { "until-quit", 0, 0, G_OPTION_ARG_NONE, &until_quit, "No time limit: run until the image quits or stops", NULL },
    { "eval", 0, 0, G_OPTION_ARG_STRING, &eval,
      "Evaluate EXPR with the image's own Compiler first, print its printString, and stop", "EXPR" },
    { "trace-sends", 0, 0, G_OPTION_ARG_INT64, &trace, "Print the first N sends to stderr", "N" },
    { "gc-check", 0, 0, G_OPTION_ARG_NONE, &gc_check,
      "Check the heap's integrity after every garbage collection and at the end; stop at the first problem", NULL },
    { "snapshot-to", 0, 0, G_OPTION_ARG_FILENAME, &snapshot_to,
      "Where the image's own snapshot primitive writes (without it, the primitive fails; never the loaded file)",
      "FILE" },
    { "screen", 0, 0, G_OPTION_ARG_STRING, &screen,
      "The screen size the image is told, as a window of that size would (default: its display Form's)", "WxH" },
    { "gc-stress", 0, 0, G_OPTION_ARG_NONE, &gc_stress,
      "Collect at the instruction boundary after every allocation (slow; for testing)", NULL },
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

  GcCheck gcc = { .messages = g_ptr_array_new_with_free_func (g_free),
                  .baseline = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL) };
  if (gc_check)
    {
      /* What the image (or the interpreter's start, say class-table
       * entries it adds) brings is the baseline; only new problems count. */
      StCheckOptions bopts = { .max_findings = 1000 };
      StCheckReport *base = st_heap_check (vm, &bopts);
      for (guint i = 0; i < base->n_findings; i++)
        g_hash_table_add (gcc.baseline, g_strdup (base->findings[i].message));
      st_check_report_free (base);
      st_gc_set_tenure_always (vm, TRUE);
      st_gc_add_hook (vm, gc_check_hook, &gcc);
    }
  if (gc_stress)
    st_gc_set_stress (vm, TRUE);
  if (snapshot_to != NULL)
    st_interp_set_snapshot_path (vm, snapshot_to);
  if (screen != NULL)
    {
      int w = 0, h = 0;
      if (sscanf (screen, "%dx%d", &w, &h) != 2 || w < 16 || h < 16 || w > 8192 || h > 8192)
        {
          cli_error ("--screen %s: expected WIDTHxHEIGHT between 16x16 and 8192x8192", screen);
          st_vm_free (vm);
          return CLI_EXIT_ERROR;
        }
      st_io_set_screen_size (vm, w, h);
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
  const StGcStats *gs = st_gc_stats (vm);
  if (gs != NULL)
    {
      g_autoptr (GArray) samples = g_array_new (FALSE, FALSE, sizeof (StGcSample));
      st_gc_samples (vm, 0, samples);
      gint64 max_scavenge = 0, max_full = 0;
      for (guint i = 0; i < samples->len; i++)
        {
          const StGcSample *g = &g_array_index (samples, StGcSample, i);
          if (g->kind == ST_GC_FULL)
            max_full = MAX (max_full, g->pause_usecs);
          else
            max_scavenge = MAX (max_scavenge, g->pause_usecs);
        }
      report_begin_object (r, "gc");
      report_uint (r, "eden_bytes", gs->eden_bytes);
      report_uint (r, "scavenges", gs->scavenges + gs->tenure_alls);
      report_uint (r, "full_gcs", gs->full_gcs);
      report_double (r, "scavenge_ms_total", gs->scavenge_usecs / 1000.0);
      report_double (r, "scavenge_ms_max_recent", max_scavenge / 1000.0);
      report_double (r, "full_gc_ms_total", gs->full_usecs / 1000.0);
      report_double (r, "full_gc_ms_max_recent", max_full / 1000.0);
      report_uint (r, "tenured_bytes", gs->tenured_bytes);
      report_uint (r, "remembered", gs->remembered);
      report_end_object (r);
    }
  report_begin_list (r, "missing_primitives");
  st_interp_foreach_missing (vm, report_missing, r);
  report_end_list (r);
  report_begin_list (r, "first_events");
  for (const char *const *e = st_interp_events (vm); *e != NULL; e++)
    report_str (r, NULL, *e);
  report_end_list (r);
  /* The display, drawn into its Form (no window): its size and how often
   * the image showed it. */
  StFormInfo dfi;
  if (st_display_form (vm, &dfi, NULL) != 0)
    {
      report_int (r, "display_width", dfi.width);
      report_int (r, "display_height", dfi.height);
      report_int (r, "display_depth", dfi.depth);
    }
  report_uint (r, "display_updates", st_io_updates (vm));
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
      /* A last collection so that the check sees the heap as it ends. */
      if (gcc.findings == 0)
        st_gc_collect (vm, ST_GC_TENURE_ALL, NULL);
      report_begin_object (r, "heap_check");
      report_uint (r, "collections_checked", gcc.checked);
      report_uint (r, "findings_before_run", g_hash_table_size (gcc.baseline));
      report_uint (r, "findings", gcc.findings);
      if (gcc.findings > 0)
        report_uint (r, "found_after_collection", gcc.at_gc);
      report_begin_list (r, "first_findings");
      for (guint i = 0; i < gcc.messages->len; i++)
        report_str (r, NULL, g_ptr_array_index (gcc.messages, i));
      report_end_list (r);
      report_end_object (r);
      heap_ok = gcc.findings == 0;
    }
  g_ptr_array_unref (gcc.messages);
  g_hash_table_unref (gcc.baseline);
  report_end_object (r);
  report_free (r);
  st_vm_free (vm);

  bool ok = eval != NULL ? status == ST_RUN_EVALUATED
                         : (status == ST_RUN_QUIT || status == ST_RUN_TIME_LIMIT || status == ST_RUN_BYTECODE_LIMIT);
  return ok && heap_ok ? CLI_EXIT_OK : CLI_EXIT_FINDINGS;
}
