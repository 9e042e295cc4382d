/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Debian's Scratch.image with LocalePlugin, ScratchPlugin and WarpBlt:
 * five seconds of its startup leave only the two text-measuring
 * primitives Thaw leaves out on purpose (UnicodePlugin, PangoPlugin2)
 * missing, where before WarpBlt, LocalePlugin>>primitiveLanguage and
 * ScratchPlugin>>primitiveGetFolderPath were missing too; and WarpBlt
 * pictures made by the image's own Form code (magnify, rotate, smoothing)
 * come out as Debian's squeak-vm makes them, and so do ScratchPlugin's
 * image filters (the expected values were measured with squeak-vm 4.10.2
 * on the same image, through bench/bench-vs-squeakvm's startup hook). */
#include "config.h"

#include <string.h>

#include "image-read.h"
#include "interp.h"
#include "support.h"

static StVM *
load_scratch (void)
{
  g_autofree char *path = thaw_test_real_image ("scratch", "Scratch.image");
  if (path == NULL)
    return NULL;
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, ST_READ_STRICT, &error);
  g_assert_no_error (error);
  g_assert_true (st_interp_init (vm, &error));
  g_assert_no_error (error);
  return vm;
}

static void
collect_missing (const char *name, uint64_t count, gpointer data)
{
  g_test_message ("missing: %s (%" G_GUINT64_FORMAT " calls)", name, count);
  g_ptr_array_add (data, g_strdup (name));
}

static void
count_missing (const char *name, uint64_t count, gpointer data)
{
  g_test_message ("missing: %s (%" G_GUINT64_FORMAT " calls)", name, count);
  (*(guint *) data)++;
}

