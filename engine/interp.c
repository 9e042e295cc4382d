/* SPDX-License-Identifier: GPL-3.0-or-later */
/* interp.c: setting up the interpreter and the dispatch loop.
 *
 * One loop runs all three bytecode sets: a method's header chooses V3 /
 * V3PlusClosures (set_base 0) or SistaV1 (set_base 256), and the switch is
 * on set_base + byte.  The only per-bytecode overhead besides decoding is
 * one comparison of the bytecode count against check_at: timers, the wall
 * clock, limits and traps requested from other threads are all handled
 * when it trips (st_interp_request_trap sets it to 0).
 *
 * Sends, returns and closures live in interp-send.c and interp-context.c;
 * primitives in prims-*.c (table in prim-table.h); processes in sched.c.
 *
 * Dispatch comes from bytecodes.h alone: every row of both sets has a
 * label here (SET_ID), reached by a computed goto table or, with
 * -Dcomputed_goto=false (and in the test-interp-switch test), a switch,
 * both generated from the rows.
 *
 * What runs: every V3 / V3PlusClosures bytecode (6502 BlockContexts via
 * blockCopy: and value primitives 80-82) and every SistaV1 bytecode except
 * the trap (217) and inlined unsafe primitives (236) of optimised methods,
 * which stop the run with an error naming them.  The SmallInteger
 * arithmetic and comparison special selectors, == , ~~ and class are done
 * inline; the others are real sends whose primitives the method cache
 * finds. */
#include "config.h"

#include <string.h>

#include "gc.h"
#include "image-write.h"
#include "interp-private.h"
#include "bytecodes.h"
#include "disasm.h"

G_DEFINE_QUARK (st-interp-error-quark, st_interp_error)

#define CHECK_INTERVAL 16384

void
st_interp_fail (StVM *vm, int code, const char *fmt, ...)
{
  StInterp *it = st_interp (vm);
  if (it->stop == ST_RUN_ERROR)
    return;
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_autofree char *where = it->method ? st_interp_method_name (vm, it->method) : g_strdup ("?");
  g_clear_error (&it->error);
  it->error = g_error_new (ST_INTERP_ERROR, code, "%s (in %s, pc %" G_GUINT64_FORMAT ", after %" G_GUINT64_FORMAT
                           " bytecodes)", msg, where, it->pc + 1, it->stats.bytecodes);
  it->stop = ST_RUN_ERROR;
  __atomic_store_n (&it->check_at, 0, __ATOMIC_RELAXED);
}

static void
interp_free (StVM *vm)
{
  StInterp *it = st_interp (vm);
  if (it == NULL)
    return;
  g_clear_error (&it->error);
  g_free (it->last_error);
  g_free (it->eval_result);
  if (it->names)
    g_hash_table_unref (it->names);
  if (it->missing)
    g_hash_table_unref (it->missing);
  if (it->output)
    g_string_free (it->output, TRUE);
  if (it->pending_signals)
    g_array_unref (it->pending_signals);
  if (it->events)
    g_ptr_array_unref (it->events);
  st_prims_files_free (it);
  st_io_free (vm);
  if (it->cp_state != NULL)
    it->cp_state_free (vm, it->cp_state);
  st_gc_free (vm);
  g_free (it->snapshot_path);
  g_free (it->prims);
  g_free (it);
  vm->interp = NULL;
  vm->interp_free = NULL;
}

static guint32
class_index_of_special (StVM *vm, StSpecialObject i)
{
  StOop c = st_special (vm, i);
  if (c == vm->nil_obj || !st_interp_valid_obj (vm, c) || st_num_slots (vm, c) < 3)
    return 0;
  /* Only a class: a method dictionary (an object or nil) and a format.
   * Older images keep other objects in the slots later images use for
   * classes (Scratch has a BlockContext where FullBlockClosure goes). */
  StOop mdict = st_fetch (vm, c, ST_CLASS_METHOD_DICT), fmt = st_fetch (vm, c, ST_CLASS_FORMAT);
  if (!st_is_pointer (mdict) || !st_interp_valid_oop (vm, mdict) || !st_is_smallint (fmt))
    return 0;
  return st_objmem_class_index_for (vm, c);
}

gboolean
st_interp_init (StVM *vm, GError **error)
{
  if (vm->interp != NULL)
    return TRUE;
  StInterp *it = g_new0 (StInterp, 1);
  vm->interp = it;
  vm->interp_free = interp_free;
  it->vm = vm;
  it->stop = ST_RUN_CONTINUE;
  it->nil = vm->nil_obj;
  it->true_obj = vm->true_obj;
  it->false_obj = vm->false_obj;
  it->missing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  it->output = g_string_new (NULL);
  it->pending_signals = g_array_new (FALSE, FALSE, sizeof (StOop));
  it->events = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (it->events, NULL);

  const StPersonality *p = &vm->personality;
  it->word64 = p->word_bytes == 8;
  it->v3 = p->family == ST_FAMILY_V3;
  it->block_contexts = !p->closures;
  if (it->word64)
    {
      it->int_min = ST_SMALLINT_MIN;
      it->int_max = ST_SMALLINT_MAX;
    }
  else
    {
      it->int_min = -(G_GINT64_CONSTANT (1) << 30);
      it->int_max = (G_GINT64_CONSTANT (1) << 30) - 1;
    }

  /* Eden first: entering classes in the table never allocates, but
   * everything after this may. */
  if (!st_gc_init (vm, 0, error))
    return FALSE;

  it->ci_context = class_index_of_special (vm, ST_SPLOB_CLASS_METHOD_CONTEXT);
  if (it->block_contexts)
    it->ci_block_context = class_index_of_special (vm, ST_SPLOB_CLASS_BLOCK_CONTEXT);
  it->ci_closure = p->closures ? class_index_of_special (vm, 36) : 0;
  it->ci_full_closure = p->closures ? class_index_of_special (vm, 37) : 0;
  if (p->family == ST_FAMILY_SPUR)
    {
      if (it->ci_closure == 0 && st_class_at_index (vm, ST_CLASS_INDEX_BLOCK_CLOSURE) != 0)
        it->ci_closure = ST_CLASS_INDEX_BLOCK_CLOSURE;
      if (it->ci_full_closure == 0 && st_class_at_index (vm, ST_CLASS_INDEX_FULL_BLOCK_CLOSURE) != 0)
        it->ci_full_closure = ST_CLASS_INDEX_FULL_BLOCK_CLOSURE;
    }
  it->ci_array = class_index_of_special (vm, ST_SPLOB_CLASS_ARRAY);
  it->array_key = (uint64_t) ST_FMT_INDEXABLE << 24 | it->ci_array;
  it->ci_float = class_index_of_special (vm, ST_SPLOB_CLASS_FLOAT);
  it->ci_large_pos = class_index_of_special (vm, ST_SPLOB_CLASS_LARGE_POSITIVE_INTEGER);
  it->ci_large_neg = class_index_of_special (vm, ST_SPLOB_CLASS_LARGE_NEGATIVE_INTEGER);
  it->ci_message = class_index_of_special (vm, ST_SPLOB_CLASS_MESSAGE);
  it->ci_point = class_index_of_special (vm, ST_SPLOB_CLASS_POINT);
  it->ci_byte_string = class_index_of_special (vm, ST_SPLOB_CLASS_BYTESTRING);
  it->ci_byte_array = class_index_of_special (vm, ST_SPLOB_CLASS_BYTE_ARRAY);
  it->ci_character = class_index_of_special (vm, ST_SPLOB_CLASS_CHARACTER);
  it->ci_semaphore = class_index_of_special (vm, ST_SPLOB_CLASS_SEMAPHORE);
  it->ci_process = class_index_of_special (vm, ST_SPLOB_CLASS_PROCESS);
  if (it->ci_context == 0 || it->ci_array == 0 || (it->block_contexts && it->ci_block_context == 0))
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_NO_PROCESS,
                   "the special objects array does not name the Context%s and Array classes",
                   it->block_contexts ? ", BlockContext" : "");
      return FALSE;
    }

  st_prims_install (it);
  if (it->block_contexts)
    {
      st_prims_install_old_file (it);
      st_prims_install_old_misc (it);
    }
  it->start_usecs = g_get_monotonic_time ();
  it->utc_offset_usecs = g_get_real_time () - it->start_usecs;

  StOop proc = st_sched_active_process (it);
  if (proc == 0 || !st_interp_valid_obj (vm, proc) || st_num_slots (vm, proc) <= ST_PROC_CONTEXT)
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_NO_PROCESS,
                   "no active process (special object 3, Processor, has none)");
      return FALSE;
    }
  StOop ctx = st_fetch (vm, proc, ST_PROC_CONTEXT);
  if (!st_interp_load_context (it, ctx))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&it->error),
                                  "the active process 0x%" G_GINT64_MODIFIER "x cannot resume: ", (guint64) proc);
      return FALSE;
    }
  st_store (vm, proc, ST_PROC_CONTEXT, vm->nil_obj);
  it->stop = ST_RUN_CONTINUE;
  return TRUE;
}

void
st_interp_request_trap (StVM *vm)
{
  StInterp *it = st_interp (vm);
  if (it == NULL)
    return;
  __atomic_store_n (&it->trap, 1, __ATOMIC_RELAXED);
  __atomic_store_n (&it->check_at, 0, __ATOMIC_RELAXED);
}

void
st_interp_trace_sends (StVM *vm, uint64_t n, FILE *out)
{
  StInterp *it = st_interp (vm);
  if (it == NULL)
    return;
  it->trace_sends = n;
  it->trace = out;
}

const StInterpStats *
st_interp_stats (StVM *vm)
{
  StInterp *it = st_interp (vm);
  return it ? &it->stats : NULL;
}

int
st_interp_quit_code (StVM *vm)
{
  StInterp *it = st_interp (vm);
  return it ? it->quit_code : 0;
}

StOop
st_interp_active_context (StVM *vm)
{
  StInterp *it = st_interp (vm);
  if (it == NULL || it->ctx == 0)
    return 0;
  st_interp_save_registers (it);
  return it->ctx;
}

const char *const *
st_interp_events (StVM *vm)
{
  StInterp *it = st_interp (vm);
  static const char *const none[] = { NULL };
  return it ? (const char *const *) it->events->pdata : none;
}

void
st_interp_note_event (StInterp *it, const char *fmt, ...)
{
  if (it->events->len > 20)
    return;
  va_list ap;
  va_start (ap, fmt);
  char *line = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_ptr_array_index (it->events, it->events->len - 1) = line;
  g_ptr_array_add (it->events, NULL);
}

const char *
st_interp_output (StVM *vm)
{
  StInterp *it = st_interp (vm);
  return it ? it->output->str : "";
}

