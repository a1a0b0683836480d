#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bridge's log in a real systemd-journald, as its units run it: each
login and each session's end is a journal entry with its LK_* fields
(doc/bridge.md, "Logging"), a wrong password is one too, nothing secret
reaches the journal even with every debug message on, and fail2ban's
journal backend finds the refusals with the filter Latchkey ships
(data/fail2ban/latchkey-bridge.conf).

There is no systemd here, so the test makes room for a journald of its own:
it runs in a mount namespace of its own (root, `unshare --mount`), where
empty tmpfs on /run/systemd, /run/log and /var/log/journal hold the
daemon's sockets and journals; nothing outside the namespace sees them. The
bridge's stderr is a stream to that journald, as systemd gives a unit, and
GLib's log writer then sends each entry with its fields over the journal's
native protocol.
"""
import os
import sys

if os.environ.get("LK_JOURNAL_NAMESPACE") != "1":
    if os.geteuid() != 0:
        print("1..0 # this test runs systemd-journald in a mount namespace: run it as root")
        sys.exit(1)
    os.environ["LK_JOURNAL_NAMESPACE"] = "1"
    os.execvp("unshare", ["unshare", "--mount", "--propagation", "private",
                          sys.executable, *sys.argv])

import ctypes
import imaplib
import json
import re
import signal
import smtplib
import socket
import subprocess
import time

from harness import (BUILD, CLI, SCRATCH, Bridge, Dovecot, Idp, Tap, add_with_browser, cli,
                     enable_bridge, jwt_marker, MARKERS, write_profile)

EMAIL = "alice@example.com"
BRIDGE = os.path.join(BUILD, "src", "bridge", "latchkey-bridge")
FILTER = os.path.join(os.environ["LK_SOURCE_ROOT"], "data", "fail2ban", "latchkey-bridge.conf")


def start_journald():
    # The sockets, the runtime journal (where entries stay until a flush)
    # and the persistent one: all empty, and gone with the namespace.
    for where in ("/run/systemd", "/run/log", "/var/log/journal"):
        os.makedirs(where, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", where], check=True)
    log = open(os.path.join(SCRATCH, "journald.log"), "w")
    # Killed with the test whatever ends it: its namespace must not outlive it.
    libc = ctypes.CDLL(None, use_errno=True)
    daemon = subprocess.Popen(["/lib/systemd/systemd-journald"], stdin=subprocess.DEVNULL,
                              stdout=log, stderr=log,
                              preexec_fn=lambda: libc.prctl(1, signal.SIGKILL))  # PR_SET_PDEATHSIG
    deadline = time.monotonic() + 20
    while not (os.path.exists("/run/systemd/journal/socket")
               and os.path.exists("/run/systemd/journal/stdout")):
        assert daemon.poll() is None, open(log.name).read()
        assert time.monotonic() < deadline, "systemd-journald made no socket in 20 s"
        time.sleep(0.05)
    return daemon


def journal_stream(identifier):
    """A stream to journald's stdout socket, as systemd connects a unit's
    stderr (the header: identifier, unit, priority, level prefix, and no
    forwarding to syslog, kmsg or the console)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/run/systemd/journal/stdout")
    s.sendall(f"{identifier}\n\n6\n0\n0\n0\n0\n".encode())
    s.shutdown(socket.SHUT_RD)
    return s


