/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

#include "lk-token-set.h"

G_BEGIN_DECLS

/* The keyring item, also read by raw D-Bus in src/cli/lk-cli-fast-token.c:
 * attributes xdg:schema = LK_TOKEN_SCHEMA_NAME, account = the address,
 * version = "1". */
#define LK_TOKEN_SCHEMA_NAME "io.github.latchkey.Token"

const SecretSchema *lk_token_store_get_schema   (void) G_GNUC_CONST;

void        lk_token_store_lookup_async  (const char          *account,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
LkTokenSet *lk_token_store_lookup_finish (GAsyncResult        *result,
                                          GError             **error) G_GNUC_WARN_UNUSED_RESULT;
LkTokenSet *lk_token_store_lookup_sync   (const char          *account,
                                          GCancellable        *cancellable,
                                          GError             **error) G_GNUC_WARN_UNUSED_RESULT;

void        lk_token_store_store_async   (const char          *account,
                                          const LkTokenSet    *tokens,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean    lk_token_store_store_finish  (GAsyncResult        *result,
                                          GError             **error);
gboolean    lk_token_store_store_sync    (const char          *account,
                                          const LkTokenSet    *tokens,
                                          GCancellable        *cancellable,
                                          GError             **error);

void        lk_token_store_check_async   (const char          *account,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean    lk_token_store_check_finish  (GAsyncResult        *result,
                                          GError             **error);

void        lk_token_store_clear_async   (const char          *account,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean    lk_token_store_clear_finish  (GAsyncResult        *result,
                                          gboolean            *out_found,
                                          GError             **error);
gboolean    lk_token_store_clear_sync    (const char          *account,
                                          GCancellable        *cancellable,
                                          gboolean            *out_found,
                                          GError             **error);

G_END_DECLS
