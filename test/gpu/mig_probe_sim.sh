#!/usr/bin/env bash
# mig_probe (the gpu_mig test's tool) on the simulated driver: an A100-40GB in MIG mode gets a
# 1g.5gb instance, lists it, destroys it; a GPU not in MIG mode answers 77 (what gpu_mig skips on).
# Usage: mig_probe_sim.sh <mig_probe> <simulated libnvidia-ml.so.1>
set -eu
probe=$1
nvml=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export HAMI_SIM_GPUS=A100-40GB HAMI_SIM_MIG=0 HAMI_SIM_STATE=$dir/sim.state
out=$("$probe" "$nvml" create)
echo "$out"
[[ $out == *"profile=1g.5gb gi="*" mig_uuid=MIG-"*" memory_mib="* ]] || { echo "FAIL: create: $out"; exit 1; }
gi=$(tr ' ' '\n' <<<"$out" | sed -n 's/^gi=//p')
[[ $("$probe" "$nvml" list) == "gi=$gi profile=1g.5gb mig_uuid=MIG-"* ]] || { echo "FAIL: list"; exit 1; }
[[ $("$probe" "$nvml" destroy "$gi") == "destroyed gi=$gi" ]] || { echo "FAIL: destroy"; exit 1; }
[[ -z $("$probe" "$nvml" list) ]] || { echo "FAIL: left behind"; exit 1; }
rc=0
HAMI_SIM_MIG='' HAMI_SIM_STATE=$dir/plain.state "$probe" "$nvml" create >/dev/null || rc=$?
[[ $rc == 77 ]] || { echo "FAIL: a GPU without MIG mode gave $rc, not 77"; exit 1; }
echo PASS
