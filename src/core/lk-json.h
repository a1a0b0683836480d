/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

char     *lk_json_dup_string  (JsonObject *obj,
                               const char *name) G_GNUC_WARN_UNUSED_RESULT;
gboolean  lk_json_get_seconds (JsonObject *obj,
                               const char *name,
                               gint64     *out_seconds);
gint64    lk_json_get_int     (JsonObject *obj,
                               const char *name,
                               gint64      default_value);
const char *lk_json_get_string (JsonObject *obj,
                                const char *name);
char     *lk_json_dup_marking_nul (const char *data,
                                   gssize      length,
                                   gsize      *out_length) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
