/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ThawGcPanel: the garbage collector of a running image over time.
 *
 * Three charts share one array of StGcSamples (the last 4096 collections)
 * and one time axis, and are drawn in snapshot():
 *   memory    heap size, old space, bytes in objects after the collection,
 *             free bytes and the largest free chunk, as lines;
 *   pauses    one bar per collection, scavenges, tenure-alls and full
 *             collections in their own colours;
 *   copying   bytes copied into the survivor space and into old space.
 * Above them, the collector's counters (what vmParameterAt: 1-11 tell an
 * image about its memory and collections). */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "thaw-gc-panel.h"

typedef enum {
  CHART_MEMORY,
  CHART_PAUSES,
  CHART_COPYING,
} ChartKind;

/* ---- the chart widget (private to this file) ---- */

#define THAW_TYPE_GC_CHART (thaw_gc_chart_get_type ())
G_DECLARE_FINAL_TYPE (ThawGcChart, thaw_gc_chart, THAW, GC_CHART, GtkWidget)

struct _ThawGcChart
{
  GtkWidget parent_instance;

  /* borrowed: the panel's samples */
  GArray   *samples;
  ChartKind kind;
};

G_DEFINE_FINAL_TYPE (ThawGcChart, thaw_gc_chart, GTK_TYPE_WIDGET)

#define PLOT_LEFT   72
#define PLOT_RIGHT  12
#define PLOT_TOP    24
#define PLOT_BOTTOM 20

typedef struct {
  const char *name;
  GdkRGBA     color;
} Series;

static const GdkRGBA colour_blue   = { 0.21, 0.52, 0.89, 1 };
static const GdkRGBA colour_green  = { 0.18, 0.76, 0.49, 1 };
static const GdkRGBA colour_orange = { 1.00, 0.47, 0.00, 1 };
static const GdkRGBA colour_red    = { 0.88, 0.11, 0.14, 1 };
static const GdkRGBA colour_purple = { 0.57, 0.25, 0.67, 1 };
static const GdkRGBA colour_brown  = { 0.60, 0.45, 0.30, 1 };

static double
sample_value (const StGcSample *s, ChartKind kind, int series)
{
  switch (kind)
    {
    case CHART_MEMORY:
      switch (series)
        {
        case 0: return (double) s->heap_bytes;
        case 1: return (double) s->old_bytes;
        case 2: return (double) s->bytes_after;
        case 3: return (double) s->free_bytes;
        default: return (double) s->largest_free;
        }
    case CHART_PAUSES:
      return (double) s->pause_usecs;
    case CHART_COPYING:
    default:
      return series == 0 ? (double) s->survivor_bytes : (double) s->tenured_bytes;
    }
}

static guint
chart_series (ChartKind kind, Series out[5])
{
  switch (kind)
    {
    case CHART_MEMORY:
      out[0] = (Series) { _("Heap"), colour_blue };
      out[1] = (Series) { _("Old space"), colour_purple };
      out[2] = (Series) { _("Used"), colour_orange };
      out[3] = (Series) { _("Free"), colour_green };
      out[4] = (Series) { _("Largest free chunk"), colour_brown };
      return 5;
    case CHART_PAUSES:
      out[0] = (Series) { _("Scavenge"), colour_blue };
      out[1] = (Series) { _("Tenure all"), colour_orange };
      out[2] = (Series) { _("Full collection"), colour_red };
      return 3;
    case CHART_COPYING:
    default:
      out[0] = (Series) { _("Survivors"), colour_green };
      out[1] = (Series) { _("Tenured"), colour_purple };
      return 2;
    }
}

static char *
format_value (ChartKind kind, double v)
{
  if (kind == CHART_PAUSES)
    {
      if (v >= 1000)
        return g_strdup_printf (_("%.1f ms"), v / 1000);
      return g_strdup_printf (_("%.0f µs"), v);
    }
  return g_format_size ((guint64) v);
}

