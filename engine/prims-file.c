/* SPDX-License-Identifier: GPL-3.0-or-later */
/* prims-file.c: the named primitives Thaw implements: a sandboxed
 * FilePlugin and the ConsolePlugin.
 *
 * The sandbox: an image may read existing files, but nothing it writes
 * reaches the disk.  Opening a file for writing gives it an in-memory copy
 * (the file's current contents, if any); writes change only that copy.
 * Standard output and error are captured the same way and become the run's
 * output (st_interp_output); st_interp_foreach_file lists the other files
 * written.  Handles are SmallIntegers naming a slot of it->files. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "interp-private.h"
#include "plugins.h"

#define HANDLE_BASE 4000
#define MAX_FILE_BYTES (G_GUINT64_CONSTANT (64) << 20)

typedef struct {
  char *path;
  GByteArray *data;
  uint64_t pos;
  bool writable;
  bool written;
  bool superseded;      /* a later open of the same path shares the data */
  bool deleted;         /* a marker: primitiveFileDelete removed this path (never a handle) */
  int stdio;            /* 0 stdin, 1 stdout, 2 stderr, -1 a file */
} StFile;

static void
file_free (gpointer p)
{
  StFile *f = p;
  if (f == NULL)
    return;
  g_free (f->path);
  g_byte_array_unref (f->data);
  g_free (f);
}

void
st_prims_files_free (StInterp *it)
{
  if (it->files != NULL)
    g_ptr_array_unref (it->files);
  it->files = NULL;
}

static GPtrArray *
files (StInterp *it)
{
  if (it->files == NULL)
    it->files = g_ptr_array_new_with_free_func (file_free);
  return it->files;
}

static StOop
add_file (StInterp *it, StFile *f)
{
  GPtrArray *a = files (it);
  for (guint i = 0; i < a->len; i++)
    if (g_ptr_array_index (a, i) == NULL)
      {
        g_ptr_array_index (a, i) = f;
        return st_smallint_oop (HANDLE_BASE + i);
      }
  g_ptr_array_add (a, f);
  return st_smallint_oop (HANDLE_BASE + a->len - 1);
}

static StFile *
file_of (StInterp *it, StOop h)
{
  if (!st_is_smallint (h) || it->files == NULL)
    return NULL;
  int64_t i = st_smallint_value (h) - HANDLE_BASE;
  if (i < 0 || (guint64) i >= it->files->len)
    return NULL;
  StFile *f = g_ptr_array_index (it->files, i);
  return f != NULL && f->deleted ? NULL : f;
}

void
st_interp_foreach_file (StVM *vm, void (*fn) (const char *path, const guint8 *data, gsize len, gpointer user),
                        gpointer user)
{
  StInterp *it = st_interp (vm);
  if (it == NULL || it->files == NULL)
    return;
  for (guint i = 0; i < it->files->len; i++)
    {
      StFile *f = g_ptr_array_index (it->files, i);
      if (f != NULL && f->written && !f->superseded && f->stdio < 0)
        fn (f->path, f->data->data, f->data->len, user);
    }
}

/* The bytes of a String/ByteArray argument: pointer and length. */
static bool
bytes_of (StVM *vm, StOop o, guint8 **p, uint64_t *n)
{
  if (!st_interp_valid_obj (vm, o))
    return false;
  guint fmt = st_format (vm, o);
  if (fmt < ST_FMT_WORDS32 || fmt >= ST_FMT_METHOD)
    return false;
  *p = st_bytes (vm, o);
  *n = st_byte_length (vm, o);
  return true;
}

