#!/usr/bin/env python3
"""`make flood-check`: memory stays bounded under a SYN flood (issue 35).

  flood-check.py [--demarc BIN] [--flows N] [--rate R] [--max-flows M] [--workers 1 2]
                 [--rss-workers 1] [--rss-mb MB] [--capture FILE]

Generates N SYN-only flows at R new flows per second of capture time (gen-flood.py;
--capture reuses a file), replays them with --max-flows M under each worker count, reads
the jsonl report from a pipe as it comes (never stored), and checks that every flow is
reported, that all but M were evicted (each such record has "end": "evicted", and
summary.evicted counts them) with one warning on standard error, and, for the worker
counts in --rss-workers, that demarc's peak RSS (wait4's ru_maxrss) stays under --rss-mb.
Prints per run: flows, evictions, peak RSS and wall time. Exits 1 on a failed check."""
import argparse, json, os, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))


def run(a, capture, workers):
    cmd = [a.demarc, "replay", capture, "--format", "jsonl", "--no-progress", "--workers", str(workers)]
    if a.max_flows:
        cmd += ["--max-flows", str(a.max_flows)]
    err = tempfile.TemporaryFile()
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, bufsize=1 << 20)
    flows = evicted = 0
    summary = {}
    for line in p.stdout:
        if line.startswith(b'{"type":"flow"'):
            flows += 1
            if b'"end":"evicted"' in line:
                evicted += 1
        elif line.startswith(b'{"type":"summary"'):
            summary = json.loads(line)["summary"]
    _, status, usage = os.wait4(p.pid, 0)
    seconds = time.monotonic() - start
    err.seek(0)
    warnings = sum(1 for l in err.read().decode().splitlines() if "--max-flows" in l)
    return dict(status=os.waitstatus_to_exitcode(status), flows=flows, evicted=evicted,
                summary=summary.get("evicted", 0), warnings=warnings, rss=usage.ru_maxrss // 1024, seconds=seconds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demarc", default=os.path.join(here, "..", ".build", "release", "demarc"))
    ap.add_argument("--flows", type=int, default=2_000_000)
    ap.add_argument("--rate", type=int, default=1_000_000)
    ap.add_argument("--max-flows", type=int, default=200_000, help="0: demarc's default")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    # With more than one worker the cross-worker merge holds finished flows until every
    # worker has caught up, and is not bounded yet (issue 35's reorder buffer): those
    # runs' peaks are printed, not gated, unless named here.
    ap.add_argument("--rss-workers", type=int, nargs="*", default=[1])
    ap.add_argument("--rss-mb", type=int, default=250)
    ap.add_argument("--capture")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        capture = a.capture or os.path.join(tmp, "flood.pcap")
        if not a.capture:
            subprocess.run([sys.executable, os.path.join(here, "gen-flood.py"), capture,
                            "--flows", str(a.flows), "--rate", str(a.rate)], check=True)
        failed = False
        for w in a.workers:
            r = run(a, capture, w)
            print(f"workers {w}: {r['flows']} flows reported, {r['evicted']} evicted (summary.evicted {r['summary']}, "
                  f"{r['warnings']} warning), peak RSS {r['rss']} MB, {r['seconds']:.1f} s", flush=True)
            cap = a.max_flows or None
            want = a.flows - cap if cap else None
            if r["status"] != 0 or r["flows"] != a.flows or r["warnings"] != (1 if r["evicted"] else 0) \
                    or r["summary"] != r["evicted"] or (want is not None and r["evicted"] != want):
                print(f"FAILED: want exit 0, {a.flows} flows"
                      + (f", {want} evicted" if want is not None else "") + ", summary.evicted equal to the records', one warning")
                failed = True
            if w in a.rss_workers and r["rss"] > a.rss_mb:
                print(f"FAILED: peak RSS {r['rss']} MB over {a.rss_mb} MB")
                failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
