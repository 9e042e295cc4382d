/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "disasm.h"

#define MAX_PREFIXES     4     /* more SistaV1 extensions than this are not folded (keeps them in 32 bits) */
#define MAX_BLOCK_DEPTH  16    /* CompiledBlocks nested deeper are not disassembled */
#define MAX_LITERAL_TEXT 80

const StBcRow st_bytecode_rows[ST_BC_N_ROWS] = {
#define ST_BC_ROW(set, id, first, last, len, op, base, arg, flags) \
  { ST_BC_##set##_##id, #set "_" #id, first, last, len, op, base, arg, flags },
  ST_BYTECODES_V3 (ST_BC_ROW)
  ST_BYTECODES_SISTA (ST_BC_ROW)
#undef ST_BC_ROW
};

const StBcRow *
st_bytecode_row (StBytecodeSet set, guint8 opcode)
{
  /* Rows are sorted by opcode within each set: a binary search. */
  guint lo = set == ST_BYTECODE_SET_SISTA_V1 ? ST_BC_SISTA_PUSH_RCVR_VAR : ST_BC_V3_PUSH_RCVR_VAR;
  guint hi = set == ST_BYTECODE_SET_SISTA_V1 ? ST_BC_N_ROWS : ST_BC_SISTA_PUSH_RCVR_VAR;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      const StBcRow *r = &st_bytecode_rows[mid];
      if (opcode < r->first)
        hi = mid;
      else if (opcode > r->last)
        lo = mid + 1;
      else
        return r;
    }
  g_assert_not_reached ();
  return &st_bytecode_rows[0];
}

