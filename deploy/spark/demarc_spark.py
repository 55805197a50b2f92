#!/usr/bin/env python3
"""demarc over capture archives on Apache Spark.

  spark-submit demarc_spark.py --demarc /usr/local/bin/demarc --scenario scenario.yaml \\
      --output hdfs:///flows/2026-12 CAPTURES...

CAPTURES are files or folders, local or on HDFS (anything Hadoop's FileSystem lists:
file://, hdfs://; s3a:// needs the cluster's own hadoop-aws). A folder is one
*sequence*: the rotated captures of one tap (tcpdump -G or -C), read in the order of
their names, numbers compared as numbers (`trace9` before `trace10`). A file named on
its own is a sequence of one.

Spark distributes the sequences over its executors; each executor runs demarc on its
sequence's files, in order, as one replay. A flow that a file boundary cuts is therefore
one flow, with the counts, verdict and findings of one replay of the whole sequence:
demarc carries every open flow's state (its inspection included) from one file into the
next. Nothing of the classification is done here: this job only moves files and rows.

Writes every flow as Parquet under --output, partitioned by day, segment and responsible
party, and prints the run's summary as demarc's json summary has it (counts, segments,
parties, findings; summed over the sequences).

The demarc binary and the scenario must be readable at the same path on every executor
(a shared mount, or --files / SparkFiles). Executors fetch HDFS captures with
`hdfs dfs -get` into a temporary folder.
"""
import argparse, json, os, re, shutil, subprocess, sys, tempfile
from urllib.parse import urlparse
from datetime import datetime


class BadInput(Exception):
    """Exit status 2, with this message."""


