/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The debugger on a real image (Cuis 4.1): halted at startup, 100 single
 * steps, each checked against the disassembly of the method it lands in:
 * the pc is the start of an instruction, and where the instruction's
 * effect is simple the pc and the stack depth follow it.  Then the same
 * session through `thaw-cli debug -x SCRIPT`. */
#include "config.h"

#include <string.h>

#include "debug.h"
#include "disasm.h"
#include "image-read.h"
#include "interp.h"
#include "support.h"

/* The disassembly line at heap pc, or NULL when pc starts no instruction. */
static const StDisasmLine *
line_at (StDisasm *d, uint64_t heap_pc)
{
  for (guint i = 0; i < d->lines->len; i++)
    {
      const StDisasmLine *l = &g_array_index (d->lines, StDisasmLine, i);
      if (l->offset == heap_pc)
        {
          g_assert_true (l->is_current);
          return l;
        }
    }
  return NULL;
}

/* The stack effect of an instruction that stays in its context, or
 * G_MININT when it is not simple. */
static int
simple_effect (const StBcInstr *in)
{
  switch (in->op)
    {
    case ST_OP_PUSH_RCVR_VAR: case ST_OP_PUSH_TEMP: case ST_OP_PUSH_LIT_CONST: case ST_OP_PUSH_LIT_VAR:
    case ST_OP_PUSH_SELF: case ST_OP_PUSH_TRUE: case ST_OP_PUSH_FALSE: case ST_OP_PUSH_NIL:
    case ST_OP_PUSH_INT: case ST_OP_PUSH_CHAR: case ST_OP_PUSH_THIS_CONTEXT: case ST_OP_PUSH_REMOTE_TEMP:
    case ST_OP_DUP: case ST_OP_PUSH_NEW_ARRAY:
      return 1;
    case ST_OP_POP: case ST_OP_POP_STORE_RCVR_VAR: case ST_OP_POP_STORE_TEMP: case ST_OP_POP_STORE_LIT_VAR:
    case ST_OP_POP_STORE_REMOTE_TEMP:
      return -1;
    case ST_OP_STORE_RCVR_VAR: case ST_OP_STORE_TEMP: case ST_OP_STORE_LIT_VAR: case ST_OP_STORE_REMOTE_TEMP:
      return 0;
    default:
      return G_MININT;
    }
}

