/* SPDX-License-Identifier: GPL-3.0-or-later */
/* heap-map.h: what each byte range of each segment holds, as plain arrays.
 *
 * One walk over the heap classifies every object, merges neighbours of the
 * same kind into runs, and totals bytes per kind and segment.  Free space
 * statistics and a fragmentation figure (1 - largest free chunk / all free
 * bytes; 0 when nothing is free) come with it.  Drawing is the caller's
 * business (thaw-cli map --png, the window's heap map); st_heap_map_cells
 * turns runs into fixed-size cells for them. */
#pragma once

#include "objmem.h"

G_BEGIN_DECLS

typedef enum {
  ST_MAP_HIDDEN,       /* class-table pages, hidden roots, free lists: reserved class indices 16..31 */
  ST_MAP_CLASS,        /* classes and metaclasses */
  ST_MAP_METHOD,       /* CompiledMethods (formats 24..31) */
  ST_MAP_CONTEXT,      /* contexts */
  ST_MAP_PINNED,       /* pinned objects (of any other kind) */
  ST_MAP_FORWARDER,    /* forwarders (class index 8) */
  ST_MAP_OTHER,        /* every other object */
  ST_MAP_FREE,         /* free chunks (class index 0) */
  ST_MAP_BRIDGE,       /* the segment's closing bridge */
  ST_MAP_UNWALKABLE,   /* the tail of a damaged segment the walk could not pass */
  ST_MAP_N_KINDS
} StMapKind;

/* A short name ("class") and an RGB colour (0xRRGGBB) per kind. */
const char *st_map_kind_name (StMapKind kind);
guint32     st_map_kind_color (StMapKind kind);

typedef struct {
  StOop     start;
  uint64_t  bytes;
  StMapKind kind;
} StMapRun;

typedef struct {
  StOop     start;
  uint64_t  bytes;
  StMapRun *runs;                         /* in address order, covering the segment exactly */
  guint     n_runs;
  uint64_t  kind_bytes[ST_MAP_N_KINDS];
  uint64_t  kind_objects[ST_MAP_N_KINDS];
  uint64_t  free_chunks;
  uint64_t  largest_free;
} StHeapMapSegment;

typedef struct {
  StHeapMapSegment *segments;
  guint             n_segments;
  uint64_t          objects;
  uint64_t          free_bytes;
  uint64_t          free_chunks;
  uint64_t          largest_free;
  double            fragmentation;        /* 1 - largest_free / free_bytes */
  double            seconds;
} StHeapMap;

StHeapMap *st_heap_map_build (StVM *vm);
void       st_heap_map_free (StHeapMap *map);

/* Fill out[0..n_cells) with the kind holding most bytes of each cell of
 * bytes_per_cell bytes of segment seg, starting at its first byte; cells
 * past the segment's end get ST_MAP_N_KINDS.  bytes_per_cell >= 8. */
void st_heap_map_cells (const StHeapMap *map, guint seg, uint64_t bytes_per_cell, guint8 *out, gsize n_cells);
/* The same for cells first_cell .. first_cell + n_cells - 1 only (what a
 * view shows of a large heap). */
void st_heap_map_cells_range (const StHeapMap *map, guint seg, uint64_t bytes_per_cell, gsize first_cell,
                              guint8 *out, gsize n_cells);

G_END_DECLS
