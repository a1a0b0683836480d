/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "lk-diagnosis-view.h"
#include "lk-sign-in-page.h"
#include "lk-ui-init.h"
#include "lk-ui-util.h"

/**
 * LkSignInPage:
 *
 * The sign-in step, as states of one page: "intro" (what will happen, and
 * the switch to the device code flow), "waiting" (the browser is open; Copy
 * Link, or a code instead), "device" (the user code and where to enter it,
 * or the browser instead), "error" (the diagnosis and Try Again). The
 * window's Cancel is the only Cancel. The page runs nothing itself: it
 * emits "start" and "cancel", and the wizard that runs the grant shows its
 * progress here.
 */
struct _LkSignInPage
{
  GtkWidget      parent_instance;

  /* Template children */
  GtkStack      *state_stack;
  AdwStatusPage *intro_page;
  AdwActionRow  *device_row;
  GtkSwitch     *device_switch;
  GtkSpinner    *waiting_spinner;
  GtkSpinner    *device_spinner;
  GtkLabel      *code_label;
  GtkLabel      *url_label;
  GtkButton     *use_code_button;
  AdwStatusPage *error_page;
  LkDiagnosisView *diagnosis_view;
  GtkButton     *retry_button;

  char          *uri;
};

G_DEFINE_FINAL_TYPE (LkSignInPage, lk_sign_in_page, GTK_TYPE_WIDGET)

