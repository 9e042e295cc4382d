/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-write-spur64.c: the heap as a Spur 64-bit single-file image.
 *
 * The heap already has the file's layout, so a heap read from a 64-bit
 * image is written back as its header followed by its segments' bytes.
 * Each segment goes to the address it had in the file it came from
 * (StSegment.file_start); when the reader had to move a segment, the
 * pointers into it are moved back while writing, object by object, so an
 * unchanged image comes out byte for byte as it went in.
 *
 * Segment bridges are written in their file form: for every segment but
 * the last, word 0 = 0xFF << 56 | the gap to the next segment in 8-byte
 * slots and word 1 = the next segment's size in bytes; the last segment
 * ends in the header of an empty, marked, pinned bridge object (format 9,
 * class index 3) followed by a zero word, which is what a 64-bit VM writes.
 *
 * Heaps read from 32-bit Spur images are converted structurally: the same
 * objects in the 64-bit layout the heap already uses, placed at the heap's
 * own addresses, with format number 68021 (68533 with the Sista bit). */
#include "config.h"

#include <string.h>

#include "image-write-private.h"

#define SPUR64_FORMAT        68021
#define SPUR64_SISTA_FORMAT  68533
#define SPUR64_HEADER_BYTES  128

static void
put_word (StOut *o, uint64_t w)
{
  st_out_u64 (o, w, FALSE);
}

static gboolean
layout_moved (const StVM *vm, const StOop *out_start)
{
  for (guint i = 0; i < vm->n_segments; i++)
    if (out_start[i] != vm->segments[i].start)
      return TRUE;
  return FALSE;
}

uint64_t
st_spur64_file_address (StVM *vm, const StOop *out_start, uint64_t w)
{
  if (!st_is_pointer (w))
    return w;
  const StSegment *s = st_objmem_segment_of (vm, w);
  if (s == NULL)
    return w;
  return w - s->start + out_start[s - vm->segments];
}

guint32
st_spur64_format (const StVM *vm)
{
  guint32 f = vm->header.image_format;
  if (vm->personality.word_bytes == 8 && (f == SPUR64_FORMAT || f == SPUR64_SISTA_FORMAT))
    return f;
  return vm->personality.sista ? SPUR64_SISTA_FORMAT : SPUR64_FORMAT;
}

gboolean
st_spur64_layout (StVM *vm, StOop *out_start, uint64_t *data_size, GError **error)
{
  const StPersonality *p = &vm->personality;
  if (p->family != ST_FAMILY_SPUR)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED,
                   "a heap read from a V3 image (format %u) cannot be written as Spur 64", p->format);
      return FALSE;
    }
  if (vm->n_segments == 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID, "the heap has no segments");
      return FALSE;
    }
  /* Heaps from 64-bit files go back to their file addresses; converted
   * heaps keep the addresses they have. */
  gboolean from64 = p->word_bytes == 8;
  uint64_t total = 0;
  for (guint i = 0; i < vm->n_segments; i++)
    {
      const StSegment *s = &vm->segments[i];
      out_start[i] = from64 ? s->file_start : s->start;
      if (s->bytes < ST_BRIDGE_BYTES || (s->bytes & 7) || (out_start[i] & 7))
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_SEGMENT,
                       "segment %u (heap address 0x%" G_GINT64_MODIFIER "x, %" G_GUINT64_FORMAT
                       " bytes) is not a whole number of aligned words ending in a bridge", i, s->start, s->bytes);
          return FALSE;
        }
      if (i > 0 && out_start[i] < out_start[i - 1] + vm->segments[i - 1].bytes)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_SEGMENT,
                       "segment %u would start at 0x%" G_GINT64_MODIFIER "x, inside segment %u "
                       "(0x%" G_GINT64_MODIFIER "x, %" G_GUINT64_FORMAT " bytes)", i, out_start[i], i - 1,
                       out_start[i - 1], vm->segments[i - 1].bytes);
          return FALSE;
        }
      total += s->bytes;
    }
  if (!st_addr_in_heap (vm, vm->special_objects))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID,
                   "the special objects array 0x%" G_GINT64_MODIFIER "x is outside the heap", vm->special_objects);
      return FALSE;
    }
  if (data_size != NULL)
    *data_size = total;
  return TRUE;
}

