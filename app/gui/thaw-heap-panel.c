/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Heap panel: the heap map with zoom controls, and beside it a legend
 * and the free-space summary. */
#include "config.h"

#include <glib/gi18n.h>

#include "thaw-heap-map.h"
#include "thaw-heap-panel.h"

struct _ThawHeapPanel
{
  GtkBox parent_instance;

  /* owned widgets */
  ThawHeapMap *map_widget;
  GtkWidget   *zoom_label;
  GtkWidget   *legend;
  GtkWidget   *summary;
};

G_DEFINE_FINAL_TYPE (ThawHeapPanel, thaw_heap_panel, GTK_TYPE_BOX)

enum { SIGNAL_OBJECT_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
update_zoom_label (ThawHeapPanel *self)
{
  g_autofree char *size = g_format_size_full (thaw_heap_map_get_bytes_per_cell (self->map_widget), G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *text = g_strdup_printf (_("%s per cell"), size);
  gtk_label_set_text (GTK_LABEL (self->zoom_label), text);
}

static void on_zoom_in (GtkButton *b, ThawHeapPanel *self) { thaw_heap_map_zoom (self->map_widget, 1); update_zoom_label (self); }
static void on_zoom_out (GtkButton *b, ThawHeapPanel *self) { thaw_heap_map_zoom (self->map_widget, -1); update_zoom_label (self); }
static void on_zoom_fit (GtkButton *b, ThawHeapPanel *self) { thaw_heap_map_fit (self->map_widget, 120); update_zoom_label (self); }

static void
forward_activated (ThawHeapMap *map, guint64 address, ThawHeapPanel *self)
{
  g_signal_emit (self, signals[SIGNAL_OBJECT_ACTIVATED], 0, address);
}

static void
clear (GtkWidget *box)
{
  GtkWidget *c;
  while ((c = gtk_widget_get_first_child (box)) != NULL)
    gtk_box_remove (GTK_BOX (box), c);
}

static const char *
kind_label (StMapKind k)
{
  switch (k)
    {
    case ST_MAP_HIDDEN: return _("Class table and hidden objects");
    case ST_MAP_CLASS: return _("Classes");
    case ST_MAP_METHOD: return _("Methods");
    case ST_MAP_CONTEXT: return _("Contexts");
    case ST_MAP_PINNED: return _("Pinned objects");
    case ST_MAP_FORWARDER: return _("Forwarders");
    case ST_MAP_OTHER: return _("Other objects");
    case ST_MAP_FREE: return _("Free chunks");
    case ST_MAP_BRIDGE: return _("Segment bridges");
    case ST_MAP_UNWALKABLE: return _("Unreadable (damaged)");
    default: return "";
    }
}

static void
draw_swatch (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  guint32 rgb = st_map_kind_color (GPOINTER_TO_INT (data));
  cairo_set_source_rgb (cr, ((rgb >> 16) & 0xFF) / 255.0, ((rgb >> 8) & 0xFF) / 255.0, (rgb & 0xFF) / 255.0);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_fill (cr);
}

static void
summary_row (GtkWidget *box, const char *title, const char *value)
{
  GtkWidget *row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  GtkWidget *v = gtk_label_new (value);
  gtk_widget_add_css_class (v, "field-value");
  gtk_label_set_selectable (GTK_LABEL (v), TRUE);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), v);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (box), row);
}

