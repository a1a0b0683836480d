/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "lk-error.h"

typedef LkErrorDetails LkErrorPrivate;

static void
lk_error_private_init (LkErrorPrivate *priv)
{
  memset (priv, 0, sizeof *priv);
}

static void
lk_error_private_copy (const LkErrorPrivate *src,
                       LkErrorPrivate       *dest)
{
  dest->oauth_error = g_strdup (src->oauth_error);
  dest->oauth_error_description = g_strdup (src->oauth_error_description);
  dest->aadsts = src->aadsts;
  dest->http_status = src->http_status;
  dest->server_reply = g_strdup (src->server_reply);
  dest->challenge = g_strdup (src->challenge);
  dest->remedy = src->remedy;
  dest->account = g_strdup (src->account);
  dest->trace_id = g_strdup (src->trace_id);
  dest->correlation_id = g_strdup (src->correlation_id);
}

static void
lk_error_private_clear (LkErrorPrivate *priv)
{
  g_clear_pointer (&priv->oauth_error, g_free);
  g_clear_pointer (&priv->oauth_error_description, g_free);
  g_clear_pointer (&priv->server_reply, g_free);
  g_clear_pointer (&priv->challenge, g_free);
  g_clear_pointer (&priv->account, g_free);
  g_clear_pointer (&priv->trace_id, g_free);
  g_clear_pointer (&priv->correlation_id, g_free);
}

/* An extended error domain (GLib 2.68) so that the facts a diagnosis needs
 * travel with the GError through g_prefix_error() and GTask. */
G_DEFINE_EXTENDED_ERROR (LkError, lk_error)

const LkErrorDetails *
lk_error_get_details (const GError *error)
{
  if (error == NULL || error->domain != LK_ERROR)
    return NULL;
  return lk_error_get_private (error);
}

LkErrorDetails *
lk_error_get_details_mut (GError *error)
{
  if (error == NULL || error->domain != LK_ERROR)
    return NULL;
  return lk_error_get_private (error);
}

/**
 * lk_error_parse_aadsts:
 * @text: (nullable): an error description such as "AADSTS50011: The redirect…"
 *
 * Returns: the first AADSTS number in @text, or 0.
 */
guint
lk_error_parse_aadsts (const char *text)
{
  const char *p;

  if (text == NULL)
    return 0;
  for (p = strstr (text, "AADSTS"); p != NULL; p = strstr (p + 1, "AADSTS"))
    {
      const char *digits = p + strlen ("AADSTS");
      guint64 value = 0;
      guint n = 0;

      while (g_ascii_isdigit (digits[n]) && n < 9)
        {
          value = value * 10 + (guint64) (digits[n] - '0');
          n++;
        }
      if (n > 0)
        return (guint) value;
    }
  return 0;
}

void
lk_error_set_oauth (GError     *error,
                    const char *oauth_error,
                    const char *description,
                    guint       http_status)
{
  LkErrorDetails *details = lk_error_get_details_mut (error);

  g_return_if_fail (details != NULL);

  g_free (details->oauth_error);
  details->oauth_error = g_strdup (oauth_error);
  g_free (details->oauth_error_description);
  details->oauth_error_description = g_strdup (description);
  details->aadsts = lk_error_parse_aadsts (description);
  details->http_status = http_status;
}

void
lk_error_set_server_reply (GError     *error,
                           const char *reply,
                           const char *challenge)
{
  LkErrorDetails *details = lk_error_get_details_mut (error);

  g_return_if_fail (details != NULL);

  g_free (details->server_reply);
  details->server_reply = g_strdup (reply);
  g_free (details->challenge);
  details->challenge = g_strdup (challenge);
}

/* A request id as Microsoft writes them (a GUID); anything else a server
 * sends is dropped rather than shown as an id. */
static char *
dup_request_id (const char *text,
                gsize       length)
{
  if (text == NULL || length == 0 || length > 64)
    return NULL;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isxdigit (text[i]) && text[i] != '-')
      return NULL;
  return g_strndup (text, length);
}

/* The id after @label ("Trace ID: ") in @description, as Microsoft's
 * error_description carries it on a line of its own. */
static char *
find_request_id (const char *description,
                 const char *label)
{
  const char *start = description != NULL ? strstr (description, label) : NULL;

  if (start == NULL)
    return NULL;
  start += strlen (label);
  while (*start == ' ')
    start++;
  return dup_request_id (start, strspn (start, "0123456789abcdefABCDEF-"));
}

/**
 * lk_error_set_request_ids:
 * @trace_id: (nullable): the `trace_id` member of a token error response
 * @correlation_id: (nullable): its `correlation_id` member
 * @description: (nullable): the whole error_description, whose "Trace ID:"
 *   and "Correlation ID:" lines are used where the members are missing
 *
 * Keeps the ids an administrator quotes to look the failure up in the
 * identity provider's sign-in logs. They identify a request, not a person,
 * and hold no secret.
 */
void
lk_error_set_request_ids (GError     *error,
                          const char *trace_id,
                          const char *correlation_id,
                          const char *description)
{
  LkErrorDetails *details = lk_error_get_details_mut (error);

  g_return_if_fail (details != NULL);

  g_free (details->trace_id);
  details->trace_id = trace_id != NULL ? dup_request_id (trace_id, strlen (trace_id)) : NULL;
  if (details->trace_id == NULL)
    details->trace_id = find_request_id (description, "Trace ID:");
  g_free (details->correlation_id);
  details->correlation_id = correlation_id != NULL
    ? dup_request_id (correlation_id, strlen (correlation_id)) : NULL;
  if (details->correlation_id == NULL)
    details->correlation_id = find_request_id (description, "Correlation ID:");
}

/**
 * lk_error_set_remedy:
 * @account: (nullable): the account's address
 *
 * Says what the person can do about @error, for front ends that offer it
 * in their own way (the CLI names its command). The message itself should
 * say it in words too.
 */
void
lk_error_set_remedy (GError     *error,
                     LkRemedy    remedy,
                     const char *account)
{
  LkErrorDetails *details = lk_error_get_details_mut (error);

  g_return_if_fail (details != NULL);

  details->remedy = remedy;
  g_free (details->account);
  details->account = g_strdup (account);
}

gboolean
lk_error_is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}
