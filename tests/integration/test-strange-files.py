#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Nothing hangs on a strange file (issue #19 §4), with the real CLI and
GUI-free core: a FIFO, a socket or a device in the accounts folder, or given
to `export --output`, is refused at once, naming it, and `list` goes on with
the other accounts; a huge account file or profile is refused by size, not
read whole; Ctrl+C ends a command that waits for a refresh lock or for a slow
identity provider; a user profile that overrides a built-in one is said once
by `providers`."""
import os
import signal
import socket
import subprocess
import sys
import time

from harness import CLI, SCRATCH, Idp, Tap, add_with_browser, run, write_profile

t = Tap()
idp = Idp()
write_profile(idp)
accounts = os.path.join(os.environ["XDG_CONFIG_HOME"], "latchkey", "accounts")
providers = os.path.join(os.environ["XDG_CONFIG_HOME"], "latchkey", "providers")
EMAIL = "alice@example.com"


def cli(*args, timeout=20, **kw):
    start = time.monotonic()
    r = run([CLI, *args], timeout=timeout, **kw)
    r.took = time.monotonic() - start
    return r


def interrupted(args, wait_until, limit=5):
    """Starts the CLI, waits for @wait_until(), sends SIGINT like Ctrl+C,
    returns (exit status, stderr, seconds it took to end)."""
    p = subprocess.Popen([CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not wait_until():
        assert time.monotonic() < deadline and p.poll() is None, p.poll()
        time.sleep(0.05)
    time.sleep(0.3)
    start = time.monotonic()
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=limit + 30)
    finally:
        if p.poll() is None:
            p.kill()
    return p.returncode, out, err, time.monotonic() - start


try:
    with t.case("sign in two accounts"):
        for email in (EMAIL, "bob@example.com"):
            r = add_with_browser(email)
            assert r.returncode == 0, r.stderr

    strange = {}
    with t.case("a FIFO, a socket, a device and garbage in accounts/: list names them, goes on"):
        strange["fifo"] = os.path.join(accounts, "fifo@example.com.json")
        os.mkfifo(strange["fifo"], 0o600)
        strange["socket"] = os.path.join(accounts, "socket@example.com.json")
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(strange["socket"])
        strange["device"] = os.path.join(accounts, "device@example.com.json")
        os.symlink("/dev/zero", strange["device"])
        strange["garbage"] = os.path.join(accounts, "garbage@example.com.json")
        with open(strange["garbage"], "wb") as f:
            f.write(os.urandom(512))
        r = cli("list")
        assert r.returncode == 0, (r.returncode, r.stderr)
        assert r.took < 10, r.took
        assert EMAIL in r.stdout and "bob@example.com" in r.stdout, r.stdout
        for what, path in strange.items():
            assert path in r.stderr, (what, r.stderr)
        assert "not a regular file" in r.stderr, r.stderr

    with t.case("token and remove of a FIFO account do not hang"):
        r = cli("token", "fifo@example.com")
        assert r.took < 10 and r.returncode != 0 and r.stdout == "", (r.returncode, r.stderr)
        assert "not a regular file" in r.stderr, r.stderr
        r = cli("remove", "fifo@example.com")
        assert r.returncode == 0 and not os.path.exists(strange["fifo"]), r.stderr
        r = cli("remove", "socket@example.com")
        assert r.returncode == 0 and not os.path.exists(strange["socket"]), r.stderr
        listener.close()
        for what in ("device", "garbage"):
            os.unlink(strange[what])

    with t.case("export --output to a FIFO, a socket or a device is refused at once"):
        fifo = os.path.join(SCRATCH, "out.fifo")
        os.mkfifo(fifo)
        sock = os.path.join(SCRATCH, "out.sock")
        s2 = socket.socket(socket.AF_UNIX)
        s2.bind(sock)
        for target in (fifo, sock, "/dev/null"):
            for extra in ((), ("--force",)):
                r = cli("export", EMAIL, "--client", "msmtp", "--output", target, *extra)
                assert r.took < 10, (target, r.took)
                assert r.returncode == 1, (target, r.returncode, r.stderr)
                assert target in r.stderr and "not a regular file" in r.stderr, r.stderr
        s2.close()
        assert os.path.exists("/dev/null")

    with t.case("a 100 MB account file is refused by its size, not read whole"):
        big = os.path.join(accounts, "big@example.com.json")
        with open(big, "wb") as f:
            f.write(b'{"email": "big@example.com", "x": "')
            f.truncate(100 * 1024 * 1024)
        # A fresh Python whose only child is `list`: its RUSAGE_CHILDREN peak
        # (KiB) is that of `list` alone.
        peak = os.path.join(SCRATCH, "peak")
        measure = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[2:]); "
                   "open(sys.argv[1], 'w').write(str(resource.getrusage("
                   "resource.RUSAGE_CHILDREN).ru_maxrss)); sys.exit(r.returncode)")
        r = run([sys.executable, "-c", measure, peak, CLI, "list"], timeout=30)
        assert r.returncode == 0 and EMAIL in r.stdout, r.stderr
        assert big in r.stderr and "too large" in r.stderr, r.stderr
        kib = int(open(peak).read())
        assert kib < 64 * 1024, f"list grew to {kib} KiB"
        r = cli("token", "big@example.com")
        assert r.returncode != 0 and "too large" in r.stderr, r.stderr
        os.unlink(big)

    with t.case("a 2 MB profile is refused by its size, naming it"):
        os.makedirs(providers, exist_ok=True)
        huge = os.path.join(providers, "huge.json")
        with open(huge, "w") as f:
            f.write('{"id": "huge", "notes": "' + "x" * (2 * 1024 * 1024) + '"}')
        r = cli("providers")
        assert r.returncode == 0, r.stderr
        assert huge in r.stderr and "too large" in r.stderr, r.stderr
        os.unlink(huge)
        fifo = os.path.join(providers, "fifo.json")
        os.mkfifo(fifo)
        r = cli("providers")
        assert r.took < 10 and fifo in r.stderr and "not a regular file" in r.stderr, r.stderr
        os.unlink(fifo)

    with t.case("a user profile with a built-in id is said once by providers"):
        path = write_profile(idp, name="google")
        r = cli("providers")
        assert r.returncode == 0, r.stderr
        said = [line for line in r.stderr.splitlines() if "built-in" in line]
        assert len(said) == 1 and path in said[0] and "“google”" in said[0], r.stderr
        os.unlink(path)
        assert "built-in" not in cli("providers").stderr

    # -- Ctrl+C ----------------------------------------------------------------
    with t.case("Ctrl+C at a slow identity provider: finishing is said, a second Ctrl+C ends it"):
        # The request may already have rotated the refresh token, so the
        # first Ctrl+C finishes it (test-faults-idp.py checks what is kept);
        # the person is told, and a second Ctrl+C ends the program there.
        idp.control("fault", {"endpoint": "token", "kind": "slow", "delay_ms": 20000})
        n = idp.count("token:refresh_token")
        err_path = os.path.join(SCRATCH, "ctrl-c.err")
        p = subprocess.Popen([CLI, "token", EMAIL, "--force-refresh"], stdout=subprocess.PIPE,
                             stderr=open(err_path, "w"), text=True)
        try:
            deadline = time.monotonic() + 20
            while idp.count("token:refresh_token") == n:
                assert time.monotonic() < deadline and p.poll() is None
                time.sleep(0.05)
            p.send_signal(signal.SIGINT)
            deadline = time.monotonic() + 3
            while "Ctrl+C again" not in open(err_path).read():
                assert time.monotonic() < deadline, open(err_path).read()
                time.sleep(0.05)
            start = time.monotonic()
            p.send_signal(signal.SIGINT)
            status = p.wait(timeout=30)
            assert time.monotonic() - start < 2, time.monotonic() - start
            assert status == 130, status
            assert p.stdout.read() == ""
            assert "stopped at once" in open(err_path).read()
        finally:
            if p.poll() is None:
                p.kill()
        idp.control("clear-faults", {})
        time.sleep(0.5)

    with t.case("Ctrl+C ends a token command waiting for another's refresh lock"):
        idp.control("fault", {"endpoint": "token", "kind": "slow", "delay_ms": 8000})
        n = idp.count("token:refresh_token")
        holder = subprocess.Popen([CLI, "token", EMAIL, "--force-refresh"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while idp.count("token:refresh_token") == n:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            status, out, err, took = interrupted(["token", EMAIL, "--force-refresh"],
                                                 lambda: True)
            assert took < 5, took
            assert status != 0 and out == "", (status, out)
        finally:
            holder.wait(timeout=60)
        assert holder.returncode == 0
        idp.control("clear-faults", {})
finally:
    idp.close()

t.done()
