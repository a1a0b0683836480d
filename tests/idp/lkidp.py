# SPDX-License-Identifier: GPL-3.0-or-later
"""Drive the strict test identity provider (lk-test-idp) from Python tests.

    import sys; sys.path.insert(0, os.path.join(os.environ["LK_SOURCE_ROOT"], "tests", "idp"))
    from lkidp import TestIdp

    with TestIdp(jwt_key="/tmp/x/hs256.secret", args=["--device-interval", "1"]) as idp:
        idp.base_url                      # http://127.0.0.1:PORT
        idp.url("organizations", "token") # …/organizations/oauth2/v2.0/token
        idp.fault("token", "aadsts", code=70008)        # next token request fails
        idp.fault("token", "slow", delay_ms=3000, count=-1)
        idp.clear_faults()
        idp.approve_device()              # the last user code, as the default user
        idp.revoke("alice@example.com")
        idp.config(auto_approve=False, issue_iss=True, token_size=2500)
        idp.add_client("daemon", secret="lksecret_x", roles=["IMAP.AccessAsApp"])
        idp.stats()["counts"]["token:refresh_token"]

Nothing here prints a token. Only the standard library, no proxies.
"""
import json
import os
import selectors
import signal
import subprocess
import urllib.error
import urllib.request

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def default_executable():
    exe = os.environ.get("LK_TEST_IDP")
    if exe:
        return exe
    return os.path.join(os.environ["LK_BUILD_ROOT"], "tests", "idp", "lk-test-idp")


class TestIdp:
    def __init__(self, executable=None, jwt_key=None, args=(), stderr=None):
        self.executable = executable or default_executable()
        self.jwt_key = jwt_key
        self.args = list(args)
        self.stderr = stderr
        self.process = None
        self.base_url = None

    def start(self, timeout=10):
        argv = [self.executable]
        if self.jwt_key:
            argv += ["--jwt-key", self.jwt_key]
        argv += self.args
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.stderr,
                                        stdin=subprocess.DEVNULL)
        sel = selectors.DefaultSelector()
        sel.register(self.process.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            self.stop()
            raise RuntimeError("lk-test-idp did not say READY in time")
        line = self.process.stdout.readline().decode().strip()
        if not line.startswith("READY http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"lk-test-idp did not start: {line!r}")
        self.base_url = line.split(" ", 1)[1]
        return self

    def stop(self, timeout=5):
        """SIGTERM and wait; returns the exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        status = self.process.returncode
        self.process = None
        return status

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, tenant, endpoint):
        """endpoint: authorize, token, devicecode, adminconsent, discovery."""
        if endpoint in ("authorize", "token", "devicecode"):
            return f"{self.base_url}/{tenant}/oauth2/v2.0/{endpoint}"
        if endpoint == "adminconsent":
            return f"{self.base_url}/{tenant}/v2.0/adminconsent"
        if endpoint == "discovery":
            return f"{self.base_url}/{tenant}/v2.0/.well-known/openid-configuration"
        raise ValueError(endpoint)

    def control(self, action, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base_url}/_control/{action}", data=data,
                                     method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with _opener.open(req, timeout=10) as resp:
                return json.loads(resp.read().decode())
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"/_control/{action}: HTTP {e.code}: {e.read().decode()}") from None

    def stats(self):
        return self.control("stats")

    def count(self, what):
        return self.stats()["counts"].get(what, 0)

    def fault(self, endpoint, kind, count=1, code=None, delay_ms=None, size=None, field=None):
        """kind: aadsts, http500, slow, malformed-json, oversized, expires-in-string,
        missing-field, large-tokens, wrong-iss, wrong-state, expires-in-value,
        access-token, none. count -1: until cleared."""
        body = {"endpoint": endpoint, "kind": kind, "count": count}
        for k, v in (("code", code), ("delay_ms", delay_ms), ("size", size), ("field", field)):
            if v is not None:
                body[k] = v
        return self.control("fault", body)

    def clear_faults(self):
        return self.control("clear-faults", {})

    def approve_device(self, user_code=None, user=None):
        body = {}
        if user_code:
            body["user_code"] = user_code
        if user:
            body["user"] = user
        return self.control("approve-device", body)

    def decline_device(self, user_code=None):
        return self.control("decline-device", {"user_code": user_code} if user_code else {})

    def revoke(self, user):
        return self.control("revoke", {"user": user})

    def reset_counts(self):
        return self.control("reset-counts", {})

    def config(self, **settings):
        """auto_approve, issue_iss, single_use_refresh_tokens, token_size,
        access_token_lifetime, code_lifetime, device_interval, device_code_lifetime, user, app_mailbox, issuer."""
        return self.control("config", settings)

    def add_client(self, client_id, secret=None, public_flows=False, roles=(), redirect_uris=()):
        body = {"client_id": client_id, "allow_public_client_flows": public_flows,
                "roles": list(roles), "redirect_uris": list(redirect_uris)}
        if secret is not None:
            body["client_secret"] = secret
        return self.control("client", body)

    def add_tenant(self, domain, tenant_guid):
        return self.control("tenant", {"domain": domain, "tenant": tenant_guid})
