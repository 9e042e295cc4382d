/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bitblt.c: BitBlt copyBits (primitive 96 and BitBltPlugin>>primitiveCopyBits).
 *
 * The semantics are those of Squeak's BitBltSimulation: the rectangle is
 * clipped against the clip rectangle, the destination and the source; each
 * destination word the rectangle touches gets a source word (the source
 * pixels, colour-mapped, placed at the destination pixel positions, ANDed
 * with the row's halftone word) and the combination rule merges that with
 * the destination word; the merge result is stored under a mask of the
 * touched pixels.  Unlike the VM this gathers source pixels one by one
 * (correct first; fast paths later) and reads an overlapping source from a
 * copy, which gives the same result as the VM's direction reversal. */
#include "config.h"

#include <string.h>

#include "interp-private.h"
#include "plugins.h"
#include "plugins/bitblt.h"
#include "prim-table.h"

enum {
  CM_PRESENT = 1,
  CM_FIXED = 2,
  CM_INDEXED = 4,
  CM_NEW_STYLE = 8,
};

typedef struct {
  StBitBlt *bb;
  int dd, dppw, sd, sppw;
  guint flags;
  guint32 cm_mask;
  int cm_bpc;
  gint32 shifts[4];
  guint32 masks[4];
  guint32 dest_mask;        /* the pixels of the current word being stored */
} Blt;

static inline guint32 shl (guint32 a, int b) { return b > 31 ? 0 : a << b; }
static inline guint32 shr (guint32 a, int b) { return b > 31 ? 0 : a >> b; }
static inline guint32 shift_by (guint32 a, int b) { return b < 0 ? shr (a, -b) : shl (a, b); }
static inline guint32 pix_mask (int depth) { return depth >= 32 ? 0xFFFFFFFFu : (1u << depth) - 1; }

/* --- colour conversion --- */

/* A pixel with nin bits per colour component to one with nout bits. */
static guint32
rgb_map (guint32 pixel, int nin, int nout)
{
  int d = nout - nin;
  if (d > 0)
    {
      guint32 mask = shl (shl (1, nin) - 1, d);
      guint32 src = shl (pixel, d);
      guint32 out = src & mask;
      mask = shl (mask, nout);
      src = shl (src, d);
      return out + (src & mask) + (shl (src, d) & shl (mask, nout));
    }
  if (d == 0)
    {
      if (nin == 5)
        return pixel & 0x7FFF;
      if (nin == 8)
        return pixel & 0xFFFFFF;
      return pixel;
    }
  if (pixel == 0)
    return 0;
  d = nin - nout;
  guint32 mask = shl (1, nout) - 1;
  guint32 src = shr (pixel, d);
  guint32 out = src & mask;
  mask = shl (mask, nout);
  src = shr (src, d);
  out = out + (src & mask) + (shr (src, d) & shl (mask, nout));
  return out == 0 ? 1 : out;
}

static guint32
rgb_map_16_to_32 (guint32 p)
{
  return ((p & 0x1F) << 3) | ((p & 0x3E0) << 6) | ((p & 0x7C00) << 9);
}

static guint32
map_pixel (const Blt *b, guint32 pixel)
{
  guint32 pv = pixel;
  if (b->flags & CM_FIXED)
    {
      pv = 0;
      for (int i = 0; i < 4; i++)
        pv |= shift_by (pixel & b->masks[i], b->shifts[i]);
      if (pv == 0 && pixel != 0)
        pv = 1;             /* colour reduction must not make a pixel transparent */
    }
  if (b->flags & CM_INDEXED)
    pv = b->bb->cmap[pv & b->cm_mask];
  return pv;
}

/* Shifts and masks converting source RGB (16 or 32 bits) to the target
 * component size, when no explicit ones were given. */
static void
setup_color_masks (Blt *b)
{
  if (b->sd <= 8)
    return;
  int bits = b->sd == 16 ? 5 : 8;
  int target;
  if (b->cm_bpc == 0)
    {
      if (b->dd <= 8)
        return;
      target = b->dd == 16 ? 5 : 8;
    }
  else
    target = b->cm_bpc;
  int delta = target - bits;
  if (delta == 0)
    return;
  if (delta < 0)
    {
      guint32 mask = shl (1, target) - 1;
      b->masks[0] = shl (mask, bits * 2 - delta);
      b->masks[1] = shl (mask, bits - delta);
      b->masks[2] = shl (mask, -delta);
      b->masks[3] = 0;
    }
  else
    {
      guint32 mask = shl (1, bits) - 1;
      b->masks[0] = shl (mask, bits * 2);
      b->masks[1] = shl (mask, bits);
      b->masks[2] = mask;
      b->masks[3] = 0;
    }
  b->shifts[0] = delta * 3;
  b->shifts[1] = delta * 2;
  b->shifts[2] = delta;
  b->shifts[3] = 0;
  b->flags |= CM_PRESENT | CM_FIXED;
}

static bool
setup_color_map (Blt *b, const char **why)
{
  StBitBlt *bb = b->bb;
  b->flags = 0;
  b->cm_mask = 0;
  b->cm_bpc = 0;
  if (bb->cmap_present)
    {
      b->flags = CM_PRESENT;
      gsize n = bb->cmap != NULL ? bb->cmap_size : 0;
      if ((n & (n - 1)) != 0 || n > ((gsize) 1 << 24))
        {
          *why = "colour map size is not a power of two";
          return false;
        }
      if (n == 0 && !bb->new_style)
        {
          *why = "empty colour map";
          return false;
        }
      b->cm_bpc = n == 512 ? 3 : n == 4096 ? 4 : n == 32768 ? 5 : 0;
      if (n != 0)
        {
          b->flags |= CM_INDEXED;
          b->cm_mask = (guint32) (n - 1);
        }
      bool identity = true;
      if (bb->new_style)
        {
          b->flags |= CM_NEW_STYLE;
          if (bb->has_shifts)
            {
              memcpy (b->shifts, bb->shifts, sizeof b->shifts);
              memcpy (b->masks, bb->masks, sizeof b->masks);
              identity = b->shifts[0] == 0 && b->shifts[1] == 0 && b->shifts[2] == 0 && b->shifts[3] == 0
                && b->masks[0] == 0xFF0000 && b->masks[1] == 0xFF00 && b->masks[2] == 0xFF
                && b->masks[3] == 0xFF000000u;
            }
          if (!identity)
            b->flags |= CM_FIXED;
        }
    }
  if (!(b->flags & CM_NEW_STYLE))
    setup_color_masks (b);
  return true;
}

/* --- merge functions (the combination rules) --- */

static guint32
part_and (guint32 w1, guint32 w2, int nbits, int nparts)
{
  guint32 mask = pix_mask (nbits), result = 0;
  for (int i = 0; i < nparts; i++)
    {
      if ((w1 & mask) == mask)
        result |= w2 & mask;
      mask = shl (mask, nbits);
    }
  return result;
}

static guint32
part_add (guint32 w1, guint32 w2, int nbits, guint32 component_mask, guint32 carry_mask)
{
  guint32 a = w1 & carry_mask, c = w2 & carry_mask;
  guint32 sum = (w1 ^ a) + (w2 ^ c);
  guint32 overflow = (a & c) | ((a | c) & sum);
  return (sum ^ a ^ c) | (shr (overflow, nbits - 1) * component_mask);
}

static guint32
part_max (guint32 w1, guint32 w2, int nbits, int nparts)
{
  guint32 mask = pix_mask (nbits), result = 0;
  for (int i = 0; i < nparts; i++)
    {
      result |= MAX (w2 & mask, w1 & mask);
      mask = shl (mask, nbits);
    }
  return result;
}

static guint32
part_min (guint32 w1, guint32 w2, int nbits, int nparts)
{
  guint32 mask = pix_mask (nbits), result = 0;
  for (int i = 0; i < nparts; i++)
    {
      result |= MIN (w2 & mask, w1 & mask);
      mask = shl (mask, nbits);
    }
  return result;
}

/* |w1 - w2| per partition */
static guint32
part_sub (guint32 w1, guint32 w2, int nbits, int nparts)
{
  guint32 mask = pix_mask (nbits), result = 0;
  for (int i = 0; i < nparts; i++)
    {
      guint32 p1 = w1 & mask, p2 = w2 & mask;
      result |= p1 < p2 ? p2 - p1 : p1 - p2;
      mask = shl (mask, nbits);
    }
  return result;
}

/* (a+1)(b+1)-1 >> nbits per partition; the VM handles at most four. */
static guint32
part_mul (guint32 w1, guint32 w2, int nbits, int nparts)
{
  guint32 smask = pix_mask (nbits), result = 0;
  for (int i = 0; i < nparts && i < 4; i++)
    {
      guint64 a = (shr (w1, i * nbits) & smask) + 1, c = (shr (w2, i * nbits) & smask) + 1;
      guint32 p = (guint32) (((a * c - 1) >> nbits) & smask);
      result |= shl (p, i * nbits);
    }
  return result;
}

typedef guint32 (*PartFn) (guint32, guint32, int, int);

/* A partitioned operation by depth: pixels below 16 bits, 5-bit RGB
 * components of both 16-bit pixels, 8-bit ARGB components at 32. */
static guint32
rgb_op (const Blt *b, PartFn fn, guint32 s, guint32 d)
{
  if (b->dd < 16)
    return fn (s, d, b->dd, b->dppw);
  if (b->dd == 16)
    return fn (s, d, 5, 3) + (fn (s >> 16, d >> 16, 5, 3) << 16);
  return fn (s, d, 8, 4);
}

static guint32
alpha_blend (guint32 s, guint32 d)
{
  guint32 alpha = s >> 24;
  if (alpha == 0)
    return d;
  if (alpha == 255)
    return s;
  guint32 un = 255 - alpha;
  guint32 rb = (s & 0xFF00FF) * alpha + (d & 0xFF00FF) * un + 0xFF00FF;
  guint32 ag = (((s >> 8) | 0xFF0000) & 0xFF00FF) * alpha + ((d >> 8) & 0xFF00FF) * un + 0xFF00FF;
  rb = ((rb + (((rb - 0x10001) >> 8) & 0xFF00FF)) >> 8) & 0xFF00FF;
  ag = ((ag + (((ag - 0x10001) >> 8) & 0xFF00FF)) >> 8) & 0xFF00FF;
  return rb | (ag << 8);
}

static guint32
alpha_blend_const (const Blt *b, guint32 s, guint32 d, bool paint)
{
  if (b->dd < 16)
    return d;
  guint32 alpha = (guint32) b->bb->source_alpha, un = 255 - alpha;
  guint32 result = d;
  if (b->dppw == 1)
    {
      if (!(paint && s == 0))
        {
          guint32 rb = (s & 0xFF00FF) * alpha + (d & 0xFF00FF) * un + 0xFF00FF;
          guint32 ag = ((s >> 8) & 0xFF00FF) * alpha + ((d >> 8) & 0xFF00FF) * un + 0xFF00FF;
          rb = ((rb + (((rb - 0x10001) >> 8) & 0xFF00FF)) >> 8) & 0xFF00FF;
          ag = ((ag + (((ag - 0x10001) >> 8) & 0xFF00FF)) >> 8) & 0xFF00FF;
          result = rb | (ag << 8);
        }
      return result;
    }
  guint32 pm = pix_mask (b->dd), mask = b->dest_mask;
  for (int j = 0; j < b->dppw; j++)
    {
      guint32 sp = s & pm, dp = d & pm;
      if ((mask & pm) != 0 && !(paint && sp == 0))
        {
          guint32 blend = 0;
          for (int i = 0; i < 3; i++)
            {
              int sh = i * 5;
              guint32 c = ((((sp >> sh) & 31) * alpha + ((dp >> sh) & 31) * un) + 254) / 255 & 31;
              blend |= c << sh;
            }
          result = (result & ~shl (pm, j * 16)) | shl (blend, j * 16);
        }
      mask = shr (mask, b->dd);
      s = shr (s, b->dd);
      d = shr (d, b->dd);
    }
  return result;
}

static guint32
alpha_blend_scaled (guint32 s, guint32 d)
{
  guint32 un = 255 - (s >> 24);
  guint32 rb = ((((d & 0xFF00FF) * un) >> 8) & 0xFF00FF) + (s & 0xFF00FF);
  guint32 ag = (((((d >> 8) & 0xFF00FF) * un) >> 8) & 0xFF00FF) + ((s >> 8) & 0xFF00FF);
  rb = (rb & 0xFF00FF) | (((rb & 0x1000100) * 255) >> 8);
  ag = ((ag & 0xFF00FF) << 8) | ((ag & 0x1000100) * 255);
  return ag | rb;
}

static guint32
component_alpha_32 (const Blt *b, guint32 s, guint32 d)
{
  if (s == 0)
    return d;
  const guint8 *gamma = b->bb->gamma, *ungamma = b->bb->ungamma;
  guint32 color = b->bb->ca_color, src_alpha = b->bb->ca_alpha & 255;
  guint32 a[4];           /* b, g, r, a from the source word */
  for (int i = 0; i < 4; i++)
    a[i] = (s >> (8 * i)) & 255;
  if (src_alpha != 255)
    for (int i = 0; i < 4; i++)
      a[i] = (a[i] * src_alpha) >> 8;
  guint32 out[3];
  for (int i = 0; i < 3; i++)
    {
      guint32 dc = (d >> (8 * i)) & 255, sc = (color >> (8 * i)) & 255;
      if (ungamma != NULL)
        {
          dc = ungamma[dc];
          sc = ungamma[sc];
        }
      guint32 v = ((dc * (255 - a[i])) >> 8) + ((sc * a[i]) >> 8);
      if (v > 255)
        v = 255;
      if (gamma != NULL)
        v = gamma[v];
      out[i] = v;
    }
  guint32 al = ((((d >> 24) & 255) * (255 - a[3])) >> 8) + a[3];
  if (al > 255)
    al = 255;
  return (al << 24) | (out[2] << 16) | (out[1] << 8) | out[0];
}

static guint32
component_alpha (const Blt *b, guint32 s, guint32 d)
{
  if (s == 0)
    return d;
  int nbits = b->dd;
  guint32 mask = pix_mask (nbits), result = 0;
  for (int i = 0; i < b->dppw; i++)
    {
      guint32 p1 = shr (s & mask, i * nbits), p2 = shr (d & mask, i * nbits);
      if (nbits != 32)
        {
          if (nbits == 16)
            {
              p1 = rgb_map_16_to_32 (p1) | 0xFF000000u;
              p2 = rgb_map_16_to_32 (p2) | 0xFF000000u;
            }
          else
            {
              p1 = rgb_map (p1, nbits, 32) | 0xFF000000u;
              p2 = rgb_map (p2, nbits, 32) | 0xFF000000u;
            }
        }
      guint32 v = component_alpha_32 (b, p1, p2);
      if (nbits != 32)
        v = rgb_map (v, 32, nbits);
      result |= shl (v, i * nbits);
      mask = shl (mask, nbits);
    }
  return result;
}

static guint32
pix_swap (const Blt *b, guint32 d)
{
  if (b->dppw == 1)
    return d;
  guint32 low = shl (1, b->dd) - 1;
  guint32 high = shl (low, (b->dppw - 1) * b->dd);
  int sh = 32 - b->dd;
  guint32 result = shl (d & low, sh) | shr (d & high, sh);
  for (int i = 2; i <= b->dppw / 2; i++)
    {
      low = shl (low, b->dd);
      high = shr (high, b->dd);
      sh -= b->dd * 2;
      result |= shl (d & low, sh) | shr (d & high, sh);
    }
  return result;
}

static guint32
pix_clear (const Blt *b, guint32 s, guint32 d)
{
  if (b->dd == 32)
    return s == d ? 0 : d;
  guint32 mask = pix_mask (b->dd), result = 0;
  for (int i = 0; i < b->dppw; i++)
    {
      guint32 pv = d & mask;
      if ((s & mask) == pv)
        pv = 0;
      result |= pv;
      mask = shl (mask, b->dd);
    }
  return result;
}

static void
tally (Blt *b, guint32 index)
{
  guint32 *t = &b->bb->cmap[index & b->cm_mask];
  *t += 1;
}

static guint32
merge (Blt *b, guint32 s, guint32 d)
{
  int dd = b->dd;
  switch (b->bb->rule)
    {
    case 0: return 0;
    case 1: return s & d;
    case 2: return s & ~d;
    case 3: return s;
    case 4: return ~s & d;
    case 5: return d;
    case 6: return s ^ d;
    case 7: return s | d;
    case 8: return ~s & ~d;
    case 9: return ~s ^ d;
    case 10: return ~d;
    case 11: return s | ~d;
    case 12: return ~s;
    case 13: return ~s | d;
    case 14: return ~s | ~d;
    case 15: case 16: case 17: return d;
    case 18: return s + d;
    case 19: return s - d;
    case 20:
      if (dd < 16)
        {
          guint32 cm = pix_mask (dd);
          return part_add (s, d, dd, cm, shl (0xFFFFFFFFu / cm, dd - 1));
        }
      if (dd == 16)
        return part_add (s & 0x7FFF7FFF, d & 0x7FFF7FFF, 5, 31, 0x42104210);
      return part_add (s, d, 8, 255, 0x80808080u);
    case 21: return rgb_op (b, part_sub, s, d);
    case 22:
      if (dd < 16)
        {
          guint32 diff = s ^ d, pm = pix_mask (dd);
          while (diff != 0)
            {
              if (diff & pm)
                b->bb->bit_count++;
              diff = shr (diff, dd);
            }
        }
      else if (dd == 16)
        {
          guint32 diff = part_sub (s, d, 5, 3);
          b->bb->bit_count += (diff & 31) + ((diff >> 5) & 31) + ((diff >> 10) & 31);
          diff = part_sub (s >> 16, d >> 16, 5, 3);
          b->bb->bit_count += (diff & 31) + ((diff >> 5) & 31) + ((diff >> 10) & 31);
        }
      else
        {
          guint32 diff = part_sub (s, d, 8, 3);
          b->bb->bit_count += (diff & 255) + ((diff >> 8) & 255) + ((diff >> 16) & 255);
        }
      return d;
    case 23:
      if ((b->flags & (CM_PRESENT | CM_INDEXED)) != (CM_PRESENT | CM_INDEXED))
        return d;
      if (dd < 16)
        {
          guint32 pm = pix_mask (dd) & b->cm_mask, w = d;
          for (int i = 0; i < b->dppw; i++)
            {
              tally (b, w & pm);
              w = shr (w, dd);
            }
        }
      else if (dd == 16)
        {
          tally (b, rgb_map (d & 0xFFFF, 5, b->cm_bpc));
          tally (b, rgb_map (d >> 16, 5, b->cm_bpc));
        }
      else
        tally (b, rgb_map (d, 8, b->cm_bpc));
      return d;
    case 24: return alpha_blend (s, d);
    case 25:
      if (s == 0)
        return d;
      return s | part_and (~s, d, dd, b->dppw);
    case 26: return part_and (~s, d, dd, b->dppw);
    case 27: return rgb_op (b, part_max, s, d);
    case 28: return rgb_op (b, part_min, s, d);
    case 29: return rgb_op (b, part_min, ~s, d);
    case 30: return alpha_blend_const (b, s, d, false);
    case 31:
      if (s == 0)
        return d;
      return alpha_blend_const (b, s, d, true);
    case 32:
      {
        guint32 pm = pix_mask (dd), mask = b->dest_mask, sw = s, dw = d;
        int bpc = dd == 16 ? 5 : 8;
        guint32 cmask = dd == 16 ? 31 : 255;
        for (int i = 0; i < b->dppw; i++)
          {
            if ((mask & pm) != 0)
              {
                guint32 sp = sw & pm, dp = dw & pm, diff;
                if (dd < 16)
                  diff = sp != dp;
                else
                  {
                    diff = part_sub (sp, dp, bpc, 3);
                    diff = (diff & cmask) + ((diff >> bpc) & cmask) + ((diff >> (2 * bpc)) & cmask);
                  }
                b->bb->bit_count += diff;
              }
            mask = shr (mask, dd);
            sw = shr (sw, dd);
            dw = shr (dw, dd);
          }
        return d;
      }
    case 33:
      {
        if ((b->flags & (CM_PRESENT | CM_INDEXED)) != (CM_PRESENT | CM_INDEXED))
          return d;
        guint32 pm = pix_mask (dd), mask = b->dest_mask, dw = d;
        for (int i = 0; i < b->dppw; i++)
          {
            if ((mask & pm) != 0)
              {
                guint32 pv = dw & pm;
                tally (b, dd < 16 ? pv : rgb_map (pv, dd == 16 ? 5 : 8, b->cm_bpc));
              }
            mask = shr (mask, dd);
            dw = shr (dw, dd);
          }
        return d;
      }
    case 34: case 35: case 36: return alpha_blend_scaled (s, d);
    case 37: return rgb_op (b, part_mul, s, d);
    case 38: return pix_swap (b, d);
    case 39: return pix_clear (b, s, d);
    case 40:
      if (dd != 32 || d == 0 || (d & 0xFF000000u) != 0)
        return d;
      return d | (s & 0xFF000000u);
    case 41: return component_alpha (b, s, d);
    default: return d;
    }
}

/* --- the copy --- */

static bool
form_ok (const StBltForm *f, const char *which, const char **why)
{
  static const char *const msgs[][2] = {
    { "destination depth is not 1, 2, 4, 8, 16 or 32", "source depth is not 1, 2, 4, 8, 16 or 32" },
    { "destination extent is negative or too large", "source extent is negative or too large" },
    { "destination bits are smaller than its extent", "source bits are smaller than its extent" },
  };
  int k = which[0] == 'd' ? 0 : 1;
  if (f->depth != 1 && f->depth != 2 && f->depth != 4 && f->depth != 8 && f->depth != 16 && f->depth != 32)
    {
      *why = msgs[0][k];
      return false;
    }
  if (f->width < 0 || f->height < 0 || f->width > (1 << 24) || f->height > (1 << 24))
    {
      *why = msgs[1][k];
      return false;
    }
  int ppw = 32 / f->depth;
  uint64_t pitch = (uint64_t) (f->width + ppw - 1) / ppw;
  if (pitch * (uint64_t) f->height > f->n_words || (f->bits == NULL && pitch * f->height > 0))
    {
      *why = msgs[2][k];
      return false;
    }
  return true;
}

bool
st_bitblt_copy (StBitBlt *bb, const char **why)
{
  const char *dummy;
  if (why == NULL)
    why = &dummy;
  int rule = bb->rule;
  if (rule < 0 || rule > 41 || rule == 16 || rule == 17)
    {
      *why = "combination rule out of range";
      return false;
    }
  bool ignores = rule == 0 || rule == 5 || rule == 10 || rule == 15;
  bool no_src = bb->source.bits == NULL || ignores;
  bool no_ht = bb->halftone == NULL || bb->halftone_height == 0 || ignores;
  if (!form_ok (&bb->dest, "dest", why))
    return false;
  if (!no_src && !form_ok (&bb->source, "source", why))
    return false;
  if ((rule == 30 || rule == 31) && (bb->source_alpha < 0 || bb->source_alpha > 255))
    {
      *why = "source alpha out of range";
      return false;
    }

  Blt b = { .bb = bb };
  b.dd = bb->dest.depth;
  b.dppw = 32 / b.dd;
  b.sd = no_src ? b.dd : bb->source.depth;
  b.sppw = 32 / b.sd;
  if (!no_src && !setup_color_map (&b, why))
    return false;
  bb->bit_count = 0;
  bb->affected_l = bb->affected_r = bb->affected_t = bb->affected_b = 0;

  /* Clip the clip rectangle to the destination, then the rectangle. */
  int64_t dw = bb->dest.width, dh = bb->dest.height;
  int64_t cx = bb->clip_x, cy = bb->clip_y, cw = bb->clip_width, ch = bb->clip_height;
  if (cx < 0) { cw += cx; cx = 0; }
  if (cy < 0) { ch += cy; cy = 0; }
  if (cx + cw > dw) cw = dw - cx;
  if (cy + ch > dh) ch = dh - cy;
  int64_t sx, sy, dx, dy, bw, bh;
  if (bb->dest_x >= cx) { sx = bb->source_x; dx = bb->dest_x; bw = bb->width; }
  else { sx = bb->source_x + (cx - bb->dest_x); bw = bb->width - (cx - bb->dest_x); dx = cx; }
  if (dx + bw > cx + cw) bw -= (dx + bw) - (cx + cw);
  if (bb->dest_y >= cy) { sy = bb->source_y; dy = bb->dest_y; bh = bb->height; }
  else { sy = bb->source_y + (cy - bb->dest_y); bh = bb->height - (cy - bb->dest_y); dy = cy; }
  if (dy + bh > cy + ch) bh -= (dy + bh) - (cy + ch);
  if (!no_src)
    {
      if (sx < 0) { dx -= sx; bw += sx; sx = 0; }
      if (sx + bw > bb->source.width) bw -= (sx + bw) - bb->source.width;
      if (sy < 0) { dy -= sy; bh += sy; sy = 0; }
      if (sy + bh > bb->source.height) bh -= (sy + bh) - bb->source.height;
    }
  if (bw <= 0 || bh <= 0)
    return true;
  /* Belt and braces: the rectangle now lies inside both forms. */
  if (dx < 0 || dy < 0 || dx + bw > dw || dy + bh > dh)
    return true;

  gsize dpitch = (gsize) ((dw + b.dppw - 1) / b.dppw);
  gsize spitch = no_src ? 0 : (gsize) ((bb->source.width + b.sppw - 1) / b.sppw);
  const guint32 *src_rows = NULL;       /* row sy of the source */
  guint32 *copy = NULL;
  if (!no_src)
    {
      src_rows = bb->source.bits + (gsize) sy * spitch;
      if (bb->source.bits == bb->dest.bits)
        {
          copy = g_memdup2 (src_rows, (gsize) bh * spitch * sizeof (guint32));
          src_rows = copy;
        }
    }
  bool pixmap = !no_src && (b.sd != b.dd || b.flags != 0 || bb->source.msb != bb->dest.msb);
  bool dmsb = bb->dest.msb, smsb = bb->source.msb;
  guint32 dpm = pix_mask (b.dd), spm = pix_mask (b.sd);

  for (int64_t i = 0; i < bh; i++)
    {
      int64_t y = dy + i;
      guint32 ht = no_ht ? 0xFFFFFFFFu : bb->halftone[(gsize) y % bb->halftone_height];
      guint32 *drow = bb->dest.bits + (gsize) y * dpitch;
      const guint32 *srow = no_src ? NULL : src_rows + (gsize) i * spitch;
      int64_t x = dx, end = dx + bw;
      while (x < end)
        {
          int64_t w = x / b.dppw;
          int64_t wend = MIN ((w + 1) * b.dppw, end);
          guint32 mask = 0, sword = 0;
          for (int64_t px = x; px < wend; px++)
            {
              int pos = (int) (px % b.dppw);
              int sh = dmsb ? 32 - (pos + 1) * b.dd : pos * b.dd;
              mask |= dpm << sh;
              if (no_src)
                continue;
              int64_t spx = sx + (px - dx);
              int spos = (int) (spx % b.sppw);
              int ssh = smsb ? 32 - (spos + 1) * b.sd : spos * b.sd;
              guint32 sp = (srow[spx / b.sppw] >> ssh) & spm;
              if (pixmap)
                sp = map_pixel (&b, sp);
              sword |= (sp & dpm) << sh;
            }
          guint32 s = no_src ? ht : sword & ht;
          guint32 d = drow[w];
          b.dest_mask = mask;
          guint32 m = merge (&b, s, pixmap && mask != 0xFFFFFFFFu ? d & mask : d);
          drow[w] = (mask & m) | (d & ~mask);
          x = wend;
        }
    }
  g_free (copy);
  bb->affected_l = dx;
  bb->affected_r = dx + bw;
  bb->affected_t = dy;
  bb->affected_b = dy + bh;
  return true;
}

/* --- WarpBlt --- */

#define WARP_ONE 16384          /* 1.0 in the 14-bit fixed point of WarpBlt's corners */

/* The per-step increment that walks from a to b in n steps (Squeak's
 * deltaFrom:to:nSteps:, which rounds away from zero). */
static int64_t
warp_delta (int64_t a, int64_t b, int64_t n)
{
  if (b > a)
    return (b - a + WARP_ONE) / (n + 1) + 1;
  if (b == a)
    return 0;
  return -((a - b + WARP_ONE) / (n + 1) + 1);
}

/* The source pixel at fixed-point (x, y), 0 outside the source. */
static guint32
warp_pick (const StBitBlt *bb, int64_t x, int64_t y, gsize spitch)
{
  if (x < 0 || y < 0)
    return 0;
  int64_t px = x >> 14, py = y >> 14;
  if (px >= bb->source.width || py >= bb->source.height)
    return 0;
  int sd = bb->source.depth, sppw = 32 / sd;
  guint32 word = bb->source.bits[(gsize) py * spitch + (gsize) (px / sppw)];
  int pos = (int) (px % sppw);
  int sh = bb->source.msb ? 32 - (pos + 1) * sd : pos * sd;
  return (word >> sh) & pix_mask (sd);
}

/* n*n subpixels around (x, y) averaged as 32-bit ARGB (mapped through
 * source_map below 16 bits), then reduced by the colour map; rule 25
 * (paint) skips transparent subpixels and answers 0 when most are. */
static guint32
warp_smooth (Blt *b, int64_t x, int64_t y, int64_t xdh, int64_t ydh, int64_t xdv, int64_t ydv, int n,
             const guint32 *source_map, gsize spitch)
{
  StBitBlt *bb = b->bb;
  guint32 sum_a = 0, sum_r = 0, sum_g = 0, sum_b = 0;
  int count = 0;
  for (int j = 0; j < n; j++, x += xdv, y += ydv)
    {
      int64_t xx = x, yy = y;
      for (int k = 0; k < n; k++, xx += xdh, yy += ydh)
        {
          guint32 rgb = warp_pick (bb, xx, yy, spitch);
          if (bb->rule == 25 && rgb == 0)
            continue;
          count++;
          if (bb->source.depth < 16)
            rgb = source_map[rgb];
          else if (bb->source.depth == 16)
            rgb = rgb_map_16_to_32 (rgb);
          sum_b += rgb & 0xFF;
          sum_g += (rgb >> 8) & 0xFF;
          sum_r += (rgb >> 16) & 0xFF;
          sum_a += rgb >> 24;
        }
    }
  if (count == 0 || (bb->rule == 25 && count < (n * n) / 2))
    return 0;
  guint32 r = sum_r / (guint32) count, g = sum_g / (guint32) count, bl = sum_b / (guint32) count;
  guint32 a = sum_a / (guint32) count;
  guint32 rgb = (a << 24) | (r << 16) | (g << 8) | bl;
  if (rgb == 0 && r + g + bl + a > 0)
    rgb = 1;
  return map_pixel (b, rgb);
}

bool
st_bitblt_warp (StBitBlt *bb, const int64_t corners[8], int smoothing, const guint32 *source_map,
                gsize source_map_size, const char **why)
{
  const char *dummy;
  if (why == NULL)
    why = &dummy;
  int rule = bb->rule;
  if (rule < 0 || rule > 41 || rule == 16 || rule == 17)
    {
      *why = "combination rule out of range";
      return false;
    }
  if (smoothing < 1 || smoothing > 64)
    {
      *why = "smoothing out of range";
      return false;
    }
  bb->bit_count = 0;
  bb->affected_l = bb->affected_r = bb->affected_t = bb->affected_b = 0;
  if (!form_ok (&bb->dest, "dest", why))
    return false;
  if (bb->source.bits == NULL)
    return true;                /* no source: nothing to warp */
  if (!form_ok (&bb->source, "source", why))
    return false;
  if (smoothing > 1 && bb->source.depth < 16
      && (source_map == NULL || source_map_size < ((gsize) 1 << bb->source.depth)))
    {
      *why = "smoothing a source below 16 bits needs a source map of 2^depth entries";
      return false;
    }
  if ((rule == 30 || rule == 31) && (bb->source_alpha < 0 || bb->source_alpha > 255))
    {
      *why = "source alpha out of range";
      return false;
    }

  Blt b = { .bb = bb };
  b.dd = bb->dest.depth;
  b.dppw = 32 / b.dd;
  b.sd = bb->source.depth;
  b.sppw = 32 / b.sd;
  if (!setup_color_map (&b, why))
    return false;
  if (smoothing > 1 && !(b.flags & CM_NEW_STYLE))
    {
      /* Averaged pixels are 32-bit ARGB: reduce them from 8 bits per
       * component, not from the source's. */
      b.flags &= ~(guint) CM_FIXED;
      int sd = b.sd;
      b.sd = 32;
      setup_color_masks (&b);
      b.sd = sd;
    }

  /* Clip the clip rectangle to the destination, then the rectangle (the
   * source does not clip: it is sampled, 0 outside). */
  int64_t dw = bb->dest.width, dh = bb->dest.height;
  int64_t cx = bb->clip_x, cy = bb->clip_y, cw = bb->clip_width, ch = bb->clip_height;
  if (cx < 0) { cw += cx; cx = 0; }
  if (cy < 0) { ch += cy; cy = 0; }
  if (cx + cw > dw) cw = dw - cx;
  if (cy + ch > dh) ch = dh - cy;
  int64_t dx, dy, bw, bh;
  if (bb->dest_x >= cx) { dx = bb->dest_x; bw = bb->width; }
  else { bw = bb->width - (cx - bb->dest_x); dx = cx; }
  if (dx + bw > cx + cw) bw -= (dx + bw) - (cx + cw);
  if (bb->dest_y >= cy) { dy = bb->dest_y; bh = bb->height; }
  else { bh = bb->height - (cy - bb->dest_y); dy = cy; }
  if (dy + bh > cy + ch) bh -= (dy + bh) - (cy + ch);
  if (bw <= 0 || bh <= 0 || dx < 0 || dy < 0 || dx + bw > dw || dy + bh > dh)
    return true;

  /* The left edge walks from p1 to p2, the right edge from p4 to p3, one
   * step per destination row; each row walks from left to right. */
  int64_t vsteps = MAX (bb->height - 1, 1), hsteps = MAX (bb->width - 1, 1);
  int64_t pax = corners[0], pay = corners[1], pbx = corners[6], pby = corners[7];
  int64_t d12x = warp_delta (pax, corners[2], vsteps), d12y = warp_delta (pay, corners[3], vsteps);
  int64_t d43x = warp_delta (pbx, corners[4], vsteps), d43y = warp_delta (pby, corners[5], vsteps);
  if (d12x < 0) pax = corners[2] - vsteps * d12x;
  if (d12y < 0) pay = corners[3] - vsteps * d12y;
  if (d43x < 0) pbx = corners[4] - vsteps * d43x;
  if (d43y < 0) pby = corners[5] - vsteps * d43y;
  if (bb->dest_y < cy)
    {
      int64_t skip = cy - bb->dest_y;
      pax += skip * d12x, pay += skip * d12y, pbx += skip * d43x, pby += skip * d43y;
    }

  gsize dpitch = (gsize) ((dw + b.dppw - 1) / b.dppw);
  gsize spitch = (gsize) ((bb->source.width + b.sppw - 1) / b.sppw);
  bool no_ht = bb->halftone == NULL || bb->halftone_height == 0 || rule == 0 || rule == 5 || rule == 10
    || rule == 15;
  bool dmsb = bb->dest.msb;
  guint32 dpm = pix_mask (b.dd);
  int64_t xdh = 0, ydh = 0, xdv = d12x / smoothing, ydv = d12y / smoothing;

  for (int64_t i = 0; i < bh; i++)
    {
      int64_t y = dy + i;
      int64_t xd = warp_delta (pax, pbx, hsteps), yd = warp_delta (pay, pby, hsteps);
      int64_t sx = xd >= 0 ? pax : pbx - hsteps * xd;
      int64_t sy = yd >= 0 ? pay : pby - hsteps * yd;
      if (bb->dest_x < cx)
        {
          sx += (cx - bb->dest_x) * xd;
          sy += (cx - bb->dest_x) * yd;
        }
      if (smoothing > 1)
        xdh = xd / smoothing, ydh = yd / smoothing;
      guint32 ht = no_ht ? 0xFFFFFFFFu : bb->halftone[(gsize) y % bb->halftone_height];
      guint32 *drow = bb->dest.bits + (gsize) y * dpitch;
      int64_t x = dx, end = dx + bw;
      while (x < end)
        {
          int64_t w = x / b.dppw;
          int64_t wend = MIN ((w + 1) * b.dppw, end);
          guint32 mask = 0, sword = 0;
          for (int64_t px = x; px < wend; px++, sx += xd, sy += yd)
            {
              int pos = (int) (px % b.dppw);
              int sh = dmsb ? 32 - (pos + 1) * b.dd : pos * b.dd;
              mask |= dpm << sh;
              guint32 p = smoothing > 1
                ? warp_smooth (&b, sx, sy, xdh, ydh, xdv, ydv, smoothing, source_map, spitch)
                : map_pixel (&b, warp_pick (bb, sx, sy, spitch));
              sword |= (p & dpm) << sh;
            }
          guint32 d = drow[w];
          b.dest_mask = mask;
          guint32 m = merge (&b, sword & ht, d & mask);
          drow[w] = (mask & m) | (d & ~mask);
          x = wend;
        }
      pax += d12x, pay += d12y, pbx += d43x, pby += d43y;
    }
  bb->affected_l = dx;
  bb->affected_r = dx + bw;
  bb->affected_t = dy;
  bb->affected_b = dy + bh;
  return true;
}

/* --- the primitive --- */

enum {
  BB_DEST = 0, BB_SOURCE, BB_HALFTONE, BB_RULE, BB_DEST_X, BB_DEST_Y, BB_WIDTH, BB_HEIGHT,
  BB_SOURCE_X, BB_SOURCE_Y, BB_CLIP_X, BB_CLIP_Y, BB_CLIP_WIDTH, BB_CLIP_HEIGHT, BB_COLOR_MAP,
};

/* Word or byte storage of an object as 32-bit words. */
static bool
words_of (StVM *vm, StOop o, guint32 **bits, gsize *n)
{
  if (!st_interp_valid_obj (vm, o))
    return false;
  guint fmt = st_format (vm, o);
  if (fmt >= ST_FMT_WORDS32 && fmt < ST_FMT_SHORTS16)
    *n = (gsize) st_indexable_count (vm, o);
  else if (fmt >= ST_FMT_BYTES && fmt < ST_FMT_METHOD)
    *n = (gsize) (st_byte_length (vm, o) / 4);
  else
    return false;
  *bits = (guint32 *) st_bytes (vm, o);
  return true;
}

static bool
is_words (StVM *vm, StOop o)
{
  if (!st_interp_valid_obj (vm, o))
    return false;
  guint fmt = st_format (vm, o);
  return fmt >= ST_FMT_WORDS32 && fmt < ST_FMT_SHORTS16;
}

/* An integer field; nil gives the default; a Float is truncated. */
static bool
int_field (StInterp *it, StOop obj, guint i, int64_t dflt, bool nil_ok, int64_t *out)
{
  StOop v = st_fetch (it->vm, obj, i);
  if (v == it->nil && nil_ok)
    {
      *out = dflt;
      return true;
    }
  if (st_is_smallint (v))
    {
      *out = st_smallint_value (v);
      return *out >= -(G_GINT64_CONSTANT (1) << 40) && *out <= (G_GINT64_CONSTANT (1) << 40);
    }
  double d;
  if (st_interp_float_value (it, v, &d) && d >= -2.0e9 && d <= 2.0e9)
    {
      *out = (int64_t) d;
      return true;
    }
  return false;
}

static bool
load_form (StInterp *it, StOop form, StBltForm *f, bool float_ok)
{
  StVM *vm = it->vm;
  if (!st_interp_valid_obj (vm, form) || !st_fmt_is_pointers (st_format (vm, form))
      || st_num_slots (vm, form) < 4)
    return false;
  int64_t depth;
  if (!int_field (it, form, 1, 0, false, &f->width) || !int_field (it, form, 2, 0, false, &f->height)
      || !st_is_smallint (st_fetch (vm, form, 3)))
    return false;
  if (!float_ok && (!st_is_smallint (st_fetch (vm, form, 1)) || !st_is_smallint (st_fetch (vm, form, 2))))
    return false;
  depth = st_smallint_value (st_fetch (vm, form, 3));
  f->msb = depth > 0;
  f->depth = (int) (depth < 0 ? -depth : depth);
  return words_of (vm, st_fetch (vm, form, 0), &f->bits, &f->n_words);
}

static bool
load_shift_or_mask (StInterp *it, StOop o, guint32 out[4])
{
  if (!is_words (it->vm, o) || st_indexable_count (it->vm, o) != 4)
    return false;
  memcpy (out, st_bytes (it->vm, o), 4 * sizeof (guint32));
  return true;
}

/* The fields of a BitBlt object into *bb (the copy's arguments). */
static StPrimResult
load_bitblt (StInterp *it, StOop rcvr, StBitBlt *out)
{
  StVM *vm = it->vm;
  if (!st_interp_valid_obj (vm, rcvr) || !st_fmt_is_pointers (st_format (vm, rcvr))
      || st_num_slots (vm, rcvr) < BB_CLIP_HEIGHT + 1)
    return ST_PRIM_ERR_BAD_RECEIVER;
  StBitBlt bb = { 0 };
  int64_t rule;
  if (!st_is_smallint (st_fetch (vm, rcvr, BB_RULE)))
    return ST_PRIM_FAIL;
  rule = st_smallint_value (st_fetch (vm, rcvr, BB_RULE));
  if (rule < 0 || rule > 41 || rule == 16 || rule == 17)
    return ST_PRIM_FAIL;
  bb.rule = (int) rule;
  bool ignores = rule == 0 || rule == 5 || rule == 10 || rule == 15;
  if (!load_form (it, st_fetch (vm, rcvr, BB_DEST), &bb.dest, false))
    return ST_PRIM_FAIL;
  int64_t dw = bb.dest.width, dh = bb.dest.height;
  if (!int_field (it, rcvr, BB_DEST_X, 0, true, &bb.dest_x) || !int_field (it, rcvr, BB_DEST_Y, 0, true, &bb.dest_y)
      || !int_field (it, rcvr, BB_WIDTH, dw, true, &bb.width) || !int_field (it, rcvr, BB_HEIGHT, dh, true, &bb.height))
    return ST_PRIM_FAIL;
  StOop source = st_fetch (vm, rcvr, BB_SOURCE);
  if (source != it->nil && !ignores)
    {
      if (!load_form (it, source, &bb.source, true))
        return ST_PRIM_FAIL;
      StOop cm = st_num_slots (vm, rcvr) > BB_COLOR_MAP ? st_fetch (vm, rcvr, BB_COLOR_MAP) : it->nil;
      if (cm != it->nil)
        {
          bb.cmap_present = true;
          if (is_words (vm, cm))
            {
              bb.cmap = (guint32 *) st_bytes (vm, cm);
              bb.cmap_size = (gsize) st_indexable_count (vm, cm);
            }
          else
            {
              if (!st_interp_valid_obj (vm, cm) || !st_fmt_is_pointers (st_format (vm, cm)) || st_num_slots (vm, cm) < 3)
                return ST_PRIM_FAIL;
              bb.new_style = true;
              StOop sh = st_fetch (vm, cm, 0), mk = st_fetch (vm, cm, 1), colors = st_fetch (vm, cm, 2);
              if ((sh != it->nil && !load_shift_or_mask (it, sh, (guint32 *) bb.shifts))
                  || (mk != it->nil && !load_shift_or_mask (it, mk, bb.masks)))
                return ST_PRIM_FAIL;
              bb.has_shifts = sh != it->nil && mk != it->nil;
              if (colors != it->nil)
                {
                  if (!is_words (vm, colors))
                    return ST_PRIM_FAIL;
                  bb.cmap = (guint32 *) st_bytes (vm, colors);
                  bb.cmap_size = (gsize) st_indexable_count (vm, colors);
                }
            }
        }
      if (!int_field (it, rcvr, BB_SOURCE_X, 0, true, &bb.source_x)
          || !int_field (it, rcvr, BB_SOURCE_Y, 0, true, &bb.source_y))
        return ST_PRIM_FAIL;
    }
  StOop ht = st_fetch (vm, rcvr, BB_HALFTONE);
  if (ht != it->nil && !ignores)
    {
      if (st_interp_valid_obj (vm, ht) && st_fmt_is_pointers (st_format (vm, ht)) && st_num_slots (vm, ht) >= 4)
        {
          StOop hbits = st_fetch (vm, ht, 0), hh = st_fetch (vm, ht, 2);
          if (is_words (vm, hbits) && st_is_smallint (hh))
            {
              int64_t rows = st_smallint_value (hh);
              uint64_t n = st_indexable_count (vm, hbits);
              bb.halftone = (const guint32 *) st_bytes (vm, hbits);
              bb.halftone_height = rows < 0 ? 0 : (gsize) MIN ((uint64_t) rows, n);
            }
        }
      else if (is_words (vm, ht))
        {
          bb.halftone = (const guint32 *) st_bytes (vm, ht);
          bb.halftone_height = (gsize) st_indexable_count (vm, ht);
        }
      else
        return ST_PRIM_FAIL;
    }
  if (!int_field (it, rcvr, BB_CLIP_X, 0, true, &bb.clip_x) || !int_field (it, rcvr, BB_CLIP_Y, 0, true, &bb.clip_y)
      || !int_field (it, rcvr, BB_CLIP_WIDTH, dw, true, &bb.clip_width)
      || !int_field (it, rcvr, BB_CLIP_HEIGHT, dh, true, &bb.clip_height))
    return ST_PRIM_FAIL;
  *out = bb;
  return ST_PRIM_OK;
}

StPrimResult
st_prim_copy_bits (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StBitBlt bb;
  StPrimResult r = load_bitblt (it, st_stack_value (it, argc), &bb);
  if (r != ST_PRIM_OK)
    return r;
  int rule = bb.rule;
  if (rule == 41)
    {
      bb.ca_alpha = 255;
      bb.ca_color = 0xFFFFFF;
      if (argc >= 2)
        {
          StOop a = st_stack_value (it, argc - 2), c = st_stack_value (it, argc - 1);
          if (!st_is_smallint (a) || !st_is_smallint (c))
            return ST_PRIM_FAIL;
          bb.ca_alpha = (guint32) st_smallint_value (a);
          bb.ca_color = (guint32) st_smallint_value (c);
          if (argc == 4)
            {
              StOop g = st_stack_value (it, 1), u = st_stack_value (it, 0);
              if (st_interp_valid_obj (vm, g) && st_fmt_is_bytes (st_format (vm, g)) && st_byte_length (vm, g) >= 256)
                bb.gamma = st_bytes (vm, g);
              if (st_interp_valid_obj (vm, u) && st_fmt_is_bytes (st_format (vm, u)) && st_byte_length (vm, u) >= 256)
                bb.ungamma = st_bytes (vm, u);
            }
        }
      else if (argc == 1 && st_is_smallint (st_stack_value (it, 0)))
        bb.ca_color = (guint32) st_smallint_value (st_stack_value (it, 0));
      else
        return ST_PRIM_FAIL;
    }
  if (rule == 30 || rule == 31)
    {
      if (argc != 1 || !st_is_smallint (st_stack_value (it, 0)))
        return ST_PRIM_FAIL;
      int64_t a = st_smallint_value (st_stack_value (it, 0));
      if (a < 0 || a > 255)
        return ST_PRIM_FAIL;
      bb.source_alpha = (int) a;
    }

  const char *why = NULL;
  if (!st_bitblt_copy (&bb, &why))
    return ST_PRIM_FAIL;
  if (rule == 22 || rule == 32)
    {
      StOop n = st_interp_unsigned (it, bb.bit_count);
      if (n == 0)
        return ST_PRIM_ERR_NO_MEMORY;
      return st_prim_return (it, argc, n);
    }
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

/* Form>>pixelValueAt: x@y as two arguments (x, y): the raw pixel, 0 outside
 * the form.  Like the VM, only big-endian (positive depth) forms. */
static StPrimResult
prim_pixel_value_at (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 2)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop xo = st_stack_value (it, 1), yo = st_stack_value (it, 0);
  if (!st_is_smallint (xo) || !st_is_smallint (yo))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t x = st_smallint_value (xo), y = st_smallint_value (yo);
  if (x < 0 || y < 0)
    return st_prim_return (it, argc, st_smallint_oop (0));
  StOop rcvr = st_stack_value (it, argc);
  StBltForm f;
  if (!load_form (it, rcvr, &f, false))
    return ST_PRIM_FAIL;
  if (x >= f.width || y >= f.height)
    return st_prim_return (it, argc, st_smallint_oop (0));
  if (!f.msb || (f.depth != 1 && f.depth != 2 && f.depth != 4 && f.depth != 8 && f.depth != 16 && f.depth != 32))
    return ST_PRIM_FAIL;
  int ppw = 32 / f.depth;
  uint64_t stride = (uint64_t) (f.width + ppw - 1) / ppw;
  if (stride * (uint64_t) f.height != f.n_words)
    return ST_PRIM_FAIL;
  guint32 word = f.bits[(uint64_t) y * stride + (uint64_t) x / ppw];
  int sh = 32 - ((int) (x % ppw) + 1) * f.depth;
  StOop v = st_interp_unsigned (it, (word >> sh) & pix_mask (f.depth));
  if (v == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, v);
}

/* BitBlt>>primDisplayString: aString from: start to: stop map: glyphMap
 * xTable: xTable kern: kernDelta -- one copy per character, the glyph's
 * columns of the source form (the font strike) at destX, which advances by
 * the glyph's width plus the kern; destX is stored back. */
static StPrimResult
prim_display_string (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 6)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop kern = st_stack_value (it, 0), xtable = st_stack_value (it, 1), map = st_stack_value (it, 2);
  StOop stop = st_stack_value (it, 3), start = st_stack_value (it, 4), str = st_stack_value (it, 5);
  StOop rcvr = st_stack_value (it, 6);
  if (!st_is_smallint (kern) || !st_is_smallint (stop) || !st_is_smallint (start))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  if (!st_interp_valid_obj (vm, xtable) || st_class_index (vm, xtable) != it->ci_array
      || !st_interp_valid_obj (vm, map) || st_class_index (vm, map) != it->ci_array
      || st_num_slots (vm, map) != 256)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  if (!st_interp_valid_obj (vm, str) || !st_fmt_is_bytes (st_format (vm, str)) || st_fmt_is_method (st_format (vm, str)))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t first = st_smallint_value (start), last = st_smallint_value (stop);
  int64_t max_glyph = (int64_t) st_num_slots (vm, xtable) - 2;
  if (first <= 0 || last <= 0 || (uint64_t) last > st_byte_length (vm, str))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  StBitBlt bb;
  StPrimResult r = load_bitblt (it, rcvr, &bb);
  if (r != ST_PRIM_OK)
    return r;
  if (bb.rule == 30 || bb.rule == 31 || bb.rule == 41)
    return ST_PRIM_FAIL;
  const guint8 *chars = st_bytes (vm, str);
  int64_t kd = st_smallint_value (kern);
  for (int64_t i = first; i <= last; i++)
    {
      StOop g = st_fetch (vm, map, chars[i - 1]);
      if (!st_is_smallint (g) || st_smallint_value (g) < 0 || st_smallint_value (g) > max_glyph)
        return ST_PRIM_FAIL;
      int64_t gi = st_smallint_value (g);
      StOop x0 = st_fetch (vm, xtable, (uint64_t) gi), x1 = st_fetch (vm, xtable, (uint64_t) gi + 1);
      if (!st_is_smallint (x0) || !st_is_smallint (x1))
        return ST_PRIM_FAIL;
      bb.source_x = st_smallint_value (x0);
      bb.width = st_smallint_value (x1) - bb.source_x;
      if (!st_bitblt_copy (&bb, NULL))
        return ST_PRIM_FAIL;
      bb.dest_x += bb.width + kd;
      if (bb.dest_x < -(G_GINT64_CONSTANT (1) << 40) || bb.dest_x > (G_GINT64_CONSTANT (1) << 40))
        return ST_PRIM_FAIL;
    }
  st_store (vm, rcvr, BB_DEST_X, st_smallint_oop (bb.dest_x));
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

/* WarpBlt>>warpBits (no arguments: smoothing 1) and
 * warpBitsSmoothing: n sourceMap: aBitmapOrNil: the BitBlt fields, then
 * the four corners p1..p4 of the source quadrilateral (x, y and an unused
 * z each, 14-bit fixed point, Integers or Floats) in slots 15..26. */
enum { BB_WARP_BASE = 15 };

static StPrimResult
prim_warp_bits (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 0 && argc != 2)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop rcvr = st_stack_value (it, argc);
  StBitBlt bb;
  StPrimResult r = load_bitblt (it, rcvr, &bb);
  if (r != ST_PRIM_OK)
    return r;
  if (st_num_slots (vm, rcvr) < BB_WARP_BASE + 12)
    return ST_PRIM_ERR_BAD_RECEIVER;
  static const guint corner_slot[8] = { 0, 1, 3, 4, 6, 7, 9, 10 };
  int64_t corners[8];
  for (int i = 0; i < 8; i++)
    if (!int_field (it, rcvr, BB_WARP_BASE + corner_slot[i], 0, false, &corners[i]))
      return ST_PRIM_FAIL;
  int smoothing = 1;
  const guint32 *map = NULL;
  gsize map_size = 0;
  if (argc == 2)
    {
      StOop n = st_stack_value (it, 1), m = st_stack_value (it, 0);
      if (!st_is_smallint (n) || st_smallint_value (n) < 1 || st_smallint_value (n) > 64)
        return ST_PRIM_ERR_BAD_ARGUMENT;
      smoothing = (int) st_smallint_value (n);
      if (m != it->nil)
        {
          if (!is_words (vm, m))
            return ST_PRIM_ERR_BAD_ARGUMENT;
          map = (const guint32 *) st_bytes (vm, m);
          map_size = (gsize) st_indexable_count (vm, m);
        }
    }
  if (bb.rule == 30 || bb.rule == 31 || bb.rule == 41)
    return ST_PRIM_FAIL;        /* their extra arguments are not warpBits' */
  if (!st_bitblt_warp (&bb, corners, smoothing, map, map_size, NULL))
    return ST_PRIM_FAIL;
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

const StNamedPrim st_plugin_bitblt[] = {
  { "primitiveDisplayString", prim_display_string },
  { "primitiveWarpBits", prim_warp_bits },
  { "primitiveCopyBits", st_prim_copy_bits },
  { "primitivePixelValueAt", prim_pixel_value_at },
  { NULL, NULL },
};
