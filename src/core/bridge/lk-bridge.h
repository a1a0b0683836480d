/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "bridge/lk-bridge-credentials.h"
#include "lk-protocol.h"
#include "store/lk-account-store.h"
#include "store/lk-token-manager.h"

G_BEGIN_DECLS

/**
 * LkBridgeLoginStatus:
 * @LK_BRIDGE_LOGIN_OK: signed in upstream; the connection is in the login
 * @LK_BRIDGE_LOGIN_REFUSED: wrong or unknown local user name or password
 * @LK_BRIDGE_LOGIN_TEMPORARY: try again later: the account needs signing in
 *   again, the keyring is locked, the provider or the mail server cannot be
 *   reached
 * @LK_BRIDGE_LOGIN_PERMANENT: the upstream refused the account's token, or
 *   this login may not do this; trying again will not help
 */
typedef enum
{
  LK_BRIDGE_LOGIN_OK,
  LK_BRIDGE_LOGIN_REFUSED,
  LK_BRIDGE_LOGIN_TEMPORARY,
  LK_BRIDGE_LOGIN_PERMANENT,
} LkBridgeLoginStatus;

/**
 * LkBridgeLogin:
 * @message: one line for the mail program, translated, never secret
 * @enhanced_code: (nullable): SMTP: the upstream's enhanced status code of
 *   a permanent refusal ("5.7.139"), to pass on
 * @upstream: (nullable): the signed-in connection (OK only)
 * @upstream_buffered: (nullable): what the upstream sent after its login
 *   reply, to be passed to the client first
 * @capabilities: (nullable): IMAP: the upstream's capabilities after login;
 *   SMTP: the extensions of its EHLO (lk_smtp_ehlo_max_size() reads SIZE)
 * @device: (nullable): a device's SMTP login, which is not relayed: the
 *   session takes its mail into the spool (@upstream is %NULL)
 */
typedef struct
{
  LkBridgeLoginStatus  status;
  char                *message;
  char                *account;
  char                *enhanced_code;
  GIOStream           *upstream;
  GBytes              *upstream_buffered;
  char               **capabilities;
  LkBridgeUser        *device;
} LkBridgeLogin;

void lk_bridge_login_free (LkBridgeLogin *login);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkBridgeLogin, lk_bridge_login_free)

#define LK_TYPE_BRIDGE (lk_bridge_get_type ())

G_DECLARE_FINAL_TYPE (LkBridge, lk_bridge, LK, BRIDGE, GObject)

LkBridge            *lk_bridge_new                (LkAccountStore       *accounts,
                                                   LkTokenManager       *tokens,
                                                   LkBridgeCredentials  *credentials) G_GNUC_WARN_UNUSED_RESULT;
LkAccountStore      *lk_bridge_get_accounts       (LkBridge             *self);
LkTokenManager      *lk_bridge_get_tokens         (LkBridge             *self);
LkBridgeCredentials *lk_bridge_get_credentials    (LkBridge             *self);
void                 lk_bridge_set_queue          (LkBridge             *self,
                                                   gpointer              queue);
gpointer             lk_bridge_get_queue          (LkBridge             *self);
void                 lk_bridge_set_devices_only   (LkBridge             *self,
                                                   gboolean              devices_only);
void                 lk_bridge_set_relay_without_auth (LkBridge         *self,
                                                   GPtrArray            *rules);
LkBridgeUser        *lk_bridge_relay_device       (LkBridge             *self,
                                                   const char           *source_address,
                                                   const char           *connection,
                                                   char                **out_refusal) G_GNUC_WARN_UNUSED_RESULT;
GTlsCertificate     *lk_bridge_get_certificate    (LkBridge             *self);
void                 lk_bridge_set_certificate    (LkBridge             *self,
                                                   GTlsCertificate      *certificate);
void                 lk_bridge_set_upstream_timeouts (LkBridge          *self,
                                                   guint                 step_ms,
                                                   guint                 overall_ms);
void                 lk_bridge_set_max_connections_per_address (LkBridge *self,
                                                   guint                 max);
void                 lk_bridge_set_login_limits   (LkBridge             *self,
                                                   guint                 max_delay_ms,
                                                   guint                 lockout_after,
                                                   guint                 lockout_seconds);
gboolean             lk_bridge_may_accept         (LkBridge             *self,
                                                   const char           *address);

void                 lk_bridge_login_async        (LkBridge             *self,
                                                   LkProtocol            protocol,
                                                   const char           *user,
                                                   const char           *password,
                                                   const char           *connection,
                                                   const char           *source_address,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void                 lk_bridge_connect_upstream_async (LkBridge         *self,
                                                   LkProtocol            protocol,
                                                   const char           *account,
                                                   const char           *connection,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
LkBridgeLogin       *lk_bridge_login_finish       (LkBridge             *self,
                                                   GAsyncResult         *result,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;

void                 lk_bridge_session_opened     (LkBridge             *self,
                                                   GObject              *session);
void                 lk_bridge_session_closed     (LkBridge             *self,
                                                   GObject              *session,
                                                   const char           *account);
void                 lk_bridge_account_session_started (LkBridge        *self,
                                                   const char           *account);
guint                lk_bridge_get_n_sessions     (LkBridge             *self);
void                 lk_bridge_close_all          (LkBridge             *self);
JsonNode            *lk_bridge_get_account_status (LkBridge             *self) G_GNUC_WARN_UNUSED_RESULT;
JsonNode            *lk_bridge_describe_accounts  (LkBridgeCredentials  *credentials,
                                                   LkBridge             *bridge) G_GNUC_WARN_UNUSED_RESULT;
JsonNode            *lk_bridge_describe_devices   (LkBridgeCredentials  *credentials,
                                                   LkBridge             *bridge) G_GNUC_WARN_UNUSED_RESULT;
JsonNode            *lk_bridge_get_device_status  (LkBridge             *self) G_GNUC_WARN_UNUSED_RESULT;
void                 lk_bridge_add_protocols_member (JsonBuilder        *builder,
                                                   LkProtocolFlags       flags);
gboolean             lk_bridge_device_may_send    (LkBridge             *self,
                                                   const LkBridgeUser   *device,
                                                   guint                *out_wait_seconds);
void                 lk_bridge_device_sent        (LkBridge             *self,
                                                   const LkBridgeUser   *device);
void                 lk_bridge_device_failed      (LkBridge             *self,
                                                   const char           *device,
                                                   const char           *message);
void                 lk_bridge_set_device_state   (LkBridge             *self,
                                                   const char           *path);
void                 lk_bridge_save_device_state  (LkBridge             *self);
void                 lk_bridge_reload_devices     (LkBridge             *self);
void                 lk_bridge_forget_account     (LkBridge             *self,
                                                   const char           *account);

G_END_DECLS
