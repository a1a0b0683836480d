/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-http.h"
#include "lk-protocol.h"
#include "lk-tls-trust.h"

/**
 * LkHttp:
 *
 * The one place HTTP is set up: user agent, timeouts, the URL policy (https,
 * or http to a loopback literal), TLS checked against the system trust plus
 * the profile's ca_file, bodies capped, errors that name the host. Token
 * endpoints, discovery and admin consent all go through it.
 */
struct _LkHttp
{
  GObject       parent_instance;

  SoupSession  *session;
  GTlsDatabase *extra_anchors;    /* nullable: the profile's ca_file */
  guint         total_timeout;
  gsize         max_body;
};

G_DEFINE_FINAL_TYPE (LkHttp, lk_http, G_TYPE_OBJECT)

#define READ_CHUNK 16384

static void
wipe_free (gpointer data,
           gsize    length)
{
  if (data != NULL)
    explicit_bzero (data, length);
  g_free (data);
}

typedef struct
{
  guint8 *data;
  gsize   length;
} SecretBuffer;

static void
secret_buffer_destroy (gpointer user_data)
{
  SecretBuffer *buffer = user_data;

  wipe_free (buffer->data, buffer->length);
  g_free (buffer);
}

/**
 * lk_secret_bytes_new_take:
 *
 * Returns: a GBytes owning @data that wipes it when freed; for bodies that
 *   carry tokens or codes.
 */
GBytes *
lk_secret_bytes_new_take (guint8 *data,
                          gsize   length)
{
  SecretBuffer *buffer = g_new0 (SecretBuffer, 1);

  buffer->data = data;
  buffer->length = length;
  return g_bytes_new_with_free_func (data, length, secret_buffer_destroy, buffer);
}

static void
lk_http_finalize (GObject *object)
{
  LkHttp *self = LK_HTTP (object);

  g_clear_object (&self->session);
  g_clear_object (&self->extra_anchors);
  G_OBJECT_CLASS (lk_http_parent_class)->finalize (object);
}

static void
lk_http_class_init (LkHttpClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_http_finalize;
}

static void
lk_http_init (LkHttp *self)
{
  self->session = soup_session_new_with_options ("user-agent", "Latchkey/" PACKAGE_VERSION,
                                                 "timeout", LK_HTTP_DEFAULT_CONNECT_TIMEOUT,
                                                 "max-conns-per-host", 4,
                                                 NULL);
  self->total_timeout = LK_HTTP_DEFAULT_TOTAL_TIMEOUT;
  self->max_body = LK_HTTP_MAX_BODY;
}

/**
 * lk_http_new:
 * @ca_file: (nullable): a PEM file of extra trust anchors (internal CAs,
 *   tests); the system's trust still applies
 */
LkHttp *
lk_http_new (const char  *ca_file,
             GError     **error)
{
  g_autoptr(LkHttp) self = g_object_new (LK_TYPE_HTTP, NULL);

  if (ca_file != NULL && *ca_file != '\0')
    {
      self->extra_anchors = lk_tls_trust_load_ca_file (ca_file, error);
      if (self->extra_anchors == NULL)
        return NULL;
    }
  return g_steal_pointer (&self);
}

/**
 * lk_http_set_timeouts:
 * @connect_seconds: for connecting and for each wait on the socket; 0 keeps
 * @total_seconds: for a whole request, answer included; 0 keeps
 */
void
lk_http_set_timeouts (LkHttp *self,
                      guint   connect_seconds,
                      guint   total_seconds)
{
  g_return_if_fail (LK_IS_HTTP (self));

  if (connect_seconds > 0)
    soup_session_set_timeout (self->session, connect_seconds);
  if (total_seconds > 0)
    self->total_timeout = total_seconds;
}

void
lk_http_set_max_body (LkHttp *self,
                      gsize   max_body)
{
  g_return_if_fail (LK_IS_HTTP (self));
  self->max_body = max_body;
}