bool
st_bytecode_decode (StBytecodeSet set, const guint8 *bytes, gsize len, gsize off, StBcInstr *out)
{
  memset (out, 0, sizeof *out);
  gsize p = off;
  int64_t ext_a = 0, ext_b = 0;
  guint n_ext_b = 0;
  const StBcRow *row;
  for (guint n = 0;; n++)
    {
      if (p >= len)
        {
          out->length = (guint) (p - off + 1);
          return false;
        }
      row = st_bytecode_row (set, bytes[p]);
      if (p + row->length > len)
        {
          out->length = (guint) (p + row->length - off);
          return false;
        }
      if (!(row->flags & ST_BC_F_EXT) || n >= MAX_PREFIXES)
        break;
      guint8 b = bytes[p + 1];
      if (row->op == ST_OP_EXT_A)
        ext_a = ext_a * 256 + b;
      else
        {
          /* The first extB byte is signed, later ones extend it. */
          ext_b = (n_ext_b == 0 && b > 127) ? (int64_t) b - 256 : ext_b * 256 + b;
          n_ext_b++;
        }
      p += 2;
    }
  guint8 op = bytes[p];
  guint8 b2 = row->length > 1 ? bytes[p + 1] : 0;
  guint8 b3 = row->length > 2 ? bytes[p + 2] : 0;
  guint8 b4 = row->length > 3 ? bytes[p + 3] : 0;
  out->row = row->id;
  out->op = row->op;
  out->opcode = op;
  out->length = (guint) (p - off + row->length);
  out->ext_a = ext_a;
  out->ext_b = ext_b;
  out->a = (int64_t) (op - row->first) + row->base;
  out->b = row->arg;

  static const StBcOp ext_push[4] = { ST_OP_PUSH_RCVR_VAR, ST_OP_PUSH_TEMP, ST_OP_PUSH_LIT_CONST, ST_OP_PUSH_LIT_VAR };
  static const StBcOp ext_store[4] = { ST_OP_STORE_RCVR_VAR, ST_OP_STORE_TEMP, ST_OP_UNKNOWN, ST_OP_STORE_LIT_VAR };
  static const StBcOp ext_pop_store[4] = { ST_OP_POP_STORE_RCVR_VAR, ST_OP_POP_STORE_TEMP, ST_OP_UNKNOWN, ST_OP_POP_STORE_LIT_VAR };
  static const StBcOp double_ext[8] = {
    ST_OP_SEND, ST_OP_SUPER_SEND, ST_OP_PUSH_RCVR_VAR, ST_OP_PUSH_LIT_CONST,
    ST_OP_PUSH_LIT_VAR, ST_OP_STORE_RCVR_VAR, ST_OP_POP_STORE_RCVR_VAR, ST_OP_STORE_LIT_VAR,
  };

  if (set != ST_BYTECODE_SET_SISTA_V1 && set != ST_BYTECODE_SET_V3_CLOSURES && (row->flags & ST_BC_F_CLOSURES))
    {
      /* Plain V3 (6502) has no closure bytecodes. */
      out->op = ST_OP_UNKNOWN;
      out->a = op;
      return true;
    }

  switch (row->id)
    {
    case ST_BC_V3_EXT_PUSH:
      out->op = ext_push[b2 >> 6];
      out->a = b2 & 63;
      break;
    case ST_BC_V3_EXT_STORE:
      out->op = ext_store[b2 >> 6];
      out->a = b2 & 63;
      break;
    case ST_BC_V3_EXT_POP_STORE:
      out->op = ext_pop_store[b2 >> 6];
      out->a = b2 & 63;
      break;
    case ST_BC_V3_EXT_SEND:
      out->a = b2 & 31;
      out->b = b2 >> 5;
      break;
    case ST_BC_V3_DOUBLE_EXT:
      out->op = double_ext[b2 >> 5];
      out->a = b3;
      out->b = (out->op == ST_OP_SEND || out->op == ST_OP_SUPER_SEND) ? (b2 & 31) : 0;
      break;
    case ST_BC_V3_EXT_SUPER_SEND:
      out->a = b2 & 31;
      out->b = b2 >> 5;
      break;
    case ST_BC_V3_SECOND_EXT_SEND:
      out->a = b2 & 63;
      out->b = b2 >> 6;
      break;
    case ST_BC_V3_PUSH_NEW_ARRAY:
    case ST_BC_SISTA_PUSH_NEW_ARRAY:
      out->op = b2 > 127 ? ST_OP_CONS_ARRAY : ST_OP_PUSH_NEW_ARRAY;
      out->a = b2 & 127;
      break;
    case ST_BC_V3_CALL_PRIMITIVE:
    case ST_BC_SISTA_CALL_PRIMITIVE:
      out->a = b2 | (b3 << 8);
      break;
    case ST_BC_V3_PUSH_REMOTE_TEMP:
    case ST_BC_V3_STORE_REMOTE_TEMP:
    case ST_BC_V3_POP_STORE_REMOTE_TEMP:
    case ST_BC_SISTA_PUSH_REMOTE_TEMP:
    case ST_BC_SISTA_STORE_REMOTE_TEMP:
    case ST_BC_SISTA_POP_STORE_REMOTE_TEMP:
      out->a = b2;
      out->b = b3;
      break;
    case ST_BC_V3_PUSH_CLOSURE:
      out->a = b2 >> 4;
      out->b = b2 & 15;
      out->c = (b3 << 8) | b4;
      break;
    case ST_BC_V3_LONG_JUMP:
      out->a = ((int64_t) (op & 7) - 4) * 256 + b2;
      break;
    case ST_BC_V3_LONG_JUMP_TRUE:
    case ST_BC_V3_LONG_JUMP_FALSE:
      out->a = (int64_t) (op & 3) * 256 + b2;
      break;
    case ST_BC_SISTA_PUSH_PSEUDO:
      if (ext_b != 0)
        {
          out->op = ST_OP_PUSH_PSEUDO;
          out->a = ext_b;
        }
      break;
    case ST_BC_SISTA_EXT_PUSH_RCVR_VAR:
    case ST_BC_SISTA_EXT_PUSH_LIT_VAR:
    case ST_BC_SISTA_EXT_PUSH_LIT_CONST:
    case ST_BC_SISTA_EXT_POP_STORE_RCVR_VAR:
    case ST_BC_SISTA_EXT_POP_STORE_LIT_VAR:
    case ST_BC_SISTA_EXT_STORE_RCVR_VAR:
    case ST_BC_SISTA_EXT_STORE_LIT_VAR:
      out->a = b2 + ext_a * 256;
      break;
    case ST_BC_SISTA_LONG_PUSH_TEMP:
    case ST_BC_SISTA_LONG_POP_STORE_TEMP:
    case ST_BC_SISTA_LONG_STORE_TEMP:
    case ST_BC_SISTA_CALL_INLINED_PRIM:
      out->a = b2;
      break;
    case ST_BC_SISTA_PUSH_INTEGER:
    case ST_BC_SISTA_PUSH_CHARACTER:
    case ST_BC_SISTA_EXT_JUMP:
    case ST_BC_SISTA_EXT_JUMP_TRUE:
    case ST_BC_SISTA_EXT_JUMP_FALSE:
      out->a = b2 + ext_b * 256;
      break;
    case ST_BC_SISTA_EXT_SEND:
      out->a = (b2 >> 3) + ext_a * 32;
      out->b = (b2 & 7) + ext_b * 8;
      break;
    case ST_BC_SISTA_EXT_SUPER_SEND:
      out->a = (b2 >> 3) + ext_a * 32;
      if (ext_b >= 64)
        {
          out->op = ST_OP_DIRECTED_SUPER_SEND;
          out->b = (b2 & 7) + (ext_b & 63) * 8;
        }
      else
        out->b = (b2 & 7) + ext_b * 8;
      break;
    case ST_BC_SISTA_PUSH_FULL_CLOSURE:
      out->a = b2 + ext_a * 256;
      out->b = b3 & 63;
      out->c = b3 >> 6;
      break;
    case ST_BC_SISTA_PUSH_CLOSURE:
      out->b = (b2 & 7) + (ext_a % 16) * 8;
      out->a = ((b2 >> 3) & 7) + (ext_a / 16) * 8;
      out->c = b3 + ext_b * 256;
      break;
    case ST_BC_SISTA_EXT_A:
    case ST_BC_SISTA_EXT_B:
      out->a = b2;
      break;
    default:
      if (row->op == ST_OP_UNKNOWN)
        out->a = op;
      break;
    }
  return true;
}

