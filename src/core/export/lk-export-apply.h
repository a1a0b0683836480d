/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "lk-exporter.h"

G_BEGIN_DECLS

/* "Set Up": an export merged into the mail client's own configuration
 * (doc/architecture.md, "Setting mail programs up"). */

/**
 * LkExportFound:
 * @LK_EXPORT_FOUND_PROGRAM: one of the client's programs is on PATH
 * @LK_EXPORT_FOUND_CONFIG: the client's configuration file or folder exists
 */
typedef enum
{
  LK_EXPORT_FOUND_NOTHING = 0,
  LK_EXPORT_FOUND_PROGRAM = 1 << 0,
  LK_EXPORT_FOUND_CONFIG = 1 << 1,
} LkExportFound;

/**
 * LkExportApplyOptions:
 * @file: (nullable): merge into this file (or, for Evolution, write into
 *   this sources folder) instead of the client's own: for people who run
 *   "msmtp -C FILE", and for tests
 * @profile: (nullable): Thunderbird's profile, by its name in profiles.ini
 *   or its folder; %NULL picks the default one
 * @dry_run: write nothing (and tell Evolution nothing): the result says
 *   what applying would do; %LK_EXPORT_CHANGE_UNCHANGED everywhere means
 *   the client is set up for the account as it would be now (the GUI's
 *   account page shows that), %LK_EXPORT_CHANGE_REPLACED that it was set up
 *   differently (an older token command, or a hand edit)
 */
typedef struct
{
  const char *file;
  const char *profile;
  gboolean    dry_run;
} LkExportApplyOptions;

typedef enum
{
  LK_EXPORT_CHANGE_CREATED,          /* a new file, or a new folder */
  LK_EXPORT_CHANGE_ADDED,            /* the account's block added to a file */
  LK_EXPORT_CHANGE_REPLACED,         /* its block, or its own file, replaced */
  LK_EXPORT_CHANGE_REPLACED_EARLIER, /* a block written before (without markers) replaced */
  LK_EXPORT_CHANGE_UNCHANGED,        /* already as it would be written */
} LkExportChangeKind;

/**
 * LkExportChange:
 * @kind: what happened
 * @path: the file or folder, after following symbolic links
 * @link: (nullable): the symbolic link it was reached through
 * @backup: (nullable): where the file as it was is kept (FILE.bak-DATE-TIME)
 * @edited: the block replaced had been edited by hand since Latchkey wrote it
 * @is_folder: @path is a folder the client needs (mbsync's Maildir)
 */
typedef struct
{
  LkExportChangeKind  kind;
  char               *path;
  char               *link;
  char               *backup;
  gboolean            edited;
  gboolean            is_folder;
} LkExportChange;

typedef enum
{
  LK_EXPORT_RELOAD_NONE,         /* nothing to reload */
  LK_EXPORT_RELOAD_DONE,         /* evolution-data-server read its sources again */
  LK_EXPORT_RELOAD_NOT_RUNNING,  /* it reads them when it next starts */
  LK_EXPORT_RELOAD_FAILED,       /* it runs but did not answer: restart it */
} LkExportReload;

/**
 * LkExportApplyResult:
 * @client: the exporter's id
 * @email: the account
 * @name: the account's name in the client (msmtp -a NAME, mbsync NAME)
 * @changes: (element-type LkExportChange): what changed, file by file
 * @reload: whether Evolution was told
 * @reload_problem: (nullable): why telling it failed
 * @next_step: (nullable): one line, what to do now
 */
typedef struct
{
  char           *client;
  char           *email;
  char           *name;
  GPtrArray      *changes;
  LkExportReload  reload;
  char           *reload_problem;
  char           *next_step;
} LkExportApplyResult;

LkExportFound        lk_exporter_detect              (const LkExporter           *self);
gboolean             lk_exporter_can_apply           (const LkExporter           *self);
char                *lk_exporter_dup_apply_target    (const LkExporter           *self,
                                                      const LkExportApplyOptions *options,
                                                      GError                    **error) G_GNUC_WARN_UNUSED_RESULT;
void                 lk_exporter_apply_async         (const LkExporter           *self,
                                                      LkAccount                  *account,
                                                      const LkExportContext      *context,
                                                      const LkExportApplyOptions *options,
                                                      GCancellable               *cancellable,
                                                      GAsyncReadyCallback         callback,
                                                      gpointer                    user_data);
LkExportApplyResult *lk_exporter_apply_finish        (const LkExporter           *self,
                                                      GAsyncResult               *result,
                                                      GError                    **error) G_GNUC_WARN_UNUSED_RESULT;

void                 lk_export_apply_result_free     (LkExportApplyResult        *self);
char                *lk_export_apply_result_to_text  (const LkExportApplyResult  *self) G_GNUC_WARN_UNUSED_RESULT;
const char          *lk_export_change_kind_to_string (LkExportChangeKind          kind);
const char          *lk_export_reload_to_string      (LkExportReload              reload);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkExportApplyResult, lk_export_apply_result_free)

G_END_DECLS
