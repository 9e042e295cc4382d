/* SPDX-License-Identifier: GPL-3.0-or-later */
/* gc.h: the garbage collector of a running image.
 *
 * Memory of a running VM: old space is the image's segments (walkable,
 * with bridges and free lists, exactly what the readers built and the
 * writers write); new space is one separate region near the top of the
 * VM's address reservation, outside the segment list: eden and two
 * survivor spaces.  New objects are bump-allocated in eden; an object that
 * does not fit (or any object while eden is full) goes to old space.
 *
 * Collections happen only at safe points: at an instruction boundary in
 * the interpreter's loop (when eden is nearly full or old space has grown
 * enough), inside the few primitives that ask for one (GC, become,
 * allInstances, snapshot), or when st_gc_collect is called while the
 * interpreter is stopped.  Allocation itself never moves an object, so a
 * primitive may hold StOops across allocations.  Anything that holds an
 * StOop across a run (st_interp_run, a debugger command) must hold it
 * where the collector updates it: an StHandles table (handles.h), a slot
 * registered with st_gc_add_root, or a root provider.
 *
 * Write barrier: every store of a pointer into an object goes through
 * st_store (objmem.h), which remembers an old object that now points into
 * new space.  Code that writes slots of a pointer object directly (memcpy,
 * slot pointers) calls st_gc_remember afterwards.
 *
 * Scavenge: Cheney copy of live new-space objects from eden and the past
 * survivor space into the future survivor space; objects that survived
 * one scavenge already, or that do not fit, are tenured (copied to old
 * space).  Roots: the remembered set, the interpreter's registers, the
 * special objects, the class table, registered roots and providers.
 * Weak slots are treated as strong by the scavenger; the full collection
 * clears them.
 *
 * Full collection: tenure everything (new space empty), mark from the
 * roots (weak slots of weak arrays not traced; those pointing at dead
 * objects become nil and the finalization semaphore is signalled;
 * ephemerons whose key is reachable only through ephemerons fire: they are
 * kept, queued for primitive 172 (fetchMourner) and the finalization
 * semaphore is signalled), then a sliding compaction of old space in
 * address order (pinned objects stay;
 * objects may move into an earlier segment's free tail), free lists
 * rebuilt, the last segment shrunk to its last object. */
#pragma once

#include "objmem.h"

G_BEGIN_DECLS

typedef enum {
  ST_GC_SCAVENGE,     /* new space only */
  ST_GC_TENURE_ALL,   /* new space emptied into old space (before heap walks) */
  ST_GC_FULL,         /* mark and compact everything */
} StGcKind;

/* One collection. */
typedef struct {
  guint64  seq;              /* 1, 2, ... in order */
  StGcKind kind;
  gint64   when_usecs;       /* monotonic time since the interpreter started */
  gint64   pause_usecs;
  uint64_t bytes_before;     /* bytes in objects (old + new) before */
  uint64_t bytes_after;
  uint64_t survivor_bytes;   /* copied into the survivor space */
  uint64_t tenured_bytes;    /* copied into old space */
  uint64_t heap_bytes;       /* old space segments plus new space */
  uint64_t old_bytes;        /* old space segments */
  uint64_t free_bytes;       /* free chunks in old space */
  uint64_t largest_free;     /* the largest free chunk in old space */
  uint64_t objects_after;    /* full collections: live objects; else 0 */
  uint64_t weak_cleared;     /* full collections: weak slots set to nil */
  uint64_t ephemerons_fired; /* full collections: ephemerons whose key only they held */
} StGcSample;

typedef struct {
  uint64_t scavenges, full_gcs, tenure_alls;
  gint64   scavenge_usecs, full_usecs;     /* total pauses */
  uint64_t tenured_bytes;                  /* since start */
  uint64_t remembered;                     /* old objects in the remembered set now */
  uint64_t eden_bytes, survivor_bytes;     /* sizes of the spaces */
  uint64_t young_used;                     /* bytes in new space now */
  uint64_t old_bytes;                      /* old space segments now */
  uint64_t old_allocated_since_full;       /* old space bytes allocated since the last full GC */
} StGcStats;

typedef void (*StGcRootFunc) (StOop *slot, gpointer user_data);
/* A provider calls visit on every StOop slot it holds. */
typedef void (*StGcRootProvider) (StVM *vm, StGcRootFunc visit, gpointer visit_data, gpointer provider_data);
/* Called on the engine thread before (after == FALSE) and after each
 * collection; sample is NULL before. */
typedef void (*StGcHook) (StVM *vm, gboolean after, const StGcSample *sample, gpointer data);

/* Set up new space for a running VM (called by st_interp_init).
 * eden_bytes 0 means THAW_EDEN_KB from the environment, else 8 MiB. */
gboolean st_gc_init (StVM *vm, uint64_t eden_bytes, GError **error);

/* Collect now.  Only while the interpreter is not inside st_interp_run
 * (or from a primitive through the interpreter's own entry).  FALSE with
 * an error when memory ran out. */
gboolean st_gc_collect (StVM *vm, StGcKind kind, GError **error);

/* Roots kept by callers (a slot's address; the slot must live until removed). */
void st_gc_add_root (StVM *vm, StOop *slot);
void st_gc_remove_root (StVM *vm, StOop *slot);
guint st_gc_add_root_provider (StVM *vm, StGcRootProvider fn, gpointer data);
void st_gc_remove_root_provider (StVM *vm, guint id);

/* Remember an old object whose slots were written without st_store. */
void st_gc_remember (StVM *vm, StOop obj);

/* Is the address in new space? */
gboolean st_gc_is_young (StVM *vm, StOop oop);

/* Hooks (the debugger's GC breakpoints, the per-GC integrity check). */
guint st_gc_add_hook (StVM *vm, StGcHook hook, gpointer data);
void  st_gc_remove_hook (StVM *vm, guint id);

/* Stress mode: a scavenge at the instruction boundary after every
 * allocation (also with -Dgc_stress=true or THAW_GC_STRESS set). */
void st_gc_set_stress (StVM *vm, gboolean on);
/* Every scavenge empties new space (tenure-all), so that old space alone
 * is the whole heap after each collection (for per-GC heap checks). */
void st_gc_set_tenure_always (StVM *vm, gboolean on);
/* Where young objects are now: eden [eden_start, eden_next) and the
 * survivor space [past_start, past_next), each a gap-free run of objects.
 * FALSE when there is no new space. */
gboolean st_gc_young_range (StVM *vm, StOop *eden_start, StOop *eden_next, StOop *past_start, StOop *past_next);

const StGcStats *st_gc_stats (StVM *vm);
/* Copy the samples with seq > after_seq (at most the last 4096 are kept)
 * into out (an GArray of StGcSample); answers the newest seq. */
guint64 st_gc_samples (StVM *vm, guint64 after_seq, GArray *out);
const char *st_gc_kind_name (StGcKind kind);
/* The oldest fired ephemeron not yet fetched (primitive 172), or 0. */
StOop st_gc_next_mourner (StVM *vm);

G_END_DECLS
