/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "class-info.h"
#include "method.h"
#include "path.h"
#include "printer.h"

#define DEFAULT_MAX_CHARS 160
#define MAX_CLASS_DEPTH   64     /* superclass chains longer than this are treated as damaged */

struct _StPrinter {
  StVM *vm;
  StOop symbol_class;          /* class of #doesNotUnderstand:, or 0 */
  GHashTable *method_index;    /* CompiledMethod -> MethodEntry, built on demand */
  bool method_index_built;
};

typedef struct {
  StOop cls;
  StOop selector;
} MethodEntry;

StPrinter *
st_printer_new (StVM *vm)
{
  StPrinter *p = g_new0 (StPrinter, 1);
  p->vm = vm;
  StOop dnu = st_printer_special (vm, ST_SPLOB_SELECTOR_DOES_NOT_UNDERSTAND);
  if (st_printer_is_object (vm, dnu) && st_fmt_is_bytes (st_format (vm, dnu)))
    p->symbol_class = st_class_info_class_of (vm, dnu);
  return p;
}

void
st_printer_free (StPrinter *p)
{
  if (p == NULL)
    return;
  if (p->method_index != NULL)
    g_hash_table_unref (p->method_index);
  g_free (p);
}

StVM *
st_printer_vm (StPrinter *p)
{
  return p->vm;
}

bool
st_printer_is_object (const StVM *vm, StOop oop)
{
  if (!st_is_pointer (oop) || oop == 0)
    return false;
  const StSegment *s = st_objmem_segment_of ((StVM *) vm, oop);
  if (s == NULL)
    return false;
  StOop limit = s->start + s->bytes - ST_BRIDGE_BYTES;
  if (oop + 16 > limit)
    return false;
  uint64_t h = st_header (vm, oop);
  if (st_hdr_class_index (h) < ST_CLASS_INDEX_FIRST_REAL)
    return false;
  uint64_t n = st_hdr_num_slots (h);
  if (n == ST_OVERFLOW_SLOTS)
    {
      if (oop < s->start + 8)
        return false;
      n = st_word_at (vm, oop - 8) & G_GUINT64_CONSTANT (0x00FFFFFFFFFFFFFF);
    }
  if (n > (limit - oop - 8) / 8)
    return false;
  /* An empty byte or word object cannot have unused trailing elements. */
  guint fmt = st_hdr_format (h);
  if (n == 0 && fmt >= ST_FMT_WORDS32
      && (fmt >= ST_FMT_BYTES ? (fmt & 7) : fmt >= ST_FMT_SHORTS16 ? (fmt & 3) : (fmt & 1)) != 0)
    return false;
  return true;
}

StOop
st_printer_special (const StVM *vm, StSpecialObject i)
{
  StOop soa = vm->special_objects;
  if (!st_printer_is_object (vm, soa) || !st_fmt_is_pointers (st_format (vm, soa)) || (uint64_t) i >= st_num_slots (vm, soa))
    return vm->nil_obj;
  return st_fetch (vm, soa, i);
}

/* A slot of a checked object, or 0 when out of range. */
static StOop
slot (StVM *vm, StOop o, uint64_t i)
{
  if (!st_printer_is_object (vm, o) || !st_fmt_is_pointers (st_format (vm, o)) || i >= st_num_slots (vm, o))
    return 0;
  return st_fetch (vm, o, i);
}

StOop
st_printer_class_of (StPrinter *p, StOop oop)
{
  if (st_is_immediate (oop))
    return st_class_info_class_of (p->vm, oop);
  if (!st_printer_is_object (p->vm, oop))
    return 0;
  StOop c = st_class_info_class_of (p->vm, oop);
  return st_printer_is_object (p->vm, c) ? c : 0;
}

bool
st_printer_is_class (StPrinter *p, StOop o)
{
  StVM *vm = p->vm;
  if (!st_printer_is_object (vm, o) || st_format (vm, o) != ST_FMT_FIXED || st_num_slots (vm, o) < 3)
    return false;
  StOop super = st_fetch (vm, o, 0), md = st_fetch (vm, o, 1), fmt = st_fetch (vm, o, 2);
  if (!st_is_smallint (fmt))
    return false;
  if (super != vm->nil_obj && !st_printer_is_object (vm, super))
    return false;
  if (!st_printer_is_object (vm, md))
    return false;
  guint mf = st_format (vm, md);
  if (mf != ST_FMT_FIXED_INDEXABLE && mf != ST_FMT_INDEXABLE && mf != ST_FMT_WEAK)
    return false;
  /* A Process also starts nextLink, suspendedContext (indexable), priority:
   * a class is an instance of a metaclass, or a metaclass itself. */
  StOop k = st_class_info_class_of (vm, o);
  return st_class_is_metaclass (vm, o) || (st_printer_is_object (vm, k) && st_class_is_metaclass (vm, k));
}

