/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "lk-error.h"
#include "lk-file.h"
#include "lk-export-private.h"

/* Setting a mail client up: the exporter's text merged into the client's
 * own file (or written as the client's own files), with the same backup,
 * mode and atomic write as `export --force` (lk_export_write()). Each
 * client's LkExportApplier says where its files are and how it recognises
 * an account's block; this file only runs the plan. */

/* A client's own file (an ~/.msmtprc with many accounts) is read whole. */
#define MAX_CONFIG (16 * 1024 * 1024)

LkExportFound
lk_exporter_detect (const LkExporter *self)
{
  LkExportFound found = LK_EXPORT_FOUND_NOTHING;
  const LkExportApplier *applier;

  g_return_val_if_fail (self != NULL, LK_EXPORT_FOUND_NOTHING);

  applier = self->applier;
  if (applier == NULL)
    return LK_EXPORT_FOUND_NOTHING;
  for (guint i = 0; applier->programs != NULL && applier->programs[i] != NULL; i++)
    {
      g_autofree char *program = g_find_program_in_path (applier->programs[i]);
      if (program != NULL)
        found |= LK_EXPORT_FOUND_PROGRAM;
    }
  for (guint i = 0; applier->config_files != NULL && applier->config_files[i] != NULL; i++)
    {
      g_autofree char *path = lk_export_expand_path (applier->config_files[i]);
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        found |= LK_EXPORT_FOUND_CONFIG;
    }
  return found;
}

gboolean
lk_exporter_can_apply (const LkExporter *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->applier != NULL;
}

/**
 * lk_export_first_existing:
 * @paths: "~/…" or "$XDG_CONFIG_HOME/…" paths, in the client's order
 *
 * Returns: (transfer full): the first that exists (a dangling link counts:
 *   it is what the person set up), else the first
 */
char *
lk_export_first_existing (const char * const *paths)
{
  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autofree char *path = lk_export_expand_path (paths[i]);
      GStatBuf st;

      if (g_lstat (path, &st) == 0)
        return g_steal_pointer (&path);
    }
  return lk_export_expand_path (paths[0]);
}

static gboolean
check_can_apply (const LkExporter  *self,
                 GError           **error)
{
  if (self->applier != NULL)
    return TRUE;
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
               _("Latchkey cannot set %s up by itself; write its file with “latchkey-cli "
                 "export --client %s --output FILE” and follow the steps it prints."),
               _(self->name), self->id);
  return FALSE;
}

/**
 * lk_exporter_dup_apply_target:
 * @options: (nullable): a file or profile the person chose
 *
 * Where applying would write: the client's configuration file (the one it
 * reads, of those it looks for), Thunderbird's user.js in the chosen or
 * default profile, Evolution's sources folder. Reads no more than
 * profiles.ini; the GUI shows it beside "Set Up".
 *
 * Returns: (transfer full): the path, or %NULL with @error set (no
 *   Thunderbird profile, a client Latchkey cannot set up)
 */
char *
lk_exporter_dup_apply_target (const LkExporter           *self,
                              const LkExportApplyOptions *options,
                              GError                    **error)
{
  static const LkExportApplyOptions none = { NULL, NULL, FALSE };

  g_return_val_if_fail (self != NULL, NULL);

  if (!check_can_apply (self, error))
    return NULL;
  if (options == NULL)
    options = &none;
  if (self->applier->locate != NULL)
    return self->applier->locate (self->applier, options, error);
  if (options->file != NULL)
    return lk_export_expand_path (options->file);
  return lk_export_first_existing (self->applier->config_files);
}

/* ---- the plan ---- */

static void
step_free (LkExportStep *step)
{
  g_free (step->path);
  g_free (step->text);
  g_free (step);
}

void
lk_export_plan_add (LkExportPlan     *plan,
                    LkExportStepKind  kind,
                    const char       *path,
                    const char       *text,
                    const char       *comment,
                    LkExportFindFunc  find_earlier)
{
  LkExportStep *step = g_new0 (LkExportStep, 1);

  step->kind = kind;
  step->path = g_strdup (path);
  step->text = g_strdup (text);
  step->comment = comment;
  step->find_earlier = find_earlier;
  g_ptr_array_add (plan->steps, step);
}

/* The usual step: @block (NULL: the one generated file) merged into the
 * target, with the client's comment syntax and finder. */
void
lk_export_plan_add_block (LkExportPlan *plan,
                          const char   *block)
{
  const LkExportApplier *applier = plan->exporter->applier;

  if (block == NULL)
    block = ((LkExportFile *) plan->files->pdata[0])->contents;
  lk_export_plan_add (plan, LK_EXPORT_STEP_MERGE, plan->target, block,
                      applier->comment, applier->find_earlier);
}

