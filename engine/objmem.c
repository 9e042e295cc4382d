/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>

#include "objmem.h"
#include "handles.h"

G_DEFINE_QUARK (st-image-error-quark, st_image_error)

static void
defect_free (gpointer p)
{
  StDefect *d = p;
  g_free (d->message);
  g_free (d);
}

StVM *
st_vm_new (void)
{
  StVM *vm = g_new0 (StVM, 1);
  vm->defects = g_ptr_array_new_with_free_func (defect_free);
  return vm;
}

void
st_vm_free (StVM *vm)
{
  if (vm == NULL)
    return;
  if (vm->interp_free != NULL)
    vm->interp_free (vm);
  if (vm->mem != NULL)
    munmap (vm->mem, vm->mem_reserved);
  g_free (vm->segments);
  g_free (vm->image_path);
  g_free (vm->changes_path);
  g_free (vm->sources_path);
  g_ptr_array_unref (vm->defects);
  if (vm->v3_info != NULL)
    g_hash_table_unref (vm->v3_info);
  if (vm->spur32_info != NULL && vm->spur32_info_free != NULL)
    vm->spur32_info_free (vm->spur32_info);
  if (vm->handle_tables != NULL)
    {
      for (guint i = 0; i < vm->handle_tables->len; i++)
        st_handles_detach (g_ptr_array_index (vm->handle_tables, i));
      g_ptr_array_unref (vm->handle_tables);
    }
  g_free (vm);
}

StVM *
st_vm_copy (StVM *vm, GError **error)
{
  StOop end = st_objmem_end (vm);
  gsize used = (gsize) (end - vm->mem_base);
  StVM *c = st_vm_new ();
  if (!st_objmem_init (c, vm->mem_base, vm->mem_reserved, used, error))
    {
      st_vm_free (c);
      return NULL;
    }
  memcpy (c->mem, vm->mem, used);
  c->segments = g_new (StSegment, vm->n_segments);
  memcpy (c->segments, vm->segments, vm->n_segments * sizeof (StSegment));
  c->n_segments = c->segments_cap = vm->n_segments;
  c->nil_obj = vm->nil_obj;
  c->false_obj = vm->false_obj;
  c->true_obj = vm->true_obj;
  c->free_lists_obj = vm->free_lists_obj;
  c->hidden_roots_obj = vm->hidden_roots_obj;
  c->special_objects = vm->special_objects;
  c->header = vm->header;
  c->personality = vm->personality;
  c->image_path = g_strdup (vm->image_path);
  c->changes_path = g_strdup (vm->changes_path);
  c->sources_path = g_strdup (vm->sources_path);
  for (guint i = 0; i < vm->defects->len; i++)
    {
      const StDefect *d = g_ptr_array_index (vm->defects, i);
      st_vm_add_defect (c, d->code, d->file_offset, d->address, "%s", d->message);
    }
  if (vm->v3_info != NULL)
    c->v3_info = g_hash_table_ref (vm->v3_info);
  return c;
}

gboolean
st_objmem_init (StVM *vm, StOop base, gsize reserve_bytes, gsize commit_bytes, GError **error)
{
  g_return_val_if_fail (vm->mem == NULL, FALSE);
  gsize page = 4096;
  reserve_bytes = (reserve_bytes + page - 1) & ~(page - 1);
  void *p = mmap (NULL, reserve_bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO,
                   "cannot reserve %" G_GSIZE_FORMAT " bytes of address space for the heap: %s",
                   reserve_bytes, g_strerror (errno));
      return FALSE;
    }
  vm->mem = p;
  vm->mem_reserved = reserve_bytes;
  vm->mem_committed = 0;
  vm->mem_base = base;
  vm->bias = (intptr_t) ((uintptr_t) vm->mem - (uintptr_t) base);   /* wraps, never overflows */
  return st_objmem_commit (vm, commit_bytes, error);
}

gboolean
st_objmem_commit (StVM *vm, gsize bytes, GError **error)
{
  gsize page = 4096;
  bytes = (bytes + page - 1) & ~(page - 1);
  if (bytes <= vm->mem_committed)
    return TRUE;
  if (bytes > vm->mem_reserved)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO,
                   "the heap needs %" G_GSIZE_FORMAT " bytes but only %" G_GSIZE_FORMAT
                   " bytes of address space are reserved", bytes, vm->mem_reserved);
      return FALSE;
    }
  if (mprotect (vm->mem + vm->mem_committed, bytes - vm->mem_committed, PROT_READ | PROT_WRITE) != 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO,
                   "cannot commit %" G_GSIZE_FORMAT " bytes of heap memory: %s", bytes, g_strerror (errno));
      return FALSE;
    }
  vm->mem_committed = bytes;
  return TRUE;
}

