/* SPDX-License-Identifier: GPL-3.0-or-later */
/* trace.c: the system tracer (see trace.h).
 *
 * Phases:
 *   1. A linear walk of every segment marks, in a map with one 32-bit entry
 *      per 16 heap bytes, where object headers are (as the digest does), so
 *      that a reference counts only when it hits an object exactly.
 *   2. Marking from the roots with an explicit stack.  With clamps or
 *      replacements a first marking without them tells garbage (dropped in
 *      any case) from what the clamps cut.
 *   3. A second linear walk counts what is left behind, per class, and
 *      gives each reached object its index in the new-address array, in
 *      address order, after the fixed prefix (nil, false, true, free lists,
 *      hidden roots, class-table pages).
 *   4. A third walk copies each reached object to its new place, pointers
 *      translated through the map; then the hidden objects are built.
 * Map entries: NOT_AN_OBJECT, or bit 31 = header at bucket start + 8 and
 * the low 31 bits a state (UNMARKED, MARKED, ...) or, after phase 3, the
 * object's index in the new-address array. */
#include "config.h"

#include <string.h>

#include "path.h"
#include "trace.h"
#include "class-info.h"
#include "method.h"

G_DEFINE_QUARK (st-trace-error-quark, st_trace_error)

#define NOT_AN_OBJECT G_MAXUINT32
#define AT_PLUS_8     0x80000000u
#define ST_UNMARKED   0x7FFFFFFEu
#define ST_MARKED     0x7FFFFFFDu
#define ST_GARBAGE    0x7FFFFFFCu
#define ST_CLAMPED    0x7FFFFFFBu
#define MAX_INDEX     0x7FFFFFF0u
#define CLASS_CACHE   65536
#define NO_CACHE      1
#define RESERVE_MIN   (G_GUINT64_CONSTANT (1) << 32)

typedef struct {
  StVM                 *vm;
  const StTraceOptions *opt;
  StTraceReport        *rep;
  guint32              *map;
  uint64_t             *seg_base;
  StOop                *stack;
  gsize                 sp, cap;
  StOop                *class_cache;
  GHashTable           *clamp_set;     /* oop -> oop */
  GHashTable           *clamp_ci;      /* class index -> itself */
  GHashTable           *replace;       /* oop -> oop */
  GHashTable           *ci_remap;      /* class index -> class index */
  bool                  edits;         /* apply clamps and replacements in this pass */
  bool                  counting;      /* record bad references, clamps and replacements */
  guint                 max_bad;
  uint64_t              n_marked;
} Tracer;

static guint32 *
entry_of (Tracer *t, StOop oop)
{
  StVM *vm = t->vm;
  if ((oop & 7) != 0)
    return NULL;
  const StSegment *s = st_objmem_segment_of (vm, oop);
  if (s == NULL)
    return NULL;
  uint64_t off = oop - s->start;
  guint32 *e = &t->map[t->seg_base[s - vm->segments] + off / 16];
  if (*e == NOT_AN_OBJECT || ((*e & AT_PLUS_8) != 0) != ((off & 8) != 0))
    return NULL;
  return e;
}

static StOop
class_lookup (Tracer *t, guint32 index)
{
  StVM *vm = t->vm;
  StOop roots = vm->hidden_roots_obj;
  guint32 major = index >> ST_CLASS_TABLE_PAGE_SHIFT, minor = index & (ST_CLASS_TABLE_PAGE_SIZE - 1);
  if (major >= st_num_slots (vm, roots))
    return 0;
  StOop page = st_fetch (vm, roots, major);
  if (page == vm->nil_obj || entry_of (t, page) == NULL || minor >= st_num_slots (vm, page)
      || !st_fmt_is_pointers (st_format (vm, page)))
    return 0;
  StOop cls = st_fetch (vm, page, minor);
  if (cls == vm->nil_obj || entry_of (t, cls) == NULL)
    return 0;
  return cls;
}

static inline StOop
class_at (Tracer *t, guint32 index)
{
  if (index >= CLASS_CACHE)
    return class_lookup (t, index);
  if (t->class_cache[index] == NO_CACHE)
    t->class_cache[index] = class_lookup (t, index);
  return t->class_cache[index];
}

static void
bad_ref (Tracer *t, StOop from, int64_t field, uint64_t value)
{
  if (!t->counting)
    return;
  t->rep->bad_refs++;
  if (t->rep->bad->len < t->max_bad)
    {
      StTraceBadRef b = { .from = from, .field = field, .value = value };
      g_array_append_val (t->rep->bad, b);
    }
}

/* What a reference stands for in the new heap, as a source oop (nil for
 * what is clamped or bad), and its map entry (NULL for immediates). */
