/* SPDX-License-Identifier: GPL-3.0-or-later */
/* disasm.h: bytecode decoding and the disassembler.
 *
 * st_bytecode_decode reads one instruction of either set (bytecodes.h),
 * folding SistaV1 extension prefixes into the instruction they extend.
 *
 * st_disasm_method turns a CompiledMethod (or CompiledBlock) into plain
 * data: one line per instruction with its pc, bytes, mnemonic, operands
 * (literals printed symbolically), jump target, and whether it is where a
 * context stands.  The bytecode set is chosen per method from its header.
 *
 * pcs are printed as the image sees them: 1-based byte indices into the
 * method, literals counted in the image's own word size (so the first
 * bytecode of a 32-bit method with n literals is at 4 * n + 5, of a 64-bit
 * one at 8 * n + 9).  In the heap a 32-bit image's contexts hold pcs in
 * 64-bit layout terms (image-read adds (n + 1) * 4); this module converts. */
#pragma once

#include "objmem.h"
#include "method.h"
#include "bytecodes.h"
#include "printer.h"
#include "source.h"

G_BEGIN_DECLS

typedef struct {
  StBcRowId row;
  StBcOp    op;
  guint8    opcode;       /* the instruction's own opcode, after any prefixes */
  guint     length;       /* bytes, prefixes included */
  int64_t   a, b, c;      /* operands, see StBcOp */
  int64_t   ext_a, ext_b; /* folded SistaV1 extensions (0 when none) */
} StBcInstr;

/* Decode the instruction at bytes[off]; bytes[0..len) are readable.
 * FALSE when the instruction runs past len (out->length then says how
 * many bytes it needs).  Unused opcodes decode as ST_OP_UNKNOWN. */
bool st_bytecode_decode (StBytecodeSet set, const guint8 *bytes, gsize len, gsize off, StBcInstr *out);

/* The row describing an opcode in a set. */
const StBcRow *st_bytecode_row (StBytecodeSet set, guint8 opcode);

/* The selector of special selector i (0..31) and its argument count, from
 * the image's SpecialSelectors array (special object 23); the standard
 * names when that array is unreadable.  Newly allocated. */
char *st_special_selector (StPrinter *p, guint i, guint *num_args);

typedef struct {
  uint64_t  pc;           /* image-convention pc (1-based) */
  uint64_t  offset;       /* 0-based byte offset in the heap object's byte part */
  guint     length;
  char     *bytes;        /* "E0 01 EA" */
  char     *mnemonic;     /* "send:" */
  char     *operands;     /* "#at:put: (2 args)", may be "" */
  StBcInstr instr;
  bool      has_target;
  uint64_t  target_pc;    /* jump target, image-convention */
  guint     depth;        /* nesting of inline (non-full) blocks */
  bool      is_current;   /* the context's pc is here: the next instruction to run */
  bool      is_pending;   /* the send in progress in a sender context (just before pc) */
} StDisasmLine;

typedef struct _StDisasm StDisasm;
struct _StDisasm {
  StOop          method;
  char          *title;         /* "Foo>>bar", "[] in Foo>>bar" */
  StMethodHeader header;
  bool           is_block;      /* a CompiledBlock */
  guint          word_bytes;    /* the image's word size, for the pc convention */
  uint64_t       initial_pc;    /* image-convention */
  uint64_t       end_pc;        /* image-convention pc of the last bytecode byte */
  StTrailer      trailer;
  bool           has_trailer;
  GPtrArray     *literals;      /* char *: literal i printed */
  GArray        *lines;         /* StDisasmLine */
  GPtrArray     *blocks;        /* StDisasm *: CompiledBlocks among the literals (SistaV1 full blocks) */
  bool           has_current;
  uint64_t       current_pc;    /* image-convention */
  char          *warning;       /* a problem met (truncated instruction...), or NULL */
};

/* Disassemble a method.  `heap_pc` is a context's stored pc (64-bit
 * layout, 1-based), or 0 for none; `pending` marks the instruction before
 * it as the send in progress (for sender frames). */
StDisasm *st_disasm_method (StPrinter *p, StOop method, int64_t heap_pc, bool pending, GError **error);
/* The same with the image's trailer style already known (for many methods). */
StDisasm *st_disasm_method_styled (StPrinter *p, StOop method, StTrailerStyle style, int64_t heap_pc,
                                   bool pending, GError **error);
void      st_disasm_free (StDisasm *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StDisasm, st_disasm_free)

/* A literal as Smalltalk source: Symbols as #foo (or #'...'), others as
 * the printer prints them.  The name a binding (association) stands for. */
char *st_disasm_literal_text (StPrinter *p, StOop literal);
char *st_disasm_binding_text (StPrinter *p, StOop binding);

/* One instruction as text: "pushTemp: 0", "send: #foo:bar: (2 args)". */
char *st_disasm_instruction_text (StPrinter *p, StOop method, const StBcInstr *in, uint64_t next_pc_image,
                                  char **mnemonic, char **operands);

/* Does the method look like a CompiledBlock (SistaV1: its last literal is
 * not a binding whose value is a class but a method or block)? */
bool st_disasm_is_compiled_block (StPrinter *p, StOop method);

/* Convert between a heap byte offset and the image-convention pc. */
uint64_t st_disasm_image_pc (const StVM *vm, const StMethodHeader *h, uint64_t heap_offset);
uint64_t st_disasm_heap_offset (const StVM *vm, const StMethodHeader *h, uint64_t image_pc);

/* The end (exclusive heap byte offset) of the bytecodes: before the
 * trailer.  Never below initial_pc. */
uint64_t st_disasm_bytecode_end (StVM *vm, StOop method, const StMethodHeader *h, StTrailerStyle style,
                                 StTrailer *trailer);

/* The frames of the active process, innermost first: contexts (at most
 * `max`).  Empty when the image has none. */
GArray *st_disasm_active_stack (StPrinter *p, guint max);

G_END_DECLS
