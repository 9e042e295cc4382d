/* SPDX-License-Identifier: GPL-3.0-or-later */
/* prims-object.c: indexing (at:, at:put:, size), instantiation, identity,
 * reflection, and the object helpers other primitive files share.
 *
 * Indexes are 1-based as the image counts them.  CompiledMethods are
 * indexed the way the image sees them: their literal part counts
 * (numLiterals + 1) words of the image's own word size, although the heap
 * holds 8-byte words (method.h). */
#include "config.h"

#include <string.h>

#include "gc.h"
#include "interp-private.h"
#include "prim-table.h"

StOop
st_interp_new_array (StInterp *it, uint64_t n)
{
  StOop a = st_objmem_new_object (it->vm, it->ci_array, ST_FMT_INDEXABLE, n);
  if (a == 0)
    it->stop = ST_RUN_NO_MEMORY;
  return a;
}

StOop
st_interp_new_string (StInterp *it, const char *s)
{
  uint64_t n = strlen (s);
  if (it->ci_byte_string == 0)
    return 0;
  StOop o = st_objmem_new_object (it->vm, it->ci_byte_string, ST_FMT_BYTES + ((8 - (n & 7)) & 7), (n + 7) / 8);
  if (o != 0)
    memcpy (st_bytes (it->vm, o), s, n);
  return o;
}

StOop
st_interp_unsigned (StInterp *it, uint64_t v)
{
  if (v <= (uint64_t) it->int_max)
    return st_smallint_oop ((int64_t) v);
  if (it->ci_large_pos == 0)
    return 0;
  guint n = 0;
  for (uint64_t t = v; t != 0; t >>= 8)
    n++;
  StOop o = st_objmem_new_object (it->vm, it->ci_large_pos, ST_FMT_BYTES + ((8 - (n & 7)) & 7), (n + 7) / 8);
  if (o == 0)
    return 0;
  guint8 *b = st_bytes (it->vm, o);
  for (guint i = 0; i < n; i++)
    b[i] = (guint8) (v >> (8 * i));
  return o;
}

StOop
st_interp_integer (StInterp *it, int64_t v)
{
  if (st_interp_int_fits (it, v))
    return st_smallint_oop (v);
  if (v >= 0)
    return st_interp_unsigned (it, (uint64_t) v);
  StOop o = st_interp_unsigned (it, (uint64_t) 0 - (uint64_t) v);
  if (o == 0 || it->ci_large_neg == 0)
    return 0;
  st_set_header (it->vm, o, st_hdr_with_class_index (st_header (it->vm, o), it->ci_large_neg));
  return o;
}

bool
st_interp_to_int64 (StInterp *it, StOop o, int64_t *out)
{
  StVM *vm = it->vm;
  if (st_is_smallint (o))
    {
      *out = st_smallint_value (o);
      return true;
    }
  if (!st_interp_valid_obj (vm, o))
    return false;
  guint32 ci = st_class_index (vm, o);
  if ((ci != it->ci_large_pos && ci != it->ci_large_neg) || ci == 0 || !st_fmt_is_bytes (st_format (vm, o)))
    return false;
  uint64_t n = st_byte_length (vm, o);
  const guint8 *b = st_bytes (vm, o);
  while (n > 0 && b[n - 1] == 0)
    n--;
  if (n > 8)
    return false;
  uint64_t v = 0;
  for (uint64_t i = 0; i < n; i++)
    v |= (uint64_t) b[i] << (8 * i);
  if (ci == it->ci_large_pos)
    {
      if (v > (uint64_t) G_MAXINT64)
        return false;
      *out = (int64_t) v;
    }
  else
    {
      if (v > (uint64_t) G_MAXINT64 + 1)
        return false;
      *out = (int64_t) (0 - v);
    }
  return true;
}

StOop
st_interp_character (StInterp *it, guint32 cp)
{
  StVM *vm = it->vm;
  if (!it->v3)
    return cp < (1u << 30) ? st_character_oop (cp) : 0;
  StOop table = st_special (vm, ST_SPLOB_CHARACTER_TABLE);
  if (cp < 256 && st_interp_valid_obj (vm, table) && st_num_slots (vm, table) > cp)
    return st_fetch (vm, table, cp);
  if (it->ci_character == 0)
    return 0;
  StOop c = st_objmem_new_object (vm, it->ci_character, ST_FMT_FIXED, 1);
  if (c != 0)
    st_store (vm, c, 0, st_smallint_oop (cp));
  return c;
}

