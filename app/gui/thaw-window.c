/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "heap-check.h"
#include "image-read.h"
#include "census.h"
#include "edit.h"
#include "image-write.h"
#include "printer.h"
#include "trace.h"
#include "heap-map.h"
#include "host.h"
#include "interp.h"
#include "thaw-census-panel.h"
#include "thaw-display-view.h"
#include "thaw-gc-panel.h"
#include "thaw-heap-panel.h"
#include "thaw-inspector.h"
#include "thaw-processes-panel.h"
#include "thaw-debugger-panel.h"
#include "thaw-integrity-panel.h"
#include "thaw-settings.h"
#include "thaw-window.h"

struct _ThawWindow
{
  AdwApplicationWindow parent_instance;

  /* template */
  AdwViewSwitcherTitle *switcher_title;
  AdwViewStack    *view_stack;
  ThawIntegrityPanel *integrity_panel;
  ThawInspector   *inspector;
  ThawHeapPanel   *heap_panel;
  ThawCensusPanel *census_panel;
  ThawProcessesPanel *processes_panel;
  ThawDisplayView *display_view;
  ThawGcPanel     *gc_panel;
  GtkLabel        *status_label;
  GtkLabel        *rate_label;
  GtkStack        *stack;
  GtkLabel        *recent_label;
  GtkListBox      *recent_list;
  GtkProgressBar  *loading_progress;
  GtkLabel        *loading_label;
  GtkBox          *image_box;
  AdwStatusPage   *error_page;
  AdwToastOverlay *toast_overlay;
  GtkWidget       *undo_button;
  GtkWidget       *edits_button;
  GtkListBox      *edits_list;

  /* borrowed */
  GSettings       *settings;

  /* owned */
  StVM            *vm;
  StVM            *checking_vm;   /* the heap a check thread reads; freed late if replaced */
  StEditLog       *edits;
  StPrinter       *printer;
  gboolean         saving;        /* a save thread reads the heap */
  GHashTable      *shown;         /* Overview values by key, for win.export-state */
  char            *last_trace_report;
  gboolean         disposed;      /* async work finishing after the window closed does nothing */
  GFile           *file;
  GCancellable    *load_cancellable;
  guint            load_serial;

  /* running the image (see "running the image" below) */
  StHost          *host;          /* owns self->vm while it exists */
  StHost          *retired_host;  /* replaced while a check thread read its heap */
  StVM            *retired_vm;
  struct _MapLink *map_link;      /* the GC hook's way back to this window */
  StHostState      host_state;
  gboolean         live;          /* paused: the panels show the running heap */
  gboolean         want_live;     /* go live at the next pause */
  gboolean         awaiting_gc;   /* a full GC was asked for before going live */
  gboolean         pending_run;   /* run once the check thread is done */
  gboolean         run_on_load;
  char            *last_inspect;  /* the inspector's path, shown again when live */
  GSimpleActionGroup *engine_actions;
  StHostMessage   *last_status;
  guint            gc_maps;       /* heap maps shown from full collections */

  /* the debugger (the Debugger page shows the last DEBUG message) */
  ThawDebuggerPanel *debugger_panel;
  gboolean         debug_on_load; /* thaw --debug: attach, halted before the first bytecode */
  guint            debug_messages;
  guint64          locate_pc;     /* win.debug-locate-pc: export where this instruction is drawn */
};

G_DEFINE_FINAL_TYPE (ThawWindow, thaw_window, ADW_TYPE_APPLICATION_WINDOW)

static void set_action_enabled (ThawWindow *self, const char *name, gboolean enabled);
static void set_vm (ThawWindow *self, StVM *vm);
static void update_edits (ThawWindow *self);
static void remember_recent (GFile *file);
static void start_check (ThawWindow *self);
static void stop_host (ThawWindow *self);
static void drop_checked (ThawWindow *self, StVM *checked);
static void run_now (ThawWindow *self);
static void leave_live (ThawWindow *self);
static void update_engine_actions (ThawWindow *self);
static void debug_command (ThawWindow *self, const char *line);
static void export_debugger (ThawWindow *self, GKeyFile *kf);

gboolean
thaw_window_is_empty (ThawWindow *self)
{
  return self->vm == NULL && self->load_cancellable == NULL;
}

/* ---- the image page ---- */

static GtkWidget *
field_row (const char *title, const char *value, const char *tooltip)
{
  GtkWidget *row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  GtkWidget *label = gtk_label_new (value);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_width_chars (GTK_LABEL (label), MIN ((int) g_utf8_strlen (value, -1), 48));
  gtk_label_set_xalign (GTK_LABEL (label), 1.0);
  gtk_widget_add_css_class (label, "field-value");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  if (tooltip != NULL)
    {
      gtk_widget_set_tooltip_text (row, tooltip);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), tooltip);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  return row;
}

static GtkWidget *
group_new (const char *title, const char *description)
{
  GtkWidget *group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
  if (description != NULL)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), description);
  return group;
}

static void
add_row (ThawWindow *self, GtkWidget *group, const char *key, const char *title, const char *tooltip,
         const char *fmt, ...) G_GNUC_PRINTF (6, 7);

/* A row of the Overview; `key` names the value for win.export-state. */
static void
add_row (ThawWindow *self, GtkWidget *group, const char *key, const char *title, const char *tooltip,
         const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *value = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_hash_table_replace (self->shown, g_strdup (key), g_strdup (value));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), field_row (title, value, tooltip));
}

static void
clear_box (GtkBox *box)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_box_remove (box, child);
}

static void
show_image (ThawWindow *self)
{
  const StImageHeader *h = &self->vm->header;
  const StPersonality *p = &self->vm->personality;
  clear_box (self->image_box);
  g_hash_table_remove_all (self->shown);

  GtkWidget *g = group_new (_("Header"), _("The fields at the start of the image file, as saved by the virtual machine."));
  add_row (self, g, "image_format", _("Image format"), _("The format number: which object layout, word size and features the image uses."),
           "%u (%s)", h->image_format, st_image_format_describe (h->image_format));
  add_row (self, g, "header_size", _("Header size"), _("Bytes of header before the first object."), "%u", h->header_size);
  add_row (self, g, "data_size", _("Data size"), _("Bytes of objects (all segments) that follow the header."), "%" G_GUINT64_FORMAT, h->data_size);
  add_row (self, g, "old_base_address", _("Old base address"), _("Where the first object (nil) was in memory when the image was saved."),
           "0x%" G_GINT64_MODIFIER "x", h->old_base_addr);
  add_row (self, g, "special_objects_oop", _("Special objects"), _("Address of the special objects array, the root of everything the virtual machine knows by index."),
           "0x%" G_GINT64_MODIFIER "x", h->special_objects_oop);
  add_row (self, g, "last_hash", _("Last hash"), _("The seed of the identity-hash generator when the image was saved."),
           "0x%" G_GINT64_MODIFIER "x", h->last_hash);
  add_row (self, g, "saved_window_extent", _("Saved window size"), _("Width and height of the display window when the image was saved."),
           "%u × %u", (guint) ((h->saved_window_size >> 16) & 0xFFFF), (guint) (h->saved_window_size & 0xFFFF));
  add_row (self, g, "header_flags", _("Header flags"), _("Bits recording how the image wants to run: float word order, preemption, finalization, wheel events…"),
           "0x%" G_GINT64_MODIFIER "x", h->header_flags);
  add_row (self, g, "extra_vm_memory", _("Extra VM memory"), _("Bytes the image asks the virtual machine to reserve beyond its objects."), "%u", h->extra_vm_memory);
  if (p->family == ST_FAMILY_SPUR)
    {
      add_row (self, g, "num_stack_pages", _("Stack pages"), _("How many stack pages the image asks a stack virtual machine for."), "%u", h->num_stack_pages);
      add_row (self, g, "cog_code_size_kib", _("Code size"), _("KiB of machine code zone the image asks a JIT virtual machine for."), "%u", h->cog_code_size);
      add_row (self, g, "eden_bytes", _("Eden bytes"), _("The size of new space the image asks for."), "%u", h->eden_bytes);
      add_row (self, g, "max_ext_sem_tab_size", _("External semaphores"), _("The maximum size of the external semaphore table."), "%u", h->max_ext_sem_tab_size);
      add_row (self, g, "image_version", _("Image version"), _("Pharo records its image version here; Squeak leaves it zero."), "%u", h->image_version);
      add_row (self, g, "first_segment_size", _("First segment size"), _("Bytes in the first old-space segment, its bridge included."), "%" G_GUINT64_FORMAT, h->first_seg_size);
      add_row (self, g, "free_old_space", _("Free old space"), _("Free bytes in old space when the image was saved."), "%" G_GUINT64_FORMAT, h->free_old_space);
    }
  gtk_box_append (self->image_box, g);

  g = group_new (_("Personality"), _("What the image's own code expects of the machine that runs it."));
  add_row (self, g, "family", _("Object memory"), _("V3 is the memory layout before 2014; Spur is the current one."),
           "%s", p->family == ST_FAMILY_SPUR ? "Spur" : "V3");
  add_row (self, g, "word_bits", _("Word size"), _("The word size the image was saved with."), _("%u bits"), p->word_bytes * 8);
  add_row (self, g, "byte_order", _("Byte order"), NULL, "%s", p->big_endian ? _("big-endian") : _("little-endian"));
  add_row (self, g, "blocks", _("Blocks"), _("Images from before 2008 use BlockContexts; later ones use BlockClosures."),
           "%s", p->closures ? _("closures") : _("BlockContexts"));
  add_row (self, g, "bytecode_sets", _("Bytecode sets"), _("Whether methods may use the SistaV1 bytecode set."),
           "%s", p->sista ? _("V3PlusClosures and SistaV1") : _("one"));
  add_row (self, g, "folder_format", _("Folder format"), _("Whether the image is a Pharo folder of segment files."), "%s", p->folder ? _("yes") : _("no"));
  gtk_box_append (self->image_box, g);

  g = group_new (_("Segments"), _("Old space is a list of segments joined by bridges."));
  for (guint i = 0; i < self->vm->n_segments; i++)
    {
      const StSegment *s = &self->vm->segments[i];
      g_autofree char *title = g_strdup_printf (_("Segment %u"), i);
      g_autofree char *start = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", s->start);
      g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, s->bytes);
      /* TRANSLATORS: a segment's start address and its size */
      g_autofree char *key = g_strdup_printf ("segment_%u", i);
      add_row (self, g, key, title, NULL, _("%s, %s bytes"), start, size);
    }
  gtk_box_append (self->image_box, g);

  if (self->vm->defects->len > 0)
    {
      g = group_new (_("Damage Met While Reading"),
                     _("The image is damaged. Thaw kept what it could read; these are the places it could not."));
      for (guint i = 0; i < self->vm->defects->len; i++)
        {
          const StDefect *d = g_ptr_array_index (self->vm->defects, i);
          g_autofree char *where = d->file_offset == G_MAXUINT64 ? g_strdup (_("unknown offset"))
                                   : g_strdup_printf ("%" G_GUINT64_FORMAT, d->file_offset);
          g_autofree char *title = g_strdup_printf (_("At file offset %s"), where);
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (g),
                                     field_row (d->file_offset == G_MAXUINT64 ? where : title, "", d->message));
        }
      gtk_box_append (self->image_box, g);
    }

  g = group_new (_("Companion Files"), _("Source code lives beside the image in the changes and sources files."));
  add_row (self, g, "changes_file", _("Changes file"), NULL, "%s", self->vm->changes_path ? self->vm->changes_path : _("not found"));
  add_row (self, g, "sources_file", _("Sources file"), NULL, "%s", self->vm->sources_path ? self->vm->sources_path : _("not found"));
  gtk_box_append (self->image_box, g);

  g_autofree char *name = g_file_get_basename (self->file);
  adw_view_switcher_title_set_title (self->switcher_title, name);
  adw_view_switcher_title_set_subtitle (self->switcher_title, st_image_format_describe (h->image_format));
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, TRUE);
  gtk_window_set_title (GTK_WINDOW (self), name);
  gtk_stack_set_visible_child_name (self->stack, "image");
}

