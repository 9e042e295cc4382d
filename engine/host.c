/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host.c: the engine thread (host.h).
 *
 * The thread owns the VM.  It runs the interpreter in slices; between
 * slices it handles commands from its GAsyncQueue, hands queued input to
 * the image (the input semaphore), converts what the image showed into
 * the frame buffer, and posts messages.  Commands also request a trap so
 * a running slice ends at its next instruction boundary.
 *
 * Messages go to the UI's main context through g_main_context_invoke_full
 * with a reference to a small shared StHostLink; st_host_free clears the
 * link's `alive` flag first, so a message still queued for the UI after
 * the host is gone is dropped instead of calling back into a closed
 * window. */
#include "config.h"

#include <string.h>

#include "host.h"
#include "debug-script.h"
#include "image-write.h"
#include "interp-private.h"
#include "mirror.h"
#include "path.h"
#include "printer.h"

#define STATUS_INTERVAL_USECS 250000
/* An image that has not shown anything (127, 231) for SHOW_QUIET_USECS
 * draws straight into its display Form (MVC, old Morphic without
 * deferred updates): the host then compares the whole Form with the frame
 * every POLL_INTERVAL_USECS. */
#define SHOW_QUIET_USECS 1000000
#define POLL_INTERVAL_USECS 50000
#define GC_INTERVAL_USECS 100000

typedef enum {
  CMD_RUN,
  CMD_PAUSE,
  CMD_STEP,
  CMD_GC,
  CMD_SAVE,
  CMD_INSPECT,
  CMD_SCREEN,
  CMD_CALL,
  CMD_DEBUG,
  CMD_WAKE,
  CMD_QUIT,
} CmdKind;

typedef struct {
  gint ref;
  GMutex lock;
  GCond cond;
  bool done;
  void (*fn) (StVM *vm, gpointer data);
  gpointer data;
} CallRecord;

typedef struct {
  CmdKind kind;
  char *path;
  gint width, height;
  CallRecord *call;
} Cmd;

typedef struct {
  gint ref;
  gint alive;
  StHostNotify notify;
  gpointer data;
} StHostLink;

struct _StHost {
  StVM *vm;
  GMainContext *ui;
  StHostLink *link;
  GThread *thread;
  GAsyncQueue *commands;
  gint quit;                  /* atomic: stop the thread */
  gint state;                 /* atomic StHostState */
  StInput *input;             /* the VM's (thread-safe) */
  StIo *io;                   /* the VM's display/input state; st_io_wake is thread-safe */
  double slice_seconds;

  /* Engine thread only. */
  bool want_run;              /* RUNNING/IDLE: run slices */
  bool stalled;               /* the interpreter answered ST_RUN_IDLE: wait for input */
  gint64 last_slept_usecs;    /* st_io_slept_usecs at the last status */
  gint64 last_gc_usecs;       /* when GC samples were last posted */
  char *halt_reason;
  guint64 gc_seq;
  gint64 last_status_usecs;
  uint64_t last_status_bytecodes, last_status_sends;
  gint64 last_shown_usecs, last_poll_usecs, last_rect_usecs;
  bool shown;                 /* the image showed something this slice */
  bool cursor_changed;
  guint32 *scratch;           /* the polling comparison's buffer */
  gsize scratch_len;
  gint debug_busy;            /* a debugger command runs (see send_cmd) */
  GMutex busy_lock;           /* makes reading debug_busy and asking for a trap one step */
  StDebug *debug;             /* attached by the first st_host_debug, else NULL */
  StDebugScript *script;

  /* The frame buffer: written by the engine, copied by st_host_take_frame. */
  GMutex frame_lock;
  guint32 *frame;
  gint frame_width, frame_height;
  StDirty frame_dirty;
  bool display_pending;       /* a DISPLAY message is on its way and not taken yet */
  guint64 frames;             /* display messages posted */
  gint64 convert_usecs;       /* engine thread: total time updating the frame */
  guint64 conversions;
};

static const char *const state_names[] = { "paused", "running", "idle", "halted", "quit" };

const char *
st_host_state_name (StHostState s)
{
  return (guint) s < G_N_ELEMENTS (state_names) ? state_names[s] : "?";
}

StHostState
st_host_state (StHost *host)
{
  return (StHostState) g_atomic_int_get (&host->state);
}

/* --- messages --- */

StHostMessage *
st_host_message_ref (StHostMessage *msg)
{
  g_atomic_int_inc (&msg->ref_count);
  return msg;
}

void
st_host_message_unref (StHostMessage *msg)
{
  if (msg == NULL || !g_atomic_int_dec_and_test (&msg->ref_count))
    return;
  g_free (msg->halt_reason);
  if (msg->gc_samples)
    g_array_unref (msg->gc_samples);
  if (msg->cursor_pixels)
    g_bytes_unref (msg->cursor_pixels);
  g_free (msg->path);
  g_free (msg->error);
  g_strfreev (msg->lines);
  g_free (msg->debug_reason);
  g_free (msg->debug_command);
  g_free (msg->debug_output);
  g_free (msg->debug_error);
  g_strfreev (msg->debug_breakpoints);
  g_strfreev (msg->debug_checkpoints);
  g_free (msg->debug_method);
  g_free (msg->debug_top_frame);
  if (msg->debug_vm)
    st_vm_free (msg->debug_vm);
  g_free (msg);
}

