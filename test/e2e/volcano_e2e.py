#!/usr/bin/env python3
"""Volcano's vGPU contract on the real local control plane (issue 18, docs/integrations/volcano.md).

A simulated node (kubelet-standin + hami-device-plugin --volcano on the simulated driver, hack/lib/
sim_nodes.sh) must look to Volcano's deviceshare plugin (volcano.sh/volcano v1.10.0,
pkg/scheduler/api/devices/nvidia/vgpu) as volcano-vgpu-device-plugin's does: allocatable
volcano.sh/vgpu-number = GPUs x split count, volcano.sh/node-vgpu-register in the colon/comma grammar
its decodeNodeDevices reads, volcano.sh/node-vgpu-handshake answered with Reported_<time> after the
scheduler writes Requesting_<time>. Then pods carrying exactly what Volcano's scheduler writes
(GPUDevices.Allocate's annotations, spec.nodeName set as its binder does, schedulerName volcano) are
admitted through the kubelet's device manager: each container gets HAMi-core's env with its limits,
bind-phase success, the scheduler's "hamivgpu" node lock deleted, and a CUDA process run with that env
under libvgpu sees exactly its slice. A pod the plugin cannot serve (volcano.sh/vgpu-mode mig) fails
at admission with bind-phase failed.

Usage: volcano_e2e.py ENV_FILE   with HAMI_DP_BIN, HAMI_SHIM_PROBE (test/shim) and HAMI_SIM_LIBDIR."""
import json
import os
import sys
import time

from e2e_lib import (ENV, FAILURES, check, container_process_env, get, kubectl, load_env, pod_record, remove_sim_node,
                     report, shim_probe_info, sim_nodes, wait)

NODE = "volcano-e2e"
GPUS = "2xT4-16GB"
SIM_LIBDIR = ""


def annotations(obj):
    return (obj or {}).get("metadata", {}).get("annotations", {}) or {}


def decode_node_devices(text, min_items=6):
    """Volcano's decodeNodeDevices: split on ':', each part with a ',' split on ','. v1.10.0 reads
    five items; later releases read the sharing mode from the sixth and refuse the whole register
    (None here) when a part has fewer."""
    out = []
    for part in text.split(":"):
        if "," in part:
            items = part.split(",")
            if len(items) < min_items:
                return None
            out.append({"uuid": items[0], "count": int(items[1]), "devmem": int(items[2]),
                        "type": items[3], "health": items[4] == "true",
                        "mode": items[5] if len(items) > 5 else "hami-core"})
    return out


def volcano_pod(name, containers, extra=None):
    """A pod as Volcano leaves it after GPUDevices.Allocate and its Binding. `containers`: per
    container (requesting vGPUs) its devices [(uuid, mem, cores)]."""
    ids = ";".join("".join(f"{u},NVIDIA,{m},{c}:" for u, m, c in devs) for devs in containers)
    now = str(int(time.time()))
    ann = {"volcano.sh/vgpu-node": NODE, "volcano.sh/vgpu-time": now, "volcano.sh/vgpu-ids-new": ids,
           "volcano.sh/devices-to-allocate": ids, "volcano.sh/bind-phase": "allocating",
           "volcano.sh/bind-time": now, **(extra or {})}
    spec = {"schedulerName": "volcano", "nodeName": NODE, "containers": []}
    for i, devs in enumerate(containers):
        limits = {"volcano.sh/vgpu-number": str(len(devs)), "volcano.sh/vgpu-memory": str(devs[0][1]),
                  "volcano.sh/vgpu-cores": str(devs[0][2])}
        spec["containers"].append({"name": f"c{i}", "image": "cuda", "resources": {"limits": limits}})
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "annotations": ann,
                         "labels": {"hami.io/webhook": "ignore"}},
            "spec": spec}


def record(name):
    return pod_record(NODE, name)


def probe(container):
    """shim_probe `info` as the container would run on the node (e2e_lib.container_process_env)."""
    return shim_probe_info(container_process_env(NODE, GPUS, container, SIM_LIBDIR))


