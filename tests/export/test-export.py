#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exported client configuration, read back the way each client reads it.

The token command in these files is a recorder script that prints its own
argv as JSON; running the command each client would run, through the same
shell or Python evaluation, proves the argv survives every layer of quoting.
Where the real client is installed and can read its file offline (msmtp
--pretend, NeoMutt -Q, getmail --dump, mbsync against a closed loopback
port) it reads the file too.
"""
import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.environ["LK_SOURCE_ROOT"], "tests"))
from tap import Tap, Skip  # noqa: E402

DUMP = os.path.join(os.environ["LK_BUILD_ROOT"], "tests", "export", "lk-export-dump")
WORK = tempfile.mkdtemp(prefix="lk-export-")
RECORDER = os.path.join(WORK, "bin dir", "latch'key-cli")
os.makedirs(os.path.dirname(RECORDER))
with open(RECORDER, "w") as f:
    f.write("#!/usr/bin/python3\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
os.chmod(RECORDER, 0o755)

NORMAL = "alice@contoso.com"
HOSTILE = "o'brien+\"x\" $y%U\\z`id`;#@example.com"
SHARED = ("shared@contoso.com", "alice@contoso.com")
LEAKS = re.compile(r"eyJ|lkrt_|lkcode_|lkdev_|lksecret_")
counter = [0]


def export(client, email, login=None, extra=(), expect_ok=True):
    counter[0] += 1
    out = os.path.join(WORK, f"{counter[0]}-{client}")
    args = [DUMP, "--client", client, "--email", email, "--dir", out, *extra]
    if login:
        args += ["--login", login]
    r = subprocess.run(args + ["--", RECORDER, "token", email],
                       capture_output=True, text=True, timeout=30)
    if not expect_ok:
        assert r.returncode != 0, r
        return r.stderr
    assert r.returncode == 0, r.stderr
    files = {n: open(os.path.join(out, n), encoding="utf-8").read()
             for n in r.stdout.split()}
    for name, text in files.items():
        assert not LEAKS.search(text), (name, text)
        st = os.stat(os.path.join(out, name))
        assert st.st_mode & 0o777 == 0o600, oct(st.st_mode)
    return out, files


def want_argv(email):
    return ["token", email]


def run_shell(command):
    r = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, (command, r.stderr)
    return json.loads(r.stdout)


def header_ok(text, prefix, client):
    first = text.splitlines()[0]
    assert first.startswith(prefix), first
    assert "2025-01-02 03:04 UTC" in text and "Latchkey 9.9" in text
    assert f"--client {client}" in text


CASES = [(NORMAL, None), (HOSTILE, None), SHARED]
t = Tap()

# ---- msmtp: the argument is the rest of the line, one pair of outer quotes
# stripped, no escapes; passwordeval runs through sh; from expands %% to %.
def msmtp_value(text, key):
    for line in text.splitlines():
        if line.startswith(key + " "):
            v = line[len(key) + 1:].strip()
            if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
                v = v[1:-1]
            return v
    raise KeyError(key)


for email, login in CASES:
    with t.case(f"msmtp: {email!r}"):
        out, files = export("msmtp", email, login)
        text = files[".msmtprc"]
        header_ok(text, "# ", "msmtp")
        assert run_shell(msmtp_value(text, "passwordeval")) == want_argv(email)
        assert msmtp_value(text, "user") == email
        if "%" in email:
            assert "\nfrom " not in text and "msmtp -f" in text
        else:
            assert msmtp_value(text, "from") == email
        assert "auth xoauth2" in text and "tls_starttls on" in text
        if shutil.which("msmtp"):
            account = msmtp_value(text, "account")
            r = subprocess.run(["msmtp", "-C", os.path.join(out, ".msmtprc"), "-a", account,
                                "--pretend", "x@example.net"],
                               capture_output=True, text=True, timeout=10)
            assert r.returncode == 0, r.stderr
            got = dict(l.split(" = ", 1) for l in r.stdout.splitlines() if " = " in l)
            assert run_shell(got["passwordeval"]) == want_argv(email)
            assert got["user"] == email, got
            assert got["from"] == (email if "%" not in email else "(not set)"), got
            assert got["auth"] == "XOAUTH2" and got["tls"] == "on"

with t.case("msmtp: --format oauthbearer is refused where the provider lacks it, kept where it has it"):
    # Microsoft offers XOAUTH2 only: an error, not a file with another mechanism.
    err = export("msmtp", NORMAL, extra=["--format", "oauthbearer"], expect_ok=False)
    assert "does not offer OAUTHBEARER" in err and "XOAUTH2" in err, err
    _, files = export("msmtp", NORMAL, extra=["--format", "oauthbearer", "--provider", "generic"])
    assert "auth oauthbearer" in files[".msmtprc"]
    # The generic profile lists OAUTHBEARER first; --format still picks XOAUTH2
    # (it was ignored: the formats are lower case, the mechanisms upper case).
    _, files = export("msmtp", NORMAL, extra=["--format", "xoauth2", "--provider", "generic"])
    assert "auth xoauth2" in files[".msmtprc"], files[".msmtprc"]
    _, files = export("neomutt", NORMAL, extra=["--format", "xoauth2", "--provider", "generic"])
    assert 'set smtp_authenticators="xoauth2"' in files["neomuttrc"], files["neomuttrc"]
    _, files = export("msmtp", NORMAL, extra=["--provider", "generic"])
    assert "auth oauthbearer" in files[".msmtprc"]
    assert "nope" in export("msmtp", NORMAL, extra=["--format", "nope"], expect_ok=False)

with t.case("msmtp: ca_file goes to tls_trust_file"):
    _, files = export("msmtp", NORMAL, extra=["--ca", "/etc/my ca.pem"])
    assert msmtp_value(files[".msmtprc"], "tls_trust_file") == "/etc/my ca.pem"


# ---- mbsync: isync's get_arg: backslash escapes anywhere, quotes toggle.
def mbsync_args(line):
    args, cur, quoted, escaped, have = [], [], False, False, False
    for c in line:
        if escaped:
            cur.append(c); escaped = False; have = True
        elif c == "\\":
            escaped = True
        elif c == '"':
            quoted = not quoted; have = True
        elif not quoted and c.isspace():
            if have or cur:
                args.append("".join(cur)); cur = []; have = False
        else:
            cur.append(c); have = True
    if have or cur:
        args.append("".join(cur))
    return args


def mbsync_get(text, key):
    for line in text.splitlines():
        a = mbsync_args(line)
        if a and a[0] == key:
            return a[1:]
    raise KeyError(key)


for email, login in CASES:
    with t.case(f"mbsync: {email!r}"):
        out, files = export("mbsync", email, login, ["--ca", "/tmp/c a\".pem"])
        text = files[".mbsyncrc"]
        header_ok(text, "# ", "mbsync")
        assert "libsasl2-modules-kdexoauth2" in text
        (cmd,) = mbsync_get(text, "PassCmd")
        assert not cmd.startswith("+")
        assert run_shell(cmd) == want_argv(email)
        assert mbsync_get(text, "User") == [email]
        assert mbsync_get(text, "AuthMechs") == ["XOAUTH2"]
        assert mbsync_get(text, "SSLType") == ["IMAPS"]
        assert mbsync_get(text, "CertificateFile") == ["/tmp/c a\".pem"]
        # isync 1.4 does not create the store's folder; the header says how.
        channel = mbsync_get(text, "Channel")[0]
        assert mbsync_get(text, "Path") == [f"~/Mail/{channel}/"]
        assert f"mkdir -p ~/Mail/{channel}/\n" in text, text

with t.case("mbsync reads the file itself (closed loopback port, no config error)"):
    if not shutil.which("mbsync"):
        raise Skip("mbsync is not installed")
    out, files = export("mbsync", HOSTILE, None, ["--server-host", "127.0.0.1"])
    path = os.path.join(out, ".mbsyncrc")
    text = files[".mbsyncrc"].replace("Port 993", "Port 1").replace("SSLType IMAPS", "SSLType None")
    with open(path, "w") as f:
        f.write(text)
    channel = mbsync_get(text, "Channel")[0]
    os.makedirs(mbsync_get(text, "Path")[0].replace("~", WORK, 1), exist_ok=True)
    r = subprocess.run(["mbsync", "-c", path, "-l", channel], capture_output=True, text=True,
                       timeout=20, env={**os.environ, "HOME": WORK})
    assert not re.search(r"\.mbsyncrc:\d+:", r.stderr), r.stderr
    assert "onnect" in r.stderr, r.stderr  # it got as far as connecting


# ---- NeoMutt: muttrc double quotes with backslash escapes; -Q prints back.
def mutt_value(text, var):
    m = re.search(r'^set ' + var + r'="((?:\\.|[^"\\])*)"$', text, re.M)
    assert m, var
    return re.sub(r"\\(.)", r"\1", m.group(1))


for email, login in CASES:
    with t.case(f"neomutt: {email!r}"):
        out, files = export("neomutt", email, login, ["--ca", "/etc/ca.pem"])
        text = files["neomuttrc"]
        header_ok(text, "# ", "neomutt")
        assert "No POP here" in text
        for var in ("imap_oauth_refresh_command", "smtp_oauth_refresh_command"):
            assert run_shell(mutt_value(text, var)) == want_argv(email)
        assert mutt_value(text, "imap_user") == email
        assert mutt_value(text, "imap_authenticators") == "xoauth2"
        assert mutt_value(text, "ssl_ca_certificates_file") == "/etc/ca.pem"
        from urllib.parse import unquote, urlsplit
        u = urlsplit(mutt_value(text, "smtp_url"))
        assert u.scheme == "smtp" and unquote(u.username) == email and u.port == 587
        assert "set ssl_force_tls=yes" in text
        if shutil.which("neomutt"):
            r = subprocess.run(["neomutt", "-n", "-F", os.path.join(out, "neomuttrc"),
                                "-Q", "smtp_oauth_refresh_command"],
                               capture_output=True, text=True, timeout=10,
                               env={**os.environ, "HOME": WORK})
            assert r.returncode == 0, r.stderr
            m = re.match(r'(?:set )?smtp_oauth_refresh_command = "(.*)"$', r.stdout.strip())
            assert m, r.stdout
            assert run_shell(re.sub(r"\\(.)", r"\1", m.group(1))) == want_argv(email)


# ---- aerc: go-ini readValue (triple quotes literal; bare values lose # ;).
def goini_value(raw):
    raw = raw.strip()
    if raw.startswith('"""'):
        return raw[3:3 + raw[3:].rindex('"""')]
    if raw.startswith("`"):
        return raw[1:1 + raw[1:].rindex("`")]
    i = min([p for p in (raw.find("#"), raw.find(";")) if p >= 0], default=-1)
    if i >= 0:
        raw = raw[:i].strip()
    if len(raw) > 1 and raw[0] == raw[-1] and raw[0] in "\"'":
        raw = raw[1:-1]
    return raw


