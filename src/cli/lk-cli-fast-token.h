/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean lk_cli_fast_token (int    argc,
                            char **argv,
                            int   *out_status);

G_END_DECLS
