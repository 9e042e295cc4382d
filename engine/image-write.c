/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-write.c: the write driver.
 *
 * Every write goes to a temporary file (or folder) named .NAME.XXXXXX in the
 * destination's own directory, so the final rename cannot cross file
 * systems.  The temporary is fsynced, renamed over the destination, and
 * the directory is fsynced so the rename itself is durable.  On any error
 * the temporary is removed: a destination is either the old file or the
 * complete new one, never half of either.
 *
 * Folder (Pharo composed) images are directories, and rename(2) cannot
 * replace a non-empty directory, so an existing destination is first moved
 * aside (to NAME.bak or a temporary name) and removed afterwards. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "image-write.h"
#include "image-write-private.h"

#define OUT_BUFFER_BYTES (1u << 20)

/* ---- StOut: buffered writes to a file descriptor ---- */

void
st_out_init (StOut *o, int fd)
{
  memset (o, 0, sizeof *o);
  o->fd = fd;
  o->cap = OUT_BUFFER_BYTES;
  o->buf = g_malloc (o->cap);
}

static void
out_write_all (StOut *o, const guint8 *p, gsize n)
{
  while (n > 0 && o->error == NULL)
    {
      ssize_t w = write (o->fd, p, MIN (n, (gsize) 1 << 30));
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        {
          int e = errno;
          g_set_error (&o->error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO,
                       "cannot write %" G_GSIZE_FORMAT " bytes at output offset %" G_GUINT64_FORMAT ": %s",
                       n, o->written - o->len, w == 0 ? "no progress" : g_strerror (e));
          return;
        }
      p += w;
      n -= (gsize) w;
    }
}

static void
out_flush (StOut *o)
{
  if (o->len > 0)
    out_write_all (o, o->buf, o->len);
  o->len = 0;
}

void
st_out_bytes (StOut *o, const void *p, gsize n)
{
  if (o->error != NULL || n == 0)
    return;
  if (o->len + n > o->cap)
    out_flush (o);
  if (n >= o->cap)
    {
      /* Large blocks (whole segments) bypass the buffer. */
      o->written += n;
      out_write_all (o, p, n);
      return;
    }
  memcpy (o->buf + o->len, p, n);
  o->len += n;
  o->written += n;
}

void
st_out_u16 (StOut *o, guint16 v, gboolean big_endian)
{
  guint16 x = big_endian ? GUINT16_TO_BE (v) : GUINT16_TO_LE (v);
  st_out_bytes (o, &x, 2);
}

void
st_out_u32 (StOut *o, guint32 v, gboolean big_endian)
{
  guint32 x = big_endian ? GUINT32_TO_BE (v) : GUINT32_TO_LE (v);
  st_out_bytes (o, &x, 4);
}

void
st_out_u64 (StOut *o, uint64_t v, gboolean big_endian)
{
  uint64_t x = big_endian ? GUINT64_TO_BE (v) : GUINT64_TO_LE (v);
  st_out_bytes (o, &x, 8);
}

void
st_out_zeros (StOut *o, gsize n)
{
  static const guint8 zeros[4096] = { 0 };
  while (n > 0 && o->error == NULL)
    {
      gsize k = MIN (n, sizeof zeros);
      st_out_bytes (o, zeros, k);
      n -= k;
    }
}

gboolean
st_out_finish (StOut *o, GError **error)
{
  out_flush (o);
  g_clear_pointer (&o->buf, g_free);
  o->cap = 0;
  if (o->error != NULL)
    {
      g_propagate_error (error, o->error);
      o->error = NULL;
      return FALSE;
    }
  return TRUE;
}

/* ---- kinds ---- */

static const struct { StImageKind kind; const char *name; } kind_names[] = {
  { ST_IMAGE_KIND_SAME, "same" },
  { ST_IMAGE_KIND_SPUR64, "spur64" },
  { ST_IMAGE_KIND_SPUR32, "spur32" },
  { ST_IMAGE_KIND_FOLDER, "folder" },
  { ST_IMAGE_KIND_V3, "v3" },
};

