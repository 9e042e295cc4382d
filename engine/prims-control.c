/* SPDX-License-Identifier: GPL-3.0-or-later */
/* prims-control.c: blocks (BlockContext blockCopy:/value for 6502 images,
 * BlockClosure and FullBlockClosure value...), perform:, executing a method
 * on given arguments, and contexts' stack access (210-212).  The unwind
 * and handler markers 195-199 simply fail, so the image's code runs. */
#include "config.h"

#include "interp-private.h"
#include "prim-table.h"

static bool
stack_room (StInterp *it, uint64_t n)
{
  return it->sp + (int64_t) n < (int64_t) it->ctx_size;
}

/* Enter a freshly built context as the active one, the caller having
 * popped what it consumed. */
static StPrimResult
enter (StInterp *it, StOop ctx)
{
  st_interp_save_registers (it);
  if (!st_interp_load_context (it, ctx))
    return ST_PRIM_OK;      /* the run stops with the error set */
  return ST_PRIM_OK;
}

/* Activate a BlockClosure or FullBlockClosure; its argc arguments are on
 * the stack above it. */
static StPrimResult
activate_closure (StInterp *it, StOop closure, int argc)
{
  StVM *vm = it->vm;
  if (!st_interp_valid_obj (vm, closure))
    return ST_PRIM_ERR_BAD_RECEIVER;
  guint32 ci = st_class_index (vm, closure);
  bool full;
  if (ci != 0 && ci == it->ci_closure)
    full = false;
  else if (ci != 0 && ci == it->ci_full_closure)
    full = true;
  else
    return ST_PRIM_ERR_BAD_RECEIVER;
  uint64_t n = st_num_slots (vm, closure);
  uint64_t first_copied = full ? ST_FULL_CLOSURE_COPIED : ST_CLOSURE_COPIED;
  if (n < first_copied)
    return ST_PRIM_ERR_BAD_RECEIVER;
  StOop nargs = st_fetch (vm, closure, ST_CLOSURE_NUM_ARGS);
  if (!st_is_smallint (nargs) || st_smallint_value (nargs) != argc)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop method, receiver;
  int64_t pc1;
  StMethodHeader hdr;
  if (full)
    {
      method = st_fetch (vm, closure, ST_CLOSURE_METHOD);
      receiver = st_fetch (vm, closure, ST_FULL_CLOSURE_RECEIVER);
      if (!st_interp_valid_obj (vm, method) || !st_method_header (vm, method, &hdr, NULL))
        return ST_PRIM_ERR_BAD_RECEIVER;
      pc1 = (int64_t) hdr.initial_pc + 1;
    }
  else
    {
      StOop outer = st_fetch (vm, closure, ST_CLOSURE_OUTER);
      if (!st_interp_valid_obj (vm, outer) || st_num_slots (vm, outer) < ST_CTX_TEMP0)
        return ST_PRIM_ERR_BAD_RECEIVER;
      method = st_fetch (vm, outer, ST_CTX_METHOD);
      receiver = st_fetch (vm, outer, ST_CTX_RECEIVER);
      StOop start = st_fetch (vm, closure, ST_CLOSURE_STARTPC);
      if (!st_is_smallint (start) || !st_interp_valid_obj (vm, method) || !st_method_header (vm, method, &hdr, NULL))
        return ST_PRIM_ERR_BAD_RECEIVER;
      pc1 = st_smallint_value (start);
    }
  uint64_t num_copied = n - first_copied;
  uint64_t depth = argc + num_copied;
  if (full && hdr.num_temps > depth)
    depth = hdr.num_temps;
  uint64_t frame = hdr.large_frame ? ST_LARGE_FRAME : ST_SMALL_FRAME;
  if (frame < depth + 4)
    frame = depth + 4;
  StOop ctx = st_objmem_new_object (vm, it->ci_context, ST_FMT_FIXED_INDEXABLE, ST_CTX_TEMP0 + frame);
  if (ctx == 0)
    {
      it->stop = ST_RUN_NO_MEMORY;
      return ST_PRIM_ERR_NO_MEMORY;
    }
  it->stats.contexts_allocated++;
  st_gc_remember_if_old (vm, ctx);
  uint64_t *p = st_ptr (vm, ctx) + 1;
  p[ST_CTX_SENDER] = it->ctx;
  p[ST_CTX_PC] = st_smallint_oop (pc1);
  p[ST_CTX_STACKP] = st_smallint_oop ((int64_t) depth);
  p[ST_CTX_METHOD] = method;
  p[ST_CTX_CLOSURE] = closure;
  p[ST_CTX_RECEIVER] = receiver;
  for (int i = 0; i < argc; i++)
    p[ST_CTX_TEMP0 + i] = it->slots[it->sp - argc + 1 + i];
  for (uint64_t i = 0; i < num_copied; i++)
    p[ST_CTX_TEMP0 + argc + i] = st_fetch (vm, closure, first_copied + i);
  it->sp -= argc + 1;
  return enter (it, ctx);
}

