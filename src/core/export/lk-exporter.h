/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "lk-protocol.h"
#include "store/lk-account.h"

G_BEGIN_DECLS

/**
 * LkExportContext:
 * @token_argv: the command that prints a fresh access token for the account,
 *   e.g. { "/usr/bin/latchkey-cli", "token", "a@x", NULL }; see
 *   lk_export_detect_token_command()
 * @now: (nullable): when the file is generated; NULL means now
 * @version: (nullable): the Latchkey version named in the header
 * @format: (nullable): a variant the exporter lists in its formats, such as
 *   "oauthbearer" for msmtp; NULL picks the default
 * @merged: the text goes into the client's own file (lk_exporter_apply_async()),
 *   so the header leaves out how to add it there
 *
 * What an exporter needs besides the account. Decided by the caller.
 */
typedef struct
{
  const char * const *token_argv;
  GDateTime          *now;
  const char         *version;
  const char         *format;
  gboolean            merged;
} LkExportContext;

/**
 * LkExportFile:
 * @path: where the client reads it, "~" for the home folder
 * @contents: the text, with its header comment
 *
 * One generated file. Most clients get one; Evolution gets several.
 */
typedef struct
{
  char *path;
  char *contents;
} LkExportFile;

/**
 * LkExporter:
 * @id: what --client takes, e.g. "msmtp"
 * @name: (translatable): the client's name as people know it
 * @next_step: (translatable): one line: what to do with the file
 * @path: the client's usual file, "~" for the home folder
 * @is_block: whether the output is a block to add to one big file the client
 *   reads (msmtprc, mbsyncrc, muttrc) rather than a file of its own
 * @include_hint: (translatable) (nullable): how to add the block
 * @protocols: the protocols the client can use with a token
 * @uses_token_command: whether the client runs the token command; when not,
 *   the client signs in by itself and the export only pre-fills servers
 * @formats: (nullable): NULL-terminated variants --format accepts, the
 *   first being the default
 * @generate: makes the files; never writes anything
 * @applier: (nullable): how to set the client up in its own files
 *   (lk-export-apply.h); %NULL when Latchkey cannot
 *
 * One mail client. Exporters are static tables; see lk_exporter_get_all().
 */
typedef struct _LkExporter LkExporter;
typedef struct _LkExportApplier LkExportApplier;
struct _LkExporter
{
  const char         *id;
  const char         *name;
  const char         *next_step;
  const char         *path;
  gboolean            is_block;
  const char         *include_hint;
  LkProtocolFlags     protocols;
  gboolean            uses_token_command;
  const char * const *formats;
  GPtrArray        *(*generate) (LkAccount             *account,
                                 const LkExportContext *context,
                                 GError               **error);
  const LkExportApplier *applier;
};

const LkExporter * const *lk_exporter_get_all           (void);
const LkExporter         *lk_exporter_lookup            (const char            *id);
GPtrArray                *lk_exporter_generate          (const LkExporter      *self,
                                                         LkAccount             *account,
                                                         const LkExportContext *context,
                                                         GError               **error) G_GNUC_WARN_UNUSED_RESULT;
char                     *lk_exporter_generate_text     (const LkExporter      *self,
                                                         LkAccount             *account,
                                                         const LkExportContext *context,
                                                         GError               **error) G_GNUC_WARN_UNUSED_RESULT;

void                      lk_export_file_free           (LkExportFile          *file);
char                     *lk_export_expand_path         (const char            *path) G_GNUC_WARN_UNUSED_RESULT;
char                    **lk_export_detect_token_command (const char           *cli_path,
                                                          const char           *email) G_GNUC_WARN_UNUSED_RESULT;
char                    **lk_export_token_command_for   (gboolean               in_flatpak,
                                                         const char            *flatpak_app_id,
                                                         const char            *cli_path,
                                                         const char            *email) G_GNUC_WARN_UNUSED_RESULT;
gboolean                  lk_export_write               (const char            *path,
                                                         const char            *contents,
                                                         gboolean               force,
                                                         char                 **out_backup,
                                                         GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkExportFile, lk_export_file_free)

G_END_DECLS
