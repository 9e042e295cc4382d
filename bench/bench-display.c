/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-display: a full-screen Display conversion (1024x768 by default) at
 * depths 32, 16, 8 and 1, best of 20 runs each.  Built by meson, not run
 * as a test:
 *
 *   _build/bench/bench-display [WIDTH HEIGHT]
 *
 * Issue 8's target is a whole 1024x768x32 update converted and painted in
 * under 4 ms; this measures the conversion part only. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include "builder.h"
#include "display.h"
#include "spur.h"

static double
bench (gint w, gint h, gint depth)
{
  ThawBuilder *b = thaw_builder_new (ST_FAMILY_SPUR, 8);
  const ThawBuilderObjects *k = thaw_builder_objects (b);
  StOop form_cls = thaw_builder_class (b, "Form", k->object_class, ST_FMT_FIXED,
                                       "bits", "width", "height", "depth", "offset", NULL);
  guint64 words = (((guint64) w * ABS (depth) + 31) / 32) * h;
  StOop bits = thaw_builder_instance (b, k->bitmap_class, words);
  StOop form = thaw_builder_instance (b, form_cls, 0);
  StVM *vm = thaw_builder_finish (b);
  thaw_builder_free (b);
  st_store (vm, form, 0, bits);
  st_store (vm, form, 1, st_smallint_oop (w));
  st_store (vm, form, 2, st_smallint_oop (h));
  st_store (vm, form, 3, st_smallint_oop (depth));
  guint32 *p = (guint32 *) st_bytes (vm, bits);
  GRand *r = g_rand_new_with_seed (42);
  for (guint64 i = 0; i < words; i++)
    p[i] = g_rand_int (r);
  g_rand_free (r);
  guint32 *out = g_new (guint32, (gsize) w * h);
  double best = G_MAXDOUBLE;
  for (int run = 0; run < 20; run++)
    {
      gint64 t0 = g_get_monotonic_time ();
      GError *err = NULL;
      if (!st_display_convert (vm, form, NULL, out, (gsize) w * 4, 0, NULL, &err))
        {
          fprintf (stderr, "bench-display: %s\n", err->message);
          exit (2);
        }
      double ms = (g_get_monotonic_time () - t0) / 1000.0;
      best = MIN (best, ms);
    }
  g_free (out);
  st_vm_free (vm);
  return best;
}

int
main (int argc, char **argv)
{
  gint w = argc > 2 ? atoi (argv[1]) : 1024, h = argc > 2 ? atoi (argv[2]) : 768;
  if (w <= 0 || h <= 0 || w > ST_DISPLAY_MAX_SIDE || h > ST_DISPLAY_MAX_SIDE)
    {
      fprintf (stderr, "usage: bench-display [WIDTH HEIGHT]\n");
      return 2;
    }
  static const gint depths[] = { 32, 16, 8, 1, -8 };
  for (guint i = 0; i < G_N_ELEMENTS (depths); i++)
    printf ("%dx%dx%d: %.3f ms (best of 20)\n", w, h, depths[i], bench (w, h, depths[i]));
  return 0;
}
