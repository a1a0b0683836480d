/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-test"

#include "config.h"

#include <glib/gstdio.h>
#include <gnutls/crypto.h>

#include "lk-system-mode.h"
#include "lk-test-utils.h"

static char *
build_path_va (const char *root_env,
               const char *first,
               va_list     args)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  const char *root = g_getenv (root_env);

  g_assert_nonnull (root);
  g_ptr_array_add (parts, (gpointer) root);
  for (const char *p = first; p != NULL; p = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) p);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

/* A path below the source tree ($LK_SOURCE_ROOT). */
char *
lk_test_source_path (const char *first,
                     ...)
{
  va_list args;
  char *path;

  va_start (args, first);
  path = build_path_va ("LK_SOURCE_ROOT", first, args);
  va_end (args);
  return path;
}

/* A path below the build tree ($LK_BUILD_ROOT). */
char *
lk_test_build_path (const char *first,
                    ...)
{
  va_list args;
  char *path;

  va_start (args, first);
  path = build_path_va ("LK_BUILD_ROOT", first, args);
  va_end (args);
  return path;
}

/* A fresh directory the test owns; removed by the session wrapper or left
 * in TMPDIR for a post-mortem. */
char *
lk_test_make_scratch (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("lk-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
lk_test_write_file (const char *path,
                    const char *contents)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/**
 * lk_test_wait_for:
 *
 * Iterates the default main context until @condition holds or @timeout_ms
 * passes. Returns whether it held.
 */
gboolean
lk_test_wait_for (gboolean (*condition) (gpointer user_data),
                  gpointer   user_data,
                  guint      timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!condition (user_data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

/**
 * lk_test_use_sealed_store_if_asked:
 *
 * With LK_TEST_TOKEN_STORE=sealed (a second run of a store test, see
 * tests/store/meson.build), puts the process in system mode with a sealed
 * token store of its own, as systemd would start the daemon: a random key
 * in $CREDENTIALS_DIRECTORY, the state and runtime folders in
 * $STATE_DIRECTORY and $RUNTIME_DIRECTORY; and no session bus, so that
 * nothing can reach the keyring instead. The first process makes them;
 * its children (helpers, g_test_trap_subprocess()) inherit the variables
 * and so use the same store.
 *
 * Returns: whether it did
 */
gboolean
lk_test_use_sealed_store_if_asked (void)
{
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (g_getenv ("LK_TEST_TOKEN_STORE"), "sealed") != 0)
    return FALSE;
  if (g_getenv ("LK_TEST_SEALED_READY") == NULL)
    {
      g_autofree char *scratch = lk_test_make_scratch ();
      g_autofree char *credentials = g_build_filename (scratch, "credentials", NULL);
      g_autofree char *state = g_build_filename (scratch, "state", NULL);
      g_autofree char *runtime = g_build_filename (scratch, "run", NULL);
      g_autofree char *key_path = g_build_filename (credentials, "latchkey-store-key", NULL);
      guint8 key[32];

      g_assert_cmpint (gnutls_rnd (GNUTLS_RND_KEY, key, sizeof key), ==, 0);
      g_assert_cmpint (g_mkdir_with_parents (credentials, 0700), ==, 0);
      g_assert_cmpint (g_mkdir_with_parents (state, 0700), ==, 0);
      g_file_set_contents_full (key_path, (const char *) key, sizeof key,
                                G_FILE_SET_CONTENTS_NONE, 0400, &error);
      g_assert_no_error (error);
      g_setenv ("CREDENTIALS_DIRECTORY", credentials, TRUE);
      g_setenv ("STATE_DIRECTORY", state, TRUE);
      g_setenv ("RUNTIME_DIRECTORY", runtime, TRUE);
      g_setenv ("LK_TEST_SEALED_READY", "1", TRUE);
    }
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "disabled:", TRUE);
  g_assert_true (lk_system_mode_enter (&error));
  g_assert_no_error (error);
  return TRUE;
}

/**
 * lk_test_load_profile:
 * @id: a built-in profile, as in data/providers/ID.json
 * @login_base: (nullable): what replaces https://login.microsoftonline.com
 *   (the test identity provider's base URL), or %NULL to keep it
 */
LkProvider *
lk_test_load_profile (const char *id,
                      const char *login_base)
{
  g_autofree char *name = g_strconcat (id, ".json", NULL);
  g_autofree char *path = lk_test_source_path ("data", "providers", name, NULL);
  g_autofree char *json = NULL;
  g_autoptr(GString) s = NULL;
  g_autoptr(GError) error = NULL;
  LkProvider *provider;

  g_file_get_contents (path, &json, NULL, &error);
  g_assert_no_error (error);
  s = g_string_new (json);
  if (login_base != NULL)
    g_string_replace (s, "https://login.microsoftonline.com", login_base, 0);
  provider = lk_provider_new_from_data (s->str, (gssize) s->len, name, &error);
  g_assert_no_error (error);
  return provider;
}

/* The query of @url as a table of decoded names and values. */
GHashTable *
lk_test_query_of (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_QUERY, NULL);

  g_assert_nonnull (uri);
  return g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE, NULL);
}
