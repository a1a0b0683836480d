#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Flatpak manifest, checked as far as is possible without the GNOME
runtime (which cannot be downloaded here). Prints TAP."""
import json
import os
import re
import sys

top = os.environ["LK_SOURCE_ROOT"]
sys.path.insert(0, os.path.join(top, "tests"))
from tap import Tap  # noqa: E402

path = os.path.join(top, "flatpak", "io.github.latchkey.Latchkey.json")
text = open(path, encoding="utf-8").read()
t = Tap()
manifest = {}

with t.case("the manifest parses (json-glib allows /* */ comments, nothing else)"):
    assert "//" not in re.sub(r"/\*.*?\*/", "", text, flags=re.S).replace("://", ""), \
        "use /* */ comments: flatpak-builder rejects //"
    manifest = json.loads(re.sub(r"/\*.*?\*/", "", text, flags=re.S))

# GNOME runtimes are supported for about a year: 48 reached its end of life
# on 24 March 2026, 51 is current. An older one gets no security updates.
OLDEST_SUPPORTED_RUNTIME = 50

with t.case("application id, command and a current GNOME runtime"):
    assert manifest["id"] == "io.github.latchkey.Latchkey"
    assert manifest["command"] == "latchkey"
    assert manifest["runtime"] == "org.gnome.Platform" and manifest["sdk"] == "org.gnome.Sdk"
    version = manifest["runtime-version"]
    assert re.fullmatch(r"[0-9]+", version), \
        f"runtime-version {version!r}: name a stable GNOME release such as \"51\""
    assert int(version) >= OLDEST_SUPPORTED_RUNTIME, \
        f"GNOME runtime {version} is past its end of life: use {OLDEST_SUPPORTED_RUNTIME} or newer"

with t.case("flatpak/README.md installs the runtime the manifest names"):
    readme = open(os.path.join(top, "flatpak", "README.md"), encoding="utf-8").read()
    named = set(re.findall(r"org\.gnome\.(?:Platform|Sdk)//([0-9]+)", readme))
    assert named == {manifest["runtime-version"]}, \
        f"README names {sorted(named)}, the manifest {manifest['runtime-version']}"

with t.case("finish-args are the ones needed and no wider"):
    args = set(manifest["finish-args"])
    need = {"--share=network", "--share=ipc", "--socket=wayland", "--socket=fallback-x11",
            "--device=dri", "--talk-name=org.freedesktop.secrets"}
    assert need <= args, need - args
    wide = [a for a in args if a.startswith("--filesystem") or a in
            ("--socket=x11", "--device=all", "--talk-name=org.freedesktop.Flatpak",
             "--socket=session-bus", "--socket=system-bus")]
    assert not wide, wide
    assert args == need, args - need

with t.case("every finish-arg that widens the sandbox says why"):
    for arg in ("--share=network", "--talk-name=org.freedesktop.secrets"):
        before = text[:text.index(f'"{arg}"')]
        assert before.rstrip().endswith("*/"), f"{arg} has no comment saying why"

with t.case("the module builds this tree with meson"):
    module = manifest["modules"][-1]
    assert module["name"] == "latchkey" and module["buildsystem"] == "meson"
    sources = module["sources"]
    assert sources == [{"type": "dir", "path": ".."}], sources
    assert os.path.exists(os.path.join(top, "flatpak", "..", "meson.build"))

with t.case("latchkey-bridge is installed: the Background portal starts it at login"):
    bridge = open(os.path.join(top, "src", "bridge", "meson.build"), encoding="utf-8").read()
    assert re.search(r"executable\('latchkey-bridge'.*?install: true", bridge, flags=re.S), \
        "src/bridge/meson.build must install latchkey-bridge"
    gone = [c for c in manifest.get("cleanup", []) if re.search(r"bin|latchkey-bridge", c)]
    assert not gone, f"cleanup removes the bridge: {gone}"

t.done()
