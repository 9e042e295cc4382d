/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-read.c: format detection and the Spur 64-bit reader.
 *
 * A 64-bit Spur image is mapped address-faithfully: segment 0 lands at the
 * image's oldBaseAddr in heap address space (st_ptr adds the VM's bias), so
 * an image with one segment needs no relocation at all and its bytes are
 * read straight into the heap.  Later segments keep their file addresses
 * when those fit in the reservation. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-read.h"
#include "image-read-private.h"
#include "image-spur32-private.h"
#include "image-v3.h"

/* ---- sources: a file descriptor or a buffer ---- */

gboolean
st_src_read (StSrc *src, uint64_t off, void *dst, gsize n, GError **error)
{
  if (off > src->len || n > src->len - off)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_TRUNCATED,
                   "%s: the file ends at offset %" G_GUINT64_FORMAT
                   " but %" G_GSIZE_FORMAT " bytes are needed at offset %" G_GUINT64_FORMAT,
                   src->name, (uint64_t) src->len, n, off);
      return FALSE;
    }
  if (src->buf != NULL)
    {
      memcpy (dst, src->buf + off, n);
      return TRUE;
    }
  guint8 *p = dst;
  while (n > 0)
    {
      ssize_t r = pread (src->fd, p, n, (off_t) off);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        {
          g_set_error (error, ST_IMAGE_ERROR, r == 0 ? ST_IMAGE_ERROR_TRUNCATED : ST_IMAGE_ERROR_IO,
                       "%s: cannot read %" G_GSIZE_FORMAT " bytes at offset %" G_GUINT64_FORMAT ": %s",
                       src->name, n, off, r == 0 ? "unexpected end of file" : g_strerror (errno));
          return FALSE;
        }
      p += r;
      off += (uint64_t) r;
      n -= (gsize) r;
    }
  return TRUE;
}

/* Read a large range in pieces, reporting progress between them (as a
 * fraction of the whole file) and stopping when the callback says so. */
#define PROGRESS_PIECE (G_GUINT64_CONSTANT (32) << 20)

