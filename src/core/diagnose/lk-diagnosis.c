/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-diagnose"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "diagnose/lk-diagnosis.h"
#include "lk-error.h"
#include "lk-http.h"
#include "lk-json.h"
#include "lk-text.h"

G_DEFINE_BOXED_TYPE (LkDiagnosis, lk_diagnosis, lk_diagnosis_ref, lk_diagnosis_unref)

static const struct {
  const char *id;
  const char *label;
} fixers[] = {
  [LK_FIXER_USER] = { "user", N_("You") },
  [LK_FIXER_MAILBOX_ADMIN] = { "mailbox-admin", N_("The mailbox's administrator") },
  [LK_FIXER_TENANT_ADMIN] = { "tenant-admin", N_("Your organisation's administrator") },
  [LK_FIXER_APP_OWNER] = { "app-owner", N_("Whoever registered the app (client id)") },
  [LK_FIXER_PROVIDER] = { "provider", N_("The mail provider or the network's operator") },
  [LK_FIXER_LATCHKEY] = { "latchkey", N_("Latchkey's developers (this is a bug)") },
  [LK_FIXER_UNKNOWN] = { "unknown", N_("Not known yet") },
};

static const char * const confidences[] = { "certain", "likely", "unknown" };

const char *
lk_fixer_to_string (LkFixer fixer)
{
  g_return_val_if_fail (fixer < G_N_ELEMENTS (fixers), NULL);
  return fixers[fixer].id;
}

/* Returns: the translated name of who can fix it, for people. */
const char *
lk_fixer_get_label (LkFixer fixer)
{
  g_return_val_if_fail (fixer < G_N_ELEMENTS (fixers), NULL);
  return _(fixers[fixer].label);
}

const char *
lk_confidence_to_string (LkConfidence confidence)
{
  g_return_val_if_fail (confidence < G_N_ELEMENTS (confidences), NULL);
  return confidences[confidence];
}

/**
 * lk_diagnosis_new:
 * @id: the stable id
 * @title: translated one-line title
 * @explanation: translated explanation
 *
 * Used by lk_diagnose(); the steps, commands, portal path, URL and raw reply
 * are filled in afterwards, before the diagnosis is handed out.
 */
LkDiagnosis *
lk_diagnosis_new (const char   *id,
                  LkFixer       fixer,
                  LkConfidence  confidence,
                  const char   *title,
                  const char   *explanation)
{
  LkDiagnosis *self = g_new0 (LkDiagnosis, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->id = g_strdup (id);
  self->fixer = fixer;
  self->confidence = confidence;
  self->title = g_strdup (title);
  self->explanation = g_strdup (explanation);
  self->steps = g_new0 (char *, 1);
  self->commands = g_new0 (char *, 1);
  return self;
}

LkDiagnosis *
lk_diagnosis_ref (LkDiagnosis *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
lk_diagnosis_unref (LkDiagnosis *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->id);
  g_free (self->title);
  g_free (self->explanation);
  g_strfreev (self->steps);
  g_strfreev (self->commands);
  g_free (self->portal_path);
  g_free (self->url);
  g_free (self->raw);
  g_free (self->tenant);
  g_free (self->client_id);
  g_free (self->trace_id);
  g_free (self->correlation_id);
  g_free (self->protocol);
  g_free (self->server);
  g_free (self);
}

static void
strv_append (char     ***strv,
             const char *value)
{
  guint n = g_strv_length (*strv);

  *strv = g_renew (char *, *strv, n + 2);
  (*strv)[n] = g_strdup (value);
  (*strv)[n + 1] = NULL;
}

void
lk_diagnosis_add_step (LkDiagnosis *self,
                       const char  *step)
{
  g_return_if_fail (self != NULL && step != NULL);
  strv_append (&self->steps, step);
}

void
lk_diagnosis_add_command (LkDiagnosis *self,
                          const char  *command)
{
  g_return_if_fail (self != NULL && command != NULL);
  strv_append (&self->commands, command);
}

/**
 * lk_diagnosis_to_json:
 *
 * Returns: (transfer full): an object with every field; `fixer` and
 *   `confidence` are the stable ids, `fixer_label` the translated name.
 */
JsonNode *
lk_diagnosis_to_json (LkDiagnosis *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (self != NULL, NULL);

  json_builder_begin_object (builder);
  lk_json_add_string (builder, "id", self->id);
  lk_json_add_string (builder, "title", self->title);
  lk_json_add_string (builder, "explanation", self->explanation);
  lk_json_add_string (builder, "fixer", lk_fixer_to_string (self->fixer));
  lk_json_add_string (builder, "fixer_label", lk_fixer_get_label (self->fixer));
  lk_json_add_string (builder, "confidence", lk_confidence_to_string (self->confidence));
  lk_json_add_strv (builder, "steps", self->steps);
  lk_json_add_strv (builder, "commands", self->commands);
  lk_json_add_string (builder, "portal_path", self->portal_path);
  lk_json_add_string (builder, "url", self->url);
  lk_json_add_string (builder, "raw", self->raw);
  lk_json_add_string (builder, "url_kind",
                      self->url_kind == LK_DIAGNOSIS_LINK_ADMIN_CONSENT ? "admin-consent" : "info");
  lk_json_add_int (builder, "aadsts", self->aadsts);
  lk_json_add_string (builder, "tenant", self->tenant);
  lk_json_add_string (builder, "client_id", self->client_id);
  lk_json_add_int (builder, "time", self->time);
  lk_json_add_string (builder, "trace_id", self->trace_id);
  lk_json_add_string (builder, "correlation_id", self->correlation_id);
  lk_json_add_string (builder, "protocol", self->protocol);
  lk_json_add_string (builder, "server", self->server);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Text a diagnosis may hold: lk_text_is_plain() but for line breaks and
 * tabs (a server's reply spans lines). */
static gboolean
is_text (const char *text)
{
  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != '\n' && c != '\r' && c != '\t' && lk_text_char_is_control (c))
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_text (JsonObject  *obj,
           const char  *name,
           gboolean     required,
           char       **out,
           GError     **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  const char *text;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (!required)
        return TRUE;
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
           is_text (text = json_node_get_string (node)) && (!required || *text != '\0'))
    {
      *out = g_strdup (text);
      return TRUE;
    }
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
               _("The diagnosis has no readable “%s”"), name);
  return FALSE;
}

static gboolean
read_texts (JsonObject   *obj,
            const char   *name,
            char       ***out,
            GError      **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  JsonArray *array;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("The diagnosis has no readable “%s”"), name);
      return FALSE;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING ||
          !is_text (json_node_get_string (element)))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                       _("The diagnosis has no readable “%s”"), name);
          return FALSE;
        }
      strv_append (out, json_node_get_string (element));
    }
  return TRUE;
}

