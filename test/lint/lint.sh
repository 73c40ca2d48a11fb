#!/usr/bin/env bash
# Lint gates run by the test command (docs/contributing.md). Each prints what it found, naming
# file and line, and fails on any finding.
#   lint.sh shellcheck   every shell script of hack/, test/ and .ci/ (sources followed)
#   lint.sh govet        go vet over our Go tools (hack/tools/*)
#   lint.sh pyflakes     pyflakes over every Python file git tracks (unused imports, undefined names)
#   lint.sh format       clang-format (the root .clang-format) over every C/C++ file git tracks
#   lint.sh tidy BUILD [--all]
#                        clang-tidy (the root .clang-tidy) with BUILD's compile_commands.json over the
#                        C/C++ files changed since the commit in hack/tidy-clean-at (the last commit
#                        whose whole tree was checked clean), plus the files including a changed
#                        header; --all checks every file and, when clean, moves the mark to HEAD.
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
  pyflakes)
    command -v pyflakes3 >/dev/null || { echo "pyflakes3 not installed (hack/deps.sh installs it)"; exit 1; }
    mapfile -t files < <(git ls-files '*.py')
    pyflakes3 "${files[@]}"
    echo "pyflakes: ${#files[@]} files clean"
    ;;
  format)
    formatter=$(command -v clang-format-14 || command -v clang-format || true)
    [[ -n $formatter ]] || { echo "clang-format not installed (hack/deps.sh installs it)"; exit 1; }
    mapfile -t files < <(git ls-files '*.cc' '*.h' '*.c' | grep -v '^proto/')
    if ! "$formatter" --dry-run -Werror "${files[@]}" 2>"${TMPDIR:-/tmp}/hami-format.log"; then
      grep -E '^[^ ].*: error:' "${TMPDIR:-/tmp}/hami-format.log" | cut -d: -f1 | sort -u |
        sed 's/^/not formatted: /'
      echo "fix with: $formatter -i <files>"
      exit 1
    fi
    echo "clang-format: ${#files[@]} files clean"
    ;;
  tidy)
    build=${2:?usage: lint.sh tidy BUILD_DIR [--all]}
    tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
    [[ -n $tidy ]] || { echo "clang-tidy not installed (hack/deps.sh installs it)"; exit 1; }
    [[ -f $build/compile_commands.json ]] || { echo "no $build/compile_commands.json"; exit 1; }
    mapfile -t units < <(python3 -c 'import json,os,sys
for e in json.load(open(sys.argv[1])):
    f = os.path.relpath(e["file"], sys.argv[2])
    if not f.startswith(("..", "_output", "proto/")): print(f)' "$build/compile_commands.json" "$root" | sort -u)
    mark=hack/tidy-clean-at
    if [[ ${3:-} == --all ]]; then
      files=("${units[@]}")
    else
      base=$(cat "$mark")
      if ! git cat-file -e "$base^{commit}" 2>/dev/null; then
        # A shallow clone lacks the history to diff against: say so rather than fail or guess.
        if [[ $(git rev-parse --is-shallow-repository) == true ]]; then
          echo "clang-tidy: SKIPPED, shallow clone without $mark's commit $base (fetch more history)"
          exit 0
        fi
        echo "$mark names no commit here: $base"
        exit 1
      fi
      # Changed since the mark (committed or not), then every unit including a changed header.
      mapfile -t changed < <({ git diff --name-only "$base" -- '*.cc' '*.c' '*.h'
                               git ls-files --others --exclude-standard '*.cc' '*.c' '*.h'; } | sort -u)
      headers=() files=()
      for f in "${changed[@]}"; do [[ -f $f && $f == *.h ]] && headers+=("${f#src/}"); done
      for u in "${units[@]}"; do
        hit=0
        for c in "${changed[@]}"; do [[ $c == "$u" ]] && hit=1 && break; done
        if ((!hit)); then
          for h in "${headers[@]}"; do grep -qF "#include \"$h\"" "$u" && hit=1 && break; done
        fi
        ((hit)) && files+=("$u")
      done
    fi
    if ((${#files[@]} == 0)); then echo "clang-tidy: no C/C++ file changed since $(cat "$mark")"; exit 0; fi
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    # One process per unit, nproc at a time; findings are errors (.clang-tidy WarningsAsErrors).
    if ! printf '%s\n' "${files[@]}" |
        xargs -P "$(nproc)" -n 1 "$tidy" -p "$build" --quiet >"$log" 2>&1; then
      grep -E '^/.*: (error|warning): ' "$log" | sed "s|^$root/||" | sort -u
      echo "clang-tidy: findings above in ${#files[@]} checked files (fix them; see docs/contributing.md)"
      exit 1
    fi
    echo "clang-tidy: ${#files[@]} files clean"
    if [[ ${3:-} == --all ]]; then git rev-parse HEAD >"$mark"; echo "marked clean at $(cat "$mark")"; fi
    ;;
  *)
    echo "usage: $0 shellcheck|govet|format|tidy BUILD [--all]" >&2
    exit 2
    ;;
esac
