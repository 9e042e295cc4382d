/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-read.c: format detection and the Spur 64-bit reader.
 *
 * A 64-bit Spur image is mapped address-faithfully: segment 0 lands at the
 * image's oldBaseAddr in heap address space (st_ptr adds the VM's bias), so
 * an image with one segment needs no relocation at all and its bytes are
 * read straight into the heap.  Later segments keep their file addresses
 * when those fit in the reservation. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-read.h"
#include "image-read-private.h"

/* ---- sources: a file descriptor or a buffer ---- */

gboolean
st_src_read (StSrc *src, uint64_t off, void *dst, gsize n, GError **error)
{
  if (off > src->len || n > src->len - off)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_TRUNCATED,
                   "%s: the file ends at offset %" G_GUINT64_FORMAT
                   " but %" G_GSIZE_FORMAT " bytes are needed at offset %" G_GUINT64_FORMAT,
                   src->name, (uint64_t) src->len, n, off);
      return FALSE;
    }
  if (src->buf != NULL)
    {
      memcpy (dst, src->buf + off, n);
      return TRUE;
    }
  guint8 *p = dst;
  while (n > 0)
    {
      ssize_t r = pread (src->fd, p, n, (off_t) off);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        {
          g_set_error (error, ST_IMAGE_ERROR, r == 0 ? ST_IMAGE_ERROR_TRUNCATED : ST_IMAGE_ERROR_IO,
                       "%s: cannot read %" G_GSIZE_FORMAT " bytes at offset %" G_GUINT64_FORMAT ": %s",
                       src->name, n, off, r == 0 ? "unexpected end of file" : g_strerror (errno));
          return FALSE;
        }
      p += r;
      off += (uint64_t) r;
      n -= (gsize) r;
    }
  return TRUE;
}

/* ---- format numbers ---- */

static const struct { guint32 format; const char *text; } known_formats[] = {
  { 6502, "V3 32-bit, BlockContexts (no closures)" },
  { 6504, "V3 32-bit, closures" },
  { 6505, "V3 32-bit, closures, native float word order (Cog V3)" },
  { 6521, "Spur 32-bit, closures, native float word order" },
  { 7033, "Spur 32-bit, closures, native float word order, multiple bytecode sets (Sista)" },
  { 68000, "V3 64-bit" },
  { 68002, "V3 64-bit, closures" },
  { 68003, "V3 64-bit, closures, native float word order" },
  { 68019, "Spur 64-bit (obsolete SmallFloat tag assignment)" },
  { 68021, "Spur 64-bit, closures, native float word order" },
  { 68533, "Spur 64-bit, closures, native float word order, multiple bytecode sets (Sista)" },
};

const char *
st_image_format_describe (guint32 format)
{
  for (gsize i = 0; i < G_N_ELEMENTS (known_formats); i++)
    if (known_formats[i].format == format)
      return known_formats[i].text;
  return "unknown image format";
}

static gboolean
format_is_known (guint32 f)
{
  for (gsize i = 0; i < G_N_ELEMENTS (known_formats); i++)
    if (known_formats[i].format == f)
      return TRUE;
  return FALSE;
}

static guint32
swap32 (guint32 v)
{
  return GUINT32_SWAP_LE_BE (v);
}

gboolean
st_detect_format (StSrc *src, StPersonality *p, GError **error)
{
  static const guint offsets[] = { 0, 512 };
  memset (p, 0, sizeof *p);
  for (gsize i = 0; i < G_N_ELEMENTS (offsets); i++)
    {
      guint32 w;
      if (src->len < offsets[i] + 4)
        break;
      if (!st_src_read (src, offsets[i], &w, 4, NULL))
        break;
      guint32 le = GUINT32_FROM_LE (w), be = swap32 (le);
      for (int order = 0; order < 2; order++)
        {
          guint32 f = order == 0 ? le : be;
          if (!format_is_known (f))
            continue;
          p->format = f;
          p->big_endian = order == 1;
          p->header_offset = offsets[i];
          p->family = (f & 16) ? ST_FAMILY_SPUR : ST_FAMILY_V3;
          p->word_bytes = f >= 68000 ? 8 : 4;
          p->native_floats = f & 1;
          p->sista = (f & 512) != 0;
          p->closures = (f & 0x119EE) != 6502 && (f & 0x119EE) != 68000;
          return TRUE;
        }
    }
  guint32 w = 0;
  if (src->len >= 4)
    st_src_read (src, 0, &w, 4, NULL);
  g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_MAGIC,
               "%s: not a Smalltalk image: no known image format number at offset 0 or 512 "
               "(offset 0 holds 0x%08x)", src->name, GUINT32_FROM_LE (w));
  return FALSE;
}

