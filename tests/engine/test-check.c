/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The integrity checker, census and heap map on synthetic heaps: a sound
 * heap of every personality checks clean; one damaged heap per defect kind
 * is caught at the right object and field; random damage never crashes. */
#include "config.h"

#include <string.h>

#include "builder.h"
#include "census.h"
#include "class-info.h"
#include "heap-check.h"
#include "heap-map.h"
#include "image-write.h"
#include "method.h"
#include "support.h"

typedef struct {
  ThawBuilder *b;
  StVM *vm;
  const ThawBuilderObjects *o;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->b = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  f->vm = thaw_builder_finish (f->b);
  f->o = thaw_builder_objects (f->b);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  st_vm_free (f->vm);
  thaw_builder_free (f->b);
}

static void
dump (const StCheckReport *r)
{
  for (guint i = 0; i < r->n_findings && i < 40; i++)
    g_test_message ("%s at 0x%" G_GINT64_MODIFIER "x (%s) field %" G_GINT64_FORMAT ": %s",
                    st_finding_kind_name (r->findings[i].kind), r->findings[i].address,
                    r->findings[i].class_name, r->findings[i].field, r->findings[i].message);
}

/* Is there a finding of this kind at this object (and field, unless
 * ST_FINDING_NO_FIELD - 1 = any)? */
#define ANY_FIELD (ST_FINDING_NO_FIELD - 1)

static const StFinding *
find (const StCheckReport *r, StFindingKind kind, StOop addr, int64_t field)
{
  for (guint i = 0; i < r->n_findings; i++)
    {
      const StFinding *f = &r->findings[i];
      if (f->kind == kind && f->address == addr && (field == ANY_FIELD || f->field == field))
        return f;
    }
  return NULL;
}

static StCheckReport *
check_expecting (StVM *vm, StFindingKind kind, StOop addr, int64_t field)
{
  StCheckReport *r = st_heap_check (vm, NULL);
  const StFinding *f = find (r, kind, addr, field);
  if (f == NULL)
    {
      dump (r);
      g_error ("expected a %s finding at 0x%" G_GINT64_MODIFIER "x field %" G_GINT64_FORMAT
               "; got %" G_GUINT64_FORMAT " findings", st_finding_kind_name (kind), addr, field, r->n_findings_total);
    }
  g_assert_nonnull (f->message);
  g_assert_cmpuint (r->n_findings_total, >=, 1);
  g_assert_cmpuint (r->per_kind[kind], >=, 1);
  return r;
}

static void
expect (StVM *vm, StFindingKind kind, StOop addr, int64_t field)
{
  st_check_report_free (check_expecting (vm, kind, addr, field));
}

/* ---- sound heaps ---- */

/* The builder encodes class formats the V3 way for V3 personalities, as
 * the V3 reader keeps them (instSpec << 7, instSize + 1 over bits 1..6 and
 * 16..17), so its V3 heaps check clean as they are. */
static void
check_clean (StFamily family, guint word_bytes)
{
  ThawBuilder *b = thaw_builder_new_standard (family, word_bytes);
  StVM *vm = thaw_builder_finish (b);
  const ThawBuilderObjects *o = thaw_builder_objects (b);
  StCheckReport *r = st_heap_check (vm, NULL);
  dump (r);
  g_assert_cmpuint (r->n_findings_total, ==, 0);
  g_assert_cmpuint (r->objects, >, 100);
  g_assert_cmpuint (r->classes, >=, 30);
  g_assert_cmpuint (r->methods, >=, 1);
  g_assert_cmpuint (r->contexts, >=, 1);
  g_assert_cmpuint (r->processes, >=, 2);   /* the active one and the waiting one */
  if (o->free_small != 0)
    g_assert_cmpuint (r->free_chunks, >=, 2);
  if (family == ST_FAMILY_V3)
    g_assert_cmpuint (r->n_skipped, >=, 1);  /* no free lists from a V3 file */
  g_assert_cmpuint (r->bitmap_bytes, <=, r->heap_bytes / 64 + 8);
  st_check_report_free (r);
  st_vm_free (vm);
  thaw_builder_free (b);
}

static void test_clean_spur64 (void) { check_clean (ST_FAMILY_SPUR, 8); }
static void test_clean_spur32 (void) { check_clean (ST_FAMILY_SPUR, 4); }
static void test_clean_v3 (void) { check_clean (ST_FAMILY_V3, 4); }

static void
test_clean_two_segments (void)
{
  ThawBuilder *b = thaw_builder_new (ST_FAMILY_SPUR, 8);
  thaw_builder_garbage (b, 10);
  thaw_builder_new_segment (b, 4096);
  thaw_builder_garbage (b, 10);
  StVM *vm = thaw_builder_finish (b);
  g_assert_cmpuint (vm->n_segments, ==, 2);
  StCheckReport *r = st_heap_check (vm, NULL);
  dump (r);
  g_assert_cmpuint (r->n_findings_total, ==, 0);
  g_assert_cmpuint (r->segments, ==, 2);
  st_check_report_free (r);

  /* Break the first segment's bridge: it must span to the second segment. */
  StOop bridge = vm->segments[0].start + vm->segments[0].bytes - ST_BRIDGE_BYTES;
  thaw_damage_bridge (vm, 0, st_word_at (vm, bridge) - 1, st_word_at (vm, bridge + 8));
  expect (vm, ST_FINDING_BRIDGE, bridge, ST_FINDING_NO_FIELD);
  st_vm_free (vm);
  thaw_builder_free (b);
}

