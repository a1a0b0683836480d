/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Microsoft identity platform's AADSTS codes (doc/protocols.md A6;
 * https://learn.microsoft.com/entra/identity-platform/reference-error-codes):
 * one row per code or group of codes. Add a code by adding a row; what
 * depends on the account (addresses, the client id, the tenant) goes into
 * the row's complete() function. */
#define G_LOG_DOMAIN "latchkey-diagnose"

#include "config.h"

#include "diagnose/lk-diagnose-private.h"

typedef struct
{
  guint        codes[4];
  const char  *slug;           /* the id is "aadsts-<code>-<slug>"; NULL: not explained here */
  LkFixer      fixer;
  LkConfidence confidence;
  const char  *title;          /* N_() */
  const char  *explanation;    /* N_(); NULL when complete() writes it */
  const char  *steps[3];       /* N_(), after complete()'s own */
  const char  *portal_path;    /* N_() */
  void       (*complete) (const LkDiagnoseContext *ctx,
                          guint                    code,
                          LkDiagnosis             *d);
} AadstsRule;

/* ---- what depends on the account -------------------------------------- */

static void
add_consent_fix (const LkDiagnoseContext *ctx,
                 LkDiagnosis             *d)
{
  const char *client_id = lk_diagnose_pick_client_id (ctx);

  g_free (d->url);
  d->url = lk_diagnose_admin_consent_link (ctx);
  if (d->url != NULL)
    lk_diagnosis_add_step (d, _("An administrator of the organisation opens the admin consent link "
                                "below, signs in and accepts; then sign in again in Latchkey."));
  else
    lk_diagnosis_add_step (d, _("An administrator grants consent to the app for the whole "
                                "organisation; then sign in again in Latchkey."));
  if (client_id != NULL)
    lk_diagnose_set_portal_printf (d, _("Microsoft Entra admin center → Enterprise applications "
                                        "→ the app with client id %s → Permissions → Grant admin "
                                        "consent"), client_id);
}

static void
set_explanation (LkDiagnosis *d,
                 char        *explanation)
{
  g_free (d->explanation);
  d->explanation = explanation;
}

/* The URI to register: Entra ignores the port of a localhost redirect
 * (doc/protocols.md A7), so register it without the port. */
