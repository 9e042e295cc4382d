/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-settings.h: GSettings keys, named once (data/dev.thaw.Thaw.gschema.xml). */
#pragma once

#define THAW_SETTINGS_WINDOW_WIDTH        "window-width"
#define THAW_SETTINGS_WINDOW_HEIGHT       "window-height"
#define THAW_SETTINGS_WINDOW_MAXIMIZED    "window-maximized"
#define THAW_SETTINGS_RECENT_IMAGES_SHOWN "recent-images-shown"

/* The MIME type Thaw registers recent images under. */
#define THAW_IMAGE_MIME_TYPE "application/x-smalltalk-image"
