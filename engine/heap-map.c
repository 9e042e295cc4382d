/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "class-info.h"
#include "heap-map.h"

static const struct { const char *name; guint32 color; } kinds[ST_MAP_N_KINDS] = {
  [ST_MAP_HIDDEN] = { "hidden", 0xE377C2 },
  [ST_MAP_CLASS] = { "class", 0x1F77B4 },
  [ST_MAP_METHOD] = { "method", 0x9467BD },
  [ST_MAP_CONTEXT] = { "context", 0xFF7F0E },
  [ST_MAP_PINNED] = { "pinned", 0x202020 },
  [ST_MAP_FORWARDER] = { "forwarder", 0xE8D100 },
  [ST_MAP_OTHER] = { "other", 0x2CA02C },
  [ST_MAP_FREE] = { "free", 0xF2F2F2 },
  [ST_MAP_BRIDGE] = { "bridge", 0x8C564B },
  [ST_MAP_UNWALKABLE] = { "unwalkable", 0xD62728 },
};

const char *
st_map_kind_name (StMapKind k)
{
  return (guint) k < ST_MAP_N_KINDS ? kinds[k].name : "none";
}

guint32
st_map_kind_color (StMapKind k)
{
  return (guint) k < ST_MAP_N_KINDS ? kinds[k].color : 0xFFFFFF;
}

typedef struct {
  StVM   *vm;
  gint8  *is_class_maker;    /* per class index: -1 unknown, 0 no, 1 instances are classes */
  guint32 n_idx;
  StOop   context_class, block_context_class;
} Classifier;

static StMapKind
classify (Classifier *k, StOop o, uint64_t h)
{
  guint32 ci = st_hdr_class_index (h);
  if (ci == ST_CLASS_INDEX_FREE)
    return ST_MAP_FREE;
  if (ci == ST_CLASS_INDEX_FORWARDER)
    return ST_MAP_FORWARDER;
  if (ci < ST_CLASS_INDEX_FIRST_REAL)
    return ST_MAP_HIDDEN;
  if (st_hdr_is_pinned (h))
    return ST_MAP_PINNED;
  if (st_hdr_format (h) >= ST_FMT_METHOD)
    return ST_MAP_METHOD;
  if (ci >= k->n_idx)
    return ST_MAP_OTHER;
  if (k->is_class_maker[ci] < 0)
    {
      StOop cls = st_class_info_class_at (k->vm, ci);
      bool maker = cls != 0 && st_class_info_readable (k->vm, cls, 0)
                   && st_class_instances_are_classes (k->vm, cls);
      k->is_class_maker[ci] = maker ? 1
                              : (cls != 0 && (cls == k->context_class || cls == k->block_context_class)) ? 2 : 0;
    }
  switch (k->is_class_maker[ci])
    {
    case 1: return ST_MAP_CLASS;
    case 2: return ST_MAP_CONTEXT;
    default: return ST_MAP_OTHER;
    }
}

static void
add_run (GArray *runs, StOop start, uint64_t bytes, StMapKind kind)
{
  if (runs->len > 0)
    {
      StMapRun *last = &g_array_index (runs, StMapRun, runs->len - 1);
      if (last->kind == kind && last->start + last->bytes == start)
        {
          last->bytes += bytes;
          return;
        }
    }
  StMapRun r = { start, bytes, kind };
  g_array_append_val (runs, r);
}

