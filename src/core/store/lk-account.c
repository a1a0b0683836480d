/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-json.h"
#include "lk-text.h"
#include "store/lk-account.h"

G_DEFINE_BOXED_TYPE (LkAccount, lk_account, lk_account_ref, lk_account_unref)

static const char * const flow_names[] = { "browser", "device", "app-only" };

/* A program setting up an account a hundred times is kept to its last few. */
#define MAX_EXPORTS 32
/* The account file's own strings, besides the address and the provider
 * (which lk_provider_new_from_data() checks). */
static const char * const plain_fields[] = { "login", "tenant", "client_id", "display_name" };
static const char * const state_names[] = { "untested", "working", "failing", "needs-sign-in" };

/* Build-time client ids (meson -D…_client_id), the last place looked. */
static const struct {
  const char *provider_id;
  const char *client_id;
} builtin_client_ids[] = {
  { "microsoft365", LK_CLIENT_ID_MICROSOFT365 },
  { "outlook", LK_CLIENT_ID_OUTLOOK },
  { "google", LK_CLIENT_ID_GOOGLE },
  { "yahoo", LK_CLIENT_ID_YAHOO },
  { "aol", LK_CLIENT_ID_AOL },
  { "fastmail", LK_CLIENT_ID_FASTMAIL },
  { "zoho", LK_CLIENT_ID_ZOHO },
  /* One Zoho client serves every region once multi-DC is switched on. */
  { "zoho-eu", LK_CLIENT_ID_ZOHO },
  { "zoho-in", LK_CLIENT_ID_ZOHO },
  { "zoho-au", LK_CLIENT_ID_ZOHO },
  { "zoho-jp", LK_CLIENT_ID_ZOHO },
};

/**
 * lk_email_is_valid:
 *
 * A deliberately plain check: one "@", something on each side, a dot in the
 * domain, no spaces or control characters. Servers decide the rest.
 */
gboolean
lk_email_is_valid (const char *email)
{
  const char *at;

  if (email == NULL || !g_utf8_validate (email, -1, NULL) || strlen (email) > 254)
    return FALSE;
  for (const char *p = email; *p != '\0'; p++)
    if ((guchar) *p <= ' ' || *p == 0x7f)
      return FALSE;
  at = strrchr (email, '@');
  if (at == NULL || at == email || at[1] == '\0' || strchr (email, '@') != at)
    return FALSE;
  if (strchr (at + 1, '.') == NULL || at[1] == '.' || email[strlen (email) - 1] == '.')
    return FALSE;
  return TRUE;
}

static void
account_export_free (gpointer data)
{
  LkAccountExport *export = data;

  g_free (export->client);
  g_free (export->path);
  g_free (export);
}

