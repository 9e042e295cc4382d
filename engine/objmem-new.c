/* SPDX-License-Identifier: GPL-3.0-or-later */
/* objmem-new.c: allocation for the running image.
 *
 * New objects are bump-allocated in eden (gc.h); near its end a scavenge is
 * requested for the next instruction boundary, and until then, or for
 * large objects, old space takes them.  Allocation never moves anything. */
#include "config.h"

#include <string.h>

#include "gc.h"
#include "interp-private.h"

/* Objects larger than this go straight to old space. */
#define LARGE_OBJECT_BYTES (G_GUINT64_CONSTANT (256) << 10)

StOop
st_objmem_new_object (StVM *vm, guint32 class_index, guint format, uint64_t num_slots)
{
  StInterp *it = st_interp (vm);
  if (num_slots > (G_GUINT64_CONSTANT (1) << 40))
    return 0;
  uint64_t bytes = st_object_bytes_for_slots (num_slots);
  StOop start = it->eden_next;
  if (ST_LIKELY (bytes <= it->eden_end - start && bytes < LARGE_OBJECT_BYTES))
    {
      it->eden_next = start + bytes;
      if (ST_UNLIKELY (it->eden_next > it->eden_trigger || it->gc_stress))
        st_gc_request (vm);
    }
  else
    {
      /* Eden is full (a scavenge is due at the next boundary) or the
       * object is large: old space takes it. */
      start = st_gc_alloc_old (vm, bytes);
      if (start == 0)
        return 0;
      if (bytes < LARGE_OBJECT_BYTES)
        st_gc_request (vm);
    }
  it->stats.bytes_allocated += bytes;
  return st_objmem_init_object (vm, start, class_index, format, num_slots);
}

bool
st_objmem_class_spec (StVM *vm, StOop cls, guint *format, uint64_t *fixed)
{
  if (!st_interp_valid_obj (vm, cls) || st_num_slots (vm, cls) < 3)
    return false;
  StOop f = st_fetch (vm, cls, ST_CLASS_FORMAT);
  if (!st_is_smallint (f))
    return false;
  int64_t v = st_smallint_value (f);
  if (vm->personality.family == ST_FAMILY_V3)
    {
      /* V3: instSpec in bits 7..10, instSize split over bits 1..6 and 16..17 (+1). */
      guint spec = (v >> 7) & 15;
      int64_t size = ((v >> 10) & 0xC0) + ((v >> 1) & 0x3F) - 1;
      if (size < 0)
        size = 0;
      *fixed = (uint64_t) size;
      switch (spec)
        {
        case 0: case 1: case 2: case 3: case 4: *format = spec; break;
        case 5: *format = ST_FMT_EPHEMERON; break;
        case 6: case 7: *format = ST_FMT_WORDS32; break;
        case 8: case 9: case 10: case 11: *format = ST_FMT_BYTES; break;
        default: *format = ST_FMT_METHOD; break;
        }
    }
  else
    {
      *format = (v >> 16) & 31;
      *fixed = v & 0xFFFF;
    }
  return true;
}

guint32
st_objmem_class_index_for (StVM *vm, StOop cls)
{
  guint32 h = st_hash (vm, cls);
  if (h != 0 && st_class_at_index (vm, h) == cls)
    return h;
  /* Not in the table yet (a class the image just made): enter it in the
   * first free entry of an existing page, and make its hash the index. */
  if (vm->hidden_roots_obj == 0)
    return 0;
  for (guint32 major = 0; major < ST_CLASS_TABLE_ROOT_SLOTS; major++)
    {
      StOop page = st_fetch (vm, vm->hidden_roots_obj, major);
      if (page == vm->nil_obj || !st_interp_valid_obj (vm, page))
        break;
      uint64_t n = st_num_slots (vm, page);
      for (guint32 minor = major == 0 ? ST_CLASS_INDEX_FIRST_REAL : 0; minor < n; minor++)
        {
          StOop e = st_fetch (vm, page, minor);
          if (e == vm->nil_obj || e == 0)
            {
              guint32 idx = (major << ST_CLASS_TABLE_PAGE_SHIFT) | minor;
              st_store (vm, page, minor, cls);
              st_set_header (vm, cls, st_hdr_with_hash (st_header (vm, cls), idx));
              return idx;
            }
        }
    }
  return 0;
}

