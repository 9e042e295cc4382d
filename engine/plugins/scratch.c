/* SPDX-License-Identifier: GPL-3.0-or-later */
/* scratch.c: the parts of Scratch's ScratchPlugin that are pure
 * computation or a question about the host, as its Unix version answers
 * them.
 *
 *   primitiveGetFolderPath: n     1 home, 2 desktop, 3 documents, 4
 *                                 pictures, 5 music (the XDG user folders,
 *                                 else ~/Desktop, ~/Documents, ~/Pictures,
 *                                 ~/Music); any other n: '' (the plugin's
 *                                 way of saying "no such folder")
 *   primitiveIsHidden: path       whether the file name starts with a dot
 *   primitiveShortToLongPath: p   fails, as everywhere but on Windows
 *
 * The image filters on 32-bit pixel Bitmaps (0 is transparent and stays
 * so; colour filters work in integer HSV with saturation and brightness
 * 0..1000 as the plugin does, so the results are the same pixels):
 *
 *   primitiveBrightnessShift: in out shift    brightness + 10*shift
 *   primitiveSaturationShift: in out shift    saturation + 10*shift
 *   primitiveHueShift: in out degrees         hue + degrees (blacks and
 *                                             greys become a tintable red)
 *   primitiveBlur: in out width               3x3 mean of the opaque
 *                                             neighbours (inner pixels)
 *   primitiveFisheye: in out width power      radial power warp, bilinear
 *   primitiveWhirl: in out width degrees      twist inside the circle
 *   primitiveScale: in w h out w h            bilinear, mostly-transparent
 *                                             samples stay transparent
 *   primitiveInterpolate: in width x y        one bilinear sample (x, y in
 *                                             1/1024 pixels; 0 outside,
 *                                             negative is outside)
 *   primitiveDoubleSize, primitiveHalfSizeAverage,
 *   primitiveHalfSizeDiagonal                 2x and 1/2 copies into a
 *                                             rectangle of the output
 *
 * and on sound buffers (16-bit samples in a word object):
 *
 *   primitiveCondenseSound: src dst factor    the peak of each factor
 *                                             samples
 *   primitiveExtractChannel: src dst right    one channel of stereo
 *
 * Every size is checked against the objects (the plugin trusts the image
 * for some; Thaw fails instead of reading or writing out of bounds).
 *
 * Deliberately absent (they fail as in a VM without them, and are counted
 * as missing): the serial port primitives (prim*), primitiveOpenURL,
 * primitiveSetWindowTitle and primitiveSetUnicodePasteBuffer (the host
 * desktop), and primitiveWaterRipples1 (it draws random numbers, so no
 * two VMs agree on its result).  The
 * UnicodePlugin and PangoPlugin2 text primitives are absent on purpose:
 * Scratch falls back to its own StrikeFonts without them. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "plugins.h"

static StPrimResult
scratch_get_folder_path (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop id = st_stack_value (it, 0);
  if (!st_is_smallint (id))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  static const struct {
    GUserDirectory dir;
    const char *fallback;
  } kinds[] = {
    { G_USER_DIRECTORY_DESKTOP, "Desktop" },
    { G_USER_DIRECTORY_DOCUMENTS, "Documents" },
    { G_USER_DIRECTORY_PICTURES, "Pictures" },
    { G_USER_DIRECTORY_MUSIC, "Music" },
  };
  int64_t n = st_smallint_value (id);
  g_autofree char *path = NULL;
  if (n == 1)
    path = g_strdup (g_get_home_dir ());
  else if (n >= 2 && n <= 5)
    {
      const char *d = g_get_user_special_dir (kinds[n - 2].dir);
      path = d != NULL ? g_strdup (d) : g_build_filename (g_get_home_dir (), kinds[n - 2].fallback, NULL);
    }
  else
    path = g_strdup ("");
  StOop s = st_interp_new_string (it, path);
  if (s == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, s);
}

static StPrimResult
scratch_is_hidden (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 1)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop p = st_stack_value (it, 0);
  if (!st_interp_valid_obj (vm, p) || !st_fmt_is_bytes (st_format (vm, p)) || st_fmt_is_method (st_format (vm, p)))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  const guint8 *b = st_bytes (vm, p);
  uint64_t n = st_byte_length (vm, p);
  while (n > 0 && b[n - 1] == '/')
    n--;
  uint64_t start = n;
  while (start > 0 && b[start - 1] != '/')
    start--;
  return st_prim_return (it, argc, st_bool (it, start < n && b[start] == '.'));
}

static StPrimResult
scratch_short_to_long_path (StVM *vm, int argc)
{
  (void) vm;
  return argc != 1 ? ST_PRIM_ERR_BAD_NUM_ARGS : ST_PRIM_FAIL;
}


/* --- argument helpers --- */

