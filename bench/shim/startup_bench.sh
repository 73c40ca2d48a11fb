#!/usr/bin/env bash
# Starts N (default 64) CUDA processes at once on the simulated driver, with and without
# libvgpu preloaded, and reports p50/p99 of each process's init time (main -> first allocation).
# Usage: startup_bench.sh <init_probe> <libvgpu.so> <sim lib dir> [N]
set -euo pipefail
probe=$1 vgpu=$2 simdir=$3 n=${4:-64}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HAMI_SIM_GPUS=1xA100-80GB HAMI_SIM_STATE=$tmp/sim.state
run() {  # $1 = label, rest = env
  local label=$1; shift
  local pids=()
  for i in $(seq 1 "$n"); do
    env "$@" LD_LIBRARY_PATH="$simdir" "$probe" >"$tmp/$label.$i" &
    pids+=($!)
  done
  wait "${pids[@]}"
  cat "$tmp/$label".* | sort -n | awk -v label="$label" -v n="$n" '
    { v[NR] = $1 }
    END {
      if (NR != n) { printf "%s: only %d of %d processes reported\n", label, NR, n; exit 1 }
      p50 = v[int((NR + 1) * 0.50)]; p99 = v[int(NR * 0.99 + 0.999)]
      printf "%-8s n=%d p50=%.3f ms p99=%.3f ms max=%.3f ms\n", label, NR, p50 / 1e6, p99 / 1e6, v[NR] / 1e6
    }'
}
run direct HAMI_SIM_CONTEXT_MIB=0
run libvgpu LD_PRELOAD="$vgpu" CUDA_DEVICE_MEMORY_SHARED_CACHE="$tmp/region.cache" \
    CUDA_DEVICE_MEMORY_LIMIT=4g HAMI_CONTEXT_OVERHEAD=0
