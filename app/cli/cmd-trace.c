/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli trace IMAGE -o OUT [--clamp PATH ...] [--replace PATH=PATH ...]
 *                 [--to KIND] [--dry-run] [--force]
 *
 * The system tracer from outside the image (engine/trace.h): writes a new
 * image holding only what is reachable, compacted, and reports what was
 * dropped per class, what the clamps cut and what was replaced.  A --clamp
 * path that names a class in the class table clamps all its instances;
 * any other path clamps that one object.  --replace splits FROM=TO at the
 * first '='.  Every bad reference skipped is listed (up to 1000; the count
 * is exact).  Exit status 1 when the source had bad references that were
 * skipped (the image is written all the same). */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include "thaw-cli.h"
#include "class-info.h"
#include "image-write.h"
#include "path.h"
#include "trace.h"

static uint64_t
path_bytes (const char *path)
{
  struct stat st;
  if (stat (path, &st) != 0)
    return 0;
  if (!S_ISDIR (st.st_mode))
    return (uint64_t) st.st_size;
  uint64_t total = 0;
  GDir *d = g_dir_open (path, 0, NULL);
  if (d == NULL)
    return 0;
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (path, name, NULL);
      if (stat (p, &st) == 0 && S_ISREG (st.st_mode))
        total += (uint64_t) st.st_size;
    }
  g_dir_close (d);
  return total;
}

static void
report_counts (Report *r, const char *key, GArray *counts, guint limit)
{
  report_begin_list (r, key);
  for (guint i = 0; i < counts->len && i < limit; i++)
    {
      const StTraceClassCount *c = &g_array_index (counts, StTraceClassCount, i);
      report_begin_object (r, NULL);
      report_str (r, "class", c->class_name);
      report_uint (r, "class_index", c->class_index);
      report_uint (r, "objects", c->objects);
      report_uint (r, "bytes", c->bytes);
      report_end_object (r);
    }
  report_end_list (r);
}

