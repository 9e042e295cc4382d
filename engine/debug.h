/* SPDX-License-Identifier: GPL-3.0-or-later */
/* debug.h: the engine debugger: breakpoints, stepping, halts on trouble,
 * frame dropping and checkpoints over the interpreter.
 *
 * It costs nothing when unused: the dispatch loop's only check stays the
 * bytecode count against check_at, plus one test of it->debug before a
 * primitive runs and before a pending collection.  While a debugger is
 * attached and something needs looking at every instruction (a step,
 * next, finish, run-to or any breakpoint), the periodic check asks
 * st_debug_check at every instruction boundary; it answers whether to
 * halt there.
 *
 * Breakpoints (st_debug_break_add, one spec each, optionally followed by
 * "if CLASS": halt only when the receiver is an instance of CLASS or of a
 * subclass):
 *
 *   SELECTOR            every method installed under SELECTOR, on entry
 *   Class>>sel          one method, on entry
 *   Class>>sel pc N     one method when its pc reaches N (the image's own
 *                       1-based pc, as the disassembler shows it)
 *   dnu                 doesNotUnderstand: was sent
 *   prim N              before primitive N runs (any outcome; "prim 113"
 *                       finds who quits)
 *   primfail N          primitive N failed: halts at the first bytecode of
 *                       the method's fallback code
 *   switch              the active process changed
 *   gc | gc before | gc after   before and/or after each collection
 *   sends N             once N more sends have happened (one shot)
 *   depth N             an activation deeper than N contexts
 *   errors              an unhandled error reaching the image's debugger or
 *                       notifier, or cannotReturn: (entries of the methods
 *                       the image families use for those: Error and
 *                       UnhandledError>>defaultAction, the Debugger's and
 *                       ToolSet's openers, UIManager's unhandled-error
 *                       action, every cannotReturn:, and Object>>error: in
 *                       images without an Error class; see debug.c)
 *
 * Collections: "gc before" halts before a collection asked for at an
 * instruction boundary (the usual case); one made inside a primitive only
 * shows as "gc after".  Collections the debugger makes itself (see
 * st_debug_settle, checkpoints, saving) fire no breakpoints.
 *
 * A method breakpoint fires when the method is entered: at the first
 * boundary in a new activation whose pc is the method's initial pc.  A
 * method answered by a successful primitive is never entered (use prim N).
 * The session starts halted before the image's first bytecode
 * ("startup").
 *
 * Stepping is per process: step, next, finish and run-to apply to the
 * process active when the command is given, and never halt in another
 * process's contexts.
 *
 * A run that stops on an interpreter error (what a real VM would crash
 * on) halts with ST_DEBUG_HALT_ERROR; after a repair (an edit and
 * st_debug_reload, or st_debug_return) the run can go on.
 *
 * Objects the debugger holds (breakpoint methods, the process and context
 * a command started in) are roots of the collector; after any command
 * that runs, re-read positions with st_debug_where. */
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
  ST_DEBUG_ERROR_SYNTAX,      /* a breakpoint spec that cannot be parsed */
  ST_DEBUG_ERROR_BAD_FRAME,   /* no such frame, or it cannot return */
  ST_DEBUG_ERROR_FILE,        /* a checkpoint file cannot be written or read */
} StDebugError;

typedef enum {
  ST_DEBUG_HALT_STARTUP,      /* before the first bytecode */
  ST_DEBUG_HALT_STEP,         /* one bytecode ran */
  ST_DEBUG_HALT_NEXT,         /* back in the context `next` started in */
  ST_DEBUG_HALT_RETURNED,     /* the context `next` or `finish` started in returned */
  ST_DEBUG_HALT_BREAKPOINT,   /* a method breakpoint (entry or pc) */
  ST_DEBUG_HALT_DNU,          /* doesNotUnderstand: was sent */
  ST_DEBUG_HALT_STOPPED,      /* the run ended otherwise (quit, limit...) */
  ST_DEBUG_HALT_REWOUND,      /* back at a checkpoint */
  ST_DEBUG_HALT_PRIMITIVE,    /* before a primitive runs (prim N) */
  ST_DEBUG_HALT_PRIM_FAILED,  /* a primitive failed (primfail N) */
  ST_DEBUG_HALT_SWITCH,       /* a process switch */
  ST_DEBUG_HALT_GC,           /* before or after a collection */
  ST_DEBUG_HALT_SENDS,        /* the send count was reached */
  ST_DEBUG_HALT_DEPTH,        /* the recursion depth limit */
  ST_DEBUG_HALT_TROUBLE,      /* an unhandled error or cannotReturn: in the image */
  ST_DEBUG_HALT_ERROR,        /* the interpreter stopped on an error */
  ST_DEBUG_HALT_INTEGRITY,    /* the per-GC heap check found a problem */
  ST_DEBUG_HALT_PC,           /* run-to reached its pc */
  ST_DEBUG_HALT_RETURN,       /* a frame was made to return (st_debug_return) */
} StDebugHalt;

