/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* For the protocol subclasses of LkBridgeSession only. */

#include "bridge/lk-bridge-session.h"

G_BEGIN_DECLS

void     lk_bridge_session_send          (LkBridgeSession *self,
                                          const char      *line);
void     lk_bridge_session_sendf         (LkBridgeSession *self,
                                          const char      *format,
                                          ...) G_GNUC_PRINTF (2, 3);
gboolean lk_bridge_session_is_tls        (LkBridgeSession *self);
gboolean lk_bridge_session_can_starttls  (LkBridgeSession *self);
gboolean lk_bridge_session_may_log_in    (LkBridgeSession *self);
void     lk_bridge_session_start_tls     (LkBridgeSession *self);
void     lk_bridge_session_login         (LkBridgeSession *self,
                                          const char      *user,
                                          const char      *password);
void     lk_bridge_session_close         (LkBridgeSession *self);
void     lk_bridge_session_count_error   (LkBridgeSession *self,
                                          const char      *goodbye);
void     lk_bridge_session_set_logged_in (LkBridgeSession *self,
                                          const char      *account);
LkBridge *lk_bridge_session_get_bridge   (LkBridgeSession *self);
void     lk_bridge_session_hold          (LkBridgeSession *self);
void     lk_bridge_session_release       (LkBridgeSession *self);
char    *lk_bridge_session_reply_text    (const char      *message) G_GNUC_WARN_UNUSED_RESULT;
gsize    lk_bridge_session_take_line     (LkBridgeSession *self,
                                          const guint8    *data,
                                          gsize            length,
                                          gsize            max_length,
                                          const char      *too_long_reply,
                                          char           **out_line);
void     lk_bridge_session_log_debug     (LkBridgeSession *self,
                                          const char      *format,
                                          ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
