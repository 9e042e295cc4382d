/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The stream primitives (65 next, 66 nextPut:, 67 atEnd), 103
 * scanCharacters, 143/144 shortAt:(put:) and the FloatArray primitives,
 * called directly on a synthetic heap with a running interpreter: streams
 * over Arrays, ByteStrings and ByteArrays, their limits, and failure for
 * every shape the Smalltalk fallback code must handle instead. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "builder.h"
#include "interp-private.h"
#include "plugins.h"
#include "prim-table.h"
#include "prim-call.h"
#include "support.h"

enum { SENDER, PC, STACKP, METHOD, CLOSURE, RECEIVER, TEMP0 };

typedef struct {
  ThawBuilder *b;
  const ThawBuilderObjects *k;
  StVM *vm;
  StInterp *it;
  guint32 ci_stream, ci_float_array, ci_sound, ci_scanner;
  StOop symbol;
} P;

static void
p_setup (P *p)
{
  memset (p, 0, sizeof *p);
  p->b = thaw_builder_new_at (ST_FAMILY_SPUR, 8, 68021, 0);
  p->k = thaw_builder_objects (p->b);
  StOop ws = thaw_builder_class (p->b, "WriteStream", p->k->object_class, ST_FMT_FIXED, "collection", "position",
                                 "readLimit", "writeLimit", NULL);
  StOop fa = thaw_builder_class (p->b, "FloatArray", p->k->object_class, ST_FMT_WORDS32, NULL, NULL);
  StOop sb = thaw_builder_class (p->b, "SoundBuffer", p->k->object_class, ST_FMT_SHORTS16, NULL, NULL);
  StOop cs = thaw_builder_class (p->b, "CharacterScanner", p->k->object_class, ST_FMT_FIXED, "destX", "lastIndex",
                                 "xTable", "map", NULL);
  p->ci_stream = thaw_builder_class_index (p->b, ws);
  p->ci_float_array = thaw_builder_class_index (p->b, fa);
  p->ci_sound = thaw_builder_class_index (p->b, sb);
  p->ci_scanner = thaw_builder_class_index (p->b, cs);
  p->symbol = thaw_builder_symbol (p->b, "space");
  guint8 ret = 120;
  StOop m = thaw_builder_method (p->b, p->k->object_class, "test", 0, 0, 0, NULL, 0, &ret, 1);
  p->vm = thaw_builder_finish (p->b);
  StOop ctx = p->k->active_context;
  StMethodHeader h;
  g_assert_true (st_method_header (p->vm, m, &h, NULL));
  st_store (p->vm, ctx, METHOD, m);
  st_store (p->vm, ctx, PC, st_smallint_oop ((int64_t) h.initial_pc + 1));
  st_store (p->vm, ctx, STACKP, st_smallint_oop (0));
  st_store (p->vm, ctx, RECEIVER, p->vm->nil_obj);
  g_autoptr (GError) error = NULL;
  g_assert_true (st_interp_init (p->vm, &error));
  g_assert_no_error (error);
  p->it = st_interp (p->vm);
  g_assert_cmpuint (p->it->ci_array, !=, 0);
  g_assert_cmpuint (p->it->ci_byte_string, !=, 0);
  g_assert_cmpuint (p->it->ci_byte_array, !=, 0);
}

static void
p_free (P *p)
{
  st_vm_free (p->vm);
  thaw_builder_free (p->b);
}

/* Run fn with receiver and args; answers the primitive's code and, when it
 * succeeded, the result in *out.  Checks the stack discipline either way. */
static StPrimResult
call (P *p, StPrimFn fn, StOop *out, StOop rcvr, int argc, ...)
{
  va_list ap;
  va_start (ap, argc);
  StPrimResult r = thaw_test_prim_callv (p->it, fn, out, rcvr, argc, ap);
  va_end (ap);
  return r;
}

static StOop
int_oop (int64_t v)
{
  return st_smallint_oop (v);
}

