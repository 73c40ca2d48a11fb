# shellcheck shell=bash
# Shared shell helpers for hack/ scripts. Source it; it defines functions and path variables only.
#
#   HAMI_ROOT        repository root
#   HAMI_TOOLS_BIN   where kube-apiserver, kube-scheduler, etcd, kubectl are linked (_output/tools/bin)
#   HAMI_LOCAL_DIR   state of the local control plane (_output/local): env, kubeconfig, pki/, logs/
#
# Every wait has a timeout; every failure names what failed and where its log is.

HAMI_ROOT=${HAMI_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
HAMI_TOOLS_BIN=${HAMI_TOOLS_BIN:-$HAMI_ROOT/_output/tools/bin}
HAMI_LOCAL_DIR=${HAMI_LOCAL_DIR:-$HAMI_ROOT/_output/local}

hami::log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
hami::die() { printf '[%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

# hami::now_ms: milliseconds since the epoch.
hami::now_ms() { date +%s%3N; }

# hami::wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds.
# Returns 1 (after printing DESCRIPTION) when TIMEOUT_SECONDS pass first, or at once when COMMAND
# exits with 99 (it knows waiting is pointless, e.g. the process died).
hami::wait_for() {
  local desc=$1 timeout=$2; shift 2
  local deadline=$(( $(date +%s) + timeout )) rc
  while true; do
    rc=0
    "$@" >/dev/null 2>&1 || rc=$?
    (( rc == 0 )) && return 0
    if (( rc == 99 )); then
      hami::log "gave up waiting for: $desc (process exited)"
      return 1
    fi
    if (( $(date +%s) >= deadline )); then
      hami::log "timed out after ${timeout}s waiting for: $desc"
      return 1
    fi
    sleep 0.2
  done
}

# hami::port_in_use PORT: true when any TCP socket (listening or connected) uses local port PORT.
hami::port_in_use() {
  ss -Htan "sport = :$1" 2>/dev/null | grep -q . && return 0
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# hami::free_port VAR: sets VAR to a currently free TCP port, never one handed out earlier by this
# shell (call it directly, not in $(...), so that the shell remembers). Ports are drawn at random
# below the kernel's ephemeral range (outgoing connections take ports from that range at any time,
# which would make a later bind fail), so that concurrent runs rarely race for the same one.
HAMI_PORTS_TAKEN=" "
hami::free_port() {
  local var=${1:?usage: hami::free_port VAR} port tries=0 lo=10000 hi=32767 eph_lo
  eph_lo=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  (( eph_lo > lo + 1000 )) && hi=$(( eph_lo - 1 ))
  while (( tries++ < 500 )); do
    port=$(( lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1) ))
    [[ $HAMI_PORTS_TAKEN == *" $port "* ]] && continue
    hami::port_in_use "$port" && continue
    HAMI_PORTS_TAKEN+="$port "
    printf -v "$var" '%s' "$port"
    return 0
  done
  hami::die "no free TCP port found in $lo-$hi"
}

# hami::pid_alive PID: true when PID is a live process (not a zombie).
hami::pid_alive() {
  [[ -n ${1:-} ]] || return 1
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ $state != Z ]]
}

# hami::start_daemon NAME LOGFILE COMMAND...: starts COMMAND in its own session (so its whole process
# group can be signalled), stdin from /dev/null, stdout+stderr to LOGFILE, without ETCD_* variables
# in its environment. Prints the pid, which is also the process-group id.
hami::start_daemon() {
  local name=$1 logfile=$2; shift 2
  local pidfile
  pidfile=$(mktemp)
  # setsid may fork when the caller is a group leader; the inner shell records its own pid and then
  # execs the command, so the recorded pid is the daemon's and it leads its own process group.
  # ETCD_* variables of our env file (ETCD_DATA_DIR, ...) would be read by etcd as its own flags.
  # shellcheck disable=SC2016  # expanded by the inner bash, not here
  setsid bash -c 'echo $$ > "$0"; for v in ${!ETCD_*}; do unset "$v"; done; exec "$@"' \
    "$pidfile" "$@" </dev/null >>"$logfile" 2>&1 8>&- 9>&- &
  for _ in $(seq 1 50); do
    [[ -s $pidfile ]] && break
    sleep 0.1
  done
  local pid
  pid=$(cat "$pidfile" 2>/dev/null || true)
  rm -f "$pidfile"
  [[ -n $pid ]] || hami::die "could not start $name (see $logfile)"
  echo "$pid"
}

