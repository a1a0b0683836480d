/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-json.h"
#include "providers/lk-discovery.h"
#include "store/lk-account.h"

/* Nothing a discovery step fetches is anywhere near this. */
#define MAX_BODY          (1024 * 1024)
#define READ_CHUNK        (64 * 1024)
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
 * timeout, but the answer always follows that order of priority.
 */
struct _LkDiscovery
{
  GObject             parent_instance;

  SoupSession        *session;
  LkProviderRegistry *registry;
  char               *templates[LK_DISCOVERY_N_STEPS];
  guint               timeout_ms;
};

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
  PROP_SESSION,
  PROP_REGISTRY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
lk_discovery_finalize (GObject *object)
{
  LkDiscovery *self = LK_DISCOVERY (object);

  g_clear_object (&self->session);
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
    case PROP_SESSION:
      g_value_set_object (value, self->session);
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
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
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

  if (self->session == NULL)
    self->session = soup_session_new ();
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

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, SOUP_TYPE_SESSION,
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
 * lk_discovery_new:
 * @session: (nullable): the HTTP session to use (TLS policy, CA database);
 *   NULL makes a default one
 * @registry: (nullable): the profiles to match against; NULL loads them
 */
LkDiscovery *
lk_discovery_new (SoupSession        *session,
                  LkProviderRegistry *registry)
{
  return g_object_new (LK_TYPE_DISCOVERY, "session", session, "registry", registry, NULL);
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

/* HTTP GET with a size cap. */

typedef struct
{
  SoupMessage  *message;
  GInputStream *stream;
  GByteArray   *body;
} FetchData;

static void
fetch_data_free (FetchData *data)
{
  g_clear_object (&data->message);
  g_clear_object (&data->stream);
  g_clear_pointer (&data->body, g_byte_array_unref);
  g_free (data);
}

static gboolean
uri_is_acceptable (GUri *uri)
{
  const char *scheme = g_uri_get_scheme (uri);

  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;
  return g_ascii_strcasecmp (scheme, "http") == 0 && lk_host_is_loopback (g_uri_get_host (uri));
}

static void fetch_read_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data);

static void
fetch_read_more (GTask *task)
{
  FetchData *data = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (data->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), fetch_read_cb,
                                   g_object_ref (task));
}

static void
fetch_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FetchData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object),
                                                              result, &error);

  if (bytes == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_bytes_get_size (bytes) == 0)
    {
      g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&data->body)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }
  if (data->body->len + g_bytes_get_size (bytes) > MAX_BODY)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                               _("The answer is larger than 1 MiB; it was not read."));
      return;
    }
  g_byte_array_append (data->body, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  fetch_read_more (task);
}

static void
fetch_send_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FetchData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  goffset length;

  data->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (data->stream == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Redirects are followed, but never down to plain http. */
  if (!uri_is_acceptable (soup_message_get_uri (data->message)))
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_INSECURE_ENDPOINT,
                               _("The server redirected to a plain http:// address, "
                                 "which was not followed."));
      return;
    }
  length = soup_message_headers_get_content_length (
             soup_message_get_response_headers (data->message));
  if (length > MAX_BODY)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                               _("The answer is larger than 1 MiB; it was not read."));
      return;
    }
  data->body = g_byte_array_new ();
  fetch_read_more (task);
}

static void
fetch_async (SoupSession         *session,
             const char          *url,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (session, cancellable, callback, user_data);
  g_autoptr(GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  FetchData *data;

  g_task_set_source_tag (task, fetch_async);
  if (uri == NULL || !uri_is_acceptable (uri))
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_INVALID_INPUT,
                               _("“%s” is not an https:// address."), url);
      return;
    }
  data = g_new0 (FetchData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) fetch_data_free);
  data->message = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  soup_message_headers_replace (soup_message_get_request_headers (data->message),
                                "Accept", "application/xml, application/json, text/xml, */*");
  soup_session_send_async (session, data->message, G_PRIORITY_DEFAULT, cancellable,
                           fetch_send_cb, g_object_ref (task));
}

