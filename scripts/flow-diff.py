#!/usr/bin/env python3
"""Lists the flows two jsonl reports of the same capture split differently, and why.

  flow-diff.py BASE.jsonl NEW.jsonl [--embryonic SECONDS]

Flows are grouped by transport and endpoints (client and server address and port, in
either orientation). Where the two reports cut a group into different flows, each side's
flows are printed (first packet, last packet, packets each way), and for every cut the
new report makes that the base does not, the gap before it and whether the flow before
the gap was embryonic (a TCP flow whose handshake had not completed, or a one-packet flow
of another transport) and idle past --embryonic seconds: what `--embryonic-timeout`
explains. Cuts it does not explain are marked UNEXPLAINED; exits 1 if there are any."""
import argparse, json, sys
from collections import defaultdict
from datetime import datetime


def ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def flows(path):
    out = defaultdict(list)
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r.get("type") != "flow":
                continue
            a = (r["client"]["ip"], r["client"]["port"])
            b = (r["server"]["ip"], r["server"]["port"])
            key = (r["transport"],) + tuple(sorted([a, b], key=str))
            out[key].append(r)
    for v in out.values():
        v.sort(key=lambda r: (r["first_seen"], r["id"]))
    return out


def show(r):
    return (f'{r["first_seen"]} .. {r["last_seen"]} packets {r["packets"]["to_server"]}+{r["packets"]["to_client"]}'
            + (' end=' + r["end"] if "end" in r else ""))


def embryonic(r):
    p = r["packets"]
    if r["transport"] == "tcp":
        # One side only, or at most a SYN and its SYN-ACK: the handshake never completed.
        return p["to_client"] == 0 or p["to_server"] == 0 or p["to_server"] + p["to_client"] <= 2
    return p["to_server"] + p["to_client"] == 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base"); ap.add_argument("new")
    ap.add_argument("--embryonic", type=float, default=30)
    a = ap.parse_args()
    base, new = flows(a.base), flows(a.new)
    unexplained = 0
    for key in sorted(set(base) | set(new), key=str):
        b, n = base.get(key, []), new.get(key, [])
        if [(r["first_seen"], r["last_seen"]) for r in b] == [(r["first_seen"], r["last_seen"]) for r in n]:
            continue
        print(f"  {key[0]} {key[1][0]}:{key[1][1]} <-> {key[2][0]}:{key[2][1]}")
        for r in b: print(f"    base {show(r)}")
        for r in n: print(f"    new  {show(r)}")
        starts = {r["first_seen"] for r in b}
        for prev, r in zip(n, n[1:]):
            if r["first_seen"] in starts:
                continue
            gap = ts(r["first_seen"]) - ts(prev["last_seen"])
            if embryonic(prev) and gap > a.embryonic:
                print(f"    why: {gap:.1f} s after an embryonic flow ({prev['packets']['to_server']}+{prev['packets']['to_client']} packets): its timeout is {a.embryonic:g} s")
            else:
                unexplained += 1
                print(f"    why: UNEXPLAINED cut after {gap:.1f} s")
    sys.exit(1 if unexplained else 0)


if __name__ == "__main__":
    main()
