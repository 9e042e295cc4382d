/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ThawDisplayView on a synthetic image's host (never run, so the events
 * the view posts stay in the host's input queue for the test to read):
 * where the frame is drawn at fit and whole zooms, and how pointer, wheel
 * and keys become Squeak's events (buttons red/yellow/blue, modifiers,
 * the command key, MacRoman and Unicode characters, image coordinates).
 * Needs a display (the app suite runs under xvfb-run); skips without. */
#include "config.h"

#include <gtk/gtk.h>
#include <string.h>

#include "builder.h"
#include "host.h"
#include "input.h"
#include "method.h"
#include "thaw-display-view.h"

#define FRAME_W 100
#define FRAME_H 50
#define VIEW_W  400
#define VIEW_H  300

typedef struct {
  StVM            *vm;
  StHost          *host;
  GtkWidget       *window;
  ThawDisplayView *view;
} Fixture;

static void
ignore (const StHostMessage *msg, gpointer data)
{
}

/* A Spur image whose active context is Object>>test (return self). */
static StVM *
synthetic_vm (void)
{
  ThawBuilder *b = thaw_builder_new_at (ST_FAMILY_SPUR, 8, 68021, 0);
  const ThawBuilderObjects *k = thaw_builder_objects (b);
  guint8 code[] = { 120 /* returnSelf */ };
  StOop method = thaw_builder_method (b, k->object_class, "test", 0, 0, 0, NULL, 0, code, sizeof code);
  StOop ctx = k->active_context;
  StVM *vm = thaw_builder_finish (b);
  thaw_builder_free (b);
  StMethodHeader h;
  g_assert_true (st_method_header (vm, method, &h, NULL));
  st_store (vm, ctx, 3, method);                                        /* method */
  st_store (vm, ctx, 1, st_smallint_oop ((int64_t) h.initial_pc + 1));  /* pc */
  st_store (vm, ctx, 2, st_smallint_oop (0));                           /* stackp */
  st_store (vm, ctx, 5, vm->nil_obj);                                   /* receiver */
  return vm;
}

static void
iterate (int ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->vm = synthetic_vm ();
  f->host = st_host_new (f->vm, NULL, ignore, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->host);
  f->window = gtk_window_new ();
  gtk_window_set_decorated (GTK_WINDOW (f->window), FALSE);
  gtk_window_set_default_size (GTK_WINDOW (f->window), VIEW_W, VIEW_H);
  f->view = THAW_DISPLAY_VIEW (thaw_display_view_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->view));
  thaw_display_view_set_host (f->view, f->host);
  guint32 *px = g_new0 (guint32, FRAME_W * FRAME_H);
  for (int i = 0; i < FRAME_W * FRAME_H; i++)
    px[i] = 0xFF000000u | (guint32) i;
  g_autoptr (GBytes) frame = g_bytes_new_take (px, FRAME_W * FRAME_H * 4);
  thaw_display_view_set_frame (f->view, frame, FRAME_W, FRAME_H, FRAME_W * 4);
  gtk_window_present (GTK_WINDOW (f->window));
  for (int i = 0; i < 200 && gtk_widget_get_width (GTK_WIDGET (f->view)) != VIEW_W; i++)
    iterate (10);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (f->view)), ==, VIEW_W);
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (f->view)), ==, VIEW_H);
  g_assert_cmpint (gtk_widget_get_scale_factor (GTK_WIDGET (f->view)), ==, 1);
  iterate (400);   /* the screen size the view tells the host arrives as a window event */
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  thaw_display_view_set_host (f->view, NULL);
  gtk_window_destroy (GTK_WINDOW (f->window));
  st_host_free (f->host);   /* frees the VM */
  iterate (50);
}

/* The next event the view posted, window events skipped; FALSE when none. */
static gboolean
next_event (Fixture *f, StInputEvent *ev)
{
  StInput *in = st_io_input (f->vm);
  while (st_input_pop (in, ev))
    if (ev->type != ST_EVENT_WINDOW)
      return TRUE;
  return FALSE;
}

static void
drain (Fixture *f)
{
  StInputEvent ev;
  while (next_event (f, &ev))
    ;
}

static void
synth (Fixture *f, const char *spec)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (thaw_display_view_synthesize (f->view, spec, &error));
  g_assert_no_error (error);
}

