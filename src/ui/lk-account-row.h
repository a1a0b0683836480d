/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "store/lk-account.h"

G_BEGIN_DECLS

#define LK_TYPE_ACCOUNT_ROW (lk_account_row_get_type ())

G_DECLARE_FINAL_TYPE (LkAccountRow, lk_account_row, LK, ACCOUNT_ROW, AdwActionRow)

GtkWidget  *lk_account_row_new          (LkAccount    *account);
LkAccount  *lk_account_row_get_account  (LkAccountRow *self);
const char *lk_account_row_get_status   (LkAccountRow *self);

G_END_DECLS
