/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

#include "store/lk-token-store.h"

G_BEGIN_DECLS

/* The keyring item, also read by raw D-Bus in src/cli/lk-cli-fast-token.c:
 * attributes xdg:schema = LK_TOKEN_SCHEMA_NAME, account = the address,
 * version = "1". */
#define LK_TOKEN_SCHEMA_NAME "io.github.latchkey.Token"

#define LK_TYPE_SECRET_TOKEN_STORE (lk_secret_token_store_get_type ())

G_DECLARE_FINAL_TYPE (LkSecretTokenStore, lk_secret_token_store, LK, SECRET_TOKEN_STORE, GObject)

LkSecretTokenStore *lk_secret_token_store_new        (void) G_GNUC_WARN_UNUSED_RESULT;
const SecretSchema *lk_secret_token_store_get_schema (void) G_GNUC_CONST;

G_END_DECLS