/* ---- one damage per defect kind ---- */

static void
test_pointer_into_middle (Fixture *f, gconstpointer data)
{
  thaw_damage_pointer_into_middle (f->vm, f->o->sample_array, 2, f->o->sample_fixed);
  StCheckReport *r = check_expecting (f->vm, ST_FINDING_BAD_POINTER, f->o->sample_array, 2);
  const StFinding *x = find (r, ST_FINDING_BAD_POINTER, f->o->sample_array, 2);
  g_assert_cmpstr (x->class_name, ==, "Array");
  g_assert_nonnull (strstr (x->message, "not the start of an object"));
  g_assert_cmpuint (r->n_findings_total, ==, 1);
  st_check_report_free (r);
}

static void
test_pointer_outside_heap (Fixture *f, gconstpointer data)
{
  st_store (f->vm, f->o->sample_array, 1, G_GUINT64_CONSTANT (0x7f0000000000));
  StCheckReport *r = check_expecting (f->vm, ST_FINDING_BAD_POINTER, f->o->sample_array, 1);
  g_assert_nonnull (strstr (find (r, ST_FINDING_BAD_POINTER, f->o->sample_array, 1)->message, "outside the heap"));
  st_check_report_free (r);
}

static void
test_pointer_to_free (Fixture *f, gconstpointer data)
{
  g_assert_cmpuint (f->o->free_small, !=, 0);
  st_store (f->vm, f->o->sample_array, 0, f->o->free_small);
  expect (f->vm, ST_FINDING_POINTER_TO_FREE, f->o->sample_array, 0);
}

static void
test_bad_immediate (Fixture *f, gconstpointer data)
{
  st_store (f->vm, f->o->sample_array, 3, 0x1233);    /* tag 011 */
  expect (f->vm, ST_FINDING_BAD_IMMEDIATE, f->o->sample_array, 3);
}

static void
test_bad_class_index (Fixture *f, gconstpointer data)
{
  thaw_damage_class_index (f->vm, f->o->sample_fixed, 0);
  expect (f->vm, ST_FINDING_BAD_CLASS_INDEX, f->o->sample_fixed, ST_FINDING_NO_FIELD);
}

static void
test_reserved_class_index (Fixture *f, gconstpointer data)
{
  thaw_damage_class_index (f->vm, f->o->sample_zero, 5);
  expect (f->vm, ST_FINDING_BAD_CLASS_INDEX, f->o->sample_zero, ST_FINDING_NO_FIELD);
}

static void
test_not_a_class (Fixture *f, gconstpointer data)
{
  StOop page = st_fetch (f->vm, f->vm->hidden_roots_obj, 0);
  guint32 idx = ST_CLASS_TABLE_PAGE_SIZE - 2;
  g_assert_cmpuint (st_fetch (f->vm, page, idx), ==, f->vm->nil_obj);
  st_store (f->vm, page, idx, f->o->sample_array);
  expect (f->vm, ST_FINDING_NOT_A_CLASS, f->o->sample_array, idx);
}

static void
test_class_hash (Fixture *f, gconstpointer data)
{
  StOop cls = f->o->point_class;
  st_set_header (f->vm, cls, st_hdr_with_hash (st_header (f->vm, cls), 999));
  StCheckReport *r = check_expecting (f->vm, ST_FINDING_CLASS_TABLE, cls, ST_FINDING_NO_FIELD);
  g_assert_nonnull (strstr (find (r, ST_FINDING_CLASS_TABLE, cls, ST_FINDING_NO_FIELD)->message, "Point"));
  st_check_report_free (r);
}

static void
test_hidden_object (Fixture *f, gconstpointer data)
{
  StOop roots = f->vm->hidden_roots_obj;
  st_set_header (f->vm, roots, st_hdr_with_class_index (st_header (f->vm, roots), ST_CLASS_INDEX_ARRAY));
  expect (f->vm, ST_FINDING_HIDDEN_OBJECT, roots, ST_FINDING_NO_FIELD);
}

static void
test_reference_to_hidden (Fixture *f, gconstpointer data)
{
  /* An ordinary object whose class index became a pun: whoever refers
   * to it is reported. */
  st_store (f->vm, f->o->sample_array, 4, f->o->sample_zero);
  thaw_damage_class_index (f->vm, f->o->sample_zero, ST_CLASS_INDEX_WEAK_ARRAY_PUN);
  expect (f->vm, ST_FINDING_HIDDEN_OBJECT, f->o->sample_array, 4);
}

