#!/usr/bin/env python3
"""Writes a large, reproducible pcap for `make bench`: Ethernet/IPv4 TCP and UDP flows
with realistic sizes (handshakes, a TLS-looking first payload, MTU-sized data, ACKs),
interleaved so hundreds of thousands of flows are live at once.

  gen-bench.py OUT [--packets N] [--flows F] [--live L] [--seed S]

--live is how many flows exchange packets at once (2000 by default): raise it to measure
a flow table whose active flows no longer fit in the CPU's caches."""
import argparse, random, struct

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out"); ap.add_argument("--packets", type=int, default=4_000_000)
    ap.add_argument("--flows", type=int, default=300_000); ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--live", type=int, default=2000)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    payload = bytes(rnd.getrandbits(8) for _ in range(1500))
    hello = b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03" + payload[:190]
    eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
    out = open(a.out, "wb", buffering=1 << 22)
    out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    per_flow = max(2, a.packets // a.flows)
    t = 1_700_000_000 * 1_000_000
    written = 0
    live = []
    next_flow = 0
    pk = struct.Struct("<IIII")
    while written < a.packets:
        while len(live) < a.live and next_flow < a.flows * 4:
            c = 0x0a000000 + rnd.randrange(1 << 20); s = 0xc6336400 + rnd.randrange(4096)
            proto = 6 if rnd.random() < 0.8 else 17
            live.append([c, s, 1024 + rnd.randrange(60000), rnd.choice([443, 443, 80, 53, 8443, 22]), proto, 0, per_flow + rnd.randrange(per_flow)])
            next_flow += 1
        i = rnd.randrange(len(live)); f = live[i]
        c, s, cp, sp, proto, n, total = f
        to_server = n % 2 == 0
        if proto == 6:
            flags = 0x02 if n == 0 else 0x12 if n == 1 else 0x10 if n == 2 else 0x18
            body = b"" if n < 3 else hello if n == 3 else payload[: rnd.choice([0, 100, 600, 1448, 1448])]
            l4 = struct.pack(">HHIIBBHHH", cp if to_server else sp, sp if to_server else cp, n, 0, 0x50, flags, 65535, 0, 0) + body
        else:
            body = payload[: rnd.choice([40, 80, 120, 512])]
            l4 = struct.pack(">HHHH", cp if to_server else sp, sp if to_server else cp, 8 + len(body), 0) + body
        src, dst = (c, s) if to_server else (s, c)
        ip = struct.pack(">BBHHHBBHII", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0, src, dst) + l4
        frame = eth + ip
        t += rnd.randrange(1, 5)
        out.write(pk.pack(t // 1_000_000, t % 1_000_000, len(frame), len(frame))); out.write(frame)
        written += 1
        f[5] += 1
        if f[5] >= total: live[i] = live[-1]; live.pop()
    out.close()

main()