static gint
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
test_scratch_missing (void)
{
  StVM *vm = load_scratch ();
  if (vm == NULL)
    return;
  g_autoptr (GError) error = NULL;
  StRunStatus s = st_interp_run (vm, 0, 5.0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, !=, ST_RUN_ERROR);
  g_autoptr (GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
  st_interp_foreach_missing (vm, collect_missing, missing);
  g_ptr_array_sort (missing, cmp_str);
  /* Absent on purpose: text measuring (Scratch falls back to StrikeFonts),
   * the host window's title and LEGO WeDo hardware.  (Since V3 hashes of 0
   * survive, Scratch's startup gets as far as its editor, which calls the
   * last two.) */
  static const char *const want[] = {
    "PangoPlugin2>>primitiveMeasureString",
    "ScratchPlugin>>primitiveSetWindowTitle",
    "UnicodePlugin>>primitiveMeasureString",
    "WeDoPlugin>>primWrite",
  };
  g_assert_cmpuint (missing->len, ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < missing->len; i++)
    g_assert_cmpstr (g_ptr_array_index (missing, i), ==, want[i]);
  st_vm_free (vm);
}

static const struct {
  const char *expr, *want;
} warp_cases[] = {
  /* primitives 7 and 8 on LargePositiveIntegers of up to 4 bytes, as the
   * classic interpreter answers them (squeak-vm: the same) */
  { "| rr | rr := OrderedCollection new. rr add: (LargePositiveInteger new: 4) = 0; "
    "add: 0 = (LargePositiveInteger new: 4); add: ((LargePositiveInteger new: 4) at: 1 put: 5; yourself) = 5; "
    "add: ((LargePositiveInteger new: 4) at: 1 put: 5; yourself) ~= 5; add: (Color black pixelValueForDepth: 32); "
    "add: (2 raisedTo: 31) = (2 raisedTo: 31); add: (2 raisedTo: 40) = (2 raisedTo: 40); add: (2 raisedTo: 31) = 5; "
    "add: 5 = (2 raisedTo: 31). rr asArray",
    "(true true true false 4278190081 true true false false)" },
  { "| f g | f := Form extent: 4@4 depth: 32. f fillColor: Color red. "
    "f fill: (2@0 extent: 2@4) fillColor: Color blue. g := f magnify: f boundingBox by: 2 smoothing: 1. "
    "(Array with: g extent with: (g colorAt: 1@1) with: (g colorAt: 7@1) with: (g colorAt: 3@3) "
    "with: (g colorAt: 4@3))",
    "(8@8 Color red Color blue Color red Color blue)" },
  { "| f g | f := Form extent: 8@4 depth: 16. f fillColor: Color green. "
    "f fill: (0@0 extent: 2@2) fillColor: Color red. g := f rotateBy: 90. "
    "(Array with: g extent with: ((0 to: 8) collect: [:x | (g pixelValueAt: x@1)]))",
    "(9@9 (0 0 0 992 992 31744 31744 0 0))" },
  { "| f g s | f := Form extent: 9@7 depth: 8. "
    "0 to: 8 do: [:x | 0 to: 6 do: [:y | f pixelValueAt: x@y put: x * 7 + y]]. s := 0. "
    "g := f rotateBy: 45 smoothing: 1. 0 to: g width - 1 do: [:x | 0 to: g height - 1 do: "
    "[:y | s := s + ((g pixelValueAt: x@y) * (x + 1) + y)]]. s",
    "16026" },
  { "| f g s | f := Form extent: 9@7 depth: 32. 0 to: 8 do: [:x | 0 to: 6 do: [:y | f colorAt: x@y put: "
    "(Color r: x / 8 g: y / 6 b: 0.5)]]. s := 0. g := f rotateBy: 30 smoothing: 2. 0 to: g width - 1 do: [:x | "
    "0 to: g height - 1 do: [:y | s := s + (((g pixelValueAt: x@y) bitAnd: 16rFFFFFF) * (x + 1)) + y]]. s",
    NULL },
};

/* The smoothed rotation's checksum, computed the same way with squeak-vm. */
#define SMOOTH_SUM "4030546040"

static void
test_scratch_warp (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (warp_cases); i++)
    {
      StVM *vm = load_scratch ();
      if (vm == NULL)
        return;
      g_autoptr (GError) error = NULL;
      g_assert_true (st_interp_eval (vm, warp_cases[i].expr, &error));
      g_assert_no_error (error);
      StRunStatus s = st_interp_run (vm, 0, 60, &error);
      g_assert_no_error (error);
      g_assert_cmpint (s, ==, ST_RUN_EVALUATED);
      g_assert_cmpstr (st_interp_eval_result (vm), ==, warp_cases[i].want ? warp_cases[i].want : SMOOTH_SUM);
      st_vm_free (vm);
    }
}


/* Every ScratchPlugin image filter and sound primitive on a 16x12 Bitmap
 * of pseudo-random pixels (every seventh transparent) and a 64-sample
 * SoundBuffer, through the image's own ScratchPlugin class methods: the
 * checksums of the outputs, as Debian's squeak-vm (with its ScratchPlugin)
 * computes them on the same image. */