static gboolean
read_with_progress (StSrc *src, uint64_t off, void *dst, gsize n, GError **error)
{
  if (src->progress == NULL)
    return st_src_read (src, off, dst, n, error);
  guint8 *p = dst;
  for (gsize done = 0; done < n;)
    {
      gsize piece = MIN (n - done, PROGRESS_PIECE);
      if (!st_src_read (src, off + done, p + done, piece, error))
        return FALSE;
      done += piece;
      if (!src->progress ((double) (off + done) / (double) MAX (src->len, 1), src->progress_data))
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: reading cancelled", src->name);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- format numbers ---- */

static const struct { guint32 format; const char *text; } known_formats[] = {
  { 6502, "V3 32-bit, BlockContexts (no closures)" },
  { 6504, "V3 32-bit, closures" },
  { 6505, "V3 32-bit, closures, native float word order (Cog V3)" },
  { 6521, "Spur 32-bit, closures, native float word order" },
  { 7033, "Spur 32-bit, closures, native float word order, multiple bytecode sets (Sista)" },
  { 68000, "V3 64-bit" },
  { 68002, "V3 64-bit, closures" },
  { 68003, "V3 64-bit, closures, native float word order" },
  { 68019, "Spur 64-bit (obsolete SmallFloat tag assignment)" },
  { 68021, "Spur 64-bit, closures, native float word order" },
  { 68533, "Spur 64-bit, closures, native float word order, multiple bytecode sets (Sista)" },
};

const char *
st_image_format_describe (guint32 format)
{
  for (gsize i = 0; i < G_N_ELEMENTS (known_formats); i++)
    if (known_formats[i].format == format)
      return known_formats[i].text;
  return "unknown image format";
}

static gboolean
format_is_known (guint32 f)
{
  for (gsize i = 0; i < G_N_ELEMENTS (known_formats); i++)
    if (known_formats[i].format == f)
      return TRUE;
  return FALSE;
}

static guint32
swap32 (guint32 v)
{
  return GUINT32_SWAP_LE_BE (v);
}

gboolean
st_detect_format (StSrc *src, StPersonality *p, GError **error)
{
  static const guint offsets[] = { 0, 512 };
  memset (p, 0, sizeof *p);
  for (gsize i = 0; i < G_N_ELEMENTS (offsets); i++)
    {
      guint32 w;
      if (src->len < offsets[i] + 4)
        break;
      if (!st_src_read (src, offsets[i], &w, 4, NULL))
        break;
      guint32 le = GUINT32_FROM_LE (w), be = swap32 (le);
      for (int order = 0; order < 2; order++)
        {
          guint32 f = order == 0 ? le : be;
          if (!format_is_known (f))
            continue;
          p->format = f;
          p->big_endian = order == 1;
          p->header_offset = offsets[i];
          p->family = (f & 16) ? ST_FAMILY_SPUR : ST_FAMILY_V3;
          p->word_bytes = f >= 68000 ? 8 : 4;
          p->native_floats = f & 1;
          p->sista = (f & 512) != 0;
          p->closures = (f & 0x119EE) != 6502 && (f & 0x119EE) != 68000;
          return TRUE;
        }
    }
  guint32 w = 0;
  if (src->len >= 4)
    st_src_read (src, 0, &w, 4, NULL);
  g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_MAGIC,
               "%s: not a Smalltalk image: no known image format number at offset 0 or 512 "
               "(offset 0 holds 0x%08x)", src->name, GUINT32_FROM_LE (w));
  return FALSE;
}

/* ---- header ---- */

uint64_t
st_src_word (const guint8 *p, guint width, gboolean big_endian)
{
  if (width == 8)
    {
      uint64_t v;
      memcpy (&v, p, 8);
      return big_endian ? GUINT64_FROM_BE (v) : GUINT64_FROM_LE (v);
    }
  if (width == 4)
    {
      guint32 v;
      memcpy (&v, p, 4);
      return big_endian ? GUINT32_FROM_BE (v) : GUINT32_FROM_LE (v);
    }
  guint16 v;
  memcpy (&v, p, 2);
  return big_endian ? GUINT16_FROM_BE (v) : GUINT16_FROM_LE (v);
}

gboolean
st_read_header (StSrc *src, const StPersonality *p, StImageHeader *h, GError **error)
{
  guint W = p->word_bytes;
  guint8 raw[128] = { 0 };
  guint want = W == 8 ? 128 : 64;
  memset (h, 0, sizeof *h);
  if (!st_src_read (src, p->header_offset, raw, want, error))
    return FALSE;
  gboolean be = p->big_endian;
  const guint8 *q = raw;
#define TAKE(field, width) do { h->field = st_src_word (q, (width), be); q += (width); } while (0)
  TAKE (image_format, 4);
  TAKE (header_size, 4);
  TAKE (data_size, W);
  TAKE (old_base_addr, W);
  TAKE (special_objects_oop, W);
  TAKE (last_hash, W);
  TAKE (saved_window_size, W);
  TAKE (header_flags, W);
  TAKE (extra_vm_memory, 4);
  TAKE (num_stack_pages, 2);
  TAKE (cog_code_size, 2);
  TAKE (eden_bytes, 4);
  TAKE (max_ext_sem_tab_size, 2);
  TAKE (image_version, 2);
  TAKE (first_seg_size, W);
  TAKE (free_old_space, W);
#undef TAKE
  if (h->header_size < want || h->header_size > 1 << 20)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: header size %u at offset %u is impossible for a %u-bit image (expected %u)",
                   src->name, h->header_size, p->header_offset + 4, W * 8, want);
      return FALSE;
    }
  h->raw_len = want;
  memcpy (h->raw, raw, want);
  uint64_t data_start = (uint64_t) p->header_offset + h->header_size;
  if (data_start > src->len || h->data_size > src->len - data_start)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_TRUNCATED,
                   "%s: the header (offset %u) says %" G_GUINT64_FORMAT " bytes of objects follow at offset %"
                   G_GUINT64_FORMAT ", but the file is only %" G_GUINT64_FORMAT " bytes long",
                   src->name, p->header_offset + 8, h->data_size, data_start, (uint64_t) src->len);
      return FALSE;
    }
  return TRUE;
}