static gboolean
lookup_fixer (const char *id,
              LkFixer    *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixers); i++)
    if (g_strcmp0 (fixers[i].id, id) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

/**
 * lk_diagnosis_new_from_json:
 * @node: what lk_diagnosis_to_json() wrote, as kept in an account file
 *
 * Reads a diagnosis back, as it was made: its texts are in the language of
 * the moment it was made, and carry the values of then. Read as data from
 * a file: texts must be text (lk_text_is_plain(), but for line breaks), the
 * link a URL Latchkey would open (lk_http_check_url()).
 *
 * Returns: (transfer full) (nullable): the diagnosis, or %NULL with
 *   %LK_ERROR_INVALID_INPUT
 */
LkDiagnosis *
lk_diagnosis_new_from_json (JsonNode  *node,
                            GError   **error)
{
  g_autoptr(LkDiagnosis) self = NULL;
  g_autofree char *id = NULL;
  g_autofree char *title = NULL;
  g_autofree char *explanation = NULL;
  JsonObject *obj;
  LkFixer fixer = LK_FIXER_UNKNOWN;
  guint confidence = LK_CONFIDENCE_UNKNOWN;

  g_return_val_if_fail (node != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("The diagnosis is not a JSON object"));
      return NULL;
    }
  obj = json_node_get_object (node);
  if (!read_text (obj, "id", TRUE, &id, error) ||
      !read_text (obj, "title", TRUE, &title, error) ||
      !read_text (obj, "explanation", FALSE, &explanation, error))
    return NULL;
  lookup_fixer (lk_json_get_string (obj, "fixer"), &fixer);
  for (guint i = 0; i < G_N_ELEMENTS (confidences); i++)
    if (g_strcmp0 (confidences[i], lk_json_get_string (obj, "confidence")) == 0)
      confidence = i;
  self = lk_diagnosis_new (id, fixer, confidence, title, explanation);
  if (!read_texts (obj, "steps", &self->steps, error) ||
      !read_texts (obj, "commands", &self->commands, error) ||
      !read_text (obj, "portal_path", FALSE, &self->portal_path, error) ||
      !read_text (obj, "url", FALSE, &self->url, error) ||
      !read_text (obj, "raw", FALSE, &self->raw, error) ||
      !read_text (obj, "tenant", FALSE, &self->tenant, error) ||
      !read_text (obj, "client_id", FALSE, &self->client_id, error) ||
      !read_text (obj, "trace_id", FALSE, &self->trace_id, error) ||
      !read_text (obj, "correlation_id", FALSE, &self->correlation_id, error) ||
      !read_text (obj, "protocol", FALSE, &self->protocol, error) ||
      !read_text (obj, "server", FALSE, &self->server, error))
    return NULL;
  if (self->url != NULL && !lk_http_check_url (self->url, NULL))
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("The diagnosis’s link is not a web address Latchkey opens"));
      return NULL;
    }
  if (g_strcmp0 (lk_json_get_string (obj, "url_kind"), "admin-consent") == 0)
    self->url_kind = LK_DIAGNOSIS_LINK_ADMIN_CONSENT;
  self->aadsts = (guint) CLAMP (lk_json_get_int (obj, "aadsts", 0), 0, G_MAXUINT);
  self->time = MAX (lk_json_get_int (obj, "time", 0), 0);
  return g_steal_pointer (&self);
}