/* A round number at or above v (1, 2 or 5 times a power of ten). */
static double
nice_ceiling (double v)
{
  if (v <= 0)
    return 1;
  double p = pow (10, floor (log10 (v)));
  for (int i = 0; i < 3; i++)
    {
      static const double steps[] = { 1, 2, 5 };
      if (steps[i] * p >= v)
        return steps[i] * p;
    }
  return 10 * p;
}

static void
append_text (GtkWidget *widget, GtkSnapshot *snapshot, const char *text, float x, float y, const GdkRGBA *colour,
             gboolean right_aligned)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  int w, h;
  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (right_aligned ? x - w : x, y - h / 2.0f));
  gtk_snapshot_append_layout (snapshot, layout, colour);
  gtk_snapshot_restore (snapshot);
  g_object_unref (layout);
}

static void
thaw_gc_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  ThawGcChart *self = THAW_GC_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  float pw = width - PLOT_LEFT - PLOT_RIGHT;
  float ph = height - PLOT_TOP - PLOT_BOTTOM;
  if (pw < 20 || ph < 20)
    return;
  GdkRGBA fg;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  GdkRGBA grid = fg;
  grid.alpha = 0.15f;
  GdkRGBA dim = fg;
  dim.alpha = 0.6f;

  /* legend along the top */
  Series series[5];
  guint n_series = chart_series (self->kind, series);
  float lx = PLOT_LEFT;
  for (guint i = 0; i < n_series; i++)
    {
      gtk_snapshot_append_color (snapshot, &series[i].color, &GRAPHENE_RECT_INIT (lx, 6, 10, 10));
      PangoLayout *layout = gtk_widget_create_pango_layout (widget, series[i].name);
      int w, h;
      pango_layout_get_pixel_size (layout, &w, &h);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (lx + 14, 11 - h / 2.0f));
      gtk_snapshot_append_layout (snapshot, layout, &fg);
      gtk_snapshot_restore (snapshot);
      g_object_unref (layout);
      lx += 14 + w + 16;
    }

  guint n = self->samples ? self->samples->len : 0;
  double vmax = 0;
  gint64 t0 = 0, t1 = 1;
  if (n > 0)
    {
      const StGcSample *first = &g_array_index (self->samples, StGcSample, 0);
      const StGcSample *last = &g_array_index (self->samples, StGcSample, n - 1);
      t0 = first->when_usecs;
      t1 = MAX (last->when_usecs, t0 + 1);
      for (guint i = 0; i < n; i++)
        for (guint s = 0; s < (self->kind == CHART_PAUSES ? 1 : n_series); s++)
          vmax = MAX (vmax, sample_value (&g_array_index (self->samples, StGcSample, i), self->kind, s));
    }
  vmax = nice_ceiling (vmax);

  /* grid and the value axis */
  for (int i = 0; i <= 4; i++)
    {
      float y = PLOT_TOP + ph - ph * i / 4.0f;
      gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (PLOT_LEFT, y, pw, 1));
      g_autofree char *label = format_value (self->kind, vmax * i / 4.0);
      append_text (widget, snapshot, label, PLOT_LEFT - 6, y, &dim, TRUE);
    }
  if (n == 0)
    {
      append_text (widget, snapshot, _("No collections yet"), PLOT_LEFT + 8, PLOT_TOP + ph / 2, &dim, FALSE);
      return;
    }
  /* the time axis: the run time of the first and the last collection */
  g_autofree char *from = g_strdup_printf (_("%.1f s"), t0 / 1e6);
  g_autofree char *to = g_strdup_printf (_("%.1f s"), t1 / 1e6);
  append_text (widget, snapshot, from, PLOT_LEFT, PLOT_TOP + ph + PLOT_BOTTOM / 2.0f, &dim, FALSE);
  append_text (widget, snapshot, to, PLOT_LEFT + pw, PLOT_TOP + ph + PLOT_BOTTOM / 2.0f, &dim, TRUE);

