/* SPDX-License-Identifier: GPL-3.0-or-later */
/* debug.c: breakpoints and stepping (see debug.h).
 *
 * The debugger hangs off the interpreter (it->debug).  The periodic check
 * of the dispatch loop calls st_debug_check at instruction boundaries and
 * keeps checking at every boundary while the debugger asks for it, so the
 * fast path is unchanged.  A halt is an ordinary trap stop: the loop
 * writes the registers back and st_interp_run returns ST_RUN_TRAP. */
#include "config.h"

#include <string.h>

#include "debug.h"
#include "interp-private.h"
#include "path.h"
#include "image-write.h"

G_DEFINE_QUARK (st-debug-error-quark, st_debug_error)

typedef enum {
  MODE_CONTINUE,
  MODE_STEP,
  MODE_NEXT,
  MODE_FINISH,
} Mode;

struct _StDebug {
  StVM *vm;
  StPrinter *printer;
  GHashTable *methods;       /* StOop method -> itself: method breakpoints */
  bool break_dnu;

  Mode mode;
  StOop target;              /* the context next/finish started in */
  uint64_t run_start;        /* stats.bytecodes when the command started */
  StOop last_ctx;            /* the active context at the previous boundary */
  uint64_t last_dnu;         /* stats.dnu_sends at the previous boundary */

  /* the checkpoint, when cp_heap != NULL */
  guint8 *cp_heap;           /* [mem_base, mem_base + cp_len) */
  gsize cp_len;
  gsize cp_committed;
  guint cp_segments;
  StOop cp_special_objects;
  StInterp *cp_state;
  GArray *cp_pending;        /* StOop */
  gsize cp_output_len;
  guint cp_events;

  bool halted;               /* the last trap came from the debugger */
  StDebugHalt reason;
  char *text;
};

static void
set_halt (StDebug *d, StDebugHalt reason, char *text)
{
  d->halted = true;
  d->reason = reason;
  g_free (d->text);
  d->text = text;
}

StDebug *
st_debug_new (StVM *vm, GError **error)
{
  StInterp *it = st_interp (vm);
  if (it == NULL || it->ctx == 0)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CONTEXT,
                   "the interpreter is not initialised or has no active context");
      return NULL;
    }
  StDebug *d = g_new0 (StDebug, 1);
  d->vm = vm;
  d->printer = st_printer_new (vm);
  d->methods = g_hash_table_new (g_int64_hash, g_int64_equal);
  d->reason = ST_DEBUG_HALT_STARTUP;
  d->text = g_strdup ("stopped before the first bytecode");
  d->last_ctx = it->ctx;
  d->last_dnu = it->stats.dnu_sends;
  it->debug = d;
  return d;
}

static void
free_key (gpointer p)
{
  g_free (p);
}

void
st_debug_free (StDebug *d)
{
  if (d == NULL)
    return;
  StInterp *it = st_interp (d->vm);
  if (it != NULL && it->debug == d)
    it->debug = NULL;
  g_free (d->cp_heap);
  g_free (d->cp_state);
  if (d->cp_pending)
    g_array_unref (d->cp_pending);
  g_hash_table_destroy (d->methods);
  st_printer_free (d->printer);
  g_free (d->text);
  g_free (d);
}

StPrinter *
st_debug_printer (StDebug *d)
{
  return d->printer;
}

static void
add_method (StDebug *d, StOop method)
{
  StOop *key = g_new (StOop, 1);
  *key = method;
  g_hash_table_replace (d->methods, key, key);
}

void
st_debug_break_method (StDebug *d, StOop method)
{
  add_method (d, method);
}

void
st_debug_break_dnu (StDebug *d, gboolean on)
{
  d->break_dnu = on;
}

void
st_debug_clear_breakpoints (StDebug *d)
{
  GHashTableIter i;
  gpointer k;
  g_hash_table_iter_init (&i, d->methods);
  while (g_hash_table_iter_next (&i, &k, NULL))
    {
      g_hash_table_iter_steal (&i);
      free_key (k);
    }
  d->break_dnu = false;
}

guint
st_debug_breakpoint_count (StDebug *d)
{
  return g_hash_table_size (d->methods) + (d->break_dnu ? 1 : 0);
}

/* Does a Symbol's text equal s?  Checked against the object's bounds. */
static bool
symbol_is (StVM *vm, StOop sym, const char *s, gsize len)
{
  if (!st_interp_valid_obj (vm, sym) || !st_fmt_is_bytes (st_format (vm, sym)) || st_fmt_is_method (st_format (vm, sym)))
    return false;
  if (st_byte_length (vm, sym) != len)
    return false;
  return memcmp (st_bytes (vm, sym), s, len) == 0;
}