gboolean
st_image_kind_from_string (const char *s, StImageKind *out)
{
  if (s == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (g_ascii_strcasecmp (s, kind_names[i].name) == 0)
      {
        if (out != NULL)
          *out = kind_names[i].kind;
        return TRUE;
      }
  return FALSE;
}

const char *
st_image_kind_to_string (StImageKind kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (kind_names[i].kind == kind)
      return kind_names[i].name;
  return "unknown";
}

/* The kind SAME stands for, from what the image itself expects. */
StImageKind
st_image_kind_resolve (const StVM *vm, StImageKind kind)
{
  if (kind != ST_IMAGE_KIND_SAME)
    return kind;
  const StPersonality *p = &vm->personality;
  if (p->folder)
    return ST_IMAGE_KIND_FOLDER;
  if (p->family == ST_FAMILY_V3)
    return ST_IMAGE_KIND_V3;
  return p->word_bytes == 4 ? ST_IMAGE_KIND_SPUR32 : ST_IMAGE_KIND_SPUR64;
}

static gboolean
check_kind (const StVM *vm, StImageKind kind, GError **error)
{
  const StPersonality *p = &vm->personality;
  if (vm->n_segments == 0 || vm->special_objects == 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID,
                   "the heap has no segments or no special objects array: nothing to write");
      return FALSE;
    }
  switch (kind)
    {
    case ST_IMAGE_KIND_V3:
      if (p->family != ST_FAMILY_V3)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED,
                       "a Spur heap (format %u) cannot be written as a V3 image; "
                       "only heaps read from V3 images can", p->format);
          return FALSE;
        }
      return TRUE;
    case ST_IMAGE_KIND_SPUR64:
    case ST_IMAGE_KIND_SPUR32:
    case ST_IMAGE_KIND_FOLDER:
      if (p->family != ST_FAMILY_SPUR)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_UNSUPPORTED,
                       "a heap read from a V3 image (format %u%s) cannot be written as %s: "
                       "converting V3 to Spur is not implemented", p->format,
                       p->closures ? "" : ", BlockContexts", st_image_kind_to_string (kind));
          return FALSE;
        }
      return TRUE;
    case ST_IMAGE_KIND_SAME:
    default:
      break;
    }
  g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID, "unknown image kind %d", (int) kind);
  return FALSE;
}

/* ---- files ---- */

static gboolean
fsync_dir (const char *dir, GError **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot open the folder to sync it: %s",
                   dir, g_strerror (errno));
      return FALSE;
    }
  int r = fsync (fd);
  int e = errno;
  close (fd);
  /* Some file systems cannot sync a directory; that is not a failure of ours. */
  if (r != 0 && e != EINVAL && e != EROFS && e != ENOTSUP)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot sync the folder: %s", dir, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

/* Remove a file or a directory tree (the depth is bounded: folder images
 * hold no subdirectories; anything deeper than 8 levels is left alone). */
static void
remove_tree (const char *path, int depth)
{
  struct stat st;
  if (lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode) && depth < 8)
    {
      GDir *d = g_dir_open (path, 0, NULL);
      if (d != NULL)
        {
          const char *name;
          while ((name = g_dir_read_name (d)) != NULL)
            {
              g_autofree char *p = g_build_filename (path, name, NULL);
              remove_tree (p, depth + 1);
            }
          g_dir_close (d);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static gboolean
same_file (const char *a, const char *b)
{
  struct stat sa, sb;
  if (a == NULL || b == NULL || stat (a, &sa) != 0 || stat (b, &sb) != 0)
    return FALSE;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Put the finished temporary `tmp` in place of `path`. */
static gboolean
install (const char *tmp, const char *path, gboolean tmp_is_dir, StWriteFlags flags, GError **error)
{
  struct stat st;
  gboolean exists = lstat (path, &st) == 0;
  g_autofree char *bak = g_strdup_printf ("%s.bak", path);
  gboolean backup = exists && (flags & ST_WRITE_BACKUP);

  if (exists && (tmp_is_dir || S_ISDIR (st.st_mode)))
    {
      /* A directory on either side: move the old one aside first. */
      g_autofree char *aside = NULL;
      if (backup)
        {
          remove_tree (bak, 0);
          aside = g_strdup (bak);
        }
      else
        aside = g_strdup_printf ("%s.old-%08x", tmp, g_random_int ());
      if (rename (path, aside) != 0)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot move the old image aside to %s: %s",
                       path, aside, g_strerror (errno));
          return FALSE;
        }
      if (rename (tmp, path) != 0)
        {
          int e = errno;
          rename (aside, path);   /* put the old one back */
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot rename %s into place: %s",
                       path, tmp, g_strerror (e));
          return FALSE;
        }
      if (!backup)
        remove_tree (aside, 0);
      return TRUE;
    }

  if (backup)
    {
      /* Keep the old file under NAME.bak; the destination itself is then
       * replaced atomically, so it never disappears. */
      g_unlink (bak);
      if (link (path, bak) != 0)
        {
          /* No hard links here (some file systems): copy by renaming; the
           * destination is briefly absent, but the data is never lost. */
          if (rename (path, bak) != 0)
            {
              g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot keep the old image as %s: %s",
                           path, bak, g_strerror (errno));
              return FALSE;
            }
        }
    }
  if (rename (tmp, path) != 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot rename %s into place: %s",
                   path, tmp, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_destination (StVM *vm, const char *path, StWriteFlags flags, GError **error)
{
  if (path == NULL || *path == '\0')
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID, "no destination path given");
      return FALSE;
    }
  if (!(flags & ST_WRITE_FORCE))
    {
      if (same_file (path, vm->image_path))
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_EXISTS,
                       "%s: refusing to overwrite the image this heap was read from without force", path);
          return FALSE;
        }
      struct stat st;
      if (lstat (path, &st) == 0)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_EXISTS,
                       "%s: the destination exists; refusing to overwrite it without force", path);
          return FALSE;
        }
    }
  return TRUE;
}