/* ---- common finishing: well-known objects ---- */

gboolean
st_read_locate_roots (StVM *vm, StSrc *src, GError **error)
{
  return st_read_locate_roots_full (vm, src, ST_READ_STRICT, error);
}

/* Does the object whose header is at o lie wholly inside one segment,
 * before its bridge?  (So that reading any of its slots stays in bounds.) */
static gboolean
object_fits (const StVM *vm, StOop o)
{
  const StSegment *s = st_objmem_segment_of ((StVM *) vm, o);
  if (s == NULL || (o & 7) != 0)
    return FALSE;
  StOop limit = s->start + s->bytes - ST_BRIDGE_BYTES;
  if (o >= limit || limit - o < 16)
    return FALSE;
  uint64_t n = st_hdr_num_slots (st_header (vm, o));
  if (n == ST_OVERFLOW_SLOTS)
    {
      if (o - s->start < 8)
        return FALSE;
      n = st_word_at (vm, o - 8) & G_GUINT64_CONSTANT (0x00FFFFFFFFFFFFFF);
    }
  return n <= (limit - o - 8) / 8;
}

/* In salvage mode a defect in the roots is recorded and made harmless: a
 * special objects oop outside the heap leaves the VM without a special
 * objects array (a header value of 0 means a reader has already reported
 * why), a class-table page pointer to nowhere reads as nil. */
gboolean
st_read_locate_roots_full (StVM *vm, StSrc *src, StReadFlags flags, GError **error)
{
  gboolean salvage = (flags & ST_READ_SALVAGE) != 0;
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop first[5] = { 0 };
  for (int i = 0; i < 5; i++)
    {
      first[i] = st_heap_walk_next (&w);
      if (first[i] == 0)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                       "%s: the heap ends after %d objects; nil, false, true, the free lists and the hidden roots "
                       "must come first", src->name, i);
          return FALSE;
        }
    }
  vm->nil_obj = first[0];
  vm->false_obj = first[1];
  vm->true_obj = first[2];
  vm->free_lists_obj = first[3];
  vm->hidden_roots_obj = first[4];
  if (st_num_slots (vm, vm->hidden_roots_obj) < ST_CLASS_TABLE_ROOT_SLOTS
      || !st_fmt_is_pointers (st_format (vm, vm->hidden_roots_obj)))
    {
      g_autofree char *msg = g_strdup_printf ("the fifth object (0x%" G_GINT64_MODIFIER "x) should be the hidden roots, "
                                              "pointers with at least %d slots, but has format %u and %"
                                              G_GUINT64_FORMAT " slots", vm->hidden_roots_obj,
                                              ST_CLASS_TABLE_ROOT_SLOTS, st_format (vm, vm->hidden_roots_obj),
                                              st_num_slots (vm, vm->hidden_roots_obj));
      if (!salvage)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT, "%s: %s", src->name, msg);
          return FALSE;
        }
      st_vm_add_defect (vm, ST_IMAGE_ERROR_BAD_OBJECT, G_MAXUINT64, vm->hidden_roots_obj,
                        "%s; there is no class table", msg);
      vm->hidden_roots_obj = 0;
    }
  else
    for (guint i = 0; i < ST_CLASS_TABLE_ROOT_SLOTS; i++)
      {
        StOop page = st_fetch (vm, vm->hidden_roots_obj, i);
        if (page == vm->nil_obj || (st_is_pointer (page) && object_fits (vm, page)))
          continue;
        if (!salvage)
          {
            g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                         "%s: class-table page %u (slot %u of the hidden roots at 0x%" G_GINT64_MODIFIER "x) is "
                         "0x%" G_GINT64_MODIFIER "x, which is not an object in the heap",
                         src->name, i, i, vm->hidden_roots_obj, page);
            return FALSE;
          }
        st_vm_add_defect (vm, ST_IMAGE_ERROR_BAD_OBJECT, G_MAXUINT64, vm->hidden_roots_obj,
                          "class-table page %u is 0x%" G_GINT64_MODIFIER "x, which is not an object in the heap; "
                          "it reads as nil", i, page);
        st_store (vm, vm->hidden_roots_obj, i, vm->nil_obj);
      }
  StOop splobs = vm->header.special_objects_oop;
  guint field = vm->personality.header_offset + (vm->personality.word_bytes == 8 ? 24 : 16);
  if (!object_fits (vm, splobs) || !st_fmt_is_pointers (st_format (vm, splobs)))
    {
      if (salvage)
        {
          if (splobs != 0)
            st_vm_add_defect (vm, ST_IMAGE_ERROR_BAD_HEADER, field, 0,
                              "the special objects oop 0x%" G_GINT64_MODIFIER "x (header offset %u) is outside the "
                              "heap or not an array; there is no special objects array", splobs, field);
          vm->special_objects = 0;
          return TRUE;
        }
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: the special objects oop 0x%" G_GINT64_MODIFIER "x (header offset %u) is outside the heap "
                   "or not an array", src->name, splobs, field);
      return FALSE;
    }
  vm->special_objects = splobs;
  return TRUE;
}

