/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Startups that must run clean (or as far as Thaw can take them): Debian's
 * Scratch.image reaches its
 * editor with no error reaching the image's notifier (identity hashes of
 * 0 in V3 images stay 0: Scratch's font dictionary holds such a key; a
 * VM without a sound device still stops sound), also at a window's
 * screen size. */
#include "config.h"

#include <string.h>

#include "image-read.h"
#include "interp.h"
#include "support.h"

/* A breakpoint where Scratch's Squeak opens its error notifier (Object>>error:
 * outside an ifError: block ends there), then 15 s of running: the run
 * ends on the time limit, not on the breakpoint.  (Before the V3 hash and
 * SoundPlugin fixes it halted there within 6 million bytecodes.) */
static void
test_scratch_no_errors (void)
{
  g_autofree char *path = thaw_test_real_image ("scratch", "Scratch.image");
  if (path == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *script = g_build_filename (dir, "script", NULL);
  g_assert_true (g_file_set_contents (script, "break Debugger class>>openContext:label:contents:\nrun\nbt\nquit\n", -1, NULL));
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "debug", "--seconds", "15", "-x", script, path, NULL));
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "status: time-limit"));
  g_assert_null (strstr (out, "errorKeyNotFound"));
  g_assert_null (strstr (out, "primitiveFailed"));
  thaw_test_rmdir (dir);
}

/* The key whose V3 identity hash is 0 is found, and hashes the image sees
 * are 12 bits. */
static void
test_scratch_hash_zero (void)
{
  g_autofree char *path = thaw_test_real_image ("scratch", "Scratch.image");
  if (path == NULL)
    return;
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "run", "--screen", "1090x620", "--eval",
                                    "(ScratchFrameMorph getFont: #LibraryItemName) printString, ' ', "
                                    "(Object new identityHash < 4096) printString",
                                    path, NULL));
  g_test_message ("%s", out);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "eval_result: 'a StrikeFont(VerdanaBold 9) true'\n"));
}

/* CodeParadise's tiny client image runs its startup on CpSystemPlugin's
 * string and symbol primitives up to where it connects to its server over
 * a WebSocket (a JavaScript environment Thaw does not provide). */
static void
test_cpnode_until_server (void)
{
  g_autofree char *path = thaw_test_real_image ("cpnode-tiny32", "client-environment.image");
  if (path == NULL)
    return;
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "run", "--seconds", "3", path, NULL));
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "Creating Symbol table"));
  g_assert_nonnull (strstr (out, "Creating client environment and starting communication"));
  g_assert_null (strstr (out, "primitiveSymbolFromString"));
  g_assert_null (strstr (out, "primitiveStringConcatenate"));
  g_assert_nonnull (strstr (out, "primitiveWebSocketConnectToUrl:withEventSemaphore:"));
}

/* Starting the interpreter enters only classes in the class table: older
 * images keep other objects where later ones have the closure classes
 * (Scratch: a BlockContext), which once became class-table entries the
 * checker reported. */
static void
init_adds_no_finding (const char *folder, const char *file)
{
  g_autofree char *path = thaw_test_real_image (folder, file);
  if (path == NULL)
    return;
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "run", "--gc-check", "--bytecodes", "1000", path, NULL));
  g_test_message ("%s", out);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "\n  findings_before_run: 0\n"));
  g_assert_nonnull (strstr (out, "\n  findings: 0\n"));
}

static void test_init_scratch (void) { init_adds_no_finding ("scratch", "Scratch.image"); }
static void test_init_mini (void) { init_adds_no_finding ("squeak-mini", "mini.image"); }

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/startup/scratch-no-errors", test_scratch_no_errors);
  g_test_add_func ("/image/startup/scratch-hash-zero", test_scratch_hash_zero);
  g_test_add_func ("/image/startup/cpnode-until-server", test_cpnode_until_server);
  g_test_add_func ("/image/startup/init-adds-no-finding/scratch", test_init_scratch);
  g_test_add_func ("/image/startup/init-adds-no-finding/squeak-mini", test_init_mini);
  return g_test_run ();
}
