/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Mirrors, the object printer, paths, processes and edits on synthetic
 * heaps of every personality: each print, path step, process and edit is
 * checked against what the builder made, and every wrong request fails
 * with its own error and changes nothing. */
#include "config.h"

#include <string.h>

#include "builder.h"
#include "edit.h"
#include "handles.h"
#include "heap-check.h"
#include "image-read.h"
#include "image-write.h"
#include "method.h"
#include "mirror.h"
#include "path.h"
#include "printer.h"
#include "process.h"
#include "support.h"

typedef struct {
  ThawBuilder *b;
  StVM *vm;
  const ThawBuilderObjects *o;
  StPrinter *p;
  /* made before the heap is finished */
  StOop point, long_string, char_a, char_z, char_lf;
  StOop sem, waiter, suspended, ctx;
} Fixture;

typedef struct {
  StFamily family;
  guint word_bytes;
  guint32 format;
} Personality;

static const Personality spur64 = { ST_FAMILY_SPUR, 8, 0 };
static const Personality spur32 = { ST_FAMILY_SPUR, 4, 0 };
static const Personality v3 = { ST_FAMILY_V3, 4, 0 };

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  const Personality *pers = data;
  f->b = thaw_builder_new_standard (pers->family, pers->word_bytes);
  ThawBuilder *b = f->b;
  const ThawBuilderObjects *o = thaw_builder_objects (b);
  StVM *vm;
  f->point = thaw_builder_instance (b, o->point_class, 0);
  char big[600];
  memset (big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  f->long_string = thaw_builder_string (b, big);
  f->char_a = thaw_builder_character (b, 'a');
  f->char_z = thaw_builder_character (b, 'z');
  f->char_lf = thaw_builder_character (b, 10);
  /* A process waiting on a Semaphore with a two-frame stack, and a suspended one. */
  f->sem = thaw_builder_instance (b, o->semaphore_class, 0);
  f->waiter = thaw_builder_instance (b, o->process_class, 0);
  f->suspended = thaw_builder_instance (b, o->process_class, 0);
  f->ctx = thaw_builder_instance (b, o->context_class, 4);
  thaw_builder_global (b, "TheSemaphore", f->sem);
  thaw_builder_global (b, "TheSuspended", f->suspended);
  thaw_builder_global (b, "ThePoint", f->point);
  thaw_builder_global (b, "TheLongString", f->long_string);
  thaw_builder_global (b, "TheCharacters", thaw_builder_array (b, 3, (StOop[]) { f->char_a, f->char_z, f->char_lf }));
  f->vm = thaw_builder_finish (b);
  f->o = thaw_builder_objects (b);
  vm = f->vm;
  o = f->o;
  st_store (vm, f->point, 0, st_smallint_oop (3));
  st_store (vm, f->point, 1, st_smallint_oop (4));
  StMethodHeader mh;
  g_assert_true (st_method_header (vm, o->active_method, &mh, NULL));
  st_store (vm, f->ctx, 1, st_smallint_oop ((int64_t) mh.initial_pc + 1));
  st_store (vm, f->ctx, 2, st_smallint_oop (0));
  st_store (vm, f->ctx, 3, o->active_method);
  st_store (vm, f->ctx, 0, o->active_context);
  st_store (vm, f->waiter, 1, f->ctx);
  st_store (vm, f->waiter, 2, st_smallint_oop (60));
  st_store (vm, f->waiter, 3, f->sem);
  st_store (vm, f->sem, 0, f->waiter);
  st_store (vm, f->sem, 1, f->waiter);
  st_store (vm, f->suspended, 2, st_smallint_oop (30));
  st_store (vm, f->suspended, 1, f->ctx);
  f->p = st_printer_new (f->vm);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  st_printer_free (f->p);
  st_vm_free (f->vm);
  thaw_builder_free (f->b);
}

static void
assert_print (Fixture *f, StOop o, const char *expected)
{
  g_autofree char *s = st_printer_print (f->p, o, 0);
  g_assert_cmpstr (s, ==, expected);
}

static uint64_t
count_objects (StVM *vm)
{
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  uint64_t n = 0;
  while (st_heap_walk_next (&w) != 0)
    n++;
  g_assert_false (w.damaged);
  return n;
}

