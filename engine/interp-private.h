/* SPDX-License-Identifier: GPL-3.0-or-later */
/* interp-private.h: the interpreter's state, shared by interp*.c, sched.c,
 * objmem-new.c and the primitive files.  Nothing outside the engine's
 * interpreter includes it. */
#pragma once

#include "interp.h"
#include "method.h"

#include <stdio.h>

G_BEGIN_DECLS

/* Context (MethodContext) fields; the stack (temps first) follows. */
enum {
  ST_CTX_SENDER = 0,
  ST_CTX_PC = 1,
  ST_CTX_STACKP = 2,
  ST_CTX_METHOD = 3,
  ST_CTX_CLOSURE = 4,      /* closureOrNil (receiverMap in 6502 images) */
  ST_CTX_RECEIVER = 5,
  ST_CTX_TEMP0 = 6,
};
/* BlockContext (6502 images): caller, pc, stackp, nargs, startpc, home. */
enum {
  ST_BCTX_CALLER = 0,
  ST_BCTX_NARGS = 3,
  ST_BCTX_STARTPC = 4,
  ST_BCTX_HOME = 5,
};
/* BlockClosure: outerContext, startpc, numArgs, copied values...
 * FullBlockClosure: outerContext, compiledBlock, numArgs, receiver, copied... */
enum {
  ST_CLOSURE_OUTER = 0,
  ST_CLOSURE_STARTPC = 1,
  ST_CLOSURE_METHOD = 1,
  ST_CLOSURE_NUM_ARGS = 2,
  ST_CLOSURE_COPIED = 3,
  ST_FULL_CLOSURE_RECEIVER = 3,
  ST_FULL_CLOSURE_COPIED = 4,
};
enum {
  ST_SCHED_LISTS = 0,       /* ProcessorScheduler quiescentProcessLists */
  ST_SCHED_ACTIVE = 1,      /* activeProcess */
  ST_LINK_NEXT = 0,         /* Link nextLink */
  ST_PROC_CONTEXT = 1,      /* Process suspendedContext */
  ST_PROC_PRIORITY = 2,
  ST_PROC_LIST = 3,         /* myList */
  ST_LIST_FIRST = 0,        /* LinkedList firstLink */
  ST_LIST_LAST = 1,
  ST_SEM_EXCESS = 2,        /* Semaphore excessSignals */
  ST_CLASS_SUPERCLASS = 0,
  ST_CLASS_METHOD_DICT = 1,
  ST_CLASS_FORMAT = 2,
  ST_MDICT_ARRAY = 1,       /* MethodDictionary: tally, array, keys... */
  ST_MDICT_KEYS = 2,
  ST_MSG_SELECTOR = 0,
  ST_MSG_ARGS = 1,
  ST_MSG_LOOKUP_CLASS = 2,
  ST_ASSOC_VALUE = 1,
};

/* stop value while the loop should keep going */
#define ST_RUN_CONTINUE ((StRunStatus) 100)

#define ST_SMALL_FRAME 16
/* Fewer temps than this in a context's home: damaged (st_interp_load_context
 * refuses it; the interpreter reads temps 0..ST_MIN_FRAME-1 unchecked).
 * The smallest frame any VM makes is 12 (the 2.x-era SmallFrame, which
 * Scratch's contexts still have); later VMs make 16 or 56. */
#define ST_MIN_FRAME 12
#define ST_LARGE_FRAME 56
#define ST_METHOD_CACHE_SIZE 4096
#define ST_HEADER_CACHE_SIZE 512

typedef struct {
  StOop selector;
  guint32 class_index;
  /* slots of a context for method (st_interp_context_slots) when the send
   * fast path may activate it in place (no primitive, temps and
   * arguments that agree, a context of the usual size); else 0 */
  guint32 ctx_slots;
  StOop method;
  StMethodHeader hdr;
} StCacheEntry;

typedef struct _StInterp StInterp;
typedef StPrimResult (*StPrimFn) (StVM *vm, int argc);

struct _StInterp {
  StVM *vm;

