/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "lk-http.h"

#include "providers/lk-autoconfig.h"
#include "providers/lk-provider-registry.h"

G_BEGIN_DECLS

/**
 * LkDiscoveryStep:
 *
 * The ways a provider is found, in the order of their priority.
 */
typedef enum
{
  LK_DISCOVERY_STEP_NONE,
  LK_DISCOVERY_STEP_KNOWN_DOMAIN,      /* a profile's "domains" */
  LK_DISCOVERY_STEP_AUTOCONFIG,        /* https://autoconfig.<domain>/mail/config-v1.1.xml */
  LK_DISCOVERY_STEP_WELL_KNOWN,        /* https://<domain>/.well-known/autoconfig/… */
  LK_DISCOVERY_STEP_ISPDB,             /* Thunderbird's database */
  LK_DISCOVERY_STEP_MX,                /* MX records against the profiles' "mx" */
  LK_DISCOVERY_STEP_MICROSOFT_TENANT,  /* Microsoft's OpenID configuration for <domain> */
} LkDiscoveryStep;

#define LK_DISCOVERY_N_STEPS (LK_DISCOVERY_STEP_MICROSOFT_TENANT + 1)

typedef enum
{
  LK_DISCOVERY_OUTCOME_NOT_RUN,
  LK_DISCOVERY_OUTCOME_ANSWERED,   /* a confident answer */
  LK_DISCOVERY_OUTCOME_NO_ANSWER,  /* worked, but found nothing usable (error says what) */
  LK_DISCOVERY_OUTCOME_FAILED,     /* timed out, unreachable, malformed (error says what) */
  LK_DISCOVERY_OUTCOME_SKIPPED,    /* stopped: a step of higher priority answered */
} LkDiscoveryOutcome;

/**
 * LkDiscoveryAttempt:
 * @source: what was asked: a URL, or "MX records of contoso.com"
 * @error: (nullable): why the step gave no answer
 *
 * One step as it ran, for a "details" view.
 */
typedef struct
{
  LkDiscoveryStep     step;
  LkDiscoveryOutcome  outcome;
  char               *source;
  GError             *error;
} LkDiscoveryAttempt;

/**
 * LkDiscoveryResult:
 * @provider: (nullable): the profile found: a built-in or user profile, or
 *   one made from an autoconfig file; NULL when nothing was found
 * @tenant: (nullable): the Microsoft tenant id (a GUID) when it was looked up
 * @step: the step that gave the answer
 * @how: a sentence a person reads, e.g. "from the MX records of contoso.com"
 * @endpoints_known: FALSE when @provider came from an autoconfig file that
 *   names no OAuth2 endpoints: its endpoints are placeholders, and
 *   @oauth2_issuer (if any) is where to discover them
 * @oauth2: FALSE when the servers found accept only passwords
 * @autoconfig: (nullable): the autoconfig file the answer came from
 * @attempts: (element-type LkDiscoveryAttempt): every step that ran
 */
typedef struct
{
  /*< private >*/
  gatomicrefcount ref_count;

  /*< public >*/
  char            *email;
  char            *domain;
  LkProvider      *provider;
  char            *tenant;
  LkDiscoveryStep  step;
  char            *how;
  gboolean         endpoints_known;
  gboolean         oauth2;
  char            *oauth2_issuer;
  LkAutoconfig    *autoconfig;
  GPtrArray       *attempts;
} LkDiscoveryResult;

#define LK_TYPE_DISCOVERY_RESULT (lk_discovery_result_get_type ())

GType              lk_discovery_result_get_type (void) G_GNUC_CONST;
LkDiscoveryResult *lk_discovery_result_ref      (LkDiscoveryResult *self);
void               lk_discovery_result_unref    (LkDiscoveryResult *self);
const LkDiscoveryAttempt *
                   lk_discovery_result_get_attempt (LkDiscoveryResult *self,
                                                    LkDiscoveryStep    step);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkDiscoveryResult, lk_discovery_result_unref)

const char *lk_discovery_step_to_string (LkDiscoveryStep step);

#define LK_TYPE_DISCOVERY (lk_discovery_get_type ())

G_DECLARE_FINAL_TYPE (LkDiscovery, lk_discovery, LK, DISCOVERY, GObject)

gboolean           lk_discovery_is_enabled           (void);
LkDiscovery       *lk_discovery_new                  (LkHttp             *http,
                                                      LkProviderRegistry *registry) G_GNUC_WARN_UNUSED_RESULT;
void               lk_discovery_set_url_template     (LkDiscovery        *self,
                                                      LkDiscoveryStep     step,
                                                      const char         *url_template);
const char        *lk_discovery_get_url_template     (LkDiscovery        *self,
                                                      LkDiscoveryStep     step);
void               lk_discovery_set_step_timeout     (LkDiscovery        *self,
                                                      guint               timeout_ms);
guint              lk_discovery_get_step_timeout     (LkDiscovery        *self);
void               lk_discovery_run_async            (LkDiscovery        *self,
                                                      const char         *email,
                                                      GCancellable       *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
LkDiscoveryResult *lk_discovery_run_finish           (LkDiscovery        *self,
                                                      GAsyncResult       *result,
                                                      GError            **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