/* ---- Spur 64-bit ---- */

#define RESERVE_MIN   (G_GUINT64_CONSTANT (1) << 32)   /* 4 GiB of address space at least */
#define MAX_BASE_64   (G_GUINT64_CONSTANT (1) << 48)   /* Spur 64 addresses are user-space: 48 bits */

/* A defect while reading: the GError in strict mode (FALSE), a record in
 * salvage mode (TRUE: carry on). */
static gboolean G_GNUC_PRINTF (6, 7)
read_defect (StVM *vm, StSrc *src, StReadFlags flags, GError **error, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (!(flags & ST_READ_SALVAGE))
    {
      g_set_error (error, ST_IMAGE_ERROR, code, "%s: %s", src->name, msg);
      return FALSE;
    }
  st_vm_add_defect (vm, code, G_MAXUINT64, 0, "%s", msg);
  return TRUE;
}

/* Check the object headers of [start, limit): each must fit before limit
 * and use a real format.  Returns the address of the first bad one, or 0. */
static StOop
check_objects_64 (const StVM *vm, StOop start, StOop limit, const char **why)
{
  StOop pos = start;
  while (pos < limit)
    {
      if (limit - pos < 16)
        {
          *why = "an object header runs past the end of its segment";
          return pos;
        }
      uint64_t w0 = st_word_at (vm, pos);
      StOop oop = pos;
      uint64_t n;
      if ((w0 >> 56) == 0xFF)
        {
          oop = pos + 8;
          n = w0 & G_GUINT64_CONSTANT (0x00FFFFFFFFFFFFFF);
          if (limit - oop < 16 || st_hdr_num_slots (st_word_at (vm, oop)) != ST_OVERFLOW_SLOTS)
            {
              *why = "an overflow slot count is not followed by a header whose slot count is 255";
              return pos;
            }
        }
      else
        n = st_hdr_num_slots (w0);
      if (n > (limit - oop - 8) / 8 || (n == 0 && limit - oop < 16))
        {
          *why = "the object's slot count runs past the end of its segment";
          return pos;
        }
      guint fmt = st_hdr_format (st_word_at (vm, oop));
      if (fmt == 6 || fmt == 8)
        {
          *why = "the object has an unused format (6 or 8)";
          return pos;
        }
      pos = oop + 8 + 8 * (n == 0 ? 1 : n);
    }
  return 0;
}