/* One segment written object by object with its pointers moved back. */
static void
write_segment_moved (StVM *vm, const StOop *out_start, const StSegment *seg, StOut *o)
{
  StOop limit = seg->start + seg->bytes - ST_BRIDGE_BYTES;
  StOop a = seg->start;
  while (a < limit && o->error == NULL)
    {
      uint64_t first = st_word_at (vm, a);
      StOop oop = (first >> 56) == 0xFF ? a + 8 : a;
      if (oop >= limit)
        break;
      uint64_t n = st_num_slots (vm, oop);
      uint64_t body = 8 * (n == 0 ? 1 : n);
      if (n > (limit - oop) / 8 || oop + 8 + body > limit)
        break;                              /* unparsable: the rest goes raw */
      uint64_t hdr = st_header (vm, oop);
      guint fmt = st_hdr_format (hdr);
      guint32 ci = st_hdr_class_index (hdr);
      /* The words that hold pointers: the same choice the reader makes
       * when it moves segments, so the two are exact inverses. */
      uint64_t ptr_slots = 0;
      if (ci == ST_CLASS_INDEX_FREE)
        ptr_slots = MIN (n, 5);             /* next, prev, parent, smaller, larger */
      else if (ci == ST_CLASS_INDEX_LONGS64_PUN && fmt == ST_FMT_WORDS64)
        ptr_slots = n;                      /* the free-list heads */
      else if (fmt <= ST_FMT_FORWARDED && fmt != 6)
        ptr_slots = n;
      else if (st_fmt_is_method (fmt) && n > 0 && st_is_smallint (st_ptr (vm, oop)[1]))
        ptr_slots = MIN (n, (uint64_t) (st_smallint_value (st_ptr (vm, oop)[1]) & 0x7FFF) + 1);
      st_out_bytes (o, st_ptr (vm, a), oop + 8 - a);   /* overflow word and header */
      const uint64_t *slots = st_ptr (vm, oop) + 1;
      for (uint64_t i = 0; i < ptr_slots; i++)
        put_word (o, st_spur64_file_address (vm, out_start, slots[i]));
      if (body / 8 > ptr_slots)
        st_out_bytes (o, slots + ptr_slots, body - 8 * ptr_slots);
      a = oop + 8 + body;
    }
  if (a < limit)
    st_out_bytes (o, st_ptr (vm, a), limit - a);
}

void
st_spur64_write_segment (StVM *vm, const StOop *out_start, guint i, StOut *o)
{
  const StSegment *s = &vm->segments[i];
  if (layout_moved (vm, out_start))
    write_segment_moved (vm, out_start, s, o);
  else
    st_out_bytes (o, st_ptr (vm, s->start), s->bytes - ST_BRIDGE_BYTES);
  if (i + 1 < vm->n_segments)
    {
      uint64_t gap = out_start[i + 1] - (out_start[i] + s->bytes);
      put_word (o, (G_GUINT64_CONSTANT (0xFF) << 56) | (gap / 8));
      put_word (o, vm->segments[i + 1].bytes);
    }
  else
    {
      put_word (o, st_hdr_make (0, 0, ST_FMT_WORDS64, ST_CLASS_INDEX_BRIDGE)
                   | ST_HDR_MARKED_BIT | ST_HDR_PINNED_BIT);
      put_word (o, 0);
    }
}

gboolean
st_write_spur64 (StVM *vm, StOut *o, GError **error)
{
  g_autofree StOop *out_start = g_new (StOop, MAX (vm->n_segments, 1));
  uint64_t data_size = 0;
  if (!st_spur64_layout (vm, out_start, &data_size, error))
    return FALSE;

  /* The header: every field from vm->header; bytes past the known fields
   * come back from the header as read when it was a 64-bit one. */
  const StImageHeader *h = &vm->header;
  guint8 hdr[SPUR64_HEADER_BYTES] = { 0 };
  if (vm->personality.word_bytes == 8 && h->raw_len == SPUR64_HEADER_BYTES)
    memcpy (hdr, h->raw, SPUR64_HEADER_BYTES);
  guint8 *q = hdr;
#define PUT(v, width) do { uint64_t v_ = (v); for (guint b_ = 0; b_ < (width); b_++) q[b_] = (guint8) (v_ >> (8 * b_)); \
                           q += (width); } while (0)
  PUT (st_spur64_format (vm), 4);
  PUT (SPUR64_HEADER_BYTES, 4);
  PUT (data_size, 8);
  PUT (out_start[0], 8);
  PUT (st_spur64_file_address (vm, out_start, vm->special_objects), 8);
  PUT (h->last_hash, 8);
  PUT (h->saved_window_size, 8);
  PUT (h->header_flags, 8);
  PUT (h->extra_vm_memory, 4);
  PUT (h->num_stack_pages, 2);
  PUT (h->cog_code_size, 2);
  PUT (h->eden_bytes, 4);
  PUT (h->max_ext_sem_tab_size, 2);
  PUT (h->image_version, 2);
  PUT (vm->segments[0].bytes, 8);
  PUT (h->free_old_space, 8);
#undef PUT
  st_out_bytes (o, hdr, sizeof hdr);

  for (guint i = 0; i < vm->n_segments && o->error == NULL; i++)
    st_spur64_write_segment (vm, out_start, i, o);
  if (o->error != NULL)
    {
      g_propagate_error (error, g_error_copy (o->error));
      return FALSE;
    }
  return TRUE;
}
