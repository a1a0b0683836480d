#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The system bridge's unit, user and folders (doc/system-mode.md):
systemd-analyze verifies the unit without a word and rates its exposure
under 2.0; the sysusers.d and tmpfiles.d files, applied to a scratch root,
make the user and the folders the code expects; and the unit names the
same credential, user and folders as the code. systemd need not be PID 1.
Prints TAP.  check-systemd-system.py UNIT SYSUSERS TMPFILES"""
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile

top = os.environ["LK_SOURCE_ROOT"]
sys.path.insert(0, os.path.join(top, "tests"))
from tap import Skip, Tap  # noqa: E402

unit, sysusers, tmpfiles = sys.argv[1:4]
MAX_EXPOSURE = 20   # systemd-analyze's scale of 0 to 100: "2.0"


def need(program):
    if shutil.which(program) is None:
        raise Skip(f"{program} is not installed")


def source(path):
    with open(os.path.join(top, path), encoding="utf-8") as f:
        return f.read()


def c_string(path, name):
    """The string a #define in a C header stands for (one level of macros)."""
    text = source(path)
    m = re.search(r'#define\s+' + name + r'\s+(.+)', text)
    assert m, (path, name)
    value = ""
    for part in re.findall(r'"([^"]*)"|(\w+)', m.group(1)):
        value += part[0] if part[0] else c_string(path, part[1])
    return value


t = Tap()
with tempfile.TemporaryDirectory() as tmp:
    service = os.path.join(tmp, "latchkey-bridge.service")
    shutil.copy(unit, service)

    with t.case("systemd-analyze verify accepts the system latchkey-bridge.service"):
        need("systemd-analyze")
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", service],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stderr.strip() == "", (r.returncode, r.stderr)

    with t.case(f"systemd-analyze security rates its exposure at most {MAX_EXPOSURE / 10}"):
        need("systemd-analyze")
        r = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                            f"--threshold={MAX_EXPOSURE}", service],
                           capture_output=True, text=True, timeout=60)
        overall = [l for l in r.stdout.splitlines() if "Overall exposure" in l]
        print("# " + (overall[0] if overall else r.stdout[-300:]), flush=True)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr

    root = os.path.join(tmp, "root")
    os.makedirs(os.path.join(root, "etc"))
    with t.case("sysusers.d makes the user latchkey, without a login"):
        need("systemd-sysusers")
        r = subprocess.run(["systemd-sysusers", f"--root={root}", os.path.abspath(sysusers)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        with open(os.path.join(root, "etc", "passwd")) as f:
            users = {l.split(":")[0]: l.rstrip("\n").split(":") for l in f}
        assert "latchkey" in users, users
        entry = users["latchkey"]
        assert entry[5] == "/var/lib/latchkey" and entry[6].endswith("nologin"), entry
        uid, gid = int(entry[2]), int(entry[3])
        assert 0 < uid < 1000, uid

    with t.case("tmpfiles.d makes the state folder the user's, 0700, and the credential store root's"):
        need("systemd-tmpfiles")
        r = subprocess.run(["systemd-tmpfiles", f"--root={root}", "--create",
                            os.path.abspath(tmpfiles)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr

        def owner_mode(path):
            st = os.lstat(os.path.join(root, path.lstrip("/")))
            return st.st_uid, st.st_gid, st.st_mode & 0o777

        assert owner_mode("/var/lib/latchkey") == (uid, gid, 0o700)
        assert owner_mode("/run/latchkey") == (uid, gid, 0o700)
        assert owner_mode("/etc/credstore.encrypted") == (0, 0, 0o700)
        assert owner_mode("/etc/latchkey/providers") == (0, 0, 0o755)

    with t.case("the unit names the credential, user and folders the code uses"):
        text = open(unit, encoding="utf-8").read()
        settings = dict(re.findall(r"^(\w+)=(.*)$", text, re.M))
        name = c_string("src/core/store/lk-store-credential.h", "LK_STORE_CREDENTIAL_NAME")
        path = c_string("src/core/store/lk-store-credential.h", "LK_STORE_CREDENTIAL_PATH")
        user = c_string("src/core/lk-system-mode.h", "LK_SYSTEM_USER")
        assert settings["LoadCredentialEncrypted"] == f"{name}:{path}", settings
        assert settings["User"] == user and settings["Group"] == user, settings
        places = source("src/core/lk-places.c")
        for directive, default in (("StateDirectory", "/var/lib/"), ("RuntimeDirectory", "/run/"),
                                   ("ConfigurationDirectory", "/etc/")):
            assert f'"{default}{settings[directive]}"' in places, (directive, default)
        assert settings["ExecStart"].split()[1:] == ["--system"], settings["ExecStart"]
        assert settings["ProtectSystem"] == "strict" and settings["NoNewPrivileges"] == "yes"
        assert settings["RestrictAddressFamilies"] == "AF_UNIX AF_INET AF_INET6"
t.done()
