/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-columns.h: building the panels' column views. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Append a resizable column whose cells come from `setup` and `bind`
 * (GtkSignalListItemFactory handlers, called with `data`), optionally
 * sorted by `sorter` (taken).  Returns the column (owned by the view). */
GtkColumnViewColumn *thaw_columns_add (GtkColumnView *view, const char *title, GCallback setup, GCallback bind,
                                       gpointer data, gboolean expand, GtkSorter *sorter);

G_END_DECLS
