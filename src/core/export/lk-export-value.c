/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-text.h"
#include "export/lk-export-value.h"

/* Longer than any address, path or URL a mail client needs; bounds what a
 * damaged profile can make a client read. */
#define MAX_VALUE_LENGTH 2048

/* The value as it may be shown in a message: control characters escaped,
 * cut short, so that the message itself holds none. */
static char *
printable (const char *value)
{
  g_autofree char *valid = g_utf8_make_valid (value, MIN (strlen (value), 80));
  GString *out = g_string_new (NULL);

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (lk_text_char_is_control (c))
        g_string_append_printf (out, "\\u%04X", c);
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

/**
 * lk_export_value_check:
 * @what: the field, as a person would look for it ("login", "ca_file",
 *   "servers.imap.host"); named in the error
 * @value: what is about to be written
 *
 * The rule every value obeys before any client's quoting: not empty, valid
 * UTF-8, no character of lk_text_char_is_control() (every configuration
 * syntax ends a value, a comment or a command at a line break; some at CR
 * or NEL too), no space at either end (which go-ini, ConfigParser and
 * msmtp strip or split at), at most 2048 bytes. Quotes, $, `, %, #, ;, \
 * and spaces inside are allowed: each exporter quotes them for its client,
 * and refuses what its client has no way to quote (aerc's """).
 *
 * Returns: %TRUE when @value may be written; otherwise %FALSE with
 *   %LK_ERROR_INVALID_INPUT naming @what.
 */
gboolean
lk_export_value_check (const char  *what,
                       const char  *value,
                       GError     **error)
{
  g_autofree char *shown = NULL;
  gsize length;

  g_return_val_if_fail (what != NULL, FALSE);

  if (value == NULL || *value == '\0')
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("The %s is empty; nothing was written. Fill it in (for a profile, ask "
                     "whoever sent it for a corrected one) and try again."), what);
      return FALSE;
    }
  length = strlen (value);
  shown = printable (value);
  if (!lk_text_is_plain (value))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("The %s “%s” holds a line break or another control character, which a "
                     "mail client could read as more than a value; nothing was written. "
                     "Correct it (for a profile, ask whoever sent it for a corrected one) "
                     "and try again."), what, shown);
      return FALSE;
    }
  if (g_ascii_isspace (value[0]) || g_ascii_isspace (value[length - 1]))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("The %s “%s” begins or ends with a space, which mail clients drop; "
                     "nothing was written. Remove the space and try again."), what, shown);
      return FALSE;
    }
  if (length > MAX_VALUE_LENGTH)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("The %s is longer than %d bytes; nothing was written."),
                   what, MAX_VALUE_LENGTH);
      return FALSE;
    }
  return TRUE;
}

/**
 * lk_export_host_check:
 *
 * A server's host as it is written: an IP literal or a DNS name in its
 * ASCII form (lk_host_to_ascii() of a profile gives exactly that), so no
 * host ever needs quoting or can carry any client's syntax.
 */
gboolean
lk_export_host_check (const char  *what,
                      const char  *host,
                      GError     **error)
{
  g_autofree char *ascii = NULL;
  g_autofree char *shown = NULL;

  if (!lk_export_value_check (what, host, error))
    return FALSE;
  ascii = lk_host_to_ascii (host);
  if (ascii != NULL && g_ascii_strcasecmp (ascii, host) == 0)
    return TRUE;
  shown = printable (host);
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
               _("The %s “%s” is not a host name such as mail.example.com in ASCII, nor an "
                 "IP address; nothing was written. Correct the provider profile and try "
                 "again."), what, shown);
  return FALSE;
}

static gboolean
check_strv (const char  *what,
            char       **values,
            GError     **error)
{
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    if (!lk_export_value_check (what, values[i], error))
      return FALSE;
  return TRUE;
}

/**
 * lk_export_account_check:
 *
 * lk_export_value_check() for every value of @account and its profile that
 * an exporter may write (whichever client it is for): the address, login,
 * display name, the profile's name, id, hosts, CA file, endpoints, scopes
 * and mechanisms.
 */
gboolean
lk_export_account_check (LkAccount  *account,
                         GError    **error)
{
  LkProvider *provider = account->provider;
  const struct { const char *what; const char *value; } optional[] = {
    { N_("login"), account->login },
    { N_("display name"), account->display_name },
    { N_("tenant"), lk_account_get_tenant (account) },
    { "ca_file", provider->ca_file },
    { "authorization_endpoint", provider->authorization_endpoint },
    { "token_endpoint", provider->token_endpoint },
    { "issuer", provider->issuer },
  };

  if (!lk_export_value_check (_("address"), account->email, error) ||
      !lk_export_value_check (_("provider name"), provider->name, error) ||
      !lk_export_value_check (_("provider id"), provider->id, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (optional); i++)
    if (optional[i].value != NULL && !lk_export_value_check (_(optional[i].what), optional[i].value, error))
      return FALSE;
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    {
      g_autofree char *host = g_strdup_printf ("servers.%s.host", lk_protocol_to_string (i));
      g_autofree char *scopes = g_strdup_printf ("scopes.%s", lk_protocol_to_string (i));

      if (provider->servers[i].host != NULL &&
          !lk_export_host_check (host, provider->servers[i].host, error))
        return FALSE;
      if (!check_strv (scopes, provider->scopes[i], error))
        return FALSE;
    }
  return check_strv ("scopes.extra", provider->extra_scopes, error) &&
         check_strv ("sasl", provider->sasl, error);
}
