/* SPDX-License-Identifier: GPL-3.0-or-later */
/* report.h: one structured output for every thaw-cli subcommand.
 *
 * A subcommand describes its result once, as nested objects, lists and
 * fields; the writer prints it as readable text or, with --json, as JSON.
 * Text mode prints "key: value" lines, indenting nested objects. */
#pragma once

#include <glib.h>
#include <stdio.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct _Report Report;

Report *report_new (FILE *out, gboolean json);
void    report_free (Report *r);      /* finishes the output (closes open containers) */
gboolean report_is_json (Report *r);

void report_begin_object (Report *r, const char *key);   /* key NULL inside a list or at top */
void report_end_object (Report *r);
void report_begin_list (Report *r, const char *key);
void report_end_list (Report *r);

void report_str (Report *r, const char *key, const char *value);   /* value NULL prints null */
void report_strf (Report *r, const char *key, const char *fmt, ...) G_GNUC_PRINTF (3, 4);
void report_int (Report *r, const char *key, int64_t value);
void report_uint (Report *r, const char *key, uint64_t value);
void report_hex (Report *r, const char *key, uint64_t value);      /* text: 0x..; JSON: number */
void report_double (Report *r, const char *key, double value);
void report_bool (Report *r, const char *key, gboolean value);
/* Free text lines that only the text form shows (headings, blank lines). */
void report_text (Report *r, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
