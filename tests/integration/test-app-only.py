#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""IT onboarding end to end: an app-only (client credentials) account signs
in to Dovecot IMAP, POP and SMTP; the admin consent link is confirmed (and
refused) on the loopback receiver; an organisation profile goes round trip
through `add --profile`. The client secret lives in the keyring item only."""
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

from harness import (CLI, SCRATCH, Dovecot, Idp, Tap, cli, run, scan_for_secrets,
                     secret_tool_lookup, write_profile)

SECRET = "lksecret_abc"
MAILBOX = "shared@example.com"
EXAMPLE_TENANT = "8f7e3c2a-1b4d-4e5f-9a6b-0c1d2e3f4a5b"

t = Tap()
dovecot = Dovecot(audience="https://outlook.office365.com")
idp = Idp(*dovecot.idp_args(), "--client",
          "lk-app:" + SECRET + ":IMAP.AccessAsApp,POP.AccessAsApp,SMTP.SendAsApp",
          "--app-mailbox", MAILBOX)
write_profile(idp, servers=dovecot.servers(), ca_file=dovecot.ca_file,
              extra={"client_id": "lk-app"})
outputs = []


def run_cli(*args, **kw):
    r = cli(*args, **kw)
    outputs.extend([r.stdout, r.stderr])
    return r


def follow(url):
    """A browser: follows the identity provider's redirect to the receiver."""
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def consent_wait(*extra):
    p = subprocess.Popen([CLI, "admin", "consent-url", "--provider", "testidp",
                          "--tenant", "example.com", "--client-id", "lk-app", "--wait", *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = p.stdout.readline().strip()
    assert url.startswith(idp.base + "/"), (url, p.stderr.read() if p.poll() is not None else "")
    status = follow(url)
    out, err = p.communicate(timeout=30)
    outputs.extend([url, out, err])
    return p.returncode, status, url, out, err


try:
    with t.case("add --app-only: the secret from standard input, a client credentials token"):
        r = run_cli("add", MAILBOX, "--app-only", "--provider", "testidp", "--client-id", "lk-app",
                    "--tenant", "example.com", input=SECRET + "\n")
        assert r.returncode == 0, r.stdout + r.stderr
        assert idp.count("token:client_credentials") == 1

    with t.case("test: IMAP, POP and SMTP sign in as the mailbox with the app's token"):
        r = run_cli("test", MAILBOX, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        lines = r.stdout.splitlines()
        assert [l.split()[1] for l in lines if l.startswith("✓")] == ["IMAP", "POP", "SMTP"], lines

    with t.case("token works, and again after expiry with a new client credentials grant"):
        first = run_cli("token", MAILBOX)
        assert first.returncode == 0 and first.stdout.strip(), first.stderr
        n = idp.count("token:client_credentials")
        item = json.loads(secret_tool_lookup(MAILBOX))
        item["expires_at"] = int(time.time()) - 10
        run(["secret-tool", "store", "--label=Latchkey: " + MAILBOX, "xdg:schema",
             "io.github.latchkey.Token", "account", MAILBOX, "version", "1"],
            input=json.dumps(item), check=True)
        again = run_cli("token", MAILBOX)
        assert again.returncode == 0, again.stderr
        assert idp.count("token:client_credentials") == n + 1
        assert again.stdout.strip() != first.stdout.strip()
        r = run_cli("test", MAILBOX, "--protocol", "imap")
        assert r.returncode == 0, r.stdout + r.stderr

    with t.case("admin consent-url --wait: admin_consent=True confirmed on the loopback receiver"):
        rc, status, url, out, err = consent_wait("--app-only")
        assert rc == 0, err
        assert status == 200
        assert "admin_consent=True" in out
        assert EXAMPLE_TENANT in err, err        # example.com was looked up, then confirmed
        assert "scope=https%3A%2F%2Foutlook.office365.com%2F.default" in url
        assert "/" + EXAMPLE_TENANT + "/v2.0/adminconsent?" in url

    with t.case("admin consent refused: exit 1 and the diagnosis"):
        idp.control("fault", {"endpoint": "adminconsent", "kind": "aadsts", "code": 65004})
        rc, status, url, out, err = consent_wait()
        assert rc == 1, (rc, err)
        assert status == 400
        assert "AADSTS65004" in err and "Consent was not granted" in err, err
        assert "Grant admin consent" in err, err

    with t.case("admin profile → add --profile: the same tenant, client id and servers"):
        path = os.path.join(SCRATCH, "example.latchkey")
        r = run_cli("admin", "profile", "--provider", "testidp", "--tenant", "example.com",
                    "--client-id", "lk-app", "-o", path)
        assert r.returncode == 0, r.stderr
        assert oct(os.stat(path).st_mode & 0o777) == "0o644"
        profile = json.load(open(path))
        assert profile["id"] == "org-example-com" and profile["name"] == "Example (Test IdP)", profile
        assert profile["tenant"] == EXAMPLE_TENANT and profile["client_id"] == "lk-app"
        r = run_cli("admin", "profile", "--provider", "testidp", "--tenant", "example.com",
                    "--client-id", "other", "-o", path)
        assert r.returncode != 0 and "--force" in r.stderr, r.stderr
        assert json.load(open(path))["client_id"] == "lk-app"

        r = run_cli("add", "info@example.com", "--profile", path, "--app-only", input=SECRET + "\n")
        assert r.returncode == 0, r.stderr
        for want in ("Example (Test IdP)", "Tenant:    " + EXAMPLE_TENANT, "Client id: lk-app",
                     "imap:      localhost:%d (tls)" % dovecot.port("imaps")):
            assert want in r.stderr, (want, r.stderr)
        accounts = os.path.join(os.environ["XDG_CONFIG_HOME"], "latchkey", "accounts")
        stored = [json.load(open(os.path.join(accounts, f))) for f in os.listdir(accounts)]
        info = [a for a in stored if "info@example.com" in json.dumps(a)]
        assert len(info) == 1, stored
        text = json.dumps(info[0])
        assert EXAMPLE_TENANT in text and "lk-app" in text and str(dovecot.port("imaps")) in text

    with t.case("a malformed profile is refused with the field named"):
        bad = dict(profile, redirect_host="evil.example")
        path = os.path.join(SCRATCH, "bad.latchkey")
        with open(path, "w") as f:
            json.dump(bad, f)
        r = run_cli("add", "bob@example.com", "--profile", path, "--app-only", input=SECRET + "\n")
        assert r.returncode != 0
        assert "redirect_host" in r.stderr and "refused" in r.stderr, r.stderr
        with open(path, "w") as f:
            f.write("{ not json")
        r = run_cli("add", "bob@example.com", "--profile", path, "--app-only", input=SECRET + "\n")
        assert r.returncode != 0 and "refused" in r.stderr, r.stderr
        assert "bob@example.com" not in run_cli("list").stdout

    with t.case("the secret is in the keyring item, in no file and in no output"):
        item = json.loads(secret_tool_lookup(MAILBOX))
        assert item["client_secret"] == SECRET
        hits = scan_for_secrets([os.environ["HOME"], SCRATCH], extra=[SECRET],
                                skip=[os.path.join(os.environ["HOME"], ".local", "share", "keyrings"),
                                      os.path.join(SCRATCH, "dovecot")])
        hits = [h for h in hits if not h[0].endswith("idp.log")]
        assert not hits, hits
        leaked = [o for o in outputs if SECRET in o]
        assert not leaked, leaked
finally:
    idp.close()
    dovecot.close()

t.done()
