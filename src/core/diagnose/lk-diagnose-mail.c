/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What mail servers answer (doc/protocols.md A4, A6): first a table of the
 * replies that say what is wrong, one row per reply; then, for the replies
 * that only say "refused" (Exchange answers every token problem with the
 * same words), what the token's claims tell; then Latchkey's own mail
 * errors (no STARTTLS, no OAuth2 mechanism). */
#define G_LOG_DOMAIN "latchkey-diagnose"

#include "config.h"

#include <string.h>

#include "admin/lk-powershell.h"
#include "diagnose/lk-diagnose-private.h"

typedef enum
{
  REPLY_SMTP,     /* an SMTP reply: three digits first */
  REPLY_ANY,
} ReplyKind;

typedef struct
{
  ReplyKind                  kind;
  const char                *code;       /* the reply starts with it (SMTP: "550"); nullable */
  const char                *status;     /* it contains this enhanced status code ("5.7.139"); nullable */
  const char                *words;      /* and these words, in any case; nullable */
  const LkDiagnosisTemplate *diagnosis;  /* the answer, or… */
  LkDiagnosis             *(*build) (const LkDiagnoseContext *ctx);  /* …the one that needs the account */
} ReplyRule;

static LkDiagnosis *diagnose_auth_rejected (const LkDiagnoseContext *ctx);

/* ---- Exchange Online ---------------------------------------------------- */

static void
add_exchange_connect (LkDiagnosis *d)
{
  lk_diagnosis_add_step (d, _("In PowerShell, as an Exchange administrator: install the module once "
                              "(Install-Module -Name ExchangeOnlineManagement), then connect and run "
                              "the commands below."));
  lk_diagnosis_add_command (d, "Import-Module ExchangeOnlineManagement");
  lk_diagnosis_add_command (d, "Connect-ExchangeOnline");
}

static LkDiagnosis *
diagnose_smtp_auth_disabled (const LkDiagnoseContext *ctx,
                             gboolean                 tenant)
{
  g_autofree char *q_mbx = lk_powershell_quote (ctx->mailbox);
  g_autofree char *set_mbx = g_strdup_printf ("Set-CASMailbox -Identity %s "
                                              "-SmtpClientAuthenticationDisabled $false", q_mbx);
  g_autofree char *get_mbx = g_strdup_printf ("Get-CASMailbox -Identity %s | Format-List "
                                              "SmtpClientAuthenticationDisabled", q_mbx);
  LkDiagnosis *d;

  if (tenant)
    {
      d = lk_diagnose_new (ctx, "smtp-auth-disabled-tenant", LK_FIXER_TENANT_ADMIN,
                           LK_CONFIDENCE_CERTAIN,
                           _("Your organisation has turned off SMTP sending for mail apps"),
                           _("Exchange Online said that authenticated SMTP (SMTP AUTH) is "
                             "disabled for the whole organisation; organisations created since "
                             "2020 start with it off. Signing in again will not help."));
      add_exchange_connect (d);
      lk_diagnosis_add_step (d, _("Either turn SMTP AUTH on for the organisation and check it:"));
      lk_diagnosis_add_command (d, "Set-TransportConfig -SmtpClientAuthenticationDisabled $false");
      lk_diagnosis_add_command (d, "Get-TransportConfig | Format-List SmtpClientAuthenticationDisabled");
      lk_diagnose_add_step_printf (d, _("Or turn it on only for %s (this overrides the "
                                        "organisation's setting) and check it:"), ctx->mailbox);
      lk_diagnosis_add_command (d, set_mbx);
      lk_diagnosis_add_command (d, get_mbx);
      d->portal_path = g_strdup (_("Exchange admin center → Settings → Mail flow → “Turn off SMTP "
                                   "AUTH protocol for your organization”"));
      return d;
    }

  d = lk_diagnose_new (ctx, "smtp-auth-disabled-mailbox", LK_FIXER_MAILBOX_ADMIN,
                       LK_CONFIDENCE_CERTAIN,
                       _("SMTP sending is turned off for this mailbox"),
                       _("Exchange Online said that authenticated SMTP (SMTP AUTH) is disabled for "
                         "this mailbox. Signing in again will not help."));
  add_exchange_connect (d);
  lk_diagnose_add_step_printf (d, _("Turn SMTP AUTH on for %s and check it:"), ctx->mailbox);
  lk_diagnosis_add_command (d, set_mbx);
  lk_diagnosis_add_command (d, get_mbx);
  lk_diagnose_set_portal_printf (d, _("Exchange admin center → Recipients → Mailboxes → %s → "
                                      "Manage email apps settings → Authenticated SMTP"),
                                 ctx->mailbox);
  return d;
}

