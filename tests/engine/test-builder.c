/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The synthetic image builder makes well-formed heaps, and its damage
 * helpers damage exactly what they say. */
#include "config.h"

#include <string.h>

#include "builder.h"
#include "method.h"
#include "support.h"

static guint64
walk_count (StVM *vm, gboolean *damaged)
{
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  guint64 n = 0;
  while (st_heap_walk_next (&w))
    n++;
  *damaged = w.damaged;
  return n;
}

static void
check_kernel (StVM *vm, const ThawBuilderObjects *k)
{
  /* The first five objects, in order. */
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  g_assert_cmphex (st_heap_walk_next (&w), ==, vm->nil_obj);
  g_assert_cmphex (st_heap_walk_next (&w), ==, vm->false_obj);
  g_assert_cmphex (st_heap_walk_next (&w), ==, vm->true_obj);
  g_assert_cmphex (st_heap_walk_next (&w), ==, vm->free_lists_obj);
  g_assert_cmphex (st_heap_walk_next (&w), ==, vm->hidden_roots_obj);
  g_assert_cmpuint (st_num_slots (vm, vm->free_lists_obj), ==, ST_NUM_FREE_LISTS);
  g_assert_cmpuint (st_num_slots (vm, vm->hidden_roots_obj), ==, ST_CLASS_TABLE_ROOT_SLOTS + ST_HIDDEN_ROOT_SLOTS);
  g_assert_cmpuint (st_class_index (vm, vm->free_lists_obj), ==, ST_CLASS_INDEX_LONGS64_PUN);
  g_assert_cmpuint (st_class_index (vm, vm->hidden_roots_obj), ==, ST_CLASS_INDEX_ARRAY_PUN);

  /* Special objects. */
  g_assert_cmpuint (st_special_count (vm), ==, 60);
  g_assert_cmphex (st_special (vm, ST_SPLOB_NIL_OBJECT), ==, vm->nil_obj);
  g_assert_cmphex (st_special (vm, ST_SPLOB_FALSE_OBJECT), ==, vm->false_obj);
  g_assert_cmphex (st_special (vm, ST_SPLOB_TRUE_OBJECT), ==, vm->true_obj);
  g_assert_cmphex (st_special (vm, ST_SPLOB_CLASS_ARRAY), ==, k->array_class);
  g_assert_cmphex (st_special (vm, ST_SPLOB_SCHEDULER_ASSOCIATION), ==, k->scheduler_association);
  g_assert_cmphex (st_fetch (vm, k->scheduler_association, 1), ==, k->scheduler);
  g_assert_cmphex (st_fetch (vm, k->scheduler, 1), ==, k->active_process);
  g_assert_cmphex (st_fetch (vm, k->active_process, 1), ==, k->active_context);
  g_assert_cmpuint (st_num_slots (vm, k->quiescent_lists), ==, 80);

  /* Classes: fixed indices, hash == index, class of class is its metaclass. */
  g_assert_cmphex (st_class_at_index (vm, ST_CLASS_INDEX_ARRAY), ==, k->array_class);
  g_assert_cmphex (st_class_at_index (vm, ST_CLASS_INDEX_BYTE_STRING), ==, k->byte_string_class);
  g_assert_cmphex (st_class_at_index (vm, ST_CLASS_INDEX_SMALLINTEGER), ==, k->smallinteger_class);
  g_assert_cmphex (st_class_at_index (vm, ST_CLASS_INDEX_CONTEXT), ==, k->context_class);
  g_assert_cmpuint (st_hash (vm, k->array_class), ==, ST_CLASS_INDEX_ARRAY);
  g_assert_cmphex (st_class_of (vm, vm->nil_obj), ==, k->undefined_object_class);
  g_assert_cmphex (st_class_of (vm, vm->true_obj), ==, k->true_class);
  g_assert_cmphex (st_class_of (vm, st_smallint_oop (3)), ==, k->smallinteger_class);
  StOop meta = st_class_of (vm, k->array_class);
  g_assert_cmphex (st_fetch (vm, meta, 5), ==, k->array_class);             /* thisClass */
  g_assert_cmphex (st_class_of (vm, meta), ==, k->metaclass_class);
  g_assert_cmphex (st_class_of (vm, st_class_of (vm, k->metaclass_class)), ==, k->metaclass_class);
  /* Name symbol in slot 6. */
  StOop name = st_fetch (vm, k->array_class, 6);
  g_assert_cmphex (st_class_of (vm, name), ==, k->symbol_class);
  g_assert_cmpuint (st_byte_length (vm, name), ==, 5);
  g_assert_cmpint (memcmp (st_bytes (vm, name), "Array", 5), ==, 0);
  /* Context: 6 named slots in its class format, stack in the indexable part. */
  g_assert_cmpuint (st_fixed_count (vm, k->active_context), ==, 6);
  g_assert_cmpuint (st_indexable_count (vm, k->active_context), ==, 16);

  /* The active method decodes; its pc is the initial pc. */
  StMethodHeader mh;
  const char *why = NULL;
  g_assert_true (st_method_header (vm, k->active_method, &mh, &why));
  g_assert_cmpuint (mh.num_literals, ==, 5);
  g_assert_cmpuint (mh.primitive, ==, 0);
  g_assert_cmpint (st_smallint_value (st_fetch (vm, k->active_context, 1)), ==, (int64_t) mh.initial_pc + 1);
  /* It is in Object's method dictionary under #yourself. */
  StOop md = st_fetch (vm, k->object_class, 1);
  StOop values = st_fetch (vm, md, 1);
  gboolean found = FALSE;
  for (uint64_t i = 0; i < st_indexable_count (vm, md); i++)
    if (st_fetch (vm, values, i) == k->active_method)
      found = TRUE;
  g_assert_true (found);

  gboolean damaged = TRUE;
  g_assert_cmpuint (walk_count (vm, &damaged), >, 300);
  g_assert_false (damaged);
}

