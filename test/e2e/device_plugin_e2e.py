#!/usr/bin/env python3
"""End to end through the node side on the real local control plane: two simulated GPU nodes, each
running our hami-device-plugin on the simulated driver and kubelet-standin (the kubelet's own device
manager), started with hack/lib/sim_nodes.sh. Checks: the plugins register their GPUs (annotation
and capacity), a pod scheduled by the real kube-scheduler + hami-scheduler is Allocated through the
device manager and reported Running, bind-phase becomes success and the node lock is released, the
recorded env carries CUDA_DEVICE_MEMORY_LIMIT_0 = its gpumem, and a CUDA process run with that env
(mounts resolved to their host paths, LD_PRELOAD=libvgpu.so) on the node's simulated GPUs sees
exactly its slice. A pod the plugin cannot serve is Failed with UnexpectedAdmissionError. Operating
mode mps gives the MPS client contract; operating mode mig (a simulated A100-80GB in MIG mode)
creates an instance of the booked profile per pod, hands the container its MIG UUID, writes the
instance ids back and destroys the instance when the pod is deleted. A node with deviceMemoryScaling 2
runs two pods whose slices together exceed its GPU, both processes holding their memory at once.
GPU health from driver events: XID 79 injected into a node's simulated GPU (hami-sim-ctl) makes the
plugin report it Unhealthy (allocatable drops, register annotation health false), a new pod goes to
the other GPU, and clearing the fault brings it back. Every node runs hami-monitor at its own
InternalIP:9394, where a pod's memory in use shows.

Usage: device_plugin_e2e.py ENV_FILE   with HAMI_DP_BIN, HAMI_SHIM_PROBE and HAMI_ALLOC_PROBE (test/shim) and
optionally HAMI_SIM_LIBDIR / HAMI_LIBVGPU set (default: next to HAMI_DP_BIN)."""
import json
import os
import subprocess
import sys
import time
import urllib.request

from e2e_lib import (ENV, FAILURES, check, container_process_env, get, kubectl, load_env, pod_record, remove_sim_node,
                     report, shim_probe_info, sim_nodes, wait)

NODES = {"dp-e2e-a": "2xT4-16GB", "dp-e2e-b": "1xA100-40GB", "dp-e2e-mps": "1xT4-16GB",
         "dp-e2e-mig": "1xA100-80GB", "dp-e2e-over": "1xT4-16GB", "dp-e2e-xid": "2xT4-16GB"}
MPS_NODE = "dp-e2e-mps"  # operating mode mps
OVER_NODE = "dp-e2e-over"  # deviceMemoryScaling 2: its 16 GB T4 offers 32 GB
MIG_NODE = "dp-e2e-mig"  # operating mode mig, its GPU in MIG mode (HAMI_SIM_MIG=all)
MIG_ANNOTATION = "hami.io/vgpu-mig-allocations"
XID_NODE = "dp-e2e-xid"  # XID faults injected into its GPU 0
MONITOR_PORT = 9394  # hami-monitor's default, where hami smi --cluster and the web UI look

# The MIG devices NVML lists on GPU 0 (uuid, memory), read through the simulated NVML with ctypes.
NVML_MIG_DEVICES = r"""
import ctypes, json, sys
nvml = ctypes.CDLL(sys.argv[1])
assert nvml.nvmlInit_v2() == 0
gpu = ctypes.c_void_p()
assert nvml.nvmlDeviceGetHandleByIndex_v2(0, ctypes.byref(gpu)) == 0
count = ctypes.c_uint()
assert nvml.nvmlDeviceGetMaxMigDeviceCount(gpu, ctypes.byref(count)) == 0
out = []
for i in range(count.value):
    mig = ctypes.c_void_p()
    if nvml.nvmlDeviceGetMigDeviceHandleByIndex(gpu, i, ctypes.byref(mig)) != 0:
        continue
    uuid = ctypes.create_string_buffer(96)
    assert nvml.nvmlDeviceGetUUID(mig, uuid, 96) == 0
    memory = (ctypes.c_ulonglong * 3)()
    assert nvml.nvmlDeviceGetMemoryInfo(mig, memory) == 0
    out.append({"uuid": uuid.value.decode(), "mib": memory[0] >> 20})
print(json.dumps(out))
"""


