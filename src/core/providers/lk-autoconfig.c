/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-providers"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "providers/lk-autoconfig.h"

/* Bounds that no real file comes near; they keep a hostile one small. */
#define MAX_SERVERS  64
#define MAX_DOMAINS  1024
#define MAX_TEXT     4096
#define MAX_AUTH     16

G_DEFINE_BOXED_TYPE (LkAutoconfig, lk_autoconfig, lk_autoconfig_ref, lk_autoconfig_unref)

static void
server_free (LkAutoconfigServer *server)
{
  g_free (server->hostname);
  g_free (server->username);
  g_strfreev (server->authentication);
  g_free (server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkAutoconfigServer, server_free)

LkAutoconfig *
lk_autoconfig_ref (LkAutoconfig *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
lk_autoconfig_unref (LkAutoconfig *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->id);
  g_free (self->display_name);
  g_free (self->display_short_name);
  g_strfreev (self->domains);
  g_ptr_array_unref (self->servers);
  g_free (self->oauth2_issuer);
  g_free (self->oauth2_scope);
  g_free (self->oauth2_auth_url);
  g_free (self->oauth2_token_url);
  g_free (self);
}

typedef struct
{
  LkAutoconfig       *config;
  GPtrArray          *stack;          /* element names, owned */
  GString            *text;
  GStrvBuilder       *domains;
  guint               n_domains;
  LkAutoconfigServer *server;         /* the server being read, or NULL */
  gboolean            skip_server;    /* inside a server of a type we ignore */
  gboolean            has_port;
  gboolean            has_socket_type;
  GStrvBuilder       *auth;
  guint               n_auth;
  gboolean            seen_root;
} ParseState;

static void
parse_state_clear (ParseState *state)
{
  g_clear_pointer (&state->stack, g_ptr_array_unref);
  if (state->text != NULL)
    g_string_free (state->text, TRUE);
  g_clear_pointer (&state->domains, g_strv_builder_unref);
  g_clear_pointer (&state->server, server_free);
  g_clear_pointer (&state->auth, g_strv_builder_unref);
}

static const char *
parent_name (ParseState *state,
             guint       up)
{
  if (state->stack->len < up + 1)
    return NULL;
  return g_ptr_array_index (state->stack, state->stack->len - 1 - up);
}

static gboolean
bad (GError    **error,
     const char *what)
{
  g_set_error (error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
               /* Translators: %s says what is wrong, e.g. "a server has no hostname" */
               _("The autoconfig file is malformed: %s."), what);
  return FALSE;
}

/* Not g_markup_collect_attributes(): it refuses attributes it was not told
 * about, and later versions of the format may add some. */
static const char *
find_attribute (const char **names,
                const char **values,
                const char  *name)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (strcmp (names[i], name) == 0)
      return values[i];
  return NULL;
}

static void
start_element_cb (GMarkupParseContext  *context,
                  const char           *element,
                  const char          **names,
                  const char          **values,
                  gpointer              user_data,
                  GError              **error)
{
  ParseState *state = user_data;
  const char *parent = parent_name (state, 0);
  guint depth = state->stack->len;

  g_string_truncate (state->text, 0);
  g_ptr_array_add (state->stack, g_strdup (element));

  if (depth == 0)
    {
      if (strcmp (element, "clientConfig") != 0)
        {
          bad (error, _("it does not start with <clientConfig>"));
          return;
        }
      state->seen_root = TRUE;
      return;
    }

  if (depth == 1 && strcmp (element, "emailProvider") == 0)
    {
      const char *id = find_attribute (names, values, "id");

      if (state->config->id == NULL && id != NULL)
        state->config->id = g_strdup (id);
      return;
    }

  if (depth == 2 && g_strcmp0 (parent, "emailProvider") == 0 &&
      (strcmp (element, "incomingServer") == 0 || strcmp (element, "outgoingServer") == 0))
    {
      gboolean incoming = element[0] == 'i';
      const char *type = find_attribute (names, values, "type");
      LkProtocol protocol;

      if (incoming && g_strcmp0 (type, "imap") == 0)
        protocol = LK_PROTOCOL_IMAP;
      else if (incoming && g_strcmp0 (type, "pop3") == 0)
        protocol = LK_PROTOCOL_POP;
      else if (!incoming && g_strcmp0 (type, "smtp") == 0)
        protocol = LK_PROTOCOL_SMTP;
      else
        {
          state->skip_server = TRUE;  /* exchange, ews, jmap…: not ours */
          return;
        }
      if (state->config->servers->len >= MAX_SERVERS)
        {
          bad (error, _("it lists too many servers"));
          return;
        }
      state->server = g_new0 (LkAutoconfigServer, 1);
      state->server->protocol = protocol;
      state->has_port = FALSE;
      state->has_socket_type = FALSE;
      state->auth = g_strv_builder_new ();
      state->n_auth = 0;
    }
}

