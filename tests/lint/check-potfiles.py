#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every file with translatable strings is listed in po/POTFILES.in, and every
listed file exists. Prints TAP."""
import os
import re
import subprocess
import sys

top = os.environ["LK_SOURCE_ROOT"]
sys.path.insert(0, os.path.join(top, "tests"))
from tap import Tap  # noqa: E402

MARK = re.compile(r'\b(?:_|N_|C_|NC_|g_dngettext|ngettext)\s*\(|translatable="yes"|^_?(Name|Comment|Keywords)=')

listed = set()
with open(os.path.join(top, "po", "POTFILES.in"), encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#"):
            listed.add(line)

files = subprocess.run(["git", "-C", top, "ls-files", "--cached", "--others", "--exclude-standard",
                        "src", "data"], capture_output=True, text=True, check=True).stdout.split()
marked = set()
for path in files:
    if not re.search(r"\.(c|ui|in)$", path):
        continue
    with open(os.path.join(top, path), encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".c") and re.search(r'\b(?:_|N_|C_|NC_|ngettext|g_dngettext)\s*\("', text):
        marked.add(path)
    elif path.endswith(".ui") and 'translatable="yes"' in text:
        marked.add(path)
    elif path.endswith((".desktop.in.in", ".metainfo.xml.in.in", ".gschema.xml.in")):
        marked.add(path)

t = Tap()
with t.case("every file with translatable strings is in po/POTFILES.in"):
    missing = sorted(marked - listed)
    assert not missing, "add to po/POTFILES.in: " + ", ".join(missing)
with t.case("every file in po/POTFILES.in exists"):
    gone = sorted(p for p in listed if not os.path.exists(os.path.join(top, p)))
    assert not gone, "remove from po/POTFILES.in: " + ", ".join(gone)
t.done()
