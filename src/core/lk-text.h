/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean lk_text_char_is_control (gunichar    c);
gboolean lk_text_is_plain        (const char *text);
gboolean lk_text_is_b64token     (const char *text);

G_END_DECLS