#define XPOS(t) (PLOT_LEFT + (n == 1 ? pw / 2 : (float) ((double) ((t) - t0) / (double) (t1 - t0) * pw)))
#define YPOS(v) (PLOT_TOP + ph - (float) ((v) / vmax * ph))

  if (self->kind == CHART_MEMORY)
    {
      cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (PLOT_LEFT - 2, PLOT_TOP - 2, pw + 4, ph + 4));
      cairo_set_line_width (cr, 1.5);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      for (guint s = n_series; s-- > 0;)
        {
          for (guint i = 0; i < n; i++)
            {
              const StGcSample *smp = &g_array_index (self->samples, StGcSample, i);
              double x = XPOS (smp->when_usecs), y = YPOS (sample_value (smp, self->kind, s));
              if (i == 0)
                cairo_move_to (cr, x, y);
              else
                cairo_line_to (cr, x, y);
              if (n == 1)
                cairo_rectangle (cr, x - 2, y - 2, 4, 4);
            }
          gdk_cairo_set_source_rgba (cr, &series[s].color);
          cairo_stroke (cr);
        }
      cairo_destroy (cr);
    }
  else
    {
      /* bars: at least 2 pixels wide, at most what the collections leave */
      float bw = CLAMP (pw / (float) n * 0.8f, 2.0f, 12.0f);
      for (guint i = 0; i < n; i++)
        {
          const StGcSample *smp = &g_array_index (self->samples, StGcSample, i);
          float x = XPOS (smp->when_usecs);
          if (self->kind == CHART_PAUSES)
            {
              const GdkRGBA *c = smp->kind == ST_GC_FULL ? &series[2].color
                                 : smp->kind == ST_GC_TENURE_ALL ? &series[1].color : &series[0].color;
              float y = YPOS (sample_value (smp, self->kind, 0));
              gtk_snapshot_append_color (snapshot, c,
                                         &GRAPHENE_RECT_INIT (x - bw / 2, y, bw, MAX (PLOT_TOP + ph - y, 1)));
            }
          else
            {
              float half = MAX (bw / 2, 1);
              for (int s = 0; s < 2; s++)
                {
                  float y = YPOS (sample_value (smp, self->kind, s));
                  gtk_snapshot_append_color (snapshot, &series[s].color,
                                             &GRAPHENE_RECT_INIT (x - half + s * half, y, half,
                                                                  MAX (PLOT_TOP + ph - y, 1)));
                }
            }
        }
    }
#undef XPOS
#undef YPOS
}

static void
thaw_gc_chart_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                       int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = 240, *natural = 600;
  else
    *minimum = 140, *natural = 180;
}

