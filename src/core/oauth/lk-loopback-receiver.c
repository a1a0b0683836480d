/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-oauth"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "lk-error.h"
#include "lk-loopback-receiver.h"
#include "lk-redirect.h"
#include "lk-token-set.h"

/**
 * LkLoopbackReceiver:
 *
 * Where the browser comes back to after sign-in (RFC 8252 §7.3): a
 * SoupServer on loopback only, on a port the system picks, open only until
 * it has one answer. The first request on "/" decides: with our state it
 * yields the code, with any other state, an error, or a bad `iss` it fails
 * the sign-in (an attack or a stale tab). Other paths get 404 and change
 * nothing. Every answer is a small self-contained page.
 */
struct _LkLoopbackReceiver
{
  GObject       parent_instance;

  char         *redirect_host;
  char         *expected_state;
  char         *issuer_template;
  char         *tenant;
  guint         timeout_seconds;
  gboolean      admin_consent;   /* wait for admin_consent=True, not a code */

  SoupServer   *server;
  guint16       port;
  char         *redirect_uri;
  GSource      *timeout_source;

  gboolean      answered;        /* the flow has its outcome */
  char         *code;            /* outcome, until someone waits for it */
  GError       *error;
  GTask        *wait_task;
  gulong        cancelled_id;
};

G_DEFINE_FINAL_TYPE (LkLoopbackReceiver, lk_loopback_receiver, G_TYPE_OBJECT)

#define LISTEN_ATTEMPTS 5

static void
lk_loopback_receiver_dispose (GObject *object)
{
  LkLoopbackReceiver *self = LK_LOOPBACK_RECEIVER (object);

  lk_loopback_receiver_stop (self);
  G_OBJECT_CLASS (lk_loopback_receiver_parent_class)->dispose (object);
}

static void
lk_loopback_receiver_finalize (GObject *object)
{
  LkLoopbackReceiver *self = LK_LOOPBACK_RECEIVER (object);

  g_free (self->redirect_host);
  g_free (self->expected_state);
  g_free (self->issuer_template);
  g_free (self->tenant);
  g_free (self->redirect_uri);
  lk_secret_wipe (self->code);
  g_clear_error (&self->error);
  G_OBJECT_CLASS (lk_loopback_receiver_parent_class)->finalize (object);
}

static void
lk_loopback_receiver_class_init (LkLoopbackReceiverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lk_loopback_receiver_dispose;
  object_class->finalize = lk_loopback_receiver_finalize;
}

static void
lk_loopback_receiver_init (LkLoopbackReceiver *self)
{
  self->timeout_seconds = LK_LOOPBACK_DEFAULT_TIMEOUT;
}

/**
 * lk_loopback_receiver_new:
 * @redirect_host: "localhost" (listen on 127.0.0.1 and ::1, redirect URI
 *   http://localhost:PORT/) or "127.0.0.1" (that address only)
 * @expected_state: the state of the authorization URL
 */
LkLoopbackReceiver *
lk_loopback_receiver_new (const char *redirect_host,
                          const char *expected_state)
{
  LkLoopbackReceiver *self;

  g_return_val_if_fail (expected_state != NULL, NULL);

  self = g_object_new (LK_TYPE_LOOPBACK_RECEIVER, NULL);
  self->redirect_host = g_strdup (redirect_host != NULL ? redirect_host : "localhost");
  self->expected_state = g_strdup (expected_state);
  return self;
}

/**
 * lk_loopback_receiver_set_issuer:
 * @issuer_template: (nullable): the profile's issuer; when set, an `iss` in
 *   the redirect must match it (RFC 9207)
 * @tenant: (nullable): the tenant the request went to
 */
void
lk_loopback_receiver_set_issuer (LkLoopbackReceiver *self,
                                 const char         *issuer_template,
                                 const char         *tenant)
{
  g_return_if_fail (LK_IS_LOOPBACK_RECEIVER (self));

  g_free (self->issuer_template);
  self->issuer_template = g_strdup (issuer_template);
  g_free (self->tenant);
  self->tenant = g_strdup (tenant);
}

/**
 * lk_loopback_receiver_set_admin_consent:
 *
 * Makes the receiver wait for the redirect of an admin consent request
 * (`admin_consent=True&tenant=…&state=…`) instead of an authorization code;
 * lk_loopback_receiver_wait_finish() then returns the tenant that consented
 * (not a secret). Call before listen().
 */
