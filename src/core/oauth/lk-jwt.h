/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * LkJwtClaims:
 *
 * What diagnostics want from an access token, decoded WITHOUT verifying the
 * signature: never base a security decision on it. Every field is nullable;
 * @aud and @roles may have several values (space-joined in @aud).
 */
typedef struct
{
  char   *aud;                 /* audience; several joined by spaces */
  char   *scp;                 /* delegated scopes, space-separated */
  char  **roles;               /* app-only permissions */
  char   *upn;
  char   *unique_name;
  char   *preferred_username;
  char   *email;
  char   *tid;
  char   *iss;
  char   *appid;               /* appid (v1) or azp (v2) */
  gint64  exp;                 /* 0 when absent */
} LkJwtClaims;

LkJwtClaims *lk_jwt_claims_decode  (const char  *token) G_GNUC_WARN_UNUSED_RESULT;
void         lk_jwt_claims_free    (LkJwtClaims *self);
JsonObject  *lk_jwt_decode_payload (const char  *token) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkJwtClaims, lk_jwt_claims_free)

G_END_DECLS
