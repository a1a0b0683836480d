/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "diagnose/lk-diagnosis.h"
#include "mail/lk-probe-result.h"
#include "store/lk-account.h"

G_BEGIN_DECLS

LkDiagnosis *lk_diagnose_probe (const LkProbeResult *result,
                                LkAccount           *account,
                                const char          *access_token) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
