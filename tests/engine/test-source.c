/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Method trailers of every kind, source chunks from files, and the
 * disassembler and decompiler on methods of a synthetic heap. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "builder.h"
#include "decompile.h"
#include "disasm.h"
#include "path.h"
#include "source.h"
#include "support.h"

/* ^self foo: 1 — the code every test method starts with. */
static const guint8 code[] = { 0x70, 0x76, 0xE0, 0x7C };

typedef struct {
  ThawBuilder *b;
  StVM        *vm;
  StPrinter   *p;
  StOop        cls;
  char        *dir;
} Fixture;

/* A method of Foo whose bytes end with `trailer`: the builder ends every
 * method with one byte 0, which patch_trailer turns into the trailer's
 * last byte once the heap is finished. */
static StOop
method_with_trailer (ThawBuilder *b, StOop cls, const char *selector, const guint8 *trailer, gsize n)
{
  StOop lits[1] = { thaw_builder_symbol (b, "foo:") };
  g_autoptr (GByteArray) all = g_byte_array_new ();
  g_byte_array_append (all, code, sizeof code);
  g_byte_array_append (all, trailer, (guint) n - 1);
  return thaw_builder_method (b, cls, selector, 0, 0, 0, lits, 1, all->data, all->len);
}

static void
patch_trailer (StVM *vm, StOop m, const guint8 *trailer, gsize n)
{
  st_bytes (vm, m)[st_byte_length (vm, m) - 1] = trailer[n - 1];
}

static GByteArray *
q_compress (const char *s)
{
  static const char table[] = "ear tonsilcmbdfghjkpquvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345[]()";
  GByteArray *out = g_byte_array_new ();
  int odd = -1;
  for (const char *c = s; *c; c++)
    {
      const char *at = strchr (table, *c);
      int ix = at && *c ? (int) (at - table) + 1 : 0;
      int nib[3], n = 0;
      if (ix == 0)
        {
          nib[n++] = 0;
          nib[n++] = (guint8) *c >> 4;
          nib[n++] = (guint8) *c & 15;
        }
      else if (ix <= 11)
        nib[n++] = ix;
      else
        {
          nib[n++] = ix / 16 + 12;
          nib[n++] = ix % 16;
        }
      for (int i = 0; i < n; i++)
        if (odd < 0)
          odd = nib[i];
        else
          {
            guint8 byte = (guint8) (odd * 16 + nib[i]);
            g_byte_array_append (out, &byte, 1);
            odd = -1;
          }
    }
  if (odd >= 0)
    {
      guint8 byte = (guint8) (odd * 16 + 4);
      g_byte_array_append (out, &byte, 1);
    }
  return out;
}

static GByteArray *
gzip (const char *s)
{
  g_autoptr (GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  g_autoptr (GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr (GOutputStream) out = g_converter_output_stream_new (mem, G_CONVERTER (z));
  g_assert_true (g_output_stream_write_all (out, s, strlen (s), NULL, NULL, NULL));
  g_assert_true (g_output_stream_close (out, NULL, NULL));
  GByteArray *a = g_byte_array_new ();
  g_byte_array_append (a, g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (mem)),
                       (guint) g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (mem)));
  return a;
}

/* data, then a one-byte length field, then the flag byte for `kind`. */
static GByteArray *
length_trailer (guint kind, const guint8 *data, gsize n)
{
  g_assert_cmpuint (n, <, 256);
  GByteArray *t = g_byte_array_new ();
  g_byte_array_append (t, data, (guint) n);
  guint8 len = (guint8) n, flag = (guint8) (kind << 2);
  g_byte_array_append (t, &len, 1);
  g_byte_array_append (t, &flag, 1);
  return t;
}

static void
check_trailer (StVM *vm, StOop m, StTrailerStyle style, StTrailerKind kind, uint64_t size)
{
  StMethodHeader h;
  g_assert_true (st_method_header (vm, m, &h, NULL));
  StTrailer t;
  const char *why = NULL;
  g_assert_true (st_method_trailer (vm, m, &h, style, &t, &why));
  g_assert_cmpstr (st_trailer_kind_name (t.kind), ==, st_trailer_kind_name (kind));
  g_assert_cmpuint (t.size, ==, size);
  /* The bytecodes end where the trailer starts. */
  g_assert_cmpuint (st_disasm_bytecode_end (vm, m, &h, style, NULL), ==, h.initial_pc + sizeof code);
}

