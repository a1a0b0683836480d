/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-oauth"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-redirect.h"
#include "lk-token-set.h"

#define LK_REDIRECT_QUERY_MAX (16 * 1024)

/**
 * lk_secret_equal:
 *
 * Compares two strings in time that depends only on their lengths, so that
 * a guessed `state` learns nothing from how long the answer took.
 */
gboolean
lk_secret_equal (const char *a,
                 const char *b)
{
  gsize la, lb;
  guint8 diff = 0;

  if (a == NULL || b == NULL)
    return FALSE;
  la = strlen (a);
  lb = strlen (b);
  if (la != lb)
    return FALSE;
  for (gsize i = 0; i < la; i++)
    diff |= (guint8) a[i] ^ (guint8) b[i];
  return diff == 0;
}

static char *
form_unescape (const char *text,
               gsize       length)
{
  g_autofree char *copy = g_strndup (text, length);

  for (char *p = copy; *p != '\0'; p++)
    if (*p == '+')
      *p = ' ';
  return g_uri_unescape_string (copy, NULL);
}

/**
 * lk_redirect_parse:
 * @query: (nullable): the query part, without "?"
 *
 * Rejects duplicated parameters (RFC 6749 §3.1) and invalid encoding.
 *
 * Returns: (nullable): the parameters; NULL with LK_ERROR_BAD_RESPONSE
 */
LkRedirect *
lk_redirect_parse (const char  *query,
                   GError     **error)
{
  g_autoptr(LkRedirect) self = g_new0 (LkRedirect, 1);
  const char *p = query != NULL ? query : "";

  if (strlen (p) > LK_REDIRECT_QUERY_MAX)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                           _("The browser came back with an address that is far too long."));
      return NULL;
    }

  while (*p != '\0')
    {
      const char *end = strchr (p, '&');
      const char *eq;
      gsize len = end != NULL ? (gsize) (end - p) : strlen (p);
      g_autofree char *name = NULL;
      char *value = NULL;
      char **slot = NULL;

      eq = memchr (p, '=', len);
      if (len > 0)
        {
          name = form_unescape (p, eq != NULL ? (gsize) (eq - p) : len);
          value = eq != NULL ? form_unescape (eq + 1, len - (gsize) (eq + 1 - p)) : g_strdup ("");
          if (name == NULL || value == NULL)
            {
              lk_secret_wipe (value);
              g_set_error_literal (error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                                   _("The browser came back with a malformed address."));
              return NULL;
            }
          if (strcmp (name, "code") == 0)
            slot = &self->code;
          else if (strcmp (name, "state") == 0)
            slot = &self->state;
          else if (strcmp (name, "iss") == 0)
            slot = &self->iss;
          else if (strcmp (name, "error") == 0)
            slot = &self->error;
          else if (strcmp (name, "error_description") == 0)
            slot = &self->error_description;
          else if (strcmp (name, "admin_consent") == 0)
            slot = &self->admin_consent;
          else if (strcmp (name, "tenant") == 0)
            slot = &self->tenant;

          if (slot != NULL && *slot != NULL)
            {
              g_autofree char *safe = g_strescape (name, NULL);

              lk_secret_wipe (value);
              g_set_error (error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                           /* Translators: %s is a parameter name such as "state" */
                           _("The browser came back with “%s” given twice; this sign-in was not accepted."),
                           safe);
              return NULL;
            }
          if (slot != NULL)
            *slot = value;
          else
            lk_secret_wipe (value);
        }
      p += len;
      if (*p == '&')
        p++;
    }
  return g_steal_pointer (&self);
}

/**
 * lk_issuer_matches:
 * @iss: the `iss` of the redirect
 * @issuer_template: the profile's issuer, possibly holding "{tenant}"
 * @tenant: (nullable): the tenant the request was sent to
 *
 * RFC 9207 asks for a plain comparison with the issuer the request went to.
 * With a specific tenant that is one string. A Microsoft multi-tenant
 * request (`common`, `organizations`, `consumers`) is answered by the
 * issuer of the user's own tenant, so there any one path segment may stand
 * in for "{tenant}", and nothing else may differ.
 */
gboolean
lk_issuer_matches (const char *iss,
                   const char *issuer_template,
                   const char *tenant)
{
  const char *placeholder;
  gsize prefix_len, suffix_len, iss_len;
  g_autoptr(GString) exact = NULL;
  g_autofree char *escaped = NULL;

  if (iss == NULL || issuer_template == NULL)
    return FALSE;
  placeholder = strstr (issuer_template, "{tenant}");
  if (placeholder == NULL)
    return strcmp (iss, issuer_template) == 0;

  if (tenant == NULL || *tenant == '\0')
    tenant = "common";
  escaped = g_uri_escape_string (tenant, NULL, FALSE);
  exact = g_string_new (issuer_template);
  g_string_replace (exact, "{tenant}", escaped, 0);
  if (strcmp (iss, exact->str) == 0)
    return TRUE;
  if (g_strcmp0 (tenant, "common") != 0 && g_strcmp0 (tenant, "organizations") != 0 &&
      g_strcmp0 (tenant, "consumers") != 0)
    return FALSE;

  prefix_len = (gsize) (placeholder - issuer_template);
  suffix_len = strlen (placeholder + strlen ("{tenant}"));
  iss_len = strlen (iss);
  if (iss_len <= prefix_len + suffix_len ||
      strncmp (iss, issuer_template, prefix_len) != 0 ||
      strcmp (iss + iss_len - suffix_len, placeholder + strlen ("{tenant}")) != 0)
    return FALSE;
  for (gsize i = prefix_len; i < iss_len - suffix_len; i++)
    if (!(g_ascii_isalnum (iss[i]) || iss[i] == '-' || iss[i] == '.' || iss[i] == '_'))
      return FALSE;
  return TRUE;
}

