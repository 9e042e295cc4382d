/* SPDX-License-Identifier: GPL-3.0-or-later */
/* prims-stream.c: the stream primitives (65 next, 66 nextPut:, 67 atEnd),
 * 103 scanCharacters:from:to:in:rightX:stopConditions:kern:, and 143/144
 * shortAt: / shortAt:put:.
 *
 * The stream primitives work on a PositionableStream laid out as
 * collection (slot 0), position (1), readLimit (2), writeLimit (3, write
 * streams only), with SmallInteger position and limits, over an Array, a
 * ByteString (elements are Characters) or a ByteArray (elements are
 * integers 0..255).  Anything else fails, so the method's Smalltalk code
 * runs; they never answer differently from that code. */
#include "config.h"

#include "interp-private.h"
#include "prim-table.h"

enum {
  STREAM_COLLECTION = 0,
  STREAM_POSITION = 1,
  STREAM_READ_LIMIT = 2,
  STREAM_WRITE_LIMIT = 3,
};

typedef enum { COLL_ARRAY, COLL_STRING, COLL_BYTES } CollKind;

/* The stream's collection, its kind and element count; position and the
 * limit in slot limit_slot.  False when the stream is not of that shape. */
static bool
stream_fields (StInterp *it, StOop stream, guint limit_slot, StOop *coll, CollKind *kind, uint64_t *size,
               int64_t *pos, int64_t *limit)
{
  StVM *vm = it->vm;
  if (!st_interp_valid_obj (vm, stream) || !st_fmt_is_pointers (st_format (vm, stream))
      || st_num_slots (vm, stream) <= limit_slot)
    return false;
  if (st_format (vm, stream) >= ST_FMT_WEAK)    /* weak or ephemeron: not a stream */
    return false;
  StOop p = st_fetch (vm, stream, STREAM_POSITION);
  StOop l = st_fetch (vm, stream, limit_slot);
  if (!st_is_smallint (p) || !st_is_smallint (l))
    return false;
  StOop c = st_fetch (vm, stream, STREAM_COLLECTION);
  if (!st_interp_valid_obj (vm, c))
    return false;
  guint32 ci = st_class_index (vm, c);
  guint fmt = st_format (vm, c);
  if (ci == 0)
    return false;
  if (ci == it->ci_array && fmt == ST_FMT_INDEXABLE)
    *kind = COLL_ARRAY;
  else if (ci == it->ci_byte_string && fmt >= ST_FMT_BYTES && fmt < ST_FMT_METHOD)
    *kind = COLL_STRING;
  else if (ci == it->ci_byte_array && fmt >= ST_FMT_BYTES && fmt < ST_FMT_METHOD)
    *kind = COLL_BYTES;
  else
    return false;
  *coll = c;
  *size = *kind == COLL_ARRAY ? st_num_slots (vm, c) : st_byte_length (vm, c);
  *pos = st_smallint_value (p);
  *limit = st_smallint_value (l);
  return true;
}

