/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The debugger on synthetic heaps: Object>>test calls Object>>helper
 * (1 + 1) and then quits; breakpoints, step, next and finish are checked
 * against the exact context, pc and stack they must halt at. */
#include "config.h"

#include <string.h>

#include "builder.h"
#include "debug.h"
#include "interp.h"
#include "method.h"
#include "support.h"

enum { SENDER, PC, STACKP, METHOD, CLOSURE, RECEIVER, TEMP0 };

/* V3PlusClosures bytecodes */
#define PUSH_SELF    112
#define PUSH_ONE     118
#define RETURN_SELF  120
#define RETURN_TOP   124
#define POP          135
#define SEND0(lit)   (208 + (lit))
#define POP_TEMP(i)  (104 + (i))
#define PLUS         176

typedef struct {
  ThawBuilder *b;
  const ThawBuilderObjects *k;
  StVM *vm;
  StOop test, helper, dnu;
  StMethodHeader th, hh;
  StDebug *d;
} Fix;

/* test: self helper -> t0; self zork (when dnu); self quit.
 * helper: ^1 + 1.  doesNotUnderstand: ^self quit. */
static void
fix_setup (Fix *f, bool send_unknown)
{
  memset (f, 0, sizeof *f);
  f->b = thaw_builder_new_at (ST_FAMILY_SPUR, 8, 68021, 0);
  f->k = thaw_builder_objects (f->b);
  guint8 ret = RETURN_SELF;
  thaw_builder_method (f->b, f->k->object_class, "quit", 0, 0, 113, NULL, 0, &ret, 1);
  guint8 helper[] = { PUSH_ONE, PUSH_ONE, PLUS, RETURN_TOP };
  f->helper = thaw_builder_method (f->b, f->k->object_class, "helper", 0, 0, 0, NULL, 0, helper, sizeof helper);
  StOop qlit[] = { thaw_builder_symbol (f->b, "quit") };
  guint8 dnu[] = { PUSH_SELF, SEND0 (0), RETURN_TOP };
  f->dnu = thaw_builder_method (f->b, f->k->object_class, "doesNotUnderstand:", 1, 1, 0, qlit, 1, dnu, sizeof dnu);
  StOop lits[] = { thaw_builder_symbol (f->b, "helper"), thaw_builder_symbol (f->b, "quit"),
                   thaw_builder_symbol (f->b, "zork") };
  guint8 plain[] = { PUSH_SELF, SEND0 (0), POP_TEMP (0), PUSH_SELF, SEND0 (1), POP, RETURN_SELF };
  guint8 unknown[] = { PUSH_SELF, SEND0 (0), POP_TEMP (0), PUSH_SELF, SEND0 (2), POP, PUSH_SELF, SEND0 (1), POP,
                       RETURN_SELF };
  f->test = send_unknown
    ? thaw_builder_method (f->b, f->k->object_class, "test", 0, 1, 0, lits, 3, unknown, sizeof unknown)
    : thaw_builder_method (f->b, f->k->object_class, "test", 0, 1, 0, lits, 3, plain, sizeof plain);
  f->vm = thaw_builder_finish (f->b);
  StVM *vm = f->vm;
  StOop ctx = f->k->active_context;
  g_assert_true (st_method_header (vm, f->test, &f->th, NULL));
  g_assert_true (st_method_header (vm, f->helper, &f->hh, NULL));
  st_store (vm, ctx, METHOD, f->test);
  st_store (vm, ctx, PC, st_smallint_oop ((int64_t) f->th.initial_pc + 1));
  st_store (vm, ctx, STACKP, st_smallint_oop (1));
  st_store (vm, ctx, RECEIVER, vm->nil_obj);
  st_store (vm, ctx, TEMP0, vm->nil_obj);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_interp_init (vm, &error));
  g_assert_no_error (error);
  f->d = st_debug_new (vm, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->d);
}

static void
fix_free (Fix *f)
{
  st_debug_free (f->d);
  st_vm_free (f->vm);
  thaw_builder_free (f->b);
}