# hami::stop_daemons NAME:PID...: SIGTERM to each process group at once, then waits for all of them;
# SIGKILL to what is left after $HAMI_STOP_TIMEOUT seconds (default 10). Gone processes are skipped.
hami::stop_daemons() {
  local timeout=${HAMI_STOP_TIMEOUT:-10} item name pid live=()
  for item in "$@"; do
    name=${item%%:*} pid=${item#*:}
    [[ -n $pid ]] || continue
    kill -0 "$pid" 2>/dev/null || kill -0 -- "-$pid" 2>/dev/null || continue
    hami::log "stopping $name (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    live+=("$item")
  done
  local deadline=$(( $(date +%s) + timeout )) still
  while (( ${#live[@]} > 0 )); do
    still=()
    for item in "${live[@]}"; do
      pid=${item#*:}
      if kill -0 -- "-$pid" 2>/dev/null || hami::pid_alive "$pid"; then still+=("$item"); fi
    done
    live=("${still[@]}")
    (( ${#live[@]} > 0 )) || break
    if (( $(date +%s) >= deadline )); then
      for item in "${live[@]}"; do
        name=${item%%:*} pid=${item#*:}
        hami::log "$name did not stop within ${timeout}s; sending SIGKILL"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      done
      sleep 0.5
      break
    fi
    sleep 0.1
  done
}

# hami::stop_daemon NAME PID: hami::stop_daemons for one process.
hami::stop_daemon() { hami::stop_daemons "$1:${2:-}"; }

# hami::instance_tag: a name unique to this checkout's local plane (put on etcd's command line so
# that local-down.sh can find it without the env file).
hami::instance_tag() { echo "hami-local-$(printf '%s' "$HAMI_LOCAL_DIR" | sha256sum | cut -c1-10)"; }

# hami::find_plane_pids: pids of etcd, kube-apiserver, kube-scheduler, kube-controller-manager,
# hami-scheduler, kueue, and the simulated nodes' kubelet-standin and hami-device-plugin processes
# whose command line names this checkout's local plane (its tag or its _output/local directory).
hami::find_plane_pids() {
  local tag p args exe
  tag=$(hami::instance_tag)
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    args=()
    { mapfile -d '' -t args < "/proc/$p/cmdline"; } 2>/dev/null || continue
    (( ${#args[@]} > 0 )) || continue
    exe=${args[0]##*/}
    # An interpreted stand-in (e.g. hack/e2e/fake-hami-scheduler) shows up as "python3 SCRIPT ...".
    [[ $exe == python* || $exe == bash ]] && (( ${#args[@]} > 1 )) && exe=${args[1]##*/}
    case $exe in
      fake-hami-scheduler) exe=hami-scheduler ;;
    esac
    case $exe in
      etcd|kube-apiserver|kube-scheduler|kube-controller-manager|hami-scheduler|kubelet-standin|\
        hami-device-plugin|kueue) ;;
      *) continue ;;
    esac
    case " ${args[*]} " in
      *"$tag"*|*"$HAMI_LOCAL_DIR/"*) echo "$p" ;;
    esac
  done
}

# hami::kubectl ARGS...: kubectl from _output/tools/bin against the local cluster.
hami::kubectl() {
  local k="$HAMI_TOOLS_BIN/kubectl"
  [[ -x $k ]] || k=kubectl
  "$k" --kubeconfig="${KUBECONFIG:-$HAMI_LOCAL_DIR/kubeconfig}" "$@"
}

# hami::lock_local_dir: serialises local-up.sh/local-down.sh of one checkout (fd 8, released at
# exit; daemons do not inherit it). Nested calls (local-up running local-down) skip it.
hami::lock_local_dir() {
  [[ -n ${HAMI_LOCAL_LOCKED:-} ]] && return 0
  mkdir -p "$HAMI_LOCAL_DIR"
  exec 8>"$HAMI_LOCAL_DIR/.lock"
  if ! flock -n 8; then
    hami::log "waiting for another local-up/local-down of $HAMI_LOCAL_DIR"
    flock -w 600 8 || hami::die "another local-up/local-down holds $HAMI_LOCAL_DIR/.lock for over 10 min"
  fi
  export HAMI_LOCAL_LOCKED=1
}

# hami::load_env: sources _output/local/env when it exists; returns 1 otherwise.
hami::load_env() {
  [[ -f $HAMI_LOCAL_DIR/env ]] || return 1
  # shellcheck disable=SC1091
  source "$HAMI_LOCAL_DIR/env"
}
