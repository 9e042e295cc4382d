/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli disasm IMAGE PATH | --stack: bytecodes of a method, a context's
 * method with its pc marked, or every frame of the active process. */
#include "config.h"

#include "thaw-cli.h"
#include "disasm.h"
#include "path.h"

static const char *
set_name (StBytecodeSet set)
{
  switch (set)
    {
    case ST_BYTECODE_SET_V3: return "V3 (BlockContexts, no closure bytecodes)";
    case ST_BYTECODE_SET_V3_CLOSURES: return "V3PlusClosures";
    case ST_BYTECODE_SET_SISTA_V1: return "SistaV1";
    }
  return "?";
}

static void
report_disasm (Report *r, StVM *vm, StDisasm *d)
{
  const StMethodHeader *h = &d->header;
  report_str (r, "method", d->title);
  report_hex (r, "address", d->method);
  report_str (r, "kind", d->is_block ? "CompiledBlock" : "CompiledMethod");
  report_str (r, "bytecode_set", set_name (h->bytecode_set));
  report_uint (r, "num_args", h->num_args);
  report_uint (r, "num_temps", h->num_temps);
  report_uint (r, "num_literals", h->num_literals);
  report_uint (r, "primitive", h->primitive);
  report_bool (r, "large_frame", h->large_frame);
  report_strf (r, "pc_convention", "1-based byte index as the image sees it (%u-bit words: bytecodes start at %u*%u+%u)",
               d->word_bytes * 8, d->word_bytes, h->num_literals, d->word_bytes + 1);
  report_uint (r, "initial_pc", d->initial_pc);
  report_uint (r, "end_pc", d->end_pc);
  if (d->has_current)
    report_uint (r, "current_pc", d->current_pc);
  if (d->has_trailer)
    {
      report_begin_object (r, "trailer");
      report_str (r, "kind", st_trailer_kind_name (d->trailer.kind));
      report_uint (r, "size", d->trailer.size);
      if (d->trailer.kind == ST_TRAILER_SOURCE_POINTER || d->trailer.kind == ST_TRAILER_VAR_SOURCE_POINTER)
        report_hex (r, "source_pointer", d->trailer.source_pointer);
      report_end_object (r);
    }
  if (d->warning)
    report_str (r, "warning", d->warning);
  report_begin_list (r, "literals");
  for (guint i = 0; i < d->literals->len; i++)
    {
      if (report_is_json (r))
        report_str (r, NULL, g_ptr_array_index (d->literals, i));
      else
        report_text (r, "  %u: %s", i, (const char *) g_ptr_array_index (d->literals, i));
    }
  report_end_list (r);
  report_begin_list (r, "instructions");
  for (guint i = 0; i < d->lines->len; i++)
    {
      const StDisasmLine *l = &g_array_index (d->lines, StDisasmLine, i);
      if (report_is_json (r))
        {
          report_begin_object (r, NULL);
          report_uint (r, "pc", l->pc);
          report_str (r, "bytes", l->bytes);
          report_str (r, "mnemonic", l->mnemonic);
          report_str (r, "operands", l->operands);
          if (l->has_target)
            report_uint (r, "target", l->target_pc);
          report_uint (r, "block_depth", l->depth);
          if (l->is_current)
            report_bool (r, "current", TRUE);
          if (l->is_pending)
            report_bool (r, "pending_send", TRUE);
          report_end_object (r);
        }
      else
        {
          g_autofree char *pad = g_strnfill (l->depth * 2, ' ');
          report_text (r, "%s %5" G_GUINT64_FORMAT " <%s> %s%s%s%s", l->is_current ? "->" : l->is_pending ? "=>" : "  ",
                       l->pc, l->bytes, pad, l->mnemonic, *l->operands ? " " : "", l->operands);
        }
    }
  report_end_list (r);
  (void) vm;
  if (d->blocks->len > 0)
    {
      report_begin_list (r, "blocks");
      for (guint i = 0; i < d->blocks->len; i++)
        {
          report_begin_object (r, NULL);
          report_disasm (r, vm, g_ptr_array_index (d->blocks, i));
          report_end_object (r);
        }
      report_end_list (r);
    }
}

