/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "lk-cli-notify.h"
#include "store/lk-account-store.h"

#define NOTIFY_INTERVAL_SECONDS 3600

/* At most one notification an hour per account: the mtime of a stamp file
 * in the runtime directory (gone at log-out, which is what we want). */
static gboolean
claim_notification_slot (LkAccount *account)
{
  g_autofree char *stem = lk_account_file_stem (account->email);
  g_autofree char *dir = g_build_filename (g_get_user_runtime_dir (), "latchkey", NULL);
  g_autofree char *name = g_strconcat (stem, ".notified", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;

  if (g_stat (path, &st) == 0 &&
      g_get_real_time () / G_USEC_PER_SEC - st.st_mtime < NOTIFY_INTERVAL_SECONDS)
    return FALSE;
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents_full (path, "", 0, G_FILE_SET_CONTENTS_NONE, 0600, NULL))
    return FALSE;
  return TRUE;
}

/**
 * lk_cli_notify_needs_sign_in:
 *
 * Tells the person at the desktop that @account needs signing in again,
 * through the session's notification service (org.freedesktop.Notifications),
 * because the mail client that ran `token` may be running unattended. The
 * "desktop-entry" hint lets the notification open Latchkey. No notification
 * service, no session bus: nothing happens, and no error either.
 */
void
lk_cli_notify_needs_sign_in (LkAccount *account)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *body = NULL;
  GVariantBuilder hints;
  const char *actions[] = { NULL };

  if (bus == NULL || !claim_notification_slot (account))
    return;

  /* Translators: a desktop notification's title; %s is an e-mail address */
  summary = g_strdup_printf (_("Sign in again to %s"), account->email);
  body = g_strdup_printf (_("Mail programs can no longer get a token for %s. Open Latchkey, "
                            "or run “latchkey-cli login %s” in a terminal."),
                          account->email, account->email);
  g_variant_builder_init (&hints, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&hints, "{sv}", "desktop-entry", g_variant_new_string (APP_ID));
  g_variant_builder_add (&hints, "{sv}", "urgency", g_variant_new_byte (1));
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.Notifications",
                                       "/org/freedesktop/Notifications",
                                       "org.freedesktop.Notifications", "Notify",
                                       g_variant_new ("(susss^asa{sv}i)", "Latchkey", 0,
                                                      APP_ID, summary, body, actions, &hints,
                                                      -1),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE,
                                       1000, NULL, NULL);
}
