/* SPDX-License-Identifier: GPL-3.0-or-later */
/* debug.c: breakpoints, stepping, halts on trouble, frame dropping and
 * checkpoints (see debug.h).
 *
 * The debugger hangs off the interpreter (it->debug).  The periodic check
 * of the dispatch loop calls st_debug_check at instruction boundaries and
 * keeps checking at every boundary while the debugger asks for it, so the
 * fast path is unchanged.  A halt is an ordinary trap stop: the loop
 * writes the registers back and st_interp_run returns ST_RUN_TRAP.
 *
 * Most breakpoints need no hook in the interpreter: between two
 * boundaries the interpreter's counters (sends, primitive failures,
 * process switches, doesNotUnderstand:) tell what happened.  Two need
 * one: a primitive about to run (st_debug_before_primitive, from
 * st_interp_execute) and a collection about to happen
 * (st_debug_before_gc, from the periodic check).  A halt before a
 * primitive leaves the send half done: receiver and arguments on the
 * stack, the pc after the send; the primitive runs first thing when the
 * run goes on. */
#include "config.h"

#include <string.h>

#include "debug.h"
#include "disasm.h"
#include "gc.h"
#include "heap-check.h"
#include "interp-private.h"
#include "path.h"
#include "image-write.h"

G_DEFINE_QUARK (st-debug-error-quark, st_debug_error)

#define MAX_CHECKPOINTS 16
#define MAX_SUPERCLASSES 1000

typedef enum {
  MODE_CONTINUE,
  MODE_STEP,
  MODE_NEXT,
  MODE_FINISH,
  MODE_RUN_TO,
} Mode;

typedef enum {
  BK_METHOD,     /* one method: entry, or a pc */
  BK_SELECTOR,   /* every method under a selector, on entry */
  BK_ERRORS,     /* the image's unhandled-error / cannotReturn: methods, on entry */
  BK_DNU,
  BK_PRIM,       /* before primitive N */
  BK_PRIMFAIL,   /* primitive N failed */
  BK_SWITCH,
  BK_GC,
  BK_SENDS,
  BK_DEPTH,
} BreakKind;

typedef struct {
  guint id;
  BreakKind kind;
  char *spec;           /* as given */
  char *target;         /* method path or selector (method kinds) */
  int64_t image_pc;     /* BK_METHOD: the image pc, or -1 for entry */
  guint prim;
  uint64_t count;       /* BK_SENDS: the absolute send count; BK_DEPTH: the limit */
  bool gc_before, gc_after;
  bool done;            /* a one-shot breakpoint that fired */
  char *if_class;       /* condition: the receiver's class, or NULL */
  StOop cls;            /* its class (a root), 0 when none */
  GArray *methods;      /* StOop (roots) */
  GArray *heap_pcs;     /* uint64_t: BK_METHOD with a pc, per method */
  uint64_t hits;
} Break;

typedef struct {
  guint number;
  GArray *segs;          /* StSegment */
  GPtrArray *data;       /* guint8 *, one per segment */
  gsize bytes;
  StOop special_objects, free_lists_obj, hidden_roots_obj;
  StImageHeader header;  /* its last_hash changes as objects get hashes */
  StInterp *state;
  GArray *pending;       /* StOop: pending semaphore signals */
  gsize output_len;
  guint events;
  StOop prim_method, prim_selector;
  int prim_argc;
  bool before_gc;
  char *where;
  uint64_t bytecodes, sends;
} Checkpoint;

struct _StDebug {
  StVM *vm;
  StPrinter *printer;
  GPtrArray *old_printers;   /* StPrinter *, replaced ones */
  uint64_t printer_gcs;      /* collections when the printer was made */
  GPtrArray *breaks;         /* Break * */
  guint next_break_id;
  GArray *break_infos;       /* StDebugBreakInfo, rebuilt on demand */

  Mode mode;
  StOop target;              /* the context next/finish/run-to started in */
  uint64_t to_pc;            /* run-to: heap pc */
  StOop process;             /* the process the command started in */
  bool in_process;           /* the active process is that one */
  uint64_t run_start;        /* stats.bytecodes when the command started */
  StOop last_ctx;            /* the active context at the previous boundary */
  uint64_t last_dnu, last_failures, last_switches;

  /* recursion depth (only with a depth breakpoint) */
  StOop depth_ctx;
  uint64_t depth;

  /* a primitive call held back by a prim breakpoint */
  StOop prim_method, prim_selector;
  int prim_argc;
  bool skip_prim;            /* the held-back call is being made */
  bool skip_gc;              /* the collection halted before goes ahead */

  /* halts found outside st_debug_check (GC hooks), taken at the next boundary */
  bool pending;
  StDebugHalt pending_reason;
  char *pending_text;
  guint pending_break;

  bool gc_check;
  bool cp_before_gc;
  bool own_gc;               /* a collection the debugger asked for */
  guint gc_checks;
  uint64_t check_baseline;   /* findings of the heap check when it was switched on */
  guint gc_hook, root_provider;

  GPtrArray *checkpoints;    /* Checkpoint * */
  guint next_checkpoint;
  GArray *cp_infos;          /* StDebugCheckpointInfo */

  bool halted;               /* the last trap came from the debugger */
  StDebugHalt reason;
  guint halt_break;
  char *text;
};

static void
set_halt (StDebug *d, StDebugHalt reason, char *text)
{
  d->halted = true;
  d->reason = reason;
  g_free (d->text);
  d->text = text;
}

/* Printers cache heap addresses: a new one after objects may have moved
 * (a collection, a rewind).  Old ones stay allocated until the debugger
 * is freed, so a caller still holding one does not crash. */
static void
renew_printer (StDebug *d, bool force)
{
  const StGcStats *s = st_gc_stats (d->vm);
  uint64_t n = s ? s->scavenges + s->full_gcs + s->tenure_alls : 0;
  if (!force && n == d->printer_gcs)
    return;
  d->printer_gcs = n;
  g_ptr_array_add (d->old_printers, d->printer);
  d->printer = st_printer_new (d->vm);
}

/* ---- roots and hooks ---- */

static void
visit_roots (StVM *vm, StGcRootFunc visit, gpointer visit_data, gpointer data)
{
  StDebug *d = data;
  (void) vm;
  StOop *slots[] = { &d->target, &d->process, &d->last_ctx, &d->depth_ctx, &d->prim_method, &d->prim_selector };
  for (guint i = 0; i < G_N_ELEMENTS (slots); i++)
    if (*slots[i] != 0)
      visit (slots[i], visit_data);
  for (guint i = 0; i < d->breaks->len; i++)
    {
      Break *b = g_ptr_array_index (d->breaks, i);
      if (b->cls != 0)
        visit (&b->cls, visit_data);
      for (guint j = 0; j < b->methods->len; j++)
        visit (&g_array_index (b->methods, StOop, j), visit_data);
    }
}

static void
post_halt (StDebug *d, StDebugHalt reason, char *text, guint id)
{
  if (d->pending)
    {
      g_free (text);
      return;
    }
  d->pending = true;
  d->pending_reason = reason;
  g_free (d->pending_text);
  d->pending_text = text;
  d->pending_break = id;
  StInterp *it = st_interp (d->vm);
  __atomic_store_n (&it->check_at, 0, __ATOMIC_RELAXED);
}

static bool
receiver_is (StDebug *d, const Break *b, StOop rcvr)
{
  if (b->cls == 0)
    return true;
  StVM *vm = d->vm;
  if (st_is_pointer (rcvr) && !st_interp_valid_obj (vm, rcvr))
    return false;
  StOop c = st_class_of (vm, rcvr);
  for (guint i = 0; i < MAX_SUPERCLASSES && c != 0 && c != vm->nil_obj; i++)
    {
      if (c == b->cls)
        return true;
      if (!st_interp_valid_obj (vm, c) || st_num_slots (vm, c) <= ST_CLASS_SUPERCLASS)
        return false;
      c = st_fetch (vm, c, ST_CLASS_SUPERCLASS);
    }
  return false;
}

