#!/usr/bin/env bash
# Makes a self-signed certificate for the OpenHIM core API (names: localhost, openhim-core) that the mediators pin.
# Usage: scripts/make-dev-cert.sh DIR   -> DIR/core.pem, DIR/core-key.pem
set -euo pipefail
dir=${1:?usage: $0 DIR}
mkdir -p "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=openhim-core" \
  -addext "subjectAltName=DNS:openhim-core,DNS:localhost,IP:127.0.0.1" \
  -keyout "$dir/core-key.pem" -out "$dir/core.pem" 2>/dev/null
echo "wrote $dir/core.pem and $dir/core-key.pem"