static void
test_format_mismatch (Fixture *f, gconstpointer data)
{
  StOop a = f->o->sample_array;
  st_set_header (f->vm, a, st_hdr_with_format (st_header (f->vm, a), ST_FMT_WEAK));
  expect (f->vm, ST_FINDING_FORMAT_MISMATCH, a, ST_FINDING_NO_FIELD);
}

static void
test_wrong_slot_count (Fixture *f, gconstpointer data)
{
  /* A Point (2 named variables) whose header says 1 slot. */
  StOop p = f->o->sample_fixed;
  uint64_t h = st_header (f->vm, p);
  g_assert_cmpuint (st_hdr_num_slots (h), ==, 2);
  st_set_header (f->vm, p, (h & ~(G_GUINT64_CONSTANT (0xFF) << 56)) | (G_GUINT64_CONSTANT (1) << 56));
  expect (f->vm, ST_FINDING_FORMAT_MISMATCH, p, ST_FINDING_NO_FIELD);
}

static void
test_bad_size (Fixture *f, gconstpointer data)
{
  StOop p = f->o->sample_fixed;
  st_set_header (f->vm, p, st_hdr_with_format (st_header (f->vm, p), ST_FMT_ZERO));
  expect (f->vm, ST_FINDING_BAD_SIZE, p, ST_FINDING_NO_FIELD);
}

static void
test_overflow_header (Fixture *f, gconstpointer data)
{
  /* An overflow word that claims fewer than 255 slots: the object shrinks
   * and the rest of it is walked as (garbage) objects.  The check still
   * ends, and names the object. */
  StOop big = f->o->sample_overflow;
  thaw_damage_overflow_header (f->vm, big, (G_GUINT64_CONSTANT (0xFF) << 56) | 200);
  StCheckReport *r = check_expecting (f->vm, ST_FINDING_BAD_SIZE, big, ST_FINDING_NO_FIELD);
  st_check_report_free (r);
}

static void
test_heap_walk (Fixture *f, gconstpointer data)
{
  StOop big = f->o->sample_overflow;
  thaw_damage_overflow_header (f->vm, big, (G_GUINT64_CONSTANT (0xFF) << 56) | (G_GUINT64_CONSTANT (1) << 40));
  StCheckReport *r = check_expecting (f->vm, ST_FINDING_HEAP_WALK, big, ST_FINDING_NO_FIELD);
  /* Objects before it were still checked. */
  g_assert_cmpuint (r->objects, >, 10);
  st_check_report_free (r);
  StCensus *c = st_census_take (f->vm, ST_CENSUS_SORT_COUNT);
  g_assert_true (c->walk_damaged);
  st_census_free (c);
  StHeapMap *m = st_heap_map_build (f->vm);
  g_assert_cmpuint (m->segments[0].kind_bytes[ST_MAP_UNWALKABLE], >, 0);
  st_heap_map_free (m);
}

static void
test_forwarder (Fixture *f, gconstpointer data)
{
  /* A sound forwarder first: no finding. */
  StOop p = f->o->sample_fixed;
  st_set_header (f->vm, p, st_hdr_with_class_index (st_header (f->vm, p), ST_CLASS_INDEX_FORWARDER));
  st_store (f->vm, p, 0, f->o->sample_array);
  StCheckReport *r = st_heap_check (f->vm, NULL);
  dump (r);
  g_assert_cmpuint (r->per_kind[ST_FINDING_BAD_FORWARDER], ==, 0);
  st_check_report_free (r);
  st_store (f->vm, p, 0, f->o->sample_array + 8);
  expect (f->vm, ST_FINDING_BAD_FORWARDER, p, 0);
}

static void
test_free_list_target (Fixture *f, gconstpointer data)
{
  thaw_damage_free_list (f->vm, 5, f->o->sample_array);
  expect (f->vm, ST_FINDING_FREE_LIST, f->vm->free_lists_obj, 5);
}

static void
test_free_chunk_unlisted (Fixture *f, gconstpointer data)
{
  /* Empty list 3: its chunk is then on no list. */
  g_assert_cmpuint (st_fetch (f->vm, f->vm->free_lists_obj, 3), ==, f->o->free_small);
  thaw_damage_free_list (f->vm, 3, 0);
  expect (f->vm, ST_FINDING_FREE_LIST, f->o->free_small, ST_FINDING_NO_FIELD);
}

static void
test_free_list_cycle (Fixture *f, gconstpointer data)
{
  st_store (f->vm, f->o->free_small, 0, f->o->free_small);
  expect (f->vm, ST_FINDING_FREE_LIST, f->o->free_small, 0);
}

static void
test_free_list_spur32 (void)
{
  /* A Spur 32 heap's lists (rebuilt in 8-byte units) are checked too. */
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 4);
  StVM *vm = thaw_builder_finish (b);
  const ThawBuilderObjects *o = thaw_builder_objects (b);
  g_assert_cmpuint (o->free_small, !=, 0);
  st_store (vm, o->free_small, 0, o->sample_array);
  expect (vm, ST_FINDING_FREE_LIST, o->free_small, 0);
  st_vm_free (vm);
  thaw_builder_free (b);
}

