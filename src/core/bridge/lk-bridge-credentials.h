/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "lk-protocol.h"

G_BEGIN_DECLS

/**
 * LkBridgeUserKind:
 * @LK_BRIDGE_USER_ACCOUNT: a person's mail program; the user name is the
 *   account's address
 * @LK_BRIDGE_USER_DEVICE: a printer or scanner of the office bridge; the
 *   user name is the device's name (lk_bridge_device_name_is_valid())
 */
typedef enum
{
  LK_BRIDGE_USER_ACCOUNT,
  LK_BRIDGE_USER_DEVICE,
} LkBridgeUserKind;

/**
 * LkBridgeUser:
 * @name: the user name a mail program logs in with (the account's address,
 *   or a device's name)
 * @account: the address of the Latchkey account it signs in as
 * @hash: the yescrypt hash of its password
 * @protocols: the protocols it may use through the bridge
 * @enabled: whether it may log in at all (`bridge disable` keeps the
 *   password, so that enabling again does not change it)
 * @created, @changed: Unix times of its creation and of its last change
 *   of password or protocols (switching it off or on is not one)
 * @kind: an account's login or a device
 * @sender: (nullable): devices: the only address it may send as (`MAIL
 *   FROM` and `From:`)
 * @max_per_hour: devices: messages it may send per hour; 0 for no cap
 *
 * One local login of the bridge. The desktop bridge has one per account;
 * the office bridge adds devices (doc/bridge-office.md), with the same
 * fields and a few of their own.
 */
typedef struct
{
  /*< private >*/
  gatomicrefcount  ref_count;

  /*< public >*/
  char            *name;
  char            *account;
  char            *hash;
  LkProtocolFlags  protocols;
  gboolean         enabled;
  gint64           created;
  gint64           changed;
  LkBridgeUserKind kind;
  char            *sender;
  guint            max_per_hour;
} LkBridgeUser;

/**
 * LkBridgeDeviceSpec:
 * @name: the device's name, which is its user name
 * @account: the account it sends as
 * @protocols: what it may use (SMTP when 0)
 * @sender: (nullable): the pinned sender
 * @max_per_hour: 0 for no cap
 *
 * What `bridge device add` asks for.
 */
typedef struct
{
  const char      *name;
  const char      *account;
  LkProtocolFlags  protocols;
  const char      *sender;
  guint            max_per_hour;
} LkBridgeDeviceSpec;

#define LK_BRIDGE_DEVICE_NAME_MAX 64

LkBridgeUser *lk_bridge_user_ref   (LkBridgeUser *self);
void          lk_bridge_user_unref (LkBridgeUser *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkBridgeUser, lk_bridge_user_unref)

#define LK_TYPE_BRIDGE_CREDENTIALS (lk_bridge_credentials_get_type ())

G_DECLARE_FINAL_TYPE (LkBridgeCredentials, lk_bridge_credentials, LK, BRIDGE_CREDENTIALS, GObject)

LkBridgeCredentials *lk_bridge_credentials_new       (const char           *path) G_GNUC_WARN_UNUSED_RESULT;
const char          *lk_bridge_credentials_get_path  (LkBridgeCredentials  *self);
gboolean             lk_bridge_credentials_load      (LkBridgeCredentials  *self,
                                                      GError              **error);
GPtrArray           *lk_bridge_credentials_list      (LkBridgeCredentials  *self) G_GNUC_WARN_UNUSED_RESULT;
LkBridgeUser        *lk_bridge_credentials_lookup    (LkBridgeCredentials  *self,
                                                      const char           *name) G_GNUC_WARN_UNUSED_RESULT;
gboolean             lk_bridge_credentials_enable    (LkBridgeCredentials  *self,
                                                      const char           *account,
                                                      LkProtocolFlags       protocols,
                                                      char                **out_password,
                                                      GError              **error);
gboolean             lk_bridge_credentials_add_device (LkBridgeCredentials *self,
                                                      const LkBridgeDeviceSpec *spec,
                                                      char                **out_password,
                                                      GError              **error);
gboolean             lk_bridge_device_name_is_valid  (const char           *name);
gboolean             lk_bridge_credentials_disable   (LkBridgeCredentials  *self,
                                                      const char           *name,
                                                      GError              **error);
gboolean             lk_bridge_credentials_set_enabled (LkBridgeCredentials *self,
                                                      const char           *name,
                                                      gboolean              enabled,
                                                      GError              **error);
char                *lk_bridge_credentials_reset_password (LkBridgeCredentials *self,
                                                      const char           *name,
                                                      GError              **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean             lk_bridge_credentials_remove    (LkBridgeCredentials  *self,
                                                      const char           *name,
                                                      GError              **error);
void                 lk_bridge_credentials_verify_async  (LkBridgeCredentials *self,
                                                      const char           *name,
                                                      const char           *password,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
LkBridgeUser        *lk_bridge_credentials_verify_finish (LkBridgeCredentials *self,
                                                      GAsyncResult         *result,
                                                      GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
