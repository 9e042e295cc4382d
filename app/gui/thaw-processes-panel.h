/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "objmem.h"

G_BEGIN_DECLS

#define THAW_TYPE_PROCESSES_PANEL (thaw_processes_panel_get_type ())
G_DECLARE_FINAL_TYPE (ThawProcessesPanel, thaw_processes_panel, THAW, PROCESSES_PANEL, GtkBox)

/* The heap whose processes to show (borrowed; NULL clears). */
void  thaw_processes_panel_set_vm (ThawProcessesPanel *self, StVM *vm);
guint thaw_processes_panel_get_n_processes (ThawProcessesPanel *self);
/* Select a process and frame by index (0 = innermost frame). */
void  thaw_processes_panel_select (ThawProcessesPanel *self, guint process, guint frame);

G_END_DECLS
