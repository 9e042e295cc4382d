/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The collector on synthetic heaps: scavenges keep what is reachable
 * (through handles, registered roots and old objects via the write
 * barrier) and tenure it on the second survival; a full collection drops
 * garbage, keeps the reachable graph identical (its digest), clears weak
 * slots, leaves pinned objects in place and a heap the checker finds
 * clean. */
#include "config.h"

#include <string.h>

#include "builder.h"
#include "digest.h"
#include "gc.h"
#include "handles.h"
#include "heap-check.h"
#include "interp-private.h"
#include "support.h"

typedef struct {
  ThawBuilder *b;
  const ThawBuilderObjects *k;
  StVM *vm;
} Gc;

static void
gc_setup (Gc *g, guint garbage)
{
  g->b = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  g->k = thaw_builder_objects (g->b);
  if (garbage > 0)
    thaw_builder_garbage (g->b, garbage);
  g->vm = thaw_builder_finish (g->b);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_interp_init (g->vm, &error));
  g_assert_no_error (error);
}

static void
gc_free (Gc *g)
{
  st_vm_free (g->vm);
  thaw_builder_free (g->b);
}

static StOop
new_array (Gc *g, guint n)
{
  guint32 ci = thaw_builder_class_index (g->b, g->k->array_class);
  StOop a = st_objmem_new_object (g->vm, ci, ST_FMT_INDEXABLE, n);
  g_assert_cmphex (a, !=, 0);
  return a;
}

static StOop
new_string (Gc *g, const char *s)
{
  guint32 ci = thaw_builder_class_index (g->b, g->k->byte_string_class);
  gsize n = strlen (s);
  StOop o = st_objmem_new_object (g->vm, ci, ST_FMT_BYTES + ((8 - (n & 7)) & 7), (n + 7) / 8);
  g_assert_cmphex (o, !=, 0);
  memcpy (st_bytes (g->vm, o), s, n);
  return o;
}

static void
collect (Gc *g, StGcKind kind)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (st_gc_collect (g->vm, kind, &error));
  g_assert_no_error (error);
}

static guint64
findings (StVM *vm)
{
  StCheckOptions opts = { .max_findings = 5 };
  StCheckReport *r = st_heap_check (vm, &opts);
  for (guint i = 0; i < r->n_findings; i++)
    g_test_message ("finding: %s", r->findings[i].message);
  guint64 n = r->n_findings_total;
  st_check_report_free (r);
  return n;
}

static GArray *
samples (StVM *vm)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (StGcSample));
  st_gc_samples (vm, 0, a);
  return a;
}

/* A young Array holding a young String, held by a handle: the first
 * scavenge copies both to the survivor space, the second tenures them. */
static void
test_scavenge_keeps_handles (void)
{
  Gc g;
  gc_setup (&g, 0);
  StVM *vm = g.vm;
  StOop a = new_array (&g, 3);
  StOop s = new_string (&g, "survivor");
  st_store (vm, a, 0, s);
  st_store (vm, a, 1, st_smallint_oop (42));
  g_assert_true (st_gc_is_young (vm, a));
  StHandles *h = st_handles_new (vm);
  StHandle id = st_handles_add (h, a);
  for (int i = 0; i < 100; i++)
    new_array (&g, 10);                   /* garbage */

  collect (&g, ST_GC_SCAVENGE);
  StOop a1;
  g_assert_true (st_handles_get (h, id, &a1));
  g_assert_cmphex (a1, !=, a);
  g_assert_true (st_gc_is_young (vm, a1));   /* in the survivor space */
  StOop s1 = st_fetch (vm, a1, 0);
  g_assert_true (st_gc_is_young (vm, s1));
  g_assert_cmpmem (st_bytes (vm, s1), 8, "survivor", 8);
  g_assert_cmphex (st_fetch (vm, a1, 1), ==, st_smallint_oop (42));
  g_assert_cmpuint (st_handles_add (h, a1), ==, id);   /* the index was rebuilt */
  g_autoptr (GArray) sm = samples (vm);
  g_assert_cmpuint (sm->len, ==, 1);
  const StGcSample *x = &g_array_index (sm, StGcSample, 0);
  g_assert_cmpint (x->kind, ==, ST_GC_SCAVENGE);
  /* Only the two survivors (32 + 16 bytes) and whatever the interpreter's
   * start made were copied, not the 100 garbage Arrays (8800 bytes). */
  g_assert_cmpuint (x->survivor_bytes, >=, 48);
  g_assert_cmpuint (x->survivor_bytes, <, 8800);
  g_assert_cmpuint (x->tenured_bytes, ==, 0);

  collect (&g, ST_GC_SCAVENGE);
  StOop a2;
  g_assert_true (st_handles_get (h, id, &a2));
  g_assert_false (st_gc_is_young (vm, a2));  /* tenured on the second survival */
  g_assert_cmpmem (st_bytes (vm, st_fetch (vm, a2, 0)), 8, "survivor", 8);
  g_assert_false (st_gc_is_young (vm, st_fetch (vm, a2, 0)));
  g_assert_cmpuint (findings (vm), ==, 0);
  st_handles_free (h);
  gc_free (&g);
}

