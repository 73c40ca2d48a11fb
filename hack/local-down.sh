#!/usr/bin/env bash
# Stops the local control plane started by hack/local-up.sh from this checkout: the simulated nodes'
# hami-device-plugin and kubelet-standin (hack/lib/sim_nodes.sh), hami-scheduler,
# kube-scheduler, kube-controller-manager, kube-apiserver, etcd (each by its recorded pid and process group; SIGKILL after
# 10 s), removes etcd's data from /dev/shm and the env file and kubeconfigs. Keeps pki/ and logs/.
# Also stops leftovers of this checkout's plane whose pids were never recorded (found by command
# line). Idempotent: with nothing running it just says so.
#
#   hack/local-down.sh           stop
#   hack/local-down.sh --purge   stop and delete _output/local entirely (certificates, logs)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/sim_nodes.sh"

purge=0
case ${1:-} in
  --purge) purge=1 ;;
  "") ;;
  *) hami::die "usage: $0 [--purge]" ;;
esac

hami::lock_local_dir
# Only what this checkout's env file says counts, not values inherited from the caller's shell.
unset HAMI_SCHEDULER_PID SCHEDULER_PID CONTROLLER_MANAGER_PID APISERVER_PID ETCD_PID ETCD_DATA_DIR
data_dirs=()
stopped=0
if compgen -G "$HAMI_LOCAL_DIR/nodes/*/*.pid" >/dev/null; then
  stop_sim_nodes   # first: they talk to the API server
  stopped=1
fi
if hami::load_env 2>/dev/null; then
  data_dirs+=("${ETCD_DATA_DIR:-}")
  # Only signal a recorded pid that still runs one of our binaries (pids get reused).
  ours() {
    [[ -n $2 && -r /proc/$2/cmdline ]] && tr '\0' '\n' < "/proc/$2/cmdline" | head -2 | grep -q "$1\$"
  }
  clients=()
  ours hami-scheduler "${HAMI_SCHEDULER_PID:-}" && clients+=("hami-scheduler:$HAMI_SCHEDULER_PID")
  ours kube-scheduler "${SCHEDULER_PID:-}" && clients+=("kube-scheduler:$SCHEDULER_PID")
  ours kube-controller-manager "${CONTROLLER_MANAGER_PID:-}" &&
    clients+=("kube-controller-manager:$CONTROLLER_MANAGER_PID")
  ours kube-apiserver "${APISERVER_PID:-}" && clients+=("kube-apiserver:$APISERVER_PID")
  if (( ${#clients[@]} > 0 )); then
    hami::stop_daemons "${clients[@]}"   # together: none of them needs the others to shut down
    stopped=1
  fi
  if ours etcd "${ETCD_PID:-}"; then       # last: kube-apiserver would wait on a dead etcd
    hami::stop_daemon etcd "$ETCD_PID"
    stopped=1
  fi
fi

# Anything of this checkout's plane left over (e.g. the env file was lost mid-start), clients
# before servers so that nothing waits on a dead etcd.
leftovers=$(hami::find_plane_pids)
for want in kueue hami-device-plugin kubelet-standin hami-scheduler kube-scheduler \
    kube-controller-manager kube-apiserver etcd; do
  for pid in $leftovers; do
    args=()
    { mapfile -d '' -t args < "/proc/$pid/cmdline"; } 2>/dev/null || continue
    [[ " ${args[*]:0:2} " == *"$want "* ]] || continue
    if [[ $want == etcd ]]; then
      for ((i = 0; i < ${#args[@]}; i++)); do
        [[ ${args[i]} == --data-dir ]] && data_dirs+=("${args[i+1]:-}")
        [[ ${args[i]} == --data-dir=* ]] && data_dirs+=("${args[i]#--data-dir=}")
      done
    fi
    hami::stop_daemon "leftover $want" "$pid"
    stopped=1
  done
done
left=$(hami::find_plane_pids)
[[ -z $left ]] || hami::die "processes still running after SIGKILL: $left"

for data_dir in "${data_dirs[@]}"; do
  if [[ -n $data_dir && $data_dir == /dev/shm/hami-etcd-* && -d $data_dir ]]; then
    rm -rf "$data_dir"
  fi
done
rm -f "$HAMI_LOCAL_DIR/env" "$HAMI_LOCAL_DIR/kubeconfig" "$HAMI_LOCAL_DIR/scheduler.kubeconfig"
rm -rf "$HAMI_LOCAL_DIR/apiserver-certs" "$HAMI_LOCAL_DIR/nodes"
if (( purge )); then
  rm -rf "$HAMI_LOCAL_DIR"
  hami::log "removed $HAMI_LOCAL_DIR"
fi

if (( stopped )); then
  hami::log "local control plane stopped"
else
  hami::log "local control plane was not running"
fi