LkAccount *
lk_account_new (const char *email,
                LkProvider *provider)
{
  LkAccount *self;

  g_return_val_if_fail (email != NULL, NULL);
  g_return_val_if_fail (provider != NULL, NULL);

  self = g_new0 (LkAccount, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->email = g_strdup (email);
  self->provider = lk_provider_ref (provider);
  self->protocols = lk_provider_get_protocols (provider);
  self->created = g_get_real_time () / G_USEC_PER_SEC;
  self->exports = g_ptr_array_new_with_free_func (account_export_free);
  return self;
}

LkAccount *
lk_account_ref (LkAccount *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
lk_account_unref (LkAccount *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->email);
  g_free (self->login);
  g_clear_pointer (&self->provider, lk_provider_unref);
  g_free (self->tenant);
  g_free (self->client_id);
  g_free (self->display_name);
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    {
      g_free (self->tests[i].summary);
      g_free (self->tests[i].diagnosis);
      g_clear_pointer (&self->tests[i].details, json_node_unref);
    }
  g_clear_pointer (&self->exports, g_ptr_array_unref);
  g_free (self);
}

/**
 * lk_account_set_test:
 * @summary: (nullable): see #LkProtocolTest
 * @diagnosis: (nullable): the diagnosis's id when it failed
 *
 * Records the last test of @protocol (LkAccountCheck does, for the GUI, the
 * CLI and the bridge alike); saved with the account.
 */
void
lk_account_set_test (LkAccount  *self,
                     LkProtocol  protocol,
                     gint64      tested_at,
                     gboolean    ok,
                     const char *summary,
                     const char *diagnosis)
{
  LkProtocolTest *test;

  g_return_if_fail (self != NULL);
  g_return_if_fail (protocol < LK_N_PROTOCOLS);

  test = &self->tests[protocol];
  test->tested_at = tested_at;
  test->ok = ok;
  g_free (test->summary);
  test->summary = g_strdup (summary);
  g_free (test->diagnosis);
  test->diagnosis = g_strdup (diagnosis);
  g_clear_pointer (&test->details, json_node_unref);
}

/**
 * lk_account_set_test_details:
 * @details: (nullable): the diagnosis of the failed test as a JSON object
 *   (lk_diagnosis_to_json()); anything else is dropped
 *
 * Keeps the whole diagnosis of @protocol's last test beside its id, for the
 * account page; call it after lk_account_set_test().
 */
void
lk_account_set_test_details (LkAccount  *self,
                             LkProtocol  protocol,
                             JsonNode   *details)
{
  LkProtocolTest *test;

  g_return_if_fail (self != NULL);
  g_return_if_fail (protocol < LK_N_PROTOCOLS);

  test = &self->tests[protocol];
  g_clear_pointer (&test->details, json_node_unref);
  if (details != NULL && JSON_NODE_HOLDS_OBJECT (details))
    test->details = json_node_copy (details);
}

/**
 * lk_account_add_export:
 * @client: the exporter's id
 * @path: the file written, absolute
 * @at: when, Unix time
 *
 * Records that @client's configuration for the account was written to
 * @path; an earlier record of the same client and file is replaced.
 */
void
lk_account_add_export (LkAccount  *self,
                       const char *client,
                       const char *path,
                       gint64      at)
{
  LkAccountExport *export;

  g_return_if_fail (self != NULL);
  g_return_if_fail (client != NULL && path != NULL);

  for (guint i = 0; i < self->exports->len; i++)
    {
      LkAccountExport *old = g_ptr_array_index (self->exports, i);

      if (g_str_equal (old->client, client) && g_str_equal (old->path, path))
        {
          g_ptr_array_remove_index (self->exports, i);
          break;
        }
    }
  export = g_new0 (LkAccountExport, 1);
  export->client = g_strdup (client);
  export->path = g_strdup (path);
  export->at = at;
  g_ptr_array_insert (self->exports, 0, export);
  if (self->exports->len > MAX_EXPORTS)
    g_ptr_array_set_size (self->exports, MAX_EXPORTS);
}

const char *
lk_flow_to_string (LkFlow flow)
{
  g_return_val_if_fail (flow <= LK_FLOW_APP_ONLY, NULL);
  return flow_names[flow];
}

const char *
lk_account_state_to_string (LkAccountState state)
{
  g_return_val_if_fail (state <= LK_ACCOUNT_STATE_NEEDS_SIGN_IN, NULL);
  return state_names[state];
}

static gboolean
lookup_name (const char * const *names,
             guint               n_names,
             const char         *value,
             guint              *out)
{
  for (guint i = 0; i < n_names; i++)
    if (g_strcmp0 (names[i], value) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

/* "tests": {"imap": {"at": 1767225600, "ok": false, "summary": "…",
 * "diagnosis": "smtp-auth-disabled-tenant"}, …}; a member of the wrong
 * type, or a protocol Latchkey does not know, reads as not tested. */
static void
read_tests (LkAccount  *self,
            JsonObject *tests)
{
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    {
      JsonNode *node = json_object_get_member (tests, lk_protocol_to_string (i));
      JsonObject *test;

      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        continue;
      test = json_node_get_object (node);
      lk_account_set_test (self, i, MAX (lk_json_get_int (test, "at", 0), 0),
                           lk_json_get_boolean (test, "ok", FALSE),
                           lk_json_get_string (test, "summary"),
                           lk_json_get_string (test, "diagnosis"));
      lk_account_set_test_details (self, i, json_object_get_member (test, "details"));
    }
}

/* "exports": [{"client": "msmtp", "path": "/home/a/.msmtprc", "at": …}, …],
 * newest first; a record that is not plain text, or names no absolute
 * file, is left out: the page shows these as they are. */
static void
read_exports (LkAccount *self,
              JsonArray *exports)
{
  guint n = json_array_get_length (exports);

  for (guint i = MIN (n, MAX_EXPORTS); i-- > 0;)
    {
      JsonNode *node = json_array_get_element (exports, i);
      JsonObject *export;
      const char *client, *path;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      export = json_node_get_object (node);
      client = lk_json_get_string (export, "client");
      path = lk_json_get_string (export, "path");
      if (client == NULL || !lk_text_is_plain (client) || *client == '\0' ||
          path == NULL || !lk_text_is_plain (path) || !g_path_is_absolute (path))
        continue;
      lk_account_add_export (self, client, path, MAX (lk_json_get_int (export, "at", 0), 0));
    }
}

LkAccount *
lk_account_new_from_data (const char  *data,
                          gssize       length,
                          const char  *origin,
                          GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(LkProvider) provider = NULL;
  g_autoptr(LkAccount) self = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *email = NULL;
  g_autofree char *provider_data = NULL;
  g_autofree char *provider_origin = NULL;
  g_autofree char *marked = NULL;
  gsize marked_length;
  g_autofree char *flow = NULL;
  g_autofree char *state = NULL;
  g_autofree char *protocols = NULL;
  JsonObject *obj;
  JsonNode *root;
  JsonNode *node;
  guint value;

  /* A "\u0000" must not cut a value short into something plain. */
  marked = lk_json_dup_marking_nul (data, length, &marked_length);
  if (!json_parser_load_from_data (parser, marked, (gssize) marked_length, &local_error) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("%s: this account file is damaged (%s); remove it and add the "
                     "account again"),
                   origin, local_error ? local_error->message : _("not a JSON object"));
      return NULL;
    }
  obj = json_node_get_object (root);
  email = lk_json_dup_string (obj, "email");
  node = json_object_get_member (obj, "provider");
  if (email == NULL || node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("%s: this account file has no e-mail address or provider; remove it "
                     "and add the account again"), origin);
      return NULL;
    }
  /* Account files are data too (SECURITY.md "How values are validated"):
   * what is read here ends up in exports, logs and a mail program's login. */
  if (!lk_email_is_valid (email))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("%s: the e-mail address in this account file is not valid; remove it "
                     "and add the account again"), origin);
      return NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (plain_fields); i++)
    {
      const char *value = lk_json_get_string (obj, plain_fields[i]);

      if (value != NULL && !lk_text_is_plain (value))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                       /* Translators: %s the file, then the field's name in it */
                       _("%s: the account file’s “%s” holds control characters; remove the "
                         "account and add it again"), origin, plain_fields[i]);
          return NULL;
        }
    }
  provider_data = lk_json_to_data (node, FALSE, NULL);
  provider_origin = g_strdup_printf ("%s (provider)", origin);
  provider = lk_provider_new_from_data (provider_data, -1, provider_origin, error);
  if (provider == NULL)
    return NULL;

  self = lk_account_new (email, provider);
  self->login = lk_json_dup_string (obj, "login");
  self->tenant = lk_json_dup_string (obj, "tenant");
  self->client_id = lk_json_dup_string (obj, "client_id");
  self->display_name = lk_json_dup_string (obj, "display_name");
  self->created = lk_json_get_int (obj, "created", 0);
  self->last_tested = lk_json_get_int (obj, "last_tested", 0);
  flow = lk_json_dup_string (obj, "flow");
  if (flow != NULL && lookup_name (flow_names, G_N_ELEMENTS (flow_names), flow, &value))
    self->flow = value;
  state = lk_json_dup_string (obj, "state");
  if (state != NULL && lookup_name (state_names, G_N_ELEMENTS (state_names), state, &value))
    self->state = value;
  protocols = lk_json_dup_string (obj, "protocols");
  if (protocols != NULL && !lk_protocol_flags_parse (protocols, &self->protocols, NULL))
    self->protocols = lk_provider_get_protocols (provider);
  /* Files from before per-protocol results have no "tests": never tested. */
  node = json_object_get_member (obj, "tests");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    read_tests (self, json_node_get_object (node));
  node = json_object_get_member (obj, "exports");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    read_exports (self, json_node_get_array (node));
  return g_steal_pointer (&self);
}

