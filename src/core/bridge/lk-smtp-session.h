/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "bridge/lk-bridge-session.h"

G_BEGIN_DECLS

#define LK_TYPE_SMTP_SESSION (lk_smtp_session_get_type ())

G_DECLARE_FINAL_TYPE (LkSmtpSession, lk_smtp_session, LK, SMTP_SESSION, LkBridgeSession)

G_END_DECLS
