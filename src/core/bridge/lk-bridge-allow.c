/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "bridge/lk-bridge-allow.h"
#include "lk-error.h"

/**
 * lk_bridge_allow_parse:
 * @cidrs: (element-type utf8): "192.168.1.0/24", "10.0.0.7" (one host),
 *   "fd00::/8"
 *
 * Returns: (transfer container) (element-type GInetAddressMask): the masks,
 *   or %NULL with a message naming the first that is not one
 */
GPtrArray *
lk_bridge_allow_parse (GPtrArray  *cidrs,
                       GError    **error)
{
  g_autoptr(GPtrArray) allow = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < cidrs->len; i++)
    {
      const char *text = g_ptr_array_index (cidrs, i);
      g_autoptr(GError) local = NULL;
      GInetAddressMask *mask = g_inet_address_mask_new_from_string (text, &local);

      if (mask == NULL)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                       /* Translators: %s is what the user typed */
                       _("“%s” is not an address or a network such as 192.168.1.0/24 (the "
                         "address bits after the prefix must be 0)"), text);
          return NULL;
        }
      g_ptr_array_add (allow, mask);
    }
  return g_steal_pointer (&allow);
}

static guint
prefix_length (const guint8 *bytes,
               gsize         size)
{
  guint length = 0;

  for (gsize i = 0; i < size; i++)
    for (int bit = 7; bit >= 0; bit--)
      {
        if (!(bytes[i] & (1 << bit)))
          return length;
        length++;
      }
  return length;
}

/**
 * lk_bridge_allow_for_interface:
 * @address: an address the bridge listens on
 *
 * The default allow-list of a LAN listener: the subnet of the interface
 * that has @address (getifaddrs(3)), as a printer on the same network is.
 * A wildcard address (0.0.0.0, ::) has no one subnet: the caller must ask
 * for `--allow` instead.
 *
 * Returns: (transfer container) (element-type GInetAddressMask): one mask,
 *   or %NULL when no interface has @address
 */
GPtrArray *
lk_bridge_allow_for_interface (const char  *address,
                               GError     **error)
{
  g_autoptr(GInetAddress) wanted = g_inet_address_new_from_string (address);
  g_autoptr(GPtrArray) allow = g_ptr_array_new_with_free_func (g_object_unref);
  struct ifaddrs *list = NULL;

  if (wanted == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT, _("“%s” is not a numeric address"),
                   address);
      return NULL;
    }
  if (g_inet_address_get_is_any (wanted))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("Listening on %s reaches every network of this machine: say who may "
                     "connect with --allow NETWORK (such as --allow 192.168.1.0/24)"), address);
      return NULL;
    }
  if (getifaddrs (&list) != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   _("Cannot list this machine’s network interfaces; give --allow NETWORK"));
      return NULL;
    }
  for (struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next)
    {
      g_autoptr(GSocketAddress) socket_address = NULL;
      GInetAddress *inet;
      gsize size;
      guint8 network[16];
      const guint8 *mask_bytes;
      g_autoptr(GInetAddress) network_address = NULL;

      if (ifa->ifa_addr == NULL || ifa->ifa_netmask == NULL
          || (ifa->ifa_addr->sa_family != AF_INET && ifa->ifa_addr->sa_family != AF_INET6))
        continue;
      socket_address = g_socket_address_new_from_native (ifa->ifa_addr,
                                                         ifa->ifa_addr->sa_family == AF_INET
                                                         ? sizeof (struct sockaddr_in)
                                                         : sizeof (struct sockaddr_in6));
      if (socket_address == NULL || !G_IS_INET_SOCKET_ADDRESS (socket_address))
        continue;
      inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (socket_address));
      if (!g_inet_address_equal (inet, wanted))
        continue;
      size = g_inet_address_get_native_size (inet);
      memcpy (network, g_inet_address_to_bytes (inet), size);
      mask_bytes = ifa->ifa_netmask->sa_family == AF_INET
                   ? (const guint8 *) &((struct sockaddr_in *) ifa->ifa_netmask)->sin_addr
                   : (const guint8 *) &((struct sockaddr_in6 *) ifa->ifa_netmask)->sin6_addr;
      for (gsize i = 0; i < size; i++)
        network[i] &= mask_bytes[i];
      network_address = g_inet_address_new_from_bytes (network, g_inet_address_get_family (inet));
      g_ptr_array_add (allow, g_inet_address_mask_new (network_address,
                                                       prefix_length (mask_bytes, size), NULL));
      break;
    }
  freeifaddrs (list);
  if (allow->len == 0 || g_ptr_array_index (allow, 0) == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("No network interface of this machine has the address %s; give one it has "
                     "(ip address shows them)"), address);
      return NULL;
    }
  return g_steal_pointer (&allow);
}

gboolean
lk_bridge_allow_matches (GPtrArray    *allow,
                         GInetAddress *address)
{
  for (guint i = 0; i < allow->len; i++)
    if (g_inet_address_mask_matches (g_ptr_array_index (allow, i), address))
      return TRUE;
  return FALSE;
}

/* "10.0.0.0/24, 10.1.0.7/32": for the log and `bridge status`. */
char *
lk_bridge_allow_to_string (GPtrArray *allow)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < allow->len; i++)
    {
      g_autofree char *text = g_inet_address_mask_to_string (g_ptr_array_index (allow, i));

      g_string_append_printf (out, "%s%s", i > 0 ? ", " : "", text);
    }
  return g_string_free (out, FALSE);
}

void
lk_bridge_relay_rule_free (LkBridgeRelayRule *rule)
{
  if (rule == NULL)
    return;
  g_clear_object (&rule->network);
  g_free (rule->device);
  g_free (rule);
}

/**
 * lk_bridge_relay_rules_parse:
 * @texts: (element-type utf8): "192.168.1.50=old-mfp", "10.0.2.0/28=scanners"
 *
 * Returns: (transfer container) (element-type LkBridgeRelayRule): the
 *   rules, or %NULL with a message naming the first that is not one
 */
GPtrArray *
lk_bridge_relay_rules_parse (GPtrArray  *texts,
                             GError    **error)
{
  g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_bridge_relay_rule_free);

  for (guint i = 0; i < texts->len; i++)
    {
      const char *text = g_ptr_array_index (texts, i);
      const char *equals = strchr (text, '=');
      g_autofree char *network = equals != NULL ? g_strndup (text, equals - text) : NULL;
      GInetAddressMask *mask = network != NULL ? g_inet_address_mask_new_from_string (network, NULL)
                                               : NULL;
      LkBridgeRelayRule *rule;

      if (mask == NULL || equals[1] == '\0' || strchr (equals + 1, '@') != NULL)
        {
          g_clear_object (&mask);
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                       /* Translators: %s is what the user typed */
                       _("“%s” is not NETWORK=DEVICE, such as 192.168.1.50=old-mfp"), text);
          return NULL;
        }
      rule = g_new0 (LkBridgeRelayRule, 1);
      rule->network = mask;
      rule->device = g_strdup (equals + 1);
      g_ptr_array_add (rules, rule);
    }
  return g_steal_pointer (&rules);
}
