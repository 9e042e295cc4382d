/* SPDX-License-Identifier: GPL-3.0-or-later */
/* heap-check.h: the integrity checker (the VM simulator's "leak checker",
 * and more), over the one in-memory heap.
 *
 * The check never changes the heap and never reads outside it.  It walks
 * every segment once to mark, in a bitmap with one bit per heap word, where
 * objects start; a second walk checks each object against that bitmap and
 * against its class; then the class table, the special objects array, the
 * free lists and tree, the segment bridges, the contexts and the process
 * scheduler are checked.  A damaged heap is checked completely: a finding
 * never stops the check (a segment whose objects cannot be walked past some
 * point is reported there, and the walk resumes at the next segment). */
#pragma once

#include "objmem.h"

G_BEGIN_DECLS

typedef enum {
  ST_FINDING_HEAP_WALK,          /* an object's size runs past its segment: the walk stops there */
  ST_FINDING_BAD_POINTER,        /* a slot points outside the heap, or not at an object start */
  ST_FINDING_POINTER_TO_FREE,    /* a slot points at a free chunk */
  ST_FINDING_BAD_IMMEDIATE,      /* an immediate with an impossible tag for this personality */
  ST_FINDING_BAD_CLASS_INDEX,    /* a class index with no class-table entry, or an unused reserved one */
  ST_FINDING_NOT_A_CLASS,        /* a class-table entry that is not a class */
  ST_FINDING_CLASS_TABLE,        /* class-table page shape, or a class's hash is not its index */
  ST_FINDING_HIDDEN_OBJECT,      /* a hidden object with a non-reserved class index, or the reverse */
  ST_FINDING_FORMAT_MISMATCH,    /* object format disagrees with its class's instance specification */
  ST_FINDING_BAD_SIZE,           /* slot count, padding or overflow header inconsistent */
  ST_FINDING_BAD_FORWARDER,      /* a forwarder whose target is not a live object */
  ST_FINDING_FREE_CHUNK,         /* a malformed free chunk */
  ST_FINDING_FREE_LIST,          /* free lists / tree inconsistent with the chunks in the heap */
  ST_FINDING_BRIDGE,             /* a segment bridge is wrong */
  ST_FINDING_SPECIAL_OBJECTS,    /* the special objects array has the wrong shape */
  ST_FINDING_METHOD,             /* a CompiledMethod's header is impossible, or an instruction is unused,
                                  * runs past the method or names a literal it does not have */
  ST_FINDING_CONTEXT,            /* a context's method, pc or stack pointer is out of range */
  ST_FINDING_SENDER_CYCLE,       /* a context's sender chain loops */
  ST_FINDING_PROCESS_LIST,       /* a scheduler list is not a well-formed linked list */
  ST_FINDING_N_KINDS
} StFindingKind;

/* A short stable name for a kind ("bad-pointer"), for reports and JSON. */
const char *st_finding_kind_name (StFindingKind kind);

#define ST_FINDING_NO_FIELD (-1)

typedef struct {
  StFindingKind kind;
  StOop    address;       /* the object concerned (its header), or 0 */
  char    *class_name;    /* of that object, or NULL when there is none */
  int64_t  field;         /* 0-based slot index, or ST_FINDING_NO_FIELD */
  char    *expected;      /* what an intact heap has there (may be NULL) */
  char    *found;         /* what this heap has (may be NULL) */
  char    *message;       /* one line, self-contained */
} StFinding;

typedef struct {
  /* The findings kept (at most max_findings; n_findings_total counts all). */
  StFinding *findings;
  guint      n_findings;
  uint64_t   n_findings_total;
  uint64_t   per_kind[ST_FINDING_N_KINDS];

  /* What was looked at. */
  uint64_t objects;          /* objects walked (free chunks included, bridges excluded) */
  uint64_t free_chunks;
  uint64_t free_bytes;
  uint64_t pointer_slots;    /* pointer-bearing slots examined */
  uint64_t classes;          /* class-table entries checked */
  uint64_t class_aliases;    /* entries holding a class whose hash names another entry with the same class */
  uint64_t methods;
  uint64_t contexts;
  uint64_t processes;        /* the active process and those in the run queues */
  guint    segments;
  uint64_t heap_bytes;

  /* What the checker used: the object-start bitmap, in bytes, and all its
   * working memory (bitmap, class cache; the findings not counted). */
  gsize    bitmap_bytes;
  gsize    work_bytes;
  double   seconds;

  /* Which invariant groups were skipped for this heap's personality, as
   * one sentence each (static strings). */
  const char *skipped[8];
  guint       n_skipped;
} StCheckReport;

typedef struct {
  guint max_findings;       /* 0 means the default (10000) */
  bool  skip_bytecodes;     /* do not decode methods' instructions (about twice as fast on
                             * bytecode-heavy images) */
} StCheckOptions;

/* Check the whole heap.  Always returns a report (free it with
 * st_check_report_free); its n_findings_total is 0 when the heap is sound. */
StCheckReport *st_heap_check (StVM *vm, const StCheckOptions *options);
void           st_check_report_free (StCheckReport *report);

G_END_DECLS
