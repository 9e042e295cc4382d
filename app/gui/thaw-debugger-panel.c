/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Debugger panel: what the engine's debugger showed last (an
 * ST_HOST_MSG_DEBUG): why it halted; the processes, the active stack, the
 * selected frame's source and bytecodes with the pc highlighted and its
 * variables (a ThawProcessesPanel over the message's copy of the heap);
 * buttons for continue, pause, step over/into/out and run to here; the
 * breakpoints (a click on an instruction sets or clears one) and the
 * checkpoints with Rewind; the last command's output.  It never touches
 * the engine: every action is a "command" signal the window sends to the
 * host. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "thaw-debugger-panel.h"

struct _ThawDebuggerPanel
{
  GtkBox parent_instance;

  GtkWidget *reason_label;
  GtkWidget *where_label;
  GtkWidget *error_label;
  ThawProcessesPanel *processes;
  GtkWidget *breaks_list;     /* GtkListBox */
  GtkWidget *break_entry;
  GtkWidget *checkpoints_list;
  GtkWidget *output_view;

  StHostMessage *msg;         /* owned reference */
};

G_DEFINE_FINAL_TYPE (ThawDebuggerPanel, thaw_debugger_panel, GTK_TYPE_BOX)

enum { SIGNAL_COMMAND, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
command (ThawDebuggerPanel *self, const char *line)
{
  g_signal_emit (self, signals[SIGNAL_COMMAND], 0, line);
}

static void
clear_list (GtkWidget *list)
{
  GtkWidget *c;
  while ((c = gtk_widget_get_first_child (list)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (list), c);
}

/* A breakpoint line of the message: "ID SPEC (hits N)". */
static gboolean
parse_break (const char *line, guint *id, char **spec)
{
  char *end = NULL;
  guint64 n = g_ascii_strtoull (line, &end, 10);
  if (end == line || *end != ' ')
    return FALSE;
  const char *hits = g_strrstr (end, " (hits ");
  *id = (guint) n;
  *spec = g_strndup (end + 1, hits ? (gsize) (hits - end - 1) : strlen (end + 1));
  return TRUE;
}

static void
on_button_command (GtkButton *button, ThawDebuggerPanel *self)
{
  command (self, g_object_get_data (G_OBJECT (button), "thaw-command"));
}

static GtkWidget *
list_row (ThawDebuggerPanel *self, const char *text, const char *button_label, const char *tooltip,
          const char *cmd)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 2);
  gtk_widget_set_margin_bottom (box, 2);
  GtkWidget *l = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_label_set_wrap (GTK_LABEL (l), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (l), PANGO_WRAP_WORD_CHAR);
  gtk_widget_set_tooltip_text (l, text);
  gtk_widget_set_hexpand (l, TRUE);
  gtk_widget_add_css_class (l, "field-value");
  gtk_box_append (GTK_BOX (box), l);
  GtkWidget *b = gtk_button_new_with_label (button_label);
  gtk_widget_set_tooltip_text (b, tooltip);
  gtk_widget_add_css_class (b, "flat");
  g_object_set_data_full (G_OBJECT (b), "thaw-command", g_strdup (cmd), g_free);
  g_signal_connect (b, "clicked", G_CALLBACK (on_button_command), self);
  gtk_box_append (GTK_BOX (box), b);
  return box;
}

static void
show_lists (ThawDebuggerPanel *self)
{
  clear_list (self->breaks_list);
  clear_list (self->checkpoints_list);
  const StHostMessage *m = self->msg;
  GPtrArray *specs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; m != NULL && m->debug_breakpoints != NULL && m->debug_breakpoints[i] != NULL; i++)
    {
      guint id;
      char *spec;
      if (!parse_break (m->debug_breakpoints[i], &id, &spec))
        continue;
      g_ptr_array_add (specs, spec);
      g_autofree char *cmd = g_strdup_printf ("delete %u", id);
      gtk_list_box_append (GTK_LIST_BOX (self->breaks_list),
                           list_row (self, m->debug_breakpoints[i], _("Delete"), _("Delete this breakpoint"), cmd));
    }
  g_ptr_array_add (specs, NULL);
  thaw_processes_panel_set_marked (self->processes, (const char *const *) specs->pdata);
  g_ptr_array_unref (specs);
  for (guint i = 0; m != NULL && m->debug_checkpoints != NULL && m->debug_checkpoints[i] != NULL; i++)
    {
      guint64 n = g_ascii_strtoull (m->debug_checkpoints[i], NULL, 10);
      g_autofree char *cmd = g_strdup_printf ("rewind %" G_GUINT64_FORMAT, n);
      gtk_list_box_append (GTK_LIST_BOX (self->checkpoints_list),
                           list_row (self, m->debug_checkpoints[i], _("Rewind"),
                                     _("Go back to this checkpoint: the heap and the interpreter as they were"), cmd));
    }
}

