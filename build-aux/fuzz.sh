#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A bounded libFuzzer run of every target in tests/fuzz (CI's fuzz stage).
#   fuzz.sh [SECONDS_PER_TARGET]     default 30: 18 targets, two at a time,
#                                    about 5 minutes on 2 cores
# Builds _build-fuzz with clang (installing it when missing), starts each
# target from a copy of its committed corpus, and fails when one crashes,
# leaks, hangs or runs out of memory. The input that did it is saved to
# tests/fuzz/crashes/TARGET-crash-… for a human (tests/fuzz/README.md).
# Writes _build-fuzz/meson-logs/fuzzlog.json, one line per target in the
# form of meson's testlog.json, for build-aux/count-results.py.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
build=${LK_FUZZ_BUILD_DIR:-$top/_build-fuzz}
jobs=${LK_FUZZ_JOBS:-2}
crashes=$top/tests/fuzz/crashes
log=$build/meson-logs/fuzzlog.json

case "$seconds" in
  ''|*[!0-9]*|0) echo "Usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac

# A log left by an earlier run must not count if this one stops early.
rm -f "$log"

# clang, and with it libFuzzer's runtime (libclang-common-14-dev).
if ! command -v clang >/dev/null 2>&1; then
  echo "Installing: clang" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang >&2
fi

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$top" -Dfuzzing=true -Dgui=false \
    -Db_sanitize=address,undefined -Db_lundef=false >&2
fi
targets=$(sed -n "/^fuzz_targets = \[/,/^\]/s/^ *'\([a-z0-9-]*\)',*$/\1/p" "$top/tests/fuzz/meson.build")
ninja_targets=""
for t in $targets; do
  ninja_targets="$ninja_targets tests/fuzz/lk-fuzz-$t"
done
# shellcheck disable=SC2086
ninja -C "$build" $ninja_targets >&2

mkdir -p "$crashes" "$build/meson-logs" "$build/fuzz-work"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$top/build-aux/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Runs one target; leaves its log and exit status in fuzz-work/.
run_target () {
  t=$1
  work=$build/fuzz-work/$t
  rm -rf "$work" && mkdir -p "$work/corpus"
  cp "$top/tests/fuzz/corpus/$t"/* "$work/corpus/"
  dict=""
  if [ -f "$top/tests/fuzz/dict/$t.dict" ]; then
    dict=-dict=$top/tests/fuzz/dict/$t.dict
  fi
  start=$(date +%s)
  rc=0
  # shellcheck disable=SC2086
  "$build/tests/fuzz/lk-fuzz-$t" "$work/corpus" $dict \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$crashes/$t-" \
    >"$work/log" 2>&1 || rc=$?
  echo "$rc $(( $(date +%s) - start ))" >"$work/status"
}

set -- $targets
while [ $# -gt 0 ]; do
  pids=""
  n=0
  while [ $# -gt 0 ] && [ $n -lt "$jobs" ]; do
    echo "fuzzing $1 for ${seconds}s" >&2
    run_target "$1" &
    pids="$pids $!"
    n=$((n + 1))
    shift
  done
  for pid in $pids; do
    wait "$pid" || true
  done
done

# Report: one line per target, and the JSON-lines log.
status=0
: >"$log"
printf '%-22s %12s %10s %s\n' target execs execs/s result
for t in $targets; do
  work=$build/fuzz-work/$t
  read -r rc duration <"$work/status"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n1)
  if [ "$rc" -eq 0 ]; then
    result=OK
  else
    result=FAIL
    status=1
    echo "== $t failed (exit $rc); the end of its log:" >&2
    tail -n 60 "$work/log" >&2
  fi
  printf '%-22s %12s %10s %s\n' "$t" "${execs:-?}" "${speed:-?}" "$result"
  python3 - "$t" "$result" "$duration" "${execs:-0}" "${speed:-0}" "$work/log" >>"$log" <<'PY'
import json, sys
name, result, duration, execs, speed, path = sys.argv[1:]
with open(path, encoding="utf-8", errors="replace") as f:
    tail = f.read()[-4000:] if result != "OK" else ""
print(json.dumps({"name": "fuzz-run-" + name, "suite": ["fuzz-run"], "result": result,
                  "duration": float(duration), "returncode": 0 if result == "OK" else 1,
                  "stdout": "", "stderr": tail,
                  "execs": int(execs), "execs_per_second": int(speed)}))
PY
done
if [ "$status" -ne 0 ]; then
  echo "Crash inputs are in tests/fuzz/crashes/ (see tests/fuzz/README.md)." >&2
fi
python3 "$top/build-aux/count-results.py" "$log"
exit $status
