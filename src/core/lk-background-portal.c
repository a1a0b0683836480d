/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <unistd.h>
#include <glib/gi18n-lib.h>

#include "lk-background-portal.h"
#include "lk-error.h"

/* Asking the desktop, from inside a Flatpak, to let a program of ours run in
 * the background and start at login: the Background portal
 * (https://flatpak.github.io/xdg-desktop-portal/docs/doc-org.freedesktop.portal.Background.html)
 * over plain GDBus, since libportal is not among the build dependencies of
 * the distributions we build on. Like every portal request, the method
 * returns a Request object at once and the answer comes later as its
 * Response signal (doc-org.freedesktop.portal.Request.html), possibly after
 * a dialog: the signal is subscribed to before the call, at the path the
 * request will have, so that an immediate answer is not missed. The
 * portal on the host writes the autostart entry; the sandbox never sees
 * the host's ~/.config/autostart. */

#define PORTAL_NAME     "org.freedesktop.portal.Desktop"
#define PORTAL_PATH     "/org/freedesktop/portal/desktop"
#define BACKGROUND      "org.freedesktop.portal.Background"
#define REQUEST         "org.freedesktop.portal.Request"

/* The portal's response codes (doc-org.freedesktop.portal.Request.html). */
enum
{
  RESPONSE_SUCCESS = 0,
  RESPONSE_CANCELLED = 1,
  RESPONSE_OTHER = 2,
};

typedef struct
{
  GDBusConnection *bus;
  char            *path;          /* the Request object that will answer */
  guint            response_id;
  GSource         *cancelled;
  GVariantDict    *options;       /* the call's, but the handle_token */
  gboolean         done;
} Request;

static void
request_free (Request *request)
{
  g_assert (request->response_id == 0);
  g_assert (request->cancelled == NULL);
  g_clear_object (&request->bus);
  g_clear_pointer (&request->options, g_variant_dict_unref);
  g_free (request->path);
  g_free (request);
}

/* Ends the wait: no more signal, no more cancellation. Returns FALSE when it
 * had ended already (an answer and a cancellation can cross). */
static gboolean
request_end (GTask *task)
{
  Request *request = g_task_get_task_data (task);

  if (request->done)
    return FALSE;
  request->done = TRUE;
  if (request->response_id != 0)
    {
      g_dbus_connection_signal_unsubscribe (request->bus, request->response_id);
      request->response_id = 0;
    }
  if (request->cancelled != NULL)
    {
      g_source_destroy (request->cancelled);
      g_clear_pointer (&request->cancelled, g_source_unref);
    }
  return TRUE;
}

static void
response_cb (GDBusConnection *bus,
             const char      *sender,
             const char      *path,
             const char      *interface,
             const char      *signal,
             GVariant        *parameters,
             gpointer         user_data)
{
  GTask *task = user_data;
  g_autoptr(GVariant) results = NULL;
  gboolean background = FALSE;
  gboolean autostart = FALSE;
  guint32 response;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ua{sv})")))
    return;
  /* The signal's subscription holds a reference that request_end() drops. */
  g_object_ref (task);
  if (!request_end (task))
    {
      g_object_unref (task);
      return;
    }
  g_variant_get (parameters, "(u@a{sv})", &response, &results);
  g_variant_lookup (results, "background", "b", &background);
  g_variant_lookup (results, "autostart", "b", &autostart);
  g_debug ("background portal: response %u, background %d, autostart %d", response, background,
           autostart);
  if (response == RESPONSE_SUCCESS && background)
    g_task_return_int (task, autostart);
  else if (response == RESPONSE_SUCCESS || response == RESPONSE_CANCELLED)
    g_task_return_new_error (task, LK_ERROR, LK_ERROR_AUTHORIZATION_DENIED,
                             /* Translators: the path of GNOME Settings where the
                              * permission is; “Run in Background” is its label there */
                             _("The desktop does not let Latchkey run in the background. Allow "
                               "it in Settings → Apps → Latchkey → “Run in Background”, then "
                               "try again."));
  else
    g_task_return_new_error (task, LK_ERROR, LK_ERROR_FAILED,
                             _("The desktop could not answer whether Latchkey may run in the "
                               "background. Try again, or log out and in again if it goes on."));
  g_object_unref (task);
}

