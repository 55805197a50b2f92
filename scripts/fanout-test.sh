#!/usr/bin/env bash
# Live sharing of the interface between `monitor --workers N` handles, on a veth pair in
# a network namespace of its own (needs root). Run it under `unshare -n`.
#
#   fanout-test.sh drops BINARY WORKERS COUNT OUT
#     monitor stopped (SIGSTOP) while COUNT UDP frames are sent over the pair; prints
#     "sent=S received=R handled=H dropped=D queue_dropped=Q" (R: the frames the
#     interface received, from its counters) and the monitor's mode line.
#   fanout-test.sh stopfull BINARY WORKERS COUNT OUT
#     as drops, but the monitor is told to stop (SIGINT) while still stopped, with the
#     kernel's buffer full: what it had queued must still be read or counted dropped.
#   fanout-test.sh split BINARY WORKERS CAPTURE OUT
#     CAPTURE replayed over the pair into the monitor; OUT gets the JSONL report.
#
# DEMARC_FANOUT=off in the environment asks for the fallback (every handle reads all).
set -euo pipefail
mode=$1 bin=$2 workers=$3 arg=$4 out=$5
if [ "$mode" = split ] && ! command -v tcpreplay >/dev/null; then
  echo "fanout-test.sh: split needs tcpreplay (Debian: apt-get install tcpreplay)" >&2
  exit 2
fi
err=$out.err
sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
ip link add a0 type veth peer name b0
ip link set a0 mtu 9000 up
ip link set b0 mtu 9000 up
ip link set lo up
filter=()
[ "$mode" != split ] && filter=(--filter udp)
"$bin" monitor --interface a0 --workers "$workers" "${filter[@]}" --format jsonl --output "$out" \
  --buffer-size "${BUFFER_MB:-4}" --idle-timeout 3600 2>"$err" &
pid=$!
# However the script ends (a failed step under set -e included), the monitor does not
# outlive it: an orphan would hold the caller's pipe open.
trap 'kill -CONT "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 400); do grep -q listening "$err" && break; sleep 0.05; done
# The namespace's own counters (its /sys is the host's).
rx_packets() { awk '$1 == "a0:" { print $3 }' /proc/net/dev; }
rx0=$(rx_packets)
case $mode in
drops|stopfull)
  kill -STOP "$pid"
  python3 - "$arg" <<'PY'
import socket, struct, sys
count = int(sys.argv[1])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("b0", 0))
def frame(i):
    # Many flows (source port and address vary), so a hash spreads them over workers.
    src = bytes([10, 0, (i >> 8) & 0xff, i & 0xff]); dst = bytes([10, 1, 0, 1])
    payload = b"x" * 64
    udp = struct.pack("!HHHH", 1024 + i % 50000, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
    c = sum(struct.unpack("!10H", ip)); c = (c & 0xffff) + (c >> 16); c = (c & 0xffff) + (c >> 16)
    ip = ip[:10] + struct.pack("!H", ~c & 0xffff) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00" + ip + udp
frames = [frame(i) for i in range(4096)]
for i in range(count):
    s.send(frames[i % 4096])
PY
  sleep 0.5
  [ "$mode" = stopfull ] && kill -INT "$pid"
  kill -CONT "$pid"
  ;;
split)
  tcpreplay --intf1=b0 --pps="${PPS:-5000}" "$arg" >/dev/null 2>&1
  ;;
esac
sleep 2
rx=$(( $(rx_packets) - rx0 ))
kill -INT "$pid" 2>/dev/null || true
wait "$pid" || true
trap - EXIT
python3 - "$out" "$rx" "$arg" "$mode" <<'PY'
import json, sys
out, rx = sys.argv[1], int(sys.argv[2])
summary = json.loads(open(out).read().splitlines()[-1])
i = summary["inputs"][0]
sent = sys.argv[3] if sys.argv[4] != "split" else "-"
print(f"sent={sent} received={rx} handled={i['packets']} dropped={i.get('dropped', 0)} "
      f"queue_dropped={i.get('queue_dropped', 0)} flows={summary['summary']['flows']}")
PY
grep "workers:" "$err" || true
