/* SPDX-License-Identifier: GPL-3.0-or-later */
/* prim-call.h: calling one primitive directly from an engine test, for
 * tests that build an interpreter (interp-private.h) and drive primitives
 * without running bytecodes. */
#pragma once

#include <stdarg.h>

#include "interp-private.h"

/* Push rcvr and argc arguments from ap, run fn, and check the stack
 * discipline: on success the result replaced them all (it is popped into
 * *out), on failure they are all still there (they are dropped).  The
 * stack is left as found; answers the primitive's code. */
static inline StPrimResult
thaw_test_prim_callv (StInterp *it, StPrimFn fn, StOop *out, StOop rcvr, int argc, va_list ap)
{
  int64_t sp0 = it->sp;
  st_push (it, rcvr);
  for (int i = 0; i < argc; i++)
    st_push (it, va_arg (ap, StOop));
  StPrimResult r = fn (it->vm, argc);
  if (r == ST_PRIM_OK)
    {
      g_assert_cmpint (it->sp, ==, sp0 + 1);
      *out = st_pop (it);
    }
  else
    {
      g_assert_cmpint (it->sp, ==, sp0 + 1 + argc);
      it->sp = sp0;
    }
  return r;
}
