#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile values against the real mail clients (issue #19 §1).

An organisation profile is handed around by e-mail; its values, and the
address and names that come with an account, end up in files msmtp, mbsync,
NeoMutt, OfflineIMAP, getmail and fetchmail read, some of which run
commands. Here:
- a profile whose host, CA file, name or any field carries a line break
  (the attack: "localhost\\nTunnel …", "localhost\\neval …") is refused by
  the same loader `add --profile` uses, naming the field and the file;
- every value that is accepted, in every field, with quotes, $(), backticks,
  %, #, ; and backslashes, is read back by the real client intact, and a
  canary file proves that no client ran anything while reading its file.
"""
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ["LK_SOURCE_ROOT"], "tests"))
from tap import Tap, Skip  # noqa: E402

DUMP = os.path.join(os.environ["LK_BUILD_ROOT"], "tests", "export", "lk-export-dump")
CLI = os.path.join(os.environ["LK_BUILD_ROOT"], "src", "cli", "latchkey-cli")
WORK = tempfile.mkdtemp(prefix="lk-hostile-")
CANARY = os.path.join(WORK, "canary")
HOME = os.path.join(WORK, "home")
os.makedirs(HOME)
ENV = {**os.environ, "HOME": HOME}
TOUCH = f"touch {CANARY}"

# The token command: a recorder in a folder whose name is hostile too.
BIN = os.path.join(WORK, "bin $(touch canary) `id`;#%")
os.makedirs(BIN)
RECORDER = os.path.join(BIN, "latch'key-cli")
with open(RECORDER, "w") as f:
    f.write("#!/usr/bin/python3\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
os.chmod(RECORDER, 0o755)

# One value per trick; each is also a real file name for the CA file.
HOSTILE = {
    "dollar": f"$({TOUCH})",
    "backtick": f"`{TOUCH}`",
    "dquote": f'"; {TOUCH}; "',
    "squote": f"'; {TOUCH}; '",
    "percent": "%U%H%s%%d%n",
    "hash": "#; not a comment",
    "semicolon": f";{TOUCH};",
    "backslash": "\\\"\\\\ \\n",
    "braces": "${IFS}{x}",
    "pipe": f"| {TOUCH} |",
}
counter = [0]
t = Tap()


def export(client, email="alice@contoso.com", extra=(), expect_ok=True):
    counter[0] += 1
    out = os.path.join(WORK, f"{counter[0]}-{client}")
    r = subprocess.run([DUMP, "--client", client, "--email", email, "--dir", out, *extra,
                        "--", RECORDER, "token", email],
                       capture_output=True, text=True, timeout=30)
    if not expect_ok:
        return r
    assert r.returncode == 0, (client, email, extra, r.stderr)
    (name,) = r.stdout.split()
    return os.path.join(out, name)


def no_canary(what):
    assert not os.path.exists(CANARY), f"{what} ran a command while reading its file"


def run(argv, timeout=30, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=ENV, **kw)


def recorded(command):
    """What the token command a client would run through sh prints."""
    r = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, (command, r.stderr)
    return json.loads(r.stdout)


# ---- the attack itself: a profile with a line break in a host ----------
PROFILE = {
    "id": "contoso", "name": "Contoso", "kind": "microsoft",
    "authorization_endpoint": "https://login.example/{tenant}/authorize",
    "token_endpoint": "https://login.example/{tenant}/token",
    "tenant": "contoso.com", "client_id": "abc",
    "scopes": {"imap": ["x"], "smtp": ["y"], "extra": ["offline_access"]},
    "servers": {"imap": {"host": "localhost", "port": 993, "security": "tls"},
                "smtp": {"host": "localhost", "port": 587, "security": "starttls"}},
    "sasl": ["XOAUTH2"], "ca_file": None, "notes": "From IT",
}
ATTACKS = [
    (("servers", "imap", "host"), f'localhost\nTunnel "{TOUCH}"', "servers.imap.host"),
    (("servers", "smtp", "host"), f"localhost\neval {TOUCH}", "servers.smtp.host"),
    (("servers", "imap", "host"), f"localhost\rsource '{TOUCH}|'", "servers.imap.host"),
    (("servers", "imap", "host"), f"localhost\u0085remotehosteval = {TOUCH}", "servers.imap.host"),
    (("servers", "imap", "host"), f"localhost; {TOUCH}", "servers.imap.host"),
    (("ca_file",), f"/etc/ca.pem\nTunnel \"{TOUCH}\"", "ca_file"),
    (("name",), f"Contoso\nset imap_oauth_refresh_command=\"{TOUCH}\"", "name"),
    (("notes",), "line one\nline two", "notes"),
    (("tenant",), f"contoso.com\u2028{TOUCH}", "tenant"),
]


def set_path(obj, path, value):
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


for path, value, field in ATTACKS:
    with t.case(f"a profile with {field} = {value!r} is refused, naming field and file"):
        profile = json.loads(json.dumps(PROFILE))
        set_path(profile, path, value)
        file = os.path.join(WORK, "evil-profile.json")
        with open(file, "w") as f:
            json.dump(profile, f)
        for client in ("msmtp", "mbsync", "neomutt", "offlineimap", "getmail", "fetchmail",
                       "aerc", "summary"):
            r = export(client, extra=["--profile", file], expect_ok=False)
            assert r.returncode == 2, (client, r.returncode, r.stdout, r.stderr)
            assert file in r.stderr and f"“{field}”" in r.stderr, r.stderr
        # The way such a profile arrives: `add --profile`, refused before
        # any sign-in starts.
        r = subprocess.run([CLI, "add", "alice@contoso.com", "--profile", file, "--no-browser"],
                           capture_output=True, text=True, timeout=30,
                           env={**ENV, "DBUS_SESSION_BUS_ADDRESS": "disabled:"})
        assert r.returncode == 1 and r.stdout == "", (r.returncode, r.stdout, r.stderr)
        assert file in r.stderr and f"“{field}”" in r.stderr, r.stderr
        no_canary("(nothing was written)")

with t.case("the same profile without the attack exports for every client"):
    file = os.path.join(WORK, "good-profile.json")
    with open(file, "w") as f:
        json.dump(PROFILE, f)
    for client in ("msmtp", "mbsync", "neomutt", "offlineimap", "getmail", "fetchmail", "aerc"):
        export(client, extra=["--profile", file])


# ---- accepted hostile values, read back by the real clients ------------
def ca_file(trick):
    """A real CA file (getmail checks it exists) with a hostile name."""
    name = os.path.join(WORK, "ca " + HOSTILE[trick].replace("/", "_") + ".pem")
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", name)
    return name


def email_for(trick):
    return "o" + HOSTILE[trick].replace(" ", "") + "@contoso.com"


def msmtp_check(trick):
    email, ca = email_for(trick), ca_file(trick)
    rc = export("msmtp", email, ["--ca", ca, "--provider-name", HOSTILE[trick]])
    account = re.search(r"^account (\S+)$", open(rc).read(), re.M).group(1)
    r = run(["msmtp", "-C", rc, "-a", account, "--pretend", "x@example.net"])
    assert r.returncode == 0, r.stderr
    got = dict(line.split(" = ", 1) for line in r.stdout.splitlines() if " = " in line)
    assert got["user"] == email, (got["user"], email)
    assert got["tls_trust_file"] == ca, (got["tls_trust_file"], ca)
    if "%" not in email:
        assert got["from"] == email, got["from"]
    assert recorded(got["passwordeval"]) == ["token", email]
    # And a real run: it connects (to a closed port), fails, runs nothing.
    text = open(rc).read().replace("port 587", "port 1").replace("host smtp.office365.com",
                                                                   "host 127.0.0.1")
    with open(rc, "w") as f:
        f.write(text)
    sender = [] if "%" not in email else ["-f", "x@example.net"]   # no "from" line then
    r = run(["msmtp", "-C", rc, "-a", account, *sender, "x@example.net"], input="Subject: x\n\nx\n")
    assert r.returncode != 0 and "127.0.0.1" in r.stderr, r.stderr


def mbsync_check(trick):
    email, ca = email_for(trick), ca_file(trick)
    rc = export("mbsync", email, ["--ca", ca, "--provider-name", HOSTILE[trick],
                                  "--server-host", "127.0.0.1"])
    text = open(rc).read().replace("Port 993", "Port 1")
    with open(rc, "w") as f:
        f.write(text)
    channel = re.search(r"^Channel (\S+)$", text, re.M).group(1)
    os.makedirs(os.path.join(HOME, "Mail", channel), exist_ok=True)
    r = run(["mbsync", "-c", rc, "-l", channel])
    assert not re.search(r"rc:\d+:", r.stderr), r.stderr    # no configuration error
    assert "onnect" in r.stderr, r.stderr                    # it got as far as connecting


def neomutt_check(trick):
    email, ca = email_for(trick), ca_file(trick)
    rc = export("neomutt", email, ["--ca", ca, "--provider-name", HOSTILE[trick]])
    # "from" is parsed as an RFC 5322 address (parentheses are comments
    # there), so only the plain strings are compared.
    for var, want in (("imap_user", email), ("ssl_ca_certificates_file", ca)):
        r = run(["neomutt", "-n", "-F", rc, "-Q", var])
        assert r.returncode == 0, r.stderr
        m = re.fullmatch(rf'(?:set )?{var} ?= ?"(.*)"', r.stdout.strip())
        assert m, r.stdout
        got = re.sub(r"\\(.)", r"\1", m.group(1))
        assert got == want, (var, got, want)
    r = run(["neomutt", "-n", "-F", rc, "-Q", "from"])
    assert r.returncode == 0, r.stderr
    r = run(["neomutt", "-n", "-F", rc, "-Q", "imap_oauth_refresh_command"])
    m = re.fullmatch(r'(?:set )?imap_oauth_refresh_command ?= ?"(.*)"', r.stdout.strip())
    assert recorded(re.sub(r"\\(.)", r"\1", m.group(1))) == ["token", email]


def offlineimap_check(trick):
    email, ca = email_for(trick), ca_file(trick)
    rc = export("offlineimap", email, ["--ca", ca, "--provider-name", HOSTILE[trick],
                                       "--server-host", "127.0.0.1"])
    text = open(rc).read().replace("remoteport = 993", "remoteport = 1")
    with open(rc, "w") as f:
        f.write(text)
    r = run(["offlineimap", "-c", rc, "-o", "-u", "basic"], timeout=60)
    out = r.stdout + r.stderr
    assert "127.0.0.1" in out and "ERROR" in out, out       # it tried to connect
    assert "onfig" not in out or "Traceback" not in out, out


def getmail_check(trick):
    email, ca = email_for(trick), ca_file(trick)
    rc = export("getmail", email, ["--ca", ca, "--provider-name", HOSTILE[trick]])
    d = tempfile.mkdtemp(dir=WORK)
    maildir = re.search(r"^path = (.*)$", open(rc).read(), re.M).group(1).replace("~", HOME, 1)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    r = run(["getmail", "--getmaildir", d, "--rcfile", rc, "--dump"])
    assert r.returncode == 0 and "incorrect" not in r.stdout + r.stderr, (r.stdout, r.stderr)
    # --dump prints the retriever as name="value" pairs.
    assert f'username="{email}"' in r.stdout, (r.stdout, email)
    assert f'ca_certs="{ca}"' in r.stdout, (r.stdout, ca)
    cp = configparser.RawConfigParser()   # what getmail reads the file with
    cp.read(rc)
    argv = eval(cp["retriever"]["password_command"])    # and eval()s, as its docs say
    r = subprocess.run(list(argv), capture_output=True, text=True, check=True)
    assert json.loads(r.stdout) == ["token", email]


def fetchmail_check(trick):
    """fetchmail 6.4 (Debian 12) has no OAuth2 and calls "auth xoauth2" and
    "passwordfile" syntax errors: the rest of the entry is what it parses
    here. Its strings cannot hold both kinds of quote marks (its lexer ends a
    string at the first one, escaped or not): such a value is refused."""
    email, ca = email_for(trick), ca_file(trick)
    shell_quoted_email = "'" in email or not re.fullmatch(r"[\w@%+=:,./-]+", email)
    if ('"' in email and "'" in email) or ('"' in email and shell_quoted_email):
        r = export("fetchmail", email, ["--ca", ca], expect_ok=False)
        assert r.returncode == 2 and "both kinds of quote marks" in r.stderr, r.stderr
        return
    rc = export("fetchmail", email, ["--ca", ca, "--provider-name", HOSTILE[trick]])
    text = re.sub(r"^  (auth \w+|passwordfile .*)\n", "", open(rc).read(), flags=re.M)
    with open(rc, "w") as f:
        f.write(text)
    r = run(["fetchmail", "-f", rc, "--configdump"])
    assert r.returncode == 0, (r.stderr, text)
    # --configdump prints Python literals.
    got = dict(re.findall(r'^\s+"(remote|sslcertpath|sslcertfile|pollname)":(".*"|None),$',
                          r.stdout, re.M))
    assert eval(got["remote"]) == email, (got, email)
    assert eval(got["pollname"]) == "outlook.office365.com", got
    assert eval(got["sslcertfile"]) == ca, (got, ca)


CLIENTS = {
    "msmtp": msmtp_check, "mbsync": mbsync_check, "neomutt": neomutt_check,
    "offlineimap": offlineimap_check, "getmail": getmail_check, "fetchmail": fetchmail_check,
}
for client, check in CLIENTS.items():
    for trick in HOSTILE:
        with t.case(f"{client} reads {trick} values intact and runs nothing"):
            if not shutil.which(client):
                raise Skip(f"{client} is not installed")
            try:
                check(trick)
            finally:
                no_canary(client)

t.done()
