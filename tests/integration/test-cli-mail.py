#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`latchkey-cli test` and `export` against real peers: the test identity
provider issues the tokens, Dovecot (IMAP, POP3, submission) checks them,
and msmtp sends with the exported file as is."""
import json
import os
import re
import subprocess

from harness import (CLI, SCRATCH, Dovecot, Idp, Tap, add_with_browser, cli, run,
                     scan_for_secrets, write_profile)

t = Tap()
dovecot = Dovecot()
idp = Idp(*dovecot.idp_args(), "--token-size", "2500")
write_profile(idp, servers=dovecot.servers(), ca_file=dovecot.ca_file)
EMAIL = "alice@example.com"

try:
    with t.case("sign in first"):
        r = add_with_browser(EMAIL, "--protocols", "imap,pop,smtp")
        assert r.returncode == 0, r.stderr

    with t.case("test: IMAP, POP and SMTP all sign in with the 2.5 KB token"):
        r = cli("test", EMAIL, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        lines = r.stdout.splitlines()
        assert [l.split()[1] for l in lines if l.startswith("✓")] == ["IMAP", "POP", "SMTP"], lines
        assert "working" in cli("list").stdout

    with t.case("test --json: one object per protocol with stage, mechanism and TLS"):
        r = cli("test", EMAIL, "--json")
        data = json.loads(r.stdout)
        assert [d["protocol"] for d in data] == ["imap", "pop", "smtp"]
        for d in data:
            assert d["ok"] is True and d["mechanism"] == "XOAUTH2", d
            assert d["tls"], d
            assert d["diagnosis"] is None

    with t.case("test --transcript shows the conversation with the token redacted"):
        r = cli("test", EMAIL, "--protocol", "imap", "--transcript")
        assert "<redacted>" in r.stdout, r.stdout
        token = cli("token", EMAIL).stdout.strip()
        assert token not in r.stdout and token[:40] not in r.stdout

    with t.case("test --send-test: the message reaches the relay"):
        before = len(dovecot.delivered())
        r = cli("test", EMAIL, "--protocol", "smtp", "--send-test")
        assert r.returncode == 0, r.stdout + r.stderr
        assert len(dovecot.delivered()) == before + 1

    with t.case("a shared mailbox the user may not open: exit 6, explained with the fix"):
        # The token is alice's; the SASL user is the shared mailbox. Dovecot,
        # like Exchange without FullAccess, refuses.
        r = add_with_browser("shared@example.com", "--login", EMAIL, "--protocols", "imap")
        assert r.returncode == 0, r.stderr
        r = cli("test", "shared@example.com")
        assert r.returncode == 6, (r.returncode, r.stdout, r.stderr)
        assert "✗ IMAP" in r.stdout and "auth" in r.stdout, r.stdout
        assert "Add-MailboxPermission" in r.stdout, r.stdout
        assert "shared@example.com" in r.stdout and EMAIL in r.stdout
        assert "failing" in cli("list").stdout

    with t.case("an unknown account: exit 1 and how to add it"):
        r = run([CLI, "test", "nobody@example.com"])
        assert r.returncode == 1 and "latchkey-cli add" in r.stderr

    with t.case("export msmtp, then msmtp sends through submission with it as is"):
        rc = os.path.join(SCRATCH, "msmtprc")
        r = cli("export", EMAIL, "--client", "msmtp", "--output", rc)
        assert r.returncode == 0, r.stderr
        assert oct(os.stat(rc).st_mode & 0o777) == "0o600"
        account = re.search(r"^account\s+(\S+)", open(rc).read(), re.M).group(1)
        before = len(dovecot.delivered())
        m = subprocess.run(["msmtp", "-C", rc, "-a", account, "bob@example.net"],
                           input="Subject: via msmtp\n\nhello\n", capture_output=True, text=True,
                           timeout=60)
        assert m.returncode == 0, m.stderr
        assert len(dovecot.delivered()) == before + 1
        # smtp-sink names files by the minute and a random part: not in order.
        assert any(b"via msmtp" in m for m in dovecot.delivered())
        # The account lists where it is set up (the GUI's account page shows it).
        path = os.path.join(os.environ["XDG_CONFIG_HOME"], "latchkey", "accounts",
                            EMAIL + ".json")
        exports = json.load(open(path))["exports"]
        assert [(e["client"], e["path"]) for e in exports] == [("msmtp", rc)], exports

    with t.case("export --force over a person's own file keeps that file, unchanged, beside it"):
        rc = os.path.join(SCRATCH, "msmtprc-own")
        own = "# my other accounts\naccount home\nhost mail.example.net\n"
        with open(rc, "w") as f:
            f.write(own)
        os.chmod(rc, 0o640)
        r = cli("export", EMAIL, "--client", "msmtp", "--output", rc)
        assert r.returncode not in (0, 2) and "--force" in r.stderr, (r.returncode, r.stderr)
        assert open(rc).read() == own
        r = cli("export", EMAIL, "--client", "msmtp", "--output", rc, "--force")
        assert r.returncode == 0, r.stderr
        backups = [n for n in os.listdir(SCRATCH) if n.startswith("msmtprc-own.bak-")]
        assert len(backups) == 1, backups
        kept = os.path.join(SCRATCH, backups[0])
        assert kept in r.stderr, r.stderr
        assert open(kept).read() == own and oct(os.stat(kept).st_mode & 0o777) == "0o640"
        assert EMAIL in open(rc).read() and oct(os.stat(rc).st_mode & 0o777) == "0o600"

    with t.case("no token in any file under HOME or in the export"):
        hits = scan_for_secrets([os.environ["HOME"], os.path.join(SCRATCH, "msmtprc")],
                                skip=[os.path.join(os.environ["HOME"], ".local", "share", "keyrings")])
        assert not hits, hits
finally:
    idp.close()
    dovecot.close()

t.done()
