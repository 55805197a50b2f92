#!/usr/bin/env bash
# make load: `demarc monitor` on a veth pair in a network namespace of its own under
# sustained load from tcpreplay (the bench capture at fixed packet rates), each run
# bounded in time. Prints, per rate, what tcpreplay sent, what demarc handled, what was
# dropped (by the kernel, and by demarc's own capture ring) and the CPU time demarc took
# per packet handled (user + system, all its threads, from the traffic's start to a
# second after its end: starting up is not a packet's cost), so that the highest rate handled
# without drops can be read off. Then the CPU per packet of one worker and of WORKERS'
# last count (AF_PACKET fanout), medians of CPU_RUNS interleaved runs at CPU_RATE: fanout
# shares the work, so two workers should cost no more per packet than one (at most
# 1.1×; the script fails above that). Needs root (namespaces, capture and injection).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh tcpreplay:tcpreplay tcpdump:tcpdump
SECONDS_PER_RATE=${SECONDS_PER_RATE:-10}
RATES=${RATES:-"100000 200000 400000"}
# Worker counts to compare (issue 15: before, one; after, one per core).
WORKERS=${WORKERS:-"1 $(nproc)"}
SUSTAIN=${SUSTAIN:-30}
CPU_RATE=${CPU_RATE:-200000} CPU_SECONDS=${CPU_SECONDS:-10} CPU_RUNS=${CPU_RUNS:-5}
scripts/load-capture.sh
bin=$PWD/.build/release/demarc src=$PWD/bench-data/load.pcap
ns=dmload$$
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip link add a0 netns "$ns" type veth peer name b0 netns "$ns"
for dev in a0 b0 lo; do ip netns exec "$ns" ip link set "$dev" up; done

run() { # run RATE SECONDS WORKERS: prints one result line
  local rate=$1 secs=$2 workers=$3 out=bench-data/load-report.jsonl err=bench-data/load-monitor.err
  local count=$((rate * secs))
  rm -f "$err"
  ip netns exec "$ns" "$bin" monitor --interface a0 --format jsonl --output "$out" --idle-timeout 5 \
    --workers "$workers" 2>"$err" &
  local pid=$!
  for _ in $(seq 400); do grep -q listening "$err" 2>/dev/null && break; sleep 0.05; done
  sleep 0.5
  # utime + stime of every thread, in clock ticks (/proc/PID/stat fields 14 and 15).
  cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
  local cpu0 cpu1
  cpu0=$(cpu)
  ip netns exec "$ns" tcpreplay --intf1=b0 --pps="$rate" --loop=0 --limit="$count" "$src" >bench-data/tcpreplay.txt 2>&1 || true
  sleep 1
  cpu1=$(cpu)
  echo "$(( cpu1 - cpu0 )) $(getconf CLK_TCK)" >bench-data/load-time.txt
  kill -INT "$pid"; wait "$pid" || true
  local sent elapsed
  sent=$(awk '/Actual:/ { print $2 }' bench-data/tcpreplay.txt)
  elapsed=$(awk '/Actual:/ { for (i = 1; i <= NF; i++) if ($i == "in") print $(i + 1) }' bench-data/tcpreplay.txt)
  python3 - "$out" "$rate" "$sent" "$elapsed" "$workers" bench-data/load-time.txt <<'PY'
import json, sys
out, rate, sent, elapsed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3] or 0), float(sys.argv[4] or 0)
summary = json.loads(open(out).read().splitlines()[-1])
i = summary["inputs"][0]
ticks, hz = map(int, open(sys.argv[6]).read().split())
cpu = ticks / hz / max(1, i["packets"]) * 1e6
print(f"{sys.argv[5]} worker(s), target {rate:>8} pkt/s: sent {sent:>9} in {elapsed:5.1f} s ({sent / elapsed if elapsed else 0:>9.0f} pkt/s); "
      f"demarc handled {i['packets']:>9}, kernel dropped {i.get('dropped', 0)}, ring dropped {i.get('queue_dropped', 0)}, "
      f"flows {summary['summary']['flows']}, CPU {cpu:.2f} µs/packet")
PY
}

echo "demarc monitor on a veth pair, tcpreplay of $src:"
for w in $WORKERS; do
  for r in $RATES; do run "$r" "$SECONDS_PER_RATE" "$w"; done
done
SUSTAINED_RATE=${SUSTAINED_RATE:-400000}
if [ "$SUSTAINED_RATE" != 0 ]; then
  echo "sustained, ${SUSTAIN} s:"
  for w in $WORKERS; do run "$SUSTAINED_RATE" "$SUSTAIN" "$w"; done
fi
many=${WORKERS##* }
if [ "$CPU_RUNS" != 0 ] && [ "$many" != 1 ]; then
  echo "CPU per packet at $CPU_RATE pkt/s, $CPU_RUNS interleaved runs of ${CPU_SECONDS} s each:"
  : >bench-data/load-cpu.txt
  for _ in $(seq "$CPU_RUNS"); do
    for w in 1 "$many"; do run "$CPU_RATE" "$CPU_SECONDS" "$w" | tee -a bench-data/load-cpu.txt; done
  done
  python3 - bench-data/load-cpu.txt "$many" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\d+) worker.*CPU ([\d.]+) µs/packet", line)
    if m: runs.setdefault(int(m.group(1)), []).append(float(m.group(2)))
one, many = statistics.median(runs[1]), statistics.median(runs[int(sys.argv[2])])
print(f"CPU per packet: 1 worker {one:.2f} µs, {sys.argv[2]} workers {many:.2f} µs: {many / one:.2f}× (at most 1.10×)")
sys.exit(0 if many <= 1.1 * one else 1)
PY
fi
