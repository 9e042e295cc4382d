/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Census panel: instances and bytes per class as a sortable, filterable
 * table.  Activating a class lists its instances below; activating an
 * instance emits ::object-activated. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "printer.h"
#include "thaw-columns.h"
#include "thaw-census-panel.h"

#define MAX_INSTANCES_LISTED 1000

#define THAW_TYPE_CENSUS_ITEM (thaw_census_item_get_type ())
G_DECLARE_FINAL_TYPE (ThawCensusItem, thaw_census_item, THAW, CENSUS_ITEM, GObject)

struct _ThawCensusItem
{
  GObject  parent_instance;
  char    *name;
  guint32  class_index;
  guint64  instances;
  guint64  bytes;
  guint64  address;     /* instances list: the object */
};

G_DEFINE_FINAL_TYPE (ThawCensusItem, thaw_census_item, G_TYPE_OBJECT)

static void thaw_census_item_finalize (GObject *o) { g_free (THAW_CENSUS_ITEM (o)->name); G_OBJECT_CLASS (thaw_census_item_parent_class)->finalize (o); }
static void thaw_census_item_class_init (ThawCensusItemClass *k) { G_OBJECT_CLASS (k)->finalize = thaw_census_item_finalize; }
static void thaw_census_item_init (ThawCensusItem *self) { }

struct _ThawCensusPanel
{
  GtkBox parent_instance;

  /* owned widgets */
  GtkWidget *search;
  GtkWidget *summary;
  GtkWidget *column_view;
  GtkWidget *instances_label;
  GtkWidget *instances_view;

  /* borrowed */
  StVM *vm;

  /* owned */
  StCensus       *census;
  GListStore     *store;
  GListStore     *instances;
  GtkFilter      *filter;
};

G_DEFINE_FINAL_TYPE (ThawCensusPanel, thaw_census_panel, GTK_TYPE_BOX)

enum { SIGNAL_OBJECT_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef enum { COL_NAME, COL_INSTANCES, COL_BYTES, COL_INSTANCE_ADDRESS, COL_INSTANCE_PRINT } Column;

static void
setup_label (GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
  GtkWidget *l = gtk_label_new (NULL);
  Column c = GPOINTER_TO_INT (data);
  gtk_label_set_xalign (GTK_LABEL (l), c == COL_INSTANCES || c == COL_BYTES ? 1.0 : 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (l), PANGO_ELLIPSIZE_END);
  if (c != COL_NAME)
    gtk_widget_add_css_class (l, "field-value");
  gtk_list_item_set_child (li, l);
}

static void
bind_label (GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
  ThawCensusItem *item = gtk_list_item_get_item (li);
  GtkLabel *l = GTK_LABEL (gtk_list_item_get_child (li));
  char buf[64];
  switch (GPOINTER_TO_INT (data))
    {
    case COL_NAME:
    case COL_INSTANCE_PRINT:
      gtk_label_set_text (l, item->name);
      return;
    case COL_INSTANCES:
      g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, item->instances);
      break;
    case COL_BYTES:
      g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, item->bytes);
      break;
    case COL_INSTANCE_ADDRESS:
      g_snprintf (buf, sizeof buf, "0x%" G_GINT64_MODIFIER "x", item->address);
      break;
    }
  gtk_label_set_text (l, buf);
}

static int
compare_items (gconstpointer a, gconstpointer b, gpointer data)
{
  const ThawCensusItem *x = a, *y = b;
  switch (GPOINTER_TO_INT (data))
    {
    case COL_INSTANCES: return x->instances < y->instances ? -1 : x->instances > y->instances;
    case COL_BYTES: return x->bytes < y->bytes ? -1 : x->bytes > y->bytes;
    default: return g_utf8_collate (x->name, y->name);
    }
}

static GtkColumnViewColumn *
add_column (GtkWidget *view, const char *title, Column c, gboolean expand, gboolean sortable)
{
  GtkSorter *sorter = sortable ? GTK_SORTER (gtk_custom_sorter_new (compare_items, GINT_TO_POINTER (c), NULL)) : NULL;
  return thaw_columns_add (GTK_COLUMN_VIEW (view), title, G_CALLBACK (setup_label), G_CALLBACK (bind_label),
                           GINT_TO_POINTER (c), expand, sorter);
}

