/* SPDX-License-Identifier: GPL-3.0-or-later */
/* map-png.h: the heap map as a PNG picture (cairo; thaw-cli only). */
#pragma once

#include "heap-map.h"

G_BEGIN_DECLS

/* Draw map into a PNG at path: one pixel per *bytes_per_pixel bytes, rows
 * of `width` pixels, one band per segment, a colour per kind and a legend.
 * bytes_per_pixel 0 picks the smallest multiple of 8 that keeps the bands
 * within 1024 rows; the value used is stored back. */
gboolean thaw_map_png_write (const StHeapMap *map, const char *title, const char *path, guint width,
                             uint64_t *bytes_per_pixel, GError **error);

G_END_DECLS
