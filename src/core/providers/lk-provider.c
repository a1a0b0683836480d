/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-providers"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "lk-error.h"
#include "lk-file.h"
#include "lk-json.h"
#include "lk-provider.h"
#include "lk-text.h"

G_DEFINE_BOXED_TYPE (LkProvider, lk_provider, lk_provider_ref, lk_provider_unref)

static const char * const default_sasl[] = { "OAUTHBEARER", "XOAUTH2", NULL };

LkProvider *
lk_provider_ref (LkProvider *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

static void
lk_provider_free (LkProvider *self)
{
  g_free (self->id);
  g_free (self->name);
  g_free (self->kind);
  g_free (self->authorization_endpoint);
  g_free (self->token_endpoint);
  g_free (self->device_authorization_endpoint);
  g_free (self->issuer);
  g_free (self->tenant);
  g_free (self->client_id);
  g_free (self->client_secret);
  g_free (self->redirect_host);
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    {
      g_strfreev (self->scopes[i]);
      g_free (self->servers[i].host);
    }
  g_strfreev (self->extra_scopes);
  g_free (self->app_only_scope);
  g_strfreev (self->sasl);
  g_strfreev (self->domains);
  g_strfreev (self->mx);
  g_free (self->ca_file);
  g_free (self->notes);
  g_free (self->client_id_help);
  g_free (self->origin);
  g_strfreev (self->authorization_params);
  g_free (self);
}

void
lk_provider_unref (LkProvider *self)
{
  g_return_if_fail (self != NULL);
  if (g_atomic_ref_count_dec (&self->ref_count))
    lk_provider_free (self);
}

/* Parsing helpers: each names the field at fault, so that a person editing a
 * profile by hand learns exactly what to change. */

static gboolean fail_field (GError    **error,
                            const char *format,
                            ...) G_GNUC_PRINTF (2, 3);

/* Translators see each message whole: "%s: field “%s” is missing", where
 * the first %s is the profile's file and the second the field's name. */
static gboolean
fail_field (GError    **error,
            const char *format,
            ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_PROFILE, message);
  return FALSE;
}

/* Every string in a profile: organisation profiles are handed around by
 * e-mail, and their values end up in files other programs read. */
static gboolean
fail_control (GError    **error,
              const char *origin,
              const char *field)
{
  return fail_field (error, _("%s: field “%s” holds a line break or another control "
                              "character; remove it (ask whoever sent the profile for a "
                              "corrected one)"), origin, field);
}

static gboolean
get_string (JsonObject  *obj,
            const char  *member,
            const char  *field,
            gboolean     required,
            char       **out,
            const char  *origin,
            GError     **error)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        return fail_field (error, _("%s: field “%s” is missing"), origin, field);
      *out = NULL;
      return TRUE;
    }
  /* json-glib turns an escaped lone surrogate ("\ud800") into bytes that
   * are not UTF-8, which could never be written back. */
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
      !g_utf8_validate (json_node_get_string (node), -1, NULL))
    return fail_field (error, _("%s: field “%s” must be a text string"), origin, field);
  if (!lk_text_is_plain (json_node_get_string (node)))
    return fail_control (error, origin, field);
  if (required && *json_node_get_string (node) == '\0')
    return fail_field (error, _("%s: field “%s” must not be empty"), origin, field);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
get_strv (JsonObject   *obj,
          const char   *member,
          const char   *field,
          char       ***out,
          const char   *origin,
          GError      **error)
{
  JsonNode *node = json_object_get_member (obj, member);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      *out = NULL;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return fail_field (error, _("%s: field “%s” must be a list of text strings"), origin, field);
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING ||
          !g_utf8_validate (json_node_get_string (item), -1, NULL))
        return fail_field (error, _("%s: field “%s” must be a list of text strings"),
                           origin, field);
      if (!lk_text_is_plain (json_node_get_string (item)))
        return fail_control (error, origin, field);
      g_strv_builder_add (builder, json_node_get_string (item));
    }
  *out = g_strv_builder_end (builder);
  return TRUE;
}