static void
test_standard_spur64 (void)
{
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  StVM *vm = thaw_builder_finish (b);
  const ThawBuilderObjects *k = thaw_builder_objects (b);
  check_kernel (vm, k);
  g_assert_cmpuint (vm->header.image_format, ==, 68021);
  g_assert_cmphex (st_class_at_index (vm, ST_CLASS_INDEX_SMALLFLOAT), ==, k->smallfloat_class);

  /* One sample of every format. */
  g_assert_cmpuint (st_format (vm, k->sample_zero), ==, 0);
  g_assert_cmpuint (st_format (vm, k->sample_fixed), ==, 1);
  g_assert_cmpuint (st_format (vm, k->sample_array), ==, 2);
  g_assert_cmpuint (st_format (vm, k->sample_context), ==, 3);
  g_assert_cmpuint (st_format (vm, k->sample_weak), ==, 4);
  g_assert_cmpuint (st_format (vm, k->sample_ephemeron), ==, 5);
  g_assert_cmpuint (st_format (vm, k->sample_words64), ==, 9);
  g_assert_cmpuint (st_format (vm, k->sample_words32), ==, 11);      /* 3 words: one unused */
  g_assert_cmpuint (st_indexable_count (vm, k->sample_words32), ==, 3);
  g_assert_cmpuint (st_format (vm, k->sample_shorts16), ==, 15);     /* 5 shorts: three unused */
  g_assert_cmpuint (st_indexable_count (vm, k->sample_shorts16), ==, 5);
  g_assert_cmpuint (st_format (vm, k->sample_bytes), ==, 19);        /* 13 bytes: three unused */
  g_assert_cmpuint (st_indexable_count (vm, k->sample_bytes), ==, 13);
  g_assert_cmpuint (st_format (vm, k->sample_method), >=, 24);
  g_assert_cmpuint (st_hdr_num_slots (st_header (vm, k->sample_overflow)), ==, 255);
  g_assert_cmpuint (st_num_slots (vm, k->sample_overflow), ==, 300);
  g_assert_cmphex (st_class_of (vm, k->sample_float), ==, k->float_class);
  double d;
  memcpy (&d, st_bytes (vm, k->sample_float), 8);
  g_assert_cmpfloat (d, ==, 1.0e300);
  g_assert_cmpuint (st_byte_length (vm, k->sample_string), ==, strlen ("hello, world"));
  g_assert_true (st_is_character (st_fetch (vm, k->sample_array, 2)));

  /* Free space: list 3 holds the 24-byte chunk, list 2 the 16-byte one,
   * the tree root the first 1024-byte chunk with the second on its list
   * and the 2048-byte one as its larger child. */
  StOop lists = vm->free_lists_obj;
  g_assert_cmphex (st_fetch (vm, lists, 3), ==, k->free_small);
  g_assert_cmpuint (st_class_index (vm, k->free_small), ==, ST_CLASS_INDEX_FREE);
  g_assert_cmpuint (st_object_bytes_for_slots (st_num_slots (vm, st_fetch (vm, lists, 2))), ==, 16);
  StOop root = st_fetch (vm, lists, 0);
  g_assert_cmphex (root, ==, k->free_large);
  g_assert_cmpuint (st_object_bytes_for_slots (st_num_slots (vm, root)), ==, 1024);
  StOop same = st_fetch (vm, root, 0);
  g_assert_cmphex (same, !=, 0);
  g_assert_cmpuint (st_object_bytes_for_slots (st_num_slots (vm, same)), ==, 1024);
  g_assert_cmphex (st_fetch (vm, same, 1), ==, root);
  g_assert_cmpuint (vm->header.free_old_space, ==, 24 + 1024 + 16 + 1024);

  g_assert_cmpuint (vm->n_segments, ==, 1);
  g_assert_cmpuint (vm->header.data_size, ==, vm->segments[0].bytes);
  thaw_builder_free (b);
  st_vm_free (vm);
}

