/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-read-spur32.c: Spur 32-bit images (6521, 7033) into the 64-bit heap.
 *
 * Two passes over the file's data.  The first walks every segment's objects
 * in their 32-bit form, checks each header and gives each object its place
 * in the 64-bit heap; the places go into a compact map with one 32-bit
 * entry per 16 bytes of file data (headers are 8-byte aligned and at least
 * 16 bytes apart), holding the new address as an 8-byte unit offset from
 * the heap base (see map_entry).  The second pass writes every object
 * widened:
 *
 *   pointer slots     SmallInteger 31 -> 61 bits, Character 30 bits kept,
 *                     object pointers through the map
 *   formats 9..23     element data repacked into 8-byte slots; the low
 *                     bits of the format recount the unused trailing elements
 *   CompiledMethods   header and literals widened, bytecodes copied
 *   boxed Floats      the two words become one slot holding the double
 *   free-lists object 32 x 32-bit heads become 64 x 64-bit heads
 *
 * A third step adds (numLiterals + 1) * 4 to Context pcs and BlockClosure
 * startpcs, which count bytes from the method's first slot, and relinks the
 * free chunks into the 64 lists.  New segments are laid out one after the
 * other from the image's old base address, each closed by a bridge.
 *
 * Damage: in strict mode the first defect is a GError naming its file
 * offset; in salvage mode each is recorded in vm->defects and the reader
 * keeps what it can: a segment whose objects stop making sense ends there,
 * a pointer to nowhere becomes nil. */
#include "config.h"

#include <string.h>

#include "image-spur32-private.h"

#define MAX_POINTER_DEFECTS 200

typedef struct {
  uint64_t old_start;    /* address in the file's address space */
  uint64_t data_off;     /* offset of its first byte in the data section */
  uint64_t bytes;        /* its size in the file, bridge included (0 bridge bytes when cut short) */
  uint64_t objs_end;     /* data offset where its readable objects end */
  StOop    new_start;
  uint64_t new_bytes;    /* objects only; the bridge adds 16 */
} Seg32;

typedef struct {
  StSrc        *src;
  StVM         *vm;
  StReadFlags   flags;
  const guint8 *data;     /* the data section */
  uint64_t      len;      /* its readable length */
  uint64_t      data_off; /* file offset of data[0] */
  gboolean      be;
  gboolean      floats_hi_first;
  guint32      *map;      /* per 8 data bytes: new unit offset + 1, or 0 */
  Seg32        *segs;
  guint         n_segs;
  guint         last_seg; /* lookup cache */
  guint         pointer_defects;
  StSpur32Info *info;
  GArray       *pc_objects;   /* StOop of Contexts and BlockClosures */
  StOop         free_lists_new;
} Reader;

static inline guint32
rd32 (const Reader *r, uint64_t off)
{
  guint32 v;
  memcpy (&v, r->data + off, 4);
  return r->be ? GUINT32_FROM_BE (v) : GUINT32_FROM_LE (v);
}

static inline uint64_t
slots_to_units (uint64_t n64)
{
  return (n64 >= ST_OVERFLOW_SLOTS ? 2 : 1) + (n64 == 0 ? 1 : n64);
}

/* Report a defect: an error in strict mode (returns FALSE), a record in
 * salvage mode (returns TRUE so the caller carries on). */
static gboolean G_GNUC_PRINTF (5, 6)
defect (Reader *r, GError **error, int code, uint64_t data_offset, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  uint64_t file_off = r->data_off + data_offset;
  if (!(r->flags & ST_READ_SALVAGE))
    {
      g_set_error (error, ST_IMAGE_ERROR, code, "%s: %s (file offset %" G_GUINT64_FORMAT ")",
                   r->src->name, msg, file_off);
      return FALSE;
    }
  st_vm_add_defect (r->vm, code, file_off, 0, "%s (file offset %" G_GUINT64_FORMAT ")", msg, file_off);
  return TRUE;
}

/* ---- one 32-bit object's shape ---- */

typedef struct {
  uint64_t start;      /* data offset of its first byte (overflow word, if any) */
  uint64_t oop;        /* data offset of its header */
  uint64_t next;       /* data offset just past it */
  uint64_t n32;        /* slot count */
  guint32  lo, hi;     /* header words */
  guint    fmt;
  guint32  class_index;
  uint64_t n64;        /* widened slot count */
  guint    fmt64;
  guint    num_literals;  /* methods */
  uint64_t elems;         /* element count of non-pointer objects */
} Obj32;

/* Parse the object at data offset pos, which must end by `end`.  Returns
 * FALSE with *why set when the header makes no sense. */
