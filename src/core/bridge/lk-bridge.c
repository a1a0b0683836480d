/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>

#include "bridge/lk-bridge-allow.h"
#include "bridge/lk-bridge-backoff.h"
#include "bridge/lk-bridge-device-state.h"
#include "bridge/lk-bridge-log.h"
#include "bridge/lk-bridge-session.h"
#include "bridge/lk-bridge.h"
#include "diagnose/lk-diagnose-probe.h"
#include "diagnose/lk-diagnose.h"
#include "lk-error.h"
#include "lk-places.h"
#include "lk-json.h"
#include "lk-sign-in-notice.h"
#include "mail/lk-mail-probe.h"
#include "lk-token-set.h"

/**
 * LkBridge:
 *
 * The bridge's engine, shared by its listeners and sessions: who may log
 * in (#LkBridgeCredentials), the accounts and their tokens (one
 * #LkTokenManager with its memory cache, so that many clients connecting at
 * once cause one keyring read and at most one refresh), the certificate,
 * the per-user failure backoff, and what `bridge status` reports per
 * account.
 *
 * lk_bridge_login_async() is the one path from a local login to a signed-in
 * upstream connection: wait out the user's backoff, check the password
 * (never contacting anyone on a wrong one, never touching the stored
 * token), load the account, get a token, sign in upstream with the probes'
 * code, and sort every failure into temporary or permanent.
 */

/* A device's counts reach its file this long after they change (a burst
 * of scans writes it once); a lock and a failure are written at once. */
#define DEVICE_STATE_SAVE_DELAY_S 1
/* The addresses remembered per device whose wrong passwords for it may
 * have locked them, so that `bridge device reset` can free them too. */
#define FAILED_FROM_MAX 32

/* Until bridge.json says otherwise (upstream_timeout). */
#define UPSTREAM_STEP_MS    15000
#define UPSTREAM_OVERALL_MS 45000

/* Per account and, for the office bridge, per device. */
typedef struct
{
  guint   sessions;
  gint64  last_login;       /* Unix time, 0 never */
  char   *last_error;
  gint64  last_error_at;
  /* What the provider said when it refused the sign-in for a reason only an
   * administrator can cure: the refused refresh token is gone by then, so
   * later logins would otherwise hear "sign in again" instead. Cleared by
   * the next successful login. */
  char   *needs_administrator;
  /* Devices: the sources of its wrong passwords (address keys of the
   * backoff), nullable. In memory only, as the addresses' own locks are. */
  GPtrArray *failed_from;
} AccountStats;

struct _LkBridge
{
  GObject              parent_instance;
  LkAccountStore      *accounts;
  LkTokenManager      *tokens;
  LkBridgeCredentials *credentials;
  GTlsCertificate     *certificate;
  LkBridgeBackoff     *backoff;
  GHashTable          *sessions;    /* GObject → itself (not owned: they remove themselves) */
  GHashTable          *stats;       /* folded address → AccountStats */
  GHashTable          *device_stats; /* device name → AccountStats */
  /* Devices' counters that outlive a restart: the hourly cap's window,
   * today's count, the lock-out (doc/bridge-office.md). */
  LkBridgeDeviceState *device_state;
  guint                device_state_save_id;
  GHashTable          *per_address; /* source address → open sessions */
  guint                max_per_address;
  gpointer             queue;       /* LkBridgeQueue, weak: the daemon owns it */
  GPtrArray           *relay_rules; /* LkBridgeRelayRule */
  gboolean             devices_only;
  guint                step_ms;
  guint                overall_ms;
};

G_DEFINE_FINAL_TYPE (LkBridge, lk_bridge, G_TYPE_OBJECT)

static void
account_stats_free (AccountStats *stats)
{
  g_clear_pointer (&stats->failed_from, g_ptr_array_unref);
  g_free (stats->last_error);
  g_free (stats->needs_administrator);
  g_free (stats);
}

void
lk_bridge_login_free (LkBridgeLogin *login)
{
  if (login == NULL)
    return;
  g_free (login->message);
  g_free (login->account);
  g_free (login->enhanced_code);
  g_clear_pointer (&login->device, lk_bridge_user_unref);
  g_clear_object (&login->upstream);
  g_clear_pointer (&login->upstream_buffered, g_bytes_unref);
  g_strfreev (login->capabilities);
  g_free (login);
}

static void
lk_bridge_finalize (GObject *object)
{
  LkBridge *self = LK_BRIDGE (object);

  g_clear_object (&self->accounts);
  g_clear_object (&self->tokens);
  g_clear_object (&self->credentials);
  g_clear_object (&self->certificate);
  g_clear_weak_pointer ((GObject **) &self->queue);
  g_clear_pointer (&self->relay_rules, g_ptr_array_unref);
  lk_bridge_save_device_state (self);
  lk_bridge_device_state_free (self->device_state);
  lk_bridge_backoff_free (self->backoff);
  g_hash_table_unref (self->sessions);
  g_hash_table_unref (self->stats);
  g_hash_table_unref (self->device_stats);
  g_hash_table_unref (self->per_address);
  G_OBJECT_CLASS (lk_bridge_parent_class)->finalize (object);
}

static void
lk_bridge_class_init (LkBridgeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_bridge_finalize;
}

static void
lk_bridge_init (LkBridge *self)
{
  self->backoff = lk_bridge_backoff_new ();
  self->device_state = lk_bridge_device_state_new (NULL);
  self->sessions = g_hash_table_new (NULL, NULL);
  self->stats = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) account_stats_free);
  self->device_stats = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) account_stats_free);
  self->per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->max_per_address = G_MAXUINT;
  self->step_ms = UPSTREAM_STEP_MS;
  self->overall_ms = UPSTREAM_OVERALL_MS;
}

/**
 * lk_bridge_new:
 * @tokens: its memory cache is switched on here
 */
LkBridge *
lk_bridge_new (LkAccountStore      *accounts,
               LkTokenManager      *tokens,
               LkBridgeCredentials *credentials)
{
  LkBridge *self = g_object_new (LK_TYPE_BRIDGE, NULL);

  self->accounts = g_object_ref (accounts);
  self->tokens = g_object_ref (tokens);
  self->credentials = g_object_ref (credentials);
  lk_token_manager_set_memory_cache (tokens, TRUE);
  return self;
}

LkAccountStore *
lk_bridge_get_accounts (LkBridge *self)
{
  return self->accounts;
}

LkTokenManager *
lk_bridge_get_tokens (LkBridge *self)
{
  return self->tokens;
}

LkBridgeCredentials *
lk_bridge_get_credentials (LkBridge *self)
{
  return self->credentials;
}

/**
 * lk_bridge_set_queue:
 * @queue: (nullable) (type LkBridgeQueue): where devices' mail goes; a
 *   weak reference
 */