bool
st_interp_char_value (StInterp *it, StOop o, guint32 *out)
{
  StVM *vm = it->vm;
  if (st_is_character (o))
    {
      *out = st_character_value (o);
      return true;
    }
  if (it->v3 && st_interp_valid_obj (vm, o) && st_class_index (vm, o) == it->ci_character
      && st_num_slots (vm, o) >= 1 && st_is_smallint (st_fetch (vm, o, 0)))
    {
      *out = (guint32) st_smallint_value (st_fetch (vm, o, 0));
      return true;
    }
  return false;
}

/* Bytes of the literal part of a method as the image counts it, and as
 * the heap holds it. */
static void
method_literal_bytes (StInterp *it, StOop m, uint64_t *image, uint64_t *heap)
{
  StMethodHeader hdr;
  if (!st_method_header (it->vm, m, &hdr, NULL))
    {
      *image = *heap = st_byte_length (it->vm, m);
      return;
    }
  *heap = hdr.initial_pc;
  *image = (uint64_t) (hdr.num_literals + 1) * it->vm->personality.word_bytes;
}

/* A boxed Float's slot holds the host double; an image whose floats were
 * not in platform order (6502, 6504) reads its words with at: 1 = the most
 * significant word, as on the big-endian machines it was made for. */
static inline uint64_t
float_word_index (StInterp *it, StOop o, uint64_t n, uint64_t i)
{
  if (n == 2 && !it->vm->personality.native_floats && it->ci_float != 0
      && st_class_index (it->vm, o) == it->ci_float && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    return 1 - i;
  return i;
}

/* The number of indexable elements as the image sees them. */
static bool
indexable_size (StInterp *it, StOop o, uint64_t *n)
{
  StVM *vm = it->vm;
  if (!st_interp_valid_obj (vm, o))
    return false;
  guint fmt = st_format (vm, o);
  if (fmt >= ST_FMT_METHOD)
    {
      uint64_t img, heap;
      method_literal_bytes (it, o, &img, &heap);
      *n = st_byte_length (vm, o) - heap + img;
      return true;
    }
  if (!st_fmt_is_indexable (fmt))
    return false;
  if (it->block_contexts && st_class_index (vm, o) == it->ci_block_context)
    return false;
  *n = st_indexable_count (vm, o);
  return true;
}

/* Read element i (0-based) of o; 0 when the index is bad. */
static StOop
element_at (StInterp *it, StOop o, uint64_t i, bool as_char, StPrimResult *err)
{
  StVM *vm = it->vm;
  uint64_t n;
  *err = ST_PRIM_ERR_BAD_INDEX;
  if (!indexable_size (it, o, &n))
    {
      *err = ST_PRIM_ERR_BAD_RECEIVER;
      return 0;
    }
  if (i >= n)
    return 0;
  guint fmt = st_format (vm, o);
  *err = ST_PRIM_OK;
  if (st_fmt_is_pointers (fmt))
    {
      if (as_char)
        {
          *err = ST_PRIM_ERR_BAD_RECEIVER;
          return 0;
        }
      return st_fetch (vm, o, st_num_slots (vm, o) - n + i);
    }
  uint64_t v;
  if (fmt >= ST_FMT_METHOD)
    {
      uint64_t img, heap;
      method_literal_bytes (it, o, &img, &heap);
      if (i < img)
        {
          *err = ST_PRIM_ERR_BAD_INDEX;
          return 0;
        }
      v = st_bytes (vm, o)[i - img + heap];
    }
  else if (fmt >= ST_FMT_BYTES)
    v = st_bytes (vm, o)[i];
  else if (fmt >= ST_FMT_SHORTS16)
    v = ((guint16 *) st_bytes (vm, o))[i];
  else if (fmt >= ST_FMT_WORDS32)
    v = ((guint32 *) st_bytes (vm, o))[float_word_index (it, o, n, i)];
  else
    v = st_fetch (vm, o, i);
  StOop r = as_char ? st_interp_character (it, (guint32) v) : st_interp_unsigned (it, v);
  if (r == 0)
    *err = ST_PRIM_ERR_NO_MEMORY;
  return r;
}

static StPrimResult
element_at_put (StInterp *it, StOop o, uint64_t i, StOop value, bool as_char)
{
  StVM *vm = it->vm;
  uint64_t n;
  if (!indexable_size (it, o, &n))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (st_hdr_is_immutable (st_header (vm, o)))
    return ST_PRIM_ERR_NO_MODIFICATION;
  if (i >= n)
    return ST_PRIM_ERR_BAD_INDEX;
  guint fmt = st_format (vm, o);
  if (st_fmt_is_pointers (fmt))
    {
      if (as_char)
        return ST_PRIM_ERR_BAD_RECEIVER;
      st_store (vm, o, st_num_slots (vm, o) - n + i, value);
      return ST_PRIM_OK;
    }
  int64_t v;
  if (as_char)
    {
      guint32 c;
      if (!st_interp_char_value (it, value, &c))
        return ST_PRIM_ERR_BAD_ARGUMENT;
      v = c;
    }
  else if (!st_interp_to_int64 (it, value, &v))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  if (fmt >= ST_FMT_METHOD)
    {
      uint64_t img, heap;
      method_literal_bytes (it, o, &img, &heap);
      if (i < img)
        return ST_PRIM_ERR_BAD_INDEX;
      if (v < 0 || v > 255)
        return ST_PRIM_ERR_BAD_ARGUMENT;
      st_bytes (vm, o)[i - img + heap] = (guint8) v;
    }
  else if (fmt >= ST_FMT_BYTES)
    {
      if (v < 0 || v > 255)
        return ST_PRIM_ERR_BAD_ARGUMENT;
      st_bytes (vm, o)[i] = (guint8) v;
    }
  else if (fmt >= ST_FMT_SHORTS16)
    {
      if (v < 0 || v > 0xFFFF)
        return ST_PRIM_ERR_BAD_ARGUMENT;
      ((guint16 *) st_bytes (vm, o))[i] = (guint16) v;
    }
  else if (fmt >= ST_FMT_WORDS32)
    {
      if (v < 0 || v > 0xFFFFFFFF)
        return ST_PRIM_ERR_BAD_ARGUMENT;
      ((guint32 *) st_bytes (vm, o))[float_word_index (it, o, n, i)] = (guint32) v;
    }
  else
    {
      if (v < 0)
        return ST_PRIM_ERR_BAD_ARGUMENT;
      st_store (vm, o, i, (uint64_t) v);
    }
  return ST_PRIM_OK;
}

static bool
index_arg (StOop o, uint64_t *i)
{
  if (!st_is_smallint (o) || st_smallint_value (o) < 1)
    return false;
  *i = (uint64_t) st_smallint_value (o) - 1;
  return true;
}

/* at: and at:put:, and their String variants (elements as Characters). */
static StPrimResult
at_prim (StVM *vm, int argc, bool string)
{
  StInterp *it = st_interp (vm);
  uint64_t i;
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (!index_arg (st_stack_value (it, 0), &i))
    return ST_PRIM_ERR_BAD_INDEX;
  StPrimResult err;
  StOop v = element_at (it, st_stack_value (it, 1), i, string, &err);
  if (err != ST_PRIM_OK)
    return err;
  return st_prim_return (it, argc, v);
}

static StPrimResult
at_put_prim (StVM *vm, int argc, bool string)
{
  StInterp *it = st_interp (vm);
  uint64_t i;
  if (argc != 2)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (!index_arg (st_stack_value (it, 1), &i))
    return ST_PRIM_ERR_BAD_INDEX;
  StOop v = st_stack_value (it, 0);
  StPrimResult r = element_at_put (it, st_stack_value (it, 2), i, v, string);
  if (r != ST_PRIM_OK)
    return r;
  return st_prim_return (it, argc, v);
}

StPrimResult st_prim_at (StVM *vm, int argc) { return at_prim (vm, argc, false); }
StPrimResult st_prim_at_put (StVM *vm, int argc) { return at_put_prim (vm, argc, false); }
StPrimResult st_prim_string_at (StVM *vm, int argc) { return at_prim (vm, argc, true); }
StPrimResult st_prim_string_at_put (StVM *vm, int argc) { return at_put_prim (vm, argc, true); }

StPrimResult
st_prim_size (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  uint64_t n;
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (!indexable_size (it, st_stack_value (it, 0), &n))
    return ST_PRIM_ERR_BAD_RECEIVER;
  return st_prim_return (it, argc, st_smallint_oop ((int64_t) n));
}

/* CompiledMethod objectAt: (1-based: header, then literals). */
StPrimResult
st_prim_object_at (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop m = st_stack_value (it, 1);
  uint64_t i;
  StMethodHeader hdr;
  if (argc != 1 || !index_arg (st_stack_value (it, 0), &i))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  if (!st_interp_valid_obj (vm, m) || !st_method_header (vm, m, &hdr, NULL))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (i > hdr.num_literals)
    return ST_PRIM_ERR_BAD_INDEX;
  return st_prim_return (it, argc, st_fetch (vm, m, i));
}

StPrimResult
st_prim_object_at_put (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop m = st_stack_value (it, 2);
  uint64_t i;
  StMethodHeader hdr;
  if (argc != 2 || !index_arg (st_stack_value (it, 1), &i))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  if (!st_interp_valid_obj (vm, m) || !st_method_header (vm, m, &hdr, NULL))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (i > hdr.num_literals || (i == 0 && !st_is_smallint (st_stack_value (it, 0))))
    return ST_PRIM_ERR_BAD_INDEX;
  StOop v = st_stack_value (it, 0);
  st_store (vm, m, i, v);
  st_interp_flush_cache (it);
  return st_prim_return (it, argc, v);
}

StPrimResult
st_prim_new (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StPrimResult why;
  StOop o = st_objmem_instantiate (vm, st_stack_value (it, 0), 0, &why);
  if (o == 0)
    {
      if (why == ST_PRIM_ERR_NO_MEMORY)
        it->stop = ST_RUN_NO_MEMORY;
      return why;
    }
  return st_prim_return (it, argc, o);
}

StPrimResult
st_prim_new_with_arg (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop n = st_stack_value (it, 0);
  if (!st_is_smallint (n) || st_smallint_value (n) < 0)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  guint fmt;
  uint64_t fixed;
  if (!st_objmem_class_spec (vm, st_stack_value (it, 1), &fmt, &fixed) || !st_fmt_is_indexable (fmt))
    return ST_PRIM_ERR_BAD_RECEIVER;
  StPrimResult why;
  StOop o = st_objmem_instantiate (vm, st_stack_value (it, 1), (uint64_t) st_smallint_value (n), &why);
  if (o == 0)
    {
      if (why == ST_PRIM_ERR_NO_MEMORY)
        it->stop = ST_RUN_NO_MEMORY;
      return why;
    }
  return st_prim_return (it, argc, o);
}

StPrimResult
st_prim_inst_var_at (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  uint64_t i;
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop o = st_stack_value (it, 1);
  if (!index_arg (st_stack_value (it, 0), &i))
    return ST_PRIM_ERR_BAD_INDEX;
  if (!st_interp_valid_obj (vm, o) || !st_fmt_is_pointers (st_format (vm, o)))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (i >= st_num_slots (vm, o))
    return ST_PRIM_ERR_BAD_INDEX;
  if (o == it->ctx)
    st_interp_save_registers (it);      /* its pc and stackp as of now */
  return st_prim_return (it, argc, st_interp_pc_to_image (it, o, i, st_fetch (vm, o, i)));
}

StPrimResult
st_prim_inst_var_at_put (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  uint64_t i;
  if (argc != 2)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop o = st_stack_value (it, 2);
  if (!index_arg (st_stack_value (it, 1), &i))
    return ST_PRIM_ERR_BAD_INDEX;
  if (!st_interp_valid_obj (vm, o) || !st_fmt_is_pointers (st_format (vm, o)))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (st_hdr_is_immutable (st_header (vm, o)))
    return ST_PRIM_ERR_NO_MODIFICATION;
  if (i >= st_num_slots (vm, o))
    return ST_PRIM_ERR_BAD_INDEX;
  StOop v = st_stack_value (it, 0);
  st_store (vm, o, i, st_interp_pc_to_heap (it, o, i, v));
  return st_prim_return (it, argc, v);
}

StPrimResult
st_prim_slot_at (StVM *vm, int argc)
{
  return st_prim_inst_var_at (vm, argc);
}

StPrimResult
st_prim_slot_at_put (StVM *vm, int argc)
{
  return st_prim_inst_var_at_put (vm, argc);
}

StPrimResult
st_prim_identity_hash (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop o = st_stack_value (it, argc);
  if (!st_interp_valid_obj (vm, o))
    return ST_PRIM_ERR_BAD_RECEIVER;
  guint32 h = st_objmem_ensure_hash (vm, o);
  return st_prim_return (it, argc, st_smallint_oop (it->v3 ? h & ST_V3_HASH_MASK : h));
}

StPrimResult
st_prim_behavior_hash (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop o = st_stack_value (it, argc);
  guint32 ci = st_interp_valid_obj (vm, o) ? st_objmem_class_index_for (vm, o) : 0;
  if (ci == 0)
    return ST_PRIM_ERR_BAD_RECEIVER;
  return st_prim_return (it, argc, st_smallint_oop (ci));
}

StPrimResult
st_prim_max_identity_hash (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  return st_prim_return (it, argc, st_smallint_oop (it->v3 ? 0xFFF : ST_MAX_HASH));
}

StPrimResult
st_prim_class (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop o = st_stack_value (it, 0);
  StOop c = st_is_pointer (o) && !st_interp_valid_oop (vm, o) ? 0 : st_class_of (vm, o);
  if (c == 0)
    return ST_PRIM_ERR_BAD_RECEIVER;
  return st_prim_return (it, argc, c);
}

StPrimResult
st_prim_special_objects_array (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  return st_prim_return (it, argc, vm->special_objects);
}

StPrimResult
st_prim_shallow_copy (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop o = st_stack_value (it, 0);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (st_is_immediate (o))
    return st_prim_return (it, argc, o);
  if (!st_interp_valid_obj (vm, o))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (o == it->ctx)
    st_interp_save_registers (it);
  StOop c = st_objmem_clone (vm, o);
  if (c == 0)
    {
      it->stop = ST_RUN_NO_MEMORY;
      return ST_PRIM_ERR_NO_MEMORY;
    }
  return st_prim_return (it, argc, c);
}

StPrimResult
st_prim_as_character (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop v = st_stack_value (it, 0);
  if (!st_is_smallint (v) || st_smallint_value (v) < 0 || st_smallint_value (v) >= (1 << 30))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  StOop c = st_interp_character (it, (guint32) st_smallint_value (v));
  if (c == 0)
    return ST_PRIM_FAIL;
  return st_prim_return (it, argc, c);
}

StPrimResult
st_prim_immediate_as_integer (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop v = st_stack_value (it, 0);
  guint32 c;
  if (st_is_smallfloat (v))
    return st_prim_return (it, argc, st_smallint_oop ((int64_t) (v >> 3)));
  if (!st_interp_char_value (it, v, &c))
    return ST_PRIM_ERR_BAD_RECEIVER;
  return st_prim_return (it, argc, st_smallint_oop (c));
}

StPrimResult
st_prim_new_method (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 2)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop cls = st_stack_value (it, 2), nbytes = st_stack_value (it, 1), header = st_stack_value (it, 0);
  if (!st_is_smallint (nbytes) || !st_is_smallint (header) || st_smallint_value (nbytes) < 0)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t h = st_smallint_value (header);
  uint64_t nlits = vm->personality.family == ST_FAMILY_V3 ? (uint64_t) ((h >> 9) & 0xFF) : (uint64_t) (h & 0x7FFF);
  uint64_t bytes = (nlits + 1) * 8 + (uint64_t) st_smallint_value (nbytes);
  guint32 ci = st_interp_valid_obj (vm, cls) ? st_objmem_class_index_for (vm, cls) : 0;
  if (ci == 0)
    return ST_PRIM_ERR_BAD_RECEIVER;
  StOop m = st_objmem_new_object (vm, ci, ST_FMT_METHOD + ((8 - (bytes & 7)) & 7), (bytes + 7) / 8);
  if (m == 0)
    {
      it->stop = ST_RUN_NO_MEMORY;
      return ST_PRIM_ERR_NO_MEMORY;
    }
  st_store (vm, m, 0, header);
  for (uint64_t i = 1; i <= nlits; i++)
    st_store (vm, m, i, vm->nil_obj);
  return st_prim_return (it, argc, m);
}

