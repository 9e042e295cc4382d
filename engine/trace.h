/* SPDX-License-Identifier: GPL-3.0-or-later */
/* trace.h: the system tracer, run from outside the image.
 *
 * st_trace builds a NEW heap holding only what a stopped image can reach,
 * laid out compactly in one segment: nil, false, true, a fresh (empty)
 * free-lists object, the hidden roots, the class-table pages that still
 * hold a class, then every other reached object in its original address
 * order.  The roots are the special objects array, the reserved entries
 * of class-table page 0 (indices 0..31) and the hidden roots past the
 * class-table page slots; a reached object's class counts as a reference
 * (the class table itself is weak, as in Spur's garbage collector: the
 * rebuilt table keeps each class that was reached, at its old index).
 * Identity hashes, header bits and contents are kept; only pointers move.
 *
 * Clamps leave objects out (given as oops, or all instances of a class
 * index), writing nil wherever they were referenced; replacements make
 * every reference to one object a reference to another (and, when both are
 * classes in the table, instances of the first take the second's class
 * index).  nil, false, true and the special objects array cannot be
 * clamped or replaced.
 *
 * A reference that does not hit an object the heap walk found (or hits a
 * free chunk) is skipped: nil is written in its place and it is reported.
 * The new heap keeps the source's personality and header fields, so
 * st_image_write writes it in the source's format (or converts it). */
#pragma once

#include "objmem.h"

G_BEGIN_DECLS

typedef struct {
  const StOop   *clamp_oops;      /* objects to leave out */
  guint          n_clamp_oops;
  const guint32 *clamp_classes;   /* class indices whose instances are left out */
  guint          n_clamp_classes;
  const StOop   *replace_from;    /* references to replace_from[i] become replace_to[i] */
  const StOop   *replace_to;
  guint          n_replace;
  bool           dry_run;         /* count only: st_trace returns NULL without error */
  guint          max_bad_refs;    /* bad references kept in the report (0: 1000) */
} StTraceOptions;

typedef struct {
  guint32  class_index;
  char    *class_name;            /* NULL when the index has no readable class */
  uint64_t objects;
  uint64_t bytes;
} StTraceClassCount;

typedef struct {
  StOop    from;                  /* the object holding the reference, 0 for a root */
  int64_t  field;                 /* slot index, -1 for its class index */
  uint64_t value;                 /* the word found */
} StTraceBadRef;

typedef struct {
  /* The source: objects (free chunks and bridges excluded), their bytes,
   * free chunks, and the total size of its segments. */
  uint64_t objects_before, bytes_before;
  uint64_t free_chunks_before, free_bytes_before;
  uint64_t heap_bytes_before;
  /* The traced heap (hidden objects included), and its segment size. */
  uint64_t objects_after, bytes_after;
  uint64_t heap_bytes_after;
  /* Reached objects copied (hidden objects excluded) and their bytes. */
  uint64_t live_objects, live_bytes;
  /* Source objects left behind, excluding the rebuilt hidden objects:
   * garbage (unreachable even without clamps and replacements) and cut
   * (reachable only through what was clamped or replaced). */
  uint64_t garbage_objects, garbage_bytes;
  uint64_t cut_objects, cut_bytes;
  GArray  *garbage_by_class;      /* StTraceClassCount, most bytes first */
  GArray  *cut_by_class;          /* StTraceClassCount, most bytes first */
  /* Clamps and replacements. */
  uint64_t clamped_refs;          /* references written as nil */
  uint64_t clamped_objects;       /* distinct objects left out by a clamp */
  uint64_t replaced_refs;         /* references redirected (class indices included) */
  /* References skipped (written as nil). */
  uint64_t bad_refs;
  GArray  *bad;                   /* StTraceBadRef, at most max_bad_refs */
  uint64_t classes_before, classes_after;  /* class-table entries */
  double   seconds;
} StTraceReport;

GQuark st_trace_error_quark (void);
#define ST_TRACE_ERROR (st_trace_error_quark ())

typedef enum {
  ST_TRACE_ERROR_INVALID,   /* bad options (clamping nil, an oop that is not an object, ...) */
  ST_TRACE_ERROR_HEAP,      /* the source heap has no usable special objects array or hidden roots */
  ST_TRACE_ERROR_MEMORY,    /* the new heap cannot be allocated */
} StTraceError;

/* Trace vm into a new VM.  report may be NULL; when given it is filled
 * (clear it with st_trace_report_clear).  Dry runs fill the report and
 * return NULL with no error. */
StVM *st_trace (StVM *vm, const StTraceOptions *options, StTraceReport *report, GError **error);

/* Tracing options written as paths (see path.h), as the CLI and the window
 * take them: a clamp path naming a class in the class table clamps all its
 * instances, any other clamp path that one object; a replacement is
 * "FROM=TO".  The spec owns its arrays; `options` points into them. */
typedef struct {
  StTraceOptions options;
  GArray *clamp_targets;    /* StOop: what each clamp path named */
  GArray *clamp_is_class;   /* gboolean: whether it clamps a class's instances */
  GArray *clamp_oops, *clamp_classes, *replace_from, *replace_to;
} StTraceSpec;

struct _StPrinter;
/* NULL with an error naming the failing path when one does not resolve. */
StTraceSpec *st_trace_spec_new (struct _StPrinter *p, const char *const *clamps, const char *const *replacements,
                                gboolean dry_run, GError **error);
void         st_trace_spec_free (StTraceSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StTraceSpec, st_trace_spec_free)
void  st_trace_report_clear (StTraceReport *report);

G_END_DECLS
