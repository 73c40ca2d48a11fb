#!/usr/bin/env python3
"""Every example pod of every vendor places in `hami simulate` on that vendor's example cluster.

For each folder examples/<vendor>/ that has cluster/nodes.yaml (Node objects written exactly as
that vendor's device plugin registers them), each example manifest under the folder is simulated
against it, with the scheduler flags in cluster/flags (one line, optional) and the device config
cluster/device-config.yaml (optional). Every pod must get a node, unless the manifest's first
line says `# hami-simulate: unschedulable`, in which case every pod must be refused with a reason.
Usage: vendor_examples_test.py <hami binary> <repo root>
"""
import json
import pathlib
import shlex
import subprocess
import sys

UNSCHEDULABLE = "# hami-simulate: unschedulable"


def simulate(hami, cluster, manifest):
    cmd = [hami, "simulate", "--nodes", str(cluster / "nodes.yaml"), "--pods", str(manifest),
           "--output", "json"]
    flags = cluster / "flags"
    if flags.exists():
        cmd += shlex.split(flags.read_text())
    config = cluster / "device-config.yaml"
    if config.exists():
        cmd += ["--config", str(config)]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise AssertionError(f"{manifest}: hami simulate failed: {run.stderr.strip()}")
    return json.loads(run.stdout), run.stderr


def main():
    hami, root = sys.argv[1], pathlib.Path(sys.argv[2])
    checked = 0
    failures = []
    for cluster in sorted(root.glob("examples/*/cluster")):
        if not (cluster / "nodes.yaml").exists():
            continue
        vendor = cluster.parent
        for manifest in sorted(p for p in vendor.rglob("*.yaml") if cluster not in p.parents):
            expect_refused = manifest.read_text().startswith(UNSCHEDULABLE)
            try:
                out, warnings = simulate(hami, cluster, manifest)
                assert out["placements"], f"{manifest}: no pod in it"
                for p in out["placements"]:
                    if expect_refused:
                        assert p["node"] is None and p["failedNodes"], \
                            f"{manifest}: {p['pod']} should stay pending, got {p['node']}"
                    else:
                        assert p["node"], f"{manifest}: {p['pod']} not placed: {p['failedNodes']}"
                        assert p["devices"], f"{manifest}: {p['pod']} placed without devices"
                assert "unknown" not in warnings, f"{manifest}: {warnings.strip()}"
                checked += len(out["placements"])
            except AssertionError as e:
                failures.append(str(e))
    for f in failures:
        print("FAIL:", f)
    print(f"vendor examples: {checked} pods checked, {len(failures)} failures")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