static StOop
new_stream (P *p, StOop coll, int64_t pos, int64_t read_limit, int64_t write_limit)
{
  StOop s = st_objmem_new_object (p->vm, p->ci_stream, ST_FMT_FIXED, 4);
  g_assert_cmphex (s, !=, 0);
  st_store (p->vm, s, 0, coll);
  st_store (p->vm, s, 1, int_oop (pos));
  st_store (p->vm, s, 2, int_oop (read_limit));
  st_store (p->vm, s, 3, int_oop (write_limit));
  return s;
}

static StOop
new_array3 (P *p)
{
  StOop a = st_interp_new_array (p->it, 3);
  g_assert_cmphex (a, !=, 0);
  st_store (p->vm, a, 0, int_oop (10));
  st_store (p->vm, a, 1, p->it->true_obj);
  st_store (p->vm, a, 2, int_oop (30));
  return a;
}

static StOop
new_bytes (P *p, guint32 ci, const char *s, gsize n)
{
  StOop o = st_objmem_new_object (p->vm, ci, ST_FMT_BYTES + ((8 - (n & 7)) & 7), (n + 7) / 8);
  g_assert_cmphex (o, !=, 0);
  memcpy (st_bytes (p->vm, o), s, n);
  return o;
}

static void
test_next_array (void)
{
  P p;
  p_setup (&p);
  StOop a = new_array3 (&p), s = new_stream (&p, a, 0, 3, 3), r = 0;
  g_assert_cmpint (call (&p, st_prim_stream_at_end, &r, s, 0), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, p.it->false_obj);
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, s, 0), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, int_oop (10));
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, s, 0), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, p.it->true_obj);
  g_assert_cmphex (st_fetch (p.vm, s, 1), ==, int_oop (2));
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, s, 0), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, int_oop (30));
  /* at the read limit: atEnd true, next fails (the fallback answers pastEnd) */
  g_assert_cmpint (call (&p, st_prim_stream_at_end, &r, s, 0), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, p.it->true_obj);
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, s, 0), !=, ST_PRIM_OK);
  g_assert_cmphex (st_fetch (p.vm, s, 1), ==, int_oop (3));
  /* a read limit below the size stops there */
  StOop s2 = new_stream (&p, a, 1, 2, 3);
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, s2, 0), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, p.it->true_obj);
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, s2, 0), !=, ST_PRIM_OK);
  /* a read limit beyond the size (damaged) fails instead of reading past the end */
  StOop s3 = new_stream (&p, a, 3, 50, 50);
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, s3, 0), !=, ST_PRIM_OK);
  g_assert_cmpint (call (&p, st_prim_stream_next_put, &r, s3, 1, int_oop (1)), !=, ST_PRIM_OK);
  /* negative position */
  StOop s4 = new_stream (&p, a, -1, 3, 3);
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, s4, 0), !=, ST_PRIM_OK);
  p_free (&p);
}

