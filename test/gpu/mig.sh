#!/usr/bin/env bash
# Dynamic MIG on a real MIG-capable card already in MIG mode: the device plugin's own NVML code
# (mig_probe) creates an instance of the smallest profile, a CUDA program (PyTorch) runs in it and
# sees the instance's memory, and the instance is destroyed and gone. Only the instance it creates
# is touched; the MIG mode is never changed (skipped when no GPU is in MIG mode).
# Usage: mig.sh <mig_probe>
set -u
. "$(dirname "$0")/gpu_common.sh"
need_gpu
probe=$1
nvml=libnvidia-ml.so.1
nvidia-smi --query-gpu=mig.mode.current --format=csv,noheader | grep -q Enabled ||
  skip "no GPU in MIG mode (nvidia-smi -i N -mig 1 enables it; this test never changes it)"
python3 -c 'import torch' 2>/dev/null || skip "no PyTorch to run in the instance"
out=$("$probe" "$nvml" create) || fail "create: $out"
echo "$out"
field() { tr ' ' '\n' <<<"$out" | sed -n "s/^$1=//p"; }
gi=$(field gi)
mig=$(field mig_uuid)
mib=$(field memory_mib)
trap '"$probe" "$nvml" destroy "$gi" >/dev/null 2>&1' EXIT
nvidia-smi -L | grep -qF "$mig" || fail "nvidia-smi -L does not list $mig"
CUDA_VISIBLE_DEVICES=$mig MIB=$mib python3 - <<'PY' || fail "PyTorch in the MIG instance"
import os, torch
assert torch.cuda.device_count() == 1, torch.cuda.device_count()
free, total = torch.cuda.mem_get_info(0)
want = int(os.environ["MIB"]) << 20
print(f"torch in the instance: total={total >> 20}MiB free={free >> 20}MiB (profile {want >> 20}MiB)")
assert abs(total - want) <= want // 10, (total, want)
x = torch.ones(1 << 26, dtype=torch.int32, device="cuda")  # 256 MiB, summed by a kernel
assert int(x.sum()) == 1 << 26
PY
"$probe" "$nvml" destroy "$gi" || fail "destroy"
trap - EXIT
if nvidia-smi -L | grep -qF "$mig"; then fail "$mig still listed after destroy"; fi
echo PASS
