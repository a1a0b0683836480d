/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-store"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "lk-error.h"
#include "lk-file.h"
#include "lk-json.h"
#include "store/lk-sealed-token-store.h"

/**
 * LkSealedTokenStore:
 *
 * The #LkTokenStore of a machine without a desktop (system mode,
 * doc/system-mode.md): every account's token set in one file, sealed with
 * AES-256-GCM (GnuTLS's AEAD API). The key comes from a systemd credential
 * (lk-store-credential.c), never from a password.
 *
 * The file: a header — "LKTOKENS", a format version byte, and an 8-byte key
 * id — then a 12-byte nonce and the ciphertext with its 16-byte tag. The
 * header is the associated data, so it cannot be changed either. The
 * plaintext is `{"v":1,"accounts":{ADDRESS: PAYLOAD,…}}`, each PAYLOAD an
 * lk_token_set_serialize() string: every token set is bound to its address
 * by the seal over the whole map, so a token set cannot be moved to another
 * account, nor the file's accounts added to or swapped, without breaking
 * the tag. The AES key and the key id are derived from the credential with
 * HKDF-SHA256 (RFC 5869) under different labels; the key id lets a wrong key
 * be told from a damaged file without revealing anything about the key.
 *
 * Every write takes the store's lock (a flock on `PATH.lock`: the daemon
 * and `latchkey-cli --system` run at once), reads and opens the current
 * file, changes one account, seals the whole with a fresh random nonce, and
 * replaces the file atomically: a temporary file (0600, ciphertext only),
 * fsync, rename, fsync of the folder. A file that cannot be opened — damaged,
 * altered, or sealed with another key — is never overwritten: every
 * operation fails with %LK_ERROR_KEYRING and a message saying what to do,
 * and the file stays as it was for the key that sealed it.
 */

#define MAGIC "LKTOKENS"
#define MAGIC_SIZE 8
#define FORMAT_VERSION 1
#define KEY_SIZE 32
#define KEY_ID_SIZE 8
#define NONCE_SIZE 12
#define TAG_SIZE 16
#define HEADER_SIZE (MAGIC_SIZE + 1 + KEY_ID_SIZE)
#define MIN_FILE_SIZE (HEADER_SIZE + NONCE_SIZE + TAG_SIZE)
/* Thousands of accounts fit in a few megabytes. */
#define MAX_FILE_SIZE (16 * 1024 * 1024)
/* A write holds the lock for milliseconds; this only catches a stuck
 * process (stopped with SIGSTOP, a disk that hangs). */
#define WRITE_LOCK_TIMEOUT_MS 30000

#define HKDF_SALT "io.github.latchkey sealed token store"
#define HKDF_INFO_KEY "aes-256-gcm key v1"
#define HKDF_INFO_KEY_ID "key id v1"

struct _LkSealedTokenStore
{
  GObject  parent_instance;
  char    *path;
  char    *lock_path;
  guint8   key[KEY_SIZE];
  guint8   key_id[KEY_ID_SIZE];
  GError  *unusable;   /* when set, every operation fails with it */
};

static void lk_sealed_token_store_iface_init (LkTokenStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LkSealedTokenStore, lk_sealed_token_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (LK_TYPE_TOKEN_STORE,
                                                      lk_sealed_token_store_iface_init))

static void
lk_sealed_token_store_finalize (GObject *object)
{
  LkSealedTokenStore *self = LK_SEALED_TOKEN_STORE (object);

  explicit_bzero (self->key, sizeof self->key);
  g_free (self->path);
  g_free (self->lock_path);
  g_clear_error (&self->unusable);
  G_OBJECT_CLASS (lk_sealed_token_store_parent_class)->finalize (object);
}

static void
lk_sealed_token_store_class_init (LkSealedTokenStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_sealed_token_store_finalize;
}

static void
lk_sealed_token_store_init (LkSealedTokenStore *self)
{
}

static LkSealedTokenStore *
store_new (const char *path)
{
  LkSealedTokenStore *self = g_object_new (LK_TYPE_SEALED_TOKEN_STORE, NULL);

  self->path = g_strdup (path);
  self->lock_path = g_strconcat (path, ".lock", NULL);
  return self;
}

