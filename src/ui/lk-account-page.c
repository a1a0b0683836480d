/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "export/lk-export-apply.h"
#include "export/lk-exporter.h"
#include "lk-account-page.h"
#include "lk-bridge-section.h"
#include "lk-diagnosis-view.h"
#include "lk-error.h"
#include "lk-ui-init.h"
#include "lk-ui-util.h"
#include "providers/lk-microsoft.h"

/**
 * LkAccountPage:
 *
 * One account, opened from its row in the accounts window (issue #18): how
 * it is and what helps (Test, Sign In Again), its provider and servers with
 * the last test of each protocol and, for a failure, the whole diagnosis
 * (LkDiagnosisView), what the keyring holds about its sign-in (who signed
 * in, the scopes granted, the key's expiry, the last refresh, the refresh
 * token's age: LkTokenInfo, never a token), the mail programs it was set up
 * for (and whether each file still holds what Set Up would write now: core's
 * dry run), "Use with Other Programs" (the bridge, LkBridgeSection), and Remove.
 * Its buttons are the window's actions with the address as target.
 */
struct _LkAccountPage
{
  GtkWidget            parent_instance;

  /* Template children */
  AdwWindowTitle      *title_widget;
  GtkImage            *status_icon;
  GtkLabel            *status_title;
  GtkLabel            *status_detail;
  GtkButton           *test_button;
  GtkButton           *sign_in_button;
  AdwPreferencesGroup *servers_group;
  AdwActionRow        *provider_row;
  AdwPreferencesGroup *sign_in_group;
  AdwPreferencesGroup *programs_group;
  GtkButton           *set_up_button;
  LkBridgeSection     *bridge_section;
  GtkButton           *remove_button;

  LkAccount           *account;
  LkTokenInfo         *token_info;        /* nullable: not read (yet) */
  GError              *keyring_error;     /* nullable: why it was not */
  GCancellable        *cancellable;       /* the keyring lookup */
  GCancellable        *programs_cancellable; /* the mail programs' dry runs */
  guint                programs_checking; /* dry runs not answered yet */
  GPtrArray           *server_rows;       /* added to servers_group */
  GPtrArray           *sign_in_rows;      /* added to sign_in_group */
  GPtrArray           *program_rows;      /* added to programs_group */
  AdwExpanderRow      *protocol_rows[LK_N_PROTOCOLS];
  LkDiagnosisView     *diagnosis_views[LK_N_PROTOCOLS];
};

G_DEFINE_FINAL_TYPE (LkAccountPage, lk_account_page, GTK_TYPE_WIDGET)

GtkWidget *
lk_account_page_new (void)
{
  return g_object_new (LK_TYPE_ACCOUNT_PAGE, NULL);
}

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
clear_rows (AdwPreferencesGroup *group,
            GPtrArray           *rows)
{
  for (guint i = 0; i < rows->len; i++)
    adw_preferences_group_remove (group, g_ptr_array_index (rows, i));
  g_ptr_array_set_size (rows, 0);
}

static void
add_row (AdwPreferencesGroup *group,
         GPtrArray           *rows,
         GtkWidget           *row)
{
  adw_preferences_group_add (group, row);
  g_ptr_array_add (rows, row);
}

/* A name and its value, the value selectable and never hyphenated: an
 * address, a tenant id, scopes. An AdwPreferencesRow, so that the group
 * puts it in its boxed list (other widgets go below the list), with its
 * own child: AdwActionRow's subtitle cannot be selected before
 * libadwaita 1.3. */
static GtkWidget *
property_row_new (const char *name,
                  const char *value,
                  gboolean    is_problem)
{
  GtkWidget *row = adw_preferences_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *name_label = lk_ui_label_new_prose (name);
  GtkWidget *value_label = lk_ui_label_new_prose (value);

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_margin_top (box, 9);
  gtk_widget_set_margin_bottom (box, 9);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_add_css_class (name_label, "caption");
  gtk_widget_add_css_class (name_label, "dim-label");
  gtk_label_set_selectable (GTK_LABEL (value_label), TRUE);
  if (is_problem)
    gtk_widget_add_css_class (value_label, "warning");
  gtk_box_append (GTK_BOX (box), name_label);
  gtk_box_append (GTK_BOX (box), value_label);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  return row;
}

