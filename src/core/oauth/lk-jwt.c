/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-oauth"

#include "config.h"

#include <string.h>

#include "lk-json.h"
#include "lk-jwt.h"

/* A JWT larger than this is not something a token endpoint sends. */
#define LK_JWT_MAX_LENGTH (64 * 1024)

static guint8 *
base64url_decode (const char *text,
                  gsize       length,
                  gsize      *out_len)
{
  g_autoptr(GString) s = g_string_sized_new (length + 4);

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (c == '-')
        c = '+';
      else if (c == '_')
        c = '/';
      else if (!g_ascii_isalnum (c))
        return NULL;
      g_string_append_c (s, c);
    }
  if (s->len % 4 == 1)
    return NULL;
  while (s->len % 4 != 0)
    g_string_append_c (s, '=');
  return g_base64_decode (s->str, out_len);
}

/**
 * lk_jwt_decode_payload:
 * @token: (nullable): a compact JWS, or anything else
 *
 * Returns: (nullable) (transfer full): the claims object when @token is a
 *   JWT (three base64url parts, the middle one a JSON object); NULL for
 *   opaque tokens. The signature is not checked.
 */
JsonObject *
lk_jwt_decode_payload (const char *token)
{
  const char *dot1, *dot2;
  g_autofree guint8 *payload = NULL;
  gsize payload_len = 0;
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;

  if (token == NULL || strlen (token) > LK_JWT_MAX_LENGTH)
    return NULL;
  dot1 = strchr (token, '.');
  if (dot1 == NULL)
    return NULL;
  dot2 = strchr (dot1 + 1, '.');
  if (dot2 == NULL || strchr (dot2 + 1, '.') != NULL || dot2 == dot1 + 1)
    return NULL;
  payload = base64url_decode (dot1 + 1, (gsize) (dot2 - dot1 - 1), &payload_len);
  if (payload == NULL || payload_len == 0)
    return NULL;
  if (!g_utf8_validate ((const char *) payload, (gssize) payload_len, NULL))
    return NULL;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) payload, (gssize) payload_len, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static char **
dup_claim_strv (JsonObject *obj,
                const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);
  g_autoptr(GStrvBuilder) builder = NULL;

  if (node == NULL)
    return NULL;
  builder = g_strv_builder_new ();
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    g_strv_builder_add (builder, json_node_get_string (node));
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (item));
        }
    }
  else
    return NULL;
  return g_strv_builder_end (builder);
}

/**
 * lk_jwt_claims_decode:
 * @token: (nullable): an access token
 *
 * Returns: (nullable): the claims of a JWT access token, or NULL when the
 *   token is opaque (Google): that is not an error, there is just nothing to
 *   show.
 */
LkJwtClaims *
lk_jwt_claims_decode (const char *token)
{
  g_autoptr(JsonObject) obj = lk_jwt_decode_payload (token);
  g_auto(GStrv) aud = NULL;
  LkJwtClaims *self;
  JsonNode *exp;

  if (obj == NULL)
    return NULL;

  self = g_new0 (LkJwtClaims, 1);
  aud = dup_claim_strv (obj, "aud");
  if (aud != NULL && aud[0] != NULL)
    self->aud = g_strjoinv (" ", aud);
  self->scp = lk_json_dup_string (obj, "scp");
  self->roles = dup_claim_strv (obj, "roles");
  self->upn = lk_json_dup_string (obj, "upn");
  self->unique_name = lk_json_dup_string (obj, "unique_name");
  self->preferred_username = lk_json_dup_string (obj, "preferred_username");
  self->email = lk_json_dup_string (obj, "email");
  self->tid = lk_json_dup_string (obj, "tid");
  self->iss = lk_json_dup_string (obj, "iss");
  self->appid = lk_json_dup_string (obj, "appid");
  if (self->appid == NULL)
    self->appid = lk_json_dup_string (obj, "azp");
  exp = json_object_get_member (obj, "exp");
  if (exp != NULL && JSON_NODE_HOLDS_VALUE (exp))
    {
      GType type = json_node_get_value_type (exp);

      if (type == G_TYPE_INT64)
        self->exp = json_node_get_int (exp);
      else if (type == G_TYPE_DOUBLE)
        {
          double d = json_node_get_double (exp);

          /* A time as a float (4E9) is read; one beyond any date (4E20,
           * NaN) is no expiry at all, not an undefined cast (fuzzing). */
          if (d >= 0 && d < 253402300800.0)   /* 9999-12-31 */
            self->exp = (gint64) d;
        }
    }
  return self;
}

void
lk_jwt_claims_free (LkJwtClaims *self)
{
  if (self == NULL)
    return;
  g_free (self->aud);
  g_free (self->scp);
  g_strfreev (self->roles);
  g_free (self->upn);
  g_free (self->unique_name);
  g_free (self->preferred_username);
  g_free (self->email);
  g_free (self->tid);
  g_free (self->iss);
  g_free (self->appid);
  g_free (self);
}
