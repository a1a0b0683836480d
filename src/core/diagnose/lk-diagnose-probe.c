/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-diagnose"

#include "config.h"

#include "diagnose/lk-diagnose-probe.h"
#include "diagnose/lk-diagnose.h"
#include "oauth/lk-jwt.h"

/**
 * lk_diagnose_probe:
 * @access_token: (nullable): the token the probe used; its claims (never
 *   the token itself) narrow the diagnosis down
 *
 * The diagnosis of a failed probe, with everything the probe and the token
 * know filled in. The CLI and the GUI both use this.
 *
 * Returns: (transfer full) (nullable): NULL when @result is ok or was
 *   cancelled
 */
LkDiagnosis *
lk_diagnose_probe (const LkProbeResult *result,
                   LkAccount           *account,
                   const char          *access_token)
{
  LkDiagnoseInput input = { 0 };
  g_autoptr(LkJwtClaims) claims = NULL;
  g_autofree char *roles = NULL;

  if (result->ok || result->error == NULL)
    return NULL;

  input.error = result->error;
  input.phase = LK_DIAGNOSE_PHASE_PROBE;
  input.protocol = result->protocol;
  input.account = account;
  input.server_reply = result->last_reply;
  input.challenge = result->challenge;
  input.host = result->host;
  input.tls_subject = result->cert_subject;
  input.tls_fingerprint = result->cert_sha256;
  if (result->cert_not_after != NULL)
    input.tls_not_after = g_date_time_to_unix (result->cert_not_after);

  claims = access_token != NULL ? lk_jwt_claims_decode (access_token) : NULL;
  if (claims != NULL)
    {
      input.claim_aud = claims->aud;
      input.claim_scp = claims->scp;
      input.claim_upn = claims->upn != NULL ? claims->upn
                        : claims->unique_name != NULL ? claims->unique_name : claims->email;
      input.claim_tid = claims->tid;
      if (claims->roles != NULL)
        input.claim_roles = roles = g_strjoinv (" ", claims->roles);
    }
  return lk_diagnose (&input);
}
