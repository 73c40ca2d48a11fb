"""Shared plumbing of the e2e scripts in this folder (they run as `python3 <script> <env file>`).

ENV holds the plane's env file (hack/local-up.sh writes `export KEY=VALUE` lines); FAILURES collects
the names of failed checks; kubectl runs the plane's kubectl against its kubeconfig; sim_nodes runs
hack/lib/sim_nodes.sh functions against the plane; the rest reads pods the way several tests do.
"""
import json
import os
import shlex
import subprocess
import time

ENV = {}
FAILURES = []
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def load_env(path):
    for line in open(path):
        line = line.strip()
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            ENV[key] = shlex.split(value)[0] if value else ""


def kubectl(*args, input=None, check=True):
    cmd = [os.path.join(ENV["TOOLS_BIN"], "kubectl"), "--kubeconfig", ENV["KUBECONFIG"], *args]
    r = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=120)
    if check and r.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)}: {r.stderr.strip()}")
    return r


def check(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)
    if not ok:
        FAILURES.append(name)


def report(what):
    """Prints the run's verdict; returns main()'s exit status."""
    print(f"{len(FAILURES)} failed" if FAILURES else f"all {what} checks passed")
    return 1 if FAILURES else 0


def sim_nodes(script, env=None):
    """Runs bash with hack/lib/sim_nodes.sh sourced and the plane's env loaded (then `env`)."""
    full = f'source "{ENV["HAMI_LOCAL_DIR"]}/env" && source "{ROOT}/hack/lib/sim_nodes.sh" && {script}'
    return subprocess.run(["bash", "-c", full], env=dict(os.environ, HAMI_LOCAL_DIR=ENV["HAMI_LOCAL_DIR"],
                                                       **(env or {})),
                          capture_output=True, text=True, timeout=180)


def remove_sim_node(name):
    """Stops a simulated node's processes and deletes its Node."""
    sim_nodes(f"stop_sim_node {name}")
    kubectl("delete", "node", name, "--wait=false", check=False)


def wait(pred, timeout, interval=0.3):
    """pred() until it is truthy or `timeout` seconds passed; returns its last value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    return pred()


def get(kind, name, ns=None):
    r = kubectl("get", kind, name, *(["-n", ns] if ns else []), "-o", "json", check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def list_pods(ns):
    return json.loads(kubectl("get", "pods", "-n", ns, "-o", "json").stdout)["items"]


def allocated(p):
    """[(uuid, mem, cores)] from hami.io/vgpu-devices-allocated."""
    value = (p or {}).get("metadata", {}).get("annotations", {}).get("hami.io/vgpu-devices-allocated", "")
    out = []
    for container in value.split(";"):
        for dev in container.split(":"):
            f = dev.split(",")
            if len(f) >= 4:
                out.append((f[0], int(f[2]), int(f[3])))
    return out


def events(name, ns="default"):
    r = kubectl("get", "events", "-n", ns, "--field-selector", f"involvedObject.name={name}",
                "-o", "json", check=False)
    return json.loads(r.stdout)["items"] if r.returncode == 0 else []


def over_committed(pods, gpus):
    """{(node, uuid): (memory, cores, slots)} of the GPUs the live pods of `pods` book beyond their
    memory, cores or slots; `gpus` maps (node, uuid) to the node's register entry (a GPU is one
    node's: simulated nodes of one model share UUIDs)."""
    used = {}
    for p in pods:
        node = p["spec"].get("nodeName")
        if not node or p["status"].get("phase") in ("Failed", "Succeeded"):
            continue
        for uuid, mem, cores in allocated(p):
            m, c, s = used.get((node, uuid), (0, 0, 0))
            used[(node, uuid)] = (m + mem, c + cores, s + 1)
    return {k: v for k, v in used.items()
            if k not in gpus or v[0] > gpus[k]["devmem"] or v[1] > gpus[k]["devcore"] or v[2] > gpus[k]["count"]}


def create_registered_node(name, gpu_uuid):
    """A Node without a kubelet: Ready, one A100-40GB registered as hami-device-plugin writes it
    (10 slices), allocatable nvidia.com/gpu 10. Scheduling onto it needs no node side."""
    gpus = [{"id": gpu_uuid, "index": 0, "count": 10, "devmem": 40960, "devcore": 100,
             "type": "NVIDIA-A100-SXM4-40GB", "numa": 0, "mode": "hami-core", "health": True}]
    resources = {"cpu": "8", "memory": "64Gi", "pods": "110", "nvidia.com/gpu": "10"}
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"gpu": "on", "kubernetes.io/hostname": name},
                         "annotations": {"hami.io/node-nvidia-register": json.dumps(gpus)}},
            "status": {"capacity": resources, "allocatable": resources,
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "message": "e2e"}]}}
    kubectl("apply", "-f", "-", input=json.dumps(node))


def pod_record(node, name):
    """What the simulated node's kubelet-standin recorded for default/`name` (env, mounts, devices
    from Allocate), or None."""
    path = os.path.join(ENV["HAMI_LOCAL_DIR"], "nodes", node, "kubelet", "pods", f"default_{name}.json")
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None


def container_process_env(node, gpus, container, sim_libdir):
    """The environment a process of `container` (a pod record's entry) runs with on simulated node
    `node` (HAMI_SIM_GPUS `gpus`): its env, libvgpu preloaded, the node's simulated GPUs. Container
    paths in the env are mapped to host paths through the mounts."""
    mounts = sorted(container["mounts"], key=lambda m: -len(m["containerPath"]))

    def host(path):
        for m in mounts:
            cp = m["containerPath"]
            if path == cp or path.startswith(cp.rstrip("/") + "/"):
                return m["hostPath"] + path[len(cp):]
        return path
    env = {k: host(v) if v.startswith("/") else v for k, v in container["env"].items()}
    env.update(LD_PRELOAD=host("/usr/local/vgpu/libvgpu.so"), LD_LIBRARY_PATH=sim_libdir,
               HAMI_SIM_GPUS=gpus, HAMI_CONTEXT_OVERHEAD="0",
               HAMI_SIM_STATE=os.path.join(ENV["HAMI_LOCAL_DIR"], "nodes", node, "sim.state"),
               # The container runtime exposes only NVIDIA_VISIBLE_DEVICES; the sim honours this.
               CUDA_VISIBLE_DEVICES=container["env"].get("NVIDIA_VISIBLE_DEVICES", ""),
               PATH=os.environ.get("PATH", "/usr/bin:/bin"))
    return env


def shim_probe_info(env):
    """Runs $HAMI_SHIM_PROBE `dlsym info` with `env`: (exit status, its key=value facts, its output)."""
    r = subprocess.run([os.environ["HAMI_SHIM_PROBE"], "dlsym", "info"], env=env, capture_output=True,
                       text=True, timeout=60)
    facts = dict(t.split("=", 1) for t in r.stdout.split() if "=" in t)
    return r.returncode, facts, r.stdout + r.stderr
