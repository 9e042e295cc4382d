/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The engine thread (host.h) on synthetic images: start paused, step one
 * bytecode, run, pause (the count stops), free while running (under a
 * second), status messages on the UI's own main context; an input event
 * posted to the host read by the image's primitive 94 as the 8 values of
 * Squeak's event buffer, and by the polling primitives 108/109; the
 * display primitives (102, 127) feeding the host's frame buffer. */
#include "config.h"

#include <string.h>

#include "builder.h"
#include "host.h"
#include "image-read.h"
#include "interp.h"
#include "method.h"
#include "support.h"

enum { SENDER, PC, STACKP, METHOD, CLOSURE, RECEIVER, TEMP0 };

#define PUSH_TEMP(i)  (16 + (i))
#define PUSH_LIT(i)   (32 + (i))
#define POP_TEMP(i)   (104 + (i))
#define PUSH_SELF     112
#define PUSH_ONE      118
#define RETURN_SELF   120
#define POP           135
#define SEND0(lit)    (208 + (lit))
#define SEND1(lit)    (224 + (lit))
#define PLUS          176
#define EXT_SEND      131   /* next byte: args << 5 | literal */

typedef struct {
  ThawBuilder *b;
  const ThawBuilderObjects *k;
  StVM *vm;
  StOop method;
} Img;

static void
img_setup_as (Img *im, StFamily family, guint word_bytes, guint32 format)
{
  memset (im, 0, sizeof *im);
  im->b = thaw_builder_new_at (family, word_bytes, format, 0);
  im->k = thaw_builder_objects (im->b);
  guint8 ret = RETURN_SELF;
  thaw_builder_method (im->b, im->k->object_class, "quit", 0, 0, 113, NULL, 0, &ret, 1);
}

static void
img_setup (Img *im)
{
  img_setup_as (im, ST_FAMILY_SPUR, 8, 68021);
}

/* Install Object>>test and point the active context at it. */
static void
img_finish (Img *im, guint num_temps, const StOop *lits, guint n_lits, const guint8 *code, gsize n)
{
  im->method = thaw_builder_method (im->b, im->k->object_class, "test", 0, num_temps, 0, lits, n_lits, code, n);
  im->vm = thaw_builder_finish (im->b);
  StVM *vm = im->vm;
  StOop ctx = im->k->active_context;
  StMethodHeader h;
  g_assert_true (st_method_header (vm, im->method, &h, NULL));
  st_store (vm, ctx, METHOD, im->method);
  st_store (vm, ctx, PC, st_smallint_oop ((int64_t) h.initial_pc + 1));
  st_store (vm, ctx, STACKP, st_smallint_oop (h.num_temps));
  st_store (vm, ctx, RECEIVER, vm->nil_obj);
  for (guint i = 0; i < h.num_temps; i++)
    st_store (vm, ctx, TEMP0 + i, vm->nil_obj);
}

typedef struct {
  GArray *kinds;     /* StHostMessageKind */
  GArray *states;    /* StHostState of each message */
  GThread *ui_thread;
  bool wrong_thread;
  guint64 last_bytecodes;
  char *halt_reason;
  char *saved_path, *saved_error;     /* the last SAVED message */
  guint saves, gcs, inspected;
  guint gc_samples, full_gcs;
  char *inspect_error;
  char **inspect_lines;
  guint cursors;
  GBytes *cursor;
  gint cursor_w, cursor_h, hot_x, hot_y;
} Log;

static void
notify (const StHostMessage *msg, gpointer data)
{
  Log *log = data;
  if (g_thread_self () != log->ui_thread)
    log->wrong_thread = true;
  g_array_append_val (log->kinds, msg->kind);
  g_array_append_val (log->states, msg->state);
  log->last_bytecodes = msg->bytecodes;
  if (msg->halt_reason)
    {
      g_free (log->halt_reason);
      log->halt_reason = g_strdup (msg->halt_reason);
    }
  switch (msg->kind)
    {
    case ST_HOST_MSG_SAVED:
      log->saves++;
      g_free (log->saved_path);
      g_free (log->saved_error);
      log->saved_path = g_strdup (msg->path);
      log->saved_error = g_strdup (msg->error);
      break;
    case ST_HOST_MSG_GC:
      log->gcs++;
      g_assert_nonnull (msg->gc_samples);
      log->gc_samples += msg->gc_samples->len;
      for (guint i = 0; i < msg->gc_samples->len; i++)
        if (g_array_index (msg->gc_samples, StGcSample, i).kind == ST_GC_FULL)
          log->full_gcs++;
      break;
    case ST_HOST_MSG_CURSOR:
      log->cursors++;
      if (log->cursor)
        g_bytes_unref (log->cursor);
      log->cursor = msg->cursor_pixels ? g_bytes_ref (msg->cursor_pixels) : NULL;
      log->cursor_w = msg->cursor_width;
      log->cursor_h = msg->cursor_height;
      log->hot_x = msg->cursor_hot_x;
      log->hot_y = msg->cursor_hot_y;
      break;
    case ST_HOST_MSG_INSPECTED:
      log->inspected++;
      g_free (log->inspect_error);
      g_strfreev (log->inspect_lines);
      log->inspect_error = g_strdup (msg->error);
      log->inspect_lines = g_strdupv (msg->lines);
      break;
    default:
      break;
    }
}

