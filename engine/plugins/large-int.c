/* SPDX-License-Identifier: GPL-3.0-or-later */
/* large-int.c: the LargeIntegers plugin (module 'LargeIntegers').
 *
 * The image's Integer code calls it for arithmetic on magnitudes: a
 * LargePositiveInteger or LargeNegativeInteger is a byte object holding
 * the magnitude, least significant byte first; the sign is its class.
 * SmallIntegers are accepted everywhere as if they were such an object.
 *
 * Argument conventions (as the Squeak VM's plugin defines them): the
 * "...With" variants are sent to the class with both operands as
 * arguments, the others have the first operand as receiver; in both
 * cases the operands are the topmost stack values, so one body serves
 * both.  Results are normalised: a value that fits a SmallInteger of the
 * image's own word size comes back as one (primAsLargeInteger excepted).
 *
 * The numbered primitives 20-37 (LargePositiveInteger>>+ and friends) are
 * here too, at the end: signed arithmetic on integers of any size.
 *
 * Arithmetic works on 32-bit limbs; division is Knuth's algorithm D.
 * Every size is bounded by the operands, which lie in the heap, and by
 * ST_LARGE_MAX_BYTES for shifts. */
#include "config.h"

#include <string.h>

#include "plugins.h"
#include "prim-table.h"

/* A shift may not build a number of more than this many bytes. */
#define ST_LARGE_MAX_BYTES (G_GUINT64_CONSTANT (1) << 28)

/* One operand: its magnitude bytes (LE) and sign. */
typedef struct {
  const guint8 *b;
  uint64_t n;               /* significant bytes (no high zero bytes) */
  bool neg;
  bool small;               /* it was a SmallInteger */
  int64_t value;            /* its value when small */
  guint8 buf[8];
} Mag;

static bool
mag_of (StInterp *it, StOop o, Mag *m)
{
  StVM *vm = it->vm;
  memset (m, 0, sizeof *m);
  if (st_is_smallint (o))
    {
      int64_t v = st_smallint_value (o);
      uint64_t u = v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;
      m->small = true;
      m->value = v;
      m->neg = v < 0;
      for (guint i = 0; i < 8; i++)
        m->buf[i] = (guint8) (u >> (8 * i));
      m->b = m->buf;
      m->n = 8;
    }
  else
    {
      if (!st_interp_valid_obj (vm, o))
        return false;
      guint32 ci = st_class_index (vm, o);
      guint fmt = st_format (vm, o);
      if (ci == 0 || (ci != it->ci_large_pos && ci != it->ci_large_neg)
          || !st_fmt_is_bytes (fmt) || st_fmt_is_method (fmt))
        return false;
      m->b = st_bytes (vm, o);
      m->n = st_byte_length (vm, o);
      m->neg = ci == it->ci_large_neg;
    }
  while (m->n > 0 && m->b[m->n - 1] == 0)
    m->n--;
  return true;
}

/* A LargePositive/NegativeInteger of n bytes, zeroed; 0 when impossible. */
static StOop
new_large (StInterp *it, bool neg, uint64_t n)
{
  guint32 ci = neg ? it->ci_large_neg : it->ci_large_pos;
  if (ci == 0 || n > ST_LARGE_MAX_BYTES)
    return 0;
  return st_objmem_new_object (it->vm, ci, ST_FMT_BYTES + ((8 - (n & 7)) & 7), (n + 7) / 8);
}

/* The integer with magnitude b[0..n) and the given sign, as a SmallInteger
 * when it fits and normalize is set, else as a LargeInteger without high
 * zero bytes (at least one byte when not normalised).  0 when out of
 * memory. */
static StOop
make_int (StInterp *it, bool neg, const guint8 *b, uint64_t n, bool normalize)
{
  while (n > 0 && b[n - 1] == 0)
    n--;
  if (normalize && n <= 8)
    {
      uint64_t v = 0;
      for (uint64_t i = 0; i < n; i++)
        v |= (uint64_t) b[i] << (8 * i);
      if (!neg && v <= (uint64_t) it->int_max)
        return st_smallint_oop ((int64_t) v);
      if (neg && v <= (uint64_t) 0 - (uint64_t) it->int_min)
        return st_smallint_oop ((int64_t) ((uint64_t) 0 - v));
    }
  uint64_t len = n == 0 ? 1 : n;
  StOop o = new_large (it, neg, len);
  if (o != 0 && n > 0)
    memcpy (st_bytes (it->vm, o), b, n);
  return o;
}

/* --- limbs --- */

static guint32 *
limbs_of (const Mag *m, uint64_t *len)
{
  *len = (m->n + 3) / 4;
  guint32 *l = g_new0 (guint32, *len + 1);
  for (uint64_t i = 0; i < m->n; i++)
    l[i / 4] |= (guint32) m->b[i] << (8 * (i % 4));
  return l;
}