static gboolean
parse_object (const Reader *r, uint64_t pos, uint64_t end, Obj32 *o, const char **why)
{
  o->start = pos;
  if (end - pos < 16)
    {
      *why = "an object header runs past the end of its segment";
      return FALSE;
    }
  o->lo = rd32 (r, pos);
  o->hi = rd32 (r, pos + 4);
  o->oop = pos;
  o->n32 = o->hi >> 24;
  if (o->n32 == ST_OVERFLOW_SLOTS)
    {
      o->n32 = o->lo;
      o->oop = pos + 8;
      if (end - o->oop < 16)
        {
          *why = "an overflow header is not followed by an object header";
          return FALSE;
        }
      o->lo = rd32 (r, o->oop);
      o->hi = rd32 (r, o->oop + 4);
      if ((o->hi >> 24) != ST_OVERFLOW_SLOTS)
        {
          *why = "an overflow slot count is followed by a header whose slot count is not 255";
          return FALSE;
        }
    }
  uint64_t body = o->n32 < 2 ? 8 : ((o->n32 + 1) & ~G_GUINT64_CONSTANT (1)) * 4;
  if (body > end - o->oop - 8)
    {
      *why = "the object's slot count runs past the end of its segment";
      return FALSE;
    }
  o->next = o->oop + 8 + body;
  o->fmt = (o->lo >> 24) & 0x1F;
  o->class_index = o->lo & 0x3FFFFF;
  o->num_literals = 0;
  o->elems = 0;
  guint fmt = o->fmt;
  if (o->class_index == ST_CLASS_INDEX_FREE)
    {
      o->n64 = o->n32;
      o->fmt64 = fmt;
      return TRUE;
    }
  if (fmt <= ST_FMT_FORWARDED && fmt != 6)
    {
      o->n64 = o->n32;
      o->fmt64 = fmt;
      return TRUE;
    }
  if (fmt == 6 || fmt == 8)
    {
      *why = "the object has an unused format (6 or 8)";
      return FALSE;
    }
  if (fmt == ST_FMT_WORDS64)
    {
      if (o->n32 & 1)
        {
          *why = "a 64-bit indexable object has an odd number of 32-bit slots";
          return FALSE;
        }
      o->elems = o->n32 / 2;
      o->n64 = o->elems;
      o->fmt64 = fmt;
      return TRUE;
    }
  if (fmt < ST_FMT_SHORTS16)
    {
      if ((fmt & 1) > o->n32)
        goto short_object;
      o->elems = o->n32 - (fmt & 1);
      o->n64 = (o->elems + 1) / 2;
      o->fmt64 = ST_FMT_WORDS32 + (guint) (o->n64 * 2 - o->elems);
      if (o->class_index == ST_CLASS_INDEX_FLOAT && o->elems != 2)
        {
          *why = "a boxed Float does not have two 32-bit words";
          return FALSE;
        }
      return TRUE;
    }
  if (fmt < ST_FMT_BYTES)
    {
      if ((fmt & 3) > o->n32 * 2)
        goto short_object;
      o->elems = o->n32 * 2 - (fmt & 3);
      o->n64 = (o->elems + 3) / 4;
      o->fmt64 = ST_FMT_SHORTS16 + (guint) (o->n64 * 4 - o->elems);
      return TRUE;
    }
  if (fmt < ST_FMT_METHOD)
    {
      if ((fmt & 7) > o->n32 * 4)
        goto short_object;
      o->elems = o->n32 * 4 - (fmt & 7);
      o->n64 = (o->elems + 7) / 8;
      o->fmt64 = ST_FMT_BYTES + (guint) (o->n64 * 8 - o->elems);
      return TRUE;
    }
  /* CompiledMethod: the header (a SmallInteger) and the literals widen,
   * the bytecodes after them keep their length. */
  if (o->n32 < 1)
    goto short_object;
  guint32 h = rd32 (r, o->oop + 8);
  if (!(h & 1))
    {
      *why = "a CompiledMethod's header slot is not a SmallInteger";
      return FALSE;
    }
  o->num_literals = (guint) (((gint32) h >> 1) & 0x7FFF);
  uint64_t bytes32 = o->n32 * 4;
  if ((fmt & 7) > bytes32 || (uint64_t) (o->num_literals + 1) * 4 > bytes32 - (fmt & 7))
    {
      *why = "a CompiledMethod's literal count does not fit the object";
      return FALSE;
    }
  o->elems = bytes32 - (fmt & 7) - (uint64_t) (o->num_literals + 1) * 4;   /* bytecode bytes */
  uint64_t total = (uint64_t) (o->num_literals + 1) * 8 + o->elems;
  o->n64 = (total + 7) / 8;
  o->fmt64 = ST_FMT_METHOD + (guint) (o->n64 * 8 - total);
  return TRUE;

short_object:
  *why = "the format's unused-element count is larger than the object";
  return FALSE;
}

/* ---- segments ---- */

