/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bitblt.h: BitBlt (primitive 96, BitBltPlugin>>primitiveCopyBits).
 *
 * The core works on plain 32-bit word buffers so it can be tested without
 * a heap: st_bitblt_copy clips, maps colours and merges with one of the
 * combination rules 0..41 Squeak defines.  The primitive loads a BitBlt
 * object's fields into an StBitBlt and calls it. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct {
  guint32 *bits;        /* NULL: no form */
  gsize    n_words;     /* words available at bits */
  int64_t  width, height;
  int      depth;       /* 1, 2, 4, 8, 16 or 32 */
  bool     msb;         /* true: big-endian pixel order (positive Form depth) */
} StBltForm;

typedef struct {
  StBltForm dest, source;        /* source.bits NULL: no source */
  const guint32 *halftone;       /* NULL: no halftone */
  gsize    halftone_height;      /* rows (words) in the halftone pattern */
  int      rule;                 /* combination rule 0..41 */
  int64_t  dest_x, dest_y, width, height;
  int64_t  source_x, source_y;
  int64_t  clip_x, clip_y, clip_width, clip_height;
  /* Colour map: an indexed table (NULL: none) and optional shifts/masks
   * (new-style ColorMap; has_shifts false: none). */
  guint32 *cmap;
  gsize    cmap_size;
  bool     new_style;            /* a ColorMap object, not a bare Bitmap */
  bool     has_shifts;           /* its shifts and masks were both given */
  gint32   shifts[4];
  guint32  masks[4];
  bool     cmap_present;         /* a colour map object was given at all */
  int      source_alpha;         /* rules 30, 31: 0..255 */
  guint32  ca_color, ca_alpha;   /* rule 41 */
  const guint8 *gamma, *ungamma; /* rule 41, 256 entries each, or NULL */
  /* results */
  uint64_t bit_count;            /* rules 22, 32 */
  int64_t  affected_l, affected_r, affected_t, affected_b;
} StBitBlt;

/* Run one copyBits.  False (with *why set) when the arguments are not
 * acceptable (bad depth, rule, bits too small, colour map size); then
 * nothing was written. */
bool st_bitblt_copy (StBitBlt *bb, const char **why);

/* WarpBlt: fill the destination rectangle (clipped) by sampling the
 * source along the quadrilateral corners[] = p1x p1y p2x p2y p3x p3y p4x
 * p4y (14-bit fixed point; p1 maps to the top left, p2 the bottom left, p3
 * the bottom right, p4 the top right), then merging with bb->rule.
 * smoothing n > 1 averages n*n subpixels as 32-bit ARGB; a source below
 * 16 bits then needs source_map (2^depth ARGB entries).  Source pixels
 * outside the source read as 0.  False (with *why) as st_bitblt_copy. */
bool st_bitblt_warp (StBitBlt *bb, const int64_t corners[8], int smoothing, const guint32 *source_map,
                     gsize source_map_size, const char **why);

G_END_DECLS
