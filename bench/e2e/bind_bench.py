#!/usr/bin/env python3
"""Issue 15's speed target on the local control plane: N pods aimed at ONE simulated 8-GPU node with
the real node side (hami-device-plugin on the simulated driver + kubelet-standin, the kubelet's own
device manager), time from create to all Running and CPU per pod of every component, for

  plain      pods with no GPU (default-scheduler; bound, admitted, reported Running)
  gpu        GPU slices (nvidia.com/gpu 1, gpumem 3000, gpucores 10) bound without a node lock
             (the default protocol)
  gpu-events the same with hami-scheduler --success-events (upstream's FilteringSucceed and
             BindingSucceed events on every pod)
  gpu-lock   the same through upstream's node lock (hami-scheduler --nvidia-node-lock=true,
             hami-device-plugin --node-lock=true: the compatibility mode)

in ROUNDS interleaved rounds on one plane; ratios are taken within the run (medians). Prints one
JSON line per phase (with the API server's requests per pod, by verb, from its
apiserver_request_total) and a summary table on stderr.

Usage: bind_bench.py ENV_FILE [--pods 50] [--rounds 3] [--modes plain,gpu,gpu-events,gpu-lock]
(the plane from hack/local-up.sh, nothing else running on it; HAMI_DP_BIN etc. as for
test/e2e/bind_e2e.py). bench/e2e/bind_bench.sh brings a plane up and runs it."""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "e2e"))
from bind_e2e import (REPLICAS, delete_all, gpu_pod, hami_scheduler_pid, relaunch,  # noqa: E402
                      restart_hami_scheduler, start_node, with_flag)
from e2e_lib import ENV, kubectl, list_pods, load_env, remove_sim_node, sim_nodes, wait  # noqa: E402
from hami_bench import cpu_seconds  # noqa: E402

NODE = "bench-bind"
NS = "bind-bench"


def plain_pod(name, selector):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"nodeSelector": selector, "terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "main", "image": "pause"}]}}


def components():
    node_dir = os.path.join(ENV["HAMI_LOCAL_DIR"], "nodes", NODE)
    return {"etcd": int(ENV["ETCD_PID"]), "kube-apiserver": int(ENV["APISERVER_PID"]),
            "kube-scheduler": int(ENV["SCHEDULER_PID"]),
            "kube-controller-manager": int(ENV["CONTROLLER_MANAGER_PID"]), "hami-scheduler": hami_scheduler_pid(),
            "kubelet-standin": int(open(os.path.join(node_dir, "kubelet.pid")).read()),
            "hami-device-plugin": int(open(os.path.join(node_dir, "plugin.pid")).read())}


# mode -> (node lock, success events); plain pods leave the GPU path as it is.
SETTINGS = {"gpu": (False, False), "gpu-events": (False, True), "gpu-lock": (True, False)}
WRITE_VERBS = ("POST", "PUT", "PATCH", "DELETE", "APPLY")


def configure(lock, events):
    """Restarts hami-scheduler with --nvidia-node-lock=lock --success-events=events, and the node's
    plugin with --node-lock=lock."""
    flag = "true" if lock else "false"
    edit_lock = with_flag("nvidia-node-lock", flag)
    edit_events = with_flag("success-events", "true" if events else "false")
    ok = restart_hami_scheduler(lambda argv: edit_events(edit_lock(argv)))
    pid_file = os.path.join(ENV["HAMI_LOCAL_DIR"], "nodes", NODE, "plugin.pid")
    new = relaunch(int(open(pid_file).read()), os.path.join(ENV["LOG_DIR"], f"device-plugin-{NODE}.log"),
                   with_flag("node-lock", flag))
    open(pid_file, "w").write(str(new))
    r = sim_nodes(f"wait_sim_node {NODE} {REPLICAS} 120")
    return ok and r.returncode == 0


def api_requests():
    """apiserver_request_total summed by verb (GET, LIST, WATCH, POST, PATCH, ...)."""
    out = kubectl("get", "--raw", "/metrics").stdout
    by_verb = {}
    for line in out.splitlines():
        if not line.startswith("apiserver_request_total{"):
            continue
        labels, value = line.rsplit(" ", 1)
        verb = labels.split('verb="', 1)[1].split('"', 1)[0] if 'verb="' in labels else "?"
        by_verb[verb] = by_verb.get(verb, 0.0) + float(value)
    return by_verb