StOop
st_printer_superclass (StPrinter *p, StOop cls)
{
  if (!st_printer_is_class (p, cls))
    return 0;
  StOop s = st_fetch (p->vm, cls, 0);
  return s == p->vm->nil_obj ? 0 : s;
}

bool
st_printer_inherits (StPrinter *p, StOop cls, StOop ancestor)
{
  for (int depth = 0; cls != 0 && depth < MAX_CLASS_DEPTH; depth++)
    {
      if (cls == ancestor)
        return true;
      cls = st_printer_superclass (p, cls);
    }
  return false;
}

bool
st_printer_is_symbol (StPrinter *p, StOop o)
{
  if (!st_printer_is_object (p->vm, o) || !st_fmt_is_bytes (st_format (p->vm, o)) || st_fmt_is_method (st_format (p->vm, o)))
    return false;
  StOop c = st_class_info_class_of (p->vm, o);
  if (p->symbol_class != 0 && c == p->symbol_class)
    return true;
  /* Avoid recursion through class names: only compare against the known
   * Symbol class's superclass chain. */
  return p->symbol_class != 0 && st_printer_inherits (p, c, p->symbol_class);
}

char *
st_printer_bytes_string (StPrinter *p, StOop o)
{
  StVM *vm = p->vm;
  if (!st_printer_is_object (vm, o) || !st_fmt_is_bytes (st_format (vm, o)))
    return NULL;
  uint64_t n = st_byte_length (vm, o);
  return g_strndup ((const char *) st_bytes (vm, o), n);
}

/* The name slot of a (non-meta) class: the first Symbol among slots 3..9. */
static StOop
class_name_symbol (StPrinter *p, StOop cls)
{
  StVM *vm = p->vm;
  uint64_t n = st_num_slots (vm, cls);
  for (uint64_t i = 3; i < n && i < 10; i++)
    {
      StOop s = st_fetch (vm, cls, i);
      if (st_printer_is_symbol (p, s))
        return s;
    }
  return 0;
}

static char *
class_name_depth (StPrinter *p, StOop cls, int depth)
{
  StVM *vm = p->vm;
  if (depth > 2 || !st_printer_is_class (p, cls))
    return NULL;
  StOop sym = class_name_symbol (p, cls);
  if (sym != 0)
    {
      char *s = st_printer_bytes_string (p, sym);
      if (s != NULL && g_utf8_validate (s, -1, NULL) && s[0] != '\0')
        return s;
      g_free (s);
    }
  /* A metaclass: one of its slots is its sole instance. */
  uint64_t n = st_num_slots (vm, cls);
  for (uint64_t i = 3; i < n && i < 12; i++)
    {
      StOop s = st_fetch (vm, cls, i);
      if (s == cls || !st_printer_is_class (p, s) || st_class_info_class_of (vm, s) != cls)
        continue;
      char *inner = class_name_depth (p, s, depth + 1);
      if (inner != NULL)
        {
          char *r = g_strconcat (inner, " class", NULL);
          g_free (inner);
          return r;
        }
    }
  return NULL;
}

char *
st_printer_class_name (StPrinter *p, StOop cls)
{
  char buf[ST_CLASS_NAME_MAX];
  if (st_class_name_into (p->vm, cls, buf, sizeof buf))
    return g_strdup (buf);
  return class_name_depth (p, cls, 0);
}

uint64_t
st_printer_fixed_count (StPrinter *p, StOop o)
{
  StVM *vm = p->vm;
  if (!st_printer_is_object (vm, o))
    return 0;
  guint fmt = st_format (vm, o);
  uint64_t n = st_num_slots (vm, o);
  if (fmt == ST_FMT_FIXED || fmt == ST_FMT_EPHEMERON)
    return n;
  if (fmt != ST_FMT_FIXED_INDEXABLE && fmt != ST_FMT_WEAK)
    return 0;
  StClassSpec spec;
  StOop cls = st_class_info_class_of (vm, o);
  if (!st_printer_is_object (vm, cls) || !st_class_spec (vm, cls, &spec))
    return 0;
  return spec.inst_size > n ? n : spec.inst_size;
}

char *
st_printer_class_name_of (StPrinter *p, StOop oop)
{
  StOop c = st_printer_class_of (p, oop);
  char *n = c ? st_printer_class_name (p, c) : NULL;
  if (n != NULL)
    return n;
  if (st_printer_is_object (p->vm, oop))
    return g_strdup_printf ("<class index %u>", st_class_index (p->vm, oop));
  return g_strdup ("<unknown class>");
}

bool
st_printer_is_string (StPrinter *p, StOop o)
{
  StVM *vm = p->vm;
  if (!st_printer_is_object (vm, o))
    return false;
  guint f = st_format (vm, o);
  if (!st_fmt_is_bytes (f) || st_fmt_is_method (f))
    return false;
  StOop c = st_class_info_class_of (vm, o);
  StOop bs = st_printer_special (vm, ST_SPLOB_CLASS_BYTESTRING);
  if (c == bs || st_printer_is_symbol (p, o))
    return true;
  g_autofree char *n = st_printer_class_name (p, c);
  return n != NULL && (g_str_has_suffix (n, "String") || g_str_has_suffix (n, "Symbol"));
}

