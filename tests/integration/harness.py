# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared pieces of the Python-driven integration tests.

Each integration test runs inside tests/lk-test-session.sh, so it already has
its own HOME, XDG directories, session bus and unlocked gnome-keyring. This
module starts the real peers on loopback (the test identity provider,
Dovecot, headless Chromium as the desktop's browser), runs Latchkey's
programs, and scans for leaked secrets. Nothing here reaches beyond loopback.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SOURCE = os.environ["LK_SOURCE_ROOT"]
BUILD = os.environ["LK_BUILD_ROOT"]
CLI = os.path.join(BUILD, "src", "cli", "latchkey-cli")
CLI_FULL = os.path.join(BUILD, "src", "cli", "latchkey-cli-full")
GUI = os.path.join(BUILD, "src", "ui", "latchkey")
IDP = os.path.join(BUILD, "tests", "idp", "lk-test-idp")
SCRATCH = os.environ.get("LK_TEST_SCRATCH") or tempfile.mkdtemp(prefix="lk-it-")

sys.path.insert(0, os.path.join(SOURCE, "tests"))
from tap import Skip, Tap  # noqa: E402,F401


def run(args, timeout=60, input=None, env=None, check=False):
    """Runs a program, returns CompletedProcess with text output."""
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, input=input,
                       env=env or os.environ.copy())
    if check and r.returncode != 0:
        raise AssertionError(f"{args[0]} exited {r.returncode}: {r.stderr}")
    return r


def without_debug(stderr):
    """@stderr without GLib's debug and info lines (G_MESSAGES_DEBUG, as
    build-aux/test.sh --debug-messages sets): what a person would see."""
    return "".join(l for l in stderr.splitlines(keepends=True)
                   if "-DEBUG: " not in l and "-INFO: " not in l)


def cli(*args, **kw):
    return run([CLI, *args], **kw)


