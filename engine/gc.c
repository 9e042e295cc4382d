/* SPDX-License-Identifier: GPL-3.0-or-later */
/* gc.c: the scavenger and the full mark-compact collector (see gc.h).
 *
 * New space, at the top of the VM's reservation and outside the segment
 * list:  [ eden | survivor 0 | survivor 1 ].  Eden and the "past" survivor
 * space are each filled from their start without gaps, so both are
 * walkable from their start to their fill pointer.
 *
 * A new-space object that has been copied is overwritten by a forwarder:
 * class index 8 in its header, the new address in its first slot (every
 * object has at least one slot's room). */
#include "config.h"

#include <string.h>

#include "gc.h"
#include "handles.h"
#include "image-spur32-private.h"
#include "interp-private.h"

#define DEFAULT_EDEN_BYTES   (G_GUINT64_CONSTANT (8) << 20)
#define MIN_FULL_THRESHOLD   (G_GUINT64_CONSTANT (32) << 20)
#define SAMPLE_RING          4096
#define CLASS_INDEX_MASK     G_GUINT64_CONSTANT (0x3FFFFF)
#define TERMINAL_BRIDGE      G_GUINT64_CONSTANT (0x008000004A000003)  /* class 3, format 10, pinned, marked */

/* A registered root provider or hook. */
typedef struct { gpointer fn; gpointer data; guint id; } Callback;
typedef struct { StOop start; uint64_t bytes; } Gap;

typedef struct _StGc StGc;
struct _StGc {
  StOop    new_start;
  uint64_t new_bytes;
  StOop    eden_start;
  uint64_t eden_bytes;
  StOop    surv_start[2];
  uint64_t surv_bytes;
  guint    past;            /* index of the survivor space holding survivors */
  StOop    past_next;       /* its fill pointer */
  StOop    old_limit;       /* old space may not grow past this */

  GArray    *remembered;    /* StOop: old objects that may point into new space */
  GPtrArray *roots;         /* StOop * */
  GArray    *providers;     /* Callback: StGcRootProvider */
  GArray    *hooks;         /* Callback: StGcHook */
  guint      next_id;

  StGcSample *ring;
  guint64     seq;
  StGcStats   stats;
  bool        stress;
  bool        tenure_always;
  bool        busy;
  uint64_t    full_threshold;
  /* Old space's free chunks change only in a full collection (old space
   * otherwise grows at its end): their sum and the largest, from then. */
  uint64_t    free_bytes, largest_free;
  bool        free_known;

  /* per collection */
  bool      tenure_all;
  bool      failed;
  StOop     fut_next, fut_limit;
  GArray   *tenured;        /* StOop: tenured objects still to scan */
  uint64_t  survivor_bytes, tenured_bytes;
  GArray   *mark_stack;
  GArray   *weak;
  GArray   *ephemerons;     /* met while marking with their key not yet marked */
  GArray   *mourners;       /* fired ephemerons for primitive 172, oldest first */
  uint64_t  marked;
  uint64_t  weak_cleared;
  uint64_t  fired;
  StOop     old_lo, old_hi;
};

static inline StGc *
gc_of (StVM *vm)
{
  StInterp *it = st_interp (vm);
  return it != NULL ? it->gc : NULL;
}

static inline bool
is_young (const StGc *gc, StOop o)
{
  return st_is_pointer (o) && o - gc->new_start < gc->new_bytes;
}

gboolean
st_gc_is_young (StVM *vm, StOop oop)
{
  StGc *gc = gc_of (vm);
  return gc != NULL && is_young (gc, oop);
}

const char *
st_gc_kind_name (StGcKind kind)
{
  switch (kind)
    {
    case ST_GC_SCAVENGE: return "scavenge";
    case ST_GC_TENURE_ALL: return "tenure-all";
    case ST_GC_FULL: return "full";
    }
  return "?";
}

/* ---- old space: growing the last segment ---- */

static uint64_t
old_space_bytes (StVM *vm)
{
  uint64_t n = 0;
  for (guint i = 0; i < vm->n_segments; i++)
    n += vm->segments[i].bytes;
  return n;
}

/* Room for `bytes` at the end of the last segment: the bridge moves up.
 * Answers the start address, 0 when old space cannot grow. */
static StOop
old_bump (StVM *vm, StGc *gc, uint64_t bytes)
{
  StOop start = st_objmem_grow_last_segment (vm, bytes, gc->old_limit);
  if (start != 0)
    gc->stats.old_allocated_since_full += bytes;
  return start;
}

StOop
st_gc_alloc_old (StVM *vm, uint64_t bytes)
{
  StGc *gc = gc_of (vm);
  if (gc == NULL)
    return 0;
  StOop a = old_bump (vm, gc, bytes);
  if (a != 0 && gc->stats.old_allocated_since_full > gc->full_threshold)
    st_gc_request (vm);
  return a;
}

/* ---- set-up ---- */

static void
clear_header_bits (StVM *vm)
{
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0)
    {
      uint64_t h = st_header (vm, o);
      if (h & (ST_HDR_MARKED_BIT | ST_HDR_REMEMBERED_BIT))
        st_set_header (vm, o, h & ~(ST_HDR_MARKED_BIT | ST_HDR_REMEMBERED_BIT));
    }
}

static void
gc_free (StGc *gc)
{
  if (gc == NULL)
    return;
  g_array_unref (gc->remembered);
  g_ptr_array_unref (gc->roots);
  g_array_unref (gc->providers);
  g_array_unref (gc->hooks);
  g_array_unref (gc->tenured);
  g_array_unref (gc->mark_stack);
  g_array_unref (gc->weak);
  g_array_unref (gc->ephemerons);
  g_array_unref (gc->mourners);
  g_free (gc->ring);
  g_free (gc);
}