/* Instance variable names of one class from its own definition. */
static void
own_inst_var_names (StPrinter *p, StOop cls, GPtrArray *out)
{
  StVM *vm = p->vm;
  /* Squeak 3 and later and Cuis keep the names in slot 3 (nil when none);
   * Squeak 2 in slot 4, smaller kernels (SqueakJS's headless image) a
   * little later: the first non-empty Array among slots 3..9 whose
   * elements are all Strings or Symbols.  Pharo keeps a layout object in
   * slot 3 instead. */
  uint64_t ncls = st_num_slots (vm, cls);
  StOop ivs = 0;
  for (uint64_t k = 3; k < ncls && k < 10 && ivs == 0; k++)
    {
      StOop a = st_fetch (vm, cls, k);
      if (!st_printer_is_object (vm, a) || st_format (vm, a) != ST_FMT_INDEXABLE)
        continue;
      uint64_t n = st_num_slots (vm, a);
      bool all = n > 0;
      for (uint64_t i = 0; i < n && all; i++)
        {
          StOop e = st_fetch (vm, a, i);
          all = st_printer_is_object (vm, e) && st_fmt_is_bytes (st_format (vm, e))
                && !st_fmt_is_method (st_format (vm, e));
        }
      if (all)
        ivs = a;
    }
  if (ivs == 0 && ncls > 3)
    {
      StOop layout = st_fetch (vm, cls, 3);
      if (st_printer_is_object (vm, layout) && st_format (vm, layout) == ST_FMT_FIXED
          && !st_printer_is_class (p, layout) && !st_printer_is_string (p, layout))
        ivs = layout;
    }
  if (ivs == 0)
    return;
  if (st_format (vm, ivs) == ST_FMT_INDEXABLE)
    {
      /* Squeak and Cuis: an Array of Strings or Symbols. */
      uint64_t n = st_num_slots (vm, ivs);
      for (uint64_t i = 0; i < n && i < 65536; i++)
        {
          char *s = st_printer_bytes_string (p, st_fetch (vm, ivs, i));
          g_ptr_array_add (out, s ? s : g_strdup_printf ("ivar%" G_GUINT64_FORMAT, i + 1));
        }
      return;
    }
  /* Pharo: a layout whose slot scope holds Slot objects (name first). */
  StOop scope = 0;
  uint64_t ln = st_num_slots (vm, ivs);
  for (uint64_t i = 0; i < ln && i < 4; i++)
    {
      StOop s = st_fetch (vm, ivs, i);
      if (st_printer_is_object (vm, s) && s != cls && !st_printer_is_class (p, s)
          && st_format (vm, s) >= ST_FMT_INDEXABLE && st_format (vm, s) <= ST_FMT_WEAK)
        {
          scope = s;
          break;
        }
    }
  if (scope == 0)
    return;
  uint64_t fixed = st_printer_fixed_count (p, scope), total = st_num_slots (vm, scope);
  for (uint64_t i = fixed; i < total && i < 65536; i++)
    {
      StOop sl = st_fetch (vm, scope, i);
      StOop name = slot (vm, sl, 0);
      char *s = st_printer_is_symbol (p, name) ? st_printer_bytes_string (p, name) : NULL;
      g_ptr_array_add (out, s ? s : g_strdup_printf ("ivar%" G_GUINT64_FORMAT, (guint64) out->len + 1));
    }
}

