/* SPDX-License-Identifier: GPL-3.0-or-later */
/* prims-display.c: the display and input primitives of a running image,
 * and the per-VM state behind them (StIo, input.h).
 *
 * The display is whatever Form the special objects array holds at
 * TheDisplay (14): beDisplay (102) puts it there; it is looked up again
 * each time, so no StOop is kept across runs (the collector may move
 * it).  showDisplayRect (127) and forceDisplayUpdate (231) record the
 * shown rectangles and tell the host, which converts them between slices.
 * Input: the input semaphore is kept as its index in the external
 * objects array (38), events come from the StInput queue. */
#include "config.h"

#include <string.h>

#include "input.h"
#include "interp-private.h"
#include "prim-table.h"

#define CURSOR_MAX_SIDE 256

struct _StIo {
  StInput *input;
  gint64 input_semaphore;   /* index in the external objects array (1-based); 0 = none */
  bool deferred;
  bool reverse;
  gint screen_width, screen_height;
  StDirty shown;
  guint64 updates;
  StIoHooks hooks;
  gpointer hooks_data;
  GBytes *cursor;
  gint cursor_width, cursor_height, cursor_hot_x, cursor_hot_y;
  GMutex wake_lock;          /* st_io_sleep / st_io_wake */
  GCond wake_cond;
  bool woken;
  gint64 slept_usecs;
};

static StOop input_semaphore (StVM *vm, StIo *io);

StIo *
st_io (StVM *vm)
{
  StInterp *it = st_interp (vm);
  if (it == NULL)
    return NULL;
  if (it->io == NULL)
    {
      StIo *io = g_new0 (StIo, 1);
      io->input = st_input_new ();
      g_mutex_init (&io->wake_lock);
      g_cond_init (&io->wake_cond);
      st_dirty_init (&io->shown, ST_DISPLAY_MAX_SIDE, ST_DISPLAY_MAX_SIDE);
      it->io = io;
    }
  return it->io;
}

void
st_io_free (StVM *vm)
{
  StInterp *it = st_interp (vm);
  if (it == NULL || it->io == NULL)
    return;
  st_input_free (it->io->input);
  g_mutex_clear (&it->io->wake_lock);
  g_cond_clear (&it->io->wake_cond);
  if (it->io->cursor)
    g_bytes_unref (it->io->cursor);
  g_free (it->io);
  it->io = NULL;
}

void
st_io_sleep (StVM *vm, gint64 usecs)
{
  StIo *io = st_io (vm);
  if (io == NULL)
    {
      g_usleep ((gulong) usecs);
      return;
    }
  gint64 start = g_get_monotonic_time (), end = start + usecs;
  g_mutex_lock (&io->wake_lock);
  while (!io->woken)
    if (!g_cond_wait_until (&io->wake_cond, &io->wake_lock, end))
      break;
  io->woken = false;
  g_mutex_unlock (&io->wake_lock);
  io->slept_usecs += g_get_monotonic_time () - start;
}

gint64
st_io_slept_usecs (StVM *vm)
{
  StIo *io = st_io (vm);
  return io ? io->slept_usecs : 0;
}

void
st_io_wake (StIo *io)
{
  g_mutex_lock (&io->wake_lock);
  io->woken = true;
  g_cond_signal (&io->wake_cond);
  g_mutex_unlock (&io->wake_lock);
}

void
st_io_set_hooks (StVM *vm, const StIoHooks *hooks, gpointer data)
{
  StIo *io = st_io (vm);
  if (io == NULL)
    return;
  if (hooks)
    io->hooks = *hooks;
  else
    memset (&io->hooks, 0, sizeof io->hooks);
  io->hooks_data = data;
}

StInput *
st_io_input (StVM *vm)
{
  StIo *io = st_io (vm);
  return io ? io->input : NULL;
}

void
st_io_set_screen_size (StVM *vm, gint width, gint height)
{
  StIo *io = st_io (vm);
  if (io == NULL)
    return;
  io->screen_width = CLAMP (width, 0, ST_DISPLAY_MAX_SIDE);
  io->screen_height = CLAMP (height, 0, ST_DISPLAY_MAX_SIDE);
}

gboolean
st_io_take_shown (StVM *vm, StRect *out)
{
  StIo *io = st_io (vm);
  return io != NULL && st_dirty_take (&io->shown, out);
}

guint64
st_io_updates (StVM *vm)
{
  StIo *io = st_io (vm);
  return io ? io->updates : 0;
}

gboolean
st_io_deferred (StVM *vm)
{
  StIo *io = st_io (vm);
  return io != NULL && io->deferred;
}

