/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "diagnose/lk-diagnosis.h"

G_BEGIN_DECLS

#define LK_TYPE_SIGN_IN_PAGE (lk_sign_in_page_get_type ())

G_DECLARE_FINAL_TYPE (LkSignInPage, lk_sign_in_page, LK, SIGN_IN_PAGE, GtkWidget)

GtkWidget  *lk_sign_in_page_new               (void);
void        lk_sign_in_page_set_provider_name (LkSignInPage *self,
                                               const char   *name,
                                               gboolean      device_flow);
gboolean    lk_sign_in_page_get_use_device    (LkSignInPage *self);
const char *lk_sign_in_page_get_state         (LkSignInPage *self);
void        lk_sign_in_page_show_intro        (LkSignInPage *self);
void        lk_sign_in_page_show_waiting      (LkSignInPage *self,
                                               const char   *uri);
void        lk_sign_in_page_show_device       (LkSignInPage *self,
                                               const char   *user_code,
                                               const char   *verification_uri);
void        lk_sign_in_page_show_error        (LkSignInPage *self,
                                               const GError *error);
void        lk_sign_in_page_show_diagnosis    (LkSignInPage *self,
                                               LkDiagnosis  *diagnosis);
LkDiagnosis *lk_sign_in_page_get_diagnosis    (LkSignInPage *self);
void        lk_sign_in_page_set_retry_label   (LkSignInPage *self,
                                               const char   *label);

G_END_DECLS