def pod(name, limits, annotations=None, node_selector=None):
    spec = {"containers": [{"name": "main", "image": "cuda", "resources": {"limits": limits}}]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "annotations": annotations or {}},
            "spec": spec}


def record(node, name):
    return pod_record(node, name)


def container_env(node, container):
    """The environment a process of `container` runs with on `node` (e2e_lib.container_process_env)."""
    return container_process_env(node, NODES[node], container, SIM_LIBDIR)


def probe(node, container):
    """Runs shim_probe `info` as the container would run (container_env)."""
    return shim_probe_info(container_env(node, container))


def test_node_registration():
    for node, gpus in NODES.items():
        count, _ = gpus.split("x", 1)
        # A MIG-mode GPU offers as many slots as its smallest profile has instances (A100: 7).
        replicas = 7 if node == MIG_NODE else int(count) * 10
        r = sim_nodes(f"wait_sim_node {node} {replicas} 90")
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
    # The plugin's last patch goes out right after Allocate answers, beside the kubelet's status.
    done = wait(lambda: (get("pod", name) or {}).get("metadata", {}).get("annotations", {})
                .get("hami.io/bind-phase") == "success", 10)
    ann = (get("pod", name) or {}).get("metadata", {}).get("annotations", {})
    check("bind-phase success", bool(done), str(ann))
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


def node_sim_env(node):
    env = dict(os.environ, LD_LIBRARY_PATH=SIM_LIBDIR, HAMI_SIM_GPUS=NODES[node],
               HAMI_SIM_STATE=os.path.join(ENV["HAMI_LOCAL_DIR"], "nodes", node, "sim.state"))
    if node == MIG_NODE:
        env["HAMI_SIM_MIG"] = "all"
    return env


def mig_devices(node):
    r = subprocess.run([sys.executable, "-c", NVML_MIG_DEVICES, os.path.join(SIM_LIBDIR, "libnvidia-ml.so.1")],
                       env=node_sim_env(node), capture_output=True, text=True, timeout=60)
    return json.loads(r.stdout) if r.returncode == 0 else {"error": r.stderr[-400:]}


