#!/usr/bin/env python3
"""hami-scheduler's web UI API on the real local control plane (label e2e, fixture e2e_plane).

A GPU node (API object with a registered A100-40GB, no kubelet: pods are bound, never run), a pod
that fits (kube-scheduler + hami-scheduler bind it there) and one that cannot fit (100000 MiB on
a 40960 MiB GPU). Then, from $WEBUI_URL (the plane's --webui-bind-address): the bound pod is in
/api/v1/pods with its node and GPU, on the GPU's slices and in the node's counts; the other is in
/api/v1/pending with a worded reason from /filter; unknown paths are 404 JSON, bad parameters
400; /api/v1/stream opens with an update event.

Usage: webui_e2e.py ENV_FILE. Exit 0 when every check passes."""
import json
import sys
import urllib.error
import urllib.request

from e2e_lib import ENV, check, create_registered_node, kubectl, load_env, report, wait

NODE = "e2e-webui"
GPU_UUID = "GPU-0e2e0000-aaaa-bbbb-cccc-000000000017"
MIB = 1048576


def create_pod(name, mem):
    kubectl("delete", "pod", name, "-n", "default", "--grace-period=0", "--force", check=False)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
           "spec": {"nodeSelector": {"kubernetes.io/hostname": NODE},
                    "containers": [{"name": "main", "image": "cuda", "resources": {"limits": {
                        "nvidia.com/gpu": "1", "nvidia.com/gpumem": str(mem),
                        "nvidia.com/gpucores": "30"}}}]}}
    kubectl("apply", "-f", "-", input=json.dumps(pod))


def api(path):
    """(status, parsed JSON body or None)."""
    try:
        with urllib.request.urlopen(ENV["WEBUI_URL"].rstrip("/") + path, timeout=10) as r:
            return r.status, json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        try:
            return e.code, json.loads(body)
        except ValueError:
            return e.code, None
    except OSError:
        return 0, None


def find_pod(name, query=""):
    status, body = api("/api/v1/pods?namespace=default&search=" + name + query)
    if status != 200:
        return None
    return next((p for p in body["items"] if p["name"] == name), None)


def pending_entry(name):
    status, body = api("/api/v1/pending")
    if status != 200:
        return None
    e = next((p for p in body["items"] if p["name"] == name), None)
    return e if e and e["reasons"] else None


def check_stream():
    with urllib.request.urlopen(ENV["WEBUI_URL"].rstrip("/") + "/api/v1/stream", timeout=10) as r:
        check("stream is text/event-stream", r.headers.get("Content-Type") == "text/event-stream",
              r.headers.get("Content-Type"))
        first = b""
        while b"}\n\n" not in first:
            chunk = r.read1(4096)
            if not chunk:
                break
            first += chunk
        check("stream opens with an update event", b"event: update\ndata: {\"generation\":" in first,
              first.decode(errors="replace"))


def main():
    load_env(sys.argv[1])
    if not ENV.get("WEBUI_URL"):
        print("no WEBUI_URL in the plane's env file (hami-scheduler without --webui-bind-address)")
        return 1
    fits, too_big = "webui-fits", "webui-too-big"
    try:
        create_registered_node(NODE, GPU_UUID)
        create_pod(fits, 3000)
        create_pod(too_big, 100000)
        seen = wait(lambda: (lambda p: p if p and p["node"] == NODE else None)(find_pod(fits)), 90)
        check("bound pod listed with its node", seen is not None, json.dumps(find_pod(fits)))
        if seen:
            check("bound pod lists its GPU", seen["gpus"] == [GPU_UUID], json.dumps(seen))
            check("bound pod's memory and cores", (seen["memory"], seen["cores"]) == (3000 * MIB, 30),
                  json.dumps(seen))
            check("bound pod has no pending reason", seen["pendingReason"] is None, json.dumps(seen))
        status, gpu = api("/api/v1/gpus/" + GPU_UUID)
        slices = [s for s in (gpu or {}).get("slices", []) if s["pod"] == fits]
        check("GPU shows the pod's slice", status == 200 and len(slices) == 1 and
              slices[0]["memoryLimit"] == 3000 * MIB and slices[0]["cores"] == 30, json.dumps(gpu))
        status, node = api("/api/v1/nodes/" + NODE)
        check("node detail", status == 200 and node["gpus"][0]["uuid"] == GPU_UUID and node["pods"] >= 1,
              json.dumps(node))
        status, detail = api(f"/api/v1/pods/default/{fits}")
        limits = (detail or {}).get("containers", [{}])[0].get("limits", {})
        check("pod detail shows the limits its container sees",
              limits.get("CUDA_DEVICE_MEMORY_LIMIT_0") == "3000m" and limits.get("CUDA_DEVICE_SM_LIMIT") == "30",
              json.dumps(detail))
        check("pod detail links kubectl", (detail or {}).get("kubectl") == f"kubectl -n default describe pod {fits}")

        entry = wait(lambda: pending_entry(too_big), 90)
        check("pod that cannot fit is pending with reasons", entry is not None, json.dumps(api("/api/v1/pending")))
        if entry:
            words = [r for r in entry["reasons"] if r["code"] == "CardInsufficientMemory"]
            check("reason in words", bool(words) and words[0]["text"] == "1 node: no GPU with 100000 MiB free",
                  json.dumps(entry))
            check("pending since is set", bool(entry["since"]), json.dumps(entry))
        p = find_pod(too_big, "&pending=true")
        check("pods list shows the pending reason", p is not None and "100000 MiB" in (p["pendingReason"] or ""),
              json.dumps(p))

        status, body = api("/api/v1/no-such")
        check("unknown path: 404 JSON", status == 404 and "error" in (body or {}), f"{status} {body}")
        status, body = api("/api/v1/nodes?pageSize=100000")
        check("bad parameter: 400 JSON", status == 400 and "pageSize" in (body or {}).get("error", ""),
              f"{status} {body}")
        status, body = api("/api/v1/overview")
        check("overview counts the node's GPU", status == 200 and body["totals"]["gpus"] >= 1 and
              body["totals"]["pendingPods"] >= 1, json.dumps(body))
        check_stream()
    finally:
        kubectl("delete", "pod", fits, too_big, "-n", "default", "--grace-period=0", "--force", check=False)
        kubectl("delete", "node", NODE, "--wait=false", check=False)
    return report("web UI API")


if __name__ == "__main__":
    sys.exit(main())