static void
thaw_gc_chart_class_init (ThawGcChartClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  widget_class->snapshot = thaw_gc_chart_snapshot;
  widget_class->measure = thaw_gc_chart_measure;
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
thaw_gc_chart_init (ThawGcChart *self)
{
}

static GtkWidget *
chart_new (GArray *samples, ChartKind kind, const char *label)
{
  ThawGcChart *chart = g_object_new (THAW_TYPE_GC_CHART, NULL);
  chart->samples = samples;
  chart->kind = kind;
  gtk_widget_set_hexpand (GTK_WIDGET (chart), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (chart), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  return GTK_WIDGET (chart);
}

/* ---- the panel ---- */

enum {
  COUNTER_SCAVENGES,
  COUNTER_SCAVENGE_TIME,
  COUNTER_FULL,
  COUNTER_FULL_TIME,
  COUNTER_TENURE_ALLS,
  COUNTER_TENURED,
  COUNTER_REMEMBERED,
  COUNTER_EDEN,
  COUNTER_YOUNG_USED,
  COUNTER_OLD_SINCE_FULL,
  COUNTER_HEAP,
  COUNTER_FREE,
  COUNTER_LARGEST_FREE,
  COUNTER_LIVE_OBJECTS,
  COUNTER_WEAK_CLEARED,
  N_COUNTERS
};

struct _ThawGcPanel
{
  GtkBox parent_instance;

  /* owned */
  GArray    *samples;       /* StGcSample, seq order */
  guint      n_full;
  StGcStats  stats;
  gboolean   have_stats;

  /* children */
  GtkWidget *counters[N_COUNTERS];
  GtkWidget *charts[3];
};

G_DEFINE_FINAL_TYPE (ThawGcPanel, thaw_gc_panel, GTK_TYPE_BOX)

static void
set_counter (ThawGcPanel *self, int which, const char *text)
{
  gtk_label_set_text (GTK_LABEL (self->counters[which]), text);
}

static void
set_counter_number (ThawGcPanel *self, int which, guint64 v)
{
  char buf[32];
  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
  set_counter (self, which, buf);
}

static void
set_counter_size (ThawGcPanel *self, int which, guint64 v)
{
  g_autofree char *s = g_format_size (v);
  set_counter (self, which, s);
}

static void
set_counter_ms (ThawGcPanel *self, int which, gint64 usecs)
{
  g_autofree char *s = g_strdup_printf (_("%.1f ms"), usecs / 1000.0);
  set_counter (self, which, s);
}

static void
update_counters (ThawGcPanel *self)
{
  const StGcSample *last = thaw_gc_panel_get_last (self);
  if (self->have_stats)
    {
      const StGcStats *st = &self->stats;
      set_counter_number (self, COUNTER_SCAVENGES, st->scavenges);
      set_counter_ms (self, COUNTER_SCAVENGE_TIME, st->scavenge_usecs);
      set_counter_number (self, COUNTER_FULL, st->full_gcs);
      set_counter_ms (self, COUNTER_FULL_TIME, st->full_usecs);
      set_counter_number (self, COUNTER_TENURE_ALLS, st->tenure_alls);
      set_counter_size (self, COUNTER_TENURED, st->tenured_bytes);
      set_counter_number (self, COUNTER_REMEMBERED, st->remembered);
      set_counter_size (self, COUNTER_EDEN, st->eden_bytes);
      set_counter_size (self, COUNTER_YOUNG_USED, st->young_used);
      set_counter_size (self, COUNTER_OLD_SINCE_FULL, st->old_allocated_since_full);
    }
  else
    for (int i = COUNTER_SCAVENGES; i <= COUNTER_OLD_SINCE_FULL; i++)
      set_counter (self, i, "—");
  if (last != NULL)
    {
      set_counter_size (self, COUNTER_HEAP, last->heap_bytes);
      set_counter_size (self, COUNTER_FREE, last->free_bytes);
      set_counter_size (self, COUNTER_LARGEST_FREE, last->largest_free);
    }
  else
    for (int i = COUNTER_HEAP; i <= COUNTER_LARGEST_FREE; i++)
      set_counter (self, i, "—");
  /* the newest full collection counts the live objects */
  const StGcSample *full = NULL;
  for (guint i = self->samples->len; i-- > 0 && full == NULL;)
    if (g_array_index (self->samples, StGcSample, i).kind == ST_GC_FULL)
      full = &g_array_index (self->samples, StGcSample, i);
  if (full != NULL)
    {
      set_counter_number (self, COUNTER_LIVE_OBJECTS, full->objects_after);
      set_counter_number (self, COUNTER_WEAK_CLEARED, full->weak_cleared);
    }
  else
    {
      set_counter (self, COUNTER_LIVE_OBJECTS, "—");
      set_counter (self, COUNTER_WEAK_CLEARED, "—");
    }
}

static void
redraw (ThawGcPanel *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->charts); i++)
    gtk_widget_queue_draw (self->charts[i]);
  update_counters (self);
}

