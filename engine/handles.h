/* SPDX-License-Identifier: GPL-3.0-or-later */
/* handles.h: stable ids for objects that a UI holds on to.
 *
 * A window or a CLI session never keeps an StOop of its own: it keeps a
 * handle id from this table.  The table is a root set: a collector that
 * moves objects updates the entries (st_handles_foreach_root gives it each
 * slot), so ids stay valid across GC.  Ids are never reused while the table
 * lives; 0 is never a valid id. */
#pragma once

#include "objmem.h"

G_BEGIN_DECLS

typedef struct _StHandles StHandles;
typedef guint32 StHandle;

StHandles *st_handles_new (StVM *vm);
void       st_handles_free (StHandles *h);

/* A handle for oop (immediates too).  The same oop gets the same id while
 * it is held. */
StHandle   st_handles_add (StHandles *h, StOop oop);
/* FALSE when id is unknown or released. */
bool       st_handles_get (StHandles *h, StHandle id, StOop *out);
void       st_handles_release (StHandles *h, StHandle id);
guint      st_handles_count (StHandles *h);

/* For a collector: visit every live entry; the callback may rewrite *slot. */
typedef void (*StRootFunc) (StOop *slot, gpointer user_data);
void       st_handles_foreach_root (StHandles *h, StRootFunc func, gpointer user_data);
/* After a collector moved objects, rebuild the oop -> id index. */
void       st_handles_rehash (StHandles *h);
/* The VM is going away (st_vm_free): forget it. */
void       st_handles_detach (StHandles *h);

G_END_DECLS
