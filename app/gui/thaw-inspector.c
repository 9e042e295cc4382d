/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The inspector: the mirror of an object as an expandable tree of slots,
 * with a path bar, back/forward history and shortcuts to the roots. */
#include "config.h"

#include <glib/gi18n.h>

#include "handles.h"
#include "mirror.h"
#include "path.h"
#include "printer.h"
#include "thaw-columns.h"
#include "thaw-inspector.h"

#define MAX_SLOTS_SHOWN 2000

/* ---- one slot as a tree item ---- */

#define THAW_TYPE_SLOT_ITEM (thaw_slot_item_get_type ())
G_DECLARE_FINAL_TYPE (ThawSlotItem, thaw_slot_item, THAW, SLOT_ITEM, GObject)

struct _ThawSlotItem
{
  GObject   parent_instance;
  char     *name;
  char     *print;
  char     *class_name;
  char     *step;        /* the path step from the parent */
  StHandle  handle;      /* 0 for immediates and elements */
  gboolean  expandable;
};

G_DEFINE_FINAL_TYPE (ThawSlotItem, thaw_slot_item, G_TYPE_OBJECT)

static void
thaw_slot_item_finalize (GObject *object)
{
  ThawSlotItem *self = THAW_SLOT_ITEM (object);
  g_free (self->name);
  g_free (self->print);
  g_free (self->class_name);
  g_free (self->step);
  G_OBJECT_CLASS (thaw_slot_item_parent_class)->finalize (object);
}

static void thaw_slot_item_class_init (ThawSlotItemClass *klass) { G_OBJECT_CLASS (klass)->finalize = thaw_slot_item_finalize; }
static void thaw_slot_item_init (ThawSlotItem *self) { }

/* ---- the panel ---- */

struct _ThawInspector
{
  GtkBox parent_instance;

  /* owned widgets */
  GtkWidget *back_button;
  GtkWidget *forward_button;
  GtkWidget *path_entry;
  GtkWidget *title;
  GtkWidget *details;
  GtkWidget *column_view;
  GtkWidget *error_label;
  GtkWidget *edit_button;

  /* borrowed */
  StVM      *vm;

  /* owned */
  StHandles *handles;
  StPrinter *printer;
  GtkTreeListModel *tree;
  GPtrArray *history;       /* char * paths */
  guint      history_pos;   /* index of the current entry + 1; 0 = none */
  char      *print;
};

G_DEFINE_FINAL_TYPE (ThawInspector, thaw_inspector, GTK_TYPE_BOX)

enum { SIGNAL_EDIT_REQUESTED, N_SIGNALS };
static guint signals[N_SIGNALS];

static GListStore *
slots_of (ThawInspector *self, StOop oop)
{
  GListStore *store = g_list_store_new (THAW_TYPE_SLOT_ITEM);
  g_autoptr (GError) error = NULL;
  g_autoptr (StMirror) m = st_mirror_of (self->vm, self->handles, oop, MAX_SLOTS_SHOWN, &error);
  if (m == NULL)
    return store;
  for (guint i = 0; i < m->slots->len; i++)
    {
      const StMirrorSlot *s = g_ptr_array_index (m->slots, i);
      ThawSlotItem *item = g_object_new (THAW_TYPE_SLOT_ITEM, NULL);
      item->name = g_strdup (s->name);
      item->print = g_strdup (s->print);
      item->class_name = g_strdup (s->class_name ? s->class_name : "");
      item->step = g_strdup (s->step);
      item->handle = s->handle;
      item->expandable = !s->immediate && s->address != 0 && s->kind != ST_MIRROR_SLOT_ELEMENT;
      g_list_store_append (store, item);
      g_object_unref (item);
    }
  if (m->slots_omitted > 0)
    {
      ThawSlotItem *item = g_object_new (THAW_TYPE_SLOT_ITEM, NULL);
      item->name = g_strdup ("…");
      g_autofree char *more = g_strdup_printf ("%" G_GUINT64_FORMAT, m->slots_omitted);
      item->print = g_strdup_printf (_("%s more slots not shown"), more);
      item->class_name = g_strdup ("");
      item->step = g_strdup ("");
      g_list_store_append (store, item);
      g_object_unref (item);
    }
  return store;
}

