/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bytecodes.h: both bytecode sets as one X-macro table.
 *
 * This table is the single source of truth for opcode ranges: the
 * disassembler and decompiler decode from it, and the interpreter will
 * dispatch from it.  Each row covers a contiguous opcode range:
 *
 *   X (SET, ID, FIRST, LAST, LENGTH, OP, BASE, ARG, FLAGS)
 *
 *   SET     V3 (V3PlusClosures; plain V3 6502 is the same set with the
 *           closure rows unused) or SISTA (SistaV1)
 *   ID      the row's name, unique within its set
 *   FIRST, LAST   the opcode range
 *   LENGTH  bytes of the instruction, opcode included (extension prefixes
 *           224/225 of SistaV1 are instructions of their own, length 2)
 *   OP      the operation (StBcOp) once decoded
 *   BASE    operand a = opcode - FIRST + BASE for rows whose operand is
 *           in the opcode (an index, a jump distance, a small integer)
 *   ARG     a constant second operand (the argument count of short sends)
 *   FLAGS   ST_BC_F_* below
 *
 * Rows with operand bytes (LENGTH > 1) are decoded in st_bytecode_decode
 * (disasm.c) by ID; the row tells how many bytes to take.
 *
 * Definitions: Squeak EncoderForV3PlusClosures / EncoderForSistaV1 class
 * comments, pharo-vm StackInterpreter class>>initializeBytecodeTableForSistaV1,
 * SqueakJS vm.instruction.stream(.sista).js (facts only). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  ST_OP_UNKNOWN = 0,           /* an unused opcode */
  ST_OP_PUSH_RCVR_VAR,         /* a = inst var index (0-based) */
  ST_OP_PUSH_TEMP,             /* a = temp index (0-based) */
  ST_OP_PUSH_LIT_CONST,        /* a = literal index (0-based) */
  ST_OP_PUSH_LIT_VAR,          /* a = literal index of the binding (association) */
  ST_OP_PUSH_SELF,
  ST_OP_PUSH_TRUE,
  ST_OP_PUSH_FALSE,
  ST_OP_PUSH_NIL,
  ST_OP_PUSH_INT,              /* a = the SmallInteger value */
  ST_OP_PUSH_CHAR,             /* a = the code point */
  ST_OP_PUSH_THIS_CONTEXT,
  ST_OP_PUSH_PSEUDO,           /* a = extB (SistaV1 82 with extB != 0) */
  ST_OP_PUSH_NEW_ARRAY,        /* a = size */
  ST_OP_CONS_ARRAY,            /* a = elements popped into a new Array */
  ST_OP_PUSH_REMOTE_TEMP,      /* a = index in vector, b = temp holding the vector */
  ST_OP_STORE_REMOTE_TEMP,
  ST_OP_POP_STORE_REMOTE_TEMP,
  ST_OP_STORE_RCVR_VAR,        /* a = inst var index */
  ST_OP_STORE_TEMP,            /* a = temp index */
  ST_OP_STORE_LIT_VAR,         /* a = literal index */
  ST_OP_POP_STORE_RCVR_VAR,
  ST_OP_POP_STORE_TEMP,
  ST_OP_POP_STORE_LIT_VAR,
  ST_OP_POP,
  ST_OP_DUP,
  ST_OP_RETURN_SELF,
  ST_OP_RETURN_TRUE,
  ST_OP_RETURN_FALSE,
  ST_OP_RETURN_NIL,
  ST_OP_RETURN_TOP,            /* method return */
  ST_OP_BLOCK_RETURN_TOP,
  ST_OP_BLOCK_RETURN_NIL,
  ST_OP_SEND,                  /* a = literal index of the selector, b = argument count */
  ST_OP_SUPER_SEND,            /* a, b as for SEND */
  ST_OP_DIRECTED_SUPER_SEND,   /* a, b as for SEND; the class is on the stack */
  ST_OP_SEND_SPECIAL,          /* a = index into SpecialSelectors (pairs), b = argument count */
  ST_OP_JUMP,                  /* a = signed distance from the next instruction */
  ST_OP_JUMP_TRUE,
  ST_OP_JUMP_FALSE,
  ST_OP_CALL_PRIMITIVE,        /* a = primitive index */
  ST_OP_CALL_INLINED_PRIMITIVE,/* a = inlined (Sista) primitive index */
  ST_OP_PUSH_CLOSURE,          /* a = numCopied, b = numArgs, c = block size in bytes */
  ST_OP_PUSH_FULL_CLOSURE,     /* a = literal index of the CompiledBlock, b = numCopied, c = flag bits */
  ST_OP_NOP,
  ST_OP_TRAP,
  ST_OP_EXT_A,                 /* a = byte (a prefix; folded into the next instruction) */
  ST_OP_EXT_B,
  ST_OP_COUNT
} StBcOp;

