#!/usr/bin/env bash
# Installs the Debian packages the build and tests need. Idempotent: does nothing when all are present.
# Runs apt-get as root (or through sudo when not root).
set -euo pipefail

PACKAGES=(
  g++ cmake ninja-build ccache pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libyaml-dev libcli11-dev libcpp-httplib-dev
  libcurl4-openssl-dev libssl-dev openssl
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  shellcheck clang-format-14 clang-tidy-14 pyflakes3
  clang-14 libclang-rt-14-dev llvm-14  # the check and tsan-check builds (hack/clang.sh)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
