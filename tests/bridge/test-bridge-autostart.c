/* SPDX-License-Identifier: GPL-3.0-or-later */
/* "Start at login" without a systemd user manager: the installed autostart
 * entry is copied to $XDG_CONFIG_HOME/autostart and launched once; turned
 * off, it is removed. (With a user manager it is `systemctl --user enable
 * --now`, which needs systemd as PID 1: not on this test machine.) */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "bridge/lk-bridge-autostart.h"
#include "lk-error.h"
#include "lk-test-utils.h"

#define ENTRY APP_ID ".Bridge.desktop"

static char *root;

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
exists (gpointer path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static gboolean
set (gboolean   enabled,
     GError   **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  lk_bridge_autostart_set_async (enabled, NULL, store_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return lk_bridge_autostart_set_finish (result, error);
}

static void
test_entry (void)
{
  g_autofree char *installed = g_build_filename (root, "data", "latchkey", "autostart", ENTRY, NULL);
  g_autofree char *copied = g_build_filename (root, "config", "autostart", ENTRY, NULL);
  g_autofree char *started = g_build_filename (root, "started", NULL);
  g_autofree char *entry = NULL;
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  g_autoptr(GError) error = NULL;

  /* Not installed: refused, saying how to start it instead. */
  g_assert_false (set (TRUE, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "latchkey-bridge"));
  g_clear_error (&error);
  g_assert_false (lk_bridge_autostart_get_enabled ());

  entry = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Latchkey Bridge\n"
                           "Exec=touch %s\nNoDisplay=true\nX-systemd-skip=true\n", started);
  lk_test_write_file (installed, entry);

  g_assert_true (set (TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (lk_bridge_autostart_get_enabled ());
  g_assert_true (g_file_get_contents (copied, &got, NULL, NULL));
  g_assert_cmpstr (got, ==, entry);
  /* And started now, not only at the next login. */
  g_assert_true (lk_test_wait_for (exists, started, 10000));

  g_assert_true (set (FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (copied, G_FILE_TEST_EXISTS));
  g_assert_false (lk_bridge_autostart_get_enabled ());
  /* Off twice is still off, not an error. */
  g_assert_true (set (FALSE, &error));
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *data = NULL;
  g_autofree char *config = NULL;
  g_autofree char *runtime = NULL;
  int status;

  /* Before GLib reads them: a scratch world with no systemd user manager. */
  root = lk_test_make_scratch ();
  data = g_build_filename (root, "data", NULL);
  config = g_build_filename (root, "config", NULL);
  runtime = g_build_filename (root, "runtime", NULL);
  g_mkdir (runtime, 0700);
  g_setenv ("XDG_DATA_DIRS", data, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", runtime, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bridge/autostart/entry", test_entry);
  status = g_test_run ();
  g_free (root);
  return status;
}