static void
set_status (LkAccountPage *self,
            const char    *icon,
            const char    *css,
            const char    *title,
            const char    *detail)
{
  static const char *classes[] = { "success", "warning", "error", "dim-label" };

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_icon), classes[i]);
  gtk_image_set_from_icon_name (self->status_icon, icon);
  gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), css);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->status_icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  gtk_label_set_text (self->status_title, title);
  gtk_label_set_text (self->status_detail, detail != NULL ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_detail), detail != NULL);
}

static void
update_status (LkAccountPage *self)
{
  LkAccount *account = self->account;
  g_autofree char *detail = NULL;

  gtk_widget_remove_css_class (GTK_WIDGET (self->test_button), "suggested-action");
  gtk_widget_remove_css_class (GTK_WIDGET (self->sign_in_button), "suggested-action");
  switch (account->state)
    {
    case LK_ACCOUNT_STATE_WORKING:
      {
        g_autofree char *age = lk_ui_format_age (account->last_tested, now_seconds ());

        /* Translators: %s is how long ago, such as "5 minutes ago". */
        detail = account->last_tested != 0 ? g_strdup_printf (_("Every protocol signed in when "
                                                                "tested %s."), age) : NULL;
        set_status (self, "emblem-ok-symbolic", "success", _("Working"), detail);
      }
      break;
    case LK_ACCOUNT_STATE_FAILING:
      detail = lk_ui_describe_failures (account);
      set_status (self, "dialog-error-symbolic", "error", _("Something Does Not Work"), detail);
      gtk_widget_add_css_class (GTK_WIDGET (self->test_button), "suggested-action");
      break;
    case LK_ACCOUNT_STATE_NEEDS_SIGN_IN:
      set_status (self, "dialog-password-symbolic", "warning", _("Needs Sign-In"),
                  _("The provider no longer accepts the saved sign-in. Sign in again, and "
                    "your mail programs work again as they are."));
      gtk_widget_add_css_class (GTK_WIDGET (self->sign_in_button), "suggested-action");
      break;
    case LK_ACCOUNT_STATE_UNTESTED:
    default:
      set_status (self, "content-loading-symbolic", "dim-label", _("Not Tested Yet"),
                  _("A test signs in to each mail server as your mail programs will."));
      gtk_widget_add_css_class (GTK_WIDGET (self->test_button), "suggested-action");
      break;
    }
}

static char *
describe_server (const LkServer *server)
{
  const char *security;

  switch (server->security)
    {
    case LK_SECURITY_TLS: security = "TLS"; break;
    case LK_SECURITY_STARTTLS: security = "STARTTLS"; break;
    case LK_SECURITY_NONE:
    default:
      /* Translators: a connection without TLS (loopback only). */
      security = _("unencrypted");
      break;
    }
  /* Translators: host, port and security: "outlook.office365.com:993, TLS" */
  return g_strdup_printf (_("%s:%u, %s"), server->host, server->port, security);
}

static char *
describe_test (const LkProtocolTest *test)
{
  g_autofree char *age = NULL;

  if (test->tested_at == 0)
    return g_strdup (_("Not tested yet"));
  age = lk_ui_format_age (test->tested_at, now_seconds ());
  if (test->ok)
    /* Translators: how long ago, then how it signed in: "Worked 5 minutes
     * ago: XOAUTH2 over TLS 1.3 to outlook.office365.com" */
    return test->summary != NULL ? g_strdup_printf (_("Worked %s: %s"), age, test->summary)
                                 : g_strdup_printf (_("Worked %s"), age);
  /* Translators: how long ago, then what failed. */
  return test->summary != NULL ? g_strdup_printf (_("Failed %s: %s"), age, test->summary)
                               : g_strdup_printf (_("Failed %s"), age);
}

