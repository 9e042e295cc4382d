/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli.h: what every subcommand shares. */
#pragma once

#include <glib.h>

#include "report.h"
#include "image-read.h"

G_BEGIN_DECLS

/* Exit statuses common to all subcommands. */
enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_FINDINGS = 1,   /* the command ran and found problems (check) */
  CLI_EXIT_ERROR = 2,      /* bad arguments, or the image could not be read */
};

typedef struct {
  const char *name;
  const char *args;       /* "IMAGE", "IMAGE PATH", ... */
  const char *summary;
  int (*run) (int argc, char **argv);
} CliCommand;

/* Parse the current subcommand's argv with the given entries plus --json and --help; on failure
 * print the message and return FALSE.  *json is set from --json. */
gboolean cli_parse (int *argc, char ***argv, const GOptionEntry *entries, gboolean *json);

/* Load an image for a subcommand, printing a clear error on failure. */
StVM *cli_load (const char *path, StReadFlags flags);

void cli_error (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

int cli_info (int argc, char **argv);
int cli_disasm (int argc, char **argv);
int cli_source (int argc, char **argv);
int cli_convert (int argc, char **argv);
int cli_digest (int argc, char **argv);
int cli_check (int argc, char **argv);
int cli_census (int argc, char **argv);
int cli_display (int argc, char **argv);
int cli_map (int argc, char **argv);
int cli_inspect (int argc, char **argv);
int cli_stack (int argc, char **argv);
int cli_edit (int argc, char **argv);
int cli_run (int argc, char **argv);
int cli_trace (int argc, char **argv);
int cli_debug (int argc, char **argv);

G_END_DECLS
