/* SPDX-License-Identifier: GPL-3.0-or-later */
/* prims-misc.c: the system around the image: clocks and the timer, quit,
 * method-cache flushes, image name and attributes, VM parameters (the
 * display and input primitives are in prims-display.c).  Also the
 * named-primitive dispatcher (117) and st_prims_install, which builds the
 * table from prim-table.h. */
#include "config.h"

#include <string.h>

#include "gc.h"
#include "input.h"
#include "interp-private.h"
#include "plugins.h"
#include "prim-table.h"

/* Seconds from 1901-01-01 to 1970-01-01, the Smalltalk epoch. */
#define EPOCH_DELTA_SECONDS G_GINT64_CONSTANT (2177452800)

void
st_prims_install (StInterp *it)
{
  guint max = 0;
#define COUNT(n, name) if ((n) > max) max = (n);
  ST_PRIMITIVES (COUNT)
#undef COUNT
  it->n_prims = max + 1;
  it->prims = g_new0 (StPrimFn, it->n_prims);
#define INSTALL(n, name) it->prims[n] = st_prim_##name;
  ST_PRIMITIVES (INSTALL)
#undef INSTALL
}

static StPrimResult
answer_receiver (StInterp *it, int argc)
{
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

StPrimResult
st_prim_flush_cache (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  st_interp_flush_cache (it);
  return answer_receiver (it, argc);
}

StPrimResult
st_prim_quit (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  it->quit = true;
  if (argc >= 1 && st_is_smallint (st_stack_value (it, 0)))
    it->quit_code = (int) st_smallint_value (st_stack_value (it, 0));
  st_pop_n (it, argc);
  it->stop = ST_RUN_QUIT;
  __atomic_store_n (&it->check_at, 0, __ATOMIC_RELAXED);
  return ST_PRIM_OK;
}

StPrimResult
st_prim_exit_to_debugger (StVM *vm, int argc)
{
  st_interp_fail (vm, ST_INTERP_ERROR_BAD_CONTEXT, "the image called exitToDebugger (primitive 114)");
  return ST_PRIM_OK;
}

/* Bytes the image may still allocate: the rest of eden plus the room old
 * space has to grow into. */
static uint64_t
bytes_free (StVM *vm)
{
  StInterp *it = st_interp (vm);
  StOop e0, en, p0, pn;
  if (!st_gc_young_range (vm, &e0, &en, &p0, &pn))
    return 0;
  return (it->eden_end - it->eden_next) + (vm->young_start - st_objmem_end (vm));
}

StPrimResult
st_prim_bytes_left (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop r = st_interp_unsigned (it, bytes_free (vm));
  return r ? st_prim_return (it, argc, r) : ST_PRIM_ERR_NO_MEMORY;
}

/* A collection inside the primitive: the interpreter's registers are
 * updated by the collector; nothing here holds an object across it. */
static StPrimResult
gc_prim (StVM *vm, int argc, StGcKind kind)
{
  GError *error = NULL;
  if (!st_gc_collect (vm, kind, &error))
    {
      st_interp_fail (vm, ST_INTERP_ERROR_NO_MEMORY, "%s", error->message);
      g_error_free (error);
      return ST_PRIM_ERR_NO_MEMORY;
    }
  return st_prim_bytes_left (vm, argc);
}

StPrimResult
st_prim_full_gc (StVM *vm, int argc)
{
  return gc_prim (vm, argc, ST_GC_FULL);
}

StPrimResult
st_prim_incremental_gc (StVM *vm, int argc)
{
  return gc_prim (vm, argc, ST_GC_SCAVENGE);
}

StPrimResult
st_prim_millisecond_clock (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  gint64 ms = (st_interp_mono_usecs (it) - it->start_usecs) / 1000;
  return st_prim_return (it, argc, st_smallint_oop (ms & 0x1FFFFFFF));
}

StPrimResult
st_prim_seconds_clock (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  GDateTime *now = g_date_time_new_now_local ();
  gint64 secs = st_interp_real_usecs (it) / G_USEC_PER_SEC + g_date_time_get_utc_offset (now) / G_USEC_PER_SEC
                + EPOCH_DELTA_SECONDS;
  g_date_time_unref (now);
  StOop r = st_interp_unsigned (it, (uint64_t) secs);
  if (r == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, r);
}

static bool
arm_timer (StInterp *it, StOop sem, gint64 mono_usecs)
{
  StVM *vm = it->vm;
  if (vm->special_objects == 0 || st_num_slots (vm, vm->special_objects) <= ST_SPLOB_THE_TIMER_SEMAPHORE)
    return false;
  st_store (vm, vm->special_objects, ST_SPLOB_THE_TIMER_SEMAPHORE, sem);
  it->timer_wakeup_usecs = sem == vm->nil_obj ? 0 : MAX (mono_usecs, 1);
  __atomic_store_n (&it->check_at, 0, __ATOMIC_RELAXED);
  return true;
}

/* aSemaphore signal at: millisecondClockValue */
StPrimResult
st_prim_signal_at_milliseconds (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop sem = st_stack_value (it, 1), ms = st_stack_value (it, 0);
  if (argc != 2 || !st_is_smallint (ms))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  /* The clock wraps at 29 bits; take the nearest future time. */
  gint64 now_ms = (st_interp_mono_usecs (it) - it->start_usecs) / 1000;
  gint64 target = (now_ms & ~G_GINT64_CONSTANT (0x1FFFFFFF)) | (st_smallint_value (ms) & 0x1FFFFFFF);
  if (target < now_ms - 0x10000000)
    target += 0x20000000;
  if (!arm_timer (it, sem, it->start_usecs + target * 1000))
    return ST_PRIM_FAIL;
  return answer_receiver (it, argc);
}

StPrimResult
st_prim_signal_at_utc_microseconds (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  int64_t us;
  if (argc != 2 || !st_interp_to_int64 (it, st_stack_value (it, 0), &us))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  gint64 real = us - EPOCH_DELTA_SECONDS * G_USEC_PER_SEC;
  if (!arm_timer (it, st_stack_value (it, 1), real - it->utc_offset_usecs))
    return ST_PRIM_FAIL;
  return answer_receiver (it, argc);
}

StPrimResult
st_prim_utc_microseconds (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop r = st_interp_unsigned (it, (uint64_t) (st_interp_real_usecs (it) + EPOCH_DELTA_SECONDS * G_USEC_PER_SEC));
  if (r == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, r);
}

StPrimResult
st_prim_local_microseconds (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  GDateTime *now = g_date_time_new_now_local ();
  gint64 off = g_date_time_get_utc_offset (now);
  g_date_time_unref (now);
  StOop r = st_interp_unsigned (it, (uint64_t) (st_interp_real_usecs (it) + off + EPOCH_DELTA_SECONDS * G_USEC_PER_SEC));
  if (r == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, r);
}

/* Sleep a little when the image says it is idle, but never past the next
 * timer wake-up. */
StPrimResult
st_prim_relinquish_processor (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  gint64 us = 1000;
  if (argc == 1 && st_is_smallint (st_stack_value (it, 0)))
    us = CLAMP (st_smallint_value (st_stack_value (it, 0)), 0, 20000);
  if (it->timer_wakeup_usecs != 0)
    {
      gint64 left = it->timer_wakeup_usecs - st_interp_mono_usecs (it);
      us = MIN (us, MAX (left, 0));
    }
  /* under the debugger's bytecode clock sleeping would not move time on */
  if (us > 0 && it->debug_clock_ns_per_bc == 0)
    st_io_sleep (vm, us);   /* woken early by input and host commands */
  __atomic_store_n (&it->check_at, 0, __ATOMIC_RELAXED);
  return answer_receiver (it, argc);
}

StPrimResult
st_prim_image_name (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 0)
    return ST_PRIM_FAIL;
  /* The full path, as real VMs answer it: images build their file
   * names from it (Cuis cannot start from a relative one). */
  g_autofree char *full = vm->image_path ? g_canonicalize_filename (vm->image_path, NULL) : g_strdup ("");
  StOop s = st_interp_new_string (it, full);
  if (s == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, s);
}