def test_mig_mode():
    """Operating mode mig: the GPU registers its MIG profiles; a pod asking gpumem 10000 gets a
    fresh instance of the smallest profile holding it (1g.20gb on an A100-80GB: 1g.10gb has 9728
    MiB), its MIG UUID as the visible device (a CUDA process there sees the instance's memory), the
    ids written back; a second pod gets another instance; deleting a pod destroys its instance."""
    node = MIG_NODE
    reg = json.loads((get("node", node) or {}).get("metadata", {}).get("annotations", {}).get(
        "hami.io/node-nvidia-register", "[]"))
    profiles = {p.get("name") for d in reg for p in d.get("migProfiles", [])}
    check("mig node registers its GPU in mode mig with its profiles",
          [d.get("mode") for d in reg] == ["mig"] and {"1g.10gb", "1g.20gb", "7g.80gb"} <= profiles, str(reg)[:600])
    check("no MIG instance before any pod", mig_devices(node) == [], str(mig_devices(node)))
    sel = {"kubernetes.io/hostname": node}

    def running(name):
        return wait(lambda: (lambda x: x if x and x["status"].get("phase") in ("Running", "Failed") else None)(
            get("pod", name)), 90) or get("pod", name) or {}

    def booking(p):
        return (json.loads(p.get("metadata", {}).get("annotations", {}).get(MIG_ANNOTATION, "[]")) or [{}])[0]
    kubectl("apply", "-f", "-", input=json.dumps(pod("dp-e2e-mig-a", {"nvidia.com/gpu": "1",
                                                                       "nvidia.com/gpumem": "10000"},
                                                     node_selector=sel)))
    a = running("dp-e2e-mig-a")
    ba = booking(a)
    env = (((record(node, "dp-e2e-mig-a") or {}).get("containers") or [{}])[0]).get("env", {})
    devices = mig_devices(node)
    check("mig pod Running in a fresh 1g.20gb instance: its MIG UUID visible, ids written back, "
          "no libvgpu env", a.get("status", {}).get("phase") == "Running" and ba.get("profile") == "1g.20gb"
          and ba.get("migUUID", "").startswith("MIG-") and "gpuInstanceID" in ba and "computeInstanceID" in ba
          and env.get("NVIDIA_VISIBLE_DEVICES") == ba.get("migUUID") and "CUDA_DEVICE_MEMORY_LIMIT_0" not in env
          and [d["uuid"] for d in devices] == [ba.get("migUUID")],
          f"status={a.get('status', {}).get('phase')} booking={ba} env={env} nvml={devices}")
    cuda_env = dict(node_sim_env(node), CUDA_VISIBLE_DEVICES=env.get("NVIDIA_VISIBLE_DEVICES", "none"),
                    PATH=os.environ.get("PATH", "/usr/bin:/bin"))
    r = subprocess.run([os.environ["HAMI_SHIM_PROBE"], "dlsym", "info"], env=cuda_env, capture_output=True,
                       text=True, timeout=60)
    facts = dict(t.split("=", 1) for t in r.stdout.split() if "=" in t)
    want = next((d["mib"] for d in devices), -1)
    # No libvgpu in a MIG container: the probe reports hooked=0 and exits 1 for that alone.
    check("a CUDA process on the MIG UUID sees the instance's memory",
          r.returncode == 1 and facts.get("hooked") == "0" and int(facts.get("total", "0")) >> 20 == want
          and want > 10000,
          f"want {want} MiB; {r.stdout[-300:]} {r.stderr[-300:]}")

    kubectl("apply", "-f", "-", input=json.dumps(pod("dp-e2e-mig-b", {"nvidia.com/gpu": "1",
                                                                       "nvidia.com/gpumem": "30000"},
                                                     node_selector=sel)))
    bb = booking(running("dp-e2e-mig-b"))
    overlap = (ba.get("placement", {}).get("start", 0) < bb.get("placement", {}).get("start", 0)
               + bb.get("placement", {}).get("size", 0)
               and bb.get("placement", {}).get("start", 0) < ba.get("placement", {}).get("start", 0)
               + ba.get("placement", {}).get("size", 0))
    uuids = sorted(d["uuid"] for d in mig_devices(node))
    check("a second mig pod gets its own, non-overlapping instance",
          bb.get("migUUID", "").startswith("MIG-") and not overlap
          and uuids == sorted([ba.get("migUUID"), bb.get("migUUID")]), f"a={ba} b={bb} nvml={uuids}")

    kubectl("delete", "pod", "dp-e2e-mig-a", "--wait=false")
    left = wait(lambda: (lambda d: d if [x["uuid"] for x in d] == [bb.get("migUUID")] else None)(
        mig_devices(node)), 60)
    check("deleting a mig pod destroys its instance (the other stays)", left is not None,
          str(mig_devices(node)))
    kubectl("delete", "pod", "dp-e2e-mig-b", "--wait=false")
    check("deleting the last mig pod leaves the GPU without instances",
          wait(lambda: mig_devices(node) == [] or None, 60) is not None, str(mig_devices(node)))


