#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Set Up (`latchkey-cli export --apply`), proven with the real mail clients.

The HOME already holds Bob's account, configured by hand in each client's
own file as people do (his token command is Latchkey's too, since Dovecot
only takes OAuth2). `--apply` then adds Alice's account. Afterwards both
must work with the real clients against Dovecot: msmtp sends with both
accounts, mbsync syncs both channels, aerc shows both INBOXes, NeoMutt
reads the merged muttrc and sends as Alice. Bob's lines stay byte for byte.
A second --apply changes nothing; a block edited by hand is replaced and
kept in the backup; a file that is a symbolic link (dotfile managers) is
written through the link. Evolution's own registry (evolution-data-server)
loads the sources --apply wrote, at its start and on the reload --apply
asks for. Thunderbird's user.js is read back with the prefs syntax in
test-export-apply.c.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import time

from harness import (CLI, SCRATCH, Dovecot, Idp, Process, Skip, Tap, add_with_browser, cli,
                     maildir_subjects, run_on_terminal, scan_for_secrets, write_profile)

ALICE = "alice@example.com"
BOB = "bob@example.com"
HOME = os.environ["HOME"]
CONFIG = os.environ["XDG_CONFIG_HOME"]
LOGS = os.path.join(SCRATCH, "apply-logs")
os.makedirs(LOGS)

t = Tap()
dovecot = Dovecot()
idp = Idp(*dovecot.idp_args())
write_profile(idp, servers=dovecot.servers(), ca_file=dovecot.ca_file,
              sasl=("XOAUTH2", "OAUTHBEARER"))
CA = dovecot.ca_file
IMAPS = dovecot.port("imaps")
SUBMISSION = dovecot.port("submission")


def client(args, log, input=None, env=None, timeout=120):
    """Runs a real client, keeping what it printed for the leak scan."""
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                       env=env or os.environ.copy(), input=input,
                       stdin=None if input is not None else subprocess.DEVNULL)
    with open(os.path.join(LOGS, log), "a") as f:
        f.write(f"$ {' '.join(args)}\nexit {r.returncode}\n{r.stdout}{r.stderr}\n")
    return r


def apply(client_id, *extra, email=ALICE):
    r = cli("export", email, "--client", client_id, "--apply", *extra)
    assert r.returncode == 0, r.stderr
    return r.stdout


def apply_json(client_id, *extra, email=ALICE):
    return json.loads(apply(client_id, "--json", *extra, email=email))


def backups_of(path):
    return sorted(glob.glob(glob.escape(path) + ".bak-*"))


def write(path, text, mode=0o600):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def read(path):
    with open(path) as f:
        return f.read()


def bob_token():
    return f'{CLI} token {BOB}'


def sends(args, subject, log):
    before = dovecot.delivered()
    r = client(args, log, input=f"To: carol@example.net\nSubject: {subject}\n\nhello\n")
    got = [m for m in dovecot.delivered() if m not in before]
    return r, got


