#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time from its seed corpus (docs/contributing.md).
#   hack/fuzz.sh [seconds per target, default 60] [target ...]
# Builds the `fuzz` preset (clang-14, ASan + UBSan) in _output/fuzz. New coverage-increasing inputs
# go to a scratch copy of the corpus, not the repo. A crash keeps its input under
# fuzz/corpus/<target>/crash-<sha1>, where the replay test of every build (ctest -L fuzz) runs it
# from then on; the script then exits non-zero naming the target and the file.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
build=_output/fuzz
# clang and its libFuzzer runtime (Debian's packages), installed on first use.
fuzz_packages=(clang-14 libclang-rt-14-dev)
if ! command -v clang++-14 >/dev/null || ! dpkg-query -W libclang-rt-14-dev >/dev/null 2>&1; then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${fuzz_packages[@]}" >/dev/null
fi
cmake --preset fuzz >/dev/null
mapfile -t all < <(sed -n 's/^hami_fuzzer(\([a-z_]*\) .*/\1/p' fuzz/CMakeLists.txt)
targets=("${@:-${all[@]}}")
if ! ninja -C "$build" "${targets[@]}" >"$build/fuzz-build.log" 2>&1; then
  grep -E "error|FAILED" "$build/fuzz-build.log" | head -40
  echo "FUZZ FAILURE: the fuzz build failed (log $build/fuzz-build.log)"
  exit 1
fi
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t"
  cp fuzz/corpus/"$t"/* "$scratch/$t/"
  echo "== $t (${seconds}s)"
  if ! "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$scratch/$t-" "$scratch/$t" 2>"$scratch/$t.log"; then
    tail -40 "$scratch/$t.log"
    for artifact in "$scratch/$t"-*; do
      [[ -e "$artifact" ]] || continue
      kept="fuzz/corpus/$t/crash-$(sha1sum "$artifact" | cut -c1-16)"
      cp "$artifact" "$kept"
      echo "FUZZ FAILURE: $t crashed; input kept as $kept (replayed by ctest -L fuzz)"
    done
    failed+=("$t")
  else
    grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$scratch/$t.log" | tail -1 || true
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: ${#failed[@]} of ${#targets[@]} targets crashed: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a crash"
