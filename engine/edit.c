/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "class-info.h"
#include "edit.h"
#include "method.h"
#include "path.h"

G_DEFINE_QUARK (st-edit-error-quark, st_edit_error)

struct _StEditLog {
  StVM      *vm;
  GPtrArray *edits;    /* StEdit * */
};

static void
edit_free (gpointer data)
{
  StEdit *e = data;
  g_free (e->description);
  g_free (e->note);
  g_free (e);
}

StEditLog *
st_edit_log_new (StVM *vm)
{
  StEditLog *log = g_new0 (StEditLog, 1);
  log->vm = vm;
  log->edits = g_ptr_array_new_with_free_func (edit_free);
  return log;
}

void
st_edit_log_free (StEditLog *log)
{
  if (log == NULL)
    return;
  g_ptr_array_unref (log->edits);
  g_free (log);
}

guint
st_edit_log_count (StEditLog *log)
{
  return log->edits->len;
}

const StEdit *
st_edit_log_get (StEditLog *log, guint i)
{
  return i < log->edits->len ? log->edits->pdata[i] : NULL;
}

/* ---- values ---- */

static bool
class_index_of_class (StVM *vm, StOop cls, guint32 *out)
{
  guint32 idx = st_hash (vm, cls);
  if (idx >= ST_CLASS_INDEX_FIRST_REAL && st_class_at_index (vm, idx) == cls)
    {
      *out = idx;
      return true;
    }
  return false;
}

static StOop
new_bytes (StVM *vm, StOop cls, const guint8 *bytes, gsize n, GError **error)
{
  guint32 ci;
  if (!class_index_of_class (vm, cls, &ci))
    {
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_NO_MEMORY,
                   "the class at 0x%" G_GINT64_MODIFIER "x has no entry in the class table", cls);
      return 0;
    }
  uint64_t slots = (n + 7) / 8;
  guint fmt = ST_FMT_BYTES + (guint) (slots * 8 - n);
  g_autoptr (GError) local = NULL;
  StOop o = st_objmem_alloc_old (vm, ci, fmt, slots, &local);
  if (o == 0)
    {
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_NO_MEMORY, "cannot allocate %" G_GSIZE_FORMAT " bytes: %s", n,
                   local->message);
      return 0;
    }
  if (n > 0)
    memcpy (st_bytes (vm, o), bytes, n);
  return o;
}

/* UTF-8 input to the Latin-1 bytes a ByteString holds. */
static guint8 *
to_latin1 (const char *s, gsize len, gsize *out_len, GError **error)
{
  if (!g_utf8_validate (s, (gssize) len, NULL))
    {
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_SYNTAX, "the text is not valid UTF-8");
      return NULL;
    }
  guint8 *b = g_malloc (len + 1);
  gsize n = 0;
  for (const char *p = s; p < s + len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (c > 255)
        {
          g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_TYPE,
                       "character U+%04X does not fit a ByteString (Latin-1 only)", c);
          g_free (b);
          return NULL;
        }
      b[n++] = (guint8) c;
    }
  *out_len = n;
  return b;
}

static StOop
find_symbol (StVM *vm, StOop sym_class, const guint8 *b, gsize n)
{
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0)
    if (st_class_index (vm, o) >= ST_CLASS_INDEX_FIRST_REAL && st_class_info_class_of (vm, o) == sym_class
        && st_fmt_is_bytes (st_format (vm, o)) && st_byte_length (vm, o) == n
        && memcmp (st_bytes (vm, o), b, n) == 0)
      return o;
  return 0;
}

/* ---- interning ---- */

/* The String hash of Squeak, Cuis and Pharo (ByteString
 * class>>stringHash:initialHash:, the hashMultiply loop). */
static guint32
string_hash (const guint8 *b, uint64_t n, guint32 initial)
{
  guint32 hash = initial & 0x0FFFFFFF;
  for (uint64_t i = 0; i < n; i++)
    {
      hash += b[i];
      guint32 low = hash & 16383;
      hash = (0x260D * low + (((0x260D * (hash >> 14) + 0x0065 * low) & 16383) * 16384)) & 0x0FFFFFFF;
    }
  return hash;
}