static inline StOop
resolve (Tracer *t, StOop v, StOop from, int64_t field, guint32 **entry)
{
  StVM *vm = t->vm;
  *entry = NULL;
  if (st_is_immediate (v))
    return v;
  if (t->edits && t->replace != NULL)
    {
      gpointer to;
      if (g_hash_table_lookup_extended (t->replace, GSIZE_TO_POINTER ((gsize) v), NULL, &to))
        {
          v = (StOop) GPOINTER_TO_SIZE (to);
          if (t->counting)
            t->rep->replaced_refs++;
        }
    }
  guint32 *e = entry_of (t, v);
  if (e == NULL)
    {
      bad_ref (t, from, field, v);
      *entry = entry_of (t, vm->nil_obj);
      return vm->nil_obj;
    }
  uint64_t h = st_header (vm, v);
  guint32 ci = st_hdr_class_index (h);
  if (ci == ST_CLASS_INDEX_FORWARDER || st_hdr_format (h) == ST_FMT_FORWARDED)
    {
      /* Follow one forwarder to a live object. */
      StOop to = st_num_slots (vm, v) > 0 ? st_fetch (vm, v, 0) : 0;
      guint32 *e2 = st_is_pointer (to) ? entry_of (t, to) : NULL;
      guint32 ci2 = e2 != NULL ? st_class_index (vm, to) : 0;
      if (e2 == NULL || ci2 == ST_CLASS_INDEX_FREE || ci2 == ST_CLASS_INDEX_FORWARDER)
        {
          bad_ref (t, from, field, v);
          *entry = entry_of (t, vm->nil_obj);
          return vm->nil_obj;
        }
      v = to;
      e = e2;
      ci = ci2;
    }
  if (ci == ST_CLASS_INDEX_FREE)
    {
      bad_ref (t, from, field, v);
      *entry = entry_of (t, vm->nil_obj);
      return vm->nil_obj;
    }
  if (t->edits
      && ((t->clamp_set != NULL && g_hash_table_contains (t->clamp_set, GSIZE_TO_POINTER ((gsize) v)))
          || (t->clamp_ci != NULL && g_hash_table_contains (t->clamp_ci, GUINT_TO_POINTER (ci)))))
    {
      if (t->counting)
        {
          t->rep->clamped_refs++;
          guint32 s = *e & ~AT_PLUS_8;
          if (s == ST_UNMARKED || s == ST_GARBAGE)
            {
              t->rep->clamped_objects++;
              *e = ST_CLAMPED | (*e & AT_PLUS_8);
            }
        }
      *entry = entry_of (t, vm->nil_obj);
      return vm->nil_obj;
    }
  *entry = e;
  return v;
}

static inline void
push (Tracer *t, StOop o)
{
  if (t->sp == t->cap)
    {
      t->cap = t->cap * 2;
      t->stack = g_renew (StOop, t->stack, t->cap);
    }
  t->stack[t->sp++] = o;
}

static inline void
mark_entry (Tracer *t, StOop v, guint32 *e)
{
  if (e == NULL)
    return;
  guint32 s = *e & ~AT_PLUS_8;
  if (s == ST_UNMARKED || s == ST_GARBAGE || s == ST_CLAMPED)
    {
      *e = ST_MARKED | (*e & AT_PLUS_8);
      t->n_marked++;
      push (t, v);
    }
}

static inline void
mark_ref (Tracer *t, StOop v, StOop from, int64_t field)
{
  guint32 *e;
  StOop r = resolve (t, v, from, field, &e);
  mark_entry (t, r, e);
}

/* The class index an object has in the new heap. */
static inline guint32
new_class_index (Tracer *t, guint32 ci)
{
  if (t->edits && t->ci_remap != NULL)
    {
      gpointer to;
      if (g_hash_table_lookup_extended (t->ci_remap, GUINT_TO_POINTER (ci), NULL, &to))
        {
          if (t->counting)
            t->rep->replaced_refs++;
          return GPOINTER_TO_UINT (to);
        }
    }
  return ci;
}

static uint64_t
literal_slots (StVM *vm, StOop o, uint64_t n)
{
  StMethodHeader mh;
  const char *why = NULL;
  if (n > 0 && st_method_header (vm, o, &mh, &why))
    return MIN ((uint64_t) mh.num_literals + 1, n);
  return MIN (n, (uint64_t) 1);
}

static void
scan (Tracer *t, StOop o)
{
  StVM *vm = t->vm;
  uint64_t h = st_header (vm, o);
  guint32 ci = new_class_index (t, st_hdr_class_index (h));
  guint fmt = st_hdr_format (h);
  if (ci >= ST_CLASS_INDEX_FIRST_REAL || ci == ST_CLASS_INDEX_SMALLINTEGER || ci == ST_CLASS_INDEX_CHARACTER
      || ci == ST_CLASS_INDEX_SMALLFLOAT)
    {
      StOop cls = class_at (t, ci);
      if (cls == 0)
        {
          if (ci >= ST_CLASS_INDEX_FIRST_REAL)
            bad_ref (t, o, -1, ci);
        }
      else
        mark_entry (t, cls, entry_of (t, cls));
    }
  uint64_t n = st_num_slots (vm, o);
  uint64_t ptrs = 0;
  if (fmt <= ST_FMT_EPHEMERON)
    ptrs = n;
  else if (st_fmt_is_method (fmt))
    ptrs = literal_slots (vm, o, n);
  const uint64_t *slots = st_ptr (vm, o) + 1;
  for (uint64_t i = 0; i < ptrs; i++)
    mark_ref (t, slots[i], o, (int64_t) i);
}

