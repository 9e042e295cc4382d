/* SPDX-License-Identifier: GPL-3.0-or-later */
/* BitBlt on synthetic forms: every combination rule at every depth, with
 * and without source and halftone, clipping, overlapping copies, colour
 * maps and depth conversion.  Expected pixels are computed here pixel by
 * pixel from the rule's definition, not by the word-level engine code. */
#include "config.h"

#include <string.h>

#include "plugins/bitblt.h"

#include <glib.h>

typedef struct {
  guint32 *bits;
  int w, h, depth;
  bool msb;
  int pitch;       /* words per row */
} Form;

static Form
form_new (int w, int h, int depth, bool msb)
{
  Form f = { NULL, w, h, depth, msb, 0 };
  int ppw = 32 / depth;
  f.pitch = (w + ppw - 1) / ppw;
  f.bits = g_new0 (guint32, (gsize) f.pitch * h + 1);
  return f;
}

static guint32
pmask (int depth)
{
  return depth == 32 ? 0xFFFFFFFFu : (1u << depth) - 1;
}

static guint32
get_px (const Form *f, int x, int y)
{
  int ppw = 32 / f->depth, pos = x % ppw;
  int sh = f->msb ? 32 - (pos + 1) * f->depth : pos * f->depth;
  return (f->bits[y * f->pitch + x / ppw] >> sh) & pmask (f->depth);
}

static void
set_px (Form *f, int x, int y, guint32 v)
{
  int ppw = 32 / f->depth, pos = x % ppw;
  int sh = f->msb ? 32 - (pos + 1) * f->depth : pos * f->depth;
  guint32 *w = &f->bits[y * f->pitch + x / ppw];
  *w = (*w & ~(pmask (f->depth) << sh)) | ((v & pmask (f->depth)) << sh);
}

static void
form_random (Form *f, GRand *r)
{
  for (int i = 0; i < f->pitch * f->h; i++)
    f->bits[i] = g_rand_int (r);
}

static Form
form_copy (const Form *f)
{
  Form c = *f;
  c.bits = g_memdup2 (f->bits, sizeof (guint32) * ((gsize) f->pitch * f->h + 1));
  return c;
}

static StBltForm
blt_form (const Form *f)
{
  StBltForm b = { f->bits, (gsize) f->pitch * f->h, f->w, f->h, f->depth, f->msb };
  return b;
}

static void
bb_init (StBitBlt *bb, const Form *dest, const Form *src, int rule)
{
  memset (bb, 0, sizeof *bb);
  bb->dest = blt_form (dest);
  if (src != NULL)
    bb->source = blt_form (src);
  bb->rule = rule;
  bb->width = bb->clip_width = dest->w;
  bb->height = bb->clip_height = dest->h;
}

/* Components of a pixel: 3 of 5 bits at depth 16, 4 of 8 bits at 32, else
 * the pixel itself as one component of `depth` bits. */
static int
ncomp (int depth)
{
  return depth == 16 ? 3 : depth == 32 ? 4 : 1;
}

static int
cbits (int depth)
{
  return depth == 16 ? 5 : depth == 32 ? 8 : depth;
}

static guint32
comp (guint32 p, int depth, int i)
{
  return (p >> (i * cbits (depth))) & pmask (cbits (depth));
}

/* Per-component operation by rule (rules 20, 21, 27, 28, 29, 37). */
static guint32
per_comp (int rule, int depth, guint32 s, guint32 d)
{
  guint32 out = 0, max = pmask (cbits (depth));
  if (rule == 29)
    s = ~s;
  for (int i = 0; i < ncomp (depth); i++)
    {
      guint32 a = comp (s, depth, i), b = comp (d, depth, i), r = 0;
      switch (rule)
        {
        case 20: r = MIN (a + b, max); break;
        case 21: r = a > b ? a - b : b - a; break;
        case 27: r = MAX (a, b); break;
        case 28: case 29: r = MIN (a, b); break;
        case 37: r = (guint32) ((((guint64) a + 1) * (b + 1) - 1) >> cbits (depth)); break;
        }
      out |= r << (i * cbits (depth));
    }
  return out;
}