static gboolean
derive_keys (LkSealedTokenStore  *self,
             GBytes              *key,
             GError             **error)
{
  guint8 prk[32];
  gnutls_datum_t ikm = { (unsigned char *) g_bytes_get_data (key, NULL),
                         (unsigned int) g_bytes_get_size (key) };
  gnutls_datum_t salt = { (unsigned char *) HKDF_SALT, sizeof HKDF_SALT - 1 };
  gnutls_datum_t prk_datum = { prk, sizeof prk };
  gnutls_datum_t info_key = { (unsigned char *) HKDF_INFO_KEY, sizeof HKDF_INFO_KEY - 1 };
  gnutls_datum_t info_id = { (unsigned char *) HKDF_INFO_KEY_ID, sizeof HKDF_INFO_KEY_ID - 1 };
  int rc;

  rc = gnutls_hkdf_extract (GNUTLS_MAC_SHA256, &ikm, &salt, prk);
  if (rc >= 0)
    rc = gnutls_hkdf_expand (GNUTLS_MAC_SHA256, &prk_datum, &info_key, self->key, KEY_SIZE);
  if (rc >= 0)
    rc = gnutls_hkdf_expand (GNUTLS_MAC_SHA256, &prk_datum, &info_id, self->key_id, KEY_ID_SIZE);
  explicit_bzero (prk, sizeof prk);
  if (rc < 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                   _("Cannot derive the sealed token store’s key: %s"), gnutls_strerror (rc));
      return FALSE;
    }
  return TRUE;
}

/**
 * lk_sealed_token_store_new:
 * @path: the store's file (it need not exist yet)
 * @key: the key material, %LK_SEALED_KEY_MIN_SIZE to %LK_SEALED_KEY_MAX_SIZE
 *   bytes; not kept
 *
 * Returns: (transfer full): the store, or %NULL with %LK_ERROR_KEYRING when
 *   @key cannot be a key
 */
LkSealedTokenStore *
lk_sealed_token_store_new (const char  *path,
                           GBytes      *key,
                           GError     **error)
{
  g_autoptr(LkSealedTokenStore) self = NULL;
  gsize size;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  size = g_bytes_get_size (key);
  if (size < LK_SEALED_KEY_MIN_SIZE || size > LK_SEALED_KEY_MAX_SIZE)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                   _("The key for the sealed token store holds %u bytes; it must hold %d to "
                     "%d, made from random bytes (see “The key” in latchkey-bridge(1))."),
                   (guint) MIN (size, G_MAXUINT), LK_SEALED_KEY_MIN_SIZE,
                   LK_SEALED_KEY_MAX_SIZE);
      return NULL;
    }
  self = store_new (path);
  if (!derive_keys (self, key, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * lk_sealed_token_store_new_failed:
 * @why: why there is no key
 *
 * A store without a key: every operation fails with a copy of @why. System
 * mode starts with one when the credential is missing, so that commands
 * that need no tokens (`list`) still work and the others say why they
 * cannot.
 *
 * Returns: (transfer full): the store
 */
LkSealedTokenStore *
lk_sealed_token_store_new_failed (const char   *path,
                                  const GError *why)
{
  LkSealedTokenStore *self;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (why != NULL, NULL);

  self = store_new (path);
  self->unusable = g_error_copy (why);
  return self;
}

const char *
lk_sealed_token_store_get_path (LkSealedTokenStore *self)
{
  g_return_val_if_fail (LK_IS_SEALED_TOKEN_STORE (self), NULL);
  return self->path;
}

static char *
hex (const guint8 *data,
     gsize         size)
{
  GString *s = g_string_sized_new (size * 2);

  for (gsize i = 0; i < size; i++)
    g_string_append_printf (s, "%02x", data[i]);
  return g_string_free (s, FALSE);
}

/**
 * lk_sealed_token_store_dup_key_id:
 *
 * Returns: (transfer full) (nullable): the key's id, in hex, as the messages
 *   show it; %NULL for a store without a key
 */
char *
lk_sealed_token_store_dup_key_id (LkSealedTokenStore *self)
{
  g_return_val_if_fail (LK_IS_SEALED_TOKEN_STORE (self), NULL);
  return self->unusable != NULL ? NULL : hex (self->key_id, KEY_ID_SIZE);
}

/* Opening */

/* Address → payload; the payloads are wiped when the table lets go. */
static GHashTable *
entries_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) lk_secret_wipe);
}

