/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Disassembly, method source and the decompiler on real images. */
#include "config.h"

#include <string.h>

#include "decompile.h"
#include "disasm.h"
#include "image-read.h"
#include "path.h"
#include "source.h"
#include "support.h"

static StVM *
load (const char *folder, const char *file)
{
  g_autofree char *path = thaw_test_real_image (folder, file);
  if (path == NULL)
    return NULL;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_SALVAGE, &error);
  if (vm == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("%s cannot be read here: %s", path, error->message);
      g_test_skip (msg);
    }
  return vm;
}

static StOop
resolve (StPrinter *p, const char *path)
{
  StPathTarget t;
  g_autoptr (GError) error = NULL;
  if (!st_path_resolve (p, path, &t, &error))
    g_error ("%s: %s", path, error->message);
  return t.value;
}

/* The methods of a class's own method dictionary. */
static GArray *
methods_of (StPrinter *p, StOop cls)
{
  StVM *vm = st_printer_vm (p);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (StOop));
  StOop md = st_fetch (vm, cls, 1);
  g_assert_true (st_printer_is_object (vm, md));
  uint64_t fixed = st_fixed_count (vm, md), total = st_num_slots (vm, md);
  StOop values = 0;
  for (uint64_t i = 0; i < fixed; i++)
    {
      StOop v = st_fetch (vm, md, i);
      if (st_printer_is_object (vm, v) && st_format (vm, v) == ST_FMT_INDEXABLE && st_num_slots (vm, v) == total - fixed)
        values = v;
    }
  g_assert_true (values != 0);
  for (uint64_t i = 0; i < total - fixed; i++)
    {
      StOop m = st_fetch (vm, values, i);
      if (st_printer_is_object (vm, m) && st_fmt_is_method (st_format (vm, m)))
        g_array_append_val (out, m);
    }
  return out;
}

/* The message keywords of a method pattern line: "at: a put: b" -> "at:put:". */
static char *
pattern_selector (const char *text)
{
  while (*text == ' ' || *text == '\t' || *text == '\n')
    text++;
  g_autofree char *line = g_strndup (text, strcspn (text, "\n\""));
  g_auto (GStrv) words = g_strsplit_set (line, " \t", -1);
  GString *s = g_string_new (NULL);
  bool keyword = false;
  for (guint i = 0; words[i]; i++)
    if (g_str_has_suffix (words[i], ":") && !keyword)
      {
        g_string_append (s, words[i]);
        keyword = true;
      }
    else if (*words[i] && keyword)
      keyword = false;
    else if (*words[i] && s->len == 0)
      {
        g_string_append (s, words[i]);
        break;
      }
  return g_string_free (s, FALSE);
}

/* Every method of the heap: disassembled, decompiled; counts of what went wrong. */
typedef struct {
  guint methods, truncated, unknown, unstructured, decompiled, sista;
} Sweep;

static void
sweep (StVM *vm, StPrinter *p, Sweep *out, guint max)
{
  memset (out, 0, sizeof *out);
  StTrailerStyle style = st_source_trailer_style (p);
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0 && out->methods < max)
    {
      if (st_class_index (vm, o) < ST_CLASS_INDEX_FIRST_REAL || !st_fmt_is_method (st_format (vm, o)))
        continue;
      if (st_disasm_is_compiled_block (p, o))
        continue;
      out->methods++;
      g_autoptr (GError) error = NULL;
      g_autoptr (StDisasm) d = st_disasm_method_styled (p, o, style, 0, false, &error);
      g_assert_no_error (error);
      g_assert_nonnull (d);
      out->sista += d->header.bytecode_set == ST_BYTECODE_SET_SISTA_V1;
      if (d->warning)
        out->truncated++;
      for (guint i = 0; i < d->lines->len; i++)
        if (g_array_index (d->lines, StDisasmLine, i).instr.op == ST_OP_UNKNOWN)
          {
            out->unknown++;
            break;
          }
      g_autofree char *text = st_decompile_method (p, o, &error);
      g_assert_no_error (error);
      g_assert_true (strstr (text, "\"decompiled\"") != NULL);
      out->decompiled++;
      if (strstr (text, "\"unstructured") != NULL || strstr (text, "\"?\"") != NULL)
        out->unstructured++;
    }
  g_test_message ("%u methods (%u SistaV1): %u with an instruction running into the trailer, %u with unknown "
                  "bytecodes, %u decompiled, %u with unstructured parts",
                  out->methods, out->sista, out->truncated, out->unknown, out->decompiled, out->unstructured);
}

