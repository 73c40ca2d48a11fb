#!/usr/bin/env python3
"""Benchmark helper for hami-scheduler on the local control plane (Python 3 stdlib only).

Reads the plane from the environment written by hack/local-up.sh (source $HAMI_LOCAL_DIR/env):
API_SERVER, API_TOKEN, PKI_DIR, EXTENDER_URL, METRICS_PORT, SCHED_PORT.

Subcommands (each prints one JSON object on stdout, progress on stderr):
  nodes          create N simulated GPU nodes PREFIX-0..N-1 (same shape as hack/lib/nodes.sh)
  wait-registered  poll hami-scheduler /metrics until >= G GPUs are known (hami_gpu_memory_limit_bytes)
  throughput     create M pods (baseline: no GPU, default-scheduler; gpu: nvidia.com/gpu + gpumem,
                 hami-scheduler via the webhook), watch until all are bound, report pods/s
  verify         check every GPU stays within its memory / core / slot capacity (pod annotations vs
                 node register annotations) and that annotations agree with spec.nodeName
  filter-latency POST ExtenderArgs (nodeCacheCapable form) to /filter, report p50/p90/p99
  cleanup        delete the benchmark pods (grace period 0)
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import signal
import ssl
import statistics
import sys
import threading
import time
import urllib.parse
import http.client
import uuid

NS = "hami-bench"


def log(*a):
    print("[hami_bench %s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


class Client:
    """Tiny HTTPS JSON client; one keep-alive connection per thread."""

    def __init__(self, base, token=None, cafile=None, timeout=60, cert=None):
        u = urllib.parse.urlparse(base)
        self.https = u.scheme == "https"
        self.host = u.hostname
        self.port = u.port or (443 if self.https else 80)
        self.token = token
        self.timeout = timeout
        self.ctx = None
        if self.https:
            self.ctx = ssl.create_default_context(cafile=cafile)
            if cert:
                self.ctx.load_cert_chain(*cert)
        self.local = threading.local()

    def _conn(self, fresh=False):
        c = getattr(self.local, "conn", None)
        if c is None or fresh:
            if c is not None:
                c.close()
            if self.https:
                c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=self.timeout)
            else:
                c = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.local.conn = c
        return c

    def new_conn(self, timeout=None):
        if self.https:
            return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def headers(self, ctype="application/json"):
        h = {"Accept": "application/json", "Content-Type": ctype}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        return h

    def raw(self, method, path, body=None, ctype="application/json"):
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        for attempt in range(3):
            c = self._conn(fresh=attempt > 0)
            try:
                c.request(method, path, body=data, headers=self.headers(ctype))
                r = c.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                if attempt == 2:
                    raise
        raise RuntimeError("unreachable")

    def json(self, method, path, body=None, ok=(200, 201, 202), ctype="application/json"):
        st, data = self.raw(method, path, body, ctype)
        if st not in ok:
            raise RuntimeError("%s %s -> %d %s" % (method, path, st, data[:300]))
        return json.loads(data) if data else None


def api_client():
    return Client(os.environ["API_SERVER"], os.environ.get("API_TOKEN", "hami-local-token"),
                  os.path.join(os.environ["PKI_DIR"], "ca.crt"))


def ensure_namespace(api):
    st, _ = api.raw("GET", "/api/v1/namespaces/" + NS)
    if st == 404:
        api.json("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": NS}}, ok=(201, 409))


def parallel(fn, items, threads):
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as ex:
        return list(ex.map(fn, items))


# ---------------------------------------------------------------- nodes

def register_json(node, gpus, devmem, devcore, slots, gtype):
    return json.dumps([{"id": "GPU-%s-%d" % (node, i), "index": i, "count": slots, "devmem": devmem,
                        "devcore": devcore, "type": gtype, "numa": 0, "mode": "hami-core",
                        "health": True} for i in range(gpus)], separators=(",", ":"))


def node_object(name, gpus, devmem, devcore, slots, gtype):
    now = datetime.datetime.now(datetime.timezone.utc)
    res = {"cpu": "32", "memory": "256Gi", "pods": "110", "nvidia.com/gpu": str(gpus * slots)}
    ts = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                       "kubernetes.io/arch": "amd64", "gpu": "on", "hami.io/bench": "1"},
            "annotations": {
                "hami.io/node-nvidia-register": register_json(name, gpus, devmem, devcore, slots, gtype),
                "hami.io/node-handshake": "Reported " + now.strftime("%Y-%m-%d %H:%M:%S.%f000 +0000 UTC"),
            },
        },
        "status": {"capacity": res, "allocatable": res,
                   "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                   "message": "simulated node", "lastHeartbeatTime": ts,
                                   "lastTransitionTime": ts}]},
    }


def cmd_nodes(a):
    api = api_client()
    names = ["%s-%d" % (a.prefix, i) for i in range(a.start, a.start + a.count)]
    t0 = time.time()

    def create(n):
        st, data = api.raw("POST", "/api/v1/nodes", node_object(n, a.gpus, a.devmem, a.devcore, a.slots, a.type))
        if st not in (201, 409):
            raise RuntimeError("create node %s: %d %s" % (n, st, data[:200]))
    parallel(create, names, a.threads)
    dt = time.time() - t0
    log("created %d nodes in %.1fs" % (len(names), dt))
    print(json.dumps({"nodes": len(names), "seconds": round(dt, 2)}))


def metric_gpu_count():
    c = http.client.HTTPConnection("127.0.0.1", int(os.environ["METRICS_PORT"]), timeout=30)
    c.request("GET", "/metrics")
    body = c.getresponse().read().decode()
    c.close()
    return sum(1 for l in body.splitlines() if l.startswith("hami_gpu_memory_limit_bytes{"))


def cmd_wait_registered(a):
    t0 = time.time()
    n = 0
    while time.time() - t0 < a.timeout:
        n = metric_gpu_count()
        if n >= a.gpus:
            dt = time.time() - t0
            log("hami-scheduler knows %d GPUs after %.1fs" % (n, dt))
            print(json.dumps({"gpus": n, "seconds": round(dt, 2)}))
            return 0
        time.sleep(0.5)
    log("timeout: hami-scheduler knows %d of %d GPUs" % (n, a.gpus))
    return 1


# ---------------------------------------------------------------- throughput

def pod_object(name, run, mode, gpumem):
    res = {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "10m", "memory": "16Mi"}}
    if mode == "gpu":
        res["limits"].update({"nvidia.com/gpu": "1", "nvidia.com/gpumem": str(gpumem)})
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": {"hami-bench-run": run, "hami-bench-mode": mode}},
        "spec": {
            # baseline pods name default-scheduler explicitly; GPU pods get hami-scheduler from the webhook
            "schedulerName": "default-scheduler",
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10", "resources": res}],
        },
    }


def percentile(sorted_vals, p):
    if not sorted_vals:
        return None
    k = (len(sorted_vals) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(sorted_vals) - 1)
    return sorted_vals[f] + (sorted_vals[c] - sorted_vals[f]) * (k - f)


class BindWatcher(threading.Thread):
    """Watches pods of one run; records the first time each pod is seen with spec.nodeName."""

    def __init__(self, api, run, expected):
        super().__init__(daemon=True)
        self.api, self.run_id, self.expected = api, run, expected
        self.bound = {}          # name -> time seen bound
        self.scheduler = {}      # name -> schedulerName
        self.done = threading.Event()
        self.ready = threading.Event()
        self.stop = False
        self.error = None

    def _record(self, pod, now):
        name = pod["metadata"]["name"]
        if pod.get("spec", {}).get("nodeName") and name not in self.bound:
            self.bound[name] = now
            self.scheduler[name] = pod["spec"].get("schedulerName")
            if len(self.bound) >= self.expected:
                self.done.set()

    def run(self):
        sel = urllib.parse.quote("hami-bench-run=" + self.run_id)
        try:
            while not self.stop and not self.done.is_set():
                lst = self.api.json("GET", "/api/v1/namespaces/%s/pods?labelSelector=%s" % (NS, sel))
                now = time.time()
                for p in lst["items"]:
                    self._record(p, now)
                rv = lst["metadata"]["resourceVersion"]
                self.ready.set()
                conn = self.api.new_conn(timeout=None)
                conn.request("GET", "/api/v1/namespaces/%s/pods?watch=1&labelSelector=%s&resourceVersion=%s"
                             "&timeoutSeconds=3600" % (NS, sel, rv), headers=self.api.headers())
                r = conn.getresponse()
                if r.status != 200:
                    raise RuntimeError("watch -> %d %s" % (r.status, r.read()[:200]))
                while not self.stop and not self.done.is_set():
                    line = r.readline()
                    if not line:
                        break
                    ev = json.loads(line)
                    if ev.get("type") == "ERROR":
                        break
                    self._record(ev["object"], time.time())
                conn.close()
        except Exception as e:  # noqa: BLE001
            self.error = e
            self.ready.set()
            self.done.set()


def cpu_seconds(pid):
    """utime + stime of a process (all its threads) from /proc, in seconds; None if it is gone."""
    try:
        fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def kube_scheduler_algorithm_seconds():
    """(sum, count) of kube-scheduler's scheduler_scheduling_algorithm_duration_seconds: the serial
    part of its loop (filter, extender /filter call included, and score). Read from its secure port
    (SCHED_PORT, self-signed serving cert) with the plane's token; None when unavailable."""
    port = os.environ.get("SCHED_PORT")
    if not port:
        return None
    try:
        conn = http.client.HTTPSConnection("127.0.0.1", int(port), timeout=10,
                                           context=ssl._create_unverified_context())
        conn.request("GET", "/metrics", headers={
            "Authorization": "Bearer " + os.environ.get("API_TOKEN", "hami-local-token")})
        text = conn.getresponse().read().decode()
    except (OSError, ValueError):
        return None
    found = {}
    for line in text.splitlines():
        for suffix in ("sum", "count"):
            if line.startswith("scheduler_scheduling_algorithm_duration_seconds_%s " % suffix):
                found[suffix] = float(line.split()[1])
    return (found["sum"], found["count"]) if len(found) == 2 else None


