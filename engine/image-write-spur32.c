/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-write-spur32.c: the 64-bit heap narrowed to a Spur 32-bit image.
 *
 * The inverse of image-read-spur32.c.  A first walk gives every object its
 * 32-bit size and address (segments keep the addresses they had in the
 * file when the heap came from one and they still fit; otherwise they
 * follow one another) and checks that every value narrows: SmallIntegers
 * must fit in 31 bits and Characters in 30; a SmallFloat64 immediate has no
 * 32-bit form and is refused rather than boxed, since boxing would change
 * the object graph behind the user's back.  The second walk writes.
 *
 * What the heap cannot say (padding words, the stale words of free chunks
 * and forwarders, the original free-lists object, the exec prefix) comes
 * from the StSpur32Info the reader left, for each object only while it is
 * still the same size.  If the set of free chunks changed, 32-bit free
 * lists are planned afresh. */
#include "config.h"

#include <string.h>

#include "image-write-private.h"
#include "image-spur32-private.h"

#define NUM_FREE_LISTS_32 32
#define DEFAULT_BASE_32   G_GUINT64_CONSTANT (0x10000000)

typedef struct {
  StVM         *vm;
  StSpur32Info *info;
  gboolean      be;
  gboolean      floats_hi_first;
  guint32      *map;          /* per 8 heap bytes of every segment: the 32-bit address, or 0 */
  uint64_t     *map_base;     /* per segment: index of its first entry */
  uint64_t     *start32;      /* per segment: 32-bit start */
  uint64_t     *bytes32;      /* per segment: 32-bit size, bridge included */
  gboolean      free_same;    /* the free chunks are those read: replay their words */
  GArray       *free_chunks;  /* StFreeChunkPlan, by 32-bit address */
  GHashTable   *free_plan;    /* 32-bit address -> StFreeChunkPlan *, when planned afresh */
  StOop         heads[NUM_FREE_LISTS_32];
  uint64_t      free_bytes32;
  /* output staging */
  StOut        *out;
  guint32       stage[4096];
  guint         n_stage;
} Writer;

static inline void
emit (Writer *w, guint32 v)
{
  w->stage[w->n_stage++] = w->be ? GUINT32_TO_BE (v) : GUINT32_TO_LE (v);
  if (w->n_stage == G_N_ELEMENTS (w->stage))
    {
      st_out_bytes (w->out, w->stage, sizeof w->stage);
      w->n_stage = 0;
    }
}

static void
emit_flush (Writer *w)
{
  if (w->n_stage > 0)
    st_out_bytes (w->out, w->stage, w->n_stage * 4);
  w->n_stage = 0;
}

/* ---- sizes ---- */

typedef struct {
  uint64_t n32;
  guint    fmt32;
  guint32  class_index;
  guint    num_literals;
} Narrow;

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

static gboolean
narrow_shape (Writer *w, StOop o, Narrow *n, GError **error)
{
  StVM *vm = w->vm;
  uint64_t n64 = st_num_slots (vm, o);
  guint fmt = st_format (vm, o);
  n->class_index = st_class_index (vm, o);
  n->num_literals = 0;
  n->fmt32 = fmt;
  if (o == vm->free_lists_obj)
    {
      n->n32 = NUM_FREE_LISTS_32;
      n->fmt32 = ST_FMT_WORDS32;
      n->class_index = ST_CLASS_INDEX_LONGS32_PUN;
      return TRUE;
    }
  if (n->class_index == ST_CLASS_INDEX_FREE || fmt <= ST_FMT_FORWARDED)
    n->n32 = n64;
  else if (fmt == ST_FMT_WORDS64)
    n->n32 = n64 * 2;
  else if (fmt < ST_FMT_SHORTS16)
    {
      n->n32 = n64 * 2 - (fmt & 1);
      n->fmt32 = ST_FMT_WORDS32;
    }
  else if (fmt < ST_FMT_BYTES)
    {
      uint64_t e = n64 * 4 - MIN (fmt & 3, n64 * 4);
      n->n32 = (e + 1) / 2;
      n->fmt32 = ST_FMT_SHORTS16 + (guint) (n->n32 * 2 - e);
    }
  else if (fmt < ST_FMT_METHOD)
    {
      uint64_t e = n64 * 8 - MIN (fmt & 7, n64 * 8);
      n->n32 = (e + 3) / 4;
      n->fmt32 = ST_FMT_BYTES + (guint) (n->n32 * 4 - e);
    }
  else
    {
      guint nl;
      if (!method_literal_count (vm, o, &nl) || (uint64_t) (nl + 1) * 8 > n64 * 8 - (fmt & 7))
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                       "the CompiledMethod at 0x%" G_GINT64_MODIFIER "x has no usable header: its literal "
                       "count does not fit the object, so it cannot be narrowed", o);
          return FALSE;
        }
      uint64_t bc = n64 * 8 - (fmt & 7) - (uint64_t) (nl + 1) * 8;
      uint64_t total = (uint64_t) (nl + 1) * 4 + bc;
      n->num_literals = nl;
      n->n32 = (total + 3) / 4;
      n->fmt32 = ST_FMT_METHOD + (guint) (n->n32 * 4 - total);
    }
  if (n->n32 > G_MAXUINT32)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID,
                   "the object at 0x%" G_GINT64_MODIFIER "x (class index %u) has %" G_GUINT64_FORMAT
                   " slots in 32-bit form; a 32-bit image can hold at most 2^32 - 1", o, n->class_index, n->n32);
      return FALSE;
    }
  return TRUE;
}

