/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The interpreter on synthetic heaps: methods built from bytecode arrays,
 * run from the builder's active context until they send #quit (primitive
 * 113); the tests then look at the context's temps and stack. */
#include "config.h"

#include <string.h>

#include "builder.h"
#include "gc.h"
#include "interp.h"
#include "method.h"
#include "support.h"

/* Context slots */
enum { SENDER, PC, STACKP, METHOD, CLOSURE, RECEIVER, TEMP0 };

typedef struct {
  ThawBuilder *b;
  const ThawBuilderObjects *k;
  StVM *vm;
  bool sista;
  StOop method;        /* the method the active context runs */
  StOop immutable;     /* an object run_go makes immutable, or 0 */
} Run;

/* V3PlusClosures and SistaV1 bytecodes used below. */
#define V3_PUSH_TEMP(i)       (16 + (i))
#define V3_PUSH_LIT(i)        (32 + (i))
#define V3_POP_TEMP(i)        (104 + (i))
#define V3_PUSH_SELF          112
#define V3_PUSH_NIL           115
#define V3_PUSH_ONE           118
#define V3_RETURN_SELF        120
#define V3_RETURN_TOP         124
#define V3_BLOCK_RETURN_TOP   125
#define V3_POP                135
#define V3_PUSH_CONTEXT       137
#define V3_SEND0(lit)         (208 + (lit))
#define V3_SEND1(lit)         (224 + (lit))
#define V3_PLUS               176
#define V3_MINUS              177
#define V3_TIMES              184
#define V3_VALUE              201
#define V3_VALUE1             202

#define SI_PUSH_LIT(i)        (32 + (i))
#define SI_PUSH_TEMP(i)       (64 + (i))
#define SI_PUSH_SELF          76
#define SI_PUSH_ONE           81
#define SI_RETURN_TOP         92
#define SI_BLOCK_RETURN_TOP   94
#define SI_PLUS               96
#define SI_VALUE1             122
#define SI_SEND0(lit)         (128 + (lit))
#define SI_SEND1(lit)         (144 + (lit))
#define SI_POP_TEMP(i)        (208 + (i))

static void
run_setup (Run *r, StFamily family, guint word_bytes, guint32 format)
{
  memset (r, 0, sizeof *r);
  r->b = thaw_builder_new_at (family, word_bytes, format, 0);
  r->k = thaw_builder_objects (r->b);
  r->sista = format == 68533 || format == 7033;
  /* Object>>quit <primitive: 113> */
  guint8 ret = r->sista ? 88 : V3_RETURN_SELF;
  thaw_builder_method (r->b, r->k->object_class, "quit", 0, 0, 113, NULL, 0, &ret, 1);
}

/* The method under test, as Object>>test: it runs with receiver nil. */
static StOop
run_method (Run *r, guint num_temps, const StOop *lits, guint n_lits, const guint8 *code, gsize n)
{
  r->method = thaw_builder_method (r->b, r->k->object_class, "test", 0, num_temps, 0, lits, n_lits, code, n);
  return r->method;
}

/* Finish the heap, point the active context at the test method, and run. */
static StRunStatus
run_go (Run *r, uint64_t max_bytecodes, GError **error)
{
  r->vm = thaw_builder_finish (r->b);
  StVM *vm = r->vm;
  StOop ctx = r->k->active_context;
  StMethodHeader h;
  g_assert_true (st_method_header (vm, r->method, &h, NULL));
  if (r->immutable != 0)
    st_ptr (vm, r->immutable)[0] |= (uint64_t) 1 << 23;
  st_store (vm, ctx, METHOD, r->method);
  st_store (vm, ctx, PC, st_smallint_oop ((int64_t) h.initial_pc + 1));
  st_store (vm, ctx, STACKP, st_smallint_oop (h.num_temps));
  st_store (vm, ctx, RECEIVER, vm->nil_obj);
  for (guint i = 0; i < h.num_temps; i++)
    st_store (vm, ctx, TEMP0 + i, vm->nil_obj);
  if (!st_interp_init (vm, error))
    return ST_RUN_ERROR;
  return st_interp_run (vm, max_bytecodes, 10.0, error);
}

/* Run to the method's send of #quit, in one run or (stepped) one bytecode
 * at a time, and check it got there without an error. */
static void
run_to_quit (Run *r, bool stepped)
{
  g_autoptr (GError) error = NULL;
  StRunStatus s = run_go (r, stepped ? 1 : 1000, &error);
  while (stepped && s == ST_RUN_BYTECODE_LIMIT)
    s = st_interp_run (r->vm, 1, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_QUIT);
}

static StOop
temp (Run *r, guint i)
{
  return st_fetch (r->vm, r->k->active_context, TEMP0 + i);
}

static void
run_free (Run *r)
{
  st_vm_free (r->vm);
  thaw_builder_free (r->b);
}

/* 3 + 4 * 6 into a temp, then quit: the special-selector fast paths. */
static void
arith_case (StFamily family, guint wb, guint32 format)
{
  Run r;
  run_setup (&r, family, wb, format);
  StOop lits[] = { st_smallint_oop (3), st_smallint_oop (4), st_smallint_oop (6) };
  guint8 v3[] = { V3_PUSH_LIT (0), V3_PUSH_LIT (1), V3_PLUS, V3_PUSH_LIT (2), V3_TIMES, V3_POP_TEMP (0),
                  V3_PUSH_SELF, V3_SEND0 (3), V3_POP, V3_RETURN_SELF };
  guint8 si[] = { SI_PUSH_LIT (0), SI_PUSH_LIT (1), SI_PLUS, SI_PUSH_LIT (2), 104, SI_POP_TEMP (0),
                  SI_PUSH_SELF, SI_SEND0 (3), 216, 88 };
  StOop quit = thaw_builder_symbol (r.b, "quit");
  StOop lits4[] = { lits[0], lits[1], lits[2], quit };
  run_method (&r, 1, lits4, 4, r.sista ? si : v3, sizeof v3);
  run_to_quit (&r, false);
  g_assert_cmphex (temp (&r, 0), ==, st_smallint_oop (42));
  const StInterpStats *st = st_interp_stats (r.vm);
  g_assert_cmpuint (st->bytecodes, ==, 8);       /* up to and including the send of #quit */
  g_assert_cmpuint (st->sends, ==, 1);
  /* The active context was written back: pc just past the send of #quit. */
  StMethodHeader h;
  st_method_header (r.vm, r.method, &h, NULL);
  g_assert_cmphex (st_fetch (r.vm, r.k->active_context, PC), ==, st_smallint_oop ((int64_t) h.initial_pc + 8 + 1));
  run_free (&r);
}

static void test_arith_spur64 (void) { arith_case (ST_FAMILY_SPUR, 8, 68021); }
static void test_arith_sista (void) { arith_case (ST_FAMILY_SPUR, 8, 68533); }
static void test_arith_spur32 (void) { arith_case (ST_FAMILY_SPUR, 4, 6521); }
static void test_arith_v3 (void) { arith_case (ST_FAMILY_V3, 4, 6504); }

/* x op y (op V3_PLUS or V3_MINUS) into a temp.  When the result is no
 * SmallInteger of the image (31 bits in a 32-bit image, 61 in a 64-bit
 * one) the fast path and the primitive fail and the selector is really
 * sent (here to a SmallInteger class without methods:
 * doesNotUnderstand:, itself not understood, stops the run with an error
 * naming it). */
static void
range_case (guint wb, guint32 format, int64_t x, guint8 op, int64_t y, bool fits, int64_t expect)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, wb, format);
  StOop quit = thaw_builder_symbol (r.b, "quit");
  StOop lits[] = { st_smallint_oop (x), st_smallint_oop (y), quit };
  guint8 code[] = { V3_PUSH_LIT (0), V3_PUSH_LIT (1), op, V3_POP_TEMP (0), V3_PUSH_SELF, V3_SEND0 (2), V3_RETURN_SELF };
  run_method (&r, 1, lits, 3, code, sizeof code);
  g_autoptr (GError) error = NULL;
  StRunStatus s = run_go (&r, 1000, &error);
  if (fits)
    {
      g_assert_no_error (error);
      g_assert_cmpint (s, ==, ST_RUN_QUIT);
      g_assert_cmphex (temp (&r, 0), ==, st_smallint_oop (expect));
    }
  else
    {
      g_assert_cmpint (s, ==, ST_RUN_ERROR);
      g_assert_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_LOOKUP);
      g_assert_nonnull (strstr (error->message, op == V3_PLUS ? "#+" : "#-"));
    }
  run_free (&r);
}

static void
test_smallint_range (void)
{
  const int64_t max30 = ((int64_t) 1 << 30) - 1, min30 = -((int64_t) 1 << 30);
  const int64_t max60 = ((int64_t) 1 << 60) - 1, min60 = -((int64_t) 1 << 60);
  /* 32-bit: both ends, and the values just inside them */
  range_case (4, 6521, max30, V3_PLUS, 1, false, 0);
  range_case (4, 6521, max30 - 1, V3_PLUS, 1, true, max30);
  range_case (4, 6521, min30, V3_MINUS, 1, false, 0);
  range_case (4, 6521, min30 + 1, V3_MINUS, 1, true, min30);
  range_case (4, 6521, min30, V3_PLUS, -1, false, 0);
  range_case (4, 6521, max30, V3_MINUS, -1, false, 0);
  range_case (4, 6521, max30, V3_PLUS, min30, true, -1);
  /* the same sums are SmallIntegers in a 64-bit image */
  range_case (8, 68021, max30, V3_PLUS, 1, true, max30 + 1);
  range_case (8, 68021, min30, V3_MINUS, 1, true, min30 - 1);
  /* whose own ends are those of 61 bits (a 64-bit overflow of the
   * tagged sum, or just past the range) */
  range_case (8, 68021, max60, V3_PLUS, 1, false, 0);
  range_case (8, 68021, max60, V3_PLUS, max60, false, 0);
  range_case (8, 68021, min60, V3_MINUS, 1, false, 0);
  range_case (8, 68021, min60, V3_PLUS, min60, false, 0);
  range_case (8, 68021, max60, V3_MINUS, min60, false, 0);
  range_case (8, 68021, max60 - 1, V3_PLUS, 1, true, max60);
  range_case (8, 68021, min60 + 1, V3_MINUS, 1, true, min60);
  range_case (8, 68021, max60, V3_PLUS, min60, true, -1);
}

