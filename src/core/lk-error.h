/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LK_ERROR (lk_error_quark ())

/**
 * LkErrorCode:
 *
 * One domain for everything Latchkey itself decides is wrong. Errors from GIO,
 * GnuTLS (through GIO) and libsecret are passed through with context added by
 * g_prefix_error(); these codes cover the rest. Extra facts a diagnosis needs
 * (the OAuth error, the AADSTS number, the server's reply) ride along in the
 * error's private data, see lk_error_get_details().
 */
typedef enum
{
  LK_ERROR_FAILED,                  /* nothing more specific fits */
  LK_ERROR_INVALID_INPUT,           /* the caller or the user gave something unusable */
  LK_ERROR_INVALID_PROFILE,         /* a provider profile is malformed */
  LK_ERROR_INSECURE_ENDPOINT,       /* plain http, or "none" security, off loopback */
  LK_ERROR_STATE_MISMATCH,          /* redirect carried the wrong or no state */
  LK_ERROR_ISSUER_MISMATCH,         /* RFC 9207 iss differs from the issuer asked */
  LK_ERROR_AUTHORIZATION_DENIED,    /* error= in the redirect (user or policy said no) */
  LK_ERROR_OAUTH,                   /* the token endpoint answered with an OAuth error */
  LK_ERROR_INVALID_GRANT,           /* a refresh token or code was refused: sign in again */
  LK_ERROR_BAD_RESPONSE,            /* malformed, oversized or incomplete answer */
  LK_ERROR_HTTP,                    /* an HTTP status without an OAuth error body */
  LK_ERROR_TIMED_OUT,
  LK_ERROR_NETWORK,                 /* a server could not be reached */
  LK_ERROR_NEEDS_SIGN_IN,           /* the account has no usable refresh token */
  LK_ERROR_KEYRING,                 /* the token store cannot be used: no Secret Service or a
                                     * locked keyring; no key for, or a damaged, sealed store */
  LK_ERROR_NOT_FOUND,               /* no such account or profile */
  LK_ERROR_EXISTS,                  /* would overwrite something */
  LK_ERROR_AUTH_REJECTED,           /* a mail server refused the token */
  LK_ERROR_PROTOCOL,                /* a mail server said something unexpected */
  LK_ERROR_STARTTLS_UNAVAILABLE,    /* STARTTLS required but not offered */
  LK_ERROR_MECHANISM_UNAVAILABLE,   /* none of the allowed SASL mechanisms offered */
  LK_ERROR_EXPIRED,                 /* a device code or authorization code ran out */
} LkErrorCode;

/**
 * LkRemedy:
 *
 * What the person can do about an error, as something a front end can act
 * on: the message says it in words ("sign in again"), the CLI adds its
 * command for it, the GUI may offer a button.
 */
typedef enum
{
  LK_REMEDY_NONE,
  LK_REMEDY_SIGN_IN,        /* sign the account in again */
  LK_REMEDY_ADD,            /* add the account (it does not exist) */
  LK_REMEDY_ADD_APP_ONLY,   /* add the account again as an app-only one */
  LK_REMEDY_REMOVE,         /* remove the account (what is left of it) */
  LK_REMEDY_CHECK_ADDRESS,  /* check the address against the accounts there are */
} LkRemedy;

/**
 * LkErrorDetails:
 *
 * What the diagnosis needs beyond code and message. Every string is safe to
 * show: none of them ever holds a token, code, verifier or secret.
 */
typedef struct
{
  char  *oauth_error;             /* "invalid_grant", "access_denied" … */
  char  *oauth_error_description;
  guint  aadsts;                  /* first AADSTS number, 0 when none */
  guint  http_status;             /* 0 when not HTTP */
  char  *server_reply;            /* a mail server's last reply line */
  char  *challenge;               /* decoded SASL failure challenge (JSON) */
  LkRemedy remedy;
  char  *account;                 /* nullable: the account @remedy is for */
  char  *trace_id;                /* the identity provider's ids of the failed request, */
  char  *correlation_id;          /* which its support and sign-in logs look up */
} LkErrorDetails;

GQuark                lk_error_quark            (void);
const LkErrorDetails *lk_error_get_details      (const GError *error);
LkErrorDetails       *lk_error_get_details_mut  (GError       *error);
void                  lk_error_set_oauth        (GError       *error,
                                                 const char   *oauth_error,
                                                 const char   *description,
                                                 guint         http_status);
void                  lk_error_set_server_reply (GError       *error,
                                                 const char   *reply,
                                                 const char   *challenge);
void                  lk_error_set_remedy       (GError       *error,
                                                 LkRemedy      remedy,
                                                 const char   *account);
void                  lk_error_set_request_ids  (GError       *error,
                                                 const char   *trace_id,
                                                 const char   *correlation_id,
                                                 const char   *description);
guint                 lk_error_parse_aadsts     (const char   *text);
gboolean              lk_error_is_cancelled     (const GError *error);

G_END_DECLS
