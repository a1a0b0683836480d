/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "diagnose/lk-diagnose.h"
#include "lk-error.h"
#include "oauth/lk-token-response.h"
#include "providers/lk-microsoft.h"
#include "providers/lk-provider-registry.h"
#include "ps-reference.h"

#define EMAIL     "alice@contoso.com"
#define SHARED    "shared@contoso.com"
#define TENANT    "contoso.onmicrosoft.com"
#define CLIENT_ID "11111111-2222-3333-4444-555555555555"
#define TID       "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define SP_OID    "6a8e2c1f-0b3d-4e5f-9a7b-1c2d3e4f5a6b"
#define GOOGLE_ID "123456789012-abcdefghijklmnop.apps.googleusercontent.com"
#define NOW       G_GINT64_CONSTANT (1780000000)
#define TRACE     "\r\nTrace ID: 0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6\r\n" \
                  "Correlation ID: 9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0\r\nTimestamp: 2026-06-01 10:00:00Z"

static LkProviderRegistry *registry;

static const char google_profile[] =
  "{\"id\": \"google\", \"name\": \"Google\", \"kind\": \"google\","
  " \"authorization_endpoint\": \"https://accounts.google.com/o/oauth2/v2/auth\","
  " \"token_endpoint\": \"https://oauth2.googleapis.com/token\","
  " \"client_id\": \"" GOOGLE_ID "\","
  " \"scopes\": {\"imap\": [\"https://mail.google.com/\"], \"pop\": [\"https://mail.google.com/\"],"
  "   \"smtp\": [\"https://mail.google.com/\"]},"
  " \"servers\": {\"imap\": {\"host\": \"imap.gmail.com\", \"port\": 993, \"security\": \"tls\"},"
  "   \"smtp\": {\"host\": \"smtp.gmail.com\", \"port\": 587, \"security\": \"starttls\"}},"
  " \"sasl\": [\"OAUTHBEARER\", \"XOAUTH2\"]}";

typedef enum { ACC_NONE, ACC_M365, ACC_M365_SHARED, ACC_M365_APP, ACC_OUTLOOK, ACC_GOOGLE,
               ACC_GOOGLE_DEVICE, ACC_GENERIC } AccountKind;

typedef struct
{
  const char      *id;          /* expected */
  LkFixer          fixer;       /* expected */
  LkConfidence     confidence;  /* expected */
  const char      *mentions[4]; /* each must appear in the fix text */

  AccountKind      account;
  LkDiagnosePhase  phase;
  LkProtocol       protocol;
  GQuark         (*domain) (void);
  int              code;
  const char      *oauth_error;
  const char      *description;
  const char      *reply;
  const char      *challenge;
  const char      *redirect_uri;
  const char      *scope;
  const char      *aud, *scp, *roles, *upn, *tid, *oid;
  const char      *host;
  GTlsCertificateFlags tls_flags;
  const char      *tls_subject;
  const char      *tls_fingerprint;
  gint64           tls_not_after;
  gint64           signed_in_at;
} Case;

#define GOOD_CLAIMS .aud = "https://outlook.office.com", \
  .scp = "IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send", .upn = EMAIL, .tid = TID
#define SIGN_IN() .phase = LK_DIAGNOSE_PHASE_SIGN_IN, .domain = lk_error_quark, .code = LK_ERROR_OAUTH, \
  .account = ACC_M365
#define PROBE_WITH(p, c) .phase = LK_DIAGNOSE_PHASE_PROBE, .protocol = LK_PROTOCOL_##p, \
  .domain = lk_error_quark, .code = c
#define PROBE(p) PROBE_WITH (p, LK_ERROR_AUTH_REJECTED)

