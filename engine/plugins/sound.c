/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sound.c: SoundPlugin as a VM with no sound device answers it (the Unix
 * VM's null sound driver): stopping playback or recording, and setting the
 * record level, succeed and do nothing; starting playback or recording,
 * and everything that needs a running device, fails, so the image's own
 * fallbacks run.  Images stop sound on startup and on every new project
 * (Scratch does), which must not fail. */
#include "config.h"

#include "plugins.h"

static StPrimResult
sound_nothing_to_do (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  return st_prim_return (it, argc, st_stack_value (it, argc));
}

const StNamedPrim st_plugin_sound[] = {
  { "primitiveSoundStop", sound_nothing_to_do },
  { "primitiveSoundStopRecording", sound_nothing_to_do },
  { "primitiveSoundSetRecordLevel", sound_nothing_to_do },
  { NULL, NULL },
};
