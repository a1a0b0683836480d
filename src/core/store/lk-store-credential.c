/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-store"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-file.h"
#include "store/lk-store-credential.h"

/**
 * SECTION:lk-store-credential
 *
 * The sealed token store's key, from systemd's credentials
 * (systemd.exec(5), "Credentials"; systemd-creds(1)): never typed, never in
 * a file in clear. The unit loads it with
 * `LoadCredentialEncrypted=latchkey-store-key:/etc/credstore.encrypted/latchkey-store-key`,
 * which unseals it (with the TPM2 and/or the host key it was sealed with)
 * into `$CREDENTIALS_DIRECTORY/latchkey-store-key`, readable by the service
 * alone. `latchkey-cli --system`, run by root outside the unit, unseals
 * the same file itself with `systemd-creds decrypt`, into memory.
 */

/* What a credential holds is read whole; a key is far smaller. */
#define MAX_CREDENTIAL_SIZE (64 * 1024)

typedef struct
{
  gsize  size;
  guint8 data[];
} SecretBuffer;

static void
secret_buffer_free (SecretBuffer *buffer)
{
  explicit_bzero (buffer->data, buffer->size);
  g_free (buffer);
}

/* The key as a GBytes whose memory is wiped when it goes; @data is wiped
 * and freed now. */
static GBytes *
secret_bytes_new_take (guint8 *data,
                       gsize   size)
{
  SecretBuffer *buffer = g_malloc (sizeof (SecretBuffer) + MAX (size, 1));

  buffer->size = size;
  memcpy (buffer->data, data, size);
  explicit_bzero (data, size);
  g_free (data);
  return g_bytes_new_with_free_func (buffer->data, size, (GDestroyNotify) secret_buffer_free,
                                     buffer);
}

/**
 * lk_store_credential_dup_path:
 *
 * Returns: (transfer full): where the sealed credential lives:
 *   `$LATCHKEY_STORE_CREDENTIAL` when set (a non-standard layout, the
 *   tests), else %LK_STORE_CREDENTIAL_PATH
 */
char *
lk_store_credential_dup_path (void)
{
  const char *path = g_getenv ("LATCHKEY_STORE_CREDENTIAL");

  return g_strdup (path != NULL && *path != '\0' ? path : LK_STORE_CREDENTIAL_PATH);
}

static GBytes *
load_from_directory (const char  *directory,
                     GError     **error)
{
  g_autofree char *path = g_build_filename (directory, LK_STORE_CREDENTIAL_NAME, NULL);
  g_autoptr(GError) local_error = NULL;
  char *data = NULL;
  gsize length = 0;

  if (!lk_file_read_regular (path, MAX_CREDENTIAL_SIZE, &data, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                     _("The service has no credential “%s” (there is none in "
                       "$CREDENTIALS_DIRECTORY). Its unit needs the line "
                       "“LoadCredentialEncrypted=%s:%s”; see “The key” in latchkey-bridge(1)."),
                     LK_STORE_CREDENTIAL_NAME, LK_STORE_CREDENTIAL_NAME,
                     LK_STORE_CREDENTIAL_PATH);
      else
        g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                     _("Cannot read the credential “%s”: %s"), LK_STORE_CREDENTIAL_NAME,
                     local_error->message);
      return NULL;
    }
  return secret_bytes_new_take ((guint8 *) data, length);
}

/* The last line systemd-creds wrote, for the message: it says why (no
 * host key readable, a TPM2 that does not match, a credential of another
 * name) and holds nothing secret. */
static char *
last_line (GBytes *output)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint n;

  if (output == NULL || g_bytes_get_size (output) == 0)
    return g_strdup ("");
  text = g_utf8_make_valid (g_bytes_get_data (output, NULL), (gssize) g_bytes_get_size (output));
  g_strstrip (text);
  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines);
  return g_strdup (n > 0 ? lines[n - 1] : "");
}

static GBytes *
unseal (const char  *path,
        GError     **error)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name_arg = g_strconcat ("--name=", LK_STORE_CREDENTIAL_NAME, NULL);
  g_autofree char *program = g_find_program_in_path ("systemd-creds");
  gsize size = 0;
  guint8 *data;

  if (program == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                   _("systemd-creds is not installed, so the key of the sealed token store "
                     "cannot be unsealed. Install systemd (version 250 or later)."));
      return NULL;
    }
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &local_error, program, "decrypt", name_arg, path, "-", NULL);
  if (process == NULL ||
      !g_subprocess_communicate (process, NULL, NULL, &out, &err, &local_error))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                   _("Cannot run systemd-creds to unseal the key of the sealed token store: %s"),
                   local_error->message);
      return NULL;
    }
  if (!g_subprocess_get_successful (process))
    {
      g_autofree char *why = last_line (err);

      g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                   _("systemd-creds could not unseal the key of the sealed token store from %s "
                     "(%s). It opens only as root, on the machine whose host key or TPM2 "
                     "sealed it: run “latchkey-cli --system” as root there."),
                   path, why);
      return NULL;
    }
  data = g_bytes_unref_to_data (g_steal_pointer (&out), &size);
  return secret_bytes_new_take (data, size);
}

/**
 * lk_store_credential_load:
 *
 * Reads the sealed token store's key: from `$CREDENTIALS_DIRECTORY` when
 * systemd set it (the unit), else by unsealing
 * lk_store_credential_dup_path() with `systemd-creds decrypt`, which only
 * root can do with the host key. Runs a program and waits for it: for the
 * start of a process, before its main loop.
 *
 * Returns: (transfer full): the key material, wiped from memory when the
 *   last reference goes; or %NULL with %LK_ERROR_KEYRING saying what to do
 */
GBytes *
lk_store_credential_load (GError **error)
{
  const char *directory = g_getenv ("CREDENTIALS_DIRECTORY");
  g_autofree char *path = NULL;

  if (directory != NULL && *directory != '\0')
    return load_from_directory (directory, error);

  path = lk_store_credential_dup_path ();
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_KEYRING,
                   _("There is no key for the sealed token store: %s does not exist. Make one "
                     "as root with “head -c 32 /dev/urandom | systemd-creds encrypt --name=%s - "
                     "%s” (see “The key” in latchkey-bridge(1))."),
                   path, LK_STORE_CREDENTIAL_NAME, path);
      return NULL;
    }
  return unseal (path, error);
}
