/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli inspect IMAGE [PATH]: one object, its slots and their prints. */
#include "config.h"

#include "thaw-cli.h"
#include "mirror.h"
#include "path.h"
#include "printer.h"

static const char *
slot_kind_name (StMirrorSlotKind k)
{
  switch (k)
    {
    case ST_MIRROR_SLOT_NAMED: return "named";
    case ST_MIRROR_SLOT_INDEXED: return "indexed";
    case ST_MIRROR_SLOT_HEADER: return "header";
    case ST_MIRROR_SLOT_LITERAL: return "literal";
    case ST_MIRROR_SLOT_ELEMENT: return "element";
    }
  return "?";
}

int
cli_inspect (int argc, char **argv)
{
  gboolean json = FALSE;
  int max_slots = 64;
  const GOptionEntry entries[] = {
    { "max", 'n', 0, G_OPTION_ARG_INT, &max_slots, "List at most N indexed slots (default 64)", "N" },
    { NULL }
  };
  if (!cli_parse (&argc, &argv, entries, &json))
    return CLI_EXIT_ERROR;
  if (argc != 2 && argc != 3)
    {
      cli_error ("expects IMAGE and an optional PATH (try --help)");
      return CLI_EXIT_ERROR;
    }
  const char *path = argc == 3 ? argv[2] : "special";
  StVM *vm = cli_load (argv[1], ST_READ_STRICT);
  if (vm == NULL)
    return CLI_EXIT_ERROR;
  StPrinter *p = st_printer_new (vm);
  g_autoptr (GError) error = NULL;
  StPathTarget t;
  if (!st_path_resolve (p, path, &t, &error))
    {
      cli_error ("%s", error->message);
      st_printer_free (p);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }
  g_autoptr (StMirror) m = st_mirror_of (vm, NULL, t.value, max_slots > 0 ? (guint) max_slots : 1, &error);
  if (m == NULL)
    {
      cli_error ("path '%s': %s", path, error->message);
      st_printer_free (p);
      st_vm_free (vm);
      return CLI_EXIT_ERROR;
    }
  Report *r = report_new (stdout, json);
  report_begin_object (r, NULL);
  report_str (r, "path", path);
  report_str (r, "print", m->print);
  report_str (r, "class", m->class_name);
  if (m->immediate)
    report_str (r, "kind", "immediate");
  else
    {
      report_hex (r, "address", m->address);
      report_uint (r, "format", m->format);
      report_str (r, "format_name", m->format_name);
      report_uint (r, "class_index", m->class_index);
      report_uint (r, "identity_hash", m->identity_hash);
      report_uint (r, "num_slots", m->num_slots);
      report_uint (r, "named_count", m->named_count);
      report_uint (r, "indexable_count", m->indexable_count);
      report_uint (r, "byte_size", m->byte_size);
      report_bool (r, "is_class", m->is_class);
      report_bool (r, "immutable", m->immutable);
      report_bool (r, "pinned", m->pinned);
    }
  if (t.container != 0)
    {
      g_autofree char *cp = st_printer_print (p, t.container, 60);
      report_strf (r, "reached_from", "slot %" G_GUINT64_FORMAT " of %s (0x%" G_GINT64_MODIFIER "x)", t.slot, cp,
                   t.container);
    }
  report_begin_list (r, "slots");
  for (guint i = 0; i < m->slots->len; i++)
    {
      StMirrorSlot *s = m->slots->pdata[i];
      report_begin_object (r, NULL);
      report_str (r, "name", s->name);
      report_str (r, "kind", slot_kind_name (s->kind));
      report_str (r, "step", s->step);
      report_str (r, "class", s->class_name);
      report_str (r, "print", s->print);
      if (!s->immediate && s->address != 0)
        report_hex (r, "address", s->address);
      report_end_object (r);
    }
  report_end_list (r);
  if (m->slots_omitted > 0)
    report_uint (r, "slots_omitted", m->slots_omitted);
  report_end_object (r);
  report_free (r);
  st_printer_free (p);
  st_vm_free (vm);
  return CLI_EXIT_OK;
}
