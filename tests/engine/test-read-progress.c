/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading reports its progress, and stops when the callback says so (the
 * window's Cancel button), for every file format. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "builder.h"
#include "image-read.h"
#include "image-write.h"
#include "support.h"

typedef struct {
  double last;
  guint  calls;
  guint  cancel_at;   /* 0: never */
  gboolean monotonic;
} Progress;

static gboolean
on_progress (double fraction, gpointer data)
{
  Progress *p = data;
  if (fraction < p->last || fraction > 1.0)
    p->monotonic = FALSE;
  p->last = fraction;
  p->calls++;
  return p->cancel_at == 0 || p->calls < p->cancel_at;
}

static char *
write_image (const char *dir, StFamily family, guint word_bytes, StImageKind kind)
{
  ThawBuilder *b = thaw_builder_new_standard (family, word_bytes);
  /* enough objects for the V3 and Spur 32 readers to report more than once */
  StOop rows[2000];
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    rows[i] = thaw_builder_string (b, "a string that takes some room in the heap, 64 bytes or so........");
  thaw_builder_global (b, "Rows", thaw_builder_array (b, G_N_ELEMENTS (rows), rows));
  StVM *vm = thaw_builder_finish (b);
  thaw_builder_free (b);
  char *path = g_build_filename (dir, st_image_kind_to_string (kind), NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_image_write (vm, path, kind, ST_WRITE_DEFAULT, &error));
  g_assert_no_error (error);
  st_vm_free (vm);
  return path;
}

static void
check_format (StFamily family, guint word_bytes, StImageKind kind)
{
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *path = write_image (dir, family, word_bytes, kind);

  Progress p = { .last = 0, .monotonic = TRUE };
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read_full (path, ST_READ_STRICT, on_progress, &p, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vm);
  g_assert_cmpuint (p.calls, >=, 1);
  g_assert_true (p.monotonic);
  st_vm_free (vm);

  /* Cancel at the first report: no heap, an error that says so. */
  Progress c = { .cancel_at = 1, .monotonic = TRUE };
  vm = st_image_read_full (path, ST_READ_STRICT, on_progress, &c, &error);
  g_assert_null (vm);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "cancelled"));
  thaw_test_rmdir (dir);
}

static void test_spur64 (void) { check_format (ST_FAMILY_SPUR, 8, ST_IMAGE_KIND_SPUR64); }
static void test_spur32 (void) { check_format (ST_FAMILY_SPUR, 4, ST_IMAGE_KIND_SPUR32); }
static void test_v3 (void) { check_format (ST_FAMILY_V3, 4, ST_IMAGE_KIND_V3); }
static void test_folder (void) { check_format (ST_FAMILY_SPUR, 8, ST_IMAGE_KIND_FOLDER); }

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/read/progress-and-cancel/spur64", test_spur64);
  g_test_add_func ("/engine/read/progress-and-cancel/spur32", test_spur32);
  g_test_add_func ("/engine/read/progress-and-cancel/v3", test_v3);
  g_test_add_func ("/engine/read/progress-and-cancel/folder", test_folder);
  return g_test_run ();
}
