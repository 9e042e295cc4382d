/* SPDX-License-Identifier: GPL-3.0-or-later */
/* interp-context.c: contexts as heap objects: loading and saving the
 * interpreter's registers, closures, and returns (local, non-local,
 * cannotReturn:, unwinding through ensure:/ifCurtailed: markers).
 *
 * Registers: pc is the 0-based offset of the next bytecode in the method's
 * bytes (the first slot is byte 0), so the pc a context stores is pc + 1;
 * sp is the slot index of the top of stack, so the stored stackp is
 * sp - ST_CTX_TEMP0 + 1.  Both are in the 64-bit heap layout (method.h). */
#include "config.h"

#include "interp-private.h"

void
st_interp_save_registers (StInterp *it)
{
  if (it->ctx == 0)
    return;
  it->slots[ST_CTX_PC] = st_smallint_oop ((int64_t) it->pc + 1);
  it->slots[ST_CTX_STACKP] = st_smallint_oop (it->sp - (ST_CTX_TEMP0 - 1));
}

static inline __attribute__ ((always_inline)) bool
is_context (StInterp *it, StOop o)
{
  if (!st_interp_valid_obj (it->vm, o) || st_num_slots (it->vm, o) < ST_CTX_TEMP0)
    return false;
  return st_interp_is_context_class (it, st_class_index (it->vm, o));
}

bool
st_interp_load_context (StInterp *it, StOop ctx)
{
  StVM *vm = it->vm;
  if (!is_context (it, ctx))
    {
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_CONTEXT,
                      "object 0x%" G_GINT64_MODIFIER "x is not a context that can run", (guint64) ctx);
      return false;
    }
  uint64_t *s = st_ptr (vm, ctx) + 1;
  uint64_t n = st_num_slots (vm, ctx);
  StOop home = ctx;
  if (it->block_contexts && st_class_index (vm, ctx) == it->ci_block_context)
    {
      home = s[ST_BCTX_HOME];
      if (!is_context (it, home))
        {
          st_interp_fail (vm, ST_INTERP_ERROR_BAD_CONTEXT,
                          "BlockContext 0x%" G_GINT64_MODIFIER "x has no valid home context", (guint64) ctx);
          return false;
        }
    }
  /* The interpreter reads the first temps unchecked (interp.c,
   * TEMP): every context the VMs make has room for at least 12. */
  if (st_num_slots (vm, home) < ST_CTX_TEMP0 + ST_MIN_FRAME)
    {
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_CONTEXT,
                      "context 0x%" G_GINT64_MODIFIER "x: its home has %" G_GUINT64_FORMAT
                      " slots, fewer than the %d of the smallest frame", (guint64) ctx, st_num_slots (vm, home),
                      ST_CTX_TEMP0 + ST_MIN_FRAME);
      return false;
    }
  uint64_t *t = st_ptr (vm, home) + 1;
  StOop method = t[ST_CTX_METHOD];
  StMethodHeader hdr;
  const char *why = NULL;
  guint hc = (guint) (method >> 4) & (ST_HEADER_CACHE_SIZE - 1);
  if (it->header_cache[hc].method == method && method != 0)
    hdr = it->header_cache[hc].hdr;
  else if (!st_interp_valid_obj (vm, method) || !st_method_header (vm, method, &hdr, &why))
    {
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_CONTEXT,
                      "context 0x%" G_GINT64_MODIFIER "x: method 0x%" G_GINT64_MODIFIER "x is unusable: %s",
                      (guint64) ctx, (guint64) method, why ? why : "not a heap object");
      return false;
    }
  else
    {
      it->header_cache[hc].method = method;
      it->header_cache[hc].hdr = hdr;
    }
  StOop pc = s[ST_CTX_PC], stackp = s[ST_CTX_STACKP];
  if (!st_is_smallint (pc) || !st_is_smallint (stackp))
    {
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_CONTEXT,
                      "context 0x%" G_GINT64_MODIFIER "x has a %s pc or stack pointer (dead context?)",
                      (guint64) ctx, pc == vm->nil_obj ? "nil" : "non-integer");
      return false;
    }
  int64_t pc0 = st_smallint_value (pc) - 1;
  int64_t spv = st_smallint_value (stackp);
  /* A 32-bit image's own code (Context>>jump, the simulator) may set a pc
   * it computed in its terms (initialPC = (numLiterals+1)*4+1).  A pc
   * below the heap's first bytecode can only be one of those: translate
   * it and write it back.  (Stopgap added with BitBlt, which lets Cuis
   * startup reach Process>>terminate; pcs beyond that range stay as they
   * are.) */
  if (vm->personality.word_bytes == 4 && pc0 < (int64_t) hdr.initial_pc
      && pc0 >= (int64_t) (hdr.num_literals + 1) * 4)
    {
      pc0 += (int64_t) hdr.initial_pc - (int64_t) (hdr.num_literals + 1) * 4;
      s[ST_CTX_PC] = st_smallint_oop (pc0 + 1);
    }
  if (pc0 < (int64_t) hdr.initial_pc || pc0 >= (int64_t) hdr.end_pc || spv < 0
      || (uint64_t) spv > n - ST_CTX_TEMP0)
    {
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_CONTEXT,
                      "context 0x%" G_GINT64_MODIFIER "x: pc %" G_GINT64_FORMAT " or stackp %" G_GINT64_FORMAT
                      " outside its method (bytecodes %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT ") or frame (%"
                      G_GUINT64_FORMAT " slots)", (guint64) ctx, pc0 + 1, spv, hdr.initial_pc + 1, hdr.end_pc,
                      n - ST_CTX_TEMP0);
      return false;
    }
  /* The interpreter writes the active context's and its home's slots
   * without a barrier: remember them if they are old. */
  st_gc_remember_if_old (vm, ctx);
  st_gc_remember_if_old (vm, home);
  /* ctx may be one the image made or holds: from here on no context
   * made so far counts as the VM's own (reclaim_floor) */
  st_interp_escape (it);
  it->ctx = ctx;
  it->slots = s;
  it->ctx_size = n;
  it->sp = spv + ST_CTX_TEMP0 - 1;
  it->home = home;
  it->temps = t;
  it->temps_size = st_num_slots (vm, home);
  it->method = method;
  it->bc = st_bytes (vm, method);
  it->pc = (uint64_t) pc0;
  it->pc_end = hdr.end_pc;
  it->num_literals = hdr.num_literals;
  it->receiver = t[ST_CTX_RECEIVER];
  it->rcvr_pc_fix = st_interp_needs_pc_fix (it, it->receiver);
  it->set_base = hdr.bytecode_set == ST_BYTECODE_SET_SISTA_V1 ? 256 : 0;
  it->ext_a = it->ext_b = 0;
  it->num_ext_b = 0;
  return true;
}

