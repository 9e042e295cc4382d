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
  static const char *const want[] = {
    "PangoPlugin2>>primitiveMeasureString",
    "UnicodePlugin>>primitiveMeasureString",
  };
  g_assert_cmpuint (missing->len, ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < missing->len; i++)
    g_assert_cmpstr (g_ptr_array_index (missing, i), ==, want[i]);
  st_vm_free (vm);
}

static const struct {
  const char *expr, *want;
} warp_cases[] = {
  { "| f g | f := Form extent: 4@4 depth: 32. f fillColor: Color red. f fill: (2@0 extent: 2@4) fillColor: Color blue. "
    "g := f magnify: f boundingBox by: 2 smoothing: 1. "
    "(Array with: g extent with: (g colorAt: 1@1) with: (g colorAt: 7@1) with: (g colorAt: 3@3) with: (g colorAt: 4@3))",
    "(8@8 Color red Color blue Color red Color blue)" },
  { "| f g | f := Form extent: 8@4 depth: 16. f fillColor: Color green. f fill: (0@0 extent: 2@2) fillColor: Color red. "
    "g := f rotateBy: 90. (Array with: g extent with: ((0 to: 8) collect: [:x | (g pixelValueAt: x@1)]))",
    "(9@9 (0 0 0 992 992 31744 31744 0 0))" },
  { "| f g s | f := Form extent: 9@7 depth: 8. 0 to: 8 do: [:x | 0 to: 6 do: [:y | f pixelValueAt: x@y put: x * 7 + y]]. "
    "s := 0. g := f rotateBy: 45 smoothing: 1. 0 to: g width - 1 do: [:x | 0 to: g height - 1 do: "
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/plugins-host/scratch-missing", test_scratch_missing);
  g_test_add_func ("/image/plugins-host/scratch-warp", test_scratch_warp);
  g_test_add_func ("/image/plugins-host/scratch-filters", test_scratch_filters);
  return g_test_run ();
}
