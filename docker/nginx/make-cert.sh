#!/usr/bin/env bash
# Makes a self-signed TLS certificate for the local edge (localhost and 127.0.0.1), valid 30 days.
# Usage: docker/nginx/make-cert.sh OUT_DIR   -> OUT_DIR/tls.crt, OUT_DIR/tls.key
# Keeps an existing pair that is valid for at least another day, so repeated runs are cheap.
set -euo pipefail
out="${1:?usage: make-cert.sh OUT_DIR}"
mkdir -p "$out"
if [[ -s "$out/tls.crt" && -s "$out/tls.key" ]] && openssl x509 -in "$out/tls.crt" -noout -checkend 86400 >/dev/null 2>&1; then
  exit 0
fi
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -addext "keyUsage=critical,digitalSignature" \
  -addext "extendedKeyUsage=serverAuth" \
  -keyout "$out/tls.key" -out "$out/tls.crt" 2>/dev/null
# The certificate is public; the key stays readable by its owner only (nginx reads it as that user).
chmod 0644 "$out/tls.crt"
echo "self-signed certificate for localhost in $out"