static void
set_unopenable_error (LkSealedTokenStore  *self,
                      GError             **error)
{
  g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
               _("The sealed token store %s is damaged or was altered: its contents do not "
                 "match their seal. Nothing was read from it and nothing was changed. Restore "
                 "it from a backup, or move it away and sign every account in again."),
               self->path);
}

static GHashTable *
parse_plaintext (LkSealedTokenStore  *self,
                 const char          *text,
                 gsize                length,
                 GError             **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GHashTable) entries = entries_new ();
  JsonObject *root;
  JsonObject *accounts;
  JsonObjectIter iter;
  const char *email;
  JsonNode *value;

  if (!json_parser_load_from_data (parser, text, (gssize) length, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      /* Sealed by this key, so written by a Latchkey: not an attack. */
      set_unopenable_error (self, error);
      return NULL;
    }
  root = json_node_get_object (json_parser_get_root (parser));
  if (lk_json_get_int (root, "v", 0) != FORMAT_VERSION ||
      !json_object_has_member (root, "accounts") ||
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "accounts")))
    {
      set_unopenable_error (self, error);
      return NULL;
    }
  accounts = json_object_get_object_member (root, "accounts");
  json_object_iter_init (&iter, accounts);
  while (json_object_iter_next (&iter, &email, &value))
    if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
      g_hash_table_replace (entries, g_strdup (email), g_strdup (json_node_get_string (value)));
  return g_steal_pointer (&entries);
}

static GHashTable *
open_sealed (LkSealedTokenStore  *self,
             const guint8        *data,
             gsize                length,
             GError             **error)
{
  gnutls_datum_t key = { self->key, KEY_SIZE };
  gnutls_aead_cipher_hd_t cipher = NULL;
  const guint8 *nonce = data + HEADER_SIZE;
  const guint8 *sealed = nonce + NONCE_SIZE;
  gsize sealed_length;
  guint8 *plain;
  size_t plain_length;
  GHashTable *entries;
  int rc;

  if (length < MIN_FILE_SIZE || memcmp (data, MAGIC, MAGIC_SIZE) != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                   _("%s is not a Latchkey sealed token store, or it was cut short. Nothing "
                     "was changed. Restore it from a backup, or move it away and sign every "
                     "account in again."),
                   self->path);
      return NULL;
    }
  if (data[MAGIC_SIZE] != FORMAT_VERSION)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                   _("The sealed token store %s was written by a newer Latchkey (format %u). "
                     "Nothing was changed; update Latchkey."),
                   self->path, data[MAGIC_SIZE]);
      return NULL;
    }
  if (memcmp (data + MAGIC_SIZE + 1, self->key_id, KEY_ID_SIZE) != 0)
    {
      g_autofree char *theirs = hex (data + MAGIC_SIZE + 1, KEY_ID_SIZE);
      g_autofree char *ours = hex (self->key_id, KEY_ID_SIZE);

      g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                   _("The sealed token store %s was sealed with another key (key id %s; the "
                     "key given has the id %s). Nothing was read from it and nothing was "
                     "changed. Give Latchkey the credential that sealed it, or move the store "
                     "away and sign every account in again."),
                   self->path, theirs, ours);
      return NULL;
    }

  sealed_length = length - HEADER_SIZE - NONCE_SIZE;
  plain_length = sealed_length - TAG_SIZE;
  plain = g_malloc (plain_length + 1);
  rc = gnutls_aead_cipher_init (&cipher, GNUTLS_CIPHER_AES_256_GCM, &key);
  if (rc >= 0)
    rc = gnutls_aead_cipher_decrypt (cipher, nonce, NONCE_SIZE, data, HEADER_SIZE, TAG_SIZE,
                                     sealed, sealed_length, plain, &plain_length);
  if (cipher != NULL)
    gnutls_aead_cipher_deinit (cipher);
  if (rc < 0)
    {
      explicit_bzero (plain, plain_length);
      g_free (plain);
      if (rc == GNUTLS_E_DECRYPTION_FAILED)
        set_unopenable_error (self, error);
      else
        g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                     _("Cannot open the sealed token store %s: %s"), self->path,
                     gnutls_strerror (rc));
      return NULL;
    }
  plain[plain_length] = '\0';
  entries = parse_plaintext (self, (const char *) plain, plain_length, error);
  explicit_bzero (plain, plain_length);
  g_free (plain);
  return entries;
}

