#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Retakes the AppStream screenshots in data/screenshots/ from the real
# widgets (tests/ui/appstream-screenshots.c) under their own Xvfb, session
# bus and gnome-keyring, in an empty HOME, so no developer's path, account
# or setting shows in them:
#   ninja -C _build appstream-screenshots
# Look at every picture before committing it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${MESON_BUILD_ROOT:-${LK_BUILD_DIR:-$top/_build}}
program=$(realpath "${1:-$build/tests/ui/appstream-screenshots}")
shots=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-appstream.XXXXXX")
trap 'rm -rf "$shots"' EXIT INT TERM
# The token command the exports show is the installed one, not the build's.
env -u DISPLAY -u WAYLAND_DISPLAY LK_BUILD_ROOT="$shots" LATCHKEY_CLI=/usr/bin/latchkey-cli \
  GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$build/data" GTK_A11Y=none GDK_BACKEND=x11 \
  NO_AT_BRIDGE=1 LATCHKEY_DISCOVERY=local LANG=C.UTF-8 LANGUAGE=en \
  xvfb-run -a -s '-screen 0 1280x1024x24 -nolisten tcp' \
  "$top/tests/lk-test-session.sh" "$program"
for name in address sign-in test export accounts account account-failing; do
  cp "$shots/screenshots/$name.png" "$top/data/screenshots/$name.png"
  echo "$top/data/screenshots/$name.png"
done
