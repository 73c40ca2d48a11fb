#!/usr/bin/env python3
"""End to end through the node side on the real local control plane: two simulated GPU nodes, each
running our hami-device-plugin on the simulated driver and kubelet-standin (the kubelet's own device
manager), started with hack/lib/sim_nodes.sh. Checks: the plugins register their GPUs (annotation
and capacity), a pod scheduled by the real kube-scheduler + hami-scheduler is Allocated through the
device manager and reported Running, bind-phase becomes success and the node lock is released, the
recorded env carries CUDA_DEVICE_MEMORY_LIMIT_0 = its gpumem, and a CUDA process run with that env
(mounts resolved to their host paths, LD_PRELOAD=libvgpu.so) on the node's simulated GPUs sees
exactly its slice. A pod the plugin cannot serve is Failed with UnexpectedAdmissionError.

Usage: device_plugin_e2e.py ENV_FILE   with HAMI_DP_BIN, HAMI_SHIM_PROBE (test/shim shim_probe) and
optionally HAMI_SIM_LIBDIR / HAMI_LIBVGPU set (default: next to HAMI_DP_BIN)."""
import json
import os
import subprocess
import sys
import time

from e2e_lib import ENV, FAILURES, check, get, kubectl, load_env, remove_sim_node, report, sim_nodes, wait

NODES = {"dp-e2e-a": "2xT4-16GB", "dp-e2e-b": "1xA100-40GB", "dp-e2e-mps": "1xT4-16GB"}
MPS_NODE = "dp-e2e-mps"  # operating mode mps


def pod(name, limits, annotations=None, node_selector=None):
    spec = {"containers": [{"name": "main", "image": "cuda", "resources": {"limits": limits}}]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "annotations": annotations or {}},
            "spec": spec}


def record(node, name):
    path = os.path.join(ENV["HAMI_LOCAL_DIR"], "nodes", node, "kubelet", "pods", f"default_{name}.json")
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None


def probe(node, container):
    """Runs shim_probe `info` as the container would run: its env, libvgpu preloaded, the node's
    simulated GPUs. Container paths in the env are mapped to host paths through the mounts."""
    mounts = sorted(container["mounts"], key=lambda m: -len(m["containerPath"]))

    def host(path):
        for m in mounts:
            cp = m["containerPath"]
            if path == cp or path.startswith(cp.rstrip("/") + "/"):
                return m["hostPath"] + path[len(cp):]
        return path
    env = {k: host(v) if v.startswith("/") else v for k, v in container["env"].items()}
    env.update(LD_PRELOAD=host("/usr/local/vgpu/libvgpu.so"), LD_LIBRARY_PATH=SIM_LIBDIR,
               HAMI_SIM_GPUS=NODES[node], HAMI_CONTEXT_OVERHEAD="0",
               HAMI_SIM_STATE=os.path.join(ENV["HAMI_LOCAL_DIR"], "nodes", node, "sim.state"),
               # The container runtime exposes only NVIDIA_VISIBLE_DEVICES; the sim honours this.
               CUDA_VISIBLE_DEVICES=container["env"].get("NVIDIA_VISIBLE_DEVICES", ""),
               PATH=os.environ.get("PATH", "/usr/bin:/bin"))
    r = subprocess.run([os.environ["HAMI_SHIM_PROBE"], "dlsym", "info"], env=env, capture_output=True,
                       text=True, timeout=60)
    facts = dict(t.split("=", 1) for t in r.stdout.split() if "=" in t)
    return r.returncode, facts, r.stdout + r.stderr


def test_node_registration():
    for node, gpus in NODES.items():
        count, _ = gpus.split("x", 1)
        r = sim_nodes(f"wait_sim_node {node} {int(count) * 10} 90")
        n = get("node", node) or {}
        reg = n.get("metadata", {}).get("annotations", {}).get("hami.io/node-nvidia-register", "")
        check(f"{node}: plugin registered {gpus} (allocatable nvidia.com/gpu, register annotation)",
              r.returncode == 0 and len(json.loads(reg or "[]")) == int(count), r.stderr[-800:] + reg)


