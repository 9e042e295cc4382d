/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Processes panel: every process of the image with its stack; the
 * selected frame's method as source (or decompiled source) beside its
 * disassembly, the current pc highlighted, and the frame's receiver,
 * arguments, temporaries and stack. */
#include "config.h"

#include <glib/gi18n.h>

#include "decompile.h"
#include "interp.h"
#include "disasm.h"
#include "mirror.h"
#include "printer.h"
#include "process.h"
#include "source.h"
#include "thaw-processes-panel.h"

#define MAX_FRAMES 500

struct _ThawProcessesPanel
{
  GtkBox parent_instance;

  /* owned widgets */
  GtkWidget *process_list;    /* GtkListBox */
  GtkWidget *frame_list;      /* GtkListBox */
  GtkWidget *source_label;
  GtkWidget *source_view;
  GtkWidget *disasm_view;
  GtkWidget *vars_list;       /* GtkListBox */
  GtkWidget *problem_label;

  /* borrowed */
  StVM *vm;

  /* owned */
  StPrinter *printer;
  GPtrArray *processes;       /* StProcessInfo * */
  guint      current_process;

  /* the shown disassembly: the method's name and the pc of each text line
   * (0 for lines that are no instruction), for "bytecode-activated" */
  char      *disasm_method;
  GArray    *disasm_pcs;      /* guint64 */
  GHashTable *marked;         /* "Class>>sel pc N" specs shown with a breakpoint mark */
  /* the instruction the user put the disassembly's cursor on; kept while
   * the same method is shown again (a new halt reloads the text) */
  char      *cursor_method;
  guint64    cursor_pc;
  gboolean   loading;         /* the text is being replaced: cursor moves are not the user's */
};

enum { SIGNAL_BYTECODE_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ThawProcessesPanel, thaw_processes_panel, GTK_TYPE_BOX)

static void
clear_list (GtkWidget *list)
{
  GtkWidget *c;
  while ((c = gtk_widget_get_first_child (list)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (list), c);
}

static GtkWidget *
text_row (const char *title, const char *subtitle, gboolean mono)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_margin_top (box, 4);
  gtk_widget_set_margin_bottom (box, 4);
  gtk_widget_set_margin_start (box, 8);
  gtk_widget_set_margin_end (box, 8);
  GtkWidget *t = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (t), 0);
  gtk_label_set_ellipsize (GTK_LABEL (t), PANGO_ELLIPSIZE_END);
  gtk_widget_set_tooltip_text (t, title);
  if (mono)
    gtk_widget_add_css_class (t, "field-value");
  gtk_box_append (GTK_BOX (box), t);
  if (subtitle != NULL)
    {
      GtkWidget *s = gtk_label_new (subtitle);
      gtk_label_set_xalign (GTK_LABEL (s), 0);
      gtk_label_set_ellipsize (GTK_LABEL (s), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (s, "dim-label");
      gtk_widget_add_css_class (s, "caption");
      gtk_box_append (GTK_BOX (box), s);
    }
  return box;
}

static void
set_text (GtkWidget *view, const char *text)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), text ? text : "", -1);
}

/* Scroll to the "thaw-current" mark again, frame after frame (at most
 * 120), until it is in view: the first scroll after new text lands on
 * estimated line heights. */
static gboolean
rescroll_tick (GtkWidget *view, GdkFrameClock *clock, gpointer data)
{
  guint left = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (view), "thaw-rescroll"));
  GtkTextBuffer *buf = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  GtkTextMark *mark = gtk_text_buffer_get_mark (buf, "thaw-current");
  gboolean shown = TRUE;
  if (mark != NULL)
    {
      GtkTextIter it;
      GdkRectangle line, visible;
      gtk_text_buffer_get_iter_at_mark (buf, &it, mark);
      gtk_text_view_get_iter_location (GTK_TEXT_VIEW (view), &it, &line);
      gtk_text_view_get_visible_rect (GTK_TEXT_VIEW (view), &visible);
      shown = visible.height > 0 && line.y >= visible.y && line.y + line.height <= visible.y + visible.height;
      if (!shown)
        gtk_text_view_scroll_to_mark (GTK_TEXT_VIEW (view), mark, 0.1, FALSE, 0, 0.3);
    }
  if (shown || left <= 1)
    {
      g_object_set_data (G_OBJECT (view), "thaw-rescroll", NULL);
      return G_SOURCE_REMOVE;
    }
  g_object_set_data (G_OBJECT (view), "thaw-rescroll", GUINT_TO_POINTER (left - 1));
  return G_SOURCE_CONTINUE;
}

