#!/usr/bin/env bash
# Quick start, command 1: install, build (Release) and start PipeDream Studio
# with the tutorial's defaults (4 stages, 4 microbatches, 48 layers, hidden
# 512, batch 32, 5 batches). Extra arguments go to pipedream-viz, e.g.
#   scripts/run.sh --schedule pipedream --stages 4
#   scripts/run.sh --headless --export out/figures
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/build.sh" release
exec "$root/build/release/app/pipedream-viz" "$@"
