/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The strict test identity provider (see lk-test-idp.h). It follows
 * Microsoft's identity platform as doc/protocols.md A describes it:
 * the v2.0 paths under a tenant segment, PKCE, single-use codes, refresh
 * tokens replaced on every use, the device code grant without
 * verification_uri_complete, client credentials with `roles`, and errors
 * that carry an AADSTS code in error_description and error_codes. Where
 * Microsoft is lenient and our client must not rely on it, this server is
 * stricter (S256 only, redirect_uri always required, a code burnt by a
 * failed redemption).
 *
 * Nothing here logs a whole token, code or secret unless LK_TEST_IDP_DEBUG
 * is set in the environment.
 */
#define G_LOG_DOMAIN "lk-test-idp"

#include "config.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "lk-test-idp.h"
#include "lk-test-jwt.h"

#define OVERSIZED_BODY      (2 * 1024 * 1024)
#define LARGE_TOKEN_SIZE    2500
#define OUTLOOK_AUDIENCE    "https://outlook.office.com"
#define OUTLOOK365_AUDIENCE "https://outlook.office365.com"
#define GRAPH_AUDIENCE      "https://graph.microsoft.com"
#define PS_AUDIENCE         "https://ps.outlook.com"
/* Home tenant of users whose domain is in no table. */
#define FALLBACK_TENANT     "f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f"
#define DEVICE_LIFETIME     900
#define SLOW_DOWN_STEP      5
/* Polls this much early still count as on time (timer jitter). */
#define POLL_SLACK_US       (150 * 1000)

/* ------------------------------------------------------------------ */
/* AADSTS errors                                                       */

typedef struct
{
  guint       code;
  const char *token_error;     /* `error` from the token endpoint */
  const char *redirect_error;  /* `error` in a redirect from /authorize */
  guint       status;
  const char *message;
} AadstsInfo;

/* Texts from Microsoft's error reference, shortened where long. */
static const AadstsInfo aadsts_table[] = {
  { 50011, "invalid_request", "invalid_request", 400,
    "The redirect URI specified in the request does not match the redirect URIs configured for the application." },
  { 50058, "invalid_grant", "login_required", 400,
    "A silent sign-in request was sent but no user is signed in." },
  { 50059, "invalid_request", "invalid_request", 400,
    "No tenant-identifying information found in either the request or implied by any provided credentials." },
  { 50074, "interaction_required", "interaction_required", 400,
    "Strong Authentication is required." },
  { 50076, "interaction_required", "interaction_required", 400,
    "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource." },
  { 50079, "interaction_required", "interaction_required", 400,
    "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access the resource." },
  { 50173, "invalid_grant", "invalid_grant", 400,
    "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password." },
  { 50194, "invalid_request", "invalid_request", 400,
    "Application is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications." },
  { 53003, "interaction_required", "access_denied", 400,
    "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance." },
  { 54005, "invalid_grant", "invalid_grant", 400,
    "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token." },
  { 65001, "invalid_grant", "consent_required", 400,
    "The user or administrator has not consented to use the application. Send an interactive authorization request for this user and resource." },
  { 65004, "access_denied", "access_denied", 400,
    "User declined to consent to access the app." },
  { 70000, "invalid_grant", "invalid_grant", 400,
    "The request was denied because one or more grants are invalid." },
  { 70003, "unsupported_grant_type", "unsupported_grant_type", 400,
    "The app requested an unsupported grant type." },
  { 70008, "invalid_grant", "invalid_grant", 400,
    "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource." },
  { 70011, "invalid_scope", "invalid_scope", 400,
    "The provided value for the input parameter 'scope' is not valid." },
  { 70016, "authorization_pending", "authorization_pending", 400,
    "OAuth 2.0 device flow error. Authorization is pending. Continue polling." },
  { 70018, "bad_verification_code", "bad_verification_code", 400,
    "Invalid verification code due to User typing in wrong user code for device code flow." },
  { 70019, "expired_token", "expired_token", 400,
    "Verification code expired." },
  /* Seen in practice for an expired device code. */
  { 70020, "expired_token", "expired_token", 400,
    "The provided value for the input parameter 'device_code' is not valid. This device code has expired." },
  { 70043, "invalid_grant", "invalid_grant", 400,
    "The refresh token has expired or is invalid due to sign-in frequency checks by conditional access." },
  { 90002, "invalid_request", "invalid_request", 400,
    "Tenant not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud." },
  { 90014, "invalid_request", "invalid_request", 400,
    "The request body must contain the following parameter." },
  { 90094, "invalid_grant", "consent_required", 400,
    "Admin consent is required for the permissions requested by this application." },
  { 90095, "invalid_grant", "consent_required", 400,
    "Admin consent is required for the permissions requested by this application. An admin consent request may be sent to the admin." },
  { 500011, "invalid_resource", "invalid_resource", 400,
    "The resource principal was not found in the tenant." },
  { 500112, "invalid_grant", "invalid_grant", 400,
    "The reply address does not match the reply address provided when requesting Authorization code." },
  { 501481, "invalid_grant", "invalid_grant", 400,
    "The Code_Verifier does not match the code_challenge supplied in the authorization request." },
  { 501491, "invalid_request", "invalid_request", 400,
    "Invalid size of Code_Challenge parameter." },
  { 530035, "interaction_required", "access_denied", 400,
    "Access has been blocked by security defaults." },
  { 700016, "unauthorized_client", "unauthorized_client", 400,
    "Application with the identifier was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant." },
  { 700022, "invalid_scope", "invalid_scope", 400,
    "The provided value for the input parameter scope is not valid because it contains more than one resource." },
  { 700025, "invalid_client", "invalid_client", 401,
    "Client is public so neither 'client_assertion' nor 'client_secret' should be presented." },
  { 700054, "unsupported_response_type", "unsupported_response_type", 400,
    "response_type is not enabled for the application." },
  { 700082, "invalid_grant", "invalid_grant", 400,
    "The refresh token has expired due to inactivity. The token was issued and was inactive for 90.00:00:00." },
  { 900144, "invalid_request", "invalid_request", 400,
    "The request body must contain the following parameter." },
  { 900561, "invalid_request", "invalid_request", 400,
    "The endpoint only accepts POST requests." },
  { 900971, "invalid_request", "invalid_request", 400,
    "No reply address provided." },
  { 1002012, "invalid_scope", "invalid_scope", 400,
    "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)." },
  { 7000215, "invalid_client", "invalid_client", 401,
    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID." },
  { 7000218, "invalid_client", "invalid_client", 401,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'." },
  { 9002313, "invalid_grant", "invalid_request", 400,
    "Invalid request. Request is malformed or invalid." },
  { 9002325, "invalid_request", "invalid_request", 400,
    "Proof Key for Code Exchange is required for cross-origin authorization code redemption." },
};

static const AadstsInfo *
aadsts_lookup (guint code)
{
  static const AadstsInfo fallback = { 0, "invalid_request", "invalid_request", 400,
                                       "The request was refused." };

  for (gsize i = 0; i < G_N_ELEMENTS (aadsts_table); i++)
    if (aadsts_table[i].code == code)
      return &aadsts_table[i];
  return &fallback;
}

/* ------------------------------------------------------------------ */
/* State                                                               */

typedef struct
{
  char      *id;
  char      *secret;
  gboolean   public_flows;
  GPtrArray *redirect_uris;
  GStrv      roles;
} IdpClient;

static void
idp_client_free (IdpClient *client)
{
  g_free (client->id);
  g_free (client->secret);
  g_ptr_array_unref (client->redirect_uris);
  g_strfreev (client->roles);
  g_free (client);
}

/* Who signed in, for which client, tenant and scopes. */
typedef struct
{
  char *client_id;
  char *user;
  char *tenant;       /* the tenant GUID the tokens name (tid) */
  char *scope;        /* the scope string as first asked */
  char *nonce;
} Grant;

static void
grant_clear (Grant *grant)
{
  g_clear_pointer (&grant->client_id, g_free);
  g_clear_pointer (&grant->user, g_free);
  g_clear_pointer (&grant->tenant, g_free);
  g_clear_pointer (&grant->scope, g_free);
  g_clear_pointer (&grant->nonce, g_free);
}

static void
grant_copy (Grant       *dest,
            const Grant *src)
{
  dest->client_id = g_strdup (src->client_id);
  dest->user = g_strdup (src->user);
  dest->tenant = g_strdup (src->tenant);
  dest->scope = g_strdup (src->scope);
  dest->nonce = g_strdup (src->nonce);
}

typedef struct
{
  Grant    grant;
  char    *redirect_uri;
  char    *challenge;
  gint64   expires;     /* monotonic µs */
  gboolean redeemed;
} AuthCode;

static void
auth_code_free (AuthCode *code)
{
  grant_clear (&code->grant);
  g_free (code->redirect_uri);
  g_free (code->challenge);
  g_free (code);
}

typedef struct
{
  Grant    grant;
  gboolean revoked;
  gboolean used;
} RefreshToken;

static void
refresh_token_free (RefreshToken *rt)
{
  grant_clear (&rt->grant);
  g_free (rt);
}

typedef enum
{
  DEVICE_PENDING,
  DEVICE_APPROVED,
  DEVICE_DECLINED,
  DEVICE_REDEEMED,
} DeviceState;

typedef struct
{
  Grant       grant;
  char       *device_code;
  char       *user_code;
  gint64      expires;     /* monotonic µs */
  gint64      next_poll;   /* monotonic µs */
  guint       interval;    /* s */
  DeviceState state;
} DeviceAuth;

static void
device_auth_free (DeviceAuth *device)
{
  grant_clear (&device->grant);
  g_free (device->device_code);
  g_free (device->user_code);
  g_free (device);
}

/* A consent form waiting for Accept or Cancel. */
typedef struct
{
  gboolean  admin;
  AuthCode *code;          /* for /authorize */
  char     *redirect_uri;
  char     *state;
  char     *iss;
  char     *tenant;        /* for admin consent */
  char     *scope;         /* for admin consent */
} Consent;

static void
consent_free (Consent *consent)
{
  g_clear_pointer (&consent->code, auth_code_free);
  g_free (consent->redirect_uri);
  g_free (consent->state);
  g_free (consent->iss);
  g_free (consent->tenant);
  g_free (consent->scope);
  g_free (consent);
}

typedef struct
{
  LkTestIdpFaultKind kind;
  guint              param;
  char              *field;
  int                remaining;   /* -1: until cleared */
} Fault;

typedef enum
{
  ROUTE_NOT_FOUND,
  ROUTE_AUTHORIZE,
  ROUTE_TOKEN,
  ROUTE_DEVICECODE,
  ROUTE_ADMINCONSENT,
  ROUTE_DISCOVERY,
  ROUTE_DEVICELOGIN,
  ROUTE_CONSENT,
  ROUTE_CONTROL,
} Route;

struct _LkTestIdp
{
  GObject     parent_instance;

  SoupServer *server;
  guint16     port;
  char       *base_url;

  GBytes     *jwt_key;
  char       *at_issuer;
  gsize       token_size;
  gint64      at_lifetime;      /* 0: random 60–90 min, as Microsoft */
  gint64      code_lifetime;
  char       *user;
  char       *app_mailbox;
  gboolean    auto_approve;
  gboolean    auto_submit;
  gboolean    issue_iss;
  guint       device_interval;
  gint64      device_lifetime;
  gboolean    single_use_rt;
  gboolean    control;

  GHashTable *clients;          /* id → IdpClient */
  GHashTable *tenants;          /* domain → GUID */
  Fault       faults[LK_TEST_IDP_N_ENDPOINTS];

  GHashTable *counts;           /* what → count */
  GHashTable *codes;            /* code → AuthCode */
  GHashTable *refresh_tokens;   /* token → RefreshToken */
  GHashTable *devices;          /* device_code → DeviceAuth */
  GHashTable *consents;         /* id → Consent */
  GHashTable *last_rt_issued;   /* email → token */
  GHashTable *last_at_issued;   /* email → token */
  char       *last_rt_used;
  char       *last_user_code;
  char       *last_access_token;
  GList      *delayed;          /* Request */
};

G_DEFINE_FINAL_TYPE (LkTestIdp, lk_test_idp, G_TYPE_OBJECT)

/* One request, kept whole so that a slow answer can be given later. */
typedef struct
{
  LkTestIdp         *self;
  SoupServerMessage *msg;
  Route              route;
  char              *tenant;       /* path segment */
  char              *action;       /* for /_control/ */
  GHashTable        *params;       /* query or form, never NULL */
  char              *body;
  Fault              fault;
  guint              source_id;
  gboolean           disconnected;
} Request;

static void
request_free (Request *req)
{
  g_signal_handlers_disconnect_by_data (req->msg, req);
  g_clear_object (&req->msg);
  g_free (req->tenant);
  g_free (req->action);
  g_hash_table_unref (req->params);
  g_free (req->body);
  g_free (req->fault.field);
  g_free (req);
}

static gboolean
debug_secrets (void)
{
  return g_getenv ("LK_TEST_IDP_DEBUG") != NULL;
}

static void
count (LkTestIdp  *self,
       const char *what)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->counts, what));

  g_hash_table_insert (self->counts, g_strdup (what), GUINT_TO_POINTER (n + 1));
}

