/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-read-folder.c: Pharo composed (folder) images into the heap.
 *
 * The segments are mapped at the start addresses their segN.ston files
 * give when those fit the heap's reservation (then pointers need no
 * relocation); a segment further away is placed after the previous one and
 * its pointers are swizzled.  Each segment keeps its file address in
 * StSegment.file_start for the writers.  Permanent space
 * (permSpace.data, Pharo 12 and later) cannot be represented in this heap:
 * a folder with a non-empty one is refused with ST_IMAGE_ERROR_UNSUPPORTED.
 * Salvage mode reaches only the roots (as for single files); damaged
 * metadata or segment files are always errors naming the file. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-folder.h"
#include "image-read-private.h"

#define MAX_FOLDER_SEGMENTS 4096
#define RESERVE_MIN         (G_GUINT64_CONSTANT (1) << 32)

/* ---- the STON subset ---- */

void
st_ston_free (StSton *s)
{
  if (s == NULL)
    return;
  for (guint i = 0; i < s->n_fields; i++)
    g_free (s->fields[i].name);
  g_free (s->fields);
  g_free (s->struct_name);
  g_free (s->file);
  g_free (s);
}

static gboolean
ston_error (GError **error, const char *file, guint line, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static gboolean
ston_error (GError **error, const char *file, guint line, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER, "%s, line %u: %s", file, line, msg);
  return FALSE;
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

StSton *
st_ston_parse (const char *file, const char *text, gsize len, GError **error)
{
  if (len > ST_STON_MAX_BYTES)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: %" G_GSIZE_FORMAT " bytes is too long for an image metadata file (at most %d)",
                   file, len, ST_STON_MAX_BYTES);
      return NULL;
    }
  g_autoptr (StSton) s = g_new0 (StSton, 1);
  s->file = g_strdup (file);
  GArray *fields = g_array_new (FALSE, TRUE, sizeof (StStonField));
  gsize pos = 0;
  guint line = 0;
  gboolean closed = FALSE;
  while (pos < len && !closed)
    {
      /* One line: up to \n, \r or \r\n. */
      gsize start = pos;
      while (pos < len && text[pos] != '\n' && text[pos] != '\r')
        pos++;
      gsize end = pos;
      if (pos < len && text[pos] == '\r')
        pos++;
      if (pos < len && text[pos] == '\n')
        pos++;
      line++;
      if (line > ST_STON_MAX_LINES)
        {
          ston_error (error, file, line, "more than %d lines", ST_STON_MAX_LINES);
          goto fail;
        }
      /* Trim blanks. */
      while (start < end && g_ascii_isspace (text[start]))
        start++;
      while (end > start && g_ascii_isspace (text[end - 1]))
        end--;
      if (start == end)
        continue;
      const char *p = text + start;
      gsize n = end - start;
      if (memchr (p, '\0', n) != NULL)
        {
          ston_error (error, file, line, "a NUL byte in the text");
          goto fail;
        }
      if (s->struct_name == NULL)
        {
          /* "Name {" */
          gsize k = 0;
          while (k < n && is_name_char (p[k]))
            k++;
          gsize name_end = k;
          while (k < n && (p[k] == ' ' || p[k] == '\t'))
            k++;
          if (name_end == 0 || k + 1 != n || p[k] != '{')
            {
              ston_error (error, file, line, "expected \"StructName {\"");
              goto fail;
            }
          s->struct_name = g_strndup (p, name_end);
          continue;
        }
      if (n == 1 && p[0] == '}')
        {
          closed = TRUE;
          continue;
        }
      /* "#name : value" with an optional trailing comma. */
      if (p[n - 1] == ',')
        n--;
      gsize k = 0;
      if (k >= n || p[k] != '#')
        {
          ston_error (error, file, line, "expected \"#field : integer\"");
          goto fail;
        }
      k++;
      gsize name_start = k;
      while (k < n && is_name_char (p[k]))
        k++;
      gsize name_end = k;
      while (k < n && (p[k] == ' ' || p[k] == '\t'))
        k++;
      if (name_end == name_start || name_end - name_start > 64 || k >= n || p[k] != ':')
        {
          ston_error (error, file, line, "expected \"#field : integer\"");
          goto fail;
        }
      k++;
      while (k < n && (p[k] == ' ' || p[k] == '\t'))
        k++;
      char num[32];
      gsize digits = n - k;
      if (digits == 0 || digits >= sizeof num)
        {
          ston_error (error, file, line, "the value of #%.*s is missing or too long", (int) (name_end - name_start),
                      p + name_start);
          goto fail;
        }
      memcpy (num, p + k, digits);
      num[digits] = '\0';
      gint64 v = 0;
      g_autoptr (GError) nerr = NULL;
      if (!g_ascii_string_to_signed (num, 10, G_MININT64, G_MAXINT64, &v, &nerr))
        {
          ston_error (error, file, line, "the value of #%.*s is not a decimal integer: %s",
                      (int) (name_end - name_start), p + name_start, nerr->message);
          goto fail;
        }
      StStonField f = { g_strndup (p + name_start, name_end - name_start), v, line };
      g_array_append_val (fields, f);
    }
  if (s->struct_name == NULL)
    {
      ston_error (error, file, MAX (line, 1), "empty: no \"StructName {\" line");
      goto fail;
    }
  if (!closed)
    {
      ston_error (error, file, line, "the file ends before the closing \"}\"");
      goto fail;
    }
  if (fields->len == 0)
    {
      ston_error (error, file, line, "no fields");
      goto fail;
    }
  s->n_fields = fields->len;
  s->fields = (StStonField *) g_array_free (fields, FALSE);
  return g_steal_pointer (&s);

