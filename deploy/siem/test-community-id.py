#!/usr/bin/env python3
"""demarc's Community ID against the reference implementation (PyPI's communityid).

For every flow of every capture given (the bundled ones under their scenarios, and each
capture of a corpus under the built-in scenario), the tuple is read from the capture
itself with tshark, not from demarc's report: the outermost IP header's addresses and
protocol, the ports of TCP, UDP and SCTP, the type and code of ICMP and ICMPv6. The
reference hashes that tuple and demarc's `community_id` must be the same:
  - TCP, UDP, SCTP: any packet of the flow's five-tuple (the ID is the same both ways);
  - ICMP, ICMPv6: the flow's first packet (in capture order, within its first and last
    seen), whose type and code the ID hashes;
  - other protocols: any packet between the two addresses with that protocol.
Flows of orphan fragments (transport `fragment`) carry null. A flow whose tuple tshark
does not find in the capture fails the test too.

  test-community-id.py --demarc BIN [--corpus DIR]
"""
import argparse
import collections
import subprocess
import sys

import communityid

from siemtest import PROTO, captures, replay

PORTS = {6: "tcp", 17: "udp", 132: "sctp"}
ICMP = {1: "icmp", 58: "icmpv6"}
FIELDS = ["frame.number", "frame.time_epoch", "frame.protocols", "ip.src", "ip.dst", "ip.proto",
          "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.hopopts.nxt", "ipv6.routing.nxt", "ipv6.fraghdr.nxt",
          "ipv6.dstopts.nxt", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
          "sctp.srcport", "sctp.dstport", "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code"]
# IPv6 extension headers demarc walks past, and the field holding each one's next header.
V6_EXT = {0: "ipv6.hopopts.nxt", 43: "ipv6.routing.nxt", 44: "ipv6.fraghdr.nxt", 60: "ipv6.dstopts.nxt"}


def micros(text):
    """An epoch time (tshark) or RFC 3339 time (demarc) in whole microseconds."""
    if "T" in text:
        import datetime
        date, frac = text.rstrip("Z"), "0"
        if "." in date:
            date, frac = date.split(".")
        t = datetime.datetime.strptime(date, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
        return int(t.timestamp()) * 1_000_000 + int((frac + "000000")[:6])
    secs, _, frac = text.partition(".")
    return int(secs) * 1_000_000 + int((frac + "000000")[:6])


def packets(capture):
    """Each IP packet's outermost tuple as tshark reads it, in capture order."""
    out = subprocess.run(["tshark", "-n", "-r", capture, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
                          "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
                         + sum((["-e", f] for f in FIELDS), []),
                         capture_output=True, text=True)
    for line in out.stdout.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        layers = v["frame.protocols"].split(":")
        ip = next((i for i, name in enumerate(layers) if name in ("ip", "ipv6")), None)
        if ip is None:
            continue
        after = [name for name in layers[ip + 1:] if not name.startswith("ipv6.")]
        if layers[ip] == "ip":
            src, dst, proto = v["ip.src"], v["ip.dst"], v["ip.proto"]
        else:
            src, dst, proto = v["ipv6.src"], v["ipv6.dst"], v["ipv6.nxt"]
            seen = 0
            while proto and int(proto) in V6_EXT and seen < 8:
                proto, seen = v[V6_EXT[int(proto)]], seen + 1
        if not (src and dst and proto):
            continue
        proto = int(proto)
        nxt = after[0] if after else ""
        sport = dport = None
        if proto in PORTS and nxt == PORTS[proto]:
            sport, dport = v[PORTS[proto] + ".srcport"], v[PORTS[proto] + ".dstport"]
        elif proto in ICMP and nxt == ICMP[proto]:
            sport, dport = v[ICMP[proto] + ".type"], v[ICMP[proto] + ".code"]
        if (proto in PORTS or proto in ICMP) and not (sport and dport):
            continue  # no transport header in this frame (a later fragment, or cut short)
        yield (int(v["frame.number"]), micros(v["frame.time_epoch"]), proto, src, dst,
               int(sport) if sport else None, int(dport) if dport else None)


def reference(algo, proto, src, dst, sport, dport):
    tpl = communityid.FlowTuple(proto, src, dst, sport, dport) if sport is not None \
        else communityid.FlowTuple(proto, src, dst)
    return algo.calc(tpl)


CHECKED = collections.Counter()


def check(demarc, capture, scenario, algo):
    """Returns (flows checked, failures as text); counts flows by transport in CHECKED."""
    try:
        flows = [f for f in replay(demarc, capture, scenario, "jsonl") if f.get("type") == "flow"]
    except RuntimeError as e:
        return 0, [str(e)]

    by_ports, by_pair = {}, collections.defaultdict(list)
    for n, t, proto, src, dst, sport, dport in packets(capture):
        if proto in PORTS:
            key = (proto, frozenset([(src, sport), (dst, dport)]))
            if key not in by_ports:
                by_ports[key] = reference(algo, proto, src, dst, sport, dport)
        else:
            by_pair[(proto, frozenset([src, dst]))].append((n, t, src, dst, sport, dport))

    failures = []
    for f in flows:
        got = f.get("community_id", "absent")
        transport = f["transport"]
        c, s = f["client"], f["server"]
        if transport == "fragment":
            if got is not None:
                failures.append(f"{capture} flow {f['id']}: orphan fragments carry {got}, not null")
            continue
        proto = PROTO.get(transport) or int(transport.removeprefix("ip-"))
        want = None
        if proto in PORTS:
            want = by_ports.get((proto, frozenset([(c["ip"], c["port"]), (s["ip"], s["port"])])))
        else:
            candidates = by_pair.get((proto, frozenset([c["ip"], s["ip"]])), [])
            if proto in ICMP:
                first, last = micros(f["first_seen"]), micros(f["last_seen"])
                inside = [p for p in candidates if first <= p[1] <= last]
                if inside:
                    _, _, src, dst, mtype, code = inside[0]
                    want = reference(algo, proto, src, dst, mtype, code)
            elif candidates:
                _, _, src, dst, _, _ = candidates[0]
                want = reference(algo, proto, src, dst, None, None)
        CHECKED[transport] += 1
        if want is None:
            failures.append(f"{capture} flow {f['id']} ({transport} {c['ip']} {c['port']} -> {s['ip']} {s['port']}): "
                            f"tshark finds no packet of this tuple")
        elif got != want:
            failures.append(f"{capture} flow {f['id']} ({transport} {c['ip']} {c['port']} -> {s['ip']} {s['port']}): "
                            f"demarc {got}, reference {want}")
    return len(flows), failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demarc", required=True)
    ap.add_argument("--corpus", help="a directory of captures read under the built-in scenario")
    a = ap.parse_args()
    algo = communityid.CommunityID(seed=0)

    runs = captures(a.corpus)

    total, failures = 0, []
    for cap, scenario in runs:
        n, bad = check(a.demarc, cap, scenario, algo)
        total += n
        failures += bad
    for line in failures[:40]:
        print("FAIL", line)
    import importlib.metadata
    print(f"community-id: {len(runs)} captures, {total} flows, {total - len(failures)} agree with communityid "
          f"{importlib.metadata.version('communityid')}, {len(failures)} differ; by transport: "
          + ", ".join(f"{t} {n}" for t, n in CHECKED.most_common()))
    sys.exit(1 if failures or total == 0 else 0)


if __name__ == "__main__":
    main()