def test_pod_path():
    name = "dp-e2e-slice"
    kubectl("apply", "-f", "-", input=json.dumps(pod(name, {"nvidia.com/gpu": "1", "nvidia.com/gpumem": "3000",
                                                           "nvidia.com/gpucores": "30"},
                                                     {"nvidia.com/use-gputype": "T4"},
                                                     # other e2e tests leave T4 nodes on the shared plane
                                                     {"kubernetes.io/hostname": "dp-e2e-a"})))
    p = wait(lambda: (lambda x: x if x and x["status"].get("phase") in ("Running", "Failed") else None)(
        get("pod", name)), 90) or get("pod", name) or {}
    node = p.get("spec", {}).get("nodeName")
    ann = p.get("metadata", {}).get("annotations", {})
    check("pod scheduled by kube-scheduler onto the T4 node and Running through the device manager",
          node == "dp-e2e-a" and p["status"].get("phase") == "Running",
          f"node={node} status={json.dumps(p.get('status', {}))[:400]}")
    if node not in NODES:
        return
    check("bind-phase success", ann.get("hami.io/bind-phase") == "success", str(ann))
    lock = (get("node", node) or {}).get("metadata", {}).get("annotations", {}).get("hami.io/mutex.lock")
    check("node lock released", lock is None, str(lock))
    rec = record(node, name)
    c = (rec or {}).get("containers", [{}])[0]
    env = c.get("env", {})
    uuid = ann.get("hami.io/vgpu-devices-allocated", "").split(",")[0]
    check("record: CUDA_DEVICE_MEMORY_LIMIT_0=3000m, SM limit 30, NVIDIA_VISIBLE_DEVICES = the allocated GPU",
          env.get("CUDA_DEVICE_MEMORY_LIMIT_0") == "3000m" and env.get("CUDA_DEVICE_SM_LIMIT") == "30"
          and env.get("NVIDIA_VISIBLE_DEVICES") == uuid and uuid.startswith("GPU-"), json.dumps(rec)[:600])
    check("record: device-manager devices are replicas of that GPU (GetPreferredAllocation)",
          all(d.startswith(uuid) for d in c.get("devices", {}).get("nvidia.com/gpu", ["x"])), str(c.get("devices")))
    rc, facts, out = probe(node, c)
    check("a process with that env + libvgpu.so on the simulated driver sees exactly 3000 MiB",
          rc == 0 and facts.get("hooked") == "1" and facts.get("total") == str(3000 << 20), out[-600:])
    kubectl("delete", "pod", name, "--wait=true", "--timeout=60s", check=False)
    gone = wait(lambda: record(node, name) is None and get("pod", name) is None, 30)
    check("deleting the pod (no --force: kubelet-standin finishes it) removes it and its record", gone)


def test_allocate_failure():
    # Bypass the scheduler: bound directly with a device annotation the plugin must refuse
    # (2 devices for a 1-GPU request), as /bind leaves it (holding the node lock in that mode).
    name, node = "dp-e2e-mismatch", "dp-e2e-b"
    reg = json.loads(get("node", node)["metadata"]["annotations"]["hami.io/node-nvidia-register"])
    uuid = reg[0]["id"]
    devs = f"{uuid},NVIDIA,1000,10:{uuid},NVIDIA,1000,10:;"
    if ENV.get("HAMI_NODE_LOCK") == "true":
        kubectl("patch", "node", node, "--type=merge", "-p", json.dumps({"metadata": {"annotations": {
            "hami.io/mutex.lock": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + f",default,{name}"}}}))
    p = pod(name, {"nvidia.com/gpu": "1"}, {"hami.io/vgpu-devices-to-allocate": devs,
                                          "hami.io/vgpu-devices-allocated": devs, "hami.io/bind-phase": "allocating",
                                          "hami.io/bind-time": str(int(time.time())), "hami.io/vgpu-node": node})
    p["metadata"]["labels"] = {"hami.io/webhook": "ignore"}
    p["spec"]["nodeName"] = node
    kubectl("apply", "-f", "-", input=json.dumps(p))
    got = wait(lambda: (lambda x: x if x and x["status"].get("phase") == "Failed" else None)(get("pod", name)), 60) or {}
    st = got.get("status", {})
    ann = got.get("metadata", {}).get("annotations", {})
    lock = (get("node", node) or {}).get("metadata", {}).get("annotations", {}).get("hami.io/mutex.lock")
    check("Allocate refused: pod Failed (UnexpectedAdmissionError), bind-phase failed, lock released",
          st.get("reason") == "UnexpectedAdmissionError" and ann.get("hami.io/bind-phase") == "failed" and lock is None,
          f"status={st} bind-phase={ann.get('hami.io/bind-phase')} lock={lock}")
    kubectl("delete", "pod", name, "--wait=false", check=False)