/* A class variable of cls or a superclass (at most 4 up). */
static StOop
class_variable (StPrinter *p, StOop cls, const char *name, StOop *holder)
{
  StVM *vm = st_printer_vm (p);
  for (int up = 0; up < 4 && cls != 0; up++, cls = st_printer_superclass (p, cls))
    {
      g_auto (GStrv) names = st_printer_inst_var_names (p, st_class_info_class_of (vm, cls));
      uint64_t n = st_num_slots (vm, cls);
      for (guint i = 0; names != NULL && names[i] != NULL && i < n; i++)
        if (g_str_equal (names[i], "classPool"))
          {
            StOop binding = st_path_dictionary_binding (p, st_fetch (vm, cls, i), name);
            if (binding != 0)
              {
                if (holder)
                  *holder = cls;
                return st_fetch (vm, binding, 1);
              }
          }
    }
  return 0;
}

/* Is `set` a readable WeakSet-like (tally, array[, flag])? */
static bool
hashed_set (StVM *vm, StOop set, StOop *array, StOop *flag)
{
  if (!st_printer_is_object (vm, set) || st_format (vm, set) != ST_FMT_FIXED || st_num_slots (vm, set) < 2
      || !st_is_smallint (st_fetch (vm, set, 0)))
    return false;
  *array = st_fetch (vm, set, 1);
  if (!st_printer_is_object (vm, *array) || !st_fmt_is_pointers (st_format (vm, *array))
      || st_num_slots (vm, *array) == 0)
    return false;
  /* Pharo's WeakSet marks empty slots with a flag object, not nil. */
  *flag = st_num_slots (vm, set) > 2 ? st_fetch (vm, set, 2) : vm->nil_obj;
  return true;
}

/* How many of the set's Symbols sit where `initial` says they should
 * (reachable by linear probing from hash mod size); *total counts them. */
static uint64_t
consistent_entries (StPrinter *p, StOop array, StOop flag, guint32 initial, uint64_t *total)
{
  StVM *vm = st_printer_vm (p);
  uint64_t n = st_num_slots (vm, array), ok = 0;
  *total = 0;
  for (uint64_t i = 0; i < n; i++)
    {
      StOop s = st_fetch (vm, array, i);
      if (s == vm->nil_obj || s == flag || !st_printer_is_symbol (p, s))
        continue;
      (*total)++;
      uint64_t j = string_hash (st_bytes (vm, s), st_byte_length (vm, s), initial) % n;
      for (uint64_t k = 0; k < n; k++)
        {
          if (j == i)
            {
              ok++;
              break;
            }
          StOop e = st_fetch (vm, array, j);
          if (e == vm->nil_obj || e == flag)
            break;
          j = (j + 1) % n;
        }
    }
  return ok;
}

/* Add a new Symbol to the image's NewSymbols (or SymbolTable) WeakSet,
 * at the index the image's own lookup will probe.  The String hash's
 * initial value differs between dialects (the species' identity hash,
 * raw or shifted), so each candidate is tried against the Symbols already
 * in the table and used only when it places at least 99% of them.
 * Returns where it went, or NULL with *why. */