static GListModel *
create_children (gpointer item_ptr, gpointer user_data)
{
  ThawInspector *self = user_data;
  ThawSlotItem *item = item_ptr;
  StOop oop;
  if (!item->expandable || self->vm == NULL || !st_handles_get (self->handles, item->handle, &oop))
    return NULL;
  GListStore *children = slots_of (self, oop);
  if (g_list_model_get_n_items (G_LIST_MODEL (children)) == 0)
    {
      g_object_unref (children);   /* nothing inside: no expander */
      return NULL;
    }
  return G_LIST_MODEL (children);
}

typedef enum { COL_NAME, COL_VALUE, COL_CLASS } Column;

static char *row_path (ThawInspector *self, GtkTreeListRow *row);

static ThawInspector *
inspector_of (GtkWidget *w)
{
  return THAW_INSPECTOR (gtk_widget_get_ancestor (w, THAW_TYPE_INSPECTOR));
}

static GdkContentProvider *
on_drag_prepare (GtkDragSource *source, double x, double y, gpointer data)
{
  GtkWidget *label = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (source));
  GtkTreeListRow *row = g_object_get_data (G_OBJECT (label), "row");
  ThawInspector *self = inspector_of (label);
  if (row == NULL || self == NULL)
    return NULL;
  g_autofree char *path = row_path (self, row);
  return gdk_content_provider_new_typed (G_TYPE_STRING, path);
}

static gboolean
on_drop_value (GtkDropTarget *target, const GValue *value, double x, double y, gpointer data)
{
  GtkWidget *label = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (target));
  GtkTreeListRow *row = g_object_get_data (G_OBJECT (label), "row");
  ThawInspector *self = inspector_of (label);
  if (row == NULL || self == NULL || !G_VALUE_HOLDS_STRING (value))
    return FALSE;
  g_autofree char *path = row_path (self, row);
  g_signal_emit (self, signals[SIGNAL_EDIT_REQUESTED], 0, path, g_value_get_string (value));
  return TRUE;
}

static void
setup_cell (GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (GPOINTER_TO_INT (data) == COL_NAME)
    {
      GtkWidget *expander = gtk_tree_expander_new ();
      gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), label);
      gtk_list_item_set_child (li, expander);
    }
  else
    {
      if (GPOINTER_TO_INT (data) == COL_VALUE)
        {
          gtk_widget_add_css_class (label, "field-value");
          /* Drag a value onto another slot to store it there. */
          GtkDragSource *drag = gtk_drag_source_new ();
          gtk_drag_source_set_actions (drag, GDK_ACTION_COPY);
          g_signal_connect (drag, "prepare", G_CALLBACK (on_drag_prepare), f);
          gtk_widget_add_controller (label, GTK_EVENT_CONTROLLER (drag));
          GtkDropTarget *drop = gtk_drop_target_new (G_TYPE_STRING, GDK_ACTION_COPY);
          g_signal_connect (drop, "drop", G_CALLBACK (on_drop_value), f);
          gtk_widget_add_controller (label, GTK_EVENT_CONTROLLER (drop));
        }
      gtk_list_item_set_child (li, label);
    }
}

