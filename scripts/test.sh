#!/usr/bin/env bash
# Quick start, command 2: install, build and run every test through ctest.
# Usage: scripts/test.sh [release|debug|asan|tsan] [extra ctest arguments]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
preset=${1:-release}
shift || true
"$root/scripts/build.sh" "$preset"
cd "$root"
ctest --preset "$preset" "$@"