char **
st_printer_inst_var_names (StPrinter *p, StOop cls)
{
  StOop chain[MAX_CLASS_DEPTH];
  int n = 0;
  for (StOop c = cls; c != 0 && n < MAX_CLASS_DEPTH; c = st_printer_superclass (p, c))
    {
      if (!st_printer_is_class (p, c))
        return NULL;
      chain[n++] = c;
    }
  if (n == 0)
    return NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  for (int i = n - 1; i >= 0; i--)
    own_inst_var_names (p, chain[i], names);
  /* The class's format says how many named slots it has; trust the format
   * and keep the last names when the definitions disagree. */
  StClassSpec spec;
  guint fixed = st_class_spec (p->vm, cls, &spec) ? spec.inst_size : names->len;
  if (names->len != fixed)
    {
      if (names->len > fixed)
        g_ptr_array_remove_range (names, 0, names->len - fixed);
      else
        {
          g_ptr_array_free (names, TRUE);
          return NULL;
        }
    }
  g_ptr_array_set_free_func (names, NULL);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

/* ---- methods ---- */

static bool
safe_method_header (StVM *vm, StOop m, StMethodHeader *h)
{
  if (!st_printer_is_object (vm, m) || !st_fmt_is_method (st_format (vm, m)))
    return false;
  return st_method_header (vm, m, h, NULL);
}

static bool
method_is_block (StPrinter *p, StOop m)
{
  StMethodHeader h;
  if (!safe_method_header (p->vm, m, &h) || h.num_literals < 1)
    return false;
  StOop last = st_method_literal (p->vm, m, h.num_literals - 1);
  return st_printer_is_object (p->vm, last) && st_fmt_is_method (st_format (p->vm, last));
}

static void
build_method_index (StPrinter *p)
{
  StVM *vm = p->vm;
  p->method_index_built = true;
  p->method_index = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0)
    {
      if (st_class_index (vm, o) < ST_CLASS_INDEX_FIRST_REAL || !st_printer_is_class (p, o))
        continue;
      StOop md = st_fetch (vm, o, 1);
      uint64_t fixed = st_printer_fixed_count (p, md), total = st_num_slots (vm, md);
      if (total <= fixed)
        continue;
      uint64_t nkeys = total - fixed;
      /* The values: the named slot holding an Array as long as the keys. */
      StOop values = 0;
      for (uint64_t i = 0; i < fixed; i++)
        {
          StOop v = st_fetch (vm, md, i);
          if (st_printer_is_object (vm, v) && st_format (vm, v) == ST_FMT_INDEXABLE && st_num_slots (vm, v) == nkeys)
            values = v;
        }
      if (values == 0)
        continue;
      for (uint64_t i = 0; i < nkeys; i++)
        {
          StOop key = st_fetch (vm, md, fixed + i), m = st_fetch (vm, values, i);
          if (!st_printer_is_object (vm, m) || !st_fmt_is_method (st_format (vm, m)))
            continue;
          gint64 *k = g_new (gint64, 1);
          *k = (gint64) m;
          MethodEntry *e = g_new (MethodEntry, 1);
          e->cls = o;
          e->selector = key;
          g_hash_table_insert (p->method_index, k, e);
        }
    }
}

bool
st_printer_method_info (StPrinter *p, StOop method, StOop *cls_out, char **sel_out, StOop *home_out)
{
  StVM *vm = p->vm;
  StOop m = method;
  /* A CompiledBlock's last literal is its outer method (or block). */
  for (int i = 0; i < 16 && method_is_block (p, m); i++)
    {
      StMethodHeader h;
      safe_method_header (vm, m, &h);
      m = st_method_literal (vm, m, h.num_literals - 1);
    }
  StMethodHeader h;
  if (!safe_method_header (vm, m, &h))
    return false;
  StOop cls = 0, sel = 0;
  StOop lit_cls = 0, lit_sel = 0;
  if (h.num_literals >= 1)
    {
      StOop last = st_method_literal (vm, m, h.num_literals - 1);
      StOop v = slot (vm, last, 1);
      if (v != 0 && st_printer_is_class (p, v))
        lit_cls = v;
    }
  if (h.num_literals >= 2)
    {
      StOop pen = st_method_literal (vm, m, h.num_literals - 2);
      if (st_printer_is_symbol (p, pen))
        lit_sel = pen;
      else
        {
          /* AdditionalMethodState: method, selector, pragmas... */
          StOop s = slot (vm, pen, 1);
          if (s != 0 && st_printer_is_symbol (p, s) && slot (vm, pen, 0) == m)
            lit_sel = s;
        }
    }
  /* Old images (Squeak 2.x, Scratch) do not end methods in a class binding
   * and selector; their last literals are ordinary ones.  Believe the
   * literals only when the class's method dictionary agrees. */
  if (lit_cls != 0 && lit_sel != 0)
    {
      g_autofree char *ls = st_printer_bytes_string (p, lit_sel);
      if (ls != NULL && st_path_lookup_method (p, lit_cls, ls) == m)
        cls = lit_cls, sel = lit_sel;
    }
  if (cls == 0 || sel == 0)
    {
      if (!p->method_index_built)
        build_method_index (p);
      gint64 k = (gint64) m;
      MethodEntry *e = g_hash_table_lookup (p->method_index, &k);
      if (e != NULL)
        {
          if (cls == 0)
            cls = e->cls;
          if (sel == 0 && st_printer_is_symbol (p, e->selector))
            sel = e->selector;
        }
      /* A method in no method dictionary (a DoIt, a replaced method): the
       * literals are the best there is, in images that keep them. */
      if (cls == 0 && sel == 0 && vm->personality.closures)
        cls = lit_cls, sel = lit_sel;
    }
  if (cls_out)
    *cls_out = cls;
  if (sel_out)
    *sel_out = sel ? st_printer_bytes_string (p, sel) : NULL;
  if (home_out)
    *home_out = m;
  return cls != 0 || sel != 0;
}

