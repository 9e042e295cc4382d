/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli map IMAGE [--png FILE] [--width N]: which byte ranges of each
 * segment hold which kind of object, and how fragmented free space is. */
#include "config.h"

#include <gio/gio.h>

#include "heap-map.h"
#include "map-png.h"
#include "thaw-cli.h"

int
cli_map (int argc, char **argv)
{
  gboolean json = FALSE, runs = FALSE;
  g_autofree char *png = NULL;
  int width = 512;
  gint64 bpp_opt = 0;
  const GOptionEntry entries[] = {
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &png, "Also draw the map into a PNG file", "FILE" },
    { "width", 0, 0, G_OPTION_ARG_INT, &width, "Pixels per row of the picture (default 512)", "N" },
    { "bytes-per-pixel", 0, 0, G_OPTION_ARG_INT64, &bpp_opt, "Heap bytes per pixel (default: fit in 1024 rows)", "N" },
    { "runs", 0, 0, G_OPTION_ARG_NONE, &runs, "List every run of same-kind objects", NULL },
    { NULL }
  };
  if (!cli_parse (&argc, &argv, entries, &json))
    return CLI_EXIT_ERROR;
  if (argc != 2)
    {
      cli_error ("expects one IMAGE (try --help)");
      return CLI_EXIT_ERROR;
    }
  if (width < 16 || width > 16384 || bpp_opt < 0)
    {
      cli_error ("--width takes 16..16384 and --bytes-per-pixel a positive count");
      return CLI_EXIT_ERROR;
    }
  StVM *vm = cli_load (argv[1], ST_READ_SALVAGE);
  if (vm == NULL)
    return CLI_EXIT_ERROR;
  StHeapMap *m = st_heap_map_build (vm);

  uint64_t bpp = (uint64_t) bpp_opt;
  if (png != NULL)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *title = g_path_get_basename (vm->image_path);
      if (!thaw_map_png_write (m, title, png, (guint) width, &bpp, &error))
        {
          cli_error ("%s", error->message);
          st_heap_map_free (m);
          st_vm_free (vm);
          return CLI_EXIT_ERROR;
        }
    }

  Report *r = report_new (stdout, json);
  report_begin_object (r, NULL);
  report_str (r, "image", vm->image_path);
  report_uint (r, "objects", m->objects);
  report_uint (r, "free_bytes", m->free_bytes);
  report_uint (r, "free_chunks", m->free_chunks);
  report_uint (r, "largest_free_chunk", m->largest_free);
  report_double (r, "fragmentation", m->fragmentation);
  report_double (r, "seconds", m->seconds);
  if (png != NULL)
    {
      report_str (r, "png", png);
      report_uint (r, "png_bytes_per_pixel", bpp);
    }
  report_begin_list (r, "segments");
  for (guint s = 0; s < m->n_segments; s++)
    {
      const StHeapMapSegment *seg = &m->segments[s];
      report_begin_object (r, NULL);
      report_uint (r, "index", s);
      report_hex (r, "start", seg->start);
      report_uint (r, "bytes", seg->bytes);
      report_uint (r, "free_chunks", seg->free_chunks);
      report_uint (r, "largest_free_chunk", seg->largest_free);
      report_uint (r, "runs", seg->n_runs);
      report_begin_object (r, "bytes_by_kind");
      for (guint k = 0; k < ST_MAP_N_KINDS; k++)
        report_uint (r, st_map_kind_name (k), seg->kind_bytes[k]);
      report_end_object (r);
      report_begin_object (r, "objects_by_kind");
      for (guint k = 0; k < ST_MAP_N_KINDS; k++)
        if (k != ST_MAP_BRIDGE && k != ST_MAP_UNWALKABLE)
          report_uint (r, st_map_kind_name (k), seg->kind_objects[k]);
      report_end_object (r);
      if (runs)
        {
          report_begin_list (r, "run_list");
          for (guint i = 0; i < seg->n_runs; i++)
            {
              report_begin_object (r, NULL);
              report_hex (r, "start", seg->runs[i].start);
              report_uint (r, "bytes", seg->runs[i].bytes);
              report_str (r, "kind", st_map_kind_name (seg->runs[i].kind));
              report_end_object (r);
            }
          report_end_list (r);
        }
      report_end_object (r);
    }
  report_end_list (r);
  report_end_object (r);
  report_free (r);
  st_heap_map_free (m);
  st_vm_free (vm);
  return CLI_EXIT_OK;
}