static char *
register_symbol (StVM *vm, StPrinter *p, StOop sym_class, StOop sym, char **why)
{
  StOop holder = 0;
  StOop table = class_variable (p, sym_class, "SymbolTable", &holder);
  StOop fresh = class_variable (p, sym_class, "NewSymbols", NULL);
  StOop t_array, t_flag, f_array, f_flag;
  bool have_table = hashed_set (vm, table, &t_array, &t_flag);
  bool have_fresh = hashed_set (vm, fresh, &f_array, &f_flag);
  if (!have_table && !have_fresh)
    {
      *why = g_strdup ("the Symbol class has no SymbolTable or NewSymbols set");
      return NULL;
    }
  /* Calibrate on the fuller set. */
  StOop cal_array = have_table ? t_array : f_array, cal_flag = have_table ? t_flag : f_flag;
  if (have_table && have_fresh && st_smallint_value (st_fetch (vm, fresh, 0)) > st_smallint_value (st_fetch (vm, table, 0)))
    cal_array = f_array, cal_flag = f_flag;
  StOop species = st_printer_special (vm, ST_SPLOB_CLASS_BYTESTRING);
  guint32 hashes[2] = { st_printer_is_object (vm, species) ? st_hash (vm, species) : 0, st_hash (vm, sym_class) };
  bool found = false;
  guint32 initial = 0;
  for (guint c = 0; c < 2 * 5 && !found; c++)
    {
      static const guint shifts[] = { 0, 8, 18, 22, 10 };
      guint32 cand = (guint32) (((uint64_t) hashes[c / 5] << shifts[c % 5]) & 0x0FFFFFFF);
      uint64_t total, ok = consistent_entries (p, cal_array, cal_flag, cand, &total);
      if (total >= 20 && ok * 100 >= total * 99)
        {
          found = true;
          initial = cand;
        }
    }
  if (!found)
    {
      *why = g_strdup ("no known String hash places the Symbols already in its symbol table");
      return NULL;
    }
  StOop set = have_fresh ? fresh : table;
  StOop array = have_fresh ? f_array : t_array, flag = have_fresh ? f_flag : t_flag;
  uint64_t size = st_num_slots (vm, array);
  int64_t tally = st_smallint_value (st_fetch (vm, set, 0));
  /* The image grows a set that would be more than 3/4 full; Thaw does not. */
  if (tally < 0 || (uint64_t) tally + 1 > size * 3 / 4)
    {
      *why = g_strdup_printf ("its %s set is full (%" G_GINT64_FORMAT " of %" G_GUINT64_FORMAT ")",
                              have_fresh ? "NewSymbols" : "SymbolTable", tally, size);
      return NULL;
    }
  uint64_t j = string_hash (st_bytes (vm, sym), st_byte_length (vm, sym), initial) % size;
  for (uint64_t k = 0; k < size; k++, j = (j + 1) % size)
    {
      StOop e = st_fetch (vm, array, j);
      if (e == vm->nil_obj || e == flag)
        {
          st_store (vm, array, j, sym);
          st_store (vm, set, 0, st_smallint_oop (tally + 1));
          return g_strdup_printf ("%s (a WeakSet, slot %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT ")",
                                  have_fresh ? "Symbol's NewSymbols" : "Symbol's SymbolTable", j + 1, size);
        }
    }
  *why = g_strdup ("its symbol set has no empty slot");
  return NULL;
}

static bool
make_character (StVM *vm, gunichar cp, StOop *out, GError **error)
{
  if (vm->personality.family == ST_FAMILY_V3)
    {
      StOop table = st_printer_special (vm, ST_SPLOB_CHARACTER_TABLE);
      if (cp < 256 && st_printer_is_object (vm, table) && st_fmt_is_pointers (st_format (vm, table))
          && cp < st_num_slots (vm, table) && st_printer_is_object (vm, st_fetch (vm, table, cp)))
        {
          *out = st_fetch (vm, table, cp);
          return true;
        }
      /* No table: an existing Character object with that value will do. */
      StOop ccls = st_printer_special (vm, ST_SPLOB_CLASS_CHARACTER);
      StHeapWalk w;
      st_heap_walk_init (&w, vm);
      StOop o;
      while (cp < 256 && (o = st_heap_walk_next (&w)) != 0)
        if (st_class_index (vm, o) >= ST_CLASS_INDEX_FIRST_REAL && st_class_info_class_of (vm, o) == ccls
            && st_fmt_is_pointers (st_format (vm, o)) && st_num_slots (vm, o) >= 1
            && st_fetch (vm, o, 0) == st_smallint_oop (cp))
          {
            *out = o;
            return true;
          }
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_TYPE,
                   "this V3 image holds Characters as objects; only the 256 in its CharacterTable "
                   "(special object 24) can be stored, not U+%04X", cp);
      return false;
    }
  if (vm->personality.word_bytes == 4 && cp >= (1u << 30))
    {
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_RANGE, "character value %u does not fit a 32-bit image", cp);
      return false;
    }
  *out = st_character_oop (cp);
  return true;
}

