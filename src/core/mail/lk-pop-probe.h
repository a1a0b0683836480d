/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "lk-mail-probe.h"

G_BEGIN_DECLS

#define LK_TYPE_POP_PROBE (lk_pop_probe_get_type ())

G_DECLARE_FINAL_TYPE (LkPopProbe, lk_pop_probe, LK, POP_PROBE, LkMailProbe)

G_END_DECLS
