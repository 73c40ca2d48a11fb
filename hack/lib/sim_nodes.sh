# shellcheck shell=bash
# Simulated GPU nodes that run the real node side (docs/local-cluster.md, "Simulated GPU nodes"):
# per node, our hami-device-plugin on the simulated driver (its own HAMI_SIM_GPUS and sim state)
# and kubelet-standin (the kubelet's own device manager; Allocates for the pods bound to the node
# and reports them Running, starting nothing). The plugin writes the node's register annotation.
#
# start_sim_node NAME SIM_GPUS [LABELS] [PLUGIN_FLAGS...]
#     e.g. start_sim_node demo-t4 4xT4-16GB gpu-model=t4
#     The plugin reads the stand-in's pod-resources socket; its --node-lock follows the plane's
#     HAMI_NODE_LOCK when set (hack/local-up.sh), else the binary's default (no node lock).
#     State in $HAMI_LOCAL_DIR/nodes/NAME/: kubelet/ (kubelet-standin --root-dir: device-plugins/
#     with kubelet.sock, pod-resources/kubelet.sock (the pod-resources API), pods/<ns>_<pod>.json
#     records), hook/vgpu/ (the plugin's host files,
#     libvgpu.so linked in), sim.state, kubelet.pid, plugin.pid. Logs: $LOG_DIR/kubelet-NAME.log,
#     $LOG_DIR/device-plugin-NAME.log. Returns once both run; wait_sim_node waits for registration.
# wait_sim_node NAME GPU_REPLICAS [TIMEOUT]: until allocatable nvidia.com/gpu == GPU_REPLICAS
#     and the register annotation is on the node.
# stop_sim_node NAME: stops both processes (no Node deletion); stop_sim_nodes: all of them.
# sim_node_record NAME NAMESPACE POD: prints the pod's record path.
#
# Binaries: HAMI_DP_BIN (default _output/bin/hami-device-plugin), HAMI_SIM_LIBDIR (default the
# plugin's ../lib/sim), HAMI_LIBVGPU (default the plugin's ../lib/libvgpu.so),
# HAMI_KUBELET_STANDIN (default $HAMI_TOOLS_BIN/kubelet-standin). Needs the plane's env loaded.

