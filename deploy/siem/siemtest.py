"""What deploy/siem's tests share: the captures to read and demarc's output over them."""
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def captures(corpus):
    """(capture, scenario or None): every bundled capture under its scenario, then each
    capture of `corpus` (a directory, or None) under the built-in scenario."""
    runs = []
    bundled = os.path.join(ROOT, "captures")
    for name in sorted(os.listdir(bundled)):
        if name.endswith(".pcap"):
            # A second tap of one deployment (NAME-wan.pcap) shares that deployment's scenario.
            scenario = name[:-5].removesuffix("-wan") + ".yaml"
            runs.append((os.path.join(bundled, name), os.path.join(ROOT, "scenarios", scenario)))
    if corpus:
        for dirpath, _, files in sorted(os.walk(corpus)):
            runs += [(os.path.join(dirpath, n), None) for n in sorted(files)
                     if n.endswith((".pcap", ".pcapng", ".cap"))]
    else:
        print("no corpus given (../shared absent): bundled captures only")
    return runs


# The bundled deployments are replayed as a gateway would (--sensor): ECS's observer.name
# and OCSF's device are checked there; the corpus runs without it.
SENSOR = "gw-siem-test"


def replay(demarc, capture, scenario, fmt):
    """demarc's report lines in `fmt`, parsed; raises on an exit status other than 0 or 1
    (1: findings at or above --fail-on). Captures with a scenario are named by SENSOR."""
    args = [demarc, "replay", capture, "--format", fmt, "--no-progress", "--as-of", "2026-12-01"]
    if scenario:
        args += ["--scenario", scenario, "--sensor", SENSOR]
    run = subprocess.run(args, capture_output=True, text=True)
    if run.returncode not in (0, 1):
        raise RuntimeError(f"{capture}: demarc exit {run.returncode}: {run.stderr.strip()[:300]}")
    return [json.loads(line) for line in run.stdout.splitlines() if line.strip()]


# demarc's transport names and their IP protocol numbers.
PROTO = {"icmp": 1, "igmp": 2, "ipip": 4, "tcp": 6, "udp": 17, "dccp": 33, "ipv6-in-ip": 41, "gre": 47,
         "esp": 50, "ah": 51, "icmpv6": 58, "eigrp": 88, "ospf": 89, "pim": 103, "vrrp": 112, "l2tp": 115,
         "sctp": 132, "udplite": 136}
# IANA's keywords (lowercase) where they differ from demarc's names: what ECS's
# network.transport and OCSF's protocol_name carry.
IANA = {"icmpv6": "ipv6-icmp", "ipip": "ipv4", "ipv6-in-ip": "ipv6", "ospf": "ospfigp"}


def iana_keyword(transport):
    """The IANA keyword a flow's transport must be written as (None for `fragment`, whose
    datagrams' protocol the report does not name)."""
    if transport == "fragment":
        return None
    return IANA.get(transport, transport)
