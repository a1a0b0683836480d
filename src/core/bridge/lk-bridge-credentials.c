/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "bridge/lk-bridge-credentials.h"
#include "bridge/lk-bridge-password.h"
#include "lk-error.h"
#include "lk-file.h"
#include "lk-json.h"
#include "lk-places.h"
#include "lk-token-set.h"
#include "store/lk-account.h"

/**
 * LkBridgeCredentials:
 *
 * The bridge's local logins, in `bridge-users.json` of %LK_PLACE_CONFIG
 * (`$XDG_CONFIG_HOME/latchkey/`, system mode `/var/lib/latchkey/`)
 * (0600 in a 0700 folder, written atomically; never in the account files,
 * which exporters and backups read). Only yescrypt hashes are stored.
 *
 * Checking a password costs tens of milliseconds of yescrypt on purpose, so
 * it runs in a worker thread, at most %MAX_HASHING at a time; a password
 * that was right once is remembered as an HMAC-SHA-256 under a key made at
 * start (never the password itself), together with the hash it matched, so
 * that a mail program's next login costs nothing and a new password (a
 * different hash) invalidates it at once. The file is read again whenever
 * it changed, before each check: `bridge password --reset` in another
 * process takes effect on the next login.
 */

#define FILE_VERSION 1
#define MAX_HASHING  2
#define MAX_VERIFIED 4096
#define MAX_NAME     320

struct _LkBridgeCredentials
{
  GObject     parent_instance;
  char       *path;
  GPtrArray  *users;          /* LkBridgeUser */
  gboolean    file_seen;
  guint64     file_inode;
  gint64      file_mtime;
  goffset     file_size;
  guint8      key[32];
  GHashTable *verified;       /* hex HMAC → itself */
  GHashTable *in_flight;      /* hex HMAC → Check */
  GQueue      waiting;        /* Check not yet started */
  guint       running;
  char       *dummy_hash;     /* for unknown users: the same work as a real check */
};

G_DEFINE_FINAL_TYPE (LkBridgeCredentials, lk_bridge_credentials, G_TYPE_OBJECT)

LkBridgeUser *
lk_bridge_user_ref (LkBridgeUser *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
lk_bridge_user_unref (LkBridgeUser *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->name);
  g_free (self->account);
  g_free (self->hash);
  g_free (self->sender);
  g_free (self);
}

static LkBridgeUser *
user_new (void)
{
  LkBridgeUser *user = g_new0 (LkBridgeUser, 1);

  g_atomic_ref_count_init (&user->ref_count);
  return user;
}

static LkBridgeUser *
user_copy (const LkBridgeUser *from)
{
  LkBridgeUser *user = user_new ();

  user->name = g_strdup (from->name);
  user->account = g_strdup (from->account);
  user->hash = g_strdup (from->hash);
  user->protocols = from->protocols;
  user->enabled = from->enabled;
  user->created = from->created;
  user->changed = from->changed;
  user->kind = from->kind;
  user->sender = g_strdup (from->sender);
  user->max_per_hour = from->max_per_hour;
  return user;
}

static void
lk_bridge_credentials_finalize (GObject *object)
{
  LkBridgeCredentials *self = LK_BRIDGE_CREDENTIALS (object);

  g_free (self->path);
  g_ptr_array_unref (self->users);
  g_hash_table_unref (self->verified);
  g_hash_table_unref (self->in_flight);
  g_free (self->dummy_hash);
  explicit_bzero (self->key, sizeof self->key);
  G_OBJECT_CLASS (lk_bridge_credentials_parent_class)->finalize (object);
}

static void
lk_bridge_credentials_class_init (LkBridgeCredentialsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_bridge_credentials_finalize;
}

static void
lk_bridge_credentials_init (LkBridgeCredentials *self)
{
  self->users = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_bridge_user_unref);
  self->verified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->in_flight = g_hash_table_new (g_str_hash, g_str_equal);
  if (gnutls_rnd (GNUTLS_RND_KEY, self->key, sizeof self->key) != 0)
    g_error ("GnuTLS could not produce random numbers");
}

/**
 * lk_bridge_credentials_new:
 * @path: (nullable): the file; %NULL for `bridge-users.json` in
 *   %LK_PLACE_CONFIG
 */
