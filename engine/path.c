/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "class-info.h"
#include "method.h"
#include "path.h"

G_DEFINE_QUARK (st-path-error-quark, st_path_error)

#define MAX_STEPS 256

static bool
symbol_equals (StPrinter *p, StOop sym, const char *s)
{
  StVM *vm = st_printer_vm (p);
  if (!st_printer_is_symbol (p, sym))
    return false;
  gsize n = strlen (s);
  return st_byte_length (vm, sym) == n && memcmp (st_bytes (vm, sym), s, n) == 0;
}

static StOop
scan_bindings (StPrinter *p, StOop arr, uint64_t from, const char *key)
{
  StVM *vm = st_printer_vm (p);
  uint64_t n = st_num_slots (vm, arr);
  for (uint64_t i = from; i < n; i++)
    {
      StOop a = st_fetch (vm, arr, i);
      if (!st_printer_is_object (vm, a) || !st_fmt_is_pointers (st_format (vm, a)) || st_num_slots (vm, a) < 2)
        continue;
      if (symbol_equals (p, st_fetch (vm, a, 0), key))
        return a;
    }
  return 0;
}

StOop
st_path_dictionary_binding (StPrinter *p, StOop dict, const char *key)
{
  StVM *vm = st_printer_vm (p);
  if (!st_printer_is_object (vm, dict) || !st_fmt_is_pointers (st_format (vm, dict)))
    return 0;
  uint64_t fixed = st_printer_fixed_count (p, dict);
  /* Squeak 3 and later, Cuis, Pharo: tally, array (of associations). */
  for (uint64_t i = 0; i < fixed && i < 8; i++)
    {
      StOop arr = st_fetch (vm, dict, i);
      if (st_printer_is_object (vm, arr) && st_format (vm, arr) == ST_FMT_INDEXABLE)
        {
          StOop a = scan_bindings (p, arr, 0, key);
          if (a != 0)
            return a;
        }
    }
  /* Older Squeak: the associations are the dictionary's indexable part. */
  if (st_num_slots (vm, dict) > fixed)
    return scan_bindings (p, dict, fixed, key);
  return 0;
}

StOop
st_path_lookup_method (StPrinter *p, StOop cls, const char *selector)
{
  StVM *vm = st_printer_vm (p);
  if (!st_printer_is_class (p, cls))
    return 0;
  StOop md = st_fetch (vm, cls, 1);
  uint64_t fixed = st_printer_fixed_count (p, md), total = st_num_slots (vm, md);
  if (total <= fixed)
    return 0;
  uint64_t nkeys = total - fixed;
  StOop values = 0;
  for (uint64_t i = 0; i < fixed; i++)
    {
      StOop v = st_fetch (vm, md, i);
      if (st_printer_is_object (vm, v) && st_format (vm, v) == ST_FMT_INDEXABLE && st_num_slots (vm, v) == nkeys)
        values = v;
    }
  if (values == 0)
    return 0;
  for (uint64_t i = 0; i < nkeys; i++)
    if (symbol_equals (p, st_fetch (vm, md, fixed + i), selector))
      {
        StOop m = st_fetch (vm, values, i);
        return st_printer_is_object (vm, m) && st_fmt_is_method (st_format (vm, m)) ? m : 0;
      }
  return 0;
}

bool
st_path_global (StPrinter *p, const char *name, StOop *binding, StOop *value)
{
  StVM *vm = st_printer_vm (p);
  StOop smalltalk = st_printer_special (vm, ST_SPLOB_SMALLTALK_DICTIONARY);
  StOop a = st_path_dictionary_binding (p, smalltalk, name);
  if (a == 0)
    {
      /* Pharo keeps the globals in `Smalltalk globals`; special object 8
       * is that SystemDictionary already, but be lenient with images whose
       * special object 8 is a SmalltalkImage holding it in a slot. */
      if (st_printer_is_object (vm, smalltalk) && st_fmt_is_pointers (st_format (vm, smalltalk)))
        {
          uint64_t n = st_num_slots (vm, smalltalk);
          for (uint64_t i = 0; i < n && i < 8 && a == 0; i++)
            {
              StOop g = st_fetch (vm, smalltalk, i);
              if (g != smalltalk && st_printer_is_object (vm, g) && st_format (vm, g) == ST_FMT_FIXED)
                a = st_path_dictionary_binding (p, g, name);
            }
        }
    }
  if (a == 0)
    return false;
  if (binding)
    *binding = a;
  if (value)
    *value = st_fetch (vm, a, 1);
  return true;
}

