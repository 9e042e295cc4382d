/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "display.h"

#include "spur.h"

#include <string.h>

guint32
st_display_palette (guint i)
{
  static const guint8 low[16] = {
    0xFF, 0x00, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0x20, 0x40, 0x60, 0x9F, 0xBF, 0xDF
  };
  static const guint32 prim[6] = {
    0xFF0000, 0x00FF00, 0x0000FF, 0x00FFFF, 0xFFFF00, 0xFF00FF
  };
  i &= 0xFF;
  if (i >= 4 && i <= 9)
    return 0xFF000000u | prim[i - 4];
  if (i < 16)
    {
      guint v = low[i];
      return 0xFF000000u | (v << 16) | (v << 8) | v;
    }
  if (i < 40)
    {
      /* 1/32 .. 31/32 grey, leaving out the multiples of 1/8 */
      guint k = i - 16;
      guint n = k + k / 3 + 1;
      guint v = n < 16 ? n * 8 : n * 8 - 1;
      return 0xFF000000u | (v << 16) | (v << 8) | v;
    }
  guint c = i - 40;
  guint r = c / 36, b = (c / 6) % 6, g = c % 6;
  return 0xFF000000u | ((r * 0x33) << 16) | ((g * 0x33) << 8) | (b * 0x33);
}

static gboolean
int_slot (StVM *vm, StOop form, guint i, const char *name, gint64 *out, GError **error)
{
  StOop v = st_fetch (vm, form, i);
  if (!st_is_smallint (v))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                   "Form at 0x%" G_GINT64_MODIFIER "x: %s (slot %u) is not a SmallInteger",
                   (guint64) form, name, i);
      return FALSE;
    }
  *out = st_smallint_value (v);
  return TRUE;
}

gboolean
st_display_form_info (StVM *vm, StOop form, StFormInfo *info, GError **error)
{
  if (st_is_immediate (form) || !st_addr_in_heap (vm, form)
      || !st_addr_in_heap (vm, form + 8))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                   "Form 0x%" G_GINT64_MODIFIER "x is not an object in the heap", (guint64) form);
      return FALSE;
    }
  if (!st_fmt_is_pointers (st_format (vm, form)) || st_num_slots (vm, form) < 4
      || st_objmem_segment_of (vm, form + 8 * 4) != st_objmem_segment_of (vm, form))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                   "Form at 0x%" G_GINT64_MODIFIER "x: needs at least 4 pointer slots "
                   "(bits width height depth), has format %u with %" G_GUINT64_FORMAT " slots",
                   (guint64) form, st_format (vm, form), (guint64) st_num_slots (vm, form));
      return FALSE;
    }
  gint64 w, h, d;
  if (!int_slot (vm, form, 1, "width", &w, error) || !int_slot (vm, form, 2, "height", &h, error)
      || !int_slot (vm, form, 3, "depth", &d, error))
    return FALSE;
  if (w <= 0 || h <= 0 || w > ST_DISPLAY_MAX_SIDE || h > ST_DISPLAY_MAX_SIDE)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                   "Form at 0x%" G_GINT64_MODIFIER "x: size %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                   " is empty or larger than %d", (guint64) form, w, h, ST_DISPLAY_MAX_SIDE);
      return FALSE;
    }
  gint64 ad = d < 0 ? -d : d;
  if (ad != 1 && ad != 2 && ad != 4 && ad != 8 && ad != 16 && ad != 32)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                   "Form at 0x%" G_GINT64_MODIFIER "x: depth %" G_GINT64_FORMAT
                   " is not one of ±1 2 4 8 16 32", (guint64) form, d);
      return FALSE;
    }
  StOop bits = st_fetch (vm, form, 0);
  if (st_is_immediate (bits) || !st_addr_in_heap (vm, bits)
      || st_format (vm, bits) < ST_FMT_WORDS32 || st_format (vm, bits) >= ST_FMT_SHORTS16)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                   "Form at 0x%" G_GINT64_MODIFIER "x: bits (slot 0, 0x%" G_GINT64_MODIFIER
                   "x) is not a 32-bit word object", (guint64) form, (guint64) bits);
      return FALSE;
    }
  uint64_t n = st_indexable_count (vm, bits);
  StOop end = bits + 8 + ((n + 1) / 2) * 8;
  if (n > 0 && (!st_addr_in_heap (vm, end - 8)
                || st_objmem_segment_of (vm, end - 8) != st_objmem_segment_of (vm, bits)))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                   "Form at 0x%" G_GINT64_MODIFIER "x: bits 0x%" G_GINT64_MODIFIER
                   "x run past the end of their segment", (guint64) form, (guint64) bits);
      return FALSE;
    }
  guint64 pitch = ((guint64) w * (guint64) ad + 31) / 32;
  if (pitch * (guint64) h > n)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                   "Form at 0x%" G_GINT64_MODIFIER "x: %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                   "x%" G_GINT64_FORMAT " needs %" G_GUINT64_FORMAT " words of bits, has %"
                   G_GUINT64_FORMAT, (guint64) form, w, h, d, pitch * (guint64) h, (guint64) n);
      return FALSE;
    }
  if (info)
    {
      info->form = form;
      info->bits = bits;
      info->width = (gint) w;
      info->height = (gint) h;
      info->depth = (gint) d;
      info->pitch = (guint) pitch;
      info->n_words = n;
    }
  return TRUE;
}

StOop
st_display_form (StVM *vm, StFormInfo *info, GError **error)
{
  StOop f = st_special (vm, ST_SPLOB_THE_DISPLAY);
  if (f == st_special (vm, ST_SPLOB_NIL_OBJECT))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID,
                   "the image has no Display (special object 14 is nil)");
      return 0;
    }
  StFormInfo tmp;
  if (!st_display_form_info (vm, f, info ? info : &tmp, error))
    return 0;
  return f;
}