static void
write_bridge_64 (StVM *vm, StOop at)
{
  uint64_t *b = st_ptr (vm, at);
  b[0] = st_hdr_make (0, 0, ST_FMT_WORDS32, ST_CLASS_INDEX_BRIDGE) | ST_HDR_PINNED_BIT | ST_HDR_MARKED_BIT;
  b[1] = 0;
}

/* Where a pointer saved as v lives now: segments placed away from their
 * file addresses move every pointer into them by their own delta. */
static inline StOop
swizzle_64 (const StVM *vm, StOop v)
{
  if (!st_is_pointer (v))
    return v;
  guint lo = 0, hi = vm->n_segments;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      const StSegment *s = &vm->segments[mid];
      if (v < s->file_start)
        hi = mid;
      else if (v - s->file_start >= s->bytes)
        lo = mid + 1;
      else
        return v - s->file_start + s->start;
    }
  return v;
}

static void
swizzle_heap_64 (StVM *vm)
{
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0)
    {
      guint fmt = st_format (vm, o);
      guint32 ci = st_class_index (vm, o);
      uint64_t n = st_num_slots (vm, o), count = 0;
      if (ci == ST_CLASS_INDEX_FREE)
        count = MIN (n, 5);                  /* next, prev, parent, smaller, larger */
      else if (ci == ST_CLASS_INDEX_LONGS64_PUN && st_fmt_is_pointers (fmt) == FALSE && fmt == ST_FMT_WORDS64)
        count = n;                           /* the free-lists heads */
      else if (fmt <= ST_FMT_FORWARDED && fmt != 6)
        count = n;
      else if (fmt >= ST_FMT_METHOD && n > 0 && st_is_smallint (st_fetch (vm, o, 0)))
        count = MIN (n, (uint64_t) (st_smallint_value (st_fetch (vm, o, 0)) & 0x7FFF) + 1);
      uint64_t *slots = st_ptr (vm, o) + 1;
      for (uint64_t k = 0; k < count; k++)
        slots[k] = swizzle_64 (vm, slots[k]);
    }
}

/* For other 64-bit readers (folder images): pointers saved at segments'
 * file addresses moved to where the segments lie now. */
void
st_read_swizzle_64 (StVM *vm)
{
  swizzle_heap_64 (vm);
}

StOop
st_read_swizzle_oop_64 (const StVM *vm, StOop v)
{
  return swizzle_64 (vm, v);
}