static void
plan_free (LkExportPlan *plan)
{
  g_free (plan->slug);
  g_free (plan->email);
  g_clear_pointer (&plan->files, g_ptr_array_unref);
  g_free (plan->target);
  g_clear_pointer (&plan->steps, g_ptr_array_unref);
  g_free (plan);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkExportPlan, plan_free)

static void
change_free (LkExportChange *change)
{
  g_free (change->path);
  g_free (change->link);
  g_free (change->backup);
  g_free (change);
}

void
lk_export_apply_result_free (LkExportApplyResult *self)
{
  if (self == NULL)
    return;
  g_free (self->client);
  g_free (self->email);
  g_free (self->name);
  g_clear_pointer (&self->changes, g_ptr_array_unref);
  g_free (self->reload_problem);
  g_free (self->next_step);
  g_free (self);
}

/* One step, computed: the new text is known before anything is written. */
typedef struct
{
  LkExportStep   *step;
  char           *real_path;
  char           *new_text;
  LkExportChange *change;
} Pending;

static void
pending_clear (Pending *pending)
{
  g_free (pending->real_path);
  g_free (pending->new_text);
  g_clear_pointer (&pending->change, change_free);
}

static gboolean
read_existing (const char  *path,
               char       **out_text,
               gsize       *out_length,
               GError     **error)
{
  g_autoptr(GError) local = NULL;

  *out_text = NULL;
  *out_length = 0;
  if (lk_file_read_regular (path, MAX_CONFIG, out_text, out_length, &local))
    return TRUE;
  if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    return TRUE;
  /* Never replace what could not be read: it may be all the person has. */
  g_propagate_prefixed_error (error, g_steal_pointer (&local),
                              _("Nothing was changed, as this file could not be read: "));
  return FALSE;
}

static gboolean
compute (const LkExportPlan  *plan,
         Pending             *pending,
         GError             **error)
{
  LkExportStep *step = pending->step;
  LkExportChange *change = g_new0 (LkExportChange, 1);
  g_autofree char *old = NULL;
  gsize old_length = 0;
  LkExportMergeKind kind;

  pending->change = change;
  pending->real_path = lk_export_resolve_link (step->path, error);
  if (pending->real_path == NULL)
    return FALSE;
  change->path = g_strdup (pending->real_path);
  if (strcmp (pending->real_path, step->path) != 0)
    change->link = g_strdup (step->path);

  if (step->kind == LK_EXPORT_STEP_FOLDER)
    {
      change->is_folder = TRUE;
      change->kind = g_file_test (pending->real_path, G_FILE_TEST_IS_DIR)
        ? LK_EXPORT_CHANGE_UNCHANGED : LK_EXPORT_CHANGE_CREATED;
      return TRUE;
    }

  if (!read_existing (pending->real_path, &old, &old_length, error))
    {
      g_prefix_error (error, "%s: ", pending->real_path);
      return FALSE;
    }

  if (step->kind == LK_EXPORT_STEP_FILE)
    {
      if (old == NULL)
        change->kind = LK_EXPORT_CHANGE_CREATED;
      else if (lk_export_same_but_first_line (old, old_length, step->text, strlen (step->text)))
        change->kind = LK_EXPORT_CHANGE_UNCHANGED;
      else
        change->kind = LK_EXPORT_CHANGE_REPLACED;
      pending->new_text = g_strdup (step->text);
      return TRUE;
    }

  pending->new_text = lk_export_merge (old, old_length, step->comment, plan->slug, step->text,
                                       step->find_earlier, plan->email, &kind,
                                       &change->edited, error);
  if (pending->new_text == NULL)
    {
      g_prefix_error (error, "%s: ", pending->real_path);
      return FALSE;
    }
  switch (kind)
    {
    case LK_EXPORT_MERGE_ADDED:
      change->kind = old == NULL ? LK_EXPORT_CHANGE_CREATED : LK_EXPORT_CHANGE_ADDED;
      break;
    case LK_EXPORT_MERGE_REPLACED:
      change->kind = LK_EXPORT_CHANGE_REPLACED;
      break;
    case LK_EXPORT_MERGE_REPLACED_EARLIER:
      change->kind = LK_EXPORT_CHANGE_REPLACED_EARLIER;
      break;
    case LK_EXPORT_MERGE_UNCHANGED:
    default:
      change->kind = LK_EXPORT_CHANGE_UNCHANGED;
      break;
    }
  return TRUE;
}

static gboolean
perform (Pending  *pending,
         GError  **error)
{
  LkExportChange *change = pending->change;

  if (change->kind == LK_EXPORT_CHANGE_UNCHANGED)
    return TRUE;
  if (pending->step->kind == LK_EXPORT_STEP_FOLDER)
    {
      if (g_mkdir_with_parents (pending->real_path, 0700) != 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Could not create the folder %s: %s"), pending->real_path,
                       g_strerror (saved));
          return FALSE;
        }
      return TRUE;
    }
  return lk_export_write (pending->real_path, pending->new_text, TRUE, &change->backup, error);
}

