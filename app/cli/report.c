/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "report.h"

typedef struct {
  gboolean is_list;
  guint    count;
} Level;

struct _Report {
  FILE    *out;
  gboolean json;
  GArray  *stack;   /* of Level */
  gboolean top_open;
};

Report *
report_new (FILE *out, gboolean json)
{
  Report *r = g_new0 (Report, 1);
  r->out = out;
  r->json = json;
  r->stack = g_array_new (FALSE, TRUE, sizeof (Level));
  return r;
}

gboolean
report_is_json (Report *r)
{
  return r->json;
}

static Level *
top (Report *r)
{
  return r->stack->len ? &g_array_index (r->stack, Level, r->stack->len - 1) : NULL;
}

static void
indent (Report *r)
{
  for (guint i = 1; i < r->stack->len; i++)
    fputs ("  ", r->out);
}

static void
json_string (FILE *out, const char *s)
{
  fputc ('"', out);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      switch (*p)
        {
        case '"': fputs ("\\\"", out); break;
        case '\\': fputs ("\\\\", out); break;
        case '\n': fputs ("\\n", out); break;
        case '\r': fputs ("\\r", out); break;
        case '\t': fputs ("\\t", out); break;
        default:
          if (*p < 0x20)
            fprintf (out, "\\u%04x", *p);
          else
            fputc (*p, out);
        }
    }
  fputc ('"', out);
}

/* Before a value or a container in JSON: comma, newline, indentation, key. */
static void
json_lead (Report *r, const char *key)
{
  Level *l = top (r);
  if (l != NULL)
    {
      if (l->count++ > 0)
        fputc (',', r->out);
      fputc ('\n', r->out);
      for (guint i = 0; i < r->stack->len; i++)
        fputs ("  ", r->out);
      if (!l->is_list && key != NULL)
        {
          json_string (r->out, key);
          fputs (": ", r->out);
        }
    }
}

static void
push (Report *r, gboolean is_list)
{
  Level l = { is_list, 0 };
  g_array_append_val (r->stack, l);
}

static void
begin (Report *r, const char *key, gboolean is_list)
{
  if (r->json)
    {
      json_lead (r, key);
      fputc (is_list ? '[' : '{', r->out);
    }
  else
    {
      Level *l = top (r);
      if (l != NULL)
        {
          indent (r);
          if (key != NULL)
            fprintf (r->out, "%s:\n", key);
          else if (l->is_list)
            fprintf (r->out, "-\n");
          l->count++;
        }
    }
  push (r, is_list);
}

static void
end (Report *r)
{
  g_return_if_fail (r->stack->len > 0);
  Level l = *top (r);
  g_array_set_size (r->stack, r->stack->len - 1);
  if (r->json)
    {
      if (l.count > 0)
        {
          fputc ('\n', r->out);
          for (guint i = 0; i < r->stack->len; i++)
            fputs ("  ", r->out);
        }
      fputc (l.is_list ? ']' : '}', r->out);
      if (r->stack->len == 0)
        fputc ('\n', r->out);
    }
}

void report_begin_object (Report *r, const char *key) { begin (r, key, FALSE); }
void report_end_object (Report *r) { end (r); }
void report_begin_list (Report *r, const char *key) { begin (r, key, TRUE); }
void report_end_list (Report *r) { end (r); }

void
report_free (Report *r)
{
  if (r == NULL)
    return;
  while (r->stack->len > 0)
    end (r);
  fflush (r->out);
  g_array_unref (r->stack);
  g_free (r);
}

/* A scalar: text form "key: value", JSON form the raw token. */
static void
scalar (Report *r, const char *key, const char *text, const char *json_token)
{
  if (r->json)
    {
      json_lead (r, key);
      fputs (json_token, r->out);
      return;
    }
  Level *l = top (r);
  indent (r);
  if (key != NULL)
    fprintf (r->out, "%s: %s\n", key, text);
  else
    fprintf (r->out, "%s%s\n", (l && l->is_list) ? "- " : "", text);
  if (l)
    l->count++;
}

void
report_str (Report *r, const char *key, const char *value)
{
  if (r->json)
    {
      json_lead (r, key);
      if (value == NULL)
        fputs ("null", r->out);
      else
        json_string (r->out, value);
      return;
    }
  scalar (r, key, value ? value : "(none)", NULL);
}

void
report_strf (Report *r, const char *key, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *s = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  report_str (r, key, s);
}

void
report_int (Report *r, const char *key, int64_t value)
{
  char buf[32];
  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, value);
  scalar (r, key, buf, buf);
}

void
report_uint (Report *r, const char *key, uint64_t value)
{
  char buf[32];
  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, value);
  scalar (r, key, buf, buf);
}

void
report_hex (Report *r, const char *key, uint64_t value)
{
  char text[32], num[32];
  g_snprintf (text, sizeof text, "0x%" G_GINT64_MODIFIER "x", value);
  g_snprintf (num, sizeof num, "%" G_GUINT64_FORMAT, value);
  scalar (r, key, text, num);
}

void
report_double (Report *r, const char *key, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (!isfinite (value))
    {
      scalar (r, key, isnan (value) ? "nan" : (value > 0 ? "inf" : "-inf"), "null");
      return;
    }
  g_ascii_formatd (buf, sizeof buf, "%.6g", value);
  scalar (r, key, buf, buf);
}

void
report_bool (Report *r, const char *key, gboolean value)
{
  scalar (r, key, value ? "yes" : "no", value ? "true" : "false");
}

void
report_text (Report *r, const char *fmt, ...)
{
  if (r->json)
    return;
  va_list ap;
  va_start (ap, fmt);
  vfprintf (r->out, fmt, ap);
  va_end (ap);
  fputc ('\n', r->out);
}
