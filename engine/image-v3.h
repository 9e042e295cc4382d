/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-v3.h: V3 (pre-Spur) images, 6502/6504/6505, into the Spur 64 heap
 * and back.
 *
 * Reading converts every object to the 64-bit Spur layout (engine/spur.h):
 *
 *   V3 format                    Spur format
 *   0..4 pointers                same number, one 8-byte slot per 32-bit oop
 *   6 words                      10/11, 32-bit elements packed two a slot
 *   6 words of class Float       10, one slot holding the host double
 *   8..11 bytes                  16..23, unused bytes recounted for 8-byte slots
 *   12..15 CompiledMethod        24..31, header and literals widened, bytecodes
 *                                copied after them (the V3 method header is kept)
 *   free block (header type 2)   free chunk (class index 0), linked into the
 *                                free lists or the free-chunk tree
 *
 * SmallIntegers are re-tagged, Characters stay objects.  Each class (every
 * object used as a class, and the class slots of the special objects array)
 * gets the class index h + 4096 * k, h its 12-bit V3 identity hash and k the
 * smallest value making the index >= 32 and unused, so index & 0xFFF gives
 * back the V3 hash; the class's Spur hash is that index.  Other objects keep
 * their 12-bit hash.  The SmallInteger class is also entry 1 of the table.
 * Context and BlockContext pcs and BlockClosure startpcs grow by
 * (numLiterals + 1) * 4 (bytecodes start after 8-byte literal slots).
 *
 * The heap is laid out as nil, false, true, the free-lists object, the
 * hidden roots, the class-table pages, then every other object in its
 * original order, in one segment.  What a faithful V3 rewrite needs beyond
 * the heap (the original places of nil, false and true, header kinds that
 * are not the minimal ones, GC bits, free block sizes, the bytes before the
 * header) is kept in an StV3Layout attached to the VM. */
#pragma once

#include "image-read-private.h"

G_BEGIN_DECLS

/* Something about one object that the heap does not say. */
typedef enum {
  ST_V3_NOTE_HEADER_TYPE,   /* value: the V3 header type (0, 1 or 3) when not the minimal one */
  ST_V3_NOTE_GC_BITS,       /* value: the top two bits of the base header, when not zero */
  ST_V3_NOTE_FREE_BYTES,    /* value: the byte size of the V3 free block this chunk came from */
  ST_V3_NOTE_SIZE_BITS,     /* value: the size field of a type-0 base header, when not zero */
  ST_V3_NOTE_COMPACT,       /* value: the compact class field of the base header, when it is not
                             * the class's place in the compact classes array (SOA[28]) */
} StV3NoteKind;

typedef struct {
  StOop   oop;      /* the object's heap address at load */
  guint32 value;
  guint8  kind;     /* StV3NoteKind */
} StV3Note;

typedef struct {
  guint32   format;             /* 6502, 6504 or 6505 */
  bool      big_endian;
  uint64_t  old_base_addr;      /* the V3 address of the first byte of object data */
  StOop     heap_base;          /* where that data was put in the heap */
  StOop     first_object;       /* heap address of the first object after the class-table pages */
  /* nil, false and true (0, 1, 2) in their original order, each with the
   * number of other objects that preceded it in the file. */
  guint     nft_order[3];
  guint64   nft_before[3];
  StV3Note *notes;              /* sorted by oop */
  gsize     n_notes;
  guint8   *prefix;             /* the bytes before the header (0 or 512 of them) */
  gsize     prefix_len;
  guint8   *trailer;            /* bytes after the object data in the file */
  gsize     trailer_len;
  guint64   n_objects;          /* V3 objects read (free blocks included) */
  guint64   n_free_blocks;
  guint32   n_classes;          /* class indices assigned */
} StV3Layout;

/* Read a V3 image whose format src has been detected as p. */
StVM *st_read_v3 (StSrc *src, const StPersonality *p, StReadFlags flags, GError **error);

/* The layout recorded when vm was read from a V3 file, or NULL. */
const StV3Layout *st_v3_layout (const StVM *vm);

G_END_DECLS
