/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>

#include "census.h"
#include "class-info.h"

const char *
st_format_describe (guint f)
{
  static const char *const names[] = {
    "zero-sized", "fixed pointers", "indexable pointers", "fixed and indexable pointers",
    "weak", "ephemeron", "unused (6)", "forwarded", "unused (8)", "64-bit words",
    "32-bit words", "32-bit words", "16-bit words", "16-bit words", "16-bit words", "16-bit words",
  };
  if (f < G_N_ELEMENTS (names))
    return names[f];
  if (f < ST_FMT_METHOD)
    return "bytes";
  if (f < 32)
    return "CompiledMethod";
  return "invalid";
}

static int
by_count (const void *a, const void *b)
{
  const StCensusRow *x = a, *y = b;
  if (x->instances != y->instances)
    return x->instances > y->instances ? -1 : 1;
  if (x->bytes != y->bytes)
    return x->bytes > y->bytes ? -1 : 1;
  return x->class_index < y->class_index ? -1 : x->class_index > y->class_index;
}

static int
by_bytes (const void *a, const void *b)
{
  const StCensusRow *x = a, *y = b;
  if (x->bytes != y->bytes)
    return x->bytes > y->bytes ? -1 : 1;
  if (x->instances != y->instances)
    return x->instances > y->instances ? -1 : 1;
  return x->class_index < y->class_index ? -1 : x->class_index > y->class_index;
}

void
st_census_sort (StCensus *c, StCensusSort sort)
{
  if (c->n_rows > 1)
    qsort (c->rows, c->n_rows, sizeof (StCensusRow), sort == ST_CENSUS_SORT_COUNT ? by_count : by_bytes);
}

StCensus *
st_census_take (StVM *vm, StCensusSort sort)
{
  gint64 t0 = g_get_monotonic_time ();
  StCensus *c = g_new0 (StCensus, 1);

  /* Counts per class index: an array over the class-table pages in use,
   * and a hash table for indices beyond them (only a damaged heap has
   * those). */
  guint32 pages = 1;
  if (st_class_info_readable (vm, vm->hidden_roots_obj, ST_CLASS_TABLE_ROOT_SLOTS))
    for (guint32 i = 0; i < ST_CLASS_TABLE_ROOT_SLOTS; i++)
      if (st_fetch (vm, vm->hidden_roots_obj, i) != vm->nil_obj)
        pages = i + 1;
  guint32 n_idx = pages * ST_CLASS_TABLE_PAGE_SIZE;
  StCensusCount *counts = g_new0 (StCensusCount, n_idx);
  GHashTable *beyond = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);

  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0)
    {
      uint64_t h = st_header (vm, o);
      guint32 ci = st_hdr_class_index (h);
      uint64_t n = st_hdr_num_slots (h);
      uint64_t bytes;
      if (n == ST_OVERFLOW_SLOTS)
        bytes = 16 + 8 * st_num_slots (vm, o);
      else
        bytes = 8 + 8 * (n == 0 ? 1 : n);
      StCensusCount *k;
      if (ST_LIKELY (ci < n_idx))
        k = &counts[ci];
      else
        {
          k = g_hash_table_lookup (beyond, GUINT_TO_POINTER (ci));
          if (k == NULL)
            {
              k = g_new0 (StCensusCount, 1);
              g_hash_table_insert (beyond, GUINT_TO_POINTER (ci), k);
            }
        }
      k->instances++;
      k->bytes += bytes;
      guint fmt = st_hdr_format (h);
      c->by_format[fmt].instances++;
      c->by_format[fmt].bytes += bytes;
      c->total_objects++;
      c->total_bytes += bytes;
    }
  c->walk_damaged = w.damaged;

  GArray *rows = g_array_new (FALSE, TRUE, sizeof (StCensusRow));
  /* Rows: indices in the array, then the others. */
  for (guint32 ci = 0; ci < n_idx; ci++)
    if (counts[ci].instances > 0)
      {
        StCensusRow row = { .class_index = ci, .instances = counts[ci].instances, .bytes = counts[ci].bytes };
        g_array_append_val (rows, row);
      }
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, beyond);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      const StCensusCount *k = value;
      StCensusRow row = { .class_index = GPOINTER_TO_UINT (key), .instances = k->instances, .bytes = k->bytes };
      g_array_append_val (rows, row);
    }
  for (guint i = 0; i < rows->len; i++)
    {
      StCensusRow *row = &g_array_index (rows, StCensusRow, i);
      const char *reserved = st_class_index_describe (row->class_index);
      if (reserved != NULL)
        {
          row->name = g_strdup (reserved);
          continue;
        }
      row->cls = st_class_info_class_at (vm, row->class_index);
      if (row->cls == 0 || !st_class_info_readable (vm, row->cls, 0))
        {
          row->cls = 0;
          row->name = g_strdup_printf ("<missing class %u>", row->class_index);
        }
      else
        row->name = st_class_name (vm, row->cls);
    }
  c->n_rows = rows->len;
  c->rows = (StCensusRow *) (void *) g_array_free (rows, FALSE);
  g_hash_table_unref (beyond);
  g_free (counts);
  st_census_sort (c, sort);
  c->seconds = (g_get_monotonic_time () - t0) / 1e6;
  return c;
}

void
st_census_free (StCensus *c)
{
  if (c == NULL)
    return;
  for (guint i = 0; i < c->n_rows; i++)
    g_free (c->rows[i].name);
  g_free (c->rows);
  g_free (c);
}
