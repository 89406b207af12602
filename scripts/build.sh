#!/usr/bin/env bash
# Installs what is missing, configures once and builds incrementally.
# Usage: scripts/build.sh [release|debug|asan|tsan]   (default: release)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
preset=${1:-release}
"$root/scripts/setup-deps.sh"
cd "$root"
if [ ! -f "build/$preset/CMakeCache.txt" ]; then
  cmake --preset "$preset" >/dev/null
fi
cmake --build --preset "$preset" -j "$(nproc)"
