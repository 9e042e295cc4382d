/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli debug IMAGE [-x SCRIPT]: load an image stopped before its first
 * bytecode and run debugger commands from a script (or stdin), one a line,
 * so a session is repeatable:
 *
 *   break SELECTOR | break Class>>selector | break startup | break dnu
 *   clear            remove every breakpoint
 *   run              continue until a breakpoint (or --seconds per command)
 *   step [N]         run N bytecodes (default 1), stepping into sends
 *   next             run until the next instruction of this context
 *   finish           run until this context returns
 *   where            where the run is halted
 *   bt [N]           the active process's stack (N frames, default 20)
 *   print PATH       print an object (thisContext, thisContext.sender ... allowed)
 *   set PATH=VALUE   store into a slot (see thaw-cli edit)
 *   save FILE        write the image as it is now
 *   checkpoint       remember the heap and the interpreter's state
 *   rewind           go back to the checkpoint
 *   quit             stop reading commands
 *
 * Blank lines and lines starting with # are skipped.  Every command gives
 * one entry in the report.  Exit 0 when the script ran, 1 when a command
 * failed, 2 when the image cannot be loaded or a command is unknown. */
#include "config.h"

#include <string.h>

#include "thaw-cli.h"
#include "interp.h"
#include "debug.h"
#include "disasm.h"
#include "edit.h"
#include "path.h"
#include "printer.h"
#include "process.h"

typedef struct {
  StVM *vm;
  StDebug *d;
  StPrinter *p;
  StEditLog *log;
  Report *r;
  double seconds;
  bool failed;
} Session;

/* The halt position: method, pcs, stack depth, the instruction at pc. */
static void
report_where (Session *s)
{
  Report *r = s->r;
  StOop ctx, method;
  uint64_t heap_pc;
  int64_t stackp;
  report_str (r, "halt", st_debug_halt_name (st_debug_halt_reason (s->d)));
  report_str (r, "why", st_debug_halt_text (s->d));
  if (!st_debug_where (s->d, &ctx, &method, &heap_pc, &stackp))
    {
      report_str (r, "context", NULL);
      return;
    }
  report_hex (r, "context", ctx);
  g_autofree char *name = st_interp_method_name (s->vm, method);
  report_str (r, "method", name);
  report_uint (r, "heap_pc", heap_pc);
  report_int (r, "stackp", stackp);
  g_autoptr (GError) error = NULL;
  g_autoptr (StDisasm) dis = st_disasm_method (s->p, method, (int64_t) heap_pc + 1, false, &error);
  if (dis == NULL)
    {
      report_str (r, "instruction", error->message);
      return;
    }
  report_uint (r, "pc", dis->current_pc);
  for (guint i = 0; i < dis->lines->len; i++)
    {
      const StDisasmLine *l = &g_array_index (dis->lines, StDisasmLine, i);
      if (l->is_current)
        {
          report_strf (r, "instruction", "%s%s%s", l->mnemonic, l->operands[0] ? " " : "", l->operands);
          return;
        }
    }
  report_str (r, "instruction", "(pc is not at an instruction boundary)");
}

static void
report_run (Session *s, StRunStatus status, GError *error)
{
  report_str (s->r, "status", st_run_status_name (status));
  if (error != NULL)
    {
      report_str (s->r, "error", error->message);
      s->failed = true;
    }
  report_uint (s->r, "bytecodes", st_interp_stats (s->vm)->bytecodes);
  report_where (s);
}

/* "thisContext" at the start of a path stands for the active context. */
static char *
expand_path (Session *s, const char *path)
{
  StOop ctx;
  if (g_str_has_prefix (path, "thisContext") && st_debug_where (s->d, &ctx, NULL, NULL, NULL))
    return g_strdup_printf ("@0x%" G_GINT64_MODIFIER "x%s", (guint64) ctx, path + strlen ("thisContext"));
  return g_strdup (path);
}

