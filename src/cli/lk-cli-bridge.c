/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "bridge/lk-bridge-client.h"
#include "bridge/lk-bridge-credentials.h"
#include "bridge/lk-bridge-daemon.h"
#include "bridge/lk-bridge-queue.h"
#include "bridge/lk-bridge-settings.h"
#include "bridge/lk-bridge-spool.h"
#include "bridge/lk-bridge.h"
#include "lk-cli-bridge.h"
#include "lk-cli-commands.h"
#include "lk-cli-context.h"
#include "lk-error.h"
#include "lk-json.h"
#include "lk-places.h"
#include "lk-token-set.h"

/* `latchkey-cli bridge …`: the local bridge for programs that only know
 * passwords (doc/bridge.md). The credentials change here, in the file the
 * daemon reads before every login check; a running daemon is also told to
 * reload, so that the change holds at once. */

void
lk_cli_bridge_print_json (JsonNode *node)
{
  g_autofree char *text = lk_json_to_data (node, TRUE, NULL);

  g_print ("%s\n", text);
}

/* The running bridge's answer to @command, or NULL (and why) without one. */
JsonObject *
lk_cli_bridge_ask (const char  *command,
                   GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  lk_bridge_client_request_async (command, NULL, NULL, lk_cli_store_result_cb, &result);
  return lk_bridge_client_request_finish (lk_cli_wait (&result), error);
}

/* Tells a running bridge that the logins changed; says how to start one
 * when there is none. */
void
lk_cli_bridge_reload (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = lk_cli_bridge_ask ("reload", &error);

  if (reply != NULL)
    return;
  if (lk_bridge_client_is_not_running (error))
    g_printerr ("%s\n", _("The bridge is not running: start it with “latchkey-cli bridge run”, "
                          "or at login with “systemctl --user enable --now latchkey-bridge”."));
  else
    g_printerr ("%s: %s\n", g_get_prgname (), error->message);
}

typedef struct
{
  char   *host;
  guint   port;
  char   *security;
} Where;

static void
where_clear (Where *where)
{
  g_free (where->host);
  g_free (where->security);
}

/* Where mail programs reach @protocol: core's rule
 * (lk_bridge_client_find_listener()), over the running bridge's listeners
 * or, when none runs, those bridge.json names. */
static gboolean
find_listener (JsonObject *status,
               LkProtocol  protocol,
               Where      *out)
{
  g_autoptr(LkBridgeSettings) settings = NULL;
  g_autoptr(LkBridgeEndpoint) endpoint = NULL;

  if (status == NULL || !json_object_has_member (status, "listeners"))
    {
      g_autoptr(GError) error = NULL;

      settings = lk_bridge_settings_load (NULL, &error);
      if (settings == NULL)
        g_printerr ("%s: %s\n", g_get_prgname (), error->message);
    }
  if (settings == NULL)
    settings = lk_bridge_settings_new_default ();
  endpoint = lk_bridge_client_find_listener (status, settings, protocol);
  if (endpoint == NULL)
    return FALSE;
  out->host = g_strdup (endpoint->address);
  out->port = endpoint->port;
  out->security = g_strdup (lk_security_to_string (endpoint->security));
  return TRUE;
}

static const char *
security_label (const char *security)
{
  /* Translators: how a mail program's "security" setting is named */
  return g_strcmp0 (security, "tls") == 0 ? _("SSL/TLS") : _("STARTTLS (or none: this computer only)");
}

static const char *
protocol_title (LkProtocol protocol)
{
  switch (protocol)
    {
    case LK_PROTOCOL_IMAP:
      return _("IMAP (incoming mail)");
    case LK_PROTOCOL_POP:
      return _("POP3 (incoming mail)");
    case LK_PROTOCOL_SMTP:
    default:
      return _("SMTP (outgoing mail)");
    }
}

