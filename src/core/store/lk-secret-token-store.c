/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "store/lk-secret-token-store.h"

/**
 * LkSecretTokenStore:
 *
 * The desktop's #LkTokenStore: one Secret Service item per account whose
 * secret is lk_token_set_serialize(), written by one call so that a crash
 * never leaves half a state. Every failure to reach or unlock the keyring
 * becomes %LK_ERROR_KEYRING with a message saying what to do; there is no
 * fallback to a file. Messages never hold the payload.
 */
struct _LkSecretTokenStore
{
  GObject parent_instance;
};

static void lk_secret_token_store_iface_init (LkTokenStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LkSecretTokenStore, lk_secret_token_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (LK_TYPE_TOKEN_STORE,
                                                      lk_secret_token_store_iface_init))

#define VERSION_STRING G_STRINGIFY (LK_TOKEN_SET_VERSION)

const SecretSchema *
lk_secret_token_store_get_schema (void)
{
  /* No SECRET_SCHEMA_DONT_MATCH_NAME: libsecret adds xdg:schema, which the
   * fast path in latchkey-cli searches for. */
  static const SecretSchema schema = {
    LK_TOKEN_SCHEMA_NAME, SECRET_SCHEMA_NONE,
    {
      { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "version", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  };
  return &schema;
}

static GHashTable *
build_attributes (const char *account)
{
  return secret_attributes_build (lk_secret_token_store_get_schema (),
                                  "account", account,
                                  "version", VERSION_STRING,
                                  NULL);
}

static gboolean
is_locked_error (const GError *error)
{
  g_autofree char *remote = NULL;

  if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    return TRUE;
  remote = g_dbus_error_get_remote_error (error);
  return remote != NULL && strcmp (remote, "org.freedesktop.Secret.Error.IsLocked") == 0;
}

/* Turns what libsecret or GDBus said into LK_ERROR_KEYRING, keeping their
 * text as context (it names buses and objects, never secrets). A
 * cancellation by the caller passes through unchanged. */
static GError *
keyring_error (GError     *error,
               const char *account)
{
  g_autoptr(GError) cause = error;
  const char *advice;

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_steal_pointer (&cause);

  if (is_locked_error (cause))
    advice = _("Your keyring is locked. Unlock your keyring (for example by logging in to "
               "the desktop again, or in Passwords and Keys), then try again.");
  else if (g_error_matches (cause, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT))
    advice = _("Your keyring has no default collection and none could be created. Start "
               "your desktop's keyring (gnome-keyring, or KeePassXC with Secret Service "
               "integration) and make sure it can ask for a password, then try again.");
  else
    advice = _("No keyring could be reached. Start your desktop's keyring (gnome-keyring, "
               "or KeePassXC with Secret Service integration) and try again.");

  return g_error_new (LK_ERROR, LK_ERROR_KEYRING,
                      _("Cannot use the keyring for %s. %s (%s)"),
                      account, advice, cause->message);
}

static GError *
locked_error (const char *account)
{
  return g_error_new (LK_ERROR, LK_ERROR_KEYRING,
                      _("The keyring holding the tokens of %s stays locked. Unlock your "
                        "keyring, then try again."),
                      account);
}

static GError *
not_found_error (const char *account)
{
  GError *error = g_error_new (LK_ERROR, LK_ERROR_NOT_FOUND,
                               _("The keyring holds no tokens for %s. Sign it in again."),
                               account);

  lk_error_set_remedy (error, LK_REMEDY_SIGN_IN, account);
  return error;
}

/* Whether a collection of the keyring is locked, read from each
 * collection's own properties. SECRET_SERVICE_LOAD_COLLECTIONS would also
 * make a proxy for every item of every application, and fails as a whole
 * ("No such secret item at path …") when one of them goes away meanwhile:
 * headless Chromium's "Chromium Safe Storage" item did that while
 * `latchkey-cli remove` ran. Never fails: a collection that cannot be read
 * is not known to be locked. */

typedef struct
{
  guint    pending;
  gboolean locked;
} LockedScan;

static void
locked_scan_collection_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LockedScan *scan = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) locked = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    g_debug ("A keyring collection could not be read: %s", error->message);
  else
    {
      g_variant_get (reply, "(v)", &locked);
      if (g_variant_is_of_type (locked, G_VARIANT_TYPE_BOOLEAN))
        scan->locked = scan->locked || g_variant_get_boolean (locked);
    }
  if (--scan->pending == 0)
    g_task_return_boolean (task, scan->locked);
}

