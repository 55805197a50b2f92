#!/usr/bin/env bash
# Checks deploy/systemd/demarc-monitor@.service: `systemd-analyze verify` on an instance
# of it (its ExecStart pointed at the built binary, its man page made from that binary's
# --help), and `systemd-analyze security --offline=true`, whose overall exposure must stay
# under MAX_EXPOSURE (default 3.0).
#   deploy/systemd/check.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(readlink -f "${1:-.build/release/demarc}")
max=${MAX_EXPOSURE:-3.0}
scripts/deps.sh systemd-analyze:systemd help2man:help2man man:man-db >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s|/usr/bin/demarc|$bin|" deploy/systemd/demarc-monitor@.service > "$work/demarc-monitor@eth0.service"
mkdir -p "$work/man/man1"
help2man --no-info --no-discard-stderr --name=demarc "$bin" | gzip > "$work/man/man1/demarc.1.gz"
MANPATH=$work/man systemd-analyze verify "$work/demarc-monitor@eth0.service"
echo "systemd-analyze verify: demarc-monitor@eth0.service OK"
score=$(systemd-analyze security --offline=true --no-pager deploy/systemd/demarc-monitor@.service 2>&1 \
  | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || { echo "systemd-analyze security printed no exposure level"; exit 1; }
echo "systemd-analyze security --offline=true: exposure $score (at most $max)"
awk -v s="$score" -v m="$max" 'BEGIN { exit !(s < m) }' || { echo "exposure $score is not under $max"; exit 1; }
