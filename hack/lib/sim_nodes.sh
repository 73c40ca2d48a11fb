# shellcheck shell=bash
# Simulated GPU nodes that run the real node side (docs/local-cluster.md, "Simulated GPU nodes"):
# per node, our hami-device-plugin on the simulated driver (its own HAMI_SIM_GPUS and sim state),
# kubelet-standin (the kubelet's own device manager; Allocates for the pods bound to the node
# and reports them Running, starting nothing) and hami-monitor (the node's simulated NVML and its
# containers' shared regions). The plugin writes the node's register annotation. Each node has its
# own loopback address as InternalIP (127.0.0.2, .3, ...: kubelet-standin --node-ip) and its
# monitor serves http://<that address>:9394/metrics, where `hami smi --cluster` and the web UI
# look for it, as in a real cluster.
#
# start_sim_node NAME SIM_GPUS [LABELS] [PLUGIN_FLAGS...]
#     e.g. start_sim_node demo-t4 4xT4-16GB gpu-model=t4
#     The plugin reads the stand-in's pod-resources socket; its --node-lock follows the plane's
#     HAMI_NODE_LOCK when set (hack/local-up.sh), else the binary's default (no node lock).
#     State in $HAMI_LOCAL_DIR/nodes/NAME/: kubelet/ (kubelet-standin --root-dir: device-plugins/
#     with kubelet.sock, pod-resources/kubelet.sock (the pod-resources API), pods/<ns>_<pod>.json
#     records), hook/vgpu/ (the plugin's host files,
#     libvgpu.so linked in), sim.state, sim.gpus (the HAMI_SIM_GPUS spec), node-ip (the node's
#     loopback address, kept across restarts), kubelet.pid, plugin.pid, monitor.pid. Logs:
#     $LOG_DIR/kubelet-NAME.log, $LOG_DIR/device-plugin-NAME.log, $LOG_DIR/monitor-NAME.log.
#     Returns once all three run; wait_sim_node waits for registration.
#     HAMI_SIM_MONITOR=0 starts no monitor.
# wait_sim_node NAME GPU_REPLICAS [TIMEOUT]: until allocatable nvidia.com/gpu == GPU_REPLICAS
#     and the register annotation is on the node.
# stop_sim_node NAME: stops its processes (no Node deletion); stop_sim_nodes: all of them.
# sim_node_record NAME NAMESPACE POD: prints the pod's record path.
# sim_node_ip NAME: prints the node's InternalIP (its monitor: http://IP:9394/metrics).
# sim_node_env NAME COMMAND...: runs COMMAND on the node's simulated machine (HAMI_SIM_GPUS,
#     HAMI_SIM_STATE, LD_LIBRARY_PATH), e.g. a CUDA workload or hami-sim-ctl.
# sim_node_run_pod NAME NAMESPACE POD COMMAND...: starts COMMAND in the background as a process
#     of the pod's first GPU container would run (kubelet-standin starts nothing): the env from
#     the pod's record, container paths mapped to host paths through its mounts, libvgpu.so
#     preloaded, CUDA_VISIBLE_DEVICES = its NVIDIA_VISIBLE_DEVICES, the node's simulated machine.
#     Stopped by stop_sim_node (pid in workloads/), log $LOG_DIR/workload-NAME-POD.log. E.g.
#     sim_node_run_pod demo-t4 default gpu-pod "$OUT/bin/hami-sim-workload" --mem-mib 1000
# sim_node_xid NAME GPU XID [--lost]: the node's GPU GPU has XID XID (hami-sim-ctl xid; 79 leaves
#     it lost); sim_node_clear NAME GPU clears it (docs/sim.md, "Fault injection").
#
# Binaries: HAMI_DP_BIN (default _output/bin/hami-device-plugin), HAMI_SIM_LIBDIR (default the
# plugin's ../lib/sim), HAMI_LIBVGPU (default the plugin's ../lib/libvgpu.so),
# HAMI_KUBELET_STANDIN (default $HAMI_TOOLS_BIN/kubelet-standin), HAMI_MONITOR_BIN (default the
# plugin's directory's hami-monitor), HAMI_SIM_CTL (hami-sim-ctl beside it). Needs the plane's env
# loaded.