# The readiness predicates below (sock_ready, registered, ...) are called through hami::wait_for.
# shellcheck disable=SC2317
[[ $(type -t hami::log) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HAMI_DP_BIN=${HAMI_DP_BIN:-$HAMI_ROOT/_output/bin/hami-device-plugin}
HAMI_KUBELET_STANDIN=${HAMI_KUBELET_STANDIN:-$HAMI_TOOLS_BIN/kubelet-standin}

hami::sim_out_dir() { (cd "$(dirname "$HAMI_DP_BIN")/.." && pwd); }

start_sim_node() {
  local name=${1:?usage: start_sim_node NAME SIM_GPUS [LABELS] [PLUGIN_FLAGS...]}
  local gpus=${2:?usage: start_sim_node NAME SIM_GPUS [LABELS] [PLUGIN_FLAGS...]}
  local labels=${3:-}
  shift 2; (( $# )) && shift
  local dir=$HAMI_LOCAL_DIR/nodes/$name out simlib libvgpu
  [[ -x $HAMI_DP_BIN ]] || hami::die "start_sim_node: $HAMI_DP_BIN not built (ninja hami-device-plugin)"
  [[ -x $HAMI_KUBELET_STANDIN ]] || hami::die "start_sim_node: $HAMI_KUBELET_STANDIN missing (hack/build-tools.sh)"
  out=$(hami::sim_out_dir)
  simlib=${HAMI_SIM_LIBDIR:-$out/lib/sim}
  libvgpu=${HAMI_LIBVGPU:-$out/lib/libvgpu.so}
  [[ -e $simlib/libnvidia-ml.so.1 ]] || hami::die "start_sim_node: no simulated driver in $simlib (ninja sim)"
  stop_sim_node "$name"
  mkdir -p "$dir/kubelet" "$dir/hook/vgpu"
  chmod 700 "$dir"
  [[ -e $libvgpu ]] && ln -sfn "$libvgpu" "$dir/hook/vgpu/libvgpu.so"

  local kpid ppid lock_flag=()
  [[ -z ${HAMI_NODE_LOCK:-} ]] || lock_flag=("--node-lock=$HAMI_NODE_LOCK")
  kpid=$(hami::start_daemon "kubelet-standin $name" "$LOG_DIR/kubelet-$name.log" \
    "$HAMI_KUBELET_STANDIN" --kubeconfig "$KUBECONFIG" --node-name "$name" --root-dir "$dir/kubelet" \
    --labels "$labels")
  echo "$kpid" > "$dir/kubelet.pid"
  sock_ready() { hami::pid_alive "$kpid" || return 99; [[ -S $dir/kubelet/device-plugins/kubelet.sock ]]; }
  hami::wait_for "kubelet-standin $name: kubelet.sock" 60 sock_ready || {
    tail -n 20 "$LOG_DIR/kubelet-$name.log" >&2
    hami::die "kubelet-standin for $name did not start (log $LOG_DIR/kubelet-$name.log)"
  }
  ppid=$(LD_LIBRARY_PATH=$simlib HAMI_SIM_GPUS=$gpus HAMI_SIM_STATE=$dir/sim.state \
    hami::start_daemon "hami-device-plugin $name" "$LOG_DIR/device-plugin-$name.log" \
    "$HAMI_DP_BIN" --node-name "$name" --kubeconfig "$KUBECONFIG" \
    --device-plugin-path "$dir/kubelet/device-plugins" --hook-path "$dir/hook" \
    --node-config-file "$dir/node-config.json" \
    --pod-resources-socket "$dir/kubelet/pod-resources/kubelet.sock" "${lock_flag[@]}" "$@")
  echo "$ppid" > "$dir/plugin.pid"
  hami::log "sim node $name: $gpus (kubelet-standin pid $kpid, hami-device-plugin pid $ppid)"
}

wait_sim_node() {
  local name=${1:?usage: wait_sim_node NAME GPU_REPLICAS [TIMEOUT]} want=${2:?} timeout=${3:-60}
  local dir=$HAMI_LOCAL_DIR/nodes/$name
  registered() {
    hami::pid_alive "$(cat "$dir/plugin.pid" 2>/dev/null)" || return 99
    hami::pid_alive "$(cat "$dir/kubelet.pid" 2>/dev/null)" || return 99
    local got
    got=$(hami::kubectl get node "$name" -o \
      'jsonpath={.status.allocatable.nvidia\.com/gpu} {.metadata.annotations.hami\.io/node-nvidia-register}' 2>/dev/null)
    [[ ${got%% *} == "$want" && $got == *'"id"'* ]]
  }
  hami::wait_for "node $name: $want nvidia.com/gpu and its register annotation" "$timeout" registered || {
    tail -n 15 "$LOG_DIR/device-plugin-$name.log" "$LOG_DIR/kubelet-$name.log" >&2
    return 1
  }
}

# hami::sim_node_daemons NAME: prints "role-NAME:PID" for each of the node's processes still running
# (checked against the command line: pids get reused) and forgets the pid files.
hami::sim_node_daemons() {
  local name=$1 dir pid f
  dir=$HAMI_LOCAL_DIR/nodes/$name
  for f in plugin kubelet; do
    pid=$(cat "$dir/$f.pid" 2>/dev/null || true)
    if [[ -n $pid && -r /proc/$pid/cmdline ]] && tr '\0' '\n' < "/proc/$pid/cmdline" | grep -qF "$dir/"; then
      echo "$f-$name:$pid"
    fi
    rm -f "$dir/$f.pid"
  done
}

stop_sim_node() {
  local items
  mapfile -t items < <(hami::sim_node_daemons "${1:?usage: stop_sim_node NAME}")
  (( ${#items[@]} == 0 )) || hami::stop_daemons "${items[@]}"
}

# stop_sim_nodes: all nodes at once (SIGTERM to all, then wait).
stop_sim_nodes() {
  local d items=()
  for d in "$HAMI_LOCAL_DIR"/nodes/*/; do
    [[ -d $d ]] && mapfile -t -O "${#items[@]}" items < <(hami::sim_node_daemons "$(basename "$d")")
  done
  (( ${#items[@]} == 0 )) || hami::stop_daemons "${items[@]}"
  return 0
}

sim_node_record() { echo "$HAMI_LOCAL_DIR/nodes/${1:?}/kubelet/pods/${2:?}_${3:?}.json"; }