void
st_gc_free (StVM *vm)
{
  StInterp *it = st_interp (vm);
  if (it == NULL)
    return;
  gc_free (it->gc);
  it->gc = NULL;
  vm->young_start = 0;
  vm->young_bytes = 0;
}


gboolean
st_gc_init (StVM *vm, uint64_t eden_bytes, GError **error)
{
  StInterp *it = st_interp (vm);
  g_return_val_if_fail (it != NULL && it->gc == NULL, FALSE);
  if (vm->n_segments == 0)
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_NO_MEMORY, "the heap has no segments");
      return FALSE;
    }
  const char *env = g_getenv ("THAW_EDEN_KB");
  if (eden_bytes == 0 && env != NULL)
    eden_bytes = g_ascii_strtoull (env, NULL, 10) << 10;
  if (eden_bytes == 0)
    eden_bytes = DEFAULT_EDEN_BYTES;
  eden_bytes = MAX (eden_bytes, G_GUINT64_CONSTANT (256) << 10) & ~(uint64_t) 4095;
  uint64_t surv = MAX (eden_bytes / 8, G_GUINT64_CONSTANT (64) << 10) & ~(uint64_t) 4095;
  uint64_t total = eden_bytes + 2 * surv;
  StOop old_end = st_objmem_end (vm);
  StOop top = (vm->mem_base + vm->mem_reserved) & ~(StOop) 4095;
  if (top < old_end || top - old_end < total + (G_GUINT64_CONSTANT (64) << 20))
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_NO_MEMORY,
                   "no address space left after the heap (end 0x%" G_GINT64_MODIFIER "x) for a new space of %"
                   G_GUINT64_FORMAT " bytes", (guint64) old_end, total);
      return FALSE;
    }
  if (!st_objmem_commit (vm, (gsize) (top - vm->mem_base), error))
    return FALSE;

  StGc *gc = g_new0 (StGc, 1);
  gc->new_start = top - total;
  gc->new_bytes = total;
  gc->eden_start = gc->new_start;
  gc->eden_bytes = eden_bytes;
  gc->surv_start[0] = gc->new_start + eden_bytes;
  gc->surv_start[1] = gc->surv_start[0] + surv;
  gc->surv_bytes = surv;
  gc->past = 0;
  gc->past_next = gc->surv_start[0];
  gc->old_limit = gc->new_start - 4096;
  gc->remembered = g_array_new (FALSE, FALSE, sizeof (StOop));
  gc->roots = g_ptr_array_new ();
  gc->providers = g_array_new (FALSE, FALSE, sizeof (Callback));
  gc->hooks = g_array_new (FALSE, FALSE, sizeof (Callback));
  gc->tenured = g_array_new (FALSE, FALSE, sizeof (StOop));
  gc->mark_stack = g_array_new (FALSE, FALSE, sizeof (StOop));
  gc->weak = g_array_new (FALSE, FALSE, sizeof (StOop));
  gc->ephemerons = g_array_new (FALSE, FALSE, sizeof (StOop));
  gc->mourners = g_array_new (FALSE, FALSE, sizeof (StOop));
  gc->ring = g_new0 (StGcSample, SAMPLE_RING);
  gc->stats.eden_bytes = eden_bytes;
  gc->stats.survivor_bytes = surv;
  gc->full_threshold = MAX (MIN_FULL_THRESHOLD, old_space_bytes (vm) / 2);
  it->gc = gc;
  it->eden_start = gc->eden_start;
  it->eden_next = gc->eden_start;
  it->eden_clean = gc->eden_start;
  it->reclaim_floor = gc->eden_start;
  it->eden_end = gc->eden_start + eden_bytes;
  it->eden_trigger = it->eden_end - eden_bytes / 16;
  vm->young_start = gc->new_start;
  vm->young_bytes = gc->new_bytes;
  vm->young_segment = (StSegment) { .start = gc->new_start, .bytes = gc->new_bytes, .file_start = gc->new_start };
  const char *stress = g_getenv ("THAW_GC_STRESS");
  it->gc_stress = ST_GC_STRESS || (stress != NULL && *stress != '\0' && g_strcmp0 (stress, "0") != 0);
  st_interp_eden_changed (it);
  /* Nothing is remembered or marked yet, whatever the file said. */
  clear_header_bits (vm);
  return TRUE;
}

/* ---- roots ---- */

void
st_gc_add_root (StVM *vm, StOop *slot)
{
  StGc *gc = gc_of (vm);
  if (gc != NULL)
    g_ptr_array_add (gc->roots, slot);
}

void
st_gc_remove_root (StVM *vm, StOop *slot)
{
  StGc *gc = gc_of (vm);
  if (gc != NULL)
    g_ptr_array_remove_fast (gc->roots, slot);
}

static guint
callback_add (StGc *gc, GArray *list, gpointer fn, gpointer data)
{
  Callback c = { fn, data, ++gc->next_id };
  g_array_append_val (list, c);
  return c.id;
}

static void
callback_remove (GArray *list, guint id)
{
  for (guint i = 0; i < list->len; i++)
    if (g_array_index (list, Callback, i).id == id)
      {
        g_array_remove_index (list, i);
        return;
      }
}

guint
st_gc_add_root_provider (StVM *vm, StGcRootProvider fn, gpointer data)
{
  StGc *gc = gc_of (vm);
  return gc != NULL ? callback_add (gc, gc->providers, (gpointer) fn, data) : 0;
}

void
st_gc_remove_root_provider (StVM *vm, guint id)
{
  StGc *gc = gc_of (vm);
  if (gc != NULL)
    callback_remove (gc->providers, id);
}

