/* SPDX-License-Identifier: GPL-3.0-or-later */
/* input.h: input events for a running image, in Squeak's own encoding.
 *
 * The window (any thread) posts StInputEvents to a host (host.h); the
 * engine thread keeps them in a bounded queue (StInput) and the image
 * reads them with primitive 94 (getNextEvent:) as an 8-element Array:
 *
 *   mouse     [1, time, x, y, buttons, modifiers, 0, window]
 *   keyboard  [2, time, charCode, pressCode, modifiers, unicode, 0, window]
 *   window    [5, time, action, left, top, right, bottom, window]
 *   wheel     [7, time, deltaX, deltaY, buttons, modifiers, 0, window]
 *
 * Images without an event queue (2.x, many 3.x) poll instead: the latest
 * mouse position (90), button state (107, buttons | modifiers << 3), and
 * a queue of key codes (108 next, 109 peek: modifiers << 8 | char code).
 * An StInput has its own mutex: events are pushed from any thread and
 * read by the engine thread's primitives. */
#pragma once

#include "display.h"
#include "objmem.h"

G_BEGIN_DECLS

typedef enum {
  ST_EVENT_NONE = 0,
  ST_EVENT_MOUSE = 1,
  ST_EVENT_KEYBOARD = 2,
  ST_EVENT_DRAG_DROP = 3,     /* not produced by Thaw yet */
  ST_EVENT_WINDOW = 5,
  ST_EVENT_WHEEL = 7,
} StEventType;

/* Mouse buttons as Squeak numbers them (colour names from the Alto). */
enum {
  ST_BUTTON_BLUE = 1,         /* right button (window menu / halo) */
  ST_BUTTON_YELLOW = 2,       /* middle button (context menu) */
  ST_BUTTON_RED = 4,          /* left button (select, click) */
};

/* Modifier bits. */
enum {
  ST_MOD_SHIFT = 1,
  ST_MOD_CTRL = 2,
  ST_MOD_OPTION = 4,          /* Alt */
  ST_MOD_COMMAND = 8,         /* Cmd; the window maps Alt or Super here by preference */
};

/* Keyboard press codes. */
typedef enum {
  ST_KEY_CHAR = 0,            /* a typed character (what images mostly read) */
  ST_KEY_DOWN = 1,
  ST_KEY_UP = 2,
} StKeyPress;

/* Window event actions. */
enum {
  ST_WINDOW_METRIC_CHANGE = 1,
  ST_WINDOW_CLOSE = 2,
  ST_WINDOW_ICONISE = 3,
  ST_WINDOW_ACTIVATED = 4,
  ST_WINDOW_PAINT = 5,
  ST_WINDOW_SCREEN_CHANGE = 6,
};

typedef struct {
  StEventType type;
  /* Milliseconds; 0 means "stamp it when posted" (the image's millisecond
   * clock, masked to 29 bits as the VMs do). */
  guint32 time_ms;
  /* Mouse and wheel: position in display (Form) pixels; window events:
   * the new left/top. */
  gint x, y;
  /* Mouse/wheel: ST_BUTTON_* currently held. */
  guint buttons;
  /* ST_MOD_* held while the event happened (all types). */
  guint modifiers;
  /* Keyboard: the character in MacRoman (0..255; the polling
   * primitives and old images read this), the press code, the Unicode
   * code point (UTF-32; 0 when none, for example a bare key up). */
  guint32 char_code;
  StKeyPress press;
  guint32 unicode;
  /* Wheel: deltas as Squeak expects them (positive dy = scroll up, i.e.
   * already negated from GTK's convention), in units of 120 per notch.
   * The host turns them into Ctrl-Up/Down keys for images before Spur. */
  gint dx, dy;
  /* Window: ST_WINDOW_* and, for metric changes, right/bottom. */
  gint action;
  gint right, bottom;
  /* Host window index; 1 for the one display window. */
  gint window;
} StInputEvent;

#define ST_INPUT_QUEUE_MAX 1024
#define ST_INPUT_KEYS_MAX 256

typedef struct _StInput StInput;

StInput *st_input_new (void);
void     st_input_free (StInput *in);