  /* Registers of the active context.  slots/temps are machine pointers to
   * slot 0 of the active context and of the context holding the temps
   * (the home context for a 6502 BlockContext, else the same). */
  StOop ctx;
  uint64_t *slots;
  uint64_t ctx_size;       /* slots of ctx */
  int64_t sp;              /* slot index of the top of stack (ST_CTX_TEMP0 - 1 when empty) */
  StOop home;
  uint64_t *temps;
  uint64_t temps_size;
  StOop method;
  const guint8 *bc;        /* the method's bytes (slot 0 = header word) */
  uint64_t pc;             /* 0-based offset of the next bytecode in bc */
  uint64_t pc_end;
  guint num_literals;
  StOop receiver;
  bool rcvr_pc_fix;        /* 32-bit image, receiver a context or closure: translate pcs */
  guint set_base;          /* 0 for V3/V3PlusClosures, 256 for SistaV1 */
  int64_t ext_a, ext_b;
  guint num_ext_b;
  int prim_fail_code;      /* from the primitive that just failed, for callPrimitive */
  StOop new_method;        /* the method whose primitive runs (named primitives need it) */

  /* The image's personality, flattened. */
  int64_t int_min, int_max;       /* SmallInteger range the image sees */
  bool v3;                        /* Characters are objects; V3 class formats */
  bool word64;                    /* 64-bit image: SmallFloat64 exists */
  bool block_contexts;            /* 6502: BlockContexts and blockCopy: */

  /* Well-known objects and class indices. */
  StOop nil, true_obj, false_obj;
  guint32 ci_context, ci_block_context, ci_closure, ci_full_closure;
  guint32 ci_array, ci_float, ci_large_pos, ci_large_neg, ci_message, ci_point;
  guint32 ci_byte_string, ci_byte_array, ci_character, ci_semaphore, ci_process;
  guint32 ci_smallint;            /* class index the receiver of an immediate int has */
  uint64_t array_key;             /* an Array's header, bits 0-28 (format, class index) */

  /* Eden: bump allocation (objmem-new.c); the collector (gc.c) owns the rest. */
  StOop eden_start, eden_next, eden_end;
  StOop eden_trigger;             /* past this a scavenge is requested */
  /* Eden above eden_next and below eden_clean holds only nil and oops
   * that are valid now (what contexts taken back left there: their
   * headers are overwritten with nil), so the send fast path in
   * interp.c fills a new context's stack with nothing and its temps only.
   * Reset to eden_start whenever eden's contents stop being trusted
   * (after a scavenge; a rewind). */
  StOop eden_clean;
  /* The send fast path allocates a context without further checks while
   * it ends at or below this: MIN (eden_trigger, eden_clean), or
   * eden_start in stress mode (st_interp_eden_changed keeps it). */
  StOop eden_fast_end;
  /* The contexts from here up to eden_next are the VM's own: made by its
   * sends after the last time a context could have escaped (thisContext,
   * a closure or BlockContext, a process switch, a context loaded by
   * st_interp_load_context, the end of a run, a collection), so nothing
   * but the interpreter has seen or written them.  One that returns
   * while it is the newest object in eden is taken back by moving
   * eden_next down to it, and a return from one to another trusts the
   * registers its send saved in the sender. */
  StOop reclaim_floor;
  struct _StGc *gc;
  bool gc_pending;                /* collect at the next instruction boundary */
  bool gc_stress;                 /* request a scavenge after every allocation */
  uint64_t low_space_threshold;   /* primitive 125 */
  char *snapshot_path;            /* where primitive 97 writes, or NULL: it fails */
  gpointer cp_state;              /* CpSystemPlugin's symbol table (plugins/cp-system.c) */
  void (*cp_state_free) (StVM *vm, gpointer state);
  bool low_space_signalled;

  /* Method cache, and decoded headers of methods contexts return into
   * (both flushed together: GC, become, method edits). */
  StCacheEntry cache[ST_METHOD_CACHE_SIZE];
  struct { StOop method; StMethodHeader hdr; } header_cache[ST_HEADER_CACHE_SIZE];

  /* Primitive table, filled from prim-table.h. */
  StPrimFn *prims;
  guint n_prims;

  /* Scheduler, timers and interrupts. */
  StOop timer_semaphore;
  gint64 timer_wakeup_usecs;      /* 0 when no timer is armed */
  gint64 start_usecs;             /* monotonic time at init */
  gint64 utc_offset_usecs;        /* UTC µs minus monotonic µs at init */
  GArray *pending_signals;        /* StOop semaphores to signal at the next check */
  bool idle;                      /* relinquishProcessor met: sleep until the timer */

  /* Loop control. */
  gint64 check_at;                /* bytecode count of the next periodic check (atomic) */
  gint trap;                      /* atomic: a trap was requested */
  bool quit;
  int quit_code;
  StRunStatus stop;               /* set by a primitive or helper that stops the run */
  GError *error;                  /* set with stop == ST_RUN_ERROR */
  char *last_error;
  GHashTable *names;              /* method -> "Class>>selector" found by a heap walk */
  StOop eval_selector;            /* the private selector that hands back an --eval result, or 0 */
  char *eval_result;               /* its message, kept: an error ends the run for good */

