#!/usr/bin/env bash
# The newcomer's check: on a fresh Debian system, the README's two commands succeed.
#   sudo scripts/fresh-debian-check.sh [WORKDIR]
# Builds a Debian chroot with debootstrap, binds the Swift toolchain into it read-only,
# adds what a Swift toolchain itself needs on Debian (swift.org's list) with git and make,
# clones this repository (its committed HEAD) into it and runs `make run` and `make test`
# there. It then installs demarc (`make install`), unbinds the toolchain and runs
# scripts/check-installed.sh on the installed binary. Passes when every step exits 0 and
# no test was skipped for want of a tool (a test that needs ../shared may skip: the
# chroot has none). Takes about half an hour: three cold builds. The log is WORKDIR/log.
#
# Settings (environment):
#   SUITE           Debian release (default: bookworm)
#   MIRROR          Debian mirror (default: http://deb.debian.org/debian)
#   SWIFT_ROOT      the toolchain's root, holding usr/bin/swift (default: from `swift` on PATH)
#   GIT_MIRROR      a folder laid out as github.com (OWNER/NAME), read instead of GitHub
#                   where GitHub cannot be reached (git's url.DIR.insteadOf); bound read-only
#   EXTRA_CA        PEM certificates (files, space-separated) the chroot trusts besides
#                   Debian's: where HTTPS goes through a TLS-inspecting proxy, its CA
#   KEEP=1          keep WORKDIR (the chroot) afterwards
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "fresh-debian-check: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
suite=${SUITE:-bookworm}
mirror=${MIRROR:-http://deb.debian.org/debian}
if [ -z "${SWIFT_ROOT:-}" ]; then
  swift=$(command -v swift) || { echo "fresh-debian-check: no swift on PATH; set SWIFT_ROOT" >&2; exit 2; }
  SWIFT_ROOT=$(readlink -f "$(dirname "$(readlink -f "$swift")")/../..")
fi
[ -x "$SWIFT_ROOT/usr/bin/swift" ] || { echo "fresh-debian-check: no $SWIFT_ROOT/usr/bin/swift" >&2; exit 2; }
work=${1:-$(mktemp -d /var/tmp/demarc-fresh.XXXXXX)}
mkdir -p "$work"
work=$(readlink -f "$work")
root=$work/root
log=$work/log
: > "$log"

say() { echo "== $*" | tee -a "$log"; }
unmount_all() {
  # Deepest first; --lazy for a /dev or /sys a process still holds.
  findmnt -rn -o TARGET | grep -E "^$root(/|$)" | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
}
cleanup() {
  unmount_all
  if findmnt -rn -o TARGET | grep -qE "^$root(/|$)"; then
    echo "fresh-debian-check: mounts remain under $root; not removing it" >&2
  elif [ "${KEEP:-0}" != 1 ]; then
    rm -rf "$work/root"
  fi
}
trap cleanup EXIT

command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }

start=$(date +%s)
say "debootstrap $suite from $mirror into $root"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >>"$log" 2>&1

mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
bind_ro() {
  mkdir -p "$root$2"
  mount --bind "$1" "$root$2"
  mount -o remount,bind,ro "$root$2"
}
bind_ro "$SWIFT_ROOT" /opt/swift
cp /etc/resolv.conf "$root/etc/resolv.conf"
if [ -n "${GIT_MIRROR:-}" ]; then
  bind_ro "$GIT_MIRROR" /opt/git-mirror
  printf '[url "/opt/git-mirror/"]\n\tinsteadOf = https://github.com/\n' > "$root/root/.gitconfig"
fi
branch=$(git -C "$repo" rev-parse --abbrev-ref HEAD)
git clone --quiet --branch "$branch" "$repo" "$root/root/demarc"
say "repository: $(git -C "$root/root/demarc" log -1 --format='%h %s')"

in_chroot() {
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/opt/swift/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "$1"
}
say "what a Swift toolchain needs on Debian (swift.org), git and make"
toolchain_needs="binutils-gold gcc git libc6-dev libcurl4-openssl-dev libedit-dev libicu-dev libncurses-dev
  libpython3-dev libsqlite3-dev libstdc++-12-dev libxml2-dev make pkg-config tzdata uuid-dev"
in_chroot "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq $(echo $toolchain_needs)" >>"$log" 2>&1
if [ -n "${EXTRA_CA:-}" ]; then
  for ca in $EXTRA_CA; do cp "$ca" "$root/usr/local/share/ca-certificates/$(basename "${ca%.*}").crt"; done
  in_chroot 'apt-get install -y -qq ca-certificates && update-ca-certificates' >>"$log" 2>&1
  say "trusted besides Debian's CAs: $EXTRA_CA"
fi
in_chroot 'swift --version' 2>&1 | head -1 | tee -a "$log"

status=0
say "make run"
in_chroot 'cd /root/demarc && make run' >>"$log" 2>&1 || status=$?
say "make run: exit $status"
[ "$status" -eq 0 ] || { tail -30 "$log"; exit 1; }

say "make test"
test_from=$(( $(wc -l < "$log") + 1 ))
in_chroot 'cd /root/demarc && make test' >>"$log" 2>&1 || status=$?
say "make test: exit $status"
tail -n +"$test_from" "$log" > "$work/test.log"
grep -E 'Test run with|checks passed' "$work/test.log" | tail -3 | tee -a "$log" || true

# Skips: Swift Testing's "Test … skipped: …", the tests' own notes and make targets' lines.
skips=$(grep -E 'skipped' "$work/test.log" | grep -v -F '../shared' || true)
if [ -n "$skips" ]; then
  say "skipped for a reason other than ../shared:"
  printf '%s\n' "$skips" | tee -a "$log"
  status=1
fi
say "skipped for want of ../shared: $(grep -E 'skipped' "$work/test.log" | grep -c -F '../shared' || true)"
[ "$status" -eq 0 ] || { tail -40 "$log"; exit 1; }

say "make install PREFIX=/usr/local, then the installed binary without the toolchain"
in_chroot 'cd /root/demarc && make install PREFIX=/usr/local' >>"$log" 2>&1 || status=$?
[ "$status" -eq 0 ] || { tail -30 "$log"; say "make install: exit $status"; exit 1; }
umount "$root/opt/swift"
in_chroot 'command -v swift || echo "no swift in the chroot now"; cd /root/demarc && scripts/check-installed.sh /usr/local/bin/demarc' 2>&1 | tee -a "$log" || status=$?
[ "$status" -eq 0 ] || { say "installed binary: FAILED"; exit 1; }

say "fresh Debian check passed in $(( ($(date +%s) - start) / 60 )) min"
