/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "admin/lk-powershell.h"
#include "diagnose/lk-diagnose.h"
#include "lk-error.h"
#include "providers/lk-microsoft.h"

/* Facts from PROTOCOLS.md A3–A7 and B. Each diagnosis says only what the
 * evidence shows: where a cause is inferred rather than stated by the server
 * it is LK_CONFIDENCE_LIKELY and the text says "likely"; anything else is
 * "unrecognised" with the server's own words. */

#define MSA_CONSUMER_TENANT "9188040d-6c67-4c5b-b112-36a304b66dad"
#define DAY (24 * 60 * 60)

typedef struct
{
  const LkDiagnoseInput *in;
  const LkErrorDetails  *details;   /* nullable */
  const char            *reply;     /* nullable: the mail server's last reply */
  const char            *oauth_error;
  const char            *description;
  guint                  aadsts;
  LkAccount             *account;   /* nullable */
  const char            *mailbox;   /* nullable */
  gboolean               microsoft;
  gboolean               google;
  gboolean               personal;  /* Outlook.com / Hotmail */
  gboolean               app_only;
  gint64                 now;
} Ctx;

/* ---- small helpers ---------------------------------------------------- */

static void add_step_printf (LkDiagnosis *d,
                             const char  *format,
                             ...) G_GNUC_PRINTF (2, 3);

static void
add_step_printf (LkDiagnosis *d,
                 const char  *format,
                 ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  lk_diagnosis_add_step (d, text);
}

static void set_portal_printf (LkDiagnosis *d,
                               const char  *format,
                               ...) G_GNUC_PRINTF (2, 3);

static void
set_portal_printf (LkDiagnosis *d,
                   const char  *format,
                   ...)
{
  va_list args;

  va_start (args, format);
  g_free (d->portal_path);
  d->portal_path = g_strdup_vprintf (format, args);
  va_end (args);
}

