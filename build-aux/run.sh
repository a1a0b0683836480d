#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds Latchkey (installing what is missing) and starts it from the build tree.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${LK_BUILD_DIR:-$top/_build}
"$top/build-aux/setup.sh"
export GSETTINGS_SCHEMA_DIR="$build/data"
exec "$build/src/ui/latchkey" "$@"
