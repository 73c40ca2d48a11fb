#!/usr/bin/env bash
# Runs a browser test (a Python script) with Playwright from the virtual environment hack/deps.sh
# makes (HAMI_WEBUI_VENV, default ~/.cache/hami-webui/venv), driving Debian's chromium
# (HAMI_CHROMIUM, default the one on PATH). When either is missing the test cannot run: under CI
# (CI=true) that is a failure, elsewhere a visible skip (exit 77, ctest's SKIP_RETURN_CODE).
#   test/webui/run.sh SCRIPT ARGS...
set -euo pipefail
venv=${HAMI_WEBUI_VENV:-$HOME/.cache/hami-webui/venv}
chromium=${HAMI_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
missing=()
[[ -n $chromium && -x $chromium ]] || missing+=("chromium (apt-get install chromium; hack/deps.sh does)")
"$venv/bin/python" -c 'import playwright' 2>/dev/null ||
  missing+=("Playwright in $venv (hack/deps.sh installs it)")
if (( ${#missing[@]} )); then
  if [[ ${CI:-} == true ]]; then
    echo "FAIL: the browser test needs ${missing[*]}" >&2
    exit 1
  fi
  echo "SKIP: the browser test needs ${missing[*]}"
  exit 77
fi
export HAMI_CHROMIUM=$chromium
exec "$venv/bin/python" "$@"