  StInterpStats stats;
  GHashTable *missing;            /* char * -> uint64_t * counts */
  GString *output;                /* console text */
  uint64_t trace_sends;           /* print this many more sends to the trace stream */
  FILE *trace;
  GPtrArray *events;              /* char *: the first notable events (DNUs...) */
  GPtrArray *files;               /* StFile *, the sandboxed FilePlugin's open files (prims-file.c) */
  struct _StDebug *debug;         /* the attached debugger (debug.c), or NULL */
  struct _StIo *io;               /* display and input state (prims-display.c), or NULL */
  gint64 debug_regular_at;        /* while it checks every boundary: when the periodic work is due */
  /* debugger: a clock that advances with the bytecode count, for
   * deterministic replays (debug.h); 0 ns: the host's clock */
  gint64 debug_clock_ns_per_bc;
  gint64 debug_clock_base_usecs;
};

static inline StInterp *st_interp (StVM *vm) { return (StInterp *) vm->interp; }

/* The interpreter's monotonic clock in µs (the millisecond clock and the
 * timer use it): the host's, or the debugger's bytecode-driven clock. */
static inline gint64
st_interp_mono_usecs (StInterp *it)
{
  if (G_UNLIKELY (it->debug_clock_ns_per_bc != 0))
    return it->debug_clock_base_usecs + (gint64) (it->stats.bytecodes * (uint64_t) it->debug_clock_ns_per_bc / 1000);
  return g_get_monotonic_time ();
}
/* Real time (µs since 1970) consistent with st_interp_mono_usecs. */
static inline gint64
st_interp_real_usecs (StInterp *it)
{
  if (G_UNLIKELY (it->debug_clock_ns_per_bc != 0))
    return st_interp_mono_usecs (it) + it->utc_offset_usecs;
  return g_get_real_time ();
}

/* --- validity (damaged heaps): bounds only, cheap --- */
static inline bool
st_interp_valid_oop (const StVM *vm, StOop o)
{
  /* one unsigned comparison: below mem_base wraps around to a huge offset
   * (mem_committed is never below 16) */
  return st_is_pointer (o) && o - vm->mem_base <= vm->mem_committed - 16;
}

/* A pointer object whose header and all slots lie in committed memory. */
static inline bool
st_interp_valid_obj (const StVM *vm, StOop o)
{
  if (!st_interp_valid_oop (vm, o))
    return false;
  uint64_t n = st_num_slots (vm, o);
  return n <= (vm->mem_committed - (o - vm->mem_base) - 8) / 8;
}

/* Remember an old object whose slots the interpreter is about to write
 * directly (the value is not looked at: cheaper than a full barrier). */
static inline void
st_gc_remember_if_old (StVM *vm, StOop o)
{
  if (o - vm->young_start >= vm->young_bytes && st_interp_valid_oop (vm, o)
      && !(st_header (vm, o) & ST_HDR_REMEMBERED_BIT))
    st_gc_remember_slow (vm, o);
}

/* Is ci the class index of the image's contexts (MethodContext, and a
 * 6502 image's BlockContext)? */
static inline bool
st_interp_is_context_class (const StInterp *it, guint32 ci)
{
  return ci == it->ci_context || (it->block_contexts && ci == it->ci_block_context);
}

/* A 32-bit image's contexts and closures keep their pcs in the heap's
 * 64-bit layout: does o need its pc slots translated (interp-context.c)? */
static inline bool
st_interp_needs_pc_fix (StInterp *it, StOop o)
{
  if (it->word64 || !st_interp_valid_obj (it->vm, o))
    return false;
  guint32 ci = st_class_index (it->vm, o);
  return st_interp_is_context_class (it, ci) || ci == it->ci_closure;
}

/* Whoever changes eden_clean, eden_trigger, eden_end or gc_stress calls
 * this. */
static inline void
st_interp_eden_changed (StInterp *it)
{
  it->eden_fast_end = it->gc_stress ? it->eden_start : MIN (it->eden_trigger, it->eden_clean);
}

/* Take back the context ctx (n slots) that just returned when it is
 * eden's newest object and made after the last escape (no debugger: it
 * keeps contexts by address).  Its header becomes nil: the memory stays
 * clean for eden_clean. */