static void
test_free_tree_parent (Fixture *f, gconstpointer data)
{
  g_assert_cmpuint (f->o->free_large, !=, 0);
  st_store (f->vm, f->o->free_large, 2, f->o->free_small);
  expect (f->vm, ST_FINDING_FREE_LIST, f->o->free_large, 2);
}

static void
test_free_chunk_wrong_list (Fixture *f, gconstpointer data)
{
  /* Move the 24-byte chunk to the list of 32-byte chunks. */
  thaw_damage_free_list (f->vm, 3, 0);
  thaw_damage_free_list (f->vm, 4, f->o->free_small);
  expect (f->vm, ST_FINDING_FREE_LIST, f->o->free_small, ST_FINDING_NO_FIELD);
}

static void
test_bridge (Fixture *f, gconstpointer data)
{
  StVM *vm = f->vm;
  StOop bridge = vm->segments[0].start + vm->segments[0].bytes - ST_BRIDGE_BYTES;
  uint64_t w0 = st_word_at (vm, bridge);
  g_assert_cmpuint (st_hdr_class_index (w0), ==, ST_CLASS_INDEX_BRIDGE);
  thaw_damage_bridge (vm, 0, st_hdr_with_class_index (w0, ST_CLASS_INDEX_ARRAY), st_word_at (vm, bridge + 8));
  expect (vm, ST_FINDING_BRIDGE, bridge, ST_FINDING_NO_FIELD);
}

static void
test_special_objects (Fixture *f, gconstpointer data)
{
  StOop so = f->vm->special_objects;
  st_store (f->vm, so, ST_SPLOB_FALSE_OBJECT, f->vm->nil_obj);
  st_store (f->vm, so, ST_SPLOB_CLASS_ARRAY, f->o->sample_array);
  StCheckReport *r = check_expecting (f->vm, ST_FINDING_SPECIAL_OBJECTS, so, ST_SPLOB_FALSE_OBJECT);
  g_assert_nonnull (find (r, ST_FINDING_SPECIAL_OBJECTS, so, ST_SPLOB_CLASS_ARRAY));
  st_check_report_free (r);
}

static void
test_special_class_index (Fixture *f, gconstpointer data)
{
  /* The VM makes Arrays by class index 51: SOA's Array must sit there. */
  StOop so = f->vm->special_objects;
  st_store (f->vm, so, ST_SPLOB_CLASS_ARRAY, f->o->byte_string_class);
  expect (f->vm, ST_FINDING_SPECIAL_OBJECTS, so, ST_SPLOB_CLASS_ARRAY);
}

static void
test_scheduler_association (Fixture *f, gconstpointer data)
{
  StOop so = f->vm->special_objects;
  st_store (f->vm, so, ST_SPLOB_SCHEDULER_ASSOCIATION, st_smallint_oop (3));
  expect (f->vm, ST_FINDING_SPECIAL_OBJECTS, so, ST_SPLOB_SCHEDULER_ASSOCIATION);
}

static void
test_method_literals (Fixture *f, gconstpointer data)
{
  thaw_damage_method_literal_count (f->vm, f->o->active_method, 5000);
  expect (f->vm, ST_FINDING_METHOD, f->o->active_method, 0);
}

static void
test_method_bytecodes (Fixture *f, gconstpointer data)
{
  StOop m = f->o->active_method;
  StMethodHeader mh;
  g_assert_true (st_method_header (f->vm, m, &mh, NULL));
  g_assert_cmpint (mh.bytecode_set, ==, ST_BYTECODE_SET_V3_CLOSURES);
  guint8 *b = st_bytes (f->vm, m);
  g_assert_cmpuint (b[mh.initial_pc], ==, 0x70);            /* push self */
  g_assert_cmpuint (mh.num_literals, <, 32);

  /* Sound as built; skipping bytecodes finds nothing either. */
  StCheckReport *r = st_heap_check (f->vm, NULL);
  g_assert_cmpuint (r->n_findings_total, ==, 0);
  st_check_report_free (r);

  /* A push of literal 31 in a method with fewer literals. */
  b[mh.initial_pc] = 0x20 + 31;
  r = check_expecting (f->vm, ST_FINDING_METHOD, m, ST_FINDING_NO_FIELD);
  g_assert_nonnull (strstr (find (r, ST_FINDING_METHOD, m, ST_FINDING_NO_FIELD)->message, "literal"));
  st_check_report_free (r);
  StCheckOptions opts = { .skip_bytecodes = true };
  r = st_heap_check (f->vm, &opts);
  g_assert_cmpuint (r->n_findings_total, ==, 0);
  st_check_report_free (r);

  /* An unused opcode (126 in V3PlusClosures). */
  b[mh.initial_pc] = 126;
  r = check_expecting (f->vm, ST_FINDING_METHOD, m, ST_FINDING_NO_FIELD);
  g_assert_nonnull (strstr (find (r, ST_FINDING_METHOD, m, ST_FINDING_NO_FIELD)->message, "unused opcode"));
  st_check_report_free (r);

  /* A two-byte instruction cut by the method's end. */
  b[mh.initial_pc] = 0x70;
  b[mh.end_pc - 1] = 0x80;                                   /* extended push, its operand missing */
  for (uint64_t i = mh.initial_pc + 1; i < mh.end_pc - 1; i++)
    b[i] = 0x87;                                             /* pop: no return before the end */
  expect (f->vm, ST_FINDING_METHOD, m, ST_FINDING_NO_FIELD);
}