static StOop
active_receiver (StInterp *it)
{
  return it->ctx != 0 ? it->receiver : it->nil;
}

static void
gc_hook (StVM *vm, gboolean after, const StGcSample *sample, gpointer data)
{
  StDebug *d = data;
  if (!after || d->own_gc || sample == NULL)
    return;
  StInterp *it = st_interp (vm);
  if (d->gc_check && sample->kind != ST_GC_SCAVENGE)
    {
      /* new space is empty after these: the heap walk sees everything */
      st_interp_save_registers (it);
      StCheckOptions opt = { .max_findings = 20, .skip_bytecodes = true };
      StCheckReport *r = st_heap_check (vm, &opt);
      d->gc_checks++;
      if (r->n_findings_total > d->check_baseline)
        post_halt (d, ST_DEBUG_HALT_INTEGRITY,
                   g_strdup_printf ("the heap check after %s collection #%" G_GUINT64_FORMAT " found %" G_GUINT64_FORMAT
                                    " problems (%" G_GUINT64_FORMAT " before): %s", st_gc_kind_name (sample->kind),
                                    sample->seq, r->n_findings_total, d->check_baseline,
                                    r->n_findings > 0 ? r->findings[0].message : "?"), 0);
      st_check_report_free (r);
    }
  for (guint i = 0; i < d->breaks->len; i++)
    {
      Break *b = g_ptr_array_index (d->breaks, i);
      if (b->kind == BK_GC && b->gc_after && receiver_is (d, b, active_receiver (it)))
        {
          b->hits++;
          post_halt (d, ST_DEBUG_HALT_GC,
                     g_strdup_printf ("after %s collection #%" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " -> %"
                                      G_GUINT64_FORMAT " bytes, %" G_GINT64_FORMAT " us)",
                                      st_gc_kind_name (sample->kind), sample->seq, sample->bytes_before,
                                      sample->bytes_after, sample->pause_usecs), b->id);
          break;
        }
    }
}

/* A collection the debugger needs (checkpoints, saving, heap walks): new
 * space emptied into old space, no breakpoints or checks fired. */
static gboolean
own_collect (StDebug *d, GError **error)
{
  StInterp *it = st_interp (d->vm);
  if (it == NULL || it->gc == NULL)
    return TRUE;
  st_interp_save_registers (it);
  d->own_gc = true;
  gboolean ok = st_gc_collect (d->vm, ST_GC_TENURE_ALL, error);
  d->own_gc = false;
  return ok;
}

StDebug *
st_debug_new (StVM *vm, GError **error)
{
  StInterp *it = st_interp (vm);
  if (it == NULL || it->ctx == 0)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CONTEXT,
                   "the interpreter is not initialised or has no active context");
      return NULL;
    }
  StDebug *d = g_new0 (StDebug, 1);
  d->vm = vm;
  d->printer = st_printer_new (vm);
  d->old_printers = g_ptr_array_new_with_free_func ((GDestroyNotify) st_printer_free);
  const StGcStats *gs = st_gc_stats (vm);
  d->printer_gcs = gs ? gs->scavenges + gs->full_gcs + gs->tenure_alls : 0;
  d->breaks = g_ptr_array_new ();
  d->break_infos = g_array_new (FALSE, FALSE, sizeof (StDebugBreakInfo));
  d->checkpoints = g_ptr_array_new ();
  d->cp_infos = g_array_new (FALSE, FALSE, sizeof (StDebugCheckpointInfo));
  d->next_break_id = 1;
  d->next_checkpoint = 1;
  d->reason = ST_DEBUG_HALT_STARTUP;
  d->text = g_strdup ("stopped before the first bytecode");
  d->last_ctx = it->ctx;
  d->last_dnu = it->stats.dnu_sends;
  d->last_failures = it->stats.primitive_failures;
  d->last_switches = it->stats.process_switches;
  if (it->gc != NULL)
    {
      d->root_provider = st_gc_add_root_provider (vm, visit_roots, d);
      d->gc_hook = st_gc_add_hook (vm, gc_hook, d);
    }
  it->debug = d;
  return d;
}

static void
break_free (Break *b)
{
  g_free (b->spec);
  g_free (b->target);
  g_free (b->if_class);
  g_array_unref (b->methods);
  g_array_unref (b->heap_pcs);
  g_free (b);
}

static void
checkpoint_free (Checkpoint *c)
{
  g_array_unref (c->segs);
  g_ptr_array_unref (c->data);
  g_free (c->state);
  g_array_unref (c->pending);
  g_free (c->where);
  g_free (c);
}

void
st_debug_free (StDebug *d)
{
  if (d == NULL)
    return;
  StInterp *it = st_interp (d->vm);
  if (it != NULL && it->debug == d)
    it->debug = NULL;
  if (it != NULL && it->gc != NULL)
    {
      if (d->root_provider)
        st_gc_remove_root_provider (d->vm, d->root_provider);
      if (d->gc_hook)
        st_gc_remove_hook (d->vm, d->gc_hook);
    }
  st_debug_clear_breakpoints (d);
  g_ptr_array_unref (d->breaks);
  g_array_unref (d->break_infos);
  for (guint i = 0; i < d->checkpoints->len; i++)
    checkpoint_free (g_ptr_array_index (d->checkpoints, i));
  g_ptr_array_unref (d->checkpoints);
  g_array_unref (d->cp_infos);
  st_printer_free (d->printer);
  g_ptr_array_unref (d->old_printers);
  g_free (d->pending_text);
  g_free (d->text);
  g_free (d);
}

StPrinter *
st_debug_printer (StDebug *d)
{
  return d->printer;
}

/* ---- breakpoints ---- */

/* Does a Symbol's text equal s?  Checked against the object's bounds. */
static bool
symbol_is (StVM *vm, StOop sym, const char *s, gsize len)
{
  if (!st_interp_valid_obj (vm, sym) || !st_fmt_is_bytes (st_format (vm, sym)) || st_fmt_is_method (st_format (vm, sym)))
    return false;
  if (st_byte_length (vm, sym) != len)
    return false;
  return memcmp (st_bytes (vm, sym), s, len) == 0;
}

/* Every method installed under selector, appended to out. */
static guint
methods_under (StDebug *d, const char *selector, GArray *out)
{
  StVM *vm = d->vm;
  gsize len = strlen (selector);
  guint found = 0;
  own_collect (d, NULL);
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  /* Every class's method dictionary: a class is what the printer calls
   * one; its slot 1 is a MethodDictionary (tally, array, keys...). */
  while ((o = st_heap_walk_next (&w)) != 0)
    {
      if (!st_printer_is_class (d->printer, o))
        continue;
      StOop dict = st_fetch (vm, o, ST_CLASS_METHOD_DICT);
      if (!st_interp_valid_obj (vm, dict) || !st_fmt_is_pointers (st_format (vm, dict)))
        continue;
      uint64_t n = st_num_slots (vm, dict);
      if (n <= ST_MDICT_KEYS)
        continue;
      StOop values = st_fetch (vm, dict, ST_MDICT_ARRAY);
      if (!st_interp_valid_obj (vm, values) || !st_fmt_is_pointers (st_format (vm, values)))
        continue;
      uint64_t nv = st_num_slots (vm, values);
      for (uint64_t i = ST_MDICT_KEYS; i < n; i++)
        {
          if (!symbol_is (vm, st_fetch (vm, dict, i), selector, len) || i - ST_MDICT_KEYS >= nv)
            continue;
          StOop m = st_fetch (vm, values, i - ST_MDICT_KEYS);
          if (st_interp_valid_obj (vm, m) && st_fmt_is_method (st_format (vm, m)))
            {
              g_array_append_val (out, m);
              found++;
            }
        }
    }
  return found;
}

static StOop
method_at_path (StDebug *d, const char *path, GError **error)
{
  StPathTarget t;
  if (!st_path_resolve (d->printer, path, &t, error))
    return 0;
  if (!st_interp_valid_obj (d->vm, t.value) || !st_fmt_is_method (st_format (d->vm, t.value)))
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NOT_FOUND, "%s is not a CompiledMethod", path);
      return 0;
    }
  return t.value;
}

