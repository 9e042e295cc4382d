/* SPDX-License-Identifier: GPL-3.0-or-later */
/* spur.h: the Spur object header, 64-bit layout, as static inline accessors.
 *
 * Every heap Thaw holds in memory is a Spur heap with 64-bit words, whatever
 * the file it came from.  One object is:
 *
 *   [overflow word]   only when numSlots == 255: top byte 0xFF, low 56 bits
 *                     the real slot count
 *   header word       the oop points here
 *   slots...          numSlots words (at least one: objects are >= 16 bytes)
 *
 * Header word:
 *   63..56 numSlots      55 marked      54 unused   53..32 identityHash
 *   31 grey  30 pinned   29 remembered  28..24 format  23 immutable
 *   22 unused            21..0 classIndex
 *
 * Formats:
 *   0  zero sized                 1  fixed pointers
 *   2  indexable pointers         3  fixed + indexable pointers (Context)
 *   4  weak indexable (+fixed)    5  ephemeron
 *   6  unused                     7  forwarded (GC only)
 *   8  unused                     9  64-bit indexable
 *   10,11  32-bit indexable       12..15  16-bit indexable
 *   16..23 byte indexable         24..31  CompiledMethod
 * For 10-31 the low bits of the format count the unused trailing elements
 * of the last word.
 *
 * Class indices 0..31 are reserved: 0 free chunk, 1 SmallInteger,
 * 2 Character, 3 segment bridge, 4 SmallFloat64, 8 forwarder, 16..31 puns
 * for hidden objects (16 arrays: class-table pages, hidden roots;
 * 17 weak arrays; 18 32-bit longs; 19 64-bit longs: the free-lists object).
 * The first real class has index 32.  A class's identity hash is its index. */
#pragma once

#include "st.h"

G_BEGIN_DECLS

enum {
  ST_FMT_ZERO = 0,
  ST_FMT_FIXED = 1,
  ST_FMT_INDEXABLE = 2,
  ST_FMT_FIXED_INDEXABLE = 3,
  ST_FMT_WEAK = 4,
  ST_FMT_EPHEMERON = 5,
  ST_FMT_FORWARDED = 7,
  ST_FMT_WORDS64 = 9,
  ST_FMT_WORDS32 = 10,
  ST_FMT_SHORTS16 = 12,
  ST_FMT_BYTES = 16,
  ST_FMT_METHOD = 24,
};

enum {
  ST_CLASS_INDEX_FREE = 0,
  ST_CLASS_INDEX_SMALLINTEGER = 1,
  ST_CLASS_INDEX_CHARACTER = 2,
  ST_CLASS_INDEX_BRIDGE = 3,           /* segmentBridgePun */
  ST_CLASS_INDEX_SMALLFLOAT = 4,
  ST_CLASS_INDEX_FORWARDER = 8,        /* isForwardedObjectClassIndexPun */
  ST_CLASS_INDEX_ARRAY_PUN = 16,       /* arrayClassIndexPun */
  ST_CLASS_INDEX_WEAK_ARRAY_PUN = 17,  /* weakArrayClassIndexPun */
  ST_CLASS_INDEX_LONGS32_PUN = 18,     /* thirtyTwoBitLongsClassIndexPun */
  ST_CLASS_INDEX_LONGS64_PUN = 19,     /* sixtyFourBitLongsClassIndexPun */
  ST_CLASS_INDEX_FIRST_REAL = 32,
  ST_CLASS_INDEX_LARGE_NEGATIVE_INTEGER = 32,
  ST_CLASS_INDEX_LARGE_POSITIVE_INTEGER = 33,
  ST_CLASS_INDEX_FLOAT = 34,
  ST_CLASS_INDEX_MESSAGE = 35,
  ST_CLASS_INDEX_CONTEXT = 36,
  ST_CLASS_INDEX_BLOCK_CLOSURE = 37,
  ST_CLASS_INDEX_FULL_BLOCK_CLOSURE = 38,
  ST_CLASS_INDEX_BYTE_ARRAY = 50,
  ST_CLASS_INDEX_ARRAY = 51,
  ST_CLASS_INDEX_BYTE_STRING = 52,
  ST_CLASS_INDEX_BITMAP = 53,
};

#define ST_CLASS_TABLE_PAGE_SHIFT 10
#define ST_CLASS_TABLE_PAGE_SIZE  1024
#define ST_CLASS_TABLE_ROOT_SLOTS 4096   /* pages: 1 << (22 - 10) */
#define ST_HIDDEN_ROOT_SLOTS      8
#define ST_NUM_FREE_LISTS         64     /* 64-bit heaps */
#define ST_MAX_CLASS_INDEX        ((1u << 22) - 1)
#define ST_MAX_HASH               ((1u << 22) - 1)
/* V3 images: an identity hash is 12 bits and 0 is a real value, while a
 * Spur hash of 0 means "none yet".  A V3 object's hash h is kept as
 * h | ST_V3_HASH_PRESENT (classes: their class index, h + 4096 k, k >= 0);
 * the image sees hash & 0xFFF. */
#define ST_V3_HASH_PRESENT        0x1000u
#define ST_V3_HASH_MASK           0xFFFu

#define ST_OVERFLOW_SLOTS 255
#define ST_BRIDGE_BYTES   16             /* a segment ends in a 2-word bridge */

