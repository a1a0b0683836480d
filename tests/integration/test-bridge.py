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
import smtplib
import socket
import ssl
import time

from harness import (Bridge, Dovecot, Idp, Tap, add_with_browser, enable_bridge,
                     write_profile)

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


try:
    with t.case("sign in, enable the bridge, start it"):
        r = add_with_browser(EMAIL, "--protocols", "imap,pop,smtp")
        assert r.returncode == 0, r.stderr
        settings = enable_bridge(EMAIL)
        PASSWORD = settings["password"]
        assert settings["username"] == EMAIL and len(PASSWORD.replace("-", "")) >= 25, settings
        bridge = Bridge()
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
finally:
    if bridge is not None:
        bridge.close()
    idp.close()
    dovecot.close()

t.done()
