/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Display Form conversion: synthetic Forms at every depth (positive and
 * negative), pixels checked against colours computed here; damaged Forms
 * give errors; the dirty-rectangle accumulator. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "display.h"
#include "spur.h"
#include "../fixtures/builder.h"

typedef struct {
  StVM  *vm;
  StOop  form;
  StOop  bits;
} Fx;

/* A Form of w x h x depth whose bits hold `words` 32-bit words (pitch
 * words per row unless words is given), filled from a seeded random
 * generator; answers the VM (caller frees). */
static Fx
make_form (gint w, gint h, gint depth, gint64 words, guint32 seed)
{
  ThawBuilder *b = thaw_builder_new (ST_FAMILY_SPUR, 8);
  StOop object = thaw_builder_objects (b)->object_class;
  StOop bitmap = thaw_builder_objects (b)->bitmap_class;
  StOop form_cls = thaw_builder_class (b, "Form", object, ST_FMT_FIXED,
                                       "bits", "width", "height", "depth", "offset", NULL);
  gint ad = ABS (depth);
  gint64 pitch = ((gint64) w * ad + 31) / 32;
  if (words < 0)
    words = pitch * h;
  Fx f = { 0 };
  f.bits = thaw_builder_instance (b, bitmap, (uint64_t) words);
  f.form = thaw_builder_instance (b, form_cls, 0);
  f.vm = thaw_builder_finish (b);
  st_store (f.vm, f.form, 0, f.bits);
  st_store (f.vm, f.form, 1, st_smallint_oop (w));
  st_store (f.vm, f.form, 2, st_smallint_oop (h));
  st_store (f.vm, f.form, 3, st_smallint_oop (depth));
  guint32 *p = (guint32 *) st_bytes (f.vm, f.bits);
  GRand *r = g_rand_new_with_seed (seed);
  for (gint64 i = 0; i < words; i++)
    p[i] = g_rand_int (r);
  g_rand_free (r);
  thaw_builder_free (b);
  return f;
}

/* The expected colour, computed independently from the conversion code. */
static guint32
expected_palette (guint i)
{
  if (i == 0 || i == 2) return 0xFFFFFFFF;
  if (i == 1) return 0xFF000000;
  if (i == 3) return 0xFF808080;
  static const guint32 pr[] = { 0xFFFF0000, 0xFF00FF00, 0xFF0000FF, 0xFF00FFFF, 0xFFFFFF00, 0xFFFF00FF };
  if (i >= 4 && i <= 9) return pr[i - 4];
  static const guint g[] = {
    0x20, 0x40, 0x60, 0x9F, 0xBF, 0xDF,
    0x08, 0x10, 0x18, 0x28, 0x30, 0x38, 0x48, 0x50, 0x58, 0x68, 0x70, 0x78,
    0x87, 0x8F, 0x97, 0xA7, 0xAF, 0xB7, 0xC7, 0xCF, 0xD7, 0xE7, 0xEF, 0xF7 };
  if (i < 40) return 0xFF000000 | g[i - 10] * 0x010101;
  guint c = i - 40;
  guint rr = c / 36, bb = (c / 6) % 6, gg = c % 6;
  return 0xFF000000 | (rr * 51) << 16 | (gg * 51) << 8 | (bb * 51);
}

static guint32
expected_pixel (const guint32 *words, gint w, gint depth, gint x, gint y)
{
  gint ad = ABS (depth);
  gint pitch = (w * ad + 31) / 32;
  gint64 bit = (gint64) x * ad;                 /* bit offset within the row */
  guint32 word = words[y * pitch + bit / 32];
  gint pos = (gint) (bit % 32);
  guint32 v;
  if (depth > 0)
    v = (word >> (32 - pos - ad)) & (ad == 32 ? 0xFFFFFFFFu : ((1u << ad) - 1));
  else
    v = (word >> pos) & (ad == 32 ? 0xFFFFFFFFu : ((1u << ad) - 1));
  if (ad == 32)
    return v | 0xFF000000;
  if (ad == 16)
    {
      guint r5 = (v >> 10) & 31, g5 = (v >> 5) & 31, b5 = v & 31;
      return 0xFF000000 | (r5 << 3) << 16 | (g5 << 3) << 8 | (b5 << 3);
    }
  return expected_palette (v);
}

