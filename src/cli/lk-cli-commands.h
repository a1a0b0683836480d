/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib/gi18n.h>

#include "lk-cli.h"

G_BEGIN_DECLS

/* One line per subcommand; each lives in lk-cli-<name>.c. */
int lk_cli_providers (int argc, char **argv);
int lk_cli_add       (int argc, char **argv);
int lk_cli_login     (int argc, char **argv);
int lk_cli_token     (int argc, char **argv);
int lk_cli_list      (int argc, char **argv);
int lk_cli_remove    (int argc, char **argv);
int lk_cli_export    (int argc, char **argv);
int lk_cli_test      (int argc, char **argv);
int lk_cli_admin     (int argc, char **argv);
int lk_cli_bridge    (int argc, char **argv);

#define LK_CLI_COMMANDS \
  { "providers", NULL, N_("List the provider profiles Latchkey knows"), lk_cli_providers }, \
  { "add", "EMAIL", N_("Add an account and sign it in"), lk_cli_add }, \
  { "login", "EMAIL", N_("Sign an account in again"), lk_cli_login }, \
  { "token", "EMAIL", N_("Print a fresh access token for a mail client"), lk_cli_token }, \
  { "list", NULL, N_("List the accounts"), lk_cli_list }, \
  { "remove", "EMAIL", N_("Remove an account: its keyring item and its file"), lk_cli_remove }, \
  { "test", "EMAIL", N_("Test IMAP, POP and SMTP with the account’s token"), lk_cli_test }, \
  { "export", "EMAIL", N_("Write configuration for a mail client"), lk_cli_export }, \
  { "admin", "COMMAND", N_("Set Microsoft 365 up for Latchkey (for IT)"), lk_cli_admin }, \
  { "bridge", "COMMAND", N_("Let password-only programs use an account (the bridge)"), lk_cli_bridge },

G_END_DECLS
