/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "store/lk-token-store.h"

G_BEGIN_DECLS

/* The key material a sealed store accepts: the systemd credential's
 * contents, raw bytes (doc/system-mode.md makes 32 random ones). */
#define LK_SEALED_KEY_MIN_SIZE 32
#define LK_SEALED_KEY_MAX_SIZE 4096

#define LK_TYPE_SEALED_TOKEN_STORE (lk_sealed_token_store_get_type ())

G_DECLARE_FINAL_TYPE (LkSealedTokenStore, lk_sealed_token_store, LK, SEALED_TOKEN_STORE, GObject)

LkSealedTokenStore *lk_sealed_token_store_new        (const char          *path,
                                                      GBytes              *key,
                                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;
LkSealedTokenStore *lk_sealed_token_store_new_failed (const char          *path,
                                                      const GError        *why) G_GNUC_WARN_UNUSED_RESULT;
const char         *lk_sealed_token_store_get_path   (LkSealedTokenStore  *self);
char               *lk_sealed_token_store_dup_key_id (LkSealedTokenStore  *self) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
