/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "diagnose/lk-diagnose.h"
#include "lk-cli.h"
#include "lk-error.h"
#include "lk-places.h"

/**
 * lk_cli_exit_status_for_error:
 *
 * Maps an error to the documented exit status.
 */
int
lk_cli_exit_status_for_error (const GError *error)
{
  if (error == NULL)
    return LK_EXIT_OK;
  if (error->domain == LK_ERROR)
    {
      switch ((LkErrorCode) error->code)
        {
        case LK_ERROR_INVALID_GRANT:
        case LK_ERROR_NEEDS_SIGN_IN:
          return LK_EXIT_NEEDS_SIGN_IN;
        case LK_ERROR_KEYRING:
          return LK_EXIT_KEYRING;
        case LK_ERROR_NETWORK:
        case LK_ERROR_TIMED_OUT:
          return LK_EXIT_UNREACHABLE;
        case LK_ERROR_AUTH_REJECTED:
          return LK_EXIT_AUTH_REJECTED;
        case LK_ERROR_INVALID_INPUT:
        case LK_ERROR_FAILED:
        case LK_ERROR_INVALID_PROFILE:
        case LK_ERROR_INSECURE_ENDPOINT:
        case LK_ERROR_STATE_MISMATCH:
        case LK_ERROR_ISSUER_MISMATCH:
        case LK_ERROR_AUTHORIZATION_DENIED:
        case LK_ERROR_OAUTH:
        case LK_ERROR_BAD_RESPONSE:
        case LK_ERROR_HTTP:
        case LK_ERROR_NOT_FOUND:
        case LK_ERROR_EXISTS:
        case LK_ERROR_PROTOCOL:
        case LK_ERROR_STARTTLS_UNAVAILABLE:
        case LK_ERROR_MECHANISM_UNAVAILABLE:
        case LK_ERROR_EXPIRED:
        default:
          return LK_EXIT_FAILURE;
        }
    }
  if (error->domain == G_RESOLVER_ERROR)
    return LK_EXIT_UNREACHABLE;
  if (error->domain == G_IO_ERROR)
    switch (error->code)
      {
      case G_IO_ERROR_CONNECTION_REFUSED:
      case G_IO_ERROR_HOST_UNREACHABLE:
      case G_IO_ERROR_NETWORK_UNREACHABLE:
      case G_IO_ERROR_TIMED_OUT:
      case G_IO_ERROR_HOST_NOT_FOUND:
      case G_IO_ERROR_CONNECTION_CLOSED:
        return LK_EXIT_UNREACHABLE;
      default:
        break;
      }
  return LK_EXIT_FAILURE;
}

/**
 * lk_cli_adapt_advice:
 * @text: a message for a person
 *
 * The messages name the commands that fix things (“latchkey-cli login
 * ADDRESS”); for the system bridge's accounts those need `--system`, which
 * this adds in system mode, so that the advice can be run as it stands.
 *
 * Returns: (transfer full): @text, adapted
 */
char *
lk_cli_adapt_advice (const char *text)
{
  static const char command[] = "latchkey-cli ";
  GString *s;
  const char *p;

  if (!lk_places_is_system_mode ())
    return g_strdup (text);
  s = g_string_new (NULL);
  for (p = text; *p != '\0';)
    {
      const char *found = strstr (p, command);

      if (found == NULL)
        {
          g_string_append (s, p);
          break;
        }
      g_string_append_len (s, p, found + strlen (command) - p);
      p = found + strlen (command);
      /* A subcommand follows, not an option (--system already, --help). */
      if (g_ascii_islower (*p))
        g_string_append (s, "--system ");
    }
  return g_string_free (s, FALSE);
}

static void
print_error (const char *text)
{
  g_autofree char *adapted = lk_cli_adapt_advice (text);

  g_printerr ("%s: %s\n", g_get_prgname (), adapted);
}

/* Core says what to do in words (LkRemedy); the command line names the
 * command that does it (with --system in system mode). */
