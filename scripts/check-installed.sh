#!/usr/bin/env bash
# Checks that an installed demarc (`make install`) runs without a Swift toolchain:
#   scripts/check-installed.sh PREFIX/bin/demarc
# 1. ldd, in an empty environment, finds every library the binary needs, and none is
#    Swift's (libswift*, Foundation, libdispatch, BlocksRuntime) or under the toolchain.
# 2. The binary replays the bundled overlay-network capture into the golden jsonl,
#    byte for byte, in an empty environment. As root, the toolchain's library folder is
#    also hidden under an empty tmpfs in a mount namespace of its own, so nothing of the
#    toolchain can be loaded even through a path compiled into the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(readlink -f "${1:?usage: scripts/check-installed.sh PATH/TO/demarc}")
[ -x "$bin" ] || { echo "check-installed: $bin is not an executable" >&2; exit 2; }

bare=(env -i LD_LIBRARY_PATH= PATH=/usr/bin:/bin)
toolchain_lib=""
if swift=$(command -v swift 2>/dev/null); then
  toolchain_lib=$(readlink -f "$(dirname "$(readlink -f "$swift")")/../lib")
fi

linked=$("${bare[@]}" ldd "$bin")
bad=$(printf '%s\n' "$linked" | grep -E "libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|not found${toolchain_lib:+|$toolchain_lib/}" || true)
if [ -n "$bad" ]; then
  echo "check-installed: $bin needs Swift's runtime or a missing library:" >&2
  printf '%s\n' "$bad" >&2
  exit 1
fi
echo "ldd: $(printf '%s\n' "$linked" | awk '{print $1}' | sed 's/^.*\///' | tr '\n' ' ')"

# The golden reports are pinned to this day (scripts/update-goldens.sh).
replay=("$bin" replay captures/overlay-network.pcap --scenario scenarios/overlay-network.yaml
        --format jsonl --as-of 2026-12-01 --no-progress)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# As root, a mount namespace of its own hides the toolchain's libraries under a tmpfs.
hide=()
hidden="no Swift toolchain on this machine"
if [ -n "$toolchain_lib" ] && [ "$(id -u)" -eq 0 ] && unshare --mount true 2>/dev/null; then
  hide=(unshare --mount sh -c 'mount -t tmpfs none "$1" && shift && exec "$@"' sh "$toolchain_lib")
  hidden="toolchain libraries hidden under a tmpfs"
elif [ -n "$toolchain_lib" ]; then
  hidden="empty environment only: hiding the toolchain needs root"
fi
status=0
"${hide[@]}" "${bare[@]}" "${replay[@]}" > "$out" || status=$?
# The bundled network breaks duties on purpose: exit 1 is its expected verdict.
if [ "$status" -ne 1 ]; then
  echo "check-installed: replay exited $status (1 expected)" >&2
  exit 1
fi
if ! cmp -s "$out" Tests/DemarcCLITests/Golden/overlay-network.jsonl; then
  echo "check-installed: the installed binary's jsonl differs from the golden report:" >&2
  diff "$out" Tests/DemarcCLITests/Golden/overlay-network.jsonl | head -20 >&2
  exit 1
fi
echo "installed demarc ($hidden): overlay-network replayed, $(wc -l < "$out") jsonl lines equal to the golden report"