guint
st_debug_break_selector (StDebug *d, const char *selector, GError **error)
{
  StVM *vm = d->vm;
  gsize len = strlen (selector);
  guint found = 0;
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  /* Every class's method dictionary: a class is what the printer calls
   * one; its slot 1 is a MethodDictionary (tally, array, keys...). */
  while ((o = st_heap_walk_next (&w)) != 0)
    {
      if (!st_printer_is_class (d->printer, o))
        continue;
      StOop dict = st_fetch (vm, o, ST_CLASS_METHOD_DICT);
      if (!st_interp_valid_obj (vm, dict) || !st_fmt_is_pointers (st_format (vm, dict)))
        continue;
      uint64_t n = st_num_slots (vm, dict);
      if (n <= ST_MDICT_KEYS)
        continue;
      StOop values = st_fetch (vm, dict, ST_MDICT_ARRAY);
      if (!st_interp_valid_obj (vm, values) || !st_fmt_is_pointers (st_format (vm, values)))
        continue;
      uint64_t nv = st_num_slots (vm, values);
      for (uint64_t i = ST_MDICT_KEYS; i < n; i++)
        {
          if (!symbol_is (vm, st_fetch (vm, dict, i), selector, len) || i - ST_MDICT_KEYS >= nv)
            continue;
          StOop m = st_fetch (vm, values, i - ST_MDICT_KEYS);
          if (st_interp_valid_obj (vm, m) && st_fmt_is_method (st_format (vm, m)))
            {
              add_method (d, m);
              found++;
            }
        }
    }
  if (found == 0)
    g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NOT_FOUND, "no class has a method #%s", selector);
  return found;
}

gboolean
st_debug_break_path (StDebug *d, const char *path, GError **error)
{
  StPathTarget t;
  if (!st_path_resolve (d->printer, path, &t, error))
    return FALSE;
  if (!st_interp_valid_obj (d->vm, t.value) || !st_fmt_is_method (st_format (d->vm, t.value)))
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NOT_FOUND, "%s is not a CompiledMethod", path);
      return FALSE;
    }
  add_method (d, t.value);
  return TRUE;
}

static bool
context_returned (StInterp *it, StOop ctx)
{
  StVM *vm = it->vm;
  if (!st_interp_valid_obj (vm, ctx) || st_num_slots (vm, ctx) <= ST_CTX_PC)
    return true;
  return st_fetch (vm, ctx, ST_CTX_PC) == vm->nil_obj;
}

bool
st_debug_check (StInterp *it, bool *every)
{
  StDebug *d = it->debug;
  StVM *vm = it->vm;
  bool entered = it->ctx != d->last_ctx;
  bool dnu = it->stats.dnu_sends != d->last_dnu;
  d->last_ctx = it->ctx;
  d->last_dnu = it->stats.dnu_sends;
  *every = d->mode != MODE_CONTINUE || d->break_dnu || g_hash_table_size (d->methods) > 0;
  if (it->stats.bytecodes == d->run_start || it->ctx == 0)
    return false;

  if (dnu && d->break_dnu)
    {
      set_halt (d, ST_DEBUG_HALT_DNU, g_strdup ("doesNotUnderstand: sent"));
      return true;
    }
  if (entered && g_hash_table_size (d->methods) > 0
      && g_hash_table_contains (d->methods, &it->method))
    {
      StMethodHeader hdr;
      if (st_method_header (vm, it->method, &hdr, NULL) && it->pc == hdr.initial_pc)
        {
          g_autofree char *name = st_interp_method_name (vm, it->method);
          set_halt (d, ST_DEBUG_HALT_BREAKPOINT, g_strdup_printf ("breakpoint %s", name));
          return true;
        }
    }
  switch (d->mode)
    {
    case MODE_STEP:
      set_halt (d, ST_DEBUG_HALT_STEP, g_strdup ("stepped one bytecode"));
      return true;
    case MODE_NEXT:
      if (it->ctx == d->target)
        {
          set_halt (d, ST_DEBUG_HALT_NEXT, g_strdup ("next instruction in the same context"));
          return true;
        }
      if (context_returned (it, d->target))
        {
          set_halt (d, ST_DEBUG_HALT_RETURNED, g_strdup ("the context returned"));
          return true;
        }
      break;
    case MODE_FINISH:
      if (context_returned (it, d->target))
        {
          set_halt (d, ST_DEBUG_HALT_RETURNED, g_strdup ("the context returned"));
          return true;
        }
      break;
    case MODE_CONTINUE:
      break;
    }
  return false;
}

