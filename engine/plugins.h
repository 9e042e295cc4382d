/* SPDX-License-Identifier: GPL-3.0-or-later */
/* plugins.h: named primitives (primitive 117 / <primitive: 'name' module:
 * 'Module'>), grouped by module the way the VM's plugins are.
 *
 * Each module is one file that defines a table of StNamedPrim ending in
 * { NULL, NULL }; plugins.c lists the modules.  To add a module: write its
 * table, declare it below, add it to `modules` in plugins.c. */
#pragma once

#include "interp-private.h"

G_BEGIN_DECLS

typedef struct {
  const char *name;     /* "primitiveFileOpen" */
  StPrimFn    fn;
} StNamedPrim;

/* The modules (each table ends with { NULL, NULL }). */
extern const StNamedPrim st_plugin_file[];           /* FilePlugin (prims-file.c) */
extern const StNamedPrim st_plugin_console[];        /* ConsolePlugin (prims-file.c) */
extern const StNamedPrim st_plugin_bitblt[];         /* BitBltPlugin (plugins/bitblt.c) */
extern const StNamedPrim st_plugin_large_integers[]; /* LargeIntegers (plugins/large-int.c) */
extern const StNamedPrim st_plugin_misc[];           /* MiscPrimitivePlugin (plugins/misc-prims.c) */
extern const StNamedPrim st_plugin_float_array[];    /* FloatArrayPlugin (plugins/float-array.c) */
extern const StNamedPrim st_plugin_vm_float_array[]; /* module-less FloatArray prims (plugins/float-array.c) */
extern const StNamedPrim st_plugin_locale[];         /* LocalePlugin (plugins/locale.c) */
extern const StNamedPrim st_plugin_security[];       /* SecurityPlugin (plugins/security.c) */
extern const StNamedPrim st_plugin_cp_system[];      /* CodeParadise's CpSystemPlugin, pure part (plugins/cp-system.c) */
extern const StNamedPrim st_plugin_sound[];          /* SoundPlugin without a device (plugins/sound.c) */
extern const StNamedPrim st_plugin_scratch[];        /* ScratchPlugin, host and pure parts (plugins/scratch.c) */
extern const StNamedPrim st_plugin_float_array_ops[];    /* FloatArrayPlugin arithmetic (plugins/float-array-ops.c) */
extern const StNamedPrim st_plugin_vm_float_array_ops[]; /* the same, module-less 6502 names (plugins/float-array-ops.c) */
extern const StNamedPrim st_plugin_zip[];            /* ZipPlugin CRC-32 and hash table (plugins/zip.c), also module-less */
extern const StNamedPrim st_plugin_fft[];            /* FFTPlugin (plugins/fft.c) */
extern const StNamedPrim st_plugin_vm_fft[];         /* its module-less transform (plugins/fft.c) */

/* The function for module>>name, or NULL when Thaw has none. */
StPrimFn st_prims_named_lookup (const char *module, const char *name);

G_END_DECLS