/* A word object (32-bit elements) as a pixel array. */
static bool
words_arg (StVM *vm, StOop o, guint32 **px, uint64_t *n)
{
  if (!st_interp_valid_obj (vm, o))
    return false;
  guint fmt = st_format (vm, o);
  if (fmt < ST_FMT_WORDS32 || fmt >= ST_FMT_SHORTS16)
    return false;
  *n = st_indexable_count (vm, o);
  if (*n > st_num_slots (vm, o) * 2)
    return false;
  *px = (guint32 *) st_bytes (vm, o);
  return true;
}

static bool
writable_words_arg (StVM *vm, StOop o, guint32 **px, uint64_t *n)
{
  return words_arg (vm, o, px, n) && !st_hdr_is_immutable (st_header (vm, o));
}

/* Integer arguments 0..count-1 from the top of the stack (count of them
 * below position `first`, deepest first) into v[]; false unless all are
 * SmallIntegers within +-2^30. */
static bool
int_args (StInterp *it, int first, int count, int64_t *v)
{
  for (int i = 0; i < count; i++)
    {
      StOop o = st_stack_value (it, first - i);
      if (!st_is_smallint (o))
        return false;
      v[i] = st_smallint_value (o);
      if (v[i] < -(1 << 30) || v[i] > (1 << 30))
        return false;
    }
  return true;
}

/* --- colour in integer HSV, as the plugin computes it --- */

typedef struct {
  int r, g, b, min, max;
} Rgb;

static Rgb
rgb_of (guint32 pix)
{
  Rgb c = { (int) (pix >> 16) & 255, (int) (pix >> 8) & 255, (int) pix & 255, 0, 0 };
  c.min = MIN (c.r, MIN (c.g, c.b));
  c.max = MAX (c.r, MAX (c.g, c.b));
  return c;
}

/* Hue 0..359 (integer division truncating toward zero, as C does). */
static int
hue_of (const Rgb *c)
{
  int span = c->max - c->min;
  if (span == 0)
    return 0;
  int h;
  if (c->r == c->max)
    h = 60 * (c->g - c->b) / span;
  else if (c->g == c->max)
    h = 120 + 60 * (c->b - c->r) / span;
  else
    h = 240 + 60 * (c->r - c->g) / span;
  return h < 0 ? h + 360 : h;
}

static int saturation_of (const Rgb *c) { return c->max == 0 ? 0 : (c->max - c->min) * 1000 / c->max; }
static int brightness_of (const Rgb *c) { return c->max * 1000 / 255; }

/* An opaque pixel from hue 0..359, saturation and brightness 0..1000
 * (never 0, which would be transparent). */
