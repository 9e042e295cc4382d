/* SPDX-License-Identifier: GPL-3.0-or-later */
/* prims-float.c: Float primitives 38-59 and their SmallFloat64 twins
 * 541-559.  A boxed Float holds the host double in its one slot (the
 * readers convert every file's word order to that).  Receivers are boxed Floats or (64-bit images) SmallFloat64s;
 * arguments may also be SmallIntegers (mixed arithmetic).  Results are
 * SmallFloat64 where the image has them and the value fits, else boxed. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "interp-private.h"
#include "prim-table.h"

bool
st_interp_float_value (StInterp *it, StOop o, double *out)
{
  StVM *vm = it->vm;
  if (st_is_smallfloat (o))
    {
      *out = st_smallfloat_value (o);
      return true;
    }
  if (!st_interp_valid_obj (vm, o) || it->ci_float == 0 || st_class_index (vm, o) != it->ci_float
      || st_num_slots (vm, o) < 1)
    return false;
  /* The readers keep every boxed Float as the host double in its one
   * slot, whatever word order the file had. */
  uint64_t bits = st_fetch (vm, o, 0);
  memcpy (out, &bits, sizeof *out);
  return true;
}

StOop
st_interp_float (StInterp *it, double d)
{
  StVM *vm = it->vm;
  StOop o;
  if (it->word64 && st_smallfloat_encode (d, &o))
    return o;
  if (it->ci_float == 0)
    return 0;
  o = st_objmem_new_object (vm, it->ci_float, ST_FMT_WORDS32, 1);
  if (o == 0)
    return 0;
  uint64_t bits;
  memcpy (&bits, &d, sizeof bits);
  st_store (vm, o, 0, bits);
  return o;
}

static bool
number_value (StInterp *it, StOop o, double *out)
{
  if (st_is_smallint (o))
    {
      *out = (double) st_smallint_value (o);
      return true;
    }
  return st_interp_float_value (it, o, out);
}

static StPrimResult
float_result (StInterp *it, int argc, double d)
{
  StOop r = st_interp_float (it, d);
  if (r == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, r);
}

#define FLOAT_ARITH(name, expr)                                         \
  StPrimResult                                                          \
  st_prim_##name (StVM *vm, int argc)                                   \
  {                                                                     \
    StInterp *it = st_interp (vm);                                      \
    double x, y;                                                        \
    if (argc != 1 || !st_interp_float_value (it, st_stack_value (it, 1), &x) \
        || !number_value (it, st_stack_value (it, 0), &y))              \
      return ST_PRIM_FAIL;                                              \
    return float_result (it, argc, (expr));                             \
  }
#define FLOAT_CMP(name, op)                                             \
  StPrimResult                                                          \
  st_prim_##name (StVM *vm, int argc)                                   \
  {                                                                     \
    StInterp *it = st_interp (vm);                                      \
    double x, y;                                                        \
    if (argc != 1 || !st_interp_float_value (it, st_stack_value (it, 1), &x) \
        || !number_value (it, st_stack_value (it, 0), &y))              \
      return ST_PRIM_FAIL;                                              \
    return st_prim_return (it, argc, st_bool (it, x op y));             \
  }
#define FLOAT_UNARY(name, expr)                                         \
  StPrimResult                                                          \
  st_prim_##name (StVM *vm, int argc)                                   \
  {                                                                     \
    StInterp *it = st_interp (vm);                                      \
    double x;                                                           \
    if (argc != 0 || !st_interp_float_value (it, st_stack_value (it, 0), &x)) \
      return ST_PRIM_FAIL;                                              \
    return float_result (it, argc, (expr));                             \
  }

FLOAT_ARITH (float_add, x + y)
FLOAT_ARITH (float_subtract, x - y)
FLOAT_ARITH (float_multiply, x * y)
FLOAT_CMP (float_less_than, <)
FLOAT_CMP (float_greater_than, >)
FLOAT_CMP (float_less_or_equal, <=)
FLOAT_CMP (float_greater_or_equal, >=)
FLOAT_CMP (float_equal, ==)
FLOAT_CMP (float_not_equal, !=)
FLOAT_UNARY (float_fraction_part, x - trunc (x))
FLOAT_UNARY (float_sin, sin (x))
FLOAT_UNARY (float_arctan, atan (x))
FLOAT_UNARY (float_exp, exp (x))

