"""The web UI in a real browser against hami-scheduler on the local control plane (label e2e,
fixture e2e_plane): two simulated GPU nodes running the real node side (hack/lib/sim_nodes.sh),
GPU pods placed by kube-scheduler + our extender and one that cannot fit. Each view is loaded in
headless chromium and what it shows is checked against the API objects (register annotations of
the nodes, hami.io/vgpu-devices-allocated of the pods, the device plugin's record of what the
container got); a pod created while the page is open must appear without a reload; the pending
pod's reason must be in words. A screenshot of each view is saved (the path is printed).

    test/webui/run.sh test/webui/webui_e2e.py ENV_FILE SCREENSHOT_DIR

Binaries from the environment as for sim nodes: HAMI_DP_BIN, HAMI_LIBVGPU, HAMI_SIM_LIBDIR
and HAMI_MONITOR_BIN (a monitor per node), HAMI_SIM_CTL (the XID fault), HAMI_SIM_WORKLOAD (the
CUDA process standing in for a pod's container), each defaulting to the device plugin's directory."""
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from e2e_lib import ENV, allocated, check, get, kubectl, load_env, remove_sim_node, report, sim_nodes, wait  # noqa: E402
from browser import Ui  # noqa: E402

NS = "webui-e2e"
NODES = {"webui-a": ("2xA100-40GB", 20), "webui-b": ("1xT4-16GB", 10)}
PODS = {"w-small": ("4000", "30"), "w-medium": ("8000", "20"), "w-third": ("3000", "0")}
PENDING = "w-huge"
MiB = 1 << 20


def fmt_bytes(b):
    """format.js bytes()."""
    return f"{round(b / MiB)} MiB" if abs(b) < 10 * 1024 * MiB else f"{b / (1024 * MiB):.1f} GiB"


def pod(name, mem, cores=None):
    limits = {"nvidia.com/gpu": "1", "nvidia.com/gpumem": mem}
    if cores and cores != "0":
        limits["nvidia.com/gpucores"] = cores
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS},
            "spec": {"nodeSelector": {"webui": "on"},
                     "containers": [{"name": "main", "image": "cuda", "resources": {"limits": limits}}]}}


def api(path):
    with urllib.request.urlopen(ENV["WEBUI_URL"] + path, timeout=10) as r:
        return json.loads(r.read())


def api_try(path):
    try:
        return api(path)
    except (OSError, ValueError):
        return None


def api_up():
    return api_try("api/version")


def register(node):
    """The node's GPUs as its device plugin registered them."""
    n = get("node", node)
    return json.loads((n or {}).get("metadata", {}).get("annotations", {}).get("hami.io/node-nvidia-register", "[]"))


def sim_state(node):
    return os.path.join(ENV["HAMI_LOCAL_DIR"], "nodes", node, "sim.state")


def setup():
    for node, (gpus, _) in NODES.items():
        sim_nodes(f"stop_sim_node {node}")
        if os.path.exists(sim_state(node)):
            os.remove(sim_state(node))  # a fresh machine: no fault left from an earlier run
        r = sim_nodes(f"start_sim_node {node} {gpus} webui=on")
        if r.returncode != 0:
            raise RuntimeError(f"start_sim_node {node}: {r.stderr[-2000:]}")
    for node, (_, replicas) in NODES.items():
        r = sim_nodes(f"wait_sim_node {node} {replicas} 90")
        if r.returncode != 0:
            raise RuntimeError(f"wait_sim_node {node}: {r.stderr[-2000:]}")
    kubectl("create", "namespace", NS, check=False)
    for name, (mem, cores) in PODS.items():
        kubectl("apply", "-f", "-", input=json.dumps(pod(name, mem, cores)))
    kubectl("apply", "-f", "-", input=json.dumps(pod(PENDING, "200000")))
    running = wait(lambda: all((get("pod", p, NS) or {}).get("status", {}).get("phase") == "Running" for p in PODS), 90)
    check("pods running on the simulated nodes", running,
          {p: (get("pod", p, NS) or {}).get("status", {}).get("phase") for p in PODS})


def expected():
    """Per node and per pod what the API objects say: {node: {...}}, {pod: [(uuid, mem, cores)]}."""
    pods = {p: allocated(get("pod", p, NS)) for p in PODS}
    where = {p: get("pod", p, NS)["spec"].get("nodeName") for p in PODS}
    nodes = {}
    for node in NODES:
        gpus = register(node)
        mine = [d for p in PODS if where[p] == node for d in pods[p]]
        nodes[node] = {"gpus": len(gpus), "memoryTotal": sum(g["devmem"] for g in gpus) * MiB,
                       "memoryAllocated": sum(d[1] for d in mine) * MiB, "coresAllocated": sum(d[2] for d in mine),
                       "pods": len({p for p in PODS if where[p] == node}), "register": gpus}
    return nodes, pods, where


