/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "diagnose/lk-diagnosis.h"
#include "lk-protocol.h"
#include "store/lk-account.h"

G_BEGIN_DECLS

typedef enum
{
  LK_DIAGNOSE_PHASE_SIGN_IN,   /* authorization code, device code or client credentials */
  LK_DIAGNOSE_PHASE_REFRESH,   /* refresh token grant */
  LK_DIAGNOSE_PHASE_PROBE,     /* a mail server, see @protocol */
} LkDiagnosePhase;

/**
 * LkDiagnoseInput:
 * @error: what failed: an %LK_ERROR (with lk_error_get_details()),
 *   %G_TLS_ERROR, %G_IO_ERROR or %G_RESOLVER_ERROR, prefixed or not
 * @phase: what was being done
 * @protocol: the mail protocol, for %LK_DIAGNOSE_PHASE_PROBE
 * @account: (nullable): the account: address, login, tenant, client id,
 *   provider, flow
 * @redirect_uri: (nullable): the redirect URI sent (for AADSTS50011)
 * @scope: (nullable): the scopes requested, space-separated
 * @tenant: (nullable): the organisation's tenant id when the account names
 *   none (looked up for the address's domain with
 *   lk_microsoft_tenant_resolve_async(), as the IT tools do)
 * @server_reply: (nullable): the server's last reply; overrides the one in
 *   the error's details
 * @challenge: (nullable): the decoded SASL failure challenge (JSON)
 * @claim_aud, @claim_scp, @claim_roles, @claim_upn, @claim_tid, @claim_oid:
 *   (nullable): the access token's claims, decoded but not verified; @claim_scp
 *   and @claim_roles space-separated
 * @host: (nullable): the server connected to (network and TLS errors)
 * @tls_flags: the certificate's problems, from #GTlsConnection
 * @tls_subject: (nullable): the peer certificate's subject
 * @tls_fingerprint: (nullable): its SHA-256 fingerprint, hex
 * @tls_not_after: its expiry, Unix time; 0 unknown
 * @signed_in_at: when the refresh token was first obtained, Unix time; 0 unknown
 * @now: the current Unix time; 0 for the real one (tests set it)
 *
 * A plain struct the caller fills; zero it first (`LkDiagnoseInput in = { 0 }`)
 * and set what is known. Nothing is copied or kept.
 */
typedef struct
{
  const GError         *error;
  LkDiagnosePhase       phase;
  LkProtocol            protocol;
  LkAccount            *account;
  const char           *redirect_uri;
  const char           *scope;
  const char           *tenant;
  const char           *server_reply;
  const char           *challenge;

  const char           *claim_aud;
  const char           *claim_scp;
  const char           *claim_roles;
  const char           *claim_upn;
  const char           *claim_tid;
  const char           *claim_oid;

  const char           *host;
  GTlsCertificateFlags  tls_flags;
  const char           *tls_subject;
  const char           *tls_fingerprint;
  gint64                tls_not_after;

  gint64                signed_in_at;
  gint64                now;
} LkDiagnoseInput;

LkDiagnosis *lk_diagnose                (const LkDiagnoseInput *input) G_GNUC_WARN_UNUSED_RESULT;
char        *lk_diagnose_admin_consent_url (const LkDiagnoseInput *input) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
