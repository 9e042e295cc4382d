/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The engine thread's cost: bytecodes per second of an image run through
 * a host (slices, commands, display conversion, a UI context taking every
 * frame) against st_interp_run called directly for the same time, from
 * freshly loaded copies; then the time to convert the whole display Form
 * and to copy a frame out (st_host_take_frame).
 *
 *   _build/bench/bench-host IMAGE [SECONDS] [WIDTH HEIGHT]
 *   _build/bench/bench-host --loop [SECONDS]
 *   _build/bench/bench-host --input [SECONDS]
 *
 * --loop: a synthetic image that only counts in a loop (never idle, no
 * display), so the difference is the host's own cost.  --input: a
 * synthetic image whose one process waits on the input semaphore and
 * reads each event with primitive 94 (the run is idle in between): the
 * host's own share of the input latency.
 *
 * WIDTH HEIGHT: the screen size the host answers (default: the Form's).
 * THAW_BENCH_PPM=FILE writes the display as it is at the end. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "display.h"
#include "host.h"
#include "image-read.h"
#include "interp.h"
#include "method.h"
#include "builder.h"

/* t0 := 0. [t0 := t0 + 1] repeat */
static StVM *
loop_image (void)
{
  ThawBuilder *b = thaw_builder_new_at (ST_FAMILY_SPUR, 8, 68021, 0);
  const ThawBuilderObjects *k = thaw_builder_objects (b);
  guint8 code[] = { 16, 118, 176, 104, 163, 250 };
  StOop m = thaw_builder_method (b, k->object_class, "loop", 0, 1, 0, NULL, 0, code, sizeof code);
  StVM *vm = thaw_builder_finish (b);
  StMethodHeader h;
  st_method_header (vm, m, &h, NULL);
  StOop ctx = k->active_context;
  st_store (vm, ctx, 3, m);
  st_store (vm, ctx, 1, st_smallint_oop ((int64_t) h.initial_pc + 1));
  st_store (vm, ctx, 2, st_smallint_oop (1));
  st_store (vm, ctx, 5, vm->nil_obj);
  st_store (vm, ctx, 6, st_smallint_oop (0));
  thaw_builder_free (b);
  return vm;
}

/* Object>>reader: self primSetInputSemaphore: 1.
 *   [InputSemaphore wait. self primGetNextEvent: Buffer] repeat */
static StVM *
input_image (void)
{
  ThawBuilder *b = thaw_builder_new_at (ST_FAMILY_SPUR, 8, 68021, 0);
  const ThawBuilderObjects *k = thaw_builder_objects (b);
  guint8 ret = 120;
  thaw_builder_method (b, k->object_class, "primSetInputSemaphore:", 1, 1, 93, NULL, 0, &ret, 1);
  thaw_builder_method (b, k->object_class, "primGetNextEvent:", 1, 1, 94, NULL, 0, &ret, 1);
  thaw_builder_method (b, k->semaphore_class, "wait", 0, 0, 86, NULL, 0, &ret, 1);
  StOop sem = thaw_builder_instance (b, k->semaphore_class, 0);
  StOop buf = thaw_builder_array (b, 8, NULL);
  thaw_builder_global (b, "InputSemaphore", sem);
  thaw_builder_global (b, "Buffer", buf);
  StOop lits[] = { st_smallint_oop (1), thaw_builder_symbol (b, "primSetInputSemaphore:"), sem,
                   thaw_builder_symbol (b, "wait"), buf, thaw_builder_symbol (b, "primGetNextEvent:") };
  guint8 code[] = { 112, 32, 225, 135,           /* self primSetInputSemaphore: 1 */
                    34, 211, 135,                /* sem wait */
                    112, 36, 229, 135,           /* self primGetNextEvent: buf */
                    163, 247 };                  /* jump back to the wait (-9) */
  StOop m = thaw_builder_method (b, k->object_class, "reader", 0, 0, 0, lits, G_N_ELEMENTS (lits), code,
                                 sizeof code);
  StVM *vm = thaw_builder_finish (b);
  StMethodHeader h;
  st_method_header (vm, m, &h, NULL);
  StOop ctx = k->active_context;
  st_store (vm, ctx, 3, m);
  st_store (vm, ctx, 1, st_smallint_oop ((int64_t) h.initial_pc + 1));
  st_store (vm, ctx, 2, st_smallint_oop (0));
  st_store (vm, ctx, 5, vm->nil_obj);
  st_store (vm, sem, 0, vm->nil_obj);
  st_store (vm, sem, 1, vm->nil_obj);
  st_store (vm, sem, 2, st_smallint_oop (0));
  st_store (vm, st_special (vm, ST_SPLOB_EXTERNAL_OBJECTS_ARRAY), 0, sem);
  StOop list40 = st_fetch (vm, k->quiescent_lists, 39);    /* nothing else runs */
  st_store (vm, list40, 0, vm->nil_obj);
  st_store (vm, list40, 1, vm->nil_obj);
  thaw_builder_free (b);
  return vm;
}

static StVM *
load (const char *path, GError **error)
{
  if (g_str_equal (path, "--loop"))
    return loop_image ();
  if (g_str_equal (path, "--input"))
    return input_image ();
  return st_image_read (path, 0, error);
}

typedef struct {
  StHost *host;
  guint frames;
  gint64 take_usecs;
  double update_ms;
} Ui;

static void
notify (const StHostMessage *msg, gpointer data)
{
  Ui *ui = data;
  ui->update_ms = msg->display_convert_ms;
  if (msg->kind != ST_HOST_MSG_DISPLAY || ui->host == NULL)
    return;
  GBytes *px;
  int w, h, stride;
  StRect dirty;
  gint64 t0 = g_get_monotonic_time ();
  if (st_host_take_frame (ui->host, &px, &w, &h, &stride, &dirty))
    {
      ui->take_usecs += g_get_monotonic_time () - t0;
      ui->frames++;
      g_bytes_unref (px);
    }
}

typedef struct {
  uint64_t bytecodes;
  gint64 convert_usecs;
  gint width, height, depth;
} Probe;

static void
probe (StVM *vm, gpointer data)
{
  Probe *p = data;
  p->bytecodes = st_interp_stats (vm)->bytecodes;
  StFormInfo fi;
  StOop form = st_display_form (vm, &fi, NULL);
  if (form == 0)
    return;
  p->width = fi.width;
  p->height = fi.height;
  p->depth = fi.depth;
  guint32 *px = g_new (guint32, (gsize) fi.width * fi.height);
  gint64 t0 = g_get_monotonic_time ();
  for (int i = 0; i < 20; i++)
    st_display_convert (vm, form, NULL, px, (gsize) fi.width * 4, 0, NULL, NULL);
  p->convert_usecs = (g_get_monotonic_time () - t0) / 20;
  const char *ppm = g_getenv ("THAW_BENCH_PPM");
  if (ppm != NULL && *ppm)
    st_display_write_ppm (px, fi.width, fi.height, ppm, NULL);
  g_free (px);
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: %s IMAGE [SECONDS] [WIDTH HEIGHT]\n", argv[0]);
      return 2;
    }
  double secs = argc > 2 ? g_ascii_strtod (argv[2], NULL) : 5.0;
  gint sw = argc > 4 ? atoi (argv[3]) : 0, sh = argc > 4 ? atoi (argv[4]) : 0;
  GError *error = NULL;

  /* Direct. */
  StVM *vm = load (argv[1], &error);
  if (vm == NULL || !st_interp_init (vm, &error))
    {
      fprintf (stderr, "%s: %s\n", argv[1], error->message);
      return 2;
    }
  gint64 t0 = g_get_monotonic_time ();
  StRunStatus s = st_interp_run (vm, 0, secs, &error);
  double direct_secs = (g_get_monotonic_time () - t0) / 1e6;
  double direct = st_interp_stats (vm)->bytecodes / direct_secs;
  printf ("direct: %s after %.2f s, %.0f bytecodes/s\n", st_run_status_name (s), direct_secs, direct);
  g_clear_error (&error);
  st_vm_free (vm);

  /* Through a host, a UI context taking every frame. */
  vm = load (argv[1], &error);
  if (vm == NULL)
    {
      fprintf (stderr, "%s: %s\n", argv[1], error->message);
      return 2;
    }
  GMainContext *ctx = g_main_context_new ();
  Ui ui = { 0 };
  StHostOptions opt = { .screen_width = sw, .screen_height = sh };
  StHost *host = st_host_new (vm, ctx, notify, &ui, &opt, &error);
  if (host == NULL)
    {
      fprintf (stderr, "%s: %s\n", argv[1], error->message);
      return 2;
    }
  ui.host = host;
  t0 = g_get_monotonic_time ();
  st_host_run (host);
  gint64 end = t0 + (gint64) (secs * G_USEC_PER_SEC);
  while (g_get_monotonic_time () < end)
    {
      while (g_main_context_iteration (ctx, FALSE))
        ;
      g_usleep (2000);
    }
  double host_secs = (g_get_monotonic_time () - t0) / 1e6;
  Probe p = { 0 };
  st_host_call (host, probe, &p, 10 * G_USEC_PER_SEC);
  double hosted = p.bytecodes / host_secs;

  /* Input latency: from st_host_post_event to the image's primitive 94
   * taking the event (images with an event queue only). */
  StInput *in = st_io_input (vm);   /* made before the thread started; its own lock */
  gint64 lat_sum = 0, lat_max = 0;
  int lat_n = 0;
  gint64 input_usecs = 0;
  for (int i = 0; i < 20; i++)
    {
      guint64 before = st_input_delivered (in);
      StInputEvent ev = { .type = ST_EVENT_MOUSE, .x = 10 + i, .y = 10 + i };
      gint64 t1 = g_get_monotonic_time ();
      st_host_post_event (host, &ev);
      while (st_input_delivered (in) == before && g_get_monotonic_time () - t1 < 500000)
        g_usleep (100);
      gint64 dt = g_get_monotonic_time () - t1;
      input_usecs += dt;
      if (st_input_delivered (in) > before)
        {
          lat_sum += dt;
          lat_max = MAX (lat_max, dt);
          lat_n++;
        }
      while (g_main_context_iteration (ctx, FALSE))
        ;
      g_usleep (20000);
    }
  st_host_pause (host);
  st_host_sync (host, G_USEC_PER_SEC);
  printf ("host:   %s after %.2f s, %.0f bytecodes/s (%.1f%% of direct), %u frames taken, %.2f ms per take\n",
          st_host_state_name (st_host_state (host)), host_secs, hosted, direct > 0 ? 100.0 * hosted / direct : 0,
          ui.frames, ui.frames ? ui.take_usecs / 1e3 / ui.frames : 0.0);
  if (lat_n > 0)
    printf ("input latency (post -> primitive 94): mean %.2f ms, max %.2f ms over %d events\n",
            lat_sum / 1e3 / lat_n, lat_max / 1e3, lat_n);
  else
    printf ("input latency: the image read no events (it polls, or has no event queue)\n");
  (void) input_usecs;
  printf ("display %dx%dx%d: whole conversion %.2f ms; the engine spent %.2f ms per frame update\n", p.width,
          p.height, p.depth, p.convert_usecs / 1e3, ui.update_ms);
  ui.host = NULL;
  st_host_free (host);
  while (g_main_context_iteration (ctx, FALSE))
    ;
  g_main_context_unref (ctx);
  return 0;
}
