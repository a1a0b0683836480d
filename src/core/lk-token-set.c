/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-json.h"
#include "lk-text.h"
#include "lk-token-set.h"

G_DEFINE_BOXED_TYPE (LkTokenSet, lk_token_set, lk_token_set_copy, lk_token_set_free)

/**
 * lk_secret_wipe:
 * @secret: (nullable) (transfer full): a string holding a secret
 *
 * Overwrites and frees @secret, so that a token does not linger in freed heap
 * memory (core dumps, swap).
 */
void
lk_secret_wipe (char *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

LkTokenSet *
lk_token_set_new (void)
{
  return g_new0 (LkTokenSet, 1);
}

LkTokenSet *
lk_token_set_copy (const LkTokenSet *self)
{
  LkTokenSet *copy = lk_token_set_new ();

  copy->access_token = g_strdup (self->access_token);
  copy->refresh_token = g_strdup (self->refresh_token);
  copy->expires_at = self->expires_at;
  copy->scope = g_strdup (self->scope);
  copy->client_secret = g_strdup (self->client_secret);
  copy->id_username = g_strdup (self->id_username);
  copy->id_email = g_strdup (self->id_email);
  copy->id_name = g_strdup (self->id_name);
  copy->id_tenant = g_strdup (self->id_tenant);
  copy->signed_in_at = self->signed_in_at;
  copy->refreshed_at = self->refreshed_at;
  copy->refresh_token_at = self->refresh_token_at;
  return copy;
}

void
lk_token_set_free (LkTokenSet *self)
{
  if (self == NULL)
    return;
  lk_secret_wipe (self->access_token);
  lk_secret_wipe (self->refresh_token);
  lk_secret_wipe (self->client_secret);
  g_free (self->scope);
  g_free (self->id_username);
  g_free (self->id_email);
  g_free (self->id_name);
  g_free (self->id_tenant);
  g_free (self);
}

/**
 * lk_token_set_is_fresh:
 * @margin_seconds: how long the access token must still be valid
 */
gboolean
lk_token_set_is_fresh (const LkTokenSet *self,
                       gint64            now,
                       gint64            margin_seconds)
{
  /* A token no mail server would take (spaces, control characters: see
   * lk_text_is_b64token()) is never handed out, however fresh. */
  return lk_text_is_b64token (self->access_token) &&
         self->expires_at > 0 && self->expires_at - now > margin_seconds;
}

/**
 * lk_token_set_serialize:
 *
 * Returns: (transfer full): the keyring payload, a compact JSON object. Free
 *   it with lk_secret_wipe().
 */
char *
lk_token_set_serialize (const LkTokenSet *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  lk_json_add_int (builder, "v", LK_TOKEN_SET_VERSION);
  lk_json_add_optional_string (builder, "access_token", self->access_token);
  lk_json_add_int (builder, "expires_at", self->expires_at);
  lk_json_add_optional_string (builder, "refresh_token", self->refresh_token);
  lk_json_add_optional_string (builder, "scope", self->scope);
  lk_json_add_optional_string (builder, "client_secret", self->client_secret);
  lk_json_add_optional_string (builder, "id_username", self->id_username);
  lk_json_add_optional_string (builder, "id_email", self->id_email);
  lk_json_add_optional_string (builder, "id_name", self->id_name);
  lk_json_add_optional_string (builder, "id_tenant", self->id_tenant);
  if (self->signed_in_at != 0)
    lk_json_add_int (builder, "signed_in_at", self->signed_in_at);
  if (self->refreshed_at != 0)
    lk_json_add_int (builder, "refreshed_at", self->refreshed_at);
  if (self->refresh_token_at != 0)
    lk_json_add_int (builder, "refresh_token_at", self->refresh_token_at);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return lk_json_to_data (root, FALSE, NULL);
}

/**
 * lk_token_set_deserialize:
 *
 * Reads a keyring payload. The error never quotes @data.
 */
LkTokenSet *
lk_token_set_deserialize (const char  *data,
                          GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(LkTokenSet) self = NULL;
  JsonObject *obj;
  JsonNode *root;

  if (data == NULL || !json_parser_load_from_data (parser, data, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_KEYRING,
                           _("The keyring item of this account is damaged; sign the account "
                             "in again"));
      return NULL;
    }
  obj = json_node_get_object (root);
  if (lk_json_get_int (obj, "v", 0) != LK_TOKEN_SET_VERSION)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_KEYRING,
                           _("The keyring item of this account was written by a newer "
                             "Latchkey; update Latchkey or sign in again"));
      return NULL;
    }
  self = lk_token_set_new ();
  self->access_token = lk_json_dup_string (obj, "access_token");
  self->refresh_token = lk_json_dup_string (obj, "refresh_token");
  self->expires_at = lk_json_get_int (obj, "expires_at", 0);
  self->scope = lk_json_dup_string (obj, "scope");
  self->client_secret = lk_json_dup_string (obj, "client_secret");
  self->id_username = lk_json_dup_string (obj, "id_username");
  self->id_email = lk_json_dup_string (obj, "id_email");
  self->id_name = lk_json_dup_string (obj, "id_name");
  self->id_tenant = lk_json_dup_string (obj, "id_tenant");
  self->signed_in_at = MAX (lk_json_get_int (obj, "signed_in_at", 0), 0);
  self->refreshed_at = MAX (lk_json_get_int (obj, "refreshed_at", 0), 0);
  self->refresh_token_at = MAX (lk_json_get_int (obj, "refresh_token_at", 0), 0);
  return g_steal_pointer (&self);
}