static StRunStatus
run (StDebug *d, Mode mode, uint64_t max_bytecodes, double max_seconds, GError **error)
{
  StInterp *it = st_interp (d->vm);
  if (it == NULL || it->ctx == 0)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CONTEXT, "nothing is running");
      return ST_RUN_ERROR;
    }
  d->mode = mode;
  d->target = it->ctx;
  d->run_start = it->stats.bytecodes;
  d->last_ctx = it->ctx;
  d->last_dnu = it->stats.dnu_sends;
  d->halted = false;
  StRunStatus s = st_interp_run (d->vm, max_bytecodes, max_seconds, error);
  d->mode = MODE_CONTINUE;
  if (!(s == ST_RUN_TRAP && d->halted))
    set_halt (d, ST_DEBUG_HALT_STOPPED, g_strdup_printf ("the run stopped: %s", st_run_status_name (s)));
  return s;
}

StRunStatus
st_debug_continue (StDebug *d, uint64_t max_bytecodes, double max_seconds, GError **error)
{
  return run (d, MODE_CONTINUE, max_bytecodes, max_seconds, error);
}

StRunStatus
st_debug_step (StDebug *d, GError **error)
{
  return run (d, MODE_STEP, 0, 0, error);
}

StRunStatus
st_debug_next (StDebug *d, uint64_t max_bytecodes, double max_seconds, GError **error)
{
  return run (d, MODE_NEXT, max_bytecodes, max_seconds, error);
}

StRunStatus
st_debug_finish (StDebug *d, uint64_t max_bytecodes, double max_seconds, GError **error)
{
  return run (d, MODE_FINISH, max_bytecodes, max_seconds, error);
}

StDebugHalt
st_debug_halt_reason (StDebug *d)
{
  return d->reason;
}

const char *
st_debug_halt_text (StDebug *d)
{
  return d->text;
}

const char *
st_debug_halt_name (StDebugHalt h)
{
  switch (h)
    {
    case ST_DEBUG_HALT_STARTUP: return "startup";
    case ST_DEBUG_HALT_STEP: return "step";
    case ST_DEBUG_HALT_NEXT: return "next";
    case ST_DEBUG_HALT_RETURNED: return "returned";
    case ST_DEBUG_HALT_BREAKPOINT: return "breakpoint";
    case ST_DEBUG_HALT_DNU: return "doesNotUnderstand";
    case ST_DEBUG_HALT_STOPPED: return "stopped";
    case ST_DEBUG_HALT_REWOUND: return "rewound";
    }
  return "?";
}

gboolean
st_debug_where (StDebug *d, StOop *ctx, StOop *method, uint64_t *heap_pc, int64_t *stackp)
{
  StInterp *it = st_interp (d->vm);
  if (it == NULL || it->ctx == 0)
    return FALSE;
  if (ctx)
    *ctx = it->ctx;
  if (method)
    *method = it->method;
  if (heap_pc)
    *heap_pc = it->pc;
  if (stackp)
    *stackp = it->sp - ST_CTX_TEMP0 + 1;
  return TRUE;
}

gboolean
st_debug_save (StDebug *d, const char *path, GError **error)
{
  StVM *vm = d->vm;
  StInterp *it = st_interp (vm);
  if (it == NULL || it->ctx == 0)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CONTEXT, "nothing is running");
      return FALSE;
    }
  if (it->eden_next > it->eden_start)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_CANNOT_SAVE,
                   "cannot save yet: the run allocated %" G_GUINT64_FORMAT " bytes of new objects in eden, and moving "
                   "them into old space for writing is not implemented",
                   (guint64) (it->eden_next - it->eden_start));
      return FALSE;
    }
  StOop proc = st_sched_active_process (it);
  if (!st_interp_valid_obj (vm, proc) || st_num_slots (vm, proc) <= ST_PROC_CONTEXT)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_CANNOT_SAVE, "the scheduler has no valid active process");
      return FALSE;
    }
  /* While running, the active process's suspendedContext is nil (the
   * context lives in the registers); a saved image resumes from it. */
  st_interp_save_registers (it);
  StOop old = st_fetch (vm, proc, ST_PROC_CONTEXT);
  st_store (vm, proc, ST_PROC_CONTEXT, it->ctx);
  gboolean ok = st_image_write (vm, path, ST_IMAGE_KIND_SAME, ST_WRITE_DEFAULT, error);
  st_store (vm, proc, ST_PROC_CONTEXT, old);
  return ok;
}

