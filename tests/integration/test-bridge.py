#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bridge (doc/bridge.md) with real mail programs: they log in to
`latchkey-cli bridge run` with the password `bridge enable` made, and the
bridge signs in to the test Dovecot with the account's token from the test
identity provider (large, as Microsoft's are)."""
import os
import smtplib

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
finally:
    if bridge is not None:
        bridge.close()
    idp.close()
    dovecot.close()

t.done()