/* Write one single-file image into a fresh temporary beside path. */
static gboolean
write_file (StVM *vm, const char *path, StImageKind kind, StWriteFlags flags, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  int fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot create a temporary file in %s: %s",
                   path, dir, g_strerror (errno));
      return FALSE;
    }
  /* g_mkstemp_full creates it 0666 less the umask: an ordinary document. */

  StOut o;
  st_out_init (&o, fd);
  gboolean ok;
  switch (kind)
    {
    case ST_IMAGE_KIND_SPUR64:
      ok = st_write_spur64 (vm, &o, error);
      break;
    case ST_IMAGE_KIND_SPUR32:
      ok = st_write_spur32 (vm, &o, error);
      break;
    case ST_IMAGE_KIND_V3:
      ok = st_write_v3 (vm, &o, error);
      break;
    default:
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID, "%s: not a single-file image kind", path);
      ok = FALSE;
      break;
    }
  /* Flush even after a failure, to release the buffer; keep the first error. */
  if (!st_out_finish (&o, ok ? error : NULL))
    ok = FALSE;
  if (ok && fsync (fd) != 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot sync %s: %s", path, tmp, g_strerror (errno));
      ok = FALSE;
    }
  if (close (fd) != 0 && ok)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot close %s: %s", path, tmp, g_strerror (errno));
      ok = FALSE;
    }
  if (ok)
    ok = install (tmp, path, FALSE, flags, error);
  if (!ok)
    {
      g_unlink (tmp);
      return FALSE;
    }
  return fsync_dir (dir, error);
}

static gboolean
write_folder (StVM *vm, const char *path, StWriteFlags flags, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  if (g_mkdtemp_full (tmp, 0777) == NULL)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot create a temporary folder in %s: %s",
                   path, dir, g_strerror (errno));
      return FALSE;
    }
  gboolean ok = st_write_folder (vm, tmp, error) && fsync_dir (tmp, error)
                && install (tmp, path, TRUE, flags, error);
  if (!ok)
    {
      remove_tree (tmp, 0);
      return FALSE;
    }
  return fsync_dir (dir, error);
}

gboolean
st_image_write (StVM *vm, const char *path, StImageKind kind, StWriteFlags flags, GError **error)
{
  g_return_val_if_fail (vm != NULL, FALSE);
  kind = st_image_kind_resolve (vm, kind);
  if (!check_kind (vm, kind, error))
    return FALSE;
  /* "Foo.image/" names the same thing as "Foo.image". */
  g_autofree char *dest = g_strdup (path);
  gsize n = dest ? strlen (dest) : 0;
  while (n > 1 && dest[n - 1] == G_DIR_SEPARATOR)
    dest[--n] = '\0';
  if (!check_destination (vm, dest, flags, error))
    return FALSE;
  if (kind == ST_IMAGE_KIND_FOLDER)
    return write_folder (vm, dest, flags, error);
  return write_file (vm, dest, kind, flags, error);
}

/* ---- the .changes file beside a new image ---- */

char *
st_image_changes_path_for (const char *image_path)
{
  g_autofree char *trimmed = g_strdup (image_path);
  gsize n = strlen (trimmed);
  while (n > 1 && trimmed[n - 1] == G_DIR_SEPARATOR)
    trimmed[--n] = '\0';
  if (g_str_has_suffix (trimmed, ".image"))
    trimmed[n - strlen (".image")] = '\0';
  return g_strdup_printf ("%s.changes", trimmed);
}

gboolean
st_image_copy_changes (StVM *vm, const char *new_image_path, GError **error)
{
  if (vm->changes_path == NULL)
    return TRUE;
  g_autofree char *dest = st_image_changes_path_for (new_image_path);
  if (same_file (dest, vm->changes_path))
    return TRUE;
  int in = open (vm->changes_path, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot open: %s", vm->changes_path,
                   g_strerror (errno));
      return FALSE;
    }
  g_autofree char *dir = g_path_get_dirname (dest);
  g_autofree char *base = g_path_get_basename (dest);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  int fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot create a temporary file in %s: %s",
                   dest, dir, g_strerror (errno));
      close (in);
      return FALSE;
    }
  StOut o;
  st_out_init (&o, fd);
  gboolean ok = TRUE;
  guint8 *chunk = g_malloc (1 << 20);
  for (;;)
    {
      ssize_t r = read (in, chunk, 1 << 20);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot read: %s", vm->changes_path,
                       g_strerror (errno));
          ok = FALSE;
          break;
        }
      if (r == 0)
        break;
      st_out_bytes (&o, chunk, (gsize) r);
    }
  g_free (chunk);
  close (in);
  if (!st_out_finish (&o, ok ? error : NULL))
    ok = FALSE;
  if (ok && fsync (fd) != 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot sync: %s", tmp, g_strerror (errno));
      ok = FALSE;
    }
  close (fd);
  if (ok && rename (tmp, dest) != 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_IO, "%s: cannot rename %s into place: %s", dest, tmp,
                   g_strerror (errno));
      ok = FALSE;
    }
  if (!ok)
    {
      g_unlink (tmp);
      return FALSE;
    }
  return fsync_dir (dir, error);
}
