/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "class-info.h"

/* Slot count of o when the whole object (overflow word, header, slots)
 * lies inside one segment; false otherwise. */
static bool
safe_slots (const StVM *vm, StOop o, uint64_t *out)
{
  if (o == 0 || !st_is_pointer (o))
    return false;
  const StSegment *s = st_objmem_segment_of ((StVM *) vm, o);
  if (s == NULL)
    return false;
  StOop end = s->start + s->bytes;
  if (o + 8 > end)
    return false;
  uint64_t n = st_hdr_num_slots (st_header (vm, o));
  if (n == ST_OVERFLOW_SLOTS)
    {
      if (o < s->start + 8)
        return false;
      n = st_word_at (vm, o - 8) & G_GUINT64_CONSTANT (0x00FFFFFFFFFFFFFF);
    }
  if (n > (end - o - 8) / 8)
    return false;
  *out = n;
  return true;
}

bool
st_class_info_readable (const StVM *vm, StOop o, uint64_t slots)
{
  uint64_t n;
  return safe_slots (vm, o, &n) && n >= slots;
}

/* The class-table entry for idx, validated; 0 when absent or unreadable. */
static StOop
class_at (const StVM *vm, guint32 idx)
{
  uint64_t n;
  if (idx > ST_MAX_CLASS_INDEX || !safe_slots (vm, vm->hidden_roots_obj, &n))
    return 0;
  guint32 major = idx >> ST_CLASS_TABLE_PAGE_SHIFT, minor = idx & (ST_CLASS_TABLE_PAGE_SIZE - 1);
  if (major >= n)
    return 0;
  StOop page = st_fetch (vm, vm->hidden_roots_obj, major);
  if (page == vm->nil_obj || !safe_slots (vm, page, &n) || minor >= n)
    return 0;
  StOop cls = st_fetch (vm, page, minor);
  if (cls == vm->nil_obj || !safe_slots (vm, cls, &n))
    return 0;
  return cls;
}

static StOop
class_of (const StVM *vm, StOop o)
{
  if (st_is_smallint (o))
    return class_at (vm, ST_CLASS_INDEX_SMALLINTEGER);
  if (st_is_character (o))
    return class_at (vm, ST_CLASS_INDEX_CHARACTER);
  if (st_is_smallfloat (o))
    return class_at (vm, ST_CLASS_INDEX_SMALLFLOAT);
  uint64_t n;
  if (!safe_slots (vm, o, &n))
    return 0;
  return class_at (vm, st_class_index (vm, o));
}

static bool looks_like_behavior (const StVM *vm, StOop o);

StOop
st_class_info_class_at (const StVM *vm, guint32 idx)
{
  return class_at (vm, idx);
}

StOop
st_class_info_special (const StVM *vm, guint i)
{
  uint64_t n;
  if (!safe_slots (vm, vm->special_objects, &n) || i >= n)
    return 0;
  return st_fetch (vm, vm->special_objects, i);
}

StOop
st_class_info_class_of (const StVM *vm, StOop o)
{
  return class_of (vm, o);
}

bool
st_class_instances_are_classes (const StVM *vm, StOop cls)
{
  if (st_class_is_metaclass (vm, cls))
    return true;
  StOop k = class_of (vm, cls);
  return k != 0 && st_class_is_metaclass (vm, k) && class_of (vm, k) == cls;
}

StOop
st_metaclass_this_class (const StVM *vm, StOop meta)
{
  uint64_t n;
  if (!safe_slots (vm, meta, &n) || n < 4 || st_format (vm, meta) != ST_FMT_FIXED)
    return 0;
  StOop t = st_fetch (vm, meta, n - 1);
  if (t == vm->nil_obj || !st_is_pointer (t))
    return 0;
  /* thisClass must itself be a Behavior: a class whose last slot holds
   * one of its own instances (Cuis's Array keeps an Array there) is no
   * metaclass. */
  return class_of (vm, t) == meta && looks_like_behavior (vm, t) ? t : 0;
}

bool
st_class_is_metaclass (const StVM *vm, StOop cls)
{
  return st_metaclass_this_class (vm, cls) != 0;
}

/* Structure every Behavior has: superclass, methodDict, format. */
static bool
looks_like_behavior (const StVM *vm, StOop o)
{
  uint64_t n;
  if (!safe_slots (vm, o, &n) || n < 3 || !st_fmt_is_pointers (st_format (vm, o)))
    return false;
  if (!st_is_smallint (st_fetch (vm, o, 2)))
    return false;
  StOop super = st_fetch (vm, o, 0);
  uint64_t m;
  return super == vm->nil_obj || safe_slots (vm, super, &m);
}

