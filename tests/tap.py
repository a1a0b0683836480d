# SPDX-License-Identifier: GPL-3.0-or-later
"""A very small TAP producer for the Python-driven tests.

    t = Tap()
    with t.case("token prints the access token"):
        ...assertions...
    t.done()

A case fails on any exception and prints it as a TAP diagnostic; done()
prints the plan and exits non-zero when a case failed.
"""
import contextlib
import sys
import traceback


class Skip(Exception):
    pass


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0
        print("TAP version 13", flush=True)

    @contextlib.contextmanager
    def case(self, name):
        self.n += 1
        try:
            yield
        except Skip as e:
            print(f"ok {self.n} {name} # SKIP {e}", flush=True)
        except Exception:  # noqa: BLE001 - a test reports every failure
            self.failed += 1
            print(f"not ok {self.n} {name}", flush=True)
            for line in traceback.format_exc().splitlines():
                print(f"# {line}", flush=True)
        else:
            print(f"ok {self.n} {name}", flush=True)

    def done(self):
        print(f"1..{self.n}", flush=True)
        sys.exit(1 if self.failed else 0)
