# shellcheck shell=bash
# Kueue's manager (sigs.k8s.io/kueue, pinned in hack/tools/kueue/go.mod; `hack/build-tools.sh
# --kueue` builds it into _output/tools/bin/kueue) next to a running local control plane
# (hack/local-up.sh). Used by test/e2e/kueue_e2e.py only, not by local-up. Source it after
# hack/lib/common.sh with the plane's env loaded (hami::load_env).
#
#   kueue::start [EXTRA_CONFIG]  applies Kueue's CRDs (the module's config/components/crd/bases),
#                                writes $HAMI_LOCAL_DIR/kueue/config.yaml (a Configuration for the
#                                local plane plus the top-level keys in the file EXTRA_CONFIG, e.g.
#                                `resources:`), starts the manager (log: $LOG_DIR/kueue.log), waits
#                                until it is ready and registers its webhooks; records the pid.
#   kueue::stop                  removes the webhook configurations, then stops the manager.
#
# Local-plane layout (what differs from Kueue's own manifests): the manager runs as a process with
# the admin kubeconfig (no RBAC, no Deployment, no leader election); its webhook server listens on
# 127.0.0.1:$KUEUE_WEBHOOK_PORT with the plane's serving certificate (pki/webhook.crt, for
# 127.0.0.1, issued by pki/ca.crt), so internalCertManagement is off and the webhook configurations
# carry `url:` and our CA instead of a Service. Integrations: batch/job and pod. Only the webhooks
# of Kueue's own kinds, of batch/v1 Jobs and of pods labelled kueue.x-k8s.io/queue-name (an
# objectSelector) are registered: nothing else on the shared plane passes through Kueue. The visibility API server (VisibilityOnDemand) and the metrics port are off;
# Kueue still wants a metrics certificate in /etc/kueue/metrics/certs (kueue::_metrics_certs).

KUEUE_DIR=${KUEUE_DIR:-$HAMI_LOCAL_DIR/kueue}
KUEUE_BIN=${KUEUE_BIN:-$HAMI_TOOLS_BIN/kueue}
KUEUE_WEBHOOKS=(hami-local-kueue-mutating hami-local-kueue-validating)