static char *
random_secret (const char *prefix,
               gsize       n_bytes)
{
  g_autofree guint8 *bytes = g_malloc (n_bytes);
  g_autofree char *b64 = NULL;
  gsize n;

  g_assert_cmpint (gnutls_rnd (GNUTLS_RND_KEY, bytes, n_bytes), ==, 0);
  b64 = g_base64_encode (bytes, n_bytes);
  n = strlen (b64);
  while (n > 0 && b64[n - 1] == '=')
    b64[--n] = '\0';
  g_strdelimit (b64, "+", '-');
  g_strdelimit (b64, "/", '_');
  return g_strconcat (prefix, b64, NULL);
}

static char *
base64url_sha256 (const char *text)
{
  guint8 digest[32];
  g_autofree char *b64 = NULL;
  gsize n;

  g_assert_cmpint (gnutls_hash_fast (GNUTLS_DIG_SHA256, text, strlen (text), digest), ==, 0);
  b64 = g_base64_encode (digest, sizeof digest);
  n = strlen (b64);
  while (n > 0 && b64[n - 1] == '=')
    b64[--n] = '\0';
  g_strdelimit (b64, "+", '-');
  g_strdelimit (b64, "/", '_');
  return g_steal_pointer (&b64);
}

/* A stable GUID-shaped id for a name (oid, sub). */
static char *
stable_guid (const char *name)
{
  g_autofree char *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, name, -1);

  return g_strdup_printf ("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static gboolean
is_guid (const char *s)
{
  static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

  if (strlen (s) != strlen (pattern))
    return FALSE;
  for (gsize i = 0; pattern[i]; i++)
    {
      if (pattern[i] == '-' ? s[i] != '-' : !g_ascii_isxdigit (s[i]))
        return FALSE;
    }
  return TRUE;
}

/* The tenant a path segment names: TRUE with *guid NULL for common and
 * organizations, FALSE for an unknown domain (AADSTS90002). */
static gboolean
resolve_tenant (LkTestIdp   *self,
                const char  *segment,
                char       **guid)
{
  const char *known;

  *guid = NULL;
  if (g_str_equal (segment, "common") || g_str_equal (segment, "organizations"))
    return TRUE;
  if (g_str_equal (segment, "consumers"))
    {
      *guid = g_strdup (LK_TEST_IDP_CONSUMERS_TENANT);
      return TRUE;
    }
  if (is_guid (segment))
    {
      *guid = g_ascii_strdown (segment, -1);
      return TRUE;
    }
  known = g_hash_table_lookup (self->tenants, segment);
  if (known == NULL)
    {
      g_autofree char *lower = g_ascii_strdown (segment, -1);
      known = g_hash_table_lookup (self->tenants, lower);
    }
  if (known == NULL)
    return FALSE;
  *guid = g_strdup (known);
  return TRUE;
}

/* The tenant a user signs in to when the path does not name one. */
static char *
user_tenant (LkTestIdp  *self,
             const char *path_guid,
             const char *user)
{
  const char *at = strrchr (user, '@');
  const char *known = NULL;

  if (path_guid != NULL)
    return g_strdup (path_guid);
  if (at != NULL)
    {
      g_autofree char *domain = g_ascii_strdown (at + 1, -1);
      known = g_hash_table_lookup (self->tenants, domain);
    }
  return g_strdup (known != NULL ? known : FALLBACK_TENANT);
}

static const char *
param (Request    *req,
       const char *name)
{
  const char *value = g_hash_table_lookup (req->params, name);

  return value != NULL && *value != '\0' ? value : NULL;
}

/* ------------------------------------------------------------------ */
/* Scopes                                                              */

typedef struct
{
  char      *resource;     /* "outlook", "graph", "ps", or NULL: only OpenID scopes */
  char      *audience;
  GPtrArray *granted;      /* resource scopes, as the answer's "scope" lists them */
  GPtrArray *perms;        /* values of the `scp` claim */
  gboolean   openid;
  gboolean   profile;
  gboolean   email;
  gboolean   offline_access;
  gboolean   dot_default;
} Scopes;

static void
scopes_clear (Scopes *scopes)
{
  g_clear_pointer (&scopes->resource, g_free);
  g_clear_pointer (&scopes->audience, g_free);
  g_clear_pointer (&scopes->granted, g_ptr_array_unref);
  g_clear_pointer (&scopes->perms, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Scopes, scopes_clear)

/* Splits "https://host/Perm" into a resource key and audience; bare names
 * are Graph permissions, as Microsoft reads them. */
static gboolean
scope_resource (const char  *scope,
                char       **key,
                char       **audience,
                char       **perm)
{
  const char *slash;
  g_autofree char *resource = NULL;
  g_autofree char *lower = NULL;

  if (!strstr (scope, "://"))
    {
      *key = g_strdup ("graph");
      *audience = g_strdup (GRAPH_AUDIENCE);
      *perm = g_strdup (scope);
      return TRUE;
    }
  slash = strrchr (scope, '/');
  if (slash == NULL || slash[1] == '\0' || strstr (scope, "://") + 2 == slash)
    return FALSE;
  resource = g_strndup (scope, slash - scope);
  lower = g_ascii_strdown (resource, -1);
  *perm = g_strdup (slash + 1);
  if (g_str_equal (lower, OUTLOOK_AUDIENCE) || g_str_equal (lower, OUTLOOK365_AUDIENCE))
    {
      /* Both hosts name Exchange Online; tokens say outlook.office.com for
       * delegated scopes, the requested host for .default. */
      *key = g_strdup ("outlook");
      *audience = g_strdup (g_str_equal (slash + 1, ".default") ? lower : OUTLOOK_AUDIENCE);
      return TRUE;
    }
  if (g_str_equal (lower, GRAPH_AUDIENCE))
    {
      *key = g_strdup ("graph");
      *audience = g_strdup (GRAPH_AUDIENCE);
      return TRUE;
    }
  if (g_str_equal (lower, PS_AUDIENCE))
    {
      *key = g_strdup ("ps");
      *audience = g_strdup (PS_AUDIENCE);
      return TRUE;
    }
  g_clear_pointer (perm, g_free);
  return FALSE;
}

/* Parses a scope parameter as Microsoft does: one resource per request,
 * plus the OpenID Connect scopes. On failure sets *code and *detail. */
static gboolean
scopes_parse (const char  *text,
              Scopes      *out,
              guint       *code,
              char       **detail)
{
  g_auto(GStrv) parts = g_strsplit_set (text != NULL ? text : "", " +", -1);

  memset (out, 0, sizeof *out);
  out->granted = g_ptr_array_new_with_free_func (g_free);
  out->perms = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *s = parts[i];
      g_autofree char *key = NULL;
      g_autofree char *audience = NULL;
      g_autofree char *perm = NULL;

      if (*s == '\0')
        continue;
      if (g_ascii_strcasecmp (s, "openid") == 0)
        out->openid = TRUE;
      else if (g_ascii_strcasecmp (s, "profile") == 0)
        out->profile = TRUE;
      else if (g_ascii_strcasecmp (s, "email") == 0)
        out->email = TRUE;
      else if (g_ascii_strcasecmp (s, "offline_access") == 0)
        out->offline_access = TRUE;
      else if (!scope_resource (s, &key, &audience, &perm))
        {
          *code = 500011;
          *detail = g_strdup_printf ("The resource principal named %s was not found in the tenant. "
                                     "This can happen if the application has not been installed by the "
                                     "administrator of the tenant or consented to by any user in the tenant.",
                                     s);
          return FALSE;
        }
      else
        {
          if (out->resource != NULL && !g_str_equal (out->resource, key))
            {
              *code = 70011;
              *detail = g_strdup_printf ("The provided value for the input parameter 'scope' is not valid. "
                                         "The scope '%s' is not valid: scopes of more than one resource "
                                         "were requested in one token (AADSTS700022).", text);
              return FALSE;
            }
          if (g_str_equal (perm, ".default"))
            out->dot_default = TRUE;
          if (out->resource == NULL)
            {
              out->resource = g_steal_pointer (&key);
              out->audience = g_steal_pointer (&audience);
            }
          g_ptr_array_add (out->granted, g_strdup (s));
          g_ptr_array_add (out->perms, g_steal_pointer (&perm));
        }
    }
  if (out->resource == NULL && !out->openid && !out->profile && !out->email && !out->offline_access)
    {
      *code = 900144;
      *detail = g_strdup ("The request body must contain the following parameter: 'scope'.");
      return FALSE;
    }
  if (out->dot_default && out->perms->len > 1)
    {
      *code = 70011;
      *detail = g_strdup ("The provided value for the input parameter 'scope' is not valid. "
                          "'.default' cannot be combined with other scopes of the resource.");
      return FALSE;
    }
  if (out->resource == NULL)
    {
      /* Only OpenID scopes: Microsoft hands out a Graph token. */
      out->resource = g_strdup ("graph");
      out->audience = g_strdup (GRAPH_AUDIENCE);
      g_ptr_array_add (out->perms, g_strdup ("User.Read"));
    }
  return TRUE;
}

static char *
scopes_granted_string (const Scopes *scopes)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < scopes->granted->len; i++)
    g_string_append_printf (s, "%s%s", s->len ? " " : "", (char *) scopes->granted->pdata[i]);
  if (g_str_equal (scopes->resource, "graph"))
    {
      if (scopes->granted->len == 0)
        g_string_append_printf (s, "%sUser.Read", s->len ? " " : "");
      if (scopes->profile)
        g_string_append (s, " profile");
      if (scopes->openid)
        g_string_append (s, " openid");
      if (scopes->email)
        g_string_append (s, " email");
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* ------------------------------------------------------------------ */
/* Responses                                                           */

static char *
timestamp_now (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format (now, "%Y-%m-%d %H:%M:%SZ");
}

static void
respond_text (Request    *req,
              guint       status,
              const char *content_type,
              const char *body,
              gsize       len)
{
  soup_server_message_set_status (req->msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Cache-Control", "no-store, no-cache");
  soup_server_message_set_response (req->msg, content_type, SOUP_MEMORY_COPY, body, len);
}

static void
respond_html (Request    *req,
              guint       status,
              const char *title,
              const char *body_html)
{
  g_autofree char *t = g_markup_escape_text (title, -1);
  g_autofree char *page = g_strdup_printf ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                                           "<title>%s</title></head>\n<body>\n<h1>%s</h1>\n%s\n"
                                           "</body></html>\n", t, t, body_html);

  respond_text (req, status, "text/html; charset=utf-8", page, strlen (page));
}

/* The page Microsoft shows instead of redirecting (unknown client, bad
 * redirect_uri): the error stays in the browser. */
static void
respond_error_page (Request    *req,
                    guint       code,
                    const char *detail)
{
  const AadstsInfo *info = aadsts_lookup (code);
  g_autofree char *message = g_strdup_printf ("AADSTS%u: %s", code, detail ? detail : info->message);
  g_autofree char *escaped = g_markup_escape_text (message, -1);
  g_autofree char *body = g_strdup_printf ("<p>Sorry, but we're having trouble signing you in.</p>\n"
                                           "<p id=\"error\">%s</p>", escaped);
  g_autofree char *what = g_strdup_printf ("error:%u", code);

  count (req->self, what);
  respond_html (req, 400, "Sign in", body);
}

static char *
error_description (guint       code,
                   const char *message,
                   const char *trace_id,
                   const char *correlation_id,
                   const char *timestamp)
{
  if (code == 0)
    return g_strdup_printf ("%s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
                            message, trace_id, correlation_id, timestamp);
  return g_strdup_printf ("AADSTS%u: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
                          code, message, trace_id, correlation_id, timestamp);
}

/* Serialises @root, applying the JSON faults of the request. */
static void
respond_json_node (Request  *req,
                   guint     status,
                   JsonNode *root)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  JsonObject *object = json_node_get_object (root);
  g_autofree char *text = NULL;
  gsize len;

  switch (req->fault.kind)
    {
    case LK_TEST_IDP_FAULT_MISSING_FIELD:
      json_object_remove_member (object, req->fault.field ? req->fault.field : "access_token");
      break;
    case LK_TEST_IDP_FAULT_EXPIRES_IN_STRING:
      if (json_object_has_member (object, "expires_in"))
        {
          g_autofree char *s = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                json_object_get_int_member (object, "expires_in"));
          json_object_set_string_member (object, "expires_in", s);
        }
      break;
    case LK_TEST_IDP_FAULT_EXPIRES_IN_VALUE:
      if (json_object_has_member (object, "expires_in") && req->fault.field != NULL)
        json_object_set_int_member (object, "expires_in",
                                    g_ascii_strtoll (req->fault.field, NULL, 10));
      break;
    case LK_TEST_IDP_FAULT_ACCESS_TOKEN:
      if (json_object_has_member (object, "access_token") && req->fault.field != NULL)
        json_object_set_string_member (object, "access_token", req->fault.field);
      break;
    case LK_TEST_IDP_FAULT_OVERSIZED:
      {
        g_autofree char *pad = g_strnfill (OVERSIZED_BODY, 'x');
        json_object_set_string_member (object, "xms_padding", pad);
      }
      break;
    default:
      break;
    }

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &len);
  if (req->fault.kind == LK_TEST_IDP_FAULT_MALFORMED_JSON)
    len = len / 2;
  respond_text (req, status, "application/json; charset=utf-8", text, len);
  if (text != NULL)
    memset (text, 0, strlen (text));
}

/* A JSON error as the token endpoint gives it. @error overrides the
 * table's `error`; @detail its message. */
