#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""latchkey-cli from a terminal user's seat: add (browser and device code),
token (cached, refreshed, rotated), list, remove, a revoked sign-in, no
keyring, a broken profile file — against the test identity provider, the
real gnome-keyring and headless Chromium. Runs in tests/lk-test-session.sh."""
import concurrent.futures
import json
import os
import time

from harness import (CLI, SCRATCH, Idp, Process, Tap, add_with_browser, cli, run,
                     scan_for_secrets, secret_tool_lookup, without_debug, write_profile)

t = Tap()
idp = Idp("--device-interval", "1", "--token-size", "2500")
write_profile(idp)
seen_tokens = []
accounts_dir = os.path.join(os.environ["XDG_CONFIG_HOME"], "latchkey", "accounts")

try:
    with t.case("add through the browser saves the account and its tokens"):
        r = add_with_browser("alice@example.com")
        assert r.returncode == 0, r.stderr
        assert "Signed in" in r.stderr, r.stderr
        assert idp.count("token:authorization_code") == 1
        files = os.listdir(accounts_dir)
        assert files == ["alice@example.com.json"], files
        assert oct(os.stat(os.path.join(accounts_dir, files[0])).st_mode & 0o777) == "0o600"
        item = json.loads(secret_tool_lookup("alice@example.com"))
        assert item["refresh_token"].startswith("lkrt_") and item["access_token"]

    with t.case("token prints the cached access token and nothing else, without a refresh"):
        r = cli("token", "alice@example.com")
        assert r.returncode == 0 and without_debug(r.stderr) == "", (r.returncode, r.stderr)
        token = r.stdout.strip()
        assert r.stdout == token + "\n" and len(token) > 2000, len(token)
        assert token == idp.stats()["last_access_token"]
        assert idp.count("token:refresh_token") == 0
        seen_tokens.append(token)

    with t.case("--force-refresh rotates the refresh token and stores it first"):
        before = json.loads(secret_tool_lookup("alice@example.com"))["refresh_token"]
        r = cli("token", "alice@example.com", "--force-refresh")
        assert r.returncode == 0, r.stderr
        assert idp.count("token:refresh_token") == 1
        after = json.loads(secret_tool_lookup("alice@example.com"))["refresh_token"]
        assert after != before
        assert idp.stats()["last_refresh_token_used"] == before
        assert r.stdout.strip() != seen_tokens[-1]
        seen_tokens.append(r.stdout.strip())

    with t.case("G_MESSAGES_DEBUG=latchkey-oauth shows the token requests, and only those"):
        env = dict(os.environ, G_MESSAGES_DEBUG="latchkey-oauth")
        r = cli("token", "alice@example.com", "--force-refresh", env=env)
        assert r.returncode == 0, r.stderr
        debug = [l for l in r.stderr.splitlines() if "-DEBUG: " in l]
        assert any("latchkey-oauth-DEBUG" in l and "Token request (refresh_token)" in l
                   for l in debug), r.stderr
        assert all("latchkey-oauth-DEBUG" in l for l in debug), debug
        assert r.stdout.strip() not in r.stderr
        seen_tokens.append(r.stdout.strip())

    with t.case("--format xoauth2 prints the SASL string for the mailbox"):
        import base64
        r = cli("token", "alice@example.com", "--format", "xoauth2")
        sasl = base64.b64decode(r.stdout.strip())
        assert sasl == b"user=alice@example.com\x01auth=Bearer " + seen_tokens[-1].encode() + b"\x01\x01"

    with t.case("an expiring token is refreshed exactly once for many callers at once"):
        item = json.loads(secret_tool_lookup("alice@example.com"))
        item["expires_at"] = int(time.time()) + 60   # inside the 5-minute margin
        run(["secret-tool", "store", "--label=Latchkey: alice@example.com", "xdg:schema",
             "io.github.latchkey.Token", "account", "alice@example.com", "version", "1"],
            input=json.dumps(item), check=True)
        n_before = idp.count("token:refresh_token")
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            results = list(pool.map(lambda _: cli("token", "alice@example.com"), range(20)))
        assert all(r.returncode == 0 for r in results), [r.stderr for r in results if r.returncode]
        assert idp.count("token:refresh_token") == n_before + 1
        tokens = {r.stdout for r in results}
        assert len(tokens) == 1, len(tokens)
        seen_tokens.append(tokens.pop().strip())

    with t.case("add --device prints the URL and code, and polls until approved"):
        p = Process([CLI, "add", "bob@example.com", "--device"], log=os.path.join(SCRATCH, "dev.log"))
        uri, code = p.readline().split()
        assert uri == idp.base + "/devicelogin" and len(code) >= 8
        idp.control("approve-device", {"user_code": code})
        assert p.proc.wait(timeout=30) == 0
        p.close()
        assert "bob@example.com" in cli("list").stdout

    with t.case("add refuses an account that exists, and a bad address, saving nothing"):
        r = cli("add", "alice@example.com")
        assert r.returncode == 1 and "latchkey-cli login alice@example.com" in r.stderr, r.stderr
        r = cli("add", "not-an-address")
        assert r.returncode == 2 and "is not an e-mail address" in r.stderr

    with t.case("add with an unknown domain says how to name the provider"):
        r = cli("add", "carol@unknown.test")
        assert r.returncode == 1 and "--provider" in r.stderr, r.stderr
        assert not os.path.exists(os.path.join(accounts_dir, "carol@unknown.test.json"))

    with t.case("a refused sign-in (user declines) saves nothing and explains"):
        idp.control("fault", {"endpoint": "authorize", "kind": "aadsts", "code": 65001, "count": 1})
        r = add_with_browser("dave@example.com")
        assert r.returncode != 0
        assert "AADSTS65001" in r.stderr or "consent" in r.stderr.lower(), r.stderr
        assert not os.path.exists(os.path.join(accounts_dir, "dave@example.com.json"))
        assert secret_tool_lookup("dave@example.com") is None
        # The admin consent link of the diagnosis is the one IT gets from
        # `admin consent-url` for this app (and the IT window, tests/ui).
        link = [l.split(None, 1)[1] for l in r.stderr.splitlines()
                if l.strip().startswith("Link:")]
        it = cli("admin", "consent-url", "--provider", "testidp", "--tenant", "example.com",
                 "--no-lookup", "--client-id", "lk-test-client", "--protocols", "imap,smtp")
        assert it.returncode == 0, it.stderr
        assert link == [it.stdout.strip()], (link, it.stdout)

    with t.case("list shows every account with its state; --json too"):
        r = cli("list")
        lines = r.stdout.splitlines()
        assert [l.split()[0] for l in lines] == ["alice@example.com", "bob@example.com"], lines
        data = json.loads(cli("list", "--json").stdout)
        assert [a["email"] for a in data] == ["alice@example.com", "bob@example.com"]
        assert data[1]["flow"] == "device"

    with t.case("a revoked refresh token: exit 3, the account needs sign-in, login fixes it"):
        idp.control("revoke", {"email": "alice@example.com"})
        r = cli("token", "alice@example.com", "--force-refresh")
        assert r.returncode == 3, (r.returncode, r.stderr)
        assert r.stdout == ""
        assert "latchkey-cli login alice@example.com" in r.stderr
        assert "needs sign-in" in cli("list").stdout

    with t.case("a mail client in the background gets a desktop notification, once an hour"):
        # dbus-monitor sees the call whether or not a notification service
        # runs; with none (as here) latchkey-cli falls back and stays quiet.
        monitor = Process(["dbus-monitor", "--session",
                           "interface='org.gtk.Notifications'",
                           "interface='org.freedesktop.Notifications'"],
                          log=os.path.join(SCRATCH, "monitor.log"))
        time.sleep(0.5)
        # The refusal above already notified: start the hour afresh.
        runtime = os.path.join(os.environ["XDG_RUNTIME_DIR"], "latchkey")
        for name in os.listdir(runtime):
            if name.endswith(".notified"):
                os.unlink(os.path.join(runtime, name))
        for _ in range(2):
            r = cli("token", "alice@example.com", "--force-refresh")
            assert r.returncode == 3, r.stderr
        time.sleep(0.5)
        monitor.close()
        calls = monitor.proc.stdout.read()
        assert calls.count("member=AddNotification") == 1, calls
        assert "app.sign-in" in calls and "alice@example.com" in calls
        assert calls.count("member=Notify") == 1, calls   # the fallback, also once

    with t.case("login signs the account in again"):
        p = Process([CLI, "login", "alice@example.com", "--no-browser"])
        url = p.readline().strip()
        from harness import browse
        browse(url)
        assert p.proc.wait(timeout=30) == 0
        p.close()
        r = cli("token", "alice@example.com", "--force-refresh")
        assert r.returncode == 0, r.stderr
        seen_tokens.append(r.stdout.strip())

    with t.case("no Secret Service: exit 4 with a message that says what to start"):
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS="disabled:")
        r = run([CLI, "token", "alice@example.com"], env=env)
        assert r.returncode == 4, (r.returncode, r.stderr)
        assert "keyring" in r.stderr.lower() and r.stdout == ""

    with t.case("a broken provider profile is reported with its path and field, others still load"):
        folder = os.path.join(os.environ["XDG_CONFIG_HOME"], "latchkey", "providers")
        with open(os.path.join(folder, "broken.json"), "w") as f:
            f.write('{"id": "broken", "name": "B", "authorization_endpoint": "https://a/", '
                    '"token_endpoint": "https://a/t", "servers": {"imap": {"host": "h", '
                    '"port": 0, "security": "tls"}}}')
        r = cli("providers")
        assert "broken.json" in r.stderr and "servers.imap.port" in r.stderr, r.stderr
        assert "testidp" in r.stdout and "microsoft365" in r.stdout, r.stdout
        os.unlink(os.path.join(folder, "broken.json"))

    with t.case("remove deletes the keyring item and the file"):
        r = cli("remove", "bob@example.com")
        assert r.returncode == 0, r.stderr
        assert secret_tool_lookup("bob@example.com") is None
        assert not os.path.exists(os.path.join(accounts_dir, "bob@example.com.json"))
        r = cli("remove", "bob@example.com")
        assert r.returncode == 1 and "There is no account bob@example.com" in r.stderr, r.stderr

    with t.case("no token, code or secret in any file under HOME or the scratch folder"):
        stats = idp.stats()
        extra = seen_tokens + [stats["last_access_token"], stats["last_refresh_token_used"]]
        extra += list(stats["last_refresh_token_issued"].values())
        hits = scan_for_secrets([os.environ["HOME"]], extra=extra,
                                skip=[os.path.join(os.environ["HOME"], ".local", "share", "keyrings")])
        assert not hits, hits
finally:
    idp.close()

t.done()
