# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared pieces of the Python-driven integration tests.

Each integration test runs inside tests/lk-test-session.sh, so it already has
its own HOME, XDG directories, session bus and unlocked gnome-keyring. This
module starts the real peers on loopback (the test identity provider,
Dovecot, headless Chromium as the desktop's browser), runs Latchkey's
programs, and scans for leaked secrets. Nothing here reaches beyond loopback.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SOURCE = os.environ["LK_SOURCE_ROOT"]
BUILD = os.environ["LK_BUILD_ROOT"]
CLI = os.path.join(BUILD, "src", "cli", "latchkey-cli")
CLI_FULL = os.path.join(BUILD, "src", "cli", "latchkey-cli-full")
GUI = os.path.join(BUILD, "src", "ui", "latchkey")
IDP = os.path.join(BUILD, "tests", "idp", "lk-test-idp")
SCRATCH = os.environ.get("LK_TEST_SCRATCH") or tempfile.mkdtemp(prefix="lk-it-")

sys.path.insert(0, os.path.join(SOURCE, "tests"))
from tap import Skip, Tap  # noqa: E402,F401


def run(args, timeout=60, input=None, env=None, check=False):
    """Runs a program, returns CompletedProcess with text output."""
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, input=input,
                       env=env or os.environ.copy())
    if check and r.returncode != 0:
        raise AssertionError(f"{args[0]} exited {r.returncode}: {r.stderr}")
    return r


def cli(*args, **kw):
    return run([CLI, *args], **kw)


class Process:
    """A child process stopped (and reaped) on close()."""

    def __init__(self, args, env=None, log=None):
        self.log_path = log or os.path.join(SCRATCH, os.path.basename(args[0]) + ".log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     env=env or os.environ.copy(), start_new_session=True)

    def readline(self, timeout=10):
        import select
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise AssertionError(f"{self.proc.args[0]}: no output within {timeout} s")
        return self.proc.stdout.readline()

    def close(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def install_headless_browser():
    """Makes headless Chromium the desktop's default browser for http(s).

    g_app_info_launch_default_for_uri() (and so gtk_show_uri and `gio open`)
    then runs tests/integration/headless-browser.sh, which follows the
    authorization URL and its redirects to Latchkey's loopback receiver.
    Returns the path of the browser's log.
    """
    data = os.environ["XDG_DATA_HOME"]
    config = os.environ["XDG_CONFIG_HOME"]
    os.makedirs(os.path.join(data, "applications"), exist_ok=True)
    os.makedirs(config, exist_ok=True)
    script = os.path.join(SOURCE, "tests", "integration", "headless-browser.sh")
    with open(os.path.join(data, "applications", "headless-browser.desktop"), "w") as f:
        f.write("[Desktop Entry]\nType=Application\nName=Headless Browser\n"
                f"Exec={script} %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\n"
                "NoDisplay=true\n")
    with open(os.path.join(config, "mimeapps.list"), "w") as f:
        f.write("[Default Applications]\nx-scheme-handler/http=headless-browser.desktop\n"
                "x-scheme-handler/https=headless-browser.desktop\n")
    return os.path.join(SCRATCH, "browser.log")


def browse(url, timeout=30):
    """Follows url in headless Chromium as a person's browser would."""
    script = os.path.join(SOURCE, "tests", "integration", "headless-browser.sh")
    return run([script, url], timeout=timeout)


MARKERS = ("lkrt_", "lkcode_", "lkdev_", "lksecret_")


def jwt_marker():
    import base64
    header = b'{"alg":"HS256","typ":"JWT","lkt":"LKTEST"}'
    return base64.urlsafe_b64encode(header).rstrip(b"=").decode() + "."


def scan_for_secrets(roots, extra=(), skip=()):
    """Returns [(path, marker)] for every file under roots holding a test
    secret: the marker prefixes every test token carries, and the exact
    strings in extra (tokens a test saw)."""
    needles = list(MARKERS) + [jwt_marker()] + [e for e in extra if e]
    hits = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            if any(dirpath.startswith(s) for s in skip):
                continue
            for name in filenames:
                path = os.path.join(dirpath, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                try:
                    with open(path, "rb") as f:
                        data = f.read(32 * 1024 * 1024)
                except OSError:
                    continue
                for n in needles:
                    if n.encode() in data:
                        hits.append((path, n[:12] + "…"))
    return hits
