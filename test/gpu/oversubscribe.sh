#!/usr/bin/env bash
# Memory oversubscription on a real GPU: with CUDA_OVERSUBSCRIBE=true and a limit of 1.5x the
# card, a CUDA program (and PyTorch, where installed) allocates 1.4x+ of the card, writes all of it
# and frees it; without the switch it stops at the card. Prints the cost of spilled vs device
# memory (allocation, cudaMemset, a kernel).
# Usage: oversubscribe.sh <libvgpu.so> <oversubscribe binary or "">
set -u
. "$(dirname "$0")/gpu_common.sh"
need_gpu
libvgpu=$1
bin=${2:-}
if [ -n "$bin" ] && [ ! -x "$bin" ]; then bin=""; fi
have_torch=0
python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null &&
  have_torch=1
if [ -z "$bin" ] && [ "$have_torch" = 0 ]; then skip "neither nvcc (oversubscribe binary) nor PyTorch"; fi
phys=$(nvidia-smi -i 0 --query-gpu=memory.total --format=csv,noheader,nounits | head -1)
limit=$((phys * 3 / 2))
echo "card: ${phys} MiB; limit: ${limit} MiB"
cache=$(mktemp -u /tmp/hami_gpu_XXXX.cache)
trap 'rm -f "$cache"' EXIT
run() {  # run <CUDA_OVERSUBSCRIBE value> <command...>
  local value=$1
  shift
  LD_PRELOAD="$libvgpu" CUDA_DEVICE_MEMORY_LIMIT_0="${limit}m" CUDA_OVERSUBSCRIBE="$value" \
    CUDA_DEVICE_MEMORY_SHARED_CACHE="$cache" "$@"
}
if [ -n "$bin" ]; then
  run true "$bin" spill "$phys" || fail "oversubscribed CUDA program"
  run false "$bin" oom "$phys" || fail "CUDA program without oversubscription"
fi
if [ "$have_torch" = 1 ]; then
  PHYS_MIB=$phys LIMIT_MIB=$limit run true python3 - <<'PY' || fail "oversubscribed PyTorch"
import os, time, torch
MiB, GiB = 1 << 20, 1 << 30
phys, limit = int(os.environ["PHYS_MIB"]) * MiB, int(os.environ["LIMIT_MIB"]) * MiB
free, total = torch.cuda.mem_get_info(0)
print(f"torch: total={total // MiB}MiB free={free // MiB}MiB")
assert total == limit, total
chunks = []
t0 = time.time()
while (len(chunks) + 1) * GiB <= phys * 14 // 10:
    chunks.append(torch.empty(GiB, dtype=torch.uint8, device="cuda"))
print(f"torch: {len(chunks)} GiB allocated in {time.time() - t0:.2f}s")
for i, t in enumerate(chunks):
    t.fill_(i % 251)
torch.cuda.synchronize()
assert int(chunks[-1][-1]) == (len(chunks) - 1) % 251
assert int(chunks[0].sum(dtype=torch.int64)) == 0
del chunks
torch.cuda.empty_cache()
free, total = torch.cuda.mem_get_info(0)
print(f"torch after free: free={free // MiB}MiB of {total // MiB}MiB")
assert free + GiB >= total
PY
fi
echo PASS