def entries(*match):
    r = subprocess.run(["journalctl", "--no-pager", "-o", "json", *match], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def wait_for_entries(what, condition, *match, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in entries(*match) if condition(e)]
        if found:
            return found
        assert time.monotonic() < deadline, f"no journal entry {what}: " + json.dumps(
            entries(*match)[-5:], indent=1)[-3000:]
        time.sleep(0.2)


t = Tap()
journald = start_journald()
dovecot = idp = None
bridge = None
stream = None
PASSWORD = None
WRONG = 3
try:
    dovecot = Dovecot()
    idp = Idp(*dovecot.idp_args())
    write_profile(idp, servers=dovecot.servers(), ca_file=dovecot.ca_file)
    with t.case("the bridge (latchkey-bridge, every debug message on) logs to journald"):
        r = add_with_browser(EMAIL, "--protocols", "imap,smtp")
        assert r.returncode == 0, r.stderr
        PASSWORD = enable_bridge(EMAIL)["password"]
        stream = journal_stream("latchkey-bridge")
        bridge = Bridge(program=[BRIDGE], stderr=stream.fileno(),
                        env=dict(os.environ, G_MESSAGES_DEBUG="all"))
        debug = wait_for_entries("at debug level", lambda e: e.get("PRIORITY") == "7",
                                 f"_PID={bridge.proc.pid}")
        assert debug[0].get("_TRANSPORT") == "journal", debug[0]

    connection = None
    with t.case("a login is an entry with its fields: connection, source address, protocol, "
                "user, account, result; priority notice, kept without debug"):
        m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=30)
        m.login(EMAIL, PASSWORD)
        m.select("INBOX")
        m.logout()
        (login,) = wait_for_entries("for the login", lambda e: e.get("LK_RESULT") == "ok",
                                    "GLIB_DOMAIN=latchkey-bridge", "LK_PROTOCOL=imap")
        assert login["LK_USER"] == EMAIL and login["LK_ACCOUNT"] == EMAIL, login
        assert login["LK_SOURCE_ADDRESS"] == "127.0.0.1", login
        assert login["PRIORITY"] == "5", login
        assert f"imap login as {EMAIL} from 127.0.0.1" in login["MESSAGE"], login
        connection = login["LK_CONNECTION"]
        assert re.fullmatch(r"c\d+", connection), login

    with t.case("the session's end is an entry with bytes each way and its duration"):
        assert connection is not None, "no login entry"
        ends = wait_for_entries("for the session's end", lambda e: "LK_DURATION_MS" in e,
                                f"LK_CONNECTION={connection}")
        end = ends[-1]
        assert int(end["LK_BYTES_IN"]) > 0 and int(end["LK_BYTES_OUT"]) > 0, end
        assert int(end["LK_DURATION_MS"]) >= 0 and end["LK_PROTOCOL"] == "imap", end

    with t.case(f"{WRONG} wrong passwords (IMAP, then SMTP) are {WRONG} entries, result "
                "refused, with the source address"):
        for attempt in range(WRONG):
            if attempt < WRONG - 1:
                m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=60)
                try:
                    m.login(EMAIL, "not-the-password")
                    raise AssertionError("a wrong password was accepted")
                except imaplib.IMAP4.error:
                    pass
                m.shutdown()
            else:
                with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=60) as s:
                    s.ehlo()
                    # One mechanism: login() would try PLAIN, then LOGIN.
                    s.user, s.password = EMAIL, "not-the-password"
                    try:
                        s.auth("PLAIN", s.auth_plain)
                        raise AssertionError("a wrong password was accepted")
                    except smtplib.SMTPAuthenticationError:
                        pass
        refused = wait_for_entries(
            "for the refusals", lambda e: e.get("LK_RESULT") == "refused",
            "GLIB_DOMAIN=latchkey-bridge")
        deadline = time.monotonic() + 20
        while len(refused) < WRONG and time.monotonic() < deadline:
            time.sleep(0.2)
            refused = [e for e in entries("GLIB_DOMAIN=latchkey-bridge")
                       if e.get("LK_RESULT") == "refused"]
        assert len(refused) == WRONG, refused
        assert {e["LK_PROTOCOL"] for e in refused} == {"imap", "smtp"}, refused
        assert all(e["LK_SOURCE_ADDRESS"] == "127.0.0.1" and e["LK_USER"] == EMAIL
                   for e in refused), refused

    with t.case("fail2ban's journal backend finds each refusal with the shipped filter"):
        # The filter matches the system unit (_SYSTEMD_UNIT=latchkey-bridge.
        # service), which has no unit here; the lines are what fail2ban reads
        # from the journal either way ("HOST latchkey-bridge[PID]: …").
        r = subprocess.run(["fail2ban-regex", "--journalmatch", "GLIB_DOMAIN=latchkey-bridge",
                            "--print-all-matched", "systemd-journal", FILTER],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
        hits = re.search(r"^Failregex: (\d+) total", r.stdout, re.M)
        assert hits and int(hits.group(1)) == WRONG, r.stdout[-3000:]
        assert r.stdout.count("127.0.0.1") >= WRONG, r.stdout[-3000:]

    with t.case("no password or token anywhere in the journal, every field of every entry"):
        token = cli("token", EMAIL).stdout.strip()
        assert token
        export = subprocess.run(["journalctl", "--no-pager", "-o", "export"],
                                capture_output=True, timeout=60).stdout
        assert b"LK_RESULT=ok" in export
        for secret in [PASSWORD, token, jwt_marker(), *MARKERS]:
            assert secret.encode() not in export, secret[:6] + "…"
finally:
    if bridge is not None:
        bridge.close()
    if stream is not None:
        stream.close()
    if idp is not None:
        idp.close()
    if dovecot is not None:
        dovecot.close()
    journald.terminate()
    journald.wait(timeout=20)
t.done()
