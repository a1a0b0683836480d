/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Microsoft identity platform rules more than one part of Latchkey
 * needs: what names one organisation (a tenant), how a domain's tenant id is
 * looked up, and the admin consent link. Discovery, the diagnosis and the
 * IT tools all call these, so that they agree. Facts: doc/protocols.md A1
 * and A3. */
#define G_LOG_DOMAIN "latchkey-providers"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-json.h"
#include "providers/lk-microsoft.h"

#define AUTHORIZE_SUFFIX "/oauth2/v2.0/authorize"
#define CONSENT_SUFFIX   "/v2.0/adminconsent"

/* ---- tenants ---------------------------------------------------------- */

/**
 * lk_guid_is_valid:
 *
 * Returns: %TRUE for a GUID in its usual 8-4-4-4-12 hex form, as Entra shows
 *   application, object and tenant ids.
 */
gboolean
lk_guid_is_valid (const char *text)
{
  static const guint groups[] = { 8, 4, 4, 4, 12 };
  const char *p = text;

  if (text == NULL)
    return FALSE;
  for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
    {
      for (guint i = 0; i < groups[g]; i++, p++)
        if (!g_ascii_isxdigit (*p))
          return FALSE;
      if (g + 1 < G_N_ELEMENTS (groups) && *p++ != '-')
        return FALSE;
    }
  return *p == '\0';
}

/**
 * lk_microsoft_tenant_is_placeholder:
 *
 * Returns: %TRUE when @tenant names no one organisation: empty, or one of
 *   the endpoints' aliases "common", "organizations" and "consumers"
 *   (https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc)
 */
gboolean
lk_microsoft_tenant_is_placeholder (const char *tenant)
{
  return tenant == NULL || *tenant == '\0' ||
         g_ascii_strcasecmp (tenant, "common") == 0 ||
         g_ascii_strcasecmp (tenant, "organizations") == 0 ||
         g_ascii_strcasecmp (tenant, "consumers") == 0;
}

static gboolean
is_domain (const char *text)
{
  gsize label = 0;
  guint dots = 0;

  if (text == NULL || *text == '\0' || strlen (text) > 253)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '.')
        {
          if (label == 0 || p[-1] == '-')
            return FALSE;
          label = 0;
          dots++;
          continue;
        }
      if (!g_ascii_isalnum (*p) && !(*p == '-' && label > 0))
        return FALSE;
      if (++label > 63)
        return FALSE;
    }
  return dots > 0 && label > 0;
}

/**
 * lk_microsoft_tenant_check:
 * @tenant: what a person typed, or an account's tenant
 *
 * One organisation: a tenant id (GUID) or a verified domain such as
 * contoso.com, never "common", "organizations" or "consumers". The admin
 * tools and the admin consent link need one.
 */
gboolean
lk_microsoft_tenant_check (const char  *tenant,
                           GError     **error)
{
  if (tenant == NULL || *tenant == '\0')
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("Give the organisation’s tenant: its domain (such as contoso.com) "
                             "or its tenant id"));
      return FALSE;
    }
  if (lk_microsoft_tenant_is_placeholder (tenant))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   /* Translators: %s is "common", "organizations" or "consumers" */
                   _("“%s” is not one organisation; give the organisation’s domain (such as "
                     "contoso.com) or its tenant id"), tenant);
      return FALSE;
    }
  if (!lk_guid_is_valid (tenant) && !is_domain (tenant))
    {
      g_autofree char *safe = g_strescape (tenant, NULL);

      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("“%s” is neither a domain nor a tenant id (a GUID such as "
                     "4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e)"), safe);
      return FALSE;
    }
  return TRUE;
}

/**
 * lk_microsoft_tenant_from_issuer:
 *
 * "https://login.microsoftonline.com/<GUID>/v2.0" → the GUID, lower case.
 * The tenant is the first path segment; anything else there is no tenant.
 *
 * Returns: (nullable): the tenant id
 */
char *
lk_microsoft_tenant_from_issuer (const char *issuer)
{
  g_autoptr(GUri) uri = issuer != NULL ? g_uri_parse (issuer, G_URI_FLAGS_NONE, NULL) : NULL;
  g_auto(GStrv) segments = NULL;

  if (uri == NULL)
    return NULL;
  segments = g_strsplit (g_uri_get_path (uri), "/", -1);
  for (guint i = 0; segments[i] != NULL; i++)
    if (*segments[i] != '\0')
      return lk_guid_is_valid (segments[i]) ? g_ascii_strdown (segments[i], -1) : NULL;
  return NULL;
}

