/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "bridge/lk-bridge-credentials.h"
#include "lk-protocol.h"

G_BEGIN_DECLS

/**
 * LkExchangeScriptInput:
 * @tenant: the organisation (-Organization): its domain or tenant id
 * @app_id: the application (client) id, a GUID
 * @object_id: the *Enterprise application's* object id, a GUID
 * @display_name: (nullable): the service principal's name; "Latchkey" if NULL
 * @mailboxes: (array zero-terminated=1): the mailboxes the app may open
 * @send_as: grant SendAs on each mailbox too (sending as another address)
 * @protocols: the protocols used; with SMTP, SMTP AUTH is switched on per
 *   mailbox. 0 means all.
 * @smtp_rbac: let the app send through Exchange's application RBAC (a
 *   management scope of the mailboxes, the role "Application
 *   SMTP.SendAsApp") instead of a FullAccess permission on each mailbox; the
 *   app registration then must not hold SMTP.SendAsApp. FullAccess is still
 *   given when IMAP or POP are used: the RBAC route is for SMTP alone.
 * @shared_mailboxes: (nullable) (array zero-terminated=1): delegated only:
 *   shared mailboxes that @delegates open with their own sign-in
 * @delegates: (nullable) (array zero-terminated=1): delegated only: the
 *   people who use @shared_mailboxes
 * @senders: (nullable) (array zero-terminated=1): app-only: further
 *   addresses the app sends as through @mailboxes (an office device's
 *   pinned sender): SendAs on each (Add-RecipientPermission), or, with
 *   @smtp_rbac, each in the scope
 * @device: (nullable): app-only: the office bridge's device these steps
 *   are for, named in the script's comments; it must be a device name
 *   (lk_bridge_device_name_is_valid())
 *
 * Zero it first and fill it in; nothing is kept.
 */
typedef struct
{
  const char         *tenant;
  const char         *app_id;
  const char         *object_id;
  const char         *display_name;
  const char * const *mailboxes;
  gboolean            send_as;
  guint               protocols;
  gboolean            smtp_rbac;
  const char * const *shared_mailboxes;
  const char * const *delegates;
  const char * const *senders;
  const char         *device;
} LkExchangeScriptInput;

char *lk_exchange_script_generate           (const LkExchangeScriptInput  *input,
                                             GError                      **error) G_GNUC_WARN_UNUSED_RESULT;
char *lk_exchange_script_generate_for_device (const LkExchangeScriptInput  *input,
                                             const LkBridgeUser           *device,
                                             GError                      **error) G_GNUC_WARN_UNUSED_RESULT;
char *lk_exchange_script_generate_delegated (const LkExchangeScriptInput  *input,
                                             GError                      **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
