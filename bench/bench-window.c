/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-window: the workbench's targets for a large heap.  Built by meson
 * when the GUI is, never run as a test; needs a display (xvfb-run):
 *
 *   xvfb-run -a _build/bench/bench-window [--synthetic-mb N] [IMAGE]
 *
 * It builds a synthetic Spur 64 image of about N MB (default 100) with the
 * test builder — objects of several kinds with free chunks strewn between
 * them, so the heap map has something to draw — writes it to $TMPDIR and:
 *   - times what opening it in the window costs before the Overview shows
 *     (the read), and the analyses that fill the other panels afterwards
 *     (heap map, census, integrity check);
 *   - puts the heap map widget in a 1000x760 scrolled window and times
 *     whole frames (snapshot and render) while scrolling through the heap
 *     and at every zoom level; the target is no frame over 16 ms. */
#include "config.h"

#include <gtk/gtk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "builder.h"
#include "census.h"
#include "heap-check.h"
#include "heap-map.h"
#include "image-read.h"
#include "image-write.h"
#include "thaw-heap-map.h"

static double
now (void)
{
  return (double) g_get_monotonic_time () / 1e6;
}

typedef struct {
  double max, total;
  guint  n;
  double samples[1024];
} Frames;

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of the recorded samples. */
static double
quantile (Frames *f, double q)
{
  guint n = MIN (f->n, G_N_ELEMENTS (f->samples));
  if (n == 0)
    return 0;
  double sorted[G_N_ELEMENTS (f->samples)];
  memcpy (sorted, f->samples, n * sizeof (double));
  qsort (sorted, n, sizeof (double), cmp_double);
  return sorted[(guint) (q * (n - 1))];
}

/* One frame of the heap map at the current scroll position: the widget's
 * own snapshot() (its cost), then rendering those nodes for the visible
 * area with the window's renderer (the renderer's cost). */
static void
frame (GtkWidget *window, GtkWidget *map, GtkAdjustment *adj, double *snap, double *render)
{
  int w = gtk_widget_get_width (map);
  double top = gtk_adjustment_get_value (adj), page = gtk_adjustment_get_page_size (adj);
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));
  double t0 = now ();
  GtkSnapshot *s = gtk_snapshot_new ();
  GTK_WIDGET_GET_CLASS (map)->snapshot (map, s);
  GskRenderNode *node = gtk_snapshot_free_to_node (s);
  double t1 = now ();
  GdkTexture *tex = node ? gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, top, w, page)) : NULL;
  *snap = t1 - t0;
  *render = now () - t1;
  g_clear_object (&tex);
  g_clear_pointer (&node, gsk_render_node_unref);
}

