/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cp-system.c: the computational part of CodeParadise's CpSystemPlugin
 * (a plugin of CodeParadise's own SqueakJS, which its images such as
 * shared/images/cpnode-tiny32 call):
 *
 *   primitiveObjectTraceCr: / WarnCr: / ErrorCr:   a line to the console
 *   primitiveSymbolRegister: aSymbol    enter an existing Symbol in the
 *                                       plugin's table (the image keeps no
 *                                       symbol table of its own)
 *   primitiveSymbolFromString: aString  the Symbol with those characters,
 *                                       made (and entered) when new
 *   primitiveSymbolEquals: anObject     same characters (or the same object)
 *   primitiveStringConcatenate: aString a new ByteString, both byte strings
 *   primitiveStringAsciiCompare: aString   1, 2 or 3 as the classic
 *                                       MiscPrimitivePlugin compare answers
 *   primitiveSymbolIsLiteralSymbol      whether #abc / #+ print without quotes:
 *                                       a letter then letters, digits and
 *                                       colons, or only binary characters
 *   primitiveProcessBeIdleProcess       the receiver becomes the image's idle
 *                                       process; where the JavaScript VM
 *                                       hands control to the browser's event
 *                                       loop, Thaw's scheduler already sleeps
 *                                       when only the idle process can run:
 *                                       nothing to do
 *
 * Everything that talks to a JavaScript environment (proxies, web
 * sockets, the browser's variables) is absent: those fail as in a VM
 * without the plugin.  The table's Symbols are roots for the collector. */
#include "config.h"

#include <string.h>

#include "gc.h"
#include "plugins.h"

typedef struct {
  GHashTable *index;    /* char * -> GUINT (position in symbols + 1) */
  GArray *symbols;      /* StOop */
  guint root_id;
} CpState;

static void
cp_roots (StVM *vm, StGcRootFunc visit, gpointer visit_data, gpointer data)
{
  CpState *cp = data;
  for (guint i = 0; i < cp->symbols->len; i++)
    visit (&g_array_index (cp->symbols, StOop, i), visit_data);
}

static void
cp_free (StVM *vm, gpointer p)
{
  CpState *cp = p;
  g_hash_table_unref (cp->index);
  g_array_unref (cp->symbols);
  g_free (cp);
}

static CpState *
cp_state (StVM *vm)
{
  StInterp *it = st_interp (vm);
  if (it->cp_state == NULL)
    {
      CpState *cp = g_new0 (CpState, 1);
      cp->index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      cp->symbols = g_array_new (FALSE, FALSE, sizeof (StOop));
      cp->root_id = st_gc_add_root_provider (vm, cp_roots, cp);
      it->cp_state = cp;
      it->cp_state_free = cp_free;
    }
  return it->cp_state;
}

/* The bytes of a byte object (String, Symbol), or NULL. */
static const guint8 *
byte_chars (StVM *vm, StOop o, uint64_t *n)
{
  if (!st_interp_valid_obj (vm, o) || !st_fmt_is_bytes (st_format (vm, o)) || st_fmt_is_method (st_format (vm, o)))
    return NULL;
  *n = st_byte_length (vm, o);
  return st_bytes (vm, o);
}

/* The one argument of a one-argument primitive as a byte string. */
static StPrimResult
string_arg (StVM *vm, int argc, const guint8 **s, uint64_t *n)
{
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  *s = byte_chars (vm, st_stack_value (st_interp (vm), 0), n);
  return *s != NULL ? ST_PRIM_OK : ST_PRIM_ERR_BAD_ARGUMENT;
}

/* Receiver and argument of a one-argument primitive, both byte strings. */
static StPrimResult
two_strings (StVM *vm, int argc, const guint8 **a, uint64_t *na, const guint8 **b, uint64_t *nb)
{
  StPrimResult r = string_arg (vm, argc, b, nb);
  if (r != ST_PRIM_OK)
    return r;
  *a = byte_chars (vm, st_stack_value (st_interp (vm), 1), na);
  return *a != NULL ? ST_PRIM_OK : ST_PRIM_ERR_BAD_RECEIVER;
}

static StPrimResult
cp_trace (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  uint64_t n;
  const guint8 *s;
  StPrimResult r = string_arg (vm, argc, &s, &n);
  if (r != ST_PRIM_OK)
    return r;
  g_string_append_len (it->output, (const char *) s, (gssize) n);
  g_string_append_c (it->output, '\n');
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

static StPrimResult
cp_symbol_register (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  uint64_t n;
  const guint8 *s;
  StPrimResult r = string_arg (vm, argc, &s, &n);
  if (r != ST_PRIM_OK)
    return r;
  StOop sym = st_stack_value (it, 0);
  CpState *cp = cp_state (vm);
  char *key = g_strndup ((const char *) s, n);
  if (g_hash_table_contains (cp->index, key))
    {
      g_free (key);
      return ST_PRIM_ERR_INAPPROPRIATE;      /* the plugin refuses a second Symbol of one name */
    }
  g_array_append_val (cp->symbols, sym);
  g_hash_table_insert (cp->index, key, GUINT_TO_POINTER (cp->symbols->len));
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

static StPrimResult
cp_symbol_from_string (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  uint64_t n;
  const guint8 *s;
  StPrimResult r = string_arg (vm, argc, &s, &n);
  if (r != ST_PRIM_OK)
    return r;
  CpState *cp = cp_state (vm);
  g_autofree char *key = g_strndup ((const char *) s, n);
  guint at = GPOINTER_TO_UINT (g_hash_table_lookup (cp->index, key));
  if (at != 0)
    return st_prim_return (it, argc, g_array_index (cp->symbols, StOop, at - 1));
  /* A new Symbol, of the class the registered ones have. */
  if (cp->symbols->len == 0)
    return ST_PRIM_FAIL;
  StOop model = g_array_index (cp->symbols, StOop, 0);
  guint fmt = ST_FMT_BYTES + (guint) ((8 - (n & 7)) & 7);
  StOop sym = st_objmem_new_object (vm, st_class_index (vm, model), fmt, (n + 7) / 8);
  if (sym == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  memcpy (st_bytes (vm, sym), key, n);
  g_array_append_val (cp->symbols, sym);
  g_hash_table_insert (cp->index, g_steal_pointer (&key), GUINT_TO_POINTER (cp->symbols->len));
  return st_prim_return (it, argc, sym);
}

static StPrimResult
cp_symbol_equals (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop a = st_stack_value (it, 1), b = st_stack_value (it, 0);
  if (a == b)
    return st_prim_return (it, argc, it->true_obj);
  uint64_t na, nb;
  const guint8 *sa = byte_chars (vm, a, &na), *sb = byte_chars (vm, b, &nb);
  bool eq = sa != NULL && sb != NULL && na == nb && memcmp (sa, sb, na) == 0;
  return st_prim_return (it, argc, st_bool (it, eq));
}

static StPrimResult
cp_string_concatenate (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  uint64_t na, nb;
  const guint8 *sa, *sb;
  StPrimResult r = two_strings (vm, argc, &sa, &na, &sb, &nb);
  if (r != ST_PRIM_OK || it->ci_byte_string == 0)
    return r != ST_PRIM_OK ? r : ST_PRIM_FAIL;
  uint64_t n = na + nb;
  StOop o = st_objmem_new_object (vm, it->ci_byte_string, ST_FMT_BYTES + (guint) ((8 - (n & 7)) & 7), (n + 7) / 8);
  if (o == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  /* Allocation moves nothing: sa and sb are still good. */
  memcpy (st_bytes (vm, o), sa, na);
  memcpy (st_bytes (vm, o) + na, sb, nb);
  return st_prim_return (it, argc, o);
}

static StPrimResult
cp_string_ascii_compare (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  uint64_t na, nb;
  const guint8 *sa, *sb;
  StPrimResult r = two_strings (vm, argc, &sa, &na, &sb, &nb);
  if (r != ST_PRIM_OK)
    return r;
  int c = memcmp (sa, sb, MIN (na, nb));
  int order = c < 0 ? 1 : c > 0 ? 3 : na < nb ? 1 : na > nb ? 3 : 2;
  return st_prim_return (it, argc, st_smallint_oop (order));
}

static bool
is_letter (guint8 c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Binary selector characters as the CodeParadise plugin counts them. */
static bool
is_binary (guint8 c)
{
  static const guint8 ascii[] = { '!', '%', '&', '*', '+', ',', '-', '/', '<', '=', '>', '?', '@', '\\', '`', '|', 215, 247 };
  if (memchr (ascii, c, sizeof ascii) != NULL)
    return true;
  return c >= 126 && c <= 191 && c != 170 && c != 181 && c != 186;
}

static StPrimResult
cp_symbol_is_literal (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  uint64_t n;
  const guint8 *s = byte_chars (vm, st_stack_value (it, 0), &n);
  if (s == NULL)
    return ST_PRIM_ERR_BAD_RECEIVER;
  bool ok = n > 0 && (is_letter (s[0]) || is_binary (s[0]));
  bool word = n > 0 && is_letter (s[0]);
  for (uint64_t i = 1; ok && i < n; i++)
    ok = word ? (is_letter (s[i]) || (s[i] >= '0' && s[i] <= '9') || s[i] == ':') : is_binary (s[i]);
  return st_prim_return (it, argc, st_bool (it, ok));
}

static StPrimResult
cp_be_idle_process (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  return st_prim_return (it, argc, st_stack_value (it, argc));
}

const StNamedPrim st_plugin_cp_system[] = {
  { "primitiveSymbolIsLiteralSymbol", cp_symbol_is_literal },
  { "primitiveProcessBeIdleProcess", cp_be_idle_process },
  { "primitiveObjectTraceCr:", cp_trace },
  { "primitiveObjectWarnCr:", cp_trace },
  { "primitiveObjectErrorCr:", cp_trace },
  { "primitiveSymbolRegister:", cp_symbol_register },
  { "primitiveSymbolFromString:", cp_symbol_from_string },
  { "primitiveSymbolEquals:", cp_symbol_equals },
  { "primitiveStringConcatenate:", cp_string_concatenate },
  { "primitiveStringAsciiCompare:", cp_string_ascii_compare },
  { NULL, NULL },
};
