/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "admin/lk-admin-checklist.h"
#include "admin/lk-admin-consent.h"
#include "admin/lk-exchange-script.h"
#include "admin/lk-org-profile.h"
#include "bridge/lk-bridge-credentials.h"
#include "lk-cli-bridge.h"
#include "lk-cli-commands.h"
#include "lk-cli-context.h"
#include "lk-error.h"
#include "lk-http.h"
#include "providers/lk-microsoft.h"
#include "store/lk-account-store.h"

#define DEFAULT_PROVIDER "microsoft365"

/* The options most admin subcommands share. */
typedef struct
{
  char     *provider_id;
  char     *tenant;
  char     *client_id;
  char     *protocols_text;
  gboolean  app_only;
  gboolean  no_lookup;
} AdminOptions;

static void
admin_options_clear (AdminOptions *o)
{
  g_free (o->provider_id);
  g_free (o->tenant);
  g_free (o->client_id);
  g_free (o->protocols_text);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AdminOptions, admin_options_clear)

#define OPT_TENANT(o) \
  { "tenant", 0, 0, G_OPTION_ARG_STRING, &(o).tenant, \
    N_("The organisation: its domain (such as contoso.com) or tenant id"), N_("TENANT") }
#define OPT_CLIENT_ID(o) \
  { "client-id", 0, 0, G_OPTION_ARG_STRING, &(o).client_id, \
    N_("The application (client) id of the app registration"), N_("ID") }
#define OPT_PROTOCOLS(o) \
  { "protocols", 0, 0, G_OPTION_ARG_STRING, &(o).protocols_text, \
    N_("Protocols, e.g. imap,smtp (default: all)"), N_("LIST") }
#define OPT_APP_ONLY(o) \
  { "app-only", 0, 0, G_OPTION_ARG_NONE, &(o).app_only, \
    N_("For app-only accounts (client credentials) instead of people signing in"), NULL }
#define OPT_PROVIDER(o) \
  { "provider", 0, 0, G_OPTION_ARG_STRING, &(o).provider_id, \
    N_("The provider profile to start from (default: microsoft365)"), N_("ID") }
#define OPT_NO_LOOKUP(o) \
  { "no-lookup", 0, 0, G_OPTION_ARG_NONE, &(o).no_lookup, \
    N_("Use a domain as the tenant without looking its tenant id up"), NULL }

static LkProvider *
admin_provider (LkCliContext  *cli,
                AdminOptions  *o,
                GError       **error)
{
  const char *id = o->provider_id != NULL ? o->provider_id : DEFAULT_PROVIDER;
  LkProvider *provider = lk_provider_registry_lookup (cli->registry, id);

  if (provider == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("There is no provider “%s”; “latchkey-cli providers” lists them"), id);
      return NULL;
    }
  if (g_strcmp0 (provider->kind, "microsoft") != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("The admin tools are for Microsoft 365; “%s” is not a Microsoft profile"), id);
      return NULL;
    }
  return lk_provider_ref (provider);
}

/* Checks the common options; fills *protocols (0 = all). */
static gboolean
admin_check (GOptionContext *context,
             AdminOptions   *o,
             gboolean        need_client_id,
             LkProtocolFlags *protocols,
             int            *status)
{
  g_autoptr(GError) error = NULL;

  *protocols = 0;
  if (!lk_microsoft_tenant_check (o->tenant, &error))
    {
      *status = lk_cli_usage_error (context, "%s", error->message);
      return FALSE;
    }
  if (need_client_id && (o->client_id == NULL || *o->client_id == '\0'))
    {
      *status = lk_cli_usage_error (context, _("Give the application (client) id with --client-id"));
      return FALSE;
    }
  if (o->protocols_text != NULL && !lk_protocol_flags_parse (o->protocols_text, protocols, &error))
    {
      *status = lk_cli_usage_error (context, "%s", error->message);
      return FALSE;
    }
  return TRUE;
}

/* A domain becomes its tenant id when Microsoft (the profile's issuer) can
 * be asked (lk_microsoft_tenant_resolve_async(), as the IT window does);
 * otherwise the domain stays, which Microsoft accepts too. */
