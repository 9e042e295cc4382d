/* SPDX-License-Identifier: GPL-3.0-or-later */
/* census.h: instances and bytes per class, and per object format, counted
 * by one walk over the heap (SpaceTally without running the image).
 *
 * Every object the heap walk meets is counted once: free chunks, forwarders
 * and hidden objects get rows of their own under their reserved class
 * index, named in angle brackets ("<free chunk>").  Bytes are the whole
 * object as stored: overflow word, header, slots and padding. */
#pragma once

#include "objmem.h"

G_BEGIN_DECLS

typedef enum {
  ST_CENSUS_SORT_COUNT,    /* most instances first */
  ST_CENSUS_SORT_BYTES,    /* most bytes first */
} StCensusSort;

typedef struct {
  guint32  class_index;
  StOop    cls;            /* 0 for reserved indices and missing classes */
  char    *name;           /* "Array", "Array class", "<free chunk>", "<missing class 1234>" */
  uint64_t instances;
  uint64_t bytes;
} StCensusRow;

typedef struct {
  uint64_t instances;
  uint64_t bytes;
} StCensusCount;

typedef struct {
  StCensusRow  *rows;            /* one per class index met, sorted */
  guint         n_rows;
  StCensusCount by_format[32];   /* by object header format */
  uint64_t      total_objects;
  uint64_t      total_bytes;
  bool          walk_damaged;    /* some segment could not be walked to its end */
  double        seconds;
} StCensus;

StCensus   *st_census_take (StVM *vm, StCensusSort sort);
void        st_census_sort (StCensus *census, StCensusSort sort);
void        st_census_free (StCensus *census);

/* A short description of an object format number ("bytes", "weak"). */
const char *st_format_describe (guint format);

G_END_DECLS