StOop
st_objmem_instantiate (StVM *vm, StOop cls, uint64_t n, StPrimResult *why)
{
  guint fmt;
  uint64_t fixed;
  *why = ST_PRIM_ERR_BAD_RECEIVER;
  if (!st_objmem_class_spec (vm, cls, &fmt, &fixed))
    return 0;
  guint32 ci = st_objmem_class_index_for (vm, cls);
  if (ci == 0)
    return 0;
  *why = ST_PRIM_ERR_BAD_ARGUMENT;
  if (n > (G_GUINT64_CONSTANT (1) << 32))
    return 0;
  uint64_t slots;
  guint f = fmt;
  switch (fmt)
    {
    case ST_FMT_ZERO:
    case ST_FMT_FIXED:
    case ST_FMT_EPHEMERON:
      if (n != 0)
        return 0;
      slots = fixed;
      f = fixed == 0 ? ST_FMT_ZERO : fmt;
      break;
    case ST_FMT_INDEXABLE:
    case ST_FMT_FIXED_INDEXABLE:
    case ST_FMT_WEAK:
      slots = fixed + n;
      break;
    case ST_FMT_WORDS64:
      slots = n;
      break;
    case 10: case 11:
      slots = (n + 1) / 2;
      f = 10 + (n & 1);
      break;
    case 12: case 13: case 14: case 15:
      slots = (n + 3) / 4;
      f = 12 + ((4 - (n & 3)) & 3);
      break;
    default:
      if (fmt >= ST_FMT_BYTES)
        {
          slots = (n + 7) / 8;
          f = (fmt >= ST_FMT_METHOD ? ST_FMT_METHOD : ST_FMT_BYTES) + ((8 - (n & 7)) & 7);
          break;
        }
      *why = ST_PRIM_ERR_BAD_RECEIVER;
      return 0;
    }
  StOop o = st_objmem_new_object (vm, ci, f, slots);
  *why = o ? ST_PRIM_OK : ST_PRIM_ERR_NO_MEMORY;
  return o;
}

StOop
st_objmem_clone (StVM *vm, StOop o)
{
  uint64_t h = st_header (vm, o);
  uint64_t n = st_num_slots (vm, o);
  StOop c = st_objmem_new_object (vm, st_hdr_class_index (h), st_hdr_format (h), n);
  if (c == 0)
    return 0;
  memcpy (st_ptr (vm, c) + 1, st_ptr (vm, o) + 1, 8 * n);
  if (st_fmt_is_pointers (st_hdr_format (h)) || st_fmt_is_method (st_hdr_format (h)))
    st_gc_remember (vm, c);
  return c;
}

guint32
st_objmem_ensure_hash (StVM *vm, StOop o)
{
  uint64_t h = st_header (vm, o);
  guint32 hash = st_hdr_hash (h);
  if (hash != 0)
    return hash;
  /* A multiplicative step from the image's lastHash, as Spur does. */
  uint64_t x = vm->header.last_hash ? vm->header.last_hash % 2147483647 : 1;
  bool v3 = vm->personality.family == ST_FAMILY_V3;  /* 12-bit hashes, 0 included (spur.h) */
  do
    {
      x = (x * 16807) % 2147483647;
      if (x == 0)
        x = 1;
      hash = v3 ? ((guint32) (x & ST_V3_HASH_MASK) | ST_V3_HASH_PRESENT) : (guint32) (x & ST_MAX_HASH);
    }
  while (hash == 0);
  vm->header.last_hash = x;
  st_set_header (vm, o, st_hdr_with_hash (h, hash));
  return hash;
}