def settled(name, timeout=90):
    return wait(lambda: (lambda x: x if x and x["status"].get("phase") in ("Running", "Failed") else None)(
        get("pod", name)), timeout) or get("pod", name) or {}


def test_registration():
    def registered():
        n = get("node", NODE) or {}
        alloc = n.get("status", {}).get("allocatable", {})
        reg = annotations(n).get("volcano.sh/node-vgpu-register", "")
        return n if alloc.get("volcano.sh/vgpu-number") == "20" and reg else None
    n = wait(registered, 90) or get("node", NODE) or {}
    ann = annotations(n)
    devices = decode_node_devices(ann.get("volcano.sh/node-vgpu-register", "")) or []
    check("allocatable volcano.sh/vgpu-number = 2 GPUs x 10, no nvidia.com/gpu",
          n.get("status", {}).get("allocatable", {}).get("volcano.sh/vgpu-number") == "20"
          and "nvidia.com/gpu" not in n.get("status", {}).get("allocatable", {}), str(n.get("status", {}))[:400])
    check("volcano.sh/node-vgpu-register read as Volcano's newer decodeNodeDevices reads it (six fields): "
          "2 healthy T4s, 10 each, mode hami-core",
          len(devices) == 2 and all(d["count"] == 10 and d["health"] and d["devmem"] >= 15000
                                    and d["mode"] == "hami-core"
                                    and d["uuid"].startswith("GPU-") and "T4" in d["type"] for d in devices),
          ann.get("volcano.sh/node-vgpu-register", ""))
    check("...and as v1.10.0's five-field decoder reads it, the same devices",
          decode_node_devices(ann.get("volcano.sh/node-vgpu-register", ""), 5) == devices)
    check("handshake Reported_<time>, gpu-unhealthy-ids empty, no hami.io register",
          ann.get("volcano.sh/node-vgpu-handshake", "").startswith("Reported_")
          and ann.get("volcano.sh/gpu-unhealthy-ids") == "" and "hami.io/node-nvidia-register" not in ann, str(ann))
    # Volcano's scheduler asks (NewGPUDevices): Requesting_<time>; the plugin must report again.
    asked = "Requesting_" + time.strftime("%Y.%m.%d %H:%M:%S", time.gmtime())
    kubectl("annotate", "node", NODE, "--overwrite", f"volcano.sh/node-vgpu-handshake={asked}")
    again = wait(lambda: annotations(get("node", NODE)).get("volcano.sh/node-vgpu-handshake", "").startswith(
        "Reported_") or None, 30)
    check("the scheduler's Requesting_ handshake is answered with Reported_ (within the register interval)",
          again is not None, str(annotations(get("node", NODE)).get("volcano.sh/node-vgpu-handshake")))
    return [d["uuid"] for d in devices]


