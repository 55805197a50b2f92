#!/usr/bin/env python3
"""demarc's `--format ecs` against ECS's field list (ecs_flat.yml, ECS 9.4.0).

For every capture (bundled ones under their scenarios, a corpus's under the built-in
one) each document is flattened to dotted names and:
  - every name outside `demarc.*` must be an ECS field;
  - every value must fit its field's type (ip, long, keyword, date, boolean…), be an
    array only where ECS normalizes the field to one, and be one of the field's allowed
    or expected values where ECS lists them;
  - ECS's required fields (@timestamp, ecs.version) must be there.
Then the documents are checked against the same run's jsonl report: one `event` per
flow and one `alert` per finding, with the flow's addresses, ports, counts, times,
community ID, direction (from the segment, as docs/formats.md maps it) and rule.

  test-ecs.py --demarc BIN --ecs ecs_flat.yml [--corpus DIR]
"""
import argparse
import datetime
import ipaddress
import sys

import yaml

from siemtest import PROTO, captures, iana_keyword, replay

DIRECTION = {"ingress": "inbound", "egress": "outbound", "internal": "internal", "external": "external",
             "transit": "external", "link": "unknown"}
SEVERITY = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
INT64 = (-(1 << 63), (1 << 63) - 1)


def flatten(doc, prefix=""):
    for k, v in doc.items():
        name = prefix + k
        if isinstance(v, dict) and not name.startswith("demarc"):
            yield from flatten(v, name + ".")
        else:
            yield name, v


def fits(kind, v):
    """Whether one value fits an ECS field type."""
    if kind in ("keyword", "constant_keyword", "wildcard", "match_only_text", "text"):
        return isinstance(v, str)
    if kind in ("long", "integer", "short", "byte", "unsigned_long"):
        return isinstance(v, int) and not isinstance(v, bool) and INT64[0] <= v <= INT64[1]
    if kind in ("float", "half_float", "scaled_float", "double"):
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if kind == "boolean":
        return isinstance(v, bool)
    if kind == "ip":
        try:
            ipaddress.ip_address(v)
            return True
        except (ValueError, TypeError):
            return False
    if kind == "date":
        try:
            datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
            return isinstance(v, str)
        except (ValueError, AttributeError, TypeError):
            return False
    if kind in ("object", "flattened", "nested"):
        return isinstance(v, (dict, list))
    raise ValueError(f"type {kind} not handled")


def check_fields(doc, ecs, where):
    bad = []
    names = dict(flatten(doc))
    for required in (n for n, f in ecs.items() if f.get("required")):
        if required not in names:
            bad.append(f"{where}: required field {required} missing")
    for name, v in names.items():
        if name == "demarc" or name.startswith("demarc."):
            continue
        f = ecs.get(name)
        if f is None:
            bad.append(f"{where}: {name} is not an ECS 9.4.0 field")
            continue
        values = v if isinstance(v, list) else [v]
        if isinstance(v, list) and "array" not in (f.get("normalize") or []):
            bad.append(f"{where}: {name} is an array; ECS does not normalize it to one")
        allowed = [a["name"] for a in f.get("allowed_values") or []] or f.get("expected_values")
        for x in values:
            if not fits(f["type"], x):
                bad.append(f"{where}: {name}={x!r} is not of ECS type {f['type']}")
            elif allowed and x not in allowed:
                bad.append(f"{where}: {name}={x!r} is not one of ECS's values {allowed}")
    return bad


def micros(t):
    d = datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
    return int(d.timestamp()) * 1_000_000 + d.microsecond


