/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-folder.h: the Pharo composed (folder) image format.
 *
 * A folder image NAME.image/ holds header.ston (SpurImageHeaderStruct),
 * then seg0.ston + seg0.data, seg1.ston + seg1.data, ... with no gaps in
 * the numbering (the first missing segN.data ends the list), and
 * optionally permSpace.ston + permSpace.data.  Each segN.data is the raw
 * bytes of one Spur 64 segment including its trailing bridge; segN.ston
 * gives its start address and size.
 *
 * The ".ston" files are a line-oriented subset of STON:
 *
 *   StructName {
 *   <TAB>#field : <decimal integer>,
 *   <TAB>#last : <decimal integer>
 *   }
 *
 * Thaw reads that subset only: one field per line, signed decimal values,
 * lines ending in \n, \r or \r\n, at most ST_STON_MAX_LINES lines. */
#pragma once

#include "objmem.h"

G_BEGIN_DECLS

#define ST_STON_MAX_LINES  256
#define ST_STON_MAX_BYTES  (64 * 1024)

typedef struct {
  char    *name;      /* without the leading '#' */
  int64_t  value;
  guint    line;      /* 1-based line in its file */
} StStonField;

typedef struct {
  char        *file;       /* for messages */
  char        *struct_name;
  StStonField *fields;
  guint        n_fields;
} StSton;

/* Parse text (from `file`, used in messages).  Errors name the file and
 * the line (ST_IMAGE_ERROR_BAD_HEADER). */
StSton  *st_ston_parse (const char *file, const char *text, gsize len, GError **error);
StSton  *st_ston_load (const char *path, GError **error);
void     st_ston_free (StSton *s);
/* The value of the first field with one of the given names (NULL-terminated
 * alternatives); FALSE when none is present. */
gboolean st_ston_get (const StSton *s, int64_t *out, const char *name, ...) G_GNUC_NULL_TERMINATED;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StSton, st_ston_free)

G_END_DECLS