static inline void
st_interp_reclaim_sized (StInterp *it, StOop ctx, uint64_t n)
{
  if (ctx + 8 + 8 * n == it->eden_next && n < ST_OVERFLOW_SLOTS && n > 0 && ctx >= it->reclaim_floor
      && it->debug == NULL)
    {
      it->eden_next = ctx;
      *st_ptr (it->vm, ctx) = it->nil;
    }
}

static inline void
st_interp_reclaim (StInterp *it, StOop ctx)
{
  st_interp_reclaim_sized (it, ctx, st_num_slots (it->vm, ctx));
}

/* Slots of a new MethodContext for a method: its frame (small or large,
 * as the header says, at least the temps and room for 4 more) after the
 * fixed fields. */
static inline uint64_t
st_interp_context_slots (const StMethodHeader *hdr)
{
  guint frame = hdr->large_frame ? ST_LARGE_FRAME : ST_SMALL_FRAME;
  if (frame < hdr->num_temps + 4)
    frame = hdr->num_temps + 4;
  return ST_CTX_TEMP0 + frame;
}

/* From now on no context made so far may be taken back (interp-context.c). */
static inline void
st_interp_escape (StInterp *it)
{
  it->reclaim_floor = it->eden_next;
}

/* --- stack access (for primitives) --- */
static inline StOop st_stack_value (StInterp *it, int n) { return it->slots[it->sp - n]; }
static inline void  st_push (StInterp *it, StOop v) { it->slots[++it->sp] = v; }
static inline StOop st_pop (StInterp *it) { return it->slots[it->sp--]; }
static inline void  st_pop_n (StInterp *it, int n) { it->sp -= n; }
/* Replace the receiver and argc arguments by a result. */
static inline StPrimResult
st_prim_return (StInterp *it, int argc, StOop v)
{
  it->sp -= argc;
  it->slots[it->sp] = v;
  return ST_PRIM_OK;
}

/* The method cache entry for a selector and receiver class index. */
static inline guint
st_interp_cache_slot (StOop selector, guint32 ci)
{
  return (guint) (((selector >> 3) ^ (selector >> 13) ^ (ci * 2654435761u)) & (ST_METHOD_CACHE_SIZE - 1));
}

static inline StOop st_bool (StInterp *it, bool b) { return b ? it->true_obj : it->false_obj; }

static inline guint32
st_interp_class_index_of (StInterp *it, StOop o)
{
  if (st_is_pointer (o))
    return st_class_index (it->vm, o);
  if (st_is_smallint (o))
    return ST_CLASS_INDEX_SMALLINTEGER;
  if (st_is_character (o))
    return ST_CLASS_INDEX_CHARACTER;
  return ST_CLASS_INDEX_SMALLFLOAT;
}

static inline bool
st_interp_int_fits (StInterp *it, int64_t v)
{
  return v >= it->int_min && v <= it->int_max;
}

/* --- interp.c / interp-send.c / interp-context.c --- */
void  st_interp_fail (StVM *vm, int code, const char *fmt, ...) G_GNUC_PRINTF (3, 4);
void  st_interp_save_registers (StInterp *it);
bool  st_interp_load_context (StInterp *it, StOop ctx);
void  st_interp_send (StInterp *it, StOop selector, int argc, bool super, StOop directed_class);
void  st_interp_execute (StInterp *it, StOop method, const StMethodHeader *hdr, int argc, StOop selector);
bool  st_interp_activate (StInterp *it, StOop method, const StMethodHeader *hdr, int argc, StOop closure,
                          StOop receiver_override);
StOop st_interp_lookup (StInterp *it, StOop cls, StOop selector);
void  st_interp_flush_cache (StInterp *it);
void  st_interp_return (StInterp *it, StOop value, bool from_method);
StOop st_interp_method_class (StInterp *it, StOop method);
void  st_interp_push_closure (StInterp *it, guint num_copied, guint num_args, uint64_t block_size);
void  st_interp_push_full_closure (StInterp *it, StOop block, guint num_copied, bool receiver_on_stack,
                                   bool ignore_outer);
StPrimResult st_interp_call_primitive (StInterp *it, guint prim, int argc);
void  st_interp_count_missing (StInterp *it, const char *name);
StOop st_interp_home_of (StInterp *it, StOop ctx);
/* Context pcs and closure startpcs between the heap's 64-bit layout and a
 * 32-bit image's view (other slots and objects unchanged). */
