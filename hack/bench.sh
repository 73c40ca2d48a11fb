#!/usr/bin/env bash
# Runs every benchmark binary under _output/bin/bench and keeps JSON results in _output/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/_output}
mkdir -p "$OUT/bench"
shopt -s nullglob
for b in "$OUT"/bin/bench/*; do
  [ -x "$b" ] || continue
  name=$(basename "$b")
  echo "== $name"
  "$b" --benchmark_out="$OUT/bench/$name.json" --benchmark_out_format=json "$@"
done
