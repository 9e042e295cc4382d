/* SPDX-License-Identifier: GPL-3.0-or-later */
/* zip.c: the two small ZipPlugin primitives that are pure arithmetic,
 * under ZipPlugin and under the module-less names 6502-era images
 * (Scratch) use:
 *
 *   primitiveUpdateGZipCrc32  (receiver) updateCrc: crc from: start to: stop
 *                             in: aByteObject -- the CRC-32 (reflected
 *                             polynomial 0xEDB88320, no final inversion:
 *                             the image does that) continued over bytes
 *                             start..stop
 *   primitiveDeflateUpdateHashTable  (receiver) updateHashTable: aWordArray
 *                             delta: d -- every entry minus d, or 0 when
 *                             below d (the sliding window moved)
 *
 * Inflate and deflate proper (primitiveInflateDecompressBlock,
 * primitiveDeflateBlock) are not here: they fail like a VM without the
 * plugin and the image runs its own Smalltalk code. */
#include "config.h"

#include <string.h>

#include "plugins.h"

static StPrimResult
update_gzip_crc32 (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 4)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop coll = st_stack_value (it, 0), stop = st_stack_value (it, 1), start = st_stack_value (it, 2);
  int64_t crc_in;
  if (!st_interp_to_int64 (it, st_stack_value (it, 3), &crc_in) || crc_in < 0 || crc_in > 0xFFFFFFFFll)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  if (!st_is_smallint (start) || !st_is_smallint (stop) || !st_interp_valid_obj (vm, coll)
      || !st_fmt_is_bytes (st_format (vm, coll)) || st_fmt_is_method (st_format (vm, coll)))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t first = st_smallint_value (start), last = st_smallint_value (stop);
  if (first <= 0 || last < first || (uint64_t) last > st_byte_length (vm, coll))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  guint32 table[256];
  for (guint32 n = 0; n < 256; n++)
    {
      guint32 c = n;
      for (int k = 0; k < 8; k++)
        c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[n] = c;
    }
  const guint8 *b = st_bytes (vm, coll);
  guint32 crc = (guint32) crc_in;
  for (int64_t i = first - 1; i < last; i++)
    crc = table[(crc ^ b[i]) & 0xFF] ^ (crc >> 8);
  StOop r = st_interp_unsigned (it, crc);
  if (r == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, r);
}

static StPrimResult
deflate_update_hash_table (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 2)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop table = st_stack_value (it, 1), delta = st_stack_value (it, 0);
  if (!st_is_smallint (delta) || !st_interp_valid_obj (vm, table))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  guint fmt = st_format (vm, table);
  if (fmt < ST_FMT_WORDS32 || fmt >= ST_FMT_SHORTS16 || st_hdr_is_immutable (st_header (vm, table)))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  uint64_t n = st_indexable_count (vm, table);
  if (n > st_num_slots (vm, table) * 2)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t d = st_smallint_value (delta);
  guint8 *p = st_bytes (vm, table);
  for (uint64_t i = 0; i < n; i++)
    {
      gint32 e;
      memcpy (&e, p + 4 * i, 4);
      e = (int64_t) e >= d ? (gint32) ((int64_t) e - d) : 0;
      memcpy (p + 4 * i, &e, 4);
    }
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

const StNamedPrim st_plugin_zip[] = {
  { "primitiveUpdateGZipCrc32", update_gzip_crc32 },
  { "primitiveDeflateUpdateHashTable", deflate_update_hash_table },
  { NULL, NULL },
};