static LkDiagnosis *
smtp_auth_disabled_tenant (const LkDiagnoseContext *ctx)
{
  return diagnose_smtp_auth_disabled (ctx, TRUE);
}

static LkDiagnosis *
smtp_auth_disabled_mailbox (const LkDiagnoseContext *ctx)
{
  return diagnose_smtp_auth_disabled (ctx, FALSE);
}

static const LkDiagnosisTemplate smtp_auth_security_defaults = {
  "smtp-auth-security-defaults", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
  N_("Your organisation's security defaults block SMTP sending"),
  N_("Exchange Online refused SMTP AUTH because the organisation uses Microsoft's security "
     "defaults, which turn SMTP AUTH off. Signing in again will not help."),
  { N_("Your administrator either turns security defaults off and protects sign-ins with "
       "Conditional Access policies instead, or you send mail another way (IMAP and POP are "
       "not affected).") },
  N_("Microsoft Entra admin center → Overview → Properties → Manage security defaults"),
};

static const LkDiagnosisTemplate smtp_auth_conditional_access = {
  "smtp-auth-conditional-access", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_LIKELY,
  N_("A policy of your organisation likely blocks SMTP sending"),
  N_("Exchange Online said the sign-in did not meet the criteria to be authenticated. Likely "
     "a Conditional Access policy or the security defaults block SMTP AUTH for you."),
  { N_("Ask your administrator to check the sign-in logs for this sign-in and the policies "
       "that applied.") },
  N_("Microsoft Entra admin center → Monitoring & health → Sign-in logs"),
};

static const LkDiagnosisTemplate smtp_basic_auth_retired = {
  "smtp-basic-auth-retired", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
  N_("The mail app still signs in with a password"),
  N_("Exchange Online no longer accepts a password (basic authentication) for sending mail. "
     "The app must sign in with OAuth2 (XOAUTH2) instead."),
  { N_("Set the mail app up with Latchkey's export, which makes it use XOAUTH2 with a token "
       "from latchkey-cli.") },
};

static const LkDiagnosisTemplate smtp_not_authenticated = {
  "smtp-not-authenticated", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
  N_("The mail app sent mail without signing in"),
  N_("The server got a message before the app had signed in (no successful AUTH), so it "
     "refused to send it."),
  { N_("Turn on authentication (XOAUTH2) in the mail app's SMTP settings, or set it up with "
       "Latchkey's export.") },
};

/* ---- the catalogue of replies ----------------------------------------- */