static gboolean
find_segments (Reader *r, uint64_t first_seg_size, uint64_t data_size, GError **error)
{
  StImageHeader *h = &r->vm->header;
  guint cap = 4;
  r->segs = g_new0 (Seg32, cap);
  uint64_t off = 0, old_start = h->old_base_addr, bytes = MIN (first_seg_size, r->len);
  gboolean cut = FALSE;
  while (bytes > 0)
    {
      if (bytes > r->len - off || (bytes & 7))
        {
          /* reported where the size came from (the header or a bridge) */
          bytes = MIN (bytes, r->len - off) & ~G_GUINT64_CONSTANT (7);
          cut = TRUE;
        }
      if (bytes < ST_BRIDGE_BYTES)
        break;
      if (r->n_segs == cap)
        {
          cap *= 2;
          r->segs = g_renew (Seg32, r->segs, cap);
        }
      Seg32 *s = &r->segs[r->n_segs++];
      memset (s, 0, sizeof *s);
      s->old_start = old_start;
      s->data_off = off;
      s->bytes = bytes;
      s->objs_end = cut ? off + bytes : off + bytes - ST_BRIDGE_BYTES;
      if (cut)
        break;
      /* The bridge: the gap to the next segment in 32-bit words (when the
       * high word's top byte is 0xFF), then the next segment's size. */
      uint64_t bridge = off + bytes - ST_BRIDGE_BYTES;
      guint32 count = rd32 (r, bridge), tag = rd32 (r, bridge + 4);
      uint64_t next_bytes = rd32 (r, bridge + 8) | ((uint64_t) rd32 (r, bridge + 12) << 32);
      uint64_t span = (tag >> 24) == 0xFF ? (uint64_t) count * 4 : 0;
      off += bytes;
      if (next_bytes == 0)
        break;
      if (next_bytes < ST_BRIDGE_BYTES || (next_bytes & 7) || next_bytes > r->len - off)
        {
          if (!defect (r, error, next_bytes > r->len - off ? ST_IMAGE_ERROR_TRUNCATED : ST_IMAGE_ERROR_BAD_SEGMENT,
                       bridge, "the bridge of segment %u gives the next segment %" G_GUINT64_FORMAT
                       " bytes but %" G_GUINT64_FORMAT " remain of the data", r->n_segs - 1, next_bytes, r->len - off))
            return FALSE;
          if (next_bytes < ST_BRIDGE_BYTES || (next_bytes & 7))
            break;
        }
      if (old_start + bytes + span + next_bytes > G_MAXUINT32)
        {
          if (!defect (r, error, ST_IMAGE_ERROR_BAD_SEGMENT, bridge,
                       "the bridge of segment %u puts the next segment (%" G_GUINT64_FORMAT
                       " bytes) beyond the 32-bit address space", r->n_segs - 1, next_bytes))
            return FALSE;
          break;
        }
      old_start += bytes + span;
      bytes = next_bytes;
    }
  uint64_t end = r->n_segs ? r->segs[r->n_segs - 1].data_off + r->segs[r->n_segs - 1].bytes : 0;
  if (!cut && end < r->len && end != data_size)
    {
      if (!defect (r, error, ST_IMAGE_ERROR_BAD_SEGMENT, end,
                   "the segments end at data offset %" G_GUINT64_FORMAT " but the header's data size is %"
                   G_GUINT64_FORMAT, end, data_size))
        return FALSE;
    }
  if (r->n_segs == 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_TRUNCATED,
                   "%s: not one segment of the image could be read", r->src->name);
      return FALSE;
    }
  return TRUE;
}

/* ---- pass 1: check every object, place it ---- */

/* Object headers are at least 16 bytes apart, so one map entry per 16
 * bytes of data is enough: it holds the new place in 8-byte units and, in
 * its low bit, which half of the 16 bytes the header was in. */
static inline guint32
map_entry (uint64_t new_offset, uint64_t data_offset)
{
  return (guint32) (((new_offset / 8) << 1) | ((data_offset >> 3) & 1)) + 1;
}

static gboolean
place_objects (Reader *r, uint64_t *heap_bytes, GError **error)
{
  StOop cursor = r->vm->header.old_base_addr;
  StOop base = cursor;
  for (guint si = 0; si < r->n_segs; si++)
    {
      Seg32 *s = &r->segs[si];
      s->new_start = cursor;
      uint64_t pos = s->data_off, end = s->objs_end;
      guint index = 0;
      while (pos < end)
        {
          Obj32 o;
          const char *why = NULL;
          if (!parse_object (r, pos, end, &o, &why))
            {
              if (!defect (r, error, ST_IMAGE_ERROR_BAD_OBJECT, pos, "segment %u: %s; the rest of the segment "
                           "(%" G_GUINT64_FORMAT " bytes) is dropped", si, why, end - pos))
                return FALSE;
              s->objs_end = pos;
              break;
            }
          uint64_t n64 = o.n64;
          if (si == 0 && index == 3 && (o.fmt == ST_FMT_WORDS32 || o.fmt == ST_FMT_WORDS32 + 1))
            n64 = ST_NUM_FREE_LISTS;   /* the free-lists object grows to 64 heads */
          StOop new_start = cursor;
          StOop new_oop = new_start + (n64 >= ST_OVERFLOW_SLOTS ? 8 : 0);
          r->map[o.oop / 16] = map_entry (new_oop - base, o.oop);
          cursor += slots_to_units (n64) * 8;
          pos = o.next;
          index++;
        }
      s->new_bytes = cursor - s->new_start;
      cursor += ST_BRIDGE_BYTES;
      if (r->src->progress != NULL && !r->src->progress (0.5 * (double) s->objs_end / (double) MAX (r->len, 1),
                                                         r->src->progress_data))
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: reading cancelled", r->src->name);
          return FALSE;
        }
    }
  *heap_bytes = cursor - base;
  return TRUE;
}

