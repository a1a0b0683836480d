#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A removed account leaves no secret (issue #19 §2), with the real CLI,
gnome-keyring, the test IdP and Chromium. After every sequence,
`secret-tool search account ADDRESS` finds nothing:
- `remove` while a refresh is running waits for it and then removes what
  the refresh stored;
- `remove` with the keyring locked says "unlock your keyring", exits 4 and
  keeps the account file; once unlocked, it removes both;
- `add` whose account file cannot be written leaves no keyring item;
- `remove` clears whatever is left of an address: a damaged file and its
  item, an item without a file, a file without an item."""
import json
import os
import subprocess
import time

from harness import (CLI, SCRATCH, Idp, Skip, Tap, add_with_browser, browse, lock_keyring, run,
                     secret_tool_search, unlock_keyring, write_profile)

t = Tap()
idp = Idp()
write_profile(idp)
accounts = os.path.join(os.environ["XDG_CONFIG_HOME"], "latchkey", "accounts")


def account_file(email):
    return os.path.join(accounts, email + ".json")


def cli(*args, **kw):
    return run([CLI, *args], **kw)


def add(email):
    r = add_with_browser(email)
    assert r.returncode == 0, r.stderr
    assert secret_tool_search(email), "add stored no keyring item"
    assert os.path.exists(account_file(email))


def nothing_left(email):
    found = secret_tool_search(email)
    assert found == "", f"secret-tool search account {email} still finds:\n{found}"
    assert not os.path.exists(account_file(email)), os.listdir(accounts)


try:
    with t.case("remove during a refresh waits for it and leaves no secret behind"):
        email = "race@example.com"
        add(email)
        n = idp.count("token:refresh_token")
        idp.control("fault", {"endpoint": "token", "kind": "slow", "delay_ms": 4000})
        refresh = subprocess.Popen([CLI, "token", email, "--force-refresh"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while idp.count("token:refresh_token") == n:   # the refresh holds the lock now
            assert time.monotonic() < deadline, "the refresh never reached the IdP"
            time.sleep(0.05)
        r = cli("remove", email, timeout=60)
        refresh.communicate(timeout=60)
        assert r.returncode == 0, (r.returncode, r.stderr)
        assert refresh.returncode is not None
        nothing_left(email)
        r = cli("token", email)
        assert r.returncode != 0 and r.stdout == "", (r.returncode, r.stdout)
        r = cli("remove", email)
        assert r.returncode == 1 and "There is no account" in r.stderr, r.stderr
        idp.control("clear-faults", {})

    with t.case("remove with the keyring locked: exit 4, 'unlock your keyring', the file kept"):
        email = "locked@example.com"
        add(email)
        before = open(account_file(email)).read()
        lock_keyring()
        try:
            r = cli("remove", email, timeout=60)
            assert r.returncode == 4, (r.returncode, r.stderr)
            assert "nlock your keyring" in r.stderr, r.stderr
            assert "Removed" not in r.stderr, r.stderr
            assert open(account_file(email)).read() == before
            assert email in cli("list").stdout
        finally:
            unlock_keyring()
        r = cli("remove", email)
        assert r.returncode == 0, (r.returncode, r.stderr)
        nothing_left(email)

    with t.case("add into a read-only accounts folder leaves no keyring item"):
        email = "readonly@example.com"
        os.makedirs(accounts, exist_ok=True)
        r = run(["unshare", "-m", "true"])
        if r.returncode != 0:
            raise Skip("no mount namespaces here (unshare -m)")
        script = (f"mount --bind '{accounts}' '{accounts}' && "
                  f"mount -o remount,ro,bind '{accounts}' && exec \"$@\"")
        p = subprocess.Popen(["unshare", "-m", "sh", "-c", script, "sh",
                              CLI, "add", email, "--no-browser"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        url = p.stdout.readline().strip()
        assert url.startswith("http"), (url, p.stderr.read() if p.poll() is not None else "")
        browse(url)
        out, err = p.communicate(timeout=60)
        assert p.returncode == 1, (p.returncode, err)
        assert "Read-only file system" in err, err
        assert "Signed in" not in out + err, out + err
        nothing_left(email)

    with t.case("remove clears a damaged account file and its keyring item"):
        email = "damaged@example.com"
        add(email)
        with open(account_file(email), "w") as f:
            f.write("{ this is not json")
        r = cli("remove", email)
        assert r.returncode == 0, (r.returncode, r.stderr)
        nothing_left(email)

    with t.case("a file whose login holds a line break: list names it, remove clears it"):
        email = "hostile@example.com"
        add(email)
        with open(account_file(email)) as f:
            data = json.load(f)
        data["login"] = "hostile@example.com\r\nA1 LOGOUT"
        with open(account_file(email), "w") as f:
            json.dump(data, f)
        r = cli("list")
        assert email + ".json" in r.stderr and "control characters" in r.stderr, r.stderr
        r = cli("remove", email)
        assert r.returncode == 0, (r.returncode, r.stderr)
        nothing_left(email)

    with t.case("remove clears a keyring item whose account file is gone"):
        email = "orphan@example.com"
        add(email)
        os.unlink(account_file(email))
        r = cli("remove", email)
        assert r.returncode == 0, (r.returncode, r.stderr)
        assert "token" in r.stderr.lower(), r.stderr
        nothing_left(email)

    with t.case("remove clears an account file whose keyring item is gone"):
        email = "fileonly@example.com"
        add(email)
        env = {k: v for k, v in os.environ.items() if k != "G_MESSAGES_DEBUG"}
        run(["secret-tool", "clear", "account", email], env=env, check=True)
        r = cli("remove", email)
        assert r.returncode == 0, (r.returncode, r.stderr)
        nothing_left(email)

    with t.case("remove of an address with nothing left says so, exit 1"):
        r = cli("remove", "nobody@example.com")
        assert r.returncode == 1 and "There is no account nobody@example.com" in r.stderr, r.stderr
finally:
    idp.close()

t.done()
