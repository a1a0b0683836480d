/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sealed token store of system mode: what it writes, and what it does
 * with a file that is damaged, altered, or sealed with another key. */
/* memmem() */
#define _GNU_SOURCE
#include "config.h"

#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <string.h>
#include <sys/stat.h>

#include "lk-error.h"
#include "lk-test-jwt.h"
#include "lk-test-refresher.h"
#include "lk-test-utils.h"
#include "store/lk-sealed-token-store.h"

typedef struct
{
  char   *scratch;
  char   *path;
  GBytes *key;
} Fixture;

static GBytes *
random_key (gsize size)
{
  guint8 *key = g_malloc (size);

  g_assert_cmpint (gnutls_rnd (GNUTLS_RND_KEY, key, size), ==, 0);
  return g_bytes_new_take (key, size);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->scratch = lk_test_make_scratch ();
  fixture->path = g_build_filename (fixture->scratch, "state", "tokens.sealed", NULL);
  fixture->key = random_key (32);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_free (fixture->scratch);
  g_free (fixture->path);
  g_bytes_unref (fixture->key);
}

static LkTokenStore *
open_store (const char *path,
            GBytes     *key)
{
  g_autoptr(GError) error = NULL;
  LkSealedTokenStore *store = lk_sealed_token_store_new (path, key, &error);

  g_assert_no_error (error);
  return LK_TOKEN_STORE (store);
}

static LkTokenSet *
make_tokens (const char *email)
{
  LkTokenSet *tokens = lk_token_set_new ();

  tokens->access_token = lk_test_make_access_token ();
  tokens->refresh_token = lk_test_random_string (LK_TEST_REFRESH_PREFIX, 16);
  tokens->client_secret = lk_test_random_string (LK_TEST_SECRET_PREFIX, 16);
  tokens->expires_at = 1900000000;
  tokens->scope = g_strdup ("https://outlook.office365.com/.default");
  tokens->id_email = g_strdup (email);
  return tokens;
}

static GBytes *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize length = 0;

  g_file_get_contents (path, &data, &length, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, length);
}

static gboolean
bytes_contain (GBytes     *bytes,
               const char *needle)
{
  return memmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                 needle, strlen (needle)) != NULL;
}

static void
assert_same_tokens (const LkTokenSet *found,
                    const LkTokenSet *expected)
{
  g_assert_nonnull (found);
  g_assert_cmpstr (found->access_token, ==, expected->access_token);
  g_assert_cmpstr (found->refresh_token, ==, expected->refresh_token);
  g_assert_cmpstr (found->client_secret, ==, expected->client_secret);
  g_assert_cmpint (found->expires_at, ==, expected->expires_at);
  g_assert_cmpstr (found->scope, ==, expected->scope);
}

/* Stored, read back by a second store with the same key (another process
 * after a restart), replaced, cleared; the file is 0600, holds none of the
 * secrets in clear, and each write has a fresh nonce. */
