/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Mirrors, paths, stacks and edits on the real images: every image's
 * processes and stacks print without a problem; every special object
 * prints; on Cuis 4.1 and Pharo 8 a literal association's value is set to
 * nil by thaw-cli edit, the result reloads with the change and checks as
 * clean as the input. */
#include "config.h"

#include <string.h>

#include "edit.h"
#include "heap-check.h"
#include "image-read.h"
#include "method.h"
#include "mirror.h"
#include "path.h"
#include "printer.h"
#include "process.h"
#include "support.h"

static StVM *
load (const char *path)
{
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vm);
  return vm;
}

/* Every image: all processes with their stacks, no damaged stack, no
 * unreadable print; the active process comes first and runs. */
static void
test_stacks (gconstpointer data)
{
  const ThawRealImage *ri = data;
  g_autofree char *path = thaw_test_real_image (ri->folder, ri->file);
  if (path == NULL)
    return;
  StVM *vm = load (path);
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  GPtrArray *procs = st_process_list (vm, 0, &error);
  gint64 t1 = g_get_monotonic_time ();
  g_assert_no_error (error);
  g_assert_cmpuint (procs->len, >=, 1);
  StProcessInfo *active = procs->pdata[0];
  g_assert_cmpstr (active->found_in, ==, "activeProcess");
  g_assert_cmpstr (active->state, ==, "running");
  guint frames = 0;
  for (guint i = 0; i < procs->len; i++)
    {
      StProcessInfo *pi = procs->pdata[i];
      g_test_message ("%s [%s]", pi->print, pi->found_in);
      g_assert_null (pi->problem);
      g_assert_false (pi->truncated);
      g_assert_null (strstr (pi->print, "<bad oop"));
      for (guint j = 0; j < pi->frames->len; j++)
        {
          StFrame *f = pi->frames->pdata[j];
          g_assert_null (strstr (f->print, "<bad oop"));
          g_assert_nonnull (strstr (f->print, ">>"));
          g_assert_nonnull (strstr (f->print, "[pc "));
          frames++;
        }
    }
  g_assert_cmpuint (active->frames->len, >=, 1);
  g_test_message ("%u processes, %u frames in %.1f ms", procs->len, frames, (t1 - t0) / 1000.0);
  g_ptr_array_unref (procs);

  /* Every special object prints, and its mirror reads. */
  StPrinter *p = st_printer_new (vm);
  guint n = st_special_count (vm);
  for (guint i = 0; i < n; i++)
    {
      StOop o = st_special (vm, i);
      g_autofree char *s = st_printer_print (p, o, 0);
      g_assert_null (strstr (s, "<bad oop"));
      StMirror *m = st_mirror_of (vm, NULL, o, 0, &error);
      g_assert_no_error (error);
      st_mirror_free (m);
    }
  /* Instance variable names come from every dialect's class layout. */
  StMirror *pm = st_mirror_of (vm, NULL, st_fetch (vm, st_fetch (vm, st_special (vm, ST_SPLOB_SCHEDULER_ASSOCIATION), 1), 1),
                               0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pm->slots->len, >=, 4);
  g_assert_cmpstr (((StMirrorSlot *) pm->slots->pdata[1])->name, ==, "suspendedContext");
  g_assert_cmpstr (((StMirrorSlot *) pm->slots->pdata[2])->name, ==, "priority");
  g_assert_cmpstr (((StMirrorSlot *) pm->slots->pdata[3])->name, ==, "myList");
  st_mirror_free (pm);
  /* The path to the active context's method. */
  StPathTarget t;
  st_path_resolve (p, "special.3.value.activeProcess.suspendedContext.method", &t, &error);
  g_assert_no_error (error);
  g_assert_true (st_fmt_is_method (st_format (vm, t.value)));
  st_printer_free (p);
  st_vm_free (vm);
}

/* The top of the active process's stack, as the image was saved. */
static void
check_top_frame (const char *folder, const char *file, const char *expected)
{
  g_autofree char *path = thaw_test_real_image (folder, file);
  if (path == NULL)
    return;
  StVM *vm = load (path);
  g_autoptr (GError) error = NULL;
  GPtrArray *procs = st_process_list (vm, 0, &error);
  g_assert_no_error (error);
  StProcessInfo *active = procs->pdata[0];
  g_assert_cmpstr (((StFrame *) active->frames->pdata[0])->print, ==, expected);
  g_ptr_array_unref (procs);
  st_vm_free (vm);
}

