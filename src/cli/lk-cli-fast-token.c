/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The hot path of `latchkey-cli token`: one Secret Service lookup over the
 * session bus with the "plain" transfer algorithm, and the answer. Mail
 * clients run this on every connection, so it links only GLib and libdbus:
 * GIO alone costs a worker thread and several shared libraries at start-up,
 * and libsecret adds libgcrypt and a Diffie-Hellman exchange per call. The
 * session bus is already the trust boundary the Secret Service relies on for
 * "plain", and the keyring item is only read here, never written.
 *
 * Anything unusual — no bus, a locked or missing item, an expiring token, an
 * option this file does not know — returns FALSE without printing, and the
 * full program (liblatchkey-core, libsecret) handles the command, with its
 * proper messages and exit statuses.
 */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <dbus/dbus.h>
#include <stdio.h>
#include <string.h>

#include "lk-cli-fast-token.h"
#include "lk-cli-payload.h"
#include "lk-cli-token-format.h"

#define SECRETS_NAME "org.freedesktop.secrets"
#define SECRETS_PATH "/org/freedesktop/secrets"
#define SERVICE_IFACE "org.freedesktop.Secret.Service"
#define ITEM_IFACE "org.freedesktop.Secret.Item"
/* Must match src/core/store/lk-secret-token-store.c and src/core/lk-token-set.h. */
#define TOKEN_SCHEMA "io.github.latchkey.Token"
#define TOKEN_VERSION "1"
#define PAYLOAD_VERSION 1
/* An access token is handed out only with this much life left, as in core
 * (LK_TOKEN_MIN_LIFETIME_SECONDS). */
#define FRESH_MARGIN_SECONDS 300
#define CALL_TIMEOUT_MS 2000

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

/* The session bus, never autolaunched: libdbus would start dbus-launch when
 * the address is unset and a display is, leaving a daemon behind. */
static DBusConnection *
open_session_bus (void)
{
  g_autofree char *fallback = NULL;
  const char *address = g_getenv ("DBUS_SESSION_BUS_ADDRESS");
  DBusConnection *bus;
  DBusError error;

  if (address == NULL || *address == '\0')
    {
      g_autofree char *path = g_build_filename (g_get_user_runtime_dir (), "bus", NULL);

      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        return NULL;
      fallback = g_strconcat ("unix:path=", path, NULL);
      address = fallback;
    }
  dbus_error_init (&error);
  bus = dbus_connection_open_private (address, &error);
  if (bus == NULL || !dbus_bus_register (bus, &error))
    {
      if (bus != NULL)
        {
          dbus_connection_close (bus);
          dbus_connection_unref (bus);
        }
      dbus_error_free (&error);
      return NULL;
    }
  dbus_connection_set_exit_on_disconnect (bus, FALSE);
  return bus;
}

static DBusMessage *
call (DBusConnection *bus,
      DBusMessage    *message)
{
  DBusMessage *reply;
  DBusError error;

  dbus_error_init (&error);
  dbus_message_set_auto_start (message, FALSE);
  reply = dbus_connection_send_with_reply_and_block (bus, message, CALL_TIMEOUT_MS, &error);
  dbus_message_unref (message);
  dbus_error_free (&error);
  return reply;
}

/* SearchItems: the one unlocked item of this account, or NULL. */
static char *
search_item (DBusConnection *bus,
             const char     *email)
{
  const char *keys[] = { "xdg:schema", "account", "version" };
  const char *values[] = { TOKEN_SCHEMA, email, TOKEN_VERSION };
  DBusMessage *message = dbus_message_new_method_call (SECRETS_NAME, SECRETS_PATH,
                                                       SERVICE_IFACE, "SearchItems");
  DBusMessageIter args, dict, entry;
  DBusMessage *reply;
  char **unlocked = NULL;
  char **locked = NULL;
  int n_unlocked = 0, n_locked = 0;
  char *item = NULL;
  DBusError error;

  dbus_message_iter_init_append (message, &args);
  dbus_message_iter_open_container (&args, DBUS_TYPE_ARRAY, "{ss}", &dict);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      dbus_message_iter_open_container (&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
      dbus_message_iter_append_basic (&entry, DBUS_TYPE_STRING, &keys[i]);
      dbus_message_iter_append_basic (&entry, DBUS_TYPE_STRING, &values[i]);
      dbus_message_iter_close_container (&dict, &entry);
    }
  dbus_message_iter_close_container (&args, &dict);

  reply = call (bus, message);
  if (reply == NULL)
    return NULL;
  dbus_error_init (&error);
  if (dbus_message_get_args (reply, &error,
                             DBUS_TYPE_ARRAY, DBUS_TYPE_OBJECT_PATH, &unlocked, &n_unlocked,
                             DBUS_TYPE_ARRAY, DBUS_TYPE_OBJECT_PATH, &locked, &n_locked,
                             DBUS_TYPE_INVALID) &&
      n_unlocked == 1)   /* none, locked or ambiguous: the full program explains */
    item = g_strdup (unlocked[0]);
  dbus_free_string_array (unlocked);
  dbus_free_string_array (locked);
  dbus_error_free (&error);
  dbus_message_unref (reply);
  return item;
}