/* replaceFrom: start to: stop with: replacement startingAt: repStart */
StPrimResult
st_prim_replace_from_to (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 4)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop dst = st_stack_value (it, 4), src = st_stack_value (it, 1);
  StOop a = st_stack_value (it, 3), b = st_stack_value (it, 2), c = st_stack_value (it, 0);
  if (!st_is_smallint (a) || !st_is_smallint (b) || !st_is_smallint (c))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t start = st_smallint_value (a), stop = st_smallint_value (b), rstart = st_smallint_value (c);
  if (!st_interp_valid_obj (vm, dst) || !st_interp_valid_obj (vm, src))
    return ST_PRIM_ERR_BAD_RECEIVER;
  guint df = st_format (vm, dst), sf = st_format (vm, src);
  if (df >= ST_FMT_METHOD || sf >= ST_FMT_METHOD)
    return ST_PRIM_ERR_INAPPROPRIATE;
  if (st_hdr_is_immutable (st_header (vm, dst)))
    return ST_PRIM_ERR_NO_MODIFICATION;
  uint64_t dn, sn;
  if (!indexable_size (it, dst, &dn) || !indexable_size (it, src, &sn))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (stop < start - 1 || start < 1 || rstart < 1 || (uint64_t) stop > dn
      || (uint64_t) (rstart + (stop - start)) > sn)
    return ST_PRIM_ERR_BAD_INDEX;
  uint64_t count = (uint64_t) (stop - start + 1);
  if (count == 0)
    return st_pop_n (it, argc), ST_PRIM_OK;
  if (st_fmt_is_pointers (df) != st_fmt_is_pointers (sf))
    return ST_PRIM_ERR_INAPPROPRIATE;
  if (st_fmt_is_pointers (df))
    {
      uint64_t *d = st_ptr (vm, dst) + 1 + (st_num_slots (vm, dst) - dn) + (start - 1);
      uint64_t *s = st_ptr (vm, src) + 1 + (st_num_slots (vm, src) - sn) + (rstart - 1);
      memmove (d, s, count * 8);
      st_gc_remember_if_old (vm, dst);
    }
  else
    {
      guint dw = df >= ST_FMT_BYTES ? 1 : df >= ST_FMT_SHORTS16 ? 2 : df >= ST_FMT_WORDS32 ? 4 : 8;
      guint sw = sf >= ST_FMT_BYTES ? 1 : sf >= ST_FMT_SHORTS16 ? 2 : sf >= ST_FMT_WORDS32 ? 4 : 8;
      if (dw != sw)
        return ST_PRIM_ERR_INAPPROPRIATE;
      memmove (st_bytes (vm, dst) + (start - 1) * dw, st_bytes (vm, src) + (rstart - 1) * sw, count * dw);
    }
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

