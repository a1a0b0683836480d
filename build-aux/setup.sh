#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what Latchkey needs (build-aux/packages.txt) when something is
# missing, then configures the build directory. Used by run.sh, test.sh and CI.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${LK_BUILD_DIR:-$top/_build}

missing=""
for pkg in $(grep -v '^#' "$top/build-aux/packages.txt"); do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $pkg" ;;
  esac
done

if [ -n "$missing" ]; then
  echo "Installing:$missing" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  # Package scripts must not start Dovecot or Postfix as system daemons: the
  # tests run their own copies on loopback.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod 755 /usr/sbin/policy-rc.d
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >&2
fi

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top" ${LK_MESON_ARGS:-} >&2
fi
ninja -C "$build" >&2
