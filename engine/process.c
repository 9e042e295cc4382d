/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "class-info.h"
#include "path.h"
#include "printer.h"
#include "process.h"

#define DEFAULT_MAX_FRAMES 10000
#define MAX_LIST_LINKS     1000000

void
st_frame_free (StFrame *f)
{
  if (f == NULL)
    return;
  g_free (f->print);
  g_free (f->receiver);
  g_free (f);
}

void
st_process_info_free (StProcessInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->print);
  g_free (info->state);
  g_free (info->name);
  g_free (info->found_in);
  if (info->frames)
    g_ptr_array_unref (info->frames);
  g_free (info->problem);
  g_free (info);
}

static GPtrArray *
stack_with (StPrinter *p, StOop ctx, guint max_frames, bool *truncated, char **problem)
{
  StVM *vm = st_printer_vm (p);
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify) st_frame_free);
  GHashTable *seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  if (max_frames == 0)
    max_frames = DEFAULT_MAX_FRAMES;
  *truncated = false;
  *problem = NULL;
  guint depth = 0;
  while (ctx != vm->nil_obj)
    {
      if (!st_printer_is_context (p, ctx))
        {
          g_autofree char *what = st_printer_print (p, ctx, 60);
          *problem = depth == 0
            ? g_strdup_printf ("the suspended context is %s (0x%" G_GINT64_MODIFIER "x), not a context", what, ctx)
            : g_strdup_printf ("the sender of frame %u is %s (0x%" G_GINT64_MODIFIER "x), not a context", depth - 1,
                               what, ctx);
          break;
        }
      gint64 k = (gint64) ctx;
      if (g_hash_table_contains (seen, &k))
        {
          *problem = g_strdup_printf ("the sender chain loops back to 0x%" G_GINT64_MODIFIER "x at frame %u", ctx,
                                      depth);
          break;
        }
      if (depth >= max_frames)
        {
          *truncated = true;
          break;
        }
      gint64 *kk = g_new (gint64, 1);
      *kk = k;
      g_hash_table_add (seen, kk);
      StFrame *f = g_new0 (StFrame, 1);
      f->address = ctx;
      f->print = st_printer_print (p, ctx, 200);
      f->block = st_printer_is_block_context (p, ctx)
                 || (vm->personality.closures && st_fetch (vm, ctx, 4) != vm->nil_obj);
      StOop home = st_printer_is_block_context (p, ctx) ? st_fetch (vm, ctx, 5) : ctx;
      f->receiver = st_printer_is_context (p, home) ? st_printer_print (p, st_fetch (vm, home, 5), 60)
                                                    : g_strdup ("?");
      g_ptr_array_add (frames, f);
      depth++;
      ctx = st_fetch (vm, ctx, 0);
    }
  g_hash_table_unref (seen);
  return frames;
}

GPtrArray *
st_process_stack (StVM *vm, StOop ctx, guint max_frames, bool *truncated, char **problem)
{
  StPrinter *p = st_printer_new (vm);
  GPtrArray *r = stack_with (p, ctx, max_frames, truncated, problem);
  st_printer_free (p);
  return r;
}

typedef struct {
  StPrinter  *p;
  StVM       *vm;
  StOop       process_class;
  GHashTable *is_process_class;   /* class oop -> 1 (yes) or 2 (no) */
  GHashTable *seen;               /* process oop (heap-allocated keys) */
  GPtrArray  *out;
  guint       max_frames;
} Collect;

static bool
is_process (Collect *c, StOop o)
{
  StVM *vm = c->vm;
  if (!st_printer_is_object (vm, o) || st_format (vm, o) != ST_FMT_FIXED || st_num_slots (vm, o) < 4)
    return false;
  StOop cls = st_class_info_class_of (vm, o);
  gint64 k = (gint64) cls;
  gpointer v = g_hash_table_lookup (c->is_process_class, &k);
  if (v == NULL)
    {
      bool yes = c->process_class != 0 && st_printer_inherits (c->p, cls, c->process_class);
      gint64 *kk = g_new (gint64, 1);
      *kk = k;
      v = GINT_TO_POINTER (yes ? 1 : 2);
      g_hash_table_insert (c->is_process_class, kk, v);
    }
  return GPOINTER_TO_INT (v) == 1;
}

static bool
already (Collect *c, StOop proc)
{
  gint64 k = (gint64) proc;
  return g_hash_table_contains (c->seen, &k);
}

static void
add_process (Collect *c, StOop proc, const char *found_in)
{
  StVM *vm = c->vm;
  if (already (c, proc))
    return;
  gint64 *k = g_new (gint64, 1);
  *k = (gint64) proc;
  g_hash_table_add (c->seen, k);
  StProcessInfo *info = g_new0 (StProcessInfo, 1);
  info->address = proc;
  info->print = st_printer_print (c->p, proc, 200);
  info->state = st_printer_process_state (c->p, proc);
  StOop prio = st_fetch (vm, proc, 2);
  info->priority = st_is_smallint (prio) ? st_smallint_value (prio) : -1;
  info->found_in = g_strdup (found_in);
  /* A name, if the class has a `name` variable holding a String. */
  StOop cls = st_class_info_class_of (vm, proc);
  g_auto (GStrv) names = st_printer_inst_var_names (c->p, cls);
  uint64_t n = st_num_slots (vm, proc);
  for (guint i = 0; names != NULL && names[i] != NULL && i < n; i++)
    if (g_str_equal (names[i], "name") && st_printer_is_string (c->p, st_fetch (vm, proc, i)))
      info->name = st_printer_bytes_string (c->p, st_fetch (vm, proc, i));
  bool truncated = false;
  info->frames = stack_with (c->p, st_fetch (vm, proc, 1), c->max_frames, &truncated, &info->problem);
  info->truncated = truncated;
  g_ptr_array_add (c->out, info);
}

