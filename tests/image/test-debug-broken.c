/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The debugger's acceptance scenarios on Cuis 4.1, as a new user would
 * try them with thaw-cli:
 *
 *  - quit-at-startup: an image made with `thaw-cli edit` whose resumed
 *    snapshot context takes the quit branch (andQuit true, resuming
 *    false: `self quitPrimitive`).  `break prim 113` finds the culprit,
 *    a rewind to the startup checkpoint and one `set` repair it, `save`
 *    writes it, and `thaw-cli run` shows the saved image starts normally;
 *  - loop-at-startup: an image whose startup method sends #idleProcess
 *    to ProcessorScheduler (two literals edited) instead of `Cursor
 *    normal`, so the startup process never leaves `[true] whileTrue:`.
 *    A paused run shows where, the literals are repaired, the image saved
 *    and run;
 *  - rewind-same-sends: checkpoint mid-run, trace the sends of a run with
 *    collections in it, rewind, run again: the same sends in the same
 *    order;
 *  - checkpoint-file: `checkpoint FILE` and `thaw-cli debug --resume FILE`
 *    go on from the same count. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "debug.h"
#include "gc.h"
#include "image-read.h"
#include "interp.h"
#include "path.h"
#include "support.h"

#define CUIS_DIR "cuis4.1"
#define CUIS_FILE "Cuis4.1-1544-reduced.image"
#define STARTUP "SystemDictionary>>snapshot:andQuit:embedded:"

/* Run thaw-cli debug IMAGE (or --resume IMAGE) with a script; the JSON output. */
static char *
debug_session (const char *dir, const char *image, bool resume, const char *script, int *status)
{
  g_autofree char *path = g_build_filename (dir, "session.txt", NULL);
  g_assert_true (g_file_set_contents (path, script, -1, NULL));
  char *out = NULL;
  g_autofree char *err = NULL;
  if (resume)
    g_assert_true (thaw_test_run_cli (&out, &err, status, "debug", "--resume", image, "-x", path, "--json",
                                      "--seconds", "2", NULL));
  else
    g_assert_true (thaw_test_run_cli (&out, &err, status, "debug", image, "-x", path, "--json", "--seconds", "2",
                                      NULL));
  if (*status != 0)
    g_test_message ("debug session exit %d:\n%s\n%s", *status, out, err);
  return out;
}

/* `thaw-cli run IMAGE --seconds N`: the status and the bytecode count. */
static char *
run_image (const char *image, const char *seconds, uint64_t *bytecodes)
{
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "run", image, "--seconds", seconds, NULL));
  const char *s = strstr (out, "status: ");
  const char *b = strstr (out, "bytecodes: ");
  g_assert_nonnull (s);
  g_assert_nonnull (b);
  *bytecodes = g_ascii_strtoull (b + strlen ("bytecodes: "), NULL, 10);
  const char *e = strchr (s, '\n');
  return g_strndup (s + strlen ("status: "), e ? (gsize) (e - s) - strlen ("status: ") : strlen (s));
}

/* The repaired image runs as the original does under the same VM (the
 * same status, at least half as far; more than 10000 bytecodes either way). */
static void
assert_starts_normally (const char *original, const char *repaired)
{
  /* the original copied beside the repaired one: no .changes or sources
   * beside either, which changes Cuis's startup */
  g_autofree char *dir = g_path_get_dirname (repaired);
  g_autofree char *copy = g_build_filename (dir, "original.image", NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (original, &data, &len, NULL));
  g_assert_true (g_file_set_contents (copy, data, (gssize) len, NULL));
  uint64_t n0 = 0, n1 = 0;
  g_autofree char *s0 = run_image (copy, "3", &n0);
  g_autofree char *s1 = run_image (repaired, "3", &n1);
  g_test_message ("original: %s after %" G_GUINT64_FORMAT " bytecodes; repaired: %s after %" G_GUINT64_FORMAT,
                  s0, n0, s1, n1);
  g_assert_cmpstr (s1, ==, s0);
  g_assert_cmpstr (s1, !=, "quit");
  g_assert_cmpuint (n1, >, 10000);
  g_assert_cmpuint (n1, >=, n0 / 2);
}

static void
edit_image (const char *image, const char *out, const char *set1, const char *set2)
{
  g_autofree char *o = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&o, &err, &status, "edit", image, "-s", set1, "-s", set2, "-o", out, NULL));
  if (status != 0)
    g_error ("thaw-cli edit failed (%d): %s %s", status, o, err);
}

