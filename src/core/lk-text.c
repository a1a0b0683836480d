/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <string.h>

#include "lk-text.h"

/**
 * lk_text_char_is_control:
 *
 * The characters no value Latchkey reads from outside may hold (a profile
 * field, an address, a name): C0 and C1 controls and DEL (a line break ends
 * a value in every mail client's configuration syntax, CR and NEL too in
 * some), the Unicode line and paragraph separators, and the bidirectional
 * embeddings, overrides and isolates that make a file read differently on
 * screen from what a program reads ("Trojan Source", CVE-2021-42574).
 */
gboolean
lk_text_char_is_control (gunichar c)
{
  return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
         c == 0x2028 || c == 0x2029 ||
         (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/**
 * lk_text_is_plain:
 * @text: (nullable): a value read from outside
 *
 * Returns: %TRUE when @text is valid UTF-8 without any character of
 *   lk_text_char_is_control(); %FALSE for %NULL.
 */
gboolean
lk_text_is_plain (const char *text)
{
  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (lk_text_char_is_control (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

/**
 * lk_text_is_b64token:
 * @text: (nullable): an access token
 *
 * An access token goes into SASL strings, onto standard output and into
 * mail clients: it must be an RFC 6750 §2.1 b64token (letters, digits,
 * "-._~+/", then "="s), which keeps out every space, quote and control
 * character. Also compiled into the latchkey-cli launcher (GLib only).
 */
gboolean
lk_text_is_b64token (const char *text)
{
  const char *p = text;

  if (text == NULL)
    return FALSE;
  while (*p != '\0' && (g_ascii_isalnum (*p) || strchr ("-._~+/", *p) != NULL))
    p++;
  if (p == text)
    return FALSE;
  while (*p == '=')
    p++;
  return *p == '\0';
}
