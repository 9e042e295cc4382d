/* SPDX-License-Identifier: GPL-3.0-or-later */
/* prims-arith.c: SmallInteger primitives 1-18, identity 110/169, 159.
 *
 * Results must fit the SmallInteger range of the image's own word size
 * (31 bits for 32-bit images, 61 for 64-bit), else the primitive fails and
 * the image's LargeInteger code takes over, as on a real VM. */
#include "config.h"

#include "interp-private.h"
#include "prim-table.h"

static inline bool
two_ints (StInterp *it, int argc, int64_t *x, int64_t *y)
{
  if (argc != 1)
    return false;
  StOop a = st_stack_value (it, 1), b = st_stack_value (it, 0);
  if (!st_is_smallint (a) || !st_is_smallint (b))
    return false;
  *x = st_smallint_value (a);
  *y = st_smallint_value (b);
  return true;
}

static inline StPrimResult
int_result (StInterp *it, int argc, int64_t r)
{
  if (!st_interp_int_fits (it, r))
    return ST_PRIM_FAIL;
  return st_prim_return (it, argc, st_smallint_oop (r));
}

#define INT_PRIM(name, expr)                                            \
  StPrimResult                                                          \
  st_prim_##name (StVM *vm, int argc)                                   \
  {                                                                     \
    StInterp *it = st_interp (vm);                                      \
    int64_t x, y;                                                       \
    if (!two_ints (it, argc, &x, &y))                                   \
      return ST_PRIM_FAIL;                                              \
    return int_result (it, argc, (expr));                               \
  }
#define CMP_PRIM(name, op)                                              \
  StPrimResult                                                          \
  st_prim_##name (StVM *vm, int argc)                                   \
  {                                                                     \
    StInterp *it = st_interp (vm);                                      \
    int64_t x, y;                                                       \
    if (!two_ints (it, argc, &x, &y))                                   \
      return ST_PRIM_FAIL;                                              \
    return st_prim_return (it, argc, st_bool (it, x op y));             \
  }

INT_PRIM (add, x + y)
INT_PRIM (subtract, x - y)
INT_PRIM (bit_and, x & y)
INT_PRIM (bit_or, x | y)
INT_PRIM (bit_xor, x ^ y)
CMP_PRIM (less_than, <)
CMP_PRIM (greater_than, >)
CMP_PRIM (less_or_equal, <=)
CMP_PRIM (greater_or_equal, >=)

/* = and ~= also compare positive 32-bit integers held as LargePositiveIntegers
 * of up to 4 bytes (normalised or not), as the classic interpreter's
 * primitives 7 and 8 do (popPos32BitInteger): V3 images give
 * LargePositiveInteger>>= primitive 7, and code such as Color>>
 * pixelValueForDepth: compares an unnormalised zero with 0 this way. */
static bool
pos32_value (StInterp *it, StOop o, int64_t *v)
{
  if (st_is_smallint (o))
    {
      *v = st_smallint_value (o);
      return true;
    }
  StVM *vm = it->vm;
  if (it->ci_large_pos == 0 || !st_interp_valid_obj (vm, o) || st_class_index (vm, o) != it->ci_large_pos
      || !st_fmt_is_bytes (st_format (vm, o)) || st_byte_length (vm, o) > 4)
    return false;
  const guint8 *b = st_bytes (vm, o);
  uint64_t u = 0;
  for (uint64_t i = st_byte_length (vm, o); i > 0; i--)
    u = (u << 8) | b[i - 1];
  *v = (int64_t) u;
  return true;
}

static StPrimResult
equality (StVM *vm, int argc, bool want_equal)
{
  StInterp *it = st_interp (vm);
  int64_t x, y;
  if (argc != 1 || !pos32_value (it, st_stack_value (it, 1), &x) || !pos32_value (it, st_stack_value (it, 0), &y))
    return ST_PRIM_FAIL;
  return st_prim_return (it, argc, st_bool (it, (x == y) == want_equal));
}