/* Reads and opens the store: address → payload, empty when there is no
 * file yet (*out_exists FALSE). */
static GHashTable *
read_entries (LkSealedTokenStore  *self,
              gboolean            *out_exists,
              GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *data = NULL;
  gsize length = 0;

  if (self->unusable != NULL)
    {
      g_propagate_error (error, g_error_copy (self->unusable));
      return NULL;
    }
  if (!lk_file_read_regular (self->path, MAX_FILE_SIZE, &data, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          if (out_exists != NULL)
            *out_exists = FALSE;
          return entries_new ();
        }
      g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                   _("Cannot read the sealed token store: %s"), local_error->message);
      return NULL;
    }
  if (out_exists != NULL)
    *out_exists = TRUE;
  return open_sealed (self, (const guint8 *) data, length, error);
}

/* Sealing */

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static GBytes *
seal (LkSealedTokenStore  *self,
      GHashTable          *entries,
      GError             **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree const char **emails = NULL;
  gnutls_datum_t key = { self->key, KEY_SIZE };
  gnutls_aead_cipher_hd_t cipher = NULL;
  guint count = 0;
  char *plain;
  gsize plain_length = 0;
  guint8 *out;
  size_t sealed_length;
  int rc;

  /* Sorted, so that the same accounts make the same plaintext. */
  emails = (const char **) g_hash_table_get_keys_as_array (entries, &count);
  qsort (emails, count, sizeof (char *), compare_strings);
  json_builder_begin_object (builder);
  lk_json_add_int (builder, "v", FORMAT_VERSION);
  json_builder_set_member_name (builder, "accounts");
  json_builder_begin_object (builder);
  for (guint i = 0; i < count; i++)
    lk_json_add_string (builder, emails[i], g_hash_table_lookup (entries, emails[i]));
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  plain = lk_json_to_data (root, FALSE, &plain_length);

  sealed_length = plain_length + TAG_SIZE;
  out = g_malloc (HEADER_SIZE + NONCE_SIZE + sealed_length);
  memcpy (out, MAGIC, MAGIC_SIZE);
  out[MAGIC_SIZE] = FORMAT_VERSION;
  memcpy (out + MAGIC_SIZE + 1, self->key_id, KEY_ID_SIZE);
  /* A fresh random nonce for every write: never one nonce twice under a
   * key (NIST SP 800-38D §8.2.2, random construction). */
  rc = gnutls_rnd (GNUTLS_RND_NONCE, out + HEADER_SIZE, NONCE_SIZE);
  if (rc >= 0)
    rc = gnutls_aead_cipher_init (&cipher, GNUTLS_CIPHER_AES_256_GCM, &key);
  if (rc >= 0)
    rc = gnutls_aead_cipher_encrypt (cipher, out + HEADER_SIZE, NONCE_SIZE, out, HEADER_SIZE,
                                     TAG_SIZE, plain, plain_length,
                                     out + HEADER_SIZE + NONCE_SIZE, &sealed_length);
  if (cipher != NULL)
    gnutls_aead_cipher_deinit (cipher);
  lk_secret_wipe (plain);
  if (rc < 0)
    {
      g_free (out);
      g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                   _("Cannot seal the token store: %s"), gnutls_strerror (rc));
      return NULL;
    }
  return g_bytes_new_take (out, HEADER_SIZE + NONCE_SIZE + sealed_length);
}

