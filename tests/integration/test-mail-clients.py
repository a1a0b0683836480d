#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The exported configuration, proven with the real mail clients.

Dovecot (IMAP, submission with smtp-sink as its relay) checks the tokens the
test identity provider issues, at a realistic 2.5 KB. For each client the
file `latchkey-cli export --client X` writes is used as is; the only lines
added are those the client's own documentation has the user add themselves,
and each such place says so. Each client then runs twice: once with a fresh
token and once after the stored access token was made to expire, which its
token command must refresh without the client noticing.

Each client runs with a HOME of its own (the exported "~/Mail/…" lands
there), while the session bus and keyring stay the test session's, as they
would for a person with several mail programs.
"""
import json
import os
import re
import shutil
import subprocess
import time

from harness import (SCRATCH, Dovecot, Idp, Skip, Tap, add_with_browser, cli, maildir_subjects,
                     run, scan_for_secrets, secret_tool_lookup, write_profile)

EMAIL = "alice@example.com"
WORK = os.path.join(SCRATCH, "clients")
os.makedirs(WORK)
os.chmod(WORK, 0o711)

t = Tap()
dovecot = Dovecot()
idp = Idp(*dovecot.idp_args(), "--token-size", "2500")
# Dovecot offers both mechanisms; Microsoft 365 offers XOAUTH2 alone.
write_profile(idp, servers=dovecot.servers(), ca_file=dovecot.ca_file,
              sasl=("XOAUTH2", "OAUTHBEARER"))
exported = []      # every file the export wrote
tokens = []        # every access token the test saw


def export(client, *extra):
    path = os.path.join(WORK, f"{client}{'-' + extra[-1] if extra else ''}.rc")
    r = cli("export", EMAIL, "--client", client, "--output", path, *extra)
    assert r.returncode == 0, r.stderr
    assert os.stat(path).st_mode & 0o777 == 0o600, oct(os.stat(path).st_mode)
    exported.append(path)
    return path


def home_for(client):
    """A HOME of the client's own, keeping the session's XDG folders."""
    home = os.path.join(WORK, client + "-home")
    os.makedirs(home, exist_ok=True)
    return home, dict(os.environ, HOME=home)


def client_run(args, env, log, input=None, timeout=120):
    """Runs a client, keeping everything it printed in log for the leak scan."""
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env,
                       input=input, stdin=None if input is not None else subprocess.DEVNULL)
    with open(log, "a") as f:
        f.write(f"$ {' '.join(args)}\nexit {r.returncode}\n{r.stdout}{r.stderr}\n")
    return r


def expire_token():
    """Makes the stored access token look expired; returns the refresh count."""
    tokens.append(cli("token", EMAIL).stdout.strip())
    item = json.loads(secret_tool_lookup(EMAIL))
    item["expires_at"] = int(time.time()) - 60
    run(["secret-tool", "store", f"--label=Latchkey: {EMAIL}", "xdg:schema",
         "io.github.latchkey.Token", "account", EMAIL, "version", "1"],
        input=json.dumps(item), check=True)
    return idp.count("token:refresh_token")


def refreshed_once(before):
    assert idp.count("token:refresh_token") == before + 1, (before, idp.stats()["counts"])
    fresh = cli("token", EMAIL).stdout.strip()
    assert fresh and fresh != tokens[-1]
    tokens.append(fresh)


LINE_TOO_LONG = "500 5.5.2 Line too long"


def too_long_for_dovecot(output):
    """Dovecot 2.3.19's submission refuses command lines over about 1 KB;
    a client that puts a Microsoft-sized token into the AUTH line itself
    (an initial response) cannot pass it, whatever its configuration."""
    return LINE_TOO_LONG in output


def new_deliveries(before):
    """Messages the relay received since before (a list of earlier ones)."""
    return [m for m in dovecot.delivered() if m not in before]


def version(args, pattern):
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        return None
    m = re.search(pattern, r.stdout + r.stderr)
    return m.group(1) if m else "?"


V = {
    "msmtp": version(["msmtp", "--version"], r"msmtp version (\S+)"),
    "mbsync": version(["mbsync", "--version"], r"isync (\S+)"),
    "getmail": version(["getmail", "--version"], r"getmail (\S+)"),
    "neomutt": version(["neomutt", "-v"], r"NeoMutt (\S+)"),
    "offlineimap": version(["offlineimap", "--version"], r"(\d\S*)"),
}

try:
    with t.case("sign in once, for IMAP and SMTP, with 2.5 KB tokens"):
        r = add_with_browser(EMAIL, "--protocols", "imap,smtp")
        assert r.returncode == 0, r.stderr
        tokens.append(cli("token", EMAIL).stdout.strip())
        assert len(tokens[-1]) >= 2500, len(tokens[-1])

    # ---- msmtp: both mechanisms, through submission to the relay.
    for fmt in ("xoauth2", "oauthbearer"):
        rc = None
        for expired in (False, True):
            label = "after the token expired, refreshes and sends" if expired else "sends"
            with t.case(f"msmtp {V['msmtp']} "
                        f"auth {fmt}: {label}; the message arrives"):
                if not shutil.which("msmtp"):
                    raise Skip("msmtp is not installed")
                if rc is None:
                    rc = export("msmtp", "--format", fmt)
                    assert re.search(rf"^auth {fmt}$", open(rc).read(), re.M)
                home, env = home_for("msmtp")
                account = re.search(r"^account\s+(\S+)", open(rc).read(), re.M).group(1)
                before = expire_token() if expired else None
                subject = f"msmtp {fmt} {'refreshed' if expired else 'fresh'}"
                sent = dovecot.delivered()
                m = client_run(["msmtp", "-C", rc, "-a", account, "bob@example.net"], env,
                               os.path.join(WORK, "msmtp.log"),
                               input=f"To: bob@example.net\nSubject: {subject}\n\nhello\n")
                if m.returncode != 0 and fmt == "oauthbearer" and \
                   too_long_for_dovecot(m.stderr):
                    # msmtp sends XOAUTH2's response on a continuation line but
                    # OAUTHBEARER's as an initial response in the AUTH line.
                    if expired:
                        refreshed_once(before)
                    raise Skip(f"msmtp {V['msmtp']} puts the OAUTHBEARER response into the "
                               f"AUTH line; Dovecot's submission answers “{LINE_TOO_LONG}” "
                               f"to a {len(tokens[-1])}-character token (it allows about 1 KB)")
                assert m.returncode == 0, m.stderr
                (got,) = new_deliveries(sent)
                assert f"Subject: {subject}".encode() in got
                if expired:
                    refreshed_once(before)

    # ---- mbsync: IMAP into a local Maildir, XOAUTH2 through the Cyrus SASL plugin.
    mbsync_rc = None
    for expired in (False, True):
        label = "after the token expired, refreshes and syncs" if expired else "syncs"
        with t.case(f"mbsync {V['mbsync']}: {label} "
                    "the seeded message into the local Maildir"):
            if not shutil.which("mbsync"):
                raise Skip("isync is not installed")
            if mbsync_rc is None:
                mbsync_rc = export("mbsync")
            home, env = home_for("mbsync")
            text = open(mbsync_rc).read()
            channel = re.search(r"^Channel\s+(\S+)", text, re.M).group(1)
            # The exported MaildirStore is ~/Mail/CHANNEL/ with "Create Both";
            # what the user adds is the folder itself, as the header says.
            mkdir = re.search(r"^# .*mkdir -p (~/Mail/\S+/)$", text, re.M).group(1)
            os.makedirs(mkdir.replace("~", home, 1), exist_ok=True)
            subject = f"for mbsync {'refreshed' if expired else 'fresh'}"
            dovecot.seed(EMAIL, subject)
            before = expire_token() if expired else None
            m = client_run(["mbsync", "-c", mbsync_rc, channel], env,
                           os.path.join(WORK, "mbsync.log"))
            assert m.returncode == 0, m.stdout + m.stderr
            got = maildir_subjects(os.path.join(home, "Mail", channel, "INBOX"))
            assert subject in got, got
            if expired:
                refreshed_once(before)

    # ---- getmail6: IMAP only (its use_xoauth2 has no POP3 path in 6.18).
    getmail_rc = None
    for expired in (False, True):
        label = "after the token expired, refreshes and retrieves" if expired else "retrieves"
        with t.case(f"getmail6 {V['getmail']}: {label} "
                    "the seeded message over IMAP"):
            if not shutil.which("getmail"):
                raise Skip("getmail6 is not installed")
            if getmail_rc is None:
                getmail_rc = export("getmail")
            home, env = home_for("getmail")
            text = open(getmail_rc).read()
            maildir = re.search(r"^path = (.*)$", text, re.M).group(1).replace("~", home, 1)
            getmaildir = os.path.join(home, ".config", "getmail")
            if not expired:
                # What getmail's documentation and the export's next step have
                # the user do: create the Maildir. getmail refuses to deliver
                # as root; its documented way out is the destination's "user"
                # option, so a root run delivers as nobody into nobody's Maildir.
                for sub in ("cur", "new", "tmp"):
                    os.makedirs(os.path.join(maildir, sub), exist_ok=True)
                os.makedirs(getmaildir, exist_ok=True)
                if os.geteuid() == 0:
                    mail = os.path.join(home, "Mail")
                    shutil.chown(mail, "nobody", "nogroup")
                    for top, dirs, _ in os.walk(mail):
                        for d in dirs:
                            shutil.chown(os.path.join(top, d), "nobody", "nogroup")
                    os.chmod(home, 0o711)   # nobody must reach the Maildir
                    text = text.replace("[destination]\n", "[destination]\nuser = nobody\n", 1)
                    with open(getmail_rc, "w") as f:
                        f.write(text)
            subject = f"for getmail {'refreshed' if expired else 'fresh'}"
            dovecot.seed(EMAIL, subject)
            before = expire_token() if expired else None
            m = client_run(["getmail", "--getmaildir", getmaildir, "--rcfile", getmail_rc],
                           env, os.path.join(WORK, "getmail.log"))
            assert m.returncode == 0, m.stdout + m.stderr
            got = maildir_subjects(maildir)
            assert subject in got, (got, m.stdout + m.stderr)
            if expired:
                refreshed_once(before)

    # ---- OfflineIMAP: IMAP into ~/Mail/NAME.
    offlineimap_rc = None
    for expired in (False, True):
        label = "after the token expired, refreshes and syncs" if expired else "syncs"
        with t.case(f"OfflineIMAP {V['offlineimap']}: {label} the seeded message"):
            if not shutil.which("offlineimap"):
                raise Skip("offlineimap3 is not installed")
            if offlineimap_rc is None:
                offlineimap_rc = export("offlineimap")
            home, env = home_for("offlineimap")
            text = open(offlineimap_rc).read()
            local = re.search(r"^localfolders = (.*)$", text, re.M).group(1).replace("~", home, 1)
            subject = f"for offlineimap {'refreshed' if expired else 'fresh'}"
            dovecot.seed(EMAIL, subject)
            before = expire_token() if expired else None
            m = client_run(["offlineimap", "-c", offlineimap_rc, "-o", "-u", "basic"], env,
                           os.path.join(WORK, "offlineimap.log"))
            assert m.returncode == 0, m.stdout + m.stderr
            got = maildir_subjects(os.path.join(local, "INBOX"))
            assert subject in got, (got, m.stdout + m.stderr)
            if expired:
                refreshed_once(before)

    # ---- NeoMutt: opens the INBOX over IMAP, and sends in batch mode.
    def neomutt_send(rc, subject):
        home, env = home_for("neomutt")
        sent = dovecot.delivered()
        m = client_run(["neomutt", "-n", "-F", rc, "-s", subject, "bob@example.net"],
                       env, os.path.join(WORK, "neomutt.log"), input="hello\n")
        return m, new_deliveries(sent)

    def neomutt_index(rc, subject, timeout=60):
        """Starts NeoMutt on a terminal of its own, as a person would, and
        waits for subject to show in the index of the IMAP INBOX."""
        import pty
        import select
        home, env = home_for("neomutt")
        env.update(TERM="xterm", COLUMNS="200", LINES="40")
        pid, fd = pty.fork()
        if pid == 0:
            os.execvpe("neomutt", ["neomutt", "-n", "-F", rc], env)
        screen = b""
        try:
            deadline = time.monotonic() + timeout
            while subject.encode() not in screen and time.monotonic() < deadline:
                ready, _, _ = select.select([fd], [], [], 1)
                if ready:
                    try:
                        screen += os.read(fd, 65536)
                    except OSError:
                        break
            if subject.encode() in screen:
                os.write(fd, b"q")
                time.sleep(0.5)
                os.write(fd, b"y")
        finally:
            end = time.monotonic() + 10
            while time.monotonic() < end:
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                time.sleep(0.2)
            else:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            os.close(fd)
        text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]", b" ", screen)
        with open(os.path.join(WORK, "neomutt-screen.log"), "ab") as f:
            f.write(text + b"\n")
        return subject.encode() in screen, text.decode(errors="replace")

    neomutt_rc = None
    for expired in (False, True):
        label = "after the token expired, refreshes and opens" if expired else "opens"
        with t.case(f"NeoMutt {V['neomutt']}: {label} the IMAP INBOX; the seeded message "
                    "shows in the index"):
            if not shutil.which("neomutt"):
                raise Skip("neomutt is not installed")
            if neomutt_rc is None:
                neomutt_rc = export("neomutt")
            subject = f"for neomutt {'refreshed' if expired else 'fresh'}"
            dovecot.seed(EMAIL, subject)
            before = expire_token() if expired else None
            shown, screen = neomutt_index(neomutt_rc, subject)
            assert shown, screen[-2000:]
            if expired:
                refreshed_once(before)

    for expired in (False, True):
        label = "after the token expired, refreshes and sends" if expired else "sends"
        with t.case(f"NeoMutt {V['neomutt']}: {label} in batch mode; the message arrives"):
            if neomutt_rc is None:
                raise Skip("neomutt is not installed")
            subject = f"neomutt {'refreshed' if expired else 'fresh'}"
            before = expire_token() if expired else None
            m, got = neomutt_send(neomutt_rc, subject)
            if m.returncode != 0 and too_long_for_dovecot(m.stdout + m.stderr):
                # NeoMutt's SMTP XOAUTH2 and OAUTHBEARER always send "AUTH <mech>
                # <response>" in one line; no setting changes that, and its GNU
                # SASL path has neither mechanism in Debian 12's libgsasl 2.2.
                if expired:
                    refreshed_once(before)
                raise Skip(f"NeoMutt {V['neomutt']} puts the token into the SMTP AUTH line; "
                           f"Dovecot's submission answers “{LINE_TOO_LONG}” to a "
                           f"{len(tokens[-1])}-character token (it allows about 1 KB)")
            assert m.returncode == 0, m.stdout + m.stderr
            assert len(got) == 1 and f"Subject: {subject}".encode() in got[0], got
            if expired:
                refreshed_once(before)

    # ---- fetchmail: Debian 12 has 6.4, which has no OAuth, so only the file
    # is checked here; a live fetchmail test comes with the bridge, which lets
    # 6.4 sign in with a password of Latchkey's.
    with t.case("fetchmail: export targets 6.5+, in its documented syntax"):
        rc = export("fetchmail")
        text = open(rc).read()
        assert "6.5" in text.split("\n\n")[0], "the header says which fetchmail it needs"
        body = [l for l in text.splitlines() if l.strip() and not l.startswith("#")]
        assert re.fullmatch(r"poll \"localhost\" protocol imap port %d" % dovecot.port("imaps"),
                            body[0]), body[0]
        kw = {l.split()[0]: l.split(None, 1)[1] if len(l.split()) > 1 else ""
              for l in body[1:]}
        assert kw["auth"] in ("xoauth2", "oauthbearer"), kw
        assert kw["user"] == f'"{EMAIL}"' and kw["passwordfile"].startswith('"')
        assert kw["ssl"] == "sslcertck" and kw["sslcertfile"] == f'"{dovecot.ca_file}"', kw
        assert "keep" in kw
        assert re.search(r"^# preconnect \"", text, re.M), "the token file stays opt-in"

    with t.case("no token in any exported file, client log, Maildir or client state"):
        assert exported
        hits = scan_for_secrets(
            [os.environ["HOME"], WORK], extra=tokens,
            skip=[os.path.join(os.environ["HOME"], ".local", "share", "keyrings")])
        assert not hits, hits
finally:
    idp.close()
    dovecot.close()

t.done()