static void
respond_error_json (Request    *req,
                    const char *error,
                    guint       code,
                    const char *detail)
{
  const AadstsInfo *info = aadsts_lookup (code);
  g_autofree char *trace_id = g_uuid_string_random ();
  g_autofree char *correlation_id = g_uuid_string_random ();
  g_autofree char *timestamp = timestamp_now ();
  g_autofree char *description = error_description (code, detail ? detail : info->message,
                                                    trace_id, correlation_id, timestamp);
  g_autofree char *uri = g_strdup_printf ("%s/error?code=%u", req->self->base_url, code);
  g_autofree char *what = g_strdup_printf ("error:%u", code);
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();
  JsonArray *codes = json_array_new ();

  count (req->self, what);
  json_node_take_object (root, object);
  json_object_set_string_member (object, "error", error ? error : info->token_error);
  json_object_set_string_member (object, "error_description", description);
  if (code != 0)
    json_array_add_int_element (codes, code);
  json_object_set_array_member (object, "error_codes", codes);
  json_object_set_string_member (object, "timestamp", timestamp);
  json_object_set_string_member (object, "trace_id", trace_id);
  json_object_set_string_member (object, "correlation_id", correlation_id);
  json_object_set_string_member (object, "error_uri", uri);
  /* Only the body-shaping faults apply to an error. */
  if (req->fault.kind == LK_TEST_IDP_FAULT_MISSING_FIELD && req->fault.field == NULL)
    req->fault.kind = LK_TEST_IDP_FAULT_NONE;
  respond_json_node (req, error && g_str_equal (error, "invalid_client") ? 401 : info->status, root);
}

static void
append_param (GString    *url,
              const char *name,
              const char *value)
{
  g_autofree char *escaped = NULL;

  if (value == NULL)
    return;
  escaped = g_uri_escape_string (value, NULL, FALSE);
  g_string_append_c (url, strchr (url->str, '?') ? '&' : '?');
  g_string_append_printf (url, "%s=%s", name, escaped);
}

static void
respond_redirect (Request *req,
                  GString *url)
{
  soup_server_message_set_redirect (req->msg, SOUP_STATUS_FOUND, url->str);
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Cache-Control", "no-store, no-cache");
  memset (url->str, 0, url->len);
}

/* An error sent back to the client in the redirect, as /authorize does. */
static void
redirect_error (Request    *req,
                const char *redirect_uri,
                const char *error,
                guint       code,
                const char *detail,
                const char *state,
                const char *iss)
{
  const AadstsInfo *info = aadsts_lookup (code);
  g_autofree char *trace_id = g_uuid_string_random ();
  g_autofree char *correlation_id = g_uuid_string_random ();
  g_autofree char *timestamp = timestamp_now ();
  g_autofree char *description = error_description (code, detail ? detail : info->message,
                                                    trace_id, correlation_id, timestamp);
  g_autofree char *uri = g_strdup_printf ("%s/error?code=%u", req->self->base_url, code);
  g_autofree char *what = g_strdup_printf ("error:%u", code);
  g_autoptr(GString) url = g_string_new (redirect_uri);

  count (req->self, what);
  append_param (url, "error", error ? error : info->redirect_error);
  append_param (url, "error_description", description);
  append_param (url, "error_uri", uri);
  append_param (url, "iss", iss);
  append_param (url, "state", state);
  respond_redirect (req, url);
}

static void
respond_500 (Request *req)
{
  count (req->self, "error:500");
  respond_html (req, 500, "Service unavailable",
                "<p>Sorry, but we're having trouble signing you in.</p>\n"
                "<p>AADSTS90033: A transient error has occurred. Please try again.</p>");
}

/* ------------------------------------------------------------------ */
/* Tokens                                                              */

static char *
sign_claims (LkTestIdp  *self,
             JsonObject *claims,
             gsize       pad_to)
{
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *json = NULL;
  gsize key_len;
  const guint8 *key = g_bytes_get_data (self->jwt_key, &key_len);
  char *token;

  json_node_set_object (root, claims);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);
  token = lk_test_jwt_sign (json, key, key_len);
  if (pad_to > 0 && strlen (token) < pad_to)
    {
      /* base64 grows by 4/3: a filler claim of the right size, less the
       * member's own `,"xms_pad":""`. */
      gsize room = (pad_to - strlen (token)) * 3 / 4;
      gsize filler = room > 13 ? room - 13 : 0;
      g_autofree char *pad = g_strnfill (filler, 'x');

      g_free (token);
      json_object_set_string_member (claims, "xms_pad", pad);
      g_free (json);
      json = json_generator_to_data (generator, NULL);
      token = lk_test_jwt_sign (json, key, key_len);
    }
  return token;
}

static gint64
access_token_lifetime (LkTestIdp *self)
{
  guint32 r;

  if (self->at_lifetime != 0)
    return self->at_lifetime;
  /* Microsoft: random between 60 and 90 minutes. */
  g_assert_cmpint (gnutls_rnd (GNUTLS_RND_NONCE, &r, sizeof r), ==, 0);
  return 3600 + r % 1801;
}

static char *
mint_access_token (LkTestIdp    *self,
                   Request      *req,
                   const Grant  *grant,
                   const Scopes *scopes,
                   gboolean      app_only,
                   gint64        lifetime)
{
  g_autoptr(JsonObject) claims = json_object_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *subject = g_strconcat (app_only ? "app:" : "user:", grant->user, NULL);
  g_autofree char *oid = stable_guid (subject);
  g_autofree char *uti = random_secret ("", 16);
  gsize pad_to = self->token_size;

  json_object_set_string_member (claims, "aud", scopes->audience);
  json_object_set_string_member (claims, "iss", self->at_issuer);
  json_object_set_int_member (claims, "iat", now);
  json_object_set_int_member (claims, "nbf", now);
  json_object_set_int_member (claims, "exp", now + lifetime);
  json_object_set_string_member (claims, "appid", grant->client_id);
  json_object_set_string_member (claims, "oid", oid);
  json_object_set_string_member (claims, "sub", oid);
  json_object_set_string_member (claims, "tid", grant->tenant);
  json_object_set_string_member (claims, "uti", uti);
  json_object_set_string_member (claims, "ver", "1.0");
  /* Dovecot maps `email` to the login name; Exchange would use the
   * mailbox named in `user=`. */
  json_object_set_string_member (claims, "email", grant->user);
  json_object_set_string_member (claims, "upn", grant->user);
  if (app_only)
    {
      JsonArray *roles = json_array_new ();
      IdpClient *client = g_hash_table_lookup (self->clients, grant->client_id);

      for (guint i = 0; client && client->roles && client->roles[i]; i++)
        json_array_add_string_element (roles, client->roles[i]);
      json_object_set_array_member (claims, "roles", roles);
      json_object_set_string_member (claims, "idtyp", "app");
    }
  else
    {
      g_autofree char *scp = NULL;

      g_ptr_array_add (scopes->perms, NULL);
      scp = g_strjoinv (" ", (char **) scopes->perms->pdata);
      g_ptr_array_remove_index (scopes->perms, scopes->perms->len - 1);
      json_object_set_string_member (claims, "scp", scp);
      json_object_set_string_member (claims, "unique_name", grant->user);
      json_object_set_string_member (claims, "name", grant->user);
      json_object_set_string_member (claims, "idtyp", "user");
    }
  if (req->fault.kind == LK_TEST_IDP_FAULT_LARGE_TOKENS)
    pad_to = req->fault.param ? req->fault.param : LARGE_TOKEN_SIZE;
  return sign_claims (self, claims, pad_to);
}

static char *
mint_id_token (LkTestIdp    *self,
               const Grant  *grant,
               const Scopes *scopes)
{
  g_autoptr(JsonObject) claims = json_object_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *subject = g_strconcat ("user:", grant->user, NULL);
  g_autofree char *oid = stable_guid (subject);
  g_autofree char *iss = g_strdup_printf ("%s/%s/v2.0", self->base_url, grant->tenant);

  json_object_set_string_member (claims, "aud", grant->client_id);
  json_object_set_string_member (claims, "iss", iss);
  json_object_set_int_member (claims, "iat", now);
  json_object_set_int_member (claims, "nbf", now);
  json_object_set_int_member (claims, "exp", now + 3600);
  json_object_set_string_member (claims, "oid", oid);
  json_object_set_string_member (claims, "sub", oid);
  json_object_set_string_member (claims, "tid", grant->tenant);
  json_object_set_string_member (claims, "ver", "2.0");
  /* Microsoft sends these whatever profile/email say; keep them. */
  json_object_set_string_member (claims, "preferred_username", grant->user);
  json_object_set_string_member (claims, "name", grant->user);
  if (scopes->email || scopes->profile)
    json_object_set_string_member (claims, "email", grant->user);
  if (grant->nonce != NULL)
    json_object_set_string_member (claims, "nonce", grant->nonce);
  return sign_claims (self, claims, 0);
}

static void
log_secret (const char *what,
            const char *value)
{
  if (debug_secrets ())
    g_message ("issued %s: %s", what, value);
}

/* The success answer of the token endpoint. @grant names the user;
 * @scopes the token's resource. */
static void
respond_tokens (Request      *req,
                const Grant  *grant,
                const Scopes *scopes,
                gboolean      app_only,
                gboolean      with_refresh_token)
{
  LkTestIdp *self = req->self;
  gint64 lifetime = access_token_lifetime (self);
  g_autofree char *access_token = mint_access_token (self, req, grant, scopes, app_only, lifetime);
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();

  json_node_take_object (root, object);
  json_object_set_string_member (object, "token_type", "Bearer");
  if (!app_only)
    {
      g_autofree char *granted = scopes_granted_string (scopes);
      json_object_set_string_member (object, "scope", granted);
    }
  json_object_set_int_member (object, "expires_in", lifetime);
  json_object_set_int_member (object, "ext_expires_in", lifetime);
  json_object_set_string_member (object, "access_token", access_token);
  log_secret ("access token", access_token);
  g_free (self->last_access_token);
  self->last_access_token = g_strdup (access_token);
  /* Per user too: a caller that gave up long ago still gets its answer
   * minted (as at Microsoft), which moves the global one under a test
   * that waits for another user's token. */
  if (grant->user != NULL)
    g_hash_table_insert (self->last_at_issued, g_strdup (grant->user), g_strdup (access_token));

  if (with_refresh_token)
    {
      RefreshToken *rt = g_new0 (RefreshToken, 1);
      char *token = random_secret (LK_TEST_REFRESH_PREFIX, 48);

      grant_copy (&rt->grant, grant);
      g_hash_table_insert (self->refresh_tokens, token, rt);
      g_hash_table_insert (self->last_rt_issued, g_strdup (grant->user), g_strdup (token));
      json_object_set_string_member (object, "refresh_token", token);
      log_secret ("refresh token", token);
    }
  if (scopes->openid)
    {
      g_autofree char *id_token = mint_id_token (self, grant, scopes);
      json_object_set_string_member (object, "id_token", id_token);
    }
  respond_json_node (req, 200, root);
}

/* ------------------------------------------------------------------ */
/* Clients and redirect URIs                                           */

static gboolean
path_equal (const char *a,
            const char *b)
{
  if (g_str_equal (a, "") || g_str_equal (a, "/"))
    return g_str_equal (b, "") || g_str_equal (b, "/");
  return g_str_equal (a, b);
}

/* Microsoft's rules: exact match, except that for a registered
 * http://localhost the port is ignored; 127.0.0.1 is taken as well (the
 * manifest allows it). [::1] is not supported. */
static gboolean
redirect_uri_allowed (IdpClient  *client,
                      const char *uri)
{
  g_autoptr(GUri) asked = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  const char *host;

  if (asked == NULL || g_uri_get_fragment (asked) != NULL || strlen (uri) > 256)
    return FALSE;
  host = g_uri_get_host (asked);
  for (guint i = 0; i < client->redirect_uris->len; i++)
    {
      const char *registered = client->redirect_uris->pdata[i];
      g_autoptr(GUri) reg = NULL;

      if (g_str_equal (registered, uri))
        return TRUE;
      reg = g_uri_parse (registered, G_URI_FLAGS_NONE, NULL);
      if (reg == NULL || g_strcmp0 (g_uri_get_scheme (reg), "http") != 0 ||
          g_ascii_strcasecmp (g_uri_get_host (reg), "localhost") != 0)
        continue;
      if (g_strcmp0 (g_uri_get_scheme (asked), "http") == 0 && host != NULL &&
          (g_ascii_strcasecmp (host, "localhost") == 0 || g_str_equal (host, "127.0.0.1")) &&
          path_equal (g_uri_get_path (reg), g_uri_get_path (asked)) &&
          g_strcmp0 (g_uri_get_query (reg), g_uri_get_query (asked)) == 0)
        return TRUE;
    }
  return FALSE;
}

static char *
client_secret_from_request (Request *req)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg),
                                                   "Authorization");

  if (auth != NULL && g_ascii_strncasecmp (auth, "Basic ", 6) == 0)
    {
      gsize len;
      g_autofree guchar *raw = g_base64_decode (auth + 6, &len);
      g_autofree char *text = g_strndup ((char *) raw, len);
      char *colon = strchr (text, ':');

      if (colon != NULL)
        {
          g_autofree char *id = g_uri_unescape_segment (text, colon, NULL);
          char *secret = g_uri_unescape_string (colon + 1, NULL);

          if (param (req, "client_id") == NULL && id != NULL)
            g_hash_table_insert (req->params, g_strdup ("client_id"), g_strdup (id));
          memset (text, 0, len);
          return secret;
        }
      memset (text, 0, len);
    }
  return g_strdup (param (req, "client_secret"));
}

typedef enum
{
  CLIENT_AUTH_DELEGATED,      /* authorization code, refresh token */
  CLIENT_AUTH_PUBLIC_FLOW,    /* device code: needs "allow public client flows" */
  CLIENT_AUTH_CONFIDENTIAL,   /* client credentials: needs the secret */
} ClientAuth;

