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
  return g_ptr_array_index (it->files, i);
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
  { NULL, NULL },
};

const StNamedPrim st_plugin_console[] = {
  { "primitiveLog:level:", prim_console_log },
  { NULL, NULL },
};

/* primitiveDirectoryLookup: path index — no entries (the sandbox does not
 * list directories yet). */
static StPrimResult
prim_directory_lookup (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 2)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  return st_prim_return (it, argc, vm->nil_obj);
}

/* 6502-era images call the file primitives by number (150-163) rather
 * than through the FilePlugin; same arguments. */
void
st_prims_install_old_file (StInterp *it)
{
  static const struct { guint n; StPrimFn fn; } old[] = {
    { 150, prim_file_at_end }, { 151, prim_file_close }, { 152, prim_file_get_position },
    { 153, prim_file_open }, { 154, prim_file_read }, { 155, prim_file_set_position },
    { 157, prim_file_size }, { 158, prim_file_write }, { 161, prim_directory_delimitor },
    { 162, prim_directory_lookup },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (old); i++)
    if (old[i].n < it->n_prims)
      it->prims[old[i].n] = old[i].fn;
  /* 159 is fileRename there, not hashMultiply. */
  it->prims[159] = NULL;
}