StPrimResult
st_prim_constant_fill (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop o = st_stack_value (it, 1), v = st_stack_value (it, 0);
  int64_t x;
  if (argc != 1 || !st_interp_valid_obj (vm, o) || !st_interp_to_int64 (it, v, &x) || x < 0)
    return ST_PRIM_FAIL;
  guint f = st_format (vm, o);
  uint64_t n;
  if (st_fmt_is_pointers (f) || f >= ST_FMT_METHOD || !indexable_size (it, o, &n))
    return ST_PRIM_ERR_BAD_RECEIVER;
  if (f >= ST_FMT_BYTES)
    {
      if (x > 255)
        return ST_PRIM_ERR_BAD_ARGUMENT;
      memset (st_bytes (vm, o), (int) x, n);
    }
  else if (f >= ST_FMT_SHORTS16)
    for (uint64_t i = 0; i < n; i++)
      ((guint16 *) st_bytes (vm, o))[i] = (guint16) x;
  else if (f >= ST_FMT_WORDS32)
    for (uint64_t i = 0; i < n; i++)
      ((guint32 *) st_bytes (vm, o))[i] = (guint32) x;
  else
    for (uint64_t i = 0; i < n; i++)
      st_store (vm, o, i, (uint64_t) x);
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

/* The next object after o in heap order (or the first when o is 0) that
 * the image may see: no free chunks, bridges or hidden objects. */
/* Heap walks see old space only: before one, new space is emptied into
 * it.  The collector updates the interpreter's registers and stack, so
 * callers read their arguments from the stack afterwards. */
static bool
tenure_all (StVM *vm)
{
  StOop e0, en, p0, pn;
  if (!st_gc_young_range (vm, &e0, &en, &p0, &pn) || (en == e0 && pn == p0))
    return true;
  GError *error = NULL;
  if (!st_gc_collect (vm, ST_GC_TENURE_ALL, &error))
    {
      st_interp_fail (vm, ST_INTERP_ERROR_NO_MEMORY, "%s", error->message);
      g_error_free (error);
      return false;
    }
  return true;
}

static StOop
next_visible (StVM *vm, StOop o)
{
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  if (o != 0)
    {
      const StSegment *s = st_objmem_segment_of (vm, o);
      if (s == NULL)
        return 0;
      w.seg = (guint) (s - vm->segments);
      w.next = st_object_end (vm, o);
      w.limit = s->start + s->bytes - ST_BRIDGE_BYTES;
    }
  StOop x;
  while ((x = st_heap_walk_next (&w)) != 0)
    if (st_class_index (vm, x) >= ST_CLASS_INDEX_FIRST_REAL)
      return x;
  return 0;
}

StPrimResult
st_prim_some_object (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (!tenure_all (vm))
    return ST_PRIM_ERR_NO_MEMORY;
  StOop x = next_visible (vm, 0);
  return st_prim_return (it, argc, x ? x : vm->nil_obj);
}

StPrimResult
st_prim_next_object (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (st_gc_is_young (vm, st_stack_value (it, 0)) && !tenure_all (vm))
    return ST_PRIM_ERR_NO_MEMORY;
  StOop o = st_stack_value (it, 0);
  if (!st_interp_valid_obj (vm, o))
    return ST_PRIM_ERR_BAD_RECEIVER;
  StOop x = next_visible (vm, o);
  return st_prim_return (it, argc, x ? x : st_smallint_oop (0));
}

StPrimResult
st_prim_some_instance (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (!tenure_all (vm))
    return ST_PRIM_ERR_NO_MEMORY;
  StOop cls = st_stack_value (it, 0);
  guint32 ci = st_interp_valid_obj (vm, cls) ? st_hash (vm, cls) : 0;
  if (ci == 0 || st_class_at_index (vm, ci) != cls)
    return ST_PRIM_FAIL;
  for (StOop x = next_visible (vm, 0); x != 0; x = next_visible (vm, x))
    if (st_class_index (vm, x) == ci)
      return st_prim_return (it, argc, x);
  return ST_PRIM_FAIL;
}

StPrimResult
st_prim_next_instance (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (st_gc_is_young (vm, st_stack_value (it, 0)) && !tenure_all (vm))
    return ST_PRIM_ERR_NO_MEMORY;
  StOop o = st_stack_value (it, 0);
  if (!st_interp_valid_obj (vm, o))
    return ST_PRIM_ERR_BAD_RECEIVER;
  guint32 ci = st_class_index (vm, o);
  for (StOop x = next_visible (vm, o); x != 0; x = next_visible (vm, x))
    if (st_class_index (vm, x) == ci)
      return st_prim_return (it, argc, x);
  return ST_PRIM_FAIL;
}

/* --- become --- */

/* Replace every reference to a key of map by its value, in every object
 * of the heap (free chunks and bridges excluded), the special objects and
 * the interpreter's registers.  Without forwarders this is one full walk
 * per become, as V3 VMs did. */
static void
replace_references (StInterp *it, GHashTable *map)
{
  StVM *vm = it->vm;
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0)
    {
      uint64_t h = st_header (vm, o);
      guint32 ci = st_hdr_class_index (h);
      if (ci == ST_CLASS_INDEX_FREE || ci == ST_CLASS_INDEX_BRIDGE)
        continue;
      guint fmt = st_hdr_format (h);
      uint64_t n;
      if (st_fmt_is_pointers (fmt))
        n = st_num_slots (vm, o);
      else if (fmt >= ST_FMT_METHOD)
        {
          StMethodHeader mh;
          n = st_method_header (vm, o, &mh, NULL) ? mh.num_literals + 1 : 0;
        }
      else
        continue;
      uint64_t *p = st_ptr (vm, o) + 1;
      for (uint64_t i = 0; i < n; i++)
        if (st_is_pointer (p[i]))
          {
            gpointer v;
            if (g_hash_table_lookup_extended (map, &p[i], NULL, &v))
              {
                p[i] = *(StOop *) v;
                st_gc_remember_if_old (vm, o);
              }
          }
    }
  gpointer v;
  if (g_hash_table_lookup_extended (map, &vm->special_objects, NULL, &v))
    vm->special_objects = *(StOop *) v;
  st_interp_flush_cache (it);
  if (it->ctx != 0)
    {
      StOop ctx = it->ctx;
      if (g_hash_table_lookup_extended (map, &ctx, NULL, &v))
        ctx = *(StOop *) v;
      st_interp_save_registers (it);
      it->ctx = 0;
      st_interp_load_context (it, ctx);
    }
}