static bool
parse_uint (const char *s, int base, uint64_t *out)
{
  if (*s == '\0')
    return false;
  char *end = NULL;
  errno = 0;
  guint64 v = g_ascii_strtoull (s, &end, base);
  if (errno != 0 || end == s || *end != '\0')
    return false;
  *out = v;
  return true;
}

static bool
is_identifier (const char *s)
{
  if (!g_ascii_isalpha (*s) && *s != '_')
    return false;
  for (; *s; s++)
    if (!g_ascii_isalnum (*s) && *s != '_')
      return false;
  return true;
}

static void
describe (StPrinter *p, StOop o, GString *s)
{
  g_autofree char *pr = st_printer_print (p, o, 60);
  g_string_append (s, pr);
}

/* A class by name ("Foo" or "Foo class"). */
static bool
resolve_class (StPrinter *p, const char *path, const char *name, StOop *out, GError **error)
{
  StVM *vm = st_printer_vm (p);
  g_autofree char *base = g_strstrip (g_strdup (name));
  bool meta = false;
  if (g_str_has_suffix (base, " class"))
    {
      meta = true;
      base[strlen (base) - 6] = '\0';
      g_strstrip (base);
    }
  StOop v = 0;
  if (!st_path_global (p, base, NULL, &v))
    {
      g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_NOT_FOUND,
                   "path '%s': no global named '%s' in Smalltalk", path, base);
      return false;
    }
  if (!st_printer_is_class (p, v))
    {
      g_autoptr (GString) d = g_string_new (NULL);
      describe (p, v, d);
      g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_TYPE,
                   "path '%s': the global '%s' is %s, not a class", path, base, d->str);
      return false;
    }
  if (meta)
    {
      v = st_class_info_class_of (vm, v);
      if (!st_printer_is_class (p, v))
        {
          g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_BAD_OBJECT,
                       "path '%s': the metaclass of '%s' is unreadable", path, base);
          return false;
        }
    }
  *out = v;
  return true;
}

static bool
resolve_root (StPrinter *p, const char *path, const char *el, StPathTarget *t, GError **error)
{
  StVM *vm = st_printer_vm (p);
  memset (t, 0, sizeof *t);
  const char *sel = strstr (el, ">>");
  if (sel != NULL)
    {
      g_autofree char *cname = g_strndup (el, sel - el);
      StOop cls;
      if (!resolve_class (p, path, cname, &cls, error))
        return false;
      const char *selector = sel + 2;
      StOop m = st_path_lookup_method (p, cls, selector);
      if (m == 0)
        {
          g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_NOT_FOUND,
                       "path '%s': %s has no method #%s in its own method dictionary", path, cname, selector);
          return false;
        }
      t->value = m;
      return true;
    }
  if (g_str_equal (el, "special") || g_str_equal (el, "specialObjects") || g_str_equal (el, "specialObjectsArray"))
    {
      t->value = vm->special_objects;
      return true;
    }
  if (g_str_equal (el, "nil") || g_str_equal (el, "true") || g_str_equal (el, "false"))
    {
      t->value = el[0] == 'n' ? vm->nil_obj : el[0] == 't' ? vm->true_obj : vm->false_obj;
      return true;
    }
  if (g_str_equal (el, "Smalltalk"))
    {
      t->value = st_printer_special (vm, ST_SPLOB_SMALLTALK_DICTIONARY);
      return true;
    }
  if (el[0] == '@' || g_str_has_prefix (el, "0x"))
    {
      const char *num = el[0] == '@' ? el + 1 : el;
      uint64_t a;
      if (!(g_str_has_prefix (num, "0x") ? parse_uint (num + 2, 16, &a) : parse_uint (num, 10, &a)))
        {
          g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_SYNTAX, "path '%s': '%s' is not an address", path, el);
          return false;
        }
      if (!st_printer_is_object (vm, a))
        {
          g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_BAD_OBJECT,
                       "path '%s': 0x%" G_GINT64_MODIFIER "x is not the address of an object in the heap", path, a);
          return false;
        }
      /* Prove an object starts there. */
      StHeapWalk w;
      st_heap_walk_init (&w, vm);
      StOop o;
      bool found = false;
      while ((o = st_heap_walk_next (&w)) != 0 && o <= a)
        if (o == a)
          {
            found = true;
            break;
          }
      if (!found)
        {
          g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_BAD_OBJECT,
                       "path '%s': no object starts at 0x%" G_GINT64_MODIFIER "x", path, a);
          return false;
        }
      t->value = a;
      return true;
    }
  if (g_str_has_suffix (el, " class"))
    return resolve_class (p, path, el, &t->value, error);
  if (!is_identifier (el))
    {
      g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_SYNTAX,
                   "path '%s': '%s' is not a root (special, Smalltalk, nil, true, false, @ADDRESS, a global "
                   "name, Class>>selector)", path, el);
      return false;
    }
  StOop binding, value;
  if (!st_path_global (p, el, &binding, &value))
    {
      g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_NOT_FOUND, "path '%s': no global named '%s' in Smalltalk",
                   path, el);
      return false;
    }
  t->value = value;
  t->container = binding;
  t->slot = 1;
  return true;
}

