/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *lk_flatpak_get_app_id (void) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