void
st_interp_foreach_missing (StVM *vm, void (*fn) (const char *name, uint64_t count, gpointer data), gpointer data)
{
  StInterp *it = st_interp (vm);
  if (it == NULL)
    return;
  g_autoptr (GList) keys = g_hash_table_get_keys (it->missing);
  keys = g_list_sort (keys, (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l; l = l->next)
    fn (l->data, *(uint64_t *) g_hash_table_lookup (it->missing, l->data), data);
}

const char *
st_run_status_name (StRunStatus s)
{
  switch (s)
    {
    case ST_RUN_QUIT: return "quit";
    case ST_RUN_TIME_LIMIT: return "time-limit";
    case ST_RUN_BYTECODE_LIMIT: return "bytecode-limit";
    case ST_RUN_TRAP: return "trap";
    case ST_RUN_IDLE: return "idle";
    case ST_RUN_NO_MEMORY: return "no-memory";
    case ST_RUN_ERROR: return "error";
    case ST_RUN_EVALUATED: return "evaluated";
    default: return "running";
    }
}

char *
st_interp_string (StVM *vm, StOop o)
{
  if (!st_interp_valid_obj (vm, o) || !st_fmt_is_bytes (st_format (vm, o)) || st_fmt_is_method (st_format (vm, o)))
    return NULL;
  uint64_t n = st_byte_length (vm, o);
  if (n > 4096)
    n = 4096;
  return g_strndup ((const char *) st_bytes (vm, o), n);
}

static bool
looks_like_name (StVM *vm, StOop o)
{
  if (!st_interp_valid_obj (vm, o) || !st_fmt_is_bytes (st_format (vm, o)) || st_fmt_is_method (st_format (vm, o)))
    return false;
  uint64_t n = st_byte_length (vm, o);
  const guint8 *b = st_bytes (vm, o);
  if (n == 0 || n > 200 || !g_ascii_isupper (b[0]))
    return false;
  for (uint64_t i = 0; i < n; i++)
    if (!g_ascii_isalnum (b[i]) && b[i] != '_')
      return false;
  return true;
}

char *
st_interp_class_name (StVM *vm, StOop cls)
{
  if (!st_interp_valid_obj (vm, cls) || !st_fmt_is_pointers (st_format (vm, cls)))
    return g_strdup ("?");
  uint64_t n = st_num_slots (vm, cls);
  for (uint64_t i = 3; i < n && i < 12; i++)
    if (looks_like_name (vm, st_fetch (vm, cls, i)))
      return st_interp_string (vm, st_fetch (vm, cls, i));
  /* A metaclass: its thisClass slot is a class whose class is cls. */
  for (uint64_t i = 3; i < n && i < 12; i++)
    {
      StOop c = st_fetch (vm, cls, i);
      if (st_interp_valid_obj (vm, c) && st_class_of (vm, c) == cls)
        {
          uint64_t m = st_num_slots (vm, c);
          for (uint64_t j = 3; j < m && j < 12; j++)
            if (looks_like_name (vm, st_fetch (vm, c, j)))
              {
                g_autofree char *name = st_interp_string (vm, st_fetch (vm, c, j));
                return g_strdup_printf ("%s class", name);
              }
        }
    }
  return g_strdup ("?");
}

static StOop
selector_of (StVM *vm, StOop cls, StOop method)
{
  if (!st_interp_valid_obj (vm, cls) || st_num_slots (vm, cls) < 3)
    return 0;
  StOop dict = st_fetch (vm, cls, ST_CLASS_METHOD_DICT);
  if (!st_interp_valid_obj (vm, dict) || !st_fmt_is_pointers (st_format (vm, dict)) || st_num_slots (vm, dict) < 2)
    return 0;
  StOop values = st_fetch (vm, dict, ST_MDICT_ARRAY);
  if (!st_interp_valid_obj (vm, values))
    return 0;
  uint64_t n = st_num_slots (vm, dict), nv = st_num_slots (vm, values);
  for (uint64_t i = ST_MDICT_KEYS; i < n && i - ST_MDICT_KEYS < nv; i++)
    if (st_fetch (vm, values, i - ST_MDICT_KEYS) == method)
      return st_fetch (vm, dict, i);
  return 0;
}

char *
st_interp_method_name (StVM *vm, StOop method)
{
  StMethodHeader hdr;
  bool block = false;
  for (int depth = 0; depth < 64; depth++)
    {
      if (!st_interp_valid_obj (vm, method) || !st_method_header (vm, method, &hdr, NULL))
        return g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", (guint64) method);
      if (hdr.num_literals == 0)
        break;
      StOop lit = st_method_literal (vm, method, hdr.num_literals - 1);
      if (st_interp_valid_obj (vm, lit) && st_fmt_is_method (st_format (vm, lit)))
        {
          method = lit;
          block = true;
          continue;
        }
      break;
    }
  StOop cls = 0;
  if (vm->interp != NULL)
    cls = st_interp_method_class (st_interp (vm), method);
  StOop sel = cls ? selector_of (vm, cls, method) : 0;
  if (sel == 0)
    {
      /* Older methods name neither their class nor their selector: find
       * the method dictionary that holds them (classes and metaclasses in
       * the class table; bounded). */
      for (guint32 major = 0; vm->hidden_roots_obj != 0 && major < ST_CLASS_TABLE_ROOT_SLOTS && sel == 0; major++)
        {
          StOop page = st_fetch (vm, vm->hidden_roots_obj, major);
          if (page == vm->nil_obj || !st_interp_valid_obj (vm, page))
            continue;
          for (guint32 minor = 0; minor < ST_CLASS_TABLE_PAGE_SIZE && sel == 0; minor++)
            {
              StOop c = st_class_at_index (vm, (major << ST_CLASS_TABLE_PAGE_SHIFT) | minor);
              if (c != 0 && (sel = selector_of (vm, c, method)) != 0)
                cls = c;
            }
        }
    }
  if (sel == 0 && vm->interp != NULL)
    {
      /* Classes without instances may have no class-table entry (V3
       * images): look for the class whose method dictionary holds the
       * method, once per method. */
      StInterp *it = st_interp (vm);
      if (it->names == NULL)
        it->names = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
      const char *known = g_hash_table_lookup (it->names, &method);
      if (known != NULL)
        return g_strdup_printf ("%s%s", block ? "[] in " : "", known);
      StHeapWalk w;
      st_heap_walk_init (&w, vm);
      StOop o;
      while (sel == 0 && (o = st_heap_walk_next (&w)) != 0)
        if (st_class_index (vm, o) >= ST_CLASS_INDEX_FIRST_REAL && st_format (vm, o) == ST_FMT_FIXED
            && st_num_slots (vm, o) >= 3 && (sel = selector_of (vm, o, method)) != 0)
          cls = o;
      g_autofree char *cn = cls && sel ? st_interp_class_name (vm, cls) : g_strdup ("?");
      g_autofree char *sn = sel ? st_interp_string (vm, sel) : NULL;
      StOop *key = g_new (StOop, 1);
      *key = method;
      char *name = g_strdup_printf ("%s>>%s", cn, sn ? sn : "?");
      g_hash_table_insert (it->names, key, name);
      return g_strdup_printf ("%s%s", block ? "[] in " : "", name);
    }
  g_autofree char *cname = cls ? st_interp_class_name (vm, cls) : g_strdup ("?");
  g_autofree char *sname = sel ? st_interp_string (vm, sel) : NULL;
  if (sname == NULL && hdr.num_literals >= 2 && vm->personality.family == ST_FAMILY_SPUR)
    {
      /* Spur and later V3 methods keep their selector (or an
       * AdditionalMethodState holding it) as the penultimate literal. */
      StOop lit = st_method_literal (vm, method, hdr.num_literals - 2);
      sname = st_interp_string (vm, lit);
      if (sname == NULL && st_interp_valid_obj (vm, lit) && st_fmt_is_pointers (st_format (vm, lit))
          && st_num_slots (vm, lit) >= 2)
        sname = st_interp_string (vm, st_fetch (vm, lit, 1));
    }
  return g_strdup_printf ("%s%s>>%s", block ? "[] in " : "", cname, sname ? sname : "?");
}

/* Periodic work at an instruction boundary: stop requests, limits, timers,
 * semaphores signalled from outside. */
static StRunStatus
periodic_check (StInterp *it, uint64_t max_bytecodes, gint64 deadline)
{
  if (it->stop != ST_RUN_CONTINUE)
    return it->stop;
  /* debugger hook (debug.c): a breakpoint before the collection */
  if (it->gc_pending && it->debug != NULL && st_debug_before_gc (it))
    return ST_RUN_TRAP;
  if (it->gc_pending && !st_gc_safe_point (it->vm))
    return it->stop;
  bool every = false;
  if (it->debug != NULL)
    {
      if (st_debug_check (it, &every))
        return ST_RUN_TRAP;
      /* Looking at every boundary for the debugger: the periodic work
       * keeps its own cadence, unless someone asked for it now (check_at
       * set to 0). */
      if (every && (gint64) it->stats.bytecodes < it->debug_regular_at
          && __atomic_load_n (&it->check_at, __ATOMIC_RELAXED) != 0)
        {
          __atomic_store_n (&it->check_at, (gint64) it->stats.bytecodes, __ATOMIC_RELAXED);
          return ST_RUN_CONTINUE;
        }
    }
  if (__atomic_exchange_n (&it->trap, 0, __ATOMIC_RELAXED))
    return ST_RUN_TRAP;
  if (max_bytecodes != 0 && it->stats.bytecodes >= max_bytecodes)
    return ST_RUN_BYTECODE_LIMIT;
  gint64 now = g_get_monotonic_time ();
  if (deadline != 0 && now >= deadline)
    return ST_RUN_TIME_LIMIT;
  st_sched_check_timers (it, st_interp_mono_usecs (it));
  while (it->pending_signals->len > 0 && it->stop == ST_RUN_CONTINUE)
    {
      StOop sem = g_array_index (it->pending_signals, StOop, 0);
      g_array_remove_index (it->pending_signals, 0);
      st_sched_signal (it, sem);
    }
  if (it->stop != ST_RUN_CONTINUE)
    return it->stop;
  uint64_t next = it->stats.bytecodes + CHECK_INTERVAL;
  if (max_bytecodes != 0 && next > max_bytecodes)
    next = max_bytecodes;
  it->debug_regular_at = (gint64) next;
  if (every)
    next = it->stats.bytecodes;  /* the debugger looks at every boundary */
  __atomic_store_n (&it->check_at, (gint64) next, __ATOMIC_RELAXED);
  return ST_RUN_CONTINUE;
}

/* The opcode of the instruction holding byte it->pc - 1 of the active
 * method: the bytecode that failed (the loop has read its opcode and maybe
 * operands; it keeps no copy of the opcode for the fast handlers), found
 * by decoding from the method's first bytecode; that byte itself when the
 * method does not decode that far. */
static guint
failing_opcode (StInterp *it)
{
  StMethodHeader hdr;
  if (it->pc == 0 || it->pc > it->pc_end)
    return 0;
  guint byte = it->bc[it->pc - 1];
  if (!st_method_header (it->vm, it->method, &hdr, NULL))
    return byte;
  for (uint64_t off = hdr.initial_pc; off < it->pc && off < hdr.end_pc;)
    {
      StBcInstr in;
      if (!st_bytecode_decode (hdr.bytecode_set, it->bc, hdr.end_pc, off, &in) || in.length == 0)
        break;
      if (it->pc - 1 < off + in.length)
        return in.opcode;
      off += in.length;
    }
  return byte;
}

/* The rows of bytecodes.h by name: FIRST (V3, PUSH_TEMP) is the row's
 * first opcode, BASE (...) its operand base.  Dispatch below jumps to one
 * label per row, named SET_ID, from that table alone. */
enum {
#define ST_BC_CONST(set, id, first, last, len, op, base, arg, flags) \
  FIRST_##set##_##id = (first), LAST_##set##_##id = (last), BASE_##set##_##id = (base),
  ST_BYTECODES_V3 (ST_BC_CONST)
  ST_BYTECODES_SISTA (ST_BC_CONST)
#undef ST_BC_CONST
};
#define FIRST(set, id) FIRST_##set##_##id
#define LAST(set, id) LAST_##set##_##id
#define BASE(set, id) BASE_##set##_##id
#define SET_BASE_V3 0
#define SET_BASE_SISTA 256
/* the dispatch tables for contexts whose temps are another's (a 6502
 * BlockContext's home's): see dispatch_table */
#if ST_COMPUTED_GOTO && defined (__GNUC__) && !defined (ST_FORCE_SWITCH)
#define SET_BASE_HOME 512
#else
#define SET_BASE_HOME 0
#endif

/* Special selectors (index into SpecialSelectors pairs) that never send. */
enum { SPECIAL_IDENTICAL = 22, SPECIAL_CLASS = 23, SPECIAL_NOT_IDENTICAL = 24 };

static inline StOop
class_or_nil (StInterp *it, StOop x)
{
  StOop c = st_is_pointer (x) && !st_interp_valid_oop (it->vm, x) ? 0 : st_class_of (it->vm, x);
  return c ? c : it->nil;
}

/* Push a new Array of n, taking its elements from the stack when cons;
 * FALSE on a short stack or a full eden (stop set).  Works on the
 * registers in it (the loop writes its own back first). */
static bool
push_new_array (StInterp *it, guint n, bool cons)
{
  StVM *vm = it->vm;
  if (cons && it->sp - (int64_t) n < ST_CTX_TEMP0 - 1)
    return false;
  if (it->sp + 1 - (cons ? n : 0) >= (int64_t) it->ctx_size)
    return false;
  StOop a = st_interp_new_array (it, n);
  if (a == 0)
    {
      __atomic_store_n (&it->check_at, 0, __ATOMIC_RELAXED);
      return false;
    }
  if (cons)
    {
      for (guint i = 0; i < n; i++)
        st_store (vm, a, i, it->slots[it->sp - n + 1 + i]);
      it->sp -= n;
    }
  it->slots[++it->sp] = a;
  return true;
}

/* SmallInteger fast paths of the arithmetic special selectors 8..15 on
 * x op y (0..7 are ADD_SUB_SEND and COMPARE_SEND in st_interp_run).  TRUE
 * with *out set when handled. */
static inline __attribute__ ((always_inline)) bool
arith_special (StInterp *it, guint which, StOop a, StOop b, StOop *out)
{
  if (!st_is_smallint (a) || !st_is_smallint (b))
    return false;
  int64_t x = st_smallint_value (a), y = st_smallint_value (b), r;
  switch (which)
    {
    case 8:
      if (__builtin_mul_overflow (x, y, &r))
        return false;
      break;
    case 9:
      if (y == 0 || x % y != 0)
        return false;
      r = x / y;
      break;
    case 10:
      if (y == 0)
        return false;
      r = x % y;
      if (r != 0 && ((r < 0) != (y < 0)))
        r += y;
      break;
    case 12:
      if (y >= 0)
        {
          if (y > 62 || (x != 0 && (x > (it->int_max >> y) || x < (it->int_min >> y))))
            return false;
          r = (int64_t) ((uint64_t) x << y);
        }
      else
        r = y < -63 ? (x < 0 ? -1 : 0) : x >> -y;
      break;
    case 13:
      if (y == 0)
        return false;
      r = x / y;
      if ((x % y != 0) && ((x < 0) != (y < 0)))
        r -= 1;
      break;
    case 14: r = x & y; break;
    case 15: r = x | y; break;
    default:
      return false;
    }
  if (!st_interp_int_fits (it, r))
    return false;
  *out = st_smallint_oop (r);
  return true;
}

/* at: and at:put: on an Array with a SmallInteger index in range answer
 * without a send, as primitives 60 and 61 would (the classic VMs' fast
 * path); anything else is sent.  top points at the top of the stack (the
 * caller checked the receiver is on it).  TRUE with *out set when handled. */
enum { SPECIAL_AT = 16, SPECIAL_AT_PUT = 17 };

static inline bool
special_at (StInterp *it, guint which, const uint64_t *top, StOop *out)
{
  StVM *vm = it->vm;
  int argc = which == SPECIAL_AT ? 1 : 2;
  StOop rcvr = top[-argc], index = top[1 - argc];
  if (!st_is_smallint (index) || !st_interp_valid_oop (vm, rcvr))
    return false;
  /* An Array: its class index and format in one comparison of the
   * header's low 29 bits, with the immutability bit (23) between them
   * clear for at:put: */
  const uint64_t mask = which == SPECIAL_AT ? 0x1F3FFFFF : 0x1FFFFFFF;
  uint64_t *p = st_ptr (vm, rcvr);
  uint64_t h = p[0];
  if ((h & mask) != it->array_key)
    return false;
  /* the 0-based slot, within the Array (the image readers keep every
   * object's slots inside its segment) */
  uint64_t k = (uint64_t) st_smallint_value (index) - 1;
  if (k >= st_slots_from_header (h, p))
    return false;
  if (which == SPECIAL_AT)
    {
      *out = p[1 + k];
      return true;
    }
  st_store (vm, rcvr, k, top[0]);
  *out = top[0];
  return true;
}
_Static_assert (ST_FMT_INDEXABLE < 32, "a format fits the header's 5 bits");

/* The selector and argument count of special selector `which`; FALSE
 * when the special selectors array lacks it. */
static inline bool
special_selector (StInterp *it, guint which, StOop *sel, int *argc)
{
  StVM *vm = it->vm;
  StOop sels = st_special (vm, ST_SPLOB_SPECIAL_SELECTORS);
  if (!st_interp_valid_obj (vm, sels) || st_num_slots (vm, sels) < 2 * which + 2)
    return false;
  *sel = st_fetch (vm, sels, 2 * which);
  StOop n = st_fetch (vm, sels, 2 * which + 1);
  *argc = st_is_smallint (n) ? (int) st_smallint_value (n) : 0;
  return true;
}

StRunStatus
st_interp_run (StVM *vm, uint64_t max_bytecodes, double max_seconds, GError **error)
{
  StInterp *it = st_interp (vm);
  if (it == NULL || it->ctx == 0)
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_NO_PROCESS, "the interpreter has no active context");
      return ST_RUN_ERROR;
    }
  /* After a quit, or once every process waits with no timer armed (the
   * waiting process is already on its semaphore), there is nothing to run:
   * nothing signals semaphores from outside yet. */
  if (it->stop == ST_RUN_QUIT || it->stop == ST_RUN_IDLE)
    return it->stop;
  if (it->stop == ST_RUN_ERROR)
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_BAD_CONTEXT, "the run stopped on an error before: %s",
                   it->last_error ? it->last_error : "?");
      return ST_RUN_ERROR;
    }
  it->stop = ST_RUN_CONTINUE;
  gint64 deadline = max_seconds > 0 ? g_get_monotonic_time () + (gint64) (max_seconds * 1e6) : 0;
  if (max_bytecodes != 0)
    max_bytecodes += it->stats.bytecodes;
  __atomic_store_n (&it->check_at, 0, __ATOMIC_RELAXED);
  it->debug_regular_at = 0;
  StRunStatus status;
  const StOop nil = it->nil;
  const bool closures = vm->personality.closures;
  const bool word64 = it->word64;
  /* the image's SmallInteger range, tagged: its least value and the
   * distance to its greatest (one unsigned comparison checks both ends) */
  G_GNUC_UNUSED const int64_t tagged_min = (int64_t) st_smallint_oop (it->int_min);
  G_GNUC_UNUSED const uint64_t tagged_span = st_smallint_oop (it->int_max) - (uint64_t) tagged_min;

  /* The registers of the active context, cached in locals of this loop:
   * the compiler keeps them in machine registers, which it cannot do with
   * the fields of it (every store into a context's slots might alias
   * them).  The fields are the truth outside the loop: SYNC_OUT writes
   * the locals back before anything is called that may look at them or
   * change the active context, SYNC_IN reads them all again afterwards.
   * it->ctx, home, method, rcvr_pc_fix and the Sista extensions have no
   * local: whoever changes them writes the field (the fast send and
   * return paths below too). */
  uint64_t *slots, *temps;
  int64_t sp;
  uint64_t ctx_size, temps_size;
  const guint8 *bc;
  uint64_t pc, pc_end;
  guint num_literals;
  StOop receiver;
  uint64_t *rslots = NULL;        /* the receiver's slots when it has pointer slots */
  uint64_t rslots_n;              /* and how many (0: none, or not a valid object) */
  guint set_base;                 /* the dispatch table: SET_BASE_V3 or _SISTA, + SET_BASE_HOME */
  uint64_t count;
  /* The bytecode count of the next check, it->check_at: other threads
   * lower it to ask for a trap, and they are heard at the next send,
   * return, backward jump or call out (a loop always has one of those),
   * or at the latest at the next periodic check; the loop's own callees
   * are heard at once.  Read where needed, not kept in a register. */
