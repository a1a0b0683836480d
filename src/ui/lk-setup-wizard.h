/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "providers/lk-discovery.h"
#include "providers/lk-provider-registry.h"
#include "store/lk-account-store.h"
#include "store/lk-token-manager.h"

G_BEGIN_DECLS

#define LK_TYPE_SETUP_WIZARD (lk_setup_wizard_get_type ())

G_DECLARE_FINAL_TYPE (LkSetupWizard, lk_setup_wizard, LK, SETUP_WIZARD, AdwWindow)

LkSetupWizard *lk_setup_wizard_new          (GtkWindow          *parent,
                                             LkProviderRegistry *registry,
                                             LkAccountStore     *store,
                                             LkTokenManager     *tokens) G_GNUC_WARN_UNUSED_RESULT;
void           lk_setup_wizard_set_discovery (LkSetupWizard   *self,
                                             LkDiscovery        *discovery);
void           lk_setup_wizard_start_at     (LkSetupWizard      *self,
                                             LkAccount          *account,
                                             const char         *step);
const char    *lk_setup_wizard_get_step     (LkSetupWizard      *self);
GtkWidget     *lk_setup_wizard_get_page     (LkSetupWizard      *self,
                                             const char         *step);
gboolean       lk_setup_wizard_import_profile (LkSetupWizard    *self,
                                             const char         *data,
                                             gsize               length,
                                             const char         *origin,
                                             GError            **error);

G_END_DECLS