void
lk_loopback_receiver_set_admin_consent (LkLoopbackReceiver *self,
                                        gboolean            admin_consent)
{
  g_return_if_fail (LK_IS_LOOPBACK_RECEIVER (self));
  self->admin_consent = admin_consent;
}

/* How long the receiver waits for the browser, counted from listen(). */
void
lk_loopback_receiver_set_timeout (LkLoopbackReceiver *self,
                                  guint               seconds)
{
  g_return_if_fail (LK_IS_LOOPBACK_RECEIVER (self));
  self->timeout_seconds = MAX (seconds, 1);
}

const char *
lk_loopback_receiver_get_redirect_uri (LkLoopbackReceiver *self)
{
  return self->redirect_uri;
}

guint16
lk_loopback_receiver_get_port (LkLoopbackReceiver *self)
{
  return self->port;
}

gboolean
lk_loopback_receiver_is_listening (LkLoopbackReceiver *self)
{
  return self->server != NULL;
}

/* The page */

static void
respond_page (SoupServerMessage *msg,
              guint              status,
              const char        *title,
              const char        *text)
{
  g_autofree char *title_html = g_markup_escape_text (title, -1);
  g_autofree char *text_html = g_markup_escape_text (text, -1);
  g_autofree char *close_html = g_markup_escape_text (_("You can close this tab and return to Latchkey."), -1);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  char *page;

  page = g_strdup_printf ("<!DOCTYPE html>\n"
                          "<html><head><meta charset=\"utf-8\">"
                          "<meta name=\"viewport\" content=\"width=device-width\">"
                          "<title>%s</title>"
                          "<style>body{font-family:system-ui,sans-serif;max-width:34em;"
                          "margin:4em auto;padding:0 1em;line-height:1.5;color:#241f31;"
                          "background:#fafafa}h1{font-size:1.5em}"
                          "@media(prefers-color-scheme:dark){body{color:#eee;background:#242424}}"
                          "</style></head>\n"
                          "<body><h1>%s</h1><p>%s</p><p>%s</p></body></html>\n",
                          title_html, title_html, text_html, close_html);
  /* The address bar holds the code: keep it out of caches and referrers. */
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'");
  soup_message_headers_replace (headers, "Connection", "close");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE,
                                    page, strlen (page));
}

/* Delivering the outcome */

static void
deliver (LkLoopbackReceiver *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->wait_task == NULL || !self->answered)
    return;
  task = g_steal_pointer (&self->wait_task);
  if (self->cancelled_id != 0)
    {
      g_cancellable_disconnect (g_task_get_cancellable (task), self->cancelled_id);
      self->cancelled_id = 0;
    }
  if (self->error != NULL)
    g_task_return_error (task, g_steal_pointer (&self->error));
  else if (self->code != NULL)
    g_task_return_pointer (task, g_steal_pointer (&self->code), (GDestroyNotify) lk_secret_wipe);
  else
    g_task_return_new_error (task, LK_ERROR, LK_ERROR_FAILED,
                             _("The sign-in answer was already used."));
}

static void
settle (LkLoopbackReceiver *self,
        char               *code,
        GError             *error)
{
  self->answered = TRUE;
  self->code = code;
  self->error = error;
}

static gboolean
stop_and_deliver_cb (gpointer user_data)
{
  LkLoopbackReceiver *self = user_data;

  lk_loopback_receiver_stop (self);
  deliver (self);
  return G_SOURCE_REMOVE;
}

static void
message_finished_cb (SoupServerMessage *msg,
                     gpointer           user_data)
{
  LkLoopbackReceiver *self = user_data;

  /* The page is out; now stop listening (not inside libsoup's own
   * emission) and hand the outcome on. */
  g_idle_add_full (G_PRIORITY_DEFAULT, stop_and_deliver_cb,
                   g_object_ref (self), g_object_unref);
}

