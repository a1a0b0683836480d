/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by lk-discovery.c (the object and the scheduler that runs the
 * steps and decides between their answers) and lk-discovery-steps.c (the
 * steps: autoconfig files, MX records, the Microsoft tenant). */

#include "lk-http.h"
#include "providers/lk-discovery.h"

G_BEGIN_DECLS

struct _LkDiscovery
{
  GObject             parent_instance;

  LkHttp             *http;
  LkProviderRegistry *registry;
  char               *templates[LK_DISCOVERY_N_STEPS];
  guint               timeout_ms;
};

typedef enum
{
  STEP_IDLE,
  STEP_RUNNING,
  STEP_DONE,
} LkDiscoveryStepState;

/* One step of one run. */
typedef struct
{
  LkDiscoveryStepState  state;
  LkDiscoveryOutcome    outcome;
  char                 *source;
  GError               *error;
  GCancellable         *cancellable;
  gulong                cancelled_id;
  GSource              *timeout;
  gboolean              timed_out;
  /* What the step found. */
  LkProvider           *provider;
  LkAutoconfig         *autoconfig;
  gboolean              endpoints_known;
  gboolean              oauth2;
  char                 *tenant;
} LkDiscoveryStepRun;

/* One run: the task data of lk_discovery_run_async(). */
typedef struct
{
  LkDiscovery        *self;
  char               *email;
  char               *domain;
  GCancellable       *cancellable;   /* the caller's, may be NULL */
  gboolean            returned;
  LkDiscoveryStepRun  steps[LK_DISCOVERY_N_STEPS];
} LkDiscoveryRun;

/* What a step's async operation gets back. */
typedef struct
{
  GTask           *task;
  LkDiscoveryStep  step;
} LkDiscoveryCall;

void             lk_discovery_call_free         (LkDiscoveryCall    *call);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkDiscoveryCall, lk_discovery_call_free)

/* The scheduler, lk-discovery.c */
LkDiscoveryCall *lk_discovery_step_begin        (GTask              *task,
                                                 LkDiscoveryStep     id,
                                                 const char         *source);
void             lk_discovery_step_end          (LkDiscoveryRun     *run,
                                                 LkDiscoveryStep     id,
                                                 LkDiscoveryOutcome  outcome,
                                                 GError             *error);
gboolean         lk_discovery_run_was_cancelled (LkDiscoveryRun     *run,
                                                 const GError       *error);
void             lk_discovery_evaluate          (GTask              *task);

/* The steps, lk-discovery-steps.c */
void             lk_discovery_start_autoconfig  (GTask              *task,
                                                 LkDiscoveryStep     id);
void             lk_discovery_start_mx          (GTask              *task);
void             lk_discovery_start_tenant      (GTask              *task);

G_END_DECLS
