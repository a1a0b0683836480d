#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Removes a test's scratch folder (tests/lk-test-session.sh,
# build-aux/screenshot.sh). Once something on the test's bus activates
# xdg-desktop-portal, it starts xdg-document-portal, which mounts a FUSE file
# system on $XDG_RUNTIME_DIR/doc and may not have unmounted it yet when the
# bus is gone: rm would then fail on it.
#   build-aux/remove-scratch.sh DIR
set -u
scratch=$1
if mountpoint -q "$scratch/run/doc" 2>/dev/null; then
  fusermount3 -u -z "$scratch/run/doc" 2>/dev/null || umount -l "$scratch/run/doc" 2>/dev/null || true
fi
rm -rf "$scratch"
