/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "lk-exporter.h"

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

G_END_DECLS
