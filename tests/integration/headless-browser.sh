#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The "system browser" of the integration tests: headless Chromium, loopback
# only, following URL and its redirects (doc/testing.md §6). Its
# background networking is off, so it never tries to reach the internet.
set -u
profile=$(mktemp -d "${TMPDIR:-/tmp}/lk-chromium.XXXXXX")
log=${LK_TEST_SCRATCH:-/tmp}/browser.log
echo "open $1" >> "$log"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --disable-default-apps --disable-extensions --no-default-browser-check \
  --user-data-dir="$profile" --dump-dom "$1" >> "$log" 2>/dev/null
status=$?
rm -rf "$profile"
exit $status