int
cli_trace (int argc, char **argv)
{
  gboolean json = FALSE, force = FALSE, dry_run = FALSE;
  char *out = NULL, *to = NULL;
  char **clamps = NULL, **replaces = NULL;
  int top = 20;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Where to write the traced image (required unless --dry-run)", "OUT" },
    { "clamp", 0, 0, G_OPTION_ARG_STRING_ARRAY, &clamps, "Leave out this object, or all instances of this class (repeatable)", "PATH" },
    { "replace", 0, 0, G_OPTION_ARG_STRING_ARRAY, &replaces, "Write references to FROM as references to TO (repeatable)", "FROM=TO" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, "Format: spur64, spur32, folder, v3 or same (default)", "KIND" },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, "Report what would be dropped; write nothing", NULL },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force, "Replace OUT if it exists", NULL },
    { "top", 0, 0, G_OPTION_ARG_INT, &top, "Classes listed per table (default 20)", "N" },
    { NULL }
  };
  if (!cli_parse (&argc, &argv, entries, &json))
    return CLI_EXIT_ERROR;
  g_autofree char *out_path = out;
  g_autofree char *to_name = to;
  g_auto (GStrv) clamp_paths = clamps;
  g_auto (GStrv) replace_specs = replaces;
  if (argc != 2 || (out_path == NULL && !dry_run))
    {
      cli_error ("expects one IMAGE and -o OUT, or --dry-run (try --help)");
      return CLI_EXIT_ERROR;
    }
  StImageKind kind = ST_IMAGE_KIND_SAME;
  if (to_name != NULL && !st_image_kind_from_string (to_name, &kind))
    {
      cli_error ("unknown format '%s': use spur64, spur32, folder, v3 or same", to_name);
      return CLI_EXIT_ERROR;
    }
  StVM *vm = cli_load (argv[1], ST_READ_SALVAGE);
  if (vm == NULL)
    return CLI_EXIT_ERROR;
  int status = CLI_EXIT_ERROR;
  StVM *nv = NULL;
  StPrinter *p = st_printer_new (vm);
  StTraceReport rep = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (StTraceSpec) spec = st_trace_spec_new (p, (const char *const *) clamp_paths,
                                                    (const char *const *) replace_specs, dry_run, &error);
  if (spec == NULL)
    {
      cli_error ("%s", error->message);
      goto done;
    }
  GArray *clamp_targets = spec->clamp_targets, *clamp_is_class = spec->clamp_is_class;
  GArray *from = spec->replace_from, *to_oops = spec->replace_to;
  nv = st_trace (vm, &spec->options, &rep, &error);
  if (error != NULL)
    {
      cli_error ("%s", error->message);
      goto done;
    }
  gint64 t0 = g_get_monotonic_time ();
  uint64_t written = 0;
  if (!dry_run)
    {
      StWriteFlags flags = force ? ST_WRITE_FORCE : 0;
      if (!st_image_write (nv, out_path, kind, flags, &error))
        {
          cli_error ("%s", error->message);
          goto done;
        }
      written = path_bytes (out_path);
    }
  double write_secs = (double) (g_get_monotonic_time () - t0) / 1e6;

  Report *r = report_new (stdout, json);
  report_begin_object (r, NULL);
  report_str (r, "input", vm->image_path);
  report_uint (r, "input_bytes", path_bytes (vm->image_path));
  report_str (r, "output", dry_run ? NULL : out_path);
  report_str (r, "output_kind", dry_run ? NULL : st_image_kind_to_string (st_image_kind_resolve (nv, kind)));
  report_uint (r, "output_bytes", written);
  report_bool (r, "dry_run", dry_run);
  report_begin_object (r, "before");
  report_uint (r, "objects", rep.objects_before);
  report_uint (r, "bytes", rep.bytes_before);
  report_uint (r, "free_chunks", rep.free_chunks_before);
  report_uint (r, "free_bytes", rep.free_bytes_before);
  report_uint (r, "heap_bytes", rep.heap_bytes_before);
  report_uint (r, "classes", rep.classes_before);
  report_end_object (r);
  report_begin_object (r, "after");
  report_uint (r, "objects", rep.objects_after);
  report_uint (r, "bytes", rep.bytes_after);
  report_uint (r, "heap_bytes", rep.heap_bytes_after);
  report_uint (r, "classes", rep.classes_after);
  report_uint (r, "live_objects", rep.live_objects);
  report_uint (r, "live_bytes", rep.live_bytes);
  report_end_object (r);
  report_begin_object (r, "garbage");
  report_uint (r, "objects", rep.garbage_objects);
  report_uint (r, "bytes", rep.garbage_bytes);
  report_counts (r, "by_class", rep.garbage_by_class, (guint) MAX (top, 0));
  report_end_object (r);
  report_begin_object (r, "clamps");
  report_begin_list (r, "list");
  for (guint i = 0; clamp_paths != NULL && clamp_paths[i] != NULL; i++)
    {
      StOop o = g_array_index (clamp_targets, StOop, i);
      g_autofree char *cls = st_class_name_of (vm, o);
      gboolean is_class = g_array_index (clamp_is_class, gboolean, i);
      g_autofree char *name = is_class ? st_class_name (vm, o) : NULL;
      report_begin_object (r, NULL);
      report_str (r, "path", clamp_paths[i]);
      report_hex (r, "address", o);
      report_str (r, "clamps", is_class ? "all instances of the class" : "the object");
      report_str (r, is_class ? "class" : "object_class", is_class ? name : cls);
      report_end_object (r);
    }
  report_end_list (r);
  report_uint (r, "clamped_objects", spec->clamp_oops->len);
  report_uint (r, "clamped_classes", spec->clamp_classes->len);
  report_uint (r, "objects_left_out", rep.clamped_objects);
  report_uint (r, "references_set_to_nil", rep.clamped_refs);
  report_uint (r, "cut_objects", rep.cut_objects);
  report_uint (r, "cut_bytes", rep.cut_bytes);
  report_counts (r, "cut_by_class", rep.cut_by_class, (guint) MAX (top, 0));
  report_end_object (r);
  report_begin_object (r, "replacements");
  report_uint (r, "pairs", from->len);
  report_begin_list (r, "list");
  for (guint i = 0; i < from->len; i++)
    {
      StOop a = g_array_index (from, StOop, i), b = g_array_index (to_oops, StOop, i);
      g_autofree char *ca = st_class_name_of (vm, a), *cb = st_class_name_of (vm, b);
      report_begin_object (r, NULL);
      report_str (r, "spec", replace_specs[i]);
      report_hex (r, "from", a);
      report_str (r, "from_class", ca);
      report_hex (r, "to", b);
      report_str (r, "to_class", cb);
      report_end_object (r);
    }
  report_end_list (r);
  report_uint (r, "references_replaced", rep.replaced_refs);
  report_end_object (r);
  report_uint (r, "bad_references", rep.bad_refs);
  report_begin_list (r, "bad_reference_list");
  for (guint i = 0; i < rep.bad->len; i++)
    {
      const StTraceBadRef *b = &g_array_index (rep.bad, StTraceBadRef, i);
      g_autofree char *cls = b->from != 0 ? st_class_name_of (vm, b->from) : NULL;
      report_begin_object (r, NULL);
      report_hex (r, "from", b->from);
      report_str (r, "from_class", cls);
      report_int (r, "field", b->field);
      report_hex (r, "value", b->value);
      report_end_object (r);
    }
  report_end_list (r);
  report_double (r, "trace_seconds", rep.seconds);
  report_double (r, "write_seconds", dry_run ? 0 : write_secs);
  report_double (r, "live_mb_per_second", rep.seconds > 0 ? rep.live_bytes / 1e6 / rep.seconds : 0);
  report_end_object (r);
  report_free (r);
  status = rep.bad_refs > 0 ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;

done:
  st_trace_report_clear (&rep);
  st_printer_free (p);
  if (nv != NULL)
    st_vm_free (nv);
  st_vm_free (vm);
  return status;
}