static void
show_error (ThawWindow *self, GFile *file, const GError *error)
{
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *title = g_strdup_printf (_("“%s” Cannot Be Opened"), name);
  adw_status_page_set_title (self->error_page, title);
  adw_status_page_set_description (self->error_page, error->message);
  adw_view_switcher_title_set_title (self->switcher_title, _("Thaw"));
  adw_view_switcher_title_set_subtitle (self->switcher_title, NULL);
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, FALSE);
  gtk_stack_set_visible_child_name (self->stack, "error");
}

/* ---- the integrity check, off the main thread ---- */

static void start_check (ThawWindow *self);

typedef struct {
  StCheckReport *report;
  StHeapMap     *map;
  StCensus      *census;
} Analysis;

static void
analysis_free (gpointer p)
{
  Analysis *a = p;
  g_clear_pointer (&a->report, st_check_report_free);
  g_clear_pointer (&a->map, st_heap_map_free);
  g_clear_pointer (&a->census, st_census_free);
  g_free (a);
}

static void
check_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  /* The window does not change the heap while this runs: the map and the
   * census come first (the panels show them soonest), then the check. */
  Analysis *a = g_new0 (Analysis, 1);
  a->map = st_heap_map_build (task_data);
  a->census = st_census_take (task_data, ST_CENSUS_SORT_COUNT);
  a->report = st_heap_check (task_data, NULL);
  g_task_return_pointer (task, a, analysis_free);
}

static void
check_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (source);
  StVM *checked = g_task_get_task_data (G_TASK (result));
  Analysis *a = g_task_propagate_pointer (G_TASK (result), NULL);
  self->checking_vm = NULL;
  if (self->disposed)
    {
      if (checked != self->vm)
        drop_checked (self, checked);
      if (a != NULL)
        analysis_free (a);
      return;
    }
  if (checked != self->vm)
    {
      /* The window moved on to another image while this one was checked. */
      drop_checked (self, checked);
      if (a != NULL)
        analysis_free (a);
      if (self->vm != NULL)
        start_check (self);
      return;
    }
  if (a == NULL)
    return;
  thaw_heap_panel_set_model (self->heap_panel, self->vm, g_steal_pointer (&a->map));
  thaw_census_panel_set_model (self->census_panel, self->vm, g_steal_pointer (&a->census));
  thaw_integrity_panel_set_report (self->integrity_panel, g_steal_pointer (&a->report));
  analysis_free (a);
  if (self->pending_run)
    run_now (self);
  AdwViewStackPage *page = adw_view_stack_get_page (self->view_stack, GTK_WIDGET (self->integrity_panel));
  guint64 n = thaw_integrity_panel_get_n_findings (self->integrity_panel);
  adw_view_stack_page_set_needs_attention (page, n > 0);
  adw_view_stack_page_set_badge_number (page, (guint) MIN (n, G_MAXUINT));
}

static void
start_check (ThawWindow *self)
{
  if (self->checking_vm != NULL)
    return;   /* one check at a time; the running one finishes first */
  thaw_integrity_panel_set_checking (self->integrity_panel);
  self->checking_vm = self->vm;
  g_autoptr (GTask) task = g_task_new (self, NULL, check_done, NULL);
  g_task_set_task_data (task, self->vm, NULL);
  g_task_run_in_thread (task, check_thread);
}

/* Replace the heap the window shows (NULL to drop it). */
static void
set_vm (ThawWindow *self, StVM *vm)
{
  stop_host (self);
  thaw_inspector_set_vm (self->inspector, NULL);
  thaw_processes_panel_set_vm (self->processes_panel, NULL);
  thaw_heap_panel_set_model (self->heap_panel, NULL, NULL);
  thaw_census_panel_set_model (self->census_panel, NULL, NULL);
  g_clear_pointer (&self->edits, st_edit_log_free);
  g_clear_pointer (&self->printer, st_printer_free);
  if (self->vm != self->checking_vm)
    st_vm_free (self->vm);
  self->vm = vm;
  if (vm == NULL)
    return;
  self->edits = st_edit_log_new (vm);
  self->printer = st_printer_new (vm);
  thaw_gc_panel_clear (self->gc_panel);
  update_engine_actions (self);
  thaw_inspector_set_vm (self->inspector, vm);
  thaw_processes_panel_set_vm (self->processes_panel, vm);
}

static void
toast (ThawWindow *self, const char *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

/* The title shows the image's name, marked while it has unsaved edits. */
static void
update_title (ThawWindow *self)
{
  if (self->file == NULL)
    return;
  g_autofree char *name = g_file_get_basename (self->file);
  guint n = self->edits ? st_edit_log_count (self->edits) : 0;
  g_autofree char *title = n > 0 ? g_strdup_printf ("• %s", name) : g_strdup (name);
  adw_view_switcher_title_set_title (self->switcher_title, title);
  gtk_window_set_title (GTK_WINDOW (self), title);
}

static void
update_edits (ThawWindow *self)
{
  GtkWidget *c;
  while ((c = gtk_widget_get_first_child (GTK_WIDGET (self->edits_list))) != NULL)
    gtk_list_box_remove (self->edits_list, c);
  guint n = self->edits ? st_edit_log_count (self->edits) : 0;
  for (guint i = n; i-- > 0;)
    {
      const StEdit *e = st_edit_log_get (self->edits, i);
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), e->description);
      if (e->note != NULL)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), e->note);
      gtk_list_box_append (self->edits_list, row);
    }
  g_autofree char *label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u edit", "%u edits", n), n);
  gtk_menu_button_set_label (GTK_MENU_BUTTON (self->edits_button), label);
  gtk_widget_set_visible (self->edits_button, n > 0);
  gtk_widget_set_visible (self->undo_button, n > 0);
  GAction *undo = g_action_map_lookup_action (G_ACTION_MAP (self), "undo");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (undo), n > 0);
  update_title (self);
}

/* The heap changed: every panel shows it anew. */
static void
heap_changed (ThawWindow *self)
{
  thaw_inspector_refresh (self->inspector);
  thaw_processes_panel_set_vm (self->processes_panel, self->vm);
  update_edits (self);
  start_check (self);
}

static gboolean
heap_busy (ThawWindow *self)
{
  if (self->host != NULL && !self->live)
    {
      toast (self, _("The image is running; pause it first."));
      return TRUE;
    }
  if (self->checking_vm != NULL || self->saving)
    {
      toast (self, _("The image is being checked or saved; try again in a moment."));
      return TRUE;
    }
  return FALSE;
}

/* Apply "PATH=VALUE"; TRUE when the heap changed. */
static gboolean
apply_edit (ThawWindow *self, const char *path, const char *value)
{
  if (self->vm == NULL || heap_busy (self))
    return FALSE;
  g_autofree char *assignment = g_strdup_printf ("%s=%s", path, value);
  g_autoptr (GError) error = NULL;
  if (!st_edit_apply (self->vm, self->edits, self->printer, assignment, &error))
    {
      g_autofree char *text = g_strdup_printf (_("The edit was not made: %s"), error->message);
      toast (self, text);
      return FALSE;
    }
  heap_changed (self);
  return TRUE;
}

static void
on_edit_requested (ThawInspector *inspector, const char *path, const char *value, ThawWindow *self)
{
  apply_edit (self, path, value);
}

/* An object was activated in a panel: show it in the inspector. */
static void
show_object (ThawWindow *self, guint64 address)
{
  thaw_inspector_show_address (self->inspector, address);
  adw_view_stack_set_visible_child_name (self->view_stack, "inspector");
}

/* A finding was activated: mark it on the heap map and inspect it. */
static void
show_finding (ThawWindow *self, guint64 address)
{
  thaw_heap_panel_mark (self->heap_panel, address);
  show_object (self, address);
}