StPrimResult
st_prim_closure_value (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  return activate_closure (it, st_stack_value (it, argc), argc);
}

/* Push the elements of an Array argument in its place; FALSE when it is
 * not an Array or does not fit. */
static bool
spread_array (StInterp *it, StOop array, uint64_t *count)
{
  StVM *vm = it->vm;
  if (!st_interp_valid_obj (vm, array) || st_class_index (vm, array) != it->ci_array)
    return false;
  uint64_t n = st_num_slots (vm, array);
  if (n > 255 || !stack_room (it, n))
    return false;
  it->sp--;
  for (uint64_t i = 0; i < n; i++)
    st_push (it, st_fetch (vm, array, i));
  *count = n;
  return true;
}

StPrimResult
st_prim_closure_value_with_args (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop closure = st_stack_value (it, 1), args = st_stack_value (it, 0);
  if (!st_interp_valid_obj (vm, closure) || st_num_slots (vm, closure) <= ST_CLOSURE_NUM_ARGS)
    return ST_PRIM_ERR_BAD_RECEIVER;
  StOop nargs = st_fetch (vm, closure, ST_CLOSURE_NUM_ARGS);
  if (!st_interp_valid_obj (vm, args) || st_class_index (vm, args) != it->ci_array)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  if (!st_is_smallint (nargs) || (uint64_t) st_smallint_value (nargs) != st_num_slots (vm, args))
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  int64_t saved_sp = it->sp;
  uint64_t n;
  if (!spread_array (it, args, &n))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  StPrimResult r = activate_closure (it, closure, (int) n);
  if (r != ST_PRIM_OK)
    {
      it->sp = saved_sp;
      it->slots[it->sp] = args;
    }
  return r;
}

/* --- 6502 BlockContexts --- */

/* aContext blockCopy: numArgs */
StPrimResult
st_prim_block_copy (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1 || !it->block_contexts)
    return ST_PRIM_FAIL;
  StOop ctx = st_stack_value (it, 1), nargs = st_stack_value (it, 0);
  if (!st_is_smallint (nargs) || !st_interp_valid_obj (vm, ctx) || st_num_slots (vm, ctx) < ST_CTX_TEMP0)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  StOop home = ctx;
  if (st_class_index (vm, ctx) == it->ci_block_context)
    home = st_fetch (vm, ctx, ST_BCTX_HOME);
  if (!st_interp_valid_obj (vm, home) || st_num_slots (vm, home) < ST_CTX_TEMP0)
    return ST_PRIM_ERR_BAD_RECEIVER;
  uint64_t size = st_num_slots (vm, home);
  StOop b = st_objmem_new_object (vm, it->ci_block_context, ST_FMT_FIXED_INDEXABLE, size);
  if (b == 0)
    {
      it->stop = ST_RUN_NO_MEMORY;
      return ST_PRIM_ERR_NO_MEMORY;
    }
  /* The block's code starts after the jump (2 bytes) that follows this
   * send; pcs are 1-based. */
  StOop start = st_smallint_oop ((int64_t) it->pc + 3);
  st_store (vm, b, ST_CTX_PC, start);
  st_store (vm, b, ST_CTX_STACKP, st_smallint_oop (0));
  st_store (vm, b, ST_BCTX_NARGS, nargs);
  st_store (vm, b, ST_BCTX_STARTPC, start);
  st_store (vm, b, ST_BCTX_HOME, home);
  st_interp_escape (it);
  return st_prim_return (it, argc, b);
}