class AllocProbe:
    """alloc_probe (test/shim) running as a container's process: one command, one answer line."""

    def __init__(self, env):
        self.p = subprocess.Popen([os.environ["HAMI_ALLOC_PROBE"]], env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.setup = self.p.stdout.readline().strip()

    def ask(self, command):
        self.p.stdin.write(command + "\n")
        self.p.stdin.flush()
        return self.p.stdout.readline().strip()

    def close(self):
        if self.p.poll() is None:
            self.ask("q")
        self.p.wait(timeout=30)


def test_oversubscription():
    """deviceMemoryScaling 2 on a 16 GB T4: two pods of 12000 MiB share the GPU (24000 MiB booked),
    each gets CUDA_OVERSUBSCRIBE; a process in each allocates 10 GiB and both hold it at once (20 GiB
    > the card): the second's excess is host-backed, writable, and nobody gets out-of-memory."""
    node = OVER_NODE
    reg = json.loads((get("node", node) or {}).get("metadata", {}).get("annotations", {}).get(
        "hami.io/node-nvidia-register", "[]"))
    check("oversubscribed node advertises twice its memory", [d.get("devmem") for d in reg] == [2 * 15360]
          or [d.get("devmem") for d in reg] == [2 * 16384], str(reg)[:400])
    names = ["dp-e2e-over-a", "dp-e2e-over-b"]
    for name in names:
        kubectl("apply", "-f", "-", input=json.dumps(pod(name, {"nvidia.com/gpu": "1", "nvidia.com/gpumem": "12000"},
                                                         node_selector={"kubernetes.io/hostname": node})))
    pods = [wait(lambda n=n: (lambda x: x if x and x["status"].get("phase") in ("Running", "Failed") else None)(
        get("pod", n)), 90) or get("pod", n) or {} for n in names]
    gpus = {p.get("metadata", {}).get("annotations", {}).get("hami.io/vgpu-devices-allocated", "").split(",")[0]
            for p in pods}
    containers = [((record(node, n) or {}).get("containers") or [{}])[0] for n in names]
    envs = [c.get("env", {}) for c in containers]
    check("both 12000 MiB pods Running on the one GPU, each with CUDA_OVERSUBSCRIBE=true and its limit",
          all(p.get("status", {}).get("phase") == "Running" for p in pods) and len(gpus) == 1
          and all(e.get("CUDA_OVERSUBSCRIBE") == "true" and e.get("CUDA_DEVICE_MEMORY_LIMIT_0") == "12000m"
                  for e in envs), f"phases={[p.get('status', {}).get('phase') for p in pods]} gpus={gpus} envs={envs}")
    if not all(c.get("mounts") for c in containers):
        return
    chunk, count = 512 << 20, 20  # 10 GiB per process, in pieces
    procs = [AllocProbe(container_env(node, c)) for c in containers]
    try:
        answers = [[pr.ask(f"a mem {chunk}") for _ in range(count)] for pr in procs]
        check("both processes set up and hold 10 GiB each at once (20 GiB on a 16 GB card)",
              all(pr.setup == "setup=0" for pr in procs) and all(a.startswith("ok ") for x in answers for a in x),
              f"setup={[pr.setup for pr in procs]} answers={answers}")
        last = answers[1][-1].split()[-1]
        check("the second's last piece is host-backed (managed) and a kernel can write all of it",
              procs[1].ask(f"pm {last}") == "managed=1" and procs[1].ask(f"t {last}") == "ok",
              procs[1].ask(f"pm {last}"))
        infos = [dict(t.split("=", 1) for t in pr.ask("info").split()) for pr in procs]
        check("each process's cuMemGetInfo reports its 12000 MiB slice, 10 GiB of it used",
              all(int(i.get("total", 0)) == 12000 << 20 and int(i.get("free", 0)) == (12000 << 20) - count * chunk
                  for i in infos), str(infos))
        freed = [pr.ask(f"f {a.split()[-1]}") for pr, x in zip(procs, answers) for a in x]
        check("everything frees", all(f == "ok" for f in freed), str(freed))
    finally:
        for pr in procs:
            pr.close()
        for name in names:
            kubectl("delete", "pod", name, "--wait=false", check=False)


def node_ip(node):
    for a in (get("node", node) or {}).get("status", {}).get("addresses", []):
        if a.get("type") == "InternalIP":
            return a.get("address")
    return None


def scrape(ip):
    try:
        with urllib.request.urlopen(f"http://{ip}:{MONITOR_PORT}/metrics", timeout=5) as r:
            return r.read().decode()
    except OSError:
        return ""


def sample(text, name, labels):
    for line in text.splitlines():
        if line.startswith(name + "{") and all(label in line for label in labels):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_monitor_per_node():
    """Every sim node has its own loopback InternalIP and serves its monitor's /metrics there."""
    ips = {node: node_ip(node) for node in NODES}
    check("each sim node has its own InternalIP", len(set(ips.values())) == len(NODES) and None not in ips.values(),
          str(ips))
    for node, gpus in NODES.items():
        text = scrape(ips[node])
        count = int(gpus.split("x", 1)[0])
        got = [line for line in text.splitlines()
               if line.startswith("hami_host_gpu_memory_total_bytes{") and f'node="{node}"' in line]
        check(f"{node}: hami-monitor at http://{ips[node]}:{MONITOR_PORT}/metrics reports its {count} GPU(s)",
              len(got) == count, text[:300])


def registered_gpus(node):
    reg = (get("node", node) or {}).get("metadata", {}).get("annotations", {}).get("hami.io/node-nvidia-register")
    return {d["id"]: d.get("health", False) for d in json.loads(reg or "[]")}


def allocatable_gpus(node):
    return (get("node", node) or {}).get("status", {}).get("allocatable", {}).get("nvidia.com/gpu")


def test_xid_health():
    """XID 79 on GPU 0: Unhealthy to the kubelet and the scheduler, a new pod on GPU 1 (its memory in
    use visible at the node's monitor), healthy again after the fault is cleared."""
    node = XID_NODE
    reg = json.loads(get("node", node)["metadata"]["annotations"]["hami.io/node-nvidia-register"])
    bad = next(d["id"] for d in reg if d.get("index", 0) == 0)
    r = sim_nodes(f"sim_node_xid {node} 0 79")
    check("hami-sim-ctl injects XID 79 on GPU 0", r.returncode == 0, r.stdout + r.stderr[-400:])
    down = wait(lambda: registered_gpus(node).get(bad) is False and allocatable_gpus(node) == "10" or None, 60)
    check("the plugin reports GPU 0 Unhealthy: register annotation health false, allocatable 20 -> 10",
          down is not None, f"{registered_gpus(node)} allocatable={allocatable_gpus(node)}")
    name = "dp-e2e-xid-pod"
    kubectl("apply", "-f", "-", input=json.dumps(pod(name, {"nvidia.com/gpu": "1", "nvidia.com/gpumem": "2000"},
                                                     node_selector={"kubernetes.io/hostname": node})))
    p = wait(lambda: (lambda x: x if x and x["status"].get("phase") in ("Running", "Failed") else None)(
        get("pod", name)), 90) or get("pod", name) or {}
    uuid = p.get("metadata", {}).get("annotations", {}).get("hami.io/vgpu-devices-allocated", "").split(",")[0]
    check("a new pod is Running on the healthy GPU, not the faulted one",
          p.get("status", {}).get("phase") == "Running" and uuid.startswith("GPU-") and uuid != bad,
          f"uuid={uuid} bad={bad} status={json.dumps(p.get('status', {}))[:300]}")
    c = ((record(node, name) or {}).get("containers") or [{}])[0]
    if c.get("mounts"):
        proc = AllocProbe(container_env(node, c))
        try:
            held = proc.ask(f"a mem {1 << 30}")
            labels = [f'pod="{name}"', 'namespace="default"', f'device_uuid="{uuid}"']
            used = wait(lambda: (sample(scrape(node_ip(node)), "hami_vgpu_memory_used_bytes", labels) or 0)
                        >= (1 << 30) or None, 30)
            check("the pod's 1 GiB in use shows at its node's monitor (hami_vgpu_memory_used_bytes)",
                  proc.setup == "setup=0" and held.startswith("ok ") and used is not None,
                  f"setup={proc.setup} held={held} metrics={[x for x in scrape(node_ip(node)).splitlines() if name in x][:4]}")
        finally:
            proc.close()
    kubectl("delete", "pod", name, "--wait=false", check=False)
    r = sim_nodes(f"sim_node_clear {node} 0")
    up = wait(lambda: registered_gpus(node).get(bad) is True and allocatable_gpus(node) == "20" or None, 60)
    check("clearing the fault makes GPU 0 Healthy again at the next poll (annotation, allocatable 20)",
          r.returncode == 0 and up is not None, f"{registered_gpus(node)} allocatable={allocatable_gpus(node)}")


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
        sim_env = {}
        if node == MPS_NODE:
            entry["operatingmode"] = "mps"
            flags = f"--mps-root {os.path.join(node_dir, 'mps')}"
        if node == MIG_NODE:
            entry["operatingmode"] = "mig"
            sim_env["HAMI_SIM_MIG"] = "all"
        if node == OVER_NODE:
            entry["devicememoryscaling"] = 2
        with open(os.path.join(node_dir, "node-config.json"), "w") as f:
            json.dump({"nodeconfig": [entry]}, f)
        r = sim_nodes(f"start_sim_node {node} {gpus} e2e=device-plugin {flags}", env=sim_env)
        if r.returncode != 0:
            print(r.stderr, file=sys.stderr)
            check(f"{node}: started", False, r.stderr[-500:])
    try:
        if not FAILURES:
            test_node_registration()
            test_pod_path()
            test_allocate_failure()
            test_mps_mode()
            test_mig_mode()
            test_oversubscription()
            test_monitor_per_node()
            test_xid_health()
    finally:
        for node in NODES:
            remove_sim_node(node)
    return report("device-plugin e2e")


if __name__ == "__main__":
    sys.exit(main())