static void
test_string_and_bytes (void)
{
  P p;
  p_setup (&p);
  StOop str = new_bytes (&p, p.it->ci_byte_string, "ab", 2), r = 0;
  StOop s = new_stream (&p, str, 0, 2, 2);
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, s, 0), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, st_interp_character (p.it, 'a'));
  /* nextPut: a Character into the String overwrites at position + 1 */
  StOop w = new_stream (&p, str, 0, 0, 2);
  g_assert_cmpint (call (&p, st_prim_stream_next_put, &r, w, 1, st_interp_character (p.it, 'z')), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, st_interp_character (p.it, 'z'));
  g_assert_cmpint (st_bytes (p.vm, str)[0], ==, 'z');
  g_assert_cmphex (st_fetch (p.vm, w, 1), ==, int_oop (1));
  g_assert_cmphex (st_fetch (p.vm, w, 2), ==, int_oop (0));      /* readLimit untouched */
  /* an integer into a String, a wide character: fail, nothing written */
  g_assert_cmpint (call (&p, st_prim_stream_next_put, &r, w, 1, int_oop (65)), !=, ST_PRIM_OK);
  g_assert_cmpint (call (&p, st_prim_stream_next_put, &r, w, 1, st_interp_character (p.it, 0x3B1)), !=, ST_PRIM_OK);
  g_assert_cmpint (st_bytes (p.vm, str)[1], ==, 'b');
  g_assert_cmphex (st_fetch (p.vm, w, 1), ==, int_oop (1));
  g_assert_cmpint (call (&p, st_prim_stream_next_put, &r, w, 1, st_interp_character (p.it, 'y')), ==, ST_PRIM_OK);
  g_assert_cmpint (st_bytes (p.vm, str)[1], ==, 'y');
  /* at the write limit: fail (the fallback grows the collection) */
  g_assert_cmpint (call (&p, st_prim_stream_next_put, &r, w, 1, st_interp_character (p.it, 'x')), !=, ST_PRIM_OK);
  g_assert_cmphex (st_fetch (p.vm, w, 1), ==, int_oop (2));

  /* ByteArray: integers 0..255 */
  StOop ba = new_bytes (&p, p.it->ci_byte_array, "\x07\xff", 2);
  StOop bs = new_stream (&p, ba, 0, 2, 2);
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, bs, 0), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, int_oop (7));
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, bs, 0), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, int_oop (255));
  StOop bw = new_stream (&p, ba, 0, 2, 2);
  g_assert_cmpint (call (&p, st_prim_stream_next_put, &r, bw, 1, int_oop (256)), !=, ST_PRIM_OK);
  g_assert_cmpint (call (&p, st_prim_stream_next_put, &r, bw, 1, st_interp_character (p.it, 'a')), !=, ST_PRIM_OK);
  g_assert_cmpint (call (&p, st_prim_stream_next_put, &r, bw, 1, int_oop (200)), ==, ST_PRIM_OK);
  g_assert_cmpint (st_bytes (p.vm, ba)[0], ==, 200);
  p_free (&p);
}

static void
test_wrong_shapes (void)
{
  P p;
  p_setup (&p);
  StOop a = new_array3 (&p), r = 0;
  /* not an object, too few slots, a non-integer position */
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, int_oop (3), 0), ==, ST_PRIM_ERR_BAD_RECEIVER);
  g_assert_cmpint (call (&p, st_prim_stream_at_end, &r, p.vm->nil_obj, 0), ==, ST_PRIM_ERR_BAD_RECEIVER);
  StOop small = st_interp_new_array (p.it, 2);
  st_store (p.vm, small, 0, a);
  st_store (p.vm, small, 1, int_oop (0));
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, small, 0), ==, ST_PRIM_ERR_BAD_RECEIVER);
  StOop three = st_objmem_new_object (p.vm, p.ci_stream, ST_FMT_FIXED, 3);
  st_store (p.vm, three, 0, a);
  st_store (p.vm, three, 1, int_oop (0));
  st_store (p.vm, three, 2, int_oop (3));
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, three, 0), ==, ST_PRIM_OK);   /* a ReadStream */
  g_assert_cmpint (call (&p, st_prim_stream_next_put, &r, three, 1, int_oop (1)), ==, ST_PRIM_ERR_BAD_RECEIVER);
  StOop s = new_stream (&p, a, 0, 3, 3);
  st_store (p.vm, s, 1, p.vm->nil_obj);
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, s, 0), ==, ST_PRIM_ERR_BAD_RECEIVER);
  g_assert_cmpint (call (&p, st_prim_stream_at_end, &r, s, 0), ==, ST_PRIM_ERR_BAD_RECEIVER);
  /* collections of other classes: an OrderedCollection-like object, a Symbol, a FloatArray */
  StOop other = st_objmem_new_object (p.vm, p.ci_stream, ST_FMT_FIXED, 4);
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, new_stream (&p, other, 0, 3, 3), 0), ==, ST_PRIM_ERR_BAD_RECEIVER);
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, new_stream (&p, p.symbol, 0, 3, 3), 0), ==,
                   ST_PRIM_ERR_BAD_RECEIVER);
  StOop fa = st_objmem_new_object (p.vm, p.ci_float_array, ST_FMT_WORDS32, 2);
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, new_stream (&p, fa, 0, 3, 3), 0), ==, ST_PRIM_ERR_BAD_RECEIVER);
  /* a dangling collection pointer */
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, new_stream (&p, (StOop) 0x7ffffff000, 0, 3, 3), 0), ==,
                   ST_PRIM_ERR_BAD_RECEIVER);
  /* an immutable stream is not advanced */
  StOop im = new_stream (&p, a, 0, 3, 3);
  st_set_header (p.vm, im, st_header (p.vm, im) | (G_GUINT64_CONSTANT (1) << 23));
  g_assert_cmpint (call (&p, st_prim_stream_next, &r, im, 0), ==, ST_PRIM_ERR_NO_MODIFICATION);
  g_assert_cmphex (st_fetch (p.vm, im, 1), ==, int_oop (0));
  p_free (&p);
}