static char *
resolve_tenant (LkCliContext *cli,
                LkProvider   *provider,
                AdminOptions *o)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *said = NULL;
  char *guid;

  if (lk_guid_is_valid (o->tenant) || o->no_lookup)
    return g_strdup (o->tenant);
  lk_microsoft_tenant_resolve_async (provider, o->tenant, cli->cancellable,
                                     lk_cli_store_result_cb, &result);
  guid = lk_microsoft_tenant_resolve_finish (lk_cli_wait (&result), &error);
  said = lk_microsoft_tenant_resolve_describe (o->tenant, guid, error);
  g_printerr ("%s\n", said);
  return guid != NULL ? guid : g_strdup (o->tenant);
}

/* checklist */

static int
admin_checklist (int    argc,
                 char **argv)
{
  static const LkCliCommand command = {
    "admin checklist", NULL, N_("The app registration steps, with your organisation’s values"), NULL
  };
  g_auto(AdminOptions) o = { 0 };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    OPT_TENANT (o), OPT_CLIENT_ID (o), OPT_PROTOCOLS (o), OPT_APP_ONLY (o), OPT_PROVIDER (o),
    OPT_NO_LOOKUP (o),
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(LkCliContext) cli = NULL;
  g_autoptr(LkProvider) provider = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tenant = NULL;
  LkProtocolFlags protocols;
  int status;

  if (!lk_cli_parse (context, &argc, &argv, &status) ||
      !admin_check (context, &o, FALSE, &protocols, &status))
    return status;
  if (argc != 1)
    return lk_cli_usage_error (context, _("Unexpected argument “%s”"), argv[1]);
  cli = lk_cli_context_new ();
  provider = admin_provider (cli, &o, &error);
  if (provider == NULL)
    return lk_cli_fail (error);
  tenant = resolve_tenant (cli, provider, &o);
  items = lk_admin_checklist_build (provider, tenant, o.client_id, protocols, o.app_only);
  if (json)
    {
      g_autoptr(JsonNode) node = lk_admin_checklist_to_json (items);
      g_autofree char *text = json_to_string (node, TRUE);

      g_print ("%s\n", text);
    }
  else
    {
      g_autofree char *text = lk_admin_checklist_to_text (items);

      g_print ("%s", text);
    }
  return LK_EXIT_OK;
}

/* consent-url */