void
thaw_debugger_panel_show (ThawDebuggerPanel *self, const StHostMessage *msg)
{
  g_return_if_fail (THAW_IS_DEBUGGER_PANEL (self));
  /* the processes panel reads the old copy until it is given the new one */
  thaw_processes_panel_set_vm (self->processes, NULL);
  g_clear_pointer (&self->msg, st_host_message_unref);
  if (msg != NULL)
    self->msg = st_host_message_ref ((StHostMessage *) msg);
  const StHostMessage *m = self->msg;
  gtk_label_set_text (GTK_LABEL (self->reason_label),
                      m ? (m->debug_reason ? m->debug_reason : "") : _("The debugger is not attached"));
  g_autofree char *where = m && m->debug_top_frame
                           ? g_strdup_printf (_("Halted in %s"), m->debug_top_frame) : g_strdup ("");
  gtk_label_set_text (GTK_LABEL (self->where_label), where);
  gtk_label_set_text (GTK_LABEL (self->error_label), m && m->debug_error ? m->debug_error : "");
  gtk_widget_set_visible (self->error_label, m != NULL && m->debug_error != NULL);
  /* "> command" before a command's output; "-- reason" for a halt met while running */
  g_autofree char *out = m == NULL ? NULL
                         : m->debug_command && *m->debug_command ? g_strdup_printf ("> %s\n", m->debug_command)
                         : g_strdup_printf ("-- %s\n", m->debug_reason ? m->debug_reason : "");
  /* the output is a transcript of the session's commands (the last 200 kB) */
  GtkTextBuffer *buf = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->output_view));
  if (m == NULL)
    gtk_text_buffer_set_text (buf, "", -1);
  else if (*out != '\0' || (m->debug_output && *m->debug_output))
    {
      GtkTextIter end;
      gtk_text_buffer_get_end_iter (buf, &end);
      gtk_text_buffer_insert (buf, &end, out, -1);
      gtk_text_buffer_insert (buf, &end, m->debug_output ? m->debug_output : "", -1);
      if (gtk_text_buffer_get_char_count (buf) > 200000)
        {
          GtkTextIter a, b;
          gtk_text_buffer_get_start_iter (buf, &a);
          gtk_text_buffer_get_iter_at_offset (buf, &b, gtk_text_buffer_get_char_count (buf) - 150000);
          gtk_text_buffer_delete (buf, &a, &b);
        }
      gtk_text_buffer_get_end_iter (buf, &end);
      GtkTextMark *mark = gtk_text_buffer_create_mark (buf, NULL, &end, FALSE);
      gtk_text_view_scroll_to_mark (GTK_TEXT_VIEW (self->output_view), mark, 0, FALSE, 0, 1);
      gtk_text_buffer_delete_mark (buf, mark);
    }
  show_lists (self);
  thaw_processes_panel_set_vm (self->processes, m ? m->debug_vm : NULL);
}

const StHostMessage *
thaw_debugger_panel_get_message (ThawDebuggerPanel *self)
{
  return self->msg;
}

ThawProcessesPanel *
thaw_debugger_panel_get_processes (ThawDebuggerPanel *self)
{
  return self->processes;
}

/* A click on an instruction: clear the breakpoint there, or set one. */
static void
on_bytecode_activated (ThawProcessesPanel *panel, const char *method, guint64 pc, ThawDebuggerPanel *self)
{
  g_autofree char *spec = g_strdup_printf ("%s pc %" G_GUINT64_FORMAT, method, pc);
  const StHostMessage *m = self->msg;
  for (guint i = 0; m != NULL && m->debug_breakpoints != NULL && m->debug_breakpoints[i] != NULL; i++)
    {
      guint id;
      g_autofree char *s = NULL;
      if (parse_break (m->debug_breakpoints[i], &id, &s) && strcmp (s, spec) == 0)
        {
          g_autofree char *cmd = g_strdup_printf ("delete %u", id);
          command (self, cmd);
          return;
        }
    }
  g_autofree char *cmd = g_strdup_printf ("break %s", spec);
  command (self, cmd);
}