static const ReplyRule reply_rules[] = {
  /* Exchange Online, SMTP AUTH switched off or blocked: 535 5.7.139 … */
  { REPLY_SMTP, NULL, "5.7.139", "SmtpClientAuthentication is disabled for the Tenant",
    NULL, smtp_auth_disabled_tenant },
  { REPLY_SMTP, NULL, "5.7.139", "SmtpClientAuthentication is disabled for the Mailbox",
    NULL, smtp_auth_disabled_mailbox },
  { REPLY_SMTP, NULL, "5.7.139", "security defaults", &smtp_auth_security_defaults },
  { REPLY_SMTP, NULL, "5.7.139", "did not meet the criteria", &smtp_auth_conditional_access },
  { REPLY_SMTP, NULL, "5.7.139", NULL, NULL, diagnose_auth_rejected },
  /* Exchange Online, a password after basic authentication was retired */
  { REPLY_SMTP, "550", "5.7.30", NULL, &smtp_basic_auth_retired },
  /* MAIL FROM before AUTH */
  { REPLY_SMTP, "530", "5.7.57", NULL, &smtp_not_authenticated },
  /* Refused, no reason given: the token's claims may tell */
  { REPLY_SMTP, "535", NULL, NULL, NULL, diagnose_auth_rejected },
  { REPLY_SMTP, "534", NULL, NULL, NULL, diagnose_auth_rejected },
  { REPLY_ANY, "-ERR", NULL, "Authentication fail", NULL, diagnose_auth_rejected },
  { REPLY_ANY, "-ERR", "[AUTH]", NULL, NULL, diagnose_auth_rejected },
};

static gboolean
is_smtp_reply (const char *reply)
{
  return g_ascii_isdigit (reply[0]) && g_ascii_isdigit (reply[1]) && g_ascii_isdigit (reply[2]);
}

/* IMAP's refusals carry the tag first ("a1 NO …"), so they are not rows. */
static gboolean
is_imap_refusal (const LkDiagnoseContext *ctx)
{
  return ctx->in->protocol == LK_PROTOCOL_IMAP &&
         (lk_diagnose_contains_ci (ctx->reply, "AUTHENTICATE failed") ||
          strstr (ctx->reply, "[AUTHENTICATIONFAILED]") != NULL);
}

static gboolean
reply_rule_matches (const ReplyRule *rule,
                    const char      *reply)
{
  if (rule->kind == REPLY_SMTP && !is_smtp_reply (reply))
    return FALSE;
  if (rule->code != NULL && !g_str_has_prefix (reply, rule->code))
    return FALSE;
  if (rule->status != NULL && strstr (reply, rule->status) == NULL)
    return FALSE;
  return rule->words == NULL || lk_diagnose_contains_ci (reply, rule->words);
}

/**
 * lk_diagnose_mail_reply:
 *
 * Returns: (nullable): the diagnosis of the mail server's last reply, or
 *   %NULL when it says nothing this catalogue knows
 */
LkDiagnosis *
lk_diagnose_mail_reply (const LkDiagnoseContext *ctx)
{
  for (guint i = 0; i < G_N_ELEMENTS (reply_rules); i++)
    {
      const ReplyRule *rule = &reply_rules[i];

      if (!reply_rule_matches (rule, ctx->reply))
        continue;
      if (rule->build != NULL)
        return rule->build (ctx);
      return lk_diagnose_from_template (ctx, rule->diagnosis);
    }
  if (is_imap_refusal (ctx))
    return diagnose_auth_rejected (ctx);
  return NULL;
}

/* ---- what the token's claims tell -------------------------------------- */

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

/* The Exchange Online permissions, delegated and application, per protocol
 * (doc/protocols.md A2). */
static const char *
delegated_permission (LkProtocol protocol)
{
  static const char * const names[LK_N_PROTOCOLS] = {
    "IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send",
  };

  return names[protocol];
}

static const char *
application_permission (LkProtocol protocol)
{
  static const char * const names[LK_N_PROTOCOLS] = {
    "IMAP.AccessAsApp", "POP.AccessAsApp", "SMTP.SendAsApp",
  };

  return names[protocol];
}

static LkDiagnosis *
diagnose_wrong_audience (const LkDiagnoseContext *ctx)
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
  d = lk_diagnose_new (ctx, "token-wrong-audience", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                       _("The token is meant for another service"), explanation);
  lk_diagnose_add_step_printf (d, _("Make the provider profile ask for the full scope, e.g. "
                                    "https://outlook.office.com/%s, then sign in again."),
                               delegated_permission (ctx->in->protocol));
  return d;
}

