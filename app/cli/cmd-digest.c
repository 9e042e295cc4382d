/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli digest IMAGE: the canonical SHA-256 of the reachable object
 * graph (equal for the same image in any format) and the number of
 * reachable objects. */
#include "config.h"

#include "thaw-cli.h"
#include "digest.h"

int
cli_digest (int argc, char **argv)
{
  gboolean json = FALSE;
  if (!cli_parse (&argc, &argv, NULL, &json))
    return CLI_EXIT_ERROR;
  if (argc != 2)
    {
      cli_error ("expects one IMAGE (try --help)");
      return CLI_EXIT_ERROR;
    }
  StVM *vm = cli_load (argv[1], ST_READ_STRICT);
  if (vm == NULL)
    return CLI_EXIT_ERROR;
  guint8 sum[32];
  StDigestStats stats;
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  if (!st_digest_full (vm, sum, &stats, &error))
    {
      cli_error ("%s", error->message);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }
  double secs = (double) (g_get_monotonic_time () - t0) / 1e6;
  g_autofree char *hex = st_digest_hex (sum);
  Report *r = report_new (stdout, json);
  report_begin_object (r, NULL);
  report_str (r, "image", vm->image_path);
  report_str (r, "sha256", hex);
  report_uint (r, "reachable_objects", stats.objects);
  report_uint (r, "reachable_bytes", stats.bytes);
  report_uint (r, "bad_references", stats.bad_refs);
  report_double (r, "seconds", secs);
  report_double (r, "objects_per_second", secs > 0 ? (double) stats.objects / secs : 0);
  report_end_object (r);
  report_free (r);
  st_vm_free (vm);
  return CLI_EXIT_OK;
}
