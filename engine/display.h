/* SPDX-License-Identifier: GPL-3.0-or-later */
/* display.h: converting a Smalltalk Form (the image's Display or any other)
 * into native-endian 0xAARRGGBB pixels as cairo's CAIRO_FORMAT_RGB24 and
 * ARGB32 expect (alpha always 0xFF: the result is opaque), plus a small
 * dirty-rectangle accumulator.  No GTK, no cairo, no locking: callers lock.
 *
 * Form slots: bits, width, height, depth, offset.  Depth 1, 2, 4, 8 index
 * Squeak's standard 256-colour palette, 16 is x555 RGB, 32 is ARGB; a
 * negative depth means the pixels within each 32-bit word are stored
 * little-endian (first pixel in the lowest bits). */
#pragma once

#include "objmem.h"

G_BEGIN_DECLS

typedef struct {
  gint x, y, width, height;
} StRect;

typedef struct {
  StOop    form;
  StOop    bits;
  gint     width, height;
  gint     depth;          /* as stored, may be negative */
  guint    pitch;          /* 32-bit words per row */
  uint64_t n_words;        /* 32-bit words in bits */
} StFormInfo;

enum {
  ST_DISPLAY_REVERSE = 1 << 0,   /* reverse video: invert every colour */
};

#define ST_DISPLAY_MAX_SIDE 65536

/* Validate a Form and read its geometry.  Errors (ST_IMAGE_ERROR_BAD_OBJECT)
 * for non-objects, too few slots, non-integer or absurd sizes, unknown
 * depths and bits too short for width x height. */
gboolean st_display_form_info (StVM *vm, StOop form, StFormInfo *info, GError **error);

/* SOA[14] TheDisplay, validated (info may be NULL).  0 with an error when
 * it is nil or damaged. */
StOop st_display_form (StVM *vm, StFormInfo *info, GError **error);

/* Convert rect (clipped to the form; NULL = whole form) into argb, whose
 * first pixel corresponds to the clipped rect's top-left; stride in bytes.
 * Answers the clipped rect in *done when non-NULL. */
gboolean st_display_convert (StVM *vm, StOop form, const StRect *rect,
                             guint32 *argb, gsize stride, guint flags,
                             StRect *done, GError **error);

/* Write w x h pixels (stride w*4) as a binary PPM (P6) file. */
gboolean st_display_write_ppm (const guint32 *argb, gint width, gint height,
                               const char *path, GError **error);

/* Distinct colours among n pixels (bounded work: one hash table). */
guint st_display_count_colours (const guint32 *argb, gsize n);

/* The standard palette entry (0..255) as 0xFFRRGGBB. */
guint32 st_display_palette (guint index);

/* Dirty rectangles: the union of everything added, clipped to the display. */
typedef struct {
  gint   clip_width, clip_height;
  StRect box;
  bool   any;
} StDirty;

void st_dirty_init (StDirty *d, gint clip_width, gint clip_height);
void st_dirty_add (StDirty *d, const StRect *r);
/* The accumulated rectangle; resets the accumulator.  FALSE when empty. */
gboolean st_dirty_take (StDirty *d, StRect *out);

G_END_DECLS