enum {
  ST_BC_F_NONE = 0,
  ST_BC_F_CLOSURES = 1 << 0,   /* unused in plain V3 (6502) images */
  ST_BC_F_SENDS = 1 << 1,      /* a message send */
  ST_BC_F_JUMP = 1 << 2,       /* a jump (conditional or not) */
  ST_BC_F_RETURN = 1 << 3,     /* ends the method or block along this path */
  ST_BC_F_EXT = 1 << 4,        /* an extension prefix (SistaV1 224, 225) */
};

/*    set    id                     first last len op                        base arg flags */
#define ST_BYTECODES_V3(X) \
  X (V3, PUSH_RCVR_VAR,              0,  15, 1, ST_OP_PUSH_RCVR_VAR,          0, 0, ST_BC_F_NONE) \
  X (V3, PUSH_TEMP,                 16,  31, 1, ST_OP_PUSH_TEMP,              0, 0, ST_BC_F_NONE) \
  X (V3, PUSH_LIT_CONST,            32,  63, 1, ST_OP_PUSH_LIT_CONST,         0, 0, ST_BC_F_NONE) \
  X (V3, PUSH_LIT_VAR,              64,  95, 1, ST_OP_PUSH_LIT_VAR,           0, 0, ST_BC_F_NONE) \
  X (V3, POP_STORE_RCVR_VAR,        96, 103, 1, ST_OP_POP_STORE_RCVR_VAR,     0, 0, ST_BC_F_NONE) \
  X (V3, POP_STORE_TEMP,           104, 111, 1, ST_OP_POP_STORE_TEMP,         0, 0, ST_BC_F_NONE) \
  X (V3, PUSH_SELF,                112, 112, 1, ST_OP_PUSH_SELF,              0, 0, ST_BC_F_NONE) \
  X (V3, PUSH_TRUE,                113, 113, 1, ST_OP_PUSH_TRUE,              0, 0, ST_BC_F_NONE) \
  X (V3, PUSH_FALSE,               114, 114, 1, ST_OP_PUSH_FALSE,             0, 0, ST_BC_F_NONE) \
  X (V3, PUSH_NIL,                 115, 115, 1, ST_OP_PUSH_NIL,               0, 0, ST_BC_F_NONE) \
  X (V3, PUSH_SMALL_INT,           116, 119, 1, ST_OP_PUSH_INT,              -1, 0, ST_BC_F_NONE) \
  X (V3, RETURN_SELF,              120, 120, 1, ST_OP_RETURN_SELF,            0, 0, ST_BC_F_RETURN) \
  X (V3, RETURN_TRUE,              121, 121, 1, ST_OP_RETURN_TRUE,            0, 0, ST_BC_F_RETURN) \
  X (V3, RETURN_FALSE,             122, 122, 1, ST_OP_RETURN_FALSE,           0, 0, ST_BC_F_RETURN) \
  X (V3, RETURN_NIL,               123, 123, 1, ST_OP_RETURN_NIL,             0, 0, ST_BC_F_RETURN) \
  X (V3, RETURN_TOP,               124, 124, 1, ST_OP_RETURN_TOP,             0, 0, ST_BC_F_RETURN) \
  X (V3, BLOCK_RETURN_TOP,         125, 125, 1, ST_OP_BLOCK_RETURN_TOP,       0, 0, ST_BC_F_RETURN) \
  X (V3, UNUSED_126,               126, 127, 1, ST_OP_UNKNOWN,                0, 0, ST_BC_F_NONE) \
  X (V3, EXT_PUSH,                 128, 128, 2, ST_OP_PUSH_RCVR_VAR,          0, 0, ST_BC_F_NONE) \
  X (V3, EXT_STORE,                129, 129, 2, ST_OP_STORE_RCVR_VAR,         0, 0, ST_BC_F_NONE) \
  X (V3, EXT_POP_STORE,            130, 130, 2, ST_OP_POP_STORE_RCVR_VAR,     0, 0, ST_BC_F_NONE) \
  X (V3, EXT_SEND,                 131, 131, 2, ST_OP_SEND,                   0, 0, ST_BC_F_SENDS) \
  X (V3, DOUBLE_EXT,               132, 132, 3, ST_OP_SEND,                   0, 0, ST_BC_F_NONE) \
  X (V3, EXT_SUPER_SEND,           133, 133, 2, ST_OP_SUPER_SEND,             0, 0, ST_BC_F_SENDS) \
  X (V3, SECOND_EXT_SEND,          134, 134, 2, ST_OP_SEND,                   0, 0, ST_BC_F_SENDS) \
  X (V3, POP,                      135, 135, 1, ST_OP_POP,                    0, 0, ST_BC_F_NONE) \
  X (V3, DUP,                      136, 136, 1, ST_OP_DUP,                    0, 0, ST_BC_F_NONE) \
  X (V3, PUSH_THIS_CONTEXT,        137, 137, 1, ST_OP_PUSH_THIS_CONTEXT,      0, 0, ST_BC_F_NONE) \
  X (V3, PUSH_NEW_ARRAY,           138, 138, 2, ST_OP_PUSH_NEW_ARRAY,         0, 0, ST_BC_F_CLOSURES) \
  X (V3, CALL_PRIMITIVE,           139, 139, 3, ST_OP_CALL_PRIMITIVE,         0, 0, ST_BC_F_CLOSURES) \
  X (V3, PUSH_REMOTE_TEMP,         140, 140, 3, ST_OP_PUSH_REMOTE_TEMP,       0, 0, ST_BC_F_CLOSURES) \
  X (V3, STORE_REMOTE_TEMP,        141, 141, 3, ST_OP_STORE_REMOTE_TEMP,      0, 0, ST_BC_F_CLOSURES) \
  X (V3, POP_STORE_REMOTE_TEMP,    142, 142, 3, ST_OP_POP_STORE_REMOTE_TEMP,  0, 0, ST_BC_F_CLOSURES) \
  X (V3, PUSH_CLOSURE,             143, 143, 4, ST_OP_PUSH_CLOSURE,           0, 0, ST_BC_F_CLOSURES) \
  X (V3, SHORT_JUMP,               144, 151, 1, ST_OP_JUMP,                   1, 0, ST_BC_F_JUMP) \
  X (V3, SHORT_JUMP_FALSE,         152, 159, 1, ST_OP_JUMP_FALSE,             1, 0, ST_BC_F_JUMP) \
  X (V3, LONG_JUMP,                160, 167, 2, ST_OP_JUMP,                   0, 0, ST_BC_F_JUMP) \
  X (V3, LONG_JUMP_TRUE,           168, 171, 2, ST_OP_JUMP_TRUE,              0, 0, ST_BC_F_JUMP) \
  X (V3, LONG_JUMP_FALSE,          172, 175, 2, ST_OP_JUMP_FALSE,             0, 0, ST_BC_F_JUMP) \
  X (V3, SEND_ARITH,               176, 191, 1, ST_OP_SEND_SPECIAL,           0, 0, ST_BC_F_SENDS) \
  X (V3, SEND_SPECIAL,             192, 207, 1, ST_OP_SEND_SPECIAL,          16, 0, ST_BC_F_SENDS) \
  X (V3, SEND_LIT_0,               208, 223, 1, ST_OP_SEND,                   0, 0, ST_BC_F_SENDS) \
  X (V3, SEND_LIT_1,               224, 239, 1, ST_OP_SEND,                   0, 1, ST_BC_F_SENDS) \
  X (V3, SEND_LIT_2,               240, 255, 1, ST_OP_SEND,                   0, 2, ST_BC_F_SENDS)

