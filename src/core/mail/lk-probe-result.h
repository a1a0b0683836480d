/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lk-protocol.h"

G_BEGIN_DECLS

typedef enum
{
  LK_PROBE_STAGE_CONNECT,
  LK_PROBE_STAGE_TLS,
  LK_PROBE_STAGE_GREETING,
  LK_PROBE_STAGE_CAPABILITIES,
  LK_PROBE_STAGE_AUTH,
  LK_PROBE_STAGE_COMMAND,
  LK_PROBE_STAGE_LOGOUT,
} LkProbeStage;

#define LK_PROBE_N_STAGES 7

/**
 * LkProbeResult:
 * @stage: the stage reached: where it failed, or LK_PROBE_STAGE_LOGOUT when
 *   @ok
 * @stage_ms: milliseconds spent in each stage (STARTTLS counts as tls;
 *   -1 for a stage not reached)
 * @tls_*: (nullable): what GIO says about the TLS session, NULL without TLS
 * @last_reply: (nullable): the server's last reply line
 * @challenge: (nullable): the decoded SASL failure challenge (JSON)
 * @error: (nullable): why it failed; NULL when @ok
 * @transcript: "C: …" / "S: …" lines, every token and SASL string replaced
 *   by "<redacted>"
 *
 * What one connectivity probe found. Read the fields directly; nothing in
 * it is secret.
 */
typedef struct
{
  /*< private >*/
  gatomicrefcount ref_count;

  /*< public >*/
  LkProtocol    protocol;
  char         *host;
  guint16       port;
  LkSecurity    security;
  gboolean      ok;
  LkProbeStage  stage;
  char         *mechanism;
  gint64        stage_ms[LK_PROBE_N_STAGES];
  gint64        total_ms;
  char         *tls_version;
  char         *tls_cipher;
  char         *cert_subject;
  char         *cert_issuer;
  GDateTime    *cert_not_before;
  GDateTime    *cert_not_after;
  char         *cert_sha256;       /* hex, colon-separated */
  char         *last_reply;
  char         *challenge;
  GError       *error;
  GPtrArray    *transcript;
} LkProbeResult;

#define LK_TYPE_PROBE_RESULT (lk_probe_result_get_type ())

GType          lk_probe_result_get_type   (void) G_GNUC_CONST;
LkProbeResult *lk_probe_result_new        (LkProtocol           protocol,
                                           const char          *host,
                                           guint16              port,
                                           LkSecurity           security) G_GNUC_WARN_UNUSED_RESULT;
LkProbeResult *lk_probe_result_ref        (LkProbeResult       *self);
void           lk_probe_result_unref      (LkProbeResult       *self);
const char    *lk_probe_stage_to_string   (LkProbeStage         stage);
char          *lk_probe_result_dup_transcript (const LkProbeResult *self) G_GNUC_WARN_UNUSED_RESULT;
JsonNode      *lk_probe_result_to_json    (const LkProbeResult *self,
                                           gboolean             with_transcript) G_GNUC_WARN_UNUSED_RESULT;

char          *lk_certificate_fingerprint (GTlsCertificate    *certificate) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkProbeResult, lk_probe_result_unref)

G_END_DECLS