/**
 * lk_diagnosis_to_text:
 *
 * Returns: (transfer full): the diagnosis as a few indented lines for a
 *   terminal, as the CLI prints it under a failed line.
 */
char *
lk_diagnosis_to_text (LkDiagnosis *self)
{
  g_autoptr(GString) s = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, NULL);

  g_string_append_printf (s, "%s\n", self->title);
  g_string_append_printf (s, "  %s\n", self->explanation);
  /* Translators: followed by who can fix the problem, e.g. "You" */
  g_string_append_printf (s, "  %s %s\n", _("Who can fix it:"), lk_fixer_get_label (self->fixer));
  for (guint i = 0; self->steps[i] != NULL; i++)
    g_string_append_printf (s, "  %u. %s\n", i + 1, self->steps[i]);
  if (self->portal_path != NULL)
    g_string_append_printf (s, "  %s %s\n", _("Where:"), self->portal_path);
  if (self->url != NULL)
    g_string_append_printf (s, "  %s %s\n", _("Link:"), self->url);
  if (self->commands[0] != NULL)
    {
      g_string_append_printf (s, "  %s\n", _("Commands (Exchange Online PowerShell):"));
      for (guint i = 0; self->commands[i] != NULL; i++)
        g_string_append_printf (s, "    %s\n", self->commands[i]);
    }
  if (self->raw != NULL)
    g_string_append_printf (s, "  %s %s\n", _("The server said:"), self->raw);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
append_fact (GString    *s,
             const char *label,
             const char *value)
{
  if (value != NULL && *value != '\0')
    g_string_append_printf (s, "%s %s\n", label, value);
}

static void
append_block (GString    *s,
              const char *label,
              const char *text)
{
  if (text == NULL || *text == '\0')
    return;
  g_string_append_printf (s, "%s\n%s", label, text);
  if (!g_str_has_suffix (text, "\n"))
    g_string_append_c (s, '\n');
}

/**
 * lk_diagnosis_to_support_text:
 * @transcript: (nullable): the redacted conversation with the mail server
 * @connection: (nullable): the connection's TLS details (version,
 *   certificate)
 *
 * What "Copy Details for IT" puts on the clipboard: a plain-text block with
 * what failed and everything an administrator or the provider's support
 * looks the failure up by (AADSTS code, tenant, client id, time, trace and
 * correlation ids, protocol, server, the server's reply). A diagnosis holds
 * no secret and @transcript is redacted, so neither does this.
 *
 * Returns: (transfer full): the text, lines ending in "\n"
 */
char *
lk_diagnosis_to_support_text (LkDiagnosis *self,
                              const char  *transcript,
                              const char  *connection)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *aadsts = NULL;
  g_autofree char *time = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->aadsts != 0)
    aadsts = g_strdup_printf ("AADSTS%u", self->aadsts);
  if (self->time != 0)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (self->time);

      time = when != NULL ? g_date_time_format_iso8601 (when) : NULL;
    }

  g_string_append_printf (s, "%s\n", self->title);
  /* Translators: the labels of "Copy Details for IT"; each is followed by a
   * value. Keep them short: IT pastes the block into a support request. */
  append_fact (s, _("Problem:"), self->id);
  append_fact (s, _("Error code:"), aadsts);
  append_fact (s, _("Protocol:"), self->protocol);
  append_fact (s, _("Server:"), self->server);
  append_fact (s, _("Tenant:"), self->tenant);
  append_fact (s, _("Client ID:"), self->client_id);
  append_fact (s, _("Time (UTC):"), time);
  append_fact (s, _("Trace ID:"), self->trace_id);
  append_fact (s, _("Correlation ID:"), self->correlation_id);
  append_fact (s, _("Who can fix it:"), lk_fixer_get_label (self->fixer));
  append_fact (s, _("Where:"), self->portal_path);
  append_fact (s, _("Link:"), self->url);
  append_fact (s, _("The server said:"), self->raw);
  append_block (s, _("Transcript:"), transcript);
  append_block (s, _("Connection:"), connection);
  return g_string_free (g_steal_pointer (&s), FALSE);
}
