/* SPDX-License-Identifier: GPL-3.0-or-later */
/* --eval of expressions that run for more than a second: the evaluating
 * process keeps running through timer wake-ups and process switches and
 * hands back the printString of the whole result. */
#include "config.h"

#include <string.h>

#include "image-read.h"
#include "interp.h"
#include "support.h"

/* Evaluate EXPR in the image FOLDER/FILE; answer the result (to be freed)
 * and the wall-clock seconds it took, or NULL when the image is absent. */
static char *
eval_long (const char *folder, const char *file, const char *expr, double *seconds)
{
  g_autofree char *path = thaw_test_real_image (folder, file);
  if (path == NULL)
    return NULL;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_true (st_interp_init (vm, &error));
  g_assert_no_error (error);
  g_assert_true (st_interp_eval (vm, expr, &error));
  g_assert_no_error (error);
  g_autoptr (GTimer) timer = g_timer_new ();
  StRunStatus s = st_interp_run (vm, 0, 120, &error);
  *seconds = g_timer_elapsed (timer, NULL);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_EVALUATED);
  char *result = g_strdup (st_interp_eval_result (vm));
  st_vm_free (vm);
  g_assert_nonnull (result);
  g_test_message ("%s: %s in %.2f s", file, result, *seconds);
  return result;
}

/* The first half of Integer>>tinyBenchmarks (the benchmark loop doubles
 * its count until one run takes a second), then its string (the whole
 * benchmark is in test-gc-real). */
static void
test_bytecodes_per_second_cuis (void)
{
  double seconds = 0;
  g_autofree char *got = eval_long ("cuis4.1", "Cuis4.1-1544-reduced.image",
                                    "| t1 n1 | n1 := 1. "
                                    "[t1 := Time millisecondsToRun: [n1 benchmark]. t1 < 1000] "
                                    "whileTrue: [n1 := n1 * 2]. "
                                    "((n1 * 500000 * 1000) // t1) asStringWithCommas, ' bytecodes/sec'",
                                    &seconds);
  if (got == NULL)
    return;
  g_assert_cmpfloat (seconds, >, 1.0);
  g_assert_true (g_regex_match_simple ("^'[1-9][0-9]{0,2}(,[0-9]{3})* bytecodes/sec'$", got, 0, 0));
}

/* A loop of 100 million iterations in Scratch (V3, 31-bit SmallIntegers),
 * long enough to last more than a second: the sum of i \\ 7 for i from 1
 * to 100,000,000 is 299,999,997. */
static void
test_long_loop_scratch (void)
{
  double seconds = 0;
  g_autofree char *got = eval_long ("scratch", "Scratch.image",
                                    "| s | s := 0. 1 to: 100000000 do: [:i | s := s + (i \\\\ 7)]. s", &seconds);
  if (got == NULL)
    return;
  g_assert_cmpfloat (seconds, >, 1.0);
  g_assert_cmpstr (got, ==, "299999997");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/eval/long/bytecodes-per-second-cuis", test_bytecodes_per_second_cuis);
  g_test_add_func ("/image/eval/long/loop-scratch", test_long_loop_scratch);
  return g_test_run ();
}