/* An old object that gets a young one through st_store is remembered: the
 * young object survives and the old slot follows it. */
static void
test_remembered_set (void)
{
  Gc g;
  gc_setup (&g, 0);
  StVM *vm = g.vm;
  StOop old = g.k->sample_array;
  g_assert_false (st_gc_is_young (vm, old));
  StOop s = new_string (&g, "remember");
  st_store (vm, old, 2, s);
  g_assert_true (st_hdr_is_remembered (st_header (vm, old)));
  g_assert_cmpuint (st_gc_stats (vm)->remembered, >=, 1);
  collect (&g, ST_GC_SCAVENGE);
  StOop s1 = st_fetch (vm, old, 2);
  g_assert_cmphex (s1, !=, s);
  g_assert_true (st_gc_is_young (vm, s1));
  g_assert_cmpmem (st_bytes (vm, s1), 8, "remember", 8);
  g_assert_true (st_hdr_is_remembered (st_header (vm, old)));   /* still points into new space */
  collect (&g, ST_GC_SCAVENGE);
  StOop s2 = st_fetch (vm, old, 2);
  g_assert_false (st_gc_is_young (vm, s2));
  g_assert_false (st_hdr_is_remembered (st_header (vm, old)));  /* nothing young left */
  g_assert_cmpmem (st_bytes (vm, s2), 8, "remember", 8);
  gc_free (&g);
}

/* A registered root slot is updated; an unregistered young object is not
 * kept alive by anything and is not copied. */
static void
test_registered_root (void)
{
  Gc g;
  gc_setup (&g, 0);
  StVM *vm = g.vm;
  StOop kept = new_string (&g, "rootslot");
  st_gc_add_root (vm, &kept);
  StOop before = kept;
  collect (&g, ST_GC_TENURE_ALL);
  g_assert_cmphex (kept, !=, before);
  g_assert_false (st_gc_is_young (vm, kept));
  g_assert_cmpmem (st_bytes (vm, kept), 8, "rootslot", 8);
  st_gc_remove_root (vm, &kept);
  const StGcStats *st = st_gc_stats (vm);
  g_assert_cmpuint (st->young_used, ==, 0);
  g_assert_cmpuint (st->tenure_alls, ==, 1);
  gc_free (&g);
}

/* A full collection: the builder's 200 garbage Arrays go, the reachable
 * graph is the same (digest), the checker finds nothing, and old space
 * shrank by at least the garbage. */
