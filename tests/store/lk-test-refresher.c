/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-test"

#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "lk-error.h"
#include "lk-test-jwt.h"
#include "lk-test-refresher.h"
#include "providers/lk-provider-registry.h"

struct _LkTestRefresher
{
  GObject            parent_instance;
  LkTestRefreshMode  mode;
  guint              delay_ms;
  char              *count_path;
  guint              calls;
  char              *last_refresh_token;
};

static void lk_test_refresher_iface_init (LkTokenRefresherInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LkTestRefresher, lk_test_refresher, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (LK_TYPE_TOKEN_REFRESHER,
                                                      lk_test_refresher_iface_init))

char *
lk_test_make_access_token (void)
{
  g_autofree char *nonce = lk_test_random_string ("n", 8);
  g_autofree char *claims = g_strdup_printf ("{\"nonce\":\"%s\"}", nonce);

  return lk_test_jwt_sign (claims, (const guint8 *) "store-test-key", 14);
}

static gboolean
answer_cb (gpointer user_data)
{
  GTask *task = user_data;
  LkTestRefresher *self = g_task_get_source_object (task);
  g_autoptr(LkTokenSet) tokens = NULL;

  if (self->mode == LK_TEST_REFRESH_INVALID_GRANT)
    {
      GError *error = g_error_new_literal (LK_ERROR, LK_ERROR_INVALID_GRANT,
                                           "AADSTS700082: The refresh token has expired.");

      lk_error_set_oauth (error, "invalid_grant",
                          "AADSTS700082: The refresh token has expired.", 400);
      g_task_return_error (task, error);
      return G_SOURCE_REMOVE;
    }

  tokens = lk_token_set_new ();
  tokens->access_token = lk_test_make_access_token ();
  tokens->expires_at = g_get_real_time () / G_USEC_PER_SEC + 3600;
  if (self->mode == LK_TEST_REFRESH_ROTATE)
    {
      tokens->refresh_token = lk_test_random_string (LK_TEST_REFRESH_PREFIX, 16);
      g_free (self->last_refresh_token);
      self->last_refresh_token = g_strdup (tokens->refresh_token);
    }
  g_task_return_pointer (task, g_steal_pointer (&tokens), (GDestroyNotify) lk_token_set_free);
  return G_SOURCE_REMOVE;
}

static void
refresh_async (LkTokenRefresher    *refresher,
               LkAccount           *account,
               const LkTokenSet    *current,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  LkTestRefresher *self = LK_TEST_REFRESHER (refresher);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  self->calls++;
  if (self->count_path != NULL)
    {
      int fd = g_open (self->count_path, O_WRONLY | O_APPEND | O_CREAT, 0600);
      g_autofree char *line = g_strdup_printf ("%d\n", (int) getpid ());

      g_assert_cmpint (fd, >=, 0);
      g_assert_cmpint (write (fd, line, strlen (line)), ==, (gssize) strlen (line));
      g_close (fd, NULL);
    }
  g_timeout_add_full (G_PRIORITY_DEFAULT, self->delay_ms, answer_cb, task, g_object_unref);
}

static LkTokenSet *
refresh_finish (LkTokenRefresher  *refresher,
                GAsyncResult      *result,
                LkTokenSet       **out_rotated,
                GError           **error)
{
  *out_rotated = NULL;
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
lk_test_refresher_iface_init (LkTokenRefresherInterface *iface)
{
  iface->refresh_async = refresh_async;
  iface->refresh_finish = refresh_finish;
}

static void
lk_test_refresher_finalize (GObject *object)
{
  LkTestRefresher *self = LK_TEST_REFRESHER (object);

  g_free (self->count_path);
  g_free (self->last_refresh_token);
  G_OBJECT_CLASS (lk_test_refresher_parent_class)->finalize (object);
}

static void
lk_test_refresher_class_init (LkTestRefresherClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_test_refresher_finalize;
}

static void
lk_test_refresher_init (LkTestRefresher *self)
{
}

LkTestRefresher *
lk_test_refresher_new (LkTestRefreshMode  mode,
                       guint              delay_ms,
                       const char        *count_path)
{
  LkTestRefresher *self = g_object_new (LK_TYPE_TEST_REFRESHER, NULL);

  self->mode = mode;
  self->delay_ms = delay_ms;
  self->count_path = g_strdup (count_path);
  return self;
}

guint
lk_test_refresher_get_calls (LkTestRefresher *self)
{
  return self->calls;
}

const char *
lk_test_refresher_get_last_refresh_token (LkTestRefresher *self)
{
  return self->last_refresh_token;
}

LkAccount *
lk_test_make_account (const char *email)
{
  static LkProviderRegistry *registry;

  if (registry == NULL)
    {
      registry = lk_provider_registry_new ();
      lk_provider_registry_load (registry);
    }
  return lk_account_new (email, lk_provider_registry_lookup (registry, "microsoft365"));
}

guint
lk_test_count_lines (const char *path)
{
  g_autofree char *contents = NULL;
  guint lines = 0;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  for (const char *p = contents; *p != '\0'; p++)
    if (*p == '\n')
      lines++;
  return lines;
}