/* ---- cuis4.1: every frame's source; the decompiler's shape ---- */

static void
test_cuis41_stack (void)
{
  StVM *vm = load ("cuis4.1", "Cuis4.1-1544-reduced.image");
  if (vm == NULL)
    return;
  StPrinter *p = st_printer_new (vm);
  g_assert_nonnull (vm->sources_path);
  g_assert_nonnull (vm->changes_path);
  g_autoptr (GArray) frames = st_disasm_active_stack (p, 500);
  g_assert_cmpuint (frames->len, >, 10);
  guint from_changes = 0;
  for (guint i = 0; i < frames->len; i++)
    {
      StOop ctx = g_array_index (frames, StOop, i);
      StOop m = st_printer_context_method (p, ctx);
      g_assert_true (m != 0);
      StOop cls = 0;
      g_autofree char *sel = NULL;
      st_printer_method_info (p, m, &cls, &sel, NULL);
      g_assert_nonnull (sel);
      g_autoptr (GError) error = NULL;
      g_autofree char *origin = NULL;
      g_autofree char *src = st_source_of_method (p, m, &origin, &error);
      g_assert_no_error (error);
      /* The chunk is that method's: its pattern names the selector. */
      g_autofree char *pat = pattern_selector (src);
      g_assert_cmpstr (pat, ==, sel);
      g_assert_null (strstr (origin, "warning"));
      from_changes += strstr (origin, ".changes") != NULL;
      /* Its disassembly marks the frame's pc. */
      StOop pc = st_fetch (vm, ctx, 1);
      g_autoptr (StDisasm) d = st_disasm_method (p, m, st_smallint_value (pc), i > 0, &error);
      g_assert_no_error (error);
      guint current = 0, pending = 0;
      for (guint k = 0; k < d->lines->len; k++)
        {
          const StDisasmLine *l = &g_array_index (d->lines, StDisasmLine, k);
          current += l->is_current;
          pending += l->is_pending;
        }
      g_assert_cmpuint (current, ==, 1);
      if (i > 0)
        {
          g_assert_cmpuint (pending, ==, 1);
          /* A sender waits in the middle of a send. */
          for (guint k = 0; k < d->lines->len; k++)
            {
              const StDisasmLine *l = &g_array_index (d->lines, StDisasmLine, k);
              if (l->is_pending)
                g_assert_true (l->instr.op == ST_OP_SEND || l->instr.op == ST_OP_SEND_SPECIAL
                               || l->instr.op == ST_OP_SUPER_SEND);
            }
        }
      /* 32-bit image: pcs are counted with 4-byte literals. */
      g_assert_cmpuint (d->initial_pc, ==, 4 * d->header.num_literals + 5);
    }
  g_test_message ("%u frames, %u with their source in the .changes file", frames->len, from_changes);
  st_printer_free (p);
  st_vm_free (vm);
}

static void
test_cuis41_decompile_shape (void)
{
  StVM *vm = load ("cuis4.1", "Cuis4.1-1544-reduced.image");
  if (vm == NULL)
    return;
  StPrinter *p = st_printer_new (vm);
  const char *classes[] = { "OrderedCollection", "String", "SystemDictionary", "Rectangle", "Dictionary" };
  guint total = 0, same_pattern = 0, with_source = 0;
  for (gsize c = 0; c < G_N_ELEMENTS (classes); c++)
    {
      g_autoptr (GArray) ms = methods_of (p, resolve (p, classes[c]));
      for (guint i = 0; i < ms->len; i++)
        {
          StOop m = g_array_index (ms, StOop, i);
          g_autoptr (GError) error = NULL;
          g_autofree char *dec = st_decompile_method (p, m, &error);
          g_assert_no_error (error);
          g_assert_true (strstr (dec, "\n\t\"decompiled\"\n") != NULL);
          g_assert_null (strstr (dec, "unknown bytecode"));
          total++;
          g_autofree char *src = st_source_of_method (p, m, NULL, NULL);
          if (src == NULL)
            continue;
          with_source++;
          g_autofree char *a = pattern_selector (src);
          g_autofree char *b = pattern_selector (dec);
          same_pattern += strcmp (a, b) == 0;
        }
    }
  g_test_message ("%u methods decompiled, %u with source, %u with the same message pattern", total, with_source,
                  same_pattern);
  g_assert_cmpuint (total, >, 300);
  g_assert_cmpuint (with_source, ==, total);
  g_assert_cmpuint (same_pattern, ==, with_source);

  /* One method against its real source, for shape. */
  StOop m = resolve (p, "SystemDictionary>>snapshot:andQuit:");
  g_autofree char *src = st_source_of_method (p, m, NULL, NULL);
  g_autofree char *dec = st_decompile_method (p, m, NULL);
  g_assert_true (strstr (src, "self okayToSave ifFalse: [ ^ self ]") != NULL);
  g_assert_true (strstr (dec, "self okayToSave ifFalse: [^self]") != NULL);
  g_assert_true (strstr (dec, "ChangeSorter zapAllChangeSets") != NULL);
  g_assert_true (strstr (dec, "^self snapshot: arg1 andQuit: arg2 embedded: false") != NULL);
  /* A cascade, a value-if inside a keyword message, an inline block. */
  m = resolve (p, "SystemDictionary>>snapshot:andQuit:embedded:");
  g_free (dec);
  dec = st_decompile_method (p, m, NULL);
  g_assert_true (strstr (dec, "Transcript newLine; show: t2; newLine") != NULL);
  g_assert_true (strstr (dec, "String streamContents: [:t3 | t3 nextPutAll: '----';") != NULL);
  g_assert_true (strstr (dec, "^t1") != NULL);
  st_printer_free (p);
  st_vm_free (vm);
}