/* ---- pass 2: widen ---- */

/* The heap oop of the object whose header was at old address a, or 0. */
static inline StOop
translate (Reader *r, guint32 a)
{
  const Seg32 *s = &r->segs[r->last_seg];
  if (ST_UNLIKELY (a < s->old_start || a - s->old_start >= s->objs_end - s->data_off))
    {
      guint i;
      for (i = 0; i < r->n_segs; i++)
        {
          s = &r->segs[i];
          if (a >= s->old_start && a - s->old_start < s->objs_end - s->data_off)
            break;
        }
      if (i == r->n_segs)
        return 0;
      r->last_seg = i;
    }
  if ((a - s->old_start) & 7)
    return 0;
  uint64_t off = s->data_off + (a - s->old_start);
  guint32 m = r->map[off / 16];
  if (m == 0 || ((m - 1) & 1) != ((off >> 3) & 1))
    return 0;
  return r->vm->header.old_base_addr + (uint64_t) ((m - 1) >> 1) * 8;
}

static inline StOop
widen_oop (Reader *r, guint32 v, uint64_t where, gboolean *ok, GError **error)
{
  if (v & 1)
    return st_smallint_oop ((gint32) v >> 1);
  if ((v & 3) == 2)
    return st_character_oop (v >> 2);
  StOop n = translate (r, v);
  if (ST_LIKELY (n != 0))
    return n;
  if (!(r->flags & ST_READ_SALVAGE))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                   "%s: the pointer 0x%08x at file offset %" G_GUINT64_FORMAT " does not point at an object",
                   r->src->name, v, r->data_off + where);
      *ok = FALSE;
      return 0;
    }
  r->pointer_defects++;
  if (r->pointer_defects <= MAX_POINTER_DEFECTS)
    st_vm_add_defect (r->vm, ST_IMAGE_ERROR_BAD_OBJECT, r->data_off + where, 0,
                      "the pointer 0x%08x at file offset %" G_GUINT64_FORMAT " does not point at an object; "
                      "it reads as nil", v, r->data_off + where);
  return r->segs[0].new_start;   /* nil: the first object */
}

static void
keep_raw (Reader *r, StOop oop, uint64_t n32, const guint32 *words, guint n_words)
{
  StSpur32Raw *raw = g_malloc (sizeof *raw + n_words * sizeof (guint32));
  raw->n32 = (guint32) n32;
  raw->n_words = n_words;
  memcpy (raw->words, words, n_words * sizeof (guint32));
  g_hash_table_replace (r->info->raw, GSIZE_TO_POINTER ((gsize) oop), raw);
}

