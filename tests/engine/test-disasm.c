/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The bytecode table, the decoder and the decompiler on synthetic code. */
#include "config.h"

#include <string.h>

#include "decompile.h"
#include "disasm.h"
#include "support.h"

/* ---- the table ---- */

static void
check_set_covered (StBytecodeSet set)
{
  /* Every opcode belongs to exactly one row of its set, and the lookup
   * finds that row. */
  guint owners[256] = { 0 };
  guint first = set == ST_BYTECODE_SET_SISTA_V1 ? ST_BC_SISTA_PUSH_RCVR_VAR : ST_BC_V3_PUSH_RCVR_VAR;
  guint last = set == ST_BYTECODE_SET_SISTA_V1 ? ST_BC_N_ROWS : ST_BC_SISTA_PUSH_RCVR_VAR;
  for (guint r = first; r < last; r++)
    {
      const StBcRow *row = &st_bytecode_rows[r];
      g_assert_cmpuint (row->id, ==, r);
      g_assert_cmpuint (row->first, <=, row->last);
      g_assert_cmpuint (row->length, >=, 1);
      g_assert_cmpuint (row->length, <=, 4);
      for (guint op = row->first; op <= row->last; op++)
        owners[op]++;
    }
  for (guint op = 0; op < 256; op++)
    {
      g_assert_cmpuint (owners[op], ==, 1);
      const StBcRow *row = st_bytecode_row (set, (guint8) op);
      g_assert_cmpuint (op, >=, row->first);
      g_assert_cmpuint (op, <=, row->last);
    }
}

static void
test_table_covers (void)
{
  check_set_covered (ST_BYTECODE_SET_V3_CLOSURES);
  check_set_covered (ST_BYTECODE_SET_SISTA_V1);
  g_assert_cmpstr (st_bytecode_rows[ST_BC_SISTA_PUSH_FULL_CLOSURE].name, ==, "SISTA_PUSH_FULL_CLOSURE");
  /* The range constants agree with the rows (they serve dispatch switches). */
  g_assert_cmpint (ST_BC_V3_PUSH_TEMP_FIRST, ==, 16);
  g_assert_cmpint (ST_BC_V3_PUSH_TEMP_LAST, ==, 31);
  g_assert_cmpint (ST_BC_SISTA_PUSH_FULL_CLOSURE_FIRST, ==, st_bytecode_rows[ST_BC_SISTA_PUSH_FULL_CLOSURE].first);
  g_assert_cmpint (ST_BC_SISTA_SEND_SPECIAL_LAST, ==, 127);
}

static StBcInstr
decode (StBytecodeSet set, const guint8 *b, gsize n)
{
  StBcInstr in;
  g_assert_true (st_bytecode_decode (set, b, n, 0, &in));
  g_assert_cmpuint (in.length, ==, n);
  return in;
}