static gboolean
filter_func (gpointer item, gpointer data)
{
  ThawCensusPanel *self = data;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search));
  if (text == NULL || *text == '\0')
    return TRUE;
  g_autofree char *hay = g_utf8_casefold (THAW_CENSUS_ITEM (item)->name, -1);
  g_autofree char *needle = g_utf8_casefold (text, -1);
  return strstr (hay, needle) != NULL;
}

static void
on_search_changed (GtkSearchEntry *entry, ThawCensusPanel *self)
{
  gtk_filter_changed (self->filter, GTK_FILTER_CHANGE_DIFFERENT);
}

static void
list_instances (ThawCensusPanel *self, ThawCensusItem *cls)
{
  g_list_store_remove_all (self->instances);
  if (self->vm == NULL)
    return;
  StPrinter *p = st_printer_new (self->vm);
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  StHeapWalk w;
  st_heap_walk_init (&w, self->vm);
  StOop o;
  guint64 seen = 0;
  while ((o = st_heap_walk_next (&w)) != 0)
    {
      if (st_class_index (self->vm, o) != cls->class_index)
        continue;
      if (seen++ >= MAX_INSTANCES_LISTED)
        continue;
      ThawCensusItem *it = g_object_new (THAW_TYPE_CENSUS_ITEM, NULL);
      it->address = o;
      it->name = st_printer_print (p, o, 200);
      g_ptr_array_add (items, it);
    }
  st_printer_free (p);
  g_list_store_splice (self->instances, 0, 0, items->pdata, items->len);
  g_autofree char *n = g_strdup_printf ("%" G_GUINT64_FORMAT, seen);
  g_autofree char *text = seen > MAX_INSTANCES_LISTED
    ? g_strdup_printf (_("Instances of %s: %s (the first %u are listed)"), cls->name, n, MAX_INSTANCES_LISTED)
    : g_strdup_printf (_("Instances of %s: %s"), cls->name, n);
  gtk_label_set_text (GTK_LABEL (self->instances_label), text);
}

static void
on_class_activate (GtkColumnView *view, guint position, ThawCensusPanel *self)
{
  GListModel *model = G_LIST_MODEL (gtk_column_view_get_model (view));
  g_autoptr (ThawCensusItem) item = g_list_model_get_item (model, position);
  if (item != NULL)
    list_instances (self, item);
}

static void
on_instance_activate (GtkColumnView *view, guint position, ThawCensusPanel *self)
{
  g_autoptr (ThawCensusItem) item = g_list_model_get_item (G_LIST_MODEL (self->instances), position);
  if (item != NULL)
    g_signal_emit (self, signals[SIGNAL_OBJECT_ACTIVATED], 0, item->address);
}

void
thaw_census_panel_set_model (ThawCensusPanel *self, StVM *vm, StCensus *census)
{
  g_list_store_remove_all (self->store);
  g_list_store_remove_all (self->instances);
  gtk_label_set_text (GTK_LABEL (self->instances_label), _("Activate a class to list its instances."));
  g_clear_pointer (&self->census, st_census_free);
  self->vm = vm;
  self->census = census;
  if (census == NULL)
    return;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < census->n_rows; i++)
    {
      ThawCensusItem *it = g_object_new (THAW_TYPE_CENSUS_ITEM, NULL);
      it->name = g_strdup (census->rows[i].name);
      it->class_index = census->rows[i].class_index;
      it->instances = census->rows[i].instances;
      it->bytes = census->rows[i].bytes;
      g_ptr_array_add (items, it);
    }
  g_list_store_splice (self->store, 0, 0, items->pdata, items->len);
  g_autofree char *objects = g_strdup_printf ("%" G_GUINT64_FORMAT, census->total_objects);
  g_autofree char *bytes = g_format_size (census->total_bytes);
  g_autofree char *classes = g_strdup_printf ("%u", census->n_rows);
  /* TRANSLATORS: numbers of objects and classes, and a size */
  g_autofree char *text = g_strdup_printf (_("%s objects of %s classes, %s"), objects, classes, bytes);
  gtk_label_set_text (GTK_LABEL (self->summary), text);
}

guint64
thaw_census_panel_get_total_objects (ThawCensusPanel *self)
{
  return self->census ? self->census->total_objects : 0;
}

static void
thaw_census_panel_dispose (GObject *object)
{
  ThawCensusPanel *self = THAW_CENSUS_PANEL (object);
  g_clear_pointer (&self->census, st_census_free);
  g_clear_object (&self->store);
  g_clear_object (&self->instances);
  G_OBJECT_CLASS (thaw_census_panel_parent_class)->dispose (object);
}