def check_against_flow(doc, flow, where):
    """The flow's document says what the jsonl report says of the same flow."""
    bad = []

    def same(what, got, want):
        if got != want:
            bad.append(f"{where}: {what} is {got!r}, the flow's is {want!r}")

    c, s = flow["client"], flow["server"]
    same("source.ip", doc["source"]["ip"], c["ip"])
    same("source.port", doc["source"].get("port"), c["port"])
    same("destination.ip", doc["destination"]["ip"], s["ip"])
    same("destination.port", doc["destination"].get("port"), s["port"])
    same("source.bytes", doc["source"]["bytes"], flow["bytes"]["to_server"])
    same("destination.bytes", doc["destination"]["bytes"], flow["bytes"]["to_client"])
    same("source.packets", doc["source"]["packets"], flow["packets"]["to_server"])
    same("destination.packets", doc["destination"]["packets"], flow["packets"]["to_client"])
    net = doc["network"]
    same("network.bytes", net["bytes"], flow["bytes"]["to_server"] + flow["bytes"]["to_client"])
    same("network.packets", net["packets"], flow["packets"]["to_server"] + flow["packets"]["to_client"])
    if flow["transport"] != "fragment":
        same("network.transport", net["transport"], iana_keyword(flow["transport"]))
        proto = PROTO.get(flow["transport"]) or int(flow["transport"].removeprefix("ip-"))
        same("network.iana_number", net["iana_number"], str(proto))
    same("network.protocol", net.get("protocol"), flow["application"])
    same("network.community_id", net.get("community_id"), flow["community_id"])
    same("network.direction", net["direction"], DIRECTION[flow["segment"]])
    same("event.start", doc["event"]["start"], flow["first_seen"])
    same("event.end", doc["event"]["end"], flow["last_seen"])
    same("event.duration", doc["event"]["duration"], (micros(flow["last_seen"]) - micros(flow["first_seen"])) * 1000)
    same("related.ip", sorted(set(doc["related"]["ip"])), sorted({c["ip"], s["ip"]}))
    rule = flow["rule"]
    same("rule.name", doc.get("rule", {}).get("name"), rule and rule["name"])
    want_type = ["connection"] + ([] if not rule else ["denied" if rule["action"] == "deny" else "allowed"])
    same("event.type", doc["event"]["type"], want_type)
    same("demarc.segment", doc["demarc"]["segment"], flow["segment"])
    same("demarc.responsible", doc["demarc"]["responsible"], flow["responsible"])
    same("demarc.encryption.basis", doc["demarc"]["encryption"]["basis"], flow["encryption"]["basis"])
    kinds = [cr["kind"] for cr in flow.get("credentials") or []]
    same("demarc.credentials", doc["demarc"].get("credentials", []), kinds)
    enc = flow["encryption"]
    if enc["protocol"] in ("tls", "dtls"):
        tls = doc.get("tls", {})
        same("tls.version_protocol", tls.get("version_protocol"), enc["protocol"])
        same("tls.version", tls.get("version"), enc["version"] and enc["version"].split(" ")[-1])
        same("tls.client.server_name", tls.get("client", {}).get("server_name"), enc["sni"])
        cert = enc.get("certificate")
        if cert:
            same("tls.server.hash.sha256", tls["server"]["hash"]["sha256"], cert["sha256"])
    elif "tls" in doc:
        bad.append(f"{where}: tls.* on a flow that is not TLS")
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demarc", required=True)
    ap.add_argument("--ecs", required=True, help="ECS's ecs_flat.yml")
    ap.add_argument("--corpus")
    a = ap.parse_args()
    with open(a.ecs) as fh:
        ecs = yaml.safe_load(fh)

    failures, events, alerts, names = [], 0, 0, set()
    runs = captures(a.corpus)
    for capture, scenario in runs:
        docs = replay(a.demarc, capture, scenario, "ecs")
        flows = [f for f in replay(a.demarc, capture, scenario, "jsonl") if f.get("type") == "flow"]
        by_id = {f["id"]: f for f in flows}
        seen_events, seen_alerts = set(), []
        for i, doc in enumerate(docs):
            where = f"{capture} document {i + 1}"
            failures += check_fields(doc, ecs, where)
            names.update(n for n, _ in flatten(doc))
            fid = doc.get("demarc", {}).get("flow_id")
            flow = by_id.get(fid)
            if flow is None:
                failures.append(f"{where}: demarc.flow_id {fid} names no flow of the jsonl report")
                continue
            if doc.get("observer", {}).get("name") != flow.get("sensor"):
                failures.append(f"{where}: observer.name {doc.get('observer')} for the flow's sensor {flow.get('sensor')}")
            kind = doc["event"]["kind"]
            if kind == "event":
                events += 1
                seen_events.add(fid)
                failures += check_against_flow(doc, flow, where)
            elif kind == "alert":
                alerts += 1
                seen_alerts.append((fid, doc["rule"]["name"], doc["event"]["severity"], doc["demarc"]["party"],
                                    doc["message"], doc.get("network", {}).get("community_id")))
            else:
                failures.append(f"{where}: event.kind {kind}")
        want_alerts = [(f["id"], x["code"], SEVERITY[x["severity"]], x["party"], x["message"], f["community_id"])
                       for f in flows for x in f["findings"]]
        if seen_events != set(by_id):
            failures.append(f"{capture}: {len(seen_events)} event documents for {len(by_id)} flows")
        if seen_alerts != want_alerts:
            failures.append(f"{capture}: the alerts are not one per finding, in order, with its code, "
                            f"severity, party, message and flow ({len(seen_alerts)} for {len(want_alerts)})")
    for line in failures[:40]:
        print("FAIL", line)
    print(f"ecs: {len(runs)} captures, {events} flow documents, {alerts} alert documents, {len(names)} field names; "
          f"{len(failures)} problems")
    sys.exit(1 if failures or events == 0 else 0)


if __name__ == "__main__":
    main()