static void
link_unref (StHostLink *link)
{
  if (g_atomic_int_dec_and_test (&link->ref))
    g_free (link);
}

typedef struct {
  StHostLink *link;
  StHostMessage *msg;
} Delivery;

static gboolean
deliver (gpointer data)
{
  Delivery *d = data;
  if (g_atomic_int_get (&d->link->alive) && d->link->notify)
    d->link->notify (d->msg, d->link->data);
  return G_SOURCE_REMOVE;
}

static void
delivery_free (gpointer data)
{
  Delivery *d = data;
  st_host_message_unref (d->msg);
  link_unref (d->link);
  g_free (d);
}

static StHostMessage *
message_new (StHost *host, StHostMessageKind kind)
{
  StHostMessage *m = g_new0 (StHostMessage, 1);
  m->ref_count = 1;
  m->kind = kind;
  m->state = st_host_state (host);
  m->halt_reason = g_strdup (host->halt_reason);
  const StInterpStats *st = st_interp_stats (host->vm);
  if (st)
    {
      m->bytecodes = st->bytecodes;
      m->process_switches = st->process_switches;
    }
  g_mutex_lock (&host->frame_lock);
  m->display_updates = host->frames;
  g_mutex_unlock (&host->frame_lock);
  m->events_delivered = st_input_delivered (host->input);
  m->display_convert_ms = host->conversions ? host->convert_usecs / 1e3 / host->conversions : 0;
  return m;
}

static void
post (StHost *host, StHostMessage *m)
{
  Delivery *d = g_new0 (Delivery, 1);
  g_atomic_int_inc (&host->link->ref);
  d->link = host->link;
  d->msg = m;
  g_main_context_invoke_full (host->ui, G_PRIORITY_DEFAULT, deliver, d, delivery_free);
}

static void
set_state (StHost *host, StHostState s)
{
  if ((StHostState) g_atomic_int_get (&host->state) == s)
    return;
  g_atomic_int_set (&host->state, (gint) s);
  post (host, message_new (host, ST_HOST_MSG_STATUS));
}

static void
post_status (StHost *host, gint64 now)
{
  const StInterpStats *st = st_interp_stats (host->vm);
  StHostMessage *m = message_new (host, ST_HOST_MSG_STATUS);
  double secs = (now - host->last_status_usecs) / 1e6;
  if (st && secs > 0)
    {
      m->bytecodes_per_sec = (st->bytecodes - host->last_status_bytecodes) / secs;
      m->sends_per_sec = (st->sends - host->last_status_sends) / secs;
    }
  if (st)
    {
      host->last_status_bytecodes = st->bytecodes;
      host->last_status_sends = st->sends;
    }
  host->last_status_usecs = now;
  post (host, m);
}

static void
post_gc (StHost *host)
{
  GArray *samples = g_array_new (FALSE, FALSE, sizeof (StGcSample));
  guint64 newest = st_gc_samples (host->vm, host->gc_seq, samples);
  if (samples->len == 0)
    {
      g_array_unref (samples);
      return;
    }
  host->gc_seq = newest;
  StHostMessage *m = message_new (host, ST_HOST_MSG_GC);
  m->gc_samples = samples;
  const StGcStats *stats = st_gc_stats (host->vm);
  if (stats)
    m->gc_stats = *stats;
  post (host, m);
}

/* --- the display --- */

static void
hook_shown (StVM *vm, gpointer data)
{
  StHost *host = data;
  (void) vm;
  host->shown = true;
}

static void
hook_cursor (StVM *vm, gpointer data)
{
  StHost *host = data;
  (void) vm;
  host->cursor_changed = true;
}

/* Make the frame buffer the display Form's size (engine thread, lock held). */
static void
frame_resize (StHost *host, gint w, gint h)
{
  if (host->frame != NULL && host->frame_width == w && host->frame_height == h)
    return;
  g_free (host->frame);
  host->frame = g_new0 (guint32, (gsize) w * h);
  host->frame_width = w;
  host->frame_height = h;
  st_dirty_init (&host->frame_dirty, w, h);
  StRect all = { 0, 0, w, h };
  st_dirty_add (&host->frame_dirty, &all);
}

static void
mark_frame (StHost *host, const StRect *r)
{
  st_dirty_add (&host->frame_dirty, r);
  if (!host->display_pending)
    {
      host->display_pending = true;
      host->frames++;
      g_mutex_unlock (&host->frame_lock);
      post (host, message_new (host, ST_HOST_MSG_DISPLAY));
      g_mutex_lock (&host->frame_lock);
    }
}

