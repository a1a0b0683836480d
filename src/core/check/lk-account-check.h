/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "diagnose/lk-diagnosis.h"
#include "mail/lk-probe-result.h"
#include "store/lk-account-store.h"
#include "store/lk-account.h"
#include "store/lk-token-manager.h"

G_BEGIN_DECLS

/**
 * LkProtocolCheck:
 * @protocol: which one
 * @ok: it signed in (and sent, when asked)
 * @summary: one line for a person: how it signed in, or the diagnosis's title
 * @probe: what the probe saw: stages, TLS, transcript, the error
 * @diagnosis: (nullable): why it failed and who can fix it; %NULL when @ok
 *
 * The test of one protocol. Owned by its LkAccountCheck.
 */
typedef struct
{
  LkProtocol     protocol;
  gboolean       ok;
  char          *summary;
  LkProbeResult *probe;
  LkDiagnosis   *diagnosis;
} LkProtocolCheck;

#define LK_TYPE_ACCOUNT_CHECK (lk_account_check_get_type ())

G_DECLARE_FINAL_TYPE (LkAccountCheck, lk_account_check, LK, ACCOUNT_CHECK, GObject)

LkAccountCheck        *lk_account_check_new             (LkAccount            *account,
                                                         LkTokenManager       *tokens,
                                                         LkAccountStore       *store) G_GNUC_WARN_UNUSED_RESULT;
void                   lk_account_check_set_protocols   (LkAccountCheck       *self,
                                                         LkProtocolFlags       protocols);
void                   lk_account_check_set_send_test   (LkAccountCheck       *self,
                                                         gboolean              send_test);
void                   lk_account_check_set_timeouts    (LkAccountCheck       *self,
                                                         guint                 step_ms,
                                                         guint                 overall_ms);
LkAccount             *lk_account_check_get_account     (LkAccountCheck       *self);
LkProtocolFlags        lk_account_check_get_protocols   (LkAccountCheck       *self);
void                   lk_account_check_run_async       (LkAccountCheck       *self,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean               lk_account_check_run_finish      (LkAccountCheck       *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
const LkProtocolCheck *lk_account_check_get_result      (LkAccountCheck       *self,
                                                         LkProtocol            protocol);
gboolean               lk_account_check_get_all_ok      (LkAccountCheck       *self);
const GError          *lk_account_check_get_save_error  (LkAccountCheck       *self);

G_END_DECLS
