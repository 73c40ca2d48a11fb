#!/usr/bin/env python3
"""Stand-in for hami-device-plugin's bind completion on nodes that are plain API objects (no plugin,
no kubelet; hack/lib/nodes.sh create_gpu_node), as scheduler_e2e.py's policy and 200-pod burst tests
use: for every bound pod in bind-phase `allocating`, set bind-phase `success` and release the HAMi
node lock the pod holds, as the device plugin does after kubelet's Allocate. Simulated nodes with the
real node side (hack/lib/sim_nodes.sh: hami-device-plugin + kubelet-standin) do not need it.
Without it, HAMi's node lock lets each node take only one new GPU pod per lock timeout (5 min).

Usage as a program: device_plugin_standin.py ENV_FILE [SECONDS]   (runs until killed or SECONDS)"""
import json
import os
import ssl
import sys
import threading
import urllib.request


def load_env(path):
    env = {}
    for line in open(path):
        line = line.strip()
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            env[key] = value
    return env


def api(env, method, path, body=None, content_type="application/merge-patch+json"):
    ctx = ssl.create_default_context(cafile=os.path.join(env["PKI_DIR"], "ca.crt"))
    req = urllib.request.Request(env["API_SERVER"] + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + env["API_TOKEN"],
                                          "Content-Type": content_type})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        return json.loads(r.read() or b"{}")


class DevicePluginStandIn(threading.Thread):
    """What hami-device-plugin does after kubelet's Allocate (on API-object nodes only): mark the
    pod's bind-phase success and release the node lock it holds, so the node takes the next pod."""

    def __init__(self, env):
        super().__init__(daemon=True)
        self.env = env
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                pods = api(self.env, "GET", "/api/v1/pods")["items"]
                for p in pods:
                    meta = p["metadata"]
                    ann = meta.get("annotations", {})
                    node = p["spec"].get("nodeName")
                    if not node or ann.get("hami.io/bind-phase") != "allocating":
                        continue
                    api(self.env, "PATCH", f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}",
                        {"metadata": {"annotations": {"hami.io/bind-phase": "success"}}})
                    n = api(self.env, "GET", f"/api/v1/nodes/{node}")
                    lock = n["metadata"].get("annotations", {}).get("hami.io/mutex.lock", "")
                    if lock.endswith(f",{meta['namespace']},{meta['name']}"):
                        api(self.env, "PATCH", f"/api/v1/nodes/{node}",
                            {"metadata": {"resourceVersion": n["metadata"]["resourceVersion"],
                                          "annotations": {"hami.io/mutex.lock": None}}})
            except Exception as e:  # a conflict or a pod deleted meanwhile: next round
                print(f"stand-in: {e}", file=sys.stderr)
            self.stop.wait(0.3)



if __name__ == "__main__":
    stand_in = DevicePluginStandIn(load_env(sys.argv[1]))
    stand_in.start()
    stand_in.join(float(sys.argv[2]) if len(sys.argv) > 2 else None)
