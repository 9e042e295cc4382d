/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "handles.h"

struct _StHandles {
  StVM       *vm;
  GArray     *oops;      /* id - 1 -> oop */
  GArray     *live;      /* id - 1 -> gboolean */
  GHashTable *by_oop;    /* oop -> id, for live entries */
  guint       n_live;
};

StHandles *
st_handles_new (StVM *vm)
{
  StHandles *h = g_new0 (StHandles, 1);
  h->vm = vm;
  h->oops = g_array_new (FALSE, TRUE, sizeof (StOop));
  h->live = g_array_new (FALSE, TRUE, sizeof (gboolean));
  h->by_oop = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  /* The VM keeps its tables as roots for the collector. */
  if (vm->handle_tables == NULL)
    vm->handle_tables = g_ptr_array_new ();
  g_ptr_array_add (vm->handle_tables, h);
  return h;
}

void
st_handles_free (StHandles *h)
{
  if (h == NULL)
    return;
  if (h->vm != NULL && h->vm->handle_tables != NULL)
    g_ptr_array_remove_fast (h->vm->handle_tables, h);
  g_array_free (h->oops, TRUE);
  g_array_free (h->live, TRUE);
  g_hash_table_unref (h->by_oop);
  g_free (h);
}

StHandle
st_handles_add (StHandles *h, StOop oop)
{
  gint64 key = (gint64) oop;
  gpointer found = g_hash_table_lookup (h->by_oop, &key);
  if (found != NULL)
    return GPOINTER_TO_UINT (found);
  if (h->oops->len >= G_MAXUINT32 - 1)
    return 0;
  g_array_append_val (h->oops, oop);
  gboolean t = TRUE;
  g_array_append_val (h->live, t);
  StHandle id = h->oops->len;
  gint64 *k = g_new (gint64, 1);
  *k = key;
  g_hash_table_insert (h->by_oop, k, GUINT_TO_POINTER (id));
  h->n_live++;
  return id;
}

bool
st_handles_get (StHandles *h, StHandle id, StOop *out)
{
  if (id == 0 || id > h->oops->len || !g_array_index (h->live, gboolean, id - 1))
    return false;
  *out = g_array_index (h->oops, StOop, id - 1);
  return true;
}

void
st_handles_release (StHandles *h, StHandle id)
{
  if (id == 0 || id > h->oops->len || !g_array_index (h->live, gboolean, id - 1))
    return;
  gint64 key = (gint64) g_array_index (h->oops, StOop, id - 1);
  g_hash_table_remove (h->by_oop, &key);
  g_array_index (h->live, gboolean, id - 1) = FALSE;
  h->n_live--;
}

guint
st_handles_count (StHandles *h)
{
  return h->n_live;
}

void
st_handles_foreach_root (StHandles *h, StRootFunc func, gpointer user_data)
{
  for (guint i = 0; i < h->oops->len; i++)
    if (g_array_index (h->live, gboolean, i))
      func (&g_array_index (h->oops, StOop, i), user_data);
}

void
st_handles_rehash (StHandles *h)
{
  g_hash_table_remove_all (h->by_oop);
  for (guint i = 0; i < h->oops->len; i++)
    if (g_array_index (h->live, gboolean, i))
      {
        gint64 *k = g_new (gint64, 1);
        *k = (gint64) g_array_index (h->oops, StOop, i);
        g_hash_table_insert (h->by_oop, k, GUINT_TO_POINTER (i + 1));
      }
}

void
st_handles_detach (StHandles *h)
{
  h->vm = NULL;
}
