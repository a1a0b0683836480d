#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
""""Start at Login" inside a Flatpak goes through the Background portal.

The real xdg-desktop-portal (with its GNOME and GTK backends and the real
permission store) runs on this session's bus, D-Bus-activated as on a desktop.
The account page's one call (lk-autostart-client) runs inside bubblewrap with
a /.flatpak-info, as Flatpak runs apps: the portal reads it through
/proc/PID/root and treats the caller as the Flatpak app it names. What a
person would notice is asserted: the autostart entry the desktop writes into
the host's ~/.config/autostart (the sandbox writes none), the bridge running
right away, and, with the permission set to "no" in the desktop's settings
(the permission store), the message that says where to allow it.
"""
import json
import os
import shutil
import signal
import subprocess
import time

import harness
from harness import Skip, Tap

APP_ID = "io.github.latchkey.Latchkey"
PORTAL = "/usr/libexec/xdg-desktop-portal"
CLIENT = os.path.join(harness.BUILD, "tests", "integration", "lk-autostart-client")
BRIDGE_DIR = os.path.join(harness.BUILD, "src", "bridge")
HOME = os.environ["HOME"]
HOST_ENTRY = os.path.join(os.environ["XDG_CONFIG_HOME"], "autostart", APP_ID + ".desktop")
# Flatpak gives an app its own configuration folder; so does this sandbox.
APP_CONFIG = os.path.join(HOME, ".var", "app", APP_ID, "config")
INFO = os.path.join(harness.SCRATCH, "flatpak-info")


def gdbus(*args):
    return harness.run(["gdbus", "call", "--session", *args], check=True).stdout


def set_permission(value):
    """What GNOME Settings → Apps → Latchkey → "Run in Background" stores."""
    gdbus("--dest", "org.freedesktop.impl.portal.PermissionStore",
          "--object-path", "/org/freedesktop/impl/portal/PermissionStore",
          "--method", "org.freedesktop.impl.portal.PermissionStore.SetPermission",
          "background", "true", "background", APP_ID, f"['{value}']")


def get_permission():
    out = gdbus("--dest", "org.freedesktop.impl.portal.PermissionStore",
                "--object-path", "/org/freedesktop/impl/portal/PermissionStore",
                "--method", "org.freedesktop.impl.portal.PermissionStore.Lookup",
                "background", "background")
    return out


