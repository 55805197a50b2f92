#!/usr/bin/env python3
"""The ClickHouse flow store, tested in chDB (ClickHouse in-process, PyPI `chdb`): the
schema in schema.sql and every query in queries/ run over demarc's jsonl of each bundled
deployment, loaded unchanged with `INSERT INTO demarc_ingest FORMAT JSONEachRow`, and
their results must equal what demarc itself reported: its summary where it has the
figure, its flow lines where it does not.

  test-chdb.py --demarc BIN [--as-of DAY] [--corpus DIR]

One more input is iaas-vms with its VPC reached through the NAT gateway (`via`), so
transit paths and a rule's `responsible` are stored and queried too.

With --corpus, every capture under DIR is also replayed as one input (the built-in
scenario), and the same checks run over its flows: IPv6, ICMP without ports, flows no
inspector named.

Run by `make clickhouse-test` (which makes a virtual environment with chdb first).
Prints one line per check; exits 1 on the first difference.
"""
import argparse, collections, json, os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SEVERITIES = ["critical", "high", "medium", "low", "info"]


def statements(path):
    """The SQL statements of a file, comments aside (clickhouse-client --multiquery reads
    the same file as it is)."""
    text = "\n".join(line for line in open(path) if not line.lstrip().startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def query(session, name, **params):
    sql = statements(os.path.join(HERE, "queries", name + ".sql"))[0]
    out = session.query(sql, "JSONEachRow", params=params) if params else session.query(sql, "JSONEachRow")
    return [json.loads(line) for line in str(out).splitlines() if line.strip()]


class Check:
    def __init__(self, deployment):
        self.deployment, self.count = deployment, 0

    def equal(self, what, got, want):
        self.count += 1
        if got != want:
            print(f"FAIL {self.deployment}: {what}\n  ClickHouse: {got}\n  demarc:     {want}")
            sys.exit(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--demarc", required=True, help="the demarc binary")
    ap.add_argument("--as-of", default="2026-12-01", help="the day acceptances are judged against (as the goldens)")
    ap.add_argument("--corpus", help="a folder of captures replayed as one more input")
    a = ap.parse_args()
    from chdb import session as chdb_session
    import chdb
    # One embedded server per process: a database per deployment, each from the schema.
    s = chdb_session.Session(tempfile.mkdtemp())
    print(f"chDB {chdb.__version__}, ClickHouse {str(s.query('SELECT version()', 'CSV')).strip()}")

    deployments = sorted(n[:-5] for n in os.listdir(os.path.join(ROOT, "scenarios"))
                         if n.endswith(".yaml") and os.path.exists(os.path.join(ROOT, "captures", n[:-5] + ".pcap")))
    inputs = [(name, [f"captures/{name}.pcap", "--scenario", f"scenarios/{name}.yaml"]) for name in deployments]
    # Transit and a rule's `responsible`: iaas-vms with its VPC reached through the NAT
    # gateway (`via`) and its external rules judging transit instead.
    transit = os.path.join(tempfile.mkdtemp(), "iaas-vms-transit.yaml")
    with open(os.path.join(ROOT, "scenarios", "iaas-vms.yaml")) as f:
        text = f.read()
    edited = (text.replace("cidrs: [10.20.0.0/16]}", "cidrs: [10.20.0.0/16], via: nat-gw}")
              .replace("  external:\n    default: deny", "  transit:\n    default: deny")
              .replace("ports: [tcp/22]}", "ports: [tcp/22], responsible: shared}"))
    if edited.count("via: nat-gw") != 1 or "responsible: shared" not in edited or "  transit:" not in edited:
        sys.exit("scenarios/iaas-vms.yaml changed: update the transit input of test-chdb.py")
    with open(transit, "w") as f:
        f.write(edited)
    inputs.append(("iaas-vms-transit", ["captures/iaas-vms.pcap", "--scenario", transit]))
    # A gateway's report: every flow in the `sensor` column.
    inputs.append(("overlay-network-sensor", ["captures/overlay-network.pcap", "--scenario",
                                              "scenarios/overlay-network.yaml", "--sensor", "gw-a"]))
    if a.corpus:
        captures = sorted(os.path.join(d, f) for d, _, fs in os.walk(a.corpus) for f in fs
                          if f.endswith((".pcap", ".pcapng", ".cap")))
        inputs.append(("corpus", captures))
    total = 0
    for name, args in inputs:
        run = subprocess.run([a.demarc, "replay", *args, "--format", "jsonl", "--as-of", a.as_of, "--no-progress"],
                             cwd=ROOT, capture_output=True, text=True)
        if run.returncode not in (0, 1):
            sys.exit(f"demarc failed on {name}: {run.stderr}")
        lines = [json.loads(line) for line in run.stdout.splitlines()]
        flows = [x for x in lines if x["type"] == "flow"]
        summary = lines[-1]["summary"]
        c = Check(name)

        database = "demarc_" + name.replace("-", "_")
        s.query(f"CREATE DATABASE {database}")
        s.query(f"USE {database}")
        for statement in statements(os.path.join(HERE, "schema.sql")):
            s.query(statement)
        # The load a server gets from clickhouse-client: the report's lines as they are. The
        # corpus spans years of months, each a partition: past ClickHouse's default of 100
        # per insert, as an archive's load is (the README says so).
        setting = " SETTINGS max_partitions_per_insert_block = 1000" if name == "corpus" else ""
        s.query(f"INSERT INTO demarc_ingest{setting} FORMAT JSONEachRow\n" + run.stdout)

        # Segment and party totals: summary.segments and summary.parties.
        totals = {(r["by"], r["name"]): (int(r["flows"]), int(r["packets"]), int(r["bytes"]))
                  for r in query(s, "boundary-totals")}
        for by, key in (("segment", "segments"), ("party", "parties")):
            want = {n: (v["flows"], v["packets"], v["bytes"]) for n, v in summary[key].items() if v["flows"]}
            got = {n: v for (b, n), v in totals.items() if b == by}
            c.equal(f"totals by {by}", got, want)

        # Findings by severity and by code: summary.findings, finding_codes and accepted.
        rows = query(s, "findings-by-party-per-day")
        by_severity, accepted, by_code = collections.Counter(), collections.Counter(), collections.Counter()
        for r in rows:
            by_severity[r["severity"]] += int(r["counted"])
            accepted[r["severity"]] += int(r["accepted"])
            by_code[r["code"]] += int(r["counted"])
        c.equal("findings by severity", {k: by_severity[k] for k in SEVERITIES}, summary["findings"])
        c.equal("findings by code", {k: v for k, v in by_code.items() if v}, summary.get("finding_codes", {}))
        c.equal("accepted by severity", {k: accepted[k] for k in SEVERITIES},
                summary.get("accepted", {k: 0 for k in SEVERITIES}))
        days = {f["first_seen"][:10] for f in flows if f["findings"]}
        c.equal("days with findings", sorted({r["day"] for r in rows}), sorted(days))

        # Cleartext egress by zone: demarc's flow lines.
        rows = query(s, "unencrypted-egress-by-zone")
        clear = [f for f in flows if f["segment"] == "egress" and f["encryption"]["state"] == "cleartext"]
        c.equal("cleartext egress flows", sum(int(r["flows"]) for r in rows), len(clear))
        got, want = collections.Counter(), collections.Counter()
        for r in rows:
            got[r["to_zone"]] += int(r["bytes"])
        for f in clear:
            want[f["server"]["zone"]] += f["bytes"]["to_server"] + f["bytes"]["to_client"]
        c.equal("cleartext egress bytes by zone", dict(got), dict(want))
        c.equal("cleartext egress with an unencrypted-egress finding", sum(int(r["with_finding"]) for r in rows),
                sum(1 for f in clear if any(x["code"] == "unencrypted-egress" for x in f["findings"])))

        # The largest flows across the boundary.
        rows = query(s, "top-boundary-flows")
        crossing = sorted((f for f in flows if f["segment"] in ("egress", "ingress", "transit")),
                          key=lambda f: (-(f["bytes"]["to_server"] + f["bytes"]["to_client"]), f["first_seen"], f["id"]))
        c.equal("top boundary flows", [(r["server_ip"], int(r["bytes"]), r["path_enters"], r["path_leaves"]) for r in rows],
                [(f["server"]["ip"], f["bytes"]["to_server"] + f["bytes"]["to_client"],
                  (f.get("path") or {}).get("enters", ""), (f.get("path") or {}).get("leaves", "")) for f in crossing[:20]])

        # Transit by path: demarc's flow lines.
        want = collections.defaultdict(lambda: [0, 0, 0, 0])
        for f in flows:
            if f["segment"] == "transit":
                w = want[(f["path"]["enters"], f["path"]["leaves"])]
                w[0] += 1
                w[1] += f["bytes"]["to_server"] + f["bytes"]["to_client"]
                w[2] += f["encryption"]["state"] == "cleartext"
                w[3] += sum(1 for x in f["findings"] if not x.get("accepted") or x["accepted"]["expired"])
        rows = query(s, "transit-paths")
        c.equal("transit by path", {(r["path_enters"], r["path_leaves"]): [int(r["flows"]), int(r["bytes"]),
                                    int(r["cleartext_flows"]), int(r["findings"])] for r in rows}, dict(want))
        got = [json.loads(x)["rule_responsible"] for x in str(s.query(
            "SELECT rule_responsible FROM demarc_flows WHERE rule_responsible != ''", "JSONEachRow")).splitlines() if x.strip()]
        c.equal("rules' responsible party", sorted(got),
                sorted(f["rule"]["responsible"] for f in flows if f["rule"] and f["rule"].get("responsible")))

        # New services: all of them since the epoch, none after the last flow began.
        services = {(f["server"]["zone"], f["transport"], f["server"]["port"], f["application"] or "", f["segment"])
                    for f in flows}
        rows = query(s, "new-services", since="1970-01-01 00:00:00")
        c.equal("services seen since the epoch", len(rows), len(services))
        last = max(f["first_seen"] for f in flows).replace("T", " ").rstrip("Z")
        later = query(s, "new-services", since=last)
        first = {}
        for f in flows:
            k = (f["server"]["zone"], f["transport"], f["server"]["port"], f["application"] or "", f["segment"])
            first[k] = min(first.get(k, f["first_seen"]), f["first_seen"])
        newest = [k for k, t in first.items() if t.replace("T", " ").rstrip("Z") >= last]
        c.equal("services first seen at the last flow's start", len(later), len(newest))

        # Expired acceptances: the findings demarc marked expired.
        rows = query(s, "expired-acceptances")
        expired = collections.Counter((x["accepted"]["owner"], x["code"], x["accepted"]["until"])
                                      for f in flows for x in f["findings"] if (x.get("accepted") or {}).get("expired"))
        c.equal("expired acceptances", {(r["owner"], r["code"], r["until"]): int(r["flows"]) for r in rows}, dict(expired))

        # The sensor column: the --sensor given, else empty, on every flow.
        sensor = args[args.index("--sensor") + 1] if "--sensor" in args else ""
        rows = str(s.query("SELECT sensor, count() AS n FROM demarc_flows GROUP BY sensor", "JSONEachRow")).splitlines()
        c.equal("flows by sensor", {json.loads(x)["sensor"]: int(json.loads(x)["n"]) for x in rows if x.strip()},
                {sensor: len(flows)})

        print(f"ok {name}: {len(flows)} flows, {c.count} checks")
        total += c.count
    print(f"ClickHouse store: {len(inputs)} inputs, {total} checks passed")


if __name__ == "__main__":
    main()
