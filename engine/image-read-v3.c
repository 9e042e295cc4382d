/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-read-v3.c: V3 images (6502, 6504, 6505; either byte order) into the
 * Spur 64 heap.  engine/image-v3.h describes the conversion.
 *
 * Three passes over the object data, which is read into memory once:
 *   1. scan: decode every header (1, 2 or 3 words, or a free block), check
 *      sizes against the data, compute each object's 64-bit size, and fill
 *      a map from V3 address to object record (one entry per 32-bit word);
 *   2. classes: resolve class words and compact class indices through the
 *      map, give every class its index, place every object;
 *   3. convert: write each object at its new address, pointers translated
 *      through the map, then the free lists and class table.
 * Every read is bounded by the data length; a damaged object stops the scan
 * (strict mode: an error naming the file offset; salvage mode: a defect and
 * a heap of the objects before it).
 *
 * Memory besides the heap (about 1.4x the data for real images): the data
 * itself unless it comes from a buffer, one map word per data word, and 40
 * bytes per object; all freed when the read ends.  Measured on this machine:
 * Scratch.image (5.7 MB) 15 ms from memory, 19 ms from the file; Cuis 4.1
 * (4.0 MB) 8 ms / 12 ms, i.e. 300-500 MB/s. */
#include "config.h"

#include <string.h>

#include "image-v3.h"

enum {
  V3_TYPE_3WORD = 0,
  V3_TYPE_2WORD = 1,
  V3_TYPE_FREE = 2,
  V3_TYPE_SHORT = 3,
};

enum {
  REC_IS_CLASS = 1 << 0,
  REC_IS_FREE = 1 << 1,
  REC_IS_NFT = 1 << 2,        /* nil, false or true: placed first */
};

#define MAX_DEFECTS 1000
#define V3_MIN_HEAP_BASE 0x1000

typedef struct {
  guint32 off;        /* data offset of the object's first header word */
  guint32 hdr;        /* data offset of its base header (its oop minus the old base) */
  guint32 words;      /* 32-bit words after the base header; free blocks: all their words */
  guint32 cls_raw;    /* the class word (types 0, 1) or compact class index (type 3) */
  guint32 cls;        /* record index + 1 of its class, 0 when unresolved */
  guint32 ci;         /* the class index given to this object when it is a class */
  guint32 new_slots;
  guint16 hash;
  guint8  type;
  guint8  fmt;        /* V3 format */
  guint8  new_fmt;
  guint8  flags;
  guint8  gc;         /* top two bits of the base header */
  guint8  cc_field;   /* compact class field of the base header */
  guint8  cc_of;      /* when a class: its place (1-based) in the compact classes array */
  guint8  size_bits;  /* size field of a type-0 base header */
} Rec;

typedef struct {
  StVM          *vm;
  StSrc         *src;
  StReadFlags    flags;
  GError       **error;
  const guint8  *d;            /* object data */
  guint32        dlen;
  uint64_t       data_off;     /* file offset of d[0] */
  guint32        base;         /* V3 old base address */
  bool           be;
  Rec           *recs;
  guint32        n;
  guint32       *map;          /* dlen / 4 entries: record index + 1 of the object whose base header is there */
  StOop         *addr;         /* new oop per record */
  guint          n_defects;
  guint32        soa, nil, fls, tru, ccarr;   /* record index + 1 */
  guint32        float_cls, mctx_cls, bctx_cls, closure_cls;
  guint32        fallback_ci[4];              /* pointers, words, bytes, methods */
} V3Reader;

static inline guint32
rd32 (const V3Reader *r, guint32 off)
{
  guint32 v;
  memcpy (&v, r->d + off, 4);
  return r->be ? GUINT32_FROM_BE (v) : GUINT32_FROM_LE (v);
}

/* A defect at data offset `off`.  Strict mode: set the error, return FALSE.
 * Salvage mode: record it (at most MAX_DEFECTS), return TRUE to go on. */
static gboolean G_GNUC_PRINTF (5, 6)
v3_defect (V3Reader *r, int code, uint64_t off, StOop addr, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  uint64_t file_off = off == G_MAXUINT64 ? off : r->data_off + off;
  if (!(r->flags & ST_READ_SALVAGE))
    {
      if (r->error != NULL && *r->error == NULL)
        g_set_error (r->error, ST_IMAGE_ERROR, code, "%s: offset %" G_GUINT64_FORMAT ": %s",
                     r->src->name, file_off, what);
      return FALSE;
    }
  if (r->n_defects < MAX_DEFECTS)
    st_vm_add_defect (r->vm, code, file_off, addr, "%s", what);
  else if (r->n_defects == MAX_DEFECTS)
    st_vm_add_defect (r->vm, code, G_MAXUINT64, 0, "more than %d defects; the rest are not listed", MAX_DEFECTS);
  r->n_defects++;
  return TRUE;
}

/* Record index + 1 of the object whose oop is v, or 0. */
static inline guint32
lookup (const V3Reader *r, guint32 v)
{
  guint32 off = v - r->base;
  if ((v & 3) != 0 || off >= r->dlen)
    return 0;
  return r->map[off >> 2];
}

static inline guint32
slot_word (const V3Reader *r, const Rec *rec, guint32 i)
{
  return rd32 (r, rec->hdr + 4 + 4 * i);
}

/* ---- pass 1: scan ---- */