/* Objects of real classes (free chunks and hidden objects left out: a
 * V3 file has none and the reader makes its own). */
static uint64_t
count_real_objects (StVM *vm)
{
  StHeapWalk w;
  st_heap_walk_init (&w, vm);
  uint64_t n = 0;
  StOop o;
  while ((o = st_heap_walk_next (&w)) != 0)
    n += st_class_index (vm, o) >= ST_CLASS_INDEX_FIRST_REAL;
  return n;
}

static uint64_t
check_findings (StVM *vm)
{
  StCheckReport *r = st_heap_check (vm, NULL);
  uint64_t n = r->n_findings_total;
  for (guint i = 0; i < r->n_findings && i < 10; i++)
    g_test_message ("finding: %s", r->findings[i].message);
  st_check_report_free (r);
  return n;
}

/* ---- printer ---- */

static void
test_print_immediates (Fixture *f, gconstpointer data)
{
  StVM *vm = f->vm;
  assert_print (f, vm->nil_obj, "nil");
  assert_print (f, vm->true_obj, "true");
  assert_print (f, vm->false_obj, "false");
  assert_print (f, st_smallint_oop (42), "42");
  assert_print (f, st_smallint_oop (-7), "-7");
  assert_print (f, st_character_oop ('a'), "$a");
  StOop sf;
  g_assert_true (st_smallfloat_encode (2.5, &sf));
  assert_print (f, sf, "2.5");
  g_assert_true (st_smallfloat_encode (100.0, &sf));
  assert_print (f, sf, "100.0");
  assert_print (f, st_character_oop (10), "Character value: 10");
}

static void
test_print_objects (Fixture *f, gconstpointer data)
{
  const ThawBuilderObjects *o = f->o;
  assert_print (f, o->sample_string, "'hello, world'");
  assert_print (f, o->sample_symbol, "#sampleSymbol");
  assert_print (f, o->sample_float, "1.0e300");
  assert_print (f, o->sample_large_int, "1180591620717411303424");     /* 2^70 */
  assert_print (f, o->point_class, "Point");
  assert_print (f, st_class_of (f->vm, o->point_class), "Point class");
  assert_print (f, o->sample_method, "Object>>yourself");
  assert_print (f, o->sample_array, "#(1 'hello, world' $A true #sampleSymbol)");
  assert_print (f, o->sample_bytes, "#[0 17 34 51 68 85 102 119 136 153 170 187 204]");
  assert_print (f, o->scheduler_association, "#Processor->a ProcessorScheduler");
  assert_print (f, f->point, "3@4");
  assert_print (f, f->char_a, "$a");
  assert_print (f, f->char_lf, "Character value: 10");
  assert_print (f, o->sample_zero, "an Object");
  /* A long string is cut, with an ellipsis, near the limit asked for. */
  g_autofree char *pr = st_printer_print (f->p, f->long_string, 50);
  g_assert_cmpuint (strlen (pr), <, 100);
  g_assert_true (g_str_has_suffix (pr, "...'"));
}

static void
test_print_context_process (Fixture *f, gconstpointer data)
{
  const ThawBuilderObjects *o = f->o;
  StMethodHeader mh;
  g_assert_true (st_method_header (f->vm, o->active_method, &mh, NULL));
  /* The stored pc is initial_pc + 1 in the 64-bit layout; a 32-bit image
   * counts its literal words in 4 bytes. */
  int64_t pc = (int64_t) mh.initial_pc + 1;
  if (f->vm->personality.word_bytes == 4)
    pc -= (mh.num_literals + 1) * 4;
  g_autofree char *ctx = g_strdup_printf ("UndefinedObject(Object)>>yourself [pc %" G_GINT64_FORMAT "]", pc);
  assert_print (f, o->active_context, ctx);
  g_autofree char *proc = g_strdup_printf ("a Process (priority 40, running) in %s", ctx);
  assert_print (f, o->active_process, proc);
  g_autofree char *waiting = st_printer_print (f->p, o->waiting_process, 0);
  g_assert_true (g_str_has_prefix (waiting, "a Process (priority 40, ready) in "));
}