guint
st_gc_add_hook (StVM *vm, StGcHook hook, gpointer data)
{
  StGc *gc = gc_of (vm);
  return gc != NULL ? callback_add (gc, gc->hooks, (gpointer) hook, data) : 0;
}

void
st_gc_remove_hook (StVM *vm, guint id)
{
  StGc *gc = gc_of (vm);
  if (gc != NULL)
    callback_remove (gc->hooks, id);
}

void
st_gc_set_stress (StVM *vm, gboolean on)
{
  StInterp *it = st_interp (vm);
  if (it != NULL)
    {
      it->gc_stress = on;
      st_interp_eden_changed (it);
    }
}

void
st_gc_set_tenure_always (StVM *vm, gboolean on)
{
  StGc *gc = gc_of (vm);
  if (gc != NULL)
    gc->tenure_always = on;
}

void
st_gc_remember_slow (StVM *vm, StOop obj)
{
  StGc *gc = gc_of (vm);
  if (gc == NULL || is_young (gc, obj))
    return;
  uint64_t h = st_header (vm, obj);
  if (h & ST_HDR_REMEMBERED_BIT)
    return;
  st_set_header (vm, obj, h | ST_HDR_REMEMBERED_BIT);
  g_array_append_val (gc->remembered, obj);
}

void
st_gc_remember (StVM *vm, StOop obj)
{
  if (st_is_pointer (obj) && obj != 0)
    st_gc_remember_slow (vm, obj);
}

/* Every root slot of the VM and the interpreter. */
static void
visit_roots (StVM *vm, StGc *gc, StGcRootFunc fn, gpointer data)
{
  StInterp *it = st_interp (vm);
  fn (&it->ctx, data);
  fn (&it->home, data);
  fn (&it->method, data);
  fn (&it->receiver, data);
  fn (&it->new_method, data);
  fn (&it->timer_semaphore, data);
  fn (&it->eval_selector, data);
  fn (&vm->special_objects, data);
  for (guint i = 0; i < it->pending_signals->len; i++)
    fn (&g_array_index (it->pending_signals, StOop, i), data);
  for (guint i = 0; i < gc->mourners->len; i++)
    fn (&g_array_index (gc->mourners, StOop, i), data);
  for (guint i = 0; i < gc->roots->len; i++)
    fn (g_ptr_array_index (gc->roots, i), data);
  for (guint i = 0; i < gc->providers->len; i++)
    {
      Callback *p = &g_array_index (gc->providers, Callback, i);
      ((StGcRootProvider) p->fn) (vm, fn, data, p->data);
    }
  for (guint i = 0; vm->handle_tables != NULL && i < vm->handle_tables->len; i++)
    st_handles_foreach_root (g_ptr_array_index (vm->handle_tables, i), fn, data);
}

/* Pointer slots to trace: all for pointer formats, the header and the
 * literals for methods, none otherwise. */
static inline uint64_t
pointer_slots (StVM *vm, StOop o, uint64_t h, uint64_t slot0)
{
  guint fmt = st_hdr_format (h);
  if (st_fmt_is_pointers (fmt))
    return st_num_slots (vm, o);
  if (!st_fmt_is_method (fmt) || !st_is_smallint (slot0))
    return 0;
  int64_t v = st_smallint_value (slot0);
  uint64_t lits = vm->personality.family == ST_FAMILY_V3 ? (uint64_t) ((v >> 9) & 0xFF) : (uint64_t) (v & 0x7FFF);
  uint64_t n = st_num_slots (vm, o);
  return MIN (lits + 1, n);
}

/* How many of o's n pointer slots are in use: for a context, its fixed
 * fields and its temps and stack up to its stack pointer.  The slots above
 * hold what was popped; they keep nothing alive and become nil (the
 * classic VMs trace a context only up to stackp).  n when o is no context
 * or its stackp is no SmallInteger in range. */
static inline uint64_t
live_slots (StVM *vm, uint64_t h, uint64_t *p, uint64_t n)
{
  StInterp *it = st_interp (vm);
  guint32 ci = st_hdr_class_index (h);
  if (it == NULL || n < ST_CTX_TEMP0 || ci == 0 || !st_interp_is_context_class (it, ci))
    return n;
  StOop spv = p[ST_CTX_STACKP];
  if (!st_is_smallint (spv) || st_smallint_value (spv) < 0
      || (uint64_t) st_smallint_value (spv) > n - ST_CTX_TEMP0)
    return n;
  uint64_t used = ST_CTX_TEMP0 + (uint64_t) st_smallint_value (spv);
  for (uint64_t i = used; i < n; i++)
    p[i] = vm->nil_obj;
  return used;
}

/* ---- scavenge ---- */

static StOop
copy_young (StVM *vm, StGc *gc, StOop oop)
{
  uint64_t h = st_header (vm, oop);
  if (st_hdr_class_index (h) == ST_CLASS_INDEX_FORWARDER)
    return st_ptr (vm, oop)[1];
  StOop start = st_object_start (vm, oop);
  uint64_t bytes = st_object_end (vm, oop) - start;
  bool from_past = oop - gc->surv_start[gc->past] < gc->surv_bytes;
  bool tenure = gc->tenure_all || from_past || gc->fut_next + bytes > gc->fut_limit;
  StOop dest;
  if (!tenure)
    {
      dest = gc->fut_next;
      gc->fut_next += bytes;
      gc->survivor_bytes += bytes;
    }
  else
    {
      dest = old_bump (vm, gc, bytes);
      if (dest == 0)
        {
          gc->failed = true;
          return oop;
        }
      gc->tenured_bytes += bytes;
    }
  memcpy (st_ptr (vm, dest), st_ptr (vm, start), bytes);
  StOop n = dest + (oop - start);
  st_set_header (vm, n, h & ~ST_HDR_REMEMBERED_BIT);
  if (tenure)
    g_array_append_val (gc->tenured, n);
  st_set_header (vm, oop, (h & ~CLASS_INDEX_MASK) | ST_CLASS_INDEX_FORWARDER);
  st_ptr (vm, oop)[1] = n;
  return n;
}

