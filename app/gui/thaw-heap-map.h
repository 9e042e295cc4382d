/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "heap-map.h"

G_BEGIN_DECLS

#define THAW_TYPE_HEAP_MAP (thaw_heap_map_get_type ())
G_DECLARE_FINAL_TYPE (ThawHeapMap, thaw_heap_map, THAW, HEAP_MAP, GtkWidget)

GtkWidget *thaw_heap_map_new (void);
/* Show a map (the widget takes ownership) of a heap (borrowed, for hover
 * details); NULL clears. */
void       thaw_heap_map_set_model (ThawHeapMap *self, StVM *vm, StHeapMap *map);
/* Bytes of heap per cell: a power of two from 16 to 1 MiB. */
void       thaw_heap_map_set_bytes_per_cell (ThawHeapMap *self, guint64 bytes);
guint64    thaw_heap_map_get_bytes_per_cell (ThawHeapMap *self);
void       thaw_heap_map_zoom (ThawHeapMap *self, int steps);   /* +1 finer, -1 coarser */
/* Choose a zoom at which the whole heap fits about `rows` rows. */
void       thaw_heap_map_fit (ThawHeapMap *self, int rows);
/* Mark an address (e.g. a finding's object); 0 clears. */
void       thaw_heap_map_set_mark (ThawHeapMap *self, guint64 address);

G_END_DECLS