/* Highlight one line (0-based) of a text view and scroll to it. */
static void
highlight_line (GtkWidget *view, int line)
{
  GtkTextBuffer *buf = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  GtkTextIter a, b;
  gtk_text_buffer_get_bounds (buf, &a, &b);
  gtk_text_buffer_remove_tag_by_name (buf, "current", &a, &b);
  if (line < 0)
    return;
  gtk_text_buffer_get_iter_at_line (buf, &a, line);
  b = a;
  gtk_text_iter_forward_to_line_end (&b);
  gtk_text_buffer_apply_tag_by_name (buf, "current", &a, &b);
  /* a mark that stays: the view scrolls to it once the new text's line
   * heights are known (deleting it at once would cancel that) */
  GtkTextMark *mark = gtk_text_buffer_get_mark (buf, "thaw-current");
  if (mark == NULL)
    mark = gtk_text_buffer_create_mark (buf, "thaw-current", &a, TRUE);
  else
    gtk_text_buffer_move_mark (buf, mark, &a);
  gtk_text_view_scroll_to_mark (GTK_TEXT_VIEW (view), mark, 0.1, FALSE, 0, 0.3);
  if (g_object_get_data (G_OBJECT (view), "thaw-rescroll") == NULL)
    gtk_widget_add_tick_callback (view, rescroll_tick, NULL, NULL);
  g_object_set_data (G_OBJECT (view), "thaw-rescroll", GUINT_TO_POINTER (120));
}

/* One line of the disassembly: line breaks inside it (a literal string
 * with a CR) become ↵, so text lines and instructions stay one to one. */
