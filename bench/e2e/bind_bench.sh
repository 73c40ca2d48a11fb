#!/usr/bin/env bash
# GPU pods vs plain pods onto one simulated node with the real node side, lockless and through the
# node lock (bench/e2e/bind_bench.py; docs/benchmarks.md, "GPU pods onto one node").
#
# Brings up its own local control plane (HAMI_LOCAL_DIR, default _output/bench-bind, never
# _output/local), runs bind_bench.py with this script's arguments (e.g. --rounds 3 --pods 50) and
# tears the plane down (KEEP=1 leaves it up). Needs _output/bin (ninja) and hack/build-tools.sh's
# tools. Results: JSON lines on stdout, appended to RESULTS (default
# _output/bench-e2e/bind-<time>.jsonl); the summary table on stderr.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export HAMI_LOCAL_DIR=${HAMI_LOCAL_DIR:-$ROOT/_output/bench-bind}
[[ $HAMI_LOCAL_DIR != "$ROOT/_output/local" ]] || { echo "refusing to use the shared _output/local" >&2; exit 2; }
RESULTS=${RESULTS:-$ROOT/_output/bench-e2e/bind-$(date +%Y%m%d-%H%M%S).jsonl}
mkdir -p "$(dirname "$RESULTS")"

down() { "$ROOT/hack/local-down.sh" >/dev/null 2>&1 || true; }
down
[[ ${KEEP:-0} == 1 ]] || trap down EXIT
"$ROOT/hack/local-up.sh" >/dev/null
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 "$ROOT/bench/e2e/bind_bench.py" "$HAMI_LOCAL_DIR/env" "$@" | while IFS= read -r line; do
  echo "$line"
  if [[ $line == "{"* ]]; then echo "$line" >> "$RESULTS"; fi
done
