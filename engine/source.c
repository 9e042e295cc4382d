/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gio/gio.h>

#include "path.h"
#include "source.h"

#define MAX_CHUNK_BYTES   (8u << 20)   /* a method's source longer than this is cut */
#define MAX_INFLATED      (16u << 20)

const char *
st_trailer_kind_name (StTrailerKind kind)
{
  switch (kind)
    {
    case ST_TRAILER_NONE: return "none (CompiledBlock)";
    case ST_TRAILER_NO_SOURCE: return "NoTrailer";
    case ST_TRAILER_CLEARED: return "ClearedTrailer";
    case ST_TRAILER_TEMP_NAMES: return "TempsNames";
    case ST_TRAILER_SOURCE_BY_SELECTOR: return "SourceBySelector";
    case ST_TRAILER_SOURCE_BY_STRING: return "SourceByStringIdentifier";
    case ST_TRAILER_EMBEDDED_SOURCE: return "EmbeddedSource";
    case ST_TRAILER_EMBEDDED_SOURCE_QCOMPRESS: return "EmbeddedSourceQCompress";
    case ST_TRAILER_EMBEDDED_SOURCE_ZIP: return "EmbeddedSourceZip";
    case ST_TRAILER_SOURCE_POINTER: return "SourcePointer";
    case ST_TRAILER_VAR_SOURCE_POINTER: return "VarLengthSourcePointer";
    case ST_TRAILER_UNKNOWN: return "undefined";
    }
  return "?";
}

StTrailerStyle
st_source_trailer_style (StPrinter *p)
{
  StOop binding = 0, value = 0;
  return st_path_global (p, "CompiledMethodTrailer", &binding, &value) ? ST_TRAILER_STYLE_CLASS : ST_TRAILER_STYLE_OLD;
}

/* A run of zero bytes ends the method: the trailer is the last byte plus
 * up to three zeros before it (Squeak's NoTrailer is 1 byte, Pharo's 4,
 * old images pad with up to 4). */
static uint64_t
zero_trailer_size (const guint8 *b, uint64_t n, uint64_t room)
{
  for (uint64_t i = 1; i <= 4 && i < room; i++)
    if (b[n - 1 - i] != 0)
      return i;
  return 1;
}

bool
st_method_trailer (StVM *vm, StOop method, const StMethodHeader *hdr, StTrailerStyle style,
                   StTrailer *out, const char **why)
{
  const char *ignored;
  if (why == NULL)
    why = &ignored;
  *why = NULL;
  memset (out, 0, sizeof *out);
  uint64_t n = st_byte_length (vm, method);
  if (hdr->initial_pc > n)
    {
      *why = "the literals do not fit the method";
      return false;
    }
  uint64_t room = n - hdr->initial_pc;
  if (room == 0)
    {
      out->kind = ST_TRAILER_NONE;
      return true;
    }
  const guint8 *b = st_bytes (vm, method);
  guint f = b[n - 1];
  out->flag_byte = f;
  if (style == ST_TRAILER_STYLE_BLOCK)
    {
      /* CompiledBlocks have no trailer, but Pharo pads theirs with the
       * 4 zero bytes of an empty one (a block never ends in byte 0). */
      out->kind = f == 0 ? ST_TRAILER_NO_SOURCE : ST_TRAILER_NONE;
      out->size = f == 0 ? zero_trailer_size (b, n, room) : 0;
      out->data_offset = n - out->size;
      return true;
    }
  if (style == ST_TRAILER_STYLE_OLD)
    {
      if (f >= 252)
        {
          out->kind = ST_TRAILER_SOURCE_POINTER;
          out->size = 4;
        }
      else if (f == 0)
        {
          out->kind = ST_TRAILER_NO_SOURCE;
          out->size = zero_trailer_size (b, n, room);
        }
      else
        {
          out->kind = ST_TRAILER_TEMP_NAMES;
          out->size = (uint64_t) f + 1;
          out->data_length = f;
        }
    }
  else
    {
      guint kind = f >> 2;
      switch (kind)
        {
        case 0:
          out->kind = ST_TRAILER_NO_SOURCE;
          out->size = zero_trailer_size (b, n, room);
          break;
        case 1: case 2: case 3: case 5: case 6: case 7: case 11:
          {
            static const StTrailerKind kinds[12] = {
              [1] = ST_TRAILER_CLEARED, [2] = ST_TRAILER_TEMP_NAMES, [3] = ST_TRAILER_TEMP_NAMES,
              [5] = ST_TRAILER_SOURCE_BY_STRING, [6] = ST_TRAILER_EMBEDDED_SOURCE_QCOMPRESS,
              [7] = ST_TRAILER_EMBEDDED_SOURCE_ZIP, [11] = ST_TRAILER_EMBEDDED_SOURCE,
            };
            out->kind = kinds[kind];
            guint nb = (f & 3) + 1;
            if (room < 1 + nb)
              {
                *why = "the trailer's length field runs into the literals";
                return false;
              }
            uint64_t len = 0;
            for (guint i = 1; i <= nb; i++)
              len = (len << 8) | b[n - 1 - i];
            out->size = 1 + nb + len;
            out->data_length = len;
            break;
          }
        case 4:
          out->kind = ST_TRAILER_SOURCE_BY_SELECTOR;
          out->size = 1;
          break;
        case 8:
          {
            out->kind = ST_TRAILER_VAR_SOURCE_POINTER;
            uint64_t v = 0;
            guint shift = 0;
            uint64_t i = n - 1;        /* index of the flag byte; data before it */
            for (;;)
              {
                if (i <= hdr->initial_pc || shift > 56)
                  {
                    *why = "the variable-length source pointer runs into the literals";
                    return false;
                  }
                i--;
                guint8 x = b[i];
                v |= (uint64_t) (x & 0x7F) << shift;
                shift += 7;
                if (x < 128)
                  break;
              }
            out->size = n - i;
            out->source_pointer = v;
            break;
          }
        case 63:
          out->kind = ST_TRAILER_SOURCE_POINTER;
          out->size = 4;
          break;
        default:
          out->kind = ST_TRAILER_UNKNOWN;
          out->size = 1;
          *why = "undefined trailer kind";
          return false;
        }
    }
  if (out->size > room)
    {
      *why = "the trailer is larger than the bytes after the literals";
      return false;
    }
  if (out->kind == ST_TRAILER_SOURCE_POINTER)
    out->source_pointer = ((uint64_t) (f - 251) << 24) | ((uint64_t) b[n - 2] << 16)
                          | ((uint64_t) b[n - 3] << 8) | b[n - 4];
  out->data_offset = n - out->size;
  if (out->kind == ST_TRAILER_TEMP_NAMES && style == ST_TRAILER_STYLE_OLD)
    out->data_offset = n - 1 - f;
  return true;
}

