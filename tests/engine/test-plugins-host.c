/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LocalePlugin, SecurityPlugin, the host parts of ScratchPlugin and WarpBlt.
 * The named primitives are looked up by module and name and called on a
 * synthetic heap with a running interpreter (receiver and arguments pushed
 * on the active context's stack); the answers are checked against what the
 * C library / GLib say about this host.  WarpBlt's core is checked on plain
 * buffers: a 2x magnification, a quarter turn, clipping, smoothing. */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "builder.h"
#include "interp-private.h"
#include "plugins.h"
#include "plugins/bitblt.h"
#include "prim-call.h"
#include "prim-table.h"
#include "support.h"

enum { SENDER, PC, STACKP, METHOD, CLOSURE, RECEIVER, TEMP0 };

typedef struct {
  ThawBuilder *b;
  const ThawBuilderObjects *k;
  StVM *vm;
  StInterp *it;
} P;

static void
p_setup (P *p)
{
  memset (p, 0, sizeof *p);
  p->b = thaw_builder_new_at (ST_FAMILY_SPUR, 8, 68021, 0);
  p->k = thaw_builder_objects (p->b);
  guint8 ret = 88;
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
}

static void
p_free (P *p)
{
  st_vm_free (p->vm);
  thaw_builder_free (p->b);
}

/* Run module>>name with nil as receiver and argc arguments. */
static StPrimResult
call (P *p, const char *module, const char *name, StOop *out, int argc, ...)
{
  StPrimFn fn = st_prims_named_lookup (module, name);
  g_assert_nonnull (fn);
  va_list ap;
  va_start (ap, argc);
  StPrimResult r = thaw_test_prim_callv (p->it, fn, out, p->vm->nil_obj, argc, ap);
  va_end (ap);
  return r;
}

static char *
call_string (P *p, const char *module, const char *name, int argc, StOop arg)
{
  StOop r = 0;
  g_assert_cmpint (argc == 0 ? call (p, module, name, &r, 0) : call (p, module, name, &r, 1, arg), ==, ST_PRIM_OK);
  g_assert_true (st_interp_valid_obj (p->vm, r));
  g_assert_cmpuint (st_class_index (p->vm, r), ==, p->it->ci_byte_string);
  return g_strndup ((const char *) st_bytes (p->vm, r), st_byte_length (p->vm, r));
}

static StOop
call_ok (P *p, const char *module, const char *name)
{
  StOop r = 0;
  g_assert_cmpint (call (p, module, name, &r, 0), ==, ST_PRIM_OK);
  return r;
}

static void
test_locale (void)
{
  P p;
  p_setup (&p);
  g_unsetenv ("LC_ALL");
  g_setenv ("LANG", "de_AT.UTF-8", TRUE);
  g_autofree char *country = call_string (&p, "LocalePlugin", "primitiveCountry", 0, 0);
  g_autofree char *lang = call_string (&p, "LocalePlugin", "primitiveLanguage", 0, 0);
  g_assert_cmpstr (country, ==, "AT");
  g_assert_cmpstr (lang, ==, "de");
  g_setenv ("LC_ALL", "pt_BR", TRUE);
  g_autofree char *country2 = call_string (&p, "LocalePlugin", "primitiveCountry", 0, 0);
  g_autofree char *lang2 = call_string (&p, "LocalePlugin", "primitiveLanguage", 0, 0);
  g_assert_cmpstr (country2, ==, "BR");
  g_assert_cmpstr (lang2, ==, "pt");
  /* C, POSIX and nonsense: the Unix VM's defaults. */
  static const char *const plain[] = { "C", "POSIX", "/usr/lib/locale/x", "C.UTF-8" };
  for (gsize i = 0; i < G_N_ELEMENTS (plain); i++)
    {
      g_setenv ("LC_ALL", plain[i], TRUE);
      g_autofree char *c = call_string (&p, "LocalePlugin", "primitiveCountry", 0, 0);
      g_autofree char *l = call_string (&p, "LocalePlugin", "primitiveLanguage", 0, 0);
      g_assert_cmpstr (c, ==, "US");
      g_assert_cmpstr (l, ==, "en");
    }
  /* In the C locale: '.' and no grouping or currency; symbol in front. */
  g_setenv ("LC_ALL", "C", TRUE);
  g_autofree char *dec = call_string (&p, "LocalePlugin", "primitiveDecimalSymbol", 0, 0);
  g_autofree char *grp = call_string (&p, "LocalePlugin", "primitiveDigitGroupingSymbol", 0, 0);
  g_autofree char *cur = call_string (&p, "LocalePlugin", "primitiveCurrencySymbol", 0, 0);
  g_assert_cmpstr (dec, ==, ".");
  g_assert_cmpstr (grp, ==, "");
  g_assert_cmpstr (cur, ==, "");
  g_assert_cmphex (call_ok (&p, "LocalePlugin", "primitiveCurrencyNotation"), ==, p.it->true_obj);
  g_assert_cmphex (call_ok (&p, "LocalePlugin", "primitiveMeasurementMetric"), ==, p.it->true_obj);
  g_autofree char *date = call_string (&p, "LocalePlugin", "primitiveShortDateFormat", 0, 0);
  g_autofree char *ldate = call_string (&p, "LocalePlugin", "primitiveLongDateFormat", 0, 0);
  g_autofree char *tfmt = call_string (&p, "LocalePlugin", "primitiveTimeFormat", 0, 0);
  g_assert_cmpstr (date, ==, "%m/%d/%y");
  g_assert_cmpstr (ldate, ==, "%m/%d/%y");
  g_assert_cmpstr (tfmt, ==, "%H:%M:%S");
  /* Time zone: minutes east of UTC now, as localtime says. */
  time_t now = time (NULL);
  struct tm tm;
  localtime_r (&now, &tm);
  g_assert_cmphex (call_ok (&p, "LocalePlugin", "primitiveTimezoneOffset"), ==, st_smallint_oop (tm.tm_gmtoff / 60));
  g_assert_cmphex (call_ok (&p, "LocalePlugin", "primitiveDaylightSavings"), ==,
                   tm.tm_isdst > 0 ? p.it->true_obj : p.it->false_obj);
  g_assert_cmphex (call_ok (&p, "LocalePlugin", "primitiveVMOffsetToUTC"), ==, st_smallint_oop (0));
  /* A wrong argument count fails without touching the stack. */
  StOop r;
  g_assert_cmpint (call (&p, "LocalePlugin", "primitiveCountry", &r, 1, st_smallint_oop (1)), ==,
                   ST_PRIM_ERR_BAD_NUM_ARGS);
  g_assert_null (st_prims_named_lookup ("LocalePlugin", "primitiveNoSuchThing"));
  g_unsetenv ("LC_ALL");
  p_free (&p);
}

static void
test_security (void)
{
  P p;
  p_setup (&p);
  g_assert_cmphex (call_ok (&p, "SecurityPlugin", "primitiveCanWriteImage"), ==, p.it->false_obj);
  st_interp_set_snapshot_path (p.vm, "/tmp/thaw-test-snapshot.image");
  g_assert_cmphex (call_ok (&p, "SecurityPlugin", "primitiveCanWriteImage"), ==, p.it->true_obj);
  g_assert_cmphex (call_ok (&p, "SecurityPlugin", "primitiveDisableImageWrite"), ==, p.vm->nil_obj);
  g_assert_cmphex (call_ok (&p, "SecurityPlugin", "primitiveCanWriteImage"), ==, p.it->false_obj);
  g_assert_null (st_interp_snapshot_path (p.vm));

  g_free (p.vm->image_path);
  p.vm->image_path = g_strdup ("/some/where/My.image");
  g_autofree char *secure = call_string (&p, "SecurityPlugin", "primitiveGetSecureUserDirectory", 0, 0);
  g_assert_cmpstr (secure, ==, "/some/where/secure");
  g_unsetenv ("SQUEAK_USERDIR");
  g_autofree char *untrusted = call_string (&p, "SecurityPlugin", "primitiveGetUntrustedUserDirectory", 0, 0);
  g_assert_cmpstr (untrusted, ==, "/some/where/My Squeak");
  g_setenv ("SQUEAK_USERDIR", "/home/u/sq//", TRUE);
  g_autofree char *env = call_string (&p, "SecurityPlugin", "primitiveGetUntrustedUserDirectory", 0, 0);
  g_assert_cmpstr (env, ==, "/home/u/sq");
  g_unsetenv ("SQUEAK_USERDIR");
  p_free (&p);
}

static StOop
string_oop (P *p, const char *s)
{
  StOop o = st_interp_new_string (p->it, s);
  g_assert_cmphex (o, !=, 0);
  return o;
}

static void
test_scratch (void)
{
  P p;
  p_setup (&p);
  g_autofree char *home = call_string (&p, "ScratchPlugin", "primitiveGetFolderPath", 1, st_smallint_oop (1));
  g_assert_cmpstr (home, ==, g_get_home_dir ());
  for (int k = 2; k <= 5; k++)
    {
      g_autofree char *d = call_string (&p, "ScratchPlugin", "primitiveGetFolderPath", 1, st_smallint_oop (k));
      g_assert_true (g_path_is_absolute (d));
    }
  g_autofree char *none = call_string (&p, "ScratchPlugin", "primitiveGetFolderPath", 1, st_smallint_oop (9));
  g_assert_cmpstr (none, ==, "");
  StOop r;
  g_assert_cmpint (call (&p, "ScratchPlugin", "primitiveGetFolderPath", &r, 1, p.vm->nil_obj), ==,
                   ST_PRIM_ERR_BAD_ARGUMENT);

  static const struct {
    const char *path;
    bool hidden;
  } hidden[] = {
    { "/home/u/.config", true }, { "/home/u/Projects", false }, { ".x", true }, { "/a/.b/", true },
    { "/a/.b/c", false }, { "", false }, { "/", false },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (hidden); i++)
    {
      g_assert_cmpint (call (&p, "ScratchPlugin", "primitiveIsHidden", &r, 1, string_oop (&p, hidden[i].path)), ==,
                       ST_PRIM_OK);
      g_assert_cmphex (r, ==, hidden[i].hidden ? p.it->true_obj : p.it->false_obj);
    }
  g_assert_cmpint (call (&p, "ScratchPlugin", "primitiveShortToLongPath", &r, 1, string_oop (&p, "C:\\PROGRA~1")), ==,
                   ST_PRIM_FAIL);
  /* The Unicode and Pango text primitives are absent on purpose. */
  g_assert_null (st_prims_named_lookup ("UnicodePlugin", "primitiveMeasureString"));
  g_assert_null (st_prims_named_lookup ("PangoPlugin2", "primitiveMeasureString"));
  p_free (&p);
}


/* A word object of n 32-bit elements. */
static StOop
words (P *p, const guint32 *v, guint n)
{
  StOop o = st_objmem_new_object (p->vm, p->it->ci_byte_array, ST_FMT_WORDS32 + (n & 1), (n + 1) / 2);
  g_assert_cmphex (o, !=, 0);
  memcpy (st_bytes (p->vm, o), v, n * sizeof (guint32));
  return o;
}

static const guint32 *
words_of (P *p, StOop o)
{
  return (const guint32 *) st_bytes (p->vm, o);
}

static void
test_scratch_filters (void)
{
  P p;
  p_setup (&p);
  StOop r;
  /* Brightness +10 of 0x804020 (hue 20, saturation 750, brightness 501 ->
   * 601): 0x994C26; transparent stays 0 and untouched output stays. */
  guint32 in1[3] = { 0x804020, 0, 0xFF000000u };
  guint32 out1[3] = { 0, 0xABCDEF, 0 };
  StOop in = words (&p, in1, 3), out = words (&p, out1, 3);
  g_assert_cmpint (call (&p, "ScratchPlugin", "primitiveBrightnessShift", &r, 3, in, out, st_smallint_oop (10)), ==,
                   ST_PRIM_OK);
  g_assert_cmphex (r, ==, p.vm->nil_obj);       /* answers the receiver */
  g_assert_cmphex (words_of (&p, out)[0], ==, 0x994C26);
  g_assert_cmphex (words_of (&p, out)[1], ==, 0xABCDEF);
  g_assert_cmphex (words_of (&p, out)[2], ==, 0);  /* alpha only: transparent */
  /* Saturation leaves greys alone; hue turns black into a dark red. */
  guint32 grey[1] = { 0x808080 }, black[1] = { 0x000001 }, zero[1] = { 0 };
  StOop g = words (&p, grey, 1), o = words (&p, zero, 1);
  g_assert_cmpint (call (&p, "ScratchPlugin", "primitiveSaturationShift", &r, 3, g, o, st_smallint_oop (50)), ==,
                   ST_PRIM_OK);
  g_assert_cmphex (words_of (&p, o)[0], ==, 0);
  StOop bk = words (&p, black, 1);
  g_assert_cmpint (call (&p, "ScratchPlugin", "primitiveHueShift", &r, 3, bk, o, st_smallint_oop (0)), ==, ST_PRIM_OK);
  /* brightness 110, saturation 1000, hue 0: v = 110000/3922 = 28, p = 0, t = 0 */
  g_assert_cmphex (words_of (&p, o)[0], ==, 0x1C0000);
  /* Sizes must agree. */
  g_assert_cmpint (call (&p, "ScratchPlugin", "primitiveBrightnessShift", &r, 3, in, o, st_smallint_oop (10)), ==,
                   ST_PRIM_ERR_BAD_ARGUMENT);

  /* Half size average of a 2x2 block. */
  guint32 blk[4] = { 0x040404, 0x080808, 0x0C0C0C, 0x101010 }, one[1] = { 0 };
  StOop bi = words (&p, blk, 4), bo = words (&p, one, 1);
  g_assert_cmpint (call (&p, "ScratchPlugin", "primitiveHalfSizeAverage", &r, 12, bi, st_smallint_oop (2),
                         st_smallint_oop (2), bo, st_smallint_oop (1), st_smallint_oop (1), st_smallint_oop (0),
                         st_smallint_oop (0), st_smallint_oop (0), st_smallint_oop (0), st_smallint_oop (1),
                         st_smallint_oop (1)),
                   ==, ST_PRIM_OK);
  g_assert_cmphex (words_of (&p, bo)[0], ==, 0x0A0A0A);
  g_assert_cmpint (call (&p, "ScratchPlugin", "primitiveHalfSizeDiagonal", &r, 12, bi, st_smallint_oop (2),
                         st_smallint_oop (2), bo, st_smallint_oop (1), st_smallint_oop (1), st_smallint_oop (0),
                         st_smallint_oop (0), st_smallint_oop (0), st_smallint_oop (0), st_smallint_oop (1),
                         st_smallint_oop (1)),
                   ==, ST_PRIM_OK);
  g_assert_cmphex (words_of (&p, bo)[0], ==, 0x0A0A0A);
  /* A source rectangle beyond the input is refused, not read. */
  g_assert_cmpint (call (&p, "ScratchPlugin", "primitiveHalfSizeAverage", &r, 12, bi, st_smallint_oop (2),
                         st_smallint_oop (2), bo, st_smallint_oop (1), st_smallint_oop (1), st_smallint_oop (1),
                         st_smallint_oop (0), st_smallint_oop (0), st_smallint_oop (0), st_smallint_oop (1),
                         st_smallint_oop (1)),
                   ==, ST_PRIM_ERR_BAD_ARGUMENT);

  /* Sound: the peak of every 3 samples; one channel of stereo frames. */
  gint16 snd[6] = { 1, -5, 3, 2, 2, -7 };
  guint32 sw[3], dw[2] = { 0, 0 };
  memcpy (sw, snd, sizeof snd);
  StOop so = words (&p, sw, 3), dobj = words (&p, dw, 2);
  g_assert_cmpint (call (&p, "ScratchPlugin", "primitiveCondenseSound", &r, 3, so, dobj, st_smallint_oop (3)), ==,
                   ST_PRIM_OK);
  gint16 got[4];
  memcpy (got, words_of (&p, dobj), sizeof got);
  g_assert_cmpint (got[0], ==, 5);
  g_assert_cmpint (got[1], ==, 7);
  g_assert_cmpint (call (&p, "ScratchPlugin", "primitiveCondenseSound", &r, 3, so, dobj, st_smallint_oop (0)), ==,
                   ST_PRIM_ERR_BAD_ARGUMENT);
  g_assert_cmpint (call (&p, "ScratchPlugin", "primitiveExtractChannel", &r, 3, so, dobj, p.it->true_obj), ==,
                   ST_PRIM_OK);
  memcpy (got, words_of (&p, dobj), sizeof got);
  g_assert_cmpint (got[0], ==, -5);
  g_assert_cmpint (got[1], ==, 2);
  g_assert_cmpint (got[2], ==, -7);

  /* One bilinear sample halfway between two pixels; negative is outside. */
  guint32 two[2] = { 0x000000FE, 0x00FE0000 };
  StOop t = words (&p, two, 2);
  g_assert_cmpint (call (&p, "ScratchPlugin", "primitiveInterpolate", &r, 4, t, st_smallint_oop (2),
                         st_smallint_oop (512), st_smallint_oop (0)),
                   ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, st_smallint_oop (0x7F007F));
  g_assert_cmpint (call (&p, "ScratchPlugin", "primitiveInterpolate", &r, 4, t, st_smallint_oop (2),
                         st_smallint_oop (-1), st_smallint_oop (0)),
                   ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, st_smallint_oop (0));
  p_free (&p);
}


static StOop
floats (P *p, const float *v, guint n)
{
  return words (p, (const guint32 *) v, n);
}

static float
float_at (P *p, StOop o, guint i)
{
  float f;
  memcpy (&f, st_bytes (p->vm, o) + 4 * i, sizeof f);
  return f;
}

static void
test_float_array_ops (void)
{
  P p;
  p_setup (&p);
  float av[3] = { 1.5f, -2.0f, 0.1f }, bv[3] = { 0.25f, 4.0f, 0.2f };
  static const struct {
    const char *name;
    float want[3];
  } ops[] = {
    { "primitiveFloatArrayAddFloatArray", { 1.75f, 2.0f, 0.1f + 0.2f } },
    { "primitiveFloatArraySubFloatArray", { 1.25f, -6.0f, 0.1f - 0.2f } },
    { "primitiveFloatArrayMulFloatArray", { 0.375f, -8.0f, 0.1f * 0.2f } },
    { "primitiveFloatArrayDivFloatArray", { 6.0f, -0.5f, 0.1f / 0.2f } },
  };
  StOop b = floats (&p, bv, 3);
  for (gsize i = 0; i < G_N_ELEMENTS (ops); i++)
    {
      StOop a = floats (&p, av, 3);
      StPrimFn fn = st_prims_named_lookup ("", ops[i].name);
      g_assert_nonnull (fn);
      st_push (p.it, a);
      st_push (p.it, b);
      g_assert_cmpint (fn (p.vm, 1), ==, ST_PRIM_OK);
      g_assert_cmphex (st_pop (p.it), ==, a);      /* answers the receiver, changed in place */
      for (guint k = 0; k < 3; k++)
        g_assert_cmpfloat (float_at (&p, a, k), ==, ops[i].want[k]);
    }
  /* The FloatArrayPlugin names reach the same code. */
  g_assert_true (st_prims_named_lookup ("FloatArrayPlugin", "primitiveAddFloatArray")
                 == st_prims_named_lookup ("", "primitiveFloatArrayAddFloatArray"));
  g_assert_nonnull (st_prims_named_lookup ("FloatArrayPlugin", "primitiveAt"));   /* the older table still answers */

  /* Scalars: a Float, computed in double and rounded; 1/x for division. */
  StOop a = floats (&p, av, 3);
  StOop half = st_interp_float (p.it, 0.5);
  StPrimFn fn = st_prims_named_lookup ("FloatArrayPlugin", "primitiveMulScalar");
  st_push (p.it, a);
  st_push (p.it, half);
  g_assert_cmpint (fn (p.vm, 1), ==, ST_PRIM_OK);
  st_pop (p.it);
  g_assert_cmpfloat (float_at (&p, a, 0), ==, 0.75f);
  g_assert_cmpfloat (float_at (&p, a, 2), ==, (float) (0.1f * 0.5));
  fn = st_prims_named_lookup ("FloatArrayPlugin", "primitiveDivScalar");
  StOop third = st_interp_float (p.it, 3.0);
  st_push (p.it, a);
  st_push (p.it, third);
  g_assert_cmpint (fn (p.vm, 1), ==, ST_PRIM_OK);
  st_pop (p.it);
  g_assert_cmpfloat (float_at (&p, a, 0), ==, (float) (0.75f * (1.0 / 3.0)));
  /* Integers and zero fail (the image converts or raises ZeroDivide). */
  st_push (p.it, a);
  st_push (p.it, st_smallint_oop (2));
  g_assert_cmpint (fn (p.vm, 1), ==, ST_PRIM_ERR_BAD_ARGUMENT);
  p.it->sp -= 2;
  st_push (p.it, a);
  st_push (p.it, st_interp_float (p.it, 0.0));
  g_assert_cmpint (fn (p.vm, 1), ==, ST_PRIM_ERR_BAD_ARGUMENT);
  p.it->sp -= 2;
  float zv[3] = { 1.0f, 0.0f, 1.0f };
  StOop z = floats (&p, zv, 3);
  fn = st_prims_named_lookup ("FloatArrayPlugin", "primitiveDivFloatArray");
  st_push (p.it, a);
  st_push (p.it, z);
  g_assert_cmpint (fn (p.vm, 1), ==, ST_PRIM_ERR_BAD_ARGUMENT);
  p.it->sp -= 2;
  /* Sizes must agree. */
  StOop two = floats (&p, av, 2);
  fn = st_prims_named_lookup ("FloatArrayPlugin", "primitiveAddFloatArray");
  st_push (p.it, a);
  st_push (p.it, two);
  g_assert_cmpint (fn (p.vm, 1), ==, ST_PRIM_ERR_BAD_ARGUMENT);
  p.it->sp -= 2;

  /* Equality and the hash (signed sum of the words, low 29 bits). */
  StOop x = floats (&p, av, 3), y = floats (&p, av, 3);
  fn = st_prims_named_lookup ("", "primitiveFloatArrayEqual");
  st_push (p.it, x);
  st_push (p.it, y);
  g_assert_cmpint (fn (p.vm, 1), ==, ST_PRIM_OK);
  g_assert_cmphex (st_pop (p.it), ==, p.it->true_obj);
  st_push (p.it, x);
  st_push (p.it, two);
  g_assert_cmpint (fn (p.vm, 1), ==, ST_PRIM_OK);
  g_assert_cmphex (st_pop (p.it), ==, p.it->false_obj);
  fn = st_prims_named_lookup ("", "primitiveFloatArrayHash");
  st_push (p.it, x);
  g_assert_cmpint (fn (p.vm, 0), ==, ST_PRIM_OK);
  guint32 w[3];
  memcpy (w, av, sizeof w);
  g_assert_cmphex (st_pop (p.it), ==, st_smallint_oop ((w[0] + w[1] + w[2]) & 0x1FFFFFFF));
  p_free (&p);
}

static void
test_zip (void)
{
  P p;
  p_setup (&p);
  StOop r;
  /* CRC-32 of "123456789" is 0xCBF43926 (with the usual pre- and
   * post-inversion, which the image does). */
  StOop s = string_oop (&p, "x123456789y");
  g_assert_cmpint (call (&p, "ZipPlugin", "primitiveUpdateGZipCrc32", &r, 4, st_interp_unsigned (p.it, 0xFFFFFFFFu),
                         st_smallint_oop (2), st_smallint_oop (10), s),
                   ==, ST_PRIM_OK);
  int64_t crc;
  g_assert_true (st_interp_to_int64 (p.it, r, &crc));
  g_assert_cmphex ((guint32) crc ^ 0xFFFFFFFFu, ==, 0xCBF43926u);
  /* The module-less name, and bad ranges. */
  g_assert_cmpint (call (&p, "", "primitiveUpdateGZipCrc32", &r, 4, st_smallint_oop (0), st_smallint_oop (5),
                         st_smallint_oop (12), s),
                   ==, ST_PRIM_ERR_BAD_ARGUMENT);
  g_assert_cmpint (call (&p, "", "primitiveUpdateGZipCrc32", &r, 4, st_smallint_oop (0), st_smallint_oop (0),
                         st_smallint_oop (3), s),
                   ==, ST_PRIM_ERR_BAD_ARGUMENT);
  g_assert_cmpint (call (&p, "", "primitiveUpdateGZipCrc32", &r, 4, st_smallint_oop (-1), st_smallint_oop (1),
                         st_smallint_oop (3), s),
                   ==, ST_PRIM_ERR_BAD_ARGUMENT);

  guint32 tv[4] = { 100, 2600, 2500, 0xFFFFFFFFu };
  StOop t = words (&p, tv, 4);
  g_assert_cmpint (call (&p, "", "primitiveDeflateUpdateHashTable", &r, 2, t, st_smallint_oop (2500)), ==, ST_PRIM_OK);
  g_assert_cmpuint (words_of (&p, t)[0], ==, 0);
  g_assert_cmpuint (words_of (&p, t)[1], ==, 100);
  g_assert_cmpuint (words_of (&p, t)[2], ==, 0);
  g_assert_cmpuint (words_of (&p, t)[3], ==, 0);  /* -1 as a signed entry is below the delta */
  p_free (&p);
}


/* Primitives 7 and 8 compare positive LargeIntegers of up to 4 bytes by
 * value, normalised or not (the classic interpreter's popPos32BitInteger);
 * larger ones and negative LargeIntegers fail (the image's code runs). */
static StOop
large_pos (P *p, const guint8 *b, guint n, guint32 ci)
{
  StOop o = st_objmem_new_object (p->vm, ci, ST_FMT_BYTES + ((8 - (n & 7)) & 7), (n + 7) / 8);
  g_assert_cmphex (o, !=, 0);
  memcpy (st_bytes (p->vm, o), b, n);
  return o;
}

static StPrimResult
compare (P *p, StPrimFn fn, StOop a, StOop b, StOop *out)
{
  st_push (p->it, a);
  st_push (p->it, b);
  StPrimResult r = fn (p->vm, 1);
  if (r == ST_PRIM_OK)
    *out = st_pop (p->it);
  else
    p->it->sp -= 2;
  return r;
}

static void
test_equal_pos32 (void)
{
  P p;
  p_setup (&p);
  g_assert_cmpuint (p.it->ci_large_pos, !=, 0);
  static const guint8 zero4[4] = { 0 }, five4[4] = { 5, 0, 0, 0 }, big4[4] = { 0, 0, 0, 0x80 };
  static const guint8 five8[8] = { 5 };
  StOop z = large_pos (&p, zero4, 4, p.it->ci_large_pos), f = large_pos (&p, five4, 4, p.it->ci_large_pos);
  StOop b1 = large_pos (&p, big4, 4, p.it->ci_large_pos), b2 = large_pos (&p, big4, 4, p.it->ci_large_pos);
  StOop f8 = large_pos (&p, five8, 8, p.it->ci_large_pos);
  StOop r = 0;
  g_assert_cmpint (compare (&p, st_prim_equal, z, st_smallint_oop (0), &r), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, p.it->true_obj);
  g_assert_cmpint (compare (&p, st_prim_equal, st_smallint_oop (5), f, &r), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, p.it->true_obj);
  g_assert_cmpint (compare (&p, st_prim_not_equal, f, st_smallint_oop (5), &r), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, p.it->false_obj);
  g_assert_cmpint (compare (&p, st_prim_equal, b1, b2, &r), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, p.it->true_obj);
  g_assert_cmpint (compare (&p, st_prim_equal, b1, f, &r), ==, ST_PRIM_OK);
  g_assert_cmphex (r, ==, p.it->false_obj);
  g_assert_cmpint (compare (&p, st_prim_equal, f8, st_smallint_oop (5), &r), ==, ST_PRIM_FAIL);
  if (p.it->ci_large_neg != 0)
    {
      StOop n = large_pos (&p, five4, 4, p.it->ci_large_neg);
      g_assert_cmpint (compare (&p, st_prim_equal, n, st_smallint_oop (-5), &r), ==, ST_PRIM_FAIL);
    }
  g_assert_cmpint (compare (&p, st_prim_equal, p.vm->nil_obj, st_smallint_oop (0), &r), ==, ST_PRIM_FAIL);
  p_free (&p);
}


/* FFTPlugin on a hand-made 4-point FFT: the transform of (1 2 3 4) is
 * (10, -2-2i, -2, -2+2i) (Squeak's FFT>>transformForward: uses the
 * positive exponent, as the image test confirms); the inverse gives (1 2 3 4) back; a permutation
 * entry outside 1..n fails and leaves the data alone. */
static StOop
fft_object (P *p, const float *re, const guint32 *perm, guint nperm)
{
  static const float sin_table[2] = { 0.0f, 1.0f };     /* sin 0, sin pi/2 */
  static const float zero[4] = { 0 };
  StOop o = st_objmem_new_object (p->vm, p->it->ci_array, ST_FMT_INDEXABLE, 6);
  g_assert_cmphex (o, !=, 0);
  st_store (p->vm, o, 0, st_smallint_oop (2));
  st_store (p->vm, o, 1, st_smallint_oop (4));
  st_store (p->vm, o, 2, floats (p, sin_table, 2));
  st_store (p->vm, o, 3, words (p, perm, nperm));
  st_store (p->vm, o, 4, floats (p, re, 4));
  st_store (p->vm, o, 5, floats (p, zero, 4));
  return o;
}

static void
test_fft (void)
{
  P p;
  p_setup (&p);
  static const float x[4] = { 1, 2, 3, 4 };
  static const guint32 perm[2] = { 2, 3 };      /* bit reversal of 0..3 swaps 1 and 2 */
  StOop f = fft_object (&p, x, perm, 2);
  StPrimFn fn = st_prims_named_lookup ("", "primitiveFFTTransformData");
  g_assert_true (fn == st_prims_named_lookup ("FFTPlugin", "primitiveFFTTransformData"));
  st_push (p.it, f);
  st_push (p.it, p.it->true_obj);
  g_assert_cmpint (fn (p.vm, 1), ==, ST_PRIM_OK);
  g_assert_cmphex (st_pop (p.it), ==, f);
  StOop re = st_fetch (p.vm, f, 4), im = st_fetch (p.vm, f, 5);
  static const float want_re[4] = { 10, -2, -2, -2 }, want_im[4] = { 0, -2, 0, 2 };  /* Squeak: e^+i */
  for (guint i = 0; i < 4; i++)
    {
      g_assert_cmpfloat_with_epsilon (float_at (&p, re, i), want_re[i], 1e-6);
      g_assert_cmpfloat_with_epsilon (float_at (&p, im, i), want_im[i], 1e-6);
    }
  st_push (p.it, f);
  st_push (p.it, p.it->false_obj);
  g_assert_cmpint (fn (p.vm, 1), ==, ST_PRIM_OK);
  st_pop (p.it);
  for (guint i = 0; i < 4; i++)
    {
      g_assert_cmpfloat_with_epsilon (float_at (&p, re, i), x[i], 1e-6);
      g_assert_cmpfloat_with_epsilon (float_at (&p, im, i), 0.0, 1e-6);
    }
  static const guint32 bad[2] = { 2, 5 };
  StOop g = fft_object (&p, x, bad, 2);
  st_push (p.it, g);
  st_push (p.it, p.it->true_obj);
  g_assert_cmpint (fn (p.vm, 1), ==, ST_PRIM_ERR_BAD_RECEIVER);
  p.it->sp -= 2;
  for (guint i = 0; i < 4; i++)
    g_assert_cmpfloat (float_at (&p, st_fetch (p.vm, g, 4), i), ==, x[i]);
  p_free (&p);
}

/* --- WarpBlt on plain buffers --- */

/* Edge lengths (14-bit fixed point) for which WarpBlt's step, (length +
 * 1.0) / n + 1 rounded down, is exactly 1.0 / k: the quadrilaterals images
 * use are computed the same way. */
#define EDGE_8_HALF 49144       /* 8 steps of 0.5 pixel */
#define EDGE_4_ONE 49148        /* 4 steps of 1 pixel */
#define EDGE_2_TWO 49150        /* 2 steps of 2 pixels */

static void
warp_setup (StBitBlt *bb, guint32 *dst, int dw, int dh, guint32 *src, int sw, int sh)
{
  memset (bb, 0, sizeof *bb);
  bb->dest = (StBltForm) { dst, (gsize) dw * dh, dw, dh, 32, true };
  bb->source = (StBltForm) { src, (gsize) sw * sh, sw, sh, 32, true };
  bb->rule = 3;
  bb->width = dw;
  bb->height = dh;
  bb->clip_width = dw;
  bb->clip_height = dh;
}

static void
test_warp (void)
{
  guint32 src[16], dst[64];
  for (int i = 0; i < 16; i++)
    src[i] = 0x01000000u * (guint32) (i + 1) + 0x10101u * (guint32) i;

  /* 2x magnification: p1 top left, p2 bottom left, p3 bottom right, p4 top right. */
  StBitBlt bb;
  warp_setup (&bb, dst, 8, 8, src, 4, 4);
  memset (dst, 0, sizeof dst);
  const int64_t q8 = EDGE_8_HALF;
  int64_t mag[8] = { 0, 0, 0, q8, q8, q8, q8, 0 };
  const char *why = NULL;
  g_assert_true (st_bitblt_warp (&bb, mag, 1, NULL, 0, &why));
  for (int y = 0; y < 8; y++)
    for (int x = 0; x < 8; x++)
      g_assert_cmphex (dst[y * 8 + x], ==, src[(y / 2) * 4 + x / 2]);
  g_assert_cmpint (bb.affected_r, ==, 8);
  g_assert_cmpint (bb.affected_b, ==, 8);

  /* A quarter turn: the destination's top row is the source's left column
   * read bottom to top. */
  guint32 rot[16] = { 0 };
  warp_setup (&bb, rot, 4, 4, src, 4, 4);
  const int64_t q4 = EDGE_4_ONE;
  int64_t quarter[8] = { 0, q4, q4, q4, q4, 0, 0, 0 };
  g_assert_true (st_bitblt_warp (&bb, quarter, 1, NULL, 0, &why));
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 4; x++)
      g_assert_cmphex (rot[y * 4 + x], ==, src[(3 - x) * 4 + y]);

  /* Clipping: only the clip rectangle changes, and it samples the same
   * source pixels as without clipping. */
  memset (dst, 0xEE, sizeof dst);
  warp_setup (&bb, dst, 8, 8, src, 4, 4);
  bb.clip_x = 3, bb.clip_y = 2, bb.clip_width = 4, bb.clip_height = 5;
  g_assert_true (st_bitblt_warp (&bb, mag, 1, NULL, 0, &why));
  for (int y = 0; y < 8; y++)
    for (int x = 0; x < 8; x++)
      {
        bool in = x >= 3 && x < 7 && y >= 2 && y < 7;
        g_assert_cmphex (dst[y * 8 + x], ==, in ? src[(y / 2) * 4 + x / 2] : 0xEEEEEEEEu);
      }

  /* Smoothing 2 at half size: each destination pixel averages the 2x2
   * source pixels it covers, per component. */
  guint32 half[4] = { 0 };
  warp_setup (&bb, half, 2, 2, src, 4, 4);
  const int64_t q2 = EDGE_2_TWO;
  int64_t whole[8] = { 0, 0, 0, q2, q2, q2, q2, 0 };
  g_assert_true (st_bitblt_warp (&bb, whole, 2, NULL, 0, &why));
  for (int y = 0; y < 2; y++)
    for (int x = 0; x < 2; x++)
      {
        guint32 want = 0;
        for (int c = 0; c < 32; c += 8)
          {
            guint32 sum = 0;
            for (int j = 0; j < 2; j++)
              for (int i = 0; i < 2; i++)
                sum += (src[(y * 2 + j) * 4 + x * 2 + i] >> c) & 0xFF;
            want |= (sum / 4) << c;
          }
        g_assert_cmphex (half[y * 2 + x], ==, want);
      }

  /* A source below 16 bits cannot be smoothed without a source map. */
  guint32 src8[4] = { 0x01020304u, 0x05060708u, 0x090A0B0Cu, 0x0D0E0F10u };
  warp_setup (&bb, half, 2, 2, src8, 4, 4);
  bb.source.depth = 8;
  bb.source.n_words = 4;
  g_assert_false (st_bitblt_warp (&bb, whole, 2, NULL, 0, &why));
  g_assert_nonnull (why);
  /* With one (2^8 entries, grey ramp) it averages the mapped colours. */
  g_autofree guint32 *map = g_new (guint32, 256);
  for (int i = 0; i < 256; i++)
    map[i] = 0xFF000000u | (guint32) (i * 0x10101);
  g_assert_true (st_bitblt_warp (&bb, whole, 2, map, 256, &why));
  /* Top-left 2x2 of the big-endian 8-bit source: 1 2 / 5 6 -> 3 (integer mean 14/4). */
  g_assert_cmphex (half[0], ==, 0xFF030303u);
  /* Bad smoothing or rule: refused, nothing written. */
  g_assert_false (st_bitblt_warp (&bb, whole, 0, map, 256, &why));
  bb.rule = 16;
  g_assert_false (st_bitblt_warp (&bb, whole, 1, map, 256, &why));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/plugins-host/locale", test_locale);
  g_test_add_func ("/engine/plugins-host/security", test_security);
  g_test_add_func ("/engine/plugins-host/scratch", test_scratch);
  g_test_add_func ("/engine/plugins-host/scratch-filters", test_scratch_filters);
  g_test_add_func ("/engine/plugins-host/float-array", test_float_array_ops);
  g_test_add_func ("/engine/plugins-host/zip", test_zip);
  g_test_add_func ("/engine/plugins-host/fft", test_fft);
  g_test_add_func ("/engine/plugins-host/equal-pos32", test_equal_pos32);
  g_test_add_func ("/engine/plugins-host/warp", test_warp);
  return g_test_run ();
}