static void
drain (Tracer *t)
{
  while (t->sp > 0)
    scan (t, t->stack[--t->sp]);
}

/* Mark from every root. */
static void
mark_roots (Tracer *t)
{
  StVM *vm = t->vm;
  StOop roots[] = { vm->nil_obj, vm->false_obj, vm->true_obj, vm->special_objects };
  for (guint i = 0; i < G_N_ELEMENTS (roots); i++)
    mark_entry (t, roots[i], entry_of (t, roots[i]));
  drain (t);
  StOop hr = vm->hidden_roots_obj;
  uint64_t nhr = st_num_slots (vm, hr);
  StOop page0 = st_fetch (vm, hr, 0);
  if (page0 != vm->nil_obj && entry_of (t, page0) != NULL && st_num_slots (vm, page0) >= ST_CLASS_INDEX_FIRST_REAL)
    for (guint i = 0; i < ST_CLASS_INDEX_FIRST_REAL; i++)
      {
        mark_ref (t, st_fetch (vm, page0, i), page0, i);
        drain (t);
      }
  for (uint64_t i = ST_CLASS_TABLE_ROOT_SLOTS; i < nhr; i++)
    {
      mark_ref (t, st_fetch (vm, hr, i), hr, (int64_t) i);
      drain (t);
    }
}

static bool
is_old_hidden (Tracer *t, GHashTable *pages, StOop o)
{
  StVM *vm = t->vm;
  return o == vm->free_lists_obj || o == vm->hidden_roots_obj || g_hash_table_contains (pages, GSIZE_TO_POINTER ((gsize) o));
}

static void
count_class (GHashTable *by, guint32 ci, uint64_t bytes)
{
  StTraceClassCount *c = g_hash_table_lookup (by, GUINT_TO_POINTER (ci));
  if (c == NULL)
    {
      c = g_new0 (StTraceClassCount, 1);
      c->class_index = ci;
      g_hash_table_insert (by, GUINT_TO_POINTER (ci), c);
    }
  c->objects++;
  c->bytes += bytes;
}

static gint
compare_counts (gconstpointer a, gconstpointer b)
{
  const StTraceClassCount *x = a, *y = b;
  if (x->bytes != y->bytes)
    return x->bytes > y->bytes ? -1 : 1;
  return x->class_index < y->class_index ? -1 : x->class_index > y->class_index;
}

static GArray *
counts_to_array (Tracer *t, GHashTable *by)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (StTraceClassCount));
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, by);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      StTraceClassCount c = *(StTraceClassCount *) v;
      StOop cls = c.class_index < ST_CLASS_INDEX_FIRST_REAL && c.class_index != ST_CLASS_INDEX_SMALLINTEGER
                  ? 0 : class_at (t, c.class_index);
      c.class_name = cls != 0 ? st_class_name (t->vm, cls) : NULL;
      if (c.class_name == NULL && c.class_index < ST_CLASS_INDEX_FIRST_REAL)
        c.class_name = g_strdup (st_class_index_describe (c.class_index));
      g_array_append_val (a, c);
    }
  g_array_sort (a, compare_counts);
  return a;
}

static bool
check_option_oop (Tracer *t, StOop o, const char *what, GError **error)
{
  StVM *vm = t->vm;
  if (entry_of (t, o) == NULL)
    {
      g_set_error (error, ST_TRACE_ERROR, ST_TRACE_ERROR_INVALID,
                   "the %s 0x%" G_GINT64_MODIFIER "x is not an object of the heap", what, o);
      return false;
    }
  if (o == vm->nil_obj || o == vm->false_obj || o == vm->true_obj || o == vm->special_objects)
    {
      g_set_error (error, ST_TRACE_ERROR, ST_TRACE_ERROR_INVALID,
                   "the %s 0x%" G_GINT64_MODIFIER "x is nil, false, true or the special objects array, "
                   "which every image needs", what, o);
      return false;
    }
  return true;
}

/* The class index a class has in the table (its hash, when the entry
 * there holds it), or 0. */
static guint32
table_index_of (Tracer *t, StOop cls)
{
  guint32 h = st_hash (t->vm, cls);
  return h >= ST_CLASS_INDEX_FIRST_REAL && class_at (t, h) == cls ? h : 0;
}

