/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "lk-exporter.h"
#include "lk-export-apply.h"
#include "lk-export-merge.h"

G_BEGIN_DECLS

/* Helpers the exporters share: quoting, the header, servers and mechanisms. */

extern const LkExporter lk_exporter_msmtp;
extern const LkExporter lk_exporter_mbsync;
extern const LkExporter lk_exporter_neomutt;
extern const LkExporter lk_exporter_aerc;
extern const LkExporter lk_exporter_fetchmail;
extern const LkExporter lk_exporter_getmail;
extern const LkExporter lk_exporter_offlineimap;
extern const LkExporter lk_exporter_thunderbird;
extern const LkExporter lk_exporter_autoconfig;
extern const LkExporter lk_exporter_evolution;
extern const LkExporter lk_exporter_summary;

char            *lk_export_shell_quote     (const char             *word) G_GNUC_WARN_UNUSED_RESULT;
char            *lk_export_shell_command   (const LkExportContext  *context) G_GNUC_WARN_UNUSED_RESULT;
char            *lk_export_backslash       (const char             *text,
                                            const char             *specials) G_GNUC_WARN_UNUSED_RESULT;
char            *lk_export_python_string   (const char             *text) G_GNUC_WARN_UNUSED_RESULT;
char            *lk_export_python_list     (const LkExportContext  *context,
                                            gboolean                tuple) G_GNUC_WARN_UNUSED_RESULT;
char            *lk_export_uri_user        (const char             *user) G_GNUC_WARN_UNUSED_RESULT;
char            *lk_export_double_percent  (const char             *text) G_GNUC_WARN_UNUSED_RESULT;
char            *lk_export_url_host        (const char             *host) G_GNUC_WARN_UNUSED_RESULT;
GString         *lk_export_header          (const LkExporter       *exporter,
                                            LkAccount              *account,
                                            const LkExportContext  *context,
                                            const char             *prefix,
                                            const char * const     *notes);
LkProtocolFlags  lk_export_protocols       (const LkExporter       *exporter,
                                            LkAccount              *account);
const LkServer  *lk_export_server          (LkAccount              *account,
                                            LkProtocol              protocol);
const char      *lk_export_mechanism       (LkAccount              *account,
                                            const LkExportContext  *context,
                                            const char * const     *supported);
gboolean         lk_export_require         (LkProtocolFlags         have,
                                            LkProtocolFlags         need,
                                            const LkExporter       *exporter,
                                            GError                **error);
gboolean         lk_export_fail_mechanism  (const LkExporter       *exporter,
                                            LkAccount              *account,
                                            GError                **error);
GPtrArray       *lk_export_single          (const char             *path,
                                            GString                *contents);
char            *lk_export_slug            (LkAccount              *account) G_GNUC_WARN_UNUSED_RESULT;
char            *lk_export_resolve_link    (const char             *path,
                                            GError                **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- setting a client up in its own files (lk-export-apply.c) ---- */

typedef enum
{
  LK_EXPORT_STEP_MERGE,    /* the block into a file other accounts share */
  LK_EXPORT_STEP_FILE,     /* a whole file of the account's own */
  LK_EXPORT_STEP_FOLDER,   /* a folder the client needs (mbsync's Maildir) */
} LkExportStepKind;

typedef struct
{
  LkExportStepKind  kind;
  char             *path;
  char             *text;       /* the block, or the file; NULL for a folder */
  const char       *comment;    /* MERGE: "# " or "// " */
  LkExportFindFunc  find_earlier;
} LkExportStep;

/**
 * LkExportPlan:
 * @exporter: the client
 * @slug: the account's name in client files (lk_export_slug())
 * @email: the account's address
 * @files: (element-type LkExportFile): what the exporter generated
 * @target: where lk_exporter_dup_apply_target() points: the client's file,
 *   a profile's user.js, a sources folder
 * @steps: (element-type LkExportStep): what to write, in order
 * @reload_evolution: tell evolution-data-server to read its sources again
 *
 * What applying an export will do. Its steps are all computed (every file
 * read and merged) before the first is written.
 */
typedef struct
{
  const LkExporter *exporter;
  char             *slug;
  char             *email;
  GPtrArray        *files;
  char             *target;
  GPtrArray        *steps;
  gboolean          reload_evolution;
} LkExportPlan;

/**
 * LkExportApplier:
 * @programs: the client's programs; one on PATH means it is installed
 * @config_files: where the client looks for its file, in its own order,
 *   "~/…" or "$XDG_CONFIG_HOME/…": the first that exists is the target,
 *   else the first; any that exists means the client is in use
 * @comment: how a comment line starts in that file, with its space
 * @find_earlier: (nullable): finds the account's blocks written before
 *   Latchkey's markers (by the account's name)
 * @locate: (nullable): the target when it is not simply one of
 *   @config_files (Thunderbird's profile, Evolution's sources folder)
 * @plan: (nullable): adds the steps; %NULL merges the one generated file
 *   into the target. Runs in a worker thread and may read files.
 * @done_hint: (translatable) (nullable): what to do next; %s is the
 *   account's name in the client (the slug)
 */
struct _LkExportApplier
{
  const char * const *programs;
  const char * const *config_files;
  const char         *comment;
  LkExportFindFunc    find_earlier;
  char             *(*locate)   (const LkExportApplier      *self,
                                 const LkExportApplyOptions *options,
                                 GError                    **error);
  gboolean          (*plan)     (LkExportPlan               *plan,
                                 const LkExportApplyOptions *options,
                                 GError                    **error);
  const char         *done_hint;
};

void             lk_export_plan_add        (LkExportPlan           *plan,
                                            LkExportStepKind        kind,
                                            const char             *path,
                                            const char             *text,
                                            const char             *comment,
                                            LkExportFindFunc        find_earlier);
void             lk_export_plan_add_block  (LkExportPlan           *plan,
                                            const char             *block);
char            *lk_export_first_existing  (const char * const     *paths) G_GNUC_WARN_UNUSED_RESULT;
LkExportReload   lk_export_evolution_reload (GCancellable          *cancellable,
                                             char                 **out_problem);

G_END_DECLS