static StPrimResult
block_context_value (StInterp *it, StOop block, int argc)
{
  StVM *vm = it->vm;
  if (!it->block_contexts || !st_interp_valid_obj (vm, block) || st_class_index (vm, block) != it->ci_block_context)
    return ST_PRIM_ERR_BAD_RECEIVER;
  uint64_t n = st_num_slots (vm, block);
  StOop nargs = st_fetch (vm, block, ST_BCTX_NARGS);
  if (!st_is_smallint (nargs) || st_smallint_value (nargs) != argc)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (ST_CTX_TEMP0 + (uint64_t) argc > n)
    return ST_PRIM_ERR_BAD_RECEIVER;
  StOop start = st_fetch (vm, block, ST_BCTX_STARTPC);
  if (!st_is_smallint (start))
    return ST_PRIM_ERR_BAD_RECEIVER;
  /* A block already running (its caller set) cannot be re-entered. */
  if (st_fetch (vm, block, ST_BCTX_CALLER) != vm->nil_obj && block == it->ctx)
    return ST_PRIM_ERR_INAPPROPRIATE;
  for (int i = 0; i < argc; i++)
    st_store (vm, block, ST_CTX_TEMP0 + i, it->slots[it->sp - argc + 1 + i]);
  st_store (vm, block, ST_CTX_STACKP, st_smallint_oop (argc));
  st_store (vm, block, ST_CTX_PC, start);
  st_interp_escape (it);
  st_store (vm, block, ST_BCTX_CALLER, it->ctx);
  it->sp -= argc + 1;
  return enter (it, block);
}

StPrimResult
st_prim_block_value (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  return block_context_value (it, st_stack_value (it, argc), argc);
}

StPrimResult
st_prim_block_value_with_args (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop block = st_stack_value (it, 1), args = st_stack_value (it, 0);
  if (!it->block_contexts || !st_interp_valid_obj (vm, block) || st_class_index (vm, block) != it->ci_block_context)
    return ST_PRIM_ERR_BAD_RECEIVER;
  StOop nargs = st_fetch (vm, block, ST_BCTX_NARGS);
  if (!st_interp_valid_obj (vm, args) || st_class_index (vm, args) != it->ci_array)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  if (!st_is_smallint (nargs) || (uint64_t) st_smallint_value (nargs) != st_num_slots (vm, args))
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  int64_t saved_sp = it->sp;
  uint64_t n;
  if (!spread_array (it, args, &n))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  StPrimResult r = block_context_value (it, block, (int) n);
  if (r != ST_PRIM_OK)
    {
      it->sp = saved_sp;
      it->slots[it->sp] = args;
    }
  return r;
}

/* --- perform --- */

static bool
args_match (StInterp *it, StOop rcvr, StOop cls, StOop selector, int nargs)
{
  StVM *vm = it->vm;
  if (cls == 0 && st_is_pointer (rcvr) && !st_interp_valid_oop (vm, rcvr))
    return false;
  if (cls == 0)
    cls = st_class_of (vm, rcvr);
  StOop m = cls ? st_interp_lookup (it, cls, selector) : 0;
  StMethodHeader hdr;
  if (m == 0 || !st_interp_valid_obj (vm, m) || !st_method_header (vm, m, &hdr, NULL))
    return true;          /* doesNotUnderstand: or run:with:in: will take it */
  return hdr.num_args == (guint) nargs;
}

/* receiver perform: selector with: args... */
StPrimResult
st_prim_perform (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc < 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop selector = st_stack_value (it, argc - 1);
  StOop rcvr = st_stack_value (it, argc);
  if (!args_match (it, rcvr, 0, selector, argc - 1))
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  /* Drop the selector: shift the arguments down by one. */
  int64_t sel_at = it->sp - (argc - 1);
  for (int64_t i = sel_at; i < it->sp; i++)
    it->slots[i] = it->slots[i + 1];
  it->sp--;
  st_interp_send (it, selector, argc - 1, false, 0);
  return ST_PRIM_OK;
}

/* receiver perform: selector withArguments: anArray */
StPrimResult
st_prim_perform_with_args (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 2)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop selector = st_stack_value (it, 1), args = st_stack_value (it, 0), rcvr = st_stack_value (it, 2);
  if (!st_interp_valid_obj (vm, args) || st_class_index (vm, args) != it->ci_array)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  uint64_t n = st_num_slots (vm, args);
  if (!args_match (it, rcvr, 0, selector, (int) n))
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (n > 255 || !stack_room (it, n))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  it->sp -= 2;
  for (uint64_t i = 0; i < n; i++)
    st_push (it, st_fetch (vm, args, i));
  st_interp_send (it, selector, (int) n, false, 0);
  return ST_PRIM_OK;
}

/* receiver perform: selector withArguments: anArray inSuperclass: aClass */
StPrimResult
st_prim_perform_in_superclass (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 3)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop selector = st_stack_value (it, 2), args = st_stack_value (it, 1), cls = st_stack_value (it, 0);
  if (!st_interp_valid_obj (vm, args) || st_class_index (vm, args) != it->ci_array)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  uint64_t n = st_num_slots (vm, args);
  StOop m = st_interp_lookup (it, cls, selector);
  StMethodHeader hdr;
  if (m == 0 || !st_interp_valid_obj (vm, m) || !st_method_header (vm, m, &hdr, NULL) || hdr.num_args != n)
    return ST_PRIM_FAIL;
  if (n > 255 || !stack_room (it, n))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  it->sp -= 3;
  for (uint64_t i = 0; i < n; i++)
    st_push (it, st_fetch (vm, args, i));
  it->stats.sends++;
  st_interp_execute (it, m, &hdr, (int) n, selector);
  return ST_PRIM_OK;
}