static gboolean
widen_objects (Reader *r, GError **error)
{
  StVM *vm = r->vm;
  const StOop base = vm->header.old_base_addr;
  gboolean be = r->be;
  for (guint si = 0; si < r->n_segs; si++)
    {
      Seg32 *s = &r->segs[si];
      uint64_t pos = s->data_off, end = s->objs_end;
      guint index = 0;
      while (pos < end)
        {
          Obj32 o;
          const char *why;
          if (!parse_object (r, pos, end, &o, &why))
            break;   /* cannot happen: pass 1 checked it */
          StOop oop = base + (uint64_t) ((r->map[o.oop / 16] - 1) >> 1) * 8;
          uint64_t *dst = st_ptr (vm, oop);
          const guint8 *src = r->data + o.oop + 8;
          uint64_t body32 = o.n32 < 2 ? 2 : (o.n32 + 1) & ~G_GUINT64_CONSTANT (1);
          uint64_t hdr = (uint64_t) o.lo | ((uint64_t) o.hi << 32);
          uint64_t n64 = o.n64;
          guint fmt64 = o.fmt64;
          guint32 ci = o.class_index;
          gboolean is_free_lists = si == 0 && index == 3 && (o.fmt == ST_FMT_WORDS32 || o.fmt == ST_FMT_WORDS32 + 1);
          if (is_free_lists)
            {
              n64 = ST_NUM_FREE_LISTS;
              fmt64 = ST_FMT_WORDS64;
              ci = ST_CLASS_INDEX_LONGS64_PUN;
              r->free_lists_new = oop;
              r->info->free_lists = oop;
              r->info->have_free_lists = o.n32 == 32;
              for (guint i = 0; i < 32 && i < o.n32; i++)
                r->info->free_lists_words[i] = rd32 (r, o.oop + 8 + 4 * i);
            }
          hdr = st_hdr_with_format (st_hdr_with_class_index (hdr, ci), fmt64);
          hdr = (hdr & G_GUINT64_CONSTANT (0x00FFFFFFFFFFFFFF))
                | ((uint64_t) (n64 >= ST_OVERFLOW_SLOTS ? ST_OVERFLOW_SLOTS : n64) << 56);
          if (n64 >= ST_OVERFLOW_SLOTS)
            dst[-1] = (G_GUINT64_CONSTANT (0xFF) << 56) | n64;
          dst[0] = hdr;
          uint64_t *body = dst + 1;
          uint64_t slots = n64 == 0 ? 1 : n64;
          guint fmt = o.fmt;

          /* Padding words that are not zero are kept for the writer. */
          if (o.n32 < 2 || (o.n32 & 1))
            {
              guint32 pad[2];
              guint np = 0;
              gboolean nonzero = FALSE;
              for (uint64_t k = o.n32; k < body32; k++)
                {
                  pad[np] = rd32 (r, o.oop + 8 + 4 * k);
                  nonzero |= pad[np] != 0;
                  np++;
                }
              if (nonzero && ci != ST_CLASS_INDEX_FREE && ci != ST_CLASS_INDEX_FORWARDER)
                keep_raw (r, oop, o.n32, pad, np);
            }

          if (is_free_lists)
            memset (body, 0, slots * 8);
          else if (ci == ST_CLASS_INDEX_FREE || ci == ST_CLASS_INDEX_FORWARDER)
            {
              /* Free chunks are relinked later; a forwarder's slot 0 is its
               * target.  Their other words are stale: kept for the writer. */
              memset (body, 0, slots * 8);
              if (ci == ST_CLASS_INDEX_FORWARDER && o.n32 > 0)
                {
                  gboolean ok = TRUE;
                  body[0] = widen_oop (r, rd32 (r, o.oop + 8), o.oop + 8, &ok, error);
                  if (!ok)
                    return FALSE;
                }
              else
                r->info->n_free_chunks++;
              guint32 *w = g_new (guint32, body32);
              for (uint64_t k = 0; k < body32; k++)
                w[k] = rd32 (r, o.oop + 8 + 4 * k);
              keep_raw (r, oop, o.n32, w, (guint) body32);
              g_free (w);
            }
          else if (fmt <= ST_FMT_FORWARDED)
            {
              gboolean ok = TRUE;
              for (uint64_t k = 0; k < o.n32; k++)
                {
                  body[k] = widen_oop (r, rd32 (r, o.oop + 8 + 4 * k), o.oop + 8 + 4 * k, &ok, error);
                  if (!ok)
                    return FALSE;
                }
              if (o.n32 == 0)
                body[0] = 0;
              if (ci == ST_CLASS_INDEX_CONTEXT || ci == ST_CLASS_INDEX_BLOCK_CLOSURE)
                g_array_append_val (r->pc_objects, oop);
            }
          else if (fmt >= ST_FMT_METHOD)
            {
              gboolean ok = TRUE;
              guint nl = o.num_literals;
              body[slots - 1] = 0;
              for (guint k = 0; k <= nl; k++)
                {
                  body[k] = widen_oop (r, rd32 (r, o.oop + 8 + 4 * k), o.oop + 8 + 4 * k, &ok, error);
                  if (!ok)
                    return FALSE;
                }
              memcpy (body + nl + 1, src + (uint64_t) (nl + 1) * 4, o.elems);
              /* keep the file's unused trailing bytes where they fit */
              uint64_t trail = o.n32 * 4 - (uint64_t) (nl + 1) * 4 - o.elems;
              uint64_t room = slots * 8 - (uint64_t) (nl + 1) * 8 - o.elems;
              memcpy ((guint8 *) (body + nl + 1) + o.elems, src + (uint64_t) (nl + 1) * 4 + o.elems, MIN (trail, room));
            }
          else
            {
              /* Element data: the bytes of the 32-bit slots, in order. */
              uint64_t nbytes = o.n32 * 4;
              body[slots - 1] = 0;
              if (nbytes > slots * 8)
                nbytes = slots * 8;   /* only unused trailing bytes are lost */
              if (!be)
                memcpy (body, src, nbytes);
              else if (fmt >= ST_FMT_BYTES)
                memcpy (body, src, nbytes);
              else if (fmt >= ST_FMT_SHORTS16)
                for (uint64_t k = 0; k < nbytes / 2; k++)
                  {
                    guint16 v;
                    memcpy (&v, src + 2 * k, 2);
                    ((guint16 *) body)[k] = GUINT16_FROM_BE (v);
                  }
              else if (fmt == ST_FMT_WORDS64)
                for (uint64_t k = 0; k < nbytes / 8; k++)
                  {
                    uint64_t v;
                    memcpy (&v, src + 8 * k, 8);
                    body[k] = GUINT64_FROM_BE (v);
                  }
              else
                for (uint64_t k = 0; k < nbytes / 4; k++)
                  ((guint32 *) body)[k] = rd32 (r, o.oop + 8 + 4 * k);
              if (ci == ST_CLASS_INDEX_FLOAT && fmt < ST_FMT_SHORTS16 && r->floats_hi_first)
                {
                  guint32 *w = (guint32 *) body;
                  guint32 t = w[0];
                  w[0] = w[1];
                  w[1] = t;
                }
            }
          pos = o.next;
          index++;
        }
      /* The bridge closing the segment in the heap: a pinned, marked,
       * zero-slot object of class 3, then the next segment's size. */
      StOop bridge = s->new_start + s->new_bytes;
      uint64_t *b = st_ptr (vm, bridge);
      b[0] = st_hdr_make (0, 0, ST_FMT_WORDS32, ST_CLASS_INDEX_BRIDGE) | ST_HDR_PINNED_BIT | ST_HDR_MARKED_BIT;
      b[1] = si + 1 < r->n_segs ? r->segs[si + 1].new_bytes + ST_BRIDGE_BYTES : 0;
      if (r->src->progress != NULL
          && !r->src->progress (0.5 + 0.5 * (double) s->objs_end / (double) MAX (r->len, 1), r->src->progress_data))
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: reading cancelled", r->src->name);
          return FALSE;
        }
    }
  if (r->pointer_defects > MAX_POINTER_DEFECTS)
    st_vm_add_defect (vm, ST_IMAGE_ERROR_BAD_OBJECT, G_MAXUINT64, 0,
                      "%u more pointers do not point at objects; they read as nil",
                      r->pointer_defects - MAX_POINTER_DEFECTS);
  return TRUE;
}

