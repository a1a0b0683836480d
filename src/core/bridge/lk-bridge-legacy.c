/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <signal.h>
#include <unistd.h>

#include "bridge/lk-bridge-legacy.h"
#include "lk-error.h"

/**
 * LkBridgeLegacy:
 *
 * A `--legacy-tls ADDRESS:PORT` (SMTP with STARTTLS) or `--legacy-smtps
 * ADDRESS:PORT` (SMTP with implicit TLS, the "SSL/TLS" on port 465 that
 * many old printers offer alone) listener for old printers that speak only
 * TLS 1.0 or 1.1. glib-networking sets the GnuTLS priority once per
 * process (G_TLS_GNUTLS_PRIORITY), so the bridge itself keeps the strict
 * one (TLS 1.2 and later, LK_BRIDGE_TLS_PRIORITY_STRICT) for every
 * listener and every connection upstream, and this listener is served by
 * a process of its own: the same program with `--legacy-child`, the
 * legacy priority, and the listening socket (bound here, so that the port
 * is known and taken at once) as file descriptor 3.
 *
 * That process serves devices only, into the same spool; it never
 * connects upstream (the bridge delivers what it spooled, LkBridgeQueue
 * watching the folder), so no weak TLS ever leaves the machine. It dies
 * with the bridge (PR_SET_PDEATHSIG) and is started again if it ends.
 */

#define RESTART_DELAY_S 2

struct _LkBridgeLegacy
{
  GObject           parent_instance;
  LkBridgeEndpoint *endpoint;
  GStrv             forward;
  GSocket          *socket;
  guint16           port;
  GSubprocess      *child;
  GCancellable     *cancellable;
  guint             restart_id;
  gboolean          stopping;
};

G_DEFINE_FINAL_TYPE (LkBridgeLegacy, lk_bridge_legacy, G_TYPE_OBJECT)

static gboolean spawn (LkBridgeLegacy *self, GError **error);

static void
lk_bridge_legacy_finalize (GObject *object)
{
  LkBridgeLegacy *self = LK_BRIDGE_LEGACY (object);

  lk_bridge_legacy_stop (self);
  g_clear_object (&self->child);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->socket);
  lk_bridge_endpoint_free (self->endpoint);
  g_strfreev (self->forward);
  G_OBJECT_CLASS (lk_bridge_legacy_parent_class)->finalize (object);
}

static void
lk_bridge_legacy_class_init (LkBridgeLegacyClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_bridge_legacy_finalize;
}

static void
lk_bridge_legacy_init (LkBridgeLegacy *self)
{
  self->cancellable = g_cancellable_new ();
}

static gboolean
restart_cb (gpointer user_data)
{
  LkBridgeLegacy *self = user_data;
  g_autoptr(GError) error = NULL;

  self->restart_id = 0;
  if (!self->stopping && !spawn (self, &error))
    g_warning ("The legacy-TLS listener could not start again: %s", error->message);
  return G_SOURCE_REMOVE;
}

static void
child_exited_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  LkBridgeLegacy *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (self->stopping)
    return;
  g_warning ("The legacy-TLS listener's process ended (%s %d); starting it again in %d s",
             g_subprocess_get_if_signaled (G_SUBPROCESS (source)) ? "signal" : "status",
             g_subprocess_get_if_signaled (G_SUBPROCESS (source))
             ? g_subprocess_get_term_sig (G_SUBPROCESS (source))
             : g_subprocess_get_exit_status (G_SUBPROCESS (source)), RESTART_DELAY_S);
  g_clear_object (&self->child);
  self->restart_id = g_timeout_add_seconds (RESTART_DELAY_S, restart_cb, self);
}

