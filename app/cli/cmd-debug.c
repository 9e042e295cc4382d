/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli debug IMAGE [-x SCRIPT]: load an image stopped before its first
 * bytecode and run debugger commands from a script (or stdin), one a line,
 * so a session is repeatable:
 *
 *   break SPEC       add a breakpoint (debug.h): SELECTOR | Class>>sel [pc N] |
 *                    dnu | prim N | primfail N | switch | gc [before|after] |
 *                    sends N | depth N | errors, each optionally "if CLASS";
 *                    "break startup" is a no-op (sessions start halted there)
 *   breaks           list the breakpoints with their ids and hits
 *   delete ID        delete one breakpoint
 *   clear            remove every breakpoint
 *   run [N]          continue until a breakpoint, at most N bytecodes (a pause),
 *                    and at most --seconds
 *   step [N]         run N bytecodes (default 1) of this process, into sends
 *   next             run until the next instruction of this context
 *   finish           run until this context returns
 *   until PC         run until this context reaches PC (the image's pc)
 *   where            where the run is halted
 *   bt [N]           the active process's stack (N frames, default 20)
 *   print PATH       print an object (thisContext, thisContext.sender ... allowed)
 *   set PATH=VALUE   store into a slot (see thaw-cli edit); editing the active
 *                    context's pc or stack pointer moves the run there
 *   return N VALUE   frame N (0: the active one) answers VALUE to its sender
 *   save FILE        write the image as it is now
 *   checkpoint       remember the heap and the interpreter's state (numbered)
 *   checkpoint FILE  write a checkpoint file (resume with --resume FILE)
 *   checkpoints      list the checkpoints kept
 *   rewind [N]       go back to checkpoint N (default: the latest)
 *   gccheck on|off   check the heap's integrity after every full collection
 *   gccheckpoint on|off  take a checkpoint before every collection
 *   clock virtual [NS] | clock host   the image's clocks advance NS ns (100)
 *                    per bytecode, so a rewind and re-run repeats itself
 *                    exactly; or follow the host's clock again
 *   trace N          print the next N sends to stderr
 *   quit             stop reading commands
 *
 * A halt on trouble (error, trouble, integrity, depth, primitive) reports
 * the top of the stack with it.
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
  g_autoptr (StDisasm) dis = st_disasm_method (st_debug_printer (s->d), method, (int64_t) heap_pc + 1, false, &error);
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

static void cmd_bt (Session *s, const char *arg);

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
  report_uint (s->r, "sends", st_interp_stats (s->vm)->sends);
  report_where (s);
  guint id = st_debug_halt_breakpoint (s->d);
  if (id != 0)
    report_uint (s->r, "breakpoint", id);
  switch (st_debug_halt_reason (s->d))
    {
    case ST_DEBUG_HALT_ERROR: case ST_DEBUG_HALT_TROUBLE: case ST_DEBUG_HALT_INTEGRITY:
    case ST_DEBUG_HALT_DEPTH: case ST_DEBUG_HALT_PRIMITIVE: case ST_DEBUG_HALT_PRIM_FAILED:
      cmd_bt (s, "10");
      break;
    default:
      break;
    }
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

static void
cmd_break (Session *s, const char *arg)
{
  g_autoptr (GError) error = NULL;
  if (*arg == '\0')
    {
      fail (s, "break needs a SPEC (SELECTOR, Class>>sel [pc N], dnu, prim N, primfail N, switch, gc, sends N, "
            "depth N, errors)");
      return;
    }
  if (strcmp (arg, "startup") == 0)
    {
      report_str (s->r, "breakpoint", "the session starts halted before the first bytecode");
      return;
    }
  guint id = st_debug_break_add (s->d, arg, &error);
  if (id == 0)
    {
      fail (s, "%s", error->message);
      return;
    }
  report_uint (s->r, "id", id);
  report_str (s->r, "breakpoint", arg);
  GArray *all = st_debug_breakpoints (s->d);
  for (guint i = 0; i < all->len; i++)
    {
      const StDebugBreakInfo *b = &g_array_index (all, StDebugBreakInfo, i);
      if (b->id == id && b->methods > 0)
        report_uint (s->r, "methods", b->methods);
    }
}

static void
cmd_breaks (Session *s)
{
  GArray *all = st_debug_breakpoints (s->d);
  report_begin_list (s->r, "breakpoints");
  for (guint i = 0; i < all->len; i++)
    {
      const StDebugBreakInfo *b = &g_array_index (all, StDebugBreakInfo, i);
      report_begin_object (s->r, NULL);
      report_uint (s->r, "id", b->id);
      report_str (s->r, "spec", b->spec);
      if (b->methods > 0)
        report_uint (s->r, "methods", b->methods);
      report_uint (s->r, "hits", b->hits);
      report_end_object (s->r);
    }
  report_end_list (s->r);
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
  if (!st_path_resolve (st_debug_printer (s->d), path, &t, &error))
    {
      fail (s, "%s", error->message);
      return;
    }
  g_autofree char *text = st_printer_print (st_debug_printer (s->d), t.value, 2000);
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
  if (!st_edit_apply (s->vm, s->log, st_debug_printer (s->d), assignment, &error))
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

/* return N VALUE */
static void
cmd_return (Session *s, const char *arg)
{
  char *end = NULL;
  guint64 n = g_ascii_strtoull (arg, &end, 10);
  if (end == arg || *end == '\0')
    {
      fail (s, "return needs a frame number and a VALUE");
      return;
    }
  while (g_ascii_isspace (*end))
    end++;
  g_autofree char *text = expand_path (s, end);
  g_autoptr (GError) error = NULL;
  g_autofree char *note = NULL;
  StOop value;
  if (!st_edit_parse_value (s->vm, st_debug_printer (s->d), text, &value, &note, &error)
      || !st_debug_return (s->d, (guint) n, value, &error))
    {
      fail (s, "%s", error->message);
      return;
    }
  report_where (s);
}

static void
cmd_checkpoints (Session *s)
{
  GArray *all = st_debug_checkpoints (s->d);
  report_begin_list (s->r, "checkpoints");
  for (guint i = 0; i < all->len; i++)
    {
      const StDebugCheckpointInfo *c = &g_array_index (all, StDebugCheckpointInfo, i);
      report_begin_object (s->r, NULL);
      report_uint (s->r, "number", c->number);
      report_uint (s->r, "bytecodes", c->bytecodes);
      report_uint (s->r, "sends", c->sends);
      report_uint (s->r, "bytes", c->bytes);
      report_str (s->r, "where", c->where);
      report_bool (s->r, "before_gc", c->before_gc);
      report_end_object (s->r);
    }
  report_end_list (s->r);
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
  /* paths, prints and edits see old space only */
  if (strcmp (line, "print") == 0 || strcmp (line, "p") == 0 || strcmp (line, "set") == 0
      || strcmp (line, "return") == 0 || strcmp (line, "bt") == 0 || strcmp (line, "backtrace") == 0)
    {
      g_autoptr (GError) settle_error = NULL;
      if (!st_debug_settle (s->d, &settle_error))
        fail (s, "cannot empty new space: %s", settle_error->message);
    }
  g_autoptr (GError) error = NULL;
  bool go_on = true;
  uint64_t max = 0;
  if (strcmp (line, "break") == 0 || strcmp (line, "b") == 0)
    cmd_break (s, arg);
  else if (strcmp (line, "breaks") == 0)
    cmd_breaks (s);
  else if (strcmp (line, "delete") == 0)
    {
      guint64 id = g_ascii_strtoull (arg, NULL, 10);
      if (!st_debug_break_delete (s->d, (guint) id))
        fail (s, "there is no breakpoint '%s'", arg);
    }
  else if (strcmp (line, "clear") == 0)
    st_debug_clear_breakpoints (s->d);
  else if (strcmp (line, "run") == 0 || strcmp (line, "continue") == 0 || strcmp (line, "c") == 0)
    {
      max = *arg ? g_ascii_strtoull (arg, NULL, 10) : 0;
      StRunStatus st = st_debug_continue (s->d, max, s->seconds, &error);
      report_run (s, st, error);
    }
  else if (strcmp (line, "until") == 0)
    {
      guint64 pc = g_ascii_strtoull (arg, NULL, 10);
      StRunStatus st = st_debug_run_to (s->d, pc, 0, s->seconds, &error);
      report_run (s, st, error);
    }
  else if (strcmp (line, "return") == 0)
    cmd_return (s, arg);
  else if (strcmp (line, "checkpoints") == 0)
    cmd_checkpoints (s);
  else if (strcmp (line, "gccheck") == 0 || strcmp (line, "gccheckpoint") == 0)
    {
      gboolean on = strcmp (arg, "off") != 0;
      if (line[7] == '\0')
        st_debug_set_gc_check (s->d, on);
      else
        st_debug_set_checkpoint_before_gc (s->d, on);
      report_bool (r, line, on);
    }
  else if (strcmp (line, "clock") == 0)
    {
      /* clock virtual [NS] | clock host */
      guint ns = 0;
      if (g_str_has_prefix (arg, "virtual"))
        {
          const char *n = arg + strlen ("virtual");
          ns = *n ? (guint) g_ascii_strtoull (n, NULL, 10) : 100;
          if (ns == 0)
            ns = 100;
        }
      else if (strcmp (arg, "host") != 0)
        fail (s, "clock needs 'virtual [NS]' or 'host'");
      st_debug_set_virtual_clock (s->d, ns);
      report_uint (r, "clock_ns_per_bytecode", ns);
    }
  else if (strcmp (line, "trace") == 0)
    {
      guint64 n = *arg ? g_ascii_strtoull (arg, NULL, 10) : 100;
      st_interp_trace_sends (s->vm, n, stderr);
      report_uint (r, "trace_sends", n);
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
    {
      StRunStatus st = st_debug_next (s->d, max, s->seconds, &error);
      report_run (s, st, error);
    }
  else if (strcmp (line, "finish") == 0)
    {
      StRunStatus st = st_debug_finish (s->d, max, s->seconds, &error);
      report_run (s, st, error);
    }
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
  else if (strcmp (line, "checkpoint") == 0 && *arg != '\0')
    {
      if (st_debug_checkpoint_file (s->d, arg, &error))
        report_str (r, "checkpoint_file", arg);
      else
        fail (s, "%s", error->message);
    }
  else if (strcmp (line, "checkpoint") == 0)
    {
      if (st_debug_checkpoint (s->d, &error))
        {
          GArray *all = st_debug_checkpoints (s->d);
          report_uint (r, "checkpoint", g_array_index (all, StDebugCheckpointInfo, all->len - 1).number);
          report_uint (r, "checkpoint_bytes", st_debug_checkpoint_bytes (s->d));
        }
      else
        fail (s, "%s", error->message);
    }
  else if (strcmp (line, "rewind") == 0)
    {
      gboolean ok = *arg ? st_debug_rewind_to (s->d, (guint) g_ascii_strtoull (arg, NULL, 10), &error)
                         : st_debug_rewind (s->d, &error);
      if (ok)
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
  Session s = { vm, d, st_edit_log_new (vm), report_new (stdout, json), seconds, false };
  report_begin_object (s.r, NULL);
  report_str (s.r, "image", image);
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
