#!/usr/bin/env python3
"""The Spark job (demarc_spark.py) in local mode (local[2]) against demarc itself: each
bundled capture is cut into 5 pieces with editcap (so flows, handshakes among them,
span the cuts), the pieces go through the job as one sequence, and the Parquet it writes
must hold the flows of `demarc replay` of the whole capture: the same endpoints, times,
counts, encryption, segment, party, rule and findings (ids may differ). The summary it
prints must be demarc's. Then all four folders in one job, and the bad inputs.

  test-spark.py --demarc BIN

Run by `make spark-test` (which makes a virtual environment with pyspark first).
"""
import argparse, contextlib, io, json, os, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import demarc_spark  # noqa: E402

AS_OF = "2026-12-01"


def fail(what):
    print(f"FAIL {what}")
    sys.exit(1)


def replay(demarc, captures, scenario=None):
    cmd = [demarc, "replay", *captures, "--format", "jsonl", "--as-of", AS_OF, "--no-progress"]
    if scenario:
        cmd += ["--scenario", scenario]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if run.returncode not in (0, 1):
        fail(f"demarc {captures}: {run.stderr}")
    lines = [json.loads(x) for x in run.stdout.splitlines()]
    return [x for x in lines if x["type"] == "flow"], lines[-1]["summary"]


def micros(iso):
    """An ISO time as demarc writes it, in microseconds since the epoch (UTC)."""
    from datetime import datetime, timezone
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if "." in iso else "%Y-%m-%dT%H:%M:%SZ"
    d = datetime.strptime(iso, fmt).replace(tzinfo=timezone.utc)
    return int(d.timestamp()) * 1_000_000 + d.microsecond


def key_of_line(f):
    """What must be equal, from a demarc flow line."""
    e, r = f["encryption"], f.get("rule") or {}
    return (f["transport"], f["ip_version"], f["client"]["ip"], f["client"]["port"], f["client"]["zone"], f["client"]["node"],
            f["server"]["ip"], f["server"]["port"], f["server"]["zone"], f["server"]["node"],
            micros(f["first_seen"]), micros(f["last_seen"]),
            f["packets"]["to_server"], f["packets"]["to_client"], f["bytes"]["to_server"], f["bytes"]["to_client"],
            f["application"], e["state"], e.get("protocol"), e.get("version"), e["basis"], e.get("sni"),
            f["segment"], (f.get("path") or {}).get("enters"), (f.get("path") or {}).get("leaves"), f["responsible"],
            r.get("segment"), r.get("name"), r.get("action"), r.get("responsible"),
            tuple((x["code"], x["severity"], x["party"], x["message"], (x.get("accepted") or {}).get("owner"),
                   (x.get("accepted") or {}).get("expired")) for x in f["findings"]),
            tuple((c["kind"], c.get("user")) for c in f.get("credentials") or []))


def key_of_row(r):
    """The same, from a Parquet row the job wrote."""
    from datetime import timezone

    def us(d):
        d = d.replace(tzinfo=timezone.utc)
        return int(d.timestamp()) * 1_000_000 + d.microsecond
    return (r.transport, r.ip_version, r.client_ip, r.client_port, r.client_zone, r.client_node,
            r.server_ip, r.server_port, r.server_zone, r.server_node, us(r.first_seen), us(r.last_seen),
            r.packets_to_server, r.packets_to_client, r.bytes_to_server, r.bytes_to_client,
            r.application, r.encryption_state, r.encryption_protocol, r.encryption_version, r.encryption_basis, r.sni,
            r.segment, r.path_enters, r.path_leaves, r.responsible, r.rule_segment, r.rule_name, r.rule_action,
            r.rule_responsible,
            tuple((x.code, x.severity, x.party, x.message, x.accepted_owner, x.accepted_expired) for x in r.findings),
            tuple((c.kind, c.user) for c in r.credentials))