/* Assert the halt position: the method, the pc (offset from the
 * method's first bytecode) and the stack depth. */
static void
assert_at (Fix *f, StOop method, uint64_t rel_pc, int64_t depth)
{
  StOop ctx, m;
  uint64_t pc;
  int64_t sp;
  g_assert_true (st_debug_where (f->d, &ctx, &m, &pc, &sp));
  g_assert_cmphex (m, ==, method);
  StMethodHeader h;
  g_assert_true (st_method_header (f->vm, method, &h, NULL));
  g_assert_cmpuint (pc, ==, h.initial_pc + rel_pc);
  g_assert_cmpint (sp, ==, depth);
}

static StOop
active_ctx (Fix *f)
{
  StOop ctx = 0;
  g_assert_true (st_debug_where (f->d, &ctx, NULL, NULL, NULL));
  return ctx;
}

static StOop
top (Fix *f)
{
  StOop ctx;
  int64_t sp;
  g_assert_true (st_debug_where (f->d, &ctx, NULL, NULL, &sp));
  return st_fetch (f->vm, ctx, TEMP0 + sp - 1);
}

static void
step_ok (Fix *f)
{
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (st_debug_step (f->d, &error), ==, ST_RUN_TRAP);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_halt_reason (f->d), ==, ST_DEBUG_HALT_STEP);
}

static void
test_startup_and_step (void)
{
  Fix f;
  fix_setup (&f, false);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_STARTUP);
  assert_at (&f, f.test, 0, 1);
  StOop test_ctx = active_ctx (&f);
  step_ok (&f);                     /* push self */
  assert_at (&f, f.test, 1, 2);
  g_assert_cmpuint (st_interp_stats (f.vm)->bytecodes, ==, 1);
  step_ok (&f);                     /* send #helper: into helper */
  assert_at (&f, f.helper, 0, 0);
  g_assert_cmphex (active_ctx (&f), !=, test_ctx);
  step_ok (&f);                     /* push 1 */
  assert_at (&f, f.helper, 1, 1);
  step_ok (&f);                     /* push 1 */
  assert_at (&f, f.helper, 2, 2);
  step_ok (&f);                     /* + */
  assert_at (&f, f.helper, 3, 1);
  g_assert_cmphex (top (&f), ==, st_smallint_oop (2));
  step_ok (&f);                     /* ^top: back in test, after the send */
  assert_at (&f, f.test, 2, 2);
  g_assert_cmphex (active_ctx (&f), ==, test_ctx);
  g_assert_cmphex (top (&f), ==, st_smallint_oop (2));
  g_assert_cmpuint (st_interp_stats (f.vm)->bytecodes, ==, 6);
  /* No breakpoints: continue runs to the quit. */
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_QUIT);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_STOPPED);
  fix_free (&f);
}

static void
test_next (void)
{
  Fix f;
  fix_setup (&f, false);
  StOop test_ctx = active_ctx (&f);
  g_autoptr (GError) error = NULL;
  /* next over push self: the next instruction */
  g_assert_cmpint (st_debug_next (f.d, 0, 10, &error), ==, ST_RUN_TRAP);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_NEXT);
  assert_at (&f, f.test, 1, 2);
  /* next over the send: helper runs whole (4 bytecodes) */
  g_assert_cmpint (st_debug_next (f.d, 0, 10, &error), ==, ST_RUN_TRAP);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_NEXT);
  assert_at (&f, f.test, 2, 2);
  g_assert_cmphex (active_ctx (&f), ==, test_ctx);
  g_assert_cmphex (top (&f), ==, st_smallint_oop (2));
  g_assert_cmpuint (st_interp_stats (f.vm)->bytecodes, ==, 6);
  fix_free (&f);
}

static void
test_next_over_return (void)
{
  Fix f;
  fix_setup (&f, false);
  for (int i = 0; i < 5; i++)
    step_ok (&f);                   /* into helper, up to its ^top */
  assert_at (&f, f.helper, 3, 1);
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (st_debug_next (f.d, 0, 10, &error), ==, ST_RUN_TRAP);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_RETURNED);
  assert_at (&f, f.test, 2, 2);
  fix_free (&f);
}

