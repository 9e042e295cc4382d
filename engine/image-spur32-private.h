/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-spur32-private.h: what the Spur 32-bit reader and writer share.
 *
 * A Spur 32-bit image is widened on load into the 64-bit heap.  Most of the
 * file is derivable from the heap again (headers, immediates, pointers,
 * element data), but a few things are not: the contents of padding words,
 * the stale slots of free chunks, the original free-lists object, the
 * addresses the segments had in the file and the bytes before the header.
 * The reader keeps those in an StSpur32Info hung on the VM; the writer uses
 * each record only while the object it describes is still what it was. */
#pragma once

#include "image-read-private.h"

G_BEGIN_DECLS

/* Raw 32-bit words kept for one object, keyed by its heap oop. */
typedef struct {
  guint32 n32;        /* the object's slot count in the file */
  guint32 n_words;
  guint32 words[];    /* free chunks: every body word; others: the padding words */
} StSpur32Raw;

typedef struct {
  GHashTable  *raw;              /* StOop (as pointer) -> StSpur32Raw * */
  StOop        free_lists;       /* heap oop of the free-lists object at load */
  guint32      free_lists_words[32];
  gboolean     have_free_lists;
  guint        n_free_chunks;    /* free chunks at load */
  guint        n_segments;
  uint64_t    *seg_start32;      /* per segment: its start address in the file */
  guint32     *bridge32;         /* per segment: the 4 words of its bridge in the file */
  guint8      *prefix;           /* the bytes before the header (exec prefix), or NULL */
  gsize        prefix_len;
} StSpur32Info;

void st_spur32_info_free (gpointer info);

StVM *st_read_spur32 (StSrc *src, const StPersonality *p, StReadFlags flags, GError **error);

/* Free-list planning, for any word size.  Chunks of `units` allocation
 * units (8 bytes each) below n_lists go on list `units`; larger ones form
 * the size-ordered tree rooted at head 0, each node heading a list of
 * equal-sized chunks.  Fills every chunk's links (0 = none) and heads[]. */
typedef struct {
  StOop    addr;
  uint64_t units;
  StOop    next, prev, parent, smaller, larger;
} StFreeChunkPlan;

void st_free_lists_plan (StFreeChunkPlan *chunks, gsize n, guint n_lists, StOop *heads);

/* Rebuild the 64-bit heap's free lists from its free chunks: every chunk
 * is relinked and the free-lists object's 64 heads are rewritten. */
void st_objmem_rebuild_free_lists (StVM *vm);

/* How far a Context pc or BlockClosure startpc moves between a 32-bit file
 * and the 64-bit heap: the header and literal slots are 4 bytes wider each. */
#define ST_SPUR32_PC_DELTA(num_literals) ((uint64_t) ((num_literals) + 1) * 4)

G_END_DECLS