/**
 * lk_microsoft_tenant_discovery_url:
 *
 * The OpenID configuration of @domain's tenant, under the profile's issuer
 * (`…/{domain}/v2.0/.well-known/openid-configuration`), so that a test
 * profile points it at the test identity provider.
 *
 * Returns: (nullable): the URL, or %NULL when the profile has no issuer with
 *   a "{tenant}"
 */
char *
lk_microsoft_tenant_discovery_url (LkProvider *provider,
                                   const char *domain)
{
  g_autoptr(GString) url = NULL;
  g_autofree char *escaped = NULL;

  if (provider->issuer == NULL || strstr (provider->issuer, "{tenant}") == NULL)
    return NULL;
  escaped = g_uri_escape_string (domain, NULL, FALSE);
  url = g_string_new (provider->issuer);
  g_string_replace (url, "{tenant}", escaped, 1);
  while (url->len > 0 && url->str[url->len - 1] == '/')
    g_string_truncate (url, url->len - 1);
  g_string_append (url, "/.well-known/openid-configuration");
  return g_string_free (g_steal_pointer (&url), FALSE);
}

/* Unknown domains: HTTP 400 with AADSTS90002 (InvalidTenantName); a test
 * server or a proxy may answer 404 without a body. */
static gboolean
is_unknown_tenant (guint  status,
                   guint  aadsts)
{
  return aadsts == 90002 || (aadsts == 0 && (status == 400 || status == 404));
}

static void
tenant_lookup_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  const char *domain = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonObject *object_root = NULL;
  JsonNode *root = NULL;
  char *tenant;
  guint status = 0;
  gsize size;
  const char *bytes;

  body = lk_http_get_finish (LK_HTTP (object), result, &status, &error);
  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  bytes = g_bytes_get_data (body, &size);
  if (json_parser_load_from_data (parser, bytes, (gssize) size, NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
    object_root = json_node_get_object (root);

  if (status < 200 || status > 299)
    {
      const char *oauth_error = object_root != NULL ? lk_json_get_string (object_root, "error") : NULL;
      const char *description =
        object_root != NULL ? lk_json_get_string (object_root, "error_description") : NULL;

      if (is_unknown_tenant (status, lk_error_parse_aadsts (description)))
        g_set_error (&error, LK_ERROR, LK_ERROR_NOT_FOUND,
                     _("Microsoft knows no organisation with the domain %s (AADSTS90002); "
                       "check the spelling."), domain);
      else
        g_set_error (&error, LK_ERROR, LK_ERROR_HTTP,
                     _("Microsoft’s sign-in service answered HTTP %u when asked for the "
                       "tenant of %s; try again later."), status, domain);
      lk_error_set_oauth (error, oauth_error, description, status);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (object_root == NULL)
    {
      g_set_error (&error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                   _("The OpenID configuration of %s is not a JSON object (HTTP %u)."),
                   domain, status);
      lk_error_get_details_mut (error)->http_status = status;
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  tenant = lk_microsoft_tenant_from_issuer (lk_json_get_string (object_root, "issuer"));
  if (tenant == NULL)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                               _("The OpenID configuration of %s names no tenant id."), domain);
      return;
    }
  g_task_return_pointer (task, tenant, g_free);
}

/**
 * lk_microsoft_tenant_lookup_async:
 * @url: the domain's OpenID configuration: lk_microsoft_tenant_discovery_url()
 *   or discovery's template
 * @domain: named in the errors
 *
 * Looks the tenant id up: Microsoft's OpenID configuration for a verified
 * domain names the tenant in its `issuer` (doc/protocols.md A1). Discovery
 * does this for a mailbox's domain, the IT tools for an organisation's.
 */
void
lk_microsoft_tenant_lookup_async (LkHttp              *http,
                                  const char          *url,
                                  const char          *domain,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LK_IS_HTTP (http));
  g_return_if_fail (url != NULL && domain != NULL);

  task = g_task_new (http, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_microsoft_tenant_lookup_async);
  g_task_set_task_data (task, g_strdup (domain), g_free);
  lk_http_get_async (http, url, cancellable, tenant_lookup_cb, g_steal_pointer (&task));
}

/**
 * lk_microsoft_tenant_lookup_finish:
 *
 * Returns: (transfer full): the tenant id, lower case; or %NULL with
 *   %LK_ERROR_NOT_FOUND (no such organisation), %LK_ERROR_HTTP (with the
 *   OAuth details), %LK_ERROR_BAD_RESPONSE, or LkHttp's network errors
 */
char *
lk_microsoft_tenant_lookup_finish (LkHttp        *http,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, http), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        lk_microsoft_tenant_lookup_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
tenant_resolved_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *guid = lk_microsoft_tenant_lookup_finish (LK_HTTP (source), result, &error);

  if (guid == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, guid, g_free);
}