bool
st_edit_parse_value (StVM *vm, StPrinter *p, const char *text, StOop *out, char **note, GError **error)
{
  if (note)
    *note = NULL;
  g_autofree char *t = g_strstrip (g_strdup (text));
  gsize len = strlen (t);
  if (len == 0)
    {
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_SYNTAX, "empty value");
      return false;
    }
  if (g_str_equal (t, "nil") || g_str_equal (t, "true") || g_str_equal (t, "false"))
    {
      *out = t[0] == 'n' ? vm->nil_obj : t[0] == 't' ? vm->true_obj : vm->false_obj;
      return true;
    }
  if (g_ascii_isdigit (t[0]) || (t[0] == '-' && g_ascii_isdigit (t[1])))
    {
      char *end = NULL;
      errno = 0;
      gint64 v = g_ascii_strtoll (t, &end, 10);
      if (errno != 0 || *end != '\0')
        {
          g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_SYNTAX, "'%s' is not an integer", t);
          return false;
        }
      bool fits = vm->personality.word_bytes == 4 ? (v >= -(G_GINT64_CONSTANT (1) << 30) && v < (G_GINT64_CONSTANT (1) << 30))
                                                   : st_smallint_fits (v);
      if (!fits)
        {
          g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_RANGE,
                       "%" G_GINT64_FORMAT " is not a SmallInteger in this %u-bit image (LargeIntegers cannot be made "
                       "by an edit)", v, vm->personality.word_bytes * 8);
          return false;
        }
      *out = st_smallint_oop (v);
      return true;
    }
  if (t[0] == '$')
    {
      gunichar cp;
      if (g_str_has_prefix (t, "$U+") && len > 3)
        {
          char *end = NULL;
          guint64 v = g_ascii_strtoull (t + 3, &end, 16);
          if (*end != '\0' || v > 0x10FFFF)
            {
              g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_SYNTAX, "'%s' is not a character ($a or $U+263A)", t);
              return false;
            }
          cp = (gunichar) v;
        }
      else
        {
          if (len < 2 || !g_utf8_validate (t + 1, -1, NULL) || g_utf8_strlen (t + 1, -1) != 1)
            {
              g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_SYNTAX, "'%s' is not a character ($a or $U+263A)", t);
              return false;
            }
          cp = g_utf8_get_char (t + 1);
        }
      return make_character (vm, cp, out, error);
    }
  if (t[0] == '\'' || (t[0] == '#' && t[1] == '\''))
    {
      bool symbol = t[0] == '#';
      const char *q = t + (symbol ? 1 : 0);
      gsize qlen = strlen (q);
      if (qlen < 2 || q[qlen - 1] != '\'')
        {
          g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_SYNTAX, "unterminated string in '%s'", t);
          return false;
        }
      /* Undouble the quotes. */
      GString *raw = g_string_new (NULL);
      for (gsize i = 1; i + 1 < qlen; i++)
        {
          if (q[i] == '\'')
            {
              if (q[i + 1] != '\'' || i + 2 >= qlen)
                {
                  g_string_free (raw, TRUE);
                  g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_SYNTAX,
                               "a quote inside '%s' must be doubled", t);
                  return false;
                }
              i++;
            }
          g_string_append_c (raw, q[i]);
        }
      gsize n;
      g_autofree guint8 *b = to_latin1 (raw->str, raw->len, &n, error);
      g_string_free (raw, TRUE);
      if (b == NULL)
        return false;
      if (!symbol)
        {
          StOop cls = st_printer_special (vm, ST_SPLOB_CLASS_BYTESTRING);
          StOop o = new_bytes (vm, cls, b, n, error);
          if (o == 0)
            return false;
          *out = o;
          return true;
        }
      {
        StOop dnu = st_printer_special (vm, ST_SPLOB_SELECTOR_DOES_NOT_UNDERSTAND);
        StOop sym_class = st_printer_is_object (vm, dnu) ? st_class_info_class_of (vm, dnu) : 0;
        if (sym_class == 0)
          {
            g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_TYPE,
                         "cannot find the Symbol class (the class of special object 20)");
            return false;
          }
        StOop existing = find_symbol (vm, sym_class, b, n);
        if (existing != 0)
          {
            *out = existing;
            return true;
          }
        StOop o = new_bytes (vm, sym_class, b, n, error);
        if (o == 0)
          return false;
        g_autofree char *why = NULL;
        g_autofree char *where = register_symbol (vm, p, sym_class, o, &why);
        if (note)
          *note = where != NULL
            ? g_strdup_printf ("a new Symbol, interned: added to %s (undo leaves it there; the set is weak)", where)
            : g_strdup_printf ("a new Symbol, not added to the image's symbol table (%s): `asSymbol` on the same "
                               "characters will make a different Symbol until the image re-interns it", why);
        *out = o;
        return true;
      }
    }
  if (t[0] == '#')
    {
      const char *name = t + 1;
      gsize n = strlen (name);
      bool ok = n > 0;
      for (gsize i = 0; i < n && ok; i++)
        ok = g_ascii_isalnum (name[i]) || name[i] == '_' || name[i] == ':' || strchr ("+-*/\\<>=~@%|&?,", name[i]);
      if (!ok)
        {
          g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_SYNTAX, "'%s' is not a Symbol literal (use #'...')", t);
          return false;
        }
      g_autofree char *quoted = g_strdup_printf ("#'%s'", name);
      return st_edit_parse_value (vm, p, quoted, out, note, error);
    }
  /* Anything else names an existing object. */
  StPathTarget target;
  g_autoptr (GError) perr = NULL;
  if (!st_path_resolve (p, t, &target, &perr))
    {
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_SYNTAX,
                   "value '%s' is not nil, true, false, a number, $c, 'string', #symbol or a path: %s", t,
                   perr->message);
      return false;
    }
  *out = target.value;
  return true;
}

