/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "admin/lk-org-profile.h"
#include "lk-cli-commands.h"
#include "lk-cli-context.h"
#include "lk-cli-sign-in.h"
#include "lk-error.h"
#include "lk-http.h"
#include "providers/lk-discovery.h"

/* The domain of an address is case-insensitive; the local part is not
 * (RFC 5321), so only the domain is lowered. */
static char *
normalize_email (const char *email)
{
  const char *at = strrchr (email, '@');
  g_autofree char *domain = g_ascii_strdown (at + 1, -1);

  return g_strdup_printf ("%.*s@%s", (int) (at - email), email, domain);
}

/* Autoconfig, the Thunderbird database, MX records and the Microsoft tenant
 * (LkDiscovery), unless lk_discovery_is_enabled() says to keep to the known
 * domains. Returns NULL without an error when nothing fits. */
static LkProvider *
discover_provider (LkCliContext  *cli,
                   const char    *email,
                   char         **out_tenant,
                   GError       **error)
{
  g_autoptr(LkHttp) http = NULL;
  g_autoptr(LkDiscovery) discovery = NULL;
  g_autoptr(LkDiscoveryResult) found = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  if (!lk_discovery_is_enabled ())
    return NULL;
  http = lk_http_new (NULL, error);
  if (http == NULL)
    return NULL;
  g_printerr (_("Looking up the provider of %s…\n"), strrchr (email, '@') + 1);
  discovery = lk_discovery_new (http, cli->registry);
  lk_discovery_run_async (discovery, email, cli->cancellable, lk_cli_store_result_cb, &result);
  found = lk_discovery_run_finish (discovery, lk_cli_wait (&result), error);
  if (found == NULL || found->provider == NULL)
    return NULL;
  if (!found->oauth2)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("The mail servers of %s (found %s) accept only passwords, not OAuth2: "
                     "Latchkey cannot sign in there; use a password or app password in your "
                     "mail program"), found->domain, found->how);
      return NULL;
    }
  if (!found->endpoints_known)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("The mail servers of %s (found %s) use OAuth2, but do not say where to sign "
                     "in. Copy the “generic” profile to ~/.config/latchkey/providers/, fill in "
                     "the endpoints, and use --provider"), found->domain, found->how);
      return NULL;
    }
  g_printerr (_("%s is served by %s (found %s).\n"), found->domain, found->provider->name,
              found->how);
  if (found->tenant != NULL)
    *out_tenant = g_strdup (found->tenant);
  return lk_provider_ref (found->provider);
}

static LkProvider *
find_provider (LkCliContext  *cli,
               const char    *email,
               const char    *provider_id,
               const char    *profile_path,
               char         **out_tenant,
               GError       **error)
{
  LkProvider *provider;

  if (profile_path != NULL)
    {
      g_autofree char *description = NULL;

      provider = lk_provider_new_from_file (profile_path, error);
      if (provider == NULL)
        {
          g_prefix_error (error, _("The profile %s was refused: "), profile_path);
          return NULL;
        }
      /* What the file configures, before anything is saved. */
      description = lk_org_profile_describe (provider);
      g_printerr (_("Using the profile from %s:\n%s"), profile_path, description);
      return provider;
    }
  if (provider_id != NULL)
    {
      provider = lk_provider_registry_lookup (cli->registry, provider_id);
      if (provider == NULL)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                       _("There is no provider “%s”; “latchkey-cli providers” lists them"),
                       provider_id);
          return NULL;
        }
      return lk_provider_ref (provider);
    }
  provider = lk_provider_registry_lookup_domain (cli->registry, strrchr (email, '@') + 1);
  if (provider != NULL)
    {
      g_printerr (_("%s is served by %s.\n"), strrchr (email, '@') + 1, provider->name);
      return lk_provider_ref (provider);
    }
  provider = discover_provider (cli, email, out_tenant, error);
  if (provider != NULL || (error != NULL && *error != NULL))
    return provider;
  g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
               _("Latchkey cannot tell which provider serves %s. Name it with --provider "
                 "(“latchkey-cli providers” lists them), for example --provider microsoft365 "
                 "for a work or school Microsoft account"), strrchr (email, '@') + 1);
  return NULL;
}