static LkDiagnosis *
diagnose_app_only (const LkDiagnoseContext *ctx)
{
  const char *role = application_permission (ctx->in->protocol);
  const char *client_id = lk_diagnose_pick_client_id (ctx);
  const char *oid = ctx->in->claim_oid;
  g_autofree char *q_mbx = lk_powershell_quote (ctx->mailbox);
  g_autofree char *q_app = lk_powershell_quote (client_id != NULL ? client_id : "");
  g_autofree char *q_oid = lk_powershell_quote (oid != NULL ? oid
                                                : _("<object id of the Enterprise application>"));
  g_autofree char *explanation = NULL;
  LkDiagnosis *d;

  if (ctx->in->claim_roles != NULL && !lk_diagnose_has_word (ctx->in->claim_roles, role))
    {
      explanation = g_strdup_printf (_("The app's token carries no %s permission, so Exchange "
                                       "refuses it for %s. The permission must be added to the app "
                                       "(API “Office 365 Exchange Online”, application "
                                       "permission) and an administrator must consent."),
                                     role, lk_protocol_get_name (ctx->in->protocol));
      d = lk_diagnose_new (ctx, "app-only-permission-missing", LK_FIXER_TENANT_ADMIN,
                           LK_CONFIDENCE_CERTAIN,
                           _("The app has no permission for this protocol"), explanation);
      lk_diagnose_add_step_printf (d, _("Add the application permission %s of “Office 365 "
                                        "Exchange Online” to the app and grant admin consent."),
                                   role);
      d->portal_path = lk_diagnose_app_registration_portal (ctx, _("API permissions"));
      g_free (d->url);
      d->url = lk_diagnose_admin_consent_link (ctx);
      return d;
    }

  explanation = g_strdup_printf (_("Exchange refused the app's token for %s. The token itself "
                                   "looks right, so likely Exchange does not know the app's "
                                   "service principal, or the service principal has no access to "
                                   "the mailbox (or a new permission has not reached every "
                                   "server yet; that can take a while)."),
                                 ctx->mailbox != NULL ? ctx->mailbox : "?");
  d = lk_diagnose_new (ctx, "app-only-mailbox-access", LK_FIXER_MAILBOX_ADMIN,
                       LK_CONFIDENCE_LIKELY,
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
diagnose_scope_missing (const LkDiagnoseContext *ctx,
                        const char              *scope)
{
  const char *name = lk_protocol_get_name (ctx->in->protocol);
  g_autofree char *explanation = NULL;
  LkDiagnosis *d;

  explanation = g_strdup_printf (_("The access token does not grant %s (it grants: %s), so the "
                                   "server refuses it for %s."),
                                 scope, ctx->in->claim_scp, name);
  d = lk_diagnose_new (ctx, "token-scope-missing", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
                       _("The sign-in did not include permission for this protocol"), explanation);
  lk_diagnose_add_step_printf (d, _("Sign in again with %s turned on for the account (the profile "
                                    "must ask for https://outlook.office.com/%s)."), name, scope);
  lk_diagnosis_add_step (d, _("If Microsoft then says an administrator must approve, your "
                              "administrator opens the admin consent link."));
  d->url = lk_diagnose_admin_consent_link (ctx);
  return d;
}

static LkDiagnosis *
diagnose_shared_mailbox (const LkDiagnoseContext *ctx)
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
  d = lk_diagnose_new (ctx, "shared-mailbox-no-access", LK_FIXER_MAILBOX_ADMIN,
                       LK_CONFIDENCE_LIKELY,
                       _("You likely have no access to this mailbox"), explanation);
  add_exchange_connect (d);
  lk_diagnose_add_step_printf (d, _("Give %s full access to %s, then check it:"), user,
                               ctx->mailbox);
  add = g_strdup_printf ("Add-MailboxPermission -Identity %s -User %s -AccessRights FullAccess "
                         "-InheritanceType All", q_mbx, q_user);
  get = g_strdup_printf ("Get-MailboxPermission -Identity %s -User %s", q_mbx, q_user);
  lk_diagnosis_add_command (d, add);
  lk_diagnosis_add_command (d, get);
  lk_diagnosis_add_step (d, _("Permissions can take up to an hour to apply; then test again."));
  return d;
}

static LkDiagnosis *
diagnose_protocol_disabled (const LkDiagnoseContext *ctx)
{
  gboolean imap = ctx->in->protocol == LK_PROTOCOL_IMAP;
  const char *name = lk_protocol_get_name (ctx->in->protocol);
  g_autofree char *explanation = NULL;
  LkDiagnosis *d;

  if (ctx->personal)
    {
      explanation = g_strdup_printf (_("Outlook.com refused the sign-in over %s. For personal "
                                       "Microsoft accounts this is likely because %s access is "
                                       "switched off in Outlook.com's settings (it is off by "
                                       "default)."), name, name);
      d = lk_diagnose_new (ctx, "outlook-com-imap-off", LK_FIXER_USER, LK_CONFIDENCE_LIKELY,
                           _("IMAP or POP is likely switched off in Outlook.com"), explanation);
      lk_diagnose_add_step_printf (d, _("In Outlook.com, turn on “Let devices and apps use %s” "
                                        "and save; then test again."), name);
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
                                   delegated_permission (ctx->in->protocol),
                                   ctx->mailbox != NULL ? ctx->mailbox : "?", name);
    d = lk_diagnose_new (ctx, imap ? "mailbox-imap-disabled" : "mailbox-pop-disabled",
                         LK_FIXER_MAILBOX_ADMIN, LK_CONFIDENCE_LIKELY,
                         imap ? _("IMAP is likely turned off for this mailbox")
                              : _("POP is likely turned off for this mailbox"),
                         explanation);
    add_exchange_connect (d);
    lk_diagnose_add_step_printf (d, _("Turn %s on for %s, then check it:"), name, ctx->mailbox);
    lk_diagnosis_add_command (d, set);
    lk_diagnosis_add_command (d, get);
    lk_diagnose_set_portal_printf (d, _("Exchange admin center → Recipients → Mailboxes → %s → "
                                        "Manage email apps settings"), ctx->mailbox);
    return d;
  }
}

