/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Real images run through the engine thread (host.h) for a few seconds
 * with a 640 x 480 screen: the frame the host hands out is not blank and
 * equals the display Form converted here, independently, on the engine
 * thread while the image is paused; typed keys reach the image (read
 * through primitive 94, or through the polling primitives for images
 * without an event queue).  Frames are written as PPM files to
 * $THAW_SHOTS (or a temporary folder). */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "display.h"
#include "host.h"
#include "image-read.h"
#include "interp.h"
#include "../support.h"

typedef struct {
  const char *folder, *file;
  guint min_colours;     /* a desktop, not a blank screen */
  gint key_x, key_y;     /* where the pointer goes before typing */
  gboolean typing_shows; /* the typed text appears on the display, in: */
  StRect typed;
  gint click_x, click_y; /* a red click there opens a menu (0: not tried) */
} Case;

static const Case cases[] = {
  /* A click on the desktop opens the World menu. */
  { "cuis4.1", "Cuis4.1-1544-reduced.image", 8, 320, 240, FALSE, { 0 }, 200, 150 },
  /* A depth-1 MVC display; the pointer in the System Browser's code pane,
   * whose first line gets the typed text. */
  { "squeak-mini", "mini.image", 2, 300, 250, TRUE, { 75, 150, 120, 16 } },
  { "scratch", "Scratch.image", 8, 320, 240, FALSE },
};

typedef struct {
  guint displays, statuses, cursors;
  StHostState last_state;
  char *halt_reason;
  double best_rate;
  guint64 events_delivered;
  guint full_gcs;
  gint cursor_width, cursor_height;
} Log;

static void
notify (const StHostMessage *msg, gpointer data)
{
  Log *log = data;
  switch (msg->kind)
    {
    case ST_HOST_MSG_DISPLAY: log->displays++; break;
    case ST_HOST_MSG_STATUS: log->statuses++; break;
    case ST_HOST_MSG_CURSOR:
      log->cursors++;
      if (msg->cursor_pixels)
        {
          g_assert_cmpuint (g_bytes_get_size (msg->cursor_pixels), ==,
                            (gsize) msg->cursor_width * msg->cursor_height * 4);
          log->cursor_width = msg->cursor_width;
          log->cursor_height = msg->cursor_height;
        }
      break;
    case ST_HOST_MSG_GC:
      for (guint i = 0; i < msg->gc_samples->len; i++)
        if (g_array_index (msg->gc_samples, StGcSample, i).kind == ST_GC_FULL)
          log->full_gcs++;
      break;
    default: break;
    }
  log->last_state = msg->state;
  log->best_rate = MAX (log->best_rate, msg->bytecodes_per_sec);
  log->events_delivered = MAX (log->events_delivered, msg->events_delivered);
  if (msg->halt_reason)
    {
      g_free (log->halt_reason);
      log->halt_reason = g_strdup (msg->halt_reason);
    }
}

static void
pump (GMainContext *ui, gint64 usecs)
{
  gint64 end = g_get_monotonic_time () + usecs;
  while (g_get_monotonic_time () < end)
    {
      while (g_main_context_iteration (ui, FALSE))
        ;
      g_usleep (5000);
    }
}

typedef struct {
  guint32 *px;
  gint width, height;
  gboolean ok;
  guint64 delivered;
  guint64 updates;
  gboolean deferred;
} Convert;

/* On the engine thread, while paused: the display Form, converted. */
static void
convert_now (StVM *vm, gpointer data)
{
  Convert *c = data;
  StFormInfo fi;
  c->updates = st_io_updates (vm);
  c->deferred = st_io_deferred (vm);
  StOop form = st_display_form (vm, &fi, NULL);
  if (form == 0)
    return;
  c->width = fi.width;
  c->height = fi.height;
  c->px = g_new (guint32, (gsize) fi.width * fi.height);
  c->ok = st_display_convert (vm, form, NULL, c->px, (gsize) fi.width * 4, 0, NULL, NULL);
}

static char *
shots_dir (void)
{
  const char *d = g_getenv ("THAW_SHOTS");
  g_autofree char *dir = d != NULL && *d ? g_strdup (d) : g_build_filename (g_get_tmp_dir (), "thaw-shots", NULL);
  g_mkdir_with_parents (dir, 0755);
  return g_steal_pointer (&dir);
}

typedef struct {
  guint64 delivered;
  guint queued;
  gint key_peek;
} Polled;

static void
polled (StVM *vm, gpointer data)
{
  Polled *p = data;
  StInput *in = st_io_input (vm);
  p->delivered = st_input_delivered (in);
  p->queued = st_input_queued (in);
  p->key_peek = st_input_key_peek (in);
}