static void
scavenge_root (StOop *slot, gpointer data)
{
  StVM *vm = data;
  StGc *gc = gc_of (vm);
  if (*slot != 0 && is_young (gc, *slot))
    *slot = copy_young (vm, gc, *slot);
}

/* Copy what o's slots reach in new space; an old o that still points
 * into new space afterwards is remembered again.  A weak object's
 * indexable slots keep nothing alive: it is set aside (gc->weak) for
 * settle_weak_young once everything reachable is copied. */
static void
scan_slots (StVM *vm, StGc *gc, StOop o, bool old)
{
  uint64_t h = st_header (vm, o);
  uint64_t *p = st_ptr (vm, o) + 1;
  uint64_t n = live_slots (vm, h, p, pointer_slots (vm, o, h, p[0]));
  if (st_hdr_format (h) == ST_FMT_WEAK)
    {
      uint64_t fixed = st_fixed_count (vm, o);
      if (fixed < n)
        {
          g_array_append_val (gc->weak, o);
          n = fixed;
        }
    }
  bool young_left = false;
  for (uint64_t i = 0; i < n; i++)
    {
      StOop v = p[i];
      if (is_young (gc, v))
        {
          v = copy_young (vm, gc, v);
          p[i] = v;
          young_left |= is_young (gc, v);
        }
    }
  if (old && young_left)
    st_gc_remember_slow (vm, o);
}

/* The weak slots of the weak objects the scavenge met: a young referent
 * that was copied is followed to its copy, one that was not (reachable
 * only through weak slots) becomes nil.  Copies in the future survivor
 * space are already the survivors.  An old weak object still pointing
 * into new space is remembered.  (After a failed scavenge, one that could
 * not be copied stays where it is, and so does the slot.) */
static void
settle_weak_young (StVM *vm, StGc *gc, StOop fut_start)
{
  for (guint k = 0; k < gc->weak->len; k++)
    {
      StOop o = g_array_index (gc->weak, StOop, k);
      uint64_t n = st_num_slots (vm, o);
      uint64_t *p = st_ptr (vm, o) + 1;
      bool young_left = false;
      for (uint64_t i = st_fixed_count (vm, o); i < n; i++)
        {
          StOop v = p[i];
          /* (a forwarder left by become: may lead to another) */
          while (is_young (gc, v) && v - fut_start >= gc->fut_next - fut_start)
            {
              if (st_hdr_class_index (st_header (vm, v)) == ST_CLASS_INDEX_FORWARDER)
                v = st_ptr (vm, v)[1];
              else if (gc->failed)
                break;              /* not copied for want of room: still there */
              else
                {
                  v = vm->nil_obj;
                  gc->weak_cleared++;
                }
            }
          p[i] = v;
          young_left |= is_young (gc, v);
        }
      if (young_left && !is_young (gc, o))
        st_gc_remember_slow (vm, o);
    }
  g_array_set_size (gc->weak, 0);
}

static void
scavenge (StVM *vm, StGc *gc, bool tenure_all)
{
  StInterp *it = st_interp (vm);
  guint future = 1 - gc->past;
  StOop fut_start = gc->surv_start[future];
  gc->tenure_all = tenure_all;
  gc->fut_next = fut_start;
  gc->fut_limit = fut_start + gc->surv_bytes;
  g_array_set_size (gc->tenured, 0);

  /* The remembered set: each old object is rescanned and re-remembered
   * only if it still points into new space. */
  GArray *old_set = gc->remembered;
  gc->remembered = g_array_new (FALSE, FALSE, sizeof (StOop));
  for (guint i = 0; i < old_set->len; i++)
    {
      StOop o = g_array_index (old_set, StOop, i);
      st_set_header (vm, o, st_header (vm, o) & ~ST_HDR_REMEMBERED_BIT);
    }
  for (guint i = 0; i < old_set->len; i++)
    scan_slots (vm, gc, g_array_index (old_set, StOop, i), true);
  g_array_unref (old_set);

  visit_roots (vm, gc, scavenge_root, vm);

  StOop scan = fut_start;
  guint tscan = 0;
  while (scan < gc->fut_next || tscan < gc->tenured->len)
    {
      while (scan < gc->fut_next)
        {
          StOop o = st_oop_at_start (vm, scan);
          scan_slots (vm, gc, o, false);
          scan = st_object_end (vm, o);
        }
      while (tscan < gc->tenured->len)
        scan_slots (vm, gc, g_array_index (gc->tenured, StOop, tscan++), true);
    }
  settle_weak_young (vm, gc, fut_start);
  gc->past = future;
  gc->past_next = gc->fut_next;
  it->eden_next = gc->eden_start;
  it->eden_clean = gc->eden_start;
  st_interp_eden_changed (it);
  it->reclaim_floor = gc->eden_start;
  gc->stats.tenured_bytes += gc->tenured_bytes;
}

/* ---- full collection ---- */

static inline bool
in_old (const StGc *gc, StOop o)
{
  return st_is_pointer (o) && o >= gc->old_lo && o < gc->old_hi;
}

