/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-test-utils.h"
#include "providers/lk-provider-registry.h"

static void
test_builtin_profiles_load (void)
{
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  GPtrArray *problems;
  LkProvider *m365;

  lk_provider_registry_load (registry);
  problems = lk_provider_registry_get_problems (registry);
  for (guint i = 0; i < problems->len; i++)
    g_test_message ("problem: %s", ((GError *) g_ptr_array_index (problems, i))->message);
  g_assert_cmpuint (problems->len, ==, 0);

  m365 = lk_provider_registry_lookup (registry, "microsoft365");
  g_assert_nonnull (m365);
  g_assert_cmpstr (m365->servers[LK_PROTOCOL_SMTP].host, ==, "smtp.office365.com");
  g_assert_cmpuint (m365->servers[LK_PROTOCOL_SMTP].port, ==, 587);
  g_assert_cmpint (m365->servers[LK_PROTOCOL_SMTP].security, ==, LK_SECURITY_STARTTLS);
  g_assert_cmpstr (m365->sasl[0], ==, "XOAUTH2");
  g_assert_null (m365->sasl[1]);
  g_assert_nonnull (lk_provider_registry_lookup (registry, "outlook"));
  g_assert_nonnull (lk_provider_registry_lookup (registry, "generic"));
  g_assert_true (lk_provider_registry_lookup_domain (registry, "hotmail.com") ==
                 lk_provider_registry_lookup (registry, "outlook"));
  g_assert_null (lk_provider_registry_lookup_domain (registry, "contoso.com"));
}

/* Every built-in profile: https endpoints, scopes for each protocol it has
 * servers for (except the generic template), complete servers. */
static void
test_builtin_profiles_valid (void)
{
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  GPtrArray *providers;

  lk_provider_registry_load (registry);
  providers = lk_provider_registry_get_providers (registry);
  g_assert_cmpuint (providers->len, >=, 3);
  for (guint i = 0; i < providers->len; i++)
    {
      LkProvider *p = g_ptr_array_index (providers, i);
      g_autoptr(GError) error = NULL;

      g_test_message ("profile %s", p->id);
      g_assert_true (lk_provider_validate (p, &error));
      g_assert_no_error (error);
      g_assert_true (g_str_has_prefix (p->authorization_endpoint, "https://"));
      g_assert_true (g_str_has_prefix (p->token_endpoint, "https://"));
      for (guint proto = 0; proto < LK_N_PROTOCOLS; proto++)
        {
          if (p->servers[proto].host == NULL)
            continue;
          g_assert_cmpuint (p->servers[proto].port, >, 0);
          if (g_strcmp0 (p->id, "generic") != 0)
            g_assert_nonnull (p->scopes[proto][0]);
        }
    }
}

