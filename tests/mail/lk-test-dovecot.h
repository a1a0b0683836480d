/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A private Dovecot + smtp-sink (tests/peers/dovecot.sh) for one test
 * program: start it once in main(), stop it at the end. */
typedef struct
{
  char    *dir;
  guint16  imap;          /* STARTTLS or, from 127.0.0.1 to itself, clear text */
  guint16  imaps;
  guint16  pop3;
  guint16  pop3s;
  guint16  submission;    /* STARTTLS */
  guint16  submissions;
  char    *sink_dir;      /* smtp-sink writes each relayed message here */
  char    *ca_file;
  char    *issuer;
  char    *audience;
  GBytes  *key;
} LkTestDovecot;

LkTestDovecot *lk_test_dovecot_start (void);
void           lk_test_dovecot_stop  (LkTestDovecot *self);
char          *lk_test_dovecot_mint  (LkTestDovecot *self,
                                      const char    *email,
                                      const char    *audience,
                                      gint64         expires_in);

G_END_DECLS
