/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The LargeIntegers and MiscPrimitivePlugin modules, called directly on a
 * synthetic heap with a running interpreter: operands are pushed on the
 * active context's stack, the primitive runs, the result is read back and
 * checked against arithmetic done here with __int128 (and, for numbers
 * beyond 128 bits, with decimal digit arrays), in both the 31-bit (32-bit
 * image) and 61-bit (64-bit image) SmallInteger ranges. */
#include "config.h"

#include <string.h>

#include "builder.h"
#include "interp-private.h"
#include "plugins.h"
#include "prim-call.h"
#include "support.h"

typedef __int128 i128;
typedef unsigned __int128 u128;

enum { SENDER, PC, STACKP, METHOD, CLOSURE, RECEIVER, TEMP0 };

typedef struct {
  ThawBuilder *b;
  const ThawBuilderObjects *k;
  StVM *vm;
  StInterp *it;
} P;

static void
p_setup (P *p, StFamily family, guint word_bytes, guint32 format)
{
  memset (p, 0, sizeof *p);
  p->b = thaw_builder_new_at (family, word_bytes, format, 0);
  p->k = thaw_builder_objects (p->b);
  StOop bctx = 0;
  if (format == 6502)
    bctx = thaw_builder_class (p->b, "BlockContext", p->k->object_class, ST_FMT_FIXED_INDEXABLE, "caller", "pc",
                               "stackp", "nargs", "startpc", "home", NULL);
  guint8 ret = format == 68533 ? 88 : 120;
  StOop m = thaw_builder_method (p->b, p->k->object_class, "test", 0, 0, 0, NULL, 0, &ret, 1);
  p->vm = thaw_builder_finish (p->b);
  if (bctx != 0)
    st_store (p->vm, p->k->special_objects, 11, bctx);
  StOop ctx = p->k->active_context;
  StMethodHeader h;
  g_assert_true (st_method_header (p->vm, m, &h, NULL));
  st_store (p->vm, ctx, METHOD, m);
  st_store (p->vm, ctx, PC, st_smallint_oop ((int64_t) h.initial_pc + 1));
  st_store (p->vm, ctx, STACKP, st_smallint_oop (0));
  st_store (p->vm, ctx, RECEIVER, p->vm->nil_obj);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_interp_init (p->vm, &error));
  g_assert_no_error (error);
  p->it = st_interp (p->vm);
  g_assert_cmpuint (p->it->ci_large_pos, !=, 0);
  g_assert_cmpuint (p->it->ci_large_neg, !=, 0);
}

static void
p_free (P *p)
{
  st_vm_free (p->vm);
  thaw_builder_free (p->b);
}

/* Run module>>name with receiver and args; answers the primitive's code
 * and, when it succeeded, the result in *out.  The stack is left as found. */
static StPrimResult
call (P *p, const char *module, const char *name, StOop *out, StOop rcvr, int argc, ...)
{
  StPrimFn fn = st_prims_named_lookup (module, name);
  g_assert_nonnull (fn);
  va_list ap;
  va_start (ap, argc);
  StPrimResult r = thaw_test_prim_callv (p->it, fn, out, rcvr, argc, ap);
  va_end (ap);
  return r;
}

static StOop
ok1 (P *p, const char *name, StOop a, StOop b)
{
  StOop r = 0;
  g_assert_cmpint (call (p, "LargeIntegers", name, &r, a, 1, b), ==, ST_PRIM_OK);
  return r;
}

/* --- integers as the image holds them --- */

static StOop
large_bytes (P *p, bool neg, const guint8 *b, gsize n)
{
  guint32 ci = neg ? p->it->ci_large_neg : p->it->ci_large_pos;
  StOop o = st_objmem_new_object (p->vm, ci, ST_FMT_BYTES + ((8 - (n & 7)) & 7), (n + 7) / 8);
  g_assert_cmphex (o, !=, 0);
  memcpy (st_bytes (p->vm, o), b, n);
  return o;
}

/* v as the image would hold it: a SmallInteger when it fits. */
static StOop
mk (P *p, i128 v)
{
  if (v >= p->it->int_min && v <= p->it->int_max)
    return st_smallint_oop ((int64_t) v);
  u128 u = v < 0 ? (u128) 0 - (u128) v : (u128) v;
  guint8 b[16];
  gsize n = 0;
  for (; u != 0; u >>= 8)
    b[n++] = (guint8) u;
  return large_bytes (p, v < 0, b, n);
}

/* The value of a result, asserting it is normalised. */
static i128
val (P *p, StOop o)
{
  if (st_is_smallint (o))
    return st_smallint_value (o);
  g_assert_true (st_is_pointer (o));
  guint32 ci = st_class_index (p->vm, o);
  g_assert_true (ci == p->it->ci_large_pos || ci == p->it->ci_large_neg);
  uint64_t n = st_byte_length (p->vm, o);
  const guint8 *b = st_bytes (p->vm, o);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (b[n - 1], !=, 0);             /* no high zero byte */
  g_assert_cmpuint (n, <=, 16);
  u128 u = 0;
  for (uint64_t i = n; i > 0; i--)
    u = (u << 8) | b[i - 1];
  i128 v = ci == p->it->ci_large_neg ? -(i128) u : (i128) u;
  /* normalised: a LargeInteger never holds a SmallInteger's value */
  g_assert_false (v >= p->it->int_min && v <= p->it->int_max);
  return v;
}

