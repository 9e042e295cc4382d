/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli census IMAGE [--top N] [--sort count|bytes]: instances and bytes
 * per class and per object format, without running the image. */
#include "config.h"

#include <string.h>

#include "census.h"
#include "thaw-cli.h"

int
cli_census (int argc, char **argv)
{
  gboolean json = FALSE;
  int top = 30;
  g_autofree char *sort = NULL;
  const GOptionEntry entries[] = {
    { "top", 0, 0, G_OPTION_ARG_INT, &top, "Show the N biggest classes (default 30; 0 for all)", "N" },
    { "sort", 0, 0, G_OPTION_ARG_STRING, &sort, "Order by instance count or bytes (default bytes)", "count|bytes" },
    { NULL }
  };
  if (!cli_parse (&argc, &argv, entries, &json))
    return CLI_EXIT_ERROR;
  if (argc != 2)
    {
      cli_error ("expects one IMAGE (try --help)");
      return CLI_EXIT_ERROR;
    }
  StCensusSort order = ST_CENSUS_SORT_BYTES;
  if (sort != NULL && strcmp (sort, "count") == 0)
    order = ST_CENSUS_SORT_COUNT;
  else if (sort != NULL && strcmp (sort, "bytes") != 0)
    {
      cli_error ("--sort takes count or bytes, not '%s'", sort);
      return CLI_EXIT_ERROR;
    }
  if (top < 0)
    {
      cli_error ("--top takes a count >= 0");
      return CLI_EXIT_ERROR;
    }
  StVM *vm = cli_load (argv[1], ST_READ_SALVAGE);
  if (vm == NULL)
    return CLI_EXIT_ERROR;
  StCensus *c = st_census_take (vm, order);

  Report *r = report_new (stdout, json);
  report_begin_object (r, NULL);
  report_str (r, "image", vm->image_path);
  report_str (r, "sorted_by", order == ST_CENSUS_SORT_COUNT ? "count" : "bytes");
  report_uint (r, "objects", c->total_objects);
  report_uint (r, "bytes", c->total_bytes);
  report_uint (r, "classes_with_instances", c->n_rows);
  report_bool (r, "walk_damaged", c->walk_damaged);
  report_double (r, "seconds", c->seconds);
  guint shown = top == 0 ? c->n_rows : MIN ((guint) top, c->n_rows);
  if (!json)
    report_text (r, "%-40s %10s %12s %6s", "class", "instances", "bytes", "%bytes");
  report_begin_list (r, "classes");
  for (guint i = 0; i < shown; i++)
    {
      const StCensusRow *row = &c->rows[i];
      double pct = c->total_bytes ? 100.0 * row->bytes / c->total_bytes : 0;
      if (!json)
        {
          report_text (r, "%-40s %10" G_GUINT64_FORMAT " %12" G_GUINT64_FORMAT " %6.2f",
                       row->name, row->instances, row->bytes, pct);
          continue;
        }
      report_begin_object (r, NULL);
      report_str (r, "class", row->name);
      report_uint (r, "class_index", row->class_index);
      report_uint (r, "instances", row->instances);
      report_uint (r, "bytes", row->bytes);
      report_double (r, "percent_bytes", pct);
      report_end_object (r);
    }
  report_end_list (r);
  if (shown < c->n_rows)
    {
      uint64_t rest_i = 0, rest_b = 0;
      for (guint i = shown; i < c->n_rows; i++)
        {
          rest_i += c->rows[i].instances;
          rest_b += c->rows[i].bytes;
        }
      report_begin_object (r, "others");
      report_uint (r, "classes", c->n_rows - shown);
      report_uint (r, "instances", rest_i);
      report_uint (r, "bytes", rest_b);
      report_end_object (r);
    }
  if (!json)
    report_text (r, "%-40s %10s %12s", "format", "objects", "bytes");
  report_begin_list (r, "formats");
  for (guint f = 0; f < 32; f++)
    {
      if (c->by_format[f].instances == 0)
        continue;
      if (!json)
        {
          report_text (r, "%2u %-37s %10" G_GUINT64_FORMAT " %12" G_GUINT64_FORMAT, f, st_format_describe (f),
                       c->by_format[f].instances, c->by_format[f].bytes);
          continue;
        }
      report_begin_object (r, NULL);
      report_uint (r, "format", f);
      report_str (r, "meaning", st_format_describe (f));
      report_uint (r, "objects", c->by_format[f].instances);
      report_uint (r, "bytes", c->by_format[f].bytes);
      report_end_object (r);
    }
  report_end_list (r);
  report_end_object (r);
  report_free (r);
  st_census_free (c);
  st_vm_free (vm);
  return CLI_EXIT_OK;
}