static void
test_print_damaged (Fixture *f, gconstpointer data)
{
  StVM *vm = f->vm;
  const ThawBuilderObjects *o = f->o;
  /* Addresses outside the heap, misaligned, or into the middle of an object. */
  assert_print (f, 0x10, "<bad oop 0x10>");
  assert_print (f, G_GUINT64_CONSTANT (0x7ffffffffff0), "<bad oop 0x7ffffffffff0>");
  thaw_damage_pointer_into_middle (vm, o->sample_array, 0, o->sample_string);
  g_autofree char *s = st_printer_print (f->p, o->sample_array, 0);
  g_assert_nonnull (s);
  /* A method whose header claims more literals than it has. */
  thaw_damage_method_literal_count (vm, o->active_method, 200);
  g_autofree char *m = st_printer_print (f->p, o->active_method, 0);
  g_assert_nonnull (m);
  g_autofree char *c = st_printer_print (f->p, o->active_context, 0);
  g_assert_nonnull (c);
}

/* ---- paths ---- */

static StOop
resolve_ok (Fixture *f, const char *path)
{
  StPathTarget t;
  g_autoptr (GError) error = NULL;
  if (!st_path_resolve (f->p, path, &t, &error))
    g_error ("%s: %s", path, error->message);
  return t.value;
}

static void
resolve_fails (Fixture *f, const char *path, int code, const char *fragment)
{
  StPathTarget t;
  g_autoptr (GError) error = NULL;
  g_assert_false (st_path_resolve (f->p, path, &t, &error));
  g_assert_error (error, ST_PATH_ERROR, code);
  g_test_message ("%s -> %s", path, error->message);
  if (fragment != NULL && strstr (error->message, fragment) == NULL)
    g_error ("error for '%s' does not mention '%s': %s", path, fragment, error->message);
}

static void
test_path_resolve (Fixture *f, gconstpointer data)
{
  StVM *vm = f->vm;
  const ThawBuilderObjects *o = f->o;
  g_assert_cmphex (resolve_ok (f, "special"), ==, vm->special_objects);
  g_assert_cmphex (resolve_ok (f, "special.3"), ==, o->scheduler_association);
  g_assert_cmphex (resolve_ok (f, "special.3.value"), ==, o->scheduler);
  g_assert_cmphex (resolve_ok (f, "special.3.value.activeProcess.suspendedContext.method"), ==, o->active_method);
  g_assert_cmphex (resolve_ok (f, "special.3.1.1.1.3"), ==, o->active_method);
  g_assert_cmphex (resolve_ok (f, "Point"), ==, o->point_class);
  g_assert_cmphex (resolve_ok (f, "Smalltalk at: #Point"), ==, o->point_class);
  g_assert_cmphex (resolve_ok (f, "Point class"), ==, st_class_of (vm, o->point_class));
  g_assert_cmphex (resolve_ok (f, "Point.class"), ==, st_class_of (vm, o->point_class));
  g_assert_cmphex (resolve_ok (f, "Object>>yourself"), ==, o->active_method);
  g_assert_cmphex (resolve_ok (f, "Object.>>yourself"), ==, o->active_method);
  g_assert_cmphex (resolve_ok (f, "Object>>yourself.1"), ==, st_method_literal (vm, o->active_method, 0));
  g_assert_cmphex (resolve_ok (f, "nil"), ==, vm->nil_obj);
  g_autofree char *addr = g_strdup_printf ("@0x%" G_GINT64_MODIFIER "x", o->sample_string);
  g_assert_cmphex (resolve_ok (f, addr), ==, o->sample_string);
  g_autofree char *addr_el = g_strdup_printf ("@0x%" G_GINT64_MODIFIER "x.0", o->sample_string);
  g_assert_cmphex (resolve_ok (f, addr_el), ==, st_smallint_oop ('h'));
  g_assert_cmphex (resolve_ok (f, "special.3.key"), ==, thaw_builder_symbol (f->b, "Processor"));

  resolve_fails (f, "", ST_PATH_ERROR_SYNTAX, NULL);
  resolve_fails (f, "NoSuchGlobal", ST_PATH_ERROR_NOT_FOUND, "NoSuchGlobal");
  resolve_fails (f, "special.3.valu", ST_PATH_ERROR_NOT_FOUND, "'valu'");
  resolve_fails (f, "special.9999", ST_PATH_ERROR_NOT_FOUND, "9999");
  resolve_fails (f, "special..3", ST_PATH_ERROR_SYNTAX, "empty");
  resolve_fails (f, "special.3.value.activeProcess.priority.foo", ST_PATH_ERROR_TYPE, "40");
  resolve_fails (f, "Object>>noSuchSelector", ST_PATH_ERROR_NOT_FOUND, "noSuchSelector");
  resolve_fails (f, "Object>>yourself.99", ST_PATH_ERROR_NOT_FOUND, "literal");
  resolve_fails (f, "@0x10", ST_PATH_ERROR_BAD_OBJECT, NULL);
  g_autofree char *mid = g_strdup_printf ("@0x%" G_GINT64_MODIFIER "x", o->sample_array + 8);
  resolve_fails (f, mid, ST_PATH_ERROR_BAD_OBJECT, NULL);
  resolve_fails (f, "special.3.key.foo", ST_PATH_ERROR_TYPE, "non-pointer");
}