/* ---- storing ---- */

static bool
check_value (StVM *vm, StOop v, GError **error)
{
  if (st_is_smallint (v))
    {
      int64_t x = st_smallint_value (v);
      if (vm->personality.word_bytes == 4 && (x < -(G_GINT64_CONSTANT (1) << 30) || x >= (G_GINT64_CONSTANT (1) << 30)))
        {
          g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_RANGE,
                       "%" G_GINT64_FORMAT " is not a SmallInteger in a 32-bit image", x);
          return false;
        }
      return true;
    }
  if (st_is_character (v))
    {
      if (vm->personality.family == ST_FAMILY_V3)
        {
          g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_TYPE,
                       "immediate Characters do not exist in a V3 image (its Characters are objects)");
          return false;
        }
      return true;
    }
  if (st_is_smallfloat (v))
    {
      if (vm->personality.word_bytes != 8)
        {
          g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_TYPE, "SmallFloat64 exists only in 64-bit images");
          return false;
        }
      return true;
    }
  if (!st_printer_is_object (vm, v))
    {
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_TYPE,
                   "0x%" G_GINT64_MODIFIER "x is not an object that a slot may refer to", v);
      return false;
    }
  return true;
}

static bool
store_checked (StVM *vm, StOop o, uint64_t slot, bool element, StOop value, bool dry, StOop *old, GError **error)
{
  if (!st_printer_is_object (vm, o))
    {
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_NOT_SLOT,
                   "0x%" G_GINT64_MODIFIER "x is not an object whose slots may be set", o);
      return false;
    }
  uint64_t h = st_header (vm, o);
  if (st_hdr_is_immutable (h))
    {
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_IMMUTABLE,
                   "the object at 0x%" G_GINT64_MODIFIER "x is immutable (header bit 23); clear it first", o);
      return false;
    }
  guint fmt = st_hdr_format (h);
  if (element)
    {
      if (st_fmt_is_pointers (fmt) || st_fmt_is_method (fmt) || fmt == ST_FMT_FORWARDED)
        {
          g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_TYPE, "the object at 0x%" G_GINT64_MODIFIER
                       "x has no raw elements (format %u)", o, fmt);
          return false;
        }
      uint64_t count = st_indexable_count (vm, o);
      if (slot >= count)
        {
          g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_RANGE, "element %" G_GUINT64_FORMAT " is past the %"
                       G_GUINT64_FORMAT " elements", slot, count);
          return false;
        }
      if (dry)
        return true;
      if (!st_is_smallint (value) || st_smallint_value (value) < 0)
        {
          g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_TYPE,
                       "an element of a byte or word object takes a non-negative integer");
          return false;
        }
      uint64_t v = (uint64_t) st_smallint_value (value);
      guint8 *b = st_bytes (vm, o);
      uint64_t max = fmt >= ST_FMT_BYTES ? 0xFF : fmt >= ST_FMT_SHORTS16 ? 0xFFFF
                     : fmt >= ST_FMT_WORDS32 ? 0xFFFFFFFFu : (uint64_t) ST_SMALLINT_MAX;
      if (v > max)
        {
          g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_RANGE, "%" G_GUINT64_FORMAT " does not fit an element "
                       "of at most %" G_GUINT64_FORMAT, v, max);
          return false;
        }
      uint64_t was;
      if (fmt >= ST_FMT_BYTES)
        was = b[slot], b[slot] = (guint8) v;
      else if (fmt >= ST_FMT_SHORTS16)
        was = ((guint16 *) b)[slot], ((guint16 *) b)[slot] = (guint16) v;
      else if (fmt >= ST_FMT_WORDS32)
        was = ((guint32 *) b)[slot], ((guint32 *) b)[slot] = (guint32) v;
      else
        was = ((uint64_t *) b)[slot], ((uint64_t *) b)[slot] = v;
      *old = st_smallint_oop ((int64_t) MIN (was, (uint64_t) ST_SMALLINT_MAX));
      return true;
    }
  if (!st_fmt_is_pointers (fmt) && !st_fmt_is_method (fmt))
    {
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_TYPE,
                   "the object at 0x%" G_GINT64_MODIFIER "x holds raw data (format %u), not object slots", o, fmt);
      return false;
    }
  uint64_t limit = st_num_slots (vm, o);
  if (st_fmt_is_method (fmt))
    {
      StMethodHeader mh;
      if (!st_method_header (vm, o, &mh, NULL))
        {
          g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_TYPE, "the method at 0x%" G_GINT64_MODIFIER
                       "x has an unreadable header", o);
          return false;
        }
      if (slot == 0)
        {
          g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_TYPE,
                       "slot 0 of a CompiledMethod is its header; only literals (1..%u) can be set", mh.num_literals);
          return false;
        }
      limit = MIN (limit, (uint64_t) mh.num_literals + 1);
    }
  if (slot >= limit)
    {
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_RANGE, "slot %" G_GUINT64_FORMAT " is past the object's %"
                   G_GUINT64_FORMAT " slots", slot, limit);
      return false;
    }
  *old = st_fetch (vm, o, slot);
  if (dry)
    return true;
  if (!check_value (vm, value, error))
    return false;
  st_store (vm, o, slot, value);
  return true;
}