static void
test_context_pc (Fixture *f, gconstpointer data)
{
  thaw_damage_context_pc (f->vm, f->o->active_context, 2);
  expect (f->vm, ST_FINDING_CONTEXT, f->o->active_context, 1);
}

static void
test_context_stackp (Fixture *f, gconstpointer data)
{
  st_store (f->vm, f->o->active_context, 2, st_smallint_oop (100000));
  expect (f->vm, ST_FINDING_CONTEXT, f->o->active_context, 2);
}

static void
test_context_method (Fixture *f, gconstpointer data)
{
  st_store (f->vm, f->o->active_context, 3, f->o->sample_array);
  expect (f->vm, ST_FINDING_CONTEXT, f->o->active_context, 3);
}

static void
test_context_dead_slots_ignored (Fixture *f, gconstpointer data)
{
  /* A bad pointer above the stack pointer is not live: no finding. */
  StOop ctx = f->o->active_context;
  uint64_t n = st_num_slots (f->vm, ctx);
  StOop sp = st_fetch (f->vm, ctx, 2);
  g_assert_true (st_is_smallint (sp));
  g_assert_cmpint (6 + st_smallint_value (sp), <, (int64_t) n);
  st_store (f->vm, ctx, n - 1, G_GUINT64_CONSTANT (0x7f0000000000));
  StCheckReport *r = st_heap_check (f->vm, NULL);
  dump (r);
  g_assert_cmpuint (r->n_findings_total, ==, 0);
  st_check_report_free (r);
  /* Below the stack pointer it is. */
  st_store (f->vm, ctx, 2, st_smallint_oop ((int64_t) n - 6));
  expect (f->vm, ST_FINDING_BAD_POINTER, ctx, (int64_t) n - 1);
}

static void
test_sender_cycle (Fixture *f, gconstpointer data)
{
  StOop ctx = f->o->active_context;
  st_store (f->vm, ctx, 0, ctx);
  expect (f->vm, ST_FINDING_SENDER_CYCLE, ctx, 0);
}

static void
test_process_list_cycle (Fixture *f, gconstpointer data)
{
  g_assert_true (thaw_damage_scheduler_list_cycle (f->vm));
  StCheckReport *r = st_heap_check (f->vm, NULL);
  bool found = false;
  for (guint i = 0; i < r->n_findings; i++)
    found |= r->findings[i].kind == ST_FINDING_PROCESS_LIST
             && g_str_has_suffix (r->findings[i].message, "loops");
  if (!found)
    dump (r);
  g_assert_true (found);
  st_check_report_free (r);
}

static void
test_process_last_link (Fixture *f, gconstpointer data)
{
  StOop p = f->o->waiting_process;
  StOop list = st_fetch (f->vm, p, 3);
  st_store (f->vm, list, 1, f->vm->nil_obj);
  expect (f->vm, ST_FINDING_PROCESS_LIST, list, 1);
}

static void
test_findings_capped (Fixture *f, gconstpointer data)
{
  /* Many bad slots: all counted, only max_findings kept. */
  StOop big = f->o->sample_overflow;
  for (guint i = 0; i < 300; i++)
    st_store (f->vm, big, i, 0x7f0000000000 + 8 * i);
  StCheckOptions opts = { .max_findings = 50 };
  StCheckReport *r = st_heap_check (f->vm, &opts);
  g_assert_cmpuint (r->n_findings_total, ==, 300);
  g_assert_cmpuint (r->n_findings, ==, 50);
  st_check_report_free (r);
}

/* ---- class-info ---- */

