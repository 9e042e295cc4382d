/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ThawDisplayView: the running image's display, and the input it gets.
 *
 * The host converts the image's display Form into ARGB32 frames off the
 * main thread; on each ST_HOST_MSG_DISPLAY the view takes the newest
 * frame (one copy, made by the host) and wraps it in a cairo image surface
 * without copying again.  snapshot() paints it as one cairo node with
 * nearest-neighbour filtering, so zoomed pixels stay crisp: zoom N means
 * N device pixels per image pixel whatever the monitor's scale factor, and
 * "fit" picks the largest whole N that fits (or scales down when none
 * does).
 *
 * Input: GTK pointer, wheel and key events become StInputEvents in
 * Squeak's encoding, positions in image pixels.  Buttons: left is red,
 * middle yellow, right blue (as the Unix and JavaScript VMs deliver them;
 * images swap yellow and blue themselves by preference); Ctrl+left gives
 * yellow and Alt+left blue, as on a one-button Mac.  Ctrl and Alt are both
 * the command key (Ctrl+D is "do it" as in every Squeak on Linux); Shift is
 * Shift.  Function keys are left to the window's shortcuts (F5 run...). */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "thaw-display-view.h"

struct _ThawDisplayView
{
  GtkWidget parent_instance;

  /* borrowed */
  StHost          *host;

  /* owned */
  cairo_surface_t *surface;     /* the frame; its pixels are a GBytes the host made */
  int              width, height;
  int              zoom;        /* 0 = fit */
  guint            buttons;     /* ST_BUTTON_* held */
  guint            primary_bit; /* what the left button's press chose */
  double           pointer_x, pointer_y;   /* widget coordinates */
  GdkCursor       *cursor;
  ThawDisplayStats stats;
  gint64           paint_start;
  gboolean         new_frame;   /* a frame arrived since the last paint */
  GdkFrameClock   *clock;
  gulong           before_paint_id, after_paint_id;
  int              screen_width, screen_height;   /* what the host was told */
  guint            screen_timeout;
};

G_DEFINE_FINAL_TYPE (ThawDisplayView, thaw_display_view, GTK_TYPE_WIDGET)

static const cairo_user_data_key_t pixels_key;

#define MAX_ZOOM 8

/* ---- placement ---- */

/* Top-left corner (widget coordinates) and logical pixels per image pixel. */
static void
placement (ThawDisplayView *self, double *x0, double *y0, double *scale)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self));
  int h = gtk_widget_get_height (GTK_WIDGET (self));
  int sf = MAX (gtk_widget_get_scale_factor (GTK_WIDGET (self)), 1);
  double s = 1;
  if (self->width > 0 && self->height > 0)
    {
      if (self->zoom > 0)
        s = (double) self->zoom / sf;
      else
        {
          double fit = MIN ((double) w * sf / self->width, (double) h * sf / self->height);
          if (fit >= 1)
            s = floor (MIN (fit, MAX_ZOOM)) / sf;
          else
            s = fit > 0 ? fit / sf : 1.0 / sf;
        }
    }
  double fw = self->width * s, fh = self->height * s;
  /* centred when smaller than the widget, else from the top-left corner;
   * on whole device pixels so the image's pixels stay square */
  double x = MAX ((w - fw) / 2, 0), y = MAX ((h - fh) / 2, 0);
  *x0 = floor (x * sf) / sf;
  *y0 = floor (y * sf) / sf;
  *scale = s;
}

void
thaw_display_view_get_placement (ThawDisplayView *self, double *x, double *y, double *scale)
{
  g_return_if_fail (THAW_IS_DISPLAY_VIEW (self));
  placement (self, x, y, scale);
}

/* Widget coordinates to image pixels (clamped to the display). */
static void
to_image (ThawDisplayView *self, double wx, double wy, int *ix, int *iy)
{
  double x0, y0, s;
  placement (self, &x0, &y0, &s);
  double x = (wx - x0) / s, y = (wy - y0) / s;
  *ix = (int) CLAMP (floor (x), 0, MAX (self->width - 1, 0));
  *iy = (int) CLAMP (floor (y), 0, MAX (self->height - 1, 0));
}

static void
to_widget (ThawDisplayView *self, int ix, int iy, double *wx, double *wy)
{
  double x0, y0, s;
  placement (self, &x0, &y0, &s);
  *wx = x0 + (ix + 0.5) * s;
  *wy = y0 + (iy + 0.5) * s;
}