static void
append_line (GString *s, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
static void
append_line (GString *s, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *line = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  for (const char *c = line; *c; c++)
    if (*c == '\r' || *c == '\n')
      g_string_append (s, "↵");
    else
      g_string_append_c (s, *c);
  g_string_append_c (s, '\n');
}

static void
show_frame (ThawProcessesPanel *self, const StFrame *frame, gboolean innermost)
{
  clear_list (self->vars_list);
  set_text (self->source_view, "");
  set_text (self->disasm_view, "");
  self->loading = TRUE;
  g_clear_pointer (&self->disasm_method, g_free);
  g_array_set_size (self->disasm_pcs, 0);
  StOop ctx = frame->address;
  StOop method = st_printer_context_method (self->printer, ctx);
  if (method == 0)
    {
      gtk_label_set_text (GTK_LABEL (self->source_label), _("This frame has no readable method."));
      self->loading = FALSE;
      return;
    }
  /* Source, or decompiled source when the image has none. */
  g_autoptr (GError) error = NULL;
  g_autofree char *origin = NULL;
  char *source = st_source_of_method (self->printer, method, &origin, &error);
  if (source != NULL)
    {
      g_autofree char *label = g_strdup_printf (_("Source from %s"), origin ? origin : "?");
      gtk_label_set_text (GTK_LABEL (self->source_label), label);
    }
  else
    {
      g_clear_error (&error);
      source = st_decompile_method (self->printer, method, &error);
      gtk_label_set_text (GTK_LABEL (self->source_label),
                          source ? _("Decompiled source (no source file has this method)") : _("No source"));
    }
  set_text (self->source_view, source ? source : (error ? error->message : ""));
  g_free (source);

  /* Disassembly with the pc marked. */
  StOop pc = st_num_slots (self->vm, ctx) > 1 ? st_fetch (self->vm, ctx, 1) : 0;
  int64_t heap_pc = st_is_smallint (pc) ? st_smallint_value (pc) : 0;
  g_autoptr (GError) derr = NULL;
  g_autoptr (StDisasm) d = st_disasm_method (self->printer, method, heap_pc, !innermost, &derr);
  if (d != NULL)
    {
      GString *s = g_string_new (NULL);
      int current = -1;
      guint64 none = 0;
      self->disasm_method = st_interp_method_name (self->vm, method);
      append_line (s, "%s", d->title);
      g_array_append_val (self->disasm_pcs, none);
      for (guint i = 0; i < d->literals->len; i++)
        {
          append_line (s, "  literal %u: %s", i + 1, (char *) g_ptr_array_index (d->literals, i));
          g_array_append_val (self->disasm_pcs, none);
        }
      int line = 1 + (int) d->literals->len;
      for (guint i = 0; i < d->lines->len; i++, line++)
        {
          const StDisasmLine *l = &g_array_index (d->lines, StDisasmLine, i);
          if (l->is_current || l->is_pending)
            current = line;
          g_autofree char *spec = g_strdup_printf ("%s pc %" G_GUINT64_FORMAT, self->disasm_method, l->pc);
          gboolean mark = self->marked != NULL && g_hash_table_contains (self->marked, spec);
          append_line (s, "%s%s%4" G_GUINT64_FORMAT "  %-12s %s %s", mark ? "●" : " ",
                                  l->is_current ? "→" : (l->is_pending ? "•" : " "),
                                  l->pc, l->bytes, l->mnemonic, l->operands);
          guint64 line_pc_value = l->pc;
          g_array_append_val (self->disasm_pcs, line_pc_value);
        }
      set_text (self->disasm_view, s->str);
      g_string_free (s, TRUE);
      highlight_line (self->disasm_view, current);
      /* the user's cursor stays on its instruction */
      for (guint i = 0; g_strcmp0 (self->cursor_method, self->disasm_method) == 0 && i < self->disasm_pcs->len; i++)
        if (g_array_index (self->disasm_pcs, guint64, i) == self->cursor_pc)
          {
            GtkTextBuffer *buf = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->disasm_view));
            GtkTextIter at;
            gtk_text_buffer_get_iter_at_line (buf, &at, (int) i);
            gtk_text_buffer_place_cursor (buf, &at);
            break;
          }
    }
  else
    set_text (self->disasm_view, derr ? derr->message : "");

  self->loading = FALSE;

  /* Receiver, arguments, temporaries and stack: the context's slots. */
  g_autoptr (StMirror) m = st_mirror_of (self->vm, NULL, ctx, 256, NULL);
  if (m != NULL)
    for (guint i = 0; i < m->slots->len; i++)
      {
        const StMirrorSlot *slot = g_ptr_array_index (m->slots, i);
        g_autofree char *title = g_strdup_printf ("%s = %s", slot->name, slot->print);
        gtk_list_box_append (GTK_LIST_BOX (self->vars_list), text_row (title, slot->class_name, TRUE));
      }
}

static void
on_frame_selected (GtkListBox *box, GtkListBoxRow *row, ThawProcessesPanel *self)
{
  if (row == NULL || self->processes == NULL || self->current_process >= self->processes->len)
    return;
  const StProcessInfo *p = g_ptr_array_index (self->processes, self->current_process);
  int i = gtk_list_box_row_get_index (row);
  if (i >= 0 && (guint) i < p->frames->len)
    show_frame (self, g_ptr_array_index (p->frames, i), i == 0);
}

static void
show_process (ThawProcessesPanel *self, guint index)
{
  clear_list (self->frame_list);
  self->current_process = index;
  const StProcessInfo *p = g_ptr_array_index (self->processes, index);
  for (guint i = 0; i < p->frames->len; i++)
    {
      const StFrame *f = g_ptr_array_index (p->frames, i);
      gtk_list_box_append (GTK_LIST_BOX (self->frame_list), text_row (f->print, f->receiver, TRUE));
    }
  if (p->problem != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The stack walk stopped: %s"), p->problem);
      gtk_label_set_text (GTK_LABEL (self->problem_label), text);
    }
  gtk_widget_set_visible (self->problem_label, p->problem != NULL);
  GtkListBoxRow *first = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->frame_list), 0);
  if (first != NULL)
    gtk_list_box_select_row (GTK_LIST_BOX (self->frame_list), first);
}

static void
on_process_selected (GtkListBox *box, GtkListBoxRow *row, ThawProcessesPanel *self)
{
  if (row == NULL || self->processes == NULL)
    return;
  int i = gtk_list_box_row_get_index (row);
  if (i >= 0 && (guint) i < self->processes->len)
    show_process (self, i);
}

