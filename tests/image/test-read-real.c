/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every real image loads, and thaw-cli info prints it. */
#include "config.h"

#include <string.h>

#include "image-read.h"
#include "support.h"

static void
test_read_pharo8 (void)
{
  g_autofree char *path = thaw_test_real_image ("pharo8-kernel64", "Pharo.image");
  if (path == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vm);
  g_assert_cmpuint (vm->header.image_format, ==, 68021);
  g_assert_cmphex (vm->header.old_base_addr, ==, 0x804000);
  g_assert_cmpuint (vm->n_segments, ==, 1);
  g_assert_cmphex (vm->nil_obj, ==, 0x804000);
  /* nil, false and true are the first objects, and the special objects
   * array names them. */
  g_assert_cmphex (st_special (vm, ST_SPLOB_NIL_OBJECT), ==, vm->nil_obj);
  g_assert_cmphex (st_special (vm, ST_SPLOB_FALSE_OBJECT), ==, vm->false_obj);
  g_assert_cmphex (st_special (vm, ST_SPLOB_TRUE_OBJECT), ==, vm->true_obj);
  /* A full walk reaches the end of the segment without damage. */
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  guint64 n = 0;
  while (st_heap_walk_next (&w))
    n++;
  g_assert_false (w.damaged);
  g_assert_cmpuint (n, >, 10000);
  st_vm_free (vm);
}

static void
test_cli_info_pharo8 (void)
{
  g_autofree char *path = thaw_test_real_image ("pharo8-kernel64", "Pharo.image");
  if (path == NULL)
    return;
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "info", "--json", path, NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "\"image_format\": 68021"));
  g_assert_nonnull (strstr (out, "\"old_base_address\": 8404992"));
}

static void
test_not_an_image (void)
{
  static const guint8 junk[600] = { 'h', 'e', 'l', 'l', 'o' };
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read_buffer (junk, sizeof junk, "junk", ST_READ_STRICT, &error);
  g_assert_null (vm);
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_MAGIC);
  g_assert_nonnull (strstr (error->message, "offset 0"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/read/pharo8-kernel64", test_read_pharo8);
  g_test_add_func ("/image/cli/info-pharo8-kernel64", test_cli_info_pharo8);
  g_test_add_func ("/image/read/not-an-image", test_not_an_image);
  return g_test_run ();
}
