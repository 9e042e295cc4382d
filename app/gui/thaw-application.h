/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define THAW_TYPE_APPLICATION (thaw_application_get_type ())
G_DECLARE_FINAL_TYPE (ThawApplication, thaw_application, THAW, APPLICATION, AdwApplication)

ThawApplication *thaw_application_new (void);
GSettings       *thaw_application_get_settings (ThawApplication *self);

G_END_DECLS