void
thaw_processes_panel_select (ThawProcessesPanel *self, guint process, guint frame)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->process_list), process);
  if (row == NULL)
    return;
  gtk_list_box_select_row (GTK_LIST_BOX (self->process_list), row);
  GtkListBoxRow *frow = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->frame_list), frame);
  if (frow != NULL)
    gtk_list_box_select_row (GTK_LIST_BOX (self->frame_list), frow);
}

guint
thaw_processes_panel_get_n_processes (ThawProcessesPanel *self)
{
  return self->processes ? self->processes->len : 0;
}

void
thaw_processes_panel_set_vm (ThawProcessesPanel *self, StVM *vm)
{
  clear_list (self->process_list);
  clear_list (self->frame_list);
  clear_list (self->vars_list);
  self->loading = TRUE;
  set_text (self->source_view, "");
  set_text (self->disasm_view, "");
  self->loading = FALSE;
  g_clear_pointer (&self->processes, g_ptr_array_unref);
  g_clear_pointer (&self->printer, st_printer_free);
  self->vm = vm;
  if (vm == NULL)
    return;
  self->printer = st_printer_new (vm);
  g_autoptr (GError) error = NULL;
  self->processes = st_process_list (vm, MAX_FRAMES, &error);
  if (self->processes == NULL)
    {
      gtk_label_set_text (GTK_LABEL (self->problem_label), error->message);
      gtk_widget_set_visible (self->problem_label, TRUE);
      return;
    }
  for (guint i = 0; i < self->processes->len; i++)
    {
      const StProcessInfo *p = g_ptr_array_index (self->processes, i);
      g_autofree char *prio = g_strdup_printf ("%" G_GINT64_FORMAT, p->priority);
      /* TRANSLATORS: a process's state, its priority, where Thaw found it */
      g_autofree char *sub = g_strdup_printf (_("%s · priority %s · found in %s"), p->state, prio, p->found_in);
      gtk_list_box_append (GTK_LIST_BOX (self->process_list),
                           text_row (p->name ? p->name : p->print, sub, FALSE));
    }
  if (self->processes->len > 0)
    thaw_processes_panel_select (self, 0, 0);
}

/* The instruction at a line of the disassembly: its method's name and
 * pc; FALSE for lines that are no instruction. */
static gboolean
line_pc (ThawProcessesPanel *self, int line, guint64 *pc)
{
  if (self->disasm_method == NULL || line < 0 || (guint) line >= self->disasm_pcs->len)
    return FALSE;
  *pc = g_array_index (self->disasm_pcs, guint64, line);
  return *pc != 0;
}

gboolean
thaw_processes_panel_get_cursor_pc (ThawProcessesPanel *self, const char **method, guint64 *pc)
{
  if (self->disasm_method == NULL || g_strcmp0 (self->cursor_method, self->disasm_method) != 0)
    return FALSE;
  *pc = self->cursor_pc;
  if (method)
    *method = self->disasm_method;
  return TRUE;
}

/* The user moved the disassembly's cursor (a click, the arrow keys). */
static void
on_disasm_mark_set (GtkTextBuffer *buf, const GtkTextIter *where, GtkTextMark *mark, ThawProcessesPanel *self)
{
  guint64 pc;
  if (self->loading || mark != gtk_text_buffer_get_insert (buf))
    return;
  if (line_pc (self, gtk_text_iter_get_line (where), &pc))
    {
      g_free (self->cursor_method);
      self->cursor_method = g_strdup (self->disasm_method);
      self->cursor_pc = pc;
    }
}

/* A click on an instruction of the disassembly. */
static void
on_disasm_click (GtkGestureClick *gesture, int n_press, double x, double y, ThawProcessesPanel *self)
{
  int bx, by;
  GtkTextIter it;
  guint64 pc;
  gtk_text_view_window_to_buffer_coords (GTK_TEXT_VIEW (self->disasm_view), GTK_TEXT_WINDOW_WIDGET, (int) x, (int) y,
                                         &bx, &by);
  if (!gtk_text_view_get_iter_at_location (GTK_TEXT_VIEW (self->disasm_view), &it, bx, by))
    return;
  if (n_press == 1 && line_pc (self, gtk_text_iter_get_line (&it), &pc))
    g_signal_emit (self, signals[SIGNAL_BYTECODE_ACTIVATED], 0, self->disasm_method, pc);
}