/* ---- pcs: byte offsets from the method's first slot ---- */

static gboolean
method_literal_count (const StVM *vm, StOop m, guint *nl)
{
  if (!st_is_pointer (m) || !st_addr_in_heap (vm, m) || !st_fmt_is_method (st_format (vm, m))
      || st_num_slots (vm, m) < 1)
    return FALSE;
  StOop h = st_fetch (vm, m, 0);
  if (!st_is_smallint (h))
    return FALSE;
  *nl = (guint) (st_smallint_value (h) & 0x7FFF);
  return TRUE;
}

static void
adjust_pcs (Reader *r)
{
  StVM *vm = r->vm;
  for (guint i = 0; i < r->pc_objects->len; i++)
    {
      StOop o = g_array_index (r->pc_objects, StOop, i);
      StOop method;
      if (st_class_index (vm, o) == ST_CLASS_INDEX_CONTEXT)
        {
          if (st_num_slots (vm, o) < 4)
            continue;
          method = st_fetch (vm, o, 3);
        }
      else
        {
          if (st_num_slots (vm, o) < 2)
            continue;
          StOop outer = st_fetch (vm, o, 0);
          if (!st_is_pointer (outer) || !st_addr_in_heap (vm, outer)
              || st_class_index (vm, outer) != ST_CLASS_INDEX_CONTEXT || st_num_slots (vm, outer) < 4)
            continue;
          method = st_fetch (vm, outer, 3);
        }
      StOop pc = st_fetch (vm, o, 1);
      guint nl;
      if (!st_is_smallint (pc) || !method_literal_count (vm, method, &nl))
        continue;
      st_store (vm, o, 1, st_smallint_oop (st_smallint_value (pc) + (int64_t) ST_SPUR32_PC_DELTA (nl)));
    }
}

/* ---- free lists ---- */