static const Case cases[] = {
  /* Sign-in: Microsoft identity platform */
  { "aadsts-50011-redirect-uri", LK_FIXER_APP_OWNER, LK_CONFIDENCE_CERTAIN,
    { "http://localhost", "Mobile and desktop applications", CLIENT_ID, "Authentication" },
    SIGN_IN (), .redirect_uri = "http://localhost:43117",
    .description = "AADSTS50011: The redirect URI 'http://localhost:43117' specified in the request "
                   "does not match the redirect URIs configured for the application '" CLIENT_ID "'."
                   " Make sure the redirect URI sent in the request matches one added to your "
                   "application in the Azure portal." TRACE },
  { "aadsts-65001-consent", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
    { "https://login.microsoftonline.com/" TENANT "/v2.0/adminconsent?client_id=" CLIENT_ID
      "&redirect_uri=http%3A%2F%2Flocalhost&scope=https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All%20"
      "https%3A%2F%2Foutlook.office.com%2FPOP.AccessAsUser.All%20https%3A%2F%2Foutlook.office.com%2FSMTP.Send%20offline_access",
      "Grant admin consent", CLIENT_ID },
    SIGN_IN (), .oauth_error = "invalid_grant", .redirect_uri = "http://localhost:43117",
    .description = "AADSTS65001: The user or administrator has not consented to use the application "
                   "with ID '" CLIENT_ID "' named 'Latchkey'. Send an interactive authorization "
                   "request for this user and resource." TRACE },
  { "aadsts-65001-consent", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
    { "Sign in again", "adminconsent?client_id=" CLIENT_ID },
    .phase = LK_DIAGNOSE_PHASE_REFRESH, .domain = lk_error_quark, .code = LK_ERROR_INVALID_GRANT,
    .account = ACC_M365, .oauth_error = "invalid_grant",
    .description = "AADSTS65001: The user or administrator has not consented to use the application "
                   "with ID '" CLIENT_ID "' named 'Latchkey'." TRACE },
  { "aadsts-90094-admin-consent", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
    { "/" TENANT "/v2.0/adminconsent?client_id=" CLIENT_ID, "SMTP.Send" },
    SIGN_IN (), .oauth_error = "access_denied",
    .description = "AADSTS90094: The grant requires admin permission." TRACE },
  { "aadsts-90095-admin-consent", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
    { "adminconsent?client_id=" CLIENT_ID },
    SIGN_IN (), .oauth_error = "access_denied",
    .description = "AADSTS90095: Admin consent is required for the permissions requested by this "
                   "application. An admin consent request may be sent to the admin." TRACE },
  { "aadsts-700016-app-not-found", LK_FIXER_APP_OWNER, LK_CONFIDENCE_CERTAIN,
    { CLIENT_ID, TENANT, "Supported account types" },
    SIGN_IN (), .oauth_error = "unauthorized_client",
    .description = "AADSTS700016: Application with identifier '" CLIENT_ID "' was not found in the "
                   "directory 'Contoso'. This can happen if the application has not been installed "
                   "by the administrator of the tenant or consented to by any user in the tenant." TRACE },
  { "aadsts-50194-single-tenant-app", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "contoso.com" },
    SIGN_IN (), .oauth_error = "invalid_request",
    .description = "AADSTS50194: Application '" CLIENT_ID "'(Latchkey) is not configured as a "
                   "multi-tenant application. Usage of the /common endpoint is not supported for "
                   "such applications created after '10/15/2018'. Use a tenant-specific endpoint or "
                   "configure the application to be multi-tenant." TRACE },
  { "aadsts-7000218-public-client", LK_FIXER_APP_OWNER, LK_CONFIDENCE_CERTAIN,
    { "Allow public client flows", CLIENT_ID },
    SIGN_IN (), .oauth_error = "invalid_client",
    .description = "AADSTS7000218: The request body must contain the following parameter: "
                   "'client_assertion' or 'client_secret'." TRACE },
  { "aadsts-700025-public-client-secret", LK_FIXER_LATCHKEY, LK_CONFIDENCE_CERTAIN, { "" },
    SIGN_IN (), .oauth_error = "invalid_client",
    .description = "AADSTS700025: Client is public so neither 'client_assertion' nor "
                   "'client_secret' should be presented." TRACE },
  { "aadsts-50076-mfa", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "browser" },
    .phase = LK_DIAGNOSE_PHASE_REFRESH, .domain = lk_error_quark, .code = LK_ERROR_INVALID_GRANT,
    .account = ACC_M365, .oauth_error = "invalid_grant",
    .description = "AADSTS50076: Due to a configuration change made by your administrator, or "
                   "because you moved to a new location, you must use multi-factor authentication "
                   "to access '00000002-0000-0ff1-ce00-000000000000'." TRACE },
  { "aadsts-50079-mfa", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "browser" },
    .phase = LK_DIAGNOSE_PHASE_REFRESH, .domain = lk_error_quark, .code = LK_ERROR_INVALID_GRANT,
    .account = ACC_M365, .oauth_error = "interaction_required",
    .description = "AADSTS50079: Due to a configuration change made by your administrator, or "
                   "because you moved to a new location, you must enroll in multi-factor "
                   "authentication." TRACE },
  { "aadsts-53003-conditional-access", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN, { "Sign-in logs" },
    SIGN_IN (), .oauth_error = "access_denied",
    .description = "AADSTS53003: Access has been blocked by Conditional Access policies. The access "
                   "policy does not allow token issuance." TRACE },
  { "aadsts-530035-security-defaults", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
    { "security defaults" },
    SIGN_IN (), .oauth_error = "access_denied",
    .description = "AADSTS530035: Access has been blocked by security defaults." TRACE },
  { "aadsts-700082-sign-in-again", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "Sign in again" },
    .phase = LK_DIAGNOSE_PHASE_REFRESH, .domain = lk_error_quark, .code = LK_ERROR_INVALID_GRANT,
    .account = ACC_M365, .oauth_error = "invalid_grant",
    .description = "AADSTS700082: The refresh token has expired due to inactivity. The token was "
                   "issued on 2026-01-01T10:00:00Z and was inactive for 90.00:00:00." TRACE },
  { "aadsts-70008-sign-in-again", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "Sign in again" },
    .phase = LK_DIAGNOSE_PHASE_REFRESH, .domain = lk_error_quark, .code = LK_ERROR_INVALID_GRANT,
    .account = ACC_M365, .oauth_error = "invalid_grant",
    .description = "AADSTS70008: The provided authorization code or refresh token has expired due "
                   "to inactivity. Send a new interactive authorization request for this user and "
                   "resource." TRACE },
  { "aadsts-50173-sign-in-again", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "Sign in again" },
    .phase = LK_DIAGNOSE_PHASE_REFRESH, .domain = lk_error_quark, .code = LK_ERROR_INVALID_GRANT,
    .account = ACC_M365, .oauth_error = "invalid_grant",
    .description = "AADSTS50173: The provided grant has expired due to it being revoked, a fresh "
                   "auth token is needed. The user might have changed or reset their password." TRACE },
  { "aadsts-70043-sign-in-again", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "Sign in again" },
    .phase = LK_DIAGNOSE_PHASE_REFRESH, .domain = lk_error_quark, .code = LK_ERROR_INVALID_GRANT,
    .account = ACC_M365, .oauth_error = "invalid_grant",
    .description = "AADSTS70043: The refresh token has expired or is invalid due to sign-in "
                   "frequency checks by conditional access." TRACE },
  { "aadsts-70011-scope", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "User.Read", "https://outlook.office.com/" },
    SIGN_IN (), .oauth_error = "invalid_scope",
    .scope = "https://outlook.office.com/IMAP.AccessAsUser.All User.Read offline_access",
    .description = "AADSTS70011: The provided request must include a 'scope' input parameter. The "
                   "provided value for the input parameter 'scope' is not valid." TRACE },
  { "aadsts-700022-scope", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "https://outlook.office.com/" },
    SIGN_IN (), .oauth_error = "invalid_scope",
    .description = "AADSTS700022: The provided value for the input parameter scope is not valid "
                   "because it contains more than one resource." TRACE },
  { "aadsts-501481-pkce", LK_FIXER_LATCHKEY, LK_CONFIDENCE_CERTAIN, { "" },
    SIGN_IN (), .oauth_error = "invalid_grant",
    .description = "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in "
                   "the authorization request." TRACE },
  { "aadsts-54005-code-redeemed", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "Sign in again" },
    SIGN_IN (), .oauth_error = "invalid_grant",
    .description = "AADSTS54005: OAuth2 Authorization code was already redeemed, please retry with "
                   "a new valid code or use an existing refresh token." TRACE },
  { "aadsts-500011-no-exchange", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_LIKELY, { TENANT },
    SIGN_IN (), .oauth_error = "invalid_resource",
    .description = "AADSTS500011: The resource principal named https://outlook.office.com was not "
                   "found in the tenant named Contoso." TRACE },
  { "aadsts-90002-tenant-not-found", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { TENANT },
    SIGN_IN (), .oauth_error = "invalid_request",
    .description = "AADSTS90002: Tenant '" TENANT "' not found. Check to make sure you have the "
                   "correct tenant ID and are signing into the correct cloud." TRACE },
  { "unrecognised", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN,
    { "https://login.microsoftonline.com/error?code=399999" },
    SIGN_IN (), .oauth_error = "invalid_request",
    .description = "AADSTS399999: Something new." TRACE },

  /* Sign-in: plain OAuth and Google */
  { "access-denied", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "accept" },
    .phase = LK_DIAGNOSE_PHASE_SIGN_IN, .domain = lk_error_quark,
    .code = LK_ERROR_AUTHORIZATION_DENIED, .account = ACC_GOOGLE, .oauth_error = "access_denied" },
  /* Microsoft's "declined" carries AADSTS65004 with access_denied. */
  { "access-denied", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "accept" },
    .phase = LK_DIAGNOSE_PHASE_SIGN_IN, .domain = lk_error_quark,
    .code = LK_ERROR_AUTHORIZATION_DENIED, .account = ACC_M365, .oauth_error = "access_denied",
    .description = "AADSTS65004: User declined to consent to access the app." TRACE },
  { "google-invalid-client", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "Desktop app", "Credentials" },
    .phase = LK_DIAGNOSE_PHASE_SIGN_IN, .domain = lk_error_quark, .code = LK_ERROR_OAUTH,
    .account = ACC_GOOGLE, .oauth_error = "invalid_client", .description = "The OAuth client was not found." },
  { "google-device-flow-gmail", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "browser" },
    .phase = LK_DIAGNOSE_PHASE_SIGN_IN, .domain = lk_error_quark, .code = LK_ERROR_OAUTH,
    .account = ACC_GOOGLE_DEVICE, .oauth_error = "invalid_scope",
    .description = "Invalid device flow scope: https://mail.google.com/" },
  { "google-testing-refresh-expiry", LK_FIXER_APP_OWNER, LK_CONFIDENCE_LIKELY,
    { "7 days", "Publishing status" },
    .phase = LK_DIAGNOSE_PHASE_REFRESH, .domain = lk_error_quark, .code = LK_ERROR_INVALID_GRANT,
    .account = ACC_GOOGLE, .oauth_error = "invalid_grant",
    .description = "Token has been expired or revoked.", .signed_in_at = NOW - 7 * 86400 - 3600 },
  { "refresh-token-refused", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "Sign in again" },
    .phase = LK_DIAGNOSE_PHASE_REFRESH, .domain = lk_error_quark, .code = LK_ERROR_INVALID_GRANT,
    .account = ACC_GOOGLE, .oauth_error = "invalid_grant",
    .description = "Token has been expired or revoked.", .signed_in_at = NOW - 40 * 86400 },

  /* Exchange Online SMTP */
  { "smtp-auth-disabled-tenant", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
    { "Set-TransportConfig -SmtpClientAuthenticationDisabled $false",
      "Get-TransportConfig | Format-List SmtpClientAuthenticationDisabled",
      "Set-CASMailbox -Identity '" EMAIL "' -SmtpClientAuthenticationDisabled $false" },
    PROBE (SMTP), .account = ACC_M365, GOOD_CLAIMS,
    .reply = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
             "Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. "
             "[AM0PR02CA0009.eurprd02.prod.outlook.com 2026-06-01T10:00:00.000Z 08DC8A1B2C3D4E5F]" },
  { "smtp-auth-disabled-mailbox", LK_FIXER_MAILBOX_ADMIN, LK_CONFIDENCE_CERTAIN,
    { "Set-CASMailbox -Identity '" EMAIL "' -SmtpClientAuthenticationDisabled $false",
      "Get-CASMailbox -Identity '" EMAIL "' | Format-List SmtpClientAuthenticationDisabled" },
    PROBE (SMTP), .account = ACC_M365,
    .reply = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
             "Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information. "
             "[AM0PR02CA0009.eurprd02.prod.outlook.com]" },
  { "smtp-auth-security-defaults", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN, { "security defaults" },
    PROBE (SMTP), .account = ACC_M365,
    .reply = "535 5.7.139 Authentication unsuccessful, user is locked by your organization's "
             "security defaults policy. Contact your administrator. [DB8PR04CA0012.eurprd04.prod.outlook.com]" },
  { "smtp-auth-conditional-access", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_LIKELY, { "Sign-in logs" },
    PROBE (SMTP), .account = ACC_M365,
    .reply = "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be "
             "authenticated successfully. Contact your administrator. [BN9PR03CA0123.namprd03.prod.outlook.com]" },
  { "exchange-auth-rejected", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN, { "Sign in again" },
    PROBE (SMTP), .account = ACC_M365,
    .reply = "535 5.7.3 Authentication unsuccessful [SN4PR0201CA0068.namprd02.prod.outlook.com]" },
  { "token-scope-missing", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
    { "SMTP.Send", "adminconsent?client_id=" CLIENT_ID },
    PROBE (SMTP), .account = ACC_M365, .aud = "https://outlook.office.com",
    .scp = "IMAP.AccessAsUser.All", .upn = EMAIL, .tid = TID,
    .reply = "535 5.7.3 Authentication unsuccessful [SN4PR0201CA0068.namprd02.prod.outlook.com]" },
  { "smtp-basic-auth-retired", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "XOAUTH2" },
    PROBE (SMTP), .account = ACC_M365,
    .reply = "550 5.7.30 Basic authentication is not supported for Client Submission." },
  { "smtp-not-authenticated", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "XOAUTH2" },
    PROBE_WITH (SMTP, LK_ERROR_PROTOCOL), .account = ACC_M365,
    .reply = "530 5.7.57 Client not authenticated to send mail. [DM6PR02CA0123.namprd02.prod.outlook.com]" },

  /* Exchange Online IMAP and POP, narrowed down with the token's claims */
  { "token-wrong-audience", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
    { "https://outlook.office.com/IMAP.AccessAsUser.All" },
    PROBE (IMAP), .account = ACC_M365, .aud = "https://graph.microsoft.com",
    .scp = "IMAP.AccessAsUser.All User.Read", .upn = EMAIL, .reply = "a1 NO AUTHENTICATE failed." },
  { "token-scope-missing", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "IMAP.AccessAsUser.All" },
    PROBE (IMAP), .account = ACC_M365, .aud = "https://outlook.office.com", .scp = "SMTP.Send",
    .upn = EMAIL, .reply = "a1 NO AUTHENTICATE failed." },
  { "shared-mailbox-no-access", LK_FIXER_MAILBOX_ADMIN, LK_CONFIDENCE_LIKELY,
    { "Add-MailboxPermission -Identity '" SHARED "' -User '" EMAIL "' -AccessRights FullAccess",
      "Get-MailboxPermission -Identity '" SHARED "' -User '" EMAIL "'" },
    PROBE (IMAP), .account = ACC_M365_SHARED, GOOD_CLAIMS, .reply = "a1 NO AUTHENTICATE failed." },
  { "mailbox-imap-disabled", LK_FIXER_MAILBOX_ADMIN, LK_CONFIDENCE_LIKELY,
    { "Set-CASMailbox -Identity '" EMAIL "' -ImapEnabled $true",
      "Get-CASMailbox -Identity '" EMAIL "' | Format-List ImapEnabled" },
    PROBE (IMAP), .account = ACC_M365, GOOD_CLAIMS, .reply = "a1 NO AUTHENTICATE failed." },
  { "mailbox-pop-disabled", LK_FIXER_MAILBOX_ADMIN, LK_CONFIDENCE_LIKELY,
    { "Set-CASMailbox -Identity '" EMAIL "' -PopEnabled $true" },
    PROBE (POP), .account = ACC_M365, GOOD_CLAIMS,
    .reply = "-ERR Authentication failure: unknown user name or bad password." },
  { "outlook-com-imap-off", LK_FIXER_USER, LK_CONFIDENCE_LIKELY, { "Forwarding and IMAP", "IMAP" },
    PROBE (IMAP), .account = ACC_OUTLOOK, .reply = "a1 NO AUTHENTICATE failed." },
  { "app-only-permission-missing", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_CERTAIN,
    { "IMAP.AccessAsApp", "scope=https%3A%2F%2Foutlook.office365.com%2F.default", CLIENT_ID },
    PROBE (IMAP), .account = ACC_M365_APP, .aud = "https://outlook.office365.com",
    .roles = "SMTP.SendAsApp", .oid = SP_OID, .tid = TID, .reply = "a1 NO AUTHENTICATE failed." },
  { "app-only-mailbox-access", LK_FIXER_MAILBOX_ADMIN, LK_CONFIDENCE_LIKELY,
    { "New-ServicePrincipal -AppId '" CLIENT_ID "' -ObjectId '" SP_OID "'",
      "Add-MailboxPermission -Identity '" EMAIL "' -User '" SP_OID "' -AccessRights FullAccess" },
    PROBE (IMAP), .account = ACC_M365_APP, .aud = "https://outlook.office365.com",
    .roles = "IMAP.AccessAsApp POP.AccessAsApp", .oid = SP_OID, .tid = TID,
    .reply = "a1 NO AUTHENTICATE failed." },
  { "exchange-auth-rejected", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN, { "" },
    PROBE (POP), .account = ACC_NONE,
    .reply = "-ERR Authentication failure: unknown user name or bad password." },

  /* Dovecot and other servers */
  { "mail-auth-rejected", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN, { "" },
    PROBE (IMAP), .account = ACC_GENERIC, .reply = "a1 NO [AUTHENTICATIONFAILED] Authentication failed." },
  { "mail-auth-rejected", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN, { "" },
    PROBE (SMTP), .account = ACC_GENERIC, .reply = "535 5.7.8 Authentication failed." },
  { "mail-auth-rejected", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN, { "https://mail.google.com/" },
    PROBE (IMAP), .account = ACC_GOOGLE, .reply = "A01 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)",
    .challenge = "{\"status\":\"400\",\"schemes\":\"Bearer\",\"scope\":\"https://mail.google.com/\"}" },
  { "mail-auth-rejected", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN, { "" },
    PROBE (POP), .account = ACC_GENERIC, .reply = "-ERR [AUTH] Authentication failed." },
  { "mail-auth-user-mismatch", LK_FIXER_MAILBOX_ADMIN, LK_CONFIDENCE_LIKELY, { "" },
    PROBE (IMAP), .account = ACC_GENERIC, .upn = "bob@example.org",
    .reply = "a1 NO [AUTHENTICATIONFAILED] Authentication failed." },
  { "unrecognised", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN, { "" },
    PROBE_WITH (IMAP, LK_ERROR_PROTOCOL), .account = ACC_GENERIC,
    .reply = "a1 BAD [CLIENTBUG] Something odd" },

  /* Network and TLS */
  { "dns-not-resolved", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "outlook.office365.com" },
    .phase = LK_DIAGNOSE_PHASE_PROBE, .protocol = LK_PROTOCOL_IMAP, .account = ACC_M365,
    .domain = g_resolver_error_quark, .code = G_RESOLVER_ERROR_NOT_FOUND },
  { "connection-refused", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN, { "mail.example.org" },
    .phase = LK_DIAGNOSE_PHASE_PROBE, .protocol = LK_PROTOCOL_IMAP, .account = ACC_GENERIC,
    .host = "mail.example.org", .domain = g_io_error_quark, .code = G_IO_ERROR_CONNECTION_REFUSED },
  { "connection-timed-out", LK_FIXER_PROVIDER, LK_CONFIDENCE_LIKELY, { "smtp.office365.com" },
    .phase = LK_DIAGNOSE_PHASE_PROBE, .protocol = LK_PROTOCOL_SMTP, .account = ACC_M365,
    .domain = g_io_error_quark, .code = G_IO_ERROR_TIMED_OUT },
  { "tls-untrusted", LK_FIXER_PROVIDER, LK_CONFIDENCE_CERTAIN,
    { "imap.gmail.com", "AB:CD:EF:01:23:45", "CN=Corporate Proxy CA" },
    .phase = LK_DIAGNOSE_PHASE_PROBE, .protocol = LK_PROTOCOL_IMAP, .account = ACC_GOOGLE,
    .domain = g_tls_error_quark, .code = G_TLS_ERROR_BAD_CERTIFICATE,
    .tls_flags = G_TLS_CERTIFICATE_UNKNOWN_CA, .tls_subject = "CN=Corporate Proxy CA",
    .tls_fingerprint = "AB:CD:EF:01:23:45" },
  { "tls-expired", LK_FIXER_PROVIDER, LK_CONFIDENCE_CERTAIN, { "mail.example.org", "2026-05-01" },
    .phase = LK_DIAGNOSE_PHASE_PROBE, .protocol = LK_PROTOCOL_IMAP, .account = ACC_GENERIC,
    .host = "mail.example.org", .domain = g_tls_error_quark, .code = G_TLS_ERROR_BAD_CERTIFICATE,
    .tls_flags = G_TLS_CERTIFICATE_EXPIRED, .tls_not_after = 1777636800, .tls_fingerprint = "12:34" },
  { "tls-wrong-host", LK_FIXER_PROVIDER, LK_CONFIDENCE_CERTAIN,
    { "mail.example.org", "CN=wrong.example.net", "9F:86:D0:81" },
    .phase = LK_DIAGNOSE_PHASE_PROBE, .protocol = LK_PROTOCOL_SMTP, .account = ACC_GENERIC,
    .host = "mail.example.org", .domain = g_tls_error_quark, .code = G_TLS_ERROR_BAD_CERTIFICATE,
    .tls_flags = G_TLS_CERTIFICATE_BAD_IDENTITY, .tls_subject = "CN=wrong.example.net",
    .tls_fingerprint = "9F:86:D0:81" },
  { "starttls-unavailable", LK_FIXER_PROVIDER, LK_CONFIDENCE_CERTAIN, { "smtp.office365.com" },
    .phase = LK_DIAGNOSE_PHASE_PROBE, .protocol = LK_PROTOCOL_SMTP, .account = ACC_M365,
    .domain = lk_error_quark, .code = LK_ERROR_STARTTLS_UNAVAILABLE },
  { "unrecognised", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN, { "" },
    .phase = LK_DIAGNOSE_PHASE_PROBE, .account = ACC_GENERIC,
    .domain = g_io_error_quark, .code = G_IO_ERROR_BROKEN_PIPE },
};