static bool
setup_edits (Tracer *t, GError **error)
{
  const StTraceOptions *o = t->opt;
  for (guint i = 0; i < o->n_clamp_oops; i++)
    {
      if (!check_option_oop (t, o->clamp_oops[i], "object to clamp", error))
        return false;
      if (t->clamp_set == NULL)
        t->clamp_set = g_hash_table_new (g_direct_hash, g_direct_equal);
      g_hash_table_add (t->clamp_set, GSIZE_TO_POINTER ((gsize) o->clamp_oops[i]));
    }
  for (guint i = 0; i < o->n_clamp_classes; i++)
    {
      guint32 ci = o->clamp_classes[i];
      if (ci < ST_CLASS_INDEX_FIRST_REAL || class_at (t, ci) == 0)
        {
          g_set_error (error, ST_TRACE_ERROR, ST_TRACE_ERROR_INVALID,
                       "class index %u has no class in the class table", ci);
          return false;
        }
      StVM *vm = t->vm;
      guint32 kernel[] = { st_class_index (vm, vm->nil_obj), st_class_index (vm, vm->false_obj),
                           st_class_index (vm, vm->true_obj), st_class_index (vm, vm->special_objects) };
      for (guint k = 0; k < G_N_ELEMENTS (kernel); k++)
        if (kernel[k] == ci)
          {
            g_set_error (error, ST_TRACE_ERROR, ST_TRACE_ERROR_INVALID,
                         "class index %u is the class of nil, false, true or the special objects array, "
                         "whose instances every image needs", ci);
            return false;
          }
      if (t->clamp_ci == NULL)
        t->clamp_ci = g_hash_table_new (g_direct_hash, g_direct_equal);
      g_hash_table_add (t->clamp_ci, GUINT_TO_POINTER (ci));
    }
  for (guint i = 0; i < o->n_replace; i++)
    {
      if (!check_option_oop (t, o->replace_from[i], "object to replace", error)
          || entry_of (t, o->replace_to[i]) == NULL)
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, ST_TRACE_ERROR, ST_TRACE_ERROR_INVALID,
                         "the replacement 0x%" G_GINT64_MODIFIER "x is not an object of the heap", o->replace_to[i]);
          return false;
        }
      if (t->replace == NULL)
        t->replace = g_hash_table_new (g_direct_hash, g_direct_equal);
      g_hash_table_insert (t->replace, GSIZE_TO_POINTER ((gsize) o->replace_from[i]),
                           GSIZE_TO_POINTER ((gsize) o->replace_to[i]));
      guint32 fi = table_index_of (t, o->replace_from[i]), ti = table_index_of (t, o->replace_to[i]);
      if (fi != 0 && ti != 0)
        {
          if (t->ci_remap == NULL)
            t->ci_remap = g_hash_table_new (g_direct_hash, g_direct_equal);
          g_hash_table_insert (t->ci_remap, GUINT_TO_POINTER (fi), GUINT_TO_POINTER (ti));
        }
    }
  return true;
}

/* ---- building the new heap ---- */

typedef struct {
  StVM     *nv;
  uint64_t *newaddr;
} Builder;

static inline StOop
translate (Tracer *t, Builder *b, StOop v, StOop from, int64_t field)
{
  guint32 *e;
  StOop r = resolve (t, v, from, field, &e);
  if (e == NULL)
    return r;     /* immediate */
  guint32 idx = *e & ~AT_PLUS_8;
  if (idx >= MAX_INDEX)
    return b->nv->nil_obj;   /* cannot happen: every resolved reference of a reached object was reached */
  return b->newaddr[idx];
}

static void
copy_object (Tracer *t, Builder *b, StOop o, StOop dst)
{
  StVM *vm = t->vm, *nv = b->nv;
  uint64_t h = st_header (vm, o);
  uint64_t n = st_num_slots (vm, o);
  guint fmt = st_hdr_format (h);
  guint32 ci = new_class_index (t, st_hdr_class_index (h));
  uint64_t nh = st_hdr_with_class_index (h, ci) & G_GUINT64_CONSTANT (0x00FFFFFFFFFFFFFF);
  if (n >= ST_OVERFLOW_SLOTS)
    {
      *st_ptr (nv, dst - 8) = (G_GUINT64_CONSTANT (0xFF) << 56) | n;
      nh |= (uint64_t) ST_OVERFLOW_SLOTS << 56;
    }
  else
    nh |= n << 56;
  *st_ptr (nv, dst) = nh;
  uint64_t *to = st_ptr (nv, dst) + 1;
  const uint64_t *from = st_ptr (vm, o) + 1;
  uint64_t ptrs = 0;
  if (fmt <= ST_FMT_EPHEMERON)
    ptrs = n;
  else if (st_fmt_is_method (fmt))
    ptrs = literal_slots (vm, o, n);
  for (uint64_t i = 0; i < ptrs; i++)
    to[i] = translate (t, b, from[i], o, (int64_t) i);
  uint64_t words = n == 0 ? 1 : n;
  if (words > ptrs)
    memcpy (to + ptrs, from + ptrs, (words - ptrs) * 8);
}

static StOop
put_hidden (StVM *nv, StOop start, uint64_t slots, guint fmt, guint32 ci)
{
  StOop o = start;
  uint64_t h = st_hdr_make (slots >= ST_OVERFLOW_SLOTS ? ST_OVERFLOW_SLOTS : (guint) slots, 0, fmt, ci);
  if (slots >= ST_OVERFLOW_SLOTS)
    {
      *st_ptr (nv, start) = (G_GUINT64_CONSTANT (0xFF) << 56) | slots;
      o = start + 8;
    }
  *st_ptr (nv, o) = h;
  return o;
}

