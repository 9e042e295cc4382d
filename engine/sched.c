/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sched.c: processes, semaphores and the scheduler, on the image's own
 * objects: Processor (special object 3's value) holds an Array of
 * LinkedLists of runnable Processes, one per priority, and the active
 * Process.  The active process's suspendedContext is nil while it runs (as
 * on Cog); a process switch writes the running context back into it.
 * A resumed process of higher priority preempts the active one, which goes
 * to the back of its priority's list.  Timers: primitives 136 and 242 arm
 * one wake-up time; when the loop's periodic check finds it passed, the
 * timer semaphore (special object 29) is signalled. */
#include "config.h"

#include "interp-private.h"

static bool
valid_fields (StInterp *it, StOop o, uint64_t n)
{
  return st_interp_valid_obj (it->vm, o) && st_fmt_is_pointers (st_format (it->vm, o)) && st_num_slots (it->vm, o) >= n;
}

StOop
st_sched_scheduler (StInterp *it)
{
  StOop assoc = st_special (it->vm, ST_SPLOB_SCHEDULER_ASSOCIATION);
  if (!valid_fields (it, assoc, 2))
    return 0;
  StOop s = st_fetch (it->vm, assoc, ST_ASSOC_VALUE);
  return valid_fields (it, s, 2) ? s : 0;
}

StOop
st_sched_active_process (StInterp *it)
{
  StOop s = st_sched_scheduler (it);
  return s ? st_fetch (it->vm, s, ST_SCHED_ACTIVE) : 0;
}

bool
st_sched_is_empty_list (StInterp *it, StOop list)
{
  return st_fetch (it->vm, list, ST_LIST_FIRST) == it->nil;
}

StOop
st_sched_remove_first (StInterp *it, StOop list)
{
  StVM *vm = it->vm;
  StOop first = st_fetch (vm, list, ST_LIST_FIRST);
  StOop last = st_fetch (vm, list, ST_LIST_LAST);
  if (first == it->nil || !valid_fields (it, first, 1))
    return 0;
  if (first == last)
    {
      st_store (vm, list, ST_LIST_FIRST, it->nil);
      st_store (vm, list, ST_LIST_LAST, it->nil);
    }
  else
    st_store (vm, list, ST_LIST_FIRST, st_fetch (vm, first, ST_LINK_NEXT));
  st_store (vm, first, ST_LINK_NEXT, it->nil);
  if (st_num_slots (vm, first) > ST_PROC_LIST)
    st_store (vm, first, ST_PROC_LIST, it->nil);
  return first;
}

void
st_sched_add_last (StInterp *it, StOop list, StOop proc)
{
  StVM *vm = it->vm;
  StOop last = st_fetch (vm, list, ST_LIST_LAST);
  if (st_sched_is_empty_list (it, list) || !valid_fields (it, last, 1))
    st_store (vm, list, ST_LIST_FIRST, proc);
  else
    st_store (vm, last, ST_LINK_NEXT, proc);
  st_store (vm, list, ST_LIST_LAST, proc);
  st_store (vm, proc, ST_LINK_NEXT, it->nil);
  if (st_num_slots (vm, proc) > ST_PROC_LIST)
    st_store (vm, proc, ST_PROC_LIST, list);
}

bool
st_sched_remove_link (StInterp *it, StOop list, StOop link)
{
  StVM *vm = it->vm;
  StOop prev = 0, cur = st_fetch (vm, list, ST_LIST_FIRST);
  for (int n = 0; cur != it->nil && n < 1000000; n++)
    {
      if (!valid_fields (it, cur, 1))
        return false;
      StOop next = st_fetch (vm, cur, ST_LINK_NEXT);
      if (cur == link)
        {
          if (prev == 0)
            st_store (vm, list, ST_LIST_FIRST, next);
          else
            st_store (vm, prev, ST_LINK_NEXT, next);
          if (st_fetch (vm, list, ST_LIST_LAST) == link)
            st_store (vm, list, ST_LIST_LAST, prev ? prev : it->nil);
          st_store (vm, link, ST_LINK_NEXT, it->nil);
          return true;
        }
      prev = cur;
      cur = next;
    }
  return false;
}

