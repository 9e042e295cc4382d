/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli display IMAGE -o FILE.ppm [--reverse]: the Display Form saved in
 * the image (special object 14), converted whole and written as a PPM. */
#include "config.h"

#include "display.h"
#include "thaw-cli.h"

int
cli_display (int argc, char **argv)
{
  gboolean json = FALSE, reverse = FALSE;
  g_autofree char *out = NULL;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write the Display as a PPM (P6) file", "FILE.ppm" },
    { "reverse", 0, 0, G_OPTION_ARG_NONE, &reverse, "Reverse video", NULL },
    { NULL }
  };
  if (!cli_parse (&argc, &argv, entries, &json))
    return CLI_EXIT_ERROR;
  if (argc != 2 || out == NULL)
    {
      cli_error ("expects one IMAGE and -o FILE.ppm (try --help)");
      return CLI_EXIT_ERROR;
    }
  StVM *vm = cli_load (argv[1], ST_READ_SALVAGE);
  if (vm == NULL)
    return CLI_EXIT_ERROR;
  g_autoptr (GError) err = NULL;
  StFormInfo fi;
  if (st_display_form (vm, &fi, &err) == 0)
    {
      cli_error ("%s", err->message);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }
  g_autofree guint32 *px = g_new (guint32, (gsize) fi.width * fi.height);
  gint64 t0 = g_get_monotonic_time ();
  if (!st_display_convert (vm, fi.form, NULL, px, (gsize) fi.width * 4,
                           reverse ? ST_DISPLAY_REVERSE : 0, NULL, &err))
    {
      cli_error ("%s", err->message);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }
  double ms = (g_get_monotonic_time () - t0) / 1000.0;
  if (!st_display_write_ppm (px, fi.width, fi.height, out, &err))
    {
      cli_error ("%s", err->message);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }
  Report *r = report_new (stdout, json);
  report_begin_object (r, NULL);
  report_str (r, "image", vm->image_path);
  report_hex (r, "form", fi.form);
  report_int (r, "width", fi.width);
  report_int (r, "height", fi.height);
  report_int (r, "depth", fi.depth);
  report_uint (r, "distinct_colours", st_display_count_colours (px, (gsize) fi.width * fi.height));
  report_double (r, "convert_ms", ms);
  report_str (r, "output", out);
  report_end_object (r);
  report_free (r);
  st_vm_free (vm);
  return CLI_EXIT_OK;
}