int
lk_cli_add (int    argc,
            char **argv)
{
  static const LkCliCommand command = {
    "add", "EMAIL", N_("Add an account and sign it in"), NULL
  };
  g_autofree char *provider_id = NULL;
  g_autofree char *profile = NULL;
  g_autofree char *tenant = NULL;
  g_autofree char *client_id = NULL;
  g_autofree char *login = NULL;
  g_autofree char *protocols = NULL;
  gboolean no_browser = FALSE;
  gboolean device = FALSE;
  gboolean app_only = FALSE;
  const GOptionEntry entries[] = {
    { "provider", 0, 0, G_OPTION_ARG_STRING, &provider_id,
      N_("The provider profile (see “latchkey-cli providers”)"), N_("ID") },
    { "profile", 0, 0, G_OPTION_ARG_FILENAME, &profile,
      N_("An organisation profile file from your IT department"), N_("FILE") },
    { "tenant", 0, 0, G_OPTION_ARG_STRING, &tenant,
      N_("Microsoft tenant: a domain such as contoso.com, or a tenant id"), N_("TENANT") },
    { "client-id", 0, 0, G_OPTION_ARG_STRING, &client_id,
      N_("The application (client) id to sign in with"), N_("ID") },
    { "login", 0, 0, G_OPTION_ARG_STRING, &login,
      N_("Sign in as this user (for a shared mailbox)"), N_("USER") },
    { "protocols", 0, 0, G_OPTION_ARG_STRING, &protocols,
      N_("Protocols to use, e.g. imap,smtp (default: all the provider offers)"), N_("LIST") },
    { "no-browser", 0, 0, G_OPTION_ARG_NONE, &no_browser,
      N_("Print the sign-in link instead of opening a browser"), NULL },
    { "device", 0, 0, G_OPTION_ARG_NONE, &device,
      N_("Sign in with a code on another device"), NULL },
    { "app-only", 0, 0, G_OPTION_ARG_NONE, &app_only,
      N_("An app-only account: client credentials, the secret read from standard input"),
      NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(LkCliContext) cli = NULL;
  g_autoptr(LkProvider) provider = NULL;
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *email = NULL;
  g_autofree char *discovered_tenant = NULL;
  int status;

  if (!lk_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return lk_cli_usage_error (context, _("Give exactly one e-mail address"));
  if (!lk_email_is_valid (argv[1]))
    return lk_cli_usage_error (context, _("“%s” is not an e-mail address"), argv[1]);
  if (no_browser + device + app_only > 1)
    return lk_cli_usage_error (context, _("Choose one of --no-browser, --device and --app-only"));
  if (login != NULL && !lk_email_is_valid (login))
    return lk_cli_usage_error (context, _("--login “%s” is not an e-mail address"), login);
  if (profile != NULL && provider_id != NULL)
    return lk_cli_usage_error (context, _("Give either --provider or --profile, not both"));

  email = normalize_email (argv[1]);
  cli = lk_cli_context_new ();
  if (lk_account_store_exists (cli->accounts, email))
    {
      g_set_error (&error, LK_ERROR, LK_ERROR_EXISTS,
                   _("%s is already set up; “latchkey-cli login %s” signs it in again, "
                     "“latchkey-cli remove %s” removes it"), email, email, email);
      return lk_cli_fail (error);
    }

  provider = find_provider (cli, email, provider_id, profile, &discovered_tenant, &error);
  if (provider == NULL)
    return lk_cli_fail (error);

  account = lk_account_new (email, provider);
  account->login = g_strdup (login);
  account->tenant = g_strdup (tenant != NULL ? tenant : discovered_tenant);
  account->client_id = g_strdup (client_id);
  account->flow = app_only ? LK_FLOW_APP_ONLY : device ? LK_FLOW_DEVICE : LK_FLOW_BROWSER;
  if (protocols != NULL)
    {
      LkProtocolFlags wanted;

      if (!lk_protocol_flags_parse (protocols, &wanted, &error))
        return lk_cli_usage_error (context, "%s", error->message);
      if ((wanted & lk_provider_get_protocols (provider)) != wanted)
        {
          g_autofree char *offered = lk_protocol_flags_to_string (lk_provider_get_protocols (provider));
          return lk_cli_usage_error (context, _("%s offers only %s"), provider->name, offered);
        }
      account->protocols = wanted;
    }

  return lk_cli_sign_in_and_store (cli, account,
                                   lk_cli_sign_in_mode_for (no_browser, device, app_only),
                                   FALSE);
}