static inline gboolean
clip (const StRect *in, gint w, gint h, StRect *out)
{
  gint64 x0 = in->x, y0 = in->y;
  gint64 x1 = x0 + in->width, y1 = y0 + in->height;
  if (x0 < 0) x0 = 0;
  if (y0 < 0) y0 = 0;
  if (x1 > w) x1 = w;
  if (y1 > h) y1 = h;
  if (x1 <= x0 || y1 <= y0)
    {
      *out = (StRect) { 0, 0, 0, 0 };
      return FALSE;
    }
  *out = (StRect) { (gint) x0, (gint) y0, (gint) (x1 - x0), (gint) (y1 - y0) };
  return TRUE;
}

gboolean
st_display_convert (StVM *vm, StOop form, const StRect *rect,
                    guint32 *argb, gsize stride, guint flags,
                    StRect *done, GError **error)
{
  StFormInfo fi;
  if (!st_display_form_info (vm, form, &fi, error))
    return FALSE;
  StRect whole = { 0, 0, fi.width, fi.height }, r;
  if (!clip (rect ? rect : &whole, fi.width, fi.height, &r))
    {
      if (done)
        *done = r;
      return TRUE;
    }
  if (done)
    *done = r;
  const guint32 *words = (const guint32 *) st_bytes (vm, fi.bits);
  guint32 xor = (flags & ST_DISPLAY_REVERSE) ? 0x00FFFFFFu : 0;
  gint depth = fi.depth < 0 ? -fi.depth : fi.depth;
  gboolean msb = fi.depth > 0;
  guint32 pal[256];
  if (depth <= 8)
    for (guint i = 0; i < 256; i++)
      pal[i] = st_display_palette (i) ^ xor;

  for (gint y = 0; y < r.height; y++)
    {
      const guint32 *row = words + (gsize) (r.y + y) * fi.pitch;
      guint32 *out = (guint32 *) ((guint8 *) argb + (gsize) y * stride);
      if (depth == 32)
        {
          const guint32 *src = row + r.x;
          for (gint x = 0; x < r.width; x++)
            out[x] = (src[x] | 0xFF000000u) ^ xor;
        }
      else if (depth == 16)
        {
          for (gint x = 0; x < r.width; x++)
            {
              guint px = (guint) (r.x + x);
              guint32 w = row[px >> 1];
              guint shift = ((px & 1) ^ (msb ? 1 : 0)) * 16;
              guint32 v = (w >> shift) & 0xFFFF;
              guint32 c = ((v & 0x7C00) << 9) | ((v & 0x03E0) << 6) | ((v & 0x001F) << 3);
              out[x] = (0xFF000000u | c) ^ xor;
            }
        }
      else
        {
          guint ppw = 32 / (guint) depth;
          guint mask = (1u << depth) - 1;
          guint lg = depth == 1 ? 5 : depth == 2 ? 4 : depth == 4 ? 3 : 2;
          for (gint x = 0; x < r.width; x++)
            {
              guint px = (guint) (r.x + x);
              guint32 w = row[px >> lg];
              guint slot = px & (ppw - 1);
              guint shift = (msb ? (ppw - 1 - slot) : slot) * (guint) depth;
              out[x] = pal[(w >> shift) & mask];
            }
        }
    }
  return TRUE;
}

void
st_dirty_init (StDirty *d, gint clip_width, gint clip_height)
{
  d->clip_width = clip_width;
  d->clip_height = clip_height;
  d->box = (StRect) { 0, 0, 0, 0 };
  d->any = false;
}

void
st_dirty_add (StDirty *d, const StRect *r)
{
  StRect c;
  if (!clip (r, d->clip_width, d->clip_height, &c))
    return;
  if (!d->any)
    {
      d->box = c;
      d->any = true;
      return;
    }
  gint x0 = MIN (d->box.x, c.x), y0 = MIN (d->box.y, c.y);
  gint x1 = MAX (d->box.x + d->box.width, c.x + c.width);
  gint y1 = MAX (d->box.y + d->box.height, c.y + c.height);
  d->box = (StRect) { x0, y0, x1 - x0, y1 - y0 };
}

gboolean
st_dirty_take (StDirty *d, StRect *out)
{
  if (!d->any)
    return FALSE;
  *out = d->box;
  d->any = false;
  d->box = (StRect) { 0, 0, 0, 0 };
  return TRUE;
}

gboolean
st_display_write_ppm (const guint32 *argb, gint width, gint height,
                      const char *path, GError **error)
{
  g_return_val_if_fail (width > 0 && height > 0, FALSE);
  g_autofree char *head = g_strdup_printf ("P6\n%d %d\n255\n", width, height);
  gsize hl = strlen (head), n = (gsize) width * (gsize) height;
  g_autofree guint8 *buf = g_malloc (hl + 3 * n);
  memcpy (buf, head, hl);
  guint8 *p = buf + hl;
  for (gsize i = 0; i < n; i++)
    {
      *p++ = (guint8) (argb[i] >> 16);
      *p++ = (guint8) (argb[i] >> 8);
      *p++ = (guint8) argb[i];
    }
  return g_file_set_contents (path, (const char *) buf, (gssize) (hl + 3 * n), error);
}

guint
st_display_count_colours (const guint32 *argb, gsize n)
{
  GHashTable *seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (gsize i = 0; i < n; i++)
    g_hash_table_add (seen, GUINT_TO_POINTER ((guint) (argb[i] & 0xFFFFFF) + 1));
  guint c = g_hash_table_size (seen);
  g_hash_table_destroy (seen);
  return c;
}
