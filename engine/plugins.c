/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "plugins.h"

static const struct {
  const char        *module;
  const StNamedPrim *prims;
} modules[] = {
  { "FilePlugin", st_plugin_file },
  { "ConsolePlugin", st_plugin_console },
  { "BitBltPlugin", st_plugin_bitblt },
  { "LargeIntegers", st_plugin_large_integers },
  { "MiscPrimitivePlugin", st_plugin_misc },
  { "FloatArrayPlugin", st_plugin_float_array },
  { "", st_plugin_vm_float_array },
  { "LocalePlugin", st_plugin_locale },
  { "SecurityPlugin", st_plugin_security },
  { "SoundPlugin", st_plugin_sound },
  { "CpSystemPlugin", st_plugin_cp_system },
  { "ScratchPlugin", st_plugin_scratch },
  { "FloatArrayPlugin", st_plugin_float_array_ops },
  { "", st_plugin_vm_float_array_ops },
  { "ZipPlugin", st_plugin_zip },
  { "", st_plugin_zip },
  { "FFTPlugin", st_plugin_fft },
  { "", st_plugin_vm_fft },
};

/* A module may be split over several tables (listed under the same name). */
StPrimFn
st_prims_named_lookup (const char *module, const char *name)
{
  for (gsize m = 0; m < G_N_ELEMENTS (modules); m++)
    {
      if (strcmp (modules[m].module, module) != 0)
        continue;
      for (const StNamedPrim *p = modules[m].prims; p->name != NULL; p++)
        if (strcmp (p->name, name) == 0)
          return p->fn;
    }
  return NULL;
}