static inline uint64_t
bytes32_for (uint64_t n32)
{
  return (n32 >= ST_OVERFLOW_SLOTS ? 8 : 0) + 8 + (n32 < 2 ? 8 : ((n32 + 1) & ~G_GUINT64_CONSTANT (1)) * 4);
}

/* The 32-bit address of heap object o, or 0. */
static inline guint32
addr32 (const Writer *w, StOop o)
{
  const StSegment *s = st_objmem_segment_of (w->vm, o);
  if (s == NULL || ((o - s->start) & 7))
    return 0;
  return w->map[w->map_base[s - w->vm->segments] + (o - s->start) / 8];
}

static gboolean
narrow_oop (Writer *w, StOop v, StOop holder, uint64_t slot, guint32 *out, GError **error)
{
  if (st_is_smallint (v))
    {
      int64_t i = st_smallint_value (v);
      if (i < -(G_GINT64_CONSTANT (1) << 30) || i >= (G_GINT64_CONSTANT (1) << 30))
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID,
                       "slot %" G_GUINT64_FORMAT " of the object at 0x%" G_GINT64_MODIFIER "x (class index %u) "
                       "holds the SmallInteger %" G_GINT64_FORMAT ", which does not fit in 31 bits",
                       slot, holder, st_class_index (w->vm, holder), i);
          return FALSE;
        }
      *out = ((guint32) i << 1) | 1;
      return TRUE;
    }
  if (st_is_character (v))
    {
      guint32 c = st_character_value (v);
      if (c >= (1u << 30))
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID,
                       "slot %" G_GUINT64_FORMAT " of the object at 0x%" G_GINT64_MODIFIER "x holds the Character "
                       "%u, which does not fit in 30 bits", slot, holder, c);
          return FALSE;
        }
      *out = (c << 2) | 2;
      return TRUE;
    }
  if (st_is_smallfloat (v))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID,
                   "slot %" G_GUINT64_FORMAT " of the object at 0x%" G_GINT64_MODIFIER "x (class index %u) holds "
                   "the SmallFloat64 %g, which has no 32-bit form (box it as a Float first)",
                   slot, holder, st_class_index (w->vm, holder), st_smallfloat_value (v));
      return FALSE;
    }
  guint32 a = st_is_pointer (v) ? addr32 (w, v) : 0;
  if (a == 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                   "slot %" G_GUINT64_FORMAT " of the object at 0x%" G_GINT64_MODIFIER "x (class index %u) holds "
                   "0x%" G_GINT64_MODIFIER "x, which is not an object in the heap", slot, holder,
                   st_class_index (w->vm, holder), v);
      return FALSE;
    }
  *out = a;
  return TRUE;
}

/* ---- pass 1: places ---- */

