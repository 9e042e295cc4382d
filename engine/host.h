/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host.h: the engine thread that runs one image for a window.
 *
 * An StHost owns an StVM and one thread (g_thread_new) that runs the
 * image's interpreter in slices of about 15 ms.  The UI talks to it only
 * through commands (st_host_run, _pause, ... all return at once) and
 * hears back through immutable StHostMessages delivered on the UI's
 * GMainContext (g_main_context_invoke_full): the notify callback never
 * runs on the engine thread.  The UI never locks the VM; the engine never
 * waits for the UI.
 *
 * Display: the engine converts the dirty part of the image's display Form
 * into a host-side ARGB32 frame buffer under a mutex, unions the dirty
 * rectangles, and posts ONE ST_HOST_MSG_DISPLAY while none is pending;
 * the UI then calls st_host_take_frame, which copies the frame (under the
 * mutex) and clears the pending flag.
 *
 * Input: st_host_post_event (any thread) queues an event; the engine
 * thread hands it to the image (input semaphore, primitive 94, polling
 * primitives) at its next slice boundary, waking an idle image at once. */
#pragma once

#include "display.h"
#include "gc.h"
#include "input.h"

G_BEGIN_DECLS

typedef struct _StHost StHost;

typedef enum {
  ST_HOST_STATE_PAUSED,   /* not running: the heap may be inspected (through commands) */
  ST_HOST_STATE_RUNNING,  /* running slices */
  ST_HOST_STATE_IDLE,     /* running, but idle: every process waits (for input or a timer), or
                           * the idle process sleeps (relinquishProcessor) over 90% of the time */
  ST_HOST_STATE_HALTED,   /* the interpreter stopped for good (error, no memory); see halt_reason */
  ST_HOST_STATE_QUIT,     /* the image quit (primitive 113) */
} StHostState;

typedef enum {
  ST_HOST_MSG_STATUS,     /* state and counters (at most ~4 a second, and on every state change) */
  ST_HOST_MSG_DISPLAY,    /* a new frame: call st_host_take_frame */
  ST_HOST_MSG_GC,         /* new collections: gc_samples and gc_stats */
  ST_HOST_MSG_CURSOR,     /* the image's cursor changed: cursor_* */
  ST_HOST_MSG_SAVED,      /* a save finished: path, and error when it failed */
  ST_HOST_MSG_INSPECTED,  /* an inspect finished: path, lines (or error) */
  ST_HOST_MSG_STOPPED,    /* the image stopped for good (state QUIT or HALTED, halt_reason set);
                           * the thread still answers inspect/save until st_host_free */
  ST_HOST_MSG_DEBUG,      /* the debugger halted, or answered a command: debug_* */
} StHostMessageKind;

/* Immutable once posted; owned by the host and freed after the notify
 * callback returns (copy what you keep, or take a reference with
 * st_host_message_ref). */
typedef struct {
  StHostMessageKind kind;
  gint ref_count;          /* private */

  /* Every message: the state when it was made, and the counters. */
  StHostState state;
  char *halt_reason;       /* HALTED/QUIT: why (run status name and error text), else NULL */
  double bytecodes_per_sec;  /* over the last status interval */
  double sends_per_sec;
  uint64_t process_switches; /* total */
  uint64_t bytecodes;        /* total */
  uint64_t display_updates;  /* frames delivered so far */
  double display_convert_ms; /* mean time the engine spent per display update (convert, diff, copy) */
  uint64_t events_delivered; /* input events the image has read */

  /* GC: the samples since the previous GC message (GArray of StGcSample)
   * and the statistics now. */
  GArray *gc_samples;
  StGcStats gc_stats;

  /* CURSOR: the cursor as ARGB32 (transparent where the mask is clear;
   * black/white where set), width x height (stride width*4), hotspot.
   * NULL pixels means "the default arrow". */
  GBytes *cursor_pixels;
  gint cursor_width, cursor_height, cursor_hot_x, cursor_hot_y;

  /* SAVED / INSPECTED: the path given to the command; error text or NULL. */
  char *path;
  char *error;
  /* INSPECTED: the mirror print, one line per element (NULL-terminated). */
  char **lines;

  /* DEBUG (the debugger is attached and halted): why it halted
   * ("breakpoint: ..."), the command ("" for a halt met while running)
   * and its output as text (debug-script.h), the command's error or NULL;
   * the breakpoints ("ID SPEC (hits N)") and checkpoints ("N: WHERE,
   * bytecode B") as NULL-terminated lists; where it stands: the active
   * method's name, the image's pc there, and "Class>>sel pc N".
   * debug_vm is a standalone copy of the heap as it is halted (no
   * interpreter; the active process's suspendedContext is the active
   * context, debug_context), owned by the message and freed with it; NULL
   * when it could not be made (debug_error says why). */
  char *debug_reason;
  char *debug_command;
  char *debug_output;
  char *debug_error;
  char **debug_breakpoints;
  char **debug_checkpoints;
  char *debug_method;
  uint64_t debug_pc;
  char *debug_top_frame;
  StVM *debug_vm;
  uint64_t debug_context;
} StHostMessage;