static gboolean
token_is_for_another_user (const LkDiagnoseContext *ctx)
{
  return ctx->in->claim_upn != NULL && ctx->mailbox != NULL &&
         g_ascii_strcasecmp (ctx->in->claim_upn, ctx->mailbox) != 0;
}

/* Exchange answers every token problem with the same words (A6); the
 * token's claims say which it is. */
static LkDiagnosis *
diagnose_exchange_refused (const LkDiagnoseContext *ctx)
{
  const LkDiagnoseInput *in = ctx->in;
  const char *scope = delegated_permission (in->protocol);
  gboolean have_claims = in->claim_aud != NULL || in->claim_scp != NULL || in->claim_roles != NULL;
  LkDiagnosis *d;

  if (in->claim_aud != NULL && !aud_is_outlook (in->claim_aud))
    return diagnose_wrong_audience (ctx);
  if (ctx->app_only)
    return diagnose_app_only (ctx);
  if (in->claim_scp != NULL && !lk_diagnose_has_word (in->claim_scp, scope))
    return diagnose_scope_missing (ctx, scope);
  if (token_is_for_another_user (ctx))
    return diagnose_shared_mailbox (ctx);
  /* Outlook.com's tokens cannot be decoded, so no claims there. */
  if ((have_claims || ctx->personal) && in->protocol != LK_PROTOCOL_SMTP)
    return diagnose_protocol_disabled (ctx);

  d = lk_diagnose_new (ctx, "exchange-auth-rejected", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN,
                       _("Exchange refused the sign-in and does not say why"),
                       _("Exchange Online answers every token problem with the same words. "
                         "Common causes: the token is for another service or lacks this "
                         "protocol's permission; the mailbox is not the one signed in (a shared "
                         "mailbox needs full access); the protocol is turned off for the "
                         "mailbox; for app-only access, the service principal is not registered "
                         "or has no mailbox permission."));
  lk_diagnosis_add_step (d, _("Sign in again in Latchkey and test; the test then reads the "
                              "token's details and can narrow this down."));
  return d;
}