StHeapMap *
st_heap_map_build (StVM *vm)
{
  gint64 t0 = g_get_monotonic_time ();
  StHeapMap *m = g_new0 (StHeapMap, 1);
  m->n_segments = vm->n_segments;
  m->segments = g_new0 (StHeapMapSegment, MAX (vm->n_segments, 1));

  Classifier k = { .vm = vm };
  guint32 pages = 1;
  if (st_class_info_readable (vm, vm->hidden_roots_obj, ST_CLASS_TABLE_ROOT_SLOTS))
    for (guint32 i = 0; i < ST_CLASS_TABLE_ROOT_SLOTS; i++)
      if (st_fetch (vm, vm->hidden_roots_obj, i) != vm->nil_obj)
        pages = i + 1;
  k.n_idx = pages * ST_CLASS_TABLE_PAGE_SIZE;
  k.is_class_maker = g_new (gint8, k.n_idx);
  memset (k.is_class_maker, -1, k.n_idx);
  k.context_class = st_class_info_special (vm, ST_SPLOB_CLASS_METHOD_CONTEXT);
  if (vm->personality.family == ST_FAMILY_V3)
    k.block_context_class = st_class_info_special (vm, ST_SPLOB_CLASS_BLOCK_CONTEXT);
  if (k.context_class == vm->nil_obj)
    k.context_class = 0;
  if (k.block_context_class == vm->nil_obj)
    k.block_context_class = 0;

  for (guint s = 0; s < vm->n_segments; s++)
    {
      const StSegment *seg = &vm->segments[s];
      StHeapMapSegment *ms = &m->segments[s];
      ms->start = seg->start;
      ms->bytes = seg->bytes;
      GArray *runs = g_array_new (FALSE, FALSE, sizeof (StMapRun));
      StOop limit = seg->start + (seg->bytes >= ST_BRIDGE_BYTES ? seg->bytes - ST_BRIDGE_BYTES : 0);
      StOop a = seg->start;
      /* The same walk as st_heap_walk_next, kept here to know where a
       * damaged segment's walk stops. */
      while (a < limit)
        {
          StOop oop = (st_word_at (vm, a) >> 56) == 0xFF ? a + 8 : a;
          if (oop >= limit)
            break;
          uint64_t n = st_num_slots (vm, oop);
          if (n > (limit - oop - 8) / 8)
            break;
          StOop end = oop + 8 + 8 * (n == 0 ? 1 : n);
          uint64_t h = st_header (vm, oop);
          StMapKind kind = classify (&k, oop, h);
          uint64_t bytes = end - a;
          ms->kind_bytes[kind] += bytes;
          ms->kind_objects[kind]++;
          m->objects++;
          if (kind == ST_MAP_FREE)
            {
              ms->free_chunks++;
              ms->largest_free = MAX (ms->largest_free, bytes);
            }
          add_run (runs, a, bytes, kind);
          a = end;
        }
      if (a < limit)
        {
          ms->kind_bytes[ST_MAP_UNWALKABLE] += limit - a;
          add_run (runs, a, limit - a, ST_MAP_UNWALKABLE);
        }
      if (seg->bytes >= ST_BRIDGE_BYTES)
        {
          ms->kind_bytes[ST_MAP_BRIDGE] += ST_BRIDGE_BYTES;
          add_run (runs, limit, ST_BRIDGE_BYTES, ST_MAP_BRIDGE);
        }
      else if (seg->bytes > 0)
        {
          ms->kind_bytes[ST_MAP_UNWALKABLE] += seg->bytes;
          add_run (runs, seg->start, seg->bytes, ST_MAP_UNWALKABLE);
        }
      ms->n_runs = runs->len;
      ms->runs = (StMapRun *) (void *) g_array_free (runs, FALSE);
      m->free_bytes += ms->kind_bytes[ST_MAP_FREE];
      m->free_chunks += ms->free_chunks;
      m->largest_free = MAX (m->largest_free, ms->largest_free);
    }
  m->fragmentation = m->free_bytes > 0 ? 1.0 - (double) m->largest_free / (double) m->free_bytes : 0.0;
  g_free (k.is_class_maker);
  m->seconds = (g_get_monotonic_time () - t0) / 1e6;
  return m;
}

void
st_heap_map_free (StHeapMap *m)
{
  if (m == NULL)
    return;
  for (guint s = 0; s < m->n_segments; s++)
    g_free (m->segments[s].runs);
  g_free (m->segments);
  g_free (m);
}

void
st_heap_map_cells_range (const StHeapMap *m, guint seg, uint64_t bpc, gsize first_cell, guint8 *out, gsize n_cells)
{
  memset (out, ST_MAP_N_KINDS, n_cells);
  if (seg >= m->n_segments || bpc < 8 || n_cells == 0)
    return;
  const StHeapMapSegment *ms = &m->segments[seg];
  uint64_t acc[ST_MAP_N_KINDS] = { 0 };
  gsize cell = 0;
  /* Offsets below are from the first cell's start; runs before it are
   * skipped with a binary search. */
  uint64_t base = (uint64_t) first_cell * bpc;
  uint64_t cell_end = bpc;
  guint lo = 0, hi = ms->n_runs;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      if (ms->runs[mid].start - ms->start + ms->runs[mid].bytes <= base)
        lo = mid + 1;
      else
        hi = mid;
    }
  for (guint i = lo; i < ms->n_runs && cell < n_cells; i++)
    {
      uint64_t run_from = ms->runs[i].start - ms->start;
      uint64_t from = run_from > base ? run_from - base : 0;
      uint64_t to = run_from + ms->runs[i].bytes - base;
      StMapKind kind = ms->runs[i].kind;
      while (from < to && cell < n_cells)
        {
          uint64_t piece_end = MIN (to, cell_end);
          acc[kind] += piece_end - from;
          from = piece_end;
          if (from == cell_end)
            {
              guint best = 0;
              for (guint k = 1; k < ST_MAP_N_KINDS; k++)
                if (acc[k] > acc[best])
                  best = k;
              out[cell++] = (guint8) best;
              memset (acc, 0, sizeof acc);
              /* Whole cells inside this run at once. */
              uint64_t whole = (to - from) / bpc;
              for (uint64_t w = 0; w < whole && cell < n_cells; w++)
                out[cell++] = (guint8) kind;
              from += whole * bpc;
              cell_end = (uint64_t) (cell + 1) * bpc;
            }
        }
    }
  /* A last partial cell. */
  if (cell < n_cells)
    {
      guint best = ST_MAP_N_KINDS;
      uint64_t most = 0;
      for (guint k = 0; k < ST_MAP_N_KINDS; k++)
        if (acc[k] > most)
          {
            most = acc[k];
            best = k;
          }
      out[cell] = (guint8) best;
    }
}

void
st_heap_map_cells (const StHeapMap *m, guint seg, uint64_t bpc, guint8 *out, gsize n_cells)
{
  st_heap_map_cells_range (m, seg, bpc, 0, out, n_cells);
}