/* Where the image's families report an unhandled error, open a debugger
 * or notifier, or tell a context it cannot return (Squeak 2-6, Cuis,
 * Pharo, Scratch); those an image lacks are skipped. */
static const char *const trouble_paths[] = {
  "Error>>defaultAction",
  "UnhandledError>>defaultAction",
  "SyntaxErrorNotification>>defaultAction",
  "Debugger class>>openContext:label:contents:",
  "Debugger class>>openOn:context:label:contents:fullView:",
  "Debugger class>>informExistingDebugger:label:",
  "Process>>debug:title:full:",
  "ToolSet class>>debugError:",
  "ToolSet class>>debugContext:label:contents:",
  "UIManager>>unhandledErrorDefaultAction:",
  "MorphicUIManager>>unhandledErrorDefaultAction:",
};

/* Find a breakpoint's methods and condition class (again after a rewind). */
static bool
resolve (StDebug *d, Break *b, GError **error)
{
  StVM *vm = d->vm;
  g_array_set_size (b->methods, 0);
  g_array_set_size (b->heap_pcs, 0);
  b->cls = 0;
  if (b->if_class != NULL)
    {
      StPathTarget t;
      if (!st_path_resolve (d->printer, b->if_class, &t, error))
        return false;
      if (!st_printer_is_class (d->printer, t.value))
        {
          g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NOT_FOUND, "%s is not a class", b->if_class);
          return false;
        }
      b->cls = t.value;
    }
  switch (b->kind)
    {
    case BK_METHOD:
      {
        StOop m = method_at_path (d, b->target, error);
        if (m == 0)
          return false;
        g_array_append_val (b->methods, m);
        if (b->image_pc >= 0)
          {
            StMethodHeader h;
            if (!st_method_header (vm, m, &h, NULL))
              {
                g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NOT_FOUND, "%s has no usable header", b->target);
                return false;
              }
            uint64_t off = st_disasm_heap_offset (vm, &h, (uint64_t) b->image_pc);
            uint64_t end = st_byte_length (vm, m);
            if (off < h.initial_pc || off >= end)
              {
                g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NOT_FOUND, "pc %" G_GINT64_FORMAT
                             " is outside the bytecodes of %s", b->image_pc, b->target);
                return false;
              }
            g_array_append_val (b->heap_pcs, off);
          }
        return true;
      }
    case BK_SELECTOR:
      if (methods_under (d, b->target, b->methods) == 0)
        {
          g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NOT_FOUND, "no class has a method #%s", b->target);
          return false;
        }
      return true;
    case BK_ERRORS:
      for (guint i = 0; i < G_N_ELEMENTS (trouble_paths); i++)
        {
          StOop m = method_at_path (d, trouble_paths[i], NULL);
          if (m != 0)
            g_array_append_val (b->methods, m);
        }
      methods_under (d, "cannotReturn:", b->methods);
      {
        /* Before exceptions (Squeak 1.x), error: itself opens the notifier. */
        StOop binding, value;
        StOop m = 0;
        if (!st_path_global (d->printer, "Error", &binding, &value)
            && (m = method_at_path (d, "Object>>error:", NULL)) != 0)
          g_array_append_val (b->methods, m);
      }
      if (b->methods->len == 0)
        {
          g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NOT_FOUND,
                       "the image has none of the methods that report unhandled errors");
          return false;
        }
      return true;
    default:
      return true;
    }
}

static bool
parse_uint (const char *s, uint64_t *out)
{
  if (s == NULL || *s == '\0')
    return false;
  char *end = NULL;
  guint64 v = g_ascii_strtoull (s, &end, 10);
  if (end == s || *end != '\0')
    return false;
  *out = v;
  return true;
}

static Break *
find_break (StDebug *d, guint id)
{
  for (guint i = 0; i < d->breaks->len; i++)
    {
      Break *b = g_ptr_array_index (d->breaks, i);
      if (b->id == id)
        return b;
    }
  return NULL;
}

guint
st_debug_break_add (StDebug *d, const char *spec, GError **error)
{
  StInterp *it = st_interp (d->vm);
  g_autofree char *text = g_strstrip (g_strdup (spec));
  g_auto (GStrv) w = NULL;
  Break *b = g_new0 (Break, 1);
  b->spec = g_strdup (text);
  b->image_pc = -1;
  b->methods = g_array_new (FALSE, FALSE, sizeof (StOop));
  b->heap_pcs = g_array_new (FALSE, FALSE, sizeof (uint64_t));
  /* "... if CLASS" */
  char *cond = strstr (text, " if ");
  if (cond != NULL)
    {
      *cond = '\0';
      b->if_class = g_strstrip (g_strdup (cond + 4));
      g_strstrip (text);
      if (*b->if_class == '\0')
        goto syntax;
    }
  w = g_strsplit_set (text, " \t", -1);
  const char *word[4] = { NULL };   /* the first non-empty words */
  guint n = 0;
  for (guint i = 0; w[i] != NULL; i++)
    if (*w[i] != '\0')
      {
        if (n < G_N_ELEMENTS (word))
          word[n] = w[i];
        n++;
      }
  if (n == 0)
    goto syntax;
  uint64_t v;
  if (strcmp (word[0], "dnu") == 0 || strcmp (word[0], "doesNotUnderstand:") == 0)
    b->kind = BK_DNU;
  else if ((strcmp (word[0], "prim") == 0 || strcmp (word[0], "primfail") == 0) && n == 2 && parse_uint (word[1], &v)
           && v > 0 && v < 100000)
    {
      b->kind = word[0][4] == 'f' ? BK_PRIMFAIL : BK_PRIM;
      b->prim = (guint) v;
    }
  else if (strcmp (word[0], "switch") == 0 && n == 1)
    b->kind = BK_SWITCH;
  else if (strcmp (word[0], "gc") == 0 && n <= 2)
    {
      b->kind = BK_GC;
      b->gc_before = n == 1 || strcmp (word[1], "before") == 0;
      b->gc_after = n == 1 || strcmp (word[1], "after") == 0;
      if (!b->gc_before && !b->gc_after)
        goto syntax;
    }
  else if (strcmp (word[0], "sends") == 0 && n == 2 && parse_uint (word[1], &v) && v > 0)
    {
      b->kind = BK_SENDS;
      b->count = it->stats.sends + v;
    }
  else if (strcmp (word[0], "depth") == 0 && n == 2 && parse_uint (word[1], &v) && v > 0)
    {
      b->kind = BK_DEPTH;
      b->count = v;
      d->depth_ctx = 0;
    }
  else if (strcmp (word[0], "errors") == 0 && n == 1)
    b->kind = BK_ERRORS;
  else if (strstr (text, ">>") != NULL)
    {
      /* "Foo>>bar", "Foo class>>bar", optionally "pc N" */
      b->kind = BK_METHOD;
      char *pc = strstr (text, " pc ");
      if (pc != NULL)
        {
          if (!parse_uint (g_strstrip (pc + 4), &v))
            goto syntax;
          b->image_pc = (int64_t) v;
          *pc = '\0';
        }
      b->target = g_strdup (g_strstrip (text));
    }
  else if (n == 1)
    {
      b->kind = BK_SELECTOR;
      b->target = g_strdup (word[0]);
    }
  else
    goto syntax;
  if (!resolve (d, b, error))
    {
      break_free (b);
      return 0;
    }
  b->id = d->next_break_id++;
  g_ptr_array_add (d->breaks, b);
  return b->id;

syntax:
  g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_SYNTAX,
               "cannot parse breakpoint '%s' (SELECTOR, Class>>sel [pc N], dnu, prim N, primfail N, switch, "
               "gc [before|after], sends N, depth N, errors; any followed by 'if CLASS')", spec);
  break_free (b);
  return 0;
}