StOop
st_interp_home_of (StInterp *it, StOop ctx)
{
  StVM *vm = it->vm;
  for (int depth = 0; depth < 100000; depth++)
    {
      if (!is_context (it, ctx))
        return 0;
      if (it->block_contexts && st_class_index (vm, ctx) == it->ci_block_context)
        return st_fetch (vm, ctx, ST_BCTX_HOME);
      StOop closure = st_fetch (vm, ctx, ST_CTX_CLOSURE);
      if (closure == vm->nil_obj || !it->vm->personality.closures)
        return ctx;
      if (!st_interp_valid_obj (vm, closure) || st_num_slots (vm, closure) < 1)
        return 0;
      ctx = st_fetch (vm, closure, ST_CLOSURE_OUTER);
    }
  return 0;
}

/* Does this context's method carry an unwind marker (primitive 198,
 * ensure: / ifCurtailed:)? */
static bool
is_unwind_marked (StInterp *it, StOop ctx)
{
  StVM *vm = it->vm;
  if (it->block_contexts && st_class_index (vm, ctx) == it->ci_block_context)
    return false;
  StMethodHeader hdr;
  StOop m = st_fetch (vm, ctx, ST_CTX_METHOD);
  return st_interp_valid_obj (vm, m) && st_method_header (vm, m, &hdr, NULL) && hdr.primitive == 198;
}

static void
send_cannot_return (StInterp *it, StOop value)
{
  StVM *vm = it->vm;
  if (it->sp + 2 >= (int64_t) it->ctx_size)
    {
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_CONTEXT, "cannot return, and no room to send cannotReturn:");
      return;
    }
  st_interp_escape (it);
  st_push (it, it->ctx);
  st_push (it, value);
  st_interp_send (it, st_special (vm, ST_SPLOB_SELECTOR_CANNOT_RETURN), 1, false, 0);
}

