/* SPDX-License-Identifier: GPL-3.0-or-later */
/* decompile.h: readable Smalltalk rebuilt from bytecodes.
 *
 * Used when a method's source cannot be had (no .sources/.changes file,
 * a cleared trailer).  The decompiler runs the instructions symbolically
 * over a stack of expressions and recognises the shapes the Squeak, Cuis
 * and Pharo compilers give to inlined control structures: ifTrue:ifFalse:
 * (and its one-armed forms), and:/or:, whileTrue:/whileFalse:, repeat,
 * to:do: and to:by:do:, cascades, assignments, returns and blocks of all
 * three kinds (6502 blockCopy: blocks jumped around, inline closures of
 * V3PlusClosures and SistaV1, SistaV1 full blocks: CompiledBlocks).
 * Names are invented: arguments arg1.., temporaries t1..; instance
 * variables use the class's names when it has them.
 *
 * What it cannot structure it keeps going past, leaving a comment
 * "unstructured ... at pc N" in the text; it never fails on bad code. */
#pragma once

#include "printer.h"
#include "bytecodes.h"
#include "method.h"

G_BEGIN_DECLS

typedef struct _StDecompileCode StDecompileCode;

/* One piece of code to decompile, independent of the heap so that tests
 * can decompile raw byte arrays.  Every callback returns newly allocated
 * text (or FALSE for full_block when literal i is no CompiledBlock). */
struct _StDecompileCode {
  StBytecodeSet  set;
  const guint8  *bytes;       /* bytecodes are bytes[start..end) */
  gsize          start, end;
  guint          num_args;
  guint          num_temps;   /* arguments included */
  guint          primitive;   /* 0 when none */
  guint          word_bytes;  /* for pcs in comments: image convention */
  guint          num_literals;
  gpointer       data;
  char *(*literal) (gpointer data, guint i);                 /* as source text: 3, #foo, 'abc' */
  char *(*selector) (gpointer data, guint i);                /* the selector named by literal i */
  char *(*binding) (gpointer data, guint i);                 /* the variable literal i binds */
  char *(*special) (gpointer data, guint i, guint *num_args);/* special selector i */
  char *(*inst_var) (gpointer data, guint i);                /* may be NULL: "instVarN" */
  gboolean (*full_block) (gpointer data, guint i, StDecompileCode *out);
};

/* Decompile a code object; `selector` names the method for its pattern
 * line (NULL for a bare statement list).  Never NULL. */
char *st_decompile_code (const StDecompileCode *code, const char *selector);

/* Decompile a CompiledMethod of the heap (a CompiledBlock: its home
 * method).  The text starts with the message pattern, then the comment
 * "decompiled".  NULL with error only when `method` is no method. */
char *st_decompile_method (StPrinter *p, StOop method, GError **error);

G_END_DECLS