void
lk_bridge_set_queue (LkBridge *self,
                     gpointer  queue)
{
  g_set_weak_pointer ((GObject **) &self->queue, queue);
}

static AccountStats *device_stats_for (LkBridge *self, const char *device);

/**
 * lk_bridge_set_devices_only:
 *
 * Only devices may log in (the legacy-TLS process, LkBridgeLegacy, which
 * must never connect upstream): an account's login is refused for good.
 */
void
lk_bridge_set_devices_only (LkBridge *self,
                            gboolean  devices_only)
{
  self->devices_only = devices_only;
}

/**
 * lk_bridge_set_relay_without_auth:
 * @rules: (nullable) (element-type LkBridgeRelayRule): `--relay-without-auth`
 */
void
lk_bridge_set_relay_without_auth (LkBridge  *self,
                                  GPtrArray *rules)
{
  g_clear_pointer (&self->relay_rules, g_ptr_array_unref);
  if (rules != NULL)
    self->relay_rules = g_ptr_array_ref (rules);
}

/* What a device IT switched off (`bridge device disable`) is told. */
static char *
disabled_message (void)
{
  /* Translators: sent to a printer or scanner as its login's error */
  return g_strdup (_("This device is switched off in Latchkey; IT can switch it on again"));
}

/**
 * lk_bridge_relay_device:
 * @source_address: the client's address
 * @out_refusal: (out) (optional) (transfer full): what to tell the
 *   client when the rule's device is switched off (`bridge device
 *   disable`); %NULL otherwise
 *
 * The device a client at @source_address sends as without AUTH
 * (`--relay-without-auth`), when a rule names the address and the device
 * exists, is enabled and may use SMTP. The log says so each time.
 *
 * Returns: (transfer full) (nullable): the device
 */
LkBridgeUser *
lk_bridge_relay_device (LkBridge   *self,
                        const char *source_address,
                        const char *connection,
                        char      **out_refusal)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (source_address);
  g_autoptr(GError) error = NULL;

  if (out_refusal != NULL)
    *out_refusal = NULL;
  if (self->relay_rules == NULL || inet == NULL)
    return NULL;
  for (guint i = 0; i < self->relay_rules->len; i++)
    {
      LkBridgeRelayRule *rule = g_ptr_array_index (self->relay_rules, i);
      g_autoptr(LkBridgeUser) device = NULL;
      LkBridgeLogFields fields = LK_BRIDGE_LOG_FIELDS_INIT;

      if (!g_inet_address_mask_matches (rule->network, inet))
        continue;
      if (!lk_bridge_credentials_load (self->credentials, &error))
        g_warning ("%s", error->message);
      device = lk_bridge_credentials_lookup (self->credentials, rule->device);
      fields.connection = connection;
      fields.source_address = source_address;
      fields.protocol = "smtp";
      fields.user = rule->device;
      if (device != NULL && device->kind == LK_BRIDGE_USER_DEVICE && !device->enabled)
        {
          /* Not "refused": fail2ban's filter must not ban the address of a
           * printer IT switched off (`bridge device disable`). */
          fields.result = "disabled";
          lk_bridge_log (G_LOG_LEVEL_WARNING, &fields, "%s smtp relay without AUTH from %s: "
                         "the device %s is switched off (bridge device enable)",
                         connection, source_address, rule->device);
          if (out_refusal != NULL)
            *out_refusal = disabled_message ();
          return NULL;
        }
      if (device == NULL || device->kind != LK_BRIDGE_USER_DEVICE
          || !(device->protocols & LK_PROTOCOL_FLAG_SMTP))
        {
          fields.result = "refused";
          lk_bridge_log (G_LOG_LEVEL_WARNING, &fields, "%s smtp relay without AUTH from %s: "
                         "there is no device %s that may use SMTP (--relay-without-auth)",
                         connection, source_address, rule->device);
          return NULL;
        }
      fields.account = device->account;
      fields.result = "ok";
      lk_bridge_log (G_LOG_LEVEL_MESSAGE, &fields, "%s smtp relay without AUTH from %s as %s",
                     connection, source_address, device->name);
      device_stats_for (self, device->name)->last_login = g_get_real_time () / G_USEC_PER_SEC;
      return g_steal_pointer (&device);
    }
  return NULL;
}

/* Returns: (nullable) (transfer none) (type LkBridgeQueue): the spool's queue */
gpointer
lk_bridge_get_queue (LkBridge *self)
{
  return self->queue;
}

GTlsCertificate *
lk_bridge_get_certificate (LkBridge *self)
{
  return self->certificate;
}

void
lk_bridge_set_certificate (LkBridge        *self,
                           GTlsCertificate *certificate)
{
  g_set_object (&self->certificate, certificate);
}

void
lk_bridge_set_upstream_timeouts (LkBridge *self,
                                 guint     step_ms,
                                 guint     overall_ms)
{
  self->step_ms = step_ms;
  self->overall_ms = overall_ms;
}

/**
 * lk_bridge_set_login_limits:
 *
 * The failure backoff's longest delay and its lock-out (bridge.json's
 * "max_failure_delay_ms" and "lockout"; lk_bridge_backoff_set_limits()).
 */
void
lk_bridge_set_login_limits (LkBridge *self,
                            guint     max_delay_ms,
                            guint     lockout_after,
                            guint     lockout_seconds)
{
  lk_bridge_backoff_set_limits (self->backoff, max_delay_ms, lockout_after, lockout_seconds);
}

void
lk_bridge_set_max_connections_per_address (LkBridge *self,
                                           guint     max)
{
  self->max_per_address = MAX (max, 1);
}

/* Whether one more connection from @address stays within the cap. */
gboolean
lk_bridge_may_accept (LkBridge   *self,
                      const char *address)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, address)) < self->max_per_address;
}

/* ── Per-account state, for `bridge status` ───────────────────────────── */

static AccountStats *
stats_for (LkBridge   *self,
           const char *account)
{
  g_autofree char *key = g_ascii_strdown (account, -1);
  AccountStats *stats = g_hash_table_lookup (self->stats, key);

  if (stats == NULL)
    {
      stats = g_new0 (AccountStats, 1);
      g_hash_table_insert (self->stats, g_steal_pointer (&key), stats);
    }
  return stats;
}

static AccountStats *
device_stats_for (LkBridge   *self,
                  const char *device)
{
  AccountStats *stats = g_hash_table_lookup (self->device_stats, device);

  if (stats == NULL)
    {
      stats = g_new0 (AccountStats, 1);
      g_hash_table_insert (self->device_stats, g_strdup (device), stats);
    }
  return stats;
}

