#!/usr/bin/env bash
# make load: `demarc monitor` on the loopback interface under sustained load from a
# second process (tcpreplay replaying the bench capture at fixed packet rates), each
# run bounded in time. Prints, per rate, what tcpreplay sent, what demarc handled and
# what was dropped (by the kernel, and by demarc's own capture ring), so the highest
# rate handled without drops can be read off. Needs root (capture and injection).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh tcpreplay:tcpreplay tcpdump:tcpdump
SECONDS_PER_RATE=${SECONDS_PER_RATE:-10}
RATES=${RATES:-"100000 200000 400000"}
# Worker counts to compare (issue 15: before, one; after, one per core).
WORKERS=${WORKERS:-"1 $(nproc)"}
SUSTAIN=${SUSTAIN:-30}
scripts/load-capture.sh
bin=.build/release/demarc src=bench-data/load.pcap

run() { # run RATE SECONDS WORKERS: prints one result line
  local rate=$1 secs=$2 workers=$3 out=bench-data/load-report.jsonl
  local count=$((rate * secs))
  "$bin" monitor --interface lo --format jsonl --output "$out" --idle-timeout 5 --workers "$workers" 2>/dev/null &
  local pid=$!
  sleep 1
  tcpreplay --intf1=lo --pps="$rate" --loop=0 --limit="$count" "$src" >bench-data/tcpreplay.txt 2>&1 || true
  sleep 1
  kill -INT "$pid"; wait "$pid" || true
  local sent
  sent=$(awk '/Actual:/ { print $2 }' bench-data/tcpreplay.txt)
  local elapsed
  elapsed=$(awk '/Actual:/ { for (i = 1; i <= NF; i++) if ($i == "in") print $(i + 1) }' bench-data/tcpreplay.txt)
  python3 - "$out" "$rate" "$sent" "$elapsed" "$workers" <<'PY'
import json, sys
out, rate, sent, elapsed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3] or 0), float(sys.argv[4] or 0)
summary = json.loads(open(out).read().splitlines()[-1])
i = summary["inputs"][0]
print(f"{sys.argv[5]} worker(s), target {rate:>8} pkt/s: sent {sent:>9} in {elapsed:5.1f} s ({sent / elapsed if elapsed else 0:>9.0f} pkt/s); "
      f"demarc handled {i['packets']:>9}, kernel dropped {i.get('dropped', 0)}, ring dropped {i.get('queue_dropped', 0)}, "
      f"flows {summary['summary']['flows']}")
PY
}

echo "demarc monitor on lo, tcpreplay of $src:"
for w in $WORKERS; do
  for r in $RATES; do run "$r" "$SECONDS_PER_RATE" "$w"; done
done
SUSTAINED_RATE=${SUSTAINED_RATE:-400000}
if [ "$SUSTAINED_RATE" != 0 ]; then
  echo "sustained, ${SUSTAIN} s:"
  for w in $WORKERS; do run "$SUSTAINED_RATE" "$SUSTAIN" "$w"; done
fi
