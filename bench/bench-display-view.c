/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-display-view: what showing one display update costs the window
 * (issue 8: a full 1024x768x32 update converted and painted in < 4 ms).
 * Built with the GUI, never run as a test; needs a display:
 *
 *   xvfb-run -a -s "-screen 0 1280x900x24" _build/bench/bench-display-view [FRAMES]
 *
 * For a 1024x768 frame it times (the conversion on the engine thread is
 * bench-display's part):
 *   - the view's part: set_frame (wrapping the host's copy), its snapshot()
 *     and rendering that node with the window's renderer
 *     (gsk_renderer_render_texture, which also reads the pixels back, so
 *     it is an upper bound), at zoom 1 and zoom 2;
 *   - whole on-screen frames: the frame clock's paint phase after each new
 *     frame in a real 1024x768 window (the view's own statistics). */
#include "config.h"

#include <gtk/gtk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thaw-display-view.h"

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *v, guint n)
{
  qsort (v, n, sizeof (double), cmp_double);
  return n ? v[n / 2] : 0;
}

static double
maximum (const double *v, guint n)
{
  double m = 0;
  for (guint i = 0; i < n; i++)
    m = MAX (m, v[i]);
  return m;
}

/* A frame that differs everywhere from the previous one. */
static GBytes *
make_frame (int w, int h, guint seed)
{
  guint32 *p = g_new (guint32, (gsize) w * h);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      p[(gsize) y * w + x] = 0xFF000000u | ((x * 7 + seed) & 0xFF) << 16 | ((y * 3 + seed) & 0xFF) << 8
                             | ((x ^ y ^ seed) & 0xFF);
  return g_bytes_new_take (p, (gsize) w * h * 4);
}

static void
iterate (double ms)
{
  double end = now_ms () + ms;
  while (now_ms () < end)
    g_main_context_iteration (NULL, FALSE);
}

static void
bench_node (GtkWidget *window, ThawDisplayView *view, int w, int h, int zoom, guint n)
{
  thaw_display_view_set_zoom (view, zoom);
  iterate (300);
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));
  double *set = g_new (double, n), *snap = g_new (double, n), *render = g_new (double, n);
  for (guint i = 0; i < n; i++)
    {
      GBytes *frame = make_frame (w, h, i);
      double t0 = now_ms ();
      thaw_display_view_set_frame (view, frame, w, h, w * 4);
      double t1 = now_ms ();
      GtkSnapshot *s = gtk_snapshot_new ();
      GTK_WIDGET_GET_CLASS (view)->snapshot (GTK_WIDGET (view), s);
      GskRenderNode *node = gtk_snapshot_free_to_node (s);
      double t2 = now_ms ();
      GdkTexture *tex = node ? gsk_renderer_render_texture (renderer, node, NULL) : NULL;
      double t3 = now_ms ();
      set[i] = t1 - t0, snap[i] = t2 - t1, render[i] = t3 - t2;
      g_clear_object (&tex);
      g_clear_pointer (&node, gsk_render_node_unref);
      g_bytes_unref (frame);
    }
  printf ("view %dx%d zoom %d (%s): set_frame median %.3f ms; snapshot median %.3f ms; "
          "render median %.2f ms, max %.2f ms\n",
          w, h, zoom, G_OBJECT_TYPE_NAME (renderer), median (set, n), median (snap, n), median (render, n),
          maximum (render, n));
  g_free (set);
  g_free (snap);
  g_free (render);
}

static void
bench_on_screen (ThawDisplayView *view, int w, int h, guint n)
{
  thaw_display_view_set_zoom (view, 1);
  iterate (300);
  ThawDisplayStats before, st;
  thaw_display_view_get_stats (view, &before);
  double *t = g_new (double, n);
  guint got = 0;
  for (guint i = 0; i < n; i++)
    {
      GBytes *frame = make_frame (w, h, i * 13);
      thaw_display_view_set_frame (view, frame, w, h, w * 4);
      g_bytes_unref (frame);
      thaw_display_view_get_stats (view, &st);
      guint64 paints = st.paints;
      double end = now_ms () + 1000;
      while (st.paints == paints && now_ms () < end)
        {
          g_main_context_iteration (NULL, TRUE);
          thaw_display_view_get_stats (view, &st);
        }
      if (st.paints != paints)
        t[got++] = st.paint_usecs_last / 1000.0;
    }
  printf ("on screen %dx%d zoom 1: %u frames painted, paint phase median %.2f ms, max %.2f ms\n",
          w, h, got, median (t, got), maximum (t, got));
  g_free (t);
}

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? (guint) atoi (argv[1]) : 100;
  n = CLAMP (n, 5, 10000);
  gtk_init ();

  GtkWidget *window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 768);
  gtk_window_set_decorated (GTK_WINDOW (window), FALSE);
  ThawDisplayView *view = THAW_DISPLAY_VIEW (thaw_display_view_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_present (GTK_WINDOW (window));
  iterate (1000);
  printf ("view allocated %dx%d at scale factor %d\n", gtk_widget_get_width (GTK_WIDGET (view)),
          gtk_widget_get_height (GTK_WIDGET (view)), gtk_widget_get_scale_factor (GTK_WIDGET (view)));

  bench_node (window, view, 1024, 768, 1, n);
  bench_node (window, view, 512, 384, 2, n);
  bench_on_screen (view, 1024, 768, n);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