/* ---- recent images ---- */

static void
recent_row_activated (GtkListBox *box, GtkListBoxRow *row, ThawWindow *self)
{
  const char *uri = g_object_get_data (G_OBJECT (row), "uri");
  g_autoptr (GFile) file = g_file_new_for_uri (uri);
  thaw_window_open_file (self, file);
}

static gint
compare_recent (gconstpointer a, gconstpointer b)
{
  GDateTime *ta = gtk_recent_info_get_modified ((GtkRecentInfo *) a);
  GDateTime *tb = gtk_recent_info_get_modified ((GtkRecentInfo *) b);
  return g_date_time_compare (tb, ta);
}

static void
fill_recent (ThawWindow *self)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->recent_list))) != NULL)
    gtk_list_box_remove (self->recent_list, child);

  int limit = g_settings_get_int (self->settings, THAW_SETTINGS_RECENT_IMAGES_SHOWN);
  GtkRecentManager *manager = gtk_recent_manager_get_default ();
  GList *items = gtk_recent_manager_get_items (manager);
  GList *mine = NULL;
  for (GList *l = items; l != NULL; l = l->next)
    {
      GtkRecentInfo *info = l->data;
      if (gtk_recent_info_has_application (info, g_get_application_name ())
          && g_strcmp0 (gtk_recent_info_get_mime_type (info), THAW_IMAGE_MIME_TYPE) == 0
          && gtk_recent_info_exists (info))
        mine = g_list_prepend (mine, info);
    }
  mine = g_list_sort (mine, compare_recent);
  int n = 0;
  for (GList *l = mine; l != NULL && n < limit; l = l->next, n++)
    {
      GtkRecentInfo *info = l->data;
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), gtk_recent_info_get_display_name (info));
      g_autofree char *where = gtk_recent_info_get_uri_display (info);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), where);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "uri", g_strdup (gtk_recent_info_get_uri (info)), g_free);
      gtk_list_box_append (self->recent_list, row);
    }
  g_list_free (mine);
  g_list_free_full (items, (GDestroyNotify) gtk_recent_info_unref);
  gtk_widget_set_visible (GTK_WIDGET (self->recent_list), n > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->recent_label), n > 0);
}

static void
remember_recent (GFile *file)
{
  g_autofree char *uri = g_file_get_uri (file);
  GtkRecentData data = {
    .display_name = NULL,
    .description = NULL,
    .mime_type = (char *) THAW_IMAGE_MIME_TYPE,
    .app_name = (char *) g_get_application_name (),
    .app_exec = (char *) "thaw %f",
    .groups = NULL,
    .is_private = FALSE,
  };
  gtk_recent_manager_add_full (gtk_recent_manager_get_default (), uri, &data);
}

static void
remember_recent_path (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  remember_recent (file);
}

/* ---- loading off the main thread ---- */

typedef struct {
  char         *path;
  GWeakRef      window;
  guint         serial;
  double        fraction;
} LoadJob;

static void
load_job_free (gpointer p)
{
  LoadJob *job = p;
  g_free (job->path);
  g_weak_ref_clear (&job->window);
  g_free (job);
}

typedef struct {
  GWeakRef window;
  guint    serial;
  double   fraction;
} ProgressUpdate;

static gboolean
apply_progress (gpointer p)
{
  ProgressUpdate *u = p;
  ThawWindow *self = g_weak_ref_get (&u->window);
  if (self != NULL)
    {
      if (!self->disposed && self->load_serial == u->serial)
        gtk_progress_bar_set_fraction (self->loading_progress, u->fraction);
      g_object_unref (self);
    }
  g_weak_ref_clear (&u->window);
  g_free (u);
  return G_SOURCE_REMOVE;
}

typedef struct {
  GTask   *task;
  LoadJob *job;
  gint64   last_report;
} ProgressCtx;

static gboolean
on_read_progress (double fraction, gpointer user_data)
{
  ProgressCtx *ctx = user_data;
  if (g_task_return_error_if_cancelled (ctx->task))
    return FALSE;
  gint64 now = g_get_monotonic_time ();
  if (now - ctx->last_report > 50000 || fraction >= 1.0)
    {
      ctx->last_report = now;
      ProgressUpdate *u = g_new0 (ProgressUpdate, 1);
      GObject *win = g_weak_ref_get (&ctx->job->window);
      g_weak_ref_init (&u->window, win);
      g_clear_object (&win);
      u->serial = ctx->job->serial;
      u->fraction = fraction;
      g_main_context_invoke (NULL, apply_progress, u);
    }
  return TRUE;
}

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LoadJob *job = task_data;
  ProgressCtx ctx = { task, job, 0 };
  GError *error = NULL;
  StVM *vm = st_image_read_full (job->path, ST_READ_SALVAGE, on_read_progress, &ctx, &error);
  if (g_task_had_error (task))
    {
      /* cancelled: already returned */
      g_clear_error (&error);
      st_vm_free (vm);
      return;
    }
  if (vm == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, vm, (GDestroyNotify) st_vm_free);
}

static void
load_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (source);
  LoadJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  StVM *vm = g_task_propagate_pointer (G_TASK (result), &error);
  if (self->disposed || job->serial != self->load_serial)
    {
      st_vm_free (vm);   /* a later load replaced this one */
      return;
    }
  g_clear_object (&self->load_cancellable);
  set_action_enabled (self, "cancel-load", FALSE);
  g_autoptr (GFile) file = g_file_new_for_path (job->path);
  if (vm == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          gtk_stack_set_visible_child_name (self->stack, self->vm ? "image" : "empty");
          return;
        }
      show_error (self, file, error);
      return;
    }
  set_vm (self, vm);
  g_set_object (&self->file, file);
  remember_recent (file);
  show_image (self);
  update_edits (self);
  if (self->debug_on_load)
    {
      /* halted before the first bytecode, on the Debugger page */
      self->debug_on_load = FALSE;
      adw_view_stack_set_visible_child_name (self->view_stack, "debugger");
      debug_command (self, "");
      return;
    }
  if (self->run_on_load)
    {
      /* straight to the display; the panels fill in when it pauses
       * (images opened later in this window wait for Run) */
      self->run_on_load = FALSE;
      adw_view_stack_set_visible_child_name (self->view_stack, "display");
      run_now (self);
      return;
    }
  start_check (self);
}

void
thaw_window_open_file (ThawWindow *self, GFile *file)
{
  g_return_if_fail (THAW_IS_WINDOW (self));
  g_autofree char *path = g_file_get_path (file);
  if (path == NULL)
    {
      g_autoptr (GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                              _("Only local files can be opened."));
      show_error (self, file, error);
      return;
    }
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();
  self->load_serial++;

  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *text = g_strdup_printf (_("Reading “%s”…"), name);
  gtk_label_set_text (self->loading_label, text);
  gtk_progress_bar_set_fraction (self->loading_progress, 0.0);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  set_action_enabled (self, "cancel-load", TRUE);

  LoadJob *job = g_new0 (LoadJob, 1);
  job->path = g_steal_pointer (&path);
  job->serial = self->load_serial;
  g_weak_ref_init (&job->window, self);
  g_autoptr (GTask) task = g_task_new (self, self->load_cancellable, load_done, NULL);
  g_task_set_task_data (task, job, load_job_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, load_thread);
}

/* ---- actions ---- */

static void
open_response (GtkNativeDialog *dialog, int response, ThawWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      if (file != NULL)
        thaw_window_open_file (self, file);
    }
  g_object_unref (dialog);
}

static void
action_open (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Open Image"), GTK_WINDOW (self),
                                                              GTK_FILE_CHOOSER_ACTION_OPEN,
                                                              _("_Open"), _("_Cancel"));
  GtkFileFilter *images = gtk_file_filter_new ();
  gtk_file_filter_set_name (images, _("Smalltalk images"));
  gtk_file_filter_add_pattern (images, "*.image");
  gtk_file_filter_add_mime_type (images, THAW_IMAGE_MIME_TYPE);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), images);
  GtkFileFilter *all = gtk_file_filter_new ();
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), all);
  g_object_unref (images);
  g_object_unref (all);
  g_signal_connect (dialog, "response", G_CALLBACK (open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
action_cancel_load (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
}

/* ---- drag and drop ---- */

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, ThawWindow *self)
{
  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  GSList *files = g_value_get_boxed (value);
  if (files == NULL)
    return FALSE;
  thaw_window_open_file (self, G_FILE (files->data));
  /* More than one file: the others open in windows of their own. */
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  for (GSList *l = files->next; l != NULL; l = l->next)
    {
      GFile *f = l->data;
      g_application_open (app, &f, 1, "");
    }
  return TRUE;
}

/* ---- window size ---- */

static gboolean
thaw_window_close_request (GtkWindow *window)
{
  ThawWindow *self = THAW_WINDOW (window);
  int width, height;
  gtk_window_get_default_size (window, &width, &height);
  gboolean maximized = gtk_window_is_maximized (window);
  if (!maximized)
    {
      g_settings_set_int (self->settings, THAW_SETTINGS_WINDOW_WIDTH, MAX (width, 360));
      g_settings_set_int (self->settings, THAW_SETTINGS_WINDOW_HEIGHT, MAX (height, 294));
    }
  g_settings_set_boolean (self->settings, THAW_SETTINGS_WINDOW_MAXIMIZED, maximized);
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  return GTK_WINDOW_CLASS (thaw_window_parent_class)->close_request (window);
}

static void
thaw_window_dispose (GObject *object)
{
  ThawWindow *self = THAW_WINDOW (object);
  self->disposed = TRUE;
  if (self->inspector != NULL)
    thaw_inspector_set_vm (self->inspector, NULL);
  /* the engine stops here (within a second), not when the window is finalized */
  if (self->display_view != NULL)
    stop_host (self);
  g_clear_pointer (&self->last_inspect, g_free);
  g_clear_pointer (&self->last_status, st_host_message_unref);
  g_clear_object (&self->engine_actions);
  g_clear_pointer (&self->edits, st_edit_log_free);
  g_clear_pointer (&self->printer, st_printer_free);
  g_clear_pointer (&self->shown, g_hash_table_unref);
  g_clear_pointer (&self->last_trace_report, g_free);
  if (self->heap_panel != NULL)
    thaw_heap_panel_set_model (self->heap_panel, NULL, NULL);
  if (self->processes_panel != NULL)
    thaw_processes_panel_set_vm (self->processes_panel, NULL);
  if (self->census_panel != NULL)
    thaw_census_panel_set_model (self->census_panel, NULL, NULL);
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), THAW_TYPE_WINDOW);
  G_OBJECT_CLASS (thaw_window_parent_class)->dispose (object);
}