static void
test_cuis_step_100 (void)
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
  g_assert_cmpint (st_debug_halt_reason (d), ==, ST_DEBUG_HALT_STARTUP);
  g_assert_cmpuint (st_interp_stats (vm)->bytecodes, ==, 0);
  StPrinter *p = st_debug_printer (d);

  StOop ctx0, m0;
  uint64_t pc0;
  int64_t sp0;
  g_assert_true (st_debug_where (d, &ctx0, &m0, &pc0, &sp0));
  guint simple = 0, sends_in_place = 0, jumps = 0, switches = 0;
  for (guint step = 0; step < 100; step++)
    {
      g_autoptr (StDisasm) before = st_disasm_method (p, m0, (int64_t) pc0 + 1, false, &error);
      g_assert_no_error (error);
      const StDisasmLine *l = line_at (before, pc0);
      if (l == NULL)
        g_error ("step %u: pc %" G_GUINT64_FORMAT " of %s starts no instruction", step, pc0, before->title);
      StBcInstr in = l->instr;
      guint len = l->length;

      g_assert_cmpint (st_debug_step (d, &error), ==, ST_RUN_TRAP);
      g_assert_no_error (error);
      g_assert_cmpint (st_debug_halt_reason (d), ==, ST_DEBUG_HALT_STEP);
      g_assert_cmpuint (st_interp_stats (vm)->bytecodes, ==, step + 1);

      StOop ctx1, m1;
      uint64_t pc1;
      int64_t sp1;
      g_assert_true (st_debug_where (d, &ctx1, &m1, &pc1, &sp1));
      g_autoptr (StDisasm) after = st_disasm_method (p, m1, (int64_t) pc1 + 1, false, &error);
      g_assert_no_error (error);
      if (line_at (after, pc1) == NULL)
        g_error ("step %u: after %s the pc %" G_GUINT64_FORMAT " of %s starts no instruction", step,
                 l->mnemonic, pc1, after->title);
      /* The context's own slots agree with the registers. */
      g_assert_cmphex (st_fetch (vm, ctx1, 1), ==, st_smallint_oop ((int64_t) pc1 + 1));
      g_assert_cmphex (st_fetch (vm, ctx1, 2), ==, st_smallint_oop (sp1));

      if (ctx1 != ctx0)
        switches++;
      else
        {
          int effect = simple_effect (&in);
          if (effect != G_MININT)
            {
              g_assert_cmpint (sp1, ==, sp0 + effect);
              g_assert_cmpuint (pc1, ==, pc0 + len);
              simple++;
            }
          else if (in.op == ST_OP_JUMP || in.op == ST_OP_JUMP_TRUE || in.op == ST_OP_JUMP_FALSE)
            {
              uint64_t next = pc0 + len;
              g_assert_true (pc1 == next || pc1 == (uint64_t) ((int64_t) next + in.a));
              g_assert_cmpint (sp1, ==, sp0 - (in.op == ST_OP_JUMP ? 0 : 1));
              jumps++;
            }
          else if (in.op == ST_OP_SEND || in.op == ST_OP_SEND_SPECIAL || in.op == ST_OP_SUPER_SEND)
            {
              /* answered in place (a primitive or an inlined special
               * selector): receiver and arguments replaced by the result */
              int64_t argc = in.b;
              if (in.op == ST_OP_SEND_SPECIAL)
                {
                  guint n = 0;
                  g_free (st_special_selector (p, (guint) in.a, &n));
                  argc = n;
                }
              g_assert_cmpint (sp1, ==, sp0 - argc);
              g_assert_cmpuint (pc1, ==, pc0 + len);
              sends_in_place++;
            }
        }
      ctx0 = ctx1, m0 = m1, pc0 = pc1, sp0 = sp1;
    }
  g_test_message ("100 steps: %u simple, %u jumps, %u sends answered in place, %u context changes", simple, jumps,
                  sends_in_place, switches);
  g_assert_cmpuint (simple, >=, 30);
  g_assert_cmpuint (simple + jumps + sends_in_place + switches, >=, 90);
  st_debug_free (d);
  st_vm_free (vm);
}

/* A selector breakpoint and finish on the real image. */
static void
test_cuis_break_finish (void)
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
  g_assert_cmpuint (st_debug_break_selector (d, "startUp:", &error), >, 1);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_continue (d, 2000000, 30, &error), ==, ST_RUN_TRAP);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_halt_reason (d), ==, ST_DEBUG_HALT_BREAKPOINT);
  StOop ctx, m;
  uint64_t pc;
  g_assert_true (st_debug_where (d, &ctx, &m, &pc, NULL));
  g_autofree char *name = st_interp_method_name (vm, m);
  g_test_message ("halted at %s after %" G_GUINT64_FORMAT " bytecodes", name, st_interp_stats (vm)->bytecodes);
  g_assert_true (g_str_has_suffix (name, ">>startUp:"));
  StMethodHeader h;
  g_assert_true (st_method_header (vm, m, &h, NULL));
  g_assert_cmpuint (pc, ==, h.initial_pc);
  StOop sender = st_fetch (vm, ctx, 0);
  st_debug_clear_breakpoints (d);
  g_assert_cmpint (st_debug_finish (d, 2000000, 30, &error), ==, ST_RUN_TRAP);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_halt_reason (d), ==, ST_DEBUG_HALT_RETURNED);
  g_assert_cmphex (st_fetch (vm, ctx, 1), ==, vm->nil_obj);
  StOop now;
  g_assert_true (st_debug_where (d, &now, NULL, NULL, NULL));
  g_assert_cmphex (now, ==, sender);
  st_debug_free (d);
  st_vm_free (vm);
}

