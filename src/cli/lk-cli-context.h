/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "providers/lk-provider-registry.h"
#include "store/lk-account-store.h"
#include "store/lk-token-manager.h"

G_BEGIN_DECLS

/**
 * LkCliContext:
 *
 * What every command of latchkey-cli-full shares: the provider profiles, the
 * accounts, the token manager (with the OAuth engine plugged in), and a
 * cancellable that Ctrl+C, SIGTERM and SIGHUP cancel, so that a waiting
 * sign-in closes its loopback listener and stops polling before the program
 * exits, and a refresh in flight (which ignores the cancellable) still saves
 * the rotated refresh token before the program ends.
 */
typedef struct
{
  LkProviderRegistry *registry;
  LkAccountStore     *accounts;
  LkTokenManager     *tokens;
  GCancellable       *cancellable;
  guint               sigint_id;
  guint               sigterm_id;
  guint               sighup_id;
  guint               hint_id;      /* "Ctrl+C again stops at once", when slow */
  guint               signals;      /* SIGINT and SIGTERM received */
} LkCliContext;

LkCliContext *lk_cli_context_new          (void);
void          lk_cli_context_free         (LkCliContext  *self);
LkAccount    *lk_cli_context_load_account (LkCliContext  *self,
                                           const char    *email,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;
void          lk_cli_store_result_cb      (GObject       *object,
                                           GAsyncResult  *result,
                                           gpointer       user_data);
GAsyncResult *lk_cli_wait                 (GAsyncResult **slot);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkCliContext, lk_cli_context_free)

G_END_DECLS