def split(capture, into, pieces=5):
    """editcap -c: the capture as `pieces` files of consecutive packets."""
    count = int(subprocess.run(["capinfos", "-M", "-c", "-r", capture], capture_output=True, text=True,
                               check=True).stdout.split()[-1])
    os.makedirs(into)
    subprocess.run(["editcap", "-c", str(-(-count // pieces)), capture, os.path.join(into, "piece.pcap")], check=True,
                   capture_output=True)
    return sorted(os.path.join(into, f) for f in os.listdir(into))


def cut_handshake(capture, into):
    """Two pieces cut between a TLS ClientHello and its ServerHello (tshark finds the
    ServerHello), or None where the capture has no TLS handshake."""
    found = subprocess.run(["tshark", "-r", capture, "-Y", "tls.handshake.type == 2", "-T", "fields", "-e", "frame.number"],
                           capture_output=True, text=True).stdout.split()
    if not found:
        return None
    n = int(found[0])
    os.makedirs(into)
    first, second = os.path.join(into, "a.pcap"), os.path.join(into, "b.pcap")
    subprocess.run(["editcap", "-r", capture, first, f"1-{n - 1}"], check=True, capture_output=True)
    subprocess.run(["editcap", capture, second, f"1-{n - 1}"], check=True, capture_output=True)   # all but those
    return [first, second]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--demarc", required=True)
    a = ap.parse_args()
    demarc = os.path.abspath(a.demarc)
    os.environ["TZ"] = "UTC"
    time.tzset()
    work = tempfile.mkdtemp(prefix="demarc-spark-test-")
    deployments = sorted(n[:-5] for n in os.listdir(os.path.join(ROOT, "scenarios"))
                         if n.endswith(".yaml") and os.path.exists(os.path.join(ROOT, "captures", n[:-5] + ".pcap")))

    from pyspark.sql import SparkSession
    spark = SparkSession.builder.master("local[2]").appName("demarc-test") \
        .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    import pyspark
    print(f"Spark {pyspark.__version__} in local[2], Java {spark.sparkContext._jvm.System.getProperty('java.version')}")
    checks = 0
    folders = []
    try:
        for name in deployments:
            capture = os.path.join(ROOT, "captures", name + ".pcap")
            scenario = os.path.join(ROOT, "scenarios", name + ".yaml")
            folder = os.path.join(work, name)
            pieces = split(capture, folder)
            folders.append(folder)
            whole, whole_summary = replay(demarc, [capture], scenario)
            # The cuts matter: replayed one by one, the pieces give other flows.
            apart = [f for p in pieces for f in replay(demarc, [p], scenario)[0]]
            if sorted(map(key_of_line, apart)) == sorted(map(key_of_line, whole)):
                fail(f"{name}: the cuts split no flow; the test would prove nothing")
            cut = len(apart) - len(whole)

            out = os.path.join(work, name + ".parquet")
            result = demarc_spark.run(spark, [folder], demarc=demarc, scenario=scenario, as_of=AS_OF, output=out)
            rows = spark.read.parquet(out).collect()
            got, want = sorted(map(key_of_row, rows)), sorted(map(key_of_line, whole))
            if got != want:
                extra = [g for g in got if g not in want][:3]
                missing = [w for w in want if w not in got][:3]
                fail(f"{name}: the job's flows differ from one replay\n  only in the job: {extra}\n  only in demarc: {missing}")
            if result["summary"] != whole_summary or result["errors"]:
                fail(f"{name}: summary\n  job:    {result['summary']}\n  demarc: {whole_summary}")
            partitions = {(str(r.day), r.segment, r.responsible) for r in rows}
            on_disk = {tuple(p.split("=", 1)[1] for p in d.split(os.sep))
                       for d in (os.path.relpath(root, out) for root, _, files in os.walk(out)
                                 if any(f.endswith(".parquet") for f in files))}
            if partitions != on_disk:
                fail(f"{name}: partitions on disk {sorted(on_disk)} are not day/segment/party {sorted(partitions)}")
            checks += 3
            print(f"ok {name}: {len(pieces)} pieces, {len(rows)} flows as one replay has them "
                  f"({cut} more when the pieces are replayed apart), summary equal")

            # A TLS handshake cut in two: the second piece alone has no ClientHello, yet
            # the job's verdict is one replay's.
            halves = cut_handshake(capture, os.path.join(work, name + "-handshake"))
            if halves:
                apart = [f for p in halves for f in replay(demarc, [p], scenario)[0]]
                if sorted(map(key_of_line, apart)) == sorted(map(key_of_line, whole)):
                    fail(f"{name}: cutting the handshake changed nothing; the test would prove nothing")
                out = os.path.join(work, name + "-handshake.parquet")
                demarc_spark.run(spark, [os.path.dirname(halves[0])], demarc=demarc, scenario=scenario, as_of=AS_OF, output=out)
                if sorted(map(key_of_row, spark.read.parquet(out).collect())) != want:
                    fail(f"{name}: with a TLS handshake cut in two, the job's flows differ from one replay")
                checks += 1
                print(f"ok {name}: a TLS handshake cut between ClientHello and ServerHello keeps one replay's verdict")

        # Every folder at once, under one scenario: one sequence per executor task.
        scenario = os.path.join(ROOT, "scenarios", "overlay-network.yaml")
        out = os.path.join(work, "all.parquet")
        result = demarc_spark.run(spark, folders, demarc=demarc, scenario=scenario, as_of=AS_OF, output=out)
        whole, summary = replay(demarc, [os.path.join(ROOT, "captures", n + ".pcap") for n in deployments], scenario)
        rows = spark.read.parquet(out).collect()
        if sorted(map(key_of_row, rows)) != sorted(map(key_of_line, whole)):
            fail("all folders: the job's flows differ from one replay of every capture")
        summary.pop("active_flows_peak", None)
        result["summary"].pop("active_flows_peak", None)
        if result["sequences"] != len(deployments) or result["summary"] != summary:
            fail(f"all folders: summary\n  job:    {result}\n  demarc: {summary}")
        checks += 2
        print(f"ok all {len(folders)} folders in one job: {len(rows)} flows, summary equal")
    finally:
        spark.stop()

    # Bad input: exit 2 with a message, before any work.
    bad = [(["--scenario", "/nonexistent.yaml"], "cannot be read"),
           (["--demarc", os.path.join(ROOT, "README.md")], "cannot be run"),
           (["--scenario", os.path.join(ROOT, "Tests/DemarcCLITests/Golden/iaas-vms.json")], "scenario")]
    for extra, says in bad:
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            # A second --demarc overrides the first (argparse keeps the last).
            status = demarc_spark.main(["--demarc", demarc, "--output", os.path.join(work, "x"), *extra, folders[0]])
        if status != 2 or says not in err.getvalue():
            fail(f"{extra}: exit {status}, said {err.getvalue()!r}")
        checks += 1
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = demarc_spark.main(["--demarc", demarc, "--master", "local[1]", "--output", os.path.join(work, "y"),
                                    os.path.join(work, "no-such-folder")])
    if status != 2 or "no such file" not in err.getvalue():
        fail(f"a missing folder: exit {status}, said {err.getvalue()!r}")
    checks += 1
    # A corrupt capture in one sequence: demarc's message, exit 2, and the other
    # sequence's flows still written.
    broken = os.path.join(work, "broken")
    os.makedirs(broken)
    with open(os.path.join(broken, "garbage.pcap"), "wb") as f:
        f.write(b"this is not a capture" * 10)
    err = io.StringIO()
    out = os.path.join(work, "broken.parquet")
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = demarc_spark.main(["--demarc", demarc, "--master", "local[1]", "--output", out, folders[0], broken])
    good = len(replay(demarc, sorted(os.path.join(folders[0], f) for f in os.listdir(folders[0])))[0])
    if status != 2 or "garbage.pcap" not in err.getvalue():
        fail(f"a corrupt capture: exit {status}, said {err.getvalue()!r}")
    from pyspark.sql import SparkSession
    spark = SparkSession.builder.master("local[1]").config("spark.ui.showConsoleProgress", "false").getOrCreate()
    try:
        written = spark.read.parquet(out).count()
    finally:
        spark.stop()
    if written != good:
        fail(f"a corrupt capture: the good sequence's {good} flows were not all written ({written})")
    checks += 1
    print(f"Spark job: {len(deployments)} deployments cut in 5 pieces, {checks} checks passed")


if __name__ == "__main__":
    main()