/* ---- special selectors ---- */

static const struct { const char *name; guint args; } standard_specials[32] = {
  { "+", 1 }, { "-", 1 }, { "<", 1 }, { ">", 1 }, { "<=", 1 }, { ">=", 1 }, { "=", 1 }, { "~=", 1 },
  { "*", 1 }, { "/", 1 }, { "\\\\", 1 }, { "@", 1 }, { "bitShift:", 1 }, { "//", 1 }, { "bitAnd:", 1 }, { "bitOr:", 1 },
  { "at:", 1 }, { "at:put:", 2 }, { "size", 0 }, { "next", 0 }, { "nextPut:", 1 }, { "atEnd", 0 }, { "==", 1 }, { "class", 0 },
  { "blockCopy:", 1 }, { "value", 0 }, { "value:", 1 }, { "do:", 1 }, { "new", 0 }, { "new:", 1 }, { "x", 0 }, { "y", 0 },
};

char *
st_special_selector (StPrinter *p, guint i, guint *num_args)
{
  StVM *vm = st_printer_vm (p);
  if (i >= 32)
    {
      if (num_args)
        *num_args = 0;
      return g_strdup ("?");
    }
  StOop arr = st_special (vm, ST_SPLOB_SPECIAL_SELECTORS);
  if (st_printer_is_object (vm, arr) && st_fmt_is_pointers (st_format (vm, arr))
      && st_num_slots (vm, arr) >= 2 * i + 2)
    {
      StOop sel = st_fetch (vm, arr, 2 * i);
      StOop n = st_fetch (vm, arr, 2 * i + 1);
      if (st_printer_is_symbol (p, sel) && st_is_smallint (n) && st_smallint_value (n) >= 0
          && st_smallint_value (n) < 16)
        {
          if (num_args)
            *num_args = (guint) st_smallint_value (n);
          return st_printer_bytes_string (p, sel);
        }
    }
  if (num_args)
    *num_args = standard_specials[i].args;
  return g_strdup (standard_specials[i].name);
}

/* ---- literals ---- */

static bool
is_plain_selector (const char *s)
{
  if (*s == '\0')
    return false;
  if (g_ascii_isalpha (*s) || *s == '_')
    {
      /* unary or keyword: letters, digits, underscores, colons after words */
      for (const char *c = s; *c; c++)
        if (!(g_ascii_isalnum (*c) || *c == '_' || *c == ':'))
          return false;
      return true;
    }
  for (const char *c = s; *c; c++)
    if (!strchr ("+-*/\\~<>=@%|&?,!", *c))
      return false;
  return true;
}

char *
st_disasm_literal_text (StPrinter *p, StOop lit)
{
  if (st_printer_is_symbol (p, lit))
    {
      g_autofree char *s = st_printer_bytes_string (p, lit);
      if (s != NULL && is_plain_selector (s) && g_utf8_validate (s, -1, NULL))
        return g_strdup_printf ("#%s", s);
    }
  return st_printer_print (p, lit, MAX_LITERAL_TEXT);
}