/* ---- header ---- */

uint64_t
st_src_word (const guint8 *p, guint width, gboolean big_endian)
{
  if (width == 8)
    {
      uint64_t v;
      memcpy (&v, p, 8);
      return big_endian ? GUINT64_FROM_BE (v) : GUINT64_FROM_LE (v);
    }
  if (width == 4)
    {
      guint32 v;
      memcpy (&v, p, 4);
      return big_endian ? GUINT32_FROM_BE (v) : GUINT32_FROM_LE (v);
    }
  guint16 v;
  memcpy (&v, p, 2);
  return big_endian ? GUINT16_FROM_BE (v) : GUINT16_FROM_LE (v);
}

gboolean
st_read_header (StSrc *src, const StPersonality *p, StImageHeader *h, GError **error)
{
  guint W = p->word_bytes;
  guint8 raw[128] = { 0 };
  guint want = W == 8 ? 128 : 64;
  memset (h, 0, sizeof *h);
  if (!st_src_read (src, p->header_offset, raw, want, error))
    return FALSE;
  gboolean be = p->big_endian;
  const guint8 *q = raw;
#define TAKE(field, width) do { h->field = st_src_word (q, (width), be); q += (width); } while (0)
  TAKE (image_format, 4);
  TAKE (header_size, 4);
  TAKE (data_size, W);
  TAKE (old_base_addr, W);
  TAKE (special_objects_oop, W);
  TAKE (last_hash, W);
  TAKE (saved_window_size, W);
  TAKE (header_flags, W);
  TAKE (extra_vm_memory, 4);
  TAKE (num_stack_pages, 2);
  TAKE (cog_code_size, 2);
  TAKE (eden_bytes, 4);
  TAKE (max_ext_sem_tab_size, 2);
  TAKE (image_version, 2);
  TAKE (first_seg_size, W);
  TAKE (free_old_space, W);
#undef TAKE
  if (h->header_size < want || h->header_size > 1 << 20)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: header size %u at offset %u is impossible for a %u-bit image (expected %u)",
                   src->name, h->header_size, p->header_offset + 4, W * 8, want);
      return FALSE;
    }
  h->raw_len = want;
  memcpy (h->raw, raw, want);
  uint64_t data_start = (uint64_t) p->header_offset + h->header_size;
  if (data_start > src->len || h->data_size > src->len - data_start)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_TRUNCATED,
                   "%s: the header (offset %u) says %" G_GUINT64_FORMAT " bytes of objects follow at offset %"
                   G_GUINT64_FORMAT ", but the file is only %" G_GUINT64_FORMAT " bytes long",
                   src->name, p->header_offset + 8, h->data_size, data_start, (uint64_t) src->len);
      return FALSE;
    }
  return TRUE;
}

/* ---- common finishing: well-known objects ---- */