StSegment *
st_objmem_add_segment (StVM *vm, StOop start, uint64_t bytes)
{
  if (vm->n_segments == vm->segments_cap)
    {
      vm->segments_cap = vm->segments_cap ? vm->segments_cap * 2 : 8;
      vm->segments = g_renew (StSegment, vm->segments, vm->segments_cap);
    }
  StSegment *s = &vm->segments[vm->n_segments++];
  *s = (StSegment) { .start = start, .bytes = bytes, .file_start = start, .file_offset = 0 };
  return s;
}

const StSegment *
st_objmem_segment_of (StVM *vm, StOop a)
{
  /* Segments are few and sorted by address: a binary search. */
  guint lo = 0, hi = vm->n_segments;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      const StSegment *s = &vm->segments[mid];
      if (a < s->start)
        hi = mid;
      else if (a >= s->start + s->bytes)
        lo = mid + 1;
      else
        return s;
    }
  /* A running VM's new space counts as heap too (not walkable as a
   * segment: callers that walk segments do not get here with it). */
  if (a - vm->young_start < vm->young_bytes)
    return &vm->young_segment;
  return NULL;
}

StOop
st_objmem_end (StVM *vm)
{
  if (vm->n_segments == 0)
    return vm->mem_base;
  const StSegment *s = &vm->segments[vm->n_segments - 1];
  return s->start + s->bytes;
}

void
st_vm_add_defect (StVM *vm, int code, uint64_t file_offset, StOop address, const char *fmt, ...)
{
  StDefect *d = g_new0 (StDefect, 1);
  va_list ap;
  va_start (ap, fmt);
  d->message = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  d->code = code;
  d->file_offset = file_offset;
  d->address = address;
  g_ptr_array_add (vm->defects, d);
}

uint64_t
st_byte_length (const StVM *vm, StOop o)
{
  guint fmt = st_format (vm, o);
  uint64_t n = st_num_slots (vm, o);
  if (fmt >= ST_FMT_BYTES)
    return n * 8 - (fmt & 7);
  if (fmt >= ST_FMT_SHORTS16)
    return n * 8 - (fmt & 3) * 2;
  if (fmt >= ST_FMT_WORDS32)
    return n * 8 - (fmt & 1) * 4;
  return n * 8;
}

uint64_t
st_fixed_count (const StVM *vm, StOop o)
{
  guint fmt = st_format (vm, o);
  if (fmt == ST_FMT_INDEXABLE || fmt >= ST_FMT_WORDS64)
    return 0;
  if (fmt == ST_FMT_FIXED || fmt == ST_FMT_EPHEMERON || fmt == ST_FMT_ZERO)
    return fmt == ST_FMT_ZERO ? 0 : st_num_slots (vm, o);
  /* 3 and 4: the class's instance specification gives the named part. */
  StOop cls = st_class_of (vm, o);
  if (cls == 0 || !st_is_pointer (cls) || st_num_slots (vm, cls) < 3)
    return 0;
  StOop spec = st_fetch (vm, cls, 2);
  if (!st_is_smallint (spec))
    return 0;
  uint64_t fixed = st_smallint_value (spec) & 0xFFFF;
  if (vm->personality.family == ST_FAMILY_V3)
    {
      /* V3 class formats keep their encoding: instSize + 1 split over
       * bits 1..6 and 16..17. */
      int64_t v = st_smallint_value (spec);
      int64_t s = ((v >> 10) & 0xC0) + ((v >> 1) & 0x3F) - 1;
      fixed = s < 0 ? 0 : (uint64_t) s;
    }
  uint64_t n = st_num_slots (vm, o);
  return fixed > n ? n : fixed;
}

uint64_t
st_indexable_count (const StVM *vm, StOop o)
{
  guint fmt = st_format (vm, o);
  uint64_t n = st_num_slots (vm, o);
  switch (fmt)
    {
    case ST_FMT_ZERO:
    case ST_FMT_FIXED:
    case ST_FMT_EPHEMERON:
      return 0;
    case ST_FMT_INDEXABLE:
      return n;
    case ST_FMT_FIXED_INDEXABLE:
    case ST_FMT_WEAK:
      return n - st_fixed_count (vm, o);
    case ST_FMT_WORDS64:
      return n;
    default:
      break;
    }
  if (fmt >= ST_FMT_BYTES)
    return st_byte_length (vm, o);
  if (fmt >= ST_FMT_SHORTS16)
    return st_byte_length (vm, o) / 2;
  if (fmt >= ST_FMT_WORDS32)
    return st_byte_length (vm, o) / 4;
  return 0;
}