fail:
  for (guint i = 0; i < fields->len; i++)
    g_free (g_array_index (fields, StStonField, i).name);
  g_array_free (fields, TRUE);
  return NULL;
}

StSton *
st_ston_load (const char *path, GError **error)
{
  struct stat st;
  if (stat (path, &st) != 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot open: %s", path, g_strerror (errno));
      return NULL;
    }
  if (!S_ISREG (st.st_mode) || st.st_size > ST_STON_MAX_BYTES)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: not a regular file of at most %d bytes", path, ST_STON_MAX_BYTES);
      return NULL;
    }
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr (GError) ferr = NULL;
  if (!g_file_get_contents (path, &text, &len, &ferr))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s", ferr->message);
      return NULL;
    }
  return st_ston_parse (path, text, len, error);
}

gboolean
st_ston_get (const StSton *s, int64_t *out, const char *name, ...)
{
  va_list ap;
  va_start (ap, name);
  for (const char *n = name; n != NULL; n = va_arg (ap, const char *))
    for (guint i = 0; i < s->n_fields; i++)
      if (strcmp (s->fields[i].name, n) == 0)
        {
          *out = s->fields[i].value;
          va_end (ap);
          return TRUE;
        }
  va_end (ap);
  return FALSE;
}

/* ---- the folder ---- */

typedef struct {
  StOop    start;
  uint64_t bytes;
  char    *data_path;
} FolderSeg;

static gboolean
read_whole (const char *path, guint8 *dst, uint64_t n, GError **error)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot open: %s", path, g_strerror (errno));
      return FALSE;
    }
  StSrc src = { .fd = fd, .len = n, .name = path };
  gboolean ok = st_src_read (&src, 0, dst, n, error);
  close (fd);
  return ok;
}

static int64_t
field_or (const StSton *s, const char *name, int64_t dflt)
{
  int64_t v;
  return st_ston_get (s, &v, name, NULL) ? v : dflt;
}