static gboolean
check_uri (GUri    *uri,
           GError **error)
{
  const char *scheme = g_uri_get_scheme (uri);
  const char *host = g_uri_get_host (uri);

  if (host == NULL || *host == '\0')
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_PROFILE,
                           _("A sign-in address has no host name. Check the provider profile."));
      return FALSE;
    }
  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;
  if (g_ascii_strcasecmp (scheme, "http") == 0 && lk_host_is_loopback (host))
    return TRUE;
  g_set_error (error, LK_ERROR, LK_ERROR_INSECURE_ENDPOINT,
               /* Translators: %s is a host name */
               _("Refusing to send sign-in data to %s without encryption. Only https "
                 "addresses are allowed (plain http only on this computer’s loopback "
                 "address); check the provider profile."),
               host);
  return FALSE;
}

/**
 * lk_http_check_url:
 *
 * The URL policy: https anywhere; http only when the host is a loopback
 * literal or "localhost". Anything else is LK_ERROR_INSECURE_ENDPOINT (or
 * LK_ERROR_INVALID_PROFILE when it is no URL at all).
 */
gboolean
lk_http_check_url (const char  *url,
                   GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;

  uri = g_uri_parse (url != NULL ? url : "", SOUP_HTTP_URI_FLAGS, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_PROFILE,
                   /* Translators: %s is an error message */
                   _("A sign-in address is not a valid URL (%s). Check the provider profile."),
                   local_error->message);
      return FALSE;
    }
  return check_uri (uri, error);
}

/* The system trust said no (or could not say yes): the profile's extra
 * anchors may still vouch for the certificate (lk-tls-trust.c). */
static gboolean
accept_certificate_cb (SoupMessage          *message,
                       GTlsCertificate      *peer_certificate,
                       GTlsCertificateFlags  peer_errors,
                       gpointer              user_data)
{
  LkHttp *self = user_data;
  GUri *uri = soup_message_get_uri (message);

  return lk_tls_trust_accept (self->extra_anchors, peer_certificate, peer_errors,
                              g_uri_get_host (uri), (guint16) g_uri_get_port (uri));
}

typedef struct
{
  SoupMessage  *message;
  GInputStream *stream;
  GCancellable *cancellable;      /* ours: cancelled by the caller or the timer */
  GSource      *timeout_source;
  gulong        cancelled_id;
  GCancellable *caller_cancellable;
  char         *host;
  guint8       *data;
  gsize         length;
  gsize         capacity;
  gsize         max_body;
  guint         total_timeout;
  gboolean      timed_out;
  gboolean      follow_redirects;
  guint         redirects;
} SendData;

static void
send_data_free (SendData *data)
{
  if (data->cancelled_id != 0)
    g_cancellable_disconnect (data->caller_cancellable, data->cancelled_id);
  if (data->timeout_source != NULL)
    {
      g_source_destroy (data->timeout_source);
      g_source_unref (data->timeout_source);
    }
  g_clear_object (&data->caller_cancellable);
  g_clear_object (&data->cancellable);
  g_clear_object (&data->stream);
  g_clear_object (&data->message);
  g_free (data->host);
  wipe_free (data->data, data->capacity);
  g_free (data);
}

static gboolean
total_timeout_cb (gpointer user_data)
{
  SendData *data = user_data;

  data->timed_out = TRUE;
  g_cancellable_cancel (data->cancellable);
  return G_SOURCE_REMOVE;
}

static void
caller_cancelled_cb (GCancellable *caller,
                     gpointer      user_data)
{
  GCancellable *ours = user_data;

  g_cancellable_cancel (ours);
}

static void
return_error (GTask  *task,
              GError *error)
{
  SendData *data = g_task_get_task_data (task);

  if (data->timed_out)
    {
      g_error_free (error);
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_TIMED_OUT,
                               /* Translators: %s is a host name, %u a number of seconds */
                               g_dngettext (GETTEXT_PACKAGE,
                                            "%s did not answer within %u second. Check the network connection and try again.",
                                            "%s did not answer within %u seconds. Check the network connection and try again.",
                                            data->total_timeout),
                               data->host, data->total_timeout);
      return;
    }
  if (data->caller_cancellable != NULL && g_cancellable_is_cancelled (data->caller_cancellable))
    {
      g_error_free (error);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      return;
    }
  if (error->domain == LK_ERROR)
    {
      g_task_return_error (task, error);
      return;
    }
  if (error->domain == G_TLS_ERROR)
    {
      g_prefix_error (&error, _("Could not establish a trusted connection to %s: "), data->host);
      g_task_return_error (task, error);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_TIMED_OUT,
                               /* Translators: %s is a host name */
                               _("%s did not answer in time. Check the network connection and try again."),
                               data->host);
      g_error_free (error);
      return;
    }
  g_task_return_new_error (task, LK_ERROR, LK_ERROR_NETWORK,
                           /* Translators: the first %s is a host name, the second an error message */
                           _("Could not reach %s: %s. Check the network connection."),
                           data->host, error->message);
  g_error_free (error);
}

