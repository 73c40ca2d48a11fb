#!/usr/bin/env bash
# The ThreadSanitizer gate (docs/contributing.md): builds only the concurrent test binaries with the
# `tsan-check` preset (clang-14) in _output/tsan-check and runs them. Each binary is run whole, so
# concurrency tests added to it later come along:
#   extender_test  the scheduler cache and DecideAndAssume under concurrent /filter and /bind
#   region_test, region_tamper_test   the shared region under many threads and processes
#   k8s_test       the watch/reconnect loop of the informers, leader election, rate limiter
#   net_test       the HTTP server (event loop, worker pool, slow clients)
#   hack/tsan.sh [test ...]        a subset
# Prints "TSAN FAILURE: <test>" for each failing test (or the build), then "tsan: N of M tests clean".
#   Environment: JOBS (default nproc).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
build=_output/tsan-check
jobs="${JOBS:-$(nproc)}"
tests=("${@:-extender_test region_test region_tamper_test k8s_test net_test}")
read -r -a tests <<<"${tests[*]}"
# shellcheck source=hack/clang.sh
source hack/clang.sh
# shellcheck source=hack/lib/ctest_report.sh
source hack/lib/ctest_report.sh
hami::install_clang || { echo "TSAN FAILURE: clang-14 could not be installed"; exit 1; }
mkdir -p "$build"
if ! cmake --preset tsan-check >"$build/configure.log" 2>&1 ||
    ! ninja -C "$build" -j "$jobs" "${tests[@]}" >"$build/build.log" 2>&1; then
  grep -E "error|FAILED" "$build/build.log" "$build/configure.log" | head -40
  echo "TSAN FAILURE: the tsan build failed (log $build/build.log)"
  exit 1
fi
log="$build/ctest.log"
regex="^($(IFS='|'; echo "${tests[*]}"))\$"
(cd "$build" &&
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/../../hack/tsan.supp" \
  ctest --output-on-failure -j "$jobs" -R "$regex") | tee "$log"
rc=${PIPESTATUS[0]}
hami::ctest_report tsan "$rc" "$log"
