#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The system bridge end to end (issue #16, "A box without a desktop"): an
app-only scanner mailbox added by root into the sealed token store, the
bridge enabled for it, `latchkey-bridge --system` started as
latchkey-bridge.service would start it — its own user, the state, runtime
and configuration folders in $STATE_DIRECTORY and friends, the key in
$CREDENTIALS_DIRECTORY and no host key —, and a device that sends through
the bridge to Dovecot with a password. No secret in any file but the
sealed store, nor in the daemon's log with every debug message on."""
import json
import os
import secrets
import shutil
import signal
import smtplib
import ssl
import subprocess
import time

from harness import (BUILD, NOBODY, SCRATCH, Bridge, Dovecot, Idp, SystemBox, Tap, for_anyone,
                     scan_for_secrets, secret_tool_lookup, write_profile)

SECRET = "lksecret_scanner"
MAILBOX = "scanner@example.com"
DAEMON = os.path.join(BUILD, "src", "bridge", "latchkey-bridge")

t = Tap()
if shutil.which("systemd-creds") is None or shutil.which("swaks") is None:
    with t.case("systemd-creds and swaks are installed"):
        raise AssertionError("install systemd and swaks (build-aux/packages.txt)")
    t.done()

box = SystemBox()
dovecot = Dovecot(audience="https://outlook.office365.com")
idp = Idp(*dovecot.idp_args(), "--token-size", "2500", "--client",
          "lk-app:" + SECRET + ":SMTP.SendAsApp", "--app-mailbox", MAILBOX)
write_profile(idp, servers=dovecot.servers(), ca_file=dovecot.ca_file, folder=box.providers)
os.chmod(os.path.join(box.providers, "testidp.json"), 0o644)
box.seal_key(secrets.token_bytes(32))
bridge = None
password = None
outputs = []


def system(*args, **kw):
    r = box.cli(*args, **kw)
    outputs.extend([r.stdout, r.stderr])
    return r


def delivered_with(marker):
    return [m for m in dovecot.delivered() if marker.encode() in m]