static void
test_quit_at_startup (void)
{
  g_autofree char *cuis = thaw_test_real_image (CUIS_DIR, CUIS_FILE);
  if (cuis == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *broken = g_build_filename (dir, "quits.image", NULL);
  g_autofree char *fixed = g_build_filename (dir, "quits-fixed.image", NULL);
  /* The resumed context is after `resuming := self snapshotPrimitive`:
   * temp 1 (andQuit) true and the primitive's answer (stack top) false
   * take the `self quitPrimitive` branch. */
  edit_image (cuis, broken, "Processor.activeProcess.suspendedContext.7=true",
              "Processor.activeProcess.suspendedContext.11=false");
  uint64_t bytecodes = 0;
  g_autofree char *st = run_image (broken, "5", &bytecodes);
  g_test_message ("broken image: %s after %" G_GUINT64_FORMAT " bytecodes", st, bytecodes);
  g_assert_cmpstr (st, ==, "quit");
  g_assert_cmpuint (bytecodes, <, 100);

  g_autofree char *script = g_strdup_printf ("checkpoint\nbreak prim 113\nrun\nbt 3\nprint thisContext.7\n"
                                             "print thisContext.11\nrewind 1\nset thisContext.11=true\nsave %s\n",
                                             fixed);
  int status = -1;
  g_autofree char *out = debug_session (dir, broken, false, script, &status);
  g_assert_cmpint (status, ==, 0);
  /* halted before the quit primitive, in the startup method's quit branch */
  g_assert_nonnull (strstr (out, "\"halt\": \"primitive\""));
  g_assert_nonnull (strstr (out, "before primitive 113 (SystemDictionary>>quitPrimitive) runs"));
  g_assert_nonnull (strstr (out, "\"frame\": \"" STARTUP " [pc 349]\""));
  g_assert_nonnull (strstr (out, "\"halt\": \"rewound\""));
  g_assert_nonnull (strstr (out, "slot 11: false -> true"));
  g_assert_nonnull (strstr (out, "\"saved\""));

  assert_starts_normally (cuis, fixed);
  thaw_test_rmdir (dir);
}

static char *
binding_address (StVM *vm, StPrinter *p, const char *path_or_global, bool global)
{
  StOop binding = 0, value = 0;
  if (global)
    g_assert_true (st_path_global (p, path_or_global, &binding, &value));
  else
    {
      StPathTarget t;
      g_autoptr (GError) error = NULL;
      g_assert_true (st_path_resolve (p, path_or_global, &t, &error));
      binding = t.value;
    }
  (void) vm;
  g_assert_cmphex (binding, !=, 0);
  return g_strdup_printf ("@0x%" G_GINT64_MODIFIER "x", (guint64) binding);
}

static void
test_loop_at_startup (void)
{
  g_autofree char *cuis = thaw_test_real_image (CUIS_DIR, CUIS_FILE);
  if (cuis == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *broken = g_build_filename (dir, "loops.image", NULL);
  g_autofree char *fixed = g_build_filename (dir, "loops-fixed.image", NULL);
  /* Addresses of the two bindings, as the CLI will see them (the same
   * file loads at the same addresses). */
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (cuis, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  StPrinter *p = st_printer_new (vm);
  g_autofree char *scheduler = binding_address (vm, p, "ProcessorScheduler", true);
  g_autofree char *cursor = binding_address (vm, p, STARTUP ".32", false);
  st_printer_free (p);
  st_vm_free (vm);

  /* `Cursor normal show` becomes `ProcessorScheduler idleProcess show`:
   * [true] whileTrue: [self relinquishProcessorForMicroseconds: 1000] */
  g_autofree char *set1 = g_strdup_printf (STARTUP ".32=%s", scheduler);
  edit_image (cuis, broken, set1, STARTUP ".37=#idleProcess");
  uint64_t bytecodes = 0;
  g_autofree char *st = run_image (broken, "2", &bytecodes);
  g_test_message ("broken image: %s after %" G_GUINT64_FORMAT " bytecodes", st, bytecodes);
  g_assert_cmpstr (st, !=, "quit");

  /* Pause twice: both times in the same activation of idleProcess, which
   * `finish` cannot get out of either. */
  g_autofree char *script = g_strdup_printf ("checkpoint\nrun\nbt 2\nprint thisContext\nrun\nprint thisContext\n"
                                             "finish\nrewind 1\nset " STARTUP ".32=%s\nset " STARTUP ".37=#normal\n"
                                             "save %s\n", cursor, fixed);
  int status = -1;
  g_autofree char *out = debug_session (dir, broken, false, script, &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "\"frame\": \"ProcessorScheduler class>>idleProcess"));
  g_assert_nonnull (strstr (out, "\"frame\": \"" STARTUP " [pc 353]\""));
  /* the two pauses print the same context */
  const char *first = strstr (out, "\"command\": \"print thisContext\"");
  g_assert_nonnull (first);
  const char *second = strstr (first + 1, "\"command\": \"print thisContext\"");
  g_assert_nonnull (second);
  const char *v1 = strstr (first, "\"value\": ");
  const char *v2 = strstr (second, "\"value\": ");
  g_assert_nonnull (v1);
  g_assert_nonnull (v2);
  g_assert_true (strncmp (v1, v2, 30) == 0);
  g_assert_nonnull (strstr (out, "\"halt\": \"rewound\""));
  g_assert_nonnull (strstr (out, "-> #normal"));
  g_assert_nonnull (strstr (out, "\"saved\""));
  /* finish timed out: the loop never returns */
  const char *fin = strstr (out, "\"command\": \"finish\"");
  g_assert_nonnull (fin);
  g_assert_nonnull (strstr (fin, "\"status\": \"time-limit\""));

  assert_starts_normally (cuis, fixed);
  thaw_test_rmdir (dir);
}

static char *
traced_run (StDebug *d, StVM *vm, const char *file, uint64_t n_bytecodes)
{
  FILE *f = fopen (file, "w");
  g_assert_nonnull (f);
  st_interp_trace_sends (vm, 1000000, f);
  g_autoptr (GError) error = NULL;
  StRunStatus s = st_debug_continue (d, n_bytecodes, 60, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_BYTECODE_LIMIT);
  st_interp_trace_sends (vm, 0, NULL);
  fclose (f);
  char *text = NULL;
  g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
  return text;
}

static void
test_rewind_same_sends (void)
{
  g_autofree char *cuis = thaw_test_real_image (CUIS_DIR, CUIS_FILE);
  if (cuis == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *f1 = g_build_filename (dir, "first.txt", NULL);
  g_autofree char *f2 = g_build_filename (dir, "second.txt", NULL);
  /* a small eden: the traced runs include scavenges */
  g_setenv ("THAW_EDEN_KB", "256", TRUE);
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (cuis, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_true (st_interp_init (vm, &error));
  g_unsetenv ("THAW_EDEN_KB");
  StDebug *d = st_debug_new (vm, &error);
  g_assert_no_error (error);
  /* timers fire at the same bytecodes both times */
  st_debug_set_virtual_clock (d, 100);
  g_assert_cmpint (st_debug_continue (d, 20000, 60, &error), ==, ST_RUN_BYTECODE_LIMIT);
  g_assert_true (st_debug_checkpoint (d, &error));
  g_assert_no_error (error);
  uint64_t sends0 = st_interp_stats (vm)->sends;
  uint64_t gcs0 = st_gc_stats (vm)->scavenges + st_gc_stats (vm)->full_gcs;
  g_autofree char *a = traced_run (d, vm, f1, 60000);
  uint64_t sends1 = st_interp_stats (vm)->sends;
  uint64_t gcs1 = st_gc_stats (vm)->scavenges + st_gc_stats (vm)->full_gcs;
  StOop ctx1;
  uint64_t pc1;
  g_assert_true (st_debug_where (d, &ctx1, NULL, &pc1, NULL));
  g_assert_true (st_debug_rewind (d, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (st_interp_stats (vm)->sends, ==, sends0);
  g_autofree char *b = traced_run (d, vm, f2, 60000);
  uint64_t sends2 = st_interp_stats (vm)->sends;
  StOop ctx2;
  uint64_t pc2;
  g_assert_true (st_debug_where (d, &ctx2, NULL, &pc2, NULL));
  guint lines = 0;
  for (const char *c = a; *c; c++)
    lines += *c == '\n';
  g_test_message ("%u sends traced, %" G_GUINT64_FORMAT " collections in the first run", lines, gcs1 - gcs0);
  g_assert_cmpuint (gcs1, >, gcs0);
  g_assert_cmpuint (lines, >, 1000);
  if (strcmp (a, b) != 0)
    {
      guint line = 1;
      const char *x = a, *y = b;
      while (*x && *x == *y)
        {
          line += *x == '\n';
          x++, y++;
        }
      g_test_message ("the traces differ at line %u: %.200s | %.200s", line, x, y);
    }
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpuint (sends1 - sends0, ==, sends2 - sends0);
  g_assert_cmpuint (pc1, ==, pc2);
  st_debug_free (d);
  st_vm_free (vm);
  thaw_test_rmdir (dir);
}

static void
test_checkpoint_file (void)
{
  g_autofree char *cuis = thaw_test_real_image (CUIS_DIR, CUIS_FILE);
  if (cuis == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *cp = g_build_filename (dir, "cp.image", NULL);
  g_autofree char *script = g_strdup_printf ("run 30000\ncheckpoint %s\nstep 3\n", cp);
  int status = -1;
  g_autofree char *out = debug_session (dir, cuis, false, script, &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "\"checkpoint_file\""));
  g_autofree char *state = g_strconcat (cp, ".state", NULL);
  g_assert_true (g_file_test (state, G_FILE_TEST_EXISTS));
  g_autofree char *out2 = debug_session (dir, cp, true, "where\nrun 1000\n", &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out2, "resumed from checkpoint file"));
  g_assert_nonnull (strstr (out2, "\"bytecodes\": 31000"));
  thaw_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/debug-broken/quit-at-startup", test_quit_at_startup);
  g_test_add_func ("/image/debug-broken/loop-at-startup", test_loop_at_startup);
  g_test_add_func ("/image/debug-broken/rewind-same-sends", test_rewind_same_sends);
  g_test_add_func ("/image/debug-broken/checkpoint-file", test_checkpoint_file);
  return g_test_run ();
}