char *
lk_account_to_data (LkAccount *self,
                    gsize     *length)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *provider_data = lk_provider_to_data (self->provider, NULL);
  g_autofree char *protocols = lk_protocol_flags_to_string (self->protocols);

  json_builder_begin_object (builder);
  lk_json_add_optional_string (builder, "email", self->email);
  lk_json_add_optional_string (builder, "login", self->login);
  lk_json_add_optional_string (builder, "tenant", self->tenant);
  lk_json_add_optional_string (builder, "client_id", self->client_id);
  lk_json_add_optional_string (builder, "flow", lk_flow_to_string (self->flow));
  lk_json_add_optional_string (builder, "protocols", protocols);
  lk_json_add_optional_string (builder, "state", lk_account_state_to_string (self->state));
  lk_json_add_optional_string (builder, "display_name", self->display_name);
  lk_json_add_int (builder, "created", self->created);
  lk_json_add_int (builder, "last_tested", self->last_tested);
  json_builder_set_member_name (builder, "tests");
  json_builder_begin_object (builder);
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    {
      const LkProtocolTest *test = &self->tests[i];

      if (test->tested_at == 0)
        continue;
      json_builder_set_member_name (builder, lk_protocol_to_string (i));
      json_builder_begin_object (builder);
      lk_json_add_int (builder, "at", test->tested_at);
      lk_json_add_boolean (builder, "ok", test->ok);
      lk_json_add_optional_string (builder, "summary", test->summary);
      lk_json_add_optional_string (builder, "diagnosis", test->diagnosis);
      if (test->details != NULL)
        {
          json_builder_set_member_name (builder, "details");
          json_builder_add_value (builder, json_node_copy (test->details));
        }
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "exports");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->exports->len; i++)
    {
      const LkAccountExport *export = g_ptr_array_index (self->exports, i);

      json_builder_begin_object (builder);
      lk_json_add_string (builder, "client", export->client);
      lk_json_add_string (builder, "path", export->path);
      lk_json_add_int (builder, "at", export->at);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "provider");
  if (json_parser_load_from_data (parser, provider_data, -1, NULL))
    json_builder_add_value (builder, json_node_copy (json_parser_get_root (parser)));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return lk_json_to_data (root, TRUE, length);
}