typedef struct
{
  LkExportPlan         *plan;
  LkExportApplyOptions  options;
  char                 *file;
  char                 *profile;
} ApplyData;

static void
apply_data_free (ApplyData *data)
{
  g_clear_pointer (&data->plan, plan_free);
  g_free (data->file);
  g_free (data->profile);
  g_free (data);
}

static LkExportApplyResult *
run_plan (LkExportPlan               *plan,
          const LkExportApplyOptions *options,
          GCancellable               *cancellable,
          GError                    **error)
{
  const LkExportApplier *applier = plan->exporter->applier;
  g_autoptr(LkExportApplyResult) result = g_new0 (LkExportApplyResult, 1);
  g_autoptr(GArray) pending = g_array_new (FALSE, TRUE, sizeof (Pending));

  g_array_set_clear_func (pending, (GDestroyNotify) pending_clear);

  plan->target = lk_exporter_dup_apply_target (plan->exporter, options, error);
  if (plan->target == NULL)
    return NULL;
  if (applier->plan != NULL)
    {
      if (!applier->plan (plan, options, error))
        return NULL;
    }
  else
    lk_export_plan_add_block (plan, NULL);

  /* Everything read and merged first: a file that cannot be read or merged
   * stops the whole set-up before any file was touched. */
  g_array_set_size (pending, plan->steps->len);
  for (guint i = 0; i < plan->steps->len; i++)
    {
      Pending *p = &g_array_index (pending, Pending, i);

      p->step = plan->steps->pdata[i];
      if (!compute (plan, p, error))
        return NULL;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  result->client = g_strdup (plan->exporter->id);
  result->email = g_strdup (plan->email);
  result->name = g_strdup (plan->slug);
  result->changes = g_ptr_array_new_with_free_func ((GDestroyNotify) change_free);
  for (guint i = 0; i < pending->len; i++)
    {
      Pending *p = &g_array_index (pending, Pending, i);

      if (options->dry_run)
        {
          g_ptr_array_add (result->changes, g_steal_pointer (&p->change));
          continue;
        }
      if (!perform (p, error))
        {
          if (result->changes->len > 0)
            g_prefix_error (error, _("Part of the set-up was written (see above), the rest "
                                     "not: "));
          return NULL;
        }
      g_ptr_array_add (result->changes, g_steal_pointer (&p->change));
    }

  if (plan->reload_evolution && !options->dry_run)
    result->reload = lk_export_evolution_reload (cancellable, &result->reload_problem);
  if (applier->done_hint != NULL)
    {
      /* The hint's one %s, without handing a translation to printf. */
      g_auto(GStrv) parts = g_strsplit (_(applier->done_hint), "%s", 2);
      result->next_step = g_strjoinv (plan->slug, parts);
    }
  return g_steal_pointer (&result);
}

static void
apply_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ApplyData *data = task_data;
  GError *error = NULL;
  LkExportApplyResult *result = run_plan (data->plan, &data->options, cancellable, &error);

  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) lk_export_apply_result_free);
}

/**
 * lk_exporter_apply_async:
 * @options: (nullable): a file or Thunderbird profile the person chose
 *
 * Sets the client up for @account: generates its configuration (as
 * lk_exporter_generate() does, with every value through the shared rule of
 * lk-export-value.c), then, in a worker thread, merges it into the client's
 * own file: other accounts kept byte for byte, the account's earlier block
 * replaced, the file as it was kept as FILE.bak-DATE-TIME, mode 0600, an
 * atomic write through symbolic links. Nothing is written when any file
 * involved cannot be read or merged. Evolution is told to reload.
 */