static void
append_method_name (StPrinter *p, GString *s, StOop method, StOop rcvr_class)
{
  StOop cls = 0, home = 0;
  g_autofree char *sel = NULL;
  st_printer_method_info (p, method, &cls, &sel, &home);
  if (home != method)
    g_string_append (s, "[] in ");
  g_autofree char *cname = cls ? st_printer_class_name (p, cls) : NULL;
  if (rcvr_class != 0 && rcvr_class != cls)
    {
      g_autofree char *rname = st_printer_class_name (p, rcvr_class);
      g_string_append_printf (s, "%s(%s)", rname ? rname : "?", cname ? cname : "?");
    }
  else
    g_string_append (s, cname ? cname : "?");
  g_string_append_printf (s, ">>%s", sel ? sel : "?");
}

bool
st_printer_image_pc (StPrinter *p, StOop method, StOop pc, int64_t *out)
{
  if (!st_is_smallint (pc))
    return false;
  StMethodHeader h;
  if (!safe_method_header (p->vm, method, &h))
    return false;
  int64_t v = st_smallint_value (pc);
  if (p->vm->personality.word_bytes == 4)
    v -= (int64_t) (h.num_literals + 1) * 4;
  *out = v;
  return true;
}

/* ---- contexts and processes ---- */

bool
st_printer_is_block_context (StPrinter *p, StOop o)
{
  StVM *vm = p->vm;
  if (vm->personality.closures || !st_printer_is_object (vm, o))
    return false;
  StOop bc = st_printer_special (vm, ST_SPLOB_CLASS_BLOCK_CONTEXT);
  return bc != vm->nil_obj && st_class_info_class_of (vm, o) == bc;
}

bool
st_printer_is_context (StPrinter *p, StOop o)
{
  StVM *vm = p->vm;
  if (!st_printer_is_object (vm, o) || st_format (vm, o) != ST_FMT_FIXED_INDEXABLE || st_num_slots (vm, o) < 6)
    return false;
  StOop c = st_class_info_class_of (vm, o);
  return c == st_printer_special (vm, ST_SPLOB_CLASS_METHOD_CONTEXT) || st_printer_is_block_context (p, o);
}

StOop
st_printer_context_method (StPrinter *p, StOop ctx)
{
  StVM *vm = p->vm;
  if (st_printer_is_block_context (p, ctx))
    {
      StOop home = st_fetch (vm, ctx, 5);
      if (!st_printer_is_context (p, home) || st_printer_is_block_context (p, home))
        return 0;
      ctx = home;
    }
  if (!st_printer_is_context (p, ctx))
    return 0;
  StOop m = st_fetch (vm, ctx, 3);
  return st_printer_is_object (vm, m) && st_fmt_is_method (st_format (vm, m)) ? m : 0;
}

static void
append_context (StPrinter *p, GString *s, StOop ctx)
{
  StVM *vm = p->vm;
  bool block = st_printer_is_block_context (p, ctx);
  StOop method = st_printer_context_method (p, ctx);
  StOop home = block ? st_fetch (vm, ctx, 5) : ctx;
  StOop rcvr = st_printer_is_context (p, home) ? st_fetch (vm, home, 5) : 0;
  if (block || (vm->personality.closures && st_fetch (vm, ctx, 4) != vm->nil_obj))
    {
      /* A block activation: say so unless the method (a CompiledBlock) already does. */
      StOop cls = 0, h = 0;
      st_printer_method_info (p, method, &cls, NULL, &h);
      if (h == method)
        g_string_append (s, "[] in ");
    }
  if (method == 0)
    {
      g_string_append (s, "a Context with no method");
      return;
    }
  append_method_name (p, s, method, st_printer_class_of (p, rcvr));
  int64_t pc;
  /* A BlockContext's pc is in its home's method. */
  if (st_printer_image_pc (p, method, st_fetch (vm, ctx, 1), &pc))
    g_string_append_printf (s, " [pc %" G_GINT64_FORMAT "]", pc);
  else if (st_fetch (vm, ctx, 1) == vm->nil_obj)
    g_string_append (s, " [pc nil]");
}

StOop
st_printer_scheduler (StPrinter *p)
{
  StVM *vm = p->vm;
  StOop assoc = st_printer_special (vm, ST_SPLOB_SCHEDULER_ASSOCIATION);
  StOop sched = slot (vm, assoc, 1);
  if (!st_printer_is_object (vm, sched) || st_num_slots (vm, sched) < 2)
    return 0;
  return sched;
}

char *
st_printer_process_state (StPrinter *p, StOop proc)
{
  StVM *vm = p->vm;
  StOop sched = st_printer_scheduler (p);
  if (sched != 0 && st_fetch (vm, sched, 1) == proc)
    return g_strdup ("running");
  StOop ctx = slot (vm, proc, 1), list = slot (vm, proc, 3);
  if (list == 0 || list == vm->nil_obj)
    return g_strdup (ctx == vm->nil_obj || ctx == 0 ? "terminated" : "suspended");
  StOop lists = sched ? st_fetch (vm, sched, 0) : 0;
  if (st_printer_is_object (vm, lists) && st_fmt_is_pointers (st_format (vm, lists)))
    {
      uint64_t n = st_num_slots (vm, lists);
      for (uint64_t i = 0; i < n; i++)
        if (st_fetch (vm, lists, i) == list)
          return g_strdup ("ready");
    }
  g_autofree char *cn = st_printer_class_name_of (p, list);
  return g_strdup_printf ("waiting on %s %s", strchr ("AEIOU", cn[0]) ? "an" : "a", cn);
}