static void
set_error (AccountStats *stats,
           const char   *message)
{
  g_free (stats->last_error);
  stats->last_error = g_strdup (message);
  stats->last_error_at = g_get_real_time () / G_USEC_PER_SEC;
}

/**
 * lk_bridge_device_may_send:
 * @out_wait_seconds: (out) (optional): when it may send again
 *
 * Whether @device is within its hourly cap (LkBridgeUser.max_per_hour),
 * counting what it handed over in the last hour, before a restart too
 * (LkBridgeDeviceState).
 */
gboolean
lk_bridge_device_may_send (LkBridge           *self,
                           const LkBridgeUser *device,
                           guint              *out_wait_seconds)
{
  LkBridgeDeviceRecord *record = lk_bridge_device_state_lookup (self->device_state, device->name);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 free_at = 0;

  if (device->max_per_hour == 0 || record == NULL
      || lk_bridge_device_record_this_hour (record, now, &free_at) < device->max_per_hour)
    return TRUE;
  if (out_wait_seconds != NULL)
    *out_wait_seconds = (guint) MAX (free_at - now, 1);
  return FALSE;
}

static gboolean
save_device_state_cb (gpointer user_data)
{
  LkBridge *self = user_data;

  self->device_state_save_id = 0;
  lk_bridge_save_device_state (self);
  return G_SOURCE_REMOVE;
}

/* A count changed: written a moment later, once for a burst. */
static void
schedule_device_state_save (LkBridge *self)
{
  if (self->device_state_save_id == 0 && lk_bridge_device_state_get_path (self->device_state) != NULL)
    self->device_state_save_id = g_timeout_add_seconds (DEVICE_STATE_SAVE_DELAY_S,
                                                        save_device_state_cb, self);
}

/**
 * lk_bridge_save_device_state:
 *
 * Writes the devices' counters now (lk_bridge_set_device_state()), as
 * the bridge does a second after they change; the daemon calls it when it
 * stops.
 */
void
lk_bridge_save_device_state (LkBridge *self)
{
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&self->device_state_save_id, g_source_remove);
  if (!lk_bridge_device_state_save (self->device_state, &error))
    g_warning ("%s", error->message);
}

/* @device handed a message over: it counts against its cap and today. */
void
lk_bridge_device_sent (LkBridge           *self,
                       const LkBridgeUser *device)
{
  lk_bridge_device_record_count (lk_bridge_device_state_get (self->device_state, device->name),
                                 g_get_real_time () / G_USEC_PER_SEC);
  schedule_device_state_save (self);
}

/* A wrong password for @device, from @address_key (nullable: loopback):
 * its failures and lock, as the backoff counted them, are written at
 * once, so that a restart does not forgive them. */
static void
device_login_failed (LkBridge           *self,
                     const LkBridgeUser *device,
                     const char         *address_key)
{
  LkBridgeDeviceRecord *record = lk_bridge_device_state_get (self->device_state, device->name);
  AccountStats *stats = device_stats_for (self, device->name);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint locked = lk_bridge_backoff_get_locked_seconds (self->backoff, device->name);

  record->failures = lk_bridge_backoff_get_failures (self->backoff, device->name);
  record->last_failure = now;
  if (locked > 0 && record->locked_until <= now)
    record->locked_at = now;
  record->locked_until = locked > 0 ? now + locked : 0;
  if (address_key != NULL)
    {
      if (stats->failed_from == NULL)
        stats->failed_from = g_ptr_array_new_with_free_func (g_free);
      if (!g_ptr_array_find_with_equal_func (stats->failed_from, address_key, g_str_equal, NULL))
        {
          if (stats->failed_from->len >= FAILED_FROM_MAX)
            g_ptr_array_remove_index (stats->failed_from, 0);
          g_ptr_array_add (stats->failed_from, g_strdup (address_key));
        }
    }
  lk_bridge_save_device_state (self);
}

/* @name logged in: its failures are forgiven. */
static void
device_login_succeeded (LkBridge   *self,
                        const char *name)
{
  LkBridgeDeviceRecord *record = lk_bridge_device_state_lookup (self->device_state, name);
  AccountStats *stats = g_hash_table_lookup (self->device_stats, name);

  if (stats != NULL)
    g_clear_pointer (&stats->failed_from, g_ptr_array_unref);
  if (record == NULL || (record->failures == 0 && record->locked_until == 0))
    return;
  lk_bridge_device_record_clear_lock (record);
  lk_bridge_save_device_state (self);
}

/* Whether @device was given a new password (or changed otherwise, which
 * only IT does) after its failures: `bridge device reset` ends a lock
 * (doc/bridge-office.md, "Brute force"). */
static gboolean
changed_since_failures (const LkBridgeUser         *device,
                        const LkBridgeDeviceRecord *record)
{
  gint64 last = MAX (record->last_failure, record->locked_at);

  return last > 0 && device->changed >= last;
}

/* The lock of @device ends when it changed since: its name's, and those
 * of the addresses that locked themselves guessing it (the printer that
 * kept the old password is one of them). */
static void
forget_lock_if_changed (LkBridge           *self,
                        const LkBridgeUser *device)
{
  LkBridgeDeviceRecord *record = lk_bridge_device_state_lookup (self->device_state, device->name);
  AccountStats *stats = g_hash_table_lookup (self->device_stats, device->name);

  if (record == NULL || !changed_since_failures (device, record))
    return;
  lk_bridge_backoff_succeeded (self->backoff, device->name);
  for (guint i = 0; stats != NULL && stats->failed_from != NULL && i < stats->failed_from->len; i++)
    lk_bridge_backoff_succeeded (self->backoff, g_ptr_array_index (stats->failed_from, i));
  if (stats != NULL)
    g_clear_pointer (&stats->failed_from, g_ptr_array_unref);
  lk_bridge_device_record_clear_lock (record);
  g_message ("The device %s was changed (a new password): its lock-out ended", device->name);
  lk_bridge_save_device_state (self);
}

/**
 * lk_bridge_reload_devices:
 *
 * The logins file was read again: a device that got a new password since
 * its wrong ones is unlocked at once.
 */
void
lk_bridge_reload_devices (LkBridge *self)
{
  g_autoptr(GPtrArray) users = lk_bridge_credentials_list (self->credentials);

  for (guint i = 0; i < users->len; i++)
    {
      LkBridgeUser *user = g_ptr_array_index (users, i);

      if (user->kind == LK_BRIDGE_USER_DEVICE)
        forget_lock_if_changed (self, user);
    }
}

/**
 * lk_bridge_set_device_state:
 * @path: (nullable): the file (lk_bridge_device_state_default_path()); %NULL
 *   keeps the counters in memory only
 *
 * Where the devices' counters live, read now: a device locked or at its
 * cap before a restart still is, unless it got a new password since. Set
 * the login limits first (lk_bridge_set_login_limits()).
 */
