/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a page or the CLI learns from lk_bridge_client_request_async(): no
 * socket is "not running"; a caller's own cancellation is a cancellation,
 * not "did not answer in time" (a page that asks again cancels its last
 * request, and took that request's late answer for the new one's). */
#include "config.h"

#include <gio/gunixsocketaddress.h>

#include "bridge/lk-bridge-client.h"
#include "lk-error.h"
#include "lk-test-utils.h"

static char *root;

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
is_set (gpointer result)
{
  return *(GAsyncResult **) result != NULL;
}

static void
test_not_running (void)
{
  g_autofree char *path = g_build_filename (root, "nobody.socket", NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;

  lk_bridge_client_request_async ("status", path, NULL, store_cb, &result);
  g_assert_true (lk_test_wait_for (is_set, &result, 10000));
  reply = lk_bridge_client_request_finish (result, &error);
  g_assert_null (reply);
  g_assert_true (lk_bridge_client_is_not_running (error));
}

/* A bridge that takes the connection and never answers. */
static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           user_data)
{
  g_ptr_array_add (user_data, g_object_ref (connection));
  return TRUE;
}

static void
test_cancelled_by_caller (void)
{
  g_autofree char *path = g_build_filename (root, "silent.socket", NULL);
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;

  g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "incoming", G_CALLBACK (incoming_cb), held);
  g_socket_service_start (service);

  lk_bridge_client_request_async ("status", path, cancellable, store_cb, &result);
  /* Connected and waiting for the answer that never comes. */
  while (held->len == 0)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  g_assert_true (lk_test_wait_for (is_set, &result, 10000));
  reply = lk_bridge_client_request_finish (result, &error);
  g_assert_null (reply);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (lk_error_is_cancelled (error));
  g_socket_service_stop (service);
}

int
main (int    argc,
      char **argv)
{
  int status;

  root = lk_test_make_scratch ();
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bridge/client/not-running", test_not_running);
  g_test_add_func ("/bridge/client/cancelled-by-caller", test_cancelled_by_caller);
  status = g_test_run ();
  g_free (root);
  return status;
}