static uint64_t
limbs_trim (const guint32 *l, uint64_t n)
{
  while (n > 0 && l[n - 1] == 0)
    n--;
  return n;
}

static StOop
int_of_limbs (StInterp *it, bool neg, const guint32 *l, uint64_t n)
{
  n = limbs_trim (l, n);
  g_autofree guint8 *b = g_malloc (n * 4 + 1);
  for (uint64_t i = 0; i < n * 4; i++)
    b[i] = (guint8) (l[i / 4] >> (8 * (i % 4)));
  return make_int (it, neg, b, n * 4, true);
}

static int
mag_compare (const Mag *a, const Mag *b)
{
  if (a->n != b->n)
    return a->n > b->n ? 1 : -1;
  for (uint64_t i = a->n; i > 0; i--)
    if (a->b[i - 1] != b->b[i - 1])
      return a->b[i - 1] > b->b[i - 1] ? 1 : -1;
  return 0;
}

/* r = |a| + |b| (r has room for max+1 limbs). */
static StOop
mag_add (StInterp *it, const Mag *a, const Mag *b, bool neg)
{
  uint64_t na, nb;
  g_autofree guint32 *x = limbs_of (a, &na);
  g_autofree guint32 *y = limbs_of (b, &nb);
  uint64_t n = MAX (na, nb);
  g_autofree guint32 *r = g_new0 (guint32, n + 1);
  uint64_t carry = 0;
  for (uint64_t i = 0; i < n; i++)
    {
      uint64_t s = carry + (i < na ? x[i] : 0) + (i < nb ? y[i] : 0);
      r[i] = (guint32) s;
      carry = s >> 32;
    }
  r[n] = (guint32) carry;
  return int_of_limbs (it, neg, r, n + 1);
}

/* |a| - |b|, with |a| >= |b|. */
static StOop
mag_sub (StInterp *it, const Mag *a, const Mag *b, bool neg)
{
  uint64_t na, nb;
  g_autofree guint32 *x = limbs_of (a, &na);
  g_autofree guint32 *y = limbs_of (b, &nb);
  g_autofree guint32 *r = g_new0 (guint32, na + 1);
  int64_t borrow = 0;
  for (uint64_t i = 0; i < na; i++)
    {
      int64_t d = (int64_t) x[i] - (i < nb ? y[i] : 0) - borrow;
      borrow = d < 0;
      r[i] = (guint32) (d + (borrow ? G_GINT64_CONSTANT (1) << 32 : 0));
    }
  return int_of_limbs (it, neg, r, na);
}

static StOop
mag_mul (StInterp *it, const Mag *a, const Mag *b, bool neg)
{
  uint64_t na, nb;
  g_autofree guint32 *x = limbs_of (a, &na);
  g_autofree guint32 *y = limbs_of (b, &nb);
  g_autofree guint32 *r = g_new0 (guint32, na + nb + 1);
  for (uint64_t i = 0; i < na; i++)
    {
      uint64_t carry = 0;
      if (x[i] == 0)
        continue;
      for (uint64_t j = 0; j < nb; j++)
        {
          uint64_t t = (uint64_t) x[i] * y[j] + r[i + j] + carry;
          r[i + j] = (guint32) t;
          carry = t >> 32;
        }
      r[i + nb] = (guint32) carry;
    }
  return int_of_limbs (it, neg, r, na + nb);
}

/* q = u / v, r = u mod v on magnitudes (v nonzero).  q has nu - nv + 1
 * limbs (at least 1), r has nv limbs. */