/* Checks the client as Microsoft does; answers and returns NULL if wrong. */
static IdpClient *
authenticate_client (Request    *req,
                     ClientAuth  kind)
{
  g_autofree char *secret = client_secret_from_request (req);
  const char *client_id = param (req, "client_id");
  IdpClient *client;
  gboolean ok = TRUE;

  if (client_id == NULL)
    {
      respond_error_json (req, NULL, 900144,
                          "The request body must contain the following parameter: 'client_id'.");
      return NULL;
    }
  client = g_hash_table_lookup (req->self->clients, client_id);
  if (client == NULL)
    {
      g_autofree char *detail = g_strdup_printf ("Application with identifier '%s' was not found in the "
                                                 "directory. This can happen if the application has not been "
                                                 "installed by the administrator of the tenant or consented to "
                                                 "by any user in the tenant.", client_id);
      respond_error_json (req, NULL, 700016, detail);
      return NULL;
    }

  if (secret != NULL && client->secret == NULL)
    {
      respond_error_json (req, NULL, 700025, NULL);
      ok = FALSE;
    }
  else if (secret != NULL && !g_str_equal (secret, client->secret))
    {
      respond_error_json (req, NULL, 7000215, NULL);
      ok = FALSE;
    }
  else if (secret == NULL && kind == CLIENT_AUTH_CONFIDENTIAL)
    {
      respond_error_json (req, NULL, 7000218, NULL);
      ok = FALSE;
    }
  else if (secret == NULL && kind == CLIENT_AUTH_PUBLIC_FLOW && !client->public_flows)
    {
      respond_error_json (req, NULL, 7000218, NULL);
      ok = FALSE;
    }
  else if (secret == NULL && kind == CLIENT_AUTH_DELEGATED && client->secret != NULL &&
           !client->public_flows)
    {
      respond_error_json (req, NULL, 7000218, NULL);
      ok = FALSE;
    }
  if (secret != NULL)
    memset (secret, 0, strlen (secret));
  return ok ? client : NULL;
}

/* ------------------------------------------------------------------ */
/* /authorize and consent                                              */

static char *
authorize_iss (Request *req)
{
  if (req->fault.kind == LK_TEST_IDP_FAULT_WRONG_ISS)
    return g_strdup ("https://wrong-issuer.test/v2.0");
  if (!req->self->issue_iss)
    return NULL;
  /* The issuer the client sent the request to: base, tenant as asked. */
  return g_strdup_printf ("%s/%s/v2.0", req->self->base_url, req->tenant);
}

static void
redirect_with_code (Request    *req,
                    AuthCode   *code,
                    const char *state,
                    const char *iss)
{
  LkTestIdp *self = req->self;
  char *value = random_secret (LK_TEST_CODE_PREFIX, 48);
  g_autofree char *session = g_uuid_string_random ();
  g_autoptr(GString) url = g_string_new (code->redirect_uri);

  code->expires = g_get_monotonic_time () + self->code_lifetime * G_USEC_PER_SEC;
  append_param (url, "code", value);
  append_param (url, "iss", iss);
  append_param (url, "state", state);
  append_param (url, "session_state", session);
  log_secret ("code", value);
  g_hash_table_insert (self->codes, value, code);
  respond_redirect (req, url);
}

/* Lets a headless browser that cannot click press Accept by itself. */
static const char *
auto_submit_script (LkTestIdp *self)
{
  return self->auto_submit
    ? "\n<script>window.addEventListener('load', function () { document.getElementById('accept').click (); });</script>"
    : "";
}

static void
respond_consent_form (Request    *req,
                      Consent    *consent,
                      const char *user,
                      const char *client_id,
                      const char *scope)
{
  g_autofree char *id = random_secret ("", 12);
  g_autofree char *u = g_markup_escape_text (user, -1);
  g_autofree char *c = g_markup_escape_text (client_id, -1);
  g_autofree char *s = g_markup_escape_text (scope ? scope : "", -1);
  g_autofree char *body = g_strdup_printf ("<p id=\"user\">%s</p>\n"
                                           "<p><span id=\"client\">%s</span> would like to: "
                                           "<span id=\"scope\">%s</span></p>\n"
                                           "<form method=\"post\" action=\"/_consent\">\n"
                                           "<input type=\"hidden\" name=\"tx\" value=\"%s\">\n"
                                           "<button type=\"submit\" id=\"accept\" name=\"action\" value=\"accept\">Accept</button>\n"
                                           "<button type=\"submit\" id=\"cancel\" name=\"action\" value=\"cancel\">Cancel</button>\n"
                                           "</form>%s", u, c, s, id, auto_submit_script (req->self));

  g_hash_table_insert (req->self->consents, g_strdup (id), consent);
  respond_html (req, 200, consent->admin ? "Permissions requested (admin)" : "Permissions requested", body);
}

static void
handle_authorize (Request *req)
{
  LkTestIdp *self = req->self;
  const char *client_id = param (req, "client_id");
  const char *redirect_uri = param (req, "redirect_uri");
  const char *state = param (req, "state");
  const char *challenge = param (req, "code_challenge");
  const char *method = param (req, "code_challenge_method");
  const char *response_type = param (req, "response_type");
  const char *response_mode = param (req, "response_mode");
  const char *login_hint = param (req, "login_hint");
  const char *prompt = param (req, "prompt");
  g_autofree char *tenant = NULL;
  g_autofree char *iss = NULL;
  g_autofree char *detail = NULL;
  g_auto(Scopes) scopes = { 0 };
  IdpClient *client;
  AuthCode *code;
  guint error_code = 0;

  if (!resolve_tenant (self, req->tenant, &tenant))
    {
      detail = g_strdup_printf ("Tenant '%s' not found. Check to make sure you have the correct tenant ID "
                                "and are signing into the correct cloud.", req->tenant);
      respond_error_page (req, 90002, detail);
      return;
    }
  if (client_id == NULL)
    {
      respond_error_page (req, 900144, "The request body must contain the following parameter: 'client_id'.");
      return;
    }
  client = g_hash_table_lookup (self->clients, client_id);
  if (client == NULL)
    {
      detail = g_strdup_printf ("Application with identifier '%s' was not found in the directory.", client_id);
      respond_error_page (req, 700016, detail);
      return;
    }
  if (redirect_uri == NULL)
    {
      respond_error_page (req, 900971, NULL);
      return;
    }
  if (!redirect_uri_allowed (client, redirect_uri))
    {
      detail = g_strdup_printf ("The redirect URI '%s' specified in the request does not match the redirect "
                                "URIs configured for the application '%s'.", redirect_uri, client_id);
      respond_error_page (req, 50011, detail);
      return;
    }

  /* From here on, errors go back to the client in the redirect. */
  iss = authorize_iss (req);
  if (req->fault.kind == LK_TEST_IDP_FAULT_WRONG_STATE)
    state = "lk-wrong-state";
  if (req->fault.kind == LK_TEST_IDP_FAULT_AADSTS)
    {
      redirect_error (req, redirect_uri, NULL, req->fault.param, NULL, state, iss);
      return;
    }
  if (g_strcmp0 (response_type, "code") != 0)
    {
      detail = g_strdup_printf ("The provided value for the input parameter 'response_type' is not allowed "
                                "for this request. Expected value is 'code', got '%s'.",
                                response_type ? response_type : "");
      redirect_error (req, redirect_uri, NULL, 700054, detail, state, iss);
      return;
    }
  if (response_mode != NULL && !g_str_equal (response_mode, "query"))
    {
      detail = g_strdup_printf ("response_mode '%s' is not supported by this test server; "
                                "the client must use the query response mode.", response_mode);
      redirect_error (req, redirect_uri, NULL, 900144, detail, state, iss);
      return;
    }
  if (param (req, "scope") == NULL)
    {
      redirect_error (req, redirect_uri, NULL, 900144,
                      "The request body must contain the following parameter: 'scope'.", state, iss);
      return;
    }
  if (!scopes_parse (param (req, "scope"), &scopes, &error_code, &detail))
    {
      redirect_error (req, redirect_uri, NULL, error_code, detail, state, iss);
      return;
    }
  if (challenge == NULL)
    {
      redirect_error (req, redirect_uri, NULL, 9002325,
                      "Proof Key for Code Exchange is required: the request must contain "
                      "'code_challenge' with 'code_challenge_method' S256.", state, iss);
      return;
    }
  if (g_strcmp0 (method, "S256") != 0)
    {
      redirect_error (req, redirect_uri, NULL, 9002325,
                      "The code_challenge_method must be 'S256'; this server refuses 'plain' "
                      "(RFC 7636: a client that can do S256 must use it).", state, iss);
      return;
    }
  if (strlen (challenge) != 43 || strspn (challenge, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                     "0123456789-_") != 43)
    {
      redirect_error (req, redirect_uri, NULL, 501491, NULL, state, iss);
      return;
    }
  if (g_strcmp0 (prompt, "none") == 0 && !self->auto_approve)
    {
      redirect_error (req, redirect_uri, NULL, 50058, NULL, state, iss);
      return;
    }

  code = g_new0 (AuthCode, 1);
  code->grant.client_id = g_strdup (client_id);
  code->grant.user = g_strdup (login_hint && strchr (login_hint, '@') ? login_hint : self->user);
  code->grant.tenant = user_tenant (self, tenant, code->grant.user);
  code->grant.scope = g_strdup (param (req, "scope"));
  code->grant.nonce = g_strdup (param (req, "nonce"));
  code->redirect_uri = g_strdup (redirect_uri);
  code->challenge = g_strdup (challenge);

  if (self->auto_approve)
    {
      redirect_with_code (req, code, state, iss);
    }
  else
    {
      Consent *consent = g_new0 (Consent, 1);

      consent->code = code;
      consent->redirect_uri = g_strdup (redirect_uri);
      consent->state = g_strdup (state);
      consent->iss = g_strdup (iss);
      respond_consent_form (req, consent, code->grant.user, client_id, code->grant.scope);
    }
}

static void
admin_consent_granted (Request    *req,
                       Consent    *consent)
{
  g_autoptr(GString) url = g_string_new (consent->redirect_uri);

  append_param (url, "admin_consent", "True");
  append_param (url, "tenant", consent->tenant);
  append_param (url, "scope", consent->scope);
  append_param (url, "state", consent->state);
  respond_redirect (req, url);
}

static void
handle_consent (Request *req)
{
  const char *tx = param (req, "tx");
  const char *action = param (req, "action");
  g_autofree char *key = NULL;
  Consent *consent = NULL;

  if (tx == NULL || action == NULL ||
      !g_hash_table_steal_extended (req->self->consents, tx, (gpointer *) &key, (gpointer *) &consent))
    {
      respond_html (req, 400, "Sign in", "<p>This sign-in request is no longer valid. Start again.</p>");
      return;
    }
  if (g_str_equal (action, "accept") && consent->admin)
    admin_consent_granted (req, consent);
  else if (g_str_equal (action, "accept"))
    redirect_with_code (req, g_steal_pointer (&consent->code), consent->state, consent->iss);
  else if (consent->admin)
    redirect_error (req, consent->redirect_uri, "access_denied", 65004,
                    "The admin canceled the request.", consent->state, NULL);
  else
    redirect_error (req, consent->redirect_uri, "access_denied", 65004, NULL, consent->state, consent->iss);
  consent_free (consent);
}

static void
handle_adminconsent (Request *req)
{
  LkTestIdp *self = req->self;
  const char *client_id = param (req, "client_id");
  const char *redirect_uri = param (req, "redirect_uri");
  const char *state = param (req, "state");
  const char *scope = param (req, "scope");
  g_autofree char *tenant = NULL;
  g_autofree char *detail = NULL;
  g_auto(Scopes) scopes = { 0 };
  IdpClient *client;
  Consent *consent;
  guint error_code = 0;

  if (!resolve_tenant (self, req->tenant, &tenant))
    {
      detail = g_strdup_printf ("Tenant '%s' not found.", req->tenant);
      respond_error_page (req, 90002, detail);
      return;
    }
  client = client_id ? g_hash_table_lookup (self->clients, client_id) : NULL;
  if (client == NULL)
    {
      respond_error_page (req, 700016, NULL);
      return;
    }
  if (redirect_uri == NULL || !redirect_uri_allowed (client, redirect_uri))
    {
      respond_error_page (req, 50011, NULL);
      return;
    }
  if (req->fault.kind == LK_TEST_IDP_FAULT_AADSTS)
    {
      redirect_error (req, redirect_uri, "access_denied", req->fault.param, NULL, state, NULL);
      return;
    }
  if (scope == NULL)
    {
      redirect_error (req, redirect_uri, NULL, 900144,
                      "The request body must contain the following parameter: 'scope'.", state, NULL);
      return;
    }
  if (!scopes_parse (scope, &scopes, &error_code, &detail))
    {
      redirect_error (req, redirect_uri, NULL, error_code, detail, state, NULL);
      return;
    }
  /* Static ('.default') or dynamic (named) scopes, but application
   * permissions only through '.default'
   * (https://learn.microsoft.com/entra/identity-platform/v2-admin-consent). */
  for (guint i = 0; !scopes.dot_default && i < scopes.perms->len; i++)
    if (g_str_has_suffix (g_ptr_array_index (scopes.perms, i), "AsApp"))
      {
        redirect_error (req, redirect_uri, NULL, 70011,
                        "The provided value for the input parameter 'scope' is not valid: "
                        "application permissions are requested with the resource's '.default'.",
                        state, NULL);
        return;
      }

  consent = g_new0 (Consent, 1);
  consent->admin = TRUE;
  consent->redirect_uri = g_strdup (redirect_uri);
  consent->state = g_strdup (state);
  consent->scope = g_strdup (scope);
  consent->tenant = user_tenant (self, tenant, self->user);
  if (self->auto_approve)
    {
      admin_consent_granted (req, consent);
      consent_free (consent);
    }
  else
    {
      respond_consent_form (req, consent, self->user, client_id, scope);
    }
}