static void
handle_request_cb (SoupServer        *server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  LkLoopbackReceiver *self = user_data;
  g_autoptr(LkRedirect) redirect = NULL;
  g_autoptr(GError) error = NULL;

  if (strcmp (path, "/") != 0)
    {
      respond_page (msg, SOUP_STATUS_NOT_FOUND, _("Not found"),
                    _("This address is not part of the sign-in."));
      return;
    }
  if (g_strcmp0 (soup_server_message_get_method (msg), SOUP_METHOD_GET) != 0)
    {
      respond_page (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, _("Not found"),
                    _("This address is not part of the sign-in."));
      return;
    }
  if (self->answered)
    {
      respond_page (msg, SOUP_STATUS_CONFLICT, _("Sign-in already finished"),
                    _("This sign-in has already been completed or stopped. Nothing was changed."));
      return;
    }

  redirect = lk_redirect_parse (g_uri_get_query (soup_server_message_get_uri (msg)), &error);
  if (self->admin_consent)
    {
      if (redirect != NULL &&
          lk_redirect_check_admin_consent (redirect, self->expected_state, &error))
        {
          respond_page (msg, SOUP_STATUS_OK, _("Consent granted"),
                        _("The organisation’s administrator consent was recorded."));
          settle (self, g_strdup (redirect->tenant != NULL ? redirect->tenant : ""), NULL);
        }
      else
        {
          respond_page (msg, SOUP_STATUS_BAD_REQUEST, _("Consent not granted"), error->message);
          settle (self, NULL, g_steal_pointer (&error));
        }
    }
  else if (redirect != NULL &&
      lk_redirect_check (redirect, self->expected_state, self->issuer_template, self->tenant, &error))
    {
      respond_page (msg, SOUP_STATUS_OK, _("Signed in"),
                    _("Latchkey received the sign-in and is finishing it now."));
      settle (self, g_steal_pointer (&redirect->code), NULL);
    }
  else
    {
      respond_page (msg, SOUP_STATUS_BAD_REQUEST, _("Sign-in failed"), error->message);
      settle (self, NULL, g_steal_pointer (&error));
    }
  g_signal_connect_object (msg, "finished", G_CALLBACK (message_finished_cb), self, 0);
}

static gboolean
timeout_cb (gpointer user_data)
{
  LkLoopbackReceiver *self = user_data;

  g_clear_pointer (&self->timeout_source, g_source_unref);
  /* Not LK_ERROR_TIMED_OUT, which means an unreachable server (exit 5,
   * "check the network or firewall"): here nobody finished signing in. */
  if (!self->answered)
    settle (self, NULL,
            g_error_new (LK_ERROR, LK_ERROR_FAILED,
                         /* Translators: %u is a number of minutes */
                         g_dngettext (GETTEXT_PACKAGE,
                                      "No sign-in arrived from the browser within %u minute; nothing was saved. Start the sign-in again and finish it in the browser.",
                                      "No sign-in arrived from the browser within %u minutes; nothing was saved. Start the sign-in again and finish it in the browser.",
                                      MAX (self->timeout_seconds / 60, 1)),
                         MAX (self->timeout_seconds / 60, 1)));
  lk_loopback_receiver_stop (self);
  deliver (self);
  return G_SOURCE_REMOVE;
}

static SoupServer *
try_listen (const char  *redirect_host,
            guint16     *out_port,
            gboolean    *out_retry,
            GError     **error)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GSocketAddress) address6 = NULL;
  g_autoptr(GError) error6 = NULL;
  GSList *uris;
  guint16 port;

  *out_retry = FALSE;
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, error))
    return NULL;
  uris = soup_server_get_uris (server);
  port = uris != NULL ? (guint16) g_uri_get_port (uris->data) : 0;
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  if (port == 0)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_FAILED,
                           _("Could not open a port on this computer for the browser to return to."));
      return NULL;
    }

  if (g_strcmp0 (redirect_host, "localhost") == 0)
    {
      /* The browser may resolve localhost to ::1 first (RFC 8252 §8.3). */
      address6 = g_inet_socket_address_new_from_string ("::1", port);
      if (!soup_server_listen (server, address6, 0, &error6))
        {
          if (g_error_matches (error6, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
            {
              /* Someone else has ::1 on this port: they could take the
               * redirect. Pick another port. */
              *out_retry = TRUE;
              g_propagate_error (error, g_steal_pointer (&error6));
              return NULL;
            }
          g_debug ("Not listening on ::1: %s", error6->message);
        }
    }
  *out_port = port;
  return g_steal_pointer (&server);
}

/**
 * lk_loopback_receiver_listen:
 *
 * Opens the port; after it, lk_loopback_receiver_get_redirect_uri() is set
 * and the timeout runs.
 */
gboolean
lk_loopback_receiver_listen (LkLoopbackReceiver  *self,
                             GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *uri_host;

  g_return_val_if_fail (LK_IS_LOOPBACK_RECEIVER (self), FALSE);
  g_return_val_if_fail (self->server == NULL && !self->answered, FALSE);

  if (g_strcmp0 (self->redirect_host, "localhost") == 0)
    uri_host = "localhost";
  else if (g_strcmp0 (self->redirect_host, "127.0.0.1") == 0)
    uri_host = "127.0.0.1";
  else
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_PROFILE,
                   /* Translators: %s is a host name from a provider profile */
                   _("The redirect host “%s” is not supported; use “localhost” or “127.0.0.1”."),
                   self->redirect_host);
      return FALSE;
    }

  for (guint attempt = 0; attempt < LISTEN_ATTEMPTS && self->server == NULL; attempt++)
    {
      gboolean retry = FALSE;

      g_clear_error (&local_error);
      self->server = try_listen (self->redirect_host, &self->port, &retry, &local_error);
      if (self->server == NULL && !retry)
        break;
    }
  if (self->server == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("Could not listen for the browser’s return on this computer: "));
      return FALSE;
    }

  soup_server_add_handler (self->server, NULL, handle_request_cb, self, NULL);
  self->redirect_uri = g_strdup_printf ("http://%s:%u/", uri_host, self->port);
  self->timeout_source = g_timeout_source_new_seconds (self->timeout_seconds);
  g_source_set_callback (self->timeout_source, timeout_cb, self, NULL);
  g_source_set_static_name (self->timeout_source, "[latchkey] loopback timeout");
  g_source_attach (self->timeout_source, g_main_context_get_thread_default ());
  return TRUE;
}

