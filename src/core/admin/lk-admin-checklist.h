/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "lk-protocol.h"
#include "providers/lk-provider.h"

G_BEGIN_DECLS

/**
 * LkChecklistItem:
 * @id: stable, e.g. "redirect-uri"
 * @title: what to do, one line
 * @portal_path: (nullable): where, "Entra admin center → …"
 * @value: (nullable): the value to type or paste (copyable)
 * @explanation: (nullable): why, in a sentence or two
 */
typedef struct
{
  char *id;
  char *title;
  char *portal_path;
  char *value;
  char *explanation;
} LkChecklistItem;

void       lk_checklist_item_free      (LkChecklistItem *item);
GPtrArray *lk_admin_checklist_build    (LkProvider      *provider,
                                        const char      *tenant,
                                        const char      *client_id,
                                        LkProtocolFlags  protocols,
                                        gboolean         app_only) G_GNUC_WARN_UNUSED_RESULT;
char      *lk_admin_checklist_to_text  (GPtrArray       *items) G_GNUC_WARN_UNUSED_RESULT;
JsonNode  *lk_admin_checklist_to_json  (GPtrArray       *items) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkChecklistItem, lk_checklist_item_free)

G_END_DECLS