/* ---- mirrors and handles ---- */

static void
test_mirror (Fixture *f, gconstpointer data)
{
  StVM *vm = f->vm;
  const ThawBuilderObjects *o = f->o;
  StHandles *h = st_handles_new (vm);
  g_autoptr (GError) error = NULL;
  StMirror *m = st_mirror_of (vm, h, o->active_process, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (m->class_name, ==, "Process");
  g_assert_cmpuint (m->address, ==, o->active_process);
  g_assert_cmpuint (m->named_count, ==, 5);
  g_assert_cmpuint (m->slots->len, ==, 5);
  const char *names[] = { "nextLink", "suspendedContext", "priority", "myList", "name" };
  for (guint i = 0; i < 5; i++)
    {
      StMirrorSlot *s = m->slots->pdata[i];
      g_assert_cmpstr (s->name, ==, names[i]);
      g_assert_cmpstr (s->step, ==, names[i]);
      StOop v;
      g_assert_true (st_handles_get (h, s->handle, &v));
      g_assert_cmphex (v, ==, st_fetch (vm, o->active_process, i));
    }
  g_assert_cmpstr (((StMirrorSlot *) m->slots->pdata[2])->print, ==, "40");
  g_assert_cmpstr (((StMirrorSlot *) m->slots->pdata[4])->print, ==, "'the active process'");
  g_assert_cmpuint (m->handle, !=, 0);
  /* The same object gets the same handle. */
  g_assert_cmpuint (st_handles_add (h, o->active_process), ==, m->handle);
  st_mirror_free (m);

  /* Indexed slots, bounded. */
  m = st_mirror_of (vm, NULL, o->sample_overflow, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (m->indexable_count, ==, 300);
  g_assert_cmpuint (m->slots->len, ==, 10);
  g_assert_cmpuint (m->slots_omitted, ==, 290);
  g_assert_cmpstr (((StMirrorSlot *) m->slots->pdata[0])->name, ==, "1");
  st_mirror_free (m);

  /* A method: header and literals. */
  m = st_mirror_of (vm, NULL, o->active_method, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (((StMirrorSlot *) m->slots->pdata[0])->kind, ==, ST_MIRROR_SLOT_HEADER);
  g_assert_cmpstr (((StMirrorSlot *) m->slots->pdata[1])->print, ==, "#sampleLiteral");
  g_assert_cmpstr (((StMirrorSlot *) m->slots->pdata[2])->print, ==, "42");
  st_mirror_free (m);

  /* Bytes as numbers; immediates. */
  m = st_mirror_of (vm, NULL, o->sample_string, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (m->indexable_count, ==, 12);
  g_assert_cmpstr (((StMirrorSlot *) m->slots->pdata[0])->print, ==, "104");
  st_mirror_free (m);
  m = st_mirror_of (vm, NULL, st_smallint_oop (5), 0, &error);
  g_assert_no_error (error);
  g_assert_true (m->immediate);
  g_assert_cmpstr (m->class_name, ==, "SmallInteger");
  st_mirror_free (m);

  g_assert_null (st_mirror_of (vm, NULL, 0x10, 0, &error));
  g_assert_error (error, ST_PATH_ERROR, ST_PATH_ERROR_BAD_OBJECT);

  /* Released handles are gone; ids are not reused. */
  StHandle id = st_handles_add (h, o->sample_string);
  st_handles_release (h, id);
  StOop v;
  g_assert_false (st_handles_get (h, id, &v));
  g_assert_cmpuint (st_handles_add (h, o->sample_string), >, id);
  st_handles_free (h);
}

/* ---- processes ---- */

static StProcessInfo *
find_process (GPtrArray *procs, StOop p)
{
  for (guint i = 0; i < procs->len; i++)
    if (((StProcessInfo *) procs->pdata[i])->address == p)
      return procs->pdata[i];
  return NULL;
}

static void
test_processes (Fixture *f, gconstpointer data)
{
  StVM *vm = f->vm;
  const ThawBuilderObjects *o = f->o;
  StOop waiter = f->waiter, suspended = f->suspended, ctx = f->ctx;

  g_autoptr (GError) error = NULL;
  GPtrArray *procs = st_process_list (vm, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (procs->len, ==, 4);
  StProcessInfo *a = procs->pdata[0];
  g_assert_cmphex (a->address, ==, o->active_process);
  g_assert_cmpstr (a->state, ==, "running");
  g_assert_cmpstr (a->found_in, ==, "activeProcess");
  g_assert_cmpstr (a->name, ==, "the active process");
  g_assert_cmpuint (a->frames->len, ==, 1);
  g_assert_null (a->problem);
  StProcessInfo *r = find_process (procs, o->waiting_process);
  g_assert_nonnull (r);
  g_assert_cmpstr (r->state, ==, "ready");
  g_assert_cmpstr (r->found_in, ==, "quiescentProcessLists[40]");
  StProcessInfo *w = find_process (procs, waiter);
  g_assert_nonnull (w);
  g_assert_cmpstr (w->state, ==, "waiting on a Semaphore");
  g_assert_true (g_str_has_prefix (w->found_in, "a Semaphore"));
  g_assert_cmpuint (w->frames->len, ==, 2);
  g_assert_cmphex (((StFrame *) w->frames->pdata[1])->address, ==, o->active_context);
  StProcessInfo *s = find_process (procs, suspended);
  g_assert_nonnull (s);
  g_assert_cmpstr (s->state, ==, "suspended");
  g_assert_cmpstr (s->found_in, ==, "heap");
  g_ptr_array_unref (procs);

  /* Frame limits. */
  bool truncated;
  char *problem;
  GPtrArray *frames = st_process_stack (vm, ctx, 1, &truncated, &problem);
  g_assert_cmpuint (frames->len, ==, 1);
  g_assert_true (truncated);
  g_assert_null (problem);
  g_ptr_array_unref (frames);
}

static void
test_processes_damaged (Fixture *f, gconstpointer data)
{
  StVM *vm = f->vm;
  const ThawBuilderObjects *o = f->o;
  /* A sender chain that loops, and one that ends in the middle of an object. */
  st_store (vm, o->active_context, 0, o->active_context);
  g_assert_true (thaw_damage_scheduler_list_cycle (vm));
  g_autoptr (GError) error = NULL;
  GPtrArray *procs = st_process_list (vm, 0, &error);
  g_assert_no_error (error);
  StProcessInfo *a = find_process (procs, o->active_process);
  g_assert_nonnull (a);
  g_assert_nonnull (a->problem);
  g_assert_nonnull (strstr (a->problem, "loops"));
  g_assert_cmpuint (a->frames->len, ==, 1);
  g_ptr_array_unref (procs);

  thaw_damage_pointer_into_middle (vm, o->active_context, 0, o->sample_array);
  procs = st_process_list (vm, 0, &error);
  g_assert_no_error (error);
  a = find_process (procs, o->active_process);
  g_assert_nonnull (a->problem);
  g_assert_nonnull (strstr (a->problem, "not a context"));
  g_ptr_array_unref (procs);
}

/* ---- edits ---- */

static void
edit_ok (Fixture *f, StEditLog *log, const char *assignment)
{
  g_autoptr (GError) error = NULL;
  if (!st_edit_apply (f->vm, log, f->p, assignment, &error))
    g_error ("%s: %s", assignment, error->message);
}

static void
edit_fails (Fixture *f, StEditLog *log, const char *assignment, int code)
{
  g_autoptr (GError) error = NULL;
  guint before = st_edit_log_count (log);
  StSegment last = f->vm->segments[f->vm->n_segments - 1];
  g_assert_false (st_edit_apply (f->vm, log, f->p, assignment, &error));
  g_assert_error (error, ST_EDIT_ERROR, code);
  g_test_message ("%s -> %s", assignment, error->message);
  g_assert_cmpuint (st_edit_log_count (log), ==, before);
  /* Nothing was allocated either. */
  g_assert_cmpuint (f->vm->segments[f->vm->n_segments - 1].bytes, ==, last.bytes);
}

static void
test_edit (Fixture *f, gconstpointer data)
{
  StVM *vm = f->vm;
  const ThawBuilderObjects *o = f->o;
  uint64_t objects = count_objects (vm);
  uint64_t findings = check_findings (vm);
  g_assert_cmpuint (findings, ==, 0);
  StEditLog *log = st_edit_log_new (vm);

  edit_ok (f, log, "special.3.value.activeProcess.priority=50");
  g_assert_cmphex (st_fetch (vm, o->active_process, 2), ==, st_smallint_oop (50));
  edit_ok (f, log, "special.3.value.activeProcess.myList=nil");
  edit_ok (f, log, "special.3.value.activeProcess.nextLink=true");
  edit_ok (f, log, "Object>>yourself.2=-3");            /* a method literal */
  g_assert_cmphex (st_method_literal (vm, o->active_method, 1), ==, st_smallint_oop (-3));
  edit_ok (f, log, "special.3.value.activeProcess.nextLink=Point");
  g_assert_cmphex (st_fetch (vm, o->active_process, 0), ==, o->point_class);
  edit_ok (f, log, "special.3.value.activeProcess.myList=$z");
  g_autofree char *z = st_printer_print (f->p, st_fetch (vm, o->active_process, 3), 0);
  g_assert_cmpstr (z, ==, "$z");
  /* Elements of byte objects. */
  g_autofree char *el = g_strdup_printf ("@0x%" G_GINT64_MODIFIER "x.0=72", o->sample_string);
  edit_ok (f, log, el);
  assert_print (f, o->sample_string, "'Hello, world'");
  /* A new String and an existing and a new Symbol. */
  edit_ok (f, log, "special.3.value.activeProcess.name='it''s new'");
  assert_print (f, st_fetch (vm, o->active_process, 4), "'it''s new'");
  edit_ok (f, log, "special.3.value.activeProcess.myList=#sampleSymbol");
  g_assert_cmphex (st_fetch (vm, o->active_process, 3), ==, o->sample_symbol);
  g_assert_null (st_edit_log_get (log, st_edit_log_count (log) - 1)->note);
  edit_ok (f, log, "special.3.value.activeProcess.myList=#brandNew:with:");
  assert_print (f, st_fetch (vm, o->active_process, 3), "#brandNew:with:");
  g_assert_nonnull (st_edit_log_get (log, st_edit_log_count (log) - 1)->note);
  /* Two new objects: the heap walks and checks as before. */
  g_assert_cmpuint (count_objects (vm), ==, objects + 2);
  g_assert_cmpuint (check_findings (vm), ==, findings);

  /* Impossible edits. */
  edit_fails (f, log, "special.3.value.activeProcess.priority", ST_EDIT_ERROR_SYNTAX);
  edit_fails (f, log, "special.3.value.activeProcess.nope=1", ST_EDIT_ERROR_NOT_SLOT);
  edit_fails (f, log, "nil=3", ST_EDIT_ERROR_NOT_SLOT);
  edit_fails (f, log, "special=3", ST_EDIT_ERROR_NOT_SLOT);
  edit_fails (f, log, "Object>>yourself.0=1", ST_EDIT_ERROR_TYPE);            /* the header */
  edit_fails (f, log, "special.3.value.activeProcess.priority=12abc", ST_EDIT_ERROR_SYNTAX);
  edit_fails (f, log, "special.3.value.activeProcess.priority='unterminated", ST_EDIT_ERROR_SYNTAX);
  edit_fails (f, log, "special.3.value.activeProcess.priority=NoSuchGlobal", ST_EDIT_ERROR_SYNTAX);
  edit_fails (f, log, "special.3.value.activeProcess.name='\xe2\x98\xba'", ST_EDIT_ERROR_TYPE);
  edit_fails (f, log, "special.3.key.0=300", ST_EDIT_ERROR_RANGE);             /* a byte */
  edit_fails (f, log, "special.3.key.0=nil", ST_EDIT_ERROR_TYPE);
  if (vm->personality.word_bytes == 4)
    edit_fails (f, log, "special.3.value.activeProcess.priority=1073741824", ST_EDIT_ERROR_RANGE);
  else
    edit_fails (f, log, "special.3.value.activeProcess.priority=1152921504606846976", ST_EDIT_ERROR_RANGE);
  if (vm->personality.family == ST_FAMILY_V3)
    edit_fails (f, log, "special.3.value.activeProcess.priority=$U+263A", ST_EDIT_ERROR_TYPE);
  /* The immutable bit. */
  st_set_header (vm, o->scheduler, st_header (vm, o->scheduler) | ST_HDR_IMMUTABLE_BIT);
  edit_fails (f, log, "special.3.value.activeProcess=nil", ST_EDIT_ERROR_IMMUTABLE);
  st_set_header (vm, o->scheduler, st_header (vm, o->scheduler) & ~ST_HDR_IMMUTABLE_BIT);

  /* Undo everything, newest first: the old values come back. */
  guint n = st_edit_log_count (log);
  g_assert_cmpuint (n, ==, 10);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_true (st_edit_undo (vm, log, &error));
    }
  g_autoptr (GError) error = NULL;
  g_assert_false (st_edit_undo (vm, log, &error));
  g_assert_error (error, ST_EDIT_ERROR, ST_EDIT_ERROR_NOTHING_TO_UNDO);
  g_assert_cmphex (st_fetch (vm, o->active_process, 2), ==, st_smallint_oop (40));
  g_assert_cmphex (st_fetch (vm, o->active_process, 0), ==, vm->nil_obj);
  g_assert_cmphex (st_method_literal (vm, o->active_method, 1), ==, st_smallint_oop (42));
  assert_print (f, o->sample_string, "'hello, world'");
  assert_print (f, st_fetch (vm, o->active_process, 4), "'the active process'");
  g_assert_cmpuint (check_findings (vm), ==, findings);
  st_edit_log_free (log);
}

static void
test_alloc (Fixture *f, gconstpointer data)
{
  StVM *vm = f->vm;
  const ThawBuilderObjects *o = f->o;
  uint64_t objects = count_objects (vm), real = count_real_objects (vm);
  guint32 ci = st_hash (vm, o->array_class);
  g_assert_cmphex (st_class_at_index (vm, ci), ==, o->array_class);
  g_autoptr (GError) error = NULL;
  /* A big one (overflow header) and a small one. */
  StOop big = st_objmem_alloc_old (vm, ci, ST_FMT_INDEXABLE, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (st_num_slots (vm, big), ==, 1000);
  g_assert_cmphex (st_fetch (vm, big, 999), ==, vm->nil_obj);
  StOop small = st_objmem_alloc_old (vm, ci, ST_FMT_INDEXABLE, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (st_num_slots (vm, small), ==, 0);
  g_assert_cmpuint (count_objects (vm), ==, objects + 2);
  g_assert_true (st_printer_is_object (vm, big));
  g_assert_cmpuint (check_findings (vm), ==, 0);
  /* Written in the image's own format and read back, the new objects are there. */
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "grown.image", NULL);
  g_assert_true (st_image_write (vm, path, ST_IMAGE_KIND_SAME, ST_WRITE_DEFAULT, &error));
  g_assert_no_error (error);
  StVM *back = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_real_objects (back), ==, real + 2);
  g_assert_cmpuint (check_findings (back), ==, 0);
  st_vm_free (back);
  thaw_test_rmdir (dir);

  g_assert_cmpuint (st_objmem_alloc_old (vm, 3, ST_FMT_INDEXABLE, 1, &error), ==, 0);
  g_assert_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID);
}

/* Random words of the heap overwritten: printing every object, mirroring
 * it, listing the processes and resolving paths never crash or hang. */
static void
test_random_damage (Fixture *f, gconstpointer data)
{
  StVM *vm = f->vm;
  GRand *rand = g_rand_new_with_seed (0x7a11);
  const StSegment *seg = &vm->segments[0];
  uint64_t words = (seg->bytes - ST_BRIDGE_BYTES) / 8;
  /* Keep a pristine copy to restore between rounds. */
  g_autofree guint8 *copy = g_memdup2 (st_ptr (vm, seg->start), seg->bytes);
  static const uint64_t nasty[] = { 0, 1, 0xFF00000000000000u, 0x00000000FFFFFFF8u, 0xFFFFFFFFFFFFFFFFu };
  for (guint round = 0; round < 150; round++)
    {
      memcpy (st_ptr (vm, seg->start), copy, seg->bytes);
      for (guint k = 0; k < 1 + round / 5; k++)
        {
          uint64_t at = g_rand_int_range (rand, 0, (gint32) words);
          uint64_t v;
          switch (g_rand_int_range (rand, 0, 3))
            {
            case 0: v = nasty[g_rand_int_range (rand, 0, G_N_ELEMENTS (nasty))]; break;
            case 1: v = seg->start + 8 * (uint64_t) g_rand_int_range (rand, 0, (gint32) words); break;
            default: v = ((uint64_t) g_rand_int (rand) << 32) | g_rand_int (rand); break;
            }
          st_ptr (vm, seg->start)[at] = v;
        }
      StPrinter *p = st_printer_new (vm);
      StHeapWalk w;
      st_heap_walk_init (&w, vm);
      StOop o;
      guint n = 0;
      while ((o = st_heap_walk_next (&w)) != 0 && n < 20000)
        {
          n++;
          g_autofree char *s = st_printer_print (p, o, 0);
          g_assert_nonnull (s);
          g_autoptr (GError) error = NULL;
          StMirror *m = st_mirror_of (vm, NULL, o, 8, &error);
          st_mirror_free (m);
        }
      g_autoptr (GError) error = NULL;
      GPtrArray *procs = st_process_list (vm, 100, &error);
      if (procs != NULL)
        g_ptr_array_unref (procs);
      static const char *paths[] = { "special.3.value.activeProcess.suspendedContext.sender.method", "Object>>yourself",
                                     "Point class", "Smalltalk at: #Point", "special.8" };
      for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
        {
          StPathTarget t;
          g_autoptr (GError) perr = NULL;
          if (st_path_resolve (p, paths[i], &t, &perr))
            {
              g_autofree char *s = st_printer_print (p, t.value, 0);
            }
        }
      st_printer_free (p);
    }
  memcpy (st_ptr (vm, seg->start), copy, seg->bytes);
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  static const struct { const char *name; const Personality *p; } pers[] = {
    { "spur64", &spur64 }, { "spur32", &spur32 }, { "v3", &v3 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (pers); i++)
    {
#define ADD(what, fn)                                                                         \
      do {                                                                                    \
        g_autofree char *path = g_strdup_printf ("/engine/mirror/%s/%s", pers[i].name, what); \
        g_test_add (path, Fixture, pers[i].p, fixture_setup, fn, fixture_teardown);           \
      } while (0)
      ADD ("print-objects", test_print_objects);
      ADD ("print-context-process", test_print_context_process);
      ADD ("print-damaged", test_print_damaged);
      ADD ("path-resolve", test_path_resolve);
      ADD ("mirror", test_mirror);
      ADD ("processes", test_processes);
      ADD ("processes-damaged", test_processes_damaged);
      ADD ("edit", test_edit);
      ADD ("alloc", test_alloc);
      ADD ("random-damage", test_random_damage);
#undef ADD
    }
  g_test_add ("/engine/mirror/spur64/print-immediates", Fixture, &spur64, fixture_setup, test_print_immediates,
              fixture_teardown);
  return g_test_run ();
}
