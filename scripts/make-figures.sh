#!/usr/bin/env bash
# Regenerates the README's figures from real runs with the tutorial's
# defaults: builds pipedream-viz (Release preset unless BUILD_DIR points at
# an existing build) and runs `pipedream-viz --headless --export docs/figures`.
# Extra arguments go to pipedream-viz (e.g. --schedule pipedream). Without
# any, also the README's two animations: the walk through the first batch
# under 1F1B and under PipeDream (walk-1f1b.gif, walk-pipedream.gif).
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
if [ $# -eq 0 ]; then
  "$viz" --headless --export-animation "$out/walk-1f1b.gif" --schedule 1f1b --batches 1
  "$viz" --headless --export-animation "$out/walk-pipedream.gif" --schedule pipedream --batches 2
fi
echo "figures in $out:"
ls -1 "$out"