registry = None
try:
    with t.case("two accounts signed in (Bob's is already set up by hand in every client)"):
        for who in (BOB, ALICE):
            r = add_with_browser(who, "--protocols", "imap,smtp")
            assert r.returncode == 0, r.stderr

    # ---- msmtp
    MSMTPRC = os.path.join(HOME, ".msmtprc")
    BOB_MSMTP = (f"# Bob's mail\ndefaults\ntls on\ntls_starttls on\ntls_trust_file {CA}\n"
                 f"logfile {LOGS}/msmtp-own.log\n\naccount bob\nhost localhost\n"
                 f"port {SUBMISSION}\nauth xoauth2\nuser {BOB}\nfrom {BOB}\n"
                 f'passwordeval "{bob_token()}"\n\naccount default : bob\n')
    msmtp_name = None
    with t.case("msmtp: --apply adds Alice to ~/.msmtprc, Bob's lines kept, a backup kept"):
        if not shutil.which("msmtp"):
            raise Skip("msmtp is not installed")
        write(MSMTPRC, BOB_MSMTP, 0o644)
        out = apply("msmtp")
        text = read(MSMTPRC)
        assert text.startswith(BOB_MSMTP + "\n# >>> latchkey "), text
        assert os.stat(MSMTPRC).st_mode & 0o777 == 0o600
        (backup,) = backups_of(MSMTPRC)
        assert read(backup) == BOB_MSMTP
        assert backup in out and "msmtp -a " in out, out
        msmtp_name = re.search(r"msmtp -a (\S+?)”", out).group(1)

    for what, who, account in (("Bob, by his account's name", BOB, "bob"),
                               ("Alice, by the name --apply printed", ALICE, "ALICE"),
                               ("the default account, still Bob's", BOB, None)):
        with t.case(f"msmtp sends as {what}; the message arrives from {who}"):
            if msmtp_name is None:
                raise Skip("msmtp was not set up")
            pick = [] if account is None else ["-a", msmtp_name if account == "ALICE" else account]
            r, got = sends(["msmtp", *pick, "carol@example.net"], f"msmtp as {who}", "msmtp.log")
            assert r.returncode == 0, r.stderr
            assert len(got) == 1 and f"<{who}>".encode() in got[0], got

    with t.case("msmtp: a second --apply changes nothing and keeps no second backup"):
        if msmtp_name is None:
            raise Skip("msmtp was not set up")
        before = read(MSMTPRC)
        out = apply("msmtp")
        assert "already set up" in out, out
        assert read(MSMTPRC) == before and len(backups_of(MSMTPRC)) == 1

    with t.case("msmtp: Alice's block edited by hand is replaced; the backup keeps the edit"):
        if msmtp_name is None:
            raise Skip("msmtp was not set up")
        text = read(MSMTPRC)
        mark = text.index("# >>> latchkey ")
        edited = text[:mark] + text[mark:].replace(f"port {SUBMISSION}\n", "port 1\n", 1)
        assert "port 1\n" in edited
        write(MSMTPRC, edited)
        result = apply_json("msmtp")
        (change,) = result["changes"]
        assert change["change"] == "replaced" and change["edited_by_hand"] is True, result
        assert read(change["backup"]) == edited
        text = read(MSMTPRC)
        assert text.startswith(BOB_MSMTP) and "port 1\n" not in text
        r, got = sends(["msmtp", "-a", msmtp_name, "carol@example.net"], "after the edit",
                       "msmtp.log")
        assert r.returncode == 0 and len(got) == 1, r.stderr

    with t.case("msmtp: ~/.msmtprc as a dotfile manager's link is written through the link"):
        if msmtp_name is None:
            raise Skip("msmtp was not set up")
        dotfiles = os.path.join(HOME, "dotfiles")
        os.makedirs(dotfiles)
        real = os.path.join(dotfiles, "msmtprc")
        write(real, BOB_MSMTP)
        os.remove(MSMTPRC)
        os.symlink("dotfiles/msmtprc", MSMTPRC)
        result = apply_json("msmtp")
        (change,) = result["changes"]
        assert os.path.islink(MSMTPRC) and os.readlink(MSMTPRC) == "dotfiles/msmtprc"
        assert change["path"] == real and change["link"] == MSMTPRC, change
        assert os.path.dirname(change["backup"]) == dotfiles
        assert read(real).startswith(BOB_MSMTP + "\n# >>> latchkey ")
        for account in ("bob", msmtp_name):
            r, got = sends(["msmtp", "-a", account, "carol@example.net"], "through the link",
                           "msmtp.log")
            assert r.returncode == 0 and len(got) == 1, r.stderr

    # ---- mbsync
    MBSYNCRC = os.path.join(HOME, ".mbsyncrc")
    BOB_MBSYNC = (f"IMAPAccount bob\nHost localhost\nPort {IMAPS}\nUser {BOB}\n"
                  f'PassCmd "{bob_token()}"\nAuthMechs XOAUTH2\nSSLType IMAPS\n'
                  f"CertificateFile {CA}\n\nIMAPStore bob-remote\nAccount bob\n\n"
                  f"MaildirStore bob-local\nPath ~/Mail/bob/\nInbox ~/Mail/bob/INBOX\n\n"
                  f"Channel bob\nFar :bob-remote:\nNear :bob-local:\nPatterns INBOX\n"
                  f"Create Both\nSyncState *\n")
    with t.case("mbsync: --apply adds Alice's channel, makes her Maildir; `mbsync -a` "
                "syncs both channels"):
        if not shutil.which("mbsync"):
            raise Skip("isync is not installed")
        write(MBSYNCRC, BOB_MBSYNC)
        os.makedirs(os.path.join(HOME, "Mail", "bob"))
        result = apply_json("mbsync")
        name = result["name"]
        assert [c["change"] for c in result["changes"]] == ["added", "created"], result
        maildir = os.path.join(HOME, "Mail", name)
        assert result["changes"][1]["path"] == maildir and os.path.isdir(maildir)
        assert read(MBSYNCRC).startswith(BOB_MBSYNC)
        dovecot.seed(BOB, "for Bob's mbsync")
        dovecot.seed(ALICE, "for Alice's mbsync")
        r = client(["mbsync", "-a"], "mbsync.log")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "for Bob's mbsync" in maildir_subjects(os.path.join(HOME, "Mail", "bob", "INBOX"))
        assert "for Alice's mbsync" in maildir_subjects(os.path.join(maildir, "INBOX"))
        again = apply_json("mbsync")
        assert [c["change"] for c in again["changes"]] == ["unchanged", "unchanged"], again

    # ---- aerc: Bob's tab, then (Ctrl+N) Alice's, each with its INBOX.
    ACCOUNTS = os.path.join(CONFIG, "aerc", "accounts.conf")
    BOB_AERC = (f"[bob]\nsource = imaps+xoauth2://bob%40example.com@localhost:{IMAPS}\n"
                f"source-cred-cmd = {bob_token()}\n"
                f"outgoing = smtp+xoauth2://bob%40example.com@localhost:{SUBMISSION}\n"
                f"outgoing-cred-cmd = {bob_token()}\nfrom = {BOB}\ndefault = INBOX\n")
    with t.case("aerc: --apply adds Alice's section; aerc opens Bob's INBOX and Alice's"):
        if not shutil.which("aerc"):
            raise Skip("aerc is not installed")
        write(ACCOUNTS, BOB_AERC)
        result = apply_json("aerc")
        assert result["changes"][0]["change"] == "added", result
        assert read(ACCOUNTS).startswith(BOB_AERC)
        assert os.stat(ACCOUNTS).st_mode & 0o777 == 0o600
        dovecot.seed(BOB, "Bob in aerc")
        dovecot.seed(ALICE, "Alice in aerc")
        # aerc has no setting for a CA; Go reads SSL_CERT_FILE (the header says so).
        env = dict(os.environ, SSL_CERT_FILE=CA)
        shown, screen = run_on_terminal(["aerc"], env, until=["Bob in aerc", "Alice in aerc"],
                                        keys=["\x0e"], log=os.path.join(LOGS, "aerc-screen.log"))
        assert shown, screen[-3000:]

    # ---- NeoMutt
    NEOMUTTRC = os.path.join(CONFIG, "neomutt", "neomuttrc")
    BOB_NEOMUTT = (f'set realname="Bob"\nset from="{BOB}"\n'
                   f'set folder="imaps://localhost:{IMAPS}/"\nset imap_user="{BOB}"\n'
                   f'set imap_authenticators="xoauth2"\n'
                   f'set imap_oauth_refresh_command="{bob_token()}"\n'
                   f'set ssl_ca_certificates_file="{CA}"\n')
    neomutt_ok = False
    with t.case("NeoMutt: --apply writes Alice's own file and sources it from the muttrc"):
        if not shutil.which("neomutt"):
            raise Skip("neomutt is not installed")
        write(NEOMUTTRC, BOB_NEOMUTT)
        result = apply_json("neomutt")
        own, muttrc = result["changes"]
        assert muttrc["path"] == NEOMUTTRC and muttrc["change"] == "added", result
        assert own["change"] == "created" and os.path.exists(own["path"]), result
        text = read(NEOMUTTRC)
        assert text.startswith(BOB_NEOMUTT)
        rel = "~" + own["path"][len(HOME):]
        assert f'\nsource "{rel}"\n' in text, text
        neomutt_ok = True

    with t.case("NeoMutt reads the merged muttrc: Alice's settings, Bob's realname, no error"):
        if not neomutt_ok:
            raise Skip("NeoMutt was not set up")
        r = client(["neomutt", "-n", "-F", NEOMUTTRC, "-Q", "imap_user", "-Q", "realname"],
                   "neomutt.log")
        assert r.returncode == 0 and r.stderr.strip() == "", r.stderr
        assert re.search(rf'imap_user = "{ALICE}"', r.stdout), r.stdout
        assert re.search(r'real_?name = "Bob"', r.stdout), r.stdout

    with t.case("NeoMutt opens Alice's IMAP INBOX with the merged muttrc; her message shows"):
        if not neomutt_ok:
            raise Skip("NeoMutt was not set up")
        dovecot.seed(ALICE, "Alice in NeoMutt")
        shown, screen = run_on_terminal(["neomutt", "-n", "-F", NEOMUTTRC], os.environ,
                                        until=["Alice in NeoMutt"],
                                        log=os.path.join(LOGS, "neomutt-screen.log"))
        assert shown, screen[-3000:]

    with t.case("NeoMutt sends as Alice in batch mode with the merged muttrc"):
        if not neomutt_ok:
            raise Skip("NeoMutt was not set up")
        before = dovecot.delivered()
        r = client(["neomutt", "-n", "-F", NEOMUTTRC, "-s", "neomutt after --apply",
                    "carol@example.net"], "neomutt.log", input="hello\n")
        got = [m for m in dovecot.delivered() if m not in before]
        if r.returncode != 0 and "500 5.5.2 Line too long" in r.stdout + r.stderr:
            # As in test-mail-clients.py: NeoMutt puts the token into the SMTP
            # AUTH line, which Dovecot 2.3.19's submission caps at about 1 KB.
            raise Skip("NeoMutt 20220429 puts the token into the SMTP AUTH line; Dovecot's "
                       "submission answers “500 5.5.2 Line too long” (it allows about 1 KB)")
        assert r.returncode == 0, r.stdout + r.stderr
        assert len(got) == 1 and f"<{ALICE}>".encode() in got[0], got

    # ---- Evolution: the real registry reads what --apply wrote.
    REGISTRY = "/usr/libexec/evolution-source-registry"
    SOURCES = os.path.join(CONFIG, "evolution", "sources")
    BOB_SOURCE = "[Data Source]\nDisplayName=Bob\nEnabled=true\nParent=\n"

    def registry_running():
        r = client(["gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                    "--object-path", "/org/freedesktop/DBus", "--method",
                    "org.freedesktop.DBus.NameHasOwner",
                    "org.gnome.evolution.dataserver.Sources5"], "evolution.log")
        return "true" in r.stdout

    def wait_for_sources(prefix, timeout=30):
        """The registry's sources once one of them starts with prefix."""
        deadline = time.monotonic() + timeout
        sources = {}
        while time.monotonic() < deadline and not any(u.startswith(prefix) for u in sources):
            time.sleep(0.3)
            sources = registry_sources() if registry_running() else {}
        return sources

    def registry_sources():
        """UID → key-file data of every source the running registry has."""
        r = client(["gdbus", "call", "--session", "--dest",
                    "org.gnome.evolution.dataserver.Sources5", "--object-path",
                    "/org/gnome/evolution/dataserver/SourceManager", "--method",
                    "org.freedesktop.DBus.ObjectManager.GetManagedObjects"], "evolution.log")
        assert r.returncode == 0, r.stderr
        return dict(re.findall(r"'UID': <'([^']+)'>, 'Data': <'((?:[^'\\]|\\.)*)'>", r.stdout))

    with t.case("Evolution: --apply writes its sources; no registry runs, so it says when "
                "they are read"):
        if not os.path.exists(REGISTRY):
            raise Skip("evolution-data-server is not installed")
        write(os.path.join(SOURCES, "bob.source"), BOB_SOURCE)
        out = apply("evolution")
        assert "reads the account when it next starts" in out, out
        assert len(glob.glob(os.path.join(SOURCES, "latchkey-*.source"))) == 3
        assert read(os.path.join(SOURCES, "bob.source")) == BOB_SOURCE

    with t.case("Evolution: the real evolution-source-registry loads them when it starts"):
        if not os.path.exists(REGISTRY):
            raise Skip("evolution-data-server is not installed")
        registry = Process([REGISTRY], log=os.path.join(LOGS, "registry.log"))
        sources = wait_for_sources("latchkey-alice")
        mine = {u: d for u, d in sources.items() if u.startswith("latchkey-alice")}
        assert len(mine) == 3, sorted(sources)
        assert any("BackendName=imapx" in d and "Host=localhost" in d for d in mine.values()), mine
        assert "bob" in sources, sorted(sources)

    with t.case("Evolution: a second account's --apply tells the running registry to reload"):
        if registry is None:
            raise Skip("no registry ran")
        out = apply("evolution", email=BOB)
        assert "Evolution read its accounts again" in out, out
        sources = wait_for_sources("latchkey-bob")
        assert len([u for u in sources if u.startswith("latchkey-bob")]) == 3, sorted(sources)
        assert len([u for u in sources if u.startswith("latchkey-alice")]) == 3, sorted(sources)

    with t.case("no token in any file --apply wrote, nor in the clients' logs and Maildirs"):
        hits = scan_for_secrets([HOME, LOGS],
                                skip=[os.path.join(HOME, ".local", "share", "keyrings")])
        assert not hits, hits
finally:
    if registry is not None:
        registry.close()
    idp.close()
    dovecot.close()

t.done()
