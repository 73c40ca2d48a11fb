#!/usr/bin/env bash
# Starts a local Kubernetes control plane on 127.0.0.1 (no Docker, no kubelet):
#   etcd (data on /dev/shm) -> kube-apiserver -> kube-scheduler (profiles default-scheduler and
#   hami-scheduler, extender = hami-scheduler) -> kube-controller-manager (the Job, TTL and garbage
#   collector controllers only) -> hami-scheduler + MutatingWebhookConfiguration (only when
#   _output/bin/hami-scheduler exists).
#
#   hack/local-up.sh            start (builds the tools first when _output/tools/bin lacks them);
#                               when a plane from this checkout is already up and healthy, says so
#                               and exits 0
#   hack/local-down.sh          stop
#
# Writes _output/local/: env (sourceable: ports, URLs, paths, pids), kubeconfig (admin),
# scheduler.kubeconfig, scheduler-config.yaml, pki/, logs/. Ports are free ports picked at start.
# On failure it prints the failing component's log tail and stops what it started
# (HAMI_KEEP_ON_FAILURE=1 keeps it for debugging).
#
# Environment: HAMI_SCHEDULER_BIN, HAMI_SCHEDULER_FLAGS, HAMI_CLIENT_AUTH=0 (hami-scheduler
# without client certificates; see hack/lib/hami.sh),
# HAMI_START_HAMI_SCHEDULER=0 (never start hami-scheduler), HAMI_APISERVER_FLAGS /
# HAMI_KUBE_SCHEDULER_FLAGS (extra flags), HAMI_UP_TIMEOUT (seconds per component wait, default 120),
# HAMI_NODE_LOCK=true|false (the bind protocol: hami-scheduler's --nvidia-node-lock, recorded in env
# so that hack/lib/sim_nodes.sh starts device plugins with the matching --node-lock; unset: both
# binaries' default, no node lock).
set -euo pipefail
hack_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$hack_dir/lib/common.sh"
source "$hack_dir/lib/pki.sh"
source "$hack_dir/lib/hami.sh"

hami::lock_local_dir
t_start=$(hami::now_ms)
timeout=${HAMI_UP_TIMEOUT:-120}
env_file=$HAMI_LOCAL_DIR/env

# Already up?
# PKI_DIR, API_PORT and APISERVER_PID come from the env file hami::load_env sources.
# shellcheck disable=SC2153
if hami::load_env 2>/dev/null; then
  if hami::pid_alive "${APISERVER_PID:-}" &&
     curl -sf --max-time 3 --cacert "$PKI_DIR/ca.crt" "https://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1; then
    hami::log "local control plane already up: API https://127.0.0.1:$API_PORT (source $env_file; stop with hack/local-down.sh)"
    exit 0
  fi
  hami::log "found a stale $env_file; cleaning up first"
  "$hack_dir/local-down.sh"
fi

# Tools: build-tools.sh takes well under a second when the cached binaries match the pinned
# versions, and rebuilds them when a pin changed. Without Go, use whatever is linked already.
if command -v go >/dev/null; then
  HAMI_QUIET=1 "$hack_dir/build-tools.sh"
fi
for tool in etcd kube-apiserver kube-scheduler kube-controller-manager kubectl; do
  [[ -x $HAMI_TOOLS_BIN/$tool ]] ||
    hami::die "$HAMI_TOOLS_BIN/$tool missing and Go is not installed to build it (hack/build-tools.sh)"
done