/* The bounding box of the differences between a and b (w x h). */
static gboolean
diff_box (const guint32 *a, const guint32 *b, gint w, gint h, StRect *out)
{
  gint top = -1, bottom = -1, left = w, right = -1;
  for (gint y = 0; y < h; y++)
    {
      const guint32 *ra = a + (gsize) y * w, *rb = b + (gsize) y * w;
      if (memcmp (ra, rb, (gsize) w * 4) == 0)
        continue;
      if (top < 0)
        top = y;
      bottom = y;
      gint x0 = 0, x1 = w - 1;
      while (x0 < w && ra[x0] == rb[x0])
        x0++;
      while (x1 > x0 && ra[x1] == rb[x1])
        x1--;
      left = MIN (left, x0);
      right = MAX (right, x1);
    }
  if (top < 0)
    return FALSE;
  *out = (StRect) { left, top, right - left + 1, bottom - top + 1 };
  return TRUE;
}

/* Bring the frame up to date.  Rectangles shown with 127 are converted
 * (into the scratch buffer, then copied into the frame under the lock, so
 * st_host_take_frame never waits for a conversion).  A forceDisplayUpdate
 * (231) without rectangles, or an image that shows nothing for a while
 * (it draws straight into the Form), leads to a whole comparison: the
 * Form converted and diffed against the frame, the changed box copied.
 * Only this thread writes the frame, so it reads it without the lock. */
static void
update_display (StHost *host, gint64 now)
{
  StVM *vm = host->vm;
  StFormInfo fi;
  StRect r;
  bool shown = host->shown;
  host->shown = false;
  bool have_rect = st_io_take_shown (vm, &r);
  if (shown)
    host->last_shown_usecs = now;
  if (have_rect)
    host->last_rect_usecs = now;
  bool quiet = now - host->last_shown_usecs >= SHOW_QUIET_USECS;
  bool poll = (quiet && host->want_run && now - host->last_poll_usecs >= POLL_INTERVAL_USECS)
              || (shown && !have_rect && now - host->last_rect_usecs >= SHOW_QUIET_USECS);
  if (!have_rect && !poll && host->frame != NULL)
    return;
  StOop form = st_display_form (vm, &fi, NULL);
  if (form == 0 || fi.width == 0 || fi.height == 0)
    return;
  gint64 t0 = g_get_monotonic_time ();
  gsize n = (gsize) fi.width * fi.height, stride = (gsize) fi.width * 4;
  if (host->scratch_len != n)
    {
      g_free (host->scratch);
      host->scratch = g_new0 (guint32, n);
      host->scratch_len = n;
    }
  guint flags = st_io_reverse (vm) ? ST_DISPLAY_REVERSE : 0;
  bool fresh = host->frame == NULL || host->frame_width != fi.width || host->frame_height != fi.height;
  StRect box = { 0 };
  bool copy = false;
  if (fresh || poll)
    {
      host->last_poll_usecs = now;
      if (st_display_convert (vm, form, NULL, host->scratch, stride, flags, NULL, NULL))
        {
          box = (StRect) { 0, 0, fi.width, fi.height };
          copy = fresh || diff_box (host->frame, host->scratch, fi.width, fi.height, &box);
        }
    }
  else
    {
      StRect done;
      guint32 *at = host->scratch + (gsize) CLAMP (r.y, 0, fi.height) * fi.width + CLAMP (r.x, 0, fi.width);
      if (st_display_convert (vm, form, &r, at, stride, flags, &done, NULL) && done.width > 0 && done.height > 0)
        {
          box = done;
          copy = true;
        }
    }
  if (copy)
    {
      g_mutex_lock (&host->frame_lock);
      frame_resize (host, fi.width, fi.height);
      for (gint y = box.y; y < box.y + box.height; y++)
        memcpy (host->frame + (gsize) y * fi.width + box.x, host->scratch + (gsize) y * fi.width + box.x,
                (gsize) box.width * 4);
      mark_frame (host, &box);
      g_mutex_unlock (&host->frame_lock);
    }
  host->convert_usecs += g_get_monotonic_time () - t0;
  host->conversions++;
}

gboolean
st_host_take_frame (StHost *host, GBytes **pixels, int *width, int *height, int *stride, StRect *dirty)
{
  g_mutex_lock (&host->frame_lock);
  StRect r;
  gboolean any = host->frame != NULL && st_dirty_take (&host->frame_dirty, &r);
  host->display_pending = false;
  if (any)
    {
      *pixels = g_bytes_new (host->frame, (gsize) host->frame_width * host->frame_height * 4);
      *width = host->frame_width;
      *height = host->frame_height;
      *stride = host->frame_width * 4;
      if (dirty)
        *dirty = r;
    }
  g_mutex_unlock (&host->frame_lock);
  return any;
}

static void
post_cursor (StHost *host)
{
  host->cursor_changed = false;
  StHostMessage *m = message_new (host, ST_HOST_MSG_CURSOR);
  if (!st_io_cursor (host->vm, &m->cursor_pixels, &m->cursor_width, &m->cursor_height, &m->cursor_hot_x,
                     &m->cursor_hot_y))
    m->cursor_pixels = NULL;
  post (host, m);
}