static GtkWidget *
protocol_row_new (LkAccountPage *self,
                  LkProtocol     protocol)
{
  const LkProtocolTest *test = &self->account->tests[protocol];
  const LkServer *server = lk_provider_get_server (self->account->provider, protocol);
  g_autofree char *where = describe_server (server);
  g_autofree char *result = describe_test (test);
  g_autofree char *subtitle = g_strdup_printf ("%s\n%s", where, result);
  g_autoptr(LkDiagnosis) diagnosis = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *row = adw_expander_row_new ();
  GtkWidget *icon = gtk_image_new ();
  const char *verdict;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), lk_ui_protocol_title (protocol));
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitle);
  if (test->tested_at == 0)
    {
      gtk_image_set_from_icon_name (GTK_IMAGE (icon), "content-loading-symbolic");
      gtk_widget_add_css_class (icon, "dim-label");
      verdict = _("Not tested yet");
    }
  else if (test->ok)
    {
      gtk_image_set_from_icon_name (GTK_IMAGE (icon), "emblem-ok-symbolic");
      gtk_widget_add_css_class (icon, "success");
      verdict = _("Works");
    }
  else
    {
      gtk_image_set_from_icon_name (GTK_IMAGE (icon), "dialog-error-symbolic");
      gtk_widget_add_css_class (icon, "error");
      verdict = _("Failed");
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  verdict, -1);
  gtk_widget_set_valign (icon, GTK_ALIGN_CENTER);
  adw_expander_row_add_prefix (ADW_EXPANDER_ROW (row), icon);
  lk_ui_row_keep_words (row);

  /* A failure opens to its diagnosis, as the test page showed it. */
  if (!test->ok && test->details != NULL)
    {
      diagnosis = lk_diagnosis_new_from_json (test->details, &error);
      if (diagnosis == NULL)
        g_debug ("The %s diagnosis of %s is not shown: %s", lk_protocol_get_name (protocol),
                 self->account->email, error->message);
    }
  if (diagnosis != NULL)
    {
      GtkWidget *view = lk_diagnosis_view_new ();
      GtkWidget *details = gtk_list_box_row_new ();

      lk_diagnosis_view_set_diagnosis (LK_DIAGNOSIS_VIEW (view), diagnosis);
      gtk_widget_set_margin_top (view, 12);
      gtk_widget_set_margin_bottom (view, 12);
      gtk_widget_set_margin_start (view, 12);
      gtk_widget_set_margin_end (view, 12);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (details), FALSE);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (details), view);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), details);
      self->diagnosis_views[protocol] = LK_DIAGNOSIS_VIEW (view);
    }
  lk_ui_expander_row_set_has_details (ADW_EXPANDER_ROW (row), diagnosis != NULL);
  return row;
}

static void
update_servers (LkAccountPage *self)
{
  LkAccount *account = self->account;
  LkProvider *provider = account->provider;
  const char *client_id = lk_account_get_client_id (account);

  clear_rows (self->servers_group, self->server_rows);
  memset (self->protocol_rows, 0, sizeof self->protocol_rows);
  memset (self->diagnosis_views, 0, sizeof self->diagnosis_views);
  adw_action_row_set_subtitle (self->provider_row, provider->name);
  lk_ui_row_keep_words (GTK_WIDGET (self->provider_row));
  if (g_strcmp0 (provider->kind, "microsoft") == 0)
    {
      const char *tenant = lk_account_get_tenant (account);

      add_row (self->servers_group, self->server_rows,
               property_row_new (_("Tenant"), tenant != NULL ? tenant : _("Not set"), FALSE));
    }
  add_row (self->servers_group, self->server_rows,
           property_row_new (_("Client ID"), client_id != NULL ? client_id : _("None"),
                             client_id == NULL));
  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    {
      GtkWidget *row;

      if ((account->protocols & (1u << p)) == 0 || lk_provider_get_server (provider, p) == NULL)
        continue;
      row = protocol_row_new (self, p);
      self->protocol_rows[p] = ADW_EXPANDER_ROW (row);
      add_row (self->servers_group, self->server_rows, row);
    }
}