/* Follow a linked list of processes from its holder's first slot. */
static void
walk_list (Collect *c, StOop holder, const char *found_in)
{
  StVM *vm = c->vm;
  StOop link = st_fetch (vm, holder, 0);
  for (guint i = 0; i < MAX_LIST_LINKS && link != vm->nil_obj; i++)
    {
      if (!is_process (c, link) || already (c, link))
        break;
      add_process (c, link, found_in);
      link = st_fetch (vm, link, 0);
    }
}

static int
by_priority_desc (gconstpointer a, gconstpointer b)
{
  const StProcessInfo *x = *(StProcessInfo *const *) a, *y = *(StProcessInfo *const *) b;
  return x->priority < y->priority ? 1 : x->priority > y->priority ? -1 : 0;
}

GPtrArray *
st_process_list (StVM *vm, guint max_frames, GError **error)
{
  Collect c = { 0 };
  c.p = st_printer_new (vm);
  c.vm = vm;
  c.max_frames = max_frames;
  c.out = g_ptr_array_new_with_free_func ((GDestroyNotify) st_process_info_free);
  c.seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  c.is_process_class = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  StOop pc = st_printer_special (vm, ST_SPLOB_CLASS_PROCESS);
  c.process_class = st_printer_is_class (c.p, pc) ? pc : 0;
  StOop sched = st_printer_scheduler (c.p);
  if (sched == 0 && c.process_class == 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID,
                   "the heap has neither a readable ProcessorScheduler (special object 3) nor a Process class "
                   "(special object 27)");
      goto fail;
    }
  if (sched != 0)
    {
      StOop active = st_fetch (vm, sched, 1);
      if (is_process (&c, active))
        add_process (&c, active, "activeProcess");
      StOop lists = st_fetch (vm, sched, 0);
      if (st_printer_is_object (vm, lists) && st_format (vm, lists) == ST_FMT_INDEXABLE)
        {
          uint64_t n = st_num_slots (vm, lists);
          for (uint64_t i = n; i-- > 0;)
            {
              StOop list = st_fetch (vm, lists, i);
              if (!st_printer_is_object (vm, list) || !st_fmt_is_pointers (st_format (vm, list))
                  || st_num_slots (vm, list) < 1)
                continue;
              g_autofree char *where = g_strdup_printf ("quiescentProcessLists[%" G_GUINT64_FORMAT "]", i + 1);
              walk_list (&c, list, where);
            }
        }
    }
  /* Waiting processes: any other holder whose first slot is a Process. */
  GPtrArray *waiting_holders = g_ptr_array_new ();
  GPtrArray *instances = g_ptr_array_new ();
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0)
    {
      if (st_class_index (vm, o) < ST_CLASS_INDEX_FIRST_REAL || !st_fmt_is_pointers (st_format (vm, o))
          || st_num_slots (vm, o) < 1)
        continue;
      if (is_process (&c, o))
        {
          g_ptr_array_add (instances, (gpointer) (uintptr_t) o);
          continue;
        }
      StOop first = st_fetch (vm, o, 0);
      if (first != vm->nil_obj && is_process (&c, first))
        g_ptr_array_add (waiting_holders, (gpointer) (uintptr_t) o);
    }
  for (guint i = 0; i < waiting_holders->len; i++)
    {
      StOop h = (StOop) (uintptr_t) waiting_holders->pdata[i];
      g_autofree char *hp = st_printer_print (c.p, h, 60);
      g_autofree char *where = g_strdup_printf ("%s (0x%" G_GINT64_MODIFIER "x)", hp, h);
      walk_list (&c, h, where);
    }
  /* Processes that are on no list: suspended or terminated.  A process
   * whose myList names a list it was not found in is still listed here. */
  guint first_rest = c.out->len;
  for (guint i = 0; i < instances->len; i++)
    add_process (&c, (StOop) (uintptr_t) instances->pdata[i], "heap");
  g_ptr_array_free (waiting_holders, TRUE);
  g_ptr_array_free (instances, TRUE);
  /* Keep the order found, but sort the unlisted ones by priority. */
  if (c.out->len > first_rest + 1)
    {
      GPtrArray *tail = g_ptr_array_new ();
      for (guint i = first_rest; i < c.out->len; i++)
        g_ptr_array_add (tail, c.out->pdata[i]);
      g_ptr_array_sort (tail, by_priority_desc);
      for (guint i = 0; i < tail->len; i++)
        c.out->pdata[first_rest + i] = tail->pdata[i];
      g_ptr_array_free (tail, TRUE);
    }
  st_printer_free (c.p);
  g_hash_table_unref (c.seen);
  g_hash_table_unref (c.is_process_class);
  return c.out;

fail:
  st_printer_free (c.p);
  g_hash_table_unref (c.seen);
  g_hash_table_unref (c.is_process_class);
  g_ptr_array_unref (c.out);
  return NULL;
}
