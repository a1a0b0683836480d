#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The real `latchkey` GUI, driven by keyboard with xdotool under Xvfb, from
the address to the export: the test IdP first refuses for want of admin
consent (the page shows the consent link and Copy Details for IT, read back
from the clipboard with xclip), then signs in (headless Chromium is the
desktop's browser and follows the link to the loopback receiver), Dovecot
checks IMAP, POP and SMTP, the export page's Save… writes ~/.msmtprc through
GTK's file chooser, and msmtp sends with it. Then ~/.msmtprc holds Bob's
account, written by hand: Set Up on Alice's account page merges hers into
it, and msmtp sends as both. Then Dovecot refuses the mailbox's SMTP
sign-in and a test from the account's page records it. A screenshot of
each page goes to _build/screenshots/wizard-*.png.

Focus without a window manager: xdotool `windowfocus --sync` (XSetInputFocus
on the wizard's X window) before each key press, and `key --window` would
not do (GTK ignores synthetic events sent with XSendEvent); real XTEST
events then reach the focused window.
"""
import glob
import json
import os
import re
import subprocess
import time

from harness import (BUILD, CLI, GUI, SCRATCH, Dovecot, Idp, Process, Tap,
                     add_with_browser, install_headless_browser, jwt_marker, scan_for_secrets,
                     secret_tool_lookup, write_profile)

EMAIL = "alice@example.com"
BOB = "bob@example.com"
SHOTS = os.path.join(BUILD, "screenshots")
ACCOUNTS = os.path.join(os.environ["XDG_CONFIG_HOME"], "latchkey", "accounts")


def xdotool(*args, timeout=20):
    r = subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=timeout)
    return r


def wait_for(what, condition, timeout=30, step=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def find_window(name):
    def search():
        r = xdotool("search", "--onlyvisible", "--name", f"^{name}$")
        ids = r.stdout.split()
        return ids[-1] if r.returncode == 0 and ids else None
    return wait_for(f"a window named {name!r}", search)


def focus(window):
    xdotool("windowfocus", "--sync", window)


def key(window, *keys):
    focus(window)
    xdotool("key", "--clearmodifiers", "--delay", "80", *keys)
    time.sleep(0.5)


def type_text(window, text):
    focus(window)
    xdotool("type", "--delay", "60", text)
    time.sleep(0.5)


def screenshot(name, window="root"):
    """Saves @window (an X window id; the whole screen by default): without
    a window manager the stacking order is not ours to rely on."""
    os.makedirs(SHOTS, exist_ok=True)
    time.sleep(1.0)  # transitions and spinners settle
    path = os.path.join(SHOTS, f"wizard-{name}.png")
    subprocess.run(["import", "-window", window, path], timeout=30, check=True,
                   capture_output=True)
    return path


def clipboard():
    r = subprocess.run(["xclip", "-selection", "clipboard", "-o"], capture_output=True,
                       text=True, timeout=10)
    return r.stdout if r.returncode == 0 else ""


def copy_from(window, keys, expected):
    """Presses @keys (a button's mnemonic) and returns the clipboard once it
    holds @expected, as a person pastes what they copied."""
    key(window, keys)
    text = clipboard()
    return text if expected in text else None


def account_file():
    files = glob.glob(os.path.join(ACCOUNTS, "*"))
    return files[0] if files else None


def account_state():
    path = account_file()
    if path is None:
        return None
    try:
        return json.load(open(path)).get("state")
    except (OSError, ValueError):
        return None


def quit_gui(gui, window):
    """Ctrl+Q, as a person ends Latchkey: the process exits by itself (so
    that, under the sanitizers, LeakSanitizer checks it) and with 0."""
    key(window, "ctrl+q")
    assert gui.proc.wait(timeout=30) == 0, gui.proc.returncode


def start_gui(env_extra=None, log="latchkey-gui.log"):
    env = dict(os.environ, LATCHKEY_CLI=CLI, LATCHKEY_DISCOVERY="local",
               GTK_A11Y="none", **(env_extra or {}))
    return Process([GUI], env=env, log=os.path.join(SCRATCH, log))


t = Tap()
dovecot = Dovecot()
idp = Idp(*dovecot.idp_args())
write_profile(idp, servers=dovecot.servers(), ca_file=dovecot.ca_file)
browser_log = install_headless_browser()
gui = None

try:
    gui = start_gui()
    with t.case("the accounts window opens, empty; Ctrl+N opens the wizard"):
        main = find_window("Latchkey")
        screenshot("0-empty", main)
        key(main, "ctrl+n")
        wizard = find_window("Add Account")

    with t.case("address: typed, the profile is recognised, Enter goes on to sign-in"):
        type_text(wizard, EMAIL)
        screenshot("1-address", wizard)
        key(wizard, "Return")
        time.sleep(1)
        screenshot("2-sign-in", wizard)

    with t.case("sign-in refused for want of admin consent (AADSTS90094): the page shows the "
                "admin consent link, and Copy Details for IT copies what IT needs, no secret"):
        idp.control("fault", {"endpoint": "authorize", "kind": "aadsts", "code": 90094,
                              "count": 1})
        key(wizard, "Return")
        details = wait_for("Copy Details for IT to copy the refusal",
                           lambda: copy_from(wizard, "alt+d", "AADSTS90094"), timeout=60)
        assert "\nError code: AADSTS90094\n" in details, details
        assert "\nClient ID: lk-test-client\n" in details, details
        assert re.search(r"\nTrace ID: [0-9a-f-]{36}\n", details), details
        assert re.search(r"\nCorrelation ID: [0-9a-f-]{36}\n", details), details
        assert re.search(r"\nTime \(UTC\): 20[0-9-]{8}T", details), details
        assert "/v2.0/adminconsent?client_id=lk-test-client" in details, details
        marker = jwt_marker()
        for secret in ("lkrt_", "lkcode_", "lkdev_", marker):
            assert secret not in details, secret
        link = copy_from(wizard, "alt+l", "adminconsent")
        # The profile's own identity provider: the test IdP stands in for Microsoft.
        assert link.startswith(idp.base + "/"), link
        assert "/v2.0/adminconsent?client_id=lk-test-client&" in link, link
        screenshot("2-sign-in-consent", wizard)
        assert account_file() is None

    with t.case("sign-in: Try Again opens the browser, which comes back to the receiver"):
        key(wizard, "alt+t")
        wait_for("the account file", account_file, timeout=60)
        assert secret_tool_lookup(EMAIL), "no keyring item"
        assert os.path.exists(browser_log) and "open " in open(browser_log).read()
        assert idp.count("token:authorization_code") == 1, idp.stats()

    with t.case("test: IMAP, POP and SMTP sign in at Dovecot; the account is working"):
        wait_for("the tests to finish", lambda: account_state() in ("working", "failing"),
                 timeout=60)
        assert account_state() == "working", open(account_file()).read()
        screenshot("3-test", wizard)

    with t.case("export: msmtp first and open; Alt+S, then Enter in the file chooser, "
                "saves ~/.msmtprc, 0600"):
        key(wizard, "Return")  # Next, focused once every test passed
        screenshot("4-export", wizard)
        rc = os.path.join(os.environ["HOME"], ".msmtprc")
        key(wizard, "alt+s")   # Save… of the open (first) client
        chooser = find_window("Save msmtp Configuration")
        screenshot("4-export-save", chooser)
        key(chooser, "Return")  # the suggested name, in the suggested folder
        wait_for("the saved ~/.msmtprc", lambda: os.path.exists(rc), timeout=20)
        assert oct(os.stat(rc).st_mode & 0o777) == "0o600"
        text = open(rc).read()
        assert EMAIL in text and "passwordeval" in text, text
        r = subprocess.run([CLI, "export", EMAIL, "--client", "msmtp"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        # The same file but for the header's time of making (to the minute).
        def settings(t):
            return [line for line in t.splitlines() if not line.startswith("#")]
        assert settings(text) == settings(r.stdout), "the GUI saved something else than the CLI"
        key(wizard, "Return")  # Finish
        screenshot("5-done", wizard)

    with t.case("msmtp sends through Dovecot's submission with the saved file as is"):
        text = open(os.path.join(os.environ["HOME"], ".msmtprc")).read()
        account = re.search(r"^account\s+(\S+)", text, re.M).group(1)
        before = len(dovecot.delivered())
        m = subprocess.run(["msmtp", "-C", rc, "-a", account, "bob@example.net"],
                           input="Subject: via the wizard\n\nhello\n", capture_output=True,
                           text=True, timeout=60)
        assert m.returncode == 0, m.stderr
        assert len(dovecot.delivered()) == before + 1

    with t.case("Close ends the wizard; the account is in the list, working"):
        key(wizard, "Return")  # Close
        wait_for("the wizard to close", lambda: xdotool(
            "search", "--onlyvisible", "--name", "^Add Account$").returncode != 0, timeout=10)
        screenshot("5-accounts", main)
        assert json.load(open(account_file()))["email"] == EMAIL

    # Bob's account is already in ~/.msmtprc, written by hand as people do
    # (his token command is Latchkey's too: Dovecot takes only OAuth2).
    bob_msmtp = (f"# Bob's mail\ndefaults\ntls on\ntls_starttls on\n"
                 f"tls_trust_file {dovecot.ca_file}\n\naccount bob\nhost localhost\n"
                 f"port {dovecot.port('submission')}\nauth xoauth2\nuser {BOB}\nfrom {BOB}\n"
                 f'passwordeval "{CLI} token {BOB}"\n\naccount default : bob\n')
    alice_msmtp = None
    with t.case("Set Up on Alice's page merges her account into a ~/.msmtprc that holds "
                "Bob's: his lines kept byte for byte, a dated backup, 0600, and the page "
                "lists the file"):
        r = add_with_browser(BOB, "--protocols", "imap,smtp")
        assert r.returncode == 0, r.stderr
        with open(rc, "w") as f:
            f.write(bob_msmtp)
        os.chmod(rc, 0o644)
        for old in glob.glob(rc + ".bak-*"):
            os.remove(old)
        # The list reloads when Bob's account file appears; let it settle
        # before moving the focus in it.
        time.sleep(2)
        # From the list: Tab past the header's two buttons to the first row
        # (Alice: the list is sorted), Enter opens the account's page, and
        # its Set Up… (Alt+U) opens the wizard on the mail programs.
        key(main, "Tab", "Tab", "Return")
        screenshot("6-account", main)
        key(main, "alt+u")
        setup = find_window("Set Up Mail Programs")
        screenshot("7-set-up", setup)
        key(setup, "alt+u")    # Set Up of the open (first) client, msmtp
        wait_for("Set Up to write ~/.msmtprc",
                 lambda: "# >>> latchkey" in open(rc).read(), timeout=30)
        text = open(rc).read()
        assert text.startswith(bob_msmtp + "\n# >>> latchkey "), text
        assert oct(os.stat(rc).st_mode & 0o777) == "0o600"
        backups = glob.glob(rc + ".bak-*")
        assert len(backups) == 1 and open(backups[0]).read() == bob_msmtp, backups
        block = text[len(bob_msmtp):]
        alice_msmtp = re.search(r"^account\s+(\S+)", block, re.M).group(1)
        assert f'user "{EMAIL}"' in block and "passwordeval" in block, block
        exported = json.dumps(json.load(open(account_file())))
        assert json.dumps(rc)[1:-1] in exported, exported
        screenshot("7-set-up-done", setup)
        key(setup, "alt+d")    # Done
        wait_for("the Set Up window to close", lambda: xdotool(
            "search", "--onlyvisible", "--name", "^Set Up Mail Programs$").returncode != 0,
            timeout=10)

    for who, account in ((BOB, "bob"), (EMAIL, None)):
        with t.case(f"msmtp sends as {who} with the merged ~/.msmtprc"):
            if alice_msmtp is None:
                raise AssertionError("Set Up did not write Alice's account")
            before = dovecot.delivered()
            m = subprocess.run(["msmtp", "-a", account or alice_msmtp, "carol@example.net"],
                               input=f"To: carol@example.net\nSubject: as {who}\n\nhello\n",
                               capture_output=True, text=True, timeout=60)
            assert m.returncode == 0, m.stderr
            got = [msg for msg in dovecot.delivered() if msg not in before]
            assert len(got) == 1 and f"<{who}>".encode() in got[0], got

    with t.case("SMTP refused for the mailbox (as when IT switches SMTP AUTH off): Test on the "
                "account's page records SMTP failing with its diagnosis; IMAP and POP work"):
        dovecot.deny_smtp(EMAIL)
        # Still on Alice's page: Alt+T is its Test.
        key(main, "alt+t")
        test = find_window("Test Account")
        wait_for("the test to record SMTP failing", lambda: account_state() == "failing",
                 timeout=60)
        tests = json.load(open(account_file()))["tests"]
        assert tests["imap"]["ok"] and tests["pop"]["ok"], tests
        assert not tests["smtp"]["ok"], tests
        # What the row and the page say ("SMTP: …", tests/ui/test-window.c
        # checks the words): the diagnosis recorded with its details.
        assert tests["smtp"]["diagnosis"] and tests["smtp"]["summary"], tests
        assert tests["smtp"]["details"]["id"] == tests["smtp"]["diagnosis"], tests
        assert "535" in tests["smtp"]["details"].get("raw", ""), tests
        screenshot("6-test-smtp-refused", test)
        key(test, "Return")  # Done: a test ends here
        wait_for("the test window to close", lambda: xdotool(
            "search", "--onlyvisible", "--name", "^Test Account$").returncode != 0, timeout=10)
        screenshot("6-account-smtp-refused", main)
        key(main, "alt+Left")  # back to the list
        screenshot("6-accounts-smtp-refused", main)

    with t.case("Ctrl+Q ends Latchkey, exit status 0"):
        quit_gui(gui, main)

    with t.case("dark mode: the address page reads well"):
        gui.close()
        gui = start_gui({"ADW_DEBUG_COLOR_SCHEME": "prefer-dark"}, log="latchkey-dark.log")
        main = find_window("Latchkey")
        key(main, "ctrl+n")
        wizard = find_window("Add Account")
        type_text(wizard, "dave@example.com")
        screenshot("1-address-dark", wizard)
        # Ctrl+Q with a wizard open and half filled: nothing saved, exit 0.
        quit_gui(gui, wizard)
        assert not os.path.exists(os.path.join(ACCOUNTS, "dave@example.com.json"))

    with t.case("no test secret in any file Latchkey or the test wrote"):
        hits = scan_for_secrets([os.environ["HOME"], SHOTS],
                                skip=[os.path.join(os.environ["HOME"], ".local", "share",
                                                   "keyrings")])
        assert not hits, hits
finally:
    for name in ("latchkey-gui.log", "latchkey-dark.log"):
        path = os.path.join(SCRATCH, name)
        if os.path.exists(path) and os.path.getsize(path) > 0:
            print("# " + name + ": " + open(path).read()[-1500:].replace("\n", "\n# "))
    if gui is not None:
        gui.close()
    idp.close()
    dovecot.close()
t.done()