static void
test_full_compacts (void)
{
  Gc g;
  gc_setup (&g, 200);
  StVM *vm = g.vm;
  guint8 d0[32], d1[32];
  g_autoptr (GError) error = NULL;
  g_assert_true (st_digest (vm, d0, &error));
  StOop end0 = st_objmem_end (vm);
  /* Some young objects reachable from an old one, so tenuring and the
   * compaction both have work. */
  StOop a = new_array (&g, 4);
  st_store (vm, g.k->sample_array, 0, a);
  st_store (vm, a, 0, new_string (&g, "compact!"));
  collect (&g, ST_GC_FULL);
  g_assert_cmpuint (findings (vm), ==, 0);
  g_autoptr (GArray) sm = samples (vm);
  const StGcSample *x = &g_array_index (sm, StGcSample, sm->len - 1);
  g_assert_cmpint (x->kind, ==, ST_GC_FULL);
  g_assert_cmpuint (x->objects_after, >, 100);
  /* 200 Arrays of 3 slots are 6400 bytes; the new Array and String came in. */
  g_assert_cmpuint (st_objmem_end (vm), <=, end0 + 48 + 24 - 6400 + 64);
  g_assert_cmpuint (x->free_bytes, ==, 0);     /* the builder's free chunks were absorbed */
  /* A second collection has nothing left to drop or move. */
  StOop end1 = st_objmem_end (vm);
  collect (&g, ST_GC_FULL);
  g_assert_cmphex (st_objmem_end (vm), ==, end1);
  g_assert_cmpuint (findings (vm), ==, 0);
  gc_free (&g);

  /* The same heap without additions: the digest is unchanged by the collection. */
  gc_setup (&g, 200);
  g_assert_true (st_digest (g.vm, d0, &error));
  collect (&g, ST_GC_FULL);
  g_assert_true (st_digest (g.vm, d1, &error));
  g_assert_cmpmem (d0, 32, d1, 32);
  g_assert_cmpuint (findings (g.vm), ==, 0);
  gc_free (&g);
}

/* Weak slots: a dead referent becomes nil, a live one stays. */
static void
test_weak_cleared (void)
{
  Gc g;
  gc_setup (&g, 0);
  StVM *vm = g.vm;
  guint32 wci = thaw_builder_class_index (g.b, g.k->weak_array_class);
  StOop w = st_objmem_new_object (vm, wci, ST_FMT_WEAK, 2);
  StOop live = new_string (&g, "live....");
  st_store (vm, w, 0, new_string (&g, "dead...."));
  st_store (vm, w, 1, live);
  st_store (vm, g.k->sample_array, 0, w);
  st_store (vm, g.k->sample_array, 1, live);
  collect (&g, ST_GC_FULL);
  /* Objects moved: find the weak array again by its class. */
  StOop w1 = 0;
  StHeapWalk hw;
  st_heap_walk_init (&hw, vm);
  StOop o;
  while ((o = st_heap_walk_next (&hw)) != 0)
    if (st_class_index (vm, o) == wci && st_num_slots (vm, o) == 2)
      w1 = o;
  g_assert_cmphex (w1, !=, 0);
  g_assert_cmphex (st_fetch (vm, w1, 0), ==, vm->nil_obj);
  StOop l1 = st_fetch (vm, w1, 1);
  g_assert_cmpmem (st_bytes (vm, l1), 8, "live....", 8);
  g_autoptr (GArray) sm = samples (vm);
  g_assert_cmpuint (g_array_index (sm, StGcSample, sm->len - 1).weak_cleared, ==, 1);
  g_assert_cmpuint (findings (vm), ==, 0);
  gc_free (&g);
}

/* Weak slots in a scavenge: a young referent held only there becomes
 * nil, one held elsewhere too is followed to its copy, an old one stays;
 * the finalization semaphore is signalled.  First with a young weak
 * array, then with an old one (remembered by the store, and again while
 * it points at a survivor). */
