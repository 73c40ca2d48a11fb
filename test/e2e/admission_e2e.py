#!/usr/bin/env python3
"""The webhook's isolation rules through the real API server of the local plane (label e2e,
fixture e2e_plane): each pod that asks for a GPU and sets a field that would disable GPU isolation
is created with kubectl and must be refused with the message naming the field, whatever its
schedulerName and whichever vendor's resource it asks for; it must not exist afterwards. Pods
that do not touch isolation, and pods without GPUs, are admitted (server-side dry run, so nothing
is scheduled) and GPU pods get hami-scheduler's schedulerName.

Usage: admission_e2e.py ENV_FILE. Exit 0 when every check passes."""
import copy
import json
import sys

from e2e_lib import check, kubectl, load_env, report

NS = "default"


def gpu_pod(name, container=None, spec=None, limits=None):
    c = {"name": "c", "image": "cuda",
         "resources": {"limits": limits or {"nvidia.com/gpu": "1", "nvidia.com/gpumem": "1000"}}}
    c.update(container or {})
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS},
           "spec": {"containers": [c]}}
    pod["spec"].update(spec or {})
    return pod


def env(name, value):
    return {"env": [{"name": name, "value": value}]}


def caps(*add):
    return {"securityContext": {"capabilities": {"add": list(add)}}}


def host_path(name, path):
    return {"volumes": [{"name": name, "hostPath": {"path": path}}]}


def labelled(pod, labels):
    pod["metadata"]["labels"] = labels
    return pod


# (pod, the denial message)
DENIED = [
    (gpu_pod("env-disable-control", env("CUDA_DISABLE_CONTROL", "true")),
     "container c: env CUDA_DISABLE_CONTROL disables GPU isolation"),
    (gpu_pod("env-memory-limit", env("CUDA_DEVICE_MEMORY_LIMIT_0", "100g")),
     "container c: env CUDA_DEVICE_MEMORY_LIMIT_0 disables GPU isolation"),
    (gpu_pod("env-sm-limit", env("CUDA_DEVICE_SM_LIMIT", "100")),
     "container c: env CUDA_DEVICE_SM_LIMIT disables GPU isolation"),
    (gpu_pod("env-region-path", env("CUDA_DEVICE_MEMORY_SHARED_CACHE", "/tmp/mine.cache")),
     "container c: env CUDA_DEVICE_MEMORY_SHARED_CACHE disables GPU isolation"),
    (gpu_pod("env-ld-preload", env("LD_PRELOAD", "/opt/bypass.so")),
     "container c: env LD_PRELOAD disables GPU isolation"),
    (gpu_pod("env-priority", env("CUDA_TASK_PRIORITY", "0")),
     "container c: env CUDA_TASK_PRIORITY disables GPU isolation"),
    (gpu_pod("env-value-from", {"env": [{"name": "CUDA_DEVICE_MEMORY_LIMIT", "valueFrom": {
        "configMapKeyRef": {"name": "limits", "key": "mem"}}}]}),
     "container c: env CUDA_DEVICE_MEMORY_LIMIT (valueFrom) disables GPU isolation"),
    (gpu_pod("env-from", {"envFrom": [{"configMapRef": {"name": "settings"}}]}),
     "container c: envFrom configMapRef settings may set env that disables GPU isolation"),
    (gpu_pod("privileged", {"securityContext": {"privileged": True}}), "container c is privileged"),
    (gpu_pod("host-pid", spec={"hostPID": True}), "spec.hostPID disables GPU isolation"),
    (gpu_pod("host-ipc", spec={"hostIPC": True}), "spec.hostIPC disables GPU isolation"),
    (gpu_pod("sys-admin", caps("SYS_ADMIN")),
     "container c: securityContext.capabilities.add SYS_ADMIN disables GPU isolation"),
    (gpu_pod("sys-ptrace", caps("SYS_PTRACE")),
     "container c: securityContext.capabilities.add SYS_PTRACE disables GPU isolation"),
    (gpu_pod("driver-node", spec=host_path("gpu", "/dev/nvidia0")),
     "volume gpu: hostPath /dev/nvidia0 exposes /dev/nvidia* and disables GPU isolation"),
    (gpu_pod("region-dir", spec=host_path("regions", "/usr/local/vgpu/containers")),
     "volume regions: hostPath /usr/local/vgpu/containers exposes /usr/local/vgpu and disables "
     "GPU isolation"),
    (gpu_pod("other-scheduler", {"securityContext": {"privileged": True}},
             spec={"schedulerName": "volcano"}),
     "container c is privileged"),
    (gpu_pod("default-scheduler-env", env("CUDA_DISABLE_CONTROL", "true"),
             spec={"schedulerName": "default-scheduler"}),
     "container c: env CUDA_DISABLE_CONTROL disables GPU isolation"),
    (gpu_pod("mig-privileged", {"securityContext": {"privileged": True}},
             limits={"nvidia.com/mig-1g.5gb": "1"}),
     "container c is privileged"),
    (gpu_pod("hygon-host-pid", spec={"hostPID": True}, limits={"hygon.com/dcunum": "1"}),
     "spec.hostPID disables GPU isolation"),
    (gpu_pod("sidecar-all-gpus", spec={"containers": [
        gpu_pod("x")["spec"]["containers"][0],
        {"name": "side", "image": "busybox", "env": [{"name": "NVIDIA_VISIBLE_DEVICES", "value": "all"}]}]}),
     "container side: env NVIDIA_VISIBLE_DEVICES disables GPU isolation"),
    (labelled(gpu_pod("ignore-label-privileged", {"securityContext": {"privileged": True}},
                      spec={"schedulerName": "hami-scheduler"}), {"hami.io/webhook": "ignore"}),
     "container c is privileged"),
    (gpu_pod("init-privileged", spec={"initContainers": [
        {"name": "setup", "image": "busybox", "securityContext": {"privileged": True}}]}),
     "container setup is privileged"),
]