static void
test_short_at (void)
{
  P p;
  p_setup (&p);
  StOop sb = st_objmem_new_object (p.vm, p.ci_sound, ST_FMT_SHORTS16 + 1, 1);   /* 3 shorts */
  g_assert_cmpuint (st_indexable_count (p.vm, sb), ==, 3);
  StOop r = 0;
  g_assert_cmpint (call (&p, st_prim_short_at_put, &r, sb, 2, int_oop (3), int_oop (-2)), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, int_oop (-2));
  g_assert_cmpint (call (&p, st_prim_short_at, &r, sb, 1, int_oop (3)), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, int_oop (-2));
  g_assert_cmpint (((guint16 *) st_bytes (p.vm, sb))[2], ==, 0xFFFE);
  g_assert_cmpint (call (&p, st_prim_short_at, &r, sb, 1, int_oop (4)), ==, ST_PRIM_ERR_BAD_INDEX);
  g_assert_cmpint (call (&p, st_prim_short_at, &r, sb, 1, int_oop (0)), ==, ST_PRIM_ERR_BAD_INDEX);
  g_assert_cmpint (call (&p, st_prim_short_at_put, &r, sb, 2, int_oop (1), int_oop (32768)), ==, ST_PRIM_ERR_BAD_ARGUMENT);
  g_assert_cmpint (call (&p, st_prim_short_at_put, &r, sb, 2, int_oop (1), int_oop (-32768)), ==, ST_PRIM_OK);
  /* a 32-bit word object holds two shorts per word, in host order */
  StOop fa = st_objmem_new_object (p.vm, p.ci_float_array, ST_FMT_WORDS32 + 1, 1);
  ((guint32 *) st_bytes (p.vm, fa))[0] = 0x00050007;
  g_assert_cmpint (call (&p, st_prim_short_at, &r, fa, 1, int_oop (1)), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, int_oop (G_BYTE_ORDER == G_LITTLE_ENDIAN ? 7 : 5));
  g_assert_cmpint (call (&p, st_prim_short_at, &r, fa, 1, int_oop (3)), ==, ST_PRIM_ERR_BAD_INDEX);
  /* pointers and methods fail */
  g_assert_cmpint (call (&p, st_prim_short_at, &r, new_array3 (&p), 1, int_oop (1)), ==, ST_PRIM_ERR_BAD_RECEIVER);
  g_assert_cmpint (call (&p, st_prim_short_at, &r, p.k->sample_method, 1, int_oop (1)), ==, ST_PRIM_ERR_BAD_RECEIVER);
  p_free (&p);
}