gboolean
st_debug_break_delete (StDebug *d, guint id)
{
  for (guint i = 0; i < d->breaks->len; i++)
    {
      Break *b = g_ptr_array_index (d->breaks, i);
      if (b->id == id)
        {
          g_ptr_array_remove_index (d->breaks, i);
          break_free (b);
          return TRUE;
        }
    }
  return FALSE;
}

GArray *
st_debug_breakpoints (StDebug *d)
{
  g_array_set_size (d->break_infos, 0);
  for (guint i = 0; i < d->breaks->len; i++)
    {
      Break *b = g_ptr_array_index (d->breaks, i);
      StDebugBreakInfo info = { b->id, b->spec, b->methods->len, b->hits };
      g_array_append_val (d->break_infos, info);
    }
  return d->break_infos;
}

guint
st_debug_break_selector (StDebug *d, const char *selector, GError **error)
{
  guint id = st_debug_break_add (d, selector, error);
  if (id == 0)
    return 0;
  return find_break (d, id)->methods->len;
}

gboolean
st_debug_break_path (StDebug *d, const char *path, GError **error)
{
  if (strstr (path, ">>") == NULL)
    {
      StPathTarget t;
      if (st_path_resolve (d->printer, path, &t, NULL))
        g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NOT_FOUND, "%s is not a CompiledMethod", path);
      else
        g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NOT_FOUND, "%s does not name a method", path);
      return FALSE;
    }
  return st_debug_break_add (d, path, error) != 0;
}

void
st_debug_break_method (StDebug *d, StOop method)
{
  Break *b = g_new0 (Break, 1);
  g_autofree char *name = st_interp_method_name (d->vm, method);
  b->kind = BK_METHOD;
  b->spec = g_strdup (name);
  b->target = g_strdup (name);
  b->image_pc = -1;
  b->methods = g_array_new (FALSE, FALSE, sizeof (StOop));
  b->heap_pcs = g_array_new (FALSE, FALSE, sizeof (uint64_t));
  g_array_append_val (b->methods, method);
  b->id = d->next_break_id++;
  g_ptr_array_add (d->breaks, b);
}

void
st_debug_break_dnu (StDebug *d, gboolean on)
{
  for (guint i = 0; i < d->breaks->len; i++)
    {
      Break *b = g_ptr_array_index (d->breaks, i);
      if (b->kind == BK_DNU && b->if_class == NULL)
        {
          if (!on)
            st_debug_break_delete (d, b->id);
          return;
        }
    }
  if (on)
    st_debug_break_add (d, "dnu", NULL);
}

void
st_debug_clear_breakpoints (StDebug *d)
{
  for (guint i = 0; i < d->breaks->len; i++)
    break_free (g_ptr_array_index (d->breaks, i));
  g_ptr_array_set_size (d->breaks, 0);
}

guint
st_debug_breakpoint_count (StDebug *d)
{
  return d->breaks->len;
}

void
st_debug_set_gc_check (StDebug *d, gboolean on)
{
  if (on && !d->gc_check)
    {
      /* what the heap has already is not news */
      own_collect (d, NULL);
      StCheckOptions opt = { .max_findings = 20, .skip_bytecodes = true };
      StCheckReport *r = st_heap_check (d->vm, &opt);
      d->check_baseline = r->n_findings_total;
      st_check_report_free (r);
    }
  d->gc_check = on;
}

void
st_debug_set_checkpoint_before_gc (StDebug *d, gboolean on)
{
  d->cp_before_gc = on;
}

void
st_debug_set_virtual_clock (StDebug *d, guint ns_per_bytecode)
{
  StInterp *it = st_interp (d->vm);
  if (it == NULL)
    return;
  gint64 now = st_interp_mono_usecs (it);
  it->debug_clock_ns_per_bc = ns_per_bytecode;
  /* the clock goes on from where it is */
  it->debug_clock_base_usecs = now - (gint64) (it->stats.bytecodes * (uint64_t) ns_per_bytecode / 1000);
}

guint
st_debug_gc_checks (StDebug *d)
{
  return d->gc_checks;
}

/* ---- the check at instruction boundaries ---- */

static bool
context_returned (StInterp *it, StOop ctx)
{
  StVM *vm = it->vm;
  if (!st_interp_valid_obj (vm, ctx) || st_num_slots (vm, ctx) <= ST_CTX_PC)
    return true;
  return st_fetch (vm, ctx, ST_CTX_PC) == vm->nil_obj;
}

static StOop
sender_of (StInterp *it, StOop ctx)
{
  StVM *vm = it->vm;
  if (!st_interp_valid_obj (vm, ctx) || st_num_slots (vm, ctx) <= ST_CTX_SENDER)
    return 0;
  StOop s = st_fetch (vm, ctx, ST_CTX_SENDER);
  return st_interp_valid_obj (vm, s) ? s : 0;
}

/* Contexts on the sender chain of the active one, counted up to limit + 1;
 * incremental from the last count when the chain just grew or shrank by one. */
static uint64_t
current_depth (StDebug *d, StInterp *it, uint64_t limit)
{
  StOop ctx = it->ctx;
  if (d->depth_ctx != 0 && sender_of (it, ctx) == d->depth_ctx)
    d->depth++;
  else if (d->depth_ctx != 0 && sender_of (it, d->depth_ctx) == ctx && d->depth > 0)
    d->depth--;
  else if (ctx != d->depth_ctx)
    {
      uint64_t n = 0;
      for (StOop c = ctx; c != 0 && c != it->nil && n <= limit + 1; c = sender_of (it, c))
        n++;
      d->depth = n;
    }
  d->depth_ctx = ctx;
  return d->depth;
}

static char *
method_text (StVM *vm, StOop method)
{
  return st_interp_method_name (vm, method);
}

/* Run a primitive call held back by a prim breakpoint. */
static void
make_held_call (StDebug *d, StInterp *it)
{
  StOop m = d->prim_method, sel = d->prim_selector;
  int argc = d->prim_argc;
  d->prim_method = d->prim_selector = 0;
  StMethodHeader h;
  if (!st_interp_valid_obj (it->vm, m) || !st_method_header (it->vm, m, &h, NULL))
    {
      st_interp_fail (it->vm, ST_INTERP_ERROR_BAD_OBJECT, "the held-back primitive call's method is gone");
      return;
    }
  d->skip_prim = true;
  st_interp_execute (it, m, &h, argc, sel);
  d->skip_prim = false;
}