#define LIMIT() __atomic_load_n (&it->check_at, __ATOMIC_RELAXED)
  /* a send or return on its way to the shared code below */
  StOop send_sel = 0, ret_value = 0;
  int send_argc = 0;
  bool ret_from_method = false;
  guint b = 0;

#define RCVR_SETUP()                                                    \
  do {                                                                  \
    it->rcvr_pc_fix = !word64 && st_interp_needs_pc_fix (it, receiver); \
    if (st_interp_valid_obj (vm, receiver) && st_fmt_is_pointers (st_format (vm, receiver))) \
      {                                                                 \
        rslots = st_ptr (vm, receiver) + 1;                             \
        rslots_n = st_num_slots (vm, receiver);                         \
      }                                                                 \
    else                                                                \
      {                                                                 \
        rslots = NULL;                                                  \
        rslots_n = 0;                                                   \
      }                                                                 \
  } while (0)
#define SYNC_IN()                                                       \
  do {                                                                  \
    slots = it->slots;                                                  \
    sp = it->sp;                                                        \
    ctx_size = it->ctx_size;                                            \
    temps = it->temps;                                                  \
    temps_size = it->temps_size;                                        \
    bc = it->bc;                                                        \
    pc = it->pc;                                                        \
    pc_end = it->pc_end;                                                \
    num_literals = it->num_literals;                                    \
    receiver = it->receiver;                                            \
    set_base = it->set_base + (temps != slots ? SET_BASE_HOME : 0);     \
    count = it->stats.bytecodes;                                        \
    SET_DTAB ();                                                    \
    rslots_n = 0;                                                       \
  } while (0)
#define SYNC_OUT()                                                      \
  do {                                                                  \
    it->slots = slots;                                                  \
    it->sp = sp;                                                        \
    it->ctx_size = ctx_size;                                            \
    it->temps = temps;                                                  \
    it->temps_size = temps_size;                                        \
    it->bc = bc;                                                        \
    it->pc = pc;                                                        \
    it->pc_end = pc_end;                                                \
    it->num_literals = num_literals;                                    \
    it->receiver = receiver;                                            \
    it->set_base = set_base & SET_BASE_SISTA;                           \
    it->stats.bytecodes = count;                                        \
  } while (0)
  /* Call out of the loop: whatever is called may switch contexts. */
#define CALL(stmt)                                                      \
  do {                                                                  \
    SYNC_OUT ();                                                        \
    stmt;                                                               \
    SYNC_IN ();                                                         \
  } while (0)

/* Make MethodContext c (its slots at s, n of them) running method m
 * (header h) the active context at pc and sp, as st_interp_load_context
 * would; for the fast send and return paths, which checked it all.
 * Unlike st_interp_load_context it leaves the Sista extensions alone:
 * they are 0 here unless a prefix stood right before a send or return,
 * which the compilers never emit (and Cog does not clear them either). */
#define ENTER_CONTEXT(c, s, n, m, h, at_pc, at_sp)                      \
  do {                                                                  \
    it->ctx = it->home = (c);                                           \
    it->method = (m);                                                   \
    slots = temps = (s);                                                \
    ctx_size = temps_size = (n);                                        \
    sp = (at_sp);                                                       \
    bc = st_bytes (vm, (m));                                            \
    pc = (at_pc);                                                       \
    pc_end = (h)->end_pc;                                               \
    num_literals = (h)->num_literals;                                   \
    receiver = (s)[ST_CTX_RECEIVER];                                    \
    set_base = (h)->bytecode_set == ST_BYTECODE_SET_SISTA_V1 ? 256 : 0; \
    rslots_n = 0;                                                       \
  } while (0)
#define BYTE()                                                          \
  ({                                                                    \
    if (ST_UNLIKELY (pc >= pc_end))                                     \
      goto bad_pc;                                                      \
    bc[pc++];                                                           \
  })
#define PUSH(v)                                                         \
  do {                                                                  \
    StOop v_ = (v);                                                     \
    if (ST_UNLIKELY (++sp >= (int64_t) ctx_size))                       \
      goto stack_overflow_pushed;                                       \
    slots[sp] = v_;                                                     \
  } while (0)
#define POP()                                                           \
  ({                                                                    \
    if (ST_UNLIKELY (sp < ST_CTX_TEMP0))                                \
      goto stack_underflow;                                             \
    slots[sp--];                                                        \
  })
#define TOP()                                                           \
  (*({                                                                  \
    if (ST_UNLIKELY (sp < ST_CTX_TEMP0))                                \
      goto stack_underflow;                                             \
    &slots[sp];                                                         \
  }))
#define LIT(i)                                                          \
  ({                                                                    \
    guint i_ = (i);                                                     \
    if (ST_UNLIKELY (i_ >= num_literals))                               \
      goto bad_literal;                                                 \
    ((const uint64_t *) bc)[1 + i_]; /* the literals follow the header */ \
  })
/* The receiver's slots are looked up when first needed (the fast send
 * and return paths set rslots_n to 0). */
#define RCVR_SLOT(i)                                                    \
  (*({                                                                  \
    guint64 i_ = (i);                                                   \
    if (ST_UNLIKELY (i_ >= rslots_n))                                   \
      {                                                                 \
        RCVR_SETUP ();                                                  \
        if (i_ >= rslots_n)                                             \
          goto bad_inst_var;                                            \
      }                                                                 \
    &rslots[i_];                                                        \
  }))
/* Stores into the receiver, a literal variable or a temp vector go
 * through the write barrier (the target may be old). */
#define BARRIER(o) st_gc_remember_if_old (vm, (o))
/* A 32-bit image sees a context's pc and a closure's startpc in its own
 * terms, the heap keeps them in 64-bit layout (method.h): receivers that
 * are contexts or closures translate (rcvr_pc_fix, set by RCVR_SETUP when
 * the receiver's first slot is looked at: read it after RCVR_SLOT). */
#define RCVR_GET(i)                                                     \
  ({                                                                    \
    guint64 gi_ = (i);                                                  \
    StOop gv_ = RCVR_SLOT (gi_);                                        \
    if (ST_UNLIKELY (it->rcvr_pc_fix))                                  \
      gv_ = st_interp_pc_to_image (it, receiver, gi_, gv_);             \
    gv_;                                                                \
  })
#define RCVR_STORE(i, v)                                                \
  do {                                                                  \
    guint64 si_ = (i);                                                  \
    StOop sv_ = (v);                                                    \
    uint64_t *slot_ = &RCVR_SLOT (si_);                                 \
    if (ST_UNLIKELY (it->rcvr_pc_fix))                                  \
      sv_ = st_interp_pc_to_heap (it, receiver, si_, sv_);              \
    BARRIER (receiver);                                                 \
    *slot_ = sv_;                                                       \
  } while (0)
/* Temps below ST_MIN_FRAME need no check: every active context's home
 * has that many (st_interp_context_slots, st_interp_load_context, the
 * fast return path).  With a constant i the check folds away; else it is
 * a comparison with a constant first. */
#define TEMP(i)                                                         \
  (*({                                                                  \
    guint64 i_ = (guint64) (i) + ST_CTX_TEMP0;                          \
    if (ST_UNLIKELY (i_ >= ST_CTX_TEMP0 + ST_MIN_FRAME && i_ >= temps_size)) \
      goto bad_temp;                                                    \
    &temps[i_];                                                         \
  }))
#define LIT_VAR(i)                                                      \
  (*({                                                                  \
    StOop a_ = LIT (i);                                                 \
    if (ST_UNLIKELY (!st_interp_valid_obj (vm, a_) || st_num_slots (vm, a_) < 2 \
                     || !st_fmt_is_pointers (st_format (vm, a_))))      \
      goto bad_literal;                                                 \
    &st_ptr (vm, a_)[1 + ST_ASSOC_VALUE];                               \
  }))
#define REMOTE_TEMP(idx, vec_temp)                                      \
  (*({                                                                  \
    StOop vec_ = TEMP (vec_temp);                                       \
    guint64 j_ = (idx);                                                 \
    if (ST_UNLIKELY (!st_interp_valid_obj (vm, vec_) || !st_fmt_is_pointers (st_format (vm, vec_)) \
                     || j_ >= st_num_slots (vm, vec_)))                 \
      goto bad_temp;                                                    \
    &st_ptr (vm, vec_)[1 + j_];                                         \
  }))
#define LIT_VAR_W(i) (*({ StOop la_ = LIT (i); BARRIER (la_); &LIT_VAR (i); }))
#define REMOTE_TEMP_W(idx, vec_temp) (*({ StOop rv_ = TEMP (vec_temp); BARRIER (rv_); &REMOTE_TEMP (idx, vec_temp); }))
#define JUMP(off)                                                       \
  do {                                                                  \
    int64_t t_ = (int64_t) pc + (off);                                  \
    if (ST_UNLIKELY (t_ < 0 || (uint64_t) t_ >= pc_end))                \
      goto bad_pc;                                                      \
    bool back_ = (uint64_t) t_ < pc;                                    \
    pc = (uint64_t) t_;                                                 \
    if (back_)                                                          \
      BACK_JUMP_CHECK ();                                               \
  } while (0)
