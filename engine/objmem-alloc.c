/* SPDX-License-Identifier: GPL-3.0-or-later */
/* objmem-alloc.c: allocation in old space, for edits of a stopped heap.
 *
 * The simplest correct way: grow the last segment.  Its bridge (the last
 * 16 bytes) moves up by the new object's size and the object takes the
 * bridge's old place.  Nothing else in the heap moves; free chunks and the
 * free lists are untouched, so they stay valid; the segment stays walkable.
 * The header's data size follows from the segments when the image is
 * written.  While an interpreter runs, old space may grow up to its new
 * space (gc.h). */
#include "config.h"

#include <string.h>

#include "objmem.h"

StOop
st_objmem_alloc_old (StVM *vm, guint32 class_index, guint format, uint64_t num_slots, GError **error)
{
  if (vm->n_segments == 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID, "the heap has no segments to allocate in");
      return 0;
    }
  if (class_index < ST_CLASS_INDEX_FIRST_REAL || class_index > ST_MAX_CLASS_INDEX || format > 31
      || num_slots > (G_GUINT64_CONSTANT (1) << 40))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID,
                   "refusing to allocate an object of class index %u, format %u, %" G_GUINT64_FORMAT " slots",
                   class_index, format, num_slots);
      return 0;
    }
  StSegment *s = &vm->segments[vm->n_segments - 1];
  StOop bridge = s->start + s->bytes - ST_BRIDGE_BYTES;
  uint64_t bytes = st_object_bytes_for_slots (num_slots);
  uint64_t old_bridge0 = st_word_at (vm, bridge), old_bridge1 = st_word_at (vm, bridge + 8);
  gsize need = (gsize) (bridge + bytes + ST_BRIDGE_BYTES - vm->mem_base);
  /* A running VM's new space lies above old space (gc.h). */
  if (need > vm->mem_reserved || (vm->young_bytes != 0 && bridge + bytes + ST_BRIDGE_BYTES + 4096 > vm->young_start))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO,
                   "no address space left to grow the last segment by %" G_GUINT64_FORMAT " bytes", bytes);
      return 0;
    }
  if (!st_objmem_commit (vm, need, error))
    return 0;
  StOop start = bridge;
  StOop oop = start;
  if (num_slots >= ST_OVERFLOW_SLOTS)
    {
      *st_ptr (vm, start) = (G_GUINT64_CONSTANT (0xFF) << 56) | num_slots;
      oop = start + 8;
      st_set_header (vm, oop, st_hdr_make (ST_OVERFLOW_SLOTS, 0, format, class_index));
    }
  else
    st_set_header (vm, oop, st_hdr_make ((guint) num_slots, 0, format, class_index));
  /* Slots: nil for pointers, zero for the rest. */
  uint64_t nwords = num_slots == 0 ? 1 : num_slots;
  StOop fill = st_fmt_is_pointers (format) ? vm->nil_obj : 0;
  for (uint64_t i = 0; i < nwords; i++)
    st_ptr (vm, oop)[1 + i] = fill;
  StOop new_bridge = start + bytes;
  *st_ptr (vm, new_bridge) = old_bridge0;
  *st_ptr (vm, new_bridge + 8) = old_bridge1;
  s->bytes += bytes;
  return oop;
}
