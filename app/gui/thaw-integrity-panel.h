/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "heap-check.h"

G_BEGIN_DECLS

#define THAW_TYPE_INTEGRITY_PANEL (thaw_integrity_panel_get_type ())
G_DECLARE_FINAL_TYPE (ThawIntegrityPanel, thaw_integrity_panel, THAW, INTEGRITY_PANEL, GtkBox)

/* Show "checking…" until a report arrives. */
void     thaw_integrity_panel_set_checking (ThawIntegrityPanel *self);
/* Show a report; the panel takes ownership. */
void     thaw_integrity_panel_set_report (ThawIntegrityPanel *self, StCheckReport *report);
/* The number of findings shown (all of them, not only those kept). */
guint64  thaw_integrity_panel_get_n_findings (ThawIntegrityPanel *self);

G_END_DECLS
