/* SPDX-License-Identifier: GPL-3.0-or-later */
/* digest.c: a canonical SHA-256 over the reachable object graph.
 *
 * Objects are numbered in the order a breadth-first walk from the special
 * objects array first meets them (the class first, then the slots in
 * order).  The visit list doubles as the queue.  Numbers are kept in one
 * array indexed by (address - segment start) / 16 plus the segment's base
 * index: every object takes at least 16 bytes, so two objects' header
 * addresses never share a 16-byte bucket.  That costs 4 bytes per 16 bytes
 * of heap and no hashing of addresses at all.  A linear heap walk first
 * marks where objects are, so a pointer into the middle of an object (or
 * anywhere else) is counted as a bad reference instead of being followed.
 *
 * A record per object, fed to the checksum through a staging buffer:
 *   class ref, one byte of format family | immutable << 7, the 22-bit
 *   identity hash in 3 bytes, the element count (LEB128), then the
 *   contents: pointers: one ref per slot; methods: the number of header
 *   and literal words (LEB128), their refs, the bytecodes; other formats:
 *   the elements' bytes as the heap holds them (little-endian).
 * A ref is 4 bytes, little-endian, with a 2-bit tag: visit number << 2
 * (objects), SmallInteger value << 2 | 1 (30-bit values), code point << 2
 * | 2 (Characters); anything else (SmallFloats, wider SmallIntegers, the
 * marker for a pointer that does not hit an object, a class index with no
 * class) is the word 3 followed by 8 bytes.  The encoding parses back
 * unambiguously, so equal digests mean equal graphs; it keeps the bytes
 * hashed close to the heap's own size (SHA-256 is the cost here). */
#include "config.h"

#include <string.h>

#include "digest.h"
#include "method.h"

#define BAD_REF    G_GUINT64_CONSTANT (0xBADBADBADBADBAD0)
#define NO_CLASS   G_GUINT64_CONSTANT (0xC1A55C1A55C1A550)
#define STAGE_BYTES (64 * 1024)
#define CLASS_CACHE 4096

enum {
  FAM_ZERO, FAM_FIXED, FAM_INDEXABLE, FAM_FIXED_INDEXABLE, FAM_WEAK, FAM_EPHEMERON,
  FAM_FORWARDED, FAM_WORDS64, FAM_WORDS32, FAM_SHORTS16, FAM_BYTES, FAM_METHOD, FAM_OTHER,
};

typedef struct {
  StVM      *vm;
  guint32   *visit;        /* per 16-byte bucket: see mark_objects */
  uint64_t  *seg_base;     /* per segment: first bucket index */
  StOop     *order;        /* objects in visit order */
  uint64_t   n, cap, max_objects;
  StOop     *class_cache;  /* class-table lookups for indices below CLASS_CACHE; 1 = not yet */
  GChecksum *sum;
  guint8    *stage;
  gsize      staged;
  StDigestStats stats;
} Digest;

static void
stage_flush (Digest *d)
{
  if (d->staged > 0)
    g_checksum_update (d->sum, d->stage, d->staged);
  d->staged = 0;
}

static inline void
stage_bytes (Digest *d, const void *p, gsize n)
{
  if (d->staged + n > STAGE_BYTES)
    {
      stage_flush (d);
      if (n > STAGE_BYTES / 2)
        {
          g_checksum_update (d->sum, p, n);
          return;
        }
    }
  memcpy (d->stage + d->staged, p, n);
  d->staged += n;
}

static inline void
stage_u64 (Digest *d, uint64_t v)
{
  v = GUINT64_TO_LE (v);
  stage_bytes (d, &v, 8);
}

static inline void
stage_u32 (Digest *d, guint32 v)
{
  v = GUINT32_TO_LE (v);
  stage_bytes (d, &v, 4);
}

static inline void
stage_leb (Digest *d, uint64_t v)
{
  guint8 buf[10];
  gsize n = 0;
  do
    {
      buf[n++] = (guint8) ((v & 0x7F) | (v >= 0x80 ? 0x80 : 0));
      v >>= 7;
    }
  while (v != 0);
  stage_bytes (d, buf, n);
}

/* A ref as ref() returns it (visit number << 3, an immediate, or a
 * marker), in its compact form. */
static inline void
stage_ref (Digest *d, uint64_t r)
{
  guint tag = r & ST_TAG_MASK;
  if (tag == 0 && (r >> 3) < (G_GUINT64_CONSTANT (1) << 30))
    {
      stage_u32 (d, (guint32) ((r >> 3) << 2));
      return;
    }
  if (tag == ST_TAG_SMALLINT)
    {
      int64_t v = ((int64_t) r) >> 3;
      if (v >= -(G_GINT64_CONSTANT (1) << 29) && v < (G_GINT64_CONSTANT (1) << 29))
        {
          stage_u32 (d, ((guint32) v << 2) | 1);
          return;
        }
    }
  if (tag == ST_TAG_CHARACTER && (r >> 3) < (G_GUINT64_CONSTANT (1) << 30))
    {
      stage_u32 (d, (guint32) ((r >> 3) << 2) | 2);
      return;
    }
  stage_u32 (d, 3);
  stage_u64 (d, r);
}