static bool
step (StPrinter *p, const char *path, guint index, const char *el, StPathTarget *t, GError **error)
{
  StVM *vm = st_printer_vm (p);
  StOop cur = t->value;
  if (g_str_has_prefix (el, ">>"))
    {
      if (!st_printer_is_class (p, cur))
        {
          g_autoptr (GString) d = g_string_new (NULL);
          describe (p, cur, d);
          g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_TYPE,
                       "path '%s': step %u '%s': %s is not a class", path, index, el, d->str);
          return false;
        }
      StOop m = st_path_lookup_method (p, cur, el + 2);
      if (m == 0)
        {
          g_autofree char *cn = st_printer_class_name (p, cur);
          g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_NOT_FOUND,
                       "path '%s': step %u '%s': %s has no method #%s", path, index, el, cn ? cn : "the class",
                       el + 2);
          return false;
        }
      *t = (StPathTarget) { .value = m };
      return true;
    }
  if (g_str_equal (el, "class"))
    {
      StOop c = st_printer_class_of (p, cur);
      if (c == 0)
        {
          g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_BAD_OBJECT,
                       "path '%s': step %u 'class': the class of 0x%" G_GINT64_MODIFIER "x is unreadable", path,
                       index, cur);
          return false;
        }
      *t = (StPathTarget) { .value = c };
      return true;
    }
  if (st_is_immediate (cur) || !st_printer_is_object (vm, cur))
    {
      g_autoptr (GString) d = g_string_new (NULL);
      describe (p, cur, d);
      g_set_error (error, ST_PATH_ERROR, st_is_immediate (cur) ? ST_PATH_ERROR_TYPE : ST_PATH_ERROR_BAD_OBJECT,
                   "path '%s': step %u '%s': %s has no slots", path, index, el, d->str);
      return false;
    }
  guint fmt = st_format (vm, cur);
  uint64_t n;
  if (g_ascii_isdigit (el[0]))
    {
      if (!parse_uint (el, 10, &n))
        {
          g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_SYNTAX, "path '%s': step %u '%s' is not a number", path,
                       index, el);
          return false;
        }
      if (st_fmt_is_pointers (fmt) || st_fmt_is_method (fmt))
        {
          uint64_t limit = st_num_slots (vm, cur);
          if (st_fmt_is_method (fmt))
            {
              StMethodHeader h;
              limit = st_method_header (vm, cur, &h, NULL) ? h.num_literals + 1 : 1;
            }
          if (n >= limit)
            {
              g_autoptr (GString) d = g_string_new (NULL);
              describe (p, cur, d);
              g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_NOT_FOUND,
                           "path '%s': step %u '%s': %s has %" G_GUINT64_FORMAT " %s (0..%" G_GINT64_FORMAT ")",
                           path, index, el, d->str, limit, st_fmt_is_method (fmt) ? "header and literal slots" : "slots",
                           (gint64) limit - 1);
              return false;
            }
          *t = (StPathTarget) { .value = st_fetch (vm, cur, n), .container = cur, .slot = n };
          return true;
        }
      uint64_t count = st_indexable_count (vm, cur);
      if (n >= count)
        {
          g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_NOT_FOUND,
                       "path '%s': step %u '%s': the object has %" G_GUINT64_FORMAT " elements", path, index, el,
                       count);
          return false;
        }
      int64_t v;
      if (fmt >= ST_FMT_BYTES)
        v = st_bytes (vm, cur)[n];
      else if (fmt >= ST_FMT_SHORTS16)
        v = ((guint16 *) st_bytes (vm, cur))[n];
      else if (fmt >= ST_FMT_WORDS32)
        v = ((guint32 *) st_bytes (vm, cur))[n];
      else
        {
          uint64_t w = ((uint64_t *) st_bytes (vm, cur))[n];
          if (w > (uint64_t) ST_SMALLINT_MAX)
            {
              g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_TYPE,
                           "path '%s': step %u '%s': element value %" G_GUINT64_FORMAT " is not a SmallInteger",
                           path, index, el, w);
              return false;
            }
          v = (int64_t) w;
        }
      *t = (StPathTarget) { .value = st_smallint_oop (v), .container = cur, .slot = n, .element = true };
      return true;
    }
  /* A named instance variable. */
  if (st_fmt_is_pointers (fmt))
    {
      StOop cls = st_class_info_class_of (vm, cur);
      g_auto (GStrv) names = st_printer_inst_var_names (p, cls);
      uint64_t slots = st_num_slots (vm, cur);
      if (names != NULL)
        for (guint i = 0; names[i] != NULL && i < slots; i++)
          if (g_str_equal (names[i], el))
            {
              *t = (StPathTarget) { .value = st_fetch (vm, cur, i), .container = cur, .slot = i };
              return true;
            }
      /* Or a key of a dictionary. */
      StOop a = st_path_dictionary_binding (p, cur, el);
      if (a != 0)
        {
          *t = (StPathTarget) { .value = st_fetch (vm, a, 1), .container = a, .slot = 1 };
          return true;
        }
      g_autofree char *cn = st_printer_class_name_of (p, cur);
      g_autofree char *list = names ? g_strjoinv (", ", names) : NULL;
      g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_NOT_FOUND,
                   "path '%s': step %u '%s': %s has no instance variable or key named '%s' (%s%s)", path, index,
                   el, cn, el, names ? "its variables: " : "its class names no variables; use slot numbers",
                   list ? list : "");
      return false;
    }
  g_autofree char *cn = st_printer_class_name_of (p, cur);
  g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_TYPE,
               "path '%s': step %u '%s': %s is a non-pointer object (format %u); only element numbers apply",
               path, index, el, cn, fmt);
  return false;
}