void
st_trace_report_clear (StTraceReport *r)
{
  if (r == NULL)
    return;
  GArray *arrays[] = { r->garbage_by_class, r->cut_by_class };
  for (guint k = 0; k < G_N_ELEMENTS (arrays); k++)
    if (arrays[k] != NULL)
      {
        for (guint i = 0; i < arrays[k]->len; i++)
          g_free (g_array_index (arrays[k], StTraceClassCount, i).class_name);
        g_array_free (arrays[k], TRUE);
      }
  if (r->bad != NULL)
    g_array_free (r->bad, TRUE);
  memset (r, 0, sizeof *r);
}

StVM *
st_trace (StVM *vm, const StTraceOptions *options, StTraceReport *report, GError **error)
{
  static const StTraceOptions no_options = { 0 };
  const StTraceOptions *opt = options != NULL ? options : &no_options;
  StTraceReport local_report;
  StTraceReport *rep = report != NULL ? report : &local_report;
  memset (rep, 0, sizeof *rep);
  rep->bad = g_array_new (FALSE, FALSE, sizeof (StTraceBadRef));
  gint64 t0 = g_get_monotonic_time ();
  StVM *nv = NULL;
  Tracer t = { .vm = vm, .opt = opt, .rep = rep, .max_bad = opt->max_bad_refs ? opt->max_bad_refs : 1000 };
  GHashTable *pages = NULL, *garbage_by = NULL, *cut_by = NULL;
  bool *keep_page = NULL;
  uint64_t *newaddr = NULL;

  if (vm->n_segments == 0)
    {
      g_set_error (error, ST_TRACE_ERROR, ST_TRACE_ERROR_HEAP, "the heap has no segments");
      goto out_report;
    }
  t.seg_base = g_new (uint64_t, vm->n_segments);
  uint64_t buckets = 0;
  for (guint i = 0; i < vm->n_segments; i++)
    {
      t.seg_base[i] = buckets;
      buckets += (vm->segments[i].bytes + 15) / 16;
      rep->heap_bytes_before += vm->segments[i].bytes;
    }
  t.map = g_try_malloc (MAX (buckets, 1) * sizeof (guint32));
  if (t.map == NULL)
    {
      g_free (t.seg_base);
      g_set_error (error, ST_TRACE_ERROR, ST_TRACE_ERROR_MEMORY,
                   "cannot allocate the tracer's map (%" G_GUINT64_FORMAT " entries)", buckets);
      goto out_report;
    }
  memset (t.map, 0xFF, buckets * sizeof (guint32));
  t.class_cache = g_new (StOop, CLASS_CACHE);
  for (guint i = 0; i < CLASS_CACHE; i++)
    t.class_cache[i] = NO_CACHE;
  t.cap = 4096;
  t.stack = g_new (StOop, t.cap);
  pages = g_hash_table_new (g_direct_hash, g_direct_equal);
  garbage_by = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  cut_by = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);

  /* 1. Where objects are. */
  {
    StHeapWalk w;
    st_heap_walk_init (&w, vm);
    StOop o;
    while ((o = st_heap_walk_next (&w)) != 0)
      {
        uint64_t off = o - vm->segments[w.seg].start;
        t.map[t.seg_base[w.seg] + off / 16] = ST_UNMARKED | ((off & 8) ? AT_PLUS_8 : 0);
      }
  }
  StOop need[] = { vm->nil_obj, vm->false_obj, vm->true_obj, vm->special_objects, vm->hidden_roots_obj };
  const char *need_names[] = { "nil", "false", "true", "the special objects array", "the hidden roots object" };
  for (guint i = 0; i < G_N_ELEMENTS (need); i++)
    if (need[i] == 0 || entry_of (&t, need[i]) == NULL)
      {
        g_set_error (error, ST_TRACE_ERROR, ST_TRACE_ERROR_HEAP,
                     "%s (0x%" G_GINT64_MODIFIER "x) is not an object the heap walk found", need_names[i], need[i]);
        goto out;
      }
  if (st_num_slots (vm, vm->hidden_roots_obj) < ST_CLASS_TABLE_ROOT_SLOTS
      || !st_fmt_is_pointers (st_format (vm, vm->hidden_roots_obj)))
    {
      g_set_error (error, ST_TRACE_ERROR, ST_TRACE_ERROR_HEAP,
                   "the hidden roots object 0x%" G_GINT64_MODIFIER "x has no class table", vm->hidden_roots_obj);
      goto out;
    }
  for (guint i = 0; i < ST_CLASS_TABLE_ROOT_SLOTS; i++)
    {
      StOop p = st_fetch (vm, vm->hidden_roots_obj, i);
      if (p != vm->nil_obj && entry_of (&t, p) != NULL)
        g_hash_table_add (pages, GSIZE_TO_POINTER ((gsize) p));
    }
  if (!setup_edits (&t, error))
    goto out;

  /* 2. Marking. */
  bool have_edits = t.clamp_set != NULL || t.clamp_ci != NULL || t.replace != NULL;
  if (have_edits)
    {
      mark_roots (&t);
      StHeapWalk w;
      st_heap_walk_init (&w, vm);
      StOop o;
      while ((o = st_heap_walk_next (&w)) != 0)
        {
          guint32 *e = entry_of (&t, o);
          guint32 s = *e & ~AT_PLUS_8;
          *e = (s == ST_MARKED ? ST_UNMARKED : ST_GARBAGE) | (*e & AT_PLUS_8);
        }
      t.n_marked = 0;
    }
  t.edits = true;
  t.counting = true;
  mark_roots (&t);

  /* The class table that remains: entries whose class was reached. */
  StOop hr = vm->hidden_roots_obj;
  uint64_t nhr = st_num_slots (vm, hr);
  keep_page = g_new0 (bool, ST_CLASS_TABLE_ROOT_SLOTS);
  keep_page[0] = true;
  guint n_pages = 0;
  for (guint32 major = 0; major < ST_CLASS_TABLE_ROOT_SLOTS; major++)
    {
      StOop page = st_fetch (vm, hr, major);
      if (page == vm->nil_obj || entry_of (&t, page) == NULL || !st_fmt_is_pointers (st_format (vm, page)))
        continue;
      uint64_t np = MIN (st_num_slots (vm, page), (uint64_t) ST_CLASS_TABLE_PAGE_SIZE);
      for (guint32 minor = 0; minor < np; minor++)
        {
          StOop cls = st_fetch (vm, page, minor);
          guint32 *e = cls != vm->nil_obj ? entry_of (&t, cls) : NULL;
          if (e == NULL)
            continue;
          rep->classes_before++;
          if ((*e & ~AT_PLUS_8) == ST_MARKED)
            {
              rep->classes_after++;
              keep_page[major] = true;
            }
        }
    }
  for (guint32 major = 0; major < ST_CLASS_TABLE_ROOT_SLOTS; major++)
    n_pages += keep_page[major];

  /* 3. Counting and places. */
  if (t.n_marked + 3 >= MAX_INDEX)
    {
      g_set_error (error, ST_TRACE_ERROR, ST_TRACE_ERROR_MEMORY, "too many objects to trace");
      goto out;
    }
  newaddr = g_new (uint64_t, t.n_marked + 3);
  StOop base = vm->segments[0].start;
  StOop cur = base;
  StOop nft[3] = { vm->nil_obj, vm->false_obj, vm->true_obj };
  for (guint i = 0; i < 3; i++)
    {
      uint64_t n = st_num_slots (vm, nft[i]);
      newaddr[i] = cur + (n >= ST_OVERFLOW_SLOTS ? 8 : 0);
      cur += st_object_bytes_for_slots (n);
    }
  StOop fl_start = cur;
  cur += st_object_bytes_for_slots (ST_NUM_FREE_LISTS);
  StOop roots_start = cur;
  cur += st_object_bytes_for_slots (nhr);
  StOop pages_start = cur;
  cur += (uint64_t) n_pages * st_object_bytes_for_slots (ST_CLASS_TABLE_PAGE_SIZE);
  uint64_t next_index = 3;
  {
    StHeapWalk w;
    st_heap_walk_init (&w, vm);
    StOop o;
    while ((o = st_heap_walk_next (&w)) != 0)
      {
        guint32 *e = entry_of (&t, o);
        guint32 s = *e & ~AT_PLUS_8;
        uint64_t h = st_header (vm, o);
        uint64_t bytes = st_object_end (vm, o) - st_object_start (vm, o);
        if (st_hdr_class_index (h) == ST_CLASS_INDEX_FREE)
          {
            rep->free_chunks_before++;
            rep->free_bytes_before += bytes;
            continue;
          }
        rep->objects_before++;
        rep->bytes_before += bytes;
        if (s != ST_MARKED)
          {
            if (is_old_hidden (&t, pages, o))
              continue;
            guint32 ci = st_hdr_class_index (h);
            if (s == ST_GARBAGE || !have_edits)
              {
                rep->garbage_objects++;
                rep->garbage_bytes += bytes;
                count_class (garbage_by, ci, bytes);
              }
            else
              {
                rep->cut_objects++;
                rep->cut_bytes += bytes;
                count_class (cut_by, ci, bytes);
              }
            continue;
          }
        uint64_t n = st_num_slots (vm, o);
        rep->live_objects++;
        rep->live_bytes += st_object_bytes_for_slots (n);
        guint idx;
        if (o == vm->nil_obj || o == vm->false_obj || o == vm->true_obj)
          idx = o == vm->nil_obj ? 0 : o == vm->false_obj ? 1 : 2;
        else
          {
            idx = (guint) next_index++;
            newaddr[idx] = cur + (n >= ST_OVERFLOW_SLOTS ? 8 : 0);
            cur += st_object_bytes_for_slots (n);
          }
        *e = idx | (*e & AT_PLUS_8);
      }
  }
  uint64_t total = cur - base + ST_BRIDGE_BYTES;
  rep->objects_after = rep->live_objects + 2 + n_pages;
  rep->bytes_after = cur - base;
  rep->heap_bytes_after = total;
  rep->garbage_by_class = counts_to_array (&t, garbage_by);
  rep->cut_by_class = counts_to_array (&t, cut_by);
  if (opt->dry_run)
    goto out;

  /* 4. The new heap. */
  nv = st_vm_new ();
  nv->personality = vm->personality;
  nv->header = vm->header;
  nv->image_path = g_strdup (vm->image_path);
  nv->changes_path = g_strdup (vm->changes_path);
  nv->sources_path = g_strdup (vm->sources_path);
  uint64_t reserve = MAX (RESERVE_MIN, total * 4 + (G_GUINT64_CONSTANT (64) << 20));
  if (!st_objmem_init (nv, base, reserve, total, error))
    {
      st_vm_free (nv);
      nv = NULL;
      goto out;
    }
  StSegment *seg = st_objmem_add_segment (nv, base, total);
  seg->file_start = base;
  seg->file_offset = 0;
  nv->nil_obj = newaddr[0];
  nv->false_obj = newaddr[1];
  nv->true_obj = newaddr[2];
  Builder b = { .nv = nv, .newaddr = newaddr };
  t.counting = false;
  for (guint i = 0; i < 3; i++)
    copy_object (&t, &b, nft[i], newaddr[i]);
  {
    StHeapWalk w;
    st_heap_walk_init (&w, vm);
    StOop o;
    while ((o = st_heap_walk_next (&w)) != 0)
      {
        guint32 idx = *entry_of (&t, o) & ~AT_PLUS_8;
        if (idx < 3 || idx >= MAX_INDEX)
          continue;
        copy_object (&t, &b, o, newaddr[idx]);
      }
  }
  nv->special_objects = translate (&t, &b, vm->special_objects, 0, -1);
  nv->free_lists_obj = put_hidden (nv, fl_start, ST_NUM_FREE_LISTS, ST_FMT_WORDS64, ST_CLASS_INDEX_LONGS64_PUN);
  memset (st_ptr (nv, nv->free_lists_obj) + 1, 0, ST_NUM_FREE_LISTS * 8);
  /* The hidden roots keep their header bits (hash) and size. */
  nv->hidden_roots_obj = put_hidden (nv, roots_start, nhr, st_format (vm, hr), ST_CLASS_INDEX_ARRAY_PUN);
  for (uint64_t i = 0; i < nhr; i++)
    st_store (nv, nv->hidden_roots_obj, i,
              i < ST_CLASS_TABLE_ROOT_SLOTS ? nv->nil_obj : translate (&t, &b, st_fetch (vm, hr, i), hr, (int64_t) i));
  StOop page_at = pages_start;
  for (guint32 major = 0; major < ST_CLASS_TABLE_ROOT_SLOTS; major++)
    {
      if (!keep_page[major])
        continue;
      StOop page = put_hidden (nv, page_at, ST_CLASS_TABLE_PAGE_SIZE, ST_FMT_INDEXABLE, ST_CLASS_INDEX_ARRAY_PUN);
      page_at += st_object_bytes_for_slots (ST_CLASS_TABLE_PAGE_SIZE);
      st_store (nv, nv->hidden_roots_obj, major, page);
      StOop old = st_fetch (vm, hr, major);
      bool old_ok = old != vm->nil_obj && entry_of (&t, old) != NULL && st_fmt_is_pointers (st_format (vm, old));
      uint64_t np = old_ok ? MIN (st_num_slots (vm, old), (uint64_t) ST_CLASS_TABLE_PAGE_SIZE) : 0;
      for (guint32 minor = 0; minor < ST_CLASS_TABLE_PAGE_SIZE; minor++)
        {
          StOop v = nv->nil_obj;
          if (minor < np)
            {
              StOop cls = st_fetch (vm, old, minor);
              guint32 *e = st_is_pointer (cls) && cls != vm->nil_obj ? entry_of (&t, cls) : NULL;
              if (e != NULL && (*e & ~AT_PLUS_8) < MAX_INDEX)
                v = newaddr[*e & ~AT_PLUS_8];
            }
          st_store (nv, page, minor, v);
        }
    }
  StOop bridge = base + total - ST_BRIDGE_BYTES;
  st_ptr (nv, bridge)[0] = st_hdr_make (0, 0, ST_FMT_WORDS64, ST_CLASS_INDEX_BRIDGE) | ST_HDR_MARKED_BIT | ST_HDR_PINNED_BIT;
  st_ptr (nv, bridge)[1] = 0;
  nv->header.special_objects_oop = nv->special_objects;
  nv->header.old_base_addr = base;
  nv->header.data_size = total;
  nv->header.first_seg_size = total;
  nv->header.free_old_space = 0;

