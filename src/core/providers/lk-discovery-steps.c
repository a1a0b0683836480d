/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The steps of a discovery run (LkDiscovery): each asks one source and
 * records what it found with lk_discovery_step_end(); lk-discovery.c
 * starts them and decides between their answers. */
#define G_LOG_DOMAIN "latchkey-providers"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-json.h"
#include "providers/lk-discovery-private.h"
#include "providers/lk-microsoft.h"

static char *
expand_template (const char *template,
                 const char *domain)
{
  g_autoptr(GString) s = g_string_new (template);

  g_string_replace (s, "{domain}", domain, 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static GPtrArray *
get_providers (LkDiscoveryRun *data)
{
  return lk_provider_registry_get_providers (data->self->registry);
}

/* Ends a step and lets the scheduler decide again. Takes @error. */
static void
finish (LkDiscoveryCall    *call,
        LkDiscoveryOutcome  outcome,
        GError             *error)
{
  LkDiscoveryRun *data = g_task_get_task_data (call->task);

  lk_discovery_step_end (data, call->step, outcome, error);
  lk_discovery_evaluate (call->task);
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
match_servers (LkDiscoveryRun      *data,
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
synthesise_provider (LkDiscoveryRun  *data,
                     LkAutoconfig    *config,
                     const char      *origin,
                     gboolean        *out_endpoints_known,
                     GError         **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GStrvBuilder) scope_builder = g_strv_builder_new ();
  g_auto(GStrv) words = NULL;
  g_auto(GStrv) scopes = NULL;
  g_autofree char *text = NULL;
  gboolean endpoints_known = config->oauth2_auth_url != NULL && config->oauth2_token_url != NULL;
  gboolean any = FALSE;
  char *domains[] = { data->domain, NULL };

  words = g_strsplit_set (config->oauth2_scope != NULL ? config->oauth2_scope : "", " \t\n", -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0')
      g_strv_builder_add (scope_builder, words[i]);
  scopes = g_strv_builder_end (scope_builder);

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
  /* Scopes: the same list for every protocol the file has a server for. */
  json_builder_set_member_name (builder, "scopes");
  json_builder_begin_object (builder);
  for (guint p = 0; p < LK_N_PROTOCOLS; p++)
    lk_json_add_strv (builder, lk_protocol_to_string (p), scopes);
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
  text = lk_json_to_data (root, FALSE, NULL);
  *out_endpoints_known = endpoints_known;
  return lk_provider_new_from_data (text, -1, origin, error);
}

static void
autoconfig_fetch_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(LkDiscoveryCall) call = user_data;
  LkDiscoveryRun *data = g_task_get_task_data (call->task);
  LkDiscoveryStepRun *step = &data->steps[call->step];
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(LkAutoconfig) config = NULL;
  LkProvider *known;
  guint status = 0;
  gsize size;
  const char *bytes;

  body = lk_http_fetch_finish (LK_HTTP (object), result, &status, &error);
  if (step->state == STEP_DONE)
    return;
  if (body == NULL)
    {
      if (!lk_discovery_run_was_cancelled (data, error))
        g_prefix_error (&error, "%s: ", step->source);
      finish (call, LK_DISCOVERY_OUTCOME_FAILED, g_steal_pointer (&error));
      return;
    }
  if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_GONE)
    {
      g_set_error (&error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("%s: there is no autoconfig file (HTTP %u)."), step->source, status);
      finish (call, LK_DISCOVERY_OUTCOME_NO_ANSWER, g_steal_pointer (&error));
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_set_error (&error, LK_ERROR, LK_ERROR_HTTP,
                   _("%s: the server answered HTTP %u."), step->source, status);
      lk_error_get_details_mut (error)->http_status = status;
      finish (call, LK_DISCOVERY_OUTCOME_FAILED, g_steal_pointer (&error));
      return;
    }

  bytes = g_bytes_get_data (body, &size);
  config = lk_autoconfig_parse (bytes, (gssize) size, &error);
  if (config == NULL)
    {
      g_prefix_error (&error, "%s: ", step->source);
      finish (call, LK_DISCOVERY_OUTCOME_FAILED, g_steal_pointer (&error));
      return;
    }

  step->autoconfig = lk_autoconfig_ref (config);
  known = match_servers (data, config);
  if (known != NULL)
    {
      step->provider = lk_provider_ref (known);
      step->endpoints_known = TRUE;
      step->oauth2 = TRUE;
      finish (call, LK_DISCOVERY_OUTCOME_ANSWERED, NULL);
      return;
    }

  step->provider = synthesise_provider (data, config, step->source,
                                        &step->endpoints_known, &error);
  step->oauth2 = lk_autoconfig_offers_oauth2 (config);
  if (step->provider == NULL)
    finish (call, LK_DISCOVERY_OUTCOME_FAILED, g_steal_pointer (&error));
  else if (!step->oauth2)
    {
      /* Kept as a last resort: a later step may still find OAuth2. */
      g_set_error (&error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("%s: the servers it names accept only passwords, not OAuth2."),
                   step->source);
      finish (call, LK_DISCOVERY_OUTCOME_NO_ANSWER, g_steal_pointer (&error));
    }
  else
    finish (call, LK_DISCOVERY_OUTCOME_ANSWERED, NULL);
}

/**
 * lk_discovery_start_autoconfig:
 * @id: %LK_DISCOVERY_STEP_AUTOCONFIG, %LK_DISCOVERY_STEP_WELL_KNOWN or
 *   %LK_DISCOVERY_STEP_ISPDB
 *
 * Fetches a Mozilla autoconfig file. Its servers may redirect (autoconfig
 * hosts often do), each hop under LkHttp's URL policy.
 */
void
lk_discovery_start_autoconfig (GTask           *task,
                               LkDiscoveryStep  id)
{
  LkDiscoveryRun *data = g_task_get_task_data (task);
  const char *template = data->self->templates[id];
  g_autofree char *url = NULL;
  LkDiscoveryCall *call;

  if (template == NULL)
    return;  /* switched off */
  url = expand_template (template, data->domain);
  call = lk_discovery_step_begin (task, id, url);
  lk_http_fetch_async (data->self->http, url, "application/xml, text/xml, */*",
                       LK_HTTP_FOLLOW_REDIRECTS, data->steps[id].cancellable,
                       autoconfig_fetch_cb, call);
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
match_mx (LkDiscoveryRun    *data,
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
  g_autoptr(LkDiscoveryCall) call = user_data;
  LkDiscoveryRun *data = g_task_get_task_data (call->task);
  LkDiscoveryStepRun *step = &data->steps[call->step];
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
      else if (!lk_discovery_run_was_cancelled (data, error))
        g_prefix_error (&error, _("Looking up the MX records of %s: "), data->domain);
      finish (call, none ? LK_DISCOVERY_OUTCOME_NO_ANSWER : LK_DISCOVERY_OUTCOME_FAILED,
              g_steal_pointer (&error));
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
  if (step->provider == NULL)
    {
      const char *first = NULL;

      if (records != NULL)
        g_variant_get (records->data, "(q&s)", NULL, &first);
      g_set_error (&error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("The MX records of %s (%s) match no known provider."),
                   data->domain, first != NULL ? first : "");
    }
  g_list_free_full (records, (GDestroyNotify) g_variant_unref);
  finish (call, step->provider != NULL ? LK_DISCOVERY_OUTCOME_ANSWERED
                                       : LK_DISCOVERY_OUTCOME_NO_ANSWER,
          g_steal_pointer (&error));
}

void
lk_discovery_start_mx (GTask *task)
{
  LkDiscoveryRun *data = g_task_get_task_data (task);
  g_autofree char *source = g_strdup_printf (_("MX records of %s"), data->domain);
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  LkDiscoveryCall *call = lk_discovery_step_begin (task, LK_DISCOVERY_STEP_MX, source);

  g_resolver_lookup_records_async (resolver, data->domain, G_RESOLVER_RECORD_MX,
                                   data->steps[LK_DISCOVERY_STEP_MX].cancellable, mx_cb, call);
}


/* Step 4: the Microsoft tenant (lk_microsoft_tenant_lookup_async()). */

static void
tenant_lookup_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(LkDiscoveryCall) call = user_data;
  LkDiscoveryRun *data = g_task_get_task_data (call->task);
  LkDiscoveryStepRun *step = &data->steps[call->step];
  g_autoptr(GError) error = NULL;
  g_autofree char *tenant = lk_microsoft_tenant_lookup_finish (LK_HTTP (object), result, &error);

  if (step->state == STEP_DONE)
    return;
  if (tenant != NULL)
    {
      step->tenant = g_steal_pointer (&tenant);
      finish (call, LK_DISCOVERY_OUTCOME_ANSWERED, NULL);
      return;
    }
  /* An unknown domain is an answer too: not a Microsoft 365 organisation. */
  if (g_error_matches (error, LK_ERROR, LK_ERROR_NOT_FOUND))
    {
      finish (call, LK_DISCOVERY_OUTCOME_NO_ANSWER, g_steal_pointer (&error));
      return;
    }
  if (!lk_discovery_run_was_cancelled (data, error))
    g_prefix_error (&error, "%s: ", step->source);
  finish (call, LK_DISCOVERY_OUTCOME_FAILED, g_steal_pointer (&error));
}

void
lk_discovery_start_tenant (GTask *task)
{
  LkDiscoveryRun *data = g_task_get_task_data (task);
  const char *template = data->self->templates[LK_DISCOVERY_STEP_MICROSOFT_TENANT];
  g_autofree char *url = NULL;
  LkDiscoveryCall *call;

  if (template == NULL)
    return;  /* switched off */
  url = expand_template (template, data->domain);
  call = lk_discovery_step_begin (task, LK_DISCOVERY_STEP_MICROSOFT_TENANT, url);
  lk_microsoft_tenant_lookup_async (data->self->http, url, data->domain,
                                    data->steps[LK_DISCOVERY_STEP_MICROSOFT_TENANT].cancellable,
                                    tenant_lookup_cb, call);
}