/* ---- numbers ---- */

static void
append_large_int (StPrinter *p, GString *s, StOop o, bool negative)
{
  StVM *vm = p->vm;
  uint64_t n = st_byte_length (vm, o);
  const guint8 *b = st_bytes (vm, o);
  while (n > 0 && b[n - 1] == 0)
    n--;
  if (n > 1024)
    {
      g_string_append_printf (s, "a Large%sInteger (%" G_GUINT64_FORMAT " bytes)", negative ? "Negative" : "Positive", n);
      return;
    }
  /* Base 10^9 limbs by repeated division of the little-endian magnitude. */
  guint nw = (guint) ((n + 3) / 4);
  g_autofree guint32 *w = g_new0 (guint32, nw + 1);
  for (uint64_t i = 0; i < n; i++)
    w[i / 4] |= (guint32) b[i] << (8 * (i % 4));
  GArray *digits = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint top = nw;
  while (top > 0 && w[top - 1] == 0)
    top--;
  while (top > 0)
    {
      uint64_t rem = 0;
      for (guint i = top; i-- > 0;)
        {
          uint64_t cur = (rem << 32) | w[i];
          w[i] = (guint32) (cur / 1000000000u);
          rem = cur % 1000000000u;
        }
      guint32 r = (guint32) rem;
      g_array_append_val (digits, r);
      while (top > 0 && w[top - 1] == 0)
        top--;
    }
  if (negative)
    g_string_append_c (s, '-');
  if (digits->len == 0)
    g_string_append_c (s, '0');
  for (guint i = digits->len; i-- > 0;)
    g_string_append_printf (s, i == digits->len - 1 ? "%u" : "%09u", g_array_index (digits, guint32, i));
  g_array_free (digits, TRUE);
}

static void
append_double (GString *s, double d)
{
  if (isnan (d))
    {
      g_string_append (s, "NaN");
      return;
    }
  if (isinf (d))
    {
      g_string_append (s, d > 0 ? "Infinity" : "-Infinity");
      return;
    }
  /* The shortest digits that read back as the same double, written the
   * way Smalltalk prints Floats: 2.5, 100.0, 1.0e300, 1.5e-10. */
  char buf[64];
  for (int prec = 1; prec <= 17; prec++)
    {
      char fmt[8];
      g_snprintf (fmt, sizeof fmt, "%%.%dg", prec);
      g_ascii_formatd (buf, sizeof buf, fmt, d);
      if (g_ascii_strtod (buf, NULL) == d)
        break;
    }
  /* Positional notation from 1e-4 up to 1e16, as Smalltalk does. */
  double mag = fabs (d);
  if (mag != 0.0 && mag >= 1e-4 && mag < 1e16 && strchr (buf, 'e') != NULL)
    {
      int digits = 0;
      for (const char *q = buf; *q && *q != 'e'; q++)
        digits += g_ascii_isdigit (*q) != 0;
      int exp10 = (int) floor (log10 (mag));
      char fmt[8];
      g_snprintf (fmt, sizeof fmt, "%%.%dg", MAX (digits, exp10 + 1));
      g_ascii_formatd (buf, sizeof buf, fmt, d);
    }
  char *e = strchr (buf, 'e');
  g_autofree char *mant = e ? g_strndup (buf, e - buf) : g_strdup (buf);
  g_string_append (s, mant);
  if (strchr (mant, '.') == NULL)
    g_string_append (s, ".0");
  if (e != NULL)
    {
      int exp = atoi (e + 1);
      g_string_append_printf (s, "e%d", exp);
    }
}

static void
append_character (GString *s, guint32 cp)
{
  if (cp > 32 && cp < 127)
    g_string_append_printf (s, "$%c", (char) cp);
  else if (cp > 127 && cp <= 0x10FFFF && g_unichar_isprint (cp))
    {
      g_string_append_c (s, '$');
      g_string_append_unichar (s, cp);
    }
  else
    g_string_append_printf (s, "Character value: %u", cp);
}

