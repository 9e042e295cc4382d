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
#include "gc.h"
#include "path.h"
#include "process.h"
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
  guint simple = 0, sends_in_place = 0, jumps = 0, switches = 0, activations = 0, returns = 0;
  for (guint step = 0; step < 100; step++)
    {
      g_autoptr (StDisasm) before = st_disasm_method (p, m0, (int64_t) pc0 + 1, false, &error);
      g_assert_no_error (error);
      const StDisasmLine *l = line_at (before, pc0);
      if (l == NULL)
        g_error ("step %u: pc %" G_GUINT64_FORMAT " of %s starts no instruction", step, pc0, before->title);
      StBcInstr in = l->instr;
      guint len = l->length;
      /* where a return from this context lands */
      StOop ret_to = st_fetch (vm, ctx0, 0);
      StOop ret_pc = 0, ret_sp = 0;
      if (st_is_pointer (ret_to) && ret_to != vm->nil_obj)
        ret_pc = st_fetch (vm, ret_to, 1), ret_sp = st_fetch (vm, ret_to, 2);

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
        {
          switches++;
          bool is_send = in.op == ST_OP_SEND || in.op == ST_OP_SEND_SPECIAL || in.op == ST_OP_SUPER_SEND;
          bool is_return = in.op >= ST_OP_RETURN_SELF && in.op <= ST_OP_RETURN_TOP;
          StMethodHeader h1;
          g_assert_true (st_method_header (vm, m1, &h1, NULL));
          if (is_send && st_fetch (vm, ctx1, 0) == ctx0 && pc1 == h1.initial_pc)
            {
              /* a new activation of a method: its temporaries (arguments
               * included) are its whole stack, and the sender resumes
               * after the send with receiver and arguments gone */
              g_assert_cmpint (sp1, ==, (int64_t) h1.num_temps);
              g_assert_cmphex (st_fetch (vm, ctx0, 1), ==, st_smallint_oop ((int64_t) (pc0 + len) + 1));
              activations++;
            }
          else if (is_return && ctx1 == ret_to)
            {
              /* a method return to its sender: the value pushed where the
               * sender left off */
              g_assert_cmpuint (pc1 + 1, ==, (uint64_t) st_smallint_value (ret_pc));
              g_assert_cmpint (sp1, ==, st_smallint_value (ret_sp) + 1);
              returns++;
            }
        }
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
  g_test_message ("100 steps: %u simple, %u jumps, %u sends answered in place, %u context changes (%u activations "
                  "and %u returns checked)", simple, jumps, sends_in_place, switches, activations, returns);
  g_assert_cmpuint (activations, >=, 3);
  g_assert_cmpuint (returns, >=, 3);
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
                                           "print thisContext.method\nbreak startUp:\nbreak prim 113 if Array\n"
                                           "breaks\ndelete 2\nbreaks\nclock virtual\nuntil 99999\ncheckpoints\n"
                                           "rewind\nfrobnicate\nquit\n", saved);
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
  g_assert_nonnull (strstr (out, "\"spec\": \"prim 113 if Array\""));
  g_assert_nonnull (strstr (out, "\"clock_ns_per_bytecode\": 100"));
  g_assert_nonnull (strstr (out, "is outside the bytecodes of the active method"));
  g_assert_nonnull (strstr (out, "\"checkpoints\": ["));
  /* the second breaks lists startUp: only */
  const char *second = strstr (strstr (out, "\"command\": \"delete 2\""), "\"breakpoints\"");
  g_assert_nonnull (second);
  g_assert_null (strstr (second, "prim 113"));
  /* Saved before any allocation: the file is the original image. */
  g_autofree char *a = NULL, *b = NULL;
  gsize na, nb;
  g_assert_true (g_file_get_contents (path, &a, &na, NULL));
  g_assert_true (g_file_get_contents (saved, &b, &nb, NULL));
  g_assert_cmpuint (na, ==, nb);
  g_assert_true (memcmp (a, b, na) == 0);
  thaw_test_rmdir (dir);
}