void
lk_bridge_set_device_state (LkBridge   *self,
                            const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_clear_handle_id (&self->device_state_save_id, g_source_remove);
  lk_bridge_device_state_free (self->device_state);
  self->device_state = lk_bridge_device_state_new (path);
  if (!lk_bridge_device_state_load (self->device_state, &error))
    g_warning ("%s", error->message);
  names = lk_bridge_device_state_dup_names (self->device_state);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      LkBridgeDeviceRecord *record = lk_bridge_device_state_lookup (self->device_state, name);
      g_autoptr(LkBridgeUser) device = lk_bridge_credentials_lookup (self->credentials, name);

      if (device == NULL || device->kind != LK_BRIDGE_USER_DEVICE
          || changed_since_failures (device, record))
        {
          lk_bridge_device_record_clear_lock (record);
          continue;
        }
      lk_bridge_backoff_restore (self->backoff, name, record->failures,
                                 (guint64) MAX (now - record->last_failure, 0),
                                 (guint64) MAX (record->locked_until - now, 0));
      if (record->locked_until > now)
        g_message ("The device %s stays locked out for %" G_GINT64_FORMAT " more seconds, as "
                   "before the restart", name, record->locked_until - now);
    }
}

/* A device's last error, as `bridge device list` shows it. */
void
lk_bridge_device_failed (LkBridge   *self,
                         const char *device,
                         const char *message)
{
  set_error (device_stats_for (self, device), message);
}

/* @user's account, and @user itself when it is a device. */
static void
record_error (LkBridge           *self,
              const LkBridgeUser *user,
              const char         *message)
{
  set_error (stats_for (self, user->account), message);
  if (user->kind == LK_BRIDGE_USER_DEVICE)
    set_error (device_stats_for (self, user->name), message);
}

void
lk_bridge_session_opened (LkBridge *self,
                          GObject  *session)
{
  const char *address = lk_bridge_session_get_source_address (LK_BRIDGE_SESSION (session));
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, address));

  g_hash_table_add (self->sessions, session);
  g_hash_table_replace (self->per_address, g_strdup (address), GUINT_TO_POINTER (n + 1));
}

/**
 * lk_bridge_session_closed:
 * @account: (nullable): the account the session was relaying for
 */
void
lk_bridge_session_closed (LkBridge   *self,
                          GObject    *session,
                          const char *account)
{
  const char *address = lk_bridge_session_get_source_address (LK_BRIDGE_SESSION (session));
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, address));

  g_hash_table_remove (self->sessions, session);
  if (n <= 1)
    g_hash_table_remove (self->per_address, address);
  else
    g_hash_table_replace (self->per_address, g_strdup (address), GUINT_TO_POINTER (n - 1));
  if (account != NULL)
    {
      AccountStats *stats = stats_for (self, account);

      if (stats->sessions > 0)
        stats->sessions--;
    }
}

void
lk_bridge_account_session_started (LkBridge   *self,
                                   const char *account)
{
  AccountStats *stats = stats_for (self, account);

  stats->sessions++;
  stats->last_login = g_get_real_time () / G_USEC_PER_SEC;
  g_clear_pointer (&stats->needs_administrator, g_free);
}

guint
lk_bridge_get_n_sessions (LkBridge *self)
{
  return g_hash_table_size (self->sessions);
}

/* Every session ends: pre-login ones say goodbye in their protocol,
 * relayed ones are closed after what is queued has been written. */
void
lk_bridge_close_all (LkBridge *self)
{
  g_autoptr(GList) sessions = g_hash_table_get_keys (self->sessions);

  for (GList *l = sessions; l != NULL; l = l->next)
    lk_bridge_session_shutdown (LK_BRIDGE_SESSION (l->data));
}

/* An account was removed or its bridge disabled: forget its token. */
void
lk_bridge_forget_account (LkBridge   *self,
                          const char *account)
{
  lk_token_manager_forget (self->tokens, account);
}

static void
add_time (JsonBuilder *builder,
          const char  *name,
          gint64       when)
{
  g_autoptr(GDateTime) time = when != 0 ? g_date_time_new_from_unix_utc (when) : NULL;

  lk_json_add_date (builder, name, time);
}

/* "protocols": ["imap", "smtp"] */
void
lk_bridge_add_protocols_member (JsonBuilder     *builder,
                                LkProtocolFlags  flags)
{
  const char *protocols[LK_N_PROTOCOLS + 1] = { NULL };
  guint n = 0;

  for (guint p = 0; p < LK_N_PROTOCOLS; p++)
    if (flags & (1 << p))
      protocols[n++] = lk_protocol_to_string (p);
  lk_json_add_strv (builder, "protocols", (char **) protocols);
}

/**
 * lk_bridge_describe_accounts:
 * @bridge: (nullable): the running engine, for sessions, last login and
 *   last error; %NULL when there is none (the CLI without a daemon)
 *
 * Returns: (transfer full): a JSON array with one object per login of
 *   @credentials: email, enabled, protocols (list), sessions, last_login,
 *   last_error, last_error_at (ISO 8601 or null)
 */
