/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The debugger through the engine thread (st_host_debug) on Cuis 4.1:
 * attached halted before the first bytecode, with a copy of the heap in
 * which the active process's stack starts at the halted context; steps
 * land where the engine's own debugger lands (debug-script's text output
 * says so too); a breakpoint met during an ordinary run (st_host_run)
 * pauses the host and posts a DEBUG message instead of halting it;
 * checkpoint and rewind; the command language's text form. */
#include "config.h"

#include <string.h>

#include "debug-script.h"
#include "host.h"
#include "image-read.h"
#include "interp.h"
#include "process.h"
#include "support.h"

#define STARTUP_METHOD "SystemDictionary>>snapshot:andQuit:embedded:"

typedef struct {
  GPtrArray *debug;    /* StHostMessage * (DEBUG), referenced */
  StHostState last_state;
} Seen;

static void
on_message (const StHostMessage *msg, gpointer data)
{
  Seen *seen = data;
  seen->last_state = msg->state;
  if (msg->kind == ST_HOST_MSG_DEBUG)
    g_ptr_array_add (seen->debug, st_host_message_ref ((StHostMessage *) msg));
}

/* A host on Cuis 4.1 with its UI context and the DEBUG messages seen. */
typedef struct {
  GMainContext *ui;
  Seen seen;
  guint n;             /* messages of seen.debug already looked at */
  StHost *host;
} Session;

/* FALSE (nothing to free) when the image is not installed. */
static gboolean
session_open (Session *t)
{
  g_autofree char *path = thaw_test_real_image ("cuis4.1", "Cuis4.1-1544-reduced.image");
  if (path == NULL)
    return FALSE;
  t->ui = g_main_context_new ();
  t->seen = (Seen) { g_ptr_array_new_with_free_func ((GDestroyNotify) st_host_message_unref), 0 };
  t->n = 0;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  StHostOptions options = { 0 };
  t->host = st_host_new (vm, t->ui, on_message, &t->seen, &options, &error);
  g_assert_no_error (error);
  return TRUE;
}

static void
session_close (Session *t)
{
  st_host_free (t->host);
  g_ptr_array_unref (t->seen.debug);
  g_main_context_unref (t->ui);
}

/* Wait (iterating the UI context) for the next DEBUG message. */
static const StHostMessage *
next_debug (Session *t, double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * 1e6);
  while (t->seen.debug->len <= t->n && g_get_monotonic_time () < end)
    g_main_context_iteration (t->ui, FALSE) || (g_usleep (2000), TRUE);
  if (t->seen.debug->len <= t->n)
    return NULL;
  return g_ptr_array_index (t->seen.debug, t->n++);
}

/* Send a debugger command and wait for its DEBUG message (asserted). */
static const StHostMessage *
command (Session *t, const char *text)
{
  st_host_debug (t->host, text);
  const StHostMessage *m = next_debug (t, 30);
  g_assert_nonnull (m);
  return m;
}

static void
test_startup_steps_copy (void)
{
  Session t;
  if (!session_open (&t))
    return;
  const StHostMessage *m = command (&t, "");
  g_assert_null (m->debug_error);
  g_assert_true (g_str_has_prefix (m->debug_reason, "startup"));
  g_assert_cmpstr (m->debug_method, ==, STARTUP_METHOD);
  g_assert_cmpuint (m->debug_pc, ==, 332);   /* as thaw-cli debug says at startup */
  g_assert_cmpuint (m->bytecodes, ==, 0);
  g_assert_nonnull (m->debug_vm);
  /* the copy: its active process is suspended at the halted context */
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) procs = st_process_list (m->debug_vm, 50, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (procs->len, >=, 1);
  const StProcessInfo *active = g_ptr_array_index (procs, 0);
  g_assert_cmpstr (active->found_in, ==, "activeProcess");
  g_assert_cmpuint (active->frames->len, >=, 5);
  const StFrame *top = g_ptr_array_index (active->frames, 0);
  g_assert_cmpuint (top->address, ==, m->debug_context);
  g_assert_nonnull (strstr (top->print, "snapshot:andQuit:embedded: [pc 332]"));

  /* three steps, one command: the pcs thaw-cli reports (334, 338, 339) */
  m = command (&t, "step 3");
  g_assert_null (m->debug_error);
  g_assert_cmpstr (m->debug_command, ==, "step 3");
  g_assert_nonnull (strstr (m->debug_output, "steps: 3\n"));
  g_assert_nonnull (strstr (m->debug_output, "pc: 339\n"));
  g_assert_cmpuint (m->debug_pc, ==, 339);
  g_assert_cmpuint (m->bytecodes, ==, 3);
  g_assert_true (g_str_has_prefix (m->debug_reason, "step"));
  g_assert_cmpint (st_host_state (t.host), ==, ST_HOST_STATE_PAUSED);

  /* a failed command says why, and the session goes on */
  m = command (&t, "break NoSuchSelectorAnywhere:");
  g_assert_nonnull (m->debug_error);
  g_assert_nonnull (m->debug_vm);
  g_assert_cmpuint (g_strv_length (m->debug_breakpoints), ==, 0);

  /* checkpoint, one step, rewind: back at pc 339 after 3 bytecodes */
  m = command (&t, "checkpoint");
  g_assert_cmpuint (g_strv_length (m->debug_checkpoints), ==, 1);
  g_assert_true (g_str_has_prefix (m->debug_checkpoints[0], "1: " STARTUP_METHOD " pc 339"));
  m = command (&t, "step");
  g_assert_cmpuint (m->bytecodes, ==, 4);
  m = command (&t, "rewind");
  g_assert_null (m->debug_error);
  g_assert_true (g_str_has_prefix (m->debug_reason, "rewound"));
  g_assert_cmpuint (m->debug_pc, ==, 339);
  g_assert_cmpuint (m->bytecodes, ==, 3);

  session_close (&t);
}