static void
test_weak_scavenge (void)
{
  Gc g;
  gc_setup (&g, 0);
  StVM *vm = g.vm;
  StInterp *it = st_interp (vm);
  g_assert_cmpuint (st_num_slots (vm, g.k->special_objects), >, ST_SPLOB_THE_FINALIZATION_SEMAPHORE);
  StOop sem = st_objmem_new_object (vm, thaw_builder_class_index (g.b, g.k->semaphore_class), ST_FMT_FIXED, 3);
  st_store (vm, g.k->special_objects, ST_SPLOB_THE_FINALIZATION_SEMAPHORE, sem);
  guint32 wci = thaw_builder_class_index (g.b, g.k->weak_array_class);
  StHandles *h = st_handles_new (vm);

  StOop w = st_objmem_new_object (vm, wci, ST_FMT_WEAK, 3);
  StOop live = new_string (&g, "live....");
  st_store (vm, w, 0, new_string (&g, "dead...."));
  st_store (vm, w, 1, live);
  st_store (vm, w, 2, g.k->array_class);
  StHandle hw = st_handles_add (h, w), hl = st_handles_add (h, live);
  guint signals = it->pending_signals->len;
  collect (&g, ST_GC_SCAVENGE);
  StOop w1, l1;
  g_assert_true (st_handles_get (h, hw, &w1));
  g_assert_true (st_handles_get (h, hl, &l1));
  g_assert_true (st_gc_is_young (vm, w1));
  g_assert_cmphex (st_fetch (vm, w1, 0), ==, vm->nil_obj);
  g_assert_cmphex (st_fetch (vm, w1, 1), ==, l1);
  g_assert_cmpmem (st_bytes (vm, l1), 8, "live....", 8);
  g_assert_cmphex (st_fetch (vm, w1, 2), ==, g.k->array_class);
  g_autoptr (GArray) sm = samples (vm);
  g_assert_cmpuint (g_array_index (sm, StGcSample, sm->len - 1).weak_cleared, ==, 1);
  g_assert_cmpuint (it->pending_signals->len, ==, signals + 1);
  g_assert_cmphex (g_array_index (it->pending_signals, StOop, signals), ==,
                   st_special (vm, ST_SPLOB_THE_FINALIZATION_SEMAPHORE));

  /* an old weak array */
  collect (&g, ST_GC_TENURE_ALL);
  g_assert_true (st_handles_get (h, hw, &w1));
  g_assert_false (st_gc_is_young (vm, w1));
  StOop live2 = new_string (&g, "live2...");
  st_store (vm, w1, 0, new_string (&g, "dead2..."));
  st_store (vm, w1, 2, live2);
  StHandle hl2 = st_handles_add (h, live2);
  collect (&g, ST_GC_SCAVENGE);
  StOop l2;
  g_assert_true (st_handles_get (h, hl2, &l2));
  g_assert_true (st_gc_is_young (vm, l2));
  g_assert_cmphex (st_fetch (vm, w1, 0), ==, vm->nil_obj);
  g_assert_cmphex (st_fetch (vm, w1, 2), ==, l2);
  g_assert_true (st_header (vm, w1) & ST_HDR_REMEMBERED_BIT);
  /* the next scavenge tenures the survivor and finds it through the remembered weak array */
  collect (&g, ST_GC_SCAVENGE);
  g_assert_true (st_handles_get (h, hl2, &l2));
  g_assert_false (st_gc_is_young (vm, l2));
  g_assert_cmphex (st_fetch (vm, w1, 2), ==, l2);
  g_assert_cmpmem (st_bytes (vm, l2), 8, "live2...", 8);
  g_assert_cmpuint (findings (vm), ==, 0);       /* nothing young is left: the checker sees it all */
  st_handles_free (h);
  gc_free (&g);
}

/* A context is traced up to its stack pointer: what lies above was
 * popped, keeps nothing alive and becomes nil, in a scavenge and in a
 * full collection.  A context whose stackp is not a SmallInteger in range
 * is traced whole. */