static void
test_cuis41_sweep (void)
{
  StVM *vm = load ("cuis4.1", "Cuis4.1-1544-reduced.image");
  if (vm == NULL)
    return;
  StPrinter *p = st_printer_new (vm);
  Sweep s;
  sweep (vm, p, &s, G_MAXUINT);
  g_assert_cmpuint (s.methods, >, 10000);
  g_assert_cmpuint (s.truncated, ==, 0);
  g_assert_cmpuint (s.unknown, ==, 0);
  g_assert_cmpuint (s.unstructured, <=, s.methods / 1000);
  st_printer_free (p);
  st_vm_free (vm);
}

/* ---- pharo8-kernel64: no source files, so decompiled ---- */

static void
test_pharo8_stack_decompiled (void)
{
  StVM *vm = load ("pharo8-kernel64", "Pharo.image");
  if (vm == NULL)
    return;
  StPrinter *p = st_printer_new (vm);
  g_assert_null (vm->sources_path);
  g_autoptr (GArray) frames = st_disasm_active_stack (p, 500);
  g_assert_cmpuint (frames->len, >=, 1);
  for (guint i = 0; i < frames->len; i++)
    {
      StOop ctx = g_array_index (frames, StOop, i);
      StOop m = st_printer_context_method (p, ctx);
      g_autoptr (GError) error = NULL;
      g_autofree char *src = st_source_of_method (p, m, NULL, &error);
      g_assert_null (src);
      g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID);
      g_clear_error (&error);
      g_autofree char *dec = st_decompile_method (p, m, &error);
      g_assert_no_error (error);
      g_test_message ("frame %u:\n%s", i, dec);
      g_assert_true (strstr (dec, "\"decompiled\"") != NULL);
      g_autoptr (StDisasm) d = st_disasm_method (p, m, st_smallint_value (st_fetch (vm, ctx, 1)), i > 0, &error);
      g_assert_no_error (error);
      g_assert_true (d->has_current);
      /* 64-bit image: pcs are counted with 8-byte literals. */
      g_assert_cmpuint (d->initial_pc, ==, 8 * d->header.num_literals + 9);
    }
  /* The bottom frame of this bootstrap image. */
  StOop m = st_printer_context_method (p, g_array_index (frames, StOop, 0));
  g_autofree char *dec = st_decompile_method (p, m, NULL);
  g_assert_true (strstr (dec, "^PharoBootstrapInitialization initializeImageOfType: 'Pharo' major: 8 minor: 0") != NULL);
  st_printer_free (p);
  st_vm_free (vm);
}