bool
st_edit_set (StVM *vm, StEditLog *log, StOop object, uint64_t slot, bool element, StOop value, const char *note,
             GError **error)
{
  StOop old;
  StPrinter *p = st_printer_new (vm);
  g_autofree char *op = st_printer_print (p, object, 60);    /* as it was */
  if (!store_checked (vm, object, slot, element, value, false, &old, error))
    {
      st_printer_free (p);
      return false;
    }
  StEdit *e = g_new0 (StEdit, 1);
  e->object = object;
  e->slot = slot;
  e->element = element;
  e->old_value = old;
  e->new_value = value;
  e->note = g_strdup (note);
  g_autofree char *ov = st_printer_print (p, old, 60);
  g_autofree char *nv = st_printer_print (p, value, 60);
  e->description = g_strdup_printf ("%s (0x%" G_GINT64_MODIFIER "x) %s %" G_GUINT64_FORMAT ": %s -> %s", op, object,
                                    element ? "element" : "slot", slot, ov, nv);
  st_printer_free (p);
  g_ptr_array_add (log->edits, e);
  return true;
}

/* Where PATH ends and VALUE starts: the first '=' that is not part of a
 * selector after ">>". */
static const char *
find_equals (const char *s)
{
  const char *sel = strstr (s, ">>");
  const char *from = s;
  if (sel != NULL)
    {
      const char *dot = strchr (sel, '.');
      const char *eq = strchr (sel + 2, '=');
      /* `Foo>>=.lit=1`: skip the selector up to its dot; `Foo>>bar=1` has none. */
      if (dot != NULL && eq != NULL && eq < dot)
        from = dot;
      else if (dot == NULL && eq == sel + 2)
        from = sel + 3;
    }
  return strchr (from, '=');
}

