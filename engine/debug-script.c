/* SPDX-License-Identifier: GPL-3.0-or-later */
/* debug-script.c: the debugger's command language (debug-script.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "debug-script.h"
#include "disasm.h"
#include "edit.h"
#include "path.h"
#include "printer.h"
#include "process.h"

/* The plain-text sink's state: one entry per open container. */
typedef struct {
  GString *out;
  GArray *in_list;            /* gboolean per open container: a list */
  gboolean dash;              /* the next field starts a list item */
} TextSink;

struct _StDebugScript {
  StVM *vm;
  StDebug *d;
  StEditLog *log;
  double seconds;
  bool failed;
  char *last_error;
  const StDebugSink *sink;
  gpointer sink_data;
  TextSink text;
};

/* ---- the text sink ----
 *
 *   key: value
 *   list:
 *     - key: value        (an object in a list)
 *       key: value */

static void
text_indent (TextSink *t)
{
  guint depth = t->in_list->len > 0 ? t->in_list->len - 1 : 0;
  for (guint i = 0; i < depth; i++)
    g_string_append (t->out, "  ");
  if (t->dash && depth > 0)
    {
      g_string_truncate (t->out, t->out->len - 2);
      g_string_append (t->out, "- ");
    }
  t->dash = FALSE;
}

static void
text_open (TextSink *t, const char *key, gboolean list)
{
  if (t->out == NULL)
    return;
  gboolean parent_list = t->in_list->len > 0 && g_array_index (t->in_list, gboolean, t->in_list->len - 1);
  if (key != NULL)
    {
      text_indent (t);
      g_string_append_printf (t->out, "%s:\n", key);
    }
  g_array_append_val (t->in_list, list);
  t->dash = !list && parent_list;
}

static void
text_close (TextSink *t)
{
  if (t->out == NULL || t->in_list->len == 0)
    return;
  g_array_set_size (t->in_list, t->in_list->len - 1);
  t->dash = FALSE;
}

static void text_begin_object (gpointer data, const char *key) { text_open (data, key, FALSE); }
static void text_begin_list (gpointer data, const char *key) { text_open (data, key, TRUE); }
static void text_end (gpointer data) { text_close (data); }

static void
text_str (gpointer data, const char *key, const char *value)
{
  TextSink *t = data;
  if (t->out == NULL)
    return;
  text_indent (t);
  if (key != NULL)
    g_string_append_printf (t->out, "%s: ", key);
  g_string_append_printf (t->out, "%s\n", value ? value : "null");
}

static void
text_int (gpointer data, const char *key, int64_t value)
{
  g_autofree char *v = g_strdup_printf ("%" G_GINT64_FORMAT, value);
  text_str (data, key, v);
}

static void
text_uint (gpointer data, const char *key, uint64_t value)
{
  g_autofree char *v = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  text_str (data, key, v);
}

static void
text_hex (gpointer data, const char *key, uint64_t value)
{
  g_autofree char *v = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", value);
  text_str (data, key, v);
}

static void
text_bool (gpointer data, const char *key, gboolean value)
{
  text_str (data, key, value ? "true" : "false");
}

static const StDebugSink text_sink = {
  text_begin_object, text_end, text_begin_list, text_end, text_str, text_int, text_uint, text_hex, text_bool,
};

/* ---- output through the sink ---- */

static void out_begin_object (StDebugScript *s, const char *key) { s->sink->begin_object (s->sink_data, key); }
static void out_end_object (StDebugScript *s) { s->sink->end_object (s->sink_data); }
static void out_begin_list (StDebugScript *s, const char *key) { s->sink->begin_list (s->sink_data, key); }
static void out_end_list (StDebugScript *s) { s->sink->end_list (s->sink_data); }
static void out_str (StDebugScript *s, const char *key, const char *v) { s->sink->str (s->sink_data, key, v); }
static void out_int (StDebugScript *s, const char *key, int64_t v) { s->sink->integer (s->sink_data, key, v); }
static void out_uint (StDebugScript *s, const char *key, uint64_t v) { s->sink->uinteger (s->sink_data, key, v); }
static void out_hex (StDebugScript *s, const char *key, uint64_t v) { s->sink->hex (s->sink_data, key, v); }
static void out_bool (StDebugScript *s, const char *key, gboolean v) { s->sink->boolean (s->sink_data, key, v); }

static void
out_strf (StDebugScript *s, const char *key, const char *fmt, ...) G_GNUC_PRINTF (3, 4);
static void
out_strf (StDebugScript *s, const char *key, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *v = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  out_str (s, key, v);
}