LkBridgeCredentials *
lk_bridge_credentials_new (const char *path)
{
  LkBridgeCredentials *self = g_object_new (LK_TYPE_BRIDGE_CREDENTIALS, NULL);

  self->path = path != NULL ? g_strdup (path)
                            : lk_places_build_path (LK_PLACE_CONFIG, "bridge-users.json", NULL);
  return self;
}

const char *
lk_bridge_credentials_get_path (LkBridgeCredentials *self)
{
  g_return_val_if_fail (LK_IS_BRIDGE_CREDENTIALS (self), NULL);
  return self->path;
}

/* ── The file ─────────────────────────────────────────────────────────── */

static gboolean
parse_user (JsonObject    *obj,
            LkBridgeUser **out,
            GError       **error)
{
  g_autoptr(LkBridgeUser) user = user_new ();
  const char *protocols = lk_json_get_string (obj, "protocols");
  const char *kind = lk_json_get_string (obj, "kind");
  JsonNode *enabled = json_object_get_member (obj, "enabled");
  gint64 max_per_hour = lk_json_get_int (obj, "max_per_hour", 0);

  if (g_strcmp0 (kind, "device") == 0)
    user->kind = LK_BRIDGE_USER_DEVICE;
  else if (kind != NULL && g_strcmp0 (kind, "account") != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT, _("an entry is of an unknown kind"));
      return FALSE;
    }
  user->sender = lk_json_dup_string (obj, "from");
  if ((user->sender != NULL && !lk_email_is_valid (user->sender))
      || max_per_hour < 0 || max_per_hour > G_MAXINT)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("a device’s “from” or “max_per_hour” is not valid"));
      return FALSE;
    }
  user->max_per_hour = (guint) max_per_hour;
  user->name = lk_json_dup_string (obj, "name");
  user->account = lk_json_dup_string (obj, "account");
  user->hash = lk_json_dup_string (obj, "hash");
  if (user->name == NULL || *user->name == '\0' || strlen (user->name) > MAX_NAME
      || user->account == NULL || !lk_email_is_valid (user->account)
      || user->hash == NULL || user->hash[0] != '$'
      || protocols == NULL || !lk_protocol_flags_parse (protocols, &user->protocols, NULL)
      || (enabled != NULL && !JSON_NODE_HOLDS_VALUE (enabled))
      || (user->kind == LK_BRIDGE_USER_DEVICE && !lk_bridge_device_name_is_valid (user->name)))
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("an entry lacks its name, account, hash or protocols"));
      return FALSE;
    }
  user->enabled = enabled == NULL || json_node_get_boolean (enabled);
  user->created = lk_json_get_int (obj, "created", 0);
  user->changed = lk_json_get_int (obj, "changed", user->created);
  *out = g_steal_pointer (&user);
  return TRUE;
}

static GPtrArray *
parse_file (const char  *data,
            gsize        length,
            GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_bridge_user_unref);
  JsonObject *root;
  JsonArray *array;
  JsonNode *node;

  if (!json_parser_load_from_data (parser, data, (gssize) length, error))
    return NULL;
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT, _("not a JSON object"));
      return NULL;
    }
  root = json_node_get_object (node);
  if (lk_json_get_int (root, "version", 0) > FILE_VERSION)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("written by a newer Latchkey"));
      return NULL;
    }
  node = json_object_get_member (root, "users");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT, _("no “users” list"));
      return NULL;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      LkBridgeUser *user = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        {
          g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                               _("an entry is not an object"));
          return NULL;
        }
      if (!parse_user (json_node_get_object (item), &user, error))
        return NULL;
      g_ptr_array_add (users, user);
    }
  return g_steal_pointer (&users);
}

/**
 * lk_bridge_credentials_load:
 *
 * Reads the file when it changed since it was last read (or was never
 * read). A missing file means no logins. On error the logins read before
 * stay in use.
 */