static void
any_collection_locked_async (SecretService       *service,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GVariant) paths = NULL;
  LockedScan *scan;
  GVariantIter iter;
  const char *path;

  task = g_task_new (service, cancellable, callback, user_data);
  g_task_set_source_tag (task, any_collection_locked_async);
  scan = g_new0 (LockedScan, 1);
  g_task_set_task_data (task, scan, g_free);
  paths = g_dbus_proxy_get_cached_property (G_DBUS_PROXY (service), "Collections");
  if (paths == NULL || !g_variant_is_of_type (paths, G_VARIANT_TYPE_OBJECT_PATH_ARRAY) ||
      g_variant_n_children (paths) == 0)
    {
      g_task_return_boolean (task, FALSE);
      return;
    }
  scan->pending = g_variant_n_children (paths);
  g_variant_iter_init (&iter, paths);
  /* libsecret's SecretCollection for a path is unstable API (SECRET_API_
   * SUBJECT_TO_CHANGE): the one property is read over D-Bus instead. */
  while (g_variant_iter_next (&iter, "&o", &path))
    g_dbus_connection_call (g_dbus_proxy_get_connection (G_DBUS_PROXY (service)),
                            g_dbus_proxy_get_name (G_DBUS_PROXY (service)), path,
                            "org.freedesktop.DBus.Properties", "Get",
                            g_variant_new ("(ss)", "org.freedesktop.Secret.Collection", "Locked"),
                            G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, cancellable,
                            locked_scan_collection_cb, g_object_ref (task));
}

static gboolean
any_collection_locked_finish (SecretService *service,
                              GAsyncResult  *result)
{
  g_return_val_if_fail (g_task_is_valid (result, service), FALSE);
  return g_task_propagate_boolean (G_TASK (result), NULL);
}

/* lookup: secret_password_lookup() answers NULL both when there is no item
 * and when the item's collection stayed locked (prompt dismissed). A second
 * search without unlocking tells the two apart, on the slow path only. */

typedef struct
{
  char *account;
} LookupData;

static void
lookup_data_free (LookupData *data)
{
  g_free (data->account);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LookupData, lookup_data_free)

static void
lookup_locked_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LookupData *data = g_task_get_task_data (task);

  if (any_collection_locked_finish (SECRET_SERVICE (source), result))
    g_task_return_error (task, locked_error (data->account));
  else
    g_task_return_error (task, not_found_error (data->account));
}

static void
lookup_service_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LookupData *data = g_task_get_task_data (task);
  g_autoptr(SecretService) service = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  service = secret_service_get_finish (result, &error);
  if (service == NULL)
    {
      g_task_return_error (task, not_found_error (data->account));
      return;
    }
  cancellable = g_task_get_cancellable (task);
  any_collection_locked_async (service, cancellable, lookup_locked_cb, g_steal_pointer (&task));
}

static void
lookup_searched_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LookupData *data = g_task_get_task_data (task);
  GError *error = NULL;
  GList *found;

  found = secret_password_search_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, keyring_error (error, data->account));
  else if (found != NULL)
    g_task_return_error (task, locked_error (data->account));
  else
    {
      /* gnome-keyring restarted without its password (it crashed, and the
       * bus started it again) shows no item of a locked collection, not
       * even in a search: "sign in again" would be the wrong advice. */
      secret_service_get (SECRET_SERVICE_NONE, g_task_get_cancellable (task),
                          lookup_service_cb, g_object_ref (task));
    }
  g_list_free_full (found, g_object_unref);
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LookupData *data = g_task_get_task_data (task);
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(LkTokenSet) tokens = NULL;
  GError *error = NULL;
  char *secret;

  secret = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, keyring_error (error, data->account));
      return;
    }
  if (secret == NULL)
    {
      attributes = build_attributes (data->account);
      secret_password_searchv (lk_secret_token_store_get_schema (), attributes, SECRET_SEARCH_ALL,
                               g_task_get_cancellable (task), lookup_searched_cb,
                               g_object_ref (task));
      return;
    }

  tokens = lk_token_set_deserialize (secret, &error);
  secret_password_free (secret);
  if (tokens == NULL)
    {
      /* The keyring answered; its item is what is broken, and only a new
       * sign-in writes a good one ("unlock the keyring" would not help). */
      g_autoptr(GError) damaged = g_error_new (LK_ERROR, LK_ERROR_NEEDS_SIGN_IN,
                                               _("The keyring item of %s is damaged and cannot "
                                                 "be read (%s); sign in again."),
                                               data->account, error->message);

      lk_error_set_remedy (damaged, LK_REMEDY_SIGN_IN, data->account);
      g_error_free (error);
      g_task_return_error (task, g_steal_pointer (&damaged));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&tokens), (GDestroyNotify) lk_token_set_free);
}