static gboolean
write_sealed (LkSealedTokenStore  *self,
              GHashTable          *entries,
              GError             **error)
{
  g_autoptr(GBytes) sealed = seal (self, entries, error);
  g_autofree char *dir = NULL;

  if (sealed == NULL)
    return FALSE;
  /* Ciphertext only, so the temporary file holds no secret either. */
  if (!g_file_set_contents_full (self->path, g_bytes_get_data (sealed, NULL),
                                 (gssize) g_bytes_get_size (sealed),
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error))
    {
      g_prefix_error (error, _("Cannot save the sealed token store: "));
      return FALSE;
    }
  dir = g_path_get_dirname (self->path);
  return lk_file_sync_dir (dir, error);
}

/* Takes the store's write lock; the folder is made (0700) if missing. */
static int
lock_store (LkSealedTokenStore  *self,
            GCancellable        *cancellable,
            GError             **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autoptr(GError) local_error = NULL;
  int fd;

  if (self->unusable != NULL)
    {
      g_propagate_error (error, g_error_copy (self->unusable));
      return -1;
    }
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                   _("Cannot create the folder of the sealed token store %s: %s"),
                   dir, g_strerror (saved_errno));
      return -1;
    }
  fd = lk_file_lock (self->lock_path, WRITE_LOCK_TIMEOUT_MS, cancellable, &local_error);
  if (fd < 0)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                     _("Cannot lock the sealed token store: %s. Try again; if this persists, "
                       "look for a stuck latchkey-cli or latchkey-bridge process."),
                     local_error->message);
    }
  return fd;
}

/* The operations, each in a worker thread: file I/O and crypto. */

typedef enum
{
  OP_LOOKUP,
  OP_STORE,
  OP_CHECK,
  OP_CLEAR,
} OpKind;

typedef struct
{
  OpKind  kind;
  char   *account;
  char   *payload;   /* OP_STORE */
} Op;

static void
op_free (Op *op)
{
  g_free (op->account);
  lk_secret_wipe (op->payload);
  g_free (op);
}

