#!/usr/bin/env bash
# Every test, what `make test` and CI (.ci/run) run: the fuzz gate (each libFuzzer target for
# FUZZ_RUNS inputs from seed 1; 0 skips it), then every ctest. One failing part does not hide the
# other: both run, and the last line sums them up ("summary: N passed, N failed").
#   Environment (the Makefile passes its variables): BUILD_DIR, JOBS, CTEST_ARGS, FUZZ_RUNS.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
build="${BUILD_DIR:-_output/build}"
jobs="${JOBS:-$(nproc)}"
fuzz_runs="${FUZZ_RUNS:-20000}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

fuzz_passed=0 fuzz_failed=0
if [[ "$fuzz_runs" != 0 ]]; then
  bash hack/fuzz.sh --runs="$fuzz_runs" | tee "$log"
  fuzz_rc=${PIPESTATUS[0]}
  fuzz_passed=$(grep -c '^Done [0-9]* runs\|^#[0-9]*.*DONE' "$log")
  fuzz_failed=$(grep -c '^FUZZ FAILURE' "$log")
  # A failure before any target ran (the fuzz build) still counts as one.
  if ((fuzz_rc != 0 && fuzz_failed == 0)); then fuzz_failed=1; fi
fi

# shellcheck disable=SC2086 # CTEST_ARGS is a list of ctest arguments
(cd "$build" && ctest --output-on-failure -j "$jobs" ${CTEST_ARGS:-}) | tee "$log"
ctest_rc=${PIPESTATUS[0]}
read -r ctest_failed ctest_total < <(
  sed -n 's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\1 \2/p' "$log" | tail -1)
ctest_failed=${ctest_failed:-0} ctest_total=${ctest_total:-0}
if ((ctest_rc != 0 && ctest_failed == 0)); then ctest_failed=1; fi
ctest_passed=$((ctest_total - ctest_failed))

passed=$((ctest_passed + fuzz_passed)) failed=$((ctest_failed + fuzz_failed))
echo "summary: $passed passed, $failed failed (ctest $ctest_passed of $ctest_total;" \
  "fuzz gate $fuzz_passed of $((fuzz_passed + fuzz_failed)) targets clean)"
((failed == 0))