static void
bind_cell (GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
  GtkTreeListRow *row = gtk_list_item_get_item (li);
  ThawSlotItem *item = gtk_tree_list_row_get_item (row);
  GtkWidget *child = gtk_list_item_get_child (li);
  switch (GPOINTER_TO_INT (data))
    {
    case COL_NAME:
      gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (child), row);
      gtk_label_set_text (GTK_LABEL (gtk_tree_expander_get_child (GTK_TREE_EXPANDER (child))), item->name);
      break;
    case COL_VALUE:
      gtk_label_set_text (GTK_LABEL (child), item->print);
      gtk_widget_set_tooltip_text (child, item->print);
      g_object_set_data_full (G_OBJECT (child), "row", g_object_ref (row), g_object_unref);
      break;
    case COL_CLASS:
      gtk_label_set_text (GTK_LABEL (child), item->class_name);
      break;
    }
  g_object_unref (item);
}

static void
add_column (ThawInspector *self, const char *title, Column c, gboolean expand)
{
  thaw_columns_add (GTK_COLUMN_VIEW (self->column_view), title, G_CALLBACK (setup_cell), G_CALLBACK (bind_cell),
                    GINT_TO_POINTER (c), expand, NULL);
}

/* The path from the shown object down to a row: steps joined by dots. */
static char *
row_path (ThawInspector *self, GtkTreeListRow *row)
{
  GPtrArray *steps = g_ptr_array_new ();
  g_object_ref (row);
  while (row != NULL)
    {
      ThawSlotItem *item = gtk_tree_list_row_get_item (row);
      g_ptr_array_insert (steps, 0, g_strdup (item->step));
      g_object_unref (item);
      GtkTreeListRow *parent = gtk_tree_list_row_get_parent (row);
      g_object_unref (row);
      row = parent;
    }
  const char *base = self->history_pos > 0 ? g_ptr_array_index (self->history, self->history_pos - 1) : "";
  g_ptr_array_insert (steps, 0, g_strdup (base));
  g_ptr_array_add (steps, NULL);
  char *path = g_strjoinv (".", (char **) steps->pdata);
  g_ptr_array_free (steps, TRUE);
  return path;
}

static void show_oop (ThawInspector *self, StOop oop, const char *path, gboolean record);

static void
on_row_activate (GtkColumnView *view, guint position, ThawInspector *self)
{
  GtkTreeListRow *row = g_list_model_get_item (G_LIST_MODEL (self->tree), position);
  if (row == NULL)
    return;
  ThawSlotItem *item = gtk_tree_list_row_get_item (row);
  StOop oop;
  if (item->expandable && st_handles_get (self->handles, item->handle, &oop))
    {
      g_autofree char *path = row_path (self, row);
      show_oop (self, oop, path, TRUE);
    }
  g_object_unref (item);
  g_object_unref (row);
}

static void
update_history_buttons (ThawInspector *self)
{
  gtk_widget_set_sensitive (self->back_button, self->history_pos > 1);
  gtk_widget_set_sensitive (self->forward_button, self->history_pos < self->history->len);
}

static void
show_oop (ThawInspector *self, StOop oop, const char *path, gboolean record)
{
  if (self->vm == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (StMirror) m = st_mirror_of (self->vm, NULL, oop, 0, &error);
  if (m == NULL)
    {
      gtk_label_set_text (GTK_LABEL (self->error_label), error ? error->message : _("This object cannot be read."));
      gtk_widget_set_visible (self->error_label, TRUE);
      return;
    }
  gtk_widget_set_visible (self->error_label, FALSE);
  if (record)
    {
      /* Forget the forward history, as browsers do. */
      g_ptr_array_set_size (self->history, self->history_pos);
      g_ptr_array_add (self->history, g_strdup (path));
      self->history_pos = self->history->len;
    }
  update_history_buttons (self);
  gtk_editable_set_text (GTK_EDITABLE (self->path_entry), path);

  g_free (self->print);
  self->print = g_strdup (m->print);
  gtk_label_set_text (GTK_LABEL (self->title), m->print);
  g_autofree char *hash = g_strdup_printf ("%u", m->identity_hash);
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, m->byte_size);
  g_autofree char *address = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", m->address);
  g_autofree char *details = m->immediate
    ? g_strdup_printf (_("an immediate %s"), m->class_name)
    /* TRANSLATORS: class, address, format number and name, hash, size in bytes */
    : g_strdup_printf (_("%s at %s · format %u (%s) · identity hash %s · %s bytes"),
                       m->class_name, address, m->format, m->format_name, hash, size);
  gtk_label_set_text (GTK_LABEL (self->details), details);

  GListStore *root = slots_of (self, oop);
  GtkTreeListModel *tree = gtk_tree_list_model_new (G_LIST_MODEL (root), FALSE, FALSE, create_children, self, NULL);
  GtkSelectionModel *sel = GTK_SELECTION_MODEL (gtk_single_selection_new (G_LIST_MODEL (g_object_ref (tree))));
  gtk_column_view_set_model (GTK_COLUMN_VIEW (self->column_view), sel);
  g_object_unref (sel);
  g_clear_object (&self->tree);
  self->tree = tree;
}

