#!/usr/bin/env bash
# Scheduling throughput through the real kube-scheduler with and without the hami-scheduler extender,
# and /filter latency over HTTPS. See docs/benchmarks.md.
#
# Brings up its own local control plane (HAMI_LOCAL_DIR, default _output/bench-local, so it never
# touches _output/local), and for each node count in SIZES:
#   1. creates N simulated GPU nodes (GPUS_PER_NODE GPUs x 10 slots x 16384 MiB each),
#      waits until hami-scheduler's informer knows all GPUs (/metrics hami_gpu_memory_limit_bytes);
#   2. baseline: PODS pods without GPU resources, schedulerName default-scheduler (the extender is
#      not consulted: they request no managed resource);
#   3. extender: PODS pods with nvidia.com/gpu: 1, nvidia.com/gpumem: 1000 (schedulerName
#      hami-scheduler, set by our webhook): kube-scheduler calls /filter and /bind for each;
#   4. verifies no GPU is over its memory / cores / slots (pod annotations vs node register).
# Each throughput run is timed, by default, as a backlog (PAUSE=1): kube-scheduler is SIGSTOPped
# while the pods are created and SIGCONTed afterwards; pods/s = pods / (resume -> last bound), so
# pod creation (webhook included) is not what is measured. PAUSE=0 times first create -> last bound.
# Then, for FILTER_SIZES, POSTs FILTER_CALLS ExtenderArgs to /filter and reports p50/p90/p99.
#
# Knobs: SIZES ("500 2000"), PODS (1000), ROUNDS (1; baseline/extender pairs per size),
# FILTER_SIZES ("1000 5000"; "" skips), FILTER_CALLS (200), GPUS_PER_NODE (4), PAUSE (1),
# NODELAY_SHIM (0), HAMI_SCHEDULER_FLAGS (default below), RESULTS (JSON lines file), KEEP=1 leaves the plane up.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export HAMI_LOCAL_DIR=${HAMI_LOCAL_DIR:-$ROOT/_output/bench-local}
[[ $HAMI_LOCAL_DIR != "$ROOT/_output/local" ]] || { echo "refusing to use the shared _output/local" >&2; exit 2; }
SIZES=${SIZES:-"500 2000"}
PODS=${PODS:-1000}
ROUNDS=${ROUNDS:-1}
FILTER_SIZES=${FILTER_SIZES-"1000 5000"}
FILTER_CALLS=${FILTER_CALLS:-200}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
PAUSE=${PAUSE:-1}
# Without a device plugin nobody releases HAMi's node lock after a bind, so with the default 5m
# timeout a node takes one pod per 5 minutes (see docs/benchmarks.md). 0s makes a held lock stale at
# once, as if the device plugin had released it right after Allocate. QPS as kube-scheduler's.
export HAMI_SCHEDULER_FLAGS=${HAMI_SCHEDULER_FLAGS-"--kube-qps 500 --kube-burst 1000 --node-lock-timeout 0s"}
RESULTS=${RESULTS:-$ROOT/_output/bench-e2e/results-$(date +%Y%m%d-%H%M%S).jsonl}
PY=(python3 "$ROOT/bench/e2e/hami_bench.py")
mkdir -p "$(dirname "$RESULTS")"
# NODELAY_SHIM=1: run hami-scheduler with bench/e2e/nodelay_shim.c preloaded (TCP_NODELAY on accepted
# sockets), to measure it without the ~40 ms Nagle/delayed-ACK stall per request.
NODELAY_SHIM=${NODELAY_SHIM:-0}
if [[ $NODELAY_SHIM == 1 ]]; then
  shim_dir=$ROOT/_output/bench-e2e/nodelay
  mkdir -p "$shim_dir"
  cc -shared -fPIC -O2 -o "$shim_dir/nodelay.so" "$ROOT/bench/e2e/nodelay_shim.c" -ldl
  real_bin=${HAMI_SCHEDULER_BIN:-$ROOT/_output/bin/hami-scheduler}
  printf '#!/bin/sh\nLD_PRELOAD=%s exec %s "$@"\n' "$shim_dir/nodelay.so" "$real_bin" > "$shim_dir/hami-scheduler"
  chmod +x "$shim_dir/hami-scheduler"
  export HAMI_SCHEDULER_BIN=$shim_dir/hami-scheduler
fi

