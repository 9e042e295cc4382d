/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-read.h: every image format into the one in-memory Spur 64 heap. */
#pragma once

#include "objmem.h"

G_BEGIN_DECLS

typedef enum {
  ST_READ_STRICT = 0,        /* the first defect is an error */
  ST_READ_SALVAGE = 1 << 0,  /* keep going past defects; record each in vm->defects */
} StReadFlags;

/* Progress callback: fraction done in [0,1]; return FALSE to cancel. */
typedef gboolean (*StReadProgress) (double fraction, gpointer user_data);

/* Read an image (a file, or a Pharo folder-format directory) into a new VM.
 * Returns NULL and sets error when the file cannot be read at all (or, in
 * strict mode, on the first defect). */
StVM *st_image_read (const char *path, StReadFlags flags, GError **error);
StVM *st_image_read_full (const char *path, StReadFlags flags,
                          StReadProgress progress, gpointer progress_data, GError **error);

/* Read from a buffer already in memory (used by the fuzzer and tests).
 * `name` is used in messages only. */
StVM *st_image_read_buffer (const guint8 *data, gsize len, const char *name,
                            StReadFlags flags, GError **error);

/* A human description of an image format number ("Spur 64-bit, Sista"). */
const char *st_image_format_describe (guint32 format);

G_END_DECLS