/* Queue an event (a copy) and update the polling state (mouse position,
 * buttons, key queue).  When the queue is full the oldest mouse-move
 * event, else the oldest event, is dropped and counted.  time_ms 0 is
 * replaced by now_ms. */
void st_input_push (StInput *in, const StInputEvent *ev, guint32 now_ms);

/* Take the oldest queued event into out; FALSE when none. */
gboolean st_input_pop (StInput *in, StInputEvent *out);

/* The 8 slot values primitive 94 stores for an event (as plain integers;
 * the caller makes SmallIntegers). */
void st_input_event_slots (const StInputEvent *ev, int64_t slots[8]);

/* Polling state for pre-event images. */
void     st_input_mouse_point (StInput *in, gint *x, gint *y);
guint    st_input_mouse_buttons (StInput *in);          /* buttons | modifiers << 3 */
/* The next key (modifiers << 8 | char code) without (peek) or with
 * (next) removing it; -1 when none. */
gint     st_input_key_peek (StInput *in);
gint     st_input_key_next (StInput *in);

guint    st_input_queued (StInput *in);
guint64  st_input_dropped (StInput *in);
guint64  st_input_delivered (StInput *in);  /* events handed to the image by st_input_pop */

/* --- The running VM's display and input state (prims-display.c) ---
 *
 * One StIo per interpreter (vm->interp), made on first use.  The display
 * primitives (102 beDisplay, 127 showDisplayRect, 231 forceDisplayUpdate,
 * 126 deferUpdates, 106 screenSize, 101 beCursor) record what the image
 * shows here; a host (host.c) installs hooks to hear about it.  Without a
 * host (thaw-cli run) the same primitives only keep the counts, the
 * union of the shown rectangles and the cursor. */
typedef struct _StIo StIo;

typedef struct {
  /* Engine thread, inside a primitive: the image showed part of its
   * display (127, 231, or a new display Form: 102). */
  void (*display_shown) (StVM *vm, gpointer data);
  /* Engine thread, inside primitive 101: a new cursor. */
  void (*cursor_changed) (StVM *vm, gpointer data);
} StIoHooks;

/* The VM's StIo (made on first use); NULL when the VM has no interpreter. */
StIo    *st_io (StVM *vm);
void     st_io_set_hooks (StVM *vm, const StIoHooks *hooks, gpointer data);
StInput *st_io_input (StVM *vm);
/* What screenSize answers; 0 x 0 = the display Form's size. */
void     st_io_set_screen_size (StVM *vm, gint width, gint height);
/* The union of the rectangles shown since the last take, in display
 * coordinates; FALSE when none. */
gboolean st_io_take_shown (StVM *vm, StRect *out);
/* How many times the image showed (part of) its display. */
guint64  st_io_updates (StVM *vm);
gboolean st_io_deferred (StVM *vm);
/* Reverse video (primitive 122 toggles it): convert with ST_DISPLAY_REVERSE. */
gboolean st_io_reverse (StVM *vm);
/* The cursor as ARGB32 (stride width*4); FALSE when the image set none
 * (or a damaged one).  *pixels is a new reference. */
gboolean st_io_cursor (StVM *vm, GBytes **pixels, gint *width, gint *height, gint *hot_x, gint *hot_y);
/* Signal the image's input semaphore (primitive 93) at the interpreter's
 * next check when events are queued; engine thread, between slices.
 * TRUE when there was a semaphore to signal. */
gboolean st_io_signal_input (StVM *vm);
/* The run stopped idle (ST_RUN_IDLE: every process waits, no timer) and
 * events are queued: hand the input semaphore's first waiting process
 * the processor so the next st_interp_run carries on.  TRUE when a
 * process was woken.  Engine thread, between runs. */
gboolean st_io_wake_idle (StVM *vm);
/* Sleep up to usecs on the engine thread (the idle process's
 * relinquishProcessor, primitive 230), returning early when
 * st_io_wake is called (an event or a command arrived). */
void     st_io_sleep (StVM *vm, gint64 usecs);
/* Microseconds spent in st_io_sleep so far. */
gint64   st_io_slept_usecs (StVM *vm);
/* Any thread: end the current st_io_sleep (or the next one, at once). */
void     st_io_wake (StIo *io);
/* Free the VM's StIo (interp.c's teardown). */
void     st_io_free (StVM *vm);

G_END_DECLS