JsonNode *
lk_bridge_describe_accounts (LkBridgeCredentials *credentials,
                             LkBridge            *bridge)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(GError) error = NULL;

  if (!lk_bridge_credentials_load (credentials, &error))
    g_warning ("%s", error->message);
  users = lk_bridge_credentials_list (credentials);
  json_builder_begin_array (builder);
  for (guint i = 0; i < users->len; i++)
    {
      LkBridgeUser *user = g_ptr_array_index (users, i);
      g_autofree char *key = g_ascii_strdown (user->account, -1);
      AccountStats *stats = bridge != NULL ? g_hash_table_lookup (bridge->stats, key) : NULL;

      if (user->kind != LK_BRIDGE_USER_ACCOUNT)
        continue;
      json_builder_begin_object (builder);
      lk_json_add_string (builder, "email", user->account);
      lk_json_add_boolean (builder, "enabled", user->enabled);
      lk_bridge_add_protocols_member (builder, user->protocols);
      lk_json_add_int (builder, "sessions", stats != NULL ? stats->sessions : 0);
      add_time (builder, "last_login", stats != NULL ? stats->last_login : 0);
      lk_json_add_string (builder, "last_error", stats != NULL ? stats->last_error : NULL);
      add_time (builder, "last_error_at", stats != NULL ? stats->last_error_at : 0);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

/**
 * lk_bridge_describe_devices:
 * @bridge: (nullable): the running engine, for what it saw of each device
 *
 * The office bridge's devices, for `bridge device list` and the IT
 * window's Devices page.
 *
 * Returns: (transfer full): a JSON array with one object per device:
 *   name, account, protocols (list), from (or null), max_per_hour (0: no
 *   cap), enabled, created (ISO 8601), last_seen, messages_today (taken
 *   into the spool since local midnight), messages_this_hour (what the cap
 *   counts), locked_until (ISO 8601 or null: the lock-out), last_error,
 *   last_error_at (ISO 8601 or null). When @bridge is %NULL, the counts
 *   and the lock are what the bridge last wrote
 *   (lk_bridge_device_state_default_path()), the rest null and 0.
 */
JsonNode *
lk_bridge_describe_devices (LkBridgeCredentials *credentials,
                            LkBridge            *bridge)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkBridgeDeviceState) saved = NULL;
  LkBridgeDeviceState *state;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!lk_bridge_credentials_load (credentials, &error))
    g_warning ("%s", error->message);
  g_clear_error (&error);
  if (bridge != NULL)
    state = bridge->device_state;
  else
    {
      g_autofree char *path = lk_bridge_device_state_default_path ();

      saved = lk_bridge_device_state_new (path);
      if (!lk_bridge_device_state_load (saved, &error))
        g_debug ("%s", error->message);
      state = saved;
    }
  users = lk_bridge_credentials_list (credentials);
  json_builder_begin_array (builder);
  for (guint i = 0; i < users->len; i++)
    {
      LkBridgeUser *user = g_ptr_array_index (users, i);
      AccountStats *stats = bridge != NULL ? g_hash_table_lookup (bridge->device_stats, user->name)
                                           : NULL;
      LkBridgeDeviceRecord *record = lk_bridge_device_state_lookup (state, user->name);
      gint64 locked_until = 0;

      if (user->kind != LK_BRIDGE_USER_DEVICE)
        continue;
      if (bridge != NULL && lk_bridge_backoff_is_locked (bridge->backoff, user->name))
        locked_until = now + lk_bridge_backoff_get_locked_seconds (bridge->backoff, user->name);
      else if (bridge == NULL && record != NULL && record->locked_until > now
               && !changed_since_failures (user, record))
        locked_until = record->locked_until;
      json_builder_begin_object (builder);
      lk_json_add_string (builder, "name", user->name);
      lk_json_add_string (builder, "account", user->account);
      lk_bridge_add_protocols_member (builder, user->protocols);
      lk_json_add_string (builder, "from", user->sender);
      lk_json_add_int (builder, "max_per_hour", user->max_per_hour);
      lk_json_add_boolean (builder, "enabled", user->enabled);
      add_time (builder, "created", user->created);
      add_time (builder, "last_seen", stats != NULL ? stats->last_login : 0);
      lk_json_add_int (builder, "messages_today",
                       record != NULL ? lk_bridge_device_record_today (record, now) : 0);
      lk_json_add_int (builder, "messages_this_hour",
                       record != NULL ? lk_bridge_device_record_this_hour (record, now, NULL) : 0);
      add_time (builder, "locked_until", locked_until);
      lk_json_add_string (builder, "last_error", stats != NULL ? stats->last_error : NULL);
      add_time (builder, "last_error_at", stats != NULL ? stats->last_error_at : 0);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

JsonNode *
lk_bridge_get_device_status (LkBridge *self)
{
  return lk_bridge_describe_devices (self->credentials, self);
}

JsonNode *
lk_bridge_get_account_status (LkBridge *self)
{
  return lk_bridge_describe_accounts (self->credentials, self);
}

/* ── Logging in ───────────────────────────────────────────────────────── */

typedef struct
{
  LkProtocol      protocol;
  char           *user;
  char           *password;     /* wiped as soon as it was checked */
  char           *connection;
  char           *source_address;
  char           *address_key;  /* the backoff's key for the source; NULL on loopback */
  LkBridgeUser   *login;
  LkAccount      *account;
  LkTokenSet     *tokens;
  LkMailProbe    *probe;
  guint           attempt;
  GSource        *delay;
} Login;

static void
login_free (Login *login)
{
  g_free (login->user);
  lk_secret_wipe (login->password);
  g_free (login->connection);
  g_free (login->source_address);
  g_free (login->address_key);
  g_clear_pointer (&login->login, lk_bridge_user_unref);
  g_clear_pointer (&login->account, lk_account_unref);
  g_clear_pointer (&login->tokens, lk_token_set_free);
  g_clear_object (&login->probe);
  if (login->delay != NULL)
    {
      g_source_destroy (login->delay);
      g_source_unref (login->delay);
    }
  g_free (login);
}

static void
log_login (Login      *login,
           const char *result,
           const char *message)
{
  g_autofree char *user = lk_bridge_log_safe (login->user);
  LkBridgeLogFields fields = LK_BRIDGE_LOG_FIELDS_INIT;

  fields.connection = login->connection;
  fields.source_address = login->source_address;
  fields.protocol = lk_protocol_to_string (login->protocol);
  fields.user = user;
  fields.account = login->account != NULL ? login->account->email : NULL;
  fields.result = result;
  /* The message names the source address too: fail2ban's filter
   * (data/fail2ban/latchkey-bridge.conf) reads the text, not the fields. */
  lk_bridge_log (G_LOG_LEVEL_MESSAGE, &fields, "%s %s login as %s from %s: %s: %s",
                 login->connection, fields.protocol, user,
                 login->source_address != NULL ? login->source_address : "unknown", result,
                 message);
}

static void
finish_with (GTask         *task,
             LkBridgeLogin *out,
             const char    *result)
{
  LkBridge *self = g_task_get_source_object (task);
  Login *login = g_task_get_task_data (task);

  out->account = login->account != NULL ? g_strdup (login->account->email) : NULL;
  log_login (login, result, out->message);
  if (out->status != LK_BRIDGE_LOGIN_OK && login->login != NULL)
    record_error (self, login->login, out->message);
  if (out->status == LK_BRIDGE_LOGIN_OK && login->login != NULL
      && login->login->kind == LK_BRIDGE_USER_DEVICE)
    device_stats_for (self, login->login->name)->last_login = g_get_real_time () / G_USEC_PER_SEC;
  g_task_return_pointer (task, out, (GDestroyNotify) lk_bridge_login_free);
}

/* Takes @message. */
static void
finish (GTask               *task,
        LkBridgeLoginStatus  status,
        const char          *result,
        char                *message)
{
  LkBridgeLogin *out = g_new0 (LkBridgeLogin, 1);

  out->status = status;
  out->message = message;
  finish_with (task, out, result);
}

static gboolean
give_up_if_cancelled (GTask *task)
{
  if (!g_task_return_error_if_cancelled (task))
    return FALSE;
  g_object_unref (task);
  return TRUE;
}

/* What the diagnosis catalogue says of a failed refresh; NULL when it does
 * not recognise it. */
static LkDiagnosis *
diagnose_refresh (Login        *login,
                  const GError *error)
{
  LkDiagnoseInput input = { 0 };
  g_autoptr(LkDiagnosis) diagnosis = NULL;

  input.error = error;
  input.phase = LK_DIAGNOSE_PHASE_REFRESH;
  input.account = login->account;
  diagnosis = lk_diagnose (&input);
  if (diagnosis == NULL || g_strcmp0 (diagnosis->id, "unrecognised") == 0)
    return NULL;
  return g_steal_pointer (&diagnosis);
}

/* Whether only an administrator can cure it (consent withdrawn or never
 * given, the app disabled, the user not assigned to it): signing in again
 * would be refused the same way, so the client hears a permanent error —
 * issue #15, doc/bridge.md "A session". */
static gboolean
needs_an_administrator (const LkDiagnosis *diagnosis)
{
  return diagnosis != NULL
         && (diagnosis->fixer == LK_FIXER_TENANT_ADMIN
             || diagnosis->fixer == LK_FIXER_MAILBOX_ADMIN
             || diagnosis->fixer == LK_FIXER_APP_OWNER);
}

/* A refresh or keyring failure: temporary, except what the provider said
 * for good (an unknown client, a consent missing…), which the diagnosis
 * sums up. */
static void
token_failed (GTask        *task,
              const GError *error)
{
  LkBridge *self = g_task_get_source_object (task);
  Login *login = g_task_get_task_data (task);
  AccountStats *stats = stats_for (self, login->account->email);
  gboolean needs_sign_in = g_error_matches (error, LK_ERROR, LK_ERROR_NEEDS_SIGN_IN)
                           || g_error_matches (error, LK_ERROR, LK_ERROR_INVALID_GRANT);
  g_autoptr(LkDiagnosis) diagnosis = NULL;

  if (needs_sign_in || g_error_matches (error, LK_ERROR, LK_ERROR_OAUTH))
    diagnosis = diagnose_refresh (login, error);

  if (needs_an_administrator (diagnosis))
    {
      g_free (stats->needs_administrator);
      stats->needs_administrator = g_strdup (diagnosis->title);
    }
  else if (needs_sign_in && stats->needs_administrator != NULL)
    {
      finish (task, LK_BRIDGE_LOGIN_PERMANENT, "permanent", g_strdup (stats->needs_administrator));
      return;
    }

  if (needs_sign_in && !needs_an_administrator (diagnosis))
    {
      /* Never wait for consent: say so now, and tell the person at the
       * desktop (once an hour per account). */
      lk_sign_in_notice_send_async (login->account, NULL, NULL, NULL);
      finish (task, LK_BRIDGE_LOGIN_TEMPORARY, "needs-sign-in",
              lk_places_is_system_mode ()
              /* Translators: sent to a device (a printer) as its login's error */
              ? g_strdup_printf (_("IT must sign %s in again on the mail bridge; until then mail "
                                   "cannot be reached"), login->account->email)
              /* Translators: sent to a mail program as its login's error */
              : g_strdup_printf (_("Open Latchkey and sign in again to %s; until then mail "
                                   "cannot be reached"), login->account->email));
      return;
    }
  if (diagnosis != NULL || g_error_matches (error, LK_ERROR, LK_ERROR_OAUTH))
    {
      finish (task, LK_BRIDGE_LOGIN_PERMANENT, "permanent",
              g_strdup (diagnosis != NULL ? diagnosis->title : error->message));
      return;
    }
  finish (task, LK_BRIDGE_LOGIN_TEMPORARY, "temporary", g_strdup (error->message));
}

static void get_token (GTask *task, gboolean force);

static gboolean
is_permanent (const GError *error)
{
  return g_error_matches (error, LK_ERROR, LK_ERROR_AUTH_REJECTED)
         || g_error_matches (error, LK_ERROR, LK_ERROR_MECHANISM_UNAVAILABLE)
         || g_error_matches (error, LK_ERROR, LK_ERROR_INSECURE_ENDPOINT);
}

/* "535 5.7.139 Authentication unsuccessful…" → "5.7.139": a permanent
 * SMTP refusal upstream is passed on with its own enhanced code. */
static char *
enhanced_code (const char *reply)
{
  guint a, b, c;
  int end = 0;

  if (reply == NULL || sscanf (reply, "%*3u %1u.%3u.%3u%n", &a, &b, &c, &end) != 3 || end == 0
      || a != 5 || (reply[end] != ' ' && reply[end] != '\0'))
    return NULL;
  return g_strdup_printf ("%u.%u.%u", a, b, c);
}

static void
signed_in_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  Login *login = g_task_get_task_data (task);
  g_autoptr(LkProbeResult) probe_result = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GBytes) buffered = NULL;
  g_auto(GStrv) capabilities = NULL;
  g_autoptr(GError) error = NULL;
  const GError *failure;

  probe_result = lk_mail_probe_sign_in_finish (LK_MAIL_PROBE (source), result, &stream, &buffered,
                                               &capabilities, &error);
  if (probe_result == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  if (give_up_if_cancelled (task))
    return;
  if (probe_result->ok)
    {
      const LkServer *server = lk_provider_get_server (login->account->provider, login->protocol);
      LkBridgeLogin *out = g_new0 (LkBridgeLogin, 1);

      out->status = LK_BRIDGE_LOGIN_OK;
      out->message = g_strdup_printf ("signed in at %s:%u with %s", server->host, server->port,
                                      probe_result->mechanism);
      out->upstream = g_steal_pointer (&stream);
      out->upstream_buffered = g_steal_pointer (&buffered);
      out->capabilities = g_steal_pointer (&capabilities);
      finish_with (task, out, "ok");
      g_object_unref (task);
      return;
    }

  failure = probe_result->error;
  /* A token the cache thought good may have been revoked upstream: one
   * more try with a refreshed one. */
  if (login->attempt == 0 && g_error_matches (failure, LK_ERROR, LK_ERROR_AUTH_REJECTED))
    {
      g_debug ("%s: the upstream refused the token (%s); trying once more with a refreshed one",
               login->connection, failure->message);
      login->attempt++;
      g_clear_object (&login->probe);
      get_token (task, TRUE);
      return;
    }
  if (is_permanent (failure))
    {
      g_autoptr(LkDiagnosis) diagnosis = lk_diagnose_probe (probe_result, login->account,
                                                           login->tokens->access_token);
      LkBridgeLogin *out = g_new0 (LkBridgeLogin, 1);
      const LkErrorDetails *details = lk_error_get_details (failure);

      out->status = LK_BRIDGE_LOGIN_PERMANENT;
      out->message = g_strdup (diagnosis != NULL && g_strcmp0 (diagnosis->id, "unrecognised") != 0
                               ? diagnosis->title : failure->message);
      out->enhanced_code = enhanced_code (details != NULL ? details->server_reply : NULL);
      finish_with (task, out, "permanent");
      g_object_unref (task);
      return;
    }
  finish (task, LK_BRIDGE_LOGIN_TEMPORARY, "temporary", g_strdup (failure->message));
  g_object_unref (task);
}

