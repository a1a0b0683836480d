/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * LkTokenSet:
 *
 * The secret state of an account: what a grant returned and what the keyring
 * keeps, as one item written in one call. lk_token_set_free() wipes the
 * strings before freeing them. Never log or print any field but the expiry
 * and the scope.
 */
typedef struct
{
  char   *access_token;
  char   *refresh_token;    /* nullable: app-only accounts have none */
  gint64  expires_at;       /* Unix time in seconds; 0 when unknown */
  char   *scope;            /* scopes granted, space-separated; nullable */
  char   *client_secret;    /* app-only accounts only; nullable */
  /* From the id_token, for display only (not verified, came over TLS). */
  char   *id_username;      /* preferred_username */
  char   *id_email;
  char   *id_name;
  char   *id_tenant;        /* tid */
  /* When things happened, Unix time, 0 unknown (sets written before they
   * were kept): what the account page shows of a sign-in's age. The token
   * manager sets them (lk_token_manager_store_initial_async() and each
   * refresh). */
  gint64  signed_in_at;     /* the person signed in (a grant, not a refresh) */
  gint64  refreshed_at;     /* the access token was last refreshed; 0 never */
  gint64  refresh_token_at; /* the refresh token held now was issued */
} LkTokenSet;

#define LK_TYPE_TOKEN_SET (lk_token_set_get_type ())

/* Version of the keyring payload; the fast token path in latchkey-cli reads
 * it too (src/cli/lk-cli-fast-token.c). */
#define LK_TOKEN_SET_VERSION 1

GType       lk_token_set_get_type        (void) G_GNUC_CONST;
LkTokenSet *lk_token_set_new             (void);
LkTokenSet *lk_token_set_copy            (const LkTokenSet *self) G_GNUC_WARN_UNUSED_RESULT;
void        lk_token_set_free            (LkTokenSet       *self);
char       *lk_token_set_serialize       (const LkTokenSet *self) G_GNUC_WARN_UNUSED_RESULT;
LkTokenSet *lk_token_set_deserialize     (const char       *data,
                                          GError          **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean    lk_token_set_is_fresh        (const LkTokenSet *self,
                                          gint64            now,
                                          gint64            margin_seconds);
void        lk_secret_wipe               (char             *secret);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkTokenSet, lk_token_set_free)

G_END_DECLS
