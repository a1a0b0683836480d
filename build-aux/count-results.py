#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prints "N passed, N failed[, N skipped]" from meson's testlog.json files.

A TAP test counts each of its "ok"/"not ok" lines; any other test counts as
one. A test that crashed or timed out counts as failed even if its TAP lines
said ok, so the line never reads better than what really happened.
build-aux/fuzz.sh writes one line per fuzz target in the same format
(_build-fuzz/meson-logs/fuzzlog.json).
"""
import json
import os
import re
import sys

TAP = re.compile(r"^(not ok|ok)\b(.*)$")
FAILURES = []


def main(paths):
    passed = failed = skipped = 0
    for path in paths:
        p, f, s = count(path)
        passed, failed, skipped = passed + p, failed + f, skipped + s
    # The failures are named just above the count: CI keeps only the end of
    # its output, and "1 failed" alone does not say where to look.
    for name in FAILURES:
        print(f"FAILED: {name}")
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)


def count(path):
    passed = failed = skipped = 0
    if not os.path.exists(path):
        # The build or the test run did not get as far as writing a log.
        FAILURES.append(f"{path} (no log: the stage did not get as far as its tests)")
        return 0, 1, 0
    with open(path, encoding="utf-8") as log:
        for line in log:
            if not line.strip():
                continue
            test = json.loads(line)
            result = test.get("result")
            p = f = s = 0
            lines = (test.get("stdout") or "").splitlines()
            for i, out in enumerate(lines):
                m = TAP.match(out)
                if not m:
                    continue
                directive = m.group(2).upper()
                if "# SKIP" in directive:
                    s += 1
                elif m.group(1) == "ok":
                    p += 1
                else:
                    f += 1
                    FAILURES.append(f"{where(path, test)}: not ok{m.group(2)}"
                                    + why(lines[i + 1:]))
            if p + f + s == 0:
                if result in ("OK", "EXPECTEDFAIL"):
                    p = 1
                elif result == "SKIP":
                    s = 1
                else:
                    f = 1
                    FAILURES.append(f"{where(path, test)}: {result}")
            elif result not in ("OK", "EXPECTEDFAIL", "SKIP") and f == 0:
                f = 1
                FAILURES.append(f"{where(path, test)}: {result}")
            passed, failed, skipped = passed + p, failed + f, skipped + s
    return passed, failed, skipped


def why(following):
    """The last line of the TAP diagnostic after a "not ok" (tests/tap.py
    prints the traceback there; its last line is the assertion), shortened:
    with it, CI's tail says what failed, not only where."""
    diagnostic = []
    for line in following:
        if not line.startswith("#"):
            break
        if line[1:].strip():
            diagnostic.append(line[1:].strip())
    if not diagnostic:
        return ""
    last = diagnostic[-1]
    # A bare "AssertionError" says nothing: the line of code that failed
    # does (the traceback's last line that is not a row of ^ markers).
    if ":" not in last:
        code = [d for d in diagnostic[:-1] if d.strip("^~ ")]
        if code:
            last = f"{last} at {code[-1]}"
    if len(last) > 600:
        last = last[:600] + "…"
    return f"\n    {last}"


def where(path, test):
    """The stage (its build directory) and the test's name."""
    stage = path.split("/meson-logs/")[0]
    return f"{stage} {test.get('name', '?')}"


if __name__ == "__main__":
    main(sys.argv[1:])