char *
st_disasm_binding_text (StPrinter *p, StOop lit)
{
  StVM *vm = st_printer_vm (p);
  if (st_printer_is_object (vm, lit) && st_fmt_is_pointers (st_format (vm, lit)) && st_num_slots (vm, lit) >= 2)
    {
      StOop key = st_fetch (vm, lit, 0);
      if (st_printer_is_symbol (p, key) || st_printer_is_string (p, key))
        {
          char *s = st_printer_bytes_string (p, key);
          if (s != NULL)
            return s;
        }
    }
  return st_printer_print (p, lit, MAX_LITERAL_TEXT);
}

static char *
method_literal_text (StPrinter *p, StOop method, int64_t i, bool binding)
{
  StVM *vm = st_printer_vm (p);
  StMethodHeader h;
  if (!st_method_header (vm, method, &h, NULL) || i < 0 || i >= (int64_t) h.num_literals)
    return g_strdup_printf ("<literal %" G_GINT64_FORMAT " out of range>", i);
  StOop lit = st_method_literal (vm, method, (guint) i);
  return binding ? st_disasm_binding_text (p, lit) : st_disasm_literal_text (p, lit);
}

static char *
selector_text (StPrinter *p, StOop method, int64_t i)
{
  StVM *vm = st_printer_vm (p);
  StMethodHeader h;
  if (!st_method_header (vm, method, &h, NULL) || i < 0 || i >= (int64_t) h.num_literals)
    return g_strdup_printf ("<literal %" G_GINT64_FORMAT " out of range>", i);
  StOop lit = st_method_literal (vm, method, (guint) i);
  if (st_printer_is_symbol (p, lit))
    {
      g_autofree char *s = st_printer_bytes_string (p, lit);
      return g_strdup_printf ("#%s", s ? s : "?");
    }
  return st_printer_print (p, lit, MAX_LITERAL_TEXT);
}

