/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Display Form as saved in real images (SOA[14]), converted whole, and
 * the largest Form found in the heap, which must not be uniform; both are
 * written as PPM files to $THAW_SHOTS (or a temporary folder). */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "display.h"
#include "image-read.h"
#include "spur.h"
#include "../support.h"

typedef struct {
  const char *folder, *file;
  gint width, height, depth;   /* the saved Display's geometry */
} Case;

static const Case cases[] = {
  { "cuis4.1", "Cuis4.1-1544-reduced.image", 240, 120, 32 },
  { "scratch", "Scratch.image", 160, 120, 32 },
};

static char *
shots_dir (void)
{
  const char *d = g_getenv ("THAW_SHOTS");
  if (d != NULL && *d)
    {
      g_mkdir_with_parents (d, 0755);
      return g_strdup (d);
    }
  return g_build_filename (g_get_tmp_dir (), "thaw-shots", NULL);
}

static void
test_real (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *path = thaw_test_real_image (c->folder, c->file);
  if (path == NULL)
    return;
  g_autoptr (GError) err = NULL;
  StVM *vm = st_image_read (path, 0, &err);
  g_assert_no_error (err);
  StFormInfo fi;
  StOop form = st_display_form (vm, &fi, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (form, !=, 0);
  g_assert_cmpint (fi.width, ==, c->width);
  g_assert_cmpint (fi.height, ==, c->height);
  g_assert_cmpint (fi.depth, ==, c->depth);
  g_autofree guint32 *px = g_new (guint32, (gsize) fi.width * fi.height);
  g_assert_true (st_display_convert (vm, form, NULL, px, fi.width * 4, 0, NULL, &err));
  /* Squeak and Cuis shrink the Display to a blank placeholder before a
   * snapshot: what is saved is one colour. */
  guint saved_colours = st_display_count_colours (px, (gsize) fi.width * fi.height);
  g_assert_cmpuint (saved_colours, ==, 1);
  g_autofree char *dir = shots_dir ();
  g_mkdir_with_parents (dir, 0755);
  g_autofree char *name = g_strdup_printf ("%s-display.ppm", c->folder);
  g_autofree char *out = g_build_filename (dir, name, NULL);
  g_assert_true (st_display_write_ppm (px, fi.width, fi.height, out, &err));
  g_test_message ("saved Display %dx%dx%d: %s", fi.width, fi.height, fi.depth, out);

  /* Among the valid Form-shaped objects in the heap (4-6 slots, format
   * fixed, bits a word object of the right size), the most colourful one
   * has a real picture. */
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  StOop best = 0;
  gint64 best_px = 0;
  guint forms = 0, best_colours = 0;
  for (StOop o = st_heap_walk_next (&w); o != 0; o = st_heap_walk_next (&w))
    {
      if (st_format (vm, o) != ST_FMT_FIXED || st_num_slots (vm, o) < 4 || st_num_slots (vm, o) > 6
          || st_class_index (vm, o) < 32)
        continue;
      StFormInfo f;
      if (!st_display_form_info (vm, o, &f, NULL) || (gint64) f.width * f.height > 4 << 20)
        continue;
      forms++;
      gsize n = (gsize) f.width * f.height;
      g_autofree guint32 *tmp = g_new (guint32, n);
      g_assert_true (st_display_convert (vm, o, NULL, tmp, f.width * 4, 0, NULL, NULL));
      guint k = st_display_count_colours (tmp, n);
      if (k > best_colours)
        best = o, best_px = (gint64) n, best_colours = k;
    }
  g_assert_cmpuint (best, !=, 0);
  g_assert_true (st_display_form_info (vm, best, &fi, &err));
  g_autofree guint32 *bp = g_new (guint32, (gsize) best_px);
  g_assert_true (st_display_convert (vm, best, NULL, bp, fi.width * 4, 0, NULL, &err));
  guint colours = st_display_count_colours (bp, (gsize) best_px);
  g_assert_cmpuint (colours, >, 1);
  g_autofree char *name2 = g_strdup_printf ("%s-most-colourful-form.ppm", c->folder);
  g_autofree char *out2 = g_build_filename (dir, name2, NULL);
  g_assert_true (st_display_write_ppm (bp, fi.width, fi.height, out2, &err));
  g_test_message ("%u Forms; most colourful %dx%dx%d with %u colours: %s",
                  forms, fi.width, fi.height, fi.depth, colours, out2);
  st_vm_free (vm);

  /* thaw-cli display writes the same picture */
  g_autofree char *cli_out = g_build_filename (dir, "cli-display.ppm", NULL);
  g_autofree char *so = NULL, *se = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&so, &se, &status, "display", path, "-o", cli_out, NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (so, "distinct_colours: 1"));
  g_autofree char *a = NULL, *bb = NULL;
  gsize al = 0, bl = 0;
  g_assert_true (g_file_get_contents (out, &a, &al, NULL));
  g_assert_true (g_file_get_contents (cli_out, &bb, &bl, NULL));
  g_assert_cmpmem (a, al, bb, bl);
  g_unlink (cli_out);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *p = g_strdup_printf ("/image/display/%s", cases[i].folder);
      g_test_add_data_func (p, &cases[i], test_real);
    }
  return g_test_run ();
}