try:
    with t.case("root adds the app-only mailbox and enables the bridge for SMTP"):
        r = system("add", MAILBOX, "--app-only", "--provider", "testidp", "--client-id", "lk-app",
                   "--tenant", "example.com", "--protocols", "smtp", input=SECRET + "\n")
        assert r.returncode == 0, r.stdout + r.stderr
        r = system("bridge", "enable", MAILBOX, "--json")
        assert r.returncode == 0, r.stdout + r.stderr
        settings = json.loads(r.stdout)
        password = settings["password"]
        assert settings["username"] == MAILBOX and password, settings
        assert settings["smtp"] is not None and settings["imap"] is None, settings
        logins = os.path.join(box.state, "bridge-users.json")
        st = os.stat(logins)
        assert (st.st_uid, st.st_mode & 0o777) == (NOBODY, 0o600), (st.st_uid, oct(st.st_mode))
        with open(logins) as f:
            assert password not in f.read()
        assert secret_tool_lookup(MAILBOX) is None

    with t.case("admin exchange-script --device in system mode: the system bridge's device"):
        obj = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
        r = system("bridge", "device", "add", "lobby-mfp", "--account", MAILBOX, "--from",
                   "reception@example.com", "--json")
        assert r.returncode == 0, r.stdout + r.stderr
        # The tenant comes from the app-only account; its client id here is
        # no GUID, so it is given.
        r = system("admin", "exchange-script", "--device", "lobby-mfp",
                   "--client-id", "11111111-2222-3333-4444-555555555555", "--object-id", obj)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "\nConnect-ExchangeOnline -Organization 'example.com'\n" in r.stdout, r.stdout
        assert "# For the office bridge's device lobby-mfp: " in r.stdout, r.stdout
        assert f"\nAdd-MailboxPermission -Identity '{MAILBOX}' -User '{obj}' " in r.stdout, r.stdout
        assert "\nAdd-RecipientPermission -Identity 'reception@example.com' " in r.stdout, r.stdout
        # Not the desktop's devices: an unknown one names the system command.
        r = system("admin", "exchange-script", "--device", "nowhere-mfp", "--tenant", "example.com",
                   "--client-id", "11111111-2222-3333-4444-555555555555", "--object-id", obj)
        assert r.returncode == 1 and "latchkey-cli --system bridge device list" in r.stderr, \
            (r.returncode, r.stderr)
        assert system("bridge", "device", "remove", "lobby-mfp").returncode == 0

    with t.case("latchkey-bridge --system starts as the service would: its user, its credential"):
        credentials = box.unseal_for_service()
        # No host key and no sealed credential in reach: the key can only
        # come from $CREDENTIALS_DIRECTORY, as under LoadCredentialEncrypted=.
        env = box.env(credentials, SYSTEMD_CREDENTIAL_SECRET=os.path.join(box.root, "none"),
                      LATCHKEY_STORE_CREDENTIAL=os.path.join(box.root, "none"),
                      G_MESSAGES_DEBUG="all")
        bridge = Bridge("--smtp", "127.0.0.1:0", env=env,
                        program=["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                                 "--clear-groups", for_anyone(DAEMON), "--system"])
        bridge.cert_file = os.path.join(box.state, "bridge", "cert.pem")
        assert os.stat(bridge.cert_file).st_uid == NOBODY
        assert os.path.exists(os.path.join(box.runtime, "bridge.sock"))

    with t.case("a device sends with AUTH LOGIN after STARTTLS; the message reaches Dovecot"):
        r = subprocess.run(["swaks", "--server", f"127.0.0.1:{bridge.port('smtp')}", "--tls",
                            "--auth", "LOGIN", "--auth-user", MAILBOX, "--auth-password", password,
                            "--from", MAILBOX, "--to", "office@example.net",
                            "--header", "Subject: scan-to-mail"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr
        assert len(delivered_with("scan-to-mail")) == 1, dovecot.delivered()
        assert idp.count("token:client_credentials") == 1

    with t.case("a second sender, with STARTTLS trusting the bridge's certificate"):
        context = ssl.create_default_context(cafile=bridge.cert_file)
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=30) as s:
            s.starttls(context=context)
            s.login(MAILBOX, password)
            s.sendmail(MAILBOX, ["office@example.net"], "Subject: scan-two\r\n\r\npages\r\n")
        assert len(delivered_with("scan-two")) == 1
        # The token came from memory or the sealed store: one grant so far.
        assert idp.count("token:client_credentials") == 1

    with t.case("a wrong password is refused; the upstream is never asked"):
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=30) as s:
            s.starttls(context=ssl.create_default_context(cafile=bridge.cert_file))
            try:
                s.login(MAILBOX, "wrong-" + password)
                raise AssertionError("a wrong password was accepted")
            except smtplib.SMTPAuthenticationError as e:
                assert e.smtp_code == 535, e
        assert idp.count("token:client_credentials") == 1

    with t.case("root sees it with bridge status, through the service's control socket"):
        r = system("bridge", "status", "--json")
        assert r.returncode == 0, r.stderr
        status = json.loads(r.stdout)
        assert status["running"] is True, status
        accounts = {a.get("email") or a.get("account"): a for a in status["accounts"]}
        assert MAILBOX in accounts, status

    with t.case("root adds, switches off and on a device while the service runs: it follows"):
        r = system("bridge", "device", "add", "scan-room", "--account", MAILBOX, "--from", MAILBOX,
                   "--json")
        assert r.returncode == 0, r.stderr
        device_password = json.loads(r.stdout)["password"]
        logins = os.path.join(box.state, "bridge-users.json")

        def send(marker):
            return subprocess.run(["swaks", "--server", f"127.0.0.1:{bridge.port('smtp')}", "--tls",
                                   "--auth", "PLAIN", "--auth-user", "scan-room", "--auth-password",
                                   device_password, "--from", MAILBOX, "--to",
                                   "office@example.net", "--header", f"Subject: {marker}"],
                                  capture_output=True, text=True, timeout=60)
        try:
            # Root's edit left the file the service's own: it reads it.
            st = os.stat(logins)
            assert (st.st_uid, st.st_mode & 0o777) == (NOBODY, 0o600), (st.st_uid, oct(st.st_mode))
            r = send("from-scan-room")
            assert r.returncode == 0, r.stdout[-2000:]
            r = system("bridge", "device", "disable", "scan-room")
            assert r.returncode == 0 and "Switched the device scan-room off" in r.stderr, r.stderr
            r = send("while-scan-room-is-off")
            assert r.returncode != 0 and "535 5.7.13" in r.stdout, r.stdout[-2000:]
            r = system("bridge", "device", "enable", "scan-room")
            assert r.returncode == 0, r.stderr
            r = send("scan-room-on-again")
            assert r.returncode == 0, r.stdout[-2000:]
            deadline = time.monotonic() + 30
            while len(delivered_with("scan-room-on-again")) != 1:
                assert time.monotonic() < deadline, "the device's message never arrived"
                time.sleep(0.2)
            assert not delivered_with("while-scan-room-is-off")
            st = os.stat(logins)
            assert (st.st_uid, st.st_mode & 0o777) == (NOBODY, 0o600), (st.st_uid, oct(st.st_mode))
        finally:
            system("bridge", "device", "remove", "scan-room")

    with t.case("SIGTERM stops it cleanly"):
        assert bridge.stop() == 0, bridge.log_text()[-2000:]

    with t.case("no secret in any file but the sealed store, nor in the daemon's debug log"):
        hits = scan_for_secrets([os.environ["HOME"], SCRATCH], extra=[SECRET, password],
                                skip=[os.path.join(os.environ["HOME"], ".local", "share", "keyrings"),
                                      os.path.join(SCRATCH, "dovecot")])
        hits = [h for h in hits if not h[0].endswith("idp.log")]
        assert not hits, hits
        log = bridge.log_text()
        assert "Ready" in log and password not in log and SECRET not in log
        leaked = [o for o in outputs if SECRET in o or "lkrt_" in o]
        assert not leaked, leaked
finally:
    if bridge is not None:
        bridge.close()
    idp.close()
    dovecot.close()

t.done()
