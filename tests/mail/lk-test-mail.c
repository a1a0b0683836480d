/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-test"

#include "config.h"

#include <string.h>

#include "lk-error.h"
#include "lk-test-jwt.h"
#include "lk-test-mail.h"
#include "mail/lk-sasl.h"

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Runs @probe to the end on the thread-default main context. */
LkProbeResult *
lk_test_run_probe (LkMailProbe   *probe,
                   const char    *token,
                   gboolean       send_test,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  lk_mail_probe_run_async (probe, token, send_test, cancellable, done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return lk_mail_probe_run_finish (probe, result, error);
}

static void
assert_clean (const char *text,
              const char *token,
              const char *user)
{
  g_autofree char *prefix = lk_test_jwt_prefix ();
  g_autofree char *xoauth2 = lk_sasl_xoauth2_initial_response (user, token);
  g_autofree char *oauthbearer = lk_sasl_oauthbearer_initial_response (user, NULL, 0, token);

  if (text == NULL)
    return;
  g_assert_null (strstr (text, token));
  g_assert_null (strstr (text, prefix));
  /* The start of either SASL string, whatever follows it. */
  g_assert_null (strstr (text, "auth=Bearer"));
  xoauth2[24] = '\0';
  oauthbearer[24] = '\0';
  g_assert_null (strstr (text, xoauth2));
  g_assert_null (strstr (text, oauthbearer));
}

/* Neither transcript, nor error, nor any other field shows a secret. */
void
lk_test_assert_no_leak (const LkProbeResult *result,
                        const char          *token,
                        const char          *user)
{
  g_autofree char *transcript = lk_probe_result_dup_transcript (result);
  g_autoptr(JsonNode) json = lk_probe_result_to_json (result, TRUE);
  g_autofree char *json_text = json_to_string (json, FALSE);

  assert_clean (transcript, token, user);
  assert_clean (json_text, token, user);
  if (result->error != NULL)
    {
      const LkErrorDetails *details = lk_error_get_details (result->error);

      assert_clean (result->error->message, token, user);
      if (details != NULL)
        {
          assert_clean (details->server_reply, token, user);
          assert_clean (details->challenge, token, user);
        }
    }
}