gboolean
lk_bridge_credentials_load (LkBridgeCredentials  *self,
                            GError              **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(GError) local = NULL;
  GStatBuf st;
  gsize length;

  g_return_val_if_fail (LK_IS_BRIDGE_CREDENTIALS (self), FALSE);

  if (g_stat (self->path, &st) != 0)
    {
      if (errno != ENOENT)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Cannot read %s: %s"), self->path, g_strerror (saved));
          return FALSE;
        }
      if (self->file_seen || self->users->len > 0)
        g_ptr_array_set_size (self->users, 0);
      self->file_seen = FALSE;
      return TRUE;
    }
  if (self->file_seen && self->file_inode == (guint64) st.st_ino
      && self->file_mtime == (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000
      && self->file_size == st.st_size)
    return TRUE;

  if (!lk_file_read_regular (self->path, LK_FILE_MAX_SMALL, &data, &length, error))
    return FALSE;
  users = parse_file (data, length, &local);
  if (users == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("%s is damaged (%s); remove it and enable the bridge again for each "
                     "account (new passwords)"), self->path, local->message);
      return FALSE;
    }
  g_ptr_array_unref (self->users);
  self->users = g_steal_pointer (&users);
  self->file_seen = TRUE;
  self->file_inode = st.st_ino;
  self->file_mtime = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
  self->file_size = st.st_size;
  return TRUE;
}

static gboolean
save (LkBridgeCredentials  *self,
      GError              **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree char *data = NULL;

  json_builder_begin_object (builder);
  lk_json_add_int (builder, "version", FILE_VERSION);
  json_builder_set_member_name (builder, "users");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->users->len; i++)
    {
      LkBridgeUser *user = g_ptr_array_index (self->users, i);
      g_autofree char *protocols = lk_protocol_flags_to_string (user->protocols);

      json_builder_begin_object (builder);
      lk_json_add_string (builder, "name", user->name);
      lk_json_add_string (builder, "account", user->account);
      lk_json_add_string (builder, "hash", user->hash);
      lk_json_add_string (builder, "protocols", protocols);
      lk_json_add_boolean (builder, "enabled", user->enabled);
      lk_json_add_int (builder, "created", user->created);
      lk_json_add_int (builder, "changed", user->changed);
      if (user->kind == LK_BRIDGE_USER_DEVICE)
        {
          lk_json_add_string (builder, "kind", "device");
          if (user->sender != NULL)
            lk_json_add_string (builder, "from", user->sender);
          if (user->max_per_hour > 0)
            lk_json_add_int (builder, "max_per_hour", user->max_per_hour);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  data = lk_json_to_data (root, TRUE, NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create the folder %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  if (!g_file_set_contents_full (self->path, data, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error))
    {
      g_prefix_error (error, _("Could not save the bridge’s logins: "));
      return FALSE;
    }
  /* Read it back next time: another process may write in between. */
  self->file_seen = FALSE;
  return lk_bridge_credentials_load (self, error);
}

/* ── Queries and changes ──────────────────────────────────────────────── */

static LkBridgeUser *
find (LkBridgeCredentials *self,
      const char          *name)
{
  for (guint i = 0; i < self->users->len; i++)
    {
      LkBridgeUser *user = g_ptr_array_index (self->users, i);

      /* User names are addresses: compared without regard to case, as
       * mail servers do. */
      if (g_ascii_strcasecmp (user->name, name) == 0)
        return user;
    }
  return NULL;
}

/**
 * lk_bridge_credentials_list:
 *
 * Returns: (transfer container) (element-type LkBridgeUser): the logins as
 *   last read
 */
GPtrArray *
lk_bridge_credentials_list (LkBridgeCredentials *self)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_bridge_user_unref);

  g_return_val_if_fail (LK_IS_BRIDGE_CREDENTIALS (self), out);
  for (guint i = 0; i < self->users->len; i++)
    g_ptr_array_add (out, lk_bridge_user_ref (g_ptr_array_index (self->users, i)));
  return out;
}

/**
 * lk_bridge_credentials_lookup:
 *
 * Returns: (transfer full) (nullable): the login named @name, as last read
 */
LkBridgeUser *
lk_bridge_credentials_lookup (LkBridgeCredentials *self,
                              const char          *name)
{
  LkBridgeUser *user;

  g_return_val_if_fail (LK_IS_BRIDGE_CREDENTIALS (self), NULL);
  user = find (self, name);
  return user != NULL ? lk_bridge_user_ref (user) : NULL;
}

