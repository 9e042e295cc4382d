/* SPDX-License-Identifier: GPL-3.0-or-later */
/* printer.h: one-line prints of objects, made by the engine itself.
 *
 * The printer reads the heap only.  Every address it follows is checked
 * against the segments first, every loop is bounded, so a damaged heap
 * gives "<bad oop 0x...>" rather than a crash.
 *
 * What it knows: nil/true/false, SmallInteger, Character (immediate, or
 * the Character objects of V3 images), Float (SmallFloat64 and boxed),
 * LargePositive/NegativeInteger as decimal numbers, String, Symbol,
 * ByteArray, Array, Association-like bindings, Point, classes and
 * metaclasses, CompiledMethod as Class>>selector, contexts as
 * Class(DefiningClass)>>selector [pc N], Process with priority and state,
 * BlockClosure with its home method.  Anything else prints as "a Foo".
 *
 * A printer caches a few things (the Symbol class, a method index built on
 * demand for images whose methods do not name their class), so reuse one
 * for many prints of the same heap. */
#pragma once

#include "objmem.h"

G_BEGIN_DECLS

typedef struct _StPrinter StPrinter;

StPrinter *st_printer_new (StVM *vm);
void       st_printer_free (StPrinter *p);
StVM      *st_printer_vm (StPrinter *p);

/* One line, at most about `max_chars` characters (0: the default, 160). */
char *st_printer_print (StPrinter *p, StOop oop, gsize max_chars);
/* Convenience: a throwaway printer. */
char *st_print_oop (StVM *vm, StOop oop);

/* Is oop the header address of a whole object inside a segment, with a
 * class index of a real object (>= 32)?  Bounds only: it does not prove
 * that an object starts there (a heap walk does). */
bool st_printer_is_object (const StVM *vm, StOop oop);

/* Named slots of an object, from its class's instance specification
 * (decoded per personality), bounded by its size. */
uint64_t st_printer_fixed_count (StPrinter *p, StOop o);

/* Special object i, or nil when the special objects array is unreadable
 * or shorter (st_special with the array itself checked first). */
StOop st_printer_special (const StVM *vm, StSpecialObject i);

/* Does the object look like a Behavior (superclass, methodDict, format)? */
bool st_printer_is_class (StPrinter *p, StOop oop);
/* "Foo", "Foo class", or NULL when oop is not a class or has no name. */
char *st_printer_class_name (StPrinter *p, StOop cls);
/* The name of the object's class ("SmallInteger" for immediates); never NULL. */
char *st_printer_class_name_of (StPrinter *p, StOop oop);
/* The class of an object or immediate as the image sees it (V3 images'
 * Characters are objects, so this is st_class_of), or 0. */
StOop st_printer_class_of (StPrinter *p, StOop oop);
/* The superclass, or 0 when nil or unreadable. */
StOop st_printer_superclass (StPrinter *p, StOop cls);
/* Is `cls` oop's class or one of its superclasses? */
bool st_printer_inherits (StPrinter *p, StOop cls, StOop ancestor);

/* Is oop a Symbol / a String (any byte string class)? */
bool st_printer_is_symbol (StPrinter *p, StOop oop);
bool st_printer_is_string (StPrinter *p, StOop oop);
/* The bytes of a byte object as a NUL-terminated string (NULL if not bytes). */
char *st_printer_bytes_string (StPrinter *p, StOop oop);

/* The class that defines a CompiledMethod (or the method a CompiledBlock
 * belongs to) and its selector.  *home is the CompiledMethod itself, or
 * the outer method of a CompiledBlock.  FALSE when neither can be found. */
bool st_printer_method_info (StPrinter *p, StOop method, StOop *cls, char **selector, StOop *home);

/* Named instance variable names of a class (superclasses' first), as a
 * NULL-terminated strv; NULL when the class does not say (the caller
 * then numbers the slots). */
char **st_printer_inst_var_names (StPrinter *p, StOop cls);

/* The pc of a context as the image sees it: the stored pc is a byte
 * offset in the 64-bit layout; 32-bit images count literals in 4-byte
 * words.  FALSE when pc is not a SmallInteger or the method unreadable. */
bool st_printer_image_pc (StPrinter *p, StOop method, StOop pc, int64_t *out);

/* Is oop a context (MethodContext/Context or V3 BlockContext)? */
bool st_printer_is_context (StPrinter *p, StOop oop);
bool st_printer_is_block_context (StPrinter *p, StOop oop);
/* The method a context runs (a BlockContext's home's method). */
StOop st_printer_context_method (StPrinter *p, StOop ctx);

/* The ProcessorScheduler (special object 3's value), or 0. */
StOop st_printer_scheduler (StPrinter *p);
/* "running", "ready", "waiting on a Semaphore", "suspended", "terminated". */
char *st_printer_process_state (StPrinter *p, StOop process);

G_END_DECLS
