#!/usr/bin/env bash
# The main job (README `make demo`): start the local control plane (real kube-apiserver, etcd,
# kube-scheduler with our extender, hami-scheduler with its webhook), register simulated GPU nodes
# of three models, apply the examples in examples/nvidia, and print pod -> node -> GPU -> slice.
# Leaves the cluster running; `make down` (hack/local-down.sh) stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/_output}

bash hack/local-up.sh
# shellcheck source=/dev/null
source "${HAMI_LOCAL_DIR:-$OUT/local}/env"
# shellcheck source=lib/nodes.sh
source hack/lib/nodes.sh
K=("$TOOLS_BIN/kubectl" --kubeconfig "$KUBECONFIG")

gpus() {  # gpus PREFIX COUNT MIB MODEL -> register JSON
  local prefix=$1 count=$2 mib=$3 model=$4 out="" i
  for ((i = 0; i < count; i++)); do
    out+="${out:+,}{\"id\":\"GPU-$prefix-$i\",\"index\":$i,\"count\":10,\"devmem\":$mib,\"devcore\":100,\"type\":\"$model\",\"numa\":$((i / 2)),\"mode\":\"hami-core\",\"health\":true}"
  done
  echo "[$out]"
}
echo "== registering simulated GPU nodes"
create_gpu_node demo-a100 "$(gpus a100 2 40960 NVIDIA-A100-SXM4-40GB)" 20 >/dev/null
create_gpu_node demo-t4 "$(gpus t4 4 15360 NVIDIA-Tesla-T4)" 40 >/dev/null
create_gpu_node demo-h100 "$(gpus h100 1 81559 NVIDIA-H100-80GB-HBM3)" 10 >/dev/null
"${K[@]}" get nodes -L gpu

echo "== applying examples/nvidia"
python3 hack/lib/device_plugin_standin.py "$HAMI_LOCAL_DIR/env" 60 &
standin=$!
trap 'kill $standin 2>/dev/null || true' EXIT
for f in examples/nvidia/*.yaml; do
  "${K[@]}" apply -f "$f" >/dev/null
done
pods=$(grep -h '^  name:' examples/nvidia/*.yaml | awk '{print $2}')
for _ in $(seq 60); do
  pending=0
  for p in $pods; do
    node=$("${K[@]}" get pod "$p" -o jsonpath='{.spec.nodeName}' 2>/dev/null || true)
    failed=$("${K[@]}" get events --field-selector "involvedObject.name=$p,reason=FilteringFailed" -o name 2>/dev/null || true)
    [[ -n $node || -n $failed ]] || pending=1
  done
  ((pending)) || break
  sleep 1
done

echo
echo "== pods -> node -> GPU -> memory/cores"
"${K[@]}" get pods -o json | python3 -c '
import json, sys
rows = [("POD", "NODE", "GPU UUID", "MEMORY MiB", "CORES %")]
for p in json.load(sys.stdin)["items"]:
    name, node = p["metadata"]["name"], p["spec"].get("nodeName") or "<pending>"
    devs = [d.split(",") for c in p["metadata"].get("annotations", {}).get(
        "hami.io/vgpu-devices-allocated", "").split(";") for d in c.split(":") if d.count(",") >= 3]
    if not devs:
        rows.append((name, node, "-", "-", "-"))
    for d in devs:
        rows.append((name, node, d[0], d[2], d[3]))
w = [max(len(r[i]) for r in rows) for i in range(5)]
for r in rows:
    print("  ".join(v.ljust(w[i]) for i, v in enumerate(r)))
'
for p in $pods; do
  msg=$("${K[@]}" get events --field-selector "involvedObject.name=$p,reason=FilteringFailed" \
        -o jsonpath='{.items[0].message}' 2>/dev/null || true)
  [[ -z $msg ]] || echo "  $p is Pending: $msg"
done
echo
echo "The cluster keeps running. Try:"
echo "  export KUBECONFIG=$KUBECONFIG"
echo "  $TOOLS_BIN/kubectl get pods -o wide"
echo "  _output/bin/hami simulate --nodes examples/simulate/nodes.yaml --pods examples/simulate/pods.yaml"
echo "Stop it with: make down   (or hack/local-down.sh)"