/* --- commands --- */

static void
cmd_free (Cmd *c)
{
  if (c->call && g_atomic_int_dec_and_test (&c->call->ref))
    {
      g_mutex_clear (&c->call->lock);
      g_cond_clear (&c->call->cond);
      g_free (c->call);
    }
  g_free (c->path);
  g_free (c);
}

static void
send_cmd (StHost *host, Cmd *c)
{
  g_async_queue_push (host->commands, c);
  /* Input, a new screen size, a collection, a save or an inspection can
   * wait for a debugger command (a step, a finish) to end: breaking it off
   * for them would halt it early.  Pause, quit, run and debugger commands
   * interrupt it. */
  bool can_wait = c->kind == CMD_WAKE || c->kind == CMD_SCREEN || c->kind == CMD_GC || c->kind == CMD_SAVE
                  || c->kind == CMD_INSPECT;
  /* Under the lock: a trap asked for after the engine marked itself busy
   * and cleared the trap would otherwise cut the command short. */
  g_mutex_lock (&host->busy_lock);
  if (!(g_atomic_int_get (&host->debug_busy) && can_wait))
    st_interp_request_trap (host->vm);
  g_mutex_unlock (&host->busy_lock);
  st_io_wake (host->io);
}

static void
simple_cmd (StHost *host, CmdKind kind, const char *path)
{
  Cmd *c = g_new0 (Cmd, 1);
  c->kind = kind;
  c->path = g_strdup (path);
  send_cmd (host, c);
}

void st_host_run (StHost *host) { simple_cmd (host, CMD_RUN, NULL); }
void st_host_pause (StHost *host) { simple_cmd (host, CMD_PAUSE, NULL); }
void st_host_step (StHost *host) { simple_cmd (host, CMD_STEP, NULL); }
void st_host_gc (StHost *host) { simple_cmd (host, CMD_GC, NULL); }
void st_host_save (StHost *host, const char *path) { simple_cmd (host, CMD_SAVE, path); }
void st_host_inspect (StHost *host, const char *path) { simple_cmd (host, CMD_INSPECT, path); }
void st_host_debug (StHost *host, const char *command) { simple_cmd (host, CMD_DEBUG, command ? command : ""); }

void
st_host_set_screen_size (StHost *host, gint width, gint height)
{
  Cmd *c = g_new0 (Cmd, 1);
  c->kind = CMD_SCREEN;
  c->width = width;
  c->height = height;
  send_cmd (host, c);
}

void
st_host_post_event (StHost *host, const StInputEvent *ev)
{
  const StInterp *it = st_interp (host->vm);
  guint32 ms = (guint32) (((g_get_monotonic_time () - it->start_usecs) / 1000) & 0x1FFFFFFF);
  if (ev->type == ST_EVENT_WHEEL && host->vm->personality.family != ST_FAMILY_SPUR)
    {
      /* Images before Spur know no wheel events: Ctrl-Up / Ctrl-Down
       * (character codes 30 and 31), one per notch of 120. */
      if (ev->dy == 0)
        return;
      StInputEvent key = { .type = ST_EVENT_KEYBOARD, .press = ST_KEY_CHAR, .window = ev->window,
                           .modifiers = ev->modifiers | ST_MOD_CTRL, .time_ms = ev->time_ms };
      key.char_code = key.unicode = ev->dy > 0 ? 30 : 31;
      gint n = CLAMP (ABS (ev->dy) / 120, 1, 8);
      for (gint i = 0; i < n; i++)
        st_input_push (host->input, &key, ms ? ms : 1);
    }
  else
    st_input_push (host->input, ev, ms ? ms : 1);
  simple_cmd (host, CMD_WAKE, NULL);
}

gboolean
st_host_call (StHost *host, void (*fn) (StVM *vm, gpointer data), gpointer data, gint64 timeout_usecs)
{
  CallRecord *cr = g_new0 (CallRecord, 1);
  cr->ref = 2;
  g_mutex_init (&cr->lock);
  g_cond_init (&cr->cond);
  cr->fn = fn;
  cr->data = data;
  Cmd *c = g_new0 (Cmd, 1);
  c->kind = CMD_CALL;
  c->call = cr;
  send_cmd (host, c);
  gint64 end = g_get_monotonic_time () + timeout_usecs;
  g_mutex_lock (&cr->lock);
  while (!cr->done)
    if (!g_cond_wait_until (&cr->cond, &cr->lock, end))
      break;
  gboolean done = cr->done;
  g_mutex_unlock (&cr->lock);
  if (g_atomic_int_dec_and_test (&cr->ref))
    {
      g_mutex_clear (&cr->lock);
      g_cond_clear (&cr->cond);
      g_free (cr);
    }
  return done;
}

gboolean
st_host_sync (StHost *host, gint64 timeout_usecs)
{
  return st_host_call (host, NULL, NULL, timeout_usecs);
}