static void
test_endpoint_and_scopes (void)
{
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  g_autofree char *token = NULL;
  g_autofree char *token_default = NULL;
  g_autofree char *scopes = NULL;
  LkProvider *m365;

  lk_provider_registry_load (registry);
  m365 = lk_provider_registry_lookup (registry, "microsoft365");

  token = lk_provider_dup_endpoint (m365, LK_ENDPOINT_TOKEN, "contoso.onmicrosoft.com");
  g_assert_cmpstr (token, ==,
                   "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
  token_default = lk_provider_dup_endpoint (m365, LK_ENDPOINT_TOKEN, NULL);
  g_assert_cmpstr (token_default, ==,
                   "https://login.microsoftonline.com/organizations/oauth2/v2.0/token");
  scopes = lk_provider_dup_scope_string (m365, LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP);
  g_assert_cmpstr (scopes, ==,
                   "https://outlook.office.com/IMAP.AccessAsUser.All "
                   "https://outlook.office.com/SMTP.Send offline_access");
}

static const char *valid_profile =
  "{\"id\":\"contoso\",\"name\":\"Contoso\",\"kind\":\"microsoft\","
  "\"authorization_endpoint\":\"https://login.example/{tenant}/authorize\","
  "\"token_endpoint\":\"https://login.example/{tenant}/token\","
  "\"tenant\":\"contoso.com\",\"client_id\":\"abc\","
  "\"scopes\":{\"imap\":[\"x\"],\"extra\":[\"offline_access\"]},"
  "\"servers\":{\"imap\":{\"host\":\"imap.example\",\"port\":993,\"security\":\"tls\"}}}";

typedef struct
{
  const char *description;
  const char *from;
  const char *to;
  const char *message_part;
  int         code;
} BadProfileCase;

static const BadProfileCase bad_profiles[] = {
  { "port out of range", "\"port\":993", "\"port\":99999",
    "“servers.imap.port” must be a number from 1 to 65535", LK_ERROR_INVALID_PROFILE },
  { "port as text", "\"port\":993", "\"port\":\"993\"",
    "“servers.imap.port”", LK_ERROR_INVALID_PROFILE },
  { "unknown security", "\"security\":\"tls\"", "\"security\":\"ssl\"",
    "“servers.imap.security” must be", LK_ERROR_INVALID_PROFILE },
  { "missing id", "\"id\":\"contoso\",", "",
    "“id” is missing", LK_ERROR_INVALID_PROFILE },
  { "plain http endpoint", "https://login.example/{tenant}/token", "http://login.example/token",
    "“token_endpoint” must use https://", LK_ERROR_INSECURE_ENDPOINT },
  { "clear text to a remote server", "\"security\":\"tls\"", "\"security\":\"none\"",
    "may be “none” only for a loopback host", LK_ERROR_INSECURE_ENDPOINT },
  { "scopes not a list", "\"imap\":[\"x\"]", "\"imap\":\"x\"",
    "“scopes.imap” must be a list", LK_ERROR_INVALID_PROFILE },
  { "not JSON", "{", "[",
    "not valid JSON", LK_ERROR_INVALID_PROFILE },
};

static void
test_bad_profile (gconstpointer data)
{
  const BadProfileCase *c = data;
  g_autoptr(GString) text = g_string_new (valid_profile);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkProvider) provider = NULL;

  g_assert_cmpuint (g_string_replace (text, c->from, c->to, 1), ==, 1);
  provider = lk_provider_new_from_data (text->str, -1, "contoso.json", &error);
  g_assert_null (provider);
  g_assert_error (error, LK_ERROR, c->code);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "contoso.json"));
  g_assert_nonnull (strstr (error->message, c->message_part));
}

static void
test_loopback_allowed (void)
{
  g_autoptr(GString) text = g_string_new (valid_profile);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkProvider) provider = NULL;

  g_string_replace (text, "https://login.example/{tenant}/token", "http://127.0.0.1:8080/token", 1);
  g_string_replace (text, "imap.example\",\"port\":993,\"security\":\"tls\"",
                    "127.0.0.1\",\"port\":143,\"security\":\"none\"", 1);
  provider = lk_provider_new_from_data (text->str, -1, "test", &error);
  g_assert_no_error (error);
  g_assert_nonnull (provider);
  g_assert_cmpint (provider->servers[LK_PROTOCOL_IMAP].security, ==, LK_SECURITY_NONE);
}

static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkProvider) provider = lk_provider_new_from_data (valid_profile, -1, "a", &error);
  g_autoptr(LkProvider) again = NULL;
  g_autofree char *data = NULL;
  g_autofree char *data_again = NULL;

  g_assert_no_error (error);
  data = lk_provider_to_data (provider, NULL);
  again = lk_provider_new_from_data (data, -1, "b", &error);
  g_assert_no_error (error);
  data_again = lk_provider_to_data (again, NULL);
  g_assert_cmpstr (data, ==, data_again);
  g_assert_cmpstr (again->tenant, ==, "contoso.com");
  g_assert_cmpstr (again->sasl[0], ==, "OAUTHBEARER");
}

/* A broken user profile is reported with its path and skipped; the others
 * still load. */
static void
test_user_profile_problems (void)
{
  const char *config = g_get_user_config_dir ();  /* isolated by g_test_init() */
  g_autofree char *good = g_build_filename (config, "latchkey", "providers", "good.json", NULL);
  g_autofree char *bad = g_build_filename (config, "latchkey", "providers", "bad.json", NULL);
  g_autoptr(GString) broken = g_string_new (valid_profile);
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  GPtrArray *problems;
  GError *problem;

  g_string_replace (broken, "\"port\":993", "\"port\":0", 1);
  lk_test_write_file (good, valid_profile);
  lk_test_write_file (bad, broken->str);

  lk_provider_registry_load (registry);
  problems = lk_provider_registry_get_problems (registry);
  g_assert_cmpuint (problems->len, ==, 1);
  problem = g_ptr_array_index (problems, 0);
  g_assert_nonnull (strstr (problem->message, bad));
  g_assert_nonnull (strstr (problem->message, "servers.imap.port"));
  g_assert_nonnull (lk_provider_registry_lookup (registry, "contoso"));
  g_assert_nonnull (lk_provider_registry_lookup (registry, "microsoft365"));
}

