/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "store/lk-account.h"
#include "store/lk-token-refresher.h"

G_BEGIN_DECLS

typedef enum
{
  LK_TEST_REFRESH_ROTATE,        /* new access and refresh token */
  LK_TEST_REFRESH_KEEP,          /* new access token, no refresh token in the answer */
  LK_TEST_REFRESH_INVALID_GRANT, /* the provider refuses the refresh token */
} LkTestRefreshMode;

#define LK_TYPE_TEST_REFRESHER (lk_test_refresher_get_type ())

G_DECLARE_FINAL_TYPE (LkTestRefresher, lk_test_refresher, LK, TEST_REFRESHER, GObject)

/* A stand-in for the OAuth engine: counts its calls (in memory and, when
 * @count_path is set, one line per call appended to that file, for calls
 * from several processes) and answers after @delay_ms. */
LkTestRefresher *lk_test_refresher_new        (LkTestRefreshMode  mode,
                                               guint              delay_ms,
                                               const char        *count_path);
guint            lk_test_refresher_get_calls  (LkTestRefresher   *self);
const char      *lk_test_refresher_get_last_refresh_token (LkTestRefresher *self);
char            *lk_test_make_access_token    (void);
LkAccount       *lk_test_make_account         (const char        *email);
guint            lk_test_count_lines          (const char        *path);

G_END_DECLS
