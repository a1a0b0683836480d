#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The run command's window really comes up: start the built program the way
# build-aux/screenshot.sh does and check that the screenshot shows a window
# (a bare Xvfb root is black; the libadwaita window is mostly light grey).
set -eu
out="$LK_BUILD_ROOT/screenshots/main-window.png"
rm -f "$out"
LK_BUILD_DIR="$LK_BUILD_ROOT" "$LK_SOURCE_ROOT/build-aux/screenshot.sh" "$out" 800x600 >/dev/null
echo "1..1"
mean=$(convert "$out" -colorspace Gray -format '%[fx:mean]' info:)
if awk -v m="$mean" 'BEGIN { exit !(m > 0.4) }'; then
  echo "ok 1 the main window is drawn (mean brightness $mean)"
else
  echo "not ok 1 the main window is not drawn (mean brightness $mean)"
  exit 1
fi