/* ---- the image's screen follows the view ---- */

/* The screen size the image should see: the view in device pixels over
 * the zoom (fit mode: zoom 1), as a real VM's window. */
static void
wanted_screen (ThawDisplayView *self, int *w, int *h)
{
  int sf = MAX (gtk_widget_get_scale_factor (GTK_WIDGET (self)), 1);
  int z = MAX (self->zoom, 1);
  *w = gtk_widget_get_width (GTK_WIDGET (self)) * sf / z;
  *h = gtk_widget_get_height (GTK_WIDGET (self)) * sf / z;
}

static gboolean
tell_screen (gpointer data)
{
  ThawDisplayView *self = data;
  self->screen_timeout = 0;
  int w, h;
  wanted_screen (self, &w, &h);
  if (self->host != NULL && w >= 64 && h >= 64 && (w != self->screen_width || h != self->screen_height))
    {
      st_host_set_screen_size (self->host, w, h);
      self->screen_width = w;
      self->screen_height = h;
    }
  return G_SOURCE_REMOVE;
}

/* Resizing a window sends many sizes: tell the image the last one. */
static void
schedule_screen (ThawDisplayView *self, guint delay_ms)
{
  if (self->screen_timeout != 0)
    g_source_remove (self->screen_timeout);
  self->screen_timeout = g_timeout_add (delay_ms, tell_screen, self);
}

static void
thaw_display_view_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  ThawDisplayView *self = THAW_DISPLAY_VIEW (widget);
  int w, h;
  wanted_screen (self, &w, &h);
  if (self->host != NULL && (w != self->screen_width || h != self->screen_height))
    schedule_screen (self, self->screen_width == 0 ? 0 : 250);
}

/* ---- frames ---- */

void
thaw_display_view_frame_ready (ThawDisplayView *self)
{
  g_return_if_fail (THAW_IS_DISPLAY_VIEW (self));
  if (self->host == NULL)
    return;
  gint64 t0 = g_get_monotonic_time ();
  GBytes *pixels = NULL;
  int w = 0, h = 0, stride = 0;
  StRect dirty;
  if (!st_host_take_frame (self->host, &pixels, &w, &h, &stride, &dirty))
    return;
  thaw_display_view_set_frame (self, pixels, w, h, stride);
  g_bytes_unref (pixels);
  self->stats.take_usecs_last = g_get_monotonic_time () - t0;
}

