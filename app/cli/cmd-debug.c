/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli debug IMAGE [-x SCRIPT]: load an image stopped before its first
 * bytecode and run debugger commands from a script (or stdin), one a line,
 * so a session is repeatable (the command language is in
 * engine/debug-script.h).
 *
 * Blank lines and lines starting with # are skipped.  Every command gives
 * one entry in the report.  Exit 0 when the script ran, 1 when a command
 * failed, 2 when the image cannot be loaded or a command is unknown. */
#include "config.h"

#include <string.h>

#include "thaw-cli.h"
#include "interp.h"
#include "debug-script.h"

/* The script's output goes into the report (text or JSON). */
static void sink_begin_object (gpointer r, const char *key) { report_begin_object (r, key); }
static void sink_end_object (gpointer r) { report_end_object (r); }
static void sink_begin_list (gpointer r, const char *key) { report_begin_list (r, key); }
static void sink_end_list (gpointer r) { report_end_list (r); }
static void sink_str (gpointer r, const char *key, const char *v) { report_str (r, key, v); }
static void sink_int (gpointer r, const char *key, int64_t v) { report_int (r, key, v); }
static void sink_uint (gpointer r, const char *key, uint64_t v) { report_uint (r, key, v); }
static void sink_hex (gpointer r, const char *key, uint64_t v) { report_hex (r, key, v); }
static void sink_bool (gpointer r, const char *key, gboolean v) { report_bool (r, key, v); }

static const StDebugSink report_sink = {
  sink_begin_object, sink_end_object, sink_begin_list, sink_end_list, sink_str, sink_int, sink_uint, sink_hex,
  sink_bool,
};

int
cli_debug (int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree char *script = NULL;
  g_autofree char *resume = NULL;
  double seconds = 10.0;
  const GOptionEntry entries[] = {
    { "script", 'x', 0, G_OPTION_ARG_FILENAME, &script, "Read commands from FILE (default: stdin)", "FILE" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds,
      "Wall-clock limit of each run/next/finish command (default 10; 0: none)", "N" },
    { "resume", 0, 0, G_OPTION_ARG_FILENAME, &resume,
      "Resume from a checkpoint file written by 'checkpoint FILE' (instead of IMAGE)", "FILE" },
    { NULL }
  };
  if (!cli_parse (&argc, &argv, entries, &json))
    return CLI_EXIT_ERROR;
  if (argc != (resume != NULL ? 1 : 2))
    {
      cli_error (resume != NULL ? "--resume FILE takes the place of IMAGE" : "expects one IMAGE (try --help)");
      return CLI_EXIT_ERROR;
    }
  const char *image = resume != NULL ? resume : argv[1];
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  if (script != NULL)
    {
      if (!g_file_get_contents (script, &text, NULL, &error))
        {
          cli_error ("%s", error->message);
          return CLI_EXIT_ERROR;
        }
    }
  else
    {
      GString *in = g_string_new (NULL);
      char buf[4096];
      size_t n;
      while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
        g_string_append_len (in, buf, (gssize) n);
      text = g_string_free (in, FALSE);
    }
  StVM *vm = cli_load (image, ST_READ_STRICT);
  if (vm == NULL)
    return CLI_EXIT_ERROR;
  if (!st_interp_init (vm, &error))
    {
      cli_error ("%s: cannot start: %s", image, error->message);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }
  StDebug *d = st_debug_new (vm, &error);
  if (d == NULL)
    {
      cli_error ("%s: %s", image, error->message);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }
  if (resume != NULL && !st_debug_resume_state (d, resume, &error))
    {
      cli_error ("%s", error->message);
      st_debug_free (d);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }
  Report *r = report_new (stdout, json);
  StDebugScript *s = st_debug_script_new (d, seconds, &report_sink, r);
  report_begin_object (r, NULL);
  report_str (r, "image", image);
  report_begin_object (r, "start");
  st_debug_script_where (s);
  report_end_object (r);
  report_begin_list (r, "commands");
  gboolean unknown = FALSE;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (!st_debug_script_run (s, lines[i], &unknown))
      break;
  report_end_list (r);
  report_end_object (r);
  report_free (r);
  gboolean failed = st_debug_script_failed (s);
  st_debug_script_free (s);
  st_debug_free (d);
  st_vm_free (vm);
  if (unknown)
    return CLI_EXIT_ERROR;
  return failed ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
}
