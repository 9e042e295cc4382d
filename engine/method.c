/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "method.h"

bool
st_method_header (const StVM *vm, StOop method, StMethodHeader *out, const char **why)
{
  static const char *dummy;
  if (why == NULL)
    why = &dummy;
  *why = NULL;
  memset (out, 0, sizeof *out);
  if (!st_is_pointer (method) || !st_fmt_is_method (st_format (vm, method)))
    {
      *why = "not a CompiledMethod (wrong format)";
      return false;
    }
  uint64_t slots = st_num_slots (vm, method);
  if (slots < 1)
    {
      *why = "CompiledMethod has no header slot";
      return false;
    }
  StOop h = st_fetch (vm, method, 0);
  if (!st_is_smallint (h))
    {
      *why = "CompiledMethod header is not a SmallInteger";
      return false;
    }
  int64_t v = st_smallint_value (h);
  uint64_t bytes = st_byte_length (vm, method);
  out->num_args = (v >> 24) & 15;
  out->num_temps = (v >> 18) & 63;
  out->large_frame = (v >> 17) & 1;
  if (vm->personality.family == ST_FAMILY_V3)
    {
      out->num_literals = (v >> 9) & 0xFF;
      out->primitive = (guint) ((v & 0x1FF) + ((v & 0x30000000) >> 19));
      out->bytecode_set = vm->personality.closures ? ST_BYTECODE_SET_V3_CLOSURES : ST_BYTECODE_SET_V3;
    }
  else
    {
      /* The header is a 31-bit SmallInteger in 32-bit images: its sign is
       * bit 30 of the value there, bit 60 here after widening.  Both read
       * as a negative value. */
      out->num_literals = v & 0x7FFF;
      out->bytecode_set = v < 0 ? ST_BYTECODE_SET_SISTA_V1 : ST_BYTECODE_SET_V3_CLOSURES;
    }
  out->initial_pc = (uint64_t) (out->num_literals + 1) * 8;
  out->end_pc = bytes;
  if (out->initial_pc > bytes)
    {
      *why = "header literal count does not fit the object";
      return false;
    }
  if (vm->personality.family == ST_FAMILY_SPUR && (v & 0x10000))
    {
      const guint8 *b = st_bytes (vm, method);
      if (out->initial_pc + 3 > bytes)
        {
          *why = "method claims a primitive but has no callPrimitive bytecode";
          return false;
        }
      out->primitive = b[out->initial_pc + 1] | (b[out->initial_pc + 2] << 8);
    }
  return true;
}
