#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every translation compiles cleanly, and po/de.po translates every message
of the current sources, so that a string added without its German fails
here rather than reaching people in English. Prints TAP."""
import os
import re
import subprocess
import sys
import tempfile

top = os.environ["LK_SOURCE_ROOT"]
sys.path.insert(0, os.path.join(top, "tests"))
from tap import Tap  # noqa: E402

# Meson's "glib" preset (po/meson.build), so the template here is the one
# `ninja -C _build latchkey-pot` writes, without touching the source tree.
XGETTEXT_ARGS = [
    "--from-code=UTF-8", "--add-comments",
    "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
    "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3", "--keyword=g_dpgettext2:2c,3",
    "--flag=N_:1:pass-c-format", "--flag=C_:2:pass-c-format", "--flag=NC_:2:pass-c-format",
    "--flag=g_dngettext:2:pass-c-format", "--flag=g_strdup_printf:1:c-format",
    "--flag=g_string_printf:2:c-format", "--flag=g_string_append_printf:2:c-format",
    "--flag=g_error_new:3:c-format", "--flag=g_set_error:4:c-format",
    "--flag=g_markup_printf_escaped:1:c-format", "--flag=g_log:3:c-format",
    "--flag=g_print:1:c-format", "--flag=g_printerr:1:c-format", "--flag=g_printf:1:c-format",
    "--flag=g_fprintf:2:c-format", "--flag=g_sprintf:2:c-format", "--flag=g_snprintf:3:c-format",
]
UPDATE = ("run “ninja -C _build latchkey-update-po”, translate the new and fuzzy "
          "messages in po/{lang}.po (msgattrib --untranslated / --only-fuzzy lists them), "
          "and remove the fuzzy marks")


def statistics(path):
    """(translated, fuzzy, untranslated, stderr) as msgfmt counts them."""
    r = subprocess.run(["msgfmt", "--check", "--check-format", "--statistics",
                        "-o", os.devnull, path], capture_output=True, text=True)
    counts = {}
    for n, what in re.findall(r"(\d+) (translated|fuzzy|untranslated)", r.stderr):
        counts[what] = int(n)
    return r.returncode, counts, r.stderr.strip()


with open(os.path.join(top, "po", "LINGUAS"), encoding="utf-8") as f:
    linguas = [w for line in f if not line.startswith("#") for w in line.split()]

t = Tap()
for lang in linguas:
    with t.case(f"msgfmt --check --check-format accepts po/{lang}.po"):
        status, _, err = statistics(os.path.join(top, "po", f"{lang}.po"))
        assert status == 0, err

with tempfile.TemporaryDirectory() as tmp:
    pot = os.path.join(tmp, "latchkey.pot")
    r = subprocess.run(["xgettext", *XGETTEXT_ARGS, "--package-name=latchkey",
                        "-D", top, "-f", os.path.join(top, "po", "POTFILES.in"), "-o", pot],
                       capture_output=True, text=True)
    with t.case("xgettext extracts the template from po/POTFILES.in"):
        assert r.returncode == 0 and os.path.exists(pot), r.stderr
        with open(pot, encoding="utf-8") as f:
            n = len(re.findall(r"^msgid ", f.read(), re.M)) - 1
        assert n > 500, f"only {n} messages extracted"
        print(f"# {n} messages in the template")

    for lang in ["de"]:
        with t.case(f"po/{lang}.po translates every message of the current sources"):
            merged = os.path.join(tmp, f"{lang}.po")
            r = subprocess.run(["msgmerge", "--quiet", "-o", merged,
                                os.path.join(top, "po", f"{lang}.po"), pot],
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            status, counts, err = statistics(merged)
            assert status == 0, err
            missing = counts.get("untranslated", 0) + counts.get("fuzzy", 0)
            if missing:
                r = subprocess.run(["msgattrib", "--untranslated", "--no-wrap", merged],
                                   capture_output=True, text=True)
                new = re.findall(r'^msgid "(.+)"$', r.stdout, re.M)[:5]
                r = subprocess.run(["msgattrib", "--only-fuzzy", "--no-wrap", merged],
                                   capture_output=True, text=True)
                new += re.findall(r'^msgid "(.+)"$', r.stdout, re.M)[:5]
                raise AssertionError(f"{err}; for example: {new}; " + UPDATE.format(lang=lang))
t.done()
