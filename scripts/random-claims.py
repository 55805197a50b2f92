#!/usr/bin/env python3
"""How often an inspector names a protocol on random bytes.

    scripts/random-claims.py --demarc BIN [--flows N] [--seed S] [--limit PER_100K] [--keep FILE]

Writes a classic pcap of N flows (200,000 by default) whose payloads are random bytes,
half TCP (half of those with a handshake first) and half UDP, one to four packets each,
of 1 to 1,400 bytes; four in five go to a port an inspector registers or a port below
1024, the rest to a random one. Replays it with demarc and counts, per protocol, the
flows an inspector named. Random bytes are what ciphertext looks like: a protocol named
on them gives an encrypted flow the protocol's verdict (cleartext, mostly) on traffic
never seen. Exits 1 when a protocol names more than PER_100K flows in 100,000 (5 by
default), but for those listed in ALLOWED with their own limit and the reason.
"""
import argparse
import collections
import json
import os
import random
import re
import struct
import subprocess
import sys
import tempfile

# Protocols whose own specification makes random bytes theirs on their port, or whose
# framing is known to be weak, with the most flows in 100,000 they may name.
ALLOWED = {
    # RFC 3948: on UDP 4500, every datagram that does not open with four zero bytes (the
    # non-ESP marker) is ESP, and the verdict (encrypted) is what random bytes look like.
    "esp": 100,
    # eDonkey's and Kademlia's UDP messages: a protocol byte and an opcode from a list,
    # the opcodes' layouts not documented well enough to check (EDonkey.swift).
    "edonkey": 80,
}

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def registered_ports():
    text = open(os.path.join(ROOT, "Sources/DemarcInspect/ProtocolRegistry.swift")).read()
    ports = set(range(1, 1024))
    for group in re.findall(r"ports: \[([0-9, ]*)\]", text):
        ports.update(int(x) for x in group.replace(" ", "").split(",") if x)
    return sorted(ports)


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def frame(src, dst, sport, dport, udp, payload, flags=0x18, seq=1, ack=1):
    if udp:
        l4, proto = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload, 17
    else:
        l4, proto = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload, 6
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + l4


def write_capture(path, flows, seed):
    rng = random.Random(seed)
    ports = registered_ports()

    def length():
        r = rng.random()
        return rng.randint(1, 40) if r < 0.3 else rng.randint(41, 300) if r < 0.7 else rng.randint(301, 1400)

    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = 1_700_000_000 * 1_000_000

        def put(fr):
            nonlocal t
            t += 50
            f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(fr), len(fr)) + fr)

        for i in range(flows):
            a = struct.pack("!I", 0x0A000000 + i + 1)
            b = struct.pack("!I", 0xC0A80000 + rng.randint(1, 65000))
            udp = rng.random() < 0.5
            dport = rng.choice(ports) if rng.random() < 0.8 else rng.randint(1024, 65535)
            sport = rng.randint(1024, 65535)
            sa, sb = 1000, 5000
            if not udp and rng.random() < 0.5:
                put(frame(a, b, sport, dport, False, b"", 0x02, 999, 0))
                put(frame(b, a, dport, sport, False, b"", 0x12, 4999, 1000))
                put(frame(a, b, sport, dport, False, b"", 0x10, 1000, 5000))
            for j in range(rng.randint(1, 4)):
                p = rng.randbytes(length())
                if j % 2 == 0:
                    put(frame(a, b, sport, dport, udp, p, 0x18, sa, sb))
                    sa += len(p)
                else:
                    put(frame(b, a, dport, sport, udp, p, 0x18, sb, sa))
                    sb += len(p)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--demarc", required=True)
    ap.add_argument("--flows", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=33)
    ap.add_argument("--limit", type=float, default=5.0, help="flows named per 100,000 (default 5)")
    ap.add_argument("--keep", help="write the capture here and keep it")
    args = ap.parse_args()

    path = args.keep or tempfile.mktemp(prefix="random-claims-", suffix=".pcap")
    try:
        write_capture(path, args.flows, args.seed)
        run = subprocess.run([args.demarc, "replay", path, "--format", "jsonl", "--no-progress"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            sys.stderr.write(run.stderr)
            print(f"random-claims: demarc exited {run.returncode}")
            return 2
    finally:
        if not args.keep and os.path.exists(path):
            os.unlink(path)

    named = collections.Counter()
    states = collections.Counter()
    flows = 0
    for line in run.stdout.splitlines():
        r = json.loads(line)
        if r.get("type") != "flow":
            continue
        flows += 1
        enc = r["encryption"]
        states[(enc["state"], enc["basis"])] += 1
        app = r["application"] or enc["protocol"]
        if app:
            named[(app, enc["state"])] += 1

    print(f"random-claims: {flows} flows of random payload (seed {args.seed})")
    for (state, basis), n in sorted(states.items(), key=lambda kv: -kv[1]):
        print(f"  {state:9} by {basis:9} {n:8}")
    failed = []
    per_app = collections.Counter()
    for (app, _), n in named.items():
        per_app[app] += n
    for (app, state), n in sorted(named.items(), key=lambda kv: -kv[1]):
        rate = 100_000 * n / max(flows, 1)
        limit = ALLOWED.get(app, args.limit)
        print(f"  named {app:14} {state:9} {n:6} flows, {rate:7.2f} per 100,000 (limit {limit:g})")
    for app, n in per_app.items():
        rate = 100_000 * n / max(flows, 1)
        if rate > ALLOWED.get(app, args.limit):
            failed.append(f"{app} ({rate:.2f} per 100,000)")
    if failed:
        print("random-claims: FAILED, named on random bytes too often: " + ", ".join(failed))
        return 1
    print("random-claims: every protocol within its limit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
