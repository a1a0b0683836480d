/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-providers"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "lk-error.h"
#include "providers/lk-discovery-private.h"
#include "providers/lk-microsoft.h"
#include "store/lk-account.h"

#define DEFAULT_TIMEOUT_MS 4000

static const char * const default_templates[LK_DISCOVERY_N_STEPS] = {
  [LK_DISCOVERY_STEP_AUTOCONFIG] = "https://autoconfig.{domain}/mail/config-v1.1.xml",
  [LK_DISCOVERY_STEP_WELL_KNOWN] = "https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml",
  [LK_DISCOVERY_STEP_ISPDB] = "https://autoconfig.thunderbird.net/v1.1/{domain}",
  [LK_DISCOVERY_STEP_MICROSOFT_TENANT] =
    "https://login.microsoftonline.com/{domain}/v2.0/.well-known/openid-configuration",
};

/* The steps that may run at the same time, in priority order. */
static const LkDiscoveryStep parallel_steps[] = {
  LK_DISCOVERY_STEP_AUTOCONFIG,
  LK_DISCOVERY_STEP_WELL_KNOWN,
  LK_DISCOVERY_STEP_ISPDB,
  LK_DISCOVERY_STEP_MX,
};

/**
 * LkDiscovery:
 *
 * Finds the provider profile for an e-mail address (issue 9): a profile's
 * domains, then Mozilla autoconfig (the domain's own server, its web site,
 * Thunderbird's database), then MX records, and for Microsoft 365 the
 * tenant. The network steps run at the same time, each with a short
 * timeout, but the answer always follows that order of priority. This file
 * is the object and the scheduler; the steps are in lk-discovery-steps.c.
 */