static void
do_save (StHost *host, const char *path)
{
  StVM *vm = host->vm;
  GError *error = NULL;
  StHostMessage *m;
  g_autofree char *canon = path ? g_canonicalize_filename (path, NULL) : NULL;
  g_autofree char *loaded = vm->image_path ? g_canonicalize_filename (vm->image_path, NULL) : NULL;
  if (path == NULL || *path == '\0')
    g_set_error (&error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED, "no path to save to");
  else if (loaded && g_strcmp0 (canon, loaded) == 0)
    g_set_error (&error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_EXISTS,
                 "%s is the image this VM was loaded from; save to a new path", path);
  else
    st_interp_snapshot (vm, path, ST_WRITE_DEFAULT, &error);   /* full GC, then the writer */
  m = message_new (host, ST_HOST_MSG_SAVED);
  m->path = g_strdup (path);
  if (error)
    m->error = g_strdup (error->message);
  g_clear_error (&error);
  post (host, m);
  post_gc (host);
}

static void
do_inspect (StHost *host, const char *path)
{
  StVM *vm = host->vm;
  GError *error = NULL;
  StHostMessage *m = message_new (host, ST_HOST_MSG_INSPECTED);
  m->path = g_strdup (path);
  StPrinter *p = st_printer_new (vm);
  StPathTarget t;
  StMirror *mi = NULL;
  if (path != NULL && st_path_resolve (p, path, &t, &error)
      && (mi = st_mirror_of (vm, NULL, t.value, 64, &error)) != NULL)
    {
      GPtrArray *lines = g_ptr_array_new ();
      g_ptr_array_add (lines, g_strdup_printf ("%s: %s", mi->class_name ? mi->class_name : "?",
                                               mi->print ? mi->print : "?"));
      for (guint i = 0; i < mi->slots->len; i++)
        {
          const StMirrorSlot *s = mi->slots->pdata[i];
          g_ptr_array_add (lines, g_strdup_printf ("%s: %s", s->name, s->print ? s->print : "?"));
        }
      if (mi->slots_omitted > 0)
        g_ptr_array_add (lines, g_strdup_printf ("... %" G_GUINT64_FORMAT " more", mi->slots_omitted));
      g_ptr_array_add (lines, NULL);
      m->lines = (char **) g_ptr_array_free (lines, FALSE);
      st_mirror_free (mi);
    }
  else
    m->error = g_strdup (error ? error->message : "no path");
  g_clear_error (&error);
  st_printer_free (p);
  post (host, m);
}

static void post_debug (StHost *host, const char *command, const char *output, const char *error, const char *reason);

static void
halt (StHost *host, StRunStatus status, GError *error)
{
  g_free (host->halt_reason);
  host->halt_reason = g_strdup_printf ("%s%s%s", st_run_status_name (status), error ? ": " : "",
                                       error ? error->message : "");
  host->want_run = false;
  set_state (host, status == ST_RUN_QUIT ? ST_HOST_STATE_QUIT : ST_HOST_STATE_HALTED);
  post (host, message_new (host, ST_HOST_MSG_STOPPED));
}

static bool
finished (StHost *host)
{
  StHostState s = st_host_state (host);
  return s == ST_HOST_STATE_HALTED || s == ST_HOST_STATE_QUIT;
}

/* One slice (or one bytecode).  FALSE when the image cannot run on. */
static void
run_slice (StHost *host, uint64_t max_bytecodes, double seconds)
{
  StVM *vm = host->vm;
  GError *error = NULL;
  st_io_signal_input (vm);
  StRunStatus s;
  if (host->debug != NULL)
    {
      /* Through the debugger, so its breakpoints fire: a halt of its own
       * pauses (the run can go on after a look or a repair). */
      s = st_debug_continue (host->debug, max_bytecodes, seconds, &error);
      StDebugHalt h = st_debug_halt_reason (host->debug);
      if ((s == ST_RUN_TRAP && h != ST_DEBUG_HALT_STOPPED) || s == ST_RUN_ERROR)
        {
          host->want_run = false;
          set_state (host, ST_HOST_STATE_PAUSED);
          post_debug (host, "", NULL, NULL, NULL);
          g_clear_error (&error);
          return;
        }
    }
  else
    s = st_interp_run (vm, max_bytecodes, seconds, &error);
  switch (s)
    {
    case ST_RUN_TIME_LIMIT:
    case ST_RUN_BYTECODE_LIMIT:
    case ST_RUN_TRAP:
    case ST_RUN_EVALUATED:
      break;
    case ST_RUN_IDLE:
      host->stalled = true;
      if (host->want_run)
        set_state (host, ST_HOST_STATE_IDLE);
      break;
    default:
      halt (host, s, error);
      break;
    }
  g_clear_error (&error);
}

/* --- the debugger --- */

static char *
line_trim (const char *command)
{
  char *l = g_strdup (command ? command : "");
  return g_strstrip (l);
}

/* Post what the debugger shows now: the halt, the command's output, the
 * lists, and a copy of the heap to look at. */