static void
test_decode_v3 (void)
{
  const StBytecodeSet v3c = ST_BYTECODE_SET_V3_CLOSURES;
  StBcInstr in = decode (v3c, (const guint8[]) { 0x13 }, 1);
  g_assert_cmpint (in.op, ==, ST_OP_PUSH_TEMP);
  g_assert_cmpint (in.a, ==, 3);
  in = decode (v3c, (const guint8[]) { 0x74 }, 1);          /* push -1 */
  g_assert_cmpint (in.op, ==, ST_OP_PUSH_INT);
  g_assert_cmpint (in.a, ==, -1);
  in = decode (v3c, (const guint8[]) { 0x83, 0x64 }, 2);    /* single extended send: lit 4, 3 args */
  g_assert_cmpint (in.op, ==, ST_OP_SEND);
  g_assert_cmpint (in.a, ==, 4);
  g_assert_cmpint (in.b, ==, 3);
  in = decode (v3c, (const guint8[]) { 0x84, 0x22, 0x07 }, 3);   /* double extended: super send lit 7, 2 args */
  g_assert_cmpint (in.op, ==, ST_OP_SUPER_SEND);
  g_assert_cmpint (in.a, ==, 7);
  g_assert_cmpint (in.b, ==, 2);
  in = decode (v3c, (const guint8[]) { 0x84, 0xC0, 0x05 }, 3);   /* double extended: pop into rcvr 5 */
  g_assert_cmpint (in.op, ==, ST_OP_POP_STORE_RCVR_VAR);
  g_assert_cmpint (in.a, ==, 5);
  in = decode (v3c, (const guint8[]) { 0x82, 0xC9 }, 2);    /* extended pop-store: literal variable 9 */
  g_assert_cmpint (in.op, ==, ST_OP_POP_STORE_LIT_VAR);
  g_assert_cmpint (in.a, ==, 9);
  in = decode (v3c, (const guint8[]) { 0xA3, 0xEF }, 2);    /* long jump back 17 */
  g_assert_cmpint (in.op, ==, ST_OP_JUMP);
  g_assert_cmpint (in.a, ==, -17);
  in = decode (v3c, (const guint8[]) { 0xAD, 0x05 }, 2);    /* long jump if false 261 */
  g_assert_cmpint (in.op, ==, ST_OP_JUMP_FALSE);
  g_assert_cmpint (in.a, ==, 261);
  in = decode (v3c, (const guint8[]) { 0x9B }, 1);          /* short jump if false 4 */
  g_assert_cmpint (in.op, ==, ST_OP_JUMP_FALSE);
  g_assert_cmpint (in.a, ==, 4);
  in = decode (v3c, (const guint8[]) { 0x8F, 0x21, 0x01, 0x02 }, 4);
  g_assert_cmpint (in.op, ==, ST_OP_PUSH_CLOSURE);
  g_assert_cmpint (in.a, ==, 2);                            /* copied */
  g_assert_cmpint (in.b, ==, 1);                            /* args */
  g_assert_cmpint (in.c, ==, 258);                          /* size */
  in = decode (v3c, (const guint8[]) { 0x8B, 0x3C, 0x00 }, 3);
  g_assert_cmpint (in.op, ==, ST_OP_CALL_PRIMITIVE);
  g_assert_cmpint (in.a, ==, 60);
  in = decode (v3c, (const guint8[]) { 0x8A, 0x83 }, 2);
  g_assert_cmpint (in.op, ==, ST_OP_CONS_ARRAY);
  g_assert_cmpint (in.a, ==, 3);
  in = decode (v3c, (const guint8[]) { 0x8C, 0x01, 0x02 }, 3);
  g_assert_cmpint (in.op, ==, ST_OP_PUSH_REMOTE_TEMP);
  g_assert_cmpint (in.a, ==, 1);
  g_assert_cmpint (in.b, ==, 2);
  in = decode (v3c, (const guint8[]) { 0xC8 }, 1);          /* special 24: blockCopy: */
  g_assert_cmpint (in.op, ==, ST_OP_SEND_SPECIAL);
  g_assert_cmpint (in.a, ==, 24);
  in = decode (v3c, (const guint8[]) { 0xF5 }, 1);          /* send lit 5, 2 args */
  g_assert_cmpint (in.op, ==, ST_OP_SEND);
  g_assert_cmpint (in.a, ==, 5);
  g_assert_cmpint (in.b, ==, 2);

  /* Plain V3 (6502) has no closure bytecodes. */
  in = decode (ST_BYTECODE_SET_V3, (const guint8[]) { 0x8F, 0x00, 0x00, 0x01 }, 4);
  g_assert_cmpint (in.op, ==, ST_OP_UNKNOWN);

  /* A truncated instruction is refused, saying how long it is. */
  StBcInstr t;
  g_assert_false (st_bytecode_decode (v3c, (const guint8[]) { 0x8F, 0x21 }, 2, 0, &t));
  g_assert_cmpuint (t.length, ==, 4);
}

