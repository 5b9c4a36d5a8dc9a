#!/bin/sh
# Throwaway test material, NOT secret and NOT for any real use: a test CA, certificates for localhost
# (two, for the reload test), a client certificate, and a second CA nobody trusts. Valid for 100 years.
# Regenerate with: sh generate.sh (needs openssl).
set -e
cd "$(dirname "$0")"
days=36500
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
ca() {
  key "$1"
  openssl req -x509 -new -key "$1.key" -sha256 -days $days -subj "/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out "$1.crt"
}
leaf() { # name cn ca ext
  key "$1"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial -sha256 -days $days \
    -extfile "$1.ext" -out "$1.crt"
  rm "$1.csr" "$1.ext"
}
ca ca "verypoll test CA"
ca other-ca "verypoll untrusted test CA"
leaf server localhost ca "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
leaf server2 localhost ca "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth
nsComment=reloaded"
leaf client "verypoll test client" ca "extendedKeyUsage=clientAuth"
rm -f ca.srl other-ca.srl other-ca.key ca.key