static StPrimResult
prim_file_open (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 2)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  char *name = st_interp_string (vm, st_stack_value (it, 1));
  bool writable = st_stack_value (it, 0) == it->true_obj;
  if (name == NULL || name[0] == '\0')
    {
      g_free (name);
      return ST_PRIM_ERR_BAD_ARGUMENT;
    }
  /* A path written before in this run: share that copy. */
  for (guint i = 0; it->files && i < it->files->len; i++)
    {
      StFile *g = g_ptr_array_index (it->files, i);
      if (g != NULL && g->stdio < 0 && !g->superseded && strcmp (g->path, name) == 0)
        {
          if (g->deleted && !writable)
            {
              g_free (name);
              return ST_PRIM_FAIL;
            }
          if (g->deleted)
            {
              /* Created anew over a deleted file: empty, nothing read from disk. */
              g->superseded = true;
              StFile *f = g_new0 (StFile, 1);
              f->path = name;
              f->data = g_byte_array_new ();
              f->writable = true;
              f->stdio = -1;
              return st_prim_return (it, argc, add_file (it, f));
            }
          StFile *f = g_new0 (StFile, 1);
          f->path = name;
          f->data = g_byte_array_ref (g->data);
          f->writable = writable;
          f->written = g->written;
          f->stdio = -1;
          g->superseded = true;
          return st_prim_return (it, argc, add_file (it, f));
        }
    }
  char *contents = NULL;
  gsize len = 0;
  bool exists = g_file_test (name, G_FILE_TEST_IS_REGULAR)
                && g_file_get_contents (name, &contents, &len, NULL) && len <= MAX_FILE_BYTES;
  if (!exists && !writable)
    {
      g_free (contents);
      g_free (name);
      return ST_PRIM_FAIL;
    }
  StFile *f = g_new0 (StFile, 1);
  f->path = name;
  f->data = g_byte_array_new ();
  if (exists)
    g_byte_array_append (f->data, (const guint8 *) contents, (guint) len);
  g_free (contents);
  f->writable = writable;
  f->stdio = -1;
  return st_prim_return (it, argc, add_file (it, f));
}

static StPrimResult
prim_file_close (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StFile *f = file_of (it, st_stack_value (it, 0));
  if (f == NULL)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  /* Written files stay listed; a closed read-only file is dropped. */
  if (!f->written && !f->superseded && f->stdio < 0)
    {
      int64_t i = st_smallint_value (st_stack_value (it, 0)) - HANDLE_BASE;
      file_free (f);
      g_ptr_array_index (it->files, i) = NULL;
    }
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

/* primitiveFileWrite: id from: buffer startingAt: start count: count */
static StPrimResult
prim_file_write (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 4)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StFile *f = file_of (it, st_stack_value (it, 3));
  guint8 *p;
  uint64_t n;
  StOop s = st_stack_value (it, 1), c = st_stack_value (it, 0);
  if (f == NULL || !f->writable || !bytes_of (vm, st_stack_value (it, 2), &p, &n) || !st_is_smallint (s)
      || !st_is_smallint (c))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t start = st_smallint_value (s), count = st_smallint_value (c);
  if (start < 1 || count < 0 || (uint64_t) (start - 1 + count) > n)
    return ST_PRIM_ERR_BAD_INDEX;
  if (f->stdio > 0)
    g_string_append_len (it->output, (const char *) p + start - 1, count);
  else
    {
      if (f->pos + count > MAX_FILE_BYTES)
        return ST_PRIM_ERR_LIMIT_EXCEEDED;
      if (f->pos + count > f->data->len)
        g_byte_array_set_size (f->data, (guint) (f->pos + count));
      memcpy (f->data->data + f->pos, p + start - 1, count);
      f->pos += count;
    }
  f->written = true;
  return st_prim_return (it, argc, st_smallint_oop (count));
}

/* primitiveFileRead: id into: buffer startingAt: start count: count */
static StPrimResult
prim_file_read (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 4)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StFile *f = file_of (it, st_stack_value (it, 3));
  guint8 *p;
  uint64_t n;
  StOop s = st_stack_value (it, 1), c = st_stack_value (it, 0);
  if (f == NULL || !bytes_of (vm, st_stack_value (it, 2), &p, &n) || !st_is_smallint (s) || !st_is_smallint (c))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t start = st_smallint_value (s), count = st_smallint_value (c);
  if (start < 1 || count < 0 || (uint64_t) (start - 1 + count) > n)
    return ST_PRIM_ERR_BAD_INDEX;
  uint64_t avail = f->pos < f->data->len ? f->data->len - f->pos : 0;
  uint64_t k = MIN ((uint64_t) count, avail);
  memcpy (p + start - 1, f->data->data + f->pos, k);
  f->pos += k;
  return st_prim_return (it, argc, st_smallint_oop ((int64_t) k));
}