/* Let GTK run its frame clock (layout and paint) for a while. */
static void
iterate (void)
{
  double end = now () + 0.05;
  while (now () < end)
    {
      while (g_main_context_pending (NULL))
        g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static void
record (Frames *f, double dt)
{
  f->max = MAX (f->max, dt);
  f->total += dt;
  if (f->n < G_N_ELEMENTS (f->samples))
    f->samples[f->n] = dt;
  f->n++;
}

int
main (int argc, char **argv)
{
  guint mb = 100;
  const char *image = NULL;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--synthetic-mb") == 0 && i + 1 < argc)
        mb = (guint) atoi (argv[++i]);
      else
        image = argv[i];
    }
  gtk_init ();
  g_autofree char *path = NULL;
  if (image == NULL)
    {
      double t = now ();
      g_autoptr (GError) werror = NULL;
      path = thaw_builder_write_synthetic (mb, TRUE, &werror);
      if (path == NULL)
        {
          fprintf (stderr, "bench-window: cannot write the synthetic image: %s\n", werror->message);
          return 1;
        }
      printf ("synthetic image of %u MB built and written in %.2f s\n", mb, now () - t);
      image = path;
    }
  GStatBuf st;
  g_stat (image, &st);
  printf ("image: %s (%.1f MB)\n", image, st.st_size / 1e6);

  double t0 = now ();
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (image, ST_READ_SALVAGE, &error);
  if (vm == NULL)
    {
      fprintf (stderr, "bench-window: %s\n", error->message);
      return 1;
    }
  double t_read = now () - t0;
  t0 = now ();
  StHeapMap *map = st_heap_map_build (vm);
  double t_map = now () - t0;
  t0 = now ();
  StCensus *census = st_census_take (vm, ST_CENSUS_SORT_COUNT);
  double t_census = now () - t0;
  t0 = now ();
  StCheckReport *report = st_heap_check (vm, NULL);
  double t_check = now () - t0;
  printf ("open: read %.0f ms (the Overview shows after this; target: contents within 1000 ms)\n", t_read * 1000);
  printf ("      then in the background: heap map %.0f ms, census %.0f ms, check %.0f ms (%" G_GUINT64_FORMAT
          " objects, %" G_GUINT64_FORMAT " findings)\n",
          t_map * 1000, t_census * 1000, t_check * 1000, report->objects, report->n_findings_total);
  st_census_free (census);
  st_check_report_free (report);

  GtkWidget *window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 760);
  GtkWidget *sw = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (sw), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  GtkWidget *mapw = thaw_heap_map_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (sw), mapw);
  gtk_window_set_child (GTK_WINDOW (window), sw);
  gtk_window_present (GTK_WINDOW (window));
  thaw_heap_map_set_model (THAW_HEAP_MAP (mapw), vm, map);
  for (int i = 0; i < 50; i++)
    {
      iterate ();
      g_usleep (10000);
    }

  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (sw));
  static const guint64 zooms[] = { 16, 64, 256, 1024, 4096, 16384, 65536 };
  Frames all = { 0 }, all_snap = { 0 };
  for (gsize z = 0; z < G_N_ELEMENTS (zooms); z++)
    {
      t0 = now ();
      thaw_heap_map_set_bytes_per_cell (THAW_HEAP_MAP (mapw), zooms[z]);
      /* relayout (the cells of the new zoom) happens at the next frame */
      while (g_main_context_pending (NULL))
        g_main_context_iteration (NULL, FALSE);
      GtkAllocation alloc;
      gtk_widget_get_allocation (mapw, &alloc);
      gtk_widget_size_allocate (mapw, &alloc, -1);
      double t_zoom = now () - t0;
      iterate ();
      Frames snap = { 0 }, rend = { 0 };
      double upper = gtk_adjustment_get_upper (adj), page = gtk_adjustment_get_page_size (adj);
      for (int step = 0; step < 60; step++)
        {
          gtk_adjustment_set_value (adj, (upper - page) * step / 59.0);
          iterate ();
          double ds, dr;
          frame (window, mapw, adj, &ds, &dr);
          record (&snap, ds);
          record (&rend, dr);
          record (&all, ds + dr);
          record (&all_snap, ds);
        }
      printf ("zoom %6" G_GUINT64_FORMAT " B/cell: %8.0f px tall, zoom change %5.1f ms; per frame: "
              "snapshot avg %5.2f max %5.2f ms, render avg %5.2f max %5.2f ms\n",
              zooms[z], upper, t_zoom * 1000, snap.total / snap.n * 1000, snap.max * 1000,
              rend.total / rend.n * 1000, rend.max * 1000);
    }
  /* The same with nothing to draw: the fixed cost of a frame here. */
  thaw_heap_map_set_model (THAW_HEAP_MAP (mapw), NULL, NULL);
  iterate ();
  Frames empty = { 0 };
  for (int i = 0; i < 30; i++)
    {
      double ds, dr;
      frame (window, mapw, adj, &ds, &dr);
      record (&empty, ds + dr);
    }
  printf ("with no heap the widget's frame costs avg %.2f ms, max %.2f ms with this renderer\n",
          empty.total / empty.n * 1000, empty.max * 1000);
  printf ("heap map over %u frames: snapshot median %.2f ms, p95 %.2f ms, worst %.2f ms; whole frame "
          "(snapshot + full render) median %.2f ms, p95 %.2f ms, worst %.2f ms (target: 16 ms)\n",
          all.n, quantile (&all_snap, 0.5) * 1000, quantile (&all_snap, 0.95) * 1000, all_snap.max * 1000,
          quantile (&all, 0.5) * 1000, quantile (&all, 0.95) * 1000, all.max * 1000);
  map = NULL;   /* freed by the widget */

  gtk_window_destroy (GTK_WINDOW (window));
  st_vm_free (vm);
  if (path != NULL)
    {
      g_unlink (path);
      g_autofree char *dir = g_path_get_dirname (path);
      g_rmdir (dir);
    }
  return 0;
}