/* Checkpoint at startup, 2000 steps, rewind, the same 2000 steps again:
 * every position is the same the second time. */
static void
test_cuis_rewind (void)
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
  g_assert_true (st_debug_checkpoint (d, &error));
  g_assert_no_error (error);
  enum { N = 2000 };
  g_autofree uint64_t *seen = g_new0 (uint64_t, 3 * N);
  for (int round = 0; round < 2; round++)
    {
      for (guint i = 0; i < N; i++)
        {
          g_assert_cmpint (st_debug_step (d, &error), ==, ST_RUN_TRAP);
          g_assert_no_error (error);
          StOop ctx;
          uint64_t pc;
          int64_t sp;
          g_assert_true (st_debug_where (d, &ctx, NULL, &pc, &sp));
          if (round == 0)
            seen[3 * i] = ctx, seen[3 * i + 1] = pc, seen[3 * i + 2] = (uint64_t) sp;
          else
            {
              g_assert_cmphex (ctx, ==, seen[3 * i]);
              g_assert_cmpuint (pc, ==, seen[3 * i + 1]);
              g_assert_cmpuint ((uint64_t) sp, ==, seen[3 * i + 2]);
            }
        }
      g_assert_cmpuint (st_interp_stats (vm)->bytecodes, ==, N);
      g_assert_true (st_debug_rewind (d, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (st_interp_stats (vm)->bytecodes, ==, 0);
    }
  st_debug_free (d);
  st_vm_free (vm);
}

static void
test_cli_script (void)
{
  g_autofree char *path = thaw_test_real_image ("cuis4.1", "Cuis4.1-1544-reduced.image");
  if (path == NULL)
    return;
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *script = g_build_filename (dir, "session.txt", NULL);
  g_autofree char *saved = g_build_filename (dir, "saved.image", NULL);
  g_autofree char *text = g_strdup_printf ("# a session\nbreak startup\nsave %s\ncheckpoint\nstep 100\nbt 3\n"
                                           "print thisContext.method\nrewind\nfrobnicate\nquit\n", saved);
  g_assert_true (g_file_set_contents (script, text, -1, NULL));
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "debug", path, "-x", script, "--json", NULL));
  g_assert_cmpint (status, ==, 2);   /* the unknown command */
  g_assert_nonnull (strstr (out, "\"halt\": \"startup\""));
  g_assert_nonnull (strstr (out, "\"steps\": 100"));
  g_assert_nonnull (strstr (out, "\"bytecodes\": 100"));
  g_assert_nonnull (strstr (out, "\"frames\""));
  g_assert_nonnull (strstr (out, "unknown command 'frobnicate'"));
  g_assert_null (strstr (out, "\"command\": \"quit\""));
  g_assert_nonnull (strstr (out, "\"saved\""));
  g_assert_nonnull (strstr (out, "\"checkpoint_bytes\""));
  g_assert_nonnull (strstr (out, "\"halt\": \"rewound\""));
  g_assert_nonnull (strstr (out, "\"bytecodes\": 0"));
  /* Saved before any allocation: the file is the original image. */
  g_autofree char *a = NULL, *b = NULL;
  gsize na, nb;
  g_assert_true (g_file_get_contents (path, &a, &na, NULL));
  g_assert_true (g_file_get_contents (saved, &b, &nb, NULL));
  g_assert_cmpuint (na, ==, nb);
  g_assert_true (memcmp (a, b, na) == 0);
  thaw_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/debug/cuis-step-100", test_cuis_step_100);
  g_test_add_func ("/image/debug/cuis-break-finish", test_cuis_break_finish);
  g_test_add_func ("/image/debug/cuis-rewind", test_cuis_rewind);
  g_test_add_func ("/image/debug/cli-script", test_cli_script);
  return g_test_run ();
}