typedef struct _StDebug StDebug;

/* Attach a debugger to a VM whose interpreter is initialised
 * (st_interp_init); NULL with an error when there is none. */
StDebug *st_debug_new (StVM *vm, GError **error);
/* Detach and free. */
void     st_debug_free (StDebug *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StDebug, st_debug_free)

/* Add a breakpoint from a spec (see above); answers its id (> 0), 0 with
 * an error. */
guint    st_debug_break_add (StDebug *d, const char *spec, GError **error);
/* Delete one breakpoint; FALSE when there is no such id. */
gboolean st_debug_break_delete (StDebug *d, guint id);

typedef struct {
  guint       id;
  const char *spec;       /* as given */
  guint       methods;    /* methods it watches (method, selector and errors breakpoints) */
  uint64_t    hits;
} StDebugBreakInfo;
/* The breakpoints in the order they were added (a GArray of
 * StDebugBreakInfo, valid until the next change). */
GArray  *st_debug_breakpoints (StDebug *d);

/* Shorthands: break on every method installed under selector (answers
 * how many methods that is, 0 with an error when none); on the method a
 * path names ("Foo>>bar"); on one method; on doesNotUnderstand:. */
guint    st_debug_break_selector (StDebug *d, const char *selector, GError **error);
gboolean st_debug_break_path (StDebug *d, const char *path, GError **error);
void     st_debug_break_method (StDebug *d, StOop method);
void     st_debug_break_dnu (StDebug *d, gboolean on);
/* Remove every breakpoint. */
void     st_debug_clear_breakpoints (StDebug *d);
guint    st_debug_breakpoint_count (StDebug *d);

/* Run the heap checker after every full collection (and tenure-all), and
 * halt (ST_DEBUG_HALT_INTEGRITY) at the next boundary when it finds a
 * problem.  Take a checkpoint before every collection the running image
 * asks for (at most keep checkpoints; see below). */
void     st_debug_set_gc_check (StDebug *d, gboolean on);
void     st_debug_set_checkpoint_before_gc (StDebug *d, gboolean on);
/* Deterministic replay: the image's millisecond clock, its timer and its
 * microsecond clocks advance ns_per_bytecode per bytecode run instead of
 * with the host's clock (0: the host's clock again), so a rewind and
 * re-run makes the same sends in the same order.  (The time zone stays
 * the host's.) */
void     st_debug_set_virtual_clock (StDebug *d, guint ns_per_bytecode);
/* Heap checks run by the per-GC check so far. */
guint    st_debug_gc_checks (StDebug *d);

/* Resume: run until a breakpoint or the limits (0 / <= 0: none). */
StRunStatus st_debug_continue (StDebug *d, uint64_t max_bytecodes, double max_seconds, GError **error);
/* Run exactly one bytecode of the current process (step into a send that
 * activates a method); other processes run meanwhile, 10 s at most. */
StRunStatus st_debug_step (StDebug *d, GError **error);
/* Run until back in the current context at its next instruction (a send
 * returns), or until that context returns. */
StRunStatus st_debug_next (StDebug *d, uint64_t max_bytecodes, double max_seconds, GError **error);
/* Run until the current context returns. */
StRunStatus st_debug_finish (StDebug *d, uint64_t max_bytecodes, double max_seconds, GError **error);
/* Run until the current context's pc is image_pc (1-based, the image's
 * own convention), or until it returns. */
StRunStatus st_debug_run_to (StDebug *d, uint64_t image_pc, uint64_t max_bytecodes, double max_seconds,
                             GError **error);