void
st_interp_return (StInterp *it, StOop value, bool from_method)
{
  StVM *vm = it->vm;
  StOop ctx = it->ctx;
  StOop nil = vm->nil_obj;
  StOop target;
  bool nonlocal = false;

  if (from_method && (it->home != ctx || (vm->personality.closures && it->slots[ST_CTX_CLOSURE] != nil)))
    {
      StOop home = st_interp_home_of (it, ctx);
      if (home == 0 || !is_context (it, home) || st_fetch (vm, home, ST_CTX_PC) == nil)
        {
          send_cannot_return (it, value);
          return;
        }
      target = st_fetch (vm, home, ST_CTX_SENDER);
      nonlocal = true;
    }
  else
    target = it->slots[ST_CTX_SENDER];

  if (target == nil || !is_context (it, target) || st_fetch (vm, target, ST_CTX_PC) == nil)
    {
      send_cannot_return (it, value);
      return;
    }

  if (nonlocal)
    {
      /* The target must be on our sender chain; stop at the first unwind
       * marker on the way and let the image unwind. */
      StOop c = ctx;
      int depth = 0;
      while (c != target)
        {
          if (c == nil || !is_context (it, c) || ++depth > 1000000)
            {
              send_cannot_return (it, value);
              return;
            }
          if (c != ctx && is_unwind_marked (it, c))
            {
              if (it->sp + 3 >= (int64_t) it->ctx_size)
                {
                  st_interp_fail (vm, ST_INTERP_ERROR_BAD_CONTEXT, "no room to send aboutToReturn:through:");
                  return;
                }
              st_interp_escape (it);
              st_push (it, ctx);
              st_push (it, value);
              st_push (it, c);
              st_interp_send (it, st_special (vm, ST_SPLOB_SELECTOR_ABOUT_TO_RETURN), 2, false, 0);
              return;
            }
          c = st_fetch (vm, c, ST_CTX_SENDER);
        }
    }

  /* Terminate the contexts we leave, so a later use is caught. */
  StOop c = ctx;
  for (int depth = 0; c != target && c != nil && depth < 1000000; depth++)
    {
      StOop next = st_fetch (vm, c, ST_CTX_SENDER);
      st_store (vm, c, ST_CTX_SENDER, nil);
      st_store (vm, c, ST_CTX_PC, nil);
      c = next;
    }
  it->ctx = 0;
  if (!st_interp_load_context (it, target))
    return;
  /* The context just left is the newest object and nothing can refer to
   * it: eden takes it back (no debugger: it keeps contexts by address). */
  if (!nonlocal)
    st_interp_reclaim (it, ctx);
  if (it->sp + 1 >= (int64_t) it->ctx_size)
    {
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_CONTEXT, "no room on the stack of the context returned to");
      return;
    }
  st_push (it, value);
}

void
st_interp_push_closure (StInterp *it, guint num_copied, guint num_args, uint64_t block_size)
{
  StVM *vm = it->vm;
  if (it->sp - (int64_t) num_copied < ST_CTX_TEMP0 - 1)
    {
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_BYTECODE, "push closure: %u copied values but the stack is shorter", num_copied);
      return;
    }
  StOop cl = st_objmem_new_object (vm, it->ci_closure, ST_FMT_FIXED_INDEXABLE, ST_CLOSURE_COPIED + num_copied);
  if (cl == 0)
    {
      it->stop = ST_RUN_NO_MEMORY;
      return;
    }
  st_gc_remember_if_old (vm, cl);
  st_interp_escape (it);
  uint64_t *p = st_ptr (vm, cl) + 1;
  p[ST_CLOSURE_OUTER] = it->ctx;
  p[ST_CLOSURE_STARTPC] = st_smallint_oop ((int64_t) it->pc + 1);
  p[ST_CLOSURE_NUM_ARGS] = st_smallint_oop (num_args);
  for (guint i = 0; i < num_copied; i++)
    p[ST_CLOSURE_COPIED + i] = it->slots[it->sp - num_copied + 1 + i];
  it->sp -= num_copied;
  st_push (it, cl);
  it->pc += block_size;
}

