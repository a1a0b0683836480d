/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "lk-export-private.h"

/* Evolution-data-server sources: keyfiles in ~/.config/evolution/sources/,
 * one for the mail account, one for the identity, one for the transport,
 * linked by their file names (UIDs). GKeyFile writes them, so its escaping
 * is the one evolution-data-server reads. The OAuth Method is a Camel SASL
 * mechanism name: "Outlook" for personal Microsoft accounts, "XOAUTH2" for
 * the rest. */

static const char *
security_method (LkSecurity security)
{
  return security == LK_SECURITY_TLS ? "ssl-on-alternate-port"
       : security == LK_SECURITY_STARTTLS ? "starttls-on-standard-port" : "none";
}

static const char *
oauth_method (LkAccount *account)
{
  return g_strcmp0 (account->provider->id, "outlook") == 0 ? "Outlook" : "XOAUTH2";
}

static void
add_file (GPtrArray  *files,
          const char *uid,
          GString    *header,
          GKeyFile   *keyfile)
{
  LkExportFile *file = g_new0 (LkExportFile, 1);
  g_autofree char *data = g_key_file_to_data (keyfile, NULL, NULL);

  file->path = g_strdup_printf ("~/.config/evolution/sources/%s.source", uid);
  file->contents = g_strconcat (header->str, "\n", data, NULL);
  g_ptr_array_add (files, file);
}

static void
add_server (GKeyFile       *keyfile,
            LkAccount      *account,
            const LkServer *server)
{
  g_key_file_set_string (keyfile, "Authentication", "Host", server->host);
  g_key_file_set_integer (keyfile, "Authentication", "Port", server->port);
  g_key_file_set_string (keyfile, "Authentication", "User", lk_account_get_sasl_user (account));
  g_key_file_set_string (keyfile, "Authentication", "Method", oauth_method (account));
  g_key_file_set_boolean (keyfile, "Authentication", "RememberPassword", TRUE);
  g_key_file_set_string (keyfile, "Security", "Method", security_method (server->security));
}

static void
add_source (GKeyFile   *keyfile,
            const char *name,
            const char *parent)
{
  g_key_file_set_string (keyfile, "Data Source", "DisplayName", name);
  g_key_file_set_boolean (keyfile, "Data Source", "Enabled", TRUE);
  g_key_file_set_string (keyfile, "Data Source", "Parent", parent != NULL ? parent : "");
}

static GPtrArray *
generate (LkAccount             *account,
          const LkExportContext *context,
          GError               **error)
{
  LkProtocolFlags protocols = lk_export_protocols (&lk_exporter_evolution, account);
  g_autofree char *slug = lk_export_slug (account);
  g_autofree char *uid = g_strdup_printf ("latchkey-%s", slug);
  g_autofree char *identity_uid = g_strdup_printf ("%s-identity", uid);
  g_autofree char *transport_uid = g_strdup_printf ("%s-transport", uid);
  const char *notes[] = {
    _("Evolution signs in by itself. It has no built-in OAuth2 for Microsoft 365 over IMAP, POP or SMTP: its “Outlook” sign-in serves personal Microsoft accounts, its “Office365” one only the Exchange Web Services account type. For Microsoft 365, use an Exchange Web Services account in Evolution or another client."),
    context->merged ? NULL : _("Copy the files to ~/.config/evolution/sources/ while Evolution is closed."),
    NULL
  };
  g_autoptr(GString) header = NULL;
  g_autoptr(GKeyFile) mail = g_key_file_new ();
  g_autoptr(GKeyFile) identity = g_key_file_new ();
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_export_file_free);
  LkProtocol incoming;

  if (!lk_export_require (protocols, LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_POP,
                          &lk_exporter_evolution, error))
    return NULL;
  incoming = (protocols & LK_PROTOCOL_FLAG_IMAP) ? LK_PROTOCOL_IMAP : LK_PROTOCOL_POP;

  header = lk_export_header (&lk_exporter_evolution, account, context, "# ", notes);

  add_source (mail, account->email, NULL);
  g_key_file_set_string (mail, "Mail Account", "BackendName",
                         incoming == LK_PROTOCOL_IMAP ? "imapx" : "pop");
  g_key_file_set_string (mail, "Mail Account", "IdentityUid", identity_uid);
  g_key_file_set_boolean (mail, "Mail Account", "NeedsInitialSetup", TRUE);
  add_server (mail, account, lk_export_server (account, incoming));
  add_file (files, uid, header, mail);

  add_source (identity, account->email, uid);
  g_key_file_set_string (identity, "Mail Identity", "Address", account->email);
  if (account->display_name != NULL)
    g_key_file_set_string (identity, "Mail Identity", "Name", account->display_name);
  if (protocols & LK_PROTOCOL_FLAG_SMTP)
    g_key_file_set_string (identity, "Mail Submission", "TransportUid", transport_uid);
  add_file (files, identity_uid, header, identity);

  if (protocols & LK_PROTOCOL_FLAG_SMTP)
    {
      g_autoptr(GKeyFile) transport = g_key_file_new ();

      add_source (transport, account->email, uid);
      g_key_file_set_string (transport, "Mail Transport", "BackendName", "smtp");
      add_server (transport, account, lk_export_server (account, LK_PROTOCOL_SMTP));
      add_file (files, transport_uid, header, transport);
    }

  return g_steal_pointer (&files);
}

