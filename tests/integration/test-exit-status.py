#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every failure gets its true exit status and advice (issue #19 §3), with
the real CLI, gnome-keyring, Chromium and the test IdP taught the hostile
answers: exit 3 and "sign in again" where only a sign-in helps (MFA, sign-in
frequency, a damaged keyring item); exit 1 "no sign-in arrived" when the
browser never came back; an unusable token lifetime or access token refused
with its reason while a rotated refresh token is kept; a sign-in without a
refresh token said at `add`; a locked keyring found before the browser
opens."""
import json
import os
import subprocess
import time

from harness import (CLI, Idp, Tap, add_with_browser, lock_keyring, run, secret_tool_lookup,
                     unlock_keyring, write_profile)

t = Tap()
idp = Idp()
write_profile(idp)
EMAIL = "alice@example.com"
NO_DEBUG = {k: v for k, v in os.environ.items() if k != "G_MESSAGES_DEBUG"}


def cli(*args, env=None, **kw):
    return run([CLI, *args], env=env, **kw)


def sign_in_again(email=EMAIL):
    r = subprocess.Popen([CLI, "login", email, "--no-browser"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    from harness import browse
    browse(r.stdout.readline().strip())
    out, err = r.communicate(timeout=60)
    assert r.returncode == 0, err


def stored(email=EMAIL):
    text = secret_tool_lookup(email)
    return json.loads(text) if text else None


def store_item(payload, email=EMAIL):
    run(["secret-tool", "store", "--label", "test", "xdg:schema", "io.github.latchkey.Token",
         "account", email, "version", "1"], input=payload, env=NO_DEBUG, check=True)


try:
    with t.case("sign in"):
        r = add_with_browser(EMAIL)
        assert r.returncode == 0, r.stderr

    # -- only a sign-in helps: exit 3 ----------------------------------------
    for code in (50074, 50076, 50079, 70043):
        with t.case(f"AADSTS{code} on refresh: exit 3 and 'sign in again'"):
            idp.control("fault", {"endpoint": "token", "kind": "aadsts", "code": code})
            r = cli("token", EMAIL, "--force-refresh")
            assert r.returncode == 3, (r.returncode, r.stderr)
            assert "sign in again" in r.stderr.lower(), r.stderr
            assert f"latchkey-cli login {EMAIL}" in r.stderr, r.stderr
            assert r.stdout == ""
            assert "needs sign-in" in cli("list").stdout
            idp.control("clear-faults", {})
            sign_in_again()

    with t.case("a damaged keyring item: exit 3 and 'sign in again', not 'unlock the keyring'"):
        good = secret_tool_lookup(EMAIL)
        store_item("{ not a token set")
        try:
            for env in (None, {**os.environ, "LATCHKEY_NO_FAST_PATH": "1"}):
                r = cli("token", EMAIL, env=env)
                assert r.returncode == 3, (r.returncode, r.stderr)
                assert "sign in again" in r.stderr.lower(), r.stderr
                assert "nlock" not in r.stderr, r.stderr
                assert r.stdout == ""
        finally:
            store_item(good)

    # -- the browser never comes back: exit 1 --------------------------------
    with t.case("no sign-in arrives: exit 1 'no sign-in arrived', no firewall advice"):
        start = time.monotonic()
        r = cli("add", "late@example.com", "--no-browser", timeout=60,
                env={**os.environ, "LATCHKEY_SIGN_IN_TIMEOUT": "2"})
        assert time.monotonic() - start < 30
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert "no sign-in arrived" in r.stderr.lower(), r.stderr
        assert "firewall" not in r.stderr.lower(), r.stderr
        assert secret_tool_lookup("late@example.com") is None

    # -- unusable answers, rotated refresh tokens kept -------------------------
    idp.control("config", {"single_use_refresh_tokens": True})
    for value in ("-5", "0", "99999999999"):
        with t.case(f"expires_in {value}: refused with the reason, the rotated refresh token kept"):
            before = stored()
            idp.control("fault", {"endpoint": "token", "kind": "expires-in-value", "field": value})
            r = cli("token", EMAIL, "--force-refresh")
            assert r.returncode == 1, (r.returncode, r.stderr)
            assert "lifetime" in r.stderr, r.stderr
            assert r.stdout == ""
            after = stored()
            assert after["refresh_token"] != before["refresh_token"], "the rotated token was dropped"
            # Single-use refresh tokens: only the kept one can work now.
            r = cli("token", EMAIL, "--force-refresh")
            assert r.returncode == 0, (r.returncode, r.stderr)

    for bad in ("abc def", "abc\ndef", "abc\tdef", "abc\u0085def", "abc\"def"):
        with t.case(f"an access token {bad!r}: refused, never printed or stored"):
            before = stored()
            idp.control("fault", {"endpoint": "token", "kind": "access-token", "field": bad})
            r = cli("token", EMAIL, "--force-refresh")
            assert r.returncode == 1, (r.returncode, r.stderr)
            assert "access token" in r.stderr, r.stderr
            assert r.stdout == "" and bad not in r.stderr
            after = stored()
            assert after.get("access_token") != bad   # none is stored
            assert after["refresh_token"] != before["refresh_token"], "the rotated token was dropped"
            r = cli("token", EMAIL)
            assert r.returncode == 0 and bad not in r.stdout, (r.returncode, r.stderr)

    idp.control("config", {"single_use_refresh_tokens": False})
    with t.case("the fast token path never prints a stored access token with a space"):
        item = stored()
        item["access_token"] = "planted token"
        item["expires_at"] = int(time.time()) + 3000
        store_item(json.dumps(item))
        r = cli("token", EMAIL)
        assert "planted" not in r.stdout, r.stdout
        assert r.returncode == 0, (r.returncode, r.stderr)   # refreshed instead
        assert stored().get("access_token") != "planted token"

    # -- a sign-in without a refresh token -----------------------------------
    with t.case("add without offline_access says the account has no refresh token"):
        write_profile(idp, name="nooffline", domains=("contoso.com",),
                      extra={"scopes": {"imap": ["https://outlook.office.com/IMAP.AccessAsUser.All"],
                                        "smtp": ["https://outlook.office.com/SMTP.Send"],
                                        "extra": []}})
        r = add_with_browser("bob@contoso.com", "--provider", "nooffline")
        assert r.returncode == 0, r.stderr
        assert "no refresh token" in r.stderr and "offline_access" in r.stderr, r.stderr
        assert "Signed in as" not in r.stderr and "Signed in." not in r.stderr, r.stderr

    # -- a locked keyring, before the browser --------------------------------
    with t.case("a locked keyring is found before the browser opens: exit 4"):
        lock_keyring()
        try:
            n = idp.count("authorize")
            r = cli("add", "carol@example.com", "--no-browser", timeout=30)
            assert r.returncode == 4, (r.returncode, r.stdout, r.stderr)
            assert "http" not in r.stdout, r.stdout        # no link was given
            assert "nlock your keyring" in r.stderr, r.stderr
            assert idp.count("authorize") == n
        finally:
            unlock_keyring()
finally:
    idp.close()

t.done()