static void
test_class_info (Fixture *f, gconstpointer data)
{
  StVM *vm = f->vm;
  g_autofree char *n1 = st_class_name (vm, f->o->array_class);
  g_assert_cmpstr (n1, ==, "Array");
  StOop meta = st_class_info_class_of (vm, f->o->array_class);
  g_autofree char *n2 = st_class_name (vm, meta);
  g_assert_cmpstr (n2, ==, "Array class");
  g_assert_true (st_class_is_metaclass (vm, meta));
  g_assert_false (st_class_is_metaclass (vm, f->o->array_class));
  g_assert_cmpuint (st_metaclass_this_class (vm, meta), ==, f->o->array_class);
  g_assert_true (st_object_is_class (vm, f->o->array_class));
  g_assert_true (st_object_is_class (vm, meta));
  g_assert_true (st_object_is_class (vm, f->o->metaclass_class));
  g_assert_false (st_object_is_class (vm, f->o->sample_array));
  g_assert_false (st_object_is_class (vm, f->o->sample_string));
  g_assert_true (st_class_instances_are_classes (vm, meta));
  g_assert_true (st_class_instances_are_classes (vm, f->o->metaclass_class));
  g_assert_false (st_class_instances_are_classes (vm, f->o->array_class));
  g_autofree char *n3 = st_class_name_of (vm, st_smallint_oop (3));
  g_assert_cmpstr (n3, ==, "SmallInteger");
  g_autofree char *n4 = st_class_name_of (vm, f->o->free_small);
  g_assert_cmpstr (n4, ==, "<free chunk>");

  StClassSpec spec;
  g_assert_true (st_class_spec (vm, f->o->point_class, &spec));
  g_assert_cmpuint (spec.inst_spec, ==, ST_FMT_FIXED);
  g_assert_cmpuint (spec.inst_size, ==, 2);
  g_assert_true (st_class_spec (vm, f->o->byte_string_class, &spec));
  g_assert_cmpuint (spec.inst_spec, ==, ST_FMT_BYTES);
  g_assert_true (st_class_spec_admits_format (&spec, ST_FMT_BYTES + 3));
  g_assert_false (st_class_spec_admits_format (&spec, ST_FMT_WORDS32));
  g_assert_true (st_class_spec (vm, f->o->compiled_method_class, &spec));
  g_assert_cmpuint (spec.inst_spec, ==, ST_FMT_METHOD);

  /* Damaged: a class-table entry pointing outside the heap is no class. */
  StOop page = st_fetch (vm, vm->hidden_roots_obj, 0);
  st_store (vm, page, 1000, G_GUINT64_CONSTANT (0x7f0000000000));
  g_assert_cmpuint (st_class_info_class_at (vm, 1000), ==, 0);
  g_autofree char *n5 = st_class_name (vm, G_GUINT64_CONSTANT (0x7f0000000000));
  g_assert_true (g_str_has_prefix (n5, "<unnamed class"));
}

static void
test_class_info_v3 (void)
{
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_V3, 4);
  StVM *vm = thaw_builder_finish (b);
  const ThawBuilderObjects *o = thaw_builder_objects (b);
  StClassSpec spec;
  g_assert_true (st_class_spec (vm, o->point_class, &spec));
  g_assert_cmpuint (spec.inst_spec, ==, ST_FMT_FIXED);
  g_assert_cmpuint (spec.inst_size, ==, 2);
  g_assert_true (st_class_spec (vm, o->byte_string_class, &spec));
  g_assert_cmpuint (spec.inst_spec, ==, ST_FMT_BYTES);
  g_autofree char *name = st_class_name (vm, st_class_info_class_of (vm, o->point_class));
  g_assert_cmpstr (name, ==, "Point class");
  st_vm_free (vm);
  thaw_builder_free (b);
}

/* ---- census and map ---- */

static void
test_census (Fixture *f, gconstpointer data)
{
  StCensus *c = st_census_take (f->vm, ST_CENSUS_SORT_COUNT);
  StCheckReport *r = st_heap_check (f->vm, NULL);
  g_assert_cmpuint (c->total_objects, ==, r->objects);
  bool point = false, meta = false, free_row = false;
  for (guint i = 0; i < c->n_rows; i++)
    {
      const StCensusRow *row = &c->rows[i];
      if (i > 0)
        g_assert_cmpuint (c->rows[i - 1].instances, >=, row->instances);
      if (strcmp (row->name, "Point") == 0)
        {
          point = true;
          g_assert_cmpuint (row->bytes, ==, row->instances * 24);
        }
      meta |= strcmp (row->name, "Array class") == 0 && row->instances == 1;
      free_row |= strcmp (row->name, "<free chunk>") == 0 && row->instances == r->free_chunks;
    }
  g_assert_true (point);
  g_assert_true (meta);
  g_assert_true (free_row);
  g_assert_cmpuint (c->by_format[ST_FMT_FIXED_INDEXABLE].instances, >=, 1);
  g_assert_cmpuint (c->by_format[ST_FMT_WORDS64].instances, >=, 1);
  st_census_sort (c, ST_CENSUS_SORT_BYTES);
  for (guint i = 1; i < c->n_rows; i++)
    g_assert_cmpuint (c->rows[i - 1].bytes, >=, c->rows[i].bytes);
  st_check_report_free (r);
  st_census_free (c);
}

