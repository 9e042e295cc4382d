/* SPDX-License-Identifier: GPL-3.0-or-later */
/* misc-prims.c: the MiscPrimitivePlugin (module 'MiscPrimitivePlugin').
 *
 * String searching, comparing, hashing and translating, 8-bit sound
 * conversion, and the run-length coding of Bitmaps.  The image sends these
 * to a class (String class, ByteArray class, Bitmap...) with the data as
 * arguments; each primitive reads its arguments from the top of the stack
 * and ignores the receiver, as the Squeak VM's plugin does.  Indexes are
 * 1-based; every index is checked against the object it reads or writes. */
#include "config.h"

#include <string.h>

#include "plugins.h"

/* A byte-indexable argument (String, Symbol, ByteArray; not a method). */
static bool
stack_bytes (StInterp *it, int depth, guint8 **b, uint64_t *n)
{
  StVM *vm = it->vm;
  StOop o = st_stack_value (it, depth);
  if (!st_interp_valid_obj (vm, o))
    return false;
  guint fmt = st_format (vm, o);
  if (!st_fmt_is_bytes (fmt) || st_fmt_is_method (fmt))
    return false;
  *b = st_bytes (vm, o);
  *n = st_byte_length (vm, o);
  return true;
}

/* A 32-bit word argument (Bitmap, WordArray). */
static bool
stack_words32 (StInterp *it, int depth, guint32 **w, uint64_t *n)
{
  StVM *vm = it->vm;
  StOop o = st_stack_value (it, depth);
  if (!st_interp_valid_obj (vm, o))
    return false;
  guint fmt = st_format (vm, o);
  if (fmt != ST_FMT_WORDS32 && fmt != ST_FMT_WORDS32 + 1)
    return false;
  *w = (guint32 *) st_bytes (vm, o);
  *n = st_num_slots (vm, o) * 2 - (fmt - ST_FMT_WORDS32);
  return true;
}

/* A 16-bit element argument (SoundBuffer). */
static bool
stack_shorts16 (StInterp *it, int depth, gint16 **s, uint64_t *n)
{
  StVM *vm = it->vm;
  StOop o = st_stack_value (it, depth);
  if (!st_interp_valid_obj (vm, o))
    return false;
  guint fmt = st_format (vm, o);
  if (fmt < ST_FMT_SHORTS16 || fmt > ST_FMT_SHORTS16 + 3)
    return false;
  *s = (gint16 *) st_bytes (vm, o);
  *n = st_num_slots (vm, o) * 4 - (fmt - ST_FMT_SHORTS16);
  return true;
}

static bool
stack_int (StInterp *it, int depth, int64_t *v)
{
  StOop o = st_stack_value (it, depth);
  if (!st_is_smallint (o))
    return false;
  *v = st_smallint_value (o);
  return true;
}

/* compare: string1 with: string2 collated: order — 1, 2 or 3 for <, =, >. */
static StPrimResult
prim_compare_string (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint8 *s1, *s2, *order;
  uint64_t n1, n2, no;
  if (argc != 3 || !stack_bytes (it, 2, &s1, &n1) || !stack_bytes (it, 1, &s2, &n2)
      || !stack_bytes (it, 0, &order, &no) || no < 256)
    return ST_PRIM_FAIL;
  uint64_t n = MIN (n1, n2);
  for (uint64_t i = 0; i < n; i++)
    {
      guint8 c1 = order[s1[i]], c2 = order[s2[i]];
      if (c1 != c2)
        return st_prim_return (it, argc, st_smallint_oop (c1 < c2 ? 1 : 3));
    }
  return st_prim_return (it, argc, st_smallint_oop (n1 == n2 ? 2 : n1 < n2 ? 1 : 3));
}

/* findFirstInString: aString inSet: inclusionMap startingAt: start —
 * the index of the first byte whose map entry is nonzero, or 0. */
