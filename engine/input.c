/* SPDX-License-Identifier: GPL-3.0-or-later */
/* input.c: the bounded event queue and the polling state behind the
 * image's input primitives (prims-display.c). */
#include "config.h"

#include <string.h>

#include "input.h"

struct _StInput {
  GMutex lock;
  StInputEvent *ring;      /* ST_INPUT_QUEUE_MAX events */
  guint head, len;
  guint32 keys[ST_INPUT_KEYS_MAX];  /* modifiers << 8 | char code */
  guint key_head, key_len;
  gint mouse_x, mouse_y;
  guint buttons, modifiers;
  guint64 dropped, delivered;
};

StInput *
st_input_new (void)
{
  StInput *in = g_new0 (StInput, 1);
  g_mutex_init (&in->lock);
  in->ring = g_new0 (StInputEvent, ST_INPUT_QUEUE_MAX);
  return in;
}

void
st_input_free (StInput *in)
{
  if (in == NULL)
    return;
  g_mutex_clear (&in->lock);
  g_free (in->ring);
  g_free (in);
}

/* Drop one event to make room: the oldest plain mouse move if there is
 * one (moves are superseded by later ones), else the oldest event. */
static void
drop_one (StInput *in)
{
  guint victim = 0;
  for (guint i = 0; i < in->len; i++)
    {
      const StInputEvent *e = &in->ring[(in->head + i) % ST_INPUT_QUEUE_MAX];
      if (e->type == ST_EVENT_MOUSE && e->buttons == 0)
        {
          victim = i;
          break;
        }
    }
  for (guint i = victim; i > 0; i--)
    in->ring[(in->head + i) % ST_INPUT_QUEUE_MAX] = in->ring[(in->head + i - 1) % ST_INPUT_QUEUE_MAX];
  in->head = (in->head + 1) % ST_INPUT_QUEUE_MAX;
  in->len--;
  in->dropped++;
}

void
st_input_push (StInput *in, const StInputEvent *ev, guint32 now_ms)
{
  g_mutex_lock (&in->lock);
  if (in->len >= ST_INPUT_QUEUE_MAX)
    drop_one (in);
  StInputEvent *slot = &in->ring[(in->head + in->len) % ST_INPUT_QUEUE_MAX];
  *slot = *ev;
  if (slot->time_ms == 0)
    slot->time_ms = now_ms & 0x1FFFFFFF;
  if (slot->window == 0)
    slot->window = 1;
  in->len++;

  /* Polling state. */
  in->modifiers = ev->modifiers & 0xF;
  if (ev->type == ST_EVENT_MOUSE)
    {
      in->mouse_x = ev->x;
      in->mouse_y = ev->y;
      in->buttons = ev->buttons & 7;
    }
  else if (ev->type == ST_EVENT_KEYBOARD && ev->press == ST_KEY_CHAR)
    {
      if (in->key_len >= ST_INPUT_KEYS_MAX)
        {
          in->key_head = (in->key_head + 1) % ST_INPUT_KEYS_MAX;
          in->key_len--;
        }
      guint32 code = ev->char_code <= 0xFF ? ev->char_code : '?';
      in->keys[(in->key_head + in->key_len) % ST_INPUT_KEYS_MAX] = ((ev->modifiers & 0xF) << 8) | code;
      in->key_len++;
    }
  g_mutex_unlock (&in->lock);
}

gboolean
st_input_pop (StInput *in, StInputEvent *out)
{
  g_mutex_lock (&in->lock);
  gboolean any = in->len > 0;
  if (any)
    {
      *out = in->ring[in->head];
      in->head = (in->head + 1) % ST_INPUT_QUEUE_MAX;
      in->len--;
      in->delivered++;
    }
  g_mutex_unlock (&in->lock);
  return any;
}

void
st_input_event_slots (const StInputEvent *ev, int64_t slots[8])
{
  memset (slots, 0, 8 * sizeof slots[0]);
  slots[0] = ev->type;
  slots[1] = ev->time_ms & 0x1FFFFFFF;
  switch (ev->type)
    {
    case ST_EVENT_MOUSE:
      slots[2] = ev->x;
      slots[3] = ev->y;
      slots[4] = ev->buttons & 7;
      slots[5] = ev->modifiers & 0xF;
      break;
    case ST_EVENT_KEYBOARD:
      slots[2] = ev->char_code;
      slots[3] = ev->press;
      slots[4] = ev->modifiers & 0xF;
      slots[5] = ev->unicode;
      break;
    case ST_EVENT_WINDOW:
      slots[2] = ev->action;
      slots[3] = ev->x;
      slots[4] = ev->y;
      slots[5] = ev->right;
      slots[6] = ev->bottom;
      break;
    case ST_EVENT_WHEEL:
      slots[2] = ev->dx;
      slots[3] = ev->dy;
      slots[4] = ev->buttons & 7;
      slots[5] = ev->modifiers & 0xF;
      break;
    default:
      break;
    }
  slots[7] = ev->window;
}

void
st_input_mouse_point (StInput *in, gint *x, gint *y)
{
  g_mutex_lock (&in->lock);
  *x = in->mouse_x;
  *y = in->mouse_y;
  g_mutex_unlock (&in->lock);
}

guint
st_input_mouse_buttons (StInput *in)
{
  g_mutex_lock (&in->lock);
  guint b = in->buttons | (in->modifiers << 3);
  g_mutex_unlock (&in->lock);
  return b;
}

static gint
key (StInput *in, gboolean take)
{
  g_mutex_lock (&in->lock);
  gint k = -1;
  if (in->key_len > 0)
    {
      k = (gint) in->keys[in->key_head];
      if (take)
        {
          in->key_head = (in->key_head + 1) % ST_INPUT_KEYS_MAX;
          in->key_len--;
        }
    }
  g_mutex_unlock (&in->lock);
  return k;
}

gint st_input_key_peek (StInput *in) { return key (in, FALSE); }
gint st_input_key_next (StInput *in) { return key (in, TRUE); }

guint
st_input_queued (StInput *in)
{
  g_mutex_lock (&in->lock);
  guint n = in->len;
  g_mutex_unlock (&in->lock);
  return n;
}

guint64
st_input_dropped (StInput *in)
{
  g_mutex_lock (&in->lock);
  guint64 n = in->dropped;
  g_mutex_unlock (&in->lock);
  return n;
}

guint64
st_input_delivered (StInput *in)
{
  g_mutex_lock (&in->lock);
  guint64 n = in->delivered;
  g_mutex_unlock (&in->lock);
  return n;
}