# The readiness predicates below (sock_ready, registered, ...) are called through hami::wait_for.
# shellcheck disable=SC2317
[[ $(type -t hami::log) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HAMI_DP_BIN=${HAMI_DP_BIN:-$HAMI_ROOT/_output/bin/hami-device-plugin}
HAMI_KUBELET_STANDIN=${HAMI_KUBELET_STANDIN:-$HAMI_TOOLS_BIN/kubelet-standin}

hami::sim_out_dir() { (cd "$(dirname "$HAMI_DP_BIN")/.." && pwd); }

# WIRE: the port hami-monitor serves /metrics on (its default, what hami smi --cluster reads).
HAMI_SIM_MONITOR_PORT=9394

# hami::sim_ip_busy IP: true when something accepts connections on IP:9394 (another plane's sim
# node, or a process bound to all addresses).
hami::sim_ip_busy() { (exec 3<>"/dev/tcp/$1/$HAMI_SIM_MONITOR_PORT") 2>/dev/null; }

# hami::sim_node_alloc_ip NAME: the node's loopback address: the one it had while still free (the
# node's own monitor is stopped by then), else the lowest 127.0.0.N (N >= 2) that no other sim node
# of this plane holds and nothing listens on at :9394.
hami::sim_node_alloc_ip() {
  local dir=$HAMI_LOCAL_DIR/nodes/$1 n f ip taken
  if [[ -s $dir/node-ip ]] && ! hami::sim_ip_busy "$(cat "$dir/node-ip")"; then
    cat "$dir/node-ip"
    return
  fi
  rm -f "$dir/node-ip"
  taken=" "
  for f in "$HAMI_LOCAL_DIR"/nodes/*/node-ip; do [[ -s $f ]] && taken+="$(cat "$f") "; done
  for ((n = 2; n < 255; n++)); do
    ip=127.0.0.$n
    [[ $taken == *" $ip "* ]] && continue
    hami::sim_ip_busy "$ip" && continue
    echo "$ip" > "$dir/node-ip"
    echo "$ip"
    return
  done
  hami::die "no free loopback address for sim node $1 (is something bound to 0.0.0.0:$HAMI_SIM_MONITOR_PORT?)"
}

sim_node_ip() { cat "$HAMI_LOCAL_DIR/nodes/${1:?usage: sim_node_ip NAME}/node-ip"; }

sim_node_env() {
  local name=${1:?usage: sim_node_env NAME COMMAND...} dir simlib
  shift
  dir=$HAMI_LOCAL_DIR/nodes/$name
  simlib=${HAMI_SIM_LIBDIR:-$(hami::sim_out_dir)/lib/sim}
  HAMI_SIM_GPUS=$(cat "$dir/sim.gpus") HAMI_SIM_STATE=$dir/sim.state \
    LD_LIBRARY_PATH=$simlib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$@"
}

# The container's environment from a kubelet-standin record (argv: record, then COMMAND...), exec'd.
HAMI_SIM_POD_EXEC='
import json, os, sys
rec = json.load(open(sys.argv[1]))
c = next((c for c in rec["containers"] if "NVIDIA_VISIBLE_DEVICES" in c.get("env", {})), None)
if c is None:
    sys.exit("no GPU container in " + sys.argv[1])
mounts = sorted(c.get("mounts", []), key=lambda m: -len(m["containerPath"]))
def host(path):
    for m in mounts:
        cp = m["containerPath"]
        if path == cp or path.startswith(cp.rstrip("/") + "/"):
            return m["hostPath"] + path[len(cp):]
    return path
env = dict(os.environ)
env.update({k: host(v) if v.startswith("/") else v for k, v in c["env"].items()})
env["LD_PRELOAD"] = host("/usr/local/vgpu/libvgpu.so")
env["CUDA_VISIBLE_DEVICES"] = c["env"]["NVIDIA_VISIBLE_DEVICES"]
os.execvpe(sys.argv[2], sys.argv[2:], env)
'

sim_node_run_pod() {
  local name=${1:?usage: sim_node_run_pod NAME NAMESPACE POD COMMAND...} ns=${2:?} pod=${3:?} rec pid
  shift 3
  rec=$(sim_node_record "$name" "$ns" "$pod")
  [[ -r $rec ]] || { hami::log "sim_node_run_pod: no record $rec"; return 1; }
  mkdir -p "$HAMI_LOCAL_DIR/nodes/$name/workloads"
  pid=$(sim_node_env "$name" hami::start_daemon "workload $ns/$pod" "$LOG_DIR/workload-$name-$pod.log" \
    python3 -c "$HAMI_SIM_POD_EXEC" "$rec" "$@")
  echo "$pid" > "$HAMI_LOCAL_DIR/nodes/$name/workloads/${ns}_$pod.pid"
}

sim_node_xid() {
  local name=${1:?usage: sim_node_xid NAME GPU XID [--lost]} gpu=${2:?} xid=${3:?}
  shift 3
  sim_node_env "$name" "${HAMI_SIM_CTL:-$(dirname "$HAMI_DP_BIN")/hami-sim-ctl}" xid --gpu "$gpu" --code "$xid" "$@"
}

sim_node_clear() {
  sim_node_env "${1:?usage: sim_node_clear NAME GPU}" \
    "${HAMI_SIM_CTL:-$(dirname "$HAMI_DP_BIN")/hami-sim-ctl}" clear --gpu "${2:?}"
}

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
  echo "$gpus" > "$dir/sim.gpus"

  local kpid ppid mpid ip lock_flag=()
  ip=$(hami::sim_node_alloc_ip "$name")
  [[ -z ${HAMI_NODE_LOCK:-} ]] || lock_flag=("--node-lock=$HAMI_NODE_LOCK")
  kpid=$(hami::start_daemon "kubelet-standin $name" "$LOG_DIR/kubelet-$name.log" \
    "$HAMI_KUBELET_STANDIN" --kubeconfig "$KUBECONFIG" --node-name "$name" --root-dir "$dir/kubelet" \
    --labels "$labels" --node-ip "$ip")
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
  if [[ ${HAMI_SIM_MONITOR:-1} != 0 ]]; then
    local monitor=${HAMI_MONITOR_BIN:-$(dirname "$HAMI_DP_BIN")/hami-monitor}
    [[ -x $monitor ]] || hami::die "start_sim_node: $monitor not built (ninja hami-monitor)"
    mpid=$(LD_LIBRARY_PATH=$simlib HAMI_SIM_GPUS=$gpus HAMI_SIM_STATE=$dir/sim.state \
      hami::start_daemon "hami-monitor $name" "$LOG_DIR/monitor-$name.log" \
      "$monitor" --node-name "$name" --kubeconfig "$KUBECONFIG" --hook-path "$dir/hook/vgpu" \
      --nvml-library "$simlib/libnvidia-ml.so.1" --feedback-interval 1s \
      --metrics-bind-address "$ip:$HAMI_SIM_MONITOR_PORT")
    echo "$mpid" > "$dir/monitor.pid"
    monitor_ready() { hami::pid_alive "$mpid" || return 99; curl -sf --max-time 2 -o /dev/null "http://$ip:$HAMI_SIM_MONITOR_PORT/healthz"; }
    hami::wait_for "hami-monitor $name on $ip:$HAMI_SIM_MONITOR_PORT" 30 monitor_ready || {
      tail -n 20 "$LOG_DIR/monitor-$name.log" >&2
      hami::die "hami-monitor for $name did not start (log $LOG_DIR/monitor-$name.log)"
    }
  fi
  hami::log "sim node $name ($ip): $gpus (kubelet-standin pid $kpid, hami-device-plugin pid $ppid${mpid:+, hami-monitor pid $mpid})"
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
  for f in "$dir"/workloads/*.pid; do
    [[ -e $f ]] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    # exec'd into the workload: its environment (HAMI_SIM_STATE) names the node, not its argv
    [[ -n $pid && -r /proc/$pid/environ ]] && tr '\0' '\n' < "/proc/$pid/environ" | grep -qF "$dir/" \
      && echo "workload-$name-$(basename "$f" .pid):$pid"
    rm -f "$f"
  done
  for f in monitor plugin kubelet; do
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
