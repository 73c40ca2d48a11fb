#!/usr/bin/env python3
"""End-to-end tests of hami-scheduler on the real local control plane (kube-apiserver, kube-scheduler
with our extender, our webhook). GPU nodes are API objects with register annotations (no kubelet).

Usage: scheduler_e2e.py ENV_FILE   (the env file written by hack/local-up.sh)
Exit 0 when every check passes; prints one line per check."""
import json
import os
import random
import signal
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "hack", "lib"))
from device_plugin_standin import DevicePluginStandIn  # noqa: E402

from e2e_lib import ENV, allocated, check, events, kubectl, load_env, over_committed, report  # noqa: E402


def gpu(uuid, index, mem=16000, model="NVIDIA-Tesla T4", count=10, numa=0):
    return {"id": uuid, "index": index, "count": count, "devmem": mem, "devcore": 100,
            "type": model, "numa": numa, "mode": "hami-core", "health": True}


def create_node(name, gpus):
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"gpu": "on", "kubernetes.io/hostname": name},
                         "annotations": {"hami.io/node-nvidia-register": json.dumps(gpus)}},
            "status": {"capacity": {"cpu": "64", "memory": "256Gi", "pods": "500",
                                    "nvidia.com/gpu": str(10 * len(gpus))},
                       "allocatable": {"cpu": "64", "memory": "256Gi", "pods": "500",
                                       "nvidia.com/gpu": str(10 * len(gpus))},
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "message": "e2e"}]}}
    kubectl("apply", "-f", "-", input=json.dumps(node))


def pod(name, ns="default", limits=None, annotations=None, privileged=False):
    c = {"name": "main", "image": "cuda", "resources": {"limits": limits or {}}}
    if privileged:
        c["securityContext"] = {"privileged": True}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "annotations": annotations or {}},
            "spec": {"containers": [c]}}


def apply(obj):
    return kubectl("apply", "-f", "-", input=json.dumps(obj), check=False)


