/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Integrity panel: the heap checker's findings as a table.  Selecting a
 * finding emits ::finding-activated with the object's address, which the
 * window routes to the inspector and the heap map. */
#include "config.h"

#include <glib/gi18n.h>

#include "thaw-columns.h"
#include "thaw-integrity-panel.h"

/* ---- one finding as a list item ---- */

#define THAW_TYPE_FINDING_ITEM (thaw_finding_item_get_type ())
G_DECLARE_FINAL_TYPE (ThawFindingItem, thaw_finding_item, THAW, FINDING_ITEM, GObject)

struct _ThawFindingItem
{
  GObject parent_instance;
  char   *kind;
  char   *address;
  guint64 address_value;
  char   *class_name;
  char   *field;
  char   *message;
};

G_DEFINE_FINAL_TYPE (ThawFindingItem, thaw_finding_item, G_TYPE_OBJECT)

static void
thaw_finding_item_finalize (GObject *object)
{
  ThawFindingItem *self = THAW_FINDING_ITEM (object);
  g_free (self->kind);
  g_free (self->address);
  g_free (self->class_name);
  g_free (self->field);
  g_free (self->message);
  G_OBJECT_CLASS (thaw_finding_item_parent_class)->finalize (object);
}

static void
thaw_finding_item_class_init (ThawFindingItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = thaw_finding_item_finalize;
}

static void
thaw_finding_item_init (ThawFindingItem *self)
{
}

static ThawFindingItem *
finding_item_new (const StFinding *f)
{
  ThawFindingItem *item = g_object_new (THAW_TYPE_FINDING_ITEM, NULL);
  item->kind = g_strdup (st_finding_kind_name (f->kind));
  item->address_value = f->address;
  item->address = f->address ? g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", f->address) : g_strdup ("");
  item->class_name = g_strdup (f->class_name ? f->class_name : "");
  item->field = f->field == ST_FINDING_NO_FIELD ? g_strdup ("") : g_strdup_printf ("%" G_GINT64_FORMAT, f->field);
  item->message = g_strdup (f->message ? f->message : "");
  return item;
}

/* ---- the panel ---- */

struct _ThawIntegrityPanel
{
  GtkBox parent_instance;

  /* owned widgets (built in code) */
  GtkWidget     *summary;
  GtkWidget     *spinner;
  GtkWidget     *column_view;
  GtkWidget     *scroller;
  GtkWidget     *clean_page;

  /* owned */
  GListStore    *store;
  StCheckReport *report;
};

G_DEFINE_FINAL_TYPE (ThawIntegrityPanel, thaw_integrity_panel, GTK_TYPE_BOX)

enum { SIGNAL_FINDING_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef enum { COL_KIND, COL_ADDRESS, COL_CLASS, COL_FIELD, COL_MESSAGE } Column;

static const char *
column_text (ThawFindingItem *item, Column c)
{
  switch (c)
    {
    case COL_KIND: return item->kind;
    case COL_ADDRESS: return item->address;
    case COL_CLASS: return item->class_name;
    case COL_FIELD: return item->field;
    case COL_MESSAGE: return item->message;
    }
  return "";
}

static void
setup_label (GtkSignalListItemFactory *factory, GtkListItem *li, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  Column c = GPOINTER_TO_INT (data);
  if (c == COL_ADDRESS || c == COL_FIELD)
    gtk_widget_add_css_class (label, "field-value");
  gtk_list_item_set_child (li, label);
}

static void
bind_label (GtkSignalListItemFactory *factory, GtkListItem *li, gpointer data)
{
  ThawFindingItem *item = gtk_list_item_get_item (li);
  GtkWidget *label = gtk_list_item_get_child (li);
  const char *text = column_text (item, GPOINTER_TO_INT (data));
  gtk_label_set_text (GTK_LABEL (label), text);
  if (GPOINTER_TO_INT (data) == COL_MESSAGE)
    gtk_widget_set_tooltip_text (label, text);
}

static void
add_column (ThawIntegrityPanel *self, const char *title, Column c, gboolean expand)
{
  thaw_columns_add (GTK_COLUMN_VIEW (self->column_view), title, G_CALLBACK (setup_label), G_CALLBACK (bind_label),
                    GINT_TO_POINTER (c), expand, NULL);
}

static void
on_activate (GtkColumnView *view, guint position, ThawIntegrityPanel *self)
{
  g_autoptr (ThawFindingItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), position);
  if (item != NULL && item->address_value != 0)
    g_signal_emit (self, signals[SIGNAL_FINDING_ACTIVATED], 0, item->address_value);
}

void
thaw_integrity_panel_set_checking (ThawIntegrityPanel *self)
{
  g_list_store_remove_all (self->store);
  g_clear_pointer (&self->report, st_check_report_free);
  gtk_label_set_text (GTK_LABEL (self->summary), _("Checking the heap…"));
  gtk_widget_set_visible (self->clean_page, FALSE);
  gtk_widget_set_visible (self->spinner, TRUE);
  gtk_spinner_start (GTK_SPINNER (self->spinner));
}