static const char filters_expr[] =
  "| w h in out ck res snd dst | w := 16. h := 12. in := Bitmap new: w * h. 1 to: in size do: [:i "
  "| in at: i put: ((i \\\\ 7 = 0) ifTrue: [0] ifFalse: [(i * 2654435761) \\\\ 16777216])]. res := "
  "OrderedCollection new. ck := [:bm | | a | a := 0. 1 to: bm size do: [:i | a := (a * 31 + (bm "
  "at: i)) \\\\ 1000000007]. a]. out := Bitmap new: w * h. ScratchPlugin primShiftBrightness: in "
  "into: out by: 30. res add: (ck value: out). out := Bitmap new: w * h. ScratchPlugin "
  "primShiftBrightness: in into: out by: -45. res add: (ck value: out). out := Bitmap new: w * h. "
  "ScratchPlugin primShiftSaturation: in into: out by: -40. res add: (ck value: out). out := "
  "Bitmap new: w * h. ScratchPlugin primShiftHue: in into: out byDegrees: 130. res add: (ck value: "
  "out). out := Bitmap new: w * h. ScratchPlugin primShiftHue: in into: out byDegrees: -700. res "
  "add: (ck value: out). out := Bitmap new: w * h. ScratchPlugin primBlur: in into: out width: w. "
  "res add: (ck value: out). out := Bitmap new: w * h. ScratchPlugin primFisheye: in into: out "
  "width: w power: 150. res add: (ck value: out). out := Bitmap new: w * h. ScratchPlugin "
  "primFisheye: in into: out width: w power: 60. res add: (ck value: out). out := Bitmap new: w * "
  "h. ScratchPlugin primWhirl: in into: out width: w angle: 200. res add: (ck value: out). out := "
  "Bitmap new: w * h. ScratchPlugin primWhirl: in into: out width: h angle: -77. res add: (ck "
  "value: out). res add: (ScratchPlugin primInterpolate: in width: w x: 3000 y: 2500). res add: "
  "(ScratchPlugin primInterpolate: in width: w x: -500 y: 11300). out := Bitmap new: 23 * 9. "
  "ScratchPlugin primScale: in w: w h: h into: out w: 23 h: 9. res add: (ck value: out). out := "
  "Bitmap new: 7 * 5. ScratchPlugin primScale: in w: w h: h into: out w: 7 h: 5. res add: (ck "
  "value: out). out := Bitmap new: 40 * 30. ScratchPlugin primDouble: in w: w h: h into: out w: 40 "
  "h: 30 x: 3 y: 2. res add: (ck value: out). out := Bitmap new: 10 * 10. ScratchPlugin "
  "primHalfSizeAverage: in w: w h: h into: out w: 10 h: 10 srcX: 1 srcY: 2 dstX: 2 dstY: 1 dstW: 7 "
  "dstH: 5. res add: (ck value: out). out := Bitmap new: 10 * 10. ScratchPlugin "
  "primHalfSizeDiagonal: in w: w h: h into: out w: 10 h: 10 srcX: 1 srcY: 2 dstX: 2 dstY: 1 dstW: "
  "7 dstH: 5. res add: (ck value: out). snd := SoundBuffer new: 64. 1 to: 64 do: [:i | snd at: i "
  "put: (i * 7919 \\\\ 65536) - 32768]. dst := SoundBuffer new: 64. ScratchPlugin primCondense: snd "
  "into: dst by: 3. res add: (ck value: dst). dst := SoundBuffer new: 32. ScratchPlugin "
  "primExtractChannelFrom: snd into: dst rightFlag: true. res add: (ck value: dst). dst := "
  "SoundBuffer new: 32. ScratchPlugin primExtractChannelFrom: snd into: dst rightFlag: false. res "
  "add: (ck value: dst). res asArray";

static const char filters_want[] =
  "(940545962 62833252 943366576 939442782 327786945 793037211 571788442 320658848 984193969 115117739 "
  "9329893 0 544336939 44732773 709980779 199282909 904298625 561316391 501475864 30838751)";

