/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include "bridge/lk-bridge-backoff.h"

/* The first failure costs the next try FIRST_DELAY_MS, each further one
 * doubles it up to MAX_DELAY_MS; a key is forgotten FORGET_AFTER_US after
 * its last failure, or at its first success. A person who mistyped waits a
 * quarter of a second; a program guessing gets a few tries a minute. */
#define FIRST_DELAY_MS  250
#define MAX_DELAY_MS    16000
#define FORGET_AFTER_US (15 * 60 * G_USEC_PER_SEC)
/* Beyond this many keys, forgotten ones are dropped before adding more. */
#define PRUNE_AT        4096

typedef struct
{
  guint  failures;
  gint64 last_us;
} Entry;

struct _LkBridgeBackoff
{
  GHashTable *entries;   /* folded key → Entry */
  gint64    (*now_us) (void);
};

LkBridgeBackoff *
lk_bridge_backoff_new (void)
{
  LkBridgeBackoff *self = g_new0 (LkBridgeBackoff, 1);

  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->now_us = g_get_monotonic_time;
  return self;
}

void
lk_bridge_backoff_free (LkBridgeBackoff *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->entries);
  g_free (self);
}

/* For the tests: a clock they move. */
void
lk_bridge_backoff_set_clock (LkBridgeBackoff *self,
                             gint64         (*now_us) (void))
{
  self->now_us = now_us;
}

static Entry *
lookup (LkBridgeBackoff *self,
        const char      *key)
{
  g_autofree char *folded = g_ascii_strdown (key, -1);
  Entry *entry = g_hash_table_lookup (self->entries, folded);

  if (entry != NULL && self->now_us () - entry->last_us > FORGET_AFTER_US)
    {
      g_hash_table_remove (self->entries, folded);
      return NULL;
    }
  return entry;
}

guint
lk_bridge_backoff_get_failures (LkBridgeBackoff *self,
                                const char      *key)
{
  Entry *entry = lookup (self, key);

  return entry != NULL ? entry->failures : 0;
}

/**
 * lk_bridge_backoff_get_delay_ms:
 *
 * How long to wait before checking the next login of @key.
 */
guint
lk_bridge_backoff_get_delay_ms (LkBridgeBackoff *self,
                                const char      *key)
{
  Entry *entry = lookup (self, key);
  guint delay = FIRST_DELAY_MS;

  if (entry == NULL || entry->failures == 0)
    return 0;
  for (guint i = 1; i < entry->failures && delay < MAX_DELAY_MS; i++)
    delay *= 2;
  return MIN (delay, MAX_DELAY_MS);
}

static void
prune (LkBridgeBackoff *self)
{
  GHashTableIter iter;
  Entry *entry;
  gint64 now = self->now_us ();

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (now - entry->last_us > FORGET_AFTER_US)
      g_hash_table_iter_remove (&iter);
  /* Still full of fresh failures: someone is guessing many names. Start
   * over rather than grow without bound. */
  if (g_hash_table_size (self->entries) >= PRUNE_AT)
    g_hash_table_remove_all (self->entries);
}

void
lk_bridge_backoff_failed (LkBridgeBackoff *self,
                          const char      *key)
{
  Entry *entry = lookup (self, key);

  if (entry == NULL)
    {
      if (g_hash_table_size (self->entries) >= PRUNE_AT)
        prune (self);
      entry = g_new0 (Entry, 1);
      g_hash_table_insert (self->entries, g_ascii_strdown (key, -1), entry);
    }
  if (entry->failures < G_MAXUINT)
    entry->failures++;
  entry->last_us = self->now_us ();
}

void
lk_bridge_backoff_succeeded (LkBridgeBackoff *self,
                             const char      *key)
{
  g_autofree char *folded = g_ascii_strdown (key, -1);

  g_hash_table_remove (self->entries, folded);
}