static int
admin_consent_url (int    argc,
                   char **argv)
{
  static const LkCliCommand command = {
    "admin consent-url", NULL, N_("The admin consent link; with --open, grant and confirm it here"), NULL
  };
  g_auto(AdminOptions) o = { 0 };
  gboolean open = FALSE;
  gboolean wait = FALSE;
  const GOptionEntry entries[] = {
    OPT_TENANT (o), OPT_CLIENT_ID (o), OPT_PROTOCOLS (o), OPT_APP_ONLY (o), OPT_PROVIDER (o),
    OPT_NO_LOOKUP (o),
    { "open", 0, 0, G_OPTION_ARG_NONE, &open,
      N_("Open the link in the browser and wait for Microsoft’s answer"), NULL },
    { "wait", 0, 0, G_OPTION_ARG_NONE, &wait,
      N_("Print a link to open in a browser on this computer, and wait for the answer"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(LkCliContext) cli = NULL;
  g_autoptr(LkProvider) provider = NULL;
  g_autoptr(LkAdminConsent) consent = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) launch_error = NULL;
  g_autofree char *tenant = NULL;
  g_autofree char *granted = NULL;
  g_autofree char *scope = NULL;
  const char *reason = NULL;
  LkProtocolFlags protocols;
  int status;

  if (!lk_cli_parse (context, &argc, &argv, &status) ||
      !admin_check (context, &o, TRUE, &protocols, &status))
    return status;
  if (argc != 1)
    return lk_cli_usage_error (context, _("Unexpected argument “%s”"), argv[1]);
  if (open && wait)
    return lk_cli_usage_error (context, _("Choose one of --open and --wait"));
  cli = lk_cli_context_new ();
  provider = admin_provider (cli, &o, &error);
  if (provider == NULL)
    return lk_cli_fail (error);
  tenant = resolve_tenant (cli, provider, &o);
  consent = lk_admin_consent_new (provider, tenant, o.client_id, protocols, o.app_only);
  scope = lk_microsoft_admin_consent_scope (provider, protocols, o.app_only, &reason);
  if (scope != NULL)
    g_printerr (_("Scope %s. %s\n"), scope, reason);

  if (!open && !wait)
    {
      g_autofree char *link = lk_admin_consent_dup_link (consent, &error);

      if (link == NULL)
        return lk_cli_fail (error);
      g_print ("%s\n", link);
      g_printerr (_("An administrator of the organisation opens this link in any browser and "
                    "accepts. Afterwards the browser goes to http://localhost, which does not "
                    "load: its address shows admin_consent=True when consent was granted.\n"));
      return LK_EXIT_OK;
    }

  if (!lk_admin_consent_listen (consent, &error))
    return lk_cli_fail (error);
  lk_admin_consent_wait_async (consent, cli->cancellable, lk_cli_store_result_cb, &result);
  if (wait)
    {
      g_print ("%s\n", lk_admin_consent_get_url (consent));
      fflush (stdout);
      g_printerr (_("Open this link in a browser on this computer and sign in as an administrator. "
                    "Waiting for the answer (Ctrl+C cancels)…\n"));
    }
  else if (g_app_info_launch_default_for_uri (lk_admin_consent_get_url (consent), NULL, &launch_error))
    g_printerr (_("Your browser opens; sign in as an administrator and accept. Waiting for the "
                  "answer (Ctrl+C cancels)…\nIf no browser opened, open this link: %s\n"),
                lk_admin_consent_get_url (consent));
  else
    g_printerr (_("Could not open a browser (%s). Open this link in a browser on this computer:\n"
                  "%s\nWaiting for the answer (Ctrl+C cancels)…\n"),
                launch_error->message, lk_admin_consent_get_url (consent));

  granted = lk_admin_consent_wait_finish (consent, lk_cli_wait (&result), &error);
  if (granted == NULL)
    {
      g_autoptr(LkDiagnosis) diagnosis = NULL;

      if (lk_error_is_cancelled (error))
        return LK_EXIT_FAILURE;
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      diagnosis = lk_admin_consent_diagnose (consent, error);
      if (diagnosis != NULL)
        {
          g_autofree char *text = lk_diagnosis_to_text (diagnosis);

          g_printerr ("\n%s", text);
        }
      return lk_cli_exit_status_for_error (error);
    }
  g_printerr (_("Consent granted for the organisation %s.\n"), *granted != '\0' ? granted : tenant);
  g_print ("admin_consent=True\n");
  return LK_EXIT_OK;
}

/* exchange-script */

/* `--device NAME`: the device of the office bridge (system mode's with
 * --system) whose mailbox the steps are for. Its account, when it is
 * there, gives the tenant and the client id that were not typed. */
static LkBridgeUser *
exchange_script_device (const char   *name,
                        AdminOptions *o,
                        int          *status)
{
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  g_autoptr(LkAccountStore) store = NULL;
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  LkBridgeUser *device = lk_cli_bridge_find_device (credentials, name, status);

  if (device == NULL)
    return NULL;
  store = lk_account_store_new (NULL);
  account = lk_account_store_load (store, device->account, &error);
  if (account == NULL)
    {
      g_debug ("No account %s for the device %s: %s", device->account, name, error->message);
      return device;
    }
  if (o->tenant == NULL && lk_account_get_tenant (account) != NULL
      && !lk_microsoft_tenant_is_placeholder (lk_account_get_tenant (account)))
    o->tenant = g_strdup (lk_account_get_tenant (account));
  if (o->client_id == NULL && lk_account_get_client_id (account) != NULL)
    o->client_id = g_strdup (lk_account_get_client_id (account));
  return device;
}

static int
admin_exchange_script (int    argc,
                       char **argv)
{
  static const LkCliCommand command = {
    "admin exchange-script", NULL,
    N_("Exchange Online PowerShell that lets an app-only app open mailboxes"), NULL
  };
  g_auto(AdminOptions) o = { 0 };
  g_autofree char *object_id = NULL;
  g_autofree char *display_name = NULL;
  g_auto(GStrv) mailboxes = NULL;
  g_autofree char *output = NULL;
  g_autofree char *device_name = NULL;
  gboolean send_as = FALSE;
  gboolean smtp_rbac = FALSE;
  gboolean force = FALSE;
  const GOptionEntry entries[] = {
    OPT_TENANT (o), OPT_CLIENT_ID (o), OPT_PROTOCOLS (o),
    { "object-id", 0, 0, G_OPTION_ARG_STRING, &object_id,
      N_("The object id of the Enterprise application (not of the app registration)"), N_("ID") },
    { "mailbox", 0, 0, G_OPTION_ARG_STRING_ARRAY, &mailboxes,
      N_("A mailbox the app may open (repeat for more)"), N_("ADDRESS") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device_name,
      N_("The steps for an office bridge device’s mailbox and pinned sender, instead of "
         "--mailbox"), N_("NAME") },
    { "send-as", 0, 0, G_OPTION_ARG_NONE, &send_as,
      N_("Let the app send as each mailbox too"), NULL },
    { "smtp-rbac", 0, 0, G_OPTION_ARG_NONE, &smtp_rbac,
      N_("Let the app send through Exchange’s application RBAC (the role “Application "
         "SMTP.SendAsApp” over a scope of the mailboxes) instead of mailbox permissions"), NULL },
    { "display-name", 0, 0, G_OPTION_ARG_STRING, &display_name,
      N_("The service principal’s name in Exchange (default: Latchkey)"), N_("NAME") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_("Write the script to FILE instead of standard output"), N_("FILE") },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, N_("Replace FILE if it exists"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  LkExchangeScriptInput in = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LkBridgeUser) device = NULL;
  g_autofree char *script = NULL;
  LkProtocolFlags protocols;
  int status;

  if (!lk_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return lk_cli_usage_error (context, _("Unexpected argument “%s”"), argv[1]);
  if (device_name != NULL && mailboxes != NULL)
    return lk_cli_usage_error (context, _("Choose one of --device and --mailbox"));
  if (device_name != NULL && (device = exchange_script_device (device_name, &o, &status)) == NULL)
    return status;
  if (!admin_check (context, &o, TRUE, &protocols, &status))
    return status;
  if (object_id == NULL)
    return lk_cli_usage_error (context, _("Give the Enterprise application’s object id with --object-id"));
  if (mailboxes == NULL && device == NULL)
    return lk_cli_usage_error (context, _("Name at least one mailbox with --mailbox, or a "
                                          "device with --device"));

  in.tenant = o.tenant;
  in.app_id = o.client_id;
  in.object_id = object_id;
  in.display_name = display_name;
  in.mailboxes = (const char * const *) mailboxes;
  in.send_as = send_as;
  in.protocols = protocols;
  in.smtp_rbac = smtp_rbac;
  script = device != NULL ? lk_exchange_script_generate_for_device (&in, device, &error)
                          : lk_exchange_script_generate (&in, &error);
  if (script == NULL)
    return lk_cli_usage_error (context, "%s", error->message);
  if (output == NULL)
    {
      g_print ("%s", script);
      return LK_EXIT_OK;
    }
  if (!force && g_file_test (output, G_FILE_TEST_EXISTS))
    {
      g_set_error (&error, LK_ERROR, LK_ERROR_EXISTS,
                   _("%s already exists; choose another name, or replace it on purpose (--force)"),
                   output);
      return lk_cli_fail (error);
    }
  if (!g_file_set_contents_full (output, script, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
    return lk_cli_fail (error);
  g_printerr (_("Wrote %s.\n"), output);
  return LK_EXIT_OK;
}

/* profile */

static int
admin_profile (int    argc,
               char **argv)
{
  static const LkCliCommand command = {
    "admin profile", NULL, N_("Write an organisation profile for everyone to import"), NULL
  };
  g_auto(AdminOptions) o = { 0 };
  g_autofree char *output = NULL;
  g_autofree char *name = NULL;
  gboolean force = FALSE;
  const GOptionEntry entries[] = {
    OPT_TENANT (o), OPT_CLIENT_ID (o), OPT_PROTOCOLS (o), OPT_PROVIDER (o), OPT_NO_LOOKUP (o),
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_("The file to write, such as contoso.latchkey"), N_("FILE") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name,
      N_("The name people see (default: from the domain, “Contoso (Microsoft 365)”)"), N_("NAME") },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, N_("Replace FILE if it exists"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(LkCliContext) cli = NULL;
  g_autoptr(LkProvider) provider = NULL;
  g_autoptr(LkProvider) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tenant = NULL;
  g_autofree char *description = NULL;
  g_autofree char *default_name = NULL;
  g_autofree char *id = NULL;
  LkProtocolFlags protocols;
  int status;

  if (!lk_cli_parse (context, &argc, &argv, &status) ||
      !admin_check (context, &o, TRUE, &protocols, &status))
    return status;
  if (argc != 1)
    return lk_cli_usage_error (context, _("Unexpected argument “%s”"), argv[1]);
  if (output == NULL)
    return lk_cli_usage_error (context, _("Name the file to write with -o FILE"));
  cli = lk_cli_context_new ();
  provider = admin_provider (cli, &o, &error);
  if (provider == NULL)
    return lk_cli_fail (error);
  tenant = resolve_tenant (cli, provider, &o);
  /* The name comes from the domain typed, even when the tenant id is stored. */
  if (name == NULL)
    default_name = lk_org_profile_name_for (o.tenant, provider);
  id = lk_org_profile_id_for (o.tenant);
  profile = lk_org_profile_new (provider, tenant, o.client_id, id,
                                name != NULL ? name : default_name, protocols, &error);
  if (profile == NULL)
    return lk_cli_fail (error);
  if (!lk_org_profile_write (profile, output, force, &error))
    return lk_cli_fail (error);
  description = lk_org_profile_describe (profile);
  g_printerr (_("Wrote %s:\n%s"), output, description);
  g_printerr (_("People add their account with: latchkey-cli add ADDRESS --profile %s\n"), output);
  return LK_EXIT_OK;
}

/* The dispatcher */

static const LkCliCommand admin_commands[] = {
  { "checklist", NULL, N_("The app registration steps, with your organisation’s values"), admin_checklist },
  { "consent-url", NULL, N_("The admin consent link; --open grants and confirms it here"), admin_consent_url },
  { "exchange-script", NULL, N_("Exchange Online PowerShell for an app-only app"), admin_exchange_script },
  { "profile", NULL, N_("Write an organisation profile for everyone to import"), admin_profile },
};

static void
admin_help (FILE *out)
{
  fprintf (out, "%s", _("Usage:\n  latchkey-cli admin COMMAND [OPTION…]\n\n"
                        "Set Microsoft 365 up for Latchkey, as an administrator.\n\nCommands:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (admin_commands); i++)
    fprintf (out, "  %-18s %s\n", admin_commands[i].name, _(admin_commands[i].summary));
  fprintf (out, "%s", _("\nRun “latchkey-cli admin COMMAND --help” for a command’s options.\n"));
}

int
lk_cli_admin (int    argc,
              char **argv)
{
  if (argc < 2)
    {
      admin_help (stderr);
      return LK_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    {
      admin_help (stdout);
      return LK_EXIT_OK;
    }
  for (guint i = 0; i < G_N_ELEMENTS (admin_commands); i++)
    if (strcmp (argv[1], admin_commands[i].name) == 0)
      return admin_commands[i].run (argc - 1, argv + 1);
  g_printerr (_("%s: unknown admin command “%s”\n\n"), "latchkey-cli", argv[1]);
  admin_help (stderr);
  return LK_EXIT_USAGE;
}
