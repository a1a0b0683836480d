/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-protocol.h"
#include "lk-text.h"

static const char * const protocol_names[LK_N_PROTOCOLS] = { "imap", "pop", "smtp" };

const char *
lk_protocol_to_string (LkProtocol protocol)
{
  g_return_val_if_fail (protocol < LK_N_PROTOCOLS, NULL);
  return protocol_names[protocol];
}

/**
 * lk_protocol_get_name:
 *
 * Returns: the protocol's name as people write it: "IMAP", "POP", "SMTP"
 *   (lk_protocol_to_string() gives the lower-case id of files and options)
 */
const char *
lk_protocol_get_name (LkProtocol protocol)
{
  static const char * const names[LK_N_PROTOCOLS] = { "IMAP", "POP", "SMTP" };

  g_return_val_if_fail (protocol < LK_N_PROTOCOLS, NULL);
  return names[protocol];
}

gboolean
lk_protocol_from_string (const char *text,
                         LkProtocol *out_protocol)
{
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    if (g_ascii_strcasecmp (text, protocol_names[i]) == 0)
      {
        *out_protocol = (LkProtocol) i;
        return TRUE;
      }
  /* People write "pop3" as often as "pop". */
  if (g_ascii_strcasecmp (text, "pop3") == 0)
    {
      *out_protocol = LK_PROTOCOL_POP;
      return TRUE;
    }
  return FALSE;
}

char *
lk_protocol_flags_to_string (LkProtocolFlags flags)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    if (flags & (1 << i))
      {
        if (s->len > 0)
          g_string_append_c (s, ',');
        g_string_append (s, protocol_names[i]);
      }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

gboolean
lk_protocol_flags_parse (const char       *text,
                         LkProtocolFlags  *out_flags,
                         GError          **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  LkProtocolFlags flags = 0;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      LkProtocol protocol;
      const char *part = g_strstrip (parts[i]);

      if (*part == '\0')
        continue;
      if (!lk_protocol_from_string (part, &protocol))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                       /* Translators: %s is what the user typed */
                       _("Unknown protocol “%s”: use imap, pop or smtp, separated by commas"),
                       part);
          return FALSE;
        }
      flags |= 1 << protocol;
    }
  if (flags == 0)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("No protocol given: use imap, pop or smtp, separated by commas"));
      return FALSE;
    }
  *out_flags = flags;
  return TRUE;
}

static const char * const security_names[] = { "tls", "starttls", "none" };

const char *
lk_security_to_string (LkSecurity security)
{
  g_return_val_if_fail (security <= LK_SECURITY_NONE, NULL);
  return security_names[security];
}

gboolean
lk_security_from_string (const char *text,
                         LkSecurity *out_security)
{
  for (guint i = 0; i < G_N_ELEMENTS (security_names); i++)
    if (g_strcmp0 (text, security_names[i]) == 0)
      {
        *out_security = (LkSecurity) i;
        return TRUE;
      }
  return FALSE;
}

/**
 * lk_host_is_loopback:
 * @host: a host name or address literal, IPv6 with or without brackets
 *
 * Only literal loopback addresses and "localhost" count: a name that merely
 * resolves to 127.0.0.1 could resolve elsewhere tomorrow.
 */
gboolean
lk_host_is_loopback (const char *host)
{
  g_autofree char *bare = NULL;
  g_autoptr(GInetAddress) address = NULL;
  gsize len;

  if (host == NULL || *host == '\0')
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  len = strlen (host);
  if (host[0] == '[' && len > 2 && host[len - 1] == ']')
    bare = g_strndup (host + 1, len - 2);
  else
    bare = g_strdup (host);
  address = g_inet_address_new_from_string (bare);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static gboolean
label_is_valid (const char *label,
                gsize       length)
{
  if (length == 0 || length > 63 || label[0] == '-' || label[length - 1] == '-')
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum (label[i]) && label[i] != '-' && label[i] != '_')
      return FALSE;
  return TRUE;
}

/**
 * lk_host_to_ascii:
 * @host: (nullable): a server's host name as a profile or a person gives it
 *
 * A host is an IPv4 or IPv6 address literal (without brackets or a scope
 * id) or a DNS name: internationalised names are turned into their ASCII
 * (IDNA) form, every label is 1 to 63 letters, digits, hyphens (not first
 * or last) or underscores (Windows networks use them, RFC 2181 §11 allows
 * them), and the whole at most 253 characters, with an optional final dot
 * (RFC 1123 §2.1). Nothing else can reach a mail client's configuration as
 * a host name, so none of its syntax can be smuggled in through one.
 *
 * Returns: (nullable): the host in ASCII (names in lower case), or %NULL
 *   when @host is not one
 */
char *
lk_host_to_ascii (const char *host)
{
  g_autofree char *ascii = NULL;
  const char *label;
  gsize length;

  if (host == NULL || *host == '\0' || !lk_text_is_plain (host))
    return NULL;
  if (g_hostname_is_ip_address (host))
    return strchr (host, '%') == NULL ? g_strdup (host) : NULL;

  ascii = g_hostname_to_ascii (host);
  if (ascii == NULL)
    return NULL;
  length = strlen (ascii);
  if (length > 0 && ascii[length - 1] == '.')
    length--;
  if (length == 0 || length > 253)
    return NULL;
  label = ascii;
  while (label < ascii + length)
    {
      const char *end = memchr (label, '.', ascii + length - label);
      gsize label_length = end != NULL ? (gsize) (end - label) : (gsize) (ascii + length - label);

      if (!label_is_valid (label, label_length))
        return NULL;
      if (end == NULL)
        break;
      label = end + 1;
      if (label == ascii + length)   /* "a..": an empty last label */
        return NULL;
    }
  return g_steal_pointer (&ascii);
}