static void
fail (StDebugScript *s, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
static void
fail (StDebugScript *s, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  out_str (s, "error", msg);
  s->failed = true;
  g_free (s->last_error);
  s->last_error = g_steal_pointer (&msg);
}

/* The halt position: method, pcs, stack depth, the instruction at pc. */
static void
script_where (StDebugScript *s)
{
  StOop ctx, method;
  uint64_t heap_pc;
  int64_t stackp;
  out_str (s, "halt", st_debug_halt_name (st_debug_halt_reason (s->d)));
  out_str (s, "why", st_debug_halt_text (s->d));
  if (!st_debug_where (s->d, &ctx, &method, &heap_pc, &stackp))
    {
      out_str (s, "context", NULL);
      return;
    }
  out_hex (s, "context", ctx);
  g_autofree char *name = st_interp_method_name (s->vm, method);
  out_str (s, "method", name);
  out_uint (s, "heap_pc", heap_pc);
  out_int (s, "stackp", stackp);
  g_autoptr (GError) error = NULL;
  g_autoptr (StDisasm) dis = st_disasm_method (st_debug_printer (s->d), method, (int64_t) heap_pc + 1, false, &error);
  if (dis == NULL)
    {
      out_str (s, "instruction", error->message);
      return;
    }
  out_uint (s, "pc", dis->current_pc);
  for (guint i = 0; i < dis->lines->len; i++)
    {
      const StDisasmLine *l = &g_array_index (dis->lines, StDisasmLine, i);
      if (l->is_current)
        {
          out_strf (s, "instruction", "%s%s%s", l->mnemonic, l->operands[0] ? " " : "", l->operands);
          return;
        }
    }
  out_str (s, "instruction", "(pc is not at an instruction boundary)");
}

static void cmd_bt (StDebugScript *s, const char *arg);

static void
script_run_report (StDebugScript *s, StRunStatus status, GError *error)
{
  out_str (s, "status", st_run_status_name (status));
  if (error != NULL)
    fail (s, "%s", error->message);
  out_uint (s, "bytecodes", st_interp_stats (s->vm)->bytecodes);
  out_uint (s, "sends", st_interp_stats (s->vm)->sends);
  script_where (s);
  guint id = st_debug_halt_breakpoint (s->d);
  if (id != 0)
    out_uint (s, "breakpoint", id);
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
expand_path (StDebugScript *s, const char *path)
{
  StOop ctx;
  if (g_str_has_prefix (path, "thisContext") && st_debug_where (s->d, &ctx, NULL, NULL, NULL))
    return g_strdup_printf ("@0x%" G_GINT64_MODIFIER "x%s", (guint64) ctx, path + strlen ("thisContext"));
  return g_strdup (path);
}

static void
cmd_break (StDebugScript *s, const char *arg)
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
      out_str (s, "breakpoint", "the session starts halted before the first bytecode");
      return;
    }
  guint id = st_debug_break_add (s->d, arg, &error);
  if (id == 0)
    {
      fail (s, "%s", error->message);
      return;
    }
  out_uint (s, "id", id);
  out_str (s, "breakpoint", arg);
  GArray *all = st_debug_breakpoints (s->d);
  for (guint i = 0; i < all->len; i++)
    {
      const StDebugBreakInfo *b = &g_array_index (all, StDebugBreakInfo, i);
      if (b->id == id && b->methods > 0)
        out_uint (s, "methods", b->methods);
    }
}

static void
cmd_breaks (StDebugScript *s)
{
  GArray *all = st_debug_breakpoints (s->d);
  out_begin_list (s, "breakpoints");
  for (guint i = 0; i < all->len; i++)
    {
      const StDebugBreakInfo *b = &g_array_index (all, StDebugBreakInfo, i);
      out_begin_object (s, NULL);
      out_uint (s, "id", b->id);
      out_str (s, "spec", b->spec);
      if (b->methods > 0)
        out_uint (s, "methods", b->methods);
      out_uint (s, "hits", b->hits);
      out_end_object (s);
    }
  out_end_list (s);
}

static void
cmd_bt (StDebugScript *s, const char *arg)
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
  out_begin_list (s, "frames");
  for (guint i = 0; frames != NULL && i < frames->len; i++)
    {
      StFrame *f = g_ptr_array_index (frames, i);
      out_begin_object (s, NULL);
      out_hex (s, "context", f->address);
      out_str (s, "frame", f->print);
      out_str (s, "receiver", f->receiver);
      out_end_object (s);
    }
  out_end_list (s);
  out_bool (s, "truncated", truncated);
  if (problem)
    out_str (s, "problem", problem);
}

static void
cmd_print (StDebugScript *s, const char *arg)
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
  out_hex (s, "value", t.value);
  out_str (s, "print", text);
}

static void
cmd_set (StDebugScript *s, const char *arg)
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
  out_str (s, "edit", e->description);
  if (e->note)
    out_str (s, "note", e->note);
}

static void
cmd_save (StDebugScript *s, const char *arg)
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
  out_str (s, "saved", arg);
}

/* return N VALUE */
static void
cmd_return (StDebugScript *s, const char *arg)
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
  script_where (s);
}

