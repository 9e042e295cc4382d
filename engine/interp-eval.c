/* SPDX-License-Identifier: GPL-3.0-or-later */
/* interp-eval.c: evaluating an expression inside the image, with the
 * image's own compiler (thaw-cli run --eval).
 *
 * None of the old images reads a startup script, so Thaw builds one small
 * method in the heap, in V3 / V3PlusClosures bytecodes, equivalent to
 *
 *   DoIt
 *     nil <private hand-back selector>: (Compiler evaluate: 'expr') printString.
 *     Processor activeProcess suspend
 *
 * and runs it in a new process one priority above the active one.  The
 * hand-back send is caught by the interpreter (interp-send.c), which keeps
 * the string and stops the run with ST_RUN_EVALUATED; run again, the
 * process suspends itself and the image carries on as before. */
#include "config.h"

#include <string.h>

#include "interp-private.h"

static bool
bytes_equal (StVM *vm, StOop o, const char *s)
{
  size_t n = strlen (s);
  return st_byte_length (vm, o) == n && memcmp (st_bytes (vm, o), s, n) == 0;
}

gboolean
st_interp_eval (StVM *vm, const char *expr, GError **error)
{
  StInterp *it = st_interp (vm);
  if (it == NULL || it->ctx == 0)
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_NO_PROCESS, "the interpreter is not set up");
      return FALSE;
    }
  /* The image's own Symbols, found by their bytes. */
  StOop dnu = st_special (vm, ST_SPLOB_SELECTOR_DOES_NOT_UNDERSTAND);
  if (!st_interp_valid_obj (vm, dnu))
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_BAD_OBJECT, "special object 20 is not a Symbol");
      return FALSE;
    }
  guint32 sym_ci = st_class_index (vm, dnu);
  static const char *const names[] = { "evaluate:", "printString", "activeProcess", "suspend", "Compiler" };
  StOop syms[G_N_ELEMENTS (names)] = { 0 };
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0)
    if (st_class_index (vm, o) == sym_ci && st_fmt_is_bytes (st_format (vm, o)))
      for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
        if (syms[i] == 0 && bytes_equal (vm, o, names[i]))
          syms[i] = o;
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (syms[i] == 0)
      {
        g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_LOOKUP, "the image has no Symbol #%s: it cannot %s",
                     names[i], i == 4 ? "compile (no Compiler)" : "evaluate expressions this way");
        return FALSE;
      }
  /* The global binding Compiler -> the class (an Association or a
   * GlobalVariable: key, value). */
  StOop binding = 0;
  st_heap_walk_init (&w, vm);
  while ((o = st_heap_walk_next (&w)) != 0 && binding == 0)
    if (st_class_index (vm, o) >= ST_CLASS_INDEX_FIRST_REAL && st_format (vm, o) == ST_FMT_FIXED
        && st_num_slots (vm, o) >= 2 && st_fetch (vm, o, 0) == syms[4])
      {
        StOop v = st_fetch (vm, o, 1);
        guint fmt;
        uint64_t fixed;
        if (st_interp_valid_obj (vm, v) && st_objmem_class_spec (vm, v, &fmt, &fixed))
          binding = o;
      }
  if (binding == 0)
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_LOOKUP, "the image has no global Compiler to evaluate with");
      return FALSE;
    }

  StOop hook = st_interp_new_string (it, "thawEvaluated:");
  StOop text = st_interp_new_string (it, expr);
  StOop cm_class = st_special (vm, ST_SPLOB_CLASS_COMPILED_METHOD);
  guint32 cm_ci = st_interp_valid_obj (vm, cm_class) ? st_objmem_class_index_for (vm, cm_class) : 0;
  if (hook == 0 || text == 0 || cm_ci == 0)
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_NO_MEMORY, "cannot make the evaluation method");
      return FALSE;
    }
  StOop lits[] = { binding, text, syms[0], syms[1], hook, st_special (vm, ST_SPLOB_SCHEDULER_ASSOCIATION), syms[2],
                   syms[3] };
  const guint nlits = G_N_ELEMENTS (lits);
  static const guint8 code[] = {
    115,          /* push nil (the hand-back receiver) */
    64 + 0,       /* push Compiler */
    32 + 1,       /* push 'expr' */
    224 + 2,      /* send evaluate: */
    208 + 3,      /* send printString */
    224 + 4,      /* send the hand-back selector */
    135,          /* pop */
    64 + 5,       /* push Processor */
    208 + 6,      /* send activeProcess */
    208 + 7,      /* send suspend */
    135,          /* pop */
    120,          /* ^self */
    0,            /* an empty trailer */
  };
  uint64_t bytes = (uint64_t) (nlits + 1) * 8 + sizeof code;
  StOop m = st_objmem_new_object (vm, cm_ci, ST_FMT_METHOD + ((8 - (bytes & 7)) & 7), (bytes + 7) / 8);
  if (m == 0)
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_NO_MEMORY, "cannot make the evaluation method");
      return FALSE;
    }
  int64_t header = vm->personality.family == ST_FAMILY_V3 ? (int64_t) nlits << 9 : (int64_t) nlits;
  st_store (vm, m, 0, st_smallint_oop (header));
  for (guint i = 0; i < nlits; i++)
    st_store (vm, m, 1 + i, lits[i]);
  memcpy (st_bytes (vm, m) + (nlits + 1) * 8, code, sizeof code);

  StOop ctx = st_objmem_new_object (vm, it->ci_context, ST_FMT_FIXED_INDEXABLE, ST_CTX_TEMP0 + ST_SMALL_FRAME);
  StPrimResult why;
  StOop proc = ctx ? st_objmem_instantiate (vm, st_special (vm, ST_SPLOB_CLASS_PROCESS), 0, &why) : 0;
  StOop active = st_sched_active_process (it);
  if (ctx == 0 || proc == 0 || active == 0 || st_num_slots (vm, proc) <= ST_PROC_LIST)
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_NO_MEMORY, "cannot make the evaluation process");
      return FALSE;
    }
  st_store (vm, ctx, ST_CTX_PC, st_smallint_oop ((int64_t) (nlits + 1) * 8 + 1));
  st_store (vm, ctx, ST_CTX_STACKP, st_smallint_oop (0));
  st_store (vm, ctx, ST_CTX_METHOD, m);
  StOop pri = st_fetch (vm, active, ST_PROC_PRIORITY);
  int64_t p = st_is_smallint (pri) ? st_smallint_value (pri) : 1;
  StOop sched = st_sched_scheduler (it);
  StOop lists = sched ? st_fetch (vm, sched, ST_SCHED_LISTS) : 0;
  if (lists != 0 && st_interp_valid_obj (vm, lists) && (uint64_t) p < st_num_slots (vm, lists))
    p++;
  st_store (vm, proc, ST_PROC_CONTEXT, ctx);
  st_store (vm, proc, ST_PROC_PRIORITY, st_smallint_oop (p));
  it->eval_selector = hook;
  st_interp_flush_cache (it);     /* the fast send path never looks at eval_selector */
  g_clear_pointer (&it->eval_result, g_free);
  if (!st_sched_resume (it, proc))
    {
      it->eval_selector = 0;
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_NO_PROCESS, "cannot start the evaluation process%s%s",
                   it->error ? ": " : "", it->error ? it->error->message : "");
      return FALSE;
    }
  st_interp_escape (it);      /* the new process holds its context */
  return TRUE;
}

const char *
st_interp_eval_result (StVM *vm)
{
  StInterp *it = st_interp (vm);
  return it ? it->eval_result : NULL;
}
