#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults on the user's own machine and secrets hygiene: the keyring going
away between calls, a full disk or read-only folder while an account is
saved, a mail server that hangs up mid-AUTH or never stops talking, where
the loopback receiver listens, and that no test token lands in a log, a temp
file or an exported file even with G_MESSAGES_DEBUG=all. Runs in
tests/lk-test-session.sh against lk-test-idp, gnome-keyring and Chromium."""
import json
import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time
import urllib.parse

from harness import (CLI, SCRATCH, Idp, Process, Skip, Tap, browse, keyring_daemons, run,
                     scan_for_secrets, secret_tool_lookup, start_keyring, stop_keyring,
                     write_profile)

# Every program this file runs logs everything it would ever log.
os.environ["G_MESSAGES_DEBUG"] = "all"
# Temp files of Latchkey's programs land where they can be scanned.
TMP = os.path.join(SCRATCH, "tmp")
os.makedirs(TMP, exist_ok=True)
os.environ["TMPDIR"] = TMP
CLI_LOG = os.path.join(SCRATCH, "cli-output.log")

t = Tap()
idp = Idp("--token-size", "1500")
write_profile(idp)
accounts_dir = os.path.join(os.environ["XDG_CONFIG_HOME"], "latchkey", "accounts")
EMAIL = "alice@example.com"
seen = []


def cli(*args, **kw):
    """latchkey-cli, its output kept for the secrets scan."""
    r = run([CLI, *args], **kw)
    # What `token` prints on stdout is the token, by design; all the rest
    # (its stderr too) must hold none.
    out = "" if args[0] == "token" else r.stdout
    with open(CLI_LOG, "a") as f:
        f.write(f"$ latchkey-cli {' '.join(args)}\n{out}{r.stderr}\n")
    return r


def sign_in(command, email, *extra, wrap=(), preexec=None):
    """`latchkey-cli add|login --no-browser` with Chromium following the
    link; @wrap runs the CLI under another program (unshare)."""
    p = subprocess.Popen([*wrap, CLI, command, email, "--no-browser", *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=preexec)
    url = p.stdout.readline().strip()
    assert url.startswith("http"), (url, p.stderr.read() if p.poll() is not None else "")
    browse(url)
    out, err = p.communicate(timeout=60)
    with open(CLI_LOG, "a") as f:
        f.write(f"$ latchkey-cli {command} {email}\n{out}{err}\n")
    return subprocess.CompletedProcess(p.args, p.returncode, url + "\n" + out, err)


def unshare_works():
    r = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt"],
                       capture_output=True)
    return r.returncode == 0


def account_file(email):
    return os.path.join(accounts_dir, email + ".json")


class MailFaultServer:
    """A plain-text IMAP or SMTP server on loopback that misbehaves on cue:
    `drop` hangs up when the client starts AUTH, `flood` answers AUTH with
    endless untagged lines, `longline` with one line that never ends."""

    def __init__(self, protocol):
        self.protocol = protocol
        self.mode = "drop"
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.auth_lines = []
        self.closed = False
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn):
        f = conn.makefile("rwb", buffering=0)
        try:
            if self.protocol == "imap":
                f.write(b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER] ready\r\n")
            else:
                f.write(b"220 faults.test ESMTP ready\r\n")
            for line in f:
                words = line.split()
                if not words:
                    continue
                if self.protocol == "imap":
                    tag, cmd = words[0], words[1].upper() if len(words) > 1 else b""
                    if cmd == b"CAPABILITY":
                        f.write(b"* CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER\r\n"
                                + tag + b" OK done\r\n")
                        continue
                    if cmd == b"LOGOUT":
                        f.write(b"* BYE\r\n" + tag + b" OK bye\r\n")
                        return
                    if cmd != b"AUTHENTICATE":
                        f.write(tag + b" BAD unknown\r\n")
                        continue
                else:
                    cmd = words[0].upper()
                    if cmd in (b"EHLO", b"HELO"):
                        f.write(b"250-faults.test\r\n250-AUTH XOAUTH2 OAUTHBEARER\r\n"
                                b"250 8BITMIME\r\n")
                        continue
                    if cmd == b"QUIT":
                        f.write(b"221 bye\r\n")
                        return
                    if cmd != b"AUTH":
                        f.write(b"502 unknown\r\n")
                        continue
                self.auth_lines.append(line)
                self.misbehave(f)
                return
        except OSError:
            pass
        finally:
            conn.close()

    def misbehave(self, f):
        deadline = time.monotonic() + 120
        if self.mode == "drop":
            return
        if self.mode == "flood":
            line = (b"* OK still thinking " + b"x" * 100 + b"\r\n") if self.protocol == "imap" \
                else b"250-still thinking " + b"x" * 100 + b"\r\n"
            chunk = line * 100
            while time.monotonic() < deadline and not self.closed:
                f.write(chunk)
        if self.mode == "longline":
            f.write(b"* OK " if self.protocol == "imap" else b"334 ")
            chunk = b"A" * 65536
            while time.monotonic() < deadline and not self.closed:
                f.write(chunk)

    def close(self):
        self.closed = True
        self.sock.close()


servers = {}
try:
    with t.case("sign in first"):
        r = sign_in("add", EMAIL)
        assert r.returncode == 0, r.stderr
        r = cli("token", EMAIL)
        assert r.returncode == 0, r.stderr
        # With G_MESSAGES_DEBUG=all too, stdout is the token and nothing else.
        assert r.stdout.count("\n") == 1 and " " not in r.stdout.strip(), \
            r.stdout.count("\n")   # never the token in the test's output
        seen.append(r.stdout.strip())

    # -- the keyring going away --------------------------------------------
    with t.case("keyring stopped between calls: token exits 4 and says to start the keyring"):
        assert keyring_daemons(), "no gnome-keyring-daemon on this bus"
        stop_keyring()
        # The bus may start a fresh daemon on demand (D-Bus activation);
        # without the password its keyring stays locked.
        start = time.monotonic()
        r = cli("token", EMAIL, timeout=60)
        assert r.returncode == 4, (r.returncode, r.stdout, r.stderr)
        assert time.monotonic() - start < 30
        assert r.stdout == ""
        assert "keyring" in r.stderr.lower(), r.stderr
        assert "Traceback" not in r.stderr and "CRITICAL" not in r.stderr, r.stderr
        r = cli("list")
        assert EMAIL in r.stdout, (r.stdout, r.stderr)

    with t.case("keyring started again with its password: token works with the same item"):
        stop_keyring()   # a daemon the bus may have started, locked
        start_keyring()
        r = cli("token", EMAIL)
        assert r.returncode == 0, (r.returncode, r.stderr)
        assert r.stdout.strip() == seen[-1]
        assert "needs sign-in" not in cli("list").stdout

    # -- a full disk, a read-only folder -------------------------------------
    have_namespaces = unshare_works()

    def login_in_namespace(setup):
        """login EMAIL in a mount namespace where @setup (shell) has made
        the accounts folder unwritable; returns (result, file after)."""
        after = os.path.join(SCRATCH, "after.json")
        if os.path.exists(after):
            os.unlink(after)
        script = (f"set -e; d='{accounts_dir}'; {setup}; set +e; "
                  f"\"$@\"; s=$?; cp \"$d/{EMAIL}.json\" '{after}'; exit $s")
        r = sign_in("login", EMAIL, wrap=["unshare", "-m", "sh", "-c", script, "sh"])
        return r, open(after).read() if os.path.exists(after) else None

    with t.case("disk full while login saves the account: the old file stays, "
                "a clear error"):
        if not have_namespaces:
            raise Skip("no mount namespaces here (unshare -m with tmpfs)")
        before = open(account_file(EMAIL)).read()
        # A 64 KiB tmpfs over the accounts folder, holding the old file,
        # then filled to the last byte: a genuine ENOSPC.
        setup = ("mkdir -p /tmp/lk-acc && cp -a \"$d/.\" /tmp/lk-acc/ && "
                 "mount -t tmpfs -o size=64k,mode=0700 tmpfs \"$d\" && cp -a /tmp/lk-acc/. \"$d/\" && "
                 "rm -rf /tmp/lk-acc && "
                 "(dd if=/dev/zero of=\"$d/.fill\" bs=1k 2>/dev/null || true)")
        r, after = login_in_namespace(setup)
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert "No space left on device" in r.stderr, r.stderr
        assert accounts_dir in r.stderr or EMAIL in r.stderr, r.stderr
        assert after == before, "the account file changed"
        assert open(account_file(EMAIL)).read() == before
        assert cli("token", EMAIL).returncode == 0

    with t.case("read-only accounts folder while login saves: the old file stays, a clear error"):
        if not have_namespaces:
            raise Skip("no mount namespaces here (unshare -m)")
        before = open(account_file(EMAIL)).read()
        r, after = login_in_namespace("mount --bind \"$d\" \"$d\" && mount -o remount,ro,bind \"$d\"")
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert "Read-only file system" in r.stderr, r.stderr
        assert after == before
        assert cli("token", EMAIL).returncode == 0

    with t.case("file size limit (RLIMIT_FSIZE) while login saves: the old file stays"):
        before = open(account_file(EMAIL)).read()

        def limit():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))

        r = sign_in("login", EMAIL, preexec=limit)
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert "File too large" in r.stderr, r.stderr
        assert open(account_file(EMAIL)).read() == before
        assert [f for f in os.listdir(accounts_dir) if not f.endswith(".json")] == [], \
            os.listdir(accounts_dir)
        assert cli("token", EMAIL).returncode == 0

    # -- mail servers that misbehave ----------------------------------------
    for protocol in ("imap", "smtp"):
        servers[protocol] = MailFaultServer(protocol)
    write_profile(idp, name="mailfaults", domains=("contoso.com",),
                  servers={"imap": {"host": "127.0.0.1", "port": servers["imap"].port,
                                    "security": "none"},
                           "smtp": {"host": "127.0.0.1", "port": servers["smtp"].port,
                                    "security": "none"}})
    MAIL = "bob@contoso.com"

    with t.case("sign in an account whose mail servers misbehave"):
        r = sign_in("add", MAIL, "--provider", "mailfaults", "--protocols", "imap,smtp")
        assert r.returncode == 0, r.stderr
        seen.append(cli("token", MAIL).stdout.strip())

    for mode, limit_s in (("drop", 20), ("flood", 75), ("longline", 75)):
        for protocol in ("imap", "smtp"):
            with t.case(f"test: a {protocol.upper()} server that {mode}s mid-AUTH: a failure "
                        "in time, no crash, no token shown"):
                server = servers[protocol]
                server.mode = mode
                n = len(server.auth_lines)
                start = time.monotonic()
                r = cli("test", MAIL, "--protocol", protocol, "--transcript", timeout=120)
                took = time.monotonic() - start
                assert len(server.auth_lines) > n, "the client never started AUTH"
                assert r.returncode not in (0, -6, -11) and r.returncode > 0, \
                    (r.returncode, r.stderr)
                assert took < limit_s, took
                assert "✗" in r.stdout, r.stdout
                for tok in seen:
                    assert tok not in r.stdout + r.stderr
                    assert tok[:40] not in r.stdout + r.stderr
                assert len(r.stdout) < 256 * 1024, len(r.stdout)
                assert "failing" in cli("list").stdout

    # -- where the loopback receiver listens ---------------------------------
    with t.case("the loopback receiver listens on 127.0.0.1 or ::1 only"):
        p = Process([CLI, "add", "carol@example.com", "--no-browser"],
                    log=os.path.join(SCRATCH, "carol.log"))
        try:
            url = p.readline().strip()
            redirect = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["redirect_uri"][0]
            port = urllib.parse.urlsplit(redirect).port
            inodes = set()
            for fd in os.listdir(f"/proc/{p.proc.pid}/fd"):
                try:
                    target = os.readlink(f"/proc/{p.proc.pid}/fd/{fd}")
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
            listening = []
            for table in ("/proc/net/tcp", "/proc/net/tcp6"):
                with open(table) as f:
                    next(f)
                    for line in f:
                        cols = line.split()
                        if cols[3] == "0A" and cols[9] in inodes:   # LISTEN, ours
                            listening.append((table, cols[1]))
            assert listening, "the receiver is not listening"
            loopback = {"0100007F", "00000000000000000000000001000000"}
            for table, local in listening:
                addr, hexport = local.split(":")
                assert addr in loopback, (table, local)
                assert int(hexport, 16) == port, (local, port)
            r = run(["ss", "-ltnH", f"sport = :{port}"])
            for line in r.stdout.splitlines():
                local = line.split()[3]
                assert local.startswith(("127.0.0.1:", "[::1]:")), line
            browse(url)
            assert p.proc.wait(timeout=30) == 0
        finally:
            p.close()

    # -- secrets hygiene ----------------------------------------------------
    with t.case("exported files and every file holding account data are 0600"):
        exports = os.path.join(SCRATCH, "exports")
        for client in ("msmtp", "mbsync", "neomutt", "fetchmail", "aerc"):
            out = os.path.join(exports, client)
            r = cli("export", EMAIL, "--client", client, "--output", out)
            if r.returncode != 0:
                continue   # a client the account's protocols do not suit
            assert oct(os.stat(out).st_mode & 0o777) == "0o600", (client, oct(os.stat(out).st_mode))
        assert os.listdir(exports), "nothing exported"
        r = cli("token", EMAIL, "--force-refresh")   # takes the refresh lock
        assert r.returncode == 0, r.stderr
        seen.append(r.stdout.strip())
        sensitive = [accounts_dir, os.path.join(os.environ["XDG_RUNTIME_DIR"], "latchkey")]
        checked = 0
        for folder in sensitive:
            assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
            for name in os.listdir(folder):
                mode = stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode)
                assert mode == 0o600, (name, oct(mode))
                checked += 1
        assert checked >= 4, checked   # 3 account files, a lock file

    with t.case("G_MESSAGES_DEBUG=all: no token in any log, temp file, export or HOME"):
        st = idp.stats()
        extra = seen + [st["last_access_token"], st["last_refresh_token_used"]]
        extra += list(st["last_refresh_token_issued"].values())
        keyrings = os.path.join(os.environ["HOME"], ".local", "share", "keyrings")
        # The IdP's own log may name what it issued; it is a peer, not us.
        hits = scan_for_secrets([SCRATCH, os.environ["HOME"]], extra=extra,
                                skip=[keyrings, os.path.join(SCRATCH, "idp.log")])
        hits = [h for h in hits if not h[0].endswith("/idp.log")]
        assert not hits, hits
        # The scan itself must be able to fail: the debug output was there.
        assert "DEBUG" in open(CLI_LOG).read() or "latchkey" in open(CLI_LOG).read()
finally:
    for s in servers.values():
        s.close()
    idp.close()

t.done()
