/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Test driver: generates one client's files for an account made from the
 * command line, so that Python tests can parse them the way clients do.
 *
 *   lk-export-dump --client ID --email E [--login L] [--provider ID]
 *                  [--profile FILE] [--ca FILE] [--format F] [--protocols LIST]
 *                  [--server-host H] [--display-name N] [--provider-name N]
 *                  --dir OUT -- TOKEN-ARGV…
 *
 * --profile loads a provider profile file as `add --profile` does (exit 2
 * with its error when it is refused); the other options change the account
 * in memory, past the profile checks, to test the exporters' own rule.
 *
 * Prints the names of the files written (their basename), one a line. */
#include "config.h"

#include <locale.h>

#include "export/lk-exporter.h"
#include "lk-core.h"
#include "providers/lk-provider-registry.h"

int
main (int   argc,
      char *argv[])
{
  g_autofree char *client = NULL, *email = NULL, *login = NULL, *provider_id = NULL;
  g_autofree char *ca = NULL, *format = NULL, *dir = NULL, *protocols = NULL, *host = NULL;
  g_autofree char *profile = NULL, *display_name = NULL, *provider_name = NULL;
  g_auto(GStrv) token = NULL;
  GOptionEntry entries[] = {
    { "client", 0, 0, G_OPTION_ARG_STRING, &client, NULL, NULL },
    { "email", 0, 0, G_OPTION_ARG_STRING, &email, NULL, NULL },
    { "login", 0, 0, G_OPTION_ARG_STRING, &login, NULL, NULL },
    { "provider", 0, 0, G_OPTION_ARG_STRING, &provider_id, NULL, NULL },
    { "ca", 0, 0, G_OPTION_ARG_STRING, &ca, NULL, NULL },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, NULL, NULL },
    { "protocols", 0, 0, G_OPTION_ARG_STRING, &protocols, NULL, NULL },
    { "server-host", 0, 0, G_OPTION_ARG_STRING, &host, NULL, NULL },
    { "profile", 0, 0, G_OPTION_ARG_FILENAME, &profile, NULL, NULL },
    { "display-name", 0, 0, G_OPTION_ARG_STRING, &display_name, NULL, NULL },
    { "provider-name", 0, 0, G_OPTION_ARG_STRING, &provider_name, NULL, NULL },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, NULL, NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &token, NULL, NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new (NULL);
  g_autoptr(LkProviderRegistry) registry = NULL;
  g_autoptr(LkProvider) provider = NULL;
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_utc (2025, 1, 2, 3, 4, 5);
  const LkExporter *exporter;
  LkExportContext context = { 0 };

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    g_error ("%s", error->message);

  lk_core_init ();
  registry = lk_provider_registry_new ();
  lk_provider_registry_load (registry);
  if (profile != NULL)
    {
      provider = lk_provider_new_from_file (profile, &error);
      if (provider == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 2;
        }
    }
  else
    provider = lk_provider_copy_with (lk_provider_registry_lookup (registry,
                                                                   provider_id ? provider_id : "microsoft365"),
                                      NULL, NULL);
  if (provider_name != NULL)
    {
      g_free (provider->name);
      provider->name = g_strdup (provider_name);
    }
  if (ca != NULL)
    {
      g_free (provider->ca_file);
      provider->ca_file = g_strdup (ca);
    }
  if (host != NULL)
    for (guint i = 0; i < LK_N_PROTOCOLS; i++)
      if (provider->servers[i].host != NULL)
        {
          g_free (provider->servers[i].host);
          provider->servers[i].host = g_strdup (host);
        }
  account = lk_account_new (email, provider);
  account->login = g_strdup (login);
  account->display_name = g_strdup (display_name);
  if (protocols != NULL && !lk_protocol_flags_parse (protocols, &account->protocols, &error))
    g_error ("%s", error->message);

  exporter = lk_exporter_lookup (client);
  if (exporter == NULL)
    g_error ("no exporter %s", client);

  context.token_argv = (const char * const *) token;
  context.now = now;
  context.version = "9.9";
  context.format = format;

  files = lk_exporter_generate (exporter, account, &context, &error);
  if (files == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  for (guint i = 0; i < files->len; i++)
    {
      LkExportFile *file = files->pdata[i];
      g_autofree char *base = g_path_get_basename (file->path);
      g_autofree char *path = g_build_filename (dir, base, NULL);

      if (!lk_export_write (path, file->contents, FALSE, NULL, &error))
        {
          g_printerr ("%s\n", error->message);
          return 3;
        }
      g_print ("%s\n", base);
    }
  return 0;
}
