/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "lk-loopback-receiver.h"
#include "lk-oauth-client.h"

G_BEGIN_DECLS

#define LK_TYPE_BROWSER_SIGN_IN (lk_browser_sign_in_get_type ())

G_DECLARE_FINAL_TYPE (LkBrowserSignIn, lk_browser_sign_in, LK, BROWSER_SIGN_IN, GObject)

LkBrowserSignIn *lk_browser_sign_in_new                   (LkOAuthClient        *client,
                                                           const char           *scope,
                                                           const char           *login_hint) G_GNUC_WARN_UNUSED_RESULT;
LkBrowserSignIn *lk_browser_sign_in_new_for_account       (LkAccount            *account,
                                                           GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void             lk_browser_sign_in_set_prompt            (LkBrowserSignIn      *self,
                                                           const char           *prompt);
void             lk_browser_sign_in_set_timeout           (LkBrowserSignIn      *self,
                                                           guint                 seconds);
gboolean         lk_browser_sign_in_prepare               (LkBrowserSignIn      *self,
                                                           GError              **error);
const char      *lk_browser_sign_in_get_authorization_url (LkBrowserSignIn      *self);
const char      *lk_browser_sign_in_get_redirect_uri      (LkBrowserSignIn      *self);
LkOAuthClient   *lk_browser_sign_in_get_client            (LkBrowserSignIn      *self);
void             lk_browser_sign_in_run_async             (LkBrowserSignIn      *self,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
LkTokenSet      *lk_browser_sign_in_run_finish            (LkBrowserSignIn      *self,
                                                           GAsyncResult         *result,
                                                           GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