static void
replace_user (LkBridgeCredentials *self,
              LkBridgeUser        *old,
              LkBridgeUser        *user)
{
  guint index;

  if (old != NULL && g_ptr_array_find (self->users, old, &index))
    {
      g_ptr_array_index (self->users, index) = user;
      lk_bridge_user_unref (old);
    }
  else
    g_ptr_array_add (self->users, user);
}

/* A new login with a new password: its hash in the login, the password
 * in @out_password (free it with lk_secret_wipe()). */
static LkBridgeUser *
user_new_with_password (char   **out_password,
                        GError **error)
{
  g_autofree char *password = lk_bridge_password_generate ();
  LkBridgeUser *user = user_new ();

  user->hash = lk_bridge_password_hash (password, error);
  if (user->hash == NULL)
    {
      lk_bridge_user_unref (user);
      lk_secret_wipe (g_steal_pointer (&password));
      return NULL;
    }
  *out_password = g_steal_pointer (&password);
  return user;
}

/**
 * lk_bridge_credentials_enable:
 * @account: the account's address, which is also the user name
 * @protocols: what it may use
 * @out_password: (out) (optional) (nullable): the new password when the
 *   login was created now, %NULL when it existed (its password is not
 *   known: only its hash is kept); free with lk_secret_wipe()
 */
gboolean
lk_bridge_credentials_enable (LkBridgeCredentials  *self,
                              const char           *account,
                              LkProtocolFlags       protocols,
                              char                **out_password,
                              GError              **error)
{
  LkBridgeUser *old;
  LkBridgeUser *user;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_return_val_if_fail (LK_IS_BRIDGE_CREDENTIALS (self), FALSE);
  g_return_val_if_fail (lk_email_is_valid (account), FALSE);

  if (out_password != NULL)
    *out_password = NULL;
  self->file_seen = FALSE;
  if (!lk_bridge_credentials_load (self, error))
    return FALSE;
  old = find (self, account);
  if (old != NULL)
    {
      user = user_copy (old);
      user->protocols = protocols;
      user->enabled = TRUE;
      user->changed = now;
    }
  else
    {
      g_autofree char *password = NULL;

      user = user_new_with_password (&password, error);
      if (user == NULL)
        return FALSE;
      user->name = g_strdup (account);
      user->account = g_strdup (account);
      user->protocols = protocols;
      user->enabled = TRUE;
      user->created = user->changed = now;
      if (out_password != NULL)
        *out_password = g_steal_pointer (&password);
      else
        lk_secret_wipe (g_steal_pointer (&password));
    }
  replace_user (self, old, user);
  if (!save (self, error))
    {
      if (out_password != NULL)
        g_clear_pointer (out_password, lk_secret_wipe);
      return FALSE;
    }
  return TRUE;
}

static GError *
no_login_error (const char *name)
{
  if (strchr (name, '@') == NULL)
    return g_error_new (LK_ERROR, LK_ERROR_NOT_FOUND,
                        _("The bridge has no device %s; “latchkey-cli bridge device list” shows "
                          "the devices there are"), name);
  return g_error_new (LK_ERROR, LK_ERROR_NOT_FOUND,
                      _("The bridge is not set up for %s; run “latchkey-cli bridge enable %s”"),
                      name, name);
}

/* For a change to @name: the file as it is now, and the login in it. */
static LkBridgeUser *
reload_and_find (LkBridgeCredentials  *self,
                 const char           *name,
                 GError              **error)
{
  LkBridgeUser *user;

  self->file_seen = FALSE;
  if (!lk_bridge_credentials_load (self, error))
    return NULL;
  user = find (self, name);
  if (user == NULL)
    g_propagate_error (error, no_login_error (name));
  return user;
}

/**
 * lk_bridge_device_name_is_valid:
 *
 * A device's name is its user name, typed into a printer's web page and
 * shown in logs that fail2ban reads: 1 to %LK_BRIDGE_DEVICE_NAME_MAX
 * lower-case letters, digits, “-”, “_” and “.”, starting with a letter or
 * digit. It never holds “@”, so it cannot be taken for an account's login.
 */