static StPrimResult
prim_file_at_end (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StFile *f = argc == 1 ? file_of (it, st_stack_value (it, 0)) : NULL;
  if (f == NULL)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  return st_prim_return (it, argc, st_bool (it, f->pos >= f->data->len));
}

static StPrimResult
prim_file_get_position (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StFile *f = argc == 1 ? file_of (it, st_stack_value (it, 0)) : NULL;
  if (f == NULL)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  return st_prim_return (it, argc, st_smallint_oop ((int64_t) f->pos));
}

static StPrimResult
prim_file_set_position (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StFile *f = argc == 2 ? file_of (it, st_stack_value (it, 1)) : NULL;
  int64_t pos;
  if (f == NULL || !st_interp_to_int64 (it, st_stack_value (it, 0), &pos) || pos < 0
      || (uint64_t) pos > MAX_FILE_BYTES)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  f->pos = (uint64_t) pos;
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

static StPrimResult
prim_file_size (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StFile *f = argc == 1 ? file_of (it, st_stack_value (it, 0)) : NULL;
  if (f == NULL)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  return st_prim_return (it, argc, st_smallint_oop (f->data->len));
}

static StPrimResult
prim_file_flush (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StFile *f = argc == 1 ? file_of (it, st_stack_value (it, 0)) : NULL;
  if (f == NULL)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

static StPrimResult
prim_file_truncate (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StFile *f = argc == 2 ? file_of (it, st_stack_value (it, 1)) : NULL;
  int64_t size;
  if (f == NULL || !f->writable || !st_interp_to_int64 (it, st_stack_value (it, 0), &size) || size < 0
      || (uint64_t) size > f->data->len)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  g_byte_array_set_size (f->data, (guint) size);
  f->written = true;
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

static StPrimResult
prim_file_stdio_handles (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop a = st_interp_new_array (it, 3);
  if (a == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  static const char *const names[] = { "<stdin>", "<stdout>", "<stderr>" };
  for (int i = 0; i < 3; i++)
    {
      StFile *f = NULL;
      for (guint j = 0; it->files && j < it->files->len; j++)
        {
          StFile *g = g_ptr_array_index (it->files, j);
          if (g && g->stdio == i)
            {
              st_store (vm, a, i, st_smallint_oop (HANDLE_BASE + j));
              f = g;
            }
        }
      if (f == NULL)
        {
          f = g_new0 (StFile, 1);
          f->path = g_strdup (names[i]);
          f->data = g_byte_array_new ();
          f->writable = i > 0;
          f->stdio = i;
          st_store (vm, a, i, add_file (it, f));
        }
    }
  return st_prim_return (it, argc, a);
}

static StPrimResult
prim_directory_delimitor (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  StOop c = st_interp_character (it, '/');
  if (c == 0)
    return ST_PRIM_FAIL;
  return st_prim_return (it, argc, c);
}

/* ConsolePlugin primitiveLog: message level: level (SqueakJS headless). */
static StPrimResult
prim_console_log (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 2)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  g_autofree char *msg = st_interp_string (vm, st_stack_value (it, 1));
  if (msg == NULL)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  g_string_append (it->output, msg);
  g_string_append_c (it->output, '\n');
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

static StPrimResult prim_file_delete (StVM *vm, int argc);
static StPrimResult prim_directory_create (StVM *vm, int argc);
static StPrimResult prim_directory_lookup (StVM *vm, int argc);

const StNamedPrim st_plugin_file[] = {
  { "primitiveFileOpen", prim_file_open },
  { "primitiveFileClose", prim_file_close },
  { "primitiveFileWrite", prim_file_write },
  { "primitiveFileRead", prim_file_read },
  { "primitiveFileAtEnd", prim_file_at_end },
  { "primitiveFileGetPosition", prim_file_get_position },
  { "primitiveFileSetPosition", prim_file_set_position },
  { "primitiveFileSize", prim_file_size },
  { "primitiveFileFlush", prim_file_flush },
  { "primitiveFileSync", prim_file_flush },
  { "primitiveFileTruncate", prim_file_truncate },
  { "primitiveFileStdioHandles", prim_file_stdio_handles },
  { "primitiveDirectoryDelimitor", prim_directory_delimitor },
  { "primitiveFileDelete", prim_file_delete },
  { "primitiveDirectoryCreate", prim_directory_create },
  { "primitiveDirectoryLookup", prim_directory_lookup },
  { NULL, NULL },
};

const StNamedPrim st_plugin_console[] = {
  { "primitiveLog:level:", prim_console_log },
  { NULL, NULL },
};

/* The live (not superseded) entry for path: a file the image opened or
 * wrote, or a deletion marker; NULL when there is none. */
static StFile *
live_entry (StInterp *it, const char *path)
{
  for (guint i = 0; it->files != NULL && i < it->files->len; i++)
    {
      StFile *g = g_ptr_array_index (it->files, i);
      if (g != NULL && g->stdio < 0 && !g->superseded && strcmp (g->path, path) == 0)
        return g;
    }
  return NULL;
}

/* primitiveFileDelete: name.  Inside the sandbox: the file disappears for
 * this run (later opens for reading fail, lookups skip it, a file written
 * here is no longer reported); the disk is not touched.  Fails when there
 * is no such file. */
/* primitiveDirectoryCreate: fullPath.  Succeeds as on a real disk when
 * the parent folder exists and the path does not, but the sandbox creates
 * nothing: the run's events say what the image asked for. */
static StPrimResult
prim_directory_create (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  g_autofree char *name = st_interp_string (vm, st_stack_value (it, 0));
  if (name == NULL || name[0] == '\0')
    return ST_PRIM_ERR_BAD_ARGUMENT;
  g_autofree char *parent = g_path_get_dirname (name);
  if (g_file_test (name, G_FILE_TEST_EXISTS) || !g_file_test (parent, G_FILE_TEST_IS_DIR))
    return ST_PRIM_FAIL;
  st_interp_note_event (it, "directory %s created in the sandbox only (nothing was written to disk)", name);
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

static StPrimResult
prim_file_delete (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  char *name = st_interp_string (vm, st_stack_value (it, 0));
  if (name == NULL || name[0] == '\0')
    {
      g_free (name);
      return ST_PRIM_ERR_BAD_ARGUMENT;
    }
  StFile *e = live_entry (it, name);
  bool exists = e != NULL ? !e->deleted : g_file_test (name, G_FILE_TEST_IS_REGULAR);
  if (!exists)
    {
      g_free (name);
      return ST_PRIM_FAIL;
    }
  /* Handles still open keep their data, as on Unix. */
  for (guint i = 0; it->files != NULL && i < it->files->len; i++)
    {
      StFile *g = g_ptr_array_index (it->files, i);
      if (g != NULL && g->stdio < 0 && strcmp (g->path, name) == 0)
        g->superseded = true;
    }
  StFile *m = g_new0 (StFile, 1);
  m->path = name;
  m->data = g_byte_array_new ();
  m->deleted = true;
  m->stdio = -1;
  add_file (it, m);
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

#define MAX_DIR_ENTRIES 100000
/* Seconds from 1901-01-01 to 1970-01-01, the Squeak clock's epoch. */
#define SQUEAK_EPOCH_OFFSET G_GINT64_CONSTANT (2177452800)

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Local seconds since 1901 for a Unix time. */
static int64_t
squeak_seconds (int64_t unix_secs)
{
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_local (unix_secs);
  int64_t off = t != NULL ? g_date_time_get_utc_offset (t) / G_TIME_SPAN_SECOND : 0;
  return unix_secs + off + SQUEAK_EPOCH_OFFSET;
}

/* primitiveDirectoryLookup: path index.  The index-th (1-based) entry of
 * the directory, names sorted, as {name. creation. modification.
 * isDirectory. size} (times in local seconds since 1901); nil past the
 * last entry; fails when the directory cannot be read.  Reads the disk
 * (the sandbox allows reading), leaves out files deleted in this run and
 * adds files created in this run. */
static StPrimResult
prim_directory_lookup (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 2)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop idx = st_stack_value (it, 0);
  if (!st_is_smallint (idx) || st_smallint_value (idx) < 1)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  g_autofree char *path = st_interp_string (vm, st_stack_value (it, 1));
  if (path == NULL)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  const char *dir = path[0] != '\0' ? path : "/";
  GDir *d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return ST_PRIM_FAIL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *n;
  while ((n = g_dir_read_name (d)) != NULL && names->len < MAX_DIR_ENTRIES)
    {
      g_autofree char *full = g_build_filename (dir, n, NULL);
      StFile *e = live_entry (it, full);
      if (e == NULL || !e->deleted)
        g_ptr_array_add (names, g_strdup (n));
    }
  g_dir_close (d);
  /* Files created in this run in that directory. */
  for (guint i = 0; it->files != NULL && i < it->files->len && names->len < MAX_DIR_ENTRIES; i++)
    {
      StFile *g = g_ptr_array_index (it->files, i);
      if (g == NULL || g->stdio >= 0 || g->superseded || g->deleted || g_file_test (g->path, G_FILE_TEST_EXISTS))
        continue;
      g_autofree char *parent = g_path_get_dirname (g->path);
      g_autofree char *want = g_canonicalize_filename (dir, "/");
      g_autofree char *have = g_canonicalize_filename (parent, "/");
      if (strcmp (want, have) == 0)
        g_ptr_array_add (names, g_path_get_basename (g->path));
    }
  g_ptr_array_sort (names, compare_names);
  /* the same name twice (a file opened twice) counts once */
  for (guint i = 1; i < names->len;)
    if (strcmp (g_ptr_array_index (names, i - 1), g_ptr_array_index (names, i)) == 0)
      g_ptr_array_remove_index (names, i);
    else
      i++;
  uint64_t k = (uint64_t) st_smallint_value (idx) - 1;
  if (k >= names->len)
    return st_prim_return (it, argc, vm->nil_obj);
  const char *name = g_ptr_array_index (names, k);
  g_autofree char *full = g_build_filename (dir, name, NULL);
  int64_t ctime = 0, mtime = 0, size = 0;
  bool is_dir = false;
  GStatBuf st;
  StFile *e = live_entry (it, full);
  if (e != NULL && !e->deleted && e->written)
    {
      size = e->data->len;
      ctime = mtime = squeak_seconds (g_get_real_time () / G_USEC_PER_SEC);
    }
  else if (g_stat (full, &st) == 0)
    {
      is_dir = S_ISDIR (st.st_mode);
      size = is_dir ? 0 : (int64_t) st.st_size;
      ctime = squeak_seconds ((int64_t) st.st_ctime);
      mtime = squeak_seconds ((int64_t) st.st_mtime);
    }
  else if (e != NULL && !e->deleted)
    size = e->data->len;
  StOop a = st_interp_new_array (it, 5);
  if (a == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  StOop s = st_interp_new_string (it, name);
  StOop c = st_interp_integer (it, ctime), m = st_interp_integer (it, mtime), z = st_interp_integer (it, size);
  if (s == 0 || c == 0 || m == 0 || z == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  st_store (vm, a, 0, s);
  st_store (vm, a, 1, c);
  st_store (vm, a, 2, m);
  st_store (vm, a, 3, st_bool (it, is_dir));
  st_store (vm, a, 4, z);
  return st_prim_return (it, argc, a);
}

/* 6502-era images call the file primitives by number (150-163) rather
 * than through the FilePlugin; same arguments. */
void
st_prims_install_old_file (StInterp *it)
{
  static const struct { guint n; StPrimFn fn; } old[] = {
    { 150, prim_file_at_end }, { 151, prim_file_close }, { 152, prim_file_get_position },
    { 153, prim_file_open }, { 154, prim_file_read }, { 155, prim_file_set_position }, { 156, prim_file_delete },
    { 157, prim_file_size }, { 158, prim_file_write }, { 161, prim_directory_delimitor },
    { 162, prim_directory_lookup },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (old); i++)
    if (old[i].n < it->n_prims)
      it->prims[old[i].n] = old[i].fn;
  /* 159 is fileRename there, not hashMultiply. */
  it->prims[159] = NULL;
}
