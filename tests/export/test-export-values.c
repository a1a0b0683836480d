/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one rule for values written into a client's file (issue #19 §1):
 * every hostile value in every field is refused by every exporter, naming
 * the field, before anything is generated. What is accepted is read back
 * by the real clients in test-export-hostile.py. */
#include "config.h"

#include <string.h>

#include "export/lk-export-value.h"
#include "export/lk-exporter.h"
#include "lk-core.h"
#include "lk-error.h"
#include "providers/lk-provider-registry.h"

typedef enum
{
  FIELD_EMAIL,
  FIELD_LOGIN,
  FIELD_DISPLAY_NAME,
  FIELD_PROVIDER_NAME,
  FIELD_IMAP_HOST,
  FIELD_POP_HOST,
  FIELD_SMTP_HOST,
  FIELD_CA_FILE,
  FIELD_SCOPE,
  FIELD_TOKEN_ENDPOINT,
  FIELD_TOKEN_COMMAND,
  N_FIELDS
} Field;

/* What the error names for each field. */
static const char * const field_names[N_FIELDS] = {
  "address", "login", "display name", "provider name", "servers.imap.host",
  "servers.pop.host", "servers.smtp.host", "ca_file", "scopes.imap", "token_endpoint",
  "token command",
};

/* Anything a configuration syntax could read as the end of a value. */
static const char * const control_values[] = {
  "a\nb", "a\rb", "a\tb", "a\033b", "a\177b", "a\302\205b", "a\342\200\250b",
  "a\342\200\256b", "a\xff" "b", " leading", "trailing ",
};

/* Printable, but never part of a host name. */
static const char * const bad_hosts[] = {
  "localhost;touch /tmp/x", "$(touch /tmp/x)", "`touch /tmp/x`", "a%b", "a#b",
  "'a'", "\"a\"", "a b", "a/b", "[::1]",
};

/* Loaded in each test: GLib's per-test isolated folders (and so the user
 * profile folder) are only set once a test runs. */
static LkAccount *
make_account (void)
{
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  g_autoptr(LkProvider) provider = NULL;

  lk_provider_registry_load (registry);
  provider = lk_provider_copy_with (lk_provider_registry_lookup (registry, "microsoft365"),
                                    "contoso.com", "id");
  LkAccount *account;

  g_free (provider->ca_file);
  provider->ca_file = g_strdup ("/etc/ssl/contoso ca.pem");
  account = lk_account_new ("alice@contoso.com", provider);
  account->login = g_strdup ("alice.admin@contoso.com");
  account->display_name = g_strdup ("Alice O'Brien");
  return account;
}

static void
set_field (LkAccount  *account,
           Field       field,
           const char *value,
           char      **argv)
{
  LkProvider *p = account->provider;
  char **slot = NULL;

  switch (field)
    {
    case FIELD_EMAIL: slot = &account->email; break;
    case FIELD_LOGIN: slot = &account->login; break;
    case FIELD_DISPLAY_NAME: slot = &account->display_name; break;
    case FIELD_PROVIDER_NAME: slot = &p->name; break;
    case FIELD_IMAP_HOST: slot = &p->servers[LK_PROTOCOL_IMAP].host; break;
    case FIELD_POP_HOST: slot = &p->servers[LK_PROTOCOL_POP].host; break;
    case FIELD_SMTP_HOST: slot = &p->servers[LK_PROTOCOL_SMTP].host; break;
    case FIELD_CA_FILE: slot = &p->ca_file; break;
    case FIELD_SCOPE: slot = &p->scopes[LK_PROTOCOL_IMAP][0]; break;
    case FIELD_TOKEN_ENDPOINT: slot = &p->token_endpoint; break;
    case FIELD_TOKEN_COMMAND: slot = &argv[2]; break;
    case N_FIELDS:
    default:
      g_assert_not_reached ();
    }
  g_free (*slot);
  *slot = g_strdup (value);
}