char *
st_disasm_instruction_text (StPrinter *p, StOop method, const StBcInstr *in, uint64_t next_pc_image,
                            char **mnemonic, char **operands)
{
  const char *m = NULL;
  char *ops = NULL;
  switch (in->op)
    {
    case ST_OP_UNKNOWN:
      m = "unknownBytecode";
      ops = g_strdup_printf ("%u", in->opcode);
      break;
    case ST_OP_PUSH_RCVR_VAR: m = "pushRcvr:"; ops = g_strdup_printf ("%" G_GINT64_FORMAT, in->a); break;
    case ST_OP_PUSH_TEMP: m = "pushTemp:"; ops = g_strdup_printf ("%" G_GINT64_FORMAT, in->a); break;
    case ST_OP_PUSH_LIT_CONST: m = "pushConstant:"; ops = method_literal_text (p, method, in->a, false); break;
    case ST_OP_PUSH_LIT_VAR: m = "pushLit:"; ops = method_literal_text (p, method, in->a, true); break;
    case ST_OP_PUSH_SELF: m = "self"; break;
    case ST_OP_PUSH_TRUE: m = "pushConstant:"; ops = g_strdup ("true"); break;
    case ST_OP_PUSH_FALSE: m = "pushConstant:"; ops = g_strdup ("false"); break;
    case ST_OP_PUSH_NIL: m = "pushConstant:"; ops = g_strdup ("nil"); break;
    case ST_OP_PUSH_INT: m = "pushConstant:"; ops = g_strdup_printf ("%" G_GINT64_FORMAT, in->a); break;
    case ST_OP_PUSH_CHAR:
      m = "pushConstant:";
      if (in->a > 32 && in->a < 127)
        ops = g_strdup_printf ("$%c", (char) in->a);
      else
        ops = g_strdup_printf ("(Character value: %" G_GINT64_FORMAT ")", in->a);
      break;
    case ST_OP_PUSH_THIS_CONTEXT: m = "pushThisContext:"; break;
    case ST_OP_PUSH_PSEUDO: m = "pushPseudoVariable:"; ops = g_strdup_printf ("%" G_GINT64_FORMAT, in->a); break;
    case ST_OP_PUSH_NEW_ARRAY: m = "push:"; ops = g_strdup_printf ("(Array new: %" G_GINT64_FORMAT ")", in->a); break;
    case ST_OP_CONS_ARRAY:
      m = "pop";
      ops = g_strdup_printf ("%" G_GINT64_FORMAT " into (Array new: %" G_GINT64_FORMAT ")", in->a, in->a);
      break;
    case ST_OP_PUSH_REMOTE_TEMP:
    case ST_OP_STORE_REMOTE_TEMP:
    case ST_OP_POP_STORE_REMOTE_TEMP:
      m = in->op == ST_OP_PUSH_REMOTE_TEMP ? "pushTemp:" : in->op == ST_OP_STORE_REMOTE_TEMP ? "storeIntoTemp:" : "popIntoTemp:";
      ops = g_strdup_printf ("%" G_GINT64_FORMAT " inVectorAt: %" G_GINT64_FORMAT, in->a, in->b);
      break;
    case ST_OP_STORE_RCVR_VAR: m = "storeIntoRcvr:"; ops = g_strdup_printf ("%" G_GINT64_FORMAT, in->a); break;
    case ST_OP_STORE_TEMP: m = "storeIntoTemp:"; ops = g_strdup_printf ("%" G_GINT64_FORMAT, in->a); break;
    case ST_OP_STORE_LIT_VAR: m = "storeIntoLit:"; ops = method_literal_text (p, method, in->a, true); break;
    case ST_OP_POP_STORE_RCVR_VAR: m = "popIntoRcvr:"; ops = g_strdup_printf ("%" G_GINT64_FORMAT, in->a); break;
    case ST_OP_POP_STORE_TEMP: m = "popIntoTemp:"; ops = g_strdup_printf ("%" G_GINT64_FORMAT, in->a); break;
    case ST_OP_POP_STORE_LIT_VAR: m = "popIntoLit:"; ops = method_literal_text (p, method, in->a, true); break;
    case ST_OP_POP: m = "pop"; break;
    case ST_OP_DUP: m = "dup"; break;
    case ST_OP_RETURN_SELF: m = "returnSelf"; break;
    case ST_OP_RETURN_TRUE: m = "return:"; ops = g_strdup ("true"); break;
    case ST_OP_RETURN_FALSE: m = "return:"; ops = g_strdup ("false"); break;
    case ST_OP_RETURN_NIL: m = "return:"; ops = g_strdup ("nil"); break;
    case ST_OP_RETURN_TOP: m = "returnTop"; break;
    case ST_OP_BLOCK_RETURN_TOP: m = "blockReturn"; break;
    case ST_OP_BLOCK_RETURN_NIL: m = "blockReturn:"; ops = g_strdup ("nil"); break;
    case ST_OP_SEND:
    case ST_OP_SUPER_SEND:
    case ST_OP_DIRECTED_SUPER_SEND:
      {
        m = in->op == ST_OP_SEND ? "send:" : in->op == ST_OP_SUPER_SEND ? "superSend:" : "directedSuperSend:";
        g_autofree char *sel = selector_text (p, method, in->a);
        ops = g_strdup_printf ("%s (%" G_GINT64_FORMAT " arg%s)", sel, in->b, in->b == 1 ? "" : "s");
        break;
      }
    case ST_OP_SEND_SPECIAL:
      {
        guint n = 0;
        g_autofree char *sel = st_special_selector (p, (guint) in->a, &n);
        m = "send:";
        ops = g_strdup_printf ("#%s (%u arg%s)", sel, n, n == 1 ? "" : "s");
        break;
      }
    case ST_OP_JUMP:
    case ST_OP_JUMP_TRUE:
    case ST_OP_JUMP_FALSE:
      m = in->op == ST_OP_JUMP ? "jumpTo:" : in->op == ST_OP_JUMP_TRUE ? "jumpTrue:" : "jumpFalse:";
      ops = g_strdup_printf ("%" G_GINT64_FORMAT, (int64_t) next_pc_image + in->a);
      break;
    case ST_OP_CALL_PRIMITIVE:
      m = "callPrimitive:";
      if (in->a & 0x8000)
        ops = g_strdup_printf ("%" G_GINT64_FORMAT " (inlined %" G_GINT64_FORMAT ")", in->a, in->a & 0x7FFF);
      else
        ops = g_strdup_printf ("%" G_GINT64_FORMAT, in->a);
      break;
    case ST_OP_CALL_INLINED_PRIMITIVE: m = "callMappedInlinedPrimitive:"; ops = g_strdup_printf ("%" G_GINT64_FORMAT, in->a); break;
    case ST_OP_PUSH_CLOSURE:
      m = "closureNumCopied:";
      ops = g_strdup_printf ("%" G_GINT64_FORMAT " numArgs: %" G_GINT64_FORMAT " bytes %" G_GUINT64_FORMAT
                             " to %" G_GUINT64_FORMAT, in->a, in->b, next_pc_image,
                             next_pc_image + (uint64_t) in->c - 1);
      break;
    case ST_OP_PUSH_FULL_CLOSURE:
      {
        m = "pushFullClosure:";
        g_autofree char *lit = method_literal_text (p, method, in->a, false);
        ops = g_strdup_printf ("%s numCopied: %" G_GINT64_FORMAT "%s%s", lit, in->b,
                               (in->c & 2) ? " receiverOnStack" : "", (in->c & 1) ? " ignoreOuterContext" : "");
        break;
      }
    case ST_OP_NOP: m = "nop"; break;
    case ST_OP_TRAP: m = "trap"; break;
    case ST_OP_EXT_A: m = "extA:"; ops = g_strdup_printf ("%" G_GINT64_FORMAT, in->a); break;
    case ST_OP_EXT_B: m = "extB:"; ops = g_strdup_printf ("%" G_GINT64_FORMAT, in->a); break;
    case ST_OP_COUNT:
      m = "?";
      break;
    }
  if (ops == NULL)
    ops = g_strdup ("");
  char *text = *ops ? g_strdup_printf ("%s %s", m, ops) : g_strdup (m);
  if (mnemonic)
    *mnemonic = g_strdup (m);
  if (operands)
    *operands = ops;
  else
    g_free (ops);
  return text;
}