StOop st_interp_pc_to_image (StInterp *it, StOop o, uint64_t slot, StOop v);
StOop st_interp_pc_to_heap (StInterp *it, StOop o, uint64_t slot, StOop v);
char *st_interp_class_name (StVM *vm, StOop cls);
StOop st_interp_error_object (StInterp *it, int code);
void  st_interp_note_event (StInterp *it, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* --- gc.c: for the interpreter --- */
void  st_gc_free (StVM *vm);
/* Ask for a collection at the next instruction boundary. */
void  st_gc_request (StVM *vm);
/* Collect at an instruction boundary (gc_pending); false when memory ran out (stop set). */
bool  st_gc_safe_point (StVM *vm);
/* Room for bytes at the end of old space, 0 when it cannot grow. */
StOop st_gc_alloc_old (StVM *vm, uint64_t bytes);

/* --- objmem-new.c: allocation for the running image --- */
/* A new object, pointer slots nil and others zero; 0 when eden is full. */
StOop st_objmem_new_object (StVM *vm, guint32 class_index, guint format, uint64_t num_slots);
/* Instantiate a class with n indexable elements, as the image's own
 * instance specification says; 0 when impossible (*why set). */
StOop st_objmem_instantiate (StVM *vm, StOop cls, uint64_t n, StPrimResult *why);
/* The class index for a class, entering it in the class table if needed; 0 on failure. */
guint32 st_objmem_class_index_for (StVM *vm, StOop cls);
/* The instance specification of a class as a Spur format (V3 specs mapped). */
bool st_objmem_class_spec (StVM *vm, StOop cls, guint *format, uint64_t *fixed);
StOop st_objmem_clone (StVM *vm, StOop o);
guint32 st_objmem_ensure_hash (StVM *vm, StOop o);

/* --- helpers shared by primitives (prims-object.c) --- */
StOop st_interp_new_array (StInterp *it, uint64_t n);
StOop st_interp_new_string (StInterp *it, const char *s);
StOop st_interp_integer (StInterp *it, int64_t v);       /* 0 when it cannot be made */
StOop st_interp_unsigned (StInterp *it, uint64_t v);
bool  st_interp_to_int64 (StInterp *it, StOop o, int64_t *out);
StOop st_interp_character (StInterp *it, guint32 cp);    /* 0 when impossible */
bool  st_interp_char_value (StInterp *it, StOop o, guint32 *out);
StOop st_interp_float (StInterp *it, double d);          /* 0 when eden is full */
bool  st_interp_float_value (StInterp *it, StOop o, double *out);

/* --- debug.c: called by the periodic check when a debugger is attached;
 * TRUE to halt at this boundary, *every when it wants the next one too. --- */
bool  st_debug_check (StInterp *it, bool *every);
/* Debugger hooks (debug.c), called only while it->debug is set: before a
 * primitive runs (TRUE: the call is held back and the run halts), and at a
 * boundary with a collection pending (TRUE: halt before it). */
bool  st_debug_before_primitive (StInterp *it, StOop method, const StMethodHeader *hdr, int argc, StOop selector);
bool  st_debug_before_gc (StInterp *it);

/* --- sched.c --- */
StOop st_sched_scheduler (StInterp *it);
StOop st_sched_active_process (StInterp *it);
bool  st_sched_resume (StInterp *it, StOop proc);          /* may switch */
bool  st_sched_signal (StInterp *it, StOop sem);           /* may switch */
bool  st_sched_wait (StInterp *it, StOop sem);             /* may switch */
bool  st_sched_suspend (StInterp *it, StOop proc);
bool  st_sched_yield (StInterp *it);
bool  st_sched_transfer_to (StInterp *it, StOop proc);
StOop st_sched_wake_highest (StInterp *it);                /* 0 when nothing is runnable */
bool  st_sched_is_empty_list (StInterp *it, StOop list);
StOop st_sched_remove_first (StInterp *it, StOop list);
void  st_sched_add_last (StInterp *it, StOop list, StOop proc);
bool  st_sched_remove_link (StInterp *it, StOop list, StOop link);
void  st_sched_check_timers (StInterp *it, gint64 now_usecs);

/* --- prims: the table (prim-table.h) --- */
void st_prims_install (StInterp *it);
/* A named primitive Thaw implements (prims-file.c), or NULL. */
void st_prims_files_free (StInterp *it);
void st_prims_install_old_file (StInterp *it);
/* 6502-era images call MiscPrimitivePlugin by number (234-237, 243-246):
 * enters those numbers in the table (plugins/misc-prims.c). */
void st_prims_install_old_misc (StInterp *it);
/* prims-display.c: free the display and input state (it->io). */
void st_io_free (StVM *vm);

G_END_DECLS