static inline StOop
follow_forwarders (StVM *vm, const StGc *gc, StOop v)
{
  for (int i = 0; i < 16 && in_old (gc, v) && st_class_index (vm, v) == ST_CLASS_INDEX_FORWARDER; i++)
    v = st_ptr (vm, v)[1];
  return v;
}

static inline void
mark_slot (StVM *vm, StGc *gc, uint64_t *slot)
{
  StOop v = *slot;
  if (!in_old (gc, v))
    return;
  v = follow_forwarders (vm, gc, v);
  *slot = v;
  if (!in_old (gc, v))
    return;
  uint64_t h = st_header (vm, v);
  if (h & ST_HDR_MARKED_BIT)
    return;
  guint32 ci = st_hdr_class_index (h);
  if (ci == ST_CLASS_INDEX_FREE || ci == ST_CLASS_INDEX_BRIDGE)
    return;
  st_set_header (vm, v, h | ST_HDR_MARKED_BIT);
  gc->marked++;
  g_array_append_val (gc->mark_stack, v);
}

static void
mark_root (StOop *slot, gpointer data)
{
  StVM *vm = data;
  if (*slot != 0)
    mark_slot (vm, gc_of (vm), slot);
}

static inline bool
is_marked_or_immediate (StVM *vm, StGc *gc, StOop v)
{
  v = follow_forwarders (vm, gc, v);
  return !in_old (gc, v) || (st_header (vm, v) & ST_HDR_MARKED_BIT);
}

/* Trace what the mark stack holds.  An ephemeron whose key is not marked
 * (yet) is set aside rather than traced. */
static void
drain (StVM *vm, StGc *gc)
{
  while (gc->mark_stack->len > 0)
    {
      StOop o = g_array_index (gc->mark_stack, StOop, gc->mark_stack->len - 1);
      g_array_set_size (gc->mark_stack, gc->mark_stack->len - 1);
      uint64_t h = st_header (vm, o);
      uint64_t *p = st_ptr (vm, o) + 1;
      uint64_t n = live_slots (vm, h, p, pointer_slots (vm, o, h, p[0]));
      guint fmt = st_hdr_format (h);
      if (fmt == ST_FMT_WEAK)
        {
          g_array_append_val (gc->weak, o);
          n = MIN (n, st_fixed_count (vm, o));
        }
      else if (fmt == ST_FMT_EPHEMERON && n > 0 && !is_marked_or_immediate (vm, gc, p[0]))
        {
          g_array_append_val (gc->ephemerons, o);
          continue;
        }
      for (uint64_t i = 0; i < n; i++)
        mark_slot (vm, gc, &p[i]);
    }
}

/* Ephemerons set aside: trace those whose key got marked meanwhile, until
 * nothing changes; the rest fire (their key is reachable only through
 * them): they become mourners, are traced, and the finalization semaphore
 * is signalled. */
static uint64_t
settle_ephemerons (StVM *vm, StGc *gc)
{
  uint64_t fired = 0;
  while (gc->ephemerons->len > 0)
    {
      bool progress = false;
      GArray *pending = gc->ephemerons;
      gc->ephemerons = g_array_new (FALSE, FALSE, sizeof (StOop));
      for (guint i = 0; i < pending->len; i++)
        {
          StOop e = g_array_index (pending, StOop, i);
          if (is_marked_or_immediate (vm, gc, st_ptr (vm, e)[1]))
            {
              uint64_t *p = st_ptr (vm, e) + 1;
              uint64_t n = st_num_slots (vm, e);
              for (uint64_t k = 0; k < n; k++)
                mark_slot (vm, gc, &p[k]);
              progress = true;
            }
          else
            g_array_append_val (gc->ephemerons, e);
        }
      g_array_unref (pending);
      drain (vm, gc);
      if (progress)
        continue;
      /* No key got marked: fire them all. */
      GArray *dying = gc->ephemerons;
      gc->ephemerons = g_array_new (FALSE, FALSE, sizeof (StOop));
      for (guint i = 0; i < dying->len; i++)
        {
          StOop e = g_array_index (dying, StOop, i);
          g_array_append_val (gc->mourners, e);
          uint64_t *p = st_ptr (vm, e) + 1;
          uint64_t n = st_num_slots (vm, e);
          for (uint64_t k = 0; k < n; k++)
            mark_slot (vm, gc, &p[k]);
          fired++;
        }
      g_array_unref (dying);
      drain (vm, gc);
    }
  return fired;
}

static void
mark_all (StVM *vm, StGc *gc)
{
  StOop fixed_roots[5] = { vm->nil_obj, vm->false_obj, vm->true_obj, vm->free_lists_obj, vm->hidden_roots_obj };
  for (guint i = 0; i < 5; i++)
    if (fixed_roots[i] != 0)
      mark_slot (vm, gc, &fixed_roots[i]);
  visit_roots (vm, gc, mark_root, vm);
  drain (vm, gc);
  gc->fired = settle_ephemerons (vm, gc);
}

StOop
st_gc_next_mourner (StVM *vm)
{
  StGc *gc = gc_of (vm);
  if (gc == NULL || gc->mourners->len == 0)
    return 0;
  StOop e = g_array_index (gc->mourners, StOop, 0);
  g_array_remove_index (gc->mourners, 0);
  return e;
}

/* Weak slots whose referent is unmarked become nil. */
static void
clear_weak (StVM *vm, StGc *gc)
{
  for (guint k = 0; k < gc->weak->len; k++)
    {
      StOop o = g_array_index (gc->weak, StOop, k);
      uint64_t n = st_num_slots (vm, o);
      uint64_t *p = st_ptr (vm, o) + 1;
      for (uint64_t i = st_fixed_count (vm, o); i < n; i++)
        {
          StOop v = follow_forwarders (vm, gc, p[i]);
          p[i] = v;
          if (in_old (gc, v) && !(st_header (vm, v) & ST_HDR_MARKED_BIT))
            {
              p[i] = vm->nil_obj;
              gc->weak_cleared++;
            }
        }
    }
  g_array_set_size (gc->weak, 0);
}