/* The free tree: smaller and larger children, equal sizes on a list,
 * a 2048-byte chunk (256 units) with an overflow header. */
static void
test_free_tree (void)
{
  ThawBuilder *b = thaw_builder_new (ST_FAMILY_SPUR, 8);
  StOop root = thaw_builder_free_chunk (b, 1024);
  StOop larger = thaw_builder_free_chunk (b, 2048);
  StOop smaller = thaw_builder_free_chunk (b, 600);
  StOop same = thaw_builder_free_chunk (b, 2048);
  StVM *vm = thaw_builder_finish (b);
  g_assert_cmphex (st_fetch (vm, vm->free_lists_obj, 0), ==, root);
  g_assert_cmphex (st_fetch (vm, root, 4), ==, larger);
  g_assert_cmphex (st_fetch (vm, root, 3), ==, smaller);
  g_assert_cmphex (st_fetch (vm, larger, 2), ==, root);
  g_assert_cmphex (st_fetch (vm, smaller, 2), ==, root);
  g_assert_cmphex (st_fetch (vm, larger, 0), ==, same);
  g_assert_cmphex (st_fetch (vm, same, 1), ==, larger);
  g_assert_cmpuint (st_hdr_num_slots (st_header (vm, larger)), ==, 255);
  g_assert_cmpuint (st_object_end (vm, larger) - st_object_start (vm, larger), ==, 2048);
  g_assert_cmpuint (vm->header.free_old_space, ==, 1024 + 2048 + 600 + 2048);
  gboolean damaged = TRUE;
  walk_count (vm, &damaged);
  g_assert_false (damaged);
  thaw_builder_free (b);
  st_vm_free (vm);
}

static void
test_personalities (void)
{
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 4);
  StVM *vm = thaw_builder_finish (b);
  check_kernel (vm, thaw_builder_objects (b));
  g_assert_cmpuint (vm->header.image_format, ==, 6521);
  g_assert_cmpuint (vm->personality.word_bytes, ==, 4);
  g_assert_cmphex (st_class_at_index (vm, 3), ==, thaw_builder_objects (b)->smallinteger_class);
  g_assert_cmphex (st_class_at_index (vm, ST_CLASS_INDEX_SMALLFLOAT), ==, 0);
  thaw_builder_free (b);
  st_vm_free (vm);

  b = thaw_builder_new_standard (ST_FAMILY_V3, 4);
  vm = thaw_builder_finish (b);
  const ThawBuilderObjects *k = thaw_builder_objects (b);
  check_kernel (vm, k);
  g_assert_cmpuint (vm->header.image_format, ==, 6504);
  /* V3 Characters are objects. */
  StOop ch = st_fetch (vm, k->sample_array, 2);
  g_assert_true (st_is_pointer (ch));
  g_assert_cmphex (st_class_of (vm, ch), ==, k->character_class);
  /* A V3 method header with a primitive above 511 decodes. */
  static const guint8 code[] = { 0x7C };
  StOop m = thaw_builder_method (b, k->object_class, "prim", 0, 0, 700, NULL, 0, code, 1);
  StMethodHeader mh;
  const char *why = NULL;
  g_assert_true (st_method_header (vm, m, &mh, &why));
  g_assert_cmpuint (mh.primitive, ==, 700);
  g_assert_cmpuint (mh.num_literals, ==, 2);
  thaw_builder_free (b);
  st_vm_free (vm);

  /* Sista: the header's sign bit; a Spur primitive is a callPrimitive bytecode. */
  b = thaw_builder_new_at (ST_FAMILY_SPUR, 8, 68533, 0);
  k = thaw_builder_objects (b);
  m = thaw_builder_method (b, k->object_class, "prim", 1, 2, 60, NULL, 0, code, 1);
  vm = thaw_builder_finish (b);
  g_assert_true (st_method_header (vm, m, &mh, &why));
  g_assert_cmpuint (mh.bytecode_set, ==, ST_BYTECODE_SET_SISTA_V1);
  g_assert_cmpuint (mh.primitive, ==, 60);
  g_assert_cmpuint (mh.num_args, ==, 1);
  g_assert_cmpuint (mh.num_temps, ==, 2);
  g_assert_cmpuint (st_bytes (vm, m)[mh.initial_pc], ==, 248);
  thaw_builder_free (b);
  st_vm_free (vm);
}