static void
expect_mouse (Fixture *f, int x, int y, guint buttons, guint modifiers)
{
  StInputEvent ev;
  g_assert_true (next_event (f, &ev));
  g_assert_cmpint (ev.type, ==, ST_EVENT_MOUSE);
  g_assert_cmpint (ev.x, ==, x);
  g_assert_cmpint (ev.y, ==, y);
  g_assert_cmpuint (ev.buttons, ==, buttons);
  g_assert_cmpuint (ev.modifiers, ==, modifiers);
  g_assert_cmpint (ev.window, ==, 1);
}

static void
expect_key (Fixture *f, StKeyPress press, guint32 char_code, guint32 unicode, guint modifiers)
{
  StInputEvent ev;
  g_assert_true (next_event (f, &ev));
  g_assert_cmpint (ev.type, ==, ST_EVENT_KEYBOARD);
  g_assert_cmpint (ev.press, ==, press);
  g_assert_cmpuint (ev.char_code, ==, char_code);
  g_assert_cmpuint (ev.unicode, ==, unicode);
  g_assert_cmpuint (ev.modifiers, ==, modifiers);
}

static void
test_placement (Fixture *f, gconstpointer data)
{
  double x, y, s;
  /* fit: the largest whole zoom (4: 400/100 wide, 300/50 = 6 high), centred */
  thaw_display_view_get_placement (f->view, &x, &y, &s);
  g_assert_cmpfloat (s, ==, 4);
  g_assert_cmpfloat (x, ==, 0);
  g_assert_cmpfloat (y, ==, (VIEW_H - FRAME_H * 4) / 2);
  thaw_display_view_set_zoom (f->view, 1);
  thaw_display_view_get_placement (f->view, &x, &y, &s);
  g_assert_cmpfloat (s, ==, 1);
  g_assert_cmpfloat (x, ==, (VIEW_W - FRAME_W) / 2);
  g_assert_cmpfloat (y, ==, (VIEW_H - FRAME_H) / 2);
  /* larger than the view: from the top-left corner, clipped */
  thaw_display_view_set_zoom (f->view, 8);
  thaw_display_view_get_placement (f->view, &x, &y, &s);
  g_assert_cmpfloat (s, ==, 8);
  g_assert_cmpfloat (x, ==, 0);
  g_assert_cmpfloat (y, ==, 0);
  int w, h;
  thaw_display_view_get_frame_size (f->view, &w, &h);
  g_assert_cmpint (w, ==, FRAME_W);
  g_assert_cmpint (h, ==, FRAME_H);
}

static void
test_mouse (Fixture *f, gconstpointer data)
{
  drain (f);
  synth (f, "move 10 20");
  expect_mouse (f, 10, 20, 0, 0);
  /* left red, middle yellow, right blue */
  synth (f, "press 10 20 1");
  expect_mouse (f, 10, 20, ST_BUTTON_RED, 0);
  synth (f, "release 10 20 1");
  expect_mouse (f, 10, 20, 0, 0);
  synth (f, "click 99 49 2");
  expect_mouse (f, 99, 49, ST_BUTTON_YELLOW, 0);
  expect_mouse (f, 99, 49, 0, 0);
  synth (f, "click 0 0 3");
  expect_mouse (f, 0, 0, ST_BUTTON_BLUE, 0);
  expect_mouse (f, 0, 0, 0, 0);
  /* one-button emulation: Ctrl+left yellow, Alt+left blue, the modifier
   * not also reported; the release ends what the press started */
  synth (f, "press 5 6 1 ctrl");
  expect_mouse (f, 5, 6, ST_BUTTON_YELLOW, 0);
  synth (f, "release 5 6 1");
  expect_mouse (f, 5, 6, 0, 0);
  synth (f, "click 5 6 1 alt");
  expect_mouse (f, 5, 6, ST_BUTTON_BLUE, 0);
  expect_mouse (f, 5, 6, 0, 0);
  /* Shift stays a modifier */
  synth (f, "press 7 8 1 shift");
  expect_mouse (f, 7, 8, ST_BUTTON_RED, ST_MOD_SHIFT);
  synth (f, "release 7 8 1");
  expect_mouse (f, 7, 8, 0, 0);
  /* outside the display: clamped to its pixels */
  synth (f, "move 500 -3");
  expect_mouse (f, FRAME_W - 1, 0, 0, 0);
  StInputEvent ev;
  g_assert_false (next_event (f, &ev));
}

static void
test_mouse_zoomed (Fixture *f, gconstpointer data)
{
  /* the same image pixel at another zoom: the view maps back exactly */
  thaw_display_view_set_zoom (f->view, 2);
  iterate (100);
  drain (f);
  synth (f, "click 33 44 1");
  expect_mouse (f, 33, 44, ST_BUTTON_RED, 0);
  expect_mouse (f, 33, 44, 0, 0);
}