/* The scopes as people recognise them: "IMAP.AccessAsUser.All, SMTP.Send,
 * offline_access", without the resource before each. */
static char *
short_scopes (const char *scopes)
{
  g_auto(GStrv) words = g_strsplit (scopes, " ", -1);
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_auto(GStrv) list = NULL;

  for (guint i = 0; words[i] != NULL; i++)
    {
      const char *slash = strrchr (words[i], '/');

      if (*words[i] != '\0')
        g_strv_builder_add (names, slash != NULL && slash[1] != '\0' ? slash + 1 : words[i]);
    }
  list = g_strv_builder_end (names);
  return g_strjoinv (", ", list);
}

static char *
describe_moment (gint64 when,
                 gint64 now)
{
  g_autofree char *age = lk_ui_format_age (when, now);
  g_autofree char *time = lk_ui_format_time (when);

  /* Translators: "2 days ago (2026-01-29 09:12)" */
  return g_strdup_printf (_("%s (%s)"), age, time);
}

static void
add_sign_in_row (LkAccountPage *self,
                 const char    *name,
                 const char    *value,
                 gboolean       is_problem)
{
  add_row (self->sign_in_group, self->sign_in_rows, property_row_new (name, value, is_problem));
}

static void
update_sign_in (LkAccountPage *self)
{
  const LkTokenInfo *info = self->token_info;
  gint64 now = now_seconds ();
  g_autofree char *signed_in = NULL;
  g_autofree char *valid = NULL;
  g_autofree char *refreshed = NULL;
  g_autofree char *refresh_token = NULL;
  g_autofree char *scopes = NULL;

  clear_rows (self->sign_in_group, self->sign_in_rows);
  if (self->keyring_error != NULL)
    {
      g_autofree char *message = lk_ui_error_message (self->keyring_error);

      add_sign_in_row (self, _("Keyring"), message != NULL ? message : "", TRUE);
      return;
    }
  if (info == NULL)
    {
      add_sign_in_row (self, _("Keyring"), _("Reading…"), FALSE);
      return;
    }
  if (!info->has_tokens)
    {
      add_sign_in_row (self, _("Keyring"), _("It holds no key for this account: sign in "
                                              "again."), TRUE);
      return;
    }

  if (info->app_only)
    add_sign_in_row (self, _("Signed In As"), _("The app itself, with its client secret"),
                     FALSE);
  else if (info->signed_in_as != NULL && info->name != NULL &&
           g_strcmp0 (info->name, info->signed_in_as) != 0)
    {
      /* Translators: a person's name, then the address they signed in
       * with: "Grace Hopper (grace@example.org)" */
      g_autofree char *who = g_strdup_printf (_("%s (%s)"), info->name, info->signed_in_as);

      add_sign_in_row (self, _("Signed In As"), who, FALSE);
    }
  else
    add_sign_in_row (self, _("Signed In As"),
                     info->signed_in_as != NULL ? info->signed_in_as : _("Not known"), FALSE);

  if (info->signed_in_at != 0)
    signed_in = describe_moment (info->signed_in_at, now);
  add_sign_in_row (self, _("Signed In"),
                   signed_in != NULL ? signed_in : _("Not recorded (before Latchkey kept it)"),
                   FALSE);

  if (info->expires_at == 0)
    valid = g_strdup (_("Not known"));
  else if (info->expires_at > now)
    valid = lk_ui_format_time (info->expires_at);
  else
    {
      g_autofree char *time = lk_ui_format_time (info->expires_at);

      /* Translators: %s is when the key expired. */
      valid = g_strdup_printf (_("%s, expired: a new key is fetched when a program asks"), time);
    }
  add_sign_in_row (self, _("Key Valid Until"), valid, FALSE);

  refreshed = info->refreshed_at != 0 ? describe_moment (info->refreshed_at, now)
                                      : g_strdup (_("Not since the sign-in"));
  add_sign_in_row (self, _("Last Refreshed"), refreshed, FALSE);

  if (info->app_only)
    refresh_token = g_strdup (_("None needed: the app signs in with its secret"));
  else if (!info->has_refresh_token)
    refresh_token = g_strdup (_("None: the account needs a new sign-in each time its key "
                                "expires"));
  else if (info->refresh_token_at != 0)
    {
      g_autofree char *age = lk_ui_format_age (info->refresh_token_at, now);

      /* Translators: %s is how long ago, such as "3 days ago". */
      refresh_token = g_strdup_printf (_("Issued %s"), age);
    }
  else
    refresh_token = g_strdup (_("Kept; its age is not recorded"));
  add_sign_in_row (self, _("Refresh Token"), refresh_token,
                   !info->app_only && !info->has_refresh_token);

  if (info->scopes != NULL)
    {
      scopes = short_scopes (info->scopes);
      add_sign_in_row (self, _("Access Granted"), scopes, FALSE);
    }
}