static void
test_decode_sista (void)
{
  const StBytecodeSet s = ST_BYTECODE_SET_SISTA_V1;
  StBcInstr in = decode (s, (const guint8[]) { 0x4C }, 1);
  g_assert_cmpint (in.op, ==, ST_OP_PUSH_SELF);
  in = decode (s, (const guint8[]) { 0x49 }, 1);            /* push temp 9 */
  g_assert_cmpint (in.op, ==, ST_OP_PUSH_TEMP);
  g_assert_cmpint (in.a, ==, 9);
  in = decode (s, (const guint8[]) { 0x13 }, 1);            /* push literal variable 3 */
  g_assert_cmpint (in.op, ==, ST_OP_PUSH_LIT_VAR);
  g_assert_cmpint (in.a, ==, 3);
  in = decode (s, (const guint8[]) { 0xE0, 0x01, 0xEA, 0x08 }, 4);  /* extA 1: send lit 33, 0 args */
  g_assert_cmpint (in.op, ==, ST_OP_SEND);
  g_assert_cmpint (in.a, ==, 33);
  g_assert_cmpint (in.b, ==, 0);
  g_assert_cmpint (in.ext_a, ==, 1);
  in = decode (s, (const guint8[]) { 0xE1, 0xFF, 0xED, 0xF0 }, 4);  /* extB -1: jump -16 */
  g_assert_cmpint (in.op, ==, ST_OP_JUMP);
  g_assert_cmpint (in.a, ==, -16);
  in = decode (s, (const guint8[]) { 0xE1, 0xFF, 0xE8, 0xFE }, 4);  /* push integer -2 */
  g_assert_cmpint (in.op, ==, ST_OP_PUSH_INT);
  g_assert_cmpint (in.a, ==, -2);
  in = decode (s, (const guint8[]) { 0xE1, 0x01, 0xE8, 0x00 }, 4);  /* push integer 256 */
  g_assert_cmpint (in.a, ==, 256);
  in = decode (s, (const guint8[]) { 0xE9, 0x41 }, 2);
  g_assert_cmpint (in.op, ==, ST_OP_PUSH_CHAR);
  g_assert_cmpint (in.a, ==, 'A');
  in = decode (s, (const guint8[]) { 0xF9, 0x03, 0x42 }, 3);
  g_assert_cmpint (in.op, ==, ST_OP_PUSH_FULL_CLOSURE);
  g_assert_cmpint (in.a, ==, 3);
  g_assert_cmpint (in.b, ==, 2);
  g_assert_cmpint (in.c, ==, 1);                            /* ignoreOuterContext */
  in = decode (s, (const guint8[]) { 0xE1, 0x40, 0xEB, 0x09 }, 4);  /* extB 64: directed super send */
  g_assert_cmpint (in.op, ==, ST_OP_DIRECTED_SUPER_SEND);
  g_assert_cmpint (in.a, ==, 1);
  g_assert_cmpint (in.b, ==, 1);
  in = decode (s, (const guint8[]) { 0xFA, 0x0A, 0x07 }, 3);        /* closure: 1 copied, 2 args, 7 bytes */
  g_assert_cmpint (in.op, ==, ST_OP_PUSH_CLOSURE);
  g_assert_cmpint (in.a, ==, 1);
  g_assert_cmpint (in.b, ==, 2);
  g_assert_cmpint (in.c, ==, 7);
  in = decode (s, (const guint8[]) { 0xF8, 0x3C, 0x00 }, 3);
  g_assert_cmpint (in.op, ==, ST_OP_CALL_PRIMITIVE);
  g_assert_cmpint (in.a, ==, 60);
  in = decode (s, (const guint8[]) { 0x52 }, 1);
  g_assert_cmpint (in.op, ==, ST_OP_PUSH_THIS_CONTEXT);
  in = decode (s, (const guint8[]) { 0x60 }, 1);
  g_assert_cmpint (in.op, ==, ST_OP_SEND_SPECIAL);
  g_assert_cmpint (in.a, ==, 0);
  in = decode (s, (const guint8[]) { 0xD9 }, 1);
  g_assert_cmpint (in.op, ==, ST_OP_TRAP);
  in = decode (s, (const guint8[]) { 0xFE, 0x00, 0x00 }, 3);
  g_assert_cmpint (in.op, ==, ST_OP_UNKNOWN);
}