/* anObject withArgs: argArray executeMethod: compiledMethod (2 arguments),
 * or the class-side receiver:withArguments:executeMethod: (3). */
StPrimResult
st_prim_execute_method_args (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 2 && argc != 3)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop rcvr = st_stack_value (it, 2), args = st_stack_value (it, 1), m = st_stack_value (it, 0);
  StMethodHeader hdr;
  if (!st_interp_valid_obj (vm, args) || st_class_index (vm, args) != it->ci_array)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  if (!st_interp_valid_obj (vm, m) || !st_method_header (vm, m, &hdr, NULL))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  uint64_t n = st_num_slots (vm, args);
  if (hdr.num_args != n)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (n > 255 || !stack_room (it, n))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  it->sp -= argc + 1;
  st_push (it, rcvr);
  for (uint64_t i = 0; i < n; i++)
    st_push (it, st_fetch (vm, args, i));
  st_interp_execute (it, m, &hdr, (int) n, 0);
  return ST_PRIM_OK;
}

/* --- a context's stack --- */

static bool
context_stack (StInterp *it, StOop ctx, int64_t *stackp)
{
  StVM *vm = it->vm;
  if (!st_interp_valid_obj (vm, ctx) || st_num_slots (vm, ctx) < ST_CTX_TEMP0)
    return false;
  guint32 ci = st_class_index (vm, ctx);
  if (ci != it->ci_context && !(it->block_contexts && ci == it->ci_block_context))
    return false;
  if (ctx == it->ctx)
    st_interp_save_registers (it);
  StOop s = st_fetch (vm, ctx, ST_CTX_STACKP);
  *stackp = st_is_smallint (s) ? st_smallint_value (s) : 0;
  if (*stackp < 0 || (uint64_t) *stackp > st_num_slots (vm, ctx) - ST_CTX_TEMP0)
    return false;
  return true;
}

StPrimResult
st_prim_context_at (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  int64_t stackp;
  StOop idx = st_stack_value (it, 0);
  if (argc != 1 || !context_stack (it, st_stack_value (it, 1), &stackp))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (!st_is_smallint (idx) || st_smallint_value (idx) < 1 || st_smallint_value (idx) > stackp)
    return ST_PRIM_ERR_BAD_INDEX;
  return st_prim_return (it, argc, st_fetch (vm, st_stack_value (it, 1), ST_CTX_TEMP0 + st_smallint_value (idx) - 1));
}

StPrimResult
st_prim_context_at_put (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  int64_t stackp;
  StOop idx = st_stack_value (it, 1), v = st_stack_value (it, 0), ctx = st_stack_value (it, 2);
  if (argc != 2 || !context_stack (it, ctx, &stackp))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (!st_is_smallint (idx) || st_smallint_value (idx) < 1 || st_smallint_value (idx) > stackp)
    return ST_PRIM_ERR_BAD_INDEX;
  st_store (vm, ctx, ST_CTX_TEMP0 + st_smallint_value (idx) - 1, v);
  return st_prim_return (it, argc, v);
}

StPrimResult
st_prim_context_size (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  int64_t stackp;
  if (argc != 0 || !context_stack (it, st_stack_value (it, 0), &stackp))
    return ST_PRIM_ERR_BAD_RECEIVER;
  return st_prim_return (it, argc, st_smallint_oop (stackp));
}

/* aContext stackp: n — nil the cells that become visible. */
StPrimResult
st_prim_store_stackp (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  int64_t old;
  StOop ctx = st_stack_value (it, 1), n = st_stack_value (it, 0);
  if (argc != 1 || !context_stack (it, ctx, &old))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (ctx == it->ctx)
    return ST_PRIM_ERR_INAPPROPRIATE;
  uint64_t size = st_num_slots (vm, ctx) - ST_CTX_TEMP0;
  if (!st_is_smallint (n) || st_smallint_value (n) < 0 || (uint64_t) st_smallint_value (n) > size)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t v = st_smallint_value (n);
  for (int64_t i = old; i < v; i++)
    st_store (vm, ctx, ST_CTX_TEMP0 + i, vm->nil_obj);
  st_store (vm, ctx, ST_CTX_STACKP, n);
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}