static void
check_refused (const LkExporter *exporter,
               Field             field,
               const char       *value)
{
  g_autoptr(LkAccount) account = make_account ();
  const char *plain_argv[] = { "/usr/bin/latchkey-cli", "token", "alice@contoso.com", NULL };
  g_auto(GStrv) argv = g_strdupv ((char **) plain_argv);
  LkExportContext context = { (const char * const *) argv, NULL, "1", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autofree char *escaped = g_strescape (value, NULL);

  set_field (account, field, value, argv);
  files = lk_exporter_generate (exporter, account, &context, &error);
  if (files != NULL)
    g_error ("%s wrote %s = \"%s\"", exporter->id, field_names[field], escaped);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  if (strstr (error->message, field_names[field]) == NULL)
    g_error ("%s, %s = \"%s\": %s", exporter->id, field_names[field], escaped, error->message);
  /* The message shows the value without its control characters. */
  for (const char *p = error->message; *p != '\0'; p++)
    g_assert_true ((guchar) *p >= 0x20);
}

static void
test_plain_account_exports (void)
{
  const LkExporter * const *all = lk_exporter_get_all ();

  for (guint i = 0; all[i] != NULL; i++)
    {
      g_autoptr(LkAccount) account = make_account ();
      const char *argv[] = { "/usr/bin/latchkey-cli", "token", "alice@contoso.com", NULL };
      LkExportContext context = { argv, NULL, "1", NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) files = lk_exporter_generate (all[i], account, &context, &error);

      g_assert_no_error (error);
      g_assert_nonnull (files);
    }
}

static void
test_control_values (void)
{
  const LkExporter * const *all = lk_exporter_get_all ();

  for (guint i = 0; all[i] != NULL; i++)
    for (Field f = 0; f < N_FIELDS; f++)
      {
        if (f == FIELD_TOKEN_COMMAND && !all[i]->uses_token_command)
          continue;
        for (guint v = 0; v < G_N_ELEMENTS (control_values); v++)
          check_refused (all[i], f, control_values[v]);
      }
}

static void
test_bad_hosts (void)
{
  const LkExporter * const *all = lk_exporter_get_all ();

  for (guint i = 0; all[i] != NULL; i++)
    for (Field f = FIELD_IMAP_HOST; f <= FIELD_SMTP_HOST; f++)
      for (guint v = 0; v < G_N_ELEMENTS (bad_hosts); v++)
        check_refused (all[i], f, bad_hosts[v]);
}

/* aerc's only quoting is """…""": a value holding """ cannot be written. */
static void
test_aerc_triple_quote (void)
{
  g_autoptr(LkAccount) account = make_account ();
  const char *argv[] = { "/usr/bin/latchkey-cli", "token", "alice@contoso.com", NULL };
  LkExportContext context = { argv, NULL, "1", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = NULL;

  g_free (account->email);
  account->email = g_strdup ("\"\"\"x\"\"\"@contoso.com");
  files = lk_exporter_generate (lk_exporter_lookup ("aerc"), account, &context, &error);
  g_assert_null (files);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "aerc"));
  g_assert_nonnull (strstr (error->message, "address"));
}

/* The API the GUI's Set Up uses before merging into a real file. */
static void
test_value_api (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (lk_export_value_check ("login", "o'brien+\"x\"$(id)`id`%;#@example.com", &error));
  g_assert_no_error (error);
  g_assert_false (lk_export_value_check ("login", "a\nb", &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "login"));
  g_clear_error (&error);
  g_assert_false (lk_export_value_check ("login", "", &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_true (lk_export_host_check ("servers.imap.host", "imap.example.com", &error));
  g_assert_true (lk_export_host_check ("servers.imap.host", "::1", &error));
  g_assert_false (lk_export_host_check ("servers.imap.host", "münchen.example", &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  lk_core_init ();

  g_test_add_func ("/export/values/plain-account", test_plain_account_exports);
  g_test_add_func ("/export/values/control", test_control_values);
  g_test_add_func ("/export/values/hosts", test_bad_hosts);
  g_test_add_func ("/export/values/aerc-triple-quote", test_aerc_triple_quote);
  g_test_add_func ("/export/values/api", test_value_api);
  return g_test_run ();
}