/* ---- the decompiler on byte arrays ---- */

typedef struct {
  const char *const *literals;   /* as source text */
  guint n;
  const StDecompileCode *blocks; /* full blocks by literal index (set = 0 bytes NULL: none) */
} Lits;

static char *
t_literal (gpointer data, guint i)
{
  Lits *l = data;
  return g_strdup (i < l->n ? l->literals[i] : "?");
}

static char *
t_selector (gpointer data, guint i)
{
  Lits *l = data;
  const char *s = i < l->n ? l->literals[i] : "?";
  return g_strdup (s[0] == '#' ? s + 1 : s);
}

static char *
t_special (gpointer data, guint i, guint *nargs)
{
  static const char *names[32] = {
    "+", "-", "<", ">", "<=", ">=", "=", "~=", "*", "/", "\\\\", "@", "bitShift:", "//", "bitAnd:", "bitOr:",
    "at:", "at:put:", "size", "next", "nextPut:", "atEnd", "==", "class", "blockCopy:", "value", "value:", "do:",
    "new", "new:", "x", "y",
  };
  (void) data;
  const char *n = i < 32 ? names[i] : "?";
  guint a = 0;
  for (const char *c = n; *c; c++)
    a += *c == ':';
  if (a == 0 && !g_ascii_isalpha (n[0]))
    a = 1;
  *nargs = a;
  return g_strdup (n);
}

static gboolean
t_full_block (gpointer data, guint i, StDecompileCode *out)
{
  Lits *l = data;
  if (l->blocks == NULL || i >= l->n || l->blocks[i].bytes == NULL)
    return FALSE;
  *out = l->blocks[i];
  return TRUE;
}

static StDecompileCode
code_for (StBytecodeSet set, const guint8 *b, gsize n, guint args, guint temps, Lits *lits)
{
  StDecompileCode c = {
    .set = set, .bytes = b, .start = 0, .end = n, .num_args = args, .num_temps = temps,
    .word_bytes = 8, .num_literals = lits ? lits->n : 0, .data = lits,
    .literal = t_literal, .selector = t_selector, .binding = t_literal, .special = t_special,
    .inst_var = NULL, .full_block = t_full_block,
  };
  c.num_literals = 0;      /* byte offsets are the pcs in the messages of these tests */
  return c;
}

static void
assert_decompiles (StBytecodeSet set, const guint8 *b, gsize n, guint args, guint temps, Lits *lits,
                   const char *selector, const char *expected)
{
  StDecompileCode c = code_for (set, b, n, args, temps, lits);
  g_autofree char *text = st_decompile_code (&c, selector);
  if (strstr (text, expected) == NULL)
    g_error ("decompiled:\n%s\nexpected to contain:\n%s", text, expected);
}

static void
test_decompile_sends_returns (void)
{
  const char *lits[] = { "#foo", "#bar:baz:" };
  Lits l = { lits, 2, NULL };
  /* ^self foo */
  assert_decompiles (ST_BYTECODE_SET_V3_CLOSURES, (const guint8[]) { 0x70, 0xD0, 0x7C }, 3, 0, 0, &l, "x",
                     "x\n\t\"decompiled\"\n\t^self foo\n");
  /* self bar: arg1 baz: 2 + 1. ^self (implicit) */
  assert_decompiles (ST_BYTECODE_SET_V3_CLOSURES,
                     (const guint8[]) { 0x70, 0x10, 0x77, 0x76, 0xB0, 0xF1, 0x87, 0x78 }, 8, 1, 1, &l, "y:",
                     "y: arg1\n\t\"decompiled\"\n\tself bar: arg1 baz: 2 + 1\n");
  /* t1 := arg1 foo. ^t1 */
  assert_decompiles (ST_BYTECODE_SET_V3_CLOSURES, (const guint8[]) { 0x10, 0xD0, 0x69, 0x11, 0x7C }, 5, 1, 2, &l,
                     "z:", "\t| t1 |\n\tt1 := arg1 foo.\n\t^t1\n");
}

