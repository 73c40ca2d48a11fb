#!/usr/bin/env bash
# End-to-end check of the local control plane itself (not of hami-scheduler's logic):
#   1. brings the plane up with hack/local-up.sh unless it is already up
#   2. kubectl get --raw /readyz
#   3. creates a simulated GPU node with hack/lib/nodes.sh
#   4. a pod with schedulerName default-scheduler is bound by kube-scheduler
#   5. a pod with schedulerName hami-scheduler asking for no GPU is bound (profile hami-scheduler);
#      when hami-scheduler runs it also passes through the webhook, else that part is reported skipped
#   6. tears down what it started (a plane that was already up is left running, its test objects
#      deleted), and checks that no process of the plane is left
# Exit 0 when every check passes, 1 otherwise. HAMI_E2E_KEEP=1 leaves the plane up.
# HAMI_E2E_FAKE_SCHEDULER=1 starts the plane with hack/e2e/fake-hami-scheduler in place of
# hami-scheduler (when this test starts it) and additionally checks the webhook's patch and a pod
# asking for nvidia.com/gpu going through the extender's filter and bind.
set -euo pipefail
hack_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../lib/common.sh
source "$hack_dir/lib/common.sh"
# shellcheck source=../lib/nodes.sh
source "$hack_dir/lib/nodes.sh"

ns=default
node=e2e-cp-node-$$
pods=()
started=0
failures=0

pass() { hami::log "PASS: $*"; }
failed() { hami::log "FAIL: $*"; failures=$((failures + 1)); }

cleanup() {
  local rc=$?
  trap - EXIT
  if (( started )) && [[ ${HAMI_E2E_KEEP:-0} != 1 ]]; then
    "$hack_dir/local-down.sh" || { hami::log "FAIL: local-down.sh failed"; rc=1; }
    left=$(hami::find_plane_pids)
    if [[ -n $left ]]; then
      hami::log "FAIL: processes left after local-down.sh: $left"
      rc=1
    else
      hami::log "PASS: no control-plane process left after local-down.sh"
    fi
  elif [[ -f $HAMI_LOCAL_DIR/env ]]; then
    for p in "${pods[@]}"; do
      hami::kubectl -n "$ns" delete pod "$p" --grace-period=0 --force --ignore-not-found >/dev/null 2>&1 || true
    done
    delete_gpu_node "$node" 2>/dev/null || true
  fi
  if (( rc == 0 && failures == 0 )); then
    hami::log "control_plane_test: OK"
    exit 0
  fi
  hami::log "control_plane_test: FAILED ($failures failed checks, exit status $rc)"
  exit 1
}
trap cleanup EXIT

if hami::load_env 2>/dev/null && hami::pid_alive "${APISERVER_PID:-}"; then
  hami::log "using the running local control plane"
else
  started=1
  if [[ ${HAMI_E2E_FAKE_SCHEDULER:-0} == 1 ]]; then
    HAMI_SCHEDULER_BIN=$hack_dir/e2e/fake-hami-scheduler "$hack_dir/local-up.sh"
  else
    "$hack_dir/local-up.sh"
  fi
fi
hami::load_env || { failed "no $HAMI_LOCAL_DIR/env after local-up.sh"; exit 1; }

# 2. readyz through kubectl
if [[ $(hami::kubectl get --raw /readyz 2>&1) == ok ]]; then
  pass "kubectl get --raw /readyz = ok"
else
  failed "kubectl get --raw /readyz"
fi

# 3. a simulated GPU node
register='[{"id":"GPU-e2e-0000-0000-0000-000000000000","count":10,"devmem":24576,"devcore":100,"type":"NVIDIA-Tesla T4","mode":"hami-core","health":true}]'
create_gpu_node "$node" "$register" 10
got=$(hami::kubectl get node "$node" -o jsonpath='{.metadata.labels.gpu} {.status.allocatable.nvidia\.com/gpu} {.status.conditions[?(@.type=="Ready")].status} {.spec.taints}')
if [[ $got == "on 10 True " ]]; then
  pass "node $node: label gpu=on, allocatable nvidia.com/gpu=10, Ready, no taints"