static int64_t
priority_of (StInterp *it, StOop proc)
{
  StOop p = st_fetch (it->vm, proc, ST_PROC_PRIORITY);
  return st_is_smallint (p) ? st_smallint_value (p) : 0;
}

static StOop
run_list (StInterp *it, int64_t priority)
{
  StOop s = st_sched_scheduler (it);
  if (s == 0)
    return 0;
  StOop lists = st_fetch (it->vm, s, ST_SCHED_LISTS);
  if (!valid_fields (it, lists, 0) || priority < 1 || (uint64_t) priority > st_num_slots (it->vm, lists))
    return 0;
  StOop l = st_fetch (it->vm, lists, priority - 1);
  return valid_fields (it, l, 2) ? l : 0;
}

static bool
put_to_sleep (StInterp *it, StOop proc)
{
  StOop l = run_list (it, priority_of (it, proc));
  if (l == 0)
    {
      st_interp_fail (it->vm, ST_INTERP_ERROR_BAD_OBJECT,
                      "process 0x%" G_GINT64_MODIFIER "x has priority %" G_GINT64_FORMAT " with no run queue",
                      (guint64) proc, priority_of (it, proc));
      return false;
    }
  st_sched_add_last (it, l, proc);
  return true;
}

StOop
st_sched_wake_highest (StInterp *it)
{
  StOop s = st_sched_scheduler (it);
  if (s == 0)
    return 0;
  StOop lists = st_fetch (it->vm, s, ST_SCHED_LISTS);
  if (!valid_fields (it, lists, 0))
    return 0;
  for (int64_t p = (int64_t) st_num_slots (it->vm, lists); p >= 1; p--)
    {
      StOop l = st_fetch (it->vm, lists, p - 1);
      if (valid_fields (it, l, 2) && !st_sched_is_empty_list (it, l))
        {
          StOop proc = st_sched_remove_first (it, l);
          if (proc != 0)
            return proc;
        }
    }
  return 0;
}

bool
st_sched_transfer_to (StInterp *it, StOop proc)
{
  StVM *vm = it->vm;
  StOop s = st_sched_scheduler (it);
  if (s == 0 || !valid_fields (it, proc, ST_PROC_PRIORITY + 1))
    {
      st_interp_fail (vm, ST_INTERP_ERROR_NO_PROCESS, "process switch to 0x%" G_GINT64_MODIFIER "x: not a Process",
                      (guint64) proc);
      return false;
    }
  StOop old = st_fetch (vm, s, ST_SCHED_ACTIVE);
  st_interp_save_registers (it);
  st_interp_escape (it);
  if (valid_fields (it, old, ST_PROC_CONTEXT + 1))
    st_store (vm, old, ST_PROC_CONTEXT, it->ctx);
  st_store (vm, s, ST_SCHED_ACTIVE, proc);
  StOop ctx = st_fetch (vm, proc, ST_PROC_CONTEXT);
  st_store (vm, proc, ST_PROC_CONTEXT, it->nil);
  it->stats.process_switches++;
  it->ctx = 0;
  return st_interp_load_context (it, ctx);
}

