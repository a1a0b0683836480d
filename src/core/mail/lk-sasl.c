/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-mail"

#include "config.h"

#include <string.h>

#include "lk-sasl.h"

const char *
lk_sasl_mechanism_to_string (LkSaslMechanism mechanism)
{
  switch (mechanism)
    {
    case LK_SASL_XOAUTH2:
      return "XOAUTH2";
    case LK_SASL_OAUTHBEARER:
      return "OAUTHBEARER";
    case LK_SASL_NONE:
    default:
      return NULL;
    }
}

LkSaslMechanism
lk_sasl_mechanism_from_string (const char *name)
{
  if (name == NULL)
    return LK_SASL_NONE;
  if (g_ascii_strcasecmp (name, "XOAUTH2") == 0)
    return LK_SASL_XOAUTH2;
  if (g_ascii_strcasecmp (name, "OAUTHBEARER") == 0)
    return LK_SASL_OAUTHBEARER;
  return LK_SASL_NONE;
}

/* Base64 of a buffer that holds the token; the buffer is wiped. */
static char *
encode_and_wipe (GString *raw)
{
  char *encoded = g_base64_encode ((const guchar *) raw->str, raw->len);

  memset (raw->str, 0, raw->len);
  g_string_free (raw, TRUE);
  return encoded;
}

/**
 * lk_sasl_xoauth2_initial_response:
 *
 * Returns: base64 ("user=" U ^A "auth=Bearer " T ^A ^A)
 */
char *
lk_sasl_xoauth2_initial_response (const char *user,
                                  const char *access_token)
{
  GString *raw;

  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (access_token != NULL, NULL);

  raw = g_string_sized_new (strlen (user) + strlen (access_token) + 32);
  g_string_append_printf (raw, "user=%s\001auth=Bearer %s\001\001", user, access_token);
  return encode_and_wipe (raw);
}

/**
 * lk_sasl_oauthbearer_initial_response:
 * @host: (nullable): the server's host name, sent as host=
 * @port: the server's port, sent as port= unless 0
 *
 * RFC 7628 §3.1, with the GS2 header's authzid escaped as RFC 5801 says
 * ("," → "=2C", "=" → "=3D").
 */
char *
lk_sasl_oauthbearer_initial_response (const char *user,
                                      const char *host,
                                      guint       port,
                                      const char *access_token)
{
  GString *raw;

  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (access_token != NULL, NULL);

  raw = g_string_sized_new (strlen (user) + strlen (access_token) + 64);
  g_string_append (raw, "n,a=");
  for (const char *p = user; *p != '\0'; p++)
    {
      if (*p == ',')
        g_string_append (raw, "=2C");
      else if (*p == '=')
        g_string_append (raw, "=3D");
      else
        g_string_append_c (raw, *p);
    }
  g_string_append (raw, ",\001");
  if (host != NULL && *host != '\0')
    g_string_append_printf (raw, "host=%s\001", host);
  if (port != 0)
    g_string_append_printf (raw, "port=%u\001", port);
  g_string_append_printf (raw, "auth=Bearer %s\001\001", access_token);
  return encode_and_wipe (raw);
}

char *
lk_sasl_initial_response (LkSaslMechanism  mechanism,
                          const char      *user,
                          const char      *host,
                          guint            port,
                          const char      *access_token)
{
  switch (mechanism)
    {
    case LK_SASL_XOAUTH2:
      return lk_sasl_xoauth2_initial_response (user, access_token);
    case LK_SASL_OAUTHBEARER:
      return lk_sasl_oauthbearer_initial_response (user, host, port, access_token);
    case LK_SASL_NONE:
    default:
      g_return_val_if_reached (NULL);
    }
}

