/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fft.c: FFTPlugin, the in-place radix-2 FFT of Squeak's FFT class, and
 * its module-less name primitiveFFTTransformData that 6502-era images
 * (Scratch: FFT>>pluginTransformData:, with no Smalltalk fallback) use.
 *
 * The receiver is an FFT: nu, n (= 2^nu), sinTable (a FloatArray of the
 * first quarter wave, n/4 + 1 entries), permTable (a WordArray of 1-based
 * index pairs to swap for the bit-reversal order), realData and imagData
 * (FloatArrays of n entries), after FFT>>pluginPrepareData.  Arithmetic is
 * in single precision like the C plugin's.
 *
 *   primitiveFFTTransformData: forward   permute, butterflies, and for the
 *                                        inverse transform scale by 1/n
 *   primitiveFFTPermuteData              the bit-reversal swaps only
 *   primitiveFFTScaleData                the 1/n scaling only
 *
 * Every table is checked before anything is written: a permutation entry
 * outside 1..n, or n < 4 with a transform to do, fails the primitive
 * with the data unchanged. */
#include "config.h"

#include <string.h>

#include "plugins.h"

typedef struct {
  int64_t nu, n;
  float *sin_table, *re, *im;
  uint64_t sin_size;
  const guint32 *perm;
  uint64_t perm_size;
} Fft;

static bool
float_array (StVM *vm, StOop o, float **f, uint64_t *n, bool writable)
{
  if (!st_interp_valid_obj (vm, o))
    return false;
  guint fmt = st_format (vm, o);
  if (fmt < ST_FMT_WORDS32 || fmt >= ST_FMT_SHORTS16 || (writable && st_hdr_is_immutable (st_header (vm, o))))
    return false;
  *n = st_indexable_count (vm, o);
  if (*n > st_num_slots (vm, o) * 2)
    return false;
  *f = (float *) st_bytes (vm, o);
  return true;
}

static bool
load_fft (StInterp *it, StOop rcvr, Fft *f)
{
  StVM *vm = it->vm;
  if (!st_interp_valid_obj (vm, rcvr) || !st_fmt_is_pointers (st_format (vm, rcvr)) || st_num_slots (vm, rcvr) < 6)
    return false;
  StOop nu = st_fetch (vm, rcvr, 0), n = st_fetch (vm, rcvr, 1);
  if (!st_is_smallint (nu) || !st_is_smallint (n))
    return false;
  f->nu = st_smallint_value (nu);
  f->n = st_smallint_value (n);
  if (f->nu < 0 || f->nu > 30 || f->n != (G_GINT64_CONSTANT (1) << f->nu))
    return false;
  float *perm;
  uint64_t re_size, im_size;
  if (!float_array (vm, st_fetch (vm, rcvr, 2), &f->sin_table, &f->sin_size, false)
      || !float_array (vm, st_fetch (vm, rcvr, 3), &perm, &f->perm_size, false)
      || !float_array (vm, st_fetch (vm, rcvr, 4), &f->re, &re_size, true)
      || !float_array (vm, st_fetch (vm, rcvr, 5), &f->im, &im_size, true))
    return false;
  f->perm = (const guint32 *) perm;
  return f->sin_size == (uint64_t) (f->n / 4 + 1) && re_size == (uint64_t) f->n && im_size == (uint64_t) f->n;
}

static bool
permutation_ok (const Fft *f)
{
  for (uint64_t i = 0; i < f->perm_size; i++)
    if (f->perm[i] < 1 || f->perm[i] > (guint64) f->n)
      return false;
  return true;
}

static void
permute (Fft *f)
{
  for (uint64_t i = 0; i + 1 < f->perm_size; i += 2)
    {
      guint32 a = f->perm[i] - 1, b = f->perm[i + 1] - 1;
      float t = f->re[a];
      f->re[a] = f->re[b];
      f->re[b] = t;
      t = f->im[a];
      f->im[a] = f->im[b];
      f->im[b] = t;
    }
}

static void
scale (Fft *f)
{
  if (f->n <= 1)
    return;
  float k = (float) (1.0 / (double) f->n);
  for (int64_t i = 0; i < f->n; i++)
    {
      f->re[i] *= k;
      f->im[i] *= k;
    }
}

/* The butterflies, level by level; the twiddle factor for step j of a
 * level comes from the quarter-wave sine table. */
static void
butterflies (Fft *f, bool forward)
{
  int64_t n = f->n, half = n / 2, quarter = n / 4;
  for (int64_t level = 1; level <= f->nu; level++)
    {
      int64_t span = G_GINT64_CONSTANT (1) << level, step = span / 2, stride = n / span;
      for (int64_t j = 0; j < step; j++)
        {
          int64_t theta = j * stride;
          float ur, ui;
          if (theta < quarter)
            {
              ur = f->sin_table[(int64_t) f->sin_size - theta - 1];
              ui = f->sin_table[theta];
            }
          else
            {
              ur = -f->sin_table[theta - quarter];
              ui = f->sin_table[half - theta];
            }
          if (!forward)
            ui = -ui;
          for (int64_t i = j; i < n; i += span)
            {
              int64_t k = i + step;
              float tr = f->re[k] * ur - f->im[k] * ui;
              float ti = f->re[k] * ui + f->im[k] * ur;
              f->re[k] = f->re[i] - tr;
              f->im[k] = f->im[i] - ti;
              f->re[i] = f->re[i] + tr;
              f->im[i] = f->im[i] + ti;
            }
        }
    }
}

static StPrimResult
fft_transform (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop fwd = st_stack_value (it, 0);
  if (fwd != it->true_obj && fwd != it->false_obj)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  Fft f;
  if (!load_fft (it, st_stack_value (it, 1), &f) || !permutation_ok (&f) || (f.nu > 0 && f.n < 4))
    return ST_PRIM_ERR_BAD_RECEIVER;
  permute (&f);
  butterflies (&f, fwd == it->true_obj);
  if (fwd != it->true_obj)
    scale (&f);
  st_pop_n (it, 1);
  return ST_PRIM_OK;
}

static StPrimResult
fft_permute (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  Fft f;
  if (!load_fft (it, st_stack_value (it, 0), &f) || !permutation_ok (&f))
    return ST_PRIM_ERR_BAD_RECEIVER;
  permute (&f);
  return ST_PRIM_OK;
}

static StPrimResult
fft_scale (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  Fft f;
  if (!load_fft (it, st_stack_value (it, 0), &f))
    return ST_PRIM_ERR_BAD_RECEIVER;
  scale (&f);
  return ST_PRIM_OK;
}

const StNamedPrim st_plugin_fft[] = {
  { "primitiveFFTTransformData", fft_transform },
  { "primitiveFFTPermuteData", fft_permute },
  { "primitiveFFTScaleData", fft_scale },
  { NULL, NULL },
};

const StNamedPrim st_plugin_vm_fft[] = {
  { "primitiveFFTTransformData", fft_transform },
  { NULL, NULL },
};