static void
fail (Session *s, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
static void
fail (Session *s, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  report_str (s->r, "error", msg);
  s->failed = true;
}

static bool
cmd_break (Session *s, const char *arg)
{
  g_autoptr (GError) error = NULL;
  if (*arg == '\0')
    fail (s, "break needs SELECTOR, Class>>selector, startup or dnu");
  else if (strcmp (arg, "startup") == 0)
    report_str (s->r, "breakpoint", "the session starts halted before the first bytecode");
  else if (strcmp (arg, "dnu") == 0 || strcmp (arg, "doesNotUnderstand:") == 0)
    {
      st_debug_break_dnu (s->d, TRUE);
      report_str (s->r, "breakpoint", "doesNotUnderstand:");
    }
  else if (strstr (arg, ">>") != NULL)
    {
      if (st_debug_break_path (s->d, arg, &error))
        report_str (s->r, "breakpoint", arg);
      else
        fail (s, "%s", error->message);
    }
  else
    {
      guint n = st_debug_break_selector (s->d, arg, &error);
      if (n == 0)
        fail (s, "%s", error->message);
      else
        {
          report_strf (s->r, "breakpoint", "#%s", arg);
          report_uint (s->r, "methods", n);
        }
    }
  return true;
}

static void
cmd_bt (Session *s, const char *arg)
{
  guint max = *arg ? (guint) g_ascii_strtoull (arg, NULL, 10) : 20;
  StOop ctx;
  if (!st_debug_where (s->d, &ctx, NULL, NULL, NULL))
    {
      fail (s, "nothing is running");
      return;
    }
  bool truncated = false;
  g_autofree char *problem = NULL;
  g_autoptr (GPtrArray) frames = st_process_stack (s->vm, ctx, max ? max : 20, &truncated, &problem);
  report_begin_list (s->r, "frames");
  for (guint i = 0; frames != NULL && i < frames->len; i++)
    {
      StFrame *f = g_ptr_array_index (frames, i);
      report_begin_object (s->r, NULL);
      report_hex (s->r, "context", f->address);
      report_str (s->r, "frame", f->print);
      report_str (s->r, "receiver", f->receiver);
      report_end_object (s->r);
    }
  report_end_list (s->r);
  report_bool (s->r, "truncated", truncated);
  if (problem)
    report_str (s->r, "problem", problem);
}

static void
cmd_print (Session *s, const char *arg)
{
  g_autofree char *path = expand_path (s, arg);
  g_autoptr (GError) error = NULL;
  StPathTarget t;
  if (!st_path_resolve (s->p, path, &t, &error))
    {
      fail (s, "%s", error->message);
      return;
    }
  g_autofree char *text = st_printer_print (s->p, t.value, 2000);
  report_hex (s->r, "value", t.value);
  report_str (s->r, "print", text);
}

static void
cmd_set (Session *s, const char *arg)
{
  g_autofree char *assignment = expand_path (s, arg);
  g_autoptr (GError) error = NULL;
  if (strchr (assignment, '=') == NULL)
    {
      fail (s, "set needs PATH=VALUE");
      return;
    }
  if (!st_edit_apply (s->vm, s->log, s->p, assignment, &error))
    {
      fail (s, "%s", error->message);
      return;
    }
  /* The active context's pc, stack pointer, method and receiver live in
   * the interpreter's registers too. */
  if (!st_debug_reload (s->d, &error))
    {
      g_autoptr (GError) undo_error = NULL;
      if (!st_edit_undo (s->vm, s->log, &undo_error) || !st_debug_reload (s->d, NULL))
        fail (s, "the edit leaves the active context unusable (%s), and undoing it failed", error->message);
      else
        fail (s, "edit undone: the active context could not run with it: %s", error->message);
      return;
    }
  const StEdit *e = st_edit_log_get (s->log, st_edit_log_count (s->log) - 1);
  report_str (s->r, "edit", e->description);
  if (e->note)
    report_str (s->r, "note", e->note);
}

static void
cmd_save (Session *s, const char *arg)
{
  if (*arg == '\0')
    {
      fail (s, "save needs FILE");
      return;
    }
  g_autoptr (GError) error = NULL;
  if (!st_debug_save (s->d, arg, &error))
    {
      fail (s, "%s", error->message);
      return;
    }
  report_str (s->r, "saved", arg);
}

/* One command; FALSE to stop reading (quit, or an unknown command). */
static bool
command (Session *s, char *line, bool *unknown)
{
  g_strstrip (line);
  if (line[0] == '\0' || line[0] == '#')
    return true;
  char *arg = line;
  while (*arg && !g_ascii_isspace (*arg))
    arg++;
  if (*arg)
    *arg++ = '\0';
  g_strstrip (arg);
  Report *r = s->r;
  report_begin_object (r, NULL);
  report_strf (r, "command", "%s%s%s", line, *arg ? " " : "", arg);
  g_autoptr (GError) error = NULL;
  bool go_on = true;
  uint64_t max = 0;
  if (strcmp (line, "break") == 0 || strcmp (line, "b") == 0)
    cmd_break (s, arg);
  else if (strcmp (line, "clear") == 0)
    st_debug_clear_breakpoints (s->d);
  else if (strcmp (line, "run") == 0 || strcmp (line, "continue") == 0 || strcmp (line, "c") == 0)
    {
      StRunStatus st = st_debug_continue (s->d, max, s->seconds, &error);
      report_run (s, st, error);
    }
  else if (strcmp (line, "step") == 0 || strcmp (line, "s") == 0)
    {
      guint64 n = *arg ? g_ascii_strtoull (arg, NULL, 10) : 1;
      StRunStatus st = ST_RUN_TRAP;
      guint64 done = 0;
      for (; done < n; done++)
        {
          st = st_debug_step (s->d, &error);
          if (st_debug_halt_reason (s->d) != ST_DEBUG_HALT_STEP)
            {
              done++;
              break;
            }
        }
      report_uint (r, "steps", done);
      report_run (s, st, error);
    }
  else if (strcmp (line, "next") == 0 || strcmp (line, "n") == 0)
    report_run (s, st_debug_next (s->d, max, s->seconds, &error), error);
  else if (strcmp (line, "finish") == 0)
    report_run (s, st_debug_finish (s->d, max, s->seconds, &error), error);
  else if (strcmp (line, "where") == 0)
    report_where (s);
  else if (strcmp (line, "bt") == 0 || strcmp (line, "backtrace") == 0)
    cmd_bt (s, arg);
  else if (strcmp (line, "print") == 0 || strcmp (line, "p") == 0)
    cmd_print (s, arg);
  else if (strcmp (line, "set") == 0)
    cmd_set (s, arg);
  else if (strcmp (line, "save") == 0)
    cmd_save (s, arg);
  else if (strcmp (line, "quit") == 0 || strcmp (line, "q") == 0)
    go_on = false;
  else if (strcmp (line, "checkpoint") == 0)
    {
      if (st_debug_checkpoint (s->d, &error))
        report_uint (r, "checkpoint_bytes", st_debug_checkpoint_bytes (s->d));
      else
        fail (s, "%s", error->message);
    }
  else if (strcmp (line, "rewind") == 0)
    {
      if (st_debug_rewind (s->d, &error))
        {
          report_uint (r, "bytecodes", st_interp_stats (s->vm)->bytecodes);
          report_where (s);
        }
      else
        fail (s, "%s", error->message);
    }
  else
    {
      fail (s, "unknown command '%s'", line);
      *unknown = true;
      go_on = false;
    }
  report_end_object (r);
  return go_on;
}

int
cli_debug (int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree char *script = NULL;
  double seconds = 10.0;
  const GOptionEntry entries[] = {
    { "script", 'x', 0, G_OPTION_ARG_FILENAME, &script, "Read commands from FILE (default: stdin)", "FILE" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds,
      "Wall-clock limit of each run/next/finish command (default 10; 0: none)", "N" },
    { NULL }
  };
  if (!cli_parse (&argc, &argv, entries, &json))
    return CLI_EXIT_ERROR;
  if (argc != 2)
    {
      cli_error ("expects one IMAGE (try --help)");
      return CLI_EXIT_ERROR;
    }
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
  StVM *vm = cli_load (argv[1], ST_READ_STRICT);
  if (vm == NULL)
    return CLI_EXIT_ERROR;
  if (!st_interp_init (vm, &error))
    {
      cli_error ("%s: cannot start: %s", argv[1], error->message);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }
  StDebug *d = st_debug_new (vm, &error);
  if (d == NULL)
    {
      cli_error ("%s: %s", argv[1], error->message);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }
  Session s = { vm, d, st_debug_printer (d), st_edit_log_new (vm), report_new (stdout, json), seconds, false };
  report_begin_object (s.r, NULL);
  report_str (s.r, "image", argv[1]);
  report_begin_object (s.r, "start");
  report_where (&s);
  report_end_object (s.r);
  report_begin_list (s.r, "commands");
  bool unknown = false;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (!command (&s, lines[i], &unknown))
      break;
  report_end_list (s.r);
  report_end_object (s.r);
  report_free (s.r);
  st_edit_log_free (s.log);
  st_debug_free (d);
  st_vm_free (vm);
  if (unknown)
    return CLI_EXIT_ERROR;
  return s.failed ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
}