/* A SmallInteger comparison and the conditional jump after it (which the
 * interpreter takes together): every comparison with every jump it
 * fuses with (V3 short jump false, long jump true and false; SistaV1
 * short jump true and false), on both outcomes, run whole and one
 * bytecode at a time (where nothing is fused).  The jump skips
 * "push 1, pop into temp 0". */
static void
test_compare_jump (void)
{
  static const struct { bool sista; guint8 jump[2]; guint len; bool on_true; } jumps[] = {
    { false, { 153 }, 1, false },         /* V3 short jump false by 2 */
    { false, { 168, 2 }, 2, true },       /* V3 long jump true by 2 */
    { false, { 172, 2 }, 2, false },      /* V3 long jump false by 2 */
    { true, { 185 }, 1, true },           /* SistaV1 short jump true by 2 */
    { true, { 193 }, 1, false },          /* SistaV1 short jump false by 2 */
  };
  static const int64_t xs[] = { 3, 4, 5, -4 };
  for (guint j = 0; j < G_N_ELEMENTS (jumps); j++)
    for (guint op = 0; op < 6; op++)       /* < > <= >= = ~= */
      for (guint xi = 0; xi < G_N_ELEMENTS (xs); xi++)
        for (guint stepped = 0; stepped < 2; stepped++)
          {
            int64_t x = xs[xi], y = 4;
            bool c = op == 0 ? x < y : op == 1 ? x > y : op == 2 ? x <= y : op == 3 ? x >= y : op == 4 ? x == y : x != y;
            bool taken = c == jumps[j].on_true;
            bool si = jumps[j].sista;
            Run r;
            run_setup (&r, ST_FAMILY_SPUR, 8, si ? 68533 : 68021);
            StOop lits[] = { st_smallint_oop (x), st_smallint_oop (y), thaw_builder_symbol (r.b, "quit") };
            guint8 code[16];
            guint n = 0;
            code[n++] = si ? SI_PUSH_LIT (0) : V3_PUSH_LIT (0);
            code[n++] = si ? SI_PUSH_LIT (1) : V3_PUSH_LIT (1);
            code[n++] = (si ? SI_PLUS : V3_PLUS) + 2 + op;
            for (guint i = 0; i < jumps[j].len; i++)
              code[n++] = jumps[j].jump[i];
            code[n++] = si ? SI_PUSH_ONE : V3_PUSH_ONE;
            code[n++] = si ? SI_POP_TEMP (0) : V3_POP_TEMP (0);
            code[n++] = si ? SI_PUSH_SELF : V3_PUSH_SELF;
            code[n++] = si ? SI_SEND0 (2) : V3_SEND0 (2);
            code[n++] = si ? 88 : V3_RETURN_SELF;
            run_method (&r, 1, lits, 3, code, n);
            run_to_quit (&r, stepped);
            g_assert_cmphex (temp (&r, 0), ==, taken ? r.vm->nil_obj : st_smallint_oop (1));
            /* both bytecodes count, and the stack is empty again */
            g_assert_cmpuint (st_interp_stats (r.vm)->bytecodes, ==, taken ? 6 : 8);
            g_assert_cmphex (st_fetch (r.vm, r.k->active_context, STACKP), ==, st_smallint_oop (1 + 1));
            run_free (&r);
          }
}

/* rcvr at: index (value 0) or rcvr at: index put: value, answered in
 * place on an Array with an index in range and sent otherwise (here to
 * classes without methods: doesNotUnderstand:, itself not understood,
 * stops the run with an error naming the selector).  rcvr picks the
 * receiver: 0 an Array of 10, 20, 30; 1 an Array of 300 (its size in an
 * overflow word); 2 the same Array of 3, immutable; 3 a ByteArray. */
static void
at_case (guint rcvr, StOop index, StOop value, bool sent, StOop expect)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, 68021);
  StOop three[] = { st_smallint_oop (10), st_smallint_oop (20), st_smallint_oop (30) };
  StOop many[300];
  for (guint i = 0; i < 300; i++)
    many[i] = st_smallint_oop (i);
  StOop arrays[] = { thaw_builder_array (r.b, 3, three), thaw_builder_array (r.b, 300, many),
                     thaw_builder_array (r.b, 3, three), thaw_builder_instance (r.b, r.k->byte_array_class, 13) };
  if (rcvr == 2)
    r.immutable = arrays[2];
  StOop lits[] = { arrays[rcvr], index, value, thaw_builder_symbol (r.b, "quit") };
  guint8 get[] = { V3_PUSH_LIT (0), V3_PUSH_LIT (1), 192, V3_POP_TEMP (0), V3_PUSH_SELF, V3_SEND0 (3), V3_RETURN_SELF };
  guint8 put[] = { V3_PUSH_LIT (0), V3_PUSH_LIT (1), V3_PUSH_LIT (2), 193, V3_POP_TEMP (0), V3_PUSH_SELF, V3_SEND0 (3),
                   V3_RETURN_SELF };
  if (value == 0)
    run_method (&r, 1, lits, 4, get, sizeof get);
  else
    run_method (&r, 1, lits, 4, put, sizeof put);
  g_autoptr (GError) error = NULL;
  StRunStatus s = run_go (&r, 1000, &error);
  g_assert_cmpuint (st_hdr_num_slots (st_header (r.vm, arrays[1])), ==, ST_OVERFLOW_SLOTS);
  if (sent)
    {
      g_assert_cmpint (s, ==, ST_RUN_ERROR);
      g_assert_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_LOOKUP);
      g_assert_nonnull (strstr (error->message, value == 0 ? "#at:" : "#at:put:"));
      if (value != 0 && st_is_smallint (index) && rcvr < 3)
        g_assert_cmphex (st_fetch (r.vm, arrays[rcvr], 0), !=, value);    /* nothing stored */
    }
  else
    {
      g_assert_no_error (error);
      g_assert_cmpint (s, ==, ST_RUN_QUIT);
      g_assert_cmphex (temp (&r, 0), ==, expect);
      if (value != 0)
        g_assert_cmphex (st_fetch (r.vm, arrays[rcvr], st_smallint_value (index) - 1), ==, value);
    }
  run_free (&r);
}

static void
test_special_at (void)
{
  StOop seven = st_smallint_oop (7);
  at_case (0, st_smallint_oop (1), 0, false, st_smallint_oop (10));
  at_case (0, st_smallint_oop (3), 0, false, st_smallint_oop (30));
  at_case (0, st_smallint_oop (0), 0, true, 0);
  at_case (0, st_smallint_oop (4), 0, true, 0);
  at_case (0, st_smallint_oop (-1), 0, true, 0);
  at_case (0, 0x10, 0, true, 0);                          /* an index that is no SmallInteger (an object) */
  at_case (1, st_smallint_oop (300), 0, false, st_smallint_oop (299));
  at_case (1, st_smallint_oop (301), 0, true, 0);
  at_case (3, st_smallint_oop (1), 0, true, 0);           /* a ByteArray is sent at: */
  at_case (2, st_smallint_oop (1), 0, false, st_smallint_oop (10));  /* immutable: read */
  at_case (0, st_smallint_oop (1), seven, false, seven);
  at_case (0, st_smallint_oop (3), seven, false, seven);
  at_case (0, st_smallint_oop (4), seven, true, 0);
  at_case (1, st_smallint_oop (300), seven, false, seven);
  at_case (2, st_smallint_oop (1), seven, true, 0);       /* immutable: no store */
  at_case (3, st_smallint_oop (1), seven, true, 0);
}

/* at:put: as a statement (its value popped): the store happens, the
 * stack is empty after it, and both bytecodes count, whether run whole
 * (the interpreter takes the pop with the at:put:) or one bytecode at a
 * time. */
static void
test_at_put_statement (void)
{
  for (guint sista = 0; sista < 2; sista++)
    for (guint stepped = 0; stepped < 2; stepped++)
      {
        Run r;
        run_setup (&r, ST_FAMILY_SPUR, 8, sista ? 68533 : 68021);
        StOop three[] = { st_smallint_oop (10), st_smallint_oop (20), st_smallint_oop (30) };
        StOop arr = thaw_builder_array (r.b, 3, three);
        StOop lits[] = { arr, st_smallint_oop (2), st_smallint_oop (7), thaw_builder_symbol (r.b, "quit") };
        guint8 v3[] = { V3_PUSH_LIT (0), V3_PUSH_LIT (1), V3_PUSH_LIT (2), 193, V3_POP, V3_PUSH_SELF, V3_SEND0 (3),
                        V3_RETURN_SELF };
        guint8 si[] = { SI_PUSH_LIT (0), SI_PUSH_LIT (1), SI_PUSH_LIT (2), 96 + 17, 216, SI_PUSH_SELF, SI_SEND0 (3),
                        88 };
        run_method (&r, 0, lits, 4, sista ? si : v3, sizeof v3);
        run_to_quit (&r, stepped);
        g_assert_cmphex (st_fetch (r.vm, arr, 1), ==, st_smallint_oop (7));
        g_assert_cmpuint (st_interp_stats (r.vm)->bytecodes, ==, 7);
        /* nothing but the receiver of #quit (the run stops inside quit) */
        g_assert_cmphex (st_fetch (r.vm, r.k->active_context, STACKP), ==, st_smallint_oop (1));
        run_free (&r);
      }
}

/* x + y stored into a temp (i := i + 1): the interpreter takes the pop
 * into temps 0-7 with the +.  For each of those temps in both sets, run
 * whole and one bytecode at a time, the temp gets the sum, the other
 * temps stay nil, the stack is empty and both bytecodes count.  Then a -
 * stored (not taken with it), a + followed by something else, and a sum
 * past the SmallIntegers (sent, and not understood here) with the store
 * after it. */