static int
compare_plan (gconstpointer a, gconstpointer b)
{
  const StFreeChunkPlan *x = *(StFreeChunkPlan * const *) a, *y = *(StFreeChunkPlan * const *) b;
  if (x->units != y->units)
    return x->units < y->units ? -1 : 1;
  return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Link groups[lo, hi) into a balanced tree under parent; returns its root. */
static StFreeChunkPlan *
build_tree (StFreeChunkPlan **groups, gsize lo, gsize hi, StFreeChunkPlan *parent)
{
  if (lo >= hi)
    return NULL;
  gsize mid = lo + (hi - lo) / 2;
  StFreeChunkPlan *node = groups[mid];
  node->parent = parent ? parent->addr : 0;
  StFreeChunkPlan *s = build_tree (groups, lo, mid, node);
  StFreeChunkPlan *l = build_tree (groups, mid + 1, hi, node);
  node->smaller = s ? s->addr : 0;
  node->larger = l ? l->addr : 0;
  return node;
}

void
st_free_lists_plan (StFreeChunkPlan *chunks, gsize n, guint n_lists, StOop *heads)
{
  memset (heads, 0, n_lists * sizeof *heads);
  gsize *head_index = g_new0 (gsize, n_lists);
  StFreeChunkPlan **large = g_new (StFreeChunkPlan *, n ? n : 1);
  gsize n_large = 0;
  /* Lists: walk backwards so each list ends up in address order. */
  for (gsize i = n; i-- > 0;)
    {
      StFreeChunkPlan *c = &chunks[i];
      c->next = c->prev = c->parent = c->smaller = c->larger = 0;
      if (c->units >= n_lists)
        {
          large[n_large++] = c;
          continue;
        }
      StOop head = heads[c->units];
      c->next = head;
      if (head != 0)
        chunks[head_index[c->units]].prev = c->addr;
      heads[c->units] = c->addr;
      head_index[c->units] = i;
    }
  /* Tree: one node per distinct size, the others of that size listed
   * behind it. */
  qsort (large, n_large, sizeof *large, compare_plan);
  gsize n_groups = 0;
  for (gsize i = 0; i < n_large; i++)
    {
      if (i > 0 && large[i]->units == large[n_groups - 1]->units)
        {
          StFreeChunkPlan *prev = large[i - 1];
          prev->next = large[i]->addr;
          large[i]->prev = prev->addr;
          continue;
        }
      large[n_groups++] = large[i];
    }
  /* large[] was compacted in place: entries past a group's node were its
   * list members, already linked, and are not needed any more. */
  StFreeChunkPlan *root = build_tree (large, 0, n_groups, NULL);
  heads[0] = root ? root->addr : 0;
  g_free (large);
  g_free (head_index);
}

void
st_objmem_rebuild_free_lists (StVM *vm)
{
  GArray *chunks = g_array_new (FALSE, FALSE, sizeof (StFreeChunkPlan));
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0)
    if (st_class_index (vm, o) == ST_CLASS_INDEX_FREE)
      {
        StFreeChunkPlan c = { .addr = o, .units = (st_object_end (vm, o) - st_object_start (vm, o)) / 8 };
        g_array_append_val (chunks, c);
      }
  StOop heads[ST_NUM_FREE_LISTS];
  StFreeChunkPlan *plan = (StFreeChunkPlan *) (void *) chunks->data;
  st_free_lists_plan (plan, chunks->len, ST_NUM_FREE_LISTS, heads);
  for (guint i = 0; i < chunks->len; i++)
    {
      StFreeChunkPlan *c = &plan[i];
      uint64_t n = st_num_slots (vm, c->addr);
      StOop links[5] = { c->next, c->prev, c->parent, c->smaller, c->larger };
      for (guint k = 0; k < 5 && k < MAX (n, 1); k++)
        st_store (vm, c->addr, k, links[k]);
    }
  if (vm->free_lists_obj != 0 && st_num_slots (vm, vm->free_lists_obj) >= ST_NUM_FREE_LISTS)
    for (guint i = 0; i < ST_NUM_FREE_LISTS; i++)
      st_store (vm, vm->free_lists_obj, i, heads[i]);
  g_array_free (chunks, TRUE);
}

/* ---- the reader ---- */

void
st_spur32_info_free (gpointer p)
{
  StSpur32Info *info = p;
  if (info == NULL)
    return;
  g_hash_table_unref (info->raw);
  g_free (info->seg_start32);
  g_free (info->bridge32);
  g_free (info->prefix);
  g_free (info);
}