StPrimResult
st_prim_float_divide (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  double x, y;
  if (argc != 1 || !st_interp_float_value (it, st_stack_value (it, 1), &x)
      || !number_value (it, st_stack_value (it, 0), &y) || y == 0.0)
    return ST_PRIM_FAIL;
  return float_result (it, argc, x / y);
}

StPrimResult
st_prim_float_sqrt (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  double x;
  if (argc != 0 || !st_interp_float_value (it, st_stack_value (it, 0), &x) || x < 0)
    return ST_PRIM_FAIL;
  return float_result (it, argc, sqrt (x));
}

StPrimResult
st_prim_float_ln (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  double x;
  if (argc != 0 || !st_interp_float_value (it, st_stack_value (it, 0), &x) || x <= 0)
    return ST_PRIM_FAIL;
  return float_result (it, argc, log (x));
}

StPrimResult
st_prim_as_float (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop r = st_stack_value (it, 0);
  if (argc != 0 || !st_is_smallint (r))
    return ST_PRIM_FAIL;
  return float_result (it, argc, (double) st_smallint_value (r));
}

StPrimResult
st_prim_float_truncated (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  double x;
  if (argc != 0 || !st_interp_float_value (it, st_stack_value (it, 0), &x) || isnan (x))
    return ST_PRIM_FAIL;
  double t = trunc (x);
  if (t < (double) it->int_min || t > (double) it->int_max)
    return ST_PRIM_FAIL;
  return st_prim_return (it, argc, st_smallint_oop ((int64_t) t));
}

StPrimResult
st_prim_float_exponent (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  double x;
  if (argc != 0 || !st_interp_float_value (it, st_stack_value (it, 0), &x))
    return ST_PRIM_FAIL;
  if (x == 0.0 || isnan (x) || isinf (x))
    return st_prim_return (it, argc, st_smallint_oop (0));
  int e;
  frexp (x, &e);
  return st_prim_return (it, argc, st_smallint_oop (e - 1));
}

StPrimResult
st_prim_float_times_two_power (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  double x;
  StOop n = st_stack_value (it, 0);
  if (argc != 1 || !st_interp_float_value (it, st_stack_value (it, 1), &x) || !st_is_smallint (n))
    return ST_PRIM_FAIL;
  int64_t e = st_smallint_value (n);
  if (e > 100000)
    e = 100000;
  if (e < -100000)
    e = -100000;
  return float_result (it, argc, ldexp (x, (int) e));
}

/* Float basicAt: 1 is the most significant 32 bits, 2 the least,
 * whatever order the heap keeps them in. */
StPrimResult
st_prim_float_at (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  double d;
  StOop idx = st_stack_value (it, 0);
  if (argc != 1 || st_is_smallfloat (st_stack_value (it, 1)) || !st_interp_float_value (it, st_stack_value (it, 1), &d))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (!st_is_smallint (idx) || (st_smallint_value (idx) != 1 && st_smallint_value (idx) != 2))
    return ST_PRIM_ERR_BAD_INDEX;
  uint64_t bits;
  memcpy (&bits, &d, sizeof bits);
  uint32_t w = st_smallint_value (idx) == 1 ? (uint32_t) (bits >> 32) : (uint32_t) bits;
  StOop r = st_interp_unsigned (it, w);
  if (r == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, r);
}

StPrimResult
st_prim_float_at_put (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  double d;
  StOop f = st_stack_value (it, 2), idx = st_stack_value (it, 1), v = st_stack_value (it, 0);
  int64_t w;
  if (argc != 2 || st_is_smallfloat (f) || !st_interp_float_value (it, f, &d))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (!st_is_smallint (idx) || (st_smallint_value (idx) != 1 && st_smallint_value (idx) != 2))
    return ST_PRIM_ERR_BAD_INDEX;
  if (!st_interp_to_int64 (it, v, &w) || w < 0 || w > 0xFFFFFFFF)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  uint64_t bits;
  memcpy (&bits, &d, sizeof bits);
  if (st_smallint_value (idx) == 1)
    bits = (bits & 0xFFFFFFFFu) | ((uint64_t) w << 32);
  else
    bits = (bits & ~(uint64_t) 0xFFFFFFFFu) | (uint64_t) w;
  st_store (vm, f, 0, bits);
  return st_prim_return (it, argc, v);
}