/* Write a free chunk covering [start, start + bytes); bytes >= 16. */
static void
write_free_chunk (StVM *vm, StOop start, uint64_t bytes)
{
  uint64_t slots = bytes / 8 - 1;
  if (slots >= ST_OVERFLOW_SLOTS)
    {
      slots -= 1;
      *st_ptr (vm, start) = (G_GUINT64_CONSTANT (0xFF) << 56) | slots;
      *st_ptr (vm, start + 8) = st_hdr_make (ST_OVERFLOW_SLOTS, 0, 0, ST_CLASS_INDEX_FREE);
    }
  else
    *st_ptr (vm, start) = st_hdr_make ((guint) slots, 0, 0, ST_CLASS_INDEX_FREE);
}

/* The walk the compactor uses: every object of old space in address
 * order, as the segments are now.  fn answers nothing; it may move
 * objects below the current one. */
typedef struct {
  StVM *vm;
  guint seg;
  StOop a, limit;
} OldWalk;

static void
old_walk_init (OldWalk *w, StVM *vm)
{
  w->vm = vm;
  w->seg = 0;
  w->a = vm->segments[0].start;
  w->limit = vm->segments[0].start + vm->segments[0].bytes - ST_BRIDGE_BYTES;
}

/* Next object: its oop, storage start and size; FALSE at the end. */
static bool
old_walk_next (OldWalk *w, StOop *oop, StOop *start, uint64_t *bytes, guint *seg)
{
  StVM *vm = w->vm;
  while (w->a >= w->limit)
    {
      if (++w->seg >= vm->n_segments)
        return false;
      w->a = vm->segments[w->seg].start;
      w->limit = vm->segments[w->seg].start + vm->segments[w->seg].bytes - ST_BRIDGE_BYTES;
    }
  *start = w->a;
  *oop = st_oop_at_start (vm, w->a);
  StOop end = st_object_end (vm, *oop);
  *bytes = end - w->a;
  *seg = w->seg;
  w->a = end;
  return true;
}

static void
collect_root_slot (StOop *slot, gpointer data)
{
  g_hash_table_add (data, slot);
}

/* Compaction: plan new addresses, update every reference, move. */
static void
compact (StVM *vm, StGc *gc)
{
  guint nseg = vm->n_segments;
  uint64_t *saved = g_new (uint64_t, gc->marked + 1);
  GArray *gaps = g_array_new (FALSE, FALSE, sizeof (Gap));
  uint64_t last_b0 = st_word_at (vm, vm->segments[nseg - 1].start + vm->segments[nseg - 1].bytes - ST_BRIDGE_BYTES);
  uint64_t last_b1 = st_word_at (vm, vm->segments[nseg - 1].start + vm->segments[nseg - 1].bytes - 8);

  /* Plan: the destination cursor (ds, dp) slides over the segments. */
  guint ds = 0;
  StOop dp = vm->segments[0].start;
  StOop dlimit = vm->segments[0].start + vm->segments[0].bytes - ST_BRIDGE_BYTES;
  uint64_t k = 0;
  OldWalk w;
  old_walk_init (&w, vm);
  StOop oop, start;
  uint64_t bytes;
  guint seg;
  while (old_walk_next (&w, &oop, &start, &bytes, &seg))
    {
      uint64_t h = st_header (vm, oop);
      if (!(h & ST_HDR_MARKED_BIT))
        continue;
      StOop dest;
      if (st_hdr_is_pinned (h))
        {
          /* Stays: what lies between the cursor and it is free. */
          while (ds < seg)
            {
              if (dlimit > dp)
                g_array_append_val (gaps, ((Gap) { dp, dlimit - dp }));
              ds++;
              dp = vm->segments[ds].start;
              dlimit = vm->segments[ds].start + vm->segments[ds].bytes - ST_BRIDGE_BYTES;
            }
          if (start > dp)
            g_array_append_val (gaps, ((Gap) { dp, start - dp }));
          dest = start;
          dp = start + bytes;
        }
      else
        {
          while (!(dp + bytes == dlimit || dp + bytes + 16 <= dlimit))
            {
              if (dlimit > dp)
                g_array_append_val (gaps, ((Gap) { dp, dlimit - dp }));
              ds++;
              dp = vm->segments[ds].start;
              dlimit = vm->segments[ds].start + vm->segments[ds].bytes - ST_BRIDGE_BYTES;
            }
          dest = dp;
          dp += bytes;
        }
      uint64_t *p = st_ptr (vm, oop) + 1;
      saved[k++] = p[0];
      p[0] = dest + (oop - start);
    }

  /* Update: every pointer slot of every live object, then the roots. */
#define FWD(v) (in_old (gc, (v)) && (st_header (vm, (v)) & ST_HDR_MARKED_BIT) ? st_ptr (vm, (v))[1] : (v))
  k = 0;
  old_walk_init (&w, vm);
  while (old_walk_next (&w, &oop, &start, &bytes, &seg))
    {
      uint64_t h = st_header (vm, oop);
      if (!(h & ST_HDR_MARKED_BIT))
        continue;
      uint64_t *p = st_ptr (vm, oop) + 1;
      uint64_t s0 = saved[k];
      uint64_t n = pointer_slots (vm, oop, h, s0);
      if (n > 0)
        {
          saved[k] = FWD (s0);
          for (uint64_t i = 1; i < n; i++)
            p[i] = FWD (p[i]);
        }
      k++;
    }
  StOop *fixed[] = { &vm->nil_obj, &vm->false_obj, &vm->true_obj, &vm->free_lists_obj, &vm->hidden_roots_obj };
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    *fixed[i] = FWD (*fixed[i]);
  StInterp *it = st_interp (vm);
  it->nil = vm->nil_obj;
  it->true_obj = vm->true_obj;
  it->false_obj = vm->false_obj;
  /* Root slots are mapped once each, even when visited twice. */
  GHashTable *root_slots = g_hash_table_new (g_direct_hash, g_direct_equal);
  visit_roots (vm, gc, collect_root_slot, root_slots);
  GHashTableIter hi;
  gpointer key;
  g_hash_table_iter_init (&hi, root_slots);
  while (g_hash_table_iter_next (&hi, &key, NULL))
    {
      StOop *slot = key;
      if (*slot != 0)
        *slot = FWD (*slot);
    }
  g_hash_table_unref (root_slots);
#undef FWD

  /* Move, restoring each first slot and clearing the mark. */
  k = 0;
  old_walk_init (&w, vm);
  while (old_walk_next (&w, &oop, &start, &bytes, &seg))
    {
      uint64_t h = st_header (vm, oop);
      if (!(h & ST_HDR_MARKED_BIT))
        continue;
      StOop dest_oop = st_ptr (vm, oop)[1];
      StOop dest = dest_oop - (oop - start);
      st_set_header (vm, oop, h & ~ST_HDR_MARKED_BIT);
      if (dest != start)
        memmove (st_ptr (vm, dest), st_ptr (vm, start), bytes);
      st_ptr (vm, dest_oop)[1] = saved[k++];
    }

  /* Free space: gaps, then the last used segment ends at the cursor and
   * later segments go. */
  for (guint i = 0; i < gaps->len; i++)
    {
      Gap *g = &g_array_index (gaps, Gap, i);
      write_free_chunk (vm, g->start, g->bytes);
    }
  StSegment *last = &vm->segments[ds];
  last->bytes = dp - last->start + ST_BRIDGE_BYTES;
  *st_ptr (vm, dp) = ds == nseg - 1 ? last_b0 : TERMINAL_BRIDGE;
  *st_ptr (vm, dp + 8) = ds == nseg - 1 ? last_b1 : 0;
  vm->n_segments = ds + 1;
  g_array_unref (gaps);
  g_free (saved);
}