static void
test_scratch_filters (void)
{
  StVM *vm = load_scratch ();
  if (vm == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_assert_true (st_interp_eval (vm, filters_expr, &error));
  g_assert_no_error (error);
  StRunStatus s = st_interp_run (vm, 0, 60, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_EVALUATED);
  g_assert_cmpstr (st_interp_eval_result (vm), ==, filters_want);
  guint missing = 0;
  st_interp_foreach_missing (vm, count_missing, &missing);
  g_assert_cmpuint (missing, ==, 0);
  st_vm_free (vm);
}


/* FloatArray arithmetic in place (+= -= *= /= with arrays and scalars)
 * against the same arithmetic done element by element through at:put:,
 * FloatArray>>hash against its Smalltalk definition, and GZip's CRC-32
 * and Deflate's hash table update (those three values as squeak-vm
 * computes them). */
static const char float_zip_expr[] =
  "| a b c res sum | res := OrderedCollection new. a := FloatArray new: 7. b := FloatArray new: 7. "
  "1 to: 7 do: [:i | a at: i put: i * 1.37 - 3.1. b at: i put: 2.5 - (i * 0.3)]. c := a copy. a += "
  "b. 1 to: 7 do: [:i | c at: i put: (c at: i) + (b at: i)]. res add: a = c. a -= b. 1 to: 7 do: "
  "[:i | c at: i put: (c at: i) - (b at: i)]. res add: a = c. a *= b. 1 to: 7 do: [:i | c at: i "
  "put: (c at: i) * (b at: i)]. res add: a = c. a /= b. 1 to: 7 do: [:i | c at: i put: (c at: i) / "
  "(b at: i)]. res add: a = c. a += 0.3. 1 to: 7 do: [:i | c at: i put: (c at: i) + 0.3]. res add: "
  "a = c. a -= 1.7. 1 to: 7 do: [:i | c at: i put: (c at: i) - 1.7]. res add: a = c. a *= 0.77. 1 "
  "to: 7 do: [:i | c at: i put: (c at: i) * 0.77]. res add: a = c. a /= 3.3. 1 to: 7 do: [:i | c "
  "at: i put: (c at: i) * (1.0 / 3.3)]. res add: a = c. sum := 0. 1 to: 7 do: [:i | sum := sum + "
  "(a basicAt: i)]. res add: a hash = (sum bitAnd: 536870911). c at: 2 put: 9.0. res add: a = c. "
  "res add: (a collect: [:x | (x * 1000) truncated]) asArray. res add: (GZipWriteStream basicNew "
  "updateCrc: 16rFFFFFFFF from: 2 to: 40 in: 'The quick brown fox jumps over the lazy dog. "
  "0123456789' asByteArray). res add: (GZipWriteStream basicNew updateCrc: 16r12345 from: 1 to: 5 "
  "in: 'hello' asByteArray). c := WordArray new: 6. 1 to: 6 do: [:i | c at: i put: i * 1000]. "
  "DeflateStream basicNew updateHashTable: c delta: 2500. res add: c asArray. res asArray";

static const char float_zip_want[] =
  "(true true true true true true true true true false (-730.0 -410.0 -90.0 228.0 548.0 867.0 1187.0) "
  "199176000 3546606661 (0 0 500 1500 2500 3500))";

static void
test_scratch_float_zip (void)
{
  StVM *vm = load_scratch ();
  if (vm == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_assert_true (st_interp_eval (vm, float_zip_expr, &error));
  g_assert_no_error (error);
  StRunStatus s = st_interp_run (vm, 0, 60, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_EVALUATED);
  g_assert_cmpstr (st_interp_eval_result (vm), ==, float_zip_want);
  guint missing = 0;
  st_interp_foreach_missing (vm, count_missing, &missing);
  g_assert_cmpuint (missing, ==, 0);
  st_vm_free (vm);
}


/* WarpBlt at every depth (1..32), smoothing 1 and 2, three angles and a
 * magnification, on a 13x9 colour ramp: a checksum per picture, 42 in
 * all, as squeak-vm computes them.  The 32-bit ramp includes black, whose
 * pixel value Color computes by comparing an unnormalised
 * LargePositiveInteger with 0 (primitive 7). */
static const char warp_depths_expr[] =
  "| f g s res | res := OrderedCollection new. #(1 2 4 8 16 32) do: [:d | f := Form extent: 13@9 "
  "depth: d. 0 to: 12 do: [:x | 0 to: 8 do: [:y | f colorAt: x@y put: (Color r: x / 12 g: y / 8 b: "
  "(x + y) \\\\ 3 / 2)]]. #(1 2) do: [:sm | #(30 90 200) do: [:ang | s := 0. g := f rotateBy: ang "
  "smoothing: sm. 0 to: g width - 1 do: [:x | 0 to: g height - 1 do: [:y | s := (s * 7 + (g "
  "pixelValueAt: x@y)) \\\\ 1000000007]]. res add: s]]. s := 0. g := f magnify: f boundingBox by: "
  "7/3 smoothing: 2. 0 to: g width - 1 do: [:x | 0 to: g height - 1 do: [:y | s := (s * 7 + (g "
  "pixelValueAt: x@y)) \\\\ 1000000007]]. res add: s]. res asArray";

static const char warp_depths_want[] =
  "(291079931 717568693 77907788 892966965 499718356 221239132 870021583 636635200 879940773 "
  "584193686 340388583 657196363 211089232 753968056 641305056 800359560 451434788 437990475 "
  "147997537 341499529 818312739 329364552 248355613 508503419 712047500 995320441 905942053 "
  "279041462 102618022 345019645 286805820 744895983 121710145 316455906 320877423 521976085 "
  "730264551 665565600 996016913 667189147 274524683 488073617)";

static void
test_scratch_warp_depths (void)
{
  StVM *vm = load_scratch ();
  if (vm == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_assert_true (st_interp_eval (vm, warp_depths_expr, &error));
  g_assert_no_error (error);
  StRunStatus s = st_interp_run (vm, 0, 120, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_EVALUATED);
  g_assert_cmpstr (st_interp_eval_result (vm), ==, warp_depths_want);
  st_vm_free (vm);
}


/* Scratch's FFT through the module-less primitiveFFTTransformData (its
 * FFT>>pluginTransformData: has no Smalltalk fallback; Debian's squeak-vm
 * lacks the primitive and stops with an error there): a 16-point forward
 * transform of cos(3x) + 0.5 sin(5x) agrees with the image's own
 * double-precision FFT>>transformForward: to 1e-4 and has its peaks at
 * bins 3, 5, 11 and 13; the inverse gives the signal back to 1e-5. */
static const char fft_expr[] =
  "| f g re res maxd mags | res := OrderedCollection new. re := (1 to: 16) collect: [:i | (2 * "
  "Float pi * 3 * (i - 1) / 16) cos + ((2 * Float pi * 5 * (i - 1) / 16) sin * 0.5)]. f := FFT "
  "new: 16. f realData: re copy imagData: (Array new: 16 withAll: 0.0). g := FFT new: 16. g "
  "realData: re copy imagData: (Array new: 16 withAll: 0.0). f transformForward: true. g "
  "pluginPrepareData. g pluginTransformData: true. maxd := 0. 1 to: 16 do: [:i | maxd := maxd max: "
  "((f realData at: i) - (g realData at: i)) abs. maxd := maxd max: ((f imagData at: i) - (g "
  "imagData at: i)) abs]. res add: maxd < 0.0001. mags := (1 to: 16) collect: [:i | (((g realData "
  "at: i) squared + (g imagData at: i) squared) sqrt * 1000) rounded]. res add: mags. g "
  "pluginTransformData: false. maxd := 0. 1 to: 16 do: [:i | maxd := maxd max: ((g realData at: i) "
  "- (re at: i)) abs. maxd := maxd max: (g imagData at: i) abs]. res add: maxd < 0.00001. res "
  "asArray";

static void
test_scratch_fft (void)
{
  StVM *vm = load_scratch ();
  if (vm == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_assert_true (st_interp_eval (vm, fft_expr, &error));
  g_assert_no_error (error);
  StRunStatus s = st_interp_run (vm, 0, 60, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s, ==, ST_RUN_EVALUATED);
  g_assert_cmpstr (st_interp_eval_result (vm), ==, "(true (0 0 0 8000 0 4000 0 0 0 0 0 4000 0 8000 0 0) true)");
  guint missing = 0;
  st_interp_foreach_missing (vm, count_missing, &missing);
  g_assert_cmpuint (missing, ==, 0);
  st_vm_free (vm);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/plugins-host/scratch-missing", test_scratch_missing);
  g_test_add_func ("/image/plugins-host/scratch-warp", test_scratch_warp);
  g_test_add_func ("/image/plugins-host/scratch-warp-depths", test_scratch_warp_depths);
  g_test_add_func ("/image/plugins-host/scratch-filters", test_scratch_filters);
  g_test_add_func ("/image/plugins-host/scratch-float-zip", test_scratch_float_zip);
  g_test_add_func ("/image/plugins-host/scratch-fft", test_scratch_fft);
  return g_test_run ();
}