/* The change a dry run of Set Up (src/core/export/lk-export-apply.h) names
 * for @path, the file an export was written to. */
static const LkExportChange *
find_change (const LkExportApplyResult *result,
             const char                *path)
{
  for (guint i = 0; i < result->changes->len; i++)
    {
      const LkExportChange *change = g_ptr_array_index (result->changes, i);

      if (g_strcmp0 (change->path, path) == 0 || g_strcmp0 (change->link, path) == 0)
        return change;
    }
  return NULL;
}

/* What the dry run says about the row's file (@found), or, when the run
 * does not name it, about every file of the client's configuration (not
 * mbsync's Maildir folder), in words for the row: whether it still holds
 * what Latchkey would write now. */
static const char *
describe_dry_run (const LkExportApplyResult *result,
                  const LkExportChange      *found)
{
  gboolean edited = FALSE, differs = FALSE, missing = FALSE;

  for (guint i = 0; i < result->changes->len; i++)
    {
      const LkExportChange *change = g_ptr_array_index (result->changes, i);

      if ((found != NULL && change != found) || change->is_folder)
        continue;
      switch (change->kind)
        {
        case LK_EXPORT_CHANGE_UNCHANGED:
          break;
        case LK_EXPORT_CHANGE_CREATED:
        case LK_EXPORT_CHANGE_ADDED:
          missing = TRUE;
          break;
        case LK_EXPORT_CHANGE_REPLACED:
        case LK_EXPORT_CHANGE_REPLACED_EARLIER:
        default:
          differs = TRUE;
          edited = edited || change->edited;
          break;
        }
    }
  if (missing)
    return _("No longer holds this account: Set Up adds it again");
  if (edited)
    return _("Edited since Latchkey wrote it: Set Up writes it again");
  if (differs)
    return _("Differs from what Latchkey writes now: Set Up updates it");
  return _("Up to date");
}

typedef struct
{
  LkAccountPage    *self;
  const LkExporter *exporter;
  GtkWidget        *row;
  char             *path;
  char             *subtitle;  /* where and when, the first line */
  gboolean          own_file;  /* the second run: into the recorded file */
} ProgramCheck;

static void
program_check_free (ProgramCheck *check)
{
  g_object_unref (check->self);
  g_object_unref (check->row);
  g_free (check->path);
  g_free (check->subtitle);
  g_free (check);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ProgramCheck, program_check_free)

static void program_checked_cb (GObject      *source,
                                GAsyncResult *result,
                                gpointer      user_data);

/* A dry run of Set Up, which writes nothing: first into the client's own
 * configuration, as Set Up on the page does, which names each of its files
 * (NeoMutt's two, Evolution's .source files); then, for a file the person
 * chose instead ("msmtp -C FILE", another Thunderbird profile), into that
 * file. */
