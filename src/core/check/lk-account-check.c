/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-check"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "check/lk-account-check.h"
#include "diagnose/lk-diagnose-probe.h"
#include "lk-error.h"
#include "mail/lk-mail-probe.h"

/**
 * LkAccountCheck:
 *
 * "Test this account and record the result", for everyone who does it: the
 * setup wizard, `latchkey-cli test` and the bridge. One check gets a token
 * from the token manager (refreshing it if need be), signs in to each
 * protocol's server at the same time (a check takes as long as the slowest
 * server), explains each failure (lk_diagnose_probe()), and records the
 * outcome in the account: each protocol's last test, the account's state
 * and when it was tested, saved when a store was given. As in GNOME Online
 * Accounts' goa_mail_client_check_async(), the caller only says which
 * account; "protocol-checked" reports each protocol as it finishes, for
 * progress. Async and cancellable, no GTK; a cancelled check records
 * nothing.
 */
struct _LkAccountCheck
{
  GObject          parent_instance;

  LkAccount       *account;
  LkTokenManager  *tokens;
  LkAccountStore  *store;       /* nullable: nothing is saved */
  LkProtocolFlags  protocols;   /* 0: the account's */
  gboolean         send_test;
  guint            step_ms;     /* 0: the probe's own timeouts */
  guint            overall_ms;

  gboolean         running;
  LkProtocolCheck *results[LK_N_PROTOCOLS];
  GError          *save_error;
};

G_DEFINE_FINAL_TYPE (LkAccountCheck, lk_account_check, G_TYPE_OBJECT)

