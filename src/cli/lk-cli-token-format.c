/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What `latchkey-cli token --format` prints. Shared by the launcher's fast
 * path and the full program, so that both print exactly the same thing; it
 * links nothing but GLib.
 */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <string.h>

#include "lk-cli-token-format.h"

static const char * const formats[] = { "raw", "xoauth2", "oauthbearer", "json" };

gboolean
lk_cli_token_format_is_valid (const char *format)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if (g_strcmp0 (format, formats[i]) == 0)
      return TRUE;
  return FALSE;
}

static char *
base64_line (GString *sasl)
{
  char *encoded = g_base64_encode ((const guchar *) sasl->str, sasl->len);
  char *line = g_strconcat (encoded, "\n", NULL);

  explicit_bzero (sasl->str, sasl->len);
  explicit_bzero (encoded, strlen (encoded));
  g_free (encoded);
  return line;
}

/**
 * lk_cli_token_format:
 * @format: "raw", "xoauth2", "oauthbearer" or "json"
 *
 * Returns: (transfer full): the text to print, ending in a newline; wipe
 *   it after use.
 */
char *
lk_cli_token_format (const char *format,
                     const char *sasl_user,
                     const char *access_token,
                     gint64      expires_at)
{
  g_autoptr(GString) s = g_string_new (NULL);

  if (g_strcmp0 (format, "raw") == 0)
    return g_strconcat (access_token, "\n", NULL);

  if (g_strcmp0 (format, "xoauth2") == 0)
    {
      /* doc/protocols.md A4 */
      g_string_append_printf (s, "user=%s\001auth=Bearer %s\001\001", sasl_user, access_token);
      return base64_line (s);
    }
  if (g_strcmp0 (format, "oauthbearer") == 0)
    {
      /* RFC 7628 §3.1: "," and "=" in the authzid are escaped as =2C and =3D. */
      g_autoptr(GString) user = g_string_new (sasl_user);

      g_string_replace (user, "=", "=3D", 0);
      g_string_replace (user, ",", "=2C", 0);
      g_string_append_printf (s, "n,a=%s,\001auth=Bearer %s\001\001", user->str, access_token);
      return base64_line (s);
    }
  if (g_strcmp0 (format, "json") == 0)
    {
      g_autofree char *user = g_strescape (sasl_user, NULL);
      gint64 now = g_get_real_time () / G_USEC_PER_SEC;

      /* Tokens are base64url or opaque printable strings; escape anyway. */
      g_autofree char *token = g_strescape (access_token, NULL);
      g_string_append_printf (s, "{\"account\":\"%s\",\"access_token\":\"%s\","
                              "\"expires_at\":%" G_GINT64_FORMAT ","
                              "\"expires_in\":%" G_GINT64_FORMAT "}\n",
                              user, token, expires_at, MAX (expires_at - now, 0));
      explicit_bzero (token, strlen (token));
      return g_string_free (g_steal_pointer (&s), FALSE);
    }
  return NULL;
}