static void
test_map (Fixture *f, gconstpointer data)
{
  StHeapMap *m = st_heap_map_build (f->vm);
  g_assert_cmpuint (m->n_segments, ==, 1);
  const StHeapMapSegment *s = &m->segments[0];
  uint64_t sum = 0;
  for (guint k = 0; k < ST_MAP_N_KINDS; k++)
    sum += s->kind_bytes[k];
  g_assert_cmpuint (sum, ==, s->bytes);
  g_assert_cmpuint (s->kind_bytes[ST_MAP_BRIDGE], ==, ST_BRIDGE_BYTES);
  g_assert_cmpuint (s->kind_objects[ST_MAP_CONTEXT], >=, 1);
  g_assert_cmpuint (s->kind_objects[ST_MAP_METHOD], >=, 1);
  g_assert_cmpuint (s->kind_objects[ST_MAP_CLASS], >=, 60);   /* classes and metaclasses */
  g_assert_cmpuint (s->free_chunks, >=, 2);
  g_assert_cmpuint (s->largest_free, ==, 1024);
  g_assert_cmpuint (m->free_bytes, >=, 1024 + 24);
  g_assert_cmpfloat (m->fragmentation, ==, 1.0 - 1024.0 / m->free_bytes);

  /* The run holding the free_large chunk is a free run. */
  bool seen = false;
  for (guint i = 0; i < s->n_runs; i++)
    if (s->runs[i].start <= f->o->free_large && f->o->free_large < s->runs[i].start + s->runs[i].bytes)
      {
        seen = true;
        g_assert_cmpint (s->runs[i].kind, ==, ST_MAP_FREE);
      }
  g_assert_true (seen);

  /* Cells: one cell per 8 bytes reproduces the runs exactly. */
  gsize n = s->bytes / 8;
  guint8 *cells = g_malloc (n + 4);
  st_heap_map_cells (m, 0, 8, cells, n + 4);
  for (guint i = 0; i < s->n_runs; i++)
    for (uint64_t a = s->runs[i].start; a < s->runs[i].start + s->runs[i].bytes; a += 8)
      g_assert_cmpint (cells[(a - s->start) / 8], ==, s->runs[i].kind);
  g_assert_cmpint (cells[n], ==, ST_MAP_N_KINDS);
  /* Coarse cells: each is one of the kinds. */
  st_heap_map_cells (m, 0, 4096, cells, 16);
  for (guint i = 0; i < 16; i++)
    g_assert_cmpint (cells[i], <=, ST_MAP_N_KINDS);
  /* Any range of cells equals that slice of all the cells, at any size. */
  static const uint64_t sizes[] = { 8, 24, 64, 1000, 4096 };
  for (gsize z = 0; z < G_N_ELEMENTS (sizes); z++)
    {
      gsize total = (s->bytes + sizes[z] - 1) / sizes[z] + 2;
      g_autofree guint8 *all = g_malloc (total);
      g_autofree guint8 *part = g_malloc (total);
      st_heap_map_cells (m, 0, sizes[z], all, total);
      for (gsize first = 0; first < total; first += 1 + total / 37)
        for (gsize len = 1; first + len <= total; len += 1 + len * 3)
          {
            st_heap_map_cells_range (m, 0, sizes[z], first, part, len);
            g_assert_cmpmem (part, len, all + first, len);
          }
    }
  g_free (cells);
  st_heap_map_free (m);
}

/* ---- the CLI on a written synthetic image ---- */

static void
test_cli_written (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *sound = g_build_filename (dir, "sound.image", NULL);
  g_autofree char *broken = g_build_filename (dir, "broken.image", NULL);
  g_autofree char *png = g_build_filename (dir, "map.png", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_image_write (f->vm, sound, ST_IMAGE_KIND_SPUR64, ST_WRITE_DEFAULT, &error));
  g_assert_no_error (error);

  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "check", sound, NULL));
  if (status != 0)
    g_test_message ("%s%s", out, err);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_true (thaw_test_run_cli (&out, &err, &status, "map", "--json", "--png", png, sound, NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "\"largest_free_chunk\": 1024"));
  g_assert_true (g_file_test (png, G_FILE_TEST_IS_REGULAR));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_true (thaw_test_run_cli (&out, &err, &status, "census", "--json", "--top", "0", sound, NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "\"class\": \"Point class\""));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Damage, write, check: exit 1, the finding names the Array and slot. */
  thaw_damage_pointer_into_middle (f->vm, f->o->sample_array, 2, f->o->sample_fixed);
  g_assert_true (st_image_write (f->vm, broken, ST_IMAGE_KIND_SPUR64, ST_WRITE_DEFAULT, &error));
  g_assert_no_error (error);
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "check", "--json", broken, NULL));
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (out, "\"kind\": \"bad-pointer\""));
  g_assert_nonnull (strstr (out, "\"class\": \"Array\""));
  g_assert_nonnull (strstr (out, "\"field\": 2"));
  thaw_test_rmdir (dir);
}

/* ---- random damage: never crash, always finish ---- */

