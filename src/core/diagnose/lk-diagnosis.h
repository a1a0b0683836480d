/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * LkFixer:
 *
 * Who can fix what a diagnosis describes.
 */
typedef enum
{
  LK_FIXER_USER,           /* the person using Latchkey */
  LK_FIXER_MAILBOX_ADMIN,  /* whoever manages the mailbox (Exchange admin) */
  LK_FIXER_TENANT_ADMIN,   /* the organisation's identity (Entra) administrator */
  LK_FIXER_APP_OWNER,      /* whoever registered the app (client id) */
  LK_FIXER_PROVIDER,       /* the mail provider, the server's operator, the network */
  LK_FIXER_LATCHKEY,       /* a bug in Latchkey: report it */
  LK_FIXER_UNKNOWN,        /* not recognised: nobody can say yet */
} LkFixer;

/**
 * LkConfidence:
 *
 * How sure a diagnosis is. %LK_CONFIDENCE_LIKELY means the evidence suggests
 * the cause but the server did not say so; the text says "likely" too.
 */
typedef enum
{
  LK_CONFIDENCE_CERTAIN,
  LK_CONFIDENCE_LIKELY,
  LK_CONFIDENCE_UNKNOWN,
} LkConfidence;

/**
 * LkDiagnosisLink:
 * @LK_DIAGNOSIS_LINK_INFO: the link explains the problem
 * @LK_DIAGNOSIS_LINK_ADMIN_CONSENT: the link is the admin consent link that
 *   an administrator opens to fix it
 *
 * What a diagnosis's @url is, so that it can be offered for what it is.
 */
typedef enum
{
  LK_DIAGNOSIS_LINK_INFO,
  LK_DIAGNOSIS_LINK_ADMIN_CONSENT,
} LkDiagnosisLink;

/**
 * LkDiagnosis:
 *
 * What went wrong, in words a person can act on. Plain, refcounted data with
 * public fields, built by lk_diagnose(); never changed once returned. Every
 * string is already translated and carries the account's own values. None
 * holds a secret.
 */
typedef struct
{
  /*< private >*/
  gatomicrefcount ref_count;

  /*< public >*/
  char         *id;           /* stable, e.g. "aadsts-65001-consent" */
  char         *title;        /* one line */
  char         *explanation;  /* plain words, a few sentences */
  LkFixer       fixer;
  LkConfidence  confidence;
  char        **steps;        /* what to do, in order; never NULL */
  char        **commands;     /* copyable commands (PowerShell), in order; never NULL */
  char         *portal_path;  /* nullable: "Entra admin center → …" */
  char         *url;          /* nullable: e.g. the admin consent URL */
  char         *raw;          /* nullable: the server's or provider's own words */

  /* What happened, for a support request (lk_diagnosis_to_support_text());
   * each nullable, or 0, when not known. */
  LkDiagnosisLink url_kind;
  guint         aadsts;          /* Microsoft's AADSTS number */
  char         *tenant;          /* the tenant signed in to, or asked for */
  char         *client_id;       /* the app (client) id used */
  gint64        time;            /* when it failed, Unix time */
  char         *trace_id;        /* the identity provider's request ids */
  char         *correlation_id;
  char         *protocol;        /* "IMAP", "POP" or "SMTP" */
  char         *server;          /* "outlook.office365.com:993", or the sign-in server */
} LkDiagnosis;

#define LK_TYPE_DIAGNOSIS (lk_diagnosis_get_type ())

GType        lk_diagnosis_get_type       (void) G_GNUC_CONST;
LkDiagnosis *lk_diagnosis_new            (const char   *id,
                                          LkFixer       fixer,
                                          LkConfidence  confidence,
                                          const char   *title,
                                          const char   *explanation) G_GNUC_WARN_UNUSED_RESULT;
LkDiagnosis *lk_diagnosis_ref            (LkDiagnosis  *self);
void         lk_diagnosis_unref          (LkDiagnosis  *self);
void         lk_diagnosis_add_step       (LkDiagnosis  *self,
                                          const char   *step);
void         lk_diagnosis_add_command    (LkDiagnosis  *self,
                                          const char   *command);
JsonNode    *lk_diagnosis_to_json        (LkDiagnosis  *self) G_GNUC_WARN_UNUSED_RESULT;
LkDiagnosis *lk_diagnosis_new_from_json  (JsonNode     *node,
                                          GError      **error) G_GNUC_WARN_UNUSED_RESULT;
char        *lk_diagnosis_to_text        (LkDiagnosis  *self) G_GNUC_WARN_UNUSED_RESULT;
char        *lk_diagnosis_to_support_text (LkDiagnosis *self,
                                          const char   *transcript,
                                          const char   *connection) G_GNUC_WARN_UNUSED_RESULT;
const char  *lk_fixer_to_string          (LkFixer       fixer);
const char  *lk_fixer_get_label          (LkFixer       fixer);
const char  *lk_confidence_to_string     (LkConfidence  confidence);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkDiagnosis, lk_diagnosis_unref)

G_END_DECLS