static void
start_check (ProgramCheck *check)
{
  LkAccountPage *self = check->self;
  g_auto(GStrv) argv = lk_ui_dup_token_argv (self->account->email);
  g_autofree char *folder = NULL;
  LkExportContext context = { 0 };
  LkExportApplyOptions options = { 0 };

  context.token_argv = (const char * const *) argv;
  context.version = PACKAGE_VERSION;
  options.dry_run = TRUE;
  /* Evolution's target is its sources folder, of which the export is one
   * .source file (lk-export-evolution.c). */
  if (check->own_file && g_str_equal (check->exporter->id, "evolution"))
    options.file = folder = g_path_get_dirname (check->path);
  else if (check->own_file)
    options.file = check->path;
  lk_exporter_apply_async (check->exporter, self->account, &context, &options,
                           self->programs_cancellable, program_checked_cb, check);
}

static void
program_checked_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(ProgramCheck) check = user_data;
  g_autoptr(LkExportApplyResult) applied = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const LkExportChange *found = NULL;

  applied = lk_exporter_apply_finish (check->exporter, result, &error);
  /* The rows were made again meanwhile: this answer is for rows gone. */
  if (applied == NULL && lk_error_is_cancelled (error))
    return;
  if (applied != NULL)
    found = find_change (applied, check->path);
  if (found == NULL && !check->own_file)
    {
      check->own_file = TRUE;
      start_check (g_steal_pointer (&check));
      return;
    }
  check->self->programs_checking--;
  if (applied != NULL)
    text = g_strdup_printf ("%s\n%s", check->subtitle, describe_dry_run (applied, found));
  else
    {
      g_autofree char *why = lk_ui_error_message (error);

      /* Translators: the row's first line ("~/.msmtprc, saved 2 days ago"),
       * then why the file could not be compared. */
      text = g_strdup_printf (_("%s\nCannot be checked: %s"), check->subtitle, why);
    }
  adw_action_row_set_subtitle (ADW_ACTION_ROW (check->row), text);
}

/* Asks core whether the file of @export still holds what Set Up would
 * write now. */
static void
check_program (LkAccountPage         *self,
               const LkExporter      *exporter,
               const LkAccountExport *export,
               GtkWidget             *row,
               const char            *subtitle)
{
  ProgramCheck *check = g_new0 (ProgramCheck, 1);

  check->self = g_object_ref (self);
  check->exporter = exporter;
  check->row = g_object_ref (row);
  check->path = g_strdup (export->path);
  check->subtitle = g_strdup (subtitle);
  self->programs_checking++;
  start_check (check);
}

static void
update_programs (LkAccountPage *self)
{
  GPtrArray *exports = self->account->exports;
  gint64 now = now_seconds ();

  g_cancellable_cancel (self->programs_cancellable);
  g_clear_object (&self->programs_cancellable);
  self->programs_cancellable = g_cancellable_new ();
  self->programs_checking = 0;
  clear_rows (self->programs_group, self->program_rows);
  if (exports->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     _("No mail program set up from Latchkey yet"));
      gtk_widget_add_css_class (row, "dim-label");
      add_row (self->programs_group, self->program_rows, row);
      return;
    }
  for (guint i = 0; i < exports->len; i++)
    {
      const LkAccountExport *export = g_ptr_array_index (exports, i);
      const LkExporter *exporter = lk_exporter_lookup (export->client);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *path = lk_ui_display_path (export->path);
      g_autofree char *age = lk_ui_format_age (export->at, now);
      g_autofree char *subtitle = NULL;

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     exporter != NULL ? _(exporter->name) : export->client);
      /* Translators: where, then when: "~/.msmtprc, saved 2 days ago" */
      subtitle = g_strdup_printf (_("%s, saved %s"), path, age);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      lk_ui_row_keep_words (row);
      add_row (self->programs_group, self->program_rows, row);
      /* A client Set Up cannot merge into (a file saved for fetchmail, say)
       * is listed without a verdict. */
      if (exporter != NULL && lk_exporter_can_apply (exporter))
        check_program (self, exporter, export, row, subtitle);
    }
}

