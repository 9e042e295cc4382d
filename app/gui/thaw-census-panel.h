/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "census.h"

G_BEGIN_DECLS

#define THAW_TYPE_CENSUS_PANEL (thaw_census_panel_get_type ())
G_DECLARE_FINAL_TYPE (ThawCensusPanel, thaw_census_panel, THAW, CENSUS_PANEL, GtkBox)

/* Show a census (the panel takes ownership) of a heap (borrowed, to list
 * the instances of a class). */
void     thaw_census_panel_set_model (ThawCensusPanel *self, StVM *vm, StCensus *census);
guint64  thaw_census_panel_get_total_objects (ThawCensusPanel *self);

G_END_DECLS