static LkAccount *
make_account (AccountKind kind)
{
  g_autoptr(LkProvider) google = NULL;
  LkAccount *account = NULL;

  switch (kind)
    {
    case ACC_NONE:
      return NULL;
    case ACC_M365:
    case ACC_M365_SHARED:
    case ACC_M365_APP:
      account = lk_account_new (kind == ACC_M365_SHARED ? SHARED : EMAIL,
                                lk_provider_registry_lookup (registry, "microsoft365"));
      account->tenant = g_strdup (TENANT);
      account->client_id = g_strdup (CLIENT_ID);
      if (kind == ACC_M365_SHARED)
        account->login = g_strdup (EMAIL);
      if (kind == ACC_M365_APP)
        account->flow = LK_FLOW_APP_ONLY;
      account->protocols = LK_PROTOCOL_FLAG_ALL;
      return account;
    case ACC_OUTLOOK:
      account = lk_account_new ("alice@outlook.com", lk_provider_registry_lookup (registry, "outlook"));
      account->client_id = g_strdup (CLIENT_ID);
      return account;
    case ACC_GOOGLE:
    case ACC_GOOGLE_DEVICE:
      google = lk_provider_new_from_data (google_profile, -1, "google.json", NULL);
      g_assert_nonnull (google);
      account = lk_account_new ("alice@gmail.com", google);
      if (kind == ACC_GOOGLE_DEVICE)
        account->flow = LK_FLOW_DEVICE;
      return account;
    case ACC_GENERIC:
      account = lk_account_new ("alice@example.org", lk_provider_registry_lookup (registry, "generic"));
      return account;
    default:
      g_assert_not_reached ();
    }
}