/* "authorization_params": { "name": "value", … } → name, value, … */
static gboolean
get_params (JsonObject   *obj,
            const char   *member,
            char       ***out,
            const char   *origin,
            GError      **error)
{
  JsonNode *node = json_object_get_member (obj, member);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GList) names = NULL;
  JsonObject *params;

  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return fail_field (error, _("%s: field “%s” must be an object of text strings"),
                           origin, member);
      params = json_node_get_object (node);
      names = json_object_get_members (params);
      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonNode *value = json_object_get_member (params, l->data);
          g_autofree char *field = g_strdup_printf ("%s.%s", member, (const char *) l->data);

          if (!g_utf8_validate (l->data, -1, NULL) ||
              !JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING ||
              !g_utf8_validate (json_node_get_string (value), -1, NULL))
            return fail_field (error, _("%s: field “%s” must be a text string"), origin, field);
          if (!lk_text_is_plain (l->data) || !lk_text_is_plain (json_node_get_string (value)))
            return fail_control (error, origin, field);
          g_strv_builder_add (builder, l->data);
          g_strv_builder_add (builder, json_node_get_string (value));
        }
    }
  *out = g_strv_builder_end (builder);
  return TRUE;
}

static gboolean
get_server (JsonObject  *servers,
            LkProtocol   protocol,
            LkServer    *server,
            const char  *origin,
            GError     **error)
{
  const char *name = lk_protocol_to_string (protocol);
  g_autofree char *field = g_strdup_printf ("servers.%s", name);
  g_autofree char *field_host = g_strdup_printf ("servers.%s.host", name);
  g_autofree char *field_port = g_strdup_printf ("servers.%s.port", name);
  g_autofree char *field_security = g_strdup_printf ("servers.%s.security", name);
  g_autofree char *security = NULL;
  g_autofree char *host = NULL;
  JsonNode *node = json_object_get_member (servers, name);
  JsonNode *port;
  JsonObject *obj;
  gint64 value;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail_field (error, _("%s: field “%s” must be an object with host, port and security"),
                       origin, field);
  obj = json_node_get_object (node);
  if (!get_string (obj, "host", field_host, TRUE, &host, origin, error))
    return FALSE;
  server->host = lk_host_to_ascii (host);
  if (server->host == NULL)
    return fail_field (error, _("%s: field “%s” must be a host name such as "
                                "mail.example.com, or an IP address"), origin, field_host);
  port = json_object_get_member (obj, "port");
  if (port == NULL || !JSON_NODE_HOLDS_VALUE (port) ||
      json_node_get_value_type (port) != G_TYPE_INT64)
    return fail_field (error, _("%s: field “%s” must be a number from 1 to 65535"),
                       origin, field_port);
  value = json_node_get_int (port);
  if (value < 1 || value > 65535)
    return fail_field (error, _("%s: field “%s” must be a number from 1 to 65535"),
                       origin, field_port);
  server->port = (guint16) value;
  if (!get_string (obj, "security", field_security, TRUE, &security, origin, error))
    return FALSE;
  if (!lk_security_from_string (security, &server->security))
    return fail_field (error, _("%s: field “%s” must be “tls”, “starttls” or “none”"),
                       origin, field_security);
  return TRUE;
}

