#!/usr/bin/env bash
# Lint gates run by the test command (docs/contributing.md). Each prints what it found, naming
# file and line, and fails on any finding.
#   lint.sh shellcheck   every shell script of hack/, test/ and .ci/ (sources followed)
#   lint.sh govet        go vet over our Go tools (hack/tools/*)
#   lint.sh format       clang-format (the root .clang-format) over every C++ file git tracks
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

case ${1:-} in
  shellcheck)
    command -v shellcheck >/dev/null || { echo "shellcheck not installed (hack/deps.sh installs it)"; exit 1; }
    mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
    shellcheck -x -P SCRIPTDIR -f gcc "${scripts[@]}"
    echo "shellcheck: ${#scripts[@]} scripts clean"
    ;;
  govet)
    command -v go >/dev/null || { echo "go not installed"; exit 1; }
    for mod in hack/tools/*/go.mod; do
      dir=$(dirname "$mod")
      # A module that only pins upstream commands (tools.go) has no package of ours to vet.
      if [[ -z $(cd "$dir" && go list ./... 2>/dev/null) ]]; then continue; fi
      (cd "$dir" && go vet ./...)
      echo "go vet: $dir clean"
    done
    ;;
  format)
    formatter=$(command -v clang-format-14 || command -v clang-format || true)
    [[ -n $formatter ]] || { echo "clang-format not installed (hack/deps.sh installs it)"; exit 1; }
    mapfile -t files < <(git ls-files '*.cc' '*.h' | grep -v '^proto/')
    if ! "$formatter" --dry-run -Werror "${files[@]}" 2>"${TMPDIR:-/tmp}/hami-format.log"; then
      grep -E '^[^ ].*: error:' "${TMPDIR:-/tmp}/hami-format.log" | cut -d: -f1 | sort -u |
        sed 's/^/not formatted: /'
      echo "fix with: $formatter -i <files>"
      exit 1
    fi
    echo "clang-format: ${#files[@]} files clean"
    ;;
  *)
    echo "usage: $0 shellcheck|govet|format" >&2
    exit 2
    ;;
esac
