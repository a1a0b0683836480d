/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the wizard's files share, as gnome-text-editor's editor-window-private.h
 * does for its window: lk-setup-wizard.c is the navigation (pages, header
 * bar, Back, Cancel, the task's title and ending), lk-setup-wizard-sign-in.c
 * the sign-in flow, lk-setup-wizard-test.c the test flow and
 * lk-setup-wizard-export.c the mail programs' page. */
#pragma once

#include "check/lk-account-check.h"
#include "lk-address-page.h"
#include "lk-export-page.h"
#include "lk-setup-wizard.h"
#include "lk-sign-in-page.h"
#include "lk-test-page.h"
#include "oauth/lk-browser-sign-in.h"
#include "oauth/lk-oauth-client.h"

G_BEGIN_DECLS

struct _LkSetupWizard
{
  AdwWindow              parent_instance;

  /* Template children */
  AdwWindowTitle        *title_widget;
  GtkButton             *back_button;
  GtkButton             *cancel_button;
  GtkButton             *next_button;
  GtkStack              *stack;
  LkAddressPage         *address_page;
  LkSignInPage          *sign_in_page;
  LkTestPage            *test_page;
  LkExportPage          *export_page;
  AdwStatusPage         *done_page;

  LkProviderRegistry    *registry;
  LkAccountStore        *store;
  LkTokenManager        *tokens;

  LkSetupWizardTask      task;
  GPtrArray             *history;       /* the steps before this one, static strings */
  LkAccount             *account;       /* being made (saved once signed in), or the task's */
  gboolean               saved;         /* this wizard saved the account */
  gboolean               closing;       /* "Keep the account?" was answered */
  GCancellable          *cancellable;       /* everything: cancelled on close */
  GCancellable          *step_cancellable;  /* the sign-in or test running now */

  /* Sign-in (lk-setup-wizard-sign-in.c) */
  gboolean               signing_in;
  LkBrowserSignIn       *browser_sign_in;
  LkOAuthClient         *device_client;
  LkDeviceAuthorization *device_authorization;
  GError                *sign_in_error;    /* shown now, to diagnose again */
  char                  *redirect_uri;     /* … with the redirect it used */
  char                  *consent_tenant;   /* the address's tenant id, looked up */

  /* Test (lk-setup-wizard-test.c) */
  LkAccountCheck        *check;          /* while the test runs */
};

/* lk-setup-wizard.c */
void          lk_setup_wizard_update          (LkSetupWizard *self);
void          lk_setup_wizard_set_task        (LkSetupWizard *self,
                                               LkSetupWizardTask task);
void          lk_setup_wizard_show_step       (LkSetupWizard *self,
                                               const char    *step);
void          lk_setup_wizard_signed_in       (LkSetupWizard *self);
void          lk_setup_wizard_account_changed (LkSetupWizard *self);
GCancellable *lk_setup_wizard_restart_step    (LkSetupWizard *self);

/* lk-setup-wizard-sign-in.c */
void          lk_setup_wizard_sign_in_start_cb  (LkSetupWizard *self,
                                                 gboolean       use_device);
void          lk_setup_wizard_sign_in_cancel_cb (LkSetupWizard *self);
void          lk_setup_wizard_stop_sign_in      (LkSetupWizard *self);
void          lk_setup_wizard_show_token_error  (LkSetupWizard *self,
                                                 const GError  *error);
void          lk_setup_wizard_clear_sign_in     (LkSetupWizard *self);

/* lk-setup-wizard-test.c */
void          lk_setup_wizard_run_tests       (LkSetupWizard *self);
void          lk_setup_wizard_stop_tests      (LkSetupWizard *self);

/* lk-setup-wizard-export.c */
void          lk_setup_wizard_fill_export_page (LkSetupWizard *self);
void          lk_setup_wizard_export_saved_cb  (LkSetupWizard *self,
                                                const char    *client,
                                                const char    *path);
void          lk_setup_wizard_export_set_up_cb (LkSetupWizard *self,
                                                const char    *client);

G_END_DECLS
