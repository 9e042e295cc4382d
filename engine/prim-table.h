/* SPDX-License-Identifier: GPL-3.0-or-later */
/* prim-table.h: the numbered primitives as one X-macro table.
 *
 *   X (NUMBER, NAME)   body: StPrimResult st_prim_NAME (StVM *vm, int argc)
 *
 * Numbers and meanings as the Squeak/OpenSmalltalk and Pharo VMs define
 * them (shared/REFERENCE.md 2.12).  Bodies live in prims-<area>.c.  A
 * number missing here fails like an unknown primitive of a real VM (the
 * method's fallback code runs) and is counted as missing.  Quick
 * primitives 256..519 are handled in interp-send.c.  A primitive may be
 * listed under more than one number (the SmallFloat64 variants 541.. share
 * the Float bodies). */
#pragma once

#include "interp.h"

G_BEGIN_DECLS

#define ST_PRIMITIVES(X) \
  /* prims-arith.c: SmallInteger */ \
  X (1, add) X (2, subtract) X (3, less_than) X (4, greater_than) \
  X (5, less_or_equal) X (6, greater_or_equal) X (7, equal) X (8, not_equal) \
  X (9, multiply) X (10, divide) X (11, mod) X (12, div) X (13, quo) \
  X (14, bit_and) X (15, bit_or) X (16, bit_xor) X (17, bit_shift) \
  X (18, make_point) X (19, fail) \
  X (110, identical) X (169, not_identical) X (159, hash_multiply) \
  /* plugins/large-int.c: LargeIntegers of any size */ \
  X (20, large_rem) X (21, large_add) X (22, large_subtract) X (23, large_less_than) X (24, large_greater_than) \
  X (25, large_less_or_equal) X (26, large_greater_or_equal) X (27, large_equal) X (28, large_not_equal) \
  X (29, large_multiply) X (30, large_divide) X (31, large_mod) X (32, large_div) X (33, large_quo) \
  X (34, large_bit_and) X (35, large_bit_or) X (36, large_bit_xor) X (37, large_bit_shift) \
  /* prims-float.c: boxed Float and SmallFloat64 */ \
  X (38, float_at) X (39, float_at_put) X (40, as_float) \
  X (41, float_add) X (42, float_subtract) X (43, float_less_than) X (44, float_greater_than) \
  X (45, float_less_or_equal) X (46, float_greater_or_equal) X (47, float_equal) \
  X (48, float_not_equal) X (49, float_multiply) X (50, float_divide) \
  X (51, float_truncated) X (52, float_fraction_part) X (53, float_exponent) \
  X (54, float_times_two_power) X (55, float_sqrt) X (56, float_sin) X (57, float_arctan) \
  X (58, float_ln) X (59, float_exp) \
  X (541, float_add) X (542, float_subtract) X (543, float_less_than) X (544, float_greater_than) \
  X (545, float_less_or_equal) X (546, float_greater_or_equal) X (547, float_equal) \
  X (548, float_not_equal) X (549, float_multiply) X (550, float_divide) \
  X (551, float_truncated) X (552, float_fraction_part) X (553, float_exponent) \
  X (554, float_times_two_power) X (555, float_sqrt) X (556, float_sin) X (557, float_arctan) \
  X (558, float_ln) X (559, float_exp) \
  /* prims-object.c: indexing, instantiation, identity, reflection */ \
  X (60, at) X (61, at_put) X (62, size) X (63, string_at) X (64, string_at_put) \
  X (68, object_at) X (69, object_at_put) X (70, new) X (71, new_with_arg) \
  X (73, inst_var_at) X (74, inst_var_at_put) X (75, identity_hash) \
  X (77, some_instance) X (78, next_instance) X (79, new_method) \
  X (105, replace_from_to) X (111, class) X (129, special_objects_array) \
  X (132, points_to) X (138, some_object) X (139, next_object) X (145, constant_fill) X (148, shallow_copy) \
  X (170, as_character) X (171, immediate_as_integer) X (173, slot_at) X (174, slot_at_put) \
  X (175, behavior_hash) X (176, max_identity_hash) X (177, all_instances) \
  X (72, array_become_one_way) X (128, array_become) X (248, array_become_one_way_no_copy_hash) \
  X (249, array_become_one_way_copy_hash) \
  /* prims-control.c: blocks, perform, contexts */ \
  X (80, block_copy) X (81, block_value) X (82, block_value_with_args) \
  X (83, perform) X (84, perform_with_args) X (100, perform_in_superclass) \
  X (195, fail) X (196, fail) X (197, fail) X (198, fail) X (199, fail) \
  X (201, closure_value) X (202, closure_value) X (203, closure_value) \
  X (204, closure_value) X (205, closure_value) X (206, closure_value_with_args) \
  X (207, closure_value) X (208, closure_value_with_args) X (209, closure_value) \
  X (221, closure_value) X (222, closure_value) \
  X (210, context_at) X (211, context_at_put) X (212, context_size) X (76, store_stackp) \
  X (188, execute_method_args) \
  /* prims-process.c: processes and semaphores */ \
  X (85, signal) X (86, wait) X (87, resume) X (88, suspend) X (167, yield) \
  X (185, exit_critical_section) X (186, enter_critical_section) \
  X (187, test_and_set_owner) \
  /* prims-misc.c: the system, clocks, caches */ \
  X (89, flush_cache) X (116, flush_cache) X (119, flush_cache) \
  X (97, snapshot) X (172, fetch_mourner) X (112, bytes_left) X (113, quit) X (114, exit_to_debugger) \
  X (117, named) X (121, image_name) X (124, low_space_semaphore) X (125, set_low_space_threshold) \
  X (130, full_gc) X (131, incremental_gc) X (135, millisecond_clock) \
  X (136, signal_at_milliseconds) X (137, seconds_clock) X (140, beep) X (142, vm_path) \
  X (149, get_attribute) X (230, relinquish_processor) \
  X (240, utc_microseconds) X (241, local_microseconds) X (242, signal_at_utc_microseconds) \
  X (254, vm_parameter) X (134, interrupt_semaphore) X (133, set_interrupt_key) \
  X (91, test_display_depth) \
  /* prims-display.c: the display Form, cursor, input events and polling */ \
  X (102, be_display) X (127, show_display_rect) X (231, force_display_update) \
  X (126, defer_display_updates) X (106, screen_size) X (101, be_cursor) X (122, reverse_display) \
  X (93, input_semaphore) X (94, get_next_event) \
  X (90, mouse_point) X (107, mouse_buttons) X (108, kbd_next) X (109, kbd_peek) \
  /* plugins/bitblt.c: BitBlt */ \
  X (96, copy_bits) \
  /* prims-stream.c: streams, character scanning, 16-bit elements */ \
  X (65, stream_next) X (66, stream_next_put) X (67, stream_at_end) X (103, scan_characters) \
  X (143, short_at) X (144, short_at_put)

#define ST_PRIM_DECLARE(n, name) StPrimResult st_prim_##name (StVM *vm, int argc);
ST_PRIMITIVES (ST_PRIM_DECLARE)
#undef ST_PRIM_DECLARE

G_END_DECLS