void
thaw_display_view_set_frame (ThawDisplayView *self, GBytes *pixels, int w, int h, int stride)
{
  g_return_if_fail (THAW_IS_DISPLAY_VIEW (self));
  g_bytes_ref (pixels);
  gsize len = 0;
  guchar *data = (guchar *) g_bytes_get_data (pixels, &len);
  if (w <= 0 || h <= 0 || stride < w * 4 || stride % 4 != 0 || len < (gsize) stride * h)
    {
      g_bytes_unref (pixels);
      return;
    }
  cairo_surface_t *surface = cairo_image_surface_create_for_data (data, CAIRO_FORMAT_RGB24, w, h, stride);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (surface);
      g_bytes_unref (pixels);
      return;
    }
  cairo_surface_set_user_data (surface, &pixels_key, pixels, (cairo_destroy_func_t) g_bytes_unref);
  g_clear_pointer (&self->surface, cairo_surface_destroy);
  self->surface = surface;
  gboolean resized = w != self->width || h != self->height;
  self->width = w;
  self->height = h;
  self->stats.frames++;
  self->new_frame = TRUE;
  if (resized)
    gtk_widget_queue_resize (GTK_WIDGET (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
thaw_display_view_set_host (ThawDisplayView *self, StHost *host)
{
  g_return_if_fail (THAW_IS_DISPLAY_VIEW (self));
  self->host = host;
  self->buttons = 0;
  self->screen_width = self->screen_height = 0;
  if (self->screen_timeout != 0)
    g_clear_handle_id (&self->screen_timeout, g_source_remove);
  if (host != NULL && gtk_widget_get_width (GTK_WIDGET (self)) > 0)
    schedule_screen (self, 0);
  g_clear_pointer (&self->surface, cairo_surface_destroy);
  self->width = self->height = 0;
  gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
  g_clear_object (&self->cursor);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
thaw_display_view_set_cursor_from (ThawDisplayView *self, const StHostMessage *msg)
{
  g_return_if_fail (THAW_IS_DISPLAY_VIEW (self));
  g_clear_object (&self->cursor);
  if (msg->cursor_pixels != NULL && msg->cursor_width > 0 && msg->cursor_height > 0
      && g_bytes_get_size (msg->cursor_pixels) >= (gsize) msg->cursor_width * msg->cursor_height * 4)
    {
      /* ARGB32 native-endian with alpha 0 or 255: premultiplied already */
      g_autoptr (GdkTexture) texture = gdk_memory_texture_new (msg->cursor_width, msg->cursor_height,
                                                               GDK_MEMORY_DEFAULT, msg->cursor_pixels,
                                                               msg->cursor_width * 4);
      g_autoptr (GdkCursor) fallback = gdk_cursor_new_from_name ("default", NULL);
      self->cursor = gdk_cursor_new_from_texture (texture, CLAMP (msg->cursor_hot_x, 0, msg->cursor_width - 1),
                                                  CLAMP (msg->cursor_hot_y, 0, msg->cursor_height - 1), fallback);
    }
  gtk_widget_set_cursor (GTK_WIDGET (self), self->cursor);
  self->stats.cursors++;
  self->stats.cursor_width = self->cursor ? msg->cursor_width : 0;
  self->stats.cursor_height = self->cursor ? msg->cursor_height : 0;
}

void
thaw_display_view_set_zoom (ThawDisplayView *self, int zoom)
{
  g_return_if_fail (THAW_IS_DISPLAY_VIEW (self));
  self->zoom = CLAMP (zoom, 0, MAX_ZOOM);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  if (self->host != NULL)
    schedule_screen (self, 250);
}

int
thaw_display_view_get_zoom (ThawDisplayView *self)
{
  return self->zoom;
}

void
thaw_display_view_get_frame_size (ThawDisplayView *self, int *width, int *height)
{
  *width = self->width;
  *height = self->height;
}

gboolean
thaw_display_view_save_png (ThawDisplayView *self, const char *path, GError **error)
{
  if (self->surface == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "the image has shown no display yet");
      return FALSE;
    }
  /* RGB24 is written without alpha; make it opaque ARGB32 for the file */
  cairo_surface_t *out = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, self->width, self->height);
  cairo_t *cr = cairo_create (out);
  cairo_set_source_surface (cr, self->surface, 0, 0);
  cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
  cairo_paint (cr);
  cairo_destroy (cr);
  cairo_status_t st = cairo_surface_write_to_png (out, path);
  cairo_surface_destroy (out);
  if (st != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", path, cairo_status_to_string (st));
      return FALSE;
    }
  return TRUE;
}

void
thaw_display_view_get_stats (ThawDisplayView *self, ThawDisplayStats *stats)
{
  *stats = self->stats;
}

/* ---- drawing ---- */

static void
thaw_display_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  ThawDisplayView *self = THAW_DISPLAY_VIEW (widget);
  gint64 t0 = g_get_monotonic_time ();
  int w = gtk_widget_get_width (widget);
  int h = gtk_widget_get_height (widget);
  static const GdkRGBA backdrop = { 0.12f, 0.12f, 0.12f, 1.0f };
  if (self->surface == NULL)
    {
      gtk_snapshot_append_color (snapshot, &backdrop, &GRAPHENE_RECT_INIT (0, 0, w, h));
      return;
    }
  double x0, y0, s;
  placement (self, &x0, &y0, &s);
  double fw = self->width * s, fh = self->height * s;
  /* the backdrop only around the frame */
  if (x0 > 0)
    {
      gtk_snapshot_append_color (snapshot, &backdrop, &GRAPHENE_RECT_INIT (0, 0, x0, h));
      gtk_snapshot_append_color (snapshot, &backdrop, &GRAPHENE_RECT_INIT (x0 + fw, 0, w - x0 - fw, h));
    }
  if (y0 > 0)
    {
      gtk_snapshot_append_color (snapshot, &backdrop, &GRAPHENE_RECT_INIT (x0, 0, fw, y0));
      gtk_snapshot_append_color (snapshot, &backdrop, &GRAPHENE_RECT_INIT (x0, y0 + fh, fw, h - y0 - fh));
    }
  /* one cairo node covering what is visible of the frame */
  graphene_rect_t bounds = GRAPHENE_RECT_INIT (x0, y0, MIN (fw, w - x0), MIN (fh, h - y0));
  if (bounds.size.width <= 0 || bounds.size.height <= 0)
    return;
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &bounds);
  cairo_translate (cr, x0, y0);
  cairo_scale (cr, s, s);
  cairo_set_source_surface (cr, self->surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
  cairo_paint (cr);
  cairo_destroy (cr);
  self->stats.snapshot_usecs_last = g_get_monotonic_time () - t0;
}