const char *
lk_account_get_tenant (LkAccount *self)
{
  if (self->tenant != NULL && *self->tenant != '\0')
    return self->tenant;
  return self->provider->tenant;
}

/**
 * lk_account_get_client_id:
 *
 * Returns: (nullable): the client id from, in order, the account, its
 *   profile, and the build options; NULL when none is known.
 */
const char *
lk_account_get_client_id (LkAccount *self)
{
  if (self->client_id != NULL && *self->client_id != '\0')
    return self->client_id;
  if (self->provider->client_id != NULL && *self->provider->client_id != '\0')
    return self->provider->client_id;
  for (guint i = 0; i < G_N_ELEMENTS (builtin_client_ids); i++)
    if (g_strcmp0 (builtin_client_ids[i].provider_id, self->provider->id) == 0 &&
        *builtin_client_ids[i].client_id != '\0')
      return builtin_client_ids[i].client_id;
  return NULL;
}

/* Who signs in: for a shared mailbox, the person, not the mailbox. */
const char *
lk_account_get_login_hint (LkAccount *self)
{
  return self->login != NULL ? self->login : self->email;
}

/* SASL user= is always the mailbox; the token carries who signed in. */
const char *
lk_account_get_sasl_user (LkAccount *self)
{
  return self->email;
}
