#!/usr/bin/env bash
# Fuzzes demarc's packet path (decode → flow tracking → every protocol inspector →
# report verdict) with libFuzzer and AddressSanitizer, seeded with the inspector
# tests' real byte sequences. Any crash, trap or memory error stops it with a
# reproducer in Fuzz/crashes/.
#   scripts/fuzz.sh [SECONDS]    (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
# The fuzzer runtime and AddressSanitizer for this package alone; lld, because gold
# fails on the instrumented objects.
(cd Fuzz && swift build -c release --toolset toolset.json)
bin=$(cd Fuzz && swift build -c release --toolset toolset.json --show-bin-path)/InspectFuzz
corpus=Fuzz/corpus
mkdir -p "$corpus" Fuzz/crashes
# Seeds: each fixture as the fuzzer's packet script (2-byte port, then per packet a
# flags byte — bit 0 server to client, bit 1 UDP, bit 2 GRE — a 2-byte length and the payload).
python3 - "$corpus" <<'PY'
import os, struct, sys
src = "Tests/DemarcCoreTests/Fixtures"
for name in os.listdir(src):
    lines = open(os.path.join(src, name)).read().split("\n")
    _, transport, port = lines[0].split(" ")[:3]
    out = struct.pack(">H", int(port))
    for line in lines[1:]:
        if not line.strip():
            continue
        direction, hexdata = line.split(" ")
        data = bytes.fromhex(hexdata)[:4000]
        flags = (1 if direction == "<" else 0) | (2 if transport == "udp" else 0)
        out += bytes([flags]) + struct.pack(">H", len(data)) + data
    open(os.path.join(sys.argv[1], "seed-" + name.replace(".txt", "")), "wb").write(out)
    if name == "vxlan.txt":
        # The same inner frame behind a keyed GRE header (Transparent Ethernet Bridging),
        # sent as GRE (flags bit 2): a seed for the GRE path.
        frame = bytes.fromhex(lines[1].split(" ")[1])[8:]
        gre = bytes([0x20, 0x00, 0x65, 0x58]) + struct.pack(">I", 77) + frame
        open(os.path.join(sys.argv[1], "seed-gre"), "wb").write(struct.pack(">H", 0) + bytes([4]) + struct.pack(">H", len(gre)) + gre)
# Shapes no fixture holds (no implementation here to record): a netcode.io connection
# request, and Zoom audio relayed by its servers (outer header, media header, RTP).
udp = lambda port, *payloads: struct.pack(">H", port) + b"".join(bytes([2]) + struct.pack(">H", len(p)) + p for p in payloads)
netcode = b"\0NETCODE 1.02\0" + bytes(1078 - 14)
open(os.path.join(sys.argv[1], "seed-netcode"), "wb").write(udp(40000, netcode))
zoom = bytes([5, 0, 1, 0, 0x4f, 0x83, 0x79, 0]) + bytes([15, 1]) + bytes(17) + bytes([0x80, 0x70]) + bytes(10) + bytes(range(32))
open(os.path.join(sys.argv[1], "seed-zoom"), "wb").write(udp(8801, zoom))
PY
"$bin" "$corpus" -max_total_time="$seconds" -max_len=8192 -artifact_prefix=Fuzz/crashes/ -print_final_stats=1