log() { echo "[scheduler_throughput $(date +%H:%M:%S)] $*" >&2; }
down() { "$ROOT/hack/local-down.sh" >/dev/null 2>&1 || true; }
up() {
  down
  unset HAMI_SCHEDULER_PID
  "$ROOT/hack/local-up.sh" >/dev/null
  # shellcheck disable=SC1091
  source "$HAMI_LOCAL_DIR/env"
  [[ -n ${HAMI_SCHEDULER_PID:-} ]] || { log "hami-scheduler was not started (binary missing?)"; exit 1; }
}
# record KEY=VALUE... : runs the helper, tags its JSON line, appends it to RESULTS, prints it.
record() {
  local tag=$1; shift
  local line rc=0
  line=$("${PY[@]}" "$@") || rc=$?
  [[ -n $line ]] || line='{}'
  line="{\"tag\": \"$tag\", ${line#\{}"
  echo "$line" >> "$RESULTS"
  echo "$line"
  return $rc
}
[[ ${KEEP:-0} == 1 ]] || trap down EXIT

log "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); hami-scheduler flags: $HAMI_SCHEDULER_FLAGS; nodelay shim: $NODELAY_SHIM"
log "results: $RESULTS"
echo "{\"tag\": \"meta\", \"cores\": $(nproc), \"loadavg\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"pods\": $PODS, \"gpus_per_node\": $GPUS_PER_NODE, \"pause\": $PAUSE, \"hami_scheduler_flags\": \"$HAMI_SCHEDULER_FLAGS\", \"nodelay_shim\": $NODELAY_SHIM, \"date\": \"$(date -u +%FT%TZ)\"}" >> "$RESULTS"

status=0
for n in $SIZES; do
  up
  run_args=()
  [[ $PAUSE == 1 ]] && run_args=(--pause-pid "$SCHEDULER_PID")
  run_args+=(--cpu-pids "etcd=$ETCD_PID,kube-apiserver=$APISERVER_PID,kube-scheduler=$SCHEDULER_PID,hami-scheduler=$HAMI_SCHEDULER_PID")
  log "== $n nodes: plane up (api $API_SERVER, extender $EXTENDER_URL)"
  record "nodes-$n" nodes --count "$n" --gpus "$GPUS_PER_NODE" >/dev/null
  record "registered-$n" wait-registered --gpus $((n * GPUS_PER_NODE)) >/dev/null
  for ((r = 1; r <= ROUNDS; r++)); do
    log "-- $n nodes, round $r: baseline ($PODS pods, default-scheduler, no extender)"
    record "baseline-$n" throughput --mode baseline --pods "$PODS" "${run_args[@]}" || status=1
    log "-- $n nodes, round $r: extender ($PODS GPU pods, hami-scheduler profile, /filter + /bind)"
    record "extender-$n" throughput --mode gpu --pods "$PODS" "${run_args[@]}" || status=1
  done
  record "verify-$n" verify || status=1
  curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | grep -E '^hami_scheduler_(filter|bind|events)[a-z_]* ' >&2 || true
done

if [[ -n $FILTER_SIZES ]]; then
  up
  log "== /filter latency at: $FILTER_SIZES nodes"
  have=0
  for n in $FILTER_SIZES; do
    if ((n > have)); then
      record "filter-nodes-$n" nodes --count $((n - have)) --start "$have" --gpus "$GPUS_PER_NODE" >/dev/null
      have=$n
    fi
    record "filter-registered-$n" wait-registered --gpus $((n * GPUS_PER_NODE)) >/dev/null
    record "filter-$n" filter-latency --nodes "$n" --calls "$FILTER_CALLS" || status=1
  done
fi

log "summary ($RESULTS):"
python3 - "$RESULTS" <<'EOF' >&2
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    by.setdefault(r["tag"], []).append(r)
for tag, rs in by.items():
    if tag.startswith("baseline-"):
        n = tag.split("-")[1]
        for b, e in zip(rs, by.get("extender-" + n, [])):
            if b.get("pods_per_s") and e.get("pods_per_s"):
                print("%5s nodes: baseline %6.1f pods/s, extender %6.1f pods/s, ratio %.2f (cost %.0f%%)" % (
                    n, b["pods_per_s"], e["pods_per_s"], e["pods_per_s"] / b["pods_per_s"],
                    100 * (1 - e["pods_per_s"] / b["pods_per_s"])))
                for label, r in (("baseline", b), ("extender", e)):
                    if r.get("cpu_ms_per_pod"):
                        print("       %s CPU ms/pod: %.2f (%s); kube-scheduler algorithm %s ms/pod" % (
                            label, r["cpu_ms_per_pod_total"], ", ".join(
                                "%s %.2f" % kv for kv in r["cpu_ms_per_pod"].items()),
                            r.get("kube_scheduler_algorithm_ms_per_pod", "?")))
    if tag.startswith("filter-") and "p50_ms" in rs[0]:
        r = rs[0]
        print("%5s nodes: /filter p50 %.2f ms, p99 %.2f ms (%d calls, %d failed)" % (
            r["nodes"], r["p50_ms"], r["p99_ms"], r["calls"], r["failed"]))
EOF
exit $status