bool
st_debug_check (StInterp *it, bool *every)
{
  StDebug *d = it->debug;
  StVM *vm = it->vm;
  *every = true;
  if (d->prim_method != 0 && it->ctx != 0)
    {
      make_held_call (d, it);
      if (it->stop != ST_RUN_CONTINUE)
        return false;
      if (d->mode == MODE_STEP)
        {
          set_halt (d, ST_DEBUG_HALT_STEP, g_strdup ("the held-back primitive call was made"));
          return true;
        }
      return false;   /* the next boundary sees an activation as entered */
    }
  bool entered = it->ctx != d->last_ctx;
  bool dnu = it->stats.dnu_sends != d->last_dnu;
  bool failed = it->stats.primitive_failures != d->last_failures;
  bool switched = it->stats.process_switches != d->last_switches;
  d->last_ctx = it->ctx;
  d->last_dnu = it->stats.dnu_sends;
  d->last_failures = it->stats.primitive_failures;
  d->last_switches = it->stats.process_switches;
  if (switched && d->mode != MODE_CONTINUE)
    d->in_process = st_sched_active_process (it) == d->process;
  /* prim and gc breakpoints come through hooks: no need to look at
   * every boundary for them */
  bool boundary = d->mode != MODE_CONTINUE || d->pending;
  for (guint i = 0; i < d->breaks->len && !boundary; i++)
    {
      BreakKind k = ((Break *) g_ptr_array_index (d->breaks, i))->kind;
      boundary = k != BK_PRIM && k != BK_GC;
    }
  *every = boundary;
  if (d->pending && it->ctx != 0)
    {
      d->pending = false;
      d->halt_break = d->pending_break;
      set_halt (d, d->pending_reason, g_steal_pointer (&d->pending_text));
      return true;
    }
  if (it->stats.bytecodes == d->run_start || it->ctx == 0)
    return false;

  /* at the first instruction of a new activation? */
  bool at_entry = false;
  if (entered)
    {
      StMethodHeader hdr;
      at_entry = st_method_header (vm, it->method, &hdr, NULL) && it->pc == hdr.initial_pc;
    }
  for (guint i = 0; i < d->breaks->len; i++)
    {
      Break *b = g_ptr_array_index (d->breaks, i);
      StDebugHalt reason;
      char *text = NULL;
      switch (b->kind)
        {
        case BK_METHOD:
          if (g_array_index (b->methods, StOop, 0) != it->method)
            continue;
          if (b->image_pc >= 0 ? it->pc != g_array_index (b->heap_pcs, uint64_t, 0) : !at_entry)
            continue;
          reason = ST_DEBUG_HALT_BREAKPOINT;
          break;
        case BK_SELECTOR:
        case BK_ERRORS:
          {
            if (!at_entry)
              continue;
            bool hit = false;
            for (guint j = 0; j < b->methods->len && !hit; j++)
              hit = g_array_index (b->methods, StOop, j) == it->method;
            if (!hit)
              continue;
            reason = b->kind == BK_ERRORS ? ST_DEBUG_HALT_TROUBLE : ST_DEBUG_HALT_BREAKPOINT;
            break;
          }
        case BK_DNU:
          if (!dnu)
            continue;
          reason = ST_DEBUG_HALT_DNU;
          text = g_strdup ("doesNotUnderstand: sent");
          break;
        case BK_PRIMFAIL:
          {
            StMethodHeader hdr;
            if (!failed || !at_entry || !st_method_header (vm, it->method, &hdr, NULL) || hdr.primitive != b->prim)
              continue;
            reason = ST_DEBUG_HALT_PRIM_FAILED;
            g_autofree char *name = method_text (vm, it->method);
            text = g_strdup_printf ("primitive %u failed (%s), at its fallback code", b->prim, name);
            break;
          }
        case BK_SWITCH:
          if (!switched)
            continue;
          reason = ST_DEBUG_HALT_SWITCH;
          text = g_strdup_printf ("process switch (%" G_GUINT64_FORMAT " so far)", it->stats.process_switches);
          break;
        case BK_SENDS:
          if (b->done || it->stats.sends < b->count)
            continue;
          reason = ST_DEBUG_HALT_SENDS;
          text = g_strdup_printf ("%" G_GUINT64_FORMAT " sends", it->stats.sends);
          break;
        case BK_DEPTH:
          {
            if (!entered)
              continue;
            uint64_t depth = current_depth (d, it, b->count);
            if (!at_entry || depth <= b->count)
              continue;
            reason = ST_DEBUG_HALT_DEPTH;
            text = g_strdup_printf ("recursion depth over %" G_GUINT64_FORMAT " contexts", b->count);
            break;
          }
        default:
          continue;
        }
      if (!receiver_is (d, b, it->receiver))
        {
          g_free (text);
          continue;
        }
      if (text == NULL)
        {
          g_autofree char *name = method_text (vm, it->method);
          if (b->image_pc >= 0)
            text = g_strdup_printf ("breakpoint %u: %s pc %" G_GINT64_FORMAT, b->id, name, b->image_pc);
          else if (reason == ST_DEBUG_HALT_TROUBLE)
            text = g_strdup_printf ("trouble: %s was entered (an unhandled error or cannotReturn:)", name);
          else
            text = g_strdup_printf ("breakpoint %s", name);
        }
      if (b->kind == BK_SENDS)
        b->done = true;
      b->hits++;
      d->halt_break = b->id;
      set_halt (d, reason, text);
      return true;
    }

  if (d->mode != MODE_CONTINUE && !d->in_process)
    return false;
  switch (d->mode)
    {
    case MODE_STEP:
      set_halt (d, ST_DEBUG_HALT_STEP, g_strdup ("stepped one bytecode"));
      return true;
    case MODE_NEXT:
      if (it->ctx == d->target)
        {
          set_halt (d, ST_DEBUG_HALT_NEXT, g_strdup ("next instruction in the same context"));
          return true;
        }
      if (context_returned (it, d->target))
        {
          set_halt (d, ST_DEBUG_HALT_RETURNED, g_strdup ("the context returned"));
          return true;
        }
      break;
    case MODE_RUN_TO:
      if (it->ctx == d->target && it->pc == d->to_pc)
        {
          set_halt (d, ST_DEBUG_HALT_PC, g_strdup ("reached the pc"));
          return true;
        }
      if (context_returned (it, d->target))
        {
          set_halt (d, ST_DEBUG_HALT_RETURNED, g_strdup ("the context returned before reaching the pc"));
          return true;
        }
      break;
    case MODE_FINISH:
      if (context_returned (it, d->target))
        {
          set_halt (d, ST_DEBUG_HALT_RETURNED, g_strdup ("the context returned"));
          return true;
        }
      break;
    case MODE_CONTINUE:
      break;
    }
  return false;
}

bool
st_debug_before_primitive (StInterp *it, StOop method, const StMethodHeader *hdr, int argc, StOop selector)
{
  StDebug *d = it->debug;
  if (d->skip_prim || it->ctx == 0 || it->sp - argc < 0)
    return false;
  for (guint i = 0; i < d->breaks->len; i++)
    {
      Break *b = g_ptr_array_index (d->breaks, i);
      if (b->kind != BK_PRIM || b->prim != hdr->primitive || !receiver_is (d, b, it->slots[it->sp - argc]))
        continue;
      d->prim_method = method;
      d->prim_selector = selector;
      d->prim_argc = argc;
      b->hits++;
      d->halt_break = b->id;
      g_autofree char *name = method_text (it->vm, method);
      set_halt (d, ST_DEBUG_HALT_PRIMITIVE,
                g_strdup_printf ("before primitive %u (%s) runs; receiver and %d arguments on the stack",
                                 hdr->primitive, name, argc));
      it->stop = ST_RUN_TRAP;
      __atomic_store_n (&it->check_at, 0, __ATOMIC_RELAXED);
      return true;
    }
  return false;
}

static bool take_checkpoint (StDebug *d, bool before_gc, GError **error);

bool
st_debug_before_gc (StInterp *it)
{
  StDebug *d = it->debug;
  if (d->skip_gc)
    {
      d->skip_gc = false;
      return false;
    }
  if (d->cp_before_gc && it->ctx != 0)
    {
      /* The checkpoint empties new space into old space; the collection
       * asked for still happens afterwards (and again after a rewind). */
      if (take_checkpoint (d, true, NULL))
        {
          Checkpoint *c = g_ptr_array_index (d->checkpoints, d->checkpoints->len - 1);
          c->state->gc_pending = true;   /* a rewind to it collects first */
          st_gc_request (it->vm);
        }
    }
  for (guint i = 0; i < d->breaks->len; i++)
    {
      Break *b = g_ptr_array_index (d->breaks, i);
      if (b->kind == BK_GC && b->gc_before && receiver_is (d, b, active_receiver (it)))
        {
          b->hits++;
          d->halt_break = b->id;
          const StGcStats *s = st_gc_stats (it->vm);
          set_halt (d, ST_DEBUG_HALT_GC,
                    g_strdup_printf ("before a collection (%" G_GUINT64_FORMAT " scavenges and %" G_GUINT64_FORMAT
                                     " full collections so far)", s ? s->scavenges : 0, s ? s->full_gcs : 0));
          d->skip_gc = true;
          return true;
        }
    }
  return false;
}

/* ---- commands that run ---- */