static void
test_finish (void)
{
  Fix f;
  fix_setup (&f, false);
  StOop test_ctx = active_ctx (&f);
  step_ok (&f);
  step_ok (&f);
  assert_at (&f, f.helper, 0, 0);
  StOop helper_ctx = active_ctx (&f);
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (st_debug_finish (f.d, 0, 10, &error), ==, ST_RUN_TRAP);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_RETURNED);
  assert_at (&f, f.test, 2, 2);
  g_assert_cmphex (active_ctx (&f), ==, test_ctx);
  /* the helper's context was terminated by the return */
  g_assert_cmphex (st_fetch (f.vm, helper_ctx, PC), ==, f.vm->nil_obj);
  g_assert_cmpuint (st_interp_stats (f.vm)->bytecodes, ==, 6);
  fix_free (&f);
}

static void
test_break_selector (void)
{
  Fix f;
  fix_setup (&f, false);
  g_autoptr (GError) error = NULL;
  g_assert_cmpuint (st_debug_break_selector (f.d, "helper", &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_TRAP);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_BREAKPOINT);
  g_assert_nonnull (strstr (st_debug_halt_text (f.d), "helper"));
  assert_at (&f, f.helper, 0, 0);
  g_assert_cmpuint (st_interp_stats (f.vm)->bytecodes, ==, 2);
  /* continuing from the breakpoint does not halt there again */
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_QUIT);
  g_assert_no_error (error);
  fix_free (&f);
}

static void
test_break_path (void)
{
  Fix f;
  fix_setup (&f, false);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_debug_break_path (f.d, "Object>>helper", &error));
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_TRAP);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_BREAKPOINT);
  assert_at (&f, f.helper, 0, 0);
  fix_free (&f);
}

static void
test_break_errors (void)
{
  Fix f;
  fix_setup (&f, false);
  g_autoptr (GError) error = NULL;
  g_assert_cmpuint (st_debug_break_selector (f.d, "noSuchSelector", &error), ==, 0);
  g_assert_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (st_debug_break_path (f.d, "Object>>noSuchSelector", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (st_debug_break_path (f.d, "Object", &error));
  g_assert_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NOT_FOUND);
  g_assert_cmpuint (st_debug_breakpoint_count (f.d), ==, 0);
  fix_free (&f);
}

static void
test_break_dnu (void)
{
  Fix f;
  fix_setup (&f, true);
  st_debug_break_dnu (f.d, TRUE);
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_TRAP);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_DNU);
  /* halted on entry to doesNotUnderstand:, with the Message as its argument */
  assert_at (&f, f.dnu, 0, 1);
  g_assert_cmpuint (st_interp_stats (f.vm)->dnu_sends, ==, 1);
  st_debug_clear_breakpoints (f.d);
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_QUIT);
  fix_free (&f);
}

/* checkpoint at startup, run the helper, rewind, run it again: the same
 * positions, the same new context address, the temp back to nil */
static void
test_checkpoint_rewind (void)
{
  Fix f;
  fix_setup (&f, false);
  g_autoptr (GError) error = NULL;
  g_assert_false (st_debug_rewind (f.d, &error));
  g_assert_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CHECKPOINT);
  g_clear_error (&error);
  g_assert_true (st_debug_checkpoint (f.d, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (st_debug_checkpoint_bytes (f.d), >, 0);
  StOop test_ctx = active_ctx (&f);
  StOop helper_ctx[2];
  for (int round = 0; round < 2; round++)
    {
      step_ok (&f);
      step_ok (&f);
      assert_at (&f, f.helper, 0, 0);
      helper_ctx[round] = active_ctx (&f);
      g_assert_cmpint (st_debug_finish (f.d, 0, 10, &error), ==, ST_RUN_TRAP); /* ^1+1 returns */
      g_assert_cmpint (st_debug_next (f.d, 0, 10, &error), ==, ST_RUN_TRAP);   /* pop into t0 */
      assert_at (&f, f.test, 3, 1);
      g_assert_cmphex (st_fetch (f.vm, test_ctx, TEMP0), ==, st_smallint_oop (2));
      g_assert_cmpuint (st_interp_stats (f.vm)->bytecodes, ==, 7);
      g_assert_true (st_debug_rewind (f.d, &error));
      g_assert_no_error (error);
      g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_REWOUND);
      assert_at (&f, f.test, 0, 1);
      g_assert_cmphex (active_ctx (&f), ==, test_ctx);
      g_assert_cmphex (st_fetch (f.vm, test_ctx, TEMP0), ==, f.vm->nil_obj);
      g_assert_cmpuint (st_interp_stats (f.vm)->bytecodes, ==, 0);
    }
  g_assert_cmphex (helper_ctx[0], ==, helper_ctx[1]);
  /* and the rewound image still runs to its quit */
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_QUIT);
  g_assert_no_error (error);
  fix_free (&f);
}