bool
st_object_is_class (const StVM *vm, StOop o)
{
  if (!looks_like_behavior (vm, o))
    return false;
  StOop k = class_of (vm, o);
  if (k == 0)
    return false;
  /* A class's class is a metaclass (whose thisClass is the class). */
  if (st_class_is_metaclass (vm, k))
    return true;
  /* A metaclass is an instance of Metaclass, itself a plain class: it
   * is recognised by its own thisClass slot, not by its class's class
   * (every ordinary object's class's class is a metaclass too). */
  return st_class_is_metaclass (vm, o);
}

/* A Symbol or String of identifier characters, copied into buf. */
static bool
name_from (const StVM *vm, StOop s, char *buf, gsize size)
{
  uint64_t n;
  if (!safe_slots (vm, s, &n))
    return false;
  guint fmt = st_format (vm, s);
  if (fmt < ST_FMT_BYTES || fmt >= ST_FMT_METHOD)
    return false;
  uint64_t len = st_byte_length (vm, s);
  if (len == 0 || len >= size || len >= ST_CLASS_NAME_MAX)
    return false;
  const guint8 *b = st_bytes (vm, s);
  if (!g_ascii_isalpha (b[0]) && b[0] != '_')
    return false;
  for (uint64_t i = 0; i < len; i++)
    if (!g_ascii_isalnum (b[i]) && b[i] != '_' && b[i] != ' ' && b[i] != '.' && b[i] != ':')
      return false;
  memcpy (buf, b, len);
  buf[len] = '\0';
  return true;
}

static bool
plain_class_name (const StVM *vm, StOop cls, char *buf, gsize size)
{
  uint64_t n;
  if (!safe_slots (vm, cls, &n) || n < 4 || !st_fmt_is_pointers (st_format (vm, cls)))
    return false;
  /* Squeak and Cuis keep the name in slot 6; other dialects near it. */
  if (n > 6 && name_from (vm, st_fetch (vm, cls, 6), buf, size))
    return true;
  uint64_t last = MIN (n, 16);
  for (uint64_t i = 3; i < last; i++)
    if (i != 6)
      {
        StOop v = st_fetch (vm, cls, i);
        if (!st_is_pointer (v) || v == vm->nil_obj)
          continue;
        /* Only a Symbol-like value (its first letter upper case) counts
         * here, so a category string is not taken for a name. */
        if (name_from (vm, v, buf, size) && g_ascii_isupper (buf[0]))
          return true;
      }
  return false;
}

bool
st_class_name_into (const StVM *vm, StOop cls, char *buf, gsize size)
{
  g_return_val_if_fail (size > 0, false);
  buf[0] = '\0';
  if (plain_class_name (vm, cls, buf, size) && !st_class_is_metaclass (vm, cls))
    return true;
  StOop this_class = st_metaclass_this_class (vm, cls);
  if (this_class != 0)
    {
      char inner[ST_CLASS_NAME_MAX];
      if (plain_class_name (vm, this_class, inner, sizeof inner))
        {
          g_snprintf (buf, size, "%s class", inner);
          return true;
        }
      g_snprintf (buf, size, "<metaclass of unnamed class 0x%" G_GINT64_MODIFIER "x>", this_class);
      return false;
    }
  g_snprintf (buf, size, "<unnamed class 0x%" G_GINT64_MODIFIER "x>", cls);
  return false;
}

char *
st_class_name (const StVM *vm, StOop cls)
{
  char buf[ST_CLASS_NAME_MAX];
  st_class_name_into (vm, cls, buf, sizeof buf);
  return g_strdup (buf);
}

const char *
st_class_index_describe (guint32 ci)
{
  switch (ci)
    {
    case ST_CLASS_INDEX_FREE: return "<free chunk>";
    case ST_CLASS_INDEX_SMALLINTEGER: return "<SmallInteger index>";
    case ST_CLASS_INDEX_CHARACTER: return "<Character index>";
    case ST_CLASS_INDEX_BRIDGE: return "<segment bridge>";
    case ST_CLASS_INDEX_SMALLFLOAT: return "<SmallFloat64 index>";
    case ST_CLASS_INDEX_FORWARDER: return "<forwarder>";
    case ST_CLASS_INDEX_ARRAY_PUN: return "<hidden: array pun>";
    case ST_CLASS_INDEX_WEAK_ARRAY_PUN: return "<hidden: weak array pun>";
    case ST_CLASS_INDEX_LONGS32_PUN: return "<hidden: 32-bit longs pun>";
    case ST_CLASS_INDEX_LONGS64_PUN: return "<hidden: 64-bit longs pun>";
    default:
      break;
    }
  if (ci < 16)
    return "<unused reserved class index>";
  if (ci < 32)
    return "<hidden: reserved pun>";
  return NULL;
}