static void
sign_in_upstream (GTask *task)
{
  LkBridge *self = g_task_get_source_object (task);
  Login *login = g_task_get_task_data (task);
  LkProvider *provider = login->account->provider;
  const LkServer *server = lk_provider_get_server (provider, login->protocol);

  login->probe = lk_mail_probe_new (login->protocol, server, lk_account_get_sasl_user (login->account),
                                    (const char * const *) provider->sasl, provider->ca_file);
  lk_mail_probe_set_timeouts (login->probe, self->step_ms, self->overall_ms);
  lk_mail_probe_sign_in_async (login->probe, login->tokens->access_token,
                               g_task_get_cancellable (task), signed_in_cb, task);
}

static void
token_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GTask *task = user_data;
  Login *login = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  LkTokenSet *tokens;

  tokens = lk_token_manager_get_token_finish (LK_TOKEN_MANAGER (source), result, &error);
  if (give_up_if_cancelled (task))
    {
      g_clear_pointer (&tokens, lk_token_set_free);
      return;
    }
  if (tokens == NULL)
    {
      token_failed (task, error);
      g_object_unref (task);
      return;
    }
  g_clear_pointer (&login->tokens, lk_token_set_free);
  login->tokens = tokens;
  sign_in_upstream (task);
}

static void
get_token (GTask    *task,
           gboolean  force)
{
  LkBridge *self = g_task_get_source_object (task);
  Login *login = g_task_get_task_data (task);

  /* Not the session's cancellable: a refresh shared with other sessions
   * must not end because this client left. */
  lk_token_manager_get_token_async (self->tokens, login->account, force, NULL, token_cb, task);
}