/* The expected pixel for a pixel-local rule; false when the rule is not
 * pixel-local at this depth (tested separately). */
static bool
expect_px (int rule, int depth, guint32 s, guint32 d, guint32 *out)
{
  guint32 m = pmask (depth);
  guint32 r;
  switch (rule)
    {
    case 0: r = 0; break;
    case 1: r = s & d; break;
    case 2: r = s & ~d; break;
    case 3: r = s; break;
    case 4: r = ~s & d; break;
    case 5: case 15: r = d; break;
    case 6: r = s ^ d; break;
    case 7: r = s | d; break;
    case 8: r = ~s & ~d; break;
    case 9: r = ~s ^ d; break;
    case 10: r = ~d; break;
    case 11: r = s | ~d; break;
    case 12: r = ~s; break;
    case 13: r = ~s | d; break;
    case 14: r = ~s | ~d; break;
    case 18: case 19:
      if (depth != 32)
        return false;
      r = rule == 18 ? s + d : s - d;
      break;
    case 20: case 21: case 27: case 28: case 29: r = per_comp (rule, depth, s, d); break;
    case 37:
      if (depth < 8)
        return false;
      r = per_comp (rule, depth, s, d);
      break;
    case 22: case 23: case 32: case 33: r = d; break;   /* counting rules leave dest alone */
    case 25: r = s == 0 ? d : s; break;
    case 26: r = s == 0 ? d : 0; break;
    case 38: return false;
    case 39: r = s == d ? 0 : d; break;
    case 40:
      if (depth != 32)
        r = d;
      else
        r = (d == 0 || (d >> 24) != 0) ? d : d | (s & 0xFF000000u);
      break;
    default:
      return false;
    }
  *out = r & m;
  return true;
}

/* One blit of rule at depth from a random source into a random dest,
 * crossing word boundaries, checked pixel by pixel. */
static void
check_rule_depth (int rule, int depth, bool with_source, bool halftone, GRand *rng)
{
  Form d = form_new (45, 6, depth, true), s = form_new (40, 5, depth, true);
  form_random (&d, rng);
  form_random (&s, rng);
  /* make some source pixels zero and some equal to dest (rules 25, 26, 39) */
  for (int y = 0; y < s.h; y++)
    for (int x = 0; x < s.w; x += 3)
      set_px (&s, x, y, (x / 3) % 2 ? 0 : get_px (&d, x + 3 - 2, y + 1));
  Form before = form_copy (&d);
  guint32 ht[3] = { g_rand_int (rng), g_rand_int (rng), 0xFFFFFFFFu };
  StBitBlt bb;
  bb_init (&bb, &d, with_source ? &s : NULL, rule);
  bb.dest_x = 3; bb.dest_y = 1; bb.width = 33; bb.height = 4;
  bb.source_x = 2; bb.source_y = 0;
  if (halftone)
    {
      bb.halftone = ht;
      bb.halftone_height = 3;
    }
  const char *why = NULL;
  g_assert_true (st_bitblt_copy (&bb, &why));
  bool ignores = rule == 0 || rule == 5 || rule == 10 || rule == 15;
  for (int y = 0; y < d.h; y++)
    for (int x = 0; x < d.w; x++)
      {
        guint32 dv = get_px (&before, x, y), got = get_px (&d, x, y), want;
        bool inside = x >= 3 && x < 36 && y >= 1 && y < 5;
        if (!inside)
          {
            if (got != dv)
              g_error ("rule %d depth %d: pixel %d@%d outside the rectangle changed", rule, depth, x, y);
            continue;
          }
        guint32 sv = with_source && !ignores ? get_px (&s, x - 3 + 2, y - 1) : pmask (depth);
        if (halftone && !ignores)
          {
            /* the halftone word of row y, at this pixel's place in its word */
            int ppw = 32 / depth, pos = x % ppw;
            guint32 hw = ht[y % 3];
            sv &= (hw >> (32 - (pos + 1) * depth)) & pmask (depth);
          }
        if (!expect_px (rule, depth, sv, dv, &want))
          return;
        if (got != want)
          g_error ("rule %d depth %d%s%s: pixel %d@%d is %08x, expected %08x (s %08x d %08x)", rule, depth,
                   with_source ? " source" : "", halftone ? " halftone" : "", x, y, got, want, sv, dv);
      }
  g_free (d.bits);
  g_free (s.bits);
  g_free (before.bits);
}

