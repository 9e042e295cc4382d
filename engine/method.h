/* SPDX-License-Identifier: GPL-3.0-or-later */
/* method.h: CompiledMethod headers, decoded per the image's personality.
 *
 * Slot 0 of a CompiledMethod is a SmallInteger header; literals follow in
 * slots 1..numLiterals; bytecodes follow the literals (in the 64-bit heap,
 * at byte offset (numLiterals + 1) * 8 from the first slot).
 *
 * V3 images (6502/6504/6505) use the V3 header:
 *   numArgs (v >> 24) & 15, numTemps (v >> 18) & 63, largeFrame bit 17,
 *   numLiterals (v >> 9) & 255, primitive (v & 0x1FF) + ((v & 0x30000000) >> 19).
 * Spur images use the Spur header:
 *   sign bit = alternate bytecode set (SistaV1), numArgs (v >> 24) & 15,
 *   numTemps (v >> 18) & 63, largeFrame bit 17, hasPrimitive bit 16,
 *   numLiterals v & 0x7FFF; the primitive number is the 16-bit little-endian
 *   operand of the callPrimitive bytecode (139 in V3PlusClosures, 248 in
 *   SistaV1) that starts the method. */
#pragma once

#include "objmem.h"

G_BEGIN_DECLS

typedef enum {
  ST_BYTECODE_SET_V3,              /* V3 (6502: BlockContexts; closure bytecodes unused) */
  ST_BYTECODE_SET_V3_CLOSURES,     /* V3PlusClosures */
  ST_BYTECODE_SET_SISTA_V1,        /* SistaV1 */
} StBytecodeSet;

typedef struct {
  guint          num_literals;
  guint          num_args;
  guint          num_temps;     /* arguments included */
  bool           large_frame;
  guint          primitive;     /* 0 when none */
  StBytecodeSet  bytecode_set;
  uint64_t       initial_pc;    /* 0-based byte offset of the first bytecode from the first slot */
  uint64_t       end_pc;        /* 0-based byte offset just past the last bytecode (trailer included) */
} StMethodHeader;

/* Decode a method's header; FALSE (with *why set to a static string) when
 * the object is not a well-formed CompiledMethod. */
bool st_method_header (const StVM *vm, StOop method, StMethodHeader *out, const char **why);

/* A literal (0-based), with no bounds check beyond the header's count. */
static inline StOop
st_method_literal (const StVM *vm, StOop method, guint i)
{
  return st_fetch (vm, method, 1 + i);
}

G_END_DECLS