static void open_account (GTask *task, const char *address);

static void
verified_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  LkBridge *self = g_task_get_source_object (task);
  Login *login = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkBridgeUser) user = NULL;
  g_autofree char *protocols = NULL;
  const char *name = lk_protocol_to_string (login->protocol);

  user = lk_bridge_credentials_verify_finish (LK_BRIDGE_CREDENTIALS (source), result, &error);
  g_clear_pointer (&login->password, lk_secret_wipe);
  if (give_up_if_cancelled (task))
    return;
  if (user == NULL)
    {
      g_autoptr(LkBridgeUser) known = lk_bridge_credentials_lookup (self->credentials, login->user);

      lk_bridge_backoff_failed (self->backoff, login->user);
      if (login->address_key != NULL)
        lk_bridge_backoff_failed (self->backoff, login->address_key);
      if (known != NULL && known->kind == LK_BRIDGE_USER_DEVICE)
        device_login_failed (self, known, login->address_key);
      if (known != NULL)
        record_error (self, known,
                      known->kind == LK_BRIDGE_USER_DEVICE
                      /* Translators: the last error of a device in `bridge device list` */
                      ? _("A wrong password was given for this device")
                      /* Translators: the last error of an account in `bridge status` */
                      : _("A program gave a wrong password for the bridge"));
      finish (task, LK_BRIDGE_LOGIN_REFUSED, "refused", g_strdup (_("Authentication failed")));
      g_object_unref (task);
      return;
    }
  if (!user->enabled)
    {
      LkBridgeLogin *out = g_new0 (LkBridgeLogin, 1);

      /* Its right password: not a guess, so neither the backoff nor
       * fail2ban's filter (which matches "refused" and "locked", not
       * "disabled") counts it. A permanent code, never a temporary one, or
       * the device would retry for ever; SMTP: 535 with X.7.13 "User
       * Account Disabled" (RFC 5248's registry of enhanced status codes:
       * "after a successful authentication to a disabled account"); 535 is
       * the reply every client knows for a refused AUTH (RFC 4954 §6). */
      out->status = LK_BRIDGE_LOGIN_PERMANENT;
      out->message = disabled_message ();
      out->enhanced_code = g_strdup ("5.7.13");
      /* The device's last error, not its account's: the account is fine. */
      lk_bridge_device_failed (self, user->name, out->message);
      finish_with (task, out, "disabled");
      g_object_unref (task);
      return;
    }
  lk_bridge_backoff_succeeded (self->backoff, login->user);
  if (login->address_key != NULL)
    lk_bridge_backoff_succeeded (self->backoff, login->address_key);
  if (user->kind == LK_BRIDGE_USER_DEVICE)
    device_login_succeeded (self, user->name);
  login->login = g_steal_pointer (&user);

  if (!(login->login->protocols & (1 << login->protocol)))
    {
      protocols = lk_protocol_flags_to_string (login->login->protocols | (1 << login->protocol));
      finish (task, LK_BRIDGE_LOGIN_PERMANENT, "permanent",
              /* Translators: %s is a protocol (imap, pop, smtp), then an address, twice */
              g_strdup_printf (_("The bridge does not serve %s for %s; run “latchkey-cli bridge "
                                 "enable %s --protocols %s”"),
                               name, login->login->account, login->login->account, protocols));
      g_object_unref (task);
      return;
    }
  if (self->devices_only && (login->login->kind != LK_BRIDGE_USER_DEVICE
                             || login->protocol != LK_PROTOCOL_SMTP))
    {
      finish (task, LK_BRIDGE_LOGIN_PERMANENT, "permanent",
              /* Translators: the error of a login on the --legacy-tls listener */
              g_strdup (_("This listener (old TLS versions) serves devices' SMTP only; use the "
                          "bridge's other listeners")));
      g_object_unref (task);
      return;
    }
  if (login->login->kind == LK_BRIDGE_USER_DEVICE && login->protocol == LK_PROTOCOL_SMTP)
    {
      /* Store and forward (LkBridgeQueue): a device's mail is taken into
       * the spool whatever the upstream's state, and delivered from there. */
      LkBridgeLogin *out = g_new0 (LkBridgeLogin, 1);

      out->status = LK_BRIDGE_LOGIN_OK;
      out->message = g_strdup ("accepted; mail goes through the spool");
      out->device = lk_bridge_user_ref (login->login);
      out->account = g_strdup (login->login->account);
      log_login (login, "ok", out->message);
      device_stats_for (self, login->login->name)->last_login = g_get_real_time () / G_USEC_PER_SEC;
      g_task_return_pointer (task, out, (GDestroyNotify) lk_bridge_login_free);
      g_object_unref (task);
      return;
    }
  open_account (task, login->login->account);
}

/* From the account's address to a connection signed in upstream: load the
 * account, get its token, sign in with the probes' code. */