static StRunStatus
run (StDebug *d, Mode mode, uint64_t max_bytecodes, double max_seconds, GError **error)
{
  StInterp *it = st_interp (d->vm);
  if (it == NULL || it->ctx == 0)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CONTEXT, "nothing is running");
      return ST_RUN_ERROR;
    }
  d->mode = mode;
  d->target = it->ctx;
  d->process = st_sched_active_process (it);
  d->in_process = true;
  d->run_start = it->stats.bytecodes;
  d->last_ctx = it->ctx;
  d->last_dnu = it->stats.dnu_sends;
  d->last_failures = it->stats.primitive_failures;
  d->last_switches = it->stats.process_switches;
  d->halted = false;
  d->halt_break = 0;
  StRunStatus s = st_interp_run (d->vm, max_bytecodes, max_seconds, error);
  d->mode = MODE_CONTINUE;
  d->target = 0;
  d->process = 0;
  renew_printer (d, false);
  if (s == ST_RUN_ERROR)
    {
      const char *msg = error != NULL && *error != NULL ? (*error)->message : it->last_error;
      set_halt (d, ST_DEBUG_HALT_ERROR, g_strdup_printf ("the interpreter stopped on an error: %s", msg ? msg : "?"));
    }
  else if (!(s == ST_RUN_TRAP && d->halted))
    set_halt (d, ST_DEBUG_HALT_STOPPED, g_strdup_printf ("the run stopped: %s", st_run_status_name (s)));
  return s;
}

StRunStatus
st_debug_continue (StDebug *d, uint64_t max_bytecodes, double max_seconds, GError **error)
{
  return run (d, MODE_CONTINUE, max_bytecodes, max_seconds, error);
}

StRunStatus
st_debug_step (StDebug *d, GError **error)
{
  /* another process may keep the processor for long: not forever */
  return run (d, MODE_STEP, 0, 10.0, error);
}

StRunStatus
st_debug_next (StDebug *d, uint64_t max_bytecodes, double max_seconds, GError **error)
{
  return run (d, MODE_NEXT, max_bytecodes, max_seconds, error);
}

StRunStatus
st_debug_finish (StDebug *d, uint64_t max_bytecodes, double max_seconds, GError **error)
{
  return run (d, MODE_FINISH, max_bytecodes, max_seconds, error);
}

StRunStatus
st_debug_run_to (StDebug *d, uint64_t image_pc, uint64_t max_bytecodes, double max_seconds, GError **error)
{
  StInterp *it = st_interp (d->vm);
  StMethodHeader h;
  if (it == NULL || it->ctx == 0 || !st_method_header (d->vm, it->method, &h, NULL))
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CONTEXT, "nothing is running");
      return ST_RUN_ERROR;
    }
  uint64_t off = st_disasm_heap_offset (d->vm, &h, image_pc);
  if (off < h.initial_pc || off >= it->pc_end)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NOT_FOUND, "pc %" G_GUINT64_FORMAT
                   " is outside the bytecodes of the active method", image_pc);
      return ST_RUN_ERROR;
    }
  d->to_pc = off;
  return run (d, MODE_RUN_TO, max_bytecodes, max_seconds, error);
}

StDebugHalt
st_debug_halt_reason (StDebug *d)
{
  return d->reason;
}

const char *
st_debug_halt_text (StDebug *d)
{
  return d->text;
}

guint
st_debug_halt_breakpoint (StDebug *d)
{
  return d->halt_break;
}

const char *
st_debug_halt_name (StDebugHalt h)
{
  switch (h)
    {
    case ST_DEBUG_HALT_STARTUP: return "startup";
    case ST_DEBUG_HALT_STEP: return "step";
    case ST_DEBUG_HALT_NEXT: return "next";
    case ST_DEBUG_HALT_RETURNED: return "returned";
    case ST_DEBUG_HALT_BREAKPOINT: return "breakpoint";
    case ST_DEBUG_HALT_DNU: return "doesNotUnderstand";
    case ST_DEBUG_HALT_STOPPED: return "stopped";
    case ST_DEBUG_HALT_REWOUND: return "rewound";
    case ST_DEBUG_HALT_PRIMITIVE: return "primitive";
    case ST_DEBUG_HALT_PRIM_FAILED: return "primitive-failed";
    case ST_DEBUG_HALT_SWITCH: return "process-switch";
    case ST_DEBUG_HALT_GC: return "gc";
    case ST_DEBUG_HALT_SENDS: return "sends";
    case ST_DEBUG_HALT_DEPTH: return "depth";
    case ST_DEBUG_HALT_TROUBLE: return "trouble";
    case ST_DEBUG_HALT_ERROR: return "error";
    case ST_DEBUG_HALT_INTEGRITY: return "integrity";
    case ST_DEBUG_HALT_PC: return "pc";
    case ST_DEBUG_HALT_RETURN: return "return";
    }
  return "?";
}

gboolean
st_debug_where (StDebug *d, StOop *ctx, StOop *method, uint64_t *heap_pc, int64_t *stackp)
{
  StInterp *it = st_interp (d->vm);
  if (it == NULL || it->ctx == 0)
    return FALSE;
  if (ctx)
    *ctx = it->ctx;
  if (method)
    *method = it->method;
  if (heap_pc)
    *heap_pc = it->pc;
  if (stackp)
    *stackp = it->sp - ST_CTX_TEMP0 + 1;
  return TRUE;
}

uint64_t
st_debug_image_pc (StDebug *d, StOop method, uint64_t heap_pc)
{
  StMethodHeader h;
  if (!st_interp_valid_obj (d->vm, method) || !st_method_header (d->vm, method, &h, NULL))
    return heap_pc + 1;
  return st_disasm_image_pc (d->vm, &h, heap_pc);
}

/* ---- repairs ---- */

gboolean
st_debug_settle (StDebug *d, GError **error)
{
  const StGcStats *s = st_gc_stats (d->vm);
  if (s == NULL || s->young_used == 0)
    return TRUE;
  if (!own_collect (d, error))
    return FALSE;
  renew_printer (d, false);
  return TRUE;
}

gboolean
st_debug_reload (StDebug *d, GError **error)
{
  StInterp *it = st_interp (d->vm);
  if (it == NULL || it->ctx == 0)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CONTEXT, "nothing is running");
      return FALSE;
    }
  StRunStatus stop = it->stop;
  if (st_interp_load_context (it, it->ctx))
    {
      /* a repaired context after an error: the run may go on */
      if (stop == ST_RUN_ERROR)
        it->stop = ST_RUN_CONTINUE;
      d->last_ctx = it->ctx;
      return TRUE;
    }
  /* load_context leaves the registers alone when it fails; its error
   * goes to the caller instead of ending the run. */
  if (it->error != NULL)
    g_propagate_error (error, g_steal_pointer (&it->error));
  else
    g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CONTEXT, "the active context cannot be run");
  it->stop = stop;
  return FALSE;
}

static bool
is_context (StInterp *it, StOop o)
{
  if (!st_interp_valid_obj (it->vm, o) || st_num_slots (it->vm, o) < ST_CTX_TEMP0)
    return false;
  return st_interp_is_context_class (it, st_class_index (it->vm, o));
}

