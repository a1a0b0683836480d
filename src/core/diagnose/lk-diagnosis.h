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
char        *lk_diagnosis_to_text        (LkDiagnosis  *self) G_GNUC_WARN_UNUSED_RESULT;
const char  *lk_fixer_to_string          (LkFixer       fixer);
const char  *lk_fixer_get_label          (LkFixer       fixer);
const char  *lk_confidence_to_string     (LkConfidence  confidence);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkDiagnosis, lk_diagnosis_unref)

G_END_DECLS
