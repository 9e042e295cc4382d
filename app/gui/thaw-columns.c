/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "thaw-columns.h"

GtkColumnViewColumn *
thaw_columns_add (GtkColumnView *view, const char *title, GCallback setup, GCallback bind,
                  gpointer data, gboolean expand, GtkSorter *sorter)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", setup, data);
  g_signal_connect (factory, "bind", bind, data);
  GtkColumnViewColumn *col = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_resizable (col, TRUE);
  gtk_column_view_column_set_expand (col, expand);
  if (sorter != NULL)
    {
      gtk_column_view_column_set_sorter (col, sorter);
      g_object_unref (sorter);
    }
  gtk_column_view_append_column (view, col);
  g_object_unref (col);
  return col;
}