static StPrimResult
prim_find_first_in_string (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint8 *s, *map;
  uint64_t n, nm;
  int64_t start;
  if (argc != 3 || !stack_bytes (it, 2, &s, &n) || !stack_bytes (it, 1, &map, &nm) || !stack_int (it, 0, &start))
    return ST_PRIM_FAIL;
  if (nm != 256)
    return st_prim_return (it, argc, st_smallint_oop (0));
  for (uint64_t i = start < 1 ? 0 : (uint64_t) start - 1; i < n; i++)
    if (map[s[i]] != 0)
      return st_prim_return (it, argc, st_smallint_oop ((int64_t) i + 1));
  return st_prim_return (it, argc, st_smallint_oop (0));
}

/* findSubstring: key in: body startingAt: start matchTable: table. */
static StPrimResult
prim_find_substring (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint8 *key, *body, *table;
  uint64_t nk, nb, nt;
  int64_t start;
  if (argc != 4 || !stack_bytes (it, 3, &key, &nk) || !stack_bytes (it, 2, &body, &nb)
      || !stack_int (it, 1, &start) || !stack_bytes (it, 0, &table, &nt) || nt < 256)
    return ST_PRIM_FAIL;
  if (nk == 0 || nk > nb)
    return st_prim_return (it, argc, st_smallint_oop (0));
  for (uint64_t i = start < 1 ? 0 : (uint64_t) start - 1; i + nk <= nb; i++)
    {
      uint64_t k = 0;
      while (k < nk && table[body[i + k]] == table[key[k]])
        k++;
      if (k == nk)
        return st_prim_return (it, argc, st_smallint_oop ((int64_t) i + 1));
    }
  return st_prim_return (it, argc, st_smallint_oop (0));
}

/* indexOfAscii: anInteger inString: aString startingAt: start. */
static StPrimResult
prim_index_of_ascii_in_string (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint8 *s;
  uint64_t n;
  int64_t c, start;
  if (argc != 3 || !stack_int (it, 2, &c) || !stack_bytes (it, 1, &s, &n) || !stack_int (it, 0, &start))
    return ST_PRIM_FAIL;
  for (uint64_t i = start < 1 ? 0 : (uint64_t) start - 1; i < n; i++)
    if (s[i] == c)
      return st_prim_return (it, argc, st_smallint_oop ((int64_t) i + 1));
  return st_prim_return (it, argc, st_smallint_oop (0));
}

/* stringHash: aString initialHash: speciesHash — hashMultiply over the bytes. */
static StPrimResult
prim_string_hash (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint8 *s;
  uint64_t n;
  int64_t seed;
  if (argc != 2 || !stack_bytes (it, 1, &s, &n) || !stack_int (it, 0, &seed))
    return ST_PRIM_FAIL;
  guint32 hash = (guint32) seed & 0xFFFFFFF;
  for (uint64_t i = 0; i < n; i++)
    hash = ((hash + s[i]) * 1664525u) & 0xFFFFFFF;
  return st_prim_return (it, argc, st_smallint_oop (hash));
}

