/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-write-folder.c: the heap as a Pharo composed (folder) image.
 *
 * header.ston carries the SpurImageHeaderStruct fields in their slot
 * order; each segment becomes segN.ston (start address and size) and
 * segN.data (its bytes, bridge included, bridges in the same file form as
 * the single-file writer).  The driver (image-write.c) gives an empty
 * temporary directory and renames it into place afterwards. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "image-folder.h"
#include "image-write-private.h"

static gboolean
write_file (const char *dir, const char *name, const void *text, gsize len,
            StVM *vm, const StOop *out_start, gint seg, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot create: %s", path, g_strerror (errno));
      return FALSE;
    }
  StOut o;
  st_out_init (&o, fd);
  if (seg >= 0)
    st_spur64_write_segment (vm, out_start, (guint) seg, &o);
  else
    st_out_bytes (&o, text, len);
  gboolean ok = st_out_finish (&o, error);
  if (ok && fsync (fd) != 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot sync: %s", path, g_strerror (errno));
      ok = FALSE;
    }
  if (close (fd) != 0 && ok)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot close: %s", path, g_strerror (errno));
      ok = FALSE;
    }
  return ok;
}

static void
ston_begin (GString *s, const char *name)
{
  g_string_append_printf (s, "%s {\n", name);
}

static void
ston_field (GString *s, const char *name, int64_t v, gboolean last)
{
  g_string_append_printf (s, "\t#%s : %" PRId64 "%s", name, v, last ? "\n}\n" : ",\n");
}

gboolean
st_write_folder (StVM *vm, const char *dir, GError **error)
{
  g_autofree StOop *out_start = g_new (StOop, MAX (vm->n_segments, 1));
  uint64_t data_size = 0;
  if (!st_spur64_layout (vm, out_start, &data_size, error))
    return FALSE;
  const StImageHeader *h = &vm->header;

  g_autoptr (GString) s = g_string_new (NULL);
  ston_begin (s, "SpurImageHeaderStruct");
  ston_field (s, "dataSize", (int64_t) data_size, FALSE);
  ston_field (s, "hdrOldSpaceSize", (int64_t) data_size, FALSE);
  ston_field (s, "oldBaseAddr", (int64_t) out_start[0], FALSE);
  ston_field (s, "initialSpecialObjectsOop",
              (int64_t) st_spur64_file_address (vm, out_start, vm->special_objects), FALSE);
  ston_field (s, "headerFlags", (int64_t) h->header_flags, FALSE);
  ston_field (s, "extraVMMemory", h->extra_vm_memory, FALSE);
  ston_field (s, "hdrNumStackPages", h->num_stack_pages, FALSE);
  ston_field (s, "hdrCogCodeSize", h->cog_code_size, FALSE);
  ston_field (s, "hdrEdenBytes", h->eden_bytes, FALSE);
  ston_field (s, "hdrMaxExtSemTabSize", h->max_ext_sem_tab_size, FALSE);
  ston_field (s, "firstSegSize", (int64_t) vm->segments[0].bytes, FALSE);
  ston_field (s, "freeOldSpaceInImage", (int64_t) h->free_old_space, FALSE);
  ston_field (s, "swapBytes", 0, FALSE);
  ston_field (s, "hdrLastHash", (int64_t) h->last_hash, FALSE);
  ston_field (s, "imageFormat", st_spur64_format (vm), FALSE);
  ston_field (s, "imageHeaderSize", 128, FALSE);
  ston_field (s, "imageVersion", h->image_version, TRUE);
  if (!write_file (dir, "header.ston", s->str, s->len, vm, out_start, -1, error))
    return FALSE;

  for (guint i = 0; i < vm->n_segments; i++)
    {
      g_string_truncate (s, 0);
      ston_begin (s, "ComposedMetadataStruct");
      ston_field (s, "startAddress", (int64_t) out_start[i], FALSE);
      ston_field (s, "dataSize", (int64_t) vm->segments[i].bytes, TRUE);
      g_autofree char *mname = g_strdup_printf ("seg%u.ston", i);
      g_autofree char *dname = g_strdup_printf ("seg%u.data", i);
      if (!write_file (dir, mname, s->str, s->len, vm, out_start, -1, error))
        return FALSE;
      if (!write_file (dir, dname, NULL, 0, vm, out_start, (gint) i, error))
        return FALSE;
    }
  return TRUE;
}
