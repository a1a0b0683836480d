/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>

#include "lk-application.h"
#include "lk-window.h"

/* One application for the whole run, as in the real program. */
static LkApplication *app;

static void
iterate (guint n)
{
  for (guint i = 0; i < n; i++)
    g_main_context_iteration (NULL, FALSE);
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type,
             const char *label)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        {
          if (label == NULL)
            return child;
          if (GTK_IS_BUTTON (child) &&
              g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), label) == 0)
            return child;
        }
      found = find_widget (child, type, label);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The window a new user sees: an empty state that says there are no
 * accounts and offers to add one. */
static void
test_empty_state (void)
{
  LkWindow *window;
  GtkWidget *status;
  GtkWidget *button;

  window = lk_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  iterate (50);

  g_assert_true (gtk_widget_get_realized (GTK_WIDGET (window)));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Latchkey");

  status = find_widget (GTK_WIDGET (window), ADW_TYPE_STATUS_PAGE, NULL);
  g_assert_nonnull (status);
  g_assert_true (gtk_widget_get_mapped (status));
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, "No accounts yet");

  button = find_widget (status, GTK_TYPE_BUTTON, "_Add Account");
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_mapped (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==,
                   "win.add-account");

  gtk_window_destroy (GTK_WINDOW (window));
  iterate (10);
}

/* Ctrl+Q, Ctrl+W and the shortcuts window are wired. */
static void
test_shortcuts (void)
{
  g_auto(GStrv) quit = NULL;
  g_auto(GStrv) close = NULL;
  LkWindow *window;

  window = lk_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  iterate (20);

  quit = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.quit");
  close = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "window.close");
  g_assert_cmpstr (quit[0], ==, "<Control>q");
  g_assert_cmpstr (close[0], ==, "<Control>w");
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "about"));

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  iterate (20);
  {
    GListModel *toplevels = gtk_window_get_toplevels ();
    gboolean about_shown = FALSE;

    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr(GObject) toplevel = g_list_model_get_item (toplevels, i);

        if (ADW_IS_ABOUT_WINDOW (toplevel) && gtk_widget_get_visible (GTK_WIDGET (toplevel)))
          {
            about_shown = TRUE;
            g_assert_cmpstr (adw_about_window_get_application_name (ADW_ABOUT_WINDOW (toplevel)),
                             ==, "Latchkey");
          }
      }
    g_assert_true (about_shown);
  }

  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  iterate (20);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (app)));
}

int
main (int    argc,
      char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  app = lk_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));

  g_test_add_func ("/ui/window/empty-state", test_empty_state);
  g_test_add_func ("/ui/window/shortcuts", test_shortcuts);
  return g_test_run ();
}
