/* SPDX-License-Identifier: GPL-3.0-or-later */
/* interp-send.c: message sends: the method cache, lookup through the
 * superclass chain, super and directed super sends, doesNotUnderstand:,
 * objects as methods (run:with:in:), primitives (quick, numbered, named)
 * and method activation. */
#include "config.h"

#include <string.h>

#include "interp-private.h"

void
st_interp_flush_cache (StInterp *it)
{
  memset (it->cache, 0, sizeof it->cache);
  memset (it->header_cache, 0, sizeof it->header_cache);
}

void
st_interp_count_missing (StInterp *it, const char *name)
{
  uint64_t *n = g_hash_table_lookup (it->missing, name);
  if (n == NULL)
    {
      n = g_new0 (uint64_t, 1);
      g_hash_table_insert (it->missing, g_strdup (name), n);
    }
  (*n)++;
}

StOop
st_interp_lookup (StInterp *it, StOop cls, StOop selector)
{
  StVM *vm = it->vm;
  StOop nil = vm->nil_obj;
  for (int depth = 0; depth < 10000 && cls != nil; depth++)
    {
      if (!st_interp_valid_obj (vm, cls) || st_num_slots (vm, cls) < 3)
        return 0;
      StOop dict = st_fetch (vm, cls, ST_CLASS_METHOD_DICT);
      if (st_interp_valid_obj (vm, dict) && st_fmt_is_pointers (st_format (vm, dict)))
        {
          uint64_t n = st_num_slots (vm, dict);
          const uint64_t *d = st_ptr (vm, dict) + 1;
          for (uint64_t i = ST_MDICT_KEYS; i < n; i++)
            if (d[i] == selector)
              {
                StOop values = d[ST_MDICT_ARRAY];
                if (!st_interp_valid_obj (vm, values) || st_num_slots (vm, values) <= i - ST_MDICT_KEYS)
                  return 0;
                StOop m = st_fetch (vm, values, i - ST_MDICT_KEYS);
                return m == nil ? 0 : m;
              }
        }
      cls = st_fetch (vm, cls, ST_CLASS_SUPERCLASS);
    }
  return 0;
}

StOop
st_interp_method_class (StInterp *it, StOop method)
{
  StVM *vm = it->vm;
  for (int depth = 0; depth < 64; depth++)
    {
      StMethodHeader hdr;
      if (!st_interp_valid_obj (vm, method) || !st_method_header (vm, method, &hdr, NULL) || hdr.num_literals == 0)
        return 0;
      StOop lit = st_method_literal (vm, method, hdr.num_literals - 1);
      if (!st_interp_valid_obj (vm, lit))
        return 0;
      if (st_fmt_is_method (st_format (vm, lit)))
        {
          method = lit;            /* a CompiledBlock's last literal is its outer code */
          continue;
        }
      if (st_num_slots (vm, lit) < 2 || !st_fmt_is_pointers (st_format (vm, lit)))
        return 0;
      return st_fetch (vm, lit, ST_ASSOC_VALUE);
    }
  return 0;
}

StOop
st_interp_error_object (StInterp *it, int code)
{
  StVM *vm = it->vm;
  StOop table = st_special (vm, ST_SPLOB_PRIM_ERR_TABLE);
  if (code > 0 && st_interp_valid_obj (vm, table) && st_fmt_is_pointers (st_format (vm, table))
      && (uint64_t) code <= st_num_slots (vm, table))
    {
      StOop e = st_fetch (vm, table, code - 1);
      if (e != vm->nil_obj)
        return e;
    }
  return st_smallint_oop (code);
}