static void
update (LkAccountPage *self)
{
  LkAccount *account = self->account;
  const struct { GtkButton *button; const char *action; } buttons[] = {
    { self->test_button, "win.test-account" },
    { self->sign_in_button, "win.sign-in-again" },
    { self->set_up_button, "win.set-up-account" },
    { self->remove_button, "win.remove-account" },
  };

  if (account == NULL)
    return;
  adw_window_title_set_title (self->title_widget, account->email);
  adw_window_title_set_subtitle (self->title_widget, account->provider->name);
  /* The window's actions, for this address. */
  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    gtk_actionable_set_action_target (GTK_ACTIONABLE (buttons[i].button), "s", account->email);
  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    gtk_actionable_set_action_name (GTK_ACTIONABLE (buttons[i].button), buttons[i].action);
  /* An app-only account has nobody to sign in again. */
  gtk_widget_set_visible (GTK_WIDGET (self->sign_in_button), account->flow != LK_FLOW_APP_ONLY);
  update_status (self);
  update_servers (self);
  update_sign_in (self);
  update_programs (self);
  lk_bridge_section_set_account (self->bridge_section, account);
}

static void
token_info_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(LkAccountPage) self = user_data;
  g_autoptr(GError) error = NULL;
  LkTokenInfo *info = lk_token_info_lookup_finish (result, &error);

  if (info == NULL && lk_error_is_cancelled (error))
    return;
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->token_info, lk_token_info_free);
  g_clear_error (&self->keyring_error);
  self->token_info = info;
  self->keyring_error = g_steal_pointer (&error);
  update_sign_in (self);
}

/**
 * lk_account_page_set_account:
 * @account: the account to show; the page keeps a reference
 *
 * Shows @account, and reads what its keyring item says about its sign-in
 * (in the background; the sign-in rows say so meanwhile). Setting the same
 * account again, as read anew, updates the page in place.
 */
void
lk_account_page_set_account (LkAccountPage *self,
                             LkAccount     *account)
{
  g_return_if_fail (LK_IS_ACCOUNT_PAGE (self));
  g_return_if_fail (account != NULL);

  if (self->account == NULL || g_strcmp0 (self->account->email, account->email) != 0)
    {
      g_clear_pointer (&self->token_info, lk_token_info_free);
      g_clear_error (&self->keyring_error);
    }
  if (account != self->account)
    {
      g_clear_pointer (&self->account, lk_account_unref);
      self->account = lk_account_ref (account);
    }
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  lk_token_info_lookup_async (lk_token_store_get_default (), account->email, self->cancellable,
                              token_info_cb,
                              g_object_ref (self));
  update (self);
}

LkAccount *
lk_account_page_get_account (LkAccountPage *self)
{
  g_return_val_if_fail (LK_IS_ACCOUNT_PAGE (self), NULL);
  return self->account;
}

/* The status as shown: "Working", "Something Does Not Work"… */
const char *
lk_account_page_get_status (LkAccountPage *self)
{
  g_return_val_if_fail (LK_IS_ACCOUNT_PAGE (self), NULL);
  return gtk_label_get_text (self->status_title);
}

/* Whether core's dry runs of the mail programs' files are still out. */
gboolean
lk_account_page_get_checking_programs (LkAccountPage *self)
{
  g_return_val_if_fail (LK_IS_ACCOUNT_PAGE (self), FALSE);
  return self->programs_checking > 0;
}

/* Whether the keyring is being read for the sign-in rows. */
gboolean
lk_account_page_get_reading_keyring (LkAccountPage *self)
{
  g_return_val_if_fail (LK_IS_ACCOUNT_PAGE (self), FALSE);
  return self->cancellable != NULL;
}

/* What the sign-in rows show; %NULL before the keyring answered, or when
 * it could not be read. */
const LkTokenInfo *
lk_account_page_get_token_info (LkAccountPage *self)
{
  g_return_val_if_fail (LK_IS_ACCOUNT_PAGE (self), NULL);
  return self->token_info;
}

