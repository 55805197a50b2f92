#!/usr/bin/env bash
# The release binary and bench-data/load.pcap (2M packets of the reproducible bench
# traffic, all sizes, ~100k flows) for the load scripts; made once, reused.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .build/release/demarc ] || swift build -c release --product demarc
mkdir -p bench-data
if [ ! -f bench-data/load.pcap ]; then
  [ -f bench-data/bench.pcap ] || python3 scripts/gen-bench.py bench-data/bench.pcap --packets 4000000 --flows 300000
  tcpdump -r bench-data/bench.pcap -c 2000000 -w bench-data/load.pcap 2>/dev/null
fi
