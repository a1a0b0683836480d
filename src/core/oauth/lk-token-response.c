/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-oauth"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-json.h"
#include "lk-jwt.h"
#include "lk-text.h"
#include "lk-token-response.h"

/* error_description is not secret, but Microsoft's runs to several lines
 * (trace id, correlation id, timestamp): people need the first. */
#define LK_DESCRIPTION_MAX 400

static char *
first_line (const char *text)
{
  g_autofree char *line = NULL;
  const char *end;

  if (text == NULL)
    return NULL;
  end = strpbrk (text, "\r\n");
  line = end != NULL ? g_strndup (text, (gsize) (end - text)) : g_strdup (text);
  g_strstrip (line);
  if (!g_utf8_validate (line, -1, NULL))
    return g_utf8_make_valid (line, -1);
  if (g_utf8_strlen (line, -1) > LK_DESCRIPTION_MAX)
    {
      char *cut = g_utf8_offset_to_pointer (line, LK_DESCRIPTION_MAX);

      *cut = '\0';
    }
  return g_steal_pointer (&line);
}

static guint
first_error_code (JsonObject *obj)
{
  JsonNode *node = json_object_get_member (obj, "error_codes");
  JsonArray *array;
  JsonNode *item;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return 0;
  array = json_node_get_array (node);
  if (json_array_get_length (array) == 0)
    return 0;
  item = json_array_get_element (array, 0);
  if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_INT64)
    return 0;
  return (guint) CLAMP (json_node_get_int (item), 0, G_MAXUINT32);
}

/* interaction_required (RFC 6749 §5.2 leaves it to OpenID Connect Core
 * §3.1.2.6), and Microsoft's AADSTS50074/50076/50079 (strong authentication
 * or MFA enrolment required) and 70043/700084 (the session outlived the
 * sign-in frequency of a Conditional Access policy), whatever `error` they
 * come with: https://learn.microsoft.com/entra/identity-platform/reference-error-codes */
static gboolean
needs_interaction (const char *oauth_error,
                   guint       aadsts)
{
  return g_strcmp0 (oauth_error, "interaction_required") == 0 ||
         aadsts == 50074 || aadsts == 50076 || aadsts == 50079 ||
         aadsts == 70043 || aadsts == 700084;
}

static void
set_oauth_error (GError    **error,
                 guint       status,
                 JsonObject *obj,
                 const char *oauth_error)
{
  g_autofree char *description = lk_json_dup_string (obj, "error_description");
  g_autofree char *line = first_line (description);
  g_autofree char *safe_error = first_line (oauth_error);
  LkErrorCode code;
  GError *e;

  code = g_strcmp0 (oauth_error, "invalid_grant") == 0 ? LK_ERROR_INVALID_GRANT : LK_ERROR_OAUTH;
  if (code == LK_ERROR_INVALID_GRANT)
    e = g_error_new (LK_ERROR, code,
                     /* Translators: %s is the server's explanation, %s the OAuth error code */
                     _("The sign-in server no longer accepts this sign-in: %s (%s). Sign in again."),
                     line != NULL && *line != '\0' ? line : _("no details given"), safe_error);
  else
    e = g_error_new (LK_ERROR, code,
                     /* Translators: %s is the server's explanation, %s the OAuth error code */
                     _("The sign-in server refused the request: %s (%s)"),
                     line != NULL && *line != '\0' ? line : _("no details given"), safe_error);
  lk_error_set_oauth (e, safe_error, line, status);
  {
    g_autofree char *trace_id = lk_json_dup_string (obj, "trace_id");
    g_autofree char *correlation_id = lk_json_dup_string (obj, "correlation_id");

    lk_error_set_request_ids (e, trace_id, correlation_id, description);
  }
  if (lk_error_get_details (e)->aadsts == 0)
    lk_error_get_details_mut (e)->aadsts = first_error_code (obj);
  if (needs_interaction (oauth_error, lk_error_get_details (e)->aadsts))
    {
      /* Only a person signing in again (with the second factor the policy
       * asks for) helps; retrying never will. */
      e->code = LK_ERROR_NEEDS_SIGN_IN;
      g_free (e->message);
      e->message = g_strdup_printf (_("The sign-in server wants you to sign in again in the "
                                      "browser (multi-factor authentication or a sign-in "
                                      "frequency policy): %s (%s). Sign in again."),
                                    line != NULL && *line != '\0' ? line : _("no details given"),
                                    safe_error);
    }
  g_propagate_error (error, e);
}

/**
 * lk_oauth_response_parse:
 * @status: the HTTP status
 * @body: (nullable): the response body
 *
 * The common part of every answer from a token or device authorization
 * endpoint: a JSON object on success, an OAuth error otherwise.
 *
 * Returns: (transfer full) (nullable): the object of a successful answer
 */