static void
test_top_frames (void)
{
  check_top_frame ("cuis4.1", "Cuis4.1-1544-reduced.image", "SystemDictionary>>snapshot:andQuit:embedded: [pc 332]");
  check_top_frame ("pharo8-kernel64", "Pharo.image", "UndefinedObject>>DoIt [pc 81]");
  check_top_frame ("squeak-mini", "mini.image", "SystemDictionary>>snapshot:andQuit: [pc 183]");
  check_top_frame ("scratch", "Scratch.image", "SystemDictionary>>snapshot:andQuit: [pc 222]");
}

/* The literal index of the binding named `key` in a method, or 0. */
static guint
literal_named (StVM *vm, const char *method_path, const char *key)
{
  StPrinter *p = st_printer_new (vm);
  StPathTarget t;
  g_autoptr (GError) error = NULL;
  g_assert_true (st_path_resolve (p, method_path, &t, &error));
  StMethodHeader h;
  g_assert_true (st_method_header (vm, t.value, &h, NULL));
  guint found = 0;
  for (guint i = 1; i <= h.num_literals && found == 0; i++)
    {
      StOop lit = st_method_literal (vm, t.value, i - 1);
      if (!st_printer_is_object (vm, lit) || st_format (vm, lit) != ST_FMT_FIXED || st_num_slots (vm, lit) < 2)
        continue;
      g_autofree char *k = st_printer_bytes_string (p, st_fetch (vm, lit, 0));
      if (k != NULL && g_str_equal (k, key))
        found = i;
    }
  st_printer_free (p);
  return found;
}

static uint64_t
findings (StVM *vm)
{
  StCheckReport *r = st_heap_check (vm, NULL);
  uint64_t n = r->n_findings_total;
  st_check_report_free (r);
  return n;
}

static char *
print_path (StVM *vm, const char *path)
{
  StPrinter *p = st_printer_new (vm);
  StPathTarget t;
  g_autoptr (GError) error = NULL;
  g_assert_true (st_path_resolve (p, path, &t, &error));
  g_assert_no_error (error);
  char *s = st_printer_print (p, t.value, 0);
  st_printer_free (p);
  return s;
}

static void
edit_literal_to_nil (const char *folder, const char *file, const char *method, const char *key)
{
  g_autofree char *path = thaw_test_real_image (folder, file);
  if (path == NULL)
    return;
  StVM *vm = load (path);
  guint lit = literal_named (vm, method, key);
  g_assert_cmpuint (lit, >, 0);
  g_autofree char *value_path = g_strdup_printf ("%s.%u.value", method, lit);
  g_autofree char *before = print_path (vm, value_path);
  g_assert_cmpstr (before, !=, "nil");
  uint64_t findings_before = findings (vm);
  st_vm_free (vm);

  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *out_path = g_build_filename (dir, "edited.image", NULL);
  g_autofree char *set = g_strdup_printf ("%s=nil", value_path);
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "edit", path, "--set", set, "-o", out_path, NULL));
  g_test_message ("%s%s", out, err);
  g_assert_cmpint (status, ==, 0);

  /* Reload: the value is nil and the heap checks as before. */
  StVM *edited = load (out_path);
  g_autofree char *after = print_path (edited, value_path);
  g_assert_cmpstr (after, ==, "nil");
  g_assert_cmpuint (findings (edited), <=, findings_before);
  st_vm_free (edited);

  /* Refused: an existing OUT without --force, an unknown path, a wrong type. */
  g_autofree char *out2 = NULL, *err2 = NULL;
  g_assert_true (thaw_test_run_cli (&out2, &err2, &status, "edit", path, "--set", set, "-o", out_path, NULL));
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err2, "exists"));
  g_autofree char *out3 = NULL, *err3 = NULL;
  g_autofree char *other = g_build_filename (dir, "other.image", NULL);
  g_assert_true (thaw_test_run_cli (&out3, &err3, &status, "edit", path, "--set", "special.3.valu=nil", "-o", other,
                                    NULL));
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err3, "'valu'"));
  g_assert_false (g_file_test (other, G_FILE_TEST_EXISTS));
  g_autofree char *out4 = NULL, *err4 = NULL;
  g_assert_true (thaw_test_run_cli (&out4, &err4, &status, "edit", path, "--set", set, "--set",
                                    "special.3.key.0='x'", "-o", other, NULL));
  g_assert_cmpint (status, ==, 2);
  g_assert_false (g_file_test (other, G_FILE_TEST_EXISTS));
  thaw_test_rmdir (dir);
}