static void
test_add_store (void)
{
  for (guint sista = 0; sista < 2; sista++)
    for (guint t = 0; t < 8; t++)
      for (guint stepped = 0; stepped < 2; stepped++)
        {
          Run r;
          run_setup (&r, ST_FAMILY_SPUR, 8, sista ? 68533 : 68021);
          StOop lits[] = { st_smallint_oop (30), st_smallint_oop (12), thaw_builder_symbol (r.b, "quit") };
          guint8 v3[] = { V3_PUSH_LIT (0), V3_PUSH_LIT (1), V3_PLUS, V3_POP_TEMP (t), V3_PUSH_SELF, V3_SEND0 (2),
                          V3_RETURN_SELF };
          guint8 si[] = { SI_PUSH_LIT (0), SI_PUSH_LIT (1), SI_PLUS, SI_POP_TEMP (t), SI_PUSH_SELF, SI_SEND0 (2),
                          88 };
          run_method (&r, 8, lits, 3, sista ? si : v3, sizeof v3);
          run_to_quit (&r, stepped);
          for (guint i = 0; i < 8; i++)
            g_assert_cmphex (temp (&r, i), ==, i == t ? st_smallint_oop (42) : r.vm->nil_obj);
          g_assert_cmpuint (st_interp_stats (r.vm)->bytecodes, ==, 6);
          g_assert_cmphex (st_fetch (r.vm, r.k->active_context, STACKP), ==, st_smallint_oop (8 + 1));
          run_free (&r);
        }

  for (guint stepped = 0; stepped < 2; stepped++)
    {
      Run r;
      run_setup (&r, ST_FAMILY_SPUR, 8, 68021);
      StOop lits[] = { st_smallint_oop (30), st_smallint_oop (12), thaw_builder_symbol (r.b, "quit") };
      /* t0 := 30 - 12.  t1 := 30 + 12 + 12 */
      guint8 code[] = { V3_PUSH_LIT (0), V3_PUSH_LIT (1), V3_MINUS, V3_POP_TEMP (0),
                        V3_PUSH_LIT (0), V3_PUSH_LIT (1), V3_PLUS, V3_PUSH_LIT (1), V3_PLUS, V3_POP_TEMP (1),
                        V3_PUSH_SELF, V3_SEND0 (2), V3_RETURN_SELF };
      run_method (&r, 2, lits, 3, code, sizeof code);
      run_to_quit (&r, stepped);
      g_assert_cmphex (temp (&r, 0), ==, st_smallint_oop (18));
      g_assert_cmphex (temp (&r, 1), ==, st_smallint_oop (54));
      g_assert_cmpuint (st_interp_stats (r.vm)->bytecodes, ==, 12);
      run_free (&r);
    }

  /* 2^60 - 1 + 1 is no SmallInteger: #+ is sent (the store never runs) */
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, 68021);
  StOop lits[] = { st_smallint_oop (((int64_t) 1 << 60) - 1), thaw_builder_symbol (r.b, "quit") };
  guint8 code[] = { V3_PUSH_LIT (0), V3_PUSH_ONE, V3_PLUS, V3_POP_TEMP (0), V3_PUSH_SELF, V3_SEND0 (1), V3_RETURN_SELF };
  run_method (&r, 1, lits, 2, code, sizeof code);
  g_autoptr (GError) error = NULL;
  StRunStatus s = run_go (&r, 1000, &error);
  g_assert_cmpint (s, ==, ST_RUN_ERROR);
  g_assert_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_LOOKUP);
  g_assert_nonnull (strstr (error->message, "#+"));
  g_assert_cmphex (temp (&r, 0), ==, r.vm->nil_obj);
  run_free (&r);
}

/* Two pushes of temps 0-11 in a row (a + b), which the interpreter
 * takes at once: for every pair of temps in both sets, run whole and one
 * bytecode at a time, temp 12 := temp i - temp j gets the difference of
 * the right temps in the right order, and every bytecode counts.  Temps
 * k hold (k + 1) * (k + 1) * 3, set by the method itself. */
static void
test_push_temp_pair (void)
{
  for (guint sista = 0; sista < 2; sista++)
    for (guint i = 0; i < 12; i++)
      for (guint j = 0; j < 12; j++)
        for (guint stepped = 0; stepped < 2; stepped++)
          {
            Run r;
            run_setup (&r, ST_FAMILY_SPUR, 8, sista ? 68533 : 68021);
            StOop lits[13];
            for (guint k = 0; k < 12; k++)
              lits[k] = st_smallint_oop ((int64_t) (k + 1) * (k + 1) * 3);
            lits[12] = thaw_builder_symbol (r.b, "quit");
            guint8 code[64];
            guint c = 0;
            for (guint k = 0; k < 12; k++)
              {
                code[c++] = sista ? SI_PUSH_LIT (k) : V3_PUSH_LIT (k);
                if (k < 8)
                  code[c++] = sista ? SI_POP_TEMP (k) : V3_POP_TEMP (k);
                else if (sista)
                  {
                    code[c++] = 242;            /* long pop into temp */
                    code[c++] = k;
                  }
                else
                  {
                    code[c++] = 130;            /* extended pop into temp */
                    code[c++] = 0x40 | k;
                  }
              }
            guint before = c;
            code[c++] = sista ? SI_PUSH_TEMP (i) : V3_PUSH_TEMP (i);
            code[c++] = sista ? SI_PUSH_TEMP (j) : V3_PUSH_TEMP (j);
            code[c++] = sista ? 97 : V3_MINUS;
            if (sista)
              {
                code[c++] = 242;
                code[c++] = 12;
              }
            else
              {
                code[c++] = 130;
                code[c++] = 0x40 | 12;
              }
            code[c++] = sista ? SI_PUSH_SELF : V3_PUSH_SELF;
            code[c++] = sista ? SI_SEND0 (12) : V3_SEND0 (12);
            code[c++] = sista ? 88 : V3_RETURN_SELF;
            g_assert_cmpuint (before, ==, 24 + 4);
            run_method (&r, 13, lits, 13, code, c);
            run_to_quit (&r, stepped);
            int64_t vi = (int64_t) (i + 1) * (i + 1) * 3, vj = (int64_t) (j + 1) * (j + 1) * 3;
            g_assert_cmphex (temp (&r, 12), ==, st_smallint_oop (vi - vj));
            g_assert_cmpuint (st_interp_stats (r.vm)->bytecodes, ==, 24 + 6);
            run_free (&r);
          }
}

/* Temps 0-13 (V3) and 0-11 (SistaV1, whose push temp row ends there; 12-13
 * through its long push) each pushed by its own opcode: temp i holds
 * i + 1, and ((t0 * 2 + t1) * 2 + t2) ... tells each temp from the others
 * (a push of the wrong temp, or two swapped, changes the sum). */
static void
temps_case (bool sista)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, sista ? 68533 : 68021);
  const guint n = 14;                    /* and two stack slots: the context has 22 */
  StOop lits[17];
  for (guint i = 0; i < n; i++)
    lits[i] = st_smallint_oop (i + 1);
  lits[n] = thaw_builder_symbol (r.b, "quit");
  guint8 code[256];
  guint c = 0;
  for (guint i = 0; i < n; i++)
    {
      code[c++] = sista ? SI_PUSH_LIT (i) : V3_PUSH_LIT (i);
      if (i < 8)
        code[c++] = sista ? SI_POP_TEMP (i) : V3_POP_TEMP (i);
      else if (sista)
        code[c++] = 242, code[c++] = i;          /* long pop into temp */
      else
        code[c++] = 130, code[c++] = 0x40 | i;   /* extended pop into temp */
    }
  for (guint i = 0; i < n; i++)
    {
      if (sista && i >= 12)
        code[c++] = 229, code[c++] = i;          /* long push temp */
      else
        code[c++] = sista ? SI_PUSH_TEMP (i) : V3_PUSH_TEMP (i);
      if (i > 0)
        code[c++] = sista ? SI_PLUS : V3_PLUS;
      if (i < n - 1)
        {
          if (sista)
            code[c++] = 232, code[c++] = 2;        /* push integer 2 */
          else
            code[c++] = 119;                       /* push 2 */
          code[c++] = sista ? 104 : V3_TIMES;      /* * */
        }
    }
  code[c++] = sista ? SI_POP_TEMP (0) : V3_POP_TEMP (0);
  code[c++] = sista ? SI_PUSH_SELF : V3_PUSH_SELF;
  code[c++] = sista ? SI_SEND0 (n) : V3_SEND0 (n);
  code[c++] = sista ? 88 : V3_RETURN_SELF;
  run_method (&r, n, lits, n + 1, code, c);
  g_autoptr (GError) error = NULL;
  StRunStatus s = run_go (&r, 10000, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_QUIT);
  int64_t expect = 0;
  for (guint i = 0; i < n; i++)
    expect = expect * 2 + (i + 1);
  g_assert_cmphex (temp (&r, 0), ==, st_smallint_oop (expect));
  run_free (&r);
}

static void test_temps_v3 (void) { temps_case (false); }
static void test_temps_sista (void) { temps_case (true); }

/* A real send: Object>>double: x  ^x + x, called with 21. */
static void
send_case (guint32 format)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, format);
  guint8 dv3[] = { V3_PUSH_TEMP (0), V3_PUSH_TEMP (0), V3_PLUS, V3_RETURN_TOP };
  guint8 dsi[] = { SI_PUSH_TEMP (0), SI_PUSH_TEMP (0), SI_PLUS, SI_RETURN_TOP };
  thaw_builder_method (r.b, r.k->object_class, "double:", 1, 1, 0, NULL, 0, r.sista ? dsi : dv3, 4);
  StOop lits[] = { thaw_builder_symbol (r.b, "double:"), st_smallint_oop (21), thaw_builder_symbol (r.b, "quit") };
  guint8 v3[] = { V3_PUSH_SELF, V3_PUSH_LIT (1), V3_SEND1 (0), V3_POP_TEMP (0), V3_PUSH_SELF, V3_SEND0 (2),
                  V3_RETURN_SELF };
  guint8 si[] = { SI_PUSH_SELF, SI_PUSH_LIT (1), SI_SEND1 (0), SI_POP_TEMP (0), SI_PUSH_SELF, SI_SEND0 (2), 88 };
  run_method (&r, 1, lits, 3, r.sista ? si : v3, sizeof v3);
  run_to_quit (&r, false);
  g_assert_cmphex (temp (&r, 0), ==, st_smallint_oop (42));
  const StInterpStats *st = st_interp_stats (r.vm);
  g_assert_cmpuint (st->contexts_allocated, ==, 1);    /* double: (quit is a primitive) */
  g_assert_cmpuint (st->sends, ==, 2);
  /* The stack is empty again after the pop into the temp. */
  g_assert_cmphex (st_fetch (r.vm, r.k->active_context, STACKP), ==, st_smallint_oop (1 + 1));
  run_free (&r);
}

static void test_send_v3 (void) { send_case (68021); }
static void test_send_sista (void) { send_case (68533); }

/* [:a | a + 1] value: 41  with V3PlusClosures (bytecode 143), and
 * [^42] value. ^0  -- a non-local return from a block to the sender of
 * its home. */
