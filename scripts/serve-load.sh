#!/usr/bin/env bash
# make serve-load: the live view (`monitor --serve`) under load, on a veth pair (root).
#  1. CLIENTS (50) clients read the event stream for LOAD_SECONDS (60) while tcpreplay offers
#     RATE (200000) packets/s on one end and demarc monitors the other: prints what was
#     sent, what demarc handled (≥ 99 % asked) and its drops (0 asked), and what the
#     clients received.
#     One more client connects and never reads: it must be cut off (or told of dropped
#     updates) while capture goes on.
#  2. RSS_MINUTES (10) of the same with RSS_CLIENTS (5) clients at RSS_RATE (50000)
#     packets/s: resident memory after 1 minute and at the end (≤ 1.1× asked).
# RSS_MINUTES=0 skips part 2.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh tcpreplay:tcpreplay tcpdump:tcpdump
RATE=${RATE:-200000} LOAD_SECONDS=${LOAD_SECONDS:-60} CLIENTS=${CLIENTS:-50}
RSS_MINUTES=${RSS_MINUTES:-10} RSS_RATE=${RSS_RATE:-50000} RSS_CLIENTS=${RSS_CLIENTS:-5}
scripts/load-capture.sh
bin=.build/release/demarc src=bench-data/load.pcap
# SCENARIO=large: the bench's large scenario (4,000 zones, 300 rules) with encryption
# required on external flows, so the page carries findings and open cleartext flows.
scenario=()
if [ "${SCENARIO:-}" = large ]; then
  python3 scripts/gen-bench-scenario.py bench-data/serve-large.yaml
  printf 'encryption:\n  external: required\n' >> bench-data/serve-large.yaml
  scenario=(--scenario bench-data/serve-large.yaml)
elif [ -n "${SCENARIO:-}" ]; then
  scenario=(--scenario "$SCENARIO")
fi
a=dmload0 b=dmload1
ip link del "$a" 2>/dev/null || true
ip link add "$a" type veth peer name "$b"
ip link set "$a" up; ip link set "$b" up
mon=
cleanup() { [ -n "$mon" ] && kill -INT "$mon" 2>/dev/null; ip link del "$a" 2>/dev/null || true; }
trap cleanup EXIT

clients() { # clients PORT N SECONDS: N event-stream readers; prints what they received
  python3 - "$@" <<'PY'
import http.client, sys, threading, time
import socket
port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
got = [[0, 0, 0] for _ in range(n)]   # bytes, flow events, dropped notices
# A client that asks for the stream and never reads it (a small receive buffer).
idle = socket.socket()
idle.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
idle.connect(("127.0.0.1", port))
idle.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
def read(i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=secs + 10)
    c.request("GET", "/events")
    r = c.getresponse()
    end = time.time() + secs
    while time.time() < end:
        line = r.fp.readline()
        if not line:
            break
        got[i][0] += len(line)
        if line.startswith(b"event: flows"): got[i][1] += 1
        if line.startswith(b"event: dropped"): got[i][2] += 1
    c.close()
ts = [threading.Thread(target=read, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join()
# The idle client reads what it was sent: cut off (EOF) or told of dropped updates.
idle.settimeout(5)
data, cut, until = b"", False, time.time() + 5
try:
    while time.time() < until:
        chunk = idle.recv(1 << 20)
        if not chunk:
            cut = True
            break
        data += chunk
except (socket.timeout, ConnectionResetError) as e:
    cut = isinstance(e, ConnectionResetError)
print(f"a client that never read: {'cut off' if cut else 'still connected'} after {len(data) / 1e6:.1f} MB, "
      f"{data.count(b'event: dropped')} dropped notices")
total = sum(g[0] for g in got)
print(f"{n} clients for {secs:.0f} s: {total / 1e6:.1f} MB of events, {min(g[1] for g in got)} to {max(g[1] for g in got)} "
      f"flow updates each, {sum(g[2] for g in got)} dropped notices")
PY
}

run() { # run RATE SECONDS CLIENTS RSS(0|1)
  local rate=$1 secs=$2 n=$3 rss=$4 out=bench-data/serve-load.jsonl err=bench-data/serve-load.err
  "$bin" monitor --interface "$b" "${scenario[@]}" --format jsonl --output "$out" --idle-timeout 5 --serve 127.0.0.1:0 2>"$err" &
  mon=$!
  until grep -q "listening on" "$err"; do sleep 0.1; done
  local port
  port=$(sed -n 's|.*live view on http://[^ ]*:\([0-9]*\)/.*|\1|p' "$err")
  clients "$port" "$n" "$secs" &
  local readers=$!
  tcpreplay --intf1="$a" --pps="$rate" --loop=0 --duration="$secs" "$src" >bench-data/tcpreplay.txt 2>&1 &
  local replay=$!
  if [ "$rss" = 1 ]; then
    sleep 60; echo "RSS after 1 min: $(awk '/VmRSS/ { print $2, $3 }' /proc/$mon/status)"
    wait "$replay" || true
    echo "RSS after $((secs / 60)) min: $(awk '/VmRSS/ { print $2, $3 }' /proc/$mon/status)"
  else
    wait "$replay" || true
  fi
  wait "$readers" || true
  sleep 1
  kill -INT "$mon"; wait "$mon" || true; mon=
  python3 - "$out" "$rate" bench-data/tcpreplay.txt <<'PY'
import json, re, sys
out, rate, log = sys.argv[1], int(sys.argv[2]), open(sys.argv[3]).read()
m = re.search(r"Actual: (\d+) packets .* in ([\d.]+) seconds", log)
sent, secs = (int(m.group(1)), float(m.group(2))) if m else (0, 0)
i = json.loads(open(out).read().splitlines()[-1])["inputs"][0]
handled = i["packets"]
print(f"offered {rate} pkt/s: sent {sent} in {secs:.1f} s ({sent / secs if secs else 0:.0f} pkt/s); demarc handled {handled} "
      f"({100 * handled / sent if sent else 0:.2f} %), kernel dropped {i.get('dropped', 0)}, queue dropped {i.get('queue_dropped', 0)}")
PY
}

echo "== $CLIENTS event-stream clients, $LOAD_SECONDS s at $RATE pkt/s on a veth pair"
run "$RATE" "$LOAD_SECONDS" "$CLIENTS" 0
if [ "$RSS_MINUTES" != 0 ]; then
  echo "== resident memory over $RSS_MINUTES min, $RSS_CLIENTS clients at $RSS_RATE pkt/s"
  run "$RSS_RATE" $((RSS_MINUTES * 60)) "$RSS_CLIENTS" 1
fi