static void
print_remedy (const GError *error)
{
  const LkErrorDetails *details = lk_error_get_details (error);
  /* Translators: stands for an e-mail address in a command */
  const char *account = details != NULL && details->account != NULL ? details->account
                                                                      : _("ADDRESS");
  g_autofree char *text = NULL;
  g_autofree char *adapted = NULL;

  if (details == NULL)
    return;
  switch (details->remedy)
    {
    case LK_REMEDY_SIGN_IN:
      text = g_strdup_printf (_("Run “latchkey-cli login %s”.\n"), account);
      break;
    case LK_REMEDY_ADD:
      text = g_strdup_printf (_("“latchkey-cli list” shows your accounts; “latchkey-cli add %s” "
                                "adds this one.\n"), account);
      break;
    case LK_REMEDY_ADD_APP_ONLY:
      text = g_strdup_printf (_("Run “latchkey-cli add %s --app-only”.\n"), account);
      break;
    case LK_REMEDY_REMOVE:
      text = g_strdup_printf (_("Run “latchkey-cli remove %s”.\n"), account);
      break;
    case LK_REMEDY_CHECK_ADDRESS:
      text = g_strdup (_("“latchkey-cli list” shows your accounts.\n"));
      break;
    case LK_REMEDY_NONE:
    default:
      return;
    }
  adapted = lk_cli_adapt_advice (text);
  g_printerr ("%s", adapted);
}

/**
 * lk_cli_fail:
 *
 * Prints @error for a person and returns its exit status.
 */
int
lk_cli_fail (const GError *error)
{
  /* Ctrl+C, SIGTERM, SIGHUP: GIO's "Operation was cancelled" says nothing
   * to a person. What was in flight has been finished or undone. */
  if (lk_error_is_cancelled (error))
    g_printerr (_("%s: stopped; nothing was lost\n"), g_get_prgname ());
  else
    {
      print_error (error->message);
      print_remedy (error);
    }
  return lk_cli_exit_status_for_error (error);
}

/**
 * lk_cli_fail_explained:
 * @account: (nullable): the LkAccount concerned
 * @phase: an LkDiagnosePhase
 *
 * Prints @error and, under it, the diagnosis: what it means, who can fix it
 * and how. Returns the exit status.
 */
int
lk_cli_fail_explained (const GError *error,
                       gpointer      account,
                       int           phase)
{
  LkDiagnoseInput input = { 0 };
  g_autoptr(LkDiagnosis) diagnosis = NULL;

  input.error = error;
  input.account = account;
  input.phase = phase;
  diagnosis = lk_diagnose (&input);
  print_error (error->message);
  print_remedy (error);
  if (diagnosis != NULL && g_strcmp0 (diagnosis->id, "unrecognised") != 0)
    {
      g_autofree char *text = lk_diagnosis_to_text (diagnosis);
      g_autofree char *adapted = lk_cli_adapt_advice (text);

      g_printerr ("\n%s", adapted);
    }
  return lk_cli_exit_status_for_error (error);
}

int
lk_cli_usage_error (GOptionContext *context,
                    const char     *format,
                    ...)
{
  g_autofree char *message = NULL;
  g_autofree char *help = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s: %s\n", g_get_prgname (), message);
  if (context != NULL)
    {
      help = g_option_context_get_help (context, TRUE, NULL);
      g_printerr ("\n%s", help);
    }
  return LK_EXIT_USAGE;
}

GOptionContext *
lk_cli_option_context_new (const LkCliCommand *command,
                           const GOptionEntry *entries)
{
  g_autofree char *prgname = g_strdup_printf ("latchkey-cli %s%s",
                                              lk_places_is_system_mode () ? "--system " : "",
                                              command->name);
  GOptionContext *context = g_option_context_new (command->parameters);

  /* "Usage: latchkey-cli add [OPTION…] EMAIL", and messages that name the
   * command they come from. */
  g_set_prgname (prgname);

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _(command->summary));
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  return context;
}

/**
 * lk_cli_parse:
 * @out_status: set to the exit status when this returns FALSE
 *
 * Parses the options of a subcommand; on a usage error prints it with the
 * subcommand's help on standard error.
 */
gboolean
lk_cli_parse (GOptionContext   *context,
              int              *argc,
              char           ***argv,
              int              *out_status)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *out_status = lk_cli_usage_error (context, "%s", error->message);
      return FALSE;
    }
  return TRUE;
}