static void
test_closures_v3 (void)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, 68021);
  guint8 val1[] = { V3_RETURN_SELF };
  thaw_builder_method (r.b, r.k->block_closure_class, "value:", 1, 1, 202, NULL, 0, val1, 1);
  thaw_builder_method (r.b, r.k->block_closure_class, "value", 0, 0, 201, NULL, 0, val1, 1);
  /* Object>>nlr  [^42] value. ^0 */
  guint8 nlr[] = { 143, 0x00, 0, 3, 0x20, V3_RETURN_TOP, V3_BLOCK_RETURN_TOP,   /* closure: push 42, ^top */
                   V3_VALUE, V3_POP, 117, V3_RETURN_TOP };
  StOop nlr_lits[] = { st_smallint_oop (42) };
  thaw_builder_method (r.b, r.k->object_class, "nlr", 0, 0, 0, nlr_lits, 1, nlr, sizeof nlr);

  StOop lits[] = { st_smallint_oop (41), thaw_builder_symbol (r.b, "nlr"), thaw_builder_symbol (r.b, "quit") };
  guint8 code[] = { 143, 0x01, 0, 4, V3_PUSH_TEMP (0), V3_PUSH_ONE, V3_PLUS, V3_BLOCK_RETURN_TOP,
                    V3_PUSH_LIT (0), V3_VALUE1, V3_POP_TEMP (0),
                    V3_PUSH_SELF, V3_SEND0 (1), V3_POP_TEMP (1),
                    V3_PUSH_SELF, V3_SEND0 (2), V3_RETURN_SELF };
  run_method (&r, 2, lits, 3, code, sizeof code);
  run_to_quit (&r, false);
  g_assert_cmphex (temp (&r, 0), ==, st_smallint_oop (42));
  g_assert_cmphex (temp (&r, 1), ==, st_smallint_oop (42));
  /* two block activations and the nlr method */
  g_assert_cmpuint (st_interp_stats (r.vm)->contexts_allocated, ==, 3);
  run_free (&r);
}

/* SistaV1 full blocks: a CompiledBlock literal, bytecode 249, and
 * FullBlockClosure value: (primitive 207 here). */
static void
test_full_block_sista (void)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, 68533);
  guint8 ret[] = { 88 };
  thaw_builder_method (r.b, r.k->full_block_closure_class, "value:", 1, 1, 207, NULL, 0, ret, 1);
  /* The block [:a | a + copied]: one arg, one copied value; made as a
   * method object whose last literal is replaced by the outer method. */
  guint8 blk[] = { SI_PUSH_TEMP (0), SI_PUSH_TEMP (1), SI_PLUS, SI_BLOCK_RETURN_TOP };
  StOop block = thaw_builder_method (r.b, r.k->symbol_class, "aBlock", 1, 2, 0, NULL, 0, blk, sizeof blk);
  StOop lits[] = { block, st_smallint_oop (40), st_smallint_oop (2), thaw_builder_symbol (r.b, "quit") };
  /* push 40 (copied), push full closure lit0 numCopied 1, push 2, value:, pop into temp 0 */
  guint8 code[] = { SI_PUSH_LIT (1), 249, 0, 1, SI_PUSH_LIT (2), SI_VALUE1, SI_POP_TEMP (0),
                    SI_PUSH_SELF, SI_SEND0 (3), 216, 88 };
  StOop m = run_method (&r, 1, lits, 4, code, sizeof code);
  g_autoptr (GError) error = NULL;
  r.vm = NULL;
  /* The block's outer code is the test method. */
  StVM *vm = thaw_builder_finish (r.b);
  StMethodHeader bh;
  g_assert_true (st_method_header (vm, block, &bh, NULL));
  st_store (vm, block, bh.num_literals, m);
  st_store (vm, r.k->special_objects, 37, r.k->full_block_closure_class);
  StOop ctx = r.k->active_context;
  StMethodHeader h;
  g_assert_true (st_method_header (vm, m, &h, NULL));
  st_store (vm, ctx, METHOD, m);
  st_store (vm, ctx, PC, st_smallint_oop ((int64_t) h.initial_pc + 1));
  st_store (vm, ctx, STACKP, st_smallint_oop (1));
  st_store (vm, ctx, TEMP0, vm->nil_obj);
  r.vm = vm;
  g_assert_true (st_interp_init (vm, &error));
  StRunStatus s = st_interp_run (vm, 1000, 10.0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_QUIT);
  g_assert_cmphex (temp (&r, 0), ==, st_smallint_oop (42));
  run_free (&r);
}

/* SistaV1 extensions: extB -1, push integer 16 is -256 + 16. */
static void
test_sista_extensions (void)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, 68533);
  StOop lits[] = { thaw_builder_symbol (r.b, "quit") };
  guint8 code[] = { 225, 0xFF, 232, 0x10, SI_POP_TEMP (0), 224, 1, 232, 0x05, SI_POP_TEMP (1),
                    SI_PUSH_SELF, SI_SEND0 (0), 216, 88 };
  run_method (&r, 2, lits, 1, code, sizeof code);
  run_to_quit (&r, false);
  g_assert_cmphex (temp (&r, 0), ==, st_smallint_oop (-240));
  /* extA does not change a pushed integer (only extB does). */
  g_assert_cmphex (temp (&r, 1), ==, st_smallint_oop (5));
  run_free (&r);
}

/* doesNotUnderstand: gets a Message with the selector and arguments. */
static void
test_dnu (void)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, 68021);
  guint8 dnu[] = { V3_PUSH_TEMP (0), V3_RETURN_TOP };
  thaw_builder_method (r.b, r.k->object_class, "doesNotUnderstand:", 1, 1, 0, NULL, 0, dnu, sizeof dnu);
  StOop lits[] = { thaw_builder_symbol (r.b, "frobnicate:"), st_smallint_oop (7), thaw_builder_symbol (r.b, "quit") };
  guint8 code[] = { V3_PUSH_SELF, V3_PUSH_LIT (1), V3_SEND1 (0), V3_POP_TEMP (0), V3_PUSH_SELF, V3_SEND0 (2),
                    V3_RETURN_SELF };
  run_method (&r, 1, lits, 3, code, sizeof code);
  run_to_quit (&r, false);
  StOop msg = temp (&r, 0);
  g_assert_true (st_is_pointer (msg));
  g_assert_cmpuint (st_class_index (r.vm, msg), ==, thaw_builder_class_index (r.b, r.k->message_class));
  g_assert_cmphex (st_fetch (r.vm, msg, 0), ==, lits[0]);
  StOop args = st_fetch (r.vm, msg, 1);
  g_assert_cmpuint (st_num_slots (r.vm, args), ==, 1);
  g_assert_cmphex (st_fetch (r.vm, args, 0), ==, st_smallint_oop (7));
  g_assert_cmpuint (st_interp_stats (r.vm)->dnu_sends, ==, 1);
  g_assert_nonnull (st_interp_events (r.vm)[0]);
  g_assert_nonnull (strstr (st_interp_events (r.vm)[0], "#frobnicate:"));
  run_free (&r);
}

/* A sender the image changed is checked before the return goes on in it.
 * Object>>r: n sends r: n - 1 until n is 0; that innermost activation
 * reaches its sender through thisContext (instVarAt: 1) and stores a pc,
 * stack pointer or method that cannot run into it; its return then stops
 * the run with an error naming the context instead of going on from what
 * the send saved.  With gc, it first has new space scavenged (primitive
 * 131), which moves both contexts to a survivor space (above eden), and
 * then sends c (^self), whose return loads it the slow way (putting its
 * method in the header cache): contexts in survivor space are not the
 * VM's own either. */
static void
sender_case (guint slot, StOop value, bool gc, const char *expect)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, 68021);
  thaw_builder_method (r.b, r.k->object_class, "instVarAt:", 1, 1, 173, NULL, 0, (guint8[]) { V3_RETURN_SELF }, 1);
  thaw_builder_method (r.b, r.k->object_class, "instVarAt:put:", 2, 2, 174, NULL, 0, (guint8[]) { V3_RETURN_SELF },
                       1);
  thaw_builder_method (r.b, r.k->object_class, "gc", 0, 0, 131, NULL, 0, (guint8[]) { V3_RETURN_SELF }, 1);
  thaw_builder_method (r.b, r.k->object_class, "c", 0, 0, 0, NULL, 0, (guint8[]) { V3_PUSH_SELF, V3_RETURN_TOP }, 2);
  StOop rlits[] = { thaw_builder_symbol (r.b, "r:"), thaw_builder_symbol (r.b, "gc"), thaw_builder_symbol (r.b, "c"),
                    thaw_builder_symbol (r.b, "instVarAt:"), thaw_builder_symbol (r.b, "instVarAt:put:"),
                    st_smallint_oop (slot), value };
  guint8 rc[] = {
    V3_PUSH_TEMP (0), 117, 179, 152 + 6 - 1,              /* n > 0 ifFalse: jump to 10 */
    V3_PUSH_SELF, V3_PUSH_TEMP (0), V3_PUSH_ONE, 177, V3_SEND1 (0), V3_RETURN_SELF,   /* self r: n - 1 */
    V3_PUSH_SELF, V3_SEND0 (1), V3_POP,                   /* self gc */
    V3_PUSH_SELF, V3_SEND0 (2), V3_POP,                   /* self c */
    V3_PUSH_CONTEXT, V3_PUSH_ONE, V3_SEND1 (3),           /* thisContext instVarAt: 1 */
    V3_PUSH_LIT (5), V3_PUSH_LIT (6), 240 + 4, V3_POP,    /* instVarAt: slot put: value */
    V3_RETURN_SELF,
  };
  if (!gc)
    rc[11] = V3_SEND0 (2);                                /* c instead of gc */
  thaw_builder_method (r.b, r.k->object_class, "r:", 1, 1, 0, rlits, G_N_ELEMENTS (rlits), rc, sizeof rc);
  StOop lits[] = { thaw_builder_symbol (r.b, "r:"), thaw_builder_symbol (r.b, "quit") };
  guint8 code[] = { V3_PUSH_SELF, V3_PUSH_ONE, V3_SEND1 (0), V3_POP, V3_PUSH_SELF, V3_SEND0 (1), V3_RETURN_SELF };
  run_method (&r, 0, lits, 2, code, sizeof code);
  g_autoptr (GError) error = NULL;
  StRunStatus s = run_go (&r, 1000, &error);
  g_assert_cmpint (s, ==, ST_RUN_ERROR);
  g_assert_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_BAD_CONTEXT);
  g_assert_nonnull (strstr (error->message, expect));
  if (gc)
    g_assert_cmpuint (st_gc_stats (r.vm)->scavenges, >=, 1);
  run_free (&r);
}

