#!/usr/bin/env bash
# Lists the flows whose reports changed between two demarc binaries, and checks that each
# changed flow became `link` or `transit` (issue 28: existing reports change only where
# the spec changed). Inputs: every bundled capture against its scenario, and every capture
# of ../shared/corpus (nDPI and malformed) under the built-in scenario. Flows are matched
# by id; a flow differs when any field of its jsonl line does. The summary line is left
# out (its `segments` gains `transit` and `link`). Prints each changed flow and a count;
# exits 1 if a flow changed without becoming link or transit, or the flows themselves
# differ (a flow missing or added).
#   scripts/compare-segments.sh BASE_BINARY NEW_BINARY
# BASE_BINARY: the issue's base commit's release build (/work/base-bin/demarc-3e749e9).
set -uo pipefail
cd "$(dirname "$0")/.."
base=$1 new=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
list="$tmp/inputs"
: >"$list"
for s in scenarios/*.yaml; do
  name=$(basename "$s" .yaml)
  [ -f "captures/$name.pcap" ] && printf '%s\t%s\n' "captures/$name.pcap" "$s" >>"$list"
done
if [ -d ../shared/corpus ]; then
  find ../shared/corpus/ndpi ../shared/corpus/malformed -type f \
    \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' -o -path '*/malformed/*' \) | sort \
    | while IFS= read -r f; do printf '%s\t\n' "$f" >>"$list"; done
fi
python3 - "$base" "$new" "$list" <<'EOF'
import json, subprocess, sys

base, new, listing = sys.argv[1:4]


def flows(binary, capture, scenario):
    args = [binary, "replay", capture, "--format", "jsonl", "--no-progress", "--as-of", "2026-12-01"]
    if scenario:
        args += ["--scenario", scenario]
    p = subprocess.run(args, capture_output=True)
    out = {}
    for line in p.stdout.splitlines():
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if d.get("type") == "flow":
            out[d["id"]] = d
    return p.returncode, out


inputs = changed = became = wrong = mismatched = 0
for line in open(listing):
    capture, scenario = line.rstrip("\n").split("\t")
    inputs += 1
    ra, a = flows(base, capture, scenario)
    rb, b = flows(new, capture, scenario)
    label = capture + (f" ({scenario})" if scenario else "")
    if a.keys() != b.keys():
        mismatched += 1
        print(f"FLOWS DIFFER: {label}: {len(a)} flows before, {len(b)} after")
        continue
    for i in sorted(a):
        if a[i] == b[i]:
            continue
        changed += 1
        f, g = a[i], b[i]
        ok = g["segment"] in ("link", "transit")
        became += ok
        wrong += not ok
        fields = sorted(k for k in set(f) | set(g) if f.get(k) != g.get(k))
        print(f"{'' if ok else 'NOT LINK OR TRANSIT: '}{label} flow {i} {g['transport']} "
              f"{g['client']['ip']}:{g['client']['port']} → {g['server']['ip']}:{g['server']['port']}: "
              f"{f['segment']} → {g['segment']}" + (f" {g['path']['enters']} → {g['path']['leaves']}" if g.get("path") else "")
              + f" ({', '.join(fields)})")
    if ra != rb:
        print(f"exit status {ra} → {rb}: {label}")
print(f"compared {inputs} inputs: {changed} flows changed, {became} became link or transit, "
      f"{wrong} changed otherwise, {mismatched} inputs whose flows differ")
sys.exit(1 if wrong or mismatched else 0)
EOF