static gboolean
place (Writer *w, GError **error)
{
  StVM *vm = w->vm;
  guint ns = vm->n_segments;
  w->map_base = g_new (uint64_t, ns);
  w->start32 = g_new (uint64_t, ns);
  w->bytes32 = g_new (uint64_t, ns);
  uint64_t total = 0;
  for (guint i = 0; i < ns; i++)
    {
      w->map_base[i] = total;
      total += vm->segments[i].bytes / 8;
    }
  w->map = g_try_malloc0 ((total + 1) * sizeof (guint32));
  if (w->map == NULL)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "cannot allocate the 32-bit address map");
      return FALSE;
    }
  gboolean same_segments = w->info != NULL && w->info->n_segments == ns;
  uint64_t cursor = vm->header.old_base_addr;
  if (ns > 0 && vm->segments[0].start != vm->header.old_base_addr)
    cursor = vm->segments[0].start;
  if (same_segments)
    cursor = w->info->seg_start32[0];
  /* Every address is renumbered anyway: a heap that did not come from a
   * 32-bit file, or whose base does not suit one, starts at a usual base. */
  if (!same_segments && (cursor == 0 || cursor > G_MAXUINT32 / 2))
    cursor = DEFAULT_BASE_32;
  GArray *free_chunks = g_array_new (FALSE, FALSE, sizeof (StFreeChunkPlan));
  guint n_free_known = 0;
  gboolean free_same = w->info != NULL && w->info->have_free_lists && vm->free_lists_obj == w->info->free_lists;
  for (guint si = 0; si < ns; si++)
    {
      const StSegment *s = &vm->segments[si];
      if (same_segments && w->info->seg_start32[si] > cursor)
        cursor = w->info->seg_start32[si];
      if ((cursor & 7) || cursor > G_MAXUINT32)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID,
                       "segment %u would start at 0x%" G_GINT64_MODIFIER "x, outside a 32-bit address space", si, cursor);
          goto fail;
        }
      w->start32[si] = cursor;
      StOop a = s->start, limit = s->start + s->bytes - ST_BRIDGE_BYTES;
      while (a < limit)
        {
          StOop o = st_oop_at_start (vm, a);
          Narrow n;
          gboolean broken = o >= limit || st_num_slots (vm, o) > (limit - o) / 8 || st_object_end (vm, o) > limit;
          if (broken || !narrow_shape (w, o, &n, error))
            {
              if (broken)
                g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                             "the heap walk of segment %u is broken at 0x%" G_GINT64_MODIFIER "x", si, a);
              goto fail;
            }
          uint64_t b32 = bytes32_for (n.n32);
          uint64_t oop32 = cursor + (n.n32 >= ST_OVERFLOW_SLOTS ? 8 : 0);
          if (cursor + b32 > G_MAXUINT32)
            {
              g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID,
                           "the object at 0x%" G_GINT64_MODIFIER "x would end past 4 GiB in the 32-bit image", o);
              goto fail;
            }
          w->map[w->map_base[si] + (o - s->start) / 8] = (guint32) oop32;
          if (n.class_index == ST_CLASS_INDEX_FREE)
            {
              StFreeChunkPlan c = { .addr = cursor + (n.n32 >= ST_OVERFLOW_SLOTS ? 8 : 0), .units = b32 / 8 };
              g_array_append_val (free_chunks, c);
              w->free_bytes32 += b32;
              StSpur32Raw *raw = w->info ? g_hash_table_lookup (w->info->raw, GSIZE_TO_POINTER ((gsize) o)) : NULL;
              if (raw != NULL && raw->n32 == n.n32)
                n_free_known++;
            }
          cursor += b32;
          a = st_object_end (vm, o);
        }
      cursor += ST_BRIDGE_BYTES;
      w->bytes32[si] = cursor - w->start32[si];
    }
  w->free_same = free_same && n_free_known == free_chunks->len && n_free_known == w->info->n_free_chunks;
  w->free_chunks = free_chunks;
  if (!w->free_same)
    {
      StFreeChunkPlan *plan = (StFreeChunkPlan *) (void *) free_chunks->data;
      st_free_lists_plan (plan, free_chunks->len, NUM_FREE_LISTS_32, w->heads);
      w->free_plan = g_hash_table_new (g_direct_hash, g_direct_equal);
      for (guint i = 0; i < free_chunks->len; i++)
        g_hash_table_insert (w->free_plan, GSIZE_TO_POINTER ((gsize) plan[i].addr), &plan[i]);
    }
  return TRUE;