gboolean
st_read_locate_roots (StVM *vm, StSrc *src, GError **error)
{
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop first[5] = { 0 };
  for (int i = 0; i < 5; i++)
    {
      first[i] = st_heap_walk_next (&w);
      if (first[i] == 0)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                       "%s: the heap ends after %d objects; nil, false, true, the free lists and the hidden roots "
                       "must come first", src->name, i);
          return FALSE;
        }
    }
  vm->nil_obj = first[0];
  vm->false_obj = first[1];
  vm->true_obj = first[2];
  vm->free_lists_obj = first[3];
  vm->hidden_roots_obj = first[4];
  if (st_num_slots (vm, vm->hidden_roots_obj) < ST_CLASS_TABLE_ROOT_SLOTS)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_OBJECT,
                   "%s: the fifth object (0x%" G_GINT64_MODIFIER "x) should be the hidden roots with at least %d slots "
                   "but has %" G_GUINT64_FORMAT, src->name, vm->hidden_roots_obj, ST_CLASS_TABLE_ROOT_SLOTS,
                   st_num_slots (vm, vm->hidden_roots_obj));
      return FALSE;
    }
  StOop splobs = vm->header.special_objects_oop;
  const StSegment *s = st_objmem_segment_of (vm, splobs);
  if (s == NULL || (splobs & 7) != 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: the special objects oop 0x%" G_GINT64_MODIFIER "x (header offset %u) is outside the heap",
                   src->name, splobs, vm->personality.header_offset + (vm->personality.word_bytes == 8 ? 24 : 16));
      return FALSE;
    }
  vm->special_objects = splobs;
  return TRUE;
}

/* ---- Spur 64-bit ---- */

#define RESERVE_MIN   (G_GUINT64_CONSTANT (1) << 32)   /* 4 GiB of address space at least */

static StVM *
read_spur64 (StSrc *src, const StPersonality *p, StReadFlags flags, GError **error)
{
  StVM *vm = st_vm_new ();
  vm->personality = *p;
  StImageHeader *h = &vm->header;
  if (!st_read_header (src, p, h, error))
    goto fail;
  if (h->old_base_addr & 7)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: old base address 0x%" G_GINT64_MODIFIER "x (header offset %u) is not 8-byte aligned",
                   src->name, h->old_base_addr, p->header_offset + 16);
      goto fail;
    }
  if (h->first_seg_size > h->data_size || h->first_seg_size < ST_BRIDGE_BYTES || (h->first_seg_size & 7))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_HEADER,
                   "%s: first segment size %" G_GUINT64_FORMAT " (header offset %u) does not fit the data size %"
                   G_GUINT64_FORMAT, src->name, h->first_seg_size, p->header_offset + 72, h->data_size);
      goto fail;
    }
  uint64_t reserve = MAX (RESERVE_MIN, h->data_size * 4 + (G_GUINT64_CONSTANT (64) << 20));
  if (!st_objmem_init (vm, h->old_base_addr, reserve, h->data_size, error))
    goto fail;

  uint64_t file_off = (uint64_t) p->header_offset + h->header_size;
  uint64_t file_end = file_off + h->data_size;
  StOop addr = h->old_base_addr;       /* where the next segment lands */
  StOop file_addr = h->old_base_addr;  /* where it was when saved */
  uint64_t seg_bytes = h->first_seg_size;
  while (seg_bytes > 0)
    {
      if (seg_bytes < ST_BRIDGE_BYTES || (seg_bytes & 7) || seg_bytes > file_end - file_off)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_SEGMENT,
                       "%s: segment %u at offset %" G_GUINT64_FORMAT " claims %" G_GUINT64_FORMAT
                       " bytes but %" G_GUINT64_FORMAT " remain of the data", src->name, vm->n_segments,
                       file_off, seg_bytes, file_end - file_off);
          goto fail;
        }
      if (!st_objmem_commit (vm, addr - vm->mem_base + seg_bytes, error))
        goto fail;
      if (!st_src_read (src, file_off, st_ptr (vm, addr), seg_bytes, error))
        goto fail;
      StSegment *seg = st_objmem_add_segment (vm, addr, seg_bytes);
      seg->file_start = file_addr;
      seg->file_offset = file_off;

      /* The bridge: word 0 spans the gap to the next segment (top byte 0xFF
       * when it carries a count), word 1 the next segment's size in bytes. */
      StOop bridge = addr + seg_bytes - ST_BRIDGE_BYTES;
      uint64_t span_word = st_word_at (vm, bridge);
      uint64_t next_bytes = st_word_at (vm, bridge + 8);
      file_off += seg_bytes;
      if (next_bytes == 0)
        break;
      uint64_t span = (span_word >> 56) == 0xFF ? (span_word & G_GUINT64_CONSTANT (0x00FFFFFFFFFFFFFF)) * 8 : 0;
      StOop next_file_addr = file_addr + seg_bytes + span;
      if (next_file_addr - vm->mem_base + next_bytes <= vm->mem_reserved / 2)
        addr = next_file_addr;     /* keeps its address */
      else
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED,
                       "%s: segment %u (offset %" G_GUINT64_FORMAT ") lies %" G_GUINT64_FORMAT
                       " bytes past the previous one; relocating segments is not implemented yet",
                       src->name, vm->n_segments, file_off, span);
          goto fail;
        }
      file_addr = next_file_addr;
      seg_bytes = next_bytes;
    }
  if (file_off != file_end)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_BAD_SEGMENT,
                   "%s: the segments end at offset %" G_GUINT64_FORMAT " but the header's data size ends at %"
                   G_GUINT64_FORMAT, src->name, file_off, file_end);
      goto fail;
    }
  if (!st_read_locate_roots (vm, src, error))
    goto fail;
  return vm;

