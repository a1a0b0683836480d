/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _LkBenchRelay LkBenchRelay;

LkBenchRelay *lk_bench_relay_new      (const char   *host,
                                       guint16       target_port,
                                       guint         rtt_ms);
guint16       lk_bench_relay_get_port (LkBenchRelay *self);
void          lk_bench_relay_free     (LkBenchRelay *self);

G_END_DECLS