def natural(name):
    """Sort key: digits compared as numbers, so trace9 < trace10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def sequences(spark, paths):
    """[(sequence name, [file URIs in order])], listed through Hadoop's FileSystem so that
    local and HDFS paths alike work."""
    jvm = spark._jvm
    conf = spark._jsc.hadoopConfiguration()
    out = []
    for p in paths:
        path = jvm.org.apache.hadoop.fs.Path(p)
        fs = path.getFileSystem(conf)
        if not fs.exists(path):
            raise BadInput(f"{p}: no such file or folder")
        status = fs.getFileStatus(path)
        if status.isDirectory():
            files = [s.getPath().toString() for s in fs.listStatus(path) if s.isFile()
                     and not s.getPath().getName().startswith((".", "_"))]
            files.sort(key=lambda f: natural(f.rsplit("/", 1)[-1]))
            if files:
                out.append((p.rstrip("/"), files))
        else:
            out.append((p, [status.getPath().toString()]))
    return out


def replay(task, demarc, scenario, as_of):
    """One sequence, on an executor: demarc replays its files in order; yields the flow
    lines (as dicts, with the sequence's name), the summary line, and an error line
    where demarc refused an input (a corrupt capture: what it read before is kept, as
    demarc keeps it)."""
    name, files = task
    local_dir = None
    local = []
    for f in files:
        if f.startswith("file:"):
            local.append(urlparse(f).path)
        elif "://" in f:
            local_dir = local_dir or tempfile.mkdtemp(prefix="demarc-spark-")
            dest = os.path.join(local_dir, "%05d" % len(local))
            subprocess.run(["hdfs", "dfs", "-get", f, dest], check=True)
            local.append(dest)
        else:
            local.append(f)
    cmd = [demarc, "replay", *local, "--format", "jsonl", "--no-progress"]
    if scenario:
        cmd += ["--scenario", scenario]
    if as_of:
        cmd += ["--as-of", as_of]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        if local_dir:
            shutil.rmtree(local_dir, ignore_errors=True)
    for line in run.stdout.splitlines():
        row = json.loads(line)
        row["sequence"] = name
        yield row
    if run.returncode not in (0, 1):
        yield {"type": "error", "sequence": name,
               "message": run.stderr.strip() or f"demarc exited {run.returncode}"}


def flow_row(f):
    """A flow line as a flat row (the Parquet schema below)."""
    from pyspark.sql import Row
    from datetime import datetime, timezone

    def ts(s):
        return datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z" if "." in s else "%Y-%m-%dT%H:%M:%S%z")

    enc = f["encryption"]
    rule = f.get("rule") or {}
    first = ts(f["first_seen"])
    return Row(
        sequence=f["sequence"], demarc_id=f["id"], day=first.astimezone(timezone.utc).date(),
        first_seen=first, last_seen=ts(f["last_seen"]),
        transport=f["transport"], ip_version=f["ip_version"],
        client_ip=f["client"]["ip"], client_port=f["client"]["port"], client_zone=f["client"]["zone"],
        client_node=f["client"]["node"],
        server_ip=f["server"]["ip"], server_port=f["server"]["port"], server_zone=f["server"]["zone"],
        server_node=f["server"]["node"],
        packets_to_server=f["packets"]["to_server"], packets_to_client=f["packets"]["to_client"],
        bytes_to_server=f["bytes"]["to_server"], bytes_to_client=f["bytes"]["to_client"],
        application=f["application"],
        encryption_state=enc["state"], encryption_protocol=enc.get("protocol"), encryption_version=enc.get("version"),
        encryption_basis=enc["basis"], sni=enc.get("sni"),
        segment=f["segment"], path_enters=(f.get("path") or {}).get("enters"),
        path_leaves=(f.get("path") or {}).get("leaves"), responsible=f["responsible"],
        rule_segment=rule.get("segment"), rule_name=rule.get("name"), rule_action=rule.get("action"),
        rule_responsible=rule.get("responsible"),
        findings=[Row(code=x["code"], severity=x["severity"], party=x["party"], message=x["message"],
                      accepted_owner=(x.get("accepted") or {}).get("owner"),
                      accepted_until=(x.get("accepted") or {}).get("until"),
                      accepted_expired=(x.get("accepted") or {}).get("expired"))
                  for x in f["findings"]],
        credentials=[Row(kind=c["kind"], user=c.get("user")) for c in f.get("credentials") or []],
    )


SCHEMA_DDL = """
sequence STRING, demarc_id BIGINT, day DATE, first_seen TIMESTAMP, last_seen TIMESTAMP,
transport STRING, ip_version INT,
client_ip STRING, client_port INT, client_zone STRING, client_node STRING,
server_ip STRING, server_port INT, server_zone STRING, server_node STRING,
packets_to_server BIGINT, packets_to_client BIGINT, bytes_to_server BIGINT, bytes_to_client BIGINT,
application STRING, encryption_state STRING, encryption_protocol STRING, encryption_version STRING,
encryption_basis STRING, sni STRING, segment STRING, path_enters STRING, path_leaves STRING, responsible STRING,
rule_segment STRING, rule_name STRING, rule_action STRING, rule_responsible STRING,
findings ARRAY<STRUCT<code: STRING, severity: STRING, party: STRING, message: STRING,
                      accepted_owner: STRING, accepted_until: STRING, accepted_expired: BOOLEAN>>,
credentials ARRAY<STRUCT<kind: STRING, user: STRING>>
"""

SUMMED = ("flows", "packets", "bytes")


def rule_services(line):
    """(segment, rule name) and the service of a flow a filter rule decided, as demarc's
    summary.rules counts them: PROTO/PORT, or the transport alone without ports."""
    rule = line.get("rule")
    if not rule:
        return []
    port = line["server"].get("port")
    return [((rule["segment"], rule["name"]), line["transport"] + ("/" + str(port) if port is not None else ""))]


def merge_rules(summaries, services):
    """summary.rules of the whole run from each sequence's: flows and bytes added, the
    earliest first_seen and latest last_seen, and the five services most flows used
    (counted from the flows themselves, ties by their text); unused_rules from the
    merged counts. The rules and their order are the scenario's, the same in every
    sequence."""
    def when(t):
        return datetime.fromisoformat(t.replace("Z", "+00:00")) if t else None
    merged = []
    for entries in zip(*(s["rules"] for s in summaries)):
        r = dict(entries[0])
        r["flows"] = sum(e["flows"] for e in entries)
        r["bytes"] = sum(e["bytes"] for e in entries)
        firsts = [e["first_seen"] for e in entries if e["first_seen"]]
        lasts = [e["last_seen"] for e in entries if e["last_seen"]]
        r["first_seen"] = min(firsts, key=when) if firsts else None
        r["last_seen"] = max(lasts, key=when) if lasts else None
        tally = services.get((r["segment"], r["name"]), {})
        r["services"] = [s for s, _ in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]
        merged.append(r)
    unused = [{"segment": r["segment"], "name": r["name"], "line": r["line"]} for r in merged if r["flows"] == 0]
    return merged, unused


def merge_summaries(summaries, services=None):
    """The sequences' summaries as one: every count added (demarc's own figures; nothing
    is recomputed here but the rules' service ranking, from `services`:
    {(segment, rule): {service: flows}}). active_flows_peak is the largest of the
    sequences'."""
    total = {}
    if summaries and "rules" in summaries[0]:
        total["rules"], total["unused_rules"] = merge_rules(summaries, services or {})
    for s in summaries:
        for k, v in s.items():
            if k in ("rules", "unused_rules"):
                continue
            if isinstance(v, int) and not isinstance(v, bool):
                total[k] = max(total.get(k, 0), v) if k == "active_flows_peak" else total.get(k, 0) + v
            elif isinstance(v, dict):
                into = total.setdefault(k, {})
                for name, x in v.items():
                    if isinstance(x, dict):
                        cell = into.setdefault(name, {c: 0 for c in SUMMED})
                        for c in SUMMED:
                            cell[c] += x.get(c, 0)
                    else:
                        into[name] = into.get(name, 0) + x
            elif isinstance(v, list):
                total.setdefault(k, []).extend(v)
    return total