static void
run_lookup (GTask              *task,
            LkSealedTokenStore *self,
            Op                 *op)
{
  g_autoptr(GHashTable) entries = NULL;
  g_autoptr(GError) error = NULL;
  LkTokenSet *tokens;
  const char *payload;

  entries = read_entries (self, NULL, &error);
  if (entries == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  payload = g_hash_table_lookup (entries, op->account);
  if (payload == NULL)
    {
      g_autoptr(GError) missing = g_error_new (LK_ERROR, LK_ERROR_NOT_FOUND,
                                               _("The sealed token store holds no tokens for "
                                                 "%s. Sign it in again."),
                                               op->account);

      lk_error_set_remedy (missing, LK_REMEDY_SIGN_IN, op->account);
      g_task_return_error (task, g_steal_pointer (&missing));
      return;
    }
  tokens = lk_token_set_deserialize (payload, &error);
  if (tokens == NULL)
    {
      g_autoptr(GError) damaged = g_error_new (LK_ERROR, LK_ERROR_NEEDS_SIGN_IN,
                                               _("The tokens of %s in the sealed token store "
                                                 "cannot be read (%s); sign in again."),
                                               op->account, error->message);

      lk_error_set_remedy (damaged, LK_REMEDY_SIGN_IN, op->account);
      g_task_return_error (task, g_steal_pointer (&damaged));
      return;
    }
  g_task_return_pointer (task, tokens, (GDestroyNotify) lk_token_set_free);
}

static void
run_change (GTask              *task,
            LkSealedTokenStore *self,
            Op                 *op,
            GCancellable       *cancellable)
{
  g_autoptr(GHashTable) entries = NULL;
  g_autoptr(GError) error = NULL;
  gboolean exists = FALSE;
  gboolean found = FALSE;
  int fd;

  fd = lock_store (self, cancellable, &error);
  if (fd < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Read under the lock: another process may have written meanwhile. */
  entries = read_entries (self, &exists, &error);
  if (entries != NULL)
    {
      if (op->kind == OP_STORE)
        {
          g_hash_table_replace (entries, g_strdup (op->account), g_steal_pointer (&op->payload));
          write_sealed (self, entries, &error);
        }
      else
        {
          found = g_hash_table_remove (entries, op->account);
          if (found)
            write_sealed (self, entries, &error);
        }
    }
  close (fd);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (op->kind == OP_STORE)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_int (task, found ? 1 : 0);
}

/* Opens the store (right key, not damaged) and checks that its folder can
 * take a new file. Nothing is written. */
static void
run_check (GTask              *task,
           LkSealedTokenStore *self,
           Op                 *op)
{
  g_autoptr(GHashTable) entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (self->path);

  entries = read_entries (self, NULL, &error);
  if (entries == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_mkdir_with_parents (dir, 0700) != 0 || g_access (dir, W_OK) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, LK_ERROR, LK_ERROR_KEYRING,
                               _("The tokens of %s could not be saved in %s (%s); nothing was "
                                 "started."),
                               op->account, dir, g_strerror (saved_errno));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
run_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  LkSealedTokenStore *self = source_object;
  Op *op = task_data;

  switch (op->kind)
    {
    case OP_LOOKUP:
      run_lookup (task, self, op);
      break;
    case OP_STORE:
    case OP_CLEAR:
      run_change (task, self, op, cancellable);
      break;
    case OP_CHECK:
      run_check (task, self, op);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
start (LkTokenStore        *store,
       gpointer             source_tag,
       OpKind               kind,
       const char          *account,
       const LkTokenSet    *tokens,
       GCancellable        *cancellable,
       GAsyncReadyCallback  callback,
       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (store, cancellable, callback, user_data);
  Op *op = g_new0 (Op, 1);

  g_task_set_source_tag (task, source_tag);
  op->kind = kind;
  op->account = g_strdup (account);
  op->payload = tokens != NULL ? lk_token_set_serialize (tokens) : NULL;
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  /* A write, once the lock is held, finishes whatever the caller does: the
   * provider may have rotated the refresh token being stored. */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, run_thread);
}

static void
sealed_lookup_async (LkTokenStore        *store,
                     const char          *account,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  start (store, sealed_lookup_async, OP_LOOKUP, account, NULL, cancellable, callback, user_data);
}

static LkTokenSet *
sealed_lookup_finish (LkTokenStore  *store,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sealed_lookup_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
sealed_store_async (LkTokenStore        *store,
                    const char          *account,
                    const LkTokenSet    *tokens,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  start (store, sealed_store_async, OP_STORE, account, tokens, cancellable, callback, user_data);
}

static gboolean
sealed_store_finish (LkTokenStore  *store,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sealed_store_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
sealed_check_async (LkTokenStore        *store,
                    const char          *account,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  start (store, sealed_check_async, OP_CHECK, account, NULL, cancellable, callback, user_data);
}

static gboolean
sealed_check_finish (LkTokenStore  *store,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sealed_check_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
sealed_clear_async (LkTokenStore        *store,
                    const char          *account,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  start (store, sealed_clear_async, OP_CLEAR, account, NULL, cancellable, callback, user_data);
}

static gboolean
sealed_clear_finish (LkTokenStore  *store,
                     GAsyncResult  *result,
                     gboolean      *out_found,
                     GError       **error)
{
  gssize found;

  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sealed_clear_async, FALSE);
  found = g_task_propagate_int (G_TASK (result), error);
  if (out_found != NULL)
    *out_found = found > 0;
  return found >= 0;
}

static void
lk_sealed_token_store_iface_init (LkTokenStoreInterface *iface)
{
  iface->lookup_async = sealed_lookup_async;
  iface->lookup_finish = sealed_lookup_finish;
  iface->store_async = sealed_store_async;
  iface->store_finish = sealed_store_finish;
  iface->check_async = sealed_check_async;
  iface->check_finish = sealed_check_finish;
  iface->clear_async = sealed_clear_async;
  iface->clear_finish = sealed_clear_finish;
}