static StDebug *
cuis_debugger (StVM **vm_out, const char *eden_kb)
{
  g_autofree char *path = thaw_test_real_image ("cuis4.1", "Cuis4.1-1544-reduced.image");
  if (path == NULL)
    return NULL;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  if (eden_kb != NULL)
    g_setenv ("THAW_EDEN_KB", eden_kb, TRUE);
  g_assert_true (st_interp_init (vm, &error));
  g_unsetenv ("THAW_EDEN_KB");
  StDebug *d = st_debug_new (vm, &error);
  g_assert_no_error (error);
  *vm_out = vm;
  return d;
}

static StOop
active_process (StDebug *d)
{
  StPathTarget t;
  g_autoptr (GError) error = NULL;
  g_assert_true (st_path_resolve (st_debug_printer (d), "Processor.activeProcess", &t, &error));
  return t.value;
}

/* Stepping is per process: 22000 steps from startup cross the first
 * process switches (at about 21000 bytecodes), and every step halts in
 * the startup process. */
static void
test_cuis_step_per_process (void)
{
  StVM *vm = NULL;
  StDebug *d = cuis_debugger (&vm, NULL);
  if (d == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StOop p0 = active_process (d);
  guint steps = 0;
  while (st_interp_stats (vm)->process_switches < 2 && steps < 30000)
    {
      g_assert_cmpint (st_debug_step (d, &error), ==, ST_RUN_TRAP);
      g_assert_no_error (error);
      g_assert_cmpint (st_debug_halt_reason (d), ==, ST_DEBUG_HALT_STEP);
      steps++;
      if (st_interp_stats (vm)->process_switches > 0)
        g_assert_cmphex (active_process (d), ==, p0);
    }
  g_test_message ("%u steps, %" G_GUINT64_FORMAT " bytecodes, %" G_GUINT64_FORMAT " process switches", steps,
                  st_interp_stats (vm)->bytecodes, st_interp_stats (vm)->process_switches);
  g_assert_cmpuint (st_interp_stats (vm)->process_switches, >=, 2);
  g_assert_cmpuint (st_interp_stats (vm)->bytecodes, >, steps);   /* the other process ran too */
  g_assert_cmphex (active_process (d), ==, p0);
  st_debug_free (d);
  st_vm_free (vm);
}

/* break switch halts in the process switched to */
static void
test_cuis_break_switch (void)
{
  StVM *vm = NULL;
  StDebug *d = cuis_debugger (&vm, NULL);
  if (d == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StOop p0 = active_process (d);
  g_assert_cmpuint (st_debug_break_add (d, "switch", &error), >, 0);
  g_assert_cmpint (st_debug_continue (d, 2000000, 30, &error), ==, ST_RUN_TRAP);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_halt_reason (d), ==, ST_DEBUG_HALT_SWITCH);
  g_assert_cmpuint (st_interp_stats (vm)->process_switches, ==, 1);
  g_assert_cmphex (active_process (d), !=, p0);
  st_debug_free (d);
  st_vm_free (vm);
}

/* gc before/after with a small eden: a "before" halt is followed by the
 * "after" halt of the very next collection */
static void
test_cuis_break_gc (void)
{
  StVM *vm = NULL;
  StDebug *d = cuis_debugger (&vm, "256");
  if (d == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_assert_cmpuint (st_debug_break_add (d, "gc", &error), >, 0);
  guint befores = 0, afters = 0;
  for (guint i = 0; i < 12; i++)
    {
      g_assert_cmpint (st_debug_continue (d, 5000000, 30, &error), ==, ST_RUN_TRAP);
      g_assert_no_error (error);
      g_assert_cmpint (st_debug_halt_reason (d), ==, ST_DEBUG_HALT_GC);
      const StGcStats *s = st_gc_stats (vm);
      uint64_t n = s->scavenges + s->full_gcs;
      if (g_str_has_prefix (st_debug_halt_text (d), "before"))
        {
          befores++;
          g_assert_cmpint (st_debug_continue (d, 5000000, 30, &error), ==, ST_RUN_TRAP);
          g_assert_cmpint (st_debug_halt_reason (d), ==, ST_DEBUG_HALT_GC);
          g_assert_true (g_str_has_prefix (st_debug_halt_text (d), "after"));
          g_assert_cmpuint (s->scavenges + s->full_gcs, ==, n + 1);
          afters++;
        }
    }
  g_test_message ("%u before/after pairs, %" G_GUINT64_FORMAT " scavenges", befores,
                  st_gc_stats (vm)->scavenges);
  g_assert_cmpuint (befores, >=, 3);
  st_debug_free (d);
  st_vm_free (vm);
}

/* A checkpoint before every collection (small eden): several are kept,
 * and a rewind to one replays from there, its collection included, to
 * the same sends (virtual clock). */
static void
test_cuis_checkpoint_before_gc (void)
{
  if (g_getenv ("THAW_GC_STRESS") != NULL)
    {
      /* a 6 MB copy before every one of the stress mode's collections */
      g_test_skip ("too slow with a collection after every allocation");
      return;
    }
  StVM *vm = NULL;
  StDebug *d = cuis_debugger (&vm, "256");
  if (d == NULL)
    return;
  g_autoptr (GError) error = NULL;
  st_debug_set_virtual_clock (d, 100);
  st_debug_set_checkpoint_before_gc (d, TRUE);
  g_assert_cmpint (st_debug_continue (d, 60000, 60, &error), ==, ST_RUN_BYTECODE_LIMIT);
  g_assert_no_error (error);
  st_debug_set_checkpoint_before_gc (d, FALSE);
  GArray *all = st_debug_checkpoints (d);
  g_test_message ("%u checkpoints before collections in 60000 bytecodes", all->len);
  g_assert_cmpuint (all->len, >=, 2);
  StDebugCheckpointInfo last = g_array_index (all, StDebugCheckpointInfo, all->len - 1);
  g_assert_true (last.before_gc);
  uint64_t sends = st_interp_stats (vm)->sends;
  uint64_t gcs = st_gc_stats (vm)->scavenges + st_gc_stats (vm)->full_gcs;
  g_assert_true (st_debug_rewind_to (d, last.number, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (st_interp_stats (vm)->bytecodes, ==, last.bytecodes);
  g_assert_cmpint (st_debug_continue (d, 60000 - last.bytecodes, 60, &error), ==, ST_RUN_BYTECODE_LIMIT);
  g_assert_no_error (error);
  g_assert_cmpuint (st_interp_stats (vm)->sends, ==, sends);
  /* the collection that was due at the checkpoint ran again */
  g_assert_cmpuint (st_gc_stats (vm)->scavenges + st_gc_stats (vm)->full_gcs, >, gcs);
  st_debug_free (d);
  st_vm_free (vm);
}

/* The per-GC heap check: quiet on a sound heap, and a halt at the next
 * boundary once a full collection finds a damaged context. */
static void
test_cuis_gc_check (void)
{
  StVM *vm = NULL;
  StDebug *d = cuis_debugger (&vm, NULL);
  if (d == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (st_debug_continue (d, 50000, 30, &error), ==, ST_RUN_BYTECODE_LIMIT);
  st_debug_set_gc_check (d, TRUE);
  g_assert_true (st_gc_collect (vm, ST_GC_FULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (st_debug_gc_checks (d), ==, 1);
  g_assert_cmpint (st_debug_continue (d, 1000, 30, &error), ==, ST_RUN_BYTECODE_LIMIT);
  /* damage a context below the active one: a stack pointer past its frame */
  g_assert_true (st_debug_settle (d, &error));
  StOop ctx;
  g_assert_true (st_debug_where (d, &ctx, NULL, NULL, NULL));
  StOop sender = st_fetch (vm, ctx, 0);
  g_assert_true (st_is_pointer (sender) && sender != vm->nil_obj);
  st_store (vm, sender, 2, st_smallint_oop (100000));
  g_assert_true (st_gc_collect (vm, ST_GC_FULL, &error));
  g_assert_cmpuint (st_debug_gc_checks (d), ==, 2);
  g_assert_cmpint (st_debug_continue (d, 1000, 30, &error), ==, ST_RUN_TRAP);
  g_assert_cmpint (st_debug_halt_reason (d), ==, ST_DEBUG_HALT_INTEGRITY);
  g_test_message ("%s", st_debug_halt_text (d));
  g_assert_nonnull (strstr (st_debug_halt_text (d), "found"));
  st_debug_free (d);
  st_vm_free (vm);
}

/* break errors on Cuis: startup made to send #quitPrimitive to Cursor
 * (a literal replaced in memory) meets a doesNotUnderstand: nobody
 * handles; the halt is in the image's own unhandled-error path, with the
 * culprit on the stack. */
static void
test_cuis_break_errors (void)
{
  StVM *vm = NULL;
  StDebug *d = cuis_debugger (&vm, NULL);
  if (d == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StPathTarget t;
  g_assert_true (st_path_resolve (st_debug_printer (d), "SystemDictionary>>snapshot:andQuit:embedded:", &t, &error));
  StOop m = t.value;
  g_autofree char *lit = st_printer_print (st_debug_printer (d), st_fetch (vm, m, 35), 40);
  g_assert_cmpstr (lit, ==, "#quitPrimitive");
  st_store (vm, m, 37, st_fetch (vm, m, 35));   /* Cursor normal -> Cursor quitPrimitive */
  g_assert_cmpuint (st_debug_break_add (d, "errors", &error), >, 0);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_continue (d, 3000000, 30, &error), ==, ST_RUN_TRAP);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_halt_reason (d), ==, ST_DEBUG_HALT_TROUBLE);
  StOop ctx, hm;
  g_assert_true (st_debug_where (d, &ctx, &hm, NULL, NULL));
  g_autofree char *name = st_interp_method_name (vm, hm);
  g_test_message ("%s after %" G_GUINT64_FORMAT " bytecodes", st_debug_halt_text (d), st_interp_stats (vm)->bytecodes);
  g_assert_true (g_str_has_suffix (name, ">>defaultAction"));
  g_assert_cmpuint (st_interp_stats (vm)->dnu_sends, ==, 1);
  /* the startup method is on the stack below */
  g_assert_true (st_debug_settle (d, &error));
  g_assert_true (st_debug_where (d, &ctx, NULL, NULL, NULL));
  bool truncated = false;
  g_autofree char *problem = NULL;
  g_autoptr (GPtrArray) frames = st_process_stack (vm, ctx, 40, &truncated, &problem);
  bool found = false;
  for (guint i = 0; frames != NULL && i < frames->len; i++)
    found |= strstr (((StFrame *) g_ptr_array_index (frames, i))->print, "snapshot:andQuit:embedded:") != NULL;
  g_assert_true (found);
  st_debug_free (d);
  st_vm_free (vm);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/debug/cuis-step-100", test_cuis_step_100);
  g_test_add_func ("/image/debug/cuis-break-finish", test_cuis_break_finish);
  g_test_add_func ("/image/debug/cuis-rewind", test_cuis_rewind);
  g_test_add_func ("/image/debug/cli-script", test_cli_script);
  g_test_add_func ("/image/debug/cuis-step-per-process", test_cuis_step_per_process);
  g_test_add_func ("/image/debug/cuis-break-switch", test_cuis_break_switch);
  g_test_add_func ("/image/debug/cuis-break-gc", test_cuis_break_gc);
  g_test_add_func ("/image/debug/cuis-gc-check", test_cuis_gc_check);
  g_test_add_func ("/image/debug/cuis-checkpoint-before-gc", test_cuis_checkpoint_before_gc);
  g_test_add_func ("/image/debug/cuis-break-errors", test_cuis_break_errors);
  return g_test_run ();
}
