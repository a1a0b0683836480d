#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs "$@" in a world of its own: a fresh HOME and XDG directories, its own
# session bus, and gnome-keyring as the Secret Service, unlocked without a
# prompt. Everything it started ends with the bus (doc/testing.md §3).
set -eu
scratch=$(mktemp -d "${TMPDIR:-/tmp}/lk-session.XXXXXX")
# What the portals may have mounted there goes too.
trap '"$(dirname "$0")/../build-aux/remove-scratch.sh" "$scratch"' EXIT INT TERM
# Dovecot's mail processes run as nobody and must be able to enter it.
chmod 711 "$scratch"
mkdir -p "$scratch/home/.config" "$scratch/home/.local/share" "$scratch/home/.cache"
mkdir -m 700 "$scratch/run"
# Exported before the bus starts: D-Bus-activated services inherit the bus's
# environment, not ours.
export HOME="$scratch/home" XDG_RUNTIME_DIR="$scratch/run"
export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share"
export XDG_CACHE_HOME="$HOME/.cache" LK_TEST_SCRATCH="$scratch"
unset DBUS_SESSION_BUS_ADDRESS
status=0
dbus-run-session -- sh -c '
  printf "%s" "lk-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"' sh "$@" 2> "$scratch/stderr" || status=$?
# dbus-daemon complains about fd limits in this sandbox; keep the rest.
grep -v -e "Failed to set fd limit" -e "discover_other_daemon" -e "Activating service name" -e "Successfully activated service" "$scratch/stderr" >&2 || true
exit $status
