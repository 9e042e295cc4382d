/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "objmem.h"
#include "support.h"

static void
test_header_fields (void)
{
  uint64_t h = st_hdr_make (12, 0x3ABCDE, ST_FMT_FIXED_INDEXABLE, 36);
  g_assert_cmpuint (st_hdr_num_slots (h), ==, 12);
  g_assert_cmpuint (st_hdr_hash (h), ==, 0x3ABCDE);
  g_assert_cmpuint (st_hdr_format (h), ==, ST_FMT_FIXED_INDEXABLE);
  g_assert_cmpuint (st_hdr_class_index (h), ==, 36);
  g_assert_false (st_hdr_is_pinned (h));
  h |= ST_HDR_PINNED_BIT | ST_HDR_MARKED_BIT;
  g_assert_true (st_hdr_is_pinned (h));
  g_assert_true (st_hdr_is_marked (h));
  g_assert_cmpuint (st_hdr_class_index (st_hdr_with_class_index (h, 51)), ==, 51);
  g_assert_cmpuint (st_hdr_hash (st_hdr_with_hash (h, 7)), ==, 7);
  g_assert_cmpuint (st_hdr_num_slots (st_hdr_with_hash (h, 7)), ==, 12);
}

static void
test_immediates (void)
{
  g_assert_cmpint (st_smallint_value (st_smallint_oop (-42)), ==, -42);
  g_assert_cmpint (st_smallint_value (st_smallint_oop (ST_SMALLINT_MAX)), ==, ST_SMALLINT_MAX);
  g_assert_cmpint (st_smallint_value (st_smallint_oop (ST_SMALLINT_MIN)), ==, ST_SMALLINT_MIN);
  g_assert_true (st_is_smallint (st_smallint_oop (0)));
  g_assert_cmpuint (st_character_value (st_character_oop (0x1F600)), ==, 0x1F600);
  g_assert_true (st_is_character (st_character_oop ('a')));

  const double values[] = { 0.0, -0.0, 1.0, -1.5, 3.141592653589793, 1e-30, 1e30 };
  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    {
      StOop o;
      g_assert_true (st_smallfloat_encode (values[i], &o));
      g_assert_true (st_is_smallfloat (o));
      double back = st_smallfloat_value (o);
      g_assert_cmpmem (&back, sizeof back, &values[i], sizeof values[i]);
    }
  StOop o;
  g_assert_false (st_smallfloat_encode (1e300, &o));   /* exponent out of the immediate range */
  g_assert_false (st_smallfloat_encode (1e-300, &o));
}

static void
test_object_bytes (void)
{
  g_assert_cmpuint (st_object_bytes_for_slots (0), ==, 16);
  g_assert_cmpuint (st_object_bytes_for_slots (1), ==, 16);
  g_assert_cmpuint (st_object_bytes_for_slots (3), ==, 32);
  g_assert_cmpuint (st_object_bytes_for_slots (254), ==, 8 + 254 * 8);
  g_assert_cmpuint (st_object_bytes_for_slots (255), ==, 16 + 255 * 8);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/objmem/header-fields", test_header_fields);
  g_test_add_func ("/engine/objmem/immediates", test_immediates);
  g_test_add_func ("/engine/objmem/object-bytes", test_object_bytes);
  return g_test_run ();
}