StVM *
st_read_spur32 (StSrc *src, const StPersonality *p, StReadFlags flags, GError **error)
{
  StVM *vm = st_vm_new ();
  vm->personality = *p;
  StImageHeader *h = &vm->header;
  Reader r = { .src = src, .vm = vm, .flags = flags, .be = p->big_endian };
  r.floats_hi_first = !p->native_floats || p->big_endian;
  guint8 *owned = NULL;
  gboolean salvage = (flags & ST_READ_SALVAGE) != 0;

  StSpur32Info *info = g_new0 (StSpur32Info, 1);
  info->raw = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  vm->spur32_info = info;
  vm->spur32_info_free = st_spur32_info_free;
  r.info = info;

  /* The header: a short data section is a defect salvage mode can live with. */
  {
    GError *local = NULL;
    if (!st_read_header (src, p, h, &local))
      {
        if (!salvage || local->code != ST_IMAGE_ERROR_TRUNCATED || h->raw_len == 0)
          {
            g_propagate_error (error, local);
            goto fail;
          }
        st_vm_add_defect (vm, local->code, src->len, 0, "%s", local->message);
        g_clear_error (&local);
      }
  }
  if (p->header_offset > 0)
    {
      info->prefix = g_malloc (p->header_offset);
      info->prefix_len = p->header_offset;
      if (!st_src_read (src, 0, info->prefix, p->header_offset, error))
        goto fail;
    }
  if ((h->old_base_addr & 7) || h->old_base_addr > G_MAXUINT32)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: old base address 0x%" G_GINT64_MODIFIER "x (header offset %u) is not an 8-byte aligned "
                   "32-bit address", src->name, h->old_base_addr, p->header_offset + 12);
      goto fail;
    }
  r.data_off = (uint64_t) p->header_offset + h->header_size;
  r.len = r.data_off < src->len ? MIN (h->data_size, src->len - r.data_off) : 0;
  if (h->first_seg_size > h->data_size || h->first_seg_size < ST_BRIDGE_BYTES || (h->first_seg_size & 7))
    {
      if (!salvage || h->first_seg_size < ST_BRIDGE_BYTES || (h->first_seg_size & 7))
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                       "%s: first segment size %" G_GUINT64_FORMAT " (header offset %u) does not fit the data size %"
                       G_GUINT64_FORMAT, src->name, h->first_seg_size, p->header_offset + 48, h->data_size);
          goto fail;
        }
      st_vm_add_defect (vm, ST_IMAGE_ERROR_BAD_HEADER, p->header_offset + 48, 0,
                        "first segment size %" G_GUINT64_FORMAT " is larger than the data size %" G_GUINT64_FORMAT,
                        h->first_seg_size, h->data_size);
    }
  if (src->buf != NULL)
    r.data = src->buf + r.data_off;
  else
    {
      owned = g_try_malloc (MAX (r.len, 1));
      if (owned == NULL)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot allocate %" G_GUINT64_FORMAT
                       " bytes to read the image", src->name, r.len);
          goto fail;
        }
      if (!st_src_read (src, r.data_off, owned, r.len, error))
        goto fail;
      r.data = owned;
    }

  if (!find_segments (&r, h->first_seg_size, h->data_size, error))
    goto fail;
  r.map = g_try_malloc0 ((r.len / 16 + 1) * sizeof (guint32));
  if (r.map == NULL)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot allocate the address map", src->name);
      goto fail;
    }
  uint64_t heap_bytes = 0;
  if (!place_objects (&r, &heap_bytes, error))
    goto fail;
  if (heap_bytes / 8 >= G_MAXUINT32 / 2)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED,
                   "%s: the widened heap would need %" G_GUINT64_FORMAT " bytes", src->name, heap_bytes);
      goto fail;
    }
  uint64_t reserve = MAX (G_GUINT64_CONSTANT (1) << 32, heap_bytes * 2 + (G_GUINT64_CONSTANT (64) << 20));
  if (!st_objmem_init (vm, h->old_base_addr, reserve, heap_bytes, error))
    goto fail;
  info->n_segments = r.n_segs;
  info->seg_start32 = g_new (uint64_t, r.n_segs);
  info->bridge32 = g_new0 (guint32, 4 * (gsize) r.n_segs);
  for (guint i = 0; i < r.n_segs; i++)
    {
      Seg32 *s = &r.segs[i];
      StSegment *seg = st_objmem_add_segment (vm, s->new_start, s->new_bytes + ST_BRIDGE_BYTES);
      seg->file_offset = r.data_off + s->data_off;
      info->seg_start32[i] = s->old_start;
      if (s->objs_end + ST_BRIDGE_BYTES == s->data_off + s->bytes)
        for (guint k = 0; k < 4; k++)
          info->bridge32[4 * i + k] = rd32 (&r, s->objs_end + 4 * k);
    }
  r.pc_objects = g_array_new (FALSE, FALSE, sizeof (StOop));
  if (!widen_objects (&r, error))
    goto fail;

  /* The special objects array, through the map.  The header keeps the
   * file's value; vm->special_objects is the heap's. */
  uint64_t file_splobs = h->special_objects_oop;
  {
    guint32 splobs = (guint32) h->special_objects_oop;
    StOop n = h->special_objects_oop <= G_MAXUINT32 && (splobs & 3) == 0 ? translate (&r, splobs) : 0;
    if (n == 0)
      {
        if (!salvage)
          {
            g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                         "%s: the special objects oop 0x%" G_GINT64_MODIFIER "x (header offset %u) is not an object "
                         "in the heap", src->name, h->special_objects_oop, p->header_offset + 16);
            goto fail;
          }
        st_vm_add_defect (vm, ST_IMAGE_ERROR_BAD_HEADER, p->header_offset + 16, 0,
                          "the special objects oop 0x%" G_GINT64_MODIFIER "x (header offset %u) is not an object "
                          "in the heap; there is no special objects array", h->special_objects_oop,
                          p->header_offset + 16);
      }
    h->special_objects_oop = n;
  }
  gboolean roots = st_read_locate_roots_full (vm, src, flags, error);
  h->special_objects_oop = file_splobs;
  if (!roots)
    goto fail;
  adjust_pcs (&r);
  if (vm->free_lists_obj != 0 && vm->free_lists_obj == r.free_lists_new)
    st_objmem_rebuild_free_lists (vm);

  g_array_free (r.pc_objects, TRUE);
  g_free (r.map);
  g_free (r.segs);
  g_free (owned);
  return vm;

fail:
  if (r.pc_objects != NULL)
    g_array_free (r.pc_objects, TRUE);
  g_free (r.map);
  g_free (r.segs);
  g_free (owned);
  st_vm_free (vm);
  return NULL;
}
