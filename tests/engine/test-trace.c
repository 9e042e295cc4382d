/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The system tracer on synthetic heaps: garbage dropped exactly, the
 * graph kept (digest), a clean check, clamps of objects and of classes,
 * replacements, damaged pointers, dry runs, and every personality written
 * and read back. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "builder.h"
#include "digest.h"
#include "heap-check.h"
#include "image-read.h"
#include "image-write.h"
#include "path.h"
#include "printer.h"
#include "support.h"
#include "trace.h"

static char *
digest_hex (StVM *vm)
{
  guint8 d[32];
  g_autoptr (GError) error = NULL;
  g_assert_true (st_digest (vm, d, &error));
  return st_digest_hex (d);
}

static void
assert_clean (StVM *vm)
{
  StCheckReport *r = st_heap_check (vm, NULL);
  for (guint i = 0; i < r->n_findings && i < 5; i++)
    g_test_message ("finding: %s", r->findings[i].message);
  g_assert_cmpuint (r->n_findings_total, ==, 0);
  st_check_report_free (r);
}

static uint64_t
count_class_index (StVM *vm, guint32 ci, uint64_t *free_chunks)
{
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  uint64_t n = 0, f = 0;
  while ((o = st_heap_walk_next (&w)) != 0)
    {
      if (st_class_index (vm, o) == ci)
        n++;
      if (st_class_index (vm, o) == ST_CLASS_INDEX_FREE)
        f++;
    }
  g_assert_false (w.damaged);
  if (free_chunks != NULL)
    *free_chunks = f;
  return n;
}