def sandboxed(*args):
    """@args run as Flatpak would run Latchkey's: its own root with
    /.flatpak-info, the host's /usr read-only, the app's own config folder."""
    sandbox = ["bwrap", "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for link in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink("/" + link):
            sandbox += ["--symlink", os.readlink("/" + link), "/" + link]
    sandbox += ["--proc", "/proc", "--dev", "/dev",
                # The session bus's socket and this test's scratch are there.
                "--bind", "/tmp", "/tmp",
                "--bind", harness.SCRATCH, harness.SCRATCH,
                "--ro-bind", harness.SOURCE, harness.SOURCE,
                "--ro-bind", harness.BUILD, harness.BUILD,
                "--ro-bind", INFO, "/.flatpak-info",
                "--setenv", "XDG_CONFIG_HOME", APP_CONFIG,
                "--setenv", "PATH", BRIDGE_DIR + ":/usr/bin:/bin",
                "--", *args]
    # Its stderr to a file: the bridge it may start keeps that open, and
    # would hold a pipe open long after the call returned.
    log = os.path.join(harness.SCRATCH, "sandbox.log")
    with open(log, "w") as err:
        r = subprocess.run(sandbox, stdout=subprocess.PIPE, stderr=err, text=True, timeout=60)
    with open(log) as f:
        r.stderr = f.read()
    return r


def bridge_status():
    r = harness.cli("bridge", "status", "--json")
    status = json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else None
    return status if status and status.get("running") else None


def wait_for(what, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = what()
        if value:
            return value
        time.sleep(0.1)
    return what()


t = Tap()
bridge_pid = None
try:
    with t.case("the real portal runs and our code runs sandboxed"):
        for program in (PORTAL, "/usr/libexec/xdg-desktop-portal-gnome",
                        "/usr/libexec/xdg-desktop-portal-gtk", "/usr/libexec/xdg-permission-store"):
            assert os.access(program, os.X_OK), \
                f"{program} is missing: install the packages of build-aux/packages.txt"
        assert shutil.which("bwrap"), "bwrap is missing: install bubblewrap"
        with open(INFO, "w") as f:
            f.write(f"[Application]\nname={APP_ID}\nruntime=runtime/org.gnome.Platform/x86_64/51\n")
        probe = sandboxed("/bin/sh", "-c", "cat /.flatpak-info")
        if probe.returncode != 0:
            raise Skip(f"bubblewrap cannot make a sandbox here: {probe.stderr.strip()}")
        # The desktop the backends are for (their .portal files' UseIn);
        # set before the portal is activated, which inherits it.
        gdbus("--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus",
              "--method", "org.freedesktop.DBus.UpdateActivationEnvironment",
              "{'XDG_CURRENT_DESKTOP': 'GNOME'}")
        os.makedirs(os.path.join(APP_CONFIG, "latchkey"), exist_ok=True)
        with open(os.path.join(APP_CONFIG, "latchkey", "bridge.json"), "w") as f:
            json.dump({"listeners": [{"protocol": "imap", "address": "127.0.0.1", "port": 0,
                                      "security": "starttls"}]}, f)
        # A systemd user manager's socket: outside a Flatpak the switch
        # would run systemctl for it; inside one it must not.
        os.makedirs(os.path.join(os.environ["XDG_RUNTIME_DIR"], "systemd"), exist_ok=True)
        open(os.path.join(os.environ["XDG_RUNTIME_DIR"], "systemd", "private"), "w").close()
        assert bridge_status() is None, "a bridge is running already"

    with t.case("on: the desktop writes the entry, and the bridge runs now"):
        r = sandboxed(CLIENT, "on")
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "enabled", r.stdout
        with open(HOST_ENTRY) as f:
            entry = f.read()
        # flatpak run starts the bridge in a sandbox of its own at login.
        assert f"Exec=flatpak run --command=latchkey-bridge {APP_ID}\n" in entry, entry
        assert f"X-Flatpak={APP_ID}\n" in entry, entry
        # The sandbox wrote no entry of its own (it would be its own folder,
        # which no desktop reads), and asked for the permission it now has.
        assert not os.path.exists(os.path.join(APP_CONFIG, "autostart")), \
            os.listdir(os.path.join(APP_CONFIG, "autostart"))
        assert "'yes'" in get_permission(), get_permission()
        status = wait_for(bridge_status)
        assert status, "the bridge did not start"
        bridge_pid = status["pid"]
        assert [l["protocol"] for l in status["listeners"]] == ["imap"], status

    with t.case("on again while it runs: no second bridge"):
        r = sandboxed(CLIENT, "on")
        assert r.returncode == 0, r.stderr
        time.sleep(1)
        status = bridge_status()
        assert status and status["pid"] == bridge_pid, status

    with t.case("off: the desktop removes the entry"):
        r = sandboxed(CLIENT, "off")
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "disabled", r.stdout
        assert not os.path.exists(HOST_ENTRY)

    with t.case("refused in the desktop's settings: the message says where to allow it"):
        set_permission("no")
        r = sandboxed(CLIENT, "on")
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        message = harness.without_debug(r.stderr)
        assert "Run in Background" in message and "Settings" in message, message
        assert not os.path.exists(HOST_ENTRY)
        # The switch shows what is: off.
        assert not os.path.exists(os.path.join(APP_CONFIG, "latchkey", "bridge-autostart"))
        # Turning it off is still possible, and not an error.
        r = sandboxed(CLIENT, "off")
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "disabled", r.stdout

    with t.case("allowed again: on works"):
        set_permission("yes")
        r = sandboxed(CLIENT, "on")
        assert r.returncode == 0, r.stderr
        assert os.path.exists(HOST_ENTRY)
finally:
    if bridge_pid is not None:
        try:
            os.kill(bridge_pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        wait_for(lambda: bridge_status() is None, timeout=10)
t.done()