def aerc_get(text, key):
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if sep and k.strip() == key:
            return goini_value(v)
    raise KeyError(key)


for email, login in CASES:
    with t.case(f"aerc: {email!r} (go-ini rules; aerc itself is not installed here)"):
        _, files = export("aerc", email, login)
        text = files["accounts.conf"]
        header_ok(text, "# ", "aerc")
        for key in ("source-cred-cmd", "outgoing-cred-cmd"):
            assert run_shell(aerc_get(text, key)) == want_argv(email)
        from urllib.parse import unquote, urlsplit
        u = urlsplit(aerc_get(text, "source"))
        assert u.scheme == "imaps+xoauth2" and unquote(u.username) == email and u.port == 993
        u = urlsplit(aerc_get(text, "outgoing"))
        assert u.scheme == "smtp+xoauth2" and unquote(u.username) == email and u.port == 587


# ---- fetchmail: its lexer (rcfile_l.l) ends a string at the first quote of
# its kind, escaped or not, and turns \\ into \; a value holding both kinds
# of quote marks cannot be written (test-export-hostile.py runs fetchmail).
def fetchmail_get(text, key, commented=False):
    lead = r"^#\s*" if commented else r"^\s+"
    m = re.search(lead + key + r""" (?:"([^"]*)"|'([^']*)')""", text, re.M)
    assert m, key
    return (m.group(1) if m.group(1) is not None else m.group(2)).replace("\\\\", "\\")