def get_pod(name, ns="default"):
    r = kubectl("get", "pod", name, "-n", ns, "-o", "json", check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def wait_bound(name, ns="default", timeout=40):
    deadline = time.time() + timeout
    while time.time() < deadline:
        p = get_pod(name, ns)
        if p and p["spec"].get("nodeName"):
            return p
        time.sleep(0.3)
    return get_pod(name, ns)


def wait_event(name, reason, ns="default", timeout=40):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for e in events(name, ns):
            if e.get("reason") == reason:
                return e
        time.sleep(0.5)
    return None


def delete_pods(ns="default"):
    kubectl("delete", "pods", "--all", "-n", ns, "--grace-period=0", "--force", "--wait=false",
            check=False)
    deadline = time.time() + 60
    while time.time() < deadline:
        r = kubectl("get", "pods", "-n", ns, "-o", "name", check=False)
        if not r.stdout.strip():
            return
        time.sleep(0.5)


def placements(names, ns="default"):
    out = {}
    for n in names:
        p = wait_bound(n, ns)
        out[n] = (p["spec"].get("nodeName"), [d[0] for d in allocated(p)]) if p else (None, [])
    return out


def test_policies():
    """The four node/GPU policy combinations, each on a clean two-node cluster."""
    for node_policy, gpu_policy in [("binpack", "binpack"), ("binpack", "spread"),
                                    ("spread", "binpack"), ("spread", "spread")]:
        ann = {"hami.io/node-scheduler-policy": node_policy, "hami.io/gpu-scheduler-policy": gpu_policy,
               "nvidia.com/use-gputype": "T4"}
        limits = {"nvidia.com/gpu": "1", "nvidia.com/gpumem": "1000", "nvidia.com/gpucores": "10"}
        names = [f"p-{node_policy}-{gpu_policy}-{i}" for i in range(2)]
        for n in names:
            apply(pod(n, limits=limits, annotations=ann))
            wait_bound(n)
        got = placements(names)
        (n0, g0), (n1, g1) = got[names[0]], got[names[1]]
        if node_policy == "binpack":
            ok = n0 is not None and n0 == n1 and ((g0 == g1) == (gpu_policy == "binpack"))
        else:
            ok = n0 is not None and n1 is not None and n0 != n1
        check(f"policy node={node_policy} gpu={gpu_policy}", ok, str(got))
        delete_pods()


def test_selection_and_exclusive():
    apply(pod("want-a100", limits={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "2000"},
              annotations={"nvidia.com/use-gputype": "A100"}))
    p = wait_bound("want-a100")
    check("use-gputype A100 lands on the A100 node", p and p["spec"].get("nodeName") == "e2e-a100",
          str(p and p["spec"].get("nodeName")))
    apply(pod("want-uuid", limits={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "2000"},
              annotations={"nvidia.com/use-gpuuuid": "GPU-e2e-t4b-1"}))
    p = wait_bound("want-uuid")
    check("use-gpuuuid picks that GPU", [d[0] for d in allocated(p)] == ["GPU-e2e-t4b-1"],
          str(allocated(p)))
    apply(pod("exclusive", limits={"nvidia.com/gpu": "1"},
              annotations={"nvidia.com/use-gpuuuid": "GPU-e2e-t4a-0"}))
    p = wait_bound("exclusive")
    cores = [d[2] for d in allocated(p)]
    check("gpu-only pod is exclusive (webhook sets gpucores 100)", cores == [100], str(allocated(p)))
    apply(pod("share-attempt", limits={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "100"},
              annotations={"nvidia.com/use-gpuuuid": "GPU-e2e-t4a-0"}))
    e = wait_event("share-attempt", "FilteringFailed")
    p = get_pod("share-attempt")
    check("a pod cannot share an exclusive GPU (Pending, FilteringFailed)",
          e is not None and not p["spec"].get("nodeName"), str(e and e.get("message")))
    delete_pods()


def test_unschedulable_and_denied():
    apply(pod("too-big", limits={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "100000"}))
    e = wait_event("too-big", "FilteringFailed")
    p = get_pod("too-big")
    check("a pod that fits nowhere stays Pending with a FilteringFailed event naming the reason",
          e is not None and "CardInsufficientMemory" in e.get("message", "")
          and not p["spec"].get("nodeName") and p["status"].get("phase") == "Pending",
          str(e and e.get("message")))
    r = apply(pod("privileged", limits={"nvidia.com/gpu": "1"}, privileged=True))
    check("a privileged GPU pod is denied by the webhook",
          r.returncode != 0 and "privileged" in r.stderr, r.stderr.strip())
    r = apply(pod("bad-quantity", limits={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "3Gx"}))
    check("a malformed gpumem is refused with a clear error",
          r.returncode != 0 and ("3Gx" in r.stderr or "quantities must match" in r.stderr), r.stderr.strip())
    p = pod("gib", limits={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "3Gi"})
    apply(p)
    got = wait_bound("gib")
    check("gpumem 3Gi is booked as 3072 MiB", [d[1] for d in allocated(got)] == [3072], str(allocated(got)))
    delete_pods()


def hami_scheduler_cmd():
    """The command line hack/local-up.sh started hami-scheduler with (hack/lib/hami.sh)."""
    return ENV["HAMI_SCHEDULER_CMD"].split()


def hami_scheduler_pids():
    r = subprocess.run(["pgrep", "-f", f"hami-scheduler .*--http_bind 127.0.0.1:{ENV['EXTENDER_PORT']}"],
                       capture_output=True, text=True)
    return [int(x) for x in r.stdout.split()]


def test_burst_with_restart(ns="burst"):
    """200 pods onto 10 nodes x 4 GPUs; hami-scheduler is SIGKILLed and restarted mid-burst. No GPU
    may end over its memory, cores or slots, and every pod ends bound or Pending with a reason."""
    kubectl("create", "namespace", ns, check=False)
    gpus = {}
    for n in range(10):
        devs = [gpu(f"GPU-burst-{n}-{i}", i, mem=24000, model="NVIDIA-L4", count=6) for i in range(4)]
        for d in devs:
            gpus[(f"burst-{n}", d["id"])] = d
        create_node(f"burst-{n}", devs)
    time.sleep(2)
    rng = random.Random(7)
    manifests = []
    for i in range(200):
        limits = {"nvidia.com/gpu": "1", "nvidia.com/gpumem": str(rng.choice([1000, 2000, 4000, 8000])),
                  "nvidia.com/gpucores": str(rng.choice([5, 10, 20, 30]))}
        manifests.append(pod(f"burst-{i}", ns=ns, limits=limits, annotations={"nvidia.com/use-gputype": "L4"}))
    kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": manifests}))
    # Mid-scheduling: kill hami-scheduler (no chance to clean up), start a fresh one.
    deadline = time.time() + 60
    while time.time() < deadline:
        items = json.loads(kubectl("get", "pods", "-n", ns, "-o", "json").stdout)["items"]
        if sum(1 for p in items if p["spec"].get("nodeName")) >= 20:
            break
        time.sleep(0.3)
    killed = hami_scheduler_pids()
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    check("burst: hami-scheduler killed mid-burst", bool(killed), "no hami-scheduler process found")
    time.sleep(1.0)
    log = open(os.path.join(ENV["LOG_DIR"], "hami-scheduler-restarted.log"), "a")
    subprocess.Popen(hami_scheduler_cmd(), stdout=log, stderr=log, start_new_session=True)
    deadline = time.time() + 240
    while time.time() < deadline:
        items = json.loads(kubectl("get", "pods", "-n", ns, "-o", "json").stdout)["items"]
        pending = [p for p in items if not p["spec"].get("nodeName")]
        # Settled: everything bound, or the rest were refused for lack of room.
        if len(items) > 0 and all(p["spec"].get("nodeName") or
                                  any(e.get("reason") == "FilteringFailed" for e in events(p["metadata"]["name"], ns))
                                  for p in pending):
            break
        time.sleep(2)
    items = json.loads(kubectl("get", "pods", "-n", ns, "-o", "json").stdout)["items"]
    bound = sum(1 for p in items if p["spec"].get("nodeName"))
    over = over_committed(items, gpus)
    no_devices = [p["metadata"]["name"] for p in items if p["spec"].get("nodeName") and not allocated(p)
                  and p["spec"].get("schedulerName") == "hami-scheduler"]
    check(f"burst: 200 pods created, {bound} bound, no GPU over memory/cores/slots",
          len(items) == 200 and not over and bound > 100, f"items={len(items)} over={over}")
    check("burst: every bound hami pod carries its device annotation", not no_devices, str(no_devices[:5]))
    kubectl("delete", "namespace", ns, "--wait=false", check=False)


def post_extender(path, body, cert=None):
    """POSTs `body` to hami-scheduler's TLS port as the holder of pki/<cert>.crt (None: no client
    certificate); returns (status, body text), status -1 when the connection failed."""
    import http.client
    ctx = ssl.create_default_context(cafile=os.path.join(ENV["PKI_DIR"], "ca.crt"))
    if cert:
        ctx.load_cert_chain(os.path.join(ENV["PKI_DIR"], cert + ".crt"),
                            os.path.join(ENV["PKI_DIR"], cert + ".key"))
    conn = http.client.HTTPSConnection("127.0.0.1", int(ENV["EXTENDER_PORT"]), context=ctx, timeout=30)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        res = conn.getresponse()
        return res.status, res.read().decode(errors="replace")
    except OSError as e:
        return -1, str(e)
    finally:
        conn.close()


def test_callers_are_authenticated(ns="e2e-auth"):
    """Issue 14: /filter, /bind and /webhook from anyone but kube-scheduler and the API server."""
    kubectl("create", "namespace", ns, check=False)
    victim = pod("victim", ns=ns)
    victim["spec"]["schedulerName"] = "e2e-nobody"  # stays Pending
    apply(victim)
    uid = get_pod("victim", ns)["metadata"]["uid"]
    bind = json.dumps({"PodName": "victim", "PodNamespace": ns, "PodUID": uid, "Node": "e2e-t4a"})
    review = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                         "request": {"uid": "u", "operation": "CREATE",
                                     "object": pod("x", limits={"nvidia.com/gpu": "1"})}})
    statuses = [post_extender(p, b)[0] for p, b in (("/filter", "{}"), ("/bind", bind), ("/webhook", review))]
    check("/filter, /bind and /webhook without a client certificate are 403", statuses == [403] * 3,
          str(statuses))
    st, _ = post_extender("/webhook", review, "extender-client")
    check("/webhook with kube-scheduler's certificate is 403", st == 403, str(st))
    st, body = post_extender("/bind", bind, "extender-client")
    check("/bind of a pod /filter never decided for binds nothing",
          st == 200 and "no /filter decision" in body and not get_pod("victim", ns)["spec"].get("nodeName"),
          f"{st} {body}")
    fake = pod("ghost", ns=ns, limits={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "1000"})
    fake["metadata"]["uid"] = "00000000-0000-0000-0000-000000000000"
    st, body = post_extender("/filter", json.dumps({"Pod": fake, "NodeNames": ["e2e-t4a"]}), "extender-client")
    check("/filter of a pod the API server does not have books nothing",
          st == 200 and "does not exist" in body, f"{st} {body}")
    deep = "[" * 135000 + "]" * 135000
    st, body = post_extender("/filter", '{"Pod":' + deep + "}", "extender-client")
    check("/filter with 135k nested brackets is 400", st == 400 and "nested deeper" in body, f"{st} {body[:200]}")
    st, _ = post_extender("/webhook", '{"request":' + deep + "}", "webhook-client")
    check("/webhook with 135k nested brackets is 400", st == 400, str(st))
    kubectl("delete", "namespace", ns, "--wait=false", check=False)


def main():
    load_env(sys.argv[1])
    create_node("e2e-t4a", [gpu("GPU-e2e-t4a-0", 0), gpu("GPU-e2e-t4a-1", 1)])
    create_node("e2e-t4b", [gpu("GPU-e2e-t4b-0", 0), gpu("GPU-e2e-t4b-1", 1)])
    create_node("e2e-a100", [gpu("GPU-e2e-a100-0", 0, mem=40960, model="NVIDIA-A100-SXM4-40GB")])
    time.sleep(2)
    stand_in = DevicePluginStandIn(ENV)
    stand_in.start()
    test_policies()
    test_selection_and_exclusive()
    test_unschedulable_and_denied()
    test_callers_are_authenticated()
    test_burst_with_restart()
    return report("e2e")


if __name__ == "__main__":
    sys.exit(main())
