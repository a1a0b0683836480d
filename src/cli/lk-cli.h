/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses, documented in latchkey-cli(1). Mail clients and scripts
 * branch on them, so they never change meaning. */
typedef enum
{
  LK_EXIT_OK = 0,
  LK_EXIT_FAILURE = 1,
  LK_EXIT_USAGE = 2,
  LK_EXIT_NEEDS_SIGN_IN = 3,
  LK_EXIT_KEYRING = 4,
  LK_EXIT_UNREACHABLE = 5,
  LK_EXIT_AUTH_REJECTED = 6,
} LkExitStatus;

typedef int (*LkCliRunFunc) (int    argc,
                             char **argv);

typedef struct
{
  const char   *name;
  const char   *parameters;   /* e.g. "EMAIL" */
  const char   *summary;      /* N_() */
  LkCliRunFunc  run;
} LkCliCommand;

int          lk_cli_exit_status_for_error (const GError   *error);
char        *lk_cli_adapt_advice          (const char     *text) G_GNUC_WARN_UNUSED_RESULT;
int          lk_cli_fail                  (const GError   *error);
int          lk_cli_fail_explained        (const GError   *error,
                                           gpointer        account,
                                           int             phase);
int          lk_cli_usage_error           (GOptionContext *context,
                                           const char     *format,
                                           ...) G_GNUC_PRINTF (2, 3);
GOptionContext *lk_cli_option_context_new (const LkCliCommand *command,
                                           const GOptionEntry *entries);
gboolean     lk_cli_parse                 (GOptionContext *context,
                                           int            *argc,
                                           char         ***argv,
                                           int            *out_status);

G_END_DECLS