#define ST_BYTECODES_SISTA(X) \
  X (SISTA, PUSH_RCVR_VAR,           0,  15, 1, ST_OP_PUSH_RCVR_VAR,          0, 0, ST_BC_F_NONE) \
  X (SISTA, PUSH_LIT_VAR,           16,  31, 1, ST_OP_PUSH_LIT_VAR,           0, 0, ST_BC_F_NONE) \
  X (SISTA, PUSH_LIT_CONST,         32,  63, 1, ST_OP_PUSH_LIT_CONST,         0, 0, ST_BC_F_NONE) \
  X (SISTA, PUSH_TEMP,              64,  75, 1, ST_OP_PUSH_TEMP,              0, 0, ST_BC_F_NONE) \
  X (SISTA, PUSH_SELF,              76,  76, 1, ST_OP_PUSH_SELF,              0, 0, ST_BC_F_NONE) \
  X (SISTA, PUSH_TRUE,              77,  77, 1, ST_OP_PUSH_TRUE,              0, 0, ST_BC_F_NONE) \
  X (SISTA, PUSH_FALSE,             78,  78, 1, ST_OP_PUSH_FALSE,             0, 0, ST_BC_F_NONE) \
  X (SISTA, PUSH_NIL,               79,  79, 1, ST_OP_PUSH_NIL,               0, 0, ST_BC_F_NONE) \
  X (SISTA, PUSH_SMALL_INT,         80,  81, 1, ST_OP_PUSH_INT,               0, 0, ST_BC_F_NONE) \
  X (SISTA, PUSH_PSEUDO,            82,  82, 1, ST_OP_PUSH_THIS_CONTEXT,      0, 0, ST_BC_F_NONE) \
  X (SISTA, DUP,                    83,  83, 1, ST_OP_DUP,                    0, 0, ST_BC_F_NONE) \
  X (SISTA, UNUSED_84,              84,  87, 1, ST_OP_UNKNOWN,                0, 0, ST_BC_F_NONE) \
  X (SISTA, RETURN_SELF,            88,  88, 1, ST_OP_RETURN_SELF,            0, 0, ST_BC_F_RETURN) \
  X (SISTA, RETURN_TRUE,            89,  89, 1, ST_OP_RETURN_TRUE,            0, 0, ST_BC_F_RETURN) \
  X (SISTA, RETURN_FALSE,           90,  90, 1, ST_OP_RETURN_FALSE,           0, 0, ST_BC_F_RETURN) \
  X (SISTA, RETURN_NIL,             91,  91, 1, ST_OP_RETURN_NIL,             0, 0, ST_BC_F_RETURN) \
  X (SISTA, RETURN_TOP,             92,  92, 1, ST_OP_RETURN_TOP,             0, 0, ST_BC_F_RETURN) \
  X (SISTA, BLOCK_RETURN_NIL,       93,  93, 1, ST_OP_BLOCK_RETURN_NIL,       0, 0, ST_BC_F_RETURN) \
  X (SISTA, BLOCK_RETURN_TOP,       94,  94, 1, ST_OP_BLOCK_RETURN_TOP,       0, 0, ST_BC_F_RETURN) \
  X (SISTA, NOP,                    95,  95, 1, ST_OP_NOP,                    0, 0, ST_BC_F_NONE) \
  X (SISTA, SEND_SPECIAL,           96, 127, 1, ST_OP_SEND_SPECIAL,           0, 0, ST_BC_F_SENDS) \
  X (SISTA, SEND_LIT_0,            128, 143, 1, ST_OP_SEND,                   0, 0, ST_BC_F_SENDS) \
  X (SISTA, SEND_LIT_1,            144, 159, 1, ST_OP_SEND,                   0, 1, ST_BC_F_SENDS) \
  X (SISTA, SEND_LIT_2,            160, 175, 1, ST_OP_SEND,                   0, 2, ST_BC_F_SENDS) \
  X (SISTA, SHORT_JUMP,            176, 183, 1, ST_OP_JUMP,                   1, 0, ST_BC_F_JUMP) \
  X (SISTA, SHORT_JUMP_TRUE,       184, 191, 1, ST_OP_JUMP_TRUE,              1, 0, ST_BC_F_JUMP) \
  X (SISTA, SHORT_JUMP_FALSE,      192, 199, 1, ST_OP_JUMP_FALSE,             1, 0, ST_BC_F_JUMP) \
  X (SISTA, POP_STORE_RCVR_VAR,    200, 207, 1, ST_OP_POP_STORE_RCVR_VAR,     0, 0, ST_BC_F_NONE) \
  X (SISTA, POP_STORE_TEMP,        208, 215, 1, ST_OP_POP_STORE_TEMP,         0, 0, ST_BC_F_NONE) \
  X (SISTA, POP,                   216, 216, 1, ST_OP_POP,                    0, 0, ST_BC_F_NONE) \
  X (SISTA, TRAP,                  217, 217, 1, ST_OP_TRAP,                   0, 0, ST_BC_F_NONE) \
  X (SISTA, UNUSED_218,            218, 223, 1, ST_OP_UNKNOWN,                0, 0, ST_BC_F_NONE) \
  X (SISTA, EXT_A,                 224, 224, 2, ST_OP_EXT_A,                  0, 0, ST_BC_F_EXT) \
  X (SISTA, EXT_B,                 225, 225, 2, ST_OP_EXT_B,                  0, 0, ST_BC_F_EXT) \
  X (SISTA, EXT_PUSH_RCVR_VAR,     226, 226, 2, ST_OP_PUSH_RCVR_VAR,          0, 0, ST_BC_F_NONE) \
  X (SISTA, EXT_PUSH_LIT_VAR,      227, 227, 2, ST_OP_PUSH_LIT_VAR,           0, 0, ST_BC_F_NONE) \
  X (SISTA, EXT_PUSH_LIT_CONST,    228, 228, 2, ST_OP_PUSH_LIT_CONST,         0, 0, ST_BC_F_NONE) \
  X (SISTA, LONG_PUSH_TEMP,        229, 229, 2, ST_OP_PUSH_TEMP,              0, 0, ST_BC_F_NONE) \
  X (SISTA, UNUSED_230,            230, 230, 2, ST_OP_UNKNOWN,                0, 0, ST_BC_F_NONE) \
  X (SISTA, PUSH_NEW_ARRAY,        231, 231, 2, ST_OP_PUSH_NEW_ARRAY,         0, 0, ST_BC_F_NONE) \
  X (SISTA, PUSH_INTEGER,          232, 232, 2, ST_OP_PUSH_INT,               0, 0, ST_BC_F_NONE) \
  X (SISTA, PUSH_CHARACTER,        233, 233, 2, ST_OP_PUSH_CHAR,              0, 0, ST_BC_F_NONE) \
  X (SISTA, EXT_SEND,              234, 234, 2, ST_OP_SEND,                   0, 0, ST_BC_F_SENDS) \
  X (SISTA, EXT_SUPER_SEND,        235, 235, 2, ST_OP_SUPER_SEND,             0, 0, ST_BC_F_SENDS) \
  X (SISTA, CALL_INLINED_PRIM,     236, 236, 2, ST_OP_CALL_INLINED_PRIMITIVE, 0, 0, ST_BC_F_NONE) \
  X (SISTA, EXT_JUMP,              237, 237, 2, ST_OP_JUMP,                   0, 0, ST_BC_F_JUMP) \
  X (SISTA, EXT_JUMP_TRUE,         238, 238, 2, ST_OP_JUMP_TRUE,              0, 0, ST_BC_F_JUMP) \
  X (SISTA, EXT_JUMP_FALSE,        239, 239, 2, ST_OP_JUMP_FALSE,             0, 0, ST_BC_F_JUMP) \
  X (SISTA, EXT_POP_STORE_RCVR_VAR,240, 240, 2, ST_OP_POP_STORE_RCVR_VAR,     0, 0, ST_BC_F_NONE) \
  X (SISTA, EXT_POP_STORE_LIT_VAR, 241, 241, 2, ST_OP_POP_STORE_LIT_VAR,      0, 0, ST_BC_F_NONE) \
  X (SISTA, LONG_POP_STORE_TEMP,   242, 242, 2, ST_OP_POP_STORE_TEMP,         0, 0, ST_BC_F_NONE) \
  X (SISTA, EXT_STORE_RCVR_VAR,    243, 243, 2, ST_OP_STORE_RCVR_VAR,         0, 0, ST_BC_F_NONE) \
  X (SISTA, EXT_STORE_LIT_VAR,     244, 244, 2, ST_OP_STORE_LIT_VAR,          0, 0, ST_BC_F_NONE) \
  X (SISTA, LONG_STORE_TEMP,       245, 245, 2, ST_OP_STORE_TEMP,             0, 0, ST_BC_F_NONE) \
  X (SISTA, UNUSED_246,            246, 247, 2, ST_OP_UNKNOWN,                0, 0, ST_BC_F_NONE) \
  X (SISTA, CALL_PRIMITIVE,        248, 248, 3, ST_OP_CALL_PRIMITIVE,         0, 0, ST_BC_F_NONE) \
  X (SISTA, PUSH_FULL_CLOSURE,     249, 249, 3, ST_OP_PUSH_FULL_CLOSURE,      0, 0, ST_BC_F_NONE) \
  X (SISTA, PUSH_CLOSURE,          250, 250, 3, ST_OP_PUSH_CLOSURE,           0, 0, ST_BC_F_NONE) \
  X (SISTA, PUSH_REMOTE_TEMP,      251, 251, 3, ST_OP_PUSH_REMOTE_TEMP,       0, 0, ST_BC_F_NONE) \
  X (SISTA, STORE_REMOTE_TEMP,     252, 252, 3, ST_OP_STORE_REMOTE_TEMP,      0, 0, ST_BC_F_NONE) \
  X (SISTA, POP_STORE_REMOTE_TEMP, 253, 253, 3, ST_OP_POP_STORE_REMOTE_TEMP,  0, 0, ST_BC_F_NONE) \
  X (SISTA, UNUSED_254,            254, 255, 3, ST_OP_UNKNOWN,                0, 0, ST_BC_F_NONE)

