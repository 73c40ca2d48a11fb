#!/usr/bin/env python3
"""A stand-in for hami-scheduler's web UI API (docs/webui-api.md) over made-up data, serving the UI's
assets as hami-scheduler does (GET / and GET /ui/<file>). For developing the UI and for its fast
browser test (webui_mock_test.py); the real browser test runs against hami-scheduler.

    python3 test/webui/mock_api.py --port 8396 --nodes 1000 [--assets src/webui/assets]

Fixed facts the mock test checks: node-0001's GPU 1 is unhealthy, node-0002's monitor is
unreachable (its used values are null), one pod (default/too-big) is pending. POST /mock/pods?name=N
adds a pod on node-0001 GPU 0 and announces a new generation on /api/v1/stream.
"""
import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

MiB = 1 << 20
MODELS = [("NVIDIA", "A100-40GB", 40960, 2), ("NVIDIA", "T4-16GB", 15360, 4), ("NVIDIA", "H100-80GB", 81559, 1)]
ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "webui", "assets")
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css",
         ".svg": "image/svg+xml", ".png": "image/png"}


class State:
    def __init__(self, n_nodes):
        self.lock = threading.Condition()
        self.generation = 1
        self.gpus, self.pods, self.by_node = [], [], {}
        for n in range(1, n_nodes + 1):
            node = f"node-{n:04d}"
            vendor, typ, mem, count = MODELS[(n - 1) % len(MODELS)]
            for i in range(count):
                self.gpus.append({"node": node, "index": i, "uuid": f"GPU-{n:04d}-{i}", "vendor": vendor,
                                  "type": typ, "mode": "hami-core", "health": not (n == 1 and i == 1),
                                  "memoryTotal": mem * MiB})
                self.by_node.setdefault(node, []).append(self.gpus[-1])
        for k, (node, gi, mem, cores) in enumerate([("node-0001", 0, 4000, 30), ("node-0001", 0, 2000, 20),
                                                    ("node-0002", 0, 10000, 50), ("node-0002", 1, 3000, 0)]):
            self.add_pod(f"job-{k}", node, gi, mem, cores)
        self.pending = {"namespace": "default", "name": "too-big", "since": "2024-01-01T00:00:00Z",
                        "reasons": [{"code": "CardInsufficientMemory", "text": "3 nodes: no GPU with 200000 MiB free",
                                     "nodes": 3}]}

    def add_pod(self, name, node, gi, mem, cores):
        gpu = next(g for g in self.gpus if g["node"] == node and g["index"] == gi)
        self.pods.append({"namespace": "default", "name": name, "node": node, "phase": "Running",
                          "gpus": [gpu["uuid"]], "memory": mem * MiB, "cores": cores, "priority": 1,
                          "pendingReason": None})

    def monitored(self, node):
        return node != "node-0002"

    def gpu_view(self, g):
        slices = [p for p in self.pods if g["uuid"] in p["gpus"]]
        used = sum(p["memory"] // 2 for p in slices) if self.monitored(g["node"]) else None
        util = (10.0 * len(slices)) if self.monitored(g["node"]) else None
        return dict(g, memoryAllocated=sum(p["memory"] for p in slices), memoryUsed=used,
                    coresAllocated=sum(p["cores"] for p in slices), utilization=util, slices=len(slices))

    def node_view(self, name):
        gs = [self.gpu_view(g) for g in self.by_node.get(name, [])]
        if not gs:
            return None
        mon = self.monitored(name)
        return {"name": name, "gpus": len(gs), "healthyGpus": sum(g["health"] for g in gs),
                "memoryTotal": sum(g["memoryTotal"] for g in gs),
                "memoryAllocated": sum(g["memoryAllocated"] for g in gs),
                "memoryUsed": sum(g["memoryUsed"] for g in gs) if mon else None,
                "coresAllocated": sum(g["coresAllocated"] for g in gs), "coresTotal": 100 * len(gs),
                "utilization": sum(g["utilization"] for g in gs) / len(gs) if mon else None,
                "pods": len({p["name"] for p in self.pods if p["node"] == name}),
                "monitor": "ok" if mon else "unreachable"}

    def node_names(self):
        return sorted(self.by_node)


def page(items, q, key="name"):
    search = q.get("search", "").lower()
    if search:
        items = [i for i in items if search in json.dumps(i).lower()]
    sort = q.get("sort") or key
    items = sorted(items, key=lambda i: (i.get(sort) is None, i.get(sort) if not isinstance(i.get(sort), list)
                                         else len(i.get(sort))), reverse=q.get("order") == "desc")
    p = max(1, int(q.get("page") or 1))
    size = max(1, min(500, int(q.get("pageSize") or 50)))
    return {"items": items[(p - 1) * size:p * size], "total": len(items), "page": p, "pageSize": size}


class Handler(BaseHTTPRequestHandler):
    state = None
    assets = ASSETS

    def log_message(self, *args):
        pass

    def send(self, code, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        if u.path == "/mock/pods":
            with self.state.lock:
                self.state.add_pod(q["name"], "node-0001", 0, 1000, 10)
                self.state.generation += 1
                self.state.lock.notify_all()
            return self.send(200, {"ok": True})
        self.send(404, {"error": "not found"})

    def do_GET(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        path = u.path
        if path == "/" or path.startswith("/ui/"):
            name = "index.html" if path == "/" else os.path.basename(unquote(path[4:]))
            f = os.path.join(self.assets, name)
            if not os.path.isfile(f):
                return self.send(404, {"error": "no such asset"})
            return self.send(200, open(f, "rb").read(), TYPES.get(os.path.splitext(f)[1], "application/octet-stream"))
        if path == "/api/v1/stream":
            return self.stream()
        with self.state.lock:
            code, body = self.api(path, q)
        self.send(code, body)

    def stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = 0
        try:
            while True:
                with self.state.lock:
                    self.state.lock.wait_for(lambda: self.state.generation != seen, timeout=15)
                    gen = self.state.generation
                msg = f"event: update\ndata: {json.dumps({'generation': gen})}\n\n" if gen != seen else ": keepalive\n\n"
                seen = gen
                self.wfile.write(msg.encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def api(self, path, q):
        s = self.state
        parts = [unquote(p) for p in path.split("/")[1:]]
        if path == "/api/version":
            return 200, {"versions": ["v1"], "build": {"version": "mock"}}
        if parts[:2] != ["api", "v1"] or len(parts) < 3:
            return 404, {"error": "not found"}
        kind, rest = parts[2], parts[3:]
        if kind == "overview" and not rest:
            return 200, self.overview()
        if kind == "nodes":
            if not rest:
                return 200, page([s.node_view(n) for n in s.node_names()], q)
            n = s.node_view(rest[0])
            return (200, dict(n, gpus=[s.gpu_view(g) for g in s.by_node[rest[0]]])) if n else (404, {"error": "no such node"})
        if kind == "gpus":
            gs = [s.gpu_view(g) for g in s.gpus if not q.get("node") or g["node"] == q["node"]]
            if not rest:
                return 200, page(gs, q, "node")
            g = next((g for g in gs if g["uuid"] == rest[0]), None)
            return (200, self.gpu_detail(g)) if g else (404, {"error": "no such GPU"})
        if kind == "pods":
            items = s.pods + [{"namespace": "default", "name": "too-big", "node": None, "phase": "Pending", "gpus": [],
                               "memory": 200000 * MiB, "cores": 0, "priority": None,
                               "pendingReason": s.pending["reasons"][0]["text"]}]
            if not rest:
                return 200, page(items, q)
            p = next((p for p in items if [p["namespace"], p["name"]] == rest[:2]), None)
            return (200, self.pod_detail(p)) if p else (404, {"error": "no such pod"})
        if kind == "pending" and not rest:
            return 200, {"items": [s.pending]}
        return 404, {"error": "not found"}

    def overview(self):
        s = self.state
        nodes = [s.node_view(n) for n in s.node_names()]
        gpus = [s.gpu_view(g) for g in s.gpus]
        models = {}
        for g in gpus:
            m = models.setdefault((g["vendor"], g["type"]), {"vendor": g["vendor"], "type": g["type"], "gpus": 0,
                                                            "memoryTotal": 0, "memoryAllocated": 0, "memoryUsed": 0,
                                                            "coresAllocated": 0})
            m["gpus"] += 1
            for k in ("memoryTotal", "memoryAllocated", "coresAllocated"):
                m[k] += g[k]
            m["memoryUsed"] += g["memoryUsed"] or 0
        tot = lambda k: sum(n[k] for n in nodes)  # noqa: E731
        return {"generatedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "totals": {"nodes": len(nodes), "gpus": tot("gpus"), "healthyGpus": tot("healthyGpus"),
                           "memoryTotal": tot("memoryTotal"), "memoryAllocated": tot("memoryAllocated"),
                           "memoryUsed": sum(n["memoryUsed"] or 0 for n in nodes), "coresTotal": tot("coresTotal"),
                           "coresAllocated": tot("coresAllocated"), "utilization": 7.5, "pods": len(s.pods),
                           "pendingPods": 1},
                "models": list(models.values()),
                "monitors": {"reachable": len(nodes) - 1, "unreachable": ["node-0002"]}}

    def gpu_detail(self, g):
        s = self.state
        slices = [{"namespace": p["namespace"], "pod": p["name"], "container": "main", "memoryLimit": p["memory"],
                   "memoryUsed": p["memory"] // 2 if s.monitored(g["node"]) else None, "cores": p["cores"],
                   "utilization": 10.0 if s.monitored(g["node"]) else None, "priority": p["priority"], "blocked": False}
                  for p in s.pods if g["uuid"] in p["gpus"]]
        now = time.time()
        history = [{"t": now - 10 * (30 - i), "utilization": (i * 7) % 100 if s.monitored(g["node"]) else None,
                    "memoryUsed": (g["memoryUsed"] or 0) * i // 30} for i in range(31)]
        return dict(g, slices=slices, instances=[], history=history)

    def pod_detail(self, p):
        s = self.state
        gpu = next((g for g in s.gpus if g["uuid"] in p["gpus"]), None)
        devices = [{"uuid": gpu["uuid"], "vendor": gpu["vendor"], "type": gpu["type"], "memory": p["memory"],
                    "cores": p["cores"]}] if gpu else []
        limits = {"CUDA_DEVICE_MEMORY_LIMIT_0": f"{p['memory'] // MiB}m",
                  "CUDA_DEVICE_SM_LIMIT": str(p["cores"])} if gpu else {}
        pending = {"since": s.pending["since"], "reasons": s.pending["reasons"]} if p["name"] == "too-big" else None
        events = [{"type": "Warning", "reason": "FilteringFailed", "message": s.pending["reasons"][0]["text"], "count": 3,
                   "lastTimestamp": s.pending["since"]}] if pending else []
        return {"namespace": p["namespace"], "name": p["name"], "uid": "uid-" + p["name"], "node": p["node"],
                "phase": p["phase"], "containers": [{"name": "main", "devices": devices, "limits": limits}],
                "events": events, "pending": pending,
                "kubectl": f"kubectl -n {p['namespace']} describe pod {p['name']}"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8396)
    ap.add_argument("--nodes", type=int, default=12)
    ap.add_argument("--assets", default=ASSETS)
    args = ap.parse_args()
    Handler.state = State(args.nodes)
    Handler.assets = args.assets
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    print(f"mock web UI API on http://127.0.0.1:{srv.server_address[1]}/", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
