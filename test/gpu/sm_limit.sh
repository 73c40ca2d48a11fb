#!/usr/bin/env bash
# An SM limit of 30 keeps a busy kernel's measured GPU utilization within +-5 points.
# Usage: sm_limit.sh <libvgpu.so> <busy_kernel binary or "">
set -u
. "$(dirname "$0")/gpu_common.sh"
need_gpu
if [ -z "${2:-}" ] || [ ! -x "$2" ]; then skip "busy_kernel not built (no nvcc)"; fi
cache=$(mktemp -u /tmp/hami_gpu_XXXX.cache)
trap 'rm -f "$cache"' EXIT
LD_PRELOAD="$1" CUDA_DEVICE_SM_LIMIT=30 GPU_CORE_UTILIZATION_POLICY=force \
  CUDA_DEVICE_MEMORY_SHARED_CACHE="$cache" "$2" 20 &
pid=$!
sleep 8  # the controller's settling time; the samples below are the measurement window
samples=$(for _ in $(seq 1 20); do
  nvidia-smi -i 0 --query-gpu=utilization.gpu --format=csv,noheader,nounits; sleep 0.5; done)
wait $pid || fail "busy kernel failed"
mean=$(echo "$samples" | awk '{s += $1} END {printf "%.1f", s / NR}')
echo "utilization samples: $(tr '\n' ' ' <<<"$samples")mean=$mean"
awk -v m="$mean" 'BEGIN { exit !(m >= 25 && m <= 35) }' || fail "mean utilization $mean not in 30+-5"
echo PASS
