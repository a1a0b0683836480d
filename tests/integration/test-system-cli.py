#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`latchkey-cli --system` on a box without a desktop (issue #16): root adds
an app-only mailbox and a device-code account into the sealed token store,
whose key is a systemd credential sealed with `systemd-creds encrypt
--with-key=host`; the files belong to the service's user; the service's
way in ($CREDENTIALS_DIRECTORY) reads the same store; a tampered store and
a wrong key are refused without losing anything; no secret is in any file
but the sealed store, and nothing is in the keyring."""
import json
import os
import secrets
import shutil

from harness import (NOBODY, SCRATCH, Dovecot, Idp, Process, SystemBox, Tap, CLI,
                     scan_for_secrets, secret_tool_lookup, write_profile)

SECRET = "lksecret_system"
MAILBOX = "scanner@example.com"
DEVICE_USER = "frontdesk@example.com"

t = Tap()
if shutil.which("systemd-creds") is None:
    with t.case("systemd-creds is installed"):
        raise AssertionError("systemd-creds is missing: install systemd (build-aux/packages.txt)")
    t.done()

box = SystemBox()
dovecot = Dovecot(audience="https://outlook.office365.com")
idp = Idp(*dovecot.idp_args(), "--device-interval", "1", "--client",
          "lk-app:" + SECRET + ":IMAP.AccessAsApp,POP.AccessAsApp,SMTP.SendAsApp",
          "--app-mailbox", MAILBOX)
write_profile(idp, servers=dovecot.servers(), ca_file=dovecot.ca_file, folder=box.providers)
os.chmod(os.path.join(box.providers, "testidp.json"), 0o644)
outputs = []
tokens_seen = []


def system(*args, **kw):
    r = box.cli(*args, **kw)
    outputs.extend([r.stdout, r.stderr])
    return r


def owners(folder):
    """{path relative to folder: (uid, mode)} of everything below it."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            found[os.path.relpath(path, folder)] = (st.st_uid, st.st_mode & 0o777)
    return found


