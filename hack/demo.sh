#!/usr/bin/env bash
# The main job (see README): plan the example pods onto the example GPU nodes with the scheduler's
# own core, then show libvgpu enforcing a slice on the simulated GPU driver when both are built.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/_output}

echo "== hami simulate: examples/simulate/pods.yaml onto examples/simulate/nodes.yaml"
"$OUT/bin/hami" simulate --nodes examples/simulate/nodes.yaml --pods examples/simulate/pods.yaml

PROBE=$(ls "$OUT"/build/test/shim/shim_probe 2>/dev/null || true)
if [ -n "$PROBE" ] && [ -e "$OUT/lib/libvgpu.so" ] && [ -e "$OUT/lib/sim/libcuda.so.1" ]; then
  echo
  echo "== libvgpu.so on the simulated driver: a container limited to 3000 MiB of a 40 GiB A100"
  cache=$(mktemp -d)
  HAMI_SIM_GPUS=1xA100-40GB LD_LIBRARY_PATH="$OUT/lib/sim" LD_PRELOAD="$OUT/lib/libvgpu.so" \
    CUDA_DEVICE_MEMORY_LIMIT_0=3000m CUDA_DEVICE_MEMORY_SHARED_CACHE="$cache/vgpu.cache" \
    "$PROBE" meminfo || true
  rm -rf "$cache"
fi