/* evolution-data-server's registry: the bus name of its 3.46 series (as
 * Debian 12 ships it) and the method Evolution's own backup tool calls
 * after restoring the sources folder (evolution: src/modules/backup-restore/
 * evolution-backup-tool.c). */
#define SOURCES_BUS_NAME "org.gnome.evolution.dataserver.Sources5"
#define SOURCES_PATH "/org/gnome/evolution/dataserver/SourceManager"
#define SOURCES_INTERFACE "org.gnome.evolution.dataserver.SourceManager"
#define RELOAD_TIMEOUT_MS 10000

/**
 * lk_export_evolution_reload:
 * @out_problem: (out): why the registry did not answer, for a failure
 *
 * Tells a running evolution-data-server registry to read its sources folder
 * again. One that is not running is not started (D-Bus would activate it):
 * it reads the folder when it next starts. Blocks: call from a worker.
 */
LkExportReload
lk_export_evolution_reload (GCancellable  *cancellable,
                            char         **out_problem)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_owner = FALSE;

  *out_problem = NULL;
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, cancellable, &error);
  if (bus == NULL)
    {
      /* No session bus, so no registry either (a login over SSH). */
      g_debug ("No session bus for Evolution's reload: %s", error->message);
      return LK_EXPORT_RELOAD_NOT_RUNNING;
    }
  owned = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", SOURCES_BUS_NAME),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE,
                                       RELOAD_TIMEOUT_MS, cancellable, &error);
  if (owned != NULL)
    g_variant_get (owned, "(b)", &has_owner);
  if (!has_owner)
    return LK_EXPORT_RELOAD_NOT_RUNNING;

  reply = g_dbus_connection_call_sync (bus, SOURCES_BUS_NAME, SOURCES_PATH, SOURCES_INTERFACE,
                                       "Reload", NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                       RELOAD_TIMEOUT_MS, cancellable, &error);
  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      *out_problem = g_strdup (error->message);
      return LK_EXPORT_RELOAD_FAILED;
    }
  return LK_EXPORT_RELOAD_DONE;
}

static char *
locate (const LkExportApplier      *self,
        const LkExportApplyOptions *options,
        GError                    **error)
{
  if (options->file != NULL)
    return lk_export_expand_path (options->file);
  return lk_export_expand_path ("$XDG_CONFIG_HOME/evolution/sources");
}

/* Each source is a file of its own, named by its UID: written whole. */
static gboolean
add_steps (LkExportPlan               *plan,
           const LkExportApplyOptions *options,
           GError                    **error)
{
  for (guint i = 0; i < plan->files->len; i++)
    {
      LkExportFile *file = plan->files->pdata[i];
      g_autofree char *name = g_path_get_basename (file->path);
      g_autofree char *path = g_build_filename (plan->target, name, NULL);

      lk_export_plan_add (plan, LK_EXPORT_STEP_FILE, path, file->contents, NULL, NULL);
    }
  plan->reload_evolution = TRUE;
  return TRUE;
}

static const char * const programs[] = { "evolution", NULL };
static const char * const config_files[] = { "$XDG_CONFIG_HOME/evolution", NULL };

static const LkExportApplier applier = {
  .programs = programs,
  .config_files = config_files,
  .comment = "# ",
  .locate = locate,
  .plan = add_steps,
  .done_hint = NULL,
};

const LkExporter lk_exporter_evolution = {
  .id = "evolution",
  .name = N_("Evolution"),
  .next_step = N_("Close Evolution, copy the .source files to ~/.config/evolution/sources/, then start it."),
  .path = "~/.config/evolution/sources/",
  .is_block = FALSE,
  .include_hint = NULL,
  .protocols = LK_PROTOCOL_FLAG_ALL,
  .uses_token_command = FALSE,
  .formats = NULL,
  .generate = generate,
  .applier = &applier,
};