/* Edits of the active context reach the registers through reload; one
 * that would leave it unusable is refused with the registers unchanged. */
static void
test_reload (void)
{
  Fix f;
  fix_setup (&f, false);
  step_ok (&f);
  assert_at (&f, f.test, 1, 2);
  StOop ctx = active_ctx (&f);
  st_store (f.vm, ctx, STACKP, st_smallint_oop (1));
  g_autoptr (GError) error = NULL;
  g_assert_true (st_debug_reload (f.d, &error));
  g_assert_no_error (error);
  assert_at (&f, f.test, 1, 1);
  st_store (f.vm, ctx, PC, st_smallint_oop (100000));
  g_assert_false (st_debug_reload (f.d, &error));
  g_assert_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_BAD_CONTEXT);
  g_clear_error (&error);
  st_store (f.vm, ctx, PC, st_smallint_oop ((int64_t) f.th.initial_pc + 2));
  assert_at (&f, f.test, 1, 1);
  /* still runnable: the send of #helper (to the temp, nil) goes on */
  step_ok (&f);
  assert_at (&f, f.helper, 0, 0);
  fix_free (&f);
}

/* prim 113: halted before the quit primitive runs, in the middle of the
 * send (receiver on the stack, pc after it); saving is refused there;
 * going on makes the call. */
static void
test_break_prim (void)
{
  Fix f;
  fix_setup (&f, false);
  g_autoptr (GError) error = NULL;
  guint id = st_debug_break_add (f.d, "prim 113", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (id, >, 0);
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_TRAP);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_PRIMITIVE);
  g_assert_cmpuint (st_debug_halt_breakpoint (f.d), ==, id);
  g_assert_nonnull (strstr (st_debug_halt_text (f.d), "primitive 113 (Object>>quit)"));
  assert_at (&f, f.test, 5, 2);     /* t0 and the receiver of #quit */
  g_assert_cmpuint (st_interp_stats (f.vm)->bytecodes, ==, 9);
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "x.image", NULL);
  g_assert_false (st_debug_save (f.d, path, &error));
  g_assert_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_CANNOT_SAVE);
  g_clear_error (&error);
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_QUIT);
  g_assert_no_error (error);
  GArray *all = st_debug_breakpoints (f.d);
  g_assert_cmpuint (all->len, ==, 1);
  g_assert_cmpuint (g_array_index (all, StDebugBreakInfo, 0).hits, ==, 1);
  thaw_test_rmdir (dir);
  fix_free (&f);
}

/* sends 1 fires once, at the first boundary after the send of #helper */
static void
test_break_sends (void)
{
  Fix f;
  fix_setup (&f, false);
  g_autoptr (GError) error = NULL;
  g_assert_cmpuint (st_debug_break_add (f.d, "sends 1", &error), >, 0);
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_TRAP);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_SENDS);
  assert_at (&f, f.helper, 0, 0);
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_QUIT);
  fix_free (&f);
}