/* Fails with %LK_ERROR_NOT_FOUND when there is no item, %LK_ERROR_KEYRING
 * when the keyring cannot be reached or stays locked. */
static void
secret_lookup_async (LkTokenStore        *store,
                     const char          *account,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  LookupData *data;

  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, secret_lookup_async);
  data = g_new0 (LookupData, 1);
  data->account = g_strdup (account);
  g_task_set_task_data (task, data, (GDestroyNotify) lookup_data_free);

  attributes = build_attributes (account);
  secret_password_lookupv (lk_secret_token_store_get_schema (), attributes, cancellable,
                           lookup_cb, g_steal_pointer (&task));
}

static LkTokenSet *
secret_lookup_finish (LkTokenStore  *store,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == secret_lookup_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* store */

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, keyring_error (error, g_task_get_task_data (task)));
  else
    g_task_return_boolean (task, TRUE);
}

/* Writes @tokens as the account's one keyring item, replacing the earlier
 * one in the same call. */
static void
secret_store_async (LkTokenStore        *store,
                    const char          *account,
                    const LkTokenSet    *tokens,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *label = NULL;
  char *payload;

  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, secret_store_async);
  g_task_set_task_data (task, g_strdup (account), g_free);

  attributes = build_attributes (account);
  /* Translators: the label of the keyring item, seen in Passwords and Keys. */
  label = g_strdup_printf (_("Latchkey: %s"), account);
  payload = lk_token_set_serialize (tokens);
  secret_password_storev (lk_secret_token_store_get_schema (), attributes, SECRET_COLLECTION_DEFAULT,
                          label, payload, cancellable, store_cb, g_steal_pointer (&task));
  lk_secret_wipe (payload);
}

static gboolean
secret_store_finish (LkTokenStore  *store,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == secret_store_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* check: before a sign-in, so that a locked keyring is said before the
 * browser opens rather than after the person signed in (issue #19 §3). */

static void
check_collection_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SecretCollection) collection = NULL;
  GError *error = NULL;

  collection = secret_collection_for_alias_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, keyring_error (error, g_task_get_task_data (task)));
  else if (collection != NULL && secret_collection_get_locked (collection))
    g_task_return_new_error (task, LK_ERROR, LK_ERROR_KEYRING,
                             _("Your keyring is locked, so the tokens of %s could not be "
                               "saved; nothing was started. Unlock your keyring (for example "
                               "by logging in to the desktop again, or in Passwords and Keys), "
                               "then sign in again."),
                             (const char *) g_task_get_task_data (task));
  else
    g_task_return_boolean (task, TRUE);   /* none yet: storing creates it */
}

static void
check_service_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SecretService) service = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  service = secret_service_get_finish (result, &error);
  if (service == NULL)
    {
      g_task_return_error (task, keyring_error (error, g_task_get_task_data (task)));
      return;
    }
  cancellable = g_task_get_cancellable (task);
  secret_collection_for_alias (service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE,
                               cancellable, check_collection_cb, g_steal_pointer (&task));
}

/* Checks, without prompting, that the keyring can take @account's tokens:
 * the Secret Service answers and its default collection is not locked.
 * Fails with %LK_ERROR_KEYRING as storing would. */
static void
secret_check_async (LkTokenStore        *store,
                    const char          *account,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, secret_check_async);
  g_task_set_task_data (task, g_strdup (account), g_free);
  secret_service_get (SECRET_SERVICE_NONE, cancellable, check_service_cb,
                      g_steal_pointer (&task));
}

static gboolean
secret_check_finish (LkTokenStore  *store,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == secret_check_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* clear: libsecret's secret_password_clear() unlocks nothing without a
 * prompt and answers FALSE without an error both when there was no item and
 * when the item sat in a locked collection, which read as "nothing to
 * remove" left the secret behind (issue #19 §2). So: every item of the
 * account (any version) is looked up without unlocking, a locked one is an
 * error, and the others are deleted one by one. */

typedef struct
{
  char  *account;
  GList *items;      /* SecretItem, still to delete */
  guint  deleted;
} ClearData;

static void
clear_data_free (ClearData *data)
{
  g_free (data->account);
  g_list_free_full (data->items, g_object_unref);
  g_free (data);
}

static GError *
locked_clear_error (const char *account)
{
  return g_error_new (LK_ERROR, LK_ERROR_KEYRING,
                      _("The tokens of %s are in a locked keyring, so nothing was removed. "
                        "Unlock your keyring (for example by logging in to the desktop "
                        "again, or in Passwords and Keys), then try again."),
                      account);
}

static void clear_next (GTask *task);

static void
clear_deleted_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClearData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!secret_item_delete_finish (SECRET_ITEM (source), result, &error))
    {
      g_task_return_error (task, keyring_error (error, data->account));
      return;
    }
  data->deleted++;
  clear_next (g_steal_pointer (&task));
}