/* ------------------------------------------------------------------ */
/* /token                                                              */

static void
token_authorization_code (Request *req)
{
  LkTestIdp *self = req->self;
  const char *code_value = param (req, "code");
  const char *redirect_uri = param (req, "redirect_uri");
  const char *verifier = param (req, "code_verifier");
  g_autofree char *computed = NULL;
  g_autofree char *detail = NULL;
  g_auto(Scopes) scopes = { 0 };
  IdpClient *client;
  AuthCode *code;
  guint error_code = 0;

  client = authenticate_client (req, CLIENT_AUTH_DELEGATED);
  if (client == NULL)
    return;
  if (code_value == NULL)
    {
      respond_error_json (req, NULL, 900144, "The request body must contain the following parameter: 'code'.");
      return;
    }
  if (redirect_uri == NULL)
    {
      respond_error_json (req, NULL, 900144,
                          "The request body must contain the following parameter: 'redirect_uri'.");
      return;
    }
  code = g_hash_table_lookup (self->codes, code_value);
  if (code == NULL)
    {
      respond_error_json (req, NULL, 9002313, NULL);
      return;
    }
  if (code->redeemed)
    {
      respond_error_json (req, NULL, 54005, NULL);
      return;
    }
  if (g_get_monotonic_time () > code->expires)
    {
      respond_error_json (req, NULL, 70008, NULL);
      return;
    }
  if (!g_str_equal (code->grant.client_id, client->id))
    {
      respond_error_json (req, NULL, 70000,
                          "The provided value for the 'code' parameter is not valid: the code was "
                          "issued to another client.");
      return;
    }
  /* A failed redemption burns the code: the client must not retry. */
  code->redeemed = TRUE;
  if (!g_str_equal (code->redirect_uri, redirect_uri))
    {
      respond_error_json (req, NULL, 500112, NULL);
      return;
    }
  if (verifier == NULL)
    {
      respond_error_json (req, NULL, 501481,
                          "The Code_Verifier does not match the code_challenge supplied in the "
                          "authorization request: no code_verifier was sent.");
      return;
    }
  computed = base64url_sha256 (verifier);
  if (!g_str_equal (computed, code->challenge))
    {
      respond_error_json (req, NULL, 501481, NULL);
      return;
    }
  if (!scopes_parse (code->grant.scope, &scopes, &error_code, &detail))
    {
      respond_error_json (req, NULL, error_code, detail);
      return;
    }
  respond_tokens (req, &code->grant, &scopes, FALSE, scopes.offline_access);
}

static void
token_refresh (Request *req)
{
  LkTestIdp *self = req->self;
  const char *token = param (req, "refresh_token");
  const char *scope = param (req, "scope");
  g_autofree char *detail = NULL;
  g_auto(Scopes) scopes = { 0 };
  g_auto(Scopes) original = { 0 };
  IdpClient *client;
  RefreshToken *rt;
  guint error_code = 0;

  client = authenticate_client (req, CLIENT_AUTH_DELEGATED);
  if (client == NULL)
    return;
  if (token == NULL)
    {
      respond_error_json (req, NULL, 900144,
                          "The request body must contain the following parameter: 'refresh_token'.");
      return;
    }
  rt = g_hash_table_lookup (self->refresh_tokens, token);
  if (rt == NULL)
    {
      respond_error_json (req, NULL, 9002313, NULL);
      return;
    }
  g_free (self->last_rt_used);
  self->last_rt_used = g_strdup (token);
  if (rt->revoked || (self->single_use_rt && rt->used))
    {
      respond_error_json (req, NULL, 70008, NULL);
      return;
    }
  if (!g_str_equal (rt->grant.client_id, client->id))
    {
      respond_error_json (req, NULL, 70000,
                          "The provided refresh token was issued to another client.");
      return;
    }
  if (!scopes_parse (scope ? scope : rt->grant.scope, &scopes, &error_code, &detail))
    {
      respond_error_json (req, NULL, error_code, detail);
      return;
    }
  rt->used = TRUE;
  respond_tokens (req, &rt->grant, &scopes, FALSE, TRUE);
}

static DeviceAuth *
find_device_by_user_code (LkTestIdp  *self,
                          const char *user_code)
{
  g_autoptr(GString) wanted = g_string_new (NULL);
  GHashTableIter iter;
  DeviceAuth *device;

  for (const char *p = user_code; *p; p++)
    if (g_ascii_isalnum (*p))
      g_string_append_c (wanted, g_ascii_toupper (*p));
  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &device))
    if (g_str_equal (device->user_code, wanted->str))
      return device;
  return NULL;
}

static void
token_device_code (Request *req)
{
  LkTestIdp *self = req->self;
  const char *device_code = param (req, "device_code");
  g_autofree char *detail = NULL;
  g_auto(Scopes) scopes = { 0 };
  IdpClient *client;
  DeviceAuth *device;
  gint64 now = g_get_monotonic_time ();
  guint error_code = 0;

  client = authenticate_client (req, CLIENT_AUTH_PUBLIC_FLOW);
  if (client == NULL)
    return;
  if (device_code == NULL)
    {
      respond_error_json (req, NULL, 900144,
                          "The request body must contain the following parameter: 'device_code'.");
      return;
    }
  device = g_hash_table_lookup (self->devices, device_code);
  if (device == NULL || !g_str_equal (device->grant.client_id, client->id))
    {
      respond_error_json (req, NULL, 70018, NULL);
      return;
    }
  if (now > device->expires)
    {
      respond_error_json (req, NULL, 70020, NULL);
      return;
    }
  if (device->state == DEVICE_REDEEMED)
    {
      respond_error_json (req, NULL, 54005, NULL);
      return;
    }
  if (now + POLL_SLACK_US < device->next_poll)
    {
      /* RFC 8628 §3.5: and every later poll waits 5 s longer. */
      device->interval += SLOW_DOWN_STEP;
      device->next_poll = now + device->interval * G_USEC_PER_SEC;
      respond_error_json (req, "slow_down", 0,
                          "OAuth 2.0 device flow error. Polling too fast; wait the interval, "
                          "increased by 5 seconds, before polling again.");
      return;
    }
  device->next_poll = now + device->interval * G_USEC_PER_SEC;
  switch (device->state)
    {
    case DEVICE_PENDING:
      respond_error_json (req, NULL, 70016, NULL);
      return;
    case DEVICE_DECLINED:
      /* [U] Microsoft documents the error, not its number. */
      respond_error_json (req, "authorization_declined", 65004,
                          "The end user denied the authorization request.");
      return;
    case DEVICE_APPROVED:
    case DEVICE_REDEEMED:
    default:
      break;
    }
  if (!scopes_parse (device->grant.scope, &scopes, &error_code, &detail))
    {
      respond_error_json (req, NULL, error_code, detail);
      return;
    }
  device->state = DEVICE_REDEEMED;
  respond_tokens (req, &device->grant, &scopes, FALSE, scopes.offline_access);
}

static void
token_client_credentials (Request *req)
{
  LkTestIdp *self = req->self;
  const char *scope = param (req, "scope");
  g_autofree char *tenant = NULL;
  g_autofree char *detail = NULL;
  g_auto(Scopes) scopes = { 0 };
  IdpClient *client;
  Grant grant = { 0 };
  guint error_code = 0;

  /* A daemon has no user to find a home tenant from. */
  if (g_str_equal (req->tenant, "common") || g_str_equal (req->tenant, "organizations") ||
      g_str_equal (req->tenant, "consumers"))
    {
      respond_error_json (req, NULL, 50059, NULL);
      return;
    }
  resolve_tenant (self, req->tenant, &tenant);
  client = authenticate_client (req, CLIENT_AUTH_CONFIDENTIAL);
  if (client == NULL)
    return;
  if (scope == NULL)
    {
      respond_error_json (req, NULL, 900144, "The request body must contain the following parameter: 'scope'.");
      return;
    }
  if (!scopes_parse (scope, &scopes, &error_code, &detail))
    {
      respond_error_json (req, NULL, error_code, detail);
      return;
    }
  if (!scopes.dot_default || scopes.openid || scopes.profile || scopes.email || scopes.offline_access)
    {
      detail = g_strdup_printf ("The provided value for scope %s is not valid. Client credential flows must "
                                "have a scope value with /.default suffixed to the resource identifier "
                                "(application ID URI).", scope);
      respond_error_json (req, NULL, 1002012, detail);
      return;
    }
  grant.client_id = client->id;
  grant.user = self->app_mailbox ? self->app_mailbox : self->user;
  grant.tenant = tenant;
  respond_tokens (req, &grant, &scopes, TRUE, FALSE);
}

static void
handle_token (Request *req)
{
  const char *grant_type = param (req, "grant_type");
  g_autofree char *tenant = NULL;

  if (req->fault.kind == LK_TEST_IDP_FAULT_AADSTS)
    {
      respond_error_json (req, NULL, req->fault.param, NULL);
      return;
    }
  if (!g_str_equal (soup_server_message_get_method (req->msg), "POST"))
    {
      respond_error_json (req, NULL, 900561, NULL);
      return;
    }
  if (!resolve_tenant (req->self, req->tenant, &tenant))
    {
      g_autofree char *detail = g_strdup_printf ("Tenant '%s' not found. Check to make sure you have the "
                                                 "correct tenant ID and are signing into the correct cloud.",
                                                 req->tenant);
      respond_error_json (req, NULL, 90002, detail);
      return;
    }
  if (grant_type == NULL)
    respond_error_json (req, NULL, 900144,
                        "The request body must contain the following parameter: 'grant_type'.");
  else if (g_str_equal (grant_type, "authorization_code"))
    token_authorization_code (req);
  else if (g_str_equal (grant_type, "refresh_token"))
    token_refresh (req);
  else if (g_str_equal (grant_type, "urn:ietf:params:oauth:grant-type:device_code"))
    token_device_code (req);
  else if (g_str_equal (grant_type, "client_credentials"))
    token_client_credentials (req);
  else
    respond_error_json (req, NULL, 70003, NULL);
}

/* ------------------------------------------------------------------ */
/* Device code                                                         */

static char *
new_user_code (void)
{
  /* Nine characters, as Microsoft's; no look-alikes. */
  static const char alphabet[] = "BCDFGHJKLMNPQRSTVWXZ23456789";
  guint8 bytes[9];
  char code[10];

  g_assert_cmpint (gnutls_rnd (GNUTLS_RND_NONCE, bytes, sizeof bytes), ==, 0);
  for (gsize i = 0; i < sizeof bytes; i++)
    code[i] = alphabet[bytes[i] % (sizeof alphabet - 1)];
  code[9] = '\0';
  return g_strdup (code);
}

static void
handle_devicecode (Request *req)
{
  LkTestIdp *self = req->self;
  const char *client_id = param (req, "client_id");
  const char *scope = param (req, "scope");
  g_autofree char *tenant = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *message = NULL;
  g_autofree char *verification_uri = NULL;
  g_auto(Scopes) scopes = { 0 };
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object;
  DeviceAuth *device;
  guint error_code = 0;

  if (req->fault.kind == LK_TEST_IDP_FAULT_AADSTS)
    {
      respond_error_json (req, NULL, req->fault.param, NULL);
      return;
    }
  if (!g_str_equal (soup_server_message_get_method (req->msg), "POST"))
    {
      respond_error_json (req, NULL, 900561, NULL);
      return;
    }
  if (!resolve_tenant (self, req->tenant, &tenant))
    {
      respond_error_json (req, NULL, 90002, NULL);
      return;
    }
  if (client_id == NULL)
    {
      respond_error_json (req, NULL, 900144, "The request body must contain the following parameter: 'client_id'.");
      return;
    }
  if (!g_hash_table_contains (self->clients, client_id))
    {
      respond_error_json (req, NULL, 700016, NULL);
      return;
    }
  if (scope == NULL)
    {
      respond_error_json (req, NULL, 900144, "The request body must contain the following parameter: 'scope'.");
      return;
    }
  if (!scopes_parse (scope, &scopes, &error_code, &detail))
    {
      respond_error_json (req, NULL, error_code, detail);
      return;
    }

  device = g_new0 (DeviceAuth, 1);
  device->grant.client_id = g_strdup (client_id);
  device->grant.scope = g_strdup (scope);
  device->grant.tenant = g_strdup (tenant);   /* completed on approval */
  device->device_code = random_secret (LK_TEST_DEVICE_PREFIX, 48);
  device->user_code = new_user_code ();
  device->interval = self->device_interval;
  device->expires = g_get_monotonic_time () + self->device_lifetime * G_USEC_PER_SEC;
  device->next_poll = g_get_monotonic_time () + device->interval * G_USEC_PER_SEC;
  device->state = DEVICE_PENDING;
  g_hash_table_insert (self->devices, device->device_code, device);
  g_free (self->last_user_code);
  self->last_user_code = g_strdup (device->user_code);
  log_secret ("device code", device->device_code);

  verification_uri = g_strdup_printf ("%s/devicelogin", self->base_url);
  message = g_strdup_printf ("To sign in, use a web browser to open the page %s and enter the code %s "
                             "to authenticate.", verification_uri, device->user_code);
  object = json_object_new ();
  json_node_take_object (root, object);
  json_object_set_string_member (object, "user_code", device->user_code);
  json_object_set_string_member (object, "device_code", device->device_code);
  json_object_set_string_member (object, "verification_uri", verification_uri);
  json_object_set_int_member (object, "expires_in", self->device_lifetime);
  json_object_set_int_member (object, "interval", device->interval);
  json_object_set_string_member (object, "message", message);
  respond_json_node (req, 200, root);
}