/* Visit map entries: NOT_AN_OBJECT where no object's header lies in the
 * bucket; otherwise bit 31 says the header is at bucket start + 8, and the
 * low 31 bits hold the visit number, or UNVISITED. */
#define NOT_AN_OBJECT  G_MAXUINT32
#define AT_PLUS_8      0x80000000u
#define UNVISITED      0x7FFFFFFEu

/* Mark the header of every object the heap walk finds, so that a pointer
 * counts as an object only when it hits one exactly (not a slot inside). */
static void
mark_objects (Digest *d)
{
  StVM *vm = d->vm;
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0)
    {
      const StSegment *s = &vm->segments[w.seg];
      uint64_t off = o - s->start;
      d->visit[d->seg_base[w.seg] + off / 16] = UNVISITED | ((off & 8) ? AT_PLUS_8 : 0);
    }
}

/* The visit-map slot of the object whose header is at oop, or NULL when
 * oop does not hit the header of an object the heap walk found. */
static guint32 *
entry_of (Digest *d, StOop oop)
{
  StVM *vm = d->vm;
  if ((oop & 7) != 0)
    return NULL;
  const StSegment *s = st_objmem_segment_of (vm, oop);
  if (s == NULL)
    return NULL;
  uint64_t off = oop - s->start;
  guint32 *e = &d->visit[d->seg_base[s - vm->segments] + off / 16];
  if (*e == NOT_AN_OBJECT || ((*e & AT_PLUS_8) != 0) != ((off & 8) != 0))
    return NULL;
  return e;
}

/* The ref for a slot value: numbers an object the first time it is met. */
static uint64_t
ref (Digest *d, StOop v)
{
  if (st_is_immediate (v))
    return v;
  guint32 *e = entry_of (d, v);
  if (e == NULL)
    {
      d->stats.bad_refs++;
      return BAD_REF;
    }
  guint32 num = *e & ~AT_PLUS_8;
  if (num == UNVISITED)
    {
      if (d->n >= d->max_objects)
        {
          d->stats.bad_refs++;
          return BAD_REF;
        }
      if (d->n == d->cap)
        {
          d->cap = MIN (d->cap * 2, d->max_objects);
          d->order = g_renew (StOop, d->order, d->cap);
        }
      num = (guint32) d->n;
      d->order[d->n++] = v;
      *e = num | (*e & AT_PLUS_8);
    }
  return (uint64_t) num << 3;
}

/* The class at a class-table index, reading only objects the heap walk
 * found (so a damaged table cannot send a read out of bounds), or 0. */
static StOop
class_lookup (Digest *d, guint32 index)
{
  StVM *vm = d->vm;
  StOop roots = vm->hidden_roots_obj;
  if (roots == 0 || entry_of (d, roots) == NULL)
    return 0;
  guint32 major = index >> ST_CLASS_TABLE_PAGE_SHIFT, minor = index & (ST_CLASS_TABLE_PAGE_SIZE - 1);
  if (major >= st_num_slots (vm, roots))
    return 0;
  StOop page = st_fetch (vm, roots, major);
  if (page == vm->nil_obj || entry_of (d, page) == NULL || minor >= st_num_slots (vm, page))
    return 0;
  StOop cls = st_fetch (vm, page, minor);
  return cls == vm->nil_obj || st_is_immediate (cls) ? 0 : cls;
}

/* The same, remembered for the common (low) indices: the heap does not
 * change while it is digested. */
static inline StOop
class_at (Digest *d, guint32 index)
{
  if (index >= CLASS_CACHE)
    return class_lookup (d, index);
  if (d->class_cache[index] == 1)
    d->class_cache[index] = class_lookup (d, index);
  return d->class_cache[index];
}

static guint
family_of (guint fmt)
{
  if (fmt <= ST_FMT_EPHEMERON)
    return fmt;             /* FAM_ZERO .. FAM_EPHEMERON */
  if (fmt == ST_FMT_FORWARDED)
    return FAM_FORWARDED;
  if (fmt == ST_FMT_WORDS64)
    return FAM_WORDS64;
  if (fmt >= ST_FMT_METHOD)
    return FAM_METHOD;
  if (fmt >= ST_FMT_BYTES)
    return FAM_BYTES;
  if (fmt >= ST_FMT_SHORTS16)
    return FAM_SHORTS16;
  if (fmt >= ST_FMT_WORDS32)
    return FAM_WORDS32;
  return FAM_OTHER;
}