static void
log_init (Log *log)
{
  log->kinds = g_array_new (FALSE, FALSE, sizeof (StHostMessageKind));
  log->states = g_array_new (FALSE, FALSE, sizeof (StHostState));
  log->ui_thread = g_thread_self ();
  log->wrong_thread = false;
  log->halt_reason = NULL;
  log->saved_path = log->saved_error = log->inspect_error = NULL;
  log->inspect_lines = NULL;
  log->saves = log->gcs = log->inspected = log->gc_samples = log->full_gcs = 0;
  log->cursors = 0;
  log->cursor = NULL;
}

static void
log_clear (Log *log)
{
  g_array_unref (log->kinds);
  g_array_unref (log->states);
  g_free (log->halt_reason);
  g_free (log->saved_path);
  g_free (log->saved_error);
  g_free (log->inspect_error);
  g_strfreev (log->inspect_lines);
  if (log->cursor)
    g_bytes_unref (log->cursor);
}

static bool
log_has (Log *log, StHostMessageKind kind, StHostState state)
{
  for (guint i = 0; i < log->kinds->len; i++)
    if (g_array_index (log->kinds, StHostMessageKind, i) == kind
        && g_array_index (log->states, StHostState, i) == state)
      return true;
  return false;
}

static void
drain (GMainContext *ui)
{
  while (g_main_context_iteration (ui, FALSE))
    ;
}

typedef struct {
  uint64_t bytecodes;
  StOop temps[4];
  StOop context;
} Peek;

static void
peek (StVM *vm, gpointer data)
{
  Peek *p = data;
  p->bytecodes = st_interp_stats (vm)->bytecodes;
  for (int i = 0; i < 4; i++)
    p->temps[i] = p->context ? st_fetch (vm, p->context, TEMP0 + i) : 0;
}

static Peek
host_peek (StHost *host, StOop context)
{
  Peek p = { 0 };
  p.context = context;
  g_assert_true (st_host_call (host, peek, &p, G_USEC_PER_SEC * 5));
  return p;
}

static void
wait_state (StHost *host, GMainContext *ui, Log *log, StHostState s, gint64 usecs)
{
  gint64 end = g_get_monotonic_time () + usecs;
  while (st_host_state (host) != s && g_get_monotonic_time () < end)
    g_usleep (2000);
  drain (ui);
  if (log->halt_reason)
    g_test_message ("halt reason: %s", log->halt_reason);
  g_assert_cmpstr (st_host_state_name (st_host_state (host)), ==, st_host_state_name (s));
}

static void
set_temp0_zero (StVM *vm, gpointer data)
{
  StOop ctx = *(StOop *) data;
  st_store (vm, ctx, TEMP0, st_smallint_oop (0));
}