bool
st_edit_apply (StVM *vm, StEditLog *log, StPrinter *p, const char *assignment, GError **error)
{
  const char *eq = find_equals (assignment);
  if (eq == NULL)
    {
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_SYNTAX, "'%s' is not PATH=VALUE", assignment);
      return false;
    }
  g_autofree char *path = g_strstrip (g_strndup (assignment, eq - assignment));
  StPathTarget t;
  g_autoptr (GError) perr = NULL;
  if (!st_path_resolve (p, path, &t, &perr))
    {
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_NOT_SLOT, "%s", perr->message);
      return false;
    }
  if (t.container == 0)
    {
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_NOT_SLOT,
                   "path '%s' names an object, not a slot of one; add the slot to set (e.g. '%s.value')", path,
                   path);
      return false;
    }
  /* Check the slot before allocating anything for the value. */
  StOop old;
  g_autoptr (GError) dry = NULL;
  if (!store_checked (vm, t.container, t.slot, t.element, t.value, true, &old, &dry))
    {
      g_set_error (error, ST_EDIT_ERROR, dry->code, "path '%s': %s", path, dry->message);
      return false;
    }
  StOop value;
  g_autofree char *note = NULL;
  g_autoptr (GError) verr = NULL;
  if (!st_edit_parse_value (vm, p, eq + 1, &value, &note, &verr))
    {
      g_set_error (error, ST_EDIT_ERROR, verr->code, "path '%s': %s", path, verr->message);
      return false;
    }
  g_autoptr (GError) serr = NULL;
  if (!st_edit_set (vm, log, t.container, t.slot, t.element, value, note, &serr))
    {
      g_set_error (error, ST_EDIT_ERROR, serr->code, "path '%s': %s", path, serr->message);
      return false;
    }
  return true;
}

bool
st_edit_undo (StVM *vm, StEditLog *log, GError **error)
{
  if (log->edits->len == 0)
    {
      g_set_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_NOTHING_TO_UNDO, "no edit to undo");
      return false;
    }
  StEdit *e = log->edits->pdata[log->edits->len - 1];
  StOop cur;
  if (!store_checked (vm, e->object, e->slot, e->element, e->old_value, false, &cur, error))
    return false;
  g_ptr_array_remove_index (log->edits, log->edits->len - 1);
  return true;
}