# kueue::module_dir: the Kueue module's source in the Go module cache (downloaded by build-tools).
kueue::module_dir() {
  (cd "$HAMI_ROOT/hack/tools/kueue" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' sigs.k8s.io/kueue)
}

kueue::_write_config() {
  local extra=${1:-}
  cat > "$KUEUE_DIR/config.yaml" <<EOF
apiVersion: config.kueue.x-k8s.io/v1beta2
kind: Configuration
namespace: kueue-system
health:
  healthProbeBindAddress: 127.0.0.1:$KUEUE_HEALTH_PORT
metrics:
  bindAddress: "0"
webhook:
  host: 127.0.0.1
  port: $KUEUE_WEBHOOK_PORT
  certDir: $KUEUE_DIR/certs
leaderElection:
  leaderElect: false
internalCertManagement:
  enable: false
clientConnection:
  qps: 50
  burst: 100
featureGates:
  VisibilityOnDemand: false
integrations:
  frameworks:
  - batch/job
  - pod
EOF
  if [[ -n $extra ]]; then cat "$extra" >> "$KUEUE_DIR/config.yaml"; fi
}

# kueue::_webhook_manifests FILE: Kueue's webhook configurations (the module's
# config/components/webhook/manifests.yaml) for the local plane: url + our CA, only Kueue's own
# kinds, batch/v1 Jobs and queued pods.
kueue::_webhook_manifests() {
  python3 - "$1" "https://127.0.0.1:$KUEUE_WEBHOOK_PORT" "$(base64 -w0 < "$PKI_DIR/ca.crt")" \
    "${KUEUE_WEBHOOKS[@]}" <<'EOF'
import json, sys, yaml
src, base, ca, mutating_name, validating_name = sys.argv[1:6]
out = []
for doc in yaml.safe_load_all(open(src)):
    if not doc:
        continue
    doc["metadata"] = {"name": mutating_name if doc["kind"].startswith("Mutating") else validating_name}
    kept = []
    for hook in doc["webhooks"]:
        path = hook["clientConfig"]["service"]["path"]
        if "kueue-x-k8s-io" not in path and "batch-v1-job" not in path and "--v1-pod" not in path:
            continue
        hook["clientConfig"] = {"url": base + path, "caBundle": ca}
        if "--v1-pod" in path:  # only pods queued in Kueue: the plane's other pods never wait on it
            hook["objectSelector"] = {"matchExpressions": [
                {"key": "kueue.x-k8s.io/queue-name", "operator": "Exists"}]}
        hook["timeoutSeconds"] = 10
        kept.append(hook)
    doc["webhooks"] = kept
    out.append(doc)
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": out}))
EOF
}

# kueue::_metrics_certs: Kueue v0.17 with internalCertManagement off loads a metrics serving
# certificate from the fixed path /etc/kueue/metrics/certs (cmd/kueue/main.go) and exits without
# one, even with metrics off (bindAddress "0", as here: the certificate is never served). When none
# is there, put a copy of the plane's serving key pair there (the files must only parse).
kueue::_metrics_certs() {
  local d=/etc/kueue/metrics/certs
  [[ -s $d/tls.crt && -s $d/tls.key ]] && return 0
  { mkdir -p "$d" && cp "$PKI_DIR/webhook.crt" "$d/tls.crt" && cp "$PKI_DIR/webhook.key" "$d/tls.key"; } 2>/dev/null \
    || hami::die "kueue needs a key pair in $d (tls.crt, tls.key; any valid pair: metrics are off) and it cannot be written"
}

kueue::_ready() {
  hami::pid_alive "$KUEUE_PID" || return 99
  curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$KUEUE_HEALTH_PORT/readyz"
}

kueue::start() {
  local extra=${1:-} mod t0
  t0=$(date +%s)
  [[ -x $KUEUE_BIN ]] || hami::die "$KUEUE_BIN missing: run hack/build-tools.sh --kueue"
  mod=$(kueue::module_dir) || hami::die "Kueue's module is not in the Go module cache: run hack/build-tools.sh --kueue"
  mkdir -p "$KUEUE_DIR/certs" "$LOG_DIR"
  ln -sfn "$PKI_DIR/webhook.crt" "$KUEUE_DIR/certs/tls.crt"
  ln -sfn "$PKI_DIR/webhook.key" "$KUEUE_DIR/certs/tls.key"
  kueue::_metrics_certs
  hami::kubectl apply --server-side --force-conflicts -f "$mod/config/components/crd/bases" >/dev/null \
    || hami::die "applying Kueue's CRDs failed"
  hami::kubectl wait --for=condition=Established --timeout=60s \
    -f "$mod/config/components/crd/bases" >/dev/null || hami::die "Kueue's CRDs not established"
  hami::kubectl create namespace kueue-system --dry-run=client -o yaml | hami::kubectl apply -f - >/dev/null
  hami::free_port KUEUE_WEBHOOK_PORT
  hami::free_port KUEUE_HEALTH_PORT
  kueue::_write_config "$extra"
  KUEUE_PID=$(hami::start_daemon kueue "$LOG_DIR/kueue.log" "$KUEUE_BIN" --config="$KUEUE_DIR/config.yaml" --kubeconfig="$KUBECONFIG" --zap-log-level=2)
  echo "$KUEUE_PID" > "$KUEUE_DIR/pid"
  if ! hami::wait_for "kueue ready on :$KUEUE_HEALTH_PORT" "${HAMI_UP_TIMEOUT:-120}" kueue::_ready; then
    tail -n 30 "$LOG_DIR/kueue.log" >&2
    kueue::stop
    hami::die "kueue did not become ready (log: $LOG_DIR/kueue.log)"
  fi
  kueue::_webhook_manifests "$mod/config/components/webhook/manifests.yaml" > "$KUEUE_DIR/webhooks.json"
  hami::kubectl apply -f "$KUEUE_DIR/webhooks.json" >/dev/null || hami::die "registering Kueue's webhooks failed"
  hami::log "kueue: pid $KUEUE_PID, webhook https://127.0.0.1:$KUEUE_WEBHOOK_PORT, up in $(( $(date +%s) - t0 ))s"
}

kueue::stop() {
  local pid=${KUEUE_PID:-}
  [[ -n $pid ]] || pid=$(cat "$KUEUE_DIR/pid" 2>/dev/null || true)
  hami::kubectl delete mutatingwebhookconfiguration "${KUEUE_WEBHOOKS[0]}" --ignore-not-found >/dev/null 2>&1 || true
  hami::kubectl delete validatingwebhookconfiguration "${KUEUE_WEBHOOKS[1]}" --ignore-not-found >/dev/null 2>&1 || true
  if [[ -n $pid ]] && hami::pid_alive "$pid"; then hami::stop_daemon kueue "$pid"; fi
  rm -f "$KUEUE_DIR/pid"
}
