/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "lk-code-view.h"
#include "lk-diagnosis-view.h"
#include "lk-ui-init.h"
#include "lk-ui-util.h"

/**
 * LkDiagnosisView:
 *
 * A diagnosis as a person acts on it: what happened, who can fix it, the
 * steps with the commands to copy, the link (the admin consent link, with
 * Copy and Open), where to change it in the portal, what the server said,
 * and for a mail server the conversation and the connection's security.
 * A field the diagnosis does not have is not shown, heading and all.
 * "Copy Details for IT" puts the facts support needs on the clipboard
 * (lk_diagnosis_to_support_text()); nothing shown or copied is a secret.
 *
 * The sign-in page, the test page and the account page show diagnoses
 * with it.
 */
struct _LkDiagnosisView
{
  GtkWidget    parent_instance;

  /* Template children */
  GtkLabel    *title_label;
  GtkLabel    *explanation_label;
  GtkLabel    *fixer_label;
  GtkWidget   *steps_box;
  GtkWidget   *link_box;
  GtkLabel    *link_heading;
  LkCodeView  *link_view;
  GtkWidget   *portal_box;
  GtkLabel    *portal_label;
  GtkWidget   *reply_box;
  LkCodeView  *reply_view;
  GtkWidget   *transcript_box;
  LkCodeView  *transcript_view;
  GtkWidget   *connection_box;
  LkCodeView  *connection_view;

  LkDiagnosis *diagnosis;
  char        *transcript;
  char        *connection;
  GPtrArray   *step_widgets;   /* what was added to steps_box */
};

G_DEFINE_FINAL_TYPE (LkDiagnosisView, lk_diagnosis_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_DIAGNOSIS,
  PROP_TRANSCRIPT,
  PROP_CONNECTION,
  PROP_SHOW_TITLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GtkWidget *
lk_diagnosis_view_new (void)
{
  return g_object_new (LK_TYPE_DIAGNOSIS_VIEW, NULL);
}

static gboolean
has_text (const char *text)
{
  return text != NULL && *text != '\0';
}

static GtkWidget *
step_label (guint       number,
            const char *step)
{
  /* Translators: a numbered step, as in "1. Open the link". */
  g_autofree char *text = g_strdup_printf (_("%u. %s"), number, step);
  GtkWidget *label = lk_ui_label_new_prose (text);

  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  return label;
}

static void
clear_steps (LkDiagnosisView *self)
{
  for (guint i = 0; i < self->step_widgets->len; i++)
    gtk_box_remove (GTK_BOX (self->steps_box), g_ptr_array_index (self->step_widgets, i));
  g_ptr_array_set_size (self->step_widgets, 0);
}

static void
add_step_widget (LkDiagnosisView *self,
                 GtkWidget       *widget)
{
  gtk_box_append (GTK_BOX (self->steps_box), widget);
  g_ptr_array_add (self->step_widgets, widget);
}

static void
set_code (GtkWidget  *box,
          LkCodeView *view,
          const char *text)
{
  lk_code_view_set_text (view, has_text (text) ? text : NULL);
  gtk_widget_set_visible (box, has_text (text));
}

static void
update (LkDiagnosisView *self)
{
  LkDiagnosis *d = self->diagnosis;
  gboolean have_steps;

  clear_steps (self);
  gtk_widget_set_visible (GTK_WIDGET (self), d != NULL);
  set_code (self->transcript_box, self->transcript_view, self->transcript);
  set_code (self->connection_box, self->connection_view, self->connection);
  if (d == NULL)
    return;

  gtk_label_set_text (self->title_label, d->title);
  gtk_label_set_text (self->explanation_label, d->explanation != NULL ? d->explanation : "");
  gtk_widget_set_visible (GTK_WIDGET (self->explanation_label), has_text (d->explanation));
  {
    /* Translators: %s is who can fix it, such as "Your organisation's administrator". */
    g_autofree char *who = g_strdup_printf (_("Who can fix it: %s"),
                                            lk_fixer_get_label (d->fixer));

    gtk_label_set_text (self->fixer_label, who);
  }

  for (guint i = 0; d->steps[i] != NULL; i++)
    add_step_widget (self, step_label (i + 1, d->steps[i]));
  for (guint i = 0; d->commands[i] != NULL; i++)
    {
      GtkWidget *command = lk_code_view_new (d->commands[i]);

      lk_code_view_set_copy_label (LK_CODE_VIEW (command), _("Copy Command"),
                                   _("Command copied"));
      add_step_widget (self, command);
    }
  have_steps = d->steps[0] != NULL || d->commands[0] != NULL;
  gtk_widget_set_visible (self->steps_box, have_steps);

  gtk_label_set_text (self->link_heading, d->url_kind == LK_DIAGNOSIS_LINK_ADMIN_CONSENT
                                          ? _("Admin Consent Link") : _("More Information"));
  set_code (self->link_box, self->link_view, d->url);
  gtk_label_set_text (self->portal_label, d->portal_path != NULL ? d->portal_path : "");
  gtk_widget_set_visible (self->portal_box, has_text (d->portal_path));
  set_code (self->reply_box, self->reply_view, d->raw);
}

/**
 * lk_diagnosis_view_set_diagnosis:
 * @diagnosis: (nullable): what to show; %NULL hides the view
 */
void
lk_diagnosis_view_set_diagnosis (LkDiagnosisView *self,
                                 LkDiagnosis     *diagnosis)
{
  g_return_if_fail (LK_IS_DIAGNOSIS_VIEW (self));

  if (diagnosis == self->diagnosis)
    return;
  g_clear_pointer (&self->diagnosis, lk_diagnosis_unref);
  if (diagnosis != NULL)
    self->diagnosis = lk_diagnosis_ref (diagnosis);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIAGNOSIS]);
}