/* Announced or read: a body over the cap is refused before it is kept. */
static void
return_too_large (GTask *task)
{
  SendData *data = g_task_get_task_data (task);

  g_task_return_new_error (task, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                           /* Translators: %s is a host name, %zu a size in KiB */
                           _("%s sent a far larger answer than expected (over %zu KiB); it was refused."),
                           data->host, data->max_body / 1024);
}

static void read_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data);

static void
read_more (GTask *task)
{
  SendData *data = g_task_get_task_data (task);

  if (data->capacity - data->length < READ_CHUNK)
    {
      gsize capacity = MAX (data->capacity * 2, data->length + READ_CHUNK);
      guint8 *grown = g_malloc (capacity);

      /* Grow by hand so that the old block is wiped, not left behind by realloc. */
      if (data->length > 0)
        memcpy (grown, data->data, data->length);
      wipe_free (data->data, data->capacity);
      data->data = grown;
      data->capacity = capacity;
    }
  g_input_stream_read_async (data->stream, data->data + data->length, READ_CHUNK,
                             G_PRIORITY_DEFAULT, data->cancellable, read_cb, task);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SendData *data = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0)
    {
      return_error (task, error);
      return;
    }
  if (n == 0)
    {
      guint8 *body = g_steal_pointer (&data->data);
      gsize length = data->length;

      /* Hand over exactly what was read; the spare capacity is wiped here. */
      if (data->capacity > length)
        explicit_bzero (body + length, data->capacity - length);
      data->capacity = 0;
      data->length = 0;
      g_task_return_pointer (task, lk_secret_bytes_new_take (body, length),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }
  data->length += (gsize) n;
  if (data->length > data->max_body)
    {
      return_too_large (task);
      return;
    }
  read_more (g_steal_pointer (&task));
}

static void send_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data);

static void
send_current (GTask *task)
{
  LkHttp *self = g_task_get_source_object (task);
  SendData *data = g_task_get_task_data (task);

  soup_message_add_flags (data->message, SOUP_MESSAGE_NO_REDIRECT);
  g_signal_connect_object (data->message, "accept-certificate",
                           G_CALLBACK (accept_certificate_cb), self, 0);
  soup_session_send_async (self->session, data->message, G_PRIORITY_DEFAULT, data->cancellable,
                           send_cb, task);
}

/* A GET that may be redirected (discovery's autoconfig files): each hop
 * is checked against the URL policy before anything is sent to it, so a
 * redirect never leads off https. */
static void
follow_redirect (GTask *task)
{
  SendData *data = g_task_get_task_data (task);
  GUri *from = soup_message_get_uri (data->message);
  const char *location = soup_message_headers_get_one (
    soup_message_get_response_headers (data->message), "Location");
  g_autoptr(GUri) to = NULL;
  g_autoptr(SoupMessage) next = NULL;
  g_autoptr(GError) error = NULL;
  const char *accept;

  to = location != NULL ? g_uri_parse_relative (from, location, SOUP_HTTP_URI_FLAGS, NULL) : NULL;
  if (to == NULL)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                               /* Translators: %s is a host name */
                               _("%s redirected to an address that is not one."), data->host);
      g_object_unref (task);
      return;
    }
  if (++data->redirects > LK_HTTP_MAX_REDIRECTS)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                               _("%s redirected too many times; it was not followed further."),
                               data->host);
      g_object_unref (task);
      return;
    }
  if (!check_uri (to, &error))
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_INSECURE_ENDPOINT,
                               /* Translators: %s is a host name */
                               _("%s redirected to a plain http:// address, which was not "
                                 "followed."), data->host);
      g_object_unref (task);
      return;
    }
  next = soup_message_new_from_uri (soup_message_get_method (data->message), to);
  accept = soup_message_headers_get_one (soup_message_get_request_headers (data->message), "Accept");
  if (accept != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (next), "Accept", accept);
  g_clear_object (&data->stream);
  g_set_object (&data->message, next);
  g_free (data->host);
  data->host = g_strdup (g_uri_get_host (to));
  send_current (task);
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SendData *data = g_task_get_task_data (task);
  GError *error = NULL;
  goffset content_length;

  data->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (data->stream == NULL)
    {
      return_error (task, error);
      return;
    }
  if (data->follow_redirects && SOUP_STATUS_IS_REDIRECTION (soup_message_get_status (data->message)))
    {
      follow_redirect (g_steal_pointer (&task));
      return;
    }
  content_length = soup_message_headers_get_content_length (soup_message_get_response_headers (data->message));
  if (content_length > 0 && (guint64) content_length > data->max_body)
    {
      return_too_large (task);
      return;
    }
  read_more (g_steal_pointer (&task));
}

