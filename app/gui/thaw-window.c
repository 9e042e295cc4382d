/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "image-read.h"
#include "thaw-settings.h"
#include "thaw-window.h"

struct _ThawWindow
{
  AdwApplicationWindow parent_instance;

  /* template */
  AdwWindowTitle  *window_title;
  GtkStack        *stack;
  GtkLabel        *recent_label;
  GtkListBox      *recent_list;
  GtkProgressBar  *loading_progress;
  GtkLabel        *loading_label;
  GtkBox          *image_box;
  AdwStatusPage   *error_page;

  /* borrowed */
  GSettings       *settings;

  /* owned */
  StVM            *vm;
  GFile           *file;
  GCancellable    *load_cancellable;
  guint            load_serial;
};

G_DEFINE_FINAL_TYPE (ThawWindow, thaw_window, ADW_TYPE_APPLICATION_WINDOW)

static void set_action_enabled (ThawWindow *self, const char *name, gboolean enabled);

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
add_row (GtkWidget *group, const char *title, const char *tooltip, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static void
add_row (GtkWidget *group, const char *title, const char *tooltip, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *value = g_strdup_vprintf (fmt, ap);
  va_end (ap);
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

  GtkWidget *g = group_new (_("Header"), _("The fields at the start of the image file, as saved by the virtual machine."));
  add_row (g, _("Image format"), _("The format number: which object layout, word size and features the image uses."),
           "%u (%s)", h->image_format, st_image_format_describe (h->image_format));
  add_row (g, _("Header size"), _("Bytes of header before the first object."), "%u", h->header_size);
  add_row (g, _("Data size"), _("Bytes of objects (all segments) that follow the header."), "%" G_GUINT64_FORMAT, h->data_size);
  add_row (g, _("Old base address"), _("Where the first object (nil) was in memory when the image was saved."),
           "0x%" G_GINT64_MODIFIER "x", h->old_base_addr);
  add_row (g, _("Special objects"), _("Address of the special objects array, the root of everything the virtual machine knows by index."),
           "0x%" G_GINT64_MODIFIER "x", h->special_objects_oop);
  add_row (g, _("Last hash"), _("The seed of the identity-hash generator when the image was saved."),
           "0x%" G_GINT64_MODIFIER "x", h->last_hash);
  add_row (g, _("Saved window size"), _("Width and height of the display window when the image was saved."),
           "%u × %u", (guint) ((h->saved_window_size >> 16) & 0xFFFF), (guint) (h->saved_window_size & 0xFFFF));
  add_row (g, _("Header flags"), _("Bits recording how the image wants to run: float word order, preemption, finalization, wheel events…"),
           "0x%" G_GINT64_MODIFIER "x", h->header_flags);
  add_row (g, _("Extra VM memory"), _("Bytes the image asks the virtual machine to reserve beyond its objects."), "%u", h->extra_vm_memory);
  if (p->family == ST_FAMILY_SPUR)
    {
      add_row (g, _("Stack pages"), _("How many stack pages the image asks a stack virtual machine for."), "%u", h->num_stack_pages);
      add_row (g, _("Code size"), _("KiB of machine code zone the image asks a JIT virtual machine for."), "%u", h->cog_code_size);
      add_row (g, _("Eden bytes"), _("The size of new space the image asks for."), "%u", h->eden_bytes);
      add_row (g, _("External semaphores"), _("The maximum size of the external semaphore table."), "%u", h->max_ext_sem_tab_size);
      add_row (g, _("Image version"), _("Pharo records its image version here; Squeak leaves it zero."), "%u", h->image_version);
      add_row (g, _("First segment size"), _("Bytes in the first old-space segment, its bridge included."), "%" G_GUINT64_FORMAT, h->first_seg_size);
      add_row (g, _("Free old space"), _("Free bytes in old space when the image was saved."), "%" G_GUINT64_FORMAT, h->free_old_space);
    }
  gtk_box_append (self->image_box, g);

  g = group_new (_("Personality"), _("What the image's own code expects of the machine that runs it."));
  add_row (g, _("Object memory"), _("V3 is the memory layout before 2014; Spur is the current one."),
           "%s", p->family == ST_FAMILY_SPUR ? "Spur" : "V3");
  add_row (g, _("Word size"), _("The word size the image was saved with."), _("%u bits"), p->word_bytes * 8);
  add_row (g, _("Byte order"), NULL, "%s", p->big_endian ? _("big-endian") : _("little-endian"));
  add_row (g, _("Blocks"), _("Images from before 2008 use BlockContexts; later ones use BlockClosures."),
           "%s", p->closures ? _("closures") : _("BlockContexts"));
  add_row (g, _("Bytecode sets"), _("Whether methods may use the SistaV1 bytecode set."),
           "%s", p->sista ? _("V3PlusClosures and SistaV1") : _("one"));
  add_row (g, _("Folder format"), _("Whether the image is a Pharo folder of segment files."), "%s", p->folder ? _("yes") : _("no"));
  gtk_box_append (self->image_box, g);

  g = group_new (_("Segments"), _("Old space is a list of segments joined by bridges."));
  for (guint i = 0; i < self->vm->n_segments; i++)
    {
      const StSegment *s = &self->vm->segments[i];
      g_autofree char *title = g_strdup_printf (_("Segment %u"), i);
      g_autofree char *start = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", s->start);
      g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, s->bytes);
      /* TRANSLATORS: a segment's start address and its size */
      add_row (g, title, NULL, _("%s, %s bytes"), start, size);
    }
  gtk_box_append (self->image_box, g);

  g = group_new (_("Companion Files"), _("Source code lives beside the image in the changes and sources files."));
  add_row (g, _("Changes file"), NULL, "%s", self->vm->changes_path ? self->vm->changes_path : _("not found"));
  add_row (g, _("Sources file"), NULL, "%s", self->vm->sources_path ? self->vm->sources_path : _("not found"));
  gtk_box_append (self->image_box, g);

  g_autofree char *name = g_file_get_basename (self->file);
  adw_window_title_set_title (self->window_title, name);
  adw_window_title_set_subtitle (self->window_title, st_image_format_describe (h->image_format));
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
  adw_window_title_set_title (self->window_title, _("Thaw"));
  adw_window_title_set_subtitle (self->window_title, NULL);
  gtk_stack_set_visible_child_name (self->stack, "error");
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
      if (self->load_serial == u->serial)
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
  StVM *vm = st_image_read_full (job->path, ST_READ_STRICT, on_read_progress, &ctx, &error);
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
  if (job->serial != self->load_serial)
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
  st_vm_free (self->vm);
  self->vm = vm;
  g_set_object (&self->file, file);
  remember_recent (file);
  show_image (self);
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

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/thaw/Thaw/ui/thaw-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, recent_label);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, recent_list);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, loading_progress);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, loading_label);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, image_box);
  gtk_widget_class_bind_template_child (widget_class, ThawWindow, error_page);
}

/* Window actions live in the window's action map, so GtkApplication also
 * exports them on D-Bus (/dev/thaw/Thaw/window/N), which the app tests use. */
static const GActionEntry win_actions[] = {
  { "open", action_open },
  { "cancel-load", action_cancel_load },
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
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);
  g_signal_connect (self->recent_list, "row-activated", G_CALLBACK (recent_row_activated), self);
  set_action_enabled (self, "cancel-load", FALSE);

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
