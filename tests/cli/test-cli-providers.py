#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""latchkey-cli providers: the built-in list, JSON, and a broken user profile."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ["LK_SOURCE_ROOT"], "tests"))
from tap import Tap  # noqa: E402

CLI = os.path.join(os.environ["LK_BUILD_ROOT"], "src", "cli", "latchkey-cli")
BUILTIN = ["microsoft365", "outlook", "google", "yahoo", "aol", "fastmail",
           "zoho", "zoho-eu", "zoho-in", "zoho-au", "zoho-jp", "generic"]

config = tempfile.mkdtemp(prefix="lk-cli-providers-")
env = dict(os.environ, XDG_CONFIG_HOME=config)


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=30, env=env)


t = Tap()

with t.case("providers lists every built-in profile with its protocols and domains"):
    r = run("providers")
    assert r.returncode == 0, r
    assert r.stderr == "", r.stderr
    for pid in BUILTIN:
        assert any(line.split()[:1] == [pid] for line in r.stdout.splitlines()), (pid, r.stdout)
    assert "Gmail / Google Workspace" in r.stdout
    assert "gmail.com, googlemail.com" in r.stdout
    assert "imap,pop,smtp" in r.stdout

with t.case("--json prints an array of objects"):
    r = run("providers", "--json")
    assert r.returncode == 0, r
    data = json.loads(r.stdout)
    assert isinstance(data, list)
    by_id = {p["id"]: p for p in data}
    assert sorted(by_id) == sorted(BUILTIN), sorted(by_id)
    assert by_id["google"]["protocols"] == ["imap", "pop", "smtp"]
    assert "gmail.com" in by_id["google"]["domains"]
    assert by_id["google"]["device_flow"] is False
    assert by_id["microsoft365"]["device_flow"] is True
    assert by_id["generic"]["protocols"] == ["imap", "smtp"]

providers_dir = os.path.join(config, "latchkey", "providers")
os.makedirs(providers_dir)
good = {
    "id": "contoso", "name": "Contoso IT", "kind": "microsoft",
    "authorization_endpoint": "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
    "token_endpoint": "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
    "tenant": "contoso.com", "client_id": "00000000-0000-0000-0000-000000000001",
    "scopes": {"imap": ["https://outlook.office.com/IMAP.AccessAsUser.All"]},
    "servers": {"imap": {"host": "outlook.office365.com", "port": 993, "security": "tls"}},
    "domains": ["contoso.com"],
}
with open(os.path.join(providers_dir, "contoso.json"), "w") as f:
    json.dump(good, f)
bad = dict(good, id="broken")
bad["servers"] = {"imap": {"host": "imap.example.com", "port": 99999, "security": "tls"}}
bad_path = os.path.join(providers_dir, "broken.json")
with open(bad_path, "w") as f:
    json.dump(bad, f)

with t.case("a broken user profile is named on stderr with its field; the rest are listed"):
    r = run("providers")
    assert r.returncode == 0, r
    assert bad_path in r.stderr, r.stderr
    assert "servers.imap.port" in r.stderr, r.stderr
    assert "contoso" in r.stdout and "Contoso IT" in r.stdout
    assert "broken" not in r.stdout
    assert "google" in r.stdout

with t.case("--json stays valid JSON on stdout when a profile is broken"):
    r = run("providers", "--json")
    assert r.returncode == 0, r
    ids = [p["id"] for p in json.loads(r.stdout)]
    assert "contoso" in ids and "broken" not in ids and "microsoft365" in ids
    assert bad_path in r.stderr

with t.case("an extra argument is a usage error"):
    r = run("providers", "extra")
    assert r.returncode == 2, r
    assert r.stdout == ""

subprocess.run(["rm", "-rf", config])
t.done()