/* ---- collections ---- */

static uint64_t
young_used (StVM *vm, StGc *gc)
{
  StInterp *it = st_interp (vm);
  return (it->eden_next - gc->eden_start) + (gc->past_next - gc->surv_start[gc->past]);
}

/* Free bytes and the largest free chunk of old space (a walk). */
static void
old_free_space (StVM *vm, uint64_t *free_bytes, uint64_t *largest)
{
  *free_bytes = 0;
  *largest = 0;
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0)
    if (st_class_index (vm, o) == ST_CLASS_INDEX_FREE)
      {
        uint64_t b = st_object_end (vm, o) - st_object_start (vm, o);
        *free_bytes += b;
        *largest = MAX (*largest, b);
      }
}

static void
run_hooks (StVM *vm, StGc *gc, gboolean after, const StGcSample *sample)
{
  for (guint i = 0; i < gc->hooks->len; i++)
    {
      Callback h = g_array_index (gc->hooks, Callback, i);
      ((StGcHook) h.fn) (vm, after, sample, h.data);
    }
}

/* The registers hold machine pointers into the objects they name: after
 * objects moved, point them again; an old active context is remembered
 * (the interpreter writes its slots without a barrier). */
static void
reload_registers (StVM *vm, StGc *gc)
{
  StInterp *it = st_interp (vm);
  if (it->ctx != 0)
    {
      it->slots = st_ptr (vm, it->ctx) + 1;
      it->temps = st_ptr (vm, it->home) + 1;
      it->bc = st_bytes (vm, it->method);
      if (!is_young (gc, it->ctx))
        st_gc_remember_slow (vm, it->ctx);
      if (!is_young (gc, it->home))
        st_gc_remember_slow (vm, it->home);
    }
  st_interp_flush_cache (it);
  if (it->names != NULL)
    g_hash_table_remove_all (it->names);
  for (guint i = 0; vm->handle_tables != NULL && i < vm->handle_tables->len; i++)
    st_handles_rehash (g_ptr_array_index (vm->handle_tables, i));
}