static i128 iabs (i128 v) { return v < 0 ? -v : v; }

static i128
rnd (GRand *r, guint bits)
{
  u128 u = 0;
  for (guint i = 0; i < bits; i += 32)
    u = (u << 32) | g_rand_int (r);
  if (bits < 128)
    u &= ((u128) 1 << bits) - 1;
  i128 v = (i128) (u >> 1);
  return g_rand_boolean (r) ? -v : v;
}

#define ASSERT_I128(a, b) g_assert_true ((a) == (b))

static void
arith_case (StFamily family, guint wb, guint32 format)
{
  P p;
  p_setup (&p, family, wb, format);
  GRand *r = g_rand_new_with_seed (7);
  for (int round = 0; round < 3000; round++)
    {
      guint bits_a = 1 + g_rand_int_range (r, 0, 124), bits_b = 1 + g_rand_int_range (r, 0, 124);
      i128 a = rnd (r, bits_a), b = rnd (r, bits_b);
      StOop oa = mk (&p, a), ob = mk (&p, b);
      i128 sa = a < 0 ? -1 : 1;

      ASSERT_I128 (val (&p, ok1 (&p, "primDigitAdd", oa, ob)), sa * (iabs (a) + iabs (b)));
      ASSERT_I128 (val (&p, ok1 (&p, "primDigitSubtract", oa, ob)), sa * (iabs (a) - iabs (b)));
      StOop res;
      /* the ...With variants: the class receives both operands */
      g_assert_cmpint (call (&p, "LargeIntegers", "primDigitAddWith", &res, p.vm->nil_obj, 2, oa, ob), ==, ST_PRIM_OK);
      ASSERT_I128 (val (&p, res), sa * (iabs (a) + iabs (b)));

      int cmp = iabs (a) > iabs (b) ? 1 : iabs (a) < iabs (b) ? -1 : 0;
      if (st_is_smallint (oa) && st_is_smallint (ob))
        cmp = a > b ? 1 : a < b ? -1 : 0;
      else if (st_is_smallint (oa))
        cmp = -1;
      else if (st_is_smallint (ob))
        cmp = 1;
      g_assert_cmphex (ok1 (&p, "primDigitCompare", oa, ob), ==, st_smallint_oop (cmp));

      /* products of up to 124 bits */
      i128 ma = a >> (bits_a > 62 ? bits_a - 62 : 0), mb = b >> (bits_b > 62 ? bits_b - 62 : 0);
      StOop oma = mk (&p, ma), omb = mk (&p, mb);
      bool neg = (ma < 0) != (mb < 0);
      g_assert_cmpint (call (&p, "LargeIntegers", "primDigitMultiplyNegative", &res, oma, 2, omb, st_bool (p.it, neg)),
                       ==, ST_PRIM_OK);
      ASSERT_I128 (val (&p, res), (neg ? -1 : 1) * iabs (ma) * iabs (mb));

      if (b != 0)
        {
          /* digitDiv: neg: answers {quotient. remainder} of the magnitudes */
          g_assert_cmpint (call (&p, "LargeIntegers", "primDigitDivNegative", &res, oa, 2, ob, st_bool (p.it, neg)),
                           ==, ST_PRIM_OK);
          g_assert_cmpuint (st_class_index (p.vm, res), ==, p.it->ci_array);
          ASSERT_I128 (val (&p, st_fetch (p.vm, res, 0)), (neg ? -1 : 1) * (iabs (a) / iabs (b)));
          ASSERT_I128 (val (&p, st_fetch (p.vm, res, 1)), sa * (iabs (a) % iabs (b)));
        }

      i128 ua = iabs (a), ub = iabs (b);
      StOop oua = mk (&p, ua), oub = mk (&p, ub);
      ASSERT_I128 (val (&p, ok1 (&p, "primDigitBitAnd", oua, oub)), ua & ub);
      ASSERT_I128 (val (&p, ok1 (&p, "primDigitBitOr", oua, oub)), ua | ub);
      ASSERT_I128 (val (&p, ok1 (&p, "primDigitBitXor", oua, oub)), ua ^ ub);
      g_assert_cmpint (call (&p, "LargeIntegers", "primDigitBitLogicWithOp", &res, p.vm->nil_obj, 3, oua, oub,
                             st_smallint_oop (2)), ==, ST_PRIM_OK);
      ASSERT_I128 (val (&p, res), ua ^ ub);

      int shift = g_rand_int_range (r, -130, 130);
      i128 expect;
      if (shift >= 0)
        expect = bits_a + shift <= 125 ? sa * (iabs (a) << shift) : 0;
      else
        expect = sa * (-shift >= 127 ? 0 : iabs (a) >> -shift);
      if (shift < 0 || bits_a + shift <= 125)
        ASSERT_I128 (val (&p, ok1 (&p, "primDigitBitShiftMagnitude", oa, st_smallint_oop (shift))), expect);
    }
  g_rand_free (r);

  /* Bit logic refuses negative operands; division by zero fails. */
  StOop res;
  g_assert_cmpint (call (&p, "LargeIntegers", "primDigitBitAnd", &res, mk (&p, -5), 1, mk (&p, 3)), ==, ST_PRIM_FAIL);
  g_assert_cmpint (call (&p, "LargeIntegers", "primDigitDivNegative", &res, mk (&p, (i128) 1 << 80), 2,
                         st_smallint_oop (0), p.it->false_obj), ==, ST_PRIM_FAIL);
  g_assert_cmpint (call (&p, "LargeIntegers", "primDigitAdd", &res, p.vm->nil_obj, 1, st_smallint_oop (1)), ==,
                   ST_PRIM_FAIL);
  g_assert_cmpint (call (&p, "LargeIntegers", "primDigitMultiplyNegative", &res, st_smallint_oop (2), 2,
                         st_smallint_oop (3), p.vm->nil_obj), ==, ST_PRIM_FAIL);

  /* The SmallInteger boundary of this personality, both ways. */
  i128 max = p.it->int_max, min = p.it->int_min;
  g_assert_true (st_is_smallint (ok1 (&p, "primDigitAdd", mk (&p, max - 1), st_smallint_oop (1))));
  StOop over = ok1 (&p, "primDigitAdd", mk (&p, max), st_smallint_oop (1));
  g_assert_false (st_is_smallint (over));
  g_assert_cmpuint (st_class_index (p.vm, over), ==, p.it->ci_large_pos);
  ASSERT_I128 (val (&p, over), max + 1);
  g_assert_true (st_is_smallint (ok1 (&p, "primDigitAdd", mk (&p, min + 1), st_smallint_oop (1))));
  StOop under = ok1 (&p, "primDigitAdd", mk (&p, min), st_smallint_oop (1));
  g_assert_cmpuint (st_class_index (p.vm, under), ==, p.it->ci_large_neg);
  ASSERT_I128 (val (&p, under), min - 1);
  /* (max + 1) - 1 comes back small */
  g_assert_cmphex (ok1 (&p, "primDigitSubtract", over, st_smallint_oop (1)), ==, st_smallint_oop ((int64_t) max));

  /* Normalisation: high zero bytes dropped, small values made small,
   * negative zero is 0. */
  guint8 padded[12] = { 0x34, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
  StOop o;
  g_assert_cmpint (call (&p, "LargeIntegers", "primNormalizePositive", &o, large_bytes (&p, false, padded, 12), 0), ==,
                   ST_PRIM_OK);
  g_assert_cmphex (o, ==, st_smallint_oop (0x1234));
  g_assert_cmpint (call (&p, "LargeIntegers", "primNormalizeNegative", &o, large_bytes (&p, true, padded, 12), 0), ==,
                   ST_PRIM_OK);
  g_assert_cmphex (o, ==, st_smallint_oop (-0x1234));
  g_assert_cmpint (call (&p, "LargeIntegers", "primNormalizePositive", &o, large_bytes (&p, true, padded, 12), 0), ==,
                   ST_PRIM_FAIL);
  guint8 zeros[9] = { 0 };
  g_assert_cmpint (call (&p, "LargeIntegers", "primNormalize", &o, p.vm->nil_obj, 1, large_bytes (&p, true, zeros, 9)),
                   ==, ST_PRIM_OK);
  g_assert_cmphex (o, ==, st_smallint_oop (0));
  guint8 big[10] = { 1, 0, 0, 0, 0, 0, 0, 0, 0x80, 0 };
  g_assert_cmpint (call (&p, "LargeIntegers", "primNormalizePositive", &o, large_bytes (&p, false, big, 10), 0), ==,
                   ST_PRIM_OK);
  g_assert_cmpuint (st_byte_length (p.vm, o), ==, 9);
  ASSERT_I128 (val (&p, o), ((i128) 0x80 << 64) + 1);

  /* primAsLargeInteger does not normalise. */
  g_assert_cmpint (call (&p, "LargeIntegers", "primAsLargeInteger", &o, p.vm->nil_obj, 1, st_smallint_oop (-300)), ==,
                   ST_PRIM_OK);
  g_assert_cmpuint (st_class_index (p.vm, o), ==, p.it->ci_large_neg);
  g_assert_cmpuint (st_byte_length (p.vm, o), ==, 2);
  g_assert_cmpuint (st_bytes (p.vm, o)[0], ==, 300 & 255);
  g_assert_cmpuint (st_bytes (p.vm, o)[1], ==, 1);

  /* anyBitFrom:to: on the magnitude, 1-based. */
  StOop x = mk (&p, ((i128) 1 << 90) | 0x10);
  g_assert_cmpint (call (&p, "LargeIntegers", "primAnyBitFromTo", &o, x, 2, st_smallint_oop (1), st_smallint_oop (4)),
                   ==, ST_PRIM_OK);
  g_assert_cmphex (o, ==, p.it->false_obj);
  g_assert_cmpint (call (&p, "LargeIntegers", "primAnyBitFromTo", &o, x, 2, st_smallint_oop (5), st_smallint_oop (5)),
                   ==, ST_PRIM_OK);
  g_assert_cmphex (o, ==, p.it->true_obj);
  g_assert_cmpint (call (&p, "LargeIntegers", "primAnyBitFromTo", &o, x, 2, st_smallint_oop (6), st_smallint_oop (90)),
                   ==, ST_PRIM_OK);
  g_assert_cmphex (o, ==, p.it->false_obj);
  g_assert_cmpint (call (&p, "LargeIntegers", "primAnyBitFromTo", &o, x, 2, st_smallint_oop (6), st_smallint_oop (500)),
                   ==, ST_PRIM_OK);
  g_assert_cmphex (o, ==, p.it->true_obj);

  /* An unknown name is not found (the image's fallback code runs). */
  g_assert_null (st_prims_named_lookup ("LargeIntegers", "primNoSuchThing"));
  g_assert_null (st_prims_named_lookup ("NoSuchPlugin", "primDigitAdd"));
  p_free (&p);
}

static void test_large_spur64 (void) { arith_case (ST_FAMILY_SPUR, 8, 68021); }
static void test_large_spur32 (void) { arith_case (ST_FAMILY_SPUR, 4, 6521); }
static void test_large_v3 (void) { arith_case (ST_FAMILY_V3, 4, 6504); }

/* --- the numbered primitives 20-37, signed, any size --- */

static StPrimResult
numbered (P *p, guint n, StOop a, StOop b, StOop *out)
{
  g_assert_cmpuint (n, <, p->it->n_prims);
  StPrimFn fn = p->it->prims[n];
  g_assert_nonnull (fn);
  int64_t sp0 = p->it->sp;
  st_push (p->it, a);
  st_push (p->it, b);
  StPrimResult r = fn (p->vm, 1);
  if (r == ST_PRIM_OK)
    {
      g_assert_cmpint (p->it->sp, ==, sp0 + 1);
      *out = st_pop (p->it);
    }
  p->it->sp = sp0;
  return r;
}

static i128
num_ok (P *p, guint n, StOop a, StOop b)
{
  StOop o = 0;
  g_assert_cmpint (numbered (p, n, a, b, &o), ==, ST_PRIM_OK);
  return val (p, o);
}

static i128 floor_div (i128 a, i128 b) { i128 q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q; }
static i128 floor_mod (i128 a, i128 b) { i128 r = a % b; return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r; }

static void
numbered_case (StFamily family, guint wb, guint32 format)
{
  P p;
  p_setup (&p, family, wb, format);
  GRand *r = g_rand_new_with_seed (11);
  for (int round = 0; round < 3000; round++)
    {
      guint bits_a = 1 + g_rand_int_range (r, 0, 124), bits_b = 1 + g_rand_int_range (r, 0, 124);
      i128 a = rnd (r, bits_a), b = rnd (r, bits_b);
      if (round % 7 == 0)
        {
          b = -a;                       /* sums of zero */
          bits_b = bits_a;
        }
      StOop oa = mk (&p, a), ob = mk (&p, b), o;
      ASSERT_I128 (num_ok (&p, 21, oa, ob), a + b);
      ASSERT_I128 (num_ok (&p, 22, oa, ob), a - b);
      i128 ma = a >> (bits_a > 62 ? bits_a - 62 : 0), mb = b >> (bits_b > 62 ? bits_b - 62 : 0);
      ASSERT_I128 (num_ok (&p, 29, mk (&p, ma), mk (&p, mb)), ma * mb);
      static const guint cmp_prims[] = { 23, 24, 25, 26, 27, 28 };
      bool want[] = { a < b, a > b, a <= b, a >= b, a == b, a != b };
      for (guint k = 0; k < G_N_ELEMENTS (cmp_prims); k++)
        {
          g_assert_cmpint (numbered (&p, cmp_prims[k], oa, ob, &o), ==, ST_PRIM_OK);
          g_assert_cmphex (o, ==, st_bool (p.it, want[k]));
        }
      if (b != 0)
        {
          ASSERT_I128 (num_ok (&p, 31, oa, ob), floor_mod (a, b));
          ASSERT_I128 (num_ok (&p, 32, oa, ob), floor_div (a, b));
          ASSERT_I128 (num_ok (&p, 33, oa, ob), a / b);
          ASSERT_I128 (num_ok (&p, 20, oa, ob), a % b);
          if (a % b == 0)
            ASSERT_I128 (num_ok (&p, 30, oa, ob), a / b);
          else
            g_assert_cmpint (numbered (&p, 30, oa, ob, &o), ==, ST_PRIM_FAIL);
          /* exact division of a product */
          ASSERT_I128 (num_ok (&p, 30, mk (&p, ma * mb), mk (&p, mb == 0 ? 1 : mb)), mb == 0 ? 0 : ma);
        }
      else
        g_assert_cmpint (numbered (&p, 32, oa, ob, &o), ==, ST_PRIM_FAIL);
      ASSERT_I128 (num_ok (&p, 34, oa, ob), a & b);
      ASSERT_I128 (num_ok (&p, 35, oa, ob), a | b);
      ASSERT_I128 (num_ok (&p, 36, oa, ob), a ^ b);
      int shift = g_rand_int_range (r, -130, 130);
      if (shift < 0)
        ASSERT_I128 (num_ok (&p, 37, oa, st_smallint_oop (shift)), shift <= -127 ? (a < 0 ? -1 : 0) : a >> -shift);
      else if (bits_a + shift <= 125)
        ASSERT_I128 (num_ok (&p, 37, oa, st_smallint_oop (shift)), a * ((i128) 1 << shift));
    }
  g_rand_free (r);
  p_free (&p);
}

static void test_numbered_spur64 (void) { numbered_case (ST_FAMILY_SPUR, 8, 68021); }
static void test_numbered_spur32 (void) { numbered_case (ST_FAMILY_SPUR, 4, 6521); }

/* Numbered primitives fail on non-integers (the image coerces). */
static void
test_numbered_fail (void)
{
  P p;
  p_setup (&p, ST_FAMILY_SPUR, 8, 68021);
  StOop o, big = mk (&p, (i128) 1 << 100);
  g_assert_cmpint (numbered (&p, 21, big, p.vm->nil_obj, &o), ==, ST_PRIM_FAIL);
  g_assert_cmpint (numbered (&p, 27, big, st_interp_float (p.it, 1.0), &o), ==, ST_PRIM_FAIL);
  g_assert_cmpint (numbered (&p, 37, big, big, &o), ==, ST_PRIM_FAIL);
  p_free (&p);
}

/* x * y mod m by doubling, for x, y < m < 2^120 */
static u128
mulmod (u128 x, u128 y, u128 m)
{
  u128 r = 0;
  x %= m;
  for (; y != 0; y >>= 1)
    {
      if (y & 1)
        r = (r + x) % m;
      x = (x + x) % m;
    }
  return r;
}

/* primMontgomeryTimes:modulo:mInvModB: answers r < m with r * 256^k = a * b (mod m). */
static void
test_montgomery (void)
{
  P p;
  p_setup (&p, ST_FAMILY_SPUR, 8, 68021);
  GRand *r = g_rand_new_with_seed (3);
  for (int round = 0; round < 500; round++)
    {
      guint bits = 8 + g_rand_int_range (r, 0, 110);
      u128 m = (u128) iabs (rnd (r, bits)) | 1 | ((u128) 1 << (bits - 2));
      u128 a = (u128) iabs (rnd (r, bits)) % m, b = (u128) iabs (rnd (r, bits)) % m;
      guint k = 0;
      for (u128 t = m; t != 0; t >>= 8)
        k++;
      /* mInv = -1/m mod 256 */
      guint inv = 1;
      for (int i = 0; i < 8; i++)
        inv = (inv * (2 - (guint) (m & 255) * inv)) & 255;
      inv = (256 - inv) & 255;
      g_assert_cmpuint ((guint) ((m * inv + 1) & 255), ==, 0);
      StOop o;
      g_assert_cmpint (call (&p, "LargeIntegers", "primMontgomeryTimesModulo", &o, mk (&p, (i128) a), 3, mk (&p, (i128) b),
                             mk (&p, (i128) m), st_smallint_oop (inv)), ==, ST_PRIM_OK);
      u128 res = (u128) val (&p, o);
      g_assert_true (res < m);
      u128 rk = 1;
      for (guint i = 0; i < 8 * k; i++)
        rk = (rk * 2) % m;
      g_assert_true (mulmod (res, rk, m) == mulmod (a, b, m));
    }
  g_rand_free (r);
  /* operands longer than the modulus fail */
  StOop o;
  g_assert_cmpint (call (&p, "LargeIntegers", "primMontgomeryTimesModulo", &o, mk (&p, (i128) 1 << 100), 3,
                         st_smallint_oop (3), st_smallint_oop (1001), st_smallint_oop (1)), ==, ST_PRIM_FAIL);
  p_free (&p);
}

/* --- numbers beyond 128 bits, checked in decimal --- */

/* Decimal digits (most significant first) of a magnitude, computed here. */
static char *
decimal_of (const guint8 *b, gsize n)
{
  GArray *d = g_array_new (FALSE, TRUE, 1);     /* least significant first */
  for (gsize i = n; i > 0; i--)
    {
      guint carry = b[i - 1];
      for (guint j = 0; j < d->len; j++)
        {
          guint t = g_array_index (d, guint8, j) * 256 + carry;
          g_array_index (d, guint8, j) = (guint8) (t % 10);
          carry = t / 10;
        }
      while (carry > 0)
        {
          guint8 c = carry % 10;
          g_array_append_val (d, c);
          carry /= 10;
        }
    }
  GString *s = g_string_new (NULL);
  for (guint j = d->len; j > 0; j--)
    g_string_append_c (s, (char) ('0' + g_array_index (d, guint8, j - 1)));
  if (s->len == 0)
    g_string_append_c (s, '0');
  g_array_free (d, TRUE);
  return g_string_free (s, FALSE);
}

/* n! in decimal, by digit arrays. */
static char *
factorial_decimal (guint n)
{
  guint digits[400] = { 1 };
  guint len = 1;
  for (guint k = 2; k <= n; k++)
    {
      guint carry = 0;
      for (guint j = 0; j < len; j++)
        {
          guint t = digits[j] * k + carry;
          digits[j] = t % 10;
          carry = t / 10;
        }
      while (carry > 0)
        {
          g_assert_cmpuint (len, <, G_N_ELEMENTS (digits));
          digits[len++] = carry % 10;
          carry /= 10;
        }
    }
  GString *s = g_string_new (NULL);
  for (guint j = len; j > 0; j--)
    g_string_append_c (s, (char) ('0' + digits[j - 1]));
  return g_string_free (s, FALSE);
}

static char *
decimal_of_oop (P *p, StOop o)
{
  if (st_is_smallint (o))
    return g_strdup_printf ("%" G_GINT64_FORMAT, st_smallint_value (o));
  return decimal_of (st_bytes (p->vm, o), st_byte_length (p->vm, o));
}

static void
big_case (guint wb, guint32 format)
{
  P p;
  p_setup (&p, ST_FAMILY_SPUR, wb, format);
  /* 100 factorial by repeated digitMultiply:neg: */
  StOop f = st_smallint_oop (1), res;
  for (int k = 2; k <= 100; k++)
    {
      g_assert_cmpint (call (&p, "LargeIntegers", "primDigitMultiplyNegative", &res, f, 2, st_smallint_oop (k),
                             p.it->false_obj), ==, ST_PRIM_OK);
      f = res;
    }
  g_autofree char *want = factorial_decimal (100);
  g_autofree char *got = decimal_of_oop (&p, f);
  g_assert_cmpuint (strlen (want), ==, 158);
  g_assert_cmpstr (got, ==, want);

  /* 100! / 98! = 9900 exactly, by digitDiv:neg: */
  StOop g = st_smallint_oop (1);
  for (int k = 2; k <= 98; k++)
    {
      g_assert_cmpint (call (&p, "LargeIntegers", "primDigitMultiplyNegative", &res, g, 2, st_smallint_oop (k),
                             p.it->false_obj), ==, ST_PRIM_OK);
      g = res;
    }
  g_assert_cmpint (call (&p, "LargeIntegers", "primDigitDivNegative", &res, f, 2, g, p.it->false_obj), ==, ST_PRIM_OK);
  g_assert_cmphex (st_fetch (p.vm, res, 0), ==, st_smallint_oop (9900));
  g_assert_cmphex (st_fetch (p.vm, res, 1), ==, st_smallint_oop (0));
  /* (100! + 12345) \\ 98! = 12345, quotient 9900 */
  StOop f2 = ok1 (&p, "primDigitAdd", f, st_smallint_oop (12345));
  g_assert_cmpint (call (&p, "LargeIntegers", "primDigitDivNegative", &res, f2, 2, g, p.it->false_obj), ==,
                   ST_PRIM_OK);
  g_assert_cmphex (st_fetch (p.vm, res, 0), ==, st_smallint_oop (9900));
  g_assert_cmphex (st_fetch (p.vm, res, 1), ==, st_smallint_oop (12345));
  /* 100! - 100! = 0; 100! compared with 98! */
  g_assert_cmphex (ok1 (&p, "primDigitSubtract", f, f), ==, st_smallint_oop (0));
  g_assert_cmphex (ok1 (&p, "primDigitCompare", f, g), ==, st_smallint_oop (1));
  g_assert_cmphex (ok1 (&p, "primDigitCompare", g, f), ==, st_smallint_oop (-1));

  /* 2^100 - 2^99 = 633825300114114700748351602688 */
  StOop two100 = ok1 (&p, "primDigitBitShiftMagnitude", st_smallint_oop (1), st_smallint_oop (100));
  StOop two99 = ok1 (&p, "primDigitBitShiftMagnitude", st_smallint_oop (1), st_smallint_oop (99));
  g_autofree char *d = decimal_of_oop (&p, ok1 (&p, "primDigitSubtract", two100, two99));
  g_assert_cmpstr (d, ==, "633825300114114700748351602688");
  /* a huge left shift fails instead of allocating without bound */
  g_assert_cmpint (call (&p, "LargeIntegers", "primDigitBitShiftMagnitude", &res, two100, 1,
                         st_smallint_oop ((int64_t) 1 << 40)), ==, ST_PRIM_FAIL);
  p_free (&p);
}

static void test_big_spur64 (void) { big_case (8, 68021); }
static void test_big_spur32 (void) { big_case (4, 6521); }

/* --- MiscPrimitivePlugin --- */

static StOop
bytes_obj (P *p, const void *data, gsize n)
{
  StOop o = st_objmem_new_object (p->vm, p->it->ci_byte_string, ST_FMT_BYTES + ((8 - (n & 7)) & 7), (n + 7) / 8);
  g_assert_cmphex (o, !=, 0);
  memcpy (st_bytes (p->vm, o), data, n);
  return o;
}

static StOop str (P *p, const char *s) { return bytes_obj (p, s, strlen (s)); }

static StOop
words_obj (P *p, const guint32 *w, gsize n)
{
  StOop o = st_objmem_new_object (p->vm, p->it->ci_array, ST_FMT_WORDS32 + (n & 1), (n + 1) / 2);
  g_assert_cmphex (o, !=, 0);
  memcpy (st_bytes (p->vm, o), w, n * 4);
  return o;
}

static StPrimResult
misc (P *p, const char *name, StOop *out, int argc, ...)
{
  StPrimFn fn = st_prims_named_lookup ("MiscPrimitivePlugin", name);
  g_assert_nonnull (fn);
  int64_t sp0 = p->it->sp;
  st_push (p->it, p->vm->nil_obj);
  va_list ap;
  va_start (ap, argc);
  for (int i = 0; i < argc; i++)
    st_push (p->it, va_arg (ap, StOop));
  va_end (ap);
  StPrimResult r = fn (p->vm, argc);
  if (r == ST_PRIM_OK)
    {
      g_assert_cmpint (p->it->sp, ==, sp0 + 1);
      *out = st_pop (p->it);
    }
  p->it->sp = sp0;
  return r;
}

static void
test_misc (void)
{
  P p;
  p_setup (&p, ST_FAMILY_SPUR, 8, 68021);
  StOop o;
  guint8 ascii[256], upper[256];
  for (int i = 0; i < 256; i++)
    {
      ascii[i] = (guint8) i;
      upper[i] = (guint8) g_ascii_toupper (i);
    }
  StOop order = bytes_obj (&p, ascii, 256), caseless = bytes_obj (&p, upper, 256);

  /* compare:with:collated: 1 <, 2 =, 3 > */
  g_assert_cmpint (misc (&p, "primitiveCompareString", &o, 3, str (&p, "abc"), str (&p, "abd"), order), ==, ST_PRIM_OK);
  g_assert_cmphex (o, ==, st_smallint_oop (1));
  g_assert_cmpint (misc (&p, "primitiveCompareString", &o, 3, str (&p, "abc"), str (&p, "abc"), order), ==, ST_PRIM_OK);
  g_assert_cmphex (o, ==, st_smallint_oop (2));
  g_assert_cmpint (misc (&p, "primitiveCompareString", &o, 3, str (&p, "abcd"), str (&p, "abc"), order), ==, ST_PRIM_OK);
  g_assert_cmphex (o, ==, st_smallint_oop (3));
  g_assert_cmpint (misc (&p, "primitiveCompareString", &o, 3, str (&p, "ABC"), str (&p, "abc"), caseless), ==,
                   ST_PRIM_OK);
  g_assert_cmphex (o, ==, st_smallint_oop (2));
  g_assert_cmpint (misc (&p, "primitiveCompareString", &o, 3, st_smallint_oop (1), str (&p, "abc"), order), ==,
                   ST_PRIM_FAIL);

  /* findFirstInString:inSet:startingAt: */
  guint8 set[256] = { 0 };
  set[' '] = 1;
  set[','] = 1;
  StOop s = str (&p, "hello, world");
  g_assert_cmpint (misc (&p, "primitiveFindFirstInString", &o, 3, s, bytes_obj (&p, set, 256), st_smallint_oop (1)), ==,
                   ST_PRIM_OK);
  g_assert_cmphex (o, ==, st_smallint_oop (6));
  g_assert_cmpint (misc (&p, "primitiveFindFirstInString", &o, 3, s, bytes_obj (&p, set, 256), st_smallint_oop (8)), ==,
                   ST_PRIM_OK);
  g_assert_cmphex (o, ==, st_smallint_oop (0));

  /* findSubstring:in:startingAt:matchTable: */
  g_assert_cmpint (misc (&p, "primitiveFindSubstring", &o, 4, str (&p, "WORLD"), s, st_smallint_oop (1), caseless), ==,
                   ST_PRIM_OK);
  g_assert_cmphex (o, ==, st_smallint_oop (8));
  g_assert_cmpint (misc (&p, "primitiveFindSubstring", &o, 4, str (&p, "WORLD"), s, st_smallint_oop (1), order), ==,
                   ST_PRIM_OK);
  g_assert_cmphex (o, ==, st_smallint_oop (0));
  g_assert_cmpint (misc (&p, "primitiveFindSubstring", &o, 4, str (&p, "o"), s, st_smallint_oop (6), order), ==,
                   ST_PRIM_OK);
  g_assert_cmphex (o, ==, st_smallint_oop (9));

  /* indexOfAscii:inString:startingAt: */
  g_assert_cmpint (misc (&p, "primitiveIndexOfAsciiInString", &o, 3, st_smallint_oop ('l'), s, st_smallint_oop (5)),
                   ==, ST_PRIM_OK);
  g_assert_cmphex (o, ==, st_smallint_oop (11));
  g_assert_cmpint (misc (&p, "primitiveIndexOfAsciiInString", &o, 3, st_smallint_oop ('z'), s, st_smallint_oop (1)),
                   ==, ST_PRIM_OK);
  g_assert_cmphex (o, ==, st_smallint_oop (0));

  /* stringHash:initialHash: — hashMultiply (x * 1664525 mod 2^28) per byte */
  guint32 h = 12345 & 0xFFFFFFF;
  for (const char *c = "hello, world"; *c; c++)
    h = (guint32) (((guint64) (h + (guint8) *c) * 1664525u) % (1u << 28));
  g_assert_cmpint (misc (&p, "primitiveStringHash", &o, 2, s, st_smallint_oop (12345)), ==, ST_PRIM_OK);
  g_assert_cmphex (o, ==, st_smallint_oop (h));

  /* translate:from:to:table: in place */
  StOop t = str (&p, "abcdef");
  g_assert_cmpint (misc (&p, "primitiveTranslateStringWithTable", &o, 4, t, st_smallint_oop (2), st_smallint_oop (4),
                         caseless), ==, ST_PRIM_OK);
  g_assert_cmpmem (st_bytes (p.vm, t), 6, "aBCDef", 6);
  g_assert_cmpint (misc (&p, "primitiveTranslateStringWithTable", &o, 4, t, st_smallint_oop (2), st_smallint_oop (7),
                         caseless), ==, ST_PRIM_FAIL);

  /* convert8bitSignedFrom:to16Bit: */
  guint8 s8[3] = { 0x01, 0x80, 0xFF };
  StOop snd = st_objmem_new_object (p.vm, p.it->ci_array, ST_FMT_SHORTS16 + 1, 1);   /* 3 shorts */
  g_assert_cmpint (misc (&p, "primitiveConvert8BitSigned", &o, 2, bytes_obj (&p, s8, 3), snd), ==, ST_PRIM_OK);
  const gint16 *out = (const gint16 *) st_bytes (p.vm, snd);
  g_assert_cmpint (out[0], ==, 256);
  g_assert_cmpint (out[1], ==, -32768);
  g_assert_cmpint (out[2], ==, -256);

  /* compressToByteArray / decompressFromByteArray: a known encoding, then
   * a round trip of a mixed bitmap */
  guint32 bm[] = { 0x11111111, 0x11111111, 0x11111111, 0xDEADBEEF, 0x01020304, 7, 7 };
  guint8 ba[64] = { 0 };
  StOop oba = bytes_obj (&p, ba, sizeof ba);
  g_assert_cmpint (misc (&p, "primitiveCompressToByteArray", &o, 2, words_obj (&p, bm, 7), oba), ==, ST_PRIM_OK);
  /* size 7; 3 words of equal bytes 0x11 (3*4+1); 2 literal words (2*4+3);
   * 2 words equal to 7 (2*4+2) */
  static const guint8 expect[] = { 7, 13, 0x11, 11, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4, 10, 0, 0, 0, 7 };
  g_assert_cmphex (o, ==, st_smallint_oop (sizeof expect));
  g_assert_cmpmem (st_bytes (p.vm, oba), sizeof expect, expect, sizeof expect);
  guint32 zero[7] = { 0 };
  StOop back = words_obj (&p, zero, 7);
  g_assert_cmpint (misc (&p, "primitiveDecompressFromByteArray", &o, 3, back, bytes_obj (&p, expect + 1,
                         sizeof expect - 1), st_smallint_oop (1)), ==, ST_PRIM_OK);
  g_assert_cmpmem (st_bytes (p.vm, back), sizeof bm, bm, sizeof bm);
  /* a run longer than the bitmap fails instead of writing past it */
  static const guint8 too_long[] = { 8 * 4 + 1, 0x22 };
  g_assert_cmpint (misc (&p, "primitiveDecompressFromByteArray", &o, 3, back, bytes_obj (&p, too_long, 2),
                         st_smallint_oop (1)), ==, ST_PRIM_FAIL);
  /* truncated data fails */
  g_assert_cmpint (misc (&p, "primitiveDecompressFromByteArray", &o, 3, back, bytes_obj (&p, expect + 1, 5),
                         st_smallint_oop (1)), ==, ST_PRIM_FAIL);
  /* a byte array too small to hold the coding fails */
  StOop tiny = bytes_obj (&p, ba, 4);
  g_assert_cmpint (misc (&p, "primitiveCompressToByteArray", &o, 2, words_obj (&p, bm, 7), tiny), ==, ST_PRIM_FAIL);

  /* The numbered forms exist only for 6502-era images. */
  g_assert_true (p.it->n_prims <= 235 || p.it->prims[235] == NULL);
  p_free (&p);

  p_setup (&p, ST_FAMILY_V3, 4, 6502);
  g_assert_cmpuint (p.it->n_prims, >, 246);
  g_assert_true (p.it->prims[235] == st_prims_named_lookup ("MiscPrimitivePlugin", "primitiveCompareString"));
  g_assert_true (p.it->prims[246] == st_prims_named_lookup ("MiscPrimitivePlugin", "primitiveFindSubstring"));
  p_free (&p);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/plugins/large/spur64", test_large_spur64);
  g_test_add_func ("/engine/plugins/large/spur32", test_large_spur32);
  g_test_add_func ("/engine/plugins/large/v3", test_large_v3);
  g_test_add_func ("/engine/plugins/large/big-spur64", test_big_spur64);
  g_test_add_func ("/engine/plugins/large/big-spur32", test_big_spur32);
  g_test_add_func ("/engine/plugins/misc", test_misc);
  g_test_add_func ("/engine/plugins/large/montgomery", test_montgomery);
  g_test_add_func ("/engine/plugins/numbered/spur64", test_numbered_spur64);
  g_test_add_func ("/engine/plugins/numbered/spur32", test_numbered_spur32);
  g_test_add_func ("/engine/plugins/numbered/fail", test_numbered_fail);
  return g_test_run ();
}
