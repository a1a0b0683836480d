/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "providers/lk-discovery.h"
#include "providers/lk-provider-registry.h"
#include "store/lk-account-store.h"
#include "store/lk-token-manager.h"

G_BEGIN_DECLS

/**
 * LkSetupWizardTask:
 * @LK_SETUP_WIZARD_ADD: add an account: address, sign-in, test, mail
 *   programs, "Account Added"
 * @LK_SETUP_WIZARD_SIGN_IN_AGAIN: sign an account in again, then test it
 * @LK_SETUP_WIZARD_TEST: test an account
 * @LK_SETUP_WIZARD_SET_UP: set an account's mail programs up
 *
 * What the wizard was opened for: each task has its own title, first page,
 * buttons and ending.
 */
typedef enum
{
  LK_SETUP_WIZARD_ADD,
  LK_SETUP_WIZARD_SIGN_IN_AGAIN,
  LK_SETUP_WIZARD_TEST,
  LK_SETUP_WIZARD_SET_UP,
} LkSetupWizardTask;

#define LK_TYPE_SETUP_WIZARD (lk_setup_wizard_get_type ())

G_DECLARE_FINAL_TYPE (LkSetupWizard, lk_setup_wizard, LK, SETUP_WIZARD, AdwWindow)

LkSetupWizard    *lk_setup_wizard_new            (GtkWindow          *parent,
                                                  LkProviderRegistry *registry,
                                                  LkAccountStore     *store,
                                                  LkTokenManager     *tokens) G_GNUC_WARN_UNUSED_RESULT;
void              lk_setup_wizard_set_discovery  (LkSetupWizard      *self,
                                                  LkDiscovery        *discovery);
void              lk_setup_wizard_start_task     (LkSetupWizard      *self,
                                                  LkAccount          *account,
                                                  LkSetupWizardTask   task);
LkSetupWizardTask lk_setup_wizard_get_task       (LkSetupWizard      *self);
LkAccount        *lk_setup_wizard_get_account    (LkSetupWizard      *self);
const char       *lk_setup_wizard_get_step       (LkSetupWizard      *self);
GtkWidget        *lk_setup_wizard_get_page       (LkSetupWizard      *self,
                                                  const char         *step);
gboolean          lk_setup_wizard_import_profile (LkSetupWizard      *self,
                                                  const char         *data,
                                                  gsize               length,
                                                  const char         *origin,
                                                  GError            **error);

G_END_DECLS