gboolean
st_debug_return (StDebug *d, guint n, StOop value, GError **error)
{
  StVM *vm = d->vm;
  StInterp *it = st_interp (vm);
  if (it == NULL || it->ctx == 0)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CONTEXT, "nothing is running");
      return FALSE;
    }
  if (d->prim_method != 0)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_BAD_FRAME,
                   "halted before a primitive call: step first, so that the call is made");
      return FALSE;
    }
  st_interp_save_registers (it);
  StOop frame = it->ctx;
  for (guint i = 0; i < n; i++)
    {
      frame = sender_of (it, frame);
      if (frame == 0 || !is_context (it, frame))
        {
          g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_BAD_FRAME, "the stack has no frame %u", n);
          return FALSE;
        }
    }
  StOop to = sender_of (it, frame);
  if (to == 0 || !is_context (it, to) || context_returned (it, to))
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_BAD_FRAME,
                   "frame %u has no live sender to return to", n);
      return FALSE;
    }
  StOop sp = st_fetch (vm, to, ST_CTX_STACKP);
  if (!st_is_smallint (sp) || st_smallint_value (sp) < 0
      || (uint64_t) st_smallint_value (sp) + ST_CTX_TEMP0 >= st_num_slots (vm, to))
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_BAD_FRAME,
                   "the sender of frame %u has no room on its stack for the value", n);
      return FALSE;
    }
  int64_t depth = st_smallint_value (sp);
  /* terminate the frames as a return leaves them */
  StOop c = it->ctx;
  for (guint i = 0; i <= n && c != 0; i++)
    {
      StOop next = sender_of (it, c);
      st_store (vm, c, ST_CTX_PC, vm->nil_obj);
      st_store (vm, c, ST_CTX_SENDER, vm->nil_obj);
      c = next;
    }
  st_store (vm, to, ST_CTX_TEMP0 + (uint64_t) depth, value);
  st_store (vm, to, ST_CTX_STACKP, st_smallint_oop (depth + 1));
  StRunStatus stop = it->stop;
  if (!st_interp_load_context (it, to))
    {
      if (it->error != NULL)
        g_propagate_error (error, g_steal_pointer (&it->error));
      it->stop = stop;
      return FALSE;
    }
  if (stop == ST_RUN_ERROR)
    it->stop = ST_RUN_CONTINUE;
  else
    it->stop = stop;
  d->last_ctx = it->ctx;
  g_autofree char *v = st_printer_print (d->printer, value, 60);
  set_halt (d, ST_DEBUG_HALT_RETURN, g_strdup_printf ("frame %u answered %s to its sender", n, v));
  return TRUE;
}

/* ---- checkpoints ---- */

/* The memory a checkpoint holds: old space's segments.  New space is not
 * among them: the debugger empties it into old space first (own_collect).
 * This is the one place to adapt when the collector's layout changes. */
static GArray *
checkpoint_ranges (StVM *vm)
{
  GArray *a = g_array_sized_new (FALSE, FALSE, sizeof (StSegment), vm->n_segments);
  g_array_append_vals (a, vm->segments, vm->n_segments);
  return a;
}

static bool
take_checkpoint (StDebug *d, bool before_gc, GError **error)
{
  StVM *vm = d->vm;
  StInterp *it = st_interp (vm);
  if (it == NULL || it->ctx == 0)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CONTEXT, "nothing is running");
      return false;
    }
  if (!own_collect (d, error))
    return false;
  Checkpoint *c = g_new0 (Checkpoint, 1);
  c->segs = checkpoint_ranges (vm);
  c->data = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < c->segs->len; i++)
    {
      const StSegment *s = &g_array_index (c->segs, StSegment, i);
      guint8 *copy = g_try_malloc (s->bytes);
      if (copy == NULL)
        {
          g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CHECKPOINT, "no memory for a checkpoint of %"
                       G_GUINT64_FORMAT " bytes", s->bytes);
          checkpoint_free (c);
          return false;
        }
      memcpy (copy, st_ptr (vm, s->start), s->bytes);
      g_ptr_array_add (c->data, copy);
      c->bytes += s->bytes;
    }
  c->number = d->next_checkpoint++;
  c->special_objects = vm->special_objects;
  c->free_lists_obj = vm->free_lists_obj;
  c->hidden_roots_obj = vm->hidden_roots_obj;
  c->header = vm->header;
  c->state = g_memdup2 (it, sizeof *it);
  c->bytes += sizeof *it;
  c->pending = g_array_copy (it->pending_signals);
  c->output_len = it->output->len;
  c->events = it->events->len;
  c->prim_method = d->prim_method;
  c->prim_selector = d->prim_selector;
  c->prim_argc = d->prim_argc;
  c->before_gc = before_gc;
  c->bytecodes = it->stats.bytecodes;
  c->sends = it->stats.sends;
  g_autofree char *name = method_text (vm, it->method);
  c->where = g_strdup_printf ("%s pc %" G_GUINT64_FORMAT, name, st_debug_image_pc (d, it->method, it->pc));
  g_ptr_array_add (d->checkpoints, c);
  if (d->checkpoints->len > MAX_CHECKPOINTS)
    {
      checkpoint_free (g_ptr_array_index (d->checkpoints, 0));
      g_ptr_array_remove_index (d->checkpoints, 0);
    }
  return true;
}

gboolean
st_debug_checkpoint (StDebug *d, GError **error)
{
  gboolean ok = take_checkpoint (d, false, error);
  renew_printer (d, false);
  return ok;
}

static gboolean
rewind_to (StDebug *d, Checkpoint *c, GError **error)
{
  StVM *vm = d->vm;
  StInterp *it = st_interp (vm);
  /* New space empty now as it was then; the collector's state stays. */
  if (!own_collect (d, error))
    return FALSE;
  for (guint i = 0; i < c->segs->len; i++)
    {
      const StSegment *s = &g_array_index (c->segs, StSegment, i);
      if (s->start < vm->mem_base || s->start - vm->mem_base + s->bytes > vm->mem_committed
          || (vm->young_bytes != 0 && s->start + s->bytes > vm->young_start))
        {
          g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CHECKPOINT,
                       "checkpoint %u's segment at 0x%" G_GINT64_MODIFIER "x (%" G_GUINT64_FORMAT
                       " bytes) is outside the memory now committed", c->number, (guint64) s->start, s->bytes);
          return FALSE;
        }
    }
  if (vm->segments_cap < c->segs->len)
    {
      vm->segments = g_renew (StSegment, vm->segments, c->segs->len);
      vm->segments_cap = c->segs->len;
    }
  memcpy (vm->segments, c->segs->data, c->segs->len * sizeof (StSegment));
  vm->n_segments = c->segs->len;
  for (guint i = 0; i < c->segs->len; i++)
    {
      const StSegment *s = &g_array_index (c->segs, StSegment, i);
      memcpy (st_ptr (vm, s->start), g_ptr_array_index (c->data, i), s->bytes);
    }
  vm->special_objects = c->special_objects;
  vm->free_lists_obj = c->free_lists_obj;
  vm->hidden_roots_obj = c->hidden_roots_obj;
  vm->header = c->header;
  /* The interpreter's plain state comes back; what it owns, and new
   * space (empty both then and now), stay. */
  StInterp now = *it;
  *it = *c->state;
  it->vm = now.vm;
  it->prims = now.prims;
  it->n_prims = now.n_prims;
  it->error = now.error;
  it->last_error = now.last_error;
  it->names = now.names;
  it->eval_result = now.eval_result;
  it->missing = now.missing;
  it->output = now.output;
  it->trace = now.trace;
  it->trace_sends = now.trace_sends;
  it->events = now.events;
  it->files = now.files;
  it->io = now.io;
  it->pending_signals = now.pending_signals;
  it->debug = now.debug;
  it->gc = now.gc;
  it->eden_start = now.eden_start;
  it->eden_next = now.eden_next;
  it->eden_clean = now.eden_start;       /* the rewound eden is not known clean */
  it->eden_end = now.eden_end;
  it->eden_trigger = now.eden_trigger;
  it->gc_stress = now.gc_stress;
  st_interp_eden_changed (it);
  it->debug_clock_ns_per_bc = now.debug_clock_ns_per_bc;
  it->debug_clock_base_usecs = now.debug_clock_base_usecs;
  it->gc_pending = false;
  it->trap = 0;
  it->stop = ST_RUN_CONTINUE;
  g_clear_error (&it->error);
  st_interp_flush_cache (it);
  if (it->names != NULL)
    g_hash_table_remove_all (it->names);
  g_array_set_size (it->pending_signals, 0);
  g_array_append_vals (it->pending_signals, c->pending->data, c->pending->len);
  if (it->output->len > c->output_len)
    g_string_truncate (it->output, c->output_len);
  if (it->events->len > c->events)
    g_ptr_array_set_size (it->events, (gint) c->events);
  if (c->state->gc_pending)
    st_gc_request (vm);
  /* The debugger's own objects: back to what they were, breakpoints
   * found again in the heap as it is now. */
  d->prim_method = c->prim_method;
  d->prim_selector = c->prim_selector;
  d->prim_argc = c->prim_argc;
  d->skip_gc = c->before_gc && c->state->gc_pending;
  d->pending = false;
  d->depth_ctx = 0;
  d->target = d->process = 0;
  d->last_ctx = it->ctx;
  d->last_dnu = it->stats.dnu_sends;
  d->last_failures = it->stats.primitive_failures;
  d->last_switches = it->stats.process_switches;
  renew_printer (d, true);
  for (guint i = 0; i < d->breaks->len; i++)
    {
      Break *b = g_ptr_array_index (d->breaks, i);
      GArray *keep = g_array_copy (b->methods);
      if (!resolve (d, b, NULL) && b->methods->len == 0)
        g_array_append_vals (b->methods, keep->data, keep->len);
      g_array_unref (keep);
    }
  d->halt_break = 0;
  set_halt (d, ST_DEBUG_HALT_REWOUND, g_strdup_printf ("rewound to checkpoint %u (%s, after %" G_GUINT64_FORMAT
                                                        " bytecodes)", c->number, c->where, c->bytecodes));
  return TRUE;
}

