/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "bridge/lk-bridge.h"
#include "lk-protocol.h"

G_BEGIN_DECLS

/**
 * LkBridgeSessionOptions:
 * @security: %LK_SECURITY_TLS: TLS from the first byte; %LK_SECURITY_STARTTLS:
 *   clear text with STARTTLS offered; %LK_SECURITY_NONE: clear text only
 * @login_requires_tls: refuse logins before TLS (the office bridge's LAN
 *   listeners); the desktop's loopback listeners allow them
 * @prelogin_timeout_ms: how long a client may take to log in
 */
typedef struct
{
  LkSecurity  security;
  gboolean    login_requires_tls;
  guint       prelogin_timeout_ms;
} LkBridgeSessionOptions;

#define LK_BRIDGE_PRELOGIN_TIMEOUT_MS 60000

#define LK_TYPE_BRIDGE_SESSION (lk_bridge_session_get_type ())

G_DECLARE_DERIVABLE_TYPE (LkBridgeSession, lk_bridge_session, LK, BRIDGE_SESSION, GObject)

/**
 * LkBridgeSessionClass:
 * @greet: says hello (IMAP "* OK", POP3 "+OK", SMTP "220")
 * @process: handles the first command in @data, which holds what the
 *   client sent so far; returns the bytes it took, 0 when the command is
 *   not complete yet. It answers with lk_bridge_session_send() and may
 *   start TLS, a login or the end of the session.
 * @tls_started: STARTTLS succeeded: forget what was said before it
 * @login_done: answers the client's login; when @login is OK the relay
 *   starts once the answer is written
 * @goodbye: says why the session ends before login (shutdown, timeout),
 *   in the protocol's words
 *
 * One subclass per protocol: LkImapSession, LkPopSession, LkSmtpSession.
 * The base class owns the connection and everything that is not the
 * protocol's words: reading without a buffer per session while idle,
 * limits and timeouts, TLS, the login (lk_bridge_login_async()), passing
 * on what the client sent after its login line, the relay, the log.
 */
struct _LkBridgeSessionClass
{
  GObjectClass parent_class;

  void  (*greet)       (LkBridgeSession     *self);
  gsize (*process)     (LkBridgeSession     *self,
                        const guint8        *data,
                        gsize                length);
  void  (*tls_started) (LkBridgeSession     *self);
  void  (*login_done)  (LkBridgeSession     *self,
                        const LkBridgeLogin *login);
  void  (*goodbye)     (LkBridgeSession     *self,
                        const char          *why);

  /*< private >*/
  gpointer padding[8];
};

LkBridgeSession *lk_bridge_session_new       (LkProtocol                     protocol,
                                              LkBridge                      *bridge,
                                              GSocketConnection             *connection,
                                              const LkBridgeSessionOptions  *options) G_GNUC_WARN_UNUSED_RESULT;
void             lk_bridge_session_start     (LkBridgeSession               *self);
void             lk_bridge_session_shutdown  (LkBridgeSession               *self);
const char      *lk_bridge_session_get_id    (LkBridgeSession               *self);
const char      *lk_bridge_session_get_source_address (LkBridgeSession      *self);
LkProtocol       lk_bridge_session_get_protocol (LkBridgeSession            *self);

G_END_DECLS