/* t0 := t0 + 1, forever. */
static void
test_pause_step_run_free (void)
{
  Img im;
  img_setup (&im);
  guint8 code[] = { PUSH_TEMP (0), PUSH_ONE, PLUS, POP_TEMP (0), 163, 250 /* jump -6 */ };
  img_finish (&im, 1, NULL, 0, code, sizeof code);
  StOop ctx = im.k->active_context;

  GMainContext *ui = g_main_context_new ();
  g_main_context_push_thread_default (ui);
  Log log;
  log_init (&log);
  g_autoptr (GError) error = NULL;
  StHost *host = st_host_new (im.vm, ui, notify, &log, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (host);
  g_assert_cmpint (st_host_state (host), ==, ST_HOST_STATE_PAUSED);
  g_assert_true (st_host_call (host, set_temp0_zero, &ctx, G_USEC_PER_SEC));

  /* Paused: nothing runs. */
  g_usleep (50000);
  Peek p = host_peek (host, ctx);
  g_assert_cmpuint (p.bytecodes, ==, 0);

  /* One step is one bytecode. */
  st_host_step (host);
  g_assert_true (st_host_sync (host, G_USEC_PER_SEC));
  p = host_peek (host, ctx);
  g_assert_cmpuint (p.bytecodes, ==, 1);
  g_assert_cmpint (st_host_state (host), ==, ST_HOST_STATE_PAUSED);
  for (int i = 0; i < 4; i++)
    st_host_step (host);
  g_assert_true (st_host_sync (host, G_USEC_PER_SEC));
  p = host_peek (host, ctx);
  g_assert_cmpuint (p.bytecodes, ==, 5);
  g_assert_cmphex (p.temps[0], ==, st_smallint_oop (1));   /* one whole turn of the loop */

  /* Run. */
  st_host_run (host);
  g_usleep (300000);
  p = host_peek (host, ctx);
  g_assert_cmpint (st_host_state (host), ==, ST_HOST_STATE_RUNNING);
  g_assert_cmpuint (p.bytecodes, >, 100000);
  g_assert_true (st_is_smallint (p.temps[0]));
  g_assert_cmpint (st_smallint_value (p.temps[0]), >, 20000);

  /* Pause: stops within a slice, and the count stays. */
  gint64 t0 = g_get_monotonic_time ();
  st_host_pause (host);
  g_assert_true (st_host_sync (host, G_USEC_PER_SEC));
  gint64 pause_usecs = g_get_monotonic_time () - t0;
  g_assert_cmpint (pause_usecs, <, 200000);
  Peek p1 = host_peek (host, ctx);
  g_usleep (100000);
  Peek p2 = host_peek (host, ctx);
  g_assert_cmpuint (p1.bytecodes, ==, p2.bytecodes);
  g_assert_cmphex (p1.temps[0], ==, p2.temps[0]);
  g_assert_cmpint (st_host_state (host), ==, ST_HOST_STATE_PAUSED);
  g_test_message ("pause took %" G_GINT64_FORMAT " us", pause_usecs);

  /* Messages came on this thread, through the UI context. */
  drain (ui);
  g_assert_false (log.wrong_thread);
  g_assert_true (log_has (&log, ST_HOST_MSG_STATUS, ST_HOST_STATE_RUNNING));
  g_assert_true (log_has (&log, ST_HOST_MSG_STATUS, ST_HOST_STATE_PAUSED));

  /* Free while running: within a second. */
  st_host_run (host);
  g_usleep (100000);
  g_assert_cmpint (st_host_state (host), ==, ST_HOST_STATE_RUNNING);
  t0 = g_get_monotonic_time ();
  st_host_free (host);
  gint64 free_usecs = g_get_monotonic_time () - t0;
  g_test_message ("free while running took %" G_GINT64_FORMAT " us", free_usecs);
  g_assert_cmpint (free_usecs, <, G_USEC_PER_SEC);
  /* Messages left for the UI are dropped, not delivered to a dead host. */
  guint before = log.kinds->len;
  drain (ui);
  g_assert_cmpuint (log.kinds->len, ==, before);

  log_clear (&log);
  g_main_context_pop_thread_default (ui);
  g_main_context_unref (ui);
  thaw_builder_free (im.b);
}

static void
pump_until (GMainContext *ui, guint *counter, guint want, gint64 usecs)
{
  gint64 end = g_get_monotonic_time () + usecs;
  while (*counter < want && g_get_monotonic_time () < end)
    {
      drain (ui);
      g_usleep (2000);
    }
  drain (ui);
}

/* Commands on a running image: a full GC (a GC message with a full
 * collection among its samples), inspect (the lines of a mirror print),
 * save (to a new file that reads back; refused for the loaded file),
 * and the run goes on after each. */
static void
test_gc_inspect_save (void)
{
  Img im;
  img_setup (&im);
  guint8 code[] = { PUSH_TEMP (0), PUSH_ONE, PLUS, POP_TEMP (0), 163, 250 };
  img_finish (&im, 1, NULL, 0, code, sizeof code);
  StOop ctx = im.k->active_context;
  st_store (im.vm, ctx, TEMP0, st_smallint_oop (0));
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "saved.image", NULL);
  im.vm->image_path = g_build_filename (dir, "loaded.image", NULL);

  GMainContext *ui = g_main_context_new ();
  Log log;
  log_init (&log);
  g_autoptr (GError) error = NULL;
  StHostOptions opt = { .start_running = TRUE };
  StHost *host = st_host_new (im.vm, ui, notify, &log, &opt, &error);
  g_assert_no_error (error);
  g_usleep (100000);

  st_host_gc (host);
  pump_until (ui, &log.gcs, 1, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (log.gcs, >=, 1);
  g_assert_cmpuint (log.full_gcs, >=, 1);

  st_host_inspect (host, "special.3.value");        /* the ProcessorScheduler */
  pump_until (ui, &log.inspected, 1, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (log.inspected, ==, 1);
  g_assert_null (log.inspect_error);
  g_assert_nonnull (log.inspect_lines);
  g_assert_nonnull (strstr (log.inspect_lines[0], "ProcessorScheduler"));
  g_assert_nonnull (log.inspect_lines[1]);
  st_host_inspect (host, "NoSuchGlobal");
  pump_until (ui, &log.inspected, 2, 5 * G_USEC_PER_SEC);
  g_assert_nonnull (log.inspect_error);

  st_host_save (host, path);
  pump_until (ui, &log.saves, 1, 10 * G_USEC_PER_SEC);
  g_assert_cmpuint (log.saves, ==, 1);
  g_assert_null (log.saved_error);
  g_assert_cmpstr (log.saved_path, ==, path);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  StVM *back = st_image_read (path, 0, &error);
  g_assert_no_error (error);
  st_vm_free (back);
  /* Never over the loaded image. */
  st_host_save (host, im.vm->image_path);
  pump_until (ui, &log.saves, 2, 10 * G_USEC_PER_SEC);
  g_assert_nonnull (log.saved_error);
  g_assert_false (g_file_test (im.vm->image_path, G_FILE_TEST_EXISTS));

  /* Still running, still counting. */
  Peek p1 = host_peek (host, ctx);
  g_usleep (50000);
  Peek p2 = host_peek (host, ctx);
  g_assert_cmpint (st_host_state (host), ==, ST_HOST_STATE_RUNNING);
  g_assert_cmpuint (p2.bytecodes, >, p1.bytecodes);
  st_host_free (host);
  log_clear (&log);
  g_main_context_unref (ui);
  thaw_builder_free (im.b);
  thaw_test_rmdir (dir);
}

/* An image that reads one event with primitive 94 and the key queue with
 * 109 (peek) and 108 (next, twice), then quits. */
static void
test_event_layout (void)
{
  Img im;
  img_setup (&im);
  const StOop obj = im.k->object_class;
  guint8 ret = RETURN_SELF;
  thaw_builder_method (im.b, obj, "primGetNextEvent:", 1, 1, 94, NULL, 0, &ret, 1);
  thaw_builder_method (im.b, obj, "primKbdPeek", 0, 0, 109, NULL, 0, &ret, 1);
  thaw_builder_method (im.b, obj, "primKbdNext", 0, 0, 108, NULL, 0, &ret, 1);
  StOop nils[8];
  for (int i = 0; i < 8; i++)
    nils[i] = thaw_builder_nil (im.b);
  StOop buf = thaw_builder_array (im.b, 8, nils);
  thaw_builder_global (im.b, "EventBuffer", buf);
  StOop lits[] = { thaw_builder_symbol (im.b, "primKbdPeek"), thaw_builder_symbol (im.b, "primKbdNext"), buf,
                   thaw_builder_symbol (im.b, "primGetNextEvent:"), thaw_builder_symbol (im.b, "quit") };
  guint8 code[] = { PUSH_SELF, SEND0 (0), POP_TEMP (0),
                    PUSH_SELF, SEND0 (1), POP_TEMP (1),
                    PUSH_SELF, SEND0 (1), POP_TEMP (2),
                    PUSH_SELF, PUSH_LIT (2), SEND1 (3), POP,
                    PUSH_SELF, SEND0 (4), POP, RETURN_SELF };
  img_finish (&im, 3, lits, G_N_ELEMENTS (lits), code, sizeof code);
  StOop ctx = im.k->active_context;

  GMainContext *ui = g_main_context_new ();
  Log log;
  log_init (&log);
  g_autoptr (GError) error = NULL;
  StHost *host = st_host_new (im.vm, ui, notify, &log, NULL, &error);
  g_assert_no_error (error);

  StInputEvent ev = { 0 };
  ev.type = ST_EVENT_KEYBOARD;
  ev.char_code = 0x8E;          /* é in MacRoman */
  ev.unicode = 0xE9;
  ev.press = ST_KEY_CHAR;
  ev.modifiers = ST_MOD_SHIFT | ST_MOD_COMMAND;
  st_host_post_event (host, &ev);
  st_host_run (host);
  wait_state (host, ui, &log, ST_HOST_STATE_QUIT, 5 * G_USEC_PER_SEC);

  Peek p = host_peek (host, ctx);
  g_assert_cmphex (p.temps[0], ==, st_smallint_oop (9 << 8 | 0x8E));
  g_assert_cmphex (p.temps[1], ==, st_smallint_oop (9 << 8 | 0x8E));
  g_assert_cmphex (p.temps[2], ==, im.vm->nil_obj);   /* the key queue is empty now */
  /* The buffer: [2, time, 0x8E, 0 (char), 9, 0xE9, 0, 1]. */
  StOop want[8] = { st_smallint_oop (2), 0, st_smallint_oop (0x8E), st_smallint_oop (0), st_smallint_oop (9),
                    st_smallint_oop (0xE9), st_smallint_oop (0), st_smallint_oop (1) };
  for (int i = 0; i < 8; i++)
    {
      StOop v = st_fetch (im.vm, buf, (uint64_t) i);
      if (i == 1)
        {
          g_assert_true (st_is_smallint (v));
          g_assert_cmpint (st_smallint_value (v), >, 0);
          g_assert_cmpint (st_smallint_value (v), <=, 0x1FFFFFFF);
        }
      else
        g_assert_cmphex (v, ==, want[i]);
    }
  drain (ui);
  g_assert_true (log_has (&log, ST_HOST_MSG_STATUS, ST_HOST_STATE_QUIT));
  st_host_free (host);
  log_clear (&log);
  g_main_context_unref (ui);
  thaw_builder_free (im.b);
}

/* An image whose only process waits on the input semaphore (registered
 * with primitive 93): the run goes idle, the host waits without running;
 * a posted event wakes the process, which reads the event and quits. */
static void
test_idle_wakes_on_input (void)
{
  Img im;
  img_setup (&im);
  const ThawBuilderObjects *k = im.k;
  guint8 ret = RETURN_SELF;
  thaw_builder_method (im.b, k->object_class, "primSetInputSemaphore:", 1, 1, 93, NULL, 0, &ret, 1);
  thaw_builder_method (im.b, k->object_class, "primGetNextEvent:", 1, 1, 94, NULL, 0, &ret, 1);
  thaw_builder_method (im.b, k->semaphore_class, "wait", 0, 0, 86, NULL, 0, &ret, 1);
  StOop sem = thaw_builder_instance (im.b, k->semaphore_class, 0);
  StOop nils[8];
  for (int i = 0; i < 8; i++)
    nils[i] = thaw_builder_nil (im.b);
  StOop buf = thaw_builder_array (im.b, 8, nils);
  thaw_builder_global (im.b, "EventBuffer", buf);
  thaw_builder_global (im.b, "InputSemaphore", sem);
  StOop lits[] = { st_smallint_oop (1), thaw_builder_symbol (im.b, "primSetInputSemaphore:"), sem,
                   thaw_builder_symbol (im.b, "wait"), buf, thaw_builder_symbol (im.b, "primGetNextEvent:"),
                   thaw_builder_symbol (im.b, "quit") };
  guint8 code[] = { PUSH_SELF, PUSH_LIT (0), SEND1 (1), POP,
                    PUSH_LIT (2), SEND0 (3), POP,
                    PUSH_SELF, PUSH_LIT (4), SEND1 (5), POP,
                    PUSH_SELF, SEND0 (6), POP, RETURN_SELF };
  img_finish (&im, 0, lits, G_N_ELEMENTS (lits), code, sizeof code);
  StVM *vm = im.vm;
  /* The semaphore in the external objects array (index 1); the builder's
   * second process leaves its run queue, so nothing else can run. */
  st_store (vm, sem, 0, vm->nil_obj);
  st_store (vm, sem, 1, vm->nil_obj);
  st_store (vm, sem, 2, st_smallint_oop (0));
  st_store (vm, st_special (vm, ST_SPLOB_EXTERNAL_OBJECTS_ARRAY), 0, sem);
  StOop list40 = st_fetch (vm, k->quiescent_lists, 39);
  st_store (vm, list40, 0, vm->nil_obj);
  st_store (vm, list40, 1, vm->nil_obj);

  GMainContext *ui = g_main_context_new ();
  Log log;
  log_init (&log);
  g_autoptr (GError) error = NULL;
  StHost *host = st_host_new (vm, ui, notify, &log, NULL, &error);
  g_assert_no_error (error);
  st_host_run (host);
  wait_state (host, ui, &log, ST_HOST_STATE_IDLE, 5 * G_USEC_PER_SEC);
  Peek p1 = host_peek (host, 0);
  g_usleep (100000);
  Peek p2 = host_peek (host, 0);
  g_assert_cmpuint (p1.bytecodes, ==, p2.bytecodes);   /* idle: nothing runs */
  g_assert_cmphex (st_fetch (vm, buf, 0), ==, vm->nil_obj);

  StInputEvent ev = { .type = ST_EVENT_MOUSE, .x = 33, .y = 44, .buttons = ST_BUTTON_YELLOW };
  st_host_post_event (host, &ev);
  wait_state (host, ui, &log, ST_HOST_STATE_QUIT, 5 * G_USEC_PER_SEC);
  StOop want[] = { st_smallint_oop (1), 0, st_smallint_oop (33), st_smallint_oop (44), st_smallint_oop (2),
                   st_smallint_oop (0), st_smallint_oop (0), st_smallint_oop (1) };
  for (int i = 0; i < 8; i++)
    if (i != 1)
      g_assert_cmphex (st_fetch (vm, buf, (uint64_t) i), ==, want[i]);
  st_host_free (host);
  log_clear (&log);
  g_main_context_unref (ui);
  thaw_builder_free (im.b);
}

/* A V3 image (no wheel events): a wheel notch up arrives as Ctrl-Up
 * (character 30) in the key queue the polling primitive 108 reads. */
static void
test_wheel_before_spur (void)
{
  Img im;
  img_setup_as (&im, ST_FAMILY_V3, 4, 6504);
  guint8 ret = RETURN_SELF;
  thaw_builder_method (im.b, im.k->object_class, "primKbdNext", 0, 0, 108, NULL, 0, &ret, 1);
  StOop lits[] = { thaw_builder_symbol (im.b, "primKbdNext"), thaw_builder_symbol (im.b, "quit") };
  guint8 code[] = { PUSH_SELF, SEND0 (0), POP_TEMP (0),
                    PUSH_SELF, SEND0 (0), POP_TEMP (1),
                    PUSH_SELF, SEND0 (0), POP_TEMP (2),
                    PUSH_SELF, SEND0 (1), POP, RETURN_SELF };
  img_finish (&im, 3, lits, G_N_ELEMENTS (lits), code, sizeof code);
  GMainContext *ui = g_main_context_new ();
  Log log;
  log_init (&log);
  g_autoptr (GError) error = NULL;
  StHost *host = st_host_new (im.vm, ui, notify, &log, NULL, &error);
  g_assert_no_error (error);
  StInputEvent up = { .type = ST_EVENT_WHEEL, .dy = 120 }, down = { .type = ST_EVENT_WHEEL, .dy = -120,
                                                                    .modifiers = ST_MOD_SHIFT };
  st_host_post_event (host, &up);
  st_host_post_event (host, &down);
  st_host_run (host);
  wait_state (host, ui, &log, ST_HOST_STATE_QUIT, 5 * G_USEC_PER_SEC);
  Peek p = host_peek (host, im.k->active_context);
  g_assert_cmphex (p.temps[0], ==, st_smallint_oop (ST_MOD_CTRL << 8 | 30));
  g_assert_cmphex (p.temps[1], ==, st_smallint_oop ((ST_MOD_CTRL | ST_MOD_SHIFT) << 8 | 31));
  g_assert_cmphex (p.temps[2], ==, im.vm->nil_obj);
  st_host_free (host);
  log_clear (&log);
  g_main_context_unref (ui);
  thaw_builder_free (im.b);
}

/* The slots of each event type as primitive 94 stores them. */
static void
test_event_slots (void)
{
  int64_t s[8];
  StInputEvent m = { .type = ST_EVENT_MOUSE, .time_ms = 1234, .x = 10, .y = 20, .buttons = ST_BUTTON_RED,
                     .modifiers = ST_MOD_CTRL, .window = 1 };
  st_input_event_slots (&m, s);
  int64_t wm[8] = { 1, 1234, 10, 20, 4, 2, 0, 1 };
  g_assert_cmpmem (s, sizeof s, wm, sizeof wm);
  StInputEvent w = { .type = ST_EVENT_WHEEL, .time_ms = 5, .dx = 0, .dy = 120, .modifiers = ST_MOD_SHIFT,
                     .window = 1 };
  st_input_event_slots (&w, s);
  int64_t ww[8] = { 7, 5, 0, 120, 0, 1, 0, 1 };
  g_assert_cmpmem (s, sizeof s, ww, sizeof ww);

  /* The queue: bounded, drops plain mouse moves first, keeps order. */
  StInput *in = st_input_new ();
  StInputEvent k = { .type = ST_EVENT_KEYBOARD, .char_code = 'a', .unicode = 'a' };
  st_input_push (in, &k, 7);
  for (int i = 0; i < ST_INPUT_QUEUE_MAX + 10; i++)
    {
      StInputEvent mv = { .type = ST_EVENT_MOUSE, .x = i, .y = i };
      st_input_push (in, &mv, 8);
    }
  g_assert_cmpuint (st_input_queued (in), ==, ST_INPUT_QUEUE_MAX);
  g_assert_cmpuint (st_input_dropped (in), ==, 11);
  StInputEvent out;
  g_assert_true (st_input_pop (in, &out));
  g_assert_cmpint (out.type, ==, ST_EVENT_KEYBOARD);   /* the key survived */
  g_assert_cmpuint (out.time_ms, ==, 7);
  g_assert_true (st_input_pop (in, &out));
  g_assert_cmpint (out.x, ==, 11);                     /* the oldest moves went */
  gint x, y;
  st_input_mouse_point (in, &x, &y);
  g_assert_cmpint (x, ==, ST_INPUT_QUEUE_MAX + 9);
  g_assert_cmpint (st_input_key_next (in), ==, 'a');
  g_assert_cmpint (st_input_key_next (in), ==, -1);
  st_input_free (in);
}

/* Form>>beDisplay (102) and primShowRectLeft:right:top:bottom: (127) on a
 * 20 x 10 x 32 Form: the host's frame equals the Form converted here. */
static void
test_display_frame (gconstpointer data)
{
  const bool reverse = GPOINTER_TO_INT (data);
  Img im;
  img_setup (&im);
  const ThawBuilderObjects *k = im.k;
  StOop form_cls = thaw_builder_class (im.b, "Form", k->object_class, ST_FMT_FIXED,
                                       "bits", "width", "height", "depth", "offset", NULL);
  guint8 ret = RETURN_SELF;
  thaw_builder_method (im.b, form_cls, "beDisplay", 0, 0, 102, NULL, 0, &ret, 1);
  thaw_builder_method (im.b, form_cls, "primShowRectLeft:right:top:bottom:", 4, 4, 127, NULL, 0, &ret, 1);
  thaw_builder_method (im.b, k->object_class, "primReverseDisplay", 0, 0, 122, NULL, 0, &ret, 1);
  thaw_builder_method (im.b, k->object_class, "yourself", 0, 0, 0, NULL, 0, &ret, 1);
  StOop bits = thaw_builder_instance (im.b, k->bitmap_class, 200);
  StOop form = thaw_builder_instance (im.b, form_cls, 0);
  thaw_builder_global (im.b, "TheForm", form);
  StOop lits[] = { form, thaw_builder_symbol (im.b, "beDisplay"),
                   thaw_builder_symbol (im.b, "primShowRectLeft:right:top:bottom:"),
                   st_smallint_oop (2), st_smallint_oop (5), st_smallint_oop (1), st_smallint_oop (4),
                   thaw_builder_symbol (im.b, "quit"), thaw_builder_symbol (im.b, reverse ? "primReverseDisplay" : "yourself") };
  guint8 code[] = { PUSH_LIT (0), SEND0 (1), POP,
                    PUSH_LIT (0), PUSH_LIT (3), PUSH_LIT (4), PUSH_LIT (5), PUSH_LIT (6), EXT_SEND, 4 << 5 | 2, POP,
                    PUSH_SELF, SEND0 (8), POP,
                    PUSH_SELF, SEND0 (7), POP, RETURN_SELF };
  img_finish (&im, 0, lits, G_N_ELEMENTS (lits), code, sizeof code);
  StVM *vm = im.vm;
  st_store (vm, form, 0, bits);
  st_store (vm, form, 1, st_smallint_oop (20));
  st_store (vm, form, 2, st_smallint_oop (10));
  st_store (vm, form, 3, st_smallint_oop (32));
  guint32 *w = (guint32 *) st_ptr (vm, bits + 8);
  for (int i = 0; i < 200; i++)
    w[i] = 0xFF000000u | (guint32) (i * 0x010305);
  guint32 want[200];
  g_autoptr (GError) error = NULL;
  g_assert_true (st_display_convert (vm, form, NULL, want, 80, reverse ? ST_DISPLAY_REVERSE : 0, NULL, &error));
  g_assert_no_error (error);

  GMainContext *ui = g_main_context_new ();
  Log log;
  log_init (&log);
  StHost *host = st_host_new (vm, ui, notify, &log, NULL, &error);
  g_assert_no_error (error);
  /* Nothing shown yet (the display slot is nil). */
  GBytes *px = NULL;
  int fw, fh, stride;
  StRect dirty;
  g_assert_true (st_host_sync (host, G_USEC_PER_SEC));
  g_assert_false (st_host_take_frame (host, &px, &fw, &fh, &stride, &dirty));
  st_host_run (host);
  wait_state (host, ui, &log, ST_HOST_STATE_QUIT, 5 * G_USEC_PER_SEC);
  g_assert_true (st_host_sync (host, G_USEC_PER_SEC));
  drain (ui);
  g_assert_true (log_has (&log, ST_HOST_MSG_DISPLAY, ST_HOST_STATE_RUNNING)
                 || log_has (&log, ST_HOST_MSG_DISPLAY, ST_HOST_STATE_QUIT));
  g_assert_true (st_host_take_frame (host, &px, &fw, &fh, &stride, &dirty));
  g_assert_cmpint (fw, ==, 20);
  g_assert_cmpint (fh, ==, 10);
  g_assert_cmpint (stride, ==, 80);
  g_assert_cmpint (dirty.x, ==, 0);
  g_assert_cmpint (dirty.width, ==, 20);
  g_assert_cmpmem (g_bytes_get_data (px, NULL), g_bytes_get_size (px), want, sizeof want);
  g_bytes_unref (px);
  /* Taken: nothing new now. */
  g_assert_false (st_host_take_frame (host, &px, &fw, &fh, &stride, &dirty));
  st_host_free (host);
  log_clear (&log);
  g_main_context_unref (ui);
  thaw_builder_free (im.b);
}

/* screenSize (106) answers the host's size; deferUpdates: (126) is kept;
 * beCursorWithMask: (101) posts the cursor: black where bits and mask
 * are set, white where only the mask is, transparent elsewhere, hotspot
 * from the offset. */
static void
test_screen_defer_cursor (void)
{
  Img im;
  img_setup (&im);
  const ThawBuilderObjects *k = im.k;
  StOop form_cls = thaw_builder_class (im.b, "Form", k->object_class, ST_FMT_FIXED,
                                       "bits", "width", "height", "depth", "offset", NULL);
  guint8 ret = RETURN_SELF;
  thaw_builder_method (im.b, form_cls, "beCursorWithMask:", 1, 1, 101, NULL, 0, &ret, 1);
  thaw_builder_method (im.b, k->object_class, "primScreenSize", 0, 0, 106, NULL, 0, &ret, 1);
  thaw_builder_method (im.b, k->object_class, "deferUpdates:", 1, 1, 126, NULL, 0, &ret, 1);
  StOop cbits = thaw_builder_instance (im.b, k->bitmap_class, 16);
  StOop mbits = thaw_builder_instance (im.b, k->bitmap_class, 16);
  StOop cursor = thaw_builder_instance (im.b, form_cls, 0);
  StOop mask = thaw_builder_instance (im.b, form_cls, 0);
  StOop offset = thaw_builder_instance (im.b, k->point_class, 0);
  thaw_builder_global (im.b, "TheCursor", cursor);
  thaw_builder_global (im.b, "TheMask", mask);
  StOop lits[] = { thaw_builder_symbol (im.b, "primScreenSize"), cursor, mask,
                   thaw_builder_symbol (im.b, "beCursorWithMask:"), thaw_builder_symbol (im.b, "deferUpdates:"),
                   thaw_builder_symbol (im.b, "quit") };
  guint8 code[] = { PUSH_SELF, SEND0 (0), POP_TEMP (0),
                    PUSH_LIT (1), PUSH_LIT (2), SEND1 (3), POP,
                    PUSH_SELF, 113 /* push true */, SEND1 (4), POP,
                    PUSH_SELF, SEND0 (5), POP, RETURN_SELF };
  img_finish (&im, 1, lits, G_N_ELEMENTS (lits), code, sizeof code);
  StVM *vm = im.vm;
  st_store (vm, offset, 0, st_smallint_oop (-3));
  st_store (vm, offset, 1, st_smallint_oop (-2));
  StOop forms[2] = { cursor, mask }, bits[2] = { cbits, mbits };
  for (int i = 0; i < 2; i++)
    {
      st_store (vm, forms[i], 0, bits[i]);
      st_store (vm, forms[i], 1, st_smallint_oop (16));
      st_store (vm, forms[i], 2, st_smallint_oop (16));
      st_store (vm, forms[i], 3, st_smallint_oop (1));
      st_store (vm, forms[i], 4, offset);
    }
  /* Row 0: bits 1000..., mask 1100...: black, white, then transparent. */
  ((guint32 *) st_ptr (vm, cbits + 8))[0] = 0x80000000u;
  ((guint32 *) st_ptr (vm, mbits + 8))[0] = 0xC0000000u;

  GMainContext *ui = g_main_context_new ();
  Log log;
  log_init (&log);
  g_autoptr (GError) error = NULL;
  StHostOptions opt = { .screen_width = 320, .screen_height = 200 };
  StHost *host = st_host_new (vm, ui, notify, &log, &opt, &error);
  g_assert_no_error (error);
  st_host_run (host);
  wait_state (host, ui, &log, ST_HOST_STATE_QUIT, 5 * G_USEC_PER_SEC);
  Peek p = host_peek (host, k->active_context);
  StOop pt = p.temps[0];
  g_assert_cmpuint (st_class_index (vm, pt), ==, thaw_builder_class_index (im.b, k->point_class));
  g_assert_cmphex (st_fetch (vm, pt, 0), ==, st_smallint_oop (320));
  g_assert_cmphex (st_fetch (vm, pt, 1), ==, st_smallint_oop (200));
  g_assert_true (st_io_deferred (vm));
  g_assert_cmpuint (log.cursors, ==, 1);
  g_assert_nonnull (log.cursor);
  g_assert_cmpint (log.cursor_w, ==, 16);
  g_assert_cmpint (log.cursor_h, ==, 16);
  g_assert_cmpint (log.hot_x, ==, 3);
  g_assert_cmpint (log.hot_y, ==, 2);
  const guint32 *px = g_bytes_get_data (log.cursor, NULL);
  g_assert_cmphex (px[0], ==, 0xFF000000u);
  g_assert_cmphex (px[1], ==, 0xFFFFFFFFu);
  g_assert_cmphex (px[2], ==, 0);
  g_assert_cmphex (px[16], ==, 0);
  st_host_free (host);
  log_clear (&log);
  g_main_context_unref (ui);
  thaw_builder_free (im.b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/host/pause-step-run-free", test_pause_step_run_free);
  g_test_add_func ("/engine/host/event-layout", test_event_layout);
  g_test_add_func ("/engine/host/event-slots", test_event_slots);
  g_test_add_func ("/engine/host/wheel-before-spur", test_wheel_before_spur);
  g_test_add_func ("/engine/host/gc-inspect-save", test_gc_inspect_save);
  g_test_add_func ("/engine/host/idle-wakes-on-input", test_idle_wakes_on_input);
  g_test_add_data_func ("/engine/host/display-frame", GINT_TO_POINTER (0), test_display_frame);
  g_test_add_data_func ("/engine/host/display-frame-reverse", GINT_TO_POINTER (1), test_display_frame);
  g_test_add_func ("/engine/host/screen-defer-cursor", test_screen_defer_cursor);
  return g_test_run ();
}