enum {
  SIGNAL_PROTOCOL_CHECKED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
protocol_check_free (LkProtocolCheck *check)
{
  g_free (check->summary);
  g_clear_pointer (&check->probe, lk_probe_result_unref);
  g_clear_pointer (&check->diagnosis, lk_diagnosis_unref);
  g_free (check);
}

static void
clear_results (LkAccountCheck *self)
{
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    g_clear_pointer (&self->results[i], protocol_check_free);
  g_clear_error (&self->save_error);
}

static void
lk_account_check_finalize (GObject *object)
{
  LkAccountCheck *self = LK_ACCOUNT_CHECK (object);

  clear_results (self);
  g_clear_pointer (&self->account, lk_account_unref);
  g_clear_object (&self->tokens);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (lk_account_check_parent_class)->finalize (object);
}

static void
lk_account_check_class_init (LkAccountCheckClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = lk_account_check_finalize;

  /**
   * LkAccountCheck::protocol-checked:
   * @protocol: the #LkProtocol whose result lk_account_check_get_result()
   *   now has
   *
   * One protocol is done, before the others may be.
   */
  signals[SIGNAL_PROTOCOL_CHECKED] =
    g_signal_new ("protocol-checked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
lk_account_check_init (LkAccountCheck *self)
{
}

/**
 * lk_account_check_new:
 * @account: what to test; the check updates its state and its protocols'
 *   results when it ends
 * @tokens: where the access token comes from
 * @store: (nullable): where @account is saved afterwards
 */
LkAccountCheck *
lk_account_check_new (LkAccount      *account,
                      LkTokenManager *tokens,
                      LkAccountStore *store)
{
  LkAccountCheck *self;

  g_return_val_if_fail (account != NULL, NULL);
  g_return_val_if_fail (LK_IS_TOKEN_MANAGER (tokens), NULL);
  g_return_val_if_fail (store == NULL || LK_IS_ACCOUNT_STORE (store), NULL);

  self = g_object_new (LK_TYPE_ACCOUNT_CHECK, NULL);
  self->account = lk_account_ref (account);
  self->tokens = g_object_ref (tokens);
  self->store = store != NULL ? g_object_ref (store) : NULL;
  return self;
}

/**
 * lk_account_check_set_protocols:
 * @protocols: the protocols to test; 0 (the default) for the account's
 */
void
lk_account_check_set_protocols (LkAccountCheck  *self,
                                LkProtocolFlags  protocols)
{
  g_return_if_fail (LK_IS_ACCOUNT_CHECK (self));
  self->protocols = protocols;
}

/* SMTP also sends a short message to the account's own address. */
void
lk_account_check_set_send_test (LkAccountCheck *self,
                                gboolean        send_test)
{
  g_return_if_fail (LK_IS_ACCOUNT_CHECK (self));
  self->send_test = send_test;
}

/* Each probe's, as lk_mail_probe_set_timeouts(); tests shorten them. */
void
lk_account_check_set_timeouts (LkAccountCheck *self,
                               guint           step_ms,
                               guint           overall_ms)
{
  g_return_if_fail (LK_IS_ACCOUNT_CHECK (self));
  g_return_if_fail (step_ms > 0 && overall_ms > 0);
  self->step_ms = step_ms;
  self->overall_ms = overall_ms;
}

LkAccount *
lk_account_check_get_account (LkAccountCheck *self)
{
  g_return_val_if_fail (LK_IS_ACCOUNT_CHECK (self), NULL);
  return self->account;
}

/**
 * lk_account_check_get_protocols:
 *
 * Returns: the protocols the check tests: those asked for (or the
 *   account's) that the account's profile has a server for
 */
LkProtocolFlags
lk_account_check_get_protocols (LkAccountCheck *self)
{
  LkProtocolFlags asked;

  g_return_val_if_fail (LK_IS_ACCOUNT_CHECK (self), 0);
  asked = self->protocols != 0 ? self->protocols : self->account->protocols;
  return asked & lk_provider_get_protocols (self->account->provider);
}

/* One run: the task data. */
typedef struct
{
  char   *access_token;   /* wiped when freed */
  guint   pending;
  GError *error;          /* why a probe did not run to its end: cancellation */
} RunData;

static void
run_data_free (RunData *data)
{
  lk_secret_wipe (data->access_token);
  g_clear_error (&data->error);
  g_free (data);
}

typedef struct
{
  GTask      *task;
  LkProtocol  protocol;
} ProbeCall;

static char *
summarise_success (const LkProbeResult *probe)
{
  if (probe->tls_version == NULL)
    /* Translators: "XOAUTH2 to 127.0.0.1 without encryption" (only ever on
     * this computer) */
    return g_strdup_printf (_("%s to %s without encryption"), probe->mechanism, probe->host);
  /* Translators: "XOAUTH2 over TLS 1.3 to outlook.office365.com" */
  return g_strdup_printf (_("%s over %s to %s"), probe->mechanism, probe->tls_version,
                          probe->host);
}

/* The account's state follows every protocol it uses that was ever
 * tested, not only those of this check (`test --protocol imap`). */
static LkAccountState
state_from_tests (LkAccount *account)
{
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    if ((account->protocols & (1u << i)) != 0 && account->tests[i].tested_at != 0 &&
        !account->tests[i].ok)
      return LK_ACCOUNT_STATE_FAILING;
  return LK_ACCOUNT_STATE_WORKING;
}

static void
record (LkAccountCheck *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    {
      const LkProtocolCheck *check = self->results[i];

      if (check == NULL)
        continue;
      lk_account_set_test (self->account, i, now, check->ok, check->summary,
                           check->diagnosis != NULL ? check->diagnosis->id : NULL);
      /* The whole diagnosis, so that the account page explains a failure
       * after a restart too. */
      if (check->diagnosis != NULL)
        {
          g_autoptr(JsonNode) details = lk_diagnosis_to_json (check->diagnosis);

          lk_account_set_test_details (self->account, i, details);
        }
    }
  self->account->state = state_from_tests (self->account);
  self->account->last_tested = now;
  if (self->store != NULL && !lk_account_store_save (self->store, self->account, &self->save_error))
    g_debug ("The test of %s was not saved: %s", self->account->email, self->save_error->message);
}

static void
probe_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  ProbeCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  LkAccountCheck *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  LkProbeResult *probe;
  LkProtocolCheck *check;

  probe = lk_mail_probe_run_finish (LK_MAIL_PROBE (source), result, &error);
  if (probe == NULL)
    {
      /* A probe reports everything but cancellation in its result. */
      if (data->error == NULL)
        data->error = g_steal_pointer (&error);
    }
  else
    {
      check = g_new0 (LkProtocolCheck, 1);
      check->protocol = call->protocol;
      check->ok = probe->ok;
      check->probe = probe;
      check->diagnosis = lk_diagnose_probe (probe, self->account, data->access_token);
      if (check->ok)
        check->summary = summarise_success (probe);
      else if (check->diagnosis != NULL)
        check->summary = g_strdup (check->diagnosis->title);
      else
        check->summary = g_strdup (probe->error != NULL ? probe->error->message : "");
      g_clear_pointer (&self->results[call->protocol], protocol_check_free);
      self->results[call->protocol] = check;
      g_debug ("%s %s: %s", self->account->email, lk_protocol_to_string (call->protocol),
               check->summary);
      g_signal_emit (self, signals[SIGNAL_PROTOCOL_CHECKED], 0, (guint) call->protocol);
    }
  g_free (call);

  if (--data->pending > 0)
    return;
  self->running = FALSE;
  if (data->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&data->error));
      return;
    }
  record (self);
  g_task_return_boolean (task, TRUE);
}