static const int depths[] = { 1, 2, 4, 8, 16, 32 };

static void
test_all_rules (void)
{
  GRand *rng = g_rand_new_with_seed (7);
  int checked = 0;
  for (int rule = 0; rule <= 41; rule++)
    {
      if (rule == 16 || rule == 17 || rule == 30 || rule == 31)
        continue;
      for (gsize k = 0; k < G_N_ELEMENTS (depths); k++)
        for (int v = 0; v < 3; v++)
          {
            check_rule_depth (rule, depths[k], v != 1, v >= 1, rng);
            checked++;
          }
    }
  g_assert_cmpint (checked, ==, 38 * 6 * 3);
  g_rand_free (rng);
}

static void
test_rules_16_17_refused (void)
{
  Form d = form_new (8, 8, 8, true);
  StBitBlt bb;
  const char *why = NULL;
  for (int rule = 16; rule <= 17; rule++)
    {
      bb_init (&bb, &d, NULL, rule);
      g_assert_false (st_bitblt_copy (&bb, &why));
      g_assert_nonnull (why);
    }
  bb_init (&bb, &d, NULL, 42);
  g_assert_false (st_bitblt_copy (&bb, &why));
  g_free (d.bits);
}

/* Whole words (aligned rectangle): rules 18, 19 and 38 at every depth. */
static void
test_word_rules (void)
{
  GRand *rng = g_rand_new_with_seed (11);
  for (gsize k = 0; k < G_N_ELEMENTS (depths); k++)
    {
      int depth = depths[k], ppw = 32 / depth;
      static const int rules[] = { 18, 19, 38 };
      for (gsize r = 0; r < G_N_ELEMENTS (rules); r++)
        {
          int rule = rules[r];
          Form d = form_new (ppw * 4, 3, depth, true), s = form_new (ppw * 4, 3, depth, true);
          form_random (&d, rng);
          form_random (&s, rng);
          Form before = form_copy (&d);
          StBitBlt bb;
          bb_init (&bb, &d, &s, rule);
          bb.dest_x = ppw; bb.width = ppw * 2; bb.height = 3; bb.source_x = ppw * 2;
          g_assert_true (st_bitblt_copy (&bb, NULL));
          for (int y = 0; y < 3; y++)
            for (int w = 0; w < 4; w++)
              {
                guint32 dv = before.bits[y * 4 + w], want = dv;
                if (w == 1 || w == 2)
                  {
                    guint32 sv = s.bits[y * 4 + w + 1];
                    if (rule == 18)
                      want = sv + dv;
                    else if (rule == 19)
                      want = sv - dv;
                    else
                      {
                        want = 0;   /* pixels of the dest word in reverse order */
                        for (int p = 0; p < ppw; p++)
                          want |= ((dv >> (p * depth)) & pmask (depth)) << ((ppw - 1 - p) * depth);
                      }
                  }
                g_assert_cmphex (d.bits[y * 4 + w], ==, want);
              }
          g_free (d.bits);
          g_free (s.bits);
          g_free (before.bits);
        }
    }
  g_rand_free (rng);
}

static double
blend_exact (guint32 s, guint32 d, guint32 a)
{
  return (s * (double) a + d * (double) (255 - a)) / 255.0;
}

