/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "diagnose/lk-diagnosis.h"

G_BEGIN_DECLS

#define LK_TYPE_DIAGNOSIS_VIEW (lk_diagnosis_view_get_type ())

G_DECLARE_FINAL_TYPE (LkDiagnosisView, lk_diagnosis_view, LK, DIAGNOSIS_VIEW, GtkWidget)

GtkWidget   *lk_diagnosis_view_new            (void);
void         lk_diagnosis_view_set_diagnosis  (LkDiagnosisView *self,
                                               LkDiagnosis     *diagnosis);
LkDiagnosis *lk_diagnosis_view_get_diagnosis  (LkDiagnosisView *self);
void         lk_diagnosis_view_set_transcript (LkDiagnosisView *self,
                                               const char      *transcript);
void         lk_diagnosis_view_set_connection (LkDiagnosisView *self,
                                               const char      *connection);
void         lk_diagnosis_view_set_show_title (LkDiagnosisView *self,
                                               gboolean         show_title);
char        *lk_diagnosis_view_dup_details    (LkDiagnosisView *self) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
