/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "store/lk-token-refresher.h"

G_BEGIN_DECLS

#define LK_TYPE_OAUTH_REFRESHER (lk_oauth_refresher_get_type ())

G_DECLARE_FINAL_TYPE (LkOAuthRefresher, lk_oauth_refresher, LK, OAUTH_REFRESHER, GObject)

LkOAuthRefresher *lk_oauth_refresher_new (void) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