static gboolean
size_object (V3Reader *r, Rec *rec)
{
  guint32 w = rec->words;
  guint fmt = rec->fmt;
  if (fmt == 5 || fmt == 7)
    {
      if (!v3_defect (r, ST_IMAGE_ERROR_BAD_OBJECT, rec->off, 0,
                      "object at V3 address 0x%08x has format %u, which V3 does not use; kept as words",
                      r->base + rec->hdr, fmt))
        return FALSE;
      rec->fmt = fmt = 6;
    }
  if (fmt <= 4)
    {
      rec->new_slots = w;
      rec->new_fmt = fmt;
      if (fmt == 0 && w > 0)
        rec->new_fmt = ST_FMT_FIXED;
      return TRUE;
    }
  if (fmt == 6)
    {
      rec->new_slots = (w + 1) / 2;
      rec->new_fmt = ST_FMT_WORDS32 + (w & 1);
      return TRUE;
    }
  uint64_t nbytes = (uint64_t) w * 4;
  if (nbytes < (fmt & 3))
    {
      if (!v3_defect (r, ST_IMAGE_ERROR_BAD_OBJECT, rec->off, 0,
                      "object at V3 address 0x%08x has %u unused bytes in a body of %u words",
                      r->base + rec->hdr, fmt & 3, w))
        return FALSE;
      nbytes = 0;
      rec->fmt = fmt = fmt & ~3u;
    }
  else
    nbytes -= fmt & 3;
  if (fmt < 12)
    {
      rec->new_slots = (guint32) ((nbytes + 7) / 8);
      rec->new_fmt = ST_FMT_BYTES + (guint) (rec->new_slots * 8 - nbytes);
      return TRUE;
    }
  /* CompiledMethod: a SmallInteger header, literals, bytecodes. */
  guint32 h = w >= 1 ? slot_word (r, rec, 0) : 0;
  guint32 nlits = (h >> 10) & 0xFF;
  if (w < 1 || (h & 1) == 0 || (uint64_t) (1 + nlits) * 4 > nbytes)
    {
      if (!v3_defect (r, ST_IMAGE_ERROR_BAD_OBJECT, rec->off, 0,
                      "CompiledMethod at V3 address 0x%08x: header 0x%08x does not fit its %" G_GUINT64_FORMAT
                      " bytes; kept as a byte object", r->base + rec->hdr, h, nbytes))
        return FALSE;
      rec->fmt = 8 + (fmt & 3);
      rec->new_slots = (guint32) ((nbytes + 7) / 8);
      rec->new_fmt = ST_FMT_BYTES + (guint) (rec->new_slots * 8 - nbytes);
      return TRUE;
    }
  uint64_t bc = nbytes - (uint64_t) (1 + nlits) * 4;
  uint64_t bc_slots = (bc + 7) / 8;
  rec->new_slots = (guint32) (1 + nlits + bc_slots);
  rec->new_fmt = ST_FMT_METHOD + (guint) (bc_slots * 8 - bc);
  return TRUE;
}

static void
add_rec (V3Reader *r, const Rec *rec, guint32 *cap)
{
  if (r->n == *cap)
    {
      *cap = *cap * 2;
      r->recs = g_renew (Rec, r->recs, *cap);
    }
  r->recs[r->n++] = *rec;
}

/* Stop the scan at `off`: strict mode fails (the error is already set);
 * salvage mode records that the rest of the data is dropped. */
static gboolean
scan_stop (V3Reader *r, guint32 off)
{
  if (!(r->flags & ST_READ_SALVAGE))
    return FALSE;
  v3_defect (r, ST_IMAGE_ERROR_BAD_OBJECT, off, 0,
             "the remaining %u bytes of object data are dropped", r->dlen - off);
  return TRUE;
}