static void
test_float_array (void)
{
  P p;
  p_setup (&p);
  StPrimFn at = st_prims_named_lookup ("FloatArrayPlugin", "primitiveAt");
  StPrimFn at_put = st_prims_named_lookup ("FloatArrayPlugin", "primitiveAtPut");
  g_assert_nonnull (at);
  g_assert_nonnull (at_put);
  g_assert_true (st_prims_named_lookup ("", "primitiveFloatArrayAt") == at);
  g_assert_true (st_prims_named_lookup ("", "primitiveFloatArrayAtPut") == at_put);
  StOop fa = st_objmem_new_object (p.vm, p.ci_float_array, ST_FMT_WORDS32 + 1, 1);   /* 1 float */
  StOop r = 0;
  g_assert_cmpint (call (&p, at_put, &r, fa, 2, int_oop (1), st_interp_float (p.it, 1.5)), ==, ST_PRIM_OK);
  g_assert_cmpint (call (&p, at, &r, fa, 1, int_oop (1)), ==, ST_PRIM_OK);
  double d = 0;
  g_assert_true (st_interp_float_value (p.it, r, &d));
  g_assert_cmpfloat (d, ==, 1.5);
  /* an integer is stored as a float; 0.1 is rounded to single precision */
  g_assert_cmpint (call (&p, at_put, &r, fa, 2, int_oop (1), int_oop (-3)), ==, ST_PRIM_OK);
  g_assert_cmpint (call (&p, at, &r, fa, 1, int_oop (1)), ==, ST_PRIM_OK);
  g_assert_true (st_interp_float_value (p.it, r, &d));
  g_assert_cmpfloat (d, ==, -3.0);
  g_assert_cmpint (call (&p, at_put, &r, fa, 2, int_oop (1), st_interp_float (p.it, 0.1)), ==, ST_PRIM_OK);
  g_assert_cmpint (call (&p, at, &r, fa, 1, int_oop (1)), ==, ST_PRIM_OK);
  g_assert_true (st_interp_float_value (p.it, r, &d));
  g_assert_cmpfloat (d, ==, (double) 0.1f);
  g_assert_cmpint (call (&p, at, &r, fa, 1, int_oop (2)), ==, ST_PRIM_ERR_BAD_INDEX);
  g_assert_cmpint (call (&p, at_put, &r, fa, 2, int_oop (1), p.vm->nil_obj), ==, ST_PRIM_ERR_BAD_ARGUMENT);
  g_assert_cmpint (call (&p, at, &r, new_array3 (&p), 1, int_oop (1)), ==, ST_PRIM_ERR_BAD_RECEIVER);
  g_assert_cmpint (call (&p, at, &r, p.k->sample_bytes, 1, int_oop (1)), ==, ST_PRIM_ERR_BAD_RECEIVER);
  p_free (&p);
}