static void
thaw_window_finalize (GObject *object)
{
  ThawWindow *self = THAW_WINDOW (object);
  st_vm_free (self->vm);
  g_clear_object (&self->file);
  G_OBJECT_CLASS (thaw_window_parent_class)->finalize (object);
}

static void
thaw_window_class_init (ThawWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = thaw_window_dispose;
  object_class->finalize = thaw_window_finalize;
  window_class->close_request = thaw_window_close_request;

  g_type_ensure (THAW_TYPE_INTEGRITY_PANEL);
  g_type_ensure (THAW_TYPE_INSPECTOR);
  g_type_ensure (THAW_TYPE_HEAP_PANEL);
  g_type_ensure (THAW_TYPE_CENSUS_PANEL);
  g_type_ensure (THAW_TYPE_PROCESSES_PANEL);
  g_type_ensure (THAW_TYPE_DISPLAY_VIEW);
  g_type_ensure (THAW_TYPE_GC_PANEL);
  gtk_widget_class_set_template_from_resource (widget_class, "/dev/thaw/Thaw/ui/thaw-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, integrity_panel);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, inspector);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, heap_panel);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, census_panel);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, processes_panel);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, display_view);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, gc_panel);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, rate_label);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, recent_label);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, recent_list);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, loading_progress);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, loading_label);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, image_box);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, undo_button);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, edits_button);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, edits_list);
}

static void
action_show_panel (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  const char *name = g_variant_get_string (param, NULL);
  if (self->vm != NULL && adw_view_stack_get_child_by_name (self->view_stack, name) != NULL)
    adw_view_stack_set_visible_child_name (self->view_stack, name);
}

static void
action_inspect (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  if (self->vm == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_free (self->last_inspect);
  self->last_inspect = g_strdup (g_variant_get_string (param, NULL));
  if (self->host != NULL && !self->live)
    return;   /* shown when the image pauses */
  if (thaw_inspector_show_path (self->inspector, g_variant_get_string (param, NULL), &error))
    adw_view_stack_set_visible_child_name (self->view_stack, "inspector");
  else
    g_message ("inspect: %s", error->message);
}

static void
action_undo (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  if (self->vm == NULL || self->edits == NULL || heap_busy (self))
    return;
  g_autoptr (GError) error = NULL;
  if (!st_edit_undo (self->vm, self->edits, &error))
    {
      toast (self, error->message);
      return;
    }
  heap_changed (self);
}

static void
action_edit (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  const char *text = g_variant_get_string (param, NULL);
  const char *eq = strchr (text, '=');
  if (eq == NULL)
    {
      toast (self, _("An edit is written PATH=VALUE."));
      return;
    }
  g_autofree char *path = g_strndup (text, eq - text);
  apply_edit (self, g_strstrip (path), eq + 1);
}

/* ---- saving ---- */

typedef struct {
  char        *path;
  StImageKind  kind;
  StWriteFlags flags;
} SaveJob;

static void
save_job_free (gpointer p)
{
  SaveJob *job = p;
  g_free (job->path);
  g_free (job);
}

static void
save_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ThawWindow *self = source;
  SaveJob *job = task_data;
  GError *error = NULL;
  if (!st_image_write (self->vm, job->path, job->kind, job->flags, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* The changes file goes beside the new image, so its sources stay readable. */
  if (self->vm->changes_path != NULL && !st_image_copy_changes (self->vm, job->path, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
save_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (source);
  SaveJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  self->saving = FALSE;
  if (self->disposed)
    return;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *text = g_strdup_printf (_("The image was not saved: %s"), error->message);
      toast (self, text);
      return;
    }
  g_autofree char *name = g_path_get_basename (job->path);
  g_autofree char *text = g_strdup_printf (_("Saved as “%s”"), name);
  toast (self, text);
  /* The window now shows the saved copy; its edits are in that file. */
  g_clear_object (&self->file);
  self->file = g_file_new_for_path (job->path);
  g_free (self->vm->image_path);
  self->vm->image_path = g_strdup (job->path);
  g_clear_pointer (&self->edits, st_edit_log_free);
  self->edits = st_edit_log_new (self->vm);
  update_edits (self);
  remember_recent (self->file);
}

static void
save_to (ThawWindow *self, const char *path, StImageKind kind, StWriteFlags flags)
{
  if (self->host != NULL && kind == ST_IMAGE_KIND_SAME && !(flags & ST_WRITE_FORCE)
      && self->checking_vm == NULL && !self->saving)
    {
      /* The engine thread pauses, collects (objects move: the panels let
       * go of the heap), writes and carries on. */
      gboolean paused = self->host_state == ST_HOST_STATE_PAUSED;
      leave_live (self);
      self->want_live = paused;
      self->saving = TRUE;
      st_host_save (self->host, path);
      return;
    }
  if (self->vm == NULL || heap_busy (self))
    return;
  self->saving = TRUE;
  SaveJob *job = g_new0 (SaveJob, 1);
  job->path = g_strdup (path);
  job->kind = kind;
  job->flags = flags;
  g_autoptr (GTask) task = g_task_new (self, NULL, save_done, NULL);
  g_task_set_task_data (task, job, save_job_free);
  g_task_run_in_thread (task, save_thread);
}

static void
action_save_to (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  /* For scripts and tests: save in the image's own format, never over a file. */
  save_to (THAW_WINDOW (user_data), g_variant_get_string (param, NULL), ST_IMAGE_KIND_SAME, ST_WRITE_DEFAULT);
}

static void
save_response (GtkNativeDialog *dialog, int response, ThawWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      const char *format = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (dialog), "format");
      StImageKind kind = ST_IMAGE_KIND_SAME;
      if (format != NULL)
        st_image_kind_from_string (format, &kind);
      if (path != NULL)
        {
          /* The chooser asked before replacing a file; keep the old one as .bak. */
          StWriteFlags flags = g_file_test (path, G_FILE_TEST_EXISTS) ? ST_WRITE_FORCE | ST_WRITE_BACKUP : ST_WRITE_DEFAULT;
          save_to (self, path, kind, flags);
        }
    }
  g_object_unref (dialog);
}

static void
action_save_as (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  if (self->vm == NULL)
    return;
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Save a Copy of the Image"), GTK_WINDOW (self),
                                                              GTK_FILE_CHOOSER_ACTION_SAVE,
                                                              _("_Save"), _("_Cancel"));
  static const char *ids[] = { "same", "spur64", "spur32", "folder", NULL };
  const char *labels[] = { _("The image’s own format"), _("Spur 64-bit"), _("Spur 32-bit"),
                           _("Pharo folder format"), NULL };
  gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (dialog), "format", _("Format"), ids, labels);
  gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (dialog), "format", "same");
  if (self->file != NULL)
    {
      g_autoptr (GFile) dir = g_file_get_parent (self->file);
      g_autofree char *base = g_file_get_basename (self->file);
      char *dot = strrchr (base, '.');
      if (dot != NULL)
        *dot = '\0';
      g_autofree char *name = g_strdup_printf ("%s-repaired.image", base);
      if (dir != NULL)
        gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (dialog), dir, NULL);
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
    }
  g_signal_connect (dialog, "response", G_CALLBACK (save_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- Save Clean Copy: the tracer ---- */

typedef struct {
  StTraceSpec *spec;
  char        *path;      /* NULL for a dry run */
  StImageKind  kind;
  StWriteFlags flags;
  StTraceReport report;
} TraceJob;

static void
trace_job_free (gpointer p)
{
  TraceJob *job = p;
  st_trace_spec_free (job->spec);
  st_trace_report_clear (&job->report);
  g_free (job->path);
  g_free (job);
}

static void
trace_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ThawWindow *self = source;
  TraceJob *job = task_data;
  GError *error = NULL;
  StVM *clean = st_trace (self->vm, &job->spec->options, &job->report, &error);
  if (error != NULL)
    {
      st_vm_free (clean);
      g_task_return_error (task, error);
      return;
    }
  if (job->path != NULL)
    {
      gboolean ok = st_image_write (clean, job->path, job->kind, job->flags, &error)
                    && (self->vm->changes_path == NULL || st_image_copy_changes (self->vm, job->path, &error));
      st_vm_free (clean);
      if (!ok)
        {
          g_task_return_error (task, error);
          return;
        }
    }
  g_task_return_boolean (task, TRUE);
}

/* The report as a few lines a person reads. */
static char *
trace_report_text (const TraceJob *job)
{
  const StTraceReport *r = &job->report;
  GString *s = g_string_new (NULL);
  g_autofree char *before = g_format_size (r->heap_bytes_before);
  g_autofree char *after = g_format_size (r->heap_bytes_after);
  g_autofree char *garbage = g_format_size (r->garbage_bytes);
  char n1[32], n2[32], n3[32];
  g_snprintf (n1, sizeof n1, "%" G_GUINT64_FORMAT, r->objects_before);
  g_snprintf (n2, sizeof n2, "%" G_GUINT64_FORMAT, r->live_objects);
  g_snprintf (n3, sizeof n3, "%" G_GUINT64_FORMAT, r->garbage_objects);
  g_string_append_printf (s, _("Objects: %s before, %s reachable."), n1, n2);
  g_string_append_c (s, '\n');
  g_string_append_printf (s, _("Heap: %s before, %s after."), before, after);
  g_string_append_c (s, '\n');
  g_string_append_printf (s, _("Unreachable, dropped: %s objects (%s)."), n3, garbage);
  for (guint i = 0; r->garbage_by_class != NULL && i < r->garbage_by_class->len && i < 5; i++)
    {
      const StTraceClassCount *c = &g_array_index (r->garbage_by_class, StTraceClassCount, i);
      g_string_append_printf (s, "\n  %s: %" G_GUINT64_FORMAT, c->class_name ? c->class_name : "?", c->objects);
    }
  if (r->clamped_objects > 0 || r->cut_objects > 0)
    {
      g_snprintf (n1, sizeof n1, "%" G_GUINT64_FORMAT, r->clamped_objects);
      g_snprintf (n2, sizeof n2, "%" G_GUINT64_FORMAT, r->clamped_refs);
      g_snprintf (n3, sizeof n3, "%" G_GUINT64_FORMAT, r->cut_objects);
      g_string_append_c (s, '\n');
      g_string_append_printf (s, _("Left out: %s objects, %s references set to nil, %s more objects cut off."), n1, n2, n3);
    }
  if (r->replaced_refs > 0)
    {
      g_snprintf (n1, sizeof n1, "%" G_GUINT64_FORMAT, r->replaced_refs);
      g_string_append_c (s, '\n');
      g_string_append_printf (s, _("Replaced references: %s."), n1);
    }
  if (r->bad_refs > 0)
    {
      g_snprintf (n1, sizeof n1, "%" G_GUINT64_FORMAT, r->bad_refs);
      g_string_append_c (s, '\n');
      g_string_append_printf (s, _("Bad references skipped (written as nil): %s."), n1);
    }
  return g_string_free (s, FALSE);
}

static void
trace_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (source);
  TraceJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  self->saving = FALSE;
  if (self->disposed)
    return;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *text = g_strdup_printf (_("No clean copy was made: %s"), error->message);
      toast (self, text);
      return;
    }
  g_autofree char *body = trace_report_text (job);
  g_autofree char *name = job->path ? g_path_get_basename (job->path) : NULL;
  g_autofree char *heading = name ? g_strdup_printf (_("Clean Copy Saved as “%s”"), name)
                                  : g_strdup (_("What a Clean Copy Would Drop"));
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
  g_free (self->last_trace_report);
  self->last_trace_report = g_steal_pointer (&body);
}

