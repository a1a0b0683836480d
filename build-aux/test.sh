#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds Latchkey (installing what is missing) and runs every test headless:
# its own X server (Xvfb) and session bus, a throw-away HOME, loopback only.
# Ends with the line "N passed, N failed".
#   test.sh [--sanitize] [--debug-messages] [meson test arguments…]
# --sanitize builds in _build-asan with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs the same tests there.
# --debug-messages runs every test with G_MESSAGES_DEBUG=all, then scans
# meson's logs for the test secrets' markers (tests/lk-test-jwt.h): a hit
# fails the run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
scan_logs=
if [ "${1:-}" = "--debug-messages" ]; then
  shift
  export G_MESSAGES_DEBUG=all
  scan_logs=1
fi
if [ "${1:-}" = "--sanitize" ]; then
  shift
  export LK_BUILD_DIR=${LK_BUILD_DIR:-$top/_build-asan}
  export LK_MESON_ARGS="-Db_sanitize=address,undefined -Db_lundef=false"
  # LeakSanitizer is on; build-aux/lsan.supp lists only third-party leaks.
  # Programs the Python tests start inherit these; dovecot, chromium, msmtp
  # and python itself are not built with ASan, so the options do not touch
  # them. GLib's slice allocator would hide leaks from it: plain malloc. Full
  # stacks (not frame pointers only) so that a leak in a library shows who
  # called it, which the suppressions match; 20 frames reach every entry.
  # That unwinding is slow, so the tests get three times their timeout.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0:malloc_context_size=20}
  export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/build-aux/lsan.supp:print_suppressions=0}
  export G_SLICE=always-malloc
  # GTK without OpenGL: Mesa deadlocks the full unwinder above (a malloc
  # inside its loader lock); with the cairo renderer the GUI tests keep
  # LeakSanitizer and their full stacks like every other test.
  export GDK_DEBUG=${GDK_DEBUG:-gl-disable} GSK_RENDERER=${GSK_RENDERER:-cairo}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  # Instrumented code runs two to five times slower.
  set -- --timeout-multiplier 3 "$@"
fi
build=${LK_BUILD_DIR:-$top/_build}
LK_BUILD_DIR=$build "$top/build-aux/setup.sh"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
mkdir -p "$scratch/home" && mkdir -m 700 "$scratch/run"

status=0
# A log left by an earlier run must never be counted as this one's (a test
# name meson does not know ends it before it writes a new one).
rm -f "$build/meson-logs/testlog.json"
env -u DBUS_SESSION_BUS_ADDRESS -u DISPLAY -u WAYLAND_DISPLAY \
  HOME="$scratch/home" XDG_RUNTIME_DIR="$scratch/run" \
  XDG_CONFIG_HOME="$scratch/home/.config" XDG_DATA_HOME="$scratch/home/.local/share" \
  XDG_CACHE_HOME="$scratch/home/.cache" MESA_SHADER_CACHE_DISABLE=true \
  xvfb-run -a -s '-screen 0 1280x1024x24 -nolisten tcp' \
  dbus-run-session -- \
  meson test -C "$build" --print-errorlogs --num-processes 2 "$@" || status=$?

python3 "$top/build-aux/count-results.py" "$build/meson-logs/testlog.json"
if [ -n "$scan_logs" ]; then
  # The markers every test secret carries, and the JWT header of the test tokens.
  if grep -l -r -E 'lkrt_|lkcode_|lkdev_|lksecret_|eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImxrdCI6IkxLVEVTVCJ9' \
       "$build/meson-logs"; then
    echo "test secrets found in the logs above" >&2
    status=1
  else
    echo "no test secret in $build/meson-logs"
  fi
fi
exit $status