static StOop
path_value (StVM *vm, const char *path)
{
  StPrinter *p = st_printer_new (vm);
  StPathTarget t;
  g_autoptr (GError) error = NULL;
  gboolean ok = st_path_resolve (p, path, &t, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  st_printer_free (p);
  return t.value;
}

static StVM *
trace_ok (StVM *vm, const StTraceOptions *opt, StTraceReport *rep)
{
  g_autoptr (GError) error = NULL;
  StVM *nv = st_trace (vm, opt, rep, &error);
  g_assert_no_error (error);
  g_assert_nonnull (nv);
  return nv;
}

static StVM *
standard (guint garbage)
{
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  if (garbage > 0)
    thaw_builder_garbage (b, garbage);
  StVM *vm = thaw_builder_finish (b);
  thaw_builder_free (b);
  return vm;
}

static uint64_t
array_garbage (const StTraceReport *r, guint32 array_ci)
{
  for (guint i = 0; i < r->garbage_by_class->len; i++)
    {
      const StTraceClassCount *c = &g_array_index (r->garbage_by_class, StTraceClassCount, i);
      if (c->class_index == array_ci)
        return c->objects;
    }
  return 0;
}

/* Garbage made by the test goes, exactly; everything else stays. */
static void
test_garbage (void)
{
  StVM *a = standard (0), *b = standard (25);
  StTraceReport ra, rb;
  StVM *ta = trace_ok (a, NULL, &ra), *tb = trace_ok (b, NULL, &rb);

  g_assert_cmpuint (rb.garbage_objects, ==, ra.garbage_objects + 25);
  g_assert_cmpuint (rb.garbage_bytes, ==, ra.garbage_bytes + 25 * 32);    /* Arrays of 3 slots */
  guint32 array_ci = ST_CLASS_INDEX_ARRAY;
  g_assert_cmpuint (array_garbage (&rb, array_ci), ==, array_garbage (&ra, array_ci) + 25);
  g_assert_cmpuint (ra.live_objects, ==, rb.live_objects);
  g_assert_cmpuint (ra.heap_bytes_after, ==, rb.heap_bytes_after);
  g_assert_cmpuint (ra.heap_bytes_after, <=, ra.heap_bytes_before);
  g_assert_cmpuint (rb.bad_refs, ==, 0);

  g_autofree char *da = digest_hex (a), *db = digest_hex (b), *dta = digest_hex (ta), *dtb = digest_hex (tb);
  g_assert_cmpstr (da, ==, db);
  g_assert_cmpstr (dta, ==, da);
  g_assert_cmpstr (dtb, ==, da);
  /* The standard heap has free chunks; the traced one has none. */
  uint64_t fa = 0, ft = 0;
  count_class_index (a, 0, &fa);
  count_class_index (tb, 0, &ft);
  g_assert_cmpuint (fa, >, 0);
  g_assert_cmpuint (ft, ==, 0);
  assert_clean (ta);
  assert_clean (tb);
  /* Tracing again changes nothing. */
  StTraceReport r2;
  StVM *t2 = trace_ok (tb, NULL, &r2);
  g_assert_cmpuint (r2.garbage_objects, ==, 0);
  g_assert_cmpuint (r2.heap_bytes_after, ==, rb.heap_bytes_after);
  g_assert_cmpint (memcmp (st_ptr (t2, t2->segments[0].start), st_ptr (tb, tb->segments[0].start),
                           tb->segments[0].bytes), ==, 0);
  st_trace_report_clear (&r2);
  st_vm_free (t2);

  st_trace_report_clear (&ra);
  st_trace_report_clear (&rb);
  st_vm_free (ta);
  st_vm_free (tb);
  st_vm_free (a);
  st_vm_free (b);
}

/* A class with instances referenced from globals and from an Array. */
typedef struct {
  StVM   *vm;
  StOop   cls, holder, inst[3], only_via_holder;
  guint32 ci;
} ClampFixture;

static void
clamp_fixture (ClampFixture *f)
{
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  const ThawBuilderObjects *k = thaw_builder_objects (b);
  f->cls = thaw_builder_class (b, "Point3", k->point_class, ST_FMT_FIXED, "z", NULL);
  for (guint i = 0; i < 3; i++)
    f->inst[i] = thaw_builder_instance (b, f->cls, 0);
  f->only_via_holder = thaw_builder_string (b, "only reachable through the holder");
  StOop elems[5] = { f->inst[0], f->inst[1], f->only_via_holder, st_smallint_oop (7), f->inst[2] };
  f->holder = thaw_builder_array (b, 5, elems);
  thaw_builder_global (b, "Holder", f->holder);
  thaw_builder_global (b, "P0", f->inst[0]);
  f->ci = thaw_builder_class_index (b, f->cls);
  f->vm = thaw_builder_finish (b);
  thaw_builder_free (b);
}

static void
test_clamp_class (void)
{
  ClampFixture f;
  clamp_fixture (&f);
  g_assert_cmpuint (count_class_index (f.vm, f.ci, NULL), ==, 3);
  StTraceOptions opt = { .clamp_classes = &f.ci, .n_clamp_classes = 1 };
  StTraceReport r;
  StVM *nv = trace_ok (f.vm, &opt, &r);
  g_assert_cmpuint (count_class_index (nv, f.ci, NULL), ==, 0);
  g_assert_cmpuint (r.clamped_objects, ==, 3);
  g_assert_cmpuint (r.clamped_refs, ==, 4);        /* three in Holder, one global */
  g_assert_cmpuint (r.cut_objects, ==, 3);
  StOop holder = path_value (nv, "Holder");
  g_assert_cmpuint (st_fetch (nv, holder, 0), ==, nv->nil_obj);
  g_assert_cmpuint (st_fetch (nv, holder, 1), ==, nv->nil_obj);
  g_assert_cmpuint (st_fetch (nv, holder, 4), ==, nv->nil_obj);
  g_assert_cmpuint (st_fetch (nv, holder, 3), ==, st_smallint_oop (7));
  g_assert_cmpuint (path_value (nv, "P0"), ==, nv->nil_obj);
  /* The class itself stays (Smalltalk refers to it). */
  g_assert_cmpuint (st_class_at_index (nv, f.ci), !=, 0);
  assert_clean (nv);
  st_trace_report_clear (&r);
  st_vm_free (nv);
  st_vm_free (f.vm);
}

static void
test_clamp_object (void)
{
  ClampFixture f;
  clamp_fixture (&f);
  StTraceOptions opt = { .clamp_oops = &f.holder, .n_clamp_oops = 1 };
  StTraceReport r;
  StVM *nv = trace_ok (f.vm, &opt, &r);
  g_assert_cmpuint (path_value (nv, "Holder"), ==, nv->nil_obj);
  /* inst[0] is still a global; inst[1], inst[2] and the string were only in the holder. */
  g_assert_cmpuint (count_class_index (nv, f.ci, NULL), ==, 1);
  g_assert_cmpuint (r.clamped_objects, ==, 1);
  g_assert_cmpuint (r.cut_objects, ==, 4);          /* the holder, two instances, the string */
  assert_clean (nv);
  /* The dry run reports the same and builds nothing. */
  StTraceReport d;
  StTraceOptions dry = opt;
  dry.dry_run = true;
  g_autoptr (GError) error = NULL;
  g_assert_null (st_trace (f.vm, &dry, &d, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (d.cut_objects, ==, r.cut_objects);
  g_assert_cmpuint (d.garbage_bytes, ==, r.garbage_bytes);
  g_assert_cmpuint (d.heap_bytes_after, ==, r.heap_bytes_after);
  st_trace_report_clear (&d);
  st_trace_report_clear (&r);
  st_vm_free (nv);
  st_vm_free (f.vm);
}

static void
test_replace (void)
{
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  const ThawBuilderObjects *k = thaw_builder_objects (b);
  StOop old_cls = thaw_builder_class (b, "OldThing", k->object_class, ST_FMT_FIXED, "a", NULL);
  StOop new_cls = thaw_builder_class (b, "NewThing", k->object_class, ST_FMT_FIXED, "a", NULL);
  StOop thing = thaw_builder_instance (b, old_cls, 0);
  StOop sa = thaw_builder_string (b, "A"), sb = thaw_builder_string (b, "B");
  StOop elems[3] = { sa, sb, sa };
  StOop arr = thaw_builder_array (b, 3, elems);
  thaw_builder_global (b, "Arr", arr);
  thaw_builder_global (b, "SA", sa);
  thaw_builder_global (b, "Thing", thing);
  guint32 new_ci = thaw_builder_class_index (b, new_cls);
  StVM *vm = thaw_builder_finish (b);
  thaw_builder_free (b);

  /* Replacing A by B; the order the tracer meets them does not matter. */
  StOop from[2] = { sa, old_cls }, to[2] = { sb, new_cls };
  StTraceOptions opt = { .replace_from = from, .replace_to = to, .n_replace = 2 };
  StTraceReport r;
  StVM *nv = trace_ok (vm, &opt, &r);
  StOop narr = path_value (nv, "Arr");
  StOop nb = st_fetch (nv, narr, 1);
  g_assert_cmpuint (st_fetch (nv, narr, 0), ==, nb);
  g_assert_cmpuint (st_fetch (nv, narr, 2), ==, nb);
  g_assert_cmpuint (path_value (nv, "SA"), ==, nb);
  StOop nthing = path_value (nv, "Thing");
  g_assert_cmpuint (st_class_index (nv, nthing), ==, new_ci);
  g_assert_cmpuint (r.replaced_refs, >=, 4);
  /* The old string is gone: only one 'A'-or-'B' string is left. */
  g_assert_cmpuint (st_byte_length (nv, nb), ==, 1);
  g_assert_cmpuint (st_bytes (nv, nb)[0], ==, 'B');
  assert_clean (nv);
  st_trace_report_clear (&r);
  st_vm_free (nv);
  st_vm_free (vm);
}

/* A pointer into the middle of an object: skipped, nil written, reported. */
static void
test_damaged (void)
{
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  StOop s = thaw_builder_string (b, "victim");
  StOop elems[2] = { s, s };
  StOop arr = thaw_builder_array (b, 2, elems);
  thaw_builder_global (b, "Damaged", arr);
  StVM *vm = thaw_builder_finish (b);
  thaw_builder_free (b);
  thaw_damage_pointer_into_middle (vm, arr, 0, s);
  StCheckReport *cr = st_heap_check (vm, NULL);
  g_assert_cmpuint (cr->n_findings_total, >, 0);
  st_check_report_free (cr);

  StTraceReport r;
  StVM *nv = trace_ok (vm, NULL, &r);
  g_assert_cmpuint (r.bad_refs, ==, 1);
  g_assert_cmpuint (r.bad->len, ==, 1);
  const StTraceBadRef *bad = &g_array_index (r.bad, StTraceBadRef, 0);
  g_assert_cmpuint (bad->from, ==, arr);
  g_assert_cmpint (bad->field, ==, 0);
  g_assert_cmpuint (bad->value, ==, s + 8);
  StOop narr = path_value (nv, "Damaged");
  g_assert_cmpuint (st_fetch (nv, narr, 0), ==, nv->nil_obj);
  g_assert_cmpuint (st_byte_length (nv, st_fetch (nv, narr, 1)), ==, 6);
  assert_clean (nv);
  st_trace_report_clear (&r);
  st_vm_free (nv);
  st_vm_free (vm);
}

/* An object whose class index has no class: kept as it is, reported. */
static void
test_bad_class_index (void)
{
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  StOop s = thaw_builder_string (b, "classless");
  thaw_builder_global (b, "Classless", s);
  StVM *vm = thaw_builder_finish (b);
  thaw_builder_free (b);
  thaw_damage_class_index (vm, s, 4000);
  StTraceReport r;
  StVM *nv = trace_ok (vm, NULL, &r);
  g_assert_cmpuint (r.bad_refs, ==, 1);
  const StTraceBadRef *bad = &g_array_index (r.bad, StTraceBadRef, 0);
  g_assert_cmpuint (bad->from, ==, s);
  g_assert_cmpint (bad->field, ==, -1);
  g_assert_cmpuint (bad->value, ==, 4000);
  StOop ns = path_value (nv, "Classless");
  g_assert_cmpuint (st_class_index (nv, ns), ==, 4000);
  g_assert_cmpuint (st_byte_length (nv, ns), ==, 9);
  g_autofree char *d0 = digest_hex (vm), *d1 = digest_hex (nv);
  g_assert_cmpstr (d0, ==, d1);
  st_trace_report_clear (&r);
  st_vm_free (nv);
  st_vm_free (vm);
}

/* Several segments with gaps become one compact segment. */
static void
test_segments (void)
{
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  StOop s1 = thaw_builder_string (b, "first segment");
  thaw_builder_global (b, "S1", s1);
  thaw_builder_new_segment (b, 1 << 20);
  thaw_builder_garbage (b, 3);
  StOop s2 = thaw_builder_string (b, "second segment");
  StOop elems[2] = { s1, s2 };
  thaw_builder_global (b, "Both", thaw_builder_array (b, 2, elems));
  StVM *vm = thaw_builder_finish (b);
  thaw_builder_free (b);
  g_assert_cmpuint (vm->n_segments, ==, 2);
  StTraceReport r;
  StVM *nv = trace_ok (vm, NULL, &r);
  g_assert_cmpuint (nv->n_segments, ==, 1);
  g_assert_cmpuint (r.heap_bytes_after, <, r.heap_bytes_before);
  g_autofree char *d0 = digest_hex (vm), *d1 = digest_hex (nv);
  g_assert_cmpstr (d0, ==, d1);
  StOop both = path_value (nv, "Both");
  g_assert_cmpuint (st_fetch (nv, both, 0), ==, path_value (nv, "S1"));
  assert_clean (nv);
  st_trace_report_clear (&r);
  st_vm_free (nv);
  st_vm_free (vm);
}

static void
test_invalid_options (void)
{
  StVM *vm = standard (0);
  StOop nil = vm->nil_obj;
  StTraceOptions opt = { .clamp_oops = &nil, .n_clamp_oops = 1 };
  g_autoptr (GError) error = NULL;
  g_assert_null (st_trace (vm, &opt, NULL, &error));
  g_assert_error (error, ST_TRACE_ERROR, ST_TRACE_ERROR_INVALID);
  g_clear_error (&error);
  StOop inside = vm->special_objects + 8;
  opt.clamp_oops = &inside;
  g_assert_null (st_trace (vm, &opt, NULL, &error));
  g_assert_error (error, ST_TRACE_ERROR, ST_TRACE_ERROR_INVALID);
  st_vm_free (vm);
}

/* Each personality: trace, write in its own format, read back: same graph, clean. */
static void
test_personality (gconstpointer data)
{
  guint which = GPOINTER_TO_UINT (data);
  StFamily fam = which == 2 ? ST_FAMILY_V3 : ST_FAMILY_SPUR;
  guint wb = which == 0 ? 8 : 4;
  ThawBuilder *b = thaw_builder_new_standard (fam, wb);
  thaw_builder_garbage (b, 7);
  StVM *vm = thaw_builder_finish (b);
  thaw_builder_free (b);
  StTraceReport r;
  StVM *nv = trace_ok (vm, NULL, &r);
  g_assert_cmpuint (r.garbage_objects, >=, 7);
  g_autofree char *d0 = digest_hex (vm), *d1 = digest_hex (nv);
  g_assert_cmpstr (d0, ==, d1);
  assert_clean (nv);
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "t.image", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_image_write (nv, path, ST_IMAGE_KIND_SAME, 0, &error));
  g_assert_no_error (error);
  StVM *back = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_autofree char *d2 = digest_hex (back);
  /* The untraced heap through the same writer and reader: builder V3 heaps
   * do not survive a V3 write unchanged (their hashes are wider than V3's
   * 12 bits), so the traced image is compared with that. */
  g_autofree char *p2 = g_build_filename (dir, "o.image", NULL);
  g_assert_true (st_image_write (vm, p2, ST_IMAGE_KIND_SAME, 0, &error));
  StVM *b2 = st_image_read (p2, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_autofree char *d3 = digest_hex (b2);
  g_assert_cmpstr (d2, ==, d3);
  if (fam == ST_FAMILY_SPUR)
    g_assert_cmpstr (d0, ==, d2);
  st_vm_free (b2);
  assert_clean (back);
  g_assert_cmpuint (back->personality.word_bytes, ==, vm->personality.word_bytes);
  g_assert_true (back->personality.family == vm->personality.family);
  st_vm_free (back);
  thaw_test_rmdir (dir);
  st_trace_report_clear (&r);
  st_vm_free (nv);
  st_vm_free (vm);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/trace/garbage", test_garbage);
  g_test_add_func ("/engine/trace/clamp-class", test_clamp_class);
  g_test_add_func ("/engine/trace/clamp-object", test_clamp_object);
  g_test_add_func ("/engine/trace/replace", test_replace);
  g_test_add_func ("/engine/trace/damaged", test_damaged);
  g_test_add_func ("/engine/trace/invalid-options", test_invalid_options);
  g_test_add_func ("/engine/trace/bad-class-index", test_bad_class_index);
  g_test_add_func ("/engine/trace/segments", test_segments);
  g_test_add_data_func ("/engine/trace/spur64", GUINT_TO_POINTER (0), test_personality);
  g_test_add_data_func ("/engine/trace/spur32", GUINT_TO_POINTER (1), test_personality);
  g_test_add_data_func ("/engine/trace/v3", GUINT_TO_POINTER (2), test_personality);
  return g_test_run ();
}
