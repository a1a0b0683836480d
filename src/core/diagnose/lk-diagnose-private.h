/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by lk-diagnose.c (the one entry point, lk_diagnose(), and the
 * helpers every catalogue uses) and the catalogues, one file per concern:
 *   lk-diagnose-microsoft.c  Microsoft identity platform: AADSTS codes
 *   lk-diagnose-oauth.c      OAuth errors without an AADSTS number, and
 *                            Latchkey's own sign-in errors
 *   lk-diagnose-mail.c       what mail servers answer (Exchange, Gmail,
 *                            Dovecot…) and what the token's claims say
 *   lk-diagnose-network.c    TLS, the network, this computer's keyring
 * Facts: doc/protocols.md A3–A7 and B. Each diagnosis says only what the
 * evidence shows: where a cause is inferred rather than stated by the
 * server it is LK_CONFIDENCE_LIKELY and the text says "likely"; anything
 * else is "unrecognised" with the server's own words. */

#include <glib/gi18n-lib.h>

#include "diagnose/lk-diagnose.h"
#include "lk-error.h"

G_BEGIN_DECLS

/* What every catalogue reads: the input, and what lk_diagnose() worked out
 * from it once. */
typedef struct
{
  const LkDiagnoseInput *in;
  const LkErrorDetails  *details;   /* nullable */
  const char            *reply;     /* nullable: the mail server's last reply */
  const char            *oauth_error;
  const char            *description;
  guint                  aadsts;
  LkAccount             *account;   /* nullable */
  const char            *mailbox;   /* nullable */
  gboolean               microsoft;
  gboolean               google;
  gboolean               personal;  /* Outlook.com / Hotmail */
  gboolean               app_only;
  gint64                 now;
} LkDiagnoseContext;

/**
 * LkDiagnosisTemplate:
 *
 * A diagnosis that needs nothing from the account: the row of a catalogue.
 * Strings are marked with N_() and translated when the diagnosis is made.
 */
typedef struct
{
  const char   *id;
  LkFixer       fixer;
  LkConfidence  confidence;
  const char   *title;
  const char   *explanation;
  const char   *steps[3];
  const char   *portal_path;   /* nullable */
} LkDiagnosisTemplate;

/* The catalogues, in the order lk_diagnose() asks them. */
LkDiagnosis *lk_diagnose_mail_reply       (const LkDiagnoseContext   *ctx);
LkDiagnosis *lk_diagnose_microsoft        (const LkDiagnoseContext   *ctx);
LkDiagnosis *lk_diagnose_oauth            (const LkDiagnoseContext   *ctx);
LkDiagnosis *lk_diagnose_mail_error       (const LkDiagnoseContext   *ctx);
LkDiagnosis *lk_diagnose_network          (const LkDiagnoseContext   *ctx);

/* Helpers, lk-diagnose.c */
LkDiagnosis *lk_diagnose_new              (const LkDiagnoseContext   *ctx,
                                           const char                *id,
                                           LkFixer                    fixer,
                                           LkConfidence               confidence,
                                           const char                *title,
                                           const char                *explanation);
LkDiagnosis *lk_diagnose_from_template    (const LkDiagnoseContext   *ctx,
                                           const LkDiagnosisTemplate *template);
void         lk_diagnose_add_step_printf  (LkDiagnosis               *d,
                                           const char                *format,
                                           ...) G_GNUC_PRINTF (2, 3);
void         lk_diagnose_set_portal_printf (LkDiagnosis              *d,
                                           const char                *format,
                                           ...) G_GNUC_PRINTF (2, 3);
gboolean     lk_diagnose_has_word         (const char                *list,
                                           const char                *word);
gboolean     lk_diagnose_contains_ci      (const char                *haystack,
                                           const char                *needle);
const char  *lk_diagnose_email_domain     (const char                *email);
const char  *lk_diagnose_pick_tenant      (const LkDiagnoseContext   *ctx);
const char  *lk_diagnose_pick_client_id   (const LkDiagnoseContext   *ctx);
const char  *lk_diagnose_pick_host        (const LkDiagnoseContext   *ctx);
char        *lk_diagnose_format_row       (const char                *format,
                                           ...);
char        *lk_diagnose_admin_consent_link (const LkDiagnoseContext *ctx);
char        *lk_diagnose_app_registration_portal (const LkDiagnoseContext *ctx,
                                                  const char              *blade);

G_END_DECLS
