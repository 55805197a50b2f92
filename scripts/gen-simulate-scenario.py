#!/usr/bin/env python3
"""gen-simulate-scenario.py OUT [ZONES] [RULES]: a large scenario for `make bench`'s simulate row: ZONES customer /24s behind
NODES edge nodes (each zone with `via` its edge), a gateway, provider and external
zones, and RULES filter rules over egress, ingress and transit that name zones, nodes,
CIDRs and port ranges. Reproducible (seeded)."""
import random, sys

out = sys.argv[1]
zones = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
rules = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
nodes = 50
rng = random.Random(32)
lines = ["scenario: bench-simulate", "nodes:"]
lines.append("  gw-0: {role: gateway, addresses: [198.51.100.1]}")
for n in range(1, nodes):
    lines.append(f"  edge-{n}: {{role: edge, addresses: [203.0.113.{n}]}}")
lines.append("zones:")
for z in range(zones):
    sens = ", sensitive: true" if z % 97 == 0 else ""
    lines.append(f"  site-{z}: {{owner: customer, cidrs: [10.{z // 256}.{z % 256}.0/24], via: edge-{1 + z % (nodes - 1)}{sens}}}")
lines.append("  portal: {owner: provider, cidrs: [35.171.100.0/24]}")
lines.append("  internet: {owner: external, cidrs: [0.0.0.0/0, '::/0'], via: gw-0}")
names = [f"site-{z}" for z in range(zones)]
def end():
    k = rng.randrange(6)
    if k == 0: return "any"
    if k == 1: return f"edge-{rng.randrange(1, nodes)}"
    if k == 2: return f"10.{rng.randrange(40)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    if k == 3: return f"10.{rng.randrange(40)}.0.0/16"
    return rng.choice(names)
def port():
    return rng.choice(["tcp/443", "udp/53", "tcp/22", f"tcp/{rng.randrange(1024, 60000)}",
                       f"tcp/{(p := rng.randrange(1024, 30000))}-{p + rng.randrange(1, 2000)}", "icmp", "any"])
lines.append("filters:")
per = {"egress": rules // 3, "ingress": rules // 3, "transit": rules - 2 * (rules // 3)}
for seg, count in per.items():
    lines += [f"  {seg}:", "    default: deny", "    rules:"]
    for r in range(count):
        act = "deny" if rng.randrange(5) == 0 else "allow"
        lines.append(f"      - {{name: {seg}-{r}, action: {act}, from: [{end()}], to: [{end()}], ports: [{port()}]}}")
open(out, "w").write("\n".join(lines) + "\n")