static void
thaw_display_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                           int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  ThawDisplayView *self = THAW_DISPLAY_VIEW (widget);
  int sf = MAX (gtk_widget_get_scale_factor (widget), 1);
  int side = orientation == GTK_ORIENTATION_HORIZONTAL ? self->width : self->height;
  int zoom = MAX (self->zoom, 1);
  /* the view clips a frame larger than itself: never force the window wider */
  *minimum = 64;
  *natural = MAX (*minimum, side * zoom / sf);
}

/* The frame clock's paint phase (layout, snapshot, render) for frames that
 * show a new display: what a display update costs the main thread. */
static void
on_before_paint (GdkFrameClock *clock, ThawDisplayView *self)
{
  self->paint_start = self->new_frame ? g_get_monotonic_time () : 0;
}

static void
on_after_paint (GdkFrameClock *clock, ThawDisplayView *self)
{
  if (self->paint_start == 0)
    return;
  gint64 d = g_get_monotonic_time () - self->paint_start;
  self->paint_start = 0;
  self->new_frame = FALSE;
  self->stats.paint_usecs_last = d;
  self->stats.paint_usecs_max = MAX (self->stats.paint_usecs_max, d);
  self->stats.paint_usecs_total += d;
  self->stats.paints++;
}

static void
thaw_display_view_realize (GtkWidget *widget)
{
  ThawDisplayView *self = THAW_DISPLAY_VIEW (widget);
  GTK_WIDGET_CLASS (thaw_display_view_parent_class)->realize (widget);
  self->clock = g_object_ref (gtk_widget_get_frame_clock (widget));
  self->before_paint_id = g_signal_connect (self->clock, "before-paint", G_CALLBACK (on_before_paint), self);
  self->after_paint_id = g_signal_connect (self->clock, "after-paint", G_CALLBACK (on_after_paint), self);
}

static void
thaw_display_view_unrealize (GtkWidget *widget)
{
  ThawDisplayView *self = THAW_DISPLAY_VIEW (widget);
  if (self->clock != NULL)
    {
      g_clear_signal_handler (&self->before_paint_id, self->clock);
      g_clear_signal_handler (&self->after_paint_id, self->clock);
      g_clear_object (&self->clock);
    }
  GTK_WIDGET_CLASS (thaw_display_view_parent_class)->unrealize (widget);
}

/* ---- input ---- */

static guint
squeak_modifiers (GdkModifierType state)
{
  guint m = 0;
  if (state & GDK_SHIFT_MASK)
    m |= ST_MOD_SHIFT;
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_META_MASK))
    m |= ST_MOD_COMMAND;
  return m;
}

static void
post (ThawDisplayView *self, StInputEvent *ev)
{
  if (self->host == NULL || self->width == 0)
    return;
  ev->window = 1;
  st_host_post_event (self->host, ev);
  self->stats.events_posted++;
}

static void
post_mouse (ThawDisplayView *self, double wx, double wy, GdkModifierType state)
{
  StInputEvent ev = { 0 };
  ev.type = ST_EVENT_MOUSE;
  to_image (self, wx, wy, &ev.x, &ev.y);
  ev.buttons = self->buttons;
  ev.modifiers = squeak_modifiers (state);
  post (self, &ev);
}

static guint
button_bit (guint gtk_button, GdkModifierType state)
{
  switch (gtk_button)
    {
    case GDK_BUTTON_PRIMARY:
      if (state & GDK_CONTROL_MASK)
        return ST_BUTTON_YELLOW;
      if (state & (GDK_ALT_MASK | GDK_META_MASK))
        return ST_BUTTON_BLUE;
      return ST_BUTTON_RED;
    case GDK_BUTTON_MIDDLE:
      return ST_BUTTON_YELLOW;
    case GDK_BUTTON_SECONDARY:
      return ST_BUTTON_BLUE;
    default:
      return 0;
    }
}