static gboolean
parse_port (const char *text,
            guint16    *out)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 1, 65535, &value, NULL))
    return FALSE;
  *out = (guint16) value;
  return TRUE;
}

static gboolean
plausible_hostname (const char *text)
{
  if (*text == '\0' || strlen (text) > 253)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p <= ' ' || strchr ("/\\:@?#[]<>\"'", *p) != NULL)
      return FALSE;
  return TRUE;
}

static void
set_once (char       **field,
          const char  *text)
{
  if (*field == NULL && *text != '\0')
    *field = g_strdup (text);
}

static gboolean
end_server (ParseState  *state,
            GError     **error)
{
  g_autoptr(LkAutoconfigServer) server = g_steal_pointer (&state->server);
  const char *name = lk_protocol_to_string (server->protocol);

  server->authentication = g_strv_builder_end (state->auth);
  g_clear_pointer (&state->auth, g_strv_builder_unref);
  if (server->hostname == NULL)
    {
      g_autofree char *what = g_strdup_printf (_("the %s server has no hostname"), name);
      return bad (error, what);
    }
  if (!state->has_port)
    {
      g_autofree char *what = g_strdup_printf (_("the %s server has no port"), name);
      return bad (error, what);
    }
  if (!state->has_socket_type)
    {
      g_autofree char *what = g_strdup_printf (_("the %s server has no socketType"), name);
      return bad (error, what);
    }
  g_ptr_array_add (state->config->servers, g_steal_pointer (&server));
  return TRUE;
}

static gboolean
end_server_child (ParseState  *state,
                  const char  *element,
                  const char  *text,
                  GError     **error)
{
  LkAutoconfigServer *server = state->server;

  if (strcmp (element, "hostname") == 0)
    {
      if (!plausible_hostname (text))
        return bad (error, _("a server’s hostname is not a host name"));
      g_free (server->hostname);
      server->hostname = g_strdup (text);
    }
  else if (strcmp (element, "port") == 0)
    {
      if (!parse_port (text, &server->port))
        return bad (error, _("a server’s port is not a number from 1 to 65535"));
      state->has_port = TRUE;
    }
  else if (strcmp (element, "socketType") == 0)
    {
      if (g_ascii_strcasecmp (text, "SSL") == 0)
        server->security = LK_SECURITY_TLS;
      else if (g_ascii_strcasecmp (text, "STARTTLS") == 0)
        server->security = LK_SECURITY_STARTTLS;
      else if (g_ascii_strcasecmp (text, "plain") == 0)
        server->security = LK_SECURITY_NONE;
      else
        return bad (error, _("a server’s socketType is not SSL, STARTTLS or plain"));
      state->has_socket_type = TRUE;
    }
  else if (strcmp (element, "username") == 0)
    {
      g_free (server->username);
      server->username = g_strdup (text);
    }
  else if (strcmp (element, "authentication") == 0 && *text != '\0')
    {
      if (++state->n_auth > MAX_AUTH)
        return bad (error, _("a server lists too many authentication methods"));
      g_strv_builder_add (state->auth, text);
    }
  return TRUE;
}

static void
end_element_cb (GMarkupParseContext  *context,
                const char           *element,
                gpointer              user_data,
                GError              **error)
{
  ParseState *state = user_data;
  g_autofree char *text = g_strstrip (g_strdup (state->text->str));
  const char *parent = parent_name (state, 1);
  guint depth = state->stack->len - 1;   /* of the element that ends */
  LkAutoconfig *config = state->config;

  g_string_truncate (state->text, 0);
  g_ptr_array_set_size (state->stack, depth);

  if (depth == 2 && g_strcmp0 (parent, "emailProvider") == 0)
    {
      if (strcmp (element, "domain") == 0 && *text != '\0')
        {
          if (++state->n_domains > MAX_DOMAINS)
            {
              bad (error, _("it lists too many domains"));
              return;
            }
          g_strv_builder_add (state->domains, text);
        }
      else if (strcmp (element, "displayName") == 0)
        set_once (&config->display_name, text);
      else if (strcmp (element, "displayShortName") == 0)
        set_once (&config->display_short_name, text);
      else if (state->server != NULL &&
               (strcmp (element, "incomingServer") == 0 || strcmp (element, "outgoingServer") == 0))
        end_server (state, error);
      else if (state->skip_server &&
               (strcmp (element, "incomingServer") == 0 || strcmp (element, "outgoingServer") == 0))
        state->skip_server = FALSE;
    }
  else if (depth == 3 && state->server != NULL)
    end_server_child (state, element, text, error);
  else if (depth == 2 && g_strcmp0 (parent, "oAuth2") == 0)
    {
      if (strcmp (element, "issuer") == 0)
        set_once (&config->oauth2_issuer, text);
      else if (strcmp (element, "scope") == 0)
        set_once (&config->oauth2_scope, text);
      else if (strcmp (element, "authURL") == 0)
        set_once (&config->oauth2_auth_url, text);
      else if (strcmp (element, "tokenURL") == 0)
        set_once (&config->oauth2_token_url, text);
    }
}

