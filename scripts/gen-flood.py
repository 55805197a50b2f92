#!/usr/bin/env python3
"""Writes a SYN flood as a pcap: N SYN-only TCP flows (Ethernet/IPv4, one SYN each, no
answer) at R new flows per second of capture time, every flow a distinct client address
and port towards one server. Used to check that memory stays bounded under floods
(`make flood-check`, docs/deployment.md "Memory under floods").

  gen-flood.py OUT [--flows N] [--rate R] [--start UNIX_SECONDS]

Records are built a million at a time in numpy arrays from one 70-byte template (pcap
record header, Ethernet, IPv4 with its checksum, TCP SYN), so 20M flows take seconds."""
import argparse, struct
import numpy as np

TEMPLATE = (
    struct.pack("<IIII", 0, 0, 54, 54)                                  # pcap record header
    + bytes.fromhex("020000000001" "020000000002" "0800")               # Ethernet
    + bytes.fromhex("45000028" "00004000" "40060000" "0a000000" "c0000201")  # IPv4
    + bytes.fromhex("0000" "0050" "00000000" "00000000" "5002faf0" "00000000")  # TCP SYN
)


def chunk(first, count, rate, start_us):
    i = np.arange(first, first + count, dtype=np.uint64)
    rec = np.tile(np.frombuffer(TEMPLATE, dtype=np.uint8), (count, 1))
    ts = np.uint64(start_us) + (i * np.uint64(1_000_000)) // np.uint64(rate)
    rec[:, 0:4] = (ts // np.uint64(1_000_000)).astype("<u4").view(np.uint8).reshape(count, 4)
    rec[:, 4:8] = (ts % np.uint64(1_000_000)).astype("<u4").view(np.uint8).reshape(count, 4)
    # Client 10.0.0.0/8 and port 1024-61023: 60,000 ports per address.
    src = np.uint64(0x0a00_0000) + i // np.uint64(60_000)
    port = np.uint64(1024) + i % np.uint64(60_000)
    ip = 16 + 14
    rec[:, ip + 4:ip + 6] = (i & np.uint64(0xffff)).astype(">u2").view(np.uint8).reshape(count, 2)
    rec[:, ip + 12:ip + 16] = src.astype(">u4").view(np.uint8).reshape(count, 4)
    tcp = ip + 20
    rec[:, tcp:tcp + 2] = port.astype(">u2").view(np.uint8).reshape(count, 2)
    rec[:, tcp + 4:tcp + 8] = ((i * np.uint64(2654435761)) & np.uint64(0xffff_ffff)).astype(">u4").view(np.uint8).reshape(count, 4)
    # The IPv4 header checksum: the ones' complement sum of its ten 16-bit words.
    words = rec[:, ip:ip + 20].copy().view(">u2").astype(np.uint32).sum(axis=1)
    words = (words & 0xffff) + (words >> 16)
    words = (words & 0xffff) + (words >> 16)
    rec[:, ip + 10:ip + 12] = (~words & 0xffff).astype(">u2").view(np.uint8).reshape(count, 2)
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--flows", type=int, default=20_000_000)
    ap.add_argument("--rate", type=int, default=1_000_000, help="new flows per second of capture time")
    ap.add_argument("--start", type=int, default=1_700_000_000)
    a = ap.parse_args()
    with open(a.out, "wb", buffering=1 << 24) as out:
        out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        first = 0
        while first < a.flows:
            n = min(1_000_000, a.flows - first)
            out.write(chunk(first, n, a.rate, a.start * 1_000_000).tobytes())
            first += n


if __name__ == "__main__":
    main()