static StVM *
read_spur64 (StSrc *src, const StPersonality *p, StReadFlags flags, GError **error)
{
  StVM *vm = st_vm_new ();
  vm->personality = *p;
  StImageHeader *h = &vm->header;
  gboolean salvage = (flags & ST_READ_SALVAGE) != 0;
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
  if ((h->old_base_addr & 7) || h->old_base_addr >= MAX_BASE_64)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: old base address 0x%" G_GINT64_MODIFIER "x (header offset %u) is not an 8-byte aligned "
                   "address below 2^48", src->name, h->old_base_addr, p->header_offset + 16);
      goto fail;
    }
  if (h->first_seg_size > h->data_size || h->first_seg_size < ST_BRIDGE_BYTES || (h->first_seg_size & 7))
    {
      if (!salvage || h->first_seg_size < ST_BRIDGE_BYTES || (h->first_seg_size & 7))
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                       "%s: first segment size %" G_GUINT64_FORMAT " (header offset %u) does not fit the data size %"
                       G_GUINT64_FORMAT, src->name, h->first_seg_size, p->header_offset + 72, h->data_size);
          goto fail;
        }
      st_vm_add_defect (vm, ST_IMAGE_ERROR_BAD_HEADER, p->header_offset + 72, 0,
                        "first segment size %" G_GUINT64_FORMAT " (header offset %u) is larger than the data size %"
                        G_GUINT64_FORMAT, h->first_seg_size, p->header_offset + 72, h->data_size);
    }

  uint64_t file_off = (uint64_t) p->header_offset + h->header_size;
  uint64_t avail = src->len > file_off ? src->len - file_off : 0;
  uint64_t file_end = file_off + MIN (h->data_size, avail);
  /* Memory follows what the file holds, not what its header claims. */
  uint64_t data_len = file_end - file_off;
  uint64_t reserve = MAX (RESERVE_MIN, data_len * 4 + (G_GUINT64_CONSTANT (64) << 20));
  if (h->old_base_addr > G_MAXUINT64 - reserve)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: old base address 0x%" G_GINT64_MODIFIER "x (header offset %u) leaves no room for the heap",
                   src->name, h->old_base_addr, p->header_offset + 16);
      goto fail;
    }
  if (!st_objmem_init (vm, h->old_base_addr, reserve, data_len + ST_BRIDGE_BYTES, error))
    goto fail;

  StOop addr = h->old_base_addr;       /* where the next segment lands */
  StOop file_addr = h->old_base_addr;  /* where it was when saved */
  uint64_t seg_bytes = MIN (h->first_seg_size, data_len);
  gboolean relocated = FALSE;
  while (seg_bytes > 0)
    {
      guint si = vm->n_segments;
      gboolean cut = FALSE;
      if (seg_bytes > file_end - file_off || (seg_bytes & 7))
        {
          /* reported where the size came from (header or bridge) */
          seg_bytes = MIN (seg_bytes, file_end - file_off) & ~G_GUINT64_CONSTANT (7);
          cut = TRUE;
        }
      if (seg_bytes < ST_BRIDGE_BYTES)
        break;
      if (!st_objmem_commit (vm, addr - vm->mem_base + seg_bytes + ST_BRIDGE_BYTES, error))
        goto fail;
      if (!read_with_progress (src, file_off, st_ptr (vm, addr), seg_bytes, error))
        goto fail;
      uint64_t span_word = 0, next_bytes = 0;
      StOop limit = cut ? addr + seg_bytes : addr + seg_bytes - ST_BRIDGE_BYTES;
      if (!cut)
        {
          /* The bridge: word 0 spans the gap to the next segment (top byte
           * 0xFF when it carries a count), word 1 the next segment's size. */
          span_word = st_word_at (vm, limit);
          next_bytes = st_word_at (vm, limit + 8);
        }
      const char *why = NULL;
      StOop bad = check_objects_64 (vm, addr, limit, &why);
      if (bad != 0)
        {
          uint64_t bad_off = file_off + (bad - addr);
          if (!salvage)
            {
              g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                           "%s: segment %u, file offset %" G_GUINT64_FORMAT " (address 0x%" G_GINT64_MODIFIER "x): %s",
                           src->name, si, bad_off, file_addr + (bad - addr), why);
              goto fail;
            }
          st_vm_add_defect (vm, ST_IMAGE_ERROR_BAD_OBJECT, bad_off, file_addr + (bad - addr),
                            "segment %u, file offset %" G_GUINT64_FORMAT ": %s; the rest of the segment (%"
                            G_GUINT64_FORMAT " bytes) is dropped", si, bad_off, why, limit - bad);
          limit = bad;
        }
      uint64_t kept = limit - addr + ST_BRIDGE_BYTES;
      if (limit != addr + seg_bytes - ST_BRIDGE_BYTES || cut)
        write_bridge_64 (vm, limit);
      StSegment *seg = st_objmem_add_segment (vm, addr, kept);
      seg->file_start = file_addr;
      seg->file_offset = file_off;
      if (addr != file_addr)
        relocated = TRUE;
      uint64_t bridge_off = file_off + seg_bytes - ST_BRIDGE_BYTES;
      file_off += seg_bytes;
      if (cut || next_bytes == 0)
        break;
      if (next_bytes < ST_BRIDGE_BYTES || (next_bytes & 7) || next_bytes > file_end - file_off)
        {
          if (!read_defect (vm, src, flags, error,
                            next_bytes > file_end - file_off ? ST_IMAGE_ERROR_TRUNCATED : ST_IMAGE_ERROR_BAD_SEGMENT,
                            "the bridge of segment %u (file offset %" G_GUINT64_FORMAT ") gives the next segment %"
                            G_GUINT64_FORMAT " bytes but %" G_GUINT64_FORMAT " remain of the data",
                            si, bridge_off, next_bytes, file_end - file_off))
            goto fail;
          ((StDefect *) vm->defects->pdata[vm->defects->len - 1])->file_offset = bridge_off;
          if (next_bytes < ST_BRIDGE_BYTES || (next_bytes & 7))
            break;
        }
      uint64_t span = (span_word >> 56) == 0xFF ? (span_word & G_GUINT64_CONSTANT (0x00FFFFFFFFFFFF)) * 8 : 0;
      StOop next_file_addr = file_addr + seg_bytes + span;
      StOop next_addr = addr + kept;   /* right after this segment: the fallback */
      if (next_file_addr < file_addr + seg_bytes)
        {
          if (!read_defect (vm, src, flags, error, ST_IMAGE_ERROR_BAD_SEGMENT,
                            "the bridge of segment %u (file offset %" G_GUINT64_FORMAT ") spans past the end of "
                            "the address space", si, bridge_off))
            goto fail;
          ((StDefect *) vm->defects->pdata[vm->defects->len - 1])->file_offset = bridge_off;
          break;
        }
      if (next_file_addr >= next_addr && next_file_addr - vm->mem_base <= vm->mem_reserved / 2
          && next_bytes <= vm->mem_reserved / 2 - (next_file_addr - vm->mem_base))
        addr = next_file_addr;     /* keeps its address */
      else
        addr = next_addr;          /* relocated: its pointers are swizzled below */
      file_addr = next_file_addr;
      seg_bytes = next_bytes;
    }
  if (vm->n_segments == 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_TRUNCATED,
                   "%s: not one segment of the image could be read", src->name);
      goto fail;
    }
  if (file_off != file_end && file_off < file_end)
    {
      if (!read_defect (vm, src, flags, error, ST_IMAGE_ERROR_BAD_SEGMENT,
                        "the segments end at offset %" G_GUINT64_FORMAT " but the header's data size ends at %"
                        G_GUINT64_FORMAT, file_off, file_end))
        goto fail;
      ((StDefect *) vm->defects->pdata[vm->defects->len - 1])->file_offset = file_off;
    }
  /* The header keeps the file's values; vm->special_objects is the heap's. */
  uint64_t file_splobs = h->special_objects_oop;
  if (relocated)
    {
      swizzle_heap_64 (vm);
      h->special_objects_oop = swizzle_64 (vm, h->special_objects_oop);
    }
  gboolean roots = st_read_locate_roots_full (vm, src, flags, error);
  h->special_objects_oop = file_splobs;
  if (!roots)
    goto fail;
  return vm;