gboolean
st_io_reverse (StVM *vm)
{
  StIo *io = st_io (vm);
  return io != NULL && io->reverse;
}

gboolean
st_io_cursor (StVM *vm, GBytes **pixels, gint *width, gint *height, gint *hot_x, gint *hot_y)
{
  StIo *io = st_io (vm);
  if (io == NULL || io->cursor == NULL)
    return FALSE;
  *pixels = g_bytes_ref (io->cursor);
  *width = io->cursor_width;
  *height = io->cursor_height;
  *hot_x = io->cursor_hot_x;
  *hot_y = io->cursor_hot_y;
  return TRUE;
}

gboolean
st_io_signal_input (StVM *vm)
{
  StInterp *it = st_interp (vm);
  StIo *io = st_io (vm);
  if (io == NULL || st_input_queued (io->input) == 0)
    return FALSE;
  StOop sem = input_semaphore (vm, io);
  if (sem == 0)
    return FALSE;
  /* One pending signal is enough: the image reads every queued event. */
  for (guint i = 0; i < it->pending_signals->len; i++)
    if (g_array_index (it->pending_signals, StOop, i) == sem)
      return TRUE;
  g_array_append_val (it->pending_signals, sem);
  __atomic_store_n (&it->check_at, 0, __ATOMIC_RELAXED);
  return TRUE;
}

/* The input semaphore (external objects array) when valid, else 0. */
static StOop
input_semaphore (StVM *vm, StIo *io)
{
  StInterp *it = st_interp (vm);
  if (io->input_semaphore <= 0)
    return 0;
  StOop ext = st_special (vm, ST_SPLOB_EXTERNAL_OBJECTS_ARRAY);
  if (!st_interp_valid_obj (vm, ext) || !st_fmt_is_pointers (st_format (vm, ext))
      || (uint64_t) io->input_semaphore > st_num_slots (vm, ext))
    return 0;
  StOop sem = st_fetch (vm, ext, (uint64_t) io->input_semaphore - 1);
  if (!st_interp_valid_obj (vm, sem) || it->ci_semaphore == 0 || st_class_index (vm, sem) != it->ci_semaphore
      || st_num_slots (vm, sem) <= ST_SEM_EXCESS)
    return 0;
  return sem;
}

gboolean
st_io_wake_idle (StVM *vm)
{
  StInterp *it = st_interp (vm);
  StIo *io = st_io (vm);
  if (io == NULL || it->stop != ST_RUN_IDLE || st_input_queued (io->input) == 0)
    return FALSE;
  StOop sem = input_semaphore (vm, io);
  if (sem == 0 || st_sched_is_empty_list (it, sem))
    return FALSE;
  /* The active process waits on some semaphore already (that is how the
   * run went idle): switch straight to the woken one. */
  StOop proc = st_sched_remove_first (it, sem);
  if (proc == 0 || !st_sched_transfer_to (it, proc))
    return FALSE;
  it->stop = ST_RUN_CONTINUE;
  return TRUE;
}

