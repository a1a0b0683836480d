/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * LkBridgeSpoolEntry:
 * @id: the message's name in the spool, and its queue ID
 * @device: the device that handed it over
 * @account: the account it goes out as
 * @sender: the envelope sender (`MAIL FROM`), "" for none
 * @recipients: the envelope recipients
 * @received: Unix time it was accepted
 * @size: its size in bytes
 * @attempts: deliveries tried so far
 * @next_attempt: Unix time of the next
 * @last_error: (nullable): why the last one failed
 * @bounce: it is a delivery report: it never gets one of its own
 *
 * The envelope of one message in the spool (LkBridgeSpool).
 */
typedef struct
{
  char    *id;
  char    *device;
  char    *account;
  char    *sender;
  GStrv    recipients;
  gint64   received;
  goffset  size;
  guint    attempts;
  gint64   next_attempt;
  char    *last_error;
  gboolean bounce;
} LkBridgeSpoolEntry;

void                lk_bridge_spool_entry_free (LkBridgeSpoolEntry *entry);
LkBridgeSpoolEntry *lk_bridge_spool_entry_copy (const LkBridgeSpoolEntry *entry) G_GNUC_WARN_UNUSED_RESULT;
JsonNode           *lk_bridge_spool_entry_to_json (const LkBridgeSpoolEntry *entry) G_GNUC_WARN_UNUSED_RESULT;
gint                lk_bridge_spool_entry_compare (gconstpointer a,
                                                   gconstpointer b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkBridgeSpoolEntry, lk_bridge_spool_entry_free)

typedef struct _LkBridgeSpool       LkBridgeSpool;
typedef struct _LkBridgeSpoolWriter LkBridgeSpoolWriter;

LkBridgeSpool       *lk_bridge_spool_new          (const char          *directory) G_GNUC_WARN_UNUSED_RESULT;
void                 lk_bridge_spool_free         (LkBridgeSpool       *self);
const char          *lk_bridge_spool_get_directory (LkBridgeSpool      *self);
gboolean             lk_bridge_spool_prepare      (LkBridgeSpool       *self,
                                                   GError             **error);
GPtrArray           *lk_bridge_spool_list         (LkBridgeSpool       *self) G_GNUC_WARN_UNUSED_RESULT;
char                *lk_bridge_spool_message_path (LkBridgeSpool       *self,
                                                   const char          *id) G_GNUC_WARN_UNUSED_RESULT;
gboolean             lk_bridge_spool_update       (LkBridgeSpool       *self,
                                                   const LkBridgeSpoolEntry *entry,
                                                   GError             **error);
gboolean             lk_bridge_spool_remove       (LkBridgeSpool       *self,
                                                   const char          *id,
                                                   GError             **error);
gboolean             lk_bridge_spool_id_is_valid  (const char          *id);

LkBridgeSpoolWriter *lk_bridge_spool_writer_new    (LkBridgeSpool       *self,
                                                    GError             **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean             lk_bridge_spool_writer_write  (LkBridgeSpoolWriter *writer,
                                                    const void          *data,
                                                    gsize                length,
                                                    GError             **error);
goffset              lk_bridge_spool_writer_get_size (LkBridgeSpoolWriter *writer);
LkBridgeSpoolEntry  *lk_bridge_spool_writer_commit (LkBridgeSpoolWriter *writer,
                                                    LkBridgeSpoolEntry  *envelope,
                                                    GError             **error) G_GNUC_WARN_UNUSED_RESULT;
void                 lk_bridge_spool_writer_commit_async  (LkBridgeSpoolWriter      *writer,
                                                           const LkBridgeSpoolEntry *envelope,
                                                           GAsyncReadyCallback       callback,
                                                           gpointer                  user_data);
LkBridgeSpoolEntry  *lk_bridge_spool_writer_commit_finish (GAsyncResult        *result,
                                                           GError             **error) G_GNUC_WARN_UNUSED_RESULT;
void                 lk_bridge_spool_writer_free   (LkBridgeSpoolWriter *writer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkBridgeSpool, lk_bridge_spool_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkBridgeSpoolWriter, lk_bridge_spool_writer_free)

G_END_DECLS
