#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A private Dovecot (IMAP, POP3, submission) with the oauth2 passdb, and
# postfix's smtp-sink as its relay, on free loopback ports
# (doc/testing.md §4). Reusable by any test or by hand:
#   dovecot.sh start DIR   lays out DIR, starts both, writes DIR/peers.ini
#   dovecot.sh stop DIR    stops both; no process is left behind
# DIR/peers.ini is a key file ([dovecot] group) with the ports, the CA file,
# the HS256 key file (raw secret, for lk_test_jwt_mint), the issuer, the
# audience Dovecot checks and the sink folder. Stop takes about 2–3 s
# (Dovecot's shutdown), so start one per test program, not per case.
set -eu
cmd=${1:?usage: dovecot.sh start|stop DIR}
dir=$(realpath -m "${2:?usage: dovecot.sh start|stop DIR}")
here=$(cd "$(dirname "$0")" && pwd)

stop () {
  if [ -f "$dir/run/master.pid" ]; then
    pid=$(cat "$dir/run/master.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [ -f "$dir/sink.pid" ]; then
    pid=$(cat "$dir/sink.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/sink.pid"
  fi
}

case $cmd in
  stop) stop; exit 0 ;;
  start) ;;
  *) echo "usage: dovecot.sh start|stop DIR" >&2; exit 2 ;;
esac

umask 022
mkdir -p "$dir"
cd "$dir"
chmod 755 "$dir"
"$here/../certs/make-test-ca.sh" "$dir/certs" >/dev/null
chmod 644 certs/*.pem

# Free ports: bind to port 0 and keep the numbers (a tiny race, as usual).
read -r imap imaps pop3 pop3s submission submissions sink < <(/usr/bin/python3 - <<'PY'
import socket
socks = []
for _ in range(7):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(*[s.getsockname()[1] for s in socks])
PY
)

# The HS256 key: raw secret for the minting side, base64 in Dovecot's dict.
/usr/bin/python3 -c 'import os;open("hs256.secret","wb").write(os.urandom(32))'
mkdir -p keys/default/HS256
base64 -w0 hs256.secret > keys/default/HS256/default
chmod 644 hs256.secret keys/default/HS256/default
mkdir -p mail sink run state
chown nobody:nogroup mail sink 2>/dev/null || chmod 777 mail sink

issuer=https://issuer.test
sessions=${LK_DOVECOT_SESSIONS:-200}
if [ "$sessions" -gt 200 ]; then imap_clients=100; else imap_clients=1; fi
# The aud claim Dovecot insists on; the integration tests use what the test
# identity provider puts in Outlook tokens.
audience=${LK_DOVECOT_AUDIENCE:-latchkey-test}
# Submission's message size limit (submission_max_mail_size: "10M", bytes
# without a unit), which its EHLO then offers as SIZE (RFC 1870); 0 (the
# default, Dovecot's own) is none.
max_mail_size=${LK_DOVECOT_MAX_MAIL_SIZE:-0}
case "$max_mail_size" in
  ''|*[!0-9kKmMgG]*|[!0-9]*) echo "LK_DOVECOT_MAX_MAIL_SIZE: a size like 10M, not $max_mail_size" >&2; exit 2 ;;
esac
cat > oauth2.conf.ext <<CONF
introspection_mode = local
local_validation_key_dict = fs:posix:prefix=$dir/keys/
username_attribute = email
issuers = $issuer
client_id = $audience
CONF

: > submission-deny
chmod 644 submission-deny

cat > dovecot.conf <<CONF
base_dir = $dir/run
state_dir = $dir/state
instance_name = lk-peer-$$
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
protocols = imap pop3 submission
listen = 127.0.0.1, 127.0.0.2
hostname = mail.test
ssl = required
ssl_cert = <$dir/certs/server.pem
ssl_key = <$dir/certs/server-key.pem
ssl_dh = </usr/share/dovecot/dh.pem
ssl_min_protocol = TLSv1.2
auth_mechanisms = xoauth2 oauthbearer
auth_verbose = yes
auth_failure_delay = 0
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $dir/oauth2.conf.ext
}
# Submission refuses the users listed in submission-deny (empty at start),
# as Exchange does for a mailbox whose SMTP AUTH an administrator switched
# off while IMAP and POP keep working. Dovecot reads the file again when it
# changes.
protocol submission {
  passdb {
    driver = passwd-file
    args = $dir/submission-deny
    deny = yes
    mechanisms = xoauth2 oauthbearer
  }
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$dir/mail/%u allow_all_users=yes
}
mail_location = maildir:~/Maildir
service imap-login {
  service_count = 0
  inet_listener imap {
    port = $imap
  }
  inet_listener imaps {
    port = $imaps
    ssl = yes
  }
}
service pop3-login {
  service_count = 0
  inet_listener pop3 {
    port = $pop3
  }
  inet_listener pop3s {
    port = $pop3s
    ssl = yes
  }
}
service submission-login {
  service_count = 0
  inet_listener submission {
    port = $submission
  }
  inet_listener submissions {
    port = $submissions
    ssl = yes
  }
}
# Many sessions of one user from one address (the bridge's tests, and
# LK_DOVECOT_SESSIONS for bench/bridge): Dovecot allows 10 per protocol and
# 100 processes per service by default. The login services above serve many
# connections per process (Dovecot's "high-performance mode").
default_process_limit = $((sessions + 100))
default_client_limit = $((sessions * 3 + 1000))
# Beyond a few hundred, one imap process per session costs gigabytes:
# let each serve up to 100 (Dovecot supports it; it only shares the CPU).
service imap {
  client_limit = $imap_clients
}
protocol imap {
  mail_max_userip_connections = $sessions
  # COMPRESS=DEFLATE (RFC 4978), which the bridge must relay untouched.
  mail_plugins = \$mail_plugins imap_zlib
}
protocol pop3 {
  mail_max_userip_connections = $sessions
}
protocol submission {
  mail_max_userip_connections = $sessions
  submission_max_mail_size = $max_mail_size
}
submission_relay_host = 127.0.0.1
submission_relay_port = $sink
submission_relay_trusted = yes
submission_relay_ssl = no
CONF

smtp-sink -u nobody -c -d "$dir/sink/%M." "127.0.0.1:$sink" 10 </dev/null >sink.log 2>&1 &
echo $! > sink.pid
dovecot -c "$dir/dovecot.conf" </dev/null >>start.log 2>&1
for _ in $(seq 200); do
  if [ -S run/anvil-auth-penalty ] && (exec 3<>"/dev/tcp/127.0.0.1/$imaps") 2>/dev/null \
     && (exec 3<>"/dev/tcp/127.0.0.1/$sink") 2>/dev/null; then
    break
  fi
  sleep 0.05
done
# Without the penalty socket auth silently skips its 2→15 s failure delays.
rm -f run/anvil-auth-penalty

cat > peers.ini <<INI
[dovecot]
imap=$imap
imaps=$imaps
pop3=$pop3
pop3s=$pop3s
submission=$submission
submissions=$submissions
sink_port=$sink
sink_dir=$dir/sink
submission_deny=$dir/submission-deny
ca_file=$dir/certs/ca.pem
key_file=$dir/hs256.secret
issuer=$issuer
audience=$audience
log=$dir/dovecot.log
INI
