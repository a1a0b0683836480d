/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-admin"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "admin/lk-org-profile.h"
#include "lk-error.h"
#include "lk-protocol.h"
#include "providers/lk-microsoft.h"

/**
 * lk_org_profile_id_for:
 *
 * Returns: "org-" and the tenant in lower case with every character other
 *   than a letter or digit made "-": "org-contoso-com"
 */
char *
lk_org_profile_id_for (const char *tenant)
{
  g_autofree char *lower = g_ascii_strdown (tenant, -1);

  for (char *p = lower; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p))
      *p = '-';
  return g_strconcat ("org-", lower, NULL);
}

/**
 * lk_org_profile_name_for:
 *
 * Returns: "Contoso (Microsoft 365)" for contoso.com; for a tenant id,
 *   "Organisation 4b1d9c7e (Microsoft 365)"
 */
char *
lk_org_profile_name_for (const char *tenant,
                         LkProvider *base)
{
  g_autofree char *org = NULL;

  if (lk_guid_is_valid (tenant))
    /* Translators: %.8s is the start of a tenant id */
    org = g_strdup_printf (_("Organisation %.8s"), tenant);
  else
    {
      const char *dot = strchr (tenant, '.');

      org = g_strndup (tenant, dot != NULL ? (gsize) (dot - tenant) : strlen (tenant));
      org[0] = g_ascii_toupper (org[0]);
    }
  /* Translators: the organisation, then the provider: "Contoso (Microsoft 365)" */
  return g_strdup_printf (_("%s (%s)"), org, base->name);
}

/**
 * lk_org_profile_new:
 * @base: the provider profile to start from (microsoft365)
 * @tenant: the organisation's tenant id or domain
 * @client_id: the organisation's app
 * @id: (nullable): the profile's id; lk_org_profile_id_for() if NULL
 * @name: (nullable): the profile's name; lk_org_profile_name_for() if NULL
 * @protocols: the protocols to keep; 0 keeps all. The others lose their
 *   server and scopes, so nobody is asked for them.
 *
 * A provider profile for one organisation, written through LkProvider's own
 * serialiser and checked as any loaded profile is. It holds no secret.
 */
LkProvider *
lk_org_profile_new (LkProvider       *base,
                    const char       *tenant,
                    const char       *client_id,
                    const char       *id,
                    const char       *name,
                    LkProtocolFlags   protocols,
                    GError          **error)
{
  g_autoptr(LkProvider) copy = NULL;
  g_autofree char *data = NULL;
  g_autofree char *origin = NULL;

  g_return_val_if_fail (base != NULL, NULL);

  if (!lk_microsoft_tenant_check (tenant, error))
    return NULL;
  if (client_id == NULL || *client_id == '\0')
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("An organisation profile needs the application (client) id"));
      return NULL;
    }
  if (protocols != 0 && (protocols & lk_provider_get_protocols (base)) != protocols)
    {
      g_autofree char *offered = lk_protocol_flags_to_string (lk_provider_get_protocols (base));

      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("%s offers only %s"), base->name, offered);
      return NULL;
    }

  copy = lk_provider_copy_with (base, tenant, client_id);
  g_free (copy->id);
  copy->id = id != NULL && *id != '\0' ? g_strdup (id) : lk_org_profile_id_for (tenant);
  g_free (copy->name);
  copy->name = name != NULL && *name != '\0' ? g_strdup (name) : lk_org_profile_name_for (tenant, base);
  if (protocols != 0)
    for (guint i = 0; i < LK_N_PROTOCOLS; i++)
      if (!(protocols & (1u << i)))
        {
          g_clear_pointer (&copy->servers[i].host, g_free);
          g_strfreev (copy->scopes[i]);
          copy->scopes[i] = g_new0 (char *, 1);
        }
  /* A domains list makes the profile claim addresses by itself: none
   * unless IT names them (lk_org_profile_set_domains()). */
  g_strfreev (copy->domains);
  copy->domains = g_new0 (char *, 1);

  /* Round trip through the parser: what is written is what loads. */
  data = lk_provider_to_data (copy, NULL);
  origin = g_strdup_printf (_("the organisation profile for %s"), tenant);
  return lk_provider_new_from_data (data, -1, origin, error);
}

