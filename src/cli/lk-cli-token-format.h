/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean  lk_cli_token_format_is_valid (const char *format);
char     *lk_cli_token_format          (const char *format,
                                        const char *sasl_user,
                                        const char *access_token,
                                        gint64      expires_at) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
