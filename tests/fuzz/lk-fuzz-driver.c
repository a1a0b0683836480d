/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lk-fuzz.h"

/* Replays a fuzz target's corpus without libFuzzer, so that every build
 * (gcc, the sanitizer stage) runs each seed and each fixed crash as a
 * regression test.
 *   lk-fuzz-replay-TARGET FILE-OR-DIRECTORY…
 * Exits 0 after feeding every file; a crash is the failure. */

static gboolean
replay_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  uint8_t *copy;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return FALSE;
    }
  /* A buffer of exactly the input's size, as libFuzzer gives: AddressSanitizer
   * then catches a read past its end, which the NUL g_file_get_contents()
   * adds would hide. */
  copy = g_malloc (MAX (length, 1));
  memcpy (copy, contents, length);
  LLVMFuzzerTestOneInput (copy, length);
  g_free (copy);
  return TRUE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

int
main (int   argc,
      char *argv[])
{
  guint count = 0;

  if (argc < 2)
    {
      fprintf (stderr, "Usage: %s FILE-OR-DIRECTORY…\n", argv[0]);
      return 2;
    }
  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GDir) dir = NULL;
      g_autoptr(GPtrArray) names = NULL;
      const char *name;

      if (!g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          if (!replay_file (argv[i]))
            return 1;
          count++;
          continue;
        }
      dir = g_dir_open (argv[i], 0, &error);
      if (dir == NULL)
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      names = g_ptr_array_new_with_free_func (g_free);
      while ((name = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (names, g_build_filename (argv[i], name, NULL));
      g_ptr_array_sort (names, compare_names);
      for (guint j = 0; j < names->len; j++)
        {
          if (!replay_file (g_ptr_array_index (names, j)))
            return 1;
          count++;
        }
    }
  if (count == 0)
    {
      fprintf (stderr, "No input to replay: the corpus is empty\n");
      return 1;
    }
  printf ("Replayed %u inputs without a crash\n", count);
  return 0;
}