def parse_cpu_pids(spec):
    """'name=pid,name=pid' -> {name: pid}; empty pids are skipped (a component not running)."""
    out = {}
    for item in filter(None, (spec or "").split(",")):
        name, _, pid = item.partition("=")
        if pid.strip():
            out[name] = int(pid)
    return out


def cmd_throughput(a):
    api = api_client()
    ensure_namespace(api)
    run = a.run or "%s-%s" % (a.mode, uuid.uuid4().hex[:6])
    names = ["%s-%d" % (run, i) for i in range(a.pods)]
    w = BindWatcher(api_client(), run, a.pods)
    w.start()
    w.ready.wait()
    if w.error:
        raise w.error
    alg0 = kube_scheduler_algorithm_seconds()  # before SIGSTOP: a stopped kube-scheduler answers nothing
    if a.pause_pid:
        os.kill(a.pause_pid, signal.SIGSTOP)
    created = {}
    errors = []

    def create(n):
        try:
            obj = api.json("POST", "/api/v1/namespaces/%s/pods" % NS, pod_object(n, run, a.mode, a.gpumem))
            created[n] = (time.time(), obj["spec"].get("schedulerName"))
        except Exception as e:  # noqa: BLE001
            errors.append("%s: %s" % (n, e))

    cpu_pids = parse_cpu_pids(a.cpu_pids)
    cpu0, self0 = {n: cpu_seconds(pid) for n, pid in cpu_pids.items()}, os.times()
    t_create0 = time.time()
    try:
        parallel(create, names, a.threads)
    finally:
        t_create1 = time.time()
        if a.pause_pid:  # the measured span starts now, at resume
            cpu0, self0 = {n: cpu_seconds(pid) for n, pid in cpu_pids.items()}, os.times()
            os.kill(a.pause_pid, signal.SIGCONT)
    t_resume = time.time()
    if errors:
        log("%d create errors, first: %s" % (len(errors), errors[0]))
    n_ok = len(created)
    w.expected = n_ok
    if len(w.bound) >= n_ok:
        w.done.set()
    log("%s: created %d pods in %.2fs (%.0f/s)%s; waiting for binding" % (
        run, n_ok, t_create1 - t_create0, n_ok / max(t_create1 - t_create0, 1e-9),
        " with kube-scheduler paused" if a.pause_pid else ""))
    deadline = time.time() + a.timeout
    last = -1
    while not w.done.wait(5):
        if time.time() > deadline:
            break
        if len(w.bound) != last:
            last = len(w.bound)
            log("%s: %d/%d bound" % (run, last, n_ok))
    cpu1 = {n: cpu_seconds(pid) for n, pid in cpu_pids.items()}
    self1 = os.times()
    alg1 = kube_scheduler_algorithm_seconds()
    w.stop = True
    if w.error:
        log("watch error: %s" % w.error)
    times = sorted(w.bound.values())
    start = t_resume if a.pause_pid else t_create0
    out = {
        "run": run, "mode": a.mode, "pods": a.pods, "created": n_ok, "create_errors": len(errors),
        "bound": len(times), "kube_scheduler_paused_during_create": bool(a.pause_pid),
        "create_seconds": round(t_create1 - t_create0, 3),
        "create_rate": round(n_ok / max(t_create1 - t_create0, 1e-9), 1),
        "scheduler_names": sorted(set(s for _, s in created.values())),
    }
    if times:
        total = times[-1] - start
        out["seconds_to_all_bound"] = round(total, 3)
        out["pods_per_s"] = round(len(times) / total, 1) if total > 0 else None
        out["first_bound_after_s"] = round(times[0] - start, 3)
        # processing rate once binding has started (excludes kube-scheduler's catch-up after SIGCONT)
        if len(times) > 1 and times[-1] > times[0]:
            out["pods_per_s_first_to_last"] = round((len(times) - 1) / (times[-1] - times[0]), 1)
        # steady-state rate between the 10th and 90th percentile bind times (robust to start/tail)
        i10, i90 = int(len(times) * 0.1), int(len(times) * 0.9) - 1
        if i90 > i10 and times[i90] > times[i10]:
            out["pods_per_s_p10_p90"] = round((i90 - i10) / (times[i90] - times[i10]), 1)
        lat = sorted(w.bound[n] - max(created[n][0], start) for n in w.bound if n in created)
        out["create_to_bound_p50_s"] = round(percentile(lat, 50), 3)
        out["create_to_bound_p99_s"] = round(percentile(lat, 99), 3)
        # CPU per bound pod of each component from resume (or first create) to the last bind: on a
        # shared machine the throughput ratio is about the ratio of these sums.
        cpu = {n: (cpu1[n] - cpu0[n]) for n in cpu_pids if cpu0[n] is not None and cpu1[n] is not None}
        cpu["bench-driver"] = (self1.user + self1.system) - (self0.user + self0.system)
        out["cpu_ms_per_pod"] = {n: round(1000 * v / len(times), 2) for n, v in sorted(cpu.items())}
        out["cpu_ms_per_pod_total"] = round(1000 * sum(cpu.values()) / len(times), 2)
        if alg0 and alg1 and alg1[1] > alg0[1]:
            out["kube_scheduler_algorithm_ms_per_pod"] = round(
                1000 * (alg1[0] - alg0[0]) / (alg1[1] - alg0[1]), 3)
    log(json.dumps(out))
    print(json.dumps(out))
    return 0 if len(times) == n_ok and n_ok == a.pods else 1