gboolean
st_debug_rewind (StDebug *d, GError **error)
{
  if (d->checkpoints->len == 0 || st_interp (d->vm) == NULL)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CHECKPOINT, "there is no checkpoint to rewind to");
      return FALSE;
    }
  return rewind_to (d, g_ptr_array_index (d->checkpoints, d->checkpoints->len - 1), error);
}

gboolean
st_debug_rewind_to (StDebug *d, guint number, GError **error)
{
  for (guint i = 0; i < d->checkpoints->len; i++)
    {
      Checkpoint *c = g_ptr_array_index (d->checkpoints, i);
      if (c->number == number)
        return rewind_to (d, c, error);
    }
  g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CHECKPOINT, "there is no checkpoint %u", number);
  return FALSE;
}

GArray *
st_debug_checkpoints (StDebug *d)
{
  g_array_set_size (d->cp_infos, 0);
  for (guint i = 0; i < d->checkpoints->len; i++)
    {
      Checkpoint *c = g_ptr_array_index (d->checkpoints, i);
      StDebugCheckpointInfo info = { c->number, c->bytecodes, c->sends, c->bytes, c->where, c->before_gc };
      g_array_append_val (d->cp_infos, info);
    }
  return d->cp_infos;
}

gsize
st_debug_checkpoint_bytes (StDebug *d)
{
  if (d->checkpoints->len == 0)
    return 0;
  return ((Checkpoint *) g_ptr_array_index (d->checkpoints, d->checkpoints->len - 1))->bytes;
}

/* ---- saving ---- */

gboolean
st_debug_save (StDebug *d, const char *path, GError **error)
{
  StVM *vm = d->vm;
  StInterp *it = st_interp (vm);
  if (it == NULL || it->ctx == 0)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_NO_CONTEXT, "nothing is running");
      return FALSE;
    }
  if (d->prim_method != 0)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_CANNOT_SAVE,
                   "halted in the middle of a send, before its primitive runs: step first");
      return FALSE;
    }
  StOop proc = st_sched_active_process (it);
  if (!st_interp_valid_obj (vm, proc) || st_num_slots (vm, proc) <= ST_PROC_CONTEXT)
    {
      g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_CANNOT_SAVE, "the scheduler has no valid active process");
      return FALSE;
    }
  /* The writers see old space only. */
  if (!own_collect (d, error))
    return FALSE;
  renew_printer (d, false);
  proc = st_sched_active_process (it);
  /* While running, the active process's suspendedContext is nil (the
   * context lives in the registers); a saved image resumes from it. */
  st_interp_save_registers (it);
  StOop old = st_fetch (vm, proc, ST_PROC_CONTEXT);
  st_store (vm, proc, ST_PROC_CONTEXT, it->ctx);
  gboolean ok = st_image_write (vm, path, ST_IMAGE_KIND_SAME, ST_WRITE_DEFAULT, error);
  st_store (vm, proc, ST_PROC_CONTEXT, old);
  return ok;
}

#define STATE_GROUP "thaw-checkpoint"

gboolean
st_debug_checkpoint_file (StDebug *d, const char *path, GError **error)
{
  StInterp *it = st_interp (d->vm);
  if (!st_debug_save (d, path, error))
    return FALSE;
  g_autoptr (GKeyFile) k = g_key_file_new ();
  const StInterpStats *s = &it->stats;
  g_key_file_set_uint64 (k, STATE_GROUP, "bytecodes", s->bytecodes);
  g_key_file_set_uint64 (k, STATE_GROUP, "sends", s->sends);
  g_key_file_set_uint64 (k, STATE_GROUP, "cache_misses", s->cache_misses);
  g_key_file_set_uint64 (k, STATE_GROUP, "primitive_calls", s->primitive_calls);
  g_key_file_set_uint64 (k, STATE_GROUP, "primitive_failures", s->primitive_failures);
  g_key_file_set_uint64 (k, STATE_GROUP, "process_switches", s->process_switches);
  g_key_file_set_uint64 (k, STATE_GROUP, "contexts_allocated", s->contexts_allocated);
  g_key_file_set_uint64 (k, STATE_GROUP, "bytes_allocated", s->bytes_allocated);
  g_key_file_set_uint64 (k, STATE_GROUP, "dnu_sends", s->dnu_sends);
  g_key_file_set_string (k, STATE_GROUP, "output", it->output->str);
  /* the armed timer, as time left (its semaphore is in the image) */
  if (it->timer_wakeup_usecs != 0)
    g_key_file_set_int64 (k, STATE_GROUP, "timer_usecs_left",
                          MAX (it->timer_wakeup_usecs - st_interp_mono_usecs (it), 0));
  g_key_file_set_string (k, STATE_GROUP, "halt", d->text);
  g_autofree char *state = g_strconcat (path, ".state", NULL);
  if (!g_key_file_save_to_file (k, state, error))
    return FALSE;
  return TRUE;
}

gboolean
st_debug_resume_state (StDebug *d, const char *path, GError **error)
{
  StInterp *it = st_interp (d->vm);
  g_autofree char *state = g_strconcat (path, ".state", NULL);
  g_autoptr (GKeyFile) k = g_key_file_new ();
  if (!g_key_file_load_from_file (k, state, G_KEY_FILE_NONE, error))
    return FALSE;
  StInterpStats s = { 0 };
  GError *e = NULL;
  g_autofree char *out = NULL;
#define GET(f)                                                  \
  s.f = g_key_file_get_uint64 (k, STATE_GROUP, #f, &e);         \
  if (e != NULL)                                                \
    goto bad
  GET (bytecodes);
  GET (sends);
  GET (cache_misses);
  GET (primitive_calls);
  GET (primitive_failures);
  GET (process_switches);
  GET (contexts_allocated);
  GET (bytes_allocated);
  GET (dnu_sends);
#undef GET
  out = g_key_file_get_string (k, STATE_GROUP, "output", NULL);
  it->stats = s;
  g_string_assign (it->output, out ? out : "");
  if (g_key_file_has_key (k, STATE_GROUP, "timer_usecs_left", NULL))
    {
      gint64 left = g_key_file_get_int64 (k, STATE_GROUP, "timer_usecs_left", NULL);
      it->timer_wakeup_usecs = MAX (st_interp_mono_usecs (it) + MAX (left, 0), 1);
    }
  d->last_dnu = s.dnu_sends;
  d->last_failures = s.primitive_failures;
  d->last_switches = s.process_switches;
  set_halt (d, ST_DEBUG_HALT_STARTUP, g_strdup_printf ("resumed from checkpoint file %s after %" G_GUINT64_FORMAT
                                                        " bytecodes", path, s.bytecodes));
  return TRUE;
bad:
  g_set_error (error, ST_DEBUG_ERROR, ST_DEBUG_ERROR_FILE, "%s: %s", state, e->message);
  g_error_free (e);
  return FALSE;
}
