/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Account files and provider profiles are a few kilobytes. */
#define LK_FILE_MAX_SMALL (1024 * 1024)

gboolean lk_file_read_regular  (const char  *path,
                                gsize        max_size,
                                char       **out_contents,
                                gsize       *out_length,
                                GError     **error);
gboolean lk_file_check_regular (const char  *path,
                                GError     **error);
int      lk_file_lock          (const char    *path,
                                guint          timeout_ms,
                                GCancellable  *cancellable,
                                GError       **error);
gboolean lk_file_sync_dir      (const char  *path,
                                GError     **error);

G_END_DECLS
