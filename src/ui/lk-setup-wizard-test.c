/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The wizard's test flow: core's LkAccountCheck tests the account and
 * records the outcome; this shows each protocol on the test page as it
 * finishes. */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "lk-error.h"
#include "lk-setup-wizard-private.h"
#include "lk-ui-util.h"

static char *
describe_tls (const LkProbeResult *result)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "%s:%u (%s)\n", result->host, result->port,
                          lk_security_to_string (result->security));
  if (result->tls_version != NULL)
    g_string_append_printf (text, "%s %s\n", result->tls_version,
                            result->tls_cipher != NULL ? result->tls_cipher : "");
  if (result->cert_subject != NULL)
    /* Translators: the certificate's subject */
    g_string_append_printf (text, _("Certificate: %s\n"), result->cert_subject);
  if (result->cert_issuer != NULL)
    g_string_append_printf (text, _("Issued by: %s\n"), result->cert_issuer);
  if (result->cert_not_after != NULL)
    {
      g_autofree char *date = g_date_time_format (result->cert_not_after, "%Y-%m-%d");

      g_string_append_printf (text, _("Valid until: %s\n"), date);
    }
  if (result->cert_sha256 != NULL)
    g_string_append_printf (text, "SHA-256: %s\n", result->cert_sha256);
  if (text->len > 0 && text->str[text->len - 1] == '\n')
    g_string_truncate (text, text->len - 1);
  return g_string_free (text, FALSE);
}

/* Each protocol as it finishes. */
static void
protocol_checked_cb (LkAccountCheck *check,
                     guint           protocol,
                     LkSetupWizard  *self)
{
  const LkProtocolCheck *result = lk_account_check_get_result (check, protocol);
  g_autofree char *transcript = NULL;
  g_autofree char *tls = NULL;
  LkTestFailure failure = { 0 };

  if (result->ok)
    {
      lk_test_page_set_ok (self->test_page, protocol, result->summary);
      return;
    }
  transcript = lk_probe_result_dup_transcript (result->probe);
  tls = describe_tls (result->probe);
  failure.diagnosis = result->diagnosis;
  failure.transcript = transcript;
  failure.tls_details = tls;
  lk_test_page_set_failed (self->test_page, protocol, &failure);
}

static void
check_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(LkSetupWizard) self = user_data;
  LkAccountCheck *check = LK_ACCOUNT_CHECK (source);
  g_autoptr(GError) error = NULL;
  gboolean ran = lk_account_check_run_finish (check, result, &error);

  if (self->check == check)
    g_clear_object (&self->check);
  /* The window was closed while the last probe answered. */
  if (self->test_page == NULL)
    return;
  if (!ran)
    {
      if (!lk_error_is_cancelled (error))
        lk_setup_wizard_show_token_error (self, error);
      lk_setup_wizard_update (self);
      return;
    }
  if (lk_account_check_get_save_error (check) != NULL)
    lk_ui_toast_error (GTK_WIDGET (self), lk_account_check_get_save_error (check)->message);
  lk_setup_wizard_account_changed (self);
  lk_setup_wizard_update (self);
  /* All working: Enter goes on (or, for a test alone, closes). */
  if (lk_test_page_get_all_ok (self->test_page))
    gtk_widget_grab_focus (GTK_WIDGET (self->next_button));
}

/* Tests every protocol of the account, from the start. */
void
lk_setup_wizard_run_tests (LkSetupWizard *self)
{
  GCancellable *cancellable;

  if (self->account == NULL || self->check != NULL)
    return;

  cancellable = lk_setup_wizard_restart_step (self);
  lk_test_page_set_protocols (self->test_page, self->account->protocols);
  self->check = lk_account_check_new (self->account, self->tokens, self->store);
  g_signal_connect_object (self->check, "protocol-checked", G_CALLBACK (protocol_checked_cb),
                           self, 0);
  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    if ((lk_account_check_get_protocols (self->check) & (1u << p)) != 0)
      lk_test_page_set_running (self->test_page, p);
  lk_account_check_run_async (self->check, cancellable, check_done_cb, g_object_ref (self));
  lk_setup_wizard_update (self);
}

/* The probes stop; a probe that already answered no longer reaches the
 * page, and a cancelled check records nothing. */
void
lk_setup_wizard_stop_tests (LkSetupWizard *self)
{
  g_cancellable_cancel (self->step_cancellable);
  if (self->check != NULL)
    g_signal_handlers_disconnect_by_data (self->check, self);
  g_clear_object (&self->check);
}