StPrimResult
st_prim_vm_path (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  g_autofree char *full = vm->image_path ? g_canonicalize_filename (vm->image_path, NULL) : NULL;
  g_autofree char *dir = full ? g_path_get_dirname (full) : g_get_current_dir ();
  g_autofree char *withsep = g_strconcat (dir, G_DIR_SEPARATOR_S, NULL);
  StOop s = st_interp_new_string (it, withsep);
  if (s == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, s);
}

/* Smalltalk getSystemAttribute: n */
StPrimResult
st_prim_get_attribute (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop n = st_stack_value (it, 0);
  if (argc != 1 || !st_is_smallint (n))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  const char *s = NULL;
  g_autofree char *owned = NULL;
  switch (st_smallint_value (n))
    {
    case 0: s = owned = g_strdup ("thaw"); break;
    case 1: s = vm->image_path ? vm->image_path : ""; break;
    case 1001: s = "unix"; break;
    case 1002: s = "linux"; break;
    case 1003: s = "x86_64"; break;
    case 1004: s = owned = g_strdup_printf ("Thaw %s interpreter", PACKAGE_VERSION); break;
    case 1005: s = "none"; break;
    case 1006: s = owned = g_strdup_printf ("Thaw %s", PACKAGE_VERSION); break;
    default:
      /* Command-line arguments (2..) and unknown attributes: none. */
      return st_prim_return (it, argc, vm->nil_obj);
    }
  StOop str = st_interp_new_string (it, s);
  if (str == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, str);
}

