#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Starts the built Latchkey under its own Xvfb and session bus with an empty
# HOME, waits for its first frame, and saves a screenshot:
#   build-aux/screenshot.sh [OUT.png] [WIDTHxHEIGHT]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${LK_BUILD_DIR:-$top/_build}
out=$(realpath -m "${1:-$build/screenshots/main-window.png}")
size=${2:-800x600}
mkdir -p "$(dirname "$out")"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-shot.XXXXXX")
trap '"$top/build-aux/remove-scratch.sh" "$scratch"' EXIT INT TERM
mkdir -p "$scratch/home" && mkdir -m 700 "$scratch/run"
env -u DBUS_SESSION_BUS_ADDRESS -u DISPLAY HOME="$scratch/home" XDG_RUNTIME_DIR="$scratch/run" \
  XDG_CONFIG_HOME="$scratch/home/.config" XDG_DATA_HOME="$scratch/home/.local/share" \
  GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$build/data" GTK_A11Y=none \
  LATCHKEY_REPORT_FIRST_FRAME=1 \
  xvfb-run -a -s "-screen 0 ${size}x24 -nolisten tcp" dbus-run-session -- sh -c '
    "$1" > "$2/app.out" 2>&1 & app=$!
    for i in $(seq 200); do grep -q "first frame" "$2/app.out" 2>/dev/null && break; sleep 0.05; done
    sleep 0.5
    import -window root "$3"
    kill $app; wait $app 2>/dev/null || true' sh "$build/src/ui/latchkey" "$scratch" "$out" \
  2>/dev/null
echo "$out"
