/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <stdarg.h>

#include "bridge/lk-bridge-log.h"
#include "lk-text.h"

#define MAX_SHOWN 128

/**
 * lk_bridge_log_safe:
 *
 * @text as it may appear in a log line: valid UTF-8 whose control
 * characters (lk_text_char_is_control(): CR and LF first) became "?", at
 * most %MAX_SHOWN characters. What a client sends must not forge log lines: fail2ban reads
 * them.
 */
char *
lk_bridge_log_safe (const char *text)
{
  g_autofree char *valid = NULL;
  GString *out;
  glong n = 0;

  if (text == NULL)
    return NULL;
  valid = g_utf8_make_valid (text, -1);
  out = g_string_new (NULL);
  for (const char *p = valid; *p != '\0' && n < MAX_SHOWN; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      if (lk_text_char_is_control (c))
        g_string_append_c (out, '?');
      else
        g_string_append_unichar (out, c);
    }
  if (*valid != '\0' && n >= MAX_SHOWN && g_utf8_strlen (valid, -1) > MAX_SHOWN)
    g_string_append (out, "…");
  return g_string_free (out, FALSE);
}

static void
add (GLogField  *fields,
     gsize      *n,
     const char *key,
     const char *value)
{
  if (value == NULL)
    return;
  fields[*n].key = key;
  fields[*n].value = value;
  fields[*n].length = -1;
  (*n)++;
}

/**
 * lk_bridge_log:
 *
 * Logs one bridge event through GLib's structured logging: the message
 * for a person, and @fields as journal fields. Logins and session ends
 * use G_LOG_LEVEL_MESSAGE so that the journal keeps them without
 * G_MESSAGES_DEBUG.
 */
void
lk_bridge_log (GLogLevelFlags           level,
               const LkBridgeLogFields *fields,
               const char              *format,
               ...)
{
  g_autofree char *message = NULL;
  g_autofree char *bytes_in = NULL;
  g_autofree char *bytes_out = NULL;
  g_autofree char *duration = NULL;
  GLogField out[16];
  gsize n = 0;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  /* syslog priorities, as GLib maps its levels (g_log_structured() adds
   * this field itself; g_log_structured_array() does not). */
  add (out, &n, "PRIORITY", level & G_LOG_LEVEL_ERROR ? "3"
                            : level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING) ? "4"
                            : level & G_LOG_LEVEL_MESSAGE ? "5"
                            : level & G_LOG_LEVEL_INFO ? "6" : "7");
  add (out, &n, "GLIB_DOMAIN", G_LOG_DOMAIN);
  add (out, &n, "MESSAGE", message);
  add (out, &n, "LK_CONNECTION", fields->connection);
  add (out, &n, "LK_SOURCE_ADDRESS", fields->source_address);
  add (out, &n, "LK_PROTOCOL", fields->protocol);
  add (out, &n, "LK_USER", fields->user);
  add (out, &n, "LK_ACCOUNT", fields->account);
  add (out, &n, "LK_RESULT", fields->result);
  if (fields->bytes_in >= 0)
    add (out, &n, "LK_BYTES_IN", bytes_in = g_strdup_printf ("%" G_GINT64_FORMAT, fields->bytes_in));
  if (fields->bytes_out >= 0)
    add (out, &n, "LK_BYTES_OUT", bytes_out = g_strdup_printf ("%" G_GINT64_FORMAT, fields->bytes_out));
  if (fields->duration_ms >= 0)
    add (out, &n, "LK_DURATION_MS", duration = g_strdup_printf ("%" G_GINT64_FORMAT, fields->duration_ms));
  g_log_structured_array (level, out, n);
}
