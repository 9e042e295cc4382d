/* SPDX-License-Identifier: GPL-3.0-or-later */
/* interp.h: the interpreter: running an image's processes on its own heap.
 *
 * Contexts are real objects in the heap (no stack-frame mapping): a
 * debugger or a mirror sees every activation as an ordinary Context at any
 * instruction boundary, because the interpreter writes the active
 * context's pc and stack pointer back whenever it leaves the dispatch loop.
 *
 * Per-VM state lives in an StInterp hanging off vm->interp; there is no
 * file-scope mutable state.  New objects are bump-allocated in eden
 * (objmem-new.c); the collector (gc.h) runs at instruction boundaries. */
#pragma once

#include <stdio.h>

#include "objmem.h"
#include "image-write.h"

G_BEGIN_DECLS

#define ST_INTERP_ERROR (st_interp_error_quark ())
GQuark st_interp_error_quark (void);

typedef enum {
  ST_INTERP_ERROR_NO_PROCESS,    /* no active process or context to start from */
  ST_INTERP_ERROR_BAD_CONTEXT,   /* a context, method or pc that cannot be run */
  ST_INTERP_ERROR_BAD_BYTECODE,  /* an unknown or unsupported bytecode */
  ST_INTERP_ERROR_BAD_OBJECT,    /* an object the interpreter must read is malformed */
  ST_INTERP_ERROR_LOOKUP,        /* doesNotUnderstand: itself not understood */
  ST_INTERP_ERROR_NO_MEMORY,     /* old space cannot grow any further */
} StInterpError;

/* Primitive results: 0 is success, anything else a failure code as the
 * image's PrimErrTableIndex names them (1-based into that table). */
typedef enum {
  ST_PRIM_OK = 0,
  ST_PRIM_FAIL = 1,                  /* generic failure */
  ST_PRIM_ERR_BAD_RECEIVER = 2,
  ST_PRIM_ERR_BAD_ARGUMENT = 3,
  ST_PRIM_ERR_BAD_INDEX = 4,
  ST_PRIM_ERR_BAD_NUM_ARGS = 5,
  ST_PRIM_ERR_INAPPROPRIATE = 6,
  ST_PRIM_ERR_UNSUPPORTED = 7,
  ST_PRIM_ERR_NO_MODIFICATION = 8,
  ST_PRIM_ERR_NO_MEMORY = 9,
  ST_PRIM_ERR_NOT_FOUND = 11,
  ST_PRIM_ERR_LIMIT_EXCEEDED = 15,
} StPrimResult;

typedef enum {
  ST_RUN_QUIT,            /* the image quit (primitive 113) */
  ST_RUN_TIME_LIMIT,      /* the wall-clock budget ran out */
  ST_RUN_BYTECODE_LIMIT,  /* the bytecode budget ran out */
  ST_RUN_TRAP,            /* st_interp_request_trap() was called */
  ST_RUN_IDLE,            /* every process waits and no timer is due */
  ST_RUN_NO_MEMORY,       /* memory ran out */
  ST_RUN_ERROR,           /* the interpreter cannot go on (see the error) */
  ST_RUN_EVALUATED,       /* the expression given to st_interp_eval has its result */
} StRunStatus;

typedef struct {
  uint64_t bytecodes;        /* executed bytecodes */
  uint64_t sends;            /* full sends (lookups through the cache) */
  uint64_t cache_misses;
  uint64_t primitive_calls;  /* numbered and named primitives tried */
  uint64_t primitive_failures;
  uint64_t process_switches;
  uint64_t contexts_allocated;
  uint64_t bytes_allocated;
  uint64_t dnu_sends;        /* doesNotUnderstand: sent */
} StInterpStats;

/* Prepare to run: find the active process, set up eden.  FALSE when the
 * image has no runnable active process. */
gboolean st_interp_init (StVM *vm, GError **error);

/* Run until the image quits or a limit is met.  max_bytecodes 0 and
 * max_seconds <= 0 mean unlimited.  On ST_RUN_ERROR, error says what and
 * where (method, pc, bytecode). */
StRunStatus st_interp_run (StVM *vm, uint64_t max_bytecodes, double max_seconds, GError **error);

/* Have the image evaluate expr with its own Compiler (Compiler evaluate:
 * expr, then printString), in a new process one priority above the active
 * one, which suspends itself afterwards so the image carries on.  The next
 * st_interp_run stops with ST_RUN_EVALUATED when the result is there.
 * FALSE when the image has no Compiler global or lacks the symbols. */
gboolean st_interp_eval (StVM *vm, const char *expr, GError **error);
/* The printString of the evaluated expression, or NULL before that. */
const char *st_interp_eval_result (StVM *vm);

/* Ask the running loop to stop at the next instruction boundary (any
 * thread). */
void st_interp_request_trap (StVM *vm);

const StInterpStats *st_interp_stats (StVM *vm);

/* Print the next n sends (receiver class, selector, depth) to out. */
void st_interp_trace_sends (StVM *vm, uint64_t n, FILE *out);
const char *st_run_status_name (StRunStatus s);

/* The exit code given to primitive 113 (quit), or 0. */
int st_interp_quit_code (StVM *vm);

/* The active context (its pc and stack pointer written back), 0 when none. */
StOop st_interp_active_context (StVM *vm);

/* Missing primitives met so far: calls fn for each (name is "#123" for a
 * numbered one, "Module>>name" for a named one) with its count. */
void st_interp_foreach_missing (StVM *vm, void (*fn) (const char *name, uint64_t count, gpointer data),
                                gpointer data);

/* A one-line description of a method ("Class>>selector"), newly allocated;
 * best effort on damaged heaps. */
char *st_interp_method_name (StVM *vm, StOop method);
/* The text of a String/Symbol, or NULL. */
char *st_interp_string (StVM *vm, StOop o);

/* The first notable events of the run, one line each ("doesNotUnderstand:
 * #foo sent to a Bar from Baz>>qux"), at most 20; NULL-terminated. */
const char *const *st_interp_events (StVM *vm);

/* Files the image wrote (captured in memory: the sandboxed FilePlugin
 * never writes to disk), with their final contents. */
void st_interp_foreach_file (StVM *vm, void (*fn) (const char *path, const guint8 *data, gsize len, gpointer user),
                             gpointer user);

/* Snapshot: a full collection, then the heap written through the image
 * writer in the image's own format to path (never the loaded file), the
 * active context as the active process's suspendedContext. */
gboolean st_interp_snapshot (StVM *vm, const char *path, StWriteFlags flags, GError **error);
/* Where the image's own snapshot primitive (97) writes; NULL (the
 * default) makes it fail as a VM that cannot write would. */
void st_interp_set_snapshot_path (StVM *vm, const char *path);
const char *st_interp_snapshot_path (StVM *vm);

/* Text the image wrote to its console/transcript through primitives. */
const char *st_interp_output (StVM *vm);

G_END_DECLS