static void
test_changed_sender (void)
{
  for (guint gc = 0; gc < 2; gc++)
    {
      sender_case (2, st_smallint_oop (99999), gc, "pc 99999");
      sender_case (3, st_smallint_oop (1000), gc, "stackp 1000");
      sender_case (4, st_smallint_oop (3), gc, "method");
    }
}

/* A method whose primitive is unknown runs its fallback code, and the
 * primitive is counted as missing; a failing primitive with an error
 * temp (callPrimitive + long store temp) gets the failure code. */
static void
count_missing (const char *name, uint64_t count, gpointer data)
{
  if (strcmp (name, "#999") == 0)
    *(uint64_t *) data = count;
}

static void
test_primitive_failure (void)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, 68021);
  guint8 seven[] = { 0x20, V3_RETURN_TOP };
  StOop seven_lits[] = { st_smallint_oop (7) };
  thaw_builder_method (r.b, r.k->object_class, "unknownPrim", 0, 0, 999, seven_lits, 1, seven, sizeof seven);
  /* Array>>at: <primitive: 60 error: ec>  ^ec */
  guint8 at[] = { 129, 0x41, V3_RETURN_TOP };      /* store into temp 1, ^top */
  thaw_builder_method (r.b, r.k->array_class, "at:", 1, 2, 60, NULL, 0, at, sizeof at);
  StOop arr = thaw_builder_array (r.b, 2, NULL);
  StOop lits[] = { thaw_builder_symbol (r.b, "unknownPrim"), thaw_builder_symbol (r.b, "at:"), arr,
                   st_smallint_oop (5), thaw_builder_symbol (r.b, "quit") };
  guint8 code[] = { V3_PUSH_SELF, V3_SEND0 (0), V3_POP_TEMP (0),
                    V3_PUSH_LIT (2), V3_PUSH_LIT (3), V3_SEND1 (1), V3_POP_TEMP (1),
                    V3_PUSH_LIT (2), V3_PUSH_ONE, V3_SEND1 (1), V3_POP_TEMP (2),
                    V3_PUSH_SELF, V3_SEND0 (4), V3_RETURN_SELF };
  run_method (&r, 3, lits, 5, code, sizeof code);
  run_to_quit (&r, false);
  g_assert_cmphex (temp (&r, 0), ==, st_smallint_oop (7));
  g_assert_cmphex (temp (&r, 1), ==, st_smallint_oop (4));        /* PrimErrBadIndex (the table has 2 names) */
  g_assert_cmphex (temp (&r, 2), ==, r.vm->nil_obj);              /* at: 1 succeeded: nil */
  uint64_t missing = 0;
  st_interp_foreach_missing (r.vm, count_missing, &missing);
  g_assert_cmpuint (missing, ==, 1);
  run_free (&r);
}

/* 6502 images: thisContext blockCopy: 0, then value (primitives 80, 81). */
static void
test_block_context_6502 (void)
{
  Run r;
  run_setup (&r, ST_FAMILY_V3, 4, 6502);
  StOop bctx = thaw_builder_class (r.b, "BlockContext", r.k->object_class, ST_FMT_FIXED_INDEXABLE, "caller", "pc",
                                   "stackp", "nargs", "startpc", "home", NULL);
  guint8 ret[] = { V3_RETURN_SELF };
  thaw_builder_method (r.b, r.k->context_class, "blockCopy:", 1, 1, 80, NULL, 0, ret, 1);
  thaw_builder_method (r.b, bctx, "value", 0, 0, 81, NULL, 0, ret, 1);
  StOop lits[] = { thaw_builder_symbol (r.b, "blockCopy:"), st_smallint_oop (40), thaw_builder_symbol (r.b, "value"),
                   thaw_builder_symbol (r.b, "quit") };
  /* thisContext blockCopy: 0; jump over [temp0 := 40 + 1. temp0 + 1]; value; into temp 1 (the block's temps are
   * its home's: the + stored into one, and the push, go through the home) */
  guint8 code[] = { V3_PUSH_CONTEXT, 117, V3_SEND1 (0), 164, 8,
                    V3_PUSH_LIT (1), V3_PUSH_ONE, V3_PLUS, V3_POP_TEMP (0), V3_PUSH_TEMP (0), V3_PUSH_ONE, V3_PLUS,
                    V3_BLOCK_RETURN_TOP,
                    V3_SEND0 (2), V3_POP_TEMP (1), V3_PUSH_SELF, V3_SEND0 (3), V3_RETURN_SELF };
  run_method (&r, 2, lits, 4, code, sizeof code);
  r.vm = thaw_builder_finish (r.b);
  st_store (r.vm, r.k->special_objects, 11, bctx);
  /* run_go finishes the builder again otherwise: set up by hand */
  StVM *vm = r.vm;
  StOop ctx = r.k->active_context;
  StMethodHeader h;
  g_assert_true (st_method_header (vm, r.method, &h, NULL));
  g_assert_cmpint (h.bytecode_set, ==, ST_BYTECODE_SET_V3);
  st_store (vm, ctx, METHOD, r.method);
  st_store (vm, ctx, PC, st_smallint_oop ((int64_t) h.initial_pc + 1));
  st_store (vm, ctx, STACKP, st_smallint_oop (2));
  g_autoptr (GError) error = NULL;
  g_assert_true (st_interp_init (vm, &error));
  StRunStatus s = st_interp_run (vm, 1000, 10.0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_QUIT);
  /* The block wrote its home's temp 0 and answered 42. */
  g_assert_cmphex (temp (&r, 0), ==, st_smallint_oop (41));
  g_assert_cmphex (temp (&r, 1), ==, st_smallint_oop (42));
  run_free (&r);
}

/* Semaphore wait with nothing signalled: the active process waits, the
 * other runnable one (priority 40) runs and quits. */
static void
test_process_switch (void)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, 68021);
  guint8 ret[] = { V3_RETURN_SELF };
  thaw_builder_method (r.b, r.k->semaphore_class, "wait", 0, 0, 86, NULL, 0, ret, 1);
  StOop sem = thaw_builder_instance (r.b, r.k->semaphore_class, 0);
  StOop lits[] = { sem, thaw_builder_symbol (r.b, "wait"), thaw_builder_symbol (r.b, "quit") };
  guint8 code[] = { V3_PUSH_LIT (0), V3_SEND0 (1), V3_POP, V3_PUSH_SELF, V3_SEND0 (2), V3_RETURN_SELF };
  run_method (&r, 0, lits, 3, code, sizeof code);
  /* The waiting process runs "self quit" too. */
  StOop quit_lits[] = { thaw_builder_symbol (r.b, "quit") };
  guint8 quit_code[] = { V3_PUSH_SELF, V3_SEND0 (0), V3_RETURN_SELF };
  StOop other = thaw_builder_method (r.b, r.k->object_class, "other", 0, 0, 0, quit_lits, 1, quit_code, 3);
  r.vm = thaw_builder_finish (r.b);
  StVM *vm = r.vm;
  StOop ctx2 = st_fetch (vm, r.k->waiting_process, 1);
  StMethodHeader h2;
  g_assert_true (st_method_header (vm, other, &h2, NULL));
  st_store (vm, ctx2, METHOD, other);
  st_store (vm, ctx2, PC, st_smallint_oop ((int64_t) h2.initial_pc + 1));
  StOop ctx = r.k->active_context;
  StMethodHeader h;
  g_assert_true (st_method_header (vm, r.method, &h, NULL));
  st_store (vm, ctx, METHOD, r.method);
  st_store (vm, ctx, PC, st_smallint_oop ((int64_t) h.initial_pc + 1));
  st_store (vm, ctx, STACKP, st_smallint_oop (0));
  g_autoptr (GError) error = NULL;
  g_assert_true (st_interp_init (vm, &error));
  StRunStatus s = st_interp_run (vm, 1000, 10.0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_QUIT);
  g_assert_cmpuint (st_interp_stats (vm)->process_switches, ==, 1);
  /* Processor's activeProcess is the other one; the first waits on the
   * semaphore with its context saved (pc after the send of #wait). */
  g_assert_cmphex (st_fetch (vm, r.k->scheduler, 1), ==, r.k->waiting_process);
  g_assert_cmphex (st_fetch (vm, sem, 0), ==, r.k->active_process);
  g_assert_cmphex (st_fetch (vm, r.k->active_process, 1), ==, ctx);
  g_assert_cmphex (st_fetch (vm, ctx, PC), ==, st_smallint_oop ((int64_t) h.initial_pc + 2 + 1));
  g_assert_cmphex (st_fetch (vm, r.k->waiting_process, 1), ==, vm->nil_obj);
  run_free (&r);
}

/* The timer: the active process (priority 50) arms the timer semaphore
 * 20 ms ahead (primitive 242) and waits on it; the other process spins
 * until the periodic check signals the timer semaphore, which preempts it. */
static void
test_timer_preempts (void)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, 68021);
  guint8 ret[] = { V3_RETURN_SELF };
  thaw_builder_method (r.b, r.k->semaphore_class, "wait", 0, 0, 86, NULL, 0, ret, 1);
  thaw_builder_method (r.b, r.k->object_class, "utcNow", 0, 0, 240, NULL, 0, ret, 1);
  thaw_builder_method (r.b, r.k->object_class, "signal:atUTCMicroseconds:", 2, 2, 242, NULL, 0, ret, 1);
  StOop sem = thaw_builder_instance (r.b, r.k->semaphore_class, 0);
  StOop lits[] = { sem, thaw_builder_symbol (r.b, "utcNow"), st_smallint_oop (20000),
                   thaw_builder_symbol (r.b, "signal:atUTCMicroseconds:"), thaw_builder_symbol (r.b, "wait"),
                   thaw_builder_symbol (r.b, "quit") };
  guint8 code[] = { V3_PUSH_SELF, V3_PUSH_LIT (0), V3_PUSH_SELF, V3_SEND0 (1), V3_PUSH_LIT (2), V3_PLUS,
                    240 + 3, V3_POP,
                    V3_PUSH_LIT (0), V3_SEND0 (4), V3_POP,
                    V3_PUSH_SELF, V3_SEND0 (5), V3_RETURN_SELF };
  run_method (&r, 0, lits, 6, code, sizeof code);
  guint8 spin_code[] = { V3_PUSH_ONE, V3_POP, 163, 0xFC };
  StOop spin = thaw_builder_method (r.b, r.k->object_class, "spin", 0, 0, 0, NULL, 0, spin_code, sizeof spin_code);
  r.vm = thaw_builder_finish (r.b);
  StVM *vm = r.vm;
  StOop ctx2 = st_fetch (vm, r.k->waiting_process, 1);
  StMethodHeader h2, h;
  g_assert_true (st_method_header (vm, spin, &h2, NULL));
  st_store (vm, ctx2, METHOD, spin);
  st_store (vm, ctx2, PC, st_smallint_oop ((int64_t) h2.initial_pc + 1));
  st_store (vm, r.k->active_process, 2, st_smallint_oop (50));
  StOop ctx = r.k->active_context;
  g_assert_true (st_method_header (vm, r.method, &h, NULL));
  st_store (vm, ctx, METHOD, r.method);
  st_store (vm, ctx, PC, st_smallint_oop ((int64_t) h.initial_pc + 1));
  st_store (vm, ctx, STACKP, st_smallint_oop (0));
  g_autoptr (GError) error = NULL;
  g_assert_true (st_interp_init (vm, &error));
  gint64 t0 = g_get_monotonic_time ();
  StRunStatus s = st_interp_run (vm, 0, 10.0, &error);
  gint64 elapsed = g_get_monotonic_time () - t0;
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_QUIT);
  g_assert_cmpint (elapsed, >=, 19000);
  g_assert_cmpuint (st_interp_stats (vm)->process_switches, ==, 2);
  g_assert_cmpuint (st_interp_stats (vm)->bytecodes, >, 1000);     /* the spinner ran meanwhile */
  g_assert_cmphex (st_fetch (vm, r.k->scheduler, 1), ==, r.k->active_process);
  g_assert_cmphex (st_special (vm, ST_SPLOB_THE_TIMER_SEMAPHORE), ==, sem);
  run_free (&r);
}

