# shellcheck shell=bash
# hami-scheduler wiring for the local control plane (sources common.sh when needed).
#
# Serving layout (upstream's): ONE TLS port serves /filter, /bind and /webhook (--http_bind with
# --cert_file/--key_file); EXTENDER_URL=https://127.0.0.1:$EXTENDER_PORT and WEBHOOK_PORT=$EXTENDER_PORT;
# kube-scheduler verifies the serving cert with our CA.
# Client authentication (HAMI_CLIENT_AUTH=1, the default): hami-scheduler accepts /filter and /bind
# only with the client certificate kube-scheduler's extender tlsConfig presents
# (pki/extender-client, CN hami-extender-client) and /webhook only with the one kube-apiserver
# presents through its admission kubeconfig (pki/webhook-client, CN hami-webhook-client).
# HAMI_CLIENT_AUTH=0 runs without (anyone reaching the port may call them).

[[ $(type -t hami::log) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HAMI_SCHEDULER_BIN=${HAMI_SCHEDULER_BIN:-$HAMI_ROOT/_output/bin/hami-scheduler}
HAMI_BIN=${HAMI_BIN:-$(dirname "$HAMI_SCHEDULER_BIN")/hami}
# The vendors the local plane schedules besides the always-on ones (gated upstream behind flags),
# and its device config (every vendor's block, as the chart renders it with those vendors on).
HAMI_VENDOR_FLAGS=${HAMI_VENDOR_FLAGS:---enable-ascend --enable-iluvatar}
HAMI_DEVICE_CONFIG=${HAMI_DEVICE_CONFIG:-$HAMI_ROOT/hack/device-config.yaml}

# hami::hami_scheduler_args: THE place that knows hami-scheduler's command line. Fills the array
# HAMI_SCHEDULER_ARGS from the env variables local-up.sh records (HAMI_SCHEDULER_KUBECONFIG, else
# KUBECONFIG; PKI_DIR, EXTENDER_PORT, WEBHOOK_PORT, METRICS_PORT, WEBUI_PORT). Extra flags:
# HAMI_SCHEDULER_FLAGS (space separated); HAMI_NODE_LOCK=true|false sets --nvidia-node-lock.
# The web UI listens on 127.0.0.1:$WEBUI_PORT (plain HTTP, no auth: loopback only), when the
# binary has --webui-bind-address (a stand-in such as hack/e2e/fake-hami-scheduler may not).
hami::hami_scheduler_args() {
  HAMI_SCHEDULER_ARGS=(
    "$HAMI_SCHEDULER_BIN"
    --kubeconfig "${HAMI_SCHEDULER_KUBECONFIG:-$KUBECONFIG}"
    --http_bind "127.0.0.1:$EXTENDER_PORT"
    --cert_file "$PKI_DIR/webhook.crt"
    --key_file "$PKI_DIR/webhook.key"
    --scheduler-name hami-scheduler
    --metrics-bind-address "127.0.0.1:$METRICS_PORT"
    --device-config-file "$HAMI_DEVICE_CONFIG"
  )
  if [[ ${HAMI_CLIENT_AUTH:-1} == 1 ]]; then
    HAMI_SCHEDULER_ARGS+=(
      --extender-client-ca-file "$PKI_DIR/ca.crt" --extender-client-names hami-extender-client
      --webhook-client-ca-file "$PKI_DIR/ca.crt" --webhook-client-names hami-webhook-client
    )
  fi
  [[ -z ${HAMI_NODE_LOCK:-} ]] || HAMI_SCHEDULER_ARGS+=("--nvidia-node-lock=$HAMI_NODE_LOCK")
  if [[ -n ${WEBUI_PORT:-} ]]; then
    # Not `--help | grep -q`: grep's early exit can kill --help with SIGPIPE, failing under pipefail.
    local help
    help=$("$HAMI_SCHEDULER_BIN" --help 2>&1 || true)
    [[ $help != *--webui-bind-address* ]] ||
      HAMI_SCHEDULER_ARGS+=(--webui-bind-address "127.0.0.1:$WEBUI_PORT")
  fi
  # shellcheck disable=SC2206
  HAMI_SCHEDULER_ARGS+=($HAMI_VENDOR_FLAGS)
  if [[ -n ${HAMI_SCHEDULER_FLAGS:-} ]]; then
    # shellcheck disable=SC2206
    HAMI_SCHEDULER_ARGS+=($HAMI_SCHEDULER_FLAGS)
  fi
}

# hami::serving_up URL: true when something answers HTTP(S) at URL (any status code).
hami::serving_up() { curl -sk -o /dev/null --max-time 2 "$1"; }

# hami::write_scheduler_config FILE SCHED_KUBECONFIG: KubeSchedulerConfiguration with the profiles
# default-scheduler and hami-scheduler and one extender (top level, shared by both profiles) at
# $EXTENDER_URL, managing HAMi's resources (ignoredByScheduler: the extender owns them).
hami::write_scheduler_config() {
  local file=$1 kubeconfig=$2 tls="" managed
  managed=$(hami::managed_resources) || exit 1
  if [[ $EXTENDER_URL == https://* ]]; then
    tls="  enableHTTPS: true
  tlsConfig:
    caFile: $PKI_DIR/ca.crt"
    if [[ ${HAMI_CLIENT_AUTH:-1} == 1 ]]; then
      tls+="
    certFile: $PKI_DIR/extender-client.crt
    keyFile: $PKI_DIR/extender-client.key"
    fi
  else
    tls="  enableHTTPS: false"
  fi
  cat > "$file" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: $kubeconfig
  qps: 500
  burst: 1000
leaderElection:
  leaderElect: false
profiles:
- schedulerName: default-scheduler
- schedulerName: hami-scheduler
extenders:
- urlPrefix: $EXTENDER_URL
  filterVerb: filter
  bindVerb: bind
  weight: 1
  nodeCacheCapable: true
  httpTimeout: 30s
  ignorable: false
$tls
  managedResources:
$managed
EOF
}

# hami::managed_resources: kube-scheduler's managedResources lines for every resource the
# scheduler's vendors own (`hami resources`, with the plane's vendor flags).
hami::managed_resources() {
  local names
  # shellcheck disable=SC2086
  names=$("$HAMI_BIN" resources --config "$HAMI_DEVICE_CONFIG" $HAMI_VENDOR_FLAGS) ||
    hami::die "hami resources failed"
  while read -r name; do
    [[ -n $name ]] && echo "  - {name: $name, ignoredByScheduler: true}"
  done <<< "$names"
}

# hami::write_admission_config FILE: kube-apiserver's --admission-control-config-file, giving the
# webhook admission plugins a kubeconfig whose user for 127.0.0.1:$WEBHOOK_PORT (the host:port of
# the webhook URL) is pki/webhook-client: the API server presents it to hami-scheduler's /webhook.
hami::write_admission_config() {
  local file=$1 kubeconfig=${1%.yaml}-kubeconfig.yaml
  cat > "$kubeconfig" <<EOF
apiVersion: v1
kind: Config
users:
- name: "127.0.0.1:$WEBHOOK_PORT"
  user:
    client-certificate: $PKI_DIR/webhook-client.crt
    client-key: $PKI_DIR/webhook-client.key
EOF
  cat > "$file" <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: MutatingAdmissionWebhook
  configuration:
    apiVersion: apiserver.config.k8s.io/v1
    kind: WebhookAdmissionConfiguration
    kubeConfigFile: $kubeconfig
- name: ValidatingAdmissionWebhook
  configuration:
    apiVersion: apiserver.config.k8s.io/v1
    kind: WebhookAdmissionConfiguration
    kubeConfigFile: $kubeconfig
EOF
}

# hami::apply_webhook_config: registers hami-scheduler's /webhook for pod CREATE (failurePolicy
# Fail, so a broken webhook is visible). Every pod reaches it: one labelled hami.io/webhook=ignore
# is left untouched by the webhook itself, after its isolation rules (a tenant can set the label).
hami::apply_webhook_config() {
  local ca_b64
  ca_b64=$(base64 -w0 < "$PKI_DIR/ca.crt")
  hami::kubectl apply -f - >/dev/null <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: hami-webhook
webhooks:
- name: vgpu.hami.io
  admissionReviewVersions: ["v1", "v1beta1"]
  sideEffects: None
  failurePolicy: ${HAMI_WEBHOOK_FAILURE_POLICY:-Fail}
  timeoutSeconds: 10
  clientConfig:
    url: https://127.0.0.1:$WEBHOOK_PORT/webhook
    caBundle: $ca_b64
  rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    operations: ["CREATE"]
    resources: ["pods"]
    scope: "*"
EOF
}