/* Why the last command halted, and a description ("breakpoint Foo>>bar"). */
StDebugHalt st_debug_halt_reason (StDebug *d);
const char *st_debug_halt_text (StDebug *d);
const char *st_debug_halt_name (StDebugHalt h);
/* The id of the breakpoint that caused the last halt, 0 when none. */
guint       st_debug_halt_breakpoint (StDebug *d);

/* The active context and its 0-based heap pc (offset of the next bytecode
 * from the method's first slot) and stack depth (slots above the
 * temporaries' base, i.e. stackp); FALSE when nothing runs. */
gboolean st_debug_where (StDebug *d, StOop *ctx, StOop *method, uint64_t *heap_pc, int64_t *stackp);
/* The pc in the image's own convention (1-based, word size of the file). */
uint64_t st_debug_image_pc (StDebug *d, StOop method, uint64_t heap_pc);

/* A printer for the heap as it is now: it is replaced after a command
 * during which objects moved (a collection ran, a rewind), so fetch it
 * again after any command that runs; a replaced one stays allocated (with
 * stale caches) until the debugger is freed. */
StPrinter *st_debug_printer (StDebug *d);

/* Empty new space into old space (a tenure-all collection; registers
 * written back first), so that paths, the printer, edits and heap walks,
 * which know old space only, see every object.  Call it while halted,
 * before resolving paths such as thisContext.  The printer may be
 * replaced. */
gboolean st_debug_settle (StDebug *d, GError **error);

/* Read the interpreter's registers (pc, stack pointer, method, receiver)
 * back from the active context, after an edit of its slots.  FALSE, with
 * the registers unchanged, when the context can no longer run (say a pc
 * outside its method): undo the edit and reload again.  After a run that
 * stopped on an error, a successful reload lets the run go on. */
gboolean st_debug_reload (StDebug *d, GError **error);

/* Make frame n of the active process's stack (0: the active context)
 * answer value to its sender: frames 0..n are terminated (pc nil, as a
 * return leaves them), value is pushed on the sender's stack and the run
 * continues there.  Unwind blocks (ensure:) of the dropped frames do not
 * run. */
gboolean st_debug_return (StDebug *d, guint n, StOop value, GError **error);

/* Checkpoints: st_debug_checkpoint remembers the heap (old space, after
 * new space is emptied into it) and the interpreter's state as one more
 * numbered checkpoint (1, 2, ...; at most 16 are kept, the oldest goes).
 * Rewind puts one back (any number of times): the latest, or number n.
 * Not rewound: the files the sandboxed FilePlugin holds, the primitives-
 * missing counts, the collector's statistics, and the method-name cache;
 * the console output and event list are cut back to their length at the
 * checkpoint.  Breakpoints stay and find their methods again. */
gboolean st_debug_checkpoint (StDebug *d, GError **error);
gboolean st_debug_rewind (StDebug *d, GError **error);
gboolean st_debug_rewind_to (StDebug *d, guint number, GError **error);

typedef struct {
  guint    number;
  uint64_t bytecodes;     /* the bytecode count there */
  uint64_t sends;
  gsize    bytes;         /* memory it holds */
  const char *where;      /* "Foo>>bar pc 12" */
  gboolean before_gc;     /* taken by the checkpoint-before-GC option */
} StDebugCheckpointInfo;
/* The checkpoints kept, oldest first (a GArray of StDebugCheckpointInfo,
 * valid until the next change). */
GArray  *st_debug_checkpoints (StDebug *d);
/* Bytes the latest checkpoint holds, 0 when none. */
gsize    st_debug_checkpoint_bytes (StDebug *d);

/* Write the halted image in its own format, as a snapshot would: the
 * active process's suspendedContext is the active context in the file.
 * New space is emptied into old space first.  Fails while halted before a
 * primitive runs (step first). */
gboolean st_debug_save (StDebug *d, const char *path, GError **error);

/* Checkpoint to a file: the image (as st_debug_save writes it: heap,
 * processes and the active context's registers) at path, and the
 * interpreter's counters, console output and the time left on the armed
 * timer at path + ".state" (a key file).  st_debug_resume_state reads that
 * key file back into a VM freshly loaded from path, so that the run and
 * its counts go on from where they were.  Not in the file: semaphore
 * signals still pending at that instant, the sandboxed files, the
 * debugger's breakpoints and checkpoints. */
gboolean st_debug_checkpoint_file (StDebug *d, const char *path, GError **error);
gboolean st_debug_resume_state (StDebug *d, const char *path, GError **error);

G_END_DECLS