gboolean
thaw_processes_panel_activate_pc (ThawProcessesPanel *self, guint64 pc)
{
  for (guint i = 0; self->disasm_method != NULL && i < self->disasm_pcs->len; i++)
    if (g_array_index (self->disasm_pcs, guint64, i) == pc)
      {
        g_signal_emit (self, signals[SIGNAL_BYTECODE_ACTIVATED], 0, self->disasm_method, pc);
        return TRUE;
      }
  return FALSE;
}

gboolean
thaw_processes_panel_get_pc_point (ThawProcessesPanel *self, guint64 pc, GtkWidget *target, double *x, double *y)
{
  GtkTextView *view = GTK_TEXT_VIEW (self->disasm_view);
  for (guint i = 0; self->disasm_method != NULL && i < self->disasm_pcs->len; i++)
    if (g_array_index (self->disasm_pcs, guint64, i) == pc)
      {
        GtkTextIter it;
        GdkRectangle r, visible;
        gtk_text_buffer_get_iter_at_line (gtk_text_view_get_buffer (view), &it, (int) i);
        gtk_text_view_get_iter_location (view, &it, &r);
        gtk_text_view_get_visible_rect (view, &visible);
        if (r.y < visible.y || r.y + r.height > visible.y + visible.height)
          {
            /* out of view: bring it in, so that asking again finds it */
            GtkTextBuffer *buf = gtk_text_view_get_buffer (view);
            GtkTextMark *mark = gtk_text_buffer_get_mark (buf, "thaw-locate");
            if (mark == NULL)
              mark = gtk_text_buffer_create_mark (buf, "thaw-locate", &it, TRUE);
            else
              gtk_text_buffer_move_mark (buf, mark, &it);
            gtk_text_view_scroll_to_mark (view, mark, 0.1, FALSE, 0, 0);
            return FALSE;
          }
        int wx, wy;
        gtk_text_view_buffer_to_window_coords (view, GTK_TEXT_WINDOW_WIDGET, r.x + 40, r.y + r.height / 2, &wx, &wy);
        graphene_point_t in = GRAPHENE_POINT_INIT (wx, wy), out;
        if (!gtk_widget_compute_point (self->disasm_view, target, &in, &out))
          return FALSE;
        *x = out.x;
        *y = out.y;
        return TRUE;
      }
  return FALSE;
}

void
thaw_processes_panel_set_marked (ThawProcessesPanel *self, const char *const *specs)
{
  g_clear_pointer (&self->marked, g_hash_table_unref);
  self->marked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; specs != NULL && specs[i] != NULL; i++)
    g_hash_table_add (self->marked, g_strdup (specs[i]));
}

const char *
thaw_processes_panel_get_disasm_text (ThawProcessesPanel *self, char **owned)
{
  GtkTextBuffer *buf = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->disasm_view));
  GtkTextIter a, b;
  gtk_text_buffer_get_bounds (buf, &a, &b);
  *owned = gtk_text_buffer_get_text (buf, &a, &b, FALSE);
  return *owned;
}

static void
thaw_processes_panel_dispose (GObject *object)
{
  ThawProcessesPanel *self = THAW_PROCESSES_PANEL (object);
  g_clear_pointer (&self->disasm_method, g_free);
  g_clear_pointer (&self->disasm_pcs, g_array_unref);
  g_clear_pointer (&self->marked, g_hash_table_unref);
  g_clear_pointer (&self->cursor_method, g_free);
  g_clear_pointer (&self->processes, g_ptr_array_unref);
  g_clear_pointer (&self->printer, st_printer_free);
  G_OBJECT_CLASS (thaw_processes_panel_parent_class)->dispose (object);
}

static void
thaw_processes_panel_class_init (ThawProcessesPanelClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = thaw_processes_panel_dispose;
  /* An instruction of the disassembly was clicked: its method's name
   * ("Class>>sel") and image pc. */
  signals[SIGNAL_BYTECODE_ACTIVATED] =
    g_signal_new ("bytecode-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT64);
}

static GtkWidget *
scrolled (GtkWidget *child, int min_width)
{
  GtkWidget *sw = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (sw), child);
  gtk_widget_set_size_request (sw, min_width, 80);
  gtk_widget_set_vexpand (sw, TRUE);
  gtk_widget_set_hexpand (sw, TRUE);
  return sw;
}

