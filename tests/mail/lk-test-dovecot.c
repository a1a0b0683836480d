/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-test"

#include "config.h"

#include <glib/gstdio.h>

#include "lk-test-dovecot.h"
#include "lk-test-jwt.h"
#include "lk-test-utils.h"

static void
run_script (const char *command,
            const char *dir)
{
  g_autofree char *script = lk_test_source_path ("tests", "peers", "dovecot.sh", NULL);
  const char *argv[] = { script, command, dir, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  /* Output is not captured: the daemons would keep the pipes open. */
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                NULL, NULL, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("dovecot.sh %s %s failed", command, dir);
}

static guint16
get_port (GKeyFile   *file,
          const char *key)
{
  g_autoptr(GError) error = NULL;
  int port = g_key_file_get_integer (file, "dovecot", key, &error);

  g_assert_no_error (error);
  g_assert_cmpint (port, >, 0);
  return port;
}

/* Starts the peers (about 0.5–1.5 s); aborts the test program on failure. */
LkTestDovecot *
lk_test_dovecot_start (void)
{
  LkTestDovecot *self = g_new0 (LkTestDovecot, 1);
  g_autofree char *scratch = lk_test_make_scratch ();
  g_autofree char *ini = NULL;
  g_autofree char *key_file = NULL;
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  /* Dovecot's unprivileged processes must be able to enter it. */
  g_assert_cmpint (g_chmod (scratch, 0755), ==, 0);
  self->dir = g_build_filename (scratch, "dovecot", NULL);
  run_script ("start", self->dir);

  ini = g_build_filename (self->dir, "peers.ini", NULL);
  g_key_file_load_from_file (file, ini, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  self->imap = get_port (file, "imap");
  self->imaps = get_port (file, "imaps");
  self->pop3 = get_port (file, "pop3");
  self->pop3s = get_port (file, "pop3s");
  self->submission = get_port (file, "submission");
  self->submissions = get_port (file, "submissions");
  self->sink_dir = g_key_file_get_string (file, "dovecot", "sink_dir", NULL);
  self->ca_file = g_key_file_get_string (file, "dovecot", "ca_file", NULL);
  self->issuer = g_key_file_get_string (file, "dovecot", "issuer", NULL);
  self->audience = g_key_file_get_string (file, "dovecot", "audience", NULL);
  key_file = g_key_file_get_string (file, "dovecot", "key_file", NULL);
  self->key = lk_test_jwt_load_key (key_file, &error);
  g_assert_no_error (error);
  return self;
}

/* Stops the peers (2–3 s: Dovecot's shutdown) and removes their folder. */
void
lk_test_dovecot_stop (LkTestDovecot *self)
{
  g_autofree char *parent = NULL;
  const char *rm[] = { "rm", "-rf", NULL, NULL };

  if (self == NULL)
    return;
  run_script ("stop", self->dir);
  if (g_getenv ("LK_TEST_KEEP") == NULL)
    {
      parent = g_path_get_dirname (self->dir);
      rm[2] = parent;
      g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                    NULL, NULL, NULL, NULL);
    }
  g_free (self->dir);
  g_free (self->sink_dir);
  g_free (self->ca_file);
  g_free (self->issuer);
  g_free (self->audience);
  g_bytes_unref (self->key);
  g_free (self);
}

/* A token Dovecot accepts for @email (2.5 KB, like Microsoft's), unless
 * expired or for another audience. */
char *
lk_test_dovecot_mint (LkTestDovecot *self,
                      const char    *email,
                      const char    *audience,
                      gint64         expires_in)
{
  gsize len;
  const guint8 *key = g_bytes_get_data (self->key, &len);

  return lk_test_jwt_mint (key, len, self->issuer, email,
                           audience != NULL ? audience : self->audience,
                           "https://outlook.office.com/IMAP.AccessAsUser.All",
                           expires_in, 2500);
}
