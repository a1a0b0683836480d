/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "diagnose/lk-diagnosis.h"
#include "lk-protocol.h"

G_BEGIN_DECLS

typedef enum
{
  LK_TEST_VERDICT_NONE,
  LK_TEST_VERDICT_RUNNING,
  LK_TEST_VERDICT_OK,
  LK_TEST_VERDICT_FAILED,
} LkTestVerdict;

/**
 * LkTestFailure:
 *
 * What the test page shows for a protocol that failed: core's diagnosis,
 * and around it the conversation with the server and the connection's
 * security. Strings are shown as they are and must hold no secret (core
 * redacts transcripts).
 */
typedef struct
{
  LkDiagnosis        *diagnosis;    /* what failed, who fixes it, how */
  const char         *transcript;   /* nullable, redacted */
  const char         *tls_details;  /* nullable: certificate, TLS version */
} LkTestFailure;

#define LK_TYPE_TEST_PAGE (lk_test_page_get_type ())

G_DECLARE_FINAL_TYPE (LkTestPage, lk_test_page, LK, TEST_PAGE, GtkWidget)

GtkWidget     *lk_test_page_new           (void);
void           lk_test_page_set_protocols (LkTestPage          *self,
                                           LkProtocolFlags      protocols);
void           lk_test_page_set_running   (LkTestPage          *self,
                                           LkProtocol           protocol);
void           lk_test_page_set_ok        (LkTestPage          *self,
                                           LkProtocol           protocol,
                                           const char          *summary);
void           lk_test_page_set_failed    (LkTestPage          *self,
                                           LkProtocol           protocol,
                                           const LkTestFailure *failure);
LkTestVerdict  lk_test_page_get_verdict   (LkTestPage          *self,
                                           LkProtocol           protocol);
AdwExpanderRow *lk_test_page_get_row      (LkTestPage          *self,
                                           LkProtocol           protocol);
LkDiagnosis   *lk_test_page_get_diagnosis (LkTestPage          *self,
                                           LkProtocol           protocol);
gboolean       lk_test_page_get_busy      (LkTestPage          *self);
void           lk_test_page_set_can_continue (LkTestPage        *self,
                                              gboolean           can_continue);
gboolean       lk_test_page_get_all_ok    (LkTestPage          *self);

G_END_DECLS