out:
  g_free (newaddr);
  g_free (keep_page);
  if (pages)
    g_hash_table_destroy (pages);
  if (garbage_by)
    g_hash_table_destroy (garbage_by);
  if (cut_by)
    g_hash_table_destroy (cut_by);
  g_free (t.map);
  g_free (t.seg_base);
  g_free (t.class_cache);
  g_free (t.stack);
  if (t.clamp_set)
    g_hash_table_destroy (t.clamp_set);
  if (t.clamp_ci)
    g_hash_table_destroy (t.clamp_ci);
  if (t.replace)
    g_hash_table_destroy (t.replace);
  if (t.ci_remap)
    g_hash_table_destroy (t.ci_remap);
out_report:
  rep->seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (rep->garbage_by_class == NULL)
    rep->garbage_by_class = g_array_new (FALSE, FALSE, sizeof (StTraceClassCount));
  if (rep->cut_by_class == NULL)
    rep->cut_by_class = g_array_new (FALSE, FALSE, sizeof (StTraceClassCount));
  if (report == NULL)
    st_trace_report_clear (rep);
  return nv;
}

/* ---- options written as paths ---- */

static gboolean
spec_resolve (StPrinter *p, const char *path, StOop *out, GError **error)
{
  StPathTarget target;
  if (!st_path_resolve (p, path, &target, error))
    return FALSE;
  if (!st_is_pointer (target.value))
    {
      g_set_error (error, ST_TRACE_ERROR, ST_TRACE_ERROR_INVALID, "%s is an immediate value, not an object", path);
      return FALSE;
    }
  *out = target.value;
  return TRUE;
}

