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
/* The instruction under the disassembly's cursor: the method's name
 * (borrowed) and the image pc; FALSE when the cursor is on no instruction. */
gboolean thaw_processes_panel_get_cursor_pc (ThawProcessesPanel *self, const char **method, guint64 *pc);
/* Emit "bytecode-activated" for the shown method's instruction at pc, as a
 * click on it does; FALSE when the disassembly has no such instruction. */
gboolean thaw_processes_panel_activate_pc (ThawProcessesPanel *self, guint64 pc);
/* Breakpoint specs ("Class>>sel pc N") to mark with a dot in the
 * disassembly from the next frame shown on. */
void  thaw_processes_panel_set_marked (ThawProcessesPanel *self, const char *const *specs);
/* Where the instruction at pc is drawn (a point inside its line), in
 * target's coordinates; FALSE when it is not in view (it is then
 * scrolled into view: ask again). */
gboolean thaw_processes_panel_get_pc_point (ThawProcessesPanel *self, guint64 pc, GtkWidget *target,
                                            double *x, double *y);
/* The disassembly as shown (*owned is freed by the caller). */
const char *thaw_processes_panel_get_disasm_text (ThawProcessesPanel *self, char **owned);

G_END_DECLS