/**
 * lk_sasl_base64_decode:
 * @text: base64 as a SASL peer sends it (RFC 4648 §4, padded)
 * @out_length: (out): the number of bytes decoded
 *
 * Decodes strictly: only the base64 alphabet, "=" only as the final
 * padding, a length that is a multiple of four. GLib's decoder skips what
 * it does not understand, which would let a malformed response through.
 *
 * Returns: (nullable): the bytes, NUL-terminated for convenience; NULL
 *   when @text is empty or not base64
 */
guchar *
lk_sasl_base64_decode (const char *text,
                       gsize      *out_length)
{
  gsize len = strlen (text);
  gsize padding = 0;

  *out_length = 0;
  if (len == 0 || len % 4 != 0)
    return NULL;
  while (padding < 2 && text[len - 1 - padding] == '=')
    padding++;
  for (gsize i = 0; i < len - padding; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/')
      return NULL;
  {
    guchar *raw = g_malloc (len / 4 * 3 + 3);
    gint state = 0;
    guint save = 0;

    *out_length = g_base64_decode_step (text, len, raw, &state, &save);
    raw[*out_length] = '\0';
    return raw;
  }
}

/**
 * lk_sasl_decode_challenge:
 * @base64: a server's challenge, as sent after "+ " or "334 "
 *
 * Decodes the error challenge that XOAUTH2 and OAUTHBEARER servers send on
 * failure (base64 JSON such as {"status":"401","schemes":"bearer"}).
 *
 * Returns: (nullable): the decoded text, valid UTF-8 without control
 *   characters, or NULL when @base64 is empty or not base64 of text
 */
char *
lk_sasl_decode_challenge (const char *base64)
{
  g_autofree guchar *raw = NULL;
  gsize len = 0;
  GString *text;

  if (base64 == NULL)
    return NULL;
  while (*base64 == ' ')
    base64++;
  raw = lk_sasl_base64_decode (base64, &len);
  if (raw == NULL || len == 0 || !g_utf8_validate ((const char *) raw, len, NULL))
    return NULL;

  text = g_string_sized_new (len);
  for (gsize i = 0; i < len; i++)
    {
      guchar c = raw[i];

      if (c < 0x20 || c == 0x7f)
        {
          if (c == '\n' || c == '\t' || c == '\r')
            g_string_append_c (text, ' ');
          else
            {
              g_string_free (text, TRUE);
              return NULL;
            }
        }
      else
        g_string_append_c (text, (char) c);
    }
  return g_string_free (text, FALSE);
}

/**
 * lk_sasl_failure_reply:
 *
 * What a client answers to a failure challenge before the server fails the
 * exchange: an empty line for XOAUTH2 (Google's protocol), "AQ==" (a single
 * %x01) for OAUTHBEARER (RFC 7628 §3.2.3).
 */
const char *
lk_sasl_failure_reply (LkSaslMechanism mechanism)
{
  return mechanism == LK_SASL_OAUTHBEARER ? "AQ==" : "";
}

/**
 * lk_sasl_choose:
 * @preferred: (nullable): the provider profile's `sasl` list, best first;
 *   NULL means OAUTHBEARER then XOAUTH2 (doc/protocols.md A4)
 * @advertised: (nullable): what the server offers
 *
 * Returns: the first of @preferred that the server advertises and that
 *   Latchkey speaks, or LK_SASL_NONE
 */
LkSaslMechanism
lk_sasl_choose (const char * const *preferred,
                const char * const *advertised)
{
  static const char * const fallback[] = { "OAUTHBEARER", "XOAUTH2", NULL };

  if (advertised == NULL)
    return LK_SASL_NONE;
  if (preferred == NULL)
    preferred = fallback;

  for (gsize i = 0; preferred[i] != NULL; i++)
    {
      LkSaslMechanism mechanism = lk_sasl_mechanism_from_string (preferred[i]);

      if (mechanism == LK_SASL_NONE)
        continue;
      for (gsize j = 0; advertised[j] != NULL; j++)
        if (g_ascii_strcasecmp (preferred[i], advertised[j]) == 0)
          return mechanism;
    }
  return LK_SASL_NONE;
}