StVM *
st_image_read_folder (const char *dir, StReadFlags flags, GError **error)
{
  g_autofree char *hpath = g_build_filename (dir, "header.ston", NULL);
  g_autoptr (StSton) hs = st_ston_load (hpath, error);
  if (hs == NULL)
    return NULL;
  int64_t format = 0, base = 0, splobs = 0, data_size = 0;
  if (!st_ston_get (hs, &format, "imageFormat", NULL))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER, "%s: no #imageFormat field", hpath);
      return NULL;
    }
  if (format != 68021 && format != 68533)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED,
                   "%s: image format %" G_GINT64_FORMAT " (%s) in a folder image; only Spur 64-bit "
                   "(68021, 68533) is supported", hpath, format, st_image_format_describe ((guint32) format));
      return NULL;
    }
  if (field_or (hs, "swapBytes", 0) != 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED,
                   "%s: #swapBytes is set: byte-swapped folder images are not supported", hpath);
      return NULL;
    }
  if (!st_ston_get (hs, &base, "oldBaseAddr", NULL) || !st_ston_get (hs, &splobs, "initialSpecialObjectsOop", NULL)
      || !st_ston_get (hs, &data_size, "dataSize", NULL))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: #oldBaseAddr, #initialSpecialObjectsOop and #dataSize are required", hpath);
      return NULL;
    }

  /* Permanent space: not representable in this heap. */
  g_autofree char *perm = g_build_filename (dir, "permSpace.data", NULL);
  struct stat pst;
  gboolean has_perm = stat (perm, &pst) == 0;
  if (has_perm && pst.st_size > 16)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED,
                   "%s: %" G_GINT64_FORMAT " bytes of permanent space; Pharo permanent space is not supported",
                   perm, (gint64) pst.st_size);
      return NULL;
    }

  /* The segments, until the first missing segN.data. */
  GArray *segs = g_array_new (FALSE, TRUE, sizeof (FolderSeg));
  StVM *vm = NULL;
  uint64_t total = 0;
  for (guint i = 0;; i++)
    {
      g_autofree char *dpath = g_strdup_printf ("%s/seg%u.data", dir, i);
      struct stat st;
      if (stat (dpath, &st) != 0)
        break;
      if (i >= MAX_FOLDER_SEGMENTS)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_SEGMENT, "%s: more than %d segments",
                       dir, MAX_FOLDER_SEGMENTS);
          goto fail;
        }
      g_autofree char *mpath = g_strdup_printf ("%s/seg%u.ston", dir, i);
      g_autoptr (StSton) ms = st_ston_load (mpath, error);
      if (ms == NULL)
        goto fail;
      int64_t start = 0, bytes = 0;
      if (!st_ston_get (ms, &start, "startAddress", "segStart", NULL)
          || !st_ston_get (ms, &bytes, "dataSize", "segSize", NULL))
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_SEGMENT,
                       "%s: #startAddress and #dataSize are required", mpath);
          goto fail;
        }
      if (bytes < ST_BRIDGE_BYTES || (bytes & 7) || (start & 7) || start <= 0)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_SEGMENT,
                       "%s: segment of %" G_GINT64_FORMAT " bytes at 0x%" G_GINT64_MODIFIER "x is impossible "
                       "(both must be positive multiples of 8, at least 16 bytes)", mpath, bytes, (guint64) start);
          goto fail;
        }
      if ((uint64_t) st.st_size != (uint64_t) bytes)
        {
          g_set_error (error, ST_IMAGE_ERROR, st.st_size < bytes ? ST_IMAGE_ERROR_TRUNCATED : ST_IMAGE_ERROR_BAD_SEGMENT,
                       "%s: %" G_GINT64_FORMAT " bytes, but %s says %" G_GINT64_FORMAT, dpath,
                       (gint64) st.st_size, mpath, bytes);
          goto fail;
        }
      if (segs->len > 0)
        {
          FolderSeg *prev = &g_array_index (segs, FolderSeg, segs->len - 1);
          if ((uint64_t) start < prev->start + prev->bytes)
            {
              g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_SEGMENT,
                           "%s: segment %u starts at 0x%" G_GINT64_MODIFIER "x, inside or before segment %u",
                           mpath, i, (guint64) start, i - 1);
              goto fail;
            }
        }
      FolderSeg fs = { (StOop) start, (uint64_t) bytes, g_steal_pointer (&dpath) };
      g_array_append_val (segs, fs);
      total += (uint64_t) bytes;
    }
  if (segs->len == 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_TRUNCATED, "%s: no seg0.data: the folder holds no segments",
                   dir);
      goto fail;
    }
  FolderSeg *first = &g_array_index (segs, FolderSeg, 0);
  if (first->start != (StOop) base)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: #oldBaseAddr is 0x%" G_GINT64_MODIFIER "x but seg0 starts at 0x%" G_GINT64_MODIFIER "x",
                   hpath, (guint64) base, first->start);
      goto fail;
    }
  if (total != (uint64_t) data_size && !(has_perm && total + (uint64_t) pst.st_size == (uint64_t) data_size))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: #dataSize is %" G_GINT64_FORMAT " but the segments hold %" G_GUINT64_FORMAT " bytes",
                   hpath, data_size, total);
      goto fail;
    }

  vm = st_vm_new ();
  StPersonality *p = &vm->personality;
  p->family = ST_FAMILY_SPUR;
  p->word_bytes = 8;
  p->format = (guint32) format;
  p->folder = true;
  p->closures = true;
  p->sista = (format & 512) != 0;
  p->native_floats = (format & 1) != 0;
  StImageHeader *h = &vm->header;
  h->image_format = (guint32) format;
  h->header_size = (guint32) field_or (hs, "imageHeaderSize", 128);
  h->data_size = (uint64_t) data_size;
  h->old_base_addr = (uint64_t) base;
  h->special_objects_oop = (uint64_t) splobs;
  h->last_hash = (uint64_t) field_or (hs, "hdrLastHash", 0);
  h->header_flags = (uint64_t) field_or (hs, "headerFlags", 0);
  h->extra_vm_memory = (guint32) field_or (hs, "extraVMMemory", 0);
  h->num_stack_pages = (guint16) field_or (hs, "hdrNumStackPages", 0);
  h->cog_code_size = (guint16) field_or (hs, "hdrCogCodeSize", 0);
  h->eden_bytes = (guint32) field_or (hs, "hdrEdenBytes", 0);
  h->max_ext_sem_tab_size = (guint16) field_or (hs, "hdrMaxExtSemTabSize", 0);
  h->image_version = (guint16) field_or (hs, "imageVersion", 0);
  h->first_seg_size = (uint64_t) field_or (hs, "firstSegSize", (int64_t) first->bytes);
  h->free_old_space = (uint64_t) field_or (hs, "freeOldSpaceInImage", 0);

  /* Segments keep their addresses when they fit in a reservation a few
   * times the data size; one lying further away is placed right after the
   * previous one and the pointers into it are moved (swizzled). */
  uint64_t reserve = MAX (RESERVE_MIN, total * 4 + (G_GUINT64_CONSTANT (64) << 20));
  if (!st_objmem_init (vm, first->start, reserve, 0, error))
    goto fail;
  gboolean moved = FALSE;
  StOop next_free = first->start;
  for (guint i = 0; i < segs->len; i++)
    {
      FolderSeg *fs = &g_array_index (segs, FolderSeg, i);
      StOop addr = fs->start;
      if (addr - vm->mem_base + fs->bytes > reserve / 2)
        {
          addr = next_free;
          moved = TRUE;
        }
      if (!st_objmem_commit (vm, addr - vm->mem_base + fs->bytes, error))
        goto fail;
      if (!read_whole (fs->data_path, (guint8 *) st_ptr (vm, addr), fs->bytes, error))
        goto fail;
      StSegment *seg = st_objmem_add_segment (vm, addr, fs->bytes);
      seg->file_start = fs->start;
      seg->file_offset = 0;
      next_free = addr + fs->bytes;
    }
  if (moved)
    {
      st_read_swizzle_64 (vm);
      h->special_objects_oop = st_read_swizzle_oop_64 (vm, h->special_objects_oop);
    }
  StSrc src = { .fd = -1, .name = dir };
  gboolean roots = st_read_locate_roots_full (vm, &src, flags, error);
  h->special_objects_oop = (uint64_t) splobs;    /* the header keeps the file's value */
  if (!roots)
    goto fail;
  for (guint i = 0; i < segs->len; i++)
    g_free (g_array_index (segs, FolderSeg, i).data_path);
  g_array_free (segs, TRUE);
  return vm;

fail:
  for (guint i = 0; i < segs->len; i++)
    g_free (g_array_index (segs, FolderSeg, i).data_path);
  g_array_free (segs, TRUE);
  st_vm_free (vm);
  return NULL;
}
