/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The few things the office bridge reads in a message (sender pinning):
 * pure functions over bytes, safe on any input. */

GStrv    lk_mail_header_from_addresses (const char *headers,
                                        gsize       length) G_GNUC_WARN_UNUSED_RESULT;
char    *lk_mail_path_parse            (const char *argument,
                                        const char **out_rest) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