JsonObject *
lk_oauth_response_parse (guint    status,
                         GBytes  *body,
                         GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *data = NULL;
  gsize length = 0;
  JsonNode *root = NULL;
  JsonObject *obj = NULL;
  gboolean success = status >= 200 && status < 300;

  if (body != NULL)
    data = g_bytes_get_data (body, &length);
  if (data != NULL && length > 0 && length < G_MAXSSIZE &&
      g_utf8_validate (data, (gssize) length, NULL) &&
      json_parser_load_from_data (parser, data, (gssize) length, NULL))
    root = json_parser_get_root (parser);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    obj = json_node_get_object (root);

  if (obj != NULL)
    {
      g_autofree char *oauth_error = lk_json_dup_string (obj, "error");

      if (oauth_error != NULL && *oauth_error != '\0')
        {
          set_oauth_error (error, status, obj, oauth_error);
          return NULL;
        }
    }

  if (!success)
    {
      GError *e = g_error_new (LK_ERROR, LK_ERROR_HTTP,
                               /* Translators: %u is an HTTP status such as 500 */
                               _("The sign-in server answered with HTTP status %u. Try again later."),
                               status);

      lk_error_set_oauth (e, NULL, NULL, status);
      g_propagate_error (error, e);
      return NULL;
    }

  if (obj == NULL)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                           _("The sign-in server sent an answer that is not a JSON object."));
      return NULL;
    }
  return json_object_ref (obj);
}

static void
take_id_token_claims (LkTokenSet *tokens,
                      const char *id_token)
{
  g_autoptr(JsonObject) claims = lk_jwt_decode_payload (id_token);

  if (claims == NULL)
    return;
  tokens->id_username = lk_json_dup_string (claims, "preferred_username");
  tokens->id_email = lk_json_dup_string (claims, "email");
  tokens->id_name = lk_json_dup_string (claims, "name");
  tokens->id_tenant = lk_json_dup_string (claims, "tid");
}

/* A successful answer refused for its access token or lifetime: its
 * refresh token goes to @out_rotated, so that a rotated one is not lost. */
static LkTokenSet *
refused (LkTokenSet  *tokens,
         LkTokenSet **out_rotated)
{
  if (out_rotated != NULL && tokens->refresh_token != NULL)
    {
      *out_rotated = lk_token_set_new ();
      (*out_rotated)->refresh_token = g_steal_pointer (&tokens->refresh_token);
    }
  return NULL;
}

/* Longest lifetime taken: a year. Providers give an hour or so. */
#define MAX_LIFETIME_SECONDS (366 * 24 * 3600)

/**
 * lk_token_response_parse:
 * @status: the HTTP status
 * @body: (nullable): the response body
 * @now: the current Unix time, for expires_at
 * @out_rotated: (out) (optional) (nullable): when a successful answer is
 *   refused for its access token or its lifetime, the refresh token it
 *   carried (alone in a token set), or %NULL: with single-use refresh
 *   tokens the old one is spent, so dropping the new one would lose the
 *   account
 *
 * A pure function (no I/O, no clock) so that tests and a fuzzer can call it.
 * The refresh token is left NULL when the answer has none; a refresh merges.
 *
 * Returns: (transfer full) (nullable): the tokens, or NULL with @error set
 */
LkTokenSet *
lk_token_response_parse (guint        status,
                         GBytes      *body,
                         gint64       now,
                         LkTokenSet **out_rotated,
                         GError     **error)
{
  g_autoptr(JsonObject) obj = NULL;
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autofree char *token_type = NULL;
  gint64 expires_in = 0;
  char *id_token;

  if (out_rotated != NULL)
    *out_rotated = NULL;
  obj = lk_oauth_response_parse (status, body, error);
  if (obj == NULL)
    return NULL;

  tokens = lk_token_set_new ();
  tokens->refresh_token = lk_json_dup_string (obj, "refresh_token");
  if (tokens->refresh_token != NULL && *tokens->refresh_token == '\0')
    g_clear_pointer (&tokens->refresh_token, g_free);
  tokens->access_token = lk_json_dup_string (obj, "access_token");
  if (tokens->access_token == NULL || *tokens->access_token == '\0')
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                           _("The sign-in server answered without an access token."));
      return NULL;
    }
  if (!lk_text_is_b64token (tokens->access_token))
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                           _("The sign-in server sent an access token with spaces, quotes or "
                             "control characters, which no mail server takes; it was not used "
                             "or stored. Try again later; if it keeps happening, tell the "
                             "provider."));
      return refused (tokens, out_rotated);
    }
  token_type = lk_json_dup_string (obj, "token_type");
  if (token_type != NULL && g_ascii_strcasecmp (token_type, "bearer") != 0)
    {
      g_autofree char *safe = first_line (token_type);

      g_set_error (error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                   /* Translators: %s is a token type such as "pop" */
                   _("The sign-in server issued a “%s” token; mail servers need a bearer token."),
                   safe);
      return NULL;
    }
  if (json_object_has_member (obj, "expires_in"))
    {
      if (!lk_json_get_seconds (obj, "expires_in", &expires_in))
        {
          g_set_error_literal (error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                               _("The sign-in server gave a token lifetime that is not a "
                                 "number of seconds from 1 to a year; the token was not used. "
                                 "Try again later; if it keeps happening, tell the provider."));
          return refused (tokens, out_rotated);
        }
      if (expires_in < 1 || expires_in > MAX_LIFETIME_SECONDS)
        {
          g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, expires_in);

          g_set_error (error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                       /* Translators: %s is a number of seconds */
                       _("The sign-in server gave a token lifetime of %s seconds, not from 1 "
                         "second to a year; the token was not used. Try again later; if it "
                         "keeps happening, tell the provider."),
                       seconds);
          return refused (tokens, out_rotated);
        }
      tokens->expires_at = now + expires_in;
    }
  tokens->scope = lk_json_dup_string (obj, "scope");
  id_token = lk_json_dup_string (obj, "id_token");
  take_id_token_claims (tokens, id_token);
  g_free (id_token);
  return g_steal_pointer (&tokens);

}