static void
limbs_divmod (const guint32 *u, uint64_t nu, const guint32 *v, uint64_t nv, guint32 *q, guint32 *r)
{
  if (nu < nv)
    {
      memcpy (r, u, nu * 4);
      memset (r + nu, 0, (nv - nu) * 4);
      q[0] = 0;
      return;
    }
  if (nv == 1)
    {
      uint64_t rem = 0;
      for (uint64_t i = nu; i > 0; i--)
        {
          uint64_t cur = (rem << 32) | u[i - 1];
          q[i - 1] = (guint32) (cur / v[0]);
          rem = cur % v[0];
        }
      r[0] = (guint32) rem;
      return;
    }
  int s = __builtin_clz (v[nv - 1]);
  g_autofree guint32 *vn = g_new (guint32, nv);
  g_autofree guint32 *un = g_new (guint32, nu + 1);
  for (uint64_t i = nv - 1; i > 0; i--)
    vn[i] = (v[i] << s) | (s ? (guint32) ((uint64_t) v[i - 1] >> (32 - s)) : 0);
  vn[0] = v[0] << s;
  un[nu] = s ? (guint32) ((uint64_t) u[nu - 1] >> (32 - s)) : 0;
  for (uint64_t i = nu - 1; i > 0; i--)
    un[i] = (u[i] << s) | (s ? (guint32) ((uint64_t) u[i - 1] >> (32 - s)) : 0);
  un[0] = u[0] << s;

  const uint64_t b = G_GUINT64_CONSTANT (1) << 32;
  for (uint64_t jj = nu - nv + 1; jj > 0; jj--)
    {
      uint64_t j = jj - 1;
      uint64_t num = ((uint64_t) un[j + nv] << 32) | un[j + nv - 1];
      uint64_t qhat = num / vn[nv - 1];
      uint64_t rhat = num % vn[nv - 1];
      while (qhat >= b || qhat * vn[nv - 2] > ((rhat << 32) | un[j + nv - 2]))
        {
          qhat--;
          rhat += vn[nv - 1];
          if (rhat >= b)
            break;
        }
      int64_t k = 0, t;
      for (uint64_t i = 0; i < nv; i++)
        {
          uint64_t p = qhat * vn[i];
          t = (int64_t) un[i + j] - k - (int64_t) (p & 0xFFFFFFFFu);
          un[i + j] = (guint32) t;
          k = (int64_t) (p >> 32) - (t >> 32);
        }
      t = (int64_t) un[j + nv] - k;
      un[j + nv] = (guint32) t;
      if (t < 0)
        {
          qhat--;
          uint64_t c = 0;
          for (uint64_t i = 0; i < nv; i++)
            {
              uint64_t sum = (uint64_t) un[i + j] + vn[i] + c;
              un[i + j] = (guint32) sum;
              c = sum >> 32;
            }
          un[j + nv] += (guint32) c;
        }
      q[j] = (guint32) qhat;
    }
  for (uint64_t i = 0; i < nv; i++)
    r[i] = (un[i] >> s) | (s ? (guint32) ((uint64_t) un[i + 1] << (32 - s)) : 0);
}

/* --- operand access --- */

static bool
operands (StInterp *it, int argc, int first_depth, Mag *a, Mag *b)
{
  if (argc < first_depth)
    return false;
  return mag_of (it, st_stack_value (it, first_depth), a) && mag_of (it, st_stack_value (it, first_depth - 1), b);
}

static bool
stack_bool (StInterp *it, int depth, bool *out)
{
  StOop o = st_stack_value (it, depth);
  if (o == it->true_obj)
    *out = true;
  else if (o == it->false_obj)
    *out = false;
  else
    return false;
  return true;
}

static StPrimResult
answer (StInterp *it, int argc, StOop r)
{
  if (r == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, r);
}

/* --- the primitives --- */

/* digitAdd: the sum of the magnitudes, with the sign of the first. */
static StPrimResult
prim_digit_add (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  Mag a, b;
  if (!operands (it, argc, 1, &a, &b))
    return ST_PRIM_FAIL;
  return answer (it, argc, mag_add (it, &a, &b, a.neg));
}

/* digitSubtract: |a| - |b| with the sign of a, or the opposite sign when
 * |b| is the larger. */
static StPrimResult
prim_digit_subtract (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  Mag a, b;
  if (!operands (it, argc, 1, &a, &b))
    return ST_PRIM_FAIL;
  if (mag_compare (&a, &b) < 0)
    return answer (it, argc, mag_sub (it, &b, &a, !a.neg));
  return answer (it, argc, mag_sub (it, &a, &b, a.neg));
}

/* digitMultiply: neg: the product of the magnitudes, negative when told. */
static StPrimResult
prim_digit_multiply (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  Mag a, b;
  bool neg;
  if (!operands (it, argc, 2, &a, &b) || !stack_bool (it, 0, &neg))
    return ST_PRIM_FAIL;
  return answer (it, argc, mag_mul (it, &a, &b, neg));
}

/* digitDiv: neg: an Array of the quotient of the magnitudes (negative when
 * told) and the remainder (with the sign of the dividend). */
