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
const char *lk_json_get_string_or (JsonObject *obj,
                                   const char *name,
                                   const char *default_value);
gboolean  lk_json_get_boolean (JsonObject *obj,
                               const char *name,
                               gboolean    default_value);
char     *lk_json_dup_marking_nul (const char *data,
                                   gssize      length,
                                   gsize      *out_length) G_GNUC_WARN_UNUSED_RESULT;

/* Writers: each sets the member @name on the object being built. */
void      lk_json_add_string          (JsonBuilder        *builder,
                                       const char         *name,
                                       const char         *value);
void      lk_json_add_optional_string (JsonBuilder        *builder,
                                       const char         *name,
                                       const char         *value);
void      lk_json_add_strv            (JsonBuilder        *builder,
                                       const char         *name,
                                       char * const       *strv);
void      lk_json_add_int             (JsonBuilder        *builder,
                                       const char         *name,
                                       gint64              value);
void      lk_json_add_boolean         (JsonBuilder        *builder,
                                       const char         *name,
                                       gboolean            value);
void      lk_json_add_date            (JsonBuilder        *builder,
                                       const char         *name,
                                       GDateTime          *value);
char     *lk_json_to_data             (JsonNode           *root,
                                       gboolean            pretty,
                                       gsize              *length) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