static void
append_quoted (GString *s, const guint8 *b, uint64_t n, char quote, gsize budget)
{
  g_string_append_c (s, quote);
  for (uint64_t i = 0; i < n; i++)
    {
      if (s->len >= budget)
        {
          g_string_append (s, "...");
          break;
        }
      guint8 c = b[i];
      if (c == (guint8) quote)
        g_string_append_c (s, quote);
      if (c == '\r' || c == '\n')
        g_string_append (s, c == '\r' ? "\\r" : "\\n");
      else if (c == '\t')
        g_string_append (s, "\\t");
      else if (c < 32 || c == 127)
        g_string_append_printf (s, "\\x%02x", c);
      else if (c >= 128)
        g_string_append_unichar (s, c);      /* Latin-1 as the image sees it */
      else
        g_string_append_c (s, (char) c);
    }
  g_string_append_c (s, quote);
}

/* ---- the printer ---- */

static void append_oop (StPrinter *p, GString *s, StOop o, int depth, gsize budget);

static void
append_an (GString *s, const char *name)
{
  g_string_append_printf (s, "%s %s", strchr ("AEIOUaeiou", name[0]) && name[0] ? "an" : "a", name);
}

static bool
is_binding (StPrinter *p, StOop o, const char *cname)
{
  if (st_format (p->vm, o) != ST_FMT_FIXED || st_num_slots (p->vm, o) < 2 || cname == NULL)
    return false;
  return g_str_has_suffix (cname, "Association") || g_str_has_suffix (cname, "Binding")
         || g_str_has_suffix (cname, "Variable");
}