def workload_bin():
    path = os.environ.get("HAMI_SIM_WORKLOAD") or os.path.join(os.path.dirname(os.environ.get("HAMI_DP_BIN", "")),
                                                               "hami-sim-workload")
    return path if os.access(path, os.X_OK) else None


def start_workload(node):
    """w-small's container stand-in (hack/lib/sim_nodes.sh sim_node_run_pod): 1000 MiB held under
    libvgpu, kernels ~30% of the time; its node's monitor reports it."""
    r = sim_nodes(f"sim_node_run_pod {node} {NS} w-small {workload_bin()} --mem-mib 1000 --busy 30")
    check("workload started in w-small's slice", r.returncode == 0, r.stderr[-1000:])


def check_used(ui, node, uuid):
    """The slice's used memory as its monitor reports it, shown as a number (not a dash)."""
    key = f"{NS}/w-small/main"

    def used():
        g = api_try(f"api/v1/gpus/{uuid}") or {}
        return next((sl.get("memoryUsed") for sl in g.get("slices", []) if sl.get("pod") == "w-small"), None)
    value = wait(used, 60, 2)
    check("API: w-small's memory used comes from the monitor (1000 MiB held)",
          value is not None and value >= 1000 * MiB, value)
    ui.show(f"#/gpus/{uuid}?node={node}")
    ui.page.wait_for_function("k => { const c = document.querySelector(`tr[data-key='${k}'] td[data-col='memoryUsed']`);"
                              " return c && c.dataset.value !== ''; }", arg=key, timeout=30000)
    shown, text = ui.cell(key, "memoryUsed")
    check("gpu view: w-small's used memory shown", shown and int(shown) >= 1000 * MiB and text.startswith(fmt_bytes(int(shown))),
          (shown, text))
    ui.shot("gpu-used")


def check_overview(ui):
    err = ui.show("#/")
    check("overview renders", err is None, err)
    o = api("api/v1/overview")
    for field in ("nodes", "gpus", "pods", "pendingPods", "memoryAllocated", "coresAllocated"):
        value, _ = ui.card(field)
        check(f"overview: {field} shown as the API says", value == str(o["totals"][field]), (value, o["totals"][field]))
    check("overview: at least our pending pod counted", o["totals"]["pendingPods"] >= 1, o["totals"])
    row = ui.cell(f"{NS}/{PENDING}", "reasons")
    check("overview: pending pod listed with its reason", bool(row[1]), row)


def overview_shot(ui):
    """The overview at the end (pods, the pending one, the faulted GPU), once the scheduler has
    scraped the nodes' monitors where they run: the screenshot docs/webui.md shows."""
    if os.environ.get("HAMI_MONITOR_BIN"):
        wait(lambda: ((api_try("api/v1/overview") or {}).get("monitors") or {}).get("reachable", 0) >= len(NODES), 40, 2)
    ui.show("#/")
    print("overview screenshot:", ui.shot("overview"))


def check_nodes(ui, nodes):
    ui.show("#/nodes?search=webui-")
    check("nodes: search finds our two nodes", sorted(ui.row_keys()) == sorted(NODES), ui.row_keys())
    for node, want in nodes.items():
        for col in ("gpus", "memoryAllocated", "pods"):
            value, _ = ui.cell(node, col)
            check(f"nodes: {node} {col} = API objects", value == str(want[col]), (value, want[col]))
        _, text = ui.cell(node, "memoryAllocated")
        check(f"nodes: {node} memory shown as allocated / total",
              text == f"{fmt_bytes(want['memoryAllocated'])} / {fmt_bytes(want['memoryTotal'])}", text)
        value, text = ui.cell(node, "memoryUsed")
        check(f"nodes: {node} used memory a number or a dash, never a made-up 0",
              (value == "" and text == "—") or (value != "" and text == fmt_bytes(int(value))), (value, text))
    ui.show("#/nodes?search=webui-&sort=memoryAllocated&order=desc")
    order = sorted(NODES, key=lambda n: -nodes[n]["memoryAllocated"])
    check("nodes: sorted by memory allocated (server side)", ui.row_keys() == order, ui.row_keys())
    ui.shot("nodes")


