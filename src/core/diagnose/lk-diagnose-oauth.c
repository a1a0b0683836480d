/* SPDX-License-Identifier: GPL-3.0-or-later */
/* OAuth errors without an AADSTS number (RFC 6749 §5.2, RFC 8628 §3.5,
 * Google's; doc/protocols.md B) and Latchkey's own sign-in errors: one row
 * per error, in the order they are tried. A row matches the OAuth "error"
 * it names or the LK_ERROR code it names, then its when() test if it has
 * one. */
#define G_LOG_DOMAIN "latchkey-diagnose"

#include "config.h"

#include "diagnose/lk-diagnose-private.h"

#define DAY (24 * 60 * 60)
#define NO_CODE (-1)

typedef struct
{
  const char                *oauth_errors[2];  /* the "error" values this row explains */
  int                        lk_code;          /* or this LK_ERROR code; NO_CODE for none */
  gboolean                 (*when) (const LkDiagnoseContext *ctx);
  const LkDiagnosisTemplate *diagnosis;
} OAuthRule;

/* ---- the diagnoses ---------------------------------------------------- */

static const LkDiagnosisTemplate access_denied = {
  "access-denied", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
  N_("The sign-in was declined"),
  N_("The sign-in page reported that access was declined: you pressed Cancel or Decline, or a "
     "policy of the provider said no."),
  { N_("Sign in again and accept the permissions asked for."),
    N_("If you did accept, ask your administrator whether a policy blocks the app.") },
};

/* Google expires refresh tokens of apps in "Testing" after 7 days
 * (doc/protocols.md B). The age fits that, but so could a revocation. */
static const LkDiagnosisTemplate google_testing_refresh_expiry = {
  "google-testing-refresh-expiry", LK_FIXER_APP_OWNER, LK_CONFIDENCE_LIKELY,
  N_("Your Google sign-in likely expired after 7 days"),
  N_("Google refused the saved sign-in about seven days after you signed in. That is likely "
     "because the app's OAuth consent screen is still in “Testing”, where Google lets sign-ins "
     "expire after 7 days. It could also have been revoked or your password changed."),
  { N_("Sign in again in Latchkey (that works for another 7 days)."),
    N_("For good, the app's owner publishes the app (“In production”).") },
  N_("Google Cloud console → APIs & Services → OAuth consent screen → Publishing status"),
};

static const LkDiagnosisTemplate refresh_token_refused = {
  "refresh-token-refused", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
  N_("Your sign-in is no longer valid"),
  N_("The provider refused the saved sign-in. That happens when it expires, when you change "
     "your password, or when access is revoked."),
  { N_("Sign in again in Latchkey.") },
};

static const LkDiagnosisTemplate sign_in_timed_out = {
  "sign-in-timed-out", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
  N_("The sign-in took too long"),
  N_("The code for this sign-in ran out before the sign-in was completed."),
  { N_("Start the sign-in again and complete it within a few minutes.") },
};

static const LkDiagnosisTemplate google_invalid_client = {
  "google-invalid-client", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
  N_("Google does not accept the app's client id or secret"),
  N_("Google refused the OAuth client. The client id may be wrong or deleted, or the client "
     "secret is missing or wrong: Google requires the secret even for desktop apps."),
  { N_("Copy the client id and the client secret of an OAuth client of type “Desktop app” into "
       "the provider profile or the account."),
    N_("Sign in again.") },
  N_("Google Cloud console → APIs & Services → Credentials"),
};

static const LkDiagnosisTemplate google_device_flow_gmail = {
  "google-device-flow-gmail", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
  N_("Gmail cannot be signed in with a device code"),
  N_("Google does not allow mail access (https://mail.google.com/) through the device code "
     "sign-in."),
  { N_("Sign in with the browser instead. On a machine without one, copy the sign-in link to a "
       "browser elsewhere.") },
};