G_DEFINE_FINAL_TYPE (LkDiscovery, lk_discovery, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (LkDiscoveryResult, lk_discovery_result,
                     lk_discovery_result_ref, lk_discovery_result_unref)

const char *
lk_discovery_step_to_string (LkDiscoveryStep step)
{
  static const char * const names[LK_DISCOVERY_N_STEPS] = {
    "none", "known-domain", "autoconfig", "well-known", "ispdb", "mx", "microsoft-tenant",
  };

  g_return_val_if_fail (step < LK_DISCOVERY_N_STEPS, NULL);
  return names[step];
}

static void
attempt_free (LkDiscoveryAttempt *attempt)
{
  g_free (attempt->source);
  g_clear_error (&attempt->error);
  g_free (attempt);
}

LkDiscoveryResult *
lk_discovery_result_ref (LkDiscoveryResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
lk_discovery_result_unref (LkDiscoveryResult *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->email);
  g_free (self->domain);
  g_clear_pointer (&self->provider, lk_provider_unref);
  g_free (self->tenant);
  g_free (self->how);
  g_free (self->oauth2_issuer);
  g_clear_pointer (&self->autoconfig, lk_autoconfig_unref);
  g_ptr_array_unref (self->attempts);
  g_free (self);
}

/**
 * lk_discovery_result_get_attempt:
 *
 * Returns: (nullable): how @step went, or NULL if it did not run
 */
const LkDiscoveryAttempt *
lk_discovery_result_get_attempt (LkDiscoveryResult *self,
                                 LkDiscoveryStep    step)
{
  for (guint i = 0; i < self->attempts->len; i++)
    {
      const LkDiscoveryAttempt *attempt = g_ptr_array_index (self->attempts, i);

      if (attempt->step == step)
        return attempt;
    }
  return NULL;
}

/* GObject */

enum {
  PROP_0,
  PROP_HTTP,
  PROP_REGISTRY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
lk_discovery_finalize (GObject *object)
{
  LkDiscovery *self = LK_DISCOVERY (object);

  g_clear_object (&self->http);
  g_clear_object (&self->registry);
  for (guint i = 0; i < LK_DISCOVERY_N_STEPS; i++)
    g_free (self->templates[i]);

  G_OBJECT_CLASS (lk_discovery_parent_class)->finalize (object);
}

static void
lk_discovery_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  LkDiscovery *self = LK_DISCOVERY (object);

  switch (prop_id)
    {
    case PROP_HTTP:
      g_value_set_object (value, self->http);
      break;
    case PROP_REGISTRY:
      g_value_set_object (value, self->registry);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_discovery_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  LkDiscovery *self = LK_DISCOVERY (object);

  switch (prop_id)
    {
    case PROP_HTTP:
      self->http = g_value_dup_object (value);
      break;
    case PROP_REGISTRY:
      self->registry = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_discovery_constructed (GObject *object)
{
  LkDiscovery *self = LK_DISCOVERY (object);

  G_OBJECT_CLASS (lk_discovery_parent_class)->constructed (object);

  if (self->http == NULL)
    self->http = lk_http_new (NULL, NULL);
  if (self->registry == NULL)
    {
      self->registry = lk_provider_registry_new ();
      lk_provider_registry_load (self->registry);
    }
}

static void
lk_discovery_class_init (LkDiscoveryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = lk_discovery_finalize;
  object_class->get_property = lk_discovery_get_property;
  object_class->set_property = lk_discovery_set_property;
  object_class->constructed = lk_discovery_constructed;

  properties[PROP_HTTP] =
    g_param_spec_object ("http", NULL, NULL, LK_TYPE_HTTP,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REGISTRY] =
    g_param_spec_object ("registry", NULL, NULL, LK_TYPE_PROVIDER_REGISTRY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lk_discovery_init (LkDiscovery *self)
{
  for (guint i = 0; i < LK_DISCOVERY_N_STEPS; i++)
    self->templates[i] = g_strdup (default_templates[i]);
  self->timeout_ms = DEFAULT_TIMEOUT_MS;
}

/**
 * lk_discovery_is_enabled:
 *
 * The one switch for discovery over the network: LATCHKEY_DISCOVERY=local
 * keeps the GUI and the CLI to the domains the profiles name, for people
 * who do not want their domain looked up, and for the tests, which never
 * leave loopback (doc/testing.md).
 *
 * Returns: %FALSE when the environment switches discovery off
 */
gboolean
lk_discovery_is_enabled (void)
{
  return g_strcmp0 (g_getenv ("LATCHKEY_DISCOVERY"), "local") != 0;
}

/**
 * lk_discovery_new:
 * @http: (nullable): for the autoconfig files and the tenant: a profile's
 *   extra trust anchor, the tests' CA; NULL makes a default one
 * @registry: (nullable): the profiles to match against; NULL loads them
 */
LkDiscovery *
lk_discovery_new (LkHttp             *http,
                  LkProviderRegistry *registry)
{
  return g_object_new (LK_TYPE_DISCOVERY, "http", http, "registry", registry, NULL);
}

/**
 * lk_discovery_set_url_template:
 * @step: %LK_DISCOVERY_STEP_AUTOCONFIG, %LK_DISCOVERY_STEP_WELL_KNOWN,
 *   %LK_DISCOVERY_STEP_ISPDB or %LK_DISCOVERY_STEP_MICROSOFT_TENANT
 * @url_template: (nullable): a URL in which "{domain}" stands for the
 *   address's domain; NULL switches the step off
 *
 * Lets tests point a step at a local server (and a distributor switch off
 * the Thunderbird database).
 */
void
lk_discovery_set_url_template (LkDiscovery     *self,
                               LkDiscoveryStep  step,
                               const char      *url_template)
{
  g_return_if_fail (LK_IS_DISCOVERY (self));
  g_return_if_fail (default_templates[step] != NULL);

  g_free (self->templates[step]);
  self->templates[step] = g_strdup (url_template);
}

const char *
lk_discovery_get_url_template (LkDiscovery     *self,
                               LkDiscoveryStep  step)
{
  g_return_val_if_fail (LK_IS_DISCOVERY (self), NULL);
  g_return_val_if_fail (step < LK_DISCOVERY_N_STEPS, NULL);
  return self->templates[step];
}

/* How long each network step may take before the next one is trusted. */
void
lk_discovery_set_step_timeout (LkDiscovery *self,
                               guint        timeout_ms)
{
  g_return_if_fail (LK_IS_DISCOVERY (self));
  self->timeout_ms = MAX (timeout_ms, 1);
}

guint
lk_discovery_get_step_timeout (LkDiscovery *self)
{
  g_return_val_if_fail (LK_IS_DISCOVERY (self), 0);
  return self->timeout_ms;
}

/* One discovery run. */

static void
step_stop_timer (LkDiscoveryStepRun *step)
{
  if (step->timeout != NULL)
    {
      g_source_destroy (step->timeout);
      g_clear_pointer (&step->timeout, g_source_unref);
    }
}

static void
run_free (LkDiscoveryRun *data)
{
  for (guint i = 0; i < LK_DISCOVERY_N_STEPS; i++)
    {
      LkDiscoveryStepRun *step = &data->steps[i];

      step_stop_timer (step);
      if (step->cancelled_id != 0)
        g_cancellable_disconnect (data->cancellable, step->cancelled_id);
      g_clear_object (&step->cancellable);
      g_free (step->source);
      g_clear_error (&step->error);
      g_clear_pointer (&step->provider, lk_provider_unref);
      g_clear_pointer (&step->autoconfig, lk_autoconfig_unref);
      g_free (step->tenant);
    }
  g_clear_object (&data->self);
  g_clear_object (&data->cancellable);
  g_free (data->email);
  g_free (data->domain);
  g_free (data);
}

void
lk_discovery_call_free (LkDiscoveryCall *call)
{
  g_object_unref (call->task);
  g_free (call);
}

static const char *
step_description (LkDiscoveryStep step)
{
  switch (step)
    {
    case LK_DISCOVERY_STEP_AUTOCONFIG:
    case LK_DISCOVERY_STEP_WELL_KNOWN:
      return _("The domain’s autoconfig server");
    case LK_DISCOVERY_STEP_ISPDB:
      return _("Thunderbird’s database");
    case LK_DISCOVERY_STEP_MX:
      return _("The DNS server");
    case LK_DISCOVERY_STEP_MICROSOFT_TENANT:
      return _("Microsoft’s sign-in service");
    case LK_DISCOVERY_STEP_NONE:
    case LK_DISCOVERY_STEP_KNOWN_DOMAIN:
    default:
      return "";
    }
}

static gboolean
step_timeout_cb (gpointer user_data)
{
  LkDiscoveryCall *call = user_data;
  LkDiscoveryRun *data = g_task_get_task_data (call->task);
  LkDiscoveryStepRun *step = &data->steps[call->step];

  step->timed_out = TRUE;
  g_cancellable_cancel (step->cancellable);
  g_clear_pointer (&step->timeout, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
forward_cancel_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/* Marks @step as running, with its own cancellable tied to the caller's
 * and a timer; returns the call to hand to the async operation. */
LkDiscoveryCall *
lk_discovery_step_begin (GTask           *task,
                         LkDiscoveryStep  id,
                         const char      *source)
{
  LkDiscoveryRun *data = g_task_get_task_data (task);
  LkDiscoveryStepRun *step = &data->steps[id];
  LkDiscoveryCall *call = g_new0 (LkDiscoveryCall, 1);

  call->task = g_object_ref (task);
  call->step = id;
  step->state = STEP_RUNNING;
  step->source = g_strdup (source);
  step->cancellable = g_cancellable_new ();
  if (data->cancellable != NULL)
    step->cancelled_id = g_cancellable_connect (data->cancellable, G_CALLBACK (forward_cancel_cb),
                                                g_object_ref (step->cancellable), g_object_unref);
  step->timeout = g_timeout_source_new (data->self->timeout_ms);
  g_source_set_callback (step->timeout, step_timeout_cb, call, NULL);
  g_source_set_static_name (step->timeout, "[latchkey] discovery step timeout");
  g_source_attach (step->timeout, g_main_context_get_thread_default ());
  return call;
}

/* Records how a step ended. Takes @error. */
void
lk_discovery_step_end (LkDiscoveryRun     *data,
                       LkDiscoveryStep     id,
                       LkDiscoveryOutcome  outcome,
                       GError             *error)
{
  LkDiscoveryStepRun *step = &data->steps[id];

  step_stop_timer (step);
  if (step->state == STEP_DONE)
    {
      g_clear_error (&error);
      return;
    }
  step->state = STEP_DONE;
  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && step->timed_out)
    {
      g_clear_error (&error);
      g_set_error (&error, LK_ERROR, LK_ERROR_TIMED_OUT,
                   /* Translators: %s is e.g. "The DNS server"; %.1f a number of seconds */
                   _("%s did not answer within %.1f seconds."),
                   step_description (id), data->self->timeout_ms / 1000.0);
      outcome = LK_DISCOVERY_OUTCOME_FAILED;
    }
  step->outcome = outcome;
  step->error = error;
  g_debug ("discovery of %s: step %s ended (%d) %s", data->domain, lk_discovery_step_to_string (id),
           outcome, error != NULL ? error->message : "");
}

/* The caller's cancel, not a step's timeout. */
gboolean
lk_discovery_run_was_cancelled (LkDiscoveryRun *data,
                                const GError   *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
         data->cancellable != NULL && g_cancellable_is_cancelled (data->cancellable);
}

/* Deciding. */

/* A Microsoft profile that names no one organisation: the tenant step
 * finds it. "consumers" needs none: personal accounts have one tenant. */
static gboolean
needs_tenant (LkProvider *provider)
{
  return g_strcmp0 (provider->kind, "microsoft") == 0 &&
         lk_microsoft_tenant_is_placeholder (provider->tenant) &&
         g_strcmp0 (provider->tenant, "consumers") != 0;
}

static char *
describe (LkDiscoveryStep  step,
          const char      *domain)
{
  switch (step)
    {
    case LK_DISCOVERY_STEP_KNOWN_DOMAIN:
      return g_strdup_printf (_("%s is a known domain"), domain);
    case LK_DISCOVERY_STEP_AUTOCONFIG:
      /* Translators: %s is a domain: "from contoso.com’s autoconfig file" */
      return g_strdup_printf (_("from %s’s autoconfig file"), domain);
    case LK_DISCOVERY_STEP_WELL_KNOWN:
      return g_strdup_printf (_("from the autoconfig file on %s’s web site"), domain);
    case LK_DISCOVERY_STEP_ISPDB:
      return g_strdup (_("from the Thunderbird database"));
    case LK_DISCOVERY_STEP_MX:
      return g_strdup_printf (_("from the MX records of %s"), domain);
    case LK_DISCOVERY_STEP_MICROSOFT_TENANT:
      return g_strdup_printf (_("%s is a Microsoft 365 organisation"), domain);
    case LK_DISCOVERY_STEP_NONE:
    default:
      return g_strdup_printf (_("nothing was found for %s"), domain);
    }
}

static void
cancel_running_except (LkDiscoveryRun         *data,
                       LkDiscoveryStep  keep)
{
  for (guint i = 0; i < LK_DISCOVERY_N_STEPS; i++)
    {
      LkDiscoveryStepRun *step = &data->steps[i];

      if (i == keep || step->state != STEP_RUNNING)
        continue;
      lk_discovery_step_end (data, i, LK_DISCOVERY_OUTCOME_SKIPPED, NULL);
      g_cancellable_cancel (step->cancellable);
    }
}

static void
return_result (GTask           *task,
               LkDiscoveryStep  chosen)
{
  LkDiscoveryRun *data = g_task_get_task_data (task);
  LkDiscoveryResult *result = g_new0 (LkDiscoveryResult, 1);
  LkDiscoveryStepRun *tenant_step = &data->steps[LK_DISCOVERY_STEP_MICROSOFT_TENANT];

  cancel_running_except (data, LK_DISCOVERY_STEP_NONE);
  g_atomic_ref_count_init (&result->ref_count);
  result->email = g_strdup (data->email);
  result->domain = g_strdup (data->domain);
  result->step = chosen;
  result->how = describe (chosen, data->domain);
  result->attempts = g_ptr_array_new_with_free_func ((GDestroyNotify) attempt_free);
  if (chosen != LK_DISCOVERY_STEP_NONE)
    {
      LkDiscoveryStepRun *step = &data->steps[chosen];

      if (step->provider != NULL)
        result->provider = lk_provider_ref (step->provider);
      if (step->autoconfig != NULL)
        {
          result->autoconfig = lk_autoconfig_ref (step->autoconfig);
          result->oauth2_issuer = g_strdup (step->autoconfig->oauth2_issuer);
        }
      result->endpoints_known = step->endpoints_known;
      result->oauth2 = step->oauth2;
    }
  if (tenant_step->outcome == LK_DISCOVERY_OUTCOME_ANSWERED)
    result->tenant = g_strdup (tenant_step->tenant);

  for (guint i = 0; i < LK_DISCOVERY_N_STEPS; i++)
    {
      LkDiscoveryStepRun *step = &data->steps[i];
      LkDiscoveryAttempt *attempt;

      if (step->state == STEP_IDLE)
        continue;
      attempt = g_new0 (LkDiscoveryAttempt, 1);
      attempt->step = i;
      attempt->outcome = step->outcome;
      attempt->source = g_strdup (step->source);
      attempt->error = step->error != NULL ? g_error_copy (step->error) : NULL;
      g_ptr_array_add (result->attempts, attempt);
    }

  data->returned = TRUE;
  g_task_return_pointer (task, result, (GDestroyNotify) lk_discovery_result_unref);
}

/* Called after every step ends: walks the steps in priority order and
 * returns as soon as the answer can no longer change. */
void
lk_discovery_evaluate (GTask *task)
{
  LkDiscoveryRun *data = g_task_get_task_data (task);
  LkDiscoveryStepRun *tenant = &data->steps[LK_DISCOVERY_STEP_MICROSOFT_TENANT];
  LkDiscoveryStep chosen = LK_DISCOVERY_STEP_NONE;
  LkDiscoveryStep weak = LK_DISCOVERY_STEP_NONE;

  if (data->returned)
    return;
  if (data->cancellable != NULL && g_cancellable_is_cancelled (data->cancellable))
    {
      cancel_running_except (data, LK_DISCOVERY_STEP_NONE);
      data->returned = TRUE;
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      return;
    }

  if (data->steps[LK_DISCOVERY_STEP_KNOWN_DOMAIN].outcome == LK_DISCOVERY_OUTCOME_ANSWERED)
    chosen = LK_DISCOVERY_STEP_KNOWN_DOMAIN;
  for (guint i = 0; chosen == LK_DISCOVERY_STEP_NONE && i < G_N_ELEMENTS (parallel_steps); i++)
    {
      LkDiscoveryStepRun *step = &data->steps[parallel_steps[i]];

      if (step->state == STEP_RUNNING)
        return;  /* a step of higher priority may still answer */
      if (step->outcome == LK_DISCOVERY_OUTCOME_ANSWERED)
        chosen = parallel_steps[i];
      else if (weak == LK_DISCOVERY_STEP_NONE && step->provider != NULL)
        weak = parallel_steps[i];
    }

  if (chosen != LK_DISCOVERY_STEP_NONE)
    {
      cancel_running_except (data, LK_DISCOVERY_STEP_MICROSOFT_TENANT);
      if (needs_tenant (data->steps[chosen].provider))
        {
          if (tenant->state == STEP_IDLE && data->self->templates[LK_DISCOVERY_STEP_MICROSOFT_TENANT])
            {
              lk_discovery_start_tenant (task);
              return;
            }
          if (tenant->state == STEP_RUNNING)
            return;
        }
      return_result (task, chosen);
      return;
    }

  /* Nothing confident: a Microsoft 365 organisation whose mail passes
   * through a filter (its MX records are the filter's) is still found by
   * its tenant. */
  if (tenant->state == STEP_IDLE && data->self->templates[LK_DISCOVERY_STEP_MICROSOFT_TENANT])
    {
      lk_discovery_start_tenant (task);
      return;
    }
  if (tenant->state == STEP_RUNNING)
    return;
  if (tenant->outcome == LK_DISCOVERY_OUTCOME_ANSWERED)
    {
      LkProvider *m365 = lk_provider_registry_lookup (data->self->registry, "microsoft365");

      if (m365 != NULL)
        {
          tenant->provider = lk_provider_ref (m365);
          tenant->endpoints_known = TRUE;
          tenant->oauth2 = TRUE;
          return_result (task, LK_DISCOVERY_STEP_MICROSOFT_TENANT);
          return;
        }
    }
  /* Servers that take only passwords are better than nothing: the caller
   * can say why Latchkey cannot help. */
  return_result (task, weak);
}

static gboolean
domain_is_plausible (const char *domain)
{
  for (const char *p = domain; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
      return FALSE;
  return *domain != '\0' && *domain != '.' && *domain != '-';
}

/**
 * lk_discovery_run_async:
 * @email: the address a person typed
 *
 * Finds the provider for @email. Every step that ran is in the result's
 * attempts, with the reason it gave no answer; nothing found is a result
 * without a provider, not an error. Errors: %LK_ERROR_INVALID_INPUT for an
 * address that is not one, and cancellation.
 */
void
lk_discovery_run_async (LkDiscovery         *self,
                        const char          *email,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LkDiscoveryRun *data;
  LkProvider *known;
  g_autofree char *ascii = NULL;

  g_return_if_fail (LK_IS_DISCOVERY (self));
  g_return_if_fail (email != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_discovery_run_async);

  if (lk_email_is_valid (email))
    ascii = g_hostname_to_ascii (strrchr (email, '@') + 1);
  if (ascii == NULL || !domain_is_plausible (ascii))
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_INVALID_INPUT,
                               _("“%s” is not an e-mail address; type it as name@example.com."),
                               email);
      return;
    }

  data = g_new0 (LkDiscoveryRun, 1);
  data->self = g_object_ref (self);
  data->email = g_strdup (email);
  data->domain = g_ascii_strdown (ascii, -1);
  data->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) run_free);

  if (g_task_return_error_if_cancelled (task))
    return;

  /* Step 1, no network: a profile that lists the domain. */
  known = lk_provider_registry_lookup_domain (self->registry, data->domain);
  if (known != NULL)
    {
      LkDiscoveryStepRun *step = &data->steps[LK_DISCOVERY_STEP_KNOWN_DOMAIN];

      step->state = STEP_DONE;
      step->outcome = LK_DISCOVERY_OUTCOME_ANSWERED;
      step->source = g_strdup (known->origin);
      step->provider = lk_provider_ref (known);
      step->endpoints_known = TRUE;
      step->oauth2 = TRUE;
      lk_discovery_evaluate (task);
      return;
    }

  lk_discovery_start_autoconfig (task, LK_DISCOVERY_STEP_AUTOCONFIG);
  lk_discovery_start_autoconfig (task, LK_DISCOVERY_STEP_WELL_KNOWN);
  lk_discovery_start_autoconfig (task, LK_DISCOVERY_STEP_ISPDB);
  lk_discovery_start_mx (task);
}

/**
 * lk_discovery_run_finish:
 *
 * Returns: (transfer full): what was found, or NULL with an error
 */
LkDiscoveryResult *
lk_discovery_run_finish (LkDiscovery   *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_discovery_run_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