static StPrimResult
digit_div (StVM *vm, int argc, bool check_normalized)
{
  StInterp *it = st_interp (vm);
  Mag a, b;
  bool neg;
  if (!operands (it, argc, 2, &a, &b) || !stack_bool (it, 0, &neg) || b.n == 0)
    return ST_PRIM_FAIL;
  if (check_normalized && (!st_is_smallint (st_stack_value (it, 2)) || !st_is_smallint (st_stack_value (it, 1))))
    {
      /* the plugin refuses non-normalised operands here: check without allocating */
      Mag *ms[2] = { &a, &b };
      for (int i = 0; i < 2; i++)
        {
          StOop o = st_stack_value (it, 2 - i);
          if (st_is_smallint (o))
            continue;
          if (ms[i]->n == 0 || st_byte_length (vm, o) != ms[i]->n)
            return ST_PRIM_FAIL;
          if (ms[i]->n <= 8)
            {
              uint64_t v = 0;
              for (uint64_t k = 0; k < ms[i]->n; k++)
                v |= (uint64_t) ms[i]->b[k] << (8 * k);
              if (ms[i]->neg ? v <= (uint64_t) 0 - (uint64_t) it->int_min : v <= (uint64_t) it->int_max)
                return ST_PRIM_FAIL;
            }
        }
    }
  if (it->ci_array == 0)
    return ST_PRIM_FAIL;
  uint64_t nu, nv;
  g_autofree guint32 *u = limbs_of (&a, &nu);
  g_autofree guint32 *v = limbs_of (&b, &nv);
  nv = limbs_trim (v, nv);
  uint64_t nq = nu >= nv ? nu - nv + 1 : 1;
  g_autofree guint32 *q = g_new0 (guint32, nq);
  g_autofree guint32 *r = g_new0 (guint32, nv);
  limbs_divmod (u, nu, v, nv, q, r);
  StOop arr = st_objmem_new_object (vm, it->ci_array, ST_FMT_INDEXABLE, 2);
  if (arr == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  StOop qo = int_of_limbs (it, neg, q, nq);
  StOop ro = qo == 0 ? 0 : int_of_limbs (it, a.neg, r, nv);
  if (ro == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  st_store (vm, arr, 0, qo);
  st_store (vm, arr, 1, ro);
  return st_prim_return (it, argc, arr);
}

static StPrimResult prim_digit_div_negative (StVM *vm, int argc) { return digit_div (vm, argc, true); }
static StPrimResult prim_digit_div_with_negative (StVM *vm, int argc) { return digit_div (vm, argc, false); }

/* digitCompare: 1, 0 or -1.  Two SmallIntegers compare by value, a
 * SmallInteger is below any LargeInteger, two LargeIntegers compare by
 * magnitude. */
static StPrimResult
prim_digit_compare (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  Mag a, b;
  if (!operands (it, argc, 1, &a, &b))
    return ST_PRIM_FAIL;
  int c;
  if (a.small && b.small)
    c = a.value > b.value ? 1 : a.value < b.value ? -1 : 0;
  else if (a.small)
    c = -1;
  else if (b.small)
    c = 1;
  else
    c = mag_compare (&a, &b);
  return st_prim_return (it, argc, st_smallint_oop (c));
}

enum { OP_AND = 0, OP_OR = 1, OP_XOR = 2 };

/* Bit logic on non-negative integers only; a negative operand fails. */
static StPrimResult
bit_logic (StInterp *it, int argc, int first_depth, int op)
{
  Mag a, b;
  if (!operands (it, argc, first_depth, &a, &b) || a.neg || b.neg)
    return ST_PRIM_FAIL;
  uint64_t n = MAX (a.n, b.n);
  g_autofree guint8 *r = g_malloc (n + 1);
  for (uint64_t i = 0; i < n; i++)
    {
      guint8 x = i < a.n ? a.b[i] : 0, y = i < b.n ? b.b[i] : 0;
      r[i] = op == OP_AND ? (x & y) : op == OP_OR ? (x | y) : (x ^ y);
    }
  return answer (it, argc, make_int (it, false, r, n, true));
}

static StPrimResult prim_digit_bit_and (StVM *vm, int argc) { return bit_logic (st_interp (vm), argc, 1, OP_AND); }
static StPrimResult prim_digit_bit_or (StVM *vm, int argc) { return bit_logic (st_interp (vm), argc, 1, OP_OR); }
static StPrimResult prim_digit_bit_xor (StVM *vm, int argc) { return bit_logic (st_interp (vm), argc, 1, OP_XOR); }

static StPrimResult
prim_digit_bit_logic_with_op (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc < 3)
    return ST_PRIM_FAIL;
  StOop op = st_stack_value (it, 0);
  if (!st_is_smallint (op) || st_smallint_value (op) < OP_AND || st_smallint_value (op) > OP_XOR)
    return ST_PRIM_FAIL;
  return bit_logic (it, argc, 2, (int) st_smallint_value (op));
}

/* digitBitShift: / bitShiftMagnitude: shift the magnitude, keep the sign. */
static StPrimResult
prim_digit_bit_shift (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  Mag a;
  if (argc < 1 || !mag_of (it, st_stack_value (it, 1), &a) || !st_is_smallint (st_stack_value (it, 0)))
    return ST_PRIM_FAIL;
  int64_t shift = st_smallint_value (st_stack_value (it, 0));
  if (a.n == 0)
    return st_prim_return (it, argc, st_smallint_oop (0));
  if (shift >= 0)
    {
      if (a.n >= ST_LARGE_MAX_BYTES || (uint64_t) shift / 8 >= ST_LARGE_MAX_BYTES - a.n)
        return ST_PRIM_FAIL;
      uint64_t bytes = (uint64_t) shift / 8, bits = (uint64_t) shift % 8;
      uint64_t n = a.n + bytes + 1;
      g_autofree guint8 *r = g_malloc0 (n);
      for (uint64_t i = 0; i < a.n; i++)
        {
          unsigned w = (unsigned) a.b[i] << bits;
          r[i + bytes] |= (guint8) w;
          r[i + bytes + 1] |= (guint8) (w >> 8);
        }
      return answer (it, argc, make_int (it, a.neg, r, n, true));
    }
  uint64_t rs = shift == G_MININT64 ? G_MAXUINT64 : (uint64_t) -shift;
  uint64_t bytes = rs / 8, bits = rs % 8;
  if (bytes >= a.n)
    return st_prim_return (it, argc, st_smallint_oop (0));
  uint64_t n = a.n - bytes;
  g_autofree guint8 *r = g_malloc0 (n);
  for (uint64_t i = 0; i < n; i++)
    {
      unsigned w = a.b[i + bytes] | (i + bytes + 1 < a.n ? (unsigned) a.b[i + bytes + 1] << 8 : 0);
      r[i] = (guint8) (w >> bits);
    }
  return answer (it, argc, make_int (it, a.neg, r, n, true));
}

/* primNormalize / primNormalizePositive / primNormalizeNegative. */
static StPrimResult
normalize (StInterp *it, int argc, int want)
{
  Mag a;
  StOop o = st_stack_value (it, 0);
  if (!mag_of (it, o, &a))
    return ST_PRIM_FAIL;
  if (want != 0 && (a.small || a.neg != (want < 0)))
    return ST_PRIM_FAIL;
  if (a.small)
    return st_prim_return (it, argc, o);
  StOop r = make_int (it, a.neg, a.b, a.n, true);
  /* keep the object itself when it was already normal */
  if (r != 0 && !st_is_smallint (r) && st_byte_length (it->vm, o) == a.n)
    r = o;
  return answer (it, argc, r);
}

static StPrimResult prim_normalize (StVM *vm, int argc) { return normalize (st_interp (vm), argc, 0); }
static StPrimResult prim_normalize_positive (StVM *vm, int argc) { return normalize (st_interp (vm), argc, 1); }
static StPrimResult prim_normalize_negative (StVM *vm, int argc) { return normalize (st_interp (vm), argc, -1); }

/* primAsLargeInteger: a SmallInteger as a (non-normalised) LargeInteger. */
static StPrimResult
prim_as_large_integer (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  Mag a;
  StOop o = st_stack_value (it, 0);
  if (!mag_of (it, o, &a))
    return ST_PRIM_FAIL;
  if (!a.small)
    return st_prim_return (it, argc, o);
  return answer (it, argc, make_int (it, a.neg, a.b, a.n, false));
}

/* primAnyBitFrom: start to: stop: is any magnitude bit (1-based) set? */
static StPrimResult
prim_any_bit_from_to (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  Mag a;
  if (argc < 2 || !mag_of (it, st_stack_value (it, 2), &a))
    return ST_PRIM_FAIL;
  StOop f = st_stack_value (it, 1), t = st_stack_value (it, 0);
  if (!st_is_smallint (f) || !st_is_smallint (t) || st_smallint_value (f) < 1 || st_smallint_value (t) < 1)
    return ST_PRIM_FAIL;
  uint64_t from = (uint64_t) st_smallint_value (f) - 1, to = (uint64_t) st_smallint_value (t) - 1;
  to = MIN (to, a.n * 8 - (a.n > 0 ? 1 : 0));
  bool any = false;
  if (a.n > 0)
    for (uint64_t bit = from; bit <= to && !any; bit++)
      {
        /* whole zero bytes are skipped a byte at a time */
        if (bit % 8 == 0 && bit + 7 <= to && a.b[bit / 8] == 0)
          {
            bit += 7;
            continue;
          }
        any = (a.b[bit / 8] >> (bit % 8)) & 1;
      }
  return st_prim_return (it, argc, st_bool (it, any));
}

/* primMontgomeryTimes: b modulo: m mInvModB: mInv — Montgomery's product
 * a * b / 256^k mod m, k the byte length of m, reduced one byte at a time;
 * mInv is -1/m mod 256.  One final subtraction of m, as the plugin does, so
 * the answer is fully reduced when a and b are below m. */
static StPrimResult
prim_montgomery_times_modulo (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  Mag a, b, m;
  if (argc != 3 || !mag_of (it, st_stack_value (it, 3), &a) || !mag_of (it, st_stack_value (it, 2), &b)
      || !mag_of (it, st_stack_value (it, 1), &m) || !st_is_smallint (st_stack_value (it, 0)))
    return ST_PRIM_FAIL;
  int64_t inv = st_smallint_value (st_stack_value (it, 0));
  if (inv < 0 || inv > 255 || m.n == 0 || a.n > m.n || b.n > m.n)
    return ST_PRIM_FAIL;
  uint64_t k = m.n;
  /* t has k + 2 bytes: t < 2m + 256^k fits with room to spare */
  g_autofree guint8 *t = g_malloc0 (k + 2);
  for (uint64_t i = 0; i < k; i++)
    {
      guint ai = i < a.n ? a.b[i] : 0;
      /* t += ai * b; then u makes the low byte vanish with u * m */
      guint u = ((t[0] + ai * (b.n > 0 ? b.b[0] : 0)) * (guint) inv) & 255;
      guint32 carry = 0;
      for (uint64_t j = 0; j < k + 2; j++)
        {
          guint32 acc = t[j] + carry + ai * (j < b.n ? b.b[j] : 0) + u * (j < m.n ? m.b[j] : 0);
          t[j] = (guint8) acc;
          carry = acc >> 8;
        }
      /* divide by 256 (the low byte is dropped) */
      memmove (t, t + 1, k + 1);
      t[k + 1] = 0;
    }
  /* if t >= m: t -= m, kept to k bytes as the plugin does */
  bool ge = t[k] != 0;
  if (!ge)
    {
      ge = true;
      for (uint64_t j = k; j > 0; j--)
        if (t[j - 1] != m.b[j - 1])
          {
            ge = t[j - 1] > m.b[j - 1];
            break;
          }
    }
  if (ge)
    {
      int borrow = 0;
      for (uint64_t j = 0; j < k; j++)
        {
          int d = (int) t[j] - m.b[j] - borrow;
          borrow = d < 0;
          t[j] = (guint8) (d + (borrow ? 256 : 0));
        }
    }
  return answer (it, argc, make_int (it, false, t, k, true));
}

static StPrimResult
prim_get_module_name (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop s = st_interp_new_string (it, "LargeIntegers (Thaw)");
  return answer (it, argc, s);
}

static StPrimResult
prim_check_if_c_module_exists (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  return st_prim_return (it, argc, it->true_obj);
}

const StNamedPrim st_plugin_large_integers[] = {
  { "primDigitAdd", prim_digit_add },
  { "primDigitAddWith", prim_digit_add },
  { "primDigitSubtract", prim_digit_subtract },
  { "primDigitSubtractWith", prim_digit_subtract },
  { "primDigitMultiplyNegative", prim_digit_multiply },
  { "primDigitMultiplyWithNegative", prim_digit_multiply },
  { "primDigitDivNegative", prim_digit_div_negative },
  { "primDigitDivWithNegative", prim_digit_div_with_negative },
  { "primDigitCompare", prim_digit_compare },
  { "primDigitCompareWith", prim_digit_compare },
  { "primDigitBitAnd", prim_digit_bit_and },
  { "primDigitBitOr", prim_digit_bit_or },
  { "primDigitBitXor", prim_digit_bit_xor },
  { "primDigitBitLogicWithOp", prim_digit_bit_logic_with_op },
  { "primDigitBitShift", prim_digit_bit_shift },
  { "primDigitBitShiftMagnitude", prim_digit_bit_shift },
  { "_primDigitBitShift", prim_digit_bit_shift },
  { "primNormalize", prim_normalize },
  { "primNormalizePositive", prim_normalize_positive },
  { "primNormalizeNegative", prim_normalize_negative },
  { "primAsLargeInteger", prim_as_large_integer },
  { "primAnyBitFromTo", prim_any_bit_from_to },
  { "primMontgomeryTimesModulo", prim_montgomery_times_modulo },
  { "primGetModuleName", prim_get_module_name },
  { "primCheckIfCModuleExists", prim_check_if_c_module_exists },
  { NULL, NULL },
};

/* --- the numbered primitives 20-37 on LargePositive/NegativeIntegers ---
 *
 * Receiver and argument are integers of any size (SmallIntegers too); a
 * non-integer argument (a Float, a Fraction) fails so the image's own
 * coercion runs.  / (30) fails unless the division is exact, so the image
 * makes a Fraction.  Results are normalised. */

static bool
two_mags (StInterp *it, int argc, Mag *a, Mag *b)
{
  return argc == 1 && mag_of (it, st_stack_value (it, 1), a) && mag_of (it, st_stack_value (it, 0), b);
}

/* a + b, or a - b when negate_b. */
static StOop
signed_add (StInterp *it, const Mag *a, const Mag *b, bool negate_b)
{
  bool bneg = b->neg != negate_b;
  if (a->neg == bneg)
    return mag_add (it, a, b, a->neg);
  if (mag_compare (a, b) >= 0)
    return mag_sub (it, a, b, a->neg);
  return mag_sub (it, b, a, bneg);
}

/* Sign-and-magnitude comparison: -1, 0, 1. */
static int
signed_compare (const Mag *a, const Mag *b)
{
  bool an = a->neg && a->n > 0, bn = b->neg && b->n > 0;
  if (an != bn)
    return an ? -1 : 1;
  int c = mag_compare (a, b);
  return an ? -c : c;
}

/* The quotient and remainder of the magnitudes, as limbs (freed by the caller). */
static void
mag_divmod (const Mag *a, const Mag *b, guint32 **q, uint64_t *nq, guint32 **r, uint64_t *nr)
{
  uint64_t nu, nv;
  g_autofree guint32 *u = limbs_of (a, &nu);
  g_autofree guint32 *v = limbs_of (b, &nv);
  nv = limbs_trim (v, nv);
  *nq = nu >= nv ? nu - nv + 1 : 1;
  *nr = nv;
  *q = g_new0 (guint32, *nq + 1);     /* room for a carry */
  *r = g_new0 (guint32, *nr + 1);
  limbs_divmod (u, nu, v, nv, *q, *r);
}

static void
limbs_increment (guint32 *l, uint64_t n)
{
  for (uint64_t i = 0; i < n; i++)
    if (++l[i] != 0)
      return;
}

/* r := v - r on n limbs (v >= r). */
static void
limbs_sub_from (const guint32 *v, guint32 *r, uint64_t n)
{
  int64_t borrow = 0;
  for (uint64_t i = 0; i < n; i++)
    {
      int64_t d = (int64_t) v[i] - r[i] - borrow;
      borrow = d < 0;
      r[i] = (guint32) (d + (borrow ? G_GINT64_CONSTANT (1) << 32 : 0));
    }
}

enum { DIV_EXACT, DIV_FLOOR, DIV_TRUNC, MOD_FLOOR, REM_TRUNC };

static StPrimResult
large_division (StVM *vm, int argc, int kind)
{
  StInterp *it = st_interp (vm);
  Mag a, b;
  if (!two_mags (it, argc, &a, &b) || b.n == 0)
    return ST_PRIM_FAIL;
  guint32 *q, *r;
  uint64_t nq, nr;
  mag_divmod (&a, &b, &q, &nq, &r, &nr);
  bool zero_rem = limbs_trim (r, nr) == 0;
  bool differ = a.neg != b.neg;
  StOop res = 0;
  StPrimResult why = ST_PRIM_OK;
  switch (kind)
    {
    case DIV_EXACT:
      if (!zero_rem)
        why = ST_PRIM_FAIL;
      else
        res = int_of_limbs (it, differ, q, nq);
      break;
    case DIV_TRUNC:
      res = int_of_limbs (it, differ, q, nq);
      break;
    case DIV_FLOOR:
      /* towards negative infinity: one more in magnitude when inexact and negative */
      if (differ && !zero_rem)
        limbs_increment (q, nq + 1);
      res = int_of_limbs (it, differ, q, nq + 1);
      break;
    case REM_TRUNC:
      res = int_of_limbs (it, a.neg, r, nr);
      break;
    default: /* MOD_FLOOR: the sign of the divisor */
      if (differ && !zero_rem)
        {
          uint64_t nv;
          g_autofree guint32 *v = limbs_of (&b, &nv);
          limbs_sub_from (v, r, nr);
        }
      res = int_of_limbs (it, b.neg, r, nr);
      break;
    }
  g_free (q);
  g_free (r);
  if (why != ST_PRIM_OK)
    return why;
  return answer (it, argc, res);
}

StPrimResult st_prim_large_divide (StVM *vm, int argc) { return large_division (vm, argc, DIV_EXACT); }
StPrimResult st_prim_large_div (StVM *vm, int argc) { return large_division (vm, argc, DIV_FLOOR); }
StPrimResult st_prim_large_quo (StVM *vm, int argc) { return large_division (vm, argc, DIV_TRUNC); }
StPrimResult st_prim_large_mod (StVM *vm, int argc) { return large_division (vm, argc, MOD_FLOOR); }
StPrimResult st_prim_large_rem (StVM *vm, int argc) { return large_division (vm, argc, REM_TRUNC); }

StPrimResult
st_prim_large_add (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  Mag a, b;
  if (!two_mags (it, argc, &a, &b))
    return ST_PRIM_FAIL;
  return answer (it, argc, signed_add (it, &a, &b, false));
}

StPrimResult
st_prim_large_subtract (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  Mag a, b;
  if (!two_mags (it, argc, &a, &b))
    return ST_PRIM_FAIL;
  return answer (it, argc, signed_add (it, &a, &b, true));
}

StPrimResult
st_prim_large_multiply (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  Mag a, b;
  if (!two_mags (it, argc, &a, &b))
    return ST_PRIM_FAIL;
  return answer (it, argc, mag_mul (it, &a, &b, a.neg != b.neg));
}

#define LARGE_CMP(name, test)                                           \
  StPrimResult                                                          \
  st_prim_##name (StVM *vm, int argc)                                   \
  {                                                                     \
    StInterp *it = st_interp (vm);                                      \
    Mag a, b;                                                           \
    if (!two_mags (it, argc, &a, &b))                                   \
      return ST_PRIM_FAIL;                                              \
    int c = signed_compare (&a, &b);                                    \
    return st_prim_return (it, argc, st_bool (it, test));               \
  }

LARGE_CMP (large_less_than, c < 0)
LARGE_CMP (large_greater_than, c > 0)
LARGE_CMP (large_less_or_equal, c <= 0)
LARGE_CMP (large_greater_or_equal, c >= 0)
LARGE_CMP (large_equal, c == 0)
LARGE_CMP (large_not_equal, c != 0)

/* Two's complement of an operand on len bytes (len > its magnitude). */
static void
to_twos (const Mag *m, guint8 *t, uint64_t len)
{
  memset (t, 0, len);
  memcpy (t, m->b, m->n);
  if (!m->neg || m->n == 0)
    return;
  unsigned carry = 1;
  for (uint64_t i = 0; i < len; i++)
    {
      unsigned v = (guint8) ~t[i] + carry;
      t[i] = (guint8) v;
      carry = v >> 8;
    }
}

static StOop
from_twos (StInterp *it, guint8 *t, uint64_t len)
{
  bool neg = len > 0 && (t[len - 1] & 0x80);
  if (neg)
    {
      unsigned carry = 1;
      for (uint64_t i = 0; i < len; i++)
        {
          unsigned v = (guint8) ~t[i] + carry;
          t[i] = (guint8) v;
          carry = v >> 8;
        }
    }
  return make_int (it, neg, t, len, true);
}

/* bitAnd: bitOr: bitXor: with the infinite two's complement of negatives. */
static StPrimResult
large_bit_op (StVM *vm, int argc, int op)
{
  StInterp *it = st_interp (vm);
  Mag a, b;
  if (!two_mags (it, argc, &a, &b))
    return ST_PRIM_FAIL;
  uint64_t len = MAX (a.n, b.n) + 1;
  g_autofree guint8 *x = g_malloc (len);
  g_autofree guint8 *y = g_malloc (len);
  to_twos (&a, x, len);
  to_twos (&b, y, len);
  for (uint64_t i = 0; i < len; i++)
    x[i] = op == OP_AND ? (x[i] & y[i]) : op == OP_OR ? (x[i] | y[i]) : (x[i] ^ y[i]);
  return answer (it, argc, from_twos (it, x, len));
}

StPrimResult st_prim_large_bit_and (StVM *vm, int argc) { return large_bit_op (vm, argc, OP_AND); }
StPrimResult st_prim_large_bit_or (StVM *vm, int argc) { return large_bit_op (vm, argc, OP_OR); }
StPrimResult st_prim_large_bit_xor (StVM *vm, int argc) { return large_bit_op (vm, argc, OP_XOR); }

/* bitShift: an arithmetic shift (right shifts of negatives round down). */
StPrimResult
st_prim_large_bit_shift (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  Mag a;
  if (argc != 1 || !mag_of (it, st_stack_value (it, 1), &a) || !st_is_smallint (st_stack_value (it, 0)))
    return ST_PRIM_FAIL;
  int64_t shift = st_smallint_value (st_stack_value (it, 0));
  if (shift >= 0 || !a.neg || a.n == 0)
    /* a left shift, or a right shift of a non-negative: on the magnitude */
    return prim_digit_bit_shift (vm, argc);
  /* -m >> s = -(((m - 1) >> s) + 1) */
  uint64_t rs = shift == G_MININT64 ? G_MAXUINT64 : (uint64_t) -shift;
  g_autofree guint8 *m1 = g_malloc (a.n + 1);
  memcpy (m1, a.b, a.n);
  for (uint64_t i = 0; i < a.n; i++)
    if (m1[i]-- != 0)
      break;
  uint64_t bytes = rs / 8, bits = rs % 8;
  uint64_t n = bytes >= a.n ? 0 : a.n - bytes;
  g_autofree guint8 *r = g_malloc0 (n + 1);
  for (uint64_t i = 0; i < n; i++)
    {
      unsigned w = m1[i + bytes] | (i + bytes + 1 < a.n ? (unsigned) m1[i + bytes + 1] << 8 : 0);
      r[i] = (guint8) (w >> bits);
    }
  /* plus one */
  for (uint64_t i = 0; i <= n; i++)
    if (++r[i] != 0)
      break;
  return answer (it, argc, make_int (it, true, r, n + 1, true));
}