void
lk_exporter_apply_async (const LkExporter           *self,
                         LkAccount                  *account,
                         const LkExportContext      *context,
                         const LkExportApplyOptions *options,
                         GCancellable               *cancellable,
                         GAsyncReadyCallback         callback,
                         gpointer                    user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(LkExportPlan) plan = NULL;
  LkExportContext merged;
  ApplyData *data;
  GError *error = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (account != NULL);
  g_return_if_fail (context != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_exporter_apply_async);

  if (!check_can_apply (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  plan = g_new0 (LkExportPlan, 1);
  plan->exporter = self;
  merged = *context;
  merged.merged = TRUE;
  plan->files = lk_exporter_generate (self, account, &merged, &error);
  if (plan->files == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  plan->slug = lk_export_slug (account);
  plan->email = g_strdup (account->email);
  plan->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) step_free);

  data = g_new0 (ApplyData, 1);
  data->plan = g_steal_pointer (&plan);
  data->file = g_strdup (options != NULL ? options->file : NULL);
  data->profile = g_strdup (options != NULL ? options->profile : NULL);
  data->options.file = data->file;
  data->options.profile = data->profile;
  data->options.dry_run = options != NULL && options->dry_run;
  g_task_set_task_data (task, data, (GDestroyNotify) apply_data_free);
  g_task_run_in_thread (task, apply_thread);
}

/**
 * lk_exporter_apply_finish:
 *
 * Returns: (transfer full): what changed, or %NULL with @error set
 */
LkExportApplyResult *
lk_exporter_apply_finish (const LkExporter  *self,
                          GAsyncResult      *result,
                          GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, lk_exporter_apply_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
lk_export_change_kind_to_string (LkExportChangeKind kind)
{
  switch (kind)
    {
    case LK_EXPORT_CHANGE_CREATED:
      return "created";
    case LK_EXPORT_CHANGE_ADDED:
      return "added";
    case LK_EXPORT_CHANGE_REPLACED:
      return "replaced";
    case LK_EXPORT_CHANGE_REPLACED_EARLIER:
      return "replaced-earlier";
    case LK_EXPORT_CHANGE_UNCHANGED:
    default:
      return "unchanged";
    }
}

const char *
lk_export_reload_to_string (LkExportReload reload)
{
  switch (reload)
    {
    case LK_EXPORT_RELOAD_DONE:
      return "reloaded";
    case LK_EXPORT_RELOAD_NOT_RUNNING:
      return "not-running";
    case LK_EXPORT_RELOAD_FAILED:
      return "failed";
    case LK_EXPORT_RELOAD_NONE:
    default:
      return "none";
    }
}

static char *
describe_change (const LkExportChange *change)
{
  if (change->is_folder)
    return change->kind == LK_EXPORT_CHANGE_CREATED
      ? g_strdup_printf (_("%s: folder created"), change->path)
      : g_strdup_printf (_("%s: folder already there"), change->path);
  switch (change->kind)
    {
    case LK_EXPORT_CHANGE_CREATED:
      return g_strdup_printf (_("%s: created"), change->path);
    case LK_EXPORT_CHANGE_ADDED:
      return g_strdup_printf (_("%s: the account’s block added; the rest of the file is as it was"),
                              change->path);
    case LK_EXPORT_CHANGE_REPLACED:
      if (change->edited)
        return g_strdup_printf (_("%s: the account’s block replaced; it had been edited by hand "
                                  "(the backup keeps those edits)"), change->path);
      return g_strdup_printf (_("%s: the account’s earlier settings replaced; the rest of the "
                                "file is as it was"), change->path);
    case LK_EXPORT_CHANGE_REPLACED_EARLIER:
      return g_strdup_printf (_("%s: the account’s block from an earlier export replaced; the "
                                "rest of the file is as it was"), change->path);
    case LK_EXPORT_CHANGE_UNCHANGED:
    default:
      return g_strdup_printf (_("%s: already set up, left as it was"), change->path);
    }
}

/**
 * lk_export_apply_result_to_text:
 *
 * What changed, as lines a person reads (the CLI prints them; the GUI may
 * show them as they are): each file with what happened to it, its backup,
 * the link it was reached through, Evolution's reload, the next step.
 */
char *
lk_export_apply_result_to_text (const LkExportApplyResult *self)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->changes->len; i++)
    {
      const LkExportChange *change = self->changes->pdata[i];
      g_autofree char *line = describe_change (change);

      g_string_append_printf (out, "%s\n", line);
      if (change->link != NULL)
        g_string_append_printf (out, _("  (written through the link %s, which stays)\n"),
                                change->link);
      if (change->backup != NULL)
        g_string_append_printf (out, _("  The file as it was is kept as %s\n"), change->backup);
    }
  switch (self->reload)
    {
    case LK_EXPORT_RELOAD_DONE:
      g_string_append (out, _("Evolution read its accounts again; the account is there now.\n"));
      break;
    case LK_EXPORT_RELOAD_NOT_RUNNING:
      g_string_append (out, _("Evolution is not running; it reads the account when it next starts.\n"));
      break;
    case LK_EXPORT_RELOAD_FAILED:
      g_string_append_printf (out, _("Evolution could not be told to read its accounts again (%s); "
                                     "quit it and start it again.\n"),
                              self->reload_problem != NULL ? self->reload_problem : "?");
      break;
    case LK_EXPORT_RELOAD_NONE:
    default:
      break;
    }
  if (self->next_step != NULL)
    g_string_append_printf (out, "%s\n", self->next_step);
  return g_string_free (out, FALSE);
}
