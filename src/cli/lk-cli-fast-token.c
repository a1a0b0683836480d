/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The hot path of `latchkey-cli token`: one Secret Service lookup over the
 * session bus with the "plain" transfer algorithm, a JSON parse, and the
 * answer. libsecret would cost its start-up (libgcrypt) and a Diffie-Hellman
 * exchange on every call; the session bus is already the trust boundary the
 * Secret Service relies on for the "plain" algorithm, and the keyring item
 * is read only, never written, here.
 *
 * Anything unusual — no bus, a locked or missing item, an expiring token, an
 * option this file does not know — returns FALSE without printing, and the
 * full program (liblatchkey-core, libsecret) handles the command, with its
 * proper messages and exit statuses.
 */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "lk-cli-fast-token.h"
#include "lk-cli-token-format.h"

#define SECRETS_NAME "org.freedesktop.secrets"
#define SECRETS_PATH "/org/freedesktop/secrets"
#define SERVICE_IFACE "org.freedesktop.Secret.Service"
#define ITEM_IFACE "org.freedesktop.Secret.Item"
/* Must match src/core/store/lk-token-store.c and oauth/lk-token-set.h. */
#define TOKEN_SCHEMA "io.github.latchkey.Token"
#define TOKEN_VERSION "1"
/* An access token is handed out only with this much life left, as in core. */
#define FRESH_MARGIN_SECONDS 300

static gboolean
parse_arguments (int          argc,
                 char       **argv,
                 const char **out_email,
                 const char **out_format)
{
  const char *email = NULL;
  const char *format = "raw";

  if (argc < 3 || strcmp (argv[1], "token") != 0)
    return FALSE;
  for (int i = 2; i < argc; i++)
    {
      const char *arg = argv[i];

      if (strcmp (arg, "--format") == 0 && i + 1 < argc)
        format = argv[++i];
      else if (g_str_has_prefix (arg, "--format="))
        format = arg + strlen ("--format=");
      else if (arg[0] == '-' || email != NULL)
        return FALSE;   /* --force-refresh, --help, mistakes: the full program */
      else
        email = arg;
    }
  if (email == NULL || !lk_cli_token_format_is_valid (format))
    return FALSE;
  *out_email = email;
  *out_format = format;
  return TRUE;
}

static char *
lookup_secret (GDBusConnection *bus,
               const char      *email)
{
  g_autoptr(GVariant) found = NULL;
  g_autoptr(GVariant) session_reply = NULL;
  g_autoptr(GVariant) secret_reply = NULL;
  g_autoptr(GVariant) unlocked = NULL;
  g_autoptr(GVariant) value = NULL;
  GVariantBuilder attributes;
  const char *session_path;
  const char *item_path;
  gconstpointer bytes;
  gsize n_bytes;

  g_variant_builder_init (&attributes, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_add (&attributes, "{ss}", "xdg:schema", TOKEN_SCHEMA);
  g_variant_builder_add (&attributes, "{ss}", "account", email);
  g_variant_builder_add (&attributes, "{ss}", "version", TOKEN_VERSION);
  found = g_dbus_connection_call_sync (bus, SECRETS_NAME, SECRETS_PATH, SERVICE_IFACE,
                                       "SearchItems", g_variant_new ("(a{ss})", &attributes),
                                       G_VARIANT_TYPE ("(aoao)"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, 2000, NULL, NULL);
  if (found == NULL)
    return NULL;
  unlocked = g_variant_get_child_value (found, 0);
  if (g_variant_n_children (unlocked) != 1)
    return NULL;   /* none, or locked, or ambiguous: the full program explains */
  g_variant_get_child (unlocked, 0, "&o", &item_path);

  session_reply = g_dbus_connection_call_sync (bus, SECRETS_NAME, SECRETS_PATH, SERVICE_IFACE,
                                               "OpenSession",
                                               g_variant_new ("(sv)", "plain",
                                                              g_variant_new_string ("")),
                                               G_VARIANT_TYPE ("(vo)"),
                                               G_DBUS_CALL_FLAGS_NONE, 2000, NULL, NULL);
  if (session_reply == NULL)
    return NULL;
  g_variant_get_child (session_reply, 1, "&o", &session_path);

  secret_reply = g_dbus_connection_call_sync (bus, SECRETS_NAME, item_path, ITEM_IFACE,
                                              "GetSecret", g_variant_new ("(o)", session_path),
                                              G_VARIANT_TYPE ("((oayays))"),
                                              G_DBUS_CALL_FLAGS_NONE, 2000, NULL, NULL);
  if (secret_reply == NULL)
    return NULL;
  /* (session, parameters, value, content type) */
  {
    g_autoptr(GVariant) secret = g_variant_get_child_value (secret_reply, 0);
    value = g_variant_get_child_value (secret, 2);
  }
  bytes = g_variant_get_fixed_array (value, &n_bytes, 1);
  if (n_bytes == 0 || memchr (bytes, '\0', n_bytes) != NULL)
    return NULL;
  /* The session closes with our connection when the process exits. */
  return g_strndup (bytes, n_bytes);
}

gboolean
lk_cli_fast_token (int    argc,
                   char **argv,
                   int   *out_status)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *output = NULL;
  const char *email;
  const char *format;
  const char *access_token;
  JsonObject *obj;
  JsonNode *root;
  gint64 expires_at;

  if (!parse_arguments (argc, argv, &email, &format))
    return FALSE;
  if (g_getenv ("LATCHKEY_NO_FAST_PATH") != NULL)
    return FALSE;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  if (bus == NULL)
    return FALSE;
  payload = lookup_secret (bus, email);
  if (payload == NULL)
    return FALSE;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, payload, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      explicit_bzero (payload, strlen (payload));
      return FALSE;
    }
  explicit_bzero (payload, strlen (payload));
  obj = json_node_get_object (root);
  expires_at = json_object_get_int_member_with_default (obj, "expires_at", 0);
  access_token = json_object_get_string_member_with_default (obj, "access_token", NULL);
  if (json_object_get_int_member_with_default (obj, "v", 0) != 1 ||
      access_token == NULL || *access_token == '\0' ||
      expires_at - g_get_real_time () / G_USEC_PER_SEC <= FRESH_MARGIN_SECONDS)
    return FALSE;

  output = lk_cli_token_format (format, email, access_token, expires_at);
  if (output == NULL)
    return FALSE;
  fputs (output, stdout);
  explicit_bzero (output, strlen (output));
  *out_status = fflush (stdout) == 0 ? 0 : 1;
  return TRUE;
}