static char *
redirect_to_register (const char *sent)
{
  g_autoptr(GUri) uri = NULL;

  if (sent == NULL)
    return g_strdup ("http://localhost");
  uri = g_uri_parse (sent, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return g_strdup (sent);
  if (g_ascii_strcasecmp (g_uri_get_host (uri), "localhost") == 0)
    {
      const char *path = g_uri_get_path (uri);

      return g_strdup_printf ("%s://localhost%s", g_uri_get_scheme (uri),
                              g_strcmp0 (path, "/") == 0 ? "" : path);
    }
  return g_uri_to_string_partial (uri, G_URI_HIDE_QUERY | G_URI_HIDE_FRAGMENT);
}

static void
complete_redirect_uri (const LkDiagnoseContext *ctx,
                       guint                    code,
                       LkDiagnosis             *d)
{
  g_autofree char *uri = redirect_to_register (ctx->in->redirect_uri);

  set_explanation (d, g_strdup_printf (_("Microsoft refused the redirect address %s because the "
                                         "app registration does not list it. The address must be "
                                         "registered exactly, path and case included; the port "
                                         "does not matter for localhost."),
                                       ctx->in->redirect_uri != NULL ? ctx->in->redirect_uri : uri));
  lk_diagnose_add_step_printf (d, _("Add the redirect URI %s under the platform “Mobile and "
                                    "desktop applications” (not “Web”) and save."), uri);
  if (g_str_has_prefix (uri, "http://127.0.0.1"))
    lk_diagnosis_add_step (d, _("The portal does not accept 127.0.0.1 in that box: add it to "
                                "replyUrlsWithType in the app's Manifest, or set the profile's "
                                "redirect host to localhost."));
  else if (g_str_has_prefix (uri, "http://[::1]"))
    lk_diagnosis_add_step (d, _("Microsoft does not support [::1] as a redirect address: set "
                                "the profile's redirect host to localhost."));
  d->portal_path = lk_diagnose_app_registration_portal (ctx, _("Authentication"));
}

/* After an interactive sign-in the user saw (or was refused) the consent
 * prompt; on refresh, signing in again usually fixes it. */
static void
complete_consent (const LkDiagnoseContext *ctx,
                  guint                    code,
                  LkDiagnosis             *d)
{
  if (ctx->in->phase == LK_DIAGNOSE_PHASE_REFRESH)
    {
      d->fixer = LK_FIXER_USER;
      lk_diagnosis_add_step (d, _("Sign in again in Latchkey and accept the permissions "
                                  "Microsoft asks for."));
      lk_diagnosis_add_step (d, _("If Microsoft says you cannot consent yourself, ask your "
                                  "administrator to grant consent:"));
    }
  add_consent_fix (ctx, d);
}

static void
complete_admin_consent (const LkDiagnoseContext *ctx,
                        guint                    code,
                        LkDiagnosis             *d)
{
  add_consent_fix (ctx, d);
}

static void
complete_app_not_found (const LkDiagnoseContext *ctx,
                        guint                    code,
                        LkDiagnosis             *d)
{
  const char *client_id = lk_diagnose_pick_client_id (ctx);
  const char *tenant = lk_diagnose_pick_tenant (ctx);

  set_explanation (d, g_strdup_printf (_("Microsoft found no app with client id %s in the "
                                         "directory %s. Either the client id is wrong, or the app "
                                         "is registered in another organisation as single-tenant."),
                                       client_id != NULL ? client_id : "?",
                                       tenant != NULL ? tenant : "?"));
  d->portal_path = lk_diagnose_app_registration_portal (ctx, _("Authentication → Supported "
                                                              "account types"));
}

static void
complete_single_tenant (const LkDiagnoseContext *ctx,
                        guint                    code,
                        LkDiagnosis             *d)
{
  const char *domain = lk_diagnose_email_domain (ctx->mailbox);

  if (domain != NULL)
    lk_diagnose_add_step_printf (d, _("Set the account's tenant to your organisation's domain "
                                      "(%s) or tenant id, then sign in again."), domain);
  else
    lk_diagnosis_add_step (d, _("Set the account's tenant to your organisation's domain or "
                                "tenant id, then sign in again."));
  d->portal_path = lk_diagnose_app_registration_portal (ctx, _("Authentication → Supported "
                                                              "account types"));
}

static void
complete_public_client (const LkDiagnoseContext *ctx,
                        guint                    code,
                        LkDiagnosis             *d)
{
  d->portal_path = lk_diagnose_app_registration_portal (ctx, _("Authentication → Advanced "
                                                              "settings → Allow public client "
                                                              "flows"));
}

static void
complete_public_client_secret (const LkDiagnoseContext *ctx,
                               guint                    code,
                               LkDiagnosis             *d)
{
  gboolean profile_secret = ctx->account != NULL &&
                            ctx->account->provider->client_secret != NULL &&
                            ctx->account->flow != LK_FLOW_APP_ONLY;

  d->fixer = profile_secret ? LK_FIXER_USER : LK_FIXER_LATCHKEY;
  if (profile_secret)
    lk_diagnosis_add_step (d, _("Remove “client_secret” from the provider profile, then sign in "
                                "again."));
  else
    lk_diagnosis_add_step (d, _("Report this to Latchkey's developers."));
}

static void
complete_mfa (const LkDiagnoseContext *ctx,
              guint                    code,
              LkDiagnosis             *d)
{
  if (code == 50079)
    {
      g_free (d->title);
      d->title = g_strdup (_("You must set up multi-factor authentication"));
    }
}

static void
complete_sign_in_again (const LkDiagnoseContext *ctx,
                        guint                    code,
                        LkDiagnosis             *d)
{
  const char *why = code == 700082 ? _("The saved sign-in was not used for too long and "
                                       "Microsoft let it expire.")
                  : code == 50173 ? _("The saved sign-in was revoked, for example after a "
                                      "password change.")
                  : code == 70043 ? _("Your organisation requires signing in again after a set "
                                      "time.")
                  : _("The saved sign-in has expired or was revoked.");

  set_explanation (d, g_strdup (why));
}

static void
complete_scope (const LkDiagnoseContext *ctx,
                guint                    code,
                LkDiagnosis             *d)
{
  const char *scope = ctx->in->scope;

  set_explanation (d, g_strdup_printf (_("Microsoft refused the permissions asked for (%s). One "
                                         "sign-in can cover only one service: the Outlook "
                                         "permissions for IMAP, POP and SMTP cannot be mixed with "
                                         "Microsoft Graph ones such as User.Read."),
                                       scope != NULL ? scope : _("not recorded")));
}

static void
complete_no_exchange (const LkDiagnoseContext *ctx,
                      guint                    code,
                      LkDiagnosis             *d)
{
  const char *tenant = lk_diagnose_pick_tenant (ctx);

  set_explanation (d, g_strdup_printf (_("The directory %s has no Exchange Online service to "
                                         "grant mail access for. Likely the tenant is wrong, or "
                                         "the organisation has no Exchange Online licence."),
                                       tenant != NULL ? tenant : "?"));
}

static void
complete_tenant_not_found (const LkDiagnoseContext *ctx,
                           guint                    code,
                           LkDiagnosis             *d)
{
  const char *tenant = ctx->account != NULL ? lk_account_get_tenant (ctx->account) : NULL;

  set_explanation (d, g_strdup_printf (_("Microsoft knows no organisation called %s. The domain "
                                         "may not be registered with Microsoft Entra, or it lives "
                                         "in another cloud (US Government, China)."),
                                       tenant != NULL ? tenant : "?"));
}

/* ---- the catalogue ---------------------------------------------------- */

static const AadstsRule rules[] = {
  { { 50011 }, "redirect-uri", LK_FIXER_APP_OWNER, LK_CONFIDENCE_CERTAIN,
    N_("The app registration does not accept Latchkey's redirect address"), NULL,
    { N_("Sign in again in Latchkey.") }, NULL, complete_redirect_uri },

  { { 65001 }, "consent", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
    N_("Nobody has consented to Latchkey reading this mailbox"),
    N_("Microsoft has no record that you or an administrator allowed this app to use your "
       "mailbox over IMAP, POP or SMTP. Organisations often block users from consenting "
       "themselves; then an administrator must consent once for everyone."),
    { NULL }, NULL, complete_consent },

  { { 90094, 90095 }, "admin-consent", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
    N_("An administrator must approve the app first"),
    N_("Your organisation lets only administrators allow apps to read mail. Until an "
       "administrator consents to this app (client id) for the organisation, nobody there can "
       "sign in with it."),
    { NULL }, NULL, complete_admin_consent },

  { { 700016 }, "app-not-found", LK_FIXER_APP_OWNER, LK_CONFIDENCE_CERTAIN,
    N_("The app (client id) is not known in this organisation"), NULL,
    { N_("Check the client id in the account or the organisation profile against the app "
         "registration's “Application (client) ID”."),
      N_("If the app belongs to another organisation, its owner sets “Supported account types” "
         "to accounts in any organizational directory (and personal Microsoft accounts, for "
         "Outlook.com).") },
    NULL, complete_app_not_found },

  { { 50194 }, "single-tenant-app", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
    N_("This app can only sign in through its own organisation"),
    N_("The app is registered as single-tenant, but Latchkey asked Microsoft's shared “common” "
       "or “organizations” endpoint, which such apps cannot use."),
    { N_("Or the app's owner makes it multi-tenant under “Supported account types”.") },
    NULL, complete_single_tenant },

  { { 7000218 }, "public-client", LK_FIXER_APP_OWNER, LK_CONFIDENCE_CERTAIN,
    N_("The app registration does not allow public client flows"),
    N_("Microsoft treats the app as one that keeps a secret, so it refused a sign-in without "
       "one. Desktop apps like Latchkey and the device code sign-in need “Allow public client "
       "flows” turned on."),
    { N_("Set “Allow public client flows” to Yes and save."),
      N_("Sign in again in Latchkey.") },
    NULL, complete_public_client },

  { { 700025 }, "public-client-secret", LK_FIXER_LATCHKEY, LK_CONFIDENCE_CERTAIN,
    N_("A client secret was sent for a public app"),
    N_("The app is registered as a public client, and Microsoft refuses a client secret from "
       "such an app."),
    { NULL }, NULL, complete_public_client_secret },

  { { 50074, 50076, 50079 }, "mfa", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
    N_("Multi-factor authentication is required"),
    N_("Your organisation requires a second factor for this sign-in. Latchkey cannot answer it "
       "in the background; it needs you in the browser."),
    { N_("Sign in again in Latchkey with the browser and complete the second factor.") },
    NULL, complete_mfa },

  { { 53003 }, "conditional-access", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
    N_("Your organisation's Conditional Access policy blocked the sign-in"),
    N_("A Conditional Access policy refused this sign-in (for example because of the device, "
       "the place or the app). Only an administrator can change or exempt it."),
    { N_("Ask your administrator which policy blocked it: the sign-in logs show the policy and "
         "the reason.") },
    N_("Microsoft Entra admin center → Monitoring & health → Sign-in logs → the failed sign-in "
       "→ Conditional Access"), NULL },

  { { 530035 }, "security-defaults", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
    N_("Your organisation's security defaults blocked the sign-in"),
    N_("The organisation uses Microsoft's security defaults, which refused this sign-in. Only "
       "an administrator can change that."),
    { N_("Ask your administrator to review the security defaults (or replace them with "
         "Conditional Access policies that allow this app).") },
    N_("Microsoft Entra admin center → Overview → Properties → Manage security defaults"), NULL },

  { { 700082, 70008, 50173, 70043 }, "sign-in-again", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
    N_("Your sign-in has expired"), NULL,
    { N_("Sign in again in Latchkey.") }, NULL, complete_sign_in_again },

  { { 70011, 700022 }, "scope", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
    N_("The permissions asked for are not valid together"), NULL,
    { N_("Make the provider profile ask only for https://outlook.office.com/… scopes (and "
         "offline_access), then sign in again.") },
    NULL, complete_scope },

  { { 501481 }, "pkce", LK_FIXER_LATCHKEY, LK_CONFIDENCE_CERTAIN,
    N_("The sign-in's proof key did not match"),
    N_("Microsoft found that the PKCE code verifier does not match the challenge sent at the "
       "start of the sign-in. This is a bug in Latchkey."),
    { N_("Sign in again; if it happens again, report it to Latchkey's developers.") },
    NULL, NULL },

  { { 54005 }, "code-redeemed", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
    N_("This sign-in was already used"),
    N_("The authorization code had already been exchanged once; a code works only once."),
    { N_("Sign in again; if it happens again, report it to Latchkey's developers.") },
    NULL, NULL },

  { { 500011 }, "no-exchange", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_LIKELY,
    N_("This organisation does not use Exchange Online"), NULL,
    { N_("Check the account's tenant and address."),
      N_("If they are right, ask your administrator whether mailboxes are in Exchange Online "
         "(Microsoft 365).") },
    NULL, complete_no_exchange },

  { { 90002 }, "tenant-not-found", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
    N_("Microsoft does not know this organisation"), NULL,
    { N_("Check the account's tenant (a domain such as contoso.onmicrosoft.com or the tenant "
         "id), or use the provider profile for your organisation's cloud.") },
    NULL, complete_tenant_not_found },

  /* The user (or an administrator, for admin consent) declined the consent
   * prompt: the plain OAuth "access_denied" explains it (lk-diagnose-oauth.c). */
  { { 65004 }, NULL },
};

static const AadstsRule *
find_rule (guint code)
{
  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    for (guint j = 0; j < G_N_ELEMENTS (rules[i].codes) && rules[i].codes[j] != 0; j++)
      if (rules[i].codes[j] == code)
        return &rules[i];
  return NULL;
}

/**
 * lk_diagnose_microsoft:
 *
 * Returns: (nullable): the diagnosis of the AADSTS code in @ctx; an honest
 *   "unrecognised" one for a code not in the catalogue, with the link to
 *   Microsoft's explanation
 */
LkDiagnosis *
lk_diagnose_microsoft (const LkDiagnoseContext *ctx)
{
  guint code = ctx->aadsts;
  const AadstsRule *rule = find_rule (code);
  g_autofree char *id = NULL;
  LkDiagnosis *d;

  if (rule == NULL)
    {
      g_autofree char *title = g_strdup_printf (_("Microsoft refused the sign-in (AADSTS%u)"), code);

      d = lk_diagnose_new (ctx, "unrecognised", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN, title,
                           _("Latchkey does not know this Microsoft error code. Microsoft's own "
                             "words are below; the link explains the code."));
      d->url = g_strdup_printf ("https://login.microsoftonline.com/error?code=%u", code);
      return d;
    }
  if (rule->slug == NULL)
    return NULL;

  id = g_strdup_printf ("aadsts-%u-%s", code, rule->slug);
  d = lk_diagnose_new (ctx, id, rule->fixer, rule->confidence, _(rule->title),
                       rule->explanation != NULL ? _(rule->explanation) : "");
  if (rule->complete != NULL)
    rule->complete (ctx, code, d);
  for (guint i = 0; i < G_N_ELEMENTS (rule->steps) && rule->steps[i] != NULL; i++)
    lk_diagnosis_add_step (d, _(rule->steps[i]));
  if (rule->portal_path != NULL && d->portal_path == NULL)
    d->portal_path = g_strdup (_(rule->portal_path));
  return d;
}