/* Activate method m_ (header h_, a context of n_ slots, bytes_ bytes at
 * c_, which the caller found room for below eden_fast_end) for receiver
 * r_ and a_ arguments on the stack, and go on in it: the fast send paths
 * (do_send, TRY_SEND). */
#define ACTIVATE(c_, bytes_, n_, h_, m_, r_, a_)                        \
  do {                                                                  \
    it->eden_next = (c_) + (bytes_);                                    \
    it->stats.sends++;                                                  \
    it->stats.bytes_allocated += (bytes_);                              \
    it->stats.contexts_allocated++;                                     \
    it->prim_fail_code = 0;                                             \
    uint64_t *p_ = st_ptr (vm, (c_));                                   \
    *p_++ = st_hdr_make ((guint) (n_), 0, ST_FMT_FIXED_INDEXABLE, it->ci_context); \
    const uint64_t *args_ = &slots[sp - (a_) + 1];                      \
    p_[ST_CTX_SENDER] = it->ctx;                                        \
    p_[ST_CTX_PC] = st_smallint_oop ((int64_t) (h_)->initial_pc + 1);   \
    p_[ST_CTX_STACKP] = st_smallint_oop ((h_)->num_temps);              \
    p_[ST_CTX_METHOD] = (m_);                                           \
    p_[ST_CTX_CLOSURE] = nil;                                           \
    p_[ST_CTX_RECEIVER] = (r_);                                         \
    /* the arguments and nil temps; the stack above holds what clean    \
     * eden held (nil, or valid oops a context taken back left) */      \
    for (int i_ = 0; i_ < (a_); i_++)                                   \
      p_[ST_CTX_TEMP0 + i_] = args_[i_];                                \
    for (uint64_t i_ = ST_CTX_TEMP0 + (a_); i_ < ST_CTX_TEMP0 + (h_)->num_temps; i_++) \
      p_[i_] = nil;                                                     \
    /* the sender's registers, as st_interp_save_registers writes them */ \
    sp -= (a_) + 1;                                                     \
    slots[ST_CTX_PC] = st_smallint_oop ((int64_t) pc + 1);              \
    slots[ST_CTX_STACKP] = st_smallint_oop (sp - (ST_CTX_TEMP0 - 1));   \
    ENTER_CONTEXT ((c_), p_, (n_), (m_), (h_), (h_)->initial_pc, ST_CTX_TEMP0 + (h_)->num_temps - 1); \
    SET_DTAB ();                                                    \
    NEXT;                                                               \
  } while (0)
/* The method cache entry e for a send of sel with argc arguments to
 * rcvr (read off the stack), or goto miss: a short stack, tracing, a
 * receiver outside the heap, no hit.  (Filled entries have a class index
 * and a method.) */
#define PROBE_CACHE(sel, argc, rcvr, e, miss)                           \
  do {                                                                  \
    if (ST_UNLIKELY ((argc) < 0 || sp - (argc) < ST_CTX_TEMP0 || it->trace_sends != 0)) \
      goto miss;                                                        \
    rcvr = slots[sp - (argc)];                                          \
    if (ST_UNLIKELY (st_is_pointer (rcvr) && !st_interp_valid_oop (vm, rcvr))) \
      goto miss;                                                        \
    guint32 pc_ci_ = st_interp_class_index_of (it, rcvr);               \
    e = &it->cache[st_interp_cache_slot ((sel), pc_ci_)];               \
    if (ST_UNLIKELY (e->selector != (sel) || e->class_index != pc_ci_ || pc_ci_ == 0)) \
      goto miss;                                                        \
  } while (0)
/* A send of a literal selector with a constant argument count (the send
 * rows): the common case, a cache hit on a method activated here, is done
 * in place, so that each row has its own copy (the argument count folds
 * in, and the jump to the callee's first bytecode is the row's own);
 * anything else goes to do_send. */
#define TRY_SEND(sel, argc)                                             \
  do {                                                                  \
    StOop ts_sel_ = send_sel = (sel);                                   \
    const int ts_argc_ = send_argc = (argc);                            \
    StOop ts_rcvr_;                                                     \
    StCacheEntry *ts_e_;                                                \
    PROBE_CACHE (ts_sel_, ts_argc_, ts_rcvr_, ts_e_, do_send);          \
    uint64_t ts_n_ = ts_e_->ctx_slots;                                  \
    if (ST_UNLIKELY (ts_n_ == 0 || ts_e_->hdr.num_args != (guint) ts_argc_)) \
      goto do_send;                                                     \
    uint64_t ts_bytes_ = (ts_n_ + 1) * 8;                               \
    StOop ts_ctx_ = it->eden_next;                                      \
    if (ST_UNLIKELY (ts_ctx_ + ts_bytes_ > it->eden_fast_end))          \
      goto do_send;                                                     \
    ACTIVATE (ts_ctx_, ts_bytes_, ts_n_, &ts_e_->hdr, ts_e_->method, ts_rcvr_, ts_argc_); \
  } while (0)
/* Sends go to the shared code at do_send, returns to do_return. */
#define SEND(sel, n)                                                    \
  do {                                                                  \
    send_sel = (sel);                                                   \
    send_argc = (n);                                                    \
    goto do_send;                                                       \
  } while (0)
#define SEND_SUPER(sel, n, directed) CALL (st_interp_send (it, (sel), (n), true, (directed)))
#define RETURN(v, from_method)                                          \
  do {                                                                  \
    ret_value = (v);                                                    \
    ret_from_method = (from_method);                                    \
    goto do_return;                                                     \
  } while (0)
#define COND_JUMP(when, off)                                            \
  do {                                                                  \
    StOop c_ = POP ();                                                  \
    int64_t o_ = (off);                                                 \
    if (c_ == ((when) ? it->true_obj : it->false_obj))                  \
      JUMP (o_);                                                        \
    else if (c_ != ((when) ? it->false_obj : it->true_obj))             \
      {                                                                 \
        sp++;                                                           \
        SEND (st_special (vm, ST_SPLOB_SELECTOR_MUST_BE_BOOLEAN), 0);   \
      }                                                                 \
  } while (0)
/* A forward jump by off (>= 0). */
#define JUMP_FWD(off)                                                   \
  do {                                                                  \
    uint64_t t_ = pc + (off);                                           \
    if (ST_UNLIKELY (t_ >= pc_end))                                     \
      goto bad_pc;                                                      \
    pc = t_;                                                            \
  } while (0)
/* A SmallInteger comparison followed by a conditional jump (nearly
 * always) jumps at once instead of pushing the Boolean for the jump to
 * pop, as the classic VMs do.  Both bytecodes count; never across a
 * check boundary, so a debugger stepping one bytecode at a time sees
 * both.  c is the comparison's outcome, the two operands still on the
 * stack.  (The conditional jumps it knows all jump forward.) */
/* The conditional jump (len bytes) after a comparison, taken with it:
 * both bytecodes count, the two operands go, and the jump jumps by off
 * when taken.  Ends the bytecode. */
#define FUSED_TAKE(len, taken, off)                                     \
  do {                                                                  \
    count++;                                                            \
    pc += (len);                                                        \
    sp -= 2;                                                            \
    if (taken)                                                          \
      JUMP_FWD (off);                                                   \
    NEXT;                                                               \
  } while (0)
#define FUSED_JUMP_V3(c)                                                \
  do {                                                                  \
    if (FUSE_OK () && pc + 1 < pc_end)                                  \
      {                                                                 \
        guint nb_ = bc[pc];                                             \
        bool c_ = (c);                                                  \
        if (nb_ - FIRST (V3, SHORT_JUMP_FALSE) < 8)                     \
          FUSED_TAKE (1, !c_, nb_ - FIRST (V3, SHORT_JUMP_FALSE) + BASE (V3, SHORT_JUMP_FALSE)); \
        if (nb_ - FIRST (V3, LONG_JUMP_TRUE) < 8)                       \
          {                                                             \
            /* both rows: 4 opcodes each, the offset's high bits */    \
            uint64_t off_ = (uint64_t) (nb_ & 3) * 256 + bc[pc + 1];    \
            FUSED_TAKE (2, c_ == (nb_ < FIRST (V3, LONG_JUMP_FALSE)), off_); \
          }                                                             \
      }                                                                 \
  } while (0)
#define FUSED_JUMP_SISTA(c)                                             \
  do {                                                                  \
    if (FUSE_OK () && pc < pc_end)                                      \
      {                                                                 \
        guint nb_ = bc[pc];                                             \
        bool c_ = (c);                                                  \
        /* both rows: 8 opcodes each, offsets 1..8 */                  \
        if (nb_ - FIRST (SISTA, SHORT_JUMP_TRUE) < 16)                  \
          FUSED_TAKE (1, c_ == (nb_ < FIRST (SISTA, SHORT_JUMP_FALSE)), (nb_ & 7) + 1); \
      }                                                                 \
  } while (0)
_Static_assert (FIRST (V3, LONG_JUMP) % 8 == 0, "long_jump_back reads the offset's high bits from the opcode's low bits");
_Static_assert (LAST (V3, PUSH_LIT_CONST) - FIRST (V3, PUSH_LIT_CONST) >= 7
                && LAST (SISTA, PUSH_LIT_CONST) - FIRST (SISTA, PUSH_LIT_CONST) >= 7,
                "push_lit_0..7 label both sets' push literal rows");
_Static_assert (LAST (V3, PUSH_TEMP) - FIRST (V3, PUSH_TEMP) >= 11 && LAST (SISTA, PUSH_TEMP) - FIRST (SISTA, PUSH_TEMP) >= 11
                && LAST (V3, POP_STORE_TEMP) - FIRST (V3, POP_STORE_TEMP) >= 7
                && LAST (SISTA, POP_STORE_TEMP) - FIRST (SISTA, POP_STORE_TEMP) >= 7,
                "v3_/sista_push_temp_0..11 and pop_store_temp_0..7 label both sets' rows");
_Static_assert (LAST (V3, SHORT_JUMP_FALSE) - FIRST (V3, SHORT_JUMP_FALSE) == 7
                && BASE (V3, SHORT_JUMP_FALSE) == 1
                && FIRST (V3, LONG_JUMP_TRUE) % 4 == 0 && FIRST (V3, LONG_JUMP_FALSE) == FIRST (V3, LONG_JUMP_TRUE) + 4
                && LAST (V3, LONG_JUMP_FALSE) == FIRST (V3, LONG_JUMP_TRUE) + 7
                && FIRST (SISTA, SHORT_JUMP_TRUE) % 8 == 0 && FIRST (SISTA, SHORT_JUMP_FALSE) == FIRST (SISTA, SHORT_JUMP_TRUE) + 8
                && LAST (SISTA, SHORT_JUMP_FALSE) == FIRST (SISTA, SHORT_JUMP_TRUE) + 15
                && BASE (SISTA, SHORT_JUMP_TRUE) == 1 && BASE (SISTA, SHORT_JUMP_FALSE) == 1,
                "the fused jumps find the rows with one comparison and decode offsets from the opcodes' low bits");
/* The special selectors that are not answered in place are sent. */
#define SEND_SPECIAL(which)                                             \
  do {                                                                  \
    StOop ss_;                                                          \
    int sn_;                                                            \
    if (ST_UNLIKELY (!special_selector (it, (which), &ss_, &sn_)))      \
      {                                                                 \
        b = (which);                                                    \
        goto bad_special;                                               \
      }                                                                 \
    SEND (ss_, sn_);                                                    \
  } while (0)

/* Special selectors 0-15 (arithmetic, comparisons) on SmallIntegers in
 * place, else sent.  Ends the bytecode. */
#define ARITH_SEND(w, set)                                              \
  do {                                                                  \
    guint w_ = (w);                                                     \
    StOop a_;                                                           \
    switch (w_)                                                         \
      {                                                                 \
      case 0: ADD_SUB_SEND (0, __builtin_add_overflow, set);            \
      case 1: ADD_SUB_SEND (1, __builtin_sub_overflow, set);            \
      case 2: COMPARE_SEND (2, <, set);                                 \
      case 3: COMPARE_SEND (3, >, set);                                 \
      case 4: COMPARE_SEND (4, <=, set);                                \
      case 5: COMPARE_SEND (5, >=, set);                                \
      case 6: COMPARE_SEND (6, ==, set);                                \
      case 7: COMPARE_SEND (7, !=, set);                                \
      default: break;                                                   \
      }                                                                 \
    if (ST_UNLIKELY (sp < ST_CTX_TEMP0 + 1))                            \
      goto stack_underflow;                                             \
    if (ST_LIKELY (arith_special (it, w_, slots[sp - 1], slots[sp], &a_))) \
      {                                                                 \
        slots[--sp] = a_;                                               \
        NEXT;                                                           \
      }                                                                 \
    SEND_SPECIAL (w_);                                                  \
  } while (0)
