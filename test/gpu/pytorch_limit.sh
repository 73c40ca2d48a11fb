#!/usr/bin/env bash
# PyTorch under libvgpu with a 3000 MiB limit sees 3000 MiB total and gets OOM past it.
# Usage: pytorch_limit.sh <libvgpu.so>
set -u
. "$(dirname "$0")/gpu_common.sh"
need_gpu
python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null ||
  skip "no PyTorch with CUDA"
cache=$(mktemp -u /tmp/hami_gpu_XXXX.cache)
trap 'rm -f "$cache"' EXIT
LD_PRELOAD="$1" CUDA_DEVICE_MEMORY_LIMIT_0=3000m CUDA_DEVICE_MEMORY_SHARED_CACHE="$cache" \
python3 - <<'PY' || fail "pytorch checks"
import torch
MiB = 1 << 20
free, total = torch.cuda.mem_get_info(0)
print(f"total={total // MiB}MiB free={free // MiB}MiB")
assert total == 3000 * MiB, total
assert torch.cuda.get_device_properties(0).total_memory == 3000 * MiB
a = torch.empty(1500 * MiB, dtype=torch.uint8, device="cuda")
try:
    b = torch.empty(2000 * MiB, dtype=torch.uint8, device="cuda")
except torch.cuda.OutOfMemoryError as e:
    print("OOM as expected:", str(e).splitlines()[0])
else:
    raise SystemExit("allocation past the limit succeeded")
PY
echo PASS
