/* SPDX-License-Identifier: GPL-3.0-or-later */
/* st.h: the engine's common types.
 *
 * The engine knows nothing of GTK or cairo: it builds against GLib, libffi and
 * libm only.  Every function takes the StVM it works on first; there is no
 * mutable file-scope state, so several VMs can live in one process. */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stdbool.h>

G_BEGIN_DECLS

/* An object pointer as the heap sees it: a 64-bit Spur oop.  Pointers are
 * addresses in the image's own address space (segment 0 starts at the
 * image's oldBaseAddr), not machine addresses; st_ptr() turns one into a
 * machine pointer.  Immediates carry their tag in the low three bits. */
typedef uint64_t StOop;

typedef struct _StVM StVM;

#define ST_WORD_BYTES 8

#ifdef NDEBUG
#define st_assert(e) ((void) 0)
#else
#define st_assert(e) g_assert (e)
#endif

#define ST_LIKELY(x) G_LIKELY (x)
#define ST_UNLIKELY(x) G_UNLIKELY (x)

/* Error domain for reading and writing images. */
#define ST_IMAGE_ERROR (st_image_error_quark ())
GQuark st_image_error_quark (void);

typedef enum {
  ST_IMAGE_ERROR_IO,           /* the file could not be opened, read or written */
  ST_IMAGE_ERROR_TRUNCATED,    /* the file ends before the header says it should */
  ST_IMAGE_ERROR_BAD_MAGIC,    /* no known image format number at offset 0 or 512 */
  ST_IMAGE_ERROR_BAD_HEADER,   /* header fields contradict each other or the file */
  ST_IMAGE_ERROR_BAD_SEGMENT,  /* a segment or its bridge is malformed */
  ST_IMAGE_ERROR_BAD_OBJECT,   /* an object header, size or pointer is impossible */
  ST_IMAGE_ERROR_UNSUPPORTED,  /* a real format Thaw does not handle (said which) */
  ST_IMAGE_ERROR_EXISTS,       /* refusing to overwrite without force */
  ST_IMAGE_ERROR_INVALID,      /* a request that makes no sense for this heap */
} StImageError;

G_END_DECLS
