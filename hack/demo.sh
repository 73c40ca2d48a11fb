#!/usr/bin/env bash
# The main job (README `make demo`): start the local control plane (real kube-apiserver, etcd,
# kube-scheduler with our extender, hami-scheduler with its webhook), start three simulated GPU nodes
# (each: our hami-device-plugin on the simulated driver + kubelet-standin, the kubelet's own device
# manager, + hami-monitor at the node's own loopback InternalIP; hack/lib/sim_nodes.sh), apply the
# examples in examples/nvidia, wait until the pods run, print pod -> node -> GPU -> slice -> the
# env the device plugin gave the container, run a CUDA workload per pod (hami-sim-workload under
# libvgpu.so), then `hami smi --cluster` (allocation and use per GPU), and last the web UI's URL.
# Leaves the cluster running; `make down` (hack/local-down.sh) stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/_output}

bash hack/local-up.sh
# shellcheck source=/dev/null
source "${HAMI_LOCAL_DIR:-$OUT/local}/env"
export HAMI_DP_BIN=${HAMI_DP_BIN:-$OUT/bin/hami-device-plugin}
# shellcheck source=lib/sim_nodes.sh
source hack/lib/sim_nodes.sh
K=("$TOOLS_BIN/kubectl" --kubeconfig "$KUBECONFIG")

echo "== starting simulated GPU nodes (hami-device-plugin + kubelet-standin + hami-monitor each)"
start_sim_node demo-a100 2xA100-40GB
start_sim_node demo-t4 4xT4-16GB
start_sim_node demo-h100 1xH100-80GB
wait_sim_node demo-a100 20
wait_sim_node demo-t4 40
wait_sim_node demo-h100 10
"${K[@]}" get nodes -L gpu

echo "== applying examples/nvidia"
for f in examples/nvidia/*.yaml; do
  "${K[@]}" apply -f "$f" >/dev/null
done
pods=$(grep -h '^  name:' examples/nvidia/*.yaml | awk '{print $2}')
for _ in $(seq 60); do
  pending=0
  for p in $pods; do
    phase=$("${K[@]}" get pod "$p" -o jsonpath='{.status.phase}' 2>/dev/null || true)
    failed=$("${K[@]}" get events --field-selector "involvedObject.name=$p,reason=FilteringFailed" -o name 2>/dev/null || true)
    [[ $phase == Running || $phase == Failed || -n $failed ]] || pending=1
  done
  ((pending)) || break
  sleep 1
done

echo
echo "== pods -> node -> GPU -> memory/cores -> what the device plugin gave the container"
"${K[@]}" get pods -o json | python3 -c '
import json, os, sys
nodes_dir = sys.argv[1]
rows = [("POD", "PHASE", "NODE", "GPU UUID", "MEMORY MiB", "CORES %", "CONTAINER ENV (from Allocate)")]
for p in json.load(sys.stdin)["items"]:
    name, node = p["metadata"]["name"], p["spec"].get("nodeName") or "<pending>"
    phase = p["status"].get("phase", "")
    env = ""
    try:
        rec = json.load(open(os.path.join(nodes_dir, node, "kubelet", "pods", "default_%s.json" % name)))
        e = rec["containers"][-1]["env"]
        env = " ".join("%s=%s" % (k, e[k]) for k in sorted(e) if k.startswith(("CUDA_DEVICE_MEMORY_LIMIT", "CUDA_DEVICE_SM")))
    except (OSError, ValueError, KeyError, IndexError):
        pass
    devs = [d.split(",") for c in p["metadata"].get("annotations", {}).get(
        "hami.io/vgpu-devices-allocated", "").split(";") for d in c.split(":") if d.count(",") >= 3]
    if not devs:
        rows.append((name, phase, node, "-", "-", "-", env or "-"))
    for d in devs:
        rows.append((name, phase, node, d[0], d[2], d[3], env or "-"))
w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
for r in rows:
    print("  ".join(v.ljust(w[i]) for i, v in enumerate(r)))
' "$HAMI_LOCAL_DIR/nodes"
for p in $pods; do
  msg=$("${K[@]}" get events --field-selector "involvedObject.name=$p,reason=FilteringFailed" \
        -o jsonpath='{.items[0].message}' 2>/dev/null || true)
  [[ -z $msg ]] || echo "  $p is Pending: $msg"
done
echo
echo "== a CUDA workload per running pod (kubelet-standin starts no containers): hami-sim-workload"
echo "   under libvgpu.so with the pod's env, holding half its memory limit, GPU busy ~30%"
for p in $pods; do
  node=$("${K[@]}" get pod "$p" -o jsonpath='{.status.phase} {.spec.nodeName}' 2>/dev/null || true)
  [[ $node == "Running "* ]] || continue
  node=${node#Running }
  limit=$(python3 -c 'import json, sys
e = next((c["env"] for c in json.load(open(sys.argv[1]))["containers"] if "CUDA_DEVICE_MEMORY_LIMIT_0" in c["env"]), {})
print(int(e.get("CUDA_DEVICE_MEMORY_LIMIT_0", "0m").rstrip("m") or 0))' "$(sim_node_record "$node" default "$p")" 2>/dev/null || echo 0)
  ((limit > 0)) || continue
  sim_node_run_pod "$node" default "$p" "$OUT/bin/hami-sim-workload" --mem-mib $((limit / 2)) --busy 30 \
    || echo "  $p: workload not started"
done
sleep 3  # the monitors find new regions within their 1 s feedback interval; utilization needs a window
echo
echo "== hami smi --cluster: allocation per GPU and what the workloads use (each node's hami-monitor)"
"$OUT/bin/hami" smi --cluster --kubeconfig "$KUBECONFIG" || true
echo
echo "The cluster keeps running. Try:"
echo "  export KUBECONFIG=$KUBECONFIG"
echo "  $TOOLS_BIN/kubectl get pods -o wide"
echo "  _output/bin/hami smi --cluster --kubeconfig $KUBECONFIG"
echo "  curl http://$(sim_node_ip demo-t4):9394/metrics   # each node's hami-monitor, at its InternalIP"
echo "  ls $HAMI_LOCAL_DIR/nodes/*/kubelet/pods/   # per pod: env, mounts, devices from Allocate"
echo "  _output/bin/hami simulate --nodes examples/simulate/nodes.yaml --pods examples/simulate/pods.yaml"
echo "Stop it with: make down   (or hack/local-down.sh)"
echo
echo "== web UI (docs/webui.md): the pods above on their GPUs, allocation against use, live"
if [[ -n ${WEBUI_URL:-} ]] && curl -sf --max-time 3 -o /dev/null "${WEBUI_URL}api/version"; then
  echo "  open $WEBUI_URL"
  echo "  (from another machine: ssh -L $WEBUI_PORT:127.0.0.1:$WEBUI_PORT <this host>, then the same URL)"
else
  echo "  hami-scheduler serves no web UI at ${WEBUI_URL:-<no WEBUI_URL in $HAMI_LOCAL_DIR/env>}:" \
       "see $LOG_DIR/hami-scheduler.log (or restart the plane: make down && make demo)"
fi
