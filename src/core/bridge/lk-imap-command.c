/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <string.h>

#include "bridge/lk-imap-command.h"
#include "lk-error.h"

/* Nesting of parenthesised lists: ID's parameter list needs one level. */
#define MAX_DEPTH 8
/* Arguments of one command, counted across lists. */
#define MAX_ARGS  256
/* Digits of a literal's length: 65536 needs five. */
#define MAX_LITERAL_DIGITS 10

typedef enum
{
  STEP_OK,
  STEP_MORE,
  STEP_BAD,
  STEP_TOO_LONG,
} Step;

typedef struct
{
  const guint8 *data;
  gsize         length;
  gsize         pos;
  gsize         text_bytes;     /* outside literal data */
  gsize         literal_bytes;
  guint         prompts;
  guint         args;
  const char   *problem;        /* why it is BAD */
  gboolean      ended;          /* a BAD command that ends where the cursor is */
} Cursor;

static void
arg_free (gpointer data)
{
  LkImapArg *arg = data;

  if (arg->value != NULL)
    {
      /* LOGIN's password is one of these. */
      memset (arg->value, 0, strlen (arg->value));
      g_free (arg->value);
    }
  g_clear_pointer (&arg->children, g_ptr_array_unref);
  g_free (arg);
}

void
lk_imap_command_clear (LkImapCommand *command)
{
  g_clear_pointer (&command->tag, g_free);
  g_clear_pointer (&command->name, g_free);
  g_clear_pointer (&command->args, g_ptr_array_unref);
}

/* RFC 9051 §9: ATOM-CHAR is any CHAR except atom-specials. */
gboolean
lk_imap_is_atom_char (guchar c)
{
  if (c <= 0x1f || c >= 0x7f)
    return FALSE;
  return strchr ("(){ %*\"\\]", c) == NULL;
}

/* astring and tags also allow "]" (resp-specials); list-wildcards are
 * allowed in atoms here so that LIST patterns parse, as harmless. */
static gboolean
is_loose_atom_char (guchar c)
{
  return lk_imap_is_atom_char (c) || c == ']' || c == '%' || c == '*';
}

static gboolean
is_tag_char (guchar c)
{
  return (lk_imap_is_atom_char (c) || c == ']') && c != '+';
}

static Step
bad (Cursor     *cur,
     const char *problem)
{
  cur->problem = problem;
  return STEP_BAD;
}

static gboolean
at_end (Cursor *cur)
{
  return cur->pos >= cur->length;
}

/* Counts a byte of command text against the line cap. */
static Step
take_text (Cursor *cur)
{
  cur->pos++;
  if (++cur->text_bytes > LK_IMAP_MAX_LINE)
    return STEP_TOO_LONG;
  return STEP_OK;
}

/* At CRLF or LF: the end of the command (or of a literal's line). */
static Step
line_end (Cursor   *cur,
          gboolean *out_found)
{
  *out_found = FALSE;
  if (at_end (cur))
    return STEP_MORE;
  if (cur->data[cur->pos] == '\n')
    {
      cur->pos++;
      *out_found = TRUE;
      return STEP_OK;
    }
  if (cur->data[cur->pos] == '\r')
    {
      if (cur->pos + 1 >= cur->length)
        return STEP_MORE;
      if (cur->data[cur->pos + 1] != '\n')
        return bad (cur, "Bare CR");
      cur->pos += 2;
      *out_found = TRUE;
    }
  return STEP_OK;
}

static Step
parse_atom (Cursor  *cur,
            char   **out)
{
  gsize start = cur->pos;

  while (!at_end (cur) && is_loose_atom_char (cur->data[cur->pos]))
    {
      Step s = take_text (cur);

      if (s != STEP_OK)
        return s;
    }
  if (at_end (cur))
    return STEP_MORE;
  if (cur->pos == start)
    return bad (cur, "Expected an atom");
  *out = g_strndup ((const char *) cur->data + start, cur->pos - start);
  return STEP_OK;
}