/* Row identifiers: ST_BC_V3_PUSH_TEMP, ST_BC_SISTA_EXT_SEND, ... */
typedef enum {
#define ST_BC_ROW_ID(set, id, first, last, len, op, base, arg, flags) ST_BC_##set##_##id,
  ST_BYTECODES_V3 (ST_BC_ROW_ID)
  ST_BYTECODES_SISTA (ST_BC_ROW_ID)
#undef ST_BC_ROW_ID
  ST_BC_N_ROWS
} StBcRowId;

/* Each row's opcode range as constants, for a dispatch switch:
 *   case ST_BC_V3_PUSH_TEMP_FIRST ... ST_BC_V3_PUSH_TEMP_LAST: */
enum {
#define ST_BC_ROW_RANGE(set, id, first, last, len, op, base, arg, flags) \
  ST_BC_##set##_##id##_FIRST = first, ST_BC_##set##_##id##_LAST = last,
  ST_BYTECODES_V3 (ST_BC_ROW_RANGE)
  ST_BYTECODES_SISTA (ST_BC_ROW_RANGE)
#undef ST_BC_ROW_RANGE
};

typedef struct {
  StBcRowId   id;
  const char *name;      /* "V3_PUSH_TEMP" */
  guint8      first, last;
  guint8      length;
  StBcOp      op;
  int         base;
  int         arg;
  guint       flags;
} StBcRow;

/* The rows, in opcode order per set, and a 256-entry index per set.
 * Defined (as constant data) in disasm.c. */
extern const StBcRow st_bytecode_rows[ST_BC_N_ROWS];

G_END_DECLS