StOop
st_class_at_index (const StVM *vm, guint32 idx)
{
  if (vm->hidden_roots_obj == 0 || idx > ST_MAX_CLASS_INDEX)
    return 0;
  guint32 major = idx >> ST_CLASS_TABLE_PAGE_SHIFT, minor = idx & (ST_CLASS_TABLE_PAGE_SIZE - 1);
  if (st_num_slots (vm, vm->hidden_roots_obj) <= major)
    return 0;
  StOop page = st_fetch (vm, vm->hidden_roots_obj, major);
  if (page == vm->nil_obj || !st_is_pointer (page) || !st_addr_in_heap (vm, page))
    return 0;
  if (st_num_slots (vm, page) <= minor)
    return 0;
  StOop cls = st_fetch (vm, page, minor);
  if (cls == vm->nil_obj || !st_is_pointer (cls) || !st_addr_in_heap (vm, cls))
    return 0;
  return cls;
}

StOop
st_class_of (const StVM *vm, StOop o)
{
  if (st_is_smallint (o))
    return st_class_at_index (vm, ST_CLASS_INDEX_SMALLINTEGER);
  if (st_is_character (o))
    return st_class_at_index (vm, ST_CLASS_INDEX_CHARACTER);
  if (st_is_smallfloat (o))
    return st_class_at_index (vm, ST_CLASS_INDEX_SMALLFLOAT);
  if (!st_is_pointer (o))
    return 0;
  return st_class_at_index (vm, st_class_index (vm, o));
}

guint
st_special_count (const StVM *vm)
{
  if (vm->special_objects == 0)
    return 0;
  return (guint) st_num_slots (vm, vm->special_objects);
}

StOop
st_special (const StVM *vm, StSpecialObject i)
{
  if ((guint) i >= st_special_count (vm))
    return vm->nil_obj;
  return st_fetch (vm, vm->special_objects, i);
}

void
st_heap_walk_init (StHeapWalk *w, const StVM *vm)
{
  memset (w, 0, sizeof *w);
  w->vm = vm;
  w->seg = 0;
  if (vm->n_segments > 0)
    {
      w->next = vm->segments[0].start;
      w->limit = vm->segments[0].start + vm->segments[0].bytes - ST_BRIDGE_BYTES;
    }
}

StOop
st_heap_walk_next (StHeapWalk *w)
{
  const StVM *vm = w->vm;
  while (w->seg < vm->n_segments)
    {
      if (w->next < w->limit)
        {
          StOop start = w->next;
          uint64_t first = st_word_at (vm, start);
          StOop oop = start;
          if ((first >> 56) == 0xFF)
            {
              oop = start + 8;
              if (oop >= w->limit)
                goto damaged;
            }
          uint64_t n = st_num_slots (vm, oop);
          uint64_t body = 8 * (n == 0 ? 1 : n);
          if (n > (w->limit - oop) / 8 || oop + 8 + body > w->limit)
            goto damaged;
          w->next = oop + 8 + body;
          return oop;
        damaged:
          if (!w->damaged)
            w->damaged_at = start;
          w->damaged = true;
          w->next = w->limit;
        }
      w->seg++;
      if (w->seg < vm->n_segments)
        {
          w->next = vm->segments[w->seg].start;
          w->limit = vm->segments[w->seg].start + vm->segments[w->seg].bytes - ST_BRIDGE_BYTES;
        }
    }
  return 0;
}

double
st_smallfloat_value (StOop o)
{
  uint64_t bits = o >> 3;                 /* exponent(8) mantissa(52) sign(1) in the low 61 bits after shift */
  uint64_t sign = bits & 1;
  uint64_t rest = bits >> 1;              /* 8-bit exponent and 52-bit mantissa */
  uint64_t ieee;
  if (rest == 0)
    ieee = 0;
  else
    ieee = rest + ((uint64_t) ST_SMALLFLOAT_EXPONENT_OFFSET << 52);
  ieee |= sign << 63;
  double d;
  memcpy (&d, &ieee, sizeof d);
  return d;
}

bool
st_smallfloat_encode (double d, StOop *out)
{
  uint64_t ieee;
  memcpy (&ieee, &d, sizeof ieee);
  uint64_t sign = ieee >> 63;
  uint64_t rest = ieee & G_GUINT64_CONSTANT (0x7FFFFFFFFFFFFFFF);
  uint64_t exp = rest >> 52;
  if (rest != 0)
    {
      if (exp <= ST_SMALLFLOAT_EXPONENT_OFFSET || exp > ST_SMALLFLOAT_EXPONENT_OFFSET + 255)
        return false;
      rest -= (uint64_t) ST_SMALLFLOAT_EXPONENT_OFFSET << 52;
    }
  *out = (((rest << 1) | sign) << 3) | ST_TAG_SMALLFLOAT;
  return true;
}