void
thaw_integrity_panel_set_report (ThawIntegrityPanel *self, StCheckReport *report)
{
  g_clear_pointer (&self->report, st_check_report_free);
  self->report = report;
  g_list_store_remove_all (self->store);
  gtk_spinner_stop (GTK_SPINNER (self->spinner));
  gtk_widget_set_visible (self->spinner, FALSE);

  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < report->n_findings; i++)
    g_ptr_array_add (items, finding_item_new (&report->findings[i]));
  g_list_store_splice (self->store, 0, 0, items->pdata, items->len);

  g_autofree char *objects = g_strdup_printf ("%" G_GUINT64_FORMAT, report->objects);
  g_autofree char *problems = g_strdup_printf ("%" G_GUINT64_FORMAT, report->n_findings_total);
  g_autofree char *text = NULL;
  if (report->n_findings_total == 0)
    /* TRANSLATORS: %s is a number of objects, %.0f milliseconds */
    text = g_strdup_printf (_("No problems found in %s objects (%.0f ms)."), objects, report->seconds * 1000);
  else if (report->n_findings_total > report->n_findings)
    /* TRANSLATORS: the first %s is a number of problems, the second of objects */
    text = g_strdup_printf (_("%s problems found in %s objects; the first %u are listed."),
                            problems, objects, report->n_findings);
  else
    /* TRANSLATORS: the first %s is a number of problems, the second of objects */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s problem found in %s objects.",
                                         "%s problems found in %s objects.",
                                         (gulong) MIN (report->n_findings_total, G_MAXULONG)),
                            problems, objects);
  gtk_label_set_text (GTK_LABEL (self->summary), text);
  gtk_widget_set_visible (self->scroller, report->n_findings > 0);
  gtk_widget_set_visible (self->clean_page, report->n_findings_total == 0);
  if (report->n_findings_total == 0)
    adw_status_page_set_description (ADW_STATUS_PAGE (self->clean_page), text);
}

guint64
thaw_integrity_panel_get_n_findings (ThawIntegrityPanel *self)
{
  return self->report ? self->report->n_findings_total : 0;
}

static void
thaw_integrity_panel_dispose (GObject *object)
{
  ThawIntegrityPanel *self = THAW_INTEGRITY_PANEL (object);
  g_clear_pointer (&self->report, st_check_report_free);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (thaw_integrity_panel_parent_class)->dispose (object);
}

static void
thaw_integrity_panel_class_init (ThawIntegrityPanelClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = thaw_integrity_panel_dispose;
  signals[SIGNAL_FINDING_ACTIVATED] =
    g_signal_new ("finding-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT64);
  gtk_widget_class_set_accessible_role (GTK_WIDGET_CLASS (klass), GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
thaw_integrity_panel_init (ThawIntegrityPanel *self)
{
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 12);

  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_margin_top (top, 12);
  gtk_widget_set_margin_start (top, 12);
  gtk_widget_set_margin_end (top, 12);
  self->spinner = gtk_spinner_new ();
  gtk_widget_set_visible (self->spinner, FALSE);
  self->summary = gtk_label_new (_("The heap has not been checked yet."));
  gtk_label_set_xalign (GTK_LABEL (self->summary), 0);
  gtk_label_set_wrap (GTK_LABEL (self->summary), TRUE);
  gtk_widget_add_css_class (self->summary, "title-4");
  gtk_box_append (GTK_BOX (top), self->spinner);
  gtk_box_append (GTK_BOX (top), self->summary);
  gtk_box_append (GTK_BOX (self), top);

  self->store = g_list_store_new (THAW_TYPE_FINDING_ITEM);
  GtkSelectionModel *sel = GTK_SELECTION_MODEL (gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->store))));
  self->column_view = gtk_column_view_new (sel);
  gtk_column_view_set_show_column_separators (GTK_COLUMN_VIEW (self->column_view), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->column_view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Integrity findings"), -1);
  add_column (self, _("Kind"), COL_KIND, FALSE);
  add_column (self, _("Object"), COL_ADDRESS, FALSE);
  add_column (self, _("Class"), COL_CLASS, FALSE);
  add_column (self, _("Field"), COL_FIELD, FALSE);
  add_column (self, _("Problem"), COL_MESSAGE, TRUE);
  g_signal_connect (self->column_view, "activate", G_CALLBACK (on_activate), self);

  self->scroller = gtk_scrolled_window_new ();
  gtk_widget_set_vexpand (self->scroller, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), self->column_view);
  gtk_widget_set_visible (self->scroller, FALSE);
  gtk_box_append (GTK_BOX (self), self->scroller);

  self->clean_page = adw_status_page_new ();
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (self->clean_page), "emblem-ok-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (self->clean_page), _("No Problems Found"));
  gtk_widget_set_vexpand (self->clean_page, TRUE);
  gtk_widget_set_visible (self->clean_page, FALSE);
  gtk_box_append (GTK_BOX (self), self->clean_page);
}