static GtkWidget *
titled (const char *title, GtkWidget *child, GtkWidget **label_out)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *l = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_label_set_ellipsize (GTK_LABEL (l), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (l, "heading");
  gtk_widget_set_margin_start (l, 6);
  gtk_widget_set_margin_top (l, 6);
  gtk_box_append (GTK_BOX (box), l);
  gtk_box_append (GTK_BOX (box), child);
  if (label_out)
    *label_out = l;
  return box;
}

static GtkWidget *
code_view (const char *accessible_name)
{
  GtkWidget *v = gtk_text_view_new ();
  gtk_text_view_set_editable (GTK_TEXT_VIEW (v), FALSE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (v), TRUE);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (v), 6);
  /* Smalltalk sources indent with tabs: a tab every 3 em keeps them readable. */
  PangoTabArray *tabs = pango_tab_array_new_with_positions (1, TRUE, PANGO_TAB_LEFT, 24);
  gtk_text_view_set_tabs (GTK_TEXT_VIEW (v), tabs);
  pango_tab_array_free (tabs);
  gtk_text_buffer_create_tag (gtk_text_view_get_buffer (GTK_TEXT_VIEW (v)), "current",
                              "background", "#f6d32d", "foreground", "#000000", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (v), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible_name, -1);
  return v;
}

static void
thaw_processes_panel_init (ThawProcessesPanel *self)
{
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  self->problem_label = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->problem_label, "error");
  gtk_widget_set_visible (self->problem_label, FALSE);
  gtk_box_append (GTK_BOX (self), self->problem_label);

  self->process_list = gtk_list_box_new ();
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->process_list), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Processes"), -1);
  g_signal_connect (self->process_list, "row-selected", G_CALLBACK (on_process_selected), self);
  self->frame_list = gtk_list_box_new ();
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->frame_list), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Stack"), -1);
  g_signal_connect (self->frame_list, "row-selected", G_CALLBACK (on_frame_selected), self);
  self->vars_list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->vars_list), GTK_SELECTION_NONE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->vars_list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Receiver, arguments, temporaries and stack"), -1);
  self->source_view = code_view (_("Source"));
  self->disasm_view = code_view (_("Bytecodes"));
  self->disasm_pcs = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_signal_connect (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->disasm_view)), "mark-set",
                    G_CALLBACK (on_disasm_mark_set), self);
  GtkGesture *click = gtk_gesture_click_new ();
  g_signal_connect (click, "pressed", G_CALLBACK (on_disasm_click), self);
  gtk_widget_add_controller (self->disasm_view, GTK_EVENT_CONTROLLER (click));

  GtkWidget *top = gtk_paned_new (GTK_ORIENTATION_HORIZONTAL);
  gtk_paned_set_start_child (GTK_PANED (top), titled (_("Processes"), scrolled (self->process_list, 200), NULL));
  gtk_paned_set_end_child (GTK_PANED (top), titled (_("Stack"), scrolled (self->frame_list, 300), NULL));
  gtk_paned_set_position (GTK_PANED (top), 380);

  GtkWidget *code = gtk_paned_new (GTK_ORIENTATION_HORIZONTAL);
  gtk_paned_set_start_child (GTK_PANED (code), titled (_("Source"), scrolled (self->source_view, 250), &self->source_label));
  GtkWidget *right = gtk_paned_new (GTK_ORIENTATION_HORIZONTAL);
  gtk_paned_set_start_child (GTK_PANED (right), titled (_("Bytecodes"), scrolled (self->disasm_view, 250), NULL));
  gtk_paned_set_end_child (GTK_PANED (right), titled (_("Frame"), scrolled (self->vars_list, 200), NULL));
  gtk_paned_set_end_child (GTK_PANED (code), right);
  gtk_paned_set_position (GTK_PANED (code), 420);
  gtk_paned_set_position (GTK_PANED (right), 380);

  GtkWidget *outer = gtk_paned_new (GTK_ORIENTATION_VERTICAL);
  gtk_widget_set_vexpand (outer, TRUE);
  gtk_paned_set_start_child (GTK_PANED (outer), top);
  gtk_paned_set_end_child (GTK_PANED (outer), code);
  gtk_paned_set_position (GTK_PANED (outer), 260);
  gtk_box_append (GTK_BOX (self), outer);
}