StPrimResult st_prim_equal (StVM *vm, int argc) { return equality (vm, argc, true); }
StPrimResult st_prim_not_equal (StVM *vm, int argc) { return equality (vm, argc, false); }

StPrimResult
st_prim_multiply (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  int64_t x, y, r;
  if (!two_ints (it, argc, &x, &y) || __builtin_mul_overflow (x, y, &r))
    return ST_PRIM_FAIL;
  return int_result (it, argc, r);
}

/* / answers a SmallInteger only when the division is exact. */
StPrimResult
st_prim_divide (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  int64_t x, y;
  if (!two_ints (it, argc, &x, &y) || y == 0 || x % y != 0)
    return ST_PRIM_FAIL;
  return int_result (it, argc, x / y);
}

/* \\ : modulo, rounding towards negative infinity. */
StPrimResult
st_prim_mod (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  int64_t x, y;
  if (!two_ints (it, argc, &x, &y) || y == 0)
    return ST_PRIM_FAIL;
  int64_t r = x % y;
  if (r != 0 && ((r < 0) != (y < 0)))
    r += y;
  return int_result (it, argc, r);
}

/* // : quotient rounding towards negative infinity. */
StPrimResult
st_prim_div (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  int64_t x, y;
  if (!two_ints (it, argc, &x, &y) || y == 0)
    return ST_PRIM_FAIL;
  int64_t q = x / y;
  if (x % y != 0 && ((x < 0) != (y < 0)))
    q -= 1;
  return int_result (it, argc, q);
}

/* quo: : quotient truncated towards zero. */
StPrimResult
st_prim_quo (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  int64_t x, y;
  if (!two_ints (it, argc, &x, &y) || y == 0)
    return ST_PRIM_FAIL;
  return int_result (it, argc, x / y);
}

StPrimResult
st_prim_bit_shift (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  int64_t x, y, r;
  if (!two_ints (it, argc, &x, &y))
    return ST_PRIM_FAIL;
  if (y >= 0)
    {
      if (y > 62 || (x != 0 && (x > (it->int_max >> y) || x < (it->int_min >> y))))
        return ST_PRIM_FAIL;
      r = (int64_t) ((uint64_t) x << y);
    }
  else
    r = y < -63 ? (x < 0 ? -1 : 0) : x >> -y;
  return int_result (it, argc, r);
}

/* x @ y: a Point. */
StPrimResult
st_prim_make_point (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1 || it->ci_point == 0)
    return ST_PRIM_FAIL;
  StOop x = st_stack_value (it, 1), y = st_stack_value (it, 0);
  if (!st_is_smallint (x) && !st_is_smallfloat (x) && !(st_interp_valid_oop (vm, x) && st_class_index (vm, x) == it->ci_float))
    return ST_PRIM_FAIL;
  StOop p = st_objmem_new_object (vm, it->ci_point, ST_FMT_FIXED, 2);
  if (p == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  st_store (vm, p, 0, x);
  st_store (vm, p, 1, y);
  return st_prim_return (it, argc, p);
}

StPrimResult
st_prim_fail (StVM *vm, int argc)
{
  return ST_PRIM_FAIL;
}

StPrimResult
st_prim_identical (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  return st_prim_return (it, argc, st_bool (it, st_stack_value (it, 1) == st_stack_value (it, 0)));
}

StPrimResult
st_prim_not_identical (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  return st_prim_return (it, argc, st_bool (it, st_stack_value (it, 1) != st_stack_value (it, 0)));
}

/* SmallInteger>>hashMultiply: times 1664525, low 28 bits. */
StPrimResult
st_prim_hash_multiply (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop r = st_stack_value (it, argc);
  if (argc != 0 || !st_is_smallint (r))
    return ST_PRIM_FAIL;
  uint64_t v = ((uint64_t) st_smallint_value (r) * 1664525u) & 0xFFFFFFF;
  return st_prim_return (it, argc, st_smallint_oop ((int64_t) v));
}

/* 20-37 (LargePositive/NegativeInteger arithmetic) are in plugins/large-int.c. */