static GBytes *
fetch_finish (GAsyncResult  *result,
              guint         *out_status,
              GError       **error)
{
  FetchData *data = g_task_get_task_data (G_TASK (result));

  *out_status = data->message != NULL ? soup_message_get_status (data->message) : 0;
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* One discovery run. */

typedef enum
{
  STEP_IDLE,
  STEP_RUNNING,
  STEP_DONE,
} StepState;

typedef struct
{
  StepState           state;
  LkDiscoveryOutcome  outcome;
  char               *source;
  GError             *error;
  GCancellable       *cancellable;
  gulong              cancelled_id;
  GSource            *timeout;
  gboolean            timed_out;
  /* What the step found. */
  LkProvider         *provider;
  LkAutoconfig       *autoconfig;
  gboolean            endpoints_known;
  gboolean            oauth2;
  char               *tenant;
} Step;

typedef struct
{
  LkDiscovery  *self;
  char         *email;
  char         *domain;
  GCancellable *cancellable;   /* the caller's, may be NULL */
  gboolean      returned;
  Step          steps[LK_DISCOVERY_N_STEPS];
} RunData;

static void
step_stop_timer (Step *step)
{
  if (step->timeout != NULL)
    {
      g_source_destroy (step->timeout);
      g_clear_pointer (&step->timeout, g_source_unref);
    }
}

static void
run_data_free (RunData *data)
{
  for (guint i = 0; i < LK_DISCOVERY_N_STEPS; i++)
    {
      Step *step = &data->steps[i];

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

typedef struct
{
  GTask           *task;
  LkDiscoveryStep  step;
} StepCall;

static void
step_call_free (StepCall *call)
{
  g_object_unref (call->task);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StepCall, step_call_free)

static void evaluate (GTask *task);

static char *
expand_template (const char *template,
                 const char *domain)
{
  g_autoptr(GString) s = g_string_new (template);

  g_string_replace (s, "{domain}", domain, 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
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
  StepCall *call = user_data;
  RunData *data = g_task_get_task_data (call->task);
  Step *step = &data->steps[call->step];

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
static StepCall *
step_begin (GTask           *task,
            LkDiscoveryStep  id,
            const char      *source)
{
  RunData *data = g_task_get_task_data (task);
  Step *step = &data->steps[id];
  StepCall *call = g_new0 (StepCall, 1);

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
static void
step_end (RunData            *data,
          LkDiscoveryStep     id,
          LkDiscoveryOutcome  outcome,
          GError             *error)
{
  Step *step = &data->steps[id];

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
static gboolean
step_was_cancelled (RunData      *data,
                    const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
         data->cancellable != NULL && g_cancellable_is_cancelled (data->cancellable);
}

static GPtrArray *
get_providers (RunData *data)
{
  return lk_provider_registry_get_providers (data->self->registry);
}

/* Step 2: autoconfig → a profile. */

static gboolean
host_equal (const char *a,
            const char *b)
{
  return a != NULL && b != NULL && g_ascii_strcasecmp (a, b) == 0;
}

/* An autoconfig file whose servers are a known provider's (a Google
 * Workspace domain in the ISPDB, say) means that provider, with the
 * OAuth details Latchkey knows. The profile sharing most hosts wins. */
static LkProvider *
match_servers (RunData      *data,
               LkAutoconfig *config)
{
  GPtrArray *providers = get_providers (data);
  LkProvider *best = NULL;
  guint best_score = 0;

  for (guint i = 0; i < providers->len; i++)
    {
      LkProvider *provider = g_ptr_array_index (providers, i);
      guint score = 0;

      if (g_strcmp0 (provider->id, "generic") == 0)
        continue;
      for (guint p = 0; p < LK_N_PROTOCOLS; p++)
        {
          const LkAutoconfigServer *server = lk_autoconfig_get_server (config, p);

          if (server != NULL && host_equal (server->hostname, provider->servers[p].host))
            score++;
        }
      if (score > best_score)
        {
          best = provider;
          best_score = score;
        }
    }
  return best;
}

/* A profile made from an autoconfig file: its servers that can be used
 * safely, its OAuth2 endpoints when it names them, placeholders otherwise. */
static LkProvider *
synthesise_provider (RunData       *data,
                     LkAutoconfig  *config,
                     const char    *origin,
                     gboolean      *out_endpoints_known,
                     GError       **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_auto(GStrv) scopes = NULL;
  g_autofree char *text = NULL;
  gboolean endpoints_known = config->oauth2_auth_url != NULL && config->oauth2_token_url != NULL;
  gboolean any = FALSE;
  char *domains[] = { data->domain, NULL };

  if (config->oauth2_scope != NULL)
    scopes = g_strsplit_set (config->oauth2_scope, " \t\n", -1);

  json_builder_begin_object (builder);
  lk_json_add_string (builder, "id", data->domain);
  lk_json_add_string (builder, "name", config->display_name != NULL ? config->display_name
                                                                    : data->domain);
  lk_json_add_string (builder, "kind", "generic");
  lk_json_add_string (builder, "authorization_endpoint",
                      endpoints_known ? config->oauth2_auth_url
                                      : "https://example.invalid/authorize");
  lk_json_add_string (builder, "token_endpoint",
                      endpoints_known ? config->oauth2_token_url
                                      : "https://example.invalid/token");
  lk_json_add_optional_string (builder, "issuer", config->oauth2_issuer);
  json_builder_set_member_name (builder, "servers");
  json_builder_begin_object (builder);
  for (guint p = 0; p < LK_N_PROTOCOLS; p++)
    {
      const LkAutoconfigServer *server = lk_autoconfig_get_server (config, p);
      g_autoptr(GString) host = NULL;

      /* Never clear text to a remote server. */
      if (server == NULL || server->security == LK_SECURITY_NONE)
        continue;
      host = g_string_new (server->hostname);
      g_string_replace (host, "%EMAILDOMAIN%", data->domain, 0);
      json_builder_set_member_name (builder, lk_protocol_to_string (p));
      json_builder_begin_object (builder);
      lk_json_add_string (builder, "host", host->str);
      lk_json_add_int (builder, "port", server->port);
      lk_json_add_string (builder, "security", lk_security_to_string (server->security));
      json_builder_end_object (builder);
      any = TRUE;
    }
  json_builder_end_object (builder);
  lk_json_add_strv (builder, "domains", domains);
  json_builder_end_object (builder);

  if (!any)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INSECURE_ENDPOINT,
                   _("The autoconfig file names only unencrypted servers, which Latchkey "
                     "does not use."));
      return NULL;
    }

  root = json_builder_get_root (builder);
  /* Scopes: the same list for every protocol the file has a server for. */
  {
    JsonObject *object = json_node_get_object (root);
    JsonObject *scope_object = json_object_new ();

    for (guint p = 0; p < LK_N_PROTOCOLS; p++)
      {
        JsonArray *array = json_array_new ();

        for (guint i = 0; scopes != NULL && scopes[i] != NULL; i++)
          if (*scopes[i] != '\0')
            json_array_add_string_element (array, scopes[i]);
        json_object_set_array_member (scope_object, lk_protocol_to_string (p), array);
      }
    json_object_set_object_member (object, "scopes", scope_object);
  }
  text = lk_json_to_data (root, FALSE, NULL);
  *out_endpoints_known = endpoints_known;
  return lk_provider_new_from_data (text, -1, origin, error);
}

static void
autoconfig_fetch_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(StepCall) call = user_data;
  RunData *data = g_task_get_task_data (call->task);
  Step *step = &data->steps[call->step];
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(LkAutoconfig) config = NULL;
  LkProvider *known;
  guint status = 0;
  gsize size;
  const char *bytes;

  body = fetch_finish (result, &status, &error);
  if (step->state == STEP_DONE)
    return;
  if (body == NULL)
    {
      if (!step_was_cancelled (data, error))
        g_prefix_error (&error, "%s: ", step->source);
      step_end (data, call->step, LK_DISCOVERY_OUTCOME_FAILED, g_steal_pointer (&error));
      evaluate (call->task);
      return;
    }
  if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_GONE)
    {
      g_set_error (&error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("%s: there is no autoconfig file (HTTP %u)."), step->source, status);
      step_end (data, call->step, LK_DISCOVERY_OUTCOME_NO_ANSWER, g_steal_pointer (&error));
      evaluate (call->task);
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_set_error (&error, LK_ERROR, LK_ERROR_HTTP,
                   _("%s: the server answered HTTP %u."), step->source, status);
      lk_error_get_details_mut (error)->http_status = status;
      step_end (data, call->step, LK_DISCOVERY_OUTCOME_FAILED, g_steal_pointer (&error));
      evaluate (call->task);
      return;
    }

  bytes = g_bytes_get_data (body, &size);
  config = lk_autoconfig_parse (bytes, (gssize) size, &error);
  if (config == NULL)
    {
      g_prefix_error (&error, "%s: ", step->source);
      step_end (data, call->step, LK_DISCOVERY_OUTCOME_FAILED, g_steal_pointer (&error));
      evaluate (call->task);
      return;
    }

  step->autoconfig = lk_autoconfig_ref (config);
  known = match_servers (data, config);
  if (known != NULL)
    {
      step->provider = lk_provider_ref (known);
      step->endpoints_known = TRUE;
      step->oauth2 = TRUE;
      step_end (data, call->step, LK_DISCOVERY_OUTCOME_ANSWERED, NULL);
      evaluate (call->task);
      return;
    }

  step->provider = synthesise_provider (data, config, step->source,
                                        &step->endpoints_known, &error);
  step->oauth2 = lk_autoconfig_offers_oauth2 (config);
  if (step->provider == NULL)
    step_end (data, call->step, LK_DISCOVERY_OUTCOME_FAILED, g_steal_pointer (&error));
  else if (!step->oauth2)
    {
      /* Kept as a last resort: a later step may still find OAuth2. */
      g_set_error (&error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("%s: the servers it names accept only passwords, not OAuth2."),
                   step->source);
      step_end (data, call->step, LK_DISCOVERY_OUTCOME_NO_ANSWER, g_steal_pointer (&error));
    }
  else
    step_end (data, call->step, LK_DISCOVERY_OUTCOME_ANSWERED, NULL);
  evaluate (call->task);
}

static void
start_fetch_step (GTask           *task,
                  LkDiscoveryStep  id,
                  GAsyncReadyCallback callback)
{
  RunData *data = g_task_get_task_data (task);
  const char *template = data->self->templates[id];
  g_autofree char *url = NULL;
  StepCall *call;

  if (template == NULL)
    return;  /* switched off */
  url = expand_template (template, data->domain);
  call = step_begin (task, id, url);
  fetch_async (data->self->session, url, data->steps[id].cancellable, callback, call);
}

/* Step 3: MX records. */

static int
compare_mx (gconstpointer a,
            gconstpointer b)
{
  guint16 pa, pb;

  g_variant_get ((GVariant *) a, "(q&s)", &pa, NULL);
  g_variant_get ((GVariant *) b, "(q&s)", &pb, NULL);
  return (int) pa - (int) pb;
}

static LkProvider *
match_mx (RunData    *data,
          const char *host)
{
  GPtrArray *providers = get_providers (data);
  g_autofree char *lower = g_ascii_strdown (host, -1);
  gsize len = strlen (lower);

  if (len > 0 && lower[len - 1] == '.')
    lower[len - 1] = '\0';
  for (guint i = 0; i < providers->len; i++)
    {
      LkProvider *provider = g_ptr_array_index (providers, i);

      for (guint j = 0; provider->mx[j] != NULL; j++)
        {
          g_autofree char *pattern = g_ascii_strdown (provider->mx[j], -1);

          if (g_pattern_match_simple (pattern, lower))
            return provider;
        }
    }
  return NULL;
}

static void
mx_cb (GObject      *object,
       GAsyncResult *result,
       gpointer      user_data)
{
  g_autoptr(StepCall) call = user_data;
  RunData *data = g_task_get_task_data (call->task);
  Step *step = &data->steps[call->step];
  g_autoptr(GError) error = NULL;
  GList *records = g_resolver_lookup_records_finish (G_RESOLVER (object), result, &error);

  if (step->state == STEP_DONE)
    {
      g_list_free_full (records, (GDestroyNotify) g_variant_unref);
      return;
    }
  if (error != NULL)
    {
      gboolean none = g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND);

      if (none)
        {
          g_clear_error (&error);
          g_set_error (&error, LK_ERROR, LK_ERROR_NOT_FOUND,
                       _("%s has no MX records."), data->domain);
        }
      else if (!step_was_cancelled (data, error))
        g_prefix_error (&error, _("Looking up the MX records of %s: "), data->domain);
      step_end (data, call->step,
                none ? LK_DISCOVERY_OUTCOME_NO_ANSWER : LK_DISCOVERY_OUTCOME_FAILED,
                g_steal_pointer (&error));
      evaluate (call->task);
      return;
    }

  records = g_list_sort (records, compare_mx);
  for (GList *l = records; l != NULL; l = l->next)
    {
      const char *host;
      LkProvider *provider;

      g_variant_get (l->data, "(q&s)", NULL, &host);
      provider = match_mx (data, host);
      if (provider != NULL)
        {
          step->provider = lk_provider_ref (provider);
          step->endpoints_known = TRUE;
          step->oauth2 = TRUE;
          break;
        }
    }
  if (step->provider != NULL)
    step_end (data, call->step, LK_DISCOVERY_OUTCOME_ANSWERED, NULL);
  else
    {
      const char *first = NULL;

      if (records != NULL)
        g_variant_get (records->data, "(q&s)", NULL, &first);
      g_set_error (&error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("The MX records of %s (%s) match no known provider."),
                   data->domain, first != NULL ? first : "");
      step_end (data, call->step, LK_DISCOVERY_OUTCOME_NO_ANSWER, g_steal_pointer (&error));
    }
  g_list_free_full (records, (GDestroyNotify) g_variant_unref);
  evaluate (call->task);
}

static void
start_mx_step (GTask *task)
{
  RunData *data = g_task_get_task_data (task);
  g_autofree char *source = g_strdup_printf (_("MX records of %s"), data->domain);
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  StepCall *call = step_begin (task, LK_DISCOVERY_STEP_MX, source);

  g_resolver_lookup_records_async (resolver, data->domain, G_RESOLVER_RECORD_MX,
                                   data->steps[LK_DISCOVERY_STEP_MX].cancellable, mx_cb, call);
}

/* Step 4: the Microsoft tenant. */

static gboolean
is_guid (const char *text)
{
  if (strlen (text) != 36)
    return FALSE;
  for (guint i = 0; i < 36; i++)
    {
      gboolean dash = i == 8 || i == 13 || i == 18 || i == 23;

      if (dash ? text[i] != '-' : !g_ascii_isxdigit (text[i]))
        return FALSE;
    }
  return TRUE;
}

/* "https://login.microsoftonline.com/<GUID>/v2.0" → GUID */
static char *
tenant_from_issuer (const char *issuer)
{
  g_autoptr(GUri) uri = g_uri_parse (issuer, G_URI_FLAGS_NONE, NULL);
  g_auto(GStrv) segments = NULL;

  if (uri == NULL)
    return NULL;
  segments = g_strsplit (g_uri_get_path (uri), "/", -1);
  for (guint i = 0; segments[i] != NULL; i++)
    if (*segments[i] != '\0')
      return is_guid (segments[i]) ? g_ascii_strdown (segments[i], -1) : NULL;
  return NULL;
}

static void
tenant_fetch_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(StepCall) call = user_data;
  RunData *data = g_task_get_task_data (call->task);
  Step *step = &data->steps[call->step];
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonObject *object_root = NULL;
  JsonNode *root;
  const char *issuer = NULL;
  guint status = 0;
  gsize size;
  const char *bytes;

  body = fetch_finish (result, &status, &error);
  if (step->state == STEP_DONE)
    return;
  if (body == NULL)
    {
      if (!step_was_cancelled (data, error))
        g_prefix_error (&error, "%s: ", step->source);
      step_end (data, call->step, LK_DISCOVERY_OUTCOME_FAILED, g_steal_pointer (&error));
      evaluate (call->task);
      return;
    }

  bytes = g_bytes_get_data (body, &size);
  if (!json_parser_load_from_data (parser, bytes, (gssize) size, &error) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_autoptr(GError) bad = NULL;

      if (error != NULL)
        /* Translators: the first %s names the source, the last is the parser's message */
        g_set_error (&bad, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                     _("%s: the answer (HTTP %u) is not a JSON object: %s"),
                     step->source, status, error->message);
      else
        g_set_error (&bad, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                     _("%s: the answer (HTTP %u) is not a JSON object."),
                     step->source, status);
      lk_error_get_details_mut (bad)->http_status = status;
      step_end (data, call->step, LK_DISCOVERY_OUTCOME_FAILED, g_steal_pointer (&bad));
      evaluate (call->task);
      return;
    }
  object_root = json_node_get_object (root);

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      const char *oauth_error = lk_json_get_string (object_root, "error");
      const char *description =
        lk_json_get_string (object_root, "error_description");
      guint aadsts = description != NULL ? lk_error_parse_aadsts (description) : 0;

      if (aadsts == 90002)
        {
          g_set_error (&error, LK_ERROR, LK_ERROR_NOT_FOUND,
                       _("%s is not the domain of a Microsoft 365 organisation (AADSTS90002)."),
                       data->domain);
          lk_error_set_oauth (error, oauth_error, description, status);
          step_end (data, call->step, LK_DISCOVERY_OUTCOME_NO_ANSWER, g_steal_pointer (&error));
        }
      else
        {
          g_set_error (&error, LK_ERROR, LK_ERROR_HTTP,
                       _("%s: the server answered HTTP %u."), step->source, status);
          lk_error_set_oauth (error, oauth_error, description, status);
          step_end (data, call->step, LK_DISCOVERY_OUTCOME_FAILED, g_steal_pointer (&error));
        }
      evaluate (call->task);
      return;
    }

  issuer = lk_json_get_string (object_root, "issuer");
  step->tenant = issuer != NULL ? tenant_from_issuer (issuer) : NULL;
  if (step->tenant == NULL)
    {
      g_set_error (&error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                   _("%s: the OpenID configuration has no issuer with a tenant id."),
                   step->source);
      step_end (data, call->step, LK_DISCOVERY_OUTCOME_FAILED, g_steal_pointer (&error));
    }
  else
    step_end (data, call->step, LK_DISCOVERY_OUTCOME_ANSWERED, NULL);
  evaluate (call->task);
}