static void
send_message_async (LkHttp              *self,
                    SoupMessage         *message,
                    LkHttpFlags          flags,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  SendData *data;
  GUri *uri;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_http_send_async);
  g_task_set_check_cancellable (task, FALSE);

  uri = soup_message_get_uri (message);
  data = g_new0 (SendData, 1);
  data->message = g_object_ref (message);
  data->host = g_strdup (g_uri_get_host (uri) != NULL ? g_uri_get_host (uri) : "?");
  data->max_body = self->max_body;
  data->total_timeout = self->total_timeout;
  data->follow_redirects = (flags & LK_HTTP_FOLLOW_REDIRECTS) != 0;
  data->cancellable = g_cancellable_new ();
  g_task_set_task_data (task, data, (GDestroyNotify) send_data_free);

  if (!check_uri (uri, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (cancellable != NULL)
    {
      data->caller_cancellable = g_object_ref (cancellable);
      data->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                  data->cancellable, NULL);
    }
  data->timeout_source = g_timeout_source_new_seconds (self->total_timeout);
  g_source_set_callback (data->timeout_source, total_timeout_cb, data, NULL);
  g_source_set_static_name (data->timeout_source, "[latchkey] http total timeout");
  g_source_attach (data->timeout_source, g_main_context_get_thread_default ());

  send_current (g_steal_pointer (&task));
}

/**
 * lk_http_send_async:
 *
 * Sends @message under the URL policy, TLS rules, total timeout and body
 * cap, and reads the whole body. Redirects are not followed: an OAuth
 * endpoint that redirects is misconfigured, and a redirect could lead off
 * https.
 */
void
lk_http_send_async (LkHttp              *self,
                    SoupMessage         *message,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_return_if_fail (LK_IS_HTTP (self));
  g_return_if_fail (SOUP_IS_MESSAGE (message));
  send_message_async (self, message, LK_HTTP_NONE, cancellable, callback, user_data);
}

/**
 * lk_http_send_finish:
 * @out_status: (out) (optional): the HTTP status
 *
 * Returns: (transfer full): the body (wiped when freed); NULL with @error
 *   on a network, TLS, timeout, policy or size failure. HTTP error statuses
 *   are not errors here: OAuth errors come with a body.
 */
GBytes *
lk_http_send_finish (LkHttp        *self,
                     GAsyncResult  *result,
                     guint         *out_status,
                     GError       **error)
{
  SendData *data;
  GBytes *body;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  data = g_task_get_task_data (G_TASK (result));
  body = g_task_propagate_pointer (G_TASK (result), error);
  if (out_status != NULL)
    *out_status = body != NULL ? soup_message_get_status (data->message) : 0;
  return body;
}

/**
 * lk_http_encode_form:
 * @fields: name, value, name, value, …, NULL (a NULL name ends the list);
 *   a NULL value leaves its field out
 *
 * Returns: the application/x-www-form-urlencoded body, wiped when freed.
 */
