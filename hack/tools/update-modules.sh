#!/usr/bin/env bash
# Regenerates the pinned Go modules that build the local control plane's tools.
#
#   hack/tools/update-modules.sh [K8S_VERSION] [ETCD_VERSION]     e.g. 1.32.13 3.5.24
#
# k8s.io/kubernetes requires its staging repos at v0.0.0 and maps them with replace directives that
# do not apply to dependents, so this derives the staging list from the release's own go.mod and
# replaces each with the matching v0.MINOR.PATCH tag. Commit go.mod and go.sum afterwards.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kv=${1:-$(sed -n 's/^require k8s.io\/kubernetes v\(.*\)$/\1/p; s/^\tk8s.io\/kubernetes v\(.*\)$/\1/p' "$here/k8s/go.mod" | head -1)}
ev=${2:-$(sed -n 's/^\tgo.etcd.io\/etcd\/server\/v3 v\(.*\)$/\1/p; s/^require go.etcd.io\/etcd\/server\/v3 v\(.*\)$/\1/p' "$here/etcd/go.mod" | head -1)}
[[ -n "$kv" && -n "$ev" ]] || { echo "usage: $0 K8S_VERSION ETCD_VERSION" >&2; exit 2; }
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
sv="v0.${kv#1.}"

echo "k8s v$kv (staging $sv), etcd v$ev"
cd "$here/k8s"
cat > go.mod <<EOT
module local/hami-k8s-tools

go 1.23.0

godebug default=go1.23
EOT
rm -f go.sum
gomod=$(cd "$(mktemp -d)" && go mod download -json "k8s.io/kubernetes@v$kv" | sed -n 's/.*"GoMod": "\([^"]*\)".*/\1/p')
[[ -f "$gomod" ]] || { echo "cannot download go.mod of k8s.io/kubernetes@v$kv" >&2; exit 1; }
staging=$(grep -oE '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$gomod" | awk '{print $1}')
[[ -n "$staging" ]] || { echo "no staging modules found in $gomod" >&2; exit 1; }
for m in $staging; do go mod edit -replace="$m=$m@$sv"; done
go mod edit -require="k8s.io/kubernetes@v$kv"
go mod tidy

cd "$here/etcd"
cat > go.mod <<EOT
module local/hami-etcd-tools

go 1.23.0
EOT
rm -f go.sum
go mod edit -require="go.etcd.io/etcd/server/v3@v$ev"
go mod tidy
echo "updated $here/k8s/go.mod and $here/etcd/go.mod"