static gboolean
device_set_state (LkTestIdp   *self,
                  const char  *user_code,
                  DeviceState  state,
                  const char  *email)
{
  DeviceAuth *device = find_device_by_user_code (self, user_code);
  const char *user = email && *email ? email : self->user;
  char *tenant;

  if (device == NULL || device->state != DEVICE_PENDING ||
      g_get_monotonic_time () > device->expires)
    return FALSE;
  device->state = state;
  g_free (device->grant.user);
  device->grant.user = g_strdup (user);
  tenant = user_tenant (self, device->grant.tenant, user);
  g_free (device->grant.tenant);
  device->grant.tenant = tenant;
  return TRUE;
}

static void
handle_devicelogin (Request *req)
{
  const char *otc = param (req, "otc");
  const char *action = param (req, "action");
  DeviceAuth *device = otc ? find_device_by_user_code (req->self, otc) : NULL;
  g_autofree char *body = NULL;

  if (otc == NULL)
    {
      respond_html (req, 200, "Enter code",
                    "<p>Enter the code displayed on your app or device.</p>\n"
                    "<form method=\"post\" action=\"/devicelogin\">\n"
                    "<input type=\"text\" name=\"otc\" id=\"otc\" autocomplete=\"off\">\n"
                    "<button type=\"submit\" id=\"next\">Next</button>\n</form>");
      return;
    }
  if (device == NULL || device->state != DEVICE_PENDING ||
      g_get_monotonic_time () > device->expires)
    {
      respond_html (req, 400, "Enter code",
                    "<p id=\"error\">That code didn't work. Check the code and try again.</p>\n"
                    "<form method=\"post\" action=\"/devicelogin\">\n"
                    "<input type=\"text\" name=\"otc\" id=\"otc\" autocomplete=\"off\">\n"
                    "<button type=\"submit\" id=\"next\">Next</button>\n</form>");
      return;
    }
  if (action == NULL)
    {
      g_autofree char *code = g_markup_escape_text (device->user_code, -1);
      g_autofree char *user = g_markup_escape_text (req->self->user, -1);
      g_autofree char *client = g_markup_escape_text (device->grant.client_id, -1);

      body = g_strdup_printf ("<p id=\"user\">%s</p>\n"
                              "<p>Are you trying to sign in to <span id=\"client\">%s</span>?</p>\n"
                              "<form method=\"post\" action=\"/devicelogin\">\n"
                              "<input type=\"hidden\" name=\"otc\" value=\"%s\">\n"
                              "<button type=\"submit\" id=\"accept\" name=\"action\" value=\"accept\">Continue</button>\n"
                              "<button type=\"submit\" id=\"cancel\" name=\"action\" value=\"cancel\">Cancel</button>\n"
                              "</form>%s", user, client, code, auto_submit_script (req->self));
      respond_html (req, 200, "Sign in", body);
      return;
    }
  if (g_str_equal (action, "accept"))
    {
      device_set_state (req->self, otc, DEVICE_APPROVED, NULL);
      respond_html (req, 200, "Signed in",
                    "<p id=\"done\">You have signed in to the application on your device. "
                    "You may now close this window.</p>");
    }
  else
    {
      device_set_state (req->self, otc, DEVICE_DECLINED, NULL);
      respond_html (req, 200, "Cancelled", "<p id=\"done\">You cancelled the sign-in.</p>");
    }
}

/* ------------------------------------------------------------------ */
/* Discovery                                                           */

static void
add_string_array (JsonObject *object,
                  const char *name,
                  const char *first,
                  ...)
{
  JsonArray *array = json_array_new ();
  va_list args;

  va_start (args, first);
  for (const char *s = first; s != NULL; s = va_arg (args, const char *))
    json_array_add_string_element (array, s);
  va_end (args);
  json_object_set_array_member (object, name, array);
}

static void
handle_discovery (Request *req)
{
  LkTestIdp *self = req->self;
  g_autofree char *guid = NULL;
  g_autofree char *issuer = NULL;
  g_autofree char *prefix = NULL;
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object;
  const char *segment;

  if (req->fault.kind == LK_TEST_IDP_FAULT_AADSTS)
    {
      respond_error_json (req, NULL, req->fault.param, NULL);
      return;
    }
  if (!resolve_tenant (self, req->tenant, &guid))
    {
      g_autofree char *detail = g_strdup_printf ("Tenant '%s' not found. Check to make sure you have the "
                                                 "correct tenant ID and are signing into the correct cloud.",
                                                 req->tenant);
      respond_error_json (req, "invalid_tenant", 90002, detail);
      return;
    }
  segment = guid ? guid : req->tenant;
  issuer = g_strdup_printf ("%s/%s/v2.0", self->base_url, guid ? guid : "{tenantid}");
  prefix = g_strdup_printf ("%s/%s", self->base_url, segment);

  object = json_object_new ();
  json_node_take_object (root, object);
#define SET_URL(name, suffix) G_STMT_START { \
    g_autofree char *u = g_strconcat (prefix, suffix, NULL); \
    json_object_set_string_member (object, name, u); \
  } G_STMT_END
  SET_URL ("token_endpoint", "/oauth2/v2.0/token");
  add_string_array (object, "token_endpoint_auth_methods_supported",
                    "client_secret_post", "private_key_jwt", "client_secret_basic", NULL);
  SET_URL ("jwks_uri", "/discovery/v2.0/keys");
  add_string_array (object, "response_modes_supported", "query", "fragment", "form_post", NULL);
  add_string_array (object, "subject_types_supported", "pairwise", NULL);
  add_string_array (object, "id_token_signing_alg_values_supported", "HS256", NULL);
  add_string_array (object, "response_types_supported", "code", "id_token", "code id_token",
                    "id_token token", NULL);
  add_string_array (object, "scopes_supported", "openid", "profile", "email", "offline_access", NULL);
  json_object_set_string_member (object, "issuer", issuer);
  json_object_set_boolean_member (object, "request_uri_parameter_supported", FALSE);
  json_object_set_string_member (object, "userinfo_endpoint", "https://graph.microsoft.com/oidc/userinfo");
  SET_URL ("authorization_endpoint", "/oauth2/v2.0/authorize");
  SET_URL ("device_authorization_endpoint", "/oauth2/v2.0/devicecode");
  json_object_set_boolean_member (object, "http_logout_supported", TRUE);
  json_object_set_boolean_member (object, "frontchannel_logout_supported", TRUE);
  SET_URL ("end_session_endpoint", "/oauth2/v2.0/logout");
  add_string_array (object, "claims_supported", "sub", "iss", "aud", "exp", "iat", "nonce",
                    "preferred_username", "name", "tid", "ver", "email", NULL);
  SET_URL ("kerberos_endpoint", "/kerberos");
  if (guid && !g_str_equal (guid, LK_TEST_IDP_CONSUMERS_TENANT))
    json_object_set_string_member (object, "tenant_region_scope", "EU");
  else
    json_object_set_null_member (object, "tenant_region_scope");
  json_object_set_string_member (object, "cloud_instance_name", "microsoftonline.com");
  json_object_set_string_member (object, "cloud_graph_host_name", "graph.windows.net");
  json_object_set_string_member (object, "msgraph_host", "graph.microsoft.com");
  json_object_set_string_member (object, "rbac_url", "https://pas.windows.net");
  if (self->issue_iss)
    json_object_set_boolean_member (object, "authorization_response_iss_parameter_supported", TRUE);
#undef SET_URL
  respond_json_node (req, 200, root);
}

/* ------------------------------------------------------------------ */
/* /_control/: the same switches for tests in other languages          */

static JsonObject *
control_body (Request *req)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (req->body == NULL || req->body[0] != '{' ||
      !json_parser_load_from_data (parser, req->body, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return JSON_NODE_HOLDS_OBJECT (root) ? json_object_ref (json_node_get_object (root)) : NULL;
}

/* A member of the JSON body, a form field, or the whole plain body. */
static const char *
control_string (Request    *req,
                JsonObject *body,
                const char *name,
                gboolean    whole_body)
{
  if (body != NULL && json_object_has_member (body, name))
    return json_object_get_string_member_with_default (body, name, NULL);
  if (param (req, name) != NULL)
    return param (req, name);
  if (whole_body && body == NULL && req->body != NULL && !strchr (req->body, '='))
    return g_strstrip (req->body);
  return NULL;
}

static gint64
control_int (JsonObject *body,
             const char *name,
             gint64      fallback)
{
  JsonNode *node;

  if (body == NULL || !json_object_has_member (body, name))
    return fallback;
  node = json_object_get_member (body, name);
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_ascii_strtoll (json_node_get_string (node), NULL, 10);
  return json_node_get_int (node);
}

static void
respond_control (Request    *req,
                 guint       status,
                 const char *message)
{
  g_autofree char *json = g_strdup_printf ("{\"ok\": %s, \"message\": \"%s\"}\n",
                                           status == 200 ? "true" : "false", message);

  respond_text (req, status, "application/json", json, strlen (json));
}

/* @table (string → string) as the member @name: a JSON object. */
static void
add_string_map (JsonBuilder *builder,
                const char  *name,
                GHashTable  *table)
{
  GHashTableIter iter;
  gpointer key, value;

  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      json_builder_set_member_name (builder, key);
      json_builder_add_string_value (builder, value);
    }
  json_builder_end_object (builder);
}

static void
control_stats (Request *req)
{
  LkTestIdp *self = req->self;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  GHashTableIter iter;
  gpointer key, value;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "counts");
  json_builder_begin_object (builder);
  g_hash_table_iter_init (&iter, self->counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      json_builder_set_member_name (builder, key);
      json_builder_add_int_value (builder, GPOINTER_TO_UINT (value));
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "last_refresh_token_used");
  if (self->last_rt_used)
    json_builder_add_string_value (builder, self->last_rt_used);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "last_user_code");
  if (self->last_user_code)
    json_builder_add_string_value (builder, self->last_user_code);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "last_access_token");
  if (self->last_access_token)
    json_builder_add_string_value (builder, self->last_access_token);
  else
    json_builder_add_null_value (builder);
  add_string_map (builder, "last_refresh_token_issued", self->last_rt_issued);
  add_string_map (builder, "last_access_token_issued", self->last_at_issued);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  respond_text (req, 200, "application/json", text, strlen (text));
}

