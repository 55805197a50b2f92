#!/usr/bin/env bash
# Rewrites the golden reports (Tests/DemarcCLITests/Golden) from the current build: every
# bundled deployment in every format. Run after an intended change to the output, and
# read the diff before committing it.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product demarc >/dev/null
bin=$(swift build --show-bin-path)/demarc
for name in overlay-network iaas-vms data-platform; do
  for format in json jsonl csv markdown html table; do
    ext=$format; [ "$format" = markdown ] && ext=md; [ "$format" = table ] && ext=txt
    NO_COLOR=1 "$bin" replay "captures/$name.pcap" --scenario "scenarios/$name.yaml" --format "$format" \
      --no-progress > "Tests/DemarcCLITests/Golden/$name.$ext" || [ $? -eq 1 ]
  done
done
git status --short Tests/DemarcCLITests/Golden
