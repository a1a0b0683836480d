/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "lk-probe-result.h"
#include "lk-protocol.h"
#include "lk-sasl.h"
#include "providers/lk-provider.h"

G_BEGIN_DECLS

#define LK_TYPE_MAIL_PROBE (lk_mail_probe_get_type ())

G_DECLARE_DERIVABLE_TYPE (LkMailProbe, lk_mail_probe, LK, MAIL_PROBE, GObject)

/**
 * LkMailProbeClass:
 *
 * One subclass per protocol (LkImapProbe, LkPopProbe, LkSmtpProbe). The base
 * class runs the stages in a worker thread with its own main context, so the
 * virtual functions are written as straight-line code over the blocking
 * helpers of lk-mail-probe-private.h; every one of those honours the
 * per-step and overall timeouts and cancellation.
 */
struct _LkMailProbeClass
{
  GObjectClass parent_class;

  gboolean (*greeting)     (LkMailProbe      *self,
                            GError          **error);
  gboolean (*capabilities) (LkMailProbe      *self,
                            gboolean          after_starttls,
                            gboolean         *out_starttls,
                            char           ***out_mechanisms,
                            GError          **error);
  gboolean (*starttls)     (LkMailProbe      *self,
                            GError          **error);
  gboolean (*authenticate) (LkMailProbe      *self,
                            LkSaslMechanism   mechanism,
                            const char       *initial_response,
                            GError          **error);
  gboolean (*command)      (LkMailProbe      *self,
                            gboolean          send_test,
                            GError          **error);
  gboolean (*logout)       (LkMailProbe      *self,
                            GError          **error);
  /* Sign-in mode only, optional: what the client of the connection needs
   * to know after the login (IMAP: the capabilities; SMTP: the EHLO's
   * extensions). */
  gboolean (*after_login)  (LkMailProbe      *self,
                            char           ***out_capabilities,
                            GError          **error);

  /*< private >*/
  gpointer padding[7];
};

LkMailProbe   *lk_mail_probe_new            (LkProtocol            protocol,
                                             const LkServer       *server,
                                             const char           *sasl_user,
                                             const char * const   *sasl_mechanisms,
                                             const char           *ca_file) G_GNUC_WARN_UNUSED_RESULT;
LkProtocol     lk_mail_probe_get_protocol   (LkMailProbe          *self);
void           lk_mail_probe_set_timeouts   (LkMailProbe          *self,
                                             guint                 step_ms,
                                             guint                 overall_ms);
void           lk_mail_probe_set_test_address (LkMailProbe        *self,
                                             const char           *address);
void           lk_mail_probe_run_async      (LkMailProbe          *self,
                                             const char           *access_token,
                                             gboolean              send_test,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
LkProbeResult *lk_mail_probe_run_finish     (LkMailProbe          *self,
                                             GAsyncResult         *result,
                                             GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void           lk_mail_probe_sign_in_async  (LkMailProbe          *self,
                                             const char           *access_token,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
LkProbeResult *lk_mail_probe_sign_in_finish (LkMailProbe          *self,
                                             GAsyncResult         *result,
                                             GIOStream           **out_stream,
                                             GBytes              **out_buffered,
                                             char               ***out_capabilities,
                                             GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