void
thaw_heap_panel_set_model (ThawHeapPanel *self, StVM *vm, StHeapMap *map)
{
  clear (self->legend);
  clear (self->summary);
  if (map != NULL)
    {
      uint64_t kind_bytes[ST_MAP_N_KINDS] = { 0 };
      for (guint i = 0; i < map->n_segments; i++)
        for (int k = 0; k < ST_MAP_N_KINDS; k++)
          kind_bytes[k] += map->segments[i].kind_bytes[k];
      GtkWidget *legend = adw_preferences_group_new ();
      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (legend), _("What Occupies the Heap"));
      for (int k = 0; k < ST_MAP_N_KINDS; k++)
        {
          if (kind_bytes[k] == 0 && k != ST_MAP_FREE)
            continue;
          GtkWidget *row = adw_action_row_new ();
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), kind_label (k));
          GtkWidget *swatch = gtk_drawing_area_new ();
          gtk_widget_set_size_request (swatch, 16, 16);
          gtk_widget_set_valign (swatch, GTK_ALIGN_CENTER);
          gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (swatch), draw_swatch, GINT_TO_POINTER (k), NULL);
          adw_action_row_add_prefix (ADW_ACTION_ROW (row), swatch);
          g_autofree char *bytes = g_format_size (kind_bytes[k]);
          GtkWidget *v = gtk_label_new (bytes);
          gtk_widget_add_css_class (v, "field-value");
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), v);
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (legend), row);
        }
      gtk_box_append (GTK_BOX (self->legend), legend);

      GtkWidget *sum = adw_preferences_group_new ();
      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (sum), _("Free Space"));
      g_autofree char *free_bytes = g_format_size (map->free_bytes);
      g_autofree char *chunks = g_strdup_printf ("%" G_GUINT64_FORMAT, map->free_chunks);
      g_autofree char *largest = g_format_size (map->largest_free);
      g_autofree char *frag = g_strdup_printf ("%.1f %%", map->fragmentation * 100);
      g_autofree char *objects = g_strdup_printf ("%" G_GUINT64_FORMAT, map->objects);
      g_autofree char *segments = g_strdup_printf ("%u", map->n_segments);
      summary_row (sum, _("Free bytes"), free_bytes);
      summary_row (sum, _("Free chunks"), chunks);
      summary_row (sum, _("Largest free chunk"), largest);
      summary_row (sum, _("Fragmentation"), frag);
      summary_row (sum, _("Objects"), objects);
      summary_row (sum, _("Segments"), segments);
      gtk_box_append (GTK_BOX (self->summary), sum);
    }
  thaw_heap_map_set_model (self->map_widget, vm, map);
  thaw_heap_map_fit (self->map_widget, 120);
  update_zoom_label (self);
}

void
thaw_heap_panel_mark (ThawHeapPanel *self, guint64 address)
{
  thaw_heap_map_set_mark (self->map_widget, address);
}

static void
thaw_heap_panel_class_init (ThawHeapPanelClass *klass)
{
  g_type_ensure (THAW_TYPE_HEAP_MAP);
  signals[SIGNAL_OBJECT_ACTIVATED] =
    g_signal_new ("object-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT64);
}

static GtkWidget *
icon_button (const char *icon, const char *tooltip, GCallback cb, gpointer data)
{
  GtkWidget *b = gtk_button_new_from_icon_name (icon);
  gtk_widget_set_tooltip_text (b, tooltip);
  g_signal_connect (b, "clicked", cb, data);
  return b;
}

static void
thaw_heap_panel_init (ThawHeapPanel *self)
{
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_HORIZONTAL);

  GtkWidget *left = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_hexpand (left, TRUE);
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_margin_top (bar, 6);
  gtk_widget_set_margin_start (bar, 6);
  GtkWidget *zoom = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (zoom, "linked");
  gtk_box_append (GTK_BOX (zoom), icon_button ("zoom-out-symbolic", _("Zoom out (Ctrl+scroll)"), G_CALLBACK (on_zoom_out), self));
  gtk_box_append (GTK_BOX (zoom), icon_button ("zoom-fit-best-symbolic", _("Fit the heap"), G_CALLBACK (on_zoom_fit), self));
  gtk_box_append (GTK_BOX (zoom), icon_button ("zoom-in-symbolic", _("Zoom in (Ctrl+scroll)"), G_CALLBACK (on_zoom_in), self));
  gtk_box_append (GTK_BOX (bar), zoom);
  self->zoom_label = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->zoom_label, "dim-label");
  gtk_box_append (GTK_BOX (bar), self->zoom_label);
  gtk_box_append (GTK_BOX (left), bar);

  self->map_widget = THAW_HEAP_MAP (thaw_heap_map_new ());
  gtk_widget_set_margin_start (GTK_WIDGET (self->map_widget), 6);
  gtk_widget_set_margin_end (GTK_WIDGET (self->map_widget), 6);
  g_signal_connect (self->map_widget, "object-activated", G_CALLBACK (forward_activated), self);
  GtkWidget *sw = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (sw), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (sw, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (sw), GTK_WIDGET (self->map_widget));
  gtk_box_append (GTK_BOX (left), sw);
  gtk_box_append (GTK_BOX (self), left);

  GtkWidget *side_sw = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (side_sw), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_size_request (side_sw, 320, -1);
  gtk_widget_set_hexpand (side_sw, FALSE);
  GtkWidget *side = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  gtk_widget_set_margin_top (side, 12);
  gtk_widget_set_margin_bottom (side, 12);
  gtk_widget_set_margin_start (side, 12);
  gtk_widget_set_margin_end (side, 12);
  self->summary = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  self->legend = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_box_append (GTK_BOX (side), self->summary);
  gtk_box_append (GTK_BOX (side), self->legend);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (side_sw), side);
  gtk_box_append (GTK_BOX (self), gtk_separator_new (GTK_ORIENTATION_VERTICAL));
  gtk_box_append (GTK_BOX (self), side_sw);
}