/* Alpha rules at 32 bits (24, 30, 31, 34, 41) and 16 bits (30, 31). */
static void
test_alpha_rules (void)
{
  GRand *rng = g_rand_new_with_seed (5);
  for (int rule = 24; rule <= 41; rule++)
    {
      if (rule != 24 && rule != 30 && rule != 31 && rule != 34 && rule != 35 && rule != 36 && rule != 41)
        continue;
      for (int depth = 16; depth <= 32; depth += 16)
        {
          if (depth == 16 && rule != 30 && rule != 31)
            continue;
          Form d = form_new (9, 4, depth, true), s = form_new (9, 4, depth, true);
          form_random (&d, rng);
          form_random (&s, rng);
          set_px (&s, 0, 0, 0);
          set_px (&s, 1, 0, 0xFF123456u & pmask (depth));
          set_px (&s, 2, 0, 0x00ABCDEFu & pmask (depth));
          Form before = form_copy (&d);
          StBitBlt bb;
          bb_init (&bb, &d, &s, rule);
          bb.width = 9; bb.height = 4;
          bb.source_alpha = 100;
          bb.ca_color = 0x00FF8040;
          bb.ca_alpha = 255;
          g_assert_true (st_bitblt_copy (&bb, NULL));
          for (int y = 0; y < 4; y++)
            for (int x = 0; x < 9; x++)
              {
                guint32 sv = get_px (&s, x, y), dv = get_px (&before, x, y), got = get_px (&d, x, y);
                for (int c = 0; c < ncomp (depth); c++)
                  {
                    guint32 sc = comp (sv, depth, c), dc = comp (dv, depth, c), gc = comp (got, depth, c);
                    double want;
                    guint32 a = sv >> 24;
                    if (rule == 24)
                      want = a == 0 ? dc : a == 255 ? sc : blend_exact (c == 3 ? 255 : sc, dc, a);
                    else if (rule == 30 || (rule == 31 && sv != 0))
                      want = blend_exact (sc, dc, 100);
                    else if (rule == 31)
                      want = dc;
                    else if (rule == 41)
                      {
                        guint32 ac = comp (sv, 32, c);
                        if (sv == 0)
                          want = dc;
                        else if (c == 3)
                          want = MIN (255, ((dc * (255 - ac)) >> 8) + ac);
                        else
                          want = MIN (255, ((dc * (255 - ac)) >> 8) + ((comp (0x00FF8040, 32, c) * ac) >> 8));
                      }
                    else
                      want = MIN (255, ((dc * (255 - a)) >> 8) + sc);
                    bool exact = rule == 34 || rule == 35 || rule == 36 || rule == 41 || want == dc || want == sc;
                    double tol = exact ? 0.0 : 1.0;
                    if (gc < want - tol || gc > want + tol)
                      g_error ("rule %d depth %d pixel %d@%d component %d: %u, expected %.2f (s %08x d %08x)",
                               rule, depth, x, y, c, gc, want, sv, dv);
                  }
                if (depth == 16 && rule == 30)
                  g_assert_cmpuint (got & 0x8000, ==, 0);
              }
          g_free (d.bits);
          g_free (s.bits);
          g_free (before.bits);
        }
    }
  g_rand_free (rng);
}

