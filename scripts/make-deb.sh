#!/usr/bin/env bash
# Builds dist/demarc_VERSION_ARCH.deb from the binary `make install` built
# (.build/release/demarc, Swift's runtime linked in): that binary, a man page made
# from its --help (help2man), the systemd unit deploy/systemd/demarc-monitor@.service,
# /etc/default/demarc (a conffile), and the user docs. Depends: is computed by
# dpkg-shlibdeps from the libraries the binary links (libpcap, libc, libstdc++, libgcc).
#   scripts/make-deb.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/demarc}
[ -x "$bin" ] || { echo "make-deb: no $bin (run make install first)" >&2; exit 2; }
scripts/deps.sh help2man:help2man dpkg-shlibdeps:dpkg-dev >/dev/null
# A binary that needs Swift's shared runtime would install but not run without Swift.
if ldd "$bin" | grep -qE 'libswift|libFoundation|libdispatch'; then
  echo "make-deb: $bin links Swift's shared runtime; build it with --static-swift-stdlib (make static)" >&2
  exit 1
fi

version=$("$bin" --version)
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root

install -D -m 755 "$bin" "$root/usr/bin/demarc"
strip --strip-unneeded "$root/usr/bin/demarc" 2>/dev/null || true
install -D -m 644 deploy/systemd/demarc-monitor@.service "$root/lib/systemd/system/demarc-monitor@.service"
install -D -m 644 deploy/systemd/demarc.default "$root/etc/default/demarc"
doc=$root/usr/share/doc/demarc
install -d "$doc" "$root/usr/share/man/man1" "$root/etc/demarc"
install -m 644 README.md docs/*.md "$doc/"
install -m 644 scenarios/overlay-network.yaml "$doc/example-scenario.yaml"
# Debian policy: the copyright file and a compressed changelog.
printf 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: demarc\n\nFiles: *\nCopyright: the demarc authors\nLicense: see README.md\n' > "$doc/copyright"
printf 'demarc (%s) unstable; urgency=low\n\n  * Built from the demarc repository.\n\n -- demarc <demarc@localhost>  %s\n' \
  "$version" "$(date -R -u -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")" | gzip -9n > "$doc/changelog.gz"

# The man page: the top --help, then replay's, monitor's and diff's.
make_man() {
  {
    for cmd in replay monitor diff; do
      echo "[${cmd^^}]"
      echo ".nf"
      "$bin" "$cmd" --help | sed 's/\\/\\\\/g; s/^\./\\\&./'
      echo ".fi"
    done
    echo "[FILES]"
    echo "/etc/default/demarc: settings of demarc-monitor@INTERFACE.service. /var/lib/demarc/: its reports."
  } > "$work/extra.h2m"
  help2man --no-info --no-discard-stderr --name="who is responsible for each network flow" \
    --include="$work/extra.h2m" "$bin" | gzip -9n > "$root/usr/share/man/man1/demarc.1.gz"
}
# --sensor's help suggests the host name: the page shows an example (gw1), not the build
# machine's, where a UTS namespace of its own can be had (root).
if [ "$(id -u)" -eq 0 ] && unshare --uts true 2>/dev/null; then
  export -f make_man
  export bin work root
  unshare --uts bash -c 'hostname gw1 && make_man'
else
  make_man
fi

# dpkg-shlibdeps reads debian/control from the current folder.
mkdir -p "$work/src/debian"
printf 'Source: demarc\n\nPackage: demarc\nArchitecture: any\n' > "$work/src/debian/control"
depends=$(cd "$work/src" && dpkg-shlibdeps -O -e "$root/usr/bin/demarc" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "make-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: demarc
Version: $version
Architecture: $arch
Maintainer: demarc <demarc@localhost>
Section: net
Priority: optional
Installed-Size: $(du -sk "$root" | cut -f1)
Depends: $depends
Description: who is responsible for each network flow
 Replays captures or monitors an interface against a scenario of provider
 nodes, zones and owners, and reports per flow its segment, the responsible
 party, the encryption verdict, the filter rule it matched and findings, in
 table, JSON, CSV, ECS, OCSF, HTML or IPFIX. demarc-monitor@IFACE.service runs
 it on a gateway.
CONTROL
echo /etc/default/demarc > "$root/DEBIAN/conffiles"
mkdir -p dist
out=dist/demarc_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out: Depends: $depends ($(du -k "$out" | cut -f1) KiB)"