def create(pod):
    return kubectl("create", "-f", "-", input=json.dumps(pod), check=False)


def dry_run(pod):
    r = kubectl("create", "--dry-run=server", "-o", "json", "-f", "-", input=json.dumps(pod), check=False)
    return r, (json.loads(r.stdout) if r.returncode == 0 else None)


def test_denied():
    for pod, message in DENIED:
        name = pod["metadata"]["name"]
        r = create(pod)
        check(f"{name}: denied naming the field ({message})",
              r.returncode != 0 and 'admission webhook "vgpu.hami.io" denied the request' in r.stderr
              and message in r.stderr, r.stderr.strip() or r.stdout.strip())
        gone = kubectl("get", "pod", name, "-n", NS, check=False)
        check(f"{name}: not created", gone.returncode != 0 and "NotFound" in gone.stderr, gone.stdout)


def test_admitted():
    fine = [
        gpu_pod("plain"),
        gpu_pod("priority-by-resource", env("CUDA_TASK_PRIORITY", "0"),
                limits={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "1000", "nvidia.com/priority": "0"}),
        gpu_pod("harmless", {"env": [{"name": "CUDA_VISIBLE_DEVICES", "value": "0"}],
                             "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}},
                spec=host_path("data", "/data/sets")),
    ]
    for pod in fine:
        r, out = dry_run(pod)
        check(f"{pod['metadata']['name']}: admitted with hami-scheduler's schedulerName",
              out is not None and out["spec"].get("schedulerName") == "hami-scheduler",
              r.stderr.strip())
    r, out = dry_run(labelled(gpu_pod("ignore-label"), {"hami.io/webhook": "ignore"}))
    check("a GPU pod labelled hami.io/webhook=ignore is admitted untouched",
          out is not None and out["spec"].get("schedulerName") == "default-scheduler", r.stderr.strip())
    no_gpu = copy.deepcopy(DENIED[8][0])  # privileged
    no_gpu["metadata"]["name"] = "privileged-without-gpu"
    no_gpu["spec"]["containers"][0]["resources"] = {}
    no_gpu["spec"]["hostPID"] = True
    r, out = dry_run(no_gpu)
    check("a privileged hostPID pod without GPUs is not the webhook's to deny",
          out is not None and out["spec"].get("schedulerName") == "default-scheduler", r.stderr.strip())


def main():
    load_env(sys.argv[1])
    test_denied()
    test_admitted()
    return report("admission e2e")


if __name__ == "__main__":
    sys.exit(main())
