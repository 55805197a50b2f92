#!/usr/bin/env python3
"""Counts a jsonl report read from standard input without keeping it (live-flood.sh):
flow records, records with "end": "evicted", and keeps whole the flows whose text holds
MARKER (the real flows' address prefix) and the summary line. Prints them as JSON:
{"records", "evicted", "real": [flow...], "summary": {...}}. Reads in large blocks and
counts with bytes.count, so it keeps up with a monitor writing a million records a second."""
import json
import sys

marker = sys.argv[1].encode()
records = evicted = 0
real, last, tail = [], None, b""
stdin = sys.stdin.buffer
while True:
    block = stdin.read(1 << 22)
    if not block:
        break
    data = tail + block
    cut = data.rfind(b"\n") + 1
    whole, tail = data[:cut], data[cut:]
    if not whole:
        continue
    records += whole.count(b"\n")
    evicted += whole.count(b'"end":"evicted"')
    at = whole.find(marker)
    while at >= 0:
        start = whole.rfind(b"\n", 0, at) + 1
        stop = whole.find(b"\n", at)
        real.append(whole[start:stop])
        at = whole.find(marker, stop)
    last = whole[whole.rfind(b"\n", 0, len(whole) - 1) + 1:]
summary = json.loads(last)
records -= 1
flows = [json.loads(line) for line in real if not line.startswith(b'{"type":"summary"')]
json.dump({"records": records, "evicted": evicted, "real": flows, "summary": summary}, sys.stdout)