static void
print_settings (const char      *email,
                const char      *password,
                LkProtocolFlags  protocols,
                JsonObject      *status,
                gboolean         json)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  lk_json_add_string (builder, "username", email);
  lk_json_add_string (builder, "password", password);
  if (!json)
    {
      /* Translators: %s is an e-mail address */
      g_print (_("The bridge is on for %s. In your mail program:\n"), email);
    }
  for (guint p = 0; p < LK_N_PROTOCOLS; p++)
    {
      Where where = { 0 };

      json_builder_set_member_name (builder, lk_protocol_to_string (p));
      if (!(protocols & (1 << p)) || !find_listener (status, p, &where))
        {
          json_builder_add_null_value (builder);
          if ((protocols & (1 << p)) && !json)
            g_print (_("\n  %s\n    The bridge has no listener for it: add one in bridge.json\n"),
                     protocol_title (p));
          continue;
        }
      json_builder_begin_object (builder);
      lk_json_add_string (builder, "host", where.host);
      lk_json_add_int (builder, "port", where.port);
      lk_json_add_string (builder, "security", where.security);
      json_builder_end_object (builder);
      if (!json)
        {
          g_print ("\n  %s\n", protocol_title (p));
          /* Translators: the settings block of `bridge enable`; keep the values aligned */
          g_print (_("    Server:     %s\n"), where.host);
          g_print (_("    Port:       %u\n"), where.port);
          g_print (_("    Security:   %s\n"), security_label (where.security));
          g_print (_("    User name:  %s\n"), email);
          if (password != NULL)
            g_print (_("    Password:   %s\n"), password);
          else
            g_print (_("    Password:   (the one shown when the bridge was first enabled)\n"));
        }
      where_clear (&where);
    }
  json_builder_end_object (builder);
  if (json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (builder);

      lk_cli_bridge_print_json (root);
    }
  else if (password != NULL)
    g_print (_("\nThe password is shown only now. For a new one: "
               "latchkey-cli bridge password %s --reset\n"), email);
  else
    g_print (_("\nForgot the password? Make a new one: latchkey-cli bridge password %s --reset\n"),
             email);
}

