#!/usr/bin/env bash
# The coverage gate (docs/contributing.md): merges the profiles the ASan gate's ctest run wrote
# (hack/asan.sh, _output/check/profiles/), reports line coverage per component (src/<folder>,
# sim, apps; tests, fuzz targets and third-party code left out) and fails for each component under
# its floor in hack/coverage-floors.txt:
#   COVERAGE FLOOR: src/k8s 61.2% < 65%
# A component with code but no floor also fails (give it one). Ends "coverage: N of M components at
# or above their floors". The full per-file report: _output/check/coverage.txt.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
build=_output/check
floors=hack/coverage-floors.txt
profdata=llvm-profdata-14 cov=llvm-cov-14
shopt -s nullglob
raw=("$build"/profiles/*.profraw)
if ((${#raw[@]} == 0)); then
  echo "COVERAGE FLOOR: no profiles under $build/profiles (run hack/asan.sh first)"
  exit 1
fi
if ! "$profdata" merge -sparse -o "$build/coverage.profdata" "${raw[@]}" 2>"$build/profdata.log"; then
  tail -5 "$build/profdata.log"
  echo "COVERAGE FLOOR: llvm-profdata could not merge the profiles (log $build/profdata.log)"
  exit 1
fi
# Every instrumented program and library the tests run: test binaries, probes, replayed fuzz
# targets, the apps, libvgpu.so and the simulated driver.
objects=()
for f in "$build"/tests/* "$build"/fuzz/* "$build"/bin/* "$build"/lib/*.so "$build"/lib/sim/*.so.1; do
  [[ -f "$f" && $(head -c 4 "$f" | tail -c 3) == ELF ]] || continue
  objects+=(-object "$f")
done
ignore='(_test\.cc|_test_util\.(h|cc)|/test/|/fuzz/|^/usr/|/gen/)'
"$cov" report -instr-profile="$build/coverage.profdata" -ignore-filename-regex="$ignore" \
  "${objects[@]:1}" >"$build/coverage.txt" 2>"$build/llvm-cov.log"
"$cov" export -summary-only -instr-profile="$build/coverage.profdata" \
  -ignore-filename-regex="$ignore" "${objects[@]:1}" 2>>"$build/llvm-cov.log" |
  python3 hack/coverage_floors.py "$PWD" "$floors"