static void
post_debug (StHost *host, const char *command, const char *output, const char *error, const char *reason)
{
  StVM *vm = host->vm;
  StDebug *d = host->debug;
  StHostMessage *m = message_new (host, ST_HOST_MSG_DEBUG);
  m->debug_command = g_strdup (command ? command : "");
  m->debug_output = g_strdup (output ? output : "");
  if (reason != NULL)
    m->debug_reason = g_strdup (reason);
  else
    {
      /* "breakpoint Foo>>bar" already names its kind */
      const char *name = st_debug_halt_name (st_debug_halt_reason (d));
      const char *text = st_debug_halt_text (d) ? st_debug_halt_text (d) : "";
      m->debug_reason = g_str_has_prefix (text, name) ? g_strdup (text) : g_strdup_printf ("%s: %s", name, text);
    }
  GString *errors = g_string_new (error);
  GPtrArray *list = g_ptr_array_new ();
  GArray *bps = st_debug_breakpoints (d);
  for (guint i = 0; i < bps->len; i++)
    {
      const StDebugBreakInfo *b = &g_array_index (bps, StDebugBreakInfo, i);
      g_ptr_array_add (list, g_strdup_printf ("%u %s (hits %" G_GUINT64_FORMAT ")", b->id, b->spec, b->hits));
    }
  g_ptr_array_add (list, NULL);
  m->debug_breakpoints = (char **) g_ptr_array_free (list, FALSE);
  list = g_ptr_array_new ();
  GArray *cps = st_debug_checkpoints (d);
  for (guint i = 0; i < cps->len; i++)
    {
      const StDebugCheckpointInfo *c = &g_array_index (cps, StDebugCheckpointInfo, i);
      g_ptr_array_add (list, g_strdup_printf ("%u: %s, bytecode %" G_GUINT64_FORMAT "%s", c->number,
                                              c->where ? c->where : "?", c->bytecodes,
                                              c->before_gc ? " (before a collection)" : ""));
    }
  g_ptr_array_add (list, NULL);
  m->debug_checkpoints = (char **) g_ptr_array_free (list, FALSE);

  /* The copy: new space emptied into old space first (registers written
   * back into the active context). */
  GError *err = NULL;
  StOop ctx = 0, method = 0;
  uint64_t heap_pc = 0;
  if (!st_debug_settle (d, &err))
    {
      g_string_append_printf (errors, "%scannot empty new space: %s", errors->len ? "; " : "", err->message);
      g_clear_error (&err);
    }
  else if (st_debug_where (d, &ctx, &method, &heap_pc, NULL))
    {
      m->debug_method = st_interp_method_name (vm, method);
      m->debug_pc = st_debug_image_pc (d, method, heap_pc);
      m->debug_top_frame = g_strdup_printf ("%s pc %" G_GUINT64_FORMAT, m->debug_method, m->debug_pc);
      m->debug_context = ctx;
      StOop proc = st_sched_active_process (st_interp (vm));
      StVM *copy = st_vm_copy (vm, &err);
      if (copy == NULL)
        {
          g_string_append_printf (errors, "%scannot copy the heap: %s", errors->len ? "; " : "", err->message);
          g_clear_error (&err);
        }
      else
        {
          /* In the copy the active process is suspended where it stands. */
          if (st_interp_valid_obj (vm, proc) && st_num_slots (vm, proc) > ST_PROC_CONTEXT)
            st_store (copy, proc, ST_PROC_CONTEXT, ctx);
          m->debug_vm = copy;
        }
    }
  m->debug_error = errors->len ? g_string_free (errors, FALSE) : (g_string_free (errors, TRUE), NULL);
  post (host, m);
  post_gc (host);
}

