/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * LkTestIdp: a strict stand-in for Microsoft's identity platform (Entra ID
 * v2.0 endpoints) on http://127.0.0.1:PORT, for tests. It answers as
 * login.microsoftonline.com does: the same paths, parameters, checks and
 * AADSTS-style errors, and it issues HS256 access tokens that the test
 * Dovecot accepts (tests/lk-test-jwt.h). Every secret it issues carries a
 * leak marker (lkrt_, lkcode_, lkdev_, the JWT header).
 *
 * Endpoints ({tenant} = common, organizations, consumers, a tenant GUID or
 * a known domain such as example.com or contoso.com):
 *   GET  /{tenant}/oauth2/v2.0/authorize
 *   POST /{tenant}/oauth2/v2.0/token
 *   POST /{tenant}/oauth2/v2.0/devicecode
 *   GET  /{tenant}/v2.0/adminconsent
 *   GET  /{tenant}/v2.0/.well-known/openid-configuration
 *   GET, POST /devicelogin          (a form to enter a user code)
 *   POST /_consent                  (the consent form's answer)
 *   /_control/...                   (only after lk_test_idp_set_control_enabled)
 *
 * README.md beside this file lists every check, error and control action.
 *
 * The server runs on the thread-default main context current when
 * lk_test_idp_start() is called; iterate that context for it to answer.
 */

#include <glib-object.h>

G_BEGIN_DECLS

#define LK_TEST_IDP_CLIENT_ID        "lk-test-client"
#define LK_TEST_IDP_DEFAULT_USER     "alice@example.com"
#define LK_TEST_IDP_DEFAULT_ISSUER   "https://issuer.test"
#define LK_TEST_IDP_CONSUMERS_TENANT "9188040d-6c67-4c5b-b112-36a304b66dad"
#define LK_TEST_IDP_EXAMPLE_TENANT   "8f7e3c2a-1b4d-4e5f-9a6b-0c1d2e3f4a5b"
#define LK_TEST_IDP_CONTOSO_TENANT   "4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e"

typedef enum
{
  LK_TEST_IDP_ENDPOINT_AUTHORIZE,
  LK_TEST_IDP_ENDPOINT_TOKEN,
  LK_TEST_IDP_ENDPOINT_DEVICECODE,
  LK_TEST_IDP_ENDPOINT_ADMINCONSENT,
  LK_TEST_IDP_ENDPOINT_DISCOVERY,
  LK_TEST_IDP_N_ENDPOINTS
} LkTestIdpEndpoint;

/* What a fault does to the next requests to one endpoint. */
typedef enum
{
  LK_TEST_IDP_FAULT_NONE,
  LK_TEST_IDP_FAULT_AADSTS,            /* @code: an AADSTS error with the matching `error` */
  LK_TEST_IDP_FAULT_HTTP_500,          /* HTTP 500 with an HTML body */
  LK_TEST_IDP_FAULT_SLOW,              /* @param ms, then answer normally */
  LK_TEST_IDP_FAULT_MALFORMED_JSON,    /* status 200, a truncated JSON body */
  LK_TEST_IDP_FAULT_OVERSIZED,         /* a valid answer padded to 2 MiB */
  LK_TEST_IDP_FAULT_EXPIRES_IN_STRING, /* "expires_in": "3599" */
  LK_TEST_IDP_FAULT_MISSING_FIELD,     /* @field left out (default access_token) */
  LK_TEST_IDP_FAULT_LARGE_TOKENS,      /* access token of @param chars (default 2500) */
  LK_TEST_IDP_FAULT_WRONG_ISS,         /* authorize: redirect with a wrong `iss` */
  LK_TEST_IDP_FAULT_WRONG_STATE,       /* authorize: redirect with a wrong `state` */
  LK_TEST_IDP_FAULT_EXPIRES_IN_VALUE,  /* "expires_in": the integer @field spells */
  LK_TEST_IDP_FAULT_ACCESS_TOKEN,      /* "access_token": @field as it is */
} LkTestIdpFaultKind;

#define LK_TYPE_TEST_IDP (lk_test_idp_get_type ())
G_DECLARE_FINAL_TYPE (LkTestIdp, lk_test_idp, LK, TEST_IDP, GObject)

LkTestIdp  *lk_test_idp_new                      (void) G_GNUC_WARN_UNUSED_RESULT;
void        lk_test_idp_set_port                 (LkTestIdp   *self,
                                                  guint16      port);
gboolean    lk_test_idp_start                    (LkTestIdp   *self,
                                                  GError     **error);
const char *lk_test_idp_get_base_url             (LkTestIdp   *self);

/* Configuration; each may be called at any time. */
void        lk_test_idp_set_jwt_key              (LkTestIdp   *self,
                                                  GBytes      *key);
GBytes     *lk_test_idp_get_jwt_key              (LkTestIdp   *self);
void        lk_test_idp_set_access_token_issuer  (LkTestIdp   *self,
                                                  const char  *issuer);
void        lk_test_idp_set_token_size           (LkTestIdp   *self,
                                                  gsize        size);
void        lk_test_idp_set_access_token_lifetime(LkTestIdp   *self,
                                                  gint64       seconds);
void        lk_test_idp_set_code_lifetime        (LkTestIdp   *self,
                                                  gint64       seconds);
void        lk_test_idp_add_client               (LkTestIdp   *self,
                                                  const char  *client_id,
                                                  const char  *client_secret,
                                                  gboolean     allow_public_client_flows,
                                                  const char * const *app_roles);
void        lk_test_idp_add_redirect_uri         (LkTestIdp   *self,
                                                  const char  *client_id,
                                                  const char  *redirect_uri);
void        lk_test_idp_add_tenant               (LkTestIdp   *self,
                                                  const char  *domain,
                                                  const char  *tenant_guid);
void        lk_test_idp_set_user                 (LkTestIdp   *self,
                                                  const char  *email);
void        lk_test_idp_set_app_mailbox          (LkTestIdp   *self,
                                                  const char  *email);
void        lk_test_idp_set_auto_approve         (LkTestIdp   *self,
                                                  gboolean     auto_approve);
void        lk_test_idp_set_consent_auto_submit  (LkTestIdp   *self,
                                                  gboolean     auto_submit);
void        lk_test_idp_set_issue_iss            (LkTestIdp   *self,
                                                  gboolean     issue_iss);
void        lk_test_idp_set_device_interval      (LkTestIdp   *self,
                                                  guint        seconds);
void        lk_test_idp_set_device_code_lifetime (LkTestIdp   *self,
                                                  gint64       seconds);
void        lk_test_idp_set_single_use_refresh_tokens (LkTestIdp *self,
                                                  gboolean     single_use);
void        lk_test_idp_set_control_enabled      (LkTestIdp   *self,
                                                  gboolean     enabled);

/* Faults: @count requests (-1: until cleared) to @endpoint get @kind.
 * @param is the AADSTS code, the delay in ms or the token size; @field the
 * member to leave out. */
void        lk_test_idp_set_fault                (LkTestIdp          *self,
                                                  LkTestIdpEndpoint   endpoint,
                                                  LkTestIdpFaultKind  kind,
                                                  guint               param,
                                                  const char         *field,
                                                  int                 count);
void        lk_test_idp_clear_faults             (LkTestIdp   *self);
gboolean    lk_test_idp_endpoint_from_string     (const char          *name,
                                                  LkTestIdpEndpoint   *out);
gboolean    lk_test_idp_fault_kind_from_string   (const char          *name,
                                                  LkTestIdpFaultKind  *out);

/* What happened. Counters: "authorize", "token", "token:authorization_code",
 * "token:refresh_token", "token:device_code", "token:client_credentials",
 * "devicecode", "adminconsent", "discovery", "devicelogin", "consent",
 * and "error:<AADSTS code>" for every error answer. */
guint       lk_test_idp_get_count                (LkTestIdp   *self,
                                                  const char  *what);
void        lk_test_idp_reset_counts             (LkTestIdp   *self);
const char *lk_test_idp_get_last_refresh_token_used   (LkTestIdp  *self);
const char *lk_test_idp_get_last_refresh_token_issued (LkTestIdp  *self,
                                                       const char *email);
const char *lk_test_idp_get_last_user_code       (LkTestIdp   *self);
const char *lk_test_idp_get_last_access_token    (LkTestIdp   *self);

/* Actions a person or an administrator would take. */
void        lk_test_idp_revoke_refresh_tokens    (LkTestIdp   *self,
                                                  const char  *email);
gboolean    lk_test_idp_approve_device           (LkTestIdp   *self,
                                                  const char  *user_code,
                                                  const char  *email);
gboolean    lk_test_idp_decline_device           (LkTestIdp   *self,
                                                  const char  *user_code);

G_END_DECLS