static void
test_every_depth (void)
{
  static const gint depths[] = { 1, 2, 4, 8, 16, 32, -1, -2, -4, -8, -16, -32 };
  for (guint k = 0; k < G_N_ELEMENTS (depths); k++)
    {
      gint d = depths[k], w = 37, h = 11;
      Fx f = make_form (w, h, d, -1, 1000 + k);
      const guint32 *words = (const guint32 *) st_bytes (f.vm, f.bits);
      guint32 *out = g_new0 (guint32, w * h);
      g_autoptr (GError) err = NULL;
      StRect done;
      g_assert_true (st_display_convert (f.vm, f.form, NULL, out, w * 4, 0, &done, &err));
      g_assert_no_error (err);
      g_assert_cmpint (done.width, ==, w);
      g_assert_cmpint (done.height, ==, h);
      for (gint y = 0; y < h; y++)
        for (gint x = 0; x < w; x++)
          if (out[y * w + x] != expected_pixel (words, w, d, x, y))
            g_error ("depth %d pixel %d,%d: got %08x want %08x", d, x, y,
                     out[y * w + x], expected_pixel (words, w, d, x, y));
      /* a sub-rectangle, partly outside, with reverse video */
      StRect rq = { 30, 5, 20, 20 };
      memset (out, 0, w * h * 4);
      g_assert_true (st_display_convert (f.vm, f.form, &rq, out, 16 * 4, ST_DISPLAY_REVERSE, &done, &err));
      g_assert_cmpint (done.x, ==, 30);
      g_assert_cmpint (done.width, ==, 7);
      g_assert_cmpint (done.height, ==, 6);
      for (gint y = 0; y < 6; y++)
        for (gint x = 0; x < 7; x++)
          g_assert_cmphex (out[y * 16 + x], ==, expected_pixel (words, w, d, 30 + x, 5 + y) ^ 0x00FFFFFF);
      g_free (out);
      st_vm_free (f.vm);
    }
}

static void
test_palette (void)
{
  for (guint i = 0; i < 256; i++)
    g_assert_cmphex (st_display_palette (i), ==, expected_palette (i));
}

static void
test_damaged (void)
{
  guint32 out[64];
  /* bits too short */
  Fx f = make_form (40, 10, 8, 99, 1);
  g_autoptr (GError) e1 = NULL;
  g_assert_false (st_display_convert (f.vm, f.form, NULL, out, 40 * 4, 0, NULL, &e1));
  g_assert_error (e1, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT);
  g_assert_nonnull (strstr (e1->message, "needs 100 words"));
  /* bad depth, zero and absurd sizes, non-integer width, bits not words */
  struct { guint slot; StOop v; const char *what; } bad[] = {
    { 3, st_smallint_oop (3), "depth 3" },
    { 3, st_smallint_oop (0), "depth 0" },
    { 1, st_smallint_oop (0), "is empty" },
    { 2, st_smallint_oop (-5), "is empty" },
    { 1, st_smallint_oop (1 << 30), "larger than" },
    { 1, f.form, "not a SmallInteger" },
    { 0, st_smallint_oop (7), "not a 32-bit word object" },
    { 0, f.form, "not a 32-bit word object" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      Fx g = make_form (8, 2, 8, -1, 2);
      st_store (g.vm, g.form, bad[i].slot, bad[i].v == f.form ? g.form : bad[i].v);
      g_autoptr (GError) e = NULL;
      g_assert_false (st_display_convert (g.vm, g.form, NULL, out, 8 * 4, 0, NULL, &e));
      g_assert_error (e, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT);
      if (!strstr (e->message, bad[i].what))
        g_error ("case %u: '%s' lacks '%s'", i, e->message, bad[i].what);
      st_vm_free (g.vm);
    }
  /* not an object at all */
  g_autoptr (GError) e2 = NULL;
  g_assert_false (st_display_convert (f.vm, st_smallint_oop (4), NULL, out, 4, 0, NULL, &e2));
  g_assert_error (e2, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT);
  g_autoptr (GError) e3 = NULL;
  g_assert_false (st_display_convert (f.vm, 0x7FFFFFFF0, NULL, out, 4, 0, NULL, &e3));
  g_assert_error (e3, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT);
  /* no Display in a bare builder heap */
  g_autoptr (GError) e4 = NULL;
  g_assert_cmpuint (st_display_form (f.vm, NULL, &e4), ==, 0);
  g_assert_nonnull (e4);
  st_vm_free (f.vm);
  /* and with one stored as SOA[14] */
  Fx h = make_form (16, 4, 32, -1, 3);
  st_store (h.vm, h.vm->special_objects, ST_SPLOB_THE_DISPLAY, h.form);
  StFormInfo fi;
  g_assert_cmpuint (st_display_form (h.vm, &fi, NULL), ==, h.form);
  g_assert_cmpint (fi.width, ==, 16);
  g_assert_cmpint (fi.pitch, ==, 16);
  st_vm_free (h.vm);
}

static void
test_dirty (void)
{
  StDirty d;
  StRect r;
  st_dirty_init (&d, 100, 50);
  g_assert_false (st_dirty_take (&d, &r));
  st_dirty_add (&d, &(StRect) { 200, 0, 10, 10 });   /* entirely outside */
  g_assert_false (st_dirty_take (&d, &r));
  st_dirty_add (&d, &(StRect) { 10, 10, 5, 5 });
  st_dirty_add (&d, &(StRect) { -5, 40, 20, 30 });
  g_assert_true (st_dirty_take (&d, &r));
  g_assert_cmpint (r.x, ==, 0);
  g_assert_cmpint (r.y, ==, 10);
  g_assert_cmpint (r.width, ==, 15);
  g_assert_cmpint (r.height, ==, 40);
  g_assert_false (st_dirty_take (&d, &r));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/display/every-depth", test_every_depth);
  g_test_add_func ("/engine/display/palette", test_palette);
  g_test_add_func ("/engine/display/damaged", test_damaged);
  g_test_add_func ("/engine/display/dirty", test_dirty);
  return g_test_run ();
}
