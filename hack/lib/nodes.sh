# shellcheck shell=bash
# Simulated GPU nodes as plain API objects (no kubelet). Sources common.sh when needed; uses $KUBECONFIG
# (default _output/local/kubeconfig).
#
# create_gpu_node NAME REGISTER_JSON GPU_COUNT [LABELS]
#   Creates (or updates) Node NAME with
#     annotations hami.io/node-nvidia-register=REGISTER_JSON, hami.io/node-handshake=Reported <now>
#     labels      kubernetes.io/hostname=NAME, kubernetes.io/os=linux, kubernetes.io/arch=amd64, gpu=on
#                 plus LABELS ("k=v,k2=v2")
#     status      capacity = allocatable = {cpu 32, memory 256Gi, pods 110, nvidia.com/gpu GPU_COUNT},
#                 condition Ready=True
#   Nothing marks these nodes NotReady (no kube-controller-manager), so no heartbeat is needed.
#
# create_gpu_nodes PREFIX N REGISTER_JSON GPU_COUNT [LABELS]
#   The same for N nodes PREFIX-0 .. PREFIX-(N-1), in one kubectl call.
# gpu_node_json NAME REGISTER_JSON GPU_COUNT [LABELS]: prints that Node object (JSON, one line).
# delete_gpu_node NAME: deletes the Node (no error when absent).

[[ $(type -t hami::log) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# hami::json_string S: S as a JSON string literal.
hami::json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

# gpu_node_json NAME REGISTER_JSON GPU_COUNT [LABELS]: prints the Node object create_gpu_node creates.
gpu_node_json() {
  local name=${1:?usage: gpu_node_json NAME REGISTER_JSON GPU_COUNT [LABELS]}
  local register=${2?usage: gpu_node_json NAME REGISTER_JSON GPU_COUNT [LABELS]}
  local count=${3:?usage: gpu_node_json NAME REGISTER_JSON GPU_COUNT [LABELS]}
  local extra=${4:-}
  [[ $count =~ ^[0-9]+$ ]] || hami::die "GPU_COUNT must be a number, got '$count'"

  local labels kv
  labels="\"kubernetes.io/hostname\": $(hami::json_string "$name"), \"kubernetes.io/os\": \"linux\", \"kubernetes.io/arch\": \"amd64\", \"gpu\": \"on\""
  if [[ -n $extra ]]; then
    local IFS=,
    for kv in $extra; do
      [[ $kv == *=* ]] || hami::die "label '$kv' is not k=v"
      labels+=", $(hami::json_string "${kv%%=*}"): $(hami::json_string "${kv#*=}")"
    done
    unset IFS
  fi
  local now annotations
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  annotations="\"hami.io/node-nvidia-register\": $(hami::json_string "$register"), \"hami.io/node-handshake\": $(hami::json_string "Reported $(date '+%Y-%m-%d %H:%M:%S.%N %z %Z')")"
  local resources="{\"cpu\": \"32\", \"memory\": \"256Gi\", \"pods\": \"110\", \"nvidia.com/gpu\": \"$count\"}"
  printf '{"apiVersion": "v1", "kind": "Node", "metadata": {"name": %s, "labels": {%s}, "annotations": {%s}}, "status": {"capacity": %s, "allocatable": %s, "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "simulated node", "lastHeartbeatTime": "%s", "lastTransitionTime": "%s"}]}}\n' \
    "$(hami::json_string "$name")" "$labels" "$annotations" "$resources" "$resources" "$now" "$now"
}

create_gpu_node() {
  local name=${1:?usage: create_gpu_node NAME REGISTER_JSON GPU_COUNT [LABELS]}
  local node out
  node=$(gpu_node_json "$@") || return 1
  if out=$(hami::kubectl create -f - <<<"$node" 2>&1); then
    return 0
  fi
  [[ $out == *AlreadyExists* || $out == *"already exists"* ]] ||
    hami::die "create_gpu_node $name: $out"
  # Exists: bring metadata and status up to date (status only changes through its subresource).
  local meta status
  meta=$(sed -n 's/.*"metadata": \({.*}\), "status": .*/\1/p' <<<"$node")
  status=$(sed -n 's/.*"status": \({.*}\)}$/\1/p' <<<"$node")
  hami::kubectl patch node "$name" --type=merge -p "{\"metadata\": $meta}" >/dev/null ||
    hami::die "create_gpu_node $name: patching metadata failed"
  hami::kubectl patch node "$name" --subresource=status --type=merge -p "{\"status\": $status}" >/dev/null ||
    hami::die "create_gpu_node $name: patching status failed"
}

# create_gpu_nodes PREFIX N REGISTER_JSON GPU_COUNT [LABELS]: creates nodes PREFIX-0 .. PREFIX-(N-1)
# in one kubectl call (fast for hundreds of nodes); fails if any exists already.
create_gpu_nodes() {
  local prefix=${1:?usage: create_gpu_nodes PREFIX N REGISTER_JSON GPU_COUNT [LABELS]}
  local n=${2:?usage: create_gpu_nodes PREFIX N REGISTER_JSON GPU_COUNT [LABELS]}
  local i sep="" items=""
  for ((i = 0; i < n; i++)); do
    items+="$sep$(gpu_node_json "$prefix-$i" "$3" "$4" "${5:-}")" || return 1
    sep=","
  done
  hami::kubectl create -f - >/dev/null <<<"{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [$items]}" ||
    hami::die "create_gpu_nodes $prefix: kubectl create failed"
}

delete_gpu_node() {
  hami::kubectl delete node "${1:?usage: delete_gpu_node NAME}" --ignore-not-found >/dev/null
}