bool
st_interp_activate (StInterp *it, StOop method, const StMethodHeader *hdr, int argc, StOop closure,
                    StOop receiver_override)
{
  StVM *vm = it->vm;
  if ((guint) argc != hdr->num_args || hdr->num_temps < hdr->num_args)
    {
      g_autofree char *name = st_interp_method_name (vm, method);
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_CONTEXT,
                      "%s takes %u arguments (%u temps) but was sent with %d", name, hdr->num_args,
                      hdr->num_temps, argc);
      return false;
    }
  uint64_t n = st_interp_context_slots (hdr);
  StOop ctx = st_objmem_new_object (vm, it->ci_context, ST_FMT_FIXED_INDEXABLE, n);
  if (ctx == 0)
    {
      it->stop = ST_RUN_NO_MEMORY;
      return false;
    }
  it->stats.contexts_allocated++;
  st_gc_remember_if_old (vm, ctx);      /* written directly from here on */
  uint64_t *p = st_ptr (vm, ctx) + 1;
  StOop rcvr = it->slots[it->sp - argc];
  p[ST_CTX_SENDER] = it->ctx;
  p[ST_CTX_PC] = st_smallint_oop ((int64_t) hdr->initial_pc + 1);
  p[ST_CTX_STACKP] = st_smallint_oop (hdr->num_temps);
  p[ST_CTX_METHOD] = method;
  p[ST_CTX_CLOSURE] = closure;
  p[ST_CTX_RECEIVER] = receiver_override ? receiver_override : rcvr;
  for (int i = 0; i < argc; i++)
    p[ST_CTX_TEMP0 + i] = it->slots[it->sp - argc + 1 + i];
  it->sp -= argc + 1;
  st_interp_save_registers (it);

  it->ctx = ctx;
  it->slots = p;
  it->ctx_size = n;
  it->sp = ST_CTX_TEMP0 + hdr->num_temps - 1;
  it->home = ctx;
  it->temps = p;
  it->temps_size = it->ctx_size;
  it->method = method;
  it->bc = st_bytes (vm, method);
  it->pc = hdr->initial_pc;
  it->pc_end = hdr->end_pc;
  it->num_literals = hdr->num_literals;
  it->receiver = p[ST_CTX_RECEIVER];
  it->rcvr_pc_fix = st_interp_needs_pc_fix (it, it->receiver);
  it->set_base = hdr->bytecode_set == ST_BYTECODE_SET_SISTA_V1 ? 256 : 0;
  it->ext_a = it->ext_b = 0;
  it->num_ext_b = 0;
  return true;
}

StPrimResult
st_interp_call_primitive (StInterp *it, guint prim, int argc)
{
  StVM *vm = it->vm;
  it->stats.primitive_calls++;
  if (prim >= 256 && prim <= 519)
    {
      /* Quick primitives: answer self, a constant, or an instance variable. */
      StOop rcvr = it->slots[it->sp - argc];
      StOop v;
      switch (prim)
        {
        case 256: v = rcvr; break;
        case 257: v = it->true_obj; break;
        case 258: v = it->false_obj; break;
        case 259: v = it->nil; break;
        case 260: v = st_smallint_oop (-1); break;
        case 261: v = st_smallint_oop (0); break;
        case 262: v = st_smallint_oop (1); break;
        case 263: v = st_smallint_oop (2); break;
        default:
          if (!st_interp_valid_obj (vm, rcvr) || !st_fmt_is_pointers (st_format (vm, rcvr))
              || st_num_slots (vm, rcvr) <= prim - 264)
            {
              it->stats.primitive_failures++;
              return ST_PRIM_ERR_BAD_RECEIVER;
            }
          if (rcvr == it->ctx)
            st_interp_save_registers (it);
          v = st_fetch (vm, rcvr, prim - 264);
          if (!it->word64)
            v = st_interp_pc_to_image (it, rcvr, prim - 264, v);
          break;
        }
      return st_prim_return (it, argc, v);
    }
  if (prim < it->n_prims && it->prims[prim] != NULL)
    {
      StPrimResult r = it->prims[prim] (vm, argc);
      if (r != ST_PRIM_OK)
        it->stats.primitive_failures++;
      return r;
    }
  char name[32];
  g_snprintf (name, sizeof name, "#%u", prim);
  st_interp_count_missing (it, name);
  it->stats.primitive_failures++;
  return ST_PRIM_FAIL;
}

void
st_interp_execute (StInterp *it, StOop method, const StMethodHeader *hdr_in, int argc, StOop selector)
{
  /* A copy: hdr_in may lie in the method cache, which a primitive that
   * collects or becomes flushes before the method is activated. */
  StMethodHeader copy = *hdr_in;
  const StMethodHeader *hdr = &copy;
  it->prim_fail_code = 0;
  if (hdr->primitive != 0)
    {
      /* debugger hook (debug.c): a breakpoint on this primitive */
      if (ST_UNLIKELY (it->debug != NULL) && st_debug_before_primitive (it, method, hdr, argc, selector))
        return;
      StOop saved_method = it->new_method;
      it->new_method = method;
      StPrimResult r = st_interp_call_primitive (it, hdr->primitive, argc);
      it->new_method = saved_method;
      if (r == ST_PRIM_OK || it->stop != ST_RUN_CONTINUE)
        return;
      it->prim_fail_code = r;
    }
  st_interp_activate (it, method, hdr, argc, it->nil, 0);
}

