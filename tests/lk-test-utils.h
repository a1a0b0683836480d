/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "providers/lk-provider.h"

G_BEGIN_DECLS

char     *lk_test_source_path   (const char *first, ...) G_GNUC_NULL_TERMINATED;
char     *lk_test_build_path    (const char *first, ...) G_GNUC_NULL_TERMINATED;
char     *lk_test_make_scratch  (void);
void      lk_test_write_file    (const char *path,
                                 const char *contents);
gboolean  lk_test_wait_for      (gboolean  (*condition) (gpointer user_data),
                                 gpointer    user_data,
                                 guint       timeout_ms);
gboolean  lk_test_use_sealed_store_if_asked (void);
LkProvider *lk_test_load_profile (const char *id,
                                  const char *login_base);
GHashTable *lk_test_query_of    (const char *url);

G_END_DECLS