/* Rules 22/32 (difference counts) and 23/33 (tally into the colour map). */
static void
test_counting_rules (void)
{
  GRand *rng = g_rand_new_with_seed (3);
  for (gsize k = 0; k < G_N_ELEMENTS (depths); k++)
    {
      int depth = depths[k];
      Form d = form_new (37, 3, depth, true), s = form_new (37, 3, depth, true);
      form_random (&d, rng);
      form_random (&s, rng);
      for (int x = 0; x < 37; x += 2)
        set_px (&s, x, 1, get_px (&d, x, 1));
      StBitBlt bb;
      bb_init (&bb, &d, &s, 32);
      bb.dest_x = 5; bb.source_x = 5; bb.width = 29; bb.height = 3;
      g_assert_true (st_bitblt_copy (&bb, NULL));
      uint64_t want = 0;
      for (int y = 0; y < 3; y++)
        for (int x = 5; x < 34; x++)
          {
            guint32 sv = get_px (&s, x, y), dv = get_px (&d, x, y);
            if (depth < 16)
              want += sv != dv;
            else
              for (int c = 0; c < 3; c++)
                {
                  int a = comp (sv, depth, c), b = comp (dv, depth, c);
                  want += a > b ? a - b : b - a;
                }
          }
      g_assert_cmpuint (bb.bit_count, ==, want);

      /* tally: the map counts every dest pixel value (indexed depths) */
      if (depth <= 8)
        {
          guint32 *map = g_new0 (guint32, 1u << depth);
          bb_init (&bb, &d, &d, 33);
          bb.cmap_present = true;
          bb.cmap = map;
          bb.cmap_size = 1u << depth;
          bb.dest_x = 5; bb.source_x = 5; bb.width = 29; bb.height = 3;
          g_assert_true (st_bitblt_copy (&bb, NULL));
          guint32 *counts = g_new0 (guint32, 1u << depth);
          for (int y = 0; y < 3; y++)
            for (int x = 5; x < 34; x++)
              counts[get_px (&d, x, y)]++;
          for (guint i = 0; i < (1u << depth); i++)
            g_assert_cmpuint (map[i], ==, counts[i]);
          g_free (map);
          g_free (counts);
        }
      g_free (d.bits);
      g_free (s.bits);
    }
  g_rand_free (rng);
}

/* Clipping by the clip rectangle, the dest and the source bounds. */
static void
test_clipping (void)
{
  Form d = form_new (20, 10, 8, true), s = form_new (6, 6, 8, true);
  for (int y = 0; y < 6; y++)
    for (int x = 0; x < 6; x++)
      set_px (&s, x, y, (guint32) (1 + y * 6 + x));
  StBitBlt bb;
  bb_init (&bb, &d, &s, 3);
  bb.dest_x = -2; bb.dest_y = 7; bb.width = 10; bb.height = 10;
  bb.source_x = 0; bb.source_y = 0;
  bb.clip_x = -5; bb.clip_y = 0; bb.clip_width = 100; bb.clip_height = 100;
  g_assert_true (st_bitblt_copy (&bb, NULL));
  for (int y = 0; y < 10; y++)
    for (int x = 0; x < 20; x++)
      {
        /* source pixel (x+2, y-7) where both exist */
        int sx = x + 2, sy = y - 7;
        guint32 want = (sx < 6 && sy >= 0 && sy < 6) ? (guint32) (1 + sy * 6 + sx) : 0;
        g_assert_cmpuint (get_px (&d, x, y), ==, want);
      }
  g_assert_cmpint (bb.affected_l, ==, 0);
  g_assert_cmpint (bb.affected_r, ==, 4);
  g_assert_cmpint (bb.affected_t, ==, 7);
  g_assert_cmpint (bb.affected_b, ==, 10);

  /* a clip rectangle inside: only its pixels change */
  memset (d.bits, 0, sizeof (guint32) * d.pitch * d.h);
  bb_init (&bb, &d, NULL, 3);
  bb.clip_x = 3; bb.clip_y = 2; bb.clip_width = 5; bb.clip_height = 4;
  guint32 fill = 0x2A2A2A2A;
  bb.halftone = &fill;
  bb.halftone_height = 1;
  g_assert_true (st_bitblt_copy (&bb, NULL));
  for (int y = 0; y < 10; y++)
    for (int x = 0; x < 20; x++)
      g_assert_cmpuint (get_px (&d, x, y), ==, (x >= 3 && x < 8 && y >= 2 && y < 6) ? 0x2A : 0);

  /* entirely outside: nothing happens, and it is not an error */
  bb.clip_x = 30;
  g_assert_true (st_bitblt_copy (&bb, NULL));
  g_free (d.bits);
  g_free (s.bits);
}

/* Source and dest the same form, the rectangles overlapping in every
 * direction: the result is as if the source were read first. */