/* at: / at:put: on an Array in place, else sent.  Ends the bytecode. */
#define AT_SEND(w, pop_op)                                              \
  do {                                                                  \
    guint w_ = (w);                                                     \
    int argc_ = w_ == SPECIAL_AT ? 1 : 2;                               \
    StOop r_;                                                           \
    if (sp - argc_ >= ST_CTX_TEMP0 && special_at (it, w_, &slots[sp], &r_)) \
      {                                                                 \
        sp -= argc_;                                                    \
        /* at:put: as a statement: its pop too (both count, as a fused \
         * comparison and jump do) */                                  \
        if ((pop_op) != 0 && FUSE_OK () && pc < pc_end && bc[pc] == (pop_op)) \
          {                                                             \
            count++;                                                    \
            pc++;                                                       \
            sp--;                                                       \
            NEXT;                                                       \
          }                                                             \
        slots[sp] = r_;                                                 \
        NEXT;                                                           \
      }                                                                 \
    SEND_SPECIAL (w_);                                                  \
  } while (0)

/* Special selectors 2-7 (x op y) on two SmallIntegers: tagged
 * SmallIntegers compare as their values do.  Ends the bytecode. */
#define COMPARE_SEND(w, op, set)                                        \
  do {                                                                  \
    if (ST_UNLIKELY (sp < ST_CTX_TEMP0 + 1))                            \
      goto stack_underflow;                                             \
    StOop x_ = slots[sp - 1], y_ = slots[sp];                           \
    if (ST_UNLIKELY (!st_both_smallint (x_, y_)))                       \
      SEND_SPECIAL (w);                                                 \
    bool r_ = (int64_t) x_ op (int64_t) y_;                             \
    FUSED_JUMP_##set (r_);                                              \
    slots[--sp] = r_ ? it->true_obj : it->false_obj;                    \
    NEXT;                                                               \
  } while (0)
/* Special selectors 0 and 1 (+, -) on two SmallIntegers, on their
 * tagged forms: x + (y - 1) and x - (y - 1) are tagged too, a 64-bit
 * overflow is one of the heap's 61-bit range, and the image's own
 * range is checked on the tagged result.  Ends the bytecode. */
#define ADD_SUB_SEND(w, builtin, set)                                   \
  do {                                                                  \
    if (ST_UNLIKELY (sp < ST_CTX_TEMP0 + 1))                            \
      goto stack_underflow;                                             \
    StOop x_ = slots[sp - 1], y_ = slots[sp];                           \
    int64_t t_;                                                         \
    if (ST_UNLIKELY (!st_both_smallint (x_, y_)                         \
                     || builtin ((int64_t) x_, (int64_t) y_ - 1, &t_)   \
                     || (uint64_t) t_ - (uint64_t) tagged_min > tagged_span)) \
      SEND_SPECIAL (w);                                                 \
    if ((w) == 0)                                                       \
      ADD_SUB_RESULT (set, (StOop) t_);                                 \
    slots[--sp] = (StOop) t_;                                           \
    NEXT;                                                               \
  } while (0)
/* An arithmetic result followed by a pop into temp 0-7 (i := i + 1)
 * goes into the temp at once: both bytecodes count, never across a
 * limit, as with a fused comparison and jump.  temps (not slots): in a
 * 6502 BlockContext they are the home's.  Else the result is pushed and
 * the opcode already read is dispatched (NEXT's work, shared). */
#define PUSH_OR_STORE(set, v)                                           \
  do {                                                                  \
    PC_CHECK ();                                                        \
    guint nb_ = bc[pc];                                                 \
    guint fs_ = nb_ - FIRST (set, POP_STORE_TEMP);                      \
    if (fs_ < 8 && FUSE_OK ())                                          \
      {                                                                 \
        count++;                                                        \
        pc++;                                                           \
        sp -= 2;                                                        \
        temps[ST_CTX_TEMP0 + fs_] = (v);                                \
        NEXT;                                                           \
      }                                                                 \
    slots[--sp] = (v);                                                  \
    NEXT_READ (nb_);                                                    \
  } while (0)

#if ST_COMPUTED_GOTO && defined (__GNUC__) && !defined (ST_FORCE_SWITCH)
  /* Both sets cover all 256 opcodes (unused ones have rows too), twice:
   * at 0 and 256 for a context whose temps are its own slots (every
   * MethodContext, and the block contexts of closures), at 512 and 768
   * (SET_BASE_HOME) for a 6502 BlockContext, whose temps are its home's.
   * The first pair's labels for the pushes and stores of temps 0-11 read
   * the context's own slots; the second pair sends those opcodes to the
   * rows' code, which reads the home's (temps). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
  static const void *const dispatch_table[2 * SET_BASE_HOME] = {
#define ST_BC_LABEL(set, id, first, last, len, op, base, arg, flags) \
    [SET_BASE_##set + (first) ... SET_BASE_##set + (last)] = &&set##_##id, \
    [SET_BASE_HOME + SET_BASE_##set + (first) ... SET_BASE_HOME + SET_BASE_##set + (last)] = &&set##_##id,
    ST_BYTECODES_V3 (ST_BC_LABEL)
    ST_BYTECODES_SISTA (ST_BC_LABEL)
#undef ST_BC_LABEL
    /* Opcodes with labels of their own, overriding the rows' entries in
     * both pairs of tables (h is 0 or SET_BASE_HOME), with the operand a
     * constant.  + and - and the comparisons, one per set (the store or
     * jump they fuse with differs): */
#define COMPARE_LABELS(h, w)                                            \
    [(h) + SET_BASE_V3 + FIRST (V3, SEND_ARITH) + (w)] = &&v3_special_##w, \
    [(h) + SET_BASE_SISTA + FIRST (SISTA, SEND_SPECIAL) + (w)] = &&sista_special_##w,
#define BOTH_SETS(h, row, i, name)                                      \
    [(h) + SET_BASE_V3 + FIRST (V3, row) + (i)] = &&name##_##i,         \
    [(h) + SET_BASE_SISTA + FIRST (SISTA, row) + (i)] = &&name##_##i,
#define FIRST_8(h, row, name)                                           \
    BOTH_SETS (h, row, 0, name) BOTH_SETS (h, row, 1, name) BOTH_SETS (h, row, 2, name) BOTH_SETS (h, row, 3, name) \
    BOTH_SETS (h, row, 4, name) BOTH_SETS (h, row, 5, name) BOTH_SETS (h, row, 6, name) BOTH_SETS (h, row, 7, name)
#define LABELS(h)                                                       \
    COMPARE_LABELS (h, 0) COMPARE_LABELS (h, 1)                         \
    COMPARE_LABELS (h, 2) COMPARE_LABELS (h, 3) COMPARE_LABELS (h, 4) COMPARE_LABELS (h, 5) \
    COMPARE_LABELS (h, 6) COMPARE_LABELS (h, 7)                         \
    /* the pushes of the first eight literals (the rows are long enough: \
     * asserted below) */                                               \
    FIRST_8 (h, PUSH_LIT_CONST, push_lit)                               \
    /* the long jumps backward (loops) */                               \
    [(h) + SET_BASE_V3 + FIRST (V3, LONG_JUMP) + 0] = &&long_jump_back_0, \
    [(h) + SET_BASE_V3 + FIRST (V3, LONG_JUMP) + 1] = &&long_jump_back_1, \
    [(h) + SET_BASE_V3 + FIRST (V3, LONG_JUMP) + 2] = &&long_jump_back_2, \
    [(h) + SET_BASE_V3 + FIRST (V3, LONG_JUMP) + 3] = &&long_jump_back_3, \
    /* the pushes of the small integers -1..2 */                        \
    [(h) + SET_BASE_V3 + FIRST (V3, PUSH_SMALL_INT) + 0] = &&push_int_m1, \
    [(h) + SET_BASE_V3 + FIRST (V3, PUSH_SMALL_INT) + 1] = &&push_int_0, \
    [(h) + SET_BASE_V3 + FIRST (V3, PUSH_SMALL_INT) + 2] = &&push_int_1, \
    [(h) + SET_BASE_V3 + FIRST (V3, PUSH_SMALL_INT) + 3] = &&push_int_2, \
    [(h) + SET_BASE_SISTA + FIRST (SISTA, PUSH_SMALL_INT) + 0] = &&push_int_0, \
    [(h) + SET_BASE_SISTA + FIRST (SISTA, PUSH_SMALL_INT) + 1] = &&push_int_1, \
    /* at: and at:put: */                                               \
    [(h) + SET_BASE_V3 + FIRST (V3, SEND_SPECIAL) + SPECIAL_AT - BASE (V3, SEND_SPECIAL)] = &&special_at_label, \
    [(h) + SET_BASE_SISTA + FIRST (SISTA, SEND_SPECIAL) + SPECIAL_AT] = &&special_at_label, \
    [(h) + SET_BASE_V3 + FIRST (V3, SEND_SPECIAL) + SPECIAL_AT_PUT - BASE (V3, SEND_SPECIAL)] = &&v3_special_at_put_label, \
    [(h) + SET_BASE_SISTA + FIRST (SISTA, SEND_SPECIAL) + SPECIAL_AT_PUT] = &&sista_special_at_put_label,
    LABELS (0)
    LABELS (SET_BASE_HOME)
    /* and, only where the temps are the context's own slots, the pushes
     * of temps 0-11 and the pop-and-stores into temps 0-7 */
#define PUSH_TEMP_LABELS(i)                                             \
    [SET_BASE_V3 + FIRST (V3, PUSH_TEMP) + (i)] = &&v3_push_temp_##i,   \
    [SET_BASE_SISTA + FIRST (SISTA, PUSH_TEMP) + (i)] = &&sista_push_temp_##i,
    PUSH_TEMP_LABELS (0) PUSH_TEMP_LABELS (1) PUSH_TEMP_LABELS (2) PUSH_TEMP_LABELS (3)
    PUSH_TEMP_LABELS (4) PUSH_TEMP_LABELS (5) PUSH_TEMP_LABELS (6) PUSH_TEMP_LABELS (7)
    PUSH_TEMP_LABELS (8) PUSH_TEMP_LABELS (9) PUSH_TEMP_LABELS (10) PUSH_TEMP_LABELS (11)
#undef PUSH_TEMP_LABELS
    FIRST_8 (0, POP_STORE_TEMP, pop_store_temp)
#undef LABELS
#undef FIRST_8
#undef BOTH_SETS
#undef COMPARE_LABELS
  };
#pragma GCC diagnostic pop
#define DISPATCH(x) goto *dispatch_table[(x)]
  /* The bytecode count is compared with the limit only when the limit
   * could be reached: straight-line code runs at most pc_end - pc
   * bytecodes, so until the next backward jump, send, return or call out
   * (each of which reads the limit again and chooses the table) the
   * count stays below the limit when count + pc_end - pc is.  Otherwise
   * every opcode goes through checked_dispatch first. */
  static const void *const checked_table[256] = { [0 ... 255] = &&checked_dispatch };
  const void *const *dtab = checked_table;
#define SET_DTAB()                                                      \
  (dtab = (gint64) (count + (pc_end - pc)) < LIMIT () ? dispatch_table + set_base : checked_table)
  /* May a comparison take the jump after it at once?  Always on the fast
   * table (the limit is beyond this straight-line code); else only when
   * the limit is not reached by the jump. */
#define FUSE_OK() (dtab != checked_table || (gint64) count + 1 < LIMIT ())
  /* After a backward jump the straight-line code ahead may reach the
   * limit: on the fast table, leave it then.  (Back on it at the next
   * send, return or call out; a loop without those is checked in
   * periodic_check, whose call out chooses the table again.) */
#define BACK_JUMP_CHECK()                                               \
  do {                                                                  \
    if (ST_UNLIKELY ((gint64) (count + (pc_end - pc)) >= LIMIT ()))     \
      dtab = checked_table;                                             \
  } while (0)
  /* Each bytecode ends by dispatching the next itself (one indirect jump
   * per bytecode kind predicts far better than one shared jump). */
#if defined (__x86_64__)
  /* The check that pc is inside the method as an asm goto: gcc then
   * keeps the dispatch on the fall-through path instead of jumping to a
   * shared copy of it (one taken branch per bytecode less). */
#define PC_CHECK() asm goto ("cmp %1, %0\n\tjae %l[bad_pc]" : : "r" (pc), "r" (pc_end) : "cc" : bad_pc)
#define NEXT                                                            \
  do {                                                                  \
    count++;                                                            \
    PC_CHECK ();                                                        \
    goto *dtab[bc[pc++]];                                               \
  } while (0)
/* NEXT's work for opcode nb, already read at pc (a handler that peeked
 * at it and does not take it) */
#define NEXT_READ(nb)                                                   \
  do {                                                                  \
    count++;                                                            \
    pc++;                                                               \
    goto *dtab[(nb)];                                                   \
  } while (0)
/* NEXT where pc is known to be inside the method */
#define NEXT_IN_METHOD                                                  \
  do {                                                                  \
    count++;                                                            \
    goto *dtab[bc[pc++]];                                               \
  } while (0)
#else
#define PC_CHECK()                                                      \
  do {                                                                  \
    if (ST_UNLIKELY (pc >= pc_end))                                     \
      goto bad_pc;                                                      \
  } while (0)
#define NEXT                                                            \
  do {                                                                  \
    count++;                                                            \
    goto *dtab[BYTE ()];                                                \
  } while (0)
#define NEXT_IN_METHOD NEXT
#define NEXT_READ(nb)                                                   \
  do {                                                                  \
    count++;                                                            \
    pc++;                                                               \
    goto *dtab[(nb)];                                                   \
  } while (0)
#endif
#define ADD_SUB_RESULT(set, v) PUSH_OR_STORE (set, v)
#else
#define SET_DTAB() ((void) 0)
#define FUSE_OK() ((gint64) count + 1 < LIMIT ())
#define BACK_JUMP_CHECK() ((void) 0)
#define ST_BC_CASE(set, id, first, last, len, op, base, arg, flags) \
  case SET_BASE_##set + (first) ... SET_BASE_##set + (last): goto set##_##id;