static LkDiagnosis *
diagnose_auth_rejected (const LkDiagnoseContext *ctx)
{
  const LkDiagnoseInput *in = ctx->in;
  LkDiagnosis *d;

  if (ctx->microsoft)
    return diagnose_exchange_refused (ctx);

  if (token_is_for_another_user (ctx))
    {
      g_autofree char *explanation = g_strdup_printf (_("The server refused the token. It was "
                                                        "issued to %s but used for %s; likely "
                                                        "that user may not open this mailbox."),
                                                      in->claim_upn, ctx->mailbox);

      d = lk_diagnose_new (ctx, "mail-auth-user-mismatch", LK_FIXER_MAILBOX_ADMIN,
                           LK_CONFIDENCE_LIKELY,
                           _("The token likely belongs to another user"), explanation);
      lk_diagnosis_add_step (d, _("Sign in as the mailbox's own user, or ask the mailbox's "
                                  "administrator for access."));
      return d;
    }

  d = lk_diagnose_new (ctx, "mail-auth-rejected", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN,
                       _("The mail server refused the token"),
                       _("The server refused the sign-in without saying why. The token may have "
                         "expired or been revoked, lack the permission the server wants, or "
                         "belong to another user."));
  if (in->challenge != NULL)
    lk_diagnose_add_step_printf (d, _("The server also said: %s"), in->challenge);
  lk_diagnosis_add_step (d, _("Sign in again in Latchkey and test."));
  lk_diagnosis_add_step (d, _("If it still fails, show the server's reply below to the mail "
                              "provider."));
  return d;
}

/* ---- Latchkey's own mail errors --------------------------------------- */

/**
 * lk_diagnose_mail_error:
 *
 * Returns: (nullable): the diagnosis of a mail-side %LK_ERROR (a refused
 *   token without a reply to read, no STARTTLS, no OAuth2 mechanism)
 */
LkDiagnosis *
lk_diagnose_mail_error (const LkDiagnoseContext *ctx)
{
  const GError *error = ctx->in->error;
  const char *host = lk_diagnose_pick_host (ctx);
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
      d = lk_diagnose_new (ctx, "starttls-unavailable", LK_FIXER_PROVIDER, LK_CONFIDENCE_CERTAIN,
                           _("The server did not offer a secure connection"), explanation);
      lk_diagnosis_add_step (d, _("Try another network; if it persists, check the port or use "
                                  "the server's TLS port (465 for SMTP) instead."));
      return d;

    case LK_ERROR_MECHANISM_UNAVAILABLE:
      explanation = g_strdup_printf (_("%s offers neither OAUTHBEARER nor XOAUTH2, so it cannot "
                                       "accept a token. The server may not support OAuth2, or "
                                       "another server name is meant for it."),
                                     host != NULL ? host : _("The server"));
      d = lk_diagnose_new (ctx, "sasl-mechanism-unavailable", LK_FIXER_PROVIDER,
                           LK_CONFIDENCE_CERTAIN,
                           _("The server does not accept OAuth2 sign-in"), explanation);
      lk_diagnosis_add_step (d, _("Check the server name against the provider's documentation."));
      return d;

    case LK_ERROR_AUTH_REJECTED:
      return diagnose_auth_rejected (ctx);

    default:
      return NULL;
    }
}