for email, login in CASES:
    with t.case(f"fetchmail: {email!r} (documented syntax; 6.5 is not in Debian 12)"):
        if '"' in email and "'" in email:
            err = export("fetchmail", email, login, expect_ok=False)
            assert "both kinds of quote marks" in err, err
            continue
        _, files = export("fetchmail", email, login)
        text = files[".fetchmailrc"]
        header_ok(text, "# ", "fetchmail")
        assert "6.5" in text
        assert fetchmail_get(text, "user") == email
        # Off by default: enabled, it would leave a token in a file.
        assert not re.search(r"^\s+preconnect", text, re.M)
        pre = fetchmail_get(text, "preconnect", commented=True)
        token_file = fetchmail_get(text, "passwordfile")
        assert shlex.split(pre)[-1] == token_file
        assert "auth xoauth2" in text and "ssl sslcertck" in text
        # Run the preconnect for real, into a scratch runtime folder.
        pre = pre.replace(os.path.dirname(token_file), os.path.join(WORK, "run"))
        run_dir = os.path.join(WORK, "run")
        subprocess.run(["/bin/sh", "-c", pre.replace(shlex.quote(os.path.dirname(token_file)), shlex.quote(run_dir))],
                       check=True, timeout=10)


# ---- getmail6: RawConfigParser, password_command eval()ed as a tuple.
for email, login in CASES:
    with t.case(f"getmail: {email!r}"):
        out, files = export("getmail", email, login)
        text = files["getmailrc"]
        header_ok(text, "# ", "getmail")
        cp = configparser.RawConfigParser()
        cp.read_string(text)
        r = cp["retriever"]
        assert r["type"] == "SimpleIMAPSSLRetriever" and r["username"] == email
        assert r["use_xoauth2"] == "True"
        argv = eval(r["password_command"])  # what getmail does
        assert isinstance(argv, tuple)
        out_json = subprocess.run(list(argv), capture_output=True, text=True, check=True).stdout
        assert json.loads(out_json) == want_argv(email)
        if shutil.which("getmail"):
            d = os.path.join(out, "gm")
            os.makedirs(d)
            maildir = cp["destination"]["path"].replace("~", WORK, 1)
            for sub in ("cur", "new", "tmp"):
                os.makedirs(os.path.join(maildir, sub), exist_ok=True)
            p = subprocess.run(["getmail", "--getmaildir", d, "--rcfile",
                                os.path.join(out, "getmailrc"), "--dump"],
                               capture_output=True, text=True, timeout=20,
                               env={**os.environ, "HOME": WORK})
            assert "password_command" in p.stdout and "incorrect" not in p.stdout + p.stderr, p