static void
test_pharo8_decompile_classes (void)
{
  StVM *vm = load ("pharo8-kernel64", "Pharo.image");
  if (vm == NULL)
    return;
  StPrinter *p = st_printer_new (vm);
  const char *classes[] = { "OrderedCollection", "Dictionary", "String", "Object", "Integer", "Object class" };
  guint total = 0;
  for (gsize c = 0; c < G_N_ELEMENTS (classes); c++)
    {
      g_autoptr (GArray) ms = methods_of (p, resolve (p, classes[c]));
      for (guint i = 0; i < ms->len; i++)
        {
          g_autoptr (GError) error = NULL;
          g_autofree char *dec = st_decompile_method (p, g_array_index (ms, StOop, i), &error);
          g_assert_no_error (error);
          g_assert_null (strstr (dec, "unknown bytecode"));
          total++;
        }
    }
  g_assert_cmpuint (total, >, 500);
  StOop m = resolve (p, "OrderedCollection>>do:");
  g_autofree char *dec = st_decompile_method (p, m, NULL);
  g_assert_true (strstr (dec, "firstIndex to: lastIndex do: [:t2 | arg1 value: (array at: t2)]") != NULL);
  g_free (dec);
  dec = st_decompile_method (p, resolve (p, "SmalltalkImage>>specialObjectsArray"), NULL);
  g_assert_true (strstr (dec, "^specialObjectsArray ifNil: [specialObjectsArray := self primitiveGetSpecialObjectsArray]")
                 != NULL);
  Sweep s;
  sweep (vm, p, &s, G_MAXUINT);
  g_assert_cmpuint (s.methods, >, 10000);
  g_assert_cmpuint (s.truncated, ==, 0);
  g_assert_cmpuint (s.unknown, ==, 0);
  g_assert_cmpuint (s.unstructured, <=, s.methods / 1000);
  st_printer_free (p);
  st_vm_free (vm);
}

/* ---- every other image: disassemble and decompile every method ---- */

static void
test_sweep_all (gconstpointer data)
{
  const ThawRealImage *ri = data;
  StVM *vm = load (ri->folder, ri->file);
  if (vm == NULL)
    return;
  StPrinter *p = st_printer_new (vm);
  Sweep s;
  sweep (vm, p, &s, G_MAXUINT);
  g_assert_cmpuint (s.methods, >, 100);
  g_assert_cmpuint (s.truncated, ==, 0);
  g_assert_cmpuint (s.unknown, ==, 0);
  g_assert_cmpuint (s.unstructured, <=, s.methods / 1000);
  /* SmallInteger>>+ is primitive 1 everywhere: the header decodes. */
  StPathTarget t;
  if (st_path_resolve (p, "SmallInteger>>+", &t, NULL))
    {
      StMethodHeader h;
      g_assert_true (st_method_header (vm, t.value, &h, NULL));
      g_assert_cmpuint (h.primitive, ==, 1);
      g_assert_cmpuint (h.num_args, ==, 1);
    }
  st_printer_free (p);
  st_vm_free (vm);
}

/* ---- the CLI ---- */

static void
test_cli (void)
{
  g_autofree char *cuis = thaw_test_real_image ("cuis4.1", "Cuis4.1-1544-reduced.image");
  if (cuis == NULL)
    return;
  g_autofree char *out = NULL, *err = NULL;
  int status;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "disasm", cuis, "OrderedCollection>>do:", NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_true (strstr (out, "bytecode_set: V3PlusClosures") != NULL);
  g_assert_true (strstr (out, "send: #value: (1 arg)") != NULL);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "source", "--json", cuis, "OrderedCollection>>do:", NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_true (strstr (out, "\"decompiled\": false") != NULL);
  g_assert_true (strstr (out, "do: aBlock") != NULL);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "disasm", cuis, "--stack", NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_true (strstr (out, "-> ") != NULL);
  g_assert_true (strstr (out, "=> ") != NULL);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "source", cuis, "NoSuchClass>>foo", NULL));
  g_assert_cmpint (status, ==, 2);
  g_assert_true (strstr (err, "NoSuchClass") != NULL);

  g_autofree char *pharo = thaw_test_real_image ("pharo8-kernel64", "Pharo.image");
  if (pharo == NULL)
    return;
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "source", pharo, "--stack", NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_true (strstr (out, "decompiled: yes") != NULL);
  g_assert_true (strstr (out, "\"decompiled\"") != NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/source/cuis41-stack", test_cuis41_stack);
  g_test_add_func ("/image/source/cuis41-decompile-shape", test_cuis41_decompile_shape);
  g_test_add_func ("/image/source/cuis41-sweep", test_cuis41_sweep);
  g_test_add_func ("/image/source/pharo8-stack-decompiled", test_pharo8_stack_decompiled);
  g_test_add_func ("/image/source/pharo8-decompile-classes", test_pharo8_decompile_classes);
  for (gsize i = 0; i < thaw_n_real_images; i++)
    {
      const ThawRealImage *ri = &thaw_real_images[i];
      if (strcmp (ri->folder, "cuis4.1") == 0 || strcmp (ri->folder, "pharo8-kernel64") == 0)
        continue;
      g_autofree char *name = g_strdup_printf ("/image/source/sweep-%s", ri->folder);
      g_test_add_data_func (name, ri, test_sweep_all);
    }
  g_test_add_func ("/image/source/cli", test_cli);
  return g_test_run ();
}