gboolean
st_debug_checkpoint (StDebug *d, GError **error)
{
  StVM *vm = d->vm;
  StInterp *it = st_interp (vm);
  if (it == NULL || it->ctx == 0 || it->eden_next < vm->mem_base)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CONTEXT, "nothing is running");
      return FALSE;
    }
  st_interp_save_registers (it);
  /* Everything below eden's first free byte, plus the free chunk's header
   * there: the rest of eden is free space whatever it holds. */
  gsize len = (gsize) (it->eden_next - vm->mem_base) + 16;
  if (len > vm->mem_committed)
    len = vm->mem_committed;
  guint8 *copy = g_try_malloc (len);
  if (copy == NULL)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CHECKPOINT, "no memory for a checkpoint of %" G_GSIZE_FORMAT
                   " bytes", len);
      return FALSE;
    }
  memcpy (copy, vm->mem, len);
  g_free (d->cp_heap);
  d->cp_heap = copy;
  d->cp_len = len;
  d->cp_committed = vm->mem_committed;
  d->cp_segments = vm->n_segments;
  d->cp_special_objects = vm->special_objects;
  g_free (d->cp_state);
  d->cp_state = g_memdup2 (it, sizeof *it);
  if (d->cp_pending)
    g_array_unref (d->cp_pending);
  d->cp_pending = g_array_copy (it->pending_signals);
  d->cp_output_len = it->output->len;
  d->cp_events = it->events->len;
  return TRUE;
}

gboolean
st_debug_rewind (StDebug *d, GError **error)
{
  StVM *vm = d->vm;
  StInterp *it = st_interp (vm);
  if (d->cp_heap == NULL || it == NULL)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CHECKPOINT, "there is no checkpoint to rewind to");
      return FALSE;
    }
  if (vm->mem_committed != d->cp_committed || vm->n_segments != d->cp_segments)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CHECKPOINT,
                   "the heap's layout changed since the checkpoint (%u segments, %" G_GSIZE_FORMAT
                   " bytes committed; then %u, %" G_GSIZE_FORMAT ")", vm->n_segments, vm->mem_committed,
                   d->cp_segments, d->cp_committed);
      return FALSE;
    }
  memcpy (vm->mem, d->cp_heap, d->cp_len);
  vm->special_objects = d->cp_special_objects;
  /* The interpreter's plain state comes back; what it owns stays. */
  StInterp now = *it;
  *it = *d->cp_state;
  it->vm = now.vm;
  it->prims = now.prims;
  it->n_prims = now.n_prims;
  it->error = now.error;
  it->last_error = now.last_error;
  it->names = now.names;
  it->eval_result = now.eval_result;
  it->missing = now.missing;
  it->output = now.output;
  it->trace = now.trace;
  it->events = now.events;
  it->files = now.files;
  it->pending_signals = now.pending_signals;
  it->debug = now.debug;
  g_clear_error (&it->error);
  g_array_set_size (it->pending_signals, 0);
  g_array_append_vals (it->pending_signals, d->cp_pending->data, d->cp_pending->len);
  if (it->output->len > d->cp_output_len)
    g_string_truncate (it->output, d->cp_output_len);
  if (it->events->len > d->cp_events)
    g_ptr_array_set_size (it->events, (gint) d->cp_events);
  /* The registers point into the heap, which is back where it was. */
  d->last_ctx = it->ctx;
  d->last_dnu = it->stats.dnu_sends;
  set_halt (d, ST_DEBUG_HALT_REWOUND, g_strdup ("rewound to the checkpoint"));
  return TRUE;
}

gsize
st_debug_checkpoint_bytes (StDebug *d)
{
  return d->cp_heap ? d->cp_len : 0;
}

gboolean
st_debug_reload (StDebug *d, GError **error)
{
  StInterp *it = st_interp (d->vm);
  if (it == NULL || it->ctx == 0)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CONTEXT, "nothing is running");
      return FALSE;
    }
  StRunStatus stop = it->stop;
  if (st_interp_load_context (it, it->ctx))
    return TRUE;
  /* load_context leaves the registers alone when it fails; its error
   * goes to the caller instead of ending the run. */
  if (it->error != NULL)
    g_propagate_error (error, g_steal_pointer (&it->error));
  else
    g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CONTEXT, "the active context cannot be run");
  it->stop = stop;
  return FALSE;
}