/* vmParameterAt: as Squeak's Spur VMs number them (SmalltalkImage>>vmParameterAt:);
 * 0 for what Thaw has no equivalent of. */
static int64_t
vm_parameter (StVM *vm, int64_t i)
{
  StInterp *it = st_interp (vm);
  const StGcStats *g = st_gc_stats (vm);
  uint64_t old_bytes = g ? g->old_bytes : 0;
  uint64_t young = g ? g->young_used : 0;
  switch (i)
    {
    case 1: return (int64_t) old_bytes;                       /* old space size */
    case 2: return (int64_t) young;                           /* young space used */
    case 3: return (int64_t) (old_bytes + young);             /* object memory in use */
    case 6: return 1;                                         /* tenuring threshold: one survival */
    case 7: return g ? (int64_t) g->full_gcs : 0;
    case 8: return g ? g->full_usecs / 1000 : 0;
    case 9: return g ? (int64_t) (g->scavenges + g->tenure_alls) : 0;
    case 10: return g ? g->scavenge_usecs / 1000 : 0;
    case 11: return g ? (int64_t) (g->tenured_bytes / 8) : 0;  /* words tenured, no object count kept */
    case 34: return (int64_t) it->stats.bytes_allocated;
    case 40: return vm->personality.word_bytes;
    case 41: return vm->header.image_format;
    case 44: return g ? (int64_t) g->eden_bytes : 0;
    case 45: return g ? (int64_t) g->eden_bytes : 0;
    case 56: return (int64_t) it->stats.process_switches;
    case 58: return g ? (int64_t) (g->scavenges + g->tenure_alls + g->full_gcs) : 0;
    case 62: return g ? (int64_t) g->remembered : 0;
    default: return 0;
    }
}

StPrimResult
st_prim_vm_parameter (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc == 0)
    {
      StOop a = st_interp_new_array (it, 80);
      if (a == 0)
        return ST_PRIM_ERR_NO_MEMORY;
      for (guint i = 0; i < 80; i++)
        {
          StOop v = st_interp_integer (it, vm_parameter (vm, i + 1));
          st_store (vm, a, i, v ? v : st_smallint_oop (0));
        }
      return st_prim_return (it, argc, a);
    }
  StOop idx = st_stack_value (it, argc - 1);
  if (!st_is_smallint (idx))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  StOop r = st_interp_integer (it, vm_parameter (vm, st_smallint_value (idx)));
  if (r == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, r);
}

/* --- the machine around the image (the display and input: prims-display.c) --- */

StPrimResult st_prim_beep (StVM *vm, int argc) { return answer_receiver (st_interp (vm), argc); }
/* fetchMourner (172): the next ephemeron the collector fired; fails when
 * there is none (the image's method then answers nil). */
StPrimResult
st_prim_fetch_mourner (StVM *vm, int argc)
{
  StOop e = st_gc_next_mourner (vm);
  if (e == 0)
    return ST_PRIM_FAIL;
  return st_prim_return (st_interp (vm), argc, e);
}