/* Header field accessors on a raw header word. */
static inline guint   st_hdr_num_slots (uint64_t h)   { return (guint) (h >> 56); }
static inline guint32 st_hdr_hash (uint64_t h)        { return (guint32) ((h >> 32) & 0x3FFFFF); }
static inline guint   st_hdr_format (uint64_t h)      { return (guint) ((h >> 24) & 0x1F); }
static inline guint32 st_hdr_class_index (uint64_t h) { return (guint32) (h & 0x3FFFFF); }
static inline bool    st_hdr_is_marked (uint64_t h)   { return (h >> 55) & 1; }
static inline bool    st_hdr_is_grey (uint64_t h)     { return (h >> 31) & 1; }
static inline bool    st_hdr_is_pinned (uint64_t h)   { return (h >> 30) & 1; }
static inline bool    st_hdr_is_remembered (uint64_t h) { return (h >> 29) & 1; }
static inline bool    st_hdr_is_immutable (uint64_t h) { return (h >> 23) & 1; }

#define ST_HDR_MARKED_BIT     (G_GUINT64_CONSTANT (1) << 55)
#define ST_HDR_GREY_BIT       (G_GUINT64_CONSTANT (1) << 31)
#define ST_HDR_PINNED_BIT     (G_GUINT64_CONSTANT (1) << 30)
#define ST_HDR_REMEMBERED_BIT (G_GUINT64_CONSTANT (1) << 29)
#define ST_HDR_IMMUTABLE_BIT  (G_GUINT64_CONSTANT (1) << 23)

static inline uint64_t
st_hdr_make (guint num_slots, guint32 hash, guint format, guint32 class_index)
{
  return ((uint64_t) (num_slots & 0xFF) << 56)
       | ((uint64_t) (hash & 0x3FFFFF) << 32)
       | ((uint64_t) (format & 0x1F) << 24)
       | (uint64_t) (class_index & 0x3FFFFF);
}

static inline uint64_t
st_hdr_with_hash (uint64_t h, guint32 hash)
{
  return (h & ~(G_GUINT64_CONSTANT (0x3FFFFF) << 32)) | ((uint64_t) (hash & 0x3FFFFF) << 32);
}

static inline uint64_t
st_hdr_with_class_index (uint64_t h, guint32 ci)
{
  return (h & ~G_GUINT64_CONSTANT (0x3FFFFF)) | (ci & 0x3FFFFF);
}

static inline uint64_t
st_hdr_with_format (uint64_t h, guint fmt)
{
  return (h & ~(G_GUINT64_CONSTANT (0x1F) << 24)) | ((uint64_t) (fmt & 0x1F) << 24);
}

static inline bool st_fmt_is_pointers (guint fmt) { return fmt <= ST_FMT_EPHEMERON; }
static inline bool st_fmt_is_bytes (guint fmt)    { return fmt >= ST_FMT_BYTES; }
static inline bool st_fmt_is_method (guint fmt)   { return fmt >= ST_FMT_METHOD; }
static inline bool st_fmt_is_indexable (guint fmt)
{
  return fmt == ST_FMT_INDEXABLE || fmt == ST_FMT_FIXED_INDEXABLE || fmt == ST_FMT_WEAK || fmt >= ST_FMT_WORDS64;
}

/* Bytes of the whole object in the heap (overflow word, header, slots,
 * padding to the 16-byte minimum), given its slot count. */
static inline uint64_t
st_object_bytes_for_slots (uint64_t num_slots)
{
  return (num_slots >= ST_OVERFLOW_SLOTS ? 16 : 8) + 8 * (num_slots == 0 ? 1 : num_slots);
}

/* Immediates in a 64-bit heap: tag 001 SmallInteger, 010 Character,
 * 100 SmallFloat64.  An oop with low three bits 000 is an object pointer. */
#define ST_TAG_MASK      7
#define ST_TAG_SMALLINT  1
#define ST_TAG_CHARACTER 2
#define ST_TAG_SMALLFLOAT 4
#define ST_SMALLINT_MIN  (-(G_GINT64_CONSTANT (1) << 60))
#define ST_SMALLINT_MAX  ((G_GINT64_CONSTANT (1) << 60) - 1)

static inline bool st_is_immediate (StOop o)  { return (o & ST_TAG_MASK) != 0; }
static inline bool st_is_pointer (StOop o)    { return (o & ST_TAG_MASK) == 0; }
static inline bool st_is_smallint (StOop o)   { return (o & ST_TAG_MASK) == ST_TAG_SMALLINT; }
/* both SmallIntegers, in one test (each tag xor 1 is 0 only for a SmallInteger) */
static inline bool st_both_smallint (StOop a, StOop b)
{
  return (((a ^ ST_TAG_SMALLINT) | (b ^ ST_TAG_SMALLINT)) & ST_TAG_MASK) == 0;
}
static inline bool st_is_character (StOop o)  { return (o & ST_TAG_MASK) == ST_TAG_CHARACTER; }
static inline bool st_is_smallfloat (StOop o) { return (o & ST_TAG_MASK) == ST_TAG_SMALLFLOAT; }

static inline int64_t st_smallint_value (StOop o) { return ((int64_t) o) >> 3; }
static inline StOop   st_smallint_oop (int64_t v) { return ((uint64_t) v << 3) | ST_TAG_SMALLINT; }
static inline bool    st_smallint_fits (int64_t v) { return v >= ST_SMALLINT_MIN && v <= ST_SMALLINT_MAX; }
static inline guint32 st_character_value (StOop o) { return (guint32) (o >> 3); }
static inline StOop   st_character_oop (guint32 cp) { return ((uint64_t) cp << 3) | ST_TAG_CHARACTER; }

/* SmallFloat64: the exponent is rebased by 896 and the sign moved to bit 3.
 * Only doubles whose exponent fits in 8 bits (after rebasing) and +/-0.0
 * are immediate; others are boxed Floats. */
#define ST_SMALLFLOAT_EXPONENT_OFFSET 896
double st_smallfloat_value (StOop o);
bool   st_smallfloat_encode (double d, StOop *out);

G_END_DECLS