/* The arrays are st_stack_value (a_depth) and (b_depth): read after new
 * space has been emptied into old space, since every reference is
 * replaced by one walk over old space. */
static StPrimResult
become (StInterp *it, int a_depth, int b_depth, bool two_way, bool copy_hash)
{
  StVM *vm = it->vm;
  if (!tenure_all (vm))
    return ST_PRIM_ERR_NO_MEMORY;
  StOop a = st_stack_value (it, a_depth), b = st_stack_value (it, b_depth);
  if (!st_interp_valid_obj (vm, a) || !st_interp_valid_obj (vm, b) || st_class_index (vm, a) != it->ci_array
      || st_class_index (vm, b) != it->ci_array)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  uint64_t n = st_num_slots (vm, a);
  if (n != st_num_slots (vm, b))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  for (uint64_t i = 0; i < n; i++)
    {
      StOop x = st_fetch (vm, a, i), y = st_fetch (vm, b, i);
      if (!st_interp_valid_obj (vm, x) || (two_way && !st_interp_valid_obj (vm, y))
          || x == vm->nil_obj || x == vm->true_obj || x == vm->false_obj)
        return ST_PRIM_ERR_INAPPROPRIATE;
      if (st_hdr_is_immutable (st_header (vm, x)))
        return ST_PRIM_ERR_NO_MODIFICATION;
    }
  /* Keys and values point into copies: the arrays themselves change. */
  StOop *pairs = g_new (StOop, 4 * n);
  GHashTable *map = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (uint64_t i = 0; i < n; i++)
    {
      pairs[4 * i] = st_fetch (vm, a, i);
      pairs[4 * i + 1] = st_fetch (vm, b, i);
      pairs[4 * i + 2] = pairs[4 * i + 1];
      pairs[4 * i + 3] = pairs[4 * i];
      g_hash_table_insert (map, &pairs[4 * i], &pairs[4 * i + 1]);
      if (two_way)
        g_hash_table_insert (map, &pairs[4 * i + 2], &pairs[4 * i + 3]);
    }
  for (uint64_t i = 0; i < n; i++)
    {
      StOop x = pairs[4 * i], y = pairs[4 * i + 1];
      if (two_way)
        {
          /* Each keeps its identity hash where it was: swap them back. */
          guint32 hx = st_hash (vm, x), hy = st_hash (vm, y);
          st_set_header (vm, x, st_hdr_with_hash (st_header (vm, x), hy));
          st_set_header (vm, y, st_hdr_with_hash (st_header (vm, y), hx));
        }
      else if (copy_hash && st_is_pointer (y))
        st_set_header (vm, y, st_hdr_with_hash (st_header (vm, y), st_hash (vm, x)));
    }
  replace_references (it, map);
  g_hash_table_unref (map);
  g_free (pairs);
  return ST_PRIM_OK;
}