static void
cmd_checkpoints (StDebugScript *s)
{
  GArray *all = st_debug_checkpoints (s->d);
  out_begin_list (s, "checkpoints");
  for (guint i = 0; i < all->len; i++)
    {
      const StDebugCheckpointInfo *c = &g_array_index (all, StDebugCheckpointInfo, i);
      out_begin_object (s, NULL);
      out_uint (s, "number", c->number);
      out_uint (s, "bytecodes", c->bytecodes);
      out_uint (s, "sends", c->sends);
      out_uint (s, "bytes", c->bytes);
      out_str (s, "where", c->where);
      out_bool (s, "before_gc", c->before_gc);
      out_end_object (s);
    }
  out_end_list (s);
}

gboolean
st_debug_script_run (StDebugScript *s, const char *text, gboolean *unknown)
{
  g_autofree char *line = g_strdup (text);
  if (unknown)
    *unknown = FALSE;
  g_strstrip (line);
  if (line[0] == '\0' || line[0] == '#')
    return true;
  char *arg = line;
  while (*arg && !g_ascii_isspace (*arg))
    arg++;
  if (*arg)
    *arg++ = '\0';
  g_strstrip (arg);
  out_begin_object (s, NULL);
  out_strf (s, "command", "%s%s%s", line, *arg ? " " : "", arg);
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
      script_run_report (s, st, error);
    }
  else if (strcmp (line, "until") == 0)
    {
      guint64 pc = g_ascii_strtoull (arg, NULL, 10);
      StRunStatus st = st_debug_run_to (s->d, pc, 0, s->seconds, &error);
      script_run_report (s, st, error);
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
      out_bool (s, line, on);
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
      out_uint (s, "clock_ns_per_bytecode", ns);
    }
  else if (strcmp (line, "trace") == 0)
    {
      guint64 n = *arg ? g_ascii_strtoull (arg, NULL, 10) : 100;
      st_interp_trace_sends (s->vm, n, stderr);
      out_uint (s, "trace_sends", n);
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
      out_uint (s, "steps", done);
      script_run_report (s, st, error);
    }
  else if (strcmp (line, "next") == 0 || strcmp (line, "n") == 0)
    {
      StRunStatus st = st_debug_next (s->d, max, s->seconds, &error);
      script_run_report (s, st, error);
    }
  else if (strcmp (line, "finish") == 0)
    {
      StRunStatus st = st_debug_finish (s->d, max, s->seconds, &error);
      script_run_report (s, st, error);
    }
  else if (strcmp (line, "where") == 0)
    script_where (s);
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
        out_str (s, "checkpoint_file", arg);
      else
        fail (s, "%s", error->message);
    }
  else if (strcmp (line, "checkpoint") == 0)
    {
      if (st_debug_checkpoint (s->d, &error))
        {
          GArray *all = st_debug_checkpoints (s->d);
          out_uint (s, "checkpoint", g_array_index (all, StDebugCheckpointInfo, all->len - 1).number);
          out_uint (s, "checkpoint_bytes", st_debug_checkpoint_bytes (s->d));
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
          out_uint (s, "bytecodes", st_interp_stats (s->vm)->bytecodes);
          script_where (s);
        }
      else
        fail (s, "%s", error->message);
    }
  else
    {
      fail (s, "unknown command '%s'", line);
      if (unknown)
        *unknown = TRUE;
      go_on = false;
    }
  out_end_object (s);
  return go_on;
}


void
st_debug_script_where (StDebugScript *s)
{
  script_where (s);
}

gboolean
st_debug_script_failed (StDebugScript *s)
{
  return s->failed;
}

const char *
st_debug_script_last_error (StDebugScript *s)
{
  return s->last_error;
}

StDebugScript *
st_debug_script_new (StDebug *d, double seconds, const StDebugSink *sink, gpointer sink_data)
{
  StDebugScript *s = g_new0 (StDebugScript, 1);
  StPrinter *p = st_debug_printer (d);
  s->vm = st_printer_vm (p);
  s->d = d;
  s->log = st_edit_log_new (s->vm);
  s->seconds = seconds;
  s->text.in_list = g_array_new (FALSE, FALSE, sizeof (gboolean));
  if (sink != NULL)
    {
      s->sink = sink;
      s->sink_data = sink_data;
    }
  else
    {
      s->sink = &text_sink;
      s->sink_data = &s->text;
    }
  return s;
}

void
st_debug_script_free (StDebugScript *s)
{
  if (s == NULL)
    return;
  st_edit_log_free (s->log);
  g_array_unref (s->text.in_list);
  g_free (s->last_error);
  g_free (s);
}

gboolean
st_debug_run_command (StDebugScript *s, const char *line, GString *out, GError **error)
{
  s->text.out = out;
  g_array_set_size (s->text.in_list, 0);
  s->text.dash = FALSE;
  bool failed_before = s->failed;
  s->failed = false;
  gboolean unknown = FALSE;
  gboolean go_on = st_debug_script_run (s, line, &unknown);
  if (s->failed)
    g_set_error (error, ST_DEBUG_ERROR, unknown ? ST_DEBUG_ERROR_SYNTAX : ST_DEBUG_ERROR_NOT_FOUND, "%s",
                 s->last_error ? s->last_error : "the command failed");
  s->failed = s->failed || failed_before;
  s->text.out = NULL;
  return go_on;
}
