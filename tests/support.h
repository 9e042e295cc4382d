/* SPDX-License-Identifier: GPL-3.0-or-later */
/* support.h: helpers shared by the test programs. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The path of a real image from ../shared/images (e.g. "cuis4.1",
 * "Cuis4.1-1544-reduced.image"), or NULL after marking the running test
 * skipped with a message that names the missing file.  "scratch" names
 * Debian's /usr/share/scratch/Scratch.image. */
char *thaw_test_real_image (const char *folder, const char *file);

/* Every real image known to the tests, as folder/file pairs. */
typedef struct {
  const char *folder;
  const char *file;
} ThawRealImage;
extern const ThawRealImage thaw_real_images[];
extern const gsize thaw_n_real_images;

/* A fresh temporary directory for one test, removed by the caller with
 * thaw_test_rmdir (recursively). */
char *thaw_test_tmpdir (void);
void  thaw_test_rmdir (const char *dir);

/* The built thaw-cli, from the THAW_CLI environment variable meson sets. */
const char *thaw_test_cli (void);

/* Run thaw-cli with arguments (NULL-terminated); capture stdout/stderr and
 * the exit status.  Returns FALSE only if it could not be started. */
gboolean thaw_test_run_cli (char **out, char **err, int *status, const char *first_arg, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