gboolean
lk_bridge_device_name_is_valid (const char *name)
{
  gsize length;

  if (name == NULL)
    return FALSE;
  length = strlen (name);
  if (length == 0 || length > LK_BRIDGE_DEVICE_NAME_MAX
      || !(g_ascii_islower (name[0]) || g_ascii_isdigit (name[0])))
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

/**
 * lk_bridge_credentials_add_device:
 * @out_password: (out): the device's password, shown once; free it with
 *   lk_secret_wipe()
 *
 * Adds a device with a new password. Fails with %LK_ERROR_EXISTS when the
 * name is taken: `bridge device reset` gives an existing device a new
 * password, and nothing here replaces one silently.
 */
gboolean
lk_bridge_credentials_add_device (LkBridgeCredentials       *self,
                                  const LkBridgeDeviceSpec  *spec,
                                  char                     **out_password,
                                  GError                   **error)
{
  g_autofree char *password = NULL;
  LkBridgeUser *user;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_return_val_if_fail (LK_IS_BRIDGE_CREDENTIALS (self), FALSE);
  g_return_val_if_fail (out_password != NULL, FALSE);

  *out_password = NULL;
  if (!lk_bridge_device_name_is_valid (spec->name))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   /* Translators: %s is what the user typed, then a number */
                   _("“%s” is not a device name: use up to %u lower-case letters, digits, “-”, "
                     "“_” and “.”, such as 2nd-floor-mfp"), spec->name, LK_BRIDGE_DEVICE_NAME_MAX);
      return FALSE;
    }
  if (!lk_email_is_valid (spec->account)
      || (spec->sender != NULL && !lk_email_is_valid (spec->sender)))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("“%s” is not an e-mail address"),
                   !lk_email_is_valid (spec->account) ? spec->account : spec->sender);
      return FALSE;
    }
  self->file_seen = FALSE;
  if (!lk_bridge_credentials_load (self, error))
    return FALSE;
  if (find (self, spec->name) != NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_EXISTS,
                   _("There is a device %s already; “latchkey-cli bridge device reset %s” gives "
                     "it a new password, “remove” takes it away"), spec->name, spec->name);
      return FALSE;
    }
  user = user_new_with_password (&password, error);
  if (user == NULL)
    return FALSE;
  user->kind = LK_BRIDGE_USER_DEVICE;
  user->name = g_strdup (spec->name);
  user->account = g_strdup (spec->account);
  user->protocols = spec->protocols != 0 ? spec->protocols : LK_PROTOCOL_FLAG_SMTP;
  user->sender = g_strdup (spec->sender);
  user->max_per_hour = spec->max_per_hour;
  user->enabled = TRUE;
  user->created = user->changed = now;
  g_ptr_array_add (self->users, user);
  if (!save (self, error))
    {
      lk_secret_wipe (g_steal_pointer (&password));
      return FALSE;
    }
  *out_password = g_steal_pointer (&password);
  return TRUE;
}

/**
 * lk_bridge_credentials_set_enabled:
 *
 * Lets @name log in again, or stops it, keeping its password, protocols,
 * lock-out and everything else: a device switched off and on again works with the
 * password on its setup sheet. The file is written atomically, as every
 * change; a running bridge reads it at its next login check.
 */
gboolean
lk_bridge_credentials_set_enabled (LkBridgeCredentials  *self,
                                   const char           *name,
                                   gboolean              enabled,
                                   GError              **error)
{
  LkBridgeUser *old;
  LkBridgeUser *user;

  g_return_val_if_fail (LK_IS_BRIDGE_CREDENTIALS (self), FALSE);
  old = reload_and_find (self, name, error);
  if (old == NULL)
    return FALSE;
  if (!old->enabled == !enabled)
    return TRUE;
  /* @changed stays: for a device it marks a new password, which ends a
   * lock-out and frees the addresses that locked themselves guessing it
   * (lk_bridge_reload_devices()). Switching a device off while someone
   * guesses must not do that. */
  user = user_copy (old);
  user->enabled = !!enabled;
  replace_user (self, old, user);
  return save (self, error);
}

/**
 * lk_bridge_credentials_disable:
 *
 * Stops @name from logging in, keeping its password for a later enable.
 */