#define DISPATCH(x)                                                     \
  switch (x)                                                            \
    {                                                                   \
      ST_BYTECODES_V3 (ST_BC_CASE)                                      \
      ST_BYTECODES_SISTA (ST_BC_CASE)                                   \
    default:                                                            \
      goto bad_bytecode;                                                \
    }
#define NEXT goto loop_top
#define NEXT_IN_METHOD NEXT
#define ADD_SUB_RESULT(set, v) ((void) 0)     /* no fused store: ADD_SUB_SEND pushes v */
#endif

  SYNC_IN ();
  for (;;)
    {
    loop_top:
      SET_DTAB ();
      if (ST_UNLIKELY ((gint64) count >= LIMIT ()))
        {
          SYNC_OUT ();
          status = periodic_check (it, max_bytecodes, deadline);
          SYNC_IN ();
          if (status != ST_RUN_CONTINUE)
            break;
        }
      count++;
      b = BYTE ();
      DISPATCH (set_base + b);

      /* ---------------- V3 / V3PlusClosures ---------------- */
    V3_PUSH_RCVR_VAR:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      PUSH (RCVR_GET (b - FIRST (V3, PUSH_RCVR_VAR)));
      NEXT;
    V3_PUSH_TEMP:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      PUSH (TEMP (b - FIRST (V3, PUSH_TEMP)));
      NEXT;
    V3_PUSH_LIT_CONST:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      PUSH (LIT (b - FIRST (V3, PUSH_LIT_CONST)));
      NEXT;
    V3_PUSH_LIT_VAR:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      PUSH (LIT_VAR (b - FIRST (V3, PUSH_LIT_VAR)));
      NEXT;
    V3_POP_STORE_RCVR_VAR:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      {
        StOop v = POP ();
        RCVR_STORE (b - FIRST (V3, POP_STORE_RCVR_VAR), v);
      }
      NEXT;
    V3_POP_STORE_TEMP:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      {
        StOop v = POP ();
        TEMP (b - FIRST (V3, POP_STORE_TEMP)) = v;
      }
      NEXT;
    V3_PUSH_SELF:
    SISTA_PUSH_SELF:
      PUSH (receiver);
      NEXT;
    V3_PUSH_TRUE:
    SISTA_PUSH_TRUE:
      PUSH (it->true_obj);
      NEXT;
    V3_PUSH_FALSE:
    SISTA_PUSH_FALSE:
      PUSH (it->false_obj);
      NEXT;
    V3_PUSH_NIL:
    SISTA_PUSH_NIL:
      PUSH (nil);
      NEXT;
    V3_PUSH_SMALL_INT:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      PUSH (st_smallint_oop ((int64_t) b - FIRST (V3, PUSH_SMALL_INT) + BASE (V3, PUSH_SMALL_INT)));
      NEXT;
    V3_RETURN_SELF:
    SISTA_RETURN_SELF:
      RETURN (receiver, true);
    V3_RETURN_TRUE:
    SISTA_RETURN_TRUE:
      RETURN (it->true_obj, true);
    V3_RETURN_FALSE:
    SISTA_RETURN_FALSE:
      RETURN (it->false_obj, true);
    V3_RETURN_NIL:
    SISTA_RETURN_NIL:
      RETURN (nil, true);
    V3_RETURN_TOP:
    SISTA_RETURN_TOP:
      RETURN (POP (), true);
    V3_BLOCK_RETURN_TOP:
    SISTA_BLOCK_RETURN_TOP:
      RETURN (POP (), false);
    V3_EXT_PUSH:
      {
        guint d = BYTE (), i = d & 63;
        switch (d >> 6)
          {
          case 0: PUSH (RCVR_GET (i)); break;
          case 1: PUSH (TEMP (i)); break;
          case 2: PUSH (LIT (i)); break;
          default: PUSH (LIT_VAR (i)); break;
          }
      }
      NEXT;
    V3_EXT_STORE:
    V3_EXT_POP_STORE:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      {
        guint d = BYTE (), i = d & 63;
        StOop v = TOP ();
        switch (d >> 6)
          {
          case 0: RCVR_STORE (i, v); break;
          case 1: TEMP (i) = v; break;
          case 2: goto bad_bytecode;
          default: LIT_VAR_W (i) = v; break;
          }
        if (b == FIRST (V3, EXT_POP_STORE))
          sp--;
      }
      NEXT;
    V3_EXT_SEND:
      {
        guint d = BYTE ();
        SEND (LIT (d & 31), d >> 5);
      }
    V3_DOUBLE_EXT:
      {
        guint d1 = BYTE (), d2 = BYTE ();
        switch (d1 >> 5)
          {
          case 0: SEND (LIT (d2), d1 & 31);
          case 1: SEND_SUPER (LIT (d2), d1 & 31, 0); break;
          case 2: PUSH (RCVR_GET (d2)); break;
          case 3: PUSH (LIT (d2)); break;
          case 4: PUSH (LIT_VAR (d2)); break;
          case 5: RCVR_STORE (d2, TOP ()); break;
          case 6: { StOop v = POP (); RCVR_STORE (d2, v); } break;
          default: LIT_VAR_W (d2) = TOP (); break;
          }
      }
      NEXT;
    V3_EXT_SUPER_SEND:
      {
        guint d = BYTE ();
        SEND_SUPER (LIT (d & 31), d >> 5, 0);
      }
      NEXT;
    V3_SECOND_EXT_SEND:
      {
        guint d = BYTE ();
        SEND (LIT (d & 63), d >> 6);
      }
    V3_POP:
    SISTA_POP:
      (void) POP ();
      NEXT;
    V3_DUP:
    SISTA_DUP:
      {
        StOop v = TOP ();
        PUSH (v);
      }
      NEXT;
    V3_PUSH_THIS_CONTEXT:
      CALL (st_interp_save_registers (it); st_interp_escape (it));
      PUSH (it->ctx);
      NEXT;
    V3_PUSH_NEW_ARRAY:
      {
        guint d = BYTE ();
        bool ok;
        CALL (ok = push_new_array (it, d & 127, (d & 128) != 0));
        if (!ok)
          goto array_failed;
      }
      NEXT;
    V3_CALL_PRIMITIVE:
      (void) BYTE ();
      (void) BYTE ();
      /* A failed primitive's error code goes into the temp that the
       * following store bytecode names. */
      if (it->prim_fail_code != 0)
        {
          if (pc < pc_end && bc[pc] == FIRST (V3, EXT_STORE) && sp >= ST_CTX_TEMP0)
            CALL (it->slots[it->sp] = st_interp_error_object (it, it->prim_fail_code));
          it->prim_fail_code = 0;
        }
      NEXT;
    V3_PUSH_REMOTE_TEMP:
      {
        guint i = BYTE (), t = BYTE ();
        PUSH (REMOTE_TEMP (i, t));
      }
      NEXT;
    V3_STORE_REMOTE_TEMP:
      {
        guint i = BYTE (), t = BYTE ();
        REMOTE_TEMP_W (i, t) = TOP ();
      }
      NEXT;
    V3_POP_STORE_REMOTE_TEMP:
      {
        guint i = BYTE (), t = BYTE ();
        StOop v = POP ();
        REMOTE_TEMP_W (i, t) = v;
      }
      NEXT;
    V3_PUSH_CLOSURE:
      {
        guint d = BYTE (), hi = BYTE (), lo = BYTE ();
        uint64_t size = (hi << 8) | lo;
        if (pc + size > pc_end)
          goto bad_pc;
        CALL (st_interp_push_closure (it, d >> 4, d & 15, size));
      }
      NEXT;
    V3_SHORT_JUMP:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      JUMP ((int64_t) b - FIRST (V3, SHORT_JUMP) + BASE (V3, SHORT_JUMP));
      NEXT;
    V3_SHORT_JUMP_FALSE:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      COND_JUMP (false, (int64_t) b - FIRST (V3, SHORT_JUMP_FALSE) + BASE (V3, SHORT_JUMP_FALSE));
      NEXT;
    V3_LONG_JUMP:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      {
        int64_t off = ((int64_t) (b - FIRST (V3, LONG_JUMP)) - 4) * 256 + BYTE ();
        JUMP (off);
      }
      NEXT;
    V3_LONG_JUMP_TRUE:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      {
        int64_t off = (int64_t) (b - FIRST (V3, LONG_JUMP_TRUE)) * 256 + BYTE ();
        COND_JUMP (true, off);
      }
      NEXT;
    V3_LONG_JUMP_FALSE:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      {
        int64_t off = (int64_t) (b - FIRST (V3, LONG_JUMP_FALSE)) * 256 + BYTE ();
        COND_JUMP (false, off);
      }
      NEXT;
    V3_SEND_ARITH:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      ARITH_SEND (b - FIRST (V3, SEND_ARITH), V3);
    V3_SEND_SPECIAL:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      {
        /* == and class never send; at: and at:put: on Arrays are
         * answered in place; the rest are sent (their primitives are
         * found through the method cache). */
        guint which = b - FIRST (V3, SEND_SPECIAL) + BASE (V3, SEND_SPECIAL);
        if (which == SPECIAL_IDENTICAL)
          {
            StOop y = POP ();
            StOop x = POP ();
            PUSH (st_bool (it, x == y));
            NEXT;
          }
        if (which == SPECIAL_CLASS)
          {
            StOop x = POP ();
            PUSH (class_or_nil (it, x));
            NEXT;
          }
        goto special_send;
      }
      /* Three rows of 16, one per argument count. */
    V3_SEND_LIT_0:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      TRY_SEND (LIT (b & 15), 0);
    V3_SEND_LIT_1:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      TRY_SEND (LIT (b & 15), 1);
    V3_SEND_LIT_2:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      TRY_SEND (LIT (b & 15), 2);

      /* ---------------- SistaV1 ---------------- */
    SISTA_PUSH_RCVR_VAR:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      PUSH (RCVR_GET (b - FIRST (SISTA, PUSH_RCVR_VAR)));
      NEXT;
    SISTA_PUSH_LIT_VAR:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      PUSH (LIT_VAR (b - FIRST (SISTA, PUSH_LIT_VAR)));
      NEXT;
    SISTA_PUSH_LIT_CONST:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      PUSH (LIT (b - FIRST (SISTA, PUSH_LIT_CONST)));
      NEXT;
    SISTA_PUSH_TEMP:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      PUSH (TEMP (b - FIRST (SISTA, PUSH_TEMP)));
      NEXT;
    SISTA_PUSH_SMALL_INT:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      PUSH (st_smallint_oop ((int64_t) b - FIRST (SISTA, PUSH_SMALL_INT) + BASE (SISTA, PUSH_SMALL_INT)));
      NEXT;
    SISTA_PUSH_PSEUDO:
      /* extB 0 (or none): thisContext; other pseudo-variables are not defined. */
      if (it->ext_b != 0)
        goto bad_bytecode;
      CALL (st_interp_save_registers (it); st_interp_escape (it));
      PUSH (it->ctx);
      it->ext_a = it->ext_b = 0;
      it->num_ext_b = 0;
      NEXT;
    SISTA_BLOCK_RETURN_NIL:
      RETURN (nil, false);
    SISTA_NOP:
      NEXT;
    SISTA_SEND_SPECIAL:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      {
        guint which = b - FIRST (SISTA, SEND_SPECIAL);
        if (which < 16)
          ARITH_SEND (which, SISTA);
        if (which == SPECIAL_IDENTICAL || which == SPECIAL_NOT_IDENTICAL)
          {
            StOop y = POP ();
            StOop x = POP ();
            PUSH (st_bool (it, (x == y) == (which == SPECIAL_IDENTICAL)));
            NEXT;
          }
        if (which == SPECIAL_CLASS)
          {
            StOop x = POP ();
            PUSH (class_or_nil (it, x));
            NEXT;
          }
        goto special_send;
      }
    SISTA_SEND_LIT_0:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      TRY_SEND (LIT (b & 15), 0);
    SISTA_SEND_LIT_1:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      TRY_SEND (LIT (b & 15), 1);
    SISTA_SEND_LIT_2:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      TRY_SEND (LIT (b & 15), 2);
    SISTA_SHORT_JUMP:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      JUMP ((int64_t) b - FIRST (SISTA, SHORT_JUMP) + BASE (SISTA, SHORT_JUMP));
      NEXT;
    SISTA_SHORT_JUMP_TRUE:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      COND_JUMP (true, (int64_t) b - FIRST (SISTA, SHORT_JUMP_TRUE) + BASE (SISTA, SHORT_JUMP_TRUE));
      NEXT;
    SISTA_SHORT_JUMP_FALSE:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      COND_JUMP (false, (int64_t) b - FIRST (SISTA, SHORT_JUMP_FALSE) + BASE (SISTA, SHORT_JUMP_FALSE));
      NEXT;
    SISTA_POP_STORE_RCVR_VAR:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      {
        StOop v = POP ();
        RCVR_STORE (b - FIRST (SISTA, POP_STORE_RCVR_VAR), v);
      }
      NEXT;
    SISTA_POP_STORE_TEMP:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      {
        StOop v = POP ();
        TEMP (b - FIRST (SISTA, POP_STORE_TEMP)) = v;
      }
      NEXT;
    SISTA_EXT_A:
      {
        guint d = BYTE ();
        it->ext_a = (it->ext_a << 8) + d;
      }
      NEXT;
    SISTA_EXT_B:
      {
        guint d = BYTE ();
        it->ext_b = (it->num_ext_b == 0 && d > 127) ? (int64_t) d - 256 : (it->ext_b << 8) + d;
        it->num_ext_b++;
      }
      NEXT;
      /* The extended bytecodes (two and three bytes) take extA/extB and
       * clear them. */
#define EXT_OPERANDS()                                                  \
      guint d = BYTE ();                                                \
      int64_t ea = it->ext_a, eb = it->ext_b;                           \
      it->ext_a = it->ext_b = 0;                                        \
      it->num_ext_b = 0;                                                \
      (void) d;                                                         \
      (void) ea;                                                        \
      (void) eb
    SISTA_EXT_PUSH_RCVR_VAR:
      {
        EXT_OPERANDS ();
        PUSH (RCVR_GET (d + (ea << 8)));
      }
      NEXT;
    SISTA_EXT_PUSH_LIT_VAR:
      {
        EXT_OPERANDS ();
        PUSH (LIT_VAR (d + (ea << 8)));
      }
      NEXT;
    SISTA_EXT_PUSH_LIT_CONST:
      {
        EXT_OPERANDS ();
        PUSH (LIT (d + (ea << 8)));
      }
      NEXT;
    SISTA_LONG_PUSH_TEMP:
      {
        EXT_OPERANDS ();
        PUSH (TEMP (d));
      }
      NEXT;
    SISTA_PUSH_NEW_ARRAY:
      {
        EXT_OPERANDS ();
        bool ok;
        CALL (ok = push_new_array (it, d & 127, (d & 128) != 0));
        if (!ok)
          goto array_failed;
      }
      NEXT;
    SISTA_PUSH_INTEGER:
      {
        EXT_OPERANDS ();
        PUSH (st_smallint_oop ((int64_t) d + eb * 256));
      }
      NEXT;
    SISTA_PUSH_CHARACTER:
      {
        EXT_OPERANDS ();
        StOop c = st_interp_character (it, (guint32) (d + (ea << 8)));
        if (c == 0)
          goto bad_bytecode;
        PUSH (c);
      }
      NEXT;
    SISTA_EXT_SEND:
      {
        EXT_OPERANDS ();
        SEND (LIT ((d >> 3) + (ea << 5)), (int) ((d & 7) + (eb << 3)));
      }
    SISTA_EXT_SUPER_SEND:
      {
        EXT_OPERANDS ();
        if (eb >= 64)
          {
            /* Directed super send (OpenSmalltalk): the class is on the stack. */
            StOop cls = POP ();
            SEND_SUPER (LIT ((d >> 3) + (ea << 5)), (int) ((d & 7) + ((eb & 63) << 3)), cls);
          }
        else
          SEND_SUPER (LIT ((d >> 3) + (ea << 5)), (int) ((d & 7) + (eb << 3)), 0);
      }
      NEXT;
    SISTA_EXT_JUMP:
      {
        EXT_OPERANDS ();
        JUMP ((int64_t) d + eb * 256);
      }
      NEXT;
    SISTA_EXT_JUMP_TRUE:
      {
        EXT_OPERANDS ();
        COND_JUMP (true, (int64_t) d + eb * 256);
      }
      NEXT;
    SISTA_EXT_JUMP_FALSE:
      {
        EXT_OPERANDS ();
        COND_JUMP (false, (int64_t) d + eb * 256);
      }
      NEXT;
    SISTA_EXT_POP_STORE_RCVR_VAR:
      {
        EXT_OPERANDS ();
        StOop v = POP ();
        RCVR_STORE (d + (ea << 8), v);
      }
      NEXT;
    SISTA_EXT_POP_STORE_LIT_VAR:
      {
        EXT_OPERANDS ();
        StOop v = POP ();
        LIT_VAR_W (d + (ea << 8)) = v;
      }
      NEXT;
    SISTA_LONG_POP_STORE_TEMP:
      {
        EXT_OPERANDS ();
        StOop v = POP ();
        TEMP (d) = v;
      }
      NEXT;
    SISTA_EXT_STORE_RCVR_VAR:
      {
        EXT_OPERANDS ();
        RCVR_STORE (d + (ea << 8), TOP ());
      }
      NEXT;
    SISTA_EXT_STORE_LIT_VAR:
      {
        EXT_OPERANDS ();
        LIT_VAR_W (d + (ea << 8)) = TOP ();
      }
      NEXT;
    SISTA_LONG_STORE_TEMP:
      {
        EXT_OPERANDS ();
        TEMP (d) = TOP ();
      }
      NEXT;
    SISTA_CALL_PRIMITIVE:
      {
        EXT_OPERANDS ();
        (void) BYTE ();
        if (it->prim_fail_code != 0)
          {
            if (pc < pc_end && bc[pc] == FIRST (SISTA, LONG_STORE_TEMP) && sp >= ST_CTX_TEMP0)
              CALL (it->slots[it->sp] = st_interp_error_object (it, it->prim_fail_code));
            it->prim_fail_code = 0;
          }
      }
      NEXT;
    SISTA_PUSH_FULL_CLOSURE:
      {
        EXT_OPERANDS ();
        guint d2 = BYTE ();
        StOop block = LIT (d + (ea << 8));
        CALL (st_interp_push_full_closure (it, block, d2 & 63, (d2 >> 7) & 1, (d2 >> 6) & 1));
      }
      NEXT;
    SISTA_PUSH_CLOSURE:
      {
        EXT_OPERANDS ();
        guint d2 = BYTE ();
        guint num_args = (d & 7) + (guint) ((ea & 15) * 8);
        guint num_copied = ((d >> 3) & 7) + (guint) ((ea >> 4) * 8);
        uint64_t size = d2 + (uint64_t) eb * 256;
        if (pc + size > pc_end)
          goto bad_pc;
        CALL (st_interp_push_closure (it, num_copied, num_args, size));
      }
      NEXT;
    SISTA_PUSH_REMOTE_TEMP:
      {
        EXT_OPERANDS ();
        guint t = BYTE ();
        PUSH (REMOTE_TEMP (d, t));
      }
      NEXT;
    SISTA_STORE_REMOTE_TEMP:
      {
        EXT_OPERANDS ();
        guint t = BYTE ();
        REMOTE_TEMP_W (d, t) = TOP ();
      }
      NEXT;
    SISTA_POP_STORE_REMOTE_TEMP:
      {
        EXT_OPERANDS ();
        guint t = BYTE ();
        StOop v = POP ();
        REMOTE_TEMP_W (d, t) = v;
      }
      NEXT;
#undef EXT_OPERANDS

      /* Unused opcodes, and what Thaw does not run yet: the Sista trap
       * and inlined (unsafe) primitives of optimized methods. */
    V3_UNUSED_126:
    SISTA_UNUSED_84:
    SISTA_UNUSED_218:
    SISTA_UNUSED_230:
    SISTA_UNUSED_246:
    SISTA_UNUSED_254:
    SISTA_TRAP:
    SISTA_CALL_INLINED_PRIM:
      b = bc[pc - 1];             /* the opcode (NEXT does not keep it) */
      goto bad_bytecode;

      /* at: / at:put: on an Array in place, else a send (b is the
       * bytecode; which is recomputed from it). */
    special_send:
      {
        guint which = (set_base & SET_BASE_SISTA) ? b - FIRST (SISTA, SEND_SPECIAL)
                               : b - FIRST (V3, SEND_SPECIAL) + BASE (V3, SEND_SPECIAL);
        if (which == SPECIAL_AT || which == SPECIAL_AT_PUT)
          AT_SEND (which, 0);
        SEND_SPECIAL (which);
      }

      /* ---- sends ----
       * The fast path: a method cache hit for the receiver's class whose
       * method is a quick primitive (answered here) or has no primitive
       * (activated here, its context bump-allocated in eden).  Anything
       * else — misses, other primitives, a full eden, tracing, odd stacks
       * — goes to st_interp_send / st_interp_execute, which handle every
       * case (and are what the fast path must agree with). */
    do_send:
      {
        StOop sel = send_sel;
        int argc = send_argc;
        StOop rcvr;
        StCacheEntry *e;
        PROBE_CACHE (sel, argc, rcvr, e, send_slow);
        const StMethodHeader *h = &e->hdr;
        StOop method = e->method;
        uint64_t n = e->ctx_slots;
        if (n == 0)
          {
            /* not activated here: a quick primitive is answered here,
             * anything else goes to st_interp_execute */
            guint prim = h->primitive;
            StOop v;
            if (prim < 256 || prim > 519 || it->debug != NULL)
              goto send_execute;
            switch (prim)
              {
              case 256: v = rcvr; break;
              case 257: v = it->true_obj; break;
              case 258: v = it->false_obj; break;
              case 259: v = nil; break;
              case 260: v = st_smallint_oop (-1); break;
              case 261: v = st_smallint_oop (0); break;
              case 262: v = st_smallint_oop (1); break;
              case 263: v = st_smallint_oop (2); break;
              default:
                /* an instance variable: the slow path checks the
                 * receiver, and translates pcs for 32-bit images */
                if (!it->word64 || !st_is_pointer (rcvr) || rcvr == it->ctx)
                  goto send_execute;
                {
                  uint64_t hr = st_header (vm, rcvr);
                  if (!st_fmt_is_pointers (st_hdr_format (hr)) || st_hdr_num_slots (hr) == ST_OVERFLOW_SLOTS
                      || st_hdr_num_slots (hr) <= prim - 264 || !st_interp_valid_obj (vm, rcvr))
                    goto send_execute;
                }
                v = st_fetch (vm, rcvr, prim - 264);
                break;
              }
            it->stats.sends++;
            it->stats.primitive_calls++;
            it->prim_fail_code = 0;
            sp -= argc;
            slots[sp] = v;
            SET_DTAB ();
            NEXT;
          }
        if (ST_UNLIKELY ((guint) argc != h->num_args))
          goto send_execute;
        uint64_t bytes = (n + 1) * 8;   /* st_object_bytes_for_slots: n < ST_OVERFLOW_SLOTS */
        StOop ctx = it->eden_next;
        if (ST_UNLIKELY (ctx + bytes > it->eden_fast_end))
          {
            /* past the scavenge trigger, into eden not yet clean, or
             * in stress mode */
            if (bytes > it->eden_end - ctx)
              goto send_execute;
            if (ctx + bytes > it->eden_trigger || it->gc_stress)
              st_gc_request (vm);
            if (ctx + bytes > it->eden_clean)
              {
                /* make the next stretch of eden clean (see eden_clean) */
                StOop to = MIN (it->eden_end, ctx + MAX (bytes, it->gc_stress ? 0 : 16384));
                uint64_t *q = st_ptr (vm, ctx);
                for (uint64_t i = 0; i < (to - ctx) / 8; i++)
                  q[i] = nil;
                it->eden_clean = to;
                st_interp_eden_changed (it);
              }
          }
        ACTIVATE (ctx, bytes, n, h, method, rcvr, argc);

      send_execute:
        SYNC_OUT ();
        it->stats.sends++;
        st_interp_execute (it, method, h, argc, sel);
        SYNC_IN ();
        NEXT;
      send_slow:
        CALL (st_interp_send (it, sel, argc, false, 0));
        NEXT;
      }

      /* ---- returns ----
       * The fast path: a local return (a method returning from its own
       * context, or a block to its caller) into a MethodContext that can
       * resume, whose method's decoded header is cached.  The rest
       * (non-local returns, unwinding, cannotReturn:, BlockContexts,
       * anything odd) goes to st_interp_return. */
    do_return:
      {
        StOop ctx = it->ctx;
        if (ret_from_method && (it->home != ctx || (closures && slots[ST_CTX_CLOSURE] != nil)))
          goto return_slow;
        StOop target = slots[ST_CTX_SENDER];
        /* Both the VM's own (in eden from reclaim_floor up, the sender
         * the older; survivor space lies above eden): the sender is the
         * context whose send made this one, a context of the usual size
         * whose pc and stack pointer that send wrote, and nothing changed
         * them since.  Else the sender is checked as a context to go on
         * in. */
        StOop floor = it->reclaim_floor;
        bool own = floor <= target && target < ctx && ctx < it->eden_next;
        if (ST_UNLIKELY (!own && (!st_is_pointer (target) || !st_interp_valid_obj (vm, target))))
          goto return_slow;
        uint64_t th = st_header (vm, target);
        guint tn = st_hdr_num_slots (th);
        if (ST_UNLIKELY (!own && (st_hdr_class_index (th) != it->ci_context || tn == ST_OVERFLOW_SLOTS
                                  || tn < ST_CTX_TEMP0 + ST_MIN_FRAME)))
          goto return_slow;
        uint64_t *ts = st_ptr (vm, target) + 1;
        StOop tpc = ts[ST_CTX_PC], tsp = ts[ST_CTX_STACKP], tm = ts[ST_CTX_METHOD];
        guint hc = (guint) (tm >> 4) & (ST_HEADER_CACHE_SIZE - 1);
        if (ST_UNLIKELY (it->header_cache[hc].method != tm
                         || (!own && (!st_is_smallint (tpc) || !st_is_smallint (tsp) || tm == 0))))
          goto return_slow;
        const StMethodHeader *h = &it->header_cache[hc].hdr;
        int64_t pc0 = st_smallint_value (tpc) - 1, spv = st_smallint_value (tsp);
        /* room to push the value: spv + TEMP0 slots in use of tn */
        if (ST_UNLIKELY (!own && (pc0 < (int64_t) h->initial_pc || pc0 >= (int64_t) h->end_pc || spv < 0
                                  || (uint64_t) spv + ST_CTX_TEMP0 >= tn)))
          goto return_slow;
        /* Terminate the context left (nil is old: no barrier), and take
         * it back when it can be (st_interp_reclaim_sized). */
        slots[ST_CTX_SENDER] = nil;
        slots[ST_CTX_PC] = nil;
        st_interp_reclaim_sized (it, ctx, ctx_size);
        /* written directly from here on (the VM's own contexts are in
         * eden, young) */
        if (!own)
          st_gc_remember_if_old (vm, target);
        ENTER_CONTEXT (target, ts, tn, tm, h, (uint64_t) pc0, spv + ST_CTX_TEMP0 - 1);
        slots[++sp] = ret_value;
        SET_DTAB ();
        NEXT;

      return_slow:
        CALL (st_interp_return (it, ret_value, ret_from_method));
        NEXT;
      }

#if ST_COMPUTED_GOTO && defined (__GNUC__) && !defined (ST_FORCE_SWITCH)
      /* Opcodes with a label of their own (the operand a constant; see
       * dispatch_table).  The temps are the context's own slots here, 0-11
       * always there (ST_MIN_FRAME). */
#define OWN_TEMP(i) slots[ST_CTX_TEMP0 + (i)]
    /* A push of temp 0-11 followed by another (a + b, x at: i): both at
     * once, one dispatch less (both count; never across a limit).  Else
     * the opcode already read is dispatched (NEXT's work, shared). */
#define PUSH_TEMP_PAIR(set, i)                                          \
  do {                                                                  \
    PUSH (OWN_TEMP (i));                                                \
    PC_CHECK ();                                                        \
    guint nb_ = bc[pc];                                                 \
    guint pt_ = nb_ - FIRST (set, PUSH_TEMP);                           \
    if (pt_ < ST_MIN_FRAME && FUSE_OK ())                               \
      {                                                                 \
        PUSH (OWN_TEMP (pt_));                                          \
        count++;                                                        \
        pc++;                                                           \
        NEXT;                                                           \
      }                                                                 \
    NEXT_READ (nb_);                                                    \
  } while (0)
#define PUSH_TEMP_HANDLERS(i)                                           \
    v3_push_temp_##i: PUSH_TEMP_PAIR (V3, i);                           \
    sista_push_temp_##i: PUSH_TEMP_PAIR (SISTA, i);
    PUSH_TEMP_HANDLERS (0) PUSH_TEMP_HANDLERS (1) PUSH_TEMP_HANDLERS (2) PUSH_TEMP_HANDLERS (3)
    PUSH_TEMP_HANDLERS (4) PUSH_TEMP_HANDLERS (5) PUSH_TEMP_HANDLERS (6) PUSH_TEMP_HANDLERS (7)
    PUSH_TEMP_HANDLERS (8) PUSH_TEMP_HANDLERS (9) PUSH_TEMP_HANDLERS (10) PUSH_TEMP_HANDLERS (11)
#undef PUSH_TEMP_HANDLERS
#undef PUSH_TEMP_PAIR
    push_lit_0: PUSH (LIT (0)); NEXT;
    push_lit_1: PUSH (LIT (1)); NEXT;
    push_lit_2: PUSH (LIT (2)); NEXT;
    push_lit_3: PUSH (LIT (3)); NEXT;
    push_lit_4: PUSH (LIT (4)); NEXT;
    push_lit_5: PUSH (LIT (5)); NEXT;
    push_lit_6: PUSH (LIT (6)); NEXT;
    push_lit_7: PUSH (LIT (7)); NEXT;
#define POP_STORE_TEMP_N(i)                                             \
  do {                                                                  \
    StOop v_ = POP ();                                                  \
    OWN_TEMP (i) = v_;                                                  \
    NEXT;                                                               \
  } while (0)
    pop_store_temp_0: POP_STORE_TEMP_N (0);
    pop_store_temp_1: POP_STORE_TEMP_N (1);
    pop_store_temp_2: POP_STORE_TEMP_N (2);
    pop_store_temp_3: POP_STORE_TEMP_N (3);
    pop_store_temp_4: POP_STORE_TEMP_N (4);
    pop_store_temp_5: POP_STORE_TEMP_N (5);
    pop_store_temp_6: POP_STORE_TEMP_N (6);
    pop_store_temp_7: POP_STORE_TEMP_N (7);
#undef POP_STORE_TEMP_N
#undef OWN_TEMP
    /* the long jumps backward (loops), a label per opcode: the offset is
     * (k - 4) * 256 + byte, negative, so the target lies before pc (in
     * the method once it is >= 0) */
#define LONG_JUMP_BACK(k)                                               \
  do {                                                                  \
    if (ST_UNLIKELY (pc >= pc_end))                                     \
      goto bad_pc;                                                      \
    int64_t t_ = (int64_t) (pc + 1 + bc[pc]) - (4 - (k)) * 256;         \
    if (ST_UNLIKELY (t_ < 0))                                           \
      goto bad_pc;                                                      \
    pc = (uint64_t) t_;                                                 \
    BACK_JUMP_CHECK ();                                                 \
    NEXT_IN_METHOD;                                                     \
  } while (0)
    long_jump_back_0: LONG_JUMP_BACK (0);
    long_jump_back_1: LONG_JUMP_BACK (1);
    long_jump_back_2: LONG_JUMP_BACK (2);
    long_jump_back_3: LONG_JUMP_BACK (3);
#undef LONG_JUMP_BACK
    push_int_m1: PUSH (st_smallint_oop (-1)); NEXT;
    push_int_0: PUSH (st_smallint_oop (0)); NEXT;
    push_int_1: PUSH (st_smallint_oop (1)); NEXT;
    push_int_2: PUSH (st_smallint_oop (2)); NEXT;
    v3_special_0: ADD_SUB_SEND (0, __builtin_add_overflow, V3);
    v3_special_1: ADD_SUB_SEND (1, __builtin_sub_overflow, V3);
    sista_special_0: ADD_SUB_SEND (0, __builtin_add_overflow, SISTA);
    sista_special_1: ADD_SUB_SEND (1, __builtin_sub_overflow, SISTA);
    v3_special_2: COMPARE_SEND (2, <, V3);
    v3_special_3: COMPARE_SEND (3, >, V3);
    v3_special_4: COMPARE_SEND (4, <=, V3);
    v3_special_5: COMPARE_SEND (5, >=, V3);
    v3_special_6: COMPARE_SEND (6, ==, V3);
    v3_special_7: COMPARE_SEND (7, !=, V3);
    sista_special_2: COMPARE_SEND (2, <, SISTA);
    sista_special_3: COMPARE_SEND (3, >, SISTA);
    sista_special_4: COMPARE_SEND (4, <=, SISTA);
    sista_special_5: COMPARE_SEND (5, >=, SISTA);
    sista_special_6: COMPARE_SEND (6, ==, SISTA);
    sista_special_7: COMPARE_SEND (7, !=, SISTA);
    special_at_label: AT_SEND (SPECIAL_AT, 0);
    v3_special_at_put_label: AT_SEND (SPECIAL_AT_PUT, FIRST (V3, POP));
    sista_special_at_put_label: AT_SEND (SPECIAL_AT_PUT, FIRST (SISTA, POP));

    checked_dispatch:
      /* NEXT counted this bytecode and read it: undo both for the check */
      if (ST_UNLIKELY ((gint64) count - 1 >= LIMIT ()))
        {
          count--;
          pc--;
          goto loop_top;
        }
      b = bc[pc - 1];
      DISPATCH (set_base + b);
#endif

    array_failed:
      if (it->stop == ST_RUN_CONTINUE)
        goto stack_underflow;
      NEXT;

    bad_pc:
      SYNC_OUT ();
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_BYTECODE, "pc runs outside the method's bytecodes (%" G_GUINT64_FORMAT
                      " bytes)", pc_end);
      continue;
    stack_overflow_pushed:
      sp--;                     /* PUSH counted the slot it found missing */
      SYNC_OUT ();
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_CONTEXT, "stack overflow: the context has %" G_GUINT64_FORMAT " slots",
                      ctx_size);
      continue;
    stack_underflow:
      SYNC_OUT ();
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_CONTEXT, "stack underflow: bytecode %u pops below the temporaries",
                      failing_opcode (it));
      continue;
    bad_literal:
      SYNC_OUT ();
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_BYTECODE,
                      "bytecode %u names a literal (or literal variable) the method (%u literals) lacks",
                      failing_opcode (it), num_literals);
      continue;
    bad_inst_var:
      SYNC_OUT ();
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_BYTECODE,
                      "bytecode %u names an instance variable the receiver 0x%" G_GINT64_MODIFIER "x lacks",
                      failing_opcode (it), (guint64) receiver);
      continue;
    bad_temp:
      SYNC_OUT ();
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_BYTECODE, "bytecode %u names a temporary outside the frame",
                      failing_opcode (it));
      continue;
    bad_special:
      SYNC_OUT ();
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_OBJECT, "special selector %u missing from the special selectors array",
                      b);
      continue;
    bad_bytecode:
      SYNC_OUT ();
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_BYTECODE, "unknown or unsupported bytecode %u (%s)", failing_opcode (it),
                      (set_base & SET_BASE_SISTA) ? "SistaV1" : (it->block_contexts ? "V3" : "V3PlusClosures"));
      continue;
    }
