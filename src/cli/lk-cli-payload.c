/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Reads the three members the fast token path needs from the keyring
 * payload (src/core/lk-token-set.c writes it with json-glib): "v",
 * "access_token" and "expires_at". json-glib would pull GIO into the
 * launcher, so this is a small strict reader of JSON's object syntax: it
 * walks the top-level object, skips every other value whatever its type,
 * and gives up (the full program then decides) on anything it does not
 * expect — an escape inside the token, a malformed document, trailing data.
 */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <string.h>

#include "lk-cli-payload.h"
#include "lk-text.h"

typedef struct
{
  const char *p;
  const char *end;
  guint       depth;
} Reader;

#define MAX_DEPTH 16

static void
skip_space (Reader *r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
    r->p++;
}

/* A string starting at '"'; sets *start and *len to its raw contents and
 * *escaped when it holds a backslash escape. */
static gboolean
read_string (Reader      *r,
             const char **start,
             gsize       *len,
             gboolean    *escaped)
{
  if (r->p >= r->end || *r->p != '"')
    return FALSE;
  r->p++;
  *start = r->p;
  *escaped = FALSE;
  while (r->p < r->end && *r->p != '"')
    {
      if ((guchar) *r->p < 0x20)
        return FALSE;
      if (*r->p == '\\')
        {
          *escaped = TRUE;
          r->p++;
          if (r->p >= r->end)
            return FALSE;
        }
      r->p++;
    }
  if (r->p >= r->end)
    return FALSE;
  *len = r->p - *start;
  r->p++;
  return TRUE;
}

static gboolean
read_integer (Reader *r,
              gint64 *out)
{
  gboolean negative = FALSE;
  guint64 value = 0;
  guint digits = 0;

  if (r->p < r->end && *r->p == '-')
    {
      negative = TRUE;
      r->p++;
    }
  while (r->p < r->end && g_ascii_isdigit (*r->p))
    {
      if (++digits > 18)
        return FALSE;
      value = value * 10 + (guint64) (*r->p - '0');
      r->p++;
    }
  if (digits == 0 || (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E')))
    return FALSE;
  *out = negative ? -(gint64) value : (gint64) value;
  return TRUE;
}

static gboolean skip_value (Reader *r);

static gboolean
skip_container (Reader *r,
                char    close)
{
  gboolean object = close == '}';

  if (++r->depth > MAX_DEPTH)
    return FALSE;
  r->p++;
  skip_space (r);
  if (r->p < r->end && *r->p == close)
    {
      r->p++;
      r->depth--;
      return TRUE;
    }
  for (;;)
    {
      if (object)
        {
          const char *s;
          gsize n;
          gboolean e;

          skip_space (r);
          if (!read_string (r, &s, &n, &e))
            return FALSE;
          skip_space (r);
          if (r->p >= r->end || *r->p++ != ':')
            return FALSE;
        }
      if (!skip_value (r))
        return FALSE;
      skip_space (r);
      if (r->p >= r->end)
        return FALSE;
      if (*r->p == close)
        {
          r->p++;
          r->depth--;
          return TRUE;
        }
      if (*r->p++ != ',')
        return FALSE;
    }
}

static gboolean
skip_value (Reader *r)
{
  const char *s;
  gsize n;
  gboolean e;
  gint64 i;

  skip_space (r);
  if (r->p >= r->end)
    return FALSE;
  switch (*r->p)
    {
    case '"':
      return read_string (r, &s, &n, &e);
    case '{':
      return skip_container (r, '}');
    case '[':
      return skip_container (r, ']');
    case 't':
    case 'f':
    case 'n':
      {
        const char *word = *r->p == 't' ? "true" : *r->p == 'f' ? "false" : "null";
        gsize len = strlen (word);

        if ((gsize) (r->end - r->p) < len || memcmp (r->p, word, len) != 0)
          return FALSE;
        r->p += len;
        return TRUE;
      }
    default:
      return read_integer (r, &i);
    }
}

/**
 * lk_cli_payload_read:
 * @out_access_token: (out) (transfer full): wipe it after use
 *
 * Returns: TRUE when the payload is a well-formed object with an unescaped
 *   string "access_token" and integers "v" and "expires_at".
 */
gboolean
lk_cli_payload_read (const char  *json,
                     gsize        length,
                     gint64      *out_version,
                     char       **out_access_token,
                     gint64      *out_expires_at)
{
  Reader r = { json, json + length, 1 };
  const char *token = NULL;
  gsize token_len = 0;
  gboolean have_version = FALSE, have_expiry = FALSE;

  skip_space (&r);
  if (r.p >= r.end || *r.p++ != '{')
    return FALSE;
  for (;;)
    {
      const char *key;
      gsize key_len;
      gboolean escaped;

      skip_space (&r);
      if (!read_string (&r, &key, &key_len, &escaped) || escaped)
        return FALSE;
      skip_space (&r);
      if (r.p >= r.end || *r.p++ != ':')
        return FALSE;
      skip_space (&r);
#define KEY_IS(k) (key_len == strlen (k) && memcmp (key, k, key_len) == 0)
      if (KEY_IS ("access_token"))
        {
          if (!read_string (&r, &token, &token_len, &escaped) || escaped || token_len == 0)
            return FALSE;
        }
      else if (KEY_IS ("v"))
        {
          if (!read_integer (&r, out_version))
            return FALSE;
          have_version = TRUE;
        }
      else if (KEY_IS ("expires_at"))
        {
          if (!read_integer (&r, out_expires_at))
            return FALSE;
          have_expiry = TRUE;
        }
      else if (!skip_value (&r))
        return FALSE;
#undef KEY_IS
      skip_space (&r);
      if (r.p >= r.end)
        return FALSE;
      if (*r.p == '}')
        break;
      if (*r.p++ != ',')
        return FALSE;
    }
  r.p++;
  skip_space (&r);
  if (r.p != r.end || token == NULL || !have_version || !have_expiry)
    return FALSE;
  *out_access_token = g_strndup (token, token_len);
  if (!lk_text_is_b64token (*out_access_token))
    {
      /* Never printed: the full program refreshes it instead. */
      explicit_bzero (*out_access_token, token_len);
      g_clear_pointer (out_access_token, g_free);
      return FALSE;
    }
  return TRUE;
}
