#!/usr/bin/env bash
# Fuzzes with libFuzzer and AddressSanitizer, each target for SECONDS (default 300):
#   packets   decode → flow tracking → every protocol inspector → report verdict, seeded
#             with the inspector tests' real byte sequences;
#   capture   whole capture files, pcap and pcapng, through the reader, the pipeline and
#             the report, seeded with the bundled captures' heads, pcapng files with
#             every timestamp resolution, and tcpdump's crafted captures when
#             ../shared is there;
#   scenario  the scenario loader, seeded with the bundled scenarios;
#   options   --filter (Limits, then libpcap's compiler, in a network namespace of its
#             own since libpcap resolves host names) and the numeric options.
# Any crash, trap, memory error or input slower than 10 s stops it with a reproducer in
# Fuzz/crashes/TARGET/; copy it to Tests/DemarcCoreTests/FuzzRegressions/TARGET/ and
# the tests replay it from then on.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(packets capture scenario options)
# The fuzzer runtime and AddressSanitizer for this package alone; lld, because gold
# fails on the instrumented objects.
(cd Fuzz && swift build -c release --toolset toolset.json)
bindir=$(cd Fuzz && swift build -c release --toolset toolset.json --show-bin-path)
corpus=Fuzz/corpus/packets
mkdir -p Fuzz/corpus/packets Fuzz/corpus/capture Fuzz/corpus/scenario Fuzz/corpus/options
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
cp scenarios/*.yaml Fuzz/corpus/scenario/
# Capture seeds: the first 16 KB of each bundled capture (a cut-off file is a case
# too), the same packets as pcapng under several if_tsresol and if_tsoffset values,
# and tcpdump's crafted captures of up to 64 KB.
python3 - Fuzz/corpus/capture <<'PY'
import glob, os, struct, sys
out = sys.argv[1]
def block(kind, body):
    body += bytes(-len(body) % 4)
    return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))
for path in sorted(glob.glob("captures/*.pcap")):
    data = open(path, "rb").read()
    name = os.path.basename(path)
    open(os.path.join(out, "seed-" + name), "wb").write(data[:16384])
    link, = struct.unpack("<I", data[20:24])
    records, at = [], 24
    while at + 16 <= len(data) and len(records) < 20:
        sec, usec, caplen, wire = struct.unpack("<IIII", data[at:at + 16])
        records.append((sec * 1_000_000 + usec, data[at + 16:at + 16 + caplen], wire))
        at += 16 + caplen
    for resol, offset in [(None, None), (6, None), (9, None), (0, None), (0x80, None), (0x94, 5), (0x7f, -7)]:
        opts = b""
        if resol is not None: opts += struct.pack("<HHB3x", 9, 1, resol)
        if offset is not None: opts += struct.pack("<HHq", 14, 8, offset)
        if opts: opts += struct.pack("<HH", 0, 0)
        ng = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
        ng += block(1, struct.pack("<HHI", link, 0, 65535) + opts)
        for ts, frame, wire in records:
            ng += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xffffffff, len(frame), wire) + frame)
        open(os.path.join(out, "seed-%s-tsresol-%s-%s.pcapng" % (name, resol, offset)), "wb").write(ng)
PY
if [ -d ../shared/corpus/malformed ]; then
  find ../shared/corpus/malformed -type f -size -64k -exec cp {} Fuzz/corpus/capture/ \;
fi
for r in Tests/DemarcCoreTests/FuzzRegressions/*/*; do
  [ -f "$r" ] && cp "$r" "Fuzz/corpus/$(basename "$(dirname "$r")")/"
done
# Option seeds: selector byte (0 filter on Ethernet, 1 --duration, 2 --idle-timeout,
# 3 --snaplen), then the text.
printf '\0tcp port 443 and not host 10.0.0.1' > Fuzz/corpus/options/filter
printf '\0(udp or icmp) and net 10.0.0.0/8 and portrange 8000-8999' > Fuzz/corpus/options/filter2
printf '\0vlan and ip6 and tcp[tcpflags] & tcp-syn != 0' > Fuzz/corpus/options/filter3
printf '\0011e13' > Fuzz/corpus/options/duration
printf '\002-1' > Fuzz/corpus/options/idle
printf '\00365535' > Fuzz/corpus/options/snaplen

isolate=()
if unshare -n true 2>/dev/null; then isolate=(unshare -n); fi
status=0
for t in "${targets[@]}"; do
  case $t in
    packets) bin=InspectFuzz; max=8192; wrap=() ;;
    capture) bin=CaptureFuzz; max=65536; wrap=() ;;
    scenario) bin=ScenarioFuzz; max=65536; wrap=() ;;
    options) bin=OptionsFuzz; max=4096; wrap=("${isolate[@]}")
      [ ${#wrap[@]} -eq 0 ] && { echo "options: no network namespace here (unshare -n); filters naming hosts would query DNS, skipped"; continue; } ;;
    *) echo "unknown fuzz target $t (packets, capture, scenario, options)"; exit 2 ;;
  esac
  mkdir -p "Fuzz/crashes/$t"
  echo "== fuzz $t for ${seconds}s"
  "${wrap[@]}" "$bindir/$bin" "Fuzz/corpus/$t" -max_total_time="$seconds" -max_len=$max -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="Fuzz/crashes/$t/" -print_final_stats=1 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|.*ERROR|artifact_prefix|Test unit written|.*Timeout)" || true
  if ls "Fuzz/crashes/$t"/* >/dev/null 2>&1; then echo "fuzz $t: FOUND A CRASH: $(ls Fuzz/crashes/$t)"; status=1; fi
done
exit $status