/* The one-argument become primitives differ only in direction and hashes. */
static StPrimResult
become_prim (StVM *vm, int argc, bool two_way, bool copy_hash)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StPrimResult r = become (it, 1, 0, two_way, copy_hash);
  if (r == ST_PRIM_OK)
    st_pop_n (it, argc);
  return r;
}

/* elementsExchangeIdentityWith: */
StPrimResult
st_prim_array_become (StVM *vm, int argc)
{
  return become_prim (vm, argc, true, false);
}

/* elementsForwardIdentityTo: (the targets take the sources' hashes) */
StPrimResult
st_prim_array_become_one_way (StVM *vm, int argc)
{
  return become_prim (vm, argc, false, true);
}

StPrimResult
st_prim_array_become_one_way_no_copy_hash (StVM *vm, int argc)
{
  return become_prim (vm, argc, false, false);
}

/* elementsForwardIdentityTo: targets copyHash: aBoolean */
StPrimResult
st_prim_array_become_one_way_copy_hash (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 2)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop flag = st_stack_value (it, 0);
  if (flag != it->true_obj && flag != it->false_obj)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  StPrimResult r = become (it, 2, 1, false, flag == it->true_obj);
  if (r == ST_PRIM_OK)
    st_pop_n (it, argc);
  return r;
}

