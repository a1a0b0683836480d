/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "lk-json.h"
#include "lk-token-set.h"

G_BEGIN_DECLS

JsonObject *lk_oauth_response_parse (guint          status,
                                     GBytes        *body,
                                     GError       **error) G_GNUC_WARN_UNUSED_RESULT;
LkTokenSet *lk_token_response_parse (guint          status,
                                     GBytes        *body,
                                     gint64         now,
                                     LkTokenSet   **out_rotated,
                                     GError       **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