fail:
  g_array_free (free_chunks, TRUE);
  return FALSE;
}

/* ---- pass 2: write ---- */

static StSpur32Raw *
raw_for (Writer *w, StOop o, uint64_t n32)
{
  if (w->info == NULL)
    return NULL;
  StSpur32Raw *raw = g_hash_table_lookup (w->info->raw, GSIZE_TO_POINTER ((gsize) o));
  return raw != NULL && raw->n32 == n32 ? raw : NULL;
}

static void
emit_padding (Writer *w, StOop o, uint64_t n32, uint64_t body32)
{
  if (body32 == n32)
    return;
  StSpur32Raw *raw = raw_for (w, o, n32);
  if (raw != NULL && raw->n_words != body32 - n32)
    raw = NULL;   /* a record of some other kind (the object was a free chunk) */
  for (uint64_t k = n32; k < body32; k++)
    emit (w, raw != NULL ? raw->words[k - n32] : 0);
}

/* A pc stored in 64-bit-layout terms, back in 32-bit terms. */
static StOop
narrow_pc (Writer *w, StOop o, guint32 ci, StOop pc)
{
  StVM *vm = w->vm;
  StOop method;
  if (!st_is_smallint (pc))
    return pc;
  if (ci == ST_CLASS_INDEX_CONTEXT)
    {
      if (st_num_slots (vm, o) < 4)
        return pc;
      method = st_fetch (vm, o, 3);
    }
  else
    {
      StOop outer = st_fetch (vm, o, 0);
      if (!st_is_pointer (outer) || addr32 (w, outer) == 0
          || st_class_index (vm, outer) != ST_CLASS_INDEX_CONTEXT || st_num_slots (vm, outer) < 4)
        return pc;
      method = st_fetch (vm, outer, 3);
    }
  guint nl;
  if (!st_is_pointer (method) || addr32 (w, method) == 0 || !method_literal_count (vm, method, &nl))
    return pc;
  return st_smallint_oop (st_smallint_value (pc) - (int64_t) ST_SPUR32_PC_DELTA (nl));
}