/**
 * lk_microsoft_tenant_resolve_async:
 * @provider: the Microsoft profile whose identity provider is asked
 * @tenant: what names the organisation: a tenant id, or a domain
 *
 * The tenant id for @tenant, as the admin consent link, the checklist and
 * an organisation profile name it: a tenant id as it is, a domain looked up
 * at @provider's identity provider (lk_microsoft_tenant_lookup_async()),
 * where the same person signs in anyway. `latchkey-cli admin`, the IT
 * window and the sign-in page's consent link all ask this, so that they
 * give one link.
 */
void
lk_microsoft_tenant_resolve_async (LkProvider          *provider,
                                   const char          *tenant,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(LkHttp) http = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (provider != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_microsoft_tenant_resolve_async);
  if (!lk_microsoft_tenant_check (tenant, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (lk_guid_is_valid (tenant))
    {
      g_task_return_pointer (task, g_strdup (tenant), g_free);
      return;
    }
  url = lk_microsoft_tenant_discovery_url (provider, tenant);
  if (url == NULL)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_INVALID_PROFILE,
                               _("The profile “%s” has no issuer with a tenant, so a domain "
                                 "cannot be looked up"), provider->id);
      return;
    }
  http = lk_http_new (provider->ca_file, &error);
  if (http == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* A person is waiting for the link: a slow answer is no answer. */
  lk_http_set_timeouts (http, 5, 10);
  lk_microsoft_tenant_lookup_async (http, url, tenant, cancellable, tenant_resolved_cb,
                                    g_steal_pointer (&task));
}

/**
 * lk_microsoft_tenant_resolve_finish:
 *
 * Returns: (transfer full): the tenant id; or %NULL with
 *   %LK_ERROR_INVALID_INPUT (no one organisation), %LK_ERROR_INVALID_PROFILE
 *   (the profile cannot look domains up), or the lookup's errors
 */
char *
lk_microsoft_tenant_resolve_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        lk_microsoft_tenant_resolve_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * lk_microsoft_tenant_resolve_describe:
 * @domain: what was looked up
 * @tenant: (nullable): the tenant id found
 * @error: (nullable): why none was, when @tenant is %NULL
 *
 * Returns: (transfer full): one sentence for the person who typed
 *   @domain: which tenant it is, or that the domain stands in for it
 */
char *
lk_microsoft_tenant_resolve_describe (const char   *domain,
                                      const char   *tenant,
                                      const GError *error)
{
  g_return_val_if_fail (domain != NULL, NULL);

  if (tenant != NULL)
    /* Translators: a domain, then its tenant id (a GUID). */
    return g_strdup_printf (_("%s is the tenant %s."), domain, tenant);
  /* Translators: a domain, then why it could not be looked up. */
  return g_strdup_printf (_("Could not look up the tenant id of %s (%s); using the domain, which "
                            "Microsoft accepts as the tenant when it is verified."),
                          domain, error != NULL ? error->message : "");
}

/* ---- admin consent ---------------------------------------------------- */

/**
 * lk_microsoft_admin_consent_scope:
 * @protocols: the account's; 0 means all
 * @out_reason: (out) (optional): why this scope, in a sentence a person reads
 *
 * The scope of the admin consent link. Microsoft's admin consent endpoint
 * takes either "static" scopes (a resource's `/.default`: everything the
 * app registration lists under API permissions) or "dynamic" ones (named
 * permissions), and application permissions only through `/.default`
 * (https://learn.microsoft.com/entra/identity-platform/v2-admin-consent).
 *
 * - Delegated (a person signs in): exactly the scopes the sign-in asks for,
 *   `offline_access` included. Consent then covers what the sign-in will
 *   request, whatever the app registration lists: a registration made for
 *   dynamic consent, as mail programs ship them, lists no permissions, and
 *   a `/.default` consent would grant it nothing. The endpoint takes the
 *   OpenID Connect scopes too
 *   (https://learn.microsoft.com/entra/identity-platform/scopes-oidc).
 * - App-only (client credentials): `/.default` of Office 365 Exchange
 *   Online, which Microsoft documents under two names: for SMTP
 *   `https://outlook.office365.com/.default` — also what the client
 *   credentials token request names, so what is consented is what is
 *   used — and for IMAP and POP `https://ps.outlook.com/.default`
 *   (https://learn.microsoft.com/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth).
 *
 * Returns: (transfer full) (nullable): the scope, or %NULL when the profile
 *   has no scope for @protocols
 */
char *
lk_microsoft_admin_consent_scope (LkProvider       *provider,
                                  LkProtocolFlags   protocols,
                                  gboolean          app_only,
                                  const char      **out_reason)
{
  g_autofree char *scope = NULL;

  g_return_val_if_fail (provider != NULL, NULL);

  if (protocols == 0)
    protocols = LK_PROTOCOL_FLAG_ALL;
  if (app_only)
    {
      if (protocols & LK_PROTOCOL_FLAG_SMTP)
        {
          if (out_reason != NULL)
            *out_reason = _("App-only with SMTP: Microsoft documents this scope for SMTP, and it "
                            "is the one the client credentials token request names.");
          return g_strdup ("https://outlook.office365.com/.default");
        }
      if (out_reason != NULL)
        *out_reason = _("App-only IMAP and POP: the scope Microsoft documents for them.");
      return g_strdup ("https://ps.outlook.com/.default");
    }
  scope = lk_provider_dup_scope_string (provider, protocols);
  if (scope == NULL || *scope == '\0')
    return NULL;
  if (out_reason != NULL)
    *out_reason = _("Delegated: exactly the permissions the sign-in asks for, so that nobody "
                    "is asked to consent afterwards, whatever the app registration lists.");
  return g_steal_pointer (&scope);
}

/**
 * lk_microsoft_admin_consent_url:
 * @tenant: one organisation (lk_microsoft_tenant_check()): Microsoft asks
 *   not to use "common" there, and "consumers" cannot consent
 * @protocols: the account's; 0 means all
 * @redirect_uri: (nullable): where the browser goes afterwards, registered
 *   on the app; %NULL for `http://localhost`, which every desktop
 *   registration has, so that a link copied to another computer works
 * @state: (nullable): echoed back in the redirect; only a link that this
 *   computer listens for needs one
 *
 * The one admin consent link: the CLI, the diagnosis and the IT window all
 * hand out this one.
 * `{base}/{tenant}/v2.0/adminconsent?client_id=…&redirect_uri=…&scope=…[&state=…]`
 * where {base} comes from the profile's authorization endpoint
 * (`{base}/{tenant}/oauth2/v2.0/authorize`), which is what points it at the
 * test identity provider or a national cloud.
 *
 * Returns: (transfer full): the link, or %NULL with %LK_ERROR_INVALID_INPUT
 *   (tenant, client id) or %LK_ERROR_INVALID_PROFILE (not a Microsoft
 *   profile, no scope)
 */
char *
lk_microsoft_admin_consent_url (LkProvider       *provider,
                                const char       *tenant,
                                const char       *client_id,
                                LkProtocolFlags   protocols,
                                gboolean          app_only,
                                const char       *redirect_uri,
                                const char       *state,
                                GError          **error)
{
  g_autofree char *authorize = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *e_client = NULL;
  g_autofree char *e_redirect = NULL;
  g_autofree char *e_scope = NULL;
  g_autoptr(GString) url = NULL;
  gsize len;

  g_return_val_if_fail (provider != NULL, NULL);

  if (!lk_microsoft_tenant_check (tenant, error))
    return NULL;
  if (client_id == NULL || *client_id == '\0')
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("The admin consent link needs the application (client) id"));
      return NULL;
    }
  authorize = lk_provider_dup_endpoint (provider, LK_ENDPOINT_AUTHORIZATION, tenant);
  len = authorize != NULL ? strlen (authorize) : 0;
  if (g_strcmp0 (provider->kind, "microsoft") != 0 || len < strlen (AUTHORIZE_SUFFIX) ||
      strcmp (authorize + len - strlen (AUTHORIZE_SUFFIX), AUTHORIZE_SUFFIX) != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_PROFILE,
                   _("The profile “%s” is not a Microsoft identity platform profile, so it has "
                     "no admin consent"), provider->id);
      return NULL;
    }
  scope = lk_microsoft_admin_consent_scope (provider, protocols, app_only, NULL);
  if (scope == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_PROFILE,
                   _("The profile “%s” names no scopes for these protocols"), provider->id);
      return NULL;
    }

  url = g_string_new_len (authorize, (gssize) (len - strlen (AUTHORIZE_SUFFIX)));
  e_client = g_uri_escape_string (client_id, NULL, FALSE);
  e_redirect = g_uri_escape_string (redirect_uri != NULL ? redirect_uri : "http://localhost",
                                    NULL, FALSE);
  e_scope = g_uri_escape_string (scope, NULL, FALSE);
  g_string_append_printf (url, CONSENT_SUFFIX "?client_id=%s&redirect_uri=%s&scope=%s",
                          e_client, e_redirect, e_scope);
  if (state != NULL)
    {
      g_autofree char *e_state = g_uri_escape_string (state, NULL, FALSE);

      g_string_append_printf (url, "&state=%s", e_state);
    }
  return g_string_free (g_steal_pointer (&url), FALSE);
}