static gboolean
has_word (const char *list,
          const char *word)
{
  g_auto(GStrv) words = NULL;

  if (list == NULL)
    return FALSE;
  words = g_strsplit_set (list, " ,", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      const char *w = words[i];
      const char *slash = strrchr (w, '/');

      /* "https://outlook.office.com/SMTP.Send" and "SMTP.Send" are the same */
      if (slash != NULL)
        w = slash + 1;
      if (g_ascii_strcasecmp (w, word) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
contains_ci (const char *haystack,
             const char *needle)
{
  g_autofree char *h = NULL;
  g_autofree char *n = NULL;

  if (haystack == NULL)
    return FALSE;
  h = g_utf8_casefold (haystack, -1);
  n = g_utf8_casefold (needle, -1);
  return strstr (h, n) != NULL;
}

static const char *
email_domain (const char *email)
{
  const char *at = email != NULL ? strrchr (email, '@') : NULL;

  return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

/* The tenant to name in URLs and commands: the account's own, else the
 * token's tid, else the address's domain (a verified domain names a tenant
 * too, PROTOCOLS.md A1). */
static const char *
pick_tenant (const Ctx *ctx)
{
  const char *tenant = ctx->account != NULL ? lk_account_get_tenant (ctx->account) : NULL;

  if (!lk_microsoft_tenant_is_placeholder (tenant))
    return tenant;
  if (ctx->in->claim_tid != NULL && *ctx->in->claim_tid != '\0')
    return ctx->in->claim_tid;
  return email_domain (ctx->mailbox);
}

static const char *
pick_client_id (const Ctx *ctx)
{
  return ctx->account != NULL ? lk_account_get_client_id (ctx->account) : NULL;
}

static char *
dup_trimmed (const char *text)
{
  return text != NULL ? g_strstrip (g_strdup (text)) : NULL;
}

static LkDiagnosis *
diag (const Ctx    *ctx,
      const char   *id,
      LkFixer       fixer,
      LkConfidence  confidence,
      const char   *title,
      const char   *explanation)
{
  LkDiagnosis *d = lk_diagnosis_new (id, fixer, confidence, title, explanation);

  if (ctx->reply != NULL)
    d->raw = dup_trimmed (ctx->reply);
  else if (ctx->description != NULL)
    d->raw = dup_trimmed (ctx->description);
  else if (ctx->oauth_error != NULL)
    d->raw = g_strdup (ctx->oauth_error);
  return d;
}

static const char *
protocol_name (LkProtocol protocol)
{
  switch (protocol)
    {
    case LK_PROTOCOL_IMAP: return "IMAP";
    case LK_PROTOCOL_POP: return "POP";
    case LK_PROTOCOL_SMTP: return "SMTP";
    default: return "?";
    }
}

static void
add_exchange_connect (LkDiagnosis *d)
{
  lk_diagnosis_add_step (d, _("In PowerShell, as an Exchange administrator: install the module once "
                              "(Install-Module -Name ExchangeOnlineManagement), then connect and run "
                              "the commands below."));
  lk_diagnosis_add_command (d, "Import-Module ExchangeOnlineManagement");
  lk_diagnosis_add_command (d, "Connect-ExchangeOnline");
}

/* ---- admin consent URL ------------------------------------------------ */

/* The one link (lk_microsoft_admin_consent_url()) for the account's tenant,
 * client id and protocols: the same the IT window and `admin consent-url`
 * give for them. Its redirect is the registered http://localhost, not the
 * sign-in's loopback port, which is closed by the time anyone opens it. */
static char *
admin_consent_url (const Ctx *ctx)
{
  if (ctx->account == NULL)
    return NULL;
  return lk_microsoft_admin_consent_url (ctx->account->provider, pick_tenant (ctx),
                                         pick_client_id (ctx), ctx->account->protocols,
                                         ctx->app_only, NULL, NULL, NULL);
}

/* ---- context ---------------------------------------------------------- */

static void
ctx_init (Ctx                   *ctx,
          const LkDiagnoseInput *in)
{
  LkProvider *provider;

  memset (ctx, 0, sizeof *ctx);
  ctx->in = in;
  ctx->details = lk_error_get_details (in->error);
  ctx->account = in->account;
  ctx->mailbox = in->account != NULL ? lk_account_get_sasl_user (in->account) : NULL;
  ctx->now = in->now != 0 ? in->now : g_get_real_time () / G_USEC_PER_SEC;

  ctx->reply = in->server_reply;
  if (ctx->details != NULL)
    {
      if (ctx->reply == NULL)
        ctx->reply = ctx->details->server_reply;
      ctx->oauth_error = ctx->details->oauth_error;
      ctx->description = ctx->details->oauth_error_description;
      ctx->aadsts = ctx->details->aadsts;
    }
  if (ctx->aadsts == 0)
    ctx->aadsts = lk_error_parse_aadsts (ctx->description);
  if (ctx->aadsts == 0 && in->error != NULL)
    ctx->aadsts = lk_error_parse_aadsts (in->error->message);

  provider = in->account != NULL ? in->account->provider : NULL;
  if (provider != NULL)
    {
      ctx->microsoft = g_strcmp0 (provider->kind, "microsoft") == 0;
      ctx->google = g_strcmp0 (provider->kind, "google") == 0;
      ctx->personal = ctx->microsoft &&
        (g_strcmp0 (provider->id, "outlook") == 0 ||
         g_strcmp0 (lk_account_get_tenant (in->account), "consumers") == 0);
    }
  if (ctx->aadsts != 0)
    ctx->microsoft = TRUE;
  /* Without a profile, Exchange's own wording gives it away (A4, A6). */
  if (provider == NULL && ctx->reply != NULL &&
      (strstr (ctx->reply, "AUTHENTICATE failed.") != NULL ||
       strstr (ctx->reply, "5.7.3 ") != NULL || strstr (ctx->reply, "5.7.139") != NULL ||
       strstr (ctx->reply, "unknown user name or bad password") != NULL))
    ctx->microsoft = TRUE;
  if (g_strcmp0 (in->claim_tid, MSA_CONSUMER_TENANT) == 0)
    ctx->personal = TRUE;
  ctx->app_only = (in->account != NULL && in->account->flow == LK_FLOW_APP_ONLY) ||
                  (in->claim_roles != NULL && in->claim_scp == NULL);
}

/* ---- Microsoft identity platform (PROTOCOLS.md A6) -------------------- */

static char *
aadsts_id (guint        code,
           const char  *slug)
{
  return g_strdup_printf ("aadsts-%u-%s", code, slug);
}

static void
add_consent_fix (const Ctx   *ctx,
                 LkDiagnosis *d)
{
  const char *client_id = pick_client_id (ctx);

  g_free (d->url);
  d->url = admin_consent_url (ctx);
  if (d->url != NULL)
    lk_diagnosis_add_step (d, _("An administrator of the organisation opens the admin consent link "
                                "below, signs in and accepts; then sign in again in Latchkey."));
  else
    lk_diagnosis_add_step (d, _("An administrator grants consent to the app for the whole "
                                "organisation; then sign in again in Latchkey."));
  if (client_id != NULL)
    set_portal_printf (d, _("Microsoft Entra admin center → Enterprise applications → the app "
                            "with client id %s → Permissions → Grant admin consent"), client_id);
}

static char *
app_registration_portal (const Ctx  *ctx,
                         const char *blade)
{
  const char *client_id = pick_client_id (ctx);

  /* Translators: the first %s is a client id (a GUID), the second a page
   * such as "Authentication" in the Entra admin center */
  return g_strdup_printf (_("Microsoft Entra admin center → App registrations → the app with "
                            "client id %s → %s"),
                          client_id != NULL ? client_id : _("(the app's client id)"), blade);
}

/* The URI to register: Entra ignores the port of a localhost redirect
 * (PROTOCOLS.md A7), so register it without the port. */
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

static LkDiagnosis *
diagnose_aadsts (const Ctx *ctx)
{
  guint code = ctx->aadsts;
  g_autofree char *id = NULL;
  LkDiagnosis *d;

  switch (code)
    {
    case 50011:
      {
        g_autofree char *uri = redirect_to_register (ctx->in->redirect_uri);
        g_autofree char *explanation = NULL;

        id = aadsts_id (code, "redirect-uri");
        explanation = g_strdup_printf (_("Microsoft refused the redirect address %s because the app "
                                         "registration does not list it. The address must be "
                                         "registered exactly, path and case included; the port "
                                         "does not matter for localhost."),
                                       ctx->in->redirect_uri != NULL ? ctx->in->redirect_uri : uri);
        d = diag (ctx, id, LK_FIXER_APP_OWNER, LK_CONFIDENCE_CERTAIN,
                  _("The app registration does not accept Latchkey's redirect address"),
                  explanation);
        add_step_printf (d, _("Add the redirect URI %s under the platform “Mobile and desktop "
                              "applications” (not “Web”) and save."), uri);
        if (g_str_has_prefix (uri, "http://127.0.0.1"))
          lk_diagnosis_add_step (d, _("The portal does not accept 127.0.0.1 in that box: add it to "
                                      "replyUrlsWithType in the app's Manifest, or set the profile's "
                                      "redirect host to localhost."));
        else if (g_str_has_prefix (uri, "http://[::1]"))
          lk_diagnosis_add_step (d, _("Microsoft does not support [::1] as a redirect address: set "
                                      "the profile's redirect host to localhost."));
        lk_diagnosis_add_step (d, _("Sign in again in Latchkey."));
        d->portal_path = app_registration_portal (ctx, _("Authentication"));
        return d;
      }

    case 65001:
      {
        /* After an interactive sign-in the user saw (or was refused) the
         * consent prompt; on refresh, signing in again usually fixes it. */
        gboolean admin = ctx->in->phase != LK_DIAGNOSE_PHASE_REFRESH;

        d = diag (ctx, "aadsts-65001-consent",
                  admin ? LK_FIXER_TENANT_ADMIN : LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                  _("Nobody has consented to Latchkey reading this mailbox"),
                  _("Microsoft has no record that you or an administrator allowed this app to use "
                    "your mailbox over IMAP, POP or SMTP. Organisations often block users from "
                    "consenting themselves; then an administrator must consent once for everyone."));
        if (!admin)
          {
            lk_diagnosis_add_step (d, _("Sign in again in Latchkey and accept the permissions "
                                        "Microsoft asks for."));
            lk_diagnosis_add_step (d, _("If Microsoft says you cannot consent yourself, ask your "
                                        "administrator to grant consent:"));
          }
        add_consent_fix (ctx, d);
        return d;
      }

    case 90094:
    case 90095:
      id = aadsts_id (code, "admin-consent");
      d = diag (ctx, id, LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
                _("An administrator must approve the app first"),
                _("Your organisation lets only administrators allow apps to read mail. Until an "
                  "administrator consents to this app (client id) for the organisation, nobody "
                  "there can sign in with it."));
      add_consent_fix (ctx, d);
      return d;

    case 700016:
      {
        g_autofree char *explanation = NULL;
        const char *client_id = pick_client_id (ctx);
        const char *tenant = pick_tenant (ctx);

        id = aadsts_id (code, "app-not-found");
        explanation = g_strdup_printf (_("Microsoft found no app with client id %s in the "
                                         "directory %s. Either the client id is wrong, or the app "
                                         "is registered in another organisation as single-tenant."),
                                       client_id != NULL ? client_id : "?",
                                       tenant != NULL ? tenant : "?");
        d = diag (ctx, id, LK_FIXER_APP_OWNER, LK_CONFIDENCE_CERTAIN,
                  _("The app (client id) is not known in this organisation"), explanation);
        lk_diagnosis_add_step (d, _("Check the client id in the account or the organisation "
                                    "profile against the app registration's “Application (client) ID”."));
        lk_diagnosis_add_step (d, _("If the app belongs to another organisation, its owner sets "
                                    "“Supported account types” to accounts in any organizational "
                                    "directory (and personal Microsoft accounts, for Outlook.com)."));
        d->portal_path = app_registration_portal (ctx, _("Authentication → Supported account types"));
        return d;
      }

    case 50194:
      {
        const char *domain = email_domain (ctx->mailbox);

        id = aadsts_id (code, "single-tenant-app");
        d = diag (ctx, id, LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                  _("This app can only sign in through its own organisation"),
                  _("The app is registered as single-tenant, but Latchkey asked Microsoft's shared "
                    "“common” or “organizations” endpoint, which such apps cannot use."));
        if (domain != NULL)
          add_step_printf (d, _("Set the account's tenant to your organisation's domain (%s) or "
                                "tenant id, then sign in again."), domain);
        else
          lk_diagnosis_add_step (d, _("Set the account's tenant to your organisation's domain or "
                                      "tenant id, then sign in again."));
        lk_diagnosis_add_step (d, _("Or the app's owner makes it multi-tenant under “Supported "
                                    "account types”."));
        d->portal_path = app_registration_portal (ctx, _("Authentication → Supported account types"));
        return d;
      }

    case 7000218:
      id = aadsts_id (code, "public-client");
      d = diag (ctx, id, LK_FIXER_APP_OWNER, LK_CONFIDENCE_CERTAIN,
                _("The app registration does not allow public client flows"),
                _("Microsoft treats the app as one that keeps a secret, so it refused a sign-in "
                  "without one. Desktop apps like Latchkey and the device code sign-in need "
                  "“Allow public client flows” turned on."));
      lk_diagnosis_add_step (d, _("Set “Allow public client flows” to Yes and save."));
      lk_diagnosis_add_step (d, _("Sign in again in Latchkey."));
      d->portal_path = app_registration_portal (ctx, _("Authentication → Advanced settings → "
                                                       "Allow public client flows"));
      return d;

    case 700025:
      {
        gboolean profile_secret = ctx->account != NULL &&
                                  ctx->account->provider->client_secret != NULL &&
                                  ctx->account->flow != LK_FLOW_APP_ONLY;

        id = aadsts_id (code, "public-client-secret");
        d = diag (ctx, id, profile_secret ? LK_FIXER_USER : LK_FIXER_LATCHKEY,
                  LK_CONFIDENCE_CERTAIN,
                  _("A client secret was sent for a public app"),
                  _("The app is registered as a public client, and Microsoft refuses a client "
                    "secret from such an app."));
        if (profile_secret)
          lk_diagnosis_add_step (d, _("Remove “client_secret” from the provider profile, then sign "
                                      "in again."));
        else
          lk_diagnosis_add_step (d, _("Report this to Latchkey's developers."));
        return d;
      }

    case 50074:
    case 50076:
    case 50079:
      id = aadsts_id (code, "mfa");
      d = diag (ctx, id, LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                code == 50079 ? _("You must set up multi-factor authentication")
                              : _("Multi-factor authentication is required"),
                _("Your organisation requires a second factor for this sign-in. Latchkey cannot "
                  "answer it in the background; it needs you in the browser."));
      lk_diagnosis_add_step (d, _("Sign in again in Latchkey with the browser and complete the "
                                  "second factor."));
      return d;

    case 53003:
      id = aadsts_id (code, "conditional-access");
      d = diag (ctx, id, LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
                _("Your organisation's Conditional Access policy blocked the sign-in"),
                _("A Conditional Access policy refused this sign-in (for example because of the "
                  "device, the place or the app). Only an administrator can change or exempt it."));
      lk_diagnosis_add_step (d, _("Ask your administrator which policy blocked it: the sign-in "
                                  "logs show the policy and the reason."));
      d->portal_path = g_strdup (_("Microsoft Entra admin center → Monitoring & health → Sign-in "
                                   "logs → the failed sign-in → Conditional Access"));
      return d;

    case 530035:
      id = aadsts_id (code, "security-defaults");
      d = diag (ctx, id, LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
                _("Your organisation's security defaults blocked the sign-in"),
                _("The organisation uses Microsoft's security defaults, which refused this "
                  "sign-in. Only an administrator can change that."));
      lk_diagnosis_add_step (d, _("Ask your administrator to review the security defaults (or "
                                  "replace them with Conditional Access policies that allow this "
                                  "app)."));
      d->portal_path = g_strdup (_("Microsoft Entra admin center → Overview → Properties → Manage "
                                   "security defaults"));
      return d;

    case 700082:
    case 70008:
    case 50173:
    case 70043:
      id = aadsts_id (code, "sign-in-again");
      d = diag (ctx, id, LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                _("Your sign-in has expired"),
                code == 700082 ? _("The saved sign-in was not used for too long and Microsoft let "
                                   "it expire.")
                : code == 50173 ? _("The saved sign-in was revoked, for example after a password "
                                    "change.")
                : code == 70043 ? _("Your organisation requires signing in again after a set time.")
                : _("The saved sign-in has expired or was revoked."));
      lk_diagnosis_add_step (d, _("Sign in again in Latchkey."));
      return d;

    case 70011:
    case 700022:
      {
        g_autofree char *explanation = NULL;
        const char *scope = ctx->in->scope;

        id = aadsts_id (code, "scope");
        explanation = g_strdup_printf (_("Microsoft refused the permissions asked for (%s). One "
                                         "sign-in can cover only one service: the Outlook "
                                         "permissions for IMAP, POP and SMTP cannot be mixed with "
                                         "Microsoft Graph ones such as User.Read."),
                                       scope != NULL ? scope : _("not recorded"));
        d = diag (ctx, id, LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                  _("The permissions asked for are not valid together"), explanation);
        lk_diagnosis_add_step (d, _("Make the provider profile ask only for "
                                    "https://outlook.office.com/… scopes (and offline_access), "
                                    "then sign in again."));
        return d;
      }

    case 501481:
      id = aadsts_id (code, "pkce");
      d = diag (ctx, id, LK_FIXER_LATCHKEY, LK_CONFIDENCE_CERTAIN,
                _("The sign-in's proof key did not match"),
                _("Microsoft found that the PKCE code verifier does not match the challenge sent "
                  "at the start of the sign-in. This is a bug in Latchkey."));
      lk_diagnosis_add_step (d, _("Sign in again; if it happens again, report it to Latchkey's "
                                  "developers."));
      return d;

    case 54005:
      id = aadsts_id (code, "code-redeemed");
      d = diag (ctx, id, LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                _("This sign-in was already used"),
                _("The authorization code had already been exchanged once; a code works only once."));
      lk_diagnosis_add_step (d, _("Sign in again; if it happens again, report it to Latchkey's "
                                  "developers."));
      return d;

    case 500011:
      {
        const char *tenant = pick_tenant (ctx);
        g_autofree char *explanation = NULL;

        id = aadsts_id (code, "no-exchange");
        explanation = g_strdup_printf (_("The directory %s has no Exchange Online service to grant "
                                         "mail access for. Likely the tenant is wrong, or the "
                                         "organisation has no Exchange Online licence."),
                                       tenant != NULL ? tenant : "?");
        d = diag (ctx, id, LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_LIKELY,
                  _("This organisation does not use Exchange Online"), explanation);
        lk_diagnosis_add_step (d, _("Check the account's tenant and address."));
        lk_diagnosis_add_step (d, _("If they are right, ask your administrator whether mailboxes "
                                    "are in Exchange Online (Microsoft 365)."));
        return d;
      }

    case 90002:
      {
        const char *tenant = ctx->account != NULL ? lk_account_get_tenant (ctx->account) : NULL;
        g_autofree char *explanation = NULL;

        id = aadsts_id (code, "tenant-not-found");
        explanation = g_strdup_printf (_("Microsoft knows no organisation called %s. The domain may "
                                         "not be registered with Microsoft Entra, or it lives in "
                                         "another cloud (US Government, China)."),
                                       tenant != NULL ? tenant : "?");
        d = diag (ctx, id, LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                  _("Microsoft does not know this organisation"), explanation);
        lk_diagnosis_add_step (d, _("Check the account's tenant (a domain such as "
                                    "contoso.onmicrosoft.com or the tenant id), or use the "
                                    "provider profile for your organisation's cloud."));
        return d;
      }

    case 65004:
      /* The user (or an administrator, for admin consent) declined the
       * consent prompt: the plain OAuth "access_denied" explains it. */
      return NULL;

    default:
      {
        g_autofree char *title = g_strdup_printf (_("Microsoft refused the sign-in (AADSTS%u)"), code);

        d = diag (ctx, "unrecognised", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN, title,
                  _("Latchkey does not know this Microsoft error code. Microsoft's own words are "
                    "below; the link explains the code."));
        d->url = g_strdup_printf ("https://login.microsoftonline.com/error?code=%u", code);
        return d;
      }
    }
}

/* ---- OAuth errors without an AADSTS number ----------------------------- */

static LkDiagnosis *
diagnose_sign_in_again (const Ctx *ctx)
{
  LkDiagnosis *d;

  d = diag (ctx, "refresh-token-refused", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
            _("Your sign-in is no longer valid"),
            _("The provider refused the saved sign-in. That happens when it expires, when you "
              "change your password, or when access is revoked."));
  lk_diagnosis_add_step (d, _("Sign in again in Latchkey."));
  return d;
}

static LkDiagnosis *
diagnose_oauth (const Ctx *ctx)
{
  const char *e = ctx->oauth_error;
  LkDiagnosis *d;

  if (g_strcmp0 (e, "access_denied") == 0 || g_strcmp0 (e, "authorization_declined") == 0 ||
      g_error_matches (ctx->in->error, LK_ERROR, LK_ERROR_AUTHORIZATION_DENIED))
    {
      d = diag (ctx, "access-denied", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                _("The sign-in was declined"),
                _("The sign-in page reported that access was declined: you pressed Cancel or "
                  "Decline, or a policy of the provider said no."));
      lk_diagnosis_add_step (d, _("Sign in again and accept the permissions asked for."));
      lk_diagnosis_add_step (d, _("If you did accept, ask your administrator whether a policy "
                                  "blocks the app."));
      return d;
    }

  if (g_strcmp0 (e, "invalid_grant") == 0 ||
      g_error_matches (ctx->in->error, LK_ERROR, LK_ERROR_INVALID_GRANT))
    {
      gint64 age = ctx->in->signed_in_at > 0 ? ctx->now - ctx->in->signed_in_at : -1;

      /* Google expires refresh tokens of apps in "Testing" after 7 days
       * (PROTOCOLS.md B). The age fits that, but so could a revocation. */
      if (ctx->google && ctx->in->phase == LK_DIAGNOSE_PHASE_REFRESH &&
          age >= 6 * DAY + DAY / 2 && age <= 8 * DAY)
        {
          d = diag (ctx, "google-testing-refresh-expiry", LK_FIXER_APP_OWNER, LK_CONFIDENCE_LIKELY,
                    _("Your Google sign-in likely expired after 7 days"),
                    _("Google refused the saved sign-in about seven days after you signed in. "
                      "That is likely because the app's OAuth consent screen is still in "
                      "“Testing”, where Google lets sign-ins expire after 7 days. It could also "
                      "have been revoked or your password changed."));
          lk_diagnosis_add_step (d, _("Sign in again in Latchkey (that works for another 7 days)."));
          lk_diagnosis_add_step (d, _("For good, the app's owner publishes the app (“In "
                                      "production”)."));
          d->portal_path = g_strdup (_("Google Cloud console → APIs & Services → OAuth consent "
                                       "screen → Publishing status"));
          return d;
        }
      if (ctx->in->phase != LK_DIAGNOSE_PHASE_SIGN_IN)
        return diagnose_sign_in_again (ctx);
    }

  if (g_strcmp0 (e, "expired_token") == 0 ||
      g_error_matches (ctx->in->error, LK_ERROR, LK_ERROR_EXPIRED))
    {
      d = diag (ctx, "sign-in-timed-out", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                _("The sign-in took too long"),
                _("The code for this sign-in ran out before the sign-in was completed."));
      lk_diagnosis_add_step (d, _("Start the sign-in again and complete it within a few minutes."));
      return d;
    }

  if (ctx->google && (g_strcmp0 (e, "invalid_client") == 0 ||
                      (g_strcmp0 (e, "invalid_request") == 0 &&
                       contains_ci (ctx->description, "client_secret"))))
    {
      d = diag (ctx, "google-invalid-client", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                _("Google does not accept the app's client id or secret"),
                _("Google refused the OAuth client. The client id may be wrong or deleted, or the "
                  "client secret is missing or wrong: Google requires the secret even for "
                  "desktop apps."));
      lk_diagnosis_add_step (d, _("Copy the client id and the client secret of an OAuth client of "
                                  "type “Desktop app” into the provider profile or the account."));
      lk_diagnosis_add_step (d, _("Sign in again."));
      d->portal_path = g_strdup (_("Google Cloud console → APIs & Services → Credentials"));
      return d;
    }

  if (ctx->google && g_strcmp0 (e, "invalid_scope") == 0 &&
      (contains_ci (ctx->description, "device") ||
       (ctx->account != NULL && ctx->account->flow == LK_FLOW_DEVICE)))
    {
      d = diag (ctx, "google-device-flow-gmail", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                _("Gmail cannot be signed in with a device code"),
                _("Google does not allow mail access (https://mail.google.com/) through the "
                  "device code sign-in."));
      lk_diagnosis_add_step (d, _("Sign in with the browser instead. On a machine without one, "
                                  "copy the sign-in link to a browser elsewhere."));
      return d;
    }

  return NULL;
}

/* ---- mail servers (PROTOCOLS.md A4, A6) -------------------------------- */

static gboolean
aud_is_outlook (const char *aud)
{
  static const char * const outlook[] = {
    "https://outlook.office.com", "https://outlook.office365.com",
    "https://outlook.office365.us", "https://partner.outlook.cn",
    "00000002-0000-0ff1-ce00-000000000000",
  };
  g_autofree char *trimmed = g_strdup (aud);
  gsize len = strlen (trimmed);

  if (len > 0 && trimmed[len - 1] == '/')
    trimmed[len - 1] = '\0';
  for (guint i = 0; i < G_N_ELEMENTS (outlook); i++)
    if (g_ascii_strcasecmp (trimmed, outlook[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
aud_is_graph (const char *aud)
{
  return g_str_has_prefix (aud, "https://graph.microsoft.com") ||
         g_str_equal (aud, "00000003-0000-0000-c000-000000000000");
}

static LkDiagnosis *
diagnose_wrong_audience (const Ctx *ctx)
{
  g_autofree char *explanation = NULL;
  LkDiagnosis *d;

  explanation = g_strdup_printf (aud_is_graph (ctx->in->claim_aud)
                                 ? _("The access token is for Microsoft Graph (%s), not for "
                                     "Exchange Online, so the mail server refuses it. The scopes "
                                     "asked for lack the https://outlook.office.com/ prefix.")
                                 : _("The access token is for %s, not for Exchange Online, so the "
                                     "mail server refuses it."),
                                 ctx->in->claim_aud);
  d = diag (ctx, "token-wrong-audience", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
            _("The token is meant for another service"), explanation);
  add_step_printf (d, _("Make the provider profile ask for the full scope, e.g. "
                        "https://outlook.office.com/%s, then sign in again."),
                   ctx->in->protocol == LK_PROTOCOL_SMTP ? "SMTP.Send"
                   : ctx->in->protocol == LK_PROTOCOL_POP ? "POP.AccessAsUser.All"
                   : "IMAP.AccessAsUser.All");
  return d;
}

static LkDiagnosis *
diagnose_app_only (const Ctx *ctx)
{
  const char *role = ctx->in->protocol == LK_PROTOCOL_SMTP ? "SMTP.SendAsApp"
                   : ctx->in->protocol == LK_PROTOCOL_POP ? "POP.AccessAsApp"
                   : "IMAP.AccessAsApp";
  const char *client_id = pick_client_id (ctx);
  const char *oid = ctx->in->claim_oid;
  g_autofree char *q_mbx = lk_powershell_quote (ctx->mailbox);
  g_autofree char *q_app = lk_powershell_quote (client_id != NULL ? client_id : "");
  g_autofree char *q_oid = lk_powershell_quote (oid != NULL ? oid
                                                : _("<object id of the Enterprise application>"));
  g_autofree char *explanation = NULL;
  LkDiagnosis *d;

  if (ctx->in->claim_roles != NULL && !has_word (ctx->in->claim_roles, role))
    {
      explanation = g_strdup_printf (_("The app's token carries no %s permission, so Exchange "
                                       "refuses it for %s. The permission must be added to the app "
                                       "(API “Office 365 Exchange Online”, application "
                                       "permission) and an administrator must consent."),
                                     role, protocol_name (ctx->in->protocol));
      d = diag (ctx, "app-only-permission-missing", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
                _("The app has no permission for this protocol"), explanation);
      add_step_printf (d, _("Add the application permission %s of “Office 365 Exchange Online” "
                            "to the app and grant admin consent."), role);
      d->portal_path = app_registration_portal (ctx, _("API permissions"));
      g_free (d->url);
      d->url = admin_consent_url (ctx);
      return d;
    }

  explanation = g_strdup_printf (_("Exchange refused the app's token for %s. The token itself "
                                   "looks right, so likely Exchange does not know the app's "
                                   "service principal, or the service principal has no access to "
                                   "the mailbox (or a new permission has not reached every "
                                   "server yet; that can take a while)."),
                                 ctx->mailbox != NULL ? ctx->mailbox : "?");
  d = diag (ctx, "app-only-mailbox-access", LK_FIXER_MAILBOX_ADMIN, LK_CONFIDENCE_LIKELY,
            _("The app likely has no access to this mailbox"), explanation);
  add_exchange_connect (d);
  lk_diagnosis_add_step (d, _("Check whether the service principal is registered in Exchange; "
                              "if not, register it with the Enterprise application's object id "
                              "(not the App registration's)."));
  lk_diagnosis_add_command (d, "Get-ServicePrincipal | Format-List DisplayName,AppId,ObjectId");
  {
    g_autofree char *new_sp = g_strdup_printf ("New-ServicePrincipal -AppId %s -ObjectId %s",
                                               q_app, q_oid);
    g_autofree char *add_perm = g_strdup_printf ("Add-MailboxPermission -Identity %s -User %s "
                                                 "-AccessRights FullAccess", q_mbx, q_oid);
    g_autofree char *get_perm = g_strdup_printf ("Get-MailboxPermission -Identity %s", q_mbx);

    lk_diagnosis_add_command (d, new_sp);
    lk_diagnosis_add_step (d, _("Give the service principal full access to the mailbox, then "
                                "check it."));
    lk_diagnosis_add_command (d, add_perm);
    lk_diagnosis_add_command (d, get_perm);
  }
  if (oid == NULL)
    lk_diagnosis_add_step (d, _("Replace the placeholder with the object id shown under "
                                "Enterprise applications for this app."));
  lk_diagnosis_add_step (d, _("Wait a little and test again; new permissions can take some time "
                              "to apply."));
  return d;
}

static LkDiagnosis *
diagnose_scope_missing (const Ctx  *ctx,
                        const char *scope)
{
  g_autofree char *explanation = NULL;
  LkDiagnosis *d;

  explanation = g_strdup_printf (_("The access token does not grant %s (it grants: %s), so the "
                                   "server refuses it for %s."),
                                 scope, ctx->in->claim_scp, protocol_name (ctx->in->protocol));
  d = diag (ctx, "token-scope-missing", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
            _("The sign-in did not include permission for this protocol"), explanation);
  add_step_printf (d, _("Sign in again with %s turned on for the account (the profile must ask "
                        "for https://outlook.office.com/%s)."),
                   protocol_name (ctx->in->protocol), scope);
  lk_diagnosis_add_step (d, _("If Microsoft then says an administrator must approve, your "
                              "administrator opens the admin consent link."));
  d->url = admin_consent_url (ctx);
  return d;
}

static LkDiagnosis *
diagnose_shared_mailbox (const Ctx *ctx)
{
  const char *user = ctx->in->claim_upn;
  g_autofree char *q_mbx = lk_powershell_quote (ctx->mailbox);
  g_autofree char *q_user = lk_powershell_quote (user);
  g_autofree char *add = NULL;
  g_autofree char *get = NULL;
  g_autofree char *explanation = NULL;
  LkDiagnosis *d;

  explanation = g_strdup_printf (_("You signed in as %s but asked for the mailbox %s. The token is "
                                   "right, so likely %s has no full access to that (shared) "
                                   "mailbox. It could also be that a permission granted recently "
                                   "has not applied yet."),
                                 user, ctx->mailbox, user);
  d = diag (ctx, "shared-mailbox-no-access", LK_FIXER_MAILBOX_ADMIN, LK_CONFIDENCE_LIKELY,
            _("You likely have no access to this mailbox"), explanation);
  add_exchange_connect (d);
  add_step_printf (d, _("Give %s full access to %s, then check it:"), user, ctx->mailbox);
  add = g_strdup_printf ("Add-MailboxPermission -Identity %s -User %s -AccessRights FullAccess "
                         "-InheritanceType All", q_mbx, q_user);
  get = g_strdup_printf ("Get-MailboxPermission -Identity %s -User %s", q_mbx, q_user);
  lk_diagnosis_add_command (d, add);
  lk_diagnosis_add_command (d, get);
  lk_diagnosis_add_step (d, _("Permissions can take up to an hour to apply; then test again."));
  return d;
}

static LkDiagnosis *
diagnose_protocol_disabled (const Ctx *ctx)
{
  gboolean imap = ctx->in->protocol == LK_PROTOCOL_IMAP;
  const char *name = protocol_name (ctx->in->protocol);
  g_autofree char *explanation = NULL;
  LkDiagnosis *d;

  if (ctx->personal)
    {
      explanation = g_strdup_printf (_("Outlook.com refused the sign-in over %s. For personal "
                                       "Microsoft accounts this is likely because %s access is "
                                       "switched off in Outlook.com's settings (it is off by "
                                       "default)."), name, name);
      d = diag (ctx, "outlook-com-imap-off", LK_FIXER_USER, LK_CONFIDENCE_LIKELY,
                _("IMAP or POP is likely switched off in Outlook.com"), explanation);
      add_step_printf (d, _("In Outlook.com, turn on “Let devices and apps use %s” and save; then "
                            "test again."), name);
      d->portal_path = g_strdup (_("Outlook.com → Settings → Mail → Forwarding and IMAP"));
      return d;
    }

  {
    g_autofree char *q_mbx = lk_powershell_quote (ctx->mailbox);
    g_autofree char *set = g_strdup_printf ("Set-CASMailbox -Identity %s %s $true", q_mbx,
                                            imap ? "-ImapEnabled" : "-PopEnabled");
    g_autofree char *get = g_strdup_printf ("Get-CASMailbox -Identity %s | Format-List %s", q_mbx,
                                            imap ? "ImapEnabled" : "PopEnabled");

    explanation = g_strdup_printf (_("Exchange refused a token that looks right: it is for "
                                     "Exchange Online, grants %s and names the mailbox %s. The "
                                     "likely cause is that %s is turned off for this mailbox."),
                                   imap ? "IMAP.AccessAsUser.All" : "POP.AccessAsUser.All",
                                   ctx->mailbox != NULL ? ctx->mailbox : "?", name);
    d = diag (ctx, imap ? "mailbox-imap-disabled" : "mailbox-pop-disabled",
              LK_FIXER_MAILBOX_ADMIN, LK_CONFIDENCE_LIKELY,
              imap ? _("IMAP is likely turned off for this mailbox")
                   : _("POP is likely turned off for this mailbox"),
              explanation);
    add_exchange_connect (d);
    add_step_printf (d, _("Turn %s on for %s, then check it:"), name, ctx->mailbox);
    lk_diagnosis_add_command (d, set);
    lk_diagnosis_add_command (d, get);
    set_portal_printf (d, _("Exchange admin center → Recipients → Mailboxes → %s → Manage email "
                            "apps settings"), ctx->mailbox);
    return d;
  }
}

/* Exchange answers every token problem with the same words (A6); the
 * token's claims say which it is. */
static LkDiagnosis *
diagnose_auth_rejected (const Ctx *ctx)
{
  const LkDiagnoseInput *in = ctx->in;
  const char *scope = in->protocol == LK_PROTOCOL_SMTP ? "SMTP.Send"
                    : in->protocol == LK_PROTOCOL_POP ? "POP.AccessAsUser.All"
                    : "IMAP.AccessAsUser.All";
  gboolean have_claims = in->claim_aud != NULL || in->claim_scp != NULL || in->claim_roles != NULL;
  LkDiagnosis *d;

  if (ctx->microsoft)
    {
      if (in->claim_aud != NULL && !aud_is_outlook (in->claim_aud))
        return diagnose_wrong_audience (ctx);
      if (ctx->app_only)
        return diagnose_app_only (ctx);
      if (in->claim_scp != NULL && !has_word (in->claim_scp, scope))
        return diagnose_scope_missing (ctx, scope);
      if (in->claim_upn != NULL && ctx->mailbox != NULL &&
          g_ascii_strcasecmp (in->claim_upn, ctx->mailbox) != 0)
        return diagnose_shared_mailbox (ctx);
      /* Outlook.com's tokens cannot be decoded, so no claims there. */
      if ((have_claims || ctx->personal) && in->protocol != LK_PROTOCOL_SMTP)
        return diagnose_protocol_disabled (ctx);

      d = diag (ctx, "exchange-auth-rejected", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN,
                _("Exchange refused the sign-in and does not say why"),
                _("Exchange Online answers every token problem with the same words. Common "
                  "causes: the token is for another service or lacks this protocol's permission; "
                  "the mailbox is not the one signed in (a shared mailbox needs full access); "
                  "the protocol is turned off for the mailbox; for app-only access, the service "
                  "principal is not registered or has no mailbox permission."));
      lk_diagnosis_add_step (d, _("Sign in again in Latchkey and test; the test then reads the "
                                  "token's details and can narrow this down."));
      return d;
    }

  if (in->claim_upn != NULL && ctx->mailbox != NULL &&
      g_ascii_strcasecmp (in->claim_upn, ctx->mailbox) != 0)
    {
      g_autofree char *explanation = g_strdup_printf (_("The server refused the token. It was "
                                                        "issued to %s but used for %s; likely "
                                                        "that user may not open this mailbox."),
                                                      in->claim_upn, ctx->mailbox);

      d = diag (ctx, "mail-auth-user-mismatch", LK_FIXER_MAILBOX_ADMIN, LK_CONFIDENCE_LIKELY,
                _("The token likely belongs to another user"), explanation);
      lk_diagnosis_add_step (d, _("Sign in as the mailbox's own user, or ask the mailbox's "
                                  "administrator for access."));
      return d;
    }

  d = diag (ctx, "mail-auth-rejected", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN,
            _("The mail server refused the token"),
            _("The server refused the sign-in without saying why. The token may have expired or "
              "been revoked, lack the permission the server wants, or belong to another user."));
  if (in->challenge != NULL)
    {
      g_autofree char *explained = g_strdup_printf (_("The server also said: %s"), in->challenge);
      lk_diagnosis_add_step (d, explained);
    }
  lk_diagnosis_add_step (d, _("Sign in again in Latchkey and test."));
  lk_diagnosis_add_step (d, _("If it still fails, show the server's reply below to the mail "
                              "provider."));
  return d;
}

static LkDiagnosis *
diagnose_smtp_auth_disabled (const Ctx *ctx,
                             gboolean   tenant)
{
  g_autofree char *q_mbx = lk_powershell_quote (ctx->mailbox);
  g_autofree char *set_mbx = g_strdup_printf ("Set-CASMailbox -Identity %s "
                                              "-SmtpClientAuthenticationDisabled $false", q_mbx);
  g_autofree char *get_mbx = g_strdup_printf ("Get-CASMailbox -Identity %s | Format-List "
                                              "SmtpClientAuthenticationDisabled", q_mbx);
  LkDiagnosis *d;

  if (tenant)
    {
      d = diag (ctx, "smtp-auth-disabled-tenant", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
                _("Your organisation has turned off SMTP sending for mail apps"),
                _("Exchange Online said that authenticated SMTP (SMTP AUTH) is disabled for the "
                  "whole organisation; organisations created since 2020 start with it off. "
                  "Signing in again will not help."));
      add_exchange_connect (d);
      lk_diagnosis_add_step (d, _("Either turn SMTP AUTH on for the organisation and check it:"));
      lk_diagnosis_add_command (d, "Set-TransportConfig -SmtpClientAuthenticationDisabled $false");
      lk_diagnosis_add_command (d, "Get-TransportConfig | Format-List SmtpClientAuthenticationDisabled");
      add_step_printf (d, _("Or turn it on only for %s (this overrides the organisation's "
                            "setting) and check it:"), ctx->mailbox);
      lk_diagnosis_add_command (d, set_mbx);
      lk_diagnosis_add_command (d, get_mbx);
      d->portal_path = g_strdup (_("Exchange admin center → Settings → Mail flow → “Turn off SMTP "
                                   "AUTH protocol for your organization”"));
      return d;
    }

  d = diag (ctx, "smtp-auth-disabled-mailbox", LK_FIXER_MAILBOX_ADMIN, LK_CONFIDENCE_CERTAIN,
            _("SMTP sending is turned off for this mailbox"),
            _("Exchange Online said that authenticated SMTP (SMTP AUTH) is disabled for this "
              "mailbox. Signing in again will not help."));
  add_exchange_connect (d);
  add_step_printf (d, _("Turn SMTP AUTH on for %s and check it:"), ctx->mailbox);
  lk_diagnosis_add_command (d, set_mbx);
  lk_diagnosis_add_command (d, get_mbx);
  set_portal_printf (d, _("Exchange admin center → Recipients → Mailboxes → %s → Manage email "
                          "apps settings → Authenticated SMTP"), ctx->mailbox);
  return d;
}

static LkDiagnosis *
diagnose_reply (const Ctx *ctx)
{
  const char *r = ctx->reply;
  LkProtocol protocol = ctx->in->protocol;
  LkDiagnosis *d;
  gboolean smtp = g_ascii_isdigit (r[0]) && g_ascii_isdigit (r[1]) && g_ascii_isdigit (r[2]);

  if (smtp && strstr (r, "5.7.139") != NULL)
    {
      if (contains_ci (r, "SmtpClientAuthentication is disabled for the Tenant"))
        return diagnose_smtp_auth_disabled (ctx, TRUE);
      if (contains_ci (r, "SmtpClientAuthentication is disabled for the Mailbox"))
        return diagnose_smtp_auth_disabled (ctx, FALSE);
      if (contains_ci (r, "security defaults"))
        {
          d = diag (ctx, "smtp-auth-security-defaults", LK_FIXER_TENANT_ADMIN,
                    LK_CONFIDENCE_CERTAIN,
                    _("Your organisation's security defaults block SMTP sending"),
                    _("Exchange Online refused SMTP AUTH because the organisation uses Microsoft's "
                      "security defaults, which turn SMTP AUTH off. Signing in again will not "
                      "help."));
          lk_diagnosis_add_step (d, _("Your administrator either turns security defaults off and "
                                      "protects sign-ins with Conditional Access policies "
                                      "instead, or you send mail another way (IMAP and POP are "
                                      "not affected)."));
          d->portal_path = g_strdup (_("Microsoft Entra admin center → Overview → Properties → "
                                       "Manage security defaults"));
          return d;
        }
      if (contains_ci (r, "did not meet the criteria"))
        {
          d = diag (ctx, "smtp-auth-conditional-access", LK_FIXER_TENANT_ADMIN,
                    LK_CONFIDENCE_LIKELY,
                    _("A policy of your organisation likely blocks SMTP sending"),
                    _("Exchange Online said the sign-in did not meet the criteria to be "
                      "authenticated. Likely a Conditional Access policy or the security defaults "
                      "block SMTP AUTH for you."));
          lk_diagnosis_add_step (d, _("Ask your administrator to check the sign-in logs for this "
                                      "sign-in and the policies that applied."));
          d->portal_path = g_strdup (_("Microsoft Entra admin center → Monitoring & health → "
                                       "Sign-in logs"));
          return d;
        }
      return diagnose_auth_rejected (ctx);
    }

  if (smtp && g_str_has_prefix (r, "550") && strstr (r, "5.7.30") != NULL)
    {
      d = diag (ctx, "smtp-basic-auth-retired", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                _("The mail app still signs in with a password"),
                _("Exchange Online no longer accepts a password (basic authentication) for "
                  "sending mail. The app must sign in with OAuth2 (XOAUTH2) instead."));
      lk_diagnosis_add_step (d, _("Set the mail app up with Latchkey's export, which makes it "
                                  "use XOAUTH2 with a token from latchkey-cli."));
      return d;
    }

  if (smtp && g_str_has_prefix (r, "530") && strstr (r, "5.7.57") != NULL)
    {
      d = diag (ctx, "smtp-not-authenticated", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                _("The mail app sent mail without signing in"),
                _("The server got a message before the app had signed in (no successful AUTH), "
                  "so it refused to send it."));
      lk_diagnosis_add_step (d, _("Turn on authentication (XOAUTH2) in the mail app's SMTP "
                                  "settings, or set it up with Latchkey's export."));
      return d;
    }

  if ((smtp && (g_str_has_prefix (r, "535") || g_str_has_prefix (r, "534"))) ||
      (protocol == LK_PROTOCOL_IMAP && (contains_ci (r, "AUTHENTICATE failed") ||
                                        strstr (r, "[AUTHENTICATIONFAILED]") != NULL)) ||
      (g_str_has_prefix (r, "-ERR") && (contains_ci (r, "Authentication fail") ||
                                        strstr (r, "[AUTH]") != NULL)))
    return diagnose_auth_rejected (ctx);

  return NULL;
}

/* ---- network and TLS --------------------------------------------------- */

static const char *
pick_host (const Ctx *ctx)
{
  if (ctx->in->host != NULL)
    return ctx->in->host;
  if (ctx->in->phase == LK_DIAGNOSE_PHASE_PROBE && ctx->account != NULL)
    {
      const LkServer *server = lk_provider_get_server (ctx->account->provider, ctx->in->protocol);

      if (server != NULL)
        return server->host;
    }
  return NULL;
}

static LkDiagnosis *
diagnose_tls (const Ctx *ctx)
{
  const LkDiagnoseInput *in = ctx->in;
  const char *host = pick_host (ctx);
  GTlsCertificateFlags flags = in->tls_flags;
  g_autofree char *explanation = NULL;
  g_autofree char *expiry = NULL;
  const char *id;
  const char *title;
  LkDiagnosis *d;

  if (host == NULL)
    host = "?";
  if (in->tls_not_after > 0)
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (in->tls_not_after);

      if (dt != NULL)
        expiry = g_date_time_format (dt, "%Y-%m-%d %H:%M UTC");
    }
  if (flags == 0 && in->tls_not_after > 0 && in->tls_not_after < ctx->now)
    flags = G_TLS_CERTIFICATE_EXPIRED;

  if (g_error_matches (in->error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS))
    {
      explanation = g_strdup_printf (_("%s did not answer with TLS. Likely the port expects "
                                       "STARTTLS or plain text, not TLS from the start."), host);
      d = diag (ctx, "tls-not-tls", LK_FIXER_USER, LK_CONFIDENCE_LIKELY,
                _("The server does not speak TLS on this port"), explanation);
      lk_diagnosis_add_step (d, _("Check the server's port and security setting (993 and 995 use "
                                  "TLS, 587 uses STARTTLS)."));
      return d;
    }

  if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY)
    {
      id = "tls-wrong-host";
      title = _("The server's certificate is for another host");
      explanation = g_strdup_printf (_("Latchkey connected to %s, but the certificate it showed "
                                       "is for %s. Someone may be intercepting the connection, or "
                                       "the host name is not the one the server is known by."),
                                     host, in->tls_subject != NULL ? in->tls_subject : _("another name"));
    }
  else if (flags & G_TLS_CERTIFICATE_EXPIRED)
    {
      id = "tls-expired";
      title = _("The server's certificate has expired");
      explanation = g_strdup_printf (_("The certificate of %s expired on %s. Check that this "
                                       "computer's clock is right; otherwise the server's operator "
                                       "must renew it."),
                                     host, expiry != NULL ? expiry : _("an unknown date"));
    }
  else if (flags & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    {
      id = "tls-not-yet-valid";
      title = _("The server's certificate is not valid yet");
      explanation = g_strdup_printf (_("The certificate of %s is not valid yet. Likely this "
                                       "computer's clock is wrong."), host);
    }
  else if (flags & G_TLS_CERTIFICATE_REVOKED)
    {
      id = "tls-revoked";
      title = _("The server's certificate was revoked");
      explanation = g_strdup_printf (_("The certificate of %s was revoked by whoever issued it."),
                                     host);
    }
  else if (flags & (G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_INSECURE |
                    G_TLS_CERTIFICATE_GENERIC_ERROR) ||
           g_error_matches (in->error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
    {
      id = "tls-untrusted";
      title = _("The server's certificate is not trusted");
      explanation = g_strdup_printf (_("The certificate of %s (%s) is not signed by an authority "
                                       "this computer trusts. A company proxy or antivirus may be "
                                       "intercepting the connection, or the server uses its own "
                                       "certificate authority."),
                                     host, in->tls_subject != NULL ? in->tls_subject : _("no subject"));
    }
  else
    {
      explanation = g_strdup_printf (_("The secure connection to %s failed: %s"), host,
                                     in->error->message);
      d = diag (ctx, "tls-handshake-failed", LK_FIXER_PROVIDER, LK_CONFIDENCE_UNKNOWN,
                _("The secure connection failed"), explanation);
      d->raw = g_strdup (in->error->message);
      return d;
    }

  d = diag (ctx, id, LK_FIXER_PROVIDER, LK_CONFIDENCE_CERTAIN, title, explanation);
  if (in->tls_fingerprint != NULL)
    add_step_printf (d, _("Compare the certificate's SHA-256 fingerprint with the one the "
                          "server's operator publishes: %s"), in->tls_fingerprint);
  lk_diagnosis_add_step (d, _("Do not continue on a network you do not trust. If your "
                              "organisation uses its own certificate authority, add it to the "
                              "provider profile (ca_file)."));
  return d;
}

static LkDiagnosis *
diagnose_network (const Ctx *ctx)
{
  const GError *error = ctx->in->error;
  const char *host = pick_host (ctx);
  g_autofree char *explanation = NULL;
  LkDiagnosis *d;

  if (host == NULL)
    host = _("the server");

  if (error->domain == G_RESOLVER_ERROR ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND))
    {
      explanation = g_strdup_printf (_("The name %s could not be looked up. Either this computer "
                                       "is offline, its DNS is not working, or the name is "
                                       "misspelt."), host);
      d = diag (ctx, "dns-not-resolved", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                _("The server's name was not found"), explanation);
      lk_diagnosis_add_step (d, _("Check the network connection and the server's name."));
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    {
      explanation = g_strdup_printf (_("%s refused the connection: nothing listens on that port, "
                                       "or a firewall rejects it."), host);
      d = diag (ctx, "connection-refused", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                _("The server refused the connection"), explanation);
      lk_diagnosis_add_step (d, _("Check the server's port; if it is right, a firewall on this "
                                  "network may block it."));
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
           g_error_matches (error, LK_ERROR, LK_ERROR_TIMED_OUT))
    {
      explanation = g_strdup_printf (_("%s did not answer in time. Likely a firewall silently "
                                       "drops the connection (networks often block mail ports), "
                                       "or the server is down."), host);
      d = diag (ctx, "connection-timed-out", LK_FIXER_PROVIDER, LK_CONFIDENCE_LIKELY,
                _("The server did not answer"), explanation);
      lk_diagnosis_add_step (d, _("Try again later or from another network; ask the network's "
                                  "operator whether mail ports are blocked."));
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
           g_error_matches (error, LK_ERROR, LK_ERROR_NETWORK))
    {
      explanation = g_strdup_printf (_("%s could not be reached from this computer."), host);
      d = diag (ctx, "network-unreachable", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                _("The server could not be reached"), explanation);
      lk_diagnosis_add_step (d, _("Check the network connection."));
    }
  else
    return NULL;

  if (d->raw == NULL)
    d->raw = g_strdup (error->message);
  return d;
}

static LkDiagnosis *
diagnose_lk_error (const Ctx *ctx)
{
  const GError *error = ctx->in->error;
  const char *host = pick_host (ctx);
  g_autofree char *explanation = NULL;
  LkDiagnosis *d;

  if (error->domain != LK_ERROR)
    return NULL;

  switch ((LkErrorCode) error->code)
    {
    case LK_ERROR_STARTTLS_UNAVAILABLE:
      explanation = g_strdup_printf (_("%s did not offer STARTTLS, so Latchkey did not send the "
                                       "token in clear text. Something on the network may remove "
                                       "STARTTLS from the server's answer, or the port is wrong."),
                                     host != NULL ? host : _("The server"));
      d = diag (ctx, "starttls-unavailable", LK_FIXER_PROVIDER, LK_CONFIDENCE_CERTAIN,
                _("The server did not offer a secure connection"), explanation);
      lk_diagnosis_add_step (d, _("Try another network; if it persists, check the port or use "
                                  "the server's TLS port (465 for SMTP) instead."));
      return d;

    case LK_ERROR_MECHANISM_UNAVAILABLE:
      explanation = g_strdup_printf (_("%s offers neither OAUTHBEARER nor XOAUTH2, so it cannot "
                                       "accept a token. The server may not support OAuth2, or "
                                       "another server name is meant for it."),
                                     host != NULL ? host : _("The server"));
      d = diag (ctx, "sasl-mechanism-unavailable", LK_FIXER_PROVIDER, LK_CONFIDENCE_CERTAIN,
                _("The server does not accept OAuth2 sign-in"), explanation);
      lk_diagnosis_add_step (d, _("Check the server name against the provider's documentation."));
      return d;

    case LK_ERROR_NEEDS_SIGN_IN:
      d = diag (ctx, "needs-sign-in", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                _("The account needs you to sign in"),
                _("There is no valid saved sign-in for this account."));
      lk_diagnosis_add_step (d, _("Sign in again in Latchkey."));
      return d;

    case LK_ERROR_KEYRING:
      d = diag (ctx, "keyring-unavailable", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                _("The keyring is not available"),
                _("Latchkey keeps sign-ins in the system keyring (Secret Service), which is not "
                  "running or stays locked."));
      lk_diagnosis_add_step (d, _("Unlock the keyring (log in to the desktop session), or start "
                                  "a Secret Service such as GNOME Keyring."));
      d->raw = g_strdup (error->message);
      return d;

    case LK_ERROR_STATE_MISMATCH:
      d = diag (ctx, "state-mismatch", LK_FIXER_USER, LK_CONFIDENCE_LIKELY,
                _("The browser returned from another sign-in"),
                _("The answer that reached Latchkey does not belong to this sign-in, likely from "
                  "an older browser tab. Latchkey ignored it for safety."));
      lk_diagnosis_add_step (d, _("Close old sign-in tabs and sign in again."));
      return d;

    case LK_ERROR_AUTH_REJECTED:
      return diagnose_auth_rejected (ctx);

    default:
      return NULL;
    }
}

/* ---- entry points ----------------------------------------------------- */

static LkDiagnosis *
diagnose_unrecognised (const Ctx *ctx)
{
  LkDiagnosis *d;

  d = diag (ctx, "unrecognised", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN,
            _("Latchkey does not recognise this error"),
            _("Latchkey cannot tell what caused this. The exact words are below; the provider's "
              "or server's documentation, or your administrator, may know them."));
  if (d->raw == NULL)
    d->raw = g_strdup (ctx->in->error->message);
  return d;
}

/**
 * lk_diagnose:
 * @input: what failed and everything known around it
 *
 * Turns a failure into a diagnosis: what happened, who can fix it, how. Pure:
 * no I/O, no logging. Unknown failures get an honest "unrecognised" diagnosis
 * (id `unrecognised`) with the raw reply.
 *
 * Returns: (transfer full) (nullable): the diagnosis, or %NULL when the error
 *   is a cancellation, which nobody needs explained.
 */
LkDiagnosis *
lk_diagnose (const LkDiagnoseInput *input)
{
  LkDiagnosis *d = NULL;
  Ctx ctx;

  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (input->error != NULL, NULL);

  if (lk_error_is_cancelled (input->error))
    return NULL;
  ctx_init (&ctx, input);

  if (ctx.reply != NULL && *ctx.reply != '\0')
    d = diagnose_reply (&ctx);
  if (d == NULL && ctx.aadsts != 0)
    d = diagnose_aadsts (&ctx);
  if (d == NULL && (ctx.oauth_error != NULL || input->error->domain == LK_ERROR))
    d = diagnose_oauth (&ctx);
  if (d == NULL)
    d = diagnose_lk_error (&ctx);
  if (d == NULL && input->error->domain == G_TLS_ERROR)
    d = diagnose_tls (&ctx);
  if (d == NULL)
    d = diagnose_network (&ctx);
  if (d == NULL)
    d = diagnose_unrecognised (&ctx);
  return d;
}

/**
 * lk_diagnose_admin_consent_url:
 *
 * The admin consent link for @input's account (PROTOCOLS.md A3), with its
 * tenant (or the token's, or the address's domain), client id, the redirect
 * URI and the scopes filled in. @input->error may be %NULL here.
 *
 * Returns: (transfer full) (nullable): the URL, or %NULL when the client id
 *   or the tenant is not known
 */
char *
lk_diagnose_admin_consent_url (const LkDiagnoseInput *input)
{
  Ctx ctx;

  g_return_val_if_fail (input != NULL, NULL);
  ctx_init (&ctx, input);
  return admin_consent_url (&ctx);
}
