/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli source IMAGE PATH | --stack: a method's source from the
 * .sources/.changes files through its trailer, or, when there is none,
 * Smalltalk rebuilt from the bytecodes, marked "decompiled". */
#include "config.h"

#include "thaw-cli.h"
#include "decompile.h"
#include "disasm.h"
#include "path.h"
#include "source.h"

/* Report one method's source; FALSE when neither source nor a decompiled
 * text could be produced. */
static bool
report_source (Report *r, StPrinter *p, StOop method, bool force_decompile)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *text = NULL;
  g_autofree char *title = st_printer_print (p, method, 200);
  report_str (r, "method", title);
  report_hex (r, "address", method);
  if (!force_decompile)
    text = st_source_of_method (p, method, &origin, &error);
  if (text != NULL)
    {
      report_bool (r, "decompiled", FALSE);
      report_str (r, "origin", origin);
      if (report_is_json (r))
        report_str (r, "source", text);
      else
        report_text (r, "source:\n%s", text);
      return true;
    }
  if (error != NULL)
    report_str (r, "no_source_because", error->message);
  g_autoptr (GError) derr = NULL;
  g_autofree char *dec = st_decompile_method (p, method, &derr);
  if (dec == NULL)
    {
      report_str (r, "error", derr->message);
      return false;
    }
  report_bool (r, "decompiled", TRUE);
  if (report_is_json (r))
    report_str (r, "source", dec);
  else
    report_text (r, "source (decompiled):\n%s", dec);
  return true;
}

int
cli_source (int argc, char **argv)
{
  gboolean json = FALSE, stack = FALSE, decompile = FALSE;
  int max_frames = 200;
  const GOptionEntry entries[] = {
    { "stack", 's', 0, G_OPTION_ARG_NONE, &stack, "The source of every frame of the active process", NULL },
    { "decompile", 'd', 0, G_OPTION_ARG_NONE, &decompile, "Decompile even when the source files have the source", NULL },
    { "max-frames", 0, 0, G_OPTION_ARG_INT, &max_frames, "With --stack: at most this many frames (200)", "N" },
    { NULL }
  };
  if (!cli_parse (&argc, &argv, entries, &json))
    return CLI_EXIT_ERROR;
  if (argc != (stack ? 2 : 3))
    {
      cli_error ("expects IMAGE and a PATH ('Foo>>bar', 'Foo class>>bar', a context path), or IMAGE --stack (try --help)");
      return CLI_EXIT_ERROR;
    }
  StVM *vm = cli_load (argv[1], ST_READ_SALVAGE);
  if (vm == NULL)
    return CLI_EXIT_ERROR;
  StPrinter *p = st_printer_new (vm);
  StOop method = 0;
  if (!stack)
    {
      g_autoptr (GError) error = NULL;
      StPathTarget t;
      if (!st_path_resolve (p, argv[2], &t, &error))
        {
          cli_error ("%s", error->message);
          st_printer_free (p);
          st_vm_free (vm);
          return CLI_EXIT_ERROR;
        }
      method = st_printer_is_context (p, t.value) ? st_printer_context_method (p, t.value) : t.value;
      if (method == 0 || !st_printer_is_object (vm, method) || !st_fmt_is_method (st_format (vm, method)))
        {
          g_autofree char *what = st_printer_print (p, t.value, 120);
          cli_error ("%s is %s, not a method or a context", argv[2], what);
          st_printer_free (p);
          st_vm_free (vm);
          return CLI_EXIT_ERROR;
        }
    }
  int status = CLI_EXIT_OK;
  Report *r = report_new (stdout, json);
  report_begin_object (r, NULL);
  report_str (r, "image", vm->image_path);
  report_str (r, "sources_file", vm->sources_path);
  report_str (r, "changes_file", vm->changes_path);
  if (stack)
    {
      g_autoptr (GArray) frames = st_disasm_active_stack (p, max_frames > 0 ? (guint) max_frames : 200);
      report_uint (r, "frames", frames->len);
      report_begin_list (r, "stack");
      for (guint i = 0; i < frames->len; i++)
        {
          StOop ctx = g_array_index (frames, StOop, i);
          g_autofree char *ctitle = st_printer_print (p, ctx, 200);
          report_begin_object (r, NULL);
          report_text (r, "%s", "");
          report_text (r, "=== frame %u: %s", i, ctitle);
          report_uint (r, "frame", i);
          report_str (r, "context_print", ctitle);
          StOop m = st_printer_context_method (p, ctx);
          if (m == 0)
            {
              report_str (r, "error", "the context has no readable method");
              status = CLI_EXIT_FINDINGS;
            }
          else if (!report_source (r, p, m, decompile))
            status = CLI_EXIT_FINDINGS;
          report_end_object (r);
        }
      report_end_list (r);
      if (frames->len == 0)
        {
          report_str (r, "error", "the image has no active process with a context");
          status = CLI_EXIT_FINDINGS;
        }
    }
  else if (!report_source (r, p, method, decompile))
    status = CLI_EXIT_FINDINGS;
  report_end_object (r);
  report_free (r);
  st_printer_free (p);
  st_vm_free (vm);
  return status;
}
