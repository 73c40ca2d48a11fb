#!/usr/bin/env python3
"""hami-monitor and `hami smi` on the real local control plane (label e2e, fixture e2e_plane).

A GPU node (API object whose registered GPU has the UUID of the simulated GPU), a pod scheduled onto
it by kube-scheduler + hami-scheduler, a CUDA process under libvgpu (simulated driver) standing in
for the pod's container with the limit its allocation says, writing the container's shared region
under <hook>/containers/<podUID>_main/. Then hami-monitor with the plane's kubeconfig: /metrics must
show the pod's allocation (limit, usage, pod name); `hami smi --cluster` must show the slice with the
used value from that monitor; deleting the pod removes its directory.

Usage: monitor_e2e.py ENV_FILE. Binaries from env: HAMI_MONITOR_BIN, HAMI_BIN, HAMI_SHIM_PROBE,
HAMI_LIBVGPU, HAMI_SIM_LIBDIR. Exit 0 when every check passes."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

from e2e_lib import ENV, check, create_registered_node, kubectl, load_env, report, wait

NODE = "e2e-monitor"
GPU_UUID = "GPU-0e2e0000-1111-2222-3333-444444444444"
MIB = 1048576


def get_pod(name):
    r = kubectl("get", "pod", name, "-n", "default", "-o", "json", check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def sample(text, name, labels):
    for line in text.splitlines():
        if line.startswith(name + "{") and all(l in line for l in labels):
            return float(line.rsplit(" ", 1)[1])
    return None


def scrape(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            return r.read().decode()
    except OSError:
        return ""


def main():
    load_env(sys.argv[1])
    work = tempfile.mkdtemp(prefix="hami-monitor-e2e-")
    hook = os.path.join(work, "hook")
    sim_gpus = os.path.join(work, "gpus.json")
    json.dump({"gpus": [{"name": "NVIDIA A100-SXM4-40GB", "uuid": GPU_UUID, "memoryMiB": 40960}]},
              open(sim_gpus, "w"))
    sim_env = {"PATH": "/usr/bin:/bin", "HOME": work, "LD_LIBRARY_PATH": os.environ["HAMI_SIM_LIBDIR"],
               "HAMI_SIM_GPUS": sim_gpus, "HAMI_SIM_STATE": os.path.join(work, "sim.state")}
    procs = []
    pod_name = "monitor-e2e"
    try:
        create_registered_node(NODE, GPU_UUID)
        kubectl("delete", "pod", pod_name, "-n", "default", "--grace-period=0", "--force", check=False)
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": pod_name, "namespace": "default"},
               "spec": {"nodeSelector": {"kubernetes.io/hostname": NODE},
                        "containers": [{"name": "main", "image": "cuda", "resources": {"limits": {
                            "nvidia.com/gpu": "1", "nvidia.com/gpumem": "3000", "nvidia.com/gpucores": "30"}}}]}}
        kubectl("apply", "-f", "-", input=json.dumps(pod))
        bound = wait(lambda: (lambda p: p if p and p["spec"].get("nodeName") else None)(get_pod(pod_name)), 60)
        check("pod bound to the GPU node", bound is not None and bound["spec"]["nodeName"] == NODE,
              json.dumps((bound or {}).get("status", {})))
        if not bound:
            return 1
        uid = bound["metadata"]["uid"]
        allocated = bound["metadata"].get("annotations", {}).get("hami.io/vgpu-devices-allocated", "")
        check("allocation on the registered GPU", allocated.startswith(GPU_UUID + ",NVIDIA,3000,30"), allocated)

        # The container: a CUDA process under libvgpu with the allocation's limit, region in its dir.
        cdir = os.path.join(hook, "containers", f"{uid}_main")
        os.makedirs(cdir)
        probe_env = dict(sim_env, LD_PRELOAD=os.environ["HAMI_LIBVGPU"], CUDA_DEVICE_MEMORY_LIMIT_0="3000m",
                         CUDA_DEVICE_SM_LIMIT="30", HAMI_CONTEXT_OVERHEAD="0",
                         CUDA_DEVICE_MEMORY_SHARED_CACHE=os.path.join(cdir, "vgpu.cache"))
        probe = subprocess.Popen([os.environ["HAMI_SHIM_PROBE"], "dlsym", "hold", "100", "1"], env=probe_env,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(probe)
        check("container process holds 100 MiB", "held=1" in probe.stdout.readline() + probe.stdout.readline())

        log_path = os.path.join(work, "monitor.log")
        monitor = subprocess.Popen(
            [os.environ["HAMI_MONITOR_BIN"], "--hook-path", hook, "--node-name", NODE,
             "--kubeconfig", ENV["KUBECONFIG"], "--metrics-bind-address", "127.0.0.1:0",
             "--feedback-interval", "500ms", "--resync-interval", "2s"],
            env=sim_env, stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))
        procs.append(monitor)
        port = wait(lambda: (re.search(r'msg="serving metrics".* port=(\d+)', open(log_path).read()) or [None, None])[1], 20)
        check("hami-monitor serves /metrics", port is not None, open(log_path).read())
        labels = ['namespace="default"', f'pod="{pod_name}"', 'container="main"', f'device_uuid="{GPU_UUID}"']
        text = wait(lambda: (lambda t: t if sample(t, "hami_vgpu_memory_used_bytes", labels) == 100 * MIB else None)(scrape(port)), 30) or scrape(port)
        check("pod's usage in /metrics (pod name from the API)",
              sample(text, "hami_vgpu_memory_used_bytes", labels) == 100 * MIB, text[-3000:])
        check("pod's limit in /metrics", sample(text, "hami_vgpu_memory_limit_bytes", labels) == 3000 * MIB)
        check("pod's core limit in /metrics", sample(text, "hami_vgpu_core_limit_ratio", labels) == 30)
        check("host GPU in /metrics", sample(text, "hami_host_gpu_memory_used_bytes",
                                             [f'node="{NODE}"', f'device_uuid="{GPU_UUID}"']) is not None)

        smi = subprocess.run([os.environ["HAMI_BIN"], "smi", "--cluster", "--kubeconfig", ENV["KUBECONFIG"],
                              "--monitor-url", f"{NODE}=http://127.0.0.1:{port}/metrics"],
                             capture_output=True, text=True, timeout=60)
        slice_line = [l for l in smi.stdout.splitlines() if f"default/{pod_name}/main" in l]
        check("hami smi --cluster shows the slice with its used value",
              smi.returncode == 0 and slice_line and "100Mi/2.9Gi" in slice_line[0] and "30%" in slice_line[0],
              smi.stdout + smi.stderr)
        print(smi.stdout, flush=True)

        probe.stdin.close()
        probe.wait(timeout=30)
        kubectl("delete", "pod", pod_name, "-n", "default", "--grace-period=0", "--force")
        check("directory of the deleted pod removed", wait(lambda: not os.path.exists(cdir), 30),
              open(log_path).read()[-2000:])
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        kubectl("delete", "pod", pod_name, "-n", "default", "--grace-period=0", "--force", check=False)
        kubectl("delete", "node", NODE, check=False)
        shutil.rmtree(work, ignore_errors=True)
    return report("monitor e2e")


if __name__ == "__main__":
    sys.exit(main())