/* Replace the arguments on the stack by a Message and send
 * doesNotUnderstand: to the same receiver. */
static void
send_dnu (StInterp *it, StOop selector, int argc, StOop lookup_class)
{
  StVM *vm = it->vm;
  StOop dnu = st_special (vm, ST_SPLOB_SELECTOR_DOES_NOT_UNDERSTAND);
  StOop args = st_interp_new_array (it, argc);
  StPrimResult why;
  StOop msg = args ? st_objmem_instantiate (vm, st_special (vm, ST_SPLOB_CLASS_MESSAGE), 0, &why) : 0;
  if (args == 0 || msg == 0)
    {
      if (it->stop == ST_RUN_CONTINUE)
        st_interp_fail (vm, ST_INTERP_ERROR_NO_MEMORY, "cannot make the Message for doesNotUnderstand:");
      return;
    }
  for (int i = 0; i < argc; i++)
    st_store (vm, args, i, it->slots[it->sp - argc + 1 + i]);
  uint64_t n = st_num_slots (vm, msg);
  if (n > ST_MSG_SELECTOR)
    st_store (vm, msg, ST_MSG_SELECTOR, selector);
  if (n > ST_MSG_ARGS)
    st_store (vm, msg, ST_MSG_ARGS, args);
  if (n > ST_MSG_LOOKUP_CLASS)
    st_store (vm, msg, ST_MSG_LOOKUP_CLASS, lookup_class);
  it->sp -= argc;
  st_push (it, msg);
  it->stats.dnu_sends++;
  if (it->events->len <= 20)
    {
      g_autofree char *sel = st_interp_string (vm, selector);
      g_autofree char *cls = st_interp_class_name (vm, lookup_class);
      g_autofree char *where = st_interp_method_name (vm, it->method);
      st_interp_note_event (it, "doesNotUnderstand: #%s sent to a %s, from %s (after %" G_GUINT64_FORMAT " bytecodes)",
                            sel ? sel : "?", cls, where, it->stats.bytecodes);
    }
  StOop m = st_interp_lookup (it, lookup_class, dnu);
  StMethodHeader hdr;
  if (m == 0 || !st_interp_valid_obj (vm, m) || !st_method_header (vm, m, &hdr, NULL))
    {
      g_autofree char *sel = st_interp_string (vm, selector);
      g_autofree char *cls = NULL;
      if (st_interp_valid_obj (vm, lookup_class) && st_num_slots (vm, lookup_class) > 6)
        cls = st_interp_string (vm, st_fetch (vm, lookup_class, 6));
      st_interp_fail (vm, ST_INTERP_ERROR_LOOKUP,
                      "#%s is not understood by %s, and neither is doesNotUnderstand:",
                      sel ? sel : "?", cls ? cls : "its class");
      return;
    }
  st_interp_execute (it, m, &hdr, 1, dnu);
}

