/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-write.h: the in-memory heap back to an image file (or folder).
 *
 * Writes never touch the input: the image goes to a temporary file (or
 * folder) named .NAME.XXXXXX in the destination's folder, is fsynced, then
 * renamed into place, and the folder is fsynced; on any error the
 * temporary is removed.  An existing destination, or the file the heap was
 * read from, is only replaced with ST_WRITE_FORCE (otherwise
 * ST_IMAGE_ERROR_EXISTS, naming the path).
 *
 * ST_IMAGE_KIND_SAME is the image's own format: folder for heaps read from
 * folders, V3 for V3 heaps, Spur 32 or Spur 64 by the word size.  Spur 64
 * and folder output accept every Spur heap (a 32-bit one is converted:
 * same objects, 64-bit layout, format 68021 or 68533); V3 heaps can only be
 * written as V3, and Spur heaps not as V3 (ST_IMAGE_ERROR_UNSUPPORTED). */
#pragma once

#include "objmem.h"

G_BEGIN_DECLS

typedef enum {
  ST_IMAGE_KIND_SAME,     /* the image's own format (V3 stays V3, Spur 32 stays Spur 32, ...) */
  ST_IMAGE_KIND_SPUR64,   /* Spur 64-bit single file (68021, or 68533 with the Sista bit) */
  ST_IMAGE_KIND_SPUR32,   /* Spur 32-bit single file (6521, or 7033 with the Sista bit) */
  ST_IMAGE_KIND_FOLDER,   /* Pharo composed format: a directory of header.ston, segN.ston/.data */
  ST_IMAGE_KIND_V3,       /* V3 32-bit (6502/6504/6505), only for heaps read from V3 images */
} StImageKind;

typedef enum {
  ST_WRITE_DEFAULT = 0,
  ST_WRITE_FORCE   = 1 << 0,   /* replace an existing destination */
  ST_WRITE_BACKUP  = 1 << 1,   /* with FORCE: keep the replaced file (or folder) as PATH.bak,
                                  * e.g. Foo.image.bak; an older PATH.bak is replaced */
} StWriteFlags;

gboolean st_image_write (StVM *vm, const char *path, StImageKind kind, StWriteFlags flags, GError **error);

/* Copy vm->changes_path to NEWNAME.changes beside new_image_path (NEWNAME
 * is the image name without ".image"), through a temporary file and a
 * rename; an existing NEWNAME.changes is replaced, so callers check first.
 * TRUE with nothing done when the heap has no .changes file. */
gboolean st_image_copy_changes (StVM *vm, const char *new_image_path, GError **error);
/* The .changes path that belongs to an image path (newly allocated). */
char    *st_image_changes_path_for (const char *image_path);

/* The kind ST_IMAGE_KIND_SAME stands for with this heap (other kinds are
 * returned as they are). */
StImageKind st_image_kind_resolve (const StVM *vm, StImageKind kind);

/* "spur64", "spur32", "folder", "v3", "same" <-> StImageKind. */
gboolean    st_image_kind_from_string (const char *s, StImageKind *out);
const char *st_image_kind_to_string (StImageKind kind);

G_END_DECLS