static void
test_overlap (void)
{
  GRand *rng = g_rand_new_with_seed (9);
  static const int moves[][2] = { { 5, 1 }, { -5, -1 }, { 3, 0 }, { -3, 0 }, { 0, 2 }, { 0, -2 }, { 1, -1 } };
  for (gsize k = 0; k < G_N_ELEMENTS (depths); k++)
    for (gsize m = 0; m < G_N_ELEMENTS (moves); m++)
      {
        Form f = form_new (40, 8, depths[k], true);
        form_random (&f, rng);
        Form before = form_copy (&f);
        StBitBlt bb;
        bb_init (&bb, &f, &f, 3);
        bb.source_x = 8; bb.source_y = 3; bb.width = 20; bb.height = 3;
        bb.dest_x = 8 + moves[m][0]; bb.dest_y = 3 + moves[m][1];
        g_assert_true (st_bitblt_copy (&bb, NULL));
        for (int y = 0; y < 8; y++)
          for (int x = 0; x < 40; x++)
            {
              int sx = x - moves[m][0], sy = y - moves[m][1];
              bool inside = x >= bb.dest_x && x < bb.dest_x + 20 && y >= bb.dest_y && y < bb.dest_y + 3;
              guint32 want = inside ? get_px (&before, sx, sy) : get_px (&before, x, y);
              g_assert_cmpuint (get_px (&f, x, y), ==, want);
            }
        g_free (f.bits);
        g_free (before.bits);
      }
  g_rand_free (rng);
}

/* Depth conversion and colour maps. */
static void
test_color_maps (void)
{
  GRand *rng = g_rand_new_with_seed (1);
  /* 1 -> 8 through a 2-entry map; source lsb-first, dest msb */
  Form s1 = form_new (33, 2, 1, false), d8 = form_new (33, 2, 8, true);
  form_random (&s1, rng);
  guint32 map2[2] = { 0x11, 0xEE };
  StBitBlt bb;
  bb_init (&bb, &d8, &s1, 3);
  bb.cmap_present = true; bb.cmap = map2; bb.cmap_size = 2;
  g_assert_true (st_bitblt_copy (&bb, NULL));
  for (int y = 0; y < 2; y++)
    for (int x = 0; x < 33; x++)
      g_assert_cmpuint (get_px (&d8, x, y), ==, map2[get_px (&s1, x, y)]);

  /* 16 -> 32 without a map: components widened by 3 bits */
  Form s16 = form_new (7, 3, 16, true), d32 = form_new (7, 3, 32, true);
  form_random (&s16, rng);
  bb_init (&bb, &d32, &s16, 3);
  g_assert_true (st_bitblt_copy (&bb, NULL));
  for (int y = 0; y < 3; y++)
    for (int x = 0; x < 7; x++)
      {
        guint32 p = get_px (&s16, x, y), want = 0;
        for (int c = 0; c < 3; c++)
          want |= (comp (p, 16, c) << 3) << (8 * c);
        g_assert_cmphex (get_px (&d32, x, y), ==, want);
      }

  /* 32 -> 16 without a map: components cut to 5 bits; a non-zero pixel
   * that would become 0 (transparent) becomes 1 */
  Form s32 = form_new (5, 2, 32, true), d16 = form_new (5, 2, 16, false);
  form_random (&s32, rng);
  set_px (&s32, 0, 0, 0x00070707);
  set_px (&s32, 1, 0, 0);
  bb_init (&bb, &d16, &s32, 3);
  g_assert_true (st_bitblt_copy (&bb, NULL));
  for (int y = 0; y < 2; y++)
    for (int x = 0; x < 5; x++)
      {
        guint32 p = get_px (&s32, x, y), want = 0;
        for (int c = 0; c < 3; c++)
          want |= (comp (p, 32, c) >> 3) << (5 * c);
        if (want == 0 && (p & 0xFFFFFF) != 0)
          want = 1;
        if (want == 0 && p != 0)
          want = 1;
        g_assert_cmphex (get_px (&d16, x, y), ==, want);
      }
  g_assert_cmphex (get_px (&d16, 0, 0), ==, 1);

  /* 32 -> 8 through a 4096-entry (4 bits a component) map */
  guint32 *map = g_new (guint32, 4096);
  for (int i = 0; i < 4096; i++)
    map[i] = (guint32) (i * 7) & 0xFF;
  Form e8 = form_new (5, 2, 8, true);
  bb_init (&bb, &e8, &s32, 3);
  bb.cmap_present = true; bb.cmap = map; bb.cmap_size = 4096;
  g_assert_true (st_bitblt_copy (&bb, NULL));
  for (int y = 0; y < 2; y++)
    for (int x = 0; x < 5; x++)
      {
        guint32 p = get_px (&s32, x, y), idx = 0;
        for (int c = 0; c < 3; c++)
          idx |= (comp (p, 32, c) >> 4) << (4 * c);
        if (idx == 0 && p != 0)
          idx = 1;
        g_assert_cmpuint (get_px (&e8, x, y), ==, map[idx]);
      }

  /* a new-style map with explicit shifts and masks: swap red and blue */
  Form f32 = form_new (4, 1, 32, true);
  bb_init (&bb, &f32, &s32, 3);
  bb.cmap_present = true; bb.new_style = true; bb.has_shifts = true;
  bb.shifts[0] = -16; bb.shifts[1] = 0; bb.shifts[2] = 16; bb.shifts[3] = 0;
  bb.masks[0] = 0xFF0000; bb.masks[1] = 0xFF00; bb.masks[2] = 0xFF; bb.masks[3] = 0xFF000000u;
  g_assert_true (st_bitblt_copy (&bb, NULL));
  for (int x = 0; x < 4; x++)
    {
      guint32 p = get_px (&s32, x, 0);
      guint32 want = ((p >> 16) & 0xFF) | (p & 0xFF00FF00u) | ((p & 0xFF) << 16);
      if (want == 0 && p != 0)
        want = 1;
      g_assert_cmphex (get_px (&f32, x, 0), ==, want);
    }

  /* a colour map whose size is not a power of two is refused */
  bb_init (&bb, &d8, &s1, 3);
  bb.cmap_present = true; bb.cmap = map; bb.cmap_size = 3;
  g_assert_false (st_bitblt_copy (&bb, NULL));

  g_free (map);
  g_free (s1.bits); g_free (d8.bits); g_free (s16.bits); g_free (d32.bits);
  g_free (s32.bits); g_free (d16.bits); g_free (e8.bits); g_free (f32.bits);
  g_rand_free (rng);
}