#undef DISPATCH
#undef NEXT
#undef NEXT_IN_METHOD
#undef BYTE
#undef PUSH
#undef POP
#undef TOP
#undef LIT
#undef RCVR_SLOT
#undef RCVR_GET
#undef RCVR_STORE
#undef RCVR_SETUP
#undef TEMP
#undef LIT_VAR
#undef LIT_VAR_W
#undef REMOTE_TEMP
#undef REMOTE_TEMP_W
#undef BARRIER
#undef JUMP
#undef COND_JUMP
#undef SEND
#undef SEND_SUPER
#undef SEND_SPECIAL
#undef RETURN
#undef CALL
#undef SYNC_IN
#undef SYNC_OUT
#undef ENTER_CONTEXT
#undef ACTIVATE
#undef TRY_SEND
#undef PROBE_CACHE
#undef FUSED_JUMP
#undef JUMP_FWD
#undef COMPARE_SEND
#undef ADD_SUB_SEND
#undef ARITH_SEND
#undef AT_SEND
#undef LIMIT
#undef SET_DTAB
#undef FUSE_OK
#undef FUSED_TAKE
#undef PUSH_OR_STORE
#undef ADD_SUB_RESULT
#undef PC_CHECK
#undef NEXT_READ
#undef BACK_JUMP_CHECK

  st_interp_save_registers (it);
  st_interp_escape (it);      /* callers may now hold any context */
  if (status == ST_RUN_ERROR && it->error != NULL)
    {
      g_free (it->last_error);
      it->last_error = g_strdup (it->error->message);
      g_propagate_error (error, g_steal_pointer (&it->error));
    }
  else if (status == ST_RUN_NO_MEMORY)
    g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_NO_MEMORY,
                 "out of memory: old space cannot grow any further (%" G_GUINT64_FORMAT " MiB in use)",
                 (uint64_t) (st_objmem_end (vm) - vm->segments[0].start) >> 20);
  if (status == ST_RUN_EVALUATED)
    it->eval_selector = 0;
  if (status != ST_RUN_QUIT && status != ST_RUN_ERROR && status != ST_RUN_IDLE)
    it->stop = ST_RUN_CONTINUE;
  return status;
}