/* ReadStream>>next: the element after position, position advanced. */
StPrimResult
st_prim_stream_next (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop stream = st_stack_value (it, 0), coll;
  CollKind kind;
  uint64_t size;
  int64_t pos, limit;
  if (!stream_fields (it, stream, STREAM_READ_LIMIT, &coll, &kind, &size, &pos, &limit))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (pos < 0 || pos >= limit || (uint64_t) pos >= size)
    return ST_PRIM_FAIL;
  if (st_hdr_is_immutable (st_header (vm, stream)))
    return ST_PRIM_ERR_NO_MODIFICATION;
  StOop v;
  if (kind == COLL_ARRAY)
    v = st_fetch (vm, coll, (uint64_t) pos);
  else if (kind == COLL_STRING)
    v = st_interp_character (it, st_bytes (vm, coll)[pos]);
  else
    v = st_smallint_oop (st_bytes (vm, coll)[pos]);
  if (v == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  st_store (vm, stream, STREAM_POSITION, st_smallint_oop (pos + 1));
  return st_prim_return (it, argc, v);
}

/* WriteStream>>nextPut: the argument stored after position, position
 * advanced (readLimit is left alone, as the Smalltalk code does). */
StPrimResult
st_prim_stream_next_put (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop stream = st_stack_value (it, 1), value = st_stack_value (it, 0), coll;
  CollKind kind;
  uint64_t size;
  int64_t pos, limit;
  if (!stream_fields (it, stream, STREAM_WRITE_LIMIT, &coll, &kind, &size, &pos, &limit))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (pos < 0 || pos >= limit || (uint64_t) pos >= size)
    return ST_PRIM_FAIL;
  if (st_hdr_is_immutable (st_header (vm, stream)) || st_hdr_is_immutable (st_header (vm, coll)))
    return ST_PRIM_ERR_NO_MODIFICATION;
  if (kind == COLL_ARRAY)
    st_store (vm, coll, (uint64_t) pos, value);
  else
    {
      guint32 b;
      if (kind == COLL_STRING)
        {
          if (!st_interp_char_value (it, value, &b) || b > 255)
            return ST_PRIM_ERR_BAD_ARGUMENT;
        }
      else
        {
          if (!st_is_smallint (value) || st_smallint_value (value) < 0 || st_smallint_value (value) > 255)
            return ST_PRIM_ERR_BAD_ARGUMENT;
          b = (guint32) st_smallint_value (value);
        }
      st_bytes (vm, coll)[pos] = (guint8) b;
    }
  st_store (vm, stream, STREAM_POSITION, st_smallint_oop (pos + 1));
  return st_prim_return (it, argc, value);
}

/* PositionableStream>>atEnd: position >= readLimit. */
StPrimResult
st_prim_stream_at_end (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop coll;
  CollKind kind;
  uint64_t size;
  int64_t pos, limit;
  if (!stream_fields (it, st_stack_value (it, 0), STREAM_READ_LIMIT, &coll, &kind, &size, &pos, &limit))
    return ST_PRIM_ERR_BAD_RECEIVER;
  return st_prim_return (it, argc, st_bool (it, pos >= limit));
}

/* The 16-bit elements of a non-pointer, non-method object, in host order
 * (shortAt: index counts them from 1). */
static bool
shorts_of (StInterp *it, StOop o, gint16 **shorts, uint64_t *n)
{
  StVM *vm = it->vm;
  if (!st_interp_valid_obj (vm, o))
    return false;
  guint fmt = st_format (vm, o);
  if (fmt < ST_FMT_WORDS64 || fmt >= ST_FMT_METHOD)
    return false;
  uint64_t bytes;
  if (fmt >= ST_FMT_BYTES)
    bytes = st_byte_length (vm, o);
  else if (fmt >= ST_FMT_SHORTS16)
    bytes = st_indexable_count (vm, o) * 2;
  else if (fmt >= ST_FMT_WORDS32)
    bytes = st_indexable_count (vm, o) * 4;
  else
    bytes = st_indexable_count (vm, o) * 8;
  if (bytes > st_num_slots (vm, o) * 8)
    return false;
  *shorts = (gint16 *) st_bytes (vm, o);
  *n = bytes / 2;
  return true;
}

StPrimResult
st_prim_short_at (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop idx = st_stack_value (it, 0);
  gint16 *s;
  uint64_t n;
  if (!shorts_of (it, st_stack_value (it, 1), &s, &n))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (!st_is_smallint (idx) || st_smallint_value (idx) < 1 || (uint64_t) st_smallint_value (idx) > n)
    return ST_PRIM_ERR_BAD_INDEX;
  return st_prim_return (it, argc, st_smallint_oop (s[st_smallint_value (idx) - 1]));
}

StPrimResult
st_prim_short_at_put (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 2)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop rcvr = st_stack_value (it, 2), idx = st_stack_value (it, 1), value = st_stack_value (it, 0);
  gint16 *s;
  uint64_t n;
  if (!shorts_of (it, rcvr, &s, &n))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (!st_is_smallint (idx) || st_smallint_value (idx) < 1 || (uint64_t) st_smallint_value (idx) > n)
    return ST_PRIM_ERR_BAD_INDEX;
  if (!st_is_smallint (value) || st_smallint_value (value) < G_MININT16 || st_smallint_value (value) > G_MAXINT16)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  if (st_hdr_is_immutable (st_header (vm, rcvr)))
    return ST_PRIM_ERR_NO_MODIFICATION;
  s[st_smallint_value (idx) - 1] = (gint16) st_smallint_value (value);
  return st_prim_return (it, argc, value);
}

