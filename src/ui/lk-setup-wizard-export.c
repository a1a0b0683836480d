/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The wizard's mail programs page: one preview per client from core's
 * exporters, Set Up (core merges the account into the client's own
 * configuration, src/core/export/lk-export-apply.h), and what was saved
 * or set up recorded in the account, for its page. */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "export/lk-export-apply.h"
#include "export/lk-exporter.h"
#include "lk-error.h"
#include "lk-setup-wizard-private.h"
#include "lk-ui-util.h"

void
lk_setup_wizard_fill_export_page (LkSetupWizard *self)
{
  const LkExporter * const *exporters = lk_exporter_get_all ();
  g_auto(GStrv) argv = lk_ui_dup_token_argv (self->account->email);
  LkExportContext context = { 0 };

  context.token_argv = (const char * const *) argv;
  context.version = PACKAGE_VERSION;

  lk_export_page_clear (self->export_page);
  for (guint i = 0; exporters[i] != NULL; i++)
    {
      const LkExporter *exporter = exporters[i];
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;
      g_autofree char *path = NULL;

      if ((exporter->protocols & self->account->protocols) == 0)
        continue;
      text = lk_exporter_generate_text (exporter, self->account, &context, &error);
      if (text == NULL)
        {
          g_debug ("No %s export: %s", exporter->id, error->message);
          continue;
        }
      path = exporter->path != NULL ? lk_export_expand_path (exporter->path) : NULL;
      lk_export_page_add_client (self->export_page, exporter->id, _(exporter->name), text, path,
                                 exporter->next_step != NULL ? _(exporter->next_step) : NULL);
      if (lk_exporter_can_apply (exporter))
        lk_export_page_set_can_set_up (self->export_page, exporter->id,
                                       lk_exporter_detect (exporter) != LK_EXPORT_FOUND_NOTHING);
    }
}

/* A client's file was written: the account lists it (its page shows where
 * the account is set up). The file is there either way. */
static void
record_export (LkSetupWizard *self,
               const char    *client,
               const char    *path)
{
  g_autoptr(GError) error = NULL;

  if (lk_account_store_record_export (self->store, self->account, client, path, &error))
    return;
  {
    g_autofree char *text = NULL;

    /* Translators: %s says why, such as "Cannot save the account …". */
    text = g_strdup_printf (_("The file is saved, but the account does not list it: %s"),
                            error->message);
    lk_ui_toast_error (GTK_WIDGET (self), text);
  }
}

void
lk_setup_wizard_export_saved_cb (LkSetupWizard *self,
                                 const char    *client,
                                 const char    *path)
{
  if (self->account == NULL)
    return;
  record_export (self, client, path);
  lk_setup_wizard_account_changed (self);
}

typedef struct
{
  LkSetupWizard    *self;
  const LkExporter *exporter;
} SetUpCall;

static void
set_up_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  SetUpCall *call = user_data;
  g_autoptr(LkSetupWizard) self = call->self;
  const LkExporter *exporter = call->exporter;
  g_autoptr(LkExportApplyResult) applied = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_free (call);
  applied = lk_exporter_apply_finish (exporter, result, &error);
  /* Closed meanwhile: the files are written, nobody is left to tell. */
  if (self->export_page == NULL)
    return;
  if (applied == NULL)
    {
      lk_export_page_show_set_up (self->export_page, exporter->id, NULL);
      if (!lk_error_is_cancelled (error))
        lk_ui_toast_error (GTK_WIDGET (self), error->message);
      return;
    }
  text = lk_export_apply_result_to_text (applied);
  lk_export_page_show_set_up (self->export_page, exporter->id, text);
  /* The files of the client's configuration, for the account's page;
   * mbsync's Maildir folder is not one. */
  for (guint i = 0; i < applied->changes->len; i++)
    {
      const LkExportChange *change = g_ptr_array_index (applied->changes, i);

      if (!change->is_folder)
        record_export (self, exporter->id, change->path);
    }
  lk_setup_wizard_account_changed (self);
}

/* Set Up on the page: core merges the account into the client's own
 * configuration (a dated backup kept, other accounts left as they are). */
void
lk_setup_wizard_export_set_up_cb (LkSetupWizard *self,
                                  const char    *client)
{
  const LkExporter *exporter = lk_exporter_lookup (client);
  g_auto(GStrv) argv = NULL;
  LkExportContext context = { 0 };
  LkExportApplyOptions options = { 0 };
  SetUpCall *call;

  if (self->account == NULL || exporter == NULL || !lk_exporter_can_apply (exporter))
    {
      lk_export_page_show_set_up (self->export_page, client, NULL);
      return;
    }
  argv = lk_ui_dup_token_argv (self->account->email);
  context.token_argv = (const char * const *) argv;
  context.version = PACKAGE_VERSION;
  call = g_new0 (SetUpCall, 1);
  call->self = g_object_ref (self);
  call->exporter = exporter;
  lk_exporter_apply_async (exporter, self->account, &context, &options, self->cancellable,
                           set_up_cb, call);
}