void
thaw_gc_panel_add_samples (ThawGcPanel *self, const StGcSample *samples, guint n)
{
  g_return_if_fail (THAW_IS_GC_PANEL (self));
  const StGcSample *last = thaw_gc_panel_get_last (self);
  guint64 newest = last ? last->seq : 0;
  for (guint i = 0; i < n; i++)
    {
      if (samples[i].seq <= newest && newest != 0)
        continue;
      g_array_append_val (self->samples, samples[i]);
      newest = samples[i].seq;
      if (samples[i].kind == ST_GC_FULL)
        self->n_full++;
    }
  if (self->samples->len > THAW_GC_PANEL_MAX_SAMPLES)
    {
      guint drop = self->samples->len - THAW_GC_PANEL_MAX_SAMPLES;
      for (guint i = 0; i < drop; i++)
        if (g_array_index (self->samples, StGcSample, i).kind == ST_GC_FULL)
          self->n_full--;
      g_array_remove_range (self->samples, 0, drop);
    }
  redraw (self);
}

void
thaw_gc_panel_set_stats (ThawGcPanel *self, const StGcStats *stats)
{
  g_return_if_fail (THAW_IS_GC_PANEL (self));
  self->stats = *stats;
  self->have_stats = TRUE;
  update_counters (self);
}

void
thaw_gc_panel_clear (ThawGcPanel *self)
{
  g_return_if_fail (THAW_IS_GC_PANEL (self));
  g_array_set_size (self->samples, 0);
  self->n_full = 0;
  self->have_stats = FALSE;
  redraw (self);
}

guint
thaw_gc_panel_get_n_samples (ThawGcPanel *self)
{
  return self->samples->len;
}

guint
thaw_gc_panel_get_n_full (ThawGcPanel *self)
{
  return self->n_full;
}

const StGcSample *
thaw_gc_panel_get_last (ThawGcPanel *self)
{
  if (self->samples->len == 0)
    return NULL;
  return &g_array_index (self->samples, StGcSample, self->samples->len - 1);
}

static void
thaw_gc_panel_finalize (GObject *object)
{
  ThawGcPanel *self = THAW_GC_PANEL (object);
  g_array_unref (self->samples);
  G_OBJECT_CLASS (thaw_gc_panel_parent_class)->finalize (object);
}

static void
thaw_gc_panel_class_init (ThawGcPanelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = thaw_gc_panel_finalize;
}

static GtkWidget *
titled (const char *title, const char *description, GtkWidget *child)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *l = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_widget_add_css_class (l, "heading");
  gtk_box_append (GTK_BOX (box), l);
  if (description != NULL)
    {
      GtkWidget *d = gtk_label_new (description);
      gtk_label_set_xalign (GTK_LABEL (d), 0);
      gtk_label_set_wrap (GTK_LABEL (d), TRUE);
      gtk_widget_add_css_class (d, "dim-label");
      gtk_box_append (GTK_BOX (box), d);
    }
  gtk_box_append (GTK_BOX (box), child);
  return box;
}