static gboolean
parse_object (LkProvider  *self,
              JsonObject  *root,
              const char  *origin,
              GError     **error)
{
  JsonNode *node;

  if (!get_string (root, "id", "id", TRUE, &self->id, origin, error) ||
      !get_string (root, "name", "name", TRUE, &self->name, origin, error) ||
      !get_string (root, "kind", "kind", FALSE, &self->kind, origin, error) ||
      !get_string (root, "authorization_endpoint", "authorization_endpoint", TRUE,
                   &self->authorization_endpoint, origin, error) ||
      !get_string (root, "token_endpoint", "token_endpoint", TRUE,
                   &self->token_endpoint, origin, error) ||
      !get_string (root, "device_authorization_endpoint", "device_authorization_endpoint", FALSE,
                   &self->device_authorization_endpoint, origin, error) ||
      !get_string (root, "issuer", "issuer", FALSE, &self->issuer, origin, error) ||
      !get_string (root, "tenant", "tenant", FALSE, &self->tenant, origin, error) ||
      !get_string (root, "client_id", "client_id", FALSE, &self->client_id, origin, error) ||
      !get_string (root, "client_secret", "client_secret", FALSE,
                   &self->client_secret, origin, error) ||
      !get_string (root, "redirect_host", "redirect_host", FALSE,
                   &self->redirect_host, origin, error) ||
      !get_string (root, "app_only_scope", "app_only_scope", FALSE,
                   &self->app_only_scope, origin, error) ||
      !get_strv (root, "sasl", "sasl", &self->sasl, origin, error) ||
      !get_strv (root, "domains", "domains", &self->domains, origin, error) ||
      !get_strv (root, "mx", "mx", &self->mx, origin, error) ||
      !get_string (root, "ca_file", "ca_file", FALSE, &self->ca_file, origin, error) ||
      !get_string (root, "notes", "notes", FALSE, &self->notes, origin, error) ||
      !get_string (root, "client_id_help", "client_id_help", FALSE,
                   &self->client_id_help, origin, error) ||
      !get_params (root, "authorization_params", &self->authorization_params, origin, error))
    return FALSE;

  if (self->kind == NULL)
    self->kind = g_strdup ("generic");
  if (self->redirect_host == NULL)
    self->redirect_host = g_strdup ("127.0.0.1");
  if (self->sasl == NULL || self->sasl[0] == NULL)
    {
      g_strfreev (self->sasl);
      self->sasl = g_strdupv ((char **) default_sasl);
    }
  if (self->domains == NULL)
    self->domains = g_new0 (char *, 1);
  if (self->mx == NULL)
    self->mx = g_new0 (char *, 1);

  node = json_object_get_member (root, "device_flow");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        return fail_field (error, _("%s: field “%s” must be true or false"), origin, "device_flow");
      self->device_flow = json_node_get_boolean (node);
    }
  else
    self->device_flow = self->device_authorization_endpoint != NULL;

  node = json_object_get_member (root, "scopes");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      JsonObject *scopes;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return fail_field (error, _("%s: field “%s” must be an object of lists"), origin, "scopes");
      scopes = json_node_get_object (node);
      for (guint i = 0; i < LK_N_PROTOCOLS; i++)
        {
          g_autofree char *field = g_strdup_printf ("scopes.%s", lk_protocol_to_string (i));
          if (!get_strv (scopes, lk_protocol_to_string (i), field, &self->scopes[i], origin, error))
            return FALSE;
        }
      if (!get_strv (scopes, "extra", "scopes.extra", &self->extra_scopes, origin, error))
        return FALSE;
    }
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    if (self->scopes[i] == NULL)
      self->scopes[i] = g_new0 (char *, 1);
  if (self->extra_scopes == NULL)
    self->extra_scopes = g_new0 (char *, 1);

  node = json_object_get_member (root, "servers");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return fail_field (error, _("%s: field “%s” must be an object naming imap, pop or smtp"),
                       origin, "servers");
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    if (!get_server (json_node_get_object (node), i, &self->servers[i], origin, error))
      return FALSE;

  return lk_provider_validate (self, error);
}

/**
 * lk_provider_new_from_data:
 * @origin: a file name or resource path, used in error messages
 *
 * Parses and validates a profile. The error names @origin and the field at fault.
 */
