/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "heap-map.h"

G_BEGIN_DECLS

#define THAW_TYPE_HEAP_PANEL (thaw_heap_panel_get_type ())
G_DECLARE_FINAL_TYPE (ThawHeapPanel, thaw_heap_panel, THAW, HEAP_PANEL, GtkBox)

/* Show a heap's map (the panel takes ownership of map; vm is borrowed). */
void thaw_heap_panel_set_model (ThawHeapPanel *self, StVM *vm, StHeapMap *map);
void thaw_heap_panel_mark (ThawHeapPanel *self, guint64 address);

G_END_DECLS
