#!/usr/bin/env bash
# Rewrites the golden reports (Tests/DemarcCLITests/Golden) from the current build: every
# bundled deployment in every format. Run after an intended change to the output, and
# read the diff before committing it.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product demarc >/dev/null
bin=$(swift build --show-bin-path)/demarc
# Pinned to the day the tests use (Deployments.asOf), so accepted risks expire as they did.
as_of=2026-12-01
for name in overlay-network iaas-vms data-platform credentials-at-the-edge managed-branch managed-branch-wan; do
  # A second tap of one deployment (-wan) shares that deployment's scenario.
  scenario=scenarios/${name%-wan}.yaml
  for format in json jsonl csv markdown html table; do
    ext=$format; [ "$format" = markdown ] && ext=md; [ "$format" = table ] && ext=txt
    NO_COLOR=1 "$bin" replay "captures/$name.pcap" --scenario "$scenario" --format "$format" \
      --as-of "$as_of" --no-progress > "Tests/DemarcCLITests/Golden/$name.$ext" || [ $? -eq 1 ]
  done
done
git status --short Tests/DemarcCLITests/Golden
