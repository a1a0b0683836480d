#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""latchkey-cli as a person first meets it: --help, --version, mistakes."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ["LK_SOURCE_ROOT"], "tests"))
from tap import Tap  # noqa: E402

CLI = os.path.join(os.environ["LK_BUILD_ROOT"], "src", "cli", "latchkey-cli")


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=30)


t = Tap()

with t.case("--help lists the commands on stdout and exits 0"):
    r = run("--help")
    assert r.returncode == 0, r
    assert "Usage:" in r.stdout and "providers" in r.stdout, r.stdout
    assert r.stderr == "", r.stderr

with t.case("--version prints the version"):
    r = run("--version")
    assert r.returncode == 0
    assert r.stdout.startswith("latchkey-cli "), r.stdout
    assert r.stdout.strip().split()[-1][0].isdigit(), r.stdout

with t.case("an unknown command exits 2 with usage on stderr only"):
    r = run("frobnicate")
    assert r.returncode == 2, r.returncode
    assert r.stdout == "", r.stdout
    assert "unknown command “frobnicate”" in r.stderr, r.stderr
    assert "Usage:" in r.stderr

with t.case("no command at all exits 2 with usage"):
    r = run()
    assert r.returncode == 2 and "Usage:" in r.stderr

with t.case("an unknown option of a command exits 2 and names it"):
    r = run("providers", "--bogus")
    assert r.returncode == 2, r.returncode
    assert "--bogus" in r.stderr, r.stderr
    assert r.stdout == ""

with t.case("export --apply: mistakes exit 2 with what to do, before any account is read"):
    for args, says in ((["--client", "fetchmail", "--apply"], "cannot set fetchmail up"),
                       (["--client", "msmtp", "--json"], "go with --apply"),
                       (["--client", "thunderbird", "--profile", "x"], "go with --apply"),
                       (["--client", "msmtp", "--apply", "--force"], "leave out --force"),
                       (["--client", "msmtp", "--apply", "--output", "-"], "--output -")):
        r = run("export", "nobody@example.invalid", *args)
        assert r.returncode == 2, (args, r)
        assert says in r.stderr and r.stdout == "", (args, r.stderr)

with t.case("export --list-clients says which clients --apply can set up"):
    r = run("export", "--list-clients")
    assert r.returncode == 0, r
    rows = {line.split()[0]: line for line in r.stdout.splitlines()}
    for client in ("msmtp", "mbsync", "neomutt", "aerc", "evolution", "thunderbird"):
        assert "--apply sets it up" in rows[client], rows[client]
    for client in ("fetchmail", "getmail", "offlineimap", "autoconfig"):
        assert "--apply" not in rows[client], rows[client]

t.done()