def test_pod(uuids):
    name = "volcano-e2e-slices"
    # deviceshare.NodeLockEnable: the scheduler locked the node before its patch.
    kubectl("annotate", "node", NODE, "--overwrite",
            "hamivgpu=" + time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    kubectl("apply", "-f", "-", input=json.dumps(
        volcano_pod(name, [[(uuids[1], 3000, 30)], [(uuids[0], 2000, 0)]])))
    p = settled(name)
    ann = annotations(p)
    check("pod admitted through the kubelet's device manager and Running",
          p.get("status", {}).get("phase") == "Running", json.dumps(p.get("status", {}))[:400])
    check("volcano.sh/bind-phase success; vgpu-ids-new untouched; devices-to-allocate emptied",
          ann.get("volcano.sh/bind-phase") == "success"
          and ann.get("volcano.sh/vgpu-ids-new", "").startswith(uuids[1])
          and uuids[0] not in ann.get("volcano.sh/devices-to-allocate", "x"), str(ann))
    check("the scheduler's hamivgpu node lock is deleted",
          "hamivgpu" not in annotations(get("node", NODE)), str(annotations(get("node", NODE))))
    rec = record(name) or {}
    cs = {c.get("name"): c for c in rec.get("containers", [])}
    c0, c1 = cs.get("c0", {}), cs.get("c1", {})
    e0, e1 = c0.get("env", {}), c1.get("env", {})
    check("c0: CUDA_DEVICE_MEMORY_LIMIT_0=3000m, CUDA_DEVICE_SM_LIMIT=30, NVIDIA_VISIBLE_DEVICES = GPU 1, "
          "its region cache, libvgpu preloaded through /etc/ld.so.preload",
          e0.get("CUDA_DEVICE_MEMORY_LIMIT_0") == "3000m" and e0.get("CUDA_DEVICE_SM_LIMIT") == "30"
          and e0.get("NVIDIA_VISIBLE_DEVICES") == uuids[1]
          and e0.get("CUDA_DEVICE_MEMORY_SHARED_CACHE", "").endswith(".cache")
          and any(m.get("containerPath") == "/etc/ld.so.preload" for m in c0.get("mounts", [])),
          json.dumps(c0)[:700])
    check("c1: CUDA_DEVICE_MEMORY_LIMIT_0=2000m on GPU 0",
          e1.get("CUDA_DEVICE_MEMORY_LIMIT_0") == "2000m" and e1.get("NVIDIA_VISIBLE_DEVICES") == uuids[0],
          json.dumps(c1)[:500])
    check("device-manager devices of c0 are volcano.sh/vgpu-number replicas of GPU 1 (preferred allocation)",
          all(d.startswith(uuids[1]) for d in c0.get("devices", {}).get("volcano.sh/vgpu-number", ["x"])),
          str(c0.get("devices")))
    if c0 and c1:
        for c, mib in ((c0, 3000), (c1, 2000)):
            rc, facts, out = probe(c)
            check(f"{c['name']}: a process with that env under libvgpu sees exactly {mib} MiB",
                  rc == 0 and facts.get("hooked") == "1" and facts.get("total") == str(mib << 20), out[-600:])
    kubectl("delete", "pod", name, "--wait=false", check=False)


def test_refused(uuids):
    name = "volcano-e2e-mig"
    kubectl("apply", "-f", "-", input=json.dumps(
        volcano_pod(name, [[(uuids[0], 1000, 0)]], {"volcano.sh/vgpu-mode": "mig"})))
    p = settled(name, 60)
    st, ann = p.get("status", {}), annotations(p)
    check("vgpu-mode mig: Failed at admission (UnexpectedAdmissionError), bind-phase failed",
          st.get("phase") == "Failed" and st.get("reason") == "UnexpectedAdmissionError"
          and ann.get("volcano.sh/bind-phase") == "failed", f"status={str(st)[:300]} ann={ann}")
    kubectl("delete", "pod", name, "--wait=false", check=False)


def main():
    global SIM_LIBDIR
    load_env(sys.argv[1])
    out = os.path.dirname(os.path.dirname(os.environ["HAMI_DP_BIN"]))
    SIM_LIBDIR = os.environ.get("HAMI_SIM_LIBDIR", os.path.join(out, "lib", "sim"))
    node_dir = os.path.join(ENV["HAMI_LOCAL_DIR"], "nodes", NODE)
    os.makedirs(node_dir, exist_ok=True)
    with open(os.path.join(node_dir, "node-config.json"), "w") as f:
        json.dump({"nodeconfig": [{"name": NODE, "enablegetpreferredallocation": True}]}, f)
    r = sim_nodes(f"start_sim_node {NODE} {GPUS} e2e=volcano --volcano --register-interval 2s",
                  env={"HAMI_SIM_MONITOR": "0"})
    check(f"{NODE}: started with --volcano", r.returncode == 0, r.stderr[-800:])
    try:
        if not FAILURES:
            uuids = test_registration()
            if len(uuids) == 2:
                test_pod(uuids)
                test_refused(uuids)
    finally:
        remove_sim_node(NODE)
    return report("volcano e2e")


if __name__ == "__main__":
    sys.exit(main())