static const LkDiagnosisTemplate needs_sign_in = {
  "needs-sign-in", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
  N_("The account needs you to sign in"),
  N_("There is no valid saved sign-in for this account."),
  { N_("Sign in again in Latchkey.") },
};

static const LkDiagnosisTemplate state_mismatch = {
  "state-mismatch", LK_FIXER_USER, LK_CONFIDENCE_LIKELY,
  N_("The browser returned from another sign-in"),
  N_("The answer that reached Latchkey does not belong to this sign-in, likely from an older "
     "browser tab. Latchkey ignored it for safety."),
  { N_("Close old sign-in tabs and sign in again.") },
};

/* ---- when a row applies ----------------------------------------------- */

static gboolean
is_google_testing_expiry (const LkDiagnoseContext *ctx)
{
  gint64 age = ctx->in->signed_in_at > 0 ? ctx->now - ctx->in->signed_in_at : -1;

  return ctx->google && ctx->in->phase == LK_DIAGNOSE_PHASE_REFRESH &&
         age >= 6 * DAY + DAY / 2 && age <= 8 * DAY;
}

/* At sign-in, invalid_grant is about the code, not a saved sign-in. */
static gboolean
is_saved_sign_in (const LkDiagnoseContext *ctx)
{
  return ctx->in->phase != LK_DIAGNOSE_PHASE_SIGN_IN;
}

static gboolean
is_google_client (const LkDiagnoseContext *ctx)
{
  return ctx->google &&
         (g_strcmp0 (ctx->oauth_error, "invalid_client") == 0 ||
          lk_diagnose_contains_ci (ctx->description, "client_secret"));
}

static gboolean
is_google_device_flow (const LkDiagnoseContext *ctx)
{
  return ctx->google &&
         (lk_diagnose_contains_ci (ctx->description, "device") ||
          (ctx->account != NULL && ctx->account->flow == LK_FLOW_DEVICE));
}

/* ---- the catalogue ---------------------------------------------------- */

static const OAuthRule rules[] = {
  { { "access_denied", "authorization_declined" }, LK_ERROR_AUTHORIZATION_DENIED, NULL,
    &access_denied },
  { { "invalid_grant" }, LK_ERROR_INVALID_GRANT, is_google_testing_expiry,
    &google_testing_refresh_expiry },
  { { "invalid_grant" }, LK_ERROR_INVALID_GRANT, is_saved_sign_in, &refresh_token_refused },
  { { "expired_token" }, LK_ERROR_EXPIRED, NULL, &sign_in_timed_out },
  { { "invalid_client", "invalid_request" }, NO_CODE, is_google_client, &google_invalid_client },
  { { "invalid_scope" }, NO_CODE, is_google_device_flow, &google_device_flow_gmail },
  { { NULL }, LK_ERROR_NEEDS_SIGN_IN, NULL, &needs_sign_in },
  { { NULL }, LK_ERROR_STATE_MISMATCH, NULL, &state_mismatch },
};

static gboolean
rule_matches (const OAuthRule         *rule,
              const LkDiagnoseContext *ctx)
{
  gboolean named = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (rule->oauth_errors) && rule->oauth_errors[i] != NULL; i++)
    named |= g_strcmp0 (ctx->oauth_error, rule->oauth_errors[i]) == 0;
  if (rule->lk_code != NO_CODE)
    named |= g_error_matches (ctx->in->error, LK_ERROR, rule->lk_code);
  return named && (rule->when == NULL || rule->when (ctx));
}

/**
 * lk_diagnose_oauth:
 *
 * Returns: (nullable): the diagnosis of @ctx's OAuth error or sign-in
 *   error, or %NULL when no row explains it
 */
LkDiagnosis *
lk_diagnose_oauth (const LkDiagnoseContext *ctx)
{
  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    if (rule_matches (&rules[i], ctx))
      return lk_diagnose_from_template (ctx, rules[i].diagnosis);
  return NULL;
}
