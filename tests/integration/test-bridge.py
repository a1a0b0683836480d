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

import subprocess

from harness import (SCRATCH, Bridge, Dovecot, Idp, Tap, add_with_browser, enable_bridge,
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


def inbox_count():
    m = imaplib.IMAP4("127.0.0.1", bridge.port("imap"), timeout=30)
    m.login(EMAIL, PASSWORD)
    typ, data = m.select("INBOX", readonly=True)
    m.logout()
    return int(data[0])


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

    with t.case("NeoMutt with imap_pass over STARTTLS deletes a message"):
        seed("neomutt-delete-me")
        before = inbox_count()
        folder = f"imap://{EMAIL.replace('@', '%40')}@127.0.0.1:{bridge.port('imap')}/"
        rc = private_file("neomuttrc", f'set folder="{folder}"\nset spoolfile="+INBOX"\n'
                                       f'set imap_user="{EMAIL}"\nset imap_pass="{PASSWORD}"\n'
                                       "set ssl_starttls=yes\nset ssl_force_tls=yes\n"
                                       f'set ssl_ca_certificates_file="{bridge.cert_file}"\n'
                                       f'set certificate_file="{SCRATCH}/neomutt-certs"\n'
                                       'set header_cache=""\nset message_cachedir=""\n'
                                       "set delete=yes\nset quit=yes\nset sort=reverse-date-received\n")
        # NeoMutt wants a terminal: script(1) gives it one.
        r = subprocess.run(["script", "-qec", f"neomutt -n -F {rc} -e "
                            "'push <delete-message><sync-mailbox><quit>'", "/dev/null"],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                           env=dict(os.environ, TERM="xterm"))
        assert r.returncode == 0, r.stdout[-1000:]
        assert inbox_count() == before - 1, (before, r.stdout[-1000:])

    with t.case("IMAP IDLE through the bridge receives a new message's EXISTS"):
        raw = Raw(bridge.port("imap"))
        raw.line()
        raw.send(f'i1 LOGIN "{EMAIL}" "{PASSWORD}"\r\ni2 SELECT INBOX\r\n')
        raw.until("i2 ")
        raw.send("i3 IDLE\r\n")
        assert raw.line().startswith("+"), "IDLE continuation"
        seed("idle-wakes-up")
        line = raw.line()
        assert line.startswith("* ") and line.endswith(" EXISTS"), line
        raw.send("DONE\r\n")
        assert raw.until("i3 ")[-1].startswith("i3 OK")
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

finally:
    if bridge is not None:
        bridge.close()
    idp.close()
    dovecot.close()

t.done()