static void
test_decompile_control (void)
{
  const char *lits[] = { "5", "#foo:" };
  Lits l = { lits, 2, NULL };
  /* ^arg1 ifTrue: [1] ifFalse: [2] */
  assert_decompiles (ST_BYTECODE_SET_V3_CLOSURES, (const guint8[]) { 0x10, 0x99, 0x76, 0x90, 0x77, 0x7C }, 6, 1, 1,
                     &l, "a:", "^arg1 ifTrue: [1] ifFalse: [2]");
  /* ^arg1 and: [arg2] */
  assert_decompiles (ST_BYTECODE_SET_V3_CLOSURES, (const guint8[]) { 0x10, 0x99, 0x11, 0x90, 0x72, 0x7C }, 6, 2, 2,
                     &l, "a:b:", "^arg1 and: [arg2]");
  /* ^arg1 or: [arg2] */
  assert_decompiles (ST_BYTECODE_SET_V3_CLOSURES, (const guint8[]) { 0x10, 0x99, 0x71, 0x90, 0x11, 0x7C }, 6, 2, 2,
                     &l, "a:b:", "^arg1 or: [arg2]");
  /* arg1 ifTrue: [^1]. ^2 */
  assert_decompiles (ST_BYTECODE_SET_V3_CLOSURES, (const guint8[]) { 0x10, 0x99, 0x76, 0x7C, 0x77, 0x7C }, 6, 1, 1,
                     &l, "a:", "\targ1 ifTrue: [^1].\n\t^2\n");
  /* [t1 < 2] whileTrue: [t1 := t1 + 1] */
  assert_decompiles (ST_BYTECODE_SET_V3_CLOSURES,
                     (const guint8[]) { 0x10, 0x77, 0xB2, 0x9D, 0x10, 0x76, 0xB0, 0x68, 0xA3, 0xF6, 0x78 }, 11, 0, 1,
                     &l, "w", "[t1 < 2] whileTrue: [t1 := t1 + 1]");
  /* 1 to: 5 do: [:t1 | self foo: t1] */
  assert_decompiles (ST_BYTECODE_SET_V3_CLOSURES,
                     (const guint8[]) { 0x76, 0x68, 0x10, 0x20, 0xB4, 0xAC, 0x0A, 0x70, 0x10, 0xE1, 0x87,
                                        0x10, 0x76, 0xB0, 0x68, 0xA3, 0xF1, 0x78 }, 18, 0, 1,
                     &l, "loop", "\t1 to: 5 do: [:t1 | self foo: t1]\n");
  /* ^instVar1 ifNil: [instVar1 := self foo: 5], inlined with dup == nil */
  const char *lits2[] = { "#foo" };
  Lits l2 = { lits2, 1, NULL };
  assert_decompiles (ST_BYTECODE_SET_V3_CLOSURES,
                     (const guint8[]) { 0x01, 0x88, 0x73, 0xC6, 0x9C, 0x87, 0x70, 0xD0, 0x81, 0x01, 0x7C }, 11, 0, 0,
                     &l2, "n", "^instVar1 ifNil: [instVar1 := self foo]");
  /* Sista: ^arg1 ifFalse: [1] ifTrue: [2] spelled with jumpTrue */
  assert_decompiles (ST_BYTECODE_SET_SISTA_V1, (const guint8[]) { 0x40, 0xB9, 0x51, 0xB1, 0xE8, 0x02, 0x5C }, 7, 1, 1,
                     &l, "s:", "^arg1 ifTrue: [2] ifFalse: [1]");
}