void
st_interp_push_full_closure (StInterp *it, StOop block, guint num_copied, bool receiver_on_stack, bool ignore_outer)
{
  StVM *vm = it->vm;
  StMethodHeader hdr;
  if (it->sp - (int64_t) num_copied - (receiver_on_stack ? 1 : 0) < ST_CTX_TEMP0 - 1)
    {
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_BYTECODE, "push full closure: %u copied values but the stack is shorter", num_copied);
      return;
    }
  if (!st_interp_valid_obj (vm, block) || !st_method_header (vm, block, &hdr, NULL))
    {
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_OBJECT,
                      "push full closure: literal 0x%" G_GINT64_MODIFIER "x is not a CompiledBlock", (guint64) block);
      return;
    }
  StOop cl = st_objmem_new_object (vm, it->ci_full_closure, ST_FMT_FIXED_INDEXABLE,
                                   ST_FULL_CLOSURE_COPIED + num_copied);
  if (cl == 0)
    {
      it->stop = ST_RUN_NO_MEMORY;
      return;
    }
  st_gc_remember_if_old (vm, cl);
  st_interp_escape (it);
  uint64_t *p = st_ptr (vm, cl) + 1;
  p[ST_CLOSURE_OUTER] = ignore_outer ? vm->nil_obj : it->ctx;
  p[ST_CLOSURE_METHOD] = block;
  p[ST_CLOSURE_NUM_ARGS] = st_smallint_oop (hdr.num_args);
  p[ST_FULL_CLOSURE_RECEIVER] = receiver_on_stack ? it->slots[it->sp - num_copied] : it->receiver;
  for (guint i = 0; i < num_copied; i++)
    p[ST_FULL_CLOSURE_COPIED + i] = it->slots[it->sp - num_copied + 1 + i];
  it->sp -= num_copied + (receiver_on_stack ? 1 : 0);
  st_push (it, cl);
}

/* ---- pcs as a 32-bit image sees them ----
 * The heap keeps context pcs and closure startpcs in 64-bit layout terms
 * (the literal words are 8 bytes wide here, 4 in the image's view); image
 * code that reads or writes them directly (InstructionStream>>pc,
 * ContextPart>>jump:, BlockClosure>>startpc, instVarAt:) gets its own. */

/* How far slot `slot` of o is moved between the two views, 0 when it is
 * not a pc slot. */
static int64_t
pc_delta (StInterp *it, StOop o, uint64_t slot)
{
  StVM *vm = it->vm;
  if (!st_interp_needs_pc_fix (it, o))
    return 0;
  guint32 ci = st_class_index (vm, o);
  StOop ctx;
  if (ci == it->ci_closure)
    {
      if (slot != ST_CLOSURE_STARTPC)
        return 0;
      ctx = st_fetch (vm, o, ST_CLOSURE_OUTER);
    }
  else if (ci == it->ci_context)
    {
      if (slot != ST_CTX_PC)
        return 0;
      ctx = o;
    }
  else
    {
      if (slot != ST_CTX_PC && slot != ST_BCTX_STARTPC)
        return 0;
      ctx = st_fetch (vm, o, ST_BCTX_HOME);
    }
  if (!st_interp_valid_obj (vm, ctx) || st_num_slots (vm, ctx) <= ST_CTX_METHOD)
    return 0;
  StMethodHeader hdr;
  StOop m = st_fetch (vm, ctx, ST_CTX_METHOD);
  if (!st_interp_valid_obj (vm, m) || !st_method_header (vm, m, &hdr, NULL))
    return 0;
  return (int64_t) (hdr.num_literals + 1) * 4;
}

StOop
st_interp_pc_to_image (StInterp *it, StOop o, uint64_t slot, StOop v)
{
  if (!st_is_smallint (v))
    return v;
  int64_t d = pc_delta (it, o, slot);
  return d ? st_smallint_oop (st_smallint_value (v) - d) : v;
}

StOop
st_interp_pc_to_heap (StInterp *it, StOop o, uint64_t slot, StOop v)
{
  if (!st_is_smallint (v))
    return v;
  int64_t d = pc_delta (it, o, slot);
  return d ? st_smallint_oop (st_smallint_value (v) + d) : v;
}
