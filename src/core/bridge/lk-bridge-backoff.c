/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include "bridge/lk-bridge-backoff.h"

/* The first failure costs the next try FIRST_DELAY_MS, each further one
 * doubles it up to max_delay_ms; a key is forgotten FORGET_AFTER_US after
 * its last failure, or at its first success. A person who mistyped waits a
 * quarter of a second; a program guessing gets a few tries a minute. After
 * lockout_after failures the key is locked: no login of it is checked at
 * all (the right password is refused too) until lockout_seconds after the
 * failure that locked it; tries while locked do not extend the lock, so a
 * printer that keeps retrying comes back by itself once IT fixed it. */
#define FIRST_DELAY_MS  250
#define FORGET_AFTER_US (15 * 60 * G_USEC_PER_SEC)
/* Beyond this many keys, forgotten ones are dropped before adding more. */
#define PRUNE_AT        4096

typedef struct
{
  guint  failures;
  gint64 last_us;
  gint64 locked_until_us;   /* 0: not locked */
} Entry;

struct _LkBridgeBackoff
{
  GHashTable *entries;   /* folded key → Entry */
  gint64    (*now_us) (void);
  guint       max_delay_ms;
  guint       lockout_after;
  gint64      lockout_us;
};

LkBridgeBackoff *
lk_bridge_backoff_new (void)
{
  LkBridgeBackoff *self = g_new0 (LkBridgeBackoff, 1);

  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->now_us = g_get_monotonic_time;
  self->max_delay_ms = LK_BRIDGE_BACKOFF_MAX_DELAY_MS;
  self->lockout_after = LK_BRIDGE_BACKOFF_LOCKOUT_AFTER;
  self->lockout_us = (gint64) LK_BRIDGE_BACKOFF_LOCKOUT_SECONDS * G_USEC_PER_SEC;
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

/**
 * lk_bridge_backoff_set_limits:
 * @max_delay_ms: the longest wait a failure costs
 * @lockout_after: failures that lock a key; 0 never locks
 * @lockout_seconds: how long a lock holds
 *
 * bridge.json's "max_failure_delay_ms" and "lockout" (latchkey-bridge(1)).
 */
void
lk_bridge_backoff_set_limits (LkBridgeBackoff *self,
                              guint            max_delay_ms,
                              guint            lockout_after,
                              guint            lockout_seconds)
{
  self->max_delay_ms = MAX (max_delay_ms, 1);
  self->lockout_after = lockout_after;
  self->lockout_us = (gint64) lockout_seconds * G_USEC_PER_SEC;
}

static Entry *
lookup (LkBridgeBackoff *self,
        const char      *key)
{
  g_autofree char *folded = g_ascii_strdown (key, -1);
  Entry *entry = g_hash_table_lookup (self->entries, folded);

  gint64 now = self->now_us ();

  if (entry != NULL && now - entry->last_us > FORGET_AFTER_US && now >= entry->locked_until_us)
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
  guint delay = MIN (FIRST_DELAY_MS, self->max_delay_ms);

  if (entry == NULL || entry->failures == 0)
    return 0;
  for (guint i = 1; i < entry->failures && delay < self->max_delay_ms; i++)
    delay *= 2;
  return MIN (delay, self->max_delay_ms);
}

/**
 * lk_bridge_backoff_get_locked_seconds:
 *
 * Returns: how long @key stays locked (rounded up), 0 when it is not
 */
guint
lk_bridge_backoff_get_locked_seconds (LkBridgeBackoff *self,
                                      const char      *key)
{
  Entry *entry = lookup (self, key);
  gint64 now = self->now_us ();

  if (entry == NULL || entry->locked_until_us <= now)
    return 0;
  return (guint) ((entry->locked_until_us - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

gboolean
lk_bridge_backoff_is_locked (LkBridgeBackoff *self,
                             const char      *key)
{
  return lk_bridge_backoff_get_locked_seconds (self, key) > 0;
}

static void
prune (LkBridgeBackoff *self)
{
  GHashTableIter iter;
  Entry *entry;
  gint64 now = self->now_us ();

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (now - entry->last_us > FORGET_AFTER_US && now >= entry->locked_until_us)
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
  gint64 now = self->now_us ();

  if (entry != NULL && entry->locked_until_us > now)
    return;
  if (entry == NULL)
    {
      if (g_hash_table_size (self->entries) >= PRUNE_AT)
        prune (self);
      entry = g_new0 (Entry, 1);
      g_hash_table_insert (self->entries, g_ascii_strdown (key, -1), entry);
    }
  if (entry->failures < G_MAXUINT)
    entry->failures++;
  entry->last_us = now;
  if (self->lockout_after > 0 && entry->failures >= self->lockout_after)
    entry->locked_until_us = now + self->lockout_us;
}

void
lk_bridge_backoff_succeeded (LkBridgeBackoff *self,
                             const char      *key)
{
  g_autofree char *folded = g_ascii_strdown (key, -1);

  g_hash_table_remove (self->entries, folded);
}

/**
 * lk_bridge_backoff_restore:
 * @failures: wrong passwords in a row
 * @seconds_since_failure: how long ago the last one was
 * @locked_seconds: how much longer @key stays locked, 0 when it is not; no
 *   more than the lock-out's own length
 *
 * Gives @key the state an earlier run of the bridge left it in
 * (LkBridgeDeviceState), so that a restart neither lifts a lock nor
 * forgives the failures that lead to one.
 */
void
lk_bridge_backoff_restore (LkBridgeBackoff *self,
                           const char      *key,
                           guint            failures,
                           guint64          seconds_since_failure,
                           guint64          locked_seconds)
{
  gint64 now = self->now_us ();
  Entry *entry;

  if (failures == 0 && locked_seconds == 0)
    {
      lk_bridge_backoff_succeeded (self, key);
      return;
    }
  if (g_hash_table_size (self->entries) >= PRUNE_AT)
    prune (self);
  entry = g_new0 (Entry, 1);
  entry->failures = failures;
  entry->last_us = now - (gint64) MIN (seconds_since_failure, (guint64) G_MAXINT32) * G_USEC_PER_SEC;
  /* Lock-outs switched off since ("after": 0): none comes back. */
  if (locked_seconds > 0 && self->lockout_after > 0)
    entry->locked_until_us = now + MIN ((gint64) locked_seconds * G_USEC_PER_SEC, self->lockout_us);
  g_hash_table_replace (self->entries, g_ascii_strdown (key, -1), entry);
}