def check_node_and_gpus(ui, nodes, pods, where):
    node = where["w-small"]
    ui.show(f"#/nodes/{node}")
    value, _ = ui.card("gpus")
    check(f"node {node}: GPUs = register annotation", value == str(nodes[node]["gpus"]), value)
    check(f"node {node}: one bar pair per GPU", len(ui.page.query_selector_all("svg.gpu-bars g.gpu")) == nodes[node]["gpus"])
    for g in nodes[node]["register"]:
        want = sum(d[1] for p in PODS for d in pods[p] if where[p] == node and d[0] == g["id"]) * MiB
        value, _ = ui.cell(f"{node}/{g['id']}", "memoryAllocated")
        check(f"node {node}: GPU {g['id']} allocated = pods' annotations", value == str(want), (value, want))
    ui.shot("node")
    uuid, mem, cores = pods["w-small"][0]
    ui.show(f"#/gpus/{uuid}?node={node}")
    key = f"{NS}/w-small/main"
    check("gpu: w-small's slice listed", ui.has_row(key), ui.row_keys())
    check("gpu: slice memory granted = annotation", ui.cell(key, "memoryLimit")[0] == str(mem * MiB), ui.cell(key, "memoryLimit"))
    check("gpu: slice cores granted = annotation", ui.cell(key, "cores")[0] == str(cores), ui.cell(key, "cores"))
    on_gpu = {p for p in PODS if where[p] == node and any(d[0] == uuid for d in pods[p])}
    shown = {k.split("/")[1] for k in ui.row_keys() if k.startswith(NS + "/")}
    check("gpu: exactly the pods whose annotation names this GPU", shown == on_gpu, (shown, on_gpu))
    chart = ui.page.query_selector("svg.history") or ui.page.query_selector("text=No samples yet")
    check("gpu: utilisation chart (or no samples yet)", chart is not None)
    ui.shot("gpu")


def check_pods(ui, pods, where):
    ui.show(f"#/pods?namespace={NS}")
    keys = set(ui.row_keys())
    want = {f"{NS}/{p}" for p in [*PODS, PENDING]}
    check("pods: our pods listed", want <= keys, (keys, want))
    for p, devs in pods.items():
        check(f"pods: {p} memory = annotation", ui.cell(f"{NS}/{p}", "memory")[0] == str(sum(d[1] for d in devs) * MiB),
              ui.cell(f"{NS}/{p}", "memory"))
        check(f"pods: {p} node", ui.cell(f"{NS}/{p}", "node")[1] == where[p], ui.cell(f"{NS}/{p}", "node"))
    ui.shot("pods")
    ui.show(f"#/pods/{NS}/w-small")
    uuids = [e.get_attribute("data-value") for e in ui.page.query_selector_all('section.container td[data-col="uuid"]')]
    check("pod: its GPUs = annotation", uuids == [d[0] for d in pods["w-small"]], uuids)
    cmd = ui.page.inner_text(".kubectl code")
    check("pod: kubectl command", cmd == f"kubectl -n {NS} describe pod w-small", cmd)
    record_path = os.path.join(ENV["HAMI_LOCAL_DIR"], "nodes", where["w-small"], "kubelet", "pods", f"{NS}_w-small.json")
    try:
        env = json.load(open(record_path))["containers"][-1]["env"]
    except (OSError, ValueError, KeyError, IndexError):
        env = {}
    shown = {e.get_attribute("data-env"): e.inner_text() for e in ui.page.query_selector_all("dd[data-env]")}
    limit_keys = [k for k in env if k.startswith("CUDA_DEVICE_MEMORY_LIMIT") or k.startswith("CUDA_DEVICE_SM_LIMIT")]
    check("pod: the limits its container got from Allocate", limit_keys and all(shown.get(k) == env[k] for k in limit_keys),
          (shown, {k: env[k] for k in limit_keys}))
    ui.shot("pod")


def check_pending(ui):
    detail = wait(lambda: (api_try(f"api/v1/pods/{NS}/{PENDING}") or {}).get("pending"), 60, 2)
    reasons = (detail or {}).get("reasons", [])
    text = "; ".join(r.get("text", "") for r in reasons)
    check("pending pod has reasons in words", "200000 MiB" in text and "CardInsufficient" not in text, reasons)
    ui.show(f"#/pods/{NS}/{PENDING}")
    shown = ui.page.inner_text('[data-field="pending"]') if ui.page.query_selector('[data-field="pending"]') else ""
    check("pod view: the pending reason shown", all(r["text"] in shown for r in reasons) and reasons, shown)
    ui.shot("pod-pending")
    ui.show("#/pending")
    _, cell = ui.cell(f"{NS}/{PENDING}", "reasons")
    check("pending view: the pod and its reason", bool(cell) and all(r["text"] in cell for r in reasons), cell)
    ui.shot("pending")


