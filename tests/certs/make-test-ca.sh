#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Makes a throw-away test CA and a server certificate signed by it, for
# localhost, 127.0.0.1, 127.0.0.2 and ::1 (plus any names given as
# arguments after OUTDIR), and a second certificate for another host name
# ("wrong-host.test") to test hostname checks.
#   make-test-ca.sh OUTDIR [DNS-NAME…]
# Writes OUTDIR/ca.pem, ca-key.pem, server.pem, server-key.pem,
# wrong-host.pem, wrong-host-key.pem. Takes about 0.3 s.
set -eu
out=$1; shift
mkdir -p "$out"
cd "$out"
san="DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,IP:::1"
for name in "$@"; do san="$san,DNS:$name"; done
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 30 \
  -subj "/CN=Latchkey Test CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
make_cert () {
  openssl req -newkey rsa:2048 -nodes -keyout "$1-key.pem" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out "$1.pem" \
    -days 30 -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
make_cert server localhost "$san"
make_cert wrong-host wrong-host.test "DNS:wrong-host.test"
chmod 644 ./*.pem
