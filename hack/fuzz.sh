#!/usr/bin/env bash
# Runs every libFuzzer target from its seed corpus (docs/contributing.md), in one of two modes:
#   hack/fuzz.sh [SECONDS] [target ...]   explore: random seed, SECONDS per target (default 60)
#   hack/fuzz.sh --runs=N [target ...]    gate (what `make test` runs): seed 1, exactly N inputs per
#                                         target, so the inputs depend only on the corpus and the binary
#                                         (a rebuild with other paths or flags may explore differently)
# Builds the targets in the `check` preset's build (_output/check: clang-14, ASan + UBSan, the build
# the ASan gate and coverage share; FUZZ_PRESET=fuzz builds the fuzz-only preset in _output/fuzz
# instead; the coverage profiles the targets write are discarded). New coverage-increasing inputs
# go to a scratch copy of the corpus, not the repo. A crash keeps its input under
# fuzz/corpus/<target>/crash-<sha1>, where the replay test of every build (ctest -L fuzz) runs it
# from then on, and prints it as base64 so an input found on a CI machine can be kept from its log;
# the script then exits non-zero naming the target and the file.
set -euo pipefail
cd "$(dirname "$0")/.."
mode_args=()
case "${1:-}" in
  --runs=*)
    runs="${1#--runs=}"
    # -max_total_time only caps a pathologically slow machine; the verdict comes from -runs.
    mode_args=(-seed=1 -runs="$runs" -max_total_time=600)
    label="$runs runs, seed 1"
    shift ;;
  *)
    seconds="${1:-60}"
    mode_args=(-max_total_time="$seconds")
    label="${seconds}s"
    shift || true ;;
esac
preset="${FUZZ_PRESET:-check}"
build="_output/$preset"
# clang and its libFuzzer runtime (Debian's packages), installed on first use.
# shellcheck source=hack/clang.sh
source hack/clang.sh
hami::install_clang
mkdir -p "$build"
if ! cmake --preset "$preset" >"$build/fuzz-configure.log" 2>&1; then
  tail -20 "$build/fuzz-configure.log"
  echo "FUZZ FAILURE: cmake --preset $preset failed"
  exit 1
fi
mapfile -t all < <(sed -n 's/^hami_fuzzer(\([a-z_]*\) .*/\1/p' fuzz/CMakeLists.txt)
targets=("${@:-${all[@]}}")
if ! ninja -C "$build" "${targets[@]}" >"$build/fuzz-build.log" 2>&1; then
  grep -E "error|FAILED" "$build/fuzz-build.log" | head -40
  echo "FUZZ FAILURE: the fuzz build failed (log $build/fuzz-build.log)"
  exit 1
fi
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# The check build instruments for coverage; the fuzz runs' profiles are not the tests' coverage.
export LLVM_PROFILE_FILE="$scratch/%p.profraw"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t"
  cp fuzz/corpus/"$t"/* "$scratch/$t/"
  echo "== $t ($label)"
  if ! "$build/fuzz/$t" "${mode_args[@]}" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$scratch/$t-" "$scratch/$t" 2>"$scratch/$t.log"; then
    tail -40 "$scratch/$t.log"
    for artifact in "$scratch/$t"-*; do
      [[ -e "$artifact" ]] || continue
      kept="fuzz/corpus/$t/crash-$(sha1sum "$artifact" | cut -c1-16)"
      cp "$artifact" "$kept"
      echo "FUZZ FAILURE: $t crashed; input kept as $kept (replayed by ctest -L fuzz)"
      if (($(stat -c %s "$artifact") <= 16384)); then
        echo "the input, to keep it from a CI log: base64 -d >$kept <<'EOF'"
        base64 -w 100 "$artifact"
        echo "EOF"
      fi
    done
    failed+=("$t")
  else
    grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$scratch/$t.log" | tail -1 || true
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: $((${#targets[@]} - ${#failed[@]})) of ${#targets[@]} targets clean; crashed: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} of ${#targets[@]} targets clean ($label each)"
