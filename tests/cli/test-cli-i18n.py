#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""latchkey-cli speaks the language LANGUAGE asks for.

The catalogues come from the build tree: meson builds
po/de/LC_MESSAGES/latchkey.mo there, the layout of LOCALEDIR, and
LATCHKEY_LOCALEDIR points the programs at it (installing into a DESTDIR
would not help: the binaries still look in the configured prefix).
glibc ignores LANGUAGE under the C locale but honours it under C.UTF-8,
which every Debian system has, so no German locale must be generated."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ["LK_SOURCE_ROOT"], "tests"))
from tap import Tap  # noqa: E402

build = os.environ["LK_BUILD_ROOT"]
CLI = os.path.join(build, "src", "cli", "latchkey-cli")
GERMAN = {"LANGUAGE": "de", "LC_ALL": "C.UTF-8", "LATCHKEY_LOCALEDIR": os.path.join(build, "po")}
ENGLISH = {"LANGUAGE": "", "LC_ALL": "C.UTF-8", "LATCHKEY_LOCALEDIR": os.path.join(build, "po")}


def run(lang, *args):
    env = dict(os.environ)
    env.pop("LANG", None)
    env.update(lang)
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=30, env=env)


t = Tap()

with t.case("the German catalogue is built where LATCHKEY_LOCALEDIR points"):
    mo = os.path.join(build, "po", "de", "LC_MESSAGES", "latchkey.mo")
    assert os.path.exists(mo), mo

with t.case("--help is German with LANGUAGE=de, and still exits 0"):
    r = run(GERMAN, "--help")
    assert r.returncode == 0, r
    assert r.stdout.startswith("Aufruf:\n  latchkey-cli BEFEHL [OPTION …]"), r.stdout
    assert "Meldet E-Mail-Konten mit OAuth2 an" in r.stdout, r.stdout
    assert "Die Anbieterprofile auflisten, die Latchkey kennt" in r.stdout, r.stdout
    # Command and option names stay as they are.
    assert "  providers " in r.stdout and "--version" in r.stdout, r.stdout

with t.case("without LANGUAGE the same build speaks English"):
    r = run(ENGLISH, "--help")
    assert r.returncode == 0 and r.stdout.startswith("Usage:"), r.stdout

with t.case("a command's GOption help is German too"):
    r = run(GERMAN, "export", "--help")
    assert r.returncode == 0, r
    assert "Konfiguration für ein E-Mail-Programm schreiben" in r.stdout, r.stdout
    assert "Eine vorhandene Datei ersetzen" in r.stdout, r.stdout

with t.case("an unknown account is explained in German, with the same exit status"):
    en = run(ENGLISH, "export", "nobody@example.invalid", "--client", "msmtp")
    de = run(GERMAN, "export", "nobody@example.invalid", "--client", "msmtp")
    assert en.returncode != 0 and de.returncode == en.returncode, (en.returncode, de.returncode)
    assert "There is no account nobody@example.invalid" in en.stderr, en.stderr
    assert "Es gibt kein Konto nobody@example.invalid" in de.stderr, de.stderr
    assert "„latchkey-cli add nobody@example.invalid“" in de.stderr, de.stderr
    assert de.stdout == "", de.stdout

with t.case("a usage error is German and still exits 2"):
    r = run(GERMAN, "frobnicate")
    assert r.returncode == 2, r.returncode
    assert "Unbekannter Befehl „frobnicate“" in r.stderr, r.stderr

t.done()