fail:
  st_vm_free (vm);
  return NULL;
}

/* ---- entry points ---- */

static StVM *read_format (StSrc *src, StReadFlags flags, GError **error);

/* Every reader reports progress as it goes; the last report (1.0) comes
 * here, so even a small image reports once and can be cancelled. */
static StVM *
read_src (StSrc *src, StReadFlags flags, GError **error)
{
  StVM *vm = read_format (src, flags, error);
  if (vm != NULL && src->progress != NULL && !src->progress (1.0, src->progress_data))
    {
      st_vm_free (vm);
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: reading cancelled", src->name);
      return NULL;
    }
  return vm;
}

static StVM *
read_format (StSrc *src, StReadFlags flags, GError **error)
{
  StPersonality p;
  if (!st_detect_format (src, &p, error))
    return NULL;
  if (p.family == ST_FAMILY_SPUR && p.word_bytes == 8)
    {
      if (p.big_endian)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED,
                       "%s: big-endian 64-bit Spur images are not supported", src->name);
          return NULL;
        }
      return read_spur64 (src, &p, flags, error);
    }
  if (p.family == ST_FAMILY_SPUR && p.word_bytes == 4)
    return st_read_spur32 (src, &p, flags, error);
  if (p.family == ST_FAMILY_V3 && p.word_bytes == 4)
    return st_read_v3 (src, &p, flags, error);
  g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED,
               "%s: image format %u (%s) cannot be read yet", src->name, p.format,
               st_image_format_describe (p.format));
  return NULL;
}

