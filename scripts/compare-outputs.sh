#!/usr/bin/env bash
# Compares two demarc binaries' reports, byte for byte: every bundled capture against
# its scenario (jsonl, and each scenario's `check`), and every capture of
# ../shared/corpus (nDPI and malformed) under the built-in scenario. Prints each
# difference and a count; exits 1 if any.
#   scripts/compare-outputs.sh [--without-community-id] [--new-args 'ARGS'] [--flows [--embryonic S]] BASE_BINARY NEW_BINARY
# --without-community-id: for a base from before the Community ID (issue 34), csv
# reports are compared too, and both sides of each jsonl and csv report go through
# scripts/strip-community-id.py, which drops that field (and only it) where it is.
# --new-args 'ARGS': these arguments (split on spaces) go to every replay of NEW_BINARY
# only: options the base does not know, set so that the output should not change
# (--new-args '--embryonic-timeout 300' against a base without that option).
# --flows: a jsonl report that differs is shown by scripts/flow-diff.py (the flows the
# two split differently, and whether NEW's --embryonic-timeout, S seconds, explains each
# cut; 30 by default) instead of its first lines of diff.
# Build BASE_BINARY from an issue's base commit (git worktree add /tmp/base COMMIT).
set -uo pipefail
cd "$(dirname "$0")/.."
strip= newargs=() flows= embryonic=30
while [ $# -gt 2 ]; do
  case $1 in
    --without-community-id) strip=1; shift ;;
    --new-args) read -r -a newargs <<<"$2"; shift 2 ;;
    --flows) flows=1; shift ;;
    --embryonic) embryonic=$2; shift 2 ;;
    *) echo "compare-outputs.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
base=$1 new=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 diffs=0
run() {   # label, then demarc arguments
  local label=$1; shift
  "$base" "$@" >"$tmp/a" 2>/dev/null; local ra=$?
  local extra=(); [ "$1" = replay ] && extra=("${newargs[@]}")
  "$new" "$@" "${extra[@]}" >"$tmp/b" 2>/dev/null; local rb=$?
  if [ -n "$strip" ]; then
    local fmt=; case " $* " in *" --format jsonl "*) fmt=jsonl ;; *" --format csv "*) fmt=csv ;; esac
    if [ -n "$fmt" ]; then
      scripts/strip-community-id.py $fmt <"$tmp/a" >"$tmp/a2" && mv "$tmp/a2" "$tmp/a"
      scripts/strip-community-id.py $fmt <"$tmp/b" >"$tmp/b2" && mv "$tmp/b2" "$tmp/b"
    fi
  fi
  n=$((n + 1))
  if [ $ra -ne $rb ] || ! cmp -s "$tmp/a" "$tmp/b"; then
    diffs=$((diffs + 1))
    echo "DIFFERS: $label (exit $ra vs $rb)"
    if [ -n "$flows" ] && [[ " $* " == *" --format jsonl "* ]]; then
      scripts/flow-diff.py --embryonic "$embryonic" "$tmp/a" "$tmp/b"
    else
      diff "$tmp/a" "$tmp/b" | head -4
    fi
  fi
}
for s in scenarios/*.yaml; do
  name=$(basename "$s" .yaml)
  run "scenario check $s" scenario check "$s"
  [ -f "captures/$name.pcap" ] && run "captures/$name.pcap" replay "captures/$name.pcap" --scenario "$s" --format jsonl --no-progress
  # A second tap of the same deployment shares its scenario.
  [ -f "captures/$name-wan.pcap" ] && run "captures/$name-wan.pcap" replay "captures/$name-wan.pcap" --scenario "$s" --format jsonl --no-progress
  [ -f "captures/$name.pcap" ] && [ -n "$strip" ] && run "captures/$name.pcap (csv)" replay "captures/$name.pcap" --scenario "$s" --format csv --no-progress
done
if [ -d ../shared/corpus ]; then
  while IFS= read -r f; do
    run "$f" replay "$f" --format jsonl --no-progress
    [ -n "$strip" ] && run "$f (csv)" replay "$f" --format csv --no-progress
  done < <(find ../shared/corpus/ndpi ../shared/corpus/malformed -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' -o -path '*/malformed/*' \) | sort)
fi
echo "compared $n reports: $diffs differ"
[ $diffs -eq 0 ]
