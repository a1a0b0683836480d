# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared set-up of the benchmarks that need an account: re-runs the bench
inside tests/lk-test-session.sh (own HOME, bus, unlocked gnome-keyring),
starts the test IdP and adds an account through the device flow."""
import os
import subprocess
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def in_session():
    """Re-executes the calling bench in a session of its own, once."""
    if os.environ.get("LK_TEST_SCRATCH"):
        return
    os.environ.setdefault("LK_SOURCE_ROOT", TOP)
    os.environ.setdefault("LK_BUILD_ROOT", os.path.join(TOP, "_build"))
    os.environ.setdefault("GIO_USE_PROXY_RESOLVER", "dummy")
    os.environ.setdefault("GSETTINGS_BACKEND", "memory")
    session = os.path.join(TOP, "tests", "lk-test-session.sh")
    os.execv(session, [session, sys.executable, os.path.abspath(sys.argv[0]), *sys.argv[1:]])


def add_account(email="alice@example.com", dovecot=None):
    """Returns (harness module, Idp) with @email signed in; with @dovecot (a
    harness.Dovecot), the IdP's tokens are ones it accepts and the profile
    names its servers."""
    sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
    import harness
    if dovecot is not None:
        idp = harness.Idp("--device-interval", "1", *dovecot.idp_args(), "--token-size", "2500")
        harness.write_profile(idp, servers=dovecot.servers(), ca_file=dovecot.ca_file)
    else:
        idp = harness.Idp("--device-interval", "1")
        harness.write_profile(idp)
    protocols = ["--protocols", "imap,pop,smtp"] if dovecot is not None else []
    p = subprocess.Popen([harness.CLI, "add", email, "--device", *protocols],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, code = p.stdout.readline().split()
    idp.control("approve-device", {"user_code": code})
    if p.wait(timeout=60) != 0:
        sys.exit(f"could not add {email}: {p.stderr.read()}")
    return harness, idp
