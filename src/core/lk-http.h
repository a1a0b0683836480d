/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Bodies beyond this are refused: no OAuth answer comes near it. */
#define LK_HTTP_MAX_BODY (1024 * 1024)
#define LK_HTTP_DEFAULT_CONNECT_TIMEOUT 15
#define LK_HTTP_DEFAULT_TOTAL_TIMEOUT   30
#define LK_HTTP_MAX_REDIRECTS           5

typedef enum
{
  LK_HTTP_NONE             = 0,
  LK_HTTP_FOLLOW_REDIRECTS = 1 << 0,
} LkHttpFlags;

#define LK_TYPE_HTTP (lk_http_get_type ())

G_DECLARE_FINAL_TYPE (LkHttp, lk_http, LK, HTTP, GObject)

LkHttp      *lk_http_new              (const char           *ca_file,
                                       GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void         lk_http_set_timeouts     (LkHttp               *self,
                                       guint                 connect_seconds,
                                       guint                 total_seconds);
void         lk_http_set_max_body     (LkHttp               *self,
                                       gsize                 max_body);
gboolean     lk_http_check_url        (const char           *url,
                                       GError              **error);
void         lk_http_send_async       (LkHttp               *self,
                                       SoupMessage          *message,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
GBytes      *lk_http_send_finish      (LkHttp               *self,
                                       GAsyncResult         *result,
                                       guint                *out_status,
                                       GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void         lk_http_post_form_async  (LkHttp               *self,
                                       const char           *url,
                                       const char * const   *fields,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
GBytes      *lk_http_post_form_finish (LkHttp               *self,
                                       GAsyncResult         *result,
                                       guint                *out_status,
                                       GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void         lk_http_get_async        (LkHttp               *self,
                                       const char           *url,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
GBytes      *lk_http_get_finish       (LkHttp               *self,
                                       GAsyncResult         *result,
                                       guint                *out_status,
                                       GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void         lk_http_fetch_async      (LkHttp               *self,
                                       const char           *url,
                                       const char           *accept,
                                       LkHttpFlags           flags,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
GBytes      *lk_http_fetch_finish     (LkHttp               *self,
                                       GAsyncResult         *result,
                                       guint                *out_status,
                                       GError              **error) G_GNUC_WARN_UNUSED_RESULT;
GBytes      *lk_http_encode_form      (const char * const   *fields) G_GNUC_WARN_UNUSED_RESULT;
GBytes      *lk_secret_bytes_new_take (guint8               *data,
                                       gsize                 length) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
