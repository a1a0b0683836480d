# SPDX-License-Identifier: GPL-3.0-or-later
"""The standalone lk-test-idp, as Python tests use it: READY line, loopback
only, the key file, /_control/, a refresh through a fault, SIGTERM, and no
token in what it prints."""
import base64
import hashlib
import hmac
import json
import os
import shutil
import socket
import stat
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.environ["LK_SOURCE_ROOT"], "tests"))
sys.path.insert(0, os.path.join(os.environ["LK_SOURCE_ROOT"], "tests", "idp"))
from lkidp import TestIdp  # noqa: E402
from tap import Tap  # noqa: E402

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
SCOPE = "offline_access https://outlook.office.com/IMAP.AccessAsUser.All"
MARKERS = ("lkrt_", "lkcode_", "lkdev_", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImxrdCI6IkxLVEVTVCJ9")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)


def request(url, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with opener.open(urllib.request.Request(url, data=data), timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def sign_in(idp):
    query = urllib.parse.urlencode({
        "client_id": "lk-test-client", "response_type": "code", "redirect_uri": "http://localhost:9/",
        "scope": SCOPE, "state": "s", "code_challenge": CHALLENGE, "code_challenge_method": "S256"})
    status, headers, _ = request(idp.url("common", "authorize") + "?" + query)
    assert status == 302, status
    code = urllib.parse.parse_qs(urllib.parse.urlparse(headers["Location"]).query)["code"][0]
    status, _, body = request(idp.url("common", "token"), {
        "grant_type": "authorization_code", "client_id": "lk-test-client", "code": code,
        "redirect_uri": "http://localhost:9/", "code_verifier": VERIFIER})
    assert status == 200, body
    return json.loads(body)


def main():
    t = Tap()
    scratch = tempfile.mkdtemp(prefix="lk-idp-")
    key = os.path.join(scratch, "hs256.secret")
    log_path = os.path.join(scratch, "idp.log")
    with open(log_path, "w") as log:
        idp = TestIdp(jwt_key=key, args=["--device-interval", "1"], stderr=log)
        with t.case("prints READY with a loopback URL and makes the key file"):
            idp.start()
            assert idp.base_url.startswith("http://127.0.0.1:")
            assert os.path.getsize(key) == 32
            assert stat.S_IMODE(os.stat(key).st_mode) == 0o600

        port = int(idp.base_url.rsplit(":", 1)[1])
        with t.case("listens on 127.0.0.1 only"):
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                pass
            s = socket.socket()
            s.settimeout(2)
            try:
                assert s.connect_ex(("127.0.0.2", port)) != 0
            finally:
                s.close()

        with t.case("access tokens are signed with the key file's bytes"):
            tokens = sign_in(idp)
            header, claims, signature = tokens["access_token"].split(".")
            mac = hmac.new(open(key, "rb").read(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
            assert base64.urlsafe_b64encode(mac).rstrip(b"=").decode() == signature
            body = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
            assert body["iss"] == "https://issuer.test"
            assert body["email"] == "alice@example.com"

        with t.case("a fault set over /_control/ shows on the next refresh only"):
            idp.fault("token", "aadsts", code=70043)
            form = {"grant_type": "refresh_token", "client_id": "lk-test-client",
                    "refresh_token": tokens["refresh_token"]}
            status, _, body = request(idp.url("common", "token"), form)
            answer = json.loads(body)
            assert status == 400 and answer["error"] == "invalid_grant", body
            assert answer["error_codes"] == [70043]
            status, _, body = request(idp.url("common", "token"), form)
            assert status == 200, body
            stats = idp.stats()
            assert stats["counts"]["token:refresh_token"] == 2
            assert stats["last_refresh_token_used"] == tokens["refresh_token"]
            assert stats["last_refresh_token_issued"]["alice@example.com"] == json.loads(body)["refresh_token"]

        with t.case("device code approved over /_control/"):
            status, _, body = request(idp.url("organizations", "devicecode"),
                                      {"client_id": "lk-test-client", "scope": SCOPE})
            device = json.loads(body)
            assert status == 200 and "verification_uri_complete" not in device
            idp.approve_device(user="dave@example.com")
            time.sleep(1.05)
            status, _, body = request(idp.url("organizations", "token"), {
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "client_id": "lk-test-client", "device_code": device["device_code"]})
            assert status == 200, body

        with t.case("a client added over /_control/ gets app-only tokens"):
            idp.add_client("daemon", secret="lksecret_abc", roles=["SMTP.SendAsApp"])
            idp.config(app_mailbox="shared@example.com")
            status, _, body = request(idp.url("example.com", "token"), {
                "grant_type": "client_credentials", "client_id": "daemon", "client_secret": "lksecret_abc",
                "scope": "https://outlook.office365.com/.default"})
            assert status == 200, body
            claims = json.loads(base64.urlsafe_b64decode(
                json.loads(body)["access_token"].split(".")[1] + "=="))
            assert claims["roles"] == ["SMTP.SendAsApp"] and claims["email"] == "shared@example.com"

        with t.case("revoked over /_control/"):
            idp.revoke("alice@example.com")
            status, _, body = request(idp.url("common", "token"), form)
            assert status == 400 and json.loads(body)["error_codes"] == [70008], body

        with t.case("exits 0 on SIGTERM"):
            started = time.monotonic()
            assert idp.stop() == 0
            assert time.monotonic() - started < 3

    with t.case("prints no token, code or device code"):
        text = open(log_path).read()
        for marker in MARKERS:
            assert marker not in text, marker

    with t.case("a key file that exists is used as it is"):
        with open(key, "rb") as f:
            before = f.read()
        with TestIdp(jwt_key=key) as again:
            tokens = sign_in(again)
        header, claims, signature = tokens["access_token"].split(".")
        mac = hmac.new(before, f"{header}.{claims}".encode(), hashlib.sha256).digest()
        assert base64.urlsafe_b64encode(mac).rstrip(b"=").decode() == signature

    with t.case("a busy port is an error, not a hang"):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        try:
            idp2 = TestIdp(args=["--port", str(busy)])
            try:
                idp2.start(timeout=5)
                raise AssertionError("started on a busy port")
            except RuntimeError:
                pass
        finally:
            s.close()

    shutil.rmtree(scratch, ignore_errors=True)
    t.done()


main()
