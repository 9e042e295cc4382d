/* SPDX-License-Identifier: GPL-3.0-or-later */
/* prims-process.c: Semaphore signal/wait, Process resume/suspend, yield,
 * and the Mutex critical-section primitives 185-187 (sched.c does the
 * work). */
#include "config.h"

#include "interp-private.h"
#include "prim-table.h"

static bool
is_pointers (StInterp *it, StOop o, uint64_t n)
{
  return st_interp_valid_obj (it->vm, o) && st_fmt_is_pointers (st_format (it->vm, o)) && st_num_slots (it->vm, o) >= n;
}

StPrimResult
st_prim_signal (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop sem = st_stack_value (it, 0);
  if (argc != 0 || !is_pointers (it, sem, ST_SEM_EXCESS + 1))
    return ST_PRIM_ERR_BAD_RECEIVER;
  /* The receiver stays on the stack as the result, before any switch. */
  if (!st_sched_signal (it, sem))
    return it->stop != ST_RUN_CONTINUE ? ST_PRIM_OK : ST_PRIM_ERR_BAD_RECEIVER;
  return ST_PRIM_OK;
}

StPrimResult
st_prim_wait (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop sem = st_stack_value (it, 0);
  if (argc != 0 || !is_pointers (it, sem, ST_SEM_EXCESS + 1))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (!st_sched_wait (it, sem))
    return it->stop != ST_RUN_CONTINUE ? ST_PRIM_OK : ST_PRIM_ERR_BAD_RECEIVER;
  return ST_PRIM_OK;
}

StPrimResult
st_prim_resume (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop proc = st_stack_value (it, 0);
  if (argc != 0 || !is_pointers (it, proc, ST_PROC_PRIORITY + 1))
    return ST_PRIM_ERR_BAD_RECEIVER;
  StOop ctx = st_fetch (vm, proc, ST_PROC_CONTEXT);
  if (!st_interp_valid_obj (vm, ctx) || st_class_index (vm, ctx) < ST_CLASS_INDEX_FIRST_REAL)
    return ST_PRIM_ERR_BAD_RECEIVER;     /* terminated or never started */
  if (!st_sched_resume (it, proc))
    return it->stop != ST_RUN_CONTINUE ? ST_PRIM_OK : ST_PRIM_ERR_BAD_RECEIVER;
  return ST_PRIM_OK;
}

StPrimResult
st_prim_suspend (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop proc = st_stack_value (it, 0);
  if (argc != 0 || proc != st_sched_active_process (it))
    return ST_PRIM_ERR_BAD_RECEIVER;     /* others: the image's fallback code */
  /* Answer nil to the suspended process when it is resumed. */
  it->slots[it->sp] = vm->nil_obj;
  if (!st_sched_suspend (it, proc))
    {
      it->slots[it->sp] = proc;
      return ST_PRIM_ERR_BAD_RECEIVER;
    }
  return ST_PRIM_OK;
}

StPrimResult
st_prim_yield (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  st_pop_n (it, argc);
  st_sched_yield (it);
  return ST_PRIM_OK;
}

/* Mutex / Monitor: owner is slot 2 (after the LinkedList's first/last). */
enum { MUTEX_OWNER = 2 };

StPrimResult
st_prim_exit_critical_section (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop m = st_stack_value (it, 0);
  if (argc != 0 || !is_pointers (it, m, MUTEX_OWNER + 1))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (st_sched_is_empty_list (it, m))
    {
      st_store (vm, m, MUTEX_OWNER, vm->nil_obj);
      return ST_PRIM_OK;
    }
  StOop owner = st_sched_remove_first (it, m);
  st_store (vm, m, MUTEX_OWNER, owner ? owner : vm->nil_obj);
  if (owner != 0 && !st_sched_resume (it, owner))
    return it->stop != ST_RUN_CONTINUE ? ST_PRIM_OK : ST_PRIM_FAIL;
  return ST_PRIM_OK;
}

/* What enterCriticalSection and testAndSetOwnershipOfCriticalSection share:
 * TRUE when that settles it (*r set: a bad receiver fails; a free mutex is
 * taken and answers false; one the process already owns answers true),
 * FALSE when another process owns the mutex. */
static bool
try_own (StInterp *it, int argc, StOop m, StPrimResult *r)
{
  StVM *vm = it->vm;
  if (!is_pointers (it, m, MUTEX_OWNER + 1))
    {
      *r = ST_PRIM_ERR_BAD_RECEIVER;
      return true;
    }
  StOop active = argc == 1 ? st_stack_value (it, 0) : st_sched_active_process (it);
  StOop owner = st_fetch (vm, m, MUTEX_OWNER);
  if (owner == vm->nil_obj)
    {
      st_store (vm, m, MUTEX_OWNER, active);
      *r = st_prim_return (it, argc, it->false_obj);
      return true;
    }
  if (owner == active)
    {
      *r = st_prim_return (it, argc, it->true_obj);
      return true;
    }
  return false;
}

/* Answers false when the active process now owns the mutex, true when it
 * already did; otherwise the process waits and, once resumed, gets false. */
StPrimResult
st_prim_enter_critical_section (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop m = st_stack_value (it, argc);
  StPrimResult r;
  if (try_own (it, argc, m, &r))
    return r;
  st_prim_return (it, argc, it->false_obj);
  st_sched_add_last (it, m, st_sched_active_process (it));
  StOop next = st_sched_wake_highest (it);
  if (next == 0)
    {
      it->stop = ST_RUN_IDLE;
      __atomic_store_n (&it->check_at, 0, __ATOMIC_RELAXED);
      return ST_PRIM_OK;
    }
  st_sched_transfer_to (it, next);
  return ST_PRIM_OK;
}

StPrimResult
st_prim_test_and_set_owner (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop m = st_stack_value (it, argc);
  StPrimResult r;
  if (try_own (it, argc, m, &r))
    return r;
  return st_prim_return (it, argc, vm->nil_obj);
}