/**
 * lk_org_profile_set_domains:
 * @profile: a profile from lk_org_profile_new()
 * @domains: (nullable) (array zero-terminated=1): the organisation's mail
 *   domains, such as contoso.com; %NULL or empty for none
 *
 * Lets the profile claim the organisation's own domains, so that once it
 * is installed a colleague's address is recognised by itself. Only the
 * domains IT names here are claimed; each must be a DNS name of two labels
 * or more (lk_host_to_ascii(): IDNA, in lower case), and the person
 * importing the profile sees them before it is used.
 *
 * Returns: %FALSE with %LK_ERROR_INVALID_INPUT naming a domain that is not
 *   one; @profile is then unchanged
 */
gboolean
lk_org_profile_set_domains (LkProvider          *profile,
                            const char * const  *domains,
                            GError             **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (profile != NULL, FALSE);

  for (guint i = 0; domains != NULL && domains[i] != NULL; i++)
    {
      g_autofree char *domain = lk_host_to_ascii (domains[i]);

      if (domain != NULL && g_str_has_suffix (domain, "."))
        domain[strlen (domain) - 1] = '\0';
      if (domain == NULL || g_hostname_is_ip_address (domain) || strchr (domain, '.') == NULL)
        {
          g_autofree char *safe = g_strescape (domains[i], NULL);

          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                       /* Translators: %s is what was typed as a domain */
                       _("“%s” is not a mail domain; give domains such as contoso.com"), safe);
          return FALSE;
        }
      if (!g_ptr_array_find_with_equal_func (list, domain, g_str_equal, NULL))
        g_ptr_array_add (list, g_steal_pointer (&domain));
    }
  g_ptr_array_add (list, NULL);
  g_strfreev (profile->domains);
  profile->domains = (char **) g_ptr_array_free (g_steal_pointer (&list), FALSE);
  return TRUE;
}

/**
 * lk_org_profile_write:
 * @overwrite: replace an existing file
 *
 * Writes @profile to @path atomically (a temporary file renamed over it),
 * mode 0644: it holds no secret and is meant to be shared.
 */
gboolean
lk_org_profile_write (LkProvider  *profile,
                      const char  *path,
                      gboolean     overwrite,
                      GError     **error)
{
  g_autofree char *data = NULL;
  gsize length = 0;

  if (!overwrite && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_EXISTS,
                   _("%s already exists; choose another name, or replace it on purpose "
                     "(--force)"), path);
      return FALSE;
    }
  data = lk_provider_to_data (profile, &length);
  if (!g_file_set_contents_full (path, data, (gssize) length,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    {
      g_prefix_error (error, _("Could not write the organisation profile: "));
      return FALSE;
    }
  return TRUE;
}

/**
 * lk_org_profile_describe:
 *
 * What a profile configures, for a person to check before it is used:
 * name, tenant, client id, sign-in address, servers.
 */
char *
lk_org_profile_describe (LkProvider *profile)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *authorize = lk_provider_dup_endpoint (profile, LK_ENDPOINT_AUTHORIZATION, NULL);

  g_string_append_printf (s, _("Provider:  %s\n"), profile->name);
  g_string_append_printf (s, _("Tenant:    %s\n"),
                          profile->tenant != NULL && *profile->tenant != '\0'
                            ? profile->tenant : _("(not set)"));
  g_string_append_printf (s, _("Client id: %s\n"),
                          profile->client_id != NULL && *profile->client_id != '\0'
                            ? profile->client_id : _("(not set)"));
  g_string_append_printf (s, _("Sign-in:   %s\n"), authorize != NULL ? authorize : "");
  if (profile->domains != NULL && profile->domains[0] != NULL)
    {
      g_autofree char *domains = g_strjoinv (", ", profile->domains);

      /* Translators: keep the alignment with "Provider:" and "Tenant:" */
      g_string_append_printf (s, _("Domains:   %s\n"), domains);
    }
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    {
      const LkServer *server = lk_provider_get_server (profile, i);
      g_autofree char *label = NULL;

      if (server == NULL || server->host == NULL)
        continue;
      label = g_strdup_printf ("%s:", lk_protocol_to_string (i));
      g_string_append_printf (s, "%-10s %s:%u (%s)\n", label, server->host, server->port,
                              lk_security_to_string (server->security));
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}