# ---------------------------------------------------------------- verify

def parse_devices(ann):
    """hami.io/vgpu-devices-allocated: containers separated by ';', devices by ':',
    device = UUID,TYPE,MEM,CORES. Returns [(uuid, mem, cores)]."""
    out = []
    for ctr in ann.split(";"):
        for dev in ctr.split(":"):
            if not dev.strip():
                continue
            f = dev.split(",")
            out.append((f[0], int(f[2]), int(f[3])))
    return out


def cmd_verify(a):
    api = api_client()
    nodes = api.json("GET", "/api/v1/nodes?labelSelector=" + urllib.parse.quote("gpu=on"))["items"]
    gpus = {}  # uuid -> [node, devmem, devcore, slots]
    for n in nodes:
        reg = n["metadata"].get("annotations", {}).get("hami.io/node-nvidia-register")
        if not reg:
            continue
        for d in json.loads(reg):
            gpus[d["id"]] = [n["metadata"]["name"], d["devmem"], d["devcore"], d["count"]]
    pods = api.json("GET", "/api/v1/namespaces/%s/pods?labelSelector=%s" % (
        NS, urllib.parse.quote("hami-bench-mode=gpu")))["items"]
    used = {}  # uuid -> [mem, cores, n]
    problems = []
    counted = 0
    for p in pods:
        if not p["spec"].get("nodeName"):
            continue
        ann = p["metadata"].get("annotations", {})
        alloc = ann.get("hami.io/vgpu-devices-allocated") or ann.get("hami.io/vgpu-devices-to-allocate")
        name = p["metadata"]["name"]
        if not alloc:
            problems.append("%s bound without device annotation" % name)
            continue
        if ann.get("hami.io/vgpu-node") != p["spec"]["nodeName"]:
            problems.append("%s: vgpu-node %s != nodeName %s" % (name, ann.get("hami.io/vgpu-node"),
                                                                  p["spec"]["nodeName"]))
        counted += 1
        for u, mem, cores in parse_devices(alloc):
            if u not in gpus:
                problems.append("%s: unknown GPU %s" % (name, u))
                continue
            if gpus[u][0] != p["spec"]["nodeName"]:
                problems.append("%s: GPU %s is on %s, pod on %s" % (name, u, gpus[u][0], p["spec"]["nodeName"]))
            s = used.setdefault(u, [0, 0, 0])
            s[0] += mem
            s[1] += cores
            s[2] += 1
    for u, (mem, cores, n) in used.items():
        _, devmem, devcore, slots = gpus[u]
        if mem > devmem or cores > devcore or n > slots:
            problems.append("GPU %s over capacity: mem %d/%d cores %d/%d slots %d/%d" % (
                u, mem, devmem, cores, devcore, n, slots))
    out = {"gpu_pods_bound": counted, "gpus_used": len(used), "nodes_used": len({gpus[u][0] for u in used}),
           "max_pods_per_gpu": max((v[2] for v in used.values()), default=0),
           "max_mem_per_gpu": max((v[0] for v in used.values()), default=0),
           "problems": problems[:20], "problem_count": len(problems)}
    log(json.dumps(out))
    print(json.dumps(out))
    return 0 if not problems else 1


