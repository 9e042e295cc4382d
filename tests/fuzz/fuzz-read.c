/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-read.c: libFuzzer target for the image readers.
 *
 * Every input is read twice, strictly and in salvage mode.  A heap that
 * loads is then used the way the workbench would first use it: walked
 * object by object, its classes looked up through the class table, its
 * special objects and method headers read.  Any crash, out-of-bounds read
 * or undefined behaviour along the way is a reader bug: a reader must
 * hand out only heaps these calls can survive.  Salvaged heaps are also
 * narrowed to Spur 32 (into /dev/null): repairing and writing back is what
 * a user does next, and the writer must refuse what it cannot write, never
 * crash on it.
 *
 * Build: CC=clang meson setup _build-fuzz -Dfuzz=true -Dgui=false
 * Run:   _build-fuzz/tests/fuzz/fuzz-read CORPUS/ (seed it with make-corpus.sh) */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stddef.h>
#include <unistd.h>

#include "image-read.h"
#include "image-write-private.h"
#include "method.h"

static void
use_heap (StVM *vm)
{
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop o;
  guint64 n = 0, sum = 0;
  while ((o = st_heap_walk_next (&w)) != 0)
    {
      n++;
      sum += st_class_of (vm, o);
      if (st_fmt_is_method (st_format (vm, o)))
        {
          StMethodHeader mh;
          if (st_method_header (vm, o, &mh, NULL))
            sum += mh.primitive + mh.num_literals;
        }
    }
  for (guint32 i = 0; i < 4096; i++)
    sum += st_class_at_index (vm, i);
  guint count = st_special_count (vm);
  for (guint i = 0; i < count; i++)
    sum += st_special (vm, (StSpecialObject) i);
  for (guint i = 0; i < vm->defects->len; i++)
    sum += ((StDefect *) vm->defects->pdata[i])->file_offset;
  /* keep the compiler from dropping the reads */
  volatile guint64 sink = sum + n;
  (void) sink;
}

static void
write_heap (StVM *vm)
{
  int fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  StOut out;
  st_out_init (&out, fd);
  GError *error = NULL;
  if (!st_write_spur32 (vm, &out, &error))
    g_clear_error (&error);
  if (!st_out_finish (&out, &error))
    g_clear_error (&error);
  close (fd);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  for (int mode = 0; mode < 2; mode++)
    {
      GError *error = NULL;
      StVM *vm = st_image_read_buffer (data, size, "fuzz", mode ? ST_READ_SALVAGE : ST_READ_STRICT, &error);
      if ((vm == NULL) == (error == NULL))
        __builtin_trap ();   /* exactly one of a heap or an error */
      if (vm != NULL)
        {
          use_heap (vm);
          if (mode == 1)
            write_heap (vm);
          st_vm_free (vm);
        }
      g_clear_error (&error);
    }
  return 0;
}