static void
test_decompile_cascade_blocks (void)
{
  const char *lits[] = { "Transcript", "'a'", "#show:", "#cr", "#(1 2)", "#collect:" };
  Lits l = { lits, 6, NULL };
  /* Transcript show: 'a'; cr */
  assert_decompiles (ST_BYTECODE_SET_V3_CLOSURES,
                     (const guint8[]) { 0x40, 0x88, 0x21, 0xE2, 0x87, 0xD3, 0x87, 0x78 }, 8, 0, 0, &l, "c",
                     "\tTranscript show: 'a'; cr\n");
  /* ^#(1 2) collect: [:t1 | t1 + 1], a V3PlusClosures inline block */
  assert_decompiles (ST_BYTECODE_SET_V3_CLOSURES,
                     (const guint8[]) { 0x24, 0x8F, 0x01, 0x00, 0x04, 0x10, 0x76, 0xB0, 0x7D, 0xE5, 0x7C }, 11, 0, 0,
                     &l, "b", "^#(1 2) collect: [:t1 | t1 + 1]");
  /* The same in a 6502 image: thisContext blockCopy: 1, jump around the body */
  assert_decompiles (ST_BYTECODE_SET_V3,
                     (const guint8[]) { 0x24, 0x89, 0x76, 0xC8, 0x94, 0x68, 0x10, 0x76, 0xB0, 0x7D, 0xE5, 0x7C }, 12, 0, 1,
                     &l, "b", "^#(1 2) collect: [:t1 | t1 + 1]");
  /* SistaV1 full block: literal 6 is a CompiledBlock [:x | x + 1] */
  static const guint8 blk[] = { 0x40, 0x51, 0x60, 0x5E };
  const char *lits2[] = { "Transcript", "'a'", "#show:", "#cr", "#(1 2)", "#collect:", "a CompiledBlock" };
  StDecompileCode blocks[7] = { { 0 } };
  Lits l2 = { lits2, 7, blocks };
  blocks[6] = code_for (ST_BYTECODE_SET_SISTA_V1, blk, sizeof blk, 1, 1, &l2);
  assert_decompiles (ST_BYTECODE_SET_SISTA_V1,
                     (const guint8[]) { 0x24, 0xF9, 0x06, 0x00, 0x95, 0x5C }, 6, 0, 0,
                     &l2, "b", "^#(1 2) collect: [:t1 | t1 + 1]");
  /* Temp vectors: a temp written inside a block. */
  const char *lits3[] = { "#do:", "#(1 2)" };
  Lits l3 = { lits3, 2, NULL };
  /* t := Array new: 1 (vector in temp 0); #(1 2) do: [:x | v1 := x] (copied: temp 0); ^v1 */
  assert_decompiles (ST_BYTECODE_SET_V3_CLOSURES,
                     (const guint8[]) { 0x8A, 0x01, 0x68, 0x21, 0x10, 0x8F, 0x11, 0x00, 0x05, 0x10, 0x8D, 0x00, 0x01,
                                        0x7D, 0xE0, 0x87, 0x8C, 0x00, 0x00, 0x7C }, 20, 0, 1,
                     &l3, "v", "#(1 2) do: [:t3 | t2 := t3]");
}