void
st_source_location_clear (StSourceLocation *loc)
{
  g_clear_pointer (&loc->file, g_free);
  g_clear_pointer (&loc->scheme, g_free);
}

static void
locate_squeak (uint64_t sp, guint *index, uint64_t *pos)
{
  uint64_t hi = sp >> 25, lo = sp & 0xFFFFFF;
  if (sp & 0x1000000)
    {
      *index = 1;
      *pos = hi * 0x1000000 + lo;
    }
  else if (sp >= 0x1000000)
    {
      *index = 2;
      *pos = (hi - 1) * 0x1000000 + lo;
    }
  else
    {
      *index = 0;
      *pos = 0;
    }
}

static void
locate_cuis (uint64_t sp, guint scale, guint *index, uint64_t *pos)
{
  if (sp < 0x1000000)
    {
      *index = 0;
      *pos = 0;
      return;
    }
  uint64_t q = sp - 0x1000000;
  *index = (q & 0x2000000) ? 2 : 1;
  *pos = (q & 0x1FFFFFF) * scale;
}

/* Is SourceFiles a CuisSourceFileArray?  Then its pointer scale. */
static bool
cuis_scale (StPrinter *p, guint *scale)
{
  StVM *vm = st_printer_vm (p);
  StOop binding = 0, files = 0;
  if (!st_path_global (p, "SourceFiles", &binding, &files) || !st_printer_is_object (vm, files))
    return false;
  g_autofree char *cname = st_printer_class_name_of (p, files);
  if (cname == NULL || strstr (cname, "CuisSourceFileArray") == NULL)
    return false;
  *scale = 32;
  if (st_fmt_is_pointers (st_format (vm, files)))
    for (uint64_t i = 0; i < st_num_slots (vm, files) && i < 4; i++)
      {
        StOop v = st_fetch (vm, files, i);
        if (st_is_smallint (v) && st_smallint_value (v) > 0 && st_smallint_value (v) <= 4096)
          {
            *scale = (guint) st_smallint_value (v);
            break;
          }
      }
  return true;
}

static void
fill_location (StVM *vm, StSourceLocation *out, guint index, uint64_t pos, const char *scheme)
{
  out->file_index = index;
  out->position = pos;
  g_free (out->file);
  out->file = g_strdup (index == 1 ? vm->sources_path : index == 2 ? vm->changes_path : NULL);
  g_free (out->scheme);
  out->scheme = g_strdup (scheme);
}

