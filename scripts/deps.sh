#!/usr/bin/env bash
# Installs what building and testing demarc needs on Debian/Ubuntu, if it is missing:
# libpcap-dev and pkg-config (the libpcap system library), python3 with jsonschema
# (schema checks in the tests). Extra packages can be named as arguments, as
# `command:package` pairs (e.g. tshark:tshark), or as `python3.MODULE:package` for a
# module Debian's python3 must import (e.g. python3.pip:python3-pip).
set -euo pipefail

need=()
pkg-config --exists libpcap 2>/dev/null || need+=(libpcap-dev pkg-config)
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -c 'import jsonschema' 2>/dev/null || need+=(python3-jsonschema)
for pair in "$@"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  if [[ $cmd == python3.* ]]; then
    python3 -c "import ${cmd#python3.}" 2>/dev/null || need+=("$pkg")
  else
    command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
  fi
done
[ ${#need[@]} -eq 0 ] && exit 0

echo "installing: ${need[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# A python3 other than Debian's (pyenv and the like) does not see Debian's modules.
if ! python3 -c 'import jsonschema' 2>/dev/null; then
  python3 -m pip install --quiet jsonschema || true
fi
