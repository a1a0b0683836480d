/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "lk-cli-context.h"

G_BEGIN_DECLS

typedef enum
{
  LK_CLI_SIGN_IN_BROWSER,      /* open the system browser */
  LK_CLI_SIGN_IN_NO_BROWSER,   /* print the link on stdout, wait for the redirect */
  LK_CLI_SIGN_IN_DEVICE,       /* device code */
  LK_CLI_SIGN_IN_APP_ONLY,     /* client credentials, secret from stdin or a prompt */
} LkCliSignInMode;

LkTokenSet *lk_cli_sign_in        (LkCliContext     *cli,
                                   LkAccount        *account,
                                   LkCliSignInMode   mode,
                                   GError          **error) G_GNUC_WARN_UNUSED_RESULT;
LkCliSignInMode lk_cli_sign_in_mode_for (gboolean      no_browser,
                                         gboolean      device,
                                         gboolean      app_only);
int         lk_cli_sign_in_and_store (LkCliContext     *cli,
                                      LkAccount        *account,
                                      LkCliSignInMode   mode,
                                      gboolean          replace);
char       *lk_cli_read_secret    (const char       *prompt,
                                   GError          **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
