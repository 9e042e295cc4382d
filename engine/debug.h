/* SPDX-License-Identifier: GPL-3.0-or-later */
/* debug.h: the engine debugger: breakpoints and stepping over the
 * interpreter.
 *
 * It costs nothing when unused: the dispatch loop's only check stays the
 * bytecode count against check_at.  While a debugger is attached and
 * something needs looking at every instruction (a step, next, finish or
 * any breakpoint), the periodic check asks st_debug_check at every
 * instruction boundary; it answers whether to halt there.
 *
 * Breakpoints: on a selector (every method installed under it in any
 * class's method dictionary), on one method (Class>>selector), and on
 * doesNotUnderstand: (any DNU send).  A method breakpoint fires when the
 * method is entered: at the first boundary in a new activation whose pc is
 * the method's initial pc.  A method answered by a successful primitive is
 * never entered, so it never fires.  The session starts halted before the
 * image's first bytecode ("startup"). */
#pragma once

#include "objmem.h"
#include "interp.h"
#include "printer.h"

G_BEGIN_DECLS

#define ST_DEBUG_ERROR (st_debug_error_quark ())
GQuark st_debug_error_quark (void);

typedef enum {
  ST_DEBUG_ERROR_NOT_FOUND,   /* no method for that selector or path */
  ST_DEBUG_ERROR_NO_CONTEXT,  /* nothing is running */
  ST_DEBUG_ERROR_CANNOT_SAVE, /* the heap cannot be written as it is */
  ST_DEBUG_ERROR_NO_CHECKPOINT, /* rewind without a checkpoint, or one that no longer fits */
} StDebugError;

typedef enum {
  ST_DEBUG_HALT_STARTUP,      /* before the first bytecode */
  ST_DEBUG_HALT_STEP,         /* one bytecode ran */
  ST_DEBUG_HALT_NEXT,         /* back in the context `next` started in */
  ST_DEBUG_HALT_RETURNED,     /* the context `next` or `finish` started in returned */
  ST_DEBUG_HALT_BREAKPOINT,   /* a method breakpoint */
  ST_DEBUG_HALT_DNU,          /* doesNotUnderstand: was sent */
  ST_DEBUG_HALT_STOPPED,      /* the run ended otherwise (quit, limit, error...) */
  ST_DEBUG_HALT_REWOUND,      /* back at the checkpoint */
} StDebugHalt;

typedef struct _StDebug StDebug;

/* Attach a debugger to a VM whose interpreter is initialised
 * (st_interp_init); NULL with an error when there is none. */
StDebug *st_debug_new (StVM *vm, GError **error);
/* Detach and free. */
void     st_debug_free (StDebug *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StDebug, st_debug_free)

/* Break on every method installed under selector; answers how many
 * methods that is (0 with an error when none). */
guint    st_debug_break_selector (StDebug *d, const char *selector, GError **error);
/* Break on the method a path names ("Foo>>bar", "Foo class>>bar"). */
gboolean st_debug_break_path (StDebug *d, const char *path, GError **error);
/* Break on one method. */
void     st_debug_break_method (StDebug *d, StOop method);
void     st_debug_break_dnu (StDebug *d, gboolean on);
/* Remove every breakpoint. */
void     st_debug_clear_breakpoints (StDebug *d);
guint    st_debug_breakpoint_count (StDebug *d);

/* Resume: run until a breakpoint or the limits (0 / <= 0: none). */
StRunStatus st_debug_continue (StDebug *d, uint64_t max_bytecodes, double max_seconds, GError **error);
/* Run exactly one bytecode (step into a send that activates a method). */
StRunStatus st_debug_step (StDebug *d, GError **error);
/* Run until back in the current context at its next instruction (a send
 * returns), or until that context returns. */
StRunStatus st_debug_next (StDebug *d, uint64_t max_bytecodes, double max_seconds, GError **error);
/* Run until the current context returns. */
StRunStatus st_debug_finish (StDebug *d, uint64_t max_bytecodes, double max_seconds, GError **error);

/* Why the last command halted, and a description ("breakpoint Foo>>bar"). */
StDebugHalt st_debug_halt_reason (StDebug *d);
const char *st_debug_halt_text (StDebug *d);
const char *st_debug_halt_name (StDebugHalt h);

/* The active context and its 0-based heap pc (offset of the next bytecode
 * from the method's first slot) and stack depth (slots above the
 * temporaries' base, i.e. stackp); FALSE when nothing runs. */
gboolean st_debug_where (StDebug *d, StOop *ctx, StOop *method, uint64_t *heap_pc, int64_t *stackp);

StPrinter *st_debug_printer (StDebug *d);

/* Read the interpreter's registers (pc, stack pointer, method, receiver)
 * back from the active context, after an edit of its slots.  FALSE, with
 * the registers unchanged, when the context can no longer run (say a pc
 * outside its method): undo the edit and reload again. */
gboolean st_debug_reload (StDebug *d, GError **error);

/* Checkpoint: remember the heap in use (old space and the used part of
 * eden) and the interpreter's state, replacing any earlier checkpoint.
 * Rewind: put them back (any number of times).  Not rewound: the files
 * the sandboxed FilePlugin holds, the primitives-missing counts, and the
 * method-name cache; the console output and event list are cut back to
 * their length at the checkpoint. */
gboolean st_debug_checkpoint (StDebug *d, GError **error);
gboolean st_debug_rewind (StDebug *d, GError **error);
/* Bytes the checkpoint holds, 0 when none. */
gsize    st_debug_checkpoint_bytes (StDebug *d);

/* Write the halted image in its own format, as a snapshot would: the
 * active process's suspendedContext is the active context in the file.
 * Fails (ST_DEBUG_ERROR_CANNOT_SAVE) once the run has allocated objects:
 * they live in eden, which the writers cannot move into old space yet. */
gboolean st_debug_save (StDebug *d, const char *path, GError **error);

G_END_DECLS