static void
start_trace (ThawWindow *self, const char *clamps, const char *replacements, const char *path, StImageKind kind,
             StWriteFlags flags)
{
  if (self->vm == NULL || heap_busy (self))
    return;
  g_auto (GStrv) c = g_strsplit_set (clamps ? clamps : "", " \t\n", -1);
  g_auto (GStrv) r = g_strsplit_set (replacements ? replacements : "", " \t\n", -1);
  /* drop the empty pieces between separators */
  g_autoptr (GPtrArray) cv = g_ptr_array_new ();
  g_autoptr (GPtrArray) rv = g_ptr_array_new ();
  for (guint i = 0; c[i] != NULL; i++)
    if (*c[i])
      g_ptr_array_add (cv, c[i]);
  for (guint i = 0; r[i] != NULL; i++)
    if (*r[i])
      g_ptr_array_add (rv, r[i]);
  g_ptr_array_add (cv, NULL);
  g_ptr_array_add (rv, NULL);
  g_autoptr (GError) error = NULL;
  StTraceSpec *spec = st_trace_spec_new (self->printer, (const char *const *) cv->pdata,
                                         (const char *const *) rv->pdata, path == NULL, &error);
  if (spec == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("No clean copy was made: %s"), error->message);
      toast (self, text);
      return;
    }
  TraceJob *job = g_new0 (TraceJob, 1);
  job->spec = spec;
  job->path = g_strdup (path);
  job->kind = kind;
  job->flags = flags;
  self->saving = TRUE;
  g_autoptr (GTask) task = g_task_new (self, NULL, trace_done, NULL);
  g_task_set_task_data (task, job, trace_job_free);
  g_task_run_in_thread (task, trace_thread);
}

static void
trace_file_response (GtkNativeDialog *dialog, int response, ThawWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      const char *format = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (dialog), "format");
      StImageKind kind = ST_IMAGE_KIND_SAME;
      if (format != NULL)
        st_image_kind_from_string (format, &kind);
      const char *clamps = g_object_get_data (G_OBJECT (dialog), "clamps");
      const char *replacements = g_object_get_data (G_OBJECT (dialog), "replacements");
      if (path != NULL)
        start_trace (self, clamps, replacements, path, kind,
                     g_file_test (path, G_FILE_TEST_EXISTS) ? ST_WRITE_FORCE | ST_WRITE_BACKUP : ST_WRITE_DEFAULT);
    }
  g_object_unref (dialog);
}

static void
trace_options_response (AdwMessageDialog *dialog, const char *response, ThawWindow *self)
{
  GtkWidget *box = adw_message_dialog_get_extra_child (dialog);
  GtkWidget *clamp_entry = g_object_get_data (G_OBJECT (box), "clamp");
  GtkWidget *replace_entry = g_object_get_data (G_OBJECT (box), "replace");
  const char *clamps = gtk_editable_get_text (GTK_EDITABLE (clamp_entry));
  const char *replacements = gtk_editable_get_text (GTK_EDITABLE (replace_entry));
  if (g_strcmp0 (response, "report") == 0)
    start_trace (self, clamps, replacements, NULL, ST_IMAGE_KIND_SAME, ST_WRITE_DEFAULT);
  else if (g_strcmp0 (response, "save") == 0)
    {
      GtkFileChooserNative *chooser = gtk_file_chooser_native_new (_("Save a Clean Copy"), GTK_WINDOW (self),
                                                                   GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
      static const char *ids[] = { "same", "spur64", "spur32", "folder", NULL };
      const char *labels[] = { _("The image’s own format"), _("Spur 64-bit"), _("Spur 32-bit"),
                               _("Pharo folder format"), NULL };
      gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (chooser), "format", _("Format"), ids, labels);
      gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (chooser), "format", "same");
      if (self->file != NULL)
        {
          g_autofree char *base = g_file_get_basename (self->file);
          char *dot = strrchr (base, '.');
          if (dot != NULL)
            *dot = '\0';
          g_autofree char *name = g_strdup_printf ("%s-clean.image", base);
          gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
        }
      g_object_set_data_full (G_OBJECT (chooser), "clamps", g_strdup (clamps), g_free);
      g_object_set_data_full (G_OBJECT (chooser), "replacements", g_strdup (replacements), g_free);
      g_signal_connect (chooser, "response", G_CALLBACK (trace_file_response), self);
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
    }
}

static GtkWidget *
labelled_entry (GtkWidget *box, const char *label, const char *placeholder)
{
  GtkWidget *l = gtk_label_new (label);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_widget_add_css_class (l, "heading");
  GtkWidget *e = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (e), placeholder);
  gtk_widget_add_css_class (e, "field-value");
  gtk_accessible_update_property (GTK_ACCESSIBLE (e), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_box_append (GTK_BOX (box), l);
  gtk_box_append (GTK_BOX (box), e);
  return e;
}

