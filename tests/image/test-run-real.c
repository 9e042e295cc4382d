/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Real images run headless: the small ones to their own quit, the others
 * for a while without an interpreter error or a crash. */
#include "config.h"

#include <string.h>

#include "image-read.h"
#include "interp.h"
#include "heap-check.h"
#include "support.h"

static StVM *
load_and_init (const char *folder, const char *file)
{
  g_autofree char *path = thaw_test_real_image (folder, file);
  if (path == NULL)
    return NULL;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_true (st_interp_init (vm, &error));
  g_assert_no_error (error);
  return vm;
}

typedef struct {
  const char *want;
  bool found;
} FileSearch;

static void
find_text (const char *path, const guint8 *data, gsize len, gpointer user)
{
  FileSearch *s = user;
  g_autofree char *text = g_strndup ((const char *) data, len);
  if (strstr (text, s->want) != NULL)
    s->found = true;
}

/* The RSqueak bootstrapped image (6505) logs to log.txt beside itself,
 * runs its benchmarks and quits. */
static void
test_rsqueak_bootstrapped (void)
{
  StVM *vm = load_and_init ("rsqueak-bootstrapped", "bootstrapped.image");
  if (vm == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StRunStatus s = st_interp_run (vm, 0, 120, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_QUIT);
  const StInterpStats *st = st_interp_stats (vm);
  g_assert_cmpuint (st->bytecodes, >, 10000000);
  FileSearch welcome = { "Welcome to Pharo Candle edition!", false };
  st_interp_foreach_file (vm, find_text, &welcome);
  g_assert_true (welcome.found);
  FileSearch bench = { "bytecodes/sec;", false };
  st_interp_foreach_file (vm, find_text, &bench);
  g_assert_true (bench.found);
  st_vm_free (vm);
}

/* The SqueakJS headless image (Spur 32) prints through ConsolePlugin and
 * quits. */
static void
test_squeakjs_headless (void)
{
  StVM *vm = load_and_init ("squeakjs-headless32", "headless.image");
  if (vm == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StRunStatus s = st_interp_run (vm, 0, 60, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_QUIT);
  g_assert_cmpint (st_interp_quit_code (vm), ==, 0);
  const char *out = st_interp_output (vm);
  g_assert_nonnull (strstr (out, "Smalltalk image fired up!"));
  g_assert_nonnull (strstr (out, "3 + 4 = 7"));
  st_vm_free (vm);
}

/* The Pharo 8 kernel image (Spur 64, SistaV1 full blocks) runs its
 * bootstrap initialization, snapshots (primitive 97) and quits.  With a
 * snapshot path the file is written through the image writer and reads
 * back clean; without one the primitive fails and the run says why. */
static void
test_pharo8_kernel (void)
{
  StVM *vm = load_and_init ("pharo8-kernel64", "Pharo.image");
  if (vm == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *snap = g_build_filename (dir, "snapshot.image", NULL);
  st_interp_set_snapshot_path (vm, snap);
  g_autoptr (GError) error = NULL;
  StRunStatus s = st_interp_run (vm, 0, 120, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_QUIT);
  g_assert_cmpuint (st_interp_stats (vm)->bytecodes, >, 1000000);
  g_assert_cmpuint (st_interp_stats (vm)->process_switches, >, 0);
  st_vm_free (vm);
  StVM *saved = st_image_read (snap, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  StCheckOptions opts = { .max_findings = 5 };
  StCheckReport *cr = st_heap_check (saved, &opts);
  g_assert_cmpuint (cr->n_findings_total, ==, 0);
  g_assert_cmpuint (cr->objects, >, 20000);
  st_check_report_free (cr);
  st_vm_free (saved);
  thaw_test_rmdir (dir);

  vm = load_and_init ("pharo8-kernel64", "Pharo.image");
  s = st_interp_run (vm, 0, 120, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_QUIT);
  bool refused = false;
  for (const char *const *e = st_interp_events (vm); *e != NULL; e++)
    refused |= strstr (*e, "snapshot refused") != NULL;
  g_assert_true (refused);
  st_vm_free (vm);
}

/* Bigger images: a bounded run ends at the budget, not in an error. */
static void
bounded_run (const char *folder, const char *file)
{
  StVM *vm = load_and_init (folder, file);
  if (vm == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StRunStatus s = st_interp_run (vm, 2000000, 30, &error);
  g_assert_no_error (error);
  g_assert_true (s == ST_RUN_BYTECODE_LIMIT || s == ST_RUN_TIME_LIMIT);
  st_vm_free (vm);
}

static void test_bounded_mini (void) { bounded_run ("squeak-mini", "mini.image"); }
static void test_bounded_benchmark (void) { bounded_run ("squeakjs-benchmark", "benchmark.image"); }
static void test_bounded_scratch (void) { bounded_run ("scratch", "Scratch.image"); }
static void test_bounded_cpnode (void) { bounded_run ("cpnode-tiny32", "client-environment.image"); }

/* Damage is the normal case: random words of the heap overwritten (bit
 * flips, random values, pointers into the middle of objects) must never
 * crash the interpreter; it stops with an error or keeps going. */
static void
test_damaged_random (void)
{
  g_autofree char *path = thaw_test_real_image ("rsqueak-bootstrapped", "bootstrapped.image");
  if (path == NULL)
    return;
  guint errors = 0;
  for (guint seed = 1; seed <= 40; seed++)
    {
      g_autoptr (GError) error = NULL;
      StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
      g_assert_no_error (error);
      GRand *rand = g_rand_new_with_seed (seed);
      const StSegment *s = &vm->segments[0];
      for (int i = 0; i < 40; i++)
        {
          uint64_t off = (uint64_t) g_rand_int_range (rand, 0, (gint32) ((s->bytes - 16) / 8)) * 8;
          uint64_t *p = st_ptr (vm, s->start + off);
          switch (g_rand_int_range (rand, 0, 3))
            {
            case 0: *p ^= G_GUINT64_CONSTANT (1) << g_rand_int_range (rand, 0, 64); break;
            case 1: *p = ((uint64_t) g_rand_int (rand) << 32) | g_rand_int (rand); break;
            default: *p = s->start + (uint64_t) g_rand_int_range (rand, 0, (gint32) s->bytes); break;
            }
        }
      g_rand_free (rand);
      if (!st_interp_init (vm, &error))
        errors++;
      else if (st_interp_run (vm, 1000000, 10, &error) == ST_RUN_ERROR)
        {
          g_assert_nonnull (error);
          errors++;
        }
      st_vm_free (vm);
    }
  g_test_message ("%u of 40 damaged heaps stopped with an error", errors);
}

/* --eval: the image's own Compiler evaluates an expression in a process
 * of its own; the run stops with its printString. */
static void
eval_case (const char *folder, const char *file, const char *expr, const char *want)
{
  StVM *vm = load_and_init (folder, file);
  if (vm == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_assert_true (st_interp_eval (vm, expr, &error));
  g_assert_no_error (error);
  StRunStatus s = st_interp_run (vm, 0, 60, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_EVALUATED);
  g_assert_cmpstr (st_interp_eval_result (vm), ==, want);
  /* Running on: the evaluation process suspends itself and the image's
   * own processes carry on (no error within a short budget). */
  s = st_interp_run (vm, 200000, 2, &error);
  g_assert_no_error (error);
  g_assert_true (s == ST_RUN_BYTECODE_LIMIT || s == ST_RUN_TIME_LIMIT || s == ST_RUN_IDLE);
  st_vm_free (vm);
}

static void test_eval_mini (void) { eval_case ("squeak-mini", "mini.image", "(1 to: 10) inject: 0 into: [:a :b | a + b]", "55"); }
static void test_eval_mini_float (void) { eval_case ("squeak-mini", "mini.image", "3.5 * 2 + 1.0e-10", "7.0000000001"); }
static void test_eval_cuis (void) { eval_case ("cuis4.1", "Cuis4.1-1544-reduced.image", "[:x | x * x] value: 12", "144"); }
static void test_eval_cuis_large (void) { eval_case ("cuis3.1r3", "Cuis3.1r3.image", "30 factorial", "265252859812191058636308480000000"); }
static void test_eval_scratch (void) { eval_case ("scratch", "Scratch.image", "Smalltalk version", "'MIT Squeak 0.9.4 (June 1, 2003)'"); }

static void
test_eval_no_compiler (void)
{
  StVM *vm = load_and_init ("pharo8-kernel64", "Pharo.image");
  if (vm == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_assert_false (st_interp_eval (vm, "3 + 4", &error));
  g_assert_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_LOOKUP);
  g_assert_nonnull (strstr (error->message, "Compiler"));
  st_vm_free (vm);
}

/* thaw-cli run: text and JSON. */
static void
test_cli_run (void)
{
  g_autofree char *path = thaw_test_real_image ("squeakjs-headless32", "headless.image");
  if (path == NULL)
    return;
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "run", "--json", "--seconds", "30", path, NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "\"status\": \"quit\""));
  g_assert_nonnull (strstr (out, "3 + 4 = 7"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* A bytecode budget too small to reach the quit: exit 0, status says so. */
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "run", "--bytecodes", "100", path, NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "status: bytecode-limit"));
  g_assert_nonnull (strstr (out, "bytecodes: 100\n"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* After the run the heap is sound (eden and its bridge included). */
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "run", "--gc-check", path, NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "  findings: 0\n"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* --eval, on an image with a compiler. */
  g_autofree char *mini = thaw_test_real_image ("squeak-mini", "mini.image");
  if (mini == NULL)
    return;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "run", "--eval", "3 + 4", "--json", mini, NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "\"status\": \"evaluated\""));
  g_assert_nonnull (strstr (out, "\"eval_result\": \"7\""));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/run/rsqueak-bootstrapped", test_rsqueak_bootstrapped);
  g_test_add_func ("/image/run/squeakjs-headless32", test_squeakjs_headless);
  g_test_add_func ("/image/run/pharo8-kernel64", test_pharo8_kernel);
  g_test_add_func ("/image/run/bounded/squeak-mini", test_bounded_mini);
  g_test_add_func ("/image/run/bounded/squeakjs-benchmark", test_bounded_benchmark);
  g_test_add_func ("/image/run/bounded/scratch", test_bounded_scratch);
  g_test_add_func ("/image/run/bounded/cpnode-tiny32", test_bounded_cpnode);
  g_test_add_func ("/image/run/cli", test_cli_run);
  g_test_add_func ("/image/run/damaged-random", test_damaged_random);
  g_test_add_func ("/image/run/eval/squeak-mini", test_eval_mini);
  g_test_add_func ("/image/run/eval/squeak-mini-float", test_eval_mini_float);
  g_test_add_func ("/image/run/eval/cuis4.1", test_eval_cuis);
  g_test_add_func ("/image/run/eval/cuis3.1-large-integers", test_eval_cuis_large);
  g_test_add_func ("/image/run/eval/scratch", test_eval_scratch);
  g_test_add_func ("/image/run/eval/no-compiler", test_eval_no_compiler);
  return g_test_run ();
}
