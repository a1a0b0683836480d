/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "bridge/lk-bridge-session.h"

G_BEGIN_DECLS

#define LK_TYPE_POP_SESSION (lk_pop_session_get_type ())

G_DECLARE_FINAL_TYPE (LkPopSession, lk_pop_session, LK, POP_SESSION, LkBridgeSession)

G_END_DECLS