static void
test_context_above_stackp (void)
{
  Gc g;
  gc_setup (&g, 0);
  StVM *vm = g.vm;
  StInterp *it = st_interp (vm);
  StHandles *h = st_handles_new (vm);
  enum { TEMP0 = 6, STACKP = 2 };
  StOop c = st_objmem_new_object (vm, it->ci_context, ST_FMT_FIXED_INDEXABLE, TEMP0 + 4);
  for (guint i = 0; i < TEMP0 + 4; i++)
    st_store (vm, c, i, vm->nil_obj);
  st_store (vm, c, STACKP, st_smallint_oop (1));
  st_store (vm, c, TEMP0, new_string (&g, "in use.."));
  st_store (vm, c, TEMP0 + 1, new_string (&g, "popped.."));
  StHandle hc = st_handles_add (h, c);
  collect (&g, ST_GC_SCAVENGE);
  StOop c1;
  g_assert_true (st_handles_get (h, hc, &c1));
  g_assert_cmpmem (st_bytes (vm, st_fetch (vm, c1, TEMP0)), 8, "in use..", 8);
  g_assert_cmphex (st_fetch (vm, c1, TEMP0 + 1), ==, vm->nil_obj);

  /* stackp nil: every slot is traced */
  st_store (vm, c1, STACKP, vm->nil_obj);
  st_store (vm, c1, TEMP0 + 2, new_string (&g, "kept...."));
  collect (&g, ST_GC_SCAVENGE);
  g_assert_true (st_handles_get (h, hc, &c1));
  g_assert_cmpmem (st_bytes (vm, st_fetch (vm, c1, TEMP0 + 2)), 8, "kept....", 8);

  /* an old context and an old object only above its stackp: a full collection frees it */
  st_store (vm, c1, STACKP, st_smallint_oop (1));
  collect (&g, ST_GC_TENURE_ALL);
  g_assert_true (st_handles_get (h, hc, &c1));
  g_assert_false (st_gc_is_young (vm, c1));
  g_assert_cmphex (st_fetch (vm, c1, TEMP0 + 2), ==, vm->nil_obj);   /* the scavenge already dropped it */
  StOop old = new_string (&g, "old.....");
  StHandle ho = st_handles_add (h, old);
  collect (&g, ST_GC_TENURE_ALL);
  g_assert_true (st_handles_get (h, ho, &old));
  g_assert_false (st_gc_is_young (vm, old));
  st_store (vm, c1, TEMP0 + 3, old);
  st_handles_release (h, ho);
  collect (&g, ST_GC_FULL);
  g_assert_true (st_handles_get (h, hc, &c1));
  g_assert_cmphex (st_fetch (vm, c1, TEMP0 + 3), ==, vm->nil_obj);
  g_assert_cmpmem (st_bytes (vm, st_fetch (vm, c1, TEMP0)), 8, "in use..", 8);
  g_assert_cmpuint (findings (vm), ==, 0);
  st_handles_free (h);
  gc_free (&g);
}

/* An ephemeron whose key only it holds fires: it survives with key and
 * value, primitive 172's queue hands it out once; one whose key is held
 * elsewhere does not fire. */
static void
test_ephemerons (void)
{
  Gc g;
  gc_setup (&g, 0);
  StVM *vm = g.vm;
  guint32 eci = thaw_builder_class_index (g.b, g.k->ephemeron_class);
  StOop lonely = st_objmem_new_object (vm, eci, ST_FMT_EPHEMERON, 3);
  StOop held = st_objmem_new_object (vm, eci, ST_FMT_EPHEMERON, 3);
  StOop key_held = new_string (&g, "keyheld.");
  st_store (vm, lonely, 0, new_string (&g, "lonely.."));
  st_store (vm, lonely, 1, new_string (&g, "value..."));
  st_store (vm, held, 0, key_held);
  StOop a = new_array (&g, 3);
  st_store (vm, a, 0, lonely);
  st_store (vm, a, 1, held);
  st_store (vm, a, 2, key_held);
  st_store (vm, g.k->sample_array, 0, a);
  collect (&g, ST_GC_FULL);
  g_autoptr (GArray) sm = samples (vm);
  g_assert_cmpuint (g_array_index (sm, StGcSample, sm->len - 1).ephemerons_fired, ==, 1);
  StOop m = st_gc_next_mourner (vm);
  g_assert_cmphex (m, !=, 0);
  g_assert_cmpmem (st_bytes (vm, st_fetch (vm, m, 0)), 8, "lonely..", 8);
  g_assert_cmpmem (st_bytes (vm, st_fetch (vm, m, 1)), 8, "value...", 8);
  g_assert_cmphex (st_gc_next_mourner (vm), ==, 0);
  g_assert_cmpuint (findings (vm), ==, 0);
  gc_free (&g);
}

/* A pinned object keeps its address while garbage before it goes and
 * the objects after it slide up to it. */