gboolean
lk_bridge_credentials_disable (LkBridgeCredentials  *self,
                               const char           *name,
                               GError              **error)
{
  return lk_bridge_credentials_set_enabled (self, name, FALSE, error);
}

/**
 * lk_bridge_credentials_reset_password:
 *
 * Gives @name a new password; the old one stops working at the next login
 * check of any process.
 *
 * Returns: (transfer full) (nullable): the new password; free it with
 *   lk_secret_wipe()
 */
char *
lk_bridge_credentials_reset_password (LkBridgeCredentials  *self,
                                      const char           *name,
                                      GError              **error)
{
  g_autofree char *password = NULL;
  LkBridgeUser *old;
  LkBridgeUser *user;

  g_return_val_if_fail (LK_IS_BRIDGE_CREDENTIALS (self), NULL);
  old = reload_and_find (self, name, error);
  if (old == NULL)
    return NULL;
  password = lk_bridge_password_generate ();
  user = user_copy (old);
  g_free (user->hash);
  user->hash = lk_bridge_password_hash (password, error);
  if (user->hash == NULL)
    {
      lk_bridge_user_unref (user);
      lk_secret_wipe (g_steal_pointer (&password));
      return NULL;
    }
  user->changed = g_get_real_time () / G_USEC_PER_SEC;
  replace_user (self, old, user);
  g_hash_table_remove_all (self->verified);
  if (!save (self, error))
    {
      lk_secret_wipe (g_steal_pointer (&password));
      return NULL;
    }
  return g_steal_pointer (&password);
}

/**
 * lk_bridge_credentials_remove:
 *
 * Forgets @name and its password (the account is removed). Succeeds when
 * there was none.
 */
gboolean
lk_bridge_credentials_remove (LkBridgeCredentials  *self,
                              const char           *name,
                              GError              **error)
{
  LkBridgeUser *old;

  g_return_val_if_fail (LK_IS_BRIDGE_CREDENTIALS (self), FALSE);
  self->file_seen = FALSE;
  if (!lk_bridge_credentials_load (self, error))
    return FALSE;
  old = find (self, name);
  if (old == NULL)
    return TRUE;
  g_ptr_array_remove (self->users, old);
  g_hash_table_remove_all (self->verified);
  return save (self, error);
}

/* ── Checking passwords ───────────────────────────────────────────────── */

typedef struct
{
  LkBridgeCredentials *self;
  char                *mac;        /* hex HMAC of name, hash and password */
  char                *password;
  char                *hash;
  LkBridgeUser        *user;       /* NULL: unknown user, checked against the dummy */
  GPtrArray           *tasks;      /* GTask waiting for the outcome */
  gboolean             ok;
} Check;

static void
check_free (Check *check)
{
  g_object_unref (check->self);
  g_free (check->mac);
  lk_secret_wipe (check->password);
  g_free (check->hash);
  g_clear_pointer (&check->user, lk_bridge_user_unref);
  g_ptr_array_unref (check->tasks);
  g_free (check);
}

static char *
password_mac (LkBridgeCredentials *self,
              const char          *name,
              const char          *hash,
              const char          *password)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, self->key, sizeof self->key);
  g_autofree char *lower = g_ascii_strdown (name, -1);
  g_autofree char *normalized = lk_bridge_password_normalize (password);
  char *mac;

  g_hmac_update (hmac, (const guchar *) lower, strlen (lower) + 1);
  g_hmac_update (hmac, (const guchar *) hash, strlen (hash) + 1);
  g_hmac_update (hmac, (const guchar *) normalized, strlen (normalized));
  mac = g_strdup (g_hmac_get_string (hmac));
  lk_secret_wipe (g_steal_pointer (&normalized));
  return mac;
}

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Check *check = task_data;

  check->ok = lk_bridge_password_check (check->password, check->hash);
  g_task_return_boolean (task, TRUE);
}

static void start_waiting (LkBridgeCredentials *self);

static GError *
rejected_error (void)
{
  return g_error_new_literal (LK_ERROR, LK_ERROR_AUTH_REJECTED,
                              _("Wrong user name or password"));
}