GBytes *
lk_http_encode_form (const char * const *fields)
{
  GString *s = g_string_new (NULL);
  gsize length;

  for (guint i = 0; fields[i] != NULL; i += 2)
    {
      g_autofree char *name = NULL;
      char *value;

      if (fields[i + 1] == NULL)
        continue;
      name = g_uri_escape_string (fields[i], NULL, FALSE);
      value = g_uri_escape_string (fields[i + 1], NULL, FALSE);
      if (s->len > 0)
        g_string_append_c (s, '&');
      g_string_append (s, name);
      g_string_append_c (s, '=');
      g_string_append (s, value);
      explicit_bzero (value, strlen (value));
      g_free (value);
    }
  length = s->len;
  return lk_secret_bytes_new_take ((guint8 *) g_string_free (s, FALSE), length);
}

static void
forward_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  guint status = 0;
  GBytes *body;

  body = lk_http_send_finish (LK_HTTP (source), result, &status, &error);
  if (body == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, GUINT_TO_POINTER (status), NULL);
  g_task_return_pointer (task, body, (GDestroyNotify) g_bytes_unref);
}

static void
start_request (LkHttp              *self,
               const char          *method,
               const char          *url,
               GBytes              *form,
               const char          *accept,
               LkHttpFlags          flags,
               GCancellable        *cancellable,
               gpointer             source_tag,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  g_task_set_source_tag (task, source_tag);
  g_task_set_check_cancellable (task, FALSE);
  if (!lk_http_check_url (url, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  message = soup_message_new (method, url);
  if (message == NULL)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_INVALID_PROFILE,
                               _("A sign-in address is not a valid URL. Check the provider profile."));
      return;
    }
  soup_message_headers_replace (soup_message_get_request_headers (message), "Accept", accept);
  if (form != NULL)
    soup_message_set_request_body_from_bytes (message, "application/x-www-form-urlencoded", form);
  send_message_async (self, message, flags, cancellable, forward_cb, g_steal_pointer (&task));
}

/**
 * lk_http_post_form_async:
 * @fields: see lk_http_encode_form()
 */
void
lk_http_post_form_async (LkHttp              *self,
                         const char          *url,
                         const char * const  *fields,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GBytes) form = NULL;

  g_return_if_fail (LK_IS_HTTP (self));
  form = lk_http_encode_form (fields);
  start_request (self, "POST", url, form, "application/json", LK_HTTP_NONE, cancellable,
                 lk_http_post_form_async, callback, user_data);
}

GBytes *
lk_http_post_form_finish (LkHttp        *self,
                          GAsyncResult  *result,
                          guint         *out_status,
                          GError       **error)
{
  GBytes *body;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  body = g_task_propagate_pointer (G_TASK (result), error);
  if (out_status != NULL)
    *out_status = body != NULL ? GPOINTER_TO_UINT (g_task_get_task_data (G_TASK (result))) : 0;
  return body;
}

void
lk_http_get_async (LkHttp              *self,
                   const char          *url,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_return_if_fail (LK_IS_HTTP (self));
  start_request (self, "GET", url, NULL, "application/json", LK_HTTP_NONE, cancellable,
                 lk_http_get_async, callback, user_data);
}

GBytes *
lk_http_get_finish (LkHttp        *self,
                    GAsyncResult  *result,
                    guint         *out_status,
                    GError       **error)
{
  return lk_http_post_form_finish (self, result, out_status, error);
}

/**
 * lk_http_fetch_async:
 * @accept: the Accept header
 * @flags: %LK_HTTP_FOLLOW_REDIRECTS to follow redirects, each under the
 *   URL policy
 *
 * A GET of any document (discovery's autoconfig files and OpenID
 * configurations), under the same rules as every other request.
 */
void
lk_http_fetch_async (LkHttp              *self,
                     const char          *url,
                     const char          *accept,
                     LkHttpFlags          flags,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_return_if_fail (LK_IS_HTTP (self));
  g_return_if_fail (accept != NULL);
  start_request (self, "GET", url, NULL, accept, flags, cancellable, lk_http_fetch_async,
                 callback, user_data);
}

GBytes *
lk_http_fetch_finish (LkHttp        *self,
                      GAsyncResult  *result,
                      guint         *out_status,
                      GError       **error)
{
  return lk_http_post_form_finish (self, result, out_status, error);
}