LkProvider *
lk_provider_new_from_data (const char  *data,
                           gssize       length,
                           const char  *origin,
                           GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(LkProvider) self = NULL;
  g_autofree char *marked = NULL;
  gsize marked_length;
  JsonNode *root;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  marked = lk_json_dup_marking_nul (data, length, &marked_length);
  if (!json_parser_load_from_data (parser, marked, (gssize) marked_length, &local_error))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_PROFILE,
                   _("%s: not valid JSON: %s"), origin, local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_PROFILE,
                   _("%s: a provider profile must be a JSON object"), origin);
      return NULL;
    }

  self = g_new0 (LkProvider, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->origin = g_strdup (origin);
  if (!parse_object (self, json_node_get_object (root), origin, error))
    return NULL;
  return g_steal_pointer (&self);
}

LkProvider *
lk_provider_new_from_file (const char  *path,
                           GError     **error)
{
  g_autofree char *data = NULL;
  gsize length;

  if (!lk_file_read_regular (path, LK_FILE_MAX_SMALL, &data, &length, error))
    return NULL;
  return lk_provider_new_from_data (data, (gssize) length, path, error);
}

static gboolean
check_endpoint (LkProvider  *self,
                const char  *field,
                const char  *url,
                GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *expanded = NULL;
  g_autoptr(GString) s = NULL;
  const char *scheme;

  if (url == NULL)
    return TRUE;
  /* "{tenant}" is not valid in a URI; check the shape with a stand-in. */
  s = g_string_new (url);
  g_string_replace (s, "{tenant}", "tenant", 0);
  expanded = g_string_free (g_steal_pointer (&s), FALSE);
  uri = g_uri_parse (expanded, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return fail_field (error, _("%s: field “%s” must be an absolute https:// URL"),
                       self->origin, field);
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;
  if (g_ascii_strcasecmp (scheme, "http") == 0 && lk_host_is_loopback (g_uri_get_host (uri)))
    return TRUE;
  g_set_error (error, LK_ERROR, LK_ERROR_INSECURE_ENDPOINT,
               _("%s: field “%s” must use https:// (plain http is allowed only for "
                 "this computer’s own loopback address)"), self->origin, field);
  return FALSE;
}

/**
 * lk_provider_validate:
 *
 * Checks what a profile must satisfy beyond its shape: https endpoints,
 * clear-text servers only on loopback, a known redirect host, SASL
 * mechanisms Latchkey speaks.
 */
gboolean
lk_provider_validate (LkProvider  *self,
                      GError     **error)
{
  gboolean any_server = FALSE;

  if (!check_endpoint (self, "authorization_endpoint", self->authorization_endpoint, error) ||
      !check_endpoint (self, "token_endpoint", self->token_endpoint, error) ||
      !check_endpoint (self, "device_authorization_endpoint",
                       self->device_authorization_endpoint, error))
    return FALSE;

  if (g_strcmp0 (self->redirect_host, "localhost") != 0 &&
      g_strcmp0 (self->redirect_host, "127.0.0.1") != 0 &&
      g_strcmp0 (self->redirect_host, "[::1]") != 0)
    return fail_field (error, _("%s: field “%s” must be “localhost”, “127.0.0.1” or “[::1]”"),
                       self->origin, "redirect_host");

  for (guint i = 0; self->sasl[i] != NULL; i++)
    if (g_strcmp0 (self->sasl[i], "XOAUTH2") != 0 && g_strcmp0 (self->sasl[i], "OAUTHBEARER") != 0)
      return fail_field (error, _("%s: field “%s” may list only “OAUTHBEARER” and “XOAUTH2”"),
                         self->origin, "sasl");

  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    {
      const LkServer *server = &self->servers[i];

      if (server->host == NULL)
        continue;
      any_server = TRUE;
      if (server->security == LK_SECURITY_NONE && !lk_host_is_loopback (server->host))
        {
          g_autofree char *field = g_strdup_printf ("servers.%s.security",
                                                    lk_protocol_to_string (i));
          g_set_error (error, LK_ERROR, LK_ERROR_INSECURE_ENDPOINT,
                       _("%s: field “%s” may be “none” only for a loopback host; "
                         "use “tls” or “starttls”"), self->origin, field);
          return FALSE;
        }
    }
  if (!any_server)
    return fail_field (error, _("%s: field “%s” must name at least one of imap, pop and smtp"),
                       self->origin, "servers");
  return TRUE;
}

/**
 * lk_provider_to_data:
 *
 * Serialises the profile in the file format it was read from, so that an
 * account can keep a snapshot and an administrator can hand a profile on.
 */
char *
lk_provider_to_data (LkProvider *self,
                     gsize      *length)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  lk_json_add_string (builder, "id", self->id);
  lk_json_add_string (builder, "name", self->name);
  lk_json_add_string (builder, "kind", self->kind);
  lk_json_add_string (builder, "authorization_endpoint", self->authorization_endpoint);
  lk_json_add_string (builder, "token_endpoint", self->token_endpoint);
  lk_json_add_string (builder, "device_authorization_endpoint", self->device_authorization_endpoint);
  lk_json_add_string (builder, "issuer", self->issuer);
  lk_json_add_string (builder, "tenant", self->tenant);
  lk_json_add_string (builder, "client_id", self->client_id);
  lk_json_add_string (builder, "client_secret", self->client_secret);
  lk_json_add_string (builder, "redirect_host", self->redirect_host);
  json_builder_set_member_name (builder, "scopes");
  json_builder_begin_object (builder);
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    lk_json_add_strv (builder, lk_protocol_to_string (i), self->scopes[i]);
  lk_json_add_strv (builder, "extra", self->extra_scopes);
  json_builder_end_object (builder);
  lk_json_add_string (builder, "app_only_scope", self->app_only_scope);
  json_builder_set_member_name (builder, "servers");
  json_builder_begin_object (builder);
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    {
      const LkServer *server = &self->servers[i];

      if (server->host == NULL)
        continue;
      json_builder_set_member_name (builder, lk_protocol_to_string (i));
      json_builder_begin_object (builder);
      lk_json_add_string (builder, "host", server->host);
      lk_json_add_int (builder, "port", server->port);
      lk_json_add_string (builder, "security", lk_security_to_string (server->security));
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  lk_json_add_strv (builder, "sasl", self->sasl);
  lk_json_add_strv (builder, "domains", self->domains);
  lk_json_add_strv (builder, "mx", self->mx);
  lk_json_add_string (builder, "ca_file", self->ca_file);
  lk_json_add_optional_string (builder, "notes", self->notes);
  lk_json_add_optional_string (builder, "client_id_help", self->client_id_help);
  if (self->authorization_params[0] != NULL)
    {
      json_builder_set_member_name (builder, "authorization_params");
      json_builder_begin_object (builder);
      for (guint i = 0; self->authorization_params[i] != NULL &&
                        self->authorization_params[i + 1] != NULL; i += 2)
        lk_json_add_string (builder, self->authorization_params[i],
                            self->authorization_params[i + 1]);
      json_builder_end_object (builder);
    }
  lk_json_add_boolean (builder, "device_flow", self->device_flow);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return lk_json_to_data (root, TRUE, length);
}

/**
 * lk_provider_copy_with:
 * @tenant: (nullable): a tenant to put in place of the profile's
 * @client_id: (nullable): a client id to put in place of the profile's
 *
 * Organisation profiles are the built-in ones with these two filled in.
 */
LkProvider *
lk_provider_copy_with (LkProvider *self,
                       const char *tenant,
                       const char *client_id)
{
  g_autofree char *data = lk_provider_to_data (self, NULL);
  g_autoptr(LkProvider) copy = lk_provider_new_from_data (data, -1, self->origin, NULL);

  g_return_val_if_fail (copy != NULL, NULL);
  if (tenant != NULL)
    {
      g_free (copy->tenant);
      copy->tenant = g_strdup (tenant);
    }
  if (client_id != NULL)
    {
      g_free (copy->client_id);
      copy->client_id = g_strdup (client_id);
    }
  return g_steal_pointer (&copy);
}

/**
 * lk_provider_dup_endpoint:
 * @tenant: (nullable): the account's tenant; NULL uses the profile's, then
 *   "common"
 *
 * Returns: (nullable): the endpoint with "{tenant}" replaced, escaped for a
 *   URL path segment.
 */
char *
lk_provider_dup_endpoint (LkProvider *self,
                          LkEndpoint  endpoint,
                          const char *tenant)
{
  const char *template = NULL;
  g_autofree char *escaped = NULL;
  g_autoptr(GString) s = NULL;

  switch (endpoint)
    {
    case LK_ENDPOINT_AUTHORIZATION:
      template = self->authorization_endpoint;
      break;
    case LK_ENDPOINT_TOKEN:
      template = self->token_endpoint;
      break;
    case LK_ENDPOINT_DEVICE_AUTHORIZATION:
      template = self->device_authorization_endpoint;
      break;
    case LK_ENDPOINT_ISSUER:
      template = self->issuer;
      break;
    default:
      g_return_val_if_reached (NULL);
    }
  if (template == NULL)
    return NULL;
  if (tenant == NULL || *tenant == '\0')
    tenant = self->tenant;
  if (tenant == NULL || *tenant == '\0')
    tenant = "common";
  escaped = g_uri_escape_string (tenant, NULL, FALSE);
  s = g_string_new (template);
  g_string_replace (s, "{tenant}", escaped, 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/**
 * lk_provider_dup_scope_string:
 *
 * Returns: the space-separated scopes for @protocols plus the extra ones,
 *   each once, in profile order.
 */
char *
lk_provider_dup_scope_string (LkProvider      *self,
                              LkProtocolFlags  protocols)
{
  g_autoptr(GPtrArray) seen = g_ptr_array_new ();
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i <= LK_N_PROTOCOLS; i++)
    {
      char **list = i < LK_N_PROTOCOLS ? self->scopes[i] : self->extra_scopes;

      if (i < LK_N_PROTOCOLS && !(protocols & (1 << i)))
        continue;
      for (guint j = 0; list[j] != NULL; j++)
        {
          if (g_ptr_array_find_with_equal_func (seen, list[j], g_str_equal, NULL))
            continue;
          g_ptr_array_add (seen, list[j]);
          if (s->len > 0)
            g_string_append_c (s, ' ');
          g_string_append (s, list[j]);
        }
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

const LkServer *
lk_provider_get_server (LkProvider *self,
                        LkProtocol  protocol)
{
  g_return_val_if_fail (protocol < LK_N_PROTOCOLS, NULL);
  return self->servers[protocol].host != NULL ? &self->servers[protocol] : NULL;
}

LkProtocolFlags
lk_provider_get_protocols (LkProvider *self)
{
  LkProtocolFlags flags = 0;

  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    if (self->servers[i].host != NULL)
      flags |= 1 << i;
  return flags;
}

/**
 * lk_provider_get_client_secret:
 *
 * Google requires a client secret even from desktop clients, where it is
 * not confidential; like client ids, it comes from the profile, then from
 * a build option (meson -Dgoogle_client_secret=…).
 *
 * Returns: (nullable): the client secret to send, or NULL for none
 */
const char *
lk_provider_get_client_secret (LkProvider *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->client_secret != NULL && *self->client_secret != '\0')
    return self->client_secret;
  if (g_strcmp0 (self->id, "google") == 0 && *LK_CLIENT_SECRET_GOOGLE != '\0')
    return LK_CLIENT_SECRET_GOOGLE;
  return NULL;
}