enum {
  SIGNAL_START,
  SIGNAL_CANCEL,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

GtkWidget *
lk_sign_in_page_new (void)
{
  return g_object_new (LK_TYPE_SIGN_IN_PAGE, NULL);
}

static void
set_state (LkSignInPage *self,
           const char   *state)
{
  gtk_stack_set_visible_child_name (self->state_stack, state);
  gtk_spinner_set_spinning (self->waiting_spinner, g_str_equal (state, "waiting"));
  gtk_spinner_set_spinning (self->device_spinner, g_str_equal (state, "device"));
}

/**
 * lk_sign_in_page_set_provider_name:
 * @name: the provider, as people know it ("Microsoft 365")
 * @device_flow: whether the provider offers the device code flow
 *
 * Says in one sentence what will happen, and shows the page's first state.
 */
void
lk_sign_in_page_set_provider_name (LkSignInPage *self,
                                   const char   *name,
                                   gboolean      device_flow)
{
  g_autofree char *title = NULL;

  g_return_if_fail (LK_IS_SIGN_IN_PAGE (self));

  /* Translators: %s is a provider such as "Microsoft 365". */
  title = g_strdup_printf (_("Sign In with %s"), name);
  adw_status_page_set_title (self->intro_page, title);
  adw_status_page_set_description (self->intro_page,
                                   _("Your browser opens your provider’s sign-in page. Latchkey "
                                     "never sees your password: it receives a key for your mail "
                                     "and keeps it in your keyring."));
  gtk_widget_set_visible (GTK_WIDGET (self->device_row), device_flow);
  gtk_widget_set_visible (GTK_WIDGET (self->use_code_button), device_flow);
  if (!device_flow)
    gtk_switch_set_active (self->device_switch, FALSE);
  lk_sign_in_page_show_intro (self);
}

gboolean
lk_sign_in_page_get_use_device (LkSignInPage *self)
{
  g_return_val_if_fail (LK_IS_SIGN_IN_PAGE (self), FALSE);
  return gtk_switch_get_active (self->device_switch);
}

/* "intro", "waiting", "device" or "error". */
const char *
lk_sign_in_page_get_state (LkSignInPage *self)
{
  g_return_val_if_fail (LK_IS_SIGN_IN_PAGE (self), NULL);
  return gtk_stack_get_visible_child_name (self->state_stack);
}

void
lk_sign_in_page_show_intro (LkSignInPage *self)
{
  g_return_if_fail (LK_IS_SIGN_IN_PAGE (self));
  set_state (self, "intro");
}

/**
 * lk_sign_in_page_show_waiting:
 * @uri: the authorization link, for "Copy Link"
 */
void
lk_sign_in_page_show_waiting (LkSignInPage *self,
                              const char   *uri)
{
  g_return_if_fail (LK_IS_SIGN_IN_PAGE (self));

  g_free (self->uri);
  self->uri = g_strdup (uri);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.copy-link", uri != NULL);
  set_state (self, "waiting");
}

void
lk_sign_in_page_show_device (LkSignInPage *self,
                             const char   *user_code,
                             const char   *verification_uri)
{
  g_return_if_fail (LK_IS_SIGN_IN_PAGE (self));

  gtk_label_set_text (self->code_label, user_code);
  gtk_label_set_text (self->url_label, verification_uri);
  set_state (self, "device");
}

/**
 * lk_sign_in_page_show_error:
 *
 * Shows what went wrong and "Try Again". A cancellation is not an error to
 * show: the page goes back to its first state.
 */
void
lk_sign_in_page_show_error (LkSignInPage *self,
                            const GError *error)
{
  g_autofree char *message = NULL;

  g_return_if_fail (LK_IS_SIGN_IN_PAGE (self));

  message = lk_ui_error_message (error);
  if (message == NULL)
    {
      lk_sign_in_page_show_intro (self);
      return;
    }
  adw_status_page_set_title (self->error_page, _("Sign-In Did Not Work"));
  adw_status_page_set_description (self->error_page, message);
  lk_diagnosis_view_set_diagnosis (self->diagnosis_view, NULL);
  set_state (self, "error");
}

/**
 * lk_sign_in_page_show_diagnosis:
 * @diagnosis: what went wrong, as core's lk_diagnose() says it
 *
 * Shows the whole diagnosis (steps, commands, the consent link, Copy
 * Details for IT) and "Try Again".
 */
void
lk_sign_in_page_show_diagnosis (LkSignInPage *self,
                                LkDiagnosis  *diagnosis)
{
  g_return_if_fail (LK_IS_SIGN_IN_PAGE (self));
  g_return_if_fail (diagnosis != NULL);

  adw_status_page_set_title (self->error_page, diagnosis->title);
  adw_status_page_set_description (self->error_page, NULL);
  lk_diagnosis_view_set_diagnosis (self->diagnosis_view, diagnosis);
  set_state (self, "error");
}

/* The diagnosis shown in the error state, if any. */
LkDiagnosis *
lk_sign_in_page_get_diagnosis (LkSignInPage *self)
{
  g_return_val_if_fail (LK_IS_SIGN_IN_PAGE (self), NULL);
  return lk_diagnosis_view_get_diagnosis (self->diagnosis_view);
}

/**
 * lk_sign_in_page_set_retry_label:
 * @label: (nullable): with a mnemonic; %NULL for "Try Again"
 *
 * What the error state's button says: "Sign In Again" when the provider
 * refused the saved sign-in of an existing account.
 */
void
lk_sign_in_page_set_retry_label (LkSignInPage *self,
                                 const char   *label)
{
  g_return_if_fail (LK_IS_SIGN_IN_PAGE (self));
  gtk_button_set_label (self->retry_button, label != NULL ? label : _("_Try Again"));
}

static void
lk_sign_in_page_start_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  LkSignInPage *self = LK_SIGN_IN_PAGE (widget);

  g_signal_emit (self, signals[SIGNAL_START], 0, lk_sign_in_page_get_use_device (self));
}

static void
lk_sign_in_page_cancel_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  LkSignInPage *self = LK_SIGN_IN_PAGE (widget);

  g_signal_emit (self, signals[SIGNAL_CANCEL], 0);
  lk_sign_in_page_show_intro (self);
}

/* "Use a Code Instead" while waiting for the browser, "Use the Browser
 * Instead" while waiting for the code: the wait stops and the other way
 * starts. */
