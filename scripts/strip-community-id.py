#!/usr/bin/env python3
"""Reads a demarc report (jsonl or csv) on stdin and writes it without the Community ID,
the one field issue 34 adds to the existing formats, so scripts/compare-outputs.sh can
check that nothing else changed. Every JSON line is re-serialized the same way, with
or without the field, and every csv row re-quoted the same way, so both sides of a
comparison go through it and compare equal exactly when only that field differs.
  strip-community-id.py jsonl|csv
"""
import csv
import io
import json
import sys

fmt = sys.argv[1]
data = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
out = sys.stdout
if fmt == "jsonl":
    for line in data.splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            out.write(line + "\n")
            continue
        if isinstance(obj, dict):
            obj.pop("community_id", None)
        out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
elif fmt == "csv":
    rows = list(csv.reader(io.StringIO(data, newline="")))
    drop = rows[0].index("community_id") if rows and "community_id" in rows[0] else None
    w = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        w.writerow(row[:drop] + row[drop + 1:] if drop is not None else row)
else:
    sys.exit("strip-community-id.py jsonl|csv")
