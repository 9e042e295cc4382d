/* SPDX-License-Identifier: GPL-3.0-or-later */
/* debug-script.h: the debugger's command language, one command a line,
 * shared by `thaw-cli debug` and the window's debugger (through the
 * engine thread, st_host_debug):
 *
 *   break SPEC       add a breakpoint (debug.h): SELECTOR | Class>>sel [pc N] |
 *                    dnu | prim N | primfail N | switch | gc [before|after] |
 *                    sends N | depth N | errors, each optionally "if CLASS";
 *                    "break startup" is a no-op (sessions start halted there)
 *   breaks           list the breakpoints with their ids and hits
 *   delete ID        delete one breakpoint
 *   clear            remove every breakpoint
 *   run [N]          continue until a breakpoint, at most N bytecodes (a pause),
 *                    and at most the script's seconds
 *   step [N]         run N bytecodes (default 1) of this process, into sends
 *   next             run until the next instruction of this context
 *   finish           run until this context returns
 *   until PC         run until this context reaches PC (the image's pc)
 *   where            where the run is halted
 *   bt [N]           the active process's stack (N frames, default 20)
 *   print PATH       print an object (thisContext, thisContext.sender ... allowed)
 *   set PATH=VALUE   store into a slot (see edit.h); editing the active
 *                    context's pc or stack pointer moves the run there
 *   return N VALUE   frame N (0: the active one) answers VALUE to its sender
 *   save FILE        write the image as it is now
 *   checkpoint       remember the heap and the interpreter's state (numbered)
 *   checkpoint FILE  write a checkpoint file (resume with st_debug_resume_state)
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
 * the top of the stack with it.  Blank lines and lines starting with #
 * are skipped.
 *
 * Every command gives one object of output, written through a sink: a
 * set of callbacks for structured output (keys and values, nested
 * objects and lists), so the CLI prints it as text or JSON; or as plain
 * text into a GString (st_debug_run_command). */
#pragma once

#include "debug.h"

G_BEGIN_DECLS

typedef struct {
  void (*begin_object) (gpointer data, const char *key);   /* key NULL inside a list */
  void (*end_object) (gpointer data);
  void (*begin_list) (gpointer data, const char *key);
  void (*end_list) (gpointer data);
  void (*str) (gpointer data, const char *key, const char *value);  /* value may be NULL */
  void (*integer) (gpointer data, const char *key, int64_t value);
  void (*uinteger) (gpointer data, const char *key, uint64_t value);
  void (*hex) (gpointer data, const char *key, uint64_t value);
  void (*boolean) (gpointer data, const char *key, gboolean value);
} StDebugSink;

typedef struct _StDebugScript StDebugScript;

/* A session over an attached debugger (borrowed; d's VM too).  seconds
 * bounds each run/next/finish/until command (<= 0: none).  sink NULL
 * means plain text (st_debug_run_command). */
StDebugScript *st_debug_script_new (StDebug *d, double seconds, const StDebugSink *sink, gpointer sink_data);
void           st_debug_script_free (StDebugScript *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StDebugScript, st_debug_script_free)

/* Run one line through the sink; FALSE to stop reading (quit, or an
 * unknown command: *unknown set). */
gboolean st_debug_script_run (StDebugScript *s, const char *line, gboolean *unknown);
/* Write where the run is halted (halt, why, context, method, pcs,
 * instruction) as fields of the sink's current object. */
void     st_debug_script_where (StDebugScript *s);
/* Whether any command so far failed; the last failure's text (or NULL). */
gboolean    st_debug_script_failed (StDebugScript *s);
const char *st_debug_script_last_error (StDebugScript *s);

/* Run one line and append its output as text ("key: value" lines) to
 * out.  Answers whether the session goes on (FALSE after quit or an
 * unknown command); error is set when the command failed or is unknown. */
gboolean st_debug_run_command (StDebugScript *s, const char *line, GString *out, GError **error);

G_END_DECLS
