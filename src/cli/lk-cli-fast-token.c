/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include "lk-cli-fast-token.h"

/**
 * lk_cli_fast_token:
 * @out_status: the exit status when this returns TRUE
 *
 * Answers `token EMAIL [--format …]` from the keyring when the access token
 * is fresh. Returns FALSE, having printed nothing, whenever the full program
 * must decide instead.
 */
gboolean
lk_cli_fast_token (int    argc,
                   char **argv,
                   int   *out_status)
{
  return FALSE;
}
