#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The organisation-profile MIME type: shared-mime-info accepts the file and
maps *.latchkey to it, and the desktop file offers to open it."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ["LK_SOURCE_ROOT"], "tests"))
from tap import Tap  # noqa: E402

SOURCE = os.environ["LK_SOURCE_ROOT"]
MIME = os.path.join(SOURCE, "data", "io.github.latchkey.Latchkey.mime.xml")
DESKTOP = sys.argv[1]

t = Tap()
with t.case("update-mime-database maps *.latchkey to application/x-latchkey-profile"):
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "mime", "packages"))
        shutil.copy(MIME, os.path.join(d, "mime", "packages"))
        r = subprocess.run(["update-mime-database", os.path.join(d, "mime")],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        globs = open(os.path.join(d, "mime", "globs2")).read()
        assert "application/x-latchkey-profile:*.latchkey" in globs, globs

with t.case("the desktop file opens profiles, with files on its command line"):
    entry = open(DESKTOP).read()
    assert "MimeType=application/x-latchkey-profile;" in entry, entry
    assert "Exec=latchkey %F" in entry, entry
t.done()