static void
thaw_gc_panel_init (ThawGcPanel *self)
{
  self->samples = g_array_new (FALSE, FALSE, sizeof (StGcSample));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);

  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  gtk_widget_set_margin_top (content, 12);
  gtk_widget_set_margin_bottom (content, 12);
  gtk_widget_set_margin_start (content, 12);
  gtk_widget_set_margin_end (content, 12);

  static const struct { int id; const char *title; const char *tooltip; } counters[] = {
    { COUNTER_SCAVENGES, N_("Scavenges"), N_("Collections of new space since the image started (vmParameterAt: 9)") },
    { COUNTER_SCAVENGE_TIME, N_("Scavenge time"), N_("Total pause of all scavenges (vmParameterAt: 10)") },
    { COUNTER_FULL, N_("Full collections"), N_("Mark-and-compact collections since the image started (vmParameterAt: 7)") },
    { COUNTER_FULL_TIME, N_("Full collection time"), N_("Total pause of all full collections (vmParameterAt: 8)") },
    { COUNTER_TENURE_ALLS, N_("Tenure-alls"), N_("Times new space was emptied into old space before a heap walk") },
    { COUNTER_TENURED, N_("Tenured"), N_("Bytes copied from new space into old space since the start (vmParameterAt: 11 counts the tenurings)") },
    { COUNTER_REMEMBERED, N_("Remembered objects"), N_("Old objects that point into new space now") },
    { COUNTER_EDEN, N_("Eden size"), N_("The size of eden, where new objects are made") },
    { COUNTER_YOUNG_USED, N_("New space used"), N_("Bytes in new space now (vmParameterAt: 2)") },
    { COUNTER_OLD_SINCE_FULL, N_("Allocated since full GC"), N_("Old-space bytes allocated since the last full collection") },
    { COUNTER_HEAP, N_("Heap size"), N_("Old space segments plus new space after the last collection (vmParameterAt: 3)") },
    { COUNTER_FREE, N_("Free in old space"), N_("Bytes in free chunks of old space after the last collection") },
    { COUNTER_LARGEST_FREE, N_("Largest free chunk"), N_("The largest free chunk after the last collection") },
    { COUNTER_LIVE_OBJECTS, N_("Live objects"), N_("Objects left after the last full collection") },
    { COUNTER_WEAK_CLEARED, N_("Weak slots cleared"), N_("Weak references set to nil by the last full collection") },
  };
  GtkWidget *grid = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (grid), GTK_SELECTION_NONE);
  gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (grid), 2);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (grid), 5);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (grid), 12);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (grid), 6);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (grid), TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (counters); i++)
    {
      GtkWidget *cell = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      GtkWidget *t = gtk_label_new (_(counters[i].title));
      gtk_label_set_xalign (GTK_LABEL (t), 0);
      gtk_widget_add_css_class (t, "caption");
      gtk_widget_add_css_class (t, "dim-label");
      GtkWidget *v = gtk_label_new ("—");
      gtk_label_set_xalign (GTK_LABEL (v), 0);
      gtk_label_set_selectable (GTK_LABEL (v), TRUE);
      gtk_widget_add_css_class (v, "field-value");
      gtk_widget_add_css_class (v, "numeric");
      gtk_accessible_update_property (GTK_ACCESSIBLE (v), GTK_ACCESSIBLE_PROPERTY_LABEL, _(counters[i].title), -1);
      gtk_box_append (GTK_BOX (cell), t);
      gtk_box_append (GTK_BOX (cell), v);
      gtk_widget_set_tooltip_text (cell, _(counters[i].tooltip));
      gtk_flow_box_append (GTK_FLOW_BOX (grid), cell);
      self->counters[counters[i].id] = v;
    }
  gtk_box_append (GTK_BOX (content), titled (_("Counters"), NULL, grid));

  self->charts[0] = chart_new (self->samples, CHART_MEMORY, _("Memory after each collection"));
  self->charts[1] = chart_new (self->samples, CHART_PAUSES, _("Pause of each collection"));
  self->charts[2] = chart_new (self->samples, CHART_COPYING, _("Bytes copied by each collection"));
  gtk_box_append (GTK_BOX (content),
                  titled (_("Memory"), _("Heap size, old space, bytes in objects, free bytes and the largest free chunk after each collection."),
                          self->charts[0]));
  gtk_box_append (GTK_BOX (content),
                  titled (_("Pauses"), _("How long each collection stopped the image."), self->charts[1]));
  gtk_box_append (GTK_BOX (content),
                  titled (_("Survivors and Tenured"), _("Bytes each collection copied into the survivor space and into old space."),
                          self->charts[2]));

  GtkWidget *sw = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (sw), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (sw, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (sw), content);
  gtk_box_append (GTK_BOX (self), sw);
  update_counters (self);
}