static Step
parse_quoted (Cursor  *cur,
              char   **out)
{
  GString *value = g_string_new (NULL);
  Step s = take_text (cur);      /* the opening quote */

  while (s == STEP_OK)
    {
      guchar c;

      if (at_end (cur))
        {
          s = STEP_MORE;
          break;
        }
      c = cur->data[cur->pos];
      if (c == '"')
        {
          s = take_text (cur);
          if (s == STEP_OK)
            {
              *out = g_string_free (g_steal_pointer (&value), FALSE);
              return STEP_OK;
            }
          break;
        }
      if (c == '\0' || c == '\r' || c == '\n')
        {
          s = bad (cur, "Invalid character in a quoted string");
          break;
        }
      if (c == '\\')
        {
          s = take_text (cur);
          if (s != STEP_OK)
            break;
          if (at_end (cur))
            {
              s = STEP_MORE;
              break;
            }
          c = cur->data[cur->pos];
          if (c != '"' && c != '\\')
            {
              s = bad (cur, "Invalid escape in a quoted string");
              break;
            }
        }
      g_string_append_c (value, (char) c);
      s = take_text (cur);
    }
  memset (value->str, 0, value->len);
  g_string_free (value, TRUE);
  return s;
}

static Step
parse_literal (Cursor  *cur,
               char   **out)
{
  guint64 size = 0;
  guint digits = 0;
  gboolean sync = TRUE;
  gboolean found;
  Step s = take_text (cur);      /* "{" */

  while (s == STEP_OK && !at_end (cur) && g_ascii_isdigit (cur->data[cur->pos]))
    {
      if (++digits > MAX_LITERAL_DIGITS)
        return bad (cur, "Literal too long");
      size = size * 10 + (cur->data[cur->pos] - '0');
      s = take_text (cur);
    }
  if (s != STEP_OK)
    return s;
  if (at_end (cur))
    return STEP_MORE;
  if (digits == 0)
    return bad (cur, "Invalid literal");
  if (cur->data[cur->pos] == '+')
    {
      sync = FALSE;
      if ((s = take_text (cur)) != STEP_OK)
        return s;
      if (at_end (cur))
        return STEP_MORE;
    }
  if (cur->data[cur->pos] != '}')
    return bad (cur, "Invalid literal");
  if ((s = take_text (cur)) != STEP_OK)
    return s;
  s = line_end (cur, &found);
  if (s != STEP_OK)
    return s;
  if (!found)
    return bad (cur, "A literal must end its line");

  if (size > LK_IMAP_MAX_LITERALS - cur->literal_bytes)
    {
      /* A synchronising literal is never sent unless we say so: refusing
       * it is enough. A non-synchronising one is on its way already. */
      if (!sync)
        return STEP_TOO_LONG;
      cur->ended = TRUE;
      return bad (cur, "Literal too large before login");
    }
  if (sync)
    cur->prompts++;
  if (cur->length - cur->pos < size)
    return STEP_MORE;
  if (memchr (cur->data + cur->pos, '\0', size) != NULL)
    {
      cur->pos += size;
      return bad (cur, "NUL in a literal");
    }
  *out = g_strndup ((const char *) cur->data + cur->pos, size);
  cur->pos += size;
  cur->literal_bytes += size;
  return STEP_OK;
}

static Step parse_list (Cursor     *cur,
                        guint       depth,
                        GPtrArray **out);

static Step
parse_arg (Cursor     *cur,
           guint       depth,
           LkImapArg **out)
{
  LkImapArg *arg;
  Step s;

  if (at_end (cur))
    return STEP_MORE;
  if (++cur->args > MAX_ARGS)
    return bad (cur, "Too many arguments");
  arg = g_new0 (LkImapArg, 1);
  switch (cur->data[cur->pos])
    {
    case '"':
      arg->kind = LK_IMAP_ARG_STRING;
      s = parse_quoted (cur, &arg->value);
      break;
    case '{':
      arg->kind = LK_IMAP_ARG_STRING;
      s = parse_literal (cur, &arg->value);
      break;
    case '(':
      arg->kind = LK_IMAP_ARG_LIST;
      s = parse_list (cur, depth + 1, &arg->children);
      break;
    default:
      arg->kind = LK_IMAP_ARG_ATOM;
      s = parse_atom (cur, &arg->value);
      break;
    }
  if (s != STEP_OK)
    {
      arg_free (arg);
      return s;
    }
  *out = arg;
  return STEP_OK;
}