LkDiagnosis *
lk_diagnosis_view_get_diagnosis (LkDiagnosisView *self)
{
  g_return_val_if_fail (LK_IS_DIAGNOSIS_VIEW (self), NULL);
  return self->diagnosis;
}

/**
 * lk_diagnosis_view_set_transcript:
 * @transcript: (nullable): the mail server conversation, redacted by core
 */
void
lk_diagnosis_view_set_transcript (LkDiagnosisView *self,
                                  const char      *transcript)
{
  g_return_if_fail (LK_IS_DIAGNOSIS_VIEW (self));

  if (g_strcmp0 (transcript, self->transcript) == 0)
    return;
  g_free (self->transcript);
  self->transcript = g_strdup (transcript);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRANSCRIPT]);
}

/**
 * lk_diagnosis_view_set_connection:
 * @connection: (nullable): the connection's TLS details
 */
void
lk_diagnosis_view_set_connection (LkDiagnosisView *self,
                                  const char      *connection)
{
  g_return_if_fail (LK_IS_DIAGNOSIS_VIEW (self));

  if (g_strcmp0 (connection, self->connection) == 0)
    return;
  g_free (self->connection);
  self->connection = g_strdup (connection);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);
}

/**
 * lk_diagnosis_view_set_show_title:
 *
 * Whether the view shows the diagnosis's title itself; off where the page
 * already shows it (a row's subtitle, a status page's title).
 */
void
lk_diagnosis_view_set_show_title (LkDiagnosisView *self,
                                  gboolean         show_title)
{
  g_return_if_fail (LK_IS_DIAGNOSIS_VIEW (self));

  show_title = !!show_title;
  if (show_title == gtk_widget_get_visible (GTK_WIDGET (self->title_label)))
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->title_label), show_title);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_TITLE]);
}

/**
 * lk_diagnosis_view_dup_details:
 *
 * Returns: (transfer full) (nullable): what "Copy Details for IT" copies
 */
char *
lk_diagnosis_view_dup_details (LkDiagnosisView *self)
{
  g_return_val_if_fail (LK_IS_DIAGNOSIS_VIEW (self), NULL);

  if (self->diagnosis == NULL)
    return NULL;
  return lk_diagnosis_to_support_text (self->diagnosis, self->transcript, self->connection);
}

static void
lk_diagnosis_view_copy_link_action (GtkWidget  *widget,
                                    const char *action_name,
                                    GVariant   *parameter)
{
  LkDiagnosisView *self = LK_DIAGNOSIS_VIEW (widget);

  if (self->diagnosis != NULL && self->diagnosis->url != NULL)
    lk_ui_copy_text (widget, self->diagnosis->url, _("Link copied"));
}

static void
lk_diagnosis_view_open_link_action (GtkWidget  *widget,
                                    const char *action_name,
                                    GVariant   *parameter)
{
  LkDiagnosisView *self = LK_DIAGNOSIS_VIEW (widget);

  if (self->diagnosis != NULL && self->diagnosis->url != NULL)
    lk_ui_open_uri (widget, self->diagnosis->url, NULL);
}

static void
lk_diagnosis_view_copy_details_action (GtkWidget  *widget,
                                       const char *action_name,
                                       GVariant   *parameter)
{
  g_autofree char *details = lk_diagnosis_view_dup_details (LK_DIAGNOSIS_VIEW (widget));

  if (details != NULL)
    lk_ui_copy_text (widget, details, _("Details copied"));
}

