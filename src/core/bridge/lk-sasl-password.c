/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <string.h>

#include "bridge/lk-sasl-password.h"
#include "lk-error.h"
#include "mail/lk-sasl.h"

/* Messages here go to the client only in general terms ("malformed"), so
 * they stay untranslated protocol text. */

static gboolean
field_is_valid (const char *field,
                gsize       length)
{
  return length > 0 && length <= LK_SASL_MAX_FIELD && g_utf8_validate (field, length, NULL);
}

static void
wipe_raw (guchar *raw,
          gsize   length)
{
  if (raw == NULL)
    return;
  memset (raw, 0, length);
  g_free (raw);
}

/**
 * lk_sasl_plain_decode:
 * @response: the client's base64 response
 * @out_user: (out): the authentication identity (authcid)
 * @out_password: (out): the password
 *
 * Decodes "[authzid] NUL authcid NUL passwd". An authorization identity
 * other than the authentication identity would mean "log me in as someone
 * else", which the bridge never does: it is refused.
 */
gboolean
lk_sasl_plain_decode (const char  *response,
                      char       **out_user,
                      char       **out_password,
                      GError     **error)
{
  gsize length = 0;
  guchar *raw = lk_sasl_base64_decode (response, &length);
  const char *authzid, *authcid, *password, *end;
  const char *nul1, *nul2;

  *out_user = NULL;
  *out_password = NULL;
  if (raw == NULL)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_PROTOCOL, "Malformed base64");
      return FALSE;
    }
  authzid = (const char *) raw;
  end = authzid + length;
  nul1 = memchr (authzid, '\0', length);
  nul2 = nul1 != NULL ? memchr (nul1 + 1, '\0', end - nul1 - 1) : NULL;
  if (nul1 == NULL || nul2 == NULL || memchr (nul2 + 1, '\0', end - nul2 - 1) != NULL)
    {
      wipe_raw (raw, length);
      g_set_error_literal (error, LK_ERROR, LK_ERROR_PROTOCOL, "Malformed PLAIN response");
      return FALSE;
    }
  authcid = nul1 + 1;
  password = nul2 + 1;
  if (!field_is_valid (authcid, nul2 - authcid) || !field_is_valid (password, end - password)
      || (nul1 != authzid && !field_is_valid (authzid, nul1 - authzid)))
    {
      wipe_raw (raw, length);
      g_set_error_literal (error, LK_ERROR, LK_ERROR_PROTOCOL, "Malformed PLAIN response");
      return FALSE;
    }
  if (nul1 != authzid && strcmp (authzid, authcid) != 0)
    {
      wipe_raw (raw, length);
      g_set_error_literal (error, LK_ERROR, LK_ERROR_PROTOCOL,
                           "Logging in as another user is not supported");
      return FALSE;
    }
  *out_user = g_strdup (authcid);
  *out_password = g_strdup (password);
  wipe_raw (raw, length);
  return TRUE;
}

/**
 * lk_sasl_login_decode:
 * @response: the client's base64 answer to one LOGIN challenge
 *
 * Returns: (nullable): the user name or password it carries, non-empty
 *   valid UTF-8 without NUL; NULL with @error otherwise
 */
char *
lk_sasl_login_decode (const char  *response,
                      GError     **error)
{
  gsize length = 0;
  guchar *raw = lk_sasl_base64_decode (response, &length);
  char *field;

  if (raw == NULL || memchr (raw, '\0', length) != NULL
      || !field_is_valid ((const char *) raw, length))
    {
      wipe_raw (raw, length);
      g_set_error_literal (error, LK_ERROR, LK_ERROR_PROTOCOL, "Malformed LOGIN response");
      return NULL;
    }
  field = g_strndup ((const char *) raw, length);
  wipe_raw (raw, length);
  return field;
}

/* "*" alone ends a SASL exchange at the client's request (RFC 4954 §4,
 * RFC 9051 §6.2.2, RFC 5034 §4). */
gboolean
lk_sasl_is_cancel (const char *response)
{
  return strcmp (response, "*") == 0;
}