fail:
  st_vm_free (vm);
  return NULL;
}

/* ---- entry points ---- */

static StVM *
read_src (StSrc *src, StReadFlags flags, GError **error)
{
  StPersonality p;
  if (!st_detect_format (src, &p, error))
    return NULL;
  if (p.family == ST_FAMILY_SPUR && p.word_bytes == 8)
    {
      if (p.big_endian)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED,
                       "%s: big-endian 64-bit Spur images are not supported", src->name);
          return NULL;
        }
      return read_spur64 (src, &p, flags, error);
    }
  g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED,
               "%s: image format %u (%s) cannot be read yet", src->name, p.format,
               st_image_format_describe (p.format));
  return NULL;
}

StVM *
st_image_read_buffer (const guint8 *data, gsize len, const char *name, StReadFlags flags, GError **error)
{
  StSrc src = { .fd = -1, .buf = data, .len = len, .name = name ? name : "buffer" };
  return read_src (&src, flags, error);
}

StVM *
st_image_read_full (const char *path, StReadFlags flags, StReadProgress progress, gpointer progress_data,
                    GError **error)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot open: %s", path, g_strerror (errno));
      return NULL;
    }
  struct stat st;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: not a regular file", path);
      close (fd);
      return NULL;
    }
  StSrc src = { .fd = fd, .buf = NULL, .len = (gsize) st.st_size, .name = path,
                .progress = progress, .progress_data = progress_data };
  StVM *vm = read_src (&src, flags, error);
  close (fd);
  if (vm != NULL)
    {
      vm->image_path = g_strdup (path);
      st_locate_companions (vm);
    }
  return vm;
}

StVM *
st_image_read (const char *path, StReadFlags flags, GError **error)
{
  return st_image_read_full (path, flags, NULL, NULL, error);
}

/* The .changes file has the image's name; the .sources file is any
 * *.sources beside it (SqueakV3.sources, CuisV4.sources, PharoV60.sources). */
void
st_locate_companions (StVM *vm)
{
  g_autofree char *dir = g_path_get_dirname (vm->image_path);
  g_autofree char *base = g_path_get_basename (vm->image_path);
  char *dot = g_str_has_suffix (base, ".image") ? strrchr (base, '.') : NULL;
  if (dot != NULL)
    *dot = '\0';
  g_autofree char *changes = g_strdup_printf ("%s/%s.changes", dir, base);
  g_clear_pointer (&vm->changes_path, g_free);
  g_clear_pointer (&vm->sources_path, g_free);
  if (g_file_test (changes, G_FILE_TEST_IS_REGULAR))
    vm->changes_path = g_steal_pointer (&changes);
  GDir *d = g_dir_open (dir, 0, NULL);
  if (d != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (d)) != NULL)
        if (g_str_has_suffix (name, ".sources"))
          {
            g_free (vm->sources_path);
            vm->sources_path = g_build_filename (dir, name, NULL);
          }
      g_dir_close (d);
    }
}
