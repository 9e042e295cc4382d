/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "host.h"

G_BEGIN_DECLS

#define THAW_TYPE_DISPLAY_VIEW (thaw_display_view_get_type ())
G_DECLARE_FINAL_TYPE (ThawDisplayView, thaw_display_view, THAW, DISPLAY_VIEW, GtkWidget)

GtkWidget *thaw_display_view_new (void);

/* The host whose display to show and to which input goes (borrowed; NULL
 * detaches and forgets the frame).  Detach before freeing the host. */
void     thaw_display_view_set_host (ThawDisplayView *self, StHost *host);

/* An ST_HOST_MSG_DISPLAY arrived: take the new frame and redraw. */
void     thaw_display_view_frame_ready (ThawDisplayView *self);
/* Show a frame (ARGB32 as host.h makes them; the view keeps a reference,
 * never copies it): what frame_ready does with the host's frame, for
 * benchmarks. */
void     thaw_display_view_set_frame (ThawDisplayView *self, GBytes *pixels, int width, int height, int stride);
/* An ST_HOST_MSG_CURSOR arrived: use the image's cursor. */
void     thaw_display_view_set_cursor_from (ThawDisplayView *self, const StHostMessage *msg);

/* Zoom: 0 fits the display into the widget (the largest whole number of
 * device pixels per image pixel that fits, or smaller when nothing fits);
 * 1..8 device pixels per image pixel. */
void     thaw_display_view_set_zoom (ThawDisplayView *self, int zoom);
int      thaw_display_view_get_zoom (ThawDisplayView *self);

/* The frame shown: size (0 x 0 when none). */
void     thaw_display_view_get_frame_size (ThawDisplayView *self, int *width, int *height);
/* Where the frame is drawn: its top-left corner in widget coordinates and
 * logical pixels per image pixel. */
void     thaw_display_view_get_placement (ThawDisplayView *self, double *x, double *y, double *scale);
/* Write the frame as PNG (exactly the pixels the image drew). */
gboolean thaw_display_view_save_png (ThawDisplayView *self, const char *path, GError **error);

/* Synthesize input through the same conversion as real GTK events (for
 * scripts and tests).  One of:
 *   move X Y | press X Y B [MODS] | release X Y B [MODS] | click X Y B [MODS]
 *       (image pixels, B the GTK button 1, 2, 3; MODS e.g. ctrl or alt+shift)
 *   scroll DY
 *   key [MODS+]KEYNAME   (a GDK key name: a, Return, F1; MODS: ctrl, alt, shift)
 *   text STRING          (each character typed) */
gboolean thaw_display_view_synthesize (ThawDisplayView *self, const char *spec, GError **error);

typedef struct {
  guint64 frames;             /* frames taken from the host */
  guint64 events_posted;      /* input events posted to the host */
  gint64  take_usecs_last;    /* st_host_take_frame + wrapping the pixels */
  gint64  paint_usecs_last;   /* the frame clock's paint phase for a new frame */
  gint64  paint_usecs_max;
  gint64  paint_usecs_total;
  guint64 paints;             /* paint phases measured */
  gint64  snapshot_usecs_last;
  guint64 cursors;            /* image cursors set on the widget */
  gint    cursor_width, cursor_height;   /* the current one; 0 for the default arrow */
} ThawDisplayStats;

void     thaw_display_view_get_stats (ThawDisplayView *self, ThawDisplayStats *stats);

G_END_DECLS
