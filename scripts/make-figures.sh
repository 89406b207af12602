#!/usr/bin/env bash
# Regenerates the README's figures from real runs with the tutorial's
# defaults: builds pipedream-viz (Release preset unless BUILD_DIR points at
# an existing build) and runs `pipedream-viz --headless --export docs/figures`.
# Extra arguments go to pipedream-viz (e.g. --schedule pipedream).
# Usage: scripts/make-figures.sh [run options]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$root/docs/figures"
if [ -n "${BUILD_DIR:-}" ]; then
  cmake --build "$BUILD_DIR" --target pipedream-viz -j "$(nproc)"
  viz="$BUILD_DIR/app/pipedream-viz"
else
  "$root/scripts/setup-deps.sh"
  cd "$root"
  [ -f build/release/CMakeCache.txt ] || cmake --preset release >/dev/null
  cmake --build --preset release --target pipedream-viz -j "$(nproc)"
  viz="$root/build/release/app/pipedream-viz"
fi
mkdir -p "$out"
"$viz" --headless --export "$out" "$@"
echo "figures in $out:"
ls -1 "$out"