static gboolean
scan (V3Reader *r)
{
  guint32 cap = r->dlen / 40 + 64;
  r->recs = g_new (Rec, cap);
  r->map = g_new0 (guint32, r->dlen / 4 + 1);
  guint32 pos = 0;
  guint32 next_progress = 1 << 20;
  while (pos < r->dlen)
    {
      if (r->src->progress != NULL && pos >= next_progress)
        {
          next_progress = pos + (1 << 20);
          if (!r->src->progress (0.5 * pos / r->dlen, r->src->progress_data))
            {
              g_set_error (r->error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: reading cancelled", r->src->name);
              return FALSE;
            }
        }
      guint32 left = r->dlen - pos;
      if (left < 4)
        {
          if (!v3_defect (r, ST_IMAGE_ERROR_TRUNCATED, pos, 0,
                          "%u stray bytes at the end of the object data", left))
            return FALSE;
          break;
        }
      Rec rec = { 0 };
      rec.off = pos;
      guint32 h = rd32 (r, pos);
      rec.type = h & 3;
      guint32 bh, words_incl;
      if (rec.type == V3_TYPE_FREE)
        {
          guint32 bytes = h & ~3u;
          if (bytes < 4 || bytes > left)
            {
              v3_defect (r, ST_IMAGE_ERROR_BAD_OBJECT, pos, 0,
                         "free block header 0x%08x claims %u bytes but %u remain", h, bytes, left);
              return scan_stop (r, pos);
            }
          rec.hdr = pos;
          rec.words = bytes / 4;
          rec.flags = REC_IS_FREE;
          rec.new_slots = rec.words > 2 ? rec.words - 1 : 1;
          add_rec (r, &rec, &cap);
          pos += bytes;
          continue;
        }
      if (rec.type == V3_TYPE_3WORD)
        {
          if (left < 12)
            {
              v3_defect (r, ST_IMAGE_ERROR_TRUNCATED, pos, 0,
                         "a 3-word object header needs 12 bytes but %u remain", left);
              return scan_stop (r, pos);
            }
          guint32 cw = rd32 (r, pos + 4);
          bh = rd32 (r, pos + 8);
          if ((cw & 3) != V3_TYPE_3WORD || (bh & 3) != V3_TYPE_3WORD)
            {
              v3_defect (r, ST_IMAGE_ERROR_BAD_OBJECT, pos, 0,
                         "3-word header: class word 0x%08x and base header 0x%08x must have header type 0",
                         cw, bh);
              return scan_stop (r, pos);
            }
          words_incl = h >> 2;
          rec.cls_raw = cw;
          rec.hdr = pos + 8;
          rec.size_bits = (bh >> 2) & 63;
        }
      else if (rec.type == V3_TYPE_2WORD)
        {
          if (left < 8)
            {
              v3_defect (r, ST_IMAGE_ERROR_TRUNCATED, pos, 0,
                         "a 2-word object header needs 8 bytes but %u remain", left);
              return scan_stop (r, pos);
            }
          bh = rd32 (r, pos + 4);
          if ((bh & 3) != V3_TYPE_2WORD)
            {
              v3_defect (r, ST_IMAGE_ERROR_BAD_OBJECT, pos, 0,
                         "2-word header: base header 0x%08x must have header type 1", bh);
              return scan_stop (r, pos);
            }
          words_incl = (bh >> 2) & 63;
          rec.cls_raw = h & ~3u;
          rec.hdr = pos + 4;
        }
      else
        {
          bh = h;
          words_incl = (bh >> 2) & 63;
          rec.cls_raw = (bh >> 12) & 31;
          rec.hdr = pos;
          if (rec.cls_raw == 0)
            {
              v3_defect (r, ST_IMAGE_ERROR_BAD_OBJECT, pos, 0,
                         "1-word header 0x%08x has no compact class index", bh);
              return scan_stop (r, pos);
            }
        }
      if (words_incl == 0 || words_incl > (r->dlen - rec.hdr) / 4)
        {
          v3_defect (r, ST_IMAGE_ERROR_BAD_OBJECT, pos, 0,
                     "object header (type %u, base header 0x%08x) gives a size of %u words, "
                     "but %u bytes of data remain", rec.type, bh, words_incl, r->dlen - rec.hdr);
          return scan_stop (r, pos);
        }
      rec.words = words_incl - 1;
      rec.fmt = (bh >> 8) & 15;
      rec.hash = (bh >> 17) & 0xFFF;
      rec.gc = bh >> 30;
      rec.cc_field = (bh >> 12) & 31;
      if (!size_object (r, &rec))
        return FALSE;
      r->map[rec.hdr >> 2] = r->n + 1;
      add_rec (r, &rec, &cap);
      pos = rec.hdr + 4 * words_incl;
    }
  return TRUE;
}

/* ---- pass 2: classes and placement ---- */

/* Record index + 1 of SOA slot i when it is an object, else 0. */
static guint32
soa_at (const V3Reader *r, guint i)
{
  const Rec *soa = &r->recs[r->soa - 1];
  if (i >= soa->words)
    return 0;
  return lookup (r, slot_word (r, soa, i));
}

/* Does record k look like a class (pointers, superclass, methodDict and a
 * SmallInteger format)? */
static bool
looks_like_class (const V3Reader *r, guint32 k)
{
  if (k == 0)
    return false;
  const Rec *c = &r->recs[k - 1];
  return c->fmt <= 4 && c->words >= 3 && (slot_word (r, c, 2) & 1) == 1;
}

static gboolean
find_roots (V3Reader *r)
{
  StImageHeader *h = &r->vm->header;
  r->soa = lookup (r, (guint32) h->special_objects_oop);
  if (r->soa == 0 || r->recs[r->soa - 1].fmt > 4 || r->recs[r->soa - 1].words < 3)
    {
      g_set_error (r->error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: offset %u: the special objects oop 0x%08x is not a pointer object with nil, false "
                   "and true", r->src->name, r->vm->personality.header_offset + 16,
                   (guint32) h->special_objects_oop);
      return FALSE;
    }
  guint32 *nft[3] = { &r->nil, &r->fls, &r->tru };
  for (guint i = 0; i < 3; i++)
    {
      *nft[i] = soa_at (r, i);
      if (*nft[i] == 0)
        {
          const Rec *soa = &r->recs[r->soa - 1];
          g_set_error (r->error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                       "%s: offset %" G_GUINT64_FORMAT ": special objects array slot %u (%s) holds 0x%08x, "
                       "which is not an object", r->src->name, r->data_off + soa->hdr + 4 + 4 * i, i,
                       i == 0 ? "nil" : i == 1 ? "false" : "true", slot_word (r, soa, i));
          return FALSE;
        }
      if ((i == 1 && r->fls == r->nil) || (i == 2 && (r->tru == r->nil || r->tru == r->fls)))
        {
          g_set_error (r->error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                       "%s: nil, false and true in the special objects array are not three objects",
                       r->src->name);
          return FALSE;
        }
      r->recs[*nft[i] - 1].flags |= REC_IS_NFT;
    }
  r->ccarr = soa_at (r, ST_SPLOB_COMPACT_CLASSES);
  if (r->ccarr != 0 && r->recs[r->ccarr - 1].fmt > 4)
    r->ccarr = 0;
  return TRUE;
}

static gboolean
resolve_classes (V3Reader *r)
{
  /* The compact classes' places. */
  if (r->ccarr != 0)
    {
      const Rec *cc = &r->recs[r->ccarr - 1];
      for (guint32 i = 0; i < cc->words && i < 31; i++)
        {
          guint32 k = lookup (r, slot_word (r, cc, i));
          if (k != 0 && k != r->nil && r->recs[k - 1].cc_of == 0)
            r->recs[k - 1].cc_of = i + 1;
        }
    }
  for (guint32 i = 0; i < r->n; i++)
    {
      Rec *rec = &r->recs[i];
      if (rec->flags & REC_IS_FREE)
        continue;
      guint32 k;
      if (rec->type == V3_TYPE_SHORT)
        {
          k = 0;
          if (r->ccarr != 0 && rec->cls_raw - 1 < r->recs[r->ccarr - 1].words)
            k = lookup (r, slot_word (r, &r->recs[r->ccarr - 1], rec->cls_raw - 1));
          if (k == 0 || k == r->nil)
            {
              if (!v3_defect (r, ST_IMAGE_ERROR_BAD_OBJECT, rec->off, r->base + rec->hdr,
                              "object at V3 address 0x%08x has compact class index %u, which names no class",
                              r->base + rec->hdr, rec->cls_raw))
                return FALSE;
              continue;
            }
        }
      else
        {
          k = lookup (r, rec->cls_raw);
          if (k == 0)
            {
              if (!v3_defect (r, ST_IMAGE_ERROR_BAD_OBJECT, rec->off, r->base + rec->hdr,
                              "object at V3 address 0x%08x has class pointer 0x%08x, which is not an object",
                              r->base + rec->hdr, rec->cls_raw))
                return FALSE;
              continue;
            }
        }
      rec->cls = k;
      r->recs[k - 1].flags |= REC_IS_CLASS;
    }
  /* Classes the VM knows by their special objects array slot. */
  static const guint soa_classes[] = {
    ST_SPLOB_CLASS_BITMAP, ST_SPLOB_CLASS_SMALLINTEGER, ST_SPLOB_CLASS_BYTESTRING, ST_SPLOB_CLASS_ARRAY,
    ST_SPLOB_CLASS_FLOAT, ST_SPLOB_CLASS_METHOD_CONTEXT, ST_SPLOB_CLASS_BLOCK_CONTEXT, ST_SPLOB_CLASS_POINT,
    ST_SPLOB_CLASS_LARGE_POSITIVE_INTEGER, ST_SPLOB_CLASS_MESSAGE, ST_SPLOB_CLASS_COMPILED_METHOD,
    ST_SPLOB_CLASS_SEMAPHORE, ST_SPLOB_CLASS_CHARACTER, ST_SPLOB_CLASS_BYTE_ARRAY, ST_SPLOB_CLASS_PROCESS,
    36 /* BlockClosure (closure images) */, ST_SPLOB_CLASS_LARGE_NEGATIVE_INTEGER,
    43, 44, 45, 46, 47 /* ExternalAddress, ExternalStructure, ExternalData, ExternalFunction, ExternalLibrary */,
  };
  for (gsize i = 0; i < G_N_ELEMENTS (soa_classes); i++)
    {
      if (soa_classes[i] == 36 && !r->vm->personality.closures)
        continue;   /* a 6502 image keeps something else there */
      guint32 k = soa_at (r, soa_classes[i]);
      if (k != r->nil && looks_like_class (r, k))
        r->recs[k - 1].flags |= REC_IS_CLASS;
    }
  r->float_cls = soa_at (r, ST_SPLOB_CLASS_FLOAT);
  r->mctx_cls = soa_at (r, ST_SPLOB_CLASS_METHOD_CONTEXT);
  r->bctx_cls = soa_at (r, ST_SPLOB_CLASS_BLOCK_CONTEXT);
  r->closure_cls = r->vm->personality.closures ? soa_at (r, 36) : 0;
  guint32 *fc[] = { &r->float_cls, &r->mctx_cls, &r->bctx_cls, &r->closure_cls };
  for (gsize i = 0; i < G_N_ELEMENTS (fc); i++)
    if (*fc[i] == r->nil || !looks_like_class (r, *fc[i]))
      *fc[i] = 0;
  return TRUE;
}

static gboolean
assign_class_indices (V3Reader *r, guint *n_pages, bool pages[ST_CLASS_TABLE_ROOT_SLOTS])
{
  g_autofree guint8 *used = g_malloc0 ((ST_MAX_CLASS_INDEX >> 3) + 1);
  guint32 n_classes = 0;
  for (guint32 i = 0; i < r->n; i++)
    {
      Rec *rec = &r->recs[i];
      if (!(rec->flags & REC_IS_CLASS))
        continue;
      guint32 idx = rec->hash;
      while (idx < ST_CLASS_INDEX_FIRST_REAL || (used[idx >> 3] & (1 << (idx & 7))))
        {
          idx += 4096;
          if (idx > ST_MAX_CLASS_INDEX)
            {
              g_set_error (r->error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED,
                           "%s: offset %" G_GUINT64_FORMAT ": too many classes share the identity hash %u "
                           "to give each a class index", r->src->name, r->data_off + rec->off, rec->hash);
              return FALSE;
            }
        }
      used[idx >> 3] |= 1 << (idx & 7);
      rec->ci = idx;
      pages[idx >> ST_CLASS_TABLE_PAGE_SHIFT] = true;
      n_classes++;
    }
  pages[0] = true;
  *n_pages = 0;
  for (guint i = 0; i < ST_CLASS_TABLE_ROOT_SLOTS; i++)
    *n_pages += pages[i];
  /* Where objects whose class cannot be resolved go in salvage mode: an
   * Array, Bitmap, ByteArray or CompiledMethod, by format; a hidden-object
   * pun when the image does not even name those. */
  static const guint fallback_soa[4] = {
    ST_SPLOB_CLASS_ARRAY, ST_SPLOB_CLASS_BITMAP, ST_SPLOB_CLASS_BYTE_ARRAY, ST_SPLOB_CLASS_COMPILED_METHOD,
  };
  for (guint i = 0; i < 4; i++)
    {
      guint32 k = soa_at (r, fallback_soa[i]);
      r->fallback_ci[i] = k != 0 && r->recs[k - 1].ci != 0 ? r->recs[k - 1].ci : ST_CLASS_INDEX_ARRAY_PUN;
    }
  return TRUE;
}

static guint32
class_index_of (const V3Reader *r, const Rec *rec)
{
  if (rec->cls != 0)
    return r->recs[rec->cls - 1].ci;
  if (rec->new_fmt >= ST_FMT_METHOD)
    return r->fallback_ci[3];
  if (rec->new_fmt >= ST_FMT_BYTES)
    return r->fallback_ci[2];
  if (rec->new_fmt >= ST_FMT_WORDS32)
    return r->fallback_ci[1];
  return r->fallback_ci[0];
}

/* ---- pass 3: conversion ---- */

static inline StOop
put_header (StVM *vm, StOop start, uint64_t slots, guint32 hash, guint fmt, guint32 ci)
{
  uint64_t *p = st_ptr (vm, start);
  if (slots >= ST_OVERFLOW_SLOTS)
    {
      p[0] = (G_GUINT64_CONSTANT (0xFF) << 56) | slots;
      p[1] = st_hdr_make (ST_OVERFLOW_SLOTS, hash, fmt, ci);
      if (slots == 0)
        p[2] = 0;
      return start + 8;
    }
  p[0] = st_hdr_make ((guint) slots, hash, fmt, ci);
  if (slots == 0)
    p[1] = 0;   /* the pad slot of an empty object */
  return start;
}

static inline StOop
convert_pointer (V3Reader *r, guint32 v, const Rec *rec, guint32 i, gboolean *ok)
{
  if (v & 1)
    return st_smallint_oop ((gint32) v >> 1);
  guint32 k = lookup (r, v);
  if (G_LIKELY (k != 0))
    return r->addr[k - 1];
  if (!v3_defect (r, ST_IMAGE_ERROR_BAD_OBJECT, rec->hdr + 4 + 4 * i, r->addr[rec - r->recs],
                  "slot %u of the object at V3 address 0x%08x holds 0x%08x, which is not an object%s",
                  i, r->base + rec->hdr, v, (r->flags & ST_READ_SALVAGE) ? "; replaced by nil" : ""))
    *ok = FALSE;
  return r->addr[r->nil - 1];
}

/* The literal count of the method whose V3 oop is v, or -1. */
static int
method_literals (const V3Reader *r, guint32 v)
{
  guint32 k = lookup (r, v);
  if (k == 0)
    return -1;
  const Rec *m = &r->recs[k - 1];
  if (m->fmt < 12 || m->words < 1)
    return -1;
  return (slot_word (r, m, 0) >> 10) & 0xFF;
}

/* The method of the context whose V3 oop is v (slot 3), or 0. */
static guint32
context_method (const V3Reader *r, guint32 v)
{
  guint32 k = lookup (r, v);
  if (k == 0 || r->recs[k - 1].fmt > 4 || r->recs[k - 1].words < 4)
    return 0;
  return slot_word (r, &r->recs[k - 1], 3);
}

static void
shift_pc (StVM *vm, StOop obj, guint slot, int nlits)
{
  StOop pc = st_fetch (vm, obj, slot);
  if (nlits >= 0 && st_is_smallint (pc))
    st_store (vm, obj, slot, st_smallint_oop (st_smallint_value (pc) + (nlits + 1) * 4));
}

/* Context pcs and closure startpcs count bytes from the method's first
 * slot: its literals got 4 bytes longer each. */
static void
fix_pcs (V3Reader *r, const Rec *rec, StOop obj)
{
  guint32 cls = rec->cls;
  if (cls == 0 || rec->fmt > 4)
    return;
  if (cls == r->mctx_cls && rec->words >= 4)
    shift_pc (r->vm, obj, 1, method_literals (r, slot_word (r, rec, 3)));
  else if (cls == r->bctx_cls && rec->words >= 6)
    {
      int nlits = method_literals (r, context_method (r, slot_word (r, rec, 5)));
      shift_pc (r->vm, obj, 1, nlits);
      shift_pc (r->vm, obj, 4, nlits);
    }
  else if (cls == r->closure_cls && rec->words >= 3)
    shift_pc (r->vm, obj, 1, method_literals (r, context_method (r, slot_word (r, rec, 0))));
}

static gboolean
convert_object (V3Reader *r, const Rec *rec, StOop start)
{
  StVM *vm = r->vm;
  gboolean ok = TRUE;
  guint32 ci = class_index_of (r, rec);
  guint32 hash = (rec->flags & REC_IS_CLASS) ? rec->ci : (rec->hash | ST_V3_HASH_PRESENT);
  StOop obj = put_header (vm, start, rec->new_slots, hash, rec->new_fmt, ci);
  uint64_t *body = st_ptr (vm, obj) + 1;
  const guint8 *src = r->d + rec->hdr + 4;
  guint fmt = rec->fmt;
  if (fmt <= 4)
    {
      for (guint32 i = 0; i < rec->words; i++)
        body[i] = convert_pointer (r, rd32 (r, rec->hdr + 4 + 4 * i), rec, i, &ok);
      fix_pcs (r, rec, obj);
    }
  else if (fmt == 6)
    {
      if (rec->words == 2 && rec->cls != 0 && rec->cls == r->float_cls)
        {
          guint32 w0 = rd32 (r, rec->hdr + 4), w1 = rd32 (r, rec->hdr + 8);
          bool low_first = vm->personality.native_floats && !r->be;
          body[0] = low_first ? ((uint64_t) w1 << 32 | w0) : ((uint64_t) w0 << 32 | w1);
        }
      else
        {
          guint32 *out = (guint32 *) body;
          if (r->be)
            for (guint32 i = 0; i < rec->words; i++)
              out[i] = rd32 (r, rec->hdr + 4 + 4 * i);
          else
            {
              memcpy (out, src, (gsize) rec->words * 4);
#if G_BYTE_ORDER == G_BIG_ENDIAN
              for (guint32 i = 0; i < rec->words; i++)
                out[i] = GUINT32_FROM_LE (out[i]);
#endif
            }
          if (rec->words & 1)
            out[rec->words] = 0;
        }
    }
  else if (fmt < 12)
    {
      gsize nbytes = (gsize) rec->words * 4 - (fmt & 3);
      memcpy (body, src, nbytes);
      memset ((guint8 *) body + nbytes, 0, (gsize) rec->new_slots * 8 - nbytes);
    }
  else
    {
      guint32 h = rd32 (r, rec->hdr + 4);
      guint32 nlits = (h >> 10) & 0xFF;
      body[0] = st_smallint_oop ((gint32) h >> 1);
      for (guint32 i = 1; i <= nlits; i++)
        body[i] = convert_pointer (r, rd32 (r, rec->hdr + 4 + 4 * i), rec, i, &ok);
      gsize nbytes = (gsize) rec->words * 4 - (fmt & 3) - (gsize) (1 + nlits) * 4;
      guint8 *bc = (guint8 *) (body + 1 + nlits);
      memcpy (bc, src + (gsize) (1 + nlits) * 4, nbytes);
      memset (bc + nbytes, 0, ((nbytes + 7) & ~(gsize) 7) - nbytes);
    }
  return ok;
}

/* Free chunks: lists 1..63 by size in 8-byte units; head 0 is the root of a
 * binary tree of larger chunks ordered by size, each node heading a list of
 * chunks of its size (slot 0 next, 1 prev, 2 parent, 3 smaller, 4 larger). */
static void
link_free_chunk (StVM *vm, StOop chunk, guint64 limit)
{
  StOop fl = vm->free_lists_obj;
  uint64_t units = (st_object_end (vm, chunk) - st_object_start (vm, chunk)) / 8;
  uint64_t *c = st_ptr (vm, chunk) + 1;
  if (units < ST_NUM_FREE_LISTS)
    {
      StOop head = st_fetch (vm, fl, units);
      c[0] = head;
      if (units > 2)
        {
          c[1] = 0;
          if (head != 0)
            st_ptr (vm, head)[2] = chunk;
        }
      st_store (vm, fl, units, chunk);
      return;
    }
  for (int i = 0; i < 5; i++)
    c[i] = 0;
  StOop node = st_fetch (vm, fl, 0);
  if (node == 0)
    {
      st_store (vm, fl, 0, chunk);
      return;
    }
  for (guint64 steps = 0; steps <= limit; steps++)
    {
      uint64_t *n = st_ptr (vm, node) + 1;
      uint64_t nunits = (st_object_end (vm, node) - st_object_start (vm, node)) / 8;
      if (nunits == units)
        {
          c[0] = n[0];
          c[1] = node;
          if (n[0] != 0)
            st_ptr (vm, n[0])[2] = chunk;
          n[0] = chunk;
          return;
        }
      int side = units < nunits ? 3 : 4;
      if (n[side] == 0)
        {
          n[side] = chunk;
          c[2] = node;
          return;
        }
      node = n[side];
    }
}

static void
layout_free (gpointer p)
{
  StV3Layout *l = p;
  g_free (l->notes);
  g_free (l->prefix);
  g_free (l->trailer);
  g_free (l);
}

static void
add_note (GArray *notes, StOop oop, StV3NoteKind kind, guint32 value)
{
  StV3Note n = { .oop = oop, .value = value, .kind = kind };
  g_array_append_val (notes, n);
}

static gint
compare_notes (gconstpointer a, gconstpointer b)
{
  const StV3Note *x = a, *y = b;
  if (x->oop != y->oop)
    return x->oop < y->oop ? -1 : 1;
  return (int) x->kind - (int) y->kind;
}

#define RESERVE_MIN (G_GUINT64_CONSTANT (1) << 32)

static gboolean
build_heap (V3Reader *r, guint n_pages, const bool pages[ST_CLASS_TABLE_ROOT_SLOTS])
{
  StVM *vm = r->vm;
  /* Sizes and places. */
  StOop base = r->base & ~(StOop) 7;
  if (base < V3_MIN_HEAP_BASE)
    base = V3_MIN_HEAP_BASE;
  r->addr = g_new (StOop, r->n);
  StOop cur = base;
  guint32 nft[3] = { r->nil, r->fls, r->tru };
  for (int i = 0; i < 3; i++)
    {
      const Rec *rec = &r->recs[nft[i] - 1];
      r->addr[nft[i] - 1] = cur + (rec->new_slots >= ST_OVERFLOW_SLOTS ? 8 : 0);
      cur += st_object_bytes_for_slots (rec->new_slots);
    }
  StOop fl_start = cur;
  cur += st_object_bytes_for_slots (ST_NUM_FREE_LISTS);
  StOop roots_start = cur;
  cur += st_object_bytes_for_slots (ST_CLASS_TABLE_ROOT_SLOTS + ST_HIDDEN_ROOT_SLOTS);
  StOop pages_start = cur;
  cur += (uint64_t) n_pages * st_object_bytes_for_slots (ST_CLASS_TABLE_PAGE_SIZE);
  StOop first_object = cur;
  for (guint32 i = 0; i < r->n; i++)
    {
      const Rec *rec = &r->recs[i];
      if (rec->flags & REC_IS_NFT)
        continue;
      r->addr[i] = cur + (rec->new_slots >= ST_OVERFLOW_SLOTS ? 8 : 0);
      cur += st_object_bytes_for_slots (rec->new_slots);
    }
  uint64_t total = cur - base + ST_BRIDGE_BYTES;
  uint64_t reserve = MAX (RESERVE_MIN, total * 4 + (G_GUINT64_CONSTANT (64) << 20));
  if (!st_objmem_init (vm, base, reserve, total, r->error))
    return FALSE;
  StSegment *seg = st_objmem_add_segment (vm, base, total);
  seg->file_start = r->base;
  seg->file_offset = r->data_off;
  StOop nil = r->addr[r->nil - 1];
  vm->nil_obj = nil;
  vm->false_obj = r->addr[r->fls - 1];
  vm->true_obj = r->addr[r->tru - 1];
  vm->special_objects = r->addr[r->soa - 1];

  /* The hidden objects. */
  vm->free_lists_obj = put_header (vm, fl_start, ST_NUM_FREE_LISTS, 0, ST_FMT_WORDS64, ST_CLASS_INDEX_LONGS64_PUN);
  memset (st_ptr (vm, vm->free_lists_obj) + 1, 0, ST_NUM_FREE_LISTS * 8);
  vm->hidden_roots_obj = put_header (vm, roots_start, ST_CLASS_TABLE_ROOT_SLOTS + ST_HIDDEN_ROOT_SLOTS, 0,
                                     ST_FMT_INDEXABLE, ST_CLASS_INDEX_ARRAY_PUN);
  for (guint i = 0; i < ST_CLASS_TABLE_ROOT_SLOTS + ST_HIDDEN_ROOT_SLOTS; i++)
    st_store (vm, vm->hidden_roots_obj, i, nil);
  StOop page_at = pages_start;
  for (guint i = 0; i < ST_CLASS_TABLE_ROOT_SLOTS; i++)
    {
      if (!pages[i])
        continue;
      StOop page = put_header (vm, page_at, ST_CLASS_TABLE_PAGE_SIZE, 0, ST_FMT_INDEXABLE, ST_CLASS_INDEX_ARRAY_PUN);
      for (guint j = 0; j < ST_CLASS_TABLE_PAGE_SIZE; j++)
        st_store (vm, page, j, nil);
      st_store (vm, vm->hidden_roots_obj, i, page);
      page_at += st_object_bytes_for_slots (ST_CLASS_TABLE_PAGE_SIZE);
    }

  /* Every object, and what the V3 writer will need. */
  g_autoptr (GArray) notes = g_array_new (FALSE, FALSE, sizeof (StV3Note));
  StV3Layout *layout = g_new0 (StV3Layout, 1);
  guint64 before = 0;
  guint nft_seen = 0;
  guint64 n_free = 0;
  gboolean ok = TRUE;
  guint32 next_progress = 4096;
  for (guint32 i = 0; i < r->n; i++)
    {
      const Rec *rec = &r->recs[i];
      StOop obj = r->addr[i];
      StOop start = rec->new_slots >= ST_OVERFLOW_SLOTS ? obj - 8 : obj;
      if (r->src->progress != NULL && i >= next_progress)
        {
          next_progress = i + 4096;
          if (!r->src->progress (0.5 + 0.5 * i / r->n, r->src->progress_data))
            {
              g_set_error (r->error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: reading cancelled", r->src->name);
              ok = FALSE;
              break;
            }
        }
      if (rec->flags & REC_IS_FREE)
        {
          StOop chunk = put_header (vm, start, rec->new_slots, 0, 0, ST_CLASS_INDEX_FREE);
          memset (st_ptr (vm, chunk) + 1, 0, (gsize) rec->new_slots * 8);
          add_note (notes, chunk, ST_V3_NOTE_FREE_BYTES, rec->words * 4);
          n_free++;
          before++;
          continue;
        }
      if (!convert_object (r, rec, start))
        {
          ok = FALSE;
          break;
        }
      if (rec->flags & REC_IS_NFT)
        {
          guint which = r->recs[r->nil - 1].off == rec->off ? 0 : r->recs[r->fls - 1].off == rec->off ? 1 : 2;
          layout->nft_order[nft_seen] = which;
          layout->nft_before[nft_seen] = before;
          nft_seen++;
        }
      else
        before++;
      guint32 words_incl = rec->words + 1;
      guint cc = rec->cls != 0 ? r->recs[rec->cls - 1].cc_of : 0;
      guint minimal = words_incl > 63 ? V3_TYPE_3WORD : cc != 0 ? V3_TYPE_SHORT : V3_TYPE_2WORD;
      if (rec->type != minimal)
        add_note (notes, obj, ST_V3_NOTE_HEADER_TYPE, rec->type);
      if (rec->gc != 0)
        add_note (notes, obj, ST_V3_NOTE_GC_BITS, rec->gc);
      if (rec->size_bits != 0)
        add_note (notes, obj, ST_V3_NOTE_SIZE_BITS, rec->size_bits);
      if (rec->cc_field != cc)
        add_note (notes, obj, ST_V3_NOTE_COMPACT, rec->cc_field);
    }
  /* The segment's closing bridge. */
  StOop bridge = base + total - ST_BRIDGE_BYTES;
  st_ptr (vm, bridge)[0] = st_hdr_make (0, 0, ST_FMT_WORDS32, ST_CLASS_INDEX_BRIDGE) | ST_HDR_MARKED_BIT | ST_HDR_PINNED_BIT;
  st_ptr (vm, bridge)[1] = 0;
  if (ok)
    {
      /* Classes into the table; SmallInteger also at entry 1. */
      for (guint32 i = 0; i < r->n; i++)
        {
          const Rec *rec = &r->recs[i];
          if (!(rec->flags & REC_IS_CLASS))
            continue;
          StOop page = st_fetch (vm, vm->hidden_roots_obj, rec->ci >> ST_CLASS_TABLE_PAGE_SHIFT);
          st_store (vm, page, rec->ci & (ST_CLASS_TABLE_PAGE_SIZE - 1), r->addr[i]);
        }
      guint32 si = soa_at (r, ST_SPLOB_CLASS_SMALLINTEGER);
      if (si != 0 && (r->recs[si - 1].flags & REC_IS_CLASS))
        st_store (vm, st_fetch (vm, vm->hidden_roots_obj, 0), ST_CLASS_INDEX_SMALLINTEGER, r->addr[si - 1]);
      for (guint32 i = 0; i < r->n; i++)
        if (r->recs[i].flags & REC_IS_FREE)
          link_free_chunk (vm, r->addr[i], n_free);
    }
  layout->format = vm->personality.format;
  layout->big_endian = r->be;
  layout->old_base_addr = r->base;
  layout->heap_base = base;
  layout->first_object = first_object;
  /* nil, false and true were noted in file order but sit first in the heap. */
  g_array_sort (notes, compare_notes);
  layout->n_notes = notes->len;
  layout->notes = (StV3Note *) g_array_free (g_steal_pointer (&notes), FALSE);
  layout->n_objects = r->n;
  layout->n_free_blocks = n_free;
  for (guint32 i = 0; i < r->n; i++)
    layout->n_classes += (r->recs[i].flags & REC_IS_CLASS) != 0;
  vm->v3_info = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, layout_free);
  g_hash_table_insert (vm->v3_info, (gpointer) "layout", layout);
  return ok;
}

const StV3Layout *
st_v3_layout (const StVM *vm)
{
  if (vm->v3_info == NULL)
    return NULL;
  return g_hash_table_lookup (vm->v3_info, "layout");
}

StVM *
st_read_v3 (StSrc *src, const StPersonality *p, StReadFlags flags, GError **error)
{
  StVM *vm = st_vm_new ();
  vm->personality = *p;
  StImageHeader *h = &vm->header;
  V3Reader r = { .vm = vm, .src = src, .flags = flags, .error = error, .be = p->big_endian };
  g_autofree guint8 *owned = NULL;
  guint n_pages = 0;
  g_autofree bool *pages = g_new0 (bool, ST_CLASS_TABLE_ROOT_SLOTS);
  if (!st_read_header (src, p, h, error))
    goto fail;
  if (h->old_base_addr & 3)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: offset %u: old base address 0x%08" G_GINT64_MODIFIER "x is not 4-byte aligned",
                   src->name, p->header_offset + 12, h->old_base_addr);
      goto fail;
    }
  if (h->data_size >= G_MAXUINT32 - 8 || h->data_size + h->old_base_addr > G_MAXUINT32 + G_GUINT64_CONSTANT (1))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: offset %u: %" G_GUINT64_FORMAT " bytes of objects from base 0x%08" G_GINT64_MODIFIER
                   "x do not fit a 32-bit address space", src->name, p->header_offset + 8, h->data_size,
                   h->old_base_addr);
      goto fail;
    }
  r.base = (guint32) h->old_base_addr;
  r.dlen = (guint32) h->data_size;
  r.data_off = (uint64_t) p->header_offset + h->header_size;
  if (src->buf != NULL)
    r.d = src->buf + r.data_off;
  else
    {
      owned = g_try_malloc (r.dlen + 1);
      if (owned == NULL)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot allocate %u bytes for the object data",
                       src->name, r.dlen);
          goto fail;
        }
      if (!st_src_read (src, r.data_off, owned, r.dlen, error))
        goto fail;
      r.d = owned;
    }
  if (!scan (&r) || !find_roots (&r) || !resolve_classes (&r) || !assign_class_indices (&r, &n_pages, pages))
    goto fail;
  if (!build_heap (&r, n_pages, pages))
    goto fail;

  /* The bytes around the object data, for a faithful rewrite. */
  StV3Layout *layout = g_hash_table_lookup (vm->v3_info, "layout");
  if (p->header_offset > 0)
    {
      layout->prefix = g_malloc (p->header_offset);
      layout->prefix_len = p->header_offset;
      if (!st_src_read (src, 0, layout->prefix, p->header_offset, error))
        goto fail;
    }
  uint64_t data_end = r.data_off + r.dlen;
  if (src->len > data_end && src->len - data_end <= (1 << 20))
    {
      layout->trailer_len = src->len - data_end;
      layout->trailer = g_malloc (layout->trailer_len);
      if (!st_src_read (src, data_end, layout->trailer, layout->trailer_len, error))
        goto fail;
    }
  g_free (r.recs);
  g_free (r.map);
  g_free (r.addr);
  return vm;

fail:
  g_free (r.recs);
  g_free (r.map);
  g_free (r.addr);
  st_vm_free (vm);
  return NULL;
}