static void
text_cb (GMarkupParseContext  *context,
         const char           *text,
         gsize                 length,
         gpointer              user_data,
         GError              **error)
{
  ParseState *state = user_data;

  if (state->text->len + length > MAX_TEXT)
    {
      bad (error, _("it holds an element with too much text"));
      return;
    }
  g_string_append_len (state->text, text, (gssize) length);
}

static const GMarkupParser parser = {
  start_element_cb,
  end_element_cb,
  text_cb,
  NULL,
  NULL,
};

/**
 * lk_autoconfig_parse:
 * @data: the file's bytes, which need not be NUL-terminated when @length
 *   is given
 * @length: the length of @data, or -1 if it is NUL-terminated
 *
 * Parses a Mozilla clientConfig (version 1.1) document. No network, no file
 * access: anything can be handed to it.
 *
 * Returns: (transfer full): the parsed file, or NULL with
 *   %LK_ERROR_BAD_RESPONSE saying what is wrong
 */
LkAutoconfig *
lk_autoconfig_parse (const char  *data,
                     gssize       length,
                     GError     **error)
{
  g_autoptr(LkAutoconfig) config = g_new0 (LkAutoconfig, 1);
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autoptr(GError) local_error = NULL;
  ParseState state = { 0 };

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  g_atomic_ref_count_init (&config->ref_count);
  config->servers = g_ptr_array_new_with_free_func ((GDestroyNotify) server_free);
  state.config = config;
  state.stack = g_ptr_array_new_with_free_func (g_free);
  state.text = g_string_new (NULL);
  state.domains = g_strv_builder_new ();

  context = g_markup_parse_context_new (&parser, G_MARKUP_TREAT_CDATA_AS_TEXT, &state, NULL);
  /* GLib 2.74's GMarkup may set an error and still return TRUE (seen with
   * a document ending inside a comment): check the error too, and never
   * set it twice. */
  if (!g_markup_parse_context_parse (context, data != NULL ? data : "", length, &local_error) ||
      local_error != NULL ||
      !g_markup_parse_context_end_parse (context, &local_error) ||
      local_error != NULL)
    {
      parse_state_clear (&state);
      if (local_error->domain == LK_ERROR)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                     _("The autoconfig file is not valid XML: %s"), local_error->message);
      return NULL;
    }
  config->domains = g_strv_builder_end (state.domains);
  parse_state_clear (&state);
  if (!state.seen_root)
    {
      bad (error, _("it is empty"));
      return NULL;
    }
  if (config->servers->len == 0)
    {
      bad (error, _("it names no IMAP, POP or SMTP server"));
      return NULL;
    }
  return g_steal_pointer (&config);
}

/**
 * lk_autoconfig_get_server:
 *
 * Returns: (nullable): the first server for @protocol that accepts OAuth2,
 *   or else the first server for @protocol
 */
const LkAutoconfigServer *
lk_autoconfig_get_server (LkAutoconfig *self,
                          LkProtocol    protocol)
{
  const LkAutoconfigServer *first = NULL;

  for (guint i = 0; i < self->servers->len; i++)
    {
      const LkAutoconfigServer *server = g_ptr_array_index (self->servers, i);

      if (server->protocol != protocol)
        continue;
      if (lk_autoconfig_server_has_auth (server, "OAuth2"))
        return server;
      if (first == NULL)
        first = server;
    }
  return first;
}

gboolean
lk_autoconfig_server_has_auth (const LkAutoconfigServer *server,
                               const char               *method)
{
  for (guint i = 0; server->authentication[i] != NULL; i++)
    if (g_ascii_strcasecmp (server->authentication[i], method) == 0)
      return TRUE;
  return FALSE;
}

/* Whether any server accepts OAuth2: only then can Latchkey help. */
gboolean
lk_autoconfig_offers_oauth2 (LkAutoconfig *self)
{
  for (guint i = 0; i < self->servers->len; i++)
    if (lk_autoconfig_server_has_auth (g_ptr_array_index (self->servers, i), "OAuth2"))
      return TRUE;
  return FALSE;
}