static void
test_decompile_garbage (void)
{
  /* Random code must neither crash nor loop: every set, many lengths. */
  GRand *rand = g_rand_new_with_seed (42);
  const char *lits[] = { "1", "#a", "#b:", "#c:d:" };
  Lits l = { lits, 4, NULL };
  guint8 buf[96];
  for (guint round = 0; round < 3000; round++)
    {
      gsize n = 1 + g_rand_int_range (rand, 0, sizeof buf);
      for (gsize i = 0; i < n; i++)
        buf[i] = (guint8) g_rand_int_range (rand, 0, 256);
      StBytecodeSet set = (StBytecodeSet) (round % 3);
      StDecompileCode c = code_for (set, buf, n, round % 3, 3 + round % 5, &l);
      g_autofree char *text = st_decompile_code (&c, "m");
      g_assert_nonnull (text);
      g_assert_true (g_str_has_prefix (text, "m\n\t\"decompiled\""));
      /* The decoder walks the same bytes without overrunning. */
      for (gsize off = 0; off < n;)
        {
          StBcInstr in;
          if (!st_bytecode_decode (set, buf, n, off, &in))
            {
              g_assert_cmpuint (off + in.length, >, n);
              break;
            }
          g_assert_cmpuint (in.length, >=, 1);
          off += in.length;
        }
    }
  g_rand_free (rand);
}

static gboolean
t_self_block (gpointer data, guint i, StDecompileCode *out)
{
  /* A CompiledBlock that is (half of) the code itself: a cycle, as in a
   * damaged heap. */
  const StDecompileCode *c = ((Lits *) data)->blocks;
  if (i % 3 != 0)
    return FALSE;
  *out = *c;
  out->start = c->end > 4 ? c->end / 2 : 0;
  return TRUE;
}

static void
test_decompile_hostile (void)
{
  /* Code made mostly of jumps, dups, sends and blocks, with full blocks
   * that contain themselves: the work and the text stay bounded. */
  static const guint8 common[] = {
    0x10, 0x11, 0x70, 0x76, 0x99, 0x90, 0xA3, 0xAC, 0x7C, 0x7D, 0x87, 0x88, 0xD0, 0xE0, 0x8F, 0xC8,
    0x89, 0x68, 0x40, 0x4C, 0xB9, 0xC1, 0xF9, 0xFA, 0xE0, 0xE1, 0x5E, 0x5C, 0xD8, 0x73, 0xC6, 0x9C,
  };
  GRand *rand = g_rand_new_with_seed (6);
  const char *lits[] = { "1", "#a", "#b:", "#c:d:", "#+" };
  guint8 buf[160];
  gint64 start = g_get_monotonic_time ();
  for (guint round = 0; round < 400; round++)
    {
      gsize n = 1 + g_rand_int_range (rand, 0, sizeof buf);
      for (gsize i = 0; i < n; i++)
        buf[i] = g_rand_boolean (rand) ? common[g_rand_int_range (rand, 0, sizeof common)]
                                       : (guint8) g_rand_int_range (rand, 0, 256);
      StDecompileCode self = { 0 };
      Lits l = { lits, 5, &self };
      StDecompileCode c = code_for ((StBytecodeSet) (round % 3), buf, n, round % 4, 4 + round % 6, &l);
      c.full_block = t_self_block;
      self = c;
      g_autofree char *text = st_decompile_code (&c, "m:n:");
      g_assert_nonnull (text);
      g_assert_cmpuint (strlen (text), <, 2u << 20);
    }
  g_test_message ("400 hostile methods in %.1f s", (g_get_monotonic_time () - start) / 1e6);
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/bytecodes/table-covers-every-opcode", test_table_covers);
  g_test_add_func ("/engine/bytecodes/decode-v3", test_decode_v3);
  g_test_add_func ("/engine/bytecodes/decode-sista", test_decode_sista);
  g_test_add_func ("/engine/decompile/sends-returns", test_decompile_sends_returns);
  g_test_add_func ("/engine/decompile/control-structures", test_decompile_control);
  g_test_add_func ("/engine/decompile/cascades-blocks", test_decompile_cascade_blocks);
  g_test_add_func ("/engine/decompile/random-code", test_decompile_garbage);
  g_test_add_func ("/engine/decompile/hostile-code", test_decompile_hostile);
  return g_test_run ();
}