static Step
parse_list (Cursor     *cur,
            guint       depth,
            GPtrArray **out)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (arg_free);
  Step s;

  if (depth > MAX_DEPTH)
    return bad (cur, "Lists nested too deeply");
  if ((s = take_text (cur)) != STEP_OK)     /* "(" */
    return s;
  for (;;)
    {
      LkImapArg *item = NULL;

      if (at_end (cur))
        return STEP_MORE;
      if (cur->data[cur->pos] == ')')
        {
          if ((s = take_text (cur)) != STEP_OK)
            return s;
          *out = g_steal_pointer (&items);
          return STEP_OK;
        }
      if (items->len > 0)
        {
          if (cur->data[cur->pos] != ' ')
            return bad (cur, "Expected a space or “)”");
          if ((s = take_text (cur)) != STEP_OK)
            return s;
        }
      if ((s = parse_arg (cur, depth, &item)) != STEP_OK)
        return s;
      g_ptr_array_add (items, item);
    }
}

static Step
parse_command (Cursor        *cur,
               LkImapCommand *out)
{
  gsize start = cur->pos;
  gboolean found;
  Step s;

  /* Tag */
  while (!at_end (cur) && is_tag_char (cur->data[cur->pos]))
    if ((s = take_text (cur)) != STEP_OK)
      return s;
  if (at_end (cur))
    return STEP_MORE;
  if (cur->pos == start)
    return bad (cur, "Expected a tag");
  out->tag = g_strndup ((const char *) cur->data + start, cur->pos - start);
  if (cur->data[cur->pos] != ' ')
    return bad (cur, "Expected a space after the tag");
  if ((s = take_text (cur)) != STEP_OK)
    return s;

  /* Command name */
  start = cur->pos;
  while (!at_end (cur) && g_ascii_isalnum (cur->data[cur->pos]))
    if ((s = take_text (cur)) != STEP_OK)
      return s;
  if (at_end (cur))
    return STEP_MORE;
  if (cur->pos == start)
    return bad (cur, "Expected a command");
  out->name = g_ascii_strup ((const char *) cur->data + start, cur->pos - start);

  /* Arguments */
  out->args = g_ptr_array_new_with_free_func (arg_free);
  for (;;)
    {
      LkImapArg *arg = NULL;

      if ((s = line_end (cur, &found)) != STEP_OK)
        return s;
      if (found)
        return STEP_OK;
      if (cur->data[cur->pos] != ' ')
        return bad (cur, "Expected a space between arguments");
      if ((s = take_text (cur)) != STEP_OK)
        return s;
      /* A trailing space before the line end is forgiven. */
      if ((s = line_end (cur, &found)) != STEP_OK)
        return s;
      if (found)
        return STEP_OK;
      if ((s = parse_arg (cur, 0, &arg)) != STEP_OK)
        return s;
      g_ptr_array_add (out->args, arg);
    }
}

/* After a syntax error: finds where the client's command really ends,
 * passing over the data of non-synchronising literals, which the client
 * sends without waiting. */
static Step
skip_command (Cursor *cur)
{
  if (cur->ended)
    return STEP_OK;
  for (;;)
    {
      const guint8 *nl;
      gsize line_start = cur->pos;
      gsize end;
      guint64 size = 0;
      gsize i;

      if (at_end (cur))
        return STEP_MORE;
      nl = memchr (cur->data + cur->pos, '\n', cur->length - cur->pos);
      if (nl == NULL)
        {
          cur->text_bytes += cur->length - cur->pos;
          return cur->text_bytes > LK_IMAP_MAX_LINE ? STEP_TOO_LONG : STEP_MORE;
        }
      end = nl - cur->data;
      cur->text_bytes += end + 1 - cur->pos;
      if (cur->text_bytes > LK_IMAP_MAX_LINE)
        return STEP_TOO_LONG;
      cur->pos = end + 1;
      /* Does the line end in "{n+}"? */
      i = end;
      if (i > line_start && cur->data[i - 1] == '\r')
        i--;
      if (i < line_start + 4 || cur->data[i - 1] != '}' || cur->data[i - 2] != '+')
        return STEP_OK;
      i -= 2;
      {
        gsize digits_end = i;
        guint64 scale = 1;

        while (i > line_start && g_ascii_isdigit (cur->data[i - 1]) && digits_end - i < MAX_LITERAL_DIGITS)
          {
            i--;
            size += (cur->data[i] - '0') * scale;
            scale *= 10;
          }
        if (i == digits_end || i == line_start || cur->data[i - 1] != '{')
          return STEP_OK;
      }
      if (size > LK_IMAP_MAX_LITERALS - cur->literal_bytes)
        return STEP_TOO_LONG;
      if (cur->length - cur->pos < size)
        return STEP_MORE;
      cur->pos += size;
      cur->literal_bytes += size;
    }
}