static void
do_debug (StHost *host, const char *command)
{
  g_autofree char *line = line_trim (command);
  if (finished (host))
    {
      StHostMessage *m = message_new (host, ST_HOST_MSG_DEBUG);
      m->debug_command = g_strdup (line);
      m->debug_output = g_strdup ("");
      m->debug_reason = g_strdup (host->halt_reason ? host->halt_reason : "stopped");
      m->debug_error = g_strdup ("the image has stopped for good: nothing to debug");
      post (host, m);
      return;
    }
  bool attach = host->debug == NULL;
  if (attach)
    {
      GError *error = NULL;
      host->debug = st_debug_new (host->vm, &error);
      if (host->debug == NULL)
        {
          StHostMessage *m = message_new (host, ST_HOST_MSG_DEBUG);
          m->debug_command = g_strdup (line);
          m->debug_output = g_strdup ("");
          m->debug_reason = g_strdup ("no debugger");
          m->debug_error = g_strdup (error->message);
          g_clear_error (&error);
          post (host, m);
          return;
        }
      host->script = st_debug_script_new (host->debug, 10.0, NULL, NULL);
    }
  bool was_running = host->want_run;
  if (strcmp (line, "run") == 0 || strcmp (line, "continue") == 0 || strcmp (line, "c") == 0)
    {
      host->want_run = true;
      host->stalled = false;
      set_state (host, ST_HOST_STATE_RUNNING);
      return;
    }
  /* Commands that only change the breakpoints or settings leave a run
   * going. */
  static const char *const keep_running[] = { "break", "b", "delete", "clear", "breaks", "checkpoints",
                                              "gccheck", "gccheckpoint", "clock", "trace" };
  g_autofree char *verb = g_strndup (line, strcspn (line, " \t"));
  bool keep = false;
  for (guint i = 0; was_running && i < G_N_ELEMENTS (keep_running); i++)
    keep = keep || strcmp (verb, keep_running[i]) == 0;
  if (keep)
    {
      GString *out = g_string_new (NULL);
      GError *error = NULL;
      st_debug_run_command (host->script, line, out, &error);
      post_debug (host, line, out->str, error ? error->message : NULL, "running");
      g_clear_error (&error);
      g_string_free (out, TRUE);
      return;
    }
  host->want_run = false;
  set_state (host, ST_HOST_STATE_PAUSED);
  if (strcmp (line, "pause") == 0)
    {
      post_debug (host, line, "", NULL, was_running ? "paused" : NULL);
      return;
    }
  /* The trap this command's arrival asked for would end a step before
   * its bytecode.  Busy first, then clear: input arriving in between must
   * not set it again (send_cmd). */
  g_mutex_lock (&host->busy_lock);
  g_atomic_int_set (&host->debug_busy, 1);
  __atomic_store_n (&st_interp (host->vm)->trap, 0, __ATOMIC_RELAXED);
  g_mutex_unlock (&host->busy_lock);
  GString *out = g_string_new (NULL);
  GError *error = NULL;
  if (*line != '\0')
    st_debug_run_command (host->script, line, out, &error);
  g_atomic_int_set (&host->debug_busy, 0);
  /* Attached while running: not "before the first bytecode". */
  const char *reason = attach && was_running && *line == '\0' ? "paused" : NULL;
  post_debug (host, line, out->str, error ? error->message : NULL, reason);
  g_clear_error (&error);
  g_string_free (out, TRUE);
}

static void
handle (StHost *host, Cmd *c)
{
  switch (c->kind)
    {
    case CMD_RUN:
      if (!finished (host))
        {
          host->want_run = true;
          host->stalled = false;    /* try again: answers idle at once if still so */
          set_state (host, ST_HOST_STATE_RUNNING);
        }
      break;
    case CMD_PAUSE:
      if (!finished (host))
        {
          bool was_running = host->want_run;
          host->want_run = false;
          set_state (host, ST_HOST_STATE_PAUSED);
          if (host->debug != NULL && was_running)
            post_debug (host, "", NULL, NULL, "paused");
        }
      break;
    case CMD_STEP:
      if (!finished (host))
        {
          host->want_run = false;
          set_state (host, ST_HOST_STATE_PAUSED);
          /* A trap left by a command that came while nothing ran would
           * end the step before its bytecode. */
          __atomic_store_n (&st_interp (host->vm)->trap, 0, __ATOMIC_RELAXED);
          run_slice (host, 1, 0);
          post (host, message_new (host, ST_HOST_MSG_STATUS));
          if (host->debug != NULL && !finished (host))
            post_debug (host, "", NULL, NULL, "stepped one bytecode");
        }
      break;
    case CMD_GC:
      {
        GError *error = NULL;
        if (!st_gc_collect (host->vm, ST_GC_FULL, &error))
          halt (host, ST_RUN_NO_MEMORY, error);
        g_clear_error (&error);
        post_gc (host);
      }
      break;
    case CMD_SAVE:
      do_save (host, c->path);
      break;
    case CMD_INSPECT:
      do_inspect (host, c->path);
      break;
    case CMD_SCREEN:
      {
        st_io_set_screen_size (host->vm, c->width, c->height);
        StInputEvent ev = { .type = ST_EVENT_WINDOW, .action = ST_WINDOW_METRIC_CHANGE,
                            .right = c->width, .bottom = c->height };
        const StInterp *it = st_interp (host->vm);
        st_input_push (host->input, &ev, (guint32) ((g_get_monotonic_time () - it->start_usecs) / 1000) | 1);
      }
      break;
    case CMD_CALL:
      if (c->call->fn)
        c->call->fn (host->vm, c->call->data);
      g_mutex_lock (&c->call->lock);
      c->call->done = true;
      g_cond_broadcast (&c->call->cond);
      g_mutex_unlock (&c->call->lock);
      break;
    case CMD_DEBUG:
      do_debug (host, c->path);
      break;
    case CMD_WAKE:
      break;
    case CMD_QUIT:
      g_atomic_int_set (&host->quit, 1);
      break;
    }
}

/* Microseconds to wait for a command while nothing runs. */
static gint64
wait_usecs (StHost *host)
{
  if (!host->stalled)
    return 500000;
  const StInterp *it = st_interp (host->vm);
  if (it && it->timer_wakeup_usecs != 0)
    return CLAMP (it->timer_wakeup_usecs - g_get_monotonic_time (), 0, 500000);
  return 500000;
}

