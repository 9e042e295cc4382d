/* SPDX-License-Identifier: GPL-3.0-or-later */
/* float-array.c: FloatArrayPlugin's element access (a FloatArray is an
 * object of 32-bit words, each an IEEE single), and the same two
 * primitives under the module-less names 6502-era images (Scratch) use,
 * primitiveFloatArrayAt / primitiveFloatArrayAtPut. */
#include "config.h"

#include <string.h>

#include "plugins.h"

/* The receiver as an array of 32-bit floats and the 0-based index. */
static bool
float_array_element (StInterp *it, StOop rcvr, StOop index, float **elt, StPrimResult *why)
{
  StVM *vm = it->vm;
  if (!st_interp_valid_obj (vm, rcvr) || st_format (vm, rcvr) < ST_FMT_WORDS32 || st_format (vm, rcvr) >= ST_FMT_SHORTS16)
    {
      *why = ST_PRIM_ERR_BAD_RECEIVER;
      return false;
    }
  uint64_t n = st_indexable_count (vm, rcvr);
  if (n > st_num_slots (vm, rcvr) * 2)
    {
      *why = ST_PRIM_ERR_BAD_RECEIVER;
      return false;
    }
  if (!st_is_smallint (index) || st_smallint_value (index) < 1 || (uint64_t) st_smallint_value (index) > n)
    {
      *why = ST_PRIM_ERR_BAD_INDEX;
      return false;
    }
  *elt = (float *) st_bytes (vm, rcvr) + (st_smallint_value (index) - 1);
  return true;
}

static StPrimResult
float_array_at (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  float *e;
  StPrimResult why;
  if (!float_array_element (it, st_stack_value (it, 1), st_stack_value (it, 0), &e, &why))
    return why;
  float f;
  memcpy (&f, e, sizeof f);
  StOop r = st_interp_float (it, (double) f);
  if (r == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, r);
}

static StPrimResult
float_array_at_put (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 2)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop rcvr = st_stack_value (it, 2), value = st_stack_value (it, 0);
  double d;
  if (st_is_smallint (value))
    d = (double) st_smallint_value (value);
  else if (!st_interp_float_value (it, value, &d))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  float *e;
  StPrimResult why;
  if (!float_array_element (it, rcvr, st_stack_value (it, 1), &e, &why))
    return why;
  if (st_hdr_is_immutable (st_header (vm, rcvr)))
    return ST_PRIM_ERR_NO_MODIFICATION;
  float f = (float) d;
  memcpy (e, &f, sizeof f);
  return st_prim_return (it, argc, value);
}

const StNamedPrim st_plugin_float_array[] = {
  { "primitiveAt", float_array_at },
  { "primitiveAtPut", float_array_at_put },
  { NULL, NULL },
};

const StNamedPrim st_plugin_vm_float_array[] = {
  { "primitiveFloatArrayAt", float_array_at },
  { "primitiveFloatArrayAtPut", float_array_at_put },
  { NULL, NULL },
};
