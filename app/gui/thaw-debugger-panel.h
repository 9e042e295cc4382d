/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "host.h"
#include "thaw-processes-panel.h"

G_BEGIN_DECLS

#define THAW_TYPE_DEBUGGER_PANEL (thaw_debugger_panel_get_type ())
G_DECLARE_FINAL_TYPE (ThawDebuggerPanel, thaw_debugger_panel, THAW, DEBUGGER_PANEL, GtkBox)

GtkWidget *thaw_debugger_panel_new (void);
/* Show what a DEBUG message carries (a reference to it is kept while
 * shown: its heap copy is what the panel reads).  NULL clears. */
void       thaw_debugger_panel_show (ThawDebuggerPanel *self, const StHostMessage *msg);
/* The message shown, or NULL (borrowed). */
const StHostMessage *thaw_debugger_panel_get_message (ThawDebuggerPanel *self);
ThawProcessesPanel  *thaw_debugger_panel_get_processes (ThawDebuggerPanel *self);
/* Toggle the breakpoint at pc of the method shown ("bytecode-activated"
 * with the current method); FALSE when there is no such instruction. */
gboolean   thaw_debugger_panel_toggle_pc (ThawDebuggerPanel *self, guint64 pc);
/* The Run to Here button: run until the active frame reaches the
 * instruction under the bytecodes' cursor. */
void       thaw_debugger_panel_run_to_here (ThawDebuggerPanel *self);

/* The panel asks for debugger commands with the "command" signal (one
 * string argument, a debug-script.h line). */

G_END_DECLS
