#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""systemd-analyze verify accepts the bridge's user unit, without a word of
warning (unknown keys, a command that is not there). systemd need not be
PID 1 for this. Prints TAP."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ["LK_SOURCE_ROOT"], "tests"))
from tap import Skip, Tap  # noqa: E402

unit = sys.argv[1]
t = Tap()
with t.case("systemd-analyze verify --user accepts latchkey-bridge.service"):
    if shutil.which("systemd-analyze") is None:
        raise Skip("systemd-analyze is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        # The unit's own name, so that systemd reads it as that service.
        path = os.path.join(tmp, "latchkey-bridge.service")
        shutil.copy(unit, path)
        runtime = os.path.join(tmp, "run")
        os.mkdir(runtime, 0o700)
        r = subprocess.run(["systemd-analyze", "verify", "--user", "--man=no", path],
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, XDG_RUNTIME_DIR=runtime))
    assert r.returncode == 0 and r.stderr.strip() == "", (r.returncode, r.stderr)
t.done()