void
st_interp_set_snapshot_path (StVM *vm, const char *path)
{
  StInterp *it = st_interp (vm);
  if (it == NULL)
    return;
  g_free (it->snapshot_path);
  it->snapshot_path = g_strdup (path);
}

const char *
st_interp_snapshot_path (StVM *vm)
{
  StInterp *it = st_interp (vm);
  return it != NULL ? it->snapshot_path : NULL;
}

gboolean
st_interp_snapshot (StVM *vm, const char *path, StWriteFlags flags, GError **error)
{
  StInterp *it = st_interp (vm);
  if (it == NULL || it->ctx == 0)
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_NO_PROCESS, "the interpreter has no active context to save");
      return FALSE;
    }
  if (vm->image_path != NULL && g_strcmp0 (path, vm->image_path) == 0)
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_BAD_CONTEXT,
                   "refusing to overwrite the loaded image %s: save under another name", path);
      return FALSE;
    }
  /* The writers see old space only, and a full collection leaves what a
   * real VM's snapshot would: no garbage, compacted. */
  if (!st_gc_collect (vm, ST_GC_FULL, error))
    return FALSE;
  StOop proc = st_sched_active_process (it);
  if (proc == 0 || !st_interp_valid_obj (vm, proc) || st_num_slots (vm, proc) <= ST_PROC_CONTEXT)
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_NO_PROCESS, "the scheduler has no valid active process");
      return FALSE;
    }
  /* While running, the active context lives in the registers; the saved
   * image resumes from the active process's suspendedContext. */
  st_interp_save_registers (it);
  StOop old = st_fetch (vm, proc, ST_PROC_CONTEXT);
  st_interp_escape (it);
  st_store (vm, proc, ST_PROC_CONTEXT, it->ctx);
  gboolean ok = st_image_write (vm, path, ST_IMAGE_KIND_SAME, flags, error);
  st_store (vm, proc, ST_PROC_CONTEXT, old);
  return ok;
}