StTraceSpec *
st_trace_spec_new (StPrinter *p, const char *const *clamps, const char *const *replacements, gboolean dry_run,
                   GError **error)
{
  StVM *vm = st_printer_vm (p);
  g_autoptr (StTraceSpec) spec = g_new0 (StTraceSpec, 1);
  spec->clamp_targets = g_array_new (FALSE, FALSE, sizeof (StOop));
  spec->clamp_is_class = g_array_new (FALSE, FALSE, sizeof (gboolean));
  spec->clamp_oops = g_array_new (FALSE, FALSE, sizeof (StOop));
  spec->clamp_classes = g_array_new (FALSE, FALSE, sizeof (guint32));
  spec->replace_from = g_array_new (FALSE, FALSE, sizeof (StOop));
  spec->replace_to = g_array_new (FALSE, FALSE, sizeof (StOop));
  for (guint i = 0; clamps != NULL && clamps[i] != NULL; i++)
    {
      StOop o;
      if (!spec_resolve (p, clamps[i], &o, error))
        return NULL;
      guint32 h = st_hash (vm, o);
      gboolean is_class = st_object_is_class (vm, o) && h >= ST_CLASS_INDEX_FIRST_REAL && st_class_at_index (vm, h) == o;
      if (is_class)
        g_array_append_val (spec->clamp_classes, h);
      else
        g_array_append_val (spec->clamp_oops, o);
      g_array_append_val (spec->clamp_targets, o);
      g_array_append_val (spec->clamp_is_class, is_class);
    }
  for (guint i = 0; replacements != NULL && replacements[i] != NULL; i++)
    {
      const char *r = replacements[i];
      const char *eq = strchr (r, '=');
      if (eq == NULL || eq == r || eq[1] == '\0')
        {
          g_set_error (error, ST_TRACE_ERROR, ST_TRACE_ERROR_INVALID, "a replacement is FROM=TO, got '%s'", r);
          return NULL;
        }
      g_autofree char *lhs = g_strndup (r, eq - r);
      StOop a, b;
      if (!spec_resolve (p, lhs, &a, error) || !spec_resolve (p, eq + 1, &b, error))
        return NULL;
      g_array_append_val (spec->replace_from, a);
      g_array_append_val (spec->replace_to, b);
    }
  spec->options = (StTraceOptions) {
    .clamp_oops = (const StOop *) spec->clamp_oops->data, .n_clamp_oops = spec->clamp_oops->len,
    .clamp_classes = (const guint32 *) spec->clamp_classes->data, .n_clamp_classes = spec->clamp_classes->len,
    .replace_from = (const StOop *) spec->replace_from->data, .replace_to = (const StOop *) spec->replace_to->data,
    .n_replace = spec->replace_from->len, .dry_run = dry_run,
  };
  return g_steal_pointer (&spec);
}

void
st_trace_spec_free (StTraceSpec *spec)
{
  if (spec == NULL)
    return;
  GArray **arrays[] = { &spec->clamp_targets, &spec->clamp_is_class, &spec->clamp_oops, &spec->clamp_classes,
                        &spec->replace_from, &spec->replace_to };
  for (gsize i = 0; i < G_N_ELEMENTS (arrays); i++)
    if (*arrays[i] != NULL)
      g_array_unref (*arrays[i]);
  g_free (spec);
}