static void
test_random_damage (void)
{
  GRand *rand = g_rand_new_with_seed (20261123);
  for (guint round = 0; round < 60; round++)
    {
      ThawBuilder *b = thaw_builder_new_standard (round % 3 == 0 ? ST_FAMILY_V3 : ST_FAMILY_SPUR,
                                                  round % 2 ? 4 : 8);
      StVM *vm = thaw_builder_finish (b);
      const StSegment *seg = &vm->segments[0];
      uint64_t words = seg->bytes / 8;
      for (guint k = 0; k < 1 + round % 20; k++)
        {
          StOop a = seg->start + 8 * (uint64_t) g_rand_int_range (rand, 0, (gint32) words);
          uint64_t v;
          switch (g_rand_int_range (rand, 0, 4))
            {
            case 0: v = ((uint64_t) g_rand_int (rand) << 32) | g_rand_int (rand); break;
            case 1: v = st_word_at (vm, a) ^ (G_GUINT64_CONSTANT (1) << g_rand_int_range (rand, 0, 64)); break;
            case 2: v = seg->start + 8 * (uint64_t) g_rand_int_range (rand, 0, (gint32) words); break;
            default: v = st_word_at (vm, a) | (G_GUINT64_CONSTANT (0xFF) << 56); break;
            }
          *st_ptr (vm, a) = v;
        }
      StCheckReport *r = st_heap_check (vm, NULL);
      g_assert_nonnull (r);
      for (guint i = 0; i < r->n_findings; i++)
        g_assert_nonnull (r->findings[i].message);
      st_check_report_free (r);
      StCensus *c = st_census_take (vm, ST_CENSUS_SORT_BYTES);
      st_census_free (c);
      StHeapMap *m = st_heap_map_build (vm);
      uint64_t sum = 0;
      for (guint k = 0; k < ST_MAP_N_KINDS; k++)
        sum += m->segments[0].kind_bytes[k];
      g_assert_cmpuint (sum, ==, seg->bytes);
      st_heap_map_free (m);
      st_vm_free (vm);
      thaw_builder_free (b);
    }
  g_rand_free (rand);
}

#define ADD(path, fn) g_test_add ("/engine/check/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/check/clean-spur64", test_clean_spur64);
  g_test_add_func ("/engine/check/clean-spur32", test_clean_spur32);
  g_test_add_func ("/engine/check/clean-v3", test_clean_v3);
  g_test_add_func ("/engine/check/two-segments-and-bridge", test_clean_two_segments);
  ADD ("pointer-into-middle", test_pointer_into_middle);
  ADD ("pointer-outside-heap", test_pointer_outside_heap);
  ADD ("pointer-to-free-chunk", test_pointer_to_free);
  ADD ("bad-immediate", test_bad_immediate);
  ADD ("bad-class-index", test_bad_class_index);
  ADD ("reserved-class-index", test_reserved_class_index);
  ADD ("not-a-class", test_not_a_class);
  ADD ("class-hash-not-index", test_class_hash);
  ADD ("hidden-object", test_hidden_object);
  ADD ("reference-to-hidden-object", test_reference_to_hidden);
  ADD ("format-mismatch", test_format_mismatch);
  ADD ("wrong-slot-count", test_wrong_slot_count);
  ADD ("bad-size", test_bad_size);
  ADD ("overflow-header", test_overflow_header);
  ADD ("heap-walk", test_heap_walk);
  ADD ("forwarder", test_forwarder);
  ADD ("free-list-target", test_free_list_target);
  ADD ("free-chunk-unlisted", test_free_chunk_unlisted);
  ADD ("free-list-cycle", test_free_list_cycle);
  ADD ("free-tree-parent", test_free_tree_parent);
  g_test_add_func ("/engine/check/free-list-spur32", test_free_list_spur32);
  ADD ("free-chunk-wrong-list", test_free_chunk_wrong_list);
  ADD ("bridge", test_bridge);
  ADD ("special-objects", test_special_objects);
  ADD ("special-class-index", test_special_class_index);
  ADD ("scheduler-association", test_scheduler_association);
  ADD ("method-literal-count", test_method_literals);
  ADD ("method-bytecodes", test_method_bytecodes);
  ADD ("context-pc", test_context_pc);
  ADD ("context-stackp", test_context_stackp);
  ADD ("context-method", test_context_method);
  ADD ("context-dead-slots-ignored", test_context_dead_slots_ignored);
  ADD ("sender-cycle", test_sender_cycle);
  ADD ("process-list-cycle", test_process_list_cycle);
  ADD ("process-last-link", test_process_last_link);
  ADD ("findings-capped", test_findings_capped);
  g_test_add ("/engine/class-info/spur", Fixture, NULL, fixture_setup, test_class_info, fixture_teardown);
  g_test_add_func ("/engine/class-info/v3", test_class_info_v3);
  g_test_add ("/engine/census/standard", Fixture, NULL, fixture_setup, test_census, fixture_teardown);
  g_test_add ("/engine/heap-map/standard", Fixture, NULL, fixture_setup, test_map, fixture_teardown);
  g_test_add_func ("/engine/check/random-damage", test_random_damage);
  g_test_add ("/engine/check/cli-on-written-image", Fixture, NULL, fixture_setup, test_cli_written, fixture_teardown);
  return g_test_run ();
}
