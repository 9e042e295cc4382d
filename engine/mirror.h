/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mirror.h: plain-data views of objects, for the window and the CLI.
 *
 * A mirror is a snapshot of one object as strings and numbers: its class
 * name, format, sizes, identity hash, heap address (a number, never a
 * machine pointer), one-line print, and its slots with their names and
 * prints.  Children are named by a path step (mirror slot `step`, to
 * append to the object's path) and, when a handle table is given, by a
 * handle id that stays valid across GC.  Nothing in a mirror points into
 * the heap, so it stays safe to read after the heap changes. */
#pragma once

#include "objmem.h"
#include "handles.h"

G_BEGIN_DECLS

typedef enum {
  ST_MIRROR_SLOT_NAMED,      /* a named instance variable */
  ST_MIRROR_SLOT_INDEXED,    /* an indexable pointer slot */
  ST_MIRROR_SLOT_HEADER,     /* a CompiledMethod's header word */
  ST_MIRROR_SLOT_LITERAL,    /* a CompiledMethod's literal */
  ST_MIRROR_SLOT_ELEMENT,    /* an element of a byte or word object (a number) */
} StMirrorSlotKind;

typedef struct {
  StMirrorSlotKind kind;
  char     *name;            /* "value", "1" (indexed slots count from 1, as at:), "literal 3" */
  char     *step;            /* the path step that reaches it ("value", "7") */
  uint64_t  slot;            /* 0-based slot (or element) index */
  char     *print;           /* one-line print of the value */
  char     *class_name;      /* the value's class */
  bool      immediate;       /* the value is a SmallInteger, Character or SmallFloat */
  uint64_t  address;         /* the value's heap address, 0 for immediates */
  StHandle  handle;          /* 0 unless a handle table was given */
} StMirrorSlot;

typedef struct {
  char       *print;
  char       *class_name;
  bool        immediate;
  bool        is_class;
  uint64_t    address;       /* 0 for immediates */
  guint       format;        /* the Spur format (0..31) */
  const char *format_name;
  guint32     class_index;
  guint32     identity_hash;
  uint64_t    num_slots;     /* storage words */
  uint64_t    named_count;   /* named instance variables */
  uint64_t    indexable_count;
  uint64_t    byte_size;     /* bytes of the whole object in the heap, header included */
  bool        immutable, pinned;
  StHandle    handle;
  GPtrArray  *slots;         /* StMirrorSlot *: named first, then indexed */
  uint64_t    slots_omitted; /* indexed slots beyond the requested maximum */
} StMirror;

/* The mirror of oop; max_slots bounds the indexed slots listed (0: 256).
 * FALSE with an error when oop is not a readable object. */
StMirror  *st_mirror_of (StVM *vm, StHandles *handles, StOop oop, guint max_slots, GError **error);
void       st_mirror_free (StMirror *m);
const char *st_mirror_format_name (guint format);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StMirror, st_mirror_free)

G_END_DECLS
