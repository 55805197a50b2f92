#!/usr/bin/env python3
"""Writes a SYN flood as a pcap: every packet a lone TCP SYN from a new source address
and port, so every packet starts a flow that never gets an answer. With
`--idle-timeout 1` the flows end as fast as they start: a run's memory then measures
what holds finished flows (the merge of --workers N), not the flow table.

  gen-synflood.py OUT [--packets N] [--rate PPS]"""
import argparse, struct

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out"); ap.add_argument("--packets", type=int, default=6_400_000)
    ap.add_argument("--rate", type=int, default=100_000, help="packets per second of capture time")
    a = ap.parse_args()
    eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
    rec = struct.Struct("<IIII")
    ip = struct.Struct("!BBHHHBBHII")
    tcp = struct.Struct("!HHIIBBHHH")
    step = max(1, 1_000_000 // a.rate)
    t = 1_700_000_000 * 1_000_000
    with open(a.out, "wb", buffering=1 << 22) as out:
        out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(a.packets):
            src = 0x0a000000 + (i * 2654435761) % (1 << 24)
            frame = eth + ip.pack(0x45, 0, 40, i & 0xffff, 0, 64, 6, 0, src, 0xc6336401) \
                + tcp.pack(1024 + i % 60000, 443, i, 0, 0x50, 0x02, 64240, 0, 0)
            out.write(rec.pack(t // 1_000_000, t % 1_000_000, len(frame), len(frame)) + frame)
            t += step

if __name__ == "__main__":
    main()