static void
thaw_census_panel_class_init (ThawCensusPanelClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = thaw_census_panel_dispose;
  signals[SIGNAL_OBJECT_ACTIVATED] =
    g_signal_new ("object-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT64);
}

static void
thaw_census_panel_init (ThawCensusPanel *self)
{
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 6);

  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_margin_top (top, 6);
  gtk_widget_set_margin_start (top, 6);
  gtk_widget_set_margin_end (top, 6);
  self->search = gtk_search_entry_new ();
  g_object_set (self->search, "placeholder-text", _("Filter classes"), NULL);
  g_signal_connect (self->search, "search-changed", G_CALLBACK (on_search_changed), self);
  gtk_box_append (GTK_BOX (top), self->search);
  self->summary = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->summary, "dim-label");
  gtk_box_append (GTK_BOX (top), self->summary);
  gtk_box_append (GTK_BOX (self), top);

  self->store = g_list_store_new (THAW_TYPE_CENSUS_ITEM);
  self->filter = GTK_FILTER (gtk_custom_filter_new (filter_func, self, NULL));
  GtkFilterListModel *filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->store)), self->filter);
  self->column_view = gtk_column_view_new (NULL);
  GtkSortListModel *sorted = gtk_sort_list_model_new (G_LIST_MODEL (filtered),
                                                      g_object_ref (gtk_column_view_get_sorter (GTK_COLUMN_VIEW (self->column_view))));
  GtkSelectionModel *sel = GTK_SELECTION_MODEL (gtk_single_selection_new (G_LIST_MODEL (sorted)));
  gtk_column_view_set_model (GTK_COLUMN_VIEW (self->column_view), sel);
  g_object_unref (sel);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->column_view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Classes by instances and bytes"), -1);
  add_column (self->column_view, _("Class"), COL_NAME, TRUE, TRUE);
  GtkColumnViewColumn *inst = add_column (self->column_view, _("Instances"), COL_INSTANCES, FALSE, TRUE);
  add_column (self->column_view, _("Bytes"), COL_BYTES, FALSE, TRUE);
  gtk_column_view_sort_by_column (GTK_COLUMN_VIEW (self->column_view), inst, GTK_SORT_DESCENDING);
  g_signal_connect (self->column_view, "activate", G_CALLBACK (on_class_activate), self);

  GtkWidget *paned = gtk_paned_new (GTK_ORIENTATION_VERTICAL);
  gtk_widget_set_vexpand (paned, TRUE);
  GtkWidget *sw = gtk_scrolled_window_new ();
  gtk_widget_set_size_request (sw, -1, 200);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (sw), self->column_view);
  gtk_paned_set_start_child (GTK_PANED (paned), sw);
  gtk_paned_set_resize_start_child (GTK_PANED (paned), TRUE);

  GtkWidget *bottom = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  self->instances_label = gtk_label_new (_("Activate a class to list its instances."));
  gtk_label_set_xalign (GTK_LABEL (self->instances_label), 0);
  gtk_widget_set_margin_start (self->instances_label, 6);
  gtk_widget_set_margin_top (self->instances_label, 6);
  gtk_widget_add_css_class (self->instances_label, "heading");
  gtk_box_append (GTK_BOX (bottom), self->instances_label);
  self->instances = g_list_store_new (THAW_TYPE_CENSUS_ITEM);
  GtkSelectionModel *isel = GTK_SELECTION_MODEL (gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->instances))));
  self->instances_view = gtk_column_view_new (isel);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->instances_view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Instances of the selected class"), -1);
  add_column (self->instances_view, _("Object"), COL_INSTANCE_ADDRESS, FALSE, FALSE);
  add_column (self->instances_view, _("Value"), COL_INSTANCE_PRINT, TRUE, FALSE);
  g_signal_connect (self->instances_view, "activate", G_CALLBACK (on_instance_activate), self);
  GtkWidget *isw = gtk_scrolled_window_new ();
  gtk_widget_set_vexpand (isw, TRUE);
  gtk_widget_set_size_request (isw, -1, 120);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (isw), self->instances_view);
  gtk_box_append (GTK_BOX (bottom), isw);
  gtk_paned_set_end_child (GTK_PANED (paned), bottom);
  gtk_box_append (GTK_BOX (self), paned);
}