static gboolean
write_object (Writer *w, StOop o, GError **error)
{
  StVM *vm = w->vm;
  Narrow n;
  if (!narrow_shape (w, o, &n, error))
    return FALSE;
  uint64_t h = st_header (vm, o);
  uint64_t n32 = n.n32;
  uint64_t body32 = n32 < 2 ? 2 : (n32 + 1) & ~G_GUINT64_CONSTANT (1);
  guint32 lo = (guint32) st_hdr_with_format (st_hdr_with_class_index (h, n.class_index), n.fmt32);
  guint32 hi = (guint32) (h >> 32);
  hi = (hi & 0x00FFFFFF) | ((guint32) (n32 >= ST_OVERFLOW_SLOTS ? ST_OVERFLOW_SLOTS : n32) << 24);
  if (n32 >= ST_OVERFLOW_SLOTS)
    {
      emit (w, (guint32) n32);
      emit (w, 0xFF000000u);
    }
  emit (w, lo);
  emit (w, hi);
  guint fmt = st_format (vm, o);
  const uint64_t *slots = st_ptr (vm, o) + 1;

  if (o == vm->free_lists_obj)
    {
      for (guint i = 0; i < NUM_FREE_LISTS_32; i++)
        emit (w, w->free_same ? w->info->free_lists_words[i] : (guint32) w->heads[i]);
      return TRUE;
    }
  if (n.class_index == ST_CLASS_INDEX_FREE)
    {
      StSpur32Raw *raw = raw_for (w, o, n32);
      if (w->free_same && raw != NULL)
        {
          for (uint64_t k = 0; k < body32; k++)
            emit (w, k < raw->n_words ? raw->words[k] : 0);
          return TRUE;
        }
      StFreeChunkPlan *c = g_hash_table_lookup (w->free_plan, GSIZE_TO_POINTER ((gsize) addr32 (w, o)));
      StOop links[5] = { 0 };
      if (c != NULL)
        {
          links[0] = c->next;
          links[1] = c->prev;
          links[2] = c->parent;
          links[3] = c->smaller;
          links[4] = c->larger;
        }
      for (uint64_t k = 0; k < body32; k++)
        emit (w, k < 5 && k < n32 ? (guint32) links[k] : 0);
      return TRUE;
    }
  if (n.class_index == ST_CLASS_INDEX_FORWARDER)
    {
      StSpur32Raw *raw = raw_for (w, o, n32);
      for (uint64_t k = 0; k < body32; k++)
        {
          guint32 v = 0;
          if (k == 0 && n32 > 0)
            {
              if (!narrow_oop (w, slots[0], o, 0, &v, error))
                return FALSE;
            }
          else if (raw != NULL && k < raw->n_words)
            v = raw->words[k];
          emit (w, v);
        }
      return TRUE;
    }
  if (fmt <= ST_FMT_FORWARDED)
    {
      gboolean has_pc = n.class_index == ST_CLASS_INDEX_CONTEXT || n.class_index == ST_CLASS_INDEX_BLOCK_CLOSURE;
      for (uint64_t k = 0; k < n32; k++)
        {
          StOop v = slots[k];
          if (k == 1 && has_pc)
            v = narrow_pc (w, o, n.class_index, v);
          guint32 x;
          if (!narrow_oop (w, v, o, k, &x, error))
            return FALSE;
          emit (w, x);
        }
      emit_padding (w, o, n32, body32);
      return TRUE;
    }
  if (fmt >= ST_FMT_METHOD)
    {
      guint nl = n.num_literals;
      for (guint k = 0; k <= nl; k++)
        {
          guint32 x;
          if (!narrow_oop (w, slots[k], o, k, &x, error))
            return FALSE;
          emit (w, x);
        }
      const guint8 *bc = (const guint8 *) (slots + nl + 1);
      for (uint64_t k = nl + 1; k < n32; k++)
        {
          guint32 x;
          memcpy (&x, bc + 4 * (k - nl - 1), 4);
          emit (w, w->be ? GUINT32_FROM_BE (x) : GUINT32_FROM_LE (x));   /* bytes keep their order */
        }
      emit_padding (w, o, n32, body32);
      return TRUE;
    }
  /* Element data. */
  const guint8 *b = (const guint8 *) slots;
  const guint32 *w32 = (const guint32 *) slots;
  gboolean swap_float = n.class_index == ST_CLASS_INDEX_FLOAT && fmt >= ST_FMT_WORDS32 && fmt < ST_FMT_SHORTS16
                        && n32 == 2 && w->floats_hi_first;
  for (uint64_t k = 0; k < n32; k++)
    {
      guint32 x;
      if (swap_float)
        x = w32[1 - k];
      else if (!w->be || (fmt >= ST_FMT_WORDS32 && fmt < ST_FMT_SHORTS16))
        x = w32[k];
      else if (fmt >= ST_FMT_BYTES)
        {
          memcpy (&x, b + 4 * k, 4);
          x = GUINT32_FROM_BE (x);
        }
      else if (fmt >= ST_FMT_SHORTS16)
        {
          guint16 p[2];
          memcpy (p, b + 4 * k, 4);
          x = ((guint32) p[0] << 16) | p[1];
        }
      else
        {
          /* 64-bit elements: the high word first in a big-endian file */
          x = (k & 1) ? w32[k - 1] : w32[k + 1];
        }
      emit (w, x);
    }
  emit_padding (w, o, n32, body32);
  return TRUE;
}

