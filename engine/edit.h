/* SPDX-License-Identifier: GPL-3.0-or-later */
/* edit.h: changing slots of a stopped heap, with an undo log.
 *
 * An edit stores one value into one slot: a named or indexed pointer slot,
 * a CompiledMethod's literal, or an element of a byte or word object.
 * Values are nil, true, false, a SmallInteger, a Character, a new String,
 * a Symbol, or any object named by a path (edit text: `PATH=VALUE`, see
 * st_edit_parse_value).  Every edit is checked first: the slot exists, the
 * object is not immutable or hidden, the value is one the image can hold
 * (31-bit SmallIntegers in 32-bit images; Character objects in V3 images)
 * and the heap stays consistent; an impossible edit changes nothing.
 *
 * The log records object, slot, old and new value of each edit, so a
 * window can undo them in reverse order.  New Strings and Symbols are
 * allocated in old space (st_objmem_alloc_old); undo does not free them,
 * they become garbage.  A new Symbol reuses an existing Symbol with the
 * same characters when the heap has one.  Otherwise a fresh Symbol is made
 * and interned: added to Symbol's NewSymbols (or SymbolTable) WeakSet at
 * the slot the image's own lookup probes.  The String hash's initial value
 * differs between dialects (Cuis: the species' raw identity hash; Pharo:
 * shifted by 8), so the candidates are checked against the Symbols already
 * in the table and one is used only when it places at least 99% of them.
 * When no candidate fits, the set is 3/4 full (Thaw does not grow it), or
 * the image has no such set (Squeak 2, kernels without a class pool), the
 * Symbol is not interned; the edit's note says which. */
#pragma once

#include "objmem.h"
#include "printer.h"

G_BEGIN_DECLS

#define ST_EDIT_ERROR (st_edit_error_quark ())
GQuark st_edit_error_quark (void);

typedef enum {
  ST_EDIT_ERROR_SYNTAX,         /* the edit text cannot be parsed */
  ST_EDIT_ERROR_NOT_SLOT,       /* the path does not end in a slot of an object */
  ST_EDIT_ERROR_RANGE,          /* no such slot, or the value does not fit */
  ST_EDIT_ERROR_TYPE,           /* the value cannot go into that kind of slot */
  ST_EDIT_ERROR_IMMUTABLE,      /* the object's immutable bit is set */
  ST_EDIT_ERROR_NO_MEMORY,      /* a new String or Symbol could not be allocated */
  ST_EDIT_ERROR_NOTHING_TO_UNDO,
} StEditError;

typedef struct {
  StOop    object;
  uint64_t slot;           /* 0-based slot, or element index when element */
  bool     element;        /* an element of a byte or word object */
  StOop    old_value;      /* for elements: SmallInteger oops */
  StOop    new_value;
  char    *description;    /* "Foo>>bar literal 3: nil -> 42" */
  char    *note;           /* e.g. about an uninterned Symbol, or NULL */
} StEdit;

typedef struct _StEditLog StEditLog;

StEditLog    *st_edit_log_new (StVM *vm);
void          st_edit_log_free (StEditLog *log);
guint         st_edit_log_count (StEditLog *log);
const StEdit *st_edit_log_get (StEditLog *log, guint i);

/* Parse an edit value: nil, true, false, an integer, $c (a Character, or
 * $U+263A), 'text' (a new String; '' for a quote), #foo or #'foo bar' (a
 * Symbol), or else a path (see path.h) naming an existing object.
 * Strings and Symbols are allocated here (the note explains interning). */
bool st_edit_parse_value (StVM *vm, StPrinter *p, const char *text, StOop *out, char **note, GError **error);

/* Store value into slot `slot` of object (elements when `element`). */
bool st_edit_set (StVM *vm, StEditLog *log, StOop object, uint64_t slot, bool element, StOop value,
                  const char *note, GError **error);

/* "PATH=VALUE": resolve PATH to a slot, parse VALUE, store. */
bool st_edit_apply (StVM *vm, StEditLog *log, StPrinter *p, const char *assignment, GError **error);

/* Undo the most recent edit. */
bool st_edit_undo (StVM *vm, StEditLog *log, GError **error);

G_END_DECLS
