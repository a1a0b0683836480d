# SPDX-License-Identifier: GPL-3.0-or-later
"""What a printer on the office network does, run inside the test's network
namespace by test-bridge-office.py: `office-printer.py COMMAND ARGS…`
prints one JSON value. Standard library only (/usr/bin/python3)."""
import email.message
import json
import smtplib
import socket
import ssl
import sys


def tls_context(cafile=None):
    if cafile is None:
        # Printers rarely check certificates; the test of the SANs does.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=cafile)


def login(source, server, port, user, password, implicit=False):
    """The reply code to AUTH LOGIN after STARTTLS (or on implicit TLS)."""
    if implicit:
        s = smtplib.SMTP_SSL(server, port, timeout=30, source_address=(source, 0),
                             context=tls_context())
    else:
        s = smtplib.SMTP(server, port, timeout=30, source_address=(source, 0))
        s.starttls(context=tls_context())
    try:
        s.ehlo()
        code, text = s.docmd("AUTH LOGIN")
        if code == 334:
            import base64
            code, text = s.docmd(base64.b64encode(user.encode()).decode())
            if code == 334:
                code, text = s.docmd(base64.b64encode(password.encode()).decode())
        return [code, text.decode()]
    finally:
        try:
            s.quit()
        except Exception:
            pass


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "login":
        source, server, port, user, password = args[:5]
        print(json.dumps(login(source, server, int(port), user, password,
                               implicit=len(args) > 5 and args[5] == "tls")))
    elif command == "logins":
        # logins SOURCE SERVER PORT USER PASSWORD N: N tries, each on a new connection
        source, server, port, user, password, n = args
        print(json.dumps([login(source, server, int(port), user, password)[0]
                          for _ in range(int(n))]))
    elif command == "auth-before-starttls":
        source, server, port = args
        s = smtplib.SMTP(server, int(port), timeout=30, source_address=(source, 0))
        s.ehlo()
        offered = s.has_extn("auth")
        code, text = s.docmd("AUTH LOGIN")
        s.close()
        print(json.dumps({"offered": offered, "code": code, "text": text.decode()}))
    elif command == "greeting":
        # What a client from SOURCE hears before it says anything: "" when
        # the connection is closed at once.
        source, server, port = args
        sock = socket.create_connection((server, int(port)), timeout=10,
                                        source_address=(source, 0))
        data = b""
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
                if b"\r\n" in data:
                    break
        except (ConnectionResetError, socket.timeout) as e:
            data += f"<{type(e).__name__}>".encode()
        sock.close()
        print(json.dumps(data.decode(errors="replace")))
    elif command == "verify":
        # verify SOURCE SERVER PORT CAFILE NAME: STARTTLS checking the
        # certificate for NAME (an address or a host name)
        source, server, port, cafile, name = args
        s = smtplib.SMTP(server, int(port), timeout=30, source_address=(source, 0))
        context = tls_context(cafile)
        try:
            s.ehlo()
            s.putcmd("STARTTLS")
            code, _ = s.getreply()
            assert code == 220, code
            sock = context.wrap_socket(s.sock, server_hostname=name)
            print(json.dumps({"ok": True, "version": sock.version()}))
            sock.close()
        except ssl.SSLError as e:
            print(json.dumps({"ok": False, "error": str(e)}))
    elif command in ("tls1", "tls1-implicit"):
        # tls1[-implicit] SOURCE SERVER PORT [USER PASSWORD SUBJECT [PDF]]: an old printer
        # that speaks TLS 1.0 only: STARTTLS (or TLS from the start, the "SSL/TLS" of
        # port 465), then (with a login) a message, with the file PDF attached when
        # given. Prints what it got.
        source, server, port = args[:3]
        context = tls_context()
        context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT@SECLEVEL=0")
        try:
            if command == "tls1-implicit":
                s = smtplib.SMTP_SSL(server, int(port), timeout=30, source_address=(source, 0),
                                     context=context)
            else:
                s = smtplib.SMTP(server, int(port), timeout=30, source_address=(source, 0))
                s.starttls(context=context)
        except (ssl.SSLError, smtplib.SMTPServerDisconnected, ConnectionError) as e:
            print(json.dumps({"tls": None, "error": str(e)}))
            return
        result = {"tls": s.sock.version()}
        if len(args) > 3:
            user, password, subject = args[3:6]
            message = email.message.EmailMessage()
            message["From"] = "alice@example.com"
            message["To"] = "office@example.net"
            message["Subject"] = subject
            message.set_content("scan\n")
            if len(args) > 6:
                with open(args[6], "rb") as f:
                    message.add_attachment(f.read(), maintype="application", subtype="pdf",
                                           filename="scan.pdf")
            try:
                s.login(user, password)
                s.send_message(message, "alice@example.com", ["office@example.net"])
                result["sent"] = True
            except smtplib.SMTPException as e:
                result["sent"] = False
                result["error"] = str(e)
        s.close()
        print(json.dumps(result))
    else:
        raise SystemExit(f"unknown command {command}")


main()