def check_live(ui):
    ui.show(f"#/pods?namespace={NS}")
    ui.page.evaluate("window.__sameDocument = 1")
    mode = ui.page.get_attribute("#live", "data-mode")
    t0 = time.time()
    kubectl("apply", "-f", "-", input=json.dumps(pod("w-live", "1000", "10")))
    ok = wait(lambda: ui.has_row(f"{NS}/w-live"), 30)
    check(f"live ({mode}): a new pod appears without reload",
          ok and ui.page.evaluate("window.__sameDocument") == 1, f"after {time.time() - t0:.1f}s")
    print(f"live: w-live shown after {time.time() - t0:.1f}s ({mode})")


def check_unhealthy(ui):
    """An XID 48 (double-bit ECC error) on webui-a's GPU 1 (hami-sim-ctl, the simulated driver's
    fault injection): the device plugin registers it unhealthy, and the UI draws it red."""
    node = "webui-a"
    uuid = next(g["id"] for g in register(node) if g.get("index") == 1)
    r = sim_nodes(f"sim_node_xid {node} 1 48")
    check("hami-sim-ctl posts XID 48", r.returncode == 0, r.stderr[-1000:])
    bad = wait(lambda: any(g["uuid"] == uuid and g["health"] is False
                           for g in (api_try(f"api/v1/nodes/{node}") or {}).get("gpus", [])), 60, 1)
    check("the API reports the faulted GPU unhealthy", bad)
    ui.show(f"#/nodes/{node}")
    red = wait(lambda: ui.page.query_selector(f'tr[data-key="{node}/{uuid}"].unhealthy'), 15)
    check("node view: the faulted GPU's row marked unhealthy", red, ui.row_keys())
    color = ui.page.eval_on_selector(f'tr[data-key="{node}/{uuid}"] .badge', "e => getComputedStyle(e).backgroundColor")
    check("node view: the unhealthy GPU is red", color == "rgb(198, 40, 40)", color)
    check("node view: healthy count", ui.card("gpus")[1].count("1 healthy") == 1, ui.card("gpus"))
    ui.shot("node-unhealthy")


def main():
    load_env(sys.argv[1])
    shots = sys.argv[2] if len(sys.argv) > 2 else "webui-screenshots"
    if "WEBUI_URL" not in ENV:
        check("plane serves the web UI", False, "no WEBUI_URL in the env file (hack/local-up.sh older than this test?)")
        return report("web UI")
    if not wait(api_up, 30, 1):
        check("hami-scheduler answers the web UI API", False,
              f"nothing at {ENV['WEBUI_URL']}api/version; see {ENV.get('LOG_DIR')}/hami-scheduler.log")
        return report("web UI")
    ui = None
    try:
        setup()
        nodes, pods, where = expected()
        # The UI reads the scheduler's cache: give it the pods' annotations first.
        wait(lambda: len((api_try(f"api/v1/pods?namespace={NS}&pageSize=100") or {}).get("items", [])) > len(PODS), 30, 1)
        ui = Ui(ENV["WEBUI_URL"], shots)
        check_overview(ui)
        check_nodes(ui, nodes)
        check_node_and_gpus(ui, nodes, pods, where)
        if workload_bin() and os.environ.get("HAMI_MONITOR_BIN"):
            start_workload(where["w-small"])
            check_used(ui, where["w-small"], pods["w-small"][0][0])
        else:
            print("NOTE used values not checked: no hami-sim-workload or hami-monitor")
        check_pods(ui, pods, where)
        check_pending(ui)
        check_live(ui)
        check_unhealthy(ui)
        overview_shot(ui)
        check("no script errors in the page", not ui.errors, ui.errors)
    finally:
        if ui:
            ui.close()
        # The stand-in kubelets finish the pods they run; then nothing is left behind.
        kubectl("delete", "pods", "--all", "-n", NS, "--timeout=60s", check=False)
        kubectl("delete", "pods", "--all", "-n", NS, "--force", "--grace-period=0", check=False)
        for node in NODES:
            remove_sim_node(node)
            if os.path.exists(sim_state(node)):
                os.remove(sim_state(node))
    print(f"screenshots: {os.path.abspath(shots)}")
    return report("web UI (e2e)")


if __name__ == "__main__":
    sys.exit(main())
