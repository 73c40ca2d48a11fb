#!/usr/bin/env bash
# Stops the local control plane started by hack/local-up.sh from this checkout: hami-scheduler,
# kube-scheduler, kube-apiserver, etcd (each by its recorded pid and process group; SIGKILL after
# 10 s), removes etcd's data from /dev/shm and the env file and kubeconfigs. Keeps pki/ and logs/.
# Also stops leftovers of this checkout's plane whose pids were never recorded (found by command
# line). Idempotent: with nothing running it just says so.
#
#   hack/local-down.sh           stop
#   hack/local-down.sh --purge   stop and delete _output/local entirely (certificates, logs)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

purge=0
case ${1:-} in
  --purge) purge=1 ;;
  "") ;;
  *) hami::die "usage: $0 [--purge]" ;;
esac

stopped=0
if hami::load_env 2>/dev/null; then
  for pair in "hami-scheduler:${HAMI_SCHEDULER_PID:-}" "kube-scheduler:${SCHEDULER_PID:-}" \
              "kube-apiserver:${APISERVER_PID:-}" "etcd:${ETCD_PID:-}"; do
    name=${pair%%:*} pid=${pair#*:}
    [[ -n $pid ]] || continue
    # Only signal a recorded pid that still runs one of our binaries (pids get reused).
    if [[ -r /proc/$pid/cmdline ]] && tr '\0' '\n' < "/proc/$pid/cmdline" | head -2 | grep -q "$name\$"; then
      hami::stop_daemon "$name" "$pid"
      stopped=1
    fi
  done
fi

# Anything of this checkout's plane left over (e.g. the env file was lost mid-start).
for pid in $(hami::find_plane_pids); do
  name=$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | head -1) || continue
  hami::stop_daemon "leftover ${name##*/}" "$pid"
  stopped=1
done
left=$(hami::find_plane_pids)
[[ -z $left ]] || hami::die "processes still running after SIGKILL: $left"

data_dir=${ETCD_DATA_DIR:-}
if [[ -n $data_dir && $data_dir == /dev/shm/hami-etcd-* && -d $data_dir ]]; then
  rm -rf "$data_dir"
fi
rm -f "$HAMI_LOCAL_DIR/env" "$HAMI_LOCAL_DIR/kubeconfig" "$HAMI_LOCAL_DIR/scheduler.kubeconfig"
rm -rf "$HAMI_LOCAL_DIR/apiserver-certs"
if (( purge )); then
  rm -rf "$HAMI_LOCAL_DIR"
  hami::log "removed $HAMI_LOCAL_DIR"
fi

if (( stopped )); then
  hami::log "local control plane stopped"
else
  hami::log "local control plane was not running"
fi