static void
test_trailer_kinds (void)
{
  ThawBuilder *b = thaw_builder_new (ST_FAMILY_SPUR, 8);
  const ThawBuilderObjects *k = thaw_builder_objects (b);
  StOop foo = thaw_builder_class (b, "Foo", k->object_class, ST_FMT_FIXED, NULL, NULL);
  /* Its presence makes the image's trailers CompiledMethodTrailer ones. */
  thaw_builder_class (b, "CompiledMethodTrailer", k->object_class, ST_FMT_FIXED, "data", NULL);

  /* SourcePointer 0x2000345: changes file, position 0x345 */
  const guint8 sp[] = { 0x45, 0x03, 0x00, 0xFD };
  StOop m_sp = method_with_trailer (b, foo, "a", sp, sizeof sp);
  /* VarLengthSourcePointer 300: groups 2, 44 (continued), then kind 8 */
  const guint8 vsp[] = { 0x02, 0xAC, 0x20 };
  StOop m_vsp = method_with_trailer (b, foo, "b", vsp, sizeof vsp);
  /* EmbeddedSource (Pharo kind 11) */
  const char *src = "c\n\t^'embedded'";
  g_autoptr (GByteArray) es = length_trailer (11, (const guint8 *) src, strlen (src));
  StOop m_es = method_with_trailer (b, foo, "c", es->data, es->len);
  g_autoptr (GByteArray) qdata = q_compress ("d\n\t^#(1 2) sizes");
  g_autoptr (GByteArray) qs = length_trailer (6, qdata->data, qdata->len);
  StOop m_qs = method_with_trailer (b, foo, "d", qs->data, qs->len);
  g_autoptr (GByteArray) zdata = gzip ("e\n\t\"zipped\" ^nil");
  g_autoptr (GByteArray) zs = length_trailer (7, zdata->data, zdata->len);
  StOop m_zs = method_with_trailer (b, foo, "e", zs->data, zs->len);
  /* Pharo's empty trailer: four zero bytes; Squeak's: one. */
  const guint8 pharo_none[] = { 0, 0, 0, 0 };
  StOop m_p0 = method_with_trailer (b, foo, "f", pharo_none, 4);
  const guint8 squeak_none[] = { 0 };
  StOop m_s0 = method_with_trailer (b, foo, "g", squeak_none, 1);
  /* A temp-names trailer: kind 2, data "t1 t2" */
  g_autoptr (GByteArray) tn = length_trailer (2, (const guint8 *) "xx", 2);
  StOop m_tn = method_with_trailer (b, foo, "h", tn->data, tn->len);
  /* An undefined kind (40): refused. */
  const guint8 bad[] = { 40 << 2 };
  StOop m_bad = method_with_trailer (b, foo, "i", bad, 1);
  StVM *vm = thaw_builder_finish (b);
  patch_trailer (vm, m_sp, sp, sizeof sp);
  patch_trailer (vm, m_vsp, vsp, sizeof vsp);
  patch_trailer (vm, m_es, es->data, es->len);
  patch_trailer (vm, m_qs, qs->data, qs->len);
  patch_trailer (vm, m_zs, zs->data, zs->len);
  patch_trailer (vm, m_tn, tn->data, tn->len);
  patch_trailer (vm, m_bad, bad, sizeof bad);
  StPrinter *p = st_printer_new (vm);

  StTrailerStyle style = st_source_trailer_style (p);
  g_assert_cmpint (style, ==, ST_TRAILER_STYLE_CLASS);
  check_trailer (vm, m_sp, style, ST_TRAILER_SOURCE_POINTER, 4);
  check_trailer (vm, m_vsp, style, ST_TRAILER_VAR_SOURCE_POINTER, 3);
  check_trailer (vm, m_es, style, ST_TRAILER_EMBEDDED_SOURCE, es->len);
  check_trailer (vm, m_qs, style, ST_TRAILER_EMBEDDED_SOURCE_QCOMPRESS, qs->len);
  check_trailer (vm, m_zs, style, ST_TRAILER_EMBEDDED_SOURCE_ZIP, zs->len);
  check_trailer (vm, m_p0, style, ST_TRAILER_NO_SOURCE, 4);
  check_trailer (vm, m_s0, style, ST_TRAILER_NO_SOURCE, 1);
  check_trailer (vm, m_tn, style, ST_TRAILER_TEMP_NAMES, tn->len);

  StMethodHeader h;
  StTrailer t;
  const char *why = NULL;
  st_method_header (vm, m_sp, &h, NULL);
  st_method_trailer (vm, m_sp, &h, style, &t, NULL);
  g_assert_cmphex (t.source_pointer, ==, 0x2000345);
  st_method_header (vm, m_vsp, &h, NULL);
  st_method_trailer (vm, m_vsp, &h, style, &t, NULL);
  g_assert_cmpuint (t.source_pointer, ==, 300);
  st_method_header (vm, m_bad, &h, NULL);
  g_assert_false (st_method_trailer (vm, m_bad, &h, style, &t, &why));
  g_assert_nonnull (why);

  /* Embedded sources come back as text. */
  g_autofree char *s1 = st_source_of_method (p, m_es, NULL, NULL);
  g_assert_cmpstr (s1, ==, src);
  g_autofree char *s2 = st_source_of_method (p, m_qs, NULL, NULL);
  g_assert_cmpstr (s2, ==, "d\n\t^#(1 2) sizes");
  g_autofree char *s3 = st_source_of_method (p, m_zs, NULL, NULL);
  g_assert_cmpstr (s3, ==, "e\n\t\"zipped\" ^nil");
  /* No source: a clear error, and the decompiler stands in. */
  g_autoptr (GError) error = NULL;
  g_assert_null (st_source_of_method (p, m_p0, NULL, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID);
  g_autofree char *dec = st_decompile_method (p, m_p0, NULL);
  g_assert_cmpstr (dec, ==, "f\n\t\"decompiled\"\n\t^self foo: 1\n");
  /* The old style reads the same bytes differently: 252..255 is a
   * pointer, 0 the end, anything else temp names. */
  check_trailer (vm, m_sp, ST_TRAILER_STYLE_OLD, ST_TRAILER_SOURCE_POINTER, 4);
  check_trailer (vm, m_s0, ST_TRAILER_STYLE_OLD, ST_TRAILER_NO_SOURCE, 1);
  st_printer_free (p);
  thaw_builder_free (b);
  st_vm_free (vm);
}

static char *
write_file (const char *dir, const char *name, const char *text)
{
  char *path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static void
test_source_files (void)
{
  ThawBuilder *b = thaw_builder_new (ST_FAMILY_SPUR, 4);
  const ThawBuilderObjects *k = thaw_builder_objects (b);
  StOop foo = thaw_builder_class (b, "Foo", k->object_class, ST_FMT_FIXED, NULL, NULL);
  /* .sources: the method text at 64, with a "!!" and CR line ends.
   * .changes: another version at 10. */
  const char *sources = "'From Squeak' !\r!Foo methodsFor: 'x'!\r                          bang\r\t^'wow!!'! !\r";
  const char *changes = "\r!Foo methodsFor: 'y'!\rbang\r\t^'changed'! !";
  g_assert_cmpint ((int) (strstr (sources, "bang") - sources), ==, 64);
  /* SourceFileArray pointers: sources 0x1000000 + 64; changes 0x2000000 + 21 */
  const guint8 p_sources[] = { 64, 0, 0, 252 };
  StOop m1 = method_with_trailer (b, foo, "bang", p_sources, 4);
  guint changes_pos = (guint) (strstr (changes, "bang") - changes);
  const guint8 p_changes[] = { (guint8) changes_pos, 0, 0, 253 };
  StOop m2 = method_with_trailer (b, foo, "bang2", p_changes, 4);
  StVM *vm = thaw_builder_finish (b);
  patch_trailer (vm, m1, p_sources, 4);
  patch_trailer (vm, m2, p_changes, 4);
  StPrinter *p = st_printer_new (vm);
  g_autofree char *dir = thaw_test_tmpdir ();
  vm->sources_path = write_file (dir, "T.sources", sources);
  vm->changes_path = write_file (dir, "T.changes", changes);

  g_autofree char *origin = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *s1 = st_source_of_method (p, m1, &origin, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s1, ==, "bang\n\t^'wow!'");
  g_assert_true (strstr (origin, "T.sources @ 64") != NULL);
  g_assert_true (strstr (origin, "SourceFileArray") != NULL);
  g_autofree char *s2 = st_source_of_method (p, m2, NULL, &error);
  g_assert_no_error (error);
  /* The chunk is bang's text while the method is bang2: the text comes
   * back all the same (the origin would carry a warning). */
  g_assert_cmpstr (s2, ==, "bang\n\t^'changed'");

  /* A chunk reader on its own: past the end is an error. */
  g_autofree char *c = st_source_read_chunk (vm->sources_path, 0, NULL);
  g_assert_cmpstr (c, ==, "'From Squeak' ");
  g_assert_null (st_source_read_chunk (vm->sources_path, 100000, &error));
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_TRUNCATED);
  g_clear_error (&error);

  /* Without the files: a message naming what is missing. */
  g_clear_pointer (&vm->sources_path, g_free);
  g_assert_null (st_source_of_method (p, m1, NULL, &error));
  g_assert_true (strstr (error->message, ".sources") != NULL);
  st_printer_free (p);
  thaw_builder_free (b);
  thaw_test_rmdir (dir);
  st_vm_free (vm);
}

static void
test_cuis_pointers (void)
{
  ThawBuilder *b = thaw_builder_new (ST_FAMILY_V3, 4);
  const ThawBuilderObjects *k = thaw_builder_objects (b);
  StOop foo = thaw_builder_class (b, "Foo", k->object_class, ST_FMT_FIXED, NULL, NULL);
  StOop array_class = thaw_builder_class (b, "CuisSourceFileArray", k->object_class, ST_FMT_FIXED,
                                          "files", "pointerScale", NULL);
  StOop files = thaw_builder_instance (b, array_class, 0);
  thaw_builder_global (b, "SourceFiles", files);
  /* Cuis: (position / 32) + 0x1000000, changes flagged by 0x2000000. */
  const guint8 ptr[] = { 2, 0, 0, 254 };   /* 0x3000002: changes, 2 * 32 = 64 */
  StOop m = method_with_trailer (b, foo, "bang", ptr, 4);
  StVM *vm = thaw_builder_finish (b);
  patch_trailer (vm, m, ptr, 4);
  st_store (vm, files, 1, st_smallint_oop (32));
  StPrinter *p = st_printer_new (vm);
  StSourceLocation loc;
  g_assert_true (st_source_locate (p, 0x3000002, &loc));
  g_assert_cmpuint (loc.file_index, ==, 2);
  g_assert_cmpuint (loc.position, ==, 64);
  g_assert_true (strstr (loc.scheme, "Cuis") != NULL);
  st_source_location_clear (&loc);
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *pad = g_strnfill (64, ' ');
  g_autofree char *text = g_strdup_printf ("%sbang\r\t^3! !", pad);
  vm->changes_path = write_file (dir, "T.changes", text);
  g_autoptr (GError) error = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *s = st_source_of_method (p, m, &origin, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s, ==, "bang\n\t^3");
  g_assert_null (strstr (origin, "warning"));
  st_printer_free (p);
  thaw_builder_free (b);
  thaw_test_rmdir (dir);
  st_vm_free (vm);
}

static void
test_disasm_context (void)
{
  ThawBuilder *b = thaw_builder_new (ST_FAMILY_SPUR, 4);
  StVM *vm = thaw_builder_finish (b);
  const ThawBuilderObjects *k = thaw_builder_objects (b);
  StPrinter *p = st_printer_new (vm);
  g_autoptr (GArray) frames = st_disasm_active_stack (p, 10);
  g_assert_cmpuint (frames->len, >=, 1);
  g_assert_cmphex (g_array_index (frames, StOop, 0), ==, k->active_context);
  StOop pc = st_fetch (vm, k->active_context, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (StDisasm) d = st_disasm_method (p, k->active_method, st_smallint_value (pc), false, &error);
  g_assert_no_error (error);
  g_assert_true (d->has_current);
  guint current = 0;
  for (guint i = 0; i < d->lines->len; i++)
    {
      const StDisasmLine *l = &g_array_index (d->lines, StDisasmLine, i);
      current += l->is_current;
      if (l->is_current)
        g_assert_cmpuint (l->pc, ==, d->current_pc);
      /* Image pcs for a 32-bit personality: literals count 4 bytes. */
      g_assert_cmpuint (l->pc, >=, 4 * d->header.num_literals + 5);
    }
  g_assert_cmpuint (current, ==, 1);
  g_assert_cmpuint (d->initial_pc, ==, 4 * d->header.num_literals + 5);
  g_assert_cmpuint (st_disasm_heap_offset (vm, &d->header, d->initial_pc), ==, d->header.initial_pc);
  st_printer_free (p);
  thaw_builder_free (b);
  st_vm_free (vm);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/source/trailer-kinds", test_trailer_kinds);
  g_test_add_func ("/engine/source/source-files", test_source_files);
  g_test_add_func ("/engine/source/cuis-pointers", test_cuis_pointers);
  g_test_add_func ("/engine/disasm/context-pc", test_disasm_context);
  return g_test_run ();
}
