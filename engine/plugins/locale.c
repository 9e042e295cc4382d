/* SPDX-License-Identifier: GPL-3.0-or-later */
/* locale.c: LocalePlugin, the host's locale as Squeak's Locale class asks
 * for it: country and language codes, currency, number punctuation, date
 * and time formats, the time zone.
 *
 * The answers are the ones a Unix VM gives.  The locale is the process
 * environment's (LC_ALL, else LANG): its name gives the ISO two-letter
 * language ("en" from "en_US.UTF-8") and country ("US"), defaulting to en
 * and US for C, POSIX or a malformed name; punctuation, currency and
 * formats come from the C library's data for that locale, read through a
 * locale object of our own (newlocale), so the process-wide locale is
 * never changed.  A locale that is not installed reads as "C".  The VM
 * clock is local time, so primitiveVMOffsetToUTC answers 0 and
 * primitiveTimezoneOffset the minutes east of UTC now. */
#include "config.h"

#include <ctype.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins.h"

/* The locale name the country and language come from. */
static const char *
locale_name (void)
{
  const char *l = g_getenv ("LC_ALL");
  if (l == NULL || *l == '\0')
    l = g_getenv ("LANG");
  if (l == NULL || *l == '\0' || strcmp (l, "C") == 0 || strcmp (l, "POSIX") == 0 || strchr (l, ' ') != NULL
      || strchr (l, '/') != NULL)
    return "en_US";
  return l;
}

/* "ll" of ll, ll.enc, ll_CC, ll_CC.enc (else "en") into buf[3]. */
static void
locale_language (char buf[3])
{
  const char *l = locale_name ();
  if (isalpha ((guchar) l[0]) && isalpha ((guchar) l[1]) && (l[2] == '\0' || l[2] == '_' || l[2] == '.'))
    {
      buf[0] = l[0];
      buf[1] = l[1];
    }
  else
    buf[0] = 'e', buf[1] = 'n';
  buf[2] = '\0';
}

/* "CC" of _CC or ll_CC.enc (else "US") into buf[3]. */
static void
locale_country (char buf[3])
{
  const char *l = locale_name ();
  const char *u = strrchr (l, '_');
  buf[0] = 'U', buf[1] = 'S', buf[2] = '\0';
  if (u == NULL)
    return;
  u++;
  const char *end = strchr (u, '.');
  if (end == NULL)
    end = strchr (u, '@');
  if (end == NULL)
    end = u + strlen (u);
  if (end - u == 2)
    buf[0] = u[0], buf[1] = u[1];
}

/* One item of the C library's data for the environment's locale. */
static char *
langinfo (nl_item item)
{
  locale_t loc = newlocale (LC_ALL_MASK, "", (locale_t) 0);
  if (loc == (locale_t) 0)
    loc = newlocale (LC_ALL_MASK, "C", (locale_t) 0);
  if (loc == (locale_t) 0)
    return g_strdup ("");
  char *s = g_strdup (nl_langinfo_l (item, loc));
  freelocale (loc);
  return s;
}

static StPrimResult
answer_string (StVM *vm, int argc, const char *s)
{
  StInterp *it = st_interp (vm);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  StOop str = st_interp_new_string (it, s);
  if (str == 0)
    return ST_PRIM_ERR_NO_MEMORY;
  return st_prim_return (it, argc, str);
}

static StPrimResult
answer_bool (StVM *vm, int argc, bool b)
{
  StInterp *it = st_interp (vm);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  return st_prim_return (it, argc, st_bool (it, b));
}

static StPrimResult
locale_country_prim (StVM *vm, int argc)
{
  char c[3];
  locale_country (c);
  return answer_string (vm, argc, c);
}

static StPrimResult
locale_language_prim (StVM *vm, int argc)
{
  char l[3];
  locale_language (l);
  return answer_string (vm, argc, l);
}

/* CRNCYSTR is the symbol preceded by '-' (before the amount), '+' (after)
 * or '.' (in place of the radix character). */
static StPrimResult
locale_currency_symbol (StVM *vm, int argc)
{
  g_autofree char *c = langinfo (CRNCYSTR);
  return answer_string (vm, argc, c[0] != '\0' ? c + 1 : c);
}

static StPrimResult
locale_currency_notation (StVM *vm, int argc)
{
  g_autofree char *c = langinfo (CRNCYSTR);
  return answer_bool (vm, argc, c[0] != '+' && c[0] != '.');
}

static StPrimResult
locale_decimal_symbol (StVM *vm, int argc)
{
  g_autofree char *s = langinfo (RADIXCHAR);
  return answer_string (vm, argc, s[0] != '\0' ? s : ".");
}

static StPrimResult
locale_digit_grouping_symbol (StVM *vm, int argc)
{
  g_autofree char *s = langinfo (THOUSEP);
  return answer_string (vm, argc, s);
}

/* Metric everywhere but where the C library says US units. */
static StPrimResult
locale_measurement_metric (StVM *vm, int argc)
{
  bool metric = true;
#ifdef _NL_MEASUREMENT_MEASUREMENT
  g_autofree char *m = langinfo (_NL_MEASUREMENT_MEASUREMENT);
  metric = m[0] != 2;
#endif
  return answer_bool (vm, argc, metric);
}

static StPrimResult
locale_date_format (StVM *vm, int argc)
{
  g_autofree char *s = langinfo (D_FMT);
  return answer_string (vm, argc, s);
}

static StPrimResult
locale_time_format (StVM *vm, int argc)
{
  g_autofree char *s = langinfo (T_FMT);
  return answer_string (vm, argc, s);
}

static bool
local_now (struct tm *tm)
{
  time_t now = time (NULL);
  return localtime_r (&now, tm) != NULL;
}

static StPrimResult
locale_timezone_offset (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  struct tm tm;
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  if (!local_now (&tm))
    return ST_PRIM_FAIL;
  return st_prim_return (it, argc, st_smallint_oop (tm.tm_gmtoff / 60));
}

static StPrimResult
locale_daylight_savings (StVM *vm, int argc)
{
  struct tm tm;
  if (!local_now (&tm))
    return ST_PRIM_FAIL;
  return answer_bool (vm, argc, tm.tm_isdst > 0);
}

static StPrimResult
locale_vm_offset_to_utc (StVM *vm, int argc)
{
  StInterp *it = st_interp (vm);
  if (argc != 0)
    return ST_PRIM_ERR_BAD_NUM_ARGS;
  return st_prim_return (it, argc, st_smallint_oop (0));
}

const StNamedPrim st_plugin_locale[] = {
  { "primitiveCountry", locale_country_prim },
  { "primitiveLanguage", locale_language_prim },
  { "primitiveCurrencySymbol", locale_currency_symbol },
  { "primitiveCurrencyNotation", locale_currency_notation },
  { "primitiveDecimalSymbol", locale_decimal_symbol },
  { "primitiveDigitGroupingSymbol", locale_digit_grouping_symbol },
  { "primitiveMeasurementMetric", locale_measurement_metric },
  { "primitiveLongDateFormat", locale_date_format },
  { "primitiveShortDateFormat", locale_date_format },
  { "primitiveTimeFormat", locale_time_format },
  { "primitiveTimezoneOffset", locale_timezone_offset },
  { "primitiveDaylightSavings", locale_daylight_savings },
  { "primitiveVMOffsetToUTC", locale_vm_offset_to_utc },
  { NULL, NULL },
};
