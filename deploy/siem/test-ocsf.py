#!/usr/bin/env python3
"""demarc's `--format ocsf` against the OCSF 1.8.0 schema, compiled by PyPI's ocsf-lib.

The schema source (../shared/standards/ocsf) is compiled with `python -m ocsf.compile`
(every profile and extension, as ocsf-lib does by default). Then, for every event of
every capture (bundled ones under their scenarios, a corpus's under the built-in one):
  - its class (class_uid), category_uid, and type_uid = class_uid * 100 + activity_id
    must agree with the compiled class;
  - every attribute, at every depth, must be one the class or object has (`unmapped`'s
    content aside), and a profile's attribute only where metadata.profiles names it;
  - every required attribute must be there, and each object's at_least_one / just_one
    constraint must hold (the object's own, from the source: see Schema);
  - every value must fit its type (string_t, integer_t, long_t, boolean_t… and the
    derived types' base type, range, regex and max_len), be an array exactly where the
    attribute is one, and be one of its enum ids where it has an enum.
Then the events are checked against the same run's jsonl report: one Network Activity
per flow (endpoints, traffic, Community ID, direction from the segment) and one
Detection Finding per finding, whose evidence names the flow.

  test-ocsf.py --demarc BIN --schema DIR [--corpus DIR]
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

from siemtest import captures, iana_keyword, replay

DIRECTION = {"ingress": 1, "egress": 2, "internal": 3, "external": 99, "transit": 99, "link": 0}
SEVERITY = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}


class Schema:
    def __init__(self, compiled, source):
        self.s = compiled
        # ocsf-lib 0.10.4 gives an object that extends another (network_endpoint extends
        # endpoint extends _entity) its base's constraint in place of its own (13 objects
        # of 1.8.0: network_endpoint's `at_least_one` of ip, uid, name, hostname… comes
        # out as _entity's name or uid). Each object's own constraint, from the schema
        # source, is the one checked.
        self.own_constraints = {}
        for path in glob.glob(os.path.join(source, "objects", "*.json")):
            with open(path) as fh:
                d = json.load(fh)
            if d.get("constraints"):
                self.own_constraints[d["name"]] = d["constraints"]
        self.classes = {c["uid"]: c for c in compiled["classes"].values()}
        self.objects = compiled["objects"]
        self.types = compiled["types"]
        self.categories = {c["uid"] for c in compiled["categories"].values()} if compiled.get("categories") else None

    def base(self, t):
        """A scalar type's base type and its constraints (range, regex, max_len, values)."""
        info = self.types.get(t, {})
        b = info.get("type") or t
        return b, info

    def fits(self, t, v):
        base, info = self.base(t)
        ok = {
            "string_t": lambda x: isinstance(x, str),
            "integer_t": lambda x: isinstance(x, int) and not isinstance(x, bool) and -(1 << 31) <= x < (1 << 31),
            "long_t": lambda x: isinstance(x, int) and not isinstance(x, bool) and -(1 << 63) <= x < (1 << 63),
            "boolean_t": lambda x: isinstance(x, bool),
            "float_t": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
            "json_t": lambda x: True,
        }.get(base)
        if ok is None:
            return f"type {t} (base {base}) not handled"
        if not ok(v):
            return f"{v!r} is not {t} ({base})"
        if info.get("range") and not (info["range"][0] <= v <= info["range"][1]):
            return f"{v!r} outside {t}'s range {info['range']}"
        if info.get("max_len") and len(v) > info["max_len"]:
            return f"{v!r} longer than {t}'s {info['max_len']}"
        if info.get("regex") and not re.match(info["regex"], v):
            return f"{v!r} does not match {t}'s pattern"
        if info.get("values") and v not in info["values"]:
            return f"{v!r} not one of {t}'s values"
        return None

    def check_attrs(self, obj, attrs, constraints, profiles, where, bad):
        for name, v in obj.items():
            a = attrs.get(name)
            if a is None:
                bad.append(f"{where}.{name}: no such attribute")
                continue
            if a.get("profile") and a["profile"] not in profiles:
                bad.append(f"{where}.{name}: attribute of profile {a['profile']}, not in metadata.profiles")
            if name == "unmapped":
                if not isinstance(v, dict):
                    bad.append(f"{where}.unmapped is not an object")
                continue
            if a.get("is_array"):
                if not isinstance(v, list):
                    bad.append(f"{where}.{name}: {v!r} is not an array")
                    continue
                values = v
            else:
                if isinstance(v, list):
                    bad.append(f"{where}.{name}: an array where the attribute is not one")
                    continue
                values = [v]
            for i, x in enumerate(values):
                w = f"{where}.{name}" + (f"[{i}]" if a.get("is_array") else "")
                t = a["type"]
                if t in self.objects or t == "object_t":
                    kind = a.get("object_type") or t
                    target = self.objects.get(kind)
                    if not isinstance(x, dict) or target is None:
                        bad.append(f"{w}: {x!r} is not a {t} object")
                        continue
                    own = self.own_constraints.get(kind, target.get("constraints"))
                    self.check_attrs(x, target["attributes"], own, profiles, w, bad)
                    continue
                problem = self.fits(t, x)
                if problem:
                    bad.append(f"{w}: {problem}")
                elif a.get("enum") and str(x) not in a["enum"]:
                    bad.append(f"{w}: {x!r} is not one of its enum ids {sorted(a['enum'], key=int)}")
        for name, a in attrs.items():
            if a.get("requirement") == "required" and name not in obj and \
                    (not a.get("profile") or a["profile"] in profiles):
                bad.append(f"{where}: required attribute {name} missing")
        for kind, names in (constraints or {}).items():
            present = [n for n in names if n in obj]
            if kind == "at_least_one" and not present:
                bad.append(f"{where}: needs at least one of {names}")
            elif kind == "just_one" and len(present) != 1:
                bad.append(f"{where}: needs exactly one of {names}")

    def check(self, event, where):
        bad = []
        cls = self.classes.get(event.get("class_uid"))
        if cls is None:
            return [f"{where}: class_uid {event.get('class_uid')} is no OCSF class"]
        attrs = cls["attributes"]
        cat = attrs["category_uid"].get("enum") or {}
        if str(event.get("category_uid")) not in cat:
            bad.append(f"{where}: category_uid {event.get('category_uid')} is not {cls['name']}'s ({list(cat)})")
        if event.get("type_uid") != event.get("class_uid", 0) * 100 + event.get("activity_id", -1):
            bad.append(f"{where}: type_uid {event.get('type_uid')} is not class_uid * 100 + activity_id")
        profiles = set((event.get("metadata") or {}).get("profiles") or [])
        self.check_attrs(event, attrs, cls.get("constraints"), profiles, where + " " + cls["name"], bad)
        return bad


