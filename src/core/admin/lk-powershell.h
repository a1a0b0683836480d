/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char     *lk_powershell_quote        (const char  *value) G_GNUC_WARN_UNUSED_RESULT;
gboolean  lk_powershell_value_is_safe (const char  *value);
char     *lk_powershell_opath_text   (const char  *value) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
