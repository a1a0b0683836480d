/* SPDX-License-Identifier: GPL-3.0-or-later */
/* "Test this account and record the result" (src/core/check/), as the
 * wizard, `latchkey-cli test` and the bridge do it: the token from the
 * session's real gnome-keyring, the probes against a real Dovecot, the
 * diagnosis of each failure, and what ends up in the account file. */
#include "config.h"

#include <string.h>

#include "check/lk-account-check.h"
#include "lk-error.h"
#include "lk-test-dovecot.h"
#include "lk-test-jwt.h"
#include "lk-test-utils.h"
#include "store/lk-token-store.h"

#define ALICE "alice@example.com"

static LkTestDovecot *dovecot;

typedef struct
{
  char           *scratch;
  LkAccountStore *store;
  LkTokenManager *tokens;
  LkAccount      *account;
  GArray         *checked;   /* LkProtocol, in the order "protocol-checked" came */
} Fixture;

static LkProvider *
dovecot_profile (void)
{
  g_autofree char *json = g_strdup_printf (
    "{ \"id\": \"test-dovecot\", \"name\": \"Test Dovecot\", \"kind\": \"generic\","
    "  \"authorization_endpoint\": \"https://login.example.test/authorize\","
    "  \"token_endpoint\": \"https://login.example.test/token\","
    "  \"scopes\": { \"imap\": [\"mail\"], \"pop\": [\"mail\"], \"smtp\": [\"mail\"] },"
    "  \"servers\": {"
    "    \"imap\": { \"host\": \"localhost\", \"port\": %u, \"security\": \"tls\" },"
    "    \"pop\": { \"host\": \"localhost\", \"port\": %u, \"security\": \"tls\" },"
    "    \"smtp\": { \"host\": \"localhost\", \"port\": %u, \"security\": \"starttls\" } },"
    "  \"sasl\": [\"XOAUTH2\"], \"ca_file\": \"%s\" }",
    dovecot->imaps, dovecot->pop3s, dovecot->submission, dovecot->ca_file);
  g_autoptr(GError) error = NULL;
  LkProvider *provider = lk_provider_new_from_data (json, -1, "test-dovecot.json", &error);

  g_assert_no_error (error);
  return provider;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(LkProvider) provider = dovecot_profile ();
  g_autoptr(GError) error = NULL;

  f->scratch = lk_test_make_scratch ();
  f->store = lk_account_store_new (f->scratch);
  f->tokens = lk_token_manager_new (f->store, NULL);
  f->account = lk_account_new (ALICE, provider);
  f->checked = g_array_new (FALSE, FALSE, sizeof (LkProtocol));
  g_assert_true (lk_account_store_save (f->store, f->account, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  lk_token_store_clear_sync (lk_token_store_get_default (), ALICE, NULL, NULL, NULL);
  g_array_unref (f->checked);
  g_clear_pointer (&f->account, lk_account_unref);
  g_assert_finalize_object (f->tokens);
  g_clear_object (&f->store);
  g_free (f->scratch);
}

/* The keyring item a sign-in would leave: a token Dovecot accepts for
 * @token_user. With @with_upn FALSE it names its user only in "email", as
 * most providers' tokens do (Microsoft's without "upn" in "unique_name"). */
static void
sign_in_as (const char *token_user,
            gboolean    with_upn)
{
  g_autoptr(LkTokenSet) tokens = lk_token_set_new ();
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (with_upn)
    tokens->access_token = lk_test_dovecot_mint (dovecot, token_user, NULL, 3600);
  else
    {
      gsize key_len;
      const guint8 *key = g_bytes_get_data (dovecot->key, &key_len);
      g_autofree char *claims =
        g_strdup_printf ("{\"iss\":\"%s\",\"sub\":\"%s\",\"email\":\"%s\",\"aud\":\"%s\","
                         "\"iat\":%" G_GINT64_FORMAT ",\"exp\":%" G_GINT64_FORMAT "}",
                         dovecot->issuer, token_user, token_user, dovecot->audience, now,
                         now + 3600);

      tokens->access_token = lk_test_jwt_sign (claims, key, key_len);
    }
  tokens->refresh_token = g_strdup ("lkrt_check");
  tokens->expires_at = g_get_real_time () / G_USEC_PER_SEC + 3600;
  g_assert_true (lk_token_store_store_sync (lk_token_store_get_default (), ALICE, tokens, NULL,
                                            &error));
  g_assert_no_error (error);
}

static void
checked_cb (LkAccountCheck *check,
            guint           protocol,
            gpointer        user_data)
{
  Fixture *f = user_data;
  LkProtocol p = protocol;

  /* The result is there when the signal says so. */
  g_assert_nonnull (lk_account_check_get_result (check, p));
  g_array_append_val (f->checked, p);
}

static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
run (Fixture         *f,
     LkAccountCheck  *check,
     GCancellable    *cancellable,
     GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_signal_connect (check, "protocol-checked", G_CALLBACK (checked_cb), f);
  lk_account_check_set_timeouts (check, 5000, 20000);
  lk_account_check_run_async (check, cancellable, done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return lk_account_check_run_finish (check, result, error);
}

static LkAccount *
reload (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  LkAccount *account = lk_account_store_load (f->store, ALICE, &error);

  g_assert_no_error (error);
  return account;
}

/* All three sign in; each protocol's result is recorded in the file. */
static void
test_all_ok (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(LkAccountCheck) check = lk_account_check_new (f->account, f->tokens, f->store);
  g_autoptr(LkAccount) saved = NULL;
  g_autoptr(GError) error = NULL;

  sign_in_as (ALICE, TRUE);
  g_assert_true (run (f, check, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->checked->len, ==, 3);
  g_assert_true (lk_account_check_get_all_ok (check));
  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    {
      const LkProtocolCheck *one = lk_account_check_get_result (check, p);

      g_assert_true (one->ok);
      g_assert_null (one->diagnosis);
      g_assert_true (g_str_has_prefix (one->summary, "XOAUTH2 over TLS 1."));
      g_assert_nonnull (strstr (one->summary, " to localhost"));
    }
  g_assert_null (lk_account_check_get_save_error (check));

  saved = reload (f);
  g_assert_cmpint (saved->state, ==, LK_ACCOUNT_STATE_WORKING);
  g_assert_cmpint (saved->last_tested, >, 0);
  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    {
      g_assert_cmpint (saved->tests[p].tested_at, ==, saved->last_tested);
      g_assert_true (saved->tests[p].ok);
      g_assert_cmpstr (saved->tests[p].summary, ==,
                       lk_account_check_get_result (check, p)->summary);
    }
}

/* A token of another user: Dovecot refuses it. The token's user comes
 * from its email claim when it has no upn (Microsoft's unique_name, any
 * provider's email), so the diagnosis can say whose token it was. */
static void
test_another_user (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(LkAccountCheck) check = lk_account_check_new (f->account, f->tokens, f->store);
  g_autoptr(LkAccount) saved = NULL;
  g_autoptr(LkDiagnosis) again = NULL;
  g_autoptr(GError) error = NULL;
  const LkProtocolCheck *imap;

  sign_in_as ("bob@example.com", FALSE);
  lk_account_check_set_protocols (check, LK_PROTOCOL_FLAG_IMAP);
  g_assert_true (run (f, check, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->checked->len, ==, 1);
  g_assert_null (lk_account_check_get_result (check, LK_PROTOCOL_SMTP));
  g_assert_false (lk_account_check_get_all_ok (check));
  imap = lk_account_check_get_result (check, LK_PROTOCOL_IMAP);
  g_assert_false (imap->ok);
  g_assert_error (imap->probe->error, LK_ERROR, LK_ERROR_AUTH_REJECTED);
  g_assert_nonnull (imap->diagnosis);
  g_assert_cmpstr (imap->diagnosis->id, ==, "mail-auth-user-mismatch");
  g_assert_nonnull (strstr (imap->diagnosis->explanation, "bob@example.com"));
  g_assert_cmpstr (imap->summary, ==, imap->diagnosis->title);

  saved = reload (f);
  g_assert_cmpint (saved->state, ==, LK_ACCOUNT_STATE_FAILING);
  g_assert_false (saved->tests[LK_PROTOCOL_IMAP].ok);
  g_assert_cmpstr (saved->tests[LK_PROTOCOL_IMAP].diagnosis, ==, "mail-auth-user-mismatch");
  g_assert_cmpstr (saved->tests[LK_PROTOCOL_IMAP].summary, ==, imap->diagnosis->title);
  /* The whole diagnosis too, for the account page after a restart. */
  g_assert_nonnull (saved->tests[LK_PROTOCOL_IMAP].details);
  again = lk_diagnosis_new_from_json (saved->tests[LK_PROTOCOL_IMAP].details, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->id, ==, "mail-auth-user-mismatch");
  g_assert_cmpstr (again->explanation, ==, imap->diagnosis->explanation);
  g_assert_cmpstr (again->raw, ==, imap->diagnosis->raw);
  /* Only what was tested is recorded. */
  g_assert_cmpint (saved->tests[LK_PROTOCOL_SMTP].tested_at, ==, 0);
}

/* Cancelled: an error, and nothing recorded. */
static void
test_cancelled (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(LkAccountCheck) check = lk_account_check_new (f->account, f->tokens, f->store);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(LkAccount) saved = NULL;
  g_autoptr(GError) error = NULL;

  sign_in_as (ALICE, TRUE);
  g_cancellable_cancel (cancellable);
  g_assert_false (run (f, check, cancellable, &error));
  g_assert_true (lk_error_is_cancelled (error));
  saved = reload (f);
  g_assert_cmpint (saved->last_tested, ==, 0);
  g_assert_cmpint (saved->state, ==, LK_ACCOUNT_STATE_UNTESTED);
  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    g_assert_cmpint (saved->tests[p].tested_at, ==, 0);
}

/* No keyring item: the check cannot run, says so, and tests nothing. */
static void
test_no_token (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(LkAccountCheck) check = lk_account_check_new (f->account, f->tokens, f->store);
  g_autoptr(GError) error = NULL;

  g_assert_false (run (f, check, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_NEEDS_SIGN_IN);
  g_assert_cmpuint (f->checked->len, ==, 0);
  g_assert_null (lk_account_check_get_result (check, LK_PROTOCOL_IMAP));
  g_assert_cmpint (f->account->tests[LK_PROTOCOL_IMAP].tested_at, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add ("/check/all-ok", Fixture, NULL, fixture_setup, test_all_ok, fixture_teardown);
  g_test_add ("/check/another-user", Fixture, NULL, fixture_setup, test_another_user,
              fixture_teardown);
  g_test_add ("/check/cancelled", Fixture, NULL, fixture_setup, test_cancelled, fixture_teardown);
  g_test_add ("/check/no-token", Fixture, NULL, fixture_setup, test_no_token, fixture_teardown);

  dovecot = lk_test_dovecot_start ();
  status = g_test_run ();
  lk_test_dovecot_stop (dovecot);
  return status;
}
