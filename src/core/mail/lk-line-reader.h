/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LK_LINE_READER_MAX_LINE (64 * 1024)

/**
 * LkLineReader:
 *
 * Reads CRLF (or LF) terminated lines from a stream, asynchronously, with a
 * cap on the length of a line and a timeout per line. Lines come back
 * without the line end, as valid UTF-8 (other bytes are replaced).
 */
typedef struct _LkLineReader LkLineReader;

LkLineReader *lk_line_reader_new             (GInputStream         *stream,
                                              guint                 timeout_ms);
void          lk_line_reader_free            (LkLineReader         *self);
void          lk_line_reader_set_timeout     (LkLineReader         *self,
                                              guint                 timeout_ms);
gsize         lk_line_reader_get_buffered    (LkLineReader         *self);
GBytes       *lk_line_reader_steal_buffered  (LkLineReader         *self) G_GNUC_WARN_UNUSED_RESULT;
void          lk_line_reader_read_line_async (LkLineReader         *self,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
char         *lk_line_reader_read_line_finish (LkLineReader        *self,
                                              GAsyncResult         *result,
                                              GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkLineReader, lk_line_reader_free)

G_END_DECLS
