/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "diagnose/lk-diagnosis.h"
#include "lk-protocol.h"
#include "providers/lk-provider.h"

G_BEGIN_DECLS

#define LK_TYPE_ADMIN_CONSENT (lk_admin_consent_get_type ())

G_DECLARE_FINAL_TYPE (LkAdminConsent, lk_admin_consent, LK, ADMIN_CONSENT, GObject)

LkAdminConsent *lk_admin_consent_new          (LkProvider           *provider,
                                               const char           *tenant,
                                               const char           *client_id,
                                               LkProtocolFlags       protocols,
                                               gboolean              app_only) G_GNUC_WARN_UNUSED_RESULT;
char           *lk_admin_consent_dup_link     (LkAdminConsent       *self,
                                               GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void            lk_admin_consent_set_timeout  (LkAdminConsent       *self,
                                               guint                 seconds);
gboolean        lk_admin_consent_listen       (LkAdminConsent       *self,
                                               GError              **error);
const char     *lk_admin_consent_get_url      (LkAdminConsent       *self);
void            lk_admin_consent_wait_async   (LkAdminConsent       *self,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
char           *lk_admin_consent_wait_finish  (LkAdminConsent       *self,
                                               GAsyncResult         *result,
                                               GError              **error) G_GNUC_WARN_UNUSED_RESULT;
LkDiagnosis    *lk_admin_consent_diagnose     (LkAdminConsent       *self,
                                               const GError         *error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
