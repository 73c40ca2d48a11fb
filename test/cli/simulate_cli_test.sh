#!/usr/bin/env bash
# Runs `hami simulate` on the shipped examples and on broken inputs; fails on any mismatch.
set -euo pipefail
HAMI=$1
ROOT=$2
EX=$ROOT/examples/simulate
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$HAMI" simulate --nodes "$EX/nodes.yaml" --pods "$EX/pods.yaml" --output json > "$TMP/out.json"
python3 - "$TMP/out.json" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
p = {x["pod"]: x for x in out["placements"]}
assert list(out["placements"][0].keys()) == ["pod", "node", "devices", "annotations", "failedNodes"], out["placements"][0].keys()
assert p["ml/notebook"]["node"] == "gpu-a100", p["ml/notebook"]
assert p["ml/inference-t4-only"]["node"] == "gpu-t4"
assert p["ml/inference-t4-only"]["devices"]["NVIDIA"].endswith(",NVIDIA,8192,0:;")   # 8Gi -> 8192 MiB
assert p["ml/inference-t4-only"]["annotations"]["hami.io/vgpu-devices-allocated"] == p["ml/inference-t4-only"]["devices"]["NVIDIA"]
assert p["ml/inference-t4-only"]["failedNodes"]["gpu-a100"] == "2/2 CardTypeMismatch"
assert p["default/whole-card"]["devices"]["NVIDIA"].endswith(",100:;")      # exclusive default
assert p["default/too-big"]["node"] is None
assert p["default/too-big"]["failedNodes"]["gpu-t4"] == "2/2 CardInsufficientMemory"
assert p["default/cpu-only"]["node"] is None and p["default/cpu-only"]["devices"] == {}
s = out["summary"]
assert (s["placed"], s["unschedulable"], s["noDeviceRequest"], s["runningPods"]) == (4, 1, 1, 1), s
PY

"$HAMI" simulate --nodes "$EX/nodes.yaml" --pods "$EX/pods.yaml" > "$TMP/table.txt"
grep -q "fragmentation:" "$TMP/table.txt" || fail "table has no fragmentation line"
grep -q "gpu-v100-legacy" "$TMP/table.txt" || fail "legacy-format node missing from table"

expect_error() {  # file-content expected-substring
  printf '%s\n' "$1" > "$TMP/bad.yaml"
  if "$HAMI" simulate --nodes "$EX/nodes.yaml" --pods "$TMP/bad.yaml" 2> "$TMP/err.txt" >/dev/null; then
    fail "accepted bad input: $1"
  fi
  grep -qF -- "$2" "$TMP/err.txt" || fail "error '$(cat "$TMP/err.txt")' does not mention '$2'"
}
expect_error 'kind: Pod
metadata: {name: q}
spec: {containers: [{name: c, resources: {limits: {nvidia.com/gpu: 1, nvidia.com/gpumem: 3Gx}}}]}' 'pod default/q'
expect_error 'kind: Pod
metadata: {name: q' 'invalid YAML at line'
expect_error 'kind: Pod
metadata: {name: q, annotations: {hami.io/device-scoring-weights: "slot=1"}}
spec: {containers: [{name: c}]}' 'device-scoring-weights'
if "$HAMI" simulate --nodes "$EX/nodes.yaml" --pods "$EX/pods.yaml" --output xml >/dev/null 2>&1; then
  fail "accepted --output xml"
fi
echo "hami simulate CLI: all checks passed"