static void
test_edit_cuis41 (void)
{
  edit_literal_to_nil ("cuis4.1", "Cuis4.1-1544-reduced.image", "SystemDictionary>>snapshot:andQuit:embedded:",
                       "LastQuitLogPosition");
}

static void
test_edit_pharo8 (void)
{
  edit_literal_to_nil ("pharo8-kernel64", "Pharo.image", "Symbol class>>intern:", "NewSymbols");
}

static void
test_cli (void)
{
  g_autofree char *path = thaw_test_real_image ("cuis4.1", "Cuis4.1-1544-reduced.image");
  if (path == NULL)
    return;
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  g_assert_true (thaw_test_run_cli (&out, &err, &status, "stack", path, NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "SystemDictionary>>snapshot:andQuit:embedded: [pc 332]"));
  g_assert_nonnull (strstr (out, "waiting on a Semaphore"));
  g_autofree char *out2 = NULL, *err2 = NULL;
  g_assert_true (thaw_test_run_cli (&out2, &err2, &status, "inspect", "--json", path,
                                    "special.3.value.activeProcess.suspendedContext.sender.method", NULL));
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out2, "\"print\": \"SystemDictionary>>snapshot:andQuit:\""));
  g_autofree char *out3 = NULL, *err3 = NULL;
  g_assert_true (thaw_test_run_cli (&out3, &err3, &status, "inspect", path, "NoSuchThing.foo", NULL));
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err3, "no global named 'NoSuchThing'"));
}

/* A new Symbol is interned where the image's own lookup finds it. */
static void
intern_in (const char *folder, const char *file)
{
  g_autofree char *path = thaw_test_real_image (folder, file);
  if (path == NULL)
    return;
  StVM *vm = load (path);
  StPrinter *p = st_printer_new (vm);
  StEditLog *log = st_edit_log_new (vm);
  StPathTarget t;
  g_autoptr (GError) error = NULL;
  g_assert_true (st_path_resolve (p, "Symbol.classPool.NewSymbols", &t, &error));
  StOop set = t.value;
  int64_t tally = st_smallint_value (st_fetch (vm, set, 0));
  g_assert_true (st_edit_apply (vm, log, p, "special.3.value.activeProcess.myList=#thawInternTest:with:", &error));
  g_assert_no_error (error);
  const StEdit *e = st_edit_log_get (log, 0);
  g_assert_nonnull (e->note);
  g_test_message ("%s", e->note);
  g_assert_nonnull (strstr (e->note, "interned"));
  g_assert_cmpint (st_smallint_value (st_fetch (vm, set, 0)), ==, tally + 1);
  StOop array = st_fetch (vm, set, 1);
  bool present = false;
  for (uint64_t i = 0; i < st_num_slots (vm, array); i++)
    present = present || st_fetch (vm, array, i) == e->new_value;
  g_assert_true (present);
  /* The same characters again give the same Symbol. */
  g_assert_true (st_edit_apply (vm, log, p, "special.3.value.activeProcess.nextLink=#thawInternTest:with:", &error));
  g_assert_cmphex (st_edit_log_get (log, 1)->new_value, ==, e->new_value);
  g_assert_cmpint (st_smallint_value (st_fetch (vm, set, 0)), ==, tally + 1);
  g_assert_cmpuint (findings (vm), <=, 1);
  st_edit_log_free (log);
  st_printer_free (p);
  st_vm_free (vm);
}

static void
test_intern (void)
{
  intern_in ("cuis4.1", "Cuis4.1-1544-reduced.image");
  intern_in ("cuis3.1r3", "Cuis3.1r3.image");
  intern_in ("pharo8-kernel64", "Pharo.image");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < thaw_n_real_images; i++)
    {
      g_autofree char *name = g_strdup_printf ("/image/mirror/stacks/%s", thaw_real_images[i].folder);
      g_test_add_data_func (name, &thaw_real_images[i], test_stacks);
    }
  g_test_add_func ("/image/mirror/top-frames", test_top_frames);
  g_test_add_func ("/image/mirror/edit-cuis41", test_edit_cuis41);
  g_test_add_func ("/image/mirror/edit-pharo8", test_edit_pharo8);
  g_test_add_func ("/image/mirror/cli", test_cli);
  g_test_add_func ("/image/mirror/intern", test_intern);
  return g_test_run ();
}
