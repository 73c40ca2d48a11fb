#!/usr/bin/env python3
"""Nodes of several accelerator vendors, registered as API objects exactly as each vendor's device
plugin registers them (examples/<vendor>/cluster/nodes.yaml), and each vendor's upstream-style
example pods (examples/<vendor>/*.yaml), placed by the real kube-scheduler through our extender and
bound. For each pod: bound to one of its vendor's nodes, carrying the annotations `hami simulate`
says the scheduler writes for it. The plane's hami-scheduler runs with --enable-ascend and
--enable-iluvatar (hack/lib/hami.sh) and kube-scheduler's managedResources come from
`hami resources`.

Usage: vendors_e2e.py ENV_FILE HAMI_BIN VENDOR...   (VENDOR = a folder name under examples/)"""
import copy
import json
import os
import pathlib
import subprocess
import sys
import time

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "hack", "lib"))
from device_plugin_standin import DevicePluginStandIn  # noqa: E402

from e2e_lib import ENV, check, kubectl, load_env, report  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
NODE_BASICS = {"cpu": "64", "memory": "256Gi", "pods": "500"}
UNSCHEDULABLE = "# hami-simulate: unschedulable"


def docs(path):
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def as_api_node(node):
    """The example Node, made schedulable for kube-scheduler: Ready, room for pods, its vendor's
    counts in allocatable (a live device plugin advertises them; the handshake needs them)."""
    node = copy.deepcopy(node)
    meta = node.setdefault("metadata", {})
    meta.setdefault("labels", {})["kubernetes.io/hostname"] = meta["name"]
    status = node.setdefault("status", {})
    for key in ("capacity", "allocatable"):
        status[key] = {**NODE_BASICS, **status.get("capacity", {}), **status.get(key, {})}
    status["conditions"] = [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                             "message": "vendors e2e"}]
    return node


def simulate(hami, cluster, manifest):
    cmd = [hami, "simulate", "--nodes", str(cluster / "nodes.yaml"), "--pods", str(manifest),
           "--output", "json"]
    if (cluster / "flags").exists():
        cmd += (cluster / "flags").read_text().split()
    if (cluster / "device-config.yaml").exists():
        cmd += ["--config", str(cluster / "device-config.yaml")]
    return {p["pod"]: p for p in json.loads(subprocess.run(cmd, capture_output=True, text=True,
                                                            check=True).stdout)["placements"]}


def wait_bound(name, ns, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = kubectl("get", "pod", name, "-n", ns, "-o", "json", check=False)
        if r.returncode == 0:
            p = json.loads(r.stdout)
            if p["spec"].get("nodeName"):
                return p
        time.sleep(0.5)
    return None


def run_vendor(hami, vendor):
    folder = ROOT / "examples" / vendor
    cluster = folder / "cluster"
    nodes = [n for n in docs(cluster / "nodes.yaml") if n.get("kind") == "Node"]
    names = {n["metadata"]["name"] for n in nodes}
    for n in nodes:
        kubectl("apply", "-f", "-", input=json.dumps(as_api_node(n)))
    ns = f"e2e-{vendor}"
    kubectl("create", "namespace", ns, check=False)
    for manifest in sorted(p for p in folder.rglob("*.yaml") if cluster not in p.parents):
        if manifest.read_text().startswith(UNSCHEDULABLE):
            continue
        expected = simulate(hami, cluster, manifest)
        for obj in docs(manifest):
            if obj.get("kind") != "Pod":
                continue  # workloads need controllers the plane does not run
            obj = copy.deepcopy(obj)
            name = obj["metadata"]["name"]
            key = f'{obj["metadata"].get("namespace", "default")}/{name}'
            obj["metadata"]["namespace"] = ns
            kubectl("apply", "-f", "-", input=json.dumps(obj))
            pod = wait_bound(name, ns)
            node = pod and pod["spec"].get("nodeName")
            got = (pod or {}).get("metadata", {}).get("annotations", {})
            want = expected.get(key, {}).get("annotations", {})
            missing = sorted(k for k in want if k not in got)
            check(f"{vendor}: {manifest.name} {name} bound to one of {vendor}'s nodes", node in names,
                  f"node={node}")
            check(f"{vendor}: {manifest.name} {name} carries its vendor's annotations",
                  bool(want) and not missing, f"missing {missing} of {sorted(want)}")
            kubectl("delete", "pod", name, "-n", ns, "--grace-period=0", "--force", "--wait=false",
                    check=False)
    kubectl("delete", "namespace", ns, "--wait=false", check=False)
    for n in names:
        kubectl("delete", "node", n, "--wait=false", check=False)


def main():
    load_env(sys.argv[1])
    hami, vendors = sys.argv[2], sys.argv[3:]
    stand_in = DevicePluginStandIn(ENV)  # completes bind-phase and releases hami.io/mutex.lock
    stand_in.start()
    for vendor in vendors:
        run_vendor(hami, vendor)
    return report("vendor e2e")


if __name__ == "__main__":
    sys.exit(main())
