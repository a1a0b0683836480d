/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib/gi18n.h>

#include "lk-cli.h"

G_BEGIN_DECLS

/* One line per subcommand; each lives in lk-cli-<name>.c. */
int lk_cli_providers (int argc, char **argv);

#define LK_CLI_COMMANDS \
  { "providers", NULL, N_("List the provider profiles Latchkey knows"), lk_cli_providers },

G_END_DECLS
