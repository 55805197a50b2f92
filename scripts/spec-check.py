#!/usr/bin/env python3
"""A second reading of SCENARIO.md, written apart from Sources/DemarcScenario: it replays
captures with demarc against random scenarios and recomputes, from the spec alone, each
flow's places (zone, node), segment, transit path, responsible party, matched rule and
findings, and the summary's segment counts. demarc must agree on every flow.

What it takes from demarc's jsonl is what the spec does not decide: the flow itself
(addresses, ports, transport, client/server orientation, first and last packet), its
encryption state, weak encryption and credentials. The link-layer destination of each
flow's first packet is read with tshark, not from demarc.

    scripts/spec-check.py --demarc .build/release/demarc [--corpus DIR] [--scenarios N] [--seed S] CAPTURE...

Exit 0 when demarc agrees on every flow; 1 with the disagreements listed otherwise.
"""
import argparse
import datetime
import ipaddress
import json
import os
import random
import subprocess
import sys
import tempfile

AS_OF = "2026-12-01"
SEGMENTS = ["internal", "egress", "ingress", "transit", "external", "link"]
PARTIES = ["provider", "customer", "shared"]
DEFAULT_PARTY = {"internal": "provider", "egress": "customer", "ingress": "customer",
                 "transit": "customer", "external": "customer"}
DEFAULT_REQUIRED = {"internal": True, "egress": True, "transit": True, "ingress": False, "external": False}
FILTERED = ["egress", "ingress", "transit", "external"]
CODES = ["unencrypted-internal", "unencrypted-egress", "unencrypted-ingress", "unencrypted-transit",
         "unencrypted-external", "denied-traffic-observed", "unfiltered-ingress", "unfiltered-egress",
         "unfiltered-transit", "unfiltered-external", "weak-encryption", "unverified-encryption",
         "cleartext-credentials"]
PROTO = {"icmp": 1, "tcp": 6, "udp": 17, "esp": 50, "icmpv6": 58, "sctp": 132}

# REPORT.md's built-in scenario: private, loopback and link-local ranges are the
# customer's `local` zone, all else `internet`; nothing required, no filters, no nodes.
BUILT_IN = {
    "nodes": {},
    "zones": {"local": {"owner": "customer", "cidrs": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8",
                                                        "169.254.0.0/16", "fc00::/7", "::1/128", "fe80::/10"]},
              "internet": {"owner": "external", "cidrs": ["0.0.0.0/0", "::/0"]}},
    "encryption": {s: "optional" for s in DEFAULT_REQUIRED},
}


# ---- the spec -------------------------------------------------------------------------

