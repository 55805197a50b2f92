#!/usr/bin/env bash
# A Python virtual environment with pinned PyPI packages, made once and reused:
#   scripts/python-env.sh DIR PACKAGE==VERSION...
# Installs Debian's python3-venv first where it is missing. Exits 3 (and says so) when
# PyPI cannot be reached, so a caller can skip what needs the packages.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1; shift
scripts/deps.sh python3.ensurepip:python3-venv
[ -x "$dir/bin/python" ] || python3 -m venv "$dir"
missing=()
for spec in "$@"; do
  name=${spec%%==*} version=${spec#*==}
  name=${name%%[*}   # extras ("pkg[extra]") are not part of the distribution's name
  have=$("$dir/bin/python" -c "import importlib.metadata as m; print(m.version('$name'))" 2>/dev/null || true)
  [ "$have" = "$version" ] || missing+=("$spec")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing into $dir: ${missing[*]}" >&2
"$dir/bin/pip" install --quiet --disable-pip-version-check "${missing[@]}" || { echo "python-env: PyPI not reachable for ${missing[*]}" >&2; exit 3; }
