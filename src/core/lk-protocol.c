/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-protocol.h"

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
