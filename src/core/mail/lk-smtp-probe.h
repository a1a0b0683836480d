/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "lk-mail-probe.h"

G_BEGIN_DECLS

#define LK_TYPE_SMTP_PROBE (lk_smtp_probe_get_type ())

G_DECLARE_FINAL_TYPE (LkSmtpProbe, lk_smtp_probe, LK, SMTP_PROBE, LkMailProbe)

G_END_DECLS