static void
handle_control (Request *req)
{
  LkTestIdp *self = req->self;
  g_autoptr(JsonObject) body = control_body (req);
  const char *action = req->action;

  if (!self->control)
    {
      respond_html (req, 404, "Not found", "<p>Not found.</p>");
      return;
    }
  if (g_str_equal (action, "stats"))
    {
      control_stats (req);
    }
  else if (g_str_equal (action, "fault"))
    {
      LkTestIdpEndpoint endpoint;
      LkTestIdpFaultKind kind;
      const char *kind_name = control_string (req, body, "kind", FALSE);
      guint fault_param = control_int (body, "code",
                                       control_int (body, "delay_ms",
                                                    control_int (body, "size",
                                                                 control_int (body, "param", 0))));

      if (!lk_test_idp_endpoint_from_string (control_string (req, body, "endpoint", FALSE), &endpoint) ||
          !lk_test_idp_fault_kind_from_string (kind_name, &kind))
        {
          respond_control (req, 400, "unknown endpoint or kind");
          return;
        }
      lk_test_idp_set_fault (self, endpoint, kind, fault_param,
                             control_string (req, body, "field", FALSE),
                             control_int (body, "count", 1));
      respond_control (req, 200, "fault set");
    }
  else if (g_str_equal (action, "clear-faults"))
    {
      lk_test_idp_clear_faults (self);
      respond_control (req, 200, "faults cleared");
    }
  else if (g_str_equal (action, "approve-device") || g_str_equal (action, "decline-device"))
    {
      const char *user_code = control_string (req, body, "user_code", TRUE);
      gboolean ok;

      if (user_code == NULL)
        user_code = self->last_user_code;
      if (user_code == NULL)
        ok = FALSE;
      else if (g_str_equal (action, "approve-device"))
        ok = lk_test_idp_approve_device (self, user_code, control_string (req, body, "user", FALSE));
      else
        ok = lk_test_idp_decline_device (self, user_code);
      respond_control (req, ok ? 200 : 404, ok ? "done" : "no pending device code with that user code");
    }
  else if (g_str_equal (action, "revoke"))
    {
      const char *user = control_string (req, body, "user", TRUE);

      lk_test_idp_revoke_refresh_tokens (self, user ? user : self->user);
      respond_control (req, 200, "revoked");
    }
  else if (g_str_equal (action, "reset-counts"))
    {
      lk_test_idp_reset_counts (self);
      respond_control (req, 200, "counts reset");
    }
  else if (g_str_equal (action, "config") && body != NULL)
    {
      if (json_object_has_member (body, "auto_approve"))
        lk_test_idp_set_auto_approve (self, json_object_get_boolean_member (body, "auto_approve"));
      if (json_object_has_member (body, "consent_auto_submit"))
        lk_test_idp_set_consent_auto_submit (self, json_object_get_boolean_member (body, "consent_auto_submit"));
      if (json_object_has_member (body, "issue_iss"))
        lk_test_idp_set_issue_iss (self, json_object_get_boolean_member (body, "issue_iss"));
      if (json_object_has_member (body, "single_use_refresh_tokens"))
        lk_test_idp_set_single_use_refresh_tokens (self, json_object_get_boolean_member (body, "single_use_refresh_tokens"));
      if (json_object_has_member (body, "token_size"))
        lk_test_idp_set_token_size (self, control_int (body, "token_size", 0));
      if (json_object_has_member (body, "access_token_lifetime"))
        lk_test_idp_set_access_token_lifetime (self, control_int (body, "access_token_lifetime", 0));
      if (json_object_has_member (body, "code_lifetime"))
        lk_test_idp_set_code_lifetime (self, control_int (body, "code_lifetime", 600));
      if (json_object_has_member (body, "device_code_lifetime"))
        lk_test_idp_set_device_code_lifetime (self, control_int (body, "device_code_lifetime", DEVICE_LIFETIME));
      if (json_object_has_member (body, "device_interval"))
        lk_test_idp_set_device_interval (self, control_int (body, "device_interval", 5));
      if (control_string (req, body, "user", FALSE))
        lk_test_idp_set_user (self, control_string (req, body, "user", FALSE));
      if (control_string (req, body, "app_mailbox", FALSE))
        lk_test_idp_set_app_mailbox (self, control_string (req, body, "app_mailbox", FALSE));
      if (control_string (req, body, "issuer", FALSE))
        lk_test_idp_set_access_token_issuer (self, control_string (req, body, "issuer", FALSE));
      respond_control (req, 200, "configured");
    }
  else if (g_str_equal (action, "client") && body != NULL && control_string (req, body, "client_id", FALSE))
    {
      const char *client_id = control_string (req, body, "client_id", FALSE);
      g_autoptr(GPtrArray) roles = g_ptr_array_new ();
      JsonArray *array;

      if (json_object_has_member (body, "roles") &&
          (array = json_object_get_array_member (body, "roles")) != NULL)
        for (guint i = 0; i < json_array_get_length (array); i++)
          g_ptr_array_add (roles, (gpointer) json_array_get_string_element (array, i));
      g_ptr_array_add (roles, NULL);
      lk_test_idp_add_client (self, client_id, control_string (req, body, "client_secret", FALSE),
                              json_object_get_boolean_member_with_default (body, "allow_public_client_flows", FALSE),
                              (const char * const *) roles->pdata);
      if (json_object_has_member (body, "redirect_uris") &&
          (array = json_object_get_array_member (body, "redirect_uris")) != NULL)
        for (guint i = 0; i < json_array_get_length (array); i++)
          lk_test_idp_add_redirect_uri (self, client_id, json_array_get_string_element (array, i));
      respond_control (req, 200, "client added");
    }
  else if (g_str_equal (action, "tenant") && body != NULL)
    {
      const char *domain = control_string (req, body, "domain", FALSE);
      const char *guid = control_string (req, body, "tenant", FALSE);

      if (domain == NULL || guid == NULL)
        {
          respond_control (req, 400, "domain and tenant are required");
          return;
        }
      lk_test_idp_add_tenant (self, domain, guid);
      respond_control (req, 200, "tenant added");
    }
  else
    {
      respond_control (req, 400, "unknown control action or missing JSON body");
    }
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */

static Route
route_path (const char  *path,
            char       **tenant,
            char       **action)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  guint n = g_strv_length (parts);

  *tenant = NULL;
  *action = NULL;
  /* parts[0] is the empty string before the leading slash. */
  if (n == 2 && g_str_equal (parts[1], "devicelogin"))
    return ROUTE_DEVICELOGIN;
  if (n == 2 && g_str_equal (parts[1], "_consent"))
    return ROUTE_CONSENT;
  if (n == 3 && g_str_equal (parts[1], "_control"))
    {
      *action = g_strdup (parts[2]);
      return ROUTE_CONTROL;
    }
  if (n < 4 || parts[1][0] == '\0')
    return ROUTE_NOT_FOUND;
  *tenant = g_strdup (parts[1]);
  if (n == 5 && g_str_equal (parts[2], "oauth2") && g_str_equal (parts[3], "v2.0"))
    {
      if (g_str_equal (parts[4], "authorize"))
        return ROUTE_AUTHORIZE;
      if (g_str_equal (parts[4], "token"))
        return ROUTE_TOKEN;
      if (g_str_equal (parts[4], "devicecode"))
        return ROUTE_DEVICECODE;
    }
  if (n == 4 && g_str_equal (parts[2], "v2.0") && g_str_equal (parts[3], "adminconsent"))
    return ROUTE_ADMINCONSENT;
  if (n == 5 && g_str_equal (parts[2], "v2.0") && g_str_equal (parts[3], ".well-known") &&
      g_str_equal (parts[4], "openid-configuration"))
    return ROUTE_DISCOVERY;
  g_clear_pointer (tenant, g_free);
  return ROUTE_NOT_FOUND;
}

static gboolean
route_endpoint (Route              route,
                LkTestIdpEndpoint *endpoint)
{
  switch (route)
    {
    case ROUTE_AUTHORIZE:
      *endpoint = LK_TEST_IDP_ENDPOINT_AUTHORIZE;
      return TRUE;
    case ROUTE_TOKEN:
      *endpoint = LK_TEST_IDP_ENDPOINT_TOKEN;
      return TRUE;
    case ROUTE_DEVICECODE:
      *endpoint = LK_TEST_IDP_ENDPOINT_DEVICECODE;
      return TRUE;
    case ROUTE_ADMINCONSENT:
      *endpoint = LK_TEST_IDP_ENDPOINT_ADMINCONSENT;
      return TRUE;
    case ROUTE_DISCOVERY:
      *endpoint = LK_TEST_IDP_ENDPOINT_DISCOVERY;
      return TRUE;
    case ROUTE_NOT_FOUND:
    case ROUTE_DEVICELOGIN:
    case ROUTE_CONSENT:
    case ROUTE_CONTROL:
    default:
      return FALSE;
    }
}

static void
count_request (Request *req)
{
  static const char * const names[] = {
    [ROUTE_AUTHORIZE] = "authorize",
    [ROUTE_TOKEN] = "token",
    [ROUTE_DEVICECODE] = "devicecode",
    [ROUTE_ADMINCONSENT] = "adminconsent",
    [ROUTE_DISCOVERY] = "discovery",
    [ROUTE_DEVICELOGIN] = "devicelogin",
    [ROUTE_CONSENT] = "consent",
  };

  if (req->route >= G_N_ELEMENTS (names) || names[req->route] == NULL)
    return;
  count (req->self, names[req->route]);
  if (req->route == ROUTE_TOKEN)
    {
      const char *grant_type = param (req, "grant_type");
      const char *what = "token:other";

      if (g_strcmp0 (grant_type, "authorization_code") == 0)
        what = "token:authorization_code";
      else if (g_strcmp0 (grant_type, "refresh_token") == 0)
        what = "token:refresh_token";
      else if (g_strcmp0 (grant_type, "urn:ietf:params:oauth:grant-type:device_code") == 0)
        what = "token:device_code";
      else if (g_strcmp0 (grant_type, "client_credentials") == 0)
        what = "token:client_credentials";
      count (req->self, what);
    }
}

/* Takes one use of the endpoint's fault. */
static void
take_fault (LkTestIdp *self,
            Request   *req)
{
  LkTestIdpEndpoint endpoint;
  Fault *fault;

  if (!route_endpoint (req->route, &endpoint))
    return;
  fault = &self->faults[endpoint];
  if (fault->kind == LK_TEST_IDP_FAULT_NONE)
    return;
  req->fault.kind = fault->kind;
  req->fault.param = fault->param;
  req->fault.field = g_strdup (fault->field);
  if (fault->remaining > 0 && --fault->remaining == 0)
    {
      g_clear_pointer (&fault->field, g_free);
      fault->kind = LK_TEST_IDP_FAULT_NONE;
    }
}

static void
dispatch (Request *req)
{
  if (req->fault.kind == LK_TEST_IDP_FAULT_HTTP_500)
    {
      respond_500 (req);
      return;
    }
  switch (req->route)
    {
    case ROUTE_AUTHORIZE:
      handle_authorize (req);
      break;
    case ROUTE_TOKEN:
      handle_token (req);
      break;
    case ROUTE_DEVICECODE:
      handle_devicecode (req);
      break;
    case ROUTE_ADMINCONSENT:
      handle_adminconsent (req);
      break;
    case ROUTE_DISCOVERY:
      handle_discovery (req);
      break;
    case ROUTE_DEVICELOGIN:
      handle_devicelogin (req);
      break;
    case ROUTE_CONSENT:
      handle_consent (req);
      break;
    case ROUTE_CONTROL:
      handle_control (req);
      break;
    case ROUTE_NOT_FOUND:
    default:
      respond_html (req, 404, "Not found", "<p>Not found.</p>");
      break;
    }
}

static gboolean
delayed_cb (gpointer user_data)
{
  Request *req = user_data;
  LkTestIdp *self = req->self;

  self->delayed = g_list_remove (self->delayed, req);
  /* A client that gave up waiting has nothing to unpause. */
  if (!req->disconnected)
    {
      req->fault.kind = LK_TEST_IDP_FAULT_NONE;
      dispatch (req);
      soup_server_message_unpause (req->msg);
    }
  request_free (req);
  return G_SOURCE_REMOVE;
}

static void
disconnected_cb (SoupServerMessage *msg,
                 gpointer           user_data)
{
  Request *req = user_data;

  req->disconnected = TRUE;
}

static void
finished_cb (SoupServerMessage *msg,
             gpointer           user_data)
{
  /* Method and path only: the query may hold a code. */
  g_debug ("%s %s → %u", soup_server_message_get_method (msg),
           g_uri_get_path (soup_server_message_get_uri (msg)),
           soup_server_message_get_status (msg));
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  LkTestIdp *self = user_data;
  Request *req = g_new0 (Request, 1);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *content_type;

  req->self = self;
  req->msg = g_object_ref (msg);
  req->route = route_path (path, &req->tenant, &req->action);
  req->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (query != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, query);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (req->params, g_strdup (key), g_strdup (value));
    }
  if (body != NULL && body->length > 0)
    {
      req->body = g_strndup (body->data, body->length);
      content_type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);
      if (g_strcmp0 (content_type, "application/x-www-form-urlencoded") == 0)
        {
          g_autoptr(GHashTable) form = soup_form_decode (req->body);
          GHashTableIter iter;
          gpointer key, value;

          g_hash_table_iter_init (&iter, form);
          while (g_hash_table_iter_next (&iter, &key, &value))
            g_hash_table_insert (req->params, g_strdup (key), g_strdup (value));
        }
    }
  g_signal_connect (msg, "finished", G_CALLBACK (finished_cb), NULL);

  count_request (req);
  take_fault (self, req);
  if (req->fault.kind == LK_TEST_IDP_FAULT_SLOW)
    {
      soup_server_message_pause (msg);
      g_signal_connect (msg, "disconnected", G_CALLBACK (disconnected_cb), req);
      req->source_id = g_timeout_add (req->fault.param, delayed_cb, req);
      self->delayed = g_list_prepend (self->delayed, req);
      return;
    }
  dispatch (req);
  request_free (req);
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */

static void
lk_test_idp_dispose (GObject *object)
{
  LkTestIdp *self = LK_TEST_IDP (object);

  while (self->delayed != NULL)
    {
      Request *req = self->delayed->data;

      self->delayed = g_list_delete_link (self->delayed, self->delayed);
      g_source_remove (req->source_id);
      request_free (req);
    }
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  G_OBJECT_CLASS (lk_test_idp_parent_class)->dispose (object);
}

static void
lk_test_idp_finalize (GObject *object)
{
  LkTestIdp *self = LK_TEST_IDP (object);

  g_free (self->base_url);
  g_bytes_unref (self->jwt_key);
  g_free (self->at_issuer);
  g_free (self->user);
  g_free (self->app_mailbox);
  g_hash_table_unref (self->clients);
  g_hash_table_unref (self->tenants);
  for (guint i = 0; i < LK_TEST_IDP_N_ENDPOINTS; i++)
    g_free (self->faults[i].field);
  g_hash_table_unref (self->counts);
  g_hash_table_unref (self->codes);
  g_hash_table_unref (self->refresh_tokens);
  g_hash_table_unref (self->devices);
  g_hash_table_unref (self->consents);
  g_hash_table_unref (self->last_rt_issued);
  g_hash_table_unref (self->last_at_issued);
  g_free (self->last_rt_used);
  g_free (self->last_user_code);
  g_free (self->last_access_token);
  G_OBJECT_CLASS (lk_test_idp_parent_class)->finalize (object);
}

static void
lk_test_idp_class_init (LkTestIdpClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lk_test_idp_dispose;
  object_class->finalize = lk_test_idp_finalize;
}

