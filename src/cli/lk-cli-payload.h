/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean lk_cli_payload_read (const char  *json,
                              gsize        length,
                              gint64      *out_version,
                              char       **out_access_token,
                              gint64      *out_expires_at);

G_END_DECLS