static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(LkTokenStore) store = open_store (fixture->path, fixture->key);
  g_autoptr(LkTokenStore) again = NULL;
  g_autoptr(LkTokenSet) alice = make_tokens ("alice@example.com");
  g_autoptr(LkTokenSet) scanner = make_tokens ("scanner@example.com");
  g_autoptr(LkTokenSet) found = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  g_autoptr(GDir) listing = NULL;
  gboolean found_any = FALSE;
  const char *name;
  GStatBuf st;

  found = lk_token_store_lookup_sync (store, "alice@example.com", NULL, &error);
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "Sign it in again"));
  g_assert_cmpint (lk_error_get_details (error)->remedy, ==, LK_REMEDY_SIGN_IN);
  g_assert_cmpstr (lk_error_get_details (error)->account, ==, "alice@example.com");
  g_clear_error (&error);

  g_assert_true (lk_token_store_check_sync (store, "alice@example.com", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lk_token_store_store_sync (store, "alice@example.com", alice, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lk_token_store_store_sync (store, "scanner@example.com", scanner, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  first = read_file (fixture->path);
  g_assert_true (g_str_has_prefix (g_bytes_get_data (first, NULL), "LKTOKENS"));
  g_assert_false (bytes_contain (first, alice->access_token));
  g_assert_false (bytes_contain (first, alice->refresh_token));
  g_assert_false (bytes_contain (first, scanner->client_secret));
  g_assert_false (bytes_contain (first, LK_TEST_REFRESH_PREFIX));
  g_assert_false (bytes_contain (first, "alice@example.com"));

  /* Another store with the same key: another process, or after a restart. */
  again = open_store (fixture->path, fixture->key);
  found = lk_token_store_lookup_sync (again, "alice@example.com", NULL, &error);
  g_assert_no_error (error);
  assert_same_tokens (found, alice);
  g_clear_pointer (&found, lk_token_set_free);
  found = lk_token_store_lookup_sync (again, "scanner@example.com", NULL, &error);
  g_assert_no_error (error);
  assert_same_tokens (found, scanner);
  g_clear_pointer (&found, lk_token_set_free);

  /* The same contents written again: another nonce, so another file. */
  g_assert_true (lk_token_store_store_sync (again, "scanner@example.com", scanner, NULL, &error));
  g_assert_no_error (error);
  second = read_file (fixture->path);
  g_assert_cmpuint (g_bytes_get_size (second), ==, g_bytes_get_size (first));
  g_assert_false (g_bytes_equal (first, second));
  /* Header and key id equal; the nonce (bytes 17 to 28) differs. */
  g_assert_cmpint (memcmp (g_bytes_get_data (first, NULL), g_bytes_get_data (second, NULL), 17), ==, 0);
  g_assert_cmpint (memcmp ((const guint8 *) g_bytes_get_data (first, NULL) + 17,
                           (const guint8 *) g_bytes_get_data (second, NULL) + 17, 12), !=, 0);

  /* Replacing one account keeps the other. */
  g_clear_pointer (&alice->refresh_token, lk_secret_wipe);
  alice->refresh_token = lk_test_random_string (LK_TEST_REFRESH_PREFIX, 16);
  g_assert_true (lk_token_store_store_sync (store, "alice@example.com", alice, NULL, &error));
  found = lk_token_store_lookup_sync (again, "alice@example.com", NULL, &error);
  g_assert_no_error (error);
  assert_same_tokens (found, alice);
  g_clear_pointer (&found, lk_token_set_free);

  {
    gboolean removed = FALSE;

    g_assert_true (lk_token_store_clear_sync (store, "alice@example.com", NULL, &removed, &error));
    g_assert_no_error (error);
    g_assert_true (removed);
    g_assert_true (lk_token_store_clear_sync (store, "alice@example.com", NULL, &removed, &error));
    g_assert_false (removed);
  }
  found = lk_token_store_lookup_sync (store, "alice@example.com", NULL, &error);
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  g_clear_error (&error);
  found = lk_token_store_lookup_sync (store, "scanner@example.com", NULL, &error);
  g_assert_no_error (error);
  assert_same_tokens (found, scanner);

  /* No temporary file is left behind; only the store and its lock. */
  listing = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_assert_true (g_str_equal (name, "tokens.sealed") || g_str_equal (name, "tokens.sealed.lock"));
      found_any = TRUE;
    }
  g_assert_true (found_any);
}

static void
write_bytes (const char *path,
             GBytes     *bytes)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes),
                       &error);
  g_assert_no_error (error);
}

/* Every way the file can be refused leaves it exactly as it was, and the
 * message names the file, says what happened, and never holds a token. */