static void
test_pinned_stays (void)
{
  Gc g;
  gc_setup (&g, 100);
  StVM *vm = g.vm;
  /* Tenured objects land after the garbage at the end of old space. */
  StOop holder = new_array (&g, 2);
  st_store (vm, g.k->sample_array, 0, holder);
  st_store (vm, holder, 0, new_string (&g, "pinned.."));
  st_store (vm, holder, 1, new_string (&g, "after..."));
  StOop kept = holder;
  st_gc_add_root (vm, &kept);
  collect (&g, ST_GC_TENURE_ALL);
  StOop p = st_fetch (vm, kept, 0);
  g_assert_false (st_gc_is_young (vm, p));
  st_set_header (vm, p, st_header (vm, p) | ST_HDR_PINNED_BIT);
  collect (&g, ST_GC_FULL);
  g_assert_cmphex (st_fetch (vm, kept, 0), ==, p);
  g_assert_true (st_hdr_is_pinned (st_header (vm, p)));
  g_assert_cmpmem (st_bytes (vm, p), 8, "pinned..", 8);
  g_assert_cmpmem (st_bytes (vm, st_fetch (vm, kept, 1)), 8, "after...", 8);
  g_assert_cmphex (kept, <, p);              /* the holder slid down below it */
  g_assert_cmpuint (findings (vm), ==, 0);
  g_autoptr (GArray) sm = samples (vm);
  g_assert_cmpuint (g_array_index (sm, StGcSample, sm->len - 1).free_bytes, >, 0);  /* the gap before it */
  st_gc_remove_root (vm, &kept);
  gc_free (&g);
}

/* A copy of a VM that ran (after a tenure-all) is a standalone heap with
 * the same digest, which outlives the original. */
static void
test_vm_copy (void)
{
  Gc g;
  gc_setup (&g, 10);
  StVM *vm = g.vm;
  StOop a = new_array (&g, 2);
  st_store (vm, a, 0, new_string (&g, "copied.."));
  st_store (vm, g.k->sample_array, 0, a);
  collect (&g, ST_GC_TENURE_ALL);
  g_autoptr (GError) error = NULL;
  StVM *c = st_vm_copy (vm, &error);
  g_assert_no_error (error);
  g_assert_null (c->interp);
  guint8 d0[32], d1[32];
  g_assert_true (st_digest (vm, d0, &error));
  gc_free (&g);
  g_assert_true (st_digest (c, d1, &error));
  g_assert_cmpmem (d0, 32, d1, 32);
  g_assert_cmpuint (findings (c), ==, 0);
  st_vm_free (c);
}

/* Hooks run before and after each collection, with the sample after. */
static void
count_hook (StVM *vm, gboolean after, const StGcSample *sample, gpointer data)
{
  guint *n = data;
  n[after ? 1 : 0]++;
  if (after)
    g_assert_nonnull (sample);
}

static void
test_hooks (void)
{
  Gc g;
  gc_setup (&g, 0);
  guint n[2] = { 0, 0 };
  guint id = st_gc_add_hook (g.vm, count_hook, n);
  collect (&g, ST_GC_SCAVENGE);
  collect (&g, ST_GC_FULL);
  st_gc_remove_hook (g.vm, id);
  collect (&g, ST_GC_SCAVENGE);
  g_assert_cmpuint (n[0], ==, 2);
  g_assert_cmpuint (n[1], ==, 2);
  gc_free (&g);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/gc/scavenge-keeps-handles", test_scavenge_keeps_handles);
  g_test_add_func ("/engine/gc/remembered-set", test_remembered_set);
  g_test_add_func ("/engine/gc/registered-root", test_registered_root);
  g_test_add_func ("/engine/gc/full-compacts", test_full_compacts);
  g_test_add_func ("/engine/gc/weak-cleared", test_weak_cleared);
  g_test_add_func ("/engine/gc/weak-scavenge", test_weak_scavenge);
  g_test_add_func ("/engine/gc/context-above-stackp", test_context_above_stackp);
  g_test_add_func ("/engine/gc/ephemerons", test_ephemerons);
  g_test_add_func ("/engine/gc/pinned-stays", test_pinned_stays);
  g_test_add_func ("/engine/gc/hooks", test_hooks);
  g_test_add_func ("/engine/gc/vm-copy", test_vm_copy);
  return g_test_run ();
}