gboolean
thaw_inspector_show_path (ThawInspector *self, const char *path, GError **error)
{
  g_return_val_if_fail (self->vm != NULL, FALSE);
  StPathTarget target;
  if (!st_path_resolve (self->printer, path, &target, error))
    return FALSE;
  show_oop (self, target.value, path, TRUE);
  return TRUE;
}

void
thaw_inspector_show_address (ThawInspector *self, guint64 address)
{
  g_autofree char *path = g_strdup_printf ("@0x%" G_GINT64_MODIFIER "x", address);
  show_oop (self, address, path, TRUE);
}

const char *
thaw_inspector_get_print (ThawInspector *self)
{
  return self->print;
}

static void
go_to_history (ThawInspector *self, guint pos)
{
  if (pos == 0 || pos > self->history->len)
    return;
  self->history_pos = pos;
  const char *path = g_ptr_array_index (self->history, pos - 1);
  StPathTarget target;
  if (st_path_resolve (self->printer, path, &target, NULL))
    show_oop (self, target.value, path, FALSE);
  update_history_buttons (self);
}

static void on_back (GtkButton *b, ThawInspector *self) { go_to_history (self, self->history_pos - 1); }
static void on_forward (GtkButton *b, ThawInspector *self) { go_to_history (self, self->history_pos + 1); }

static void
on_path_activate (GtkEntry *entry, ThawInspector *self)
{
  g_autoptr (GError) error = NULL;
  const char *path = gtk_editable_get_text (GTK_EDITABLE (entry));
  if (!thaw_inspector_show_path (self, path, &error))
    {
      gtk_label_set_text (GTK_LABEL (self->error_label), error->message);
      gtk_widget_set_visible (self->error_label, TRUE);
    }
}

static void
on_shortcut (GtkButton *button, ThawInspector *self)
{
  const char *path = g_object_get_data (G_OBJECT (button), "path");
  g_autoptr (GError) error = NULL;
  if (self->vm != NULL && !thaw_inspector_show_path (self, path, &error))
    {
      gtk_label_set_text (GTK_LABEL (self->error_label), error->message);
      gtk_widget_set_visible (self->error_label, TRUE);
    }
}

void
thaw_inspector_set_vm (ThawInspector *self, StVM *vm)
{
  g_clear_pointer (&self->handles, st_handles_free);
  g_clear_pointer (&self->printer, st_printer_free);
  g_ptr_array_set_size (self->history, 0);
  self->history_pos = 0;
  gtk_column_view_set_model (GTK_COLUMN_VIEW (self->column_view), NULL);
  g_clear_object (&self->tree);
  self->vm = vm;
  if (vm == NULL)
    return;
  self->handles = st_handles_new (vm);
  self->printer = st_printer_new (vm);
  thaw_inspector_show_path (self, "special", NULL);
}