static char *
open_plain_session (DBusConnection *bus)
{
  const char *algorithm = "plain";
  const char *empty = "";
  DBusMessage *message = dbus_message_new_method_call (SECRETS_NAME, SECRETS_PATH,
                                                       SERVICE_IFACE, "OpenSession");
  DBusMessageIter args, variant, reply_args;
  DBusMessage *reply;
  const char *path = NULL;
  char *session = NULL;

  dbus_message_iter_init_append (message, &args);
  dbus_message_iter_append_basic (&args, DBUS_TYPE_STRING, &algorithm);
  dbus_message_iter_open_container (&args, DBUS_TYPE_VARIANT, "s", &variant);
  dbus_message_iter_append_basic (&variant, DBUS_TYPE_STRING, &empty);
  dbus_message_iter_close_container (&args, &variant);

  reply = call (bus, message);
  if (reply == NULL)
    return NULL;
  /* (v output, o session) */
  if (dbus_message_iter_init (reply, &reply_args) &&
      dbus_message_iter_next (&reply_args) &&
      dbus_message_iter_get_arg_type (&reply_args) == DBUS_TYPE_OBJECT_PATH)
    {
      dbus_message_iter_get_basic (&reply_args, &path);
      session = g_strdup (path);
    }
  dbus_message_unref (reply);
  return session;
}

/* Item.GetSecret (session) → ((o session, ay parameters, ay value, s type)) */
static char *
get_secret (DBusConnection *bus,
            const char     *item,
            const char     *session,
            gsize          *out_length)
{
  DBusMessage *message = dbus_message_new_method_call (SECRETS_NAME, item, ITEM_IFACE,
                                                       "GetSecret");
  DBusMessageIter args, secret, value;
  DBusMessage *reply;
  const char *bytes = NULL;
  char *payload = NULL;
  int n = 0;

  dbus_message_append_args (message, DBUS_TYPE_OBJECT_PATH, &session, DBUS_TYPE_INVALID);
  reply = call (bus, message);
  if (reply == NULL)
    return NULL;
  if (dbus_message_iter_init (reply, &args) &&
      dbus_message_iter_get_arg_type (&args) == DBUS_TYPE_STRUCT)
    {
      dbus_message_iter_recurse (&args, &secret);
      if (dbus_message_iter_next (&secret) && dbus_message_iter_next (&secret) &&
          dbus_message_iter_get_arg_type (&secret) == DBUS_TYPE_ARRAY &&
          dbus_message_iter_get_element_type (&secret) == DBUS_TYPE_BYTE)
        {
          dbus_message_iter_recurse (&secret, &value);
          dbus_message_iter_get_fixed_array (&value, &bytes, &n);
          if (n > 0 && memchr (bytes, '\0', n) == NULL)
            {
              payload = g_strndup (bytes, n);
              *out_length = n;
              /* libdbus frees the reply; wipe its copy of the secret first. */
              explicit_bzero ((char *) bytes, n);
            }
        }
    }
  dbus_message_unref (reply);
  return payload;
}

gboolean
lk_cli_fast_token (int    argc,
                   char **argv,
                   int   *out_status)
{
  DBusConnection *bus;
  g_autofree char *item = NULL;
  g_autofree char *session = NULL;
  char *payload = NULL;
  char *access_token = NULL;
  char *output = NULL;
  const char *email;
  const char *format;
  gint64 version = 0, expires_at = 0;
  gsize length = 0;
  gboolean fresh;

  if (!parse_arguments (argc, argv, &email, &format))
    return FALSE;
  if (g_getenv ("LATCHKEY_NO_FAST_PATH") != NULL)
    return FALSE;

  bus = open_session_bus ();
  if (bus == NULL)
    return FALSE;
  item = search_item (bus, email);
  if (item != NULL)
    session = open_plain_session (bus);
  if (session != NULL)
    payload = get_secret (bus, item, session, &length);
  /* The session closes with the connection. */
  dbus_connection_close (bus);
  dbus_connection_unref (bus);
  if (payload == NULL)
    return FALSE;

  fresh = lk_cli_payload_read (payload, length, &version, &access_token, &expires_at) &&
          version == PAYLOAD_VERSION &&
          expires_at - g_get_real_time () / G_USEC_PER_SEC > FRESH_MARGIN_SECONDS;
  explicit_bzero (payload, length);
  g_free (payload);
  if (fresh)
    output = lk_cli_token_format (format, email, access_token, expires_at);
  if (access_token != NULL)
    {
      explicit_bzero (access_token, strlen (access_token));
      g_free (access_token);
    }
  if (output == NULL)
    return FALSE;

  fputs (output, stdout);
  explicit_bzero (output, strlen (output));
  g_free (output);
  *out_status = fflush (stdout) == 0 ? 0 : 1;
  return TRUE;
}