static gboolean
collect (StVM *vm, StGc *gc, StGcKind kind, GError **error)
{
  StInterp *it = st_interp (vm);
  if (gc->busy)
    return TRUE;
  gc->busy = true;
  run_hooks (vm, gc, FALSE, NULL);
  gint64 t0 = g_get_monotonic_time ();
  /* the active context's stack pointer as of now (live_slots reads it) */
  st_interp_save_registers (it);
  StGcSample s = { 0 };
  s.kind = kind;
  s.bytes_before = young_used (vm, gc) + old_space_bytes (vm);
  gc->survivor_bytes = gc->tenured_bytes = 0;
  gc->failed = false;
  gc->marked = 0;
  gc->weak_cleared = 0;
  gc->fired = 0;
  scavenge (vm, gc, kind != ST_GC_SCAVENGE || gc->tenure_always);
  if (kind == ST_GC_FULL && !gc->failed)
    {
      gc->old_lo = vm->segments[0].start;
      gc->old_hi = st_objmem_end (vm);
      clear_header_bits (vm);
      g_array_set_size (gc->remembered, 0);
      mark_all (vm, gc);
      clear_weak (vm, gc);
      compact (vm, gc);
      st_objmem_rebuild_free_lists (vm);
      gc->stats.old_allocated_since_full = 0;
      gc->full_threshold = MAX (MIN_FULL_THRESHOLD, old_space_bytes (vm) / 2);
      s.objects_after = gc->marked;
    }
  /* weak slots cleared by the scavenge or the full collection */
  s.weak_cleared = gc->weak_cleared;
  s.ephemerons_fired = gc->fired;
  if (!gc->failed && (gc->weak_cleared > 0 || gc->fired > 0))
    {
      StOop sem = st_special (vm, ST_SPLOB_THE_FINALIZATION_SEMAPHORE);
      if (sem != vm->nil_obj && st_interp_valid_obj (vm, sem))
        g_array_append_val (it->pending_signals, sem);
    }
  reload_registers (vm, gc);
  gint64 t1 = g_get_monotonic_time ();
  s.pause_usecs = t1 - t0;
  s.when_usecs = t0 - it->start_usecs;
  s.survivor_bytes = gc->survivor_bytes;
  s.tenured_bytes = gc->tenured_bytes;
  s.old_bytes = old_space_bytes (vm);
  s.heap_bytes = s.old_bytes + gc->new_bytes;
  if (kind == ST_GC_FULL || !gc->free_known)
    {
      old_free_space (vm, &gc->free_bytes, &gc->largest_free);
      gc->free_known = true;
    }
  s.free_bytes = gc->free_bytes;
  s.largest_free = gc->largest_free;
  s.bytes_after = s.old_bytes - s.free_bytes + young_used (vm, gc);
  s.seq = ++gc->seq;
  gc->ring[(s.seq - 1) % SAMPLE_RING] = s;
  switch (kind)
    {
    case ST_GC_SCAVENGE: gc->stats.scavenges++; gc->stats.scavenge_usecs += s.pause_usecs; break;
    case ST_GC_TENURE_ALL: gc->stats.tenure_alls++; gc->stats.scavenge_usecs += s.pause_usecs; break;
    case ST_GC_FULL: gc->stats.full_gcs++; gc->stats.full_usecs += s.pause_usecs; break;
    }
  it->gc_pending = false;
  /* Low space: what old space can still grow by, against primitive 125's threshold. */
  uint64_t room = gc->old_limit - st_objmem_end (vm);
  if (it->low_space_threshold != 0 && room < it->low_space_threshold && !it->low_space_signalled)
    {
      StOop sem = st_special (vm, ST_SPLOB_THE_LOW_SPACE_SEMAPHORE);
      if (sem != vm->nil_obj && st_interp_valid_obj (vm, sem))
        g_array_append_val (it->pending_signals, sem);
      it->low_space_signalled = true;
    }
  run_hooks (vm, gc, TRUE, &s);
  gc->busy = false;
  if (gc->failed)
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_NO_MEMORY,
                   "old space cannot grow to take the survivors of a %s (limit 0x%" G_GINT64_MODIFIER "x)",
                   st_gc_kind_name (kind), (guint64) gc->old_limit);
      return FALSE;
    }
  return TRUE;
}

gboolean
st_gc_collect (StVM *vm, StGcKind kind, GError **error)
{
  StGc *gc = gc_of (vm);
  if (gc == NULL)
    {
      g_set_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_NO_PROCESS, "no running interpreter to collect for");
      return FALSE;
    }
  return collect (vm, gc, kind, error);
}

void
st_gc_request (StVM *vm)
{
  StInterp *it = st_interp (vm);
  it->gc_pending = true;
  __atomic_store_n (&it->check_at, 0, __ATOMIC_RELAXED);
}

/* At an instruction boundary with gc_pending set: a scavenge, or a full
 * collection once old space grew enough.  FALSE (stop set) when memory
 * ran out. */
bool
st_gc_safe_point (StVM *vm)
{
  StGc *gc = gc_of (vm);
  StGcKind kind = gc->stats.old_allocated_since_full > gc->full_threshold ? ST_GC_FULL : ST_GC_SCAVENGE;
  GError *error = NULL;
  if (!collect (vm, gc, kind, &error))
    {
      st_interp_fail (vm, ST_INTERP_ERROR_NO_MEMORY, "%s", error->message);
      g_error_free (error);
      return false;
    }
  return true;
}

const StGcStats *
st_gc_stats (StVM *vm)
{
  StGc *gc = gc_of (vm);
  if (gc == NULL)
    return NULL;
  gc->stats.remembered = gc->remembered->len;
  gc->stats.young_used = young_used (vm, gc);
  gc->stats.old_bytes = old_space_bytes (vm);
  return &gc->stats;
}

guint64
st_gc_samples (StVM *vm, guint64 after_seq, GArray *out)
{
  StGc *gc = gc_of (vm);
  if (gc == NULL)
    return 0;
  guint64 first = gc->seq > SAMPLE_RING ? gc->seq - SAMPLE_RING + 1 : 1;
  for (guint64 q = MAX (after_seq + 1, first); q <= gc->seq; q++)
    g_array_append_val (out, gc->ring[(q - 1) % SAMPLE_RING]);
  return gc->seq;
}

gboolean
st_gc_young_range (StVM *vm, StOop *eden_start, StOop *eden_next, StOop *past_start, StOop *past_next)
{
  StGc *gc = gc_of (vm);
  if (gc == NULL)
    return FALSE;
  *eden_start = gc->eden_start;
  *eden_next = st_interp (vm)->eden_next;
  *past_start = gc->surv_start[gc->past];
  *past_next = gc->past_next;
  return TRUE;
}