static void
subscribe (GTask      *task,
           const char *path)
{
  Request *request = g_task_get_task_data (task);

  if (request->response_id != 0)
    g_dbus_connection_signal_unsubscribe (request->bus, request->response_id);
  g_free (request->path);
  request->path = g_strdup (path);
  request->response_id = g_dbus_connection_signal_subscribe (request->bus, PORTAL_NAME, REQUEST,
                                                             "Response", path, NULL,
                                                             G_DBUS_SIGNAL_FLAGS_NONE, response_cb,
                                                             g_object_ref (task), g_object_unref);
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  GTask *task = user_data;
  Request *request = g_task_get_task_data (task);

  g_object_ref (task);
  if (request_end (task))
    {
      /* A dialog the person has not answered yet goes away with it. */
      g_dbus_connection_call (request->bus, PORTAL_NAME, request->path, REQUEST, "Close", NULL,
                              NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
    }
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
call_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *path;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (request->done)
    return;
  if (reply == NULL)
    {
      request_end (task);
      if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN)
          || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD)
          || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE)
          || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT))
        {
          g_task_return_new_error (task, LK_ERROR, LK_ERROR_NOT_FOUND,
                                   _("This desktop has no background portal, so Latchkey cannot "
                                     "ask to run in the background. Install "
                                     "xdg-desktop-portal and the portal of your desktop "
                                     "(xdg-desktop-portal-gnome, -kde…), then log in again."));
          return;
        }
      g_dbus_error_strip_remote_error (error);
      g_prefix_error (&error, _("Could not ask the desktop to let Latchkey run in the background: "));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Portals older than 0.9 chose the path themselves. */
  g_variant_get (reply, "(&o)", &path);
  if (g_strcmp0 (path, request->path) != 0)
    subscribe (task, path);
}

static void
bus_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  static gint counter;
  g_autoptr(GError) error = NULL;
  g_autofree char *sender = NULL;
  g_autofree char *token = NULL;
  g_autofree char *path = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);

  request->bus = g_bus_get_finish (result, &error);
  if (request->bus == NULL)
    {
      request->done = TRUE;
      g_prefix_error (&error, _("Could not ask the desktop to let Latchkey run in the background: "));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* The handle_token only has to be unique among this connection's
   * requests; it is no secret. */
  token = g_strdup_printf ("latchkey_%d_%d", (int) getpid (), g_atomic_int_add (&counter, 1));
  sender = g_strdup (g_dbus_connection_get_unique_name (request->bus) + 1);
  g_strdelimit (sender, ".", '_');
  path = g_strdup_printf ("%s/request/%s/%s", PORTAL_PATH, sender, token);
  subscribe (task, path);
  if (cancellable != NULL)
    {
      request->cancelled = g_cancellable_source_new (cancellable);
      g_source_set_callback (request->cancelled, G_SOURCE_FUNC (cancelled_cb), task, NULL);
      g_source_attach (request->cancelled, g_task_get_context (task));
    }
  g_variant_dict_insert (request->options, "handle_token", "s", token);
  /* No parent window: core knows none, and the portal then centres its
   * dialog, if any. */
  g_dbus_connection_call (request->bus, PORTAL_NAME, PORTAL_PATH, BACKGROUND, "RequestBackground",
                          g_variant_new ("(s@a{sv})", "", g_variant_dict_end (request->options)),
                          G_VARIANT_TYPE ("(o)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, cancellable, call_cb,
                          g_steal_pointer (&task));
}

/**
 * lk_background_portal_request_async:
 * @reason: what the person is told the permission is for (≤ 256 characters)
 * @autostart: start @commandline at login too, or no longer
 * @commandline: what to start at login, in the sandbox
 *
 * Asks the desktop's Background portal to let this app run in the
 * background and, with @autostart, to start @commandline at each login
 * (%FALSE removes that entry). The desktop may ask the person first.
 * Only meaningful inside a Flatpak: outside one, the portal allows
 * everything and writes no entry.
 */
void
lk_background_portal_request_async (const char          *reason,
                                    gboolean             autostart,
                                    const char * const  *commandline,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Request *request;

  g_return_if_fail (reason != NULL);
  g_return_if_fail (commandline != NULL && commandline[0] != NULL);

  g_task_set_source_tag (task, lk_background_portal_request_async);
  request = g_new0 (Request, 1);
  request->options = g_variant_dict_new (NULL);
  g_variant_dict_insert (request->options, "reason", "s", reason);
  g_variant_dict_insert (request->options, "autostart", "b", autostart);
  g_variant_dict_insert_value (request->options, "commandline",
                               g_variant_new_strv (commandline, -1));
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  g_bus_get (G_BUS_TYPE_SESSION, cancellable, bus_cb, g_steal_pointer (&task));
}

/**
 * lk_background_portal_request_finish:
 * @autostart: (out) (optional): whether the desktop set up the start at login
 *
 * Returns: %TRUE when the app may run in the background; %FALSE with
 *   %LK_ERROR_AUTHORIZATION_DENIED when the person or the desktop's settings
 *   said no (the message says where to allow it), %LK_ERROR_NOT_FOUND when
 *   the desktop has no such portal
 */
gboolean
lk_background_portal_request_finish (GAsyncResult  *result,
                                     gboolean      *autostart,
                                     GError       **error)
{
  g_autoptr(GError) local = NULL;
  gssize value;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  value = g_task_propagate_int (G_TASK (result), &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (autostart != NULL)
    *autostart = value != 0;
  return TRUE;
}
