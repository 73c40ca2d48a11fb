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
  chromium fonts-dejavu-core python3-venv  # the browser tests of the web UI (test/webui)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The browser tests drive Debian's chromium with Playwright (PyPI; its own browser downloads are
# never used), installed once into a virtual environment under ~/.cache, never into the checkout.
# test/webui/run.sh finds it there (HAMI_WEBUI_VENV moves it). Outside CI a failed install only
# warns: the browser tests then skip, saying why.
WEBUI_VENV=${HAMI_WEBUI_VENV:-$HOME/.cache/hami-webui/venv}
PLAYWRIGHT_VERSION=1.65.3
if [ "$("$WEBUI_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("playwright"))' 2>/dev/null)" \
     != "$PLAYWRIGHT_VERSION" ]; then
  echo "deps: installing playwright $PLAYWRIGHT_VERSION into $WEBUI_VENV"
  if ! { python3 -m venv "$WEBUI_VENV" &&
         "$WEBUI_VENV/bin/python" -m pip install -q "playwright==$PLAYWRIGHT_VERSION"; }; then
    [ "${CI:-}" != "true" ] || { echo "deps: playwright install failed" >&2; exit 1; }
    echo "deps: WARNING: playwright install failed; the browser tests will skip" >&2
  fi
fi
