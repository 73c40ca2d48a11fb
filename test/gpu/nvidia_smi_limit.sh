#!/usr/bin/env bash
# nvidia-smi under libvgpu shows the container's limit as total memory.
# Usage: nvidia_smi_limit.sh <libvgpu.so>
set -u
. "$(dirname "$0")/gpu_common.sh"
need_gpu
cache=$(mktemp -u /tmp/hami_gpu_XXXX.cache)
trap 'rm -f "$cache"' EXIT
total=$(LD_PRELOAD="$1" CUDA_DEVICE_MEMORY_LIMIT_0=3000m CUDA_DEVICE_MEMORY_SHARED_CACHE="$cache" \
        nvidia-smi -i 0 --query-gpu=memory.total --format=csv,noheader,nounits | tr -d ' ')
echo "memory.total=$total MiB"
[ "$total" = 3000 ] || fail "nvidia-smi shows $total MiB, want 3000"
echo PASS
