/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * LkRedirect:
 *
 * The query of the request the browser makes to the redirect URI. @code is
 * secret (wiped on free); the others may be shown.
 */
typedef struct
{
  char *code;
  char *state;
  char *iss;
  char *error;
  char *error_description;
  char *admin_consent;   /* the admin consent redirect: "True" */
  char *tenant;          /* … and the tenant that consented */
} LkRedirect;

LkRedirect *lk_redirect_parse          (const char        *query,
                                        GError           **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean    lk_redirect_check          (const LkRedirect  *self,
                                        const char        *expected_state,
                                        const char        *issuer_template,
                                        const char        *tenant,
                                        GError           **error);
gboolean    lk_redirect_check_admin_consent (const LkRedirect *self,
                                        const char        *expected_state,
                                        GError           **error);
void        lk_redirect_free           (LkRedirect        *self);
gboolean    lk_secret_equal            (const char        *a,
                                        const char        *b);
gboolean    lk_issuer_matches          (const char        *iss,
                                        const char        *issuer_template,
                                        const char        *tenant);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkRedirect, lk_redirect_free)

G_END_DECLS