static gboolean
spawn (LkBridgeLegacy  *self,
       GError         **error)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", error);
  g_autofree char *where = lk_bridge_endpoint_to_string (self->endpoint, self->port);
  int fd;

  if (self_exe == NULL)
    return FALSE;
  fd = dup (g_socket_get_fd (self->socket));
  if (fd < 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, g_strerror (errno));
      return FALSE;
    }
  g_subprocess_launcher_take_fd (launcher, fd, LK_BRIDGE_LEGACY_FD);
  g_subprocess_launcher_setenv (launcher, "G_TLS_GNUTLS_PRIORITY", LK_BRIDGE_TLS_PRIORITY_LEGACY, TRUE);
  /* Its listener line is ours to print; its logs go where ours go. */
  g_subprocess_launcher_set_flags (launcher, G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_ptr_array_add (argv, g_strdup (self_exe));
  /* `latchkey-cli-full bridge run` and `latchkey-bridge` take the same
   * options after their own command words. */
  if (g_str_has_suffix (self_exe, "latchkey-cli-full"))
    {
      g_ptr_array_add (argv, g_strdup ("bridge"));
      g_ptr_array_add (argv, g_strdup ("run"));
    }
  g_ptr_array_add (argv, g_strdup ("--legacy-child"));
  g_ptr_array_add (argv, g_strdup (where));
  if (self->endpoint->security == LK_SECURITY_TLS)
    g_ptr_array_add (argv, g_strdup ("--legacy-child-tls"));
  for (guint i = 0; self->forward != NULL && self->forward[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (self->forward[i]));
  g_ptr_array_add (argv, NULL);
  self->child = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, error);
  if (self->child == NULL)
    return FALSE;
  g_subprocess_wait_async (self->child, self->cancellable, child_exited_cb, self);
  return TRUE;
}

/**
 * lk_bridge_legacy_new:
 * @endpoint: where (SMTP, with STARTTLS or implicit TLS)
 * @forward: (array zero-terminated=1): the options the bridge was started
 *   with that the child needs too (--config, --allow, --cert, --key,
 *   --relay-without-auth, --system)
 *
 * Binds @endpoint and starts its process.
 */
LkBridgeLegacy *
lk_bridge_legacy_new (const LkBridgeEndpoint  *endpoint,
                      const char * const      *forward,
                      GError                 **error)
{
  g_autoptr(LkBridgeLegacy) self = g_object_new (LK_TYPE_BRIDGE_LEGACY, NULL);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (endpoint->address);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GError) local_error = NULL;

  self->endpoint = lk_bridge_endpoint_copy (endpoint);
  self->forward = g_strdupv ((char **) forward);
  self->socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_TCP, error);
  if (self->socket == NULL)
    return NULL;
  address = g_inet_socket_address_new (inet, endpoint->port);
  g_socket_set_listen_backlog (self->socket, 128);
  if (!g_socket_bind (self->socket, address, TRUE, &local_error)
      || !g_socket_listen (self->socket, &local_error))
    {
      g_autofree char *where = lk_bridge_endpoint_to_string (endpoint, endpoint->port);

      /* Translators: %s are ADDRESS:PORT, the option that named it, then why */
      g_set_error (error, local_error->domain, local_error->code, _("Cannot listen on %s (%s): %s"),
                   where, endpoint->security == LK_SECURITY_TLS ? "--legacy-smtps" : "--legacy-tls",
                   local_error->message);
      return NULL;
    }
  local = g_socket_get_local_address (self->socket, error);
  if (local == NULL)
    return NULL;
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  if (!spawn (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

guint16
lk_bridge_legacy_get_port (LkBridgeLegacy *self)
{
  return self->port;
}

/* "smtp 192.168.1.10:2587 starttls" or "smtp 192.168.1.10:2465 tls", as
 * `bridge run` prints every listener. */
char *
lk_bridge_legacy_describe (LkBridgeLegacy *self)
{
  return lk_bridge_endpoint_describe (self->endpoint, self->port);
}

gboolean
lk_bridge_legacy_is_running (LkBridgeLegacy *self)
{
  return self->child != NULL;
}

/* Ends the process (SIGTERM: it closes its sessions as the bridge does). */
void
lk_bridge_legacy_stop (LkBridgeLegacy *self)
{
  self->stopping = TRUE;
  g_clear_handle_id (&self->restart_id, g_source_remove);
  if (self->child != NULL)
    g_subprocess_send_signal (self->child, SIGTERM);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->child);
}
