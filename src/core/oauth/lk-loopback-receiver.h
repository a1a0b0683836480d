/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LK_LOOPBACK_DEFAULT_TIMEOUT (10 * 60)

#define LK_TYPE_LOOPBACK_RECEIVER (lk_loopback_receiver_get_type ())

G_DECLARE_FINAL_TYPE (LkLoopbackReceiver, lk_loopback_receiver, LK, LOOPBACK_RECEIVER, GObject)

LkLoopbackReceiver *lk_loopback_receiver_new              (const char          *redirect_host,
                                                           const char          *expected_state) G_GNUC_WARN_UNUSED_RESULT;
void                lk_loopback_receiver_set_issuer       (LkLoopbackReceiver  *self,
                                                           const char          *issuer_template,
                                                           const char          *tenant);
void                lk_loopback_receiver_set_admin_consent (LkLoopbackReceiver *self,
                                                           gboolean             admin_consent);
void                lk_loopback_receiver_set_timeout      (LkLoopbackReceiver  *self,
                                                           guint                seconds);
gboolean            lk_loopback_receiver_listen           (LkLoopbackReceiver  *self,
                                                           GError             **error);
const char         *lk_loopback_receiver_get_redirect_uri (LkLoopbackReceiver  *self);
guint16             lk_loopback_receiver_get_port         (LkLoopbackReceiver  *self);
gboolean            lk_loopback_receiver_is_listening     (LkLoopbackReceiver  *self);
void                lk_loopback_receiver_stop             (LkLoopbackReceiver  *self);
void                lk_loopback_receiver_wait_async       (LkLoopbackReceiver  *self,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
char               *lk_loopback_receiver_wait_finish      (LkLoopbackReceiver  *self,
                                                           GAsyncResult        *result,
                                                           GError             **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
