/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lk-fuzz.h"

static gboolean allow_markup_double_error = FALSE;

/* GLib 2.74's GMarkup sets an error for some malformed documents (an invalid
 * name, a bad CDATA section…) without stopping, then sets another one, its
 * own or that of the next callback, over it inside the same call of
 * g_markup_parse_context_parse(); GLib then warns about its own mistake.
 * lk_autoconfig_parse() cannot prevent it and still fails with an error, so
 * in the autoconfig target (lk_fuzz_allow_markup_double_error()) that one
 * warning is not a crash. */
static gboolean
is_glib_markup_double_error (const GLogField *fields,
                             gsize            n_fields)
{
  const char *domain = NULL, *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }
  return allow_markup_double_error &&
         g_strcmp0 (domain, "GLib") == 0 && message != NULL &&
         g_str_has_prefix (message, "GError set over the top of a previous GError");
}

void
lk_fuzz_allow_markup_double_error (void)
{
  allow_markup_double_error = TRUE;
}

static GLogWriterOutput
quiet_writer (GLogLevelFlags   log_level,
              const GLogField *fields,
              gsize            n_fields,
              gpointer         user_data)
{
  /* A parser may explain itself at debug level; only warnings and worse
   * matter here. */
  if (log_level & G_LOG_LEVEL_WARNING && is_glib_markup_double_error (fields, n_fields))
    return G_LOG_WRITER_HANDLED;
  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      g_log_writer_standard_streams (log_level, fields, n_fields, user_data);
      /* GLib would stop with SIGTRAP, which libFuzzer does not catch: abort
       * so that it keeps the input. */
      abort ();
    }
  return G_LOG_WRITER_HANDLED;
}

/**
 * lk_fuzz_init:
 *
 * Makes a critical or a warning fatal (quiet_writer aborts): a parser that
 * is fed any bytes must answer with a GError, never by tripping a
 * g_return_if_fail() somewhere.
 */
void
lk_fuzz_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      g_log_set_writer_func (quiet_writer, NULL, NULL);
      g_once_init_leave (&initialized, 1);
    }
}

/* The input as a C string: what a line parser sees stops at the first NUL,
 * as it would after the line reader. */
char *
lk_fuzz_to_string (const uint8_t *data,
                   size_t         size)
{
  const uint8_t *nul = memchr (data, '\0', size);

  return g_strndup ((const char *) data, nul != NULL ? (gsize) (nul - data) : size);
}

/* The input as lines, split at LF with a trailing CR dropped, as
 * LkLineReader hands them to the probes. */
char **
lk_fuzz_split_lines (const uint8_t *data,
                     size_t         size)
{
  g_autofree char *text = lk_fuzz_to_string (data, size);
  char **lines = g_strsplit (text, "\n", -1);

  for (gsize i = 0; lines[i] != NULL; i++)
    {
      gsize len = strlen (lines[i]);

      if (len > 0 && lines[i][len - 1] == '\r')
        lines[i][len - 1] = '\0';
    }
  return lines;
}
