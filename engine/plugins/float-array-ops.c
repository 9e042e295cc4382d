/* SPDX-License-Identifier: GPL-3.0-or-later */
/* float-array-ops.c: FloatArrayPlugin's arithmetic, in place on the
 * receiver (an object of 32-bit words, each an IEEE single):
 *
 *   primitiveAddFloatArray: a   (and Sub, Mul, Div)   element by element;
 *                                                      sizes must agree;
 *                                                      Div fails on a zero
 *   primitiveAddScalar: f       (and Sub, Mul, Div)   f a Float (an Integer
 *                                                      fails, as the VM's
 *                                                      stackFloatValue does:
 *                                                      the image converts);
 *                                                      Div fails on 0.0 and
 *                                                      multiplies by 1/f
 *   primitiveEqual: a           same size and equal elements
 *   primitiveHashArray          sum of the words as signed 32-bit
 *                               integers, low 29 bits
 *
 * Sums are computed in double and stored rounded to single, as the C
 * plugin does.  The same primitives under the module-less names 6502-era
 * images use (primitiveFloatArrayAddFloatArray, ...AddScalar,
 * ...Equal, ...Hash) are in st_plugin_vm_float_array_ops. */
#include "config.h"

#include <string.h>

#include "plugins.h"

typedef enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV } Op;

/* A words object as floats; count in *n. */
static bool
floats_of (StVM *vm, StOop o, float **f, uint64_t *n)
{
  if (!st_interp_valid_obj (vm, o))
    return false;
  guint fmt = st_format (vm, o);
  if (fmt < ST_FMT_WORDS32 || fmt >= ST_FMT_SHORTS16)
    return false;
  *n = st_indexable_count (vm, o);
  if (*n > st_num_slots (vm, o) * 2)
    return false;
  *f = (float *) st_bytes (vm, o);
  return true;
}

static float
apply (Op op, float a, double b)
{
  switch (op)
    {
    case OP_ADD: return (float) ((double) a + b);
    case OP_SUB: return (float) ((double) a - b);
    case OP_MUL: return (float) ((double) a * b);
    default: return (float) ((double) a / b);
    }
}

static StPrimResult
array_op (StVM *vm, int argc, Op op)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop rcvr = st_stack_value (it, 1), arg = st_stack_value (it, 0);
  float *r, *a;
  uint64_t nr, na;
  if (!floats_of (vm, rcvr, &r, &nr) || st_hdr_is_immutable (st_header (vm, rcvr)))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (!floats_of (vm, arg, &a, &na) || na != nr)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  if (op == OP_DIV)
    for (uint64_t i = 0; i < na; i++)
      {
        float v;
        memcpy (&v, a + i, sizeof v);
        if (v == 0.0f)
          return ST_PRIM_ERR_BAD_ARGUMENT;
      }
  for (uint64_t i = 0; i < nr; i++)
    {
      float x, y;
      memcpy (&x, r + i, sizeof x);
      memcpy (&y, a + i, sizeof y);
      x = apply (op, x, (double) y);
      memcpy (r + i, &x, sizeof x);
    }
  st_pop_n (it, 1);
  return ST_PRIM_OK;
}

static StPrimResult
scalar_op (StVM *vm, int argc, Op op)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop rcvr = st_stack_value (it, 1), arg = st_stack_value (it, 0);
  double v;
  if (st_is_smallint (arg) || !st_interp_float_value (it, arg, &v))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  if (op == OP_DIV)
    {
      if (v == 0.0)
        return ST_PRIM_ERR_BAD_ARGUMENT;
      v = 1.0 / v;
      op = OP_MUL;
    }
  float *r;
  uint64_t n;
  if (!floats_of (vm, rcvr, &r, &n) || st_hdr_is_immutable (st_header (vm, rcvr)))
    return ST_PRIM_ERR_BAD_RECEIVER;
  for (uint64_t i = 0; i < n; i++)
    {
      float x;
      memcpy (&x, r + i, sizeof x);
      x = apply (op, x, v);
      memcpy (r + i, &x, sizeof x);
    }
  st_pop_n (it, 1);
  return ST_PRIM_OK;
}

static StPrimResult add_array (StVM *vm, int argc) { return array_op (vm, argc, OP_ADD); }
static StPrimResult sub_array (StVM *vm, int argc) { return array_op (vm, argc, OP_SUB); }
static StPrimResult mul_array (StVM *vm, int argc) { return array_op (vm, argc, OP_MUL); }
static StPrimResult div_array (StVM *vm, int argc) { return array_op (vm, argc, OP_DIV); }
static StPrimResult add_scalar (StVM *vm, int argc) { return scalar_op (vm, argc, OP_ADD); }
static StPrimResult sub_scalar (StVM *vm, int argc) { return scalar_op (vm, argc, OP_SUB); }
static StPrimResult mul_scalar (StVM *vm, int argc) { return scalar_op (vm, argc, OP_MUL); }
static StPrimResult div_scalar (StVM *vm, int argc) { return scalar_op (vm, argc, OP_DIV); }

static StPrimResult
equal (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  float *r, *a;
  uint64_t nr, na;
  if (!floats_of (vm, st_stack_value (it, 1), &r, &nr))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (!floats_of (vm, st_stack_value (it, 0), &a, &na))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  bool same = na == nr;
  for (uint64_t i = 0; same && i < nr; i++)
    {
      float x, y;
      memcpy (&x, r + i, sizeof x);
      memcpy (&y, a + i, sizeof y);
      same = x == y;
    }
  return st_prim_return (it, argc, st_bool (it, same));
}

static StPrimResult
hash (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  float *r;
  uint64_t n;
  if (!floats_of (vm, st_stack_value (it, 0), &r, &n))
    return ST_PRIM_ERR_BAD_RECEIVER;
  guint32 sum = 0;
  for (uint64_t i = 0; i < n; i++)
    {
      guint32 w;
      memcpy (&w, r + i, sizeof w);
      sum += w;                 /* two's complement: the same low bits as a signed sum */
    }
  return st_prim_return (it, argc, st_smallint_oop (sum & 0x1FFFFFFF));
}

const StNamedPrim st_plugin_float_array_ops[] = {
  { "primitiveAddFloatArray", add_array },
  { "primitiveSubFloatArray", sub_array },
  { "primitiveMulFloatArray", mul_array },
  { "primitiveDivFloatArray", div_array },
  { "primitiveAddScalar", add_scalar },
  { "primitiveSubScalar", sub_scalar },
  { "primitiveMulScalar", mul_scalar },
  { "primitiveDivScalar", div_scalar },
  { "primitiveEqual", equal },
  { "primitiveHashArray", hash },
  { NULL, NULL },
};

const StNamedPrim st_plugin_vm_float_array_ops[] = {
  { "primitiveFloatArrayAddFloatArray", add_array },
  { "primitiveFloatArraySubFloatArray", sub_array },
  { "primitiveFloatArrayMulFloatArray", mul_array },
  { "primitiveFloatArrayDivFloatArray", div_array },
  { "primitiveFloatArrayAddScalar", add_scalar },
  { "primitiveFloatArraySubScalar", sub_scalar },
  { "primitiveFloatArrayMulScalar", mul_scalar },
  { "primitiveFloatArrayDivScalar", div_scalar },
  { "primitiveFloatArrayEqual", equal },
  { "primitiveFloatArrayHash", hash },
  { NULL, NULL },
};