static char *
fix_text (LkDiagnosis *d)
{
  g_autoptr(GString) s = g_string_new (d->explanation);

  for (guint i = 0; d->steps[i] != NULL; i++)
    g_string_append_printf (s, "\n%s", d->steps[i]);
  for (guint i = 0; d->commands[i] != NULL; i++)
    g_string_append_printf (s, "\n%s", d->commands[i]);
  if (d->portal_path != NULL)
    g_string_append_printf (s, "\n%s", d->portal_path);
  if (d->url != NULL)
    g_string_append_printf (s, "\n%s", d->url);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Every generated command parses as plain words and whole literals. */
static void
assert_commands_safe (LkDiagnosis *d)
{
  for (guint i = 0; d->commands[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) tokens = ps_ref_tokenize (d->commands[i]);

      if (tokens == NULL)
        g_error ("command does not parse cleanly: %s", d->commands[i]);
    }
}

static LkDiagnosis *
run_case (const Case *c)
{
  g_autoptr(LkAccount) account = make_account (c->account);
  g_autoptr(GError) error = g_error_new_literal (c->domain (), c->code, "test failure");
  LkDiagnoseInput in = { 0 };

  if (c->domain () == LK_ERROR && (c->oauth_error != NULL || c->description != NULL))
    lk_error_set_oauth (error, c->oauth_error, c->description, 400);
  if (c->domain () == LK_ERROR && c->reply != NULL)
    lk_error_set_server_reply (error, c->reply, c->challenge);
  in.error = error;
  in.phase = c->phase;
  in.protocol = c->protocol;
  in.account = account;
  in.redirect_uri = c->redirect_uri;
  in.scope = c->scope;
  in.challenge = c->challenge;
  in.claim_aud = c->aud;
  in.claim_scp = c->scp;
  in.claim_roles = c->roles;
  in.claim_upn = c->upn;
  in.claim_tid = c->tid;
  in.claim_oid = c->oid;
  in.host = c->host;
  in.tls_flags = c->tls_flags;
  in.tls_subject = c->tls_subject;
  in.tls_fingerprint = c->tls_fingerprint;
  in.tls_not_after = c->tls_not_after;
  in.signed_in_at = c->signed_in_at;
  in.now = NOW;
  return lk_diagnose (&in);
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(LkDiagnosis) d = run_case (c);
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *json_text = NULL;

  g_assert_nonnull (d);
  text = fix_text (d);
  g_test_message ("%s", text);
  g_assert_cmpstr (d->id, ==, c->id);
  g_assert_cmpstr (lk_fixer_to_string (d->fixer), ==, lk_fixer_to_string (c->fixer));
  g_assert_cmpstr (lk_confidence_to_string (d->confidence), ==, lk_confidence_to_string (c->confidence));
  g_assert_nonnull (d->title);
  g_assert_nonnull (d->explanation);
  for (guint i = 0; i < G_N_ELEMENTS (c->mentions) && c->mentions[i] != NULL; i++)
    if (strstr (text, c->mentions[i]) == NULL)
      g_error ("fix text lacks “%s”:\n%s", c->mentions[i], text);
  /* A guess is never dressed as fact: unsure diagnoses say "likely". */
  if (c->confidence == LK_CONFIDENCE_LIKELY)
    {
      g_autofree char *lower = g_utf8_strdown (text, -1);
      g_autofree char *title = g_utf8_strdown (d->title, -1);

      g_assert_true (strstr (lower, "likely") != NULL || strstr (title, "likely") != NULL);
    }
  /* Whatever the server or provider said is kept, word for word. */
  if (c->reply != NULL)
    g_assert_true (g_str_has_prefix (c->reply, d->raw));
  else if (c->description != NULL)
    {
      g_autofree char *trimmed = g_strstrip (g_strdup (c->description));

      g_assert_cmpstr (d->raw, ==, trimmed);
    }
  assert_commands_safe (d);

  json = lk_diagnosis_to_json (d);
  json_text = json_to_string (json, FALSE);
  g_assert_nonnull (strstr (json_text, c->id));
}

/* An address and a login that try every way out of a PowerShell literal
 * end up as exactly one literal each in every command. */
static void
test_hostile_values (void)
{
  static const char *mailboxes[] = {
    "o'brien@contoso.com",
    "x\u2019;Stop-Computer;\u2018@contoso.com",
    "$(Stop-Computer)`;\"@contoso.com",
  };

  for (guint i = 0; i < G_N_ELEMENTS (mailboxes); i++)
    {
      static const char *replies[] = {
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.",
        "a1 NO AUTHENTICATE failed.",
      };

      for (guint j = 0; j < G_N_ELEMENTS (replies); j++)
        {
          g_autoptr(LkAccount) account = make_account (ACC_M365);
          g_autoptr(GError) error = g_error_new_literal (LK_ERROR, LK_ERROR_AUTH_REJECTED, "refused");
          g_autoptr(LkDiagnosis) d = NULL;
          LkDiagnoseInput in = { 0 };
          gboolean found = FALSE;

          g_free (account->email);
          account->email = g_strdup (mailboxes[i]);
          lk_error_set_server_reply (error, replies[j], NULL);
          in.error = error;
          in.phase = LK_DIAGNOSE_PHASE_PROBE;
          in.protocol = j == 2 ? LK_PROTOCOL_IMAP : LK_PROTOCOL_SMTP;
          in.account = account;
          in.claim_aud = "https://outlook.office.com";
          in.claim_scp = "IMAP.AccessAsUser.All SMTP.Send";
          /* the shared-mailbox case: the login is hostile too */
          in.claim_upn = "bob'; Remove-Mailbox -Identity x; '@contoso.com";
          d = lk_diagnose (&in);
          g_assert_nonnull (d);
          g_assert_nonnull (d->commands[0]);
          for (guint k = 0; d->commands[k] != NULL; k++)
            {
              g_autoptr(GPtrArray) tokens = ps_ref_tokenize (d->commands[k]);

              g_test_message ("%s", d->commands[k]);
              g_assert_nonnull (tokens);
              for (guint t = 0; t < tokens->len; t++)
                {
                  const char *token = g_ptr_array_index (tokens, t);

                  if (g_str_equal (token, mailboxes[i]))
                    found = TRUE;
                  /* no cmdlet but the ones meant ever appears as a word */
                  g_assert_false (g_str_equal (token, "Stop-Computer"));
                  g_assert_false (g_str_equal (token, "Remove-Mailbox"));
                }
            }
          g_assert_true (found);
        }
    }
}

static void
test_cancelled (void)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  LkDiagnoseInput in = { .error = error, .phase = LK_DIAGNOSE_PHASE_SIGN_IN };

  g_assert_null (lk_diagnose (&in));
}