/* ---- pcs ---- */

uint64_t
st_disasm_image_pc (const StVM *vm, const StMethodHeader *h, uint64_t heap_offset)
{
  uint64_t shrink = (uint64_t) (h->num_literals + 1) * (8 - vm->personality.word_bytes);
  return heap_offset + 1 - shrink;
}

uint64_t
st_disasm_heap_offset (const StVM *vm, const StMethodHeader *h, uint64_t image_pc)
{
  uint64_t shrink = (uint64_t) (h->num_literals + 1) * (8 - vm->personality.word_bytes);
  return image_pc + shrink - 1;
}

bool
st_disasm_is_compiled_block (StPrinter *p, StOop method)
{
  StVM *vm = st_printer_vm (p);
  if (!st_printer_is_object (vm, method) || !st_fmt_is_method (st_format (vm, method)))
    return false;
  g_autofree char *name = st_printer_class_name_of (p, method);
  return name != NULL && strcmp (name, "CompiledBlock") == 0;
}

/* Do the instructions from start fill [start, end) exactly, the last one
 * ending the flow (a return or a jump), with no unreachable instruction
 * after a return or unconditional jump (every such one must be a jump
 * target or the continuation after an inline block)? */
static bool
ends_cleanly (StBytecodeSet set, const guint8 *b, uint64_t start, uint64_t end)
{
  if (start >= end)
    return start == end;
  gsize n = (gsize) (end - start);
  g_autofree guint8 *target = g_malloc0 (n + 1);
  g_autofree guint8 *is_start = g_malloc0 (n + 1);
  StBcInstr in = { 0 };
  uint64_t off = start;
  while (off < end)
    {
      if (!st_bytecode_decode (set, b, end, off, &in))
        return false;
      is_start[off - start] = 1;
      uint64_t next = off + in.length;
      if (in.op == ST_OP_JUMP || in.op == ST_OP_JUMP_TRUE || in.op == ST_OP_JUMP_FALSE)
        {
          int64_t t = (int64_t) next + in.a;
          if (t < (int64_t) start || t > (int64_t) end)
            return false;
          target[t - (int64_t) start] = 1;
        }
      if (in.op == ST_OP_PUSH_CLOSURE)
        {
          uint64_t t = next + (uint64_t) in.c;
          if (t > end)
            return false;
          target[t - start] = 1;
        }
      off = next;
    }
  const StBcRow *row = &st_bytecode_rows[in.row];
  if (off != end || (row->flags & (ST_BC_F_RETURN | ST_BC_F_JUMP)) == 0)
    return false;
  /* Jump targets land on instructions; code after a flow end is reached. */
  bool after_end = false, after_block_copy = false;
  for (off = start; off < end;)
    {
      if (target[off - start] && !is_start[off - start])
        return false;
      if (after_end && !target[off - start])
        return false;
      st_bytecode_decode (set, b, end, off, &in);
      const StBcRow *r = &st_bytecode_rows[in.row];
      /* A 6502 block body follows the jump around it: blockCopy: reaches it. */
      after_end = ((r->flags & ST_BC_F_RETURN) || in.op == ST_OP_JUMP) && !(in.op == ST_OP_JUMP && after_block_copy);
      after_block_copy = in.op == ST_OP_SEND_SPECIAL && in.a == 24 && set == ST_BYTECODE_SET_V3;
      off += in.length;
    }
  return true;
}

