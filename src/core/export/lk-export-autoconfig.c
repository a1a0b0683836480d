/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-export-private.h"

/* Mozilla autoconfig, clientConfig 1.1, for IT to host at
 * https://autoconfig.DOMAIN/mail/config-v1.1.xml. */

static const char *
socket_type (LkSecurity security)
{
  return security == LK_SECURITY_TLS ? "SSL" : security == LK_SECURITY_STARTTLS ? "STARTTLS" : "plain";
}

static void
add_server (GString        *out,
            const char     *element,
            const char     *type,
            const LkServer *server)
{
  g_autofree char *host = g_markup_escape_text (server->host, -1);

  g_string_append_printf (out,
                          "    <%s type=\"%s\">\n"
                          "      <hostname>%s</hostname>\n"
                          "      <port>%u</port>\n"
                          "      <socketType>%s</socketType>\n"
                          "      <username>%%EMAILADDRESS%%</username>\n"
                          "      <authentication>OAuth2</authentication>\n"
                          "    </%s>\n",
                          element, type, host, server->port, socket_type (server->security), element);
}

static void
add_text (GString    *out,
          const char *indent,
          const char *element,
          const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);
  g_string_append_printf (out, "%s<%s>%s</%s>\n", indent, element, escaped, element);
}

static GPtrArray *
generate (LkAccount             *account,
          const LkExportContext *context,
          GError               **error)
{
  LkProvider *provider = account->provider;
  LkProtocolFlags protocols = lk_export_protocols (&lk_exporter_autoconfig, account);
  const char *domain = strrchr (account->email, '@');
  const char *tenant = lk_account_get_tenant (account);
  g_autoptr(GString) header = NULL;
  g_autofree char *comment = NULL;
  g_autofree char *issuer = lk_provider_dup_endpoint (provider, LK_ENDPOINT_ISSUER, tenant);
  g_autofree char *auth_url = lk_provider_dup_endpoint (provider, LK_ENDPOINT_AUTHORIZATION, tenant);
  g_autofree char *token_url = lk_provider_dup_endpoint (provider, LK_ENDPOINT_TOKEN, tenant);
  g_autofree char *scope = lk_provider_dup_scope_string (provider, protocols);
  g_autoptr(GUri) issuer_uri = NULL;
  GString *out;

  if (!lk_export_require (protocols, LK_PROTOCOL_FLAG_ALL, &lk_exporter_autoconfig, error))
    return NULL;
  domain = domain != NULL ? domain + 1 : account->email;

  /* "--" may not appear inside an XML comment. */
  header = lk_export_header (&lk_exporter_autoconfig, account, context, "  ", NULL);
  {
    g_auto(GStrv) parts = g_strsplit (header->str, "--", -1);
    comment = g_strjoinv ("- -", parts);
  }

  out = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!--\n");
  g_string_append (out, comment);
  g_string_append (out, "-->\n<clientConfig version=\"1.1\">\n");
  {
    g_autofree char *id = g_markup_escape_text (domain, -1);
    g_string_append_printf (out, "  <emailProvider id=\"%s\">\n", id);
  }
  add_text (out, "    ", "domain", domain);
  add_text (out, "    ", "displayName", provider->name);
  add_text (out, "    ", "displayShortName", provider->name);
  for (LkProtocol p = LK_PROTOCOL_IMAP; p <= LK_PROTOCOL_POP; p++)
    if (protocols & (1 << p))
      add_server (out, "incomingServer", p == LK_PROTOCOL_IMAP ? "imap" : "pop3",
                  lk_export_server (account, p));
  if (protocols & LK_PROTOCOL_FLAG_SMTP)
    add_server (out, "outgoingServer", "smtp", lk_export_server (account, LK_PROTOCOL_SMTP));
  g_string_append (out, "  </emailProvider>\n");

  g_string_append (out, "  <oAuth2>\n");
  if (issuer != NULL)
    issuer_uri = g_uri_parse (issuer, G_URI_FLAGS_NONE, NULL);
  if (issuer_uri == NULL && auth_url != NULL)
    issuer_uri = g_uri_parse (auth_url, G_URI_FLAGS_NONE, NULL);
  if (issuer_uri != NULL && g_uri_get_host (issuer_uri) != NULL)
    add_text (out, "    ", "issuer", g_uri_get_host (issuer_uri));
  if (scope != NULL && *scope != '\0')
    add_text (out, "    ", "scope", scope);
  if (auth_url != NULL)
    add_text (out, "    ", "authURL", auth_url);
  if (token_url != NULL)
    add_text (out, "    ", "tokenURL", token_url);
  g_string_append (out, "  </oAuth2>\n</clientConfig>\n");

  return lk_export_single (lk_exporter_autoconfig.path, out);
}

const LkExporter lk_exporter_autoconfig = {
  .id = "autoconfig",
  .name = N_("Mozilla autoconfig"),
  .next_step = N_("For IT: publish it as https://autoconfig.DOMAIN/mail/config-v1.1.xml."),
  .path = "config-v1.1.xml",
  .is_block = FALSE,
  .include_hint = NULL,
  .protocols = LK_PROTOCOL_FLAG_ALL,
  .uses_token_command = FALSE,
  .formats = NULL,
  .generate = generate,
};
