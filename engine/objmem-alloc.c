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
  const StSegment *s = &vm->segments[vm->n_segments - 1];
  StOop bridge = s->start + s->bytes - ST_BRIDGE_BYTES;
  uint64_t bytes = st_object_bytes_for_slots (num_slots);
  gsize need = (gsize) (bridge + bytes + ST_BRIDGE_BYTES - vm->mem_base);
  /* A running VM's new space lies above old space (gc.h). */
  StOop limit = vm->young_bytes != 0 ? vm->young_start - 4096 : vm->mem_base + vm->mem_reserved;
  if (need > vm->mem_reserved || bridge + bytes + ST_BRIDGE_BYTES > limit)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO,
                   "no address space left to grow the last segment by %" G_GUINT64_FORMAT " bytes", bytes);
      return 0;
    }
  if (!st_objmem_commit (vm, need, error))
    return 0;
  StOop start = st_objmem_grow_last_segment (vm, bytes, limit);
  return st_objmem_init_object (vm, start, class_index, format, num_slots);
}

StOop
st_objmem_grow_last_segment (StVM *vm, uint64_t bytes, StOop limit)
{
  StSegment *s = &vm->segments[vm->n_segments - 1];
  StOop bridge = s->start + s->bytes - ST_BRIDGE_BYTES;
  if (bridge + bytes + ST_BRIDGE_BYTES > limit)
    return 0;
  uint64_t b0 = st_word_at (vm, bridge), b1 = st_word_at (vm, bridge + 8);
  *st_ptr (vm, bridge + bytes) = b0;
  *st_ptr (vm, bridge + bytes + 8) = b1;
  s->bytes += bytes;
  return bridge;
}

/* Write a new object's header(s) and fill its slots at start. */
StOop
st_objmem_init_object (StVM *vm, StOop start, guint32 class_index, guint format, uint64_t num_slots)
{
  StOop oop = start;
  if (num_slots >= ST_OVERFLOW_SLOTS)
    {
      *st_ptr (vm, start) = (G_GUINT64_CONSTANT (0xFF) << 56) | num_slots;
      oop = start + 8;
      *st_ptr (vm, oop) = st_hdr_make (ST_OVERFLOW_SLOTS, 0, format, class_index);
    }
  else
    *st_ptr (vm, oop) = st_hdr_make ((guint) num_slots, 0, format, class_index);
  uint64_t *p = st_ptr (vm, oop) + 1;
  uint64_t fill = st_fmt_is_pointers (format) ? vm->nil_obj : 0;
  if (num_slots == 0)
    p[0] = 0;
  else if (fill == 0)
    memset (p, 0, num_slots * 8);
  else
    for (uint64_t i = 0; i < num_slots; i++)
      p[i] = fill;
  return oop;
}