AdwExpanderRow *
lk_account_page_get_protocol_row (LkAccountPage *self,
                                  LkProtocol     protocol)
{
  g_return_val_if_fail (LK_IS_ACCOUNT_PAGE (self), NULL);
  g_return_val_if_fail (protocol < LK_N_PROTOCOLS, NULL);
  return self->protocol_rows[protocol];
}

/* The diagnosis a failed protocol's row opens to, if any. */
LkDiagnosis *
lk_account_page_get_diagnosis (LkAccountPage *self,
                               LkProtocol     protocol)
{
  g_return_val_if_fail (LK_IS_ACCOUNT_PAGE (self), NULL);
  g_return_val_if_fail (protocol < LK_N_PROTOCOLS, NULL);
  return self->diagnosis_views[protocol] != NULL
    ? lk_diagnosis_view_get_diagnosis (self->diagnosis_views[protocol]) : NULL;
}

/* "Use with Other Programs": the bridge. */
LkBridgeSection *
lk_account_page_get_bridge_section (LkAccountPage *self)
{
  g_return_val_if_fail (LK_IS_ACCOUNT_PAGE (self), NULL);
  return self->bridge_section;
}

static gboolean
lk_account_page_grab_focus (GtkWidget *widget)
{
  LkAccountPage *self = LK_ACCOUNT_PAGE (widget);
  GtkButton *first = gtk_widget_has_css_class (GTK_WIDGET (self->sign_in_button),
                                               "suggested-action")
                     ? self->sign_in_button : self->test_button;

  return gtk_widget_grab_focus (GTK_WIDGET (first));
}

static void
lk_account_page_dispose (GObject *object)
{
  LkAccountPage *self = LK_ACCOUNT_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_cancellable_cancel (self->programs_cancellable);
  g_clear_object (&self->programs_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_ACCOUNT_PAGE);
  lk_ui_unparent_children (GTK_WIDGET (self));
  g_clear_pointer (&self->server_rows, g_ptr_array_unref);
  g_clear_pointer (&self->sign_in_rows, g_ptr_array_unref);
  g_clear_pointer (&self->program_rows, g_ptr_array_unref);
  g_clear_pointer (&self->account, lk_account_unref);
  g_clear_pointer (&self->token_info, lk_token_info_free);
  g_clear_error (&self->keyring_error);

  G_OBJECT_CLASS (lk_account_page_parent_class)->dispose (object);
}

static void
lk_account_page_class_init (LkAccountPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_account_page_dispose;
  widget_class->grab_focus = lk_account_page_grab_focus;

  g_type_ensure (LK_TYPE_DIAGNOSIS_VIEW);
  g_type_ensure (LK_TYPE_BRIDGE_SECTION);
  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/lk-account-page.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, LkAccountPage, title_widget);
  gtk_widget_class_bind_template_child (widget_class, LkAccountPage, status_icon);
  gtk_widget_class_bind_template_child (widget_class, LkAccountPage, status_title);
  gtk_widget_class_bind_template_child (widget_class, LkAccountPage, status_detail);
  gtk_widget_class_bind_template_child (widget_class, LkAccountPage, test_button);
  gtk_widget_class_bind_template_child (widget_class, LkAccountPage, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, LkAccountPage, servers_group);
  gtk_widget_class_bind_template_child (widget_class, LkAccountPage, provider_row);
  gtk_widget_class_bind_template_child (widget_class, LkAccountPage, sign_in_group);
  gtk_widget_class_bind_template_child (widget_class, LkAccountPage, programs_group);
  gtk_widget_class_bind_template_child (widget_class, LkAccountPage, set_up_button);
  gtk_widget_class_bind_template_child (widget_class, LkAccountPage, bridge_section);
  gtk_widget_class_bind_template_child (widget_class, LkAccountPage, remove_button);
}

static void
lk_account_page_init (LkAccountPage *self)
{
  self->server_rows = g_ptr_array_new ();
  self->sign_in_rows = g_ptr_array_new ();
  self->program_rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}
