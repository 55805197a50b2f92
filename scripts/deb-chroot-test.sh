#!/usr/bin/env bash
# Installs dist/demarc_*.deb into a fresh Debian bookworm (debootstrap --variant=minbase,
# no Swift) with `apt-get install ./demarc_*.deb`, which must pull in what Depends names,
# then replays a bundled capture there: the jsonl must equal the golden byte for byte.
# Checks too that the unit, /etc/default/demarc (a conffile) and the man page are there.
# Root only (chroot). The mirror is the host's apt source (DEB_MIRROR overrides it).
#   scripts/deb-chroot-test.sh [PACKAGE.deb]
set -euo pipefail
cd "$(dirname "$0")/.."
deb=${1:-$(ls dist/demarc_*.deb | tail -1)}
[ "$(id -u)" -eq 0 ] || { echo "deb-test: needs root (debootstrap, chroot)"; exit 2; }
scripts/deps.sh debootstrap:debootstrap >/dev/null
mirror=${DEB_MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}

root=$(mktemp -d /tmp/demarc-chroot.XXXXXX)
cleanup() { umount "$root/proc" 2>/dev/null || true; rm -rf "$root"; }
trap cleanup EXIT
start=$(date +%s)
debootstrap --variant=minbase bookworm "$root" "$mirror" > "$root.log" 2>&1 || { tail -20 "$root.log"; exit 1; }
rm -f "$root.log"
echo "debootstrap: $(( $(date +%s) - start )) s"
mount -t proc proc "$root/proc"
if chroot "$root" sh -c 'command -v swift' >/dev/null; then echo "deb-test: the chroot has Swift"; exit 1; fi

name=overlay-network
mkdir -p "$root/tmp/t/captures" "$root/tmp/t/scenarios"
cp "$deb" "$root/tmp/t/"
cp "captures/$name.pcap" "$root/tmp/t/captures/"
cp "scenarios/$name.yaml" "$root/tmp/t/scenarios/"
chroot "$root" env DEBIAN_FRONTEND=noninteractive sh -c \
  "apt-get update -qq && apt-get install -y -qq --no-install-recommends /tmp/t/$(basename "$deb")" > "$root/tmp/apt.log" 2>&1 \
  || { tail -20 "$root/tmp/apt.log"; exit 1; }
for f in /usr/bin/demarc /lib/systemd/system/demarc-monitor@.service /etc/default/demarc \
         /usr/share/man/man1/demarc.1.gz /usr/share/doc/demarc/deployment.md; do
  [ -e "$root$f" ] || { echo "deb-test: $f is not installed"; exit 1; }
done
chroot "$root" dpkg-query -W -f='${Conffiles}\n' demarc | grep -q /etc/default/demarc \
  || { echo "deb-test: /etc/default/demarc is not a conffile"; exit 1; }
set +e
chroot "$root" env -i PATH=/usr/bin:/bin sh -c "cd /tmp/t && demarc replay captures/$name.pcap --scenario scenarios/$name.yaml \
  --format jsonl --as-of 2026-12-01 --no-progress" > "$root/tmp/t/out.jsonl" 2> "$root/tmp/t/err"
rc=$?
set -e
[ "$rc" -le 1 ] || { cat "$root/tmp/t/err"; echo "deb-test: demarc exited $rc"; exit 1; }
if ! cmp -s "$root/tmp/t/out.jsonl" "Tests/DemarcCLITests/Golden/$name.jsonl"; then
  diff "$root/tmp/t/out.jsonl" "Tests/DemarcCLITests/Golden/$name.jsonl" | head -10
  echo "deb-test: the installed demarc's report differs from the golden"; exit 1
fi
echo "deb-test: $(basename "$deb") installed into a minbase bookworm chroot without Swift ($(chroot "$root" dpkg-query -W -f='${Depends}' demarc)); replay of $name equals the golden ($(wc -l < "$root/tmp/t/out.jsonl") lines); $(( $(date +%s) - start )) s"
