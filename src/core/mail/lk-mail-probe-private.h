/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* For the protocol subclasses only: blocking helpers, valid inside the
 * virtual functions (they run in the probe's worker thread). */

#include "lk-mail-probe.h"

G_BEGIN_DECLS

const LkServer *lk_mail_probe_get_server       (LkMailProbe     *self);
const char     *lk_mail_probe_get_sasl_user    (LkMailProbe     *self);
const char     *lk_mail_probe_get_test_address (LkMailProbe     *self);
LkProbeResult  *lk_mail_probe_get_result       (LkMailProbe     *self);
gboolean        lk_mail_probe_send             (LkMailProbe     *self,
                                                const char      *visible,
                                                const char      *secret,
                                                GError         **error);
char           *lk_mail_probe_read_line        (LkMailProbe     *self,
                                                GError         **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean        lk_mail_probe_answer_challenge (LkMailProbe     *self,
                                                LkSaslMechanism  mechanism,
                                                const char      *challenge,
                                                GError         **error);
void            lk_mail_probe_set_rejected     (LkMailProbe     *self,
                                                GError         **error,
                                                const char      *reply);
void            lk_mail_probe_set_refused      (LkMailProbe     *self,
                                                GError         **error,
                                                const char      *what,
                                                const char      *reply);
void            lk_mail_probe_set_unexpected   (LkMailProbe     *self,
                                                GError         **error,
                                                const char      *reply);

G_END_DECLS