/* A complete profile with every string field, for the hostile-value table. */
static const char *full_profile =
  "{\"id\":\"contoso\",\"name\":\"Contoso\",\"kind\":\"microsoft\","
  "\"authorization_endpoint\":\"https://login.example/{tenant}/authorize\","
  "\"token_endpoint\":\"https://login.example/{tenant}/token\","
  "\"device_authorization_endpoint\":\"https://login.example/{tenant}/devicecode\","
  "\"issuer\":\"https://login.example/{tenant}/v2.0\","
  "\"tenant\":\"contoso.com\",\"client_id\":\"abc\",\"client_secret\":\"s\","
  "\"redirect_host\":\"localhost\",\"app_only_scope\":\"https://x/.default\","
  "\"scopes\":{\"imap\":[\"x\"],\"pop\":[\"y\"],\"smtp\":[\"z\"],\"extra\":[\"offline_access\"]},"
  "\"servers\":{\"imap\":{\"host\":\"imap.example\",\"port\":993,\"security\":\"tls\"},"
  "\"pop\":{\"host\":\"pop.example\",\"port\":995,\"security\":\"tls\"},"
  "\"smtp\":{\"host\":\"smtp.example\",\"port\":587,\"security\":\"starttls\"}},"
  "\"sasl\":[\"XOAUTH2\"],\"domains\":[\"contoso.com\"],\"mx\":[\"*.example\"],"
  "\"ca_file\":\"/etc/ssl/contoso.pem\",\"notes\":\"Hello\",\"client_id_help\":\"https://x/help\","
  "\"authorization_params\":{\"prompt\":\"select_account\"}}";

/* Every string in a profile, as the error names it, and how to reach it. */
static const char * const string_fields[] = {
  "id", "name", "kind", "authorization_endpoint", "token_endpoint",
  "device_authorization_endpoint", "issuer", "tenant", "client_id", "client_secret",
  "redirect_host", "app_only_scope", "ca_file", "notes", "client_id_help",
  "servers.imap.host", "servers.pop.host", "servers.smtp.host", "servers.smtp.security",
  "scopes.imap", "scopes.pop", "scopes.smtp", "scopes.extra", "sasl", "domains", "mx",
  "authorization_params.prompt",
};

/* Control characters a client's syntax could read as the end of a value:
 * line breaks (also C1 NEL and Unicode's separators), NUL, escape, DEL,
 * and a bidirectional override that makes a file read differently. */
static const char * const control_values[] = {
  "\\n", "\\r", "\\u0000", "\\t", "\\u001b", "\\u007f", "\\u0085", "\\u2028", "\\u202e",
};

/* Sets @field of @root (a dotted path; a list gets a one-item list) to the
 * JSON text @value_json. */
static void
set_field (JsonObject *root,
           const char *field,
           const char *value_json)
{
  g_auto(GStrv) path = g_strsplit (field, ".", -1);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *obj = root;
  guint n = g_strv_length (path);
  JsonNode *old;
  JsonNode *value;

  g_assert_true (json_parser_load_from_data (parser, value_json, -1, NULL));
  value = json_node_copy (json_parser_get_root (parser));
  for (guint i = 0; i + 1 < n; i++)
    obj = json_object_get_object_member (obj, path[i]);
  old = json_object_get_member (obj, path[n - 1]);
  g_assert_nonnull (old);
  if (JSON_NODE_HOLDS_ARRAY (old))
    {
      JsonArray *array = json_array_new ();
      json_array_add_element (array, value);
      json_object_set_array_member (obj, path[n - 1], array);
    }
  else
    json_object_set_member (obj, path[n - 1], value);
}

/* The value goes in as raw JSON text: json-glib itself would cut a
 * "\u0000" short before the profile reader ever saw it. */
static char *
profile_with (const char *field,
              const char *value_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GString) text = NULL;
  g_autofree char *data = NULL;

  g_assert_true (json_parser_load_from_data (parser, full_profile, -1, NULL));
  if (field != NULL)
    set_field (json_node_get_object (json_parser_get_root (parser)), field, "\"@VALUE@\"");
  json_generator_set_root (generator, json_parser_get_root (parser));
  data = json_generator_to_data (generator, NULL);
  text = g_string_new (data);
  if (field != NULL)
    g_assert_cmpuint (g_string_replace (text, "\"@VALUE@\"", value_json, 0), ==, 1);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Profiles are handed around by e-mail: a control character in any field
 * is refused, naming the file and the field (issue #19: a host name with a
 * line break became a "Tunnel" command in mbsync). */
