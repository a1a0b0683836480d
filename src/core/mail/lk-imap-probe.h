/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "lk-mail-probe.h"

G_BEGIN_DECLS

#define LK_TYPE_IMAP_PROBE (lk_imap_probe_get_type ())

G_DECLARE_FINAL_TYPE (LkImapProbe, lk_imap_probe, LK, IMAP_PROBE, LkMailProbe)

G_END_DECLS
