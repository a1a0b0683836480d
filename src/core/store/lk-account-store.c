/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-store"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "lk-error.h"
#include "lk-file.h"
#include "lk-places.h"
#include "store/lk-account-store.h"

/**
 * LkAccountStore:
 *
 * The non-secret half of the accounts: one JSON file per account in
 * `accounts/` of the configuration place (lk-places.h:
 * `$XDG_CONFIG_HOME/latchkey/accounts/`, or the system mode's state folder;
 * 0700), each written atomically with
 * mode 0600. The file name is derived from the address (see
 * lk_account_file_stem()); the address itself lives in the JSON, which is
 * what lk_account_store_load() checks.
 */
struct _LkAccountStore
{
  GObject  parent_instance;
  char    *directory;
};

G_DEFINE_FINAL_TYPE (LkAccountStore, lk_account_store, G_TYPE_OBJECT)

/* Longer escaped names are hashed: NAME_MAX is 255 and an address may be 254
 * bytes before escaping. */
#define MAX_STEM_LENGTH 200

static void
lk_account_store_finalize (GObject *object)
{
  LkAccountStore *self = LK_ACCOUNT_STORE (object);

  g_free (self->directory);
  G_OBJECT_CLASS (lk_account_store_parent_class)->finalize (object);
}

static void
lk_account_store_class_init (LkAccountStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_account_store_finalize;
}

static void
lk_account_store_init (LkAccountStore *self)
{
}

/**
 * lk_account_store_new:
 * @directory: (nullable): where the account files live; %NULL for
 *   `accounts` in %LK_PLACE_CONFIG
 */
LkAccountStore *
lk_account_store_new (const char *directory)
{
  LkAccountStore *self = g_object_new (LK_TYPE_ACCOUNT_STORE, NULL);

  if (directory != NULL)
    self->directory = g_strdup (directory);
  else
    self->directory = lk_places_build_path (LK_PLACE_CONFIG, "accounts", NULL);
  return self;
}

const char *
lk_account_store_get_directory (LkAccountStore *self)
{
  g_return_val_if_fail (LK_IS_ACCOUNT_STORE (self), NULL);
  return self->directory;
}

/**
 * lk_account_file_stem:
 * @email: an account's address
 *
 * A file name for @email without extension, shared by the account file and
 * the refresh lock: letters, digits and `@ + - _ .` stay, every other byte
 * becomes `%XX` (so `/`, quotes and spaces cannot escape the directory), a
 * leading dot is escaped too, and a name that would be too long becomes
 * `sha256-<hex>`. Reversible except for the hashed form; the address is in
 * the file anyway.
 */
char *
lk_account_file_stem (const char *email)
{
  GString *stem;

  g_return_val_if_fail (email != NULL && *email != '\0', NULL);

  stem = g_string_new (NULL);
  for (const char *p = email; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (g_ascii_isalnum (c) || c == '@' || c == '+' || c == '-' || c == '_' ||
          (c == '.' && p != email))
        g_string_append_c (stem, (char) c);
      else
        g_string_append_printf (stem, "%%%02X", c);
    }

  if (stem->len > MAX_STEM_LENGTH)
    {
      g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, email, -1);

      g_string_free (stem, TRUE);
      return g_strconcat ("sha256-", hash, NULL);
    }
  return g_string_free (stem, FALSE);
}

char *
lk_account_store_get_path (LkAccountStore *self,
                           const char     *email)
{
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (LK_IS_ACCOUNT_STORE (self), NULL);

  stem = lk_account_file_stem (email);
  name = g_strconcat (stem, ".json", NULL);
  return g_build_filename (self->directory, name, NULL);
}

static int
compare_accounts (gconstpointer a,
                  gconstpointer b)
{
  const LkAccount *first = *(LkAccount * const *) a;
  const LkAccount *second = *(LkAccount * const *) b;
  int cmp = g_ascii_strcasecmp (first->email, second->email);

  return cmp != 0 ? cmp : strcmp (first->email, second->email);
}

static LkAccount *
load_file (const char  *path,
           GError     **error)
{
  g_autofree char *data = NULL;
  gsize length = 0;

  if (!lk_file_read_regular (path, LK_FILE_MAX_SMALL, &data, &length, error))
    return NULL;
  return lk_account_new_from_data (data, (gssize) length, path, error);
}

/**
 * lk_account_store_list:
 * @problems: (out) (optional) (element-type GError): one error per account
 *   file that could not be read, each naming the file; those files are
 *   skipped
 *
 * Returns: (transfer full) (element-type LkAccount): the accounts sorted by
 *   address; empty when the directory does not exist yet. %NULL only when the
 *   directory exists but cannot be read.
 */
