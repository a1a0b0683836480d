#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `meson dist` makes the release tarball; this unpacks it in a fresh folder
# and runs the README's test command there, so a file missing from the
# tarball (not tracked by git, or not installed by meson) fails CI.
# Its testlog is left in _build-dist/tarball/_build/meson-logs/testlog.json.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/_build
dist=$top/_build-dist
"$top/build-aux/setup.sh"
# meson dist would run the tests itself, without the X server and session
# bus that test.sh provides.
meson dist -C "$build" --no-tests --formats xztar >&2
rm -rf "$dist" && mkdir -p "$dist"
tar -C "$dist" -xf "$build"/meson-dist/latchkey-*.tar.xz
mv "$dist"/latchkey-* "$dist/tarball"
cd "$dist/tarball"
LK_BUILD_DIR="$dist/tarball/_build" ./build-aux/test.sh "$@"