class Spec:
    """One scenario, as SCENARIO.md reads it."""

    def __init__(self, sc):
        self.nodes = {}                       # address -> node name
        for name, n in (sc.get("nodes") or {}).items():
            for a in n["addresses"]:
                self.nodes[ipaddress.ip_address(a)] = name
        self.zones = {}
        for name, z in (sc.get("zones") or {}).items():
            self.zones[name] = {"owner": z["owner"], "cidrs": [ipaddress.ip_network(c, strict=False) for c in z["cidrs"]],
                                "sensitive": z.get("sensitive", False), "via": z.get("via")}
        self.party = dict(DEFAULT_PARTY)
        self.party.update(sc.get("responsibility") or {})
        self.required = dict(DEFAULT_REQUIRED)
        for k, v in (sc.get("encryption") or {}).items():
            self.required[k] = v == "required"
        self.filters = sc.get("filters") or {}
        self.accept = sc.get("accept") or []
        self.as_of = datetime.date.fromisoformat(AS_OF)

    def place(self, ip):
        """(place name, node name or None, provider-operated, zone or None)."""
        if ip in self.nodes:
            return self.nodes[ip], self.nodes[ip], True, None
        best, best_len = None, -1
        for name, z in self.zones.items():
            for c in z["cidrs"]:
                if c.version == ip.version and ip in c and c.prefixlen > best_len:
                    best, best_len = name, c.prefixlen
        if best is None:
            return "unknown", None, False, None
        return best, None, self.zones[best]["owner"] == "provider", best

    @staticmethod
    def group_or_unspecified(ip):
        return ip.is_multicast or ip == ipaddress.ip_address("255.255.255.255") or ip.is_unspecified

    @staticmethod
    def link_local(ip):
        nets = [ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10")]
        return any(ip.version == n.version and ip in n for n in nets)

    def addr_matches(self, entry, ip, place, path_node):
        name, node, _, zone = place
        if entry == "any":
            return True
        if entry == "unknown":
            return node is None and zone is None
        if entry in self.zones:
            return node is None and zone == entry
        if entry in self.node_names():
            return node == entry or path_node == entry
        net = ipaddress.ip_network(entry, strict=False)
        return net.version == ip.version and ip in net

    def node_names(self):
        return set(self.nodes.values())

    @staticmethod
    def port_matches(spec, proto, port):
        if spec == "any":
            return True
        if "/" not in spec:
            return proto == PROTO[spec]
        t, r = spec.split("/")
        if proto != PROTO[t] or port is None:
            return False
        lo, _, hi = r.partition("-")
        return int(lo) <= port <= int(hi or lo)

    def within(self, entry, flow, cplace, splace, path):
        def as_list(v):
            return [v] if isinstance(v, str) else v
        enters, leaves = (path["enters"], path["leaves"]) if path else (None, None)
        if not any(self.addr_matches(e, flow["cip"], cplace, enters) for e in as_list(entry.get("from", "any"))):
            return False
        if not any(self.addr_matches(e, flow["sip"], splace, leaves) for e in as_list(entry.get("to", "any"))):
            return False
        return any(self.port_matches(p, flow["proto"], flow["sport"]) for p in as_list(entry.get("ports", "any")))

    def judge(self, flow):
        c, s = flow["cip"], flow["sip"]
        cplace, splace = self.place(c), self.place(s)
        out = {"client": (cplace[0], cplace[1]), "server": (splace[0], splace[1]), "path": None, "rule": None}
        cg, sg = self.group_or_unspecified(c), self.group_or_unspecified(s)
        # 1. link.
        if cg or sg or flow["group"] or (self.link_local(c) and self.link_local(s)):
            end = splace if (cg and not sg) else cplace
            party = self.party.get("link") or ("provider" if end[2] else "customer")
            out.update(segment="link", responsible=party)
            findings = [("cleartext-credentials", "critical", party)] if flow["credentials"] else []
            out["findings"] = self.accepted(findings, flow, cplace, splace, None)
            return out
        # 2. by provider operation.
        path = None
        if cplace[2] and splace[2]:
            seg = "internal"
        elif cplace[2]:
            seg = "egress"
        elif splace[2]:
            seg = "ingress"
        else:
            # 3. transit, 4. external.
            seg = "external"
            cvia = self.zones[cplace[3]]["via"] if cplace[3] else None
            svia = self.zones[splace[3]]["via"] if splace[3] else None
            if cplace[0] != splace[0] and (cvia or svia):
                seg = "transit"
                path = {"enters": cvia or svia, "leaves": svia or cvia}
        party = self.party[seg]
        rule = None
        unfiltered = False
        if seg in self.filters:
            f = self.filters[seg] or {}
            for i, r in enumerate(f.get("rules") or []):
                if self.within(r, flow, cplace, splace, path):
                    rule = dict(r, name=r.get("name", f"{seg}-{i + 1}"))
                    break
            if rule is None and f.get("default", "deny") == "deny":
                unfiltered = True
        if rule and rule.get("responsible"):
            party = rule["responsible"]
        findings = []
        action = rule.get("action", "allow") if rule else None
        if action == "deny":
            findings.append(("denied-traffic-observed", "critical"))
        if unfiltered:
            findings.append((f"unfiltered-{seg}", "high" if seg == "ingress" else "medium"))
        sensitive = any(p[3] and self.zones[p[3]]["sensitive"] for p in (cplace, splace))
        required = self.required.get(seg, False) or sensitive
        accepted = action == "allow" and rule.get("cleartext") == "accepted"
        if required and not accepted:
            if flow["state"] == "cleartext":
                findings.append((f"unencrypted-{seg}", "critical" if seg == "internal" else "high"))
            elif flow["state"] == "unknown":
                findings.append(("unverified-encryption", "low"))
        if flow["weak"]:
            findings.append(("weak-encryption", "medium"))
        if flow["credentials"]:
            findings.append(("cleartext-credentials", "critical"))
        findings = [(code, sev, party) for code, sev in findings]
        out.update(segment=seg, path=path, responsible=party,
                   rule=None if rule is None else {"segment": seg, "name": rule["name"], "action": action,
                                                   "responsible": rule.get("responsible")},
                   findings=self.accepted(findings, flow, cplace, splace, path))
        return out

    def accepted(self, findings, flow, cplace, splace, path):
        out = []
        for code, sev, party in findings:
            acc = None
            for a in self.accept:
                if a["finding"] == code and self.within(a, flow, cplace, splace, path):
                    acc = (a["owner"], self.as_of > datetime.date.fromisoformat(a["until"]))
                    break
            out.append((code, sev, party, acc))
        return sorted(out)


def demarc_view(f):
    rule = f["rule"]
    return {"client": (f["client"]["zone"], f["client"]["node"]), "server": (f["server"]["zone"], f["server"]["node"]),
            "segment": f["segment"], "path": f.get("path"), "responsible": f["responsible"],
            "rule": None if rule is None else {"segment": rule["segment"], "name": rule["name"], "action": rule["action"],
                                               "responsible": rule.get("responsible")},
            "findings": sorted((x["code"], x["severity"], x["party"],
                                (x["accepted"]["owner"], x["accepted"]["expired"]) if x.get("accepted") else None)
                               for x in f["findings"])}


# ---- the first packet's link-layer destination, by tshark ----------------------------

WRAPPERS = {"pktap", "ppi", "radiotap", "wlan_radio", "juniper"}
PORT_FIELDS = ["tcp", "udp", "sctp", "dccp"]


def first_packets(capture):
    """Packets by address pair: (frame number, time in µs, group bit or None, ports)."""
    fields = ["frame.number", "frame.time_epoch", "frame.protocols", "eth.dst.ig", "wlan.da", "sll.pkttype",
              "ip.src", "ip.dst", "ipv6.src", "ipv6.dst"]
    for t in PORT_FIELDS:
        fields += [f"{t}.srcport", f"{t}.dstport"]
    cmd = ["tshark", "-n", "-r", capture, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, errors="replace").stdout
    index = {}
    for line in out.splitlines():
        v = line.split("\t")
        if len(v) < len(fields):
            continue
        num, epoch, protos, ethig, wlanda, slltype = v[:6]
        sec, _, frac = epoch.partition(".")
        micros = int(sec) * 1_000_000 + int((frac + "000000")[:6])
        layers = [p for p in protos.split(":") if p not in WRAPPERS]
        group = None
        if layers and layers[0] == "eth":
            group = ethig == "1"
        elif layers and layers[0] == "wlan":
            group = bool(wlanda) and int(wlanda.split(":")[0], 16) & 1 == 1
        elif layers and layers[0] == "sll":
            group = slltype in ("1", "2")
        else:
            group = False
        ports = None
        for i in range(len(PORT_FIELDS)):
            sp, dp = v[10 + 2 * i], v[11 + 2 * i]
            if sp and dp:
                ports = (int(sp), int(dp))
                break
        for fam, (a, b) in (("4", v[6:8]), ("6", v[8:10])):
            if a and b:
                try:
                    pa, pb = ipaddress.ip_address(a), ipaddress.ip_address(b)
                except ValueError:
                    continue
                key = frozenset([pa, pb])
                index.setdefault(key, []).append((int(num), micros, group, (pa, pb), ports))
    return index


def flow_group(index, flow, timed=True):
    """The group bit of the flow's first packet (by frame order, among the packets of its
    addresses and ports within its first and last packet's times, or, `timed` False, at
    any time), or None where tshark shows no such packet."""
    best = None
    for num, micros, group, (a, b), ports in index.get(frozenset([flow["cip"], flow["sip"]]), []):
        if timed and not flow["first"] - 1 <= micros <= flow["last"] + 1:
            continue
        if flow["cport"] is not None:
            want = {(flow["cip"], flow["cport"], flow["sip"], flow["sport"]), (flow["sip"], flow["sport"], flow["cip"], flow["cport"])}
            if ports is None or (a, ports[0], b, ports[1]) not in want:
                continue
        if best is None or num < best[0]:
            best = (num, group)
    return None if best is None else best[1]


# ---- random scenarios ------------------------------------------------------------------

def random_scenario(rng, addresses, ports):
    addrs = sorted(addresses, key=lambda a: (a.version, a))
    sc = {"scenario": "random", "nodes": {}, "zones": {}}
    claimed = set()
    node_names = []
    for i in range(rng.randint(1, 4)):
        pick = [a for a in rng.sample(addrs, min(len(addrs), rng.randint(1, 2))) if a not in claimed]
        if not pick:
            continue
        claimed.update(pick)
        name = f"node{i + 1}"
        node_names.append(name)
        sc["nodes"][name] = {"role": rng.choice(["edge", "gateway"]), "addresses": [str(a) for a in pick]}
    cidrs = set()
    zone_names = []
    for i in range(rng.randint(2, 7)):
        mine = []
        for _ in range(rng.randint(1, 2)):
            a = rng.choice(addrs)
            length = rng.choice([8, 16, 20, 24, 28, 32] if a.version == 4 else [16, 32, 48, 64, 96, 128])
            net = ipaddress.ip_network(f"{a}/{length}", strict=False)
            if net not in cidrs:
                cidrs.add(net)
                mine.append(str(net))
        if not mine:
            continue
        name = f"zone{i + 1}"
        zone_names.append(name)
        z = {"owner": rng.choices(["provider", "customer", "external"], [1, 3, 2])[0], "cidrs": mine}
        if node_names and rng.random() < 0.5:
            z["via"] = rng.choice(node_names)
        if rng.random() < 0.2:
            z["sensitive"] = True
        sc["zones"][name] = z
    if rng.random() < 0.7:
        z = {"owner": "external", "cidrs": [c for c in ["0.0.0.0/0", "::/0"] if ipaddress.ip_network(c) not in cidrs]}
        if z["cidrs"]:
            if node_names and rng.random() < 0.5:
                z["via"] = rng.choice(node_names)
            sc["zones"]["internet"] = z
            zone_names.append("internet")
    resp = {s: rng.choice(PARTIES) for s in SEGMENTS if rng.random() < 0.4}
    if resp:
        sc["responsibility"] = resp
    enc = {s: rng.choice(["required", "optional"]) for s in DEFAULT_REQUIRED if rng.random() < 0.4}
    if enc:
        sc["encryption"] = enc

    def addresses_entry():
        out = []
        for _ in range(rng.randint(1, 2)):
            kind = rng.choice(["any", "node", "node", "zone", "zone", "unknown", "ip", "cidr"])
            if kind == "node" and node_names:
                out.append(rng.choice(node_names))
            elif kind == "zone" and zone_names:
                out.append(rng.choice(zone_names))
            elif kind == "ip":
                out.append(str(rng.choice(addrs)))
            elif kind == "cidr":
                a = rng.choice(addrs)
                out.append(str(ipaddress.ip_network(f"{a}/{rng.choice([8, 16, 24] if a.version == 4 else [32, 64])}", strict=False)))
            elif kind == "unknown":
                out.append("unknown")
            else:
                out.append("any")
        return out

    def ports_entry():
        choices = ["any", "tcp/443", "udp/53", "tcp/80", "tcp/1-1024", "udp/1000-65535", "icmp", "icmpv6", "esp"]
        choices += [f"{t}/{p}" for t, p in ports]
        return rng.sample(choices, min(len(choices), rng.randint(1, 3)))

    filters = {}
    for seg in FILTERED:
        if rng.random() >= 0.6:
            continue
        fs = {"default": rng.choice(["deny", "deny", "allow"]), "rules": []}
        for i in range(rng.randint(0, 5)):
            r = {"name": f"{seg}-r{i + 1}"}
            if rng.random() < 0.8:
                r["from"] = addresses_entry()
            if rng.random() < 0.8:
                r["to"] = addresses_entry()
            if rng.random() < 0.7:
                r["ports"] = ports_entry()
            if rng.random() < 0.25:
                r["action"] = "deny"
            elif rng.random() < 0.25:
                r["cleartext"] = "accepted"
            if rng.random() < 0.35:
                r["responsible"] = rng.choice(PARTIES)
            fs["rules"].append(r)
        filters[seg] = fs
    if filters:
        sc["filters"] = filters
    acc = []
    for _ in range(rng.randint(0, 3)):
        a = {"finding": rng.choice(CODES), "owner": f"team{rng.randint(1, 9)}", "reason": "test",
             "until": rng.choice(["2026-06-30", "2027-06-30"])}
        for k in ("from", "to"):
            if rng.random() < 0.6:
                a[k] = addresses_entry()
        if rng.random() < 0.4:
            a["ports"] = ports_entry()
        acc.append(a)
    if acc:
        sc["accept"] = acc
    return sc


# ---- running -----------------------------------------------------------------------------

def replay(demarc, capture, scenario_path):
    cmd = [demarc, "replay", capture, "--format", "jsonl", "--as-of", AS_OF, "--no-progress"]
    if scenario_path:
        cmd += ["--scenario", scenario_path]
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if p.returncode not in (0, 1):
        return None, p.stderr.strip()
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    return lines, None


def iso_micros(t):
    d = datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
    return int(d.timestamp()) * 1_000_000 + d.microsecond


def flow_key(f):
    return (f["transport"], frozenset([(f["client"]["ip"], f["client"]["port"]), (f["server"]["ip"], f["server"]["port"])]))


def flow_input(f, index, alone):
    """The flow as the spec needs it. `alone`: no other flow of the replay has its
    addresses and ports, so where tshark reads a packet's time otherwise than libpcap (an
    invalid microsecond field), its first packet is found without the time."""
    proto = PROTO.get(f["transport"])
    flow = {"cip": ipaddress.ip_address(f["client"]["ip"]), "sip": ipaddress.ip_address(f["server"]["ip"]),
            "cport": f["client"]["port"], "sport": f["server"]["port"], "proto": proto,
            "first": iso_micros(f["first_seen"]), "last": iso_micros(f["last_seen"]),
            "state": f["encryption"]["state"], "weak": bool(f["encryption"].get("weak")),
            "credentials": bool(f.get("credentials"))}
    flow["group"] = flow_group(index, flow)
    if flow["group"] is None and alone:
        flow["group"] = flow_group(index, flow, timed=False)
    return flow


def check(demarc, capture, scenario, scenario_path, index, stats, problems, label):
    lines, error = replay(demarc, capture, scenario_path)
    if lines is None:
        problems.append(f"{label}: demarc failed: {error}")
        return None
    spec = Spec(scenario)
    flows = [l for l in lines if l["type"] == "flow"]
    summary = next((l for l in lines if l["type"] == "summary"), None)
    counts = {s: 0 for s in SEGMENTS}
    keys = {}
    for f in flows:
        keys[flow_key(f)] = keys.get(flow_key(f), 0) + 1
    for f in flows:
        flow = flow_input(f, index, keys[flow_key(f)] == 1)
        if flow["group"] is None:
            stats["no_first_packet"] += 1
            flow["group"] = False
        if flow["proto"] is None:
            # Transports no rule names by themselves (a `fragment` flow's is not shown).
            flow["proto"] = -1
            stats["fragments"] += f["transport"] == "fragment"
        expected = spec.judge(flow)
        got = demarc_view(f)
        counts[expected["segment"]] += 1
        stats["flows"] += 1
        stats["segments"][got["segment"]] = stats["segments"].get(got["segment"], 0) + 1
        diffs = [k for k in ("client", "server", "segment", "path", "responsible", "rule", "findings") if expected[k] != got[k]]
        if diffs:
            problems.append(f"{label} flow {f['id']} ({f['transport']} {f['client']['ip']}:{f['client']['port']} → "
                            f"{f['server']['ip']}:{f['server']['port']}): "
                            + "; ".join(f"{k}: spec {expected[k]!r}, demarc {got[k]!r}" for k in diffs))
    if summary is not None:
        got = {s: summary["summary"]["segments"].get(s, {}).get("flows") for s in SEGMENTS}
        if got != counts:
            problems.append(f"{label}: summary.segments {got}, spec {counts}")
    return flows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--demarc", required=True)
    ap.add_argument("--corpus", help="a folder of captures to check as well (e.g. ../shared/corpus/ndpi/pcap)")
    ap.add_argument("--scenarios", type=int, default=3, help="random scenarios per capture")
    ap.add_argument("--seed", type=int, default=28)
    ap.add_argument("--keep", help="a folder to keep the scenarios of failed checks in")
    ap.add_argument("captures", nargs="*")
    a = ap.parse_args()
    captures = list(a.captures)
    if a.corpus:
        captures += sorted(os.path.join(a.corpus, n) for n in os.listdir(a.corpus)
                           if n.endswith((".pcap", ".pcapng", ".cap")))
    rng = random.Random(a.seed)
    stats = {"captures": 0, "replays": 0, "flows": 0, "no_first_packet": 0, "fragments": 0, "segments": {}}
    problems = []
    tmp = tempfile.mkdtemp(prefix="spec-check-")
    try:
        import yaml
    except ImportError:
        yaml = None
    for cap in captures:
        index = first_packets(cap)
        label = os.path.basename(cap)
        flows = check(a.demarc, cap, BUILT_IN, None, index, stats, problems, f"{label} (built-in)")
        stats["replays"] += 1
        if not flows:
            continue
        stats["captures"] += 1
        addresses = {ipaddress.ip_address(f[e]["ip"]) for f in flows for e in ("client", "server")}
        ports = sorted({(f["transport"], f["server"]["port"]) for f in flows
                        if f["server"]["port"] is not None and f["transport"] in ("tcp", "udp")})
        for n in range(a.scenarios):
            sc = random_scenario(rng, addresses, ports)
            path = os.path.join(tmp, f"s{n}.yaml")
            with open(path, "w") as fh:
                fh.write(yaml.safe_dump(sc, sort_keys=False) if yaml else json.dumps(sc, indent=1))
            before = len(problems)
            check(a.demarc, cap, sc, path, index, stats, problems, f"{label} scenario {n}")
            stats["replays"] += 1
            if len(problems) > before and a.keep:
                os.makedirs(a.keep, exist_ok=True)
                with open(os.path.join(a.keep, f"{label}-{n}.yaml"), "w") as fh:
                    fh.write(open(path).read())
    print(f"spec-check: {stats['captures']} captures, {stats['replays']} replays, {stats['flows']} flows judged; "
          f"segments seen {dict(sorted(stats['segments'].items()))}; "
          f"{stats['no_first_packet']} flows whose first packet tshark did not show; "
          f"{len(problems)} disagreements")
    for p in problems[:50]:
        print("  " + p)
    if len(problems) > 50:
        print(f"  … and {len(problems) - 50} more")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
