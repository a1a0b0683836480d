/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "lk-application.h"
#include "lk-ui-init.h"
#include "lk-window.h"

struct _LkApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (LkApplication, lk_application, ADW_TYPE_APPLICATION)

LkApplication *
lk_application_new (void)
{
  return g_object_new (LK_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       /* One resource path for every profile, see meson.build. */
                       "resource-base-path", RESOURCE_PREFIX,
                       NULL);
}

/* The accounts window, made when there is none; never a wizard or the
 * IT window, which may be the active one. */
static LkWindow *
main_window (LkApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (LK_IS_WINDOW (l->data))
      return l->data;
  return LK_WINDOW (lk_window_new (self));
}

static void
lk_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (lk_window_new (LK_APPLICATION (app)));
  gtk_window_present (window);
}

/* `latchkey FILE.latchkey`, or a profile opened from the file manager. */
static void
lk_application_open (GApplication  *app,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  LkWindow *window = main_window (LK_APPLICATION (app));

  gtk_window_present (GTK_WINDOW (window));
  for (int i = 0; i < n_files; i++)
    lk_window_open_profile (window, files[i]);
}

static void
lk_application_about_action (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  LkApplication *self = user_data;
  const char *developers[] = { _("The Latchkey developers"), NULL };
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", parent,
                        "modal", TRUE,
                        "application-name", _("Latchkey"),
                        "application-icon", APP_ID,
                        "version", PACKAGE_VERSION,
                        "comments", _("Sign mail accounts in with OAuth2, so that IMAP, POP "
                                      "and SMTP keep working when passwords are switched off."),
                        "developers", developers,
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "website", "https://github.com/latchkey/latchkey",
                        "issue-url", "https://github.com/latchkey/latchkey/issues",
                        /* Translators: put your name here */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
lk_application_quit_action (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  LkApplication *self = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  /* Closing each window cancels what it has running before we go. */
  for (GList *l = windows; l != NULL;)
    {
      GList *next = l->next;
      gtk_window_destroy (GTK_WINDOW (l->data));
      l = next;
    }
  g_application_quit (G_APPLICATION (self));
}

/* app.sign-in("address"): the action of latchkey-cli's "needs sign-in"
 * notification, delivered by GNOME Shell through D-Bus activation.
 * app.test("address") opens the account's test the same way, for scripts
 * (`gapplication action io.github.latchkey.Latchkey test "'me@example.com'"`). */
static void
lk_application_account_action (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  LkWindow *window = main_window (LK_APPLICATION (user_data));

  gtk_window_present (GTK_WINDOW (window));
  /* The action's name is the wizard step: "sign-in" or "test". */
  lk_window_open_account (window, g_variant_get_string (parameter, NULL),
                          g_action_get_name (G_ACTION (action)));
}

static const GActionEntry app_actions[] = {
  { "about", lk_application_about_action },
  { "quit", lk_application_quit_action },
  { "sign-in", lk_application_account_action, "s" },
  { "test", lk_application_account_action, "s" },
};

static void
lk_application_startup (GApplication *app)
{
  const char *quit_accels[] = { "<Control>q", NULL };
  const char *close_accels[] = { "<Control>w", NULL };

  G_APPLICATION_CLASS (lk_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions,
                                   G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "window.close", close_accels);
}

static void
lk_application_class_init (LkApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = lk_application_activate;
  app_class->open = lk_application_open;
  app_class->startup = lk_application_startup;

  /* Before GtkApplication looks for gtk/help-overlay.ui in startup. */
  lk_ui_ensure_resources ();
}

static void
lk_application_init (LkApplication *self)
{
}