/* Bits smaller than the form's extent, or a bad depth: refused, nothing written. */
static void
test_bad_forms (void)
{
  Form d = form_new (32, 4, 8, true);
  StBitBlt bb;
  bb_init (&bb, &d, NULL, 3);
  bb.dest.n_words = 10;   /* 32 pixels x 4 rows at 8 bits need 32 words */
  g_assert_false (st_bitblt_copy (&bb, NULL));
  bb_init (&bb, &d, NULL, 3);
  bb.dest.depth = 3;
  g_assert_false (st_bitblt_copy (&bb, NULL));
  bb_init (&bb, &d, NULL, 3);
  bb.dest.width = -1;
  g_assert_false (st_bitblt_copy (&bb, NULL));
  for (int i = 0; i < d.pitch * d.h; i++)
    g_assert_cmphex (d.bits[i], ==, 0);
  g_free (d.bits);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/bitblt/all-rules", test_all_rules);
  g_test_add_func ("/engine/bitblt/rules-refused", test_rules_16_17_refused);
  g_test_add_func ("/engine/bitblt/word-rules", test_word_rules);
  g_test_add_func ("/engine/bitblt/alpha-rules", test_alpha_rules);
  g_test_add_func ("/engine/bitblt/counting-rules", test_counting_rules);
  g_test_add_func ("/engine/bitblt/clipping", test_clipping);
  g_test_add_func ("/engine/bitblt/overlap", test_overlap);
  g_test_add_func ("/engine/bitblt/color-maps", test_color_maps);
  g_test_add_func ("/engine/bitblt/bad-forms", test_bad_forms);
  return g_test_run ();
}