static gpointer
engine_main (gpointer data)
{
  StHost *host = data;
  host->last_status_usecs = g_get_monotonic_time ();
  while (!g_atomic_int_get (&host->quit))
    {
      /* Commands first, without blocking while running. */
      Cmd *c;
      while ((c = g_async_queue_try_pop (host->commands)) != NULL)
        {
          handle (host, c);
          cmd_free (c);
          if (g_atomic_int_get (&host->quit))
            break;
        }
      if (g_atomic_int_get (&host->quit))
        break;

      gint64 now = g_get_monotonic_time ();
      if (host->want_run && !host->stalled)
        run_slice (host, 0, host->slice_seconds);
      else
        {
          /* Paused, idle or finished: sleep until a command (or a timer). */
          c = g_async_queue_timeout_pop (host->commands, (guint64) MAX (wait_usecs (host), 1000));
          if (c != NULL)
            {
              handle (host, c);
              cmd_free (c);
            }
          /* Idle with input queued: the process waiting for it runs. */
          if (host->want_run && host->stalled && st_io_wake_idle (host->vm))
            {
              host->stalled = false;
              set_state (host, ST_HOST_STATE_RUNNING);
            }
        }

      now = g_get_monotonic_time ();
      update_display (host, now);
      if (host->cursor_changed)
        post_cursor (host);
      if (now - host->last_gc_usecs >= GC_INTERVAL_USECS)
        {
          host->last_gc_usecs = now;
          post_gc (host);
        }
      if (now - host->last_status_usecs >= STATUS_INTERVAL_USECS)
        {
          /* An image whose idle process sleeps (relinquishProcessor) most
           * of the time is idle too, though it runs. */
          gint64 slept = st_io_slept_usecs (host->vm);
          double ratio = (double) (slept - host->last_slept_usecs) / (double) (now - host->last_status_usecs);
          host->last_slept_usecs = slept;
          if (host->want_run && !host->stalled)
            {
              if (ratio > 0.9)
                set_state (host, ST_HOST_STATE_IDLE);
              else if (ratio < 0.7)
                set_state (host, ST_HOST_STATE_RUNNING);
            }
          if (st_host_state (host) != ST_HOST_STATE_PAUSED)
            post_status (host, now);
          else
            host->last_status_usecs = now;
        }
    }
  /* Drain: release anyone waiting in st_host_call. */
  Cmd *c;
  while ((c = g_async_queue_try_pop (host->commands)) != NULL)
    {
      if (c->kind == CMD_CALL)
        {
          g_mutex_lock (&c->call->lock);
          g_cond_broadcast (&c->call->cond);
          g_mutex_unlock (&c->call->lock);
        }
      cmd_free (c);
    }
  return NULL;
}

StHost *
st_host_new (StVM *vm, GMainContext *ui, StHostNotify notify, gpointer data, const StHostOptions *options,
             GError **error)
{
  g_return_val_if_fail (vm != NULL, NULL);
  if (vm->interp == NULL && !st_interp_init (vm, error))
    return NULL;
  StHost *host = g_new0 (StHost, 1);
  host->vm = vm;
  host->ui = ui ? g_main_context_ref (ui) : g_main_context_ref (g_main_context_default ());
  host->link = g_new0 (StHostLink, 1);
  host->link->ref = 1;
  host->link->alive = 1;
  host->link->notify = notify;
  host->link->data = data;
  host->commands = g_async_queue_new ();
  host->slice_seconds = options && options->slice_seconds > 0 ? options->slice_seconds : 0.015;
  g_mutex_init (&host->frame_lock);
  g_mutex_init (&host->busy_lock);
  host->io = st_io (vm);
  host->input = st_io_input (vm);
  if (options && options->screen_width > 0 && options->screen_height > 0)
    st_io_set_screen_size (vm, options->screen_width, options->screen_height);
  StIoHooks hooks = { .display_shown = hook_shown, .cursor_changed = hook_cursor };
  st_io_set_hooks (vm, &hooks, host);
  host->state = ST_HOST_STATE_PAUSED;
  if (options && options->start_running)
    {
      host->want_run = true;
      host->state = ST_HOST_STATE_RUNNING;
    }
  host->thread = g_thread_new ("thaw-engine", engine_main, host);
  return host;
}

void
st_host_free (StHost *host)
{
  if (host == NULL)
    return;
  g_atomic_int_set (&host->link->alive, 0);
  g_atomic_int_set (&host->quit, 1);
  simple_cmd (host, CMD_QUIT, NULL);
  g_thread_join (host->thread);
  st_io_set_hooks (host->vm, NULL, NULL);
  st_debug_script_free (host->script);
  if (host->debug)
    st_debug_free (host->debug);
  Cmd *c;
  while ((c = g_async_queue_try_pop (host->commands)) != NULL)
    cmd_free (c);
  g_async_queue_unref (host->commands);
  st_vm_free (host->vm);
  link_unref (host->link);
  g_main_context_unref (host->ui);
  g_mutex_clear (&host->frame_lock);
  g_mutex_clear (&host->busy_lock);
  g_free (host->frame);
  g_free (host->scratch);
  g_free (host->halt_reason);
  g_free (host);
}