static void
lk_sign_in_page_switch_flow_action (GtkWidget  *widget,
                                    const char *action_name,
                                    GVariant   *parameter)
{
  LkSignInPage *self = LK_SIGN_IN_PAGE (widget);
  gboolean use_device = !g_str_equal (lk_sign_in_page_get_state (self), "device");

  g_signal_emit (self, signals[SIGNAL_CANCEL], 0);
  gtk_switch_set_active (self->device_switch, use_device);
  g_signal_emit (self, signals[SIGNAL_START], 0, use_device);
}

static void
lk_sign_in_page_copy_link_action (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *parameter)
{
  LkSignInPage *self = LK_SIGN_IN_PAGE (widget);

  lk_ui_copy_text (widget, self->uri, _("Sign-in link copied"));
}

static void
lk_sign_in_page_copy_code_action (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *parameter)
{
  LkSignInPage *self = LK_SIGN_IN_PAGE (widget);

  lk_ui_copy_text (widget, gtk_label_get_text (self->code_label), _("Code copied"));
}

static void
lk_sign_in_page_dispose (GObject *object)
{
  LkSignInPage *self = LK_SIGN_IN_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_SIGN_IN_PAGE);
  lk_ui_unparent_children (GTK_WIDGET (object));
  g_clear_pointer (&self->uri, g_free);

  G_OBJECT_CLASS (lk_sign_in_page_parent_class)->dispose (object);
}

static void
lk_sign_in_page_class_init (LkSignInPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_sign_in_page_dispose;

  /**
   * LkSignInPage::start:
   * @use_device: whether the person chose the device code flow
   *
   * The person asked to sign in (or to try again).
   */
  signals[SIGNAL_START] =
    g_signal_new ("start", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  /**
   * LkSignInPage::cancel:
   *
   * The person stopped waiting: whatever runs for the sign-in must stop.
   */
  signals[SIGNAL_CANCEL] =
    g_signal_new ("cancel", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);

  g_type_ensure (LK_TYPE_DIAGNOSIS_VIEW);
  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/lk-sign-in-page.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, LkSignInPage, state_stack);
  gtk_widget_class_bind_template_child (widget_class, LkSignInPage, intro_page);
  gtk_widget_class_bind_template_child (widget_class, LkSignInPage, device_row);
  gtk_widget_class_bind_template_child (widget_class, LkSignInPage, device_switch);
  gtk_widget_class_bind_template_child (widget_class, LkSignInPage, waiting_spinner);
  gtk_widget_class_bind_template_child (widget_class, LkSignInPage, device_spinner);
  gtk_widget_class_bind_template_child (widget_class, LkSignInPage, code_label);
  gtk_widget_class_bind_template_child (widget_class, LkSignInPage, url_label);
  gtk_widget_class_bind_template_child (widget_class, LkSignInPage, error_page);
  gtk_widget_class_bind_template_child (widget_class, LkSignInPage, use_code_button);
  gtk_widget_class_bind_template_child (widget_class, LkSignInPage, diagnosis_view);
  gtk_widget_class_bind_template_child (widget_class, LkSignInPage, retry_button);

  gtk_widget_class_install_action (widget_class, "sign-in.start", NULL,
                                   lk_sign_in_page_start_action);
  gtk_widget_class_install_action (widget_class, "sign-in.retry", NULL,
                                   lk_sign_in_page_start_action);
  gtk_widget_class_install_action (widget_class, "sign-in.cancel", NULL,
                                   lk_sign_in_page_cancel_action);
  gtk_widget_class_install_action (widget_class, "sign-in.switch-flow", NULL,
                                   lk_sign_in_page_switch_flow_action);
  gtk_widget_class_install_action (widget_class, "sign-in.copy-link", NULL,
                                   lk_sign_in_page_copy_link_action);
  gtk_widget_class_install_action (widget_class, "sign-in.copy-code", NULL,
                                   lk_sign_in_page_copy_code_action);
}

static void
lk_sign_in_page_init (LkSignInPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  set_state (self, "intro");
}