static void
hash_object (Digest *d, StOop o)
{
  StVM *vm = d->vm;
  uint64_t hdr = st_header (vm, o);
  guint fmt = st_hdr_format (hdr);
  guint fam = family_of (fmt);
  uint64_t n = st_num_slots (vm, o);
  StOop cls = class_at (d, st_hdr_class_index (hdr));
  uint64_t cref = cls != 0 ? ref (d, cls) : NO_CLASS ^ st_hdr_class_index (hdr);

  uint64_t count;
  if (fam <= FAM_EPHEMERON || fam == FAM_FORWARDED || fam == FAM_WORDS64 || fam == FAM_OTHER)
    count = n;
  else if (fam == FAM_WORDS32)
    count = st_byte_length (vm, o) / 4;
  else if (fam == FAM_SHORTS16)
    count = st_byte_length (vm, o) / 2;
  else
    count = st_byte_length (vm, o);

  stage_ref (d, cref);
  guint32 hash = st_hdr_hash (hdr);
  guint8 rec[4] = { (guint8) (fam | (st_hdr_is_immutable (hdr) ? 0x80 : 0)), (guint8) hash, (guint8) (hash >> 8),
                    (guint8) (hash >> 16) };
  stage_bytes (d, rec, 4);
  stage_leb (d, count);
  d->stats.objects++;
  d->stats.bytes += st_object_bytes_for_slots (n);

  const uint64_t *slots = st_ptr (vm, o) + 1;
  if (fam <= FAM_EPHEMERON || fam == FAM_FORWARDED)
    {
      for (uint64_t i = 0; i < n; i++)
        stage_ref (d, ref (d, slots[i]));
      return;
    }
  if (fam == FAM_METHOD)
    {
      StMethodHeader mh;
      const char *why = NULL;
      uint64_t lits = 0;
      if (n > 0 && st_method_header (vm, o, &mh, &why))
        lits = MIN ((uint64_t) mh.num_literals + 1, n);
      stage_leb (d, lits);
      for (uint64_t i = 0; i < lits; i++)
        stage_ref (d, ref (d, slots[i]));
      uint64_t from = lits * 8;
      if (count > from)
        stage_bytes (d, (const guint8 *) slots + from, count - from);
      return;
    }
  if (fam == FAM_WORDS64 || fam == FAM_OTHER)
    stage_bytes (d, slots, n * 8);
  else if (fam == FAM_WORDS32)
    stage_bytes (d, slots, count * 4);
  else if (fam == FAM_SHORTS16)
    stage_bytes (d, slots, count * 2);
  else
    stage_bytes (d, slots, count);
}

gboolean
st_digest_full (StVM *vm, guint8 out[32], StDigestStats *stats, GError **error)
{
  if (vm->n_segments == 0 || vm->special_objects == 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID, "the heap has no objects to digest");
      return FALSE;
    }
  Digest d = { .vm = vm };
  d.seg_base = g_new (uint64_t, vm->n_segments);
  uint64_t buckets = 0;
  for (guint i = 0; i < vm->n_segments; i++)
    {
      d.seg_base[i] = buckets;
      buckets += (vm->segments[i].bytes + 15) / 16;
    }
  d.max_objects = MIN (buckets, (uint64_t) UNVISITED - 1);
  d.visit = g_try_malloc (buckets * sizeof (guint32));
  if (d.visit == NULL)
    {
      g_free (d.seg_base);
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO,
                   "cannot allocate the digest's visit map (%" G_GUINT64_FORMAT " entries)", buckets);
      return FALSE;
    }
  memset (d.visit, 0xFF, buckets * sizeof (guint32));
  mark_objects (&d);
  d.cap = MIN ((uint64_t) 65536, MAX (d.max_objects, 1));
  d.order = g_new (StOop, d.cap);
  d.sum = g_checksum_new (G_CHECKSUM_SHA256);
  d.class_cache = g_new (StOop, CLASS_CACHE);
  for (guint i = 0; i < CLASS_CACHE; i++)
    d.class_cache[i] = 1;
  d.stage = g_malloc (STAGE_BYTES);

  gboolean ok = TRUE;
  if (ref (&d, vm->special_objects) == BAD_REF)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                   "the special objects array 0x%" G_GINT64_MODIFIER "x is not a well-formed object",
                   vm->special_objects);
      ok = FALSE;
    }
  for (uint64_t i = 0; ok && i < d.n; i++)
    hash_object (&d, d.order[i]);
  if (ok)
    {
      stage_flush (&d);
      gsize len = 32;
      g_checksum_get_digest (d.sum, out, &len);
      if (stats != NULL)
        *stats = d.stats;
    }
  g_checksum_free (d.sum);
  g_free (d.class_cache);
  g_free (d.stage);
  g_free (d.order);
  g_free (d.visit);
  g_free (d.seg_base);
  return ok;
}

gboolean
st_digest (StVM *vm, guint8 out[32], GError **error)
{
  return st_digest_full (vm, out, NULL, error);
}

char *
st_digest_hex (const guint8 digest[32])
{
  char *s = g_malloc (65);
  for (int i = 0; i < 32; i++)
    g_snprintf (s + 2 * i, 3, "%02x", digest[i]);
  return s;
}
