#!/usr/bin/env bash
# Every test, what `make test` and CI (.ci/run) run, gate after gate. One failing gate does not hide
# the others: all run, each failure is named on a line of its own ("FUZZ FAILURE: ...", "ASAN
# FAILURE: region_test", "COVERAGE FLOOR: src/k8s 61.2% < 65%", "TSAN FAILURE: k8s_test", ctest's
# list of failed tests), and the last line sums them up ("summary: N passed, N failed (...)").
#   fuzz      each libFuzzer target for FUZZ_RUNS inputs from seed 1 (hack/fuzz.sh)
#   asan      the unit and integration ctests on the clang `check` build: ASan + UBSan, libvgpu.so
#             preloaded, the fuzz corpora replayed (hack/asan.sh)
#   coverage  line coverage per component of that run against hack/coverage-floors.txt
#   tsan      the concurrent test binaries on the `tsan-check` build (hack/tsan.sh)
#   ctest     every test of the main (gcc) build, e2e included
# The fuzz targets, the ASan tests and coverage share one build (_output/check, docs/contributing.md).
# Environment (the Makefile passes its variables): BUILD_DIR, JOBS, CTEST_ARGS (main ctest only),
#   FUZZ_RUNS (default 20000; 0 skips the fuzz gate), ASAN_GATE=0 (skips asan and coverage),
#   COVERAGE_GATE=0 (skips coverage), TSAN_GATE=0 (skips tsan).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
build="${BUILD_DIR:-_output/build}"
jobs="${JOBS:-$(nproc)}"
fuzz_runs="${FUZZ_RUNS:-20000}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export JOBS="$jobs"

passed=0 failed=0 details=()
# gate NAME PREFIX command...: runs one gate and adds it to the totals. Passed: what its last line
# "NAME: P of T ..." says; failed: its lines starting with PREFIX, at least one when it exits
# non-zero (its build failed, say).
gate() {
  local name=$1 prefix=$2 start=$SECONDS
  shift 2
  echo "=== $name gate"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]} p f
  p=$(sed -n "s/^$name: \([0-9]*\) of [0-9]*.*/\1/p" "$log" | tail -1)
  f=$(grep -c "^$prefix" "$log")
  p=${p:-0}
  if ((rc != 0 && f == 0)); then
    echo "$prefix: $name exited $rc"
    f=1
  fi
  passed=$((passed + p)) failed=$((failed + f))
  details+=("$name $p passed $f failed")
  echo "=== $name gate: $p passed, $f failed, $((SECONDS - start)) s"
}

[[ "$fuzz_runs" == 0 ]] || gate fuzz "FUZZ FAILURE" bash hack/fuzz.sh --runs="$fuzz_runs"
if [[ "${ASAN_GATE:-1}" != 0 ]]; then
  gate asan "ASAN FAILURE" bash hack/asan.sh
  [[ "${COVERAGE_GATE:-1}" == 0 ]] || gate coverage "COVERAGE FLOOR" bash hack/coverage.sh
fi
[[ "${TSAN_GATE:-1}" == 0 ]] || gate tsan "TSAN FAILURE" bash hack/tsan.sh

start=$SECONDS
echo "=== ctest (main build)"
# shellcheck disable=SC2086 # CTEST_ARGS is a list of ctest arguments
(cd "$build" && ctest --output-on-failure -j "$jobs" ${CTEST_ARGS:-}) | tee "$log"
ctest_rc=${PIPESTATUS[0]}
read -r ctest_failed ctest_total < <(
  sed -n 's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\1 \2/p' "$log" | tail -1)
ctest_failed=${ctest_failed:-0} ctest_total=${ctest_total:-0}
if ((ctest_rc != 0 && ctest_failed == 0)); then ctest_failed=1; fi
ctest_passed=$((ctest_total - ctest_failed))
passed=$((passed + ctest_passed)) failed=$((failed + ctest_failed))
details+=("ctest $ctest_passed passed $ctest_failed failed")
echo "=== ctest: $ctest_passed passed, $ctest_failed failed, $((SECONDS - start)) s"

summary=$(IFS=';'; echo "${details[*]}")
echo "summary: $passed passed, $failed failed (${summary//;/; })"
((failed == 0))