/* A scanner over 'ab c' with glyph widths a=5, b=7, c=3, space a stop. */
static void
test_scan_characters (void)
{
  P p;
  p_setup (&p);
  StOop stops = st_interp_new_array (p.it, 258);
  StOop space_stop = p.symbol, end_of_run = p.it->true_obj, crossed = p.it->false_obj;
  st_store (p.vm, stops, ' ', space_stop);
  st_store (p.vm, stops, 256, end_of_run);
  st_store (p.vm, stops, 257, crossed);
  StOop map = st_interp_new_array (p.it, 256);
  for (guint i = 0; i < 256; i++)
    st_store (p.vm, map, i, int_oop (i < 'a' || i > 'c' ? 0 : i - 'a' + 1));
  StOop xtable = st_interp_new_array (p.it, 5);
  const int64_t xs[] = { 0, 0, 5, 12, 15 };
  for (guint i = 0; i < 5; i++)
    st_store (p.vm, xtable, i, int_oop (xs[i]));
  StOop sc = st_objmem_new_object (p.vm, p.ci_scanner, ST_FMT_FIXED, 4);
  st_store (p.vm, sc, 0, int_oop (100));
  st_store (p.vm, sc, 1, int_oop (0));
  st_store (p.vm, sc, 2, xtable);
  st_store (p.vm, sc, 3, map);
  StOop text = new_bytes (&p, p.it->ci_byte_string, "ab c", 4), r = 0;
  /* from 1: a (100 -> 105 + kern 1), b (106 -> 113 + 1), then the space stops at index 3 */
  g_assert_cmpint (call (&p, st_prim_scan_characters, &r, sc, 6, int_oop (1), int_oop (4), text, int_oop (1000), stops,
                         int_oop (1)), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, space_stop);
  g_assert_cmphex (st_fetch (p.vm, sc, 0), ==, int_oop (114));
  g_assert_cmphex (st_fetch (p.vm, sc, 1), ==, int_oop (3));
  /* from 4 to 4: c fits, end of run, lastIndex = stop */
  g_assert_cmpint (call (&p, st_prim_scan_characters, &r, sc, 6, int_oop (4), int_oop (4), text, int_oop (1000), stops,
                         int_oop (0)), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, end_of_run);
  g_assert_cmphex (st_fetch (p.vm, sc, 0), ==, int_oop (117));
  g_assert_cmphex (st_fetch (p.vm, sc, 1), ==, int_oop (4));
  /* right edge: from 0, b would end at 12 > 10, so crossed x at index 2 with destX 5 */
  st_store (p.vm, sc, 0, int_oop (0));
  g_assert_cmpint (call (&p, st_prim_scan_characters, &r, sc, 6, int_oop (1), int_oop (2), text, int_oop (10), stops,
                         int_oop (0)), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, crossed);
  g_assert_cmphex (st_fetch (p.vm, sc, 0), ==, int_oop (5));
  g_assert_cmphex (st_fetch (p.vm, sc, 1), ==, int_oop (2));
  /* failures: stop beyond the string, short stops, a map of the wrong size, a bad glyph index */
  g_assert_cmpint (call (&p, st_prim_scan_characters, &r, sc, 6, int_oop (1), int_oop (5), text, int_oop (10), stops,
                         int_oop (0)), !=, ST_PRIM_OK);
  g_assert_cmpint (call (&p, st_prim_scan_characters, &r, sc, 6, int_oop (1), int_oop (2), text, int_oop (10), map,
                         int_oop (0)), !=, ST_PRIM_OK);
  st_store (p.vm, sc, 3, xtable);
  g_assert_cmpint (call (&p, st_prim_scan_characters, &r, sc, 6, int_oop (1), int_oop (2), text, int_oop (10), stops,
                         int_oop (0)), !=, ST_PRIM_OK);
  st_store (p.vm, sc, 3, map);
  st_store (p.vm, map, 'a', int_oop (4));
  g_assert_cmpint (call (&p, st_prim_scan_characters, &r, sc, 6, int_oop (1), int_oop (2), text, int_oop (10), stops,
                         int_oop (0)), !=, ST_PRIM_OK);
  g_assert_cmphex (st_fetch (p.vm, sc, 0), ==, int_oop (5));      /* nothing stored on failure */
  p_free (&p);
}

/* The sandboxed FilePlugin's delete and directory lookup over a temporary
 * directory: the disk is read, never changed. */