def check_against_flows(events, flows, capture):
    """One Network Activity per flow and one Detection Finding per finding, in order."""
    bad = []
    expected = []
    for f in flows:
        expected.append((4001, f["id"], None))
        expected += [(2004, f["id"], x) for x in f["findings"]]
    if len(events) != len(expected):
        return [f"{capture}: {len(events)} events for {len(expected)} flows and findings"]
    by_id = {f["id"]: f for f in flows}
    for i, (e, (cls, fid, finding)) in enumerate(zip(events, expected)):
        where = f"{capture} event {i + 1}"
        f = by_id[fid]
        info = e.get("connection_info") if cls == 4001 else (e.get("evidences") or [{}])[0].get("connection_info")
        src = e.get("src_endpoint") if cls == 4001 else e["evidences"][0].get("src_endpoint")
        dst = e.get("dst_endpoint") if cls == 4001 else e["evidences"][0].get("dst_endpoint")
        if f["transport"] != "fragment" and info and info.get("protocol_name") != iana_keyword(f["transport"]):
            bad.append(f"{where}: protocol_name {info.get('protocol_name')}, IANA's keyword for {f['transport']} "
                       f"is {iana_keyword(f['transport'])}")
        got = (e.get("class_uid"), info and info.get("uid"), info and info.get("community_uid"),
               info and info.get("direction_id"), src and src.get("ip"), src and src.get("port"),
               dst and dst.get("ip"), dst and dst.get("port"))
        want = (cls, str(fid), f["community_id"], DIRECTION[f["segment"]], f["client"]["ip"], f["client"]["port"],
                f["server"]["ip"], f["server"]["port"])
        if got != want:
            bad.append(f"{where}: {got} where the flow says {want}")
        if cls == 4001:
            t = e.get("traffic", {})
            counts = (t.get("bytes_out"), t.get("bytes_in"), t.get("packets_out"), t.get("packets_in"))
            if counts != (f["bytes"]["to_server"], f["bytes"]["to_client"], f["packets"]["to_server"],
                          f["packets"]["to_client"]):
                bad.append(f"{where}: traffic {counts} is not the flow's")
            worst = max((SEVERITY[x["severity"]] for x in f["findings"]), default=1)
            if e.get("severity_id") != worst:
                bad.append(f"{where}: severity_id {e.get('severity_id')}, the flow's worst finding is {worst}")
        else:
            fi = e.get("finding_info", {})
            if (fi.get("title"), e.get("severity_id"), e.get("message")) != \
                    (finding["code"], SEVERITY[finding["severity"]], finding["message"]):
                bad.append(f"{where}: finding {fi.get('title')} is not the flow's {finding['code']}")
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demarc", required=True)
    ap.add_argument("--schema", required=True, help="the OCSF schema source (a checkout of ocsf-schema)")
    ap.add_argument("--corpus")
    a = ap.parse_args()
    compiled = subprocess.run([sys.executable, "-m", "ocsf.compile", a.schema], capture_output=True, text=True, check=True)
    schema = Schema(json.loads(compiled.stdout), a.schema)
    print(f"ocsf: schema {schema.s['version']} compiled by ocsf-lib: {len(schema.classes)} classes, "
          f"{len(schema.objects)} objects")

    failures, counts = [], {4001: 0, 2004: 0}
    runs = captures(a.corpus)
    for capture, scenario in runs:
        events = replay(a.demarc, capture, scenario, "ocsf")
        flows = [f for f in replay(a.demarc, capture, scenario, "jsonl") if f.get("type") == "flow"]
        sensors = {f.get("sensor") for f in flows}
        for i, e in enumerate(events):
            failures += schema.check(e, f"{capture} event {i + 1}")
            if (e.get("device") or {}).get("name") not in sensors or ("device" in e) != (None not in sensors):
                failures.append(f"{capture} event {i + 1}: device {e.get('device')} for the flows' sensor {sensors}")
            counts[e.get("class_uid")] = counts.get(e.get("class_uid"), 0) + 1
        failures += check_against_flows(events, flows, capture)
    for line in failures[:40]:
        print("FAIL", line)
    print(f"ocsf: {len(runs)} captures, {counts[4001]} Network Activity, {counts[2004]} Detection Finding events; "
          f"{len(failures)} problems")
    sys.exit(1 if failures or counts[4001] == 0 else 0)


if __name__ == "__main__":
    main()