/* Nothing can run: sleep until the timer, if one is armed, and signal it. */
static StOop
wait_for_runnable (StInterp *it)
{
  for (int tries = 0; tries < 2; tries++)
    {
      StOop p = st_sched_wake_highest (it);
      if (p != 0)
        return p;
      if (it->timer_wakeup_usecs == 0)
        break;
      gint64 now = g_get_monotonic_time ();
      if (it->timer_wakeup_usecs > now)
        g_usleep ((gulong) MIN (it->timer_wakeup_usecs - now, G_USEC_PER_SEC * 60));
      StOop sem = st_special (it->vm, ST_SPLOB_THE_TIMER_SEMAPHORE);
      it->timer_wakeup_usecs = 0;
      if (valid_fields (it, sem, ST_SEM_EXCESS + 1))
        {
          if (st_sched_is_empty_list (it, sem))
            {
              StOop e = st_fetch (it->vm, sem, ST_SEM_EXCESS);
              st_store (it->vm, sem, ST_SEM_EXCESS, st_smallint_oop ((st_is_smallint (e) ? st_smallint_value (e) : 0) + 1));
            }
          else
            {
              StOop p2 = st_sched_remove_first (it, sem);
              if (p2 != 0 && !put_to_sleep (it, p2))
                return 0;
            }
        }
    }
  it->stop = ST_RUN_IDLE;
  __atomic_store_n (&it->check_at, 0, __ATOMIC_RELAXED);
  return 0;
}

bool
st_sched_resume (StInterp *it, StOop proc)
{
  StOop active = st_sched_active_process (it);
  if (!valid_fields (it, proc, ST_PROC_PRIORITY + 1) || active == 0)
    return false;
  if (priority_of (it, proc) > priority_of (it, active))
    {
      if (!put_to_sleep (it, active))
        return false;
      return st_sched_transfer_to (it, proc);
    }
  return put_to_sleep (it, proc);
}

bool
st_sched_signal (StInterp *it, StOop sem)
{
  StVM *vm = it->vm;
  if (!valid_fields (it, sem, ST_SEM_EXCESS + 1))
    return false;
  if (st_sched_is_empty_list (it, sem))
    {
      StOop e = st_fetch (vm, sem, ST_SEM_EXCESS);
      int64_t n = st_is_smallint (e) ? st_smallint_value (e) : 0;
      st_store (vm, sem, ST_SEM_EXCESS, st_smallint_oop (n + 1));
      return true;
    }
  StOop proc = st_sched_remove_first (it, sem);
  return proc != 0 && st_sched_resume (it, proc);
}

bool
st_sched_wait (StInterp *it, StOop sem)
{
  StVM *vm = it->vm;
  if (!valid_fields (it, sem, ST_SEM_EXCESS + 1))
    return false;
  StOop e = st_fetch (vm, sem, ST_SEM_EXCESS);
  int64_t n = st_is_smallint (e) ? st_smallint_value (e) : 0;
  if (n > 0)
    {
      st_store (vm, sem, ST_SEM_EXCESS, st_smallint_oop (n - 1));
      return true;
    }
  StOop active = st_sched_active_process (it);
  if (!valid_fields (it, active, ST_PROC_LIST + 1))
    return false;
  st_sched_add_last (it, sem, active);
  StOop next = wait_for_runnable (it);
  if (next == 0)
    return true;             /* stopped idle; the process waits */
  return st_sched_transfer_to (it, next);
}

bool
st_sched_suspend (StInterp *it, StOop proc)
{
  StOop active = st_sched_active_process (it);
  if (proc != active)
    return false;
  StOop next = wait_for_runnable (it);
  if (next == 0)
    return true;
  return st_sched_transfer_to (it, next);
}

bool
st_sched_yield (StInterp *it)
{
  StOop active = st_sched_active_process (it);
  if (active == 0)
    return false;
  StOop l = run_list (it, priority_of (it, active));
  if (l == 0 || st_sched_is_empty_list (it, l))
    return true;
  StOop next = st_sched_remove_first (it, l);
  if (next == 0)
    return true;
  st_sched_add_last (it, l, active);
  return st_sched_transfer_to (it, next);
}

void
st_sched_check_timers (StInterp *it, gint64 now_usecs)
{
  if (it->timer_wakeup_usecs == 0 || now_usecs < it->timer_wakeup_usecs)
    return;
  it->timer_wakeup_usecs = 0;
  StOop sem = st_special (it->vm, ST_SPLOB_THE_TIMER_SEMAPHORE);
  if (sem != it->nil)
    st_sched_signal (it, sem);
}