static void
open_account (GTask      *task,
              const char *address)
{
  LkBridge *self = g_task_get_source_object (task);
  Login *login = g_task_get_task_data (task);
  const char *name = lk_protocol_to_string (login->protocol);
  g_autoptr(GError) error = NULL;

  login->account = lk_account_store_load (self->accounts, address, &error);
  if (login->account == NULL)
    {
      if (g_error_matches (error, LK_ERROR, LK_ERROR_NOT_FOUND))
        finish (task, LK_BRIDGE_LOGIN_PERMANENT, "permanent",
                g_strdup_printf (_("Latchkey has no account %s any more; add it again"),
                                 address));
      else
        finish (task, LK_BRIDGE_LOGIN_TEMPORARY, "temporary", g_strdup (error->message));
      g_object_unref (task);
      return;
    }
  if (!(lk_provider_get_protocols (login->account->provider) & (1 << login->protocol)))
    {
      finish (task, LK_BRIDGE_LOGIN_PERMANENT, "permanent",
              g_strdup_printf (_("%s has no %s server"), login->account->provider->name, name));
      g_object_unref (task);
      return;
    }
  get_token (task, FALSE);
}

/* Locked out (lk_bridge_backoff_is_locked()): refused without looking at
 * the password, so that the 21st guess learns nothing, right or wrong. */
static gboolean
refuse_if_locked (GTask *task)
{
  LkBridge *self = g_task_get_source_object (task);
  Login *login = g_task_get_task_data (task);
  guint seconds;
  g_autoptr(LkBridgeUser) known = NULL;
  g_autofree char *message = NULL;

  /* A new password (`bridge device reset`) ends the lock at once, even
   * before the bridge was told to reload. */
  if (lk_bridge_backoff_is_locked (self->backoff, login->user))
    {
      g_autoptr(LkBridgeUser) device = lk_bridge_credentials_lookup (self->credentials, login->user);

      if (device != NULL && device->kind == LK_BRIDGE_USER_DEVICE)
        forget_lock_if_changed (self, device);
    }
  seconds = lk_bridge_backoff_get_locked_seconds (self->backoff, login->user);
  if (login->address_key != NULL)
    seconds = MAX (seconds, lk_bridge_backoff_get_locked_seconds (self->backoff, login->address_key));
  if (seconds == 0)
    return FALSE;
  g_clear_pointer (&login->password, lk_secret_wipe);
  message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "Too many wrong passwords from this device or address; "
                                          "logins are refused for %u more minute",
                                          "Too many wrong passwords from this device or address; "
                                          "logins are refused for %u more minutes",
                                          (seconds + 59) / 60),
                             (seconds + 59) / 60);
  known = lk_bridge_credentials_lookup (self->credentials, login->user);
  if (known != NULL)
    record_error (self, known, message);
  finish (task, LK_BRIDGE_LOGIN_TEMPORARY, "locked", g_steal_pointer (&message));
  g_object_unref (task);
  return TRUE;
}

static void
verify (GTask *task)
{
  LkBridge *self = g_task_get_source_object (task);
  Login *login = g_task_get_task_data (task);

  lk_bridge_credentials_verify_async (self->credentials, login->user, login->password,
                                      g_task_get_cancellable (task), verified_cb, task);
}

static gboolean
delay_done_cb (gpointer user_data)
{
  GTask *task = user_data;
  Login *login = g_task_get_task_data (task);

  g_clear_pointer (&login->delay, g_source_unref);
  if (give_up_if_cancelled (task))
    return G_SOURCE_REMOVE;
  if (refuse_if_locked (task))
    return G_SOURCE_REMOVE;
  verify (task);
  return G_SOURCE_REMOVE;
}

/**
 * lk_bridge_login_async:
 * @user: the user name the mail program gave
 * @password: its password; copied, and wiped once checked
 * @connection: the session's name in the log ("c42")
 * @source_address: (nullable): the client's address: failures from an
 *   address other than loopback cost delay and lead to a lock-out of their
 *   own, besides the user name's
 * @cancellable: the session's: cancelled when the client leaves
 *
 * Logs a mail program in: see #LkBridge.
 */
void
lk_bridge_login_async (LkBridge            *self,
                       LkProtocol           protocol,
                       const char          *user,
                       const char          *password,
                       const char          *connection,
                       const char          *source_address,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  GTask *task;
  Login *login;
  guint delay;

  g_return_if_fail (LK_IS_BRIDGE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_bridge_login_async);
  login = g_new0 (Login, 1);
  login->protocol = protocol;
  login->user = g_strdup (user);
  login->password = g_strdup (password);
  login->connection = g_strdup (connection);
  login->source_address = g_strdup (source_address);
  if (source_address != NULL)
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (source_address);

      /* On loopback every program has the same address: the user name's
       * backoff is the one that means something there. */
      if (inet != NULL && !g_inet_address_get_is_loopback (inet))
        login->address_key = g_strconcat ("address ", source_address, NULL);
    }
  g_task_set_task_data (task, login, (GDestroyNotify) login_free);

  delay = lk_bridge_backoff_get_delay_ms (self->backoff, user);
  if (login->address_key != NULL)
    delay = MAX (delay, lk_bridge_backoff_get_delay_ms (self->backoff, login->address_key));
  if (delay == 0)
    {
      if (!refuse_if_locked (task))
        verify (task);
      return;
    }
  login->delay = g_timeout_source_new (delay);
  g_source_set_callback (login->delay, delay_done_cb, task, NULL);
  g_source_attach (login->delay, NULL);
}

/**
 * lk_bridge_connect_upstream_async:
 * @account: the account's address
 * @connection: what the log calls this ("q12" for a queued message)
 *
 * Signs @account in upstream for @protocol without a local login: the
 * spool's deliveries (LkBridgeQueue) use the same token cache, sign-in,
 * notification and sorting of failures as logins. Finish with
 * lk_bridge_login_finish().
 */
void
lk_bridge_connect_upstream_async (LkBridge            *self,
                                  LkProtocol           protocol,
                                  const char          *account,
                                  const char          *connection,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;
  Login *login;

  g_return_if_fail (LK_IS_BRIDGE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_bridge_login_async);
  login = g_new0 (Login, 1);
  login->protocol = protocol;
  login->user = g_strdup (account);
  login->connection = g_strdup (connection);
  login->source_address = g_strdup ("spool");
  g_task_set_task_data (task, login, (GDestroyNotify) login_free);
  open_account (task, account);
}

/**
 * lk_bridge_login_finish:
 *
 * Returns: (transfer full): the outcome; NULL with G_IO_ERROR_CANCELLED
 *   only when the session was cancelled
 */
LkBridgeLogin *
lk_bridge_login_finish (LkBridge      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_bridge_login_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