bool
st_source_locate (StPrinter *p, uint64_t sp, StSourceLocation *out)
{
  StVM *vm = st_printer_vm (p);
  memset (out, 0, sizeof *out);
  guint index, scale;
  uint64_t pos;
  if (cuis_scale (p, &scale))
    {
      locate_cuis (sp, scale, &index, &pos);
      g_autofree char *scheme = g_strdup_printf ("CuisSourceFileArray (pointer scale %u)", scale);
      fill_location (vm, out, index, pos, scheme);
    }
  else
    {
      locate_squeak (sp, &index, &pos);
      fill_location (vm, out, index, pos, "SourceFileArray");
    }
  return index != 0;
}

static char *
to_utf8 (GString *s)
{
  if (g_utf8_validate (s->str, (gssize) s->len, NULL))
    return g_string_free (s, FALSE);
  /* Squeak and Cuis files are Latin-1 (MacRoman in the oldest ones). */
  char *u = g_convert (s->str, (gssize) s->len, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
  if (u == NULL)
    u = g_utf8_make_valid (s->str, (gssize) s->len);
  g_string_free (s, TRUE);
  return u;
}

static void
append_text_char (GString *s, guint8 c, bool *after_cr)
{
  if (c == '\r')
    {
      g_string_append_c (s, '\n');
      *after_cr = true;
      return;
    }
  if (c == '\n' && *after_cr)
    {
      *after_cr = false;
      return;
    }
  *after_cr = false;
  g_string_append_c (s, (char) c);
}

char *
st_source_read_chunk (const char *path, uint64_t position, GError **error)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", path, g_strerror (e));
      return NULL;
    }
  if (fseeko (f, 0, SEEK_END) != 0 || ftello (f) < 0 || (uint64_t) ftello (f) <= position
      || fseeko (f, (off_t) position, SEEK_SET) != 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_TRUNCATED,
                   "%s: position %" G_GUINT64_FORMAT " is past the end of the file", path, position);
      fclose (f);
      return NULL;
    }
  GString *s = g_string_new (NULL);
  bool after_cr = false;
  int c;
  while ((c = getc (f)) != EOF && s->len < MAX_CHUNK_BYTES)
    {
      if (c == '!')
        {
          int d = getc (f);
          if (d != '!')
            break;
        }
      append_text_char (s, (guint8) c, &after_cr);
    }
  fclose (f);
  return to_utf8 (s);
}

/* ---- embedded source ---- */

static char *
q_decompress (const guint8 *b, uint64_t n)
{
  /* Nibbles, high first: 1..11 a frequent character; 12..15 with the next
   * nibble one of 64 less frequent ones; 0 then two nibbles: any byte. */
  static const char table[] = "ear tonsilcmbdfghjkpquvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345[]()";
  GString *s = g_string_new (NULL);
  uint64_t total = 2 * n, i = 0;
#define NIB() (i < total ? ((i & 1) ? (b[i++ / 2] & 15) : (b[i++ / 2] >> 4)) : (i++, 0))
  while (i < total)
    {
      guint x = NIB ();
      if (x == 0)
        {
          if (i >= total)
            break;
          guint hi = NIB ();
          guint lo = NIB ();
          g_string_append_c (s, (char) (hi * 16 + lo));
        }
      else if (x <= 11)
        g_string_append_c (s, table[x - 1]);
      else
        {
          guint k = (x - 12) * 16 + NIB ();
          if (k >= 1 && k <= sizeof table - 1)
            g_string_append_c (s, table[k - 1]);
        }
    }
#undef NIB
  return to_utf8 (s);
}

static char *
gunzip (const guint8 *b, uint64_t n, GError **error)
{
  g_autoptr (GInputStream) mem = g_memory_input_stream_new_from_data (b, (gssize) n, NULL);
  g_autoptr (GZlibDecompressor) z = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  g_autoptr (GInputStream) in = g_converter_input_stream_new (mem, G_CONVERTER (z));
  GString *s = g_string_new (NULL);
  guint8 buf[4096];
  for (;;)
    {
      gssize r = g_input_stream_read (in, buf, sizeof buf, NULL, error);
      if (r < 0)
        {
          g_string_free (s, TRUE);
          return NULL;
        }
      if (r == 0 || s->len > MAX_INFLATED)
        break;
      g_string_append_len (s, (const char *) buf, r);
    }
  return to_utf8 (s);
}

/* ---- the source of a method ---- */

static bool
text_starts_with_selector (const char *text, const char *selector)
{
  if (text == NULL || selector == NULL)
    return false;
  while (g_ascii_isspace (*text))
    text++;
  const char *colon = strchr (selector, ':');
  gsize n = colon ? (gsize) (colon - selector + 1) : strlen (selector);
  if (strncmp (text, selector, n) != 0)
    return false;
  /* A unary selector must not continue as a longer identifier. */
  return colon != NULL || !(g_ascii_isalnum (text[n]) || text[n] == '_' || text[n] == ':');
}