static void
handle_button (ThawDisplayView *self, double wx, double wy, guint gtk_button, gboolean pressed, GdkModifierType state)
{
  guint bit = button_bit (gtk_button, state);
  /* the release ends what the press started, whatever the modifiers now */
  if (gtk_button == GDK_BUTTON_PRIMARY)
    {
      if (pressed)
        self->primary_bit = bit;
      else if (self->primary_bit != 0)
        bit = self->primary_bit;
    }
  if (bit == 0)
    return;
  if (pressed)
    self->buttons |= bit;
  else
    self->buttons &= ~bit;
  self->pointer_x = wx;
  self->pointer_y = wy;
  /* modifiers that chose the button are not also reported as held */
  GdkModifierType reported = state;
  if (gtk_button == GDK_BUTTON_PRIMARY && bit != ST_BUTTON_RED)
    reported &= ~(GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_META_MASK);
  post_mouse (self, wx, wy, reported);
}

static void
on_pressed (GtkGestureClick *gesture, int n_press, double x, double y, ThawDisplayView *self)
{
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));
  gtk_widget_grab_focus (GTK_WIDGET (self));
  handle_button (self, x, y, button, TRUE, state);
}

static void
on_released (GtkGestureClick *gesture, int n_press, double x, double y, ThawDisplayView *self)
{
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));
  handle_button (self, x, y, button, FALSE, state);
}

static void
on_motion (GtkEventControllerMotion *motion, double x, double y, ThawDisplayView *self)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (motion));
  self->pointer_x = x;
  self->pointer_y = y;
  post_mouse (self, x, y, state);
}

static void
handle_scroll (ThawDisplayView *self, double dx, double dy, GdkModifierType state)
{
  StInputEvent ev = { 0 };
  ev.type = ST_EVENT_WHEEL;
  to_image (self, self->pointer_x, self->pointer_y, &ev.x, &ev.y);
  /* Squeak: positive is up/left, 120 per notch; GTK: positive is down/right */
  ev.dx = (int) (-dx * 120);
  ev.dy = (int) (-dy * 120);
  ev.buttons = self->buttons;
  ev.modifiers = squeak_modifiers (state);
  if (ev.dx != 0 || ev.dy != 0)
    post (self, &ev);
}

static gboolean
on_scroll (GtkEventControllerScroll *scroll, double dx, double dy, ThawDisplayView *self)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (scroll));
  handle_scroll (self, dx, dy, state);
  return TRUE;
}

/* The character a key gives, as Squeak numbers keys that have none. */
static guint32
key_unicode (guint keyval)
{
  switch (keyval)
    {
    case GDK_KEY_Return: case GDK_KEY_KP_Enter: case GDK_KEY_ISO_Enter: return 13;
    case GDK_KEY_BackSpace: return 8;
    case GDK_KEY_Tab: case GDK_KEY_ISO_Left_Tab: case GDK_KEY_KP_Tab: return 9;
    case GDK_KEY_Escape: return 27;
    case GDK_KEY_Delete: case GDK_KEY_KP_Delete: return 127;
    case GDK_KEY_Left: case GDK_KEY_KP_Left: return 28;
    case GDK_KEY_Right: case GDK_KEY_KP_Right: return 29;
    case GDK_KEY_Up: case GDK_KEY_KP_Up: return 30;
    case GDK_KEY_Down: case GDK_KEY_KP_Down: return 31;
    case GDK_KEY_Home: case GDK_KEY_KP_Home: return 1;
    case GDK_KEY_End: case GDK_KEY_KP_End: return 4;
    case GDK_KEY_Insert: case GDK_KEY_KP_Insert: return 5;
    case GDK_KEY_Page_Up: case GDK_KEY_KP_Page_Up: return 11;
    case GDK_KEY_Page_Down: case GDK_KEY_KP_Page_Down: return 12;
    default:
      return gdk_keyval_to_unicode (keyval);
    }
}

/* Squeak's 8-bit character code is MacRoman; outside ASCII ask iconv. */
static guint32
mac_roman (guint32 unicode)
{
  if (unicode < 128)
    return unicode;
  char utf8[8];
  int n = g_unichar_to_utf8 (unicode, utf8);
  gsize written = 0;
  g_autofree char *mac = g_convert (utf8, n, "MACINTOSH", "UTF-8", NULL, &written, NULL);
  if (mac != NULL && written == 1)
    return (guint8) mac[0];
  return '?';
}