/**
 * lk_loopback_receiver_stop:
 *
 * Stops listening now; idempotent. A wait in progress is not finished by
 * this (cancel it instead).
 */
void
lk_loopback_receiver_stop (LkLoopbackReceiver *self)
{
  g_return_if_fail (LK_IS_LOOPBACK_RECEIVER (self));

  if (self->timeout_source != NULL)
    {
      g_source_destroy (self->timeout_source);
      g_clear_pointer (&self->timeout_source, g_source_unref);
    }
  if (self->server != NULL)
    {
      soup_server_remove_handler (self->server, NULL);
      soup_server_disconnect (self->server);
      g_clear_object (&self->server);
    }
}

static gboolean
cancelled_idle_cb (gpointer user_data)
{
  LkLoopbackReceiver *self = user_data;

  if (self->wait_task != NULL && !self->answered)
    {
      settle (self, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled"));
      lk_loopback_receiver_stop (self);
      deliver (self);
    }
  return G_SOURCE_REMOVE;
}

static void
wait_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  LkLoopbackReceiver *self = user_data;
  g_autoptr(GSource) source = g_idle_source_new ();

  /* Always later: disconnecting from inside this handler would deadlock. */
  g_source_set_callback (source, cancelled_idle_cb, g_object_ref (self), g_object_unref);
  g_source_set_static_name (source, "[latchkey] loopback cancelled");
  g_source_attach (source, g_task_get_context (self->wait_task));
}

/**
 * lk_loopback_receiver_wait_async:
 *
 * Waits for the browser (or returns the answer that already came). One
 * wait per receiver.
 */
void
lk_loopback_receiver_wait_async (LkLoopbackReceiver  *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LK_IS_LOOPBACK_RECEIVER (self));
  g_return_if_fail (self->wait_task == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_loopback_receiver_wait_async);
  g_task_set_check_cancellable (task, FALSE);

  if (self->server == NULL && !self->answered)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_FAILED,
                               _("The sign-in is not listening for the browser."));
      return;
    }
  self->wait_task = g_steal_pointer (&task);
  if (cancellable != NULL)
    self->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (wait_cancelled_cb), self, NULL);
  /* An answer already in, fully sent: hand it over now. */
  if (self->answered && self->server == NULL)
    deliver (self);
}

/**
 * lk_loopback_receiver_wait_finish:
 *
 * Returns: (transfer full): the authorization code (secret: wipe it with
 *   lk_secret_wipe()), or NULL with LK_ERROR_STATE_MISMATCH,
 *   LK_ERROR_ISSUER_MISMATCH, LK_ERROR_AUTHORIZATION_DENIED,
 *   LK_ERROR_BAD_RESPONSE, LK_ERROR_TIMED_OUT or G_IO_ERROR_CANCELLED.
 */
char *
lk_loopback_receiver_wait_finish (LkLoopbackReceiver  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
