#!/usr/bin/env bash
# make live-flood (root, about 2 minutes): `demarc monitor` with its default options under
# a live SYN flood, with real HTTP and TLS mixed in, on a veth pair between two network
# namespaces of its own.
#   - scripts/synflood.c sends SYNs from 100.64.0.0/10 to 192.0.2.1:443 as fast as the
#     kernel takes them (every frame a flow of its own) for FLOOD_SECONDS (60);
#   - meanwhile curl fetches over HTTP (python3 -m http.server) and HTTPS (openssl
#     s_server, SNI flood.demarc.test) every 2 s, and tcpdump records that real
#     traffic as it leaves the client;
#   - demarc monitors the server's end (a0), jsonl to a counter (the flood's records
#     are counted, not kept).
# Prints what was sent and received, what demarc handled and dropped, the flows it
# reported against the packets it handled, its evictions and peak RSS, and compares
# each real flow's application, encryption and SNI with a replay of tcpdump's capture.
# Fails when peak RSS reaches 1.2 GB, when a handled flood packet has no flow, when
# handled + dropped is not what the interface carried, or when a real flow differs.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "live-flood: needs root (network namespaces, capture)" >&2; exit 77; }
scripts/deps.sh tcpdump:tcpdump openssl:openssl curl:curl cc:gcc
SECS=${FLOOD_SECONDS:-60}
bin=${DEMARC:-$PWD/.build/release/demarc}
out=$PWD/bench-data/live-flood
mkdir -p "$out"
cc -O2 -o "$out/synflood" scripts/synflood.c
mon=dmflood-mon$$ cli=dmflood-cli$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del "$mon" 2>/dev/null || true
  ip netns del "$cli" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$mon"; ip netns add "$cli"
# Background jobs run `ip netns exec` itself, so that $! is the process to stop.
M() { ip netns exec "$mon" "$@"; }
C() { ip netns exec "$cli" "$@"; }
for ns in "$mon" "$cli"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip netns exec "$ns" ip link set lo up
done
ip link add a0 netns "$mon" type veth peer name b0 netns "$cli"
M ip addr add 10.77.0.1/24 dev a0; M ip link set a0 up
C ip addr add 10.77.0.2/24 dev b0; C ip link set b0 up
mac=$(M cat /sys/class/net/a0/address)

# The servers, on the monitored end.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=flood.demarc.test -keyout "$out/key.pem" \
  -out "$out/cert.pem" 2>/dev/null
ip netns exec "$mon" openssl s_server -quiet -accept 10.77.0.1:8443 -www -cert "$out/cert.pem" -key "$out/key.pem" >/dev/null 2>&1 &
pids+=($!)
ip netns exec "$mon" python3 -m http.server 8080 --bind 10.77.0.1 --directory "$out" >/dev/null 2>&1 &
pids+=($!)
sleep 1

# demarc with its default options; jsonl through the counter.
rm -f "$out/records"; mkfifo "$out/records"
python3 scripts/flood-counter.py 10.77.0. <"$out/records" >"$out/counted.json" &
counter=$!
ip netns exec "$mon" /usr/bin/time -v -o "$out/time.txt" "$bin" monitor --interface a0 --format jsonl \
  >"$out/records" 2>"$out/monitor.err" &
timer=$!
pids+=("$timer")
for _ in $(seq 400); do grep -q "^workers:\|listening" "$out/monitor.err" 2>/dev/null && break; sleep 0.05; done
sleep 0.5
counters() { M awk '$1 == "a0:" { print $3, $11 }' /proc/net/dev; }
read -r rx0 tx0 < <(counters)
ip netns exec "$cli" tcpdump -i b0 -s 0 -U -w "$out/real.pcap" 'not net 100.64.0.0/10' 2>/dev/null &
tcpdump_pid=$!
sleep 1
ip netns exec "$cli" "$out/synflood" b0 "$mac" "$SECS" >"$out/synflood.txt" &
flood=$!
real=0
end=$(( $(date +%s) + SECS ))
while [ "$(date +%s)" -lt "$end" ]; do
  C curl -s -o /dev/null --max-time 10 http://10.77.0.1:8080/cert.pem || true
  C curl -s -o /dev/null --max-time 10 -k --resolve flood.demarc.test:8443:10.77.0.1 https://flood.demarc.test:8443/ || true
  real=$((real + 2))
  sleep 2