static void
check_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Check *check = user_data;
  LkBridgeCredentials *self = check->self;

  self->running--;
  g_hash_table_remove (self->in_flight, check->mac);
  if (check->ok && check->user != NULL)
    {
      if (g_hash_table_size (self->verified) >= MAX_VERIFIED)
        g_hash_table_remove_all (self->verified);
      g_hash_table_add (self->verified, g_strdup (check->mac));
    }
  for (guint i = 0; i < check->tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (check->tasks, i);

      if (check->ok && check->user != NULL)
        g_task_return_pointer (task, lk_bridge_user_ref (check->user),
                               (GDestroyNotify) lk_bridge_user_unref);
      else
        g_task_return_error (task, rejected_error ());
    }
  check_free (check);
  start_waiting (self);
}

static void
start_waiting (LkBridgeCredentials *self)
{
  while (self->running < MAX_HASHING && !g_queue_is_empty (&self->waiting))
    {
      Check *check = g_queue_pop_head (&self->waiting);
      g_autoptr(GTask) task = g_task_new (NULL, NULL, check_done_cb, check);

      /* The data is the Check, freed by check_done_cb, not by the task. */
      g_task_set_task_data (task, check, NULL);
      self->running++;
      g_task_run_in_thread (task, check_thread);
    }
}

/**
 * lk_bridge_credentials_verify_async:
 * @name: the user name the client gave
 * @password: the password it gave; copied and wiped when done
 *
 * Checks a login against the file (read again if it changed). Fails with
 * %LK_ERROR_AUTH_REJECTED for an unknown user, a wrong password or a
 * disabled account's login alike, after the same work, so that a client
 * cannot tell them apart. A disabled device given its right password is
 * returned with @enabled %FALSE: it is not a guess, and the caller refuses
 * it saying that IT switched it off (`bridge device disable`,
 * doc/bridge-office.md). The caller decides what else the login may do
 * (@enabled, @protocols, the account).
 */
void
lk_bridge_credentials_verify_async (LkBridgeCredentials *self,
                                    const char          *name,
                                    const char          *password,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  LkBridgeUser *user;
  const char *hash;
  g_autofree char *mac = NULL;
  Check *check;

  g_return_if_fail (LK_IS_BRIDGE_CREDENTIALS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_bridge_credentials_verify_async);

  if (!lk_bridge_credentials_load (self, &error))
    g_warning ("%s", error->message);
  user = find (self, name);
  if (user != NULL && (user->enabled || user->kind == LK_BRIDGE_USER_DEVICE))
    hash = user->hash;
  else
    {
      if (self->dummy_hash == NULL)
        {
          g_autofree char *random = lk_bridge_password_generate ();

          self->dummy_hash = lk_bridge_password_hash (random, NULL);
          lk_secret_wipe (g_steal_pointer (&random));
        }
      if (self->dummy_hash == NULL)
        {
          g_task_return_error (task, rejected_error ());
          return;
        }
      user = NULL;
      hash = self->dummy_hash;
    }

  mac = password_mac (self, name, hash, password);
  if (user != NULL && g_hash_table_contains (self->verified, mac))
    {
      g_task_return_pointer (task, lk_bridge_user_ref (user), (GDestroyNotify) lk_bridge_user_unref);
      return;
    }
  check = g_hash_table_lookup (self->in_flight, mac);
  if (check != NULL)
    {
      g_ptr_array_add (check->tasks, g_steal_pointer (&task));
      return;
    }
  check = g_new0 (Check, 1);
  check->self = g_object_ref (self);
  check->mac = g_steal_pointer (&mac);
  check->password = g_strdup (password);
  check->hash = g_strdup (hash);
  check->user = user != NULL ? user_copy (user) : NULL;
  check->tasks = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (check->tasks, g_steal_pointer (&task));
  g_hash_table_insert (self->in_flight, check->mac, check);
  g_queue_push_tail (&self->waiting, check);
  start_waiting (self);
}

/**
 * lk_bridge_credentials_verify_finish:
 *
 * Returns: (transfer full): the login, which the password matched
 */
LkBridgeUser *
lk_bridge_credentials_verify_finish (LkBridgeCredentials  *self,
                                     GAsyncResult         *result,
                                     GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_bridge_credentials_verify_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