gboolean
thaw_debugger_panel_toggle_pc (ThawDebuggerPanel *self, guint64 pc)
{
  return thaw_processes_panel_activate_pc (self->processes, pc);
}

void
thaw_debugger_panel_run_to_here (ThawDebuggerPanel *self)
{
  const char *method;
  guint64 pc;
  if (!thaw_processes_panel_get_cursor_pc (self->processes, &method, &pc))
    {
      gtk_label_set_text (GTK_LABEL (self->error_label),
                          _("Put the cursor on an instruction of the active frame's bytecodes first."));
      gtk_widget_set_visible (self->error_label, TRUE);
      return;
    }
  g_autofree char *cmd = g_strdup_printf ("until %" G_GUINT64_FORMAT, pc);
  command (self, cmd);
}

static void
on_run_to_here (GtkButton *button, ThawDebuggerPanel *self)
{
  thaw_debugger_panel_run_to_here (self);
}

static void
on_break_entry (GtkEntry *entry, ThawDebuggerPanel *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  if (text == NULL || *text == '\0')
    return;
  g_autofree char *cmd = g_strdup_printf ("break %s", text);
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  command (self, cmd);
}

static GtkWidget *
tool_button (ThawDebuggerPanel *self, const char *icon, const char *label, const char *tooltip, const char *cmd)
{
  GtkWidget *b = gtk_button_new ();
  GtkWidget *content = adw_button_content_new ();
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), icon);
  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), label);
  gtk_button_set_child (GTK_BUTTON (b), content);
  gtk_widget_set_tooltip_text (b, tooltip);
  if (cmd != NULL)
    {
      g_object_set_data_full (G_OBJECT (b), "thaw-command", g_strdup (cmd), g_free);
      g_signal_connect (b, "clicked", G_CALLBACK (on_button_command), self);
    }
  return b;
}

static GtkWidget *
titled (const char *title, GtkWidget *child)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *l = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_widget_add_css_class (l, "heading");
  gtk_widget_set_margin_start (l, 6);
  gtk_widget_set_margin_top (l, 6);
  gtk_box_append (GTK_BOX (box), l);
  GtkWidget *sw = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (sw), child);
  gtk_widget_set_vexpand (sw, TRUE);
  gtk_widget_set_size_request (sw, 300, 60);
  gtk_box_append (GTK_BOX (box), sw);
  return box;
}

static void
thaw_debugger_panel_dispose (GObject *object)
{
  ThawDebuggerPanel *self = THAW_DEBUGGER_PANEL (object);
  if (self->processes != NULL)
    thaw_processes_panel_set_vm (self->processes, NULL);
  g_clear_pointer (&self->msg, st_host_message_unref);
  G_OBJECT_CLASS (thaw_debugger_panel_parent_class)->dispose (object);
}