/* depth 1: the helper's activation is the second context on the chain */
static void
test_break_depth (void)
{
  Fix f;
  fix_setup (&f, false);
  g_autoptr (GError) error = NULL;
  g_assert_cmpuint (st_debug_break_add (f.d, "depth 1", &error), >, 0);
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_TRAP);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_DEPTH);
  assert_at (&f, f.helper, 0, 0);
  fix_free (&f);
}

/* A receiver-class condition: nil is an UndefinedObject, not an Array. */
static void
test_break_condition (void)
{
  Fix f;
  fix_setup (&f, false);
  g_autoptr (GError) error = NULL;
  g_assert_cmpuint (st_debug_break_add (f.d, "Object>>helper if Array", &error), >, 0);
  g_assert_no_error (error);
  g_assert_cmpuint (st_debug_break_add (f.d, "helper if Frobnitz", &error), ==, 0);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpuint (st_debug_break_add (f.d, "prim x", &error), ==, 0);
  g_assert_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_SYNTAX);
  g_clear_error (&error);
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_QUIT);
  fix_free (&f);

  fix_setup (&f, false);
  guint id = st_debug_break_add (f.d, "Object>>helper if UndefinedObject", &error);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_TRAP);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_BREAKPOINT);
  assert_at (&f, f.helper, 0, 0);
  g_assert_true (st_debug_break_delete (f.d, id));
  g_assert_false (st_debug_break_delete (f.d, id));
  g_assert_cmpuint (st_debug_breakpoint_count (f.d), ==, 0);
  fix_free (&f);
}

/* A pc breakpoint and run-to: both halt at the pop into t0 after the
 * helper returned (7 bytecodes). */
static void
test_break_pc_and_run_to (void)
{
  Fix f;
  fix_setup (&f, false);
  g_autoptr (GError) error = NULL;
  uint64_t pc = st_debug_image_pc (f.d, f.test, f.th.initial_pc + 3);
  g_autofree char *spec = g_strdup_printf ("Object>>test pc %" G_GUINT64_FORMAT, pc);
  g_assert_cmpuint (st_debug_break_add (f.d, spec, &error), >, 0);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_TRAP);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_BREAKPOINT);
  assert_at (&f, f.test, 3, 1);
  g_assert_cmpuint (st_interp_stats (f.vm)->bytecodes, ==, 7);
  fix_free (&f);

  fix_setup (&f, false);
  g_assert_cmpint (st_debug_run_to (f.d, pc, 0, 10, &error), ==, ST_RUN_TRAP);
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_PC);
  assert_at (&f, f.test, 3, 1);
  g_assert_cmpuint (st_interp_stats (f.vm)->bytecodes, ==, 7);
  g_assert_cmpint (st_debug_run_to (f.d, 100000, 0, 10, &error), ==, ST_RUN_ERROR);
  g_assert_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NOT_FOUND);
  fix_free (&f);
}

/* return 0 42 in the helper: the test method gets 42 instead of 2 */
static void
test_return_frame (void)
{
  Fix f;
  fix_setup (&f, false);
  step_ok (&f);
  step_ok (&f);
  assert_at (&f, f.helper, 0, 0);
  StOop helper_ctx = active_ctx (&f);
  g_autoptr (GError) error = NULL;
  g_assert_false (st_debug_return (f.d, 5, st_smallint_oop (42), &error));
  g_assert_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_BAD_FRAME);
  g_clear_error (&error);
  g_assert_true (st_debug_return (f.d, 0, st_smallint_oop (42), &error));
  g_assert_no_error (error);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_RETURN);
  assert_at (&f, f.test, 2, 2);
  g_assert_cmphex (top (&f), ==, st_smallint_oop (42));
  g_assert_cmphex (st_fetch (f.vm, helper_ctx, PC), ==, f.vm->nil_obj);
  step_ok (&f);                     /* pop into t0 */
  g_assert_cmphex (st_fetch (f.vm, active_ctx (&f), TEMP0), ==, st_smallint_oop (42));
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_QUIT);
  fix_free (&f);
}

