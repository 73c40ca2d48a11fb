# shellcheck shell=bash
# Simulated GPU nodes as plain API objects (no kubelet). Requires common.sh; uses $KUBECONFIG
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
# delete_gpu_node NAME: deletes the Node (no error when absent).

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

create_gpu_node() {
  local name=${1:?usage: create_gpu_node NAME REGISTER_JSON GPU_COUNT [LABELS]}
  local register=${2?usage: create_gpu_node NAME REGISTER_JSON GPU_COUNT [LABELS]}
  local count=${3:?usage: create_gpu_node NAME REGISTER_JSON GPU_COUNT [LABELS]}
  local extra=${4:-}
  [[ $count =~ ^[0-9]+$ ]] || hami::die "create_gpu_node: GPU_COUNT must be a number, got '$count'"

  local labels kv
  labels="\"kubernetes.io/hostname\": $(hami::json_string "$name"), \"kubernetes.io/os\": \"linux\", \"kubernetes.io/arch\": \"amd64\", \"gpu\": \"on\""
  if [[ -n $extra ]]; then
    local IFS=,
    for kv in $extra; do
      [[ $kv == *=* ]] || hami::die "create_gpu_node: label '$kv' is not k=v"
      labels+=", $(hami::json_string "${kv%%=*}"): $(hami::json_string "${kv#*=}")"
    done
    unset IFS
  fi
  local now
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local annotations node
  annotations="\"hami.io/node-nvidia-register\": $(hami::json_string "$register"), \"hami.io/node-handshake\": $(hami::json_string "Reported $(date '+%Y-%m-%d %H:%M:%S.%N %z %Z')")"
  local resources="{\"cpu\": \"32\", \"memory\": \"256Gi\", \"pods\": \"110\", \"nvidia.com/gpu\": \"$count\"}"
  local status="{\"capacity\": $resources, \"allocatable\": $resources,
    \"conditions\": [{\"type\": \"Ready\", \"status\": \"True\", \"reason\": \"KubeletReady\", \"message\": \"simulated node\",
                      \"lastHeartbeatTime\": \"$now\", \"lastTransitionTime\": \"$now\"}]}"
  node="{\"apiVersion\": \"v1\", \"kind\": \"Node\",
    \"metadata\": {\"name\": $(hami::json_string "$name"), \"labels\": {$labels}, \"annotations\": {$annotations}},
    \"status\": $status}"

  local out
  if out=$(hami::kubectl create -f - <<<"$node" 2>&1); then
    return 0
  fi
  [[ $out == *AlreadyExists* || $out == *"already exists"* ]] ||
    hami::die "create_gpu_node $name: $out"
  hami::kubectl patch node "$name" --type=merge \
    -p "{\"metadata\": {\"labels\": {$labels}, \"annotations\": {$annotations}}}" >/dev/null ||
    hami::die "create_gpu_node $name: patching metadata failed"
  hami::kubectl patch node "$name" --subresource=status --type=merge -p "{\"status\": $status}" >/dev/null ||
    hami::die "create_gpu_node $name: patching status failed"
}

delete_gpu_node() {
  hami::kubectl delete node "${1:?usage: delete_gpu_node NAME}" --ignore-not-found >/dev/null
}
