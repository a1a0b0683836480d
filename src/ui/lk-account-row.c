/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "lk-account-row.h"
#include "lk-ui-init.h"
#include "lk-ui-util.h"

/**
 * LkAccountRow:
 *
 * One account in the accounts window: the address, the provider, its status
 * (working, needs sign-in, not tested, failing, and then what fails: "SMTP:
 * SMTP sign-in is switched off for this mailbox") and a menu of what can be
 * done with it. Activating it opens the account's page. The menu's items
 * and the page are the window's actions with the address as target.
 */
struct _LkAccountRow
{
  AdwActionRow    parent_instance;

  /* Template children */
  GtkImage       *status_icon;
  GtkLabel       *status_label;
  GtkMenuButton  *menu_button;

  LkAccount      *account;
};

G_DEFINE_FINAL_TYPE (LkAccountRow, lk_account_row, ADW_TYPE_ACTION_ROW)

static void
add_item (GMenu      *menu,
          const char *label,
          const char *action,
          const char *email)
{
  g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);

  g_menu_item_set_action_and_target (item, action, "s", email);
  g_menu_append_item (menu, item);
}

static void
set_status (LkAccountRow *self)
{
  const char *label, *icon, *css;
  static const char *classes[] = { "success", "warning", "error", "dim-label" };

  switch (self->account->state)
    {
    case LK_ACCOUNT_STATE_WORKING:
      label = _("Working");
      icon = "emblem-ok-symbolic";
      css = "success";
      break;
    case LK_ACCOUNT_STATE_NEEDS_SIGN_IN:
      label = _("Needs sign-in");
      icon = "dialog-password-symbolic";
      css = "warning";
      break;
    case LK_ACCOUNT_STATE_FAILING:
      label = _("Failing");
      icon = "dialog-error-symbolic";
      css = "error";
      break;
    case LK_ACCOUNT_STATE_UNTESTED:
    default:
      label = _("Not tested");
      icon = "content-loading-symbolic";
      css = "dim-label";
      break;
    }
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), classes[i]);
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_icon), classes[i]);
    }
  gtk_label_set_text (self->status_label, label);
  gtk_image_set_from_icon_name (self->status_icon, icon);
  gtk_widget_add_css_class (GTK_WIDGET (self->status_label), css);
  gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), css);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->status_icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

/**
 * lk_account_row_new:
 * @account: the account to show; the row keeps a reference
 */
GtkWidget *
lk_account_row_new (LkAccount *account)
{
  LkAccountRow *self;
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) actions = g_menu_new ();
  g_autoptr(GMenu) removal = g_menu_new ();
  g_autofree char *subtitle = NULL;
  g_autofree char *failures = NULL;
  g_autofree char *menu_label = NULL;

  g_return_val_if_fail (account != NULL, NULL);

  self = g_object_new (LK_TYPE_ACCOUNT_ROW, NULL);
  self->account = lk_account_ref (account);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), account->email);
  if (account->login != NULL)
    /* Translators: provider, then who signs in for a shared mailbox. */
    subtitle = g_strdup_printf (_("%s, signed in as %s"), account->provider->name,
                                account->login);
  else
    subtitle = g_strdup (account->provider->name);
  failures = lk_ui_describe_failures (account);
  if (failures != NULL)
    {
      g_autofree char *both = g_strdup_printf ("%s\n%s", subtitle, failures);

      g_free (subtitle);
      subtitle = g_steal_pointer (&both);
    }
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
  lk_ui_row_keep_words (GTK_WIDGET (self));
  set_status (self);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self), "win.show-account");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self), "s", account->email);
  /* AdwActionRow is activatable only with an activatable widget; without
   * this, Enter and a click on the row did nothing. */
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (self), TRUE);

  add_item (actions, _("_Test"), "win.test-account", account->email);
  add_item (actions, _("Set _Up Mail Programs…"), "win.set-up-account", account->email);
  add_item (actions, _("_Sign In Again"), "win.sign-in-again", account->email);
  add_item (removal, _("_Remove…"), "win.remove-account", account->email);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (actions));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (removal));
  gtk_menu_button_set_menu_model (self->menu_button, G_MENU_MODEL (menu));

  /* Translators: %s is an e-mail address. */
  menu_label = g_strdup_printf (_("Actions for %s"), account->email);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->menu_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, menu_label, -1);
  return GTK_WIDGET (self);
}

LkAccount *
lk_account_row_get_account (LkAccountRow *self)
{
  g_return_val_if_fail (LK_IS_ACCOUNT_ROW (self), NULL);
  return self->account;
}

/* The status as shown. */
const char *
lk_account_row_get_status (LkAccountRow *self)
{
  g_return_val_if_fail (LK_IS_ACCOUNT_ROW (self), NULL);
  return gtk_label_get_text (self->status_label);
}

static void
lk_account_row_dispose (GObject *object)
{
  LkAccountRow *self = LK_ACCOUNT_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_ACCOUNT_ROW);
  g_clear_pointer (&self->account, lk_account_unref);

  G_OBJECT_CLASS (lk_account_row_parent_class)->dispose (object);
}

static void
lk_account_row_class_init (LkAccountRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_account_row_dispose;

  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/lk-account-row.ui");
  gtk_widget_class_bind_template_child (widget_class, LkAccountRow, status_icon);
  gtk_widget_class_bind_template_child (widget_class, LkAccountRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, LkAccountRow, menu_button);
}

static void
lk_account_row_init (LkAccountRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
