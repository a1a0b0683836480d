/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-oauth"

#include "config.h"

#include "lk-error.h"
#include "lk-text.h"
#include "oauth/lk-jwt.h"
#include "oauth/lk-token-info.h"
#include "store/lk-token-store.h"

G_DEFINE_BOXED_TYPE (LkTokenInfo, lk_token_info, lk_token_info_copy, lk_token_info_free)

static char *
dup_plain (const char *text)
{
  return text != NULL && *text != '\0' && lk_text_is_plain (text) ? g_strdup (text) : NULL;
}

/* The first of @values that is plain text. */
static char *
dup_first_plain (const char * const *values,
                 guint               n_values)
{
  for (guint i = 0; i < n_values; i++)
    {
      char *plain = dup_plain (values[i]);

      if (plain != NULL)
        return plain;
    }
  return NULL;
}

/**
 * lk_token_info_new_from_set:
 * @tokens: (nullable): an account's token set; %NULL: none stored
 *
 * Returns: (transfer full): what @tokens say about the sign-in, without
 *   any secret of theirs
 */
LkTokenInfo *
lk_token_info_new_from_set (const LkTokenSet *tokens)
{
  LkTokenInfo *self = g_new0 (LkTokenInfo, 1);
  g_autoptr(LkJwtClaims) claims = NULL;

  if (tokens == NULL)
    return self;
  claims = lk_jwt_claims_decode (tokens->access_token);
  self->has_tokens = TRUE;
  self->has_refresh_token = tokens->refresh_token != NULL && *tokens->refresh_token != '\0';
  self->app_only = tokens->client_secret != NULL;
  self->expires_at = tokens->expires_at;
  self->signed_in_at = tokens->signed_in_at;
  self->refreshed_at = tokens->refreshed_at;
  self->refresh_token_at = tokens->refresh_token_at;
  {
    /* Who signed in: for a shared mailbox, the person, not the mailbox. */
    const char *who[] = {
      tokens->id_username, tokens->id_email,
      claims != NULL ? claims->upn : NULL,
      claims != NULL ? claims->unique_name : NULL,
      claims != NULL ? claims->preferred_username : NULL,
      claims != NULL ? claims->email : NULL,
    };
    const char *tenant[] = { tokens->id_tenant, claims != NULL ? claims->tid : NULL };
    const char *scopes[] = { tokens->scope, claims != NULL ? claims->scp : NULL };

    self->signed_in_as = dup_first_plain (who, G_N_ELEMENTS (who));
    self->tenant = dup_first_plain (tenant, G_N_ELEMENTS (tenant));
    self->scopes = dup_first_plain (scopes, G_N_ELEMENTS (scopes));
  }
  self->name = dup_plain (tokens->id_name);
  return self;
}

LkTokenInfo *
lk_token_info_copy (const LkTokenInfo *self)
{
  LkTokenInfo *copy = g_memdup2 (self, sizeof *self);

  copy->signed_in_as = g_strdup (self->signed_in_as);
  copy->name = g_strdup (self->name);
  copy->tenant = g_strdup (self->tenant);
  copy->scopes = g_strdup (self->scopes);
  return copy;
}

void
lk_token_info_free (LkTokenInfo *self)
{
  if (self == NULL)
    return;
  g_free (self->signed_in_as);
  g_free (self->name);
  g_free (self->tenant);
  g_free (self->scopes);
  g_free (self);
}

static void
looked_up_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(LkTokenSet) tokens = NULL;
  GError *error = NULL;

  /* The secrets go (wiped) with @tokens as this returns. */
  tokens = lk_token_store_lookup_finish (LK_TOKEN_STORE (source), result, &error);
  if (tokens == NULL && !g_error_matches (error, LK_ERROR, LK_ERROR_NOT_FOUND))
    {
      g_task_return_error (task, error);
      return;
    }
  g_clear_error (&error);
  g_task_return_pointer (task, lk_token_info_new_from_set (tokens),
                         (GDestroyNotify) lk_token_info_free);
}

/**
 * lk_token_info_lookup_async:
 * @store: where the account's tokens are (lk_token_store_get_default())
 * @email: the account
 *
 * Reads the account's keyring item, as the token manager does, and keeps
 * only what LkTokenInfo holds. An account without tokens is no error:
 * @has_tokens is %FALSE.
 */
void
lk_token_info_lookup_async (LkTokenStore        *store,
                            const char          *email,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LK_IS_TOKEN_STORE (store));
  g_return_if_fail (email != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_token_info_lookup_async);
  lk_token_store_lookup_async (store, email, cancellable, looked_up_cb, g_steal_pointer (&task));
}

/**
 * lk_token_info_lookup_finish:
 *
 * Returns: (transfer full) (nullable): the account's token info; %NULL with
 *   %LK_ERROR_KEYRING when the keyring cannot be read (locked, absent)
 */
LkTokenInfo *
lk_token_info_lookup_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_token_info_lookup_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
