#!/usr/bin/env bash
# The ASan + UBSan gate (docs/contributing.md): builds the `check` preset (clang-14, ASan + UBSan,
# libFuzzer hooks, source-based coverage, tests on) in _output/check and runs every ctest labelled
# unit or integration except the chart tests (helm; the main ctest runs them): the unit tests, the
# fuzz corpora replayed, the CLI tests on the sanitized binaries, and libvgpu.so (sanitized)
# preloaded into the sanitized probes on the sanitized simulated driver. Each process writes its
# coverage profile under _output/check/profiles/ for hack/coverage.sh.
#   hack/asan.sh [ctest args...]     e.g. hack/asan.sh -R region
# Prints "ASAN FAILURE: <test>" for each failing test (or the build), then "asan: N of M tests clean".
#   Environment: JOBS (default nproc).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
build=_output/check
jobs="${JOBS:-$(nproc)}"
# shellcheck source=hack/clang.sh
source hack/clang.sh
# shellcheck source=hack/lib/ctest_report.sh
source hack/lib/ctest_report.sh
hami::install_clang || { echo "ASAN FAILURE: clang-14 could not be installed"; exit 1; }
mkdir -p "$build"
if ! cmake --preset check >"$build/configure.log" 2>&1 ||
    ! ninja -C "$build" -j "$jobs" >"$build/build.log" 2>&1; then
  grep -E "error|FAILED" "$build/build.log" "$build/configure.log" | head -40
  echo "ASAN FAILURE: the check build failed (log $build/build.log)"
  exit 1
fi
profiles="$build/profiles"
rm -rf "$profiles" && mkdir -p "$profiles"
log="$build/ctest.log"
# %4m: each program and library merges its counters into a pool of four files as its processes
# exit (the tests fork and exec thousands); hack/coverage.sh merges the pools.
# Leaks are errors; a finding halts the process with its report (the -fno-sanitize-recover build).
# shellcheck disable=SC2097,SC2098 # the values are for ctest's children
(cd "$build" &&
  LLVM_PROFILE_FILE="$PWD/profiles/%4m.profraw" \
  ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  ctest --output-on-failure -j "$jobs" -L 'unit|integration' -E '^chart_' "$@") | tee "$log"
rc=${PIPESTATUS[0]}
hami::ctest_report asan "$rc" "$log"
