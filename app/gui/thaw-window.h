/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "thaw-application.h"

G_BEGIN_DECLS

#define THAW_TYPE_WINDOW (thaw_window_get_type ())
G_DECLARE_FINAL_TYPE (ThawWindow, thaw_window, THAW, WINDOW, AdwApplicationWindow)

ThawWindow *thaw_window_new (ThawApplication *app);
/* Read an image (off the main thread) and show it in this window. */
void        thaw_window_open_file (ThawWindow *self, GFile *file);
/* Start running the image as soon as it is read (thaw --run). */
void        thaw_window_set_run_on_load (ThawWindow *self, gboolean run);
/* Open the image in the debugger, halted before its first bytecode
 * (thaw --debug). */
void        thaw_window_set_debug_on_load (ThawWindow *self, gboolean debug);
/* TRUE while the window shows no image and is not reading one. */
gboolean    thaw_window_is_empty (ThawWindow *self);

G_END_DECLS