static void
test_keys (Fixture *f, gconstpointer data)
{
  drain (f);
  /* a typed letter: down, the character, up */
  synth (f, "key a");
  expect_key (f, ST_KEY_DOWN, 'a', 'a', 0);
  expect_key (f, ST_KEY_CHAR, 'a', 'a', 0);
  expect_key (f, ST_KEY_UP, 'a', 'a', 0);
  /* keys without a character get Squeak's codes */
  synth (f, "key Return");
  expect_key (f, ST_KEY_DOWN, 13, 13, 0);
  expect_key (f, ST_KEY_CHAR, 13, 13, 0);
  expect_key (f, ST_KEY_UP, 13, 13, 0);
  synth (f, "key Left");
  expect_key (f, ST_KEY_DOWN, 28, 28, 0);
  expect_key (f, ST_KEY_CHAR, 28, 28, 0);
  expect_key (f, ST_KEY_UP, 28, 28, 0);
  /* Ctrl and Alt are the command key */
  synth (f, "key ctrl+d");
  expect_key (f, ST_KEY_DOWN, 'd', 'd', ST_MOD_COMMAND);
  expect_key (f, ST_KEY_CHAR, 'd', 'd', ST_MOD_COMMAND);
  expect_key (f, ST_KEY_UP, 'd', 'd', ST_MOD_COMMAND);
  synth (f, "key alt+p");
  expect_key (f, ST_KEY_DOWN, 'p', 'p', ST_MOD_COMMAND);
  expect_key (f, ST_KEY_CHAR, 'p', 'p', ST_MOD_COMMAND);
  expect_key (f, ST_KEY_UP, 'p', 'p', ST_MOD_COMMAND);
  /* beyond ASCII: MacRoman for the 8-bit code, the code point as Unicode */
  synth (f, "text é");
  expect_key (f, ST_KEY_DOWN, 0x8E, 0xE9, 0);
  expect_key (f, ST_KEY_CHAR, 0x8E, 0xE9, 0);
  expect_key (f, ST_KEY_UP, 0x8E, 0xE9, 0);
  synth (f, "text A");
  expect_key (f, ST_KEY_DOWN, 'A', 'A', ST_MOD_SHIFT);
  expect_key (f, ST_KEY_CHAR, 'A', 'A', ST_MOD_SHIFT);
  expect_key (f, ST_KEY_UP, 'A', 'A', ST_MOD_SHIFT);
  /* function keys are the window's (F5 runs, Shift+F5 pauses) */
  synth (f, "key F5");
  StInputEvent ev;
  g_assert_false (next_event (f, &ev));
}

static void
test_wheel (Fixture *f, gconstpointer data)
{
  drain (f);
  synth (f, "move 40 30");
  expect_mouse (f, 40, 30, 0, 0);
  synth (f, "scroll 1");   /* GTK: one notch down */
  StInputEvent ev;
  g_assert_true (next_event (f, &ev));
  g_assert_cmpint (ev.type, ==, ST_EVENT_WHEEL);
  g_assert_cmpint (ev.dy, ==, -120);
  g_assert_cmpint (ev.dx, ==, 0);
  g_assert_cmpint (ev.x, ==, 40);
  g_assert_cmpint (ev.y, ==, 30);
  ThawDisplayStats st;
  thaw_display_view_get_stats (f->view, &st);
  g_assert_cmpuint (st.events_posted, >=, 2);
  g_assert_cmpuint (st.frames, ==, 1);
}

static void
test_bad_specs (Fixture *f, gconstpointer data)
{
  static const char *bad[] = { "", "fly 1 2", "click 1", "click a b", "key", "key nosuchkey",
                               "key hyper+a", "press 1 2 1 meta", "scroll x" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_false (thaw_display_view_synthesize (f->view, bad[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_test_skip ("no display (run the app suite under xvfb-run)");
      return g_test_run ();
    }
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/app/display-view/placement", test_placement);
  ADD ("/app/display-view/mouse", test_mouse);
  ADD ("/app/display-view/mouse-zoomed", test_mouse_zoomed);
  ADD ("/app/display-view/keys", test_keys);
  ADD ("/app/display-view/wheel", test_wheel);
  ADD ("/app/display-view/bad-specs", test_bad_specs);
  return g_test_run ();
}