/* A 32-bit image's context read through an instance variable bytecode
 * shows its pc in the image's terms, not the heap's 64-bit layout: the
 * caller sends #ctxPc (^pc) to thisContext, whose pc then points just
 * after the send, at byte 2: (literals + 1) * 4 + 1 + 2 as the image
 * counts it (with 8-byte words in the heap's layout). */
static void
test_context_pc_32 (void)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 4, 6521);
  guint8 get[] = { 1, V3_RETURN_TOP };                 /* push inst var 1 (pc) */
  thaw_builder_method (r.b, r.k->context_class, "ctxPc", 0, 0, 0, NULL, 0, get, sizeof get);
  StOop lits[] = { thaw_builder_symbol (r.b, "ctxPc"), thaw_builder_symbol (r.b, "quit") };
  guint8 code[] = {
    V3_PUSH_CONTEXT, V3_SEND0 (0), V3_POP_TEMP (0),        /* t0 := thisContext ctxPc */
    V3_PUSH_SELF, V3_SEND0 (1), V3_RETURN_SELF,
  };
  run_method (&r, 1, lits, 2, code, sizeof code);
  g_autoptr (GError) error = NULL;
  StRunStatus s = run_go (&r, 10000, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_QUIT);
  StMethodHeader h;
  g_assert_true (st_method_header (r.vm, r.method, &h, NULL));
  g_assert_cmphex (temp (&r, 0), ==, st_smallint_oop ((int64_t) (h.num_literals + 1) * 4 + 1 + 2));
  run_free (&r);
}

/* Run CODE as the test method and expect the run to stop on an error
 * with code ERR whose message holds NEEDLE; r stays set up for more. */
static void
run_damaged (Run *r, const guint8 *code, gsize n, gint err, const char *needle)
{
  run_setup (r, ST_FAMILY_SPUR, 8, 68021);
  run_method (r, 0, NULL, 0, code, n);
  g_autoptr (GError) error = NULL;
  StRunStatus s = run_go (r, 1000, &error);
  g_assert_cmpint (s, ==, ST_RUN_ERROR);
  g_assert_error (error, ST_INTERP_ERROR, err);
  g_assert_nonnull (strstr (error->message, needle));
}

/* Damage: a context whose pc lies outside its method cannot start, and a
 * bytecode naming a missing literal stops the run with an error. */
static void
test_damaged (void)
{
  Run r;
  g_autoptr (GError) error = NULL;
  guint8 code[] = { V3_PUSH_LIT (20), V3_RETURN_TOP };
  run_damaged (&r, code, sizeof code, ST_INTERP_ERROR_BAD_BYTECODE, "literal");
  /* The error ends the run for good: running again says so. */
  StRunStatus s = st_interp_run (r.vm, 1000, 0, &error);
  g_assert_cmpint (s, ==, ST_RUN_ERROR);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "literal"));
  run_free (&r);
  /* also through the labels of literals 0-7 (the method has none) */
  guint8 lit3[] = { V3_PUSH_LIT (3), V3_RETURN_TOP };
  run_damaged (&r, lit3, sizeof lit3, ST_INTERP_ERROR_BAD_BYTECODE, "bytecode 35 names a literal");
  run_free (&r);

  /* The message names the failing bytecode's opcode, also when its
   * operand byte was read last: an extended push (128) of temp 62, after
   * a push of temp 0 (16), past the frame. */
  guint8 far[] = { V3_PUSH_TEMP (0), 128, 0x40 | 62, V3_RETURN_TOP };
  run_damaged (&r, far, sizeof far, ST_INTERP_ERROR_BAD_BYTECODE, "bytecode 128 names a temporary outside the frame");
  run_free (&r);

  /* Pushing past the frame stops the run, the context's stack full but
   * not past its end. */
  guint8 deep[80];
  for (guint i = 0; i < sizeof deep - 1; i++)
    deep[i] = V3_PUSH_SELF;
  deep[sizeof deep - 1] = V3_RETURN_TOP;
  run_damaged (&r, deep, sizeof deep, ST_INTERP_ERROR_BAD_CONTEXT, "stack overflow");
  StOop active = r.k->active_context;
  g_assert_cmphex (st_fetch (r.vm, active, STACKP), ==, st_smallint_oop ((int64_t) st_num_slots (r.vm, active) - TEMP0));
  run_free (&r);
  /* also by pushes of temps, which go two at a time */
  for (guint i = 0; i < sizeof deep - 1; i++)
    deep[i] = V3_PUSH_TEMP (i % 2);
  run_damaged (&r, deep, sizeof deep, ST_INTERP_ERROR_BAD_CONTEXT, "stack overflow");
  active = r.k->active_context;
  g_assert_cmphex (st_fetch (r.vm, active, STACKP), ==, st_smallint_oop ((int64_t) st_num_slots (r.vm, active) - TEMP0));
  run_free (&r);

  ThawBuilder *b = thaw_builder_new (ST_FAMILY_SPUR, 8);
  const ThawBuilderObjects *k = thaw_builder_objects (b);
  StVM *vm = thaw_builder_finish (b);
  thaw_damage_context_pc (vm, k->active_context, 100000);
  g_clear_error (&error);
  g_assert_false (st_interp_init (vm, &error));
  g_assert_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_BAD_CONTEXT);
  st_vm_free (vm);
  thaw_builder_free (b);

  /* A context with room for only eleven temps (the interpreter reads the
   * first twelve without a check) cannot start. */
  b = thaw_builder_new (ST_FAMILY_SPUR, 8);
  k = thaw_builder_objects (b);
  StOop small = thaw_builder_instance (b, k->context_class, 11);
  vm = thaw_builder_finish (b);
  g_assert_cmpuint (st_num_slots (vm, small), ==, TEMP0 + 11);
  for (guint i = 0; i < TEMP0; i++)
    st_store (vm, small, i, st_fetch (vm, k->active_context, i));
  st_store (vm, k->active_process, 1, small);
  g_clear_error (&error);
  g_assert_false (st_interp_init (vm, &error));
  g_assert_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_BAD_CONTEXT);
  g_assert_nonnull (strstr (error->message, "fewer than the 18 of the smallest frame"));
  st_vm_free (vm);
  thaw_builder_free (b);
}

/* The four long backward jumps (opcodes 160-163: offsets -1024..-1 in
 * four rows of 256): a loop that counts temp 0 down from 3 and temp 1 up,
 * its body padded so that its jump back uses opcode 160 + k, run whole
 * and one bytecode at a time.  Then a jump back past the method's start,
 * and one whose offset byte is missing, stop the run with an error. */
static void
test_long_jump_back (void)
{
  for (guint k = 0; k < 4; k++)
    for (guint stepped = 0; stepped < 2; stepped++)
      {
        Run r;
        run_setup (&r, ST_FAMILY_SPUR, 8, 68021);
        StOop lits[] = { st_smallint_oop (3), st_smallint_oop (0), thaw_builder_symbol (r.b, "quit") };
        GByteArray *c = g_byte_array_new ();
#define EMIT(x) do { guint8 x_ = (x); g_byte_array_append (c, &x_, 1); } while (0)
        EMIT (V3_PUSH_LIT (0));
        EMIT (V3_POP_TEMP (0));
        EMIT (V3_PUSH_LIT (1));
        EMIT (V3_POP_TEMP (1));
        guint loop = c->len;
        /* temp 1 := temp 1 + 1.  temp 0 := temp 0 - 1.  temp 0 = 0 ifTrue: [exit] */
        guint8 body[] = { V3_PUSH_TEMP (1), V3_PUSH_ONE, V3_PLUS, V3_POP_TEMP (1),
                          V3_PUSH_TEMP (0), V3_PUSH_ONE, V3_MINUS, V3_POP_TEMP (0),
                          V3_PUSH_TEMP (0), V3_PUSH_LIT (1), 182 /* = */ };
        g_byte_array_append (c, body, sizeof body);
        /* the loop's length, back jump included: 100 into row k */
        guint length = (4 - k) * 256 - 100;
        guint exit_at = c->len + 2;          /* the long jump true (2 bytes) */
        guint pad = length - (exit_at - loop) - 2;
        EMIT (168 + (pad + 2) / 256);         /* long jump true over the padding and the jump back */
        EMIT ((pad + 2) % 256);
        if (pad % 2 == 1)
          {
            EMIT (128);                       /* extended push of temp 0, and pop: 3 bytes */
            EMIT (0x40);
            EMIT (V3_POP);
            pad -= 3;
          }
        for (guint i = 0; i < pad / 2; i++)
          {
            EMIT (V3_PUSH_ONE);
            EMIT (V3_POP);
          }
        int64_t back = (int64_t) loop - (int64_t) (c->len + 2);
        g_assert_cmpint (back, ==, ((int64_t) k - 4) * 256 + 100);
        EMIT (160 + k);
        EMIT (100);
        EMIT (V3_PUSH_SELF);
        EMIT (V3_SEND0 (2));
        EMIT (V3_RETURN_SELF);
#undef EMIT
        run_method (&r, 2, lits, 3, c->data, c->len);
        g_byte_array_unref (c);
        g_autoptr (GError) error = NULL;
        StRunStatus s = run_go (&r, stepped ? 1 : 100000, &error);    /* up to 1400 bytecodes */
        while (stepped && s == ST_RUN_BYTECODE_LIMIT)
          s = st_interp_run (r.vm, 1, 0, &error);
        g_assert_no_error (error);
        g_assert_cmpint (s, ==, ST_RUN_QUIT);
        g_assert_cmphex (temp (&r, 0), ==, st_smallint_oop (0));
        g_assert_cmphex (temp (&r, 1), ==, st_smallint_oop (3));
        run_free (&r);
      }

  /* back by 256 - 10 from the method's third byte */
  Run r;
  guint8 before[] = { V3_PUSH_ONE, V3_POP, 163, 10 };
  run_damaged (&r, before, sizeof before, ST_INTERP_ERROR_BAD_BYTECODE, "pc runs outside");
  run_free (&r);
  for (guint k = 0; k < 4; k++)
    {
      guint8 cut[] = { V3_PUSH_ONE, V3_POP, 160 + k };
      run_damaged (&r, cut, sizeof cut, ST_INTERP_ERROR_BAD_BYTECODE, "pc runs outside");
      run_free (&r);
    }
}

