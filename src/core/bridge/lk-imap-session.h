/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "bridge/lk-bridge-session.h"

G_BEGIN_DECLS

#define LK_TYPE_IMAP_SESSION (lk_imap_session_get_type ())

G_DECLARE_FINAL_TYPE (LkImapSession, lk_imap_session, LK, IMAP_SESSION, LkBridgeSession)

G_END_DECLS