static void
test_prefixed_error (void)
{
  g_autoptr(LkAccount) account = make_account (ACC_M365);
  g_autoptr(GError) error = g_error_new_literal (LK_ERROR, LK_ERROR_OAUTH, "refused");
  g_autoptr(LkDiagnosis) d = NULL;
  LkDiagnoseInput in = { 0 };

  lk_error_set_oauth (error, "invalid_client",
                      "AADSTS7000218: The request body must contain the following parameter: "
                      "'client_assertion' or 'client_secret'." TRACE, 401);
  g_prefix_error (&error, "Signing in %s: ", EMAIL);
  in.error = error;
  in.account = account;
  d = lk_diagnose (&in);
  g_assert_cmpstr (d->id, ==, "aadsts-7000218-public-client");
}

static void
test_admin_consent_url (void)
{
  g_autoptr(LkAccount) account = make_account (ACC_M365);
  g_autofree char *url = NULL;
  g_autofree char *smtp_url = NULL;
  g_autofree char *it_url = NULL;
  LkDiagnoseInput in = { 0 };

  in.account = account;
  account->protocols = LK_PROTOCOL_FLAG_IMAP;
  url = lk_diagnose_admin_consent_url (&in);
  g_assert_cmpstr (url, ==,
                   "https://login.microsoftonline.com/" TENANT "/v2.0/adminconsent?client_id=" CLIENT_ID
                   "&redirect_uri=http%3A%2F%2Flocalhost"
                   "&scope=https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All%20offline_access");
  /* The very link the IT window and `admin consent-url` give for this app. */
  it_url = lk_microsoft_admin_consent_url (account->provider, TENANT, CLIENT_ID,
                                           LK_PROTOCOL_FLAG_IMAP, FALSE, NULL, NULL, NULL);
  g_assert_cmpstr (url, ==, it_url);

  /* "organizations" names no tenant: the token's tid does */
  g_free (account->tenant);
  account->tenant = NULL;
  account->flow = LK_FLOW_APP_ONLY;
  account->protocols = LK_PROTOCOL_FLAG_SMTP;
  in.claim_tid = TID;
  smtp_url = lk_diagnose_admin_consent_url (&in);
  g_assert_cmpstr (smtp_url, ==,
                   "https://login.microsoftonline.com/" TID "/v2.0/adminconsent?client_id=" CLIENT_ID
                   "&redirect_uri=http%3A%2F%2Flocalhost"
                   "&scope=https%3A%2F%2Foutlook.office365.com%2F.default");

  /* The tenant id looked up for the address's domain (the sign-in page
   * asks as `admin consent-url` does) comes before the token's; the
   * account's own still before both. */
  g_clear_pointer (&smtp_url, g_free);
  in.tenant = TENANT;
  smtp_url = lk_diagnose_admin_consent_url (&in);
  g_assert_true (g_str_has_prefix (smtp_url, "https://login.microsoftonline.com/" TENANT "/v2.0/"));
  g_clear_pointer (&smtp_url, g_free);
  in.tenant = "organizations";
  smtp_url = lk_diagnose_admin_consent_url (&in);
  g_assert_true (g_str_has_prefix (smtp_url, "https://login.microsoftonline.com/" TID "/v2.0/"));
  g_clear_pointer (&smtp_url, g_free);
  account->tenant = g_strdup (TID);
  in.tenant = TENANT;
  in.claim_tid = NULL;
  smtp_url = lk_diagnose_admin_consent_url (&in);
  g_assert_true (g_str_has_prefix (smtp_url, "https://login.microsoftonline.com/" TID "/v2.0/"));
}

