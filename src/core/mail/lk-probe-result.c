/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-mail"

#include "config.h"

#include "lk-error.h"
#include "lk-json.h"
#include "lk-probe-result.h"

G_DEFINE_BOXED_TYPE (LkProbeResult, lk_probe_result, lk_probe_result_ref, lk_probe_result_unref)

LkProbeResult *
lk_probe_result_new (LkProtocol  protocol,
                     const char *host,
                     guint16     port,
                     LkSecurity  security)
{
  LkProbeResult *self = g_new0 (LkProbeResult, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->protocol = protocol;
  self->host = g_strdup (host);
  self->port = port;
  self->security = security;
  self->stage = LK_PROBE_STAGE_CONNECT;
  for (guint i = 0; i < LK_PROBE_N_STAGES; i++)
    self->stage_ms[i] = -1;
  self->transcript = g_ptr_array_new_with_free_func (g_free);
  return self;
}

LkProbeResult *
lk_probe_result_ref (LkProbeResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
lk_probe_result_unref (LkProbeResult *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->host);
  g_free (self->mechanism);
  g_free (self->tls_version);
  g_free (self->tls_cipher);
  g_free (self->cert_subject);
  g_free (self->cert_issuer);
  g_clear_pointer (&self->cert_not_before, g_date_time_unref);
  g_clear_pointer (&self->cert_not_after, g_date_time_unref);
  g_free (self->cert_sha256);
  g_free (self->last_reply);
  g_free (self->challenge);
  g_clear_error (&self->error);
  g_ptr_array_unref (self->transcript);
  g_free (self);
}

const char *
lk_probe_stage_to_string (LkProbeStage stage)
{
  static const char * const names[] = {
    "connect", "tls", "greeting", "capabilities", "auth", "command", "logout",
  };

  g_return_val_if_fail (stage < G_N_ELEMENTS (names), NULL);
  return names[stage];
}

char *
lk_probe_result_dup_transcript (const LkProbeResult *self)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < self->transcript->len; i++)
    g_string_append_printf (text, "%s\n", (const char *) g_ptr_array_index (self->transcript, i));
  return g_string_free (text, FALSE);
}

/**
 * lk_probe_result_to_json:
 * @with_transcript: include the (redacted) transcript
 *
 * The object `latchkey-cli test --json` prints for one protocol: protocol,
 * host, port, security, ok, stage, mechanism, ms ({total, per stage}), tls
 * (or null), error (or null: {domain, code, message, server_reply,
 * challenge}) and transcript (or null).
 */
JsonNode *
lk_probe_result_to_json (const LkProbeResult *self,
                         gboolean             with_transcript)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  lk_json_add_string (builder, "protocol", lk_protocol_to_string (self->protocol));
  lk_json_add_string (builder, "host", self->host);
  lk_json_add_int (builder, "port", self->port);
  lk_json_add_string (builder, "security", lk_security_to_string (self->security));
  lk_json_add_boolean (builder, "ok", self->ok);
  lk_json_add_string (builder, "stage", lk_probe_stage_to_string (self->stage));
  lk_json_add_string (builder, "mechanism", self->mechanism);

  json_builder_set_member_name (builder, "ms");
  json_builder_begin_object (builder);
  lk_json_add_int (builder, "total", self->total_ms);
  for (guint i = 0; i < LK_PROBE_N_STAGES; i++)
    if (self->stage_ms[i] >= 0)
      lk_json_add_int (builder, lk_probe_stage_to_string (i), self->stage_ms[i]);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "tls");
  if (self->tls_version != NULL || self->cert_subject != NULL)
    {
      json_builder_begin_object (builder);
      lk_json_add_string (builder, "version", self->tls_version);
      lk_json_add_string (builder, "cipher", self->tls_cipher);
      lk_json_add_string (builder, "subject", self->cert_subject);
      lk_json_add_string (builder, "issuer", self->cert_issuer);
      lk_json_add_date (builder, "not_before", self->cert_not_before);
      lk_json_add_date (builder, "not_after", self->cert_not_after);
      lk_json_add_string (builder, "sha256", self->cert_sha256);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);

  lk_json_add_string (builder, "last_reply", self->last_reply);

  json_builder_set_member_name (builder, "error");
  if (self->error != NULL)
    {
      const LkErrorDetails *details = lk_error_get_details (self->error);

      json_builder_begin_object (builder);
      lk_json_add_string (builder, "domain", g_quark_to_string (self->error->domain));
      lk_json_add_int (builder, "code", self->error->code);
      lk_json_add_string (builder, "message", self->error->message);
      lk_json_add_string (builder, "server_reply", details != NULL ? details->server_reply : NULL);
      lk_json_add_string (builder, "challenge", details != NULL ? details->challenge : self->challenge);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);

  json_builder_set_member_name (builder, "transcript");
  if (with_transcript)
    {
      json_builder_begin_array (builder);
      for (guint i = 0; i < self->transcript->len; i++)
        json_builder_add_string_value (builder, g_ptr_array_index (self->transcript, i));
      json_builder_end_array (builder);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/**
 * lk_certificate_fingerprint:
 *
 * Returns: (transfer full): the SHA-256 of @certificate's DER, upper-case
 *   hex pairs separated by colons, as browsers and `openssl x509
 *   -fingerprint -sha256` show it ("" if it has no DER)
 */
char *
lk_certificate_fingerprint (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;
  GString *text = g_string_new (NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return g_string_free (text, FALSE);
  g_checksum_update (checksum, der->data, der->len);
  g_checksum_get_digest (checksum, digest, &len);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (text, i == 0 ? "%02X" : ":%02X", digest[i]);
  return g_string_free (text, FALSE);
}