def main(argv=None):
    ap = argparse.ArgumentParser(description="demarc over capture archives on Spark",
                                 epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("captures", nargs="+", help="capture files or folders (a folder is one sequence of rotated captures)")
    ap.add_argument("--demarc", required=True, help="the demarc binary, at this path on every executor")
    ap.add_argument("--scenario", help="the scenario, at this path on every executor (default: demarc's built-in)")
    ap.add_argument("--as-of", help="the day acceptances expire against (demarc --as-of)")
    ap.add_argument("--output", required=True, help="where the flows go, as Parquet (local or HDFS)")
    ap.add_argument("--master", help="Spark master (default: spark-submit's, else local[*])")
    a = ap.parse_args(argv)

    for path, what, mode, says in ((a.demarc, "--demarc", os.X_OK, "cannot be run"),
                                   (a.scenario, "--scenario", os.R_OK, "cannot be read")):
        if path and not (os.path.isfile(path) and os.access(path, mode)):
            print(f"demarc_spark: {what} {path}: {says}", file=sys.stderr)
            return 2
    if a.scenario:
        check = subprocess.run([a.demarc, "scenario", "check", a.scenario], capture_output=True, text=True)
        if check.returncode != 0:
            print(check.stderr.strip() or f"demarc_spark: {a.scenario}: invalid scenario", file=sys.stderr)
            return 2

    from pyspark.sql import SparkSession
    builder = SparkSession.builder.appName("demarc").config("spark.sql.session.timeZone", "UTC")
    if a.master:
        builder = builder.master(a.master)
    spark = builder.getOrCreate()
    try:
        result = run(spark, a.captures, demarc=a.demarc, scenario=a.scenario, as_of=a.as_of, output=a.output)
    except BadInput as e:
        print(f"demarc_spark: {e}", file=sys.stderr)
        return 2
    finally:
        spark.stop()
    errors = result.pop("errors")
    print(json.dumps(result, sort_keys=True))
    # What was read is written and summed; a refused input still makes the run exit 2.
    for sequence, message in errors:
        print(f"demarc_spark: {sequence}: {message}", file=sys.stderr)
    return 2 if errors else 0


def run(spark, captures, demarc, scenario, as_of, output):
    """The job: the captures' sequences replayed on the executors, the flows written to
    `output` as Parquet; returns {"sequences": n, "summary": the merged summary,
    "errors": [(sequence, demarc's message)] for the inputs demarc refused}."""
    tasks = sequences(spark, captures)
    if not tasks:
        raise BadInput("no captures found")
    # The executors' Python workers import this module for the functions below.
    spark.sparkContext.addPyFile(os.path.abspath(__file__))
    lines = spark.sparkContext.parallelize(tasks, len(tasks)) \
        .flatMap(lambda t: replay(t, demarc, scenario, as_of)).cache()
    flows = lines.filter(lambda r: r["type"] == "flow").map(flow_row)
    spark.createDataFrame(flows, SCHEMA_DDL).write.mode("overwrite") \
        .partitionBy("day", "segment", "responsible").parquet(output)
    summaries = lines.filter(lambda r: r["type"] == "summary").map(lambda r: r["summary"]).collect()
    services = {}
    for (key, service), n in lines.filter(lambda r: r["type"] == "flow").flatMap(rule_services).countByValue().items():
        services.setdefault(key, {})[service] = n
    errors = lines.filter(lambda r: r["type"] == "error").map(lambda r: (r["sequence"], r["message"])).collect()
    lines.unpersist()
    return {"sequences": len(tasks), "summary": merge_summaries(summaries, services), "errors": sorted(errors)}


if __name__ == "__main__":
    sys.exit(main())
