/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "diagnose/lk-diagnosis.h"
#include "lk-bridge-section.h"
#include "oauth/lk-token-info.h"
#include "store/lk-account.h"

G_BEGIN_DECLS

#define LK_TYPE_ACCOUNT_PAGE (lk_account_page_get_type ())

G_DECLARE_FINAL_TYPE (LkAccountPage, lk_account_page, LK, ACCOUNT_PAGE, GtkWidget)

GtkWidget         *lk_account_page_new                (void);
void               lk_account_page_set_account        (LkAccountPage *self,
                                                       LkAccount     *account);
LkAccount         *lk_account_page_get_account        (LkAccountPage *self);
const char        *lk_account_page_get_status         (LkAccountPage *self);
gboolean           lk_account_page_get_reading_keyring (LkAccountPage *self);
const LkTokenInfo *lk_account_page_get_token_info     (LkAccountPage *self);
AdwExpanderRow    *lk_account_page_get_protocol_row   (LkAccountPage *self,
                                                       LkProtocol     protocol);
LkDiagnosis       *lk_account_page_get_diagnosis      (LkAccountPage *self,
                                                       LkProtocol     protocol);
LkBridgeSection   *lk_account_page_get_bridge_section (LkAccountPage *self);
gboolean           lk_account_page_get_checking_programs (LkAccountPage *self);

G_END_DECLS