/* CharacterScanner>>scanCharacters:from:to:in:rightX:stopConditions:kern:
 * for scanners laid out destX, lastIndex, xTable, map (slots 0-3) with a
 * 256-entry map; stops has at least 258 entries (the character's code + 1,
 * 257 end of run, 258 crossed x).  Older layouts fail to the Smalltalk code. */
StPrimResult
st_prim_scan_characters (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 6)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop kern_o = st_stack_value (it, 0), stops = st_stack_value (it, 1), right_o = st_stack_value (it, 2);
  StOop source = st_stack_value (it, 3), stop_o = st_stack_value (it, 4), start_o = st_stack_value (it, 5);
  StOop rcvr = st_stack_value (it, 6);
  if (!st_is_smallint (kern_o) || !st_is_smallint (right_o) || !st_is_smallint (stop_o) || !st_is_smallint (start_o))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  if (!st_interp_valid_obj (vm, stops) || st_format (vm, stops) != ST_FMT_INDEXABLE || st_num_slots (vm, stops) < 258)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  if (!st_interp_valid_obj (vm, source) || st_format (vm, source) < ST_FMT_BYTES || st_format (vm, source) >= ST_FMT_METHOD)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t kern = st_smallint_value (kern_o), right = st_smallint_value (right_o);
  int64_t start = st_smallint_value (start_o), stop = st_smallint_value (stop_o);
  if (start < 1 || stop < 1 || (uint64_t) stop > st_byte_length (vm, source))
    return ST_PRIM_ERR_BAD_INDEX;
  if (!st_interp_valid_obj (vm, rcvr) || !st_fmt_is_pointers (st_format (vm, rcvr)) || st_num_slots (vm, rcvr) < 4
      || st_hdr_is_immutable (st_header (vm, rcvr)))
    return ST_PRIM_ERR_BAD_RECEIVER;
  StOop dest_o = st_fetch (vm, rcvr, 0), xtable = st_fetch (vm, rcvr, 2), map = st_fetch (vm, rcvr, 3);
  if (!st_is_smallint (dest_o) || !st_is_smallint (st_fetch (vm, rcvr, 1)))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (!st_interp_valid_obj (vm, xtable) || st_format (vm, xtable) != ST_FMT_INDEXABLE || st_num_slots (vm, xtable) < 2
      || !st_interp_valid_obj (vm, map) || st_format (vm, map) != ST_FMT_INDEXABLE || st_num_slots (vm, map) != 256)
    return ST_PRIM_ERR_BAD_RECEIVER;
  uint64_t max_glyph = st_num_slots (vm, xtable) - 2;
  const guint8 *bytes = st_bytes (vm, source);
  int64_t dest = st_smallint_value (dest_o);
  int64_t index = start;
  StOop reason = 0;
  /* Bounded by the string's length; no allocation inside. */
  for (; index <= stop; index++)
    {
      guint8 ch = bytes[index - 1];
      StOop r = st_fetch (vm, stops, ch);
      if (r != it->nil)
        {
          reason = r;
          break;
        }
      StOop g = st_fetch (vm, map, ch);
      if (!st_is_smallint (g) || st_smallint_value (g) < 0 || (uint64_t) st_smallint_value (g) > max_glyph)
        return ST_PRIM_FAIL;
      StOop x1 = st_fetch (vm, xtable, (uint64_t) st_smallint_value (g));
      StOop x2 = st_fetch (vm, xtable, (uint64_t) st_smallint_value (g) + 1);
      if (!st_is_smallint (x1) || !st_is_smallint (x2))
        return ST_PRIM_FAIL;
      int64_t next = dest + st_smallint_value (x2) - st_smallint_value (x1);
      if (next > right)
        {
          reason = st_fetch (vm, stops, 257);
          break;
        }
      dest = next + kern;
      if (!st_interp_int_fits (it, dest))
        return ST_PRIM_FAIL;
    }
  if (reason == 0)
    {
      reason = st_fetch (vm, stops, 256);
      index = stop;
    }
  st_store (vm, rcvr, 0, st_smallint_oop (dest));
  st_store (vm, rcvr, 1, st_smallint_oop (index));
  return st_prim_return (it, argc, reason);
}