def phase(mode, pods):
    sel = {"kubernetes.io/hostname": NODE}
    if mode == "plain":
        items = [plain_pod(f"p-{i}", sel) for i in range(pods)]
    else:
        items = [gpu_pod(f"g-{i}", NS, 3000, 10, sel) for i in range(pods)]
    procs = components()
    cpu0 = {n: cpu_seconds(p) for n, p in procs.items()}
    requests0 = api_requests()
    t0 = time.time()
    kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    done = wait(lambda: sum(1 for p in list_pods(NS) if p["status"].get("phase") == "Running") == pods,
                600, 0.25)
    took = time.time() - t0
    cpu1 = {n: cpu_seconds(p) for n, p in procs.items()}
    requests1 = api_requests()
    per_pod = {v: round((requests1[v] - requests0.get(v, 0.0)) / pods, 2) for v in requests1
               if requests1[v] - requests0.get(v, 0.0) > 0}
    cpu = {n: round(1000 * (cpu1[n] - cpu0[n]) / pods, 2) for n in procs if cpu0[n] is not None and cpu1[n] is not None}
    row = {"mode": mode, "pods": pods, "all_running": bool(done), "seconds": round(took, 2),
           "cpu_ms_per_pod": cpu, "cpu_ms_per_pod_total": round(sum(cpu.values()), 2),
           "api_requests_per_pod": per_pod,
           "api_writes_per_pod": round(sum(per_pod.get(v, 0.0) for v in WRITE_VERBS), 2),
           "loadavg": open("/proc/loadavg").read().split()[0]}
    print(json.dumps(row), flush=True)
    delete_all(NS)
    wait(lambda: not list_pods(NS), 120, 0.5)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("env")
    ap.add_argument("--pods", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--modes", default="plain,gpu,gpu-events,gpu-lock")
    a = ap.parse_args()
    load_env(a.env)
    modes = a.modes.split(",")
    kubectl("create", "namespace", NS, check=False)
    if not start_node(NODE, "e2e=bind-bench"):
        return 1
    unknown = [m for m in modes if m != "plain" and m not in SETTINGS]
    if unknown:
        print(f"unknown modes {unknown}: plain, {', '.join(SETTINGS)}", file=sys.stderr)
        return 2
    rows = {m: [] for m in modes}
    current = SETTINGS["gpu"]  # what the plane starts with
    try:
        for _ in range(a.rounds):
            for m in modes:
                if m != "plain" and SETTINGS[m] != current:
                    if not configure(*SETTINGS[m]):
                        print(f"switching to {m} failed", file=sys.stderr)
                        return 1
                    current = SETTINGS[m]
                rows[m].append(phase(m, a.pods))
    finally:
        if current != SETTINGS["gpu"]:
            configure(*SETTINGS["gpu"])
        remove_sim_node(NODE)
    med = {m: (statistics.median(r["seconds"] for r in rs), statistics.median(r["cpu_ms_per_pod_total"] for r in rs),
               statistics.median(r["api_writes_per_pod"] for r in rs))
           for m, rs in rows.items() if rs}
    base = med.get("plain")
    print(f"{a.pods} pods onto one 8-GPU simulated node, {a.rounds} rounds (medians):", file=sys.stderr)
    for m, (secs, cpu, writes) in med.items():
        ratio = f"  time x{secs / base[0]:.2f}, CPU x{cpu / base[1]:.2f} of plain" if base and m != "plain" else ""
        print(f"  {m:10s} all Running in {secs:6.1f} s, CPU {cpu:6.1f} ms/pod, {writes:4.1f} API writes/pod{ratio}",
              file=sys.stderr)
        parts = {}
        for r in rows[m]:
            for n, v in r["cpu_ms_per_pod"].items():
                parts.setdefault(n, []).append(v)
        print("            " + ", ".join(f"{n} {statistics.median(v):.1f}" for n, v in parts.items()), file=sys.stderr)
    return 0 if all(r["all_running"] for rs in rows.values() for r in rs) else 1


if __name__ == "__main__":
    sys.exit(main())