StVM *
st_image_read_buffer (const guint8 *data, gsize len, const char *name, StReadFlags flags, GError **error)
{
  StSrc src = { .fd = -1, .buf = data, .len = len, .name = name ? name : "buffer" };
  return read_src (&src, flags, error);
}

StVM *
st_image_read_full (const char *path, StReadFlags flags, StReadProgress progress, gpointer progress_data,
                    GError **error)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      /* A directory is a Pharo composed (folder) image. */
      g_autofree char *dir = g_strdup (path);
      gsize n = strlen (dir);
      while (n > 1 && dir[n - 1] == G_DIR_SEPARATOR)
        dir[--n] = '\0';
      StVM *fvm = st_image_read_folder (dir, flags, error);
      if (fvm != NULL && progress != NULL && !progress (1.0, progress_data))
        {
          st_vm_free (fvm);
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: reading cancelled", dir);
          return NULL;
        }
      if (fvm != NULL)
        {
          fvm->image_path = g_steal_pointer (&dir);
          st_locate_companions (fvm);
        }
      return fvm;
    }
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot open: %s", path, g_strerror (errno));
      return NULL;
    }
  struct stat st;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: not a regular file", path);
      close (fd);
      return NULL;
    }
  StSrc src = { .fd = fd, .buf = NULL, .len = (gsize) st.st_size, .name = path,
                .progress = progress, .progress_data = progress_data };
  StVM *vm = read_src (&src, flags, error);
  close (fd);
  if (vm != NULL)
    {
      vm->image_path = g_strdup (path);
      st_locate_companions (vm);
    }
  return vm;
}

StVM *
st_image_read (const char *path, StReadFlags flags, GError **error)
{
  return st_image_read_full (path, flags, NULL, NULL, error);
}

/* The .changes file has the image's name; the .sources file is any
 * *.sources beside it (SqueakV3.sources, CuisV4.sources, PharoV60.sources). */
void
st_locate_companions (StVM *vm)
{
  g_autofree char *dir = g_path_get_dirname (vm->image_path);
  g_autofree char *base = g_path_get_basename (vm->image_path);
  char *dot = g_str_has_suffix (base, ".image") ? strrchr (base, '.') : NULL;
  if (dot != NULL)
    *dot = '\0';
  g_autofree char *changes = g_strdup_printf ("%s/%s.changes", dir, base);
  g_clear_pointer (&vm->changes_path, g_free);
  g_clear_pointer (&vm->sources_path, g_free);
  if (g_file_test (changes, G_FILE_TEST_IS_REGULAR))
    vm->changes_path = g_steal_pointer (&changes);
  GDir *d = g_dir_open (dir, 0, NULL);
  if (d != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (d)) != NULL)
        if (g_str_has_suffix (name, ".sources"))
          {
            g_free (vm->sources_path);
            vm->sources_path = g_build_filename (dir, name, NULL);
          }
      g_dir_close (d);
    }
}
