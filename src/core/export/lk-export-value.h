/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "store/lk-account.h"

G_BEGIN_DECLS

/* The one rule for every value Latchkey writes into a file another program
 * reads (the exporters, and the GUI's merging into a client's own file):
 * see lk-export-value.c and SECURITY.md "How values are validated". Each
 * client's quoting (lk-export-private.h and the exporters) comes after it. */

gboolean lk_export_value_check   (const char  *what,
                                  const char  *value,
                                  GError     **error);
gboolean lk_export_host_check    (const char  *what,
                                  const char  *host,
                                  GError     **error);
gboolean lk_export_account_check (LkAccount   *account,
                                  GError     **error);

G_END_DECLS