# ---------------------------------------------------------------- filter latency

def cmd_filter_latency(a):
    pki = os.environ["PKI_DIR"]
    client_cert = (os.path.join(pki, "extender-client.crt"), os.path.join(pki, "extender-client.key"))
    ext = Client(os.environ["EXTENDER_URL"], None, os.path.join(pki, "ca.crt"),
                 cert=client_cert if os.path.exists(client_cert[0]) else None)
    api = api_client()
    ensure_namespace(api)
    names = ["%s-%d" % (a.prefix, i) for i in range(a.start, a.start + a.nodes)]
    tag = uuid.uuid4().hex[:6]

    # /filter decides only for pods the API server has (pending, same UID): create them under a
    # scheduler name nobody serves, so they stay pending while we filter them.
    def args_for(i):
        pod = pod_object("filter-%s-%d" % (tag, i), "filter-" + tag, "gpu", a.gpumem)
        pod["metadata"]["labels"]["hami-bench-run"] = "filter-" + tag
        pod["spec"]["schedulerName"] = "hami-bench-unscheduled"
        pod = api.json("POST", "/api/v1/namespaces/%s/pods" % NS, pod)
        return json.dumps({"Pod": pod, "Nodes": None, "NodeNames": names}).encode()

    bodies = parallel(args_for, range(a.warmup + a.calls), 16)
    lat, failed, nfeasible = [], 0, []
    for i, body in enumerate(bodies):
        t = time.perf_counter()
        st, data = ext.raw("POST", "/filter", body)
        dt = time.perf_counter() - t
        r = json.loads(data) if st == 200 else {}
        ok = st == 200 and not r.get("Error") and r.get("NodeNames")
        if i >= a.warmup:
            lat.append(dt * 1000)
            if not ok:
                failed += 1
            else:
                nfeasible.append(len(r["NodeNames"]))
        if not ok and failed == 1 and i >= a.warmup:
            log("filter failed: %d %s" % (st, data[:300]))
    lat.sort()
    out = {"nodes": a.nodes, "calls": len(lat), "failed": failed, "request_bytes": len(bodies[-1]),
           "returned_nodes": sorted(set(nfeasible))[:5],
           "p50_ms": round(percentile(lat, 50), 3), "p90_ms": round(percentile(lat, 90), 3),
           "p99_ms": round(percentile(lat, 99), 3), "mean_ms": round(statistics.mean(lat), 3),
           "max_ms": round(lat[-1], 3)}
    log(json.dumps(out))
    print(json.dumps(out))
    api.raw("DELETE", "/api/v1/namespaces/%s/pods?labelSelector=hami-bench-run%%3Dfilter-%s" % (NS, tag),
            {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0})
    return 0 if failed == 0 else 1