static void
action_save_clean_copy (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  if (self->vm == NULL)
    return;
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Save a Clean Copy"),
                                              _("The copy holds only the objects reachable from the image’s roots, "
                                                "packed together. Objects can be left out (every reference to them "
                                                "becomes nil) or replaced by others."));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *clamp = labelled_entry (box, _("Leave out"), _("paths or classes, e.g. Smalltalk.Foo special.3.value"));
  GtkWidget *replace = labelled_entry (box, _("Replace"), _("FROM=TO pairs, e.g. OldClass=NewClass"));
  g_object_set_data (G_OBJECT (box), "clamp", clamp);
  g_object_set_data (G_OBJECT (box), "replace", replace);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "report", _("_Report Only"), "save", _("_Choose File…"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  g_signal_connect (dialog, "response", G_CALLBACK (trace_options_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* For scripts and tests: trace to PATH in the image's own format, no options. */
static void
action_save_clean_to (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  start_trace (THAW_WINDOW (user_data), NULL, NULL, g_variant_get_string (param, NULL), ST_IMAGE_KIND_SAME,
               ST_WRITE_DEFAULT);
}

/* ---- running the image ----
 *
 * The first Run hands the heap to an StHost (host.h), whose engine thread
 * owns it from then on; self->vm stays as a borrowed pointer.  While the
 * image runs, nothing on this side reads the heap: the inspector, the
 * processes and census panels are emptied and the heap map keeps no
 * heap pointer.  When it pauses, the window asks for a full collection
 * (so heap walks see every object) and, once that is reported, shows the
 * paused heap in every panel ("live") until the next command that runs
 * the engine.  A GC hook builds a heap map on the engine thread after each
 * full collection, so the map follows the running image. */

typedef struct _MapLink {
  GWeakRef     window;
  gint         ref;
} MapLink;

static void
map_link_unref (MapLink *link)
{
  if (link != NULL && g_atomic_int_dec_and_test (&link->ref))
    {
      g_weak_ref_clear (&link->window);
      g_free (link);
    }
}

typedef struct {
  MapLink   *link;
  StHeapMap *map;
} MapDelivery;

static gboolean
deliver_map (gpointer data)
{
  MapDelivery *d = data;
  ThawWindow *self = g_weak_ref_get (&d->link->window);
  if (self != NULL)
    {
      if (!self->disposed && self->host != NULL && self->checking_vm == NULL)
        {
          thaw_heap_panel_set_model (self->heap_panel, self->live ? self->vm : NULL, g_steal_pointer (&d->map));
          self->gc_maps++;
        }
      g_object_unref (self);
    }
  return G_SOURCE_REMOVE;
}

static void
map_delivery_free (gpointer data)
{
  MapDelivery *d = data;
  g_clear_pointer (&d->map, st_heap_map_free);
  map_link_unref (d->link);
  g_free (d);
}

/* On the engine thread, after each collection: a full one has just left
 * old space compacted and new space empty, so the map sees every object. */
static void
heap_map_hook (StVM *vm, gboolean after, const StGcSample *sample, gpointer data)
{
  MapLink *link = data;
  if (!after || sample == NULL || sample->kind != ST_GC_FULL)
    return;
  MapDelivery *d = g_new0 (MapDelivery, 1);
  d->map = st_heap_map_build (vm);
  g_atomic_int_inc (&link->ref);
  d->link = link;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT_IDLE, deliver_map, d, map_delivery_free);
}

/* A check thread finished reading a heap the window no longer shows. */
static void
drop_checked (ThawWindow *self, StVM *checked)
{
  if (self->retired_host != NULL && checked == self->retired_vm)
    {
      st_host_free (g_steal_pointer (&self->retired_host));
      self->retired_vm = NULL;
      return;
    }
  st_vm_free (checked);
}

static void
leave_live (ThawWindow *self)
{
  self->live = FALSE;
  self->want_live = FALSE;
  self->awaiting_gc = FALSE;
  thaw_inspector_set_vm (self->inspector, NULL);
  thaw_processes_panel_set_vm (self->processes_panel, NULL);
  thaw_census_panel_set_model (self->census_panel, NULL, NULL);
  thaw_heap_panel_set_model (self->heap_panel, NULL, NULL);
}

/* Paused (and collected): every panel shows the heap as it is now. */
static void
go_live (ThawWindow *self)
{
  self->live = TRUE;
  self->want_live = FALSE;
  self->awaiting_gc = FALSE;
  thaw_inspector_set_vm (self->inspector, self->vm);
  if (self->last_inspect != NULL)
    thaw_inspector_show_path (self->inspector, self->last_inspect, NULL);
  thaw_processes_panel_set_vm (self->processes_panel, self->vm);
  start_check (self);
}

static const char *
state_label (StHostState s)
{
  switch (s)
    {
    case ST_HOST_STATE_PAUSED: return _("Paused");
    case ST_HOST_STATE_RUNNING: return _("Running");
    case ST_HOST_STATE_IDLE: return _("Idle: every process waits for input or a timer");
    case ST_HOST_STATE_HALTED: return _("Halted");
    case ST_HOST_STATE_QUIT: return _("The image quit");
    default: return "";
    }
}

static void
update_status (ThawWindow *self, const StHostMessage *msg)
{
  const char *state = state_label (msg->state);
  g_autofree char *text = msg->halt_reason != NULL && (msg->state == ST_HOST_STATE_HALTED || msg->state == ST_HOST_STATE_QUIT)
                          ? g_strdup_printf ("%s: %s", state, msg->halt_reason) : g_strdup (state);
  gtk_label_set_text (self->status_label, text);
  g_autofree char *switches = g_strdup_printf ("%" G_GUINT64_FORMAT, (guint64) msg->process_switches);
  /* TRANSLATORS: bytecodes and sends per second in millions, then a count */
  g_autofree char *rate = g_strdup_printf (_("%.2f M bytecodes/s · %.2f M sends/s · %s process switches"),
                                           msg->bytecodes_per_sec / 1e6, msg->sends_per_sec / 1e6, switches);
  gtk_label_set_text (self->rate_label, rate);
}

/* The host writes the image; its .changes file goes beside it too, so the
 * saved image's source pointers stay readable (as when saving a stopped
 * image).  Off the main thread, with copies of both paths. */
static void
copy_changes_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  char **paths = task_data;
  g_autoptr (GFile) from = g_file_new_for_path (paths[0]);
  g_autofree char *dest = st_image_changes_path_for (paths[1]);
  g_autoptr (GFile) to = g_file_new_for_path (dest);
  GError *error = NULL;
  if (g_file_equal (from, to) || g_file_copy (from, to, G_FILE_COPY_NONE, NULL, NULL, NULL, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
copy_changes_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (source);
  g_autoptr (GError) error = NULL;
  if (!g_task_propagate_boolean (G_TASK (result), &error) && !self->disposed)
    {
      g_autofree char *text = g_strdup_printf (_("The changes file was not copied: %s"), error->message);
      toast (self, text);
    }
}

static void
on_host_message (const StHostMessage *msg, gpointer data)
{
  ThawWindow *self = data;
  g_assert (g_main_context_is_owner (g_main_context_default ()));
  if (self->disposed || self->host == NULL)
    return;
  switch (msg->kind)
    {
    case ST_HOST_MSG_STATUS:
    case ST_HOST_MSG_STOPPED:
      g_clear_pointer (&self->last_status, st_host_message_unref);
      self->last_status = st_host_message_ref ((StHostMessage *) msg);
      self->host_state = msg->state;
      update_status (self, msg);
      update_engine_actions (self);
      /* an image that halted or quit by itself is shown as it stopped */
      if ((msg->state == ST_HOST_STATE_HALTED || msg->state == ST_HOST_STATE_QUIT) && !self->live)
        self->want_live = TRUE;
      if (msg->kind == ST_HOST_MSG_STATUS && self->want_live && !self->awaiting_gc
          && msg->state != ST_HOST_STATE_RUNNING && msg->state != ST_HOST_STATE_IDLE)
        {
          /* paused or halted: collect first, so heap walks see every object */
          self->awaiting_gc = TRUE;
          st_host_gc (self->host);
        }
      break;
    case ST_HOST_MSG_DISPLAY:
      thaw_display_view_frame_ready (self->display_view);
      break;
    case ST_HOST_MSG_CURSOR:
      thaw_display_view_set_cursor_from (self->display_view, msg);
      break;
    case ST_HOST_MSG_GC:
      if (msg->gc_samples != NULL)
        thaw_gc_panel_add_samples (self->gc_panel, (const StGcSample *) msg->gc_samples->data, msg->gc_samples->len);
      thaw_gc_panel_set_stats (self->gc_panel, &msg->gc_stats);
      if (self->awaiting_gc && st_host_state (self->host) != ST_HOST_STATE_RUNNING
          && st_host_state (self->host) != ST_HOST_STATE_IDLE)
        go_live (self);
      break;
    case ST_HOST_MSG_SAVED:
      {
        self->saving = FALSE;
        g_autofree char *name = msg->path ? g_path_get_basename (msg->path) : g_strdup ("");
        g_autofree char *text = msg->error != NULL ? g_strdup_printf (_("The image was not saved: %s"), msg->error)
                                                   : g_strdup_printf (_("Saved as “%s”"), name);
        toast (self, text);
        if (msg->error == NULL && msg->path != NULL)
          {
            remember_recent_path (msg->path);
            if (self->vm->changes_path != NULL)
              {
                char **paths = g_new0 (char *, 3);
                paths[0] = g_strdup (self->vm->changes_path);
                paths[1] = g_strdup (msg->path);
                g_autoptr (GTask) task = g_task_new (self, NULL, copy_changes_done, NULL);
                g_task_set_task_data (task, paths, (GDestroyNotify) g_strfreev);
                g_task_run_in_thread (task, copy_changes_thread);
              }
          }
        /* the save collected: a paused image can be shown at once */
        if (self->want_live && st_host_state (self->host) == ST_HOST_STATE_PAUSED)
          go_live (self);
      }
      break;
    case ST_HOST_MSG_INSPECTED:
      break;
    case ST_HOST_MSG_DEBUG:
      self->debug_messages++;
      thaw_debugger_panel_show (self->debugger_panel, msg);
      adw_view_stack_set_visible_child_name (self->view_stack, "debugger");
      break;
    }
}

static void
stop_host (ThawWindow *self)
{
  if (self->host == NULL)
    return;
  thaw_display_view_set_host (self->display_view, NULL);
  StHost *host = g_steal_pointer (&self->host);
  if (self->checking_vm != NULL && self->checking_vm == self->vm)
    {
      /* a check thread still reads this heap: free it when that ends */
      if (self->retired_host != NULL)
        st_host_free (self->retired_host);
      self->retired_host = host;
      self->retired_vm = self->vm;
    }
  else
    st_host_free (host);
  g_clear_pointer (&self->map_link, map_link_unref);
  self->vm = NULL;
  self->live = self->want_live = self->awaiting_gc = self->pending_run = FALSE;
  g_clear_pointer (&self->last_status, st_host_message_unref);
  if (!self->disposed)
    {
      thaw_debugger_panel_show (self->debugger_panel, NULL);
      gtk_label_set_text (self->status_label, _("Not running"));
      gtk_label_set_text (self->rate_label, "");
    }
}

/* The engine thread, made at the first Run. */
static gboolean
ensure_host (ThawWindow *self)
{
  if (self->host != NULL)
    return TRUE;
  if (self->vm == NULL)
    return FALSE;
  g_autoptr (GError) error = NULL;
  if (self->vm->interp == NULL && !st_interp_init (self->vm, &error))
    {
      g_autofree char *text = g_strdup_printf (_("The image cannot run: %s"), error->message);
      toast (self, text);
      return FALSE;
    }
  MapLink *link = g_new0 (MapLink, 1);
  link->ref = 1;
  g_weak_ref_init (&link->window, self);
  st_gc_add_hook (self->vm, heap_map_hook, link);
  StHostOptions options = { 0 };
  self->host = st_host_new (self->vm, NULL, on_host_message, self, &options, &error);
  if (self->host == NULL)
    {
      map_link_unref (link);
      g_autofree char *text = g_strdup_printf (_("The image cannot run: %s"), error->message);
      toast (self, text);
      return FALSE;
    }
  /* the VM's hook holds the link until the host frees the VM */
  self->map_link = link;
  g_atomic_int_inc (&link->ref);
  self->host_state = ST_HOST_STATE_PAUSED;
  thaw_display_view_set_host (self->display_view, self->host);
  return TRUE;
}

/* Commands that run the engine: the panels let go of the heap first. */
static gboolean
prepare_engine_command (ThawWindow *self)
{
  if (self->vm == NULL)
    return FALSE;
  if (self->checking_vm != NULL || self->saving)
    {
      toast (self, _("The image is being checked or saved; try again in a moment."));
      return FALSE;
    }
  if (!ensure_host (self))
    return FALSE;
  leave_live (self);
  return TRUE;
}

static void
run_now (ThawWindow *self)
{
  self->pending_run = FALSE;
  if (self->vm != NULL && self->checking_vm != NULL)
    {
      self->pending_run = TRUE;   /* the check thread reads the heap; run when it is done */
      return;
    }
  gboolean first = self->host == NULL;
  if (!prepare_engine_command (self))
    return;
  if (first)   /* the first run shows what the image draws */
    adw_view_stack_set_visible_child_name (self->view_stack, "display");
  st_host_run (self->host);
}

static void
action_run (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  run_now (THAW_WINDOW (user_data));
}

static void
action_pause (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  self->pending_run = FALSE;
  if (self->host == NULL || self->live)
    return;
  self->want_live = TRUE;
  self->awaiting_gc = FALSE;
  st_host_pause (self->host);
}

static void
action_step (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  if (!prepare_engine_command (self))
    return;
  self->want_live = TRUE;
  st_host_step (self->host);
}

static void
action_gc (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  gboolean paused = self->host == NULL || self->host_state == ST_HOST_STATE_PAUSED
                    || self->host_state == ST_HOST_STATE_HALTED || self->host_state == ST_HOST_STATE_QUIT;
  if (!prepare_engine_command (self))
    return;
  if (paused)
    {
      /* the collection moves objects: show the heap again after it */
      self->want_live = TRUE;
      self->awaiting_gc = TRUE;
    }
  st_host_gc (self->host);
}

static void
update_engine_actions (ThawWindow *self)
{
  if (self->engine_actions == NULL)
    return;
  gboolean have = self->vm != NULL;
  gboolean finished = self->host != NULL && (self->host_state == ST_HOST_STATE_HALTED || self->host_state == ST_HOST_STATE_QUIT);
  gboolean running = self->host != NULL && (self->host_state == ST_HOST_STATE_RUNNING || self->host_state == ST_HOST_STATE_IDLE);
  static const char *names[] = { "run", "pause", "step", "gc" };
  gboolean enabled[] = { have && !finished && !running, have && running, have && !finished && !running, have };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GAction *a = g_action_map_lookup_action (G_ACTION_MAP (self), names[i]);
      g_simple_action_set_enabled (G_SIMPLE_ACTION (a), enabled[i]);
    }
}

void
thaw_window_set_debug_on_load (ThawWindow *self, gboolean debug)
{
  g_return_if_fail (THAW_IS_WINDOW (self));
  self->debug_on_load = debug;
}

void
thaw_window_set_run_on_load (ThawWindow *self, gboolean run)
{
  g_return_if_fail (THAW_IS_WINDOW (self));
  self->run_on_load = run;
}

/* For scripts and tests: the display as the image drew it, as PNG. */
static void
action_export_frame (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  g_autoptr (GError) error = NULL;
  if (!thaw_display_view_save_png (self->display_view, g_variant_get_string (param, NULL), &error))
    g_warning ("export-frame: %s", error->message);
}

/* For scripts and tests: input through the display view's own conversion
 * (see thaw_display_view_synthesize). */
static void
action_post_input (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  g_autoptr (GError) error = NULL;
  if (!thaw_display_view_synthesize (self->display_view, g_variant_get_string (param, NULL), &error))
    g_warning ("post-input: %s", error->message);
}

static void
action_zoom (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  thaw_display_view_set_zoom (self->display_view, g_variant_get_int32 (param));
}

/* The run state and the display for win.export-state. */
static void
export_running (ThawWindow *self, GKeyFile *kf)
{
  const StHostMessage *m = self->last_status;
  g_key_file_set_string (kf, "engine", "state",
                         self->host == NULL ? "none" : st_host_state_name (st_host_state (self->host)));
  g_key_file_set_boolean (kf, "engine", "live", self->live);
  if (m != NULL)
    {
      g_key_file_set_string (kf, "engine", "status_state", st_host_state_name (m->state));
      g_key_file_set_string (kf, "engine", "halt_reason", m->halt_reason ? m->halt_reason : "");
      g_key_file_set_double (kf, "engine", "bytecodes_per_sec", m->bytecodes_per_sec);
      g_key_file_set_uint64 (kf, "engine", "bytecodes", m->bytecodes);
      g_key_file_set_uint64 (kf, "engine", "process_switches", m->process_switches);
      g_key_file_set_uint64 (kf, "engine", "display_updates", m->display_updates);
      g_key_file_set_uint64 (kf, "engine", "events_delivered", m->events_delivered);
    }
  g_key_file_set_string (kf, "engine", "status_text", gtk_label_get_text (self->status_label));
  int w, h;
  thaw_display_view_get_frame_size (self->display_view, &w, &h);
  ThawDisplayStats ds;
  thaw_display_view_get_stats (self->display_view, &ds);
  double x, y, scale;
  thaw_display_view_get_placement (self->display_view, &x, &y, &scale);
  g_key_file_set_integer (kf, "display", "width", w);
  g_key_file_set_integer (kf, "display", "height", h);
  g_key_file_set_integer (kf, "display", "zoom", thaw_display_view_get_zoom (self->display_view));
  g_key_file_set_double (kf, "display", "scale", scale);
  g_key_file_set_integer (kf, "display", "scale_factor", gtk_widget_get_scale_factor (GTK_WIDGET (self->display_view)));
  /* where the frame is, in the toplevel surface's coordinates */
  graphene_rect_t bounds;
  double sx = 0, sy = 0;
  if (gtk_widget_compute_bounds (GTK_WIDGET (self->display_view), GTK_WIDGET (self), &bounds))
    {
      gtk_native_get_surface_transform (GTK_NATIVE (self), &sx, &sy);
      g_key_file_set_double (kf, "display", "surface_x", sx + bounds.origin.x + x);
      g_key_file_set_double (kf, "display", "surface_y", sy + bounds.origin.y + y);
      g_key_file_set_integer (kf, "display", "view_width", (int) bounds.size.width);
      g_key_file_set_integer (kf, "display", "view_height", (int) bounds.size.height);
    }
  g_key_file_set_uint64 (kf, "display", "frames", ds.frames);
  g_key_file_set_uint64 (kf, "display", "events_posted", ds.events_posted);
  g_key_file_set_int64 (kf, "display", "take_usecs_last", ds.take_usecs_last);
  g_key_file_set_int64 (kf, "display", "snapshot_usecs_last", ds.snapshot_usecs_last);
  g_key_file_set_int64 (kf, "display", "paint_usecs_last", ds.paint_usecs_last);
  g_key_file_set_int64 (kf, "display", "paint_usecs_max", ds.paint_usecs_max);
  g_key_file_set_int64 (kf, "display", "paint_usecs_mean", ds.paints ? ds.paint_usecs_total / (gint64) ds.paints : 0);
  g_key_file_set_uint64 (kf, "display", "paints", ds.paints);
  g_key_file_set_uint64 (kf, "display", "cursors", ds.cursors);
  g_key_file_set_integer (kf, "display", "cursor_width", ds.cursor_width);
  g_key_file_set_integer (kf, "display", "cursor_height", ds.cursor_height);
  g_key_file_set_integer (kf, "gc", "samples", (int) thaw_gc_panel_get_n_samples (self->gc_panel));
  g_key_file_set_integer (kf, "gc", "full", (int) thaw_gc_panel_get_n_full (self->gc_panel));
  g_key_file_set_integer (kf, "gc", "heap_maps", (int) self->gc_maps);
  const StGcSample *last = thaw_gc_panel_get_last (self->gc_panel);
  if (last != NULL)
    {
      g_key_file_set_uint64 (kf, "gc", "last_seq", last->seq);
      g_key_file_set_string (kf, "gc", "last_kind", st_gc_kind_name (last->kind));
      g_key_file_set_uint64 (kf, "gc", "last_heap_bytes", last->heap_bytes);
      g_key_file_set_uint64 (kf, "gc", "last_objects_after", last->objects_after);
    }
}

/* Write what the panels show to a key file, so tests (and bug reports) can
 * compare the window with thaw-cli. */
static void
action_export_state (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_key_file_set_string (kf, "window", "title", gtk_window_get_title (GTK_WINDOW (self)) ?: "");
  g_key_file_set_string (kf, "window", "page", gtk_stack_get_visible_child_name (self->stack) ?: "");
  g_key_file_set_string (kf, "window", "panel", adw_view_stack_get_visible_child_name (self->view_stack) ?: "");
  g_key_file_set_boolean (kf, "window", "analysed", self->vm != NULL && self->checking_vm == NULL);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, self->shown);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_key_file_set_string (kf, "overview", k, v);
  if (self->vm != NULL)
    {
      g_key_file_set_uint64 (kf, "census", "total_objects", thaw_census_panel_get_total_objects (self->census_panel));
      g_key_file_set_uint64 (kf, "integrity", "findings", thaw_integrity_panel_get_n_findings (self->integrity_panel));
      g_key_file_set_integer (kf, "processes", "count", (int) thaw_processes_panel_get_n_processes (self->processes_panel));
      g_key_file_set_string (kf, "inspector", "print", thaw_inspector_get_print (self->inspector) ?: "");
      g_key_file_set_integer (kf, "edits", "count", self->edits ? (int) st_edit_log_count (self->edits) : 0);
      g_key_file_set_integer (kf, "reader", "defects", (int) self->vm->defects->len);
      g_key_file_set_boolean (kf, "window", "busy", self->saving);
      if (self->last_trace_report != NULL)
        g_key_file_set_string (kf, "trace", "report", self->last_trace_report);
      export_running (self, kf);
      export_debugger (self, kf);
    }
  g_autoptr (GError) error = NULL;
  if (!g_key_file_save_to_file (kf, g_variant_get_string (param, NULL), &error))
    g_warning ("export-state: %s", error->message);
}

/* The debugger: one command line (debug-script.h) for the engine thread;
 * its answer comes back as a DEBUG message. */
static void
debug_command (ThawWindow *self, const char *line)
{
  if (!prepare_engine_command (self))
    return;
  st_host_debug (self->host, line);
}

static void
on_debugger_command (ThawDebuggerPanel *panel, const char *line, ThawWindow *self)
{
  debug_command (self, line);
}

static void
action_debug_command (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  debug_command (THAW_WINDOW (user_data), g_variant_get_string (param, NULL));
}

static void
action_debug_next (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  debug_command (THAW_WINDOW (user_data), "next");
}

static void
action_debug_step (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  debug_command (THAW_WINDOW (user_data), "step");
}

static void
action_debug_finish (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  debug_command (THAW_WINDOW (user_data), "finish");
}

/* F6: pause through the debugger when it is attached. */
static void
action_debug_pause (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  if (thaw_debugger_panel_get_message (self->debugger_panel) != NULL && self->host != NULL)
    debug_command (self, "pause");
  else
    g_action_activate (g_action_map_lookup_action (G_ACTION_MAP (self), "pause"), NULL);
}

/* For tests: a click on the instruction at pc of the Debugger's bytecodes. */
static void
action_debug_toggle_pc (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawWindow *self = THAW_WINDOW (user_data);
  if (!thaw_debugger_panel_toggle_pc (self->debugger_panel, g_variant_get_uint64 (param)))
    g_warning ("debug-toggle-pc: no instruction at pc %" G_GUINT64_FORMAT, g_variant_get_uint64 (param));
}

/* For tests: export-state says where the Debugger's bytecodes draw the
 * instruction at pc (to click it), and the Run to Here button. */
static void
action_debug_locate_pc (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  THAW_WINDOW (user_data)->locate_pc = g_variant_get_uint64 (param);
}

static void
action_debug_run_to_here (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  thaw_debugger_panel_run_to_here (THAW_WINDOW (user_data)->debugger_panel);
}

/* The debugger's state for win.export-state. */
static void
export_debugger (ThawWindow *self, GKeyFile *kf)
{
  const StHostMessage *m = thaw_debugger_panel_get_message (self->debugger_panel);
  g_key_file_set_boolean (kf, "debugger", "attached", m != NULL);
  g_key_file_set_integer (kf, "debugger", "messages", (int) self->debug_messages);
  if (m == NULL)
    return;
  g_key_file_set_string (kf, "debugger", "halt_reason", m->debug_reason ? m->debug_reason : "");
  g_key_file_set_string (kf, "debugger", "top_frame", m->debug_top_frame ? m->debug_top_frame : "");
  g_key_file_set_string (kf, "debugger", "method", m->debug_method ? m->debug_method : "");
  g_key_file_set_uint64 (kf, "debugger", "pc", m->debug_pc);
  g_key_file_set_uint64 (kf, "debugger", "bytecodes", m->bytecodes);
  g_key_file_set_string (kf, "debugger", "command", m->debug_command ? m->debug_command : "");
  g_key_file_set_string (kf, "debugger", "error", m->debug_error ? m->debug_error : "");
  g_key_file_set_string (kf, "debugger", "output", m->debug_output ? m->debug_output : "");
  g_key_file_set_boolean (kf, "debugger", "heap_copy", m->debug_vm != NULL);
  guint n = m->debug_breakpoints ? g_strv_length (m->debug_breakpoints) : 0;
  g_key_file_set_integer (kf, "debugger", "breakpoint_count", (int) n);
  if (n > 0)
    g_key_file_set_string_list (kf, "debugger", "breakpoints", (const char *const *) m->debug_breakpoints, n);
  n = m->debug_checkpoints ? g_strv_length (m->debug_checkpoints) : 0;
  g_key_file_set_integer (kf, "debugger", "checkpoint_count", (int) n);
  if (n > 0)
    g_key_file_set_string_list (kf, "debugger", "checkpoints", (const char *const *) m->debug_checkpoints, n);
  ThawProcessesPanel *pp = thaw_debugger_panel_get_processes (self->debugger_panel);
  g_key_file_set_integer (kf, "debugger", "processes", (int) thaw_processes_panel_get_n_processes (pp));
  g_autofree char *disasm = NULL;
  g_key_file_set_string (kf, "debugger", "disasm", thaw_processes_panel_get_disasm_text (pp, &disasm));
  double x, y, sx = 0, sy = 0;
  if (self->locate_pc != 0 && thaw_processes_panel_get_pc_point (pp, self->locate_pc, GTK_WIDGET (self), &x, &y))
    {
      /* in the toplevel surface's coordinates */
      gtk_native_get_surface_transform (GTK_NATIVE (self), &sx, &sy);
      g_key_file_set_uint64 (kf, "debugger", "locate_pc", self->locate_pc);
      g_key_file_set_double (kf, "debugger", "locate_x", sx + x);
      g_key_file_set_double (kf, "debugger", "locate_y", sy + y);
    }
}

/* Window actions live in the window's action map, so GtkApplication also
 * exports them on D-Bus (/dev/thaw/Thaw/window/N), which the app tests use. */
static const GActionEntry win_actions[] = {
  { "open", action_open },
  { "cancel-load", action_cancel_load },
  { "show-panel", action_show_panel, "s" },
  { "inspect", action_inspect, "s" },
  { "undo", action_undo },
  { "edit", action_edit, "s" },
  { "save-as", action_save_as },
  { "save-to", action_save_to, "s" },
  { "save-clean-copy", action_save_clean_copy },
  { "save-clean-to", action_save_clean_to, "s" },
  { "export-state", action_export_state, "s" },
  { "run", action_run },
  { "pause", action_pause },
  { "step", action_step },
  { "gc", action_gc },
  { "export-frame", action_export_frame, "s" },
  { "post-input", action_post_input, "s" },
  { "zoom", action_zoom, "i" },
  { "debug-command", action_debug_command, "s" },
  { "debug-next", action_debug_next },
  { "debug-step", action_debug_step },
  { "debug-finish", action_debug_finish },
  { "debug-pause", action_debug_pause },
  { "debug-toggle-pc", action_debug_toggle_pc, "t" },
  { "debug-locate-pc", action_debug_locate_pc, "t" },
  { "debug-run-to-here", action_debug_run_to_here },
};

static void
set_action_enabled (ThawWindow *self, const char *name, gboolean enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static void
thaw_window_init (ThawWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->shown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_signal_connect_swapped (self->integrity_panel, "finding-activated", G_CALLBACK (show_finding), self);
  g_signal_connect_swapped (self->heap_panel, "object-activated", G_CALLBACK (show_object), self);
  g_signal_connect (self->inspector, "edit-requested", G_CALLBACK (on_edit_requested), self);
  g_signal_connect_swapped (self->census_panel, "object-activated", G_CALLBACK (show_object), self);
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);
  set_action_enabled (self, "undo", FALSE);
  self->debugger_panel = THAW_DEBUGGER_PANEL (thaw_debugger_panel_new ());
  g_signal_connect (self->debugger_panel, "command", G_CALLBACK (on_debugger_command), self);
  AdwViewStackPage *debug_page = adw_view_stack_add_titled (self->view_stack, GTK_WIDGET (self->debugger_panel),
                                                            "debugger", _("Debugger"));
  adw_view_stack_page_set_icon_name (debug_page, "system-run-symbolic");
  /* The debugger's keys, caught before anything else in the window sees
   * them (F10 would otherwise open the main menu). */
  static const struct { guint key; GdkModifierType mods; const char *action; } debug_keys[] = {
    { GDK_KEY_F6, 0, "win.debug-pause" },
    { GDK_KEY_F10, 0, "win.debug-next" },
    { GDK_KEY_F11, 0, "win.debug-step" },
    { GDK_KEY_F11, GDK_SHIFT_MASK, "win.debug-finish" },
  };
  GtkEventController *keys = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  for (gsize i = 0; i < G_N_ELEMENTS (debug_keys); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (keys),
                                          gtk_shortcut_new (gtk_keyval_trigger_new (debug_keys[i].key, debug_keys[i].mods),
                                                            gtk_named_action_new (debug_keys[i].action)));
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  g_signal_connect (self->recent_list, "row-activated", G_CALLBACK (recent_row_activated), self);
  set_action_enabled (self, "cancel-load", FALSE);
  /* engine.run & co. are the same actions as win.run & co. (which D-Bus
   * exports for scripts and tests) */
  self->engine_actions = g_simple_action_group_new ();
  static const char *engine[] = { "run", "pause", "step", "gc" };
  for (guint i = 0; i < G_N_ELEMENTS (engine); i++)
    g_action_map_add_action (G_ACTION_MAP (self->engine_actions),
                             g_action_map_lookup_action (G_ACTION_MAP (self), engine[i]));
  gtk_widget_insert_action_group (GTK_WIDGET (self), "engine", G_ACTION_GROUP (self->engine_actions));
  update_engine_actions (self);

  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
}

ThawWindow *
thaw_window_new (ThawApplication *app)
{
  ThawWindow *self = g_object_new (THAW_TYPE_WINDOW, "application", app, NULL);
  self->settings = thaw_application_get_settings (app);
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, THAW_SETTINGS_WINDOW_WIDTH),
                               g_settings_get_int (self->settings, THAW_SETTINGS_WINDOW_HEIGHT));
  if (g_settings_get_boolean (self->settings, THAW_SETTINGS_WINDOW_MAXIMIZED))
    gtk_window_maximize (GTK_WINDOW (self));
  fill_recent (self);
  return self;
}
