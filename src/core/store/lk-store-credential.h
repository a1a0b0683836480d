/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The systemd credential holding the sealed token store's key: the name in
 * the unit's LoadCredentialEncrypted= and in `systemd-creds encrypt --name=`. */
#define LK_STORE_CREDENTIAL_NAME "latchkey-store-key"
/* Where `latchkey-cli --system` outside the unit finds it sealed (systemd
 * 254 and later search /etc/credstore.encrypted/ for units too). */
#define LK_STORE_CREDENTIAL_PATH "/etc/credstore.encrypted/" LK_STORE_CREDENTIAL_NAME

char   *lk_store_credential_dup_path (void) G_GNUC_WARN_UNUSED_RESULT;
GBytes *lk_store_credential_load     (GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
