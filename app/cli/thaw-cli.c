/* SPDX-License-Identifier: GPL-3.0-or-later */
/* thaw-cli: the workbench from a terminal.  Everything the window shows,
 * this prints, as text or with --json. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "thaw-cli.h"

static const CliCommand commands[] = {
  { "info", "IMAGE", "Print every header field, the personality and the segments", cli_info },
  { "disasm", "IMAGE PATH|--stack", "Disassemble a method (Foo>>bar) or a context, its pc marked", cli_disasm },
  { "source", "IMAGE PATH|--stack", "Print a method's source (from .sources/.changes, or decompiled)", cli_source },
  { "convert", "IMAGE -o OUT", "Write the image as spur64, spur32, folder, v3 or its own format", cli_convert },
  { "digest", "IMAGE", "Print the SHA-256 of the reachable object graph (format independent)", cli_digest },
  { "check", "IMAGE", "Check the heap's integrity; exit 1 when problems are found", cli_check },
  { "census", "IMAGE", "Count instances and bytes per class and per format (--top N, --sort count|bytes)", cli_census },
  { "display", "IMAGE", "Write the saved Display Form as a PPM picture (-o FILE.ppm, --reverse)", cli_display },
  { "map", "IMAGE", "Show what each segment's byte ranges hold, and free-space fragmentation (--png FILE)", cli_map },
  { "inspect", "IMAGE [PATH]", "Print one object by path (special.3.value, Foo>>bar, ...)", cli_inspect },
  { "stack", "IMAGE", "Print every process with its stack (like printAllStacks)", cli_stack },
  { "edit", "IMAGE --set P=V -o OUT", "Set slots (nil, numbers, $c, 'str', #sym, a path) and write a new image", cli_edit },
  { "trace", "IMAGE -o OUT", "Write a clean, compacted clone holding only what is reachable (--clamp, --replace, --dry-run)", cli_trace },
  { "run", "IMAGE", "Run the image headless (--seconds N, --bytecodes N, --until-quit) and report how far it got", cli_run },
  { "debug", "IMAGE|--resume FILE [-x SCRIPT]", "Debug the image from its first bytecode: break, step, next, finish, until, bt, print, set, return, checkpoint, rewind, save (commands from SCRIPT or stdin)", cli_debug },
};

static const CliCommand *current;

void
cli_error (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fprintf (stderr, "thaw-cli%s%s: %s\n", current ? " " : "", current ? current->name : "", msg);
}

gboolean
cli_parse (int *argc, char ***argv, const GOptionEntry *entries, gboolean *json)
{
  const CliCommand *cmd = current;
  gboolean want_json = FALSE;
  const GOptionEntry common[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &want_json, "Print the result as JSON", NULL },
    { NULL }
  };
  g_autofree char *params = g_strdup_printf ("%s - %s", cmd->args, cmd->summary);
  g_autoptr (GOptionContext) ctx = g_option_context_new (params);
  g_autofree char *prg = g_strdup_printf ("thaw-cli %s", cmd->name);
  g_set_prgname (prg);
  if (entries != NULL)
    g_option_context_add_main_entries (ctx, entries, NULL);
  if (json != NULL)
    g_option_context_add_main_entries (ctx, common, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      cli_error ("%s (try --help)", error->message);
      return FALSE;
    }
  if (json != NULL)
    *json = want_json;
  return TRUE;
}

StVM *
cli_load (const char *path, StReadFlags flags)
{
  g_autoptr (GError) error = NULL;
  StVM *vm = st_image_read (path, flags, &error);
  if (vm == NULL)
    cli_error ("%s", error->message);
  return vm;
}

static void
usage (FILE *out)
{
  fprintf (out, "Usage: thaw-cli COMMAND [OPTIONS] ARGS...\n\n"
                "Look inside, check, repair, run and convert Smalltalk images.\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %-18s %s\n", commands[i].name, commands[i].args, commands[i].summary);
  fprintf (out, "\nOptions:\n  --help      Show this help (or COMMAND --help for a command)\n"
                "  --version   Show the version\n\n"
                "Every command that reports something accepts --json.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      usage (stderr);
      return CLI_EXIT_ERROR;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0)
    {
      usage (stdout);
      return CLI_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("thaw-cli %s\n", PACKAGE_VERSION);
      return CLI_EXIT_OK;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        current = &commands[i];
        return commands[i].run (argc - 1, argv + 1);
      }
  fprintf (stderr, "thaw-cli: unknown command '%s'\n\n", argv[1]);
  usage (stderr);
  return CLI_EXIT_ERROR;
}