static gboolean
is_modifier_key (guint keyval)
{
  switch (keyval)
    {
    case GDK_KEY_Shift_L: case GDK_KEY_Shift_R: case GDK_KEY_Control_L: case GDK_KEY_Control_R:
    case GDK_KEY_Alt_L: case GDK_KEY_Alt_R: case GDK_KEY_Meta_L: case GDK_KEY_Meta_R:
    case GDK_KEY_Super_L: case GDK_KEY_Super_R: case GDK_KEY_Caps_Lock: case GDK_KEY_ISO_Level3_Shift:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Down (and the character it types) or up; FALSE when the key is not the
 * image's (function keys go to the window's shortcuts). */
static gboolean
handle_key (ThawDisplayView *self, guint keyval, GdkModifierType state, gboolean pressed)
{
  if (keyval >= GDK_KEY_F1 && keyval <= GDK_KEY_F35)
    return FALSE;
  if (self->host == NULL)
    return FALSE;
  guint32 uni = key_unicode (keyval);
  StInputEvent ev = { 0 };
  ev.type = ST_EVENT_KEYBOARD;
  ev.modifiers = squeak_modifiers (state);
  ev.char_code = mac_roman (uni);
  ev.unicode = uni;
  if (is_modifier_key (keyval))
    {
      /* modifiers alone: down/up with no character */
      ev.char_code = 0;
      ev.unicode = 0;
    }
  ev.press = pressed ? ST_KEY_DOWN : ST_KEY_UP;
  post (self, &ev);
  if (pressed && uni != 0 && !is_modifier_key (keyval))
    {
      ev.press = ST_KEY_CHAR;
      post (self, &ev);
    }
  return TRUE;
}

static gboolean
on_key_pressed (GtkEventControllerKey *key, guint keyval, guint keycode, GdkModifierType state, ThawDisplayView *self)
{
  return handle_key (self, keyval, state, TRUE);
}

static void
on_key_released (GtkEventControllerKey *key, guint keyval, guint keycode, GdkModifierType state, ThawDisplayView *self)
{
  handle_key (self, keyval, state, FALSE);
}

/* ---- synthesized input ---- */

static gboolean
parse_int (const char *s, int *out)
{
  gint64 v;
  if (s == NULL || !g_ascii_string_to_signed (s, 10, -100000, 100000, &v, NULL))
    return FALSE;
  *out = (int) v;
  return TRUE;
}

/* "ctrl", "alt", "shift" as GDK modifiers; FALSE for anything else. */
static gboolean
parse_modifier (const char *name, GdkModifierType *state)
{
  if (g_ascii_strcasecmp (name, "ctrl") == 0)
    *state |= GDK_CONTROL_MASK;
  else if (g_ascii_strcasecmp (name, "alt") == 0)
    *state |= GDK_ALT_MASK;
  else if (g_ascii_strcasecmp (name, "shift") == 0)
    *state |= GDK_SHIFT_MASK;
  else
    return FALSE;
  return TRUE;
}

static gboolean
synth_key (ThawDisplayView *self, const char *rest)
{
  GdkModifierType state = 0;
  g_auto (GStrv) parts = g_strsplit (rest, "+", -1);
  guint n = g_strv_length (parts);
  for (guint i = 0; i + 1 < n; i++)
    if (!parse_modifier (parts[i], &state))
      return FALSE;
  guint keyval = n > 0 ? gdk_keyval_from_name (parts[n - 1]) : GDK_KEY_VoidSymbol;
  if (keyval == GDK_KEY_VoidSymbol || keyval == 0)
    return FALSE;
  handle_key (self, keyval, state, TRUE);
  handle_key (self, keyval, state, FALSE);
  return TRUE;
}

static gboolean
synth_mouse (ThawDisplayView *self, const char *verb, const char *rest)
{
  g_auto (GStrv) a = g_strsplit (rest, " ", -1);
  int x, y, b = 1;
  if (g_strv_length (a) < 2 || !parse_int (a[0], &x) || !parse_int (a[1], &y)
      || (a[2] != NULL && !parse_int (a[2], &b)))
    return FALSE;
  GdkModifierType state = 0;
  if (a[2] != NULL && a[3] != NULL)
    {
      g_auto (GStrv) mods = g_strsplit (a[3], "+", -1);
      for (guint i = 0; mods[i] != NULL; i++)
        if (!parse_modifier (mods[i], &state))
          return FALSE;
    }
  double wx, wy;
  to_widget (self, x, y, &wx, &wy);
  if (g_str_equal (verb, "move"))
    {
      self->pointer_x = wx, self->pointer_y = wy;
      post_mouse (self, wx, wy, state);
      return TRUE;
    }
  gboolean press = g_str_equal (verb, "press") || g_str_equal (verb, "click");
  gboolean release = g_str_equal (verb, "release") || g_str_equal (verb, "click");
  if (!press && !release)
    return FALSE;
  if (press)
    handle_button (self, wx, wy, b, TRUE, state);
  if (release)
    handle_button (self, wx, wy, b, FALSE, state);
  return TRUE;
}

gboolean
thaw_display_view_synthesize (ThawDisplayView *self, const char *spec, GError **error)
{
  g_return_val_if_fail (THAW_IS_DISPLAY_VIEW (self), FALSE);
  g_auto (GStrv) w = g_strsplit (spec, " ", 2);
  const char *verb = w[0];
  const char *rest = w[0] ? w[1] : NULL;
  gboolean ok = FALSE;
  if (verb == NULL || rest == NULL)
    ok = FALSE;
  else if (g_str_equal (verb, "text"))
    {
      for (const char *p = rest; *p; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);
          guint keyval = c == '\n' ? GDK_KEY_Return : gdk_unicode_to_keyval (c);
          GdkModifierType state = g_unichar_isupper (c) ? GDK_SHIFT_MASK : 0;
          handle_key (self, keyval, state, TRUE);
          handle_key (self, keyval, state, FALSE);
        }
      ok = TRUE;
    }
  else if (g_str_equal (verb, "key"))
    ok = synth_key (self, rest);
  else if (g_str_equal (verb, "scroll"))
    {
      int dy;
      ok = parse_int (rest, &dy);
      if (ok)
        handle_scroll (self, 0, dy, 0);
    }
  else
    ok = synth_mouse (self, verb, rest);
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "cannot synthesize “%s”", spec);
  return ok;
}