# ---- OfflineIMAP: SafeConfigParser (%% is %) and a Python expression.
for email, login in CASES:
    with t.case(f"offlineimap: {email!r}"):
        _, files = export("offlineimap", email, login, ["--ca", "/etc/50%.pem"])
        text = files[".offlineimaprc"]
        header_ok(text, "# ", "offlineimap")
        cp = configparser.ConfigParser()  # BasicInterpolation, as SafeConfigParser
        cp.read_string(text)
        (remote,) = [s for s in cp.sections() if s.endswith("-remote")]
        r = cp[remote]
        assert r["remoteuser"] == email and r["sslcacertfile"] == "/etc/50%.pem"
        assert r["auth_mechanisms"] == "XOAUTH2" and r["ssl"] == "yes"
        assert json.loads(eval(r["oauth2_access_token_eval"])) == want_argv(email)


# ---- Thunderbird user.js: JS string literals (JSON-compatible here).
for email, login in CASES:
    with t.case(f"thunderbird: {email!r}"):
        _, files = export("thunderbird", email, login)
        text = files["user.js"]
        header_ok(text, "// ", "thunderbird")
        prefs = {}
        for line in text.splitlines():
            if line.startswith("//") or not line:
                continue
            m = re.fullmatch(r'user_pref\((".*?"), (.*)\);', line)
            assert m, line
            prefs[json.loads(m.group(1))] = json.loads(m.group(2))
        server = prefs["mail.account." + prefs["mail.accountmanager.accounts"] + ".server"]
        assert prefs[f"mail.server.{server}.authMethod"] == 10
        assert prefs[f"mail.server.{server}.socketType"] == 3
        assert prefs[f"mail.server.{server}.userName"] == email
        smtp = prefs["mail.smtpservers"]
        assert prefs[f"mail.smtpserver.{smtp}.try_ssl"] == 2
        assert prefs[f"mail.smtpserver.{smtp}.username"] == email
        assert "consent" in text and "latch" not in text.split("\n\n", 1)[1]