static void
test_json_and_text (void)
{
  const Case *c = NULL;
  g_autoptr(LkDiagnosis) d = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  JsonObject *o;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    if (g_str_equal (cases[i].id, "smtp-auth-disabled-mailbox"))
      c = &cases[i];
  d = run_case (c);
  node = lk_diagnosis_to_json (d);
  o = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (o, "id"), ==, "smtp-auth-disabled-mailbox");
  g_assert_cmpstr (json_object_get_string_member (o, "fixer"), ==, "mailbox-admin");
  g_assert_cmpstr (json_object_get_string_member (o, "confidence"), ==, "certain");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "commands")), ==, 4);
  g_assert_true (json_object_get_null_member (o, "url"));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (o, "raw"), "535 5.7.139"));

  text = lk_diagnosis_to_text (d);
  g_assert_nonnull (strstr (text, "Set-CASMailbox -Identity '" EMAIL "' -SmtpClientAuthenticationDisabled $false"));
  g_assert_nonnull (strstr (text, "535 5.7.139"));
}

static GBytes *
json_bytes (const char *text)
{
  return g_bytes_new_static (text, strlen (text));
}

/* What "Copy Details for IT" carries: the token endpoint's own request ids
 * (its JSON members, or the description's lines where they are missing),
 * the AADSTS number, tenant, client id, time, and for a mail server the
 * protocol and server; the admin consent link is marked as such. */
