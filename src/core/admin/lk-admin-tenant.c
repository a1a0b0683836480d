/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "admin/lk-admin-tenant.h"
#include "lk-error.h"
#include "lk-json.h"

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
 * lk_admin_domain_is_valid:
 *
 * Whether @text is a DNS domain in ASCII, such as contoso.com: labels of
 * letters, digits and inner hyphens, at least two of them.
 */
gboolean
lk_admin_domain_is_valid (const char *text)
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
 * lk_admin_tenant_check:
 * @tenant: what the administrator typed
 *
 * The admin tools need one organisation: a tenant id (GUID) or a verified
 * domain such as contoso.com, never "common", "organizations" or "consumers".
 */
gboolean
lk_admin_tenant_check (const char  *tenant,
                       GError     **error)
{
  if (tenant == NULL || *tenant == '\0')
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("Give the organisation’s tenant: its domain (such as contoso.com) "
                             "or its tenant id"));
      return FALSE;
    }
  if (g_ascii_strcasecmp (tenant, "common") == 0 ||
      g_ascii_strcasecmp (tenant, "organizations") == 0 ||
      g_ascii_strcasecmp (tenant, "consumers") == 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   /* Translators: %s is "common", "organizations" or "consumers" */
                   _("“%s” is not one organisation; give the organisation’s domain (such as "
                     "contoso.com) or its tenant id"), tenant);
      return FALSE;
    }
  if (!lk_guid_is_valid (tenant) && !lk_admin_domain_is_valid (tenant))
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
 * lk_admin_tenant_discovery_url:
 *
 * The OpenID configuration of @domain's tenant, under the profile's issuer
 * (PROTOCOLS.md A1: `…/{domain}/v2.0/.well-known/openid-configuration`), so
 * that a test profile points it at the test identity provider.
 *
 * Returns: (nullable): the URL, or %NULL when the profile has no issuer with
 *   a "{tenant}"
 */
char *
lk_admin_tenant_discovery_url (LkProvider *provider,
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

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *domain = g_task_get_task_data (task);
  const char *issuer = NULL;
  JsonNode *root;
  guint status = 0;

  body = lk_http_get_finish (LK_HTTP (object), result, &status, &error);
  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (status == 400 || status == 404)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_NOT_FOUND,
                               _("Microsoft knows no organisation with the domain %s; check the "
                                 "spelling, or give the tenant id"), domain);
      return;
    }
  if (status != 200 ||
      !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                   (gssize) g_bytes_get_size (body), NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                               _("The OpenID configuration of %s could not be read (HTTP %u)"),
                               domain, status);
      return;
    }
  issuer = lk_json_get_string (json_node_get_object (root), "issuer");
  if (issuer != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (issuer, "/", -1);

      for (guint i = 0; parts[i] != NULL; i++)
        if (lk_guid_is_valid (parts[i]))
          {
            g_task_return_pointer (task, g_ascii_strdown (parts[i], -1), g_free);
            return;
          }
    }
  g_task_return_new_error (task, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                           _("The OpenID configuration of %s names no tenant id"), domain);
}

/**
 * lk_admin_tenant_lookup_async:
 *
 * Looks the tenant id (GUID) of @domain up, as the discovery's Microsoft
 * tenant step does (PROTOCOLS.md A1), without the other steps: the domain
 * is the organisation's, not a mailbox's.
 */
void
lk_admin_tenant_lookup_async (LkHttp              *http,
                              LkProvider          *provider,
                              const char          *domain,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (http, cancellable, callback, user_data);
  g_autofree char *url = NULL;

  g_task_set_source_tag (task, lk_admin_tenant_lookup_async);
  g_task_set_task_data (task, g_strdup (domain), g_free);
  url = lk_admin_tenant_discovery_url (provider, domain);
  if (url == NULL)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_INVALID_PROFILE,
                               _("The profile “%s” has no issuer with a tenant, so a domain "
                                 "cannot be looked up"), provider->id);
      return;
    }
  lk_http_get_async (http, url, cancellable, lookup_cb, g_steal_pointer (&task));
}

/**
 * lk_admin_tenant_lookup_finish:
 *
 * Returns: (transfer full): the tenant id, lower case
 */
char *
lk_admin_tenant_lookup_finish (LkHttp        *http,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, http), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