void
st_interp_send (StInterp *it, StOop selector, int argc, bool super, StOop directed_class)
{
  StVM *vm = it->vm;
  it->stats.sends++;
  if (ST_UNLIKELY (argc < 0 || it->sp - argc < ST_CTX_TEMP0 - 1 || it->sp - argc < 0))
    {
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_BYTECODE, "send of %d arguments with a shorter stack", argc);
      return;
    }
  if (ST_UNLIKELY (selector == it->eval_selector) && selector != 0)
    {
      /* The --eval method hands back its result: keep it, answer nil. */
      g_free (it->eval_result);
      it->eval_result = argc == 1 ? st_interp_string (vm, it->slots[it->sp]) : NULL;
      if (it->eval_result == NULL)
        it->eval_result = g_strdup ("(the result's printString is not a String)");
      it->sp -= argc;
      it->slots[it->sp] = vm->nil_obj;
      it->stop = ST_RUN_EVALUATED;
      __atomic_store_n (&it->check_at, 0, __ATOMIC_RELAXED);
      return;
    }
  StOop rcvr = it->slots[it->sp - argc];
  StOop start = 0;
  guint32 ci;
  if (ST_UNLIKELY (it->trace_sends > 0))
    {
      it->trace_sends--;
      g_autofree char *sel = st_interp_string (vm, selector);
      g_autofree char *cls = st_interp_class_name (vm, st_is_pointer (rcvr) && !st_interp_valid_oop (vm, rcvr)
                                                       ? 0 : st_class_of (vm, rcvr));
      g_autofree char *from = st_interp_method_name (vm, it->method);
      fprintf (it->trace, "%" G_GUINT64_FORMAT " %s%s #%s  (from %s)\n", it->stats.bytecodes, super ? "super " : "",
               cls, sel ? sel : "?", from);
    }
  if (super)
    {
      /* directed_class: lookup starts in its superclass (directed super
       * sends, and doesNotUnderstand: after a super send). */
      StOop mc = directed_class ? directed_class : st_interp_method_class (it, it->method);
      if (mc == 0 || !st_interp_valid_obj (vm, mc) || st_num_slots (vm, mc) < 3)
        {
          st_interp_fail (vm, ST_INTERP_ERROR_BAD_OBJECT, "super send without a method class");
          return;
        }
      start = st_fetch (vm, mc, ST_CLASS_SUPERCLASS);
      if (!st_interp_valid_obj (vm, start))
        {
          st_interp_fail (vm, ST_INTERP_ERROR_BAD_OBJECT, "super send: the method class's superclass is not an object");
          return;
        }
      ci = st_hash (vm, start);
      if (ci == 0 || st_class_at_index (vm, ci) != start)
        ci = 0;
    }
  else
    {
      if (ST_UNLIKELY (st_is_pointer (rcvr) && !st_interp_valid_oop (vm, rcvr)))
        {
          st_interp_fail (vm, ST_INTERP_ERROR_BAD_OBJECT,
                          "receiver 0x%" G_GINT64_MODIFIER "x of a send lies outside the heap", (guint64) rcvr);
          return;
        }
      ci = st_interp_class_index_of (it, rcvr);
    }

  StCacheEntry *e = &it->cache[st_interp_cache_slot (selector, ci)];
  if (ci != 0 && e->selector == selector && e->class_index == ci && e->method != 0)
    {
      st_interp_execute (it, e->method, &e->hdr, argc, selector);
      return;
    }
  it->stats.cache_misses++;
  StOop cls = super ? start : st_class_at_index (vm, ci);
  if (cls == 0)
    {
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_OBJECT,
                      "receiver 0x%" G_GINT64_MODIFIER "x has class index %u, which names no class",
                      (guint64) rcvr, ci);
      return;
    }
  StOop method = st_interp_lookup (it, cls, selector);
  if (method == 0)
    {
      send_dnu (it, selector, argc, cls);
      return;
    }
  if (st_is_pointer (method) && !st_interp_valid_obj (vm, method))
    {
      g_autofree char *sel = st_interp_string (vm, selector);
      st_interp_fail (vm, ST_INTERP_ERROR_BAD_OBJECT,
                      "the method dictionary entry for #%s is 0x%" G_GINT64_MODIFIER "x, outside the heap",
                      sel ? sel : "?", (guint64) method);
      return;
    }
  StMethodHeader hdr;
  if (!st_method_header (vm, method, &hdr, NULL))
    {
      /* An object as a method: anObject run: selector with: args in: receiver. */
      StOop args = st_interp_new_array (it, argc);
      if (args == 0)
        return;
      for (int i = 0; i < argc; i++)
        st_store (vm, args, i, it->slots[it->sp - argc + 1 + i]);
      it->sp -= argc + 1;
      st_push (it, method);
      st_push (it, selector);
      st_push (it, args);
      st_push (it, rcvr);
      st_interp_send (it, st_special (vm, ST_SPLOB_SELECTOR_RUN_WITH_IN), 3, false, 0);
      return;
    }
  if (ci != 0)
    {
      uint64_t n = st_interp_context_slots (&hdr);
      bool fast = hdr.primitive == 0 && hdr.num_temps >= hdr.num_args && n < ST_OVERFLOW_SLOTS;
      *e = (StCacheEntry) { .selector = selector, .class_index = ci, .ctx_slots = fast ? (guint32) n : 0,
                            .method = method, .hdr = hdr };
    }
  st_interp_execute (it, method, &hdr, argc, selector);
}
