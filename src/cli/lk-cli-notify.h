/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "store/lk-account.h"

G_BEGIN_DECLS

void lk_cli_notify_needs_sign_in (LkAccount *account);

G_END_DECLS