/**
 * lk_imap_command_parse:
 * @data: what the client sent, from the start of a command
 * @out: (out caller-allocates): the command; clear it with
 *   lk_imap_command_clear() whatever the result (a BAD command may still
 *   carry its tag)
 * @out_consumed: (out): for COMPLETE and BAD, the bytes the command took
 * @out_literal_prompts: (out): synchronising literals announced so far; the
 *   caller answers each with a continuation request ("+ …") once
 * @error: (optional): for BAD and TOO_LONG, what was wrong, in protocol
 *   words (not translated: it goes to the client)
 */
LkImapParseStatus
lk_imap_command_parse (const guint8   *data,
                       gsize           length,
                       LkImapCommand  *out,
                       gsize          *out_consumed,
                       guint          *out_literal_prompts,
                       GError        **error)
{
  Cursor cur = { .data = data, .length = length };
  Step s;

  memset (out, 0, sizeof *out);
  *out_consumed = 0;
  *out_literal_prompts = 0;

  s = parse_command (&cur, out);
  *out_literal_prompts = cur.prompts;
  switch (s)
    {
    case STEP_OK:
      *out_consumed = cur.pos;
      return LK_IMAP_PARSE_COMPLETE;
    case STEP_MORE:
      lk_imap_command_clear (out);
      return LK_IMAP_PARSE_INCOMPLETE;
    case STEP_TOO_LONG:
      lk_imap_command_clear (out);
      g_set_error_literal (error, LK_ERROR, LK_ERROR_PROTOCOL, "Command too long before login");
      return LK_IMAP_PARSE_TOO_LONG;
    case STEP_BAD:
    default:
      break;
    }

  /* Malformed: the command is refused as a whole, once all of it is here.
   * No more continuation requests for it. */
  {
    const char *problem = cur.problem;
    char *tag = g_steal_pointer (&out->tag);

    lk_imap_command_clear (out);
    out->tag = tag;
    *out_literal_prompts = cur.prompts;
    s = skip_command (&cur);
    if (s == STEP_MORE)
      {
        lk_imap_command_clear (out);
        return LK_IMAP_PARSE_INCOMPLETE;
      }
    if (s == STEP_TOO_LONG)
      {
        g_set_error_literal (error, LK_ERROR, LK_ERROR_PROTOCOL, "Command too long before login");
        return LK_IMAP_PARSE_TOO_LONG;
      }
    *out_consumed = cur.pos;
    g_set_error_literal (error, LK_ERROR, LK_ERROR_PROTOCOL, problem);
    return LK_IMAP_PARSE_BAD;
  }
}

/**
 * lk_imap_command_get_string:
 *
 * Returns: (nullable): argument @index when it is an atom or a string
 *   (IMAP's astring), NULL when it is missing or a list
 */
const char *
lk_imap_command_get_string (const LkImapCommand *command,
                            guint                index)
{
  LkImapArg *arg;

  if (command->args == NULL || index >= command->args->len)
    return NULL;
  arg = g_ptr_array_index (command->args, index);
  return arg->kind == LK_IMAP_ARG_LIST ? NULL : arg->value;
}

/**
 * lk_imap_quote:
 *
 * @text as an IMAP quoted string, for what the bridge says itself (ID).
 * Characters a quoted string cannot hold (CR, LF, NUL) are dropped.
 */
char *
lk_imap_quote (const char *text)
{
  GString *out = g_string_new ("\"");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\r' || *p == '\n')
        continue;
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}