done
wait "$flood"
sleep 2
kill -INT "$tcpdump_pid"; wait "$tcpdump_pid" || true
read -r rx1 tx1 < <(counters)
# time(1) ignores SIGINT: the signal goes to demarc, its child.
kill -INT "$(pgrep -P "$timer")"
wait "$timer" || true
wait "$counter"
"$bin" replay "$out/real.pcap" --format jsonl --output "$out/real-replay.jsonl" 2>/dev/null || true

python3 - "$out" "$((rx1 - rx0))" "$((tx1 - tx0))" "$real" <<'PY'
import json, re, sys
out, rx, tx, requests = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sent = dict(kv.split("=") for kv in open(f"{out}/synflood.txt").read().split())
c = json.load(open(f"{out}/counted.json"))
summary = c["summary"]
i = summary["inputs"][0]
handled, dropped, queue = i["packets"], i.get("dropped", 0), i.get("queue_dropped", 0)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(f"{out}/time.txt").read()).group(1)) * 1024
secs = float(sent["seconds"])
print(f"live flood, {secs:.0f} s on a veth pair: {int(sent['sent']):,} SYNs sent ({int(sent['sent']) / secs:,.0f}/s), "
      f"{requests} HTTP and HTTPS requests")
print(f"interface: {rx:,} frames received, {tx:,} sent; demarc handled {handled:,}, kernel dropped {dropped:,}, "
      f"queue dropped {queue:,} (handled + dropped = {handled + dropped + queue:,})")
real_packets = sum(sum(r["packets"].values()) for r in c["real"])
flood_flows = c["records"] - len(c["real"])
ip_packets = handled - i.get("non_ip", 0) - i.get("undecoded", 0) - i.get("link_encrypted", 0)
s = summary["summary"]
print(f"flows reported: {c['records']:,} (summary.flows {s['flows']:,}): {flood_flows:,} flood flows for "
      f"{ip_packets - real_packets:,} handled IP packets outside the real flows, {len(c['real'])} real flows; "
      f"evicted {s.get('evicted', 0):,} ({c['evicted']:,} records with \"end\": \"evicted\"); "
      f"active_flows_peak {s['active_flows_peak']:,}")
print(f"peak RSS {rss / 1e6:,.0f} MB")
failed = []
if rss >= 1.2e9: failed.append("peak RSS reached 1.2 GB")
if flood_flows != ip_packets - real_packets: failed.append("handled flood packets and flood flows differ")
if c["records"] != s["flows"]: failed.append("records and summary.flows differ")
if handled + dropped + queue != rx + tx: failed.append("handled + dropped is not what the interface carried")
if c["evicted"] != s.get("evicted", 0): failed.append("evicted records and summary.evicted differ")

# Each real flow as live monitoring reported it, and as a replay of tcpdump's capture of
# the same traffic does.
def key(r): return (r["client"]["ip"], r["client"]["port"], r["server"]["ip"], r["server"]["port"], r["transport"])
def seen(r):
    e = r["encryption"]
    return (r.get("application"), e["state"], e.get("protocol"), e.get("version"), e.get("sni"))
live = {key(r): seen(r) for r in c["real"]}
replay = {}
for line in open(f"{out}/real-replay.jsonl"):
    r = json.loads(line)
    if r.get("type") == "flow": replay[key(r)] = seen(r)
apps = {}
for k, v in live.items(): apps[v] = apps.get(v, 0) + 1
differ = [k for k in replay if live.get(k) != replay[k]]
print(f"real flows: {len(live)} live, {len(replay)} in the replay of tcpdump's capture, {len(differ)} differ; live by "
      f"(application, encryption, protocol, version, sni): " + "; ".join(f"{n}× {v}" for v, n in sorted(apps.items(), key=str)))
for k in differ[:10]: print(f"  differs: {k}: live {live.get(k)}, replay {replay[k]}")
if differ: failed.append("real flows differ from the replay")
if len(replay) < requests: failed.append("fewer real flows than requests")
print("live-flood: " + ("FAILED: " + "; ".join(failed) if failed else "passed"))
sys.exit(1 if failed else 0)
PY
