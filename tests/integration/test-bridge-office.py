#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The office bridge (issue #16, doc/bridge-office.md) with a "printer" on
another host: a network namespace of the test's own, where swaks and
Python's smtplib run as a multi-function printer would. The bridge listens
on the test's LAN address with `--lan` and `--allow`; devices log in with
their names and the passwords `bridge device add` made; the account signs
in to the test Dovecot with its token from the test identity provider."""
import base64
import email
import signal
import threading
import time
import email.policy
import email.utils
import json
import os
import re
import socket
import subprocess

from harness import (CLI, SCRATCH, SOURCE, Bridge, Dovecot, Idp, PrinterNet, Process, Tap,
                     add_with_browser, browse, cli, scan_for_secrets, write_profile)



class Switch:
    """The upstream's submission port behind a plug the test pulls: while
    it is off, every connection is closed at once, as when the provider is
    unreachable — those open when it was pulled too; then on again."""

    def __init__(self, target_port):
        self.target = target_port
        self._on = True
        self.open = []
        self.lock = threading.Lock()
        self.upstream_bytes = 0     # what the bridge sent the upstream, TLS and all
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self._on:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=30)
            except OSError:
                client.close()
                continue
            self.open += [client, upstream]
            for a, b, count in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pump, args=(a, b, count), daemon=True).start()

    @property
    def on(self):
        return self._on

    @on.setter
    def on(self, value):
        self._on = value
        if not value:
            for s in self.open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.open = []

    def _pump(self, a, b, count):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                if count:
                    with self.lock:
                        self.upstream_bytes += len(data)
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


t = Tap()
EMAIL = "alice@example.com"
PRINTER = os.path.join(SOURCE, "tests", "integration", "office-printer.py")
net = PrinterNet(hosts=(2, 3, 4))
# Submission takes at most 10 MiB (offered as SIZE 10485760): the 5 MB
# PDF (7 MB as base64) passes, the oversized scan's case goes over it.
dovecot = Dovecot(max_mail_size="10M")
idp = Idp(*dovecot.idp_args(), "--token-size", "2500")
switch = Switch(dovecot.port("submission"))
servers = dovecot.servers()
servers["smtp"]["port"] = switch.port
write_profile(idp, servers=servers, ca_file=dovecot.ca_file)
bridge = None
passwords = {}
outputs = []


def printer(*args, source=2, timeout=120):
    """office-printer.py ARGS inside the namespace, as host SUBNET.source."""
    r = net.exec(["/usr/bin/python3", PRINTER, args[0], net.host(source), *args[1:]],
                 timeout=timeout)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def device_cli(*args):
    r = cli("bridge", "device", *args)
    outputs.extend([r.stdout, r.stderr])
    return r


def delivered_with(marker):
    return [m for m in dovecot.delivered() if marker.encode() in m]


def private_file(name, text):
    path = os.path.join(SCRATCH, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


try:
    LAN = net.bridge_address

    with t.case("sign in, add a device before the bridge runs: its sheet says what is missing"):
        r = add_with_browser(EMAIL, "--protocols", "smtp")
        assert r.returncode == 0, r.stderr
        r = device_cli("add", "2nd-floor-mfp", "--account", EMAIL, "--json")
        assert r.returncode == 0, r.stderr
        sheet = json.loads(r.stdout)
        passwords["2nd-floor-mfp"] = sheet["password"]
        assert sheet["name"] == sheet["username"] == "2nd-floor-mfp", sheet
        assert sheet["account"] == EMAIL and sheet["protocols"] == ["smtp"], sheet
        assert len(sheet["password"].replace("-", "")) >= 25, sheet
        # No --lan yet: nowhere a printer could reach, and the sheet says so.
        assert sheet["server"] is None and sheet["ports"] == {
            "smtp": None, "smtps": None, "legacy_tls": None, "legacy_smtps": None}, sheet
        with open(os.path.join(os.environ["XDG_CONFIG_HOME"], "latchkey", "bridge-users.json")) as f:
            assert sheet["password"] not in f.read()

    with t.case("device names are checked; a name cannot be added twice"):
        r = device_cli("add", "Bad Name", "--account", EMAIL)
        assert r.returncode == 2 and "not a device name" in r.stderr, r.stderr
        r = device_cli("add", "2nd-floor-mfp", "--account", EMAIL)
        assert r.returncode == 1 and "already" in r.stderr, r.stderr
        r = device_cli("add", "x", "--account", "nobody@example.com")
        assert r.returncode == 1 and "no account nobody@example.com" in r.stderr, r.stderr

    with t.case("admin exchange-script --device: the steps for its mailbox and pinned sender"):
        app, obj = "11111111-2222-3333-4444-555555555555", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
        # A pinned sender with an apostrophe: one PowerShell literal, doubled.
        r = device_cli("add", "reception-mfp", "--account", EMAIL, "--from",
                       "o'brien@example.com", "--json")
        assert r.returncode == 0, r.stderr
        passwords["reception-mfp"] = json.loads(r.stdout)["password"]
        r = cli("admin", "exchange-script", "--device", "reception-mfp", "--tenant", "contoso.com",
                "--client-id", app, "--object-id", obj)
        assert r.returncode == 0, r.stderr
        script = r.stdout
        assert "# For the office bridge's device reception-mfp: the mailbox it sends through " \
            "and the address it is pinned to.\n" in script, script
        assert f"\nAdd-MailboxPermission -Identity '{EMAIL}' -User '{obj}' -AccessRights " \
            "FullAccess\n" in script, script
        assert f"\nAdd-RecipientPermission -Identity 'o''brien@example.com' -Trustee '{obj}' " \
            "-AccessRights SendAs -Confirm:$false\n" in script, script
        # SMTP only (the device's protocols): no IMAP or POP switched on.
        assert "ImapEnabled" not in script and "PopEnabled" not in script, script
        # The RBAC route puts both addresses into the scope instead.
        r = cli("admin", "exchange-script", "--device", "reception-mfp", "--tenant", "contoso.com",
                "--client-id", app, "--object-id", obj, "--smtp-rbac")
        assert r.returncode == 0, r.stderr
        assert f"-RecipientRestrictionFilter 'PrimarySmtpAddress -eq ''{EMAIL}'' -or " \
            "PrimarySmtpAddress -eq ''o''''brien@example.com'''\n" in r.stdout, r.stdout
        assert "Add-RecipientPermission" not in r.stdout, r.stdout
        # The account's tenant here is "organizations", not one organisation: asked for.
        r = cli("admin", "exchange-script", "--device", "reception-mfp", "--object-id", obj)
        assert r.returncode == 2 and "tenant" in r.stderr, (r.returncode, r.stderr)
        # An unknown device: exit status 1, and where to look.
        r = cli("admin", "exchange-script", "--device", "no-such-mfp", "--tenant", "contoso.com",
                "--client-id", app, "--object-id", obj)
        assert r.returncode == 1 and "there is no device no-such-mfp" in r.stderr \
            and "latchkey-cli bridge device list" in r.stderr, (r.returncode, r.stderr)
        assert r.stdout == "", r.stdout
        r = cli("admin", "exchange-script", "--device", "reception-mfp", "--mailbox", EMAIL,
                "--tenant", "contoso.com", "--client-id", app, "--object-id", obj)
        assert r.returncode == 2 and "--device" in r.stderr, r.stderr
        assert device_cli("remove", "reception-mfp").returncode == 0

    with t.case("bridge run --lan ADDR --allow CIDR: SMTP on 587 (STARTTLS) and 465 (TLS) there"):
        config = private_file("bridge.json", json.dumps({
            "login_timeout": 20, "upstream_timeout": 5, "max_failure_delay_ms": 40,
            "lockout": {"after": 20, "minutes": 15},
            "spool": {"first_retry": 1, "max_retry": 2, "give_up": 600},
            "relay_without_auth": [f"{net.host(4)}/32=old-mfp"]}))
        bridge = Bridge("--config", config, "--lan", LAN, "--allow", net.host(2) + "/32",
                        "--allow", net.host(4), env=dict(os.environ, G_MESSAGES_DEBUG="all"))
        assert sorted(bridge.listeners) == sorted([f"smtp {LAN}:587 starttls",
                                                   f"smtp {LAN}:465 tls"]), bridge.listeners
        status = json.loads(cli("bridge", "status", "--json").stdout)
        allow = {l["port"]: l.get("allow") for l in status["listeners"]}
        assert allow == {587: f"{net.host(2)}, {net.host(4)}", 465: f"{net.host(2)}, {net.host(4)}"}, status

    with t.case("a device added now gets a full setup sheet: address, ports, fingerprint"):
        r = device_cli("add", "scanner-b", "--account", EMAIL, "--json")
        assert r.returncode == 0, r.stderr
        sheet = json.loads(r.stdout)
        passwords["scanner-b"] = sheet["password"]
        assert sheet["server"] == LAN and sheet["ports"] == {
            "smtp": 587, "smtps": 465, "legacy_tls": None, "legacy_smtps": None}, sheet
        assert sheet["security"] == "starttls" and sheet["host_name"] == socket.gethostname(), sheet
        assert sheet["fingerprint"] == status["certificate"]["sha256"], (sheet, status)
        r = device_cli("reset", "scanner-b")
        assert r.returncode == 0, r.stderr
        text = r.stdout
        new = [l.split(":", 1)[1].strip() for l in text.splitlines() if "Password:" in l][0]
        assert new != passwords["scanner-b"], text
        passwords["scanner-b"] = new
        for expected in (f"SMTP server:     {LAN}", "Port:            587", "STARTTLS",
                         "User name:       scanner-b", status["certificate"]["sha256"]):
            assert expected in text, (expected, text)

    with t.case("the generated certificate names the LAN address and the host name"):
        for name in (LAN, socket.gethostname()):
            got = printer("verify", LAN, "587", bridge.cert_file, name)
            assert got["ok"], (name, got)
        got = printer("verify", LAN, "587", bridge.cert_file, "elsewhere.example")
        assert not got["ok"], got

    with t.case("the printer sends a 5 MB PDF with swaks: STARTTLS, AUTH LOGIN; it arrives byte-exact"):
        pdf = b"%PDF-1.4\n" + os.urandom(5 * 1024 * 1024) + b"\n%%EOF\n"
        pdf_path = os.path.join(SCRATCH, "scan.pdf")
        with open(pdf_path, "wb") as f:
            f.write(pdf)
        r = net.exec(["swaks", "--server", f"{LAN}:587", "--local-interface", net.host(2),
                      "--tls", "--auth", "LOGIN", "--auth-user", "2nd-floor-mfp",
                      "--auth-password", passwords["2nd-floor-mfp"], "--from", EMAIL,
                      "--to", "office@example.net", "--header", "Subject: scan-to-mail-5mb",
                      "--attach-type", "application/pdf", "--attach-name", "scan.pdf",
                      "--attach", "@" + pdf_path, "--suppress-data"], timeout=180)
        outputs.extend([r.stdout, r.stderr])
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr
        # Accepted into the spool; delivered from there.
        assert "250 2.0.0 OK: queued as " in r.stdout, r.stdout[-2000:]
        # Delivered when the bridge let go of it (after the upstream's 250);
        # the relay's file may still be growing a moment after its name shows.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            q = json.loads(cli("bridge", "queue", "--json").stdout)
            messages = delivered_with("scan-to-mail-5mb")
            if q["summary"]["count"] == 0 and messages and messages[0].rstrip().endswith(b"--"):
                break
            time.sleep(0.2)
        assert len(messages) == 1, len(messages)
        parsed = email.message_from_bytes(messages[0], policy=email.policy.default)
        parts = [p for p in parsed.walk() if p.get_content_type() == "application/pdf"]
        got = parts[0].get_content() if len(parts) == 1 else None
        if got != pdf:
            with open(os.path.join(SCRATCH, "delivered-5mb.eml"), "wb") as f:
                f.write(messages[0])
        assert got == pdf, ("the PDF changed on its way", len(parts), got and len(got), len(pdf),
                            got and next((i for i in range(min(len(got), len(pdf)))
                                          if got[i] != pdf[i]), None))

    with t.case("implicit TLS on 465 works as well"):
        code, text = printer("login", LAN, "465", "scanner-b", passwords["scanner-b"], "tls")
        assert code == 235, (code, text)

    with t.case("AUTH before STARTTLS is refused with the standard error"):
        got = printer("auth-before-starttls", LAN, "587")
        assert got["offered"] is False, got
        assert (got["code"], got["text"]) == (530, "5.7.0 Must issue a STARTTLS command first"), got

    with t.case("a client outside the allow-list gets nothing: closed before the greeting"):
        assert printer("greeting", LAN, "587", source=3) == "", "a stranger got a greeting"
        assert printer("greeting", LAN, "465", source=3) == ""
        assert printer("greeting", LAN, "587", source=4).startswith("220 "), "an allowed host did not"
        log = bridge.log_text()
        assert f"refused a connection from {net.host(3)}: not on the allow-list" in log, log[-2000:]

    with t.case("20 wrong passwords lock the device; the 21st, right, is refused as documented"):
        right = passwords["2nd-floor-mfp"]
        codes = printer("logins", LAN, "587", "2nd-floor-mfp", "wrong-" + right[6:], "20")
        assert codes == [535] * 20, codes
        code, text = printer("login", LAN, "587", "2nd-floor-mfp", right)
        assert code == 454 and "Too many wrong passwords" in text and "15 more minutes" in text, \
            (code, text)
        # The device's name is locked from every address…
        code, text = printer("login", LAN, "587", "2nd-floor-mfp", right, source=4)
        assert code == 454, (code, text)
        # …and the address that guessed, for every name.
        code, text = printer("login", LAN, "587", "scanner-b", passwords["scanner-b"])
        assert code == 454, (code, text)
        # Another device from another address is not affected.
        code, text = printer("login", LAN, "587", "scanner-b", passwords["scanner-b"], source=4)
        assert code == 235, (code, text)
        log = bridge.log_text()
        assert log.count(f"login as 2nd-floor-mfp from {net.host(2)}: refused") == 20, log[-3000:]
        assert f"login as 2nd-floor-mfp from {net.host(2)}: locked" in log

    with t.case("bridge device list shows when each was seen and its last error"):
        r = device_cli("list", "--json")
        assert r.returncode == 0, r.stderr
        devices = {d["name"]: d for d in json.loads(r.stdout)}
        assert set(devices) == {"2nd-floor-mfp", "scanner-b"}, devices
        assert "Too many wrong passwords" in devices["2nd-floor-mfp"]["last_error"], devices
        assert devices["scanner-b"]["last_seen"] is not None, devices
        r = device_cli("list")
        assert "2nd-floor-mfp" in r.stdout and "last error" in r.stdout, r.stdout

    with t.case("a removed device cannot log in any more"):
        r = device_cli("remove", "scanner-b")
        assert r.returncode == 0, r.stderr
        code, text = printer("login", LAN, "587", "scanner-b", passwords["scanner-b"], source=4)
        assert code == 535, (code, text)
        assert device_cli("remove", "scanner-b").returncode == 1

    def swaks(marker, user, password, source=2, sender=EMAIL, extra=()):
        r = net.exec(["swaks", "--server", f"{LAN}:587", "--local-interface", net.host(source),
                      "--tls", "--auth", "LOGIN", "--auth-user", user, "--auth-password", password,
                      "--from", sender, "--to", "office@example.net",
                      "--header", f"Subject: {marker}", *extra], timeout=120)
        outputs.extend([r.stdout, r.stderr])
        return r

    def queue():
        r = cli("bridge", "queue", "--json")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def wait_for(condition, what, timeout=30):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
            time.sleep(0.2)

    def spool_files():
        spool = os.path.join(os.environ["XDG_STATE_HOME"] if "XDG_STATE_HOME" in os.environ
                             else os.path.join(os.environ["HOME"], ".local", "state"),
                             "latchkey", "spool")
        return sorted(f for f in os.listdir(spool) if f != "tmp")

    with t.case("a pinned device: another MAIL FROM or From: is refused with 550 saying why"):
        r = device_cli("add", "lobby-scanner", "--account", EMAIL, "--from", EMAIL,
                       "--max-per-hour", "3", "--json")
        assert r.returncode == 0, r.stderr
        passwords["lobby-scanner"] = json.loads(r.stdout)["password"]
        # 2nd-floor-mfp is locked out (above): the spool's tests use another.
        r = device_cli("add", "mfp-3", "--account", EMAIL, "--json")
        assert r.returncode == 0, r.stderr
        passwords["mfp-3"] = json.loads(r.stdout)["password"]
        r = swaks("pinned-envelope", "lobby-scanner", passwords["lobby-scanner"], source=4,
                  sender="boss@example.com")
        assert r.returncode != 0 and "550 5.7.1 This device may send only as " + EMAIL in r.stdout, \
            r.stdout[-2000:]
        r = swaks("pinned-header", "lobby-scanner", passwords["lobby-scanner"], source=4,
                  extra=["--header", "From: The Boss <boss@example.com>"])
        assert r.returncode != 0 and "the From: header must be that address" in r.stdout, \
            r.stdout[-2000:]
        assert not delivered_with("pinned-envelope") and not delivered_with("pinned-header")

    with t.case("the spool: accepted (250 queued as ID) and delivered, then removed"):
        r = swaks("spooled-once", "lobby-scanner", passwords["lobby-scanner"], source=4)
        assert r.returncode == 0 and "250 2.0.0 OK: queued as " in r.stdout, r.stdout[-2000:]
        wait_for(lambda: len(delivered_with("spooled-once")) == 1, "delivery")
        wait_for(lambda: queue()["summary"]["count"] == 0, "an empty queue")
        assert spool_files() == [], spool_files()

    with t.case("the hourly cap holds: the 4th message of 3 an hour gets 450"):
        for i in (2, 3):
            r = swaks(f"capped-{i}", "lobby-scanner", passwords["lobby-scanner"], source=4)
            assert r.returncode == 0, r.stdout[-2000:]
        r = swaks("capped-4", "lobby-scanner", passwords["lobby-scanner"], source=4)
        assert r.returncode != 0 and "450 4.7.1 This device has sent its 3 messages" in r.stdout, \
            r.stdout[-2000:]
        devices = {d["name"]: d for d in json.loads(device_cli("list", "--json").stdout)}
        assert devices["lobby-scanner"]["messages_today"] == 3, devices
        assert "hourly cap" in devices["lobby-scanner"]["last_error"], devices

    with t.case("a restart keeps the lock-out and the cap; device reset ends a lock at once"):
        def device_list():
            r = device_cli("list", "--json")
            assert r.returncode == 0, r.stderr
            return {d["name"]: d for d in json.loads(r.stdout)}

        def reset(name):
            r = device_cli("reset", name)
            assert r.returncode == 0, r.stderr
            passwords[name] = [l.split(":", 1)[1].strip() for l in r.stdout.splitlines()
                               if "Password:" in l][0]
            return passwords[name]

        # 2nd-floor-mfp is still locked (above), and so is host 2, which
        # guessed. A new password while the bridge runs ends both at once:
        # the printer that had the old one logs in with the new one.
        assert device_list()["2nd-floor-mfp"]["locked_until"] is not None
        new = reset("2nd-floor-mfp")
        code, text = printer("login", LAN, "587", "2nd-floor-mfp", new)
        assert code == 235, (code, text)
        assert device_list()["2nd-floor-mfp"]["locked_until"] is None
        # Locked again (a second later: the reset's time is in seconds)…
        time.sleep(1.1)
        codes = printer("logins", LAN, "587", "2nd-floor-mfp", "wrong-" + new[6:], "20")
        assert codes == [535] * 20, codes
        # …then SIGTERM and a new start: still locked, from anywhere, and
        # lobby-scanner still at its cap of 3 this hour.
        assert bridge.stop() == 0
        bridge.close()
        bridge = Bridge("--config", config, "--lan", LAN, "--allow", net.host(2) + "/32",
                        "--allow", net.host(4), env=dict(os.environ, G_MESSAGES_DEBUG="all"))
        code, text = printer("login", LAN, "587", "2nd-floor-mfp", new, source=4)
        assert code == 454 and "Too many wrong passwords" in text, (code, text)
        devices = device_list()
        assert devices["2nd-floor-mfp"]["locked_until"] is not None, devices
        assert devices["lobby-scanner"]["messages_this_hour"] == 3, devices
        assert devices["lobby-scanner"]["messages_today"] == 3, devices
        text = device_cli("list").stdout
        assert "locked out until" in text and "3 of at most 3 an hour" in text, text
        r = swaks("capped-after-restart", "lobby-scanner", passwords["lobby-scanner"], source=4)
        assert r.returncode != 0 and "450 4.7.1 This device has sent its 3 messages" in r.stdout, \
            r.stdout[-2000:]
        # What the bridge kept: counts and times, no password.
        state_dir = os.environ.get("XDG_STATE_HOME") or os.path.join(os.environ["HOME"], ".local",
                                                                     "state")
        state_file = os.path.join(state_dir, "latchkey", "bridge-devices.json")
        assert os.stat(state_file).st_mode & 0o777 == 0o600
        with open(state_file) as f:
            kept = f.read()
        assert not any(p in kept for p in passwords.values()), kept
        kept = {d["name"]: d for d in json.loads(kept)["devices"]}
        assert kept["2nd-floor-mfp"]["locked_until"] > time.time(), kept
        # A new password ends the lock the restart kept, at once.
        new = reset("2nd-floor-mfp")
        code, text = printer("login", LAN, "587", "2nd-floor-mfp", new, source=4)
        assert code == 235, (code, text)
        assert "its lock-out ended" in bridge.log_text()

    with t.case("upstream down: accepted and queued; upstream back: delivered once"):
        switch.on = False
        r = swaks("while-down", "mfp-3", passwords["mfp-3"], source=4)
        assert r.returncode == 0 and "queued as" in r.stdout, r.stdout[-2000:]
        wait_for(lambda: (queue()["messages"] or [{}])[0].get("attempts", 0) >= 2, "two attempts")
        q = queue()
        assert q["summary"]["count"] == 1 and q["messages"][0]["last_error"], q
        status = json.loads(cli("bridge", "status", "--json").stdout)
        assert status["queue"]["count"] == 1 and status["queue"]["oldest"], status
        assert "Queue: 1 message" in cli("bridge", "status").stdout
        assert not delivered_with("while-down")
        switch.on = True
        r = cli("bridge", "queue", "retry")
        assert r.returncode == 0, r.stderr
        wait_for(lambda: len(delivered_with("while-down")) == 1, "delivery after the upstream came back")
        wait_for(lambda: queue()["summary"]["count"] == 0, "an empty queue")
        time.sleep(2)
        assert len(delivered_with("while-down")) == 1, "delivered more than once"

    with t.case("kill -9 after the 250, before delivery: delivered after the restart, once"):
        switch.on = False
        r = swaks("killed-bridge", "mfp-3", passwords["mfp-3"], source=4)
        assert r.returncode == 0 and "queued as" in r.stdout, r.stdout[-2000:]
        queued_id = queue()["messages"][0]["id"]
        os.kill(bridge.proc.pid, signal.SIGKILL)
        bridge.proc.wait(timeout=10)
        bridge.close()
        assert f"{queued_id}.eml" in spool_files() and f"{queued_id}.json" in spool_files()
        r = cli("bridge", "queue", "--json")
        assert json.loads(r.stdout)["messages"][0]["id"] == queued_id, r.stdout
        switch.on = True
        bridge = Bridge("--config", config, "--lan", LAN, "--allow", net.host(2) + "/32",
                        "--allow", net.host(4), env=dict(os.environ, G_MESSAGES_DEBUG="all"))
        wait_for(lambda: len(delivered_with("killed-bridge")) == 1, "delivery after the restart")
        wait_for(lambda: spool_files() == [], "an empty spool")
        time.sleep(2)
        assert len(delivered_with("killed-bridge")) == 1

    def report_for(marker, timeout=60):
        """The delivery report on the message with marker, as it reached the
        relay, parsed by Python's email package (it knows multipart/report)."""
        found = []

        def arrived():
            found[:] = [m for m in dovecot.delivered()
                        if b"Undelivered mail from" in m and marker.encode() in m]
            return found
        try:
            wait_for(arrived, f"the report on {marker}", timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}; the bridge said: {bridge.log_text()[-4000:]}") from None
        assert len(found) == 1, len(found)
        return found[0], email.message_from_bytes(found[0], policy=email.policy.default)

    def check_report(raw, report, marker, body_marker, status_class, to="office@example.net"):
        """RFC 3464 in RFC 6522's multipart/report: a part for people, the
        delivery-status fields, the original header without the body."""
        assert report.get_content_type() == "multipart/report", report["Content-Type"]
        assert report.get_param("report-type") == "delivery-status", report["Content-Type"]
        assert report["To"].addresses[0].addr_spec == EMAIL, report["To"]
        assert report["Auto-Submitted"] == "auto-replied", report["Auto-Submitted"]
        assert report["Subject"] == "Undelivered mail from mfp-3", report["Subject"]
        parts = list(report.iter_parts())
        assert [p.get_content_type() for p in parts] == \
            ["text/plain", "message/delivery-status", "text/rfc822-headers"], \
            [p.get_content_type() for p in parts]
        human = parts[0].get_content()
        assert "mfp-3" in human and "What to do" in human, human
        blocks = parts[1].get_payload()
        assert len(blocks) == 2, [str(b) for b in blocks]    # per message, one recipient
        assert blocks[0]["Reporting-MTA"] == "dns; " + socket.gethostname(), str(blocks[0])
        assert email.utils.parsedate_to_datetime(blocks[0]["Arrival-Date"]) is not None
        recipient = blocks[1]
        assert recipient["Final-Recipient"] == "rfc822; " + to, str(recipient)
        assert recipient["Action"] == "failed", str(recipient)
        status = recipient["Status"]
        assert status.split(".")[0] == status_class and len(status.split(".")) == 3, status
        assert recipient["Diagnostic-Code"], str(recipient)
        assert email.utils.parsedate_to_datetime(recipient["Last-Attempt-Date"]) is not None
        headers = parts[2].get_payload()
        assert f"Subject: {marker}" in headers, headers
        # The scan's header, never its body.
        assert body_marker.encode() not in raw, "the report carries the body"
        return recipient

    with t.case("given up after the spool's give_up time: an RFC 3464 report to the sender"):
        # "give_up": 4 s here instead of a day.
        short = private_file("bridge-short.json", json.dumps({
            "login_timeout": 20, "upstream_timeout": 5, "max_failure_delay_ms": 40,
            "spool": {"first_retry": 1, "max_retry": 1, "give_up": 4},
            "relay_without_auth": [f"{net.host(4)}/32=old-mfp"]}))
        assert bridge.stop() == 0
        bridge.close()
        bridge = Bridge("--config", short, "--lan", LAN, "--allow", net.host(2) + "/32",
                        "--allow", net.host(4), env=dict(os.environ, G_MESSAGES_DEBUG="all"))
        switch.on = False
        r = swaks("given-up-scan", "mfp-3", passwords["mfp-3"], source=4,
                  extra=["--body", "given-up-body-not-in-report"])
        assert r.returncode == 0 and "queued as" in r.stdout, r.stdout[-2000:]
        queued_id = queue()["messages"][0]["id"]
        # The message is given up; its report waits in the spool (the
        # upstream is still down). Stopped then, the report is kept.
        wait_for(lambda: [m["id"] for m in queue()["messages"]] not in ([], [queued_id]),
                 "the report in the queue", timeout=40)
        assert bridge.stop() == 0
        bridge.close()
        switch.on = True
        bridge = Bridge("--config", config, "--lan", LAN, "--allow", net.host(2) + "/32",
                        "--allow", net.host(4), env=dict(os.environ, G_MESSAGES_DEBUG="all"))
        raw, report = report_for("given-up-scan")
        recipient = check_report(raw, report, "given-up-scan", "given-up-body-not-in-report", "4")
        # No SMTP reply refused it (the connection was closed): the
        # bridge's own reason, and "delivery time expired".
        assert recipient["Status"] == "4.4.7", str(recipient)
        assert recipient["Diagnostic-Code"].startswith("X-Latchkey; "), str(recipient)
        assert not delivered_with("given-up-body-not-in-report")

    with t.case("a scan over the upstream's SIZE: taken, refused without the upload, a 5.3.4 report"):
        # 9 MiB of PDF, 12.6 MB as base64: under the bridge's 50 MB, over
        # Dovecot's 10 MiB.
        big_path = os.path.join(SCRATCH, "big-scan.pdf")
        with open(big_path, "wb") as f:
            f.write(b"%PDF-1.4\n" + os.urandom(9 * 1024 * 1024) + b"\n%%EOF\n")
        before = switch.upstream_bytes
        r = swaks("oversized-scan", "mfp-3", passwords["mfp-3"], source=4,
                  extra=["--body", "oversized-body-not-in-report", "--attach-type",
                         "application/pdf", "--attach-name", "scan.pdf", "--attach", "@" + big_path,
                         "--suppress-data"])
        assert r.returncode == 0 and "250 2.0.0 OK: queued as" in r.stdout, r.stdout[-2000:]
        raw, report = report_for("oversized-scan")
        recipient = check_report(raw, report, "oversized-scan", "oversized-body-not-in-report", "5")
        # Refused by the bridge from the upstream's SIZE, before MAIL: its
        # own words, "message too big for system" (RFC 3463).
        assert recipient["Status"] == "5.3.4", str(recipient)
        diagnostic = recipient["Diagnostic-Code"]
        assert diagnostic.startswith("X-Latchkey; The message is "), diagnostic
        human = report.get_payload()[0].get_content()
        assert re.search(r"The message is 1[23]\.\d MB and the mail server takes at most 10\.5 MB",
                         human), human
        assert "lower resolution or in several parts" in human, human
        # Not uploaded: the sign-in and the small report crossed the wire,
        # not 12 MB of scan.
        sent = switch.upstream_bytes - before
        assert sent < 1024 * 1024, sent
        assert not delivered_with("oversized-body-not-in-report")
        wait_for(lambda: queue()["summary"]["count"] == 0, "an empty queue")
        # One under the limit still goes, its size said up front.
        small_path = os.path.join(SCRATCH, "small-scan.pdf")
        with open(small_path, "wb") as f:
            f.write(b"%PDF-1.4\n" + os.urandom(1024 * 1024) + b"\n%%EOF\n")
        r = swaks("under-limit-scan", "mfp-3", passwords["mfp-3"], source=4,
                  extra=["--attach-type", "application/pdf", "--attach-name", "scan.pdf",
                         "--attach", "@" + small_path, "--suppress-data"])
        assert r.returncode == 0 and "queued as" in r.stdout, r.stdout[-2000:]
        wait_for(lambda: len(delivered_with("under-limit-scan")) == 1, "the scan under the limit")
        # Out of the queue too before the next case pulls the plug: Dovecot
        # can hold the message before its 250 has reached the bridge, and a
        # 250 lost on the way leaves it queued (it may have been taken).
        wait_for(lambda: queue()["summary"]["count"] == 0, "an empty queue")

    with t.case("queue drop ID removes a message that was not delivered"):
        switch.on = False
        try:
            before = {m["id"] for m in queue()["messages"]}
            r = swaks("dropped", "mfp-3", passwords["mfp-3"], source=4)
            assert r.returncode == 0, r.stdout[-2000:]
            queued_id, = [m["id"] for m in queue()["messages"] if m["id"] not in before]

            def attempted():
                return [m for m in queue()["messages"]
                        if m["id"] == queued_id and m["attempts"] >= 1]
            wait_for(attempted, "an attempt")
            deadline = time.monotonic() + 20
            while True:
                r = cli("bridge", "queue", "drop", queued_id)
                if r.returncode == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.3)     # being delivered at that moment: try again
            assert r.returncode == 0, r.stderr
            left = queue()
            assert left["summary"]["count"] == 0 and spool_files() == [], (left, spool_files())
            assert cli("bridge", "queue", "drop", queued_id).returncode == 1
        finally:
            switch.on = True

    with t.case("--relay-without-auth: the listed address sends without AUTH, pinned and capped"):
        r = device_cli("add", "old-mfp", "--account", EMAIL, "--from", EMAIL, "--json")
        assert r.returncode == 0, r.stderr
        sheet = json.loads(r.stdout)
        assert sheet["relay_without_auth"] == [f"{net.host(4)}/32"], sheet
        text = device_cli("reset", "old-mfp").stdout
        assert f"Without logging in: anything at {net.host(4)}/32 may send" in text, text

        def plain_swaks(marker, source, sender=EMAIL):
            r = net.exec(["swaks", "--server", f"{LAN}:587", "--local-interface", net.host(source),
                          "--from", sender, "--to", "office@example.net",
                          "--header", f"Subject: {marker}"], timeout=120)
            outputs.extend([r.stdout, r.stderr])
            return r

        r = plain_swaks("relayed-without-auth", 4)
        assert r.returncode == 0 and "queued as" in r.stdout, r.stdout[-2000:]
        wait_for(lambda: len(delivered_with("relayed-without-auth")) == 1, "delivery")
        r = plain_swaks("relayed-other-sender", 4, sender="boss@example.com")
        assert r.returncode != 0 and "550 5.7.1" in r.stdout, r.stdout[-2000:]
        # Another address of the allow-list still has to log in (after TLS).
        r = plain_swaks("not-relayed", 2)
        assert r.returncode != 0 and "530 5.7.0 Authentication required" in r.stdout, r.stdout[-2000:]
        assert f"relay without AUTH from {net.host(4)} as old-mfp" in bridge.log_text()

    with t.case("--legacy-tls: a TLS 1.0-only printer sends through a process of its own"):
        # The bridge itself (its LAN listener, so its upstream connections too) takes TLS 1.2+.
        got = printer("tls1", LAN, "587", source=4)
        assert got["tls"] is None, got
        bridge.stop()
        bridge.close()
        bridge = Bridge("--config", config, "--lan", LAN, "--allow", net.host(2) + "/32",
                        "--allow", net.host(4), "--legacy-tls", f"{LAN}:2587",
                        "--legacy-smtps", f"{LAN}:2465", env=dict(os.environ, G_MESSAGES_DEBUG="all"))
        assert f"smtp {LAN}:2587 starttls" in bridge.listeners, bridge.listeners
        assert f"smtp {LAN}:2465 tls" in bridge.listeners, bridge.listeners
        got = printer("tls1", LAN, "2587", "mfp-3", passwords["mfp-3"], "legacy-tls-scan", source=4)
        assert got["tls"] == "TLSv1" and got.get("sent") is True, got
        wait_for(lambda: len(delivered_with("legacy-tls-scan")) == 1, "delivery of the legacy scan")
        # Devices only there: an account's login is refused, so nothing
        # upstream ever goes through the weak process.
        r = cli("bridge", "enable", EMAIL, "--protocols", "smtp", "--json")
        account_password = json.loads(r.stdout)["password"]
        passwords["account"] = account_password
        got = printer("tls1", LAN, "2587", EMAIL, account_password, "legacy-account", source=4)
        assert got.get("sent") is False and "devices" in got.get("error", ""), got
        # Outside the allow-list: nothing, as on the other listeners.
        assert printer("greeting", LAN, "2587", source=3) == ""
        status = json.loads(cli("bridge", "status", "--json").stdout)
        legacy = {l["port"]: l for l in status["listeners"] if l.get("legacy_tls")}
        assert sorted(legacy) == [2465, 2587], status
        assert legacy[2587]["security"] == "starttls" and legacy[2587]["running"], status
        assert legacy[2465]["security"] == "tls" and legacy[2465]["running"], status

    with t.case("--legacy-smtps: a TLS 1.0-only printer on implicit TLS; its PDF arrives byte-exact"):
        # The normal implicit-TLS listener refuses TLS 1.0 at the handshake.
        got = printer("tls1-implicit", LAN, "465", source=4)
        assert got["tls"] is None, got
        pdf = b"%PDF-1.4\n" + os.urandom(256 * 1024) + b"\n%%EOF\n"
        pdf_path = os.path.join(SCRATCH, "legacy-scan.pdf")
        with open(pdf_path, "wb") as f:
            f.write(pdf)
        got = printer("tls1-implicit", LAN, "2465", "mfp-3", passwords["mfp-3"],
                      "legacy-smtps-scan", pdf_path, source=4)
        assert got["tls"] == "TLSv1" and got.get("sent") is True, got
        wait_for(lambda: len(delivered_with("legacy-smtps-scan")) == 1
                 and delivered_with("legacy-smtps-scan")[0].rstrip().endswith(b"--"),
                 "delivery of the implicit-TLS legacy scan")
        parsed = email.message_from_bytes(delivered_with("legacy-smtps-scan")[0],
                                          policy=email.policy.default)
        parts = [p for p in parsed.walk() if p.get_content_type() == "application/pdf"]
        assert len(parts) == 1 and parts[0].get_content() == pdf, "the PDF changed on its way"
        # Devices only there too.
        got = printer("tls1-implicit", LAN, "2465", EMAIL, passwords["account"], "legacy-smtps-account",
                      source=4)
        assert got.get("sent") is False and "devices" in got.get("error", ""), got
        assert printer("greeting", LAN, "2465", source=3) == ""
        # The setup sheet names both ports for old devices.
        sheet = json.loads(device_cli("reset", "mfp-3", "--json").stdout)
        passwords["mfp-3"] = sheet["password"]
        assert sheet["ports"] == {"smtp": 587, "smtps": 465, "legacy_tls": 2587,
                                  "legacy_smtps": 2465}, sheet
        text = device_cli("reset", "mfp-3").stdout
        passwords["mfp-3"] = next(l.split()[-1] for l in text.splitlines() if "Password:" in l)
        assert "port 2587, security STARTTLS" in text and "port 2465, security SSL/TLS" in text, text

    with t.case("needs sign-in: queued, one notification, delivered after signing in again"):
        monitor = Process(["dbus-monitor", "--session", "interface='org.gtk.Notifications'",
                           "interface='org.freedesktop.Notifications'"],
                          log=os.path.join(SCRATCH, "monitor.log"))
        time.sleep(0.5)
        idp.control("config", {"access_token_lifetime": 120})
        assert cli("token", EMAIL, "--force-refresh").returncode == 0
        idp.control("config", {"access_token_lifetime": 3600})
        idp.control("revoke", {"user": EMAIL})
        bridge.stop()
        bridge.close()
        bridge = Bridge("--config", config, "--lan", LAN, "--allow", net.host(2) + "/32",
                        "--allow", net.host(4), env=dict(os.environ, G_MESSAGES_DEBUG="all"))
        r = swaks("after-sign-in", "mfp-3", passwords["mfp-3"], source=4)
        assert r.returncode == 0 and "queued as" in r.stdout, r.stdout[-2000:]
        wait_for(lambda: (queue()["messages"] or [{}])[0].get("attempts", 0) >= 2, "two attempts")
        assert "sign" in queue()["messages"][0]["last_error"], queue()
        monitor.close()
        calls = monitor.proc.stdout.read()
        assert calls.count("member=AddNotification") == 1, calls
        assert not delivered_with("after-sign-in")
        p = Process([CLI, "login", EMAIL, "--no-browser"])
        browse(p.readline().strip())
        assert p.proc.wait(timeout=60) == 0
        p.close()
        wait_for(lambda: len(delivered_with("after-sign-in")) == 1, "delivery after signing in")
        wait_for(lambda: queue()["summary"]["count"] == 0, "an empty queue")

    with t.case("device disable: refused for good, saying so; queued mail still goes; enable: at once"):
        # A message it handed over before IT switched it off is still delivered.
        switch.on = False
        try:
            r = swaks("queued-before-disable", "mfp-3", passwords["mfp-3"], source=4)
            assert r.returncode == 0 and "queued as" in r.stdout, r.stdout[-2000:]
            r = device_cli("disable", "mfp-3")
            assert r.returncode == 0 and "Switched the device mfp-3 off" in r.stderr, r.stderr
        finally:
            switch.on = True
        assert cli("bridge", "queue", "retry").returncode == 0
        wait_for(lambda: len(delivered_with("queued-before-disable")) == 1, "the queued message")
        # Its right password: a permanent refusal that says why, at once.
        r = swaks("while-disabled", "mfp-3", passwords["mfp-3"], source=4)
        assert r.returncode != 0 and "535 5.7.13 This device is switched off in Latchkey" \
            in r.stdout, r.stdout[-2000:]
        assert not delivered_with("while-disabled")
        devices = device_list()
        assert devices["mfp-3"]["enabled"] is False, devices
        assert "switched off" in devices["mfp-3"]["last_error"], devices
        assert devices["lobby-scanner"]["enabled"] is True, devices
        assert "(disabled)" in [l for l in device_cli("list").stdout.splitlines()
                                if l.startswith("mfp-3 ")][0]
        assert f"login as mfp-3 from {net.host(4)}: disabled: " in bridge.log_text()
        # A wrong password for it is still a guess, refused as any other.
        code, text = printer("login", LAN, "587", "mfp-3", "wrong-" + passwords["mfp-3"][6:],
                             source=4)
        assert code == 535 and "switched off" not in text, (code, text)
        # Without AUTH (--relay-without-auth) it is refused too.
        assert device_cli("disable", "old-mfp").returncode == 0
        r = plain_swaks("relay-while-disabled", 4)
        assert r.returncode != 0 and "550 5.7.13 This device is switched off in Latchkey" \
            in r.stdout, r.stdout[-2000:]
        assert "the device old-mfp is switched off" in bridge.log_text()
        assert device_cli("enable", "old-mfp").returncode == 0
        # Switched on: the same password works at once, no restart.
        r = device_cli("enable", "mfp-3")
        assert r.returncode == 0 and "Switched the device mfp-3 on" in r.stderr, r.stderr
        r = swaks("enabled-again", "mfp-3", passwords["mfp-3"], source=4)
        assert r.returncode == 0 and "queued as" in r.stdout, r.stdout[-2000:]
        wait_for(lambda: len(delivered_with("enabled-again")) == 1, "delivery after enabling")
        assert device_list()["mfp-3"]["enabled"] is True
        r = device_cli("disable", "no-such-device")
        assert r.returncode == 1 and "there is no device no-such-device" in r.stderr, r.stderr

    with t.case("fail2ban-regex with data/fail2ban/latchkey-bridge.conf finds the refusals"):
        import re
        log = bridge.log_text()
        refusals = [l for l in log.splitlines()
                    if re.search(r" login as .* from \S+: (refused|locked): ", l)
                    or "not on the allow-list" in l]
        assert len(refusals) >= 25, refusals
        r = subprocess.run(["fail2ban-regex", bridge.log_path,
                            os.path.join(SOURCE, "data", "fail2ban", "latchkey-bridge.conf")],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        m = re.search(r"^Lines: \d+ lines, \d+ ignored, (\d+) matched", r.stdout, re.M)
        assert m and int(m.group(1)) == len(refusals), (len(refusals), r.stdout[-3000:])
        # Successful logins are not failures.
        oks = [l for l in log.splitlines() if re.search(r" login as .* from \S+: ok: ", l)]
        assert oks, "no successful login in the log"
        # Nor is a switched-off device's login with its right password:
        # its lines are in the log, and the count above left them out.
        assert any(": disabled: " in l for l in log.splitlines()), "no disabled login in the log"

    with t.case("SIGTERM stops it cleanly"):
        assert bridge.stop() == 0, bridge.log_text()[-2000:]

    with t.case("--lan on an address no interface has, or 0.0.0.0 without --allow: clear refusals"):
        r = cli("bridge", "run", "--lan", "192.0.2.77", "--config", config)
        assert r.returncode == 1 and "No network interface of this machine has the address " \
            "192.0.2.77" in r.stderr, r.stderr
        r = cli("bridge", "run", "--lan", "0.0.0.0", "--config", config)
        assert r.returncode == 1 and "--allow" in r.stderr, r.stderr
        r = cli("bridge", "run", "--lan", LAN, "--allow", "10.0.0.1/8", "--config", config)
        assert r.returncode == 1 and "10.0.0.1/8" in r.stderr, r.stderr

    with t.case("no password or token in any file, output or the debug log"):
        secrets = list(passwords.values())
        hits = scan_for_secrets([os.environ["HOME"], SCRATCH], extra=secrets,
                                skip=[os.path.join(os.environ["HOME"], ".local", "share", "keyrings"),
                                      os.path.join(SCRATCH, "dovecot")])
        hits = [h for h in hits if not h[0].endswith("idp.log")]
        assert not hits, hits
        log = bridge.log_text()
        assert not any(p in log for p in secrets)
        # The sheets print passwords on purpose; tokens never appear anywhere.
        leaked = [o for o in outputs if "lkrt_" in o or "eyJ" in o]
        assert not leaked, leaked
finally:
    if bridge is not None:
        bridge.close()
    idp.close()
    dovecot.close()
    net.close()

t.done()