pki_dir=$HAMI_LOCAL_DIR/pki
log_dir=$HAMI_LOCAL_DIR/logs
mkdir -p "$HAMI_LOCAL_DIR" "$log_dir"
rm -f "$log_dir"/*.log
hami::pki_generate "$pki_dir"

etcd_port="" etcd_peer_port="" api_port="" sched_port="" cm_port="" extender_port="" metrics_port="" webhook_port="" webui_port=""
hami::free_port etcd_port
hami::free_port etcd_peer_port
hami::free_port api_port
hami::free_port sched_port
hami::free_port cm_port
hami::free_port extender_port
hami::free_port metrics_port
hami::free_port webui_port
webhook_port=$extender_port  # one TLS listener serves /filter, /bind and /webhook
extender_url=https://127.0.0.1:$extender_port
etcd_data=/dev/shm/hami-etcd-$(id -u)-$etcd_port

# env: written now so that local-down.sh can clean up a half-started plane; pids are appended.
{
  echo "# local control plane of $HAMI_ROOT, written by hack/local-up.sh at $(date -Is)"
  q() { printf 'export %s=%q\n' "$1" "$2"; }
  q HAMI_LOCAL_DIR "$HAMI_LOCAL_DIR"
  q KUBECONFIG "$HAMI_LOCAL_DIR/kubeconfig"
  q SCHEDULER_KUBECONFIG "$HAMI_LOCAL_DIR/scheduler.kubeconfig"
  q CONTROLLER_MANAGER_KUBECONFIG "$HAMI_LOCAL_DIR/controller-manager.kubeconfig"
  q HAMI_SCHEDULER_KUBECONFIG "$HAMI_LOCAL_DIR/hami-scheduler.kubeconfig"
  q SCHEDULER_CONFIG "$HAMI_LOCAL_DIR/scheduler-config.yaml"
  q PKI_DIR "$pki_dir"
  q LOG_DIR "$log_dir"
  q TOOLS_BIN "$HAMI_TOOLS_BIN"
  q ETCD_PORT "$etcd_port"
  q ETCD_PEER_PORT "$etcd_peer_port"
  q ETCD_DATA_DIR "$etcd_data"
  q API_PORT "$api_port"
  q API_SERVER "https://127.0.0.1:$api_port"
  q API_TOKEN hami-local-token
  q SCHED_PORT "$sched_port"
  q CONTROLLER_MANAGER_PORT "$cm_port"
  q EXTENDER_PORT "$extender_port"
  q EXTENDER_URL "$extender_url"
  q WEBHOOK_PORT "$webhook_port"
  q WEBHOOK_URL "https://127.0.0.1:$webhook_port/webhook"
  q METRICS_PORT "$metrics_port"
  q WEBUI_PORT "$webui_port"
  q WEBUI_URL "http://127.0.0.1:$webui_port/"
  [[ -z ${HAMI_NODE_LOCK:-} ]] || q HAMI_NODE_LOCK "$HAMI_NODE_LOCK"
} > "$env_file"
record() { printf 'export %s=%q\n' "$1" "$2" >> "$env_file"; }
hami::load_env

# fail COMPONENT LOGFILE MESSAGE: log tail, clean up, exit 1.
fail() {
  hami::log "ERROR: $3"
  if [[ -f $2 ]]; then
    echo "---- last lines of $2 ----" >&2
    tail -n 25 "$2" >&2
    echo "----" >&2
  fi
  if [[ ${HAMI_KEEP_ON_FAILURE:-0} == 1 ]]; then
    hami::log "HAMI_KEEP_ON_FAILURE=1: leaving processes running; stop them with hack/local-down.sh"
  else
    "$hack_dir/local-down.sh" || true
  fi
  exit 1
}
trap 'fail local-up /dev/null "local-up.sh failed at line $LINENO"' ERR

# --- etcd -----------------------------------------------------------------------------------
etcd_flags=(--name "$(hami::instance_tag)" --data-dir "$etcd_data"
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port"
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port"
  --initial-cluster "$(hami::instance_tag)=http://127.0.0.1:$etcd_peer_port"
  --listen-metrics-urls "" --logger zap --log-level warn)
if "$HAMI_TOOLS_BIN/etcd" --help 2>&1 | grep -q -- '--unsafe-no-fsync'; then
  etcd_flags+=(--unsafe-no-fsync)
fi
hami::log "starting etcd on 127.0.0.1:$etcd_port (data $etcd_data)"
ETCD_PID=$(hami::start_daemon etcd "$log_dir/etcd.log" "$HAMI_TOOLS_BIN/etcd" "${etcd_flags[@]}")
record ETCD_PID "$ETCD_PID"
etcd_healthy() {
  hami::pid_alive "$ETCD_PID" || return 99
  curl -sf --max-time 2 "http://127.0.0.1:$etcd_port/health" | grep -q '"health":"true"'
}
hami::wait_for "etcd /health" "$timeout" etcd_healthy ||
  fail etcd "$log_dir/etcd.log" "etcd did not become healthy"

# --- kube-apiserver -------------------------------------------------------------------------
taint_plugin=TaintNodesByCondition
if "$HAMI_TOOLS_BIN/kube-apiserver" --help 2>&1 | grep -q TaintNodesAtCreation; then
  taint_plugin=TaintNodesAtCreation
fi
mkdir -p "$HAMI_LOCAL_DIR/apiserver-certs"
apiserver_flags=(
  --etcd-servers "http://127.0.0.1:$etcd_port"
  --bind-address 127.0.0.1 --secure-port "$api_port" --advertise-address 127.0.0.1
  --tls-cert-file "$pki_dir/apiserver.crt" --tls-private-key-file "$pki_dir/apiserver.key"
  --client-ca-file "$pki_dir/ca.crt" --token-auth-file "$pki_dir/tokens.csv"
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$pki_dir/sa.pub"
  --service-account-signing-key-file "$pki_dir/sa.key" --service-cluster-ip-range 10.0.0.0/24
  --authorization-mode RBAC --allow-privileged=true
  --enable-admission-plugins "MutatingAdmissionWebhook,ValidatingAdmissionWebhook"
  --disable-admission-plugins "ServiceAccount,$taint_plugin"
  --endpoint-reconciler-type none --cert-dir "$HAMI_LOCAL_DIR/apiserver-certs"
  # Published in kube-system/extension-apiserver-authentication, where kube-scheduler's delegated
  # authentication expects it; no front-proxy-client cert is ever issued.
  --requestheader-client-ca-file "$pki_dir/ca.crt" --requestheader-allowed-names front-proxy-client
  --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group
  --requestheader-extra-headers-prefix X-Remote-Extra-
)
if [[ ${HAMI_CLIENT_AUTH:-1} == 1 ]]; then
  hami::write_admission_config "$HAMI_LOCAL_DIR/admission-config.yaml"
  apiserver_flags+=(--admission-control-config-file "$HAMI_LOCAL_DIR/admission-config.yaml")
fi
if [[ -n ${HAMI_APISERVER_FLAGS:-} ]]; then
  # shellcheck disable=SC2206
  apiserver_flags+=($HAMI_APISERVER_FLAGS)
fi
hami::log "starting kube-apiserver on https://127.0.0.1:$api_port"
APISERVER_PID=$(hami::start_daemon kube-apiserver "$log_dir/kube-apiserver.log" \
  "$HAMI_TOOLS_BIN/kube-apiserver" "${apiserver_flags[@]}")
record APISERVER_PID "$APISERVER_PID"
apiserver_ready() {
  hami::pid_alive "$APISERVER_PID" || return 99
  curl -sf --max-time 3 --cacert "$pki_dir/ca.crt" "https://127.0.0.1:$api_port/readyz" >/dev/null
}
hami::wait_for "kube-apiserver /readyz" "$timeout" apiserver_ready ||
  fail kube-apiserver "$log_dir/kube-apiserver.log" "kube-apiserver did not become ready"

hami::write_kubeconfig "$HAMI_LOCAL_DIR/kubeconfig" "https://127.0.0.1:$api_port" \
  "$pki_dir/ca.crt" "$pki_dir/admin.crt" "$pki_dir/admin.key" hami-admin
hami::write_kubeconfig "$HAMI_LOCAL_DIR/scheduler.kubeconfig" "https://127.0.0.1:$api_port" \
  "$pki_dir/ca.crt" "$pki_dir/scheduler.crt" "$pki_dir/scheduler.key" system:kube-scheduler
hami::write_kubeconfig "$CONTROLLER_MANAGER_KUBECONFIG" "https://127.0.0.1:$api_port" \
  "$pki_dir/ca.crt" "$pki_dir/controller-manager.crt" "$pki_dir/controller-manager.key" \
  system:kube-controller-manager
hami::write_token_kubeconfig "$HAMI_SCHEDULER_KUBECONFIG" "https://127.0.0.1:$api_port" \
  "$pki_dir/ca.crt" "$API_TOKEN" hami-admin
hami::kubectl get --raw /readyz >/dev/null ||
  fail kubectl /dev/null "kubectl cannot reach the API with $KUBECONFIG"
default_ns() { hami::kubectl get namespace default; }
hami::wait_for "namespace default" "$timeout" default_ns ||
  fail kube-apiserver "$log_dir/kube-apiserver.log" "namespace default was not created"

# --- kube-scheduler -------------------------------------------------------------------------
hami::write_scheduler_config "$SCHEDULER_CONFIG" "$SCHEDULER_KUBECONFIG"
sched_flags=(--config "$SCHEDULER_CONFIG" --bind-address 127.0.0.1 --secure-port "$sched_port"
  --authentication-kubeconfig "$SCHEDULER_KUBECONFIG" --authorization-kubeconfig "$SCHEDULER_KUBECONFIG")
if "$HAMI_TOOLS_BIN/kube-scheduler" --help 2>&1 | grep -q -- '--pod-max-in-unschedulable-pods-duration'; then
  sched_flags+=(--pod-max-in-unschedulable-pods-duration=10s)
fi
if [[ -n ${HAMI_KUBE_SCHEDULER_FLAGS:-} ]]; then
  # shellcheck disable=SC2206
  sched_flags+=($HAMI_KUBE_SCHEDULER_FLAGS)
fi
hami::log "starting kube-scheduler (healthz https://127.0.0.1:$sched_port, extender $extender_url)"
SCHEDULER_PID=$(hami::start_daemon kube-scheduler "$log_dir/kube-scheduler.log" \
  "$HAMI_TOOLS_BIN/kube-scheduler" "${sched_flags[@]}")
record SCHEDULER_PID "$SCHEDULER_PID"
scheduler_healthy() {
  hami::pid_alive "$SCHEDULER_PID" || return 99
  curl -skf --max-time 3 "https://127.0.0.1:$sched_port/healthz" >/dev/null
}
hami::wait_for "kube-scheduler /healthz" "$timeout" scheduler_healthy ||
  fail kube-scheduler "$log_dir/kube-scheduler.log" "kube-scheduler did not become healthy"

# --- kube-controller-manager ---------------------------------------------------------------
# Only what a Job's life needs (Kueue's e2e): the Job controller creates and tracks its pods, TTL
# deletes finished Jobs that ask for it, the garbage collector removes what a deleted owner leaves
# (pods, Kueue's Workloads). Never node-lifecycle: the simulated nodes post no heartbeat, and its
# taints would evict their pods. Each controller acts as its own ServiceAccount
# (--use-service-account-credentials, bootstrap RBAC roles system:controller:*), as in a cluster.
cm_flags=(--kubeconfig "$CONTROLLER_MANAGER_KUBECONFIG"
  --authentication-kubeconfig "$CONTROLLER_MANAGER_KUBECONFIG"
  --authorization-kubeconfig "$CONTROLLER_MANAGER_KUBECONFIG"
  --bind-address 127.0.0.1 --secure-port "$cm_port" --leader-elect=false
  "--controllers=job,ttl-after-finished,garbagecollector" --use-service-account-credentials
  --root-ca-file "$pki_dir/ca.crt")
hami::log "starting kube-controller-manager (healthz https://127.0.0.1:$cm_port)"
CONTROLLER_MANAGER_PID=$(hami::start_daemon kube-controller-manager \
  "$log_dir/kube-controller-manager.log" "$HAMI_TOOLS_BIN/kube-controller-manager" "${cm_flags[@]}")
record CONTROLLER_MANAGER_PID "$CONTROLLER_MANAGER_PID"
controller_manager_healthy() {
  hami::pid_alive "$CONTROLLER_MANAGER_PID" || return 99
  curl -skf --max-time 3 "https://127.0.0.1:$cm_port/healthz" >/dev/null
}
hami::wait_for "kube-controller-manager /healthz" "$timeout" controller_manager_healthy ||
  fail kube-controller-manager "$log_dir/kube-controller-manager.log" \
    "kube-controller-manager did not become healthy"

# --- hami-scheduler + webhook ---------------------------------------------------------------
if [[ ${HAMI_START_HAMI_SCHEDULER:-1} == 1 && -x $HAMI_SCHEDULER_BIN ]]; then
  hami::hami_scheduler_args
  hami::log "starting hami-scheduler: ${HAMI_SCHEDULER_ARGS[*]}"
  HAMI_SCHEDULER_PID=$(hami::start_daemon hami-scheduler "$log_dir/hami-scheduler.log" "${HAMI_SCHEDULER_ARGS[@]}")
  record HAMI_SCHEDULER_PID "$HAMI_SCHEDULER_PID"
  # The command line, words joined by spaces (the plane's paths have none), for tests that
  # restart hami-scheduler.
  record HAMI_SCHEDULER_CMD "${HAMI_SCHEDULER_ARGS[*]}"
  hami_up() {
    hami::pid_alive "$HAMI_SCHEDULER_PID" || return 99
    hami::serving_up "$extender_url/healthz" && hami::serving_up "https://127.0.0.1:$webhook_port/healthz"
  }
  hami::wait_for "hami-scheduler serving on $extender_url and :$webhook_port" "$timeout" hami_up ||
    fail hami-scheduler "$log_dir/hami-scheduler.log" "hami-scheduler did not start serving"
  hami::apply_webhook_config ||
    fail hami-scheduler "$log_dir/hami-scheduler.log" "applying the MutatingWebhookConfiguration failed"
  hami::log "MutatingWebhookConfiguration hami-webhook -> $WEBHOOK_URL"
else
  if [[ ${HAMI_START_HAMI_SCHEDULER:-1} != 1 ]]; then
    hami::log "HAMI_START_HAMI_SCHEDULER=0: skipping hami-scheduler and the webhook"
  else
    hami::log "$HAMI_SCHEDULER_BIN not built: skipping hami-scheduler and the webhook" \
      "(pods asking for nvidia.com/* resources will fail to schedule until it runs)"
  fi
fi

trap - ERR
elapsed_ms=$(( $(hami::now_ms) - t_start ))
hami::log "local control plane up in $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000)))s"
cat >&2 <<EOF

  API server   https://127.0.0.1:$api_port
  kubeconfig   $KUBECONFIG
  extender     $extender_url   webhook $WEBHOOK_URL
  web UI       $WEBUI_URL
  env          $env_file       (source it: ports, URLs, pids)
  logs         $log_dir/

  export KUBECONFIG=$KUBECONFIG; $HAMI_TOOLS_BIN/kubectl get nodes
  stop with: hack/local-down.sh
EOF
