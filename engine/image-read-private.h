/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-read-private.h: helpers shared by the per-format readers. */
#pragma once

#include "image-read.h"

G_BEGIN_DECLS

/* Where image bytes come from: a file (read with pread) or a buffer. */
typedef struct {
  int            fd;
  const guint8  *buf;
  gsize          len;
  const char    *name;
  StReadProgress progress;
  gpointer       progress_data;
} StSrc;

gboolean st_src_read (StSrc *src, uint64_t off, void *dst, gsize n, GError **error);
uint64_t st_src_word (const guint8 *p, guint width, gboolean big_endian);
gboolean st_detect_format (StSrc *src, StPersonality *p, GError **error);
gboolean st_read_header (StSrc *src, const StPersonality *p, StImageHeader *h, GError **error);
gboolean st_read_locate_roots (StVM *vm, StSrc *src, GError **error);
gboolean st_read_locate_roots_full (StVM *vm, StSrc *src, StReadFlags flags, GError **error);
void     st_locate_companions (StVM *vm);
/* After placing 64-bit segments away from their file_start: move every
 * pointer (the whole heap, or one oop) to the segments' new places. */
void     st_read_swizzle_64 (StVM *vm);
StOop    st_read_swizzle_oop_64 (const StVM *vm, StOop v);
/* A Pharo composed (folder) image directory (image-read-folder.c). */
StVM    *st_image_read_folder (const char *dir, StReadFlags flags, GError **error);

G_END_DECLS