/* numbered checkpoints: rewind to either, in any order */
static void
test_checkpoints_numbered (void)
{
  Fix f;
  fix_setup (&f, false);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_debug_checkpoint (f.d, &error));
  step_ok (&f);
  step_ok (&f);
  g_assert_true (st_debug_checkpoint (f.d, &error));
  GArray *all = st_debug_checkpoints (f.d);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpuint (g_array_index (all, StDebugCheckpointInfo, 0).number, ==, 1);
  g_assert_cmpuint (g_array_index (all, StDebugCheckpointInfo, 1).bytecodes, ==, 2);
  g_assert_nonnull (strstr (g_array_index (all, StDebugCheckpointInfo, 1).where, "Object>>helper"));
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_QUIT);
  g_assert_true (st_debug_rewind_to (f.d, 1, &error));
  assert_at (&f, f.test, 0, 1);
  g_assert_true (st_debug_rewind_to (f.d, 2, &error));
  assert_at (&f, f.helper, 0, 0);
  g_assert_cmpuint (st_interp_stats (f.vm)->bytecodes, ==, 2);
  g_assert_false (st_debug_rewind_to (f.d, 3, &error));
  g_assert_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CHECKPOINT);
  g_clear_error (&error);
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_QUIT);
  fix_free (&f);
}

/* An interpreter error (an unknown bytecode) halts with the reason; after
 * the repair (the byte put back, the pc set back, reload) the run goes on
 * to the quit. */
static void
test_error_halt_and_repair (void)
{
  Fix f;
  fix_setup (&f, false);
  guint8 *bc = st_bytes (f.vm, f.test);
  bc[f.th.initial_pc + 3] = 126;    /* unused in V3PlusClosures, was push self */
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_ERROR);
  g_assert_error (error, ST_INTERP_ERROR, ST_INTERP_ERROR_BAD_BYTECODE);
  g_clear_error (&error);
  g_assert_cmpint (st_debug_halt_reason (f.d), ==, ST_DEBUG_HALT_ERROR);
  g_assert_nonnull (strstr (st_debug_halt_text (f.d), "unknown or unsupported bytecode 126"));
  /* still refused before the repair */
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_ERROR);
  g_clear_error (&error);
  bc[f.th.initial_pc + 3] = PUSH_SELF;
  StOop ctx = active_ctx (&f);
  st_store (f.vm, ctx, PC, st_smallint_oop ((int64_t) f.th.initial_pc + 3 + 1));
  g_assert_true (st_debug_reload (f.d, &error));
  g_assert_no_error (error);
  assert_at (&f, f.test, 3, 1);
  g_assert_cmpint (st_debug_continue (f.d, 0, 10, &error), ==, ST_RUN_QUIT);
  g_assert_no_error (error);
  fix_free (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/debug/startup-and-step", test_startup_and_step);
  g_test_add_func ("/engine/debug/next", test_next);
  g_test_add_func ("/engine/debug/next-over-return", test_next_over_return);
  g_test_add_func ("/engine/debug/finish", test_finish);
  g_test_add_func ("/engine/debug/break-selector", test_break_selector);
  g_test_add_func ("/engine/debug/break-path", test_break_path);
  g_test_add_func ("/engine/debug/break-errors", test_break_errors);
  g_test_add_func ("/engine/debug/break-dnu", test_break_dnu);
  g_test_add_func ("/engine/debug/checkpoint-rewind", test_checkpoint_rewind);
  g_test_add_func ("/engine/debug/reload", test_reload);
  g_test_add_func ("/engine/debug/break-prim", test_break_prim);
  g_test_add_func ("/engine/debug/break-sends", test_break_sends);
  g_test_add_func ("/engine/debug/break-depth", test_break_depth);
  g_test_add_func ("/engine/debug/break-condition", test_break_condition);
  g_test_add_func ("/engine/debug/break-pc-and-run-to", test_break_pc_and_run_to);
  g_test_add_func ("/engine/debug/return-frame", test_return_frame);
  g_test_add_func ("/engine/debug/checkpoints-numbered", test_checkpoints_numbered);
  g_test_add_func ("/engine/debug/error-halt-and-repair", test_error_halt_and_repair);
  return g_test_run ();
}