static void
append_oop (StPrinter *p, GString *s, StOop o, int depth, gsize budget)
{
  StVM *vm = p->vm;
  if (s->len >= budget)
    {
      g_string_append (s, "...");
      return;
    }
  if (st_is_smallint (o))
    {
      g_string_append_printf (s, "%" G_GINT64_FORMAT, st_smallint_value (o));
      return;
    }
  if (st_is_character (o))
    {
      append_character (s, st_character_value (o));
      return;
    }
  if (st_is_smallfloat (o))
    {
      append_double (s, st_smallfloat_value (o));
      return;
    }
  if (o == vm->nil_obj)
    {
      g_string_append (s, "nil");
      return;
    }
  if (o == vm->true_obj || o == vm->false_obj)
    {
      g_string_append (s, o == vm->true_obj ? "true" : "false");
      return;
    }
  if (!st_printer_is_object (vm, o))
    {
      g_string_append_printf (s, "<bad oop 0x%" G_GINT64_MODIFIER "x>", o);
      return;
    }
  StOop cls = st_class_info_class_of (vm, o);
  guint fmt = st_format (vm, o);
  if (st_printer_is_class (p, o))
    {
      g_autofree char *n = st_printer_class_name (p, o);
      if (n != NULL)
        {
          g_string_append (s, n);
          return;
        }
    }
  if (st_fmt_is_method (fmt))
    {
      append_method_name (p, s, o, 0);
      return;
    }
  if (st_printer_is_context (p, o))
    {
      append_context (p, s, o);
      return;
    }
  if (cls == st_printer_special (vm, ST_SPLOB_CLASS_CHARACTER) && st_num_slots (vm, o) >= 1 && st_is_smallint (st_fetch (vm, o, 0)))
    {
      append_character (s, (guint32) st_smallint_value (st_fetch (vm, o, 0)));
      return;
    }
  if (cls == st_printer_special (vm, ST_SPLOB_CLASS_FLOAT) && st_byte_length (vm, o) == 8)
    {
      double d;
      memcpy (&d, st_bytes (vm, o), 8);
      append_double (s, d);
      return;
    }
  if (cls == st_printer_special (vm, ST_SPLOB_CLASS_LARGE_POSITIVE_INTEGER) && st_fmt_is_bytes (fmt))
    {
      append_large_int (p, s, o, false);
      return;
    }
  if (cls == st_printer_special (vm, ST_SPLOB_CLASS_LARGE_NEGATIVE_INTEGER) && st_fmt_is_bytes (fmt))
    {
      append_large_int (p, s, o, true);
      return;
    }
  if (st_printer_is_symbol (p, o))
    {
      g_string_append_c (s, '#');
      uint64_t n = st_byte_length (vm, o);
      const guint8 *b = st_bytes (vm, o);
      bool plain = n > 0 && n < 200 && (g_ascii_isalpha (b[0]) || b[0] == '_');
      for (uint64_t i = 0; plain && i < n; i++)
        plain = g_ascii_isalnum (b[i]) || b[i] == '_' || b[i] == ':';
      bool binary = n > 0 && n < 4;
      for (uint64_t i = 0; binary && i < n; i++)
        binary = b[i] != 0 && strchr ("+-*/\\<>=~@%|&?,", b[i]) != NULL;
      plain = plain || binary;
      if (plain)
        g_string_append_len (s, (const char *) b, (gssize) n);
      else
        append_quoted (s, b, n, '\'', budget);
      return;
    }
  if (st_printer_is_string (p, o))
    {
      append_quoted (s, st_bytes (vm, o), st_byte_length (vm, o), '\'', budget);
      return;
    }
  if (cls == st_printer_special (vm, ST_SPLOB_CLASS_BYTE_ARRAY) && st_fmt_is_bytes (fmt))
    {
      uint64_t n = st_byte_length (vm, o);
      const guint8 *b = st_bytes (vm, o);
      g_string_append (s, "#[");
      for (uint64_t i = 0; i < n; i++)
        {
          if (s->len >= budget)
            {
              g_string_append (s, " ...");
              break;
            }
          g_string_append_printf (s, i ? " %u" : "%u", b[i]);
        }
      g_string_append_c (s, ']');
      return;
    }
  if (cls == st_printer_special (vm, ST_SPLOB_CLASS_ARRAY) && fmt == ST_FMT_INDEXABLE)
    {
      uint64_t n = st_num_slots (vm, o);
      if (depth > 0)
        {
          g_string_append_printf (s, "an Array(%" G_GUINT64_FORMAT ")", n);
          return;
        }
      g_string_append (s, "#(");
      for (uint64_t i = 0; i < n; i++)
        {
          if (s->len >= budget)
            {
              g_string_append (s, " ...");
              break;
            }
          if (i)
            g_string_append_c (s, ' ');
          append_oop (p, s, st_fetch (vm, o, i), depth + 1, budget);
        }
      g_string_append_c (s, ')');
      return;
    }
  if (cls == st_printer_special (vm, ST_SPLOB_CLASS_POINT) && st_num_slots (vm, o) >= 2)
    {
      append_oop (p, s, st_fetch (vm, o, 0), depth + 1, budget);
      g_string_append_c (s, '@');
      append_oop (p, s, st_fetch (vm, o, 1), depth + 1, budget);
      return;
    }
  g_autofree char *cname = st_printer_class_name (p, cls);
  if (cls == st_printer_special (vm, ST_SPLOB_CLASS_PROCESS) || (cname && g_str_equal (cname, "Process")))
    {
      g_autofree char *state = st_printer_process_state (p, o);
      StOop prio = st_num_slots (vm, o) > 2 ? st_fetch (vm, o, 2) : 0;
      g_string_append_printf (s, "a Process (priority %" G_GINT64_FORMAT ", %s)",
                              st_is_smallint (prio) ? st_smallint_value (prio) : -1, state);
      StOop ctx = st_num_slots (vm, o) > 1 ? st_fetch (vm, o, 1) : 0;
      if (depth == 0 && st_printer_is_context (p, ctx))
        {
          g_string_append (s, " in ");
          append_context (p, s, ctx);
        }
      return;
    }
  if (cname != NULL && g_str_has_suffix (cname, "BlockClosure") && st_fmt_is_pointers (fmt) && st_num_slots (vm, o) >= 3)
    {
      /* BlockClosure: outerContext startpc numArgs ...; FullBlockClosure:
       * outerContext compiledBlock numArgs receiver ... */
      StOop second = st_fetch (vm, o, 1), outer = st_fetch (vm, o, 0);
      StOop method = 0;
      if (st_printer_is_object (vm, second) && st_fmt_is_method (st_format (vm, second)))
        method = second;
      else if (st_printer_is_context (p, outer))
        method = st_printer_context_method (p, outer);
      g_string_append (s, "[] in ");
      if (method != 0)
        {
          StOop h = 0, mcls = 0;
          g_autofree char *sel = NULL;
          st_printer_method_info (p, method, &mcls, &sel, &h);
          g_autofree char *mn = mcls ? st_printer_class_name (p, mcls) : NULL;
          g_string_append_printf (s, "%s>>%s", mn ? mn : "?", sel ? sel : "?");
        }
      else
        g_string_append (s, "?");
      return;
    }
  if (depth < 2 && is_binding (p, o, cname))
    {
      append_oop (p, s, st_fetch (vm, o, 0), depth + 1, budget);
      g_string_append (s, "->");
      append_oop (p, s, st_fetch (vm, o, 1), depth + 1, budget);
      return;
    }
  if (cname == NULL)
    {
      g_string_append_printf (s, "an object of class index %u", st_class_index (vm, o));
      return;
    }
  /* A metaclass's instance is a class even if it has no name slot. */
  append_an (s, cname);
}

char *
st_printer_print (StPrinter *p, StOop oop, gsize max_chars)
{
  GString *s = g_string_new (NULL);
  gsize budget = max_chars ? max_chars : DEFAULT_MAX_CHARS;
  append_oop (p, s, oop, 0, budget);
  if (s->len > budget + 32)
    {
      /* Cut at a character boundary. */
      const char *end = g_utf8_find_prev_char (s->str, s->str + budget);
      g_string_truncate (s, end ? (gsize) (end - s->str) : budget);
      g_string_append (s, "...");
    }
  return g_string_free (s, FALSE);
}

char *
st_print_oop (StVM *vm, StOop oop)
{
  StPrinter *p = st_printer_new (vm);
  char *r = st_printer_print (p, oop, 0);
  st_printer_free (p);
  return r;
}