static void
lk_diagnosis_view_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  LkDiagnosisView *self = LK_DIAGNOSIS_VIEW (object);

  switch (prop_id)
    {
    case PROP_DIAGNOSIS:
      g_value_set_boxed (value, self->diagnosis);
      break;
    case PROP_TRANSCRIPT:
      g_value_set_string (value, self->transcript);
      break;
    case PROP_CONNECTION:
      g_value_set_string (value, self->connection);
      break;
    case PROP_SHOW_TITLE:
      g_value_set_boolean (value, gtk_widget_get_visible (GTK_WIDGET (self->title_label)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_diagnosis_view_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  LkDiagnosisView *self = LK_DIAGNOSIS_VIEW (object);

  switch (prop_id)
    {
    case PROP_DIAGNOSIS:
      lk_diagnosis_view_set_diagnosis (self, g_value_get_boxed (value));
      break;
    case PROP_TRANSCRIPT:
      lk_diagnosis_view_set_transcript (self, g_value_get_string (value));
      break;
    case PROP_CONNECTION:
      lk_diagnosis_view_set_connection (self, g_value_get_string (value));
      break;
    case PROP_SHOW_TITLE:
      lk_diagnosis_view_set_show_title (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_diagnosis_view_dispose (GObject *object)
{
  LkDiagnosisView *self = LK_DIAGNOSIS_VIEW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_DIAGNOSIS_VIEW);
  lk_ui_unparent_children (GTK_WIDGET (self));
  g_clear_pointer (&self->step_widgets, g_ptr_array_unref);
  g_clear_pointer (&self->diagnosis, lk_diagnosis_unref);
  g_clear_pointer (&self->transcript, g_free);
  g_clear_pointer (&self->connection, g_free);

  G_OBJECT_CLASS (lk_diagnosis_view_parent_class)->dispose (object);
}

static void
lk_diagnosis_view_class_init (LkDiagnosisViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_diagnosis_view_dispose;
  object_class->get_property = lk_diagnosis_view_get_property;
  object_class->set_property = lk_diagnosis_view_set_property;

  properties[PROP_DIAGNOSIS] =
    g_param_spec_boxed ("diagnosis", NULL, NULL, LK_TYPE_DIAGNOSIS,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TRANSCRIPT] =
    g_param_spec_string ("transcript", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONNECTION] =
    g_param_spec_string ("connection", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_TITLE] =
    g_param_spec_boolean ("show-title", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (LK_TYPE_CODE_VIEW);
  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/lk-diagnosis-view.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, LkDiagnosisView, title_label);
  gtk_widget_class_bind_template_child (widget_class, LkDiagnosisView, explanation_label);
  gtk_widget_class_bind_template_child (widget_class, LkDiagnosisView, fixer_label);
  gtk_widget_class_bind_template_child (widget_class, LkDiagnosisView, steps_box);
  gtk_widget_class_bind_template_child (widget_class, LkDiagnosisView, link_box);
  gtk_widget_class_bind_template_child (widget_class, LkDiagnosisView, link_heading);
  gtk_widget_class_bind_template_child (widget_class, LkDiagnosisView, link_view);
  gtk_widget_class_bind_template_child (widget_class, LkDiagnosisView, portal_box);
  gtk_widget_class_bind_template_child (widget_class, LkDiagnosisView, portal_label);
  gtk_widget_class_bind_template_child (widget_class, LkDiagnosisView, reply_box);
  gtk_widget_class_bind_template_child (widget_class, LkDiagnosisView, reply_view);
  gtk_widget_class_bind_template_child (widget_class, LkDiagnosisView, transcript_box);
  gtk_widget_class_bind_template_child (widget_class, LkDiagnosisView, transcript_view);
  gtk_widget_class_bind_template_child (widget_class, LkDiagnosisView, connection_box);
  gtk_widget_class_bind_template_child (widget_class, LkDiagnosisView, connection_view);

  gtk_widget_class_install_action (widget_class, "diagnosis.copy-link", NULL,
                                   lk_diagnosis_view_copy_link_action);
  gtk_widget_class_install_action (widget_class, "diagnosis.open-link", NULL,
                                   lk_diagnosis_view_open_link_action);
  gtk_widget_class_install_action (widget_class, "diagnosis.copy-details", NULL,
                                   lk_diagnosis_view_copy_details_action);
}

static void
lk_diagnosis_view_init (LkDiagnosisView *self)
{
  self->step_widgets = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  update (self);
}
