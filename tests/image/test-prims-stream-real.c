/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The stream, scanCharacters and shortAt: primitives on real images:
 * Scratch and Cuis 4.1 run for 5 seconds through thaw-cli; the report must
 * no longer list #65-67, #103 or #143 as missing, and each image must
 * still get through its start-up to the idle process without a
 * doesNotUnderstand:.  Cuis also evaluates stream expressions whose
 * answers depend on the primitives' exact semantics (limits, past end). */
#include "config.h"

#include <string.h>

#include "image-read.h"
#include "interp.h"
#include "support.h"

typedef struct {
  const char *folder, *file;
} Image;

static const Image images[] = {
  { "scratch", "Scratch.image" },
  { "cuis4.1", "Cuis4.1-1544-reduced.image" },
};

static void
test_run (gconstpointer data)
{
  const Image *img = data;
  g_autofree char *path = thaw_test_real_image (img->folder, img->file);
  if (path == NULL)
    return;
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "run", path, "--seconds", "5", "--json", NULL));
  g_test_message ("%s", out);
  g_assert_cmpint (status, !=, 2);
  g_assert_nonnull (strstr (out, "\"status\": \"time-limit\""));
  const char *missing = strstr (out, "\"missing_primitives\"");
  const char *end = missing != NULL ? strstr (missing, "]") : NULL;
  g_assert_nonnull (end);
  g_autofree char *list = g_strndup (missing, (gsize) (end - missing));
  const char *gone[] = { "\"#65\"", "\"#66\"", "\"#67\"", "\"#103\"", "\"#143\"", "\"#144\"",
                         ">>primitiveFloatArrayAt\"", ">>primitiveFloatArrayAtPut\"" };
  for (gsize i = 0; i < G_N_ELEMENTS (gone); i++)
    if (strstr (list, gone[i]) != NULL)
      g_error ("%s: %s is still reported missing", img->folder, gone[i]);
  g_assert_nonnull (strstr (out, "\"does_not_understand\": 0,"));
  const char *stack = strstr (out, "\"active_stack\"");
  g_assert_nonnull (stack);
  g_assert_nonnull (strstr (stack, "idleProcess"));
}

static void
test_eval_cuis (void)
{
  g_autofree char *path = thaw_test_real_image ("cuis4.1", "Cuis4.1-1544-reduced.image");
  if (path == NULL)
    return;
  const char *expr =
    "| r w | r := ReadStream on: #(3 4 5). w := WriteStream on: (String new: 2). "
    "w nextPut: $a; nextPut: $b; nextPut: $c. "
    "r next printString, r next printString, r atEnd printString, w contents, "
    "(ReadStream on: #[7 8]) next printString, r next printString, r atEnd printString, "
    "r next printString, ((ReadStream on: 'xy' from: 2 to: 2) next; atEnd) printString";
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_true (st_interp_init (vm, &error));
  g_assert_no_error (error);
  g_assert_true (st_interp_eval (vm, expr, &error));
  g_assert_no_error (error);
  StRunStatus s = st_interp_run (vm, 0, 60, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_EVALUATED);
  /* 3, 4, not at end, 'abc' (the String grew past its 2 slots), 7, 5, at
   * end, nil past the end, and a stream over 'xy' from: 2 to: 2 is at its end
   * after one next. */
  g_assert_cmpstr (st_interp_eval_result (vm), ==, "'34falseabc75trueniltrue'");
  const StInterpStats *stats = st_interp_stats (vm);
  g_assert_cmpuint (stats->primitive_calls, >, 0);
  st_vm_free (vm);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (images); i++)
    {
      g_autofree char *p = g_strdup_printf ("/image/prims-stream/run/%s", images[i].folder);
      g_test_add_data_func (p, &images[i], test_run);
    }
  g_test_add_func ("/image/prims-stream/eval/cuis4.1", test_eval_cuis);
  return g_test_run ();
}