/* Deciding. */

static gboolean
needs_tenant (LkProvider *provider)
{
  return g_strcmp0 (provider->kind, "microsoft") == 0 &&
         (provider->tenant == NULL || *provider->tenant == '\0' ||
          g_strcmp0 (provider->tenant, "organizations") == 0 ||
          g_strcmp0 (provider->tenant, "common") == 0);
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
cancel_running_except (RunData         *data,
                       LkDiscoveryStep  keep)
{
  for (guint i = 0; i < LK_DISCOVERY_N_STEPS; i++)
    {
      Step *step = &data->steps[i];

      if (i == keep || step->state != STEP_RUNNING)
        continue;
      step_end (data, i, LK_DISCOVERY_OUTCOME_SKIPPED, NULL);
      g_cancellable_cancel (step->cancellable);
    }
}

static void
start_tenant_step (GTask *task)
{
  start_fetch_step (task, LK_DISCOVERY_STEP_MICROSOFT_TENANT, tenant_fetch_cb);
}

static void
return_result (GTask           *task,
               LkDiscoveryStep  chosen)
{
  RunData *data = g_task_get_task_data (task);
  LkDiscoveryResult *result = g_new0 (LkDiscoveryResult, 1);
  Step *tenant_step = &data->steps[LK_DISCOVERY_STEP_MICROSOFT_TENANT];

  cancel_running_except (data, LK_DISCOVERY_STEP_NONE);
  g_atomic_ref_count_init (&result->ref_count);
  result->email = g_strdup (data->email);
  result->domain = g_strdup (data->domain);
  result->step = chosen;
  result->how = describe (chosen, data->domain);
  result->attempts = g_ptr_array_new_with_free_func ((GDestroyNotify) attempt_free);
  if (chosen != LK_DISCOVERY_STEP_NONE)
    {
      Step *step = &data->steps[chosen];

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
      Step *step = &data->steps[i];
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
static void
evaluate (GTask *task)
{
  RunData *data = g_task_get_task_data (task);
  Step *tenant = &data->steps[LK_DISCOVERY_STEP_MICROSOFT_TENANT];
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
      Step *step = &data->steps[parallel_steps[i]];

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
              start_tenant_step (task);
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
      start_tenant_step (task);
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
  RunData *data;
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

  data = g_new0 (RunData, 1);
  data->self = g_object_ref (self);
  data->email = g_strdup (email);
  data->domain = g_ascii_strdown (ascii, -1);
  data->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) run_data_free);

  if (g_task_return_error_if_cancelled (task))
    return;

  /* Step 1, no network: a profile that lists the domain. */
  known = lk_provider_registry_lookup_domain (self->registry, data->domain);
  if (known != NULL)
    {
      Step *step = &data->steps[LK_DISCOVERY_STEP_KNOWN_DOMAIN];

      step->state = STEP_DONE;
      step->outcome = LK_DISCOVERY_OUTCOME_ANSWERED;
      step->source = g_strdup (known->origin);
      step->provider = lk_provider_ref (known);
      step->endpoints_known = TRUE;
      step->oauth2 = TRUE;
      evaluate (task);
      return;
    }

  start_fetch_step (task, LK_DISCOVERY_STEP_AUTOCONFIG, autoconfig_fetch_cb);
  start_fetch_step (task, LK_DISCOVERY_STEP_WELL_KNOWN, autoconfig_fetch_cb);
  start_fetch_step (task, LK_DISCOVERY_STEP_ISPDB, autoconfig_fetch_cb);
  start_mx_step (task);
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