static void
key (StHost *host, guint32 c)
{
  StInputEvent ev = { .type = ST_EVENT_KEYBOARD, .char_code = c, .unicode = c, .press = ST_KEY_DOWN };
  st_host_post_event (host, &ev);
  ev.press = ST_KEY_CHAR;
  st_host_post_event (host, &ev);
  ev.press = ST_KEY_UP;
  st_host_post_event (host, &ev);
}

static void
test_run (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *path = thaw_test_real_image (c->folder, c->file);
  if (path == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, 0, &error);
  g_assert_no_error (error);
  GMainContext *ui = g_main_context_new ();
  Log log = { 0 };
  StHostOptions opt = { .screen_width = 640, .screen_height = 480, .start_running = TRUE };
  StHost *host = st_host_new (vm, ui, notify, &log, &opt, &error);
  g_assert_no_error (error);
  g_assert_nonnull (host);

  const char *secs = g_getenv ("THAW_RUN_SECONDS");
  pump (ui, (gint64) ((secs ? g_ascii_strtod (secs, NULL) : 4.0) * G_USEC_PER_SEC));
  g_test_message ("%s: %u display messages, %u status, %u cursor; state %s; up to %.0f bytecodes/s%s%s",
                  c->folder, log.displays, log.statuses, log.cursors, st_host_state_name (st_host_state (host)),
                  log.best_rate, log.halt_reason ? "; " : "", log.halt_reason ? log.halt_reason : "");
  g_assert_cmpint (st_host_state (host), !=, ST_HOST_STATE_HALTED);
  g_assert_cmpuint (log.displays, >, 0);
  g_assert_cmpuint (log.statuses, >, 0);
  /* Every one of these images sets a 16 x 16 cursor at startup. */
  g_assert_cmpuint (log.cursors, >, 0);
  g_assert_cmpint (log.cursor_width, ==, 16);
  g_assert_cmpint (log.cursor_height, ==, 16);

  /* The frame against the Form converted here.  The image may be caught
   * between drawing into its Form and showing it: then run a little more
   * and look again. */
  gboolean same = FALSE;
  GBytes *px = NULL;
  int w = 0, h = 0, stride = 0;
  guint colours = 0;
  for (int attempt = 0; attempt < 10 && !same; attempt++)
    {
      st_host_pause (host);
      g_assert_true (st_host_sync (host, 2 * G_USEC_PER_SEC));
      StRect dirty;
      GBytes *now = NULL;
      if (st_host_take_frame (host, &now, &w, &h, &stride, &dirty))
        {
          if (px)
            g_bytes_unref (px);
          px = now;
        }
      g_assert_nonnull (px);
      Convert cv = { 0 };
      g_assert_true (st_host_call (host, convert_now, &cv, 2 * G_USEC_PER_SEC));
      g_assert_true (cv.ok);
      g_assert_cmpint (cv.width, ==, w);
      g_assert_cmpint (cv.height, ==, h);
      g_assert_cmpint (stride, ==, w * 4);
      same = memcmp (g_bytes_get_data (px, NULL), cv.px, (gsize) w * h * 4) == 0;
      colours = st_display_count_colours (cv.px, (gsize) w * h);
      if (same)
        {
          g_autofree char *dir = shots_dir ();
          g_autofree char *name = g_strdup_printf ("%s-run.ppm", c->folder);
          g_autofree char *out = g_build_filename (dir, name, NULL);
          g_assert_true (st_display_write_ppm (cv.px, w, h, out, &error));
          g_assert_no_error (error);
          g_test_message ("%s: %dx%d frame, %u colours, attempt %d, %" G_GUINT64_FORMAT " updates shown%s: %s",
                          c->folder, w, h, colours, attempt, cv.updates, cv.deferred ? " (deferred)" : "", out);
        }
      g_free (cv.px);
      if (!same)
        {
          st_host_run (host);
          pump (ui, 300000);
        }
    }
  g_assert_true (same);
  g_assert_cmpuint (colours, >=, c->min_colours);

  /* Typed keys are read by the image: as events (primitive 94), or from
   * the key queue of the polling primitives (108). */
  st_host_run (host);
  StInputEvent move = { .type = ST_EVENT_MOUSE, .x = c->key_x, .y = c->key_y };
  st_host_post_event (host, &move);
  pump (ui, 500000);
  Polled before = { 0 }, after = { 0 };
  g_assert_true (st_host_call (host, polled, &before, G_USEC_PER_SEC));
  for (guint32 ch = 'a'; ch <= 'e'; ch++)
    key (host, ch);
  pump (ui, 1500000);
  g_assert_true (st_host_call (host, polled, &after, G_USEC_PER_SEC));
  g_test_message ("%s: events read %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT ", queued %u, key queue %s",
                  c->folder, before.delivered, after.delivered, after.queued,
                  after.key_peek < 0 ? "empty" : "not empty");
  if (after.delivered > 0)
    {
      g_assert_cmpuint (after.delivered, >=, before.delivered + 15);
      g_assert_cmpuint (after.queued, ==, 0);
    }
  else
    g_assert_cmpint (after.key_peek, <, 0);
  if (c->typing_shows)
    {
      st_host_pause (host);
      g_assert_true (st_host_sync (host, 2 * G_USEC_PER_SEC));
      GBytes *typed = NULL;
      StRect dirty;
      int w2, h2, s2;
      g_assert_true (st_host_take_frame (host, &typed, &w2, &h2, &s2, &dirty));
      g_assert_cmpint (w2, ==, w);
      g_assert_false (g_bytes_equal (typed, px));
      /* The text line itself changed, not just a scroll bar. */
      const guint32 *a = g_bytes_get_data (px, NULL), *b = g_bytes_get_data (typed, NULL);
      guint changed = 0;
      for (gint y = c->typed.y; y < c->typed.y + c->typed.height; y++)
        for (gint x = c->typed.x; x < c->typed.x + c->typed.width; x++)
          changed += a[(gsize) y * w + x] != b[(gsize) y * w + x];
      g_test_message ("%s: %u pixels of the text line changed", c->folder, changed);
      g_assert_cmpuint (changed, >, 20);
      g_test_message ("%s: typing changed %dx%d at %d,%d", c->folder, dirty.width, dirty.height, dirty.x, dirty.y);
      g_autofree char *dir = shots_dir ();
      g_autofree char *name = g_strdup_printf ("%s-typed.ppm", c->folder);
      g_autofree char *out = g_build_filename (dir, name, NULL);
      g_assert_true (st_display_write_ppm (g_bytes_get_data (typed, NULL), w2, h2, out, &error));
      g_bytes_unref (typed);
    }
  if (c->click_x > 0)
    {
      st_host_run (host);
      StInputEvent down = { .type = ST_EVENT_MOUSE, .x = c->click_x, .y = c->click_y, .buttons = ST_BUTTON_RED };
      StInputEvent up = { .type = ST_EVENT_MOUSE, .x = c->click_x, .y = c->click_y };
      st_host_post_event (host, &down);
      pump (ui, 100000);
      st_host_post_event (host, &up);
      guint changed = 0;
      for (int attempt = 0; attempt < 20 && changed < 200; attempt++)
        {
          pump (ui, 250000);
          Convert cv = { 0 };
          g_assert_true (st_host_call (host, convert_now, &cv, 2 * G_USEC_PER_SEC));
          const guint32 *a = g_bytes_get_data (px, NULL);
          changed = 0;
          for (gint y = MAX (0, c->click_y - 100); y < MIN (h, c->click_y + 200); y++)
            for (gint x = MAX (0, c->click_x - 100); x < MIN (w, c->click_x + 200); x++)
              changed += a[(gsize) y * w + x] != cv.px[(gsize) y * w + x];
          if (changed >= 200)
            {
              g_autofree char *dir = shots_dir ();
              g_autofree char *name = g_strdup_printf ("%s-click.ppm", c->folder);
              g_autofree char *out = g_build_filename (dir, name, NULL);
              g_assert_true (st_display_write_ppm (cv.px, w, h, out, &error));
              g_test_message ("%s: the click changed %u pixels around it: %s", c->folder, changed, out);
            }
          g_free (cv.px);
        }
      g_assert_cmpuint (changed, >=, 200);
    }
  g_bytes_unref (px);

  /* A full GC on demand while running: its sample arrives. */
  st_host_run (host);
  guint full_before = log.full_gcs;
  st_host_gc (host);
  for (int i = 0; i < 200 && log.full_gcs == full_before; i++)
    pump (ui, 10000);
  g_assert_cmpuint (log.full_gcs, >, full_before);

  /* Closing while it runs: the engine thread ends within a second. */
  pump (ui, 200000);
  g_assert_cmpint (st_host_state (host), !=, ST_HOST_STATE_PAUSED);
  gint64 t0 = g_get_monotonic_time ();
  st_host_free (host);
  gint64 free_usecs = g_get_monotonic_time () - t0;
  g_test_message ("%s: freed while running in %.1f ms", c->folder, free_usecs / 1e3);
  g_assert_cmpint (free_usecs, <, G_USEC_PER_SEC);
  while (g_main_context_iteration (ui, FALSE))
    ;
  g_main_context_unref (ui);
  g_free (log.halt_reason);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/image/display-run/%s", cases[i].folder);
      g_test_add_data_func (name, &cases[i], test_run);
    }
  return g_test_run ();
}
