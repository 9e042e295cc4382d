/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli info IMAGE: every header field, the personality, the segments. */
#include "config.h"

#include "thaw-cli.h"

static const struct { guint64 bit; const char *name; const char *meaning; } header_flag_bits[] = {
  { 1, "fullScreen", "open the display full screen" },
  { 2, "imageFloatsLittleEndian", "boxed Floats are stored in little-endian word order" },
  { 4, "processHasThreadAffinity", "processes are bound to threads (multithreaded VM)" },
  { 8, "flagInterpretedMethods", "the JIT flags methods it interprets (Cog)" },
  { 16, "preemptionDoesNotYield", "a preempted process stays at the head of its run queue" },
  { 32, "noThreadingOfGUIThread", "the GUI thread is not threaded (multithreaded VM)" },
  { 64, "newFinalization", "ephemerons and the new finalization scheme" },
  { 128, "sendWheelEvents", "mouse wheel events are sent as wheel events" },
  { 256, "noMixedArithmetic", "primitives do not mix SmallInteger and Float arithmetic" },
  { 1024, "noUpscaleDisplayIfHighDPI", "the display is not scaled up on high-DPI screens" },
};

static void
report_flags (Report *r, guint64 flags)
{
  report_begin_list (r, "header_flags_decoded");
  guint64 known = 0;
  for (gsize i = 0; i < G_N_ELEMENTS (header_flag_bits); i++)
    {
      known |= header_flag_bits[i].bit;
      report_begin_object (r, NULL);
      report_uint (r, "bit", header_flag_bits[i].bit);
      report_str (r, "name", header_flag_bits[i].name);
      report_bool (r, "set", (flags & header_flag_bits[i].bit) != 0);
      report_str (r, "meaning", header_flag_bits[i].meaning);
      report_end_object (r);
    }
  report_end_list (r);
  report_hex (r, "header_flags_unknown_bits", flags & ~known);
}

int
cli_info (int argc, char **argv)
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

  const StImageHeader *h = &vm->header;
  const StPersonality *p = &vm->personality;
  Report *r = report_new (stdout, json);
  report_begin_object (r, NULL);
  report_str (r, "image", vm->image_path);

  report_begin_object (r, "header");
  report_uint (r, "image_format", h->image_format);
  report_str (r, "image_format_meaning", st_image_format_describe (h->image_format));
  report_uint (r, "header_size", h->header_size);
  report_uint (r, "data_size", h->data_size);
  report_hex (r, "old_base_address", h->old_base_addr);
  report_hex (r, "special_objects_oop", h->special_objects_oop);
  report_hex (r, "last_hash", h->last_hash);
  report_hex (r, "saved_window_size", h->saved_window_size);
  report_strf (r, "saved_window_extent", "%ux%u",
               (guint) ((h->saved_window_size >> 16) & 0xFFFF), (guint) (h->saved_window_size & 0xFFFF));
  report_hex (r, "header_flags", h->header_flags);
  report_flags (r, h->header_flags);
  report_uint (r, "extra_vm_memory", h->extra_vm_memory);
  report_uint (r, "num_stack_pages", h->num_stack_pages);
  report_uint (r, "cog_code_size_kib", h->cog_code_size);
  report_uint (r, "eden_bytes", h->eden_bytes);
  report_uint (r, "max_ext_sem_tab_size", h->max_ext_sem_tab_size);
  report_uint (r, "image_version", h->image_version);
  report_uint (r, "first_segment_size", h->first_seg_size);
  report_uint (r, "free_old_space", h->free_old_space);
  report_end_object (r);

  report_begin_object (r, "personality");
  report_str (r, "family", p->family == ST_FAMILY_SPUR ? "Spur" : "V3");
  report_uint (r, "word_bits", p->word_bytes * 8);
  report_str (r, "byte_order", p->big_endian ? "big-endian" : "little-endian");
  report_uint (r, "header_offset", p->header_offset);
  report_bool (r, "folder_format", p->folder);
  report_bool (r, "closures", p->closures);
  report_bool (r, "sista", p->sista);
  report_bool (r, "native_float_order", p->native_floats);
  report_end_object (r);

  report_begin_list (r, "segments");
  for (guint i = 0; i < vm->n_segments; i++)
    {
      const StSegment *s = &vm->segments[i];
      report_begin_object (r, NULL);
      report_uint (r, "index", i);
      report_hex (r, "start", s->start);
      report_uint (r, "size", s->bytes);
      report_hex (r, "file_start", s->file_start);
      report_uint (r, "file_offset", s->file_offset);
      uint64_t span = 0;
      if (i + 1 < vm->n_segments)
        span = vm->segments[i + 1].start - (s->start + s->bytes);
      report_uint (r, "bridge_span", span);
      report_end_object (r);
    }
  report_end_list (r);

  report_str (r, "changes_file", vm->changes_path);
  report_str (r, "sources_file", vm->sources_path);
  report_end_object (r);
  report_free (r);
  st_vm_free (vm);
  return CLI_EXIT_OK;
}