GPtrArray *
lk_account_store_list (LkAccountStore  *self,
                       GPtrArray      **problems,
                       GError         **error)
{
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_account_unref);
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_return_val_if_fail (LK_IS_ACCOUNT_STORE (self), NULL);

  dir = g_dir_open (self->directory, 0, &local_error);
  if (dir == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          if (problems != NULL)
            *problems = g_steal_pointer (&errors);
          return g_steal_pointer (&accounts);
        }
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("Cannot read the accounts folder: "));
      return NULL;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      GError *file_error = NULL;
      LkAccount *account;

      /* Skips the temporary files of a save in progress too. */
      if (!g_str_has_suffix (name, ".json") || name[0] == '.')
        continue;
      path = g_build_filename (self->directory, name, NULL);
      account = load_file (path, &file_error);
      if (account != NULL)
        g_ptr_array_add (accounts, account);
      else
        {
          g_debug ("Skipping an account file: %s", file_error->message);
          g_ptr_array_add (errors, file_error);
        }
    }

  g_ptr_array_sort (accounts, compare_accounts);
  if (problems != NULL)
    *problems = g_steal_pointer (&errors);
  return g_steal_pointer (&accounts);
}

/**
 * lk_account_store_load:
 *
 * Returns: (transfer full): the account, or %NULL with %LK_ERROR_NOT_FOUND
 *   when there is none for @email, or another error when its file is damaged.
 */
LkAccount *
lk_account_store_load (LkAccountStore  *self,
                       const char      *email,
                       GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(LkAccount) account = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (LK_IS_ACCOUNT_STORE (self), NULL);
  g_return_val_if_fail (email != NULL, NULL);

  path = lk_account_store_get_path (self, email);
  account = load_file (path, &local_error);
  if (account == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                       _("There is no account %s. Check the address against your accounts, "
                         "or add it."), email);
          if (error != NULL)
            lk_error_set_remedy (*error, LK_REMEDY_ADD, email);
        }
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  /* A hashed name could in theory collide. */
  if (strcmp (account->email, email) != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("There is no account %s (%s belongs to %s)."),
                   email, path, account->email);
      return NULL;
    }
  return g_steal_pointer (&account);
}

gboolean
lk_account_store_exists (LkAccountStore *self,
                         const char     *email)
{
  g_autofree char *path = lk_account_store_get_path (self, email);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/**
 * lk_account_store_save:
 *
 * Writes @account's file, replacing any earlier one: a temporary file in the
 * same folder, flushed to disk, then renamed over the old one, so that the
 * old file stays whole if anything fails.
 */
gboolean
lk_account_store_save (LkAccountStore  *self,
                       LkAccount       *account,
                       GError         **error)
{
  g_autofree char *path = NULL;
  g_autofree char *data = NULL;
  gsize length = 0;

  g_return_val_if_fail (LK_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (account != NULL && account->email != NULL, FALSE);

  if (g_mkdir_with_parents (self->directory, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot create the accounts folder %s: %s"),
                   self->directory, g_strerror (saved_errno));
      return FALSE;
    }

  path = lk_account_store_get_path (self, account->email);
  data = lk_account_to_data (account, &length);
  if (!g_file_set_contents_full (path, data, (gssize) length,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error))
    {
      g_prefix_error (error, _("Cannot save the account %s: "), account->email);
      return FALSE;
    }
  return TRUE;
}

/**
 * lk_account_store_record_export:
 * @account: the account as the caller holds it; it gets the record too
 * @client: the exporter's id, such as "msmtp"
 * @path: the file written, absolute
 *
 * Notes in @account's file that @client's configuration was written to
 * @path, now (lk_account_add_export()). The file is read again first, so
 * that what another program saved since @account was loaded (a test's
 * results) is kept.
 */
gboolean
lk_account_store_record_export (LkAccountStore  *self,
                                LkAccount       *account,
                                const char      *client,
                                const char      *path,
                                GError         **error)
{
  g_autoptr(LkAccount) on_disk = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_return_val_if_fail (LK_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (account != NULL && client != NULL && path != NULL, FALSE);
  g_return_val_if_fail (g_path_is_absolute (path), FALSE);

  lk_account_add_export (account, client, path, now);
  on_disk = lk_account_store_load (self, account->email, error);
  if (on_disk == NULL)
    return FALSE;
  lk_account_add_export (on_disk, client, path, now);
  return lk_account_store_save (self, on_disk, error);
}

/**
 * lk_account_store_remove:
 *
 * @out_found: (out) (optional): whether there was a file to remove
 *
 * Removes @email's file, whatever it holds (a damaged one too). Removing an
 * account that has no file is not an error: the goal is that it is gone.
 */
gboolean
lk_account_store_remove (LkAccountStore  *self,
                         const char      *email,
                         gboolean        *out_found,
                         GError         **error)
{
  g_autofree char *path = NULL;
  int unlinked;

  g_return_val_if_fail (LK_IS_ACCOUNT_STORE (self), FALSE);

  path = lk_account_store_get_path (self, email);
  unlinked = g_unlink (path);
  if (out_found != NULL)
    *out_found = unlinked == 0;
  if (unlinked != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot remove %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}