/* snapshotPrimitive (97): the saved image sees true when it resumes; here
 * the image carries on with false.  Without a snapshot path the primitive
 * fails, as on a VM that cannot write the file. */
StPrimResult
st_prim_snapshot (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (it->snapshot_path == NULL)
    {
      st_interp_note_event (it, "snapshot refused: no snapshot file was given (thaw-cli run --snapshot-to FILE)");
      return ST_PRIM_FAIL;
    }
  /* The receiver is kept where the collector updates it. */
  StOop rcvr = it->slots[it->sp];
  st_gc_add_root (vm, &rcvr);
  it->slots[it->sp] = it->true_obj;
  GError *error = NULL;
  gboolean ok = st_interp_snapshot (vm, it->snapshot_path, ST_WRITE_FORCE, &error);
  st_gc_remove_root (vm, &rcvr);
  if (!ok)
    {
      st_interp_note_event (it, "snapshot to %s failed: %s", it->snapshot_path, error->message);
      g_error_free (error);
      it->slots[it->sp] = rcvr;
      return ST_PRIM_FAIL;
    }
  st_interp_note_event (it, "snapshot written to %s", it->snapshot_path);
  return st_prim_return (it, argc, it->false_obj);
}

/* lowSpaceSemaphore: (124) goes into the special objects; the collector
 * signals it once the room left falls below the threshold (125). */
StPrimResult
st_prim_low_space_semaphore (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1 || st_special_count (vm) <= ST_SPLOB_THE_LOW_SPACE_SEMAPHORE)
    return ST_PRIM_FAIL;
  st_store (vm, vm->special_objects, ST_SPLOB_THE_LOW_SPACE_SEMAPHORE, st_stack_value (it, 0));
  return answer_receiver (it, argc);
}

StPrimResult
st_prim_set_low_space_threshold (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  int64_t v;
  if (argc != 1 || !st_interp_to_int64 (it, st_stack_value (it, 0), &v) || v < 0)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  it->low_space_threshold = (uint64_t) v;
  it->low_space_signalled = false;
  return answer_receiver (it, argc);
}

/* --- named primitives (117) --- */

StPrimResult
st_prim_named (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop m = it->new_method;
  StMethodHeader hdr;
  if (m == 0 || !st_method_header (vm, m, &hdr, NULL) || hdr.num_literals == 0)
    return ST_PRIM_FAIL;
  StOop desc = st_method_literal (vm, m, 0);
  if (!st_interp_valid_obj (vm, desc) || !st_fmt_is_pointers (st_format (vm, desc)) || st_num_slots (vm, desc) < 2)
    return ST_PRIM_FAIL;
  g_autofree char *module = st_interp_string (vm, st_fetch (vm, desc, 0));
  g_autofree char *name = st_interp_string (vm, st_fetch (vm, desc, 1));
  StPrimFn fn = st_prims_named_lookup (module ? module : "", name ? name : "");
  if (fn != NULL)
    return fn (vm, argc);
  g_autofree char *key = g_strdup_printf ("%s>>%s", module ? module : "", name ? name : "?");
  st_interp_count_missing (it, key);
  return ST_PRIM_ERR_NOT_FOUND;
}

/* Smalltalk interruptSemaphore: the user interrupt (never signalled
 * headless): kept in the special objects array as the VM would. */
StPrimResult
st_prim_interrupt_semaphore (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (vm->special_objects != 0 && st_num_slots (vm, vm->special_objects) > ST_SPLOB_THE_INTERRUPT_SEMAPHORE)
    st_store (vm, vm->special_objects, ST_SPLOB_THE_INTERRUPT_SEMAPHORE, st_stack_value (it, 0));
  return answer_receiver (it, argc);
}

StPrimResult st_prim_set_interrupt_key (StVM *vm, int argc) { return answer_receiver (st_interp (vm), argc); }

/* Display depthSupported: n */
StPrimResult
st_prim_test_display_depth (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop d = st_stack_value (it, 0);
  if (argc != 1 || !st_is_smallint (d))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t v = st_smallint_value (d);
  bool ok = v == 1 || v == 2 || v == 4 || v == 8 || v == 16 || v == 32;
  return st_prim_return (it, argc, st_bool (it, ok));
}