def test_mps_mode():
    """Operating mode mps: without the MPS control daemon's pipe the kubelet's Allocate is refused
    (the pod fails at admission, saying why); with it the container gets the MPS client contract."""
    node = MPS_NODE
    reg = json.loads((get("node", node) or {}).get("metadata", {}).get("annotations", {}).get(
        "hami.io/node-nvidia-register", "[]"))
    check("mps node registers its GPU in mode mps", [d.get("mode") for d in reg] == ["mps"], str(reg))
    limits = {"nvidia.com/gpu": "1", "nvidia.com/gpumem": "2000", "nvidia.com/gpucores": "25"}
    sel = {"kubernetes.io/hostname": node}

    def settled(name):
        return wait(lambda: (lambda x: x if x and x["status"].get("phase") in ("Running", "Failed") else None)(
            get("pod", name)), 90) or get("pod", name) or {}
    kubectl("apply", "-f", "-", input=json.dumps(pod("dp-e2e-mps-nodaemon", limits, node_selector=sel)))
    st = settled("dp-e2e-mps-nodaemon").get("status", {})
    check("mps without its daemon: Failed at admission naming the missing control pipe",
          st.get("phase") == "Failed" and st.get("reason") == "UnexpectedAdmissionError"
          and "no MPS control daemon" in st.get("message", ""), str(st)[:500])
    mps = os.path.join(ENV["HAMI_LOCAL_DIR"], "nodes", node, "mps")
    os.makedirs(os.path.join(mps, "pipe"), exist_ok=True)
    os.makedirs(os.path.join(mps, "shm"), exist_ok=True)
    os.mkfifo(os.path.join(mps, "pipe", "control"))  # what nvidia-cuda-mps-control -d creates
    kubectl("apply", "-f", "-", input=json.dumps(pod("dp-e2e-mps-slice", limits, node_selector=sel)))
    p = settled("dp-e2e-mps-slice")
    c = ((record(node, "dp-e2e-mps-slice") or {}).get("containers") or [{}])[0]
    env = c.get("env", {})
    mounts = {m["containerPath"]: m["hostPath"] for m in c.get("mounts", [])}
    check("mps with its daemon: Running, MPS client env (threads 25%, 2000M pinned) and mounts",
          p.get("status", {}).get("phase") == "Running"
          and env.get("CUDA_MPS_PIPE_DIRECTORY") == "/tmp/nvidia-mps"
          and env.get("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE") == "25"
          and env.get("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT") == "0=2000M"
          and env.get("CUDA_DEVICE_MEMORY_LIMIT_0") == "2000m"
          and mounts.get("/tmp/nvidia-mps") == os.path.join(mps, "pipe")
          and mounts.get("/dev/shm") == os.path.join(mps, "shm"), json.dumps(c)[:800])
    for name in ("dp-e2e-mps-nodaemon", "dp-e2e-mps-slice"):
        kubectl("delete", "pod", name, "--wait=false", check=False)


def main():
    global SIM_LIBDIR
    load_env(sys.argv[1])
    out = os.path.dirname(os.path.dirname(os.environ["HAMI_DP_BIN"]))
    SIM_LIBDIR = os.environ.get("HAMI_SIM_LIBDIR", os.path.join(out, "lib", "sim"))
    for node, gpus in NODES.items():
        # With GetPreferredAllocation on, the device manager takes the replicas of the GPU the
        # scheduler chose; off (upstream's default) it picks any replicas, which Allocate ignores.
        node_dir = os.path.join(ENV["HAMI_LOCAL_DIR"], "nodes", node)
        os.makedirs(node_dir, exist_ok=True)
        entry = {"name": node, "enablegetpreferredallocation": True}
        flags = ""
        if node == MPS_NODE:
            entry["operatingmode"] = "mps"
            flags = f"--mps-root {os.path.join(node_dir, 'mps')}"
        with open(os.path.join(node_dir, "node-config.json"), "w") as f:
            json.dump({"nodeconfig": [entry]}, f)
        r = sim_nodes(f"start_sim_node {node} {gpus} e2e=device-plugin {flags}")
        if r.returncode != 0:
            print(r.stderr, file=sys.stderr)
            check(f"{node}: started", False, r.stderr[-500:])
    try:
        if not FAILURES:
            test_node_registration()
            test_pod_path()
            test_allocate_failure()
            test_mps_mode()
    finally:
        for node in NODES:
            remove_sim_node(node)
    return report("device-plugin e2e")


if __name__ == "__main__":
    sys.exit(main())
