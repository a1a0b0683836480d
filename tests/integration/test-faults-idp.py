#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The identity provider misbehaves, or latchkey-cli dies mid-refresh:
nothing a person saved is lost. Against lk-test-idp (faults through
/_control/fault), the real gnome-keyring and headless Chromium. Runs in
tests/lk-test-session.sh."""
import concurrent.futures
import hashlib
import json
import os
import signal
import subprocess
import time

from harness import (BUILD, CLI, GUI, SCRATCH, Dovecot, Idp, Process, Skip, Tap,
                     add_with_browser, cli, run, secret_tool_lookup, write_profile)

t = Tap()
# Dovecot checks the token the real GUI gets in the last case.
dovecot = Dovecot()
idp = Idp("--token-size", "1500", *dovecot.idp_args())
write_profile(idp, servers=dovecot.servers(), ca_file=dovecot.ca_file)
accounts_dir = os.path.join(os.environ["XDG_CONFIG_HOME"], "latchkey", "accounts")
EMAIL = "alice@example.com"
# What lk-http gives up after (LK_HTTP_DEFAULT_TOTAL_TIMEOUT), plus a margin.
HTTP_TIMEOUT = 30
SLOWER_THAN_US = (HTTP_TIMEOUT + 10) * 1000


def stored():
    return json.loads(secret_tool_lookup(EMAIL))


def expire_access_token():
    """Makes the stored access token one that must be refreshed."""
    item = stored()
    item["expires_at"] = int(time.time()) + 30
    run(["secret-tool", "store", f"--label=Latchkey: {EMAIL}", "xdg:schema",
         "io.github.latchkey.Token", "account", EMAIL, "version", "1"],
        input=json.dumps(item), check=True)


def issued_to(email):
    """The access token the IdP last issued to email. Not its global last
    one: the slow sign-in of add-slow@example.com above is still answered
    (late, to a caller that gave up), which may come during a later case."""
    return idp.stats()["last_access_token_issued"][email]


def fault(kind, **kw):
    idp.control("fault", dict({"endpoint": "token", "kind": kind, "count": 1}, **kw))


def assert_saved_nothing(email):
    assert not os.path.exists(os.path.join(accounts_dir, email + ".json")), os.listdir(accounts_dir)
    assert secret_tool_lookup(email) is None


# (kind, extra, expected exit status of `token`, words the message has)
BAD_ANSWERS = [
    ("http500", {}, 1, "500"),
    ("malformed-json", {}, 1, "answer"),
    ("oversized", {}, 1, "large"),
    ("missing-field", {"field": "access_token"}, 1, "access token"),
]

try:
    with t.case("sign in first"):
        r = add_with_browser(EMAIL)
        assert r.returncode == 0, r.stderr

    for n, (kind, extra, status, words) in enumerate(BAD_ANSWERS):
        with t.case(f"add: the IdP answers the code exchange with {kind}: nothing saved, said why"):
            email = f"add-{kind}@example.com"
            fault(kind, **extra)
            r = add_with_browser(email)
            assert r.returncode == status, (r.returncode, r.stderr)
            assert words.lower() in r.stderr.lower(), r.stderr
            assert "Traceback" not in r.stderr and "CRITICAL" not in r.stderr, r.stderr
            assert_saved_nothing(email)

        with t.case(f"token: a refresh answered with {kind}: exit {status}, the old "
                    "refresh token still stored and still working"):
            expire_access_token()
            before = stored()["refresh_token"]
            fault(kind, **extra)
            r = cli("token", EMAIL)
            assert r.returncode == status, (r.returncode, r.stderr)
            assert r.stdout == ""
            assert words.lower() in r.stderr.lower(), r.stderr
            assert "login" not in r.stderr, "a provider fault is not a reason to sign in again"
            assert stored()["refresh_token"] == before
            assert "needs sign-in" not in cli("list").stdout
            r = cli("token", EMAIL)
            assert r.returncode == 0, r.stderr
            assert stored()["refresh_token"] != before
            assert idp.stats()["last_refresh_token_used"] == before

    with t.case("token: expires_in as a string is accepted as the number it spells"):
        expire_access_token()
        fault("expires-in-string")
        r = cli("token", EMAIL)
        assert r.returncode == 0, r.stderr
        left = stored()["expires_at"] - time.time()
        assert 3000 < left < 6000, left

    with t.case("add: expires_in as a string saves the account"):
        fault("expires-in-string")
        r = add_with_browser("add-string@example.com")
        assert r.returncode == 0, r.stderr
        assert secret_tool_lookup("add-string@example.com") is not None

    with t.case("token: an IdP slower than our timeout: exit 5 within the timeout, "
                "nothing lost, the next call works"):
        expire_access_token()
        before = stored()["refresh_token"]
        fault("slow", delay_ms=SLOWER_THAN_US)
        start = time.monotonic()
        r = cli("token", EMAIL, timeout=HTTP_TIMEOUT + 30)
        took = time.monotonic() - start
        assert r.returncode == 5, (r.returncode, r.stderr)
        assert took < HTTP_TIMEOUT + 8, took
        assert "did not answer" in r.stderr, r.stderr
        assert stored()["refresh_token"] == before
        r = cli("token", EMAIL)
        assert r.returncode == 0, r.stderr

    with t.case("add: an IdP slower than our timeout: exit 5, nothing saved"):
        fault("slow", delay_ms=SLOWER_THAN_US)
        r = add_with_browser("add-slow@example.com", timeout=HTTP_TIMEOUT + 30)
        assert r.returncode == 5, (r.returncode, r.stderr)
        assert "did not answer" in r.stderr, r.stderr
        assert_saved_nothing("add-slow@example.com")

    with t.case("token: the IdP unreachable: exit 5, the refresh token kept"):
        expire_access_token()
        before = stored()["refresh_token"]
        # The account keeps a snapshot of its provider profile.
        profile = os.path.join(accounts_dir, EMAIL + ".json")
        saved = open(profile).read()
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
        s.close()
        with open(profile, "w") as f:
            f.write(saved.replace(idp.base, f"http://127.0.0.1:{dead}"))
        try:
            r = cli("token", EMAIL)
        finally:
            with open(profile, "w") as f:
                f.write(saved)
        assert r.returncode == 5, (r.returncode, r.stderr)
        assert "127.0.0.1" in r.stderr, r.stderr
        assert stored()["refresh_token"] == before
        assert cli("token", EMAIL).returncode == 0

    def kill_mid_refresh(sig=signal.SIGKILL):
        """Starts token --force-refresh against a slow IdP and kills it
        with @sig while the request is at the IdP."""
        before = stored()["refresh_token"]
        n = idp.count("token:refresh_token")
        fault("slow", delay_ms=1500)
        global killed_stderr
        killed_stderr = os.path.join(SCRATCH, f"killed-{sig.name}.err")
        p = subprocess.Popen([CLI, "token", EMAIL, "--force-refresh"],
                             stdout=subprocess.DEVNULL, stderr=open(killed_stderr, "w"))
        deadline = time.monotonic() + 20
        while idp.count("token:refresh_token") == n:
            assert time.monotonic() < deadline, "the refresh never reached the IdP"
            time.sleep(0.02)
        p.send_signal(sig)
        p.wait(timeout=30)
        # The IdP answers its (dead) caller after the delay; on a loaded
        # machine that can take a while, so wait for it rather than guess.
        deadline = time.monotonic() + 10
        while idp.stats()["last_refresh_token_used"] != before and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)
        return before

    with t.case("kill -9 during a refresh: the account still works and its refresh "
                "token is one the IdP accepts"):
        before = kill_mid_refresh()
        st = idp.stats()
        after = stored()["refresh_token"]
        # The IdP may have rotated the token for the dead process: Microsoft
        # keeps the old one valid, so the stored one still works.
        assert after == before
        print(f"# IdP processed the killed refresh: {st['last_refresh_token_used'] == before}",
              flush=True)
        r = cli("token", EMAIL, "--force-refresh")
        assert r.returncode == 0, r.stderr
        assert idp.stats()["last_refresh_token_used"] == before
        assert "needs sign-in" not in cli("list").stdout

    with t.case("kill -9 during a refresh with single-use refresh tokens: what survives"):
        idp.control("config", {"single_use_refresh_tokens": True})
        try:
            before = kill_mid_refresh()
            st = idp.stats()
            rotated = st["last_refresh_token_used"] == before
            assert stored()["refresh_token"] == before
            r = cli("token", EMAIL, "--force-refresh")
            if rotated:
                # The IdP burnt the stored token answering a process that
                # was dead before it could save the new one: the user must
                # sign in again, and is told so (exit 3), not left guessing.
                print("# the IdP rotated for the killed process: the stored refresh token "
                      "is burnt", flush=True)
                assert r.returncode == 3, (r.returncode, r.stderr)
                assert "latchkey-cli login" in r.stderr
            else:
                assert r.returncode == 0, r.stderr
        finally:
            idp.control("config", {"single_use_refresh_tokens": False})
        if rotated:
            # Sign in again so that the rest of the file has an account.
            from harness import browse
            p = subprocess.Popen([CLI, "login", EMAIL, "--no-browser"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            browse(p.stdout.readline().strip())
            assert p.wait(timeout=30) == 0

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        with t.case(f"{sig.name} during a refresh with single-use refresh tokens: nothing is "
                    "lost, a rotated token is saved before the process ends"):
            idp.control("config", {"single_use_refresh_tokens": True})
            try:
                # Start from a refresh token the IdP has just issued and we
                # have stored (the case before may have signed in again).
                r = cli("token", EMAIL, "--force-refresh")
                assert r.returncode == 0, r.stderr
                assert stored()["refresh_token"] == idp.stats()["last_refresh_token_issued"][EMAIL]
                before = kill_mid_refresh(sig)
                st = idp.stats()
                said = open(killed_stderr).read()[-500:]
                now = stored()["refresh_token"]
                if now != before:
                    # The refresh finished before the process ended: what it
                    # stored is the newest token the IdP issued.
                    assert now == st["last_refresh_token_issued"][EMAIL], said
                else:
                    # Abandoned before the IdP answered (seen under load and
                    # under `timeout`): the old token is kept.
                    print(f"# {sig.name}: the refresh was abandoned; the old token is kept",
                          flush=True)
                # Either way what is stored is live: with single-use refresh
                # tokens a burnt one would fail the refresh below.
                assert "nothing was lost" in said or said == "", said
                r = cli("token", EMAIL, "--force-refresh")
                assert r.returncode == 0, r.stderr
            finally:
                idp.control("config", {"single_use_refresh_tokens": False})

    with t.case("two token-manager processes (the GUI's code, lk-refresh-client) and several "
                "CLIs on an expired token: one refresh at the IdP, every one gets the new token"):
        expire_access_token()
        n = idp.count("token:refresh_token")
        fault("slow", delay_ms=800)   # so that they all meet the refresh in flight
        client = os.path.join(BUILD, "tests", "integration", "lk-refresh-client")
        jobs = [[client, EMAIL, "3"], [client, EMAIL, "3"]] + [[CLI, "token", EMAIL]] * 8
        with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
            results = list(pool.map(run, jobs))
        assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
        assert idp.count("token:refresh_token") == n + 1
        token = issued_to(EMAIL)
        digest = hashlib.sha256(token.encode()).hexdigest()
        for r in results[:2]:
            assert r.stdout.split() == [digest] * 3, r.stdout
        for r in results[2:]:
            assert r.stdout == token + "\n"
        assert stored()["access_token"] == token

    with t.case("the real GUI, launched twice, and CLIs on an expired token: one GUI process, "
                "one refresh at the IdP, the GUI's test signs in at Dovecot"):
        if not (os.environ.get("DISPLAY") and os.access(GUI, os.X_OK)):
            raise Skip("no display, or the GUI is not built")
        APP_ID = "io.github.latchkey.Latchkey"

        def gui_on_bus():
            r = run(["gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                     "--object-path", "/org/freedesktop/DBus", "--method",
                     "org.freedesktop.DBus.NameHasOwner", APP_ID])
            return "true" in r.stdout

        def account():
            return json.load(open(os.path.join(accounts_dir, EMAIL + ".json")))

        env = dict(os.environ, LATCHKEY_CLI=CLI, GTK_A11Y="none")
        gui = Process([GUI], env=env, log=os.path.join(SCRATCH, "gui.log"))
        try:
            deadline = time.monotonic() + 30
            while not gui_on_bus():
                assert time.monotonic() < deadline, open(os.path.join(SCRATCH, "gui.log")).read()
                time.sleep(0.2)
            # A second start hands over to the first and ends: two GUIs
            # of one session are always one process.
            second = subprocess.run([GUI], env=env, capture_output=True, text=True,
                                    timeout=30)
            assert second.returncode == 0, second.stderr
            assert gui.proc.poll() is None, "the first GUI ended"
            tested_before = account().get("last_tested", 0)
            token_before = stored()["access_token"]
            expire_access_token()
            n = idp.count("token:refresh_token")
            fault("slow", delay_ms=800)
            jobs = [["gdbus", "call", "--session", "--dest", APP_ID, "--object-path",
                     "/io/github/latchkey/Latchkey", "--method",
                     "org.freedesktop.Application.ActivateAction", "test",
                     f"[<'{EMAIL}'>]", "{}"]] + [[CLI, "token", EMAIL]] * 6
            with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
                results = list(pool.map(run, jobs))
            assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
            # The GUI's probes finish and record the verdict in the account file.
            deadline = time.monotonic() + 60
            while account().get("last_tested", 0) == tested_before:
                assert time.monotonic() < deadline, "the GUI never tested the account"
                time.sleep(0.2)
            assert account()["state"] == "working", account()
            assert idp.count("token:refresh_token") == n + 1
            token = issued_to(EMAIL)

            token_stored = stored()["access_token"]

            def printed(r):
                # Which token a CLI printed, said without printing tokens.
                if r.stdout == token + "\n":
                    return "the new token"
                if r.stdout == token_before + "\n":
                    return "the token from before the refresh"
                if r.stdout == token_stored + "\n":
                    return "the stored token, which is not the IdP's last for this account"
                return f"something else ({len(r.stdout)} bytes; stderr {r.stderr!r})"
            assert all(r.stdout == token + "\n" for r in results[1:]), \
                ([printed(r) for r in results[1:]],
                 f"{len({r.stdout for r in results[1:]})} different outputs",
                 "the IdP counted: " + json.dumps(idp.stats()["counts"]))
            assert stored()["access_token"] == token
            # Quit as a person would, so that the GUI ends by itself (and,
            # under the sanitizers, LeakSanitizer checks it).
            r = run(["gdbus", "call", "--session", "--dest", APP_ID, "--object-path",
                     "/io/github/latchkey/Latchkey", "--method",
                     "org.freedesktop.Application.ActivateAction", "quit", "[]", "{}"])
            assert r.returncode == 0, r.stderr
            assert gui.proc.wait(timeout=60) == 0, gui.proc.returncode
        finally:
            gui.close()
finally:
    idp.close()
    dovecot.close()

t.done()