else
  failed "node $node: got '$got'"
fi
ann=$(hami::kubectl get node "$node" -o jsonpath='{.metadata.annotations.hami\.io/node-nvidia-register}')
if [[ $ann == "$register" ]]; then
  pass "node $node: register annotation round-trips"
else
  failed "node $node: register annotation is '$ann'"
fi

# make_pod NAME SCHEDULER [GPUS]: a pause-like pod pinned to our node by nodeSelector.
make_pod() {
  local limits=""
  [[ -n ${3:-} ]] && limits="
      limits: {nvidia.com/gpu: \"$3\"}"
  pods+=("$1")
  hami::kubectl -n "$ns" create -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  schedulerName: $2
  nodeSelector: {kubernetes.io/hostname: $node}
  containers:
  - name: c
    image: registry.k8s.io/pause:3.10
    resources:
      requests: {cpu: 10m, memory: 16Mi}$limits
EOF
}
bound_to_node() { [[ $(hami::kubectl -n "$ns" get pod "$1" -o jsonpath='{.spec.nodeName}') == "$node" ]]; }

# 4. default-scheduler
p=e2e-default-$$
if ! make_pod "$p" default-scheduler; then
  failed "creating pod $p"
elif hami::wait_for "pod $p bound" 60 bound_to_node "$p"; then
  pass "default-scheduler bound $p to $node"
else
  failed "default-scheduler did not bind $p: $(hami::kubectl -n "$ns" describe pod "$p" | tail -5)"
fi

# 5. hami-scheduler profile, no GPU requested
hami_running=0
hami::pid_alive "${HAMI_SCHEDULER_PID:-}" && hami_running=1
if (( ! hami_running )); then
  hami::log "SKIP: hami-scheduler is not running (no _output/bin/hami-scheduler): the webhook is not" \
    "registered; checking only kube-scheduler's hami-scheduler profile"
fi
p=e2e-hami-$$
if ! make_pod "$p" hami-scheduler; then
  failed "creating pod $p"
elif hami::wait_for "pod $p bound" 60 bound_to_node "$p"; then
  pass "profile hami-scheduler bound $p to $node$( ((hami_running)) && echo ' (through the webhook)')"
else
  failed "pod $p with schedulerName hami-scheduler not bound: $(hami::kubectl -n "$ns" describe pod "$p" | tail -5)"
fi

fake=0
[[ $(tr '\0' '\n' 2>/dev/null < "/proc/${HAMI_SCHEDULER_PID:-0}/cmdline" | head -2) == *fake-hami-scheduler* ]] && fake=1
if (( hami_running )); then
  if [[ $(hami::kubectl -n "$ns" get pod "$p" -o jsonpath='{.spec.schedulerName}') == hami-scheduler ]]; then
    pass "webhook left schedulerName hami-scheduler"
  else
    failed "schedulerName of $p changed"
  fi
fi
if (( fake )); then
  # The stand-in's webhook labels every pod; its extender passes all nodes and binds with kubectl.
  if [[ $(hami::kubectl -n "$ns" get pod "$p" -o jsonpath='{.metadata.labels.hami\.io/fake-webhook}') == seen ]]; then
    pass "webhook (fake) patched pod $p"
  else
    failed "webhook (fake) did not patch pod $p"
  fi
  p=e2e-gpu-$$
  if ! make_pod "$p" hami-scheduler 1; then
    failed "creating GPU pod $p"
  elif hami::wait_for "pod $p bound" 60 bound_to_node "$p"; then
    pass "GPU pod $p bound through the extender's filter and bind"
  else
    failed "GPU pod $p not bound: $(hami::kubectl -n "$ns" describe pod "$p" | tail -5)"
  fi
  if grep -q 'POST /bind' "$LOG_DIR/hami-scheduler.log"; then
    pass "kube-scheduler called the extender's /filter and /bind"
  else
    failed "no /bind call in $LOG_DIR/hami-scheduler.log"
  fi
fi
