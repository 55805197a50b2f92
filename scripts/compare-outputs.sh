#!/usr/bin/env bash
# Compares two demarc binaries' reports, byte for byte: every bundled capture against
# its scenario (jsonl, and each scenario's `check`), and every capture of
# ../shared/corpus (nDPI and malformed) under the built-in scenario. Prints each
# difference and a count; exits 1 if any.
#   scripts/compare-outputs.sh [--without-community-id] [--all-formats] [--slice K/N]
#                              [--new-args 'ARGS'] [--flows [--embryonic S]] BASE_BINARY NEW_BINARY
# --without-community-id: for a base from before the Community ID (issue 34), csv
# reports are compared too, and both sides of each jsonl and csv report go through
# scripts/strip-community-id.py, which drops that field (and only it) where it is.
# --all-formats: every replay report in every format (table, json, jsonl, csv, markdown,
# html, ecs, ocsf, cbom) with --workers 1 and --workers 2, and `diff` (table, json,
# jsonl, csv, markdown, html; both worker counts) of each bundled capture between its
# scenario and itself, and between it and each what-if of its scenario
# (scenarios/what-if/NAME-*.yaml). No format embeds the time it was made: the reports
# are compared byte for byte, as the goldens are.
# --slice K/N (K from 0 to N-1): only the K-th of every N corpus captures, and the
# bundled ones only in slice 0, so that N runs side by side cover everything once.
# --new-args 'ARGS': these arguments (split on spaces) go to every replay of NEW_BINARY
# only: options the base does not know, set so that the output should not change
# (--new-args '--embryonic-timeout 300' against a base without that option).
# --flows: a jsonl report that differs is shown by scripts/flow-diff.py (the flows the
# two split differently, and whether NEW's --embryonic-timeout, S seconds, explains each
# cut; 30 by default) instead of its first lines of diff.
# Build BASE_BINARY from an issue's base commit (git worktree add /tmp/base COMMIT).
set -uo pipefail
cd "$(dirname "$0")/.."
strip= all= slice=0 slices=1 newargs=() flows= embryonic=30
while :; do
  case "${1:-}" in
    --without-community-id) strip=1; shift ;;
    --all-formats) all=1; shift ;;
    --slice) slice=${2%/*} slices=${2#*/}; shift 2 ;;
    --new-args) read -r -a newargs <<<"$2"; shift 2 ;;
    --flows) flows=1; shift ;;
    --embryonic) embryonic=$2; shift 2 ;;
    --*) echo "compare-outputs.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
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
replay_formats="table json jsonl csv markdown html ecs ocsf cbom"
diff_formats="table json jsonl csv markdown html"
# Every replay format with 1 and 2 workers: label, then the replay's arguments.
every_format() {
  local label=$1; shift
  for fmt in $replay_formats; do
    for w in 1 2; do run "$label ($fmt, $w workers)" replay "$@" --format $fmt --workers $w --no-progress; done
  done
}
every_diff() {   # label, capture, before, after
  for fmt in $diff_formats; do
    for w in 1 2; do run "$1 ($fmt, $w workers)" diff "$2" --scenario "$3" --against "$4" --format $fmt --workers $w --no-progress; done
  done
}
for s in scenarios/*.yaml; do
  [ "$slice" -eq 0 ] || break
  name=$(basename "$s" .yaml)
  run "scenario check $s" scenario check "$s"
  if [ -n "$all" ]; then
    for c in "captures/$name.pcap" "captures/$name-wan.pcap"; do
      [ -f "$c" ] || continue
      every_format "$c" "$c" --scenario "$s"
      every_diff "diff $c $s $s" "$c" "$s" "$s"
      for w in scenarios/what-if/"$name"-*.yaml; do
        [ -f "$w" ] && every_diff "diff $c $s $w" "$c" "$s" "$w"
      done
    done
    continue
  fi
  [ -f "captures/$name.pcap" ] && run "captures/$name.pcap" replay "captures/$name.pcap" --scenario "$s" --format jsonl --no-progress
  # A second tap of the same deployment shares its scenario.
  [ -f "captures/$name-wan.pcap" ] && run "captures/$name-wan.pcap" replay "captures/$name-wan.pcap" --scenario "$s" --format jsonl --no-progress
  [ -f "captures/$name.pcap" ] && [ -n "$strip" ] && run "captures/$name.pcap (csv)" replay "captures/$name.pcap" --scenario "$s" --format csv --no-progress
done
if [ -d ../shared/corpus ]; then
  i=-1
  while IFS= read -r f; do
    i=$((i + 1))
    [ $((i % slices)) -eq "$slice" ] || continue
    if [ -n "$all" ]; then every_format "$f" "$f"; continue; fi
    run "$f" replay "$f" --format jsonl --no-progress
    [ -n "$strip" ] && run "$f (csv)" replay "$f" --format csv --no-progress
  done < <(find ../shared/corpus/ndpi ../shared/corpus/malformed -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' -o -path '*/malformed/*' \) | sort)
fi
echo "compared $n reports: $diffs differ"
[ $diffs -eq 0 ]