bool
st_path_resolve (StPrinter *p, const char *path, StPathTarget *out, GError **error)
{
  if (path == NULL || *path == '\0')
    {
      g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_SYNTAX, "empty path");
      return false;
    }
  g_autofree char *copy = g_strstrip (g_strdup (path));
  /* `Smalltalk at: #Foo` is the global Foo. */
  const char *rest = copy;
  g_autofree char *root_buf = NULL;
  if (g_str_has_prefix (copy, "Smalltalk at: #") || g_str_has_prefix (copy, "Smalltalk at:#"))
    {
      const char *name = strchr (copy, '#') + 1;
      const char *dot = strchr (name, '.');
      root_buf = dot ? g_strndup (name, dot - name) : g_strdup (name);
      rest = dot ? dot + 1 : "";
    }
  g_auto (GStrv) steps = g_strsplit (rest, ".", MAX_STEPS + 1);
  guint nsteps = g_strv_length (steps);
  if (nsteps > MAX_STEPS)
    {
      g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_SYNTAX, "path '%s': more than %d steps", path, MAX_STEPS);
      return false;
    }
  StPathTarget t;
  guint first = 0;
  if (root_buf != NULL)
    {
      if (!is_identifier (root_buf))
        {
          g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_SYNTAX, "path '%s': '%s' is not a global name", path,
                       root_buf);
          return false;
        }
      if (!resolve_root (p, path, root_buf, &t, error))
        return false;
      if (*rest == '\0')
        nsteps = 0;
    }
  else
    {
      if (!resolve_root (p, path, g_strstrip (steps[0]), &t, error))
        return false;
      first = 1;
    }
  for (guint i = first; i < nsteps; i++)
    {
      char *el = g_strstrip (steps[i]);
      if (*el == '\0')
        {
          g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_SYNTAX, "path '%s': step %u is empty", path, i);
          return false;
        }
      if (!step (p, path, i, el, &t, error))
        return false;
    }
  *out = t;
  return true;
}
