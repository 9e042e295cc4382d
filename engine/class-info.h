/* SPDX-License-Identifier: GPL-3.0-or-later */
/* class-info.h: what a heap can tell about classes without running code.
 *
 * Shared by the checker, the census, the heap map and the mirrors.  Every
 * function here is safe on a damaged heap: each address is checked against
 * the segments before it is read, and a question that cannot be answered
 * gets "no" (or NULL), never a crash.
 *
 * Layout facts used (Squeak, Cuis and Pharo alike):
 *   a class (Behavior) starts superclass, methodDict, format;
 *   a class's name is a Symbol among its next named slots (slot 6 in
 *     Squeak and Cuis; found by looking when a dialect moved it);
 *   a metaclass has no name of its own: its name is "<thisClass name> class",
 *     thisClass being the last named instance variable of a Metaclass;
 *   so an object X is a metaclass when the object T in its last slot is an
 *     instance of X (T's class is X), which holds for every metaclass,
 *     Metaclass class included, and for no ordinary class.
 *
 * Instance specifications are decoded per personality:
 *   Spur: format = (instSpec << 16) | instSize, instSpec as the object
 *         header's format field (0..31);
 *   V3:   instSpec = (format >> 7) & 15, instSize =
 *         ((format >> 10) & 0xC0) + ((format >> 1) & 0x3F) - 1, with V3
 *         instSpecs (6 words, 8..11 bytes, 12..15 methods); st_class_spec
 *         maps them onto the Spur format numbers the converted heap uses. */
#pragma once

#include "objmem.h"

G_BEGIN_DECLS

/* Longest class name st_class_name_into writes (metaclass suffix included). */
#define ST_CLASS_NAME_MAX 256

/* Is o a pointer to something inside a segment with room for its header
 * and `slots` slots (bounds only)? */
bool st_class_info_readable (const StVM *vm, StOop o, uint64_t slots);

/* The name of a class, or "Foo class" for a metaclass, written NUL-terminated
 * into buf (size >= 1).  Returns false (buf holds a placeholder such as
 * "<unnamed class 0x1234>") when no name can be found. */
bool  st_class_name_into (const StVM *vm, StOop cls, char *buf, gsize size);
/* The same, newly allocated; never NULL. */
char *st_class_name (const StVM *vm, StOop cls);
/* The name of the class of any oop (immediates included); never NULL.
 * Objects with reserved class indices get a bracketed description such as
 * "<free chunk>" or "<hidden: array pun>". */
char *st_class_name_of (const StVM *vm, StOop o);
/* A description of a reserved class index (0..31), or NULL for >= 32. */
const char *st_class_index_describe (guint32 class_index);

/* Is cls a metaclass (see the test above)? */
bool st_class_is_metaclass (const StVM *vm, StOop cls);
/* For a metaclass, its sole instance (thisClass); 0 otherwise. */
StOop st_metaclass_this_class (const StVM *vm, StOop meta);

/* The class-table entry at idx, validated (page and class readable); 0
 * when empty or unreadable.  Unlike st_class_at_index it never reads past a
 * segment, whatever the table holds. */
StOop st_class_info_class_at (const StVM *vm, guint32 idx);
/* Special object i, or 0 when the array or the slot is not readable. */
StOop st_class_info_special (const StVM *vm, guint i);

/* The class of any oop, validated like everything here; 0 when the class
 * table has no readable class for it. */
StOop st_class_info_class_of (const StVM *vm, StOop o);

/* Are the instances of cls classes?  True when cls is a metaclass, or is
 * Metaclass itself (the class whose class's class it is). */
bool st_class_instances_are_classes (const StVM *vm, StOop cls);

/* Does o look like a class: pointers, at least three slots, a SmallInteger
 * format in slot 2, a superclass that is nil or an object, and either its
 * class is a metaclass or it is itself a metaclass? */
bool st_object_is_class (const StVM *vm, StOop o);

/* A class's instance specification. */
typedef struct {
  guint inst_spec;     /* the object format instances must have (Spur numbering, 0..31;
                        * for byte, 16-bit, 32-bit and method formats the base value
                        * 16, 12, 10 or 24) */
  guint inst_size;     /* named instance variables */
  guint raw_spec;      /* the instSpec as the image encodes it (V3 or Spur numbering) */
} StClassSpec;

/* Decode the format slot of cls per the image's personality. */
bool st_class_spec (const StVM *vm, StOop cls, StClassSpec *out);

/* Does an object header format agree with a class's instSpec?  Byte,
 * 16-bit and 32-bit formats carry a count of unused trailing elements in
 * their low bits, so any of 16..23 fits instSpec 16, and so on. */
bool st_class_spec_admits_format (const StClassSpec *spec, guint format);

G_END_DECLS
