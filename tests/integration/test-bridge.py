#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bridge (doc/bridge.md) with real mail programs: they log in to
`latchkey-cli bridge run` with the password `bridge enable` made, and the
bridge signs in to the test Dovecot with the account's token from the test
identity provider (large, as Microsoft's are)."""
import base64
import imaplib
import os
import poplib
import re
import smtplib
import socket
import ssl
import time
import zlib

import json
import signal
import subprocess
import threading

from harness import (CLI, SCRATCH, Bridge, Dovecot, Idp, Process, Tap, add_with_browser,
                     browse, cli, enable_bridge, run_on_terminal, scan_for_secrets,
                     secret_tool_lookup, write_profile)

t = Tap()
dovecot = Dovecot()
idp = Idp(*dovecot.idp_args(), "--token-size", "2500")
write_profile(idp, servers=dovecot.servers(), ca_file=dovecot.ca_file)
EMAIL = "alice@example.com"
bridge = None


def delivered_with(marker):
    return [m for m in dovecot.delivered() if marker.encode() in m]


def tls_context():
    """What a careful client does: trust the bridge's own certificate."""
    return ssl.create_default_context(cafile=bridge.cert_file)


def plain_b64(user, password):
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


class Raw:
    """A client speaking the protocol by hand, for the login forms no
    library uses."""

    def __init__(self, port, tls=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        if tls:
            self.sock = tls_context().wrap_socket(self.sock, server_hostname="127.0.0.1")
        self.file = self.sock.makefile("rb")

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def line(self):
        line = self.file.readline()
        assert line, "the connection closed"
        return line.decode().rstrip("\r\n")

    def until(self, prefix):
        """Lines up to and including the first starting with @prefix."""
        lines = []
        while True:
            lines.append(self.line())
            if lines[-1].startswith(prefix):
                return lines

    def close(self):
        self.sock.close()


def seed(subject):
    dovecot.seed(EMAIL, subject)


def private_file(name, text):
    path = os.path.join(SCRATCH, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


def fetchmail(protocol, port):
    """Debian's fetchmail 6.4 (no OAuth2 at all) with a password, clear text
    on loopback as such programs are set up; messages go to a file."""
    out = os.path.join(SCRATCH, f"fetched-{protocol}")
    rc = private_file(f"fetchmailrc-{protocol}",
                      f"set no bouncemail\n"
                      f"poll 127.0.0.1 service {port} protocol {protocol} auth password\n"
                      f'  user "{EMAIL}" password "{PASSWORD}" sslproto "" keep\n'
                      f"  mda \"/bin/sh -c 'cat >> {out}'\"\n")
    r = subprocess.run(["fetchmail", "-f", rc, "--nosyslog", "--pidfile", rc + ".pid",
                        "-i", rc + ".ids"], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, FETCHMAILHOME=SCRATCH))
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    with open(out) as f:
        return f.read()


def wait_for_sessions(n, timeout=10):
    """Until the bridge counts @n open sessions (closing takes a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        sessions = json.loads(cli("bridge", "status", "--json").stdout)["sessions"]
        if sessions == n:
            return
        assert time.monotonic() < deadline, f"{sessions} sessions open, not {n}"
        time.sleep(0.1)


def restart_with_token_about_to_expire():
    """A stored token about to expire, so that the bridge must refresh, and
    a bridge started again, so that it has no token cached."""
    global bridge
    idp.control("config", {"access_token_lifetime": 120})
    assert cli("token", EMAIL, "--force-refresh").returncode == 0
    idp.control("config", {"access_token_lifetime": 3600})
    bridge.stop()
    bridge.close()
    # These cases refresh, sign in upstream twice, or sign in 50 clients at
    # once: each step gets the default 15 s rather than the 3 s of the
    # IDLE case, which a loaded CI machine exceeded (a timeout is a
    # temporary error, not the permanent one these cases expect).
    bridge = Bridge("--config", patient_config, env=dict(os.environ, G_MESSAGES_DEBUG="all"))


def dovecot_log():
    with open(dovecot.conf["log"], errors="replace") as f:
        return f.read()


try:
    with t.case("sign in, enable the bridge, start it"):
        r = add_with_browser(EMAIL, "--protocols", "imap,pop,smtp")
        assert r.returncode == 0, r.stderr
        settings = enable_bridge(EMAIL)
        PASSWORD = settings["password"]
        assert settings["username"] == EMAIL and len(PASSWORD.replace("-", "")) >= 25, settings
        # Short limits, so that the tests of them are quick; and every debug
        # message, which must still hold no secret.
        config = private_file("bridge.json", json.dumps({"login_timeout": 8, "upstream_timeout": 3,
                                                          "max_connections_per_address": 60}))
        patient_config = private_file("bridge-patient.json",
                                      json.dumps({"login_timeout": 8, "upstream_timeout": 15,
                                                  "max_connections_per_address": 60}))
        bridge = Bridge("--config", config, env=dict(os.environ, G_MESSAGES_DEBUG="all"))
        assert set(bridge.ports) == {"imap", "pop", "smtp", "imaps", "pop3s", "smtps"}, bridge.ports

    with t.case("smtplib: AUTH PLAIN in clear text on loopback, the message arrives"):
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=30) as s:
            s.ehlo()
            assert "PLAIN" in s.esmtp_features["auth"], s.esmtp_features
            s.login(EMAIL, PASSWORD)
            s.sendmail(EMAIL, ["bob@example.net"], "Subject: slice-plain\r\n\r\nhello\r\n")
        assert len(delivered_with("slice-plain")) == 1

    with t.case("smtplib: AUTH PLAIN on a continuation line, and AUTH LOGIN inline and in two steps"):
        for mechanism, inline, marker in (("PLAIN", False, "plain-two-step"),
                                          ("LOGIN", True, "login-inline"),
                                          ("LOGIN", False, "login-two-step")):
            with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=30) as s:
                s.ehlo()
                s.user, s.password = EMAIL, PASSWORD
                auth = s.auth_plain if mechanism == "PLAIN" else s.auth_login
                code, _ = s.auth(mechanism, auth, initial_response_ok=inline)
                assert code == 235, (mechanism, inline, code)
                s.sendmail(EMAIL, ["bob@example.net"], f"Subject: {marker}\r\n\r\nhi\r\n")
            assert len(delivered_with(marker)) == 1, marker

    with t.case("smtplib: STARTTLS with the bridge's certificate, and implicit TLS"):
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=30) as s:
            s.starttls(context=tls_context())
            s.login(EMAIL, PASSWORD)
            s.sendmail(EMAIL, ["bob@example.net"], "Subject: smtp-starttls\r\n\r\nhi\r\n")
        with smtplib.SMTP_SSL("127.0.0.1", bridge.port("smtps"), timeout=30,
                              context=tls_context()) as s:
            s.login(EMAIL, PASSWORD)
            s.sendmail(EMAIL, ["bob@example.net"], "Subject: smtp-implicit\r\n\r\nhi\r\n")
        assert delivered_with("smtp-starttls") and delivered_with("smtp-implicit")

    with t.case("smtplib: after AUTH, EHLO shows the upstream's extensions"):
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=30) as s:
            s.ehlo()
            before = set(s.esmtp_features)
            s.login(EMAIL, PASSWORD)
            code, text = s.ehlo()
            assert code == 250 and b"mail.test" in text, text   # Dovecot's hostname
            assert set(s.esmtp_features) != before, (before, s.esmtp_features)

    with t.case("imaplib: LOGIN in clear text; the tagged OK carries the upstream's capabilities"):
        seed("imap-plain")
        m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=30)
        assert "AUTH=PLAIN" in m.capabilities and "IDLE" not in m.capabilities, m.capabilities
        typ, data = m.login(EMAIL, PASSWORD)
        assert typ == "OK", data
        # The response code of the tagged OK: Dovecot's list, which has IDLE.
        _, code = m.response("CAPABILITY")
        assert code[0] and b"IDLE" in code[0], code
        typ, data = m.capability()
        assert b"IDLE" in data[0] and b"AUTH=PLAIN" not in data[0], data
        typ, data = m.select("INBOX")
        assert typ == "OK" and int(data[0]) >= 1, data
        typ, data = m.search(None, "SUBJECT", "imap-plain")
        assert typ == "OK" and data[0], data
        m.logout()

    with t.case("imaplib: LOGIN with a synchronising literal, AUTHENTICATE PLAIN by continuation"):
        m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=30)
        m.literal = PASSWORD.encode()
        typ, _ = m._simple_command("LOGIN", EMAIL)
        assert typ == "OK"
        m.logout()
        m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=30)
        typ, _ = m.authenticate("PLAIN", lambda _: f"\0{EMAIL}\0{PASSWORD}".encode())
        assert typ == "OK"
        m.logout()

    with t.case("imaplib: STARTTLS, and implicit TLS"):
        m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=30)
        m.starttls(ssl_context=tls_context())
        assert m.login(EMAIL, PASSWORD)[0] == "OK"
        m.logout()
        m = imaplib.IMAP4_SSL("127.0.0.1", bridge.port("imaps"), ssl_context=tls_context(),
                              timeout=30)
        assert m.login(EMAIL, PASSWORD)[0] == "OK"
        m.logout()

    with t.case("IMAP by hand: quoted strings with escapes, {n+} literals, SASL-IR"):
        raw = Raw(bridge.port("imap"))
        raw.line()
        user_quoted = EMAIL.replace("@", "\\@")   # a needless escape is not allowed: refused
        raw.send(f'a1 LOGIN "{user_quoted}" "{PASSWORD}"\r\n')
        assert raw.line().startswith("a1 BAD"), "an invalid escape must be refused"
        raw.send(f'a2 LOGIN "{EMAIL}" {{{len(PASSWORD)}+}}\r\n{PASSWORD}\r\n')
        assert raw.until("a2 ")[-1].startswith("a2 OK [CAPABILITY"), "LITERAL+ login"
        raw.send("a3 LOGOUT\r\n")
        raw.until("a3 ")
        raw.close()
        raw = Raw(bridge.port("imap"))
        raw.line()
        raw.send(f"b1 AUTHENTICATE PLAIN {plain_b64(EMAIL, PASSWORD)}\r\n")
        assert raw.until("b1 ")[-1].startswith("b1 OK"), "SASL-IR"
        raw.close()

    with t.case("before login: IMAP ID is answered; \"*\" cancels AUTHENTICATE and AUTH in each protocol"):
        raw = Raw(bridge.port("imap"))
        raw.line()
        raw.send('c1 ID ("name" "fetchmail" "version" NIL)\r\n')
        lines = raw.until("c1 ")
        assert lines[0].startswith('* ID ("name" "Latchkey bridge"') and lines[-1].startswith("c1 OK"), lines
        raw.send("c2 AUTHENTICATE PLAIN\r\n")
        assert raw.line() == "+ "
        raw.send("*\r\n")
        assert raw.line().startswith("c2 BAD"), "cancelled (RFC 9051 6.2.2)"
        raw.send("c3 NOOP\r\n")
        assert raw.line().startswith("c3 OK"), "the session goes on, not logged in"
        raw.close()
        raw = Raw(bridge.port("smtp"))
        raw.line()
        raw.send("EHLO client\r\n")
        raw.until("250 ")
        raw.send("AUTH LOGIN\r\n")
        assert raw.line().startswith("334 ")
        raw.send("*\r\n")
        assert raw.line().startswith("501 "), "cancelled (RFC 4954 4)"
        raw.send("MAIL FROM:<alice@example.com>\r\n")
        assert raw.line().startswith("530 "), "still not logged in"
        raw.close()
        raw = Raw(bridge.port("pop"))
        raw.line()
        raw.send("AUTH PLAIN\r\n")
        assert raw.line() == "+ "
        raw.send("*\r\n")
        assert raw.line().startswith("-ERR"), "cancelled (RFC 5034)"
        raw.send("STAT\r\n")
        assert raw.line().startswith("-ERR"), "still not logged in"
        raw.close()

    with t.case("IMAP: what the client pipelines after LOGIN reaches the server first, in order"):
        raw = Raw(bridge.port("imap"))
        raw.line()
        raw.send(f'p1 LOGIN "{EMAIL}" "{PASSWORD}"\r\np2 SELECT INBOX\r\np3 NOOP\r\n'
                 "p4 LOGOUT\r\n")
        lines = raw.until("p4 ")
        tags = [l.split()[0] for l in lines if l.split()[0].startswith("p")]
        assert tags == ["p1", "p2", "p3", "p4"], lines
        assert all(l.split()[1] == "OK" for l in lines if l.split()[0] in tags), lines
        raw.close()

    with t.case("poplib: USER/PASS in clear text, STLS, implicit TLS"):
        seed("pop-plain")
        p = poplib.POP3("127.0.0.1", bridge.port("pop"), timeout=30)
        assert "STLS" in p.capa()
        p.user(EMAIL)
        assert p.pass_(PASSWORD).startswith(b"+OK")
        count, _ = p.stat()
        assert count >= 1
        assert any(b"pop-plain" in l for l in p.retr(count)[1])
        p.quit()
        p = poplib.POP3("127.0.0.1", bridge.port("pop"), timeout=30)
        p.stls(context=tls_context())
        p.user(EMAIL)
        assert p.pass_(PASSWORD).startswith(b"+OK")
        p.quit()
        p = poplib.POP3_SSL("127.0.0.1", bridge.port("pop3s"), context=tls_context(), timeout=30)
        p.user(EMAIL)
        assert p.pass_(PASSWORD).startswith(b"+OK")
        p.quit()

    with t.case("POP3: AUTH PLAIN with an initial response and by continuation"):
        p = poplib.POP3("127.0.0.1", bridge.port("pop"), timeout=30)
        assert p._shortcmd("AUTH PLAIN " + plain_b64(EMAIL, PASSWORD)).startswith(b"+OK")
        assert p.stat()[0] >= 0
        p.quit()
        raw = Raw(bridge.port("pop"))
        raw.line()
        raw.send("AUTH PLAIN\r\n")
        assert raw.line() == "+ "
        raw.send(plain_b64(EMAIL, PASSWORD) + "\r\n")
        assert raw.line().startswith("+OK")
        raw.send("QUIT\r\n")
        raw.close()
    with t.case("fetchmail 6.4 retrieves over IMAP and over POP3 with the password"):
        seed("fetchmail-imap")
        assert "Subject: fetchmail-imap" in fetchmail("IMAP", bridge.port("imap"))
        seed("fetchmail-pop")
        assert "Subject: fetchmail-pop" in fetchmail("POP3", bridge.port("pop"))

    with t.case("swaks sends with AUTH LOGIN and with AUTH PLAIN"):
        for mechanism in ("LOGIN", "PLAIN"):
            r = subprocess.run(["swaks", "--server", f"127.0.0.1:{bridge.port('smtp')}",
                                "--auth", mechanism, "--auth-user", EMAIL, "--auth-password", PASSWORD,
                                "--from", EMAIL, "--to", "bob@example.net",
                                "--header", f"Subject: swaks-{mechanism}"],
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, (mechanism, r.stdout[-2000:], r.stderr)
            assert f"AUTH {mechanism}" in r.stdout and "235 2.7.0" in r.stdout, r.stdout
            assert len(delivered_with(f"swaks-{mechanism}")) == 1

    with t.case("msmtp with auth plain and a password, over STARTTLS with the bridge's certificate"):
        rc = private_file("msmtprc", f"defaults\ntls on\ntls_starttls on\n"
                                     f"tls_trust_file {bridge.cert_file}\n"
                                     f"account bridge\nhost 127.0.0.1\nport {bridge.port('smtp')}\n"
                                     f"auth plain\nuser {EMAIL}\npassword {PASSWORD}\n"
                                     f"from {EMAIL}\naccount default : bridge\n")
        r = subprocess.run(["msmtp", "-C", rc, "bob@example.net"], input="Subject: msmtp-plain\n\nhi\n",
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert len(delivered_with("msmtp-plain")) == 1

    with t.case("NeoMutt with imap_pass over STARTTLS shows the INBOX"):
        seed("neomutt-through-the-bridge")
        folder = f"imap://{EMAIL.replace('@', '%40')}@127.0.0.1:{bridge.port('imap')}/"
        rc = private_file("neomuttrc", f'set folder="{folder}"\nset spoolfile="+INBOX"\n'
                                       f'set imap_user="{EMAIL}"\nset imap_pass="{PASSWORD}"\n'
                                       "set ssl_starttls=yes\nset ssl_force_tls=yes\n"
                                       f'set ssl_ca_certificates_file="{bridge.cert_file}"\n'
                                       f'set certificate_file="{SCRATCH}/neomutt-certs"\n'
                                       'set header_cache=""\nset message_cachedir=""\n')
        logins = bridge.log_text().count("imap login as")
        shown, screen = run_on_terminal(["neomutt", "-n", "-F", rc], os.environ,
                                        until=["neomutt-through-the-bridge"],
                                        log=os.path.join(SCRATCH, "neomutt-screen.log"))
        assert shown, screen[-3000:]
        assert bridge.log_text().count("imap login as") > logins

    with t.case("IMAP IDLE through the bridge receives a new message's EXISTS, idle for long"):
        raw = Raw(bridge.port("imap"))
        raw.line()
        raw.send(f'i1 LOGIN "{EMAIL}" "{PASSWORD}"\r\ni2 SELECT INBOX\r\n')
        raw.until("i2 ")
        raw.send("i3 IDLE\r\n")
        assert raw.line().startswith("+"), "IDLE continuation"
        # Longer than every timeout of the sign-in (upstream_timeout 3 s)
        # and of the login (8 s): a relayed session has none.
        time.sleep(10)
        seed("idle-wakes-up")
        # Dovecot's keep-alive ("* OK Still here") comes at a time of its
        # choosing within imap_idle_notify_interval: a client passes over it.
        line = raw.line()
        while line.startswith("* OK"):
            line = raw.line()
        assert line.startswith("* ") and line.endswith(" EXISTS"), line
        raw.send("DONE\r\n")
        assert raw.until("i3 ")[-1].startswith("i3 OK")
        raw.close()

    with t.case("IMAP COMPRESS=DEFLATE (RFC 4978) after login: the relay passes the "
                "compressed stream both ways untouched"):
        seed("compressed-hello")
        raw = Raw(bridge.port("imap"))
        raw.line()
        raw.send(f'c1 LOGIN "{EMAIL}" "{PASSWORD}"\r\n')
        ok = raw.until("c1 ")[-1]
        assert ok.startswith("c1 OK [CAPABILITY ") and "COMPRESS=DEFLATE" in ok, ok
        raw.send("c2 COMPRESS DEFLATE\r\n")
        assert raw.until("c2 ")[-1].startswith("c2 OK"), "COMPRESS refused"
        # From here on both directions are raw DEFLATE (no zlib header).
        deflate = zlib.compressobj(wbits=-15)
        inflate = zlib.decompressobj(wbits=-15)

        def send_compressed(text):
            raw.sock.sendall(deflate.compress(text.encode()) + deflate.flush(zlib.Z_SYNC_FLUSH))

        def read_compressed_until(prefix):
            text = b""
            while not re.search(rb"(^|\r\n)" + prefix.encode() + rb"[^\r\n]*\r\n", text):
                chunk = raw.sock.recv(65536)
                assert chunk, "the connection closed"
                text += inflate.decompress(chunk)
            return text

        send_compressed('c3 SELECT INBOX\r\nc4 SEARCH SUBJECT "compressed-hello"\r\n')
        text = read_compressed_until("c4 ")
        assert b"c3 OK" in text and b"c4 OK" in text, text[-500:]
        number = re.search(rb"\* SEARCH ((?:\d+ ?)+)\r\n", text).group(1).split()[-1]
        send_compressed(f"c5 FETCH {number.decode()} (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n"
                        "c6 LOGOUT\r\n")
        text = read_compressed_until("c6 ")
        assert b"Subject: compressed-hello" in text and b"c6 OK" in text, text[-500:]
        raw.close()

    with t.case("a 20 MB APPEND and FETCH round-trip byte-exact"):
        body = os.urandom(15 * 1024 * 1024)
        message = (b"From: alice@example.com\r\nSubject: big-one\r\nContent-Type: application/"
                   b"octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                   + base64.encodebytes(body).replace(b"\n", b"\r\n"))
        assert len(message) > 20 * 1000 * 1000
        m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=120)
        m.login(EMAIL, PASSWORD)
        typ, data = m.append("INBOX", None, None, message)
        assert typ == "OK", data
        m.select("INBOX")
        typ, data = m.search(None, "SUBJECT", "big-one")
        typ, data = m.fetch(data[0].split()[-1], "(BODY.PEEK[])")
        assert typ == "OK" and data[0][1] == message, (len(data[0][1]), len(message))
        m.logout()

    with t.case("a wrong password is refused in every protocol, and Dovecot never hears of it"):
        stored = secret_tool_lookup(EMAIL)
        log_before = dovecot_log()
        wrong = "wrong-" + PASSWORD[6:]
        m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=30)
        try:
            m.login(EMAIL, wrong)
            raise AssertionError("IMAP accepted a wrong password")
        except imaplib.IMAP4.error as e:
            assert "AUTHENTICATIONFAILED" in str(e), e
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=30) as s:
            s.ehlo()
            try:
                s.login(EMAIL, wrong)
                raise AssertionError("SMTP accepted a wrong password")
            except smtplib.SMTPAuthenticationError as e:
                assert e.smtp_code == 535, e
        p = poplib.POP3("127.0.0.1", bridge.port("pop"), timeout=30)
        p.user(EMAIL)
        try:
            p.pass_(wrong)
            raise AssertionError("POP3 accepted a wrong password")
        except poplib.error_proto as e:
            assert b"[AUTH]" in e.args[0], e
        p.quit()
        new = dovecot_log()[len(log_before):]
        assert "-login:" not in new, new
        assert secret_tool_lookup(EMAIL) == stored, "a wrong password must not touch the token"

    with t.case("wrong passwords cost growing delays; the right one still works afterwards"):
        took = []
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=60) as s:
            s.ehlo()
            for _ in range(3):
                start = time.monotonic()
                code, _ = s.docmd("AUTH", "PLAIN " + plain_b64(EMAIL, "no-such-password"))
                took.append(time.monotonic() - start)
                assert code == 535, code
        assert took[0] < took[1] < took[2] and took[2] > took[0] + 1, took
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=60) as s:
            s.login(EMAIL, PASSWORD)

    with t.case("login forms the bridge does not parse are refused, and nothing is passed on"):
        log_before = dovecot_log()
        token = cli("token", EMAIL).stdout.strip()
        xoauth2 = base64.b64encode(f"user={EMAIL}\x01auth=Bearer {token}\x01\x01".encode()).decode()
        raw = Raw(bridge.port("imap"))
        raw.line()
        raw.send(f"x1 AUTHENTICATE XOAUTH2 {xoauth2}\r\nx2 AUTHENTICATE CRAM-MD5\r\n"
                 "x3 AUTHENTICATE PLAIN bm90IHBsYWlu\r\nx4 LOGIN onlyone\r\n")
        lines = raw.until("x4 ")
        assert [l.split()[1] for l in lines] == ["NO", "NO", "BAD", "BAD"], lines
        raw.close()
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=30) as s:
            s.ehlo()
            assert s.docmd("AUTH", "XOAUTH2 " + xoauth2)[0] == 504
            assert s.docmd("AUTH", "CRAM-MD5")[0] == 504
            assert s.docmd("MAIL", "FROM:<alice@example.com>")[0] == 530
        raw = Raw(bridge.port("pop"))
        raw.line()
        raw.send(f"AUTH XOAUTH2 {xoauth2}\r\nAPOP {EMAIL} 0123456789abcdef\r\n")
        assert raw.line().startswith("-ERR") and raw.line().startswith("-ERR")
        raw.close()
        new = dovecot_log()[len(log_before):]
        assert "-login:" not in new, new

    with t.case("before login: an overlong line and a huge literal are refused"):
        raw = Raw(bridge.port("smtp"))
        raw.line()
        raw.send("NOOP " + "x" * 9000 + "\r\n")
        assert raw.line().startswith("500 5.5.2"), "line too long"
        raw.close()
        raw = Raw(bridge.port("imap"))
        raw.line()
        raw.send("l1 LOGIN {70000}\r\n")
        assert raw.line().startswith("l1 BAD"), "literal too large"
        raw.send("l2 NOOP\r\n")
        assert raw.line().startswith("l2 OK"), "the session goes on"
        raw.close()

    with t.case("before login: a client making error after error is told so and closed"):
        for port, bogus, goodbye in ((bridge.port("imap"), "e{} BOGUS\r\n", "* BYE"),
                                     (bridge.port("pop"), "BOGUS {}\r\n", "-ERR Too many"),
                                     (bridge.port("smtp"), "BOGUS {}\r\n", "421 4.7.0")):
            raw = Raw(port)
            raw.line()
            raw.send("".join(bogus.format(i) for i in range(20)))
            lines = raw.until(goodbye)
            assert len(lines) == 21 and raw.file.readline() == b"", lines   # 20 refusals, goodbye
            raw.close()

    with t.case("a client that does not log in in time is told so and closed"):
        raw = Raw(bridge.port("imap"))
        raw.line()
        start = time.monotonic()
        assert raw.line().startswith("* BYE"), "autologout"
        assert 6 < time.monotonic() - start < 20
        raw.close()

    with t.case("connections from one address beyond the cap are closed at once"):
        clients = [Raw(bridge.port("pop")) for _ in range(60)]
        for c in clients:
            assert c.line().startswith("+OK")
        extra = Raw(bridge.port("pop"))
        assert extra.file.readline() == b"", "the 61st connection must be closed"
        for c in clients + [extra]:
            c.close()
        wait_for_sessions(0)

    with t.case("the upstream down: a temporary error, in each protocol's words"):
        accounts = os.path.join(os.environ["XDG_CONFIG_HOME"], "latchkey", "accounts")
        path = os.path.join(accounts, os.listdir(accounts)[0])
        original = open(path).read()
        account = json.loads(original)
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        for server in account["provider"]["servers"].values():
            server["port"] = closed.getsockname()[1]
        with open(path, "w") as f:
            json.dump(account, f)
        try:
            m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=60)
            try:
                m.login(EMAIL, PASSWORD)
                raise AssertionError("IMAP logged in with the upstream down")
            except imaplib.IMAP4.error as e:
                assert "UNAVAILABLE" in str(e), e
            with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=60) as s:
                s.ehlo()
                code, text = s.docmd("AUTH", "PLAIN " + plain_b64(EMAIL, PASSWORD))
                assert code == 454 and text.startswith(b"4.7.0"), (code, text)
            raw = Raw(bridge.port("pop"))
            raw.line()
            raw.send(f"USER {EMAIL}\r\nPASS {PASSWORD}\r\n")
            raw.line()
            assert raw.line().startswith("-ERR [SYS/TEMP]")
            raw.close()
        finally:
            with open(path, "w") as f:
                f.write(original)
            closed.close()

    with t.case("password --reset: the old password stops working at once, open sessions stay"):
        m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=30)
        m.login(EMAIL, PASSWORD)
        r = cli("bridge", "password", EMAIL, "--reset")
        assert r.returncode == 0, r.stderr
        new_password = r.stdout.strip()
        assert r.stdout == new_password + "\n" and new_password != PASSWORD
        assert m.noop()[0] == "OK", "the open session goes on"
        m.logout()
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=60) as s:
            s.ehlo()
            try:
                s.login(EMAIL, PASSWORD)
                raise AssertionError("the old password still works")
            except smtplib.SMTPAuthenticationError:
                pass
        PASSWORD = new_password
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=60) as s:
            s.login(EMAIL, PASSWORD)

    with t.case("disable refuses logins; enable again keeps the password (and does not show it)"):
        r = cli("bridge", "disable", EMAIL)
        assert r.returncode == 0, r.stderr
        try:
            with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=60) as s:
                s.ehlo()
                code, _ = s.docmd("AUTH", "PLAIN " + plain_b64(EMAIL, PASSWORD))
                assert code == 535, "a disabled login works"
        finally:
            settings = enable_bridge(EMAIL, "--protocols", "imap,smtp")
        assert settings["password"] is None and settings["pop"] is None, settings
        assert settings["imap"]["port"] == bridge.port("imap"), settings
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=60) as s:
            s.login(EMAIL, PASSWORD)
        p = poplib.POP3("127.0.0.1", bridge.port("pop"), timeout=30)
        p.user(EMAIL)
        try:
            p.pass_(PASSWORD)
            raise AssertionError("POP3 served though not enabled for it")
        except poplib.error_proto as e:
            assert b"[SYS/PERM]" in e.args[0] and b"--protocols" in e.args[0], e
        # What a person copies into a mail program: each protocol's block.
        r = cli("bridge", "enable", EMAIL, "--protocols", "imap,pop,smtp")
        assert r.returncode == 0, r.stderr
        for name in ("imap", "pop", "smtp"):
            assert f"Port:       {bridge.port(name)}\n" in r.stdout, r.stdout
        assert r.stdout.count("Server:     127.0.0.1\n") == 3, r.stdout
        assert r.stdout.count(f"User name:  {EMAIL}\n") == 3, r.stdout
        assert PASSWORD not in r.stdout and "--reset" in r.stdout, r.stdout

    with t.case("a device switched off is refused for good over IMAP and POP too, saying so"):
        r = cli("bridge", "device", "add", "desk-scanner", "--account", EMAIL, "--protocols",
                "smtp,imap,pop", "--json")
        assert r.returncode == 0, r.stderr
        device_password = json.loads(r.stdout)["password"]
        try:
            m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=60)
            m.login("desk-scanner", device_password)
            m.logout()
            r = cli("bridge", "device", "disable", "desk-scanner")
            assert r.returncode == 0, r.stderr
            m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=60)
            try:
                m.login("desk-scanner", device_password)
                raise AssertionError("IMAP logged a switched-off device in")
            except imaplib.IMAP4.error as e:
                # Permanent (no [UNAVAILABLE]: a client would retry that).
                assert "switched off" in str(e) and "UNAVAILABLE" not in str(e), e
            p = poplib.POP3("127.0.0.1", bridge.port("pop"), timeout=30)
            p.user("desk-scanner")
            try:
                p.pass_(device_password)
                raise AssertionError("POP3 logged a switched-off device in")
            except poplib.error_proto as e:
                assert b"[SYS/PERM]" in e.args[0] and b"switched off" in e.args[0], e
            assert ": disabled: " in bridge.log_text()
            # Switched on again: the same password, at once.
            assert cli("bridge", "device", "enable", "desk-scanner").returncode == 0
            p = poplib.POP3("127.0.0.1", bridge.port("pop"), timeout=30)
            p.user("desk-scanner")
            p.pass_(device_password)
            p.quit()
        finally:
            cli("bridge", "device", "remove", "desk-scanner")

    with t.case("bridge status: running, listeners, the certificate, the account's sessions"):
        m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=30)
        m.login(EMAIL, PASSWORD)
        r = cli("bridge", "status", "--json")
        assert r.returncode == 0, r.stderr
        status = json.loads(r.stdout)
        assert status["running"] is True
        assert {(l["protocol"], l["port"]) for l in status["listeners"]} >= {("imap", bridge.port("imap"))}
        fingerprint = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in",
                                      bridge.cert_file], capture_output=True, text=True).stdout
        assert status["certificate"]["sha256"] == fingerprint.strip().split("=", 1)[1], fingerprint
        account = [a for a in status["accounts"] if a["email"] == EMAIL][0]
        assert account["sessions"] >= 1 and account["last_login"], account
        assert account["protocols"] == ["imap", "pop", "smtp"], account
        human = cli("bridge", "status").stdout
        assert "running" in human and EMAIL in human and f"127.0.0.1:{bridge.port('imap')}" in human
        m.logout()

    with t.case("a revoked sign-in: a temporary error naming sign-in, one notification"):
        monitor = Process(["dbus-monitor", "--session", "interface='org.gtk.Notifications'",
                           "interface='org.freedesktop.Notifications'"],
                          log=os.path.join(SCRATCH, "monitor.log"))
        time.sleep(0.5)
        # A refresh token the provider no longer takes.
        restart_with_token_about_to_expire()
        idp.control("revoke", {"user": EMAIL})
        m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=60)
        try:
            m.login(EMAIL, PASSWORD)
            raise AssertionError("logged in with a revoked sign-in")
        except imaplib.IMAP4.error as e:
            assert "UNAVAILABLE" in str(e) and "sign in again" in str(e), e
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=60) as s:
            s.ehlo()
            code, text = s.docmd("AUTH", "PLAIN " + plain_b64(EMAIL, PASSWORD))
            assert code == 454 and b"sign in again" in text, (code, text)
        p = poplib.POP3("127.0.0.1", bridge.port("pop"), timeout=30)
        p.user(EMAIL)
        try:
            p.pass_(PASSWORD)
            raise AssertionError("POP3 logged in with a revoked sign-in")
        except poplib.error_proto as e:
            assert b"[SYS/TEMP]" in e.args[0] and b"sign in again" in e.args[0], e
        time.sleep(1)
        monitor.close()
        calls = monitor.proc.stdout.read()
        assert calls.count("member=AddNotification") == 1, calls
        assert "app.sign-in" in calls and EMAIL in calls, calls
        account = json.loads(cli("bridge", "status", "--json").stdout)["accounts"][0]
        assert "sign in again" in account["last_error"], account

    with t.case("signing in again makes the bridge work at once"):
        p = Process([CLI, "login", EMAIL, "--no-browser"])
        browse(p.readline().strip())
        assert p.proc.wait(timeout=60) == 0
        p.close()
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=60) as s:
            s.login(EMAIL, PASSWORD)

    with t.case("the upstream refuses the token for good: a permanent error in each protocol"):
        # The provider hands out tokens Dovecot does not take, twice (the
        # bridge tries once more with a fresh one before giving up).
        restart_with_token_about_to_expire()
        idp.control("fault", {"endpoint": "token", "kind": "access-token",
                              "field": "not-a-token-dovecot-takes", "count": -1})
        try:
            with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=60) as s:
                s.ehlo()
                code, text = s.docmd("AUTH", "PLAIN " + plain_b64(EMAIL, PASSWORD))
                assert code == 535 and text.startswith(b"5.7."), (code, text)
                assert b"sign in again" not in text, text
            m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=60)
            try:
                m.login(EMAIL, PASSWORD)
                raise AssertionError("IMAP logged in with a token the server refuses")
            except imaplib.IMAP4.error as e:
                assert "UNAVAILABLE" not in str(e), e
            p = poplib.POP3("127.0.0.1", bridge.port("pop"), timeout=30)
            p.user(EMAIL)
            try:
                p.pass_(PASSWORD)
                raise AssertionError("POP3 logged in with a token the server refuses")
            except poplib.error_proto as e:
                assert b"[SYS/PERM]" in e.args[0], e
            account = json.loads(cli("bridge", "status", "--json").stdout)["accounts"][0]
            assert account["last_error"], account
        finally:
            idp.control("clear-faults", {})
        # Good tokens again: the next login refreshes past the bad one.
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=60) as s:
            s.login(EMAIL, PASSWORD)

    with t.case("an administrator's consent needed (AADSTS90094 on refresh): a permanent error "
                "with the diagnosis, no notification"):
        monitor = Process(["dbus-monitor", "--session", "interface='org.gtk.Notifications'",
                           "interface='org.freedesktop.Notifications'"],
                          log=os.path.join(SCRATCH, "monitor-consent.log"))
        time.sleep(0.5)
        restart_with_token_about_to_expire()
        idp.control("fault", {"endpoint": "token", "kind": "aadsts", "code": 90094, "count": -1})
        try:
            with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=60) as s:
                s.ehlo()
                code, text = s.docmd("AUTH", "PLAIN " + plain_b64(EMAIL, PASSWORD))
                assert code == 535 and b"sign in again" not in text.lower(), (code, text)
                assert b"administrator" in text, text
            m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=60)
            try:
                m.login(EMAIL, PASSWORD)
                raise AssertionError("IMAP logged in without consent")
            except imaplib.IMAP4.error as e:
                assert "UNAVAILABLE" not in str(e) and "administrator" in str(e), e
            p = poplib.POP3("127.0.0.1", bridge.port("pop"), timeout=30)
            p.user(EMAIL)
            try:
                p.pass_(PASSWORD)
                raise AssertionError("POP3 logged in without consent")
            except poplib.error_proto as e:
                assert b"[SYS/PERM]" in e.args[0], e
            time.sleep(1)
        finally:
            idp.control("clear-faults", {})
            monitor.close()
        calls = monitor.proc.stdout.read()
        assert "member=AddNotification" not in calls and "member=Notify" not in calls, calls
        account = json.loads(cli("bridge", "status", "--json").stdout)["accounts"][0]
        assert "administrator" in account["last_error"], account
        # Consent given: once signed in again, the next login works.
        p = Process([CLI, "login", EMAIL, "--no-browser"])
        browse(p.readline().strip())
        assert p.proc.wait(timeout=60) == 0
        p.close()
        with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=60) as s:
            s.login(EMAIL, PASSWORD)

    with t.case("a token expiring while 50 clients log in at once: one refresh, 50 logins"):
        restart_with_token_about_to_expire()
        idp.control("reset-counts", {})
        codes = []
        barrier = threading.Barrier(50, timeout=60)

        def client():
            try:
                with smtplib.SMTP("127.0.0.1", bridge.port("smtp"), timeout=60) as s:
                    s.ehlo()
                    barrier.wait()
                    codes.append(s.docmd("AUTH", "PLAIN " + plain_b64(EMAIL, PASSWORD))[0])
            except Exception as e:  # noqa: BLE001 - reported below
                codes.append(repr(e))

        threads = [threading.Thread(target=client) for _ in range(50)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert codes == [235] * 50, codes
        assert idp.count("token:refresh_token") == 1, idp.stats()["counts"]

    with t.case("SIGTERM with sessions open: they are closed, each in its protocol's words"):
        waiting = Raw(bridge.port("smtp"))
        assert waiting.line().startswith("220")
        m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=30)
        m.login(EMAIL, PASSWORD)
        m.select("INBOX")
        start = time.monotonic()
        assert bridge.stop() == 0, bridge.log_text()[-2000:]
        assert time.monotonic() - start < 10
        assert waiting.line().startswith("421 4.3.2"), "goodbye before login"
        try:
            m.noop()
            raise AssertionError("the relayed session survived the bridge")
        except (imaplib.IMAP4.abort, OSError):
            pass
        log = bridge.log_text()
        assert "session ended (shutdown)" in log, log[-2000:]
        assert not os.path.exists(os.path.join(os.environ["XDG_RUNTIME_DIR"], "latchkey",
                                               "bridge.sock"))
        assert bridge.stdout_after_ready == [], bridge.stdout_after_ready
        assert "not running" in cli("bridge", "status").stdout

    with t.case("SIGHUP and a change of bridge.json reload the listeners; sessions stay"):
        def free_port():
            free = socket.socket()
            free.bind(("127.0.0.1", 0))
            port = free.getsockname()[1]
            free.close()
            return port

        # bridge.json's listeners are replaced by the command line's; a
        # bridge started without any follows the file.
        with open(config) as f:
            settings = json.load(f)
        settings["listeners"] = [{"protocol": "imap", "port": free_port()}]
        with open(config, "w") as f:
            json.dump(settings, f)
        bridge = Bridge("--config", config, listeners=False)
        m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=30)
        m.login(EMAIL, PASSWORD)
        new_port = free_port()
        settings["listeners"] = [{"protocol": "imap", "port": new_port}]
        with open(config, "w") as f:
            json.dump(settings, f)
        bridge.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while True:
            listeners = json.loads(cli("bridge", "status", "--json").stdout)["listeners"]
            if any(l["port"] == new_port for l in listeners):
                break
            assert time.monotonic() < deadline, listeners
            time.sleep(0.2)
        assert m.noop()[0] == "OK", "an open session survives a reload"
        m.logout()
        bridge.stop()
        bridge.close()
        # A change to the file is noticed without a signal.
        bridge = Bridge("--config", config, listeners=False)
        assert bridge.ports == {"imap": new_port}, bridge.ports
        settings["listeners"].append({"protocol": "smtp", "port": 0})
        with open(config, "w") as f:
            json.dump(settings, f)
        deadline = time.monotonic() + 10
        while True:
            listeners = json.loads(cli("bridge", "status", "--json").stdout)["listeners"]
            if any(l["protocol"] == "smtp" for l in listeners):
                break
            assert time.monotonic() < deadline, listeners
            time.sleep(0.2)
        bridge.stop()
        bridge.close()
        del settings["listeners"]
        with open(config, "w") as f:
            json.dump(settings, f)
        bridge = Bridge("--config", config, env=dict(os.environ, G_MESSAGES_DEBUG="all"))

    with t.case("keep-alive: a sign-in unused for 14 days is refreshed by the daemon"):
        item = json.loads(secret_tool_lookup(EMAIL))
        item["expires_at"] = int(time.time()) - 15 * 86400
        r = subprocess.run(["secret-tool", "store", f"--label=Latchkey: {EMAIL}", "xdg:schema",
                            "io.github.latchkey.Token", "account", EMAIL, "version", "1"],
                           input=json.dumps(item), capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        before = idp.count("token:refresh_token")
        bridge.stop()
        bridge.close()
        bridge = Bridge("--config", config, env=dict(os.environ, G_MESSAGES_DEBUG="all"))
        # The first pass runs 10 seconds after start.
        deadline = time.monotonic() + 30
        while idp.count("token:refresh_token") == before:
            assert time.monotonic() < deadline, bridge.log_text()[-2000:]
            time.sleep(0.5)
        time.sleep(0.5)
        assert json.loads(secret_tool_lookup(EMAIL))["expires_at"] > time.time() + 1800
        assert "to keep it alive" in bridge.log_text()
        # The pass's end is read once (its count went through MAX() twice).
        assert "CRITICAL" not in bridge.log_text(), bridge.log_text()[-2000:]
        assert bridge.stop() == 0

    with t.case("a port already taken: exit 1 and a message that says what to do"):
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([CLI, "bridge", "run", "--imap", f"127.0.0.1:{port}"], capture_output=True,
                           text=True, timeout=30)
        taken.close()
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert f"127.0.0.1:{port}" in r.stderr and "already in use" in r.stderr, r.stderr
        assert r.stdout == ""

    with t.case("removing the account removes its bridge login"):
        users = os.path.join(os.environ["XDG_CONFIG_HOME"], "latchkey", "bridge-users.json")
        token = cli("token", EMAIL).stdout.strip()   # for the scan below
        r = cli("remove", EMAIL)
        assert r.returncode == 0 and "bridge password no longer works" in r.stderr, r.stderr
        with open(users) as f:
            assert EMAIL not in f.read()
        r = cli("bridge", "status", "--json")
        assert json.loads(r.stdout)["accounts"] == [], r.stdout

    with t.case("no password or token in any log or file, with every debug message on"):
        log = bridge.log_text()
        assert "DEBUG" in log, "the bridge ran with G_MESSAGES_DEBUG=all"
        hits = scan_for_secrets([bridge.log_path, os.environ["HOME"]],
                                extra=[PASSWORD, PASSWORD.replace("-", ""), token],
                                skip=[os.path.join(os.environ["HOME"], ".local", "share", "keyrings")])
        assert not hits, hits
        assert plain_b64(EMAIL, PASSWORD) not in log

finally:
    if bridge is not None:
        bridge.close()
        if os.environ.get("LK_KEEP_BRIDGE_LOG"):
            import shutil
            shutil.copy(bridge.log_path, os.environ["LK_KEEP_BRIDGE_LOG"])
        if t.failed:
            for line in bridge.log_text().splitlines()[-150:]:
                print("# bridge: " + line)
    idp.close()
    dovecot.close()

t.done()