static void
thaw_inspector_dispose (GObject *object)
{
  ThawInspector *self = THAW_INSPECTOR (object);
  if (self->column_view != NULL)
    gtk_column_view_set_model (GTK_COLUMN_VIEW (self->column_view), NULL);
  g_clear_object (&self->tree);
  g_clear_pointer (&self->handles, st_handles_free);
  g_clear_pointer (&self->printer, st_printer_free);
  g_clear_pointer (&self->history, g_ptr_array_unref);
  g_clear_pointer (&self->print, g_free);
  G_OBJECT_CLASS (thaw_inspector_parent_class)->dispose (object);
}

static void
thaw_inspector_class_init (ThawInspectorClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = thaw_inspector_dispose;
  /* A slot (by path) should get a new value (edit text, see edit.h). */
  signals[SIGNAL_EDIT_REQUESTED] =
    g_signal_new ("edit-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

/* The path of the selected row, or NULL. */
static char *
selected_path (ThawInspector *self, char **slot_name)
{
  GtkSelectionModel *sel = gtk_column_view_get_model (GTK_COLUMN_VIEW (self->column_view));
  if (sel == NULL)
    return NULL;
  GtkTreeListRow *row = gtk_single_selection_get_selected_item (GTK_SINGLE_SELECTION (sel));
  if (row == NULL)
    return NULL;
  if (slot_name != NULL)
    {
      ThawSlotItem *item = gtk_tree_list_row_get_item (row);
      *slot_name = g_strdup (item->name);
      g_object_unref (item);
    }
  return row_path (self, row);
}

static void
on_edit_response (AdwMessageDialog *dialog, const char *response, ThawInspector *self)
{
  if (g_strcmp0 (response, "set") == 0)
    {
      GtkWidget *entry = adw_message_dialog_get_extra_child (dialog);
      const char *path = g_object_get_data (G_OBJECT (dialog), "path");
      g_signal_emit (self, signals[SIGNAL_EDIT_REQUESTED], 0, path, gtk_editable_get_text (GTK_EDITABLE (entry)));
    }
}

static void
on_edit_clicked (GtkButton *button, ThawInspector *self)
{
  g_autofree char *slot = NULL;
  g_autofree char *path = selected_path (self, &slot);
  if (path == NULL)
    return;
  g_autofree char *heading = g_strdup_printf (_("New Value for “%s”"), slot);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), heading,
                                              _("nil, true, false, a number, $c, 'a string', #aSymbol, or the path of an object"));
  GtkWidget *entry = gtk_entry_new ();
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_widget_add_css_class (entry, "field-value");
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "set", _("_Set"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "set", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "set");
  g_object_set_data_full (G_OBJECT (dialog), "path", g_steal_pointer (&path), g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (on_edit_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Show the current object again (after an edit changed the heap). */
void
thaw_inspector_refresh (ThawInspector *self)
{
  if (self->vm == NULL || self->history_pos == 0)
    return;
  go_to_history (self, self->history_pos);
}

static GtkWidget *
shortcut_button (ThawInspector *self, const char *label, const char *path, const char *tooltip)
{
  GtkWidget *b = gtk_button_new_with_label (label);
  gtk_widget_set_tooltip_text (b, tooltip);
  g_object_set_data_full (G_OBJECT (b), "path", g_strdup (path), g_free);
  g_signal_connect (b, "clicked", G_CALLBACK (on_shortcut), self);
  gtk_widget_add_css_class (b, "flat");
  return b;
}

static void
thaw_inspector_init (ThawInspector *self)
{
  self->history = g_ptr_array_new_with_free_func (g_free);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 6);
  gtk_widget_set_margin_top (GTK_WIDGET (self), 6);

  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_margin_start (bar, 6);
  gtk_widget_set_margin_end (bar, 6);
  self->back_button = gtk_button_new_from_icon_name ("go-previous-symbolic");
  gtk_widget_set_tooltip_text (self->back_button, _("Back"));
  g_signal_connect (self->back_button, "clicked", G_CALLBACK (on_back), self);
  self->forward_button = gtk_button_new_from_icon_name ("go-next-symbolic");
  gtk_widget_set_tooltip_text (self->forward_button, _("Forward"));
  g_signal_connect (self->forward_button, "clicked", G_CALLBACK (on_forward), self);
  GtkWidget *nav = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (nav, "linked");
  gtk_box_append (GTK_BOX (nav), self->back_button);
  gtk_box_append (GTK_BOX (nav), self->forward_button);
  gtk_box_append (GTK_BOX (bar), nav);
  self->path_entry = gtk_entry_new ();
  gtk_widget_set_hexpand (self->path_entry, TRUE);
  gtk_entry_set_placeholder_text (GTK_ENTRY (self->path_entry),
                                  _("A path: special.3.value, Smalltalk.Object, Object>>printString"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->path_entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Object path"), -1);
  gtk_widget_add_css_class (self->path_entry, "field-value");
  g_signal_connect (self->path_entry, "activate", G_CALLBACK (on_path_activate), self);
  gtk_box_append (GTK_BOX (bar), self->path_entry);
  self->edit_button = gtk_button_new_with_mnemonic (_("_Set Value…"));
  gtk_widget_set_tooltip_text (self->edit_button, _("Store a new value into the selected slot (or drag a value onto a slot)"));
  g_signal_connect (self->edit_button, "clicked", G_CALLBACK (on_edit_clicked), self);
  gtk_box_append (GTK_BOX (bar), self->edit_button);
  gtk_box_append (GTK_BOX (self), bar);

  GtkWidget *shortcuts = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_set_margin_start (shortcuts, 6);
  gtk_box_append (GTK_BOX (shortcuts), shortcut_button (self, _("Special Objects"), "special",
                                                        _("The special objects array")));
  gtk_box_append (GTK_BOX (shortcuts), shortcut_button (self, _("Smalltalk"), "special.8",
                                                        _("The system dictionary of globals")));
  gtk_box_append (GTK_BOX (shortcuts), shortcut_button (self, _("Processor"), "special.3.value",
                                                        _("The process scheduler")));
  gtk_box_append (GTK_BOX (shortcuts), shortcut_button (self, _("Active Process"), "special.3.value.activeProcess",
                                                        _("The process that was running when the image was saved")));
  gtk_box_append (GTK_BOX (self), shortcuts);

  self->title = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (self->title), PANGO_ELLIPSIZE_END);
  gtk_label_set_selectable (GTK_LABEL (self->title), TRUE);
  gtk_widget_add_css_class (self->title, "title-3");
  gtk_widget_set_margin_start (self->title, 12);
  gtk_box_append (GTK_BOX (self), self->title);
  self->details = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->details), 0);
  gtk_label_set_selectable (GTK_LABEL (self->details), TRUE);
  gtk_widget_add_css_class (self->details, "dim-label");
  gtk_widget_set_margin_start (self->details, 12);
  gtk_box_append (GTK_BOX (self), self->details);
  self->error_label = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->error_label, "error");
  gtk_label_set_wrap (GTK_LABEL (self->error_label), TRUE);
  gtk_widget_set_visible (self->error_label, FALSE);
  gtk_box_append (GTK_BOX (self), self->error_label);

  self->column_view = gtk_column_view_new (NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->column_view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Slots of the inspected object"), -1);
  add_column (self, _("Slot"), COL_NAME, FALSE);
  add_column (self, _("Value"), COL_VALUE, TRUE);
  add_column (self, _("Class"), COL_CLASS, FALSE);
  g_signal_connect (self->column_view, "activate", G_CALLBACK (on_row_activate), self);
  GtkWidget *scroller = gtk_scrolled_window_new ();
  gtk_widget_set_vexpand (scroller, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), self->column_view);
  gtk_box_append (GTK_BOX (self), scroller);
  update_history_buttons (self);
}
