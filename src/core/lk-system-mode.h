/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The system user that owns the system bridge's files
 * (data/latchkey-sysusers.conf, the unit's User=). */
#define LK_SYSTEM_USER "latchkey"

gboolean lk_system_mode_enter (GError **error);

G_END_DECLS
