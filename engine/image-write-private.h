/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-write-private.h: the per-format encoders behind st_image_write.
 *
 * The driver (image-write.c) makes the temporary file or folder, calls one
 * encoder, fsyncs and renames.  An encoder writes the whole image through
 * an StOut and reports failures as GErrors. */
#pragma once

#include "image-write.h"

G_BEGIN_DECLS

/* Buffered output to a file descriptor. */
typedef struct {
  int       fd;
  guint8   *buf;
  gsize     len, cap;
  uint64_t  written;      /* bytes handed to write(2) so far plus buffered */
  GError   *error;        /* first failure; later writes are ignored */
} StOut;

void     st_out_init (StOut *o, int fd);
void     st_out_bytes (StOut *o, const void *p, gsize n);
void     st_out_u16 (StOut *o, guint16 v, gboolean big_endian);
void     st_out_u32 (StOut *o, guint32 v, gboolean big_endian);
void     st_out_u64 (StOut *o, uint64_t v, gboolean big_endian);
void     st_out_zeros (StOut *o, gsize n);
/* Flush and release; returns FALSE (setting error) if any write failed. */
gboolean st_out_finish (StOut *o, GError **error);

gboolean st_write_spur64 (StVM *vm, StOut *o, GError **error);
gboolean st_write_spur32 (StVM *vm, StOut *o, GError **error);
gboolean st_write_v3 (StVM *vm, StOut *o, GError **error);
/* Spur 64 layout shared by the single-file and folder writers: where each
 * segment goes in the file (out_start[n_segments]: the file address for
 * heaps read from 64-bit images, the heap address otherwise), the image
 * format number to write, a heap address as a file address, and one
 * segment's bytes with its bridge in file form. */
gboolean st_spur64_layout (StVM *vm, StOop *out_start, uint64_t *data_size, GError **error);
guint32  st_spur64_format (const StVM *vm);
uint64_t st_spur64_file_address (StVM *vm, const StOop *out_start, uint64_t w);
void     st_spur64_write_segment (StVM *vm, const StOop *out_start, guint i, StOut *o);

/* Writes header.ston and segN.ston/segN.data into an existing empty directory. */
gboolean st_write_folder (StVM *vm, const char *dir, GError **error);

G_END_DECLS
