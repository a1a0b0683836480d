/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "lk-diagnosis-view.h"
#include "lk-test-page.h"
#include "lk-ui-init.h"
#include "lk-ui-util.h"

/**
 * LkTestPage:
 *
 * The test step: one row per protocol with a spinner, then a verdict. A
 * failed row expands to its diagnosis (LkDiagnosisView: the fix with
 * copyable commands, the redacted transcript, the TLS details, Copy
 * Details for IT); a row that works has nothing to expand. The page runs no probe itself;
 * the wizard does, emits nothing here, and "test-again" asks it to rerun.
 */
typedef struct
{
  AdwExpanderRow *row;
  GtkStack       *status;   /* "spinner" or "icon" */
  GtkSpinner     *spinner;
  GtkImage       *icon;
  GtkWidget      *details;  /* nullable: the expanded content */
  LkDiagnosisView *view;    /* inside details */
  LkTestVerdict   verdict;
} ProtocolRow;

struct _LkTestPage
{
  GtkWidget            parent_instance;

  /* Template children */
  GtkLabel            *heading_label;
  AdwPreferencesGroup *rows_group;
  GtkButton           *again_button;
  GtkButton           *continue_button;

  ProtocolRow          rows[LK_N_PROTOCOLS];
  gboolean             can_continue;
};

G_DEFINE_FINAL_TYPE (LkTestPage, lk_test_page, GTK_TYPE_WIDGET)