/* The error= of a redirect as an LK_ERROR_AUTHORIZATION_DENIED carrying the
 * OAuth details; @format takes the description, then the error code. */
static GError *
redirect_error (const LkRedirect *self,
                const char       *format)
{
  g_autofree char *description = NULL;
  g_autofree char *safe_error = g_strescape (self->error, NULL);
  GError *e;

  if (self->error_description != NULL)
    {
      const char *end = strpbrk (self->error_description, "\r\n");

      description = end != NULL
        ? g_strndup (self->error_description, (gsize) (end - self->error_description))
        : g_strdup (self->error_description);
      if (!g_utf8_validate (description, -1, NULL))
        g_clear_pointer (&description, g_free);
    }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  e = g_error_new (LK_ERROR, LK_ERROR_AUTHORIZATION_DENIED, format,
                   description != NULL ? description : _("no details given"),
                   safe_error);
#pragma GCC diagnostic pop
  lk_error_set_oauth (e, self->error, description, 0);
  lk_error_set_request_ids (e, NULL, NULL, self->error_description);
  return e;
}

/**
 * lk_redirect_check:
 * @expected_state: the state sent in the authorization URL
 * @issuer_template: (nullable): the profile's issuer (may hold "{tenant}");
 *   NULL when the profile names none (then `iss` cannot be checked)
 * @tenant: (nullable): the tenant the request went to
 *
 * State first: an error= that does not carry our state is not ours to
 * believe either.
 */
gboolean
lk_redirect_check (const LkRedirect  *self,
                   const char        *expected_state,
                   const char        *issuer_template,
                   const char        *tenant,
                   GError           **error)
{
  if (!lk_secret_equal (self->state, expected_state))
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_STATE_MISMATCH,
                           _("The browser came back from a different sign-in than the one "
                             "started here (an old tab, or someone else’s link). Start the "
                             "sign-in again and use only the page it opens."));
      return FALSE;
    }
  if (self->iss != NULL && issuer_template != NULL &&
      !lk_issuer_matches (self->iss, issuer_template, tenant))
    {
      g_autofree char *safe = g_strescape (self->iss, NULL);

      g_set_error (error, LK_ERROR, LK_ERROR_ISSUER_MISMATCH,
                   /* Translators: the first %s is a URL that sent the answer, the second the expected one */
                   _("The sign-in answer came from “%s”, not from “%s”. It was refused; "
                     "check the provider profile."),
                   safe, issuer_template);
      return FALSE;
    }
  if (self->error != NULL)
    {
      /* Translators: %s is the server's explanation, %s the OAuth error code */
      g_propagate_error (error, redirect_error (self, _("Sign-in was not completed: %s (%s)")));
      return FALSE;
    }
  if (self->code == NULL || *self->code == '\0')
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                           _("The browser came back without an authorization code. Start the sign-in again."));
      return FALSE;
    }
  return TRUE;
}

/**
 * lk_redirect_check_admin_consent:
 * @expected_state: the state sent in the admin consent URL
 *
 * Checks the redirect of an admin consent request
 * (`admin_consent=True&tenant=…&state=…`, or `error=…`): state first, then
 * the error, then the confirmation itself.
 */
gboolean
lk_redirect_check_admin_consent (const LkRedirect  *self,
                                 const char        *expected_state,
                                 GError           **error)
{
  if (!lk_secret_equal (self->state, expected_state))
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_STATE_MISMATCH,
                           _("The browser came back from a different consent request than the "
                             "one started here (an old tab, or someone else’s link). Start it "
                             "again and use only the page it opens."));
      return FALSE;
    }
  if (self->error != NULL)
    {
      /* Translators: %s is the server's explanation, %s the OAuth error code */
      g_propagate_error (error, redirect_error (self, _("Consent was not granted: %s (%s)")));
      return FALSE;
    }
  if (g_strcmp0 (self->admin_consent, "True") != 0)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                           _("The browser came back without “admin_consent=True”, so consent "
                             "was not confirmed. Check the app in the Entra admin center under "
                             "Enterprise applications → Permissions."));
      return FALSE;
    }
  return TRUE;
}

void
lk_redirect_free (LkRedirect *self)
{
  if (self == NULL)
    return;
  lk_secret_wipe (self->code);
  g_free (self->state);
  g_free (self->iss);
  g_free (self->error);
  g_free (self->error_description);
  g_free (self->admin_consent);
  g_free (self->tenant);
  g_free (self);
}