static void
test_user_class_and_segments (void)
{
  ThawBuilder *b = thaw_builder_new_at (ST_FAMILY_SPUR, 8, 0, 0x2000000);
  const ThawBuilderObjects *k = thaw_builder_objects (b);
  StOop p3 = thaw_builder_class (b, "Point3", k->point_class, ST_FMT_FIXED, "z", NULL);
  thaw_builder_new_segment (b, 1 << 20);
  StOop inst = thaw_builder_instance (b, p3, 0);
  thaw_builder_global (b, "ThePoint3", inst);
  StVM *vm = thaw_builder_finish (b);
  g_assert_cmphex (vm->nil_obj, ==, 0x2000000);
  g_assert_cmpuint (vm->n_segments, ==, 2);
  /* The second segment starts 1 MiB after the first one's bridge. */
  g_assert_cmphex (vm->segments[1].start, ==, vm->segments[0].start + vm->segments[0].bytes + (1 << 20));
  g_assert_true (st_objmem_segment_of (vm, inst) == &vm->segments[1]);
  /* Point3 has x, y, z; it is a registered class with hash == index. */
  g_assert_cmpuint (st_num_slots (vm, inst), ==, 3);
  g_assert_cmphex (st_class_of (vm, inst), ==, p3);
  g_assert_cmpuint (st_hash (vm, p3), ==, thaw_builder_class_index (b, p3));
  StOop ivars = st_fetch (vm, p3, 3);
  g_assert_cmpuint (st_num_slots (vm, ivars), ==, 1);
  /* The walk crosses into the second segment. */
  gboolean damaged = TRUE;
  guint64 n = walk_count (vm, &damaged);
  g_assert_false (damaged);
  g_assert_cmpuint (n, >, 100);
  /* The first bridge is an overflow-header object of class index 3 whose
   * slots reach exactly to the second segment. */
  StOop bridge = vm->segments[0].start + vm->segments[0].bytes - 16;
  g_assert_cmphex (st_word_at (vm, bridge), ==, (G_GUINT64_CONSTANT (0xFF) << 56) | ((1 << 20) / 8));
  g_assert_cmpuint (st_class_index (vm, bridge + 8), ==, ST_CLASS_INDEX_BRIDGE);
  g_assert_cmphex (st_object_end (vm, bridge + 8), ==, vm->segments[1].start);
  g_assert_cmpuint (vm->header.data_size, ==, vm->segments[0].bytes + vm->segments[1].bytes);
  thaw_builder_free (b);
  st_vm_free (vm);
}

static void
test_damage_helpers (void)
{
  ThawBuilder *b = thaw_builder_new_standard (ST_FAMILY_SPUR, 8);
  StVM *vm = thaw_builder_finish (b);
  const ThawBuilderObjects *k = thaw_builder_objects (b);

  thaw_damage_pointer_into_middle (vm, k->sample_array, 0, k->sample_fixed);
  g_assert_cmphex (st_fetch (vm, k->sample_array, 0), ==, k->sample_fixed + 8);

  thaw_damage_class_index (vm, k->sample_zero, 0);
  g_assert_cmphex (st_class_of (vm, k->sample_zero), ==, 0);

  thaw_damage_free_list (vm, 5, k->sample_fixed);
  g_assert_cmphex (st_fetch (vm, vm->free_lists_obj, 5), ==, k->sample_fixed);

  thaw_damage_method_literal_count (vm, k->sample_method, 4000);
  StMethodHeader mh;
  const char *why = NULL;
  g_assert_false (st_method_header (vm, k->sample_method, &mh, &why));
  g_assert_nonnull (why);

  thaw_damage_context_pc (vm, k->active_context, 100000);
  g_assert_cmpint (st_smallint_value (st_fetch (vm, k->active_context, 1)), ==, 100000);

  g_assert_true (thaw_damage_scheduler_list_cycle (vm));
  g_assert_cmphex (st_fetch (vm, k->waiting_process, 0), ==, k->waiting_process);

  /* An overflow count far past the segment: the walk stops, damaged. */
  thaw_damage_overflow_header (vm, k->sample_overflow, (G_GUINT64_CONSTANT (0xFF) << 56) | 0xFFFFFFFF);
  gboolean damaged = FALSE;
  walk_count (vm, &damaged);
  g_assert_true (damaged);

  thaw_damage_bridge (vm, 0, 1, 2);
  StOop bridge = vm->segments[0].start + vm->segments[0].bytes - 16;
  g_assert_cmphex (st_word_at (vm, bridge), ==, 1);
  g_assert_cmphex (st_word_at (vm, bridge + 8), ==, 2);
  thaw_builder_free (b);
  st_vm_free (vm);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/builder/standard-spur64", test_standard_spur64);
  g_test_add_func ("/engine/builder/free-tree", test_free_tree);
  g_test_add_func ("/engine/builder/personalities", test_personalities);
  g_test_add_func ("/engine/builder/user-class-and-segments", test_user_class_and_segments);
  g_test_add_func ("/engine/builder/damage-helpers", test_damage_helpers);
  return g_test_run ();
}