/* ---- the class ---- */

static void
thaw_display_view_dispose (GObject *object)
{
  ThawDisplayView *self = THAW_DISPLAY_VIEW (object);
  self->host = NULL;
  if (self->screen_timeout != 0)
    g_clear_handle_id (&self->screen_timeout, g_source_remove);
  g_clear_pointer (&self->surface, cairo_surface_destroy);
  g_clear_object (&self->cursor);
  G_OBJECT_CLASS (thaw_display_view_parent_class)->dispose (object);
}

static void
thaw_display_view_class_init (ThawDisplayViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = thaw_display_view_dispose;
  widget_class->snapshot = thaw_display_view_snapshot;
  widget_class->measure = thaw_display_view_measure;
  widget_class->size_allocate = thaw_display_view_size_allocate;
  widget_class->realize = thaw_display_view_realize;
  widget_class->unrealize = thaw_display_view_unrealize;
  gtk_widget_class_set_css_name (widget_class, "display-view");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
thaw_display_view_init (ThawDisplayView *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gtk_widget_set_focusable (widget, TRUE);
  gtk_widget_set_focus_on_click (widget, TRUE);
  gtk_widget_set_overflow (widget, GTK_OVERFLOW_HIDDEN);
  gtk_widget_set_hexpand (widget, TRUE);
  gtk_widget_set_vexpand (widget, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("The running image’s display"), -1);

  GtkGesture *click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), 0);
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  g_signal_connect (click, "released", G_CALLBACK (on_released), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (click));

  GtkEventController *motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  gtk_widget_add_controller (widget, motion);

  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (widget, scroll);

  GtkEventController *key = gtk_event_controller_key_new ();
  g_signal_connect (key, "key-pressed", G_CALLBACK (on_key_pressed), self);
  g_signal_connect (key, "key-released", G_CALLBACK (on_key_released), self);
  gtk_widget_add_controller (widget, key);
}

GtkWidget *
thaw_display_view_new (void)
{
  return g_object_new (THAW_TYPE_DISPLAY_VIEW, NULL);
}