/* Limits: an endless loop stops at the bytecode budget, and running on
 * continues from where it stopped. */
static void
test_limits (void)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, 68021);
  guint8 code[] = { V3_PUSH_ONE, V3_POP, 163, 0xFC };   /* loop: push 1, pop, jump back 4 */
  run_method (&r, 0, NULL, 0, code, sizeof code);
  g_autoptr (GError) error = NULL;
  StRunStatus s = run_go (&r, 3000, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_BYTECODE_LIMIT);
  g_assert_cmpuint (st_interp_stats (r.vm)->bytecodes, ==, 3000);
  s = st_interp_run (r.vm, 1000, 0, &error);
  g_assert_cmpint (s, ==, ST_RUN_BYTECODE_LIMIT);
  g_assert_cmpuint (st_interp_stats (r.vm)->bytecodes, ==, 4000);
  s = st_interp_run (r.vm, 0, 0.05, &error);
  g_assert_cmpint (s, ==, ST_RUN_TIME_LIMIT);
  run_free (&r);
}

/* Bytecode limits stop exactly where they say, whatever the code between:
 * sends and returns (their fast paths), a comparison fused with its
 * conditional jump, and 600 bytecodes of straight-line code (the loop
 * compares the count with the limit only where it could be reached).
 * One bytecode at a time, in uneven chunks and in one run, the method
 * ends after the same count with the same result. */
static void
limits_program (Run *r)
{
  run_setup (r, ST_FAMILY_SPUR, 8, 68021);
  /* Object>>inc: x  ^x + 1 */
  guint8 inc[] = { V3_PUSH_TEMP (0), V3_PUSH_ONE, V3_PLUS, V3_RETURN_TOP };
  thaw_builder_method (r->b, r->k->object_class, "inc:", 1, 1, 0, NULL, 0, inc, sizeof inc);
  StOop lits[] = { st_smallint_oop (0), st_smallint_oop (50), thaw_builder_symbol (r->b, "inc:"),
                   thaw_builder_symbol (r->b, "quit") };
  GByteArray *c = g_byte_array_new ();
#define EMIT(x) do { guint8 x_ = (x); g_byte_array_append (c, &x_, 1); } while (0)
  EMIT (V3_PUSH_LIT (0));
  EMIT (V3_POP_TEMP (0));
  guint loop = c->len;
  EMIT (V3_PUSH_TEMP (0));
  EMIT (V3_PUSH_LIT (1));
  EMIT (178);                        /* < */
  guint body = 4 + 4 + 600 + 2;      /* skipped by the long jump false */
  EMIT (172 + body / 256);
  EMIT (body % 256);
  EMIT (V3_PUSH_SELF);
  EMIT (V3_PUSH_TEMP (0));
  EMIT (V3_SEND1 (2));
  EMIT (V3_POP_TEMP (0));
  EMIT (V3_PUSH_TEMP (0));           /* temp 1 := temp 0 + 1 (a + and store taken together) */
  EMIT (V3_PUSH_ONE);
  EMIT (V3_PLUS);
  EMIT (V3_POP_TEMP (1));
  for (int i = 0; i < 300; i++)
    {
      EMIT (V3_PUSH_ONE);
      EMIT (V3_POP);
    }
  int64_t back = (int64_t) loop - (int64_t) (c->len + 2);
  EMIT (164 + (int) ((back - (back & 255)) / 256));
  EMIT ((guint8) (back & 255));
  EMIT (V3_PUSH_SELF);
  EMIT (V3_SEND0 (3));
  EMIT (V3_RETURN_SELF);
#undef EMIT
  run_method (r, 2, lits, 4, c->data, c->len);
  g_byte_array_unref (c);
}

static void
test_limits_exact (void)
{
  g_autoptr (GError) error = NULL;
  /* one run */
  Run whole;
  limits_program (&whole);
  StRunStatus s = run_go (&whole, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_QUIT);
  g_assert_cmphex (temp (&whole, 0), ==, st_smallint_oop (50));
  g_assert_cmphex (temp (&whole, 1), ==, st_smallint_oop (51));
  uint64_t total = st_interp_stats (whole.vm)->bytecodes;
  g_assert_cmpuint (total, >, 50 * 600);

  /* one bytecode at a time */
  Run step;
  limits_program (&step);
  s = run_go (&step, 1, &error);
  g_assert_no_error (error);
  uint64_t n = 1;
  while (s == ST_RUN_BYTECODE_LIMIT)
    {
      g_assert_cmpuint (st_interp_stats (step.vm)->bytecodes, ==, n);
      s = st_interp_run (step.vm, 1, 0, &error);
      g_assert_no_error (error);
      n++;
    }
  g_assert_cmpint (s, ==, ST_RUN_QUIT);
  g_assert_cmpuint (st_interp_stats (step.vm)->bytecodes, ==, total);
  g_assert_cmphex (temp (&step, 0), ==, st_smallint_oop (50));
  g_assert_cmphex (temp (&step, 1), ==, st_smallint_oop (51));

  /* uneven chunks */
  static const uint64_t chunks[] = { 3, 7, 599, 600, 601, 4095, 4096, 4097, 13, 1 };
  Run chunked;
  limits_program (&chunked);
  uint64_t done = 0;
  guint i = 0;
  s = run_go (&chunked, chunks[0], &error);
  while (s == ST_RUN_BYTECODE_LIMIT)
    {
      done += chunks[i % G_N_ELEMENTS (chunks)];
      g_assert_cmpuint (st_interp_stats (chunked.vm)->bytecodes, ==, done);
      i++;
      s = st_interp_run (chunked.vm, chunks[i % G_N_ELEMENTS (chunks)], 0, &error);
      g_assert_no_error (error);
    }
  g_assert_cmpint (s, ==, ST_RUN_QUIT);
  g_assert_cmpuint (st_interp_stats (chunked.vm)->bytecodes, ==, total);
  g_assert_cmphex (temp (&chunked, 0), ==, st_smallint_oop (50));
  g_assert_cmphex (temp (&chunked, 1), ==, st_smallint_oop (51));
  g_assert_cmpuint (st_interp_stats (chunked.vm)->sends, ==, st_interp_stats (whole.vm)->sends);
  run_free (&whole);
  run_free (&step);
  run_free (&chunked);
}

/* Float arithmetic: boxed in 32-bit images, SmallFloat64 in 64-bit ones;
 * Float basicAt: 1 answers the high word of the IEEE double. */
static void
float_case (guint wb, guint32 format)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, wb, format);
  guint8 ret[] = { V3_RETURN_SELF };
  thaw_builder_method (r.b, r.k->float_class, "+", 1, 1, 41, NULL, 0, ret, 1);
  thaw_builder_method (r.b, r.k->float_class, "basicAt:", 1, 1, 38, NULL, 0, ret, 1);
  StOop lits[] = { thaw_builder_float (r.b, 1.5), st_smallint_oop (2), thaw_builder_symbol (r.b, "basicAt:"),
                   thaw_builder_symbol (r.b, "quit") };
  guint8 code[] = { V3_PUSH_LIT (0), V3_PUSH_LIT (1), V3_PLUS, V3_POP_TEMP (0),
                    V3_PUSH_LIT (0), V3_PUSH_ONE, V3_SEND1 (2), V3_POP_TEMP (1),
                    V3_PUSH_SELF, V3_SEND0 (3), V3_RETURN_SELF };
  run_method (&r, 2, lits, 4, code, sizeof code);
  run_to_quit (&r, false);
  StOop sum = temp (&r, 0);
  if (wb == 8)
    {
      g_assert_true (st_is_smallfloat (sum));
      g_assert_cmpfloat (st_smallfloat_value (sum), ==, 3.5);
    }
  else
    {
      g_assert_true (st_is_pointer (sum));
      g_assert_cmpuint (st_class_index (r.vm, sum), ==, thaw_builder_class_index (r.b, r.k->float_class));
      uint64_t bits = st_fetch (r.vm, sum, 0);
      double d;
      memcpy (&d, &bits, sizeof d);
      g_assert_cmpfloat (d, ==, 3.5);
    }
  /* 1.5 = 0x3FF8000000000000 */
  g_assert_cmphex (temp (&r, 1), ==, st_smallint_oop (0x3FF80000));
  run_free (&r);
}

static void test_float_spur32 (void) { float_case (4, 6521); }
static void test_float_spur64 (void) { float_case (8, 68021); }

/* super: Sub>>foo  ^super foo + 10 over Object>>foo ^1; and a
 * conditional jump on a non-Boolean sends #mustBeBoolean to it. */