/* A breakpoint met while the host runs as usual (st_host_run): paused,
 * not halted, with a DEBUG message; the run goes on afterwards. */
static void
test_breakpoint_while_running (void)
{
  Session t;
  if (!session_open (&t))
    return;
  /* ByteArray class>>withAll: runs during Cuis's startup (thaw-cli debug:
   * on the stack after 20000 bytecodes, not at startup) */
  const StHostMessage *m = command (&t, "break withAll:");
  g_assert_null (m->debug_error);
  g_assert_cmpuint (g_strv_length (m->debug_breakpoints), ==, 1);
  g_assert_true (g_str_has_prefix (m->debug_breakpoints[0], "1 withAll: (hits 0)"));
  st_host_run (t.host);
  m = next_debug (&t, 60);
  g_assert_nonnull (m);
  g_assert_cmpstr (m->debug_command, ==, "");
  g_assert_true (g_str_has_prefix (m->debug_reason, "breakpoint"));
  g_assert_true (g_str_has_suffix (m->debug_method, ">>withAll:"));
  g_assert_nonnull (m->debug_vm);
  g_assert_cmpint (m->state, ==, ST_HOST_STATE_PAUSED);
  g_assert_cmpint (st_host_state (t.host), ==, ST_HOST_STATE_PAUSED);
  g_assert_true (g_str_has_prefix (m->debug_breakpoints[0], "1 withAll: (hits 1)"));
  uint64_t at = m->bytecodes;
  g_assert_cmpuint (at, >, 100);

  /* delete it and run on: the image keeps running (not halted) */
  m = command (&t, "delete 1");
  g_assert_cmpuint (g_strv_length (m->debug_breakpoints), ==, 0);
  st_host_debug (t.host, "continue");
  gint64 end = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (t.ui, FALSE) || (g_usleep (2000), TRUE);
  StHostState s = st_host_state (t.host);
  g_assert_true (s == ST_HOST_STATE_RUNNING || s == ST_HOST_STATE_IDLE);
  m = command (&t, "pause");
  g_assert_cmpstr (m->debug_reason, ==, "paused");
  g_assert_cmpuint (m->bytecodes, >, at);
  g_assert_nonnull (m->debug_vm);

  session_close (&t);
}

/* The command language in its text form, straight on an StDebug. */
static void
test_script_text (void)
{
  g_autofree char *path = thaw_test_real_image ("cuis4.1", "Cuis4.1-1544-reduced.image");
  if (path == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_true (st_interp_init (vm, &error));
  StDebug *d = st_debug_new (vm, &error);
  g_assert_no_error (error);
  StDebugScript *s = st_debug_script_new (d, 10, NULL, NULL);
  GString *out = g_string_new (NULL);
  g_assert_true (st_debug_run_command (s, "where", out, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (out->str, "command: where\nhalt: startup\n"));
  g_assert_nonnull (strstr (out->str, "method: " STARTUP_METHOD "\n"));
  g_assert_nonnull (strstr (out->str, "pc: 332\ninstruction: storeIntoTemp: 3\n"));
  g_string_truncate (out, 0);
  g_assert_true (st_debug_run_command (s, "bt 2", out, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (out->str, "frames:\n  - context: 0x"));
  g_assert_nonnull (strstr (out->str, "  frame: SystemDictionary>>snapshot:andQuit: [pc 75]\n"));
  g_string_truncate (out, 0);
  /* a failing command: the error, and the session goes on */
  g_assert_true (st_debug_run_command (s, "delete 99", out, &error));
  g_assert_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "99"));
  g_clear_error (&error);
  /* an unknown command ends the session */
  g_assert_false (st_debug_run_command (s, "frobnicate", out, &error));
  g_assert_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_SYNTAX);
  g_clear_error (&error);
  g_assert_false (st_debug_run_command (s, "quit", out, &error));
  g_assert_no_error (error);
  g_assert_true (st_debug_script_failed (s));
  g_string_free (out, TRUE);
  st_debug_script_free (s);
  st_debug_free (d);
  st_vm_free (vm);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/host-debug/startup-steps-copy", test_startup_steps_copy);
  g_test_add_func ("/image/host-debug/breakpoint-while-running", test_breakpoint_while_running);
  g_test_add_func ("/image/host-debug/script-text", test_script_text);
  return g_test_run ();
}