def cmd_cleanup(a):
    api = api_client()
    sel = urllib.parse.quote(a.selector)
    st, data = api.raw("DELETE", "/api/v1/namespaces/%s/pods?labelSelector=%s&gracePeriodSeconds=0" % (NS, sel),
                       {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0})
    log("cleanup %s -> %d" % (a.selector, st))
    return 0 if st == 200 else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("nodes")
    s.add_argument("--prefix", default="bench")
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--start", type=int, default=0)
    s.add_argument("--gpus", type=int, default=4)
    s.add_argument("--devmem", type=int, default=16384)
    s.add_argument("--devcore", type=int, default=100)
    s.add_argument("--slots", type=int, default=10)
    s.add_argument("--type", default="NVIDIA-Tesla T4")
    s.add_argument("--threads", type=int, default=16)
    s.set_defaults(fn=cmd_nodes)
    s = sub.add_parser("wait-registered")
    s.add_argument("--gpus", type=int, required=True)
    s.add_argument("--timeout", type=float, default=300)
    s.set_defaults(fn=cmd_wait_registered)
    s = sub.add_parser("throughput")
    s.add_argument("--mode", choices=["baseline", "gpu"], required=True)
    s.add_argument("--pods", type=int, required=True)
    s.add_argument("--run")
    s.add_argument("--gpumem", type=int, default=1000)
    s.add_argument("--threads", type=int, default=16)
    s.add_argument("--timeout", type=float, default=600)
    s.add_argument("--pause-pid", type=int, default=0,
                   help="SIGSTOP this pid (kube-scheduler) while creating, SIGCONT after: measures a backlog")
    s.add_argument("--cpu-pids", default="",
                   help="name=pid,... : report each one's CPU ms per bound pod (from /proc/PID/stat)")
    s.set_defaults(fn=cmd_throughput)
    s = sub.add_parser("verify")
    s.set_defaults(fn=cmd_verify)
    s = sub.add_parser("filter-latency")
    s.add_argument("--prefix", default="bench")
    s.add_argument("--nodes", type=int, required=True)
    s.add_argument("--start", type=int, default=0)
    s.add_argument("--calls", type=int, default=200)
    s.add_argument("--warmup", type=int, default=10)
    s.add_argument("--gpumem", type=int, default=1000)
    s.set_defaults(fn=cmd_filter_latency)
    s = sub.add_parser("cleanup")
    s.add_argument("--selector", default="hami-bench-run")
    s.set_defaults(fn=cmd_cleanup)
    a = p.parse_args()
    sys.exit(a.fn(a) or 0)


if __name__ == "__main__":
    main()