static void
test_super_and_must_be_boolean (void)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, 68021);
  StOop sub = thaw_builder_class (r.b, "Sub", r.k->object_class, ST_FMT_FIXED, "x", NULL);
  guint8 foo1[] = { V3_PUSH_ONE, V3_RETURN_TOP };
  thaw_builder_method (r.b, r.k->object_class, "foo", 0, 0, 0, NULL, 0, foo1, sizeof foo1);
  StOop sub_lits[] = { thaw_builder_symbol (r.b, "foo"), st_smallint_oop (10) };
  guint8 foo2[] = { V3_PUSH_SELF, 133, 0x00, V3_PUSH_LIT (1), V3_PLUS, V3_RETURN_TOP };   /* super foo + 10 */
  thaw_builder_method (r.b, sub, "foo", 0, 0, 0, sub_lits, 2, foo2, sizeof foo2);
  StOop mbb = thaw_builder_symbol (r.b, "notABoolean");
  StOop mbb_lits[] = { mbb };
  guint8 mb[] = { V3_PUSH_LIT (0), V3_RETURN_TOP };
  thaw_builder_method (r.b, r.k->object_class, "mustBeBoolean", 0, 0, 0, mbb_lits, 1, mb, sizeof mb);
  StOop lits[] = { thaw_builder_instance (r.b, sub, 0), thaw_builder_symbol (r.b, "foo"), st_smallint_oop (3),
                   thaw_builder_symbol (r.b, "quit") };
  guint8 code[] = { V3_PUSH_LIT (0), V3_SEND0 (1), V3_POP_TEMP (0),
                    V3_PUSH_LIT (2), 152, V3_POP_TEMP (1),
                    V3_PUSH_SELF, V3_SEND0 (3), V3_RETURN_SELF };
  run_method (&r, 2, lits, 4, code, sizeof code);
  run_to_quit (&r, false);
  g_assert_cmphex (temp (&r, 0), ==, st_smallint_oop (11));
  g_assert_cmphex (temp (&r, 1), ==, mbb);
  run_free (&r);
}

/* A non-local return through an unwind-marked context (primitive 198,
 * as ensure: and ifCurtailed: are) is not done by the VM: it sends
 * aboutToReturn:through: to the returning context instead. */
static void
test_unwind_marker (void)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, 68021);
  guint8 val[] = { V3_RETURN_SELF };
  thaw_builder_method (r.b, r.k->block_closure_class, "value", 0, 0, 201, NULL, 0, val, 1);
  /* Object>>marked: aBlock  <primitive: 198>  ^aBlock value */
  guint8 marked[] = { V3_PUSH_TEMP (0), V3_VALUE, V3_RETURN_TOP };
  StOop m_marked = thaw_builder_method (r.b, r.k->object_class, "marked:", 1, 1, 198, NULL, 0, marked, sizeof marked);
  /* Object>>leave  ^self marked: [^7] */
  StOop leave_lits[] = { thaw_builder_symbol (r.b, "marked:"), st_smallint_oop (7) };
  guint8 leave[] = { V3_PUSH_SELF, 143, 0x00, 0, 2, V3_PUSH_LIT (1), V3_RETURN_TOP, V3_SEND1 (0), V3_RETURN_TOP };
  thaw_builder_method (r.b, r.k->object_class, "leave", 0, 0, 0, leave_lits, 2, leave, sizeof leave);
  /* Context>>aboutToReturn: v through: c  self quit */
  StOop ab_lits[] = { thaw_builder_symbol (r.b, "quit") };
  guint8 ab[] = { V3_PUSH_SELF, V3_SEND0 (0), V3_RETURN_SELF };
  thaw_builder_method (r.b, r.k->context_class, "aboutToReturn:through:", 2, 2, 0, ab_lits, 1, ab, sizeof ab);
  StOop lits[] = { thaw_builder_symbol (r.b, "leave") };
  guint8 code[] = { V3_PUSH_SELF, V3_SEND0 (0), V3_RETURN_TOP };
  run_method (&r, 0, lits, 1, code, sizeof code);
  run_to_quit (&r, false);
  StVM *vm = r.vm;
  StOop ctx = st_interp_active_context (vm);     /* aboutToReturn:through: */
  g_assert_cmphex (st_fetch (vm, ctx, TEMP0), ==, st_smallint_oop (7));
  StOop through = st_fetch (vm, ctx, TEMP0 + 1);
  g_assert_cmphex (st_fetch (vm, through, METHOD), ==, m_marked);
  /* Nothing was unwound yet: the marked context is still alive. */
  g_assert_true (st_is_smallint (st_fetch (vm, through, PC)));
  run_free (&r);
}

/* A block whose home has returned cannot return from it: ^42 there sends
 * cannotReturn: 42 to the block's context. */
static void
test_cannot_return (void)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, 68021);
  guint8 val[] = { V3_RETURN_SELF };
  thaw_builder_method (r.b, r.k->block_closure_class, "value", 0, 0, 201, NULL, 0, val, 1);
  /* Object>>makeBlock  ^[^42] */
  guint8 mk[] = { 143, 0x00, 0, 2, V3_PUSH_LIT (0), V3_RETURN_TOP, V3_RETURN_TOP };
  StOop mk_lits[] = { st_smallint_oop (42) };
  thaw_builder_method (r.b, r.k->object_class, "makeBlock", 0, 0, 0, mk_lits, 1, mk, sizeof mk);
  /* Context>>cannotReturn: v  self quit */
  StOop cr_lits[] = { thaw_builder_symbol (r.b, "quit") };
  guint8 cr[] = { V3_PUSH_SELF, V3_SEND0 (0), V3_RETURN_SELF };
  thaw_builder_method (r.b, r.k->context_class, "cannotReturn:", 1, 1, 0, cr_lits, 1, cr, sizeof cr);
  StOop lits[] = { thaw_builder_symbol (r.b, "makeBlock") };
  guint8 code[] = { V3_PUSH_SELF, V3_SEND0 (0), V3_VALUE, V3_RETURN_TOP };
  run_method (&r, 0, lits, 1, code, sizeof code);
  run_to_quit (&r, false);
  /* Stopped in Context>>cannotReturn: with 42, sent to the block's context
   * (whose home, makeBlock's context, is dead: pc nil). */
  StVM *vm = r.vm;
  StOop ctx = st_interp_active_context (vm);
  g_assert_cmphex (st_fetch (vm, ctx, TEMP0), ==, st_smallint_oop (42));
  StOop block_ctx = st_fetch (vm, ctx, RECEIVER);
  g_assert_cmpuint (st_class_index (vm, block_ctx), ==, thaw_builder_class_index (r.b, r.k->context_class));
  StOop closure = st_fetch (vm, block_ctx, CLOSURE);
  StOop home = st_fetch (vm, closure, 0);
  g_assert_cmphex (st_fetch (vm, home, PC), ==, vm->nil_obj);
  g_assert_cmphex (st_fetch (vm, home, SENDER), ==, vm->nil_obj);
  run_free (&r);
}

/* Another thread asks the running loop to stop: it does, at an
 * instruction boundary, with its registers written back. */
static gpointer
request_trap_later (gpointer data)
{
  g_usleep (50000);
  st_interp_request_trap (data);
  return NULL;
}

static void
test_trap_from_thread (void)
{
  Run r;
  run_setup (&r, ST_FAMILY_SPUR, 8, 68021);
  guint8 code[] = { V3_PUSH_ONE, V3_POP, 163, 0xFC };
  run_method (&r, 0, NULL, 0, code, sizeof code);
  g_autoptr (GError) error = NULL;
  StRunStatus s = run_go (&r, 1, &error);      /* set up; one bytecode */
  g_assert_cmpint (s, ==, ST_RUN_BYTECODE_LIMIT);
  GThread *t = g_thread_new ("trap", request_trap_later, r.vm);
  s = st_interp_run (r.vm, 0, 20.0, &error);
  g_thread_join (t);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_TRAP);
  g_assert_cmpuint (st_interp_stats (r.vm)->bytecodes, >, 1000);
  /* The context is consistent: pc at one of the loop's instructions. */
  StMethodHeader h;
  st_method_header (r.vm, r.method, &h, NULL);
  int64_t pc = st_smallint_value (st_fetch (r.vm, r.k->active_context, PC)) - 1 - (int64_t) h.initial_pc;
  g_assert_true (pc == 0 || pc == 1 || pc == 2);
  run_free (&r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/interp/arith/spur64", test_arith_spur64);
  g_test_add_func ("/engine/interp/arith/sista", test_arith_sista);
  g_test_add_func ("/engine/interp/arith/spur32", test_arith_spur32);
  g_test_add_func ("/engine/interp/arith/v3", test_arith_v3);
  g_test_add_func ("/engine/interp/smallint-range", test_smallint_range);
  g_test_add_func ("/engine/interp/compare-jump", test_compare_jump);
  g_test_add_func ("/engine/interp/temps/v3", test_temps_v3);
  g_test_add_func ("/engine/interp/temps/sista", test_temps_sista);
  g_test_add_func ("/engine/interp/special-at", test_special_at);
  g_test_add_func ("/engine/interp/at-put-statement", test_at_put_statement);
  g_test_add_func ("/engine/interp/changed-sender", test_changed_sender);
  g_test_add_func ("/engine/interp/send/v3", test_send_v3);
  g_test_add_func ("/engine/interp/send/sista", test_send_sista);
  g_test_add_func ("/engine/interp/closures-v3", test_closures_v3);
  g_test_add_func ("/engine/interp/full-block-sista", test_full_block_sista);
  g_test_add_func ("/engine/interp/sista-extensions", test_sista_extensions);
  g_test_add_func ("/engine/interp/dnu", test_dnu);
  g_test_add_func ("/engine/interp/primitive-failure", test_primitive_failure);
  g_test_add_func ("/engine/interp/block-context-6502", test_block_context_6502);
  g_test_add_func ("/engine/interp/process-switch", test_process_switch);
  g_test_add_func ("/engine/interp/damaged", test_damaged);
  g_test_add_func ("/engine/interp/context-pc-32", test_context_pc_32);
  g_test_add_func ("/engine/interp/timer-preempts", test_timer_preempts);
  g_test_add_func ("/engine/interp/long-jump-back", test_long_jump_back);
  g_test_add_func ("/engine/interp/add-store", test_add_store);
  g_test_add_func ("/engine/interp/push-temp-pair", test_push_temp_pair);
  g_test_add_func ("/engine/interp/limits", test_limits);
  g_test_add_func ("/engine/interp/limits-exact", test_limits_exact);
  g_test_add_func ("/engine/interp/trap-from-thread", test_trap_from_thread);
  g_test_add_func ("/engine/interp/cannot-return", test_cannot_return);
  g_test_add_func ("/engine/interp/unwind-marker", test_unwind_marker);
  g_test_add_func ("/engine/interp/super-and-must-be-boolean", test_super_and_must_be_boolean);
  g_test_add_func ("/engine/interp/float/spur32", test_float_spur32);
  g_test_add_func ("/engine/interp/float/spur64", test_float_spur64);
  return g_test_run ();
}
