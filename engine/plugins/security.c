/* SPDX-License-Identifier: GPL-3.0-or-later */
/* security.c: SecurityPlugin, answered as an unrestricted desktop VM on
 * Unix answers it.
 *
 *   primitiveCanWriteImage         whether a snapshot would be written: in
 *                                  Thaw, while the run has a snapshot path
 *                                  (thaw-cli run --snapshot-to), else the
 *                                  snapshot primitive fails and this says so
 *   primitiveDisableImageWrite     forgets the snapshot path: from then on
 *                                  snapshots fail, as in a real VM
 *   primitiveGetSecureUserDirectory    <image folder>/secure
 *   primitiveGetUntrustedUserDirectory $SQUEAK_USERDIR, else
 *                                      <image folder>/My Squeak
 *
 * The image folder is the folder of the image file read (the current
 * folder when the path has none). */
#include "config.h"

#include <string.h>

#include "plugins.h"

static StPrimResult
security_can_write_image (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  return st_prim_return (it, argc, st_bool (it, st_interp_snapshot_path (vm) != NULL));
}

static StPrimResult
security_disable_image_write (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  st_interp_set_snapshot_path (vm, NULL);
  return st_prim_return (it, argc, st_stack_value (it, 0));
}

static char *
image_folder (StVM *vm)
{
  if (vm->image_path == NULL || strchr (vm->image_path, '/') == NULL)
    return g_get_current_dir ();
  return g_path_get_dirname (vm->image_path);
}

static StPrimResult
answer_path (StVM *vm, int argc, const char *path)
{
  StInterp *it = st_interp (vm);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop s = st_interp_new_string (it, path);
  if (s == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, s);
}

static StPrimResult
security_secure_user_directory (StVM *vm, int argc)
{
  g_autofree char *folder = image_folder (vm);
  g_autofree char *dir = g_build_filename (folder, "secure", NULL);
  return answer_path (vm, argc, dir);
}

static StPrimResult
security_untrusted_user_directory (StVM *vm, int argc)
{
  const char *env = g_getenv ("SQUEAK_USERDIR");
  if (env != NULL && *env != '\0')
    {
      /* The path may not end in a slash. */
      g_autofree char *dir = g_strdup (env);
      gsize n = strlen (dir);
      while (n > 1 && dir[n - 1] == '/')
        dir[--n] = '\0';
      return answer_path (vm, argc, dir);
    }
  g_autofree char *folder = image_folder (vm);
  g_autofree char *dir = g_build_filename (folder, "My Squeak", NULL);
  return answer_path (vm, argc, dir);
}

const StNamedPrim st_plugin_security[] = {
  { "primitiveCanWriteImage", security_can_write_image },
  { "primitiveDisableImageWrite", security_disable_image_write },
  { "primitiveGetSecureUserDirectory", security_secure_user_directory },
  { "primitiveGetUntrustedUserDirectory", security_untrusted_user_directory },
  { NULL, NULL },
};
