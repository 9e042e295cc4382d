/* SPDX-License-Identifier: GPL-3.0-or-later */
/* path.h: naming objects by path, for the CLI and the window.
 *
 * A path is a root followed by steps, separated by dots:
 *
 *   roots   special            the special objects array
 *           Smalltalk          the system dictionary (special object 8)
 *           nil true false     themselves
 *           @0x804a18 0x...    the object at that heap address
 *           Foo                the global Foo (`Smalltalk at: #Foo`, also
 *                              accepted written that way)
 *           Foo class          Foo's metaclass
 *           Foo>>bar:          the method bar: in Foo's method dictionary
 *           Foo class>>bar     the method bar in Foo's metaclass
 *   steps   N                  slot N, counting from 0 over all slots (for
 *                              a CompiledMethod slot 0 is the header and
 *                              slot N literal N; for byte and word objects
 *                              element N, as a SmallInteger)
 *           name               the named instance variable `name`
 *           class              the object's class
 *           key                in a dictionary (Smalltalk, a MethodDictionary
 *                              or any Set of associations): the value at the
 *                              Symbol key, when no instance variable has that
 *                              name
 *           >>sel              in a class: its method sel
 *
 * e.g. special.3.value.activeProcess.suspendedContext.sender.method
 *
 * Resolution checks every address before following it; an error names the
 * failing step, what was found there and why the step does not apply. */
#pragma once

#include "objmem.h"
#include "printer.h"

G_BEGIN_DECLS

#define ST_PATH_ERROR (st_path_error_quark ())
GQuark st_path_error_quark (void);

typedef enum {
  ST_PATH_ERROR_SYNTAX,      /* the path cannot be parsed */
  ST_PATH_ERROR_NOT_FOUND,   /* no such global, variable, selector or slot */
  ST_PATH_ERROR_BAD_OBJECT,  /* the heap holds something unreadable there */
  ST_PATH_ERROR_TYPE,        /* the step does not apply to that kind of object */
} StPathError;

/* Where a path leads.  When the last step was a slot of an object,
 * `container` and `slot` say which, so that an edit can store there. */
typedef struct {
  StOop    value;
  StOop    container;   /* 0 when the path is only a root */
  uint64_t slot;        /* 0-based slot (or element, when element is true) of container */
  bool     element;     /* container is a byte or word object and value its element */
} StPathTarget;

bool st_path_resolve (StPrinter *p, const char *path, StPathTarget *out, GError **error);

/* Lookups used by the resolver, usable alone. */
/* The association (binding) for a Symbol key in a dictionary-like object, or 0. */
StOop st_path_dictionary_binding (StPrinter *p, StOop dict, const char *key);
/* The method for `selector` in cls's own method dictionary, or 0. */
StOop st_path_lookup_method (StPrinter *p, StOop cls, const char *selector);
/* The global named `name` (its binding's value) through Smalltalk; FALSE when absent. */
bool  st_path_global (StPrinter *p, const char *name, StOop *binding, StOop *value);

G_END_DECLS
