/* SPDX-License-Identifier: GPL-3.0-or-later */
/* BitBlt on real images: Cuis startup calls copyBits (calcEndianness) and
 * it must no longer be reported missing; and Forms drawn by the images' own
 * Form/BitBlt code (fills, an 8-bit form displayed on a 32-bit one through
 * the image's colour map) must hold the expected pixels. */
#include "config.h"

#include <string.h>

#include "image-read.h"
#include "interp.h"
#include "support.h"

static void
count_bitblt_missing (const char *name, uint64_t count, gpointer data)
{
  if (g_str_has_prefix (name, "BitBltPlugin>>") || strcmp (name, "#96") == 0)
    {
      g_test_message ("missing: %s (%" G_GUINT64_FORMAT " calls)", name, count);
      (*(guint *) data)++;
    }
}

/* The first 200,000 bytecodes of Cuis 4.1's startup (the run may stop
 * earlier for reasons of its own): copyBits is never missing. */
static void
test_cuis_startup (void)
{
  g_autofree char *path = thaw_test_real_image ("cuis4.1", "Cuis4.1-1544-reduced.image");
  if (path == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_true (st_interp_init (vm, &error));
  g_assert_no_error (error);
  StRunStatus s = st_interp_run (vm, 200000, 30, &error);
  g_test_message ("status %d: %s", (int) s, error != NULL ? error->message : "no error");
  g_clear_error (&error);
  guint missing = 0;
  st_interp_foreach_missing (vm, count_bitblt_missing, &missing);
  g_assert_cmpuint (missing, ==, 0);
  st_vm_free (vm);
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
  st_interp_foreach_missing (vm, count_bitblt_missing, &missing);
  g_assert_cmpuint (missing, ==, 0);
  st_vm_free (vm);
}

static const struct {
  const char *expr, *want;
} cases[] = {
  /* a fill (rule 3, no source, the colour as halftone) */
  { "| f | f := Form extent: 9@3 depth: 32. f fillColor: Color red. f bits first printString",
    "'4294901760'" },
  /* 8-bit blue displayed at 1@1 on a white 32-bit form: colour map, clipping at the right */
  { "| a b | a := Form extent: 5@5 depth: 8. a fillColor: Color blue. b := Form extent: 7@7 depth: 32. "
    "b fillColor: Color white. a displayOn: b at: 1@1. "
    "((0 to: 6) collect: [:x | (b pixelValueAt: x@3) printStringHex]) asArray printString",
    "'#(''FFFFFFFF'' ''FF0000FF'' ''FF0000FF'' ''FF0000FF'' ''FF0000FF'' ''FF0000FF'' ''FFFFFFFF'')'" },
  /* a 1-bit form: a black 3x2 rectangle, read back row by row */
  { "| f | f := Form extent: 6@3 depth: 1. f fill: (2@1 extent: 3@2) fillColor: Color black. "
    "((0 to: 2) collect: [:y | ((0 to: 5) collect: [:x | f pixelValueAt: x@y]) asArray]) asArray printString",
    "'#(#(0 0 0 0 0 0) #(0 0 1 1 1 0) #(0 0 1 1 1 0))'" },
};

static void
test_eval (gconstpointer data)
{
  const char *const *img = data;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s: %s", img[0], cases[i].expr);
      eval_expect (img[0], img[1], cases[i].expr, cases[i].want);
    }
}

/* Cuis 3.1 draws strings with primitiveDisplayString: the pixels of
 * 'Hello' are the sum of its letters' pixels drawn one by one (the strike
 * font does not kern), counted with tallyPixelValues (rule 33). */
static void
test_display_string (void)
{
  eval_expect ("cuis3.1r3", "Cuis3.1r3.image",
               "| t | t := [:s | | f | f := Form extent: 60@20 depth: 1. s displayOn: f at: 0@0. "
               "f tallyPixelValues at: 2]. (Array with: (t value: 'Hello') "
               "with: ('Hello' inject: 0 into: [:a :c | a + (t value: c asString)])) printString",
               "'#(79 79)'");
}

static const char *const cuis41[] = { "cuis4.1", "Cuis4.1-1544-reduced.image" };
static const char *const cuis31[] = { "cuis3.1r3", "Cuis3.1r3.image" };

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/bitblt/cuis4.1-startup", test_cuis_startup);
  g_test_add_data_func ("/image/bitblt/eval/cuis4.1", cuis41, test_eval);
  g_test_add_data_func ("/image/bitblt/eval/cuis3.1r3", cuis31, test_eval);
  g_test_add_func ("/image/bitblt/display-string/cuis3.1r3", test_display_string);
  return g_test_run ();
}