/* aClass allInstances: an Array of every instance in the heap now. */
StPrimResult
st_prim_all_instances (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (!tenure_all (vm))
    return ST_PRIM_ERR_NO_MEMORY;
  StOop cls = st_stack_value (it, 0);
  guint32 ci = st_interp_valid_obj (vm, cls) ? st_hash (vm, cls) : 0;
  if (argc != 0 || ci == 0 || st_class_at_index (vm, ci) != cls)
    return ST_PRIM_ERR_BAD_RECEIVER;
  GArray *found = g_array_new (FALSE, FALSE, sizeof (StOop));
  for (StOop x = next_visible (vm, 0); x != 0; x = next_visible (vm, x))
    if (st_class_index (vm, x) == ci)
      g_array_append_val (found, x);
  StOop a = st_interp_new_array (it, found->len);
  if (a != 0)
    for (guint i = 0; i < found->len; i++)
      st_store (vm, a, i, g_array_index (found, StOop, i));
  g_array_unref (found);
  if (a == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, a);
}

/* anObject pointsTo: x — does any of its pointer slots (or a method's
 * literals) hold x?  The class counts too. */
StPrimResult
st_prim_points_to (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop o = st_stack_value (it, 1), x = st_stack_value (it, 0);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (!st_interp_valid_obj (vm, o))
    return st_prim_return (it, argc, it->false_obj);
  if (st_class_of (vm, o) == x)
    return st_prim_return (it, argc, it->true_obj);
  guint fmt = st_format (vm, o);
  uint64_t n = 0;
  if (st_fmt_is_pointers (fmt))
    n = st_num_slots (vm, o);
  else if (fmt >= ST_FMT_METHOD)
    {
      StMethodHeader h;
      n = st_method_header (vm, o, &h, NULL) ? h.num_literals + 1 : 0;
    }
  if (o == it->ctx)
    st_interp_save_registers (it);
  for (uint64_t i = 0; i < n; i++)
    if (st_fetch (vm, o, i) == x)
      return st_prim_return (it, argc, it->true_obj);
  return st_prim_return (it, argc, it->false_obj);
}