static int
bridge_enable (int    argc,
               char **argv)
{
  static const LkCliCommand command = {
    "bridge enable", "EMAIL", N_("Let password-only programs use an account through the bridge"), NULL
  };
  g_autofree char *protocol_text = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "protocols", 0, 0, G_OPTION_ARG_STRING, &protocol_text,
      N_("What the bridge serves for it: imap, pop and smtp, separated by commas "
         "(default: what the account uses)"), N_("LIST") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(LkAccountStore) store = lk_account_store_new (NULL);
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(JsonObject) status = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  LkProtocolFlags protocols, available;
  int exit_status;

  if (!lk_cli_parse (context, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 2)
    return lk_cli_usage_error (context, _("Give exactly one account address"));
  account = lk_account_store_load (store, argv[1], &error);
  if (account == NULL)
    {
      if (g_error_matches (error, LK_ERROR, LK_ERROR_NOT_FOUND))
        {
          g_printerr (_("%s: there is no account %s; add it with “latchkey-cli add %s” first\n"),
                      g_get_prgname (), argv[1], argv[1]);
          return LK_EXIT_FAILURE;
        }
      return lk_cli_fail (error);
    }
  available = lk_provider_get_protocols (account->provider);
  if (protocol_text != NULL)
    {
      if (!lk_protocol_flags_parse (protocol_text, &protocols, &error))
        return lk_cli_usage_error (context, "%s", error->message);
      if ((protocols & available) != protocols)
        {
          g_autofree char *missing = lk_protocol_flags_to_string (protocols & ~available);

          return lk_cli_usage_error (context, _("%s has no server for %s"),
                                     account->provider->name, missing);
        }
    }
  else
    protocols = (account->protocols != 0 ? account->protocols : available) & available;
  if (protocols == 0)
    return lk_cli_usage_error (context, _("%s has no mail server the bridge could serve"),
                               account->provider->name);

  if (!lk_bridge_credentials_enable (credentials, account->email, protocols, &password, &error))
    return lk_cli_fail (error);
  lk_cli_bridge_reload ();
  {
    g_autoptr(GError) ignored = NULL;

    status = lk_cli_bridge_ask ("status", &ignored);
  }
  print_settings (account->email, password, protocols, status, json);
  if (password != NULL)
    lk_secret_wipe (g_steal_pointer (&password));
  return fflush (stdout) == 0 ? LK_EXIT_OK : LK_EXIT_FAILURE;
}

static int
bridge_disable (int    argc,
                char **argv)
{
  static const LkCliCommand command = {
    "bridge disable", "EMAIL", N_("Stop serving an account through the bridge"), NULL
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, NULL);
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  g_autoptr(GError) error = NULL;
  int exit_status;

  if (!lk_cli_parse (context, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 2)
    return lk_cli_usage_error (context, _("Give exactly one account address"));
  if (!lk_bridge_credentials_disable (credentials, argv[1], &error))
    return lk_cli_fail (error);
  lk_cli_bridge_reload ();
  g_printerr (_("The bridge no longer serves %s; its password is kept for when you enable it "
                "again.\n"), argv[1]);
  return LK_EXIT_OK;
}

static int
bridge_password (int    argc,
                 char **argv)
{
  static const LkCliCommand command = {
    "bridge password", "EMAIL", N_("Make a new bridge password for an account"), NULL
  };
  gboolean reset = FALSE;
  const GOptionEntry entries[] = {
    { "reset", 0, 0, G_OPTION_ARG_NONE, &reset,
      N_("Make a new password; the old one stops working at once"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  int exit_status;

  if (!lk_cli_parse (context, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 2)
    return lk_cli_usage_error (context, _("Give exactly one account address"));
  if (!reset)
    return lk_cli_usage_error (context, _("Latchkey keeps only a hash of the password, so it "
                                          "cannot show it again; add --reset to make a new one"));
  password = lk_bridge_credentials_reset_password (credentials, argv[1], &error);
  if (password == NULL)
    return lk_cli_fail (error);
  /* Alone on stdout, for scripts; what else there is to say goes to stderr. */
  g_print ("%s\n", password);
  lk_secret_wipe (g_steal_pointer (&password));
  if (fflush (stdout) != 0)
    return LK_EXIT_FAILURE;
  lk_cli_bridge_reload ();
  return LK_EXIT_OK;
}

static void
print_status_human (JsonObject *status,
                    JsonArray  *accounts)
{
  gboolean running = lk_json_get_boolean (status, "running", FALSE);

  if (running)
    {
      JsonObject *certificate = json_object_get_object_member (status, "certificate");
      JsonArray *listeners = json_object_get_array_member (status, "listeners");
      gint64 sessions = lk_json_get_int (status, "sessions", 0);

      /* Translators: %u is a process id, %s a date, the last a number of sessions */
      g_print (g_dngettext (GETTEXT_PACKAGE, "The bridge is running (process %u, since %s), "
                            "%u session open.\n", "The bridge is running (process %u, since %s), "
                            "%u sessions open.\n", sessions),
               (guint) lk_json_get_int (status, "pid", 0),
               lk_json_get_string_or (status, "started", "?"),
               (guint) sessions);
      if (certificate != NULL)
        g_print (_("Certificate SHA-256: %s\n"),
                 lk_json_get_string_or (certificate, "sha256", "?"));
      g_print ("%s\n", _("Listening:"));
      for (guint i = 0; listeners != NULL && i < json_array_get_length (listeners); i++)
        {
          JsonObject *listener = json_array_get_object_element (listeners, i);
          const char *address = lk_json_get_string_or (listener, "address", "?");

          g_print (strchr (address, ':') != NULL ? "  %-5s [%s]:%u %s\n" : "  %-5s %s:%u %s\n",
                   lk_json_get_string_or (listener, "protocol", "?"), address,
                   (guint) lk_json_get_int (listener, "port", 0),
                   lk_json_get_string_or (listener, "security", "?"));
        }
    }
  else
    g_print ("%s\n", _("The bridge is not running. Start it with “latchkey-cli bridge run”, or at "
                       "login with “systemctl --user enable --now latchkey-bridge”."));
  if (json_object_has_member (status, "queue"))
    {
      JsonObject *queue = json_object_get_object_member (status, "queue");
      gint64 count = lk_json_get_int (queue, "count", 0);
      JsonNode *last_error = json_object_get_member (queue, "last_error");

      if (count > 0)
        {
          /* Translators: %u is a number of messages, %s a date */
          g_print (g_dngettext (GETTEXT_PACKAGE, "Queue: %u message from devices not delivered "
                                "yet, the oldest from %s\n", "Queue: %u messages from devices "
                                "not delivered yet, the oldest from %s\n", count),
                   (guint) count, lk_json_get_string_or (queue, "oldest", "?"));
          if (last_error != NULL && JSON_NODE_HOLDS_VALUE (last_error))
            g_print (_("    last error: %s\n"), json_node_get_string (last_error));
        }
    }

  if (accounts == NULL || json_array_get_length (accounts) == 0)
    {
      g_print ("%s\n", _("No account uses the bridge; “latchkey-cli bridge enable EMAIL” adds one."));
      return;
    }
  g_print ("%s\n", _("Accounts:"));
  for (guint i = 0; i < json_array_get_length (accounts); i++)
    {
      JsonObject *account = json_array_get_object_element (accounts, i);
      JsonArray *protocols = json_object_get_array_member (account, "protocols");
      g_autoptr(GString) names = g_string_new (NULL);
      JsonNode *last_login = json_object_get_member (account, "last_login");
      JsonNode *last_error = json_object_get_member (account, "last_error");

      for (guint p = 0; protocols != NULL && p < json_array_get_length (protocols); p++)
        g_string_append_printf (names, "%s%s", p > 0 ? "," : "",
                                json_array_get_string_element (protocols, p));
      g_print ("  %s  %s", lk_json_get_string_or (account, "email", "?"),
               names->str);
      if (!lk_json_get_boolean (account, "enabled", TRUE))
        g_print ("  %s", _("(disabled)"));
      if (running)
        {
          gint64 sessions = lk_json_get_int (account, "sessions", 0);

          g_print (g_dngettext (GETTEXT_PACKAGE, "  %u session", "  %u sessions", sessions),
                   (guint) sessions);
          if (last_login != NULL && JSON_NODE_HOLDS_VALUE (last_login))
            g_print (_("  last login %s"), json_node_get_string (last_login));
        }
      g_print ("\n");
      if (last_error != NULL && JSON_NODE_HOLDS_VALUE (last_error))
        g_print (_("    last error: %s\n"), json_node_get_string (last_error));
    }
}

static int
bridge_status (int    argc,
               char **argv)
{
  static const LkCliCommand command = {
    "bridge status", NULL, N_("Whether the bridge runs, where it listens, and each account’s state"), NULL
  };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(JsonObject) status = NULL;
  g_autoptr(GError) error = NULL;
  int exit_status;

  if (!lk_cli_parse (context, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 1)
    return lk_cli_usage_error (context, _("bridge status takes no argument"));

  status = lk_cli_bridge_ask ("status", &error);
  if (status == NULL)
    {
      g_autoptr(LkBridgeCredentials) credentials = NULL;

      if (!lk_bridge_client_is_not_running (error))
        return lk_cli_fail (error);
      /* Not running: what it would serve, from the logins file. */
      credentials = lk_bridge_credentials_new (NULL);
      status = json_object_new ();
      json_object_set_boolean_member (status, "running", FALSE);
      json_object_set_member (status, "accounts", lk_bridge_describe_accounts (credentials, NULL));
      {
        g_autofree char *dir = lk_places_get_dir (LK_PLACE_SPOOL);
        g_autoptr(LkBridgeSpool) spool = lk_bridge_spool_new (dir);
        g_autoptr(GPtrArray) entries = lk_bridge_spool_list (spool);

        json_object_set_member (status, "queue", lk_bridge_queue_summarize (entries));
      }
    }
  if (json)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (root, status);
      lk_cli_bridge_print_json (root);
    }
  else
    print_status_human (status, json_object_get_array_member (status, "accounts"));
  return LK_EXIT_OK;
}

static int
bridge_run (int    argc,
            char **argv)
{
  static const LkCliCommand command = {
    "bridge run", NULL, N_("Run the bridge in the foreground"), NULL
  };
  LkBridgeOptions options = { 0 };
  g_autofree GOptionEntry *entries = lk_bridge_options_get_entries (&options);
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  int exit_status;

  if (!lk_cli_parse (context, &argc, &argv, &exit_status))
    {
      lk_bridge_options_clear (&options);
      return exit_status;
    }
  if (argc != 1)
    {
      lk_bridge_options_clear (&options);
      return lk_cli_usage_error (context, _("bridge run takes no argument; listeners are "
                                            "options such as --imap 127.0.0.1:1143"));
    }
  exit_status = lk_bridge_daemon_run (&options);
  lk_bridge_options_clear (&options);
  return exit_status;
}

static const LkCliCommand bridge_commands[] = {
  { "enable", "EMAIL", N_("Make a password for an account and serve it through the bridge"), bridge_enable },
  { "disable", "EMAIL", N_("Stop serving an account (its password is kept)"), bridge_disable },
  { "password", "EMAIL --reset", N_("Replace an account’s bridge password"), bridge_password },
  { "status", NULL, N_("Whether the bridge runs, its listeners and accounts"), bridge_status },
  { "run", NULL, N_("Run the bridge in the foreground"), bridge_run },
  { "device", "COMMAND", N_("Printers and scanners on the office network (add, list, remove, reset)"),
    lk_cli_bridge_device },
  { "queue", "[COMMAND]", N_("Mail devices sent that is not delivered yet (retry, drop ID)"),
    lk_cli_bridge_queue },
};

static void
bridge_help (FILE *out)
{
  fprintf (out, "%s", _("Usage:\n  latchkey-cli bridge COMMAND [OPTION…]\n\n"
                        "Lets programs that only know a user name and password (fetchmail, old "
                        "apps, printers) use an account: they log in to the bridge on this "
                        "computer with a password Latchkey makes, and the bridge signs in to "
                        "the provider with OAuth2.\n\nCommands:\n"));
  lk_cli_bridge_print_commands (out, bridge_commands, G_N_ELEMENTS (bridge_commands));
  fprintf (out, "%s", _("\nRun “latchkey-cli bridge COMMAND --help” for a command’s options. "
                        "See latchkey-bridge(1).\n"));
}

/* "  name PARAMETERS   summary", one line per command of a help text. */
void
lk_cli_bridge_print_commands (FILE               *out,
                              const LkCliCommand *commands,
                              guint               n_commands)
{
  for (guint i = 0; i < n_commands; i++)
    {
      g_autofree char *left = g_strdup_printf ("%s %s", commands[i].name,
                                               commands[i].parameters != NULL
                                               ? commands[i].parameters : "");
      fprintf (out, "  %-28s %s\n", left, _(commands[i].summary));
    }
}

/**
 * lk_cli_bridge_dispatch:
 * @group: "bridge", "bridge device": for the message on an unknown command
 *
 * Runs the command of @commands that argv[1] names, or prints @help.
 */
int
lk_cli_bridge_dispatch (const char         *group,
                        const LkCliCommand *commands,
                        guint               n_commands,
                        void              (*help) (FILE *out),
                        int                 argc,
                        char              **argv)
{
  if (argc < 2)
    {
      help (stderr);
      return LK_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    {
      help (stdout);
      return LK_EXIT_OK;
    }
  for (guint i = 0; i < n_commands; i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);
  /* Translators: the first %s is a command group ("bridge"), the second what was typed */
  g_printerr (_("%s: unknown %s command “%s”\n\n"), "latchkey-cli", group, argv[1]);
  help (stderr);
  return LK_EXIT_USAGE;
}

int
lk_cli_bridge (int    argc,
               char **argv)
{
  return lk_cli_bridge_dispatch ("bridge", bridge_commands, G_N_ELEMENTS (bridge_commands),
                                 bridge_help, argc, argv);
}