static void
thaw_debugger_panel_class_init (ThawDebuggerPanelClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = thaw_debugger_panel_dispose;
  signals[SIGNAL_COMMAND] = g_signal_new ("command", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                          NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
thaw_debugger_panel_init (ThawDebuggerPanel *self)
{
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 4);

  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  gtk_widget_set_margin_start (bar, 6);
  gtk_widget_set_margin_end (bar, 6);
  gtk_widget_set_margin_top (bar, 6);
  gtk_box_append (GTK_BOX (bar), tool_button (self, "media-playback-start-symbolic", _("Continue"),
                                              _("Run until a breakpoint (F5)"), "continue"));
  gtk_box_append (GTK_BOX (bar), tool_button (self, "media-playback-pause-symbolic", _("Pause"),
                                              _("Stop where the run is (F6)"), "pause"));
  gtk_box_append (GTK_BOX (bar), tool_button (self, "go-next-symbolic", _("Step Over"),
                                              _("Run until the next instruction of this frame (F10)"), "next"));
  gtk_box_append (GTK_BOX (bar), tool_button (self, "go-down-symbolic", _("Step Into"),
                                              _("Run one bytecode, into a send (F11)"), "step"));
  gtk_box_append (GTK_BOX (bar), tool_button (self, "go-up-symbolic", _("Step Out"),
                                              _("Run until this frame returns (Shift+F11)"), "finish"));
  GtkWidget *to_here = tool_button (self, "go-jump-symbolic", _("Run to Here"),
                                    _("Run until the active frame reaches the instruction under the cursor"), NULL);
  g_signal_connect (to_here, "clicked", G_CALLBACK (on_run_to_here), self);
  gtk_box_append (GTK_BOX (bar), to_here);
  gtk_box_append (GTK_BOX (bar), tool_button (self, "document-save-symbolic", _("Checkpoint"),
                                              _("Remember the heap and the interpreter's state, to rewind to later"),
                                              "checkpoint"));
  GtkWidget *hint = gtk_label_new (_("Click an instruction in Bytecodes to set or clear a breakpoint there."));
  gtk_widget_add_css_class (hint, "dim-label");
  gtk_widget_set_hexpand (hint, TRUE);
  gtk_label_set_xalign (GTK_LABEL (hint), 1);
  gtk_label_set_ellipsize (GTK_LABEL (hint), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (bar), hint);
  gtk_box_append (GTK_BOX (self), bar);

  self->reason_label = gtk_label_new (_("The debugger is not attached"));
  gtk_label_set_xalign (GTK_LABEL (self->reason_label), 0);
  gtk_label_set_wrap (GTK_LABEL (self->reason_label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (self->reason_label), TRUE);
  gtk_widget_add_css_class (self->reason_label, "heading");
  gtk_widget_set_margin_start (self->reason_label, 6);
  gtk_box_append (GTK_BOX (self), self->reason_label);
  self->where_label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->where_label), 0);
  gtk_label_set_selectable (GTK_LABEL (self->where_label), TRUE);
  gtk_widget_add_css_class (self->where_label, "field-value");
  gtk_widget_set_margin_start (self->where_label, 6);
  gtk_box_append (GTK_BOX (self), self->where_label);
  self->error_label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->error_label), 0);
  gtk_label_set_wrap (GTK_LABEL (self->error_label), TRUE);
  gtk_widget_add_css_class (self->error_label, "error");
  gtk_widget_set_margin_start (self->error_label, 6);
  gtk_widget_set_visible (self->error_label, FALSE);
  gtk_box_append (GTK_BOX (self), self->error_label);

  self->processes = g_object_new (THAW_TYPE_PROCESSES_PANEL, NULL);
  g_signal_connect (self->processes, "bytecode-activated", G_CALLBACK (on_bytecode_activated), self);

  GtkWidget *side = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  self->breaks_list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->breaks_list), GTK_SELECTION_NONE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->breaks_list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Breakpoints"), -1);
  gtk_box_append (GTK_BOX (side), titled (_("Breakpoints"), self->breaks_list));
  self->break_entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (self->break_entry), _("Add: selector, Class>>sel, dnu, prim N…"));
  gtk_widget_set_margin_start (self->break_entry, 6);
  gtk_widget_set_margin_end (self->break_entry, 6);
  g_signal_connect (self->break_entry, "activate", G_CALLBACK (on_break_entry), self);
  gtk_box_append (GTK_BOX (side), self->break_entry);
  self->checkpoints_list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->checkpoints_list), GTK_SELECTION_NONE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->checkpoints_list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Checkpoints"), -1);
  gtk_box_append (GTK_BOX (side), titled (_("Checkpoints"), self->checkpoints_list));
  self->output_view = gtk_text_view_new ();
  gtk_text_view_set_editable (GTK_TEXT_VIEW (self->output_view), FALSE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (self->output_view), TRUE);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (self->output_view), 6);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->output_view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Debugger output"), -1);
  gtk_box_append (GTK_BOX (side), titled (_("Output"), self->output_view));

  GtkWidget *paned = gtk_paned_new (GTK_ORIENTATION_HORIZONTAL);
  gtk_widget_set_vexpand (paned, TRUE);
  gtk_paned_set_start_child (GTK_PANED (paned), GTK_WIDGET (self->processes));
  gtk_paned_set_end_child (GTK_PANED (paned), side);
  gtk_paned_set_resize_end_child (GTK_PANED (paned), FALSE);
  gtk_paned_set_shrink_end_child (GTK_PANED (paned), FALSE);
  gtk_box_append (GTK_BOX (self), paned);
}

GtkWidget *
thaw_debugger_panel_new (void)
{
  return g_object_new (THAW_TYPE_DEBUGGER_PANEL, NULL);
}