static void
test_file_delete_and_lookup (void)
{
  P p;
  p_setup (&p);
  g_autofree char *dir = thaw_test_tmpdir ();
  g_autofree char *fa = g_build_filename (dir, "a.txt", NULL);
  g_autofree char *fb = g_build_filename (dir, "b.txt", NULL);
  g_autofree char *sub = g_build_filename (dir, "sub", NULL);
  g_assert_true (g_file_set_contents (fa, "12345", 5, NULL));
  g_assert_true (g_file_set_contents (fb, "xy", 2, NULL));
  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  StPrimFn lookup = st_prims_named_lookup ("FilePlugin", "primitiveDirectoryLookup");
  StPrimFn del = st_prims_named_lookup ("FilePlugin", "primitiveFileDelete");
  StPrimFn open = st_prims_named_lookup ("FilePlugin", "primitiveFileOpen");
  g_assert_nonnull (lookup);
  g_assert_nonnull (del);
  g_assert_nonnull (open);
  StOop r = 0, d = st_interp_new_string (p.it, dir);
  /* sorted: a.txt (5 bytes), b.txt, sub (a directory), then nil */
  g_assert_cmpint (call (&p, lookup, &r, d, 2, d, int_oop (1)), ==, ST_PRIM_OK);
  g_assert_cmpuint (st_num_slots (p.vm, r), ==, 5);
  g_autofree char *n1 = st_interp_string (p.vm, st_fetch (p.vm, r, 0));
  g_assert_cmpstr (n1, ==, "a.txt");
  g_assert_cmphex (st_fetch (p.vm, r, 3), ==, p.it->false_obj);
  g_assert_cmphex (st_fetch (p.vm, r, 4), ==, int_oop (5));
  g_assert_true (st_is_smallint (st_fetch (p.vm, r, 2)));
  g_assert_cmpint (st_smallint_value (st_fetch (p.vm, r, 2)), >, G_GINT64_CONSTANT (2177452800) + 1000000000);
  g_assert_cmpint (call (&p, lookup, &r, d, 2, d, int_oop (3)), ==, ST_PRIM_OK);
  g_autofree char *n3 = st_interp_string (p.vm, st_fetch (p.vm, r, 0));
  g_assert_cmpstr (n3, ==, "sub");
  g_assert_cmphex (st_fetch (p.vm, r, 3), ==, p.it->true_obj);
  g_assert_cmpint (call (&p, lookup, &r, d, 2, d, int_oop (4)), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, p.vm->nil_obj);
  /* a directory that does not exist fails */
  g_autofree char *nodir = g_build_filename (dir, "none", NULL);
  StOop nd = st_interp_new_string (p.it, nodir);
  g_assert_cmpint (call (&p, lookup, &r, nd, 2, nd, int_oop (1)), !=, ST_PRIM_OK);
  /* delete a.txt: it is gone for this run only */
  StOop na = st_interp_new_string (p.it, fa);
  g_assert_cmpint (call (&p, del, &r, d, 1, na), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, d);
  g_assert_true (g_file_test (fa, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (call (&p, lookup, &r, d, 2, d, int_oop (1)), ==, ST_PRIM_OK);
  g_autofree char *m1 = st_interp_string (p.vm, st_fetch (p.vm, r, 0));
  g_assert_cmpstr (m1, ==, "b.txt");
  g_assert_cmpint (call (&p, open, &r, d, 2, na, p.it->false_obj), !=, ST_PRIM_OK);
  g_assert_cmpint (call (&p, del, &r, d, 1, na), !=, ST_PRIM_OK);      /* already gone */
  g_assert_cmpint (call (&p, del, &r, d, 1, nd), !=, ST_PRIM_OK);      /* never was */
  /* created again for writing: empty, and listed again */
  g_assert_cmpint (call (&p, open, &r, d, 2, na, p.it->true_obj), ==, ST_PRIM_OK);
  StPrimFn size = st_prims_named_lookup ("FilePlugin", "primitiveFileSize");
  g_assert_cmpint (call (&p, size, &r, d, 1, r), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, int_oop (0));
  g_assert_cmpint (call (&p, lookup, &r, d, 2, d, int_oop (1)), ==, ST_PRIM_OK);
  g_autofree char *k1 = st_interp_string (p.vm, st_fetch (p.vm, r, 0));
  g_assert_cmpstr (k1, ==, "a.txt");
  /* a file created only in this run is listed; the disk still has what it had */
  g_autofree char *fc = g_build_filename (dir, "c.txt", NULL);
  StOop nc = st_interp_new_string (p.it, fc);
  g_assert_cmpint (call (&p, open, &r, d, 2, nc, p.it->true_obj), ==, ST_PRIM_OK);
  g_assert_cmpint (call (&p, lookup, &r, d, 2, d, int_oop (3)), ==, ST_PRIM_OK);
  g_autofree char *c3 = st_interp_string (p.vm, st_fetch (p.vm, r, 0));
  g_assert_cmpstr (c3, ==, "c.txt");
  g_assert_false (g_file_test (fc, G_FILE_TEST_EXISTS));
  g_autofree char *contents = NULL;
  g_assert_true (g_file_get_contents (fa, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "12345");
  p_free (&p);
  thaw_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/prims-stream/next-array", test_next_array);
  g_test_add_func ("/engine/prims-stream/string-and-bytes", test_string_and_bytes);
  g_test_add_func ("/engine/prims-stream/wrong-shapes", test_wrong_shapes);
  g_test_add_func ("/engine/prims-stream/short-at", test_short_at);
  g_test_add_func ("/engine/prims-stream/float-array", test_float_array);
  g_test_add_func ("/engine/prims-stream/scan-characters", test_scan_characters);
  g_test_add_func ("/engine/prims-stream/file-delete-and-lookup", test_file_delete_and_lookup);
  return g_test_run ();
}
