/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "gc.h"

G_BEGIN_DECLS

#define THAW_TYPE_GC_PANEL (thaw_gc_panel_get_type ())
G_DECLARE_FINAL_TYPE (ThawGcPanel, thaw_gc_panel, THAW, GC_PANEL, GtkBox)

/* Append collections (in seq order; older ones than the newest kept are
 * ignored).  The panel keeps the last THAW_GC_PANEL_MAX_SAMPLES. */
#define THAW_GC_PANEL_MAX_SAMPLES 4096
void    thaw_gc_panel_add_samples (ThawGcPanel *self, const StGcSample *samples, guint n);
/* The collector's counters now. */
void    thaw_gc_panel_set_stats (ThawGcPanel *self, const StGcStats *stats);
/* Forget everything (another image). */
void    thaw_gc_panel_clear (ThawGcPanel *self);

/* For tests and export: samples kept, and of them full collections. */
guint   thaw_gc_panel_get_n_samples (ThawGcPanel *self);
guint   thaw_gc_panel_get_n_full (ThawGcPanel *self);
/* The newest sample, or NULL. */
const StGcSample *thaw_gc_panel_get_last (ThawGcPanel *self);

G_END_DECLS