static void
assert_refused_untouched (LkTokenStore *store,
                          const char   *path,
                          GBytes       *contents,
                          const char   *what)
{
  g_autoptr(LkTokenSet) tokens = make_tokens ("new@example.com");
  g_autoptr(LkTokenSet) found = NULL;
  g_autoptr(GBytes) after = NULL;
  g_autoptr(GError) error = NULL;
  gboolean removed = TRUE;

  found = lk_token_store_lookup_sync (store, "alice@example.com", NULL, &error);
  g_assert_null (found);
  g_assert_error (error, LK_ERROR, LK_ERROR_KEYRING);
  g_test_message ("lookup: %s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, what));
  g_assert_nonnull (strstr (error->message, "Nothing"));
  g_assert_null (strstr (error->message, LK_TEST_REFRESH_PREFIX));
  g_clear_error (&error);

  g_assert_false (lk_token_store_check_sync (store, "new@example.com", NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_KEYRING);
  g_clear_error (&error);
  g_assert_false (lk_token_store_store_sync (store, "new@example.com", tokens, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_KEYRING);
  g_clear_error (&error);
  g_assert_false (lk_token_store_clear_sync (store, "alice@example.com", NULL, &removed, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_KEYRING);

  after = read_file (path);
  g_assert_true (g_bytes_equal (after, contents));
}

/* A flipped bit anywhere in the sealed part, a header changed, a file cut
 * short: refused, nothing read, nothing written; put back, it opens. */
static void
test_tampered (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(LkTokenStore) store = open_store (fixture->path, fixture->key);
  g_autoptr(LkTokenSet) alice = make_tokens ("alice@example.com");
  g_autoptr(LkTokenSet) found = NULL;
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *bytes;
  gsize size;
  /* Offsets into the file: the nonce, the first ciphertext byte, the last
   * byte of the tag. */
  gsize flips[] = { 17, 29, 0 };

  g_assert_true (lk_token_store_store_sync (store, "alice@example.com", alice, NULL, &error));
  g_assert_no_error (error);
  good = read_file (fixture->path);
  bytes = g_bytes_get_data (good, &size);
  flips[2] = size - 1;

  for (guint i = 0; i < G_N_ELEMENTS (flips); i++)
    {
      g_autofree guint8 *bad = g_memdup2 (bytes, size);
      g_autoptr(GBytes) tampered = NULL;

      bad[flips[i]] ^= 0x01;
      tampered = g_bytes_new (bad, size);
      write_bytes (fixture->path, tampered);
      assert_refused_untouched (store, fixture->path, tampered, "damaged or was altered");
    }

  {
    g_autoptr(GBytes) cut = g_bytes_new_from_bytes (good, 0, 20);

    write_bytes (fixture->path, cut);
    assert_refused_untouched (store, fixture->path, cut, "cut short");
  }
  {
    g_autofree guint8 *newer = g_memdup2 (bytes, size);
    g_autoptr(GBytes) changed = NULL;

    newer[8] = 2;
    changed = g_bytes_new (newer, size);
    write_bytes (fixture->path, changed);
    assert_refused_untouched (store, fixture->path, changed, "newer Latchkey");
  }

  /* Nothing was lost: the good file, put back, opens as before. */
  write_bytes (fixture->path, good);
  found = lk_token_store_lookup_sync (store, "alice@example.com", NULL, &error);
  g_assert_no_error (error);
  assert_same_tokens (found, alice);
}

/* A file sealed with one key and opened with another: refused as such
 * (not as damage), untouched; the right key opens it again. */
static void
test_wrong_key (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(LkTokenStore) store = open_store (fixture->path, fixture->key);
  g_autoptr(GBytes) other_key = random_key (32);
  g_autoptr(LkTokenStore) other = open_store (fixture->path, other_key);
  g_autoptr(LkTokenSet) alice = make_tokens ("alice@example.com");
  g_autoptr(LkTokenSet) found = NULL;
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ours = lk_sealed_token_store_dup_key_id (LK_SEALED_TOKEN_STORE (store));
  g_autofree char *theirs = lk_sealed_token_store_dup_key_id (LK_SEALED_TOKEN_STORE (other));

  g_assert_cmpstr (ours, !=, theirs);
  g_assert_true (lk_token_store_store_sync (store, "alice@example.com", alice, NULL, &error));
  g_assert_no_error (error);
  sealed = read_file (fixture->path);

  assert_refused_untouched (other, fixture->path, sealed, "sealed with another key");
  found = lk_token_store_lookup_sync (other, "alice@example.com", NULL, &error);
  g_assert_nonnull (strstr (error->message, ours));
  g_assert_nonnull (strstr (error->message, theirs));
  g_clear_error (&error);

  found = lk_token_store_lookup_sync (store, "alice@example.com", NULL, &error);
  g_assert_no_error (error);
  assert_same_tokens (found, alice);
}

/* Key material too short to be a key, and a store made without a key (no
 * credential): every operation says why, nothing is written. */
static void
test_no_usable_key (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GBytes) short_key = random_key (16);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) why = NULL;
  g_autoptr(LkSealedTokenStore) none = NULL;
  g_autoptr(LkTokenSet) alice = make_tokens ("alice@example.com");
  g_autoptr(LkTokenSet) found = NULL;

  g_assert_null (lk_sealed_token_store_new (fixture->path, short_key, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_KEYRING);
  g_assert_nonnull (strstr (error->message, "16 bytes"));
  g_clear_error (&error);

  why = g_error_new_literal (LK_ERROR, LK_ERROR_KEYRING, "no credential latchkey-store-key");
  none = lk_sealed_token_store_new_failed (fixture->path, why);
  g_assert_null (lk_sealed_token_store_dup_key_id (none));
  g_assert_false (lk_token_store_check_sync (LK_TOKEN_STORE (none), "alice@example.com", NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_KEYRING);
  g_assert_cmpstr (error->message, ==, why->message);
  g_clear_error (&error);
  g_assert_false (lk_token_store_store_sync (LK_TOKEN_STORE (none), "alice@example.com", alice, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_KEYRING);
  g_clear_error (&error);
  found = lk_token_store_lookup_sync (LK_TOKEN_STORE (none), "alice@example.com", NULL, &error);
  g_assert_error (error, LK_ERROR, LK_ERROR_KEYRING);
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

/* Writers of different accounts at once, each with its own store object
 * (as the daemon and the CLI are separate processes): the lock serialises
 * the read-change-write, so no account is lost. */
typedef struct
{
  const char *path;
  GBytes     *key;
  guint       index;
} Writer;

static gpointer
writer_thread (gpointer user_data)
{
  Writer *writer = user_data;
  g_autoptr(LkTokenStore) store = open_store (writer->path, writer->key);

  for (guint round = 0; round < 5; round++)
    {
      g_autofree char *email = g_strdup_printf ("user%u-%u@example.com", writer->index, round);
      g_autoptr(LkTokenSet) tokens = make_tokens (email);
      g_autoptr(GError) error = NULL;

      g_assert_true (lk_token_store_store_sync (store, email, tokens, NULL, &error));
      g_assert_no_error (error);
    }
  return NULL;
}

static void
test_concurrent_writers (Fixture       *fixture,
                         gconstpointer  data)
{
  Writer writers[6];
  GThread *threads[G_N_ELEMENTS (writers)];
  g_autoptr(LkTokenStore) store = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (writers); i++)
    {
      writers[i] = (Writer) { fixture->path, fixture->key, i };
      threads[i] = g_thread_new ("writer", writer_thread, &writers[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  store = open_store (fixture->path, fixture->key);
  for (guint i = 0; i < G_N_ELEMENTS (writers); i++)
    for (guint round = 0; round < 5; round++)
      {
        g_autofree char *email = g_strdup_printf ("user%u-%u@example.com", i, round);
        g_autoptr(LkTokenSet) found = NULL;
        g_autoptr(GError) error = NULL;

        found = lk_token_store_lookup_sync (store, email, NULL, &error);
        g_assert_no_error (error);
        g_assert_cmpstr (found->id_email, ==, email);
      }
}

#define ADD(path, func) \
  g_test_add ("/store/sealed/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  ADD ("round-trip", test_round_trip);
  ADD ("tampered", test_tampered);
  ADD ("wrong-key", test_wrong_key);
  ADD ("no-usable-key", test_no_usable_key);
  ADD ("concurrent-writers", test_concurrent_writers);
  return g_test_run ();
}