static void
emit_header (Writer *w, StOut *o)
{
  StVM *vm = w->vm;
  const StImageHeader *h = &vm->header;
  gboolean be = w->be;
  guint32 format = vm->personality.family == ST_FAMILY_SPUR && vm->personality.word_bytes == 4
                   ? vm->personality.format : (vm->personality.sista ? 7033 : 6521);
  uint64_t data = 0;
  for (guint i = 0; i < vm->n_segments; i++)
    data += w->bytes32[i];
  guint32 splobs = vm->special_objects ? addr32 (w, vm->special_objects) : (guint32) 0;
  if (w->info != NULL && w->info->prefix != NULL)
    st_out_bytes (o, w->info->prefix, w->info->prefix_len);
  st_out_u32 (o, format, be);
  st_out_u32 (o, 64, be);
  st_out_u32 (o, (guint32) data, be);
  st_out_u32 (o, vm->n_segments ? (guint32) w->start32[0] : (guint32) h->old_base_addr, be);
  st_out_u32 (o, splobs, be);
  st_out_u32 (o, (guint32) h->last_hash, be);
  st_out_u32 (o, (guint32) h->saved_window_size, be);
  st_out_u32 (o, (guint32) h->header_flags, be);
  st_out_u32 (o, h->extra_vm_memory, be);
  st_out_u16 (o, h->num_stack_pages, be);
  st_out_u16 (o, h->cog_code_size, be);
  st_out_u32 (o, h->eden_bytes, be);
  st_out_u16 (o, h->max_ext_sem_tab_size, be);
  st_out_u16 (o, h->image_version, be);
  st_out_u32 (o, vm->n_segments ? (guint32) w->bytes32[0] : 0, be);
  /* free space: as the header said while the free chunks are those read
   * (the VM that saved it may count differently), else counted here */
  st_out_u32 (o, w->free_same && h->raw_len >= 64 ? (guint32) h->free_old_space : (guint32) w->free_bytes32, be);
  /* the rest of the 64-byte header: as read from a 32-bit file, else zero */
  if (vm->personality.word_bytes == 4 && h->raw_len >= 64)
    st_out_bytes (o, h->raw + 56, 8);
  else
    st_out_zeros (o, 8);
}

gboolean
st_write_spur32 (StVM *vm, StOut *o, GError **error)
{
  Writer w = { .vm = vm, .out = o };
  gboolean from32 = vm->personality.family == ST_FAMILY_SPUR && vm->personality.word_bytes == 4;
  w.info = from32 ? vm->spur32_info : NULL;
  w.be = from32 && vm->personality.big_endian;
  w.floats_hi_first = w.be || (from32 && !vm->personality.native_floats);
  gboolean ok = FALSE;
  if (vm->n_segments == 0 || vm->nil_obj == 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID, "the heap is empty: nothing to write");
      return FALSE;
    }
  if (!place (&w, error))
    goto out;
  emit_header (&w, o);
  for (guint si = 0; si < vm->n_segments; si++)
    {
      const StSegment *s = &vm->segments[si];
      StOop a = s->start, limit = s->start + s->bytes - ST_BRIDGE_BYTES;
      while (a < limit)
        {
          StOop obj = st_oop_at_start (vm, a);
          if (!write_object (&w, obj, error))
            goto out;
          a = st_object_end (vm, obj);
        }
      /* The bridge: the gap to the next segment in 32-bit words (flagged
       * 0xFF like an overflow count), then the next segment's size; a zero
       * gap is written as a plain bridge header. */
      guint32 b[4];
      if (si + 1 < vm->n_segments)
        {
          uint64_t gap = w.start32[si + 1] - (w.start32[si] + w.bytes32[si]);
          b[0] = gap > 0 ? (guint32) (gap / 4) : 0x4A000003u;
          b[1] = gap > 0 ? 0xFF000000u : 0x00800000u;
          b[2] = (guint32) w.bytes32[si + 1];
          b[3] = (guint32) (w.bytes32[si + 1] >> 32);
        }
      else
        {
          b[0] = 0x4A000003u;   /* class 3, format 10, pinned */
          b[1] = 0x00800000u;   /* marked, no slots */
          b[2] = b[3] = 0;
        }
      /* as in the file, when it says the same (its span in another form) */
      if (w.info != NULL && w.info->n_segments == vm->n_segments)
        {
          const guint32 *f = &w.info->bridge32[4 * si];
          uint64_t fspan = (f[1] >> 24) == 0xFF ? (uint64_t) f[0] * 4 : 0;
          uint64_t span = (b[1] >> 24) == 0xFF ? (uint64_t) b[0] * 4 : 0;
          if (fspan == span && f[2] == b[2] && f[3] == b[3])
            memcpy (b, f, sizeof b);
        }
      for (guint k = 0; k < 4; k++)
        emit (&w, b[k]);
    }
  emit_flush (&w);
  ok = o->error == NULL;
  if (!ok)
    g_propagate_error (error, g_error_copy (o->error));

out:
  g_free (w.map);
  g_free (w.map_base);
  g_free (w.start32);
  g_free (w.bytes32);
  if (w.free_plan != NULL)
    g_hash_table_unref (w.free_plan);
  if (w.free_chunks != NULL)
    g_array_free (w.free_chunks, TRUE);
  return ok;
}