char *
st_class_name_of (const StVM *vm, StOop o)
{
  if (st_is_pointer (o))
    {
      uint64_t n;
      if (!safe_slots (vm, o, &n))
        return g_strdup_printf ("<unreadable object 0x%" G_GINT64_MODIFIER "x>", o);
      const char *d = st_class_index_describe (st_class_index (vm, o));
      if (d != NULL)
        return g_strdup (d);
    }
  else if (!st_is_smallint (o) && !st_is_character (o) && !st_is_smallfloat (o))
    return g_strdup ("<bad immediate tag>");
  StOop cls = class_of (vm, o);
  if (cls == 0)
    return st_is_pointer (o)
           ? g_strdup_printf ("<missing class at index %u>", st_class_index (vm, o))
           : g_strdup ("<missing immediate class>");
  return st_class_name (vm, cls);
}

bool
st_class_spec (const StVM *vm, StOop cls, StClassSpec *out)
{
  memset (out, 0, sizeof *out);
  uint64_t n;
  if (!safe_slots (vm, cls, &n) || n < 3 || !st_fmt_is_pointers (st_format (vm, cls)))
    return false;
  StOop f = st_fetch (vm, cls, 2);
  if (!st_is_smallint (f))
    return false;
  int64_t v = st_smallint_value (f);
  if (vm->personality.family == ST_FAMILY_V3)
    {
      guint spec = (guint) ((v >> 7) & 15);
      out->raw_spec = spec;
      out->inst_size = (guint) ((((v >> 10) & 0xC0) + ((v >> 1) & 0x3F)) - 1) & 0xFF;
      switch (spec)
        {
        case 0: case 1: case 2: case 3: case 4:
          out->inst_spec = spec;
          break;
        case 6:
          out->inst_spec = ST_FMT_WORDS32;
          break;
        case 8: case 9: case 10: case 11:
          out->inst_spec = ST_FMT_BYTES;
          break;
        case 12: case 13: case 14: case 15:
          out->inst_spec = ST_FMT_METHOD;
          break;
        default:
          return false;     /* 5 and 7 are unused in V3 */
        }
      return true;
    }
  guint spec = (guint) ((v >> 16) & 0x1F);
  out->raw_spec = spec;
  out->inst_size = (guint) (v & 0xFFFF);
  if (spec == 6 || spec == 8)
    return false;
  /* 7: the immediate classes (SmallInteger, Character, SmallFloat64), which
   * have no instances in the heap; inst_spec 7 admits no object format. */
  if (spec >= ST_FMT_METHOD)
    out->inst_spec = ST_FMT_METHOD;
  else if (spec >= ST_FMT_BYTES)
    out->inst_spec = ST_FMT_BYTES;
  else if (spec >= ST_FMT_SHORTS16)
    out->inst_spec = ST_FMT_SHORTS16;
  else if (spec >= ST_FMT_WORDS32)
    out->inst_spec = ST_FMT_WORDS32;
  else
    out->inst_spec = spec;
  return true;
}

bool
st_class_spec_admits_format (const StClassSpec *spec, guint format)
{
  switch (spec->inst_spec)
    {
    case ST_FMT_ZERO:
    case ST_FMT_FIXED:
      /* A class without named variables may say 0 or 1. */
      return format == ST_FMT_ZERO || format == ST_FMT_FIXED;
    case ST_FMT_INDEXABLE:
    case ST_FMT_FIXED_INDEXABLE:
      return format == ST_FMT_INDEXABLE || format == ST_FMT_FIXED_INDEXABLE;
    case ST_FMT_WEAK:
    case ST_FMT_EPHEMERON:
    case ST_FMT_WORDS64:
      return format == spec->inst_spec;
    case ST_FMT_WORDS32:
      return format == 10 || format == 11;
    case ST_FMT_SHORTS16:
      return format >= 12 && format <= 15;
    case ST_FMT_BYTES:
      return format >= 16 && format <= 23;
    case ST_FMT_METHOD:
      return format >= 24;
    default:
      return false;
    }
}