class Process:
    """A child process stopped (and reaped) on close()."""

    def __init__(self, args, env=None, log=None):
        self.log_path = log or os.path.join(SCRATCH, os.path.basename(args[0]) + ".log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     env=env or os.environ.copy(), start_new_session=True)

    def readline(self, timeout=10):
        import select
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise AssertionError(f"{self.proc.args[0]}: no output within {timeout} s")
        return self.proc.stdout.readline()

    def close(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def install_headless_browser():
    """Makes headless Chromium the desktop's default browser for http(s).

    g_app_info_launch_default_for_uri() (and so gtk_show_uri and `gio open`)
    then runs tests/integration/headless-browser.sh, which follows the
    authorization URL and its redirects to Latchkey's loopback receiver.
    Returns the path of the browser's log.
    """
    data = os.environ["XDG_DATA_HOME"]
    config = os.environ["XDG_CONFIG_HOME"]
    os.makedirs(os.path.join(data, "applications"), exist_ok=True)
    os.makedirs(config, exist_ok=True)
    script = os.path.join(SOURCE, "tests", "integration", "headless-browser.sh")
    with open(os.path.join(data, "applications", "headless-browser.desktop"), "w") as f:
        f.write("[Desktop Entry]\nType=Application\nName=Headless Browser\n"
                f"Exec={script} %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\n"
                "NoDisplay=true\n")
    with open(os.path.join(config, "mimeapps.list"), "w") as f:
        f.write("[Default Applications]\nx-scheme-handler/http=headless-browser.desktop\n"
                "x-scheme-handler/https=headless-browser.desktop\n")
    return os.path.join(SCRATCH, "browser.log")


def browse(url, timeout=30):
    """Follows url in headless Chromium as a person's browser would."""
    script = os.path.join(SOURCE, "tests", "integration", "headless-browser.sh")
    return run([script, url], timeout=timeout)


MARKERS = ("lkrt_", "lkcode_", "lkdev_", "lksecret_")


def jwt_marker():
    import base64
    header = b'{"alg":"HS256","typ":"JWT","lkt":"LKTEST"}'
    return base64.urlsafe_b64encode(header).rstrip(b"=").decode() + "."


def scan_for_secrets(roots, extra=(), skip=()):
    """Returns [(path, marker)] for every file under roots holding a test
    secret: the marker prefixes every test token carries, and the exact
    strings in extra (tokens a test saw)."""
    needles = list(MARKERS) + [jwt_marker()] + [e for e in extra if e]
    hits = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            if any(dirpath.startswith(s) for s in skip):
                continue
            for name in filenames:
                path = os.path.join(dirpath, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                try:
                    with open(path, "rb") as f:
                        data = f.read(32 * 1024 * 1024)
                except OSError:
                    continue
                for n in needles:
                    if n.encode() in data:
                        hits.append((path, n[:12] + "…"))
    return hits


class Idp:
    """The test identity provider (tests/idp/lk-test-idp) as a process."""

    def __init__(self, *args):
        self.process = Process([IDP, *args], log=os.path.join(SCRATCH, "idp.log"))
        line = self.process.readline()
        if not line.startswith("READY "):
            raise AssertionError(f"lk-test-idp did not start: {line!r}")
        self.base = line.split()[1]

    def control(self, what, body=None):
        import urllib.request
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + "/_control/" + what, data=data,
                                     method="POST" if data is not None else "GET")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def stats(self):
        return self.control("stats")

    def count(self, what):
        return self.stats()["counts"].get(what, 0)

    def close(self):
        self.process.close()


def write_profile(idp, servers=None, domains=("example.com",), ca_file=None, name="testidp",
                  sasl=("XOAUTH2",), extra=None, folder=None):
    """A provider profile that signs in at the test IdP, as Microsoft 365 does;
    in the person's profiles folder unless folder names another."""
    base = idp.base
    profile = {
        "id": name, "name": "Test IdP", "kind": "microsoft",
        "authorization_endpoint": base + "/{tenant}/oauth2/v2.0/authorize",
        "token_endpoint": base + "/{tenant}/oauth2/v2.0/token",
        "device_authorization_endpoint": base + "/{tenant}/oauth2/v2.0/devicecode",
        "issuer": base + "/{tenant}/v2.0", "tenant": "organizations",
        "client_id": "lk-test-client", "redirect_host": "localhost",
        "scopes": {"imap": ["https://outlook.office.com/IMAP.AccessAsUser.All"],
                   "pop": ["https://outlook.office.com/POP.AccessAsUser.All"],
                   "smtp": ["https://outlook.office.com/SMTP.Send"],
                   "extra": ["offline_access"]},
        "app_only_scope": "https://outlook.office365.com/.default",
        "servers": servers or {"imap": {"host": "localhost", "port": 993, "security": "tls"},
                               "smtp": {"host": "localhost", "port": 587,
                                        "security": "starttls"}},
        "sasl": list(sasl), "domains": list(domains), "ca_file": ca_file,
    }
    profile.update(extra or {})
    folder = folder or os.path.join(os.environ["XDG_CONFIG_HOME"], "latchkey", "providers")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name + ".json")
    with open(path, "w") as f:
        json.dump(profile, f)
    return path


def add_with_browser(email, *extra, timeout=60):
    """`latchkey-cli add --no-browser`, with headless Chromium following the
    printed link to the loopback receiver, as a person would."""
    p = subprocess.Popen([CLI, "add", email, "--no-browser", *extra], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    url = p.stdout.readline().strip()
    assert url.startswith("http"), (url, p.stderr.read() if p.poll() is not None else "")
    browse(url)
    out, err = p.communicate(timeout=timeout)
    return subprocess.CompletedProcess(p.args, p.returncode, url + "\n" + out, err)


def secret_tool_lookup(email):
    # secret-tool is a GLib program: with G_MESSAGES_DEBUG set it would
    # print its debug messages on stdout, around the secret.
    env = {k: v for k, v in os.environ.items() if k != "G_MESSAGES_DEBUG"}
    r = run(["secret-tool", "lookup", "xdg:schema", "io.github.latchkey.Token",
             "account", email, "version", "1"], env=env)
    return r.stdout if r.returncode == 0 else None


def keyring_daemons():
    """gnome-keyring-daemon processes on this test's session bus."""
    bus = os.environ["DBUS_SESSION_BUS_ADDRESS"].encode()
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                if not f.read().startswith("gnome-keyring"):
                    continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                if b"DBUS_SESSION_BUS_ADDRESS=" + bus + b"\0" not in f.read():
                    continue
        except OSError:
            continue
        pids.append(int(pid))
    return pids


def stop_keyring():
    for pid in keyring_daemons():
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while keyring_daemons():
        assert time.monotonic() < deadline, "gnome-keyring-daemon did not stop"
        time.sleep(0.05)


def start_keyring():
    """As tests/lk-test-session.sh does: same password, same data folder."""
    subprocess.run(["gnome-keyring-daemon", "--unlock", "--components=secrets"],
                   input=b"lk-test-keyring", stdout=subprocess.DEVNULL, check=True, timeout=30)


def lock_keyring():
    """Locks the login collection as the desktop does on screen lock.
    (`secret-tool lock` hangs in libsecret 0.20.5: a bad object path.)"""
    run(["gdbus", "call", "--session", "--dest", "org.freedesktop.secrets",
         "--object-path", "/org/freedesktop/secrets",
         "--method", "org.freedesktop.Secret.Service.Lock",
         "['/org/freedesktop/secrets/collection/login']"], check=True, timeout=30)


def unlock_keyring():
    """A fresh daemon unlocked with the session's password: unlocking over
    D-Bus would need a prompt."""
    stop_keyring()
    start_keyring()


def secret_tool_search(email):
    """What `secret-tool search account EMAIL` lists: every item with that
    account attribute, of any schema or version, locked or not."""
    env = {k: v for k, v in os.environ.items() if k != "G_MESSAGES_DEBUG"}
    r = run(["secret-tool", "search", "--all", "account", email], env=env)
    return r.stdout + "".join(l for l in r.stderr.splitlines(keepends=True) if "locked" in l)


def maildir_subjects(folder):
    """The Subject of every message in a Maildir folder (new and cur)."""
    subjects = []
    for sub in ("new", "cur"):
        d = os.path.join(folder, sub)
        for name in os.listdir(d) if os.path.isdir(d) else ():
            with open(os.path.join(d, name), "rb") as f:
                m = re.search(rb"^Subject: (.*)$", f.read(), re.M)
                subjects.append(m.group(1).decode().strip() if m else "")
    return subjects


def run_on_terminal(args, env, until, keys=(), timeout=60, log=None):
    """Runs a terminal program (NeoMutt, aerc) on a 200x40 terminal of its
    own, as a person would, until every text in until has shown (after
    each, its entry in keys, if any, is typed). Then it is stopped.
    Returns (all shown, the screen's text without escape sequences)."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    env = dict(env, TERM="xterm", COLUMNS="200", LINES="40")
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(args[0], args, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
    screen = b""
    seen = 0
    start = 0   # each text must show after the one before it
    try:
        deadline = time.monotonic() + timeout
        while seen < len(until) and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    screen += os.read(fd, 65536)
                except OSError:
                    break
            if until[seen].encode() in screen[start:]:
                if seen < len(keys) and keys[seen]:
                    time.sleep(0.3)
                    os.write(fd, keys[seen].encode())
                seen += 1
                start = len(screen)
    finally:
        os.kill(pid, signal.SIGTERM)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]", b" ", screen)
    if log:
        with open(log, "ab") as f:
            f.write(text + b"\n")
    return seen == len(until), text.decode(errors="replace")


class Dovecot:
    """A private Dovecot (IMAP, POP3, submission) with smtp-sink as its relay,
    validating the test IdP's JWTs (tests/peers/dovecot.sh)."""

    def __init__(self, audience="https://outlook.office.com", max_mail_size="0"):
        """audience: the aud Dovecot insists on; app-only (client
        credentials) tokens carry https://outlook.office365.com.
        max_mail_size: submission's limit ("10M"), offered as SIZE; "0" none."""
        import configparser
        self.dir = os.path.join(SCRATCH, "dovecot")
        script = os.path.join(SOURCE, "tests", "peers", "dovecot.sh")
        env = dict(os.environ, LK_DOVECOT_AUDIENCE=audience, LK_DOVECOT_MAX_MAIL_SIZE=max_mail_size)
        # The daemons keep inherited pipes open: give them a log file instead.
        with open(os.path.join(SCRATCH, "dovecot-start.log"), "w") as log:
            subprocess.run([script, "start", self.dir], check=True, timeout=60, env=env,
                           stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        ini = configparser.ConfigParser()
        ini.read(os.path.join(self.dir, "peers.ini"))
        self.conf = dict(ini["dovecot"])
        self.ca_file = self.conf["ca_file"]
        self.key_file = self.conf["key_file"]
        self.issuer = self.conf["issuer"]
        self.sink_dir = self.conf["sink_dir"]

    def port(self, name):
        return int(self.conf[name])

    def servers(self, host="localhost"):
        return {"imap": {"host": host, "port": self.port("imaps"), "security": "tls"},
                "pop": {"host": host, "port": self.port("pop3s"), "security": "tls"},
                "smtp": {"host": host, "port": self.port("submission"), "security": "starttls"}}

    def idp_args(self):
        """Arguments for lk-test-idp so that Dovecot accepts its tokens."""
        return ["--jwt-key", self.key_file, "--issuer", self.issuer]

    def delivered(self):
        """Messages the relay received, as bytes."""
        out = []
        for name in sorted(os.listdir(self.sink_dir)):
            with open(os.path.join(self.sink_dir, name), "rb") as f:
                out.append(f.read())
        return out

    def deny_smtp(self, user):
        """Submission refuses user's sign-in from now on; IMAP and POP still
        accept it (an SMTP AUTH switched off for one mailbox)."""
        with open(self.conf["submission_deny"], "a") as f:
            f.write(f"{user}:\n")
        # Dovecot's auth notices a changed passwd-file only in a later
        # second than it last read it: a sign-in in the same second as this
        # write was let through (integration-gui-wizard, once the machine
        # was quick enough to sign in right after). Let that second pass.
        time.sleep(1.1)

    def seed(self, user, subject="Hello from the tests"):
        """Puts a message into user's INBOX (doveadm save)."""
        conf = os.path.join(self.dir, "dovecot.conf")
        run(["doveadm", "-c", conf, "save", "-u", user],
            input=f"From: seed@example.com\nTo: {user}\nSubject: {subject}\n\nbody\n",
            check=True)

    def close(self):
        script = os.path.join(SOURCE, "tests", "peers", "dovecot.sh")
        with open(os.path.join(SCRATCH, "dovecot-stop.log"), "w") as log:
            subprocess.run([script, "stop", self.dir], timeout=60, stdout=log, stderr=log,
                           stdin=subprocess.DEVNULL)


NOBODY = 65534


class SystemBox:
    """What systemd would give latchkey-bridge.service on a box without a
    desktop, inside the test's scratch folder: the state, runtime and
    configuration folders (their paths in $STATE_DIRECTORY,
    $RUNTIME_DIRECTORY, $CONFIGURATION_DIRECTORY, as the unit gets them),
    a host key of its own for systemd-creds ($SYSTEMD_CREDENTIAL_SECRET, so
    that the machine's /var/lib/systemd is never touched) and the sealed
    store key sealed with it (`systemd-creds encrypt --with-key=host`).
    The state folder belongs to `owner` (nobody: the unit's User=), so root
    running `latchkey-cli --system` has to become that user."""

    def __init__(self, name="system", owner=NOBODY):
        self.root = os.path.join(SCRATCH, name)
        os.makedirs(self.root)
        os.chmod(self.root, 0o711)
        self.owner = owner
        self.state = os.path.join(self.root, "state")
        os.mkdir(self.state, 0o700)
        os.chown(self.state, owner, owner)
        self.runtime = os.path.join(self.root, "run")
        self.etc = os.path.join(self.root, "etc")
        self.providers = os.path.join(self.etc, "providers")
        os.makedirs(self.providers)
        for d in (self.etc, self.providers):
            os.chmod(d, 0o755)
        self.host_secret = os.path.join(self.root, "credential.secret")
        self.credential = os.path.join(self.root, "credstore", "latchkey-store-key")
        os.makedirs(os.path.dirname(self.credential))

    def env(self, credentials=None, **extra):
        e = dict(os.environ, STATE_DIRECTORY=self.state, RUNTIME_DIRECTORY=self.runtime,
                 CONFIGURATION_DIRECTORY=self.etc, SYSTEMD_CREDENTIAL_SECRET=self.host_secret,
                 LATCHKEY_STORE_CREDENTIAL=self.credential)
        e.pop("CREDENTIALS_DIRECTORY", None)
        if credentials:
            e["CREDENTIALS_DIRECTORY"] = credentials
        e.update(extra)
        return e

    def seal_key(self, key, path=None):
        """Seals key (bytes) as IT would: systemd-creds encrypt
        --with-key=host --name=latchkey-store-key - PATH."""
        path = path or self.credential
        r = subprocess.run(["systemd-creds", "encrypt", "--with-key=host",
                            "--name=latchkey-store-key", "-", path],
                           input=key, capture_output=True, timeout=30, env=self.env())
        assert r.returncode == 0, r.stderr.decode()
        return path

    def unseal_for_service(self, name="credentials"):
        """What LoadCredentialEncrypted= does before the service starts: the
        credential decrypted into a folder of its own, readable by the
        service's user alone. Returns the folder ($CREDENTIALS_DIRECTORY)."""
        folder = os.path.join(self.root, name)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "latchkey-store-key")
        r = subprocess.run(["systemd-creds", "decrypt", "--name=latchkey-store-key",
                            self.credential, path], capture_output=True, timeout=30,
                           env=self.env())
        assert r.returncode == 0, r.stderr.decode()
        os.chmod(path, 0o400)
        os.chown(path, self.owner, self.owner)
        os.chmod(folder, 0o500)
        os.chown(folder, self.owner, self.owner)
        return folder

    def cli(self, *args, credentials=None, user=None, env=None, **kw):
        """latchkey-cli --system ARGS, as root (or as user, a uid, through
        setpriv, as the unit runs the daemon)."""
        argv = [CLI, "--system", *args]
        if user is not None:
            argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups",
                    for_anyone(CLI, "latchkey-cli-full"), "--system", *args]
        return run(argv, env=env or self.env(credentials), **kw)

    def sealed_store(self):
        return os.path.join(self.state, "tokens.sealed")


def for_anyone(program, *siblings):
    """program as another user reaches it: copied, with the siblings it
    runs (names in its folder), into a folder of the scratch one (711). The
    build tree may sit in a folder only root may enter (a clone in `mktemp
    -d`): there nobody could not run it, nor would the CLI's launcher see
    latchkey-cli-full beside it. Returns the copy's path."""
    folder = os.path.join(SCRATCH, "for-anyone")
    os.makedirs(folder, exist_ok=True)
    os.chmod(folder, 0o755)
    for name in (os.path.basename(program), *siblings):
        copy = os.path.join(folder, name)
        if not os.path.exists(copy):
            shutil.copy2(os.path.join(os.path.dirname(program), name), copy)
            os.chmod(copy, 0o755)
    return os.path.join(folder, os.path.basename(program))


class Bridge:
    """`latchkey-cli bridge run` on free loopback ports: IMAP, POP3 and SMTP
    with STARTTLS and with implicit TLS. ports maps "imap", "pop", "smtp",
    "imaps", "pop3s", "smtps" to the port bound; cert_file is the bridge's
    certificate, which clients trust."""

    NAMES = {("imap", "starttls"): "imap", ("pop", "starttls"): "pop",
             ("smtp", "starttls"): "smtp", ("imap", "tls"): "imaps",
             ("pop", "tls"): "pop3s", ("smtp", "tls"): "smtps"}

    def __init__(self, *extra, env=None, program=None, listeners=True, stderr=None):
        """listeners=False: only those of bridge.json (or --config).
        stderr: where the bridge logs instead of bridge.log (a journal
        stream)."""
        import queue
        import threading
        args = [*(program or [CLI, "bridge", "run"])]
        if listeners and not any(a.startswith("--") and a != "--config" for a in extra):
            for option in ("imap", "pop", "smtp", "imaps", "pop3s", "smtps"):
                args += [f"--{option}", "127.0.0.1:0"]
        args += list(extra)
        self.log_path = os.path.join(SCRATCH, "bridge.log")
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=self.log if stderr is None else stderr, text=True,
                                     env=env or os.environ.copy(), start_new_session=True)
        self.lines = queue.Queue()
        self.stdout_after_ready = []

        def reader():
            for line in self.proc.stdout:
                self.lines.put(line)
            self.lines.put(None)

        threading.Thread(target=reader, daemon=True).start()
        self.ports = {}
        self.listeners = []
        expected = sum(1 for a in args if a in ("--imap", "--pop", "--smtp", "--imaps", "--pop3s",
                                                "--smtps"))
        while len(self.listeners) < max(expected, 1):
            try:
                line = self.lines.get(timeout=20)
            except queue.Empty:
                raise AssertionError("the bridge printed no listener within 20 s: "
                                     + open(self.log_path).read()[-2000:])
            if line is None:
                raise AssertionError(f"the bridge exited ({self.proc.wait()}): "
                                     + open(self.log_path).read()[-2000:])
            self.listeners.append(line.rstrip("\n"))
            protocol, where, security = line.split()
            self.ports[self.NAMES[(protocol, security)]] = int(where.rsplit(":", 1)[1])
            if expected == 0:
                # From bridge.json: however many it has; they come at once.
                import time
                time.sleep(0.3)
                while not self.lines.empty():
                    more = self.lines.get()
                    if more is None:
                        break
                    self.listeners.append(more.rstrip("\n"))
                    p, w, s = more.split()
                    self.ports[self.NAMES[(p, s)]] = int(w.rsplit(":", 1)[1])
        self.cert_file = os.path.join(os.environ["XDG_DATA_HOME"], "latchkey", "bridge", "cert.pem")

    def port(self, name):
        return self.ports[name]

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def signal(self, signum):
        os.kill(self.proc.pid, signum)

    def stop(self, timeout=20):
        """SIGTERM; returns the exit status."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            while not self.lines.empty():
                line = self.lines.get()
                if line is not None:
                    self.stdout_after_ready.append(line)

    def close(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def enable_bridge(email, *extra):
    """`latchkey-cli bridge enable EMAIL --json`: returns its JSON."""
    r = cli("bridge", "enable", email, "--json", *extra)
    if r.returncode != 0:
        raise AssertionError(f"bridge enable exited {r.returncode}: {r.stderr}")
    return json.loads(r.stdout)


class PrinterNet:
    """A "printer" on another host, inside this machine: a network
    namespace of the test's own joined to this one by a veth pair. This side
    gets SUBNET.1 (the office bridge listens there); the namespace gets
    SUBNET.2 and the extra host numbers asked for (other devices, or a
    stranger to the allow-list). The subnet is 10.77.N.0/24 with N free on
    this machine, so that runs at the same time do not collide. Removed on
    close() — also after a failure, SIGTERM (meson's timeout) or any exit —
    and a machine where namespaces cannot work fails loudly, never skips."""

    def __init__(self, hosts=(2,)):
        import atexit
        if os.geteuid() != 0:
            raise AssertionError("network namespaces need root: run the tests as root (CI does)")
        if shutil.which("ip") is None:
            raise AssertionError("ip(8) is missing: install iproute2")
        used = run(["ip", "-o", "-4", "addr", "show"]).stdout
        for n in [os.getpid() % 200 + 20, *range(20, 220)]:
            if f" 10.77.{n}." not in used:
                break
        self.subnet = f"10.77.{n}"
        tag = f"{os.getpid() % 100000}"
        self.ns = f"lk-printer-{tag}"
        self.host_if = f"lkh{tag}"
        self.peer_if = f"lkp{tag}"
        self.closed = False
        atexit.register(self.close)
        previous = signal.getsignal(signal.SIGTERM)

        def on_term(signum, frame):
            self.close()
            if callable(previous):
                previous(signum, frame)
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, on_term)
        try:
            self._ip("netns", "add", self.ns)
            self._ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.peer_if)
            self._ip("link", "set", self.peer_if, "netns", self.ns)
            self._ip("addr", "add", f"{self.subnet}.1/24", "dev", self.host_if)
            self._ip("link", "set", self.host_if, "up")
            for h in hosts:
                self._ip("-n", self.ns, "addr", "add", f"{self.subnet}.{h}/24", "dev", self.peer_if)
            self._ip("-n", self.ns, "link", "set", self.peer_if, "up")
            self._ip("-n", self.ns, "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise
        self.bridge_address = f"{self.subnet}.1"
        # Until the link is up both ways, connections would fail.
        deadline = time.monotonic() + 10
        probe = "import socket,sys; s=socket.socket(); s.settimeout(1);" \
                f"r=s.connect_ex(('{self.bridge_address}', 9)); sys.exit(0 if r in (0, 111) else 1)"
        while self.exec([sys.executable, "-c", probe]).returncode != 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.ns} cannot reach {self.bridge_address}")
            time.sleep(0.1)

    def _ip(self, *args):
        r = run(["ip", *args], timeout=30)
        if r.returncode != 0:
            raise AssertionError(f"ip {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}"
                                 " — network namespaces must work for this test")

    def host(self, number):
        return f"{self.subnet}.{number}"

    def exec(self, args, **kw):
        """Runs args inside the printer's namespace."""
        return run(["ip", "netns", "exec", self.ns, *args], **kw)

    def close(self):
        if self.closed:
            return
        self.closed = True
        # Deleting one end of the veth pair deletes both.
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True, timeout=30)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True, timeout=30)
