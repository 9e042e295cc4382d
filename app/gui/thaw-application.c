/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "thaw-application.h"
#include "thaw-window.h"

struct _ThawApplication
{
  AdwApplication parent_instance;

  /* owned */
  GSettings *settings;
  gboolean   run_on_open;   /* thaw --run: start the images at once */
  gboolean   debug_on_open; /* thaw --debug: open them in the debugger */
};

G_DEFINE_FINAL_TYPE (ThawApplication, thaw_application, ADW_TYPE_APPLICATION)

GSettings *
thaw_application_get_settings (ThawApplication *self)
{
  g_return_val_if_fail (THAW_IS_APPLICATION (self), NULL);
  return self->settings;
}

static ThawWindow *
new_window (ThawApplication *self)
{
  ThawWindow *win = thaw_window_new (self);
  gtk_window_present (GTK_WINDOW (win));
  return win;
}

static void
thaw_application_activate (GApplication *app)
{
  GtkWindow *win = gtk_application_get_active_window (GTK_APPLICATION (app));
  if (win == NULL)
    win = GTK_WINDOW (new_window (THAW_APPLICATION (app)));
  gtk_window_present (win);
}

static void
thaw_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  for (int i = 0; i < n_files; i++)
    {
      /* Reuse an empty window (the first one) for the first image. */
      GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (app));
      ThawWindow *win;
      if (i == 0 && active != NULL && THAW_IS_WINDOW (active) && thaw_window_is_empty (THAW_WINDOW (active)))
        win = THAW_WINDOW (active);
      else
        win = new_window (THAW_APPLICATION (app));
      thaw_window_set_run_on_load (win, THAW_APPLICATION (app)->run_on_open);
      thaw_window_set_debug_on_load (win, THAW_APPLICATION (app)->debug_on_open);
      thaw_window_open_file (win, files[i]);
      gtk_window_present (GTK_WINDOW (win));
    }
}

static void
action_quit (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  /* Close every window so each saves its size and stops its work. */
  GList *windows = g_list_copy (gtk_application_get_windows (app));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
  g_list_free (windows);
}

static void
action_new_window (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  new_window (THAW_APPLICATION (user_data));
}

static void
action_about (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  static const char *developers[] = { "The Thaw developers", NULL };
  GtkWidget *about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                                   "transient-for", gtk_application_get_active_window (app),
                                   "application-name", _("Thaw"),
                                   "application-icon", APP_ID,
                                   "version", PACKAGE_VERSION,
                                   "comments", _("A workbench for Smalltalk images: open, check, repair, run and convert them."),
                                   "developers", developers,
                                   "translator-credits", _("translator-credits"),
                                   "license-type", GTK_LICENSE_GPL_3_0,
                                   "website", "https://thaw.dev/",
                                   NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void action_open_mode (GSimpleAction *action, GVariant *param, gpointer user_data);

static const GActionEntry app_actions[] = {
  { "quit", action_quit },
  { "new-window", action_new_window },
  { "about", action_about },
  { "open-mode", action_open_mode, "s" },
};

static void
thaw_application_startup (GApplication *app)
{
  G_APPLICATION_CLASS (thaw_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);

  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.new-window", { "<Control>n", NULL } },
    { "win.open", { "<Control>o", NULL } },
    { "win.save-as", { "<Control><Shift>s", NULL } },
    { "win.undo", { "<Control>z", NULL } },
    { "win.cancel-load", { "Escape", NULL } },
    { "window.close", { "<Control>w", NULL } },
    { "win.show-panel::overview", { "<Alt>1", NULL } },
    { "win.show-panel::heap", { "<Alt>2", NULL } },
    { "win.show-panel::census", { "<Alt>3", NULL } },
    { "win.show-panel::integrity", { "<Alt>4", NULL } },
    { "win.show-panel::processes", { "<Alt>5", NULL } },
    { "win.show-panel::inspector", { "<Alt>6", NULL } },
    { "win.show-panel::display", { "<Alt>7", NULL } },
    { "win.show-panel::gc", { "<Alt>8", NULL } },
    { "win.show-panel::debugger", { "<Alt>9", NULL } },
    { "win.run", { "F5", NULL } },
    { "win.pause", { "<Shift>F5", NULL } },
    { "win.step", { "F7", NULL } },
    { "win.gc", { "<Shift>F6", NULL } },
    { "win.debug-pause", { "F6", NULL } },
    { "win.debug-next", { "F10", NULL } },
    { "win.debug-step", { "F11", NULL } },
    { "win.debug-finish", { "<Shift>F11", NULL } },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);

  g_autoptr (GtkCssProvider) css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/dev/thaw/Thaw/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

/* app.open-mode ("open", "run" or "debug"): how the images of the next
 * open are started.  A second `thaw --run IMAGE` sends it to the first
 * instance before its images. */
static void
action_open_mode (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ThawApplication *self = THAW_APPLICATION (user_data);
  const char *mode = g_variant_get_string (param, NULL);
  self->run_on_open = g_strcmp0 (mode, "run") == 0;
  self->debug_on_open = g_strcmp0 (mode, "debug") == 0;
}

/* --run and --debug: for this instance's images, or, when an instance
 * already runs, for the images this command line hands to it. */
static gint
thaw_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  gboolean run = g_variant_dict_contains (options, "run");
  gboolean debug = g_variant_dict_contains (options, "debug");
  THAW_APPLICATION (app)->run_on_open = run;
  THAW_APPLICATION (app)->debug_on_open = debug;
  g_autoptr (GError) error = NULL;
  if (g_application_register (app, NULL, &error) && g_application_get_is_remote (app))
    g_action_group_activate_action (G_ACTION_GROUP (app), "open-mode",
                                    g_variant_new_string (debug ? "debug" : run ? "run" : "open"));
  return -1;
}

static void
thaw_application_finalize (GObject *object)
{
  ThawApplication *self = THAW_APPLICATION (object);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (thaw_application_parent_class)->finalize (object);
}

static void
thaw_application_class_init (ThawApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = thaw_application_finalize;
  app_class->activate = thaw_application_activate;
  app_class->open = thaw_application_open;
  app_class->startup = thaw_application_startup;
  app_class->handle_local_options = thaw_application_handle_local_options;
}

static void
thaw_application_init (ThawApplication *self)
{
  self->settings = g_settings_new (APP_ID);
  g_application_add_main_option (G_APPLICATION (self), "run", 'r', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE,
                                 _("Start running the images at once"), NULL);
  g_application_add_main_option (G_APPLICATION (self), "debug", 'd', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE,
                                 _("Open the images in the debugger, halted before their first bytecode"), NULL);
}

ThawApplication *
thaw_application_new (void)
{
  return g_object_new (THAW_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/dev/thaw/Thaw",
                       NULL);
}