static guint32
pixel_from_hsv (int hue, int sat, int bri)
{
  int sector = hue / 60, frac = hue % 60;
  int v = bri * 1000 / 3922;
  int p = (1000 - sat) * bri / 3922;
  int q = (1000 - sat * frac / 60) * bri / 3922;
  int t = (1000 - sat * (60 - frac) / 60) * bri / 3922;
  int r, g, b;
  switch (sector)
    {
    case 0: r = v, g = t, b = p; break;
    case 1: r = q, g = v, b = p; break;
    case 2: r = p, g = v, b = t; break;
    case 3: r = p, g = q, b = v; break;
    case 4: r = t, g = p, b = v; break;
    default: r = v, g = p, b = q; break;
    }
  guint32 pix = ((guint32) r << 16) + ((guint32) g << 8) + (guint32) b;
  return pix == 0 ? 1 : pix;
}

typedef enum { SHIFT_BRIGHTNESS, SHIFT_SATURATION, SHIFT_HUE } ShiftKind;

/* in out shift: the colour filters. */
static StPrimResult
colour_shift (StVM *vm, int argc, ShiftKind kind)
{
  StInterp *it = st_interp (vm);
  if (argc != 3)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  guint32 *in, *out;
  uint64_t n, nout;
  int64_t shift;
  if (!words_arg (vm, st_stack_value (it, 2), &in, &n) || !writable_words_arg (vm, st_stack_value (it, 1), &out, &nout)
      || nout != n || !int_args (it, 0, 1, &shift))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  for (uint64_t i = 0; i < n; i++)
    {
      guint32 pix = in[i] & 0xFFFFFF;
      if (pix == 0 || (kind == SHIFT_SATURATION && pix == 1))
        continue;               /* transparent (and, for saturation, black) stays */
      Rgb c = rgb_of (pix);
      int sat = saturation_of (&c), bri = brightness_of (&c), hue;
      switch (kind)
        {
        case SHIFT_BRIGHTNESS:
          hue = hue_of (&c);
          bri = (int) CLAMP (bri + shift * 10, 0, 1000);
          break;
        case SHIFT_SATURATION:
          if (sat == 0)
            continue;           /* greys have no hue to saturate */
          hue = hue_of (&c);
          sat = (int) CLAMP (sat + shift * 10, 0, 1000);
          break;
        default:
          if (bri < 110)
            bri = 110, sat = 1000;      /* black becomes a very dark saturated colour */
          if (sat < 90)
            sat = 90;
          hue = bri == 110 || sat == 90 ? 0 : hue_of (&c);
          hue = (int) (((hue + shift) % 360 + 360) % 360);
          break;
        }
      out[i] = pixel_from_hsv (hue, sat, bri);
    }
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

static StPrimResult scratch_brightness_shift (StVM *vm, int argc) { return colour_shift (vm, argc, SHIFT_BRIGHTNESS); }
static StPrimResult scratch_saturation_shift (StVM *vm, int argc) { return colour_shift (vm, argc, SHIFT_SATURATION); }
static StPrimResult scratch_hue_shift (StVM *vm, int argc) { return colour_shift (vm, argc, SHIFT_HUE); }

/* --- sampling --- */

/* Mix two RGB pixels, frac2/1024 of the second; a transparent one gives
 * the other. */
static guint32
mix (guint32 a, guint32 b, int frac2)
{
  if (a == 0)
    return b;
  if (b == 0)
    return a;
  int frac1 = 1024 - frac2;
  guint32 out = 0;
  for (int sh = 16; sh >= 0; sh -= 8)
    out |= (guint32) ((frac1 * (int) ((a >> sh) & 255) + frac2 * (int) ((b >> sh) & 255)) >> 10) << sh;
  return out == 0 ? 1 : out;
}

/* The bilinear sample of a w x h bitmap at (xf, yf) in 1/1024 pixels: 0
 * outside.  The plugin shifts the coordinates as unsigned numbers, so a
 * negative one is far outside (its edge case for -1 never happens). */
static guint32
sample (const guint32 *bm, int64_t xf, int64_t yf, int64_t w, int64_t h)
{
  if (xf < 0 || yf < 0)
    return 0;
  int64_t x = xf >> 10, y = yf >> 10;
  if (x >= w || y >= h)
    return 0;
  int xfrac = (int) (xf & 1023), yfrac = (int) (yf & 1023);
  if (x == w - 1)
    xfrac = 0;
  if (y == h - 1)
    yfrac = 0;
  const guint32 *row = bm + y * w + x;
  guint32 top = row[0] & 0xFFFFFF;
  if (xfrac > 0)
    top = mix (top, row[1] & 0xFFFFFF, xfrac);
  if (yfrac == 0)
    return top;
  row += w;
  guint32 bottom = row[0] & 0xFFFFFF;
  if (xfrac > 0)
    bottom = mix (bottom, row[1] & 0xFFFFFF, xfrac);
  return mix (top, bottom, yfrac);
}

/* A double to 1/1024-pixel fixed point the way C's (int) cast does, with
 * out-of-range values sent outside the bitmap. */
static int64_t
fixed (double v)
{
  double f = 1024.0 * v;
  if (!(f > -1.0e12 && f < 1.0e12))
    return -(G_GINT64_CONSTANT (1) << 40);
  return (int64_t) f;
}

/* in out width [extra]: two same-size bitmaps of the given width. */
static bool
in_out_width (StVM *vm, int first, guint32 **in, guint32 **out, int64_t *w, int64_t *h)
{
  StInterp *it = st_interp (vm);
  uint64_t n, nout;
  int64_t width;
  if (!words_arg (vm, st_stack_value (it, first), in, &n)
      || !writable_words_arg (vm, st_stack_value (it, first - 1), out, &nout) || nout != n
      || !int_args (it, first - 2, 1, &width) || width <= 0)
    return false;
  *w = width;
  *h = (int64_t) n / width;
  return true;
}

static StPrimResult
scratch_blur (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint32 *in, *out;
  int64_t w, h;
  if (argc != 3)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (!in_out_width (vm, 2, &in, &out, &w, &h))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  for (int64_t y = 1; y < h - 1; y++)
    for (int64_t x = 1; x < w - 1; x++)
      {
        int n = 0, r = 0, g = 0, b = 0;
        for (int dy = -1; dy <= 1; dy++)
          for (int dx = -1; dx <= 1; dx++)
            {
              guint32 p = in[(y + dy) * w + x + dx] & 0xFFFFFF;
              if (p == 0)
                continue;
              r += (int) (p >> 16), g += (int) (p >> 8) & 255, b += (int) p & 255, n++;
            }
        out[y * w + x] = n == 0 ? 0 : ((guint32) (r / n) << 16) | ((guint32) (g / n) << 8) | (guint32) (b / n);
      }
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

static StPrimResult
scratch_fisheye (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint32 *in, *out;
  int64_t w, h, power;
  if (argc != 4)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (!in_out_width (vm, 3, &in, &out, &w, &h) || !int_args (it, 0, 1, &power))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t cx = w / 2, cy = h / 2;
  if (cx == 0 || cy == 0)
    return ST_PRIM_ERR_BAD_ARGUMENT;      /* the plugin would divide by zero */
  double p = power / 100.0;
  for (int64_t x = 0; x < w; x++)
    for (int64_t y = 0; y < h; y++)
      {
        double dx = (double) (x - cx) / (double) cx, dy = (double) (y - cy) / (double) cy;
        double r = pow (sqrt (dx * dx + dy * dy), p);
        int64_t sx, sy;
        if (r <= 1.0)
          {
            double a = atan2 (dy, dx);
            sx = fixed ((double) cx + r * cos (a) * (double) cx);
            sy = fixed ((double) cy + r * sin (a) * (double) cy);
          }
        else
          sx = 1024 * x, sy = 1024 * y;
        out[y * w + x] = sample (in, sx, sy, w, h);
      }
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

static StPrimResult
scratch_whirl (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint32 *in, *out;
  int64_t w, h, degrees;
  if (argc != 4)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (!in_out_width (vm, 3, &in, &out, &w, &h) || !int_args (it, 0, 1, &degrees))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t cx = w / 2, cy = h / 2;
  if (cx == 0 || cy == 0)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  /* The circle fits the shorter side; the longer one is squeezed to it. */
  double radius = (double) MIN (cx, cy);
  double scale_x = cx < cy ? (double) cy / (double) cx : 1.0;
  double scale_y = cy < cx ? (double) cx / (double) cy : 1.0;
  double twist = -G_PI * (double) degrees / 180.0;
  for (int64_t x = 0; x < w; x++)
    for (int64_t y = 0; y < h; y++)
      {
        double dx = scale_x * (double) (x - cx), dy = scale_y * (double) (y - cy);
        double d = dx * dx + dy * dy;
        if (d >= radius * radius)
          continue;
        double f = 1.0 - sqrt (d) / radius;
        double a = twist * f * f, s = sin (a), c = cos (a);
        out[w * y + x] = sample (in, fixed ((c * dx - s * dy) / scale_x + (double) cx),
                                 fixed ((s * dx + c * dy) / scale_y + (double) cy), w, h);
      }
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

static StPrimResult
scratch_interpolate (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint32 *in;
  uint64_t n;
  int64_t v[3];                 /* width, x, y */
  if (argc != 4)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (!words_arg (vm, st_stack_value (it, 3), &in, &n) || !int_args (it, 2, 3, v) || v[0] <= 0)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  guint32 pix = sample (in, v[1], v[2], v[0], (int64_t) n / v[0]);
  return st_prim_return (it, argc, st_smallint_oop (pix));
}

/* in inW inH out outW outH: bilinear scaling of the whole bitmap. */
static StPrimResult
scratch_scale (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint32 *in, *out;
  uint64_t n, nout;
  int64_t a[2], b[2];
  if (argc != 6)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (!words_arg (vm, st_stack_value (it, 5), &in, &n) || !int_args (it, 4, 2, a)
      || !writable_words_arg (vm, st_stack_value (it, 2), &out, &nout) || !int_args (it, 1, 2, b))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t iw = a[0], ih = a[1], ow = b[0], oh = b[1];
  if (iw <= 0 || ih <= 0 || ow <= 0 || oh <= 0 || (uint64_t) (iw * ih) != n || (uint64_t) (ow * oh) != nout)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t xstep = iw * 1024 / ow, ystep = ih * 1024 / oh;
  int64_t iy = 0;
  for (int64_t oy = 0; oy < oh; oy++, iy += ystep)
    {
      int64_t ix = 0;
      for (int64_t ox = 0; ox < ow; ox++, ix += xstep)
        {
          int64_t fx = ix & 1023, fy = iy & 1023, px = ix >> 10, py = iy >> 10;
          /* weights of the four neighbours, in 1/2^20 */
          int64_t w1 = (1024 - fx) * (1024 - fy), w2 = fx * (1024 - fy), w3 = (1024 - fx) * fy, w4 = fx * fy;
          int64_t t = py * iw + px;
          bool right = px < iw - 1;
          guint32 p1 = in[t], p2 = right ? in[t + 1] : p1;
          if (py < ih - 1)
            t += iw;
          guint32 p3 = in[t], p4 = right ? in[t + 1] : p3;
          /* transparent neighbours borrow a partner and count as transparent weight */
          int64_t clear = 0;
          if (p1 == 0) p1 = p2, clear += w1;
          if (p2 == 0) p2 = p1, clear += w2;
          if (p3 == 0) p3 = p4, clear += w3;
          if (p4 == 0) p4 = p3, clear += w4;
          if (p1 == 0) p1 = p3, p2 = p4;
          if (p3 == 0) p3 = p1, p4 = p2;
          guint32 o = 0;
          if (clear < 500000)
            {
              for (int sh = 16; sh >= 0; sh -= 8)
                {
                  int64_t sum = w1 * ((p1 >> sh) & 255) + w2 * ((p2 >> sh) & 255) + w3 * ((p3 >> sh) & 255)
                    + w4 * ((p4 >> sh) & 255);
                  o |= (guint32) ((sum >> 20) & 255) << sh;
                }
              if (o == 0)
                o = 1;
            }
          out[oy * ow + ox] = o;
        }
    }
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

/* in inW inH out outW outH dstX dstY: each input pixel as a 2x2 block. */
static StPrimResult
scratch_double_size (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint32 *in, *out;
  uint64_t n, nout;
  int64_t a[2], b[4];
  if (argc != 8)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (!words_arg (vm, st_stack_value (it, 7), &in, &n) || !int_args (it, 6, 2, a)
      || !writable_words_arg (vm, st_stack_value (it, 4), &out, &nout) || !int_args (it, 3, 4, b))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t iw = a[0], ih = a[1], ow = b[0], oh = b[1], dx = b[2], dy = b[3];
  if (iw < 0 || ih < 0 || ow < 0 || oh < 0 || dx < 0 || dy < 0 || dx + 2 * iw >= ow || dy + 2 * ih >= oh
      || (uint64_t) (iw * ih) > n || (uint64_t) (ow * oh) > nout)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  for (int64_t y = 0; y < ih; y++)
    for (int64_t x = 0; x < iw; x++)
      {
        guint32 p = in[y * iw + x];
        guint32 *o = out + (dy + 2 * y) * ow + dx + 2 * x;
        o[0] = o[1] = o[ow] = o[ow + 1] = p;
      }
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

/* in inW inH out outW outH srcX srcY dstX dstY dstW dstH: each 2x2 block
 * of the input as one pixel, its mean (average) or the mean of its
 * top-left and bottom-right pixels (diagonal). */
static StPrimResult
half_size (StVM *vm, int argc, bool diagonal)
{
  StInterp *it = st_interp (vm);
  guint32 *in, *out;
  uint64_t n, nout;
  int64_t a[2], b[8];
  if (argc != 12)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (!words_arg (vm, st_stack_value (it, 11), &in, &n) || !int_args (it, 10, 2, a)
      || !writable_words_arg (vm, st_stack_value (it, 8), &out, &nout) || !int_args (it, 7, 8, b))
    return ST_PRIM_ERR_BAD_ARGUMENT;
  int64_t iw = a[0], ih = a[1], ow = b[0], oh = b[1], sx = b[2], sy = b[3], dx = b[4], dy = b[5], dw = b[6],
          dh = b[7];
  if (sx < 0 || sy < 0 || dx < 0 || dy < 0 || dw < 0 || dh < 0 || iw < 0 || ih < 0 || ow < 0 || oh < 0
      || sx + 2 * dw > iw || sy + 2 * dh > ih || dx + dw > ow || dy + dh > oh || (uint64_t) (iw * ih) > n
      || (uint64_t) (ow * oh) > nout)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  for (int64_t y = 0; y < dh; y++)
    {
      const guint32 *s = in + (sy + 2 * y) * iw + sx;
      guint32 *d = out + (dy + y) * ow + dx;
      for (int64_t x = 0; x < dw; x++, s += 2)
        {
          guint32 r, g, bl;
          if (diagonal)
            {
              r = (((s[0] & 0xFF0000) + (s[iw + 1] & 0xFF0000)) >> 1) & 0xFF0000;
              g = (((s[0] & 0xFF00) + (s[iw + 1] & 0xFF00)) >> 1) & 0xFF00;
              bl = ((s[0] & 0xFF) + (s[iw + 1] & 0xFF)) >> 1;
            }
          else
            {
              r = ((s[0] & 0xFF0000) + (s[1] & 0xFF0000) + (s[iw] & 0xFF0000) + (s[iw + 1] & 0xFF0000)) >> 2 & 0xFF0000;
              g = ((s[0] & 0xFF00) + (s[1] & 0xFF00) + (s[iw] & 0xFF00) + (s[iw + 1] & 0xFF00)) >> 2 & 0xFF00;
              bl = ((s[0] & 0xFF) + (s[1] & 0xFF) + (s[iw] & 0xFF) + (s[iw + 1] & 0xFF)) >> 2;
            }
          d[x] = r | g | bl;
        }
    }
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

static StPrimResult scratch_half_size_average (StVM *vm, int argc) { return half_size (vm, argc, false); }
static StPrimResult scratch_half_size_diagonal (StVM *vm, int argc) { return half_size (vm, argc, true); }

/* --- sound buffers: 16-bit samples in the host's order inside a word
 * object, as a SoundBuffer holds them --- */

static gint16
sample_at (const guint8 *b, uint64_t i)
{
  gint16 v;
  memcpy (&v, b + 2 * i, 2);
  return v;
}

static void
sample_put (guint8 *b, uint64_t i, gint16 v)
{
  memcpy (b + 2 * i, &v, 2);
}

static StPrimResult
scratch_condense_sound (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint32 *src, *dst;
  uint64_t ns, nd;
  int64_t factor;
  if (argc != 3)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (!words_arg (vm, st_stack_value (it, 2), &src, &ns) || !writable_words_arg (vm, st_stack_value (it, 1), &dst, &nd)
      || !int_args (it, 0, 1, &factor) || factor <= 0)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  uint64_t count = 2 * ns / (uint64_t) factor;
  if (2 * nd < count)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  const guint8 *s = (const guint8 *) src;
  for (uint64_t i = 0, k = 0; i < count; i++)
    {
      int peak = 0;
      for (int64_t j = 0; j < factor; j++, k++)
        peak = MAX (peak, ABS ((int) sample_at (s, k)));
      sample_put ((guint8 *) dst, i, (gint16) peak);
    }
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

static StPrimResult
scratch_extract_channel (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  guint32 *src, *dst;
  uint64_t ns, nd;
  if (argc != 3)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop flag = st_stack_value (it, 0);
  if (!words_arg (vm, st_stack_value (it, 2), &src, &ns) || !writable_words_arg (vm, st_stack_value (it, 1), &dst, &nd)
      || (flag != it->true_obj && flag != it->false_obj) || nd < ns / 2)
    return ST_PRIM_ERR_BAD_ARGUMENT;
  /* ns words hold ns stereo frames; dst takes one sample of each. */
  const guint8 *s = (const guint8 *) src;
  uint64_t k = flag == it->true_obj ? 1 : 0;
  for (uint64_t i = 0; i < ns && i < 2 * nd; i++, k += 2)
    sample_put ((guint8 *) dst, i, sample_at (s, k));
  st_pop_n (it, argc);
  return ST_PRIM_OK;
}

const StNamedPrim st_plugin_scratch[] = {
  { "primitiveGetFolderPath", scratch_get_folder_path },
  { "primitiveIsHidden", scratch_is_hidden },
  { "primitiveShortToLongPath", scratch_short_to_long_path },
  { "primitiveBrightnessShift", scratch_brightness_shift },
  { "primitiveSaturationShift", scratch_saturation_shift },
  { "primitiveHueShift", scratch_hue_shift },
  { "primitiveBlur", scratch_blur },
  { "primitiveFisheye", scratch_fisheye },
  { "primitiveWhirl", scratch_whirl },
  { "primitiveInterpolate", scratch_interpolate },
  { "primitiveScale", scratch_scale },
  { "primitiveDoubleSize", scratch_double_size },
  { "primitiveHalfSizeAverage", scratch_half_size_average },
  { "primitiveHalfSizeDiagonal", scratch_half_size_diagonal },
  { "primitiveCondenseSound", scratch_condense_sound },
  { "primitiveExtractChannel", scratch_extract_channel },
  { NULL, NULL },
};