uint64_t
st_disasm_bytecode_end (StVM *vm, StOop method, const StMethodHeader *h, StTrailerStyle style, StTrailer *trailer)
{
  uint64_t bytes = st_byte_length (vm, method);
  StTrailer t;
  if (trailer == NULL)
    trailer = &t;
  if (!st_method_trailer (vm, method, h, style, trailer, NULL))
    return bytes;                     /* an impossible trailer: show every byte */
  uint64_t end = bytes - trailer->size;
  if (end < h->initial_pc)
    return h->initial_pc;
  /* Some old images (Squeak 2.2 and images shrunk from them) end methods
   * with 4 bytes whose last is below 252, or 0 after other bytes: when the
   * temp-name or zero reading cuts an instruction or leaves unreachable
   * code, and the 4-byte reading does not, take the 4-byte reading. */
  const guint8 *b = st_bytes (vm, method);
  if (((style == ST_TRAILER_STYLE_OLD && trailer->kind == ST_TRAILER_TEMP_NAMES)
       || trailer->kind == ST_TRAILER_NO_SOURCE) && trailer->size != 4
      && bytes >= h->initial_pc + 4 && ends_cleanly (h->bytecode_set, b, h->initial_pc, bytes - 4)
      && !ends_cleanly (h->bytecode_set, b, h->initial_pc, end))
    {
      if (trailer->kind != ST_TRAILER_NO_SOURCE)
        trailer->kind = ST_TRAILER_UNKNOWN;
      trailer->size = 4;
      trailer->data_offset = bytes - 4;
      trailer->data_length = 4;
      end = bytes - 4;
    }
  return end;
}

/* ---- the disassembler ---- */

static void
line_clear (gpointer data)
{
  StDisasmLine *l = data;
  g_free (l->bytes);
  g_free (l->mnemonic);
  g_free (l->operands);
}

void
st_disasm_free (StDisasm *d)
{
  if (d == NULL)
    return;
  g_free (d->title);
  g_free (d->warning);
  if (d->literals)
    g_ptr_array_unref (d->literals);
  if (d->lines)
    g_array_unref (d->lines);
  if (d->blocks)
    g_ptr_array_unref (d->blocks);
  g_free (d);
}

static char *
method_title (StPrinter *p, StOop method)
{
  return st_printer_print (p, method, 200);
}