static StPrimResult
answer_self (StInterp *it, int argc)
{
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

static StOop
make_point (StInterp *it, int64_t x, int64_t y)
{
  if (it->ci_point == 0)
    return 0;
  StOop p = st_objmem_new_object (it->vm, it->ci_point, ST_FMT_FIXED, 2);
  if (p == 0)
    return 0;
  st_store (it->vm, p, 0, st_smallint_oop (x));
  st_store (it->vm, p, 1, st_smallint_oop (y));
  return p;
}

static void
shown (StVM *vm, StIo *io)
{
  io->updates++;
  if (io->hooks.display_shown)
    io->hooks.display_shown (vm, io->hooks_data);
}

/* --- display --- */

/* aForm beDisplay */
StPrimResult
st_prim_be_display (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StIo *io = st_io (vm);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop form = st_stack_value (it, 0);
  StFormInfo fi;
  if (!st_display_form_info (vm, form, &fi, NULL))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (vm->special_objects == 0 || st_num_slots (vm, vm->special_objects) <= ST_SPLOB_THE_DISPLAY)
    return ST_PRIM_FAIL;
  st_store (vm, vm->special_objects, ST_SPLOB_THE_DISPLAY, form);
  st_dirty_init (&io->shown, fi.width, fi.height);
  StRect all = { 0, 0, fi.width, fi.height };
  st_dirty_add (&io->shown, &all);
  shown (vm, io);
  return ST_PRIM_OK;
}

/* Display primShowRectLeft: l right: r top: t bottom: b */
StPrimResult
st_prim_show_display_rect (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StIo *io = st_io (vm);
  if (argc != 4)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  int64_t v[4];
  for (int i = 0; i < 4; i++)
    {
      StOop a = st_stack_value (it, 3 - i);
      if (!st_is_smallint (a))
        return ST_PRIM_ERR_BAD_ARGUMENT;
      v[i] = st_smallint_value (a);
    }
  StOop form = st_stack_value (it, 4);
  StFormInfo fi;
  if (form == st_special (vm, ST_SPLOB_THE_DISPLAY) && st_display_form_info (vm, form, &fi, NULL))
    {
      if (io->shown.clip_width != fi.width || io->shown.clip_height != fi.height)
        st_dirty_init (&io->shown, fi.width, fi.height);
      int64_t l = CLAMP (v[0], 0, fi.width), r = CLAMP (v[1], 0, fi.width);
      int64_t t = CLAMP (v[2], 0, fi.height), b = CLAMP (v[3], 0, fi.height);
      if (r > l && b > t)
        {
          StRect rect = { (gint) l, (gint) t, (gint) (r - l), (gint) (b - t) };
          st_dirty_add (&io->shown, &rect);
          shown (vm, io);
        }
    }
  return answer_self (it, argc);
}

/* Display forceDisplayUpdate */
StPrimResult
st_prim_force_display_update (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StIo *io = st_io (vm);
  shown (vm, io);
  return answer_self (it, argc);
}

/* Display deferUpdates: aBoolean */
StPrimResult
st_prim_defer_display_updates (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StIo *io = st_io (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop flag = st_stack_value (it, 0);
  if (flag != it->true_obj && flag != it->false_obj)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  io->deferred = flag == it->true_obj;
  return answer_self (it, argc);
}

/* Display reverse video on/off (primReverseDisplay): the whole display
 * is shown again in the other sense. */
StPrimResult
st_prim_reverse_display (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StIo *io = st_io (vm);
  io->reverse = !io->reverse;
  StFormInfo fi;
  if (st_display_form (vm, &fi, NULL) != 0)
    {
      st_dirty_init (&io->shown, fi.width, fi.height);
      StRect all = { 0, 0, fi.width, fi.height };
      st_dirty_add (&io->shown, &all);
    }
  shown (vm, io);
  return answer_self (it, argc);
}

/* DisplayScreen actualScreenSize */
StPrimResult
st_prim_screen_size (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StIo *io = st_io (vm);
  int64_t w = io->screen_width, h = io->screen_height;
  if (w <= 0 || h <= 0)
    {
      StFormInfo fi;
      if (st_display_form (vm, &fi, NULL) != 0 && fi.width > 0 && fi.height > 0)
        w = fi.width, h = fi.height;
      else
        {
          w = (vm->header.saved_window_size >> 16) & 0xFFFF;
          h = vm->header.saved_window_size & 0xFFFF;
          if (w == 0 || h == 0)
            w = 640, h = 480;
        }
    }
  StOop p = make_point (it, w, h);
  if (p == 0)
    return it->ci_point == 0 ? ST_PRIM_FAIL : ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, p);
}

/* One pixel of a depth-1 Form (most significant bit first). */
static bool
bit_at (StVM *vm, const StFormInfo *fi, gint x, gint y)
{
  uint64_t word = (uint64_t) y * fi->pitch + (guint) x / 32;
  if (word >= fi->n_words)
    return false;
  const guint32 *w = (const guint32 *) st_ptr (vm, fi->bits + 8);
  guint shift = fi->depth > 0 ? 31 - (guint) x % 32 : (guint) x % 32;
  return (w[word] >> shift) & 1;
}

static void
form_offset (StVM *vm, StOop form, gint *x, gint *y)
{
  *x = *y = 0;
  if (st_num_slots (vm, form) < 5)
    return;
  StOop off = st_fetch (vm, form, 4);
  if (!st_interp_valid_obj (vm, off) || st_num_slots (vm, off) < 2)
    return;
  StOop ox = st_fetch (vm, off, 0), oy = st_fetch (vm, off, 1);
  if (st_is_smallint (ox) && st_is_smallint (oy))
    {
      *x = (gint) CLAMP (st_smallint_value (ox), -CURSOR_MAX_SIDE, CURSOR_MAX_SIDE);
      *y = (gint) CLAMP (st_smallint_value (oy), -CURSOR_MAX_SIDE, CURSOR_MAX_SIDE);
    }
}

/* aCursor beCursor / aCursor beCursorWithMask: maskForm */
StPrimResult
st_prim_be_cursor (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StIo *io = st_io (vm);
  if (argc > 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop form = st_stack_value (it, argc);
  StOop mask = argc == 1 ? st_stack_value (it, 0) : 0;
  StFormInfo fi, mi;
  if (!st_display_form_info (vm, form, &fi, NULL) || fi.width > CURSOR_MAX_SIDE || fi.height > CURSOR_MAX_SIDE
      || fi.width == 0 || fi.height == 0)
    return ST_PRIM_ERR_BAD_RECEIVER;
  bool have_mask = mask != 0 && mask != it->nil;
  if (have_mask && (!st_display_form_info (vm, mask, &mi, NULL) || ABS (mi.depth) != 1
                    || mi.width < fi.width || mi.height < fi.height))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  gsize n = (gsize) fi.width * fi.height;
  guint32 *px = g_new0 (guint32, n);
  if (ABS (fi.depth) == 1)
    {
      for (gint y = 0; y < fi.height; y++)
        for (gint x = 0; x < fi.width; x++)
          {
            bool b = bit_at (vm, &fi, x, y);
            bool m = have_mask ? bit_at (vm, &mi, x, y) : b;
            px[(gsize) y * fi.width + x] = !m && !b ? 0 : b ? 0xFF000000u : 0xFFFFFFFFu;
          }
    }
  else if (!st_display_convert (vm, form, NULL, px, (gsize) fi.width * 4, 0, NULL, NULL))
    {
      g_free (px);
      return ST_PRIM_ERR_BAD_RECEIVER;
    }
  if (io->cursor)
    g_bytes_unref (io->cursor);
  io->cursor = g_bytes_new_take (px, n * 4);
  io->cursor_width = fi.width;
  io->cursor_height = fi.height;
  gint ox, oy;
  form_offset (vm, form, &ox, &oy);
  io->cursor_hot_x = CLAMP (-ox, 0, fi.width - 1);
  io->cursor_hot_y = CLAMP (-oy, 0, fi.height - 1);
  if (io->hooks.cursor_changed)
    io->hooks.cursor_changed (vm, io->hooks_data);
  return answer_self (it, argc);
}

/* --- input --- */

/* Sensor primSetInputSemaphore: index (into the external objects array) */
StPrimResult
st_prim_input_semaphore (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StIo *io = st_io (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop a = st_stack_value (it, 0);
  if (a == it->nil)
    io->input_semaphore = 0;
  else if (st_is_smallint (a) && st_smallint_value (a) >= 0)
    io->input_semaphore = st_smallint_value (a);
  else
    return ST_PRIM_ERR_BAD_ARGUMENT;
  return answer_self (it, argc);
}

/* Sensor primGetNextEvent: anArray (8 elements; type 0 when none) */
StPrimResult
st_prim_get_next_event (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StIo *io = st_io (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop buf = st_stack_value (it, 0);
  if (!st_interp_valid_obj (vm, buf) || !st_fmt_is_pointers (st_format (vm, buf)) || st_num_slots (vm, buf) < 8)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  StInputEvent ev = { 0 };
  int64_t slots[8] = { 0 };
  if (st_input_pop (io->input, &ev))
    st_input_event_slots (&ev, slots);
  for (int i = 0; i < 8; i++)
    {
      StOop v = st_interp_int_fits (it, slots[i]) ? st_smallint_oop (slots[i]) : st_smallint_oop (0);
      st_store (vm, buf, (uint64_t) i, v);
    }
  return answer_self (it, argc);
}

/* Sensor primMousePt */
StPrimResult
st_prim_mouse_point (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StIo *io = st_io (vm);
  gint x, y;
  st_input_mouse_point (io->input, &x, &y);
  StOop p = make_point (it, x, y);
  if (p == 0)
    return it->ci_point == 0 ? ST_PRIM_FAIL : ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, p);
}

/* Sensor primMouseButtons: buttons | modifiers << 3 */
StPrimResult
st_prim_mouse_buttons (StVM *vm, int argc)
{
  StIo *io = st_io (vm);
  return st_prim_return (st_interp (vm), argc, st_smallint_oop (st_input_mouse_buttons (io->input)));
}

/* Sensor primKbdNext / primKbdPeek: modifiers << 8 | char code, or nil */
StPrimResult
st_prim_kbd_next (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  gint k = st_input_key_next (st_io (vm)->input);
  return st_prim_return (it, argc, k < 0 ? it->nil : st_smallint_oop (k));
}

StPrimResult
st_prim_kbd_peek (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  gint k = st_input_key_peek (st_io (vm)->input);
  return st_prim_return (it, argc, k < 0 ? it->nil : st_smallint_oop (k));
}