/* translate: aString from: start to: stop table: table — in place. */
static StPrimResult
prim_translate_string_with_table (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint8 *s, *table;
  uint64_t n, nt;
  int64_t start, stop;
  if (argc != 4 || !stack_bytes (it, 3, &s, &n) || !stack_int (it, 2, &start) || !stack_int (it, 1, &stop)
      || !stack_bytes (it, 0, &table, &nt))
    return ST_PRIM_FAIL;
  if (st_hdr_is_immutable (st_header (vm, st_stack_value (it, 3))))
    return ST_PRIM_ERR_NO_MODIFICATION;
  if (start > stop)
    {
      st_pop_n (it, argc);
      return ST_PRIM_OK;
    }
  if (start < 1 || (uint64_t) stop > n || nt < 256)
    return ST_PRIM_FAIL;
  for (uint64_t i = (uint64_t) start - 1; i < (uint64_t) stop; i++)
    s[i] = table[s[i]];
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

/* convert8bitSignedFrom: aByteArray to16Bit: aSoundBuffer. */
static StPrimResult
prim_convert_8bit_signed (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint8 *b;
  gint16 *out;
  uint64_t n, no;
  if (argc != 2 || !stack_bytes (it, 1, &b, &n) || !stack_shorts16 (it, 0, &out, &no) || no < n)
    return ST_PRIM_FAIL;
  for (uint64_t i = 0; i < n; i++)
    out[i] = (gint16) ((guint16) b[i] << 8);
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

/* The run-length coding of Bitmap>>compressToByteArray: sizes and run
 * headers as 0-223 in one byte, 224-254 (+ next byte) for up to 7935, or
 * 255 and four bytes big-endian. */
static bool
put_byte (guint8 *ba, uint64_t nba, uint64_t *i, guint8 v)
{
  if (*i >= nba)
    return false;
  ba[(*i)++] = v;
  return true;
}

static bool
put_word (guint8 *ba, uint64_t nba, uint64_t *i, guint32 w)
{
  for (int k = 3; k >= 0; k--)
    if (!put_byte (ba, nba, i, (guint8) (w >> (8 * k))))
      return false;
  return true;
}

static bool
put_count (guint8 *ba, uint64_t nba, uint64_t *i, uint64_t v)
{
  if (v <= 223)
    return put_byte (ba, nba, i, (guint8) v);
  if (v <= 7935)
    return put_byte (ba, nba, i, (guint8) ((v >> 8) + 224)) && put_byte (ba, nba, i, (guint8) (v & 255));
  return v <= G_MAXUINT32 && put_byte (ba, nba, i, 255) && put_word (ba, nba, i, (guint32) v);
}

/* compress: bm toByteArray: ba — answers the last index written. */
static StPrimResult
prim_compress_to_byte_array (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint32 *bm;
  guint8 *ba;
  uint64_t size, nba, i = 0;
  if (argc != 2 || !stack_words32 (it, 1, &bm, &size) || !stack_bytes (it, 0, &ba, &nba))
    return ST_PRIM_FAIL;
  if (!put_count (ba, nba, &i, size))
    return ST_PRIM_FAIL;
  uint64_t k = 0;
  while (k < size)
    {
      guint32 word = bm[k];
      guint8 low = word & 255;
      bool eq_bytes = ((word >> 8) & 255) == low && ((word >> 16) & 255) == low && (word >> 24) == low;
      uint64_t j = k;
      while (j + 1 < size && bm[j + 1] == word)
        j++;
      bool ok;
      if (j > k)
        {
          uint64_t run = j - k + 1;
          if (eq_bytes)
            ok = put_count (ba, nba, &i, run * 4 + 1) && put_byte (ba, nba, &i, low);
          else
            ok = put_count (ba, nba, &i, run * 4 + 2) && put_word (ba, nba, &i, word);
          k = j + 1;
        }
      else if (eq_bytes)
        {
          ok = put_count (ba, nba, &i, 1 * 4 + 1) && put_byte (ba, nba, &i, low);
          k++;
        }
      else
        {
          /* a stretch of words each unlike the next */
          j = k;
          while (j + 1 < size && bm[j] != bm[j + 1])
            j++;
          if (j + 1 == size)
            j++;
          ok = put_count (ba, nba, &i, (j - k) * 4 + 3);
          for (uint64_t m = k; ok && m < j; m++)
            ok = put_word (ba, nba, &i, bm[m]);
          k = j;
        }
      if (!ok)
        return ST_PRIM_FAIL;
    }
  return st_prim_return (it, argc, st_smallint_oop ((int64_t) i));
}

static bool
get_byte (const guint8 *ba, uint64_t nba, uint64_t *i, guint32 *v)
{
  if (*i >= nba)
    return false;
  *v = ba[(*i)++];
  return true;
}

static bool
get_word (const guint8 *ba, uint64_t nba, uint64_t *i, guint32 *w)
{
  guint32 b;
  *w = 0;
  for (int k = 0; k < 4; k++)
    {
      if (!get_byte (ba, nba, i, &b))
        return false;
      *w = (*w << 8) | b;
    }
  return true;
}

/* decompress: bm fromByteArray: ba at: index — fills bm from the runs. */
static StPrimResult
prim_decompress_from_byte_array (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint32 *bm;
  guint8 *ba;
  uint64_t size, nba;
  int64_t index;
  if (argc != 3 || !stack_words32 (it, 2, &bm, &size) || !stack_bytes (it, 1, &ba, &nba) || !stack_int (it, 0, &index)
      || index < 1)
    return ST_PRIM_FAIL;
  if (st_hdr_is_immutable (st_header (vm, st_stack_value (it, 2))))
    return ST_PRIM_ERR_NO_MODIFICATION;
  uint64_t i = (uint64_t) index - 1, k = 0;
  while (i < nba)
    {
      guint32 v, b;
      if (!get_byte (ba, nba, &i, &v))
        return ST_PRIM_FAIL;
      if (v > 223)
        {
          if (v <= 254)
            {
              if (!get_byte (ba, nba, &i, &b))
                return ST_PRIM_FAIL;
              v = (v - 224) * 256 + b;
            }
          else if (!get_word (ba, nba, &i, &v))
            return ST_PRIM_FAIL;
        }
      uint64_t n = v >> 2;
      if (k + n > size)
        return ST_PRIM_FAIL;
      guint32 data;
      switch (v & 3)
        {
        case 0:
          k += n;
          break;
        case 1:
          if (!get_byte (ba, nba, &i, &data))
            return ST_PRIM_FAIL;
          data |= data << 8;
          data |= data << 16;
          for (uint64_t j = 0; j < n; j++)
            bm[k++] = data;
          break;
        case 2:
          if (!get_word (ba, nba, &i, &data))
            return ST_PRIM_FAIL;
          for (uint64_t j = 0; j < n; j++)
            bm[k++] = data;
          break;
        default:
          for (uint64_t j = 0; j < n; j++)
            {
              if (!get_word (ba, nba, &i, &data))
                return ST_PRIM_FAIL;
              bm[k++] = data;
            }
          break;
        }
    }
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

const StNamedPrim st_plugin_misc[] = {
  { "primitiveCompareString", prim_compare_string },
  { "primitiveFindFirstInString", prim_find_first_in_string },
  { "primitiveFindSubstring", prim_find_substring },
  { "primitiveIndexOfAsciiInString", prim_index_of_ascii_in_string },
  { "primitiveStringHash", prim_string_hash },
  { "primitiveTranslateStringWithTable", prim_translate_string_with_table },
  { "primitiveConvert8BitSigned", prim_convert_8bit_signed },
  { "primitiveCompressToByteArray", prim_compress_to_byte_array },
  { "primitiveDecompressFromByteArray", prim_decompress_from_byte_array },
  { NULL, NULL },
};

/* Images of the 6502 era (BlockContexts) call these by number: 234-237
 * and 243-246 are the MiscPrimitivePlugin there, with the same arguments. */
void
st_prims_install_old_misc (StInterp *it)
{
  static const struct { guint n; StPrimFn fn; } old[] = {
    { 234, prim_decompress_from_byte_array }, { 235, prim_compare_string },
    { 236, prim_convert_8bit_signed }, { 237, prim_compress_to_byte_array },
    { 243, prim_translate_string_with_table }, { 244, prim_find_first_in_string },
    { 245, prim_index_of_ascii_in_string }, { 246, prim_find_substring },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (old); i++)
    if (old[i].n < it->n_prims)
      it->prims[old[i].n] = old[i].fn;
}