char *
st_source_of_method (StPrinter *p, StOop method, char **origin, GError **error)
{
  StVM *vm = st_printer_vm (p);
  StOop cls = 0, home = method;
  g_autofree char *selector = NULL;
  st_printer_method_info (p, method, &cls, &selector, &home);
  if (home != 0)
    method = home;
  StMethodHeader h;
  const char *why = NULL;
  if (!st_printer_is_object (vm, method) || !st_method_header (vm, method, &h, &why))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID, "0x%" G_GINT64_MODIFIER "x is not a method: %s",
                   method, why ? why : "not an object");
      return NULL;
    }
  StTrailerStyle style = st_source_trailer_style (p);
  StTrailer t;
  if (!st_method_trailer (vm, method, &h, style, &t, &why))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                   "method 0x%" G_GINT64_MODIFIER "x: cannot decode its trailer (last byte %u): %s", method,
                   t.flag_byte, why);
      return NULL;
    }
  const guint8 *b = st_bytes (vm, method);
  switch (t.kind)
    {
    case ST_TRAILER_EMBEDDED_SOURCE:
      {
        GString *s = g_string_new_len ((const char *) b + t.data_offset, (gssize) t.data_length);
        if (origin)
          *origin = g_strdup ("embedded in the method trailer");
        return to_utf8 (s);
      }
    case ST_TRAILER_EMBEDDED_SOURCE_QCOMPRESS:
      if (origin)
        *origin = g_strdup ("embedded in the method trailer (qCompress)");
      return q_decompress (b + t.data_offset, t.data_length);
    case ST_TRAILER_EMBEDDED_SOURCE_ZIP:
      {
        char *s = gunzip (b + t.data_offset, t.data_length, error);
        if (s != NULL && origin)
          *origin = g_strdup ("embedded in the method trailer (gzip)");
        return s;
      }
    case ST_TRAILER_SOURCE_POINTER:
    case ST_TRAILER_VAR_SOURCE_POINTER:
      break;
    default:
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID,
                   "method 0x%" G_GINT64_MODIFIER "x has no source pointer (trailer %s)", method,
                   st_trailer_kind_name (t.kind));
      return NULL;
    }

  StSourceLocation loc;
  st_source_locate (p, t.source_pointer, &loc);
  if (loc.file_index == 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID,
                   "method 0x%" G_GINT64_MODIFIER "x: source pointer 0x%" G_GINT64_MODIFIER "x names no file", method,
                   t.source_pointer);
      st_source_location_clear (&loc);
      return NULL;
    }
  if (loc.file == NULL)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID,
                   "method 0x%" G_GINT64_MODIFIER "x: its source is in the %s file at %" G_GUINT64_FORMAT
                   ", and the image has no %s file beside it", method, loc.file_index == 1 ? ".sources" : ".changes",
                   loc.position, loc.file_index == 1 ? ".sources" : ".changes");
      st_source_location_clear (&loc);
      return NULL;
    }
  char *text = st_source_read_chunk (loc.file, loc.position, error);
  bool verified = text_starts_with_selector (text, selector);
  if (!verified && selector != NULL)
    {
      /* Try the other pointer scheme before giving up on the match. */
      guint index;
      uint64_t pos;
      if (strstr (loc.scheme, "Cuis") != NULL)
        locate_squeak (t.source_pointer, &index, &pos);
      else
        locate_cuis (t.source_pointer, 32, &index, &pos);
      const char *file = index == 1 ? vm->sources_path : index == 2 ? vm->changes_path : NULL;
      if (file != NULL)
        {
          char *alt = st_source_read_chunk (file, pos, NULL);
          if (text_starts_with_selector (alt, selector))
            {
              g_free (text);
              g_clear_error (error);
              text = alt;
              verified = true;
              fill_location (vm, &loc, index, pos,
                             strstr (loc.scheme, "Cuis") != NULL ? "SourceFileArray" : "CuisSourceFileArray (pointer scale 32)");
            }
          else
            g_free (alt);
        }
    }
  if (text != NULL && origin)
    {
      g_autofree char *base = g_path_get_basename (loc.file);
      *origin = g_strdup_printf ("%s @ %" G_GUINT64_FORMAT " (source pointer 0x%" G_GINT64_MODIFIER "x, %s)%s", base,
                                 loc.position, t.source_pointer, loc.scheme,
                                 verified || selector == NULL ? "" : "; warning: the text does not start with the selector");
    }
  st_source_location_clear (&loc);
  return text;
}