static void
test_support_facts (void)
{
  g_autoptr(LkAccount) account = make_account (ACC_M365);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) from_text = NULL;
  g_autoptr(GError) probe_error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) body_text = NULL;
  g_autoptr(LkDiagnosis) d = NULL;
  g_autoptr(LkDiagnosis) smtp = NULL;
  g_autofree char *text = NULL;
  g_autofree char *smtp_text = NULL;
  LkDiagnoseInput in = { 0 };
  const LkErrorDetails *details;

  body = json_bytes ("{\"error\": \"invalid_grant\", \"error_description\": "
                             "\"AADSTS65001: The user or administrator has not consented.\\r\\n"
                             "Trace ID: 11111111-aaaa-bbbb-cccc-222222222222\", "
                             "\"error_codes\": [65001], "
                             "\"trace_id\": \"0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6\", "
                             "\"correlation_id\": \"9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0\"}");
  g_assert_null (lk_oauth_response_parse (400, body, &error));
  details = lk_error_get_details (error);
  g_assert_cmpstr (details->trace_id, ==, "0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6");
  g_assert_cmpstr (details->correlation_id, ==, "9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0");

  /* Without the members, from the description; a value that is no id is
   * dropped rather than shown. */
  body_text = json_bytes ("{\"error\": \"invalid_request\", \"error_description\": "
                                  "\"AADSTS90014: missing.\\r\\nTrace ID: 0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"
                                  "\\r\\nCorrelation ID: <script>\"}");
  g_assert_null (lk_oauth_response_parse (400, body_text, &from_text));
  details = lk_error_get_details (from_text);
  g_assert_cmpstr (details->trace_id, ==, "0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6");
  g_assert_null (details->correlation_id);

  in.error = error;
  in.phase = LK_DIAGNOSE_PHASE_SIGN_IN;
  in.account = account;
  in.now = NOW;
  d = lk_diagnose (&in);
  g_assert_cmpuint (d->aadsts, ==, 65001);
  g_assert_cmpstr (d->tenant, ==, TENANT);
  g_assert_cmpstr (d->client_id, ==, CLIENT_ID);
  g_assert_cmpint (d->time, ==, NOW);
  g_assert_cmpstr (d->server, ==, "login.microsoftonline.com");
  g_assert_null (d->protocol);
  g_assert_cmpint (d->url_kind, ==, LK_DIAGNOSIS_LINK_ADMIN_CONSENT);
  text = lk_diagnosis_to_support_text (d, NULL, NULL);
  g_assert_nonnull (strstr (text, "\nError code: AADSTS65001\n"));
  g_assert_nonnull (strstr (text, "\nTenant: " TENANT "\n"));
  g_assert_nonnull (strstr (text, "\nClient ID: " CLIENT_ID "\n"));
  g_assert_nonnull (strstr (text, "\nTime (UTC): 2026-05-28T20:26:40Z\n"));
  g_assert_nonnull (strstr (text, "\nTrace ID: 0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6\n"));
  g_assert_nonnull (strstr (text, "\nCorrelation ID: 9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0\n"));
  g_assert_nonnull (strstr (text, "\nLink: https://login.microsoftonline.com/" TENANT "/v2.0/adminconsent?"));

  /* A mail server: the protocol and where, the reply, the transcript. */
  probe_error = g_error_new_literal (LK_ERROR, LK_ERROR_AUTH_REJECTED, "SMTP refused the sign-in");
  memset (&in, 0, sizeof in);
  in.error = probe_error;
  in.phase = LK_DIAGNOSE_PHASE_PROBE;
  in.protocol = LK_PROTOCOL_SMTP;
  in.account = account;
  in.server_reply = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.";
  in.host = "smtp.office365.com";
  in.now = NOW;
  smtp = lk_diagnose (&in);
  g_assert_cmpstr (smtp->protocol, ==, "SMTP");
  g_assert_cmpstr (smtp->server, ==, "smtp.office365.com:587");
  g_assert_cmpint (smtp->url_kind, ==, LK_DIAGNOSIS_LINK_INFO);
  smtp_text = lk_diagnosis_to_support_text (smtp, "C: AUTH XOAUTH2 <redacted>\nS: 535 5.7.139",
                                            "TLSv1.3");
  g_assert_nonnull (strstr (smtp_text, "\nProtocol: SMTP\nServer: smtp.office365.com:587\n"));
  g_assert_nonnull (strstr (smtp_text, "\nThe server said: 535 5.7.139 Authentication unsuccessful"));
  g_assert_nonnull (strstr (smtp_text, "\nTranscript:\nC: AUTH XOAUTH2 <redacted>\nS: 535 5.7.139\n"));
  g_assert_nonnull (strstr (smtp_text, "\nConnection:\nTLSv1.3\n"));
  g_assert_null (strstr (smtp_text, "Error code:"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  registry = lk_provider_registry_new ();
  lk_provider_registry_load (registry);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/diagnose/case/%02u-%s", i, cases[i].id);

      g_test_add_data_func (path, &cases[i], test_case);
    }
  g_test_add_func ("/diagnose/hostile-values", test_hostile_values);
  g_test_add_func ("/diagnose/cancelled", test_cancelled);
  g_test_add_func ("/diagnose/prefixed-error", test_prefixed_error);
  g_test_add_func ("/diagnose/admin-consent-url", test_admin_consent_url);
  g_test_add_func ("/diagnose/json-and-text", test_json_and_text);
  g_test_add_func ("/diagnose/support-facts", test_support_facts);
  return g_test_run ();
}
