#!/usr/bin/env python3
"""A scenario with thousands of zones and hundreds of rules over the bench capture's
address space, to show placement and filtering stay cheap: gen-bench-scenario.py OUT"""
import sys
out = open(sys.argv[1], "w")
out.write("scenario: bench-large\nnodes:\n")
for i in range(200):
    out.write("  node-%d: {role: gateway, addresses: [198.51.%d.%d]}\n" % (i, 100 + i // 250, i % 250 + 1))
out.write("zones:\n")
for i in range(4000):
    out.write("  lan-%d: {owner: customer, cidrs: [10.%d.%d.0/24]}\n" % (i, i // 256, i % 256))
out.write("  services: {owner: external, cidrs: [198.51.96.0/20]}\n")
out.write("  internet: {owner: external, cidrs: [0.0.0.0/0]}\n")
out.write("filters:\n  external:\n    default: deny\n    rules:\n")
for i in range(300):
    out.write("      - {name: r%d, from: [lan-%d], to: [services], ports: [tcp/%d]}\n" % (i, i * 13 % 4000, 1000 + i))
out.write("      - {name: web, to: [services], ports: [tcp/443, tcp/8443]}\n")
