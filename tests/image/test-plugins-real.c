/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LargeInteger arithmetic and string primitives on real images: each image
 * evaluates expressions with its own Compiler and Integer code, which call
 * the LargeIntegers and MiscPrimitivePlugin modules; the printed results
 * are checked, and neither module may be reported missing. */
#include "config.h"

#include <string.h>

#include "image-read.h"
#include "interp.h"
#include "support.h"

static void
count_plugin_missing (const char *name, uint64_t count, gpointer data)
{
  if (g_str_has_prefix (name, "LargeIntegers>>") || g_str_has_prefix (name, "MiscPrimitivePlugin>>"))
    {
      g_test_message ("missing: %s (%" G_GUINT64_FORMAT " calls)", name, count);
      (*(guint *) data)++;
    }
}

static void
eval_expect (const char *folder, const char *file, const char *expr, const char *want)
{
  g_autofree char *path = thaw_test_real_image (folder, file);
  if (path == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_true (st_interp_init (vm, &error));
  g_assert_no_error (error);
  g_assert_true (st_interp_eval (vm, expr, &error));
  g_assert_no_error (error);
  StRunStatus s = st_interp_run (vm, 0, 60, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_EVALUATED);
  g_assert_cmpstr (st_interp_eval_result (vm), ==, want);
  guint missing = 0;
  st_interp_foreach_missing (vm, count_plugin_missing, &missing);
  g_assert_cmpuint (missing, ==, 0);
  st_vm_free (vm);
}

typedef struct {
  const char *folder, *file;
} Image;

static const Image images[] = {
  { "cuis4.1", "Cuis4.1-1544-reduced.image" },
  { "scratch", "Scratch.image" },
  { "squeak-mini", "mini.image" },
  { "cuis3.1r3", "Cuis3.1r3.image" },
  { "squeakjs-benchmark", "benchmark.image" },
};

static const struct {
  const char *expr, *want;
} cases[] = {
  { "100 factorial printString size", "158" },
  { "(2 raisedTo: 100) - (2 raisedTo: 99)", "633825300114114700748351602688" },
  { "100 factorial / 98 factorial", "9900" },
  { "(2 raisedTo: 100) negated // 3", "-422550200076076467165567735126" },
  { "12345678901234567890 gcd: 9876543210", "90" },
  { "(1 bitShift: 200) highBit", "201" },
  { "((2 raisedTo: 64) bitAnd: (2 raisedTo: 70) - 1) = (2 raisedTo: 64)", "true" },
  { "('abc' < 'abd') & ('ABC' sameAs: 'abc')", "true" },
  { "'Hello' asUppercase", "'HELLO'" },
};

static void
test_image (gconstpointer data)
{
  const Image *img = data;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s: %s", img->folder, cases[i].expr);
      eval_expect (img->folder, img->file, cases[i].expr, cases[i].want);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (images); i++)
    {
      g_autofree char *path = g_strdup_printf ("/image/plugins/eval/%s", images[i].folder);
      g_test_add_data_func (path, &images[i], test_image);
    }
  return g_test_run ();
}
