/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "objmem.h"

G_BEGIN_DECLS

#define THAW_TYPE_INSPECTOR (thaw_inspector_get_type ())
G_DECLARE_FINAL_TYPE (ThawInspector, thaw_inspector, THAW, INSPECTOR, GtkBox)

/* The heap to inspect (borrowed; NULL to clear).  The inspector keeps
 * handles, never raw addresses, for what it shows. */
void     thaw_inspector_set_vm (ThawInspector *self, StVM *vm);
/* Resolve a path (see `thaw-cli inspect`) and show the object there. */
gboolean thaw_inspector_show_path (ThawInspector *self, const char *path, GError **error);
/* Show the object at a heap address. */
void     thaw_inspector_show_address (ThawInspector *self, guint64 address);
/* The one-line print of the object shown, or NULL. */
const char *thaw_inspector_get_print (ThawInspector *self);
/* Show the current object again, e.g. after an edit. */
void     thaw_inspector_refresh (ThawInspector *self);

G_END_DECLS
