/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mail/lk-mail-probe.h"

G_BEGIN_DECLS

LkProbeResult *lk_test_run_probe        (LkMailProbe         *probe,
                                         const char          *token,
                                         gboolean             send_test,
                                         GCancellable        *cancellable,
                                         GError             **error);
void           lk_test_assert_no_leak   (const LkProbeResult *result,
                                         const char          *token,
                                         const char          *user);

G_END_DECLS
