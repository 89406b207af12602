#!/usr/bin/env bash
# The CUDA path on a GPU machine, which may have no Qt:
#   bash scripts/gpu-check.sh [OUT_DIR]
# Builds the engine and pipedream-train against a CUDA LibTorch (the one that
# python3's torch carries, unless CMAKE_PREFIX_PATH or Torch_DIR says
# otherwise), then trains every schedule kind on the CPU and on the GPU with
# the same seed and checks each GPU run with scripts/check-run.py: same losses,
# complete event stream, stages never overlap, dependencies hold in the
# measured (CUDA event) times; then the same for 2 rank processes over Gloo
# (--backend gloo --launch) with their stages on the GPU. Ends with a
# default-size run on the GPU and its measured figures. Exit 0 when every
# check passed.
# PD_GPU_CHECK_DEVICE=cpu runs the same checks on the CPU (to test this script).
# The CSV and trace files in OUT_DIR open in the GUI elsewhere:
#   pipedream-viz --open OUT_DIR/1f1b-cuda.trace.json
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-build/gpu-check}
device=${PD_GPU_CHECK_DEVICE:-cuda}
build=${BUILD_DIR:-build/gpu}
mkdir -p "$out"

if [ -z "${CMAKE_PREFIX_PATH:-}" ] && [ -z "${Torch_DIR:-}" ]; then
  CMAKE_PREFIX_PATH=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
  export CMAKE_PREFIX_PATH
fi
cmake -S . -B "$build" -DPD_WITH_QT=OFF -DCMAKE_BUILD_TYPE=Release ${Torch_DIR:+-DTorch_DIR="$Torch_DIR"}
cmake --build "$build" -j"$(nproc)" --target pipedream-train
train="$build/app/pipedream-train"

status=0
for kind in naive gpipe 1f1b pipedream 2bw interleaved zb-h1 zb-h2 zb-v looped-bfs interleaved-zb dualpipev; do
  args=(--schedule "$kind" --batches 4 --microbatches 8)
  if [ "$kind" = interleaved ]; then args+=(--chunks 2); fi
  "$train" "${args[@]}" --device cpu --json > "$out/$kind-cpu.json"
  "$train" "${args[@]}" --device "$device" --json --csv "$out/$kind-$device.csv" \
    --trace "$out/$kind-$device.trace.json" > "$out/$kind-$device.json"
  python3 scripts/check-run.py "$out/$kind-cpu.json" "$out/$kind-$device.json" \
    "$out/$kind-$device.csv" || status=1
done

# Distributed stages: 2 rank processes on this machine over Gloo, each
# stage on the device, against the same run in one process on the CPU.
echo "--- distributed: 2 rank processes over gloo, stages on $device"
dargs=(--stages 2 --batches 3 --microbatches 4)
if "$train" "${dargs[@]}" --backend gloo --launch --device "$device" --json \
    --csv "$out/gloo-$device.csv" --trace "$out/gloo-$device.trace.json" \
    > "$out/gloo-$device.json" 2> "$out/gloo-$device.err"; then
  "$train" "${dargs[@]}" --device cpu --json > "$out/gloo-cpu.json"
  python3 scripts/check-run.py "$out/gloo-cpu.json" "$out/gloo-$device.json" \
    "$out/gloo-$device.csv" --slack-us 200 || status=1
elif grep -q "no Gloo" "$out/gloo-$device.err"; then
  echo "skipped: $(cat "$out/gloo-$device.err")"
else
  cat "$out/gloo-$device.err"
  status=1
fi

echo "--- default run on $device"
"$train" --device "$device" | tee "$out/default-$device.log" | tail -25
exit $status