static void
token_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LkAccountCheck *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  LkProtocolFlags protocols = lk_account_check_get_protocols (self);
  LkProvider *provider = self->account->provider;
  g_autoptr(LkTokenSet) tokens = NULL;
  GError *error = NULL;

  tokens = lk_token_manager_get_token_finish (LK_TOKEN_MANAGER (source), result, &error);
  if (tokens == NULL)
    {
      self->running = FALSE;
      g_task_return_error (task, error);
      return;
    }
  data->access_token = g_strdup (tokens->access_token);

  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    {
      g_autoptr(LkMailProbe) probe = NULL;
      ProbeCall *call;

      if ((protocols & (1u << p)) == 0)
        continue;
      probe = lk_mail_probe_new (p, lk_provider_get_server (provider, p),
                                 lk_account_get_sasl_user (self->account),
                                 (const char * const *) provider->sasl, provider->ca_file);
      if (self->step_ms != 0)
        lk_mail_probe_set_timeouts (probe, self->step_ms, self->overall_ms);
      if (self->send_test)
        lk_mail_probe_set_test_address (probe, self->account->email);
      call = g_new0 (ProbeCall, 1);
      call->task = g_object_ref (task);
      call->protocol = p;
      data->pending++;
      lk_mail_probe_run_async (probe, data->access_token,
                               self->send_test && p == LK_PROTOCOL_SMTP,
                               g_task_get_cancellable (task), probe_cb, call);
    }
}

/**
 * lk_account_check_run_async:
 *
 * Gets a token and tests each protocol (lk_account_check_get_protocols()).
 * Starting a check again clears the results of the last run.
 */
void
lk_account_check_run_async (LkAccountCheck      *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LK_IS_ACCOUNT_CHECK (self));
  g_return_if_fail (!self->running);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_account_check_run_async);
  g_task_set_task_data (task, g_new0 (RunData, 1), (GDestroyNotify) run_data_free);
  clear_results (self);
  if (lk_account_check_get_protocols (self) == 0)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_INVALID_INPUT,
                               /* Translators: %s is a provider's name, such as "Microsoft 365" */
                               _("%s has no mail server for the protocols to test."),
                               self->account->provider->name);
      return;
    }
  self->running = TRUE;
  lk_token_manager_get_token_async (self->tokens, self->account, FALSE, cancellable, token_cb,
                                    g_steal_pointer (&task));
}

/**
 * lk_account_check_run_finish:
 *
 * Returns: %TRUE when every protocol was tested, whatever the outcome
 *   (lk_account_check_get_result()); %FALSE with the error when the check
 *   could not run: no usable token (the token manager's error, e.g.
 *   %LK_ERROR_NEEDS_SIGN_IN, which it has recorded in the account), or
 *   cancellation. A failed or cancelled check records no results.
 */
gboolean
lk_account_check_run_finish (LkAccountCheck  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_account_check_run_async,
                        FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * lk_account_check_get_result:
 *
 * Returns: (nullable): @protocol's test, once "protocol-checked" said so
 */
const LkProtocolCheck *
lk_account_check_get_result (LkAccountCheck *self,
                             LkProtocol      protocol)
{
  g_return_val_if_fail (LK_IS_ACCOUNT_CHECK (self), NULL);
  g_return_val_if_fail (protocol < LK_N_PROTOCOLS, NULL);
  return self->results[protocol];
}

/* Every protocol of the check has a result, and every one is ok. */
gboolean
lk_account_check_get_all_ok (LkAccountCheck *self)
{
  LkProtocolFlags protocols;

  g_return_val_if_fail (LK_IS_ACCOUNT_CHECK (self), FALSE);
  protocols = lk_account_check_get_protocols (self);
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    if ((protocols & (1u << i)) != 0 && (self->results[i] == NULL || !self->results[i]->ok))
      return FALSE;
  return protocols != 0;
}

/**
 * lk_account_check_get_save_error:
 *
 * Returns: (nullable): why the account file could not be saved after the
 *   check (the results are still in the account and here)
 */
const GError *
lk_account_check_get_save_error (LkAccountCheck *self)
{
  g_return_val_if_fail (LK_IS_ACCOUNT_CHECK (self), NULL);
  return self->save_error;
}