StHostMessage *st_host_message_ref (StHostMessage *msg);
void           st_host_message_unref (StHostMessage *msg);

/* Called on the UI's GMainContext (never on the engine thread). */
typedef void (*StHostNotify) (const StHostMessage *msg, gpointer data);

typedef struct {
  double slice_seconds;    /* 0 = default (0.015) */
  gint screen_width;       /* what screenSize (106) answers; 0 = the display Form's size */
  gint screen_height;      /*   (or the image header's saved window size before beDisplay) */
  gboolean start_running;  /* run at once instead of starting paused */
} StHostOptions;

/* Takes ownership of vm (st_host_free frees it after joining the thread;
 * on failure the caller keeps it).  Calls st_interp_init when the VM has
 * no interpreter yet.
 * ui NULL means the thread-default/global main context.  Starts paused
 * unless options->start_running. */
StHost *st_host_new (StVM *vm, GMainContext *ui, StHostNotify notify, gpointer data,
                     const StHostOptions *options, GError **error);

/* Commands: asynchronous, any thread; effects are reported by messages. */
void st_host_run (StHost *host);
void st_host_pause (StHost *host);
void st_host_step (StHost *host);                    /* one bytecode, then paused */
void st_host_gc (StHost *host);                      /* a full collection now */
void st_host_save (StHost *host, const char *path);  /* pause, full GC, write, resume */
void st_host_inspect (StHost *host, const char *path);
/* Debugger (debug-script.h): attach a debugger to the VM on first use
 * (halted where the run is: before the first bytecode when nothing ran
 * yet), then run one command line on the engine thread and post
 * ST_HOST_MSG_DEBUG with its output.  "run", "continue" and "c" without
 * a count resume running in slices (breakpoints stay armed); "pause"
 * stops.  While a debugger is attached every run (st_host_run too)
 * goes through it: a breakpoint met, or an interpreter error, pauses the
 * host (not HALTED: the run can go on after a repair) and posts
 * ST_HOST_MSG_DEBUG; so does st_host_pause and st_host_step. */
void st_host_debug (StHost *host, const char *command);

/* Change what screenSize answers (the window was resized); also posts a
 * window metric-change event to the image. */
void st_host_set_screen_size (StHost *host, gint width, gint height);

/* Queue an input event for the image (any thread).  Wheel events for
 * images before Spur become Ctrl-Up/Ctrl-Down characters (30/31), one
 * per 120 units, as those images expect. */
void st_host_post_event (StHost *host, const StInputEvent *ev);

/* The latest frame: a copy of the whole frame buffer (ARGB32, opaque),
 * its size and stride, and the union of the rectangles changed since the
 * last take.  FALSE (and nothing set) when nothing changed.  Any thread. */
gboolean st_host_take_frame (StHost *host, GBytes **pixels, int *width, int *height, int *stride,
                             StRect *dirty);

/* The state now (any thread; atomically read). */
StHostState st_host_state (StHost *host);
const char *st_host_state_name (StHostState state);

/* Wait (on the calling thread, iterating nothing) until the engine thread
 * has no command left to handle, at most timeout_usecs: for tests and the
 * CLI.  FALSE on timeout. */
gboolean st_host_sync (StHost *host, gint64 timeout_usecs);

/* Run fn (vm, data) on the engine thread while the interpreter is
 * stopped between slices, and wait for it (at most timeout_usecs).  For
 * tests and tools; never from the UI thread in the application.  FALSE
 * on timeout or when the engine thread has ended; after a timeout fn may
 * still run later, so data must stay valid until st_host_free. */
gboolean st_host_call (StHost *host, void (*fn) (StVM *vm, gpointer data), gpointer data,
                       gint64 timeout_usecs);

/* Stop the engine thread (within a second, even mid-slice), join it and
 * free the VM.  Messages still queued for the UI are dropped. */
void st_host_free (StHost *host);

G_END_DECLS