static void
test_hostile_fields (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *plain = profile_with (NULL, NULL);
  g_autoptr(LkProvider) ok = lk_provider_new_from_data (plain, -1, "org.json", &error);

  g_assert_no_error (error);
  g_assert_nonnull (ok);
  for (guint f = 0; f < G_N_ELEMENTS (string_fields); f++)
    for (guint v = 0; v < G_N_ELEMENTS (control_values); v++)
      {
        g_autofree char *value = g_strdup_printf ("\"imap.example%slocalhost\"", control_values[v]);
        g_autofree char *data = profile_with (string_fields[f], value);
        g_autoptr(LkProvider) provider = NULL;
        g_autofree char *quoted = g_strdup_printf ("“%s”", string_fields[f]);

        g_clear_error (&error);
        provider = lk_provider_new_from_data (data, -1, "org.json", &error);
        if (provider != NULL)
          g_error ("%s with %s was accepted", string_fields[f], control_values[v]);
        g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_PROFILE);
        g_assert_true (g_str_has_prefix (error->message, "org.json: "));
        if (strstr (error->message, quoted) == NULL)
          g_error ("%s with %s: %s", string_fields[f], control_values[v], error->message);
      }
}

typedef struct
{
  const char *host;
  const char *stored;   /* NULL: refused */
} HostCase;

static const HostCase host_cases[] = {
  { "imap.example.com", "imap.example.com" },
  { "IMAP.Example.COM.", "imap.example.com." },
  { "exchange_01.corp.example", "exchange_01.corp.example" },
  { "münchen.example", "xn--mnchen-3ya.example" },
  { "127.0.0.1", "127.0.0.1" },
  { "::1", "::1" },
  { "2001:db8::25", "2001:db8::25" },
  { "localhost", "localhost" },
  { "localhost Tunnel \\\"touch /tmp/x\\\"", NULL },
  { "localhost;id", NULL },
  { "$(touch /tmp/x)", NULL },
  { "`touch /tmp/x`", NULL },
  { "a%b.example", NULL },
  { "a#b.example", NULL },
  { "it's.example", NULL },
  { "\\\"q\\\".example", NULL },
  { "mail.example.com/x", NULL },
  { "user@mail.example.com", NULL },
  { "[::1]", NULL },
  { "fe80::1%eth0", NULL },
  { "-mail.example", NULL },
  { "mail-.example", NULL },
  { "mail..example", NULL },
  { ".example", NULL },
  { "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.example", NULL },
};

/* Host names are DNS names (IDNA turned into ASCII) or IP literals. */
static void
test_hosts (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (host_cases); i++)
    {
      const HostCase *c = &host_cases[i];
      g_autofree char *value = g_strdup_printf ("\"%s\"", c->host);
      g_autofree char *data = profile_with ("servers.pop.host", value);
      g_autoptr(GError) error = NULL;
      g_autoptr(LkProvider) provider = lk_provider_new_from_data (data, -1, "org.json", &error);

      g_test_message ("host %s", c->host);
      if (c->stored != NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (provider->servers[LK_PROTOCOL_POP].host, ==, c->stored);
        }
      else
        {
          g_assert_null (provider);
          g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_PROFILE);
          g_assert_true (g_str_has_prefix (error->message, "org.json: "));
          g_assert_nonnull (strstr (error->message, "“servers.pop.host”"));
        }
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/provider/builtin/load", test_builtin_profiles_load);
  g_test_add_func ("/provider/builtin/valid", test_builtin_profiles_valid);
  g_test_add_func ("/provider/endpoint-and-scopes", test_endpoint_and_scopes);
  g_test_add_func ("/provider/loopback-allowed", test_loopback_allowed);
  g_test_add_func ("/provider/round-trip", test_round_trip);
  g_test_add_func ("/provider/user-profile-problems", test_user_profile_problems);
  g_test_add_func ("/provider/hostile-fields", test_hostile_fields);
  g_test_add_func ("/provider/hosts", test_hosts);
  for (guint i = 0; i < G_N_ELEMENTS (bad_profiles); i++)
    {
      g_autofree char *path = g_strdup_printf ("/provider/bad/%s", bad_profiles[i].description);
      g_strdelimit (path + strlen ("/provider/bad/"), " ", '-');
      g_test_add_data_func (path, &bad_profiles[i], test_bad_profile);
    }
  return g_test_run ();
}
