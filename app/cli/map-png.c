/* SPDX-License-Identifier: GPL-3.0-or-later */
/* map-png.c: draws the heap map with cairo.  Lives in the CLI: the engine
 * never links cairo. */
#include "config.h"

#include <cairo.h>
#include <gio/gio.h>

#include "map-png.h"

#define MARGIN     8
#define LABEL_H    16
#define BAND_GAP   6
#define LEGEND_ROW 18
#define MAX_ROWS   1024

static void
set_rgb (cairo_t *cr, guint32 rgb)
{
  cairo_set_source_rgb (cr, ((rgb >> 16) & 0xFF) / 255.0, ((rgb >> 8) & 0xFF) / 255.0, (rgb & 0xFF) / 255.0);
}

gboolean
thaw_map_png_write (const StHeapMap *m, const char *title, const char *path, guint width,
                    uint64_t *bytes_per_pixel, GError **error)
{
  if (width < 16 || width > 16384)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "width %u is outside 16..16384", width);
      return FALSE;
    }
  uint64_t total = 0;
  for (guint s = 0; s < m->n_segments; s++)
    total += m->segments[s].bytes;
  uint64_t bpp = *bytes_per_pixel;
  if (bpp == 0)
    {
      uint64_t per_row_needed = (total + MAX_ROWS - 1) / MAX_ROWS;
      bpp = (per_row_needed + width - 1) / width;
      bpp = MAX (8, (bpp + 7) / 8 * 8);
    }
  bpp = MAX (8, bpp);
  *bytes_per_pixel = bpp;

  uint64_t rows_total = 0;
  for (guint s = 0; s < m->n_segments; s++)
    rows_total += (m->segments[s].bytes + bpp * width - 1) / (bpp * width);
  if (rows_total > 65536)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "the picture would be %" G_GUINT64_FORMAT " rows high; use fewer bytes per pixel", rows_total);
      return FALSE;
    }
  guint legend_rows = (ST_MAP_N_KINDS + 1) / 2;
  int img_w = (int) width + 2 * MARGIN;
  img_w = MAX (img_w, 420);
  int img_h = (int) (MARGIN + LABEL_H + rows_total + m->n_segments * (LABEL_H + BAND_GAP)
                     + legend_rows * LEGEND_ROW + MARGIN * 2);

  cairo_surface_t *surf = cairo_image_surface_create (CAIRO_FORMAT_RGB24, img_w, img_h);
  cairo_t *cr = cairo_create (surf);
  set_rgb (cr, 0xFFFFFF);
  cairo_paint (cr);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, 11);

  set_rgb (cr, 0x000000);
  g_autofree char *head = g_strdup_printf ("%s: %" G_GUINT64_FORMAT " bytes, %" G_GUINT64_FORMAT
                                           " bytes per pixel, fragmentation %.3f",
                                           title, total, bpp, m->fragmentation);
  cairo_move_to (cr, MARGIN, MARGIN + 11);
  cairo_show_text (cr, head);

  double y = MARGIN + LABEL_H;
  guint8 *cells = g_malloc (width);
  guint32 *data = (guint32 *) (void *) cairo_image_surface_get_data (surf);
  int stride = cairo_image_surface_get_stride (surf) / 4;
  for (guint s = 0; s < m->n_segments; s++)
    {
      const StHeapMapSegment *seg = &m->segments[s];
      g_autofree char *label = g_strdup_printf ("segment %u at 0x%" G_GINT64_MODIFIER "x, %" G_GUINT64_FORMAT
                                                " bytes, %" G_GUINT64_FORMAT " free in %" G_GUINT64_FORMAT " chunks",
                                                s, seg->start, seg->bytes, seg->kind_bytes[ST_MAP_FREE],
                                                seg->free_chunks);
      set_rgb (cr, 0x000000);
      cairo_move_to (cr, MARGIN, y + 11);
      cairo_show_text (cr, label);
      y += LABEL_H;
      cairo_surface_flush (surf);
      uint64_t rows = (seg->bytes + bpp * width - 1) / (bpp * width);
      for (uint64_t row = 0; row < rows; row++)
        {
          /* Cells of this row: offsets row*width*bpp .. +width*bpp. */
          StHeapMap sub = *m;
          StHeapMapSegment one = *seg;
          uint64_t row_start = row * width * bpp;
          /* Find the runs from row_start on: st_heap_map_cells starts at
           * the segment's first byte, so shift a copy of the segment. */
          guint first = 0;
          guint lo = 0, hi = seg->n_runs;
          while (lo < hi)
            {
              guint mid = (lo + hi) / 2;
              if (seg->runs[mid].start + seg->runs[mid].bytes - seg->start <= row_start)
                lo = mid + 1;
              else
                hi = mid;
            }
          first = lo;
          if (first >= seg->n_runs)
            break;
          StMapRun head_run = seg->runs[first];
          uint64_t cut = row_start - (head_run.start - seg->start);
          head_run.start += cut;
          head_run.bytes -= cut;
          GArray *runs = g_array_new (FALSE, FALSE, sizeof (StMapRun));
          g_array_append_val (runs, head_run);
          uint64_t covered = head_run.bytes;
          for (guint i = first + 1; i < seg->n_runs && covered < width * bpp; i++)
            {
              g_array_append_val (runs, seg->runs[i]);
              covered += seg->runs[i].bytes;
            }
          one.start = seg->start + row_start;
          one.bytes = MIN (seg->bytes - row_start, width * bpp);
          one.runs = (StMapRun *) (void *) runs->data;
          one.n_runs = runs->len;
          sub.segments = &one;
          sub.n_segments = 1;
          st_heap_map_cells (&sub, 0, bpp, cells, width);
          g_array_unref (runs);
          guint32 *line = data + (gsize) ((int) y + (int) row) * stride + MARGIN;
          for (guint x = 0; x < width; x++)
            line[x] = cells[x] < ST_MAP_N_KINDS ? st_map_kind_color (cells[x]) : 0xFFFFFF;
        }
      cairo_surface_mark_dirty (surf);
      y += (double) rows + BAND_GAP;
    }
  g_free (cells);

  /* Legend: a swatch, the kind and its bytes, two columns. */
  for (guint k = 0; k < ST_MAP_N_KINDS; k++)
    {
      uint64_t bytes = 0;
      for (guint s = 0; s < m->n_segments; s++)
        bytes += m->segments[s].kind_bytes[k];
      double lx = MARGIN + (k % 2) * 210, ly = y + MARGIN + (k / 2) * LEGEND_ROW;
      set_rgb (cr, st_map_kind_color (k));
      cairo_rectangle (cr, lx, ly, 12, 12);
      cairo_fill_preserve (cr);
      set_rgb (cr, 0x606060);
      cairo_set_line_width (cr, 1);
      cairo_stroke (cr);
      set_rgb (cr, 0x000000);
      g_autofree char *text = g_strdup_printf ("%s: %" G_GUINT64_FORMAT " bytes", st_map_kind_name (k), bytes);
      cairo_move_to (cr, lx + 18, ly + 10);
      cairo_show_text (cr, text);
    }
  cairo_destroy (cr);
  cairo_status_t st = cairo_surface_write_to_png (surf, path);
  cairo_surface_destroy (surf);
  if (st != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s: %s", path, cairo_status_to_string (st));
      return FALSE;
    }
  return TRUE;
}