enum {
  SIGNAL_TEST_AGAIN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

GtkWidget *
lk_test_page_new (void)
{
  return g_object_new (LK_TYPE_TEST_PAGE, NULL);
}

/* The heading of a test that ends here (testing an account that was
 * already set up, or signing it in again): what does not work, by name,
 * since nothing after this page will make it work "yet". */
static char *
dup_failed_heading (LkTestPage *self)
{
  LkProtocol failed[LK_N_PROTOCOLS];
  guint n_failed = 0, n_rows = 0;

  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    {
      if (self->rows[p].row == NULL)
        continue;
      n_rows++;
      if (self->rows[p].verdict == LK_TEST_VERDICT_FAILED)
        failed[n_failed++] = p;
    }
  if (n_failed == 0)
    return g_strdup (_("Something Does Not Work"));
  if (n_failed == 1)
    /* Translators: %s is a protocol: IMAP, POP or SMTP. */
    return g_strdup_printf (_("%s Does Not Work"), lk_protocol_get_name (failed[0]));
  if (n_failed == n_rows)
    return g_strdup (_("Nothing Works"));
  /* Two of the three. Translators: each %s is a protocol: IMAP, POP or SMTP. */
  return g_strdup_printf (_("%s and %s Do Not Work"), lk_protocol_get_name (failed[0]),
                          lk_protocol_get_name (failed[1]));
}

/* The buttons follow the rows: nothing to do while a probe runs, "Continue
 * Anyway" only when something failed and there is a page after this one
 * (Next continues otherwise). */
static void
update_buttons (LkTestPage *self)
{
  gboolean busy = lk_test_page_get_busy (self);
  gboolean all_ok = lk_test_page_get_all_ok (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "test.again", !busy);
  gtk_widget_set_visible (GTK_WIDGET (self->continue_button),
                          self->can_continue && !busy && !all_ok);

  if (busy)
    gtk_label_set_text (self->heading_label, _("Testing Your Mail Servers"));
  else if (all_ok)
    gtk_label_set_text (self->heading_label, _("Everything Works"));
  else if (self->can_continue)
    gtk_label_set_text (self->heading_label, _("Something Does Not Work Yet"));
  else
    {
      g_autofree char *heading = dup_failed_heading (self);

      gtk_label_set_text (self->heading_label, heading);
    }
}

static void
clear_details (ProtocolRow *r)
{
  if (r->details != NULL)
    {
      adw_expander_row_remove (r->row, r->details);
      r->details = NULL;
      r->view = NULL;
    }
  lk_ui_expander_row_set_has_details (r->row, FALSE);
}

static void
set_verdict (LkTestPage    *self,
             LkProtocol     protocol,
             LkTestVerdict  verdict,
             const char    *subtitle)
{
  ProtocolRow *r = &self->rows[protocol];

  g_return_if_fail (r->row != NULL);

  r->verdict = verdict;
  clear_details (r);
  adw_expander_row_set_subtitle (r->row, subtitle);
  gtk_spinner_set_spinning (r->spinner, verdict == LK_TEST_VERDICT_RUNNING);
  gtk_stack_set_visible_child_name (r->status,
                                    verdict == LK_TEST_VERDICT_RUNNING ? "spinner" : "icon");
  gtk_widget_remove_css_class (GTK_WIDGET (r->icon), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (r->icon), "error");
  switch (verdict)
    {
    case LK_TEST_VERDICT_OK:
      gtk_image_set_from_icon_name (r->icon, "emblem-ok-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (r->icon), "success");
      gtk_accessible_update_property (GTK_ACCESSIBLE (r->icon),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Works"), -1);
      break;
    case LK_TEST_VERDICT_FAILED:
      gtk_image_set_from_icon_name (r->icon, "dialog-error-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (r->icon), "error");
      gtk_accessible_update_property (GTK_ACCESSIBLE (r->icon),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Failed"), -1);
      break;
    case LK_TEST_VERDICT_NONE:
    case LK_TEST_VERDICT_RUNNING:
    default:
      gtk_image_set_from_icon_name (r->icon, "content-loading-symbolic");
      gtk_accessible_update_property (GTK_ACCESSIBLE (r->icon),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Not tested yet"), -1);
      break;
    }
  update_buttons (self);
}

/**
 * lk_test_page_set_protocols:
 *
 * One row per protocol in @protocols, none tested yet.
 */
void
lk_test_page_set_protocols (LkTestPage      *self,
                            LkProtocolFlags  protocols)
{
  g_return_if_fail (LK_IS_TEST_PAGE (self));

  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    {
      ProtocolRow *r = &self->rows[p];

      if (r->row != NULL)
        {
          adw_preferences_group_remove (self->rows_group, GTK_WIDGET (r->row));
          memset (r, 0, sizeof *r);
        }
      if ((protocols & (1 << p)) == 0)
        continue;

      r->row = ADW_EXPANDER_ROW (adw_expander_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (r->row), lk_ui_protocol_title (p));
      r->status = GTK_STACK (gtk_stack_new ());
      r->spinner = GTK_SPINNER (gtk_spinner_new ());
      gtk_accessible_update_property (GTK_ACCESSIBLE (r->spinner),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Testing"), -1);
      r->icon = GTK_IMAGE (gtk_image_new ());
      gtk_stack_add_named (r->status, GTK_WIDGET (r->spinner), "spinner");
      gtk_stack_add_named (r->status, GTK_WIDGET (r->icon), "icon");
      gtk_widget_set_valign (GTK_WIDGET (r->status), GTK_ALIGN_CENTER);
      adw_expander_row_add_prefix (r->row, GTK_WIDGET (r->status));
      adw_preferences_group_add (self->rows_group, GTK_WIDGET (r->row));
      set_verdict (self, p, LK_TEST_VERDICT_NONE, _("Not tested yet"));
    }
  update_buttons (self);
}

void
lk_test_page_set_running (LkTestPage *self,
                          LkProtocol  protocol)
{
  g_return_if_fail (LK_IS_TEST_PAGE (self));
  set_verdict (self, protocol, LK_TEST_VERDICT_RUNNING, _("Testing…"));
}

/**
 * lk_test_page_set_ok:
 * @summary: (nullable): how it worked ("XOAUTH2 over TLS 1.3")
 */
void
lk_test_page_set_ok (LkTestPage *self,
                     LkProtocol  protocol,
                     const char *summary)
{
  g_autofree char *subtitle = NULL;

  g_return_if_fail (LK_IS_TEST_PAGE (self));

  /* Translators: %s says how, such as "XOAUTH2 over TLS 1.3". */
  subtitle = summary != NULL ? g_strdup_printf (_("Works: %s"), summary) : g_strdup (_("Works"));
  set_verdict (self, protocol, LK_TEST_VERDICT_OK, subtitle);
}

/**
 * lk_test_page_set_failed:
 *
 * Marks @protocol failed; its row expands to @failure.
 */
void
lk_test_page_set_failed (LkTestPage          *self,
                         LkProtocol           protocol,
                         const LkTestFailure *failure)
{
  ProtocolRow *r;

  g_return_if_fail (LK_IS_TEST_PAGE (self));
  g_return_if_fail (failure != NULL && failure->diagnosis != NULL);

  set_verdict (self, protocol, LK_TEST_VERDICT_FAILED, failure->diagnosis->title);
  r = &self->rows[protocol];
  r->view = LK_DIAGNOSIS_VIEW (lk_diagnosis_view_new ());
  lk_diagnosis_view_set_diagnosis (r->view, failure->diagnosis);
  lk_diagnosis_view_set_transcript (r->view, failure->transcript);
  lk_diagnosis_view_set_connection (r->view, failure->tls_details);
  gtk_widget_set_margin_top (GTK_WIDGET (r->view), 12);
  gtk_widget_set_margin_bottom (GTK_WIDGET (r->view), 12);
  gtk_widget_set_margin_start (GTK_WIDGET (r->view), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (r->view), 12);
  /* Our own list row, so that adw_expander_row_remove() finds it again. */
  r->details = gtk_list_box_row_new ();
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (r->details), FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (r->details), GTK_WIDGET (r->view));
  adw_expander_row_add_row (r->row, r->details);
  lk_ui_expander_row_set_has_details (r->row, TRUE);
}

/**
 * lk_test_page_set_can_continue:
 *
 * Whether a page follows (adding an account): then "Continue Anyway" goes
 * on when something failed, and the heading says it does not work "yet". A
 * test on its own ends here, and its heading names what does not work
 * ("SMTP Does Not Work").
 */
void
lk_test_page_set_can_continue (LkTestPage *self,
                               gboolean    can_continue)
{
  g_return_if_fail (LK_IS_TEST_PAGE (self));
  self->can_continue = can_continue;
  update_buttons (self);
}

/* The diagnosis a failed row shows, if any. */
LkDiagnosis *
lk_test_page_get_diagnosis (LkTestPage *self,
                            LkProtocol  protocol)
{
  g_return_val_if_fail (LK_IS_TEST_PAGE (self), NULL);
  return self->rows[protocol].view != NULL
    ? lk_diagnosis_view_get_diagnosis (self->rows[protocol].view) : NULL;
}

LkTestVerdict
lk_test_page_get_verdict (LkTestPage *self,
                          LkProtocol  protocol)
{
  g_return_val_if_fail (LK_IS_TEST_PAGE (self), LK_TEST_VERDICT_NONE);
  return self->rows[protocol].verdict;
}

AdwExpanderRow *
lk_test_page_get_row (LkTestPage *self,
                      LkProtocol  protocol)
{
  g_return_val_if_fail (LK_IS_TEST_PAGE (self), NULL);
  return self->rows[protocol].row;
}

gboolean
lk_test_page_get_busy (LkTestPage *self)
{
  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    if (self->rows[p].row != NULL && self->rows[p].verdict == LK_TEST_VERDICT_RUNNING)
      return TRUE;
  return FALSE;
}

/* Every row tested and working. */
gboolean
lk_test_page_get_all_ok (LkTestPage *self)
{
  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    if (self->rows[p].row != NULL && self->rows[p].verdict != LK_TEST_VERDICT_OK)
      return FALSE;
  return TRUE;
}

static void
lk_test_page_again_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  g_signal_emit (widget, signals[SIGNAL_TEST_AGAIN], 0);
}

static void
lk_test_page_continue_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  gtk_widget_activate_action (widget, "wizard.skip-test", NULL);
}

static void
lk_test_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), LK_TYPE_TEST_PAGE);
  lk_ui_unparent_children (GTK_WIDGET (object));
  G_OBJECT_CLASS (lk_test_page_parent_class)->dispose (object);
}

static void
lk_test_page_class_init (LkTestPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_test_page_dispose;

  /**
   * LkTestPage::test-again:
   *
   * The person asked to run the tests again.
   */
  signals[SIGNAL_TEST_AGAIN] =
    g_signal_new ("test-again", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);

  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/lk-test-page.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, LkTestPage, heading_label);
  gtk_widget_class_bind_template_child (widget_class, LkTestPage, rows_group);
  gtk_widget_class_bind_template_child (widget_class, LkTestPage, again_button);
  gtk_widget_class_bind_template_child (widget_class, LkTestPage, continue_button);

  gtk_widget_class_install_action (widget_class, "test.again", NULL, lk_test_page_again_action);
  gtk_widget_class_install_action (widget_class, "test.continue", NULL,
                                   lk_test_page_continue_action);
}

static void
lk_test_page_init (LkTestPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->can_continue = TRUE;
  update_buttons (self);
}