/* Disassemble what a context runs, its pc marked; for a full-block
 * context that is the CompiledBlock itself. */
static StDisasm *
disasm_context (StPrinter *p, StOop ctx, bool pending, GError **error)
{
  StVM *vm = st_printer_vm (p);
  StOop method = st_printer_context_method (p, ctx);
  if (method == 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID, "context 0x%" G_GINT64_MODIFIER "x has no readable method",
                   ctx);
      return NULL;
    }
  StOop pc = st_fetch (vm, ctx, 1);
  int64_t heap_pc = st_is_smallint (pc) ? st_smallint_value (pc) : 0;
  return st_disasm_method (p, method, heap_pc > 0 ? heap_pc : 0, pending, error);
}

int
cli_disasm (int argc, char **argv)
{
  gboolean json = FALSE, stack = FALSE;
  int max_frames = 200;
  const GOptionEntry entries[] = {
    { "stack", 's', 0, G_OPTION_ARG_NONE, &stack, "Disassemble every frame of the active process", NULL },
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
  int status = CLI_EXIT_OK;
  g_autoptr (StDisasm) single = NULL;
  StOop single_ctx = 0;
  if (!stack)
    {
      g_autoptr (GError) error = NULL;
      StPathTarget t;
      if (st_path_resolve (p, argv[2], &t, &error))
        {
          if (st_printer_is_context (p, t.value))
            {
              /* A sender frame is in the middle of a send; the active
               * process's innermost frame is about to run its pc. */
              GArray *top = st_disasm_active_stack (p, 1);
              bool innermost = top->len == 1 && g_array_index (top, StOop, 0) == t.value;
              g_array_unref (top);
              single_ctx = t.value;
              single = disasm_context (p, t.value, !innermost, &error);
            }
          else
            single = st_disasm_method (p, t.value, 0, false, &error);
        }
      if (single == NULL)
        {
          cli_error ("%s", error->message);
          st_printer_free (p);
          st_vm_free (vm);
          return CLI_EXIT_ERROR;
        }
    }
  Report *r = report_new (stdout, json);
  report_begin_object (r, NULL);
  report_str (r, "image", vm->image_path);
  if (stack)
    {
      g_autoptr (GArray) frames = st_disasm_active_stack (p, max_frames > 0 ? (guint) max_frames : 200);
      report_uint (r, "frames", frames->len);
      report_begin_list (r, "stack");
      for (guint i = 0; i < frames->len; i++)
        {
          StOop ctx = g_array_index (frames, StOop, i);
          g_autoptr (GError) error = NULL;
          g_autofree char *title = st_printer_print (p, ctx, 200);
          report_begin_object (r, NULL);
          report_text (r, "%s", "");
          report_text (r, "=== frame %u: %s", i, title);
          report_uint (r, "frame", i);
          report_hex (r, "context", ctx);
          report_str (r, "context_print", title);
          g_autoptr (StDisasm) d = disasm_context (p, ctx, i > 0, &error);
          if (d == NULL)
            {
              report_str (r, "error", error->message);
              status = CLI_EXIT_FINDINGS;
            }
          else
            report_disasm (r, vm, d);
          report_end_object (r);
        }
      report_end_list (r);
      if (frames->len == 0)
        {
          report_str (r, "error", "the image has no active process with a context");
          status = CLI_EXIT_FINDINGS;
        }
    }
  else
    {
      if (single_ctx != 0)
        {
          g_autofree char *title = st_printer_print (p, single_ctx, 200);
          report_hex (r, "context", single_ctx);
          report_str (r, "context_print", title);
        }
      report_disasm (r, vm, single);
    }
  report_end_object (r);
  report_free (r);
  st_printer_free (p);
  st_vm_free (vm);
  return status;
}