# ---- autoconfig: a real XML parser and the clientConfig 1.1 structure.
for email, login in CASES:
    with t.case(f"autoconfig: {email!r}"):
        _, files = export("autoconfig", email, login)
        text = files["config-v1.1.xml"]
        root = ET.fromstring(text.encode())
        assert root.tag == "clientConfig" and root.get("version") == "1.1"
        prov = root.find("emailProvider")
        assert prov.get("id") == email.rsplit("@", 1)[1]
        inc = prov.findall("incomingServer")
        assert [s.get("type") for s in inc] == ["imap", "pop3"]
        for s in inc + prov.findall("outgoingServer"):
            assert s.findtext("authentication") == "OAuth2"
            assert s.findtext("username") == "%EMAILADDRESS%"
            assert s.findtext("socketType") in ("SSL", "STARTTLS")
        o = root.find("oAuth2")
        assert o.findtext("issuer") == "login.microsoftonline.com"
        assert o.findtext("tokenURL").startswith("https://login.microsoftonline.com/")
        assert "IMAP.AccessAsUser.All" in o.findtext("scope")


# ---- Evolution: GKeyFile, as evolution-data-server reads it.
for email, login in CASES:
    with t.case(f"evolution: {email!r}"):
        from gi.repository import GLib
        out, files = export("evolution", email, login)
        assert len(files) == 3, files
        kfs = {}
        for name, text in files.items():
            kf = GLib.KeyFile()
            kf.load_from_data(text, len(text.encode()), GLib.KeyFileFlags.NONE)
            kfs[name[:-len(".source")]] = kf
        (mail,) = [u for u, k in kfs.items() if k.has_group("Mail Account")]
        m = kfs[mail]
        assert m.get_string("Authentication", "User") == email
        assert m.get_string("Authentication", "Method") == "XOAUTH2"
        assert m.get_string("Security", "Method") == "ssl-on-alternate-port"
        ident = kfs[m.get_string("Mail Account", "IdentityUid")]
        assert ident.get_string("Mail Identity", "Address") == email
        assert ident.get_string("Data Source", "Parent") == mail
        tr = kfs[ident.get_string("Mail Submission", "TransportUid")]
        assert tr.get_string("Security", "Method") == "starttls-on-standard-port"
        assert "Exchange Web Services" in files[mail + ".source"]


# ---- summary
with t.case("summary names servers, ports, security, user and mechanism"):
    _, files = export("summary", *SHARED)
    text = files["latchkey-summary.txt"]
    for s in ("outlook.office365.com", "993", "smtp.office365.com", "587", "STARTTLS",
              "User name: shared@contoso.com", "Signs in as: alice@contoso.com", "XOAUTH2"):
        assert s in text, s

with t.case("a client without the account's protocols says what to do"):
    err = export("msmtp", NORMAL, extra=["--protocols", "imap"], expect_ok=False)
    assert "SMTP" in err.upper() and "another client" in err, err
    err = export("getmail", NORMAL, extra=["--protocols", "smtp"], expect_ok=False)
    assert "another client" in err, err

with t.case("the writer refuses to overwrite and says --force"):
    out, files = export("summary", NORMAL)
    r = subprocess.run([DUMP, "--client", "summary", "--email", NORMAL, "--dir", out,
                        "--", RECORDER, "token", NORMAL], capture_output=True, text=True)
    assert r.returncode == 3 and "--force" in r.stderr, r

shutil.rmtree(WORK, ignore_errors=True)
t.done()
