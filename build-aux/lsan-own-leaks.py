#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs a test under AddressSanitizer with LeakSanitizer, failing on the
leaks that are Latchkey's own: build-aux/test.sh --sanitize wraps the GTK
tests in it (tests/ui/meson.build, tests/integration/meson.build).

   lsan-own-leaks.py COMMAND [ARGS…]

Why not build-aux/lsan.supp alone: GTK, GDK and GIO keep process-lifetime
objects (the X11 display, GIO's modules, event-time lists) that LeakSanitizer
reports, and Debian's GTK has no symbols for its static functions, so a
suppression can only name the library — and a pattern matches if any frame
of a stack does, so "leak:libgtk-4.so" would also hide a widget Latchkey
leaks (its stack passes through gtk_label_new). Here a leak fails the test
when one of its allocation frames is in Latchkey's sources (src/core,
src/ui, src/cli); the rest are counted and listed by library. Two frames of
ours are on nearly every stack of the GUI and do not count: main(), which
only runs g_application_run(), and lk_application_startup() chaining up to
GTK's startup (a leak of its own would be a frame below it in a helper). Every other
sanitizer error fails the test as usual. Every process the test starts
(the GUI, latchkey-cli) inherits the options and is checked the same way.
"""
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

OURS = re.compile(r"\bsrc/(core|ui|cli)/[\w/.-]+\.c:\d+")
# Frames of ours that only hand over to the toolkit (see above).
ENTRY_POINTS = {"main", "lk_application_startup"}
FRAME = re.compile(r"^\s+#\d+ 0x[0-9a-f]+ in (\S+)(?: (\S+))?|^\s+#\d+ 0x[0-9a-f]+ +\((\S+?)\+")


def split_reports(text):
    """Yields (kind, block) for each leak of a LeakSanitizer report, and
    ("error", text) for any other sanitizer error."""
    if "ERROR: LeakSanitizer" not in text:
        yield "error", text
        return
    if re.search(r"ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer)", text):
        yield "error", text
    for block in re.split(r"\n(?=(?:Direct|Indirect) leak of )", text):
        if re.match(r"(Direct|Indirect) leak of ", block):
            yield "leak", block.split("\n\n")[0]


def is_ours(block):
    for line in block.splitlines()[1:]:
        m = FRAME.match(line)
        if m and m.group(2) and OURS.search(m.group(2)) and m.group(1) not in ENTRY_POINTS:
            return True
    return False


def where(block):
    """The first library (or function) on a third-party leak's stack below
    the allocator, for the summary."""
    for line in block.splitlines()[1:]:
        m = FRAME.match(line)
        if not m:
            continue
        name = m.group(1) or ""
        location = m.group(2) or m.group(3) or ""
        if "libsanitizer" in location or name.startswith("__interceptor") or \
           name in ("g_malloc", "g_malloc0", "g_realloc", "g_slice_alloc", "g_slice_alloc0",
                    "g_try_malloc", "g_strdup", "g_memdup2"):
            continue
        library = os.path.basename(location.split("+")[0]) if location else "?"
        return f"{name if name and not name.startswith('0x') else '?'} ({library})"
    return "?"


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: lsan-own-leaks.py COMMAND [ARGS…]")
    logs = tempfile.mkdtemp(prefix="lk-lsan-")
    env = dict(os.environ)
    options = [o for o in env.get("ASAN_OPTIONS", "").split(":")
               if o and not o.startswith(("abort_on_error", "log_path", "detect_leaks"))]
    env["ASAN_OPTIONS"] = ":".join(options + ["detect_leaks=1", "abort_on_error=0",
                                              f"log_path={logs}/asan"])
    env["LSAN_OPTIONS"] = ":".join(
        [o for o in env.get("LSAN_OPTIONS", "").split(":") if o and not o.startswith("exitcode")]
        + ["exitcode=0"])
    status = subprocess.call(sys.argv[1:], env=env)

    own, errors = [], []
    others = collections.Counter()
    for name in sorted(os.listdir(logs)):
        with open(os.path.join(logs, name), errors="replace") as f:
            text = f.read()
        for kind, block in split_reports(text):
            if kind == "error":
                errors.append(f"{name}:\n{block}")
            elif is_ours(block):
                own.append(f"{name}:\n{block}")
            else:
                others[where(block)] += 1
    shutil.rmtree(logs, ignore_errors=True)

    for block in errors + own:
        print(block, file=sys.stderr)
    if others:
        print(f"lsan-own-leaks: {sum(others.values())} leak(s) of third-party code ignored "
              "(no frame of Latchkey's own):", file=sys.stderr)
        for site, n in others.most_common(12):
            print(f"  {n:4} {site}", file=sys.stderr)
    if own:
        print(f"lsan-own-leaks: {len(own)} leak(s) with a frame in Latchkey's sources",
              file=sys.stderr)
    if errors:
        print(f"lsan-own-leaks: {len(errors)} sanitizer error report(s)", file=sys.stderr)
    if status != 0:
        return status
    return 1 if own or errors else 0


if __name__ == "__main__":
    sys.exit(main())
