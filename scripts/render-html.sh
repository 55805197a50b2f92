#!/usr/bin/env bash
# Renders an HTML report in headless Chromium (Debian's chromium package): a screenshot
# to PNG, and the DOM after the page's script has run, on stdout.
#   render-html.sh REPORT.html OUT.png [WIDTHxHEIGHT] [#q=FILTER]
set -euo pipefail
report=$(realpath "$1"); png=$2; size=${3:-1280x1800}; hash=${4:-}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "render-html: no chromium (apt install chromium)" >&2; exit 3; }
# Its own profile, no sandbox (CI runs as root), nothing fetched: the page is self-contained.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --user-data-dir="$profile"
       --window-size="${size/x/,}")
"$browser" "${flags[@]}" --screenshot="$png" "file://$report$hash" >/dev/null 2>&1
"$browser" "${flags[@]}" --dump-dom "file://$report$hash" 2>/dev/null