static StDisasm *
disasm_one (StPrinter *p, StOop method, StTrailerStyle style, int64_t heap_pc, bool pending, guint depth,
            GHashTable *seen, GError **error)
{
  StVM *vm = st_printer_vm (p);
  StMethodHeader h;
  const char *why = NULL;
  if (!st_printer_is_object (vm, method) || !st_method_header (vm, method, &h, &why))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID, "object 0x%" G_GINT64_MODIFIER "x is not a method: %s",
                   method, why ? why : "not an object");
      return NULL;
    }
  StDisasm *d = g_new0 (StDisasm, 1);
  d->method = method;
  d->header = h;
  d->title = method_title (p, method);
  d->is_block = st_disasm_is_compiled_block (p, method);
  d->word_bytes = vm->personality.word_bytes;
  d->literals = g_ptr_array_new_with_free_func (g_free);
  d->lines = g_array_new (FALSE, TRUE, sizeof (StDisasmLine));
  g_array_set_clear_func (d->lines, line_clear);
  d->blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) st_disasm_free);

  for (guint i = 0; i < h.num_literals; i++)
    g_ptr_array_add (d->literals, st_disasm_literal_text (p, st_method_literal (vm, method, i)));

  uint64_t end = st_disasm_bytecode_end (vm, method, &h, d->is_block ? ST_TRAILER_STYLE_BLOCK : style, &d->trailer);
  d->has_trailer = !d->is_block;
  d->initial_pc = st_disasm_image_pc (vm, &h, h.initial_pc);
  d->end_pc = end > h.initial_pc ? st_disasm_image_pc (vm, &h, end - 1) : d->initial_pc;
  if (heap_pc > 0)
    {
      d->has_current = true;
      d->current_pc = st_disasm_image_pc (vm, &h, (uint64_t) heap_pc - 1);
    }

  const guint8 *bytes = st_bytes (vm, method);
  uint64_t block_ends[64];
  guint n_block_ends = 0;
  bool after_block_copy = false;
  for (uint64_t off = h.initial_pc; off < end;)
    {
      StBcInstr in;
      bool ok = st_bytecode_decode (h.bytecode_set, bytes, end, off, &in);
      while (n_block_ends > 0 && block_ends[n_block_ends - 1] <= off)
        n_block_ends--;
      StDisasmLine l = { 0 };
      l.pc = st_disasm_image_pc (vm, &h, off);
      l.offset = off;
      l.depth = n_block_ends;
      guint n = ok ? in.length : (guint) (end - off);
      l.length = n;
      GString *hex = g_string_new (NULL);
      for (guint i = 0; i < n && i < 16; i++)
        g_string_append_printf (hex, "%s%02X", i ? " " : "", bytes[off + i]);
      l.bytes = g_string_free (hex, FALSE);
      if (!ok)
        {
          l.mnemonic = g_strdup ("truncated");
          l.operands = g_strdup_printf ("(needs %u bytes, %u left before the trailer)", in.length, n);
          d->warning = g_strdup_printf ("the instruction at pc %" G_GUINT64_FORMAT " runs into the trailer", l.pc);
        }
      else
        {
          l.instr = in;
          uint64_t next = l.pc + in.length;
          g_free (st_disasm_instruction_text (p, method, &in, next, &l.mnemonic, &l.operands));
          if (in.op == ST_OP_JUMP || in.op == ST_OP_JUMP_TRUE || in.op == ST_OP_JUMP_FALSE)
            {
              l.has_target = true;
              l.target_pc = (uint64_t) ((int64_t) next + in.a);
            }
          if (in.op == ST_OP_PUSH_CLOSURE && n_block_ends < G_N_ELEMENTS (block_ends))
            block_ends[n_block_ends++] = off + in.length + (uint64_t) in.c;
          /* A 6502 block: blockCopy: then a jump around its body. */
          if (in.op == ST_OP_JUMP && in.a > 0 && after_block_copy && n_block_ends < G_N_ELEMENTS (block_ends))
            block_ends[n_block_ends++] = off + in.length + (uint64_t) in.a;
          after_block_copy = in.op == ST_OP_SEND_SPECIAL && in.a == 24 && h.bytecode_set == ST_BYTECODE_SET_V3;
        }
      if (heap_pc > 0)
        {
          uint64_t cur = (uint64_t) heap_pc - 1;
          if (cur == off)
            l.is_current = true;
          if (pending && off + n == cur)
            l.is_pending = true;
        }
      g_array_append_val (d->lines, l);
      off += n;
    }

  /* Full blocks (SistaV1): CompiledBlocks among the literals, each once
   * (a damaged heap may make them refer to each other). */
  g_hash_table_add (seen, GSIZE_TO_POINTER ((gsize) method));
  if (depth < MAX_BLOCK_DEPTH)
    for (guint i = 0; i < h.num_literals; i++)
      {
        StOop lit = st_method_literal (vm, method, i);
        if (!g_hash_table_contains (seen, GSIZE_TO_POINTER ((gsize) lit)) && st_disasm_is_compiled_block (p, lit))
          {
            StDisasm *b = disasm_one (p, lit, style, 0, false, depth + 1, seen, NULL);
            if (b != NULL)
              g_ptr_array_add (d->blocks, b);
          }
      }
  return d;
}

StDisasm *
st_disasm_method_styled (StPrinter *p, StOop method, StTrailerStyle style, int64_t heap_pc, bool pending,
                         GError **error)
{
  GHashTable *seen = g_hash_table_new (NULL, NULL);
  StDisasm *d = disasm_one (p, method, style, heap_pc, pending, 0, seen, error);
  g_hash_table_unref (seen);
  return d;
}

StDisasm *
st_disasm_method (StPrinter *p, StOop method, int64_t heap_pc, bool pending, GError **error)
{
  return st_disasm_method_styled (p, method, st_source_trailer_style (p), heap_pc, pending, error);
}

GArray *
st_disasm_active_stack (StPrinter *p, guint max)
{
  StVM *vm = st_printer_vm (p);
  GArray *frames = g_array_new (FALSE, FALSE, sizeof (StOop));
  StOop sched = st_printer_scheduler (p);
  if (sched == 0)
    return frames;
  StOop proc = st_fetch (vm, sched, 1);
  if (!st_printer_is_object (vm, proc) || !st_fmt_is_pointers (st_format (vm, proc)) || st_num_slots (vm, proc) < 2)
    return frames;
  StOop ctx = st_fetch (vm, proc, 1);
  while (frames->len < max && st_printer_is_context (p, ctx))
    {
      g_array_append_val (frames, ctx);
      ctx = st_fetch (vm, ctx, 0);
    }
  return frames;
}