static void
lk_test_idp_init (LkTestIdp *self)
{
  guint8 key[32];

  g_assert_cmpint (gnutls_rnd (GNUTLS_RND_KEY, key, sizeof key), ==, 0);
  self->jwt_key = g_bytes_new (key, sizeof key);
  self->at_issuer = g_strdup (LK_TEST_IDP_DEFAULT_ISSUER);
  self->code_lifetime = 600;
  self->user = g_strdup (LK_TEST_IDP_DEFAULT_USER);
  self->auto_approve = TRUE;
  self->device_interval = 5;
  self->device_lifetime = DEVICE_LIFETIME;
  self->clients = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) idp_client_free);
  self->tenants = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) auth_code_free);
  self->refresh_tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                (GDestroyNotify) refresh_token_free);
  self->devices = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) device_auth_free);
  self->consents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) consent_free);
  self->last_rt_issued = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->last_at_issued = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  lk_test_idp_add_tenant (self, "example.com", LK_TEST_IDP_EXAMPLE_TENANT);
  lk_test_idp_add_tenant (self, "example.onmicrosoft.com", LK_TEST_IDP_EXAMPLE_TENANT);
  lk_test_idp_add_tenant (self, "contoso.com", LK_TEST_IDP_CONTOSO_TENANT);
  lk_test_idp_add_tenant (self, "contoso.onmicrosoft.com", LK_TEST_IDP_CONTOSO_TENANT);
  lk_test_idp_add_client (self, LK_TEST_IDP_CLIENT_ID, NULL, TRUE, NULL);
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */

LkTestIdp *
lk_test_idp_new (void)
{
  return g_object_new (LK_TYPE_TEST_IDP, NULL);
}

/**
 * lk_test_idp_set_port:
 * @port: the port to listen on; 0 (the default) for any free one
 *
 * Call before lk_test_idp_start().
 */
void
lk_test_idp_set_port (LkTestIdp *self,
                      guint16    port)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  g_return_if_fail (self->server == NULL);
  self->port = port;
}

/**
 * lk_test_idp_start:
 *
 * Listens on 127.0.0.1 only, plain HTTP. The server answers from the
 * thread-default main context of the caller.
 */
gboolean
lk_test_idp_start (LkTestIdp  *self,
                   GError    **error)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, self->port);
  GSList *uris;

  g_return_val_if_fail (LK_IS_TEST_IDP (self), FALSE);
  g_return_val_if_fail (self->server == NULL, FALSE);

  self->server = soup_server_new ("server-header", "lk-test-idp ", NULL);
  soup_server_add_handler (self->server, NULL, server_cb, self, NULL);
  if (!soup_server_listen (self->server, address, 0, error))
    {
      g_clear_object (&self->server);
      return FALSE;
    }
  uris = soup_server_get_uris (self->server);
  self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_free (self->base_url);
  self->base_url = g_strdup_printf ("http://127.0.0.1:%u", self->port);
  return TRUE;
}

/* "http://127.0.0.1:PORT", no trailing slash; NULL before start. */
const char *
lk_test_idp_get_base_url (LkTestIdp *self)
{
  g_return_val_if_fail (LK_IS_TEST_IDP (self), NULL);
  return self->base_url;
}

/* The HS256 key access tokens are signed with: raw bytes, as Dovecot's
 * dict holds their base64. A random 32-byte key by default. */
void
lk_test_idp_set_jwt_key (LkTestIdp *self,
                         GBytes    *key)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  g_return_if_fail (key != NULL && g_bytes_get_size (key) > 0);
  g_bytes_unref (self->jwt_key);
  self->jwt_key = g_bytes_ref (key);
}

GBytes *
lk_test_idp_get_jwt_key (LkTestIdp *self)
{
  g_return_val_if_fail (LK_IS_TEST_IDP (self), NULL);
  return self->jwt_key;
}

/* The `iss` claim of access tokens (Dovecot's `issuers`). */
void
lk_test_idp_set_access_token_issuer (LkTestIdp  *self,
                                     const char *issuer)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  g_free (self->at_issuer);
  self->at_issuer = g_strdup (issuer ? issuer : LK_TEST_IDP_DEFAULT_ISSUER);
}

/* Pads access tokens to about @size characters; 0 for no padding. */
void
lk_test_idp_set_token_size (LkTestIdp *self,
                            gsize      size)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  self->token_size = size;
}

/* @seconds: expires_in of access tokens; 0 (default) for Microsoft's
 * random 60–90 minutes; negative for tokens already expired. */
void
lk_test_idp_set_access_token_lifetime (LkTestIdp *self,
                                       gint64     seconds)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  self->at_lifetime = seconds;
}

/* How long an authorization code may be redeemed (default 600 s). */
void
lk_test_idp_set_code_lifetime (LkTestIdp *self,
                               gint64     seconds)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  self->code_lifetime = seconds;
}

/**
 * lk_test_idp_add_client:
 * @client_secret: (nullable): NULL for a public client
 * @allow_public_client_flows: Entra's "Allow public client flows"
 *   (needed for the device code grant)
 * @app_roles: (nullable): application permissions granted by admin
 *   consent, the `roles` of client-credentials tokens (IMAP.AccessAsApp…)
 *
 * Registers (or replaces) a client with redirect URI http://localhost.
 */
void
lk_test_idp_add_client (LkTestIdp          *self,
                        const char         *client_id,
                        const char         *client_secret,
                        gboolean            allow_public_client_flows,
                        const char * const *app_roles)
{
  IdpClient *client = g_new0 (IdpClient, 1);

  g_return_if_fail (LK_IS_TEST_IDP (self));
  g_return_if_fail (client_id != NULL);
  client->id = g_strdup (client_id);
  client->secret = g_strdup (client_secret);
  client->public_flows = allow_public_client_flows;
  client->redirect_uris = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (client->redirect_uris, g_strdup ("http://localhost"));
  client->roles = g_strdupv ((char **) app_roles);
  g_hash_table_replace (self->clients, client->id, client);
}

void
lk_test_idp_add_redirect_uri (LkTestIdp  *self,
                              const char *client_id,
                              const char *redirect_uri)
{
  IdpClient *client;

  g_return_if_fail (LK_IS_TEST_IDP (self));
  client = g_hash_table_lookup (self->clients, client_id);
  g_return_if_fail (client != NULL);
  g_ptr_array_add (client->redirect_uris, g_strdup (redirect_uri));
}

/* Maps a verified domain to its tenant GUID (example.com and contoso.com
 * are known from the start). */
void
lk_test_idp_add_tenant (LkTestIdp  *self,
                        const char *domain,
                        const char *tenant_guid)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  g_hash_table_replace (self->tenants, g_ascii_strdown (domain, -1), g_ascii_strdown (tenant_guid, -1));
}

/* Who signs in when /authorize has no login_hint and who approves device
 * codes (default alice@example.com). */
void
lk_test_idp_set_user (LkTestIdp  *self,
                      const char *email)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  g_free (self->user);
  self->user = g_strdup (email ? email : LK_TEST_IDP_DEFAULT_USER);
}

/* The `email`/`upn` of client-credentials tokens, so that Dovecot maps
 * them to a mailbox (default: the user). */
void
lk_test_idp_set_app_mailbox (LkTestIdp  *self,
                             const char *email)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  g_free (self->app_mailbox);
  self->app_mailbox = g_strdup (email);
}

/* TRUE (default): /authorize redirects at once. FALSE: it shows a consent
 * page with the user and an "Accept" button (id "accept") whose POST
 * redirects; "Cancel" gives access_denied. */
void
lk_test_idp_set_auto_approve (LkTestIdp *self,
                              gboolean   auto_approve)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  self->auto_approve = auto_approve;
}

/* With the consent form (and the device code confirmation page), adds a
 * script that presses Accept on load, so that `chromium --headless
 * --virtual-time-budget=… --dump-dom URL` goes all the way to the redirect.
 * GET /devicelogin?otc=USER_CODE opens the confirmation page directly. */
void
lk_test_idp_set_consent_auto_submit (LkTestIdp *self,
                                     gboolean   auto_submit)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  self->auto_submit = auto_submit;
}

/* Adds RFC 9207 `iss` = BASE/{tenant as in the path}/v2.0 to /authorize
 * redirects and advertises it in discovery. Off by default, as Microsoft. */
void
lk_test_idp_set_issue_iss (LkTestIdp *self,
                           gboolean   issue_iss)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  self->issue_iss = issue_iss;
}

/* The device code polling interval (default 5 s; tests use 1). */
void
lk_test_idp_set_device_interval (LkTestIdp *self,
                                 guint      seconds)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  self->device_interval = seconds;
}

/* How long a device code can be approved and polled (default 900 s, as
 * Microsoft's 15 minutes); short to see expired_token. */
void
lk_test_idp_set_device_code_lifetime (LkTestIdp *self,
                                      gint64     seconds)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  self->device_lifetime = seconds;
}

/* Stricter than Microsoft: a refresh token works only once, so a client
 * that does not store the rotated one fails at the next refresh. */
void
lk_test_idp_set_single_use_refresh_tokens (LkTestIdp *self,
                                           gboolean   single_use)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  self->single_use_rt = single_use;
}

/* Serves /_control/ (for lk-test-idp, the standalone program). */
void
lk_test_idp_set_control_enabled (LkTestIdp *self,
                                 gboolean   enabled)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  self->control = enabled;
}

void
lk_test_idp_set_fault (LkTestIdp          *self,
                       LkTestIdpEndpoint   endpoint,
                       LkTestIdpFaultKind  kind,
                       guint               fault_param,
                       const char         *field,
                       int                 n)
{
  Fault *fault;

  g_return_if_fail (LK_IS_TEST_IDP (self));
  g_return_if_fail (endpoint < LK_TEST_IDP_N_ENDPOINTS);
  fault = &self->faults[endpoint];
  g_clear_pointer (&fault->field, g_free);
  fault->kind = n == 0 ? LK_TEST_IDP_FAULT_NONE : kind;
  fault->param = fault_param;
  fault->field = g_strdup (field);
  fault->remaining = n < 0 ? -1 : n;
}

void
lk_test_idp_clear_faults (LkTestIdp *self)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  for (guint i = 0; i < LK_TEST_IDP_N_ENDPOINTS; i++)
    lk_test_idp_set_fault (self, i, LK_TEST_IDP_FAULT_NONE, 0, NULL, 0);
}

/* "authorize", "token", "devicecode", "adminconsent", "discovery". */
gboolean
lk_test_idp_endpoint_from_string (const char        *name,
                                  LkTestIdpEndpoint *out)
{
  static const char * const names[] = {
    "authorize", "token", "devicecode", "adminconsent", "discovery",
  };

  G_STATIC_ASSERT (G_N_ELEMENTS (names) == LK_TEST_IDP_N_ENDPOINTS);
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (name, names[i]))
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

/* "none", "aadsts", "http500", "slow", "malformed-json", "oversized",
 * "expires-in-string", "missing-field", "large-tokens", "wrong-iss",
 * "wrong-state", "expires-in-value", "access-token". */
gboolean
lk_test_idp_fault_kind_from_string (const char         *name,
                                    LkTestIdpFaultKind *out)
{
  static const char * const names[] = {
    "none", "aadsts", "http500", "slow", "malformed-json", "oversized",
    "expires-in-string", "missing-field", "large-tokens", "wrong-iss", "wrong-state",
    "expires-in-value", "access-token",
  };

  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (name, names[i]))
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

guint
lk_test_idp_get_count (LkTestIdp  *self,
                       const char *what)
{
  g_return_val_if_fail (LK_IS_TEST_IDP (self), 0);
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->counts, what));
}

void
lk_test_idp_reset_counts (LkTestIdp *self)
{
  g_return_if_fail (LK_IS_TEST_IDP (self));
  g_hash_table_remove_all (self->counts);
}

/* The refresh token the last refresh_token grant presented (refused or
 * not); NULL if none. */
const char *
lk_test_idp_get_last_refresh_token_used (LkTestIdp *self)
{
  g_return_val_if_fail (LK_IS_TEST_IDP (self), NULL);
  return self->last_rt_used;
}

/* The newest refresh token issued to @email: the one a client should
 * have stored. */
const char *
lk_test_idp_get_last_refresh_token_issued (LkTestIdp  *self,
                                           const char *email)
{
  g_return_val_if_fail (LK_IS_TEST_IDP (self), NULL);
  return g_hash_table_lookup (self->last_rt_issued, email);
}

const char *
lk_test_idp_get_last_user_code (LkTestIdp *self)
{
  g_return_val_if_fail (LK_IS_TEST_IDP (self), NULL);
  return self->last_user_code;
}

const char *
lk_test_idp_get_last_access_token (LkTestIdp *self)
{
  g_return_val_if_fail (LK_IS_TEST_IDP (self), NULL);
  return self->last_access_token;
}

/* As an administrator's "revoke sessions": every refresh token of @email
 * is refused from now on (invalid_grant, AADSTS70008). */
void
lk_test_idp_revoke_refresh_tokens (LkTestIdp  *self,
                                   const char *email)
{
  GHashTableIter iter;
  RefreshToken *rt;

  g_return_if_fail (LK_IS_TEST_IDP (self));
  g_hash_table_iter_init (&iter, self->refresh_tokens);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &rt))
    if (g_ascii_strcasecmp (rt->grant.user, email) == 0)
      rt->revoked = TRUE;
}

/* What a person does at /devicelogin. @email: who approves (NULL: the
 * user). FALSE if no pending device code has @user_code. */
gboolean
lk_test_idp_approve_device (LkTestIdp  *self,
                            const char *user_code,
                            const char *email)
{
  g_return_val_if_fail (LK_IS_TEST_IDP (self), FALSE);
  return device_set_state (self, user_code, DEVICE_APPROVED, email);
}

gboolean
lk_test_idp_decline_device (LkTestIdp  *self,
                            const char *user_code)
{
  g_return_val_if_fail (LK_IS_TEST_IDP (self), FALSE);
  return device_set_state (self, user_code, DEVICE_DECLINED, NULL);
}