static void
clear_next (GTask *task)
{
  ClearData *data = g_task_get_task_data (task);
  g_autoptr(SecretItem) item = NULL;

  if (data->items == NULL)
    {
      g_task_return_int (task, data->deleted);
      g_object_unref (task);
      return;
    }
  item = data->items->data;
  data->items = g_list_delete_link (data->items, data->items);
  secret_item_delete (item, g_task_get_cancellable (task), clear_deleted_cb, task);
}

static void
clear_locked_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClearData *data = g_task_get_task_data (task);

  if (any_collection_locked_finish (SECRET_SERVICE (source), result))
    {
      g_task_return_error (task, locked_clear_error (data->account));
      return;
    }
  clear_next (g_steal_pointer (&task));
}

static void
clear_searched_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClearData *data = g_task_get_task_data (task);
  SecretService *service = SECRET_SERVICE (source);
  GError *error = NULL;
  gboolean locked = FALSE;

  data->items = secret_service_search_finish (service, result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, keyring_error (error, data->account));
      return;
    }
  /* gnome-keyring started again without its password shows no item of a
   * locked collection at all: nothing found there proves nothing. */
  if (data->items == NULL)
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      any_collection_locked_async (service, cancellable, clear_locked_cb, g_steal_pointer (&task));
      return;
    }
  for (GList *l = data->items; l != NULL; l = l->next)
    locked = locked || secret_item_get_locked (l->data);
  if (locked)
    {
      g_task_return_error (task, locked_clear_error (data->account));
      return;
    }
  clear_next (g_steal_pointer (&task));
}

static void
clear_service_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClearData *data = g_task_get_task_data (task);
  g_autoptr(SecretService) service = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  service = secret_service_get_finish (result, &error);
  if (service == NULL)
    {
      g_task_return_error (task, keyring_error (error, data->account));
      return;
    }
  cancellable = g_task_get_cancellable (task);
  attributes = secret_attributes_build (lk_secret_token_store_get_schema (),
                                        "account", data->account, NULL);
  secret_service_search (service, lk_secret_token_store_get_schema (), attributes, SECRET_SEARCH_ALL,
                         cancellable, clear_searched_cb, g_steal_pointer (&task));
}

/* Removes every keyring item of the account, whatever its version. Never
 * unlocks (no prompt): a locked item, or a locked collection that shows
 * none, fails with %LK_ERROR_KEYRING and removes nothing. */
static void
secret_clear_async (LkTokenStore        *store,
                    const char          *account,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ClearData *data;

  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, secret_clear_async);
  data = g_new0 (ClearData, 1);
  data->account = g_strdup (account);
  g_task_set_task_data (task, data, (GDestroyNotify) clear_data_free);
  secret_service_get (SECRET_SERVICE_NONE, cancellable, clear_service_cb,
                      g_steal_pointer (&task));
}

static gboolean
secret_clear_finish (LkTokenStore  *store,
                     GAsyncResult  *result,
                     gboolean      *out_found,
                     GError       **error)
{
  gssize deleted;

  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == secret_clear_async, FALSE);
  deleted = g_task_propagate_int (G_TASK (result), error);
  if (out_found != NULL)
    *out_found = deleted > 0;
  return deleted >= 0;
}

static void
lk_secret_token_store_iface_init (LkTokenStoreInterface *iface)
{
  iface->lookup_async = secret_lookup_async;
  iface->lookup_finish = secret_lookup_finish;
  iface->store_async = secret_store_async;
  iface->store_finish = secret_store_finish;
  iface->check_async = secret_check_async;
  iface->check_finish = secret_check_finish;
  iface->clear_async = secret_clear_async;
  iface->clear_finish = secret_clear_finish;
}

static void
lk_secret_token_store_class_init (LkSecretTokenStoreClass *klass)
{
}

static void
lk_secret_token_store_init (LkSecretTokenStore *self)
{
}

LkSecretTokenStore *
lk_secret_token_store_new (void)
{
  return g_object_new (LK_TYPE_SECRET_TOKEN_STORE, NULL);
}