try:
    with t.case("without a key: list works, add says how to make one before signing in"):
        r = system("list")
        assert r.returncode == 0, r.stderr
        assert "No accounts yet" in r.stderr and "latchkey-cli --system add" in r.stderr, r.stderr
        r = system("add", MAILBOX, "--app-only", "--provider", "testidp", "--client-id", "lk-app",
                   "--tenant", "example.com", input=SECRET + "\n")
        assert r.returncode == 4, (r.returncode, r.stderr)
        assert "systemd-creds encrypt --name=latchkey-store-key" in r.stderr, r.stderr
        assert idp.count("token:client_credentials") == 0
        assert not os.path.exists(box.sealed_store())

    key = secrets.token_bytes(32)
    box.seal_key(key)

    with t.case("add --app-only as root: tokens in the sealed store, files the service's own"):
        r = system("add", MAILBOX, "--app-only", "--provider", "testidp", "--client-id", "lk-app",
                   "--tenant", "example.com", input=SECRET + "\n")
        assert r.returncode == 0, r.stdout + r.stderr
        assert idp.count("token:client_credentials") == 1
        files = owners(box.state)
        assert files.get("tokens.sealed") == (NOBODY, 0o600), files
        assert files.get("accounts") == (NOBODY, 0o700), files
        assert files.get(os.path.join("accounts", MAILBOX + ".json")) == (NOBODY, 0o600), files
        assert all(uid == NOBODY for uid, _ in files.values()), files
        assert all(uid == NOBODY for uid, _ in owners(box.runtime).values())
        assert secret_tool_lookup(MAILBOX) is None      # nothing went to the keyring

    with t.case("list, token (through the full program) and test against Dovecot"):
        r = system("list")
        assert r.returncode == 0 and r.stdout.startswith(MAILBOX), r.stdout + r.stderr
        r = system("token", MAILBOX)
        assert r.returncode == 0 and r.stdout.strip(), r.stderr
        tokens_seen.append(r.stdout.strip())
        r = system("test", MAILBOX, timeout=90)
        assert r.returncode == 0, r.stdout + r.stderr
        lines = r.stdout.splitlines()
        assert [l.split()[1] for l in lines if l.startswith("✓")] == ["IMAP", "POP", "SMTP"], lines

    with t.case("the service's way in: $CREDENTIALS_DIRECTORY, as its own user, no host key"):
        credentials = box.unseal_for_service()
        env = box.env(credentials, SYSTEMD_CREDENTIAL_SECRET=os.path.join(box.root, "none"),
                      LATCHKEY_STORE_CREDENTIAL=os.path.join(box.root, "none"))
        r = box.cli("token", MAILBOX, user=NOBODY, env=env)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == tokens_seen[0]
        # Without the credential and not root, nothing can open the store.
        r = box.cli("token", MAILBOX, user=NOBODY, env=box.env())
        assert r.returncode == 4 and "root" in r.stderr, r.stderr

    with t.case("another user cannot act for the system bridge"):
        r = box.cli("list", user=1)
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert "belong to the user nobody" in r.stderr and "as root" in r.stderr, r.stderr

    with t.case("add --device from a headless box: the code to type elsewhere, then saved"):
        p = Process([CLI, "--system", "add", DEVICE_USER, "--device", "--provider", "testidp"],
                    env=box.env(), log=os.path.join(SCRATCH, "system-device.log"))
        uri, code = p.readline(timeout=30).split()
        assert uri == idp.base + "/devicelogin", uri
        idp.control("approve-device", {"user_code": code})
        assert p.proc.wait(timeout=30) == 0
        p.close()
        listing = system("list", "--json")
        accounts = {a["email"]: a for a in json.loads(listing.stdout)}
        assert accounts[DEVICE_USER]["flow"] == "device", accounts
        assert accounts[MAILBOX]["flow"] == "app-only", accounts
        r = system("token", DEVICE_USER)
        assert r.returncode == 0 and r.stdout.strip(), r.stderr

    with t.case("a tampered store is refused, named, left as it was; restored, it works"):
        with open(box.sealed_store(), "rb") as f:
            good = f.read()
        bad = bytearray(good)
        bad[40] ^= 0x01
        with open(box.sealed_store(), "wb") as f:
            f.write(bad)
        r = system("token", MAILBOX)
        assert r.returncode == 4, (r.returncode, r.stderr)
        assert "damaged or was altered" in r.stderr and box.sealed_store() in r.stderr, r.stderr
        assert "Traceback" not in r.stderr and "CRITICAL" not in r.stderr
        r = system("remove", MAILBOX)
        assert r.returncode == 4, r.stderr
        with open(box.sealed_store(), "rb") as f:
            assert f.read() == bytes(bad)
        assert os.path.exists(os.path.join(box.state, "accounts", MAILBOX + ".json"))
        with open(box.sealed_store(), "wb") as f:
            f.write(good)
        r = system("token", MAILBOX)
        assert r.returncode == 0 and r.stdout.strip() == tokens_seen[0], r.stderr

    with t.case("a credential with another key is refused as such; the store is untouched"):
        right = box.credential
        wrong = box.seal_key(secrets.token_bytes(32),
                             path=os.path.join(box.root, "credstore", "other-key"))
        r = system("token", MAILBOX, env=box.env(LATCHKEY_STORE_CREDENTIAL=wrong))
        assert r.returncode == 4, (r.returncode, r.stderr)
        assert "sealed with another key" in r.stderr, r.stderr
        with open(box.sealed_store(), "rb") as f:
            assert f.read() == good
        r = system("token", MAILBOX, env=box.env(LATCHKEY_STORE_CREDENTIAL=right))
        assert r.returncode == 0, r.stderr

    with t.case("export is refused in system mode, pointing at the bridge"):
        r = system("export", MAILBOX, "--client", "msmtp")
        assert r.returncode == 2 and "--system bridge" in r.stderr, r.stderr

    with t.case("remove takes the account out of the sealed store and its file"):
        r = system("remove", DEVICE_USER)
        assert r.returncode == 0, r.stderr
        r = system("token", DEVICE_USER)
        assert r.returncode == 1 and "latchkey-cli --system add" in r.stderr, r.stderr
        assert not os.path.exists(os.path.join(box.state, "accounts", DEVICE_USER + ".json"))
        r = system("token", MAILBOX)
        assert r.returncode == 0, r.stderr

    with t.case("no secret in any file but the sealed store, nor in any output"):
        hits = scan_for_secrets([os.environ["HOME"], SCRATCH], extra=[SECRET] + tokens_seen,
                                skip=[os.path.join(os.environ["HOME"], ".local", "share", "keyrings"),
                                      os.path.join(SCRATCH, "dovecot")])
        hits = [h for h in hits if not h[0].endswith(("idp.log",))]
        assert not hits, hits
        with open(box.sealed_store(), "rb") as f:
            sealed = f.read()
        assert SECRET.encode() not in sealed and b"lkrt_" not in sealed and MAILBOX.encode() not in sealed
        leaked = [o for o in outputs if SECRET in o or "lkrt_" in o]
        assert not leaked, leaked
        # The key itself only where systemd puts the unsealed credential.
        for dirpath, _, filenames in os.walk(SCRATCH):
            for name in filenames:
                path = os.path.join(dirpath, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    with open(path, "rb") as f:
                        if key in f.read():
                            assert path == os.path.join(credentials, "latchkey-store-key"), path
finally:
    idp.close()
    dovecot.close()

t.done()
